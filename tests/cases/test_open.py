"""Opening a case at the window: numbers, the checklist snapshot, the ticket, and input refused by field."""

import pytest

from quangangtong.accounts.roles import Role
from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import (
    ApplicantKind,
    CaseEvent,
    CaseMaterial,
    CaseRules,
    Channel,
    DocumentType,
    EventKind,
    MaterialStatus,
)
from quangangtong.catalog.models import CaseType
from quangangtong.hall.models import Site
from quangangtong.queueing.services import ticket_issue

from .conftest import (
    ACCEPTED_AT,
    AGENT_ID,
    BENEFIT,
    COMPANY,
    CREDIT_CODE,
    EMPLOYMENT_CARD,
    HARDSHIP,
    PERSON_ID,
    D,
    at,
)

pytestmark = pytest.mark.django_db


def test_it_numbers_cases_by_site_date_and_daily_sequence(hall):
    first, second = hall.open(), hall.open()
    next_day = hall.open(now=at(D(2026, 10, 8)))
    assert (first.number, second.number) == ("QJQ-HALL-20260930-0001", "QJQ-HALL-20260930-0002")
    assert next_day.number == "QJQ-HALL-20261008-0001"


def test_it_uses_the_sites_configured_prefix(hall):
    CaseRules.objects.create(site=hall.site, number_prefix="qjq")
    assert hall.open().number == "QJQ-20260930-0001"


def test_it_counts_each_site_on_its_own(hall):
    station = Site.objects.get(code="gangwan")
    case = services.case_open(
        site=station, item=hall.item(EMPLOYMENT_CARD), user=hall.officer, applicant_kind=ApplicantKind.PERSON,
        applicant_name="李四", id_number=PERSON_ID, phone="13900139000", now=ACCEPTED_AT,
    )  # fmt: skip
    hall.open()
    assert case.number == "GANGWAN-20260930-0001"


def test_it_copies_the_items_checklist_as_missing(hall):
    case = hall.open(BENEFIT)
    item = hall.item(BENEFIT)
    lines = list(case.materials.all())
    assert [line.name for line in lines] == [m.name for m in item.materials.all()]
    assert [(line.originals, line.copies, line.necessity) for line in lines] == [
        (m.originals, m.copies, m.necessity) for m in item.materials.all()
    ]
    assert {line.status for line in lines} == {MaterialStatus.MISSING}


def test_it_keeps_the_snapshot_when_the_catalogue_changes(hall):
    case = hall.open(BENEFIT)
    hall.item(BENEFIT).materials.all().delete()
    assert CaseMaterial.objects.filter(case=case).count() == 3


def test_it_records_who_opened_it_and_how(hall):
    case = hall.open(HARDSHIP, channel=Channel.POST)
    assert (case.state, case.case_type, case.channel, case.item_name) == (
        CaseState.RECEIVED, CaseType.PROMISED, Channel.POST, "就业困难人员认定"
    )  # fmt: skip
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.actor, event.actor_role, event.to_state) == (
        EventKind.OPENED, hall.officer, "综合窗口人员", CaseState.RECEIVED
    )  # fmt: skip


def test_it_links_the_ticket_being_served(hall):
    ticket, _ = ticket_issue(site=hall.site, category="A", now=ACCEPTED_AT)
    with pytest.raises(CaseError, match="不在办理中") as refused:
        hall.open(ticket=ticket)
    assert refused.value.field == "ticket"
    ticket.status = "serving"
    ticket.save()
    assert hall.open(ticket=ticket).ticket == ticket


def test_it_opens_an_enterprise_case_with_credit_code_and_representative(hall):
    case = hall.open(
        COMPANY, applicant_kind=ApplicantKind.LEGAL, applicant_name="佳木斯某商贸有限公司", id_number="",
        credit_code=CREDIT_CODE.lower(), legal_representative="王五",
    )  # fmt: skip
    assert (case.credit_code, case.legal_representative, case.id_number) == (CREDIT_CODE, "王五", "")
    assert case.masked_applicant_name == "佳木斯某商贸有限公司"


def test_it_normalises_full_width_input(hall):
    case = hall.open(id_number="２３０８０４１９９００３０７１２３８", phone="+86 138-0013-8000")
    assert (case.id_number, case.phone) == (PERSON_ID, "13800138000")


def test_it_records_an_agent(hall):
    case = hall.open(agent_name="赵六", agent_id_number=AGENT_ID.lower(), agent_phone="13700137000")
    assert (case.agent_name, case.agent_id_number, case.agent_phone) == ("赵六", AGENT_ID, "13700137000")
    assert case.masked_agent_id_number == "1101**********002X"


def test_it_masks_identity_numbers_and_names(hall):
    case = hall.open()
    assert (case.masked_applicant_name, case.masked_id_number, case.masked_phone) == (
        "张*", "2308**********1238", "138****8000"
    )  # fmt: skip


def test_it_accepts_other_documents_by_their_gat_code(hall):
    case = hall.open(id_type=DocumentType.PASSPORT, id_number="E12345678")
    assert (case.id_type, case.id_number) == ("414", "E12345678")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"id_number": "230804199003071239"}, "id_number", "申请人证件号码：身份证号码校验位不正确"),
        ({"id_number": ""}, "id_number", "申请人证件号码：请填写居民身份证号码"),
        ({"id_type": "999"}, "id_type", "申请人证件类型"),
        ({"id_type": DocumentType.PASSPORT, "id_number": "E1"}, "id_number", "5至30位"),
        ({"phone": "1380013800"}, "phone", "联系电话：手机号码应为11位"),
        ({"applicant_name": "  "}, "applicant_name", "申请人姓名"),
        ({"applicant_kind": "robot"}, "applicant_kind", "申请人类型"),
        ({"agent_name": "赵六"}, "agent_id_number", "代办人证件号码"),
        ({"agent_id_number": AGENT_ID}, "agent_name", "代办人姓名"),
        ({"agent_name": "赵六", "agent_id_number": AGENT_ID, "agent_phone": "12"}, "agent_phone", "代办人电话"),
        ({"applicant_kind": ApplicantKind.LEGAL, "credit_code": "91230804MA1B2C3D48", "legal_representative": "王五"},
         "credit_code", "统一社会信用代码"),
        ({"applicant_kind": ApplicantKind.LEGAL, "credit_code": CREDIT_CODE}, "legal_representative", "法定代表人"),
    ],
)  # fmt: skip
def test_it_refuses_bad_input_naming_the_field_and_writes_nothing(hall, fields, field, words):
    with pytest.raises(CaseError) as refused:
        hall.open(**fields)
    assert (refused.value.status, refused.value.field) == (400, field)
    assert words in refused.value.message
    assert not CaseEvent.objects.exists()
    assert not CaseMaterial.objects.exists()


def test_it_refuses_post_for_an_item_that_does_not_post(hall):
    with pytest.raises(CaseError, match="不支持快递") as refused:
        hall.open(EMPLOYMENT_CARD, pickup_method="post")
    assert refused.value.field == "pickup_method"


def test_it_refuses_an_inactive_item(hall):
    item = hall.item(HARDSHIP)
    item.is_active = False
    item.save()
    with pytest.raises(CaseError, match="在用") as refused:
        hall.open()
    assert refused.value.field == "item"


@pytest.mark.parametrize("role", [Role.GUIDE, Role.APPROVER, Role.SUPERVISOR, Role.HALL_MANAGER])
def test_it_lets_only_window_staff_open_cases(hall, make_staff, role):
    with pytest.raises(CaseError, match="无权收件") as refused:
        services.case_open(
            site=hall.site, item=hall.item(HARDSHIP), user=make_staff(role), applicant_kind=ApplicantKind.PERSON,
            applicant_name="张三", id_number=PERSON_ID, phone="13800138000", now=ACCEPTED_AT,
        )  # fmt: skip
    assert refused.value.status == 403


def test_it_lets_community_station_staff_open_cases(hall, make_staff):
    case = services.case_open(
        site=hall.site, item=hall.item(HARDSHIP), user=make_staff(Role.STATION_STAFF),
        applicant_kind=ApplicantKind.PERSON, applicant_name="张三", id_number=PERSON_ID, phone="13800138000",
        now=ACCEPTED_AT,
    )  # fmt: skip
    assert case.state == CaseState.RECEIVED
