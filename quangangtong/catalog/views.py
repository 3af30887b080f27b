from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from quangangtong.catalog.models import CaseType, Department, ItemType, ServiceItem
from quangangtong.catalog.services import department_counts, item_search, mode_counts
from quangangtong.hall.models import Level, Site

PAGE_SIZE = 20


def _hall_context(**extra):
    return {"hall_name": settings.QGT_HALL_NAME, **extra}


def guide_home(request):
    """Show the public guide's front page: search, the six modes, the departments."""
    return render(
        request,
        "catalog/home.html",
        _hall_context(
            modes=mode_counts(),
            departments=department_counts(),
            item_count=ServiceItem.objects.filter(is_active=True).count(),
            stations=Site.objects.exclude(parent=None),
        ),
    )


def item_list(request):
    """List the items matching the guide's filters and search."""
    filters = {
        key: request.GET.get(key, "").strip() for key in ("q", "department", "tag", "level", "item_type", "case_type")
    }
    items = item_search(**filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    return render(
        request,
        "catalog/item_list.html",
        _hall_context(
            page=page,
            filters=filters,
            query_without_page=query_without_page.urlencode(),
            departments=Department.objects.all(),
            modes=mode_counts(),
            levels=[(Level.COUNTY.value, "区级"), (Level.COMMUNITY.value, "社区级")],
            item_types=ItemType.choices,
            case_types=[(CaseType.IMMEDIATE.value, "即办件"), (CaseType.PROMISED.value, "承诺件")],
        ),
    )


def item_detail(request, code):
    """Show one item's 办事指南, printable on A4."""
    item = get_object_or_404(
        ServiceItem.objects.select_related("department").prefetch_related("materials", "modes", "delegated_sites"),
        implementation_code=code,
        is_active=True,
    )
    return render(request, "catalog/item_detail.html", _hall_context(item=item))


def department_list(request):
    """List the departments whose items the hall accepts."""
    return render(request, "catalog/department_list.html", _hall_context(departments=department_counts()))


def department_detail(request, code):
    """Show a department and its items."""
    department = get_object_or_404(Department, code=code)
    items = item_search(department=code)
    return render(request, "catalog/department_detail.html", _hall_context(department=department, items=items))


def mode_list(request):
    """List the six handling modes with what they mean and how many items carry each."""
    return render(request, "catalog/mode_list.html", _hall_context(modes=mode_counts()))


def site_detail(request, code):
    """Show a site (the hall or a community station) and the items delegated to it."""
    site = get_object_or_404(Site, code=code)
    items = site.delegated_items.filter(is_active=True).select_related("department").prefetch_related("modes")
    return render(request, "catalog/site_detail.html", _hall_context(site=site, items=items))
