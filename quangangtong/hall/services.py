"""The floor's configuration (windows, ticket categories, floor rules) and the window officers' skills.

Each writing function validates everything first and raises ValidationError({field: message}) with Chinese
messages that start with the field's label; then it writes in one transaction.
"""

import datetime
import re
import string
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from quangangtong.accounts.roles import Role
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import (
    OfficerSkill,
    OfficerSkillChange,
    Proficiency,
    SkillAction,
    TicketCategory,
    Window,
    WindowSession,
    WindowState,
)

PREFIX_PATTERN = re.compile(r"[A-Z]{1,2}")
OFFICER_ROLES = (Role.WINDOW_OFFICER, Role.STATION_STAFF)
WINDOW_NUMBER_MAX = 999
RECALL_LIMIT_MAX = 10
CALL_NEAR_AHEAD_MAX = 50
FLUENCY_MINUTES_MAX = 120
STARVATION_MINUTES_RANGE = (5, 240)
TEMPLATE_FIELDS = {"number", "window"}


def _raise_if(errors):
    if errors:
        raise ValidationError(errors)


# --- floor rules --------------------------------------------------------------------------------


def _call_template_error(template):
    if not template:
        return "叫号语音模板：请填写，例如“请{number}号到{window}号窗口办理”。"
    if len(template) > 100:
        return "叫号语音模板：最多 100 个字。"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return "叫号语音模板：花括号不成对；票号写作 {number}，窗口号写作 {window}。"
    names = {name for _, name, _, _ in parts if name is not None}
    odd = [name for _, name, spec, conversion in parts if name is not None and (spec or conversion)]
    if names - TEMPLATE_FIELDS or odd or "" in names:
        return "叫号语音模板：只能使用 {number}（票号）和 {window}（窗口号）两个占位符。"
    missing = [f"{{{name}}}" for name in sorted(TEMPLATE_FIELDS - names)]
    if missing:
        return f"叫号语音模板：必须包含 {'和'.join(missing)}，否则播报不出票号或窗口号。"
    return ""


def _int_in_range(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@transaction.atomic
def site_rules_save(
    *, site, call_template, recall_limit, closing_time, fluency_threshold_minutes, starvation_minutes,
    call_near_ahead=None,
):  # fmt: skip
    """Save the site's floor rules: the call announcement, recall limit, closing time, routing thresholds and
    how many people ahead the call-near text message is sent (unchanged when None)."""
    call_template = (call_template or "").strip()
    errors = {}
    problem = _call_template_error(call_template)
    if problem:
        errors["call_template"] = problem
    if not _int_in_range(recall_limit, 0, RECALL_LIMIT_MAX):
        errors["recall_limit"] = f"重呼次数上限：请填写 0—{RECALL_LIMIT_MAX} 之间的整数。"
    if not isinstance(closing_time, datetime.time):
        errors["closing_time"] = "停止取号并清号时间：请填写时间，格式 HH:MM，例如 17:30。"
    if not _int_in_range(fluency_threshold_minutes, 0, FLUENCY_MINUTES_MAX):
        errors["fluency_threshold_minutes"] = f"熟练优先阈值：请填写 0—{FLUENCY_MINUTES_MAX} 之间的分钟数。"
    low, high = STARVATION_MINUTES_RANGE
    if not _int_in_range(starvation_minutes, low, high):
        errors["starvation_minutes"] = f"最长等候保障：请填写 {low}—{high} 之间的分钟数。"
    if call_near_ahead is not None and not _int_in_range(call_near_ahead, 0, CALL_NEAR_AHEAD_MAX):
        errors["call_near_ahead"] = f"临近叫号短信：请填写 0—{CALL_NEAR_AHEAD_MAX} 之间的人数（0 为不发短信）。"
    _raise_if(errors)
    if call_near_ahead is not None:
        site.call_near_ahead = call_near_ahead
    site.call_template = call_template
    site.recall_limit = recall_limit
    site.closing_time = closing_time
    site.fluency_threshold_minutes = fluency_threshold_minutes
    site.starvation_minutes = starvation_minutes
    site.save(
        update_fields=[
            "call_template", "recall_limit", "closing_time", "fluency_threshold_minutes", "starvation_minutes",
            "call_near_ahead",
        ]
    )  # fmt: skip
    return site


# --- windows ------------------------------------------------------------------------------------


def _window_state_error(window, state, session):
    if state not in WindowState.values:
        return "状态：请选择服务中、暂停服务或未开放。"
    if window is None:
        return "状态：新窗口在人员签到后才开放，请选择“未开放”。" if state != WindowState.CLOSED else ""
    if state == window.state:
        return ""
    if state == WindowState.CLOSED and session is not None:
        who = session.officer.get_full_name() or session.officer.get_username()
        return f"状态：{window}有{who}签到，请其先签退，窗口随之关闭。"
    if state != WindowState.CLOSED and session is None:
        return f"状态：{window}没有人员签到，不能设为“{WindowState(state).label}”；人员签到后窗口自动开放。"
    return ""


@transaction.atomic
def window_save(*, site, number, categories, name="", state=None, window=None):
    """Create a window of site, or change one: number, name, the categories it serves and its state."""
    name = (name or "").strip()
    categories = list(categories)
    errors = {}
    if not _int_in_range(number, 1, WINDOW_NUMBER_MAX):
        errors["number"] = f"窗口号：请填写 1—{WINDOW_NUMBER_MAX} 之间的整数。"
    elif Window.objects.filter(site=site, number=number).exclude(pk=getattr(window, "pk", None)).exists():
        errors["number"] = f"窗口号：本站点已有 {number} 号窗口，请换一个号。"
    if len(name) > 30:
        errors["name"] = "名称：最多 30 个字。"
    if not categories:
        errors["categories"] = "服务类别：请至少选择一个类别，否则这个窗口叫不到号。"
    elif any(category.site_id != site.pk for category in categories):
        errors["categories"] = "服务类别：只能选择本站点的取号类别。"
    elif window is not None:
        from quangangtong.queueing.models import Ticket, TicketStatus

        stranded = (
            Ticket.objects.filter(reserved_window=window, status=TicketStatus.WAITING)
            .exclude(category__in=categories)
            .select_related("category")
            .first()
        )
        if stranded:
            errors["categories"] = (
                f"服务类别：{stranded.number}号已转至本窗口、属于“{stranded.category.name}”类别，"
                "去掉这个类别它将无人叫号；请先叫号办理后再修改。"
            )
    session = WindowSession.objects.filter(window=window, signed_out_at=None).first() if window else None
    if state is not None:
        problem = _window_state_error(window, state, session)
        if problem:
            errors["state"] = problem
    _raise_if(errors)
    if window is None:
        window = Window(site=site)
    old_state = window.state if window.pk else None
    window.number, window.name = number, name
    if state is not None:
        window.state = state
        if state != WindowState.PAUSED:
            window.pause_reason = ""
        elif old_state != WindowState.PAUSED:
            window.pause_reason = "暂停服务"
    window.save()
    window.categories.set(categories)
    if old_state is not None and old_state != window.state:
        _publish_window(window)
    return window


def _publish_window(window):
    # Displays learn of pauses from the live feed, the same event the workbench's pause writes.
    from quangangtong.queueing.models import LiveEvent
    from quangangtong.queueing.services import waiting_counts

    payload = {"window": window.number, "state": window.state, "waiting": waiting_counts(window.site)}
    if window.state == WindowState.PAUSED:
        payload["reason"] = window.pause_reason
    LiveEvent.objects.create(site=window.site, kind="window", payload=payload, created_at=timezone.now())


# --- ticket categories --------------------------------------------------------------------------


@transaction.atomic
def ticket_category_save(*, site, prefix, name, description="", is_active=True, items=None, category=None):
    """Create a ticket category of site, or change one; items None leaves the category's items as they are."""
    from quangangtong.queueing.models import Ticket, TicketStatus

    prefix = (prefix or "").strip().upper()
    name = (name or "").strip()
    description = (description or "").strip()
    errors = {}
    if not PREFIX_PATTERN.fullmatch(prefix):
        errors["prefix"] = "字母前缀：请填写 1—2 个英文字母，例如 A 或 AB（票号为 A001）。"
    elif TicketCategory.objects.filter(site=site, prefix=prefix).exclude(pk=getattr(category, "pk", None)).exists():
        errors["prefix"] = f"字母前缀：本站点已有前缀为 {prefix} 的类别，请换一个字母。"
    elif category is not None and category.prefix != prefix:
        open_today = Ticket.objects.filter(
            category=category,
            day=timezone.localdate(),
            status__in=(TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.HELD),
        )
        if open_today.exists():
            errors["prefix"] = "字母前缀：该类别今天还有未办完的票，改前缀会让票号和类别对不上，请日终清号后再改。"
    if not name:
        errors["name"] = "名称：请填写类别名称，例如 社保医保。"
    elif len(name) > 30:
        errors["name"] = "名称：最多 30 个字。"
    if len(description) > 200:
        errors["description"] = "说明：最多 200 个字。"
    if items is not None:
        items = list(items)
        if any(not isinstance(item, ServiceItem) for item in items):
            errors["items"] = "包含事项：所选事项不存在，请刷新页面后重选。"
    _raise_if(errors)
    if category is None:
        last = TicketCategory.objects.filter(site=site).aggregate(n=Max("sort_order"))["n"]
        category = TicketCategory(site=site, sort_order=0 if last is None else last + 1)
    category.prefix, category.name, category.description = prefix, name, description
    category.is_active = bool(is_active)
    category.save()
    if items is not None:
        category.items.set(items)
    return category


# --- skills -------------------------------------------------------------------------------------


def officers_for(site):
    """Return the active window officers (or station staff) of site, or anyone certified for its work."""
    role = Role.STATION_STAFF if site.is_station else Role.WINDOW_OFFICER
    certified = OfficerSkill.objects.filter(Q(category__site=site) | Q(item__ticket_categories__site=site)).values(
        "officer"
    )
    return (
        User.objects.filter(is_active=True, groups__name__in=[r.label for r in OFFICER_ROLES])
        .filter(Q(groups__name=role.label) | Q(pk__in=certified))
        .distinct()
        .order_by("username")
    )


def site_items(site):
    """Return the active items covered by site's active ticket categories."""
    return (
        ServiceItem.objects.filter(is_active=True, ticket_categories__site=site, ticket_categories__is_active=True)
        .select_related("department")
        .distinct()
    )


@transaction.atomic
def officer_skill_set(
    *, site, officer, proficiency, certified_on, certified_by, changed_by, category=None, item=None, reason=""
):
    """Certify officer for a whole ticket category or one item of site, or change that certification.

    changed_by is the user making the change, kept in the skill's history. Return (skill, created).
    """
    certified_by = (certified_by or "").strip()
    reason = (reason or "").strip()
    errors = {}
    if officer is None or not officer.is_active:
        errors["officer"] = "人员：请选择在职的窗口人员。"
    elif not officer.groups.filter(name__in=[r.label for r in OFFICER_ROLES]).exists():
        errors["officer"] = f"人员：{officer.get_full_name() or officer.get_username()}不是综合窗口人员或社区工作人员。"
    if (category is None) == (item is None):
        errors["category"] = "认证范围：请选择“整个类别”或“单个事项”，二者选一。"
    elif category is not None and category.site_id != site.pk:
        errors["category"] = "整个类别：只能选择本站点的取号类别。"
    elif item is not None and not site_items(site).filter(pk=item.pk).exists():
        errors["item"] = f"单个事项：“{item.name}”不在本站点的取号类别中，请先在大厅配置中把它加入某个类别。"
    if proficiency not in Proficiency.values:
        errors["proficiency"] = "熟练程度：请选择“熟练”或“学习中”。"
    if not isinstance(certified_on, datetime.date):
        errors["certified_on"] = "认证日期：请填写日期，格式 YYYY-MM-DD。"
    elif certified_on > timezone.localdate():
        errors["certified_on"] = "认证日期：不能晚于今天。"
    if not certified_by:
        errors["certified_by"] = "认证方式：请填写培训或竞赛名称，例如“2018年6月集中业务培训”。"
    elif len(certified_by) > 100:
        errors["certified_by"] = "认证方式：最多 100 个字。"
    if len(reason) > 200:
        errors["reason"] = "变更说明：最多 200 个字。"
    _raise_if(errors)
    return officer_skill_write(
        officer=officer,
        category=category,
        item=item,
        proficiency=proficiency,
        certified_on=certified_on,
        certified_by=certified_by,
        changed_by=changed_by,
        reason=reason,
    )


@transaction.atomic
def officer_skill_write(
    *, officer, proficiency, certified_on, certified_by, changed_by, category=None, item=None, reason=""
):
    """Write a certification whose values are already checked, with its history row; return (skill, created).

    Saving the values the certification already has changes nothing and writes no history row.
    """
    lookup = {"officer": officer, "category": category} if category else {"officer": officer, "item": item}
    values = {"proficiency": proficiency, "certified_on": certified_on, "certified_by": certified_by}
    # Ordered by pk: the model's ordering outer-joins category and item, which PostgreSQL cannot lock FOR UPDATE.
    skill = OfficerSkill.objects.select_for_update().filter(**lookup).order_by("pk").first()
    if skill is None:
        try:
            with transaction.atomic():
                skill = OfficerSkill.objects.create(**lookup, **values)
        except IntegrityError:
            # Another request certified the same scope a moment ago: this one becomes a change of it.
            skill = OfficerSkill.objects.select_for_update().get(**lookup)
        else:
            _skill_change_write(skill=skill, action=SkillAction.GRANTED, changed_by=changed_by, reason=reason)
            return skill, True
    changed = [name for name, value in values.items() if getattr(skill, name) != value]
    if changed:
        for name in changed:
            setattr(skill, name, values[name])
        skill.save(update_fields=changed)
        _skill_change_write(skill=skill, action=SkillAction.CHANGED, changed_by=changed_by, reason=reason)
    return skill, False


@transaction.atomic
def officer_skill_remove(*, skill, changed_by, reason=""):
    """Withdraw a certification: the officer is no longer called for that item or category.

    Return False, writing nothing, when it was already withdrawn (a double click, or two managers at once).
    """
    reason = (reason or "").strip()
    _raise_if({"reason": "撤销原因：最多 200 个字。"} if len(reason) > 200 else {})
    # The lock makes a second, concurrent withdrawal wait for the first and then find nothing to withdraw.
    current = OfficerSkill.objects.select_for_update().filter(pk=skill.pk).order_by("pk").first()
    if current is None:
        return False
    deleted, _ = OfficerSkill.objects.filter(pk=current.pk).delete()
    if not deleted:
        return False
    _skill_change_write(skill=current, action=SkillAction.WITHDRAWN, changed_by=changed_by, reason=reason)
    return True


def _skill_change_write(*, skill, action, changed_by, reason=""):
    return OfficerSkillChange.objects.create(
        officer_id=skill.officer_id,
        item_id=skill.item_id,
        category_id=skill.category_id,
        action=action,
        proficiency=skill.proficiency,
        certified_on=skill.certified_on,
        certified_by=skill.certified_by,
        changed_by=changed_by,
        changed_at=timezone.now(),
        reason=reason,
    )


def skill_history(*, site, officers=None):
    """Return the certification changes for site's categories and items, newest first, with who made them."""
    changes = OfficerSkillChange.objects.filter(Q(category__site=site) | Q(item__ticket_categories__site=site))
    if officers is not None:
        changes = changes.filter(officer__in=officers)
    return (
        changes.select_related("category", "item", "item__department", "changed_by")
        .distinct()
        .order_by("-changed_at", "-pk")
    )


def skill_in_site(skill, site):
    """Tell whether the certification is for a category or an item of site."""
    if skill.category_id:
        return skill.category.site_id == site.pk
    return site_items(site).filter(pk=skill.item_id).exists()


# --- the skill matrix ---------------------------------------------------------------------------


@dataclass
class MatrixCell:
    category: TicketCategory
    skill: OfficerSkill | None = None  # the whole-category certification
    item_skills: list = field(default_factory=list)
    items_total: int = 0

    @property
    def is_empty(self):
        return self.skill is None and not self.item_skills


@dataclass
class MatrixRow:
    officer: User
    window: Window | None
    cells: list
    skills: list
    history: list = field(default_factory=list)  # filled only when asked for


@dataclass
class SkillMatrix:
    categories: list
    rows: list
    uncertified_items: list  # no officer at all is certified
    unserved_items: list  # nobody signed in now can serve (excluding the uncertified ones)
    uncertified_categories: list
    unserved_categories: list
    on_floor: int


def skill_matrix(*, site, with_history=False):
    """Return officers × categories of site, and the items and categories nobody (on the floor now) can serve.

    with_history adds each officer's certification changes at site, newest first.
    """
    categories = list(TicketCategory.objects.filter(site=site, is_active=True).prefetch_related("items"))
    items_of = {c.pk: {i.pk for i in c.items.all() if i.is_active} for c in categories}
    officers = list(officers_for(site))
    skills = list(
        OfficerSkill.objects.filter(Q(category__site=site) | Q(item__ticket_categories__site=site))
        .select_related("category", "item", "item__department", "officer")
        .distinct()
        .order_by("category__sort_order", "item__sort_order", "pk")
    )
    by_officer_category, by_officer_items = {}, {}
    for skill in skills:
        if skill.category_id:
            by_officer_category[skill.officer_id, skill.category_id] = skill
        else:
            by_officer_items.setdefault(skill.officer_id, {})[skill.item_id] = skill
    sessions = list(
        WindowSession.objects.filter(window__site=site, signed_out_at=None)
        .select_related("window", "officer")
        .prefetch_related("window__categories")
    )
    window_of = {s.officer_id: s.window for s in sessions}

    rows = []
    for officer in officers:
        item_skills = by_officer_items.get(officer.pk, {})
        cells = [
            MatrixCell(
                category=c,
                skill=by_officer_category.get((officer.pk, c.pk)),
                item_skills=[item_skills[i] for i in sorted(items_of[c.pk] & item_skills.keys())],
                items_total=len(items_of[c.pk]),
            )
            for c in categories
        ]
        officer_skills = [s for s in skills if s.officer_id == officer.pk]
        rows.append(MatrixRow(officer=officer, window=window_of.get(officer.pk), cells=cells, skills=officer_skills))
    if with_history:
        history_of = {}
        for change in skill_history(site=site, officers=officers):
            history_of.setdefault(change.officer_id, []).append(change)
        for row in rows:
            row.history = history_of.get(row.officer.pk, [])

    def servable(officer_id, category_ids):
        """Return (items, categories) the officer can serve within category_ids."""
        items, cats = set(), set()
        mine = by_officer_items.get(officer_id, {}).keys()
        for category_id in category_ids:
            if (officer_id, category_id) in by_officer_category:
                items |= items_of[category_id]
                cats.add(category_id)
            else:
                certified = items_of[category_id] & mine
                items |= certified
                if certified:
                    # Routing lets item-certified officers take the category's general tickets too.
                    cats.add(category_id)
        return items, cats

    all_ids = [c.pk for c in categories]
    certified_items, certified_categories = set(), set()
    for officer_id in {s.officer_id for s in skills}:
        items, cats = servable(officer_id, all_ids)
        certified_items |= items
        certified_categories |= cats
    now_items, now_categories = set(), set()
    for session in sessions:
        served_here = [c.pk for c in session.window.categories.all() if c.pk in items_of]
        items, cats = servable(session.officer_id, served_here)
        now_items |= items
        now_categories |= cats

    every_item = list(site_items(site).order_by("department__sort_order", "sort_order", "pk"))
    prefixes = {}
    for c in categories:
        for item_id in items_of[c.pk]:
            prefixes.setdefault(item_id, []).append(c.prefix)
    for item in every_item:
        item.category_prefixes = prefixes.get(item.pk, [])
    return SkillMatrix(
        categories=categories,
        rows=rows,
        uncertified_items=[i for i in every_item if i.pk not in certified_items],
        unserved_items=[i for i in every_item if i.pk in certified_items and i.pk not in now_items],
        uncertified_categories=[c for c in categories if c.pk not in certified_categories],
        unserved_categories=[c for c in categories if c.pk in certified_categories and c.pk not in now_categories],
        on_floor=len(sessions),
    )
