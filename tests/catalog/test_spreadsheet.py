"""Excel export and import of the 事项清单."""

import io

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from quangangtong.catalog.models import (
    CaseType,
    Department,
    ItemType,
    LimitUnit,
    Material,
    MaterialSource,
    MaterialType,
    ModeTag,
    ServiceItem,
)
from quangangtong.catalog.spreadsheet import (
    CatalogImportError,
    CellError,
    catalog_export_bytes,
    catalog_export_workbook,
    catalog_import,
)
from quangangtong.hall.models import Level, Site
from quangangtong.ids import uscc_check_char
from quangangtong.ids.uscc import ALPHABET

pytestmark = pytest.mark.django_db

USCC_A = "11330100MB1234567" + uscc_check_char("11330100MB1234567")
USCC_B = "12330100MB0000001" + uscc_check_char("12330100MB0000001")
TAGS = [
    ("onsite", "现场前置"),
    ("immediate", "马上办"),
    ("online", "网上办"),
    ("nearby", "就近办"),
    ("contactless", "不见面"),
    ("once", "跑一次"),
]


def build_catalogue():
    """Create 2 departments, 6 mode tags, 3 sites and 4 items with materials; return the items by code."""
    hall = Site.objects.create(code="hall", name="区政务服务大厅", level=Level.COUNTY)
    east = Site.objects.create(code="st-east", name="东港社区服务站", level=Level.COMMUNITY, parent=hall)
    Site.objects.create(code="st-west", name="西湖社区服务站", level=Level.COMMUNITY, parent=hall, sort_order=1)
    tags = {
        code: ModeTag.objects.create(code=code, name=name, description=f"{name}的说明", sort_order=order)
        for order, (code, name) in enumerate(TAGS)
    }
    police = Department.objects.create(
        code="police", name="区公安分局", short_name="公安", uscc=USCC_A, phone="0571-110", sort_order=1
    )
    hrss = Department.objects.create(
        code="hrss", name="区人力资源和社会保障局", short_name="人社", uscc=USCC_B, nature="2", sort_order=2
    )
    common = {
        "setting_basis": "《中华人民共和国居民身份证法》第八条",
        "acceptance_conditions": "本区户籍居民",
        "procedure": "受理\n审核\n办结",
        "location": "区政务服务大厅一楼",
        "hours": "工作日 9:00-17:00",
        "consult_phone": "0571-12345",
        "supervise_phone": "0571-12345",
        "legal_limit_unit": LimitUnit.WORKING_DAY,
        "promised_limit_unit": LimitUnit.WORKING_DAY,
    }
    specs = [
        # (code, name, department, item_type, case_type, promised_limit, tags, sites)
        ("00012345678901234567890", "居民身份证申领", police, ItemType.PUBLIC_SERVICE, CaseType.PROMISED, 7,
         ["onsite", "once"], []),
        ("330100-JD-0001", "临时身份证办理", police, ItemType.POWER, CaseType.IMMEDIATE, 0, ["immediate"], []),
        ("330100-RS-0002", "失业登记", hrss, ItemType.CONFIRMATION, CaseType.PROMISED, 3,
         ["nearby", "online"], [east]),
        ("330100-RS-0003", "就业创业证申领", hrss, ItemType.LICENSING, CaseType.PROMISED, 5, ["online"], []),
    ]  # fmt: skip
    items = {}
    for order, (code, name, department, item_type, case_type, limit, tag_codes, sites) in enumerate(specs):
        item = ServiceItem(
            implementation_code=code,
            basic_code="00" if order == 0 else "",
            name=name,
            keywords="sfz 身份证" if order == 0 else "",
            item_type=item_type,
            department=department,
            case_type=case_type,
            promised_limit=limit,
            legal_limit=limit * 2,
            charges_fee=order == 3,
            fee_standard="每证20元" if order == 3 else "",
            handling_forms=["1", "2"],
            service_objects=["1"] if order < 3 else ["1", "2"],
            faq="问：要照片吗？\n答：现场拍照。",
            visits_note="需现场核验身份",
            sort_order=order,
            **common,
        )
        item.save()
        item.modes.set([tags[c] for c in tag_codes])
        item.delegated_sites.set(sites)
        for n in range(2):
            Material.objects.create(
                item=item,
                name=f"{name}材料{n + 1}",
                material_type=MaterialType.CERTIFICATE if n == 0 else MaterialType.FORM,
                source=MaterialSource.APPLICANT,
                originals=1,
                copies=n,
                note="原件核验后退回" if n == 0 else "",
                sort_order=n,
            )
        items[code] = item
    return items


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def dump():
    """Return every row of the catalogue (and sites) with every field, m2m as sorted ids."""
    items = []
    for item in ServiceItem.objects.order_by("id").prefetch_related("modes", "delegated_sites"):
        values = {f.attname: getattr(item, f.attname) for f in ServiceItem._meta.concrete_fields}
        values["modes"] = sorted(t.id for t in item.modes.all())
        values["delegated_sites"] = sorted(s.id for s in item.delegated_sites.all())
        items.append(values)
    return {
        "departments": list(Department.objects.order_by("id").values()),
        "modes": list(ModeTag.objects.order_by("id").values()),
        "items": items,
        "materials": list(Material.objects.order_by("id").values()),
        "sites": list(Site.objects.order_by("id").values()),
    }


def sheet_values(data):
    """Return {sheet: [row tuples]} of an .xlsx."""
    workbook = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}


class Book:
    """An exported workbook opened for editing by header name."""

    def __init__(self, data):
        self.workbook = load_workbook(io.BytesIO(data))

    def column(self, sheet, header):
        headers = [cell.value for cell in self.workbook[sheet][1]]
        return headers.index(header) + 1

    def row_of(self, sheet, value, header=None):
        ws = self.workbook[sheet]
        column = self.column(sheet, header) if header else 1
        for row in range(2, ws.max_row + 1):
            if ws.cell(row=row, column=column).value == value:
                return row
        raise AssertionError(f"{value} not in {sheet}")

    def get(self, sheet, row, header):
        return self.workbook[sheet].cell(row=row, column=self.column(sheet, header)).value

    def set(self, sheet, row, header, value):
        self.workbook[sheet].cell(row=row, column=self.column(sheet, header)).value = value

    def append_copy(self, sheet, row):
        ws = self.workbook[sheet]
        ws.append([cell.value for cell in ws[row]])
        return ws.max_row

    def data(self):
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()


def errors_of(data):
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(data=data)
    return caught.value.errors


def where(errors):
    return {(e.sheet, e.row, e.column) for e in errors}


# --- export ---------------------------------------------------------------------------------------


def test_it_exports_five_sheets_with_bold_frozen_headers(catalogue):
    workbook = catalog_export_workbook()
    assert workbook.sheetnames == ["说明", "部门", "办理模式", "事项", "材料"]
    for name in workbook.sheetnames[1:]:
        ws = workbook[name]
        assert ws.freeze_panes == "A2"
        assert all(cell.font.b for cell in ws[1])
    items = workbook["事项"]
    headers = [cell.value for cell in items[1]]
    assert headers[:4] == ["实施编码", "基本编码", "业务办理项编码", "事项名称"]
    assert {"办理模式", "下沉站点（就近办）", "实施主体", "是否收费", "在用"} <= set(headers)
    assert "全拼" not in headers
    assert "更新时间" not in headers
    assert [cell.value for cell in workbook["材料"][1]][:3] == ["实施编码", "排序", "材料名称"]
    assert len(workbook["事项"]["A"]) == 5
    assert len(workbook["材料"]["A"]) == 9


def test_it_writes_codes_as_text_and_choices_as_labels(catalogue):
    book = Book(catalog_export_bytes())
    row = book.row_of("事项", "00012345678901234567890")
    cell = book.workbook["事项"].cell(row=row, column=1)
    assert cell.data_type == "s"
    assert cell.number_format == "@"
    assert book.get("事项", row, "基本编码") == "00"
    assert book.get("事项", row, "事项类型") == "公共服务"
    assert book.get("事项", row, "办件类型") == "承诺件"
    assert book.get("事项", row, "实施主体") == "police"
    assert book.get("事项", row, "办理模式") == "现场前置、跑一次"
    assert book.get("事项", row, "办理形式") == "1、2"
    assert book.get("事项", row, "是否收费") == "否"
    assert book.get("事项", row, "承诺办结时限") == 7
    nearby = book.row_of("事项", "330100-RS-0002")
    assert book.get("事项", nearby, "下沉站点（就近办）") == "st-east"
    assert book.get("部门", book.row_of("部门", "hrss"), "实施主体性质") == "授权组织"
    assert book.get("部门", book.row_of("部门", "police"), "统一社会信用代码") == USCC_A


def test_it_keeps_formula_like_text_as_text(catalogue):
    ServiceItem.objects.filter(implementation_code="330100-JD-0001").update(keywords="=SUM(A1:A2)")
    book = Book(catalog_export_bytes())
    row = book.row_of("事项", "330100-JD-0001")
    cell = book.workbook["事项"].cell(row=row, column=book.column("事项", "检索关键词"))
    assert cell.data_type == "s"
    assert cell.value == "=SUM(A1:A2)"


# --- round trip -----------------------------------------------------------------------------------


def test_export_then_import_changes_nothing(catalogue):
    before = dump()
    first = catalog_export_bytes()
    report = catalog_import(data=first)
    assert dump() == before
    assert not report.changed
    assert report.departments.unchanged == 2
    assert report.modes.unchanged == 6
    assert report.items.unchanged == 4
    assert report.materials.unchanged == 8
    assert report.items_not_in_workbook == 0
    assert sheet_values(catalog_export_bytes()) == sheet_values(first)


def test_the_demo_hall_round_trips(demo_hall):
    before = dump()
    first = catalog_export_bytes()
    report = catalog_import(data=first)
    assert not report.changed, report.summary()
    assert report.items.unchanged == ServiceItem.objects.count() > 0
    assert dump() == before
    assert sheet_values(catalog_export_bytes()) == sheet_values(first)


def test_windows_line_ends_are_not_a_change(catalogue):
    ServiceItem.objects.filter(implementation_code="330100-JD-0001").update(procedure="受理\r\n办结")
    before = dump()
    report = catalog_import(data=catalog_export_bytes())
    assert not report.changed
    assert dump() == before


text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=30).map(str.strip)
awkward = st.sampled_from(["00", "0123", "000000000000000000123", "1e5", "TRUE", "=1+1", "是", "、", "a\nb"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(awkward, text.filter(bool)), keywords=st.one_of(awkward, text), code=awkward)
def test_any_text_round_trips(catalogue, name, keywords, code):
    item = ServiceItem.objects.get(implementation_code="330100-JD-0001")
    item.name, item.keywords, item.basic_code, item.fee_standard = name, keywords, code, f"{name}\n{keywords}"
    item.save()
    before = dump()
    report = catalog_import(data=catalog_export_bytes())
    assert not report.changed
    assert dump() == before


# --- edits ------------------------------------------------------------------------------------------


def test_editing_one_cell_changes_exactly_that(catalogue):
    before = dump()
    book = Book(catalog_export_bytes())
    row = book.row_of("事项", "330100-RS-0003")
    book.set("事项", row, "承诺办结时限", 2)
    report = catalog_import(data=book.data())
    after = dump()
    assert report.items.updated == 1
    assert report.items.unchanged == 3
    assert report.departments.unchanged == 2
    assert report.materials.unchanged == 8
    changed = [
        (old["implementation_code"], key)
        for old, new in zip(before["items"], after["items"], strict=True)
        for key in old
        if old[key] != new[key]
    ]
    assert changed == [("330100-RS-0003", "promised_limit"), ("330100-RS-0003", "updated_at")]
    assert {k: v for k, v in before.items() if k != "items"} == {k: v for k, v in after.items() if k != "items"}


def test_it_accepts_codes_for_choices_and_creates_new_rows(catalogue):
    book = Book(catalog_export_bytes())
    ws = book.workbook["部门"]
    ws.append(["civil", "区民政局", "民政", "11330100MB8888888" + uscc_check_char("11330100MB8888888"), "1"])
    row = book.append_copy("事项", book.row_of("事项", "330100-JD-0001"))
    book.set("事项", row, "实施编码", "330100-MZ-0001")
    book.set("事项", row, "事项名称", "婚姻登记")
    book.set("事项", row, "实施主体", "civil")
    book.set("事项", row, "事项类型", 1)  # typed in a number cell: Excel drops the leading 0 of "01"
    book.set("事项", row, "办件类型", "2")
    book.set("事项", row, "办理形式", "窗口办理，3")
    book.set("事项", row, "办理模式", "就近办 网上办")
    book.set("事项", row, "下沉站点（就近办）", "st-west、st-east")
    book.workbook["材料"].append(["330100-MZ-0001", 0, "户口簿", "证件证书证明", "纸质", "申请人自备", "必要", 1, 0])
    report = catalog_import(data=book.data())
    assert report.departments.created == 1
    assert report.items.created == 1
    assert report.materials.created == 1
    item = ServiceItem.objects.get(implementation_code="330100-MZ-0001")
    assert item.department.code == "civil"
    assert item.item_type == ItemType.LICENSING
    assert item.case_type == CaseType.PROMISED
    assert item.handling_forms == ["1", "3"]
    assert sorted(item.modes.values_list("code", flat=True)) == ["nearby", "online"]
    assert sorted(item.delegated_sites.values_list("code", flat=True)) == ["st-east", "st-west"]
    assert item.pinyin_initials.startswith("hydj")
    assert Department.objects.get(code="civil").nature == "1"
    assert [m.name for m in item.materials.all()] == ["户口簿"]


def test_materials_are_replaced_by_the_sheets_rows(catalogue):
    book = Book(catalog_export_bytes())
    ws = book.workbook["材料"]
    first = book.row_of("材料", "失业登记材料1", header="材料名称")
    ws.delete_rows(first + 1)  # 失业登记材料2
    book.set("材料", first, "材料名称", "失业登记表")
    ids = list(Material.objects.filter(item__implementation_code="330100-RS-0002").values_list("id", flat=True))
    report = catalog_import(data=book.data())
    assert report.materials.updated == 1
    assert report.materials.deleted == 1
    assert report.materials.unchanged == 6
    materials = Material.objects.filter(item__implementation_code="330100-RS-0002")
    assert [(m.id, m.name) for m in materials] == [(ids[0], "失业登记表")]


def test_an_item_without_material_rows_loses_its_materials(catalogue):
    book = Book(catalog_export_bytes())
    ws = book.workbook["材料"]
    first = book.row_of("材料", "330100-JD-0001")
    ws.delete_rows(first, 2)
    report = catalog_import(data=book.data())
    assert report.materials.deleted == 2
    assert not Material.objects.filter(item__implementation_code="330100-JD-0001").exists()


def test_items_missing_from_the_workbook_are_left_alone(catalogue):
    book = Book(catalog_export_bytes())
    book.workbook["事项"].delete_rows(book.row_of("事项", "330100-JD-0001"))
    ws = book.workbook["材料"]
    ws.delete_rows(book.row_of("材料", "330100-JD-0001"), 2)
    before = dump()
    report = catalog_import(data=book.data())
    assert report.items_not_in_workbook == 1
    assert report.items.unchanged == 3
    assert not report.changed
    assert dump() == before
    assert "表外事项1项保持不变" in report.summary()


# --- errors ---------------------------------------------------------------------------------------


def test_every_bad_cell_is_reported_and_nothing_is_written(catalogue):
    book = Book(catalog_export_bytes())
    police = book.row_of("部门", "police")
    wrong = next(ch for ch in ALPHABET if ch != USCC_A[-1])
    book.set("部门", police, "统一社会信用代码", USCC_A[:-1] + wrong)
    hrss = book.row_of("部门", "hrss")
    book.set("部门", hrss, "排序", -1)

    first = book.row_of("事项", "00012345678901234567890")
    duplicate = book.append_copy("事项", first)
    book.set("事项", first, "事项类型", "行政许可证")
    temporary = book.row_of("事项", "330100-JD-0001")
    book.set("事项", temporary, "实施主体", "nodept")
    book.set("事项", temporary, "办理模式", "马上办、飞速办")
    jobs = book.row_of("事项", "330100-RS-0003")
    book.set("事项", jobs, "事项名称", "")
    book.set("事项", jobs, "承诺办结时限", -3)
    book.set("事项", jobs, "是否收费", "也许")
    nearby = book.row_of("事项", "330100-RS-0002")
    book.set("事项", nearby, "下沉站点（就近办）", None)

    material = book.row_of("材料", "居民身份证申领材料2", header="材料名称")
    book.set("材料", material, "原件份数", "两份")
    book.set("材料", material, "来源渠道", "捡的")
    orphan = book.append_copy("材料", material)
    book.set("材料", orphan, "实施编码", "no-such-item")
    book.set("材料", orphan, "原件份数", 1)
    book.set("材料", orphan, "来源渠道", "申请人自备")

    before = dump()
    errors = errors_of(book.data())
    assert dump() == before
    assert where(errors) == {
        ("部门", police, "统一社会信用代码"),
        ("部门", hrss, "排序"),
        ("事项", first, "事项类型"),
        ("事项", duplicate, "实施编码"),
        ("事项", temporary, "实施主体"),
        ("事项", temporary, "办理模式"),
        ("事项", jobs, "事项名称"),
        ("事项", jobs, "承诺办结时限"),
        ("事项", jobs, "是否收费"),
        ("事项", nearby, "下沉站点（就近办）"),
        ("材料", material, "原件份数"),
        ("材料", material, "来源渠道"),
        ("材料", orphan, "实施编码"),
    }
    assert len(errors) == 13
    reasons = {(e.sheet, e.row, e.column): e.reason for e in errors}
    assert "校验位不正确" in reasons[("部门", police, "统一社会信用代码")]
    assert reasons[("事项", first, "事项类型")].startswith(
        "“行政许可证”不是有效的事项类型，可填：行政权力事项、行政许可"
    )
    assert reasons[("事项", duplicate, "实施编码")] == f"实施编码与第{first}行重复"
    assert reasons[("事项", temporary, "实施主体")] == "部门编码“nodept”在“部门”表中不存在"
    assert "飞速办" in reasons[("事项", temporary, "办理模式")]
    assert reasons[("事项", jobs, "事项名称")] == "必填，不能为空"
    assert "负数" in reasons[("事项", jobs, "承诺办结时限")]
    assert "就近办" in reasons[("事项", nearby, "下沉站点（就近办）")]
    assert reasons[("材料", orphan, "实施编码")] == "实施编码“no-such-item”在“事项”表中不存在"
    # Sorted by sheet, then row.
    assert [e.sheet for e in errors] == sorted(
        (e.sheet for e in errors), key=["部门", "办理模式", "事项", "材料"].index
    )


def test_the_error_lists_every_problem_in_its_message(catalogue):
    book = Book(catalog_export_bytes())
    book.set("事项", 2, "事项名称", "")
    book.set("事项", 3, "事项名称", "")
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(data=book.data())
    message = str(caught.value)
    assert "共2处错误" in message
    assert "“事项”表 第2行 “事项名称”列：必填，不能为空" in message
    assert "第3行" in message


def test_unknown_sites_and_duplicate_names_are_reported(catalogue):
    book = Book(catalog_export_bytes())
    nearby = book.row_of("事项", "330100-RS-0002")
    book.set("事项", nearby, "下沉站点（就近办）", "st-east、st-north")
    book.set("办理模式", book.row_of("办理模式", "once"), "名称", "网上办")
    book.set("办理模式", book.row_of("办理模式", "online"), "编码", "online!")
    errors = errors_of(book.data())
    assert where(errors) == {
        ("事项", nearby, "下沉站点（就近办）"),
        ("办理模式", book.row_of("办理模式", "once"), "名称"),
        ("办理模式", book.row_of("办理模式", "online!"), "编码"),
        # The rename leaves no mode named 跑一次 for the item that lists it.
        ("事项", book.row_of("事项", "00012345678901234567890"), "办理模式"),
    }
    assert any("st-north" in e.reason for e in errors)


def test_a_clash_with_a_department_outside_the_sheet_is_reported(catalogue):
    Department.objects.create(
        code="other",
        name="区其他局",
        short_name="其他",
        uscc="91330100MA0000000" + uscc_check_char("91330100MA0000000"),
    )
    book = Book(catalog_export_bytes())
    book.workbook["部门"].delete_rows(book.row_of("部门", "other"))
    book.set("部门", book.row_of("部门", "police"), "实施主体名称", "区其他局")
    errors = errors_of(book.data())
    assert where(errors) == {("部门", book.row_of("部门", "police"), "实施主体名称")}
    assert "other" in errors[0].reason


def test_missing_sheets_and_columns_are_reported(catalogue):
    book = Book(catalog_export_bytes())
    del book.workbook["办理模式"]
    book.workbook["事项"].delete_cols(book.column("事项", "办件类型"))
    errors = errors_of(book.data())
    assert CellError("办理模式", None, "", "缺少工作表“办理模式”，请使用导出的事项清单作为模板") in errors
    assert ("事项", 1, "办件类型") in where(errors)


def test_a_file_that_is_not_a_workbook_is_refused(catalogue):
    errors = errors_of(b"name,code\n1,2\n")
    assert len(errors) == 1
    assert ".xlsx" in errors[0].reason


# --- commands ---------------------------------------------------------------------------------------


def test_the_commands_export_and_import(catalogue, tmp_path, capsys):
    path = tmp_path / "catalogue.xlsx"
    call_command("catalog_export", str(path))
    assert "事项4项" in capsys.readouterr().out
    before = dump()
    call_command("catalog_import", str(path))
    out = capsys.readouterr().out
    assert "事项：新增0，更新0，未变4" in out
    assert dump() == before


def test_the_import_command_prints_every_error_and_fails(catalogue, tmp_path, capsys):
    book = Book(catalog_export_bytes())
    book.set("事项", 2, "事项名称", "")
    book.set("事项", 3, "承诺办结时限", "abc")
    path = tmp_path / "bad.xlsx"
    path.write_bytes(book.data())
    with pytest.raises(CommandError, match="共2处错误"):
        call_command("catalog_import", str(path))
    err = capsys.readouterr().err
    assert "第2行 “事项名称”列" in err
    assert "第3行 “承诺办结时限”列" in err
