"""The 《业务受理转办明细表》 (the ledger of promised cases): today's clocks for a list of cases, and its xlsx export.

Identity numbers and phones only ever leave here masked: the export is mailed around and printed.
"""

import datetime
import io
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from quangangtong.cases import lifecycle
from quangangtong.cases.clocks import WARNING_RANK, WarningLevel
from quangangtong.cases.lifecycle import CaseState
from quangangtong.cases.models import ApplicantKind
from quangangtong.cases.services import case_clock, clock_rules
from quangangtong.workdays.services import WorkdayCalendar

TITLE = "业务受理转办明细表"
# Excel's own "好 / 适中 / 差" cell styles, which WPS shows the same way.
WARNING_FILLS = {WarningLevel.GREEN: "C6EFCE", WarningLevel.YELLOW: "FFEB9C", WarningLevel.RED: "FFC7CE"}
WARNING_SHORT = {WarningLevel.GREEN: "绿灯", WarningLevel.YELLOW: "黄灯", WarningLevel.RED: "红灯"}
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    number_format: str = ""


COLUMNS = [
    Column("序号", 6),
    Column("办件编号", 24),
    Column("事项名称", 34),
    Column("申请人", 16),
    Column("证件号码（已脱敏）", 22),
    Column("联系电话（已脱敏）", 15),
    Column("受理时间", 17, "yyyy-mm-dd hh:mm"),
    Column("转办部门", 18),
    Column("转办时间", 17, "yyyy-mm-dd hh:mm"),
    Column("当前状态", 12),
    Column("当前环节", 9),
    Column("承诺办结日期", 13, "yyyy-mm-dd"),
    Column("剩余天数（工作日）", 10, "0"),
    Column("预警", 16),
    Column("出件方式", 10),
    Column("是否送达", 8),
    Column("送达时间", 17, "yyyy-mm-dd hh:mm"),
]
WARNING_COLUMN = next(i for i, c in enumerate(COLUMNS, start=1) if c.title == "预警")


def clocks_today(cases, *, today=None, calendar=None):
    """Return cases (a list), each with today's clock set on it as clock_* attributes.

    They are clock_remaining, clock_warning, clock_promised_due, clock_step_due, clock_step_overdue, and the
    texts clock_remaining_text and clock_warning_label. A running case is computed for today with one shared
    calendar and one rules lookup per (site, item), so a page does not wait for the nightly run and does not
    read the calendar once per case (docs/benchmarks.md: ~50× faster); a stopped case (decided, delivered …)
    keeps the values it was decided with. Prefetch ``suspensions`` on the queryset.
    """
    today = today or timezone.localdate()
    calendar = calendar or WorkdayCalendar()
    rules = {}
    cases = list(cases)
    for case in cases:
        case.clock_running = case.state in lifecycle.CLOCK_STATES and case.accepted_at is not None
        case.clock_remaining, case.clock_warning = case.remaining_working_days, case.warning
        case.clock_promised_due = case.promised_due
        case.clock_step_due, case.clock_step_overdue = case.step_due, case.step_overdue
        if not case.clock_running:
            continue
        key = (case.site_id, case.item_id)
        if key not in rules:
            rules[key] = clock_rules(item=case.item, site=case.site)
        clock = case_clock(case, today=today, calendar=calendar, rules=rules[key])
        case.clock_remaining, case.clock_warning = clock.remaining_working_days, clock.warning
        case.clock_promised_due = clock.promised_due
        case.clock_step_due, case.clock_step_overdue = clock.step_due, clock.step_overdue
    for case in cases:
        case.clock_warning_label = warning_text(case.clock_warning)
        case.clock_remaining_text = remaining_text(case)
    return cases


def remaining_text(case):
    """Return 剩余天数 as people read it: "3个工作日", "今日到期", "超期2个工作日", "已停止计时"."""
    remaining = case.clock_remaining
    if remaining is None:
        return "—"
    if remaining < 0:
        text = f"超期{-remaining}个工作日"
    elif remaining == 0:
        text = "今日到期"
    else:
        text = f"{remaining}个工作日"
    if case.state == CaseState.SUSPENDED:
        return f"{text}（特别程序中，暂停计时）"
    if not case.clock_running:
        return f"{text}（已停止计时）"
    return text


def urgency(case):
    """Return a sort key putting red before yellow before green, and the fewest days left first."""
    remaining = case.clock_remaining if case.clock_remaining is not None else 10**6
    return (-WARNING_RANK.get(case.clock_warning, 0), remaining, case.clock_promised_due or datetime.date.max, case.pk)


def running_by_warning(cases, warnings, *, today=None, calendar=None):
    """Return the running cases among cases whose colour today is one of warnings, most urgent first.

    The nightly run stores the colours; this answers for today even when it has not run yet, so that a
    filter and the colours a page shows agree.
    """
    running = cases.filter(state__in=lifecycle.CLOCK_STATES, accepted_at__isnull=False)
    rows = clocks_today(running.prefetch_related("suspensions"), today=today, calendar=calendar)
    return sorted((case for case in rows if case.clock_warning in warnings), key=urgency)


def warning_text(warning):
    """Return a colour's name for people and sheets that cannot rely on the colour itself."""
    return WarningLevel(warning).label if warning in WarningLevel.values else ""


def masked_document(case):
    """Return the applicant's identity number (an enterprise's credit code), masked."""
    if case.applicant_kind == ApplicantKind.LEGAL:
        return case.masked_credit_code or case.masked_id_number
    return case.masked_id_number


def _local(moment):
    # Excel has no time zones: write the hall's local wall-clock time.
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _row(index, case):
    delivered = case.state == CaseState.DELIVERED
    return [
        index,
        case.number,
        case.item_name,
        case.masked_applicant_name,
        masked_document(case),
        case.masked_phone,
        _local(case.accepted_at),
        case.department.name if case.department else "",
        _local(case.transferred_at),
        case.get_state_display(),
        case.get_current_step_display(),
        case.clock_promised_due,
        case.clock_remaining,
        warning_text(case.clock_warning),
        case.get_pickup_method_display(),
        "是" if delivered else "否",
        _local(case.delivered_at) if delivered else None,
    ]


def _chunks(cases):
    chunk = []
    for case in cases.prefetch_related("suspensions").iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(case)
        if len(chunk) == EXPORT_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ledger_xlsx(cases, *, hall_name, exported_at=None, filters_text="", today=None):
    """Return the ledger of cases (a queryset, in its order) as an .xlsx file's bytes."""
    exported_at = exported_at or timezone.now()
    calendar = WorkdayCalendar()
    book = Workbook()
    sheet = book.active
    sheet.title = TITLE
    last_column = get_column_letter(len(COLUMNS))
    sheet["A1"] = f"{hall_name}{TITLE}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(f"A1:{last_column}1")
    sheet.row_dimensions[1].height = 24
    sheet["A2"] = f"导出时间：{timezone.localtime(exported_at):%Y-%m-%d %H:%M}　筛选条件：{filters_text or '全部'}"
    sheet.merge_cells(f"A2:{last_column}2")
    header_row = 3
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for number, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=header_row, column=number, value=column.title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.row_dimensions[header_row].height = 30
    row_number = header_row
    for chunk in _chunks(cases):
        for case in clocks_today(chunk, today=today, calendar=calendar):
            row_number += 1
            for number, value in enumerate(_row(row_number - header_row, case), start=1):
                cell = sheet.cell(row=row_number, column=number, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # an applicant named "=…" is text, never a formula
                if COLUMNS[number - 1].number_format:
                    cell.number_format = COLUMNS[number - 1].number_format
                cell.border = border
            fill = WARNING_FILLS.get(case.clock_warning)
            if fill:
                sheet.cell(row=row_number, column=WARNING_COLUMN).fill = PatternFill("solid", fgColor=fill)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.auto_filter.ref = f"A{header_row}:{last_column}{max(row_number, header_row)}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
