"""A promised case (承诺件) from the window to the applicant's letterbox, in real browser windows.

The window officer calls the visitor, opens the case from the ticket, ticks the materials with one missing,
prints the 一次性告知; the visitor comes back with it, the case is accepted and the receipt's QR code leads to
the public progress page; the case goes to 区人社局, whose approver passes every step; the window posts the
result, and the progress page (opened from the QR code, no login) shows each step.
"""

import datetime
import io
import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from quangangtong.cases.models import Case
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site
from quangangtong.queueing.services import ticket_issue
from tests.documents.helpers import pdf_text, qr_matrix

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 失业保险金申领 (区人社局): 承诺件, promised 5 working days, results may be posted.
BENEFIT = "11230804MB1231701J4000501006"


@pytest.fixture
def hall(transactional_db):
    from quangangtong.demo.loader import DEMO_PASSWORD, demo_load
    from quangangtong.workdays.models import ScheduleYear
    from quangangtong.workdays.services import calendar_seed_from_package

    demo_load()
    if not ScheduleYear.objects.filter(year=2026).exists():
        calendar_seed_from_package()
    site = Site.objects.get(code="qjq-hall")
    site.closing_time = datetime.time.max
    site.save(update_fields=["closing_time"])
    return site, DEMO_PASSWORD


def _sign_in(page, live_server, username, password, path):
    page.goto(live_server.url + path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _qr_url(pdf):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image, ImageOps

    matrix = qr_matrix(pdf)
    image = Image.new("L", (len(matrix), len(matrix)), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    image = ImageOps.expand(image.resize((len(matrix) * 8, len(matrix) * 8), Image.NEAREST), border=32, fill=255)
    [result] = zxingcpp.read_barcodes(image)
    return result.text


def _pdf(page, selector):
    response = page.request.get(urljoin(page.url, page.locator(selector).get_attribute("href")))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    return response.body()


def test_a_promised_case_goes_from_the_window_to_the_post_and_its_progress_page(live_server, hall, browser):
    site, password = hall
    item = ServiceItem.objects.get(implementation_code=BENEFIT)
    ticket, _ = ticket_issue(site=site, item=item, phone="13800138000")
    contexts = [browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai") for _ in range(3)]
    window, office, citizen = (context.new_page() for context in contexts)
    for page in (window, office, citizen):
        page.set_default_timeout(20_000)
    try:
        # The officer signs in at window 3, calls the visitor and starts serving.
        _sign_in(window, live_server, "officer03", password, "/staff/workbench/")
        window.get_by_role("button", name="在3号窗口签到").click()
        window.wait_for_url(re.compile(r"/staff/workbench/$"))
        window.keyboard.press("n")
        window.locator(".wb-number", has_text=ticket.number).wait_for()
        window.keyboard.press("s")
        window.locator("#wb-status", has_text="办理中").wait_for()

        # … opens the case from the ticket: the item is already chosen.
        window.locator("#wb-open-case").click()
        expect(window.locator("#case-item")).to_have_value(str(item.pk))
        window.locator("#case-applicant-name").fill("刘洋")
        window.locator("#case-id-number").fill("230804199509286615")
        window.locator("#case-phone").fill("13800138000")
        window.locator("#case-open-submit").click()
        window.locator("#case-number").wait_for()
        case = Case.objects.get(ticket=ticket)
        expect(window.locator("#case-number")).to_contain_text(case.number)
        expect(window.locator("#case-id-masked")).not_to_contain_text("230804199509286615")

        # … ticks every material but the last, and prints the one-time notice of what is missing.
        lines = list(case.materials.order_by("id"))
        assert len(lines) >= 2
        for line in lines[:-1]:
            window.locator(f"#mat-{line.id}-received").click()
            window.locator(f"#mat-{line.id}-received.cw-secondary").wait_for()
        window.locator("#act-request_correction").click()
        window.locator("#doc-correction-1").wait_for()
        notice = pdf_text(_pdf(window, "#doc-correction-1"))
        assert "补正材料通知书" in notice
        assert lines[-1].name in notice
        assert "230804199509286615" not in notice

        # The visitor comes back with the missing paper: received, then accepted, to be posted.
        window.reload()
        window.locator(f"#received-{lines[-1].id}").check()
        window.locator("#act-correction_received").click()
        window.locator("#act-accept:enabled").wait_for()
        window.locator("#accept-pickup-method").select_option("post")
        window.locator("#act-accept").click()
        window.locator("#doc-acceptance").wait_for()
        receipt = _pdf(window, "#doc-receipt")
        progress_url = _qr_url(receipt)
        assert re.search(r"/progress/t/[^/]+/$", progress_url), progress_url
        window.locator("#act-transfer").click()
        expect(window.locator("#case-state")).to_contain_text("审查中")

        # 区人社局's approver finds it in the inbox and passes 承办, 审核 and, with the decision, 批准.
        _sign_in(office, live_server, "approver_rsj", password, "/staff/office/inbox/")
        office.locator(f'#office-inbox tr[data-case="{case.number}"] a').first.click()
        for step in ("承办", "审核"):
            expect(office.locator("#case-step")).to_contain_text(step)
            office.locator("#step-opinion").fill(f"{step}：材料齐全，同意")
            office.locator("#btn-step-pass").click()
        expect(office.locator("#case-step")).to_contain_text("批准")
        office.locator("#decide-granted").check()
        office.locator("#decide-result-number").fill("前人社失〔2026〕018号")
        office.locator("#btn-decide").click()
        expect(office.locator("#case-decision")).to_contain_text("准予")

        # The window posts the result by EMS with its tracking number.
        window.reload()
        window.locator("#post-carrier").select_option("EMS")
        window.locator("#post-tracking-number").fill("1123456789012")
        window.locator("#post-address").fill("佳木斯市前进区长安路100号")
        window.locator("#act-post").click()
        expect(window.locator("#case-state")).to_contain_text("已寄出")

        # The applicant scans the receipt's code: every step, no names or numbers of theirs.
        citizen.goto(progress_url.replace("http://testserver", live_server.url))
        page_text = citizen.locator("body").inner_text()
        for step in ("受理", "转办", "承办", "审核", "批准", "寄出"):
            assert step in page_text, step
        assert "刘洋" not in page_text
        assert "230804199509286615" not in page_text

        case.refresh_from_db()
        assert case.state == "posted"
        kinds = list(case.events.values_list("kind", flat=True))
        assert kinds.index("accepted") < kinds.index("transferred") < kinds.index("posted")
    finally:
        for context in contexts:
            context.close()


def test_the_receipt_pdf_is_a_pdf(hall):
    """A guard for the helpers above: pdf_text reads what ReportLab writes."""
    from quangangtong.documents import material_receipt_pdf
    from tests.documents.helpers import make_receipt

    assert "材料接收单" in pdf_text(material_receipt_pdf(make_receipt()))
    assert io.BytesIO(material_receipt_pdf(make_receipt())).read(4) == b"%PDF"
