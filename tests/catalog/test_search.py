import pytest
from hypothesis import given
from hypothesis import strategies as st

from quangangtong.catalog.pinyin import normalise_query, pinyin_keys
from quangangtong.catalog.services import item_search

pytestmark = pytest.mark.django_db


def test_it_finds_identity_card_items_from_initials(demo_hall):
    items = list(item_search(q="sfz"))
    assert items
    assert all("身份证" in item.name or "身份证" in item.keywords for item in items)
    assert any("居民身份证" in item.name for item in items)


def test_it_finds_by_full_pinyin(demo_hall):
    items = list(item_search(q="minban"))
    assert "初等以下民办学校设立" in [item.name for item in items]
    assert all("minban" in item.pinyin_full for item in items)


def test_it_finds_by_chinese_text(demo_hall):
    names = [item.name for item in item_search(q="民办学校")]
    assert "初等以下民办学校设立" in names


def test_every_word_must_match(demo_hall):
    assert item_search(q="sfz 民办").count() == 0


def test_filters_combine(demo_hall):
    immediate = item_search(tag="immediate")
    assert immediate.count() == 44
    assert all(item.is_immediate for item in immediate)
    community = item_search(level="6")
    assert community.count() == 21
    education = item_search(department="jyj")
    assert education.exists()
    assert {item.department.code for item in education} == {"jyj"}


def test_an_unknown_query_finds_nothing(demo_hall):
    assert item_search(q="zzzzqqq").count() == 0


@given(st.text(alphabet="身份证民办学校登记", min_size=1, max_size=8))
def test_pinyin_keys_are_plain_latin(text):
    full, initials = pinyin_keys(text)
    assert full == normalise_query(full)
    assert initials == normalise_query(initials)
    assert len(initials) == len(text)
