"""What pages and the API read: one case, its timeline and actions, inboxes, supervision lists, the ledger."""

import datetime

from django.db import models as dj
from django.utils import timezone

from quangangtong.accounts.models import DepartmentMembership
from quangangtong.accounts.roles import Role, user_roles
from quangangtong.cases import lifecycle
from quangangtong.cases.clocks import WarningLevel
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import Action, CaseState
from quangangtong.cases.models import (
    Case,
    PickupMethod,
)
from quangangtong.cases.services._common import (
    APPROVER_ROLES,
    WINDOW_ROLES,
    _is_member,
)
from quangangtong.catalog.models import CaseType

# --- what pages and the API read ----------------------------------------------------------------


def case_get(*, number):
    """Return the case with this number, or refuse (404)."""
    number = str(number or "").strip()
    case = None
    # Text no case number has (NUL, which PostgreSQL refuses; more than the field holds) is simply not found.
    if number.isprintable() and len(number) <= Case._meta.get_field("number").max_length:
        case = Case.objects.select_related("site", "item", "department").filter(number=number).first()
    if case is None:
        raise CaseError(f"办件编号“{number[:64]}”不存在，请核对。", status=404, field="number")
    return case


def case_timeline(case):
    """Return the case's events, oldest first, with their actors and departments."""
    return case.events.select_related("actor", "department").order_by("at", "id")


# Who may take each action (besides the state allowing it); None: only the system (nightly run, release).
ACTION_ROLES = {
    Action.STEP_PASS: APPROVER_ROLES,
    Action.STEP_RETURN: APPROVER_ROLES,
    Action.SUSPEND: APPROVER_ROLES,
    Action.RESUME: APPROVER_ROLES,
    Action.ABANDON_CORRECTION: None,
    Action.ACCEPT_BY_LAW: None,
    Action.TERMINATE: None,
    Action.RELEASE: None,
}


def case_actions(*, case, user):
    """Return a lifecycle.Check for every action: whether user may take it on case now, and why not."""
    facts = case.facts()
    held = user_roles(user)
    checks = []
    for verdict in lifecycle.actions_for(facts):
        action = verdict.action
        roles = ACTION_ROLES.get(action, WINDOW_ROLES)
        if action == Action.DECIDE and not (facts.immediate and facts.state != CaseState.REVIEWING):
            roles = APPROVER_ROLES
        if verdict.allowed:
            if roles is None:
                verdict = lifecycle.Check(action, False, "由系统自动处理")
            elif not held & set(roles):
                names = "、".join(Role(role).label for role in roles)
                verdict = lifecycle.Check(action, False, f"需要{names}岗位")
            elif roles == APPROVER_ROLES and not _is_member(user, case.department or case.item.department):
                verdict = lifecycle.Check(action, False, "只有承办部门的审批人员可以办理")
        checks.append(verdict)
    return checks


def _by_urgency(cases):
    urgency = dj.Case(
        dj.When(warning=WarningLevel.RED, then=0), dj.When(warning=WarningLevel.YELLOW, then=1), default=2,
        output_field=dj.IntegerField(),
    )  # fmt: skip
    open_supervisions = dj.Count("supervisions", filter=dj.Q(supervisions__replied_at=None))
    return (
        cases.select_related("site", "item", "department")
        .annotate(urgency=urgency, open_supervisions=open_supervisions)
        .order_by("urgency", dj.F("remaining_working_days").asc(nulls_last=True), "promised_due", "id")
    )


REVIEW_STATES = (CaseState.REVIEWING, CaseState.SUSPENDED)


def department_inbox(*, department):
    """Return the department's cases under review, most urgent first, with open_supervisions counted."""
    return _by_urgency(Case.objects.filter(department=department, state__in=REVIEW_STATES))


def approver_inbox(*, user):
    """Return the cases under review in every department user belongs to, most urgent first."""
    departments = DepartmentMembership.objects.filter(user=user).values("department")
    return _by_urgency(Case.objects.filter(department__in=departments, state__in=REVIEW_STATES))


def cases_for_supervision(*, site=None):
    """Return the running cases that are yellow or red (a step overrun turns a case yellow), most urgent first.

    A case the law accepted because the window missed its five days (intake_window_missed) is listed too.
    """
    watched = dj.Q(warning__in=[WarningLevel.YELLOW, WarningLevel.RED]) | dj.Q(intake_window_missed=True)
    cases = Case.objects.filter(watched, state__in=lifecycle.CLOCK_STATES)
    if site is not None:
        cases = cases.filter(site=site)
    return _by_urgency(cases)


def cases_ledger(
    *, site=None, department=None, state=None, warning=None, item=None, pickup_method=None, delivered=None,
    accepted_from=None, accepted_to=None,
):  # fmt: skip
    """Return the 业务受理转办明细表: accepted 承诺件, oldest first, filtered; refuse (400) a filter it cannot use.

    accepted_from / accepted_to are local dates, both included; delivered is True, False or None (all).
    """
    cases = Case.objects.filter(case_type=CaseType.PROMISED, accepted_at__isnull=False)
    if site is not None:
        cases = cases.filter(site=site)
    if department is not None:
        cases = cases.filter(department=department)
    if item is not None:
        cases = cases.filter(item=item)
    if state:
        if state not in CaseState.values:
            raise CaseError("状态：请从列表中选择。", status=400, field="state")
        cases = cases.filter(state=state)
    if warning:
        if warning not in WarningLevel.values:
            raise CaseError("预警：请选择绿灯、黄灯或红灯。", status=400, field="warning")
        cases = cases.filter(warning=warning, state__in=lifecycle.CLOCK_STATES)
    if pickup_method:
        if pickup_method not in PickupMethod.values:
            raise CaseError("出件方式：请选择窗口领取或快递寄送。", status=400, field="pickup_method")
        cases = cases.filter(pickup_method=pickup_method)
    if delivered is not None:
        cases = cases.filter(state=CaseState.DELIVERED) if delivered else cases.exclude(state=CaseState.DELIVERED)
    if accepted_from and accepted_to and accepted_from > accepted_to:
        raise CaseError("受理日期：开始日期不能晚于结束日期。", status=400, field="accepted_from")
    tz = timezone.get_current_timezone()
    if accepted_from:
        start = datetime.datetime.combine(accepted_from, datetime.time.min, tzinfo=tz)
        cases = cases.filter(accepted_at__gte=start)
    if accepted_to:
        end = datetime.datetime.combine(accepted_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        cases = cases.filter(accepted_at__lt=end)
    return cases.select_related("site", "item", "department").order_by("accepted_at", "id")
