"""Text messages to applicants: queued with the change that causes them, sent once that change commits.

The backend is called outside any transaction, so a slow gateway never holds a case's or a ticket's locks.
Each try is claimed by a conditional bump of the message's attempt counter: two processes (the commit hook
and notify_retry, or two overlapping retries) never make the same try twice.
"""

import functools
import logging
import operator
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from quangangtong.ids import IdNumberError, validate_mobile
from quangangtong.notify.backends import SendError, get_backend
from quangangtong.notify.errors import NotifyError
from quangangtong.notify.models import DeliveryAttempt, MessageOverride, Notification, NotificationStatus
from quangangtong.notify.texts import DEFAULT_TEXTS, MessageKey, context_check, find_id_number, text_fill

logger = logging.getLogger("quangangtong.notify")

REF_RE = re.compile(r"[a-z][a-z_]{0,19}:\S{1,80}")
# A message still queued this long after its last try was claimed by a process that died mid-send, or its
# commit hook never ran; notify_retry sends it again.
STALE_AFTER = timedelta(minutes=10)
# How long after it was queued a message is still worth retrying: "3 people before you" is wrong an hour later.
RETRY_WINDOWS = {MessageKey.TICKET_CALL_NEAR: timedelta(minutes=15)}
DEFAULT_RETRY_WINDOW = timedelta(days=3)


class RetryOutcome(NamedTuple):
    sent: int
    failed: int


def message_render(*, template, context):
    """Return the signed text of template filled from context; refuse a context that holds an identity number."""
    key = _template_key(template)
    if not isinstance(context, Mapping):
        raise NotifyError("短信参数 context 应为“参数名: 值”的字典", field="context")
    context_check(context)
    override = MessageOverride.objects.filter(key=key).values_list("text", flat=True).first()
    return f"【{settings.QGT_SMS_SIGNATURE}】{text_fill(override or DEFAULT_TEXTS[key], context)}"


def notification_send(*, template, phone, context, ref, now=None):
    """Queue a message to phone and send it once the surrounding transaction commits; return its row."""
    key = _template_key(template)
    phone = _valid_phone(phone)
    ref = _valid_ref(ref)
    now = now or timezone.now()
    with transaction.atomic():
        text = message_render(template=key, context=context)
        notification = Notification.objects.create(
            template=key, phone=phone, text=text, ref=ref, created_at=now, backend=settings.QGT_NOTIFY_BACKEND
        )
        # After the commit only: a case action that rolls back must not have told the applicant anything.
        transaction.on_commit(functools.partial(_deliver, notification.pk, attempts_seen=0), robust=True)
    if not transaction.get_connection().in_atomic_block:
        notification.refresh_from_db()
    return notification


def notifications_retry(*, max_attempts, now=None):
    """Send again the failed messages, and those stuck queued, that have had fewer than max_attempts tries.

    Messages older than their retry window (15 minutes for a call-near reminder, 3 days otherwise) stay failed.
    """
    if max_attempts < 1:
        raise NotifyError("最多发送次数 max_attempts 至少为 1", field="max_attempts")
    now = now or timezone.now()
    stuck_before = now - max(STALE_AFTER, timedelta(seconds=2 * settings.QGT_SMS_TIMEOUT))
    stuck = Q(status=NotificationStatus.QUEUED) & (
        Q(last_attempt_at__lt=stuck_before) | Q(last_attempt_at=None, created_at__lt=stuck_before)
    )
    fresh = functools.reduce(
        operator.or_,
        (Q(template=key, created_at__gte=now - RETRY_WINDOWS.get(key, DEFAULT_RETRY_WINDOW)) for key in MessageKey),
    )
    due = (
        Notification.objects.filter(Q(status=NotificationStatus.FAILED) | stuck, fresh, attempts__lt=max_attempts)
        .order_by("id")
        .values_list("id", "attempts")
    )
    sent = failed = 0
    for notification_id, attempts in list(due):
        succeeded = _deliver(notification_id, attempts_seen=attempts)
        if succeeded is True:
            sent += 1
        elif succeeded is False:
            failed += 1
    return RetryOutcome(sent=sent, failed=failed)


def _deliver(notification_id, *, attempts_seen):
    """Make try number attempts_seen + 1 and record it; return whether it succeeded (None: someone else's try)."""
    started = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, attempts=attempts_seen)
        .exclude(status=NotificationStatus.SENT)
        .update(
            attempts=attempts_seen + 1,
            status=NotificationStatus.QUEUED,
            last_attempt_at=started,
            backend=settings.QGT_NOTIFY_BACKEND,
        )
    )
    if not claimed:
        return None
    notification = Notification.objects.get(pk=notification_id)
    gateway_message_id = error = ""
    try:
        gateway_message_id = get_backend().send(
            phone=notification.phone,
            text=notification.text,
            ref=notification.ref,
            key=f"qgt-notification-{notification.pk}",
        )
    except SendError as exc:
        error = exc.message
    except Exception as exc:
        # A misconfiguration or a bug in a backend must not lose the message: record it, notify_retry tries again.
        logger.exception("短信 %s 发送出错", notification.pk)
        error = f"发送出错：{exc}"
    finished = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            notification=notification,
            number=attempts_seen + 1,
            backend=notification.backend,
            started_at=started,
            finished_at=finished,
            succeeded=not error,
            error=error,
            gateway_message_id=gateway_message_id,
        )
        Notification.objects.filter(pk=notification_id, attempts=attempts_seen + 1).update(
            status=NotificationStatus.FAILED if error else NotificationStatus.SENT,
            sent_at=None if error else finished,
            last_error=error,
            gateway_message_id=gateway_message_id,
        )
    if error:
        logger.warning("短信 %s 第 %s 次发送失败：%s", notification.pk, attempts_seen + 1, error)
    return not error


def _template_key(template):
    try:
        return MessageKey(template)
    except ValueError:
        known = "、".join(MessageKey.values)
        raise NotifyError(f"短信模板“{template}”不存在；可用的模板：{known}", field="template") from None


def _valid_phone(phone):
    try:
        return validate_mobile(phone)
    except IdNumberError as exc:
        raise NotifyError(f"接收短信的手机号码有误：{exc.message}，请核对后重新输入", field="phone") from None


def _valid_ref(ref):
    ref = (ref or "").strip() if isinstance(ref, str) else ""
    if not REF_RE.fullmatch(ref):
        raise NotifyError("关联对象 ref 应写成“类型:编号”，如 case:QJQ-20261125-0007 或 ticket:123", field="ref")
    if find_id_number(ref):
        raise NotifyError("关联对象 ref 中不得含有证件号码：请用办件编号或排队票编号", field="ref")
    return ref
