"""A citizen uses the public guide in a real browser (Debian's Chromium via Playwright)."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_finds_an_identity_card_item_and_prints_its_guide(live_server, demo_hall, page, tmp_path):
    page.goto(live_server.url + "/")
    page.get_by_placeholder(re.compile("身份证")).fill("sfz")
    page.get_by_role("button", name="查找").click()

    page.wait_for_url(re.compile(r"/guide/items/\?q=sfz"))
    results = page.locator("ul.items li a.name")
    assert results.count() >= 1
    assert all("身份证" in name for name in results.all_inner_texts())

    results.first.click()
    page.wait_for_url(re.compile(r"/guide/items/.+/"))
    title = page.locator("h1").inner_text()
    assert "身份证" in title
    materials = page.locator("#materials tbody tr")
    assert materials.count() >= 1
    assert "居民身份证" in page.locator("#materials").inner_text() or materials.count() >= 2
    assert page.locator("#promised-limit").inner_text().strip() != ""

    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()
    assert page.get_by_role("button", name="打印办事指南").is_hidden()
    assert page.locator("#materials").is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    assert pdf.startswith(b"%PDF")
    (tmp_path / "guide.pdf").write_bytes(pdf)
    # The stylesheet's @page asks for A4: 595 x 842 points.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes
    assert all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)


def test_the_guide_fits_a_phone_screen(live_server, demo_hall, page):
    from quangangtong.catalog.models import ServiceItem

    item = ServiceItem.objects.get(name="初等以下民办学校设立")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + item.get_absolute_url())
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16


def test_filters_narrow_the_list(live_server, demo_hall, page):
    page.goto(live_server.url + "/guide/items/")
    page.get_by_label("办理模式").select_option(label="就近办")
    page.get_by_role("button", name="查找").click()
    page.wait_for_url(re.compile("tag=nearby"))
    assert "共找到 21 项" in page.locator(".result-count").inner_text().replace("\u00a0", " ")
