import pytest

from quangangtong.catalog.models import ServiceItem

pytestmark = pytest.mark.django_db


def test_it_lists_items_with_count_and_results(client, demo_hall):
    response = client.get("/api/v1/items")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 196
    assert len(data["results"]) == 20
    first = data["results"][0]
    assert {"code", "name", "department", "modes", "promised_limit", "url"} <= first.keys()


def test_it_pages(client, demo_hall):
    page = client.get("/api/v1/items", {"page": 2, "page_size": 50}).json()
    assert page["count"] == 196
    assert len(page["results"]) == 50
    codes_page_1 = {r["code"] for r in client.get("/api/v1/items", {"page_size": 50}).json()["results"]}
    assert codes_page_1.isdisjoint({r["code"] for r in page["results"]})


def test_it_searches_in_pinyin_and_filters(client, demo_hall):
    data = client.get("/api/v1/items", {"q": "sfz"}).json()
    assert data["count"] >= 1
    assert all("身份证" in r["name"] for r in data["results"])
    nearby = client.get("/api/v1/items", {"tag": "nearby", "page_size": 100}).json()
    assert nearby["count"] == 21
    assert all(any(m["code"] == "nearby" for m in r["modes"]) for r in nearby["results"])
    community = client.get("/api/v1/items", {"level": "6", "page_size": 100}).json()
    assert community["count"] == 21


def test_it_returns_a_whole_guide(client, demo_hall):
    item = ServiceItem.objects.get(name="初等以下民办学校设立")
    data = client.get(f"/api/v1/items/{item.implementation_code}").json()
    assert data["name"] == item.name
    assert data["setting_basis"] == item.setting_basis
    assert [m["name"] for m in data["materials"]] == [m.name for m in item.materials.all()]
    assert data["procedure"] == item.procedure_steps()


def test_unknown_item_is_404(client, demo_hall):
    assert client.get("/api/v1/items/nope").status_code == 404


def test_it_lists_sites(client, demo_hall):
    sites = client.get("/api/v1/sites").json()
    assert sites[0]["code"] == "qjq-hall"
    assert sites[0]["level"] == "4"
    assert {s["parent"] for s in sites[1:]} == {"qjq-hall"}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page": "abc"}, "page"), ({"page": 0}, "page"), ({"page_size": 1000}, "page_size"), ({"level": "66"}, "level")],
)
def test_bad_paging_is_a_chinese_422_naming_the_field(client, params, field):
    response = client.get("/api/v1/items", params)
    assert response.status_code == 422
    body = response.json()
    assert f"“{field}”" in body["detail"]
    assert body["errors"][0]["field"] == field


def test_the_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/items", "/api/v1/items/{code}", "/api/v1/sites"} <= paths.keys()


def test_unknown_item_says_so_in_chinese(client):
    response = client.get("/api/v1/items/nope")
    assert response.status_code == 404
    assert "未找到" in response.json()["detail"]
