"""Run planner questions in the background of the web process, one at a time, writing progress to the run's row.

One worker thread per process takes runs from a queue, so at most one simulation runs per process; the simulation
itself spreads its replications over worker processes (``QGT_PLANNER_WORKERS``, default one per core). A second
thread touches the row of every run this process holds (queued or running) every HEARTBEAT_SECONDS, so a page can
tell a long simulation from one whose process has gone (services.plan_runs_expire_stale).

With ``QGT_PLANNER_SYNC = True`` (tests) a run is executed in the request that starts it.
"""

import json
import logging
import math
import queue
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from quangangtong.planner.models import PlanRun
from quangangtong.planner.services import plan_run_scenario

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20
PROGRESS_INTERVAL_SECONDS = 0.5
INTERNAL_ERROR = "规划运行出错（程序内部错误），请把运行编号告诉系统管理员。"

_queue = queue.Queue()
_held = set()  # ids of runs this process has queued or is running
_held_lock = threading.Lock()
_threads_started = False


def plan_run_submit(*, run_id):
    """Hand a queued run to this process's planner thread once the current transaction commits."""
    if settings.QGT_PLANNER_SYNC:
        plan_run_execute(run_id=run_id)
        return
    transaction.on_commit(lambda: _enqueue(run_id))


def plan_run_execute(*, run_id):
    """Run a queued run to the end, writing its progress, result or Chinese error to its row."""
    now = timezone.now()
    claimed = PlanRun.objects.filter(pk=run_id, status=PlanRun.Status.QUEUED).update(
        status=PlanRun.Status.RUNNING, started_at=now, updated_at=now
    )
    if not claimed:
        return  # already run, or given up as stale
    run = PlanRun.objects.select_related("saved_scenario").get(pk=run_id)
    parameters = {**run.parameters, "scenario": plan_run_scenario(run)}
    reporter = _ProgressWriter(run_id)
    try:
        text, result = _call(run.kind, parameters, progress=reporter)
    except Exception as error:  # every failure must reach the row, not only the log
        _finish(run_id, status=PlanRun.Status.FAILED, error=_error_message(error, run_id=run_id))
        return
    total = reporter.total or run.progress_total
    _finish(
        run_id,
        status=PlanRun.Status.DONE,
        result_json=json.dumps(_json_safe(result), ensure_ascii=False, allow_nan=False),
        result_text=text,
        progress_done=total,
        progress_total=total,
    )


def _call(kind, parameters, *, progress):
    """Call the planning function for kind (imported here: the web process loads the simulator only when used)."""
    options = {**parameters, "workers": settings.QGT_PLANNER_WORKERS, "progress": progress}
    if kind == PlanRun.Kind.RUN:
        from quangangtong.planning.cli import plan_run

        return plan_run(**options)
    if kind == PlanRun.Kind.COMPARE:
        from quangangtong.planning.cli import plan_compare

        return plan_compare(**options)
    if kind == PlanRun.Kind.STAFF:
        from quangangtong.planning.staffing import plan_staff

        return plan_staff(**options)
    if kind == PlanRun.Kind.CROSS_TRAIN:
        from quangangtong.planning.crosstraining import plan_cross_train

        return plan_cross_train(**options)
    raise ValueError(f"类型：没有名为 {kind!r} 的规划功能。")


def _error_message(error, *, run_id):
    from quangangtong.planning.scenario import ScenarioError

    if isinstance(error, ScenarioError):
        return str(error)
    # The planning functions word their refusals of bad input in Chinese (ValueError); anything else is a bug.
    if isinstance(error, ValueError) and any("\u4e00" <= ch <= "\u9fff" for ch in str(error)):
        return str(error)
    logger.exception("planner run %s failed", run_id)
    return f"{INTERNAL_ERROR}（运行编号 {run_id}：{type(error).__name__}）"


def _finish(run_id, *, status, **fields):
    now = timezone.now()
    updated = PlanRun.objects.filter(pk=run_id, status=PlanRun.Status.RUNNING).update(
        status=status, finished_at=now, updated_at=now, **fields
    )
    if not updated:
        logger.warning("planner run %s finished after it was marked stale; its result is dropped", run_id)


class _ProgressWriter:
    """The progress callback: writes (done, total) to the row at most every PROGRESS_INTERVAL_SECONDS."""

    def __init__(self, run_id):
        self.run_id = run_id
        self.total = 0
        self._written_at = None

    def __call__(self, done, total):
        self.total = total
        moment = time.monotonic()
        if self._written_at is not None and moment - self._written_at < PROGRESS_INTERVAL_SECONDS and done < total:
            return
        self._written_at = moment
        PlanRun.objects.filter(pk=self.run_id, status=PlanRun.Status.RUNNING).update(
            progress_done=done, progress_total=total, updated_at=timezone.now()
        )


def _json_safe(value):
    """Return value with NaN and infinities as None, which JSON has no words for."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


# --- the background threads ------------------------------------------------------------------------------------


def _enqueue(run_id):
    global _threads_started
    with _held_lock:
        _held.add(run_id)
        if not _threads_started:
            threading.Thread(target=_work, name="qgt-planner", daemon=True).start()
            threading.Thread(target=_beat, name="qgt-planner-heartbeat", daemon=True).start()
            _threads_started = True
    _queue.put(run_id)


def _work():
    while True:
        run_id = _queue.get()
        try:
            plan_run_execute(run_id=run_id)
        except Exception:  # the thread must live on for the next run
            logger.exception("planner run %s could not be executed", run_id)
        finally:
            with _held_lock:
                _held.discard(run_id)
            connection.close()


def _beat():
    while True:
        time.sleep(HEARTBEAT_SECONDS)
        try:
            _heartbeat_write()
        except Exception:  # the heartbeat must outlive a database hiccup
            logger.exception("planner heartbeat could not be written")
        finally:
            connection.close()


def _heartbeat_write():
    """Touch the rows of the runs this process holds, so that pages do not take them for abandoned."""
    with _held_lock:
        held = list(_held)
    if held:
        PlanRun.objects.filter(pk__in=held, status__in=[PlanRun.Status.QUEUED, PlanRun.Status.RUNNING]).update(
            updated_at=timezone.now()
        )
