import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quangangtong.hall.models import Site
from quangangtong.queueing.models import TicketEvent, TicketStatus
from quangangtong.queueing.services import tickets_close_day

UNSERVED = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.HELD, TicketStatus.NO_SHOW)

EXAMPLE_CRONTAB = "30 17 * * *  set -a; . /etc/qgt/qgt.env; /opt/qgt/.venv/bin/qgt manage queue_close_day"


class Command(BaseCommand):
    help = (
        "日终清号：把到了停止取号时间的站点的未办理排队票（等候、已叫号、挂起、过号）关闭，每张记一条“日终关闭”；"
        "正在办理的票不动，留待办结。未到停止取号时间的站点跳过。"
        f"由 cron 在停止取号时间运行，如：{EXAMPLE_CRONTAB}"
        "（各站点停止取号时间不同时，可每 10 分钟运行一次：*/10 * * * *，重复运行不会重复关闭）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--site", metavar="CODE", help="只处理这个站点（站点编码，如 qjq-hall）；默认所有站点")
        parser.add_argument(
            "--at", metavar="HH:MM", help="按今天这个时刻清号并记入时间线（如 cron 延误后补跑）；默认现在，不能晚于现在"
        )

    def handle(self, *args, site=None, at=None, **options):
        now = timezone.now()
        moment = self._moment(at, now) if at else now
        sites = Site.objects.all()
        if site:
            sites = sites.filter(code=site)
            if not sites:
                known = "、".join(Site.objects.values_list("code", flat=True)) or "无"
                raise CommandError(f"站点“{site}”不存在；现有站点编码：{known}")
        local = timezone.localtime(moment)
        due = [each for each in sites if local.time() >= each.closing_time]
        if at:
            # A closure recorded before a later step of the same ticket would put its timeline out of order.
            later = TicketEvent.objects.filter(ticket__site__in=due, ticket__status__in=UNSERVED, at__gt=moment)
            if later.exists():
                raise CommandError(f"{at} 之后还有未办理的排队票有过操作，不能按 {at} 清号；请不带 --at 运行")
        total = 0
        for each in sites:
            if each not in due:
                self.stdout.write(f"{each.name}（{each.code}）：未到停止取号时间 {each.closing_time:%H:%M}，跳过")
                continue
            closed = tickets_close_day(site=each, now=moment)
            total += closed
            self.stdout.write(f"{each.name}（{each.code}）：关闭未办理的排队票 {closed} 张")
        self.stdout.write(f"合计关闭 {total} 张（{local:%Y-%m-%d %H:%M}）。")

    def _moment(self, at, now):
        try:
            clock = datetime.datetime.strptime(at, "%H:%M").time()
        except ValueError:
            raise CommandError(f"--at “{at}”格式不对，应为 HH:MM，如 17:30") from None
        moment = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), clock))
        if moment > now:
            raise CommandError(f"--at {at} 晚于现在（{timezone.localtime(now):%H:%M}），不能提前记录清号时间")
        return moment
