"""Write the catalogue to a workbook."""

import io
from collections import defaultdict

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from quangangtong.catalog.models import (
    Department,
    Material,
    ModeTag,
    ServiceItem,
)
from quangangtong.catalog.rules import NEARBY_MODE_CODE
from quangangtong.catalog.spreadsheet.columns import (
    DEPARTMENT_COLUMNS,
    ITEM_COLUMNS,
    LIST_SEPARATOR,
    MATERIAL_COLUMNS,
    MAX_ROWS,
    MODE_COLUMNS,
    SHEET_DEPARTMENTS,
    SHEET_ITEMS,
    SHEET_MATERIALS,
    SHEET_MODES,
    SHEET_README,
    SHEETS,
    field_header,
)

# --- export -------------------------------------------------------------------------------------


def catalog_export_workbook() -> Workbook:
    """Return the whole catalogue as a workbook: 说明, 部门, 办理模式, 事项, 材料."""
    workbook = Workbook()
    workbook.properties.creator = "全岗通"
    workbook.properties.title = "事项清单"
    _write_readme(workbook.active)

    departments = list(Department.objects.all())
    modes = list(ModeTag.objects.all())
    items = list(ServiceItem.objects.select_related("department").prefetch_related("modes", "delegated_sites"))
    materials_by_item = defaultdict(list)
    for material in Material.objects.order_by("sort_order", "id"):
        materials_by_item[material.item_id].append(material)
    codes = {item.id: item.implementation_code for item in items}
    materials = [m for item in items for m in materials_by_item[item.id]]

    _write_sheet(workbook.create_sheet(SHEET_DEPARTMENTS), DEPARTMENT_COLUMNS, departments, codes)
    _write_sheet(workbook.create_sheet(SHEET_MODES), MODE_COLUMNS, modes, codes)
    _write_sheet(workbook.create_sheet(SHEET_ITEMS), ITEM_COLUMNS, items, codes)
    _write_sheet(workbook.create_sheet(SHEET_MATERIALS), MATERIAL_COLUMNS, materials, codes)
    return workbook


def catalog_export_bytes() -> bytes:
    """Return the catalogue workbook as .xlsx bytes."""
    buffer = io.BytesIO()
    catalog_export_workbook().save(buffer)
    return buffer.getvalue()


def _export_value(column, obj, item_codes):
    """Return the cell value of column for obj."""
    if column.kind == "department":
        return obj.department.code
    if column.kind == "item":
        return item_codes[obj.item_id]
    if column.kind == "modes":
        return LIST_SEPARATOR.join(tag.name for tag in obj.modes.all())
    if column.kind == "sites":
        return LIST_SEPARATOR.join(site.code for site in obj.delegated_sites.all())
    value = getattr(obj, column.attr)
    if column.kind == "bool":
        return "是" if value else "否"
    if column.kind == "int":
        return value
    if column.kind == "choice":
        return dict(column.choices).get(value, value)
    if column.kind == "codes":
        return LIST_SEPARATOR.join(str(code) for code in value or [])
    return value


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F0F0F0")
_HEADER_ALIGNMENT = Alignment(vertical="center")
_TEXT_FORMAT = "@"


def _write_sheet(sheet, columns, objects, item_codes):
    """Write a header row and one row per object, with codes kept as text."""
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGNMENT
    widths = [_display_width(column.header) for column in columns]
    for row, obj in enumerate(objects, start=2):
        for index, column in enumerate(columns, start=1):
            value = _export_value(column, obj, item_codes)
            cell = sheet.cell(row=row, column=index)
            set_text_cell(cell, value)
            if row < 300 and isinstance(value, str):
                widths[index - 1] = max(widths[index - 1], _display_width(value))
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = min(max(widths[index - 1] + 2, 8), 60)
        if column.kind != "int":
            # New rows typed under a text column stay text, so "00" is not turned into 0.
            dimension.number_format = _TEXT_FORMAT
        if column.kind in ("choice", "bool"):
            options = ["是", "否"] if column.kind == "bool" else [label for _, label in column.choices]
            validation = DataValidation(
                type="list", formula1=f'"{",".join(options)}"', allow_blank=True, showErrorMessage=False
            )
            validation.add(f"{letter}2:{letter}{MAX_ROWS}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(objects) + 1, 2)}"


def set_text_cell(cell, value):
    """Put value in cell; strings always as text, never as a number or a formula."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
        cell.number_format = _TEXT_FORMAT
    else:
        cell.value = value


def _display_width(text):
    """Return the width of the longest line of text in Excel columns (CJK characters count double)."""
    lines = str(text).splitlines() or [""]
    return max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in lines)


def _write_readme(sheet):
    """Fill the 说明 sheet: what each sheet holds, how to edit it, and the allowed values."""
    sheet.title = SHEET_README
    item_code = field_header(ServiceItem, "implementation_code")
    lines = [
        ("全岗通 事项清单（导出后可在 Excel 或 WPS 中编辑，再在“事项清单导入导出”页面导入）", None),
        ("", None),
        ("工作表", "内容与填写方法"),
        (
            SHEET_DEPARTMENTS,
            f"实施主体（部门），每行一个，按“{field_header(Department, 'code')}”匹配：编码已有则更新，没有则新增。",
        ),
        (
            SHEET_MODES,
            f"办理模式，每行一个，按“{field_header(ModeTag, 'code')}”匹配。编码“{NEARBY_MODE_CODE}”是就近办。",
        ),
        (
            SHEET_ITEMS,
            f"政务服务事项，每行一个，按“{item_code}”匹配。“{field_header(ServiceItem, 'department')}”填部门编码；"
            f"“{field_header(ServiceItem, 'modes')}”填办理模式名称，多个用“、”分隔；"
            f"“{field_header(ServiceItem, 'delegated_sites')}”填站点编码，多个用“、”分隔，含就近办的事项至少填一个；"
            f"“{field_header(ServiceItem, 'handling_forms')}”“{field_header(ServiceItem, 'service_objects')}”"
            "填代码或名称，多个用“、”分隔；是否类的列填“是”或“否”。",
        ),
        (
            SHEET_MATERIALS,
            f"申请材料，每行一个，第一列填所属事项的{item_code}。导入时，“{SHEET_ITEMS}”表中每个事项的材料"
            f"整体替换为本表中属于它的行（本表没有行的事项，材料将被清空）。",
        ),
        ("", None),
        ("注意", "不要修改第1行的列名，不要改工作表名；可以增删行、调整行的顺序。"),
        ("", "编码类的列（实施编码、部门编码等）按文本保存，“00”“0101”之类请勿改成数字格式。"),
        ("", "工作簿中没有的部门、办理模式、事项不会被删除；要停用事项，请把“在用”改为“否”。"),
        ("", "导入前会检查全部单元格，只要有一处错误就不写入任何数据，并列出每一处错误的位置与原因。"),
        ("", "单选类的列可填名称（如“行政许可”）或代码（如“01”）；导出时写名称。"),
        ("", None),
        ("可选值", None),
        ("列", "代码 — 名称"),
    ]
    seen = set()
    for _, columns in SHEETS:
        for column in columns:
            if column.kind in ("choice", "codes") and column.header not in seen:
                seen.add(column.header)
                lines.append((column.header, "；".join(f"{code} — {label}" for code, label in column.choices)))
    for row, (first, second) in enumerate(lines, start=1):
        set_text_cell(sheet.cell(row=row, column=1), first)
        if second is not None:
            set_text_cell(sheet.cell(row=row, column=2), second)
            sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=row, column=1).alignment = Alignment(vertical="top")
        if row == 1 or first in ("工作表", "可选值", "列"):
            sheet.cell(row=row, column=1).font = _HEADER_FONT
            sheet.cell(row=row, column=2).font = _HEADER_FONT
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 100
