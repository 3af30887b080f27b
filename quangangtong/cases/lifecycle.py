"""The states of a case (办件) and the actions that move it: a table with no database access.

Pages and the API ask ``actions_for(facts)`` what can be done now; services call ``apply`` and store the
result. Every refusal carries its reason in Chinese. The states follow cn_standards.md §2.6:

    收件 ─┬─ 受理 ───────────────┐            (即办件: 当场决定)
          ├─ 容缺受理 ───────────┤
          ├─ 逾期未告知视为受理 ─┤            (系统: 收件后五个工作日内未告知补正也未决定, 行政许可法 §32)
          ├─ 待补正 ─ 补正收到 → 收件;  逾期 → 补正不来办结 (终态)
          └─ 不予受理 (终态)     │
    受理 ─ 转办 → 审查中 (承办 → 审核 → 批准; 通过 / 退回一步) ⇄ 特别程序挂起 (计时暂停)
    批准 ─ 决定 (准予 / 不予) → 已决定 ─ 结果送达窗口 → 待出件 ─┬─ 窗口出件 → 已送达 (终态)
                                                              └─ 快递寄出 → 已寄出 → 已送达
    容缺: 准予的结果在容缺材料补齐前不送达窗口; 材料逾期未补 → 终止 (终态).
"""

from dataclasses import dataclass, replace

from django.db import models


class CaseState(models.TextChoices):
    RECEIVED = "received", "收件"
    CORRECTION = "correction", "待补正"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    CORRECTION_ABANDONED = "correction_abandoned", "补正不来办结"
    ACCEPTED = "accepted", "已受理"
    ACCEPTED_DEFERRED = "accepted_deferred", "容缺受理"
    REVIEWING = "reviewing", "审查中"
    SUSPENDED = "suspended", "特别程序挂起"
    DECIDED = "decided", "已决定"
    READY = "ready", "待出件"
    POSTED = "posted", "已寄出"
    DELIVERED = "delivered", "已送达"
    TERMINATED = "terminated", "终止"


class Step(models.TextChoices):
    """审批环节 (the 承办 → 审核 → 批准 codes 1, 2, 3 of provincial exchanges)."""

    HANDLE = "handle", "承办"
    REVIEW = "review", "审核"
    APPROVE = "approve", "批准"


class Decision(models.TextChoices):
    GRANTED = "granted", "准予"
    REFUSED = "refused", "不予"


class Action(models.TextChoices):
    MARK_MATERIAL = "mark_material", "登记材料"
    ACCEPT = "accept", "受理"
    ACCEPT_WITH_PROMISE = "accept_with_promise", "容缺受理"
    ACCEPT_BY_LAW = "accept_by_law", "逾期未告知视为受理"
    REQUEST_CORRECTION = "request_correction", "一次性告知补正"
    CORRECTION_RECEIVED = "correction_received", "收取补正材料"
    REJECT = "reject", "不予受理"
    ABANDON_CORRECTION = "abandon_correction", "补正不来办结"
    DEFERRED_RECEIVED = "deferred_received", "收取容缺材料"
    TERMINATE = "terminate", "终止办理"
    TRANSFER = "transfer", "转办"
    STEP_PASS = "step_pass", "环节通过"
    STEP_RETURN = "step_return", "环节退回"
    SUSPEND = "suspend", "特别程序挂起"
    RESUME = "resume", "恢复计时"
    DECIDE = "decide", "作出决定"
    RELEASE = "release", "结果送达窗口"
    DELIVER_AT_WINDOW = "deliver_at_window", "窗口出件"
    POST = "post", "快递寄出"
    MARK_DELIVERED = "mark_delivered", "确认送达"


STEP_ORDER = (Step.HANDLE, Step.REVIEW, Step.APPROVE)
TERMINAL_STATES = frozenset(
    {CaseState.NOT_ACCEPTED, CaseState.CORRECTION_ABANDONED, CaseState.DELIVERED, CaseState.TERMINATED}
)
# The states in which the legal and promised clocks run (a suspended case keeps its clocks, stopped).
CLOCK_STATES = frozenset({CaseState.ACCEPTED, CaseState.ACCEPTED_DEFERRED, CaseState.REVIEWING, CaseState.SUSPENDED})
# The states in which a 容缺 material may still arrive, or its lateness end the case.
DEFERRAL_STATES = frozenset({CaseState.ACCEPTED_DEFERRED, CaseState.REVIEWING, CaseState.SUSPENDED, CaseState.DECIDED})

# action -> (the states it may start from, the state it leads to; None: it stays where it is)
TRANSITIONS = {
    Action.MARK_MATERIAL: ({CaseState.RECEIVED}, None),
    Action.ACCEPT: ({CaseState.RECEIVED}, CaseState.ACCEPTED),
    Action.ACCEPT_WITH_PROMISE: ({CaseState.RECEIVED}, CaseState.ACCEPTED_DEFERRED),
    # Accepted whatever the materials (the law says so); 容缺 materials already promised keep their promise.
    Action.ACCEPT_BY_LAW: ({CaseState.RECEIVED}, CaseState.ACCEPTED),
    Action.REQUEST_CORRECTION: ({CaseState.RECEIVED}, CaseState.CORRECTION),
    Action.CORRECTION_RECEIVED: ({CaseState.CORRECTION}, CaseState.RECEIVED),
    Action.REJECT: ({CaseState.RECEIVED, CaseState.CORRECTION}, CaseState.NOT_ACCEPTED),
    Action.ABANDON_CORRECTION: ({CaseState.CORRECTION}, CaseState.CORRECTION_ABANDONED),
    Action.DEFERRED_RECEIVED: (DEFERRAL_STATES, None),
    Action.TERMINATE: (DEFERRAL_STATES, CaseState.TERMINATED),
    Action.TRANSFER: ({CaseState.ACCEPTED, CaseState.ACCEPTED_DEFERRED}, CaseState.REVIEWING),
    Action.STEP_PASS: ({CaseState.REVIEWING}, CaseState.REVIEWING),
    Action.STEP_RETURN: ({CaseState.REVIEWING}, CaseState.REVIEWING),
    Action.SUSPEND: ({CaseState.REVIEWING}, CaseState.SUSPENDED),
    Action.RESUME: ({CaseState.SUSPENDED}, CaseState.REVIEWING),
    Action.DECIDE: ({CaseState.REVIEWING, CaseState.ACCEPTED, CaseState.ACCEPTED_DEFERRED}, CaseState.DECIDED),
    Action.RELEASE: ({CaseState.DECIDED}, CaseState.READY),
    Action.DELIVER_AT_WINDOW: ({CaseState.READY}, CaseState.DELIVERED),
    Action.POST: ({CaseState.READY}, CaseState.POSTED),
    Action.MARK_DELIVERED: ({CaseState.POSTED}, CaseState.DELIVERED),
}

# Why an action is refused in a state, where the generic sentence would not tell the officer what to do.
STATE_REASONS = {
    (Action.ACCEPT, CaseState.CORRECTION): "办件正在等待补正，请先收取补正材料",
    (Action.ACCEPT_WITH_PROMISE, CaseState.CORRECTION): "办件正在等待补正，请先收取补正材料",
    (Action.REQUEST_CORRECTION, CaseState.CORRECTION): "已出具一次性告知书，请等待申请人补正后再核对材料",
    (Action.ACCEPT_BY_LAW, CaseState.CORRECTION): "已在期限内出具一次性告知书，不适用逾期视为受理",
    (Action.TRANSFER, CaseState.RECEIVED): "办件尚未受理，请先受理再转办",
    (Action.TRANSFER, CaseState.REVIEWING): "办件已转办，正在审查中",
    (Action.STEP_PASS, CaseState.SUSPENDED): "办件处于特别程序挂起中，请先恢复计时",
    (Action.STEP_RETURN, CaseState.SUSPENDED): "办件处于特别程序挂起中，请先恢复计时",
    (Action.DECIDE, CaseState.SUSPENDED): "办件处于特别程序挂起中，请先恢复计时",
    (Action.SUSPEND, CaseState.SUSPENDED): "办件已处于特别程序挂起中",
    (Action.DELIVER_AT_WINDOW, CaseState.DECIDED): "准予的结果须等容缺材料补齐后才能出件",
    (Action.POST, CaseState.DECIDED): "准予的结果须等容缺材料补齐后才能寄出",
}


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case: its state and the few facts that guard its actions."""

    state: str
    immediate: bool = False  # 即办件 (decided at the window) rather than 承诺件
    step: str = ""  # the approval step while under review
    deferred_outstanding: int = 0  # 容缺 materials promised and not yet received
    decision: str = ""


@dataclass(frozen=True)
class Check:
    """Whether an action may be taken now and, when not, why (in Chinese)."""

    action: str
    allowed: bool
    reason: str = ""

    @property
    def label(self):
        return Action(self.action).label


class Refused(Exception):
    """The rules refuse an action; message says why, in Chinese."""

    def __init__(self, check):
        super().__init__(check.reason)
        self.check = check
        self.reason = check.reason


def _state_label(state):
    return CaseState(state).label


def _guard(facts, action):
    """Return the reason a state-allowed action is still refused by the case's facts, or ""."""
    state, step = facts.state, facts.step
    if action == Action.ACCEPT and facts.deferred_outstanding:
        return "有材料登记为容缺后补，请办理容缺受理，或收齐材料后受理"
    if action == Action.ACCEPT_WITH_PROMISE and not facts.deferred_outstanding:
        return "没有登记为容缺后补的材料，不能容缺受理；材料齐全的请直接受理"
    if action in (Action.DEFERRED_RECEIVED, Action.TERMINATE) and not facts.deferred_outstanding:
        return "办件没有待补交的容缺材料"
    if action == Action.TERMINATE and state == CaseState.DECIDED and facts.decision != Decision.GRANTED:
        return "办件已作出不予决定，无需终止"
    if action == Action.TRANSFER and facts.immediate:
        return "即办件在窗口当场决定，不转办"
    if action == Action.STEP_PASS and step == Step.APPROVE:
        return "批准环节请作出决定（准予或不予）"
    if action in (Action.STEP_PASS, Action.STEP_RETURN) and step not in STEP_ORDER:
        return "办件没有正在进行的审批环节"
    if action == Action.STEP_RETURN and step == Step.HANDLE:
        return "承办是第一个环节，不能再退回；材料有问题请挂起补正，或作出不予决定"
    if action == Action.DECIDE:
        if state == CaseState.REVIEWING and step != Step.APPROVE:
            return f"办件还在{Step(step).label if step in Step.values else '审查'}环节，到批准环节才能作出决定"
        if state in (CaseState.ACCEPTED, CaseState.ACCEPTED_DEFERRED) and not facts.immediate:
            return "承诺件须转办到审批部门，由批准环节作出决定"
    if action == Action.RELEASE and facts.decision == Decision.GRANTED and facts.deferred_outstanding:
        return "准予的结果须等容缺材料补齐后才能送达窗口出件"
    return ""


def check(facts, action):
    """Return whether action may be taken on a case with these facts, and why not."""
    action = Action(action)
    sources, _ = TRANSITIONS[action]
    if facts.state in TERMINAL_STATES:
        return Check(action, False, f"办件为“{_state_label(facts.state)}”，已经结束，不能再进行“{action.label}”")
    if facts.state not in sources:
        reason = STATE_REASONS.get((action, facts.state)) or (
            f"办件当前为“{_state_label(facts.state)}”，不能进行“{action.label}”"
        )
        return Check(action, False, reason)
    reason = _guard(facts, action)
    return Check(action, not reason, reason)


def actions_for(facts):
    """Return a Check for every action, in the table's order: what can be done now and why not the rest."""
    return [check(facts, action) for action in Action]


def allowed_actions(facts):
    """Return the actions that may be taken now."""
    return [c.action for c in actions_for(facts) if c.allowed]


def apply(facts, action, *, decision="", deferred_outstanding=None):
    """Return the facts after action, or raise Refused with the reason.

    decision is required by DECIDE; deferred_outstanding gives MARK_MATERIAL the new number of 容缺 materials.
    """
    verdict = check(facts, action)
    if not verdict.allowed:
        raise Refused(verdict)
    action = Action(action)
    _, target = TRANSITIONS[action]
    after = replace(facts, state=target or facts.state)
    if action == Action.MARK_MATERIAL and deferred_outstanding is not None:
        after = replace(after, deferred_outstanding=max(0, deferred_outstanding))
    elif action == Action.ACCEPT_BY_LAW and facts.deferred_outstanding:
        after = replace(after, state=CaseState.ACCEPTED_DEFERRED)
    elif action == Action.DEFERRED_RECEIVED:
        left = facts.deferred_outstanding - 1
        state = CaseState.ACCEPTED if facts.state == CaseState.ACCEPTED_DEFERRED and not left else facts.state
        after = replace(after, state=state, deferred_outstanding=left)
    elif action == Action.TRANSFER:
        after = replace(after, step=Step.HANDLE)
    elif action == Action.STEP_PASS:
        after = replace(after, step=STEP_ORDER[STEP_ORDER.index(facts.step) + 1])
    elif action == Action.STEP_RETURN:
        after = replace(after, step=STEP_ORDER[STEP_ORDER.index(facts.step) - 1])
    elif action == Action.DECIDE:
        if decision not in Decision.values:
            raise Refused(Check(action, False, "请选择决定：准予或不予"))
        after = replace(after, step="", decision=decision)
    return after


def reachable_states(start=CaseState.RECEIVED):
    """Return every state some sequence of allowed actions leads to from start (for tests and diagrams)."""
    seen, frontier = set(), [CaseFacts(state=start)]
    explored = set()
    while frontier:
        facts = frontier.pop()
        if facts in explored:
            continue
        explored.add(facts)
        seen.add(facts.state)
        for variant in _variants(facts):
            for action in allowed_actions(variant):
                for decision in Decision.values if action == Action.DECIDE else [""]:
                    frontier.append(apply(variant, action, decision=decision))
    return seen


def _variants(facts):
    # The facts the table does not set itself: the item's case type and whether 容缺 materials were marked.
    yield facts
    yield replace(facts, immediate=not facts.immediate)
    if facts.state == CaseState.RECEIVED:
        yield replace(facts, deferred_outstanding=1)
        yield replace(facts, deferred_outstanding=1, immediate=not facts.immediate)
