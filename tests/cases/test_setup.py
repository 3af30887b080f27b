"""The demo back office, the rules models, and the cases in the hall manager's admin."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from quangangtong.accounts.models import DepartmentMembership
from quangangtong.accounts.roles import Role, user_roles
from quangangtong.cases.models import CaseRules, ItemClockRule
from quangangtong.demo.loader import DEMO_ACCOUNTS, demo_load

from .conftest import HARDSHIP

pytestmark = pytest.mark.django_db

BACK_OFFICE = {
    "supervisor": (Role.SUPERVISOR, []),
    "approver_rsj": (Role.APPROVER, ["rsj"]),
    "approver_scjgj": (Role.APPROVER, ["scjgj"]),
    "approver_mzj": (Role.APPROVER, ["mzj"]),
    "approver_wjj": (Role.APPROVER, ["wjj"]),
    "approver_ybj": (Role.APPROVER, ["ybj"]),
    "approver01": (Role.APPROVER, ["rsj"]),
}


def test_the_demo_has_a_supervisor_and_approvers_in_their_departments():
    demo_load()
    for username, (role, departments) in BACK_OFFICE.items():
        user = User.objects.get(username=username)
        assert role in user_roles(user)
        assert sorted(DepartmentMembership.objects.filter(user=user).values_list("department__code", flat=True)) == (
            departments
        )
    assert {"supervisor", "approver_rsj"} <= {username for username, _, _ in DEMO_ACCOUNTS}


def test_loading_the_demo_twice_keeps_one_membership_each():
    demo_load()
    demo_load()
    assert DepartmentMembership.objects.filter(user__username="approver_rsj").count() == 1


def test_the_catalogue_alone_has_no_accounts(demo_hall):
    assert not DepartmentMembership.objects.exists()


def test_it_defaults_the_rules_of_a_site_without_its_own(hall):
    rules = CaseRules.for_site(hall.site)
    assert rules.pk is None
    assert (rules.yellow_days, rules.yellow_percent, rules.correction_wait_days) == (2, 20, 20)
    assert rules.number_prefix_or_default() == "QJQ-HALL"


def test_it_wants_step_shares_that_add_up_to_100(hall):
    with pytest.raises(ValidationError, match="合计应为100"):
        CaseRules(site=hall.site, handle_share=50, review_share=30, approve_share=30).full_clean()
    with pytest.raises(ValidationError, match="都填写"):
        ItemClockRule(item=hall.item(HARDSHIP), handle_share=50).full_clean()
    ItemClockRule(item=hall.item(HARDSHIP), yellow_days=3).full_clean()


def test_the_admin_shows_cases_read_only_with_numbers_masked(hall, admin_client):
    case = hall.transferred()
    listing = admin_client.get(reverse("admin:cases_case_changelist"))
    page = admin_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert listing.status_code == page.status_code == 200
    text = page.content.decode()
    assert case.number in text
    assert case.masked_id_number in text
    assert case.id_number not in text
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403


@pytest.mark.parametrize(
    "name",
    ["cases_caserules", "cases_itemclockrule", "accounts_departmentmembership", "cases_identityview",
     "cases_supervision", "cases_card", "cases_correctionnotice"],
)  # fmt: skip
def test_the_admin_lists_the_rules_and_records(hall, admin_client, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
