"""就近办: a community station opens cases only for its own items; the hall takes any item."""

import datetime

import pytest

from quangangtong.accounts.models import TokenKind
from quangangtong.accounts.roles import Role
from quangangtong.accounts.services import api_token_create
from quangangtong.cases import services
from quangangtong.cases.errors import CaseError
from quangangtong.cases.models import ApplicantKind, Case, CaseEvent, CaseMaterial
from quangangtong.hall.models import OfficerSkill, Site, TicketCategory

from .conftest import ACCEPTED_AT, BENEFIT, HARDSHIP, PERSON_ID, PHONE

pytestmark = pytest.mark.django_db

APPLICANT = {"applicant_kind": ApplicantKind.PERSON, "applicant_name": "张三", "id_number": PERSON_ID, "phone": PHONE}


@pytest.fixture
def station(hall):
    return Site.objects.get(code="gangwan")


def _open(hall, site, code):
    return services.case_open(site=site, item=hall.item(code), user=hall.officer, now=ACCEPTED_AT, **APPLICANT)


def _nothing_made():
    assert (Case.objects.count(), CaseMaterial.objects.count(), CaseEvent.objects.count()) == (0, 0, 0)


def test_a_station_opens_a_case_for_an_item_delegated_to_it(hall, station):
    assert hall.item(HARDSHIP).delegated_sites.filter(pk=station.pk).exists()
    assert _open(hall, station, HARDSHIP).site == station


def test_a_station_refuses_an_item_it_does_not_handle(hall, station):
    item = hall.item(BENEFIT)  # 失业保险金申领: online, not delegated to any station
    with pytest.raises(CaseError) as refused:
        _open(hall, station, BENEFIT)
    assert (refused.value.status, refused.value.field) == (400, "item")
    assert refused.value.message.startswith("事项：")
    assert item.name in refused.value.message
    assert station.name in refused.value.message
    assert station.parent.name in refused.value.message
    _nothing_made()


def test_a_station_opens_a_case_for_an_item_its_own_ticket_category_serves(hall, station):
    category = TicketCategory.objects.create(site=station, prefix="X", name="代收代办")
    category.items.add(hall.item(BENEFIT))
    assert _open(hall, station, BENEFIT).site == station


def test_a_station_refuses_an_item_of_an_inactive_category(hall, station):
    category = TicketCategory.objects.create(site=station, prefix="X", name="代收代办", is_active=False)
    category.items.add(hall.item(BENEFIT))
    with pytest.raises(CaseError):
        _open(hall, station, BENEFIT)


def test_a_site_under_the_hall_is_a_station_whatever_its_level(hall, station):
    station.level = hall.site.level
    station.save()
    with pytest.raises(CaseError):
        _open(hall, station, BENEFIT)


def test_the_hall_takes_any_item(hall):
    assert not hall.item(BENEFIT).delegated_sites.exists()
    assert _open(hall, hall.site, BENEFIT).site == hall.site


def test_the_window_form_refuses_the_item_naming_the_field(client, hall, make_staff, station):
    staff = make_staff(Role.STATION_STAFF)
    OfficerSkill.objects.create(
        officer=staff, category=TicketCategory.objects.get(site=station, prefix="S"),
        certified_on=datetime.date(2026, 1, 5), certified_by="测试",
    )  # fmt: skip
    client.force_login(staff)
    data = {**APPLICANT, "id_type": "111", "item": hall.item(BENEFIT).pk, "channel": "1", "pickup_method": "window"}
    response = client.post("/staff/window/cases/new/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"不是{station.name}就近办理的事项" in page
    _nothing_made()
    data["item"] = hall.item(HARDSHIP).pk
    assert client.post("/staff/window/cases/new/", data).status_code == 302
    assert Case.objects.get().site == station


def test_the_api_refuses_the_item_with_a_400_naming_the_field(client, hall, station):
    token = api_token_create(kind=TokenKind.STAFF, name="测试", user=hall.officer)[1]
    body = {"item": BENEFIT, "applicant_name": "张三", "applicant_id_number": PERSON_ID, "applicant_phone": PHONE}
    response = client.post(
        "/api/v1/cases", data={**body, "site": station.code}, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert response.status_code == 400, response.content
    data = response.json()
    assert [error["field"] for error in data["errors"]] == ["item"]
    assert station.name in data["detail"]
    _nothing_made()
