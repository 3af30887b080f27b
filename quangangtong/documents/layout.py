"""The A4 page every notice shares: the hall's name on top, the title and QR code, numbered pages, tables.

Text uses ReportLab's built-in CID font STSong-Light, so no font file ships and every PDF viewer in China
has the glyphs; Paragraphs wrap with wordWrap="CJK", so long lists flow onto further pages.
"""

from io import BytesIO
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 25 * mm
MARGIN_BOTTOM = 22 * mm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
QR_SIZE = 28 * mm
QR_QUIET_MODULES = 4  # ISO/IEC 18004 asks for a 4-module light margin around the symbol.
QR_FORM_NAME = "progress-qr"

pdfmetrics.registerFont(UnicodeCIDFont(FONT))

BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=18, wordWrap="CJK", firstLineIndent=22)
PLAIN = ParagraphStyle("plain", parent=BODY, firstLineIndent=0)
TITLE = ParagraphStyle("title", parent=PLAIN, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4)
META = ParagraphStyle("meta", parent=PLAIN, fontSize=10, leading=15)
HEADING = ParagraphStyle("heading", parent=PLAIN, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
CELL = ParagraphStyle("cell", parent=PLAIN, fontSize=10, leading=14)
CELL_CENTER = ParagraphStyle("cell-center", parent=CELL, alignment=TA_CENTER)
CAPTION = ParagraphStyle("caption", parent=PLAIN, fontSize=8, leading=10, alignment=TA_CENTER)
RIGHT = ParagraphStyle("right", parent=PLAIN, alignment=TA_RIGHT)
LABEL_FILL = colors.Color(0.93, 0.93, 0.93)


def chinese_date(day):
    """Return a date as 2026年9月30日, or an empty string for None."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def para(text, style=BODY):
    """Return a Paragraph of plain text (escaped, so a caller's < or & prints as itself)."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def gap():
    """Return the space between two blocks of a notice."""
    return Spacer(1, 3 * mm)


def heading(text):
    """Return a section heading."""
    return para(text, HEADING)


class QrCode(Flowable):
    """A QR code drawn as vector squares in its own form XObject, so it prints sharp at any size."""

    def __init__(self, data, size=QR_SIZE):
        super().__init__()
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        code.add_data(data)
        code.make(fit=True)
        self.data = data
        self.matrix = code.get_matrix()
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        canvas = self.canv
        count = len(self.matrix)
        module = self.size / (count + 2 * QR_QUIET_MODULES)
        canvas.beginForm(QR_FORM_NAME, upperx=self.size, uppery=self.size)
        canvas.setFillColor(colors.black)
        path = canvas.beginPath()
        for row, cells in enumerate(self.matrix):
            y = self.size - (QR_QUIET_MODULES + row + 1) * module
            for start, length in _dark_runs(cells):
                path.rect((QR_QUIET_MODULES + start) * module, y, length * module, module)
        # One filled path rather than a rectangle per run: viewers leave no hairline seams between modules.
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.endForm()
        canvas.doForm(QR_FORM_NAME)


def _dark_runs(cells):
    """Yield (start, length) of each run of dark modules in a row."""
    start = None
    for index, dark in enumerate([*cells, False]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            yield start, index - start
            start = None


def grid_table(header, rows, col_widths, *, centered=(0,), empty_text="（无）"):
    """Return a ruled table whose header row repeats on every page and whose cells wrap."""
    data = [[para(text, CELL_CENTER) for text in header]]
    for row in rows:
        data.append([para(text, CELL_CENTER if index in centered else CELL) for index, text in enumerate(row)])
    if not rows:
        data.append([para(empty_text, CELL_CENTER)] + [""] * (len(header) - 1))
    table = Table(data, colWidths=col_widths, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if not rows:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(style))
    return table


def fields_table(pairs):
    """Return a two-pair-per-row table of labels and values; a pair with an empty value is left out."""
    pairs = [(label, value) for label, value in pairs if value]
    label_width = 33 * mm
    value_width = TEXT_WIDTH / 2 - label_width
    rows, style = [], [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    for index in range(0, len(pairs), 2):
        chunk = pairs[index : index + 2]
        row = []
        for label, value in chunk:
            row += [para(label, CELL_CENTER), para(value, CELL)]
        if len(chunk) == 1:
            row += ["", ""]
            style.append(("SPAN", (1, len(rows)), (3, len(rows))))
        rows.append(row)
    style += [("BACKGROUND", (0, 0), (0, -1), LABEL_FILL), ("BACKGROUND", (2, 0), (2, -1), LABEL_FILL)]
    table = Table(rows, colWidths=[label_width, value_width, label_width, value_width])
    table.setStyle(TableStyle(style))
    return table


def seal_block(notice, *, lines=()):
    """Return the signature lines and the issuer with the date, kept together at the end of the notice."""
    flowables = [Spacer(1, 8 * mm)]
    flowables += [para(line, PLAIN) for line in lines]
    if lines:
        flowables.append(Spacer(1, 6 * mm))
    flowables += [para(f"{notice.issuer_name}（盖章）", RIGHT), para(chinese_date(notice.issued_on), RIGHT)]
    return KeepTogether(flowables)


def _head(notice, title):
    meta = [
        para(f"文书编号：{notice.document_number}", META),
        para(f"办件编号：{notice.case_number}", META),
        para(f"日　　期：{chinese_date(notice.issued_on)}", META),
    ]
    qr = [QrCode(notice.progress_url), para("扫码查询办理进度", CAPTION)]
    table = Table([[meta, qr]], colWidths=[TEXT_WIDTH - QR_SIZE - 4 * mm, QR_SIZE + 4 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (1, 0), (1, 0), 0),
            ]
        )
    )
    return [para(title, TITLE), table, Spacer(1, 4 * mm)]


def _canvas_class(notice):
    """Return a Canvas class that writes 第 n 页 共 m 页 with the case and document numbers on every page."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            # The total is known only at the end: keep each page's state and draw the footers in save().
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(FONT, 8)
                footer = (
                    f"办件编号 {notice.case_number}　文书编号 {notice.document_number}　第 {number} 页 共 {total} 页"
                )
                self.drawCentredString(PAGE_WIDTH / 2, 12 * mm, footer)
                super().showPage()
            super().save()

    return NumberedCanvas


def _page_header(notice):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 12)
        canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 14 * mm, notice.hall_name)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, PAGE_HEIGHT - 17 * mm, PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT - 17 * mm)
        canvas.restoreState()

    return draw


def render(notice, title, body):
    """Return the PDF bytes of an A4 notice: the shared head, then the body flowables."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=notice.issuer_name,
        subject=notice.case_number,
        creator="全岗通",
        lang="zh-CN",
    )
    header = _page_header(notice)
    document.build(
        [*_head(notice, title), *body],
        onFirstPage=header,
        onLaterPages=header,
        canvasmaker=_canvas_class(notice),
    )
    return buffer.getvalue()
