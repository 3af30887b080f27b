"""The floor's device API: kiosks issue tickets, window callers call and serve, displays read the board.

Handlers only look things up, check who is calling and turn answers into JSON; every rule is in services.
"""

import datetime
import re
from enum import StrEnum
from functools import wraps
from typing import Literal

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Header, Path, Router, Schema, Status

from quangangtong.accounts.api_auth import caller_may_issue, caller_staff, device_auth
from quangangtong.accounts.models import TokenKind
from quangangtong.accounts.roles import Role
from quangangtong.api_schemas import STAFF_ERRORS, ErrorOut
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site, TicketCategory, Window, WindowSession
from quangangtong.ids import IdNumberError, validate_mobile
from quangangtong.queueing import services
from quangangtong.queueing.errors import FloorError
from quangangtong.queueing.live import board_state
from quangangtong.queueing.models import Channel, Ticket
from quangangtong.queueing.routing import Priority

router = Router(tags=["排队叫号"])

ISSUE_ROLES = (Role.GUIDE, Role.HALL_MANAGER, Role.STATION_STAFF)
WINDOW_ROLES = (Role.WINDOW_OFFICER, Role.STATION_STAFF)
REQUEUE_ROLES = (*WINDOW_ROLES, Role.GUIDE, Role.HALL_MANAGER)

PRIORITIES = {"appointment": Priority.APPOINTMENT, "green": Priority.GREEN, "normal": Priority.NORMAL}
PRIORITY_NAMES = {int(value): name for name, value in PRIORITIES.items()}
MAX_ID = 2**63 - 1
SITE_CODE_RE = re.compile(r"[-a-zA-Z0-9_]{1,40}")

FLOOR_ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **STAFF_ERRORS}

LIVE_STREAM_DOC = """
**实时事件流**（叫号屏、LED 控制器、窗口叫号器订阅）：`GET /live/{site}/events`，`text/event-stream`（SSE），无需令牌。
每条消息的 `id` 是事件序号，`event` 是类型，`data` 是 JSON：

- `call`：叫号、重呼或回呼，`text` 为播报文本（如“请A001号到3号窗口办理”），另有 `ticket`（票号）、`ticket_id`、
  `category`、`window`（窗口号）；
- `ticket.<动作>`：票的其他变化（issued、no_show、requeued、held、transferred、serving、finished 等）；
- `window`：窗口签到、签退、暂停或恢复（`window` 窗口号、`state`、暂停时 `reason`）；
- `day.closed`：日终清号（`closed` 为关闭张数）。

等候人数变化的事件（取号、叫号、重新排队、转移、日终清号）和 `window` 事件的 `data` 带 `waiting`：各取号类别当前
等候人数，如 `{"A": 3, "B": 0}`；其他事件不带，沿用上一次的人数。断线重连时带上
`Last-Event-ID` 请求头（浏览器的 EventSource 会自动带），服务器从其后补发全部事件，不漏、不重；
首次连接可用 `?after=事件序号`。先取本接口得到当前状态和 `last_event_id`，再从该序号订阅。
消息里只有票号和窗口号，没有姓名或电话。
"""


# --- shapes -------------------------------------------------------------------------------------


class OfficerOut(Schema):
    username: str
    name: str


class WindowOut(Schema):
    id: int
    number: int
    name: str
    state: str = Field(..., description="open 服务中，paused 暂停服务，closed 未开放")
    state_label: str
    pause_reason: str
    officer: OfficerOut | None = Field(..., description="签到在此窗口的工作人员；无人签到时为 null")
    categories: list[str] = Field(..., description="窗口办理的取号类别前缀")


class CategoryOut(Schema):
    prefix: str
    name: str
    description: str
    waiting: int = Field(..., description="当前等候人数")


class SiteFloorOut(Schema):
    code: str
    name: str
    windows: list[WindowOut]
    categories: list[CategoryOut]


class TicketOut(Schema):
    id: int
    number: str = Field(..., description="票号，如 A001")
    site: str
    category: str = Field(..., description="取号类别前缀")
    category_name: str
    item: str | None = Field(..., description="事项实施编码；按类别取号时为 null")
    item_name: str | None
    priority: Literal["appointment", "green", "normal"] = Field(
        ..., description="appointment 预约签到，green 绿色通道，normal 普通"
    )
    priority_label: str
    channel: str = Field(..., description="kiosk 自助取号机，guide 引导员代取，web 网上取号，appointment 预约签到")
    status: str = Field(
        ...,
        description="waiting 等候中，called 已叫号，serving 办理中，held 挂起，no_show 过号，"
        "finished 已办结，closed 日终关闭",
    )
    status_label: str
    waiting_ahead: int = Field(..., description="前面还有几人（仅等候中的票，否则为 0）")
    window: int | None = Field(..., description="叫到的窗口号")
    window_id: int | None
    reserved_window: int | None = Field(..., description="转移到指定窗口时的窗口号，只有该窗口能叫到")
    recall_count: int
    issued_at: datetime.datetime
    public_url: str = Field(..., description="公开查询页（票面二维码指向这里）")


class BoardSiteOut(Schema):
    code: str
    name: str


class BoardWindowOut(Schema):
    number: int
    name: str
    state: str = Field(..., description="open 服务中，paused 暂停服务，closed 未开放")
    state_label: str
    reason: str = Field(..., description="暂停原因（仅暂停时）")
    ticket: str | None = Field(..., description="当前叫到或办理中的票号")
    ticket_status: str | None = Field(..., description="called 已叫号，serving 办理中")
    status_text: str = Field(..., description="屏上显示的状态，如“请到窗口”“办理中”“暂停服务”")


class BoardPausedOut(Schema):
    number: int
    reason: str
    text: str = Field(..., description="如“3号窗口暂停服务”")


class BoardCallOut(Schema):
    id: int = Field(..., description="事件序号")
    ticket: str | None
    window: int | None
    text: str = Field(..., description="播报文本")
    at: str = Field(..., description="叫号时间（北京时间，ISO 8601）")


class BoardWaitingOut(Schema):
    prefix: str
    name: str
    count: int


class BoardOut(Schema):
    site: BoardSiteOut
    windows: list[BoardWindowOut]
    paused: list[BoardPausedOut]
    calls: list[BoardCallOut] = Field(..., description="今天最近的叫号，最新在前")
    waiting: list[BoardWaitingOut] = Field(..., description="各取号类别的等候人数")
    last_event_id: int = Field(..., description="从此序号之后订阅实时事件流")
    generated_at: str


class TicketIn(Schema):
    category: str = Field("", max_length=2, description="取号类别前缀，如 A；与 item 至少给一个")
    item: str = Field("", max_length=64, description="事项实施编码；只给事项时按事项所属类别取号")
    priority: Literal["normal", "green", "appointment"] = Field(
        "normal", description="normal 普通；green 绿色通道（70岁以上老人、残疾人、孕妇、军人）；appointment 预约签到"
    )
    phone: str = Field("", max_length=20, description="叫号临近时短信提醒的手机号（可选），不在任何接口中返回")
    channel: Literal["kiosk", "guide", "web", "appointment"] | None = Field(
        None, description="取号渠道；缺省时取号机令牌为 kiosk，工作人员为 guide"
    )


class TransferIn(Schema):
    category: str = Field("", max_length=2, description="转至的取号类别前缀；缺省为原类别")
    window: int | None = Field(None, ge=1, le=MAX_ID, description="转至的窗口 id（只有该窗口能叫到）；缺省为任一窗口")


class PauseIn(Schema):
    reason: str = Field("暂停服务", max_length=50, description="叫号屏上显示的暂停原因")


class TicketAction(StrEnum):
    RECALL = "recall"
    NO_SHOW = "no-show"
    HOLD = "hold"
    RESUME = "resume"
    START = "start"
    FINISH = "finish"
    REQUEUE = "requeue"


ACTIONS = {
    TicketAction.RECALL: services.ticket_recall,
    TicketAction.NO_SHOW: services.ticket_no_show,
    TicketAction.HOLD: services.ticket_hold,
    TicketAction.RESUME: services.ticket_resume,
    TicketAction.START: services.ticket_start,
    TicketAction.FINISH: services.ticket_finish,
}


def _window_id():
    return Path(..., ge=1, le=MAX_ID, description="窗口 id（见 GET /sites/{site} 的 windows[].id）")


def _ticket_id():
    return Path(..., ge=1, le=MAX_ID, description="票 id（取号或叫号时返回的 id）")


# --- helpers ------------------------------------------------------------------------------------


def _floor_errors(view):
    """Answer a FloorError with its status and Chinese message; the service has changed nothing."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except FloorError as error:
            errors = [{"field": error.field, "message": error.message}] if error.field else []
            return Status(error.status, {"detail": error.message, "errors": errors})

    return wrapped


def _plain(value, field):
    # PostgreSQL refuses NUL in text, so such input must be turned away before any query.
    if "\x00" in value:
        raise FloorError(f"“{field}”含有无效字符", status=400, field=field)
    return value.strip()


def _site(code):
    site = Site.objects.filter(code=code).first() if SITE_CODE_RE.fullmatch(code) else None
    if site is None:
        raise FloorError(f"站点“{code[:40]}”不存在，请核对站点编码（见 GET /api/v1/sites）", status=404, field="site")
    return site


def _window(window_id):
    window = Window.objects.select_related("site").filter(pk=window_id).first()
    if window is None:
        raise FloorError(f"窗口 id={window_id} 不存在", status=404, field="window")
    return window


def _ticket(ticket_id):
    # Only the id: the services read the ticket again under a lock, and answer with it.
    found = Ticket.objects.only("id", "site").filter(pk=ticket_id).first()
    if found is None:
        raise FloorError(f"票 id={ticket_id} 不存在", status=404, field="ticket")
    return found


def _officer_out(user):
    return {"username": user.get_username(), "name": user.get_full_name() or user.get_username()}


def _window_out(window, session):
    return {
        "id": window.id,
        "number": window.number,
        "name": str(window),
        "state": window.state,
        "state_label": window.get_state_display(),
        "pause_reason": window.pause_reason,
        "officer": _officer_out(session.officer) if session else None,
        "categories": [category.prefix for category in window.categories.all()],
    }


def _public_url(request, ticket):
    return request.build_absolute_uri(reverse("ticket-public", args=[ticket.public_token]))


def _ticket_out(request, ticket):
    """Return the JSON of ticket as a service returned it (with its site, category and window)."""
    item_code = item_name = None
    if ticket.item_id:
        item_code, item_name = ServiceItem.objects.values_list("implementation_code", "name").get(pk=ticket.item_id)
    if Ticket.site.is_cached(ticket):
        site_code = ticket.site.code
    else:
        site_code = Site.objects.values_list("code", flat=True).get(pk=ticket.site_id)
    return {
        "id": ticket.id,
        "number": ticket.number,
        "site": site_code,
        "category": ticket.category.prefix,
        "category_name": ticket.category.name,
        "item": item_code,
        "item_name": item_name,
        "priority": PRIORITY_NAMES[ticket.priority],
        "priority_label": ticket.get_priority_display(),
        "channel": ticket.channel,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "waiting_ahead": services.ticket_position(ticket),
        "window": ticket.window.number if ticket.window_id else None,
        "window_id": ticket.window_id,
        "reserved_window": ticket.reserved_window.number if ticket.reserved_window_id else None,
        "recall_count": ticket.recall_count,
        "issued_at": timezone.localtime(ticket.issued_at),
        "public_url": _public_url(request, ticket),
    }


# --- sites --------------------------------------------------------------------------------------


@router.get(
    "/sites/{site}",
    response={200: SiteFloorOut, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="站点的窗口与取号类别",
    description="窗口（状态、暂停原因、签到人员）和取号类别（当前等候人数）。任何令牌或工作人员登录均可读取。",
)
@_floor_errors
def site_floor(request, site: str):
    found = _site(site)
    windows = found.windows.prefetch_related("categories")
    sessions = {
        session.window_id: session
        for session in WindowSession.objects.filter(window__site=found, signed_out_at=None).select_related("officer")
    }
    waiting = services.waiting_counts(found)
    categories = TicketCategory.objects.filter(site=found, is_active=True)
    return {
        "code": found.code,
        "name": found.name,
        "windows": [_window_out(window, sessions.get(window.id)) for window in windows],
        "categories": [
            {"prefix": c.prefix, "name": c.name, "description": c.description, "waiting": waiting.get(c.prefix, 0)}
            for c in categories
        ],
    }


@router.get(
    "/sites/{site}/board",
    response={200: BoardOut, 404: ErrorOut, 422: ErrorOut},
    summary="叫号屏数据（公开）",
    description="叫号屏的当前状态：各窗口当前叫号、最近叫号、各类别等候人数、暂停的窗口，以及 `last_event_id`。"
    "无需令牌；只有票号和窗口号，不含姓名和电话。\n" + LIVE_STREAM_DOC,
)
@_floor_errors
def site_board(request, site: str):
    return board_state(site=_site(site))


# --- tickets ------------------------------------------------------------------------------------


@router.post(
    "/sites/{site}/tickets",
    response={201: TicketOut, 200: TicketOut, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="取号",
    description="给出取号类别前缀（category）或事项实施编码（item）。取号机令牌只能为本站点取号；工作人员需为"
    "引导员、大厅管理员或社区工作人员。\n\n"
    "请求头 `Idempotency-Key`（建议每次取号生成一个 UUID）使重试安全：同一站点下同一键的重复请求不会再出票，"
    "而是返回第一次出的那张票，状态码为 **200**（第一次为 **201**）；重复请求的请求体不再核对。",
)
@_floor_errors
def ticket_create(
    request,
    site: str,
    payload: TicketIn,
    idempotency_key: str = Header(
        "", alias="Idempotency-Key", max_length=100, description="幂等键：重试时带同一个值，不会重复出票"
    ),
):
    found = _site(site)
    caller = request.auth
    caller_may_issue(caller, found, *ISSUE_ROLES)
    key = _plain(idempotency_key, "Idempotency-Key")
    item = None
    code = _plain(payload.item, "item")
    if code:
        item = ServiceItem.objects.filter(implementation_code=code, is_active=True).first()
        if item is None:
            raise FloorError(f"事项“{code}”不存在或已停用，请核对实施编码", status=400, field="item")
    phone = _plain(payload.phone, "phone")
    if phone:
        try:
            phone = validate_mobile(phone)
        except IdNumberError as error:
            raise FloorError(f"手机号：{error.message}", status=422, field="phone") from None
    default_channel = Channel.KIOSK if caller.kind == TokenKind.KIOSK else Channel.GUIDE
    ticket, created = services.ticket_issue(
        site=found,
        category=_plain(payload.category, "category"),
        item=item,
        priority=PRIORITIES[payload.priority],
        channel=payload.channel or default_channel,
        phone=phone,
        idempotency_key=key,
        issued_by=caller.user if caller.kind == TokenKind.STAFF else None,
    )
    return Status(201 if created else 200, _ticket_out(request, ticket))


@router.post(
    "/tickets/{ticket}/transfer",
    response={200: TicketOut, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="转移",
    description="把叫到、办理中或挂起的票转到另一类别和/或指定窗口，保留原排队时间。只能由签到在该票窗口的人员操作。",
)
@_floor_errors
def ticket_transfer(request, payload: TransferIn, ticket: int = _ticket_id()):
    officer = caller_staff(request.auth, *WINDOW_ROLES)
    found = _ticket(ticket)
    category = None
    prefix = _plain(payload.category, "category")
    if prefix:
        category = TicketCategory.objects.filter(site=found.site_id, prefix=prefix.upper(), is_active=True).first()
        if category is None:
            raise FloorError(f"取号类别“{prefix}”不存在", status=400, field="category")
    window = None
    if payload.window is not None:
        window = Window.objects.filter(pk=payload.window).first()
        if window is None:
            raise FloorError(f"窗口 id={payload.window} 不存在", status=400, field="window")
    moved = services.ticket_transfer(ticket=found, officer=officer, category=category, window=window)
    return _ticket_out(request, moved)


@router.post(
    "/tickets/{ticket}/{action}",
    response={200: TicketOut, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="票的窗口操作",
    description="recall 重呼（超过站点的重呼上限即按过号处理）、no-show 过号、hold 挂起、resume 回呼、"
    "start 开始办理、finish 办结、requeue 过号后重新排队（排到队尾，每张票限一次）。"
    "当前状态不允许的操作返回 409 及原因；票在别人签到的窗口上返回 403。"
    "窗口操作用窗口人员本人的令牌；requeue 引导员和大厅管理员也可操作。",
)
@_floor_errors
def ticket_act(request, action: TicketAction, ticket: int = _ticket_id()):
    if action == TicketAction.REQUEUE:
        user = caller_staff(request.auth, *REQUEUE_ROLES)
        done = services.ticket_requeue(ticket=_ticket(ticket), user=user)
    else:
        officer = caller_staff(request.auth, *WINDOW_ROLES)
        done = ACTIONS[action](ticket=_ticket(ticket), officer=officer)
    return _ticket_out(request, done)


# --- windows ------------------------------------------------------------------------------------


def _window_answer(window):
    window.refresh_from_db(fields=["state", "pause_reason"])
    return _window_out(window, services.window_session(window))


@router.post(
    "/windows/{window}/sign-in",
    response={200: WindowOut, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="签到",
    description="令牌所属的窗口人员在此窗口签到（同时签退其原来的窗口），窗口转为服务中。已有他人签到时返回 409。",
)
@_floor_errors
def window_sign_in(request, window: int = _window_id()):
    officer = caller_staff(request.auth, *WINDOW_ROLES)
    found = _window(window)
    services.window_sign_in(window=found, officer=officer)
    return _window_answer(found)


@router.post(
    "/windows/{window}/sign-out",
    response={200: WindowOut, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="签退",
    description="签到人员本人签退，窗口转为未开放。窗口还有叫到或办理中的票时返回 409。",
)
@_floor_errors
def window_sign_out(request, window: int = _window_id()):
    officer = caller_staff(request.auth, *WINDOW_ROLES)
    found = _window(window)
    services.window_sign_out(window=found, officer=officer)
    return _window_answer(found)


@router.post(
    "/windows/{window}/pause",
    response={200: WindowOut, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="暂停服务",
    description="窗口暂停叫号（叫号屏显示暂停原因），由签到人员本人操作。",
)
@_floor_errors
def window_pause(request, payload: PauseIn, window: int = _window_id()):
    officer = caller_staff(request.auth, *WINDOW_ROLES)
    found = _window(window)
    reason = _plain(payload.reason, "reason") or "暂停服务"
    services.window_pause(window=found, officer=officer, reason=reason)
    return _window_answer(found)


@router.post(
    "/windows/{window}/resume",
    response={200: WindowOut, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="恢复服务",
    description="暂停的窗口恢复叫号，由签到人员本人操作。",
)
@_floor_errors
def window_resume(request, window: int = _window_id()):
    officer = caller_staff(request.auth, *WINDOW_ROLES)
    found = _window(window)
    services.window_resume(window=found, officer=officer)
    return _window_answer(found)


@router.post(
    "/windows/{window}/call-next",
    response={200: TicketOut, 204: None, **FLOOR_ERRORS},
    auth=device_auth(),
    summary="叫号",
    description="按本窗口的类别和签到人员的技能叫下一位（预约、绿色通道优先，再按排队时间；久等的票优先）。"
    "叫到返回 200 和票；没有可办的等候票返回 204（无内容）。须由签到在此窗口的人员本人操作；"
    "窗口无人签到、暂停中或仍有当前票时返回 409。",
)
@_floor_errors
def window_call_next(request, window: int = _window_id()):
    officer = caller_staff(request.auth, *WINDOW_ROLES)
    called = services.ticket_call_next(window=_window(window), officer=officer)
    if called is None:
        return Status(204, None)
    return _ticket_out(request, called)
