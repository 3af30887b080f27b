"""`qgt token` and how the device API tells who is calling: bearer tokens and the staff session."""

import datetime
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from quangangtong.accounts.models import ApiToken, TokenKind
from quangangtong.hall.models import Site
from quangangtong.queueing.models import Ticket

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def hall(db):
    """The demo hall with its accounts, open for tickets at any hour."""
    from quangangtong.demo.loader import demo_load

    demo_load()
    Site.objects.update(closing_time=datetime.time(23, 59, 59, 999999))
    return Site.objects.get(code="qjq-hall")


def _token(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def _get_site(client, token):
    return client.get("/api/v1/sites/qjq-hall", headers={"Authorization": f"Bearer {token}"})


def _issue(client, token, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(
        "/api/v1/sites/qjq-hall/tickets", data={"category": "A"}, content_type="application/json", headers=headers
    )


def _refused(response, status):
    assert response.status_code == status, response.content
    assert CHINESE.search(response.json()["detail"])
    return response.json()["detail"]


# --- the command --------------------------------------------------------------------------------


def test_it_prints_a_working_token_for_a_staff_member(client, hall):
    raw, note = _token("officer03")
    assert raw.startswith("qgt_")
    assert "\n" not in raw
    assert "只显示这一次" in note
    token = ApiToken.objects.get()
    assert token.kind == TokenKind.STAFF
    assert token.user.username == "officer03"
    assert token.digest == ApiToken.digest_of(raw)
    assert _get_site(client, raw).status_code == 200


def test_the_token_acts_as_its_officer(client, hall):
    raw, _ = _token("officer03", "--name", "3号窗口叫号器")
    assert ApiToken.objects.get().name == "3号窗口叫号器"
    window = hall.windows.get(number=3)
    response = client.post(f"/api/v1/windows/{window.id}/sign-in", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["officer"]["username"] == "officer03"


def test_revoke_by_prefix_makes_the_token_401(client, hall):
    raw, _ = _token("officer03")
    assert _get_site(client, raw).status_code == 200
    out = io.StringIO()
    call_command("token", "--revoke", raw[:8], stdout=out)
    assert "已吊销" in out.getvalue()
    detail = _refused(_get_site(client, raw), 401)
    assert "吊销" in detail
    assert ApiToken.objects.get().revoked_at is not None


def test_revoke_by_the_whole_token(client, hall):
    raw, _ = _token("officer03")
    other, _ = _token("officer04")
    call_command("token", "--revoke", raw, stdout=io.StringIO())
    _refused(_get_site(client, raw), 401)
    assert _get_site(client, other).status_code == 200


@pytest.mark.parametrize("given", ["qgt_", "qgt_zzzz", "qgt_zzzz-not-a-token"])
def test_revoking_an_unknown_token_says_so(hall, given):
    _token("officer03")
    with pytest.raises(CommandError):
        call_command("token", "--revoke", given, stdout=io.StringIO())
    assert ApiToken.objects.get().revoked_at is None


def test_revoking_twice_says_it_is_already_revoked(hall):
    raw, _ = _token("officer03")
    call_command("token", "--revoke", raw[:8], stdout=io.StringIO())
    with pytest.raises(CommandError, match="已经吊销"):
        call_command("token", "--revoke", raw[:8], stdout=io.StringIO())


def test_an_ambiguous_prefix_revokes_nothing(hall):
    _token("officer03")
    _token("officer04")
    ApiToken.objects.update(prefix="qgt_same")
    with pytest.raises(CommandError, match="整个令牌"):
        call_command("token", "--revoke", "qgt_same", stdout=io.StringIO())
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_a_kiosk_token_issues_tickets_for_its_site(client, hall):
    raw, _ = _token("--kiosk", "qjq-hall", "--name", "1号取号机")
    token = ApiToken.objects.get()
    assert (token.kind, token.name, token.site, token.user) == (TokenKind.KIOSK, "1号取号机", hall, None)
    response = _issue(client, raw)
    assert response.status_code == 201
    assert response.json()["channel"] == "kiosk"


def test_a_device_token_reads_but_does_not_issue(client, hall):
    raw, _ = _token("--device", "qjq-hall")
    assert ApiToken.objects.get().kind == TokenKind.DEVICE
    assert _get_site(client, raw).status_code == 200
    _refused(_issue(client, raw), 403)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "没有用户名"),
        (["--kiosk", "nowhere"], "不存在"),
        (["officer03", "--kiosk", "qjq-hall"], "不属于个人"),
        (["officer03", "--name", "长" * 101], "最多"),
        ([], "请给出用户名"),
    ],
)
def test_bad_arguments_make_no_token(hall, args, message):
    with pytest.raises(CommandError, match=message):
        _token(*args)
    assert not ApiToken.objects.exists()


def test_no_token_for_an_inactive_or_non_staff_account(hall):
    User.objects.create_user("visitor", password="x")
    User.objects.filter(username="officer05").update(is_active=False)
    with pytest.raises(CommandError, match="没有任何工作人员岗位"):
        _token("visitor")
    with pytest.raises(CommandError, match="已停用"):
        _token("officer05")
    assert not ApiToken.objects.exists()


def test_list_shows_prefixes_never_tokens(hall):
    raw, _ = _token("officer03")
    _token("--kiosk", "qjq-hall")
    out = io.StringIO()
    call_command("token", "--list", stdout=out)
    listing = out.getvalue()
    assert raw[:8] in listing
    assert raw not in listing
    assert "officer03" in listing
    assert "自助取号机" in listing


# --- authentication of the API ------------------------------------------------------------------


def test_a_call_without_credentials_is_401_in_chinese(client, hall):
    detail = _refused(client.get("/api/v1/sites/qjq-hall"), 401)
    assert "Authorization: Bearer" in detail
    _refused(_issue(client, None), 401)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "header", ["Bearer qgt_forged", "Bearer ", "Bearer " + "x" * 500, "Token qgt_abc", "Basic Zm9v"]
)
def test_a_bad_authorization_header_is_401(client, hall, header):
    _refused(client.get("/api/v1/sites/qjq-hall", headers={"Authorization": header}), 401)


def test_the_token_of_a_deactivated_user_is_401(client, hall):
    raw, _ = _token("officer03")
    User.objects.filter(username="officer03").update(is_active=False)
    _refused(_get_site(client, raw), 401)


def test_the_staff_session_works_too(client, hall):
    client.force_login(User.objects.get(username="guide01"))
    assert client.get("/api/v1/sites/qjq-hall").status_code == 200
    response = _issue(client, None)
    assert response.status_code == 201
    assert response.json()["channel"] == "guide"


def test_a_session_without_a_staff_role_is_401(client, hall):
    client.force_login(User.objects.create_user("visitor", password="x"))
    _refused(client.get("/api/v1/sites/qjq-hall"), 401)


def test_a_session_post_needs_the_csrf_token(hall):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.get(username="guide01"))
    detail = _refused(_issue(browser, None), 403)
    assert "CSRF" in detail
    assert not Ticket.objects.exists()
    secret = _get_new_csrf_string()
    browser.cookies["csrftoken"] = secret
    assert _issue(browser, None, **{"X-CSRFToken": secret}).status_code == 201


def test_a_bearer_token_needs_no_csrf_token(hall):
    raw, _ = _token("--kiosk", "qjq-hall")
    assert _issue(Client(enforce_csrf_checks=True), raw).status_code == 201


def test_a_process_checks_a_token_once_per_cache_period(client, hall):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raw, _ = _token("officer03")
    with CaptureQueriesContext(connection) as first:
        assert _get_site(client, raw).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert _get_site(client, raw).status_code == 200
    assert [q for q in first.captured_queries if "accounts_apitoken" in q["sql"]]
    assert not [q for q in second.captured_queries if "accounts_apitoken" in q["sql"] or "auth_group" in q["sql"]]


def test_a_revocation_made_elsewhere_takes_effect_when_the_cache_period_ends(client, hall, monkeypatch):
    import time

    raw, _ = _token("officer03")
    assert _get_site(client, raw).status_code == 200
    ApiToken.objects.update(revoked_at=datetime.datetime.now(datetime.UTC))  # as another process's command would
    assert _get_site(client, raw).status_code == 200
    later = time.monotonic() + 6
    monkeypatch.setattr(time, "monotonic", lambda: later)
    _refused(_get_site(client, raw), 401)


def test_a_deactivated_officer_is_refused_with_no_cache(client, hall, settings):
    settings.QGT_TOKEN_CACHE_SECONDS = 0
    raw, _ = _token("officer03")
    assert _get_site(client, raw).status_code == 200
    User.objects.filter(username="officer03").update(is_active=False)
    _refused(_get_site(client, raw), 401)
