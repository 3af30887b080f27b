"""The planner's pages: who may use them, the question forms, and the run page."""

import pytest
from django.urls import reverse

from quangangtong.accounts.roles import Role
from quangangtong.planner.models import PlanRun

pytestmark = pytest.mark.django_db

COMPARE = {
    "scenario": "benchmark-hall",
    "layouts": ["pooled-13", "dedicated-34"],
    "days": "2",
    "replications": "2",
    "seed": "3",
    "service_factor": "1",
    "within_minutes": "15",
}


def test_it_sends_anonymous_visitors_to_sign_in(client):
    responses = [
        client.get(reverse("planner-home")),
        client.post(reverse("planner-run-create", args=["compare"]), COMPARE),
        client.get(reverse("planner-run-status", args=[1])),
    ]
    for response in responses:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert not PlanRun.objects.exists()


@pytest.mark.parametrize("role", [Role.WINDOW_OFFICER, Role.SUPERVISOR, Role.GUIDE])
def test_it_refuses_staff_who_are_not_hall_managers(client_for, role):
    client = client_for(role)
    response = client.get(reverse("planner-home"))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
    assert client.post(reverse("planner-run-create", args=["compare"]), COMPARE).status_code == 403
    assert not PlanRun.objects.exists()


def test_it_refuses_others_a_run_and_its_status(client_for, make_staff):
    run = PlanRun.objects.create(kind="compare", parameters={"scenario": "benchmark-hall"}, created_by=make_staff())
    client = client_for(Role.APPROVER)
    assert client.get(reverse("planner-run", args=[run.pk])).status_code == 403
    assert client.get(reverse("planner-run-status", args=[run.pk])).status_code == 403


def test_it_shows_a_hall_manager_the_four_forms(client_for):
    response = client_for(Role.HALL_MANAGER).get(reverse("planner-home"))
    assert response.status_code == 200
    body = response.content.decode()
    for kind in ["run", "compare", "staff", "cross-train"]:
        assert reverse("planner-run-create", args=[kind]) in body
    assert "benchmark-hall" in body
    assert "clusters-chain" in body
    assert "还没有运行记录" in body


def test_the_staff_home_links_a_hall_manager_to_the_planner(client_for):
    assert reverse("planner-home") in client_for(Role.HALL_MANAGER).get(reverse("staff-home")).content.decode()


def test_the_staff_home_hides_the_planner_from_a_window_officer(client_for):
    assert reverse("planner-home") not in client_for(Role.WINDOW_OFFICER).get(reverse("staff-home")).content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"days": "251"}, "模拟天数：请填写 1—250 之间的整数。"),
        ({"days": "十"}, "模拟天数：请填写 1—250 之间的整数。"),
        ({"replications": "51"}, "重复次数：请填写 2—50 之间的整数。"),
        ({"service_factor": "0.05"}, "办理时长系数：请填写 0.1—5 之间的数。"),
        ({"service_factor": "nan"}, "办理时长系数：请填写 0.1—5 之间的数。"),
        ({"within_minutes": "121"}, "服务水平等待上限：请填写 1—120 之间的数。"),
        ({"scenario": "no-such-hall"}, "场景：请从列表中选择场景。"),
        ({"layouts": ["pooled-13"]}, "要比较的布局：请至少选择两个布局。"),
        ({"layouts": ["pooled-13", "pooled-99"]}, "要比较的布局：请从列表中选择布局。"),
    ],
)
def test_it_refuses_a_bad_compare_form_naming_the_field(client_for, change, message):
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-run-create", args=["compare"]), COMPARE | change)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PlanRun.objects.exists()


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("run", {"layout": ""}, "布局：请选择布局。"),
        ("staff", {"layout": "pooled-13", "target_percent": "100"}, "目标服务水平：请填写 50—99 之间的数。"),
        ("staff", {"layout": "pooled-13", "target_percent": "80", "max_mean_wait_minutes": "0"}, "平均等待上限："),
        ("cross-train", {"layout": "clusters-chain", "k": "11"}, "新增认证数：请填写 1—10 之间的整数。"),
    ],
)
def test_it_refuses_bad_fields_of_the_other_forms(client_for, kind, data, message):
    common = {key: value for key, value in COMPARE.items() if key != "layouts"}
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-run-create", args=[kind]), common | data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PlanRun.objects.exists()


def test_it_answers_404_for_an_unknown_question(client_for):
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-run-create", args=["guess"]), COMPARE)
    assert response.status_code == 404
    assert not PlanRun.objects.exists()


def test_a_hall_manager_runs_a_comparison_and_sees_its_tables(client_for):
    client = client_for(Role.HALL_MANAGER)
    response = client.post(reverse("planner-run-create", args=["compare"]), COMPARE)
    run = PlanRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("planner-run", args=[run.pk])
    assert run.status == PlanRun.Status.DONE
    assert run.parameters == {
        "scenario": "benchmark-hall",
        "layouts": ["pooled-13", "dedicated-34"],
        "days": 2,
        "replications": 2,
        "seed": 3,
        "service_factor": 1.0,
        "within_minutes": 15.0,
    }
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="plan-result"' in body
    assert "echarts/echarts.min.js" in body
    assert 'id="table-layouts"' in body
    assert "dedicated-34" in body
    assert "各布局使用相同的随机种子" in body  # the terminal table in <pre>
    assert 'http-equiv="refresh"' not in body
    listing = client.get(reverse("planner-home")).content.decode()
    assert f"#{run.pk}" in listing
    assert "已完成" in listing


def test_a_single_layout_run_shows_hours_and_utilisation(client_for):
    client = client_for(Role.HALL_MANAGER)
    data = {key: value for key, value in COMPARE.items() if key != "layouts"} | {"layout": "six-windows"}
    response = client.post(reverse("planner-run-create", args=["run"]), data, follow=True)
    body = response.content.decode()
    assert PlanRun.objects.get().status == PlanRun.Status.DONE
    for table in [
        "table-summary",
        "table-hours",
        "table-weekdays",
        "table-utilisation",
        "table-windows",
        "table-items",
    ]:
        assert f'id="{table}"' in body
    assert "不动产登记" in body
    assert "6 号" in body  # six windows, each with its utilisation
    assert "7 号" not in body


def test_a_running_run_refreshes_itself_and_shows_its_progress(client_for, make_staff):
    run = PlanRun.objects.create(
        kind="compare",
        parameters={"scenario": "benchmark-hall"},
        status=PlanRun.Status.RUNNING,
        progress_done=3,
        progress_total=12,
        created_by=make_staff(),
    )
    body = client_for(Role.HALL_MANAGER).get(reverse("planner-run", args=[run.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh"' in body
    assert 'max="12" value="3"' in body
    assert "已完成 3 / 12（25%）" in body
    assert reverse("planner-run-status", args=[run.pk]) in body


def test_a_failed_run_shows_its_reason(client_for, make_staff):
    run = PlanRun.objects.create(
        kind="run",
        parameters={"scenario": "benchmark-hall"},
        status=PlanRun.Status.FAILED,
        error="服务重启，运行中断，请重新运行",
        created_by=make_staff(),
    )
    body = client_for(Role.HALL_MANAGER).get(reverse("planner-run", args=[run.pk])).content.decode()
    assert "运行失败：" in body
    assert "服务重启，运行中断，请重新运行" in body


def test_the_status_endpoint_reports_progress(client_for, make_staff):
    run = PlanRun.objects.create(
        kind="compare",
        parameters={"scenario": "benchmark-hall"},
        status=PlanRun.Status.RUNNING,
        progress_done=5,
        progress_total=20,
        created_by=make_staff(),
    )
    response = client_for(Role.HALL_MANAGER).get(reverse("planner-run-status", args=[run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data == {
        "id": run.pk,
        "kind": "compare",
        "status": "running",
        "status_label": "运行中",
        "done": 5,
        "total": 20,
        "percent": 25,
        "active": True,
        "error": "",
        "started_at": None,
        "finished_at": None,
    }


def test_the_status_endpoint_answers_404_for_a_missing_run(client_for):
    assert client_for(Role.HALL_MANAGER).get(reverse("planner-run-status", args=[999])).status_code == 404


def test_a_hall_manager_asks_which_certifications_to_add(client_for):
    client = client_for(Role.HALL_MANAGER)
    data = {key: value for key, value in COMPARE.items() if key != "layouts"}
    data |= {"layout": "clusters-dedicated", "k": "1", "days": "1"}
    response = client.post(reverse("planner-run-create", args=["cross-train"]), data, follow=True)
    run = PlanRun.objects.get()
    assert run.status == PlanRun.Status.DONE, run.error
    assert run.parameters["k"] == 1
    body = response.content.decode()
    assert 'id="table-steps"' in body
    assert 'id="chart-cross-train"' in body
    assert "完全分设（每组只办本组事项）" in body
    assert "闭合长链" in body  # the structure warning
    assert run.result["steps"][0]["officer"] in body


def test_a_hall_manager_asks_for_the_staffing_and_rota(client_for):
    client = client_for(Role.HALL_MANAGER)
    data = {key: value for key, value in COMPARE.items() if key != "layouts"}
    data |= {"layout": "pooled-13", "target_percent": "80", "days": "1"}
    response = client.post(reverse("planner-run-create", args=["staff"]), data, follow=True)
    run = PlanRun.objects.get()
    assert run.status == PlanRun.Status.DONE, run.error
    assert run.parameters["target_share"] == 0.8
    assert "target_percent" not in run.parameters
    assert run.progress_done == run.progress_total > 0
    body = response.content.decode()
    for element in ['id="chart-staff"', 'id="table-requirements"', 'id="table-rota"', 'id="staff-check"']:
        assert element in body
    assert "目标：每个时段 15 分钟内叫号不低于 80%" in body
    assert run.result["rota"][0]["name"] in body
    first_hour = run.result["requirements"][0]["hours"][0]
    assert f"{first_hour['officers']}（{first_hour['offered_load']:.1f}）" in body
    assert run.parameters["half_days"] is False
    assert {entry["shift"] for entry in run.result["rota"]} == {"09:00-17:00"}


def test_a_hall_manager_may_allow_half_day_shifts(client_for):
    client = client_for(Role.HALL_MANAGER)
    data = {key: value for key, value in COMPARE.items() if key != "layouts"}
    data |= {"layout": "pooled-13", "target_percent": "80", "days": "1", "half_days": "on"}
    response = client.post(reverse("planner-run-create", args=["staff"]), data, follow=True)
    run = PlanRun.objects.get()
    assert run.status == PlanRun.Status.DONE, run.error
    assert run.parameters["half_days"] is True
    assert {entry["shift"] for entry in run.result["rota"]} & {"09:00-13:00", "13:00-17:00"}
    assert "<dt>排半天班</dt><dd>是</dd>" in response.content.decode()


def test_it_refuses_a_scenario_that_went_away_after_the_form_was_checked(client_for, monkeypatch):
    from quangangtong.planner import services

    monkeypatch.setattr(services, "scenario_choices", dict)
    response = client_for(Role.HALL_MANAGER).post(reverse("planner-run-create", args=["compare"]), COMPARE)
    assert response.status_code == 400
    assert "场景：没有名为 &#x27;benchmark-hall&#x27; 的场景。" in response.content.decode()
    assert not PlanRun.objects.exists()
