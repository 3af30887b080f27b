"""A few demo cases (办件) at every stage, dated back from today, so the demo's inbox, ledger and 督办 pages
have something to show: green, yellow and red clocks, a case waiting for corrections, one ready for pickup,
one posted and one delivered. Made through the services, as a window officer and approvers would.
"""

import datetime

from django.contrib.auth.models import User
from django.utils import timezone

from quangangtong.cases import services
from quangangtong.cases.models import ApplicantKind, Case, DeliveryProof, MaterialStatus
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site
from quangangtong.workdays.services import WorkdayCalendar

# 就业困难人员认定 (区人社局): 承诺件, promised 10 working days.
HARDSHIP = "11230804MB1231701J6000701003"
# 失业保险金申领 (区人社局): 承诺件, promised 5 working days, results may be posted.
BENEFIT = "11230804MB1231701J4000501006"
# 就业创业证申领 (区人社局): 即办件.
EMPLOYMENT_CARD = "11230804MB1231701J6002001001"

# (item, applicant, working days ago it was accepted, how far it has gone)
DEMO_CASES = [
    (HARDSHIP, ("李秀英", "230804195607121226", "13904540101"), 1, "reviewing"),
    (HARDSHIP, ("王建国", "23080419620315451X", "13904540102"), 9, "reviewing"),
    (HARDSHIP, ("赵桂兰", "230804194811020620", "13904540103"), 12, "reviewing"),
    (BENEFIT, ("刘洋", "230804199509286615", "13904540104"), 0, "correction"),
    (BENEFIT, ("陈静", "230804198807143423", "13904540105"), 4, "ready"),
    (BENEFIT, ("孙伟", "230804199112057718", "13904540106"), 5, "posted"),
    (EMPLOYMENT_CARD, ("周敏", "230804200003300024", "13904540107"), 2, "delivered"),
]


def demo_cases_load(*, today=None):
    """Make the demo cases, once (nothing when cases exist); return how many were made."""
    if Case.objects.exists():
        return 0
    today = today or timezone.localdate()
    calendar = WorkdayCalendar()
    site = Site.objects.get(code="qjq-hall")
    officer = User.objects.get(username="officer03")
    approver = User.objects.get(username="approver_rsj")
    for code, (name, id_number, phone), days_ago, stage in DEMO_CASES:
        day = calendar.add_working_days(today, -days_ago) if days_ago else today
        now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 30)))
        item = ServiceItem.objects.get(implementation_code=code)
        case = services.case_open(
            site=site, item=item, user=officer, applicant_kind=ApplicantKind.PERSON, applicant_name=name,
            id_number=id_number, phone=phone, now=now,
            pickup_method="post" if stage == "posted" else "window",
        )  # fmt: skip
        _progress(case, stage, officer=officer, approver=approver, now=now)
    services.cases_recompute(today=today)
    return len(DEMO_CASES)


def _progress(case, stage, *, officer, approver, now):
    lines = list(case.materials.all())
    if stage == "correction":
        for line in lines[:-1]:
            services.case_material_mark(case=case, user=officer, material=line, status=MaterialStatus.RECEIVED, now=now)
        services.case_material_mark(
            case=case, user=officer, material=lines[-1], status=MaterialStatus.DEFECTIVE, defect="复印件不清晰", now=now
        )
        services.case_request_correction(case=case, user=officer, now=now)
        return
    for line in lines:
        services.case_material_mark(case=case, user=officer, material=line, status=MaterialStatus.RECEIVED, now=now)
    case = services.case_accept(case=case, user=officer, now=now)
    if stage == "delivered":  # a 即办件, decided on the spot
        case = services.case_decide(
            case=case, user=officer, decision="granted", result_number=f"23080420260{case.pk:05d}", now=now
        )
        services.case_deliver_at_window(
            case=case, user=officer, proof=DeliveryProof.PICKUP_CODE, pickup_code=case.pickup_code, now=now
        )
        return
    case = services.case_transfer(case=case, user=officer, now=now)
    if stage == "reviewing":
        services.case_step_pass(case=case, user=approver, opinion="材料齐全，同意", now=now)
        return
    for _ in range(2):
        case = services.case_step_pass(case=case, user=approver, opinion="同意", now=now)
    case = services.case_decide(
        case=case, user=approver, decision="granted", result_number=f"前人社〔{now:%Y}〕{case.pk:03d}号", now=now
    )
    if stage == "posted":
        services.case_post(
            case=case, user=officer, carrier="EMS", tracking_number=f"11{case.pk:011d}",
            address="佳木斯市前进区长安路100号", now=now,
        )  # fmt: skip
