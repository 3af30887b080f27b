"""Personal data views and 督办: urge notices to departments, and yellow and red cards."""

import datetime

from django.db import transaction
from django.utils import timezone

from quangangtong.accounts.roles import Role
from quangangtong.cases.errors import CaseError
from quangangtong.cases.models import (
    Card,
    CardColour,
    CaseRules,
    EventKind,
    IdentityField,
    IdentityView,
    Supervision,
)
from quangangtong.cases.services._common import (
    APPROVER_ROLES,
    IDENTITY_ROLES,
    SUPERVISOR_ROLES,
    _approver,
    _label,
    _lock,
    _record,
    _required_text,
    _role,
)
from quangangtong.workdays.services import WorkdayCalendar

# --- personal data ------------------------------------------------------------------------------


@transaction.atomic
def case_identity_reveal(*, case, user, field, reason, now=None):
    """Return the full identity number (or phone) in field, logging who saw it, when and why."""
    now = now or timezone.now()
    role = _role(user, IDENTITY_ROLES, "查看完整证件号码")
    if role == Role.APPROVER:
        _approver(user, case.department or case.item.department, "查看该办件的完整证件号码")
    if field not in IdentityField.values:
        raise CaseError("字段：请选择要查看的证件号码或电话。", status=400, field="field")
    reason = _required_text(
        reason, field="reason", message="查看事由：请写明为什么需要查看完整号码，如“核验领取人身份”。", max_length=200
    )
    value = getattr(case, field)
    if not value:
        raise CaseError(f"该办件没有登记{IdentityField(field).label}。", status=404, field="field")
    IdentityView.objects.create(case=case, user=user, role=_label(role), field=field, reason=reason, viewed_at=now)
    _record(
        case, EventKind.IDENTITY_VIEWED, at=now, actor=user, role=role, from_state=case.state, field=field,
        reason=reason,
    )  # fmt: skip
    return value


# --- 督办 ---------------------------------------------------------------------------------------


def _responsible_department(case):
    return case.department or case.item.department


@transaction.atomic
def supervision_issue(*, case, user, content, reply_due=None, now=None):
    """Issue an urge notice (督办单) to the case's department, to be answered by reply_due; return it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    role = _role(user, SUPERVISOR_ROLES, "督办")
    case = _lock(case)
    if case.is_terminal:
        raise CaseError(f"办件已“{case.get_state_display()}”，无需督办。", status=409)
    content = _required_text(content, field="content", message="督办内容：请写明督办的事项和要求。", max_length=2000)
    if reply_due is None:
        reply_due = WorkdayCalendar().add_working_days(today, CaseRules.for_site(case.site).supervision_reply_days)
    elif not isinstance(reply_due, datetime.date) or reply_due < today:
        raise CaseError("回复期限：请填写今天或以后的日期。", status=400, field="reply_due")
    department = _responsible_department(case)
    supervision = Supervision.objects.create(
        case=case, department=department, content=content, issued_at=now, issued_by=user, reply_due=reply_due
    )
    _record(
        case, EventKind.SUPERVISION_ISSUED, at=now, actor=user, role=role, from_state=case.state, opinion=content,
        department=department, supervision=supervision.id, reply_due=reply_due.isoformat(),
    )  # fmt: skip
    return supervision


@transaction.atomic
def supervision_reply(*, supervision, user, reply, now=None):
    """Record the department's reply to an urge notice; once only (a correction is a new event)."""
    now = now or timezone.now()
    _role(user, APPROVER_ROLES, "回复督办")
    supervision = (
        Supervision.objects.select_for_update(of=("self",)).select_related("case", "department").get(pk=supervision.pk)
    )
    role = _approver(user, supervision.department, "回复督办")
    if supervision.replied_at is not None:
        raise CaseError(f"该督办单已于{timezone.localtime(supervision.replied_at):%Y-%m-%d %H:%M}回复。", status=409)
    supervision.reply = _required_text(
        reply, field="reply", message="回复：请写明办理情况和预计办结时间。", max_length=2000
    )
    supervision.replied_at, supervision.replied_by = now, user
    supervision.save(update_fields=["reply", "replied_at", "replied_by"])
    case = supervision.case
    _record(
        case, EventKind.SUPERVISION_REPLIED, at=now, actor=user, role=role, from_state=case.state,
        opinion=supervision.reply, department=supervision.department, supervision=supervision.id,
        late=timezone.localdate(now) > supervision.reply_due,
    )  # fmt: skip
    return supervision


@transaction.atomic
def card_issue(*, case, user, colour, reason, now=None):
    """Show the case's department a yellow or red card (黄牌/红牌); return the Card."""
    now = now or timezone.now()
    role = _role(user, SUPERVISOR_ROLES, "亮牌")
    case = _lock(case)
    if colour not in CardColour.values:
        raise CaseError("颜色：请选择黄牌或红牌。", status=400, field="colour")
    reason = _required_text(reason, field="reason", message="亮牌理由：请写明理由，如“超过承诺时限未办结”。")
    department = _responsible_department(case)
    card = Card.objects.create(
        case=case, department=department, colour=colour, reason=reason, issued_at=now, issued_by=user
    )
    _record(
        case, EventKind.CARD_ISSUED, at=now, actor=user, role=role, from_state=case.state, opinion=reason,
        department=department, card=card.id, colour=colour,
    )  # fmt: skip
    return card


@transaction.atomic
def card_revoke(*, card, user, reason, now=None):
    """Revoke a card with the reason; the card stays, marked revoked."""
    now = now or timezone.now()
    role = _role(user, SUPERVISOR_ROLES, "撤销亮牌")
    card = Card.objects.select_for_update(of=("self",)).select_related("case", "department").get(pk=card.pk)
    if card.revoked_at is not None:
        raise CaseError(f"该{card.get_colour_display()}已于{timezone.localtime(card.revoked_at):%Y-%m-%d}撤销。")
    card.revoke_reason = _required_text(reason, field="reason", message="撤销理由：请写明撤销的理由。")
    card.revoked_at, card.revoked_by = now, user
    card.save(update_fields=["revoke_reason", "revoked_at", "revoked_by"])
    _record(
        card.case, EventKind.CARD_REVOKED, at=now, actor=user, role=role, from_state=card.case.state,
        opinion=card.revoke_reason, department=card.department, card=card.id, colour=card.colour,
    )  # fmt: skip
    return card
