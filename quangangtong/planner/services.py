"""The planner page's rules: which scenarios may be chosen, starting a run, and runs left behind by a restart."""

import datetime
import functools
from dataclasses import dataclass

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from quangangtong.planner.models import PlanRun
from quangangtong.planning.scenario import SCENARIO_DIR, ScenarioError, scenario_load_all

STALE_MESSAGE = "服务重启，运行中断，请重新运行"
# The runner touches each queued or running row at least this often (see runner.HEARTBEAT_SECONDS).


@dataclass(frozen=True)
class ScenarioChoice:
    """A shipped scenario with its layouts (name → title) in file order."""

    name: str
    title: str
    layouts: dict
    default_layout: str


def scenario_choices():
    """Return the shipped scenarios that load without error, by name."""
    files = sorted(SCENARIO_DIR.glob("*.yaml"))
    return _scenario_choices(tuple((path, path.stat().st_mtime_ns) for path in files))


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
    return PlanRun.objects.create(kind=kind, parameters=parameters, created_by=user)


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
