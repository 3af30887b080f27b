from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quangangtong.notify.errors import NotifyError
from quangangtong.notify.services import notifications_retry

EXAMPLE_CRONTAB = "*/5 * * * *  set -a; . /etc/qgt/qgt.env; /opt/qgt/.venv/bin/qgt manage notify_retry"


class Command(BaseCommand):
    help = (
        "重发短信：把发送失败的短信、以及排队超过10分钟仍未发出的短信再发一次，每条最多发送 --max-attempts 次；"
        "临近叫号提醒超过15分钟、其他短信超过3天不再重发。"
        f"由 cron 定时运行，如：{EXAMPLE_CRONTAB}"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=settings.QGT_NOTIFY_MAX_ATTEMPTS,
            metavar="N",
            help=f"每条短信最多发送几次（含第一次）；默认 QGT_NOTIFY_MAX_ATTEMPTS={settings.QGT_NOTIFY_MAX_ATTEMPTS}",
        )

    def handle(self, *args, max_attempts, **options):
        try:
            outcome = notifications_retry(max_attempts=max_attempts)
        except NotifyError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"重发短信：成功 {outcome.sent} 条，失败 {outcome.failed} 条。")
