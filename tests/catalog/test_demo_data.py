from collections import Counter

import pytest

from quangangtong.catalog.models import CaseType, Department, Material, ModeTag, Necessity, ServiceItem
from quangangtong.demo.loader import demo_catalogue
from quangangtong.hall.models import Level, Site
from quangangtong.ids import validate_uscc

# 《前进区政务服务事项清单》 as of September 2018 (seed report).
TAG_COUNTS = {"onsite-first": 22, "immediate": 44, "online": 6, "nearby": 21, "no-meeting": 10, "one-trip": 111}


def test_it_ships_196_items_from_17_departments_as_files():
    data = demo_catalogue()
    assert len(data["departments"]) == 17
    assert len(data["items"]) == 196
    codes = [item["implementation_code"] for item in data["items"]]
    assert len(set(codes)) == len(codes)


def test_it_has_the_published_tag_counts():
    data = demo_catalogue()
    counts = Counter(tag for item in data["items"] for tag in item["modes"])
    assert dict(counts) == TAG_COUNTS
    assert all(1 <= len(item["modes"]) <= 2 for item in data["items"])


def test_department_codes_are_valid_uscc():
    for department in demo_catalogue()["departments"]:
        assert validate_uscc(department["uscc"]) == department["uscc"]


def test_items_follow_the_mode_rules():
    for item in demo_catalogue()["items"]:
        modes = set(item["modes"])
        name = item["name"]
        if "immediate" in modes:
            assert item["case_type"] == CaseType.IMMEDIATE, name
        else:
            assert item["case_type"] == CaseType.PROMISED, name
            assert item["promised_limit"] >= 1, name
        if "nearby" in modes:
            assert item["delegated_sites"], name
            assert item["level"] == Level.COMMUNITY, name
        else:
            assert not item["delegated_sites"], name
        if "no-meeting" in modes:
            assert item["visits_required"] == 0, name
        if "one-trip" in modes:
            assert item["visits_required"] <= 1, name
        if item["visits_required"] > 0:
            assert item["visits_note"], name
        assert 2 <= len(item["materials"]) <= 6, name


@pytest.mark.django_db
def test_it_loads_into_the_database(demo_hall):
    assert ServiceItem.objects.count() == 196
    assert Department.objects.count() == 17
    counts = {tag.code: tag.items.count() for tag in ModeTag.objects.all()}
    assert counts == TAG_COUNTS
    nearby = ServiceItem.objects.filter(modes__code="nearby")
    stations = Site.objects.filter(delegated_items__in=nearby).distinct()
    assert stations.count() >= 3
    assert all(item.delegated_sites.exists() for item in nearby)
    school = ServiceItem.objects.get(name="初等以下民办学校设立")
    assert school.modes.filter(code="onsite-first").exists()
    assert Material.objects.filter(necessity=Necessity.DEFERRABLE).values("item").distinct().count() >= 15


@pytest.mark.django_db
def test_loading_twice_changes_nothing(demo_hall):
    from quangangtong.demo.loader import demo_load

    before = list(ServiceItem.objects.values_list("implementation_code", "name", "promised_limit"))
    demo_load(with_accounts=False)
    assert list(ServiceItem.objects.values_list("implementation_code", "name", "promised_limit")) == before
    assert ServiceItem.objects.count() == 196
