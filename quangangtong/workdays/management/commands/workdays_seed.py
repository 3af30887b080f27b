from django.core.management.base import BaseCommand

from quangangtong.workdays.services import calendar_seed_from_package


class Command(BaseCommand):
    help = "从 chinese_calendar 软件包补齐工作日历（升级软件包后运行；手工录入的日期保留不动）。"

    def handle(self, *args, **options):
        result = calendar_seed_from_package()
        years = "、".join(str(y) for y in result.years_added) or "无"
        self.stdout.write(
            f"新增年度：{years}；新增 {result.days_added} 天，"
            f"修改 {result.days_changed} 天，删除 {result.days_removed} 天。"
        )
        for conflict in result.conflicts:
            self.stdout.write(self.style.WARNING(f"请核对：{conflict}"))
