"""The workbook's sheets and columns, derived from the catalogue models, and the import report."""

from dataclasses import dataclass, field

from django.db import models

from quangangtong.catalog.models import (
    Department,
    HandlingForm,
    Material,
    ModeTag,
    ServiceItem,
    ServiceObject,
)

SHEET_README = "说明"
SHEET_DEPARTMENTS = "部门"
SHEET_MODES = "办理模式"
SHEET_ITEMS = "事项"
SHEET_MATERIALS = "材料"

LIST_SEPARATOR = "、"
MAX_ROWS = 20000

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
        """Return the report as plain data (kept on the CatalogImport row)."""
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

SHEETS = (
    (SHEET_DEPARTMENTS, DEPARTMENT_COLUMNS),
    (SHEET_MODES, MODE_COLUMNS),
    (SHEET_ITEMS, ITEM_COLUMNS),
    (SHEET_MATERIALS, MATERIAL_COLUMNS),
)


def field_header(model, name):
    return str(model._meta.get_field(name).verbose_name)
