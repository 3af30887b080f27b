"""GET /api/v1/workdays/deadline."""

import pytest

from quangangtong.accounts.roles import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/workdays/deadline"


def test_it_refuses_anonymous_callers(client):
    assert client.get(URL, {"start": "2026-09-30", "days": "5"}).status_code == 401


def test_it_refuses_signed_in_users_without_a_staff_role(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor", password="pw-for-tests"))
    assert client.get(URL, {"start": "2026-09-30", "days": "5"}).status_code == 401


def test_it_computes_a_confirmed_deadline(client_for):
    response = client_for(Role.WINDOW_OFFICER).get(URL, {"start": "2026-09-30", "days": "5"})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-09-30",
        "working_days": 5,
        "due": "2026-10-13",
        "confirmed": True,
        "unconfirmed_years": [],
        "warning": "",
    }


def test_it_warns_about_an_unconfirmed_year(client_for):
    body = client_for(Role.APPROVER).get(URL, {"start": "2026-12-28", "days": "15"}).json()
    assert body["due"] == "2027-01-18"
    assert body["confirmed"] is False
    assert body["unconfirmed_years"] == [2027]
    assert body["warning"].startswith("2027年的节假日安排尚未录入")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-02-30", "days": "5"}, "start"),
        ({"start": "30/09/2026", "days": "5"}, "start"),
        ({"start": "20260930", "days": "5"}, "start"),
        ({"start": "9999-12-31", "days": "5"}, "start"),
        ({"start": "2026-09-30", "days": "-1"}, "days"),
        ({"start": "2026-09-30", "days": "3651"}, "days"),
        ({"start": "2026-09-30", "days": "五"}, "days"),
    ],
)
def test_bad_input_gets_a_chinese_message(client_for, params, field):
    response = client_for(Role.GUIDE).get(URL, params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}（")


def test_missing_parameters_are_a_validation_error_not_a_crash(client_for):
    assert client_for(Role.GUIDE).get(URL).status_code in (400, 422)


def test_the_longest_limit_is_computed(client_for):
    body = client_for(Role.GUIDE).get(URL, {"start": "2026-09-30", "days": "3650"}).json()
    assert body["unconfirmed_years"][0] == 2027


def test_the_openapi_schema_documents_the_call(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/workdays/deadline"]["get"]
    assert operation["tags"] == ["工作日历"]
    assert {p["name"] for p in operation["parameters"]} == {"start", "days"}
