"""Excel import and export of the 事项清单: departments, handling modes, service items and their materials.

The workbook is the hall's own editing format: export it, edit it in Excel or WPS, import it back.
Import validates every cell before it writes anything, and writes only what differs.
"""

import io
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import IntegrityError, models, transaction
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from quangangtong.catalog.models import (
    Department,
    HandlingForm,
    Material,
    ModeTag,
    ServiceItem,
    ServiceObject,
)
from quangangtong.hall.models import Site
from quangangtong.ids import IdNumberError, validate_uscc

logger = logging.getLogger(__name__)

SHEET_README = "说明"
SHEET_DEPARTMENTS = "部门"
SHEET_MODES = "办理模式"
SHEET_ITEMS = "事项"
SHEET_MATERIALS = "材料"

LIST_SEPARATOR = "、"
NEARBY_MODE_CODE = "nearby"
MAX_ROWS = 20000

_LIST_SPLIT = re.compile(r"[、,，;；\s]+")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE = {"是", "true", "yes", "y", "1", "√", "✓"}
_FALSE = {"否", "false", "no", "n", "0", "×", "✗"}
# Upper bounds of PositiveSmallIntegerField and PositiveIntegerField on every database Django supports.
_MAX_SMALL = 32767
_MAX_INT = 2147483647
# The JSON list fields hold codes from these code tables.
_CODE_LISTS = {"handling_forms": HandlingForm.choices, "service_objects": ServiceObject.choices}


@dataclass(frozen=True)
class CellError:
    """A problem with one cell (or a missing sheet or column) of an imported workbook."""

    sheet: str
    row: int | None
    column: str
    reason: str

    def __str__(self):
        where = [f"“{self.sheet}”表" if self.sheet else "文件"]
        if self.row:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"“{self.column}”列")
        return f"{' '.join(where)}：{self.reason}"


class CatalogImportError(Exception):
    """The workbook has problems; nothing was written. errors lists every one of them."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self):
        lines = [f"事项清单导入失败，共{len(self.errors)}处错误，系统数据未作任何修改："]
        lines.extend(str(error) for error in self.errors)
        return "\n".join(lines)


@dataclass
class SheetCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self):
        return bool(self.created or self.updated or self.deleted)


@dataclass
class ImportReport:
    """What an import did to each sheet's rows."""

    departments: SheetCounts = field(default_factory=SheetCounts)
    modes: SheetCounts = field(default_factory=SheetCounts)
    items: SheetCounts = field(default_factory=SheetCounts)
    materials: SheetCounts = field(default_factory=SheetCounts)
    items_not_in_workbook: int = 0

    @property
    def changed(self):
        return any(counts.changed for _, counts in self.sheets())

    def sheets(self):
        """Return (sheet name, counts) pairs in workbook order."""
        return [
            (SHEET_DEPARTMENTS, self.departments),
            (SHEET_MODES, self.modes),
            (SHEET_ITEMS, self.items),
            (SHEET_MATERIALS, self.materials),
        ]

    def as_dict(self):
        """Return the report as plain data (for the session)."""
        return {
            "sheets": [
                {
                    "sheet": name,
                    "created": c.created,
                    "updated": c.updated,
                    "unchanged": c.unchanged,
                    "deleted": c.deleted,
                }
                for name, c in self.sheets()
            ],
            "items_not_in_workbook": self.items_not_in_workbook,
        }

    def summary(self):
        parts = []
        for name, c in self.sheets():
            text = f"{name}：新增{c.created}、更新{c.updated}、未变{c.unchanged}"
            if c.deleted:
                text += f"、删除{c.deleted}"
            parts.append(text)
        if self.items_not_in_workbook:
            parts.append(f"表外事项{self.items_not_in_workbook}项保持不变")
        return "；".join(parts)

    def __str__(self):
        return self.summary()


@dataclass(frozen=True)
class Column:
    """How one model field is written to and read from a sheet column."""

    header: str
    attr: str
    kind: str  # text, int, bool, choice, codes, department, modes, sites, item
    required: bool = False
    default: object = None
    max_length: int | None = None
    max_value: int | None = None
    choices: tuple = ()
    slug: bool = False
    unique: bool = False

    @property
    def labels(self):
        return LIST_SEPARATOR.join(label for _, label in self.choices)


def _column_for(model_field):
    """Return the Column describing model_field."""
    f = model_field
    common = {"header": str(f.verbose_name), "attr": f.name}
    if isinstance(f, models.ManyToManyField):
        kind = "modes" if f.related_model is ModeTag else "sites"
        return Column(kind=kind, **common)
    if isinstance(f, models.ForeignKey):
        if f.related_model is Department:
            return Column(kind="department", required=True, attr="department", header=common["header"])
        return Column(
            kind="item",
            required=True,
            attr="item",
            header=str(ServiceItem._meta.get_field("implementation_code").verbose_name),
        )
    has_default = f.has_default()
    default = f.get_default() if has_default else None
    if isinstance(f, models.BooleanField):
        return Column(kind="bool", default=bool(default), **common)
    if isinstance(f, models.PositiveSmallIntegerField | models.PositiveIntegerField | models.IntegerField):
        max_value = (
            _MAX_SMALL if isinstance(f, models.PositiveSmallIntegerField | models.SmallIntegerField) else _MAX_INT
        )
        return Column(kind="int", required=not has_default, default=default, max_value=max_value, **common)
    if isinstance(f, models.JSONField):
        return Column(kind="codes", default=[], choices=tuple(_CODE_LISTS[f.name]), **common)
    required = not f.blank and not has_default
    if f.choices:
        return Column(kind="choice", required=required, default=default or "", choices=tuple(f.choices), **common)
    return Column(
        kind="text",
        required=required,
        default="",
        max_length=f.max_length,
        slug=isinstance(f, models.SlugField),
        unique=f.unique,
        **common,
    )


def _columns_for(model, *, first=()):
    """Return Columns for every editable field of model, the names in first leading, then declaration order."""
    fields = [
        f
        for f in model._meta.get_fields()
        if (f.concrete or f.many_to_many) and not f.auto_created and f.editable and not f.primary_key
    ]
    fields.sort(key=lambda f: (f.name not in first, first.index(f.name) if f.name in first else 0, f.creation_counter))
    return tuple(_column_for(f) for f in fields)


DEPARTMENT_COLUMNS = _columns_for(Department)
MODE_COLUMNS = _columns_for(ModeTag)
ITEM_COLUMNS = _columns_for(ServiceItem)
MATERIAL_COLUMNS = _columns_for(Material, first=("item", "sort_order"))

_SHEETS = (
    (SHEET_DEPARTMENTS, DEPARTMENT_COLUMNS),
    (SHEET_MODES, MODE_COLUMNS),
    (SHEET_ITEMS, ITEM_COLUMNS),
    (SHEET_MATERIALS, MATERIAL_COLUMNS),
)


def _header(model, name):
    return str(model._meta.get_field(name).verbose_name)


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
            _set_cell(cell, value)
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


def _set_cell(cell, value):
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
    item_code = _header(ServiceItem, "implementation_code")
    lines = [
        ("全岗通 事项清单（导出后可在 Excel 或 WPS 中编辑，再在“事项清单导入导出”页面导入）", None),
        ("", None),
        ("工作表", "内容与填写方法"),
        (
            SHEET_DEPARTMENTS,
            f"实施主体（部门），每行一个，按“{_header(Department, 'code')}”匹配：编码已有则更新，没有则新增。",
        ),
        (SHEET_MODES, f"办理模式，每行一个，按“{_header(ModeTag, 'code')}”匹配。编码“{NEARBY_MODE_CODE}”是就近办。"),
        (
            SHEET_ITEMS,
            f"政务服务事项，每行一个，按“{item_code}”匹配。“{_header(ServiceItem, 'department')}”填部门编码；"
            f"“{_header(ServiceItem, 'modes')}”填办理模式名称，多个用“、”分隔；"
            f"“{_header(ServiceItem, 'delegated_sites')}”填站点编码，多个用“、”分隔，含就近办的事项至少填一个；"
            f"“{_header(ServiceItem, 'handling_forms')}”“{_header(ServiceItem, 'service_objects')}”"
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
    for _, columns in _SHEETS:
        for column in columns:
            if column.kind in ("choice", "codes") and column.header not in seen:
                seen.add(column.header)
                lines.append((column.header, "；".join(f"{code} — {label}" for code, label in column.choices)))
    for row, (first, second) in enumerate(lines, start=1):
        _set_cell(sheet.cell(row=row, column=1), first)
        if second is not None:
            _set_cell(sheet.cell(row=row, column=2), second)
            sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=row, column=1).alignment = Alignment(vertical="top")
        if row == 1 or first in ("工作表", "可选值", "列"):
            sheet.cell(row=row, column=1).font = _HEADER_FONT
            sheet.cell(row=row, column=2).font = _HEADER_FONT
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 100


# --- import: reading and checking cells -----------------------------------------------------------


class _CellProblem(Exception):
    pass


@dataclass
class _Row:
    number: int
    values: dict
    raw: dict


def _cell_text(value):
    """Return a cell's value as stripped text with \\n line ends ("" for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _parse(column, value):
    """Return the Python value of a cell for column, or raise _CellProblem with the reason."""
    text = _cell_text(value)
    kind = column.kind
    if kind in ("modes", "sites", "codes"):
        tokens = list(dict.fromkeys(token for token in _LIST_SPLIT.split(text) if token))
        if kind != "codes":
            return tokens
        return [_choice_code(column, token) for token in tokens]
    if not text:
        if column.required:
            raise _CellProblem("必填，不能为空")
        return column.default
    if kind == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise _CellProblem(f"“{text}”应填“是”或“否”")
    if kind == "int":
        if not _INTEGER.match(text.replace(",", "")):
            raise _CellProblem(f"“{text}”不是整数，请填写0或正整数")
        number = int(text.replace(",", ""))
        if number < 0:
            raise _CellProblem(f"不能为负数（当前为{number}）")
        if number > column.max_value:
            raise _CellProblem(f"不能大于{column.max_value}（当前为{number}）")
        return number
    if kind == "choice":
        return _choice_code(column, text)
    if column.max_length and len(text) > column.max_length:
        raise _CellProblem(f"不能超过{column.max_length}个字符（当前{len(text)}个）")
    if column.slug and not _SLUG.match(text):
        raise _CellProblem(f"“{text}”无效：编码只能由英文字母、数字、下划线（_）或连字符（-）组成")
    return text


def _choice_code(column, text):
    """Return the code for a label or code of column's choices."""
    for code, label in column.choices:
        if text in (code, label):
            return code
    for code, _ in column.choices:
        # Excel turns a typed "01" into the number 1 unless the cell is text.
        if text.isdigit() and len(text) < len(code) and text.zfill(len(code)) == code:
            return code
    raise _CellProblem(f"“{text}”不是有效的{column.header}，可填：{column.labels}")


def _read_sheet(workbook, sheet_name, columns, errors):
    """Return the non-blank rows of a sheet with every cell parsed; add problems to errors."""
    if sheet_name not in workbook.sheetnames:
        errors.append(CellError(sheet_name, None, "", f"缺少工作表“{sheet_name}”，请使用导出的事项清单作为模板"))
        return []
    sheet = workbook[sheet_name]
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    positions = {}
    for index, value in enumerate(header):
        text = _cell_text(value)
        if not text:
            continue
        if text in positions:
            errors.append(CellError(sheet_name, 1, text, f"列名重复（第{positions[text] + 1}列也是“{text}”）"))
        else:
            positions[text] = index
    missing = [column.header for column in columns if column.header not in positions]
    for name in missing:
        errors.append(CellError(sheet_name, 1, name, f"缺少列“{name}”，请不要修改第1行的列名"))
    if missing:
        return []
    if sheet.max_row > MAX_ROWS:
        errors.append(CellError(sheet_name, None, "", f"行数超过{MAX_ROWS}行，请删除表格末尾多余的空行"))
        return []
    rows = []
    for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        raw = {c.attr: cells[positions[c.header]] if positions[c.header] < len(cells) else None for c in columns}
        if all(_cell_text(value) == "" for value in raw.values()):
            continue
        values = {}
        for column in columns:
            try:
                values[column.attr] = _parse(column, raw[column.attr])
            except _CellProblem as problem:
                errors.append(CellError(sheet_name, number, column.header, str(problem)))
                values[column.attr] = None
        rows.append(_Row(number, values, {attr: _cell_text(value) for attr, value in raw.items()}))
    return rows


def _check_unique(sheet_name, rows, column, errors):
    """Report rows repeating an earlier row's value of column; return {value: first row}."""
    first = {}
    for row in rows:
        value = row.raw[column.attr]
        if not value:
            continue
        if value in first:
            errors.append(
                CellError(sheet_name, row.number, column.header, f"{column.header}与第{first[value].number}行重复")
            )
        else:
            first[value] = row
    return first


def _column(columns, attr):
    return next(column for column in columns if column.attr == attr)


def _check_unique_against_database(sheet_name, rows, columns, model, key, errors):
    """Report values of unique columns that a database row outside the sheet already uses."""
    sheet_keys = {row.raw[key] for row in rows}
    for column in columns:
        if not column.unique or column.attr == key:
            continue
        wanted = {row.values[column.attr]: row for row in rows if row.values[column.attr]}
        clashes = model.objects.filter(**{f"{column.attr}__in": list(wanted)}).exclude(**{f"{key}__in": sheet_keys})
        for other in clashes:
            row = wanted[getattr(other, column.attr)]
            errors.append(
                CellError(
                    sheet_name,
                    row.number,
                    column.header,
                    f"“{getattr(other, column.attr)}”已被系统中编码为“{getattr(other, key)}”的记录使用",
                )
            )


def _validate_uscc(rows, errors):
    """Check each credit code's form and check character and store it normalised."""
    column = _column(DEPARTMENT_COLUMNS, "uscc")
    for row in rows:
        if not row.values["uscc"]:
            continue
        try:
            row.values["uscc"] = validate_uscc(row.values["uscc"])
        except IdNumberError as exc:
            errors.append(CellError(SHEET_DEPARTMENTS, row.number, column.header, exc.message))
            row.values["uscc"] = None
        row.raw["uscc"] = row.values["uscc"] or row.raw["uscc"]


def _limited(values, limit=12):
    values = list(values)
    text = LIST_SEPARATOR.join(values[:limit])
    return text + ("等" if len(values) > limit else "")


def _validate_references(departments, modes, items, materials, errors):
    """Check the codes and names that rows use to point at other rows or at sites."""
    department_codes = {row.raw["code"] for row in departments}
    department_codes |= set(Department.objects.exclude(code__in=department_codes).values_list("code", flat=True))

    sheet_mode_codes = {row.raw["code"] for row in modes}
    # Final name -> code of every tag once the import is done: the sheet's rows win over the database.
    mode_by_token = {}
    for tag in ModeTag.objects.exclude(code__in=sheet_mode_codes):
        mode_by_token.setdefault(tag.name, tag.code)
        mode_by_token.setdefault(tag.code, tag.code)
    for row in modes:
        mode_by_token[row.raw["name"]] = row.raw["code"]
        mode_by_token.setdefault(row.raw["code"], row.raw["code"])
    mode_names = [row.raw["name"] for row in modes] + list(
        ModeTag.objects.exclude(code__in=sheet_mode_codes).values_list("name", flat=True)
    )
    site_codes = list(Site.objects.values_list("code", flat=True))

    department_column = _column(ITEM_COLUMNS, "department")
    modes_column = _column(ITEM_COLUMNS, "modes")
    sites_column = _column(ITEM_COLUMNS, "delegated_sites")
    for row in items:
        code = row.raw["department"]
        if code and code not in department_codes:
            errors.append(
                CellError(
                    SHEET_ITEMS,
                    row.number,
                    department_column.header,
                    f"部门编码“{code}”在“{SHEET_DEPARTMENTS}”表中不存在",
                )
            )
        tags = row.values["modes"] or []
        for token in tags:
            if token not in mode_by_token:
                errors.append(
                    CellError(
                        SHEET_ITEMS,
                        row.number,
                        modes_column.header,
                        f"办理模式“{token}”在“{SHEET_MODES}”表中不存在，可填：{_limited(mode_names)}",
                    )
                )
        sites = row.values["delegated_sites"] or []
        for token in sites:
            if token not in site_codes:
                errors.append(
                    CellError(
                        SHEET_ITEMS,
                        row.number,
                        sites_column.header,
                        f"站点编码“{token}”不存在，可填：{_limited(site_codes)}（新站点请先在管理后台添加）",
                    )
                )
        nearby = next((token for token in tags if mode_by_token.get(token) == NEARBY_MODE_CODE), None)
        if nearby and not sites:
            errors.append(
                CellError(
                    SHEET_ITEMS,
                    row.number,
                    sites_column.header,
                    f"办理模式含“{nearby}”的事项至少要填一个下沉站点编码",
                )
            )
        row.values["modes"] = [mode_by_token.get(token) for token in tags]

    item_codes = {row.raw["implementation_code"] for row in items}
    item_column = _column(MATERIAL_COLUMNS, "item")
    for row in materials:
        code = row.raw["item"]
        if code and code not in item_codes:
            errors.append(
                CellError(
                    SHEET_MATERIALS,
                    row.number,
                    item_column.header,
                    f"实施编码“{code}”在“{SHEET_ITEMS}”表中不存在",
                )
            )


def _read_workbook(data):
    """Return the parsed rows of the four sheets and every problem found without the database."""
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    try:
        workbook = load_workbook(source, data_only=True)
    except Exception as exc:  # openpyxl raises many types (zip, XML, key errors) on files it cannot read
        logger.info("catalog import: unreadable workbook: %r", exc)
        raise CatalogImportError(
            [CellError("", None, "", "无法读取文件：请上传用 Excel 或 WPS 保存的 .xlsx 文件（不支持 .xls、.csv）")]
        ) from None
    errors = []
    parsed = {name: _read_sheet(workbook, name, columns, errors) for name, columns in _SHEETS}
    _validate_uscc(parsed[SHEET_DEPARTMENTS], errors)
    name_column = _column(MODE_COLUMNS, "name")
    for row in parsed[SHEET_MODES]:
        # Items list their modes by name joined with 、, so a name must not contain a separator.
        if row.values["name"] and _LIST_SPLIT.search(row.values["name"]):
            errors.append(CellError(SHEET_MODES, row.number, name_column.header, "名称不能含空格、顿号、逗号或分号"))
    for name, columns in _SHEETS:
        for column in columns:
            if column.unique:
                _check_unique(name, parsed[name], column, errors)
    return parsed, errors


# --- import: writing ----------------------------------------------------------------------------


def _same(old, new):
    """Return True if a stored value equals an imported one (line ends do not count)."""
    if isinstance(old, str) and isinstance(new, str):
        return old.replace("\r\n", "\n") == new
    return old == new


def _apply(obj, columns, values):
    """Set obj's plain fields from values; return True if any differed."""
    changed = False
    for column in columns:
        if column.kind in ("modes", "sites", "item", "department"):
            continue
        new = values[column.attr]
        if not _same(getattr(obj, column.attr), new):
            setattr(obj, column.attr, new)
            changed = True
    return changed


def _upsert(model, rows, columns, counts):
    """Create or update model rows keyed by code; return {code: object}."""
    existing = model.objects.in_bulk([row.values["code"] for row in rows], field_name="code")
    for row in rows:
        obj = existing.get(row.values["code"])
        if obj is None:
            obj = model()
            _apply(obj, columns, row.values)
            obj.save()
            existing[obj.code] = obj
            counts.created += 1
        elif _apply(obj, columns, row.values):
            obj.save()
            counts.updated += 1
        else:
            counts.unchanged += 1
    return existing


def _write_items(rows, counts):
    """Create or update the items with their department, modes and delegated sites; return {code: item}."""
    departments = {d.code: d for d in Department.objects.all()}
    tags = {t.code: t for t in ModeTag.objects.all()}
    sites = {s.code: s for s in Site.objects.all()}
    existing = {
        item.implementation_code: item
        for item in ServiceItem.objects.filter(
            implementation_code__in=[row.values["implementation_code"] for row in rows]
        ).prefetch_related("modes", "delegated_sites")
    }
    written = {}
    for row in rows:
        values = row.values
        item = existing.get(values["implementation_code"])
        created = item is None
        if created:
            item = ServiceItem()
        department = departments[values["department"]]
        changed = _apply(item, ITEM_COLUMNS, values) or item.department_id != department.id
        item.department = department
        if changed:
            item.save()
        wanted_modes = [tags[code] for code in values["modes"]]
        wanted_sites = [sites[code] for code in values["delegated_sites"]]
        if created or {t.id for t in item.modes.all()} != {t.id for t in wanted_modes}:
            item.modes.set(wanted_modes)
            changed = True
        if created or {s.id for s in item.delegated_sites.all()} != {s.id for s in wanted_sites}:
            item.delegated_sites.set(wanted_sites)
            changed = True
        if created:
            counts.created += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
        written[item.implementation_code] = item
    return written


def _write_materials(rows, items, counts):
    """Make each imported item's materials equal the sheet's rows for it, in order, reusing rows in place."""
    wanted = defaultdict(list)
    for row in rows:
        wanted[row.values["item"]].append(row.values)
    current = defaultdict(list)
    for material in Material.objects.filter(item__in=list(items.values())).order_by("sort_order", "id"):
        current[material.item_id].append(material)
    for code, item in items.items():
        old, new = current[item.id], wanted[code]
        for material, values in zip(old, new, strict=False):
            if _apply(material, MATERIAL_COLUMNS, values):
                material.save()
                counts.updated += 1
            else:
                counts.unchanged += 1
        for values in new[len(old) :]:
            material = Material(item=item)
            _apply(material, MATERIAL_COLUMNS, values)
            material.save()
            counts.created += 1
        surplus = old[len(new) :]
        if surplus:
            Material.objects.filter(id__in=[m.id for m in surplus]).delete()
            counts.deleted += len(surplus)


def catalog_import(*, data, user=None) -> ImportReport:
    """Check a catalogue workbook in full, then write all of it in one transaction or nothing at all."""
    parsed, errors = _read_workbook(data)
    departments = parsed[SHEET_DEPARTMENTS]
    modes = parsed[SHEET_MODES]
    items = parsed[SHEET_ITEMS]
    materials = parsed[SHEET_MATERIALS]
    report = ImportReport()
    try:
        with transaction.atomic():
            _check_unique_against_database(
                SHEET_DEPARTMENTS, departments, DEPARTMENT_COLUMNS, Department, "code", errors
            )
            _check_unique_against_database(SHEET_MODES, modes, MODE_COLUMNS, ModeTag, "code", errors)
            _validate_references(departments, modes, items, materials, errors)
            if errors:
                raise CatalogImportError(sorted(errors, key=_error_order))
            _upsert(Department, departments, DEPARTMENT_COLUMNS, report.departments)
            _upsert(ModeTag, modes, MODE_COLUMNS, report.modes)
            written = _write_items(items, report.items)
            _write_materials(materials, written, report.materials)
            report.items_not_in_workbook = ServiceItem.objects.exclude(implementation_code__in=list(written)).count()
    except IntegrityError as exc:
        # Two rows swapping a unique name in one import can still collide half-way; nothing is kept.
        logger.warning("catalog import: integrity error: %s", exc)
        raise CatalogImportError(
            [
                CellError(
                    "",
                    None,
                    "",
                    f"与系统中已有数据冲突，未作任何修改（{exc}）。请检查名称、统一社会信用代码是否与其他记录重复",
                )
            ]
        ) from None
    logger.info("catalog import by %s: %s", getattr(user, "username", None) or "system", report.summary())
    return report


_SHEET_ORDER = {name: index for index, (name, _) in enumerate(_SHEETS)}


def _error_order(error):
    return (_SHEET_ORDER.get(error.sheet, -1), error.row or 0)
