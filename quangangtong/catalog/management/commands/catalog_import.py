from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quangangtong.catalog.spreadsheet import CatalogImportError, catalog_import


class Command(BaseCommand):
    help = "从 .xlsx 工作簿导入事项清单；有任何错误则列出全部错误，不修改数据。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="要导入的 .xlsx 文件路径（用 catalog_export 导出的格式）")

    def handle(self, *args, path, **options):
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc}") from None
        try:
            report = catalog_import(data=data, file_name=Path(path).name)
        except CatalogImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"导入失败：共{len(exc.errors)}处错误，数据未作任何修改。") from None
        for sheet, counts in report.sheets():
            line = f"{sheet}：新增{counts.created}，更新{counts.updated}，未变{counts.unchanged}"
            if counts.deleted:
                line += f"，删除{counts.deleted}"
            self.stdout.write(line)
        if report.items_not_in_workbook:
            self.stdout.write(f"工作簿中没有的事项{report.items_not_in_workbook}项保持不变。")
        self.stdout.write(self.style.SUCCESS("导入完成。" if report.changed else "导入完成，数据没有变化。"))
