"""The back office of 办件: the approver's inbox and case page, the supervisor's pages, and the ledger.

Every POST calls one service and, when it refuses, shows the case page again with its Chinese reason next
to the field it names, keeping what was typed; nothing is changed. Case actions send back the version the
page showed (expected_version), so a click on a page someone else has since acted on is refused.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from quangangtong.accounts.models import DepartmentMembership
from quangangtong.accounts.roles import Role, role_required, user_roles
from quangangtong.cases import services
from quangangtong.cases.clocks import WarningLevel
from quangangtong.cases.errors import CaseError
from quangangtong.cases.ledger import TITLE as LEDGER_TITLE
from quangangtong.cases.ledger import clocks_today, ledger_xlsx, masked_document, running_by_warning, urgency
from quangangtong.cases.lifecycle import Action, CaseState, Decision, Step
from quangangtong.cases.models import (
    Card,
    CardColour,
    Case,
    EventKind,
    IdentityField,
    PickupMethod,
    Supervision,
    SuspensionKind,
)
from quangangtong.catalog.models import CaseType, Department, ServiceItem

CASE_ROLES = (Role.APPROVER, Role.SUPERVISOR, Role.HALL_MANAGER)
ACTING_ROLES = (Role.APPROVER, Role.SUPERVISOR)
LEDGER_ROLES = (Role.SUPERVISOR, Role.HALL_MANAGER, Role.WINDOW_OFFICER)
REVEAL_ROLES = {Role.APPROVER, Role.SUPERVISOR}
APPROVER_ACTIONS = (Action.STEP_PASS, Action.STEP_RETURN, Action.SUSPEND, Action.RESUME, Action.DECIDE)
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _departments_of(user):
    return Department.objects.filter(memberships__user=user)


def _may_approve(user, case):
    department = case.department or case.item.department
    return Role.APPROVER in user_roles(user) and (
        user.is_superuser or DepartmentMembership.objects.filter(user=user, department=department).exists()
    )


def _case_for_user(request, number):
    """Return the case numbered number if the user may see it in the back office; 404 or 403 otherwise."""
    case = (
        Case.objects.select_related("site", "item", "item__department", "department")
        .prefetch_related("suspensions")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404("办件不存在")
    if user_roles(request.user) & {Role.SUPERVISOR, Role.HALL_MANAGER} or _may_approve(request.user, case):
        return case
    raise PermissionDenied("只有该办件承办部门的审批人员、督查人员和大厅管理员可以查看。")


def _open_supervisions():
    return Prefetch(
        "supervisions",
        queryset=Supervision.objects.filter(replied_at=None).order_by("reply_due", "id"),
        to_attr="open_supervision_list",
    )


# --- the approver's inbox -----------------------------------------------------------------------


@role_required(Role.APPROVER)
@require_GET
def inbox(request):
    """Show the cases waiting on the approver's departments, most urgent first, with open 督办 highlighted."""
    cases = services.approver_inbox(user=request.user).prefetch_related("suspensions", _open_supervisions())
    # The service orders by the colours the nightly run stored; the page shows, and sorts by, today's.
    rows = sorted(clocks_today(cases), key=urgency)
    context = {
        "departments": list(_departments_of(request.user)),
        "cases": rows,
        "urged": sum(1 for case in rows if case.open_supervision_list),
        "today": timezone.localdate(),
    }
    return render(request, "cases/office/inbox.html", context)


# --- the case page ------------------------------------------------------------------------------


def _actor(event_user):
    if event_user is None:
        return "系统"
    return event_user.get_full_name() or event_user.get_username()


def _event_note(event):
    """Return what the event's detail adds to its name, in words."""
    detail = event.detail or {}
    kind = event.kind
    if kind == EventKind.TRANSFERRED and detail.get("to_department"):
        return f"转至{detail['to_department']}"
    if kind in (EventKind.STEP_PASSED, EventKind.STEP_RETURNED) and detail.get("to_step") in Step.values:
        return f"转入{Step(detail['to_step']).label}环节"
    if kind == EventKind.SUSPENDED and detail.get("suspension_kind") in SuspensionKind.values:
        return SuspensionKind(detail["suspension_kind"]).label
    if kind == EventKind.RESUMED:
        return f"不计时{detail.get('working_days', 0)}个工作日，承诺办结日期{detail.get('promised_due', '')}"
    if kind == EventKind.DECIDED and detail.get("decision") in Decision.values:
        name, number = detail.get("result_name", ""), detail.get("result_number", "")
        return f"{Decision(detail['decision']).label}：{name} {number}".strip()
    if kind == EventKind.ACCEPTED_BY_LAW:
        return f"告知期限{detail.get('window_last_day', '')}届满，受理日期为收件日{detail.get('received_on', '')}"
    if kind == EventKind.SUPERVISION_ISSUED:
        return f"回复期限 {detail.get('reply_due', '')}"
    if kind == EventKind.SUPERVISION_REPLIED and detail.get("late"):
        return "逾期回复"
    if kind in (EventKind.CARD_ISSUED, EventKind.CARD_REVOKED) and detail.get("colour") in CardColour.values:
        return CardColour(detail["colour"]).label
    if kind == EventKind.IDENTITY_VIEWED and detail.get("field") in IdentityField.values:
        return f"{IdentityField(detail['field']).label}，事由：{detail.get('reason', '')}"
    if kind == EventKind.WARNING_CHANGED:
        labels = dict(WarningLevel.choices)
        return f"{labels.get(detail.get('before'), '')} → {labels.get(detail.get('after'), '')}"
    if kind == EventKind.STEP_OVERRUN:
        return f"本环节应于{detail.get('step_due', '')}前完成"
    return ""


def _timeline(case):
    return [
        {"event": event, "actor": _actor(event.actor), "note": _event_note(event)}
        for event in services.case_timeline(case)
    ]


def _identity_fields(case):
    return [(field, label) for field, label in IdentityField.choices if getattr(case, field)]


def _render_case(request, case, *, error=None, action="", revealed=None, status=200):
    user = request.user
    roles = user_roles(user)
    may_approve = _may_approve(user, case)
    checks = {check.action: check for check in services.case_actions(case=case, user=user)}
    # The pass and return buttons share one form and its opinion.
    key = "step" if action in ("step-pass", "step-return") else action.replace("-", "_")
    context = {
        "case": clocks_today([case])[0],
        "applicant_document": masked_document(case),
        "materials": list(case.materials.all()),
        "timeline": _timeline(case),
        "checks": {action.value: checks[action] for action in APPROVER_ACTIONS},
        "is_approver": Role.APPROVER in roles,
        "may_approve": may_approve,
        "is_supervisor": Role.SUPERVISOR in roles,
        "may_reveal": bool(roles & REVEAL_ROLES),
        "identity_fields": _identity_fields(case),
        "revealed": revealed,
        "suspension": case.suspensions.filter(ended_at=None).order_by("-started_at").first(),
        "suspension_kinds": SuspensionKind.choices,
        "decisions": Decision.choices,
        "default_result_name": case.item.result_name or "准予决定书",
        "supervisions": list(case.supervisions.select_related("department", "issued_by", "replied_by")),
        "cards": list(case.cards.select_related("department", "issued_by", "revoked_by")),
        "card_colours": CardColour.choices,
        "responsible": case.department or case.item.department,
        "today": timezone.localdate(),
        "error": error,
        "form_errors": {key: {error.field or "_": error.message}} if error else {},
        "form_values": {key: request.POST} if error else {},
    }
    response = render(request, "cases/office/case.html", context, status=status)
    if revealed:
        response["Cache-Control"] = "no-store"
    return response


@role_required(*CASE_ROLES)
@require_GET
def case_detail(request, number):
    """Show a case to its department's approvers and to supervisors: materials, clocks, 督办, timeline, actions."""
    return _render_case(request, _case_for_user(request, number))


def _expected_version(request):
    raw = request.POST.get("expected_version", "").strip()
    if not raw.isdigit():
        raise CaseError("页面缺少办件版本，请刷新页面后再操作。", status=400, field="expected_version")
    return int(raw)


def _text(request, name):
    return request.POST.get(name, "")


def _step_pass(request, case):
    step = case.get_current_step_display()
    case = services.case_step_pass(
        case=case, user=request.user, opinion=_text(request, "opinion"), expected_version=_expected_version(request)
    )
    return f"{step}环节已通过，转入{case.get_current_step_display()}环节。"


def _step_return(request, case):
    step = case.get_current_step_display()
    case = services.case_step_return(
        case=case, user=request.user, opinion=_text(request, "opinion"), expected_version=_expected_version(request)
    )
    return f"{step}环节已退回至{case.get_current_step_display()}环节。"


def _suspend(request, case):
    suspension = services.case_suspend(
        case=case, user=request.user, kind=_text(request, "kind"), reason=_text(request, "reason"),
        expected_version=_expected_version(request),
    )  # fmt: skip
    return f"已启动特别程序（{suspension.get_kind_display()}），法定和承诺时限暂停计时。请书面告知申请人所需时间。"


def _resume(request, case):
    case = services.case_resume(
        case=case, user=request.user, result=_text(request, "result"), expected_version=_expected_version(request)
    )
    return f"特别程序已结束，恢复计时；承诺办结日期为{case.promised_due:%Y-%m-%d}。"


def _decide(request, case):
    case = services.case_decide(
        case=case, user=request.user, decision=_text(request, "decision"),
        result_number=_text(request, "result_number"), result_name=_text(request, "result_name"),
        opinion=_text(request, "opinion"), expected_version=_expected_version(request),
    )  # fmt: skip
    where = "结果已送达窗口，待出件。" if case.state == CaseState.READY else "容缺材料补齐后结果才送达窗口。"
    return f"已作出{case.get_decision_display()}决定（{case.result_name} {case.result_number}）。{where}"


def _reveal(request, case):
    field = _text(request, "field")
    value = services.case_identity_reveal(case=case, user=request.user, field=field, reason=_text(request, "reason"))
    return {"label": IdentityField(field).label, "value": value}


def _posted_row(request, model, name, label, case):
    raw = request.POST.get(name, "").strip()
    found = model.objects.filter(pk=int(raw), case=case).first() if raw.isdigit() else None
    if found is None:
        raise CaseError(f"{label}：该办件没有这张{label}，请刷新页面。", status=404, field=name)
    return found


def _supervision_reply(request, case):
    supervision = _posted_row(request, Supervision, "supervision", "督办单", case)
    services.supervision_reply(supervision=supervision, user=request.user, reply=_text(request, "reply"))
    return "督办回复已提交。"


def _supervision_issue(request, case):
    raw = _text(request, "reply_due").strip()
    try:
        reply_due = datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise CaseError("回复期限：请按“2026-10-16”的格式填写日期。", status=400, field="reply_due") from None
    supervision = services.supervision_issue(
        case=case, user=request.user, content=_text(request, "content"), reply_due=reply_due
    )
    name = supervision.department.short_name or supervision.department.name
    return f"督办单已发给{name}，回复期限{supervision.reply_due:%Y-%m-%d}。"


def _card_issue(request, case):
    card = services.card_issue(case=case, user=request.user, colour=_text(request, "colour"),
                               reason=_text(request, "reason"))  # fmt: skip
    return f"已对{card.department.short_name or card.department.name}亮{card.get_colour_display()}。"


def _card_revoke(request, case):
    card = _posted_row(request, Card, "card", "黄牌红牌", case)
    card = services.card_revoke(card=card, user=request.user, reason=_text(request, "reason"))
    return f"已撤销{card.get_colour_display()}。"


CASE_ACTIONS = {
    "step-pass": _step_pass,
    "step-return": _step_return,
    "suspend": _suspend,
    "resume": _resume,
    "decide": _decide,
    "reveal": _reveal,
    "supervision-reply": _supervision_reply,
    "supervision-issue": _supervision_issue,
    "card-issue": _card_issue,
    "card-revoke": _card_revoke,
}


@role_required(*ACTING_ROLES)
@require_POST
def case_action(request, number, action):
    """Take one back-office action on a case; on a refusal show the page again with the reason."""
    handler = CASE_ACTIONS.get(action)
    if handler is None:
        raise Http404("没有这个操作")
    case = _case_for_user(request, number)
    try:
        result = handler(request, case)
    except CaseError as exc:
        return _render_case(request, _case_for_user(request, number), error=exc, action=action, status=exc.status)
    if isinstance(result, dict):
        return _render_case(request, _case_for_user(request, number), revealed=result)
    messages.success(request, f"{case.number}：{result}")
    return redirect("office-case", number=case.number)


# --- the supervisor's list ----------------------------------------------------------------------


def _department_choice(request, name="department"):
    code = request.GET.get(name, "").strip()
    if not code:
        return None
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise CaseError("部门：请从列表中选择。", status=400, field=name)
    return department


def _page(request, rows):
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


WATCHED = (WarningLevel.YELLOW, WarningLevel.RED)


def _responsible(cases, department):
    # A case accepted and not yet transferred is its item's department's responsibility.
    return cases.filter(Q(department=department) | Q(department=None, item__department=department))


@role_required(Role.SUPERVISOR)
@require_GET
def supervision_list(request):
    """Show every running case that is yellow or red today, most urgent first, with its 督办 and cards."""
    error, status = None, 200
    try:
        department = _department_choice(request)
        warning = request.GET.get("warning", "").strip()
        if warning and warning not in WATCHED:
            raise CaseError("预警：请选择黄灯或红灯。", status=400, field="warning")
    except CaseError as exc:
        error, status, department, warning = exc, exc.status, None, ""
    cases = Case.objects.select_related("site", "item", "department").prefetch_related(
        _open_supervisions(), Prefetch("cards", queryset=Card.objects.filter(revoked_at=None), to_attr="active_cards")
    )
    if department is not None:
        cases = _responsible(cases, department)
    number = request.GET.get("number", "").strip()
    if number:
        cases = cases.filter(number__icontains=number)
    # Today's colours, not only those the nightly run stored (services.cases_for_supervision).
    rows = running_by_warning(cases, [warning] if warning else WATCHED)
    if not warning:
        # A case the law accepted because the window let its five days pass is a 督办 matter whatever its colour.
        listed = {case.pk for case in rows}
        missed = running_by_warning(cases.filter(intake_window_missed=True), list(WarningLevel.values))
        rows = sorted(rows + [case for case in missed if case.pk not in listed], key=urgency)
    urged = request.GET.get("urged", "")
    if urged == "open":
        rows = [case for case in rows if case.open_supervision_list]
    elif urged == "none":
        rows = [case for case in rows if not case.open_supervision_list]
    page, query = _page(request, rows)
    context = {
        "page": page,
        "cases": page.object_list,
        "query": query,
        "error": error,
        "departments": Department.objects.all(),
        "filters": request.GET,
        "warnings": [(level, WarningLevel(level).label) for level in WATCHED],
    }
    return render(request, "cases/office/supervision_list.html", context, status=status)


# --- the ledger ---------------------------------------------------------------------------------


def _date(request, name, label):
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise CaseError(f"{label}：请按“2026-09-30”的格式填写日期。", status=400, field=name) from None


def _ledger_filters(request):
    """Return the cases_ledger arguments the query string asks for, and the same in words; refuse bad ones."""
    get = request.GET
    department = _department_choice(request)
    item = None
    if get.get("item", "").strip():
        item = ServiceItem.objects.filter(implementation_code=get["item"].strip()).first()
        if item is None:
            raise CaseError("事项：请从列表中选择。", status=400, field="item")
    delivered = {"yes": True, "no": False, "": None}.get(get.get("delivered", "").strip(), "bad")
    if delivered == "bad":
        raise CaseError("是否送达：请选择已送达或未送达。", status=400, field="delivered")
    warning = get.get("warning", "").strip()
    if warning and warning not in WarningLevel.values:
        raise CaseError("预警：请选择绿灯、黄灯或红灯。", status=400, field="warning")
    filters = {
        "department": department,
        "state": get.get("state", "").strip() or None,
        "item": item,
        "pickup_method": get.get("pickup_method", "").strip() or None,
        "delivered": delivered,
        "accepted_from": _date(request, "accepted_from", "受理日期（起）"),
        "accepted_to": _date(request, "accepted_to", "受理日期（止）"),
    }
    cases = services.cases_ledger(**filters)
    if warning:
        # Today's colour, as the page shows it; a stopped case has no colour to filter by.
        cases = cases.filter(pk__in=[case.pk for case in running_by_warning(cases, [warning])])
    words = []
    if department:
        words.append(f"部门：{department.name}")
    if filters["state"]:
        words.append(f"状态：{CaseState(filters['state']).label}")
    if warning:
        words.append(f"预警：{WarningLevel(warning).label}")
    if item:
        words.append(f"事项：{item.name}")
    if filters["pickup_method"]:
        words.append(f"出件方式：{PickupMethod(filters['pickup_method']).label}")
    if delivered is not None:
        words.append("已送达" if delivered else "未送达")
    if filters["accepted_from"] or filters["accepted_to"]:
        start, end = filters["accepted_from"] or "", filters["accepted_to"] or ""
        words.append(f"受理日期：{start} 至 {end}".strip())
    return cases, "；".join(words)


@role_required(*LEDGER_ROLES)
@require_GET
def ledger(request):
    """Show the 业务受理转办明细表: every promised case, filtered and paginated, with today's clocks."""
    error, status, description = None, 200, ""
    try:
        cases, description = _ledger_filters(request)
    except CaseError as exc:
        error, status, cases = exc, exc.status, Case.objects.none()
    page, query = _page(request, cases.prefetch_related("suspensions"))
    roles = user_roles(request.user)
    context = {
        "title": LEDGER_TITLE,
        "hall_name": settings.QGT_HALL_NAME,
        "page": page,
        "cases": clocks_today(page.object_list),
        "query": query,
        "description": description,
        "error": error,
        "filters": request.GET,
        "links": bool(roles & {Role.SUPERVISOR, Role.HALL_MANAGER}),
        "window_links": bool(roles & {Role.WINDOW_OFFICER, Role.STATION_STAFF}),
        "departments": Department.objects.all(),
        "items": ServiceItem.objects.filter(case_type=CaseType.PROMISED).order_by("department__sort_order", "name"),
        "states": CaseState.choices,
        "warnings": WarningLevel.choices,
        "pickup_methods": PickupMethod.choices,
    }
    return render(request, "cases/office/ledger.html", context, status=status)


@role_required(*LEDGER_ROLES)
@require_GET
def ledger_export(request):
    """Return the filtered ledger as an .xlsx file (identity numbers and phones masked)."""
    try:
        cases, description = _ledger_filters(request)
    except CaseError:
        return ledger(request)  # the page, with the reason next to the filter
    now = timezone.now()
    content = ledger_xlsx(cases, hall_name=settings.QGT_HALL_NAME, exported_at=now, filters_text=description)
    response = HttpResponse(content, content_type=XLSX)
    filename = f"{LEDGER_TITLE}-{timezone.localtime(now):%Y%m%d-%H%M}.xlsx"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response
