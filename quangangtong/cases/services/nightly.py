"""The nightly run: clocks, warning colours, and cases whose promises, corrections or intake window lapsed."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from quangangtong.cases import lifecycle
from quangangtong.cases.lifecycle import Action, CaseState
from quangangtong.cases.models import (
    BusinessAction,
    Case,
    CorrectionNotice,
    EventKind,
    MaterialStatus,
)
from quangangtong.cases.services._common import (
    _lock,
    _record,
    _save,
    _set_clock,
    _transition,
    case_clock,
    clock_rules,
)
from quangangtong.cases.services.intake import case_accept_by_law, intake_window_lapsed
from quangangtong.workdays.services import WorkdayCalendar

# --- the nightly run ----------------------------------------------------------------------------


@dataclass
class RecomputeSummary:
    checked: int = 0
    warnings_changed: int = 0
    step_overruns: int = 0
    terminated: int = 0
    abandoned: int = 0
    accepted_by_law: int = 0
    by_warning: dict = field(default_factory=dict)


def cases_recompute(*, today, now=None):
    """Recompute every open case's clocks on today; end abandoned 补正 and late 容缺 cases; return a summary.

    A case received and left without a 补正 notice or a decision past its five working days is accepted by
    law from its receipt (行政许可法 §32, services.case_accept_by_law) and its clocks computed the same night.

    Each case is its own transaction: the run takes minutes on a big hall, and windows must not wait for
    it to finish to act on a case. Running it twice on the same day changes nothing the second time.
    """
    now = now or timezone.now()
    calendar = WorkdayCalendar()
    rules_cache = {}
    summary = RecomputeSummary()
    states = lifecycle.CLOCK_STATES | lifecycle.DEFERRAL_STATES | {CaseState.CORRECTION}
    waiting = Q(state=CaseState.RECEIVED) & ~Exists(CorrectionNotice.objects.filter(case=OuterRef("pk")))
    for case_id in Case.objects.filter(Q(state__in=states) | waiting).order_by("id").values_list("id", flat=True):
        with transaction.atomic():
            case = _lock(Case(pk=case_id))
            key = (case.site_id, case.item_id)
            if key not in rules_cache:
                rules_cache[key] = clock_rules(item=case.item, site=case.site)
            _recompute_one(case, today=today, now=now, calendar=calendar, rules=rules_cache[key], summary=summary)
    return summary


def _recompute_one(case, *, today, now, calendar, rules, summary):
    summary.checked += 1
    if case.state == CaseState.RECEIVED:
        if intake_window_lapsed(case, today=today, calendar=calendar) is None:
            return
        case = case_accept_by_law(case=case, now=now, calendar=calendar)
        summary.accepted_by_law += 1
    from_state = case.state
    if case.state == CaseState.CORRECTION:
        notice = case.correction_notices.order_by("-sequence").first()
        if notice and today > notice.return_by:
            after = _transition(case, Action.ABANDON_CORRECTION)
            case.state, case.closed_at = after.state, now
            _save(case, "state", "closed_at")
            _record(
                case, EventKind.CORRECTION_ABANDONED, at=now, from_state=from_state, action=BusinessAction.RETURN,
                notice=notice.id, return_by=notice.return_by.isoformat(),
            )  # fmt: skip
            summary.abandoned += 1
        return
    if case.state in lifecycle.DEFERRAL_STATES:
        late = list(case.materials.filter(status=MaterialStatus.DEFERRED, promise_due__lt=today))
        if late and lifecycle.check(case.facts(), Action.TERMINATE).allowed:
            after = _transition(case, Action.TERMINATE)
            case.state, case.closed_at, case.current_step = after.state, now, ""
            _save(case, "state", "closed_at", "current_step")
            _record(
                case, EventKind.TERMINATED, at=now, from_state=from_state, action=BusinessAction.RETURN,
                materials=[{"name": m.name, "due": m.promise_due.isoformat()} for m in late],
            )  # fmt: skip
            summary.terminated += 1
            return
    if case.state not in lifecycle.CLOCK_STATES:
        return
    before_warning, before_overdue = case.warning, case.step_overdue
    fields = _set_clock(case, case_clock(case, today=today, calendar=calendar, rules=rules), today)
    # The clocks are derived data: saving them does not bump the version a page acts on.
    case.save(update_fields=fields)
    summary.by_warning[case.warning] = summary.by_warning.get(case.warning, 0) + 1
    if case.warning != before_warning:
        _record(
            case, EventKind.WARNING_CHANGED, at=now, from_state=from_state, step=case.current_step,
            department=case.department, before=before_warning, after=case.warning,
            remaining_working_days=case.remaining_working_days, promised_due=case.promised_due.isoformat(),
        )  # fmt: skip
        summary.warnings_changed += 1
    if case.step_overdue and not before_overdue:
        _record(
            case, EventKind.STEP_OVERRUN, at=now, from_state=from_state, step=case.current_step,
            department=case.department, step_due=case.step_due.isoformat(),
        )  # fmt: skip
        summary.step_overruns += 1
