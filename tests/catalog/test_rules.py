import pytest
from django.forms import modelform_factory
from hypothesis import given
from hypothesis import strategies as st

from quangangtong.catalog.admin import ServiceItemForm
from quangangtong.catalog.models import CaseType, Department, ServiceItem
from quangangtong.catalog.rules import item_problems

GOOD = {
    "visits_required": 1,
    "visits_note": "需现场核验身份",
    "charges_fee": False,
    "fee_standard": "",
    "case_type": CaseType.PROMISED,
    "promised_limit": 5,
    "promised_limit_unit": "工作日",
    "legal_limit": 20,
    "legal_limit_unit": "工作日",
}


def test_a_consistent_item_has_no_problems():
    assert item_problems(values=GOOD, mode_codes={"one-trip"}, site_count=0) == []


@pytest.mark.parametrize(
    ("change", "modes", "sites", "field"),
    [
        ({}, {"nearby"}, 0, "delegated_sites"),
        ({"visits_note": "  "}, set(), 0, "visits_note"),
        ({"charges_fee": True}, set(), 0, "fee_standard"),
        ({"promised_limit": 30}, set(), 0, "promised_limit"),
    ],
)
def test_each_rule_names_its_field(change, modes, sites, field):
    problems = item_problems(values={**GOOD, **change}, mode_codes=modes, site_count=sites)
    assert [name for name, _ in problems] == [field]
    assert all(reason for _, reason in problems)


@given(
    promised=st.integers(0, 400),
    legal=st.integers(0, 400),
    units=st.sampled_from([("工作日", "工作日"), ("工作日", "自然日"), ("即办", "工作日")]),
)
def test_a_promise_longer_than_the_law_is_refused_only_in_the_same_unit(promised, legal, units):
    values = {**GOOD, "promised_limit": promised, "legal_limit": legal}
    values["promised_limit_unit"], values["legal_limit_unit"] = units
    refused = "promised_limit" in dict(item_problems(values=values, mode_codes=set(), site_count=0))
    assert refused == (units[0] == units[1] and legal > 0 and promised > legal)


@pytest.mark.django_db
def test_the_admin_form_applies_the_rules(demo_hall):
    item = ServiceItem.objects.filter(modes__code="nearby").first()
    form_class = modelform_factory(
        ServiceItem, form=ServiceItemForm, fields=["name", "modes", "delegated_sites", "visits_required", "visits_note"]
    )
    data = {
        "name": item.name,
        "modes": [tag.pk for tag in item.modes.all()],
        "delegated_sites": [],
        "visits_required": 1,
        "visits_note": "",
    }
    form = form_class(data, instance=item)
    assert not form.is_valid()
    assert "delegated_sites" in form.errors
    assert "visits_note" in form.errors


@pytest.mark.django_db
def test_a_department_needs_a_valid_credit_code(demo_hall):
    department = Department.objects.first()
    good = department.uscc
    wrong_check = "1" if good[-1] != "1" else "2"
    form_class = modelform_factory(Department, fields=["uscc"])
    form = form_class({"uscc": good[:-1] + wrong_check}, instance=department)
    assert not form.is_valid()
    assert "校验" in str(form.errors["uscc"])
    form = form_class({"uscc": good}, instance=Department.objects.get(pk=department.pk))
    assert form.is_valid(), form.errors
