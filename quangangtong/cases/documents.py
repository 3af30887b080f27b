"""The printable notices of a case: the ``quangangtong.documents`` dataclasses filled in from a Case, and their PDFs.

Identity numbers and phones go on paper masked; the documents package refuses a full one anyway. Each notice
exists only once the case has reached the point where it is issued (``case_documents``); asking for one
that does not exist yet is a CaseError with status 404.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from quangangtong import documents
from quangangtong.cases.errors import CaseError
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import ApplicantKind, CorrectionNotice, EventKind, MaterialStatus
from quangangtong.cases.services import DEFAULT_REMEDIES, case_public_token
from quangangtong.catalog.models import LimitUnit

PUBLIC_PROGRESS_PATH = "/progress/t/{token}/"
SUBMIT_METHOD = "现场提交"


@dataclass(frozen=True)
class CaseDocument:
    """A notice a case has: its key in the URL, its title, and the name of its PDF file."""

    key: str
    title: str
    filename: str


def case_progress_url(case, *, request):
    """Return the absolute URL of the case's public progress page (the receipt's QR code)."""
    return request.build_absolute_uri(PUBLIC_PROGRESS_PATH.format(token=case_public_token(case)))


def _accepted_with_promise(case):
    return case.events.filter(kind=EventKind.ACCEPTED_WITH_PROMISE).order_by("-at", "-id").first()


def case_documents(case):
    """Return the notices case has now, in the order they are issued."""
    titles = [("receipt", "办理行政权力事项材料接收单")]
    for notice in case.correction_notices.all():
        titles.append((f"correction-{notice.sequence}", f"补正材料通知书（第{notice.sequence}次告知）"))
    if case.state == CaseState.NOT_ACCEPTED:
        titles.append(("rejection", "不予受理通知书"))
    if case.accepted_at is not None:
        titles.append(("acceptance", "受理通知书"))
        if _accepted_with_promise(case):
            titles.append(("deferred", "容缺受理通知书"))
    return [CaseDocument(key, title, f"{case.number}-{title.split('（')[0]}.pdf") for key, title in titles]


def case_document_pdf(*, case, key, progress_url):
    """Return (CaseDocument, PDF bytes) of the notice key of case, or refuse (404) one it does not have."""
    found = next((document for document in case_documents(case) if document.key == key), None)
    if found is None:
        raise CaseError(f"办件{case.number}目前没有这份文书。", status=404, field="document")
    if key == "receipt":
        pdf = documents.material_receipt_pdf(material_receipt_of(case, progress_url=progress_url))
    elif key == "acceptance":
        pdf = documents.acceptance_notice_pdf(acceptance_notice_of(case, progress_url=progress_url))
    elif key == "rejection":
        pdf = documents.rejection_notice_pdf(rejection_notice_of(case, progress_url=progress_url))
    elif key == "deferred":
        pdf = documents.deferred_acceptance_notice_pdf(deferred_acceptance_notice_of(case, progress_url=progress_url))
    else:
        notice = case.correction_notices.get(sequence=int(key.removeprefix("correction-")))
        pdf = documents.correction_notice_pdf(correction_notice_of(notice, progress_url=progress_url))
    return found, pdf


# --- the dataclasses ----------------------------------------------------------------------------


def _local_date(moment):
    return timezone.localdate(moment) if moment else None


def _user_name(user):
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _limit_text(limit, unit):
    if unit == LimitUnit.IMMEDIATE:
        return "即办"
    if not unit:
        return "—"
    return f"{limit}个{unit}" if unit in (LimitUnit.WORKING_DAY, LimitUnit.NATURAL_DAY) else f"{limit}{unit}"


def _requirement(line):
    parts = [f"原件{line.originals}份" if line.originals else "", f"复印件{line.copies}份" if line.copies else ""]
    return "、".join(part for part in parts if part) or "按办事指南要求提供"


def _common(case, *, progress_url, document_number, issued_on):
    """Return what every notice says of the case: hall, numbers, applicant (masked) and item."""
    legal = case.applicant_kind == ApplicantKind.LEGAL
    return {
        "hall_name": case.site.name,
        "case_number": case.number,
        "document_number": document_number,
        "issued_on": issued_on,
        "progress_url": progress_url,
        "applicant_name": case.applicant_name,
        "applicant_id_masked": case.masked_id_number,
        "applicant_credit_code": case.masked_credit_code if legal else "",
        "item_name": case.item_name,
    }


def _contact_phone(case):
    return case.item.consult_phone or case.site.phone


def _submit_place(case):
    return f"{case.site.name}综合窗口"


def material_receipt_of(case, *, progress_url):
    """Return the 材料接收单 of case as it stands: what was received, what is missing, what was deferred.

    It is dated the day the last material came in (the day the case was opened, before any did).
    """
    received, missing, deferred, promises = [], [], [], []
    last_received = case.opened_at
    for line in case.materials.all():
        if line.status == MaterialStatus.RECEIVED:
            last_received = max(last_received, line.received_at or last_received)
            received.append(
                documents.ReceivedMaterial(
                    name=line.name, originals=line.received_originals, copies=line.received_copies
                )
            )
        elif line.status == MaterialStatus.DEFERRED:
            deferred.append(documents.DeferredMaterial(name=line.name, due_on=line.promise_due))
            promises.append(line.promise)
        elif line.status == MaterialStatus.DEFECTIVE or not line.is_optional:
            problem = line.defect or ("未提交" if line.status == MaterialStatus.MISSING else "有瑕疵")
            missing.append(documents.MissingMaterial(name=line.name, problem=problem, requirement=_requirement(line)))
    window = case.ticket.window if case.ticket_id and case.ticket.window_id else None
    return documents.MaterialReceipt(
        **_common(
            case,
            progress_url=progress_url,
            document_number=f"{case.number}-收",
            issued_on=_local_date(last_received),
        ),
        applicant_phone_masked=case.masked_phone,
        agent_name=case.agent_name,
        agent_id_masked=case.masked_agent_id_number,
        department_name=case.item.department.name,
        received=received,
        missing=missing,
        deferred=deferred,
        deferral_promise="；".join(dict.fromkeys(p for p in promises if p)),
        officer_name=_user_name(case.opened_by) or "窗口工作人员",
        window_name=str(window or ""),
        promised_completion_on=case.promised_due,
    )


def acceptance_notice_of(case, *, progress_url):
    """Return the 受理通知书 of an accepted case."""
    return documents.AcceptanceNotice(
        **_common(
            case,
            progress_url=progress_url,
            document_number=f"{case.number}-受",
            issued_on=_local_date(case.accepted_at),
        ),
        applied_on=_local_date(case.opened_at),
        accepted_on=_local_date(case.accepted_at),
        legal_limit=_limit_text(case.legal_limit, case.legal_limit_unit),
        promised_limit=_limit_text(case.promised_limit, case.promised_limit_unit),
        promised_completion_on=case.promised_due,
        pickup_method=case.get_pickup_method_display(),
        department_name=case.item.department.name,
        contact_phone=_contact_phone(case),
    )


def correction_notice_of(notice: CorrectionNotice, *, progress_url):
    """Return the 补正材料通知书 of one CorrectionNotice: every material it listed, as it listed them."""
    case = notice.case
    materials = [
        documents.MissingMaterial(
            name=item.material.name,
            problem=item.defect or item.get_status_display(),
            requirement=_requirement(item.material),
        )
        for item in notice.items.select_related("material")
    ]
    return documents.CorrectionNotice(
        **_common(
            case,
            progress_url=progress_url,
            document_number=f"{case.number}-补{notice.sequence}",
            issued_on=_local_date(notice.issued_at),
        ),
        applied_on=_local_date(case.opened_at),
        materials=materials,
        submit_place=_submit_place(case),
        submit_method=SUBMIT_METHOD,
        submit_due_on=notice.return_by,
        contact_phone=_contact_phone(case),
    )


def rejection_notice_of(case, *, progress_url):
    """Return the 不予受理通知书 of a case refused at intake."""
    return documents.RejectionNotice(
        **_common(
            case,
            progress_url=progress_url,
            document_number=f"{case.number}-不",
            issued_on=_local_date(case.closed_at) or timezone.localdate(),
        ),
        applied_on=_local_date(case.opened_at),
        reason=case.rejection_reason,
        remedies=case.rejection_remedies or DEFAULT_REMEDIES,
    )


def deferred_acceptance_notice_of(case, *, progress_url):
    """Return the 容缺受理通知书: the materials promised at acceptance, with their due dates and the promise."""
    event = _accepted_with_promise(case)
    promised = event.detail.get("deferred", []) if event else []
    lines = {line.id: line for line in case.materials.all()}
    materials, promises = [], []
    for row in promised:
        materials.append(documents.DeferredMaterial(name=row["name"], due_on=datetime.date.fromisoformat(row["due"])))
        line = lines.get(row["material"])
        if line is not None and line.promise:
            promises.append(line.promise)
    return documents.DeferredAcceptanceNotice(
        **_common(
            case,
            progress_url=progress_url,
            document_number=f"{case.number}-容",
            issued_on=_local_date(event.at),
        ),
        applied_on=_local_date(case.opened_at),
        accepted_on=_local_date(case.accepted_at),
        materials=materials,
        promise="；".join(dict.fromkeys(promises)) or "申请人已书面承诺按期补齐上述材料。",
        submit_place=_submit_place(case),
        submit_method=SUBMIT_METHOD,
        promised_completion_on=case.promised_due,
        contact_phone=_contact_phone(case),
    )
