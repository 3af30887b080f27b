"""The window side of 办件: open a case for the person at the window, take in materials, decide, hand out."""

import datetime

from django.contrib import messages
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from quangangtong.accounts.roles import Role, role_required, user_has_role
from quangangtong.cases import services
from quangangtong.cases.clocks import intake_window_last_day
from quangangtong.cases.documents import case_document_pdf, case_documents, case_progress_url
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CLOCK_STATES, Action, CaseState, Decision
from quangangtong.cases.models import (
    ApplicantKind,
    Carrier,
    Case,
    Channel,
    DeliveryProof,
    DocumentType,
    EventKind,
    IdentityField,
    MaterialStatus,
    PickupMethod,
)
from quangangtong.catalog.models import Necessity, ServiceItem
from quangangtong.catalog.services import item_search
from quangangtong.hall.models import Site, WindowSession
from quangangtong.queueing.models import Ticket, TicketStatus
from quangangtong.workdays.services import WorkdayCalendar

OFFICER_ROLES = (Role.WINDOW_OFFICER, Role.STATION_STAFF)
PAGE_SIZE = 30
ITEM_CHOICES_LIMIT = 60
SERVED = (TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.HELD)
# What the window does with a case, in the order the page shows it; the approvers' steps are not here.
WINDOW_ACTIONS = (
    Action.ACCEPT, Action.ACCEPT_WITH_PROMISE, Action.REQUEST_CORRECTION, Action.CORRECTION_RECEIVED, Action.REJECT,
    Action.DEFERRED_RECEIVED, Action.TRANSFER, Action.DECIDE, Action.DELIVER_AT_WINDOW, Action.POST,
    Action.MARK_DELIVERED,
)  # fmt: skip
# The inputs each action's form has: an error naming one of them is shown next to it, any other next to the button.
ACTION_FIELDS = {
    Action.ACCEPT: {"pickup_method"},
    Action.ACCEPT_WITH_PROMISE: {"pickup_method"},
    Action.REQUEST_CORRECTION: {"approved_by", "override_reason"},
    Action.CORRECTION_RECEIVED: {"received"},
    Action.REJECT: {"reason"},
    Action.DEFERRED_RECEIVED: {"material"},
    Action.DECIDE: {"decision", "result_number", "result_name", "opinion"},
    Action.DELIVER_AT_WINDOW: {"proof", "pickup_code", "recipient_id_number"},
    Action.POST: {"carrier", "tracking_number", "address", "recipient_name", "recipient_phone"},
}
OPEN_FIELDS = (
    "applicant_kind", "applicant_name", "id_type", "id_number", "credit_code", "legal_representative", "phone",
    "agent_name", "agent_id_type", "agent_id_number", "agent_phone",
)  # fmt: skip


# --- whose cases --------------------------------------------------------------------------------


def _open_session(user):
    return WindowSession.objects.filter(officer=user, signed_out_at=None).select_related("window__site").first()


def _sites_of(user):
    """Return the sites user works at: their window's and those they hold skills at, else every site with windows."""
    skilled = Site.objects.filter(
        Q(ticket_categories__skills__officer=user) | Q(ticket_categories__items__skills__officer=user)
    )
    sites = list(skilled.distinct().order_by("sort_order", "code"))
    session = _open_session(user)
    if session is not None and session.window.site not in sites:
        sites.insert(0, session.window.site)
    return sites or list(Site.objects.filter(windows__isnull=False).distinct().order_by("sort_order", "code"))


def _case_for(request, number):
    """Return the case with this number if it was opened by the user or at one of their sites; else 404/403."""
    try:
        case = services.case_get(number=number)
    except CaseError:
        raise Http404("办件不存在") from None
    if case.opened_by_id != request.user.pk and case.site not in _sites_of(request.user):
        raise PermissionDenied("该办件不是本站点的办件。")
    return case


# --- the list -----------------------------------------------------------------------------------


@role_required(*OFFICER_ROLES)
@require_GET
def case_list(request):
    """Show the cases opened by the officer or at their site, newest first, searchable by case number."""
    query = request.GET.get("q", "").strip()
    mine = request.GET.get("mine") == "1"
    cases = Case.objects.filter(opened_by=request.user)
    if not mine:
        cases = Case.objects.filter(Q(opened_by=request.user) | Q(site__in=_sites_of(request.user)))
    if query:
        cases = cases.filter(number__icontains=query)
    cases = cases.select_related("site", "item").prefetch_related("suspensions").order_by("-opened_at", "-id")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    _clocks_attach(page.object_list, today=timezone.localdate())
    return render(
        request,
        "cases/window/list.html",
        {"page": page, "query": query, "mine": mine, "session": _open_session(request.user)},
    )


def _clocks_attach(cases, *, today):
    """Set clock on each running case to its clock today (None on the others), with one shared calendar.

    Computed here rather than read from the rows, which the nightly run refreshes only once a day.
    """
    calendar, rules = WorkdayCalendar(), {}
    for case in cases:
        case.clock, case.overdue_days = None, 0
        if case.state in CLOCK_STATES and case.accepted_at is not None:
            key = (case.item_id, case.site_id)
            if key not in rules:
                rules[key] = services.clock_rules(item=case.item, site=case.site)
            case.clock = services.case_clock(case, today=today, calendar=calendar, rules=rules[key])
            case.overdue_days = max(0, -case.clock.remaining_working_days)


# --- opening a case -----------------------------------------------------------------------------


def _served_ticket(request, raw):
    """Return the ticket being served at the officer's window that raw names, or refuse naming the field."""
    if not raw:
        return None
    session = _open_session(request.user)
    ticket = None
    if session is not None and raw.isdigit():
        ticket = (
            Ticket.objects.filter(pk=int(raw), window=session.window, status__in=SERVED)
            .select_related("site", "item", "window")
            .first()
        )
    if ticket is None:
        raise CaseError("排队票：这张票不在您签到的窗口办理中，请回到窗口工作台重新选择。", status=409, field="ticket")
    return ticket


def _site_for_opening(request, ticket, code):
    if ticket is not None:
        return ticket.site
    session = _open_session(request.user)
    if session is not None:
        return session.window.site
    sites = _sites_of(request.user)
    if len(sites) == 1:
        return sites[0]
    for site in sites:
        if site.code == code:
            return site
    raise CaseError("受理站点：请选择您所在的站点。", status=400, field="site")


def _item_choices(query, selected):
    """Return the items to choose from: those matching query (all active ones when empty), selected first."""
    items = list(item_search(q=query).order_by("sort_order", "id")[:ITEM_CHOICES_LIMIT]) if query else []
    if not query:
        items = list(ServiceItem.objects.filter(is_active=True).select_related("department").order_by("sort_order"))
    if selected is not None and selected not in items:
        items.insert(0, selected)
    return items


def _posted_item(raw):
    if not raw or not str(raw).isdigit():
        return None
    return ServiceItem.objects.filter(pk=int(raw), is_active=True).select_related("department").first()


def _render_open(request, *, values, ticket, error=None, status=200):
    session = _open_session(request.user)
    selected = _posted_item(values.get("item"))
    context = {
        "values": values,
        "ticket": ticket,
        "session": session,
        "sites": [] if ticket or session else _sites_of(request.user),
        "items": _item_choices(values.get("item_q", ""), selected),
        "item_q": values.get("item_q", ""),
        "selected_item": selected,
        "error": error,
        "error_key": error.field if error is not None else "",
        "applicant_kinds": ApplicantKind.choices,
        "document_types": DocumentType.choices,
        "channels": Channel.choices,
        "pickup_methods": PickupMethod.choices,
    }
    return render(request, "cases/window/open.html", context, status=status)


@role_required(*OFFICER_ROLES)
def case_open(request):
    """Show the form to open a case (from the ticket being served, or on its own) and open it."""
    source = request.POST if request.method == "POST" else request.GET
    values = {name: source.get(name, "").strip() for name in (*OPEN_FIELDS, "item", "item_q", "ticket", "site")}
    values["applicant_kind"] = values["applicant_kind"] or ApplicantKind.PERSON
    values["id_type"] = values["id_type"] or DocumentType.RESIDENT_ID
    values["agent_id_type"] = values["agent_id_type"] or DocumentType.RESIDENT_ID
    values["channel"] = source.get("channel", Channel.WINDOW)
    values["pickup_method"] = source.get("pickup_method", PickupMethod.WINDOW)
    try:
        ticket = _served_ticket(request, values["ticket"])
    except CaseError as error:
        values["ticket"] = ""
        return _render_open(request, values=values, ticket=None, error=error, status=error.status)
    if ticket is not None and not values["item"] and ticket.item_id:
        values["item"] = str(ticket.item_id)
    if request.method != "POST" or "find" in request.POST:
        return _render_open(request, values=values, ticket=ticket)
    try:
        case = services.case_open(
            site=_site_for_opening(request, ticket, values["site"]),
            item=_posted_item(values["item"]),
            user=request.user,
            channel=Channel.WINDOW if ticket else values["channel"],
            ticket=ticket,
            pickup_method=values["pickup_method"],
            **{name: values[name] for name in OPEN_FIELDS},
        )
    except CaseError as error:
        return _render_open(request, values=values, ticket=ticket, error=error, status=error.status)
    messages.success(request, f"已收件，办件编号{case.number}。请逐项登记收到的材料。")
    return redirect("window-case", number=case.number)


# --- the case page ------------------------------------------------------------------------------


def _event_note(event):
    """Return a line saying what an event did, from its details (never an identity number)."""
    detail, kind = event.detail or {}, event.kind
    names = "、".join(detail.get("materials") or [])
    if kind == EventKind.OPENED:
        return f"排队票 {detail['ticket']}" if detail.get("ticket") else ""
    if kind == EventKind.MATERIAL_MARKED:
        status = MaterialStatus(detail["status"]).label if detail.get("status") in MaterialStatus.values else ""
        defect = f"（{detail['defect']}）" if detail.get("defect") else ""
        return f"{detail.get('name', '')}：{status}{defect}"
    if kind == EventKind.CORRECTION_REQUESTED:
        return f"第{detail.get('sequence', 1)}次告知：{names}；补正期限 {detail.get('return_by', '')}"
    if kind == EventKind.CORRECTION_RECEIVED:
        return f"收到：{names}"
    if kind == EventKind.ACCEPTED_BY_LAW:
        return (
            f"收件后五个工作日内（至{detail.get('window_last_day', '')}）未告知补正，"
            f"依法自收件之日起视为受理；承诺办结日期 {detail.get('promised_due', '')}"
        )
    if kind in (EventKind.ACCEPTED, EventKind.ACCEPTED_WITH_PROMISE):
        dated_back = "；逾期未告知，受理日期为收件日" if detail.get("accepted_on_receipt") else ""
        return f"承诺办结日期 {detail.get('promised_due', '')}{dated_back}"
    if kind == EventKind.DEFERRED_RECEIVED:
        return f"收到容缺材料：{detail.get('name', '')}"
    if kind == EventKind.TRANSFERRED:
        return f"转至{detail.get('to_department', '')}"
    if kind == EventKind.DECIDED:
        decision = Decision(detail["decision"]).label if detail.get("decision") in Decision.values else ""
        return f"{decision}：{detail.get('result_name', '')} {detail.get('result_number', '')}".strip()
    if kind == EventKind.POSTED:
        carrier = Carrier(detail["carrier"]).label if detail.get("carrier") in Carrier.values else ""
        return f"{carrier} {detail.get('tracking_number', '')}"
    if kind == EventKind.DELIVERED_AT_WINDOW:
        return DeliveryProof(detail["proof"]).label if detail.get("proof") in DeliveryProof.values else ""
    if kind == EventKind.IDENTITY_VIEWED:
        field = IdentityField(detail["field"]).label if detail.get("field") in IdentityField.values else ""
        return f"查看{field}，事由：{detail.get('reason', '')}"
    return ""


def _identity_fields(case):
    return [(field.value, field.label) for field in IdentityField if getattr(case, field.value)]


def _render_case(request, case, *, error=None, action="", status=200, revealed=None):
    """Render the case page; after a refused action, show why next to its field and keep what was typed."""
    today = timezone.localdate()
    every = {c.action: c for c in services.case_actions(case=case, user=request.user)}
    checks = {action: every[action] for action in WINDOW_ACTIONS if action != Action.DECIDE or case.is_immediate}
    materials = list(case.materials.select_related("material"))
    material_error = None
    if error is not None and action == Action.MARK_MATERIAL:
        material_error = request.POST.get("material", "")
    for line in materials:
        line.refill = request.POST if material_error == str(line.id) else {}
        line.error = error if material_error == str(line.id) else None
    notice = case.correction_notices.order_by("-sequence").prefetch_related("items__material").first()
    events = list(services.case_timeline(case))
    for event in events:
        event.note = _event_note(event)
    clock = services.case_clock(case, today=today) if case.state in CLOCK_STATES else None
    intake_last_day = None
    if case.state == CaseState.RECEIVED and notice is None:
        intake_last_day = intake_window_last_day(
            received_on=timezone.localdate(case.opened_at), calendar=WorkdayCalendar()
        )
    context = {
        "case": case,
        "today": today,
        "intake_last_day": intake_last_day,
        "clock": clock,
        "overdue_days": -clock.remaining_working_days if clock and clock.remaining_working_days < 0 else 0,
        "checks": checks,
        "mark": every[Action.MARK_MATERIAL],
        "materials": materials,
        "deferred": [line for line in materials if line.status == MaterialStatus.DEFERRED],
        "notice": notice if case.state == CaseState.CORRECTION else None,
        "earlier_notice": notice,
        "events": events,
        "documents": case_documents(case),
        "identity_fields": _identity_fields(case),
        "revealed": revealed,
        "error": error,
        "error_action": action,
        "error_key": f"{action}:{error.field}" if error is not None else "",
        "error_at_button": error is not None and error.field not in ACTION_FIELDS.get(action, ()),
        "refill": {action: request.POST} if error is not None else {},
        "material_statuses": MaterialStatus.choices,
        "deferrable": Necessity.DEFERRABLE,
        "pickup_methods": PickupMethod.choices,
        "carriers": Carrier.choices,
        "proofs": DeliveryProof.choices,
        "decisions": Decision.choices,
    }
    response = render(request, "cases/window/case.html", context, status=status)
    if revealed is not None:
        response["Cache-Control"] = "no-store"
    return response


@role_required(*OFFICER_ROLES)
@require_GET
def case_page(request, number):
    """Show a case at the window: applicant, clocks, materials, what can be done now, notices and history."""
    return _render_case(request, _case_for(request, number))


# --- actions ------------------------------------------------------------------------------------


def _version(request):
    raw = request.POST.get("expected_version", "")
    if not raw.isdigit():
        raise CaseError("页面版本缺失：请刷新办件页面后再操作。", status=400, field="expected_version")
    return int(raw)


def _count(request, name, label):
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise CaseError(f"{label}：请填写份数（0或正整数）。", status=400, field=name)
    return int(raw)


def _date(request, name, label):
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise CaseError(f"{label}：请按“2026-10-15”的格式填写日期。", status=400, field=name) from None


def _pickup(request):
    return request.POST.get("pickup_method") or None


def _mark_material(request, case, version):
    line = services.case_material_mark(
        case=case, user=request.user, expected_version=version, material=request.POST.get("material", ""),
        status=request.POST.get("status", ""),
        received_originals=_count(request, "received_originals", "收取原件"),
        received_copies=_count(request, "received_copies", "收取复印件"),
        defect=request.POST.get("defect", ""), promise=request.POST.get("promise", ""),
        promise_due=_date(request, "promise_due", "承诺补交日期"),
    )  # fmt: skip
    return f"已登记“{line.name}”：{line.get_status_display()}。"


def _accept(request, case, version):
    case = services.case_accept(case=case, user=request.user, pickup_method=_pickup(request), expected_version=version)
    return f"已受理，承诺办结日期{case.promised_due:%Y-%m-%d}。请打印受理通知书交申请人。"


def _accept_with_promise(request, case, version):
    case = services.case_accept_with_promise(
        case=case, user=request.user, pickup_method=_pickup(request), expected_version=version
    )
    return f"已容缺受理，承诺办结日期{case.promised_due:%Y-%m-%d}。请打印容缺受理通知书交申请人。"


def _supervisor_authorizing(request):
    """Return the supervisor who authorised a second notice at the window with their own password, or None.

    A second 一次性告知 naming new materials needs a supervisor's approval (行政许可法 §32: one notice of everything);
    the supervisor types their own account and password at the officer's screen, as a bank teller's manager does.
    """
    username = request.POST.get("approver_username", "").strip()
    if not username:
        return None
    supervisor = authenticate(request, username=username, password=request.POST.get("approver_password", ""))
    if supervisor is None:
        raise CaseError("督查人员授权：账号或密码不正确，请督查人员本人重新输入。", status=400, field="approved_by")
    if not user_has_role(supervisor, Role.SUPERVISOR):
        raise CaseError(f"督查人员授权：{username} 不是督查人员，不能批准再次告知。", status=403, field="approved_by")
    return supervisor


def _request_correction(request, case, version):
    notice = services.case_request_correction(
        case=case,
        user=request.user,
        approved_by=_supervisor_authorizing(request),
        override_reason=request.POST.get("override_reason", ""),
        expected_version=version,
    )
    if notice.is_override:
        return (
            f"已出具第{notice.sequence}次一次性告知书（经{notice.overridden_by}授权），"
            f"补正期限{notice.return_by:%Y-%m-%d}。请打印交申请人。"
        )
    return f"已出具第{notice.sequence}次一次性告知书，补正期限{notice.return_by:%Y-%m-%d}。请打印交申请人。"


def _correction_received(request, case, version):
    received = [int(raw) for raw in request.POST.getlist("received") if raw.isdigit()]
    services.case_correction_received(case=case, user=request.user, received=received, expected_version=version)
    return "已收取补正材料，请核对后受理。"


def _reject(request, case, version):
    services.case_reject(
        case=case,
        user=request.user,
        reason=request.POST.get("reason", ""),
        remedies=request.POST.get("remedies", ""),
        expected_version=version,
    )
    return "已作出不予受理决定。请打印不予受理通知书交申请人。"


def _deferred_received(request, case, version):
    raw = request.POST.get("material", "")
    if not raw.isdigit():
        raise CaseError("容缺材料：请选择收到的容缺材料。", status=400, field="material")
    case = services.case_deferred_material_received(
        case=case, user=request.user, material=int(raw), expected_version=version
    )
    ready = "，结果已送达窗口待出件" if case.state == CaseState.READY else ""
    return f"已收取容缺材料{ready}。"


def _transfer(request, case, version):
    case = services.case_transfer(case=case, user=request.user, expected_version=version)
    return f"已转办至{case.department.name}。"


def _decide(request, case, version):
    case = services.case_decide(
        case=case,
        user=request.user,
        decision=request.POST.get("decision", ""),
        result_number=request.POST.get("result_number", ""),
        result_name=request.POST.get("result_name", ""),
        opinion=request.POST.get("opinion", ""),
        expected_version=version,
    )
    ready = "，结果待出件" if case.state == CaseState.READY else ""
    return f"已作出{case.get_decision_display()}决定{ready}。"


def _deliver_at_window(request, case, version):
    services.case_deliver_at_window(
        case=case,
        user=request.user,
        proof=request.POST.get("proof", ""),
        pickup_code=request.POST.get("pickup_code", ""),
        recipient_id_number=request.POST.get("recipient_id_number", ""),
        expected_version=version,
    )
    return "结果已在窗口交付，办件已送达。"


def _post(request, case, version):
    delivery = services.case_post(
        case=case,
        user=request.user,
        carrier=request.POST.get("carrier", ""),
        tracking_number=request.POST.get("tracking_number", ""),
        address=request.POST.get("address", ""),
        recipient_name=request.POST.get("recipient_name", ""),
        recipient_phone=request.POST.get("recipient_phone", "").strip(),
        expected_version=version,
    )
    return f"结果已交{delivery.get_carrier_display()}寄出，单号{delivery.tracking_number}。"


def _mark_delivered(request, case, version):
    services.case_mark_delivered(case=case, user=request.user, expected_version=version)
    return "已确认送达。"


ACTIONS = {
    Action.MARK_MATERIAL: _mark_material,
    Action.ACCEPT: _accept,
    Action.ACCEPT_WITH_PROMISE: _accept_with_promise,
    Action.REQUEST_CORRECTION: _request_correction,
    Action.CORRECTION_RECEIVED: _correction_received,
    Action.REJECT: _reject,
    Action.DEFERRED_RECEIVED: _deferred_received,
    Action.TRANSFER: _transfer,
    Action.DECIDE: _decide,
    Action.DELIVER_AT_WINDOW: _deliver_at_window,
    Action.POST: _post,
    Action.MARK_DELIVERED: _mark_delivered,
}


@role_required(*OFFICER_ROLES)
@require_POST
def case_action(request, number, action):
    """Take one action on the case; a refusal shows the page again with the reason and changes nothing."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("没有这个操作")
    case = _case_for(request, number)
    try:
        message = handler(request, case, _version(request))
    except CaseError as error:
        case.refresh_from_db()
        return _render_case(request, case, error=error, action=action, status=error.status)
    messages.success(request, message)
    return redirect("window-case", number=case.number)


@role_required(*OFFICER_ROLES)
@require_POST
def case_reveal(request, number):
    """Show one full identity number (or phone) once, with the reason logged (个人信息保护法)."""
    case = _case_for(request, number)
    field = request.POST.get("field", "")
    try:
        value = services.case_identity_reveal(
            case=case, user=request.user, field=field, reason=request.POST.get("reason", "")
        )
    except CaseError as error:
        return _render_case(request, case, error=error, action="reveal", status=error.status)
    return _render_case(request, case, revealed={"label": IdentityField(field).label, "value": value})


@role_required(*OFFICER_ROLES)
@require_GET
def case_pdf(request, number, document):
    """Return one of the case's notices as a PDF to print (inline), with identity numbers masked."""
    case = _case_for(request, number)
    try:
        found, pdf = case_document_pdf(case=case, key=document, progress_url=case_progress_url(case, request=request))
    except CaseError:
        raise Http404("办件没有这份文书") from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, found.filename)
    response["Cache-Control"] = "no-store"
    return response
