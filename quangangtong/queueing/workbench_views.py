"""The window workbench: an officer signs in at a window, calls, serves, holds and transfers tickets."""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from quangangtong.accounts.roles import Role, role_required
from quangangtong.hall.models import Site, TicketCategory, Window, WindowSession, WindowState
from quangangtong.ids import mask_phone
from quangangtong.queueing import services
from quangangtong.queueing.errors import FloorError
from quangangtong.queueing.models import Ticket, TicketEventKind, TicketStatus

OFFICER_ROLES = (Role.WINDOW_OFFICER, Role.STATION_STAFF)
TICKET_ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)


def _open_session(user):
    return (
        WindowSession.objects.filter(officer=user, signed_out_at=None).select_related("window", "window__site").first()
    )


def _sites_for(user):
    """Return the sites whose windows user may sign in at: where they are certified, else every site with windows."""
    by_category = Site.objects.filter(ticket_categories__skills__officer=user)
    by_item = Site.objects.filter(ticket_categories__items__skills__officer=user)
    for candidates in (by_category, by_item, Site.objects.filter(windows__isnull=False)):
        sites = list(candidates.distinct().order_by("sort_order", "code"))
        if sites:
            return sites
    return []


def _floor_state(window, officer):
    """Return what the workbench shows of the floor: counts, the current ticket, held and missed tickets."""
    today = timezone.localdate()
    window_categories = list(window.categories.filter(is_active=True))
    waiting = services.waiting_counts(window.site)
    eligible = services.eligible_by_category(window=window, officer=officer)
    current = (
        Ticket.objects.filter(window=window, status__in=TICKET_ACTIVE)
        .select_related("category", "item", "item__department")
        .first()
    )
    held = list(Ticket.objects.filter(window=window, status=TicketStatus.HELD).select_related("category", "item"))
    missed = list(
        Ticket.objects.filter(window=window, status=TicketStatus.NO_SHOW, requeued=False, day=today)
        .select_related("category")
        .order_by("-queued_at")[:5]
    )
    signature = "|".join(
        [
            window.state,
            f"{current.pk}:{current.status}:{current.recall_count}" if current else "-",
            ",".join(str(t.pk) for t in held),
            ",".join(str(t.pk) for t in missed),
        ]
    )
    return {
        "eligible": services.eligible_count(window=window, officer=officer),
        "categories": [
            {
                "prefix": c.prefix,
                "name": c.name,
                "waiting": waiting.get(c.prefix, 0),
                "eligible": eligible.get(c.prefix, 0),
            }
            for c in window_categories
        ],
        "current": current,
        "held": held,
        "missed": missed,
        "signature": signature,
    }


def _minutes(start, end):
    return max(0, int((end - start).total_seconds() // 60))


def _current_detail(ticket, now):
    events = list(ticket.events.select_related("window").order_by("at", "id"))
    called = [e.at for e in events if e.kind == TicketEventKind.CALLED]
    return {
        "events": events,
        "waited": _minutes(ticket.issued_at, called[-1] if called else now),
        "phone": mask_phone(ticket.phone) if ticket.phone else "",
    }


def _render(request, *, error=None, status=200):
    user = request.user
    session = _open_session(user)
    context = {"error": error, "now": timezone.now()}
    if session is None:
        sites = _sites_for(user)
        skills = services.officer_skills(user)  # every site: the officer has not picked one yet
        windows = []
        for window in Window.objects.filter(site__in=sites).select_related("site").prefetch_related("categories"):
            prefixes = [c.prefix for c in window.categories.all()]
            windows.append(
                {
                    "window": window,
                    "session": services.window_session(window),
                    "skilled": [p for p in prefixes if p in skills.categories],
                }
            )
        context.update({"sites": sites, "windows": windows})
        return render(request, "queueing/workbench_sign_in.html", context, status=status)

    window = session.window
    site = window.site
    floor = _floor_state(window, user)
    current = floor["current"]
    is_open = window.state == WindowState.OPEN
    can = {
        "call": is_open and current is None,
        "recall": bool(current) and current.status == TicketStatus.CALLED,
        "no_show": bool(current) and current.status == TicketStatus.CALLED,
        "start": bool(current) and current.status == TicketStatus.CALLED,
        "finish": bool(current) and current.status == TicketStatus.SERVING,
        "hold": bool(current),
        "transfer": bool(current),
        "resume": current is None,
        "sign_out": current is None,
    }
    context.update(
        {
            "session": session,
            "window": window,
            "site": site,
            "floor": floor,
            "current": current,
            "detail": _current_detail(current, context["now"]) if current else None,
            "can": can,
            "transfer_categories": TicketCategory.objects.filter(site=site, is_active=True),
            "transfer_windows": Window.objects.filter(site=site).exclude(pk=window.pk).prefetch_related("categories"),
            "finished_today": Ticket.objects.filter(
                window=window, officer=user, status=TicketStatus.FINISHED, day=timezone.localdate()
            ).count(),
        }
    )
    return render(request, "queueing/workbench.html", context, status=status)


@role_required(*OFFICER_ROLES)
def workbench(request):
    """Show the officer's window, current ticket, held tickets and what is waiting; or the windows to sign in at."""
    return _render(request)


@role_required(*OFFICER_ROLES)
@require_GET
def workbench_state(request):
    """Return the live counts of the officer's window as JSON, for the page to refresh without reloading."""
    session = _open_session(request.user)
    if session is None:
        return JsonResponse({"signed_in": False})
    window = session.window
    floor = _floor_state(window, request.user)
    current = floor["current"]
    return JsonResponse(
        {
            "signed_in": True,
            "window": {"id": window.pk, "number": window.number, "state": window.state},
            "eligible": floor["eligible"],
            "categories": floor["categories"],
            "current": {"id": current.pk, "number": current.number, "status": current.status} if current else None,
            "held": [t.number for t in floor["held"]],
            "signature": floor["signature"],
        }
    )


# --- actions ------------------------------------------------------------------------------------


def _posted_id(request, name, label):
    raw = request.POST.get(name, "").strip()
    if not raw.isdigit():
        raise FloorError(f"{label}：请选择{label}。", status=400, field=name)
    return int(raw)


def _posted_window(request):
    window = Window.objects.select_related("site").filter(pk=_posted_id(request, "window", "窗口")).first()
    if window is None:
        raise FloorError("窗口：所选窗口不存在，请刷新页面。", status=400, field="window")
    return window


def _my_window(request):
    """Return the posted window, which must be the one this officer is signed in at."""
    window = _posted_window(request)
    session = services.window_session(window)
    if session is None:
        raise FloorError(f"{window}没有人员签到，请先签到。", status=409, field="window")
    if session.officer_id != request.user.pk:
        raise FloorError(f"{window}不是您签到的窗口，您只能操作自己签到的窗口。", status=403, field="window")
    return window


def _ticket_at(request, window):
    """Return the posted ticket, which must be (or have last been) at window."""
    ticket = Ticket.objects.filter(pk=_posted_id(request, "ticket", "排队票"), site=window.site_id).first()
    if ticket is None:
        raise FloorError("排队票：所选的票不存在，请刷新页面。", status=400, field="ticket")
    if ticket.window_id is not None and ticket.window_id != window.pk:
        raise FloorError(f"{ticket.number}号不在{window}，您不能操作。", status=403, field="ticket")
    return ticket


def _optional(request, model, name, label, window):
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    found = model.objects.filter(pk=int(raw), site=window.site_id).first() if raw.isdigit() else None
    if found is None:
        raise FloorError(f"{label}：所选{label}不存在，请刷新页面。", status=400, field=name)
    return found


def _sign_in(request):
    window = _posted_window(request)
    if window.site not in _sites_for(request.user):
        raise FloorError(f"您不能在{window.site}签到，请选择本站点的窗口。", status=403, field="window")
    services.window_sign_in(window=window, officer=request.user)
    return f"已在{window}签到，窗口开始服务。"


def _sign_out(request):
    window = _my_window(request)
    services.window_sign_out(window=window, officer=request.user)
    return f"已从{window}签退，窗口已关闭。"


def _call_next(request):
    window = _my_window(request)
    ticket = services.ticket_call_next(window=window, officer=request.user)
    if ticket is None:
        return "目前没有您可办理的等候票。"
    return f"已叫号：{ticket.number}。"


def _ticket_action(service, done):
    def action(request):
        window = _my_window(request)
        ticket = service(ticket=_ticket_at(request, window), officer=request.user)
        return done.format(number=ticket.number)

    return action


def _recall(request):
    window = _my_window(request)
    ticket = services.ticket_recall(ticket=_ticket_at(request, window), officer=request.user)
    if ticket.status == TicketStatus.NO_SHOW:
        return f"{ticket.number}号重呼已达上限，按过号处理。"
    return f"已重呼{ticket.number}号。"


def _transfer(request):
    window = _my_window(request)
    ticket = _ticket_at(request, window)
    category = _optional(request, TicketCategory, "category", "转至类别", window)
    to_window = _optional(request, Window, "to_window", "转至窗口", window)
    ticket = services.ticket_transfer(ticket=ticket, officer=request.user, category=category, window=to_window)
    where = "、".join(filter(None, [f"{ticket.category.name}类" if category else "", str(to_window or "")]))
    return f"{ticket.number}号已转至{where}，保留原取号时间排队。"


def _requeue(request):
    window = _my_window(request)
    ticket = services.ticket_requeue(ticket=_ticket_at(request, window), user=request.user)
    return f"{ticket.number}号已重新排队（排在队尾）。"


def _pause(request):
    window = _my_window(request)
    reason = request.POST.get("reason", "").strip() or "暂停服务"
    services.window_pause(window=window, officer=request.user, reason=reason)
    return f"{window}已暂停服务。"


def _resume_window(request):
    window = _my_window(request)
    services.window_resume(window=window, officer=request.user)
    return f"{window}已恢复服务。"


ACTIONS = {
    "sign-in": _sign_in,
    "sign-out": _sign_out,
    "call-next": _call_next,
    "recall": _recall,
    "no-show": _ticket_action(services.ticket_no_show, "{number}号已过号。"),
    "start": _ticket_action(services.ticket_start, "开始办理{number}号。"),
    "finish": _ticket_action(services.ticket_finish, "{number}号已办结。"),
    "hold": _ticket_action(services.ticket_hold, "{number}号已挂起。"),
    "resume": _ticket_action(services.ticket_resume, "已回呼{number}号。"),
    "transfer": _transfer,
    "requeue": _requeue,
    "pause": _pause,
    "resume-window": _resume_window,
}


@role_required(*OFFICER_ROLES)
@require_POST
def workbench_action(request, action):
    """Do one window operation; on a refusal show the page again with the reason, and change nothing."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("没有这个操作")
    try:
        message = handler(request)
    except FloorError as exc:
        return _render(request, error=exc, status=exc.status)
    messages.success(request, message)
    return redirect("workbench")
