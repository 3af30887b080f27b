"""The lifecycle table on its own (no database): what each state allows, the reasons, and random walks."""

from dataclasses import replace

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from quangangtong.cases.lifecycle import (
    TERMINAL_STATES,
    TRANSITIONS,
    Action,
    CaseFacts,
    CaseState,
    Decision,
    Refused,
    Step,
    actions_for,
    allowed_actions,
    apply,
    check,
    reachable_states,
)

RECEIVED = CaseFacts(state=CaseState.RECEIVED)
REVIEWING = CaseFacts(state=CaseState.REVIEWING, step=Step.HANDLE)


def test_it_reaches_every_state_from_received():
    assert reachable_states() == set(CaseState)


def test_it_lets_terminal_states_do_nothing():
    for state in TERMINAL_STATES:
        facts = CaseFacts(state=state, deferred_outstanding=1, decision=Decision.GRANTED)
        assert allowed_actions(facts) == []
        assert all("已经结束" in c.reason for c in actions_for(facts))


def test_it_accepts_a_complete_application_and_refuses_one_with_deferred_materials():
    assert apply(RECEIVED, Action.ACCEPT).state == CaseState.ACCEPTED
    verdict = check(replace(RECEIVED, deferred_outstanding=1), Action.ACCEPT)
    assert not verdict.allowed
    assert "容缺受理" in verdict.reason


def test_it_accepts_with_promise_only_when_a_material_is_deferred():
    assert not check(RECEIVED, Action.ACCEPT_WITH_PROMISE).allowed
    facts = apply(RECEIVED, Action.MARK_MATERIAL, deferred_outstanding=1)
    assert apply(facts, Action.ACCEPT_WITH_PROMISE).state == CaseState.ACCEPTED_DEFERRED


@given(
    immediate=st.booleans(),
    deferred=st.integers(0, 3),
    step=st.sampled_from(["", *Step.values]),
    decision=st.sampled_from(["", *Decision.values]),
    state=st.sampled_from(CaseState.values),
)
def test_the_law_accepts_only_a_received_case_whatever_its_materials(immediate, deferred, step, decision, state):
    facts = CaseFacts(state=state, immediate=immediate, deferred_outstanding=deferred, step=step, decision=decision)
    verdict = check(facts, Action.ACCEPT_BY_LAW)
    assert verdict.allowed == (state == CaseState.RECEIVED), verdict.reason
    if not verdict.allowed:
        with pytest.raises(Refused):
            apply(facts, Action.ACCEPT_BY_LAW)
        return
    after = apply(facts, Action.ACCEPT_BY_LAW)
    # 容缺 materials the applicant promised keep their promise; otherwise a plain acceptance.
    assert after.state == (CaseState.ACCEPTED_DEFERRED if deferred else CaseState.ACCEPTED)
    assert (after.immediate, after.deferred_outstanding) == (immediate, deferred)
    # From there the case goes on as any accepted case: 转办 for a 承诺件, a decision at the window for a 即办件.
    assert (Action.TRANSFER in allowed_actions(after)) == (not immediate)
    assert (Action.DECIDE in allowed_actions(after)) == immediate


def test_the_law_does_not_accept_a_case_waiting_for_its_correction():
    verdict = check(CaseFacts(state=CaseState.CORRECTION), Action.ACCEPT_BY_LAW)
    assert not verdict.allowed
    assert "一次性告知书" in verdict.reason


def test_it_sends_a_correction_back_to_received():
    waiting = apply(RECEIVED, Action.REQUEST_CORRECTION)
    assert waiting.state == CaseState.CORRECTION
    assert check(waiting, Action.ACCEPT).reason == "办件正在等待补正，请先收取补正材料"
    assert apply(waiting, Action.CORRECTION_RECEIVED).state == CaseState.RECEIVED
    assert apply(waiting, Action.ABANDON_CORRECTION).state == CaseState.CORRECTION_ABANDONED
    assert apply(waiting, Action.REJECT).state == CaseState.NOT_ACCEPTED


def test_it_transfers_only_promised_cases():
    accepted = CaseFacts(state=CaseState.ACCEPTED)
    assert apply(accepted, Action.TRANSFER) == CaseFacts(state=CaseState.REVIEWING, step=Step.HANDLE)
    verdict = check(replace(accepted, immediate=True), Action.TRANSFER)
    assert verdict.reason == "即办件在窗口当场决定，不转办"


def test_it_walks_the_steps_forward_and_back_one_at_a_time():
    review = apply(REVIEWING, Action.STEP_PASS)
    assert review.step == Step.REVIEW
    approve = apply(review, Action.STEP_PASS)
    assert approve.step == Step.APPROVE
    assert apply(approve, Action.STEP_RETURN).step == Step.REVIEW
    assert apply(review, Action.STEP_RETURN).step == Step.HANDLE


def test_it_refuses_to_return_the_first_step_or_pass_the_last():
    assert "第一个环节" in check(REVIEWING, Action.STEP_RETURN).reason
    at_approve = replace(REVIEWING, step=Step.APPROVE)
    assert check(at_approve, Action.STEP_PASS).reason == "批准环节请作出决定（准予或不予）"


def test_it_decides_only_at_the_approve_step_or_at_the_window_for_an_immediate_case():
    assert "到批准环节" in check(REVIEWING, Action.DECIDE).reason
    at_approve = replace(REVIEWING, step=Step.APPROVE)
    decided = apply(at_approve, Action.DECIDE, decision=Decision.GRANTED)
    assert (decided.state, decided.step, decided.decision) == (CaseState.DECIDED, "", Decision.GRANTED)
    assert not check(CaseFacts(state=CaseState.ACCEPTED), Action.DECIDE).allowed
    assert check(CaseFacts(state=CaseState.ACCEPTED, immediate=True), Action.DECIDE).allowed


def test_it_needs_a_decision_to_decide():
    with pytest.raises(Refused, match="准予或不予"):
        apply(replace(REVIEWING, step=Step.APPROVE), Action.DECIDE, decision="maybe")


def test_it_stops_the_steps_while_suspended():
    suspended = apply(REVIEWING, Action.SUSPEND)
    assert suspended.state == CaseState.SUSPENDED
    assert check(suspended, Action.STEP_PASS).reason == "办件处于特别程序挂起中，请先恢复计时"
    assert apply(suspended, Action.RESUME) == REVIEWING


def test_it_holds_a_granted_result_until_the_deferred_material_arrives():
    decided = CaseFacts(state=CaseState.DECIDED, decision=Decision.GRANTED, deferred_outstanding=1)
    assert "容缺材料补齐" in check(decided, Action.RELEASE).reason
    complete = apply(decided, Action.DEFERRED_RECEIVED)
    assert (complete.state, complete.deferred_outstanding) == (CaseState.DECIDED, 0)
    assert apply(complete, Action.RELEASE).state == CaseState.READY


def test_it_releases_a_refusal_even_with_a_material_still_owed():
    refused = CaseFacts(state=CaseState.DECIDED, decision=Decision.REFUSED, deferred_outstanding=1)
    assert apply(refused, Action.RELEASE).state == CaseState.READY
    assert not check(refused, Action.TERMINATE).allowed


def test_it_leaves_deferred_acceptance_when_the_last_material_arrives():
    facts = CaseFacts(state=CaseState.ACCEPTED_DEFERRED, deferred_outstanding=2)
    one_left = apply(facts, Action.DEFERRED_RECEIVED)
    assert one_left.state == CaseState.ACCEPTED_DEFERRED
    assert apply(one_left, Action.DEFERRED_RECEIVED).state == CaseState.ACCEPTED


def test_it_terminates_only_cases_owing_a_deferred_material():
    assert apply(replace(REVIEWING, deferred_outstanding=1), Action.TERMINATE).state == CaseState.TERMINATED
    assert check(REVIEWING, Action.TERMINATE).reason == "办件没有待补交的容缺材料"


def test_it_delivers_at_the_window_or_by_post():
    ready = CaseFacts(state=CaseState.READY)
    assert apply(ready, Action.DELIVER_AT_WINDOW).state == CaseState.DELIVERED
    posted = apply(ready, Action.POST)
    assert posted.state == CaseState.POSTED
    assert apply(posted, Action.MARK_DELIVERED).state == CaseState.DELIVERED


def test_it_explains_every_refusal_in_chinese():
    for state in CaseState:
        for verdict in actions_for(CaseFacts(state=state)):
            assert verdict.allowed or verdict.reason
            assert verdict.label == Action(verdict.action).label


# --- random walks -------------------------------------------------------------------------------

REACHABLE = reachable_states()


@settings(max_examples=400)
@given(immediate=st.booleans(), data=st.data())
def test_it_stays_in_reachable_states_and_refusals_change_nothing(immediate, data):
    facts = CaseFacts(state=CaseState.RECEIVED, immediate=immediate)
    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        # Mostly an action the table allows (so that walks get far), sometimes any action at all.
        allowed = allowed_actions(facts)
        pool = allowed if allowed and data.draw(st.integers(0, 3), label="pick") else list(Action)
        action = data.draw(st.sampled_from(pool), label="action")
        decision = data.draw(st.sampled_from(Decision.values), label="decision")
        deferred = data.draw(st.integers(0, 2), label="deferred")
        verdict = check(facts, action)
        before = facts
        refusal = None
        try:
            facts = apply(facts, action, decision=decision, deferred_outstanding=deferred)
        except Refused as refused:
            refusal = refused
        if refusal is not None:
            assert not verdict.allowed
            assert refusal.reason == verdict.reason
            assert facts == before
            continue
        assert verdict.allowed
        assert facts.state in REACHABLE
        sources, target = TRANSITIONS[action]
        assert before.state in sources
        if action not in (Action.DEFERRED_RECEIVED, Action.ACCEPT_BY_LAW):
            assert facts.state == (target or before.state)
        assert facts.deferred_outstanding >= 0
        if facts.state == CaseState.REVIEWING:
            assert facts.step in Step.values
        if facts.state in TERMINAL_STATES:
            assert allowed_actions(facts) == []
    event(f"ended in {facts.state}")
