"""`qgt demo` and `qgt serve` really start and answer, on a fresh data directory."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from quangangtong.env import env_bool, env_int, env_list


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url, process, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@contextlib.contextmanager
def _running(args, env, url):
    """Start qgt with args, wait until url answers, yield (status, body), then stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "quangangtong.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield _wait_for(url, process)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QGT_", "DJANGO_"))}
    return {**env, "QGT_DATA_DIR": str(tmp_path / "var"), **extra}


def test_qgt_demo_migrates_loads_and_serves(tmp_path):
    port = _free_port()
    with _running(["demo", "--port", str(port)], _clean_env(tmp_path), f"http://127.0.0.1:{port}/") as (status, body):
        assert status == 200
    assert "196" in body
    assert (tmp_path / "var" / "qgt.sqlite3").exists()


def test_qgt_serve_runs_production_settings(tmp_path):
    port = _free_port()
    env = _clean_env(
        tmp_path,
        QGT_SECRET_KEY="x" * 60,
        QGT_ALLOWED_HOSTS="127.0.0.1",
        QGT_SECURE_COOKIES="0",
        QGT_WORKERS="1",
    )
    with _running(["serve", "--port", str(port)], env, f"http://127.0.0.1:{port}/api/v1/sites") as (status, body):
        assert status == 200
        assert body == "[]"
        css_status, css = _fetch_stylesheet(port)
    assert css_status == 200
    assert "全岗通" in css


def _fetch_stylesheet(port):
    # The stylesheet is served by the application itself (whitenoise), under a hashed name in production.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/guide/modes/", timeout=5) as response:
        page = response.read().decode()
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{href}", timeout=5) as response:
        return response.status, response.read().decode()


def test_qgt_serve_refuses_to_start_without_a_secret_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "quangangtong.cli", "serve"],
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "QGT_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "2", "yess"])
def test_env_bool_fails_loudly(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("QGT_X", value)
    with pytest.raises(ImproperlyConfigured, match="QGT_X"):
        env_bool("QGT_X")


def test_env_helpers_read_values(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("QGT_B", "Yes")
    monkeypatch.setenv("QGT_I", "12")
    monkeypatch.setenv("QGT_L", "a.example, b.example,")
    assert env_bool("QGT_B") is True
    assert env_int("QGT_I", 0) == 12
    assert env_list("QGT_L") == ["a.example", "b.example"]
    monkeypatch.setenv("QGT_I", "twelve")
    with pytest.raises(ImproperlyConfigured, match="QGT_I"):
        env_int("QGT_I", 0)


def test_a_bad_database_url_fails_loudly(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "quangangtong.cli", "manage", "check"],
        env=_clean_env(tmp_path, QGT_DEBUG="1", QGT_DATABASE_URL="nosuchdb://x"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "QGT_DATABASE_URL" in result.stderr


# --- qgt plan calibrate: reads the database, unlike the rest of qgt plan --------------------------------------


def _calibrate(capsys, *args):
    from quangangtong.cli import main

    try:
        main(["plan", "calibrate", *args])
        code = 0
    except SystemExit as exited:
        code = exited.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plan_calibrate_writes_a_scenario_file_the_planner_loads(db, tmp_path, capsys):
    from quangangtong.planning.scenario import scenario_load
    from tests.queueing.test_calibration import UNTIL, build_hall

    build_hall()
    output = tmp_path / "hall.yaml"
    code, out, err = _calibrate(
        capsys, "--site", "test-hall", "--weeks", "2", "--until", f"{UNTIL:%Y-%m-%d}", "--output", str(output)
    )
    assert code == 0, err
    assert out == ""
    assert str(output) in err
    assert scenario_load(output).layout == "calibrated"
    assert "取号 241 张" in output.read_text(encoding="utf-8")


def test_plan_calibrate_prints_to_stdout_without_output(db, capsys):
    from tests.queueing.test_calibration import UNTIL, build_hall

    build_hall()
    code, out, _ = _calibrate(capsys, "--site", "test-hall", "--weeks", "2", "--until", f"{UNTIL:%Y-%m-%d}")
    assert code == 0
    assert out.startswith("# 测试大厅（test-hall）")
    assert "\nlayouts:\n  calibrated:\n" in out


@pytest.mark.parametrize(
    ("args", "option", "reason"),
    [
        (["--weeks", "2"], "--site", "请填写站点编码"),
        (["--site", "nowhere"], "--site", "没有编码为“nowhere”的站点"),
        (["--site", "test-hall", "--weeks", "0"], "--weeks", "不小于 1"),
        (["--site", "test-hall", "--weeks", "eight"], "--weeks", "不小于 1 的整数"),
        (["--site", "test-hall", "--until", "2026-02-30"], "--until", "YYYY-MM-DD"),
        (["--site", "test-hall", "--until", "2999-01-01"], "--until", "晚于今天"),
        (["--site", "test-hall", "--weeks", "1", "--until", "2026-01-09"], "--weeks", "没有取号记录"),
    ],
)
def test_plan_calibrate_refuses_bad_options_with_exit_2_and_writes_nothing(db, tmp_path, capsys, args, option, reason):
    from tests.queueing.test_calibration import build_hall

    build_hall()
    output = tmp_path / "hall.yaml"
    code, out, err = _calibrate(capsys, *args, "--output", str(output))
    assert code == 2
    assert f"{option}：" in err
    assert reason in err
    assert out == ""
    assert not output.exists()
