"""The planner page's rules: which scenarios may be chosen, saving scenarios (checked, calibrated, uploaded,
edited), starting a run, and runs left behind by a restart."""

import datetime
import functools
import json
import re
from dataclasses import dataclass

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from quangangtong.planner.models import SAVED_PREFIX, PlanRun, SavedScenario
from quangangtong.planning.scenario import SCENARIO_DIR, ScenarioError, ScenarioText, scenario_load_all

STALE_MESSAGE = "服务重启，运行中断，请重新运行"
# The runner touches each queued or running row at least this often (see runner.HEARTBEAT_SECONDS).


SCENARIO_TEXT_MAX_CHARS = 200_000
TITLE_MAX_CHARS = 100


@dataclass(frozen=True)
class ScenarioChoice:
    """A shipped or saved scenario with its layouts (name → title) in file order."""

    name: str  # a shipped file's stem, or a saved scenario's choice_name
    title: str
    layouts: dict
    default_layout: str
    saved_id: int | None = None

    @property
    def label(self):
        if self.saved_id is not None:
            return f"{self.title}（已保存场景 #{self.saved_id}）"
        return f"{self.title}（{self.name}）"


def scenario_choices():
    """Return the scenarios a run may use, by name: the shipped ones that load without error, then the latest
    version of each saved scenario (a row no one has edited since), newest first."""
    files = sorted(SCENARIO_DIR.glob("*.yaml"))
    choices = dict(_scenario_choices(tuple((path, path.stat().st_mtime_ns) for path in files)))
    for saved in SavedScenario.objects.filter(edits__isnull=True).defer("text"):
        choices[saved.choice_name] = _saved_choice(saved)
    return choices


def _saved_choice(saved):
    return ScenarioChoice(
        name=saved.choice_name,
        title=saved.title,
        layouts=saved.layouts,
        default_layout=saved.default_layout,
        saved_id=saved.pk,
    )


def saved_scenario_for(name):
    """Return the saved scenario a choice name stands for, or None for a shipped scenario's name."""
    if not isinstance(name, str) or not name.startswith(SAVED_PREFIX):
        return None
    number = name.removeprefix(SAVED_PREFIX)
    return SavedScenario.objects.filter(pk=int(number)).first() if number.isdigit() else None


def plan_run_scenario(run):
    """Return the scenario as the planning functions take it: the text the run recorded, or (for runs recorded
    before texts were kept) the shipped scenario's name."""
    if run.saved_scenario_id:
        saved = run.saved_scenario
        return ScenarioText(name=f"已保存场景 #{saved.pk}（{saved.title}）", text=saved.text)
    if run.shipped_scenario_text:
        return ScenarioText(name=run.parameters.get("scenario", ""), text=run.shipped_scenario_text)
    return run.parameters.get("scenario")


@functools.lru_cache(maxsize=8)
def _scenario_choices(files):
    choices = {}
    for path, _mtime in files:
        try:
            layouts = scenario_load_all(path)
        except ScenarioError:
            continue  # a broken file is reported by `qgt plan`; the page offers only what can run
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        default = data.get("default_layout")
        choices[path.stem] = ScenarioChoice(
            name=path.stem,
            title=str(data.get("title") or path.stem),
            layouts={name: hall.title or name for name, hall in layouts.items()},
            default_layout=default if default in layouts else next(iter(layouts)),
        )
    return choices


def plan_run_create(*, kind, parameters, user):
    """Record a new queued run of kind with its parameters (already checked by the form)."""
    if kind not in PlanRun.Kind.values:
        raise ValidationError(f"类型：没有名为 {kind!r} 的规划功能。")
    choice = scenario_choices().get(parameters.get("scenario"))
    if choice is None:
        raise ValidationError(f"场景：没有名为 {parameters.get('scenario')!r} 的场景。")
    named = parameters.get("layouts") or ([parameters["layout"]] if parameters.get("layout") else [])
    unknown = [name for name in named if name not in choice.layouts]
    if unknown:
        raise ValidationError(f"布局：场景 {choice.name} 没有名为 {'、'.join(unknown)} 的布局。")
    shipped_text = ""
    if choice.saved_id is None:
        shipped_text = (SCENARIO_DIR / f"{choice.name}.yaml").read_text(encoding="utf-8")
    return PlanRun.objects.create(
        kind=kind,
        parameters=parameters,
        saved_scenario_id=choice.saved_id,
        shipped_scenario_text=shipped_text,
        created_by=user,
    )


# --- saved scenarios ---------------------------------------------------------------------------------------------


def scenario_text_check(*, text, name):
    """Return (layouts name → title, default layout) of a scenario's YAML text; raise ScenarioError if it cannot run.

    ``name`` is what the error message calls the text (the uploaded file's name, or the scenario's title).
    """
    if len(text) > SCENARIO_TEXT_MAX_CHARS:
        raise ScenarioError(name, "(文件)", f"超过 {SCENARIO_TEXT_MAX_CHARS} 个字符，请删去不需要的部分")
    halls = scenario_load_all(ScenarioText(name=name, text=text))
    data = yaml.safe_load(text)  # parsed again for default_layout, which the Scenario does not keep
    default = data.get("default_layout")
    layouts = {layout: hall.title or layout for layout, hall in halls.items()}
    return layouts, default if default in layouts else next(iter(layouts))


def saved_scenario_create(
    *, title, text, origin, user, file_name="", edited_from=None, site=None, weeks=None, until=None
):
    """Check a scenario's YAML text and save it as a new row; return the row.

    Raises ValidationError naming the field (title, text) with the Chinese reason: for a text that cannot run, the
    ScenarioError's file, key and reason. The title defaults to the file's own title or name.
    """
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise ValidationError({"text": "场景文件：内容为空，请粘贴或上传场景的 YAML 文本。"})
    title = (title or "").strip()
    name = file_name or title or "粘贴的场景"
    try:
        layouts, default_layout = scenario_text_check(text=text, name=name)
    except ScenarioError as error:
        raise ValidationError({"text": f"场景文件：{error}"}) from error
    if not title:
        data = yaml.safe_load(text)
        title = str(data.get("title") or data.get("name") or file_name or "未命名场景")
    if len(title) > TITLE_MAX_CHARS:
        title = title[: TITLE_MAX_CHARS - 1] + "…"
    if edited_from is not None and text == edited_from.text:
        raise ValidationError({"text": "场景文件：内容与原场景相同，没有可保存的修改。"})
    return SavedScenario.objects.create(
        title=title,
        text=text,
        origin=origin,
        site=site,
        weeks=weeks,
        until=until,
        file_name=file_name[:200],
        edited_from=edited_from,
        layouts_json=json.dumps(layouts, ensure_ascii=False),
        default_layout=default_layout,
        created_by=user,
    )


# The calibration's messages were written for the command line; the page's form names its fields instead.
_CALIBRATION_OPTION_NAMES = {"--weeks": "“统计周数”", "--until": "“截止日期”", "--site": "“站点”"}
_CALIBRATION_FIELD_LABELS = {"site": "站点", "weeks": "统计周数", "until": "截止日期"}


def saved_scenario_calibrate(*, site, weeks, until, title, user):
    """Calibrate a scenario from the site's tickets over the weeks ending on until (None: yesterday) and save it.

    Raises ValidationError naming the field (site, weeks, until) when there is nothing to calibrate from (no
    tickets in the period, no windows, no skilled officers); nothing is saved then.
    """
    from quangangtong.queueing.calibration import CalibrationError, calibration_run, calibration_yaml

    try:
        calibration = calibration_run(site=site, weeks=weeks, until=until)
    except CalibrationError as error:
        reason = error.reason
        for option, label in _CALIBRATION_OPTION_NAMES.items():
            reason = re.sub(rf"\s*{option}\b\s*", label, reason)
        label = _CALIBRATION_FIELD_LABELS.get(error.field)
        if label is None:
            raise ValidationError(reason) from error
        raise ValidationError({error.field: f"{label}：{reason}"}) from error
    return saved_scenario_create(
        title=title or calibration.scenario.get("title") or "",
        text=calibration_yaml(calibration),
        origin=SavedScenario.Origin.CALIBRATED,
        user=user,
        site=calibration.site,
        weeks=weeks,
        until=calibration.until,
    )


def plan_runs_expire_stale(*, now=None):
    """Mark as failed the queued or running runs no process has touched lately; return how many.

    A run's process writes progress and a heartbeat to its row; a row not written for QGT_PLANNER_STALE_MINUTES was
    left by a process that stopped (restart, crash) and will never finish.
    """
    now = now or timezone.now()
    minutes = settings.QGT_PLANNER_STALE_MINUTES
    cutoff = now - datetime.timedelta(minutes=minutes)
    stale = PlanRun.objects.filter(status__in=[PlanRun.Status.QUEUED, PlanRun.Status.RUNNING], updated_at__lt=cutoff)
    # Read first: the progress bar polls every second, and an UPDATE takes SQLite's write lock even when it matches
    # nothing, which the windows calling tickets would wait for.
    if not stale.exists():
        return 0
    return stale.update(status=PlanRun.Status.FAILED, error=STALE_MESSAGE, finished_at=now, updated_at=now)


def plan_run_status(run):
    """Return what the run page's progress bar needs, as a JSON-ready dict."""
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "status_label": run.get_status_display(),
        "done": run.progress_done,
        "total": run.progress_total,
        "percent": run.percent,
        "active": run.is_active,
        "error": run.error,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
