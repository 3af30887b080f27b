"""The 办件 rules: intake at the window, 转办 and approval, clocks, 督办 and delivery.

Every public function that changes something is one transaction. It locks the case row first (SELECT … FOR
UPDATE; on SQLite the IMMEDIATE transaction serialises writers), asks the lifecycle whether the action is
allowed in the case's state, checks the user's role (and, for approvers, their department), validates all
input, and only then writes: the change and a CaseEvent. Two officers acting on one case at once are thus
serialised; the second sees the state the first left and is refused with the reason (409). A page passes
``expected_version=case.version`` so that a click made on a stale page is refused too, even when the new
state would allow it (two approvers passing the same step at once).

Errors are CaseError(message in Chinese naming the field, status 400/403/404/409, field).
"""

from quangangtong.cases.services._common import DEFAULT_REMEDIES, ClockRules, case_clock, clock_rules
from quangangtong.cases.services.delivery import case_deliver_at_window, case_mark_delivered, case_post
from quangangtong.cases.services.intake import (
    case_accept,
    case_accept_by_law,
    case_accept_with_promise,
    case_correction_received,
    case_deferred_material_received,
    case_material_mark,
    case_open,
    case_reject,
    case_request_correction,
    intake_window_lapsed,
    site_handles_item,
)
from quangangtong.cases.services.nightly import RecomputeSummary, cases_recompute
from quangangtong.cases.services.public import (
    case_from_public_token,
    case_public_lookup,
    case_public_progress,
    case_public_timeline,
    case_public_token,
)
from quangangtong.cases.services.queries import (
    approver_inbox,
    case_actions,
    case_get,
    case_timeline,
    cases_for_supervision,
    cases_ledger,
    department_inbox,
)
from quangangtong.cases.services.review import (
    case_decide,
    case_resume,
    case_step_pass,
    case_step_return,
    case_suspend,
    case_transfer,
)
from quangangtong.cases.services.supervision import (
    card_issue,
    card_revoke,
    case_identity_reveal,
    supervision_issue,
    supervision_reply,
)

__all__ = [
    "DEFAULT_REMEDIES",
    "ClockRules",
    "RecomputeSummary",
    "approver_inbox",
    "card_issue",
    "card_revoke",
    "case_accept",
    "case_accept_by_law",
    "case_accept_with_promise",
    "case_actions",
    "case_clock",
    "case_correction_received",
    "case_decide",
    "case_deferred_material_received",
    "case_deliver_at_window",
    "case_from_public_token",
    "case_get",
    "case_identity_reveal",
    "case_mark_delivered",
    "case_material_mark",
    "case_open",
    "case_post",
    "case_public_lookup",
    "case_public_progress",
    "case_public_timeline",
    "case_public_token",
    "case_reject",
    "case_request_correction",
    "case_resume",
    "case_step_pass",
    "case_step_return",
    "case_suspend",
    "case_timeline",
    "case_transfer",
    "cases_for_supervision",
    "cases_ledger",
    "cases_recompute",
    "clock_rules",
    "department_inbox",
    "intake_window_lapsed",
    "site_handles_item",
    "supervision_issue",
    "supervision_reply",
]
