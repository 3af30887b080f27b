"""The skill matrix: who is certified for what, which items nobody can serve, and who may change it."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from quangangtong.accounts.roles import Role
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import OfficerSkill, Proficiency, Site, TicketCategory, Window
from quangangtong.hall.services import officer_skill_set, skill_matrix
from quangangtong.queueing.models import Ticket, TicketStatus
from quangangtong.queueing.services import ticket_issue, window_sign_in


@pytest.fixture
def hall(db):
    """Load the demo hall with its floor, accounts and skills; return the district hall, open all day."""
    from quangangtong.demo.loader import demo_load

    demo_load()
    site = Site.objects.get(code="qjq-hall")
    site.closing_time = datetime.time.max
    site.save(update_fields=["closing_time"])
    return site


@pytest.fixture
def manager(client, hall):
    client.force_login(User.objects.get(username="manager"))
    return client


def _url(site, name="skills-matrix", *args):
    return reverse(name, args=[site.code, *args])


def _officer(username):
    return User.objects.get(username=username)


def _without_enterprise_skills(hall):
    """Withdraw every certification for category C, so nobody can serve its items."""
    OfficerSkill.objects.filter(category__site=hall, category__prefix="C").delete()
    return ServiceItem.objects.filter(department__code="jyj").first()


def test_it_sends_anonymous_visitors_to_sign_in(client, hall):
    response = client.get(_url(hall))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_it_refuses_a_guide(client_for, hall):
    assert client_for(Role.GUIDE).get(_url(hall)).status_code == 403


@pytest.mark.parametrize("role", [Role.HALL_MANAGER, Role.SUPERVISOR, Role.WINDOW_OFFICER])
def test_it_shows_the_matrix_to(client_for, hall, role):
    assert client_for(role).get(_url(hall)).status_code == 200


def test_it_answers_404_for_an_unknown_site(manager):
    assert manager.get("/staff/floor/nowhere/skills/").status_code == 404


def test_it_shows_officers_by_categories(manager, hall):
    body = manager.get(_url(hall)).content.decode()
    for prefix, name in (("A", "社保医保"), ("B", "民生事务"), ("C", "企业服务"), ("D", "出件取件"), ("E", "咨询")):
        assert f'<th scope="col">{prefix} {name}</th>' in body
    for n in range(1, 14):
        assert f'id="row-officer{n:02d}"' in body
    assert 'id="row-station01"' not in body
    row = re.search(r'id="row-officer03".*?</tr>', body, re.S).group(0)
    assert re.search(r'class="fluent" data-category="A"><abbr title="熟练 · 自 2018-06-30 · 岗位竞赛', row)
    assert re.search(r'class="fluent" data-category="B"', row)
    assert re.search(r'class="none" data-category="C">—', row)
    learner = re.search(r'id="row-officer01".*?</tr>', body, re.S).group(0)
    assert re.search(r'class="learning" data-category="B"><abbr title="学习中', learner)


def test_it_counts_item_certifications_out_of_the_categorys_items(manager, hall):
    civil = TicketCategory.objects.get(site=hall, prefix="B")
    certified = civil.items.filter(department__code__in=["mzj", "wjj"], is_active=True).count()
    total = civil.items.filter(is_active=True).count()
    body = manager.get(_url(hall)).content.decode()
    row = re.search(r'id="row-officer02".*?</tr>', body, re.S).group(0)
    assert re.search(rf'class="partial" data-category="B"><abbr title="[^"]+">{certified}/{total} 项</abbr>', row)
    assert 0 < certified < total


def test_it_shows_who_is_signed_in_where(manager, hall):
    window_sign_in(window=Window.objects.get(site=hall, number=3), officer=_officer("officer03"))
    body = manager.get(_url(hall)).content.decode()
    row = re.search(r'id="row-officer03".*?</tr>', body, re.S).group(0)
    assert "<td>3号窗口</td>" in row


def test_the_demo_hall_has_every_item_certified(hall):
    matrix = skill_matrix(site=hall)
    assert matrix.uncertified_items == []
    assert matrix.uncertified_categories == []


def test_it_lists_an_item_nobody_is_certified_for_with_its_department(manager, hall):
    item = _without_enterprise_skills(hall)
    body = manager.get(_url(hall)).content.decode()
    uncertified = re.search(r'id="uncertified-items".*?</table>', body, re.S).group(0)
    assert f"<td>{item.name}</td><td>{item.department.name}</td><td>C</td>" in uncertified
    assert "C 企业服务" in re.search(r'id="uncertified-categories".*?</p>', body, re.S).group(0)


def test_it_says_when_nobody_is_on_the_floor(manager, hall):
    body = manager.get(_url(hall)).content.decode()
    assert 'id="nobody-on-floor"' in body


def test_it_lists_the_items_nobody_signed_in_now_can_serve(manager, hall):
    # officer01 is fluent in A and learning B, but window 1 serves only A: B's items are out of reach today.
    window_sign_in(window=Window.objects.get(site=hall, number=1), officer=_officer("officer01"))
    matrix = skill_matrix(site=hall)
    civil_item = TicketCategory.objects.get(site=hall, prefix="B").items.first()
    pension = TicketCategory.objects.get(site=hall, prefix="A").items.first()
    assert civil_item in matrix.unserved_items
    assert pension not in matrix.unserved_items
    assert [c.prefix for c in matrix.unserved_categories] == ["B", "C", "D", "E"]
    body = manager.get(_url(hall)).content.decode()
    unserved = re.search(r'id="unserved-items".*?</table>', body, re.S).group(0)
    assert f"<td>{civil_item.name}</td><td>{civil_item.department.name}</td>" in unserved
    assert f"<td>{pension.name}</td>" not in unserved


def test_an_item_certification_covers_that_item_only(hall):
    # officer13 (D, E) holds item certifications for rsj and ybj: at window 2 (A, B) they cover those items only.
    window_sign_in(window=Window.objects.get(site=hall, number=2), officer=_officer("officer13"))
    matrix = skill_matrix(site=hall)
    unserved = {item.department.code for item in matrix.unserved_items}
    assert "rsj" not in unserved
    assert "mzj" in unserved


def test_an_officer_without_the_skill_is_never_called_that_items_ticket(client, hall):
    item = _without_enterprise_skills(hall)
    officer = _officer("officer09")  # was fluent in C, learning B
    window5 = Window.objects.get(site=hall, number=5)  # serves C only
    client.force_login(officer)
    assert client.post(reverse("workbench-action", args=["sign-in"]), {"window": window5.pk}).status_code == 302
    ticket, _ = ticket_issue(site=hall, item=item)
    response = client.post(reverse("workbench-action", args=["call-next"]), {"window": window5.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert list(ticket.events.values_list("kind", flat=True)) == ["issued"]
    assert "目前没有您可办理的等候票" in client.get(reverse("workbench")).content.decode()
    assert client.get(reverse("workbench-state")).json()["eligible"] == 0
    matrix = client.get(_url(hall)).content.decode()
    assert item.name in re.search(r'id="uncertified-items".*?</table>', matrix, re.S).group(0)


def test_once_certified_the_officer_is_called_that_items_ticket(client, manager, hall):
    item = _without_enterprise_skills(hall)
    officer = _officer("officer09")
    response = manager.post(
        _url(hall, "skill-set"),
        {
            "officer": officer.pk,
            "item": item.pk,
            "proficiency": "learning",
            "certified_on": "2026-01-05",
            "certified_by": "2026年1月企业服务专题培训",
        },
    )
    assert response.status_code == 302
    window5 = Window.objects.get(site=hall, number=5)
    window_sign_in(window=window5, officer=officer)
    ticket, _ = ticket_issue(site=hall, item=item)
    client.force_login(officer)
    client.post(reverse("workbench-action", args=["call-next"]), {"window": window5.pk})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    assert ticket.officer == officer


def test_an_officer_certified_for_some_items_of_a_category_is_not_called_its_other_items(client, hall):
    officer = _officer("officer02")  # fluent in A, certified for the mzj and wjj items of B only
    window3 = Window.objects.get(site=hall, number=3)
    window_sign_in(window=window3, officer=officer)
    identity_card = ServiceItem.objects.filter(department__code="gaj").first()
    ticket, _ = ticket_issue(site=hall, item=identity_card)
    client.force_login(officer)
    client.post(reverse("workbench-action", args=["call-next"]), {"window": window3.pk})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


# --- editing ------------------------------------------------------------------------------------


def _skill_data(person, **changes):
    return {
        "officer": person.pk,
        "category": "",
        "item": "",
        "proficiency": "fluent",
        "certified_on": "2026-03-01",
        "certified_by": "2026年岗位竞赛",
        **changes,
    }


def test_a_manager_certifies_an_officer_for_a_whole_category(manager, hall):
    officer = _officer("officer08")
    enterprise = TicketCategory.objects.get(site=hall, prefix="C")
    response = manager.post(_url(hall, "skill-set"), _skill_data(officer, category=enterprise.pk))
    assert response.status_code == 302
    skill = OfficerSkill.objects.get(officer=officer, category=enterprise)
    assert skill.proficiency == Proficiency.FLUENT
    assert skill.certified_on == datetime.date(2026, 3, 1)
    assert skill.certified_by == "2026年岗位竞赛"
    body = manager.get(response.url).content.decode()
    assert "已新增认证" in body
    row = re.search(r'id="row-officer08".*?</tr>', body, re.S).group(0)
    assert re.search(r'class="fluent" data-category="C"', row)


def test_a_manager_changes_a_certification(manager, hall):
    officer = _officer("officer01")
    civil = TicketCategory.objects.get(site=hall, prefix="B")
    response = manager.post(_url(hall, "skill-set"), _skill_data(officer, category=civil.pk))
    assert response.status_code == 302
    assert OfficerSkill.objects.get(officer=officer, category=civil).proficiency == Proficiency.FLUENT
    assert OfficerSkill.objects.filter(officer=officer, category=civil).count() == 1
    assert "已更新认证" in manager.get(response.url).content.decode()


def test_the_edit_link_fills_the_form_with_the_certification(manager, hall):
    skill = OfficerSkill.objects.get(officer__username="officer01", category__prefix="B")
    body = manager.get(_url(hall) + f"?edit={skill.pk}").content.decode()
    assert re.search(rf'<option value="{skill.category_id}" selected>B 民生事务</option>', body)
    assert 'value="原人社窗口，2018年6月集中业务培训"' in body


def test_a_manager_withdraws_a_certification(manager, hall):
    skill = OfficerSkill.objects.get(officer__username="officer01", category__prefix="B")
    response = manager.post(_url(hall, "skill-remove", skill.pk))
    assert response.status_code == 302
    assert not OfficerSkill.objects.filter(pk=skill.pk).exists()


def test_a_certification_of_another_site_is_not_withdrawn_here(manager, hall):
    skill = OfficerSkill.objects.get(officer__username="station01")
    assert manager.post(_url(hall, "skill-remove", skill.pk)).status_code == 404
    assert OfficerSkill.objects.filter(pk=skill.pk).exists()


@pytest.mark.parametrize("role", [Role.WINDOW_OFFICER, Role.SUPERVISOR])
def test_only_a_manager_edits_skills(client_for, hall, role):
    client = client_for(role)
    enterprise = TicketCategory.objects.get(site=hall, prefix="C")
    response = client.post(_url(hall, "skill-set"), _skill_data(_officer("officer08"), category=enterprise.pk))
    assert response.status_code == 403
    skill = OfficerSkill.objects.get(officer__username="officer01", category__prefix="B")
    assert client.post(_url(hall, "skill-remove", skill.pk)).status_code == 403
    assert not OfficerSkill.objects.filter(officer__username="officer08", category=enterprise).exists()
    assert OfficerSkill.objects.filter(pk=skill.pk).exists()


def test_an_officer_sees_no_edit_form(client_for, hall):
    body = client_for(Role.WINDOW_OFFICER).get(_url(hall)).content.decode()
    assert "保存认证" not in body
    assert "撤销" not in body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "认证范围：请选择“整个类别”或“单个事项”，二者选一。"),
        ({"category": "both", "item": "both"}, "认证范围：请选择“整个类别”或“单个事项”，二者选一。"),
        ({"category": "C", "certified_by": "  "}, "认证方式：请填写培训或竞赛名称"),
        ({"category": "C", "certified_by": "培" * 101}, "认证方式：最多 100 个字。"),
        ({"category": "C", "certified_on": "2026/03/01"}, "认证日期：格式应为 YYYY-MM-DD。"),
        ({"category": "C", "certified_on": "future"}, "认证日期：不能晚于今天。"),
        ({"category": "C", "proficiency": "expert"}, "熟练程度：请选择“熟练”或“学习中”。"),
        ({"category": "C", "officer": "guide"}, "人员：所选人员不是本站点的窗口人员。"),
        ({"category": "S"}, "整个类别：所选类别不属于本站点。"),
    ],
)
def test_it_refuses_a_bad_certification_naming_the_field(manager, hall, changes, message):
    enterprise = TicketCategory.objects.get(site=hall, prefix="C")
    item = enterprise.items.first()
    data = _skill_data(_officer("officer08"), **changes)
    values = {
        "C": enterprise.pk,
        "S": TicketCategory.objects.get(prefix="S").pk,
        "both": None,
        "future": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
        "guide": _officer("guide01").pk,
    }
    for key in ("category", "certified_on", "officer"):
        if data[key] in values:
            data[key] = values[data[key]]
    if changes.get("category") == "both":
        data["category"], data["item"] = enterprise.pk, item.pk
    before = OfficerSkill.objects.count()
    response = manager.post(_url(hall, "skill-set"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert OfficerSkill.objects.count() == before


def test_the_service_refuses_an_item_outside_the_site(hall):
    station = Site.objects.get(code="gangwan")
    item = ServiceItem.objects.exclude(ticket_categories__site=station).first()
    with pytest.raises(ValidationError) as caught:
        officer_skill_set(
            site=station,
            officer=_officer("station01"),
            item=item,
            proficiency="fluent",
            certified_on=datetime.date(2026, 1, 1),
            certified_by="培训",
            changed_by=None,
        )
    assert "item" in caught.value.message_dict


def test_the_service_refuses_someone_who_is_not_a_window_officer(hall):
    with pytest.raises(ValidationError) as caught:
        officer_skill_set(
            site=hall,
            officer=_officer("manager"),
            category=TicketCategory.objects.get(site=hall, prefix="A"),
            proficiency="fluent",
            certified_on=datetime.date(2026, 1, 1),
            certified_by="培训",
            changed_by=None,
        )
    assert caught.value.message_dict["officer"] == ["人员：王主任不是综合窗口人员或社区工作人员。"]
    assert not OfficerSkill.objects.filter(officer__username="manager").exists()


def test_withdrawing_a_certification_stops_the_calls(client, manager, hall):
    window1 = Window.objects.get(site=hall, number=1)
    officer = _officer("officer01")
    window_sign_in(window=window1, officer=officer)
    skill = OfficerSkill.objects.get(officer=officer, category__prefix="A")
    manager.post(_url(hall, "skill-remove", skill.pk))
    ticket_issue(site=hall, category="A")
    client.force_login(officer)
    client.post(reverse("workbench-action", args=["call-next"]), {"window": window1.pk})
    assert not Ticket.objects.exclude(status=TicketStatus.WAITING).exists()
