"""Message texts: the defaults, the hall's overrides, the sign, and no identity number ever in a message."""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quangangtong.ids.resident import HMT_ADDRESS_CODES, PROVINCE_CODES, resident_id_check_char
from quangangtong.ids.uscc import ALPHABET, REGISTRATION_DEPARTMENTS, uscc_check_char
from quangangtong.notify.errors import NotifyError
from quangangtong.notify.models import MessageOverride
from quangangtong.notify.services import message_render
from quangangtong.notify.texts import MessageKey, placeholders, text_check

pytestmark = pytest.mark.django_db
DIGITS = "0123456789"
# The DB is only read while rendering, so one database for all examples is fine.
db_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)

CASE = {"item": "个体工商户设立登记", "case": "QJQ-20261125-0007"}


@st.composite
def resident_ids(draw):
    region = draw(st.sampled_from(sorted(PROVINCE_CODES))) + draw(st.text(DIGITS, min_size=4, max_size=4))
    address = draw(st.sampled_from([region, *sorted(HMT_ADDRESS_CODES)]))
    born = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2025, 12, 31)))
    first17 = address + f"{born:%Y%m%d}" + draw(st.text(DIGITS, min_size=3, max_size=3))
    return first17 + resident_id_check_char(first17)


@st.composite
def credit_codes(draw):
    first17 = (
        draw(st.sampled_from(REGISTRATION_DEPARTMENTS))
        + draw(st.sampled_from(ALPHABET))
        + draw(st.text(DIGITS, min_size=6, max_size=6))
        + draw(st.text(ALPHABET, min_size=9, max_size=9))
    )
    return first17 + uscc_check_char(first17)


def full_width(text):
    return "".join(chr(ord(ch) + 0xFEE0) for ch in text)


def spaced(text):
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


disguises = st.sampled_from([str, str.lower, full_width, spaced])
surroundings = st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=20)
context_keys = st.sampled_from(["item", "case", "materials", "note"])


def test_it_renders_each_default_text_with_the_sign_first():
    text = message_render(
        template=MessageKey.CASE_POSTED,
        context={**CASE, "carrier": "EMS", "tracking_number": "EA123456789CN"},
    )
    assert text == (
        "【全岗通】您申请的“个体工商户设立登记”（办件编号QJQ-20261125-0007）的办理结果已由EMS寄出，"
        "运单号EA123456789CN，请注意查收。"
    )


def test_it_renders_the_call_near_reminder():
    text = message_render(template="ticket_call_near", context={"ticket": "A012", "ahead": 3})
    assert text == "【全岗通】您的A012号前面还有3人，请到大厅等候。"


def test_it_starts_every_text_with_the_configured_sign(settings):
    settings.QGT_SMS_SIGNATURE = "前进政务"
    text = message_render(template="case_result_ready", context={**CASE, "pickup_code": "482913"})
    assert text.startswith("【前进政务】您申请的")
    assert "取件码482913" in text


def test_it_writes_dates_the_chinese_way():
    text = message_render(template="case_accepted", context={**CASE, "promised_due": datetime.date(2026, 10, 13)})
    assert "承诺办结时间2026年10月13日。" in text


def test_it_uses_the_halls_own_wording_when_there_is_one():
    MessageOverride.objects.create(
        key=MessageKey.TICKET_CALL_NEAR, text="${ticket}号请注意：还有${ahead}位就轮到您了。"
    )
    text = message_render(template="ticket_call_near", context={"ticket": "B007", "ahead": 2})
    assert text == "【全岗通】B007号请注意：还有2位就轮到您了。"


def test_it_names_a_missing_parameter():
    with pytest.raises(NotifyError) as caught:
        message_render(template="case_result_ready", context=CASE)
    assert caught.value.field == "context.pickup_code"
    assert "pickup_code" in caught.value.message


def test_it_refuses_an_unknown_template():
    with pytest.raises(NotifyError) as caught:
        message_render(template="case_lost", context={})
    assert caught.value.field == "template"
    assert "case_accepted" in caught.value.message


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("11010519491231002X", "身份证号码"),
        ("申请人 440524188001010014", "身份证号码"),
        ("91110000600037341L", "统一社会信用代码"),
    ],
)
def test_it_refuses_a_known_identity_number_without_repeating_it(value, kind):
    with pytest.raises(NotifyError) as caught:
        message_render(template="ticket_call_near", context={"ticket": "A012", "ahead": value})
    assert caught.value.field == "context.ahead"
    assert kind in caught.value.message
    assert value[-6:] not in caught.value.message


@pytest.mark.parametrize("tracking", ["SF1234567890123", "EA123456789CN", "773012345678901", "JD0001234567890"])
def test_it_lets_tracking_numbers_through(tracking):
    text = message_render(template="case_posted", context={**CASE, "carrier": "顺丰速运", "tracking_number": tracking})
    assert f"运单号{tracking}" in text


@db_settings
@given(number=resident_ids(), disguise=disguises, before=surroundings, after=surroundings, key=context_keys)
def test_it_refuses_any_resident_id_in_any_parameter(number, disguise, before, after, key):
    context = {**CASE, "carrier": "EMS", "tracking_number": "EA123456789CN", key: before + disguise(number) + after}
    with pytest.raises(NotifyError) as caught:
        message_render(template="case_posted", context=context)
    assert caught.value.field == f"context.{key}"


@db_settings
@given(code=credit_codes(), disguise=disguises, before=surroundings, after=surroundings, key=context_keys)
def test_it_refuses_any_credit_code_in_any_parameter(code, disguise, before, after, key):
    context = {**CASE, "carrier": "EMS", "tracking_number": "EA123456789CN", key: before + disguise(code) + after}
    with pytest.raises(NotifyError) as caught:
        message_render(template="case_posted", context=context)
    assert caught.value.field == f"context.{key}"


@db_settings
@given(materials=st.lists(st.text(DIGITS + "ABCXYZ", min_size=1, max_size=17), min_size=1, max_size=5).map("、".join))
def test_it_passes_values_too_short_to_be_an_identity_number(materials):
    text = message_render(template="case_materials_needed", context={**CASE, "materials": materials})
    assert text.startswith("【全岗通】")
    assert f"需补正材料：{materials}。" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("您的${ticket}号，${name}您好", "不存在的参数 ${name}"),
        ("收费 5$ 元", "“$”的用法有误"),
        ("【全岗通】您的${ticket}号", "不要以【签名】开头"),
        ("  ", "不能为空"),
    ],
)
def test_it_refuses_an_override_the_message_cannot_use(text, message):
    with pytest.raises(NotifyError) as caught:
        text_check(MessageKey.TICKET_CALL_NEAR, text)
    assert message in caught.value.message


def test_it_lists_the_parameters_of_each_text():
    assert placeholders("case_posted") == ("item", "case", "carrier", "tracking_number")
    assert placeholders("ticket_call_near") == ("ticket", "ahead")
