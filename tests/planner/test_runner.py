"""Executing planner runs: progress and results written to the row, failures in Chinese, runs left by a restart."""

import datetime
import time

import pytest
from django.utils import timezone

from quangangtong.planner import runner
from quangangtong.planner.models import PlanRun
from quangangtong.planner.services import STALE_MESSAGE, plan_runs_expire_stale

pytestmark = pytest.mark.django_db

SMALL = {"days": 2, "replications": 2, "seed": 5, "service_factor": 1.0, "within_minutes": 15.0}


def _queued(kind, **parameters):
    return PlanRun.objects.create(kind=kind, parameters={"scenario": "benchmark-hall", **SMALL, **parameters})


def test_it_executes_a_comparison_and_keeps_the_result_and_progress():
    layouts = ["clusters-chain", "six-windows", "pooled-13"]  # not the order PostgreSQL's jsonb would give keys
    run = _queued("compare", layouts=layouts)
    runner.plan_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == PlanRun.Status.DONE
    assert (run.progress_done, run.progress_total) == (6, 6)
    assert list(run.result["layouts"]) == layouts
    assert run.result["layouts"]["pooled-13"]["mean_wait_minutes"]["mean"] >= 0
    assert "six-windows" in run.result_text  # the terminal table
    assert run.started_at <= run.finished_at
    assert run.error == ""


def test_it_executes_a_single_layout():
    run = _queued("run", layout="pooled-13")
    runner.plan_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == PlanRun.Status.DONE
    assert run.result["layout"] == "pooled-13"
    assert run.progress_total == 2


def test_it_runs_a_run_once_only():
    run = _queued("run", layout="pooled-13")
    runner.plan_run_execute(run_id=run.pk)
    finished_at = PlanRun.objects.get(pk=run.pk).finished_at
    runner.plan_run_execute(run_id=run.pk)
    assert PlanRun.objects.get(pk=run.pk).finished_at == finished_at


def test_it_writes_a_refusal_of_the_scenario_in_chinese():
    run = _queued("run", layout="no-such-layout")
    runner.plan_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == PlanRun.Status.FAILED
    assert "没有名为 'no-such-layout' 的布局" in run.error
    assert run.finished_at is not None
    assert run.result is None


def test_it_writes_an_internal_error_without_its_details(monkeypatch):
    def broken(kind, parameters, *, progress):
        raise KeyError("secret detail")

    monkeypatch.setattr(runner, "_call", broken)
    run = _queued("run", layout="pooled-13")
    runner.plan_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == PlanRun.Status.FAILED
    assert run.error.startswith("规划运行出错")
    assert f"运行编号 {run.pk}" in run.error
    assert "secret" not in run.error


def test_it_writes_progress_at_most_twice_a_second(monkeypatch):
    seen = []

    def counting(kind, parameters, *, progress):
        for done in range(1, 6):
            progress(done, 5)
            seen.append(PlanRun.objects.get().progress_done)
        return "表", {"value": float("nan"), "rows": [(1, float("inf"))]}

    monkeypatch.setattr(runner, "_call", counting)
    run = _queued("run", layout="pooled-13")
    runner.plan_run_execute(run_id=run.pk)
    assert seen == [1, 1, 1, 1, 5]  # the first call, then nothing until the last
    run.refresh_from_db()
    assert run.result == {"value": None, "rows": [[1, None]]}  # NaN is not JSON PostgreSQL takes


def test_a_result_arriving_after_the_run_was_given_up_is_dropped(monkeypatch):
    def slow(kind, parameters, *, progress):
        PlanRun.objects.update(status=PlanRun.Status.FAILED, error=STALE_MESSAGE)
        return "表", {}

    monkeypatch.setattr(runner, "_call", slow)
    run = _queued("run", layout="pooled-13")
    runner.plan_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.error, run.result) == (PlanRun.Status.FAILED, STALE_MESSAGE, None)


def test_it_gives_up_runs_no_process_has_touched_lately(settings):
    settings.QGT_PLANNER_STALE_MINUTES = 3
    now = timezone.now()
    stale_running = _queued("run", layout="pooled-13")
    stale_queued = _queued("run", layout="pooled-13")
    fresh = _queued("run", layout="pooled-13")
    done = _queued("run", layout="pooled-13")
    PlanRun.objects.filter(pk=stale_running.pk).update(status=PlanRun.Status.RUNNING)
    PlanRun.objects.filter(pk=fresh.pk).update(status=PlanRun.Status.RUNNING)
    PlanRun.objects.filter(pk=done.pk).update(status=PlanRun.Status.DONE)
    old = now - datetime.timedelta(minutes=4)
    PlanRun.objects.exclude(pk=fresh.pk).update(updated_at=old)
    PlanRun.objects.filter(pk=fresh.pk).update(updated_at=now - datetime.timedelta(minutes=2))

    assert plan_runs_expire_stale(now=now) == 2
    for run in (stale_running, stale_queued):
        run.refresh_from_db()
        assert (run.status, run.error, run.finished_at) == (PlanRun.Status.FAILED, STALE_MESSAGE, now)
    assert PlanRun.objects.get(pk=fresh.pk).status == PlanRun.Status.RUNNING
    assert PlanRun.objects.get(pk=done.pk).status == PlanRun.Status.DONE


def test_the_run_page_gives_up_a_stale_run_when_it_loads(client_for, make_staff):
    from quangangtong.accounts.roles import Role

    run = _queued("run", layout="pooled-13")
    PlanRun.objects.filter(pk=run.pk).update(
        status=PlanRun.Status.RUNNING, updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    response = client_for(Role.HALL_MANAGER).get(f"/staff/planner/runs/{run.pk}/status.json")
    assert response.json()["status"] == "failed"
    assert response.json()["error"] == STALE_MESSAGE


@pytest.mark.django_db(transaction=True)
def test_a_submitted_run_runs_in_the_background_thread(settings):
    settings.QGT_PLANNER_SYNC = False
    run = _queued("compare", layouts=["pooled-13", "six-windows"])
    runner.plan_run_submit(run_id=run.pk)
    deadline = time.monotonic() + 20
    while PlanRun.objects.get(pk=run.pk).is_active and time.monotonic() < deadline:
        time.sleep(0.05)
    run.refresh_from_db()
    assert run.status == PlanRun.Status.DONE
    assert run.progress_total == 4


def test_the_heartbeat_touches_only_the_runs_this_process_holds(monkeypatch):
    held, other, done = (_queued("run", layout="pooled-13") for _ in range(3))
    PlanRun.objects.filter(pk=done.pk).update(status=PlanRun.Status.DONE)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    PlanRun.objects.update(updated_at=long_ago)
    monkeypatch.setattr(runner, "_held", {held.pk, done.pk})
    runner._heartbeat_write()
    assert PlanRun.objects.get(pk=held.pk).updated_at > long_ago
    assert PlanRun.objects.get(pk=other.pk).updated_at == long_ago
    assert PlanRun.objects.get(pk=done.pk).updated_at == long_ago
    assert plan_runs_expire_stale() == 1  # the other one, which no process holds
