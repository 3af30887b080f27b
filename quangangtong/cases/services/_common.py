"""Shared by the 办件 rules: intake at the window, 转办 and approval, clocks, 督办 and delivery.

Every public function that changes something is one transaction. It locks the case row first (SELECT … FOR
UPDATE; on SQLite the IMMEDIATE transaction serialises writers), asks the lifecycle whether the action is
allowed in the case's state, checks the user's role (and, for approvers, their department), validates all
input, and only then writes: the change and a CaseEvent. Two officers acting on one case at once are thus
serialised; the second sees the state the first left and is refused with the reason (409). A page passes
``expected_version=case.version`` so that a click made on a stale page is refused too, even when the new
state would allow it (two approvers passing the same step at once).

Errors are CaseError(message in Chinese naming the field, status 400/403/404/409, field).
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils import timezone

from quangangtong.accounts.models import DepartmentMembership
from quangangtong.accounts.roles import Role, user_roles
from quangangtong.cases import clocks, lifecycle
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState, Step
from quangangtong.cases.models import (
    BusinessAction,
    Carrier,
    Case,
    CaseCounter,
    CaseEvent,
    CaseMaterial,
    CaseRules,
    DocumentType,
    ItemClockRule,
)
from quangangtong.queueing.models import TicketStatus
from quangangtong.workdays.services import WorkdayCalendar

WINDOW_ROLES = (Role.WINDOW_OFFICER, Role.STATION_STAFF)

APPROVER_ROLES = (Role.APPROVER,)
SUPERVISOR_ROLES = (Role.SUPERVISOR,)
# Who may see a full identity number: those who check it against the person or the file (PIPL: only as needed).
IDENTITY_ROLES = (Role.WINDOW_OFFICER, Role.STATION_STAFF, Role.SUPERVISOR, Role.APPROVER)
SYSTEM_ROLE = "系统"
DEFAULT_REMEDIES = (
    "如对本决定不服，可以自收到本通知书之日起六十日内依法申请行政复议，"
    "或者自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。"
)
RESIDENT_ID_TYPES = (DocumentType.RESIDENT_ID, DocumentType.TEMPORARY_ID)
OTHER_DOCUMENT_RE = re.compile(r"[A-Z0-9()\-]{5,30}")
TRACKING_RE = {Carrier.SF: re.compile(r"SF\d{10,15}"), Carrier.EMS: re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}|\d{13}")}
TRACKING_EXAMPLE = {Carrier.SF: "SF1234567890123", Carrier.EMS: "1123456789012 或 EA123456789CN"}
SERVED_TICKET = (TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.HELD)
CLOCK_FIELDS = [
    "legal_due", "promised_due", "suspended_working_days", "suspended_calendar_days", "remaining_working_days",
    "warning", "clocks_computed_on", "step_due", "step_overdue",
]  # fmt: skip


# --- helpers ------------------------------------------------------------------------------------


def _role(user, roles, doing):
    """Return the first of roles user holds, or refuse (403) saying what they tried to do."""
    held = user_roles(user)
    for role in roles:
        if role in held:
            return role
    names = "、".join(Role(role).label for role in roles)
    raise CaseError(f"您的岗位无权{doing}（需要{names}岗位）。", status=403)


def _is_member(user, department):
    if user.is_superuser:
        return True
    return DepartmentMembership.objects.filter(user=user, department=department).exists()


def _approver(user, department, doing):
    """Return the approver role if user approves for department, or refuse (403)."""
    role = _role(user, APPROVER_ROLES, doing)
    if department is None or not _is_member(user, department):
        name = department.short_name if department else "审批部门"
        raise CaseError(f"只有{name}的审批人员可以{doing}。", status=403)
    return role


def _label(role):
    return Role(role).label if role in Role.values else role


def _required_text(value, *, field, message, max_length=None):
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise CaseError(message, status=400, field=field)
    if max_length and len(text) > max_length:
        raise CaseError(f"{message.split('：')[0]}：最多{max_length}个字。", status=400, field=field)
    return text


def _lock(case, expected_version=None):
    """Return the case re-read under a row lock; refuse when the page that sent the action is stale."""
    try:
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("site", "item", "item__department", "department")
            .get(pk=case.pk)
        )
    except Case.DoesNotExist:
        raise CaseError("办件不存在。", status=404) from None
    if expected_version is not None and locked.version != expected_version:
        raise CaseError(
            f"办件{locked.number}刚被他人处理过（当前为“{locked.get_state_display()}”），请刷新页面后再操作。"
        )
    return locked


def _transition(case, action, *, decision=""):
    """Return the facts after action, or refuse (409) with the lifecycle's reason."""
    try:
        return lifecycle.apply(case.facts(), action, decision=decision)
    except lifecycle.Refused as refused:
        raise CaseError(refused.reason, status=409) from None


def _save(case, *fields):
    case.version += 1
    case.save(update_fields=[*fields, "version"])


def _record(case, kind, *, at, actor=None, role="", from_state, opinion="", action=BusinessAction.OTHER, step="",
            department=None, **detail):  # fmt: skip
    return CaseEvent.objects.create(
        case=case, kind=kind, at=at, actor=actor, actor_role=_label(role) if actor else SYSTEM_ROLE,
        from_state=from_state, to_state=case.state, business_action=action, step=step, department=department,
        opinion=opinion, detail=detail,
    )  # fmt: skip


def _material_of(case, material, field="material"):
    material_id = getattr(material, "pk", material)
    found = CaseMaterial.objects.filter(case=case, pk=material_id).first()
    if found is None:
        raise CaseError("材料：该办件没有这项材料，请刷新页面后重新选择。", status=404, field=field)
    return found


def _clean(value):
    return unicodedata.normalize("NFKC", str(value or "")).strip().upper()


# --- numbers and rules --------------------------------------------------------------------------


def _next_number(site, day):
    # As for tickets: make the counter row if missing without failing when another window does the same,
    # then lock it, so a number is read and bumped under the lock and never given twice.
    CaseCounter.objects.bulk_create([CaseCounter(site=site, day=day)], ignore_conflicts=True)
    counter = CaseCounter.objects.select_for_update().get(site=site, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = CaseRules.for_site(site).number_prefix_or_default()
    return f"{prefix}-{day:%Y%m%d}-{counter.last:04d}"


@dataclass(frozen=True)
class ClockRules:
    yellow_days: int | None
    yellow_percent: int | None
    shares: dict = field(default_factory=dict)


def clock_rules(*, item, site):
    """Return the warning thresholds and step shares for item at site (the item's own, else the site's)."""
    site_rules = CaseRules.for_site(site)
    item_rules = ItemClockRule.objects.filter(item=item).first()
    thresholds = (site_rules.yellow_days, site_rules.yellow_percent)
    shares = {step: site_rules.step_share(step) for step in Step}
    if item_rules is not None:
        if item_rules.yellow_days is not None or item_rules.yellow_percent is not None:
            thresholds = (item_rules.yellow_days, item_rules.yellow_percent)
        if item_rules.handle_share is not None:
            shares = {
                Step.HANDLE: item_rules.handle_share,
                Step.REVIEW: item_rules.review_share,
                Step.APPROVE: item_rules.approve_share,
            }
    return ClockRules(yellow_days=thresholds[0], yellow_percent=thresholds[1], shares=shares)


def _suspension_periods(case):
    return [
        (timezone.localdate(s.started_at), timezone.localdate(s.ended_at) if s.ended_at else None)
        for s in case.suspensions.all()
    ]


def case_clock(case, *, today, calendar=None, rules=None):
    """Return the Clock of an accepted case on today (see clocks.case_clock)."""
    calendar = calendar or WorkdayCalendar()
    rules = rules or clock_rules(item=case.item, site=case.site)
    in_review = case.state in (CaseState.REVIEWING, CaseState.SUSPENDED) and case.current_step
    return clocks.case_clock(
        accepted_on=timezone.localdate(case.accepted_at),
        legal_limit=case.legal_limit or 0,
        legal_unit=case.legal_limit_unit,
        promised_limit=case.promised_limit or 0,
        promised_unit=case.promised_limit_unit,
        suspensions=_suspension_periods(case),
        today=today,
        calendar=calendar,
        yellow_days=rules.yellow_days,
        yellow_percent=rules.yellow_percent,
        step_started_on=timezone.localdate(case.step_started_at) if in_review else None,
        step_share=rules.shares.get(case.current_step) if in_review else None,
    )


def _set_clock(case, clock, today):
    case.legal_due, case.promised_due = clock.legal_due, clock.promised_due
    case.suspended_working_days = clock.suspended_working_days
    case.suspended_calendar_days = clock.suspended_calendar_days
    case.remaining_working_days, case.warning = clock.remaining_working_days, clock.warning
    case.step_due, case.step_overdue = clock.step_due, clock.step_overdue
    case.clocks_computed_on = today
    return CLOCK_FIELDS
