import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quangangtong.ids import (
    IdNumberError,
    mask_id_number,
    mask_name,
    mask_phone,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_sex,
    uscc_check_char,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)
from quangangtong.ids.resident import PROVINCE_CODES
from quangangtong.ids.resident import WEIGHTS as RID_WEIGHTS
from quangangtong.ids.uscc import ALPHABET, REGISTRATION_DEPARTMENTS
from quangangtong.ids.uscc import WEIGHTS as USCC_WEIGHTS

TODAY = date(2025, 6, 1)
DIGITS = "0123456789"
RID_CHECK_ALPHABET = DIGITS + "X"


def with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


# --- 居民身份证 ---------------------------------------------------------------


def test_weights_follow_the_standards():
    assert tuple(pow(2, 18 - i, 11) for i in range(1, 18)) == RID_WEIGHTS
    assert tuple(pow(3, i - 1, 31) for i in range(1, 18)) == USCC_WEIGHTS


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_published_resident_vectors_pass(number):
    assert validate_resident_id(number) == number


def test_lower_case_x_and_whitespace_are_normalised():
    assert validate_resident_id(" 11010519491231002x \n") == "11010519491231002X"


def test_full_width_input_is_normalised():
    assert validate_resident_id("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


def test_wrong_check_char_is_rejected():
    with pytest.raises(IdNumberError, match="校验位不正确"):
        validate_resident_id("110105194912310021")


def test_fifteen_digit_number_is_rejected():
    with pytest.raises(IdNumberError, match="18位"):
        validate_resident_id("110105491231002")


@pytest.mark.parametrize("value", ["", None, "1101051949123100", "11010519491231002XX"])
def test_wrong_length_is_rejected(value):
    with pytest.raises(IdNumberError):
        validate_resident_id(value)


def test_non_digit_body_is_rejected():
    with pytest.raises(IdNumberError, match="前17位应为数字"):
        validate_resident_id("1101051949123100AX")


@pytest.mark.parametrize("birth", ["19990230", "19991301", "19990000", "20230229"])
def test_impossible_birth_date_is_rejected(birth):
    with pytest.raises(IdNumberError, match="出生日期无效"):
        validate_resident_id(with_check("110105" + birth + "002"))


def test_leap_day_is_accepted():
    number = with_check("110105" + "20000229" + "002")
    assert validate_resident_id(number, today=TODAY) == number


def test_future_birth_date_is_rejected():
    number = with_check("110105" + "20250602" + "002")
    with pytest.raises(IdNumberError, match="晚于今天"):
        validate_resident_id(number, today=TODAY)
    assert validate_resident_id(number, today=date(2025, 6, 2)) == number


def test_too_early_birth_year_is_rejected():
    with pytest.raises(IdNumberError, match="出生年份"):
        validate_resident_id(with_check("110105" + "18491231" + "002"))


@pytest.mark.parametrize("address", ["000000", "100000", "710000", "810001", "840000"])
def test_implausible_address_code_is_rejected(address):
    with pytest.raises(IdNumberError, match="地址码"):
        validate_resident_id(with_check(address + "19900101" + "002"))


@pytest.mark.parametrize("address", ["810000", "820000", "830000", "911234", "956840"])
def test_residence_permits_and_foreigner_ids_are_accepted(address):
    number = with_check(address + "19900101" + "123")
    assert validate_resident_id(number) == number


def test_birth_date_and_sex():
    assert resident_id_birth_date("11010519491231002x") == date(1949, 12, 31)
    assert resident_id_sex("11010519491231002X") == "女"
    assert resident_id_sex("440524188001010014") == "男"


def test_check_char_rejects_bad_input():
    with pytest.raises(IdNumberError):
        resident_id_check_char("1101051949123100")


addresses = st.one_of(
    st.builds(
        lambda p, rest: p + rest, st.sampled_from(sorted(PROVINCE_CODES)), st.text(DIGITS, min_size=4, max_size=4)
    ),
    st.sampled_from(["810000", "820000", "830000"]),
    st.builds(lambda rest: "9" + rest, st.text(DIGITS, min_size=5, max_size=5)),
)
births = st.dates(min_value=date(1850, 1, 1), max_value=TODAY).map(lambda d: d.strftime("%Y%m%d"))
sequences = st.text(DIGITS, min_size=3, max_size=3)
resident_ids = st.builds(lambda a, b, s: with_check(a + b + s), addresses, births, sequences)


def rejected_resident(number: str) -> bool:
    try:
        validate_resident_id(number, today=TODAY)
    except IdNumberError:
        return True
    return False


@settings(max_examples=300)
@given(resident_ids)
def test_resident_built_with_check_char_passes(number):
    assert validate_resident_id(number, today=TODAY) == number
    assert validate_resident_id(number.lower(), today=TODAY) == number


@settings(max_examples=300)
@given(resident_ids)
def test_resident_every_single_substitution_fails(number):
    for i, original in enumerate(number):
        for ch in RID_CHECK_ALPHABET if i == 17 else DIGITS:
            if ch != original:
                assert rejected_resident(number[:i] + ch + number[i + 1 :]), (number, i, ch)


@settings(max_examples=300)
@given(resident_ids)
def test_resident_every_adjacent_swap_fails(number):
    for i in range(16):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert rejected_resident(swapped), (number, i)


# --- 统一社会信用代码 ---------------------------------------------------------


@pytest.mark.parametrize("code", ["91110000600037341L", "91512081MA62K0260E", "11320000MB151840XJ"])
def test_published_uscc_vectors_pass(code):
    assert validate_uscc(code) == code


def test_published_invalid_uscc_is_rejected():
    assert uscc_check_char("91350100M000100Y4") == "3"
    # "Z" is not even in the GB 32100 alphabet.
    with pytest.raises(IdNumberError, match="第18位"):
        validate_uscc("91350100M000100Y4Z")
    with pytest.raises(IdNumberError, match="校验位不正确"):
        validate_uscc("91350100M000100Y4Y")


def test_uscc_is_normalised():
    assert validate_uscc("  91512081ma62k0260e ") == "91512081MA62K0260E"


@pytest.mark.parametrize("department", ["Y", "N", "A"])
def test_letter_first_uscc_is_accepted(department):
    prefix = department + "1" + "110000" + "MA01ABCD1"
    code = prefix + uscc_check_char(prefix)
    assert validate_uscc(code) == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "不能为空"),
        ("9111000060003734", "18位"),
        ("91110000600037341I", "第18位"),
        ("9111000O600037341L", "第8位"),
        ("B1110000600037341L", "登记管理部门"),
        ("9111A000600037341L", "行政区划码"),
    ],
)
def test_malformed_uscc_is_rejected(code, message):
    with pytest.raises(IdNumberError, match=message):
        validate_uscc(code)


uscc_prefixes = st.builds(
    lambda dept, kind, region, body: dept + kind + region + body,
    st.sampled_from(REGISTRATION_DEPARTMENTS),
    st.sampled_from(ALPHABET),
    st.text(DIGITS, min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
)
usccs = uscc_prefixes.map(lambda prefix: prefix + uscc_check_char(prefix))


def rejected_uscc(code: str) -> bool:
    try:
        validate_uscc(code)
    except IdNumberError:
        return True
    return False


@settings(max_examples=300)
@given(usccs)
def test_uscc_built_with_check_char_passes(code):
    assert validate_uscc(code) == code


@settings(max_examples=300)
@given(usccs)
def test_uscc_every_single_substitution_fails(code):
    for i, original in enumerate(code):
        for ch in ALPHABET:
            if ch != original:
                assert rejected_uscc(code[:i] + ch + code[i + 1 :]), (code, i, ch)


@settings(max_examples=300)
@given(usccs)
def test_uscc_every_adjacent_swap_fails(code):
    for i in range(16):
        if code[i] != code[i + 1]:
            assert rejected_uscc(code[:i] + code[i + 1] + code[i] + code[i + 2 :]), (code, i)


# --- 手机号码 -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["13800138000", "+86 138-0013-8000", "86 13800138000", "+8613800138000", "0086 138 0013 8000", " 138 0013 8000 "],
)
def test_mobile_forms_are_normalised(value):
    assert validate_mobile(value) == "13800138000"


@pytest.mark.parametrize(
    "value", ["0454-8612345", "12800138000", "1380013800", "138001380001", "", None, "+1 13800138000", "1380013800a"]
)
def test_non_mobile_is_rejected(value):
    with pytest.raises(IdNumberError, match="手机号码应为11位，以1开头"):
        validate_mobile(value)


# --- 脱敏 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张*丰"),
        ("欧阳娜娜", "欧**娜"),
        ("", ""),
        (None, ""),
        ("张", "*"),
        (" 李四 ", "李*"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("11010519491231002X", "1101**********002X"),
        ("91110000600037341L", "9111**********341L"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


def test_mask_id_number_hides_birth_date():
    assert "19491231" not in mask_id_number("11010519491231002X")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138-0013-8000", "138****8000"),
        ("0454-8612345", "045*******45"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


# --- Django glue and import hygiene -------------------------------------------


def test_package_imports_without_django():
    code = "import sys, quangangtong.ids; assert not any(m.split('.')[0] == 'django' for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_django_validators_raise_validation_error():
    from django.core.exceptions import ValidationError

    from quangangtong.ids.django_validators import mobile_validator, resident_id_validator, uscc_validator

    resident_id_validator("11010519491231002X")
    uscc_validator("91110000600037341L")
    mobile_validator("13800138000")
    with pytest.raises(ValidationError) as excinfo:
        resident_id_validator("110105194912310021")
    assert excinfo.value.messages == ["身份证号码校验位不正确，请核对后重新输入"]
    with pytest.raises(ValidationError):
        uscc_validator("91350100M000100Y4Z")
    with pytest.raises(ValidationError):
        mobile_validator("0454-8612345")
