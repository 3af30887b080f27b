"""A demo hall with a window officer, approvers of two departments and a supervisor, and cases built to order.

Times are around the 2026 National Day holiday: 09-30 is the last working day before it, 10-01 … 10-07 are
off, Saturday 10-10 is worked.
"""

import datetime

import pytest
from django.utils import timezone

from quangangtong.accounts.models import DepartmentMembership
from quangangtong.accounts.roles import Role
from quangangtong.cases import services
from quangangtong.cases.models import ApplicantKind, DeliveryProof, MaterialStatus
from quangangtong.catalog.models import Department, ServiceItem
from quangangtong.hall.models import Site
from quangangtong.workdays.models import ScheduleYear
from quangangtong.workdays.services import calendar_seed_from_package

D = datetime.date
ACCEPTED_AT = timezone.make_aware(datetime.datetime(2026, 9, 30, 10, 0))

PERSON_ID = "230804199003071238"
AGENT_ID = "11010519491231002X"
CREDIT_CODE = "91230804MA1B2C3D47"
PHONE = "13800138000"

# 失业保险金申领 (区人社局): 承诺件, legal 20 / promised 5 working days, one 容缺后补 material, posts results.
BENEFIT = "11230804MB1231701J4000501006"
# 就业困难人员认定 (区人社局): 承诺件, legal 20 / promised 10 working days, four required materials.
HARDSHIP = "11230804MB1231701J6000701003"
# 工伤认定申请 (区人社局): legal 60 natural days, promised 30 working days.
WORK_INJURY = "11230804MB1231701J4000701024"
# 就业创业证申领 (区人社局): 即办件, no express.
EMPLOYMENT_CARD = "11230804MB1231701J6002001001"
# 失业登记 (区人社局): 即办件 with a 容缺后补 material.
UNEMPLOYMENT = "11230804MB1231701J6002001002"
# 企业设立登记 (区市场监管局): 承诺件 for enterprises, promised 1 working day.
COMPANY = "11230804MB3581183R4000103001"


def at(day, hour=10, minute=0):
    """Return an aware datetime on a local date."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def calendar_seeded(db):
    """Make sure the working-day table holds the package's years (a transactional test flushes it)."""
    if not ScheduleYear.objects.filter(year=2026).exists():
        calendar_seed_from_package()


class Hall:
    """The people of the hall and shortcuts that take a case along its usual path."""

    def __init__(self, make_staff):
        self.site = Site.objects.get(code="qjq-hall")
        self.officer = make_staff(Role.WINDOW_OFFICER)
        self.supervisor = make_staff(Role.SUPERVISOR)
        self.rsj = Department.objects.get(code="rsj")
        self.mzj = Department.objects.get(code="mzj")
        self.approver = make_staff(Role.APPROVER)
        DepartmentMembership.objects.create(user=self.approver, department=self.rsj)
        self.other_approver = make_staff(Role.APPROVER)
        DepartmentMembership.objects.create(user=self.other_approver, department=self.mzj)

    def item(self, code):
        return ServiceItem.objects.get(implementation_code=code)

    def open(self, code=HARDSHIP, *, now=ACCEPTED_AT, **fields):
        values = {
            "applicant_kind": ApplicantKind.PERSON,
            "applicant_name": "张三",
            "id_number": PERSON_ID,
            "phone": PHONE,
        }
        values.update(fields)
        return services.case_open(site=self.site, item=self.item(code), user=self.officer, now=now, **values)

    def receive_all(self, case, *, now=ACCEPTED_AT, but=()):
        for line in case.materials.all():
            if not any(part in line.name for part in but):
                services.case_material_mark(
                    case=case, user=self.officer, material=line, status=MaterialStatus.RECEIVED, now=now
                )
        case.refresh_from_db()
        return case

    def accepted(self, code=HARDSHIP, *, now=ACCEPTED_AT, **fields):
        case = self.receive_all(self.open(code, now=now, **fields), now=now)
        return services.case_accept(case=case, user=self.officer, now=now)

    def transferred(self, code=HARDSHIP, *, now=ACCEPTED_AT, **fields):
        case = self.accepted(code, now=now, **fields)
        return services.case_transfer(case=case, user=self.officer, now=now)

    def at_approval(self, code=HARDSHIP, *, now=ACCEPTED_AT, **fields):
        case = self.transferred(code, now=now, **fields)
        for _ in range(2):
            case = services.case_step_pass(case=case, user=self.approver, opinion="同意", now=now)
        return case

    def ready(self, code=HARDSHIP, *, now=ACCEPTED_AT, **fields):
        case = self.at_approval(code, now=now, **fields)
        return services.case_decide(
            case=case, user=self.approver, decision="granted", result_number="前人社认〔2026〕001号", now=now
        )

    def delivered(self, code=HARDSHIP, *, now=ACCEPTED_AT, **fields):
        case = self.ready(code, now=now, **fields)
        services.case_deliver_at_window(
            case=case, user=self.officer, proof=DeliveryProof.PICKUP_CODE, pickup_code=case.pickup_code, now=now
        )
        case.refresh_from_db()
        return case


@pytest.fixture
def hall(demo_hall, calendar_seeded, make_staff):
    return Hall(make_staff)


@pytest.fixture
def hall_with_accounts(db, calendar_seeded):
    """The demo hall with its demo accounts (officers, approvers, supervisor)."""
    from quangangtong.demo.loader import demo_load

    demo_load()
