"""The hall's public screens: the calling board, the scrolling strip, and the live feed they follow.

No login: these pages show ticket and window numbers only, never a name or a phone.
"""

from django.conf import settings
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site
from quangangtong.queueing import live
from quangangtong.queueing.models import JobPosting

BASIS_CHARS = 200
ITEMS_PER_POSTING = 4


def _site(code):
    return get_object_or_404(Site, code=code)


def _clip(text, limit):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_text(item):
    fee = (item.fee_standard or "收费，标准见办事指南") if item.charges_fee else "不收费"
    parts = [
        item.name,
        f"实施主体：{item.department.name}",
        f"设定依据：{_clip(item.setting_basis, BASIS_CHARS)}",
        f"办理流程：{' → '.join(item.procedure_steps())}",
        f"承诺时限：{item.promised_limit_display()}",
        f"收费标准：{_clip(fee, BASIS_CHARS)}",
    ]
    return "　｜　".join(part for part in parts if part)


def _posting_text(posting):
    parts = [
        f"{posting.employer} 招聘{posting.position}{posting.openings}人",
        f"待遇：{posting.pay}",
        f"要求：{posting.requirements}" if posting.requirements else "",
        f"联系方式：{posting.contact}",
        f"有效期至{posting.valid_until:%Y年%m月%d日}",
    ]
    return "　｜　".join(part for part in parts if part)


def strip_entries(*, site):
    """Return the scrolling strip's entries: the site's items (public disclosure) with the valid job postings."""
    items = (
        ServiceItem.objects.filter(Q(ticket_categories__site=site) | Q(delegated_sites=site), is_active=True)
        .select_related("department")
        .distinct()
    )
    sites = [site.id] + ([site.parent_id] if site.parent_id else [])
    postings = [
        {"kind": "job", "label": "招聘信息", "text": _posting_text(posting)}
        for posting in JobPosting.objects.filter(site__in=sites, valid_until__gte=timezone.localdate())
    ]
    entries = []
    for index, item in enumerate(items):
        if postings and index % ITEMS_PER_POSTING == 0:
            entries.append(postings[(index // ITEMS_PER_POSTING) % len(postings)])
        entries.append({"kind": "item", "label": "事项公开", "text": _item_text(item)})
    if not entries:
        entries = postings
    return entries


def _screen_context(site, **extra):
    return {
        "hall_name": settings.QGT_HALL_NAME,
        "site": site,
        "stream_seconds": live.live_setting("QGT_LIVE_STREAM_SECONDS"),
        **extra,
    }


@require_GET
@never_cache
def board(request, site):
    """Show a site's calling board, for the hall's TV: current calls, last calls, waiting counts."""
    site = _site(site)
    return render(
        request,
        "queueing/display_board.html",
        _screen_context(site, board=live.board_state(site=site), strip=strip_entries(site=site)),
    )


@require_GET
@never_cache
def board_json(request, site):
    """Return the calling board's state as JSON; the page loads it first, then follows the live feed."""
    return JsonResponse(live.board_state(site=_site(site)), json_dumps_params={"ensure_ascii": False})


@require_GET
@never_cache
def strip(request, site):
    """Show only the scrolling strip, for a separate LED screen or TV."""
    site = _site(site)
    return render(request, "queueing/display_strip.html", _screen_context(site, strip=strip_entries(site=site)))


@require_GET
@never_cache
def strip_json(request, site):
    """Return the strip's entries, which the screens reload now and then (postings expire)."""
    return JsonResponse({"entries": strip_entries(site=_site(site))}, json_dumps_params={"ensure_ascii": False})


@require_GET
def live_events(request, site):
    """Stream the site's live events (Server-Sent Events), resuming after Last-Event-ID or ?after=."""
    return live.event_stream_response(request, site=_site(site))
