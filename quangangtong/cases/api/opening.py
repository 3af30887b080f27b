"""收件: a window officer or station staff opens a case for an applicant (POST /cases)."""

import datetime
import re
from typing import Literal

from ninja import Field, Schema, Status

from quangangtong.accounts.api_auth import caller_staff, device_auth
from quangangtong.cases import services
from quangangtong.cases.api._common import (
    CASE_ERRORS,
    MAX_ID,
    BodyIn,
    _answers_case_errors,
    _refuse_unreadable,
    router,
)
from quangangtong.cases.api.shapes import _case_url, _public_url
from quangangtong.cases.errors import CaseError
from quangangtong.cases.models import ApplicantKind, Channel, DocumentType, PickupMethod
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site, WindowSession
from quangangtong.queueing.models import Ticket

SITE_CODE_RE = re.compile(r"[-a-zA-Z0-9_]{1,40}")

# The API names the applicant's fields apart from the agent's; the services name them as the model does.
APPLICANT_FIELDS = {
    "applicant_kind": "applicant_kind",
    "id_type": "applicant_id_type",
    "id_number": "applicant_id_number",
    "credit_code": "applicant_credit_code",
    "phone": "applicant_phone",
}


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
