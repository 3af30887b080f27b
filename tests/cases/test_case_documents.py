"""The case's printable notices: which exist in which state, what they say, and that no full ID is printed."""

import datetime

import pytest
import qrcode
from django.test import RequestFactory
from django.utils import timezone
from qrcode.constants import ERROR_CORRECT_M

from quangangtong.cases import services
from quangangtong.cases.documents import (
    case_documents,
    case_progress_url,
    material_receipt_of,
)
from quangangtong.cases.models import ApplicantKind, MaterialStatus

from ..documents.helpers import pdf_text, qr_matrix
from .conftest import ACCEPTED_AT, AGENT_ID, BENEFIT, COMPANY, CREDIT_CODE, EMPLOYMENT_CARD, PERSON_ID, PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client, hall):
    client.force_login(hall.officer)
    return client


def pdf(client, case, key):
    return client.get(f"/staff/window/cases/{case.number}/pdf/{key}.pdf")


def assert_pdf_of(response, case):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert case.number in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert case.number in text
    assert PERSON_ID not in text
    assert AGENT_ID not in text
    assert CREDIT_CODE not in text
    assert PHONE not in text
    return text


def _with_agent(hall, code=None, **fields):
    values = {"agent_name": "王五", "agent_id_number": AGENT_ID, "agent_phone": "13900139000", **fields}
    return hall.open(code, **values) if code else hall.open(**values)


def _missing_one(hall):
    case = hall.receive_all(_with_agent(hall), but=("申请表",))
    return case, case.materials.get(name__contains="申请表")


def test_it_prints_the_material_receipt_with_what_is_missing_and_ids_masked(officer, hall):
    case, missing = _missing_one(hall)
    text = assert_pdf_of(pdf(officer, case, "receipt"), case)
    assert "办理行政权力事项材料接收单" in text
    assert "".join(missing.name.split()) in text
    assert case.masked_id_number in text
    assert case.masked_agent_id_number in text


def test_it_puts_the_public_progress_page_in_the_receipts_qr_code(officer, hall):
    case = hall.open()
    drawn = qr_matrix(pdf(officer, case, "receipt").content)
    url = f"http://testserver/progress/t/{services.case_public_token(case)}/"
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    assert drawn == code.get_matrix()


def test_it_builds_the_progress_url_from_the_public_token(hall, settings):
    settings.ALLOWED_HOSTS = ["hall.example.gov.cn"]
    case = hall.open()
    url = case_progress_url(case, request=RequestFactory().get("/", HTTP_HOST="hall.example.gov.cn"))
    assert url.startswith("http://hall.example.gov.cn/progress/t/")
    token = url.removeprefix("http://hall.example.gov.cn/progress/t/").removesuffix("/")
    assert services.case_from_public_token(token) == case


def test_it_lists_received_missing_and_deferred_materials_on_the_receipt(hall):
    case = hall.receive_all(hall.open(BENEFIT), but=("解除或终止劳动关系",))
    line = case.materials.get(necessity="3")
    due = datetime.date(2026, 10, 9)
    services.case_material_mark(
        case=case, user=hall.officer, material=line, status=MaterialStatus.DEFERRED, promise="十月九日前补交",
        promise_due=due, now=timezone.make_aware(datetime.datetime(2026, 9, 30, 11)),
    )  # fmt: skip
    receipt = material_receipt_of(case, progress_url="https://hall.example.gov.cn/progress/t/x/")
    assert [m.name for m in receipt.deferred] == [line.name]
    assert receipt.deferred[0].due_on == due
    assert receipt.deferral_promise == "十月九日前补交"
    assert line.name not in [m.name for m in receipt.received]
    assert receipt.missing == ()
    assert receipt.officer_name == hall.officer.get_username()
    assert receipt.issued_on == datetime.date(2026, 9, 30)


def test_it_has_only_the_receipt_before_any_decision(officer, hall):
    case = hall.open()
    assert [d.key for d in case_documents(case)] == ["receipt"]
    for key in ("acceptance", "correction-1", "rejection", "deferred", "nonsense"):
        assert pdf(officer, case, key).status_code == 404, key


def test_it_prints_the_acceptance_notice_once_accepted(officer, hall):
    case = hall.accepted(**{"agent_name": "王五", "agent_id_number": AGENT_ID})
    text = assert_pdf_of(pdf(officer, case, "acceptance"), case)
    assert "受理通知书" in text
    assert "10个工作日" in text
    assert f"{case.promised_due.year}年{case.promised_due.month}月{case.promised_due.day}日" in text


def test_it_prints_the_acceptance_of_an_immediate_case_as_decided_on_the_spot(officer, hall):
    case = hall.accepted(EMPLOYMENT_CARD)
    text = assert_pdf_of(pdf(officer, case, "acceptance"), case)
    assert "即办" in text


def test_it_prints_each_correction_notice_with_every_material_it_listed(officer, hall):
    case, missing = _missing_one(hall)
    assert pdf(officer, case, "correction-1").status_code == 404
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    text = assert_pdf_of(pdf(officer, case, "correction-1"), case)
    assert "补正材料通知书" in text
    assert "".join(missing.name.split()) in text
    assert pdf(officer, case, "correction-2").status_code == 404


def test_it_keeps_the_correction_notice_after_the_materials_came_back(officer, hall):
    case, missing = _missing_one(hall)
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    services.case_correction_received(case=case, user=hall.officer)
    text = assert_pdf_of(pdf(officer, case, "correction-1"), case)
    assert "".join(missing.name.split()) in text


def test_it_prints_the_rejection_notice_with_the_reason(officer, hall):
    case = _with_agent(hall)
    services.case_reject(case=case, user=hall.officer, reason="不属于本机关职权范围")
    text = assert_pdf_of(pdf(officer, case, "rejection"), case)
    assert "不予受理通知书" in text
    assert "不属于本机关职权范围" in text
    assert "行政复议" in text
    assert pdf(officer, case, "acceptance").status_code == 404


def test_it_prints_the_deferred_acceptance_notice_with_the_promise(officer, hall):
    case = hall.receive_all(hall.open(BENEFIT), but=("解除或终止劳动关系",))
    line = case.materials.get(necessity="3")
    at = timezone.make_aware(datetime.datetime(2026, 9, 30, 11))
    services.case_material_mark(
        case=case, user=hall.officer, material=line, status=MaterialStatus.DEFERRED, promise="十月九日前补交",
        promise_due=datetime.date(2026, 10, 9), now=at,
    )  # fmt: skip
    services.case_accept_with_promise(case=case, user=hall.officer, now=at)
    text = assert_pdf_of(pdf(officer, case, "deferred"), case)
    assert "容缺受理通知书" in text
    assert "十月九日前补交" in text
    assert "2026年10月9日" in text
    services.case_deferred_material_received(case=case, user=hall.officer, material=line, now=at)
    assert "".join(line.name.split()) in pdf_text(pdf(officer, case, "deferred").content)


def test_it_prints_an_enterprise_with_its_credit_code_masked(officer, hall):
    case = hall.open(
        COMPANY, applicant_kind=ApplicantKind.LEGAL, applicant_name="佳木斯某商贸有限公司", id_number="",
        credit_code=CREDIT_CODE, legal_representative="李四",
    )  # fmt: skip
    text = assert_pdf_of(pdf(officer, case, "receipt"), case)
    assert "佳木斯某商贸有限公司" in text
    assert case.masked_credit_code in text


def test_it_names_the_file_after_the_case_and_the_notice(officer, hall):
    case = hall.accepted()
    disposition = pdf(officer, case, "acceptance")["Content-Disposition"]
    assert "filename*=utf-8''" in disposition
    assert f"{case.number}-" in disposition
