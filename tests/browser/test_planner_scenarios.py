"""A hall manager pastes a scenario, edits it, and runs it on the planner page, in a real browser."""

import os
import re
from pathlib import Path

import pytest

from quangangtong.accounts.roles import Role
from quangangtong.planner.models import PlanRun, SavedScenario
from tests.planner.test_scenarios import SMALL_HALL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("QGT_TEST_ARTIFACTS", "test-artifacts"))


@pytest.fixture
def manager_page(live_server, make_staff, page, settings):
    settings.QGT_PLANNER_SYNC = False  # the background thread, as in production
    settings.QGT_PLANNER_WORKERS = 1
    make_staff(Role.HALL_MANAGER, username="manager")
    page.goto(live_server.url + "/staff/planner/scenarios/")
    page.get_by_label("用户名").fill("manager")
    page.get_by_label("密码").fill("pw-for-tests")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/planner/scenarios/$"))
    return page


def test_a_hall_manager_pastes_edits_and_runs_a_scenario(manager_page):
    page = manager_page
    page.locator("#form-new summary").click()
    form = page.locator("#form-new")
    form.get_by_label("场景文件（YAML）").fill(SMALL_HALL.replace("daily_volume: 30", "daily_volume: -3"))
    form.get_by_role("button", name="检查并保存").click()
    assert "items[0].daily_volume：不能小于 0" in page.locator("#new-text_error").inner_text()
    assert not SavedScenario.objects.exists()

    form = page.locator("#form-new")
    form.get_by_label("场景文件（YAML）").fill(SMALL_HALL)
    form.get_by_role("button", name="检查并保存").click()
    page.wait_for_url(re.compile(r"/staff/planner/scenarios/\d+/$"))
    original = SavedScenario.objects.get()
    assert page.locator("h1").inner_text() == f"小厅（#{original.pk}）"

    # Edit: one more officer in the split layout, saved as a new scenario; the original stays as it was.
    editor = page.locator("#form-edit")
    text = editor.get_by_label("场景文件（YAML）")
    assert "monospace" in text.evaluate("element => getComputedStyle(element).fontFamily")
    text.fill(
        SMALL_HALL.replace(
            "      - {name: 丙, skills: {B: fluent}}", "      - {name: 丙, count: 2, skills: {B: fluent}}"
        )
    )
    editor.get_by_role("button", name="检查并另存为新场景").click()
    page.wait_for_url(re.compile(rf"/staff/planner/scenarios/(?!{original.pk}/)\d+/$"))
    edited = SavedScenario.objects.exclude(pk=original.pk).get()
    assert edited.edited_from == original
    assert f"修改自场景 #{original.pk}" in page.locator(".run-facts").inner_text()

    page.get_by_role("link", name="用此场景运行").click()
    page.wait_for_url(re.compile(r"/staff/planner/\?scenario=saved-\d+$"))
    compare = page.locator("#form-compare")
    assert compare.get_by_label("场景").input_value() == edited.choice_name
    assert compare.get_by_label("pooled：两人全能").is_checked()
    assert compare.get_by_label("split：各办一类").is_checked()
    compare.get_by_label("模拟天数").fill("2")
    compare.get_by_label("重复次数").fill("2")
    compare.get_by_role("button", name="开始运行").click()
    page.wait_for_url(re.compile(r"/staff/planner/runs/\d+/$"))

    page.locator("#table-layouts").wait_for()
    run = PlanRun.objects.get()
    assert (run.status, run.saved_scenario) == (PlanRun.Status.DONE, edited)
    assert f"小厅（已保存场景 #{edited.pk}）" in page.locator(".run-facts").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载本次运行所用的 YAML").click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == edited.text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(page.url.split("/staff/")[0] + f"/staff/planner/scenarios/{original.pk}/")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "planner-scenario.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1


def test_a_hall_manager_uploads_a_scenario_file(manager_page, tmp_path):
    page = manager_page
    path = tmp_path / "小厅.yaml"
    path.write_text(SMALL_HALL, encoding="utf-8")
    page.locator("#form-new summary").click()
    form = page.locator("#form-new")
    form.get_by_label("上传 .yaml 文件").set_input_files(str(path))
    form.get_by_role("button", name="检查并保存").click()
    page.wait_for_url(re.compile(r"/staff/planner/scenarios/\d+/$"))
    scenario = SavedScenario.objects.get()
    assert (scenario.origin, scenario.file_name, scenario.text) == ("uploaded", "小厅.yaml", SMALL_HALL)
    page.get_by_role("link", name="« 已保存的场景").click()
    row = page.locator("#table-scenarios tbody tr")
    assert "上传文件 小厅.yaml" in row.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "planner-scenarios.png"), full_page=True)
