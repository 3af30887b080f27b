"""Materials, acceptance, 一次性告知, 不予受理 and 容缺受理 at the window."""

import pytest

from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import (
    BusinessAction,
    CaseEvent,
    CorrectionNotice,
    EventKind,
    MaterialStatus,
)
from quangangtong.catalog.models import LimitUnit

from .conftest import ACCEPTED_AT, BENEFIT, EMPLOYMENT_CARD, HARDSHIP, UNEMPLOYMENT, WORK_INJURY, D, at

pytestmark = pytest.mark.django_db


def _line(case, name_part):
    return case.materials.get(name__contains=name_part)


def _mark(hall, case, line, status, **fields):
    return services.case_material_mark(case=case, user=hall.officer, material=line, status=status, **fields)


# --- materials ----------------------------------------------------------------------------------


def test_it_marks_a_material_received_with_the_counts_asked(hall):
    case = hall.open(BENEFIT)
    line = _mark(hall, case, _line(case, "居民身份证"), MaterialStatus.RECEIVED, now=ACCEPTED_AT)
    assert (line.status, line.received_originals, line.received_copies, line.received_at) == (
        MaterialStatus.RECEIVED, line.originals, line.copies, ACCEPTED_AT
    )  # fmt: skip
    event = case.events.get(kind=EventKind.MATERIAL_MARKED)
    assert event.detail["status"] == MaterialStatus.RECEIVED


def test_it_refuses_fewer_copies_than_the_checklist_asks(hall):
    case = hall.open(HARDSHIP)
    line = _line(case, "居民身份证")
    with pytest.raises(CaseError, match="份数不足") as refused:
        _mark(hall, case, line, MaterialStatus.RECEIVED, received_copies=line.copies - 1)
    assert refused.value.field == "received_copies"


def test_it_needs_a_note_for_a_defective_material(hall):
    case = hall.open(HARDSHIP)
    with pytest.raises(CaseError, match="瑕疵说明") as refused:
        _mark(hall, case, _line(case, "申请表"), MaterialStatus.DEFECTIVE)
    assert refused.value.field == "defect"
    line = _mark(hall, case, _line(case, "申请表"), MaterialStatus.DEFECTIVE, defect="缺少申请人签名")
    assert line.defect == "缺少申请人签名"


def test_it_defers_only_materials_the_catalogue_allows(hall):
    case = hall.open(BENEFIT)
    with pytest.raises(CaseError, match="不是“容缺后补”材料"):
        _mark(
            hall,
            case,
            _line(case, "居民身份证"),
            MaterialStatus.DEFERRED,
            promise="三日内补交",
            promise_due=D(2026, 10, 9),
        )


def test_it_needs_the_written_promise_and_a_future_due_date(hall):
    case = hall.open(BENEFIT)
    line = _line(case, "解除或终止劳动关系")
    with pytest.raises(CaseError) as no_promise:
        _mark(hall, case, line, MaterialStatus.DEFERRED, promise_due=D(2026, 10, 9), now=ACCEPTED_AT)
    with pytest.raises(CaseError) as past:
        _mark(hall, case, line, MaterialStatus.DEFERRED, promise="补交", promise_due=D(2026, 9, 30), now=ACCEPTED_AT)
    assert (no_promise.value.field, past.value.field) == ("promise", "promise_due")


def test_it_refuses_a_material_of_another_case(hall):
    case, other = hall.open(), hall.open()
    with pytest.raises(CaseError) as refused:
        _mark(hall, case, other.materials.first(), MaterialStatus.RECEIVED)
    assert (refused.value.status, refused.value.field) == (404, "material")


def test_it_refuses_to_mark_materials_after_acceptance(hall):
    case = hall.accepted()
    with pytest.raises(CaseError, match="已受理") as refused:
        _mark(hall, case, case.materials.first(), MaterialStatus.MISSING)
    assert refused.value.status == 409


# --- acceptance ---------------------------------------------------------------------------------


def test_it_accepts_a_complete_application_and_starts_the_clocks(hall):
    case = hall.accepted(HARDSHIP)
    assert (case.state, case.accepted_by, case.accepted_at) == (CaseState.ACCEPTED, hall.officer, ACCEPTED_AT)
    assert (case.legal_limit, case.promised_limit, case.promised_limit_unit) == (20, 10, LimitUnit.WORKING_DAY)
    assert (case.legal_due, case.promised_due) == (D(2026, 11, 3), D(2026, 10, 20))
    assert (case.remaining_working_days, case.warning) == (10, "green")
    event = case.events.get(kind=EventKind.ACCEPTED)
    assert (event.business_action, event.from_state, event.to_state) == (
        BusinessAction.PASS, CaseState.RECEIVED, CaseState.ACCEPTED
    )  # fmt: skip


def test_it_is_due_on_13_october_when_accepted_on_30_september_with_a_five_day_promise(hall):
    case = hall.accepted(BENEFIT)
    assert case.promised_due == D(2026, 10, 13)


def test_it_counts_a_natural_day_legal_limit_in_days(hall):
    case = hall.accepted(WORK_INJURY)
    assert (case.legal_limit_unit, case.legal_due) == (LimitUnit.NATURAL_DAY, D(2026, 11, 30))


def test_it_makes_an_immediate_case_due_the_same_day(hall):
    case = hall.accepted(EMPLOYMENT_CARD)
    assert (case.promised_limit, case.promised_limit_unit, case.promised_due) == (
        0,
        LimitUnit.IMMEDIATE,
        D(2026, 9, 30),
    )


def test_it_accepts_without_optional_materials(hall):
    # 失业登记's photo is 非必要.
    case = hall.receive_all(hall.open(UNEMPLOYMENT), but=["照片"])
    assert services.case_accept(case=case, user=hall.officer, now=ACCEPTED_AT).state == CaseState.ACCEPTED


def test_it_needs_a_deferrable_material_received_or_deferred(hall):
    case = hall.receive_all(hall.open(BENEFIT), but=["解除或终止劳动关系"])
    with pytest.raises(CaseError, match="未收齐"):
        services.case_accept(case=case, user=hall.officer, now=ACCEPTED_AT)


def test_it_refuses_to_accept_with_materials_missing_and_names_them(hall):
    case = hall.receive_all(hall.open(HARDSHIP), but=["就业创业证"])
    with pytest.raises(CaseError) as refused:
        services.case_accept(case=case, user=hall.officer, now=ACCEPTED_AT)
    assert "“就业创业证”（缺）" in refused.value.message
    assert (refused.value.status, refused.value.field) == (409, "materials")
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED
    assert not case.events.filter(kind=EventKind.ACCEPTED).exists()


def test_it_sets_the_pickup_method_at_acceptance(hall):
    case = hall.receive_all(hall.open(HARDSHIP))
    assert services.case_accept(case=case, user=hall.officer, pickup_method="post").pickup_method == "post"


# --- 一次性告知 ---------------------------------------------------------------------------------


def _half_received(hall):
    case = hall.receive_all(hall.open(HARDSHIP), but=["就业创业证", "申请表", "相关类别证明"])
    _mark(hall, case, _line(case, "申请表"), MaterialStatus.DEFECTIVE, defect="缺少申请人签名")
    return case


def test_it_lists_every_missing_and_defective_material_on_one_notice(hall):
    case = _half_received(hall)
    notice = services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    listed = {item.material.name: (item.status, item.defect) for item in notice.items.all()}
    assert listed == {
        "就业创业证": (MaterialStatus.MISSING, "未提供"),
        "《就业困难人员认定申请表》": (MaterialStatus.DEFECTIVE, "缺少申请人签名"),
        "相关类别证明（残疾人证、最低生活保障证等）": (MaterialStatus.MISSING, "未提供"),
    }
    assert (notice.sequence, notice.is_override, notice.return_by) == (1, False, D(2026, 11, 3))
    case.refresh_from_db()
    assert case.state == CaseState.CORRECTION


def test_it_refuses_a_notice_when_nothing_is_missing(hall):
    case = hall.receive_all(hall.open(HARDSHIP))
    with pytest.raises(CaseError, match="无需补正"):
        services.case_request_correction(case=case, user=hall.officer)


def test_it_resumes_when_the_applicant_returns_and_then_accepts(hall):
    case = _half_received(hall)
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    case = services.case_correction_received(case=case, user=hall.officer, now=at(D(2026, 10, 9)))
    assert case.state == CaseState.RECEIVED
    assert set(case.materials.values_list("status", flat=True)) == {MaterialStatus.RECEIVED}
    accepted = services.case_accept(case=case, user=hall.officer, now=at(D(2026, 10, 9)))
    assert accepted.promised_due == D(2026, 10, 22)
    assert CorrectionNotice.objects.get(case=case).answered_at is not None


def test_it_allows_a_second_notice_for_materials_already_listed(hall):
    case = _half_received(hall)
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    still_missing = _line(case, "相关类别证明")
    services.case_correction_received(case=case, user=hall.officer, received=[_line(case, "就业创业证"),
                                      _line(case, "申请表")])  # fmt: skip
    notice = services.case_request_correction(case=case, user=hall.officer)
    assert [item.material for item in notice.items.all()] == [still_missing]
    assert (notice.sequence, notice.is_override) == (2, False)


def test_it_refuses_a_second_notice_naming_a_new_material(hall):
    case = _half_received(hall)
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    services.case_correction_received(case=case, user=hall.officer)
    _mark(hall, case, _line(case, "居民身份证"), MaterialStatus.DEFECTIVE, defect="已过有效期")
    with pytest.raises(CaseError, match="不能再告知新的材料") as refused:
        services.case_request_correction(case=case, user=hall.officer)
    assert (refused.value.status, refused.value.field) == (409, "materials")
    assert CorrectionNotice.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED


def test_it_lets_a_supervisor_override_with_a_reason(hall):
    case = _half_received(hall)
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    services.case_correction_received(case=case, user=hall.officer)
    _mark(hall, case, _line(case, "居民身份证"), MaterialStatus.DEFECTIVE, defect="已过有效期")
    with pytest.raises(CaseError) as no_reason:
        services.case_request_correction(case=case, user=hall.officer, approved_by=hall.supervisor)
    with pytest.raises(CaseError) as not_supervisor:
        services.case_request_correction(
            case=case, user=hall.officer, approved_by=hall.officer, override_reason="首次核对时未发现过期"
        )
    assert (no_reason.value.field, not_supervisor.value.status) == ("override_reason", 403)
    notice = services.case_request_correction(
        case=case, user=hall.officer, approved_by=hall.supervisor, override_reason="首次核对时未发现证件过期"
    )
    assert (notice.is_override, notice.overridden_by, notice.override_reason) == (
        True, hall.supervisor, "首次核对时未发现证件过期"
    )  # fmt: skip
    assert case.events.filter(kind=EventKind.CORRECTION_REQUESTED).last().detail["override"] is True


def test_it_refuses_a_returned_material_not_on_the_notice(hall):
    case = _half_received(hall)
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    with pytest.raises(CaseError) as refused:
        services.case_correction_received(case=case, user=hall.officer, received=[_line(case, "居民身份证")])
    assert refused.value.field == "received"


# --- 不予受理 -----------------------------------------------------------------------------------


def test_it_rejects_with_reason_and_default_remedies(hall):
    case = services.case_reject(case=hall.open(), user=hall.officer, reason="申请人不属于本区常住人员", now=ACCEPTED_AT)
    assert (case.state, case.closed_at, case.rejection_reason) == (
        CaseState.NOT_ACCEPTED, ACCEPTED_AT, "申请人不属于本区常住人员"
    )  # fmt: skip
    assert "行政复议" in case.rejection_remedies
    assert "行政诉讼" in case.rejection_remedies
    event = case.events.get(kind=EventKind.REJECTED)
    assert (event.business_action, event.opinion) == (BusinessAction.RETURN, "申请人不属于本区常住人员")


def test_it_needs_a_reason_to_reject(hall):
    with pytest.raises(CaseError) as refused:
        services.case_reject(case=hall.open(), user=hall.officer, reason=" ")
    assert (refused.value.status, refused.value.field) == (400, "reason")


def test_it_rejects_while_waiting_for_correction_but_not_after_acceptance(hall):
    case = _half_received(hall)
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    assert services.case_reject(case=case, user=hall.officer, reason="不符合条件").state == CaseState.NOT_ACCEPTED
    with pytest.raises(CaseError, match="已受理"):
        services.case_reject(case=hall.accepted(), user=hall.officer, reason="不符合条件")


def test_it_refuses_everything_after_rejection(hall):
    case = services.case_reject(case=hall.open(), user=hall.officer, reason="不符合条件")
    with pytest.raises(CaseError, match="已经结束"):
        services.case_accept(case=case, user=hall.officer)


# --- 容缺受理 -----------------------------------------------------------------------------------


def _deferred(hall, due=None):
    due = due or D(2026, 10, 9)
    case = hall.receive_all(hall.open(BENEFIT), but=["解除或终止劳动关系"])
    _mark(
        hall, case, _line(case, "解除或终止劳动关系"), MaterialStatus.DEFERRED, promise="承诺10月9日前补交原件",
        promise_due=due, now=ACCEPTED_AT,
    )  # fmt: skip
    return case


def test_it_accepts_with_a_promise(hall):
    case = services.case_accept_with_promise(case=_deferred(hall), user=hall.officer, now=ACCEPTED_AT)
    assert (case.state, case.promised_due) == (CaseState.ACCEPTED_DEFERRED, D(2026, 10, 13))
    event = case.events.get(kind=EventKind.ACCEPTED_WITH_PROMISE)
    assert event.detail["deferred"][0]["due"] == "2026-10-09"


def test_it_refuses_plain_acceptance_with_a_deferred_material(hall):
    with pytest.raises(CaseError, match="容缺受理"):
        services.case_accept(case=_deferred(hall), user=hall.officer, now=ACCEPTED_AT)


def test_it_refuses_a_promise_due_after_the_promised_completion(hall):
    case = _deferred(hall, due=D(2026, 10, 14))
    with pytest.raises(CaseError, match="晚于承诺办结日期2026-10-13") as refused:
        services.case_accept_with_promise(case=case, user=hall.officer, now=ACCEPTED_AT)
    assert refused.value.field == "promise_due"
    case.refresh_from_db()
    assert (case.state, case.accepted_at) == (CaseState.RECEIVED, None)


def test_it_leaves_deferred_acceptance_when_the_material_arrives(hall):
    case = services.case_accept_with_promise(case=_deferred(hall), user=hall.officer, now=ACCEPTED_AT)
    case = services.case_deferred_material_received(
        case=case, user=hall.officer, material=_line(case, "解除或终止劳动关系"), now=at(D(2026, 10, 8))
    )
    assert case.state == CaseState.ACCEPTED
    assert not case.materials.filter(status=MaterialStatus.DEFERRED).exists()


def test_it_refuses_a_deferred_receipt_for_a_material_not_deferred(hall):
    case = services.case_accept_with_promise(case=_deferred(hall), user=hall.officer, now=ACCEPTED_AT)
    with pytest.raises(CaseError, match="不是待补交的容缺材料"):
        services.case_deferred_material_received(case=case, user=hall.officer, material=_line(case, "居民身份证"))


def test_it_records_every_step_as_an_event_with_states(hall):
    case = hall.accepted()
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", "from_state", "to_state"))
    assert kinds[0] == (EventKind.OPENED, "", CaseState.RECEIVED)
    assert kinds[-1] == (EventKind.ACCEPTED, CaseState.RECEIVED, CaseState.ACCEPTED)
    assert case.version == len(kinds) - 1
