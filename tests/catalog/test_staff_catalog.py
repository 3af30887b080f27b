"""The hall manager's 事项清单 import/export page."""

import io
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from quangangtong.accounts.roles import Role
from quangangtong.accounts.services import roles_ensure, staff_user_create
from quangangtong.catalog.models import CatalogImport, ServiceItem
from quangangtong.catalog.spreadsheet import catalog_export_bytes
from tests.catalog.test_spreadsheet import Book, build_catalogue, dump

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def manager(client, db):
    roles_ensure()
    user = staff_user_create(username="manager", password="pw-for-tests-1", roles=[Role.HALL_MANAGER])
    client.force_login(user)
    return client


def upload(data, name="事项清单.xlsx"):
    return {"file": SimpleUploadedFile(name, data, content_type=XLSX)}


@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "staff-catalog"), ("get", "staff-catalog-export"), ("post", "staff-catalog-import")],
)
def test_it_sends_anonymous_visitors_to_sign_in(client, method, name):
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "staff-catalog"), ("get", "staff-catalog-export"), ("post", "staff-catalog-import")],
)
def test_it_refuses_a_window_officer(client, method, name):
    roles_ensure()
    officer = staff_user_create(username="officer", password="pw-for-tests-1", roles=[Role.WINDOW_OFFICER])
    client.force_login(officer)
    assert getattr(client, method)(reverse(name)).status_code == 403


def test_it_shows_the_page_to_a_manager(manager, catalogue):
    response = manager.get(reverse("staff-catalog"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("staff-catalog-export") in body
    assert reverse("staff-catalog-import") in body
    assert 'type="file"' in body
    assert "上传文件" in body
    assert "事项 4 项" in body


def test_it_downloads_a_valid_workbook(manager, catalogue):
    response = manager.get(reverse("staff-catalog-export"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    filename = f"事项清单-{timezone.localdate():%Y%m%d}.xlsx"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"filename*=UTF-8''{quote(filename)}" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["说明", "部门", "办理模式", "事项", "材料"]
    assert workbook["事项"].max_row == 5


def test_it_imports_and_reports_the_counts(manager, catalogue):
    book = Book(catalog_export_bytes())
    book.set("事项", book.row_of("事项", "330100-RS-0003"), "承诺办结时限", 1)
    data = book.data()
    response = manager.post(reverse("staff-catalog-import"), upload(data))
    assert response.status_code == 302
    assert response.url == reverse("staff-catalog")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "事项：新增0、更新1、未变3" in message
    assert ServiceItem.objects.get(implementation_code="330100-RS-0003").promised_limit == 1
    page = manager.get(reverse("staff-catalog")).content.decode()
    assert "导入记录" in page
    assert "事项清单.xlsx" in page
    record = CatalogImport.objects.get()
    assert record.file_name == "事项清单.xlsx"
    assert record.changed
    assert record.imported_by.get_username() == response.wsgi_request.user.get_username()
    assert record.workbook.read() == data


def test_a_bad_workbook_gets_400_with_every_error_and_changes_nothing(manager, catalogue):
    book = Book(catalog_export_bytes())
    book.set("事项", 2, "事项类型", "行政许可证")
    book.set("事项", 3, "实施主体", "nodept")
    book.set("材料", 4, "原件份数", -1)
    before = dump()
    response = manager.post(reverse("staff-catalog-import"), upload(book.data()))
    assert response.status_code == 400
    assert dump() == before
    body = response.content.decode()
    assert "共 3 处错误" in body
    assert '<th scope="col">工作表</th><th scope="col">行</th><th scope="col">列</th>' in body
    assert "“行政许可证”不是有效的事项类型" in body
    assert "部门编码“nodept”在“部门”表中不存在" in body
    assert "<td>材料</td><td>4</td><td>原件份数</td>" in body
    assert not CatalogImport.objects.exists()


def test_a_missing_file_gets_400_naming_the_field(manager):
    response = manager.post(reverse("staff-catalog-import"))
    assert response.status_code == 400
    assert "上传文件：请选择要导入的 .xlsx 文件" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data"),
    [("清单.xls", b"\xd0\xcf\x11\xe0 old excel"), ("清单.csv", b"a,b\n"), ("清单.xlsx", b"not a zip at all")],
)
def test_a_file_that_is_not_xlsx_gets_400(manager, catalogue, name, data):
    before = dump()
    response = manager.post(reverse("staff-catalog-import"), upload(data, name=name))
    assert response.status_code == 400
    assert "上传文件：" in response.content.decode()
    assert dump() == before


def test_import_only_accepts_post(manager):
    assert manager.get(reverse("staff-catalog-import")).status_code == 405
