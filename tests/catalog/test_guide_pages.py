import pytest
from django.urls import reverse

from quangangtong.catalog.models import ServiceItem

pytestmark = pytest.mark.django_db


def test_it_shows_the_home_page_to_anyone(client, demo_hall):
    response = client.get(reverse("guide-home"))
    assert response.status_code == 200
    assert "196" in response.content.decode()


def test_it_lists_and_pages_items(client, demo_hall):
    response = client.get(reverse("guide-items"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 196
    assert len(response.context["page"].object_list) == 20
    last = client.get(reverse("guide-items"), {"page": 10})
    assert len(last.context["page"].object_list) == 16


def test_it_searches_from_the_list_page(client, demo_hall):
    response = client.get(reverse("guide-items"), {"q": "sfz"})
    body = response.content.decode()
    assert "居民身份证" in body
    assert response.context["page"].paginator.count >= 1


def test_bad_filter_values_are_harmless(client, demo_hall):
    response = client.get(reverse("guide-items"), {"page": "abc", "level": "x", "tag": "<script>"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main")[1].replace("&lt;script&gt;", "")


def test_every_item_has_a_guide_page(client, demo_hall):
    for item in ServiceItem.objects.all():
        response = client.get(item.get_absolute_url())
        assert response.status_code == 200, item.name
        body = response.content.decode()
        assert item.name in body
        assert item.promised_limit_display() in body
        for material in item.materials.all():
            assert material.name in body


def test_the_guide_page_has_every_published_element(client, demo_hall):
    item = ServiceItem.objects.get(name="初等以下民办学校设立")
    body = client.get(item.get_absolute_url()).content.decode()
    for heading in ["实施主体", "设定依据", "受理条件", "申请材料", "办理流程", "承诺办结时限", "法定办结时限",
                    "收费标准", "办理地点", "办理时间", "咨询电话", "监督电话", "到办事现场次数"]:  # fmt: skip
        assert heading in body
    assert "现场前置" in body
    assert "@media print" not in body  # print styles live in the served stylesheet


def test_unknown_item_is_404(client, demo_hall):
    assert client.get(reverse("guide-item", args=["no-such-code"])).status_code == 404


def test_inactive_items_are_not_published(client, demo_hall):
    item = ServiceItem.objects.first()
    item.is_active = False
    item.save()
    assert client.get(item.get_absolute_url()).status_code == 404
    assert client.get(reverse("guide-items")).context["page"].paginator.count == 195


def test_the_modes_page_shows_the_counts(client, demo_hall):
    response = client.get(reverse("guide-modes"))
    counts = {mode.name: mode.item_count for mode in response.context["modes"]}
    assert counts == {"现场前置": 22, "马上办": 44, "网上办": 6, "就近办": 21, "不见面": 10, "跑一次": 111}


def test_each_department_has_a_page(client, demo_hall):
    from quangangtong.catalog.models import Department

    total = 0
    for department in Department.objects.all():
        response = client.get(department.get_absolute_url())
        assert response.status_code == 200
        total += len(response.context["items"])
    assert total == 196


def test_station_pages_list_delegated_items(client, demo_hall):
    from quangangtong.hall.models import Site

    for station in Site.objects.exclude(parent=None):
        response = client.get(station.get_absolute_url())
        assert response.status_code == 200
        assert list(response.context["items"]) == list(station.delegated_items.all())


def test_pages_use_only_assets_served_by_the_application(client, demo_hall):
    item = ServiceItem.objects.first()
    for url in [reverse("guide-home"), reverse("guide-items"), item.get_absolute_url(), reverse("guide-modes")]:
        body = client.get(url).content.decode()
        for marker in ['src="http', "src='http", 'href="http', "href='http", "//cdn", 'src="//', 'href="//']:
            assert marker not in body, (url, marker)


def test_modes_and_departments_keep_the_catalogue_order(client, demo_hall):
    from quangangtong.catalog.models import Department

    modes = [mode.name for mode in client.get(reverse("guide-home")).context["modes"]]
    assert modes == ["现场前置", "马上办", "网上办", "就近办", "不见面", "跑一次"]
    listed = [d.code for d in client.get(reverse("guide-departments")).context["departments"]]
    assert listed == list(Department.objects.order_by("sort_order", "code").values_list("code", flat=True))
