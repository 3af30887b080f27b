"""Opening a case at the window: applicant, materials, and accepting, asking for corrections or refusing."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from quangangtong.accounts.roles import Role, user_has_role
from quangangtong.cases import clocks, lifecycle
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import Action
from quangangtong.cases.models import (
    ApplicantKind,
    BusinessAction,
    Case,
    CaseMaterial,
    CaseRules,
    Channel,
    CorrectionNotice,
    CorrectionNoticeItem,
    DocumentType,
    EventKind,
    MaterialStatus,
    PickupMethod,
)
from quangangtong.cases.notifications import (
    case_accepted_notify,
    case_materials_needed_notify,
    case_result_ready_notify,
)
from quangangtong.cases.services._common import (
    DEFAULT_REMEDIES,
    OTHER_DOCUMENT_RE,
    RESIDENT_ID_TYPES,
    SERVED_TICKET,
    WINDOW_ROLES,
    _clean,
    _lock,
    _material_of,
    _next_number,
    _record,
    _required_text,
    _role,
    _save,
    _set_clock,
    _transition,
    case_clock,
)
from quangangtong.catalog.models import LimitUnit, Necessity
from quangangtong.hall.services import site_items
from quangangtong.ids import IdNumberError, validate_mobile, validate_resident_id, validate_uscc
from quangangtong.workdays.services import WorkdayCalendar

# --- opening a case -----------------------------------------------------------------------------


def _document(id_type, number, *, type_field, number_field, who, today):
    """Return the cleaned (type, number) of an identity document, or refuse naming the field."""
    if id_type not in DocumentType.values:
        raise CaseError(f"{who}证件类型：请从列表中选择，如居民身份证。", status=400, field=type_field)
    number = _clean(number)
    if not number:
        raise CaseError(f"{who}证件号码：请填写{DocumentType(id_type).label}号码。", status=400, field=number_field)
    if id_type in RESIDENT_ID_TYPES or (id_type == DocumentType.FOREIGNER_PERMANENT_ID and len(number) == 18):
        try:
            number = validate_resident_id(number, today=today)
        except IdNumberError as error:
            raise CaseError(f"{who}证件号码：{error.message}", status=400, field=number_field) from None
    elif not OTHER_DOCUMENT_RE.fullmatch(number):
        raise CaseError(
            f"{who}证件号码：{DocumentType(id_type).label}号码应为5至30位字母或数字，请核对后重新输入。",
            status=400,
            field=number_field,
        )
    return id_type, number


def _mobile(value, *, field, who):
    try:
        return validate_mobile(value)
    except IdNumberError as error:
        raise CaseError(f"{who}：{error.message}，请核对后重新输入。", status=400, field=field) from None


def _applicant(*, applicant_kind, applicant_name, id_type, id_number, credit_code, legal_representative, phone,
               agent_name, agent_id_type, agent_id_number, agent_phone, today):  # fmt: skip
    """Return the validated applicant fields, or refuse naming the first wrong one."""
    if applicant_kind not in ApplicantKind.values:
        raise CaseError("申请人类型：请选择个人或法人。", status=400, field="applicant_kind")
    person = applicant_kind == ApplicantKind.PERSON
    name = _required_text(
        applicant_name,
        field="applicant_name",
        message="申请人姓名：请填写申请人姓名。" if person else "申请单位名称：请填写营业执照上的名称。",
        max_length=50 if person else 200,
    )
    values = {"applicant_kind": applicant_kind, "applicant_name": name, "id_type": "", "id_number": ""}
    if person:
        values["id_type"], values["id_number"] = _document(
            id_type, id_number, type_field="id_type", number_field="id_number", who="申请人", today=today
        )
    else:
        try:
            values["credit_code"] = validate_uscc(credit_code)
        except IdNumberError as error:
            raise CaseError(f"统一社会信用代码：{error.message}", status=400, field="credit_code") from None
        values["legal_representative"] = _required_text(
            legal_representative,
            field="legal_representative",
            message="法定代表人：请填写营业执照上的法定代表人（负责人）姓名。",
            max_length=50,
        )
        if (id_number or "").strip():
            values["id_type"], values["id_number"] = _document(
                id_type, id_number, type_field="id_type", number_field="id_number", who="法定代表人", today=today
            )
    values["phone"] = _mobile(phone, field="phone", who="联系电话")
    if any((v or "").strip() for v in (agent_name, agent_id_number, agent_phone)):
        values["agent_name"] = _required_text(
            agent_name, field="agent_name", message="代办人姓名：有代办人的，请填写代办人姓名。", max_length=50
        )
        values["agent_id_type"], values["agent_id_number"] = _document(
            agent_id_type or DocumentType.RESIDENT_ID, agent_id_number,
            type_field="agent_id_type", number_field="agent_id_number", who="代办人", today=today,
        )  # fmt: skip
        if (agent_phone or "").strip():
            values["agent_phone"] = _mobile(agent_phone, field="agent_phone", who="代办人电话")
    return values


@transaction.atomic
def case_open(
    *, site, item, user, applicant_kind, applicant_name, phone, id_type=DocumentType.RESIDENT_ID, id_number="",
    credit_code="", legal_representative="", agent_name="", agent_id_type=DocumentType.RESIDENT_ID,
    agent_id_number="", agent_phone="", channel=Channel.WINDOW, ticket=None, pickup_method=PickupMethod.WINDOW,
    now=None,
):  # fmt: skip
    """Open a case (收件) for item at site, with the item's checklist copied in; return it.

    ticket is the queue ticket being served at the window, if any; identity numbers and phones are
    validated (ids) and stored in full.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    role = _role(user, WINDOW_ROLES, "收件")
    if item is None or not item.is_active:
        raise CaseError("事项：请选择在用的政务服务事项。", status=400, field="item")
    _check_site_handles(site, item)
    if channel not in Channel.values:
        raise CaseError("申报来源：请选择窗口、网上或邮寄。", status=400, field="channel")
    _check_pickup_method(pickup_method, item)
    if ticket is not None:
        if ticket.site_id != site.id:
            raise CaseError(f"排队票：{ticket.number}号不是本站点的票。", status=400, field="ticket")
        if ticket.status not in SERVED_TICKET:
            raise CaseError(
                f"排队票：{ticket.number}号当前为“{ticket.get_status_display()}”，不在办理中，请先叫号。",
                status=409,
                field="ticket",
            )
    applicant = _applicant(
        applicant_kind=applicant_kind, applicant_name=applicant_name, id_type=id_type, id_number=id_number,
        credit_code=credit_code, legal_representative=legal_representative, phone=phone, agent_name=agent_name,
        agent_id_type=agent_id_type, agent_id_number=agent_id_number, agent_phone=agent_phone, today=today,
    )  # fmt: skip
    case = Case.objects.create(
        number=_next_number(site, today),
        site=site,
        item=item,
        item_name=item.name,
        case_type=item.case_type,
        channel=channel,
        ticket=ticket,
        opened_at=now,
        opened_by=user,
        pickup_method=pickup_method,
        **applicant,
    )
    CaseMaterial.objects.bulk_create(
        CaseMaterial(
            case=case,
            material=material,
            name=material.name,
            necessity=material.necessity,
            originals=material.originals,
            copies=material.copies,
            sort_order=order,
        )
        for order, material in enumerate(item.materials.all())
    )
    _record(
        case, EventKind.OPENED, at=now, actor=user, role=role, from_state="",
        channel=channel, ticket=ticket.number if ticket else None,
    )  # fmt: skip
    return case


def site_handles_item(site, item):
    """Return whether site may open cases for item: a hall takes any item; a station (就近办) only its own.

    A station's own items are those delegated to it in the catalogue (下沉站点) and those its ticket
    categories serve (hall.services.site_items), so that a ticket it issued can always become a case.
    """
    if site.parent_id is None and not site.is_station:
        return True
    return item.delegated_sites.filter(pk=site.pk).exists() or site_items(site).filter(pk=item.pk).exists()


def _check_site_handles(site, item):
    if not site_handles_item(site, item):
        hall = f"请到{site.parent.name}办理，" if site.parent_id else ""
        raise CaseError(
            f"事项：“{item.name}”不是{site.name}就近办理的事项，本站不能收件；{hall}或选择本站办理的事项。",
            status=400,
            field="item",
        )


def _check_pickup_method(pickup_method, item):
    if pickup_method not in PickupMethod.values:
        raise CaseError("出件方式：请选择窗口领取或快递寄送。", status=400, field="pickup_method")
    if pickup_method == PickupMethod.POST and not item.supports_express:
        raise CaseError(
            f"出件方式：事项“{item.name}”不支持快递寄送结果，请选择窗口领取。", status=400, field="pickup_method"
        )


# --- materials, acceptance, correction ----------------------------------------------------------


@transaction.atomic
def case_material_mark(
    *, case, user, material, status, received_originals=None, received_copies=None, defect="", promise="",
    promise_due=None, now=None, expected_version=None,
):  # fmt: skip
    """Record what the applicant brought for one material of the checklist; return the CaseMaterial.

    status: 已收 (counts default to what the checklist asks), 缺, 有瑕疵 (say what is wrong in defect), or
    容缺后补 (only for materials the catalogue allows to defer, with the applicant's written promise and due date).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    role = _role(user, WINDOW_ROLES, "登记材料")
    case = _lock(case, expected_version)
    _transition(case, Action.MARK_MATERIAL)
    line = _material_of(case, material)
    if status not in MaterialStatus.values:
        raise CaseError("材料状态：请选择已收、缺、有瑕疵或容缺后补。", status=400, field="status")
    line.status, line.defect, line.promise, line.promise_due = status, "", "", None
    line.received_originals = line.received_copies = 0
    line.received_at = None
    if status == MaterialStatus.RECEIVED:
        originals = line.originals if received_originals is None else received_originals
        copies = line.copies if received_copies is None else received_copies
        if originals < line.originals or copies < line.copies:
            raise CaseError(
                f"材料“{line.name}”应收原件{line.originals}份、复印件{line.copies}份；份数不足的请登记为“缺”或“有瑕疵”。",
                status=400,
                field="received_originals" if originals < line.originals else "received_copies",
            )
        line.received_originals, line.received_copies, line.received_at = originals, copies, now
    elif status == MaterialStatus.DEFECTIVE:
        line.defect = _required_text(
            defect, field="defect", message=f"瑕疵说明：请写明“{line.name}”哪里不符合要求、如何补正。", max_length=300
        )
    elif status == MaterialStatus.MISSING:
        line.defect = (defect or "").strip()[:300]
    else:
        if line.necessity != Necessity.DEFERRABLE:
            raise CaseError(
                f"材料“{line.name}”在事项清单中不是“容缺后补”材料，不能容缺；请登记为“缺”并一次性告知补正。",
                status=400,
                field="status",
            )
        line.promise = _required_text(
            promise, field="promise", message="容缺承诺：请填写申请人书面承诺补交的内容。", max_length=500
        )
        if not isinstance(promise_due, datetime.date) or promise_due <= today:
            raise CaseError(
                "承诺补交日期：请填写今天以后的日期，且不晚于承诺办结日期。", status=400, field="promise_due"
            )
        line.promise_due = promise_due
    line.save()
    _save(case)
    _record(
        case, EventKind.MATERIAL_MARKED, at=now, actor=user, role=role, from_state=case.state,
        material=line.id, name=line.name, status=status, originals=line.received_originals,
        copies=line.received_copies, defect=line.defect,
        promise_due=line.promise_due.isoformat() if line.promise_due else None,
    )  # fmt: skip
    return line


def _incomplete(case, *, allow_deferred):
    allowed = {MaterialStatus.RECEIVED, MaterialStatus.DEFERRED} if allow_deferred else {MaterialStatus.RECEIVED}
    return [m for m in case.materials.all() if not m.is_optional and m.status not in allowed]


def _refuse_incomplete(missing):
    listed = "、".join(f"“{m.name}”（{m.get_status_display()}）" for m in missing)
    raise CaseError(
        f"以下材料未收齐：{listed}。请出具一次性告知书补正，或对可容缺的材料办理容缺受理。",
        status=409,
        field="materials",
    )


def _start_clocks(case, *, user, now, pickup_method, accepted_at=None):
    """Set what acceptance sets (limits snapshotted from the item, the clocks); return the fields changed.

    accepted_at is when the acceptance counts from (now unless the law dates it back to the receipt).
    """
    today = timezone.localdate(now)
    if pickup_method is not None:
        _check_pickup_method(pickup_method, case.item)
        case.pickup_method = pickup_method
    item = case.item
    case.accepted_at, case.accepted_by = accepted_at or now, user
    case.legal_limit, case.legal_limit_unit = item.legal_limit, item.legal_limit_unit
    if case.is_immediate:
        case.promised_limit, case.promised_limit_unit = 0, LimitUnit.IMMEDIATE
    else:
        case.promised_limit, case.promised_limit_unit = item.promised_limit, item.promised_limit_unit
    fields = ["accepted_at", "accepted_by", "legal_limit", "legal_limit_unit", "promised_limit",
              "promised_limit_unit", "pickup_method"]  # fmt: skip
    return fields + _set_clock(case, case_clock(case, today=today), today)


ACCEPTANCE_BY_LAW_BASIS = (
    "《中华人民共和国行政许可法》第三十二条第一款第（四）项：申请材料不齐全或者不符合法定形式的，应当当场或者在五日内"
    "一次告知申请人需要补正的全部内容，逾期不告知的，自收到申请材料之日起即为受理；第八十二条：期限以工作日计算。"
)


def intake_window_lapsed(case, *, today, calendar=None):
    """Return the last day of the case's 五日 window if it has passed with no 补正 notice, else None.

    Only the first window counts: once a notice was issued in time, the applicant's return is no new receipt.
    """
    if case.state != lifecycle.CaseState.RECEIVED or case.correction_notices.exists():
        return None
    last_day = clocks.intake_window_last_day(
        received_on=timezone.localdate(case.opened_at), calendar=calendar or WorkdayCalendar()
    )
    return last_day if today > last_day else None


def _dated_back(case, *, now):
    """Return (accepted_at, detail) for an officer's acceptance: the receipt when the window has lapsed."""
    last_day = intake_window_lapsed(case, today=timezone.localdate(now))
    if last_day is None:
        return now, {}
    case.intake_window_missed = True
    return case.opened_at, {
        "accepted_on_receipt": True,
        "window_last_day": last_day.isoformat(),
        "basis": ACCEPTANCE_BY_LAW_BASIS,
    }


@transaction.atomic
def case_accept(*, case, user, pickup_method=None, now=None, expected_version=None):
    """Accept the case (受理): every required material is in; the clocks start tomorrow (民法典 §201).

    Past the 五日 window (intake_window_lapsed) the law already accepted the case on its receipt: the
    acceptance counts from then and the case is flagged for 督办 (intake_window_missed).
    """
    now = now or timezone.now()
    role = _role(user, WINDOW_ROLES, "受理")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.ACCEPT)
    missing = _incomplete(case, allow_deferred=False)
    if missing:
        _refuse_incomplete(missing)
    accepted_at, by_law = _dated_back(case, now=now)
    case.state = after.state
    fields = _start_clocks(case, user=user, now=now, pickup_method=pickup_method, accepted_at=accepted_at)
    _save(case, "state", "intake_window_missed", *fields)
    _record(
        case, EventKind.ACCEPTED, at=now, actor=user, role=role, from_state=from_state, action=BusinessAction.PASS,
        legal_due=case.legal_due.isoformat(), promised_due=case.promised_due.isoformat(), **by_law,
    )  # fmt: skip
    case_accepted_notify(case=case, now=now)
    return case


@transaction.atomic
def case_accept_with_promise(*, case, user, pickup_method=None, now=None, expected_version=None):
    """Accept the case with 容缺 materials promised: the result is not released until they arrive."""
    now = now or timezone.now()
    role = _role(user, WINDOW_ROLES, "容缺受理")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.ACCEPT_WITH_PROMISE)
    missing = _incomplete(case, allow_deferred=True)
    if missing:
        _refuse_incomplete(missing)
    accepted_at, by_law = _dated_back(case, now=now)
    case.state = after.state
    fields = _start_clocks(case, user=user, now=now, pickup_method=pickup_method, accepted_at=accepted_at)
    deferred = list(case.materials.filter(status=MaterialStatus.DEFERRED))
    if not case.is_immediate:
        # 补正时限不得超过该事项承诺时限: the promise must be kept before the case is due.
        late = [m for m in deferred if m.promise_due > case.promised_due]
        if late:
            raise CaseError(
                f"承诺补交日期：“{late[0].name}”的补交日期{late[0].promise_due:%Y-%m-%d}晚于承诺办结日期"
                f"{case.promised_due:%Y-%m-%d}，请改到该日期之前。",
                status=400,
                field="promise_due",
            )
    _save(case, "state", "intake_window_missed", *fields)
    _record(
        case, EventKind.ACCEPTED_WITH_PROMISE, at=now, actor=user, role=role, from_state=from_state,
        action=BusinessAction.PASS, legal_due=case.legal_due.isoformat(), promised_due=case.promised_due.isoformat(),
        deferred=[{"material": m.id, "name": m.name, "due": m.promise_due.isoformat()} for m in deferred], **by_law,
    )  # fmt: skip
    case_accepted_notify(case=case, now=now)
    return case


@transaction.atomic
def case_accept_by_law(*, case, now=None, calendar=None):
    """Record that the law accepted the case on its receipt: five working days passed with no 补正 notice.

    The system does it (no officer): the clocks start from the receipt, the applicant gets the acceptance
    text, and the case goes on the supervision list as a failure of the window (intake_window_missed).
    Refused (409) while the window is still open or once a notice was issued; return the case.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    case = _lock(case)
    from_state = case.state
    after = _transition(case, Action.ACCEPT_BY_LAW)
    last_day = intake_window_lapsed(case, today=today, calendar=calendar)
    if last_day is None:
        raise CaseError("收件后五个工作日的告知期限尚未届满，或已出具一次性告知书，不能视为受理。", status=409)
    case.state, case.intake_window_missed = after.state, True
    fields = _start_clocks(case, user=None, now=now, pickup_method=None, accepted_at=case.opened_at)
    _save(case, "state", "intake_window_missed", *fields)
    _record(
        case, EventKind.ACCEPTED_BY_LAW, at=now, from_state=from_state, action=BusinessAction.PASS,
        opinion=ACCEPTANCE_BY_LAW_BASIS, received_on=timezone.localdate(case.opened_at).isoformat(),
        window_last_day=last_day.isoformat(), legal_due=case.legal_due.isoformat(),
        promised_due=case.promised_due.isoformat(),
        missing=[m.name for m in _incomplete(case, allow_deferred=True)],
    )  # fmt: skip
    case_accepted_notify(case=case, now=now)
    return case


@transaction.atomic
def case_request_correction(*, case, user, approved_by=None, override_reason="", now=None, expected_version=None):
    """Issue the 一次性告知 (补正材料通知书) listing every missing or defective material at once; return it.

    A later notice may only list materials an earlier one listed: naming a new one is the "second
    surprise" 行政许可法 §32 forbids, so it needs a supervisor (approved_by) and a reason.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    role = _role(user, WINDOW_ROLES, "出具一次性告知书")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.REQUEST_CORRECTION)
    listed = [
        m
        for m in case.materials.all()
        if not m.is_optional and m.status in (MaterialStatus.MISSING, MaterialStatus.DEFECTIVE)
    ]
    if not listed:
        raise CaseError("没有缺少或有瑕疵的材料，无需补正；材料齐全的请直接受理。", status=409, field="materials")
    last_day = intake_window_lapsed(case, today=today)
    if last_day is not None:
        raise CaseError(
            f"一次性告知：本件{timezone.localdate(case.opened_at):%Y-%m-%d}收件，五个工作日的告知期限已于"
            f"{last_day:%Y-%m-%d}届满。依照行政许可法第三十二条，逾期不告知的，自收到申请材料之日起即为受理，"
            "不能再要求补正；材料齐全的请受理，否则由系统登记为依法受理。",
            status=409,
            field="materials",
        )
    earlier = set(CorrectionNoticeItem.objects.filter(notice__case=case).values_list("material_id", flat=True))
    new = [m for m in listed if m.id not in earlier]
    override = bool(earlier) and bool(new)
    reason = ""
    if override:
        names = "、".join(f"“{m.name}”" for m in new)
        if approved_by is None:
            raise CaseError(
                f"一次性告知：{names}不在此前的告知书中，不能再告知新的材料。"
                "确需再次告知的，须经督查人员批准并写明理由。",
                status=409,
                field="materials",
            )
        if not user_has_role(approved_by, Role.SUPERVISOR):
            raise CaseError("批准人：再次告知须由督查人员批准。", status=403, field="approved_by")
        reason = _required_text(
            override_reason,
            field="override_reason",
            message="再次告知理由：请写明第一次告知时为什么没有列出这些材料。",
            max_length=1000,
        )
    sequence = CorrectionNotice.objects.filter(case=case).count() + 1
    wait = CaseRules.for_site(case.site).correction_wait_days
    notice = CorrectionNotice.objects.create(
        case=case, sequence=sequence, issued_at=now, issued_by=user,
        return_by=WorkdayCalendar().add_working_days(today, wait), is_override=override,
        overridden_by=approved_by if override else None, override_reason=reason,
    )  # fmt: skip
    CorrectionNoticeItem.objects.bulk_create(
        CorrectionNoticeItem(
            notice=notice,
            material=m,
            status=m.status,
            defect=m.defect or ("未提供" if m.status == MaterialStatus.MISSING else ""),
        )
        for m in listed
    )
    case.state = after.state
    _save(case, "state")
    _record(
        case, EventKind.CORRECTION_REQUESTED, at=now, actor=user, role=role, from_state=from_state,
        notice=notice.id, sequence=sequence, return_by=notice.return_by.isoformat(),
        materials=[m.name for m in listed], override=override,
        approved_by=approved_by.get_username() if override else None, override_reason=reason,
    )  # fmt: skip
    case_materials_needed_notify(case=case, materials=listed, now=now)
    return notice


@transaction.atomic
def case_correction_received(*, case, user, received=None, now=None, expected_version=None):
    """Take in the materials the applicant brought back (all those on the notice by default); back to 收件."""
    now = now or timezone.now()
    role = _role(user, WINDOW_ROLES, "收取补正材料")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.CORRECTION_RECEIVED)
    notice = CorrectionNotice.objects.filter(case=case).order_by("-sequence").first()
    on_notice = {item.material_id: item.material for item in notice.items.select_related("material")}
    if received is None:
        chosen = list(on_notice.values())
    else:
        if not received:
            raise CaseError("补正材料：请勾选申请人带来的补正材料。", status=400, field="received")
        chosen = []
        for material in received:
            material_id = getattr(material, "pk", material)
            if material_id not in on_notice:
                raise CaseError(
                    "补正材料：所选材料不在本次告知书中，请刷新页面后重新选择。", status=400, field="received"
                )
            chosen.append(on_notice[material_id])
    for line in chosen:
        line.status, line.defect, line.received_at = MaterialStatus.RECEIVED, "", now
        line.received_originals, line.received_copies = line.originals, line.copies
        line.save(update_fields=["status", "defect", "received_at", "received_originals", "received_copies"])
    notice.answered_at = now
    notice.save(update_fields=["answered_at"])
    case.state = after.state
    _save(case, "state")
    _record(
        case, EventKind.CORRECTION_RECEIVED, at=now, actor=user, role=role, from_state=from_state,
        notice=notice.id, materials=[line.name for line in chosen],
    )  # fmt: skip
    return case


@transaction.atomic
def case_reject(*, case, user, reason, remedies="", now=None, expected_version=None):
    """Refuse to accept the application (不予受理) with the reason and the applicant's remedies."""
    now = now or timezone.now()
    role = _role(user, WINDOW_ROLES, "不予受理")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.REJECT)
    case.rejection_reason = _required_text(
        reason,
        field="reason",
        message="不予受理理由：请写明理由，如“不属于本机关职权范围，请向××申请”。",
        max_length=2000,
    )
    case.rejection_remedies = (remedies or "").strip() or DEFAULT_REMEDIES
    case.state, case.closed_at = after.state, now
    _save(case, "rejection_reason", "rejection_remedies", "state", "closed_at")
    _record(
        case, EventKind.REJECTED, at=now, actor=user, role=role, from_state=from_state,
        opinion=case.rejection_reason, action=BusinessAction.RETURN,
    )  # fmt: skip
    return case


def _release(case, *, now, actor, role):
    """Send a decided case's result to the window (待出件) with a fresh pickup code, when the rules allow."""
    if not lifecycle.check(case.facts(), Action.RELEASE).allowed:
        return False
    from_state = case.state
    after = _transition(case, Action.RELEASE)
    case.state, case.released_at = after.state, now
    case.pickup_code = f"{secrets.randbelow(1_000_000):06d}"
    _save(case, "state", "released_at", "pickup_code")
    _record(case, EventKind.RELEASED, at=now, actor=actor, role=role, from_state=from_state)
    if case.pickup_method == PickupMethod.WINDOW:
        case_result_ready_notify(case=case, now=now)
    return True


@transaction.atomic
def case_deferred_material_received(
    *, case, user, material, received_originals=None, received_copies=None, now=None, expected_version=None
):  # fmt: skip
    """Take in a 容缺 material; when it was the last, a granted result waiting for it goes to the window."""
    now = now or timezone.now()
    role = _role(user, WINDOW_ROLES, "收取容缺材料")
    case = _lock(case, expected_version)
    from_state = case.state
    after = _transition(case, Action.DEFERRED_RECEIVED)
    line = _material_of(case, material)
    if line.status != MaterialStatus.DEFERRED:
        raise CaseError(f"材料“{line.name}”不是待补交的容缺材料。", status=409, field="material")
    originals = line.originals if received_originals is None else received_originals
    copies = line.copies if received_copies is None else received_copies
    if originals < line.originals or copies < line.copies:
        raise CaseError(
            f"材料“{line.name}”应收原件{line.originals}份、复印件{line.copies}份，请收齐后再登记。",
            status=400,
            field="received_originals",
        )
    line.status, line.received_at = MaterialStatus.RECEIVED, now
    line.received_originals, line.received_copies = originals, copies
    line.save(update_fields=["status", "received_at", "received_originals", "received_copies"])
    case.state = after.state
    _save(case, "state")
    _record(
        case, EventKind.DEFERRED_RECEIVED, at=now, actor=user, role=role, from_state=from_state,
        material=line.id, name=line.name, promise_due=line.promise_due.isoformat() if line.promise_due else None,
    )  # fmt: skip
    _release(case, now=now, actor=user, role=role)
    return case
