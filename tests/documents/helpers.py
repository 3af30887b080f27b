"""Sample notices and readers that look inside the rendered PDFs (text with positions, the QR code's modules)."""

import io
import re
from datetime import date

import pypdf
from reportlab.pdfbase.pdfmetrics import stringWidth

from quangangtong.documents import (
    AcceptanceNotice,
    CorrectionNotice,
    DeferredAcceptanceNotice,
    DeferredMaterial,
    MaterialReceipt,
    MissingMaterial,
    ReceivedMaterial,
    RejectionNotice,
)
from quangangtong.documents.layout import FONT, QR_FORM_NAME

HALL = "滨江区政务服务中心"
CASE_NUMBER = "BJ-20260930-0007"
URL = "https://zwfw.example.gov.cn/progress/BJ-20260930-0007?t=eyJjIjoiQkotMjAyNjA5MzAtMDAwNyJ9.Zk3q"
FULL_ID = "11010519491231002X"
MASKED_ID = "1101**********002X"

COMMON = {
    "hall_name": HALL,
    "case_number": CASE_NUMBER,
    "document_number": "滨政服〔2026〕第0007号",
    "issued_on": date(2026, 9, 30),
    "progress_url": URL,
    "applicant_name": "张三丰",
    "applicant_id_masked": MASKED_ID,
    "item_name": "个体工商户设立登记",
}


def make_receipt(**overrides):
    values = {
        **COMMON,
        "applicant_phone_masked": "138****8000",
        "received": [
            ReceivedMaterial(name="个体工商户设立登记申请书", originals=1),
            ReceivedMaterial(name="经营者居民身份证", originals=1, copies=2, note="核验原件后退还"),
        ],
        "missing": [MissingMaterial(name="经营场所使用证明", problem="未提交", requirement="房产证或租赁合同")],
        "deferred": [DeferredMaterial(name="消防安全承诺书", due_on=date(2026, 10, 15))],
        "deferral_promise": "本人承诺于2026年10月15日前补齐消防安全承诺书。",
        "officer_name": "王五",
        "window_name": "综合受理3号窗口",
        "promised_completion_on": date(2026, 10, 13),
        **overrides,
    }
    return MaterialReceipt(**values)


def make_acceptance(**overrides):
    values = {
        **COMMON,
        "applied_on": date(2026, 9, 30),
        "accepted_on": date(2026, 9, 30),
        "legal_limit": "20个工作日",
        "promised_limit": "5个工作日",
        "promised_completion_on": date(2026, 10, 13),
        "pickup_method": "邮寄送达（EMS）",
        "department_name": "区市场监督管理局",
        "contact_phone": "0571-87000000",
        **overrides,
    }
    return AcceptanceNotice(**values)


def make_correction(**overrides):
    values = {
        **COMMON,
        "applied_on": date(2026, 9, 28),
        "materials": [
            MissingMaterial(name="经营场所使用证明", problem="未提交", requirement="房产证或租赁合同"),
            MissingMaterial(name="个体工商户设立登记申请书", problem="经营者未签字", requirement="经营者本人签字"),
        ],
        "submit_place": "滨江区政务服务中心一楼综合窗口",
        "submit_method": "现场提交或邮寄",
        "submit_due_on": date(2026, 10, 20),
        **overrides,
    }
    return CorrectionNotice(**values)


def make_rejection(**overrides):
    values = {
        **COMMON,
        "applied_on": date(2026, 9, 30),
        "reason": "申请事项依法不属于本机关职权范围",
        "competent_authority": "杭州市市场监督管理局",
        **overrides,
    }
    return RejectionNotice(**values)


def make_deferred(**overrides):
    values = {
        **COMMON,
        "applied_on": date(2026, 9, 30),
        "accepted_on": date(2026, 9, 30),
        "materials": [
            DeferredMaterial(name="消防安全承诺书", due_on=date(2026, 10, 15)),
            DeferredMaterial(name="卫生许可证复印件", due_on=date(2026, 10, 22), problem="复印件不清晰"),
        ],
        "promise": "本人承诺在规定期限内补齐上述材料，逾期未补齐的，同意终止办理。",
        "submit_place": "一楼综合窗口",
        "submit_method": "现场提交",
        "promised_completion_on": date(2026, 10, 13),
        **overrides,
    }
    return DeferredAcceptanceNotice(**values)


def pdf_pages(data):
    """Return the text of each page, extracted by pypdf (STSong-Light maps back to Unicode)."""
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def pdf_text(data):
    """Return the text of all pages with line breaks removed, so wrapped cells read as one string."""
    return "".join("".join(pdf_pages(data)).split())


def text_boxes(data):
    """Return, per page, the (text, x0, y0, x1, y1) box of every piece of text drawn on it."""
    pages = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        boxes = []

        def visit(text, cm, tm, font_dict, font_size, boxes=boxes):
            text = text.strip()
            if not text:
                return
            matrix = pypdf.mult(tm, cm)
            x, y, size = matrix[4], matrix[5], font_size * matrix[3]
            # STSong-Light glyphs sit on the baseline with a small descent; the box is one em tall.
            boxes.append((text, x, y - 0.12 * size, x + stringWidth(text, FONT, size), y + 0.88 * size))

        page.extract_text(visitor_text=visit)
        pages.append(boxes)
    return pages


def overlapping_boxes(boxes, tolerance=0.5):
    """Return the pairs of text boxes that overlap by more than tolerance points in both directions."""
    pairs = []
    for index, first in enumerate(boxes):
        for second in boxes[index + 1 :]:
            dx = min(first[3], second[3]) - max(first[1], second[1])
            dy = min(first[4], second[4]) - max(first[2], second[2])
            if dx > tolerance and dy > tolerance:
                pairs.append((first[0], second[0]))
    return pairs


RECT = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re")


def qr_matrix(data):
    """Rebuild the QR code's module matrix from the squares drawn in its form XObject on page 1."""
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    xobjects = page["/Resources"]["/XObject"]
    form = next(xobjects[name].get_object() for name in xobjects if QR_FORM_NAME in name)
    size = float(form["/BBox"][2])
    rects = [tuple(float(v) for v in match) for match in RECT.findall(form.get_data())]
    module = min(height for _, _, _, height in rects)
    modules_across = round(size / module)
    matrix = [[False] * modules_across for _ in range(modules_across)]
    for x, y, width, _ in rects:
        row = modules_across - 1 - round(y / module)
        first = round(x / module)
        for column in range(first, first + round(width / module)):
            matrix[row][column] = True
    return matrix
