"""One function per printable notice of a case; each returns the A4 PDF as bytes."""

from reportlab.lib.units import mm

from quangangtong.documents.data import (
    AcceptanceNotice,
    CorrectionNotice,
    DeferredAcceptanceNotice,
    MaterialReceipt,
    RejectionNotice,
)
from quangangtong.documents.layout import (
    PLAIN,
    TEXT_WIDTH,
    chinese_date,
    fields_table,
    gap,
    grid_table,
    heading,
    para,
    render,
    seal_block,
)
from quangangtong.documents.privacy import full_ids_refuse

MATERIAL_RECEIPT_TITLE = "办理行政权力事项材料接收单"
ACCEPTANCE_TITLE = "受理通知书"
CORRECTION_TITLE = "补正材料通知书（一次性告知）"
REJECTION_TITLE = "不予受理通知书"
DEFERRED_ACCEPTANCE_TITLE = "容缺受理通知书"

NUMBER_WIDTH = 12 * mm
COUNT_WIDTH = 16 * mm
DATE_WIDTH = 32 * mm


def material_receipt_pdf(receipt: MaterialReceipt, *, allow_full_id: bool = False) -> bytes:
    """Return the 材料接收单: the materials received, missing and deferred, the officer and the promised date."""
    _check(receipt, MaterialReceipt, allow_full_id)
    promised = chinese_date(receipt.promised_completion_on) or "以受理通知书为准"
    body = [
        fields_table(
            [
                ("申请人", receipt.applicant_name),
                ("证件号码", receipt.applicant_id_masked),
                ("统一社会信用代码", receipt.applicant_credit_code),
                ("联系电话", receipt.applicant_phone_masked),
                ("代办人", receipt.agent_name),
                ("代办人证件号码", receipt.agent_id_masked),
                ("申请事项", receipt.item_name),
                ("承办部门", receipt.department_name),
                ("接收日期", chinese_date(receipt.issued_on)),
                ("承诺办结日期", promised),
                ("经办人", receipt.officer_name),
                ("受理窗口", receipt.window_name),
            ]
        ),
        heading(f"一、已收材料（共{len(receipt.received)}项）"),
        grid_table(
            ["序号", "材料名称", "原件", "复印件", "备注"],
            [
                [str(n), m.name, _copies(m.originals), _copies(m.copies), m.note]
                for n, m in enumerate(receipt.received, start=1)
            ],
            [NUMBER_WIDTH, TEXT_WIDTH - NUMBER_WIDTH - 2 * COUNT_WIDTH - 40 * mm, COUNT_WIDTH, COUNT_WIDTH, 40 * mm],
            centered=(0, 2, 3),
        ),
        heading(f"二、缺少或需补正的材料（共{len(receipt.missing)}项）"),
        _missing_table(receipt.missing),
        heading(f"三、容缺后补的材料（共{len(receipt.deferred)}项）"),
        _deferred_table(receipt.deferred),
    ]
    if receipt.deferred:
        body.append(para(f"申请人书面承诺：{receipt.deferral_promise}", PLAIN))
    body += [
        gap(),
        para(
            "本单是窗口收到上述材料的凭证，不是受理凭证；是否受理以受理通知书、补正材料通知书、"
            "容缺受理通知书或不予受理通知书为准。请妥善保管本单，扫描右上角二维码可查询办理进度。"
        ),
        seal_block(receipt, lines=["申请人（签字）：＿＿＿＿＿＿＿＿", f"经办人（签字）：{receipt.officer_name}"]),
    ]
    return render(receipt, MATERIAL_RECEIPT_TITLE, body)


def acceptance_notice_pdf(notice: AcceptanceNotice, *, allow_full_id: bool = False) -> bytes:
    """Return the 受理通知书 with the legal and promised limits, the promised date and the pickup method."""
    _check(notice, AcceptanceNotice, allow_full_id)
    body = [
        *_salutation(notice),
        para(
            f"你（单位）于{chinese_date(notice.applied_on)}提出的{notice.item_name}申请，经审查，申请材料齐全、"
            f"符合法定形式。根据{notice.legal_basis}的规定，本机关决定予以受理。"
        ),
        gap(),
        fields_table(
            [
                ("申请事项", notice.item_name),
                ("受理日期", chinese_date(notice.accepted_on)),
                ("法定办结时限", notice.legal_limit),
                ("承诺办结时限", notice.promised_limit),
                ("承诺办结日期", chinese_date(notice.promised_completion_on) or "当场办结"),
                ("取件方式", notice.pickup_method),
                ("承办部门", notice.department_name),
                ("咨询电话", notice.contact_phone),
            ]
        ),
        gap(),
        # 行政许可法 第八十二条 (working days) and 第四十五条 (time not counted, told in writing).
        para(
            "办理时限按工作日计算，不含法定节假日。依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，"
            "所需时间不计算在办理时限内，本机关将书面告知。"
        ),
        seal_block(notice),
    ]
    return render(notice, ACCEPTANCE_TITLE, body)


def correction_notice_pdf(notice: CorrectionNotice, *, allow_full_id: bool = False) -> bytes:
    """Return the 补正材料通知书 listing every missing or defective material at once (一次性告知)."""
    _check(notice, CorrectionNotice, allow_full_id)
    how = f"请通过{notice.submit_method}向{notice.submit_place}提交上述补正材料"
    if notice.submit_due_on:
        how += f"，请于{chinese_date(notice.submit_due_on)}前补正"
    if notice.contact_phone:
        how += f"。咨询电话：{notice.contact_phone}"
    body = [
        *_salutation(notice),
        para(
            f"你（单位）于{chinese_date(notice.applied_on)}提交的{notice.item_name}申请材料不齐全或者不符合法定形式。"
            f"根据{notice.legal_basis}的规定，现一次性告知你（单位）需要补正的全部内容如下："
        ),
        gap(),
        _missing_table(notice.materials),
        gap(),
        para(how + "。"),
        # 行政许可法 第三十二条第一款第（四）项: all that must be corrected is told once, on the spot or within 5 days.
        para(
            "本通知书为一次性告知，以上所列为需要补正的全部内容，本机关不再要求补正本通知书所列以外的材料。"
            "你（单位）按本通知书要求提交全部补正材料后，本机关依法予以受理。"
        ),
        seal_block(notice),
    ]
    return render(notice, CORRECTION_TITLE, body)


def rejection_notice_pdf(notice: RejectionNotice, *, allow_full_id: bool = False) -> bytes:
    """Return the 不予受理通知书 with the reason and the applicant's remedies."""
    _check(notice, RejectionNotice, allow_full_id)
    decision = (
        f"你（单位）于{chinese_date(notice.applied_on)}提出的{notice.item_name}申请，经审查：{notice.reason.rstrip('。')}。"
        f"根据{notice.legal_basis}的规定，本机关决定不予受理。"
    )
    body = [*_salutation(notice), para(decision)]
    if notice.competent_authority:
        body.append(para(f"请向{notice.competent_authority}提出申请。"))
    body += [para(notice.remedies), seal_block(notice)]
    return render(notice, REJECTION_TITLE, body)


def deferred_acceptance_notice_pdf(notice: DeferredAcceptanceNotice, *, allow_full_id: bool = False) -> bytes:
    """Return the 容缺受理通知书: the deferred materials, the promise, the due date and what happens if missed."""
    _check(notice, DeferredAcceptanceNotice, allow_full_id)
    body = [
        *_salutation(notice),
        para(
            f"你（单位）于{chinese_date(notice.applied_on)}提出的{notice.item_name}申请，主要申请材料齐全、"
            "符合法定形式，下列材料暂缺或者存在瑕疵。根据你（单位）作出的书面承诺，本机关决定于"
            f"{chinese_date(notice.accepted_on)}予以容缺受理。"
        ),
        gap(),
        _deferred_table(notice.materials),
        gap(),
        para(f"你（单位）的书面承诺：{notice.promise}"),
        para(
            f"请于{chinese_date(notice.due_on)}前（以材料送达时间为准），通过{notice.submit_method}"
            f"向{notice.submit_place}补齐上述材料。审批结果在全部容缺材料补齐后发放。"
        ),
    ]
    if notice.promised_completion_on:
        body.append(para(f"承诺办结日期：{chinese_date(notice.promised_completion_on)}。"))
    if notice.contact_phone:
        body.append(para(f"咨询电话：{notice.contact_phone}。"))
    body += [para(notice.consequence), seal_block(notice)]
    return render(notice, DEFERRED_ACCEPTANCE_TITLE, body)


def _check(notice, expected_type, allow_full_id):
    if not isinstance(notice, expected_type):
        raise TypeError(f"expected {expected_type.__name__}, got {type(notice).__name__}")
    full_ids_refuse(notice, allow_full_id=allow_full_id)


def _salutation(notice):
    return [para(f"{notice.applicant_name}：", PLAIN)]


def _copies(count):
    return f"{count}份" if count else "—"


def _missing_table(materials):
    return grid_table(
        ["序号", "材料名称", "存在问题", "补正要求"],
        [[str(n), m.name, m.problem, m.requirement] for n, m in enumerate(materials, start=1)],
        [NUMBER_WIDTH, 60 * mm, 45 * mm, TEXT_WIDTH - NUMBER_WIDTH - 105 * mm],
    )


def _deferred_table(materials):
    return grid_table(
        ["序号", "材料名称", "情况", "补齐期限"],
        [[str(n), m.name, m.problem, chinese_date(m.due_on)] for n, m in enumerate(materials, start=1)],
        [NUMBER_WIDTH, TEXT_WIDTH - NUMBER_WIDTH - 40 * mm - DATE_WIDTH, 40 * mm, DATE_WIDTH],
        centered=(0, 3),
    )
