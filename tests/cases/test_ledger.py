"""The 《业务受理转办明细表》: promised cases, filtered and paginated, and its xlsx export read back by openpyxl."""

import datetime
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from quangangtong.accounts.roles import Role
from quangangtong.cases import ledger as ledger_module
from quangangtong.cases import office_views, services
from quangangtong.cases.models import Case

from .conftest import BENEFIT, COMPANY, CREDIT_CODE, EMPLOYMENT_CARD, HARDSHIP, PERSON_ID, PHONE, D, at

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def book(hall):
    """Three promised cases in the ledger, and two cases that are not in it."""
    cases = {
        "posted": hall.transferred(BENEFIT, pickup_method="post", applicant_name="张三丰"),
        "delivered": hall.delivered(HARDSHIP, now=at(D(2026, 10, 9))),
        "company": hall.transferred(
            COMPANY,
            now=timezone.now(),
            applicant_kind="legal",
            applicant_name="前进科技有限公司",
            id_number="",
            credit_code=CREDIT_CODE,
            legal_representative="李四",
        ),
    }
    hall.accepted(EMPLOYMENT_CARD)  # 即办件: not a promised case
    hall.open(HARDSHIP)  # not accepted yet
    return cases


@pytest.fixture
def reader(client, hall):
    client.force_login(hall.supervisor)
    return client


def _numbers(client, **filters):
    response = client.get(reverse("office-ledger"), filters)
    assert response.status_code == 200, response.content.decode()
    return [case.number for case in response.context["cases"]]


def _export(client, **filters):
    return client.get(reverse("office-ledger-export"), filters)


def _sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


# --- the page -----------------------------------------------------------------------------------


def test_it_lists_every_accepted_promised_case_oldest_first(book, reader):
    assert _numbers(reader) == [book["posted"].number, book["delivered"].number, book["company"].number]


def test_it_masks_applicants_and_never_shows_a_full_number(book, reader):
    content = reader.get(reverse("office-ledger")).content.decode()
    assert "张*丰" in content
    assert "张三丰" not in content
    assert PERSON_ID not in content
    assert CREDIT_CODE not in content
    assert PHONE not in content


def test_it_shows_the_colour_in_words_and_the_remaining_days(book, reader):
    content = reader.get(reverse("office-ledger")).content.decode()
    assert 'data-warning="red"' in content
    assert "红灯（已超期）" in content
    assert "超期" in content


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.HALL_MANAGER, Role.WINDOW_OFFICER])
def test_it_opens_the_ledger_to_supervisors_managers_and_window_officers(hall, client_for, role):
    assert client_for(role).get(reverse("office-ledger")).status_code == 200


@pytest.mark.parametrize("role", [Role.APPROVER, Role.GUIDE, None])
def test_it_keeps_the_ledger_from_other_roles(hall, client_for, role):
    for name in ("office-ledger", "office-ledger-export"):
        assert client_for(role).get(reverse(name)).status_code == (302 if role is None else 403)


def test_it_links_each_reader_to_the_case_page_of_their_own_side(book, reader, client, hall):
    office = reverse("office-case", args=[book["posted"].number])
    window = reverse("window-case", args=[book["posted"].number])
    assert office in reader.get(reverse("office-ledger")).content.decode()
    client.force_login(hall.officer)
    page = client.get(reverse("office-ledger")).content.decode()
    assert office not in page
    assert window in page


def test_it_filters_by_department_state_colour_item_and_pickup(book, reader, hall):
    posted, delivered, company = book["posted"].number, book["delivered"].number, book["company"].number
    assert _numbers(reader, department=hall.rsj.code) == [posted, delivered]
    assert _numbers(reader, state="delivered") == [delivered]
    assert _numbers(reader, warning="red") == [posted]  # today's colour: the nightly run has not stored it
    assert _numbers(reader, warning="yellow") == [company]
    assert _numbers(reader, item=BENEFIT) == [posted]
    assert _numbers(reader, pickup_method="post") == [posted]


def test_it_filters_by_delivery_and_accepted_dates(book, reader):
    posted, delivered, company = book["posted"].number, book["delivered"].number, book["company"].number
    assert _numbers(reader, delivered="yes") == [delivered]
    assert _numbers(reader, delivered="no") == [posted, company]
    assert _numbers(reader, accepted_from="2026-10-09", accepted_to="2026-10-09") == [delivered]
    assert _numbers(reader, accepted_to="2026-09-30") == [posted]
    assert _numbers(reader, accepted_from="2026-10-10") == [company]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"accepted_from": "2026-10-09", "accepted_to": "2026-10-01"}, "受理日期：开始日期不能晚于结束日期。"),
        ({"accepted_from": "10/09/2026"}, "受理日期（起）：请按“2026-09-30”的格式填写日期。"),
        ({"delivered": "maybe"}, "是否送达：请选择已送达或未送达。"),
        ({"state": "lost"}, "状态：请从列表中选择。"),
        ({"item": "nothing"}, "事项：请从列表中选择。"),
        ({"department": "nowhere"}, "部门：请从列表中选择。"),
    ],
)
def test_it_refuses_a_filter_it_cannot_use_in_chinese(book, reader, filters, message):
    response = reader.get(reverse("office-ledger"), filters)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _export(reader, **filters).status_code == 400


def test_it_paginates_keeping_the_filters(book, reader, monkeypatch):
    monkeypatch.setattr(office_views, "PAGE_SIZE", 1)
    response = reader.get(reverse("office-ledger"), {"department": "rsj"})
    assert [case.number for case in response.context["cases"]] == [book["posted"].number]
    assert 'href="?department=rsj&amp;page=2"' in response.content.decode()
    assert _numbers(reader, department="rsj", page=2) == [book["delivered"].number]


# --- the export ---------------------------------------------------------------------------------


def test_it_exports_an_xlsx_file_named_after_the_ledger(book, reader):
    response = _export(reader)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert (
        "%E4%B8%9A%E5%8A%A1%E5%8F%97%E7%90%86%E8%BD%AC%E5%8A%9E%E6%98%8E%E7%BB%86%E8%A1%A8"
        in response["Content-Disposition"]
    )  # 业务受理转办明细表


def test_it_writes_a_title_a_frozen_header_and_column_widths(book, reader, settings):
    settings.QGT_HALL_NAME = "前进区政务服务大厅"
    sheet = _sheet(_export(reader))
    assert sheet.title == "业务受理转办明细表"
    assert sheet["A1"].value == "前进区政务服务大厅业务受理转办明细表"
    assert sheet["A2"].value.startswith(f"导出时间：{timezone.localdate():%Y-%m-%d}")
    assert [cell.value for cell in sheet[3]] == [column.title for column in ledger_module.COLUMNS]
    assert sheet.freeze_panes == "A4"
    assert sheet.column_dimensions["C"].width == 34
    assert sheet.auto_filter.ref == "A3:Q6"


def test_it_writes_one_row_per_case_with_real_dates(book, reader, hall):
    rows = list(_sheet(_export(reader)).iter_rows(min_row=4, values_only=True))
    titles = [column.title for column in ledger_module.COLUMNS]
    posted = dict(zip(titles, rows[0], strict=True))
    assert [row[1] for row in rows] == [book["posted"].number, book["delivered"].number, book["company"].number]
    assert posted["受理时间"] == datetime.datetime(2026, 9, 30, 10, 0)
    assert posted["承诺办结日期"] == datetime.datetime(2026, 10, 13)  # openpyxl reads a date cell back as a datetime
    assert isinstance(posted["剩余天数（工作日）"], int)
    assert posted["剩余天数（工作日）"] < 0
    assert (posted["转办部门"], posted["当前环节"], posted["出件方式"], posted["是否送达"]) == (
        hall.rsj.name, "承办", "快递寄送", "否"
    )  # fmt: skip
    delivered = dict(zip(titles, rows[1], strict=True))
    assert (delivered["是否送达"], delivered["当前状态"]) == ("是", "已送达")
    assert isinstance(delivered["送达时间"], datetime.datetime)


def test_it_writes_the_colour_as_text_and_as_a_cell_fill(book, reader):
    sheet = _sheet(_export(reader))
    cells = [sheet.cell(row=row, column=ledger_module.WARNING_COLUMN) for row in (4, 5, 6)]
    # Overdue; decided in time (the colour it was decided with); a 1-day promise accepted today.
    assert [(cell.value, cell.fill.fgColor.rgb[-6:]) for cell in cells] == [
        ("红灯（已超期）", "FFC7CE"), ("绿灯（正常）", "C6EFCE"), ("黄灯（临近时限）", "FFEB9C")
    ]  # fmt: skip


def test_it_never_writes_a_full_identity_number_or_phone(book, reader):
    response = _export(reader)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        xml = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    for secret in (PERSON_ID, CREDIT_CODE, PHONE, "张三丰"):
        assert secret not in xml
    values = [value for row in _sheet(response).iter_rows(values_only=True) for value in row]
    assert book["posted"].masked_id_number in values
    assert book["company"].masked_credit_code in values


def test_it_exports_only_the_filtered_rows_and_says_which_filter(book, reader, hall):
    sheet = _sheet(_export(reader, department=hall.rsj.code, delivered="no"))
    assert [row[1] for row in sheet.iter_rows(min_row=4, values_only=True)] == [book["posted"].number]
    assert f"部门：{hall.rsj.name}；未送达" in sheet["A2"].value


def test_it_writes_a_name_that_looks_like_a_formula_as_text(book):
    Case.objects.filter(pk=book["company"].pk).update(applicant_name='=HYPERLINK("http://x")')
    content = ledger_module.ledger_xlsx(services.cases_ledger(), hall_name="大厅")
    cell = load_workbook(io.BytesIO(content)).active.cell(row=6, column=4)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")


# --- today's clocks -----------------------------------------------------------------------------


def test_it_computes_todays_clock_for_running_cases_and_keeps_a_stopped_ones(book):
    cases = ledger_module.clocks_today(services.cases_ledger().prefetch_related("suspensions"), today=D(2026, 10, 12))
    posted, delivered, _company = cases
    # Stored at transfer on 09-30: 5 working days left; on 10-12 only 10-13 is left.
    assert (book["posted"].remaining_working_days, posted.clock_remaining, posted.clock_warning) == (5, 1, "yellow")
    assert posted.clock_remaining_text == "1个工作日"
    assert (delivered.clock_running, delivered.clock_remaining) == (False, book["delivered"].remaining_working_days)
    assert delivered.clock_remaining_text.endswith("（已停止计时）")


def test_it_reads_the_calendar_and_rules_once_for_a_page(hall):
    for _ in range(3):
        hall.transferred(BENEFIT)
    cases = services.cases_ledger().prefetch_related("suspensions")
    with CaptureQueriesContext(connection) as one:
        ledger_module.clocks_today(cases[:1], today=D(2026, 10, 12))
    with CaptureQueriesContext(connection) as three:
        ledger_module.clocks_today(cases[:3], today=D(2026, 10, 12))
    assert len(three.captured_queries) == len(one.captured_queries)
