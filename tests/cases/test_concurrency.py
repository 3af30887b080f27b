"""Two people acting on one case at once, each thread on its own connection: exactly one of them wins."""

import threading

import pytest
from django.db import connection

from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState, Decision, Step
from quangangtong.cases.models import Case, CaseEvent, EventKind

from .conftest import ACCEPTED_AT, PERSON_ID

pytestmark = pytest.mark.django_db(transaction=True)

WINDOWS = 12


def _run_at_once(count, work):
    """Run work(n) in count threads released together; return each result or the CaseError it raised."""
    barrier = threading.Barrier(count, timeout=60)
    results, errors = [None] * count, []

    def run(n):
        try:
            if connection.vendor == "sqlite":
                # Wait for the write lock rather than fail after 5 s: this is about who wins, not latency.
                connection.ensure_connection()
                connection.connection.execute("PRAGMA busy_timeout = 120000")
            barrier.wait()
            results[n] = work(n)
        except CaseError as refused:
            results[n] = refused
        except BaseException as exc:  # handed to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def _winners_and_losers(results):
    losers = [r for r in results if isinstance(r, CaseError)]
    return [r for r in results if not isinstance(r, CaseError)], losers


def test_two_officers_accepting_one_case_at_once_accept_it_once(hall, make_staff):
    from quangangtong.accounts.roles import Role

    case = hall.receive_all(hall.open())
    officers = [hall.officer, make_staff(Role.WINDOW_OFFICER)]

    results = _run_at_once(2, lambda n: services.case_accept(case=case, user=officers[n], now=ACCEPTED_AT))

    winners, losers = _winners_and_losers(results)
    assert (len(winners), len(losers)) == (1, 1)
    assert losers[0].status == 409
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPTED).count() == 1
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED


def test_two_approvers_passing_the_same_step_pass_it_once(hall, make_staff):
    from quangangtong.accounts.models import DepartmentMembership
    from quangangtong.accounts.roles import Role

    case = hall.transferred()
    second = make_staff(Role.APPROVER)
    DepartmentMembership.objects.create(user=second, department=hall.rsj)
    approvers, shown = [hall.approver, second], case.version

    results = _run_at_once(
        2,
        lambda n: services.case_step_pass(case=case, user=approvers[n], opinion="同意", expected_version=shown),
    )

    winners, losers = _winners_and_losers(results)
    assert (len(winners), len(losers)) == (1, 1)
    assert "刚被他人处理过" in losers[0].message
    assert Case.objects.get(pk=case.pk).current_step == Step.REVIEW
    assert CaseEvent.objects.filter(case=case, kind=EventKind.STEP_PASSED).count() == 1


def test_two_approvers_deciding_at_once_decide_once(hall):
    case = hall.at_approval()
    decisions = [(Decision.GRANTED, ""), (Decision.REFUSED, "不符合条件")]

    results = _run_at_once(
        2,
        lambda n: services.case_decide(
            case=case, user=hall.approver, decision=decisions[n][0], opinion=decisions[n][1], result_number=f"N{n}"
        ),
    )

    winners, losers = _winners_and_losers(results)
    assert (len(winners), len(losers)) == (1, 1)
    case.refresh_from_db()
    assert case.result_number == winners[0].result_number
    assert CaseEvent.objects.filter(case=case, kind=EventKind.DECIDED).count() == 1


def test_windows_opening_cases_at_once_get_unique_gap_free_numbers(hall):
    def open_case(n):
        return hall.open(applicant_name=f"申请人{n}", id_number=PERSON_ID).number

    numbers = _run_at_once(WINDOWS, open_case)

    assert sorted(numbers) == [f"QJQ-HALL-20260930-{n:04d}" for n in range(1, WINDOWS + 1)]
