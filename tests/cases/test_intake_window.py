"""行政许可法 §32: five working days to tell the applicant what to correct, else the case is accepted from its receipt.

Received 2026-09-30 (the last working day before National Day): the five working days are 10-08, 10-09, the
worked Saturday 10-10, 10-12 and 10-13, so the window's last day is 10-13 and the law accepts the case on the
night of 10-14.
"""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from quangangtong.cases import services
from quangangtong.cases.documents import case_document_pdf
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import CorrectionNotice, EventKind, MaterialStatus
from quangangtong.notify.models import Notification
from quangangtong.workdays.services import WorkdayCalendar

from .conftest import ACCEPTED_AT, BENEFIT, HARDSHIP, PHONE, WORK_INJURY, D, at

pytestmark = pytest.mark.django_db

LAST_DAY = D(2026, 10, 13)
DAY_AFTER = D(2026, 10, 14)


def _night(day):
    return services.cases_recompute(today=day, now=at(day, 0, 5))


def _texts(case):
    return list(Notification.objects.filter(ref=f"case:{case.number}").values_list("template", flat=True))


def test_the_window_is_five_working_days_not_five_calendar_days(hall):
    assert WorkdayCalendar().add_working_days(D(2026, 9, 30), 5) == LAST_DAY
    case = hall.open()
    for day in (D(2026, 10, 6), D(2026, 10, 8), LAST_DAY):  # five calendar days would have ended on 10-05
        _night(day)
        case.refresh_from_db()
        assert case.state == CaseState.RECEIVED, day
    assert not case.events.filter(kind=EventKind.ACCEPTED_BY_LAW).exists()


def test_the_law_accepts_the_case_from_its_receipt_the_night_after_the_window(hall):
    case = hall.open()
    summary = _night(DAY_AFTER)
    case.refresh_from_db()
    calendar = WorkdayCalendar()
    assert summary.accepted_by_law == 1
    assert (case.state, case.accepted_at, case.accepted_by, case.intake_window_missed) == (
        CaseState.ACCEPTED, ACCEPTED_AT, None, True
    )  # fmt: skip
    # The clocks start from the receipt: a 10-working-day promise made on 09-30, seen on 10-14.
    assert case.promised_due == calendar.add_working_days(D(2026, 9, 30), 10) == D(2026, 10, 20)
    assert case.legal_due == calendar.add_working_days(D(2026, 9, 30), 20)
    assert (case.remaining_working_days, case.clocks_computed_on) == (4, DAY_AFTER)
    [event] = case.events.filter(kind=EventKind.ACCEPTED_BY_LAW)
    assert (event.actor, event.actor_role, event.from_state, event.to_state, event.business_action) == (
        None, "系统", CaseState.RECEIVED, CaseState.ACCEPTED, "通过"
    )  # fmt: skip
    assert "第三十二条" in event.opinion
    assert "逾期不告知" in event.opinion
    assert event.detail["received_on"] == "2026-09-30"
    assert event.detail["window_last_day"] == "2026-10-13"
    assert event.detail["promised_due"] == "2026-10-20"
    assert len(event.detail["missing"]) == 4  # nothing was ticked: accepted all the same


def test_it_texts_the_applicant_as_for_an_acceptance(hall):
    case = hall.open()
    _night(DAY_AFTER)
    [message] = Notification.objects.filter(ref=f"case:{case.number}")
    assert (message.template, message.phone) == ("case_accepted", PHONE)
    assert "2026年10月20日" in message.text


def test_two_runs_on_the_same_night_accept_once(hall):
    case = hall.open()
    first, second = _night(DAY_AFTER), _night(DAY_AFTER)
    case.refresh_from_db()
    assert (first.accepted_by_law, second.accepted_by_law) == (1, 0)
    assert case.events.filter(kind=EventKind.ACCEPTED_BY_LAW).count() == 1
    assert _texts(case) == ["case_accepted"]
    version, events = case.version, case.events.count()
    _night(D(2026, 10, 15))
    case.refresh_from_db()
    assert (case.version, case.events.count()) == (version, events)
    assert case.accepted_at == ACCEPTED_AT


def test_the_case_goes_on_as_any_accepted_case(hall):
    case = hall.open()
    _night(DAY_AFTER)
    case = services.case_transfer(case=case, user=hall.officer, now=at(DAY_AFTER))
    assert (case.state, case.department) == (CaseState.REVIEWING, hall.rsj)


def test_a_deferred_material_keeps_its_promise(hall):
    case = hall.receive_all(hall.open(BENEFIT), but=("解除或终止劳动关系",))
    line = case.materials.get(necessity="3")
    services.case_material_mark(
        case=case, user=hall.officer, material=line, status=MaterialStatus.DEFERRED, promise="十月二十日前补交",
        promise_due=D(2026, 10, 20), now=ACCEPTED_AT,
    )  # fmt: skip
    _night(DAY_AFTER)
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED_DEFERRED
    assert case.accepted_at == ACCEPTED_AT


def test_a_notice_given_in_time_keeps_the_case_waiting_for_its_correction(hall):
    case = hall.receive_all(hall.open(), but=["申请表"])
    services.case_request_correction(case=case, user=hall.officer, now=at(LAST_DAY, 16))
    _night(D(2026, 10, 20))
    case.refresh_from_db()
    assert case.state == CaseState.CORRECTION
    assert not case.intake_window_missed


def test_the_window_counts_once_the_applicant_brought_the_corrections_back(hall):
    case = hall.receive_all(hall.open(), but=["申请表"])
    services.case_request_correction(case=case, user=hall.officer, now=ACCEPTED_AT)
    services.case_correction_received(case=case, user=hall.officer, now=at(D(2026, 10, 8)))
    _night(D(2026, 10, 30))
    case.refresh_from_db()
    assert (case.state, case.accepted_at) == (CaseState.RECEIVED, None)


def test_it_refuses_a_first_correction_notice_after_the_window(hall):
    case = hall.receive_all(hall.open(), but=["申请表"])
    version = case.version
    with pytest.raises(CaseError) as refused:
        services.case_request_correction(case=case, user=hall.officer, now=at(DAY_AFTER, 9))
    assert (refused.value.status, refused.value.field) == (409, "materials")
    assert "2026-10-13" in refused.value.message
    assert "第三十二条" in refused.value.message
    case.refresh_from_db()
    assert (case.state, case.version) == (CaseState.RECEIVED, version)
    assert not CorrectionNotice.objects.filter(case=case).exists()
    assert _texts(case) == []


def test_it_still_takes_a_notice_on_the_windows_last_day(hall):
    case = hall.receive_all(hall.open(), but=["申请表"])
    notice = services.case_request_correction(case=case, user=hall.officer, now=at(LAST_DAY, 17))
    assert notice.sequence == 1


def test_a_late_acceptance_by_the_officer_counts_from_the_receipt_and_is_flagged(hall):
    case = hall.receive_all(hall.open())
    case = services.case_accept(case=case, user=hall.officer, now=at(DAY_AFTER, 9))
    assert (case.accepted_at, case.accepted_by, case.intake_window_missed) == (ACCEPTED_AT, hall.officer, True)
    assert case.promised_due == D(2026, 10, 20)
    event = case.events.get(kind=EventKind.ACCEPTED)
    assert event.detail["accepted_on_receipt"] is True
    assert event.detail["window_last_day"] == "2026-10-13"


def test_an_acceptance_in_time_counts_from_its_own_day(hall):
    case = hall.receive_all(hall.open())
    case = services.case_accept(case=case, user=hall.officer, now=at(LAST_DAY, 9))
    assert (case.accepted_at, case.intake_window_missed) == (at(LAST_DAY, 9), False)
    assert "accepted_on_receipt" not in case.events.get(kind=EventKind.ACCEPTED).detail


def test_the_system_refuses_to_accept_by_law_inside_the_window(hall):
    case = hall.open()
    with pytest.raises(CaseError) as refused:
        services.case_accept_by_law(case=case, now=at(LAST_DAY, 23))
    assert refused.value.status == 409
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED


def test_the_supervision_list_shows_the_missed_window_whatever_the_colour(hall):
    case = hall.open(WORK_INJURY)  # 30 working days promised: still green when the law accepts it
    _night(DAY_AFTER)
    case.refresh_from_db()
    assert case.warning == "green"
    assert case.number in [c.number for c in services.cases_for_supervision(site=hall.site)]


def test_the_supervision_page_marks_the_missed_window(client, hall):
    today = timezone.localdate()
    received = WorkdayCalendar().add_working_days(today, -8)
    case = hall.open(WORK_INJURY, now=at(received))
    services.cases_recompute(today=today)
    client.force_login(hall.supervisor)
    page = client.get(reverse("office-supervision")).content.decode()
    assert f'data-case="{case.number}"' in page
    assert "逾期未告知，视为受理" in page
    # Asked for one colour, the list shows that colour only.
    assert (
        f'data-case="{case.number}"'
        not in client.get(reverse("office-supervision"), {"warning": "red"}).content.decode()
    )


def test_the_applicant_and_the_timeline_see_the_acceptance(hall):
    case = hall.open()
    _night(DAY_AFTER)
    assert "逾期未告知视为受理" in [label for _, label, _ in services.case_public_timeline(case)]
    case.refresh_from_db()
    _, pdf = case_document_pdf(case=case, key="acceptance", progress_url="https://example.org/progress/t/x/")
    assert pdf.startswith(b"%PDF")


def test_the_nightly_command_counts_the_cases_the_law_accepted(hall):
    hall.open()
    out = io.StringIO()
    call_command("cases_recompute", "--date", DAY_AFTER.isoformat(), stdout=out)
    assert "逾期未告知视为受理 1 件" in out.getvalue()


def test_the_window_page_explains_the_acceptance(client, hall):
    case = hall.open(HARDSHIP)
    _night(DAY_AFTER)
    client.force_login(hall.officer)
    page = client.get(reverse("window-case", args=[case.number])).content.decode()
    assert "依法自收件之日起视为受理" in page


def test_the_window_page_shows_the_last_day_to_ask_for_corrections(client, hall):
    today = timezone.localdate()
    case = hall.open(now=at(today))
    client.force_login(hall.officer)
    page = client.get(reverse("window-case", args=[case.number])).content.decode()
    last_day = WorkdayCalendar().add_working_days(today, 5)
    assert f'data-last-day="{last_day:%Y-%m-%d}"' in page
    assert "前一次性告知补正" in page


def test_the_window_page_says_when_the_window_has_passed(client, hall):
    case = hall.open()  # received 2026-09-30, long before today
    client.force_login(hall.officer)
    page = client.get(reverse("window-case", args=[case.number])).content.decode()
    assert "告知期限已于 2026-10-13 届满" in page
