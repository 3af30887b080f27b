"""The staff home links each site page to the sites the user works at, not to one hardcoded hall."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from quangangtong.accounts.roles import Role
from quangangtong.hall.models import Level, OfficerSkill, Site, TicketCategory, Window, WindowSession

pytestmark = pytest.mark.django_db

SITE_PAGES = [("guide-issue", "代取号"), ("skills-matrix", "技能矩阵"), ("floor-config", "窗口与叫号配置")]


def _home(client, user):
    client.force_login(user)
    response = client.get(reverse("staff-home"))
    assert response.status_code == 200
    return response.content.decode()


def _certify(officer, *, category=None, item=None):
    OfficerSkill.objects.create(
        officer=officer, category=category, item=item, certified_on=datetime.date(2026, 1, 5), certified_by="培训"
    )


def _link(name, site):
    return f'href="{reverse(name, args=[site.code])}"'


def test_it_links_the_only_site_as_one_tile(client, make_staff):
    hall = Site.objects.create(code="qjq-hall", name="区政务服务中心", level=Level.COUNTY)
    body = _home(client, make_staff(Role.HALL_MANAGER))
    for name, title in SITE_PAGES:
        assert f'<li><a href="{reverse(name, args=[hall.code])}">{title}</a></li>' in body
    assert "site-tile" not in body


def test_it_lists_every_site_for_a_manager_of_a_city_with_two_halls(client, make_staff):
    first = Site.objects.create(code="qjq-hall", name="区政务服务中心", level=Level.COUNTY, sort_order=0)
    second = Site.objects.create(code="xq-hall", name="新区政务服务中心", level=Level.COUNTY, sort_order=1)
    body = _home(client, make_staff(Role.HALL_MANAGER))
    for name, title in SITE_PAGES:
        tile = body.split(f'id="tile-{name}">', 1)[1].split("</li>", 1)[0]
        assert tile.startswith(title)
        assert tile.index(_link(name, first)) < tile.index(_link(name, second))
        assert "新区政务服务中心" in tile


def test_it_lists_every_site_for_a_guide(client, make_staff):
    sites = [Site.objects.create(code=f"hall{n}", name=f"第{n}大厅", sort_order=n) for n in range(3)]
    body = _home(client, make_staff(Role.GUIDE))
    assert all(_link("guide-issue", site) in body for site in sites)
    assert "技能矩阵" not in body


def test_an_officer_certified_at_the_second_hall_gets_its_links(client, make_staff):
    Site.objects.create(code="qjq-hall", name="区政务服务中心", sort_order=0)
    second = Site.objects.create(code="xq-hall", name="新区政务服务中心", sort_order=1)
    officer = make_staff(Role.WINDOW_OFFICER)
    _certify(officer, category=TicketCategory.objects.create(site=second, prefix="A", name="社保医保"))
    body = _home(client, officer)
    assert f'<li><a href="{reverse("skills-matrix", args=["xq-hall"])}">技能矩阵</a></li>' in body
    assert "qjq-hall" not in body


def test_an_item_certification_counts_for_the_site_of_its_category(client, demo_hall, make_staff):
    station = Site.objects.get(code="gangwan")
    item = TicketCategory.objects.get(site=station, prefix="S").items.first()
    officer = make_staff(Role.WINDOW_OFFICER)
    _certify(officer, item=item)
    body = _home(client, officer)
    served_at = Site.objects.filter(ticket_categories__items=item).distinct()
    assert 0 < served_at.count() < Site.objects.count()
    for site in Site.objects.all():
        assert (_link("skills-matrix", site) in body) == (site in served_at), site.code


def test_the_window_signed_in_at_decides_over_the_certifications(client, make_staff):
    first = Site.objects.create(code="qjq-hall", name="区政务服务中心", sort_order=0)
    second = Site.objects.create(code="xq-hall", name="新区政务服务中心", sort_order=1)
    officer = make_staff(Role.WINDOW_OFFICER)
    for site in (first, second):
        _certify(officer, category=TicketCategory.objects.create(site=site, prefix="A", name="社保医保"))
    assert "site-tile" in _home(client, officer)
    window = Window.objects.create(site=second, number=1)
    WindowSession.objects.create(window=window, officer=officer, signed_in_at=timezone.now())
    body = _home(client, officer)
    assert f'<li><a href="{reverse("skills-matrix", args=["xq-hall"])}">技能矩阵</a></li>' in body
    assert "qjq-hall" not in body
