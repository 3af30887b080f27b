"""Reading a case: GET /cases/{number} for any member of staff."""

from quangangtong.accounts.api_auth import device_auth
from quangangtong.cases.api._common import CASE_ERRORS, _answers_case_errors, _staff_and_case, router
from quangangtong.cases.api.shapes import CaseOut, _case_out


@router.get(
    "/cases/{number}",
    response={200: CaseOut, **CASE_ERRORS},
    auth=device_auth(),
    url_name="case_detail",
    summary="办件详情（工作人员）",
    description="办件的申请人（姓名、证件号码、电话均已遮蔽）、材料、时限（剩余工作日、预警）、告知书、出件记录、"
    "全部记录，以及调用者现在能进行哪些操作（不能的附原因）。任何工作人员岗位可读。",
)
@_answers_case_errors
def case_detail(request, number: str):
    user, case = _staff_and_case(request, number)
    return _case_out(request, case, user)
