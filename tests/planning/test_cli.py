"""`qgt plan run` and `qgt plan compare`: the table, the JSON, common seeds, refusals, and no Django needed."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from quangangtong.planning import cli
from quangangtong.planning.scenario import BENCHMARK_HALL

LAYOUTS = ["pooled-13", "six-windows", "dedicated-34", "clusters-dedicated", "clusters-chain", "full-cross-training"]
QUICK = ["--days", "2", "--replications", "3"]
REPO = Path(__file__).resolve().parents[2]

TWIN = {
    "name": "twin",
    "day": {"open": "09:00", "close": "11:00"},
    "hourly_profile": [0.4, 0.6],
    "items": [
        {"code": "sb", "name": "社保", "category": "K1", "daily_volume": 60, "mean_service_minutes": 8},
        {"code": "sw", "name": "税务", "category": "K2", "daily_volume": 20, "mean_service_minutes": 10},
    ],
    "layouts": {
        name: {"windows": 4, "officers": [{"name": "综窗", "count": 4, "skills": {"K1": "fluent", "K2": "fluent"}}]}
        for name in ("before", "after")
    },
}


def write(tmp_path, data):
    path = tmp_path / "hall.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def plan(capsys, *args):
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def plan_json(capsys, *args):
    status, out, err = plan(capsys, *args, "--json")
    assert (status, err) == (0, "")
    return json.loads(out)


def assert_estimate(value):
    assert set(value) == {"mean", "low", "high"}
    assert value["low"] <= value["mean"] <= value["high"]


def test_it_prints_the_run_table_with_every_figure_and_its_interval(capsys):
    status, out, _ = plan(capsys, "run", "benchmark-hall", "--layout", "clusters-chain", *QUICK)
    assert status == 0
    for label in ["平均等待（分钟）", "90% 分位等待（分钟）", "15 分钟内叫号比例", "弃号比例", "95% 置信区间"]:
        assert label in out
    assert "等待最长的事项：" in out
    assert "各时段平均等待" in out
    assert "09:00" in out
    assert "16:00" in out
    assert "人员利用率" in out
    assert "K0组1" in out
    assert "K5组" in out


def test_it_prints_json_with_mean_low_and_high_for_every_figure(capsys):
    data = plan_json(capsys, "run", "benchmark-hall", "--layout", "clusters-chain", *QUICK)
    assert (data["scenario"], data["layout"], data["days"], data["replications"]) == (
        "benchmark-hall",
        "clusters-chain",
        2,
        3,
    )
    for key in ["mean_wait_minutes", "p90_wait_minutes", "share_within", "abandonment_share"]:
        assert_estimate(data[key])
    assert len(data["items"]) == 17
    assert len(data["hours"]) == 8
    assert len(data["officers"]) == 13
    for item in data["items"].values():
        assert_estimate(item["mean_wait_minutes"])
    for hour in data["hours"].values():
        assert_estimate(hour["mean_wait_minutes"])
    for officer in data["officers"].values():
        assert_estimate(officer["utilisation"])


def test_it_names_the_item_with_the_longest_mean_wait_as_the_worst(capsys):
    data = plan_json(capsys, "run", "benchmark-hall", "--layout", "clusters-chain", *QUICK)
    longest = max(data["items"], key=lambda code: data["items"][code]["mean_wait_minutes"]["mean"])
    assert data["worst_item"]["code"] == longest


def test_it_writes_null_bounds_when_one_replication_gives_no_interval(capsys):
    status, out, _ = plan(capsys, "run", "benchmark-hall", "--days", "1", "--replications", "1", "--json")
    assert status == 0
    data = json.loads(out, parse_constant=lambda name: pytest.fail(f"not strict JSON: {name}"))
    assert data["mean_wait_minutes"]["low"] is None
    assert data["mean_wait_minutes"]["high"] is None
    assert data["mean_wait_minutes"]["mean"] >= 0


def test_it_measures_the_service_level_against_the_within_minutes(capsys):
    strict = plan_json(capsys, "run", "benchmark-hall", "--layout", "clusters-dedicated", "--within", "1", *QUICK)
    loose = plan_json(capsys, "run", "benchmark-hall", "--layout", "clusters-dedicated", "--within", "60", *QUICK)
    assert (strict["within_minutes"], loose["within_minutes"]) == (1, 60)
    assert strict["share_within"]["mean"] < loose["share_within"]["mean"]


def test_it_shortens_the_wait_when_service_is_faster(capsys):
    layout = ["--layout", "clusters-dedicated"]
    normal = plan_json(capsys, "run", "benchmark-hall", *layout, *QUICK)
    halved = plan_json(capsys, "run", "benchmark-hall", *layout, "--service-factor", "0.5", *QUICK)
    assert halved["mean_wait_minutes"]["mean"] < normal["mean_wait_minutes"]["mean"]


def test_it_repeats_a_run_exactly_with_the_same_seed(capsys):
    first = plan_json(capsys, "run", "benchmark-hall", "--seed", "7", *QUICK)
    again = plan_json(capsys, "run", "benchmark-hall", "--seed", "7", *QUICK)
    other = plan_json(capsys, "run", "benchmark-hall", "--seed", "8", *QUICK)
    assert first == again
    assert first["mean_wait_minutes"] != other["mean_wait_minutes"]


def test_it_compares_every_layout_of_the_file_side_by_side(capsys):
    status, out, _ = plan(capsys, "compare", "benchmark-hall", "--days", "1", "--replications", "2")
    assert status == 0
    rows = [line.split()[0] for line in out.splitlines() if line.split() and line.split()[0] in LAYOUTS]
    assert rows[: len(LAYOUTS)] == LAYOUTS


def test_it_compares_only_the_listed_layouts_in_the_given_order(capsys):
    data = plan_json(capsys, "compare", "benchmark-hall", "--layouts", "dedicated-34,pooled-13", *QUICK)
    assert list(data["layouts"]) == ["dedicated-34", "pooled-13"]
    assert_estimate(data["layouts"]["dedicated-34"]["mean_wait_minutes"])


def test_it_gives_every_layout_the_same_random_numbers(tmp_path, capsys):
    data = plan_json(capsys, "compare", str(write(tmp_path, TWIN)), *QUICK)
    before, after = data["layouts"]["before"], data["layouts"]["after"]
    assert before["mean_wait_minutes"] == after["mean_wait_minutes"]
    assert before["arrivals_per_day"] == after["arrivals_per_day"]


def test_it_exits_2_naming_the_file_and_the_key_of_a_bad_scenario(tmp_path, capsys):
    data = copy.deepcopy(TWIN)
    data["items"][1]["daily_volume"] = -5
    path = write(tmp_path, data)
    status, out, err = plan(capsys, "run", str(path))
    assert (status, out) == (2, "")
    assert str(path) in err
    assert "items[1].daily_volume" in err
    assert "Traceback" not in err


def test_it_exits_2_listing_the_layouts_when_the_layout_is_unknown(capsys):
    status, _, err = plan(capsys, "run", "benchmark-hall", "--layout", "pooled-99", *QUICK)
    assert status == 2
    assert "pooled-99" in err
    assert all(name in err for name in LAYOUTS)


def test_it_exits_2_listing_the_layouts_when_a_compared_layout_is_unknown(capsys):
    status, _, err = plan(capsys, "compare", "benchmark-hall", "--layouts", "pooled-13,islands", *QUICK)
    assert status == 2
    assert "islands" in err
    assert all(name in err for name in LAYOUTS)


def test_it_refuses_zero_days_before_simulating(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", "benchmark-hall", "--days", "0"])
    assert caught.value.code == 2
    assert "--days" in capsys.readouterr().err


def run_qgt_without_django_settings(*args):
    """Run quangangtong.cli.main in a fresh interpreter with no DJANGO_SETTINGS_MODULE; fail if Django loads."""
    code = (
        "import sys\n"
        "from quangangtong.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "finally:\n"
        "    assert 'django' not in sys.modules, 'qgt plan imported Django'\n"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60
    )


def test_it_runs_through_qgt_plan_without_django_settings():
    done = run_qgt_without_django_settings("plan", "run", "benchmark-hall", *QUICK, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["layout"] == "pooled-13"


def test_it_exits_2_through_qgt_plan_for_a_bad_file(tmp_path):
    data = yaml.safe_load(BENCHMARK_HALL.read_text(encoding="utf-8"))
    data["items"][0]["service_cv"] = 0
    done = run_qgt_without_django_settings("plan", "run", str(write(tmp_path, data)))
    assert done.returncode == 2
    assert "items[0].service_cv" in done.stderr
    assert "Traceback" not in done.stderr


STAFF_QUICK = ["--days", "1", "--replications", "2", "--workers", "1"]


def test_it_prints_the_staffing_table_with_requirements_rota_and_check(capsys):
    status, out, _ = plan(capsys, "staff", "benchmark-hall", *STAFF_QUICK)
    assert status == 0
    for label in ["人员需求与排班", "15 分钟内叫号 ≥ 80%", "各时段需在岗人数", "排班表", "全天班1", "周五", "在册"]:
        assert label in out


def test_it_passes_the_staffing_target_through_to_the_json(capsys):
    data = plan_json(
        capsys, "staff", "benchmark-hall", "--target", "0.9", "--within", "10", "--max-mean-wait", "3", *STAFF_QUICK
    )
    assert data["target"] == {"share": 0.9, "within_minutes": 10.0, "max_mean_wait_minutes": 3.0}
    assert data["check"]["within_minutes"] == 10.0
    lenient = plan_json(capsys, "staff", "benchmark-hall", "--target", "0.5", "--within", "30", *STAFF_QUICK)
    strict_hours = sum(h["officers"] for h in data["requirements"][0]["hours"])
    lenient_hours = sum(h["officers"] for h in lenient["requirements"][0]["hours"])
    assert strict_hours > lenient_hours


@pytest.mark.parametrize(
    ("option", "value"), [("--target", "1.2"), ("--target", "abc"), ("--max-mean-wait", "0"), ("--days", "0")]
)
def test_it_refuses_a_bad_staffing_option_in_chinese(capsys, option, value):
    with pytest.raises(SystemExit) as caught:
        cli.main(["staff", "benchmark-hall", option, value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert option in err
    assert "应为" in err


def test_it_prints_the_cross_training_table_with_steps_and_warning(capsys):
    status, out, _ = plan(
        capsys, "cross-train", "benchmark-hall", "--layout", "clusters-dedicated", "--k", "1", *STAFF_QUICK
    )
    assert status == 0
    for label in ["交叉培训建议", "技能结构：完全分设", "现状平均等待", "新学类别", "比上一步减少", "注意："]:
        assert label in out


def test_it_prints_cross_training_json_with_the_structure(capsys):
    data = plan_json(capsys, "cross-train", "benchmark-hall", "--layout", "clusters-chain", "--k", "1", *STAFF_QUICK)
    assert (data["layout"], data["structure"], data["warnings"]) == ("clusters-chain", "closed-chain", [])
    assert len(data["steps"]) <= 1
    assert_estimate(data["baseline"]["mean_wait_minutes"])


def test_it_refuses_k_zero_in_chinese(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["cross-train", "benchmark-hall", "--k", "0"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--k" in err
    assert "应为不小于 1 的整数" in err


@pytest.mark.parametrize("command", ["staff", "cross-train"])
def test_it_exits_2_naming_the_key_of_a_bad_scenario_when_planning(tmp_path, capsys, command):
    data = copy.deepcopy(TWIN)
    data["items"][0]["mean_service_minutes"] = 0
    status, out, err = plan(capsys, command, str(write(tmp_path, data)), *STAFF_QUICK)
    assert (status, out) == (2, "")
    assert "items[0].mean_service_minutes" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["staff", "cross-train"])
def test_it_exits_2_listing_the_layouts_when_the_planned_layout_is_unknown(capsys, command):
    status, _, err = plan(capsys, command, "benchmark-hall", "--layout", "islands", *STAFF_QUICK)
    assert status == 2
    assert all(name in err for name in LAYOUTS)
