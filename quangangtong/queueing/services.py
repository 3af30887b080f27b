"""The floor's rules: issuing tickets, signing in at windows, calling and serving.

Every function is one transaction; every change to a ticket adds a TicketEvent (its timeline) and a
LiveEvent (what displays and workbenches follow).
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models import Window as Over
from django.db.models.functions import RowNumber
from django.utils import timezone

from quangangtong.hall.models import OfficerSkill, Proficiency, TicketCategory, WindowSession, WindowState
from quangangtong.notify.services import notification_send
from quangangtong.queueing import routing
from quangangtong.queueing.errors import FloorError
from quangangtong.queueing.models import (
    Channel,
    IssueRequest,
    LiveEvent,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)

ACTIVE_AT_WINDOW = (TicketStatus.CALLED, TicketStatus.SERVING)
OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.HELD)
MAX_CLAIM_ATTEMPTS = 1000


# --- live feed ----------------------------------------------------------------------------------


def waiting_counts(site):
    """Return {prefix: number of waiting tickets} for every active category of site."""
    waiting = Q(tickets__status=TicketStatus.WAITING, tickets__day=timezone.localdate())
    return dict(
        TicketCategory.objects.filter(site=site, is_active=True)
        .annotate(waiting=Count("tickets", filter=waiting))
        .values_list("prefix", "waiting")
    )


# The events after which the waiting counts differ; the others leave `waiting` out of their payload, which
# spares the busiest requests (start, finish) a count over the day's tickets.
CHANGES_WAITING = frozenset(
    {
        TicketEventKind.ISSUED,
        TicketEventKind.CALLED,
        TicketEventKind.REQUEUED,
        TicketEventKind.TRANSFERRED,
        TicketEventKind.CLOSED,
    }
)


def _publish(site, kind, payload, now, *, waiting_changed=True):
    site_id = site if isinstance(site, int) else site.pk
    if waiting_changed:
        payload = {**payload, "waiting": waiting_counts(site_id)}
    LiveEvent.objects.create(site_id=site_id, kind=kind, payload=payload, created_at=now)


def _ticket_payload(ticket):
    return {
        "ticket": ticket.number,
        "ticket_id": ticket.id,
        "category": ticket.category.prefix,
        "status": ticket.status,
        "window": ticket.window.number if ticket.window_id else None,
    }


def _record(ticket, kind, now, *, window=None, officer=None, live=None, **detail):
    TicketEvent.objects.create(ticket=ticket, kind=kind, at=now, window=window, officer=officer, detail=detail)
    payload = _ticket_payload(ticket)
    if live == "call":
        template = ticket.site.call_template
        payload["text"] = template.format(number=ticket.number, window=ticket.window.number)
    kind_name = "call" if live == "call" else f"ticket.{kind}"
    _publish(ticket.site_id, kind_name, payload, now, waiting_changed=kind in CHANGES_WAITING)


# --- issuing ------------------------------------------------------------------------------------


def _next_sequence(site, prefix, day):
    # Insert the counter row if it is missing without failing when another kiosk does the same,
    # then lock it: the number is read and bumped under the lock, so it is never duplicated or skipped.
    TicketCounter.objects.bulk_create([TicketCounter(site=site, prefix=prefix, day=day)], ignore_conflicts=True)
    counter = TicketCounter.objects.select_for_update().get(site=site, prefix=prefix, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _category_for(site, *, category, item):
    categories = TicketCategory.objects.filter(site=site, is_active=True)
    if category:
        found = categories.filter(prefix=category.upper()).first()
        if found is None:
            raise FloorError(f"取号类别“{category}”不存在", status=400, field="category")
        if item is not None and not found.items.filter(pk=item.pk).exists():
            raise FloorError(f"事项“{item.name}”不属于类别“{found.name}”", status=400, field="item")
        return found
    if item is None:
        raise FloorError("请选择取号类别或事项", status=400, field="category")
    found = categories.filter(items=item).first()
    if found is None:
        raise FloorError(f"本站点不受理“{item.name}”，请咨询引导员", status=400, field="item")
    return found


def ticket_issue(
    *, site, category="", item=None, priority=routing.Priority.NORMAL, channel=Channel.KIOSK, phone="",
    idempotency_key="", issued_by=None, now=None,
):  # fmt: skip
    """Issue a ticket for a category (by prefix) or an item; return (ticket, created).

    A repeated idempotency_key returns the ticket it first made instead of a second one; issued_by is
    the guide (or officer) who took the ticket on someone's behalf.
    """
    now = now or timezone.now()
    if idempotency_key:
        previous = IssueRequest.objects.filter(site=site, key=idempotency_key).select_related("ticket").first()
        if previous:
            return previous.ticket, False
    chosen = _category_for(site, category=category, item=item)
    local = timezone.localtime(now)
    if local.time() >= site.closing_time:
        raise FloorError(f"今日已停止取号（{site.closing_time:%H:%M} 后），请明天再来或咨询引导员", status=409)
    try:
        with transaction.atomic():
            day = local.date()
            sequence = _next_sequence(site, chosen.prefix, day)
            ticket = Ticket.objects.create(
                site=site,
                category=chosen,
                item=item,
                day=day,
                sequence=sequence,
                number=f"{chosen.prefix}{sequence:03d}",
                priority=priority,
                channel=channel,
                phone=phone,
                issued_at=now,
                queued_at=now,
                public_token=secrets.token_urlsafe(16),
            )
            if idempotency_key:
                IssueRequest.objects.create(site=site, key=idempotency_key, ticket=ticket, created_at=now)
            _record(ticket, TicketEventKind.ISSUED, now, officer=issued_by, channel=channel, priority=int(priority))
    except IntegrityError:
        # The same key raced in from a second connection: the first one's ticket is the answer.
        previous = IssueRequest.objects.filter(site=site, key=idempotency_key).select_related("ticket").first()
        if idempotency_key and previous:
            return previous.ticket, False
        raise
    return ticket, True


def ticket_position(ticket):
    """Return how many waiting tickets of the same category will be called before this one."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    ahead = Ticket.objects.filter(
        site=ticket.site_id, day=ticket.day, category=ticket.category_id, status=TicketStatus.WAITING
    ).filter(
        Q(priority__lt=ticket.priority)
        | Q(priority=ticket.priority, queued_at__lt=ticket.queued_at)
        | Q(priority=ticket.priority, queued_at=ticket.queued_at, id__lt=ticket.id)
    )
    return ahead.count()


# --- windows ------------------------------------------------------------------------------------


def window_session(window):
    """Return the open WindowSession of window, or None."""
    return WindowSession.objects.filter(window=window, signed_out_at=None).select_related("officer").first()


@transaction.atomic
def window_sign_in(*, window, officer, now=None):
    """Sign officer in at window (signing them out of any other window) and open it."""
    now = now or timezone.now()
    current = window_session(window)
    if current and current.officer_id == officer.id:
        return current
    if current:
        raise FloorError(f"{window}已有{current.officer.get_full_name() or current.officer}签到，请先签退", status=409)
    for session in WindowSession.objects.filter(officer=officer, signed_out_at=None).select_related("window"):
        _sign_out(session, now)
    session = WindowSession.objects.create(window=window, officer=officer, signed_in_at=now)
    window.state, window.pause_reason = WindowState.OPEN, ""
    window.save(update_fields=["state", "pause_reason"])
    _publish(window.site, "window", {"window": window.number, "state": window.state}, now)
    return session


def _sign_out(session, now):
    window = session.window
    busy = Ticket.objects.filter(window=window, status__in=ACTIVE_AT_WINDOW).first()
    if busy:
        raise FloorError(f"{window}还有正在办理的{busy.number}号，请先办结、挂起或转移", status=409)
    session.signed_out_at = now
    session.save(update_fields=["signed_out_at"])
    window.state, window.pause_reason = WindowState.CLOSED, ""
    window.save(update_fields=["state", "pause_reason"])
    _publish(window.site, "window", {"window": window.number, "state": window.state}, now)


@transaction.atomic
def window_sign_out(*, window, officer, now=None):
    """Sign officer out of window and close it."""
    session = _session_of(window, officer)
    _sign_out(session, now or timezone.now())


def _session_of(window, officer):
    session = window_session(window)
    if session is None:
        raise FloorError(f"{window}没有人员签到", status=409, field="window")
    if session.officer_id != officer.id:
        raise FloorError(f"{window}由{session.officer}签到，您不能操作此窗口", status=403, field="window")
    return session


@transaction.atomic
def window_pause(*, window, officer, reason="暂停服务", now=None):
    """Pause window (break, meeting): the display shows it paused and it gets no calls."""
    _session_of(window, officer)
    window.state, window.pause_reason = WindowState.PAUSED, reason[:50]
    window.save(update_fields=["state", "pause_reason"])
    _publish(
        window.site, "window", {"window": window.number, "state": window.state, "reason": reason}, now or timezone.now()
    )


@transaction.atomic
def window_resume(*, window, officer, now=None):
    """Open a paused window again."""
    _session_of(window, officer)
    window.state, window.pause_reason = WindowState.OPEN, ""
    window.save(update_fields=["state", "pause_reason"])
    _publish(window.site, "window", {"window": window.number, "state": window.state}, now or timezone.now())


# --- calling ------------------------------------------------------------------------------------


def officer_skills(officer, *, site=None):
    """Return the routing view of officer's certifications (for the categories of site, when given)."""
    rank = {Proficiency.FLUENT: routing.Proficiency.FLUENT, Proficiency.LEARNING: routing.Proficiency.LEARNING}
    items, categories = {}, {}
    skills = OfficerSkill.objects.filter(officer=officer)
    if site is not None:
        skills = skills.filter(Q(category=None) | Q(category__site=site))
    item_ids = []
    rows = skills.values_list("item_id", "item__implementation_code", "category__prefix", "proficiency")
    for item_id, code, prefix, proficiency in rows:
        level = rank[proficiency]
        if item_id:
            items[code] = min(level, items.get(code, level))
            item_ids.append(item_id)
        else:
            categories[prefix] = min(level, categories.get(prefix, level))
    # Someone certified for some items of a category can take that category's general tickets (and transfer
    # them if the visitor needs another item), after colleagues certified for the whole category; this never
    # lets them be called a ticket for an item they are not certified for.
    general_categories = {}
    if item_ids:
        general = TicketCategory.objects.filter(items__in=item_ids)
        if site is not None:
            general = general.filter(site=site)
        general_categories = dict.fromkeys(
            general.values_list("prefix", flat=True).distinct(), routing.Proficiency.LEARNING
        )
    return routing.OfficerSkills(items=items, categories=categories, general_categories=general_categories)


def routing_policy(site):
    return routing.RoutingPolicy(
        fluency_threshold_s=site.fluency_threshold_minutes * 60, starvation_s=site.starvation_minutes * 60
    )


def _waiting_at(window):
    return Ticket.objects.filter(
        site=window.site_id, status=TicketStatus.WAITING, category__in=window.categories.all()
    ).filter(Q(reserved_window=None) | Q(reserved_window=window))


def _as_waiting(rows):
    return [
        routing.WaitingTicket(
            id=id_, category=prefix, item=item, priority=routing.Priority(priority), queued_at=queued.timestamp()
        )
        for id_, prefix, item, priority, queued in rows
    ]


ROUTING_FIELDS = ("id", "category__prefix", "item__implementation_code", "priority", "queued_at")


def _waiting_for(window):
    """Return every ticket window could be called, for the routing rule."""
    return _as_waiting(_waiting_at(window).values_list(*ROUTING_FIELDS))


def _queue_heads_for(window):
    """Return the oldest waiting ticket of each (category, item, priority) group window could be called.

    routing.queue_heads in SQL: the routing rule picks the same ticket from these as from the whole queue, and
    call next then reads a few rows instead of every waiting ticket (hundreds on a busy morning).
    """
    rank = Over(
        RowNumber(), partition_by=[F("category_id"), F("item_id"), F("priority")], order_by=[F("queued_at"), F("id")]
    )
    return _as_waiting(_waiting_at(window).annotate(rank=rank).filter(rank=1).values_list(*ROUTING_FIELDS))


def eligible_by_category(*, window, officer):
    """Return {prefix: waiting tickets officer could be given at window}, by the routing rule."""
    prefixes = {c.prefix for c in window.categories.all()}
    eligible = routing.eligible_tickets(
        window_categories=prefixes, skills=officer_skills(officer, site=window.site), waiting=_waiting_for(window)
    )
    counts = dict.fromkeys(prefixes, 0)
    for ticket in eligible:
        counts[ticket.category] += 1
    return counts


def eligible_count(*, window, officer):
    """Return how many waiting tickets window's officer could be given now."""
    return sum(eligible_by_category(window=window, officer=officer).values())


def _current_at(window):
    """Return the number of the ticket called or being served at window, or None."""
    return Ticket.objects.filter(window=window, status__in=ACTIVE_AT_WINDOW).values_list("number", flat=True).first()


@transaction.atomic
def ticket_call_next(*, window, officer, now=None):
    """Call the next ticket this officer may serve to window; return it, or None when there is none."""
    now = now or timezone.now()
    _session_of(window, officer)
    if window.state != WindowState.OPEN:
        raise FloorError(f"{window}处于“{window.get_state_display()}”状态，请先恢复服务", status=409)
    current = _current_at(window)
    if current:
        raise FloorError(f"请先处理当前的{current}号（办结、挂起、转移或过号）", status=409)
    skills = officer_skills(officer, site=window.site)
    prefixes = {c.prefix for c in window.categories.all()}
    policy = routing_policy(window.site)
    lost = set()
    # Each lost claim means another window won that ticket, so the loop ends: when a claim succeeds or
    # when nothing eligible is left. The cap is only a guard against a bug turning it into a spin.
    for _ in range(MAX_CLAIM_ATTEMPTS):
        waiting = [ticket for ticket in _queue_heads_for(window) if ticket.id not in lost]
        chosen = routing.choose_ticket(
            window_categories=prefixes, skills=skills, waiting=waiting, now=now.timestamp(), policy=policy
        )
        if chosen is None:
            return None
        # The claim: only one window's conditional update can move the ticket out of WAITING.
        claimed = Ticket.objects.filter(pk=chosen.id, status=TicketStatus.WAITING).update(
            status=TicketStatus.CALLED, window=window, officer=officer, recall_count=0, reserved_window=None
        )
        if claimed:
            ticket = Ticket.objects.select_related("category").get(pk=chosen.id)
            ticket.site, ticket.window = window.site, window
            _record(ticket, TicketEventKind.CALLED, now, window=window, officer=officer, live="call")
            _call_near_notify(site=window.site, category_id=ticket.category_id, day=ticket.day, now=now)
            return ticket
        lost.add(chosen.id)
    raise FloorError("叫号繁忙，请稍后再试", status=409)


def _call_near_notify(*, site, category_id, day, now):
    """Text the visitor who now has site.call_near_ahead people before them in the category, once, if they
    left a phone. The order is the category's queue order (ticket_position); skills may call a little out of it.
    """
    ahead = site.call_near_ahead
    if not ahead:
        return
    waiting = Ticket.objects.filter(site=site, day=day, category=category_id, status=TicketStatus.WAITING)
    row = waiting.order_by("priority", "queued_at", "id").values_list("id", "number", "phone", "near_notified_at")
    row = row[ahead : ahead + 1].first()
    if row is None or not row[2] or row[3] is not None:
        return
    ticket_id, number, phone, _ = row
    # Claimed like a call: when two windows call at once, only one of them sends the text.
    if Ticket.objects.filter(pk=ticket_id, near_notified_at=None).update(near_notified_at=now):
        notification_send(
            template="ticket_call_near",
            phone=phone,
            context={"ticket": number, "ahead": ahead},
            ref=f"ticket:{ticket_id}",
        )


def _ticket_at(ticket, officer, *, allowed, action):
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the window.
    # The site is read only when needed (recall limit, call text): most actions need only its id.
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("category", "window").get(pk=ticket.pk)
    if ticket.status not in allowed:
        raise FloorError(f"{ticket.number}号当前为“{ticket.get_status_display()}”，不能{action}", status=409)
    if ticket.window_id and ticket.status in (*ACTIVE_AT_WINDOW, TicketStatus.HELD):
        _session_of(ticket.window, officer)
    return ticket


@transaction.atomic
def ticket_recall(*, ticket, officer, now=None):
    """Call ticket again; past the site's recall limit it becomes a no-show."""
    now = now or timezone.now()
    ticket = _ticket_at(ticket, officer, allowed=(TicketStatus.CALLED,), action="重呼")
    if ticket.recall_count >= ticket.site.recall_limit:
        return _no_show(ticket, officer, now, reason="recall_limit")
    ticket.recall_count += 1
    ticket.save(update_fields=["recall_count"])
    _record(ticket, TicketEventKind.RECALLED, now, window=ticket.window, officer=officer, live="call",
            count=ticket.recall_count)  # fmt: skip
    return ticket


def _no_show(ticket, officer, now, reason):
    window = ticket.window
    ticket.status = TicketStatus.NO_SHOW
    ticket.save(update_fields=["status"])
    _record(ticket, TicketEventKind.NO_SHOW, now, window=window, officer=officer, reason=reason)
    return ticket


@transaction.atomic
def ticket_no_show(*, ticket, officer, now=None):
    """Mark a called ticket as 过号: the window is free to call the next one."""
    ticket = _ticket_at(ticket, officer, allowed=(TicketStatus.CALLED,), action="过号")
    return _no_show(ticket, officer, now or timezone.now(), reason="officer")


@transaction.atomic
def ticket_requeue(*, ticket, user, now=None):
    """Put a 过号 ticket back in its queue, at the back; allowed once per ticket."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("site", "category").get(pk=ticket.pk)
    if ticket.status != TicketStatus.NO_SHOW:
        raise FloorError(f"{ticket.number}号不是过号状态，无需重新排队", status=409)
    if ticket.requeued:
        raise FloorError(f"{ticket.number}号已重新排队过一次，请重新取号", status=409)
    ticket.status, ticket.requeued, ticket.queued_at = TicketStatus.WAITING, True, now
    ticket.window = ticket.officer = None
    ticket.save(update_fields=["status", "requeued", "queued_at", "window", "officer"])
    _record(ticket, TicketEventKind.REQUEUED, now, officer=user)
    return ticket


@transaction.atomic
def ticket_hold(*, ticket, officer, now=None):
    """Park the ticket at the window (挂起), e.g. while the visitor fetches a missing paper."""
    ticket = _ticket_at(ticket, officer, allowed=ACTIVE_AT_WINDOW, action="挂起")
    ticket.status = TicketStatus.HELD
    ticket.save(update_fields=["status"])
    _record(ticket, TicketEventKind.HELD, now or timezone.now(), window=ticket.window, officer=officer)
    return ticket


@transaction.atomic
def ticket_resume(*, ticket, officer, now=None):
    """Call a held ticket back (回呼) to the window that held it."""
    now = now or timezone.now()
    ticket = _ticket_at(ticket, officer, allowed=(TicketStatus.HELD,), action="回呼")
    current = _current_at(ticket.window)
    if current:
        raise FloorError(f"请先处理当前的{current}号，再回呼{ticket.number}号", status=409)
    # The window may have changed hands since the ticket was held: whoever calls it back serves it,
    # so they must be certified for it like any ticket they are called.
    as_waiting = routing.WaitingTicket(
        id=ticket.id,
        category=ticket.category.prefix,
        item=ticket.item.implementation_code if ticket.item_id else None,
        priority=routing.Priority(ticket.priority),
        queued_at=ticket.queued_at.timestamp(),
    )
    if officer_skills(officer, site=ticket.site).proficiency(as_waiting) is None:
        raise FloorError(f"您还没有办理{ticket.number}号所需事项的资格，请转移给能办理的窗口", status=409)
    ticket.status, ticket.recall_count, ticket.officer = TicketStatus.CALLED, 0, officer
    ticket.save(update_fields=["status", "recall_count", "officer"])
    _record(ticket, TicketEventKind.RESUMED, now, window=ticket.window, officer=officer, live="call")
    return ticket


@transaction.atomic
def ticket_transfer(*, ticket, officer, category=None, window=None, now=None):
    """Send the ticket back to waiting, in another category and/or for one window, keeping its place."""
    now = now or timezone.now()
    ticket = _ticket_at(ticket, officer, allowed=(*ACTIVE_AT_WINDOW, TicketStatus.HELD), action="转移")
    if category is None and window is None:
        raise FloorError("请选择转至的类别或窗口", status=400, field="category")
    if category is not None and category.site_id != ticket.site_id:
        raise FloorError("只能转至本站点的类别", status=400, field="category")
    if window is not None and window.site_id != ticket.site_id:
        raise FloorError("只能转至本站点的窗口", status=400, field="window")
    target = category or ticket.category
    if window is not None and not window.categories.filter(pk=target.pk).exists():
        raise FloorError(f"{window}不办理“{target.name}”类别", status=400, field="window")
    from_window, from_category = ticket.window, ticket.category
    ticket.status, ticket.category, ticket.reserved_window = TicketStatus.WAITING, target, window
    ticket.window = ticket.officer = None
    ticket.save(update_fields=["status", "category", "reserved_window", "window", "officer"])
    _record(
        ticket, TicketEventKind.TRANSFERRED, now, window=from_window, officer=officer,
        from_category=from_category.prefix, to_category=target.prefix, to_window=window.number if window else None,
    )  # fmt: skip
    return ticket


@transaction.atomic
def ticket_start(*, ticket, officer, now=None):
    """Start serving the called visitor, who has sat down at the window."""
    ticket = _ticket_at(ticket, officer, allowed=(TicketStatus.CALLED,), action="开始办理")
    ticket.status = TicketStatus.SERVING
    ticket.save(update_fields=["status"])
    _record(ticket, TicketEventKind.SERVING, now or timezone.now(), window=ticket.window, officer=officer)
    return ticket


@transaction.atomic
def ticket_finish(*, ticket, officer, now=None):
    """Finish serving the ticket; the window is free for the next one."""
    ticket = _ticket_at(ticket, officer, allowed=(TicketStatus.SERVING,), action="办结")
    ticket.status = TicketStatus.FINISHED
    ticket.save(update_fields=["status"])
    _record(ticket, TicketEventKind.FINISHED, now or timezone.now(), window=ticket.window, officer=officer)
    return ticket


@transaction.atomic
def tickets_close_day(*, site, now=None):
    """Close every unserved ticket of site up to now (the configured closing time); return how many.

    Tickets being served are left to finish (延时服务); nothing is deleted, each closure is a row.
    """
    now = now or timezone.now()
    open_tickets = Ticket.objects.filter(
        site=site, status__in=(TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.HELD, TicketStatus.NO_SHOW)
    ).select_related("site", "category", "window")
    closed = 0
    for ticket in open_tickets.select_for_update(of=("self",)):
        previous = ticket.status
        ticket.status = TicketStatus.CLOSED
        ticket.save(update_fields=["status"])
        TicketEvent.objects.create(
            ticket=ticket, kind=TicketEventKind.CLOSED, at=now, window=ticket.window, detail={"from": previous}
        )
        closed += 1
    if closed:
        _publish(site, "day.closed", {"closed": closed}, now)
    return closed
