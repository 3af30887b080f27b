"""The calendar page and the manager's forms."""

import datetime

import pytest
from django.urls import reverse

from quangangtong.accounts.roles import Role
from quangangtong.workdays.models import ScheduleYear, SpecialDay

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("workdays-calendar"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    response = client.post(reverse("workdays-day-set"), {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302
    assert not SpecialDay.objects.filter(date__year=2027).exists()


def test_it_shows_a_window_officer_the_calendar_without_forms(client_for):
    response = client_for(Role.WINDOW_OFFICER).get(reverse("workdays-calendar"), {"year": 2026})
    assert response.status_code == 200
    body = response.content.decode()
    assert "国庆节调休上班" in body
    assert "2026年的节假日安排已确认" in body
    assert reverse("workdays-day-set") not in body


def test_it_refuses_a_window_officer_posting_a_day(client_for):
    client = client_for(Role.WINDOW_OFFICER)
    response = client.post(reverse("workdays-day-set"), {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 403
    response = client.post(reverse("workdays-year-confirm"), {"year": "2027"})
    assert response.status_code == 403
    assert not SpecialDay.objects.filter(date__year=2027).exists()


def test_it_warns_about_an_unconfirmed_year(client_for):
    response = client_for(Role.APPROVER).get(reverse("workdays-calendar"), {"year": 2027})
    assert response.status_code == 200
    assert "2027年的节假日安排尚未确认" in response.content.decode()


def test_it_rejects_a_bad_year_in_the_address(client_for):
    response = client_for(Role.GUIDE).get(reverse("workdays-calendar"), {"year": "二〇二七"})
    assert response.status_code == 400
    assert "年份：" in response.content.decode()


def test_a_hall_manager_adds_a_day_and_confirms_the_year(client_for):
    client = client_for(Role.HALL_MANAGER)
    page = client.get(reverse("workdays-calendar"))
    assert reverse("workdays-day-set") in page.content.decode()
    response = client.post(reverse("workdays-day-set"), {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302
    assert response["Location"].endswith("?year=2027")
    day = SpecialDay.objects.get(date=datetime.date(2027, 1, 1))
    assert (day.kind, day.name, day.source) == ("holiday", "元旦", "manual")
    response = client.post(
        reverse("workdays-year-confirm"), {"year": "2027", "note": "国办发明电〔2026〕X号"}, follow=True
    )
    assert response.status_code == 200
    assert "已确认2027年的节假日安排" in response.content.decode()
    assert ScheduleYear.objects.get(year=2027).note == "国办发明电〔2026〕X号"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2027-13-01", "kind": "holiday", "name": "元旦"}, "日期：格式应为"),
        ({"date": "2027-01-02", "kind": "holiday", "name": "元旦"}, "日期：2027-01-02是星期六"),
        ({"date": "2027-01-04", "kind": "workday", "name": "补班"}, "日期：2027-01-04是星期一"),
        ({"date": "2027-01-01", "kind": "rest", "name": "元旦"}, "类型："),
        ({"date": "2027-01-01", "kind": "holiday", "name": ""}, "名称："),
        ({}, "日期：请填写日期"),
    ],
)
def test_bad_day_input_gives_400_and_writes_nothing(client_for, data, message):
    response = client_for(Role.HALL_MANAGER).post(reverse("workdays-day-set"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SpecialDay.objects.filter(date__year=2027).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": "abc"}, "年份：请填写四位数字的年份"),
        ({"year": "1800"}, "年份：请填写 2000—2100 之间的年份"),
        ({"year": "2027"}, "年份：2027年还没有录入任何放假日期"),
    ],
)
def test_bad_confirm_input_gives_400_and_writes_nothing(client_for, data, message):
    response = client_for(Role.HALL_MANAGER).post(reverse("workdays-year-confirm"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ScheduleYear.objects.filter(year__gte=2027).exists()


def test_a_manager_cannot_get_the_post_only_urls(client_for):
    assert client_for(Role.HALL_MANAGER).get(reverse("workdays-day-set")).status_code == 405


def test_the_admin_lists_special_days_by_kind_and_year(client_for):
    client = client_for(Role.HALL_MANAGER)
    response = client.get(
        reverse("admin:workdays_specialday_changelist"), {"year": "2026", "kind": "workday", "q": "国庆"}
    )
    assert response.status_code == 200
    assert "国庆节调休上班" in response.content.decode()
    assert client.get(reverse("admin:workdays_scheduleyear_changelist")).status_code == 200


def test_the_admin_refuses_a_weekend_holiday(client_for):
    response = client_for(Role.HALL_MANAGER).post(
        reverse("admin:workdays_specialday_add"), {"date": "2027-01-02", "kind": "holiday", "name": "元旦"}
    )
    assert response.status_code == 200
    assert "星期六" in response.content.decode()
    assert not SpecialDay.objects.filter(date__year=2027).exists()
