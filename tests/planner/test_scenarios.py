"""Saved scenarios on the planner page: calibrated, uploaded, pasted or edited; checked; used by runs and kept."""

import datetime

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quangangtong.accounts.roles import Role
from quangangtong.planner.models import PlanRun, SavedScenario
from quangangtong.planner.services import saved_scenario_create, scenario_choices
from quangangtong.planning.scenario import BENCHMARK_HALL, ScenarioError, ScenarioText, scenario_load
from tests.planner.conftest import UNTIL

pytestmark = pytest.mark.django_db

SMALL_HALL = """\
name: small-hall
title: 小厅
day: {open: "09:00", close: "12:00"}
hourly_profile: [0.4, 0.4, 0.2]
items:
  - {code: X, name: 社保卡, category: A, daily_volume: 30, mean_service_minutes: 6}
  - {code: Y, name: 低保, category: B, daily_volume: 10, mean_service_minutes: 12}
default_layout: pooled
layouts:
  pooled:
    title: 两人全能
    windows: 2
    officers:
      - {name: 甲, count: 2, skills: {A: fluent, B: fluent}}
  split:
    title: 各办一类
    windows: 2
    officers:
      - {name: 乙, skills: {A: fluent}}
      - {name: 丙, skills: {B: fluent}}
"""
RUN = {"days": "2", "replications": "2", "seed": "3", "service_factor": "1", "within_minutes": "15"}


def saved(user=None, *, text=SMALL_HALL, title="小厅"):
    return saved_scenario_create(title=title, text=text, origin=SavedScenario.Origin.PASTED, user=user)


# --- the scenario text, without Django ---------------------------------------------------------------------------


def test_a_scenario_text_loads_like_its_file():
    text = ScenarioText(name="上传的.yaml", text=BENCHMARK_HALL.read_text(encoding="utf-8"))
    assert scenario_load(text, layout="six-windows") == scenario_load("benchmark-hall", layout="six-windows")


def test_a_bad_scenario_text_is_refused_by_its_name_and_key():
    with pytest.raises(ScenarioError) as refused:
        scenario_load(ScenarioText(name="我的场景", text=SMALL_HALL.replace("daily_volume: 30", "daily_volume: -3")))
    assert (refused.value.path, refused.value.key) == ("我的场景", "items[0].daily_volume")
    with pytest.raises(ScenarioError, match="不是合法的 YAML"):
        scenario_load(ScenarioText(name="我的场景", text="items: [unclosed"))


# --- who may use the pages ----------------------------------------------------------------------------------------


def _scenario_urls(scenario_id, run_id):
    return [
        ("get", reverse("planner-scenarios")),
        ("post", reverse("planner-scenario-create")),
        ("post", reverse("planner-scenario-calibrate")),
        ("get", reverse("planner-scenario", args=[scenario_id])),
        ("post", reverse("planner-scenario", args=[scenario_id])),
        ("get", reverse("planner-scenario-download", args=[scenario_id])),
        ("get", reverse("planner-run-scenario", args=[run_id])),
    ]


def test_it_sends_anonymous_visitors_to_sign_in(client, make_staff):
    scenario = saved(make_staff())
    run = PlanRun.objects.create(kind="run", parameters={}, saved_scenario=scenario)
    for method, url in _scenario_urls(scenario.pk, run.pk):
        response = getattr(client, method)(url, {"text": SMALL_HALL} if method == "post" else None)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]
    assert SavedScenario.objects.count() == 1


@pytest.mark.parametrize("role", [Role.WINDOW_OFFICER, Role.SUPERVISOR, Role.APPROVER])
def test_it_refuses_staff_who_are_not_hall_managers(client_for, make_staff, role):
    scenario = saved(make_staff())
    run = PlanRun.objects.create(kind="run", parameters={}, saved_scenario=scenario)
    client = client_for(role)
    for method, url in _scenario_urls(scenario.pk, run.pk):
        response = getattr(client, method)(url, {"text": SMALL_HALL, "site": "x", "weeks": "2"})
        assert response.status_code == 403, url
    assert SavedScenario.objects.count() == 1


# --- pasting, uploading, downloading ------------------------------------------------------------------------------


def test_a_hall_manager_pastes_a_scenario_and_it_is_saved_with_its_layouts(client, make_staff):
    manager = make_staff(Role.HALL_MANAGER)
    client.force_login(manager)
    response = client.post(reverse("planner-scenario-create"), {"title": "", "text": SMALL_HALL})
    scenario = SavedScenario.objects.get()
    assert response.status_code == 302
    assert response["Location"] == scenario.get_absolute_url()
    assert (scenario.title, scenario.origin, scenario.text) == ("小厅", "pasted", SMALL_HALL)
    assert scenario.layouts == {"pooled": "两人全能", "split": "各办一类"}
    assert scenario.default_layout == "pooled"
    assert scenario.created_by == manager


def test_a_hall_manager_uploads_a_yaml_file(client_for):
    upload = SimpleUploadedFile("小厅.yaml", SMALL_HALL.encode("utf-8-sig"), content_type="application/yaml")
    response = client_for(Role.HALL_MANAGER).post(
        reverse("planner-scenario-create"), {"title": "三月的小厅", "file": upload}
    )
    scenario = SavedScenario.objects.get()
    assert response.status_code == 302
    assert (scenario.title, scenario.origin, scenario.file_name) == ("三月的小厅", "uploaded", "小厅.yaml")
    assert scenario.text == SMALL_HALL  # without the byte-order mark
    assert scenario.origin_description == "上传文件 小厅.yaml"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": SMALL_HALL.replace("daily_volume: 30", "daily_volume: -3")}, "items[0].daily_volume：不能小于 0"),
        ({"text": SMALL_HALL.replace("{A: fluent}", "{Z: fluent}")}, "layouts.split.officers[0].skills.Z"),
        ({"text": "items: [unclosed"}, "(文件)：不是合法的 YAML"),
        ({"text": "   "}, "场景文件：请上传 .yaml 文件，或把 YAML 文本粘贴到文本框里。"),
        ({"text": SMALL_HALL, "title": "名" * 101}, "场景名称：请不超过 100 个字。"),
    ],
)
def test_it_refuses_a_scenario_that_cannot_run_naming_the_key(client_for, data, message):
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-scenario-create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SavedScenario.objects.exists()


def test_it_refuses_an_uploaded_file_that_cannot_run_naming_the_file_and_key(client_for):
    bad = SMALL_HALL.replace(
        "windows: 2\n    officers:\n      - {name: 乙", "windows: 0\n    officers:\n      - {name: 乙"
    )
    upload = SimpleUploadedFile("坏的.yaml", bad.encode())
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-scenario-create"), {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "场景文件：场景文件 坏的.yaml 的 layouts.split.windows：应为不小于 1 的整数" in body
    assert 'id="new-file_error"' in body
    assert not SavedScenario.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("小厅.txt", SMALL_HALL.encode(), "上传文件：小厅.txt 不是 .yaml 文件"),
        ("小厅.yaml", SMALL_HALL.encode("gbk"), "上传文件：小厅.yaml 不是 UTF-8 编码的文本"),
    ],
)
def test_it_refuses_a_file_that_is_not_utf8_yaml(client_for, name, content, message):
    response = client_for(Role.HALL_MANAGER).post(
        reverse("planner-scenario-create"), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SavedScenario.objects.exists()


def test_it_offers_each_saved_scenario_to_download(client_for, make_staff):
    scenario = saved(make_staff())
    client = client_for(Role.HALL_MANAGER)
    listing = client.get(reverse("planner-scenarios")).content.decode()
    assert reverse("planner-scenario-download", args=[scenario.pk]) in listing
    response = client.get(reverse("planner-scenario-download", args=[scenario.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="scenario-{scenario.pk}.yaml"'
    assert response.content.decode() == SMALL_HALL


def test_a_saved_scenario_cannot_be_changed_in_place(make_staff):
    scenario = saved(make_staff())
    scenario.text = "changed"
    with pytest.raises(ValueError, match="已保存的场景不能修改"):
        scenario.save()
    scenario.refresh_from_db()
    assert scenario.text == SMALL_HALL


# --- calibrating from the page ------------------------------------------------------------------------------------


def test_a_hall_manager_calibrates_a_scenario_from_the_ticket_history(client_for, busy_hall):
    data = {"site": busy_hall.code, "weeks": "2", "until": UNTIL.isoformat(), "title": ""}
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-scenario-calibrate"), data)
    scenario = SavedScenario.objects.get()
    assert response.status_code == 302
    assert response["Location"] == scenario.get_absolute_url()
    assert (scenario.origin, scenario.site, scenario.weeks, scenario.until) == ("calibrated", busy_hall, 2, UNTIL)
    assert scenario.title == "繁忙大厅（按 2026-03-14 至 2026-03-27 的取号记录校准）"
    assert scenario.origin_description == "由繁忙大厅截至 2026-03-27 的 2 周取号记录校准"
    assert scenario.text.startswith("# 繁忙大厅（busy-hall）的产能规划场景")  # the comments are kept
    parsed = yaml.safe_load(scenario.text)
    assert sum(item["daily_volume"] for item in parsed["items"]) == pytest.approx(40)
    assert scenario.layouts == {"calibrated": "现有人员与技能：3 人，3 个窗口"}
    assert scenario_choices()[scenario.choice_name].default_layout == "calibrated"


def test_calibration_without_tickets_in_the_period_saves_nothing_and_says_why(client_for, busy_hall):
    data = {"site": busy_hall.code, "weeks": "1", "until": (UNTIL - datetime.timedelta(weeks=5)).isoformat()}
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-scenario-calibrate"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "统计周数：站点“繁忙大厅”在 2026-02-14 至 2026-02-20 没有取号记录" in body
    assert "请加大“统计周数”或换一个“截止日期”" in body
    assert "--weeks" not in body
    assert not SavedScenario.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weeks": "53"}, "统计周数：请填写 1—52 之间的整数。"),
        ({"weeks": "0"}, "统计周数：请填写 1—52 之间的整数。"),
        ({"until": "2026-13-01"}, "截止日期：请填写日期"),
        ({"until": "2999-01-01"}, "截止日期：截止日期 2999-01-01 晚于今天"),
        ({"site": "elsewhere"}, "站点：请从列表中选择站点。"),
    ],
)
def test_it_refuses_a_bad_calibration_form_naming_the_field(client_for, busy_hall, change, message):
    data = {"site": busy_hall.code, "weeks": "2", "until": UNTIL.isoformat()} | change
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-scenario-calibrate"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SavedScenario.objects.exists()


# --- runs on saved scenarios, and history -------------------------------------------------------------------------


def test_the_run_forms_offer_saved_scenarios_with_their_layouts(client_for, make_staff):
    scenario = saved(make_staff())
    body = client_for(Role.HALL_MANAGER).get(reverse("planner-home")).content.decode()
    assert f'<option value="saved-{scenario.pk}">小厅（已保存场景 #{scenario.pk}）</option>' in body
    assert "split：各办一类" in body
    assert "已保存的场景（1 个）" in body


def test_a_hall_manager_runs_a_saved_scenario(client_for, make_staff):
    scenario = saved(make_staff())
    client = client_for(Role.HALL_MANAGER)
    data = RUN | {"scenario": scenario.choice_name, "layouts": ["pooled", "split"]}
    response = client.post(reverse("planner-run-create", args=["compare"]), data)
    run = PlanRun.objects.get()
    assert response.status_code == 302
    assert run.status == PlanRun.Status.DONE, run.error
    assert run.saved_scenario == scenario
    assert list(run.result["layouts"]) == ["pooled", "split"]
    assert run.result["scenario"] == "small-hall"
    assert f"小厅（已保存场景 #{scenario.pk}）" in client.get(reverse("planner-home")).content.decode()
    page = client.get(run.get_absolute_url()).content.decode()
    assert f"小厅（已保存场景 #{scenario.pk}）" in page
    assert reverse("planner-run-scenario", args=[run.pk]) in page


def test_a_form_refuses_a_layout_the_saved_scenario_does_not_have(client_for, make_staff):
    scenario = saved(make_staff())
    data = RUN | {"scenario": scenario.choice_name, "layout": "pooled-13"}
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-run-create", args=["run"]), data)
    assert response.status_code == 400
    assert f"布局：场景 saved-{scenario.pk} 没有 pooled-13" in response.content.decode()
    assert not PlanRun.objects.exists()


def test_a_run_keeps_the_text_it_used_after_the_scenario_is_edited(client_for, make_staff):
    original = saved(make_staff())
    client = client_for(Role.HALL_MANAGER)
    client.post(
        reverse("planner-run-create", args=["run"]), RUN | {"scenario": original.choice_name, "layout": "pooled"}
    )
    run = PlanRun.objects.get()

    edited_text = SMALL_HALL.replace("daily_volume: 30", "daily_volume: 45")
    response = client.post(original.get_absolute_url(), {"title": "", "text": edited_text})
    edited = SavedScenario.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302
    assert response["Location"] == edited.get_absolute_url()
    assert (edited.origin, edited.edited_from, edited.title, edited.text) == ("edited", original, "小厅", edited_text)

    original.refresh_from_db()
    run.refresh_from_db()
    assert original.text == SMALL_HALL
    assert run.scenario_text == SMALL_HALL
    assert client.get(reverse("planner-run-scenario", args=[run.pk])).content.decode() == SMALL_HALL
    # The forms now offer the edited version only; the original's page says it was edited and lists the run.
    assert original.choice_name not in scenario_choices()
    assert edited.choice_name in scenario_choices()
    page = client.get(original.get_absolute_url()).content.decode()
    assert f'href="{edited.get_absolute_url()}"' in page
    assert f'href="{run.get_absolute_url()}"' in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SMALL_HALL, "场景文件：内容与原场景相同，没有可保存的修改。"),
        (SMALL_HALL.replace('close: "12:00"', 'close: "12:30"'), "的 day.close：应晚于开门时间"),
        ("", "场景文件：请粘贴场景的 YAML 文本。"),
    ],
)
def test_an_edit_that_changes_nothing_or_cannot_run_is_not_saved(client_for, make_staff, text, message):
    original = saved(make_staff())
    response = client_for(Role.HALL_MANAGER).post(original.get_absolute_url(), {"title": "", "text": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert SavedScenario.objects.get() == original


def test_a_run_on_a_shipped_scenario_keeps_the_file_s_text(client_for):
    client = client_for(Role.HALL_MANAGER)
    data = RUN | {"scenario": "benchmark-hall", "layout": "six-windows"}
    client.post(reverse("planner-run-create", args=["run"]), data)
    run = PlanRun.objects.get()
    assert run.status == PlanRun.Status.DONE, run.error
    assert run.saved_scenario is None
    assert run.shipped_scenario_text == BENCHMARK_HALL.read_text(encoding="utf-8")
    response = client.get(reverse("planner-run-scenario", args=[run.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="run-{run.pk}-scenario.yaml"'


def test_a_run_recorded_before_texts_were_kept_has_no_scenario_to_download(client_for):
    run = PlanRun.objects.create(kind="run", parameters={"scenario": "benchmark-hall"})
    assert client_for(Role.HALL_MANAGER).get(reverse("planner-run-scenario", args=[run.pk])).status_code == 404


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("staff", {"layout": "split", "target_percent": "80"}), ("cross-train", {"layout": "split", "k": "1"})],
)
def test_staffing_and_cross_training_run_on_a_saved_scenario(client_for, make_staff, kind, extra):
    scenario = saved(make_staff())
    data = RUN | {"scenario": scenario.choice_name} | extra
    client_for(Role.HALL_MANAGER).post(reverse("planner-run-create", args=[kind]), data)
    run = PlanRun.objects.get()
    assert run.status == PlanRun.Status.DONE, run.error
    assert (run.saved_scenario, run.result["scenario"], run.result["layout"]) == (scenario, "small-hall", "split")
