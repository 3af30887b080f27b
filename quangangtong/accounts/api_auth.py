"""Who is calling the device API: a bearer token (ApiToken) or the staff pages' session, and what they may do."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from quangangtong.accounts.models import TokenKind
from quangangtong.accounts.roles import Role, staff_session, user_has_role
from quangangtong.accounts.services import api_token_authenticate

NOT_SIGNED_IN = (
    "需要身份认证：请在请求头中加入“Authorization: Bearer 接口令牌”（令牌由大厅管理员用 qgt token 生成），"
    "或先登录工作人员账号。"
)
BAD_TOKEN = "接口令牌无效或已吊销，请向大厅管理员重新申领（qgt token）。"
BAD_CSRF = "CSRF 校验失败：请刷新页面后重试（网页调用须带 X-CSRFToken 请求头）。"


@dataclass(frozen=True)
class Caller:
    """The authenticated party of an API call; `kind` is a TokenKind (a staff session counts as staff)."""

    kind: str
    user: Any = None
    site: Any = None
    token: Any = None


class BearerToken(HttpBearer):
    """Authenticate `Authorization: Bearer <token>` against the ApiTokens; a bad token is refused, not skipped."""

    def authenticate(self, request, token):
        found = api_token_authenticate(token)
        if found is None:
            raise HttpError(401, BAD_TOKEN)
        return Caller(kind=found.kind, user=found.user, site=found.site, token=found)


class StaffSession(APIKeyCookie):
    """Authenticate by the staff pages' session, so the web workbench can call the API too.

    It is the last method tried, so it answers every unauthenticated call with the 401.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        key = request.COOKIES.get(self.param_name)
        # A cookie is sent by the browser on its own: unsafe methods need the CSRF token as well.
        if key and check_csrf(request) is not None:
            raise HttpError(403, BAD_CSRF)
        return key

    def authenticate(self, request, key):
        user = staff_session(request)
        if user is None:
            raise HttpError(401, NOT_SIGNED_IN)
        return Caller(kind=TokenKind.STAFF, user=user)


def device_auth():
    """Return the authentication of the device API's non-public endpoints: a token, else the staff session."""
    return [BearerToken(), StaffSession()]


def caller_staff(caller, *roles):
    """Return the staff member making the call; refuse (403) kiosks, devices and users without one of roles."""
    if caller.kind == TokenKind.KIOSK:
        raise HttpError(403, "自助取号机令牌只能取号，不能进行此操作。")
    if caller.kind != TokenKind.STAFF or caller.user is None:
        raise HttpError(403, "设备令牌只能读取站点信息，不能进行此操作；窗口操作请使用窗口人员本人的令牌。")
    if not user_has_role(caller.user, *roles):
        needed = "、".join(Role(role).label for role in roles)
        raise HttpError(403, f"您的岗位无权进行此操作（需要：{needed}）。")
    return caller.user


def caller_may_issue(caller, site, *roles):
    """Refuse (403) a caller that may not issue tickets at site: a kiosk of another site, or staff without roles."""
    if caller.kind == TokenKind.KIOSK:
        if caller.site is None or caller.site.pk != site.pk:
            owner = caller.site.name if caller.site else "未指定站点"
            raise HttpError(403, f"此取号机令牌属于“{owner}”，不能为“{site.name}”取号。")
        return
    caller_staff(caller, *roles)
