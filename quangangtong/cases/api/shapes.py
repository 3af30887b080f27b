"""What the staff see of a case: CaseOut and its parts, the answer of every action and of GET /cases/{number}."""

import datetime

from django.urls import reverse
from ninja import Field, Schema

from quangangtong.cases import services
from quangangtong.cases.lifecycle import Action
from quangangtong.cases.models import Case
from quangangtong.ids import mask_name

# The path of each action in POST /cases/{number}/…; the others are the system's (nightly run, release).
ACTION_PATHS = {
    Action.MARK_MATERIAL: "materials/{material_id}",
    Action.ACCEPT: "accept",
    Action.ACCEPT_WITH_PROMISE: "accept-with-promise",
    Action.REQUEST_CORRECTION: "request-correction",
    Action.CORRECTION_RECEIVED: "correction-received",
    Action.REJECT: "reject",
    Action.DEFERRED_RECEIVED: "deferred-material-received",
    Action.TRANSFER: "transfer",
    Action.STEP_PASS: "step-pass",
    Action.STEP_RETURN: "step-return",
    Action.SUSPEND: "suspend",
    Action.RESUME: "resume",
    Action.DECIDE: "decide",
    Action.DELIVER_AT_WINDOW: "deliver-at-window",
    Action.POST: "post",
    Action.MARK_DELIVERED: "mark-delivered",
}


class CodeName(Schema):
    code: str
    name: str


class ApplicantOut(Schema):
    kind: str = Field(..., description="person 个人，legal 法人（企业、组织）")
    kind_label: str
    name: str = Field(..., description="个人姓名已遮蔽，如“张*”；单位名称不遮蔽")
    id_type: str = Field(..., description="证件类型代码（GA/T 2000.156），如 111 居民身份证")
    id_type_label: str
    id_number: str = Field(..., description="已遮蔽，如 2308**********1238")
    credit_code: str = Field(..., description="统一社会信用代码，已遮蔽")
    legal_representative: str = Field(..., description="法定代表人姓名，已遮蔽")
    phone: str = Field(..., description="已遮蔽，如 138****8000")


class AgentOut(Schema):
    name: str = Field(..., description="代办人姓名，已遮蔽")
    id_type: str
    id_type_label: str
    id_number: str = Field(..., description="已遮蔽")
    phone: str = Field(..., description="已遮蔽")


class ClockOut(Schema):
    legal_limit: int | None = Field(..., description="法定办结时限（受理时取自事项）")
    legal_limit_unit: str
    promised_limit: int | None = Field(..., description="承诺办结时限")
    promised_limit_unit: str
    legal_due: datetime.date | None = Field(..., description="法定办结日期；受理前为 null")
    promised_due: datetime.date | None = Field(..., description="承诺办结日期；受理前为 null")
    remaining_working_days: int | None = Field(..., description="剩余工作日，负数为已超期；计时中的办件才有")
    warning: str = Field(..., description="green 绿灯，yellow 黄灯（临近时限或环节超时），red 红灯（已超期）")
    warning_label: str
    step_due: datetime.date | None = Field(..., description="当前审批环节应完成日期")
    step_overdue: bool
    suspended_working_days: int = Field(..., description="特别程序不计时的工作日")
    computed_on: datetime.date | None = Field(..., description="以上数字的计算日期（每次办理和每晚重算）")


class MaterialOut(Schema):
    id: int = Field(..., description="办件材料 id，用于 POST /cases/{number}/materials/{material_id}")
    name: str
    necessity: str = Field(..., description="1 必要，2 非必要，3 容缺后补")
    necessity_label: str
    originals: int = Field(..., description="应收原件份数")
    copies: int = Field(..., description="应收复印件份数")
    status: str = Field(..., description="received 已收，missing 缺，defective 有瑕疵，deferred 容缺后补")
    status_label: str
    received_originals: int
    received_copies: int
    defect: str
    promise_due: datetime.date | None = Field(..., description="容缺材料的承诺补交日期")


class CorrectionNoticeOut(Schema):
    sequence: int = Field(..., description="第几次告知")
    issued_at: datetime.datetime
    return_by: datetime.date = Field(..., description="补正期限")
    answered_at: datetime.datetime | None
    materials: list[str]


class DeliveryOut(Schema):
    method: str = Field(..., description="window 窗口领取，post 快递寄送")
    carrier: str = Field(..., description="SF 顺丰速运，EMS 中国邮政 EMS；窗口领取为空")
    tracking_number: str
    recipient_name: str = Field(..., description="已遮蔽")
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None


class ActionOut(Schema):
    action: str = Field(..., description="POST /cases/{number}/ 之后的路径，如 accept、materials/{material_id}")
    label: str
    allowed: bool = Field(..., description="调用者现在能否进行此操作")
    reason: str = Field(..., description="不能进行时的原因")


class EventOut(Schema):
    at: datetime.datetime
    kind: str
    kind_label: str
    actor: str | None = Field(..., description="操作人用户名；null 为系统（如夜间计算）")
    actor_role: str
    from_state: str
    to_state: str
    business_action: str = Field(..., description="GB/T 39046 业务动作：通过、退回、其他")
    step: str
    step_label: str
    department: str | None
    opinion: str


class CaseOut(Schema):
    number: str = Field(..., description="办件编号")
    url: str = Field(..., description="本接口中办件的地址")
    public_url: str = Field(..., description="办件进度公开页（材料接收单二维码指向这里），无需登录")
    version: int = Field(..., description="版本号：每次办理加一；办理时作为 expected_version 送回")
    site: str
    item: str = Field(..., description="事项实施编码")
    item_name: str
    case_type: str = Field(..., description="办件类型：1 即办件，2 承诺件")
    case_type_label: str
    channel: str = Field(..., description="申报来源：1 窗口，2 网上，4 邮寄")
    channel_label: str
    ticket: str | None = Field(..., description="排队票号")
    state: str
    state_label: str
    applicant: ApplicantOut
    agent: AgentOut | None
    department: CodeName | None = Field(..., description="转办到的审批部门")
    current_step: str = Field(..., description="审批环节：handle 承办，review 审核，approve 批准")
    current_step_label: str
    opened_at: datetime.datetime
    accepted_at: datetime.datetime | None
    transferred_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    clock: ClockOut
    decision: str = Field(..., description="granted 准予，refused 不予；未决定为空")
    decision_label: str
    result_name: str
    result_number: str
    rejection_reason: str
    rejection_remedies: str
    pickup_method: str = Field(..., description="window 窗口领取，post 快递寄送")
    pickup_method_label: str
    materials: list[MaterialOut]
    correction_notices: list[CorrectionNoticeOut]
    deliveries: list[DeliveryOut]
    actions: list[ActionOut] = Field(..., description="每项操作调用者现在能否进行、不能的原因")
    events: list[EventOut] = Field(..., description="办件的全部记录，按时间先后")


def _case_url(request, case):
    return request.build_absolute_uri(reverse("api-v1:case_detail", args=[case.number]))


def _public_url(request, case):
    return request.build_absolute_uri(reverse("case-progress-token", args=[services.case_public_token(case)]))


def _user_name(user):
    return user.get_username() if user else None


def _applicant_out(case):
    return {
        "kind": case.applicant_kind,
        "kind_label": case.get_applicant_kind_display(),
        "name": case.masked_applicant_name,
        "id_type": case.id_type,
        "id_type_label": case.get_id_type_display() if case.id_type else "",
        "id_number": case.masked_id_number,
        "credit_code": case.masked_credit_code,
        "legal_representative": mask_name(case.legal_representative) if case.legal_representative else "",
        "phone": case.masked_phone,
    }


def _agent_out(case):
    if not case.agent_name:
        return None
    return {
        "name": mask_name(case.agent_name),
        "id_type": case.agent_id_type,
        "id_type_label": case.get_agent_id_type_display() if case.agent_id_type else "",
        "id_number": case.masked_agent_id_number,
        "phone": case.masked_agent_phone,
    }


def _clock_out(case):
    return {
        "legal_limit": case.legal_limit,
        "legal_limit_unit": case.legal_limit_unit,
        "promised_limit": case.promised_limit,
        "promised_limit_unit": case.promised_limit_unit,
        "legal_due": case.legal_due,
        "promised_due": case.promised_due,
        "remaining_working_days": case.remaining_working_days,
        "warning": case.warning,
        "warning_label": case.get_warning_display(),
        "step_due": case.step_due,
        "step_overdue": case.step_overdue,
        "suspended_working_days": case.suspended_working_days,
        "computed_on": case.clocks_computed_on,
    }


def _material_out(line):
    return {
        "id": line.id,
        "name": line.name,
        "necessity": line.necessity,
        "necessity_label": line.get_necessity_display(),
        "originals": line.originals,
        "copies": line.copies,
        "status": line.status,
        "status_label": line.get_status_display(),
        "received_originals": line.received_originals,
        "received_copies": line.received_copies,
        "defect": line.defect,
        "promise_due": line.promise_due,
    }


def _event_out(event):
    return {
        "at": event.at,
        "kind": event.kind,
        "kind_label": event.get_kind_display(),
        "actor": _user_name(event.actor),
        "actor_role": event.actor_role,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "business_action": event.business_action,
        "step": event.step,
        "step_label": event.get_step_display() if event.step else "",
        "department": event.department.name if event.department else None,
        "opinion": event.opinion,
    }


def _case_out(request, case, user):
    """Return the staff's JSON of case (identity numbers, names and phones masked)."""
    case = Case.objects.select_related("site", "item", "item__department", "department", "ticket").get(pk=case.pk)
    notices = case.correction_notices.prefetch_related("items__material")
    return {
        "number": case.number,
        "url": _case_url(request, case),
        "public_url": _public_url(request, case),
        "version": case.version,
        "site": case.site.code,
        "item": case.item.implementation_code,
        "item_name": case.item_name,
        "case_type": case.case_type,
        "case_type_label": case.get_case_type_display(),
        "channel": case.channel,
        "channel_label": case.get_channel_display(),
        "ticket": case.ticket.number if case.ticket else None,
        "state": case.state,
        "state_label": case.get_state_display(),
        "applicant": _applicant_out(case),
        "agent": _agent_out(case),
        "department": {"code": case.department.code, "name": case.department.name} if case.department else None,
        "current_step": case.current_step,
        "current_step_label": case.get_current_step_display() if case.current_step else "",
        "opened_at": case.opened_at,
        "accepted_at": case.accepted_at,
        "transferred_at": case.transferred_at,
        "decided_at": case.decided_at,
        "delivered_at": case.delivered_at,
        "closed_at": case.closed_at,
        "clock": _clock_out(case),
        "decision": case.decision,
        "decision_label": case.get_decision_display() if case.decision else "",
        "result_name": case.result_name,
        "result_number": case.result_number,
        "rejection_reason": case.rejection_reason,
        "rejection_remedies": case.rejection_remedies,
        "pickup_method": case.pickup_method,
        "pickup_method_label": case.get_pickup_method_display(),
        "materials": [_material_out(line) for line in case.materials.all()],
        "correction_notices": [
            {
                "sequence": notice.sequence,
                "issued_at": notice.issued_at,
                "return_by": notice.return_by,
                "answered_at": notice.answered_at,
                "materials": [item.material.name for item in notice.items.all()],
            }
            for notice in notices
        ],
        "deliveries": [
            {
                "method": delivery.method,
                "carrier": delivery.carrier,
                "tracking_number": delivery.tracking_number,
                "recipient_name": mask_name(delivery.recipient_name) if delivery.recipient_name else "",
                "created_at": delivery.created_at,
                "delivered_at": delivery.delivered_at,
            }
            for delivery in case.deliveries.all()
        ],
        "actions": [
            {
                "action": ACTION_PATHS[check.action],
                "label": check.label,
                "allowed": check.allowed,
                "reason": check.reason,
            }
            for check in services.case_actions(case=case, user=user)
            if check.action in ACTION_PATHS
        ],
        "events": [_event_out(event) for event in services.case_timeline(case)],
    }
