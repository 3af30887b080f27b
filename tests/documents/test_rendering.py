import io

import pypdf
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from quangangtong.documents import (
    ReceivedMaterial,
    acceptance_notice_pdf,
    correction_notice_pdf,
    deferred_acceptance_notice_pdf,
    material_receipt_pdf,
    rejection_notice_pdf,
)
from quangangtong.documents.layout import FONT, MARGIN_X, PAGE_WIDTH
from tests.documents.helpers import (
    CASE_NUMBER,
    COMMON,
    HALL,
    make_acceptance,
    make_correction,
    make_deferred,
    make_receipt,
    make_rejection,
    overlapping_boxes,
    pdf_pages,
    pdf_text,
    text_boxes,
)

DOCUMENTS = {
    "办理行政权力事项材料接收单": lambda: material_receipt_pdf(make_receipt()),
    "受理通知书": lambda: acceptance_notice_pdf(make_acceptance()),
    "补正材料通知书（一次性告知）": lambda: correction_notice_pdf(make_correction()),
    "不予受理通知书": lambda: rejection_notice_pdf(make_rejection()),
    "容缺受理通知书": lambda: deferred_acceptance_notice_pdf(make_deferred()),
}
TITLES = list(DOCUMENTS)


def make_material(name):
    return ReceivedMaterial(name=name, originals=1)


@pytest.mark.parametrize("title", TITLES)
def test_it_renders_a_pdf_that_pypdf_opens_on_a4(title):
    data = DOCUMENTS[title]()

    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (round(A4[0]), round(A4[1]))


@pytest.mark.parametrize("title", TITLES)
def test_it_prints_the_hall_title_case_and_document_numbers_and_date(title):
    text = pdf_text(DOCUMENTS[title]())

    assert HALL in text
    assert title in text
    assert CASE_NUMBER in text
    assert COMMON["document_number"] in text
    assert "2026年9月30日" in text


@pytest.mark.parametrize("title", TITLES)
def test_it_sets_the_pdf_title_and_subject(title):
    metadata = pypdf.PdfReader(io.BytesIO(DOCUMENTS[title]())).metadata

    assert metadata.title == title
    assert metadata.subject == CASE_NUMBER


@pytest.mark.parametrize("title", TITLES)
def test_it_draws_no_text_over_other_text(title):
    for boxes in text_boxes(DOCUMENTS[title]()):
        assert overlapping_boxes(boxes) == []


def test_it_detects_overlapping_text_in_the_helper():
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont(FONT, 12)
    canvas.drawString(100, 500, "材料名称")
    canvas.drawString(110, 503, "重叠文字")
    canvas.save()

    [boxes] = text_boxes(buffer.getvalue())
    assert overlapping_boxes(boxes) == [("材料名称", "重叠文字")]


# --- 材料接收单 ---------------------------------------------------------------------------------------


def test_it_lists_received_materials_with_originals_and_copies():
    text = pdf_text(material_receipt_pdf(make_receipt()))

    assert "个体工商户设立登记申请书1份—" in text
    assert "经营者居民身份证1份2份核验原件后退还" in text


def test_it_lists_missing_and_deferred_materials_with_promise_and_due_date():
    text = pdf_text(material_receipt_pdf(make_receipt()))

    assert "经营场所使用证明未提交房产证或租赁合同" in text
    assert "消防安全承诺书暂缺2026年10月15日" in text
    assert "本人承诺于2026年10月15日前补齐消防安全承诺书。" in text


def test_it_shows_applicant_officer_and_promised_completion_date():
    text = pdf_text(material_receipt_pdf(make_receipt()))

    assert "申请人张三丰" in text
    assert "证件号码1101**********002X" in text
    assert "联系电话138****8000" in text
    assert "经办人王五" in text
    assert "承诺办结日期2026年10月13日" in text


def test_it_says_none_for_an_empty_material_list():
    text = pdf_text(material_receipt_pdf(make_receipt(missing=[], deferred=[])))

    assert "二、缺少或需补正的材料（共0项）序号材料名称存在问题补正要求（无）" in text
    assert "申请人书面承诺" not in text


def test_it_leaves_out_rows_for_absent_agent():
    text = pdf_text(material_receipt_pdf(make_receipt()))

    assert "代办人" not in text


def test_it_prints_the_agent_when_there_is_one():
    receipt = make_receipt(agent_name="李四", agent_id_masked="3301**********1234")

    text = pdf_text(material_receipt_pdf(receipt))

    assert "代办人李四" in text
    assert "代办人证件号码3301**********1234" in text


def test_it_flows_sixty_materials_onto_further_pages_with_the_header_repeated():
    names = [f"第{n}项材料：某某证明文件（加盖公章）" for n in range(1, 61)]
    receipt = make_receipt(received=[make_material(name) for name in names])

    pages = pdf_pages(material_receipt_pdf(receipt))

    assert len(pages) >= 2
    joined = "".join("".join(pages).split())
    assert all(joined.count(name + "1份") == 1 for name in names)
    assert all("序号材料名称原件复印件备注" in "".join(page.split()) for page in pages[1:-1])
    assert f"第1页共{len(pages)}页" in "".join(pages[0].split())


def test_it_keeps_sixty_materials_clear_of_each_other_and_inside_the_margins():
    receipt = make_receipt(received=[make_material("很长的材料名称" * (1 + n % 7)) for n in range(60)])

    for boxes in text_boxes(material_receipt_pdf(receipt)):
        assert overlapping_boxes(boxes) == []
        assert all(x0 >= MARGIN_X - 1 for _, x0, _, _, _ in boxes)
        assert all(x1 <= PAGE_WIDTH - MARGIN_X + 1 for _, _, _, x1, _ in boxes)


def test_it_prints_a_caller_text_with_markup_characters_as_is():
    text = pdf_text(material_receipt_pdf(make_receipt(item_name="A&B<事项>")))

    assert "A&B<事项>" in text


# --- 受理通知书 ---------------------------------------------------------------------------------------


def test_it_states_the_limits_the_promised_date_and_the_pickup_method():
    text = pdf_text(acceptance_notice_pdf(make_acceptance()))

    assert "法定办结时限20个工作日" in text
    assert "承诺办结时限5个工作日" in text
    assert "承诺办结日期2026年10月13日" in text
    assert "取件方式邮寄送达（EMS）" in text
    assert "决定予以受理" in text


def test_it_says_decided_on_the_spot_without_a_promised_date():
    text = pdf_text(acceptance_notice_pdf(make_acceptance(promised_completion_on=None, promised_limit="即办")))

    assert "承诺办结日期当场办结" in text


# --- 补正材料通知书 -----------------------------------------------------------------------------------


def test_it_lists_every_material_to_correct_with_what_is_wrong():
    text = pdf_text(correction_notice_pdf(make_correction()))

    assert "1经营场所使用证明未提交房产证或租赁合同" in text
    assert "2个体工商户设立登记申请书经营者未签字经营者本人签字" in text


def test_it_says_where_how_and_by_when_to_hand_corrections_in():
    text = pdf_text(correction_notice_pdf(make_correction()))

    assert "请通过现场提交或邮寄向滨江区政务服务中心一楼综合窗口提交上述补正材料" in text
    assert "请于2026年10月20日前补正" in text


def test_it_states_that_the_notice_is_the_one_time_complete_notice():
    text = pdf_text(correction_notice_pdf(make_correction()))

    assert "第三十二条" in text
    assert "本通知书为一次性告知，以上所列为需要补正的全部内容" in text


# --- 不予受理通知书 -----------------------------------------------------------------------------------


def test_it_gives_the_reason_and_the_competent_authority():
    text = pdf_text(rejection_notice_pdf(make_rejection()))

    assert "经审查：申请事项依法不属于本机关职权范围。" in text
    assert "本机关决定不予受理" in text
    assert "请向杭州市市场监督管理局提出申请。" in text


def test_it_tells_the_default_remedies():
    text = pdf_text(rejection_notice_pdf(make_rejection()))

    assert "六十日内依法申请行政复议" in text
    assert "六个月内依法向人民法院提起行政诉讼" in text


def test_it_prints_the_remedies_the_caller_gives_instead_of_the_default():
    notice = make_rejection(remedies="如不服本决定，可以自收到本通知书之日起六十日内向滨江区人民政府申请行政复议。")

    text = pdf_text(rejection_notice_pdf(notice))

    assert "向滨江区人民政府申请行政复议" in text
    assert "提起行政诉讼" not in text


# --- 容缺受理通知书 -----------------------------------------------------------------------------------


def test_it_lists_deferred_materials_the_promise_and_the_last_due_date():
    text = pdf_text(deferred_acceptance_notice_pdf(make_deferred()))

    assert "1消防安全承诺书暂缺2026年10月15日" in text
    assert "2卫生许可证复印件复印件不清晰2026年10月22日" in text
    assert "本人承诺在规定期限内补齐上述材料" in text
    assert "请于2026年10月22日前" in text


def test_it_says_the_case_is_terminated_if_the_promise_is_not_kept():
    text = pdf_text(deferred_acceptance_notice_pdf(make_deferred()))

    assert "逾期未补齐或者补齐的材料不符合要求的，本机关将终止办理" in text
    assert "审批结果在全部容缺材料补齐后发放" in text
