"""Every grant, change and withdrawal of a certification is a history row; the current skills are its replay."""

import datetime
import importlib
import re
import threading

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from quangangtong.accounts.roles import Role
from quangangtong.catalog.models import Department, ServiceItem
from quangangtong.hall.models import (
    Level,
    OfficerSkill,
    OfficerSkillChange,
    Proficiency,
    Site,
    SkillAction,
    TicketCategory,
)
from quangangtong.hall.services import officer_skill_remove, officer_skill_set, officer_skill_write

DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def hall(db):
    """Load the demo hall with its floor, accounts and skills; return the district hall."""
    from quangangtong.demo.loader import demo_load

    demo_load()
    return Site.objects.get(code="qjq-hall")


@pytest.fixture
def manager(client, hall):
    client.force_login(User.objects.get(username="manager"))
    return client


def _officer(username):
    return User.objects.get(username=username)


def _replay(changes):
    """Return {(officer, category, item): (proficiency, certified_on, certified_by)} replayed oldest first."""
    current = {}
    for change in sorted(changes, key=lambda c: (c.changed_at, c.pk)):
        key = (change.officer_id, change.category_id, change.item_id)
        if change.action == SkillAction.WITHDRAWN:
            current.pop(key, None)
        else:
            current[key] = (change.proficiency, change.certified_on, change.certified_by)
    return current


def _current():
    return {
        (s.officer_id, s.category_id, s.item_id): (s.proficiency, s.certified_on, s.certified_by)
        for s in OfficerSkill.objects.all()
    }


def _grant(hall, officer, category, *, by, proficiency=Proficiency.FLUENT, certified_by="2026年岗位竞赛"):
    return officer_skill_set(
        site=hall,
        officer=officer,
        category=category,
        proficiency=proficiency,
        certified_on=DAY,
        certified_by=certified_by,
        changed_by=by,
    )


def test_the_demo_skills_come_with_their_history(hall):
    assert OfficerSkill.objects.count() > 100
    assert _replay(OfficerSkillChange.objects.all()) == _current()
    assert set(OfficerSkillChange.objects.values_list("action", "reason", "changed_by")) == {
        (SkillAction.GRANTED, "演示数据", None)
    }


def test_loading_the_demo_skills_again_writes_no_history(hall):
    from quangangtong.demo.loader import DATA_DIR, _read, demo_skills_load

    before = OfficerSkillChange.objects.count()
    demo_skills_load(_read(DATA_DIR / "floor.yaml"))
    assert OfficerSkillChange.objects.count() == before


def test_a_grant_writes_one_row_with_who_and_when(hall):
    manager = _officer("manager")
    officer = _officer("officer08")
    enterprise = TicketCategory.objects.get(site=hall, prefix="C")
    before = OfficerSkillChange.objects.count()
    _, created = _grant(hall, officer, enterprise, by=manager)
    assert created
    change = OfficerSkillChange.objects.get(officer=officer, category=enterprise)
    assert OfficerSkillChange.objects.count() == before + 1
    assert (change.action, change.proficiency, change.certified_on, change.certified_by) == (
        SkillAction.GRANTED,
        Proficiency.FLUENT,
        DAY,
        "2026年岗位竞赛",
    )
    assert change.changed_by == manager
    assert abs((change.changed_at - datetime.datetime.now(datetime.UTC)).total_seconds()) < 60


def test_a_change_writes_one_row_and_the_same_values_again_write_none(hall):
    manager = _officer("manager")
    officer = _officer("officer01")
    civil = TicketCategory.objects.get(site=hall, prefix="B")  # learning since 2018
    _grant(hall, officer, civil, by=manager)
    changes = list(OfficerSkillChange.objects.filter(officer=officer, category=civil).order_by("pk"))
    assert [c.action for c in changes] == [SkillAction.GRANTED, SkillAction.CHANGED]
    assert changes[0].proficiency == Proficiency.LEARNING
    assert (changes[1].proficiency, changes[1].certified_on, changes[1].changed_by) == (
        Proficiency.FLUENT,
        DAY,
        manager,
    )
    _, created = _grant(hall, officer, civil, by=manager)
    assert not created
    assert OfficerSkillChange.objects.filter(officer=officer, category=civil).count() == 2


def test_a_withdrawal_keeps_the_history(manager, hall):
    skill = OfficerSkill.objects.get(officer__username="officer01", category__prefix="B")
    response = manager.post(reverse("skill-remove", args=[hall.code, skill.pk]), {"reason": "调离民生事务窗口"})
    assert response.status_code == 302
    assert not OfficerSkill.objects.filter(pk=skill.pk).exists()
    changes = list(OfficerSkillChange.objects.filter(officer=skill.officer, category=skill.category).order_by("pk"))
    assert [c.action for c in changes] == [SkillAction.GRANTED, SkillAction.WITHDRAWN]
    withdrawn = changes[1]
    assert withdrawn.changed_by == _officer("manager")
    assert withdrawn.reason == "调离民生事务窗口"
    # The values the certification had when it was withdrawn.
    assert (withdrawn.proficiency, withdrawn.certified_by) == (Proficiency.LEARNING, skill.certified_by)


def test_a_manager_grant_on_the_page_records_the_manager_and_reason(manager, hall):
    officer = _officer("officer08")
    enterprise = TicketCategory.objects.get(site=hall, prefix="C")
    data = {
        "officer": officer.pk,
        "category": enterprise.pk,
        "item": "",
        "proficiency": "learning",
        "certified_on": "2026-03-01",
        "certified_by": "2026年企业服务专题培训",
        "reason": "支援企业服务窗口",
    }
    assert manager.post(reverse("skill-set", args=[hall.code]), data).status_code == 302
    change = OfficerSkillChange.objects.get(officer=officer, category=enterprise)
    assert (change.action, change.changed_by.username, change.reason) == (
        SkillAction.GRANTED,
        "manager",
        "支援企业服务窗口",
    )


def test_a_too_long_change_reason_is_refused_naming_the_field(manager, hall):
    enterprise = TicketCategory.objects.get(site=hall, prefix="C")
    data = {
        "officer": _officer("officer08").pk,
        "category": enterprise.pk,
        "proficiency": "fluent",
        "certified_on": "2026-03-01",
        "certified_by": "培训",
        "reason": "因" * 201,
    }
    response = manager.post(reverse("skill-set", args=[hall.code]), data)
    assert response.status_code == 400
    assert "变更说明：最多 200 个字。" in response.content.decode()
    assert not OfficerSkill.objects.filter(category=enterprise, officer__username="officer08").exists()


def test_a_too_long_withdrawal_reason_is_refused_naming_the_field(manager, hall):
    skill = OfficerSkill.objects.get(officer__username="officer01", category__prefix="B")
    response = manager.post(reverse("skill-remove", args=[hall.code, skill.pk]), {"reason": "因" * 201})
    assert response.status_code == 400
    assert "撤销原因：最多 200 个字。" in response.content.decode()
    assert OfficerSkill.objects.filter(pk=skill.pk).exists()
    assert not OfficerSkillChange.objects.filter(action=SkillAction.WITHDRAWN).exists()


def test_withdrawing_twice_writes_one_row(hall):
    skill = OfficerSkill.objects.get(officer__username="officer01", category__prefix="B")
    manager = _officer("manager")
    assert officer_skill_remove(skill=skill, changed_by=manager) is True
    assert officer_skill_remove(skill=skill, changed_by=manager) is False
    assert OfficerSkillChange.objects.filter(action=SkillAction.WITHDRAWN).count() == 1


def test_the_history_is_shown_to_a_manager_in_chinese(manager, hall):
    officer = _officer("officer01")
    skill = OfficerSkill.objects.get(officer=officer, category__prefix="B")
    manager.post(reverse("skill-remove", args=[hall.code, skill.pk]), {"reason": "调离民生事务窗口"})
    body = manager.get(reverse("skills-matrix", args=[hall.code])).content.decode()
    history = re.search(rf'id="history-{officer.pk}".*?</table>', body, re.S).group(0)
    rows = re.findall(r"<tr class=\"(\w+)\">(.*?)</tr>", history, re.S)
    assert [kind for kind, _ in rows] == ["withdrawn", "granted", "granted"]  # newest first
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for _, row in rows]
    assert cells[0][1:4] == ["撤销认证", "整个类别 B 民生事务", "学习中"]
    assert cells[0][6:] == ["王主任", "调离民生事务窗口"]
    assert cells[1][1] == "授予认证"
    assert cells[1][6:] == ["系统", "演示数据"]
    assert '<th scope="col">变更时间</th>' in history
    assert '<th scope="col">操作人</th>' in history


def test_a_supervisor_sees_the_history_and_an_officer_does_not(client_for, hall):
    officer = _officer("officer01")
    assert (
        f'id="history-{officer.pk}"'
        in client_for(Role.SUPERVISOR).get(reverse("skills-matrix", args=[hall.code])).content.decode()
    )
    body = client_for(Role.WINDOW_OFFICER).get(reverse("skills-matrix", args=[hall.code])).content.decode()
    assert 'id="history-' not in body
    assert "变更记录" not in body


def test_the_admin_does_not_change_skills_behind_the_history(hall, client):
    client.force_login(User.objects.create_superuser("root", password="pw-for-tests"))
    skill = OfficerSkill.objects.first()
    assert client.get(reverse("admin:hall_officerskill_add")).status_code == 403
    assert client.post(reverse("admin:hall_officerskill_delete", args=[skill.pk]), {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:hall_officerskill_change", args=[skill.pk]),
        {"officer": skill.officer_id, "proficiency": "fluent", "certified_on": "2026-01-01", "certified_by": "改"},
    )
    assert response.status_code == 403
    assert OfficerSkill.objects.get(pk=skill.pk).certified_by == skill.certified_by
    assert client.get(reverse("admin:hall_officerskill_changelist")).status_code == 200
    assert client.get(reverse("admin:hall_officerskillchange_changelist")).status_code == 200
    assert client.get(reverse("admin:hall_officerskillchange_add")).status_code == 403


def test_the_migration_records_a_granted_row_for_every_existing_skill(hall):
    migration = importlib.import_module("quangangtong.hall.migrations.0004_skill_history")
    OfficerSkillChange.objects.all().delete()
    migration.record_existing_skills(apps, None)
    assert _replay(OfficerSkillChange.objects.all()) == _current()
    assert set(OfficerSkillChange.objects.values_list("action", "reason", "changed_by")) == {
        (SkillAction.GRANTED, "迁移时已有", None)
    }


# --- two managers withdrawing at once -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_managers_withdrawing_at_once_write_one_row(make_staff):
    site = Site.objects.create(code="hall2", name="第二大厅", level=Level.COUNTY)
    category = TicketCategory.objects.create(site=site, prefix="A", name="社保医保")
    officer = make_staff(Role.WINDOW_OFFICER)
    managers = [make_staff(Role.HALL_MANAGER), make_staff(Role.HALL_MANAGER)]
    skill, _ = officer_skill_write(
        officer=officer,
        category=category,
        proficiency=Proficiency.FLUENT,
        certified_on=DAY,
        certified_by="培训",
        changed_by=managers[0],
    )
    barrier = threading.Barrier(2, timeout=30)
    results, errors = [None, None], []

    def withdraw(n):
        try:
            if connection.vendor == "sqlite":
                connection.ensure_connection()
                connection.connection.execute("PRAGMA busy_timeout = 30000")
            barrier.wait()
            results[n] = officer_skill_remove(skill=skill, changed_by=managers[n])
        except BaseException as exc:  # re-raised below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(results) == [False, True]
    assert OfficerSkillChange.objects.filter(action=SkillAction.WITHDRAWN).count() == 1
    assert not OfficerSkill.objects.exists()


# --- random sequences ---------------------------------------------------------------------------

OFFICERS = ["officer01", "officer05", "officer08"]
PREFIXES = ["A", "B", "C"]


class SkillHistoryMachine(RuleBasedStateMachine):
    """Grant, change and withdraw at random; the current table must always be the replay of the history."""

    site = None

    def __init__(self):
        super().__init__()
        # Each run starts from the freshly loaded demo hall and is rolled back at the end.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.manager = User.objects.get(username="manager")
        self.officers = [User.objects.get(username=name) for name in OFFICERS]
        self.categories = [TicketCategory.objects.get(site=self.site, prefix=p) for p in PREFIXES]
        self.items = list(ServiceItem.objects.filter(department__in=Department.objects.filter(code="jyj"))[:2])
        self.rows = OfficerSkillChange.objects.count()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _scope(self, pick):
        scopes = [{"category": c} for c in self.categories] + [{"item": i} for i in self.items]
        return scopes[pick % len(scopes)]

    @rule(
        officer=st.integers(0, len(OFFICERS) - 1),
        scope=st.integers(0, 10),
        proficiency=st.sampled_from(Proficiency.values),
        days=st.integers(0, 3),
        via=st.sampled_from(["培训", "岗位竞赛"]),
    )
    def grant_or_change(self, officer, scope, proficiency, days, via):
        officer = self.officers[officer]
        lookup = {"officer": officer, **self._scope(scope)}
        before = OfficerSkill.objects.filter(**lookup).values_list("proficiency", "certified_on", "certified_by")
        before = before.first()
        certified_on = DAY - datetime.timedelta(days=days)
        officer_skill_set(
            site=self.site,
            proficiency=proficiency,
            certified_on=certified_on,
            certified_by=via,
            changed_by=self.manager,
            **lookup,
        )
        if before != (proficiency, certified_on, via):
            self.rows += 1
            last = OfficerSkillChange.objects.order_by("-pk").first()
            assert last.action == (SkillAction.GRANTED if before is None else SkillAction.CHANGED)
            assert last.changed_by == self.manager

    @rule(officer=st.integers(0, len(OFFICERS) - 1), scope=st.integers(0, 10))
    def withdraw(self, officer, scope):
        skill = OfficerSkill.objects.filter(officer=self.officers[officer], **self._scope(scope)).first()
        if skill is None:
            return
        assert officer_skill_remove(skill=skill, changed_by=self.manager)
        assert not officer_skill_remove(skill=skill, changed_by=self.manager)
        self.rows += 1

    @invariant()
    def the_table_is_the_replay_of_the_history(self):
        assert OfficerSkillChange.objects.count() == self.rows
        assert _replay(OfficerSkillChange.objects.all()) == _current()


def test_random_grants_changes_and_withdrawals_keep_table_and_history_in_step(hall):
    SkillHistoryMachine.site = hall
    run_state_machine_as_test(
        SkillHistoryMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
