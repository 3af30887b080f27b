"""The `qgt` command: run the demo hall, serve in production, and Django's management commands."""

import argparse
import datetime
import os
import secrets
import sys
from pathlib import Path


def _data_dir():
    path = Path(os.environ.get("QGT_DATA_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _setup(settings_module="quangangtong.settings"):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def _demo_secret_key(data_dir):
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="ascii")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="ascii").strip()


def _print_accounts():
    from quangangtong.demo.loader import DEMO_ACCOUNTS, DEMO_PASSWORD

    print(f"\n演示账号（密码均为 {DEMO_PASSWORD}）/ demo accounts (password {DEMO_PASSWORD}):")
    for username, full_name, roles in DEMO_ACCOUNTS:
        print(f"  {username:<13} {full_name:<10} {'、'.join(role.label for role in roles)}")


def _migrate_and_load():
    from django.core.management import call_command

    from quangangtong.catalog.models import ServiceItem
    from quangangtong.demo.cases import demo_cases_load
    from quangangtong.demo.loader import demo_load

    call_command("migrate", interactive=False, verbosity=0)
    if not ServiceItem.objects.exists():
        count = demo_load()
        print(f"已载入演示大厅：{count} 个事项。")
        cases = demo_cases_load()
        print(f"已载入演示办件：{cases} 件（受理、补正、审批中、待领取、已寄出、已送达）。")


def cmd_demo(args):
    data_dir = _data_dir()
    os.environ.setdefault("QGT_DEBUG", "1")
    os.environ.setdefault("QGT_SECRET_KEY", _demo_secret_key(data_dir))
    _setup()
    _migrate_and_load()
    _print_accounts()
    from django.core.management import call_command

    print(f"\n全岗通演示大厅：http://{args.host}:{args.port}/   （Ctrl+C 停止）\n")
    call_command("runserver", f"{args.host}:{args.port}", use_reloader=False, use_threading=True)


def cmd_load_demo(args):
    _data_dir()
    _setup()
    from quangangtong.demo.loader import demo_load

    count = demo_load(with_accounts=not args.no_accounts)
    print(f"已载入演示数据：{count} 个事项。")
    if not args.no_accounts:
        _print_accounts()


def cmd_serve(args):
    _data_dir()
    # Under ASGI each request runs its database work in a thread of its own, so a connection kept open
    # for reuse would be left behind by every request (Django's advice: no persistent connections there).
    os.environ.setdefault("QGT_DB_CONN_MAX_AGE", "0")
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    import uvicorn

    # ASGI, so that each hall display's open event stream costs a queue, not a thread.
    uvicorn.run(
        "quangangtong.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        lifespan="off",
        ws="none",
        backlog=4096,
        proxy_headers=settings.SECURE_PROXY_SSL_HEADER is not None,
        # Open event streams would hold a stopping worker for up to their full length.
        timeout_graceful_shutdown=5,
    )


def cmd_token(args):
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["qgt token", "token", *args.rest])


def cmd_manage(args):
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["qgt manage", *args.rest])


def cmd_plan(args):
    if args.rest[:1] == ["calibrate"]:
        return cmd_plan_calibrate(args.rest[1:])
    # The rest of the planner is pure Python: no Django setup, so it runs without settings or a database.
    from quangangtong.planning.cli import main as plan_main

    status = plan_main(args.rest)
    if status:
        raise SystemExit(status)


def _plan_calibrate_fail(option, reason):
    print(f"qgt plan calibrate：{option}：{reason}", file=sys.stderr)
    raise SystemExit(2)


def cmd_plan_calibrate(rest):
    """`qgt plan calibrate`: the one planner command that reads the database (the site's ticket timeline)."""
    parser = argparse.ArgumentParser(
        prog="qgt plan calibrate",
        description="按站点的取号记录（到达、办理时长、过号）生成可编辑的产能规划场景文件",
    )
    parser.add_argument("--site", help="站点编码，如 qjq-hall（必填）")
    parser.add_argument("--weeks", default="8", help="统计截止日期前的周数（默认 8）")
    parser.add_argument("--until", help="统计截止日期 YYYY-MM-DD（含当天；默认昨天）")
    parser.add_argument("--output", help="写入的场景文件（默认输出到屏幕）")
    args = parser.parse_args(rest)
    if not args.site:
        _plan_calibrate_fail("--site", "请填写站点编码，如 --site qjq-hall")
    try:
        weeks = int(args.weeks)
    except ValueError:
        _plan_calibrate_fail("--weeks", f"应为不小于 1 的整数，收到 {args.weeks!r}")
    until = None
    if args.until is not None:
        try:
            until = datetime.date.fromisoformat(args.until)
        except ValueError:
            _plan_calibrate_fail("--until", f"应为 YYYY-MM-DD 格式的日期，如 2026-03-31，收到 {args.until!r}")
    output = Path(args.output) if args.output else None
    if output is not None and not output.parent.is_dir():
        _plan_calibrate_fail("--output", f"目录 {output.parent} 不存在，请先建立或换一个路径")
    _data_dir()
    _setup()
    from django.db import DatabaseError

    from quangangtong.queueing.calibration import CalibrationError, calibration_run, calibration_yaml

    try:
        text = calibration_yaml(calibration_run(site=args.site, weeks=weeks, until=until))
    except CalibrationError as error:
        _plan_calibrate_fail(f"--{error.field}", error.reason)
    except DatabaseError as error:
        print(f"qgt plan calibrate：无法读取数据库（是否已执行 qgt manage migrate？）：{error}", file=sys.stderr)
        raise SystemExit(1) from error
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        _plan_calibrate_fail("--output", f"无法写入 {output}：{error.strerror or error}")
    print(f"已写入 {output}", file=sys.stderr)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["plan"]:
        # Straight to the planner's own parser: argparse's REMAINDER would drop a leading option like --help.
        return cmd_plan(argparse.Namespace(rest=argv[1:]))
    parser = argparse.ArgumentParser(prog="qgt", description="全岗通：政务服务大厅综合窗口系统")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="迁移数据库、载入演示大厅（数据库为空时）并启动演示服务")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--host", default="127.0.0.1")
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser("serve", help="生产模式运行（配置从环境变量读取，见 .env.example）")
    serve.add_argument("--port", type=int, default=int(os.environ.get("QGT_PORT", "8000")))
    serve.add_argument("--host", default=os.environ.get("QGT_HOST", "127.0.0.1"))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("QGT_WORKERS", "3")))
    serve.add_argument("--no-migrate", action="store_true", help="启动前不执行数据库迁移")
    serve.set_defaults(func=cmd_serve)

    load = commands.add_parser("load-demo", help="载入（或更新）演示事项清单和演示账号")
    load.add_argument("--no-accounts", action="store_true", help="只载入事项清单，不建演示账号")
    load.set_defaults(func=cmd_load_demo)

    token = commands.add_parser(
        "token",
        help="为人员或取号机生成接口令牌：qgt token 用户名 | qgt token --kiosk 站点编码 --name 名称",
        add_help=False,
    )
    token.add_argument("rest", nargs=argparse.REMAINDER)
    token.set_defaults(func=cmd_token)

    manage = commands.add_parser("manage", help="Django 管理命令，如 qgt manage migrate", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    plan = commands.add_parser(
        "plan",
        help="产能规划：qgt plan run|compare benchmark-hall（无需数据库），qgt plan calibrate --site 站点编码"
        "（按取号记录校准），详见 qgt plan --help",
        add_help=False,
    )
    plan.add_argument("rest", nargs=argparse.REMAINDER)
    plan.set_defaults(func=cmd_plan)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
