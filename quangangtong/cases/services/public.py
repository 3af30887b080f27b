"""The public progress page: the receipt's QR token, and lookup by case number and phone."""

import secrets

from django.core import signing

from quangangtong.cases.lifecycle import CLOCK_STATES, CaseState, Step
from quangangtong.cases.models import (
    Case,
    EventKind,
    PickupMethod,
)
from quangangtong.cases.services._common import (
    _clean,
)

# --- the public progress page -------------------------------------------------------------------

PUBLIC_TOKEN_SALT = "quangangtong.cases.public-progress"
# What the applicant sees of the history: the milestones, without names, opinions or identity data.
PUBLIC_EVENT_KINDS = (
    EventKind.OPENED, EventKind.ACCEPTED, EventKind.ACCEPTED_WITH_PROMISE, EventKind.ACCEPTED_BY_LAW,
    EventKind.CORRECTION_REQUESTED,
    EventKind.CORRECTION_RECEIVED, EventKind.REJECTED, EventKind.CORRECTION_ABANDONED, EventKind.DEFERRED_RECEIVED,
    EventKind.TERMINATED, EventKind.TRANSFERRED, EventKind.STEP_PASSED, EventKind.SUSPENDED, EventKind.RESUMED,
    EventKind.DECIDED, EventKind.RELEASED, EventKind.DELIVERED_AT_WINDOW, EventKind.POSTED, EventKind.DELIVERED,
)  # fmt: skip


def case_public_token(case):
    """Return the signed token that opens the case's public progress page (the receipt's QR code)."""
    return signing.Signer(salt=PUBLIC_TOKEN_SALT).sign(case.number)


def case_from_public_token(token):
    """Return the case a public token names, or None when the token is forged or the case unknown."""
    try:
        number = signing.Signer(salt=PUBLIC_TOKEN_SALT).unsign(token or "")
    except signing.BadSignature:
        return None
    return Case.objects.select_related("item", "department").filter(number=number).first()


def case_public_lookup(*, number, phone_last4):
    """Return the case for a number and the last four digits of the applicant's phone, or None.

    A wrong pair answers exactly like an unknown number, so the page cannot be used to find numbers;
    slowing down repeated failures is the view's job.
    """
    number = _clean(number)
    case = None
    # Text no case number has (NUL, which PostgreSQL refuses; more than the field holds) is simply not found.
    if number.isprintable() and len(number) <= Case._meta.get_field("number").max_length:
        case = Case.objects.select_related("item", "department").filter(number=number).first()
    digits = str(phone_last4 or "").strip()
    # Compared even when the case is unknown, so both answers take the same time.
    expected = case.phone[-4:] if case else "----"
    matches = secrets.compare_digest(expected.encode(), digits.encode(errors="replace"))
    return case if case is not None and matches and len(digits) == 4 else None


def case_public_timeline(case):
    """Return the milestones the applicant may see: (time, what happened, approval step label), oldest first."""
    rows = case.events.filter(kind__in=PUBLIC_EVENT_KINDS).order_by("at", "id").values_list("at", "kind", "step")
    return [(at, EventKind(kind).label, Step(step).label if step else "") for at, kind, step in rows]


# What the applicant should know or do next, by state; {carrier} is the posted result's carrier.
PUBLIC_NOTES = {
    CaseState.RECEIVED: "窗口已收到申请材料，正在核对。",
    CaseState.CORRECTION: "申请材料需要补正：请按《补正材料通知书》一次性补齐后，到窗口继续办理。",
    CaseState.NOT_ACCEPTED: "不予受理，理由和救济途径见《不予受理通知书》。",
    CaseState.CORRECTION_ABANDONED: "补正期限已过仍未补正，本件已办结。如需办理，请重新申请。",
    CaseState.ACCEPTED: "已受理，正在办理。",
    CaseState.ACCEPTED_DEFERRED: "已容缺受理：请在承诺的日期前补交材料。",
    CaseState.REVIEWING: "审批部门正在审查。",
    CaseState.SUSPENDED: "正在进行特别程序（如现场核查、听证、检验检测），所需时间不计入办理时限。",
    CaseState.DECIDED: "已作出决定：容缺材料补齐后，结果即送达窗口。",
    CaseState.READY: "结果已送达窗口，请携带身份证件或短信中的取件码到窗口领取。",
    CaseState.POSTED: "结果已由{carrier}寄出，请留意查收。",
    CaseState.DELIVERED: "结果已送达，感谢您的耐心。欢迎对本次服务作出评价。",
    CaseState.TERMINATED: "容缺材料未按承诺补交，本件已终止办理。",
}
READY_BY_POST_NOTE = "结果已办好，即将快递寄出。"


def case_public_progress(case):
    """Return what the public may see of a case: state, milestones, promised date, days left, pickup method.

    No names, identity numbers, phones, opinions, decisions or pickup codes: whoever holds the receipt's
    QR code, or the case number and the phone's last four digits, sees this.
    """
    carrier = ""
    if case.state in (CaseState.POSTED, CaseState.DELIVERED) and case.pickup_method == PickupMethod.POST:
        posted = case.deliveries.filter(method=PickupMethod.POST).order_by("-created_at", "-id").first()
        carrier = posted.get_carrier_display() if posted else ""
    note = PUBLIC_NOTES[case.state].format(carrier=carrier or "快递")
    if case.state == CaseState.READY and case.pickup_method == PickupMethod.POST:
        note = READY_BY_POST_NOTE
    running = case.state in CLOCK_STATES
    return {
        "number": case.number,
        "item_name": case.item_name,
        "state": case.state,
        "state_label": case.get_state_display(),
        "note": note,
        "steps": [{"at": at, "name": name, "step": step} for at, name, step in case_public_timeline(case)],
        "promised_due": case.promised_due,
        "remaining_working_days": case.remaining_working_days if running else None,
        "pickup_method": case.pickup_method,
        "pickup_method_label": case.get_pickup_method_display(),
        "carrier": carrier,
    }
