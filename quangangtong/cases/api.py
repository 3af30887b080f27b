"""The 办件 API: open a case, take it through its actions, read it (staff), and its public progress.

Handlers only look things up, check who is calling and turn answers into JSON; every rule is in
cases.services, whose CaseError becomes the answer's status and Chinese message, the case unchanged.
"""

import datetime
import re
from functools import wraps
from typing import Literal

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from quangangtong.accounts.api_auth import caller_staff, device_auth
from quangangtong.api_schemas import STAFF_ERRORS, ErrorOut
from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import Action
from quangangtong.cases.models import (
    ApplicantKind,
    Carrier,
    Case,
    Channel,
    DeliveryProof,
    DocumentType,
    MaterialStatus,
    PickupMethod,
    SuspensionKind,
)
from quangangtong.cases.services.public import case_public_progress
from quangangtong.cases.throttle import TooManyFailures, throttled_lookup
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site, WindowSession
from quangangtong.ids import mask_name
from quangangtong.queueing.models import Ticket

router = Router(tags=["办件"])

MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
MAX_COPIES = 99
SITE_CODE_RE = re.compile(r"[-a-zA-Z0-9_]{1,40}")
CASE_ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **STAFF_ERRORS}
NOT_FOUND = "没有找到该办件：请核对办件编号（见材料接收单）和申请时登记的手机号码后四位。"

# The API names the applicant's fields apart from the agent's; the services name them as the model does.
APPLICANT_FIELDS = {
    "applicant_kind": "applicant_kind",
    "id_type": "applicant_id_type",
    "id_number": "applicant_id_number",
    "credit_code": "applicant_credit_code",
    "phone": "applicant_phone",
}
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
VERSION_DOC = "页面或上次应答中的 version；办件在此之后已被他人处理时返回 409，什么也不改。省略则不核对"
STALE_DOC = "请求体中可带 `expected_version`（GET 返回的 `version`），办件已被他人处理时返回 409。"
REFUSALS_DOC = (
    "当前状态不允许时返回 409 及原因；岗位或部门不符返回 403；输入有误返回 400，`errors[].field` 指明字段。"
    "被拒绝的操作不改变办件。"
)


# --- shapes -------------------------------------------------------------------------------------


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


class PublicStepOut(Schema):
    at: datetime.datetime
    name: str = Field(..., description="如 收件、受理、转办、环节通过")
    step: str = Field(..., description="审批环节名称：承办、审核、批准；其他为空")


class PublicCaseOut(Schema):
    number: str
    item_name: str
    state: str
    state_label: str
    note: str = Field(..., description="给申请人的说明，如“结果已送达窗口，请携带身份证件……领取”")
    steps: list[PublicStepOut]
    promised_due: datetime.date | None = Field(..., description="承诺办结日期；受理前为 null")
    remaining_working_days: int | None = Field(..., description="剩余工作日（负数为已超期）；不在计时中为 null")
    pickup_method: str = Field(..., description="window 窗口领取，post 快递寄送")
    pickup_method_label: str
    carrier: str = Field(..., description="已寄出时的快递公司")


def _version():
    return Field(None, ge=0, le=MAX_VERSION, description=VERSION_DOC)


class BodyIn(Schema):
    """A request body: a JSON object of the documented fields only (a misspelt expected_version is no check)."""

    model_config = ConfigDict(extra="forbid")


class CaseIn(BodyIn):
    item: str = Field(..., max_length=64, description="事项实施编码（见 GET /api/v1/items）")
    applicant_kind: Literal["person", "legal"] | None = Field(
        None, description="person 个人，legal 法人；省略时给了 applicant_credit_code 为 legal，否则为 person"
    )
    applicant_name: str = Field(..., max_length=200, description="个人姓名或单位名称")
    applicant_id_type: str = Field(
        DocumentType.RESIDENT_ID, max_length=3, description="证件类型代码，默认 111 居民身份证"
    )
    applicant_id_number: str = Field("", max_length=50, description="个人的证件号码（居民身份证按 GB 11643 校验）")
    applicant_credit_code: str = Field("", max_length=50, description="单位的统一社会信用代码（按 GB 32100 校验）")
    legal_representative: str = Field("", max_length=100, description="单位的法定代表人（负责人），单位必填")
    applicant_phone: str = Field(..., max_length=30, description="联系手机号码，11位")
    agent_name: str = Field("", max_length=100, description="代办人姓名；有代办人时填写")
    agent_id_type: str = Field(DocumentType.RESIDENT_ID, max_length=3, description="代办人证件类型代码")
    agent_id_number: str = Field("", max_length=50)
    agent_phone: str = Field("", max_length=30)
    channel: Literal["1", "2", "4"] = Field(Channel.WINDOW, description="申报来源：1 窗口，2 网上，4 邮寄")
    pickup_method: Literal["window", "post"] = Field(PickupMethod.WINDOW, description="window 窗口领取，post 快递寄送")
    ticket: int | None = Field(None, ge=1, le=MAX_ID, description="正在办理的排队票 id（叫号时返回的 id）")
    site: str = Field("", max_length=40, description="站点编码；省略时为调用者当前签到窗口所在的站点（未签到的须填写）")


class CaseCreatedOut(Schema):
    number: str = Field(..., description="办件编号，如 QJQ-HALL-20260930-0001")
    state: str
    state_label: str
    legal_due: datetime.date | None = Field(..., description="法定办结日期；受理前为 null")
    promised_due: datetime.date | None = Field(..., description="承诺办结日期；受理前为 null")
    version: int
    url: str = Field(..., description="办件地址（GET 查看，POST …/{操作} 办理）")
    public_url: str = Field(..., description="办件进度公开页")


class VersionIn(BodyIn):
    expected_version: int | None = _version()


class AcceptIn(VersionIn):
    pickup_method: Literal["window", "post"] | None = Field(None, description="出件方式；省略则沿用收件时的选择")


class MaterialIn(VersionIn):
    status: Literal["received", "missing", "defective", "deferred"] = Field(
        ..., description="received 已收，missing 缺，defective 有瑕疵（须写 defect），deferred 容缺后补（须有承诺）"
    )
    received_originals: int | None = Field(None, ge=0, le=MAX_COPIES, description="收取原件份数；省略为应收份数")
    received_copies: int | None = Field(None, ge=0, le=MAX_COPIES, description="收取复印件份数；省略为应收份数")
    defect: str = Field("", max_length=300, description="瑕疵说明：哪里不符合要求、如何补正")
    promise: str = Field("", max_length=500, description="容缺：申请人书面承诺补交的内容")
    promise_due: datetime.date | None = Field(None, description="容缺：承诺补交日期（今天以后，不晚于承诺办结日期）")


class CorrectionReceivedIn(VersionIn):
    received: list[int] | None = Field(None, max_length=100, description="带来的补正材料 id；省略为告知书上的全部材料")


class RejectIn(VersionIn):
    reason: str = Field(..., max_length=2000, description="不予受理的理由")
    remedies: str = Field("", max_length=2000, description="救济途径；省略为行政复议、行政诉讼的标准表述")


class DeferredMaterialIn(VersionIn):
    material: int = Field(..., ge=1, le=MAX_ID, description="容缺材料的办件材料 id")
    received_originals: int | None = Field(None, ge=0, le=MAX_COPIES)
    received_copies: int | None = Field(None, ge=0, le=MAX_COPIES)


class OpinionIn(VersionIn):
    opinion: str = Field(..., max_length=2000, description="本环节处理意见")


class SuspendIn(VersionIn):
    kind: Literal[tuple(SuspensionKind.values)] = Field(
        ..., description="特别程序种类：" + "，".join(f"{k.value} {k.label}" for k in SuspensionKind)
    )
    reason: str = Field(..., max_length=2000, description="启动理由或依据")


class ResumeIn(VersionIn):
    result: str = Field(..., max_length=2000, description="特别程序结果，如“现场核查符合要求”")


class DecideIn(VersionIn):
    decision: Literal["granted", "refused"] = Field(..., description="granted 准予，refused 不予")
    result_number: str = Field(..., max_length=60, description="证照或决定书编号")
    result_name: str = Field("", max_length=100, description="结果文书名称；省略为事项的结果名称")
    opinion: str = Field("", max_length=2000, description="决定意见；不予的须说明理由")


class DeliverIn(VersionIn):
    proof: Literal["identity", "pickup_code"] = Field(
        ..., description="identity 核验身份证件（填 recipient_id_number），pickup_code 取件码"
    )
    pickup_code: str = Field("", max_length=20, description="申请人短信中的6位取件码")
    recipient_id_number: str = Field("", max_length=50, description="领取人（申请人或登记的代办人）的证件号码")


class PostIn(VersionIn):
    carrier: Literal["SF", "EMS"] = Field(..., description="SF 顺丰速运，EMS 中国邮政 EMS")
    tracking_number: str = Field(..., max_length=40, description="快递单号")
    address: str = Field(..., max_length=200, description="寄送地址")
    recipient_name: str = Field("", max_length=50, description="收件人；省略为代办人或申请人")
    recipient_phone: str = Field("", max_length=30, description="收件人手机；省略为申请人的")


class DeliveredIn(VersionIn):
    delivered_at: datetime.datetime | None = Field(None, description="签收时间；省略为现在")


# --- helpers ------------------------------------------------------------------------------------


def _answers_case_errors(view):
    """Answer a CaseError with its status and Chinese message; the service has changed nothing."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except CaseError as error:
            errors = [{"field": error.field, "message": error.message}] if error.field else []
            return Status(error.status, {"detail": error.message, "errors": errors})

    return wrapped


def _refuse_unreadable(payload):
    """Refuse text no field can hold: NUL (PostgreSQL refuses it) or a lone surrogate (not UTF-8)."""
    for field, value in payload.model_dump().items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and ("\x00" in text or not _encodable(text)):
                raise CaseError(f"“{field}”含有无效字符，请删除后重新输入。", status=400, field=field)


def _encodable(text):
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _staff_and_case(request, number, payload=None):
    """Return the staff member calling and the case the path names, or refuse (403, 404, 400)."""
    user = caller_staff(request.auth)
    case = services.case_get(number=number)
    if payload is not None:
        _refuse_unreadable(payload)
    return user, case


def _aware(value, field):
    """Return a datetime from the request as an aware one (a naive one is Beijing time), or refuse (400)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:
        raise CaseError(f"“{field}”超出可用的日期范围，请核对。", status=400, field=field) from None


def _material_id(value):
    return value if isinstance(value, int) and 1 <= value <= MAX_ID else 0


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


def _site_for(code, user):
    """Return the site named by code, else the one where user is signed in at a window; refuse (400)."""
    if code:
        site = Site.objects.filter(code=code).first() if SITE_CODE_RE.fullmatch(code) else None
        if site is None:
            raise CaseError(
                f"站点：“{code[:40]}”不存在，请核对站点编码（见 GET /api/v1/sites）。", status=400, field="site"
            )
        return site
    session = WindowSession.objects.filter(officer=user, signed_out_at=None).select_related("window__site").first()
    if session is None:
        raise CaseError("站点：您没有在任何窗口签到，请先签到，或在请求中填写站点编码 site。", status=400, field="site")
    return session.window.site


# --- opening a case -----------------------------------------------------------------------------


@router.post(
    "/cases",
    response={201: CaseCreatedOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="收件（新建办件）",
    description="窗口人员或社区工作人员为申请人新建办件，事项的材料清单随之复制到办件中。"
    "站点：请求中的 `site`；省略时为调用者当前签到窗口所在的站点（未签到的须填写）。"
    "个人填写 `applicant_id_number`（居民身份证按 GB 11643 校验），单位填写 `applicant_credit_code`"
    "（按 GB 32100 校验）和 `legal_representative`；手机号码、代办人证件同样校验。号码无效返回 400，"
    "`errors[].field` 指明字段。`ticket` 为正在办理的排队票 id（须为本站点叫到或办理中的票）。"
    "返回 201：办件编号、状态，以及受理前为 null 的法定和承诺办结日期。",
)
@_answers_case_errors
def case_create(request, payload: CaseIn):
    user = caller_staff(request.auth)
    _refuse_unreadable(payload)
    code = payload.item.strip()
    item = ServiceItem.objects.filter(implementation_code=code).first()
    if item is None:
        raise CaseError(
            f"事项：实施编码“{code[:64]}”不存在，请核对（见 GET /api/v1/items）。", status=400, field="item"
        )
    site = _site_for(payload.site.strip(), user)
    ticket = None
    if payload.ticket is not None:
        ticket = Ticket.objects.filter(pk=payload.ticket).first()
        if ticket is None:
            raise CaseError(f"排队票：id={payload.ticket} 不存在。", status=400, field="ticket")
    kind = payload.applicant_kind or (
        ApplicantKind.LEGAL if payload.applicant_credit_code.strip() else ApplicantKind.PERSON
    )
    try:
        case = services.case_open(
            site=site, item=item, user=user, applicant_kind=kind, applicant_name=payload.applicant_name,
            phone=payload.applicant_phone, id_type=payload.applicant_id_type, id_number=payload.applicant_id_number,
            credit_code=payload.applicant_credit_code, legal_representative=payload.legal_representative,
            agent_name=payload.agent_name, agent_id_type=payload.agent_id_type or DocumentType.RESIDENT_ID,
            agent_id_number=payload.agent_id_number, agent_phone=payload.agent_phone, channel=payload.channel,
            ticket=ticket, pickup_method=payload.pickup_method,
        )  # fmt: skip
    except CaseError as error:
        error.field = APPLICANT_FIELDS.get(error.field, error.field)
        raise
    return Status(
        201,
        {
            "number": case.number,
            "state": case.state,
            "state_label": case.get_state_display(),
            "legal_due": case.legal_due,
            "promised_due": case.promised_due,
            "version": case.version,
            "url": _case_url(request, case),
            "public_url": _public_url(request, case),
        },
    )


# --- reading a case -----------------------------------------------------------------------------


@router.get(
    "/cases/{number}",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    url_name="case_detail",
    summary="办件详情（工作人员）",
    description="办件的申请人（姓名、证件号码、电话均已遮蔽）、材料、时限（剩余工作日、预警）、告知书、出件记录、"
    "全部记录，以及调用者现在能进行哪些操作（不能的附原因）。任何工作人员岗位可读。",
)
@_answers_case_errors
def case_detail(request, number: str):
    user, case = _staff_and_case(request, number)
    return _case_out(request, case, user)


# --- actions ------------------------------------------------------------------------------------


@router.post(
    "/cases/{number}/materials/{material_id}",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="登记材料",
    description="收件时登记一项清单材料：已收（份数默认为应收份数）、缺、有瑕疵（写明 defect）或容缺后补"
    "（仅事项清单允许容缺的材料，须有 promise 和 promise_due）。`material_id` 见办件详情的 materials[].id。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_material_mark(request, number: str, material_id: int, payload: MaterialIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_material_mark(
        case=case, user=user, material=_material_id(material_id), status=MaterialStatus(payload.status),
        received_originals=payload.received_originals, received_copies=payload.received_copies,
        defect=payload.defect, promise=payload.promise, promise_due=payload.promise_due,
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/accept",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="受理",
    description="必要材料都已收齐时受理：时限从次日起算，承诺件得到承诺办结日期；即办件随后在窗口当场决定。"
    "有容缺材料的请用 accept-with-promise，材料不齐的请用 request-correction。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_accept(request, number: str, payload: AcceptIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_accept(
        case=case, user=user, pickup_method=payload.pickup_method, expected_version=payload.expected_version
    )
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/accept-with-promise",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="容缺受理",
    description="登记为容缺后补的材料有申请人书面承诺时先行受理；容缺材料补齐前准予的结果不出件，"
    "逾期未补则终止办理。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_accept_with_promise(request, number: str, payload: AcceptIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_accept_with_promise(
        case=case, user=user, pickup_method=payload.pickup_method, expected_version=payload.expected_version
    )
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/request-correction",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="一次性告知补正",
    description="出具《补正材料通知书》，一次列出全部缺少或有瑕疵的材料，办件等待补正（行政许可法第三十二条）。"
    "再次告知不在此前告知书中的材料会被拒绝（409）：确需再次告知的，须由督查人员在窗口工作台批准并写明理由，"
    "本接口不接受代为批准。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_request_correction(request, number: str, payload: VersionIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_request_correction(case=case, user=user, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/correction-received",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="收取补正材料",
    description="申请人带回补正材料：`received` 为带来的材料 id（省略为告知书上的全部），办件回到收件状态，"
    "再登记、受理。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_correction_received(request, number: str, payload: CorrectionReceivedIn):
    user, case = _staff_and_case(request, number, payload)
    received = None if payload.received is None else [_material_id(value) for value in payload.received]
    services.case_correction_received(
        case=case, user=user, received=received, expected_version=payload.expected_version
    )
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/reject",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="不予受理",
    description="以理由和救济途径作出不予受理决定（出具《不予受理通知书》），办件结束。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_reject(request, number: str, payload: RejectIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_reject(
        case=case, user=user, reason=payload.reason, remedies=payload.remedies,
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/deferred-material-received",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="收取容缺材料",
    description="收取申请人承诺补交的容缺材料；补齐后，等待中的准予结果即送达窗口待出件。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_deferred_material_received(request, number: str, payload: DeferredMaterialIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_deferred_material_received(
        case=case, user=user, material=payload.material, received_originals=payload.received_originals,
        received_copies=payload.received_copies, expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/transfer",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="转办",
    description="把已受理的承诺件转到事项的审批部门，承办环节开始。即办件不转办。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_transfer(request, number: str, payload: VersionIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_transfer(case=case, user=user, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/step-pass",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="环节通过",
    description="审批部门的审批人员以处理意见通过当前环节（承办 → 审核 → 批准）；批准环节请用 decide。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_step_pass(request, number: str, payload: OpinionIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_step_pass(case=case, user=user, opinion=payload.opinion, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/step-return",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="环节退回",
    description="审批部门的审批人员以意见把办件退回上一环节。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_step_return(request, number: str, payload: OpinionIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_step_return(case=case, user=user, opinion=payload.opinion, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/suspend",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="特别程序挂起",
    description="启动特别程序（延长审批、现场核查、听证、检验检测、鉴定、专家评审等）或受理后补正："
    "法定和承诺时限都停止计算（行政许可法第四十五条）。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_suspend(request, number: str, payload: SuspendIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_suspend(
        case=case, user=user, kind=SuspensionKind(payload.kind), reason=payload.reason,
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/resume",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="恢复计时",
    description="以结果结束正在进行的特别程序，时限恢复计算，办结日期顺延所经过的工作日。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_resume(request, number: str, payload: ResumeIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_resume(case=case, user=user, result=payload.result, expected_version=payload.expected_version)
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/decide",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="作出决定",
    description="准予或不予，附证照或决定书编号：承诺件在批准环节由审批部门作出，即办件在窗口当场作出。"
    "不予的须说明理由（行政许可法第三十八条）。结果随即送达窗口待出件（容缺材料未补齐的准予结果除外）。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_decide(request, number: str, payload: DecideIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_decide(
        case=case, user=user, decision=payload.decision, result_number=payload.result_number,
        result_name=payload.result_name, opinion=payload.opinion, expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/deliver-at-window",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="窗口出件",
    description="在窗口把结果交给申请人或登记的代办人：核验其证件号码，或核对短信中的取件码。办件送达。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_deliver_at_window(request, number: str, payload: DeliverIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_deliver_at_window(
        case=case, user=user, proof=DeliveryProof(payload.proof), pickup_code=payload.pickup_code,
        recipient_id_number=payload.recipient_id_number, expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/post",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="快递寄出",
    description="把结果快递寄出，登记快递公司和单号（顺丰如 SF1234567890123，EMS 如 1123456789012）。"
    "事项不支持快递的返回 409。" + REFUSALS_DOC + STALE_DOC,
)
@_answers_case_errors
def case_post(request, number: str, payload: PostIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_post(
        case=case, user=user, carrier=Carrier(payload.carrier), tracking_number=payload.tracking_number,
        address=payload.address, recipient_name=payload.recipient_name, recipient_phone=payload.recipient_phone,
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


@router.post(
    "/cases/{number}/mark-delivered",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    summary="确认送达",
    description="登记快递已签收（`delivered_at` 省略为现在，须在寄出之后、现在之前），办件送达。"
    + REFUSALS_DOC
    + STALE_DOC,
)
@_answers_case_errors
def case_mark_delivered(request, number: str, payload: DeliveredIn):
    user, case = _staff_and_case(request, number, payload)
    services.case_mark_delivered(
        case=case, user=user, delivered_at=_aware(payload.delivered_at, "delivered_at"),
        expected_version=payload.expected_version,
    )  # fmt: skip
    return _case_out(request, case, user)


# --- public progress ----------------------------------------------------------------------------


@router.get(
    "/public/cases/{number}",
    response={200: PublicCaseOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="办件进度查询（公开）",
    description="凭办件编号和申请时登记的手机号码后四位查询办理进度：状态、已办环节及时间、承诺办结日期、"
    "剩余工作日、取件方式。无需令牌；不含姓名、证件号码、电话和审批意见。编号不存在与手机号不符的应答完全相同"
    "（404）。同一客户端地址10分钟内查询失败5次后返回 429，`Retry-After` 头给出需等待的秒数。",
)
def case_public(
    request,
    response: HttpResponse,
    number: str,
    phone_last4: str = Query(..., pattern=r"^[0-9]{4}$", description="申请时登记的手机号码后四位"),
):
    # Personal data: kept by no shared cache or browser history, whichever the answer.
    response["Cache-Control"] = "no-store"
    try:
        case = throttled_lookup(request, lambda: services.case_public_lookup(number=number, phone_last4=phone_last4))
    except TooManyFailures as refused:
        response["Retry-After"] = str(refused.retry_after)
        return Status(429, {"detail": refused.message, "errors": []})
    if case is None:
        return Status(404, {"detail": NOT_FOUND, "errors": []})
    return case_public_progress(case)
