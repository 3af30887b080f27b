"""The self-service kiosk, the printed ticket, the public ticket page and the guide's tablet."""

import re
import uuid
from functools import wraps

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from quangangtong.accounts.models import ApiToken, TokenKind
from quangangtong.accounts.roles import Role, role_required
from quangangtong.accounts.services import api_token_authenticate
from quangangtong.catalog.models import ServiceItem
from quangangtong.catalog.services import item_search
from quangangtong.hall.models import Site, TicketCategory
from quangangtong.ids import IdNumberError, mask_phone, validate_mobile
from quangangtong.queueing import services
from quangangtong.queueing.errors import FloorError
from quangangtong.queueing.models import Channel, IssueRequest, Ticket, TicketPriority, TicketStatus

KIOSK_COOKIE = "qgt_kiosk"
KIOSK_COOKIE_SALT = "quangangtong.kiosk"
# Browsers cap a cookie's lifetime at 400 days; the home screen renews it every time it loads.
KIOSK_COOKIE_AGE = 400 * 24 * 3600
LARGE_TYPE_KEY = "qgt_kiosk_large"
IDLE_SECONDS = 60
RETURN_HOME_SECONDS = 15
PUBLIC_REFRESH_SECONDS = 15
SEARCH_LIMIT = 12
RECENT_LIMIT = 20
FORM_KEY_RE = re.compile(r"[0-9a-f]{32}")
TICKET_NUMBER_RE = re.compile(r"[A-Z]{1,2}\d{3,4}")
FIELD_LABELS = {
    "category": "取号类别",
    "item": "事项",
    "priority": "优先类别",
    "phone": "手机号码",
    "key": "取号页面",
    "number": "票号",
}
PRIORITY_CHOICES = [
    (TicketPriority.NORMAL, "普通"),
    (TicketPriority.GREEN, "绿色通道（70岁以上老人、残疾人、孕妇、军人）"),
    (TicketPriority.APPOINTMENT, "预约签到"),
]
FINAL_STATUSES = (TicketStatus.FINISHED, TicketStatus.CLOSED)


# --- helpers shared by the kiosk and the guide ----------------------------------------------------


def _error_text(error):
    """Return the error's message, led by the name of the field it is about when the message lacks it."""
    label = FIELD_LABELS.get(error.field, "")
    if label and label not in error.message:
        return f"{label}：{error.message}"
    return error.message


def _site_categories(site):
    """Return the site's active ticket categories, each with its current waiting count."""
    counts = services.waiting_counts(site)
    categories = list(TicketCategory.objects.filter(site=site, is_active=True))
    for category in categories:
        category.waiting = counts.get(category.prefix, 0)
    return categories


def _site_items(site, q):
    """Return the active items matching q (text or pinyin) that the site's categories take tickets for."""
    served = TicketCategory.items.through.objects.filter(
        ticketcategory__site=site, ticketcategory__is_active=True
    ).values("serviceitem_id")
    categories = TicketCategory.objects.filter(site=site, is_active=True)
    return (
        item_search(q=q)
        .filter(pk__in=served)
        .prefetch_related(Prefetch("ticket_categories", queryset=categories, to_attr="site_categories"))
    )


def _choice(site, data):
    """Return the (category, item) a form asks a ticket for, checked against the site; raise FloorError."""
    prefix = data.get("category", "").strip().upper()
    code = data.get("item", "").strip()
    category = item = None
    if prefix:
        category = TicketCategory.objects.filter(site=site, is_active=True, prefix=prefix).first()
        if category is None:
            raise FloorError(f"取号类别“{prefix[:10]}”不存在，请重新选择", status=400, field="category")
    if code:
        item = ServiceItem.objects.filter(implementation_code=code, is_active=True).first()
        if item is None:
            raise FloorError("没有这个事项，请重新查找", status=400, field="item")
        if not TicketCategory.objects.filter(site=site, is_active=True, items=item).exists():
            raise FloorError(f"本站点不受理“{item.name}”，请咨询引导员", status=400, field="item")
    if category is None and item is None:
        raise FloorError("请选择取号类别或事项", status=400, field="category")
    return category, item


def _appointment_applies(category, item):
    """Return whether 预约签到 may be chosen: the item, or some item of the category, takes appointments."""
    if item is not None:
        return item.supports_appointment
    return category.items.filter(is_active=True, supports_appointment=True).exists()


def _priorities(category, item):
    appointment = _appointment_applies(category, item)
    return [(value, label) for value, label in PRIORITY_CHOICES if appointment or value != TicketPriority.APPOINTMENT]


def _form_key(data):
    """Return the form's idempotency key, or raise FloorError when it is missing or malformed."""
    key = data.get("key", "")
    if not FORM_KEY_RE.fullmatch(key):
        raise FloorError("取号页面已失效，请返回重新选择", status=400, field="key")
    return key


def _issue(site, data, *, category, item, channel, key_scope):
    """Validate the priority, phone and key posted with a ticket request, then issue the ticket."""
    key = _form_key(data)
    try:
        priority = TicketPriority(int(data.get("priority", "")))
    except ValueError:
        raise FloorError("请选择优先类别：普通、绿色通道或预约签到", status=400, field="priority") from None
    if priority == TicketPriority.APPOINTMENT and not _appointment_applies(category, item):
        raise FloorError("此项不办理预约，请选择“普通”或“绿色通道”", status=400, field="priority")
    phone = data.get("phone", "").strip()
    if phone:
        try:
            phone = validate_mobile(phone)
        except IdNumberError as error:
            raise FloorError(error.message, status=400, field="phone") from None
    # The key is scoped to the kiosk or guide that made the page, so no one can fetch another's ticket by its key.
    ticket, _created = services.ticket_issue(
        site=site,
        category=category.prefix if category else "",
        item=item,
        priority=priority,
        channel=channel,
        phone=phone,
        idempotency_key=f"{key_scope}-{key}",
    )
    return ticket


def _qr_svg(url):
    """Return an inline SVG QR code for url (made here: the hall may have no internet)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg class="qr" role="img" aria-label="二维码：扫码查看排队进度" ', 1)


def _slip_context(request, ticket):
    public_url = request.build_absolute_uri(reverse("ticket-public", args=[ticket.public_token]))
    return {
        "ticket": ticket,
        "ahead": services.ticket_position(ticket),
        "phone": mask_phone(ticket.phone) if ticket.phone else "",
        "public_url": public_url,
        "qr_svg": _qr_svg(public_url),
    }


def _ticket_by_token(token, **filters):
    return (
        Ticket.objects.select_related("site", "category", "item", "window")
        .filter(public_token=token, **filters)
        .first()
    )


# --- kiosk ----------------------------------------------------------------------------------------


def _kiosk_fingerprint(token):
    return salted_hmac(KIOSK_COOKIE_SALT, token.digest).hexdigest()[:32]


def _remember_kiosk(response, token):
    response.set_signed_cookie(
        KIOSK_COOKIE,
        f"{token.pk}:{_kiosk_fingerprint(token)}",
        salt=KIOSK_COOKIE_SALT,
        max_age=KIOSK_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _kiosk_token(request, site):
    """Return the live kiosk token this terminal was registered with for site, or None."""
    value = request.get_signed_cookie(KIOSK_COOKIE, default="", salt=KIOSK_COOKIE_SALT, max_age=KIOSK_COOKIE_AGE)
    token_id, _, fingerprint = value.partition(":")
    if not token_id.isdigit():
        return None
    # Read on every request, so revoking the token locks the kiosk at once.
    token = ApiToken.objects.filter(pk=token_id, kind=TokenKind.KIOSK, site=site, revoked_at=None).first()
    if token is None or not constant_time_compare(fingerprint, _kiosk_fingerprint(token)):
        return None
    return token


def _unregistered(request, site, reason=""):
    return render(request, "queueing/kiosk_unregistered.html", {"site": site, "reason": reason}, status=403)


def kiosk_required(view):
    """Let through a terminal registered as a kiosk of the site in the URL; others get a 403 page."""

    @wraps(view)
    def wrapped(request, site, *args, **kwargs):
        site = get_object_or_404(Site, code=site)
        kiosk = _kiosk_token(request, site)
        if kiosk is None:
            return _unregistered(request, site)
        return view(request, site, kiosk, *args, **kwargs)

    return wrapped


def _kiosk_context(request, site, **extra):
    return {
        "site": site,
        "large": bool(request.session.get(LARGE_TYPE_KEY)),
        "idle_url": f"{reverse('kiosk', args=[site.code])}?reset=1",
        "idle_seconds": IDLE_SECONDS,
        **extra,
    }


def _kiosk_register(request, site):
    token = api_token_authenticate(request.GET.get("token", "").strip())
    if token is None or token.kind != TokenKind.KIOSK or token.site_id != site.id:
        return _unregistered(request, site, reason="登记令牌无效、已吊销，或不属于本站点。")
    # Redirect so that the token does not stay in the address bar or the browser's history.
    response = redirect("kiosk", site=site.code)
    _remember_kiosk(response, token)
    return response


def kiosk_home(request, site):
    """Show the kiosk's home screen: the categories, item search and the large-type switch."""
    site = get_object_or_404(Site, code=site)
    if "token" in request.GET:
        return _kiosk_register(request, site)
    token = _kiosk_token(request, site)
    if token is None:
        return _unregistered(request, site)
    if request.GET.get("reset"):
        # The visitor walked away: the next one starts with normal type.
        request.session.pop(LARGE_TYPE_KEY, None)
        return redirect("kiosk", site=site.code)
    q = request.GET.get("q", "").strip()[:50]
    results = list(_site_items(site, q)[:SEARCH_LIMIT]) if q else None
    response = render(
        request,
        "queueing/kiosk_home.html",
        _kiosk_context(
            request,
            site,
            categories=_site_categories(site),
            q=q,
            results=results,
            closed=timezone.localtime().time() >= site.closing_time,
        ),
    )
    _remember_kiosk(response, token)
    return response


@require_http_methods(["GET", "POST"])
@kiosk_required
def kiosk_take(request, site, kiosk):
    """Ask for the priority and an optional phone, then issue the ticket (one per form, however often posted)."""
    data = request.POST if request.method == "POST" else request.GET
    try:
        category, item = _choice(site, data)
    except FloorError as error:
        context = _kiosk_context(request, site, categories=_site_categories(site), error=_error_text(error), q="")
        return render(request, "queueing/kiosk_home.html", context, status=error.status)
    error = None
    if request.method == "POST":
        try:
            ticket = _issue(
                site, data, category=category, item=item, channel=Channel.KIOSK, key_scope=f"kiosk{kiosk.pk}"
            )
        except FloorError as exc:
            error = exc
        else:
            request.session.pop(LARGE_TYPE_KEY, None)
            return redirect("kiosk-ticket", site=site.code, token=ticket.public_token)
    key = data.get("key", "")
    # The queue the ticket will join: the category, or the first of the site's that takes the item.
    queue = category or TicketCategory.objects.filter(site=site, is_active=True, items=item).first()
    context = _kiosk_context(
        request,
        site,
        category=category,
        item=item,
        queue=queue,
        waiting=services.waiting_counts(site).get(queue.prefix, 0),
        priorities=_priorities(category, item),
        key=key if FORM_KEY_RE.fullmatch(key) else uuid.uuid4().hex,
        phone=data.get("phone", "") if request.method == "POST" else "",
        error=_error_text(error) if error else "",
        error_field=error.field if error else "",
    )
    return render(request, "queueing/kiosk_take.html", context, status=error.status if error else 200)


@require_POST
@kiosk_required
def kiosk_large_type(request, site, kiosk):
    """Switch large type on or off for the visitor at the kiosk now."""
    request.session[LARGE_TYPE_KEY] = not request.session.get(LARGE_TYPE_KEY)
    home = reverse("kiosk", args=[site.code])
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith(home)
    return redirect(target if allowed else home)


@kiosk_required
def kiosk_ticket(request, site, kiosk, token):
    """Show the ticket just issued, print it on the kiosk's 58 mm printer and go back home."""
    ticket = _ticket_by_token(token, site=site)
    if ticket is None:
        return _ticket_not_found(request)
    context = _kiosk_context(
        request,
        site,
        **_slip_context(request, ticket),
        kiosk=True,
        autoprint=True,
        home_url=reverse("kiosk", args=[site.code]),
        return_seconds=RETURN_HOME_SECONDS,
    )
    response = render(request, "queueing/ticket_print.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --- public ticket pages --------------------------------------------------------------------------


def _ticket_not_found(request):
    return render(request, "queueing/ticket_not_found.html", status=404)


def ticket_print(request, token):
    """Show a ticket as printed on 58 mm paper (the guide's print button opens it)."""
    ticket = _ticket_by_token(token)
    if ticket is None:
        return _ticket_not_found(request)
    context = {**_slip_context(request, ticket), "autoprint": request.GET.get("print") == "1"}
    response = render(request, "queueing/ticket_print.html", context)
    response["Cache-Control"] = "no-store"
    return response


def ticket_public(request, token):
    """Show a visitor where their ticket stands; the page refreshes itself until the ticket is done."""
    ticket = _ticket_by_token(token)
    if ticket is None:
        return _ticket_not_found(request)
    context = {
        "ticket": ticket,
        "ahead": services.ticket_position(ticket),
        "phone": mask_phone(ticket.phone) if ticket.phone else "",
        "refresh_seconds": 0 if ticket.status in FINAL_STATUSES else PUBLIC_REFRESH_SECONDS,
        "now": timezone.now(),
    }
    response = render(request, "queueing/ticket_public.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --- the guide's tablet ---------------------------------------------------------------------------


def _guide_key_scope(user):
    return f"guide{user.pk}"


def _render_guide(request, site, *, error=None, requeue_error=None, number="", status=200):
    today = timezone.localdate()
    scope = _guide_key_scope(request.user)
    recent = list(
        IssueRequest.objects.filter(site=site, key__startswith=f"{scope}-", ticket__day=today)
        .select_related("ticket__category")
        .order_by("-created_at", "-id")[:RECENT_LIMIT]
    )
    issued = None
    if request.method == "GET" and request.GET.get("issued", "").isdigit():
        issued = next((r.ticket for r in recent if r.ticket_id == int(request.GET["issued"])), None)
    q = request.GET.get("q", "").strip()[:50]
    posted = request.POST if error else {}
    key = posted.get("key", "")
    context = {
        "site": site,
        "categories": _site_categories(site),
        "q": q,
        "items": list(_site_items(site, q)[:SEARCH_LIMIT]) if q else None,
        "priorities": PRIORITY_CHOICES,
        "posted": posted,
        "posted_priority": posted.get("priority", str(TicketPriority.NORMAL.value)),
        "key": key if FORM_KEY_RE.fullmatch(key) else uuid.uuid4().hex,
        "error": _error_text(error) if error else "",
        "error_field": error.field if error else "",
        "requeue_error": _error_text(requeue_error) if requeue_error else "",
        "number": number,
        "issued": issued,
        "issued_ahead": services.ticket_position(issued) if issued else 0,
        "issued_phone": mask_phone(issued.phone) if issued and issued.phone else "",
        "recent": [r.ticket for r in recent],
        "no_shows": Ticket.objects.filter(site=site, day=today, status=TicketStatus.NO_SHOW, requeued=False)
        .select_related("category")
        .order_by("number"),
    }
    return render(request, "queueing/guide_issue.html", context, status=status)


@role_required(Role.GUIDE, Role.HALL_MANAGER)
@require_http_methods(["GET", "POST"])
def guide_issue(request, site):
    """Issue a ticket on a visitor's behalf, with priority; list the tickets this guide issued today."""
    site = get_object_or_404(Site, code=site)
    if request.method == "GET":
        return _render_guide(request, site)
    try:
        category, item = _choice(site, request.POST)
        ticket = _issue(
            site,
            request.POST,
            category=category,
            item=item,
            channel=Channel.GUIDE,
            key_scope=_guide_key_scope(request.user),
        )
    except FloorError as error:
        return _render_guide(request, site, error=error, status=error.status)
    return redirect(f"{reverse('guide-issue', args=[site.code])}?issued={ticket.pk}")


@role_required(Role.GUIDE, Role.HALL_MANAGER)
@require_POST
def guide_requeue(request, site):
    """Put today's 过号 ticket with this number back in its queue, at the back."""
    site = get_object_or_404(Site, code=site)
    number = request.POST.get("number", "").strip().upper()[:10]
    try:
        if not TICKET_NUMBER_RE.fullmatch(number):
            raise FloorError("请输入票号，如 A001", status=400, field="number")
        ticket = Ticket.objects.filter(site=site, day=timezone.localdate(), number=number).first()
        if ticket is None:
            raise FloorError(f"今天没有{number}号", status=400, field="number")
        ticket = services.ticket_requeue(ticket=ticket, user=request.user)
    except FloorError as error:
        return _render_guide(request, site, requeue_error=error, number=number, status=error.status)
    messages.success(
        request, f"{ticket.number}号已重新排队（排在队尾），前面还有{services.ticket_position(ticket)}人。"
    )
    return redirect("guide-issue", site=site.code)
