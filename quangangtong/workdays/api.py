"""Working-day arithmetic for staff clients (/api/v1/workdays/)."""

import datetime

from ninja import Query, Router, Schema, Status

from quangangtong.accounts.roles import staff_session
from quangangtong.api_schemas import STAFF_ERRORS, ErrorOut
from quangangtong.workdays.services import YEAR_MAX, YEAR_MIN, deadline_compute

MAX_DAYS = 3650

router = Router(tags=["工作日历"])


class DeadlineOut(Schema):
    start: datetime.date
    working_days: int
    due: datetime.date
    confirmed: bool
    unconfirmed_years: list[int]
    warning: str


@router.get(
    "/deadline",
    auth=staff_session,
    response={200: DeadlineOut, 400: ErrorOut, **STAFF_ERRORS},
    summary="计算办理截止日期",
    description=(
        "按工作日计算时限（行政许可法第八十二条），起算日当天不计入（民法典第二百零一条）。"
        "跨入尚未录入节假日安排的年份时只按周末推算，confirmed 为 false 并给出 warning。"
    ),
)
def deadline(
    request,
    start: str = Query(..., description="起算日期（受理日），YYYY-MM-DD，例如 2026-09-30"),
    days: str = Query(..., description=f"工作日数，0—{MAX_DAYS} 的整数"),
):
    try:
        start_date = datetime.date.fromisoformat(start.strip())
        if len(start.strip()) != 10 or not YEAR_MIN <= start_date.year <= YEAR_MAX:
            raise ValueError
    except ValueError:
        return Status(
            400,
            {"detail": f"start（起算日期）：请填写 {YEAR_MIN}—{YEAR_MAX} 年的日期，格式 YYYY-MM-DD，例如 2026-09-30。"},
        )
    try:
        working_days = int(days.strip())
        if not 0 <= working_days <= MAX_DAYS:
            raise ValueError
    except ValueError:
        return Status(400, {"detail": f"days（工作日数）：请填写 0—{MAX_DAYS} 之间的整数。"})
    result = deadline_compute(start=start_date, working_days=working_days)
    return {
        "start": result.start,
        "working_days": result.working_days,
        "due": result.due,
        "confirmed": result.is_confirmed,
        "unconfirmed_years": list(result.unconfirmed_years),
        "warning": result.warning,
    }
