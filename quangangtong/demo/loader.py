"""Load the demo hall (前进区-like district, 17 departments, 196 items) from the YAML files in data/."""

import functools
from pathlib import Path

import yaml
from django.db import transaction

from quangangtong.accounts.roles import Role
from quangangtong.accounts.services import roles_ensure, staff_user_create
from quangangtong.catalog.models import Department, Material, ModeTag, ServiceItem
from quangangtong.catalog.pinyin import pinyin_keys
from quangangtong.hall.models import (
    OfficerSkill,
    OfficerSkillChange,
    Proficiency,
    Site,
    SkillAction,
    TicketCategory,
    Window,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "qgt-demo-2026"
DEMO_SKILL_REASON = "演示数据"

# (username, full name, roles): the report's 13 window officers and one account for every other role.
DEMO_ACCOUNTS = [
    ("manager", "王主任", [Role.HALL_MANAGER]),
    ("guide01", "李引导", [Role.GUIDE]),
    *[(f"officer{n:02d}", f"综合窗口{n:02d}", [Role.WINDOW_OFFICER]) for n in range(1, 14)],
    ("approver01", "人社审批员", [Role.APPROVER]),
    ("inspector01", "现场核查员", [Role.INSPECTOR]),
    ("supervisor01", "督查员", [Role.SUPERVISOR]),
    ("station01", "港湾社区工作人员", [Role.STATION_STAFF]),
]

ITEM_FIELDS = [
    "basic_code", "name", "keywords", "item_type", "level", "case_type", "setting_basis",
    "acceptance_conditions", "special_procedure", "legal_limit", "legal_limit_unit", "legal_limit_note",
    "promised_limit", "promised_limit_unit", "promised_limit_note", "charges_fee", "fee_standard", "fee_basis",
    "handling_forms", "service_objects", "visits_required", "visits_note", "result_name", "location", "hours",
    "consult_phone", "supervise_phone", "supports_appointment", "supports_express", "online_url",
]  # fmt: skip
MATERIAL_FIELDS = ["name", "material_type", "form", "source", "necessity", "originals", "copies", "issuer", "note"]


@functools.cache
def _read(path):
    # Parsed once per process and never mutated by the loader: the suite loads the demo hall many times.
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


# The back office for cases (data/staff.yaml): a supervisor, and approvers with the departments they belong to.
BACK_OFFICE = _read(DATA_DIR / "staff.yaml")
DEMO_ACCOUNTS += [
    (row["username"], row["name"], [Role(role) for role in row["roles"]]) for row in BACK_OFFICE if "roles" in row
]


def demo_catalogue():
    """Return the demo data as plain dicts: sites, modes, departments and items (with their department code)."""
    items = []
    for path in sorted((DATA_DIR / "items").glob("*.yaml")):
        document = _read(path)
        for item in document["items"]:
            items.append({**item, "department": document["department"]})
    return {
        "sites": _read(DATA_DIR / "sites.yaml"),
        "modes": _read(DATA_DIR / "modes.yaml"),
        "departments": _read(DATA_DIR / "departments.yaml"),
        "items": items,
    }


@transaction.atomic
def demo_load(*, with_accounts=True):
    """Load the demo catalogue and accounts into an empty database; return the number of items loaded."""
    data = demo_catalogue()
    sites = {}
    for order, row in enumerate(data["sites"]):
        parent = sites[row["parent"]] if row.get("parent") else None
        fields = {k: row.get(k, "") for k in ("name", "level", "division_code", "address", "phone", "opening_hours")}
        sites[row["code"]], _ = Site.objects.update_or_create(
            code=row["code"], defaults={**fields, "parent": parent, "sort_order": order}
        )
    modes = {}
    for order, row in enumerate(data["modes"]):
        modes[row["code"]], _ = ModeTag.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "description": row["description"], "sort_order": order}
        )
    departments = {}
    for row in data["departments"]:
        fields = {k: row.get(k, "") for k in ("name", "short_name", "uscc", "nature", "phone", "address")}
        departments[row["code"]], _ = Department.objects.update_or_create(
            code=row["code"], defaults={**fields, "sort_order": row.get("sort_order", 0)}
        )
    _items_load(data["items"], departments=departments, modes=modes, sites=sites)
    floor = _read(DATA_DIR / "floor.yaml")
    demo_floor_load(floor)
    if with_accounts:
        demo_accounts_create()
        demo_skills_load(floor)
    return len(data["items"])


def _items_load(rows, *, departments, modes, sites):
    # Written in bulk (a handful of queries, not thousands): the test suite loads the demo hall often.
    existing = {item.implementation_code: item for item in ServiceItem.objects.all()}
    items, new = [], []
    for order, row in enumerate(rows):
        fields = {name: row[name] for name in ITEM_FIELDS}
        fields["procedure"] = "\n".join(row["procedure"])
        fields["faq"] = "\n".join(f"问：{pair['q']}\n答：{pair['a']}" for pair in row.get("faq") or [])
        fields.update(department=departments[row["department"]], sort_order=order)
        item = existing.get(row["implementation_code"])
        if item is None:
            item = ServiceItem(implementation_code=row["implementation_code"], **fields)
            item.pinyin_full, item.pinyin_initials = pinyin_keys(f"{item.name} {item.keywords}")
            new.append(item)
        else:
            for name, value in fields.items():
                setattr(item, name, value)
            item.save()
        items.append(item)
    ServiceItem.objects.bulk_create(new)
    ids = [item.id for item in items]
    for relation, targets, key in (("modes", modes, "modes"), ("delegated_sites", sites, "delegated_sites")):
        through = getattr(ServiceItem, relation).through
        target_field = "modetag" if relation == "modes" else "site"
        through.objects.filter(serviceitem_id__in=ids).delete()
        through.objects.bulk_create(
            through(serviceitem_id=item.id, **{f"{target_field}_id": targets[code].id})
            for item, row in zip(items, rows, strict=True)
            for code in row.get(key) or []
        )
    Material.objects.filter(item_id__in=ids).delete()
    Material.objects.bulk_create(
        Material(item=item, sort_order=n, **{name: material[name] for name in MATERIAL_FIELDS})
        for item, row in zip(items, rows, strict=True)
        for n, material in enumerate(row["materials"])
    )


def demo_floor_load(floor):
    """Create the ticket categories and windows of each demo site, and the job postings."""
    import datetime

    from django.utils import timezone

    from quangangtong.queueing.models import JobPosting

    for site_code, layout in floor["sites"].items():
        site = Site.objects.get(code=site_code)
        categories = {}
        for order, row in enumerate(layout["categories"]):
            category, _ = TicketCategory.objects.update_or_create(
                site=site,
                prefix=row["prefix"],
                defaults={"name": row["name"], "description": row.get("description", ""), "sort_order": order},
            )
            if row.get("delegated"):
                items = ServiceItem.objects.filter(delegated_sites=site)
            else:
                items = ServiceItem.objects.filter(department__code__in=row.get("departments") or [])
            category.items.set(items)
            categories[row["prefix"]] = category
        for row in layout["windows"]:
            window, _ = Window.objects.update_or_create(
                site=site, number=row["number"], defaults={"name": f"{row['number']}号综合窗口"}
            )
            window.categories.set([categories[prefix] for prefix in row["categories"]])
    hall = Site.objects.get(code="qjq-hall")
    today = timezone.localdate()
    for row in floor.get("job_postings") or []:
        fields = {k: row[k] for k in ("openings", "pay", "requirements", "contact")}
        JobPosting.objects.update_or_create(
            site=hall,
            employer=row["employer"],
            position=row["position"],
            defaults={**fields, "valid_until": today + datetime.timedelta(days=row["days_valid"])},
        )


def demo_skills_load(floor):
    """Certify the demo officers as floor.yaml says: complete for their old work, partial elsewhere.

    Each new or changed certification gets its history row, as when a hall manager makes it.
    """
    import datetime

    from django.contrib.auth.models import User
    from django.utils import timezone

    from quangangtong.hall.services import officer_skill_write

    certified_on = datetime.date(2018, 6, 30)
    for username, spec in floor["officers"].items():
        officer = User.objects.get(username=username)
        via = spec.get("via", "")
        for level, key in ((Proficiency.FLUENT, "fluent"), (Proficiency.LEARNING, "learning")):
            for category in TicketCategory.objects.filter(prefix__in=spec.get(key) or []):
                officer_skill_write(
                    officer=officer,
                    category=category,
                    proficiency=level,
                    certified_on=certified_on,
                    certified_by=via,
                    changed_by=None,
                    reason=DEMO_SKILL_REASON,
                )
        certified = set(OfficerSkill.objects.filter(officer=officer, item__isnull=False).values_list("item", flat=True))
        # Hundreds of item certifications: written in bulk, with their history rows.
        skills = OfficerSkill.objects.bulk_create(
            OfficerSkill(
                officer=officer,
                item=item,
                proficiency=Proficiency.LEARNING,
                certified_on=certified_on,
                certified_by=via,
            )
            for item in ServiceItem.objects.filter(department__code__in=spec.get("learning_departments") or [])
            if item.id not in certified
        )
        now = timezone.now()
        OfficerSkillChange.objects.bulk_create(
            OfficerSkillChange(
                officer=officer,
                item_id=skill.item_id,
                action=SkillAction.GRANTED,
                proficiency=skill.proficiency,
                certified_on=skill.certified_on,
                certified_by=skill.certified_by,
                changed_at=now,
                reason=DEMO_SKILL_REASON,
            )
            for skill in skills
        )


def demo_accounts_create():
    """Create the demo staff accounts that do not exist yet; return their (username, name, roles)."""
    from django.contrib.auth.models import User

    from quangangtong.accounts.models import DepartmentMembership

    roles_ensure()
    for username, full_name, roles in DEMO_ACCOUNTS:
        if not User.objects.filter(username=username).exists():
            staff_user_create(username=username, password=DEMO_PASSWORD, roles=roles, full_name=full_name)
    departments = {department.code: department for department in Department.objects.all()}
    for row in BACK_OFFICE:
        user = User.objects.get(username=row["username"])
        for code in row.get("departments") or []:
            DepartmentMembership.objects.get_or_create(user=user, department=departments[code])
    return DEMO_ACCOUNTS
