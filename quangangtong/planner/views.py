"""The hall manager's planner: four question forms, past runs, each run's progress and answer, and the saved
scenarios (calibrated, uploaded, pasted or edited) the runs may use."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quangangtong.accounts.roles import Role, role_required
from quangangtong.planner import runner
from quangangtong.planner.forms import FORMS, CalibrateForm, ScenarioEditForm, ScenarioNewForm
from quangangtong.planner.models import PlanRun, SavedScenario
from quangangtong.planner.services import (
    plan_run_create,
    plan_run_status,
    plan_runs_expire_stale,
    saved_scenario_calibrate,
    saved_scenario_create,
)

RUNS_SHOWN = 50


def _home_render(request, *, bound=None, status=200):
    scenario = request.GET.get("scenario")
    forms = []
    for kind, form_class in FORMS.items():
        if bound is not None and bound.kind == kind:
            forms.append(bound)
        else:
            forms.append(form_class(scenario=scenario))
    runs = PlanRun.objects.select_related("created_by", "saved_scenario").defer(
        "shipped_scenario_text", "saved_scenario__text", "result_json", "result_text"
    )[:RUNS_SHOWN]
    context = {
        "forms": forms,
        "runs": runs,
        "bound": bound,
        "wide_fields": ("scenario", "layout", "layouts"),
        "saved_count": SavedScenario.objects.count(),
    }
    return render(request, "planner/home.html", context, status=status)


@role_required(Role.HALL_MANAGER)
@require_GET
def planner_home(request):
    """Show the question forms and the runs so far, newest first."""
    plan_runs_expire_stale()
    return _home_render(request)


@role_required(Role.HALL_MANAGER)
@require_POST
def planner_run_create(request, kind):
    """Check a question form, record the run as queued and hand it to the background runner."""
    form_class = FORMS.get(kind)
    if form_class is None:
        raise Http404("没有这个规划功能。")
    form = form_class(request.POST, scenario=request.POST.get("scenario"))
    if not form.is_valid():
        return _home_render(request, bound=form, status=400)
    try:
        run = plan_run_create(kind=kind, parameters=form.parameters(), user=request.user)
    except ValidationError as error:
        form.add_error(None, error)
        return _home_render(request, bound=form, status=400)
    runner.plan_run_submit(run_id=run.pk)
    return redirect(run)


@role_required(Role.HALL_MANAGER)
@require_GET
def planner_run(request, run_id):
    """Show a run: its progress while it runs, then its charts, tables and the terminal report."""
    plan_runs_expire_stale()
    run = get_object_or_404(PlanRun.objects.select_related("created_by", "saved_scenario"), pk=run_id)
    result = run.result if run.status == PlanRun.Status.DONE else None
    context = {"run": run, "result": result, "status": plan_run_status(run), "parameters": _parameter_rows(run)}
    if result:
        context.update(_result_context(run.kind, result))
    return render(request, "planner/run.html", context)


@role_required(Role.HALL_MANAGER)
@require_GET
def planner_run_status(request, run_id):
    """Return the run's status and progress as JSON, for the run page's progress bar."""
    plan_runs_expire_stale()
    run = get_object_or_404(PlanRun, pk=run_id)
    response = JsonResponse(plan_run_status(run), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.HALL_MANAGER)
@require_GET
def planner_run_scenario_download(request, run_id):
    """Return the exact scenario YAML a run simulated, as a file to download."""
    run = get_object_or_404(PlanRun.objects.select_related("saved_scenario"), pk=run_id)
    if not run.scenario_text:
        raise Http404("这次运行没有保存所用的场景文件。")
    return _yaml_download(run.scenario_text, file_stem=f"run-{run.pk}-scenario")


def _yaml_download(text, *, file_stem):
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_stem}.yaml"'
    return response


# --- saved scenarios -------------------------------------------------------------------------------------------

SCENARIO_WIDE_FIELDS = ("text", "file")


def _scenarios_render(request, *, new=None, calibrate=None, status=200):
    context = {
        "scenarios": SavedScenario.objects.select_related("created_by", "site")
        .prefetch_related(Prefetch("edits", queryset=SavedScenario.objects.only("id", "edited_from", "created_at")))
        .defer("text"),
        "new_form": new or ScenarioNewForm(),
        "calibrate_form": calibrate or CalibrateForm(),
        "open_form": "new" if new is not None else "calibrate" if calibrate is not None else None,
        "wide_fields": SCENARIO_WIDE_FIELDS,
    }
    return render(request, "planner/scenarios.html", context, status=status)


@role_required(Role.HALL_MANAGER)
@require_GET
def planner_scenarios(request):
    """List the saved scenarios, with the forms that calibrate, upload or paste a new one."""
    return _scenarios_render(request)


@role_required(Role.HALL_MANAGER)
@require_POST
def planner_scenario_create(request):
    """Save an uploaded or pasted scenario once it is checked; a text that cannot run is refused with its key."""
    form = ScenarioNewForm(request.POST, request.FILES)
    if not form.is_valid():
        return _scenarios_render(request, new=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        saved = saved_scenario_create(
            title=form.cleaned_data["title"],
            text=upload.scenario_text if upload else form.cleaned_data["text"],
            origin=SavedScenario.Origin.UPLOADED if upload else SavedScenario.Origin.PASTED,
            file_name=upload.name if upload else "",
            user=request.user,
        )
    except ValidationError as error:
        if upload:  # the message names the file; show it by the file field
            error = ValidationError({"file": error.message_dict["text"]})
        form.add_error(None, error)
        return _scenarios_render(request, new=form, status=400)
    return redirect(saved)


@role_required(Role.HALL_MANAGER)
@require_POST
def planner_scenario_calibrate(request):
    """Calibrate a scenario from a site's tickets and save it (a few seconds at most, so in the request)."""
    form = CalibrateForm(request.POST)
    if not form.is_valid():
        return _scenarios_render(request, calibrate=form, status=400)
    try:
        saved = saved_scenario_calibrate(
            site=form.cleaned_data["site"],
            weeks=form.cleaned_data["weeks"],
            until=form.cleaned_data["until"],
            title=form.cleaned_data["title"],
            user=request.user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _scenarios_render(request, calibrate=form, status=400)
    return redirect(saved)


@role_required(Role.HALL_MANAGER)
@require_http_methods(["GET", "POST"])
def planner_scenario(request, scenario_id):
    """Show a saved scenario with its text to edit; saving an edit makes a new scenario and keeps this one."""
    saved = get_object_or_404(SavedScenario.objects.select_related("created_by", "site", "edited_from"), pk=scenario_id)
    status = 200
    if request.method == "POST":
        form = ScenarioEditForm(request.POST)
        if form.is_valid():
            try:
                edited = saved_scenario_create(
                    title=form.cleaned_data["title"] or saved.title,
                    text=form.cleaned_data["text"],
                    origin=SavedScenario.Origin.EDITED,
                    edited_from=saved,
                    user=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(edited)
        status = 400
    else:
        form = ScenarioEditForm(initial={"title": saved.title, "text": saved.text})
    context = {
        "scenario": saved,
        "form": form,
        "edits": saved.edits.select_related("created_by"),
        "runs": saved.runs.select_related("created_by")[:RUNS_SHOWN],
        "wide_fields": SCENARIO_WIDE_FIELDS,
    }
    return render(request, "planner/scenario.html", context, status=status)


@role_required(Role.HALL_MANAGER)
@require_GET
def planner_scenario_download(request, scenario_id):
    """Return a saved scenario's YAML as a file to download."""
    saved = get_object_or_404(SavedScenario, pk=scenario_id)
    return _yaml_download(saved.text, file_stem=saved.file_stem)


# --- what the run page shows -----------------------------------------------------------------------------------

PARAMETER_LABELS = {
    "scenario": "场景",
    "layout": "布局",
    "layouts": "要比较的布局",
    "days": "模拟天数",
    "replications": "重复次数",
    "seed": "随机种子",
    "service_factor": "办理时长系数",
    "within_minutes": "服务水平等待上限（分钟）",
    "target_share": "目标服务水平",
    "max_mean_wait_minutes": "平均等待上限（分钟）",
    "half_days": "排半天班",
    "k": "新增认证数",
}
STRUCTURE_NAMES = {
    "dedicated": "完全分设（每组只办本组事项）",
    "islands": "孤岛（几组互不相连）",
    "open-chain": "开放链",
    "closed-chain": "闭合长链",
    "full": "完全交叉（每组都能办全部事项）",
    "other": "其他（相连，但既非链也非完全交叉）",
}
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _parameter_rows(run):
    """Return (label, value) in a fixed order (jsonb keeps no key order)."""
    rows = []
    known = [key for key in PARAMETER_LABELS if key in run.parameters]
    for key in known + sorted(set(run.parameters) - set(known)):
        value = run.parameters[key]
        if value is None or value == "":
            continue
        if key == "scenario":
            value = run.scenario_label
        elif key == "layouts":
            value = "、".join(value)
        elif key == "target_share":
            value = f"{100 * value:g}%"
        elif isinstance(value, bool):
            value = "是" if value else "否"
        rows.append((PARAMETER_LABELS.get(key, key), value))
    return rows


def _estimate(value):
    """Return an estimate dict as (mean, low, high), each None when missing."""
    if isinstance(value, dict):
        return value.get("mean"), value.get("low"), value.get("high")
    if isinstance(value, (int, float)):
        return value, None, None
    return None, None, None


def _minutes(value):
    mean, low, high = _estimate(value)
    if mean is None:
        return "—"
    if low is None or high is None:
        return f"{mean:.1f}"
    return f"{mean:.1f}（{low:.1f}–{high:.1f}）"


def _percent(value):
    mean, low, high = _estimate(value)
    if mean is None:
        return "—"
    if low is None or high is None:
        return f"{100 * mean:.1f}%"
    return f"{100 * mean:.1f}%（{100 * low:.1f}–{100 * high:.1f}）"


def _layout_row(name, data):
    return {
        "name": name,
        "title": data.get("title", ""),
        "officers": data.get("officers_count", ""),
        "windows": data.get("windows", ""),
        "mean_wait": _minutes(data.get("mean_wait_minutes")),
        "p90_wait": _minutes(data.get("p90_wait_minutes")),
        "share_within": _percent(data.get("share_within")),
        "abandonment": _percent(data.get("abandonment_share")),
        "worst_item": data.get("worst_item"),
    }


def _hour_rows(layouts):
    """Return the per-hour table: one row per hour, one cell per layout."""
    hours = []
    for data in layouts.values():
        for hour in data.get("hours", {}):
            if hour not in hours:
                hours.append(hour)
    return [
        (hour, [_minutes(data.get("hours", {}).get(hour, {}).get("mean_wait_minutes")) for data in layouts.values()])
        for hour in sorted(hours)
    ]


def _single_context(data):
    hours = data.get("hours", {})
    return {
        "summary": _layout_row(data.get("layout", ""), data),
        "hour_rows": [
            (hour, [_minutes(values.get("mean_wait_minutes")), _percent(values.get("share_within"))])
            for hour, values in sorted(hours.items())
        ],
        "weekday_rows": [
            (
                values.get("name", day),
                _minutes(values.get("arrivals_per_day")),
                _minutes(values.get("mean_wait_minutes")),
                _percent(values.get("share_within")),
            )
            for day, values in _in_week_order(data.get("weekdays") or {})
        ],
        "window_rows": [
            (f"{window} 号", _percent(value))
            for window, value in sorted(
                (data.get("window_utilisation") or {}).items(), key=lambda pair: _number(pair[0])
            )
        ],
        "item_rows": [
            (code, item.get("name", code), _minutes(item.get("mean_wait_minutes")))
            for code, item in data.get("items", {}).items()
        ],
        "officer_rows": [
            (name, _percent(officer.get("utilisation"))) for name, officer in data.get("officers", {}).items()
        ],
    }


def _result_context(kind, result):
    if kind == PlanRun.Kind.COMPARE:
        layouts = result.get("layouts", {})
        return {
            "layout_rows": [_layout_row(name, data) for name, data in layouts.items()],
            "hour_layouts": list(layouts),
            "hour_rows": _hour_rows(layouts),
        }
    if kind == PlanRun.Kind.RUN:
        return _single_context(result)
    if kind == PlanRun.Kind.STAFF:
        return _staff_context(result)
    return _cross_train_context(result)


def _staff_context(result):
    requirements = result.get("requirements", [])
    hours = []
    for day in requirements:
        for hour in day.get("hours", []):
            if hour.get("start") not in hours:
                hours.append(hour.get("start"))
    hours.sort()
    need_rows = []
    for hour in hours:
        cells = []
        for day in requirements:
            match = next((h for h in day.get("hours", []) if h.get("start") == hour), None)
            cells.append(_officers_needed(match))
        need_rows.append((hour, cells))
    rota_rows = [
        {
            "name": entry.get("name", ""),
            "shift": entry.get("shift") or "全天",
            "breaks": "、".join(entry.get("breaks") or []) or "—",
            "weekdays": _weekdays(entry.get("weekdays")),
        }
        for entry in result.get("rota", [])
    ]
    check = result.get("check")
    return {
        "weekday_labels": [_weekday(day) for day in requirements],
        "need_rows": need_rows,
        "rota_rows": rota_rows,
        "check": _layout_row(result.get("layout", ""), check) if isinstance(check, dict) else None,
        "notes": _as_list(result.get("notes")),
        "target_percent": 100 * (result.get("target") or {}).get("share", 0),
    }


def _officers_needed(hour):
    if hour is None:
        return "—"
    load = hour.get("offered_load")
    officers = hour.get("officers", "")
    return f"{officers}（{load:.1f}）" if isinstance(load, (int, float)) else str(officers)


def _cross_train_context(result):
    baseline = result.get("baseline")
    baseline_wait = baseline.get("mean_wait_minutes") if isinstance(baseline, dict) else baseline
    steps = [
        {
            "number": number,
            "officer": step.get("officer", ""),
            "skill": _skill_label(step),
            "mean_wait": _minutes(step.get("mean_wait_minutes")),
            "reduction": _minutes(step.get("reduction_minutes")),
        }
        for number, step in enumerate(result.get("steps", []), start=1)
    ]
    final = result.get("final")
    return {
        "baseline_wait": _minutes(baseline_wait),
        "step_rows": steps,
        "final": _layout_row(result.get("layout", ""), final) if isinstance(final, dict) else None,
        "structure": STRUCTURE_NAMES.get(result.get("structure"), result.get("structure")),
        "warnings": _as_list(result.get("warnings")),
    }


WEEK_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _in_week_order(weekdays):
    return sorted(weekdays.items(), key=lambda pair: WEEK_ORDER.index(pair[0]) if pair[0] in WEEK_ORDER else 7)


def _number(text):
    return int(text) if str(text).isdigit() else 10**6


def _skill_label(step):
    skill, name = step.get("skill", ""), step.get("skill_name")
    return f"{skill}（{name}）" if name and name != skill else skill


def _weekday(day):
    index = day.get("weekday_index")
    if isinstance(index, int) and 0 <= index < 7:
        return WEEKDAY_NAMES[index]
    return str(day.get("weekday", ""))


def _weekdays(value):
    if not value:
        return "每个开放日"
    names = [WEEKDAY_NAMES[v] if isinstance(v, int) and 0 <= v < 7 else str(v) for v in value]
    return "、".join(names)


def _as_list(value):
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]
