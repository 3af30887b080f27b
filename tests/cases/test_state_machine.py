"""Random sequences of case services on the demo hall: the table predicts every refusal, and refusals change nothing."""

import datetime
import itertools
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from quangangtong.cases import lifecycle, services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import Action, CaseState, Decision
from quangangtong.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CorrectionNotice,
    Delivery,
    DeliveryProof,
    EventKind,
    MaterialStatus,
    Suspension,
)

from .conftest import ACCEPTED_AT, BENEFIT, HARDSHIP, UNEMPLOYMENT

pytestmark = pytest.mark.django_db

REACHABLE = lifecycle.reachable_states()
PICK = st.integers(0, 1000)
# The actions a person takes through a service (the others are the system's: nightly run, release).
SYSTEM_ACTIONS = (Action.ABANDON_CORRECTION, Action.TERMINATE, Action.RELEASE, Action.ACCEPT_BY_LAW)
SERVICE_ACTIONS = [a for a in Action if a not in SYSTEM_ACTIONS]
ITEMS = [BENEFIT, HARDSHIP, UNEMPLOYMENT]
# Events that record a change of state; the others (materials marked, colours, 督办 …) leave it where it was.
SAME_STATE = {EventKind.MATERIAL_MARKED, EventKind.WARNING_CHANGED, EventKind.STEP_OVERRUN, EventKind.STEP_PASSED,
              EventKind.STEP_RETURNED, EventKind.DEFERRED_RECEIVED}  # fmt: skip


def _snapshot():
    """Return everything a case service may change, to show that a refused one changed nothing."""
    return (
        list(Case.objects.order_by("id").values_list(
            "id", "state", "version", "current_step", "decision", "accepted_at", "promised_due", "pickup_code",
            "department_id", "closed_at",
        )),
        list(CaseMaterial.objects.order_by("id").values_list("id", "status", "received_originals", "promise_due")),
        CaseEvent.objects.count(),
        CorrectionNotice.objects.count(),
        list(Suspension.objects.order_by("id").values_list("id", "ended_at")),
        Delivery.objects.count(),
    )  # fmt: skip


class CaseMachine(RuleBasedStateMachine):
    hall = None

    def __init__(self):
        super().__init__()
        # Each run starts from the demo hall the test loaded and is rolled back at the end.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = ACCEPTED_AT
        self.finished = {}
        self.last_night = None

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _tick(self):
        self.now += datetime.timedelta(minutes=30)
        return self.now

    def _case(self, pick):
        # Mostly a case still open (so that runs get deep), sometimes any case, finished ones included.
        cases = Case.objects.order_by("id")
        open_cases = list(cases.exclude(state__in=lifecycle.TERMINAL_STATES))
        choices = open_cases if open_cases and pick % 4 else list(cases)
        return choices[pick // 4 % len(choices)]

    def _attempt(self, case, action, call, *, decision=""):
        """Call a service for action; the lifecycle table must predict a refusal, which must change nothing."""
        before_facts = case.facts()
        verdict = lifecycle.check(before_facts, action)
        before = _snapshot()
        refusal = result = None
        try:
            result = call()
        except CaseError as refused:
            refusal = refused
        if refusal is not None:
            event(f"{action}: refused {refusal.status}")
            assert refusal.message
            assert _snapshot() == before, f"{action} was refused ({refusal.message}) but changed something"
            if not verdict.allowed:
                assert (refusal.status, refusal.message) == (409, verdict.reason)
            return None
        event(f"{action}: done")
        assert verdict.allowed, f"{action} succeeded in {before_facts.state}: {verdict.reason}"
        case.refresh_from_db()
        expected = lifecycle.apply(before_facts, action, decision=decision)
        if expected.state == CaseState.DECIDED and lifecycle.check(expected, Action.RELEASE).allowed:
            expected = lifecycle.apply(expected, Action.RELEASE)
        assert case.state == expected.state
        return result

    # --- rules ----------------------------------------------------------------------------------

    def _service(self, case, action, *, decision=Decision.GRANTED, line=0, status=MaterialStatus.RECEIVED,
                 right_code=True):  # fmt: skip
        """Return a call of the service that takes action on case (with plausible input)."""
        officer, approver, now = self.hall.officer, self.hall.approver, self._tick()
        lines = list(case.materials.order_by("id"))
        deferred = [m for m in lines if m.status == MaterialStatus.DEFERRED] or lines
        material = lines[line % len(lines)]
        decider = officer if case.is_immediate else approver
        calls = {
            Action.MARK_MATERIAL: lambda: services.case_material_mark(
                case=case, user=officer, material=material, status=status, defect="复印件不清晰",
                promise="承诺三日内补交", promise_due=now.date() + datetime.timedelta(days=3), now=now,
            ),
            Action.ACCEPT: lambda: services.case_accept(case=case, user=officer, now=now),
            Action.ACCEPT_WITH_PROMISE: lambda: services.case_accept_with_promise(case=case, user=officer, now=now),
            Action.REQUEST_CORRECTION: lambda: services.case_request_correction(case=case, user=officer, now=now),
            Action.CORRECTION_RECEIVED: lambda: services.case_correction_received(case=case, user=officer, now=now),
            Action.REJECT: lambda: services.case_reject(case=case, user=officer, reason="不属于本机关职权", now=now),
            Action.DEFERRED_RECEIVED: lambda: services.case_deferred_material_received(
                case=case, user=officer, material=deferred[line % len(deferred)], now=now
            ),
            Action.TRANSFER: lambda: services.case_transfer(case=case, user=officer, now=now),
            Action.STEP_PASS: lambda: services.case_step_pass(case=case, user=approver, opinion="同意", now=now),
            Action.STEP_RETURN: lambda: services.case_step_return(case=case, user=approver, opinion="退回", now=now),
            Action.SUSPEND: lambda: services.case_suspend(
                case=case, user=approver, kind="site_inspection", reason="现场核查", now=now
            ),
            Action.RESUME: lambda: services.case_resume(case=case, user=approver, result="符合要求", now=now),
            Action.DECIDE: lambda: services.case_decide(
                case=case, user=decider, decision=decision, result_number="文号1", opinion="理由", now=now
            ),
            Action.DELIVER_AT_WINDOW: lambda: services.case_deliver_at_window(
                case=case, user=officer, proof=DeliveryProof.PICKUP_CODE,
                pickup_code=case.pickup_code if right_code else "0000000", now=now,
            ),
            Action.POST: lambda: services.case_post(
                case=case, user=officer, carrier="EMS", tracking_number="1123456789012", address="友谊路18号", now=now
            ),
            Action.MARK_DELIVERED: lambda: services.case_mark_delivered(case=case, user=officer, now=now),
        }  # fmt: skip
        return calls[action]

    @initialize(codes=st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3))
    def open_cases(self, codes):
        for code in codes:
            self.hall.open(code, now=self._tick())

    @rule(code=st.sampled_from(ITEMS))
    def open_case(self, code):
        self.hall.open(code, now=self._tick())

    @rule(pick=PICK, choice=PICK, decision=st.sampled_from(Decision.values), line=PICK)
    def advance(self, pick, choice, decision, line):
        """Take a step the case's state allows, with input that should pass (receiving everything first)."""
        case = self._case(pick)
        if case.state == CaseState.RECEIVED and choice % 2:
            for material in case.materials.order_by("id"):
                if material.status != MaterialStatus.RECEIVED:
                    self._attempt(case, Action.MARK_MATERIAL, self._receive(case, material))
            case.refresh_from_db()
        # Rejecting ends a case at once: leave that to the stray rule, so that runs get deep.
        allowed = [a for a in lifecycle.allowed_actions(case.facts()) if a in SERVICE_ACTIONS and a != Action.REJECT]
        if allowed:
            action = allowed[choice % len(allowed)]
            self._attempt(case, action, self._service(case, action, decision=decision, line=line), decision=decision)

    def _receive(self, case, material):
        return lambda: services.case_material_mark(
            case=case, user=self.hall.officer, material=material, status=MaterialStatus.RECEIVED, now=self._tick()
        )

    @rule(
        pick=PICK, action=st.sampled_from(SERVICE_ACTIONS), decision=st.sampled_from(Decision.values), line=PICK,
        status=st.sampled_from(MaterialStatus.values), right_code=st.booleans(),
    )  # fmt: skip
    def stray(self, pick, action, decision, line, status, right_code):
        """Try any action on any case, allowed or not, right input or not."""
        case = self._case(pick)
        call = self._service(case, action, decision=decision, line=line, status=status, right_code=right_code)
        self._attempt(case, action, call, decision=decision)

    @rule(days=st.integers(1, 12))
    def night(self, days):
        day = self.now.date() + datetime.timedelta(days=days)
        self.now = self.now.replace(year=day.year, month=day.month, day=day.day, hour=1)
        services.cases_recompute(today=day, now=self.now)
        self.last_night = day

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def every_case_is_in_a_state_the_table_reaches_and_its_history_explains_it(self):
        events = {}
        for case_id, kind, before, after in CaseEvent.objects.order_by("at", "id").values_list(
            "case_id", "kind", "from_state", "to_state"
        ):
            events.setdefault(case_id, []).append((kind, before, after))
        for case_id, state in Case.objects.values_list("id", "state"):
            assert state in REACHABLE
            history = events[case_id]
            assert history[0][0] == EventKind.OPENED
            assert history[-1][2] == state, f"case {case_id}: {state} after {history[-1]}"
            for (_, _, previous), (kind, before, after) in itertools.pairwise(history):
                assert before == previous, f"case {case_id}: {kind} starts from {before}, not {previous}"
                if kind in SAME_STATE:
                    assert before == after or kind == EventKind.DEFERRED_RECEIVED

    @invariant()
    def no_case_waits_undecided_past_its_window_after_a_night(self):
        if self.last_night is None:
            return
        for case in Case.objects.filter(state=CaseState.RECEIVED):
            assert services.intake_window_lapsed(case, today=self.last_night) is None, case.number

    @invariant()
    def the_law_accepts_from_the_receipt_and_with_no_officer(self):
        for by_law in CaseEvent.objects.filter(kind=EventKind.ACCEPTED_BY_LAW).select_related("case"):
            event("accepted by law")
            case = by_law.case
            assert by_law.actor is None
            assert (case.accepted_at, case.accepted_by, case.intake_window_missed) == (case.opened_at, None, True)

    @invariant()
    def a_finished_case_never_changes(self):
        rows = Case.objects.filter(state__in=lifecycle.TERMINAL_STATES).values_list("id", "state", "version")
        for row in rows:
            events = CaseEvent.objects.filter(case=row[0]).count()
            assert self.finished.setdefault(row[0], (row, events)) == (row, events)


def test_random_case_operations_keep_every_case_consistent(hall):
    CaseMachine.hall = hall
    run_state_machine_as_test(
        CaseMachine,
        settings=settings(
            # QGT_STATEFUL_EXAMPLES=500 explores longer, e.g. after changing the services.
            max_examples=int(os.environ.get("QGT_STATEFUL_EXAMPLES", "30")),
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
