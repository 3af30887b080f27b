"""Staff pages of the floor: its configuration (hall managers) and the officers' skill matrix."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from quangangtong.accounts.roles import Role, role_required, user_has_role
from quangangtong.catalog.models import Department, ServiceItem
from quangangtong.hall.models import OfficerSkill, Proficiency, Site, TicketCategory, Window, WindowState
from quangangtong.hall.services import (
    officer_skill_remove,
    officer_skill_set,
    officers_for,
    site_items,
    site_rules_save,
    skill_in_site,
    skill_matrix,
    ticket_category_save,
    window_save,
)
from quangangtong.queueing.services import window_session


def _required(label, what="填写"):
    return {"required": f"{label}：请{what}。", "invalid": f"{label}：格式不对。"}


def _whole(label):
    return {**_required(label), "invalid": f"{label}：请填写整数。"}


class SiteRulesForm(forms.Form):
    call_template = forms.CharField(label="叫号语音模板", error_messages=_required("叫号语音模板"))
    recall_limit = forms.IntegerField(label="重呼次数上限", error_messages=_whole("重呼次数上限"))
    closing_time = forms.TimeField(
        label="停止取号并清号时间",
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "停止取号并清号时间：请填写。",
            "invalid": "停止取号并清号时间：格式应为 HH:MM，例如 17:30。",
        },
    )
    fluency_threshold_minutes = forms.IntegerField(label="熟练优先阈值（分钟）", error_messages=_whole("熟练优先阈值"))
    starvation_minutes = forms.IntegerField(label="最长等候保障（分钟）", error_messages=_whole("最长等候保障"))
    call_near_ahead = forms.IntegerField(label="临近叫号短信（前面人数）", error_messages=_whole("临近叫号短信"))


class WindowForm(forms.Form):
    number = forms.IntegerField(label="窗口号", error_messages=_whole("窗口号"))
    name = forms.CharField(label="名称", required=False)
    categories = forms.ModelMultipleChoiceField(
        label="服务类别",
        queryset=TicketCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "服务类别：所选类别不属于本站点，请刷新页面后重选。",
            "invalid_pk_value": "服务类别：所选类别不存在。",
        },
    )
    state = forms.ChoiceField(
        label="状态",
        choices=WindowState.choices,
        error_messages={"required": "状态：请选择。", "invalid_choice": "状态：请选择服务中、暂停服务或未开放。"},
    )

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = TicketCategory.objects.filter(site=site)


class CategoryForm(forms.Form):
    prefix = forms.CharField(label="字母前缀", error_messages=_required("字母前缀"))
    name = forms.CharField(label="名称", error_messages=_required("名称"))
    description = forms.CharField(label="说明", required=False)
    is_active = forms.BooleanField(label="在用", required=False, initial=True)
    items = forms.ModelMultipleChoiceField(
        label="包含事项",
        queryset=ServiceItem.objects.filter(is_active=True),
        required=False,
        error_messages={
            "invalid_choice": "包含事项：所选事项不存在或已停用，请刷新页面后重选。",
            "invalid_pk_value": "包含事项：所选事项不存在。",
        },
    )


class SkillForm(forms.Form):
    officer = forms.ModelChoiceField(
        label="人员",
        queryset=None,
        error_messages={"required": "人员：请选择。", "invalid_choice": "人员：所选人员不是本站点的窗口人员。"},
    )
    category = forms.ModelChoiceField(
        label="整个类别",
        queryset=None,
        required=False,
        error_messages={"invalid_choice": "整个类别：所选类别不属于本站点。"},
    )
    item = forms.ModelChoiceField(
        label="单个事项",
        queryset=None,
        required=False,
        error_messages={"invalid_choice": "单个事项：所选事项不在本站点的取号类别中。"},
    )
    proficiency = forms.ChoiceField(
        label="熟练程度",
        choices=Proficiency.choices,
        error_messages={"required": "熟练程度：请选择。", "invalid_choice": "熟练程度：请选择“熟练”或“学习中”。"},
    )
    certified_on = forms.DateField(
        label="认证日期",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "认证日期：请填写。", "invalid": "认证日期：格式应为 YYYY-MM-DD。"},
    )
    certified_by = forms.CharField(label="认证方式（培训或竞赛）", required=False)
    reason = forms.CharField(label="变更说明（选填）", required=False)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers_for(site)
        self.fields["category"].queryset = TicketCategory.objects.filter(site=site, is_active=True)
        self.fields["item"].queryset = site_items(site)


def _site_for(code):
    return get_object_or_404(Site, code=code)


def _errors(form):
    return [message for field_messages in form.errors.values() for message in field_messages]


def _add_service_errors(form, exc):
    for name, field_messages in exc.message_dict.items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)


def _save(form, save):
    """Run save(cleaned_data) if the form parses; put the service's field errors on the form; return the result."""
    if not form.is_valid():
        return None
    try:
        return save(form.cleaned_data)
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return None


# --- floor configuration ------------------------------------------------------------------------


def _floor_render(request, site, *, rules_form=None, window_forms=None, new_window_form=None,
                  new_category_form=None, status=200):  # fmt: skip
    window_forms = window_forms or {}
    windows = []
    for window in Window.objects.filter(site=site).prefetch_related("categories"):
        form = window_forms.get(window.pk) or WindowForm(
            site=site,
            prefix=f"w{window.pk}",
            initial={
                "number": window.number,
                "name": window.name,
                "categories": list(window.categories.all()),
                "state": window.state,
            },
        )
        windows.append((window, form, window_session(window)))
    categories = TicketCategory.objects.filter(site=site).prefetch_related("items", "windows")
    forms_with_errors = [
        f for f in (rules_form, new_window_form, new_category_form, *window_forms.values()) if f is not None
    ]
    context = {
        "site": site,
        "sites": Site.objects.all(),
        "rules_form": rules_form
        or SiteRulesForm(
            initial={
                "call_template": site.call_template,
                "recall_limit": site.recall_limit,
                "closing_time": site.closing_time,
                "fluency_threshold_minutes": site.fluency_threshold_minutes,
                "starvation_minutes": site.starvation_minutes,
                "call_near_ahead": site.call_near_ahead,
            }
        ),
        "windows": windows,
        "new_window_form": new_window_form or WindowForm(site=site, prefix="new", initial={"state": "closed"}),
        "new_category_form": new_category_form or CategoryForm(prefix="cat"),
        "categories": categories,
        "errors": [message for form in forms_with_errors for message in _errors(form)],
        "sample_call": _sample_call(site),
    }
    return render(request, "hall/floor_config.html", context, status=status)


def _sample_call(site):
    try:
        return site.call_template.format(number="A001", window=3)
    except (KeyError, IndexError, ValueError):
        return ""


@role_required(Role.HALL_MANAGER)
def floor_config(request, site):
    """Show the site's windows, ticket categories and floor rules, each editable."""
    return _floor_render(request, _site_for(site))


@role_required(Role.HALL_MANAGER)
@require_POST
def floor_rules_save(request, site):
    """Save the floor rules: call template, recall limit, closing time, routing thresholds."""
    site = _site_for(site)
    form = SiteRulesForm(request.POST)
    if _save(form, lambda data: site_rules_save(site=site, **data)) is None:
        return _floor_render(request, site, rules_form=form, status=400)
    messages.success(request, "已保存叫号规则。")
    return redirect(reverse("floor-config", args=[site.code]) + "#rules")


@role_required(Role.HALL_MANAGER)
@require_POST
def floor_window_save(request, site, window_id=None):
    """Add a window, or change one's number, name, categories or state."""
    site = _site_for(site)
    window = get_object_or_404(Window, site=site, pk=window_id) if window_id else None
    form = WindowForm(request.POST, site=site, prefix=f"w{window.pk}" if window else "new")
    saved = _save(
        form,
        lambda data: window_save(
            site=site,
            window=window,
            number=data["number"],
            name=data["name"],
            categories=data["categories"],
            state=data["state"],
        ),
    )
    if saved is None:
        if window:
            return _floor_render(request, site, window_forms={window.pk: form}, status=400)
        return _floor_render(request, site, new_window_form=form, status=400)
    messages.success(request, f"已保存{saved.number}号窗口。")
    return redirect(reverse("floor-config", args=[site.code]) + "#windows")


@role_required(Role.HALL_MANAGER)
@require_POST
def floor_category_add(request, site):
    """Add a ticket category; its items are chosen on the category's own page."""
    site = _site_for(site)
    form = CategoryForm(request.POST, prefix="cat")
    saved = _save(
        form,
        lambda data: ticket_category_save(
            site=site, prefix=data["prefix"], name=data["name"], description=data["description"], is_active=True
        ),
    )
    if saved is None:
        return _floor_render(request, site, new_category_form=form, status=400)
    messages.success(request, f"已新增类别 {saved.prefix} {saved.name}，请勾选它包含的事项。")
    return redirect("floor-category", site.code, saved.pk)


@role_required(Role.HALL_MANAGER)
def floor_category(request, site, category_id):
    """Show one ticket category with its items to tick, and save it."""
    site = _site_for(site)
    category = get_object_or_404(TicketCategory, site=site, pk=category_id)
    if request.method == "POST":
        form = CategoryForm(request.POST)
        saved = _save(form, lambda data: ticket_category_save(site=site, category=category, **data))
        if saved is not None:
            messages.success(request, f"已保存类别 {saved.prefix} {saved.name}（{saved.items.count()} 项事项）。")
            return redirect(reverse("floor-config", args=[site.code]) + "#categories")
        status = 400
    else:
        form = CategoryForm(
            initial={
                "prefix": category.prefix,
                "name": category.name,
                "description": category.description,
                "is_active": category.is_active,
            }
        )
        status = 200
    if form.is_bound:
        chosen = {str(v) for v in form.data.getlist("items")}
    else:
        chosen = {str(pk) for pk in category.items.values_list("pk", flat=True)}
    elsewhere = {}
    for other in TicketCategory.objects.filter(site=site).exclude(pk=category.pk).prefetch_related("items"):
        for item in other.items.all():
            elsewhere.setdefault(item.pk, []).append(other.prefix)
    departments = []
    for department in Department.objects.prefetch_related("items").all():
        items = [
            (item, str(item.pk) in chosen, elsewhere.get(item.pk, []))
            for item in department.items.all()
            if item.is_active
        ]
        if items:
            departments.append((department, items))
    context = {
        "site": site,
        "category": category,
        "form": form,
        "errors": _errors(form) if form.is_bound else [],
        "departments": departments,
        "chosen_count": len(chosen),
    }
    return render(request, "hall/category_form.html", context, status=status)


# --- skill matrix -------------------------------------------------------------------------------


def _matrix_render(request, site, *, form=None, errors=None, status=200):
    can_edit = user_has_role(request.user, Role.HALL_MANAGER)
    can_see_history = user_has_role(request.user, Role.HALL_MANAGER, Role.SUPERVISOR)
    if can_edit and form is None:
        initial = {"certified_on": timezone.localdate(), "proficiency": Proficiency.FLUENT}
        edit = request.GET.get("edit", "")
        skill = OfficerSkill.objects.filter(pk=edit).first() if edit.isdigit() else None
        if skill is not None and skill_in_site(skill, site):
            initial = {
                "officer": skill.officer_id,
                "category": skill.category_id,
                "item": skill.item_id,
                "proficiency": skill.proficiency,
                "certified_on": skill.certified_on,
                "certified_by": skill.certified_by,
            }
        form = SkillForm(site=site, initial=initial)
    matrix = skill_matrix(site=site, with_history=can_see_history)
    items_by_category = [(c, [i for i in c.items.all() if i.is_active]) for c in matrix.categories]
    context = {
        "site": site,
        "sites": Site.objects.all(),
        "matrix": matrix,
        "can_edit": can_edit,
        "can_see_history": can_see_history,
        "form": form,
        "errors": errors or (_errors(form) if form is not None and form.is_bound else []),
        "items_by_category": items_by_category,
    }
    return render(request, "hall/skills_matrix.html", context, status=status)


@role_required(Role.HALL_MANAGER, Role.SUPERVISOR, Role.WINDOW_OFFICER)
def skills_matrix(request, site):
    """Show officers × categories, and the items nobody (signed in now) can serve."""
    return _matrix_render(request, _site_for(site))


@role_required(Role.HALL_MANAGER)
@require_POST
def skill_set(request, site):
    """Add or change an officer's certification for a category or an item."""
    site = _site_for(site)
    form = SkillForm(request.POST, site=site)
    result = _save(form, lambda data: officer_skill_set(site=site, changed_by=request.user, **data))
    if result is None:
        return _matrix_render(request, site, form=form, status=400)
    skill, created = result
    who = skill.officer.get_full_name() or skill.officer.get_username()
    what = f"类别 {skill.category}" if skill.category_id else f"事项“{skill.item}”"
    verb = "新增" if created else "更新"
    messages.success(request, f"已{verb}认证：{who} · {what} · {skill.get_proficiency_display()}。")
    return redirect(reverse("skills-matrix", args=[site.code]) + f"#officer-{skill.officer_id}")


@role_required(Role.HALL_MANAGER)
@require_POST
def skill_remove(request, site, skill_id):
    """Withdraw one certification."""
    site = _site_for(site)
    skill = get_object_or_404(OfficerSkill.objects.select_related("officer", "category", "item"), pk=skill_id)
    if not skill_in_site(skill, site):
        raise Http404("该认证不属于本站点")
    try:
        withdrawn = officer_skill_remove(skill=skill, changed_by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return _matrix_render(request, site, errors=exc.messages, status=400)
    who = skill.officer.get_full_name() or skill.officer.get_username()
    if withdrawn:
        messages.success(request, f"已撤销认证：{who} · {skill.category or skill.item}。")
    else:
        messages.info(request, f"该认证已被撤销过：{who} · {skill.category or skill.item}。")
    return redirect(reverse("skills-matrix", args=[site.code]) + f"#officer-{skill.officer_id}")
