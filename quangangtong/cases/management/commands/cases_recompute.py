import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quangangtong.cases.clocks import WarningLevel
from quangangtong.cases.services import cases_recompute

EXAMPLE_CRONTAB = "5 0 * * *  set -a; . /etc/qgt/qgt.env; /opt/qgt/.venv/bin/qgt manage cases_recompute"


class Command(BaseCommand):
    help = (
        "夜间重算办件时限：按工作日历重算每个在办办件的法定、承诺办结日期、剩余工作日和预警颜色（绿、黄、红），"
        "环节超时的标黄；补正期限已过仍未补正的按“补正不来办结”结束，容缺材料逾期未补的“终止”办理；"
        "收件后五个工作日内既未一次性告知补正也未受理的，依行政许可法第三十二条自收件之日起视为受理（列入督办）。"
        "颜色变化和每项结束都记入办件记录。同一天重复运行不会重复记录。"
        f"由 cron 每天凌晨运行，如：{EXAMPLE_CRONTAB}"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", metavar="YYYY-MM-DD", help="按这一天计算（如 cron 漏跑后补算）；默认今天，不能晚于今天"
        )

    def handle(self, *args, date=None, **options):
        today = timezone.localdate()
        day = self._day(date, today) if date else today
        summary = cases_recompute(today=day)
        colours = "，".join(f"{level.label}{summary.by_warning.get(level.value, 0)}件" for level in WarningLevel)
        self.stdout.write(f"{day:%Y-%m-%d}：检查在办办件 {summary.checked} 件；计时中：{colours}。")
        self.stdout.write(
            f"预警颜色变化 {summary.warnings_changed} 件，环节超时 {summary.step_overruns} 件，"
            f"容缺逾期终止 {summary.terminated} 件，补正不来办结 {summary.abandoned} 件，"
            f"逾期未告知视为受理 {summary.accepted_by_law} 件。"
        )

    def _day(self, text, today):
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"--date “{text}”格式不对，应为 YYYY-MM-DD，如 2026-10-13") from None
        if day > today:
            raise CommandError(f"--date {text} 晚于今天（{today:%Y-%m-%d}），不能提前计算")
        return day
