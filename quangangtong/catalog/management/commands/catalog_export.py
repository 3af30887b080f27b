from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quangangtong.catalog.models import Department, Material, ModeTag, ServiceItem
from quangangtong.catalog.spreadsheet import catalog_export_bytes


class Command(BaseCommand):
    help = "把事项清单（部门、办理模式、事项、材料）导出为 .xlsx 工作簿。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="要写入的 .xlsx 文件路径")

    def handle(self, *args, path, **options):
        target = Path(path)
        if target.suffix.lower() != ".xlsx":
            raise CommandError(f"文件名应以 .xlsx 结尾：{path}")
        try:
            target.write_bytes(catalog_export_bytes())
        except OSError as exc:
            raise CommandError(f"无法写入 {path}：{exc}") from None
        self.stdout.write(
            f"已导出到 {target}：部门{Department.objects.count()}个，办理模式{ModeTag.objects.count()}个，"
            f"事项{ServiceItem.objects.count()}项，材料{Material.objects.count()}条。"
        )
