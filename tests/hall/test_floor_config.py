"""The floor configuration page: windows, ticket categories and the floor rules, kept by the hall manager."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from quangangtong.accounts.roles import Role
from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import Site, TicketCategory, Window, WindowState
from quangangtong.hall.services import site_rules_save, ticket_category_save, window_save
from quangangtong.queueing.models import LiveEvent
from quangangtong.queueing.services import ticket_issue, window_sign_in


@pytest.fixture
def hall(db):
    """Load the demo hall with its floor and accounts; return the district hall."""
    from quangangtong.demo.loader import demo_load

    demo_load()
    return Site.objects.get(code="qjq-hall")


@pytest.fixture
def manager(client, hall):
    client.force_login(User.objects.get(username="manager"))
    return client


def _url(site, name="floor-config", *args):
    return reverse(name, args=[site.code, *args])


def _category(site, prefix):
    return TicketCategory.objects.get(site=site, prefix=prefix)


def _window_data(prefix, number, categories, name="", state="closed"):
    return {
        f"{prefix}-number": number,
        f"{prefix}-name": name,
        f"{prefix}-categories": [c.pk for c in categories],
        f"{prefix}-state": state,
    }


def _issue(site, prefix):
    # Tickets are refused after the closing time; these tests may run at any hour.
    site.closing_time = datetime.time.max
    site.save(update_fields=["closing_time"])
    return ticket_issue(site=site, category=prefix)[0]


def _rules(**changes):
    return {
        "call_template": "请{number}号到{window}号窗口办理",
        "recall_limit": "3",
        "closing_time": "17:30",
        "fluency_threshold_minutes": "10",
        "starvation_minutes": "30",
        "call_near_ahead": "3",
        **changes,
    }


def test_it_sends_anonymous_visitors_to_sign_in(client, hall):
    response = client.get(_url(hall))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("role", [Role.WINDOW_OFFICER, Role.SUPERVISOR, Role.GUIDE])
def test_it_is_for_hall_managers_only(client_for, hall, role):
    client = client_for(role)
    assert client.get(_url(hall)).status_code == 403
    assert client.post(_url(hall, "floor-rules"), _rules(recall_limit="5")).status_code == 403
    hall.refresh_from_db()
    assert hall.recall_limit == 3


def test_it_shows_the_windows_categories_and_rules(manager, hall):
    response = manager.get(_url(hall))
    assert response.status_code == 200
    body = response.content.decode()
    for number in range(1, 7):
        assert f"保存{number}号窗口" in body
    for prefix in "ABCDE":
        assert f'id="category-{prefix}"' in body
    assert "现在的播报：“请A001号到3号窗口办理”" in body
    assert 'value="17:30"' in body


# --- windows ------------------------------------------------------------------------------------


def test_a_manager_adds_a_window(manager, hall):
    data = _window_data("new", 7, [_category(hall, "A"), _category(hall, "E")], name="7号综合窗口")
    response = manager.post(_url(hall, "floor-window-add"), data)
    assert response.status_code == 302
    window = Window.objects.get(site=hall, number=7)
    assert window.name == "7号综合窗口"
    assert window.state == WindowState.CLOSED
    assert sorted(c.prefix for c in window.categories.all()) == ["A", "E"]


def test_a_manager_changes_the_categories_of_a_window(manager, hall):
    window = Window.objects.get(site=hall, number=6)
    data = _window_data(f"w{window.pk}", 6, [_category(hall, "D")], name="出件窗口")
    assert manager.post(_url(hall, "floor-window", window.pk), data).status_code == 302
    window.refresh_from_db()
    assert window.name == "出件窗口"
    assert [c.prefix for c in window.categories.all()] == ["D"]


@pytest.mark.parametrize(
    ("number", "prefixes", "message"),
    [
        (3, "A", "窗口号：本站点已有 3 号窗口，请换一个号。"),
        (0, "A", "窗口号：请填写 1—999 之间的整数。"),
        ("七", "A", "窗口号：请填写整数。"),
        (8, "", "服务类别：请至少选择一个类别，否则这个窗口叫不到号。"),
    ],
)
def test_it_refuses_a_bad_window_naming_the_field(manager, hall, number, prefixes, message):
    data = _window_data("new", number, [_category(hall, p) for p in prefixes])
    response = manager.post(_url(hall, "floor-window-add"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Window.objects.filter(site=hall).count() == 6


def test_it_refuses_a_category_of_another_site(manager, hall):
    station = Site.objects.get(code="gangwan")
    data = _window_data("new", 7, [TicketCategory.objects.get(site=station, prefix="S")])
    response = manager.post(_url(hall, "floor-window-add"), data)
    assert response.status_code == 400
    assert "服务类别：所选类别不属于本站点" in response.content.decode()
    assert not Window.objects.filter(site=hall, number=7).exists()


def test_the_service_refuses_a_category_of_another_site(hall):
    station_category = TicketCategory.objects.get(prefix="S")
    with pytest.raises(ValidationError) as caught:
        window_save(site=hall, number=9, categories=[station_category])
    assert caught.value.message_dict == {"categories": ["服务类别：只能选择本站点的取号类别。"]}


def test_it_keeps_a_window_number_unique_when_renumbering(manager, hall):
    window = Window.objects.get(site=hall, number=6)
    data = _window_data(f"w{window.pk}", 5, [_category(hall, "C")])
    response = manager.post(_url(hall, "floor-window", window.pk), data)
    assert response.status_code == 400
    assert "窗口号：本站点已有 5 号窗口" in response.content.decode()
    window.refresh_from_db()
    assert window.number == 6


def test_a_manager_pauses_a_window_someone_is_signed_in_at(manager, hall):
    window = Window.objects.get(site=hall, number=3)
    window_sign_in(window=window, officer=User.objects.get(username="officer03"))
    data = _window_data(f"w{window.pk}", 3, window.categories.all(), name=window.name, state="paused")
    assert manager.post(_url(hall, "floor-window", window.pk), data).status_code == 302
    window.refresh_from_db()
    assert window.state == WindowState.PAUSED
    event = LiveEvent.objects.filter(kind="window").latest("id")
    assert event.payload["window"] == 3
    assert event.payload["state"] == "paused"
    assert "waiting" in event.payload


@pytest.mark.parametrize(("signed_in", "state", "message"), [
    (False, "open", "状态：3号综合窗口没有人员签到，不能设为“服务中”"),
    (False, "paused", "状态：3号综合窗口没有人员签到，不能设为“暂停服务”"),
    (True, "closed", "状态：3号综合窗口有综合窗口03签到，请其先签退"),
])  # fmt: skip
def test_it_refuses_a_window_state_that_contradicts_the_sign_in(manager, hall, signed_in, state, message):
    window = Window.objects.get(site=hall, number=3)
    if signed_in:
        window_sign_in(window=window, officer=User.objects.get(username="officer03"))
    window.refresh_from_db()
    before = window.state
    data = _window_data(f"w{window.pk}", 3, window.categories.all(), name=window.name, state=state)
    response = manager.post(_url(hall, "floor-window", window.pk), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    window.refresh_from_db()
    assert window.state == before


def test_it_refuses_to_strand_a_ticket_transferred_to_the_window(hall):
    window = Window.objects.get(site=hall, number=2)
    ticket = _issue(hall, "B")
    ticket.reserved_window = window
    ticket.save(update_fields=["reserved_window"])
    with pytest.raises(ValidationError) as caught:
        window_save(site=hall, window=window, number=2, categories=[_category(hall, "A")])
    assert "B001号已转至本窗口" in caught.value.message_dict["categories"][0]
    assert sorted(c.prefix for c in window.categories.all()) == ["A", "B"]


# --- categories ---------------------------------------------------------------------------------


def test_a_manager_adds_a_category_then_picks_its_items(manager, hall):
    response = manager.post(_url(hall, "floor-category-add"), {"cat-prefix": "f", "cat-name": "公积金"})
    assert response.status_code == 302
    category = TicketCategory.objects.get(site=hall, prefix="F")
    assert response.url == _url(hall, "floor-category", category.pk)
    assert category.sort_order > _category(hall, "E").sort_order
    page = manager.get(response.url)
    assert page.status_code == 200
    items = list(ServiceItem.objects.filter(department__code="zjj")[:2])
    data = {"prefix": "F", "name": "公积金", "description": "住房公积金", "is_active": "on"}
    response = manager.post(response.url, {**data, "items": [i.pk for i in items]})
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.description == "住房公积金"
    assert set(category.items.all()) == set(items)


def test_the_category_page_shows_the_items_already_in_other_categories(manager, hall):
    category = _category(hall, "E")
    body = manager.get(_url(hall, "floor-category", category.pk)).content.decode()
    item = _category(hall, "A").items.first()
    assert f'value="{item.pk}"> {item.name} <span class="elsewhere">（A）</span>' in body


@pytest.mark.parametrize(
    ("prefix", "name", "message"),
    [
        ("A", "重复", "字母前缀：本站点已有前缀为 A 的类别，请换一个字母。"),
        ("A1", "数字", "字母前缀：请填写 1—2 个英文字母"),
        ("ABC", "太长", "字母前缀：请填写 1—2 个英文字母"),
        ("甲", "汉字", "字母前缀：请填写 1—2 个英文字母"),
        ("", "空", "字母前缀：请填写。"),
        ("G", "", "名称：请填写。"),
        ("G", "名" * 31, "名称：最多 30 个字。"),
    ],
)
def test_it_refuses_a_bad_category_naming_the_field(manager, hall, prefix, name, message):
    response = manager.post(_url(hall, "floor-category-add"), {"cat-prefix": prefix, "cat-name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert TicketCategory.objects.filter(site=hall).count() == 5


def test_the_same_prefix_is_fine_at_another_site(hall):
    station = Site.objects.get(code="gangwan")
    category = ticket_category_save(site=station, prefix="A", name="社保")
    assert category.site == station


def test_it_refuses_to_change_a_prefix_while_tickets_are_open(manager, hall):
    category = _category(hall, "B")
    _issue(hall, "B")
    data = {"prefix": "M", "name": category.name, "is_active": "on", "items": [i.pk for i in category.items.all()]}
    response = manager.post(_url(hall, "floor-category", category.pk), data)
    assert response.status_code == 400
    assert "字母前缀：该类别今天还有未办完的票" in response.content.decode()
    category.refresh_from_db()
    assert category.prefix == "B"


def test_a_refused_category_change_keeps_the_ticked_items(manager, hall):
    category = _category(hall, "E")
    item = _category(hall, "A").items.first()
    response = manager.post(_url(hall, "floor-category", category.pk), {"prefix": "E", "name": "", "items": [item.pk]})
    assert response.status_code == 400
    assert f'value="{item.pk}" checked' in response.content.decode()
    assert not category.items.exists()


def test_it_answers_404_for_a_category_of_another_site(manager, hall):
    station_category = TicketCategory.objects.get(prefix="S")
    assert manager.get(_url(hall, "floor-category", station_category.pk)).status_code == 404


# --- rules --------------------------------------------------------------------------------------


def test_a_manager_saves_the_floor_rules(manager, hall):
    data = _rules(
        call_template="请{number}号到{window}号窗口",
        recall_limit="2",
        closing_time="17:00",
        fluency_threshold_minutes="15",
        starvation_minutes="45",
        call_near_ahead="5",
    )
    assert manager.post(_url(hall, "floor-rules"), data).status_code == 302
    hall.refresh_from_db()
    assert hall.call_template == "请{number}号到{window}号窗口"
    assert (hall.recall_limit, hall.closing_time) == (2, datetime.time(17, 0))
    assert (hall.fluency_threshold_minutes, hall.starvation_minutes) == (15, 45)
    assert hall.call_near_ahead == 5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"call_template": "请{number}号办理"}, "叫号语音模板：必须包含 {window}"),
        ({"call_template": "请到{window}号窗口"}, "叫号语音模板：必须包含 {number}"),
        ({"call_template": "请{number}号到{window}号窗口找{name}"}, "只能使用 {number}（票号）和 {window}（窗口号）"),
        ({"call_template": "请{number号到{window}号窗口"}, "叫号语音模板：花括号不成对"),
        ({"call_template": "请{number!r}号到{window}号窗口"}, "只能使用 {number}（票号）和 {window}（窗口号）"),
        ({"call_template": ""}, "叫号语音模板：请填写。"),
        ({"recall_limit": "-1"}, "重呼次数上限：请填写 0—10 之间的整数。"),
        ({"recall_limit": "三"}, "重呼次数上限：请填写整数。"),
        ({"closing_time": "25:00"}, "停止取号并清号时间：格式应为 HH:MM"),
        ({"fluency_threshold_minutes": "500"}, "熟练优先阈值：请填写 0—120 之间的分钟数。"),
        ({"starvation_minutes": "1"}, "最长等候保障：请填写 5—240 之间的分钟数。"),
        ({"call_near_ahead": "-2"}, "临近叫号短信：请填写 0—50 之间的人数"),
        ({"call_near_ahead": ""}, "临近叫号短信：请"),
    ],
)
def test_it_refuses_bad_floor_rules_naming_the_field(manager, hall, changes, message):
    response = manager.post(_url(hall, "floor-rules"), _rules(**{"recall_limit": "2", **changes}))
    assert response.status_code == 400
    assert message in response.content.decode()
    hall.refresh_from_db()
    assert hall.recall_limit == 3
    assert hall.call_template == "请{number}号到{window}号窗口办理"


def test_the_rules_service_reports_every_field_at_once(hall):
    with pytest.raises(ValidationError) as caught:
        site_rules_save(
            site=hall,
            call_template="{x}",
            recall_limit=99,
            closing_time="late",
            fluency_threshold_minutes=-1,
            starvation_minutes=0,
        )
    assert set(caught.value.message_dict) == {
        "call_template", "recall_limit", "closing_time", "fluency_threshold_minutes", "starvation_minutes",
    }  # fmt: skip
