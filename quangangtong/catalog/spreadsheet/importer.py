"""Read a workbook, check every cell, and write the catalogue only when nothing is wrong."""

import io
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from quangangtong.catalog.models import (
    CatalogImport,
    Department,
    Material,
    ModeTag,
    ServiceItem,
)
from quangangtong.catalog.rules import item_problems
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
    SHEETS,
    CatalogImportError,
    CellError,
    ImportReport,
)
from quangangtong.hall.models import Site
from quangangtong.ids import IdNumberError, validate_uscc

logger = logging.getLogger(__name__)

_LIST_SPLIT = re.compile(r"[、,，;；\s]+")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE = {"是", "true", "yes", "y", "1", "√", "✓"}
_FALSE = {"否", "false", "no", "n", "0", "×", "✗"}

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
        mode_codes = {mode_by_token.get(token) for token in tags}
        for field_name, reason in item_problems(values=row.values, mode_codes=mode_codes, site_count=len(sites)):
            errors.append(CellError(SHEET_ITEMS, row.number, _column(ITEM_COLUMNS, field_name).header, reason))
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
    parsed = {name: _read_sheet(workbook, name, columns, errors) for name, columns in SHEETS}
    _validate_uscc(parsed[SHEET_DEPARTMENTS], errors)
    name_column = _column(MODE_COLUMNS, "name")
    for row in parsed[SHEET_MODES]:
        # Items list their modes by name joined with 、, so a name must not contain a separator.
        if row.values["name"] and _LIST_SPLIT.search(row.values["name"]):
            errors.append(CellError(SHEET_MODES, row.number, name_column.header, "名称不能含空格、顿号、逗号或分号"))
    for name, columns in SHEETS:
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


def catalog_import(*, data, user=None, file_name="") -> ImportReport:
    """Check a catalogue workbook in full, then write all of it in one transaction or nothing at all.

    A successful import is recorded as a CatalogImport row holding the workbook itself.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        data = data.read()
    parsed, errors = _read_workbook(bytes(data))
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
            CatalogImport.objects.create(
                imported_by=user,
                file_name=file_name[:200],
                workbook=ContentFile(bytes(data), name="catalog.xlsx"),
                report=report.as_dict(),
                summary=report.summary()[:500],
                changed=report.changed,
            )
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


_SHEET_ORDER = {name: index for index, (name, _) in enumerate(SHEETS)}


def _error_order(error):
    return (_SHEET_ORDER.get(error.sheet, -1), error.row or 0)
