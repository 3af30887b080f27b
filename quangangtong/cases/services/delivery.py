"""出件: handing the result over at the window or sending it by post."""

import secrets

from django.db import transaction
from django.utils import timezone

from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import Action
from quangangtong.cases.models import (
    Carrier,
    Delivery,
    DeliveryProof,
    EventKind,
    PickupMethod,
)
from quangangtong.cases.notifications import case_posted_notify
from quangangtong.cases.services._common import (
    SYSTEM_ROLE,
    TRACKING_EXAMPLE,
    TRACKING_RE,
    WINDOW_ROLES,
    _clean,
    _lock,
    _record,
    _required_text,
    _role,
    _save,
    _transition,
)
from quangangtong.cases.services.intake import _mobile

# --- delivery -----------------------------------------------------------------------------------


@transaction.atomic
def case_deliver_at_window(
    *, case, user, proof, pickup_code="", recipient_id_number="", now=None, expected_version=None
):  # fmt: skip
    """Hand the result over at the window to the applicant or agent who shows their ID, or the pickup code."""
    now = now or timezone.now()
    role = _role(user, WINDOW_ROLES, "出件")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.DELIVER_AT_WINDOW)
    if proof == DeliveryProof.IDENTITY:
        shown = _clean(recipient_id_number)
        if not shown:
            raise CaseError("领取人证件号码：请核验并填写领取人的证件号码。", status=400, field="recipient_id_number")
        if case.id_number and shown == case.id_number:
            recipient = case.legal_representative or case.applicant_name
        elif case.agent_id_number and shown == case.agent_id_number:
            recipient = case.agent_name
        else:
            raise CaseError(
                "领取人证件号码：与申请人、代办人登记的证件号码都不一致。请由申请人本人或登记的代办人持证件领取，或凭取件码领取。",
                status=400,
                field="recipient_id_number",
            )
    elif proof == DeliveryProof.PICKUP_CODE:
        code = _clean(pickup_code)
        if not case.pickup_code or not secrets.compare_digest(code, case.pickup_code):
            raise CaseError("取件码：取件码不正确，请核对短信中的6位数字取件码。", status=400, field="pickup_code")
        recipient = case.agent_name or case.applicant_name
    else:
        raise CaseError("领取凭证：请选择核验身份证件或取件码。", status=400, field="proof")
    delivery = Delivery.objects.create(
        case=case, method=PickupMethod.WINDOW, proof=proof, recipient_name=recipient, handled_by=user,
        created_at=now, delivered_at=now,
    )  # fmt: skip
    case.state, case.pickup_method, case.delivered_at, case.closed_at = after.state, PickupMethod.WINDOW, now, now
    _save(case, "state", "pickup_method", "delivered_at", "closed_at")
    _record(
        case, EventKind.DELIVERED_AT_WINDOW, at=now, actor=user, role=role, from_state=from_state,
        delivery=delivery.id, proof=proof,
    )  # fmt: skip
    return delivery


@transaction.atomic
def case_post(*, case, user, carrier, tracking_number, address, recipient_name="", recipient_phone="", now=None,
              expected_version=None):  # fmt: skip
    """Post the result (快递寄送) and record the carrier and tracking number; return the Delivery."""
    now = now or timezone.now()
    role = _role(user, WINDOW_ROLES, "寄出结果")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.POST)
    if not case.item.supports_express:
        raise CaseError(
            f"事项“{case.item_name}”不支持快递寄送结果，请通知申请人到窗口领取。", status=409, field="pickup_method"
        )
    if carrier not in Carrier.values:
        raise CaseError("快递公司：请选择顺丰速运或中国邮政 EMS。", status=400, field="carrier")
    tracking = _clean(tracking_number).replace(" ", "")
    if not TRACKING_RE[carrier].fullmatch(tracking):
        raise CaseError(
            f"快递单号：{Carrier(carrier).label}的单号格式不对，例如 {TRACKING_EXAMPLE[carrier]}，"
            "请核对面单后重新输入。",
            status=400,
            field="tracking_number",
        )
    address = _required_text(address, field="address", message="寄送地址：请填写收件地址。", max_length=200)
    recipient = (recipient_name or "").strip()[:50] or case.agent_name or case.applicant_name[:50]
    phone = _mobile(recipient_phone, field="recipient_phone", who="收件人电话") if recipient_phone else case.phone
    delivery = Delivery.objects.create(
        case=case, method=PickupMethod.POST, carrier=carrier, tracking_number=tracking, recipient_name=recipient,
        recipient_phone=phone, address=address, handled_by=user, created_at=now,
    )  # fmt: skip
    case.state, case.pickup_method = after.state, PickupMethod.POST
    _save(case, "state", "pickup_method")
    _record(
        case, EventKind.POSTED, at=now, actor=user, role=role, from_state=from_state, delivery=delivery.id,
        carrier=carrier, tracking_number=tracking,
    )  # fmt: skip
    case_posted_notify(case=case, delivery=delivery, now=now)
    return delivery


@transaction.atomic
def case_mark_delivered(*, case, user=None, delivered_at=None, now=None, expected_version=None):
    """Record that the posted result reached the applicant; user None is the carrier's feed (system)."""
    now = now or timezone.now()
    role = _role(user, WINDOW_ROLES, "确认送达") if user is not None else SYSTEM_ROLE
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.MARK_DELIVERED)
    delivery = case.deliveries.filter(method=PickupMethod.POST).order_by("-created_at", "-id").first()
    delivered_at = delivered_at or now
    if delivered_at < delivery.created_at or delivered_at > now:
        raise CaseError("送达时间：应在寄出之后、现在之前。", status=400, field="delivered_at")
    delivery.delivered_at = delivered_at
    delivery.save(update_fields=["delivered_at"])
    case.state, case.delivered_at, case.closed_at = after.state, delivered_at, now
    _save(case, "state", "delivered_at", "closed_at")
    _record(
        case, EventKind.DELIVERED, at=now, actor=user, role=role, from_state=from_state, delivery=delivery.id,
        delivered_at=delivered_at.isoformat(),
    )  # fmt: skip
    return case
