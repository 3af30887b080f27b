"""A hall manager compares the benchmark hall's layouts on the planner page, in a real browser."""

import os
import re
import threading
from pathlib import Path

import pytest

from quangangtong.accounts.roles import Role
from quangangtong.planner import runner
from quangangtong.planner.models import PlanRun
from quangangtong.planner.services import scenario_choices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("QGT_TEST_ARTIFACTS", "test-artifacts"))


@pytest.fixture
def held_after_first_replication(monkeypatch, settings):
    """Run in the background thread as in production, but hold the run after its first replication until released."""
    settings.QGT_PLANNER_SYNC = False
    settings.QGT_PLANNER_WORKERS = 1
    release = threading.Event()
    call = runner._call

    def held(kind, parameters, *, progress):
        def reporting(done, total):
            progress(done, total)
            if done == 1:
                release.wait(timeout=30)

        return call(kind, parameters, progress=reporting)

    monkeypatch.setattr(runner, "_call", held)
    yield release
    release.set()


def _sign_in(page, live_server, username):
    page.goto(live_server.url + "/staff/planner/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pw-for-tests")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/planner/$"))


def test_a_hall_manager_compares_the_layouts_and_sees_the_charts(
    live_server, make_staff, page, held_after_first_replication
):
    make_staff(Role.HALL_MANAGER, username="manager")
    _sign_in(page, live_server, "manager")
    form = page.locator("#form-compare")
    assert form.get_by_label("pooled-13：一窗通办：13 人全部事项熟练，13 个窗口").is_checked()
    form.get_by_label("模拟天数").fill("3")
    form.get_by_label("重复次数").fill("2")
    form.get_by_role("button", name="开始运行").click()
    page.wait_for_url(re.compile(r"/staff/planner/runs/\d+/$"))

    # Every layout × two replications; the runner holds after the first, so the bar shows where it is.
    layouts = scenario_choices()["benchmark-hall"].layouts
    total = 2 * len(layouts)
    page.locator("#run-progress-text", has_text=f"已完成 1 / {total}").wait_for()
    assert page.locator("#run-progress").get_attribute("max") == str(total)
    assert page.locator("#run-status-label").inner_text() == "运行中"
    held_after_first_replication.set()

    # The page reloads itself when the run is done and draws the charts.
    page.locator("#chart-compare-wait canvas").wait_for()
    assert page.locator("#run-status-label").inner_text() == "已完成"
    assert page.locator("#chart-compare-share canvas").count() == 1
    assert page.locator("#chart-hours canvas").count() == 1
    row_names = [text.split("\n")[0] for text in page.locator("#table-layouts tbody th").all_inner_texts()]
    assert row_names == list(layouts)
    assert row_names[:3] == ["pooled-13", "six-windows", "dedicated-34"]
    assert "各布局使用相同的随机种子" in page.locator("#result-text").inner_text()
    run = PlanRun.objects.get()
    assert (run.status, run.progress_done, run.progress_total) == (PlanRun.Status.DONE, total, total)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "planner-compare.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#chart-compare-wait canvas").wait_for()
    page.screenshot(path=str(ARTIFACTS / "planner-compare-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1

    page.get_by_role("link", name="« 产能规划").click()
    assert page.locator("table.runs").get_by_role("link", name=f"#{run.pk}").count() == 1
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "planner-home.png"), full_page=True)
