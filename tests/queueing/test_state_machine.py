"""Random sequences of floor operations on the demo hall; after every step the floor must still make sense."""

import datetime
import os

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from quangangtong.catalog.models import ServiceItem
from quangangtong.hall.models import TicketCategory, Window, WindowSession, WindowState
from quangangtong.queueing import routing, services
from quangangtong.queueing.errors import FloorError
from quangangtong.queueing.models import LiveEvent, Ticket, TicketEvent, TicketPriority, TicketStatus

OPENING = timezone.make_aware(datetime.datetime(2026, 11, 24, 8, 30))
# Skills differ: 01 A (learning B), 02 A + some B items, 03 A and B, 04 A + 户政 items, 08 B only,
# 09 C (learning B), 12 D, E (learning C), 13 D, E + 社保医保 items.
OFFICERS = ["officer01", "officer02", "officer03", "officer04", "officer08", "officer09", "officer12", "officer13"]
PREFIXES = ["A", "B", "C", "D", "E"]
# Windows 1 (A), 3 (A, B), 4 (B, C) and 6 (C, D, E): few enough that officers meet at them.
WINDOW_NUMBERS = [1, 3, 4, 6]
# Who may be at those windows when the run starts: each certified for some of the window's work.
CREW = [(1, "officer01"), (3, "officer03"), (4, "officer08"), (6, "officer12")]

# What the last timeline row says the ticket's status is.
STATUS_AFTER = {
    "issued": TicketStatus.WAITING,
    "called": TicketStatus.CALLED,
    "recalled": TicketStatus.CALLED,
    "no_show": TicketStatus.NO_SHOW,
    "requeued": TicketStatus.WAITING,
    "held": TicketStatus.HELD,
    "resumed": TicketStatus.CALLED,
    "transferred": TicketStatus.WAITING,
    "serving": TicketStatus.SERVING,
    "finished": TicketStatus.FINISHED,
    "closed": TicketStatus.CLOSED,
}
# The statuses each ticket action is allowed from.
ALLOWED_FROM = {
    "recall": {TicketStatus.CALLED},
    "no_show": {TicketStatus.CALLED},
    "hold": {TicketStatus.CALLED, TicketStatus.SERVING},
    "resume": {TicketStatus.HELD},
    "transfer": {TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.HELD},
    "start": {TicketStatus.CALLED},
    "finish": {TicketStatus.SERVING},
}
NOT_CERTIFIED = "403 or 409"
STEPS = 40
DAY_END_STEP = 30  # the day ends late in a run, not every few steps
PICK = st.integers(0, 1000)  # chooses among whatever tickets or windows there are at that step
SERVING_ACTIONS = ["start", "finish", "hold", "resume", "recall", "no_show"]
ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)
DONE = (TicketStatus.FINISHED, TicketStatus.CLOSED)
UNSERVED = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.HELD, TicketStatus.NO_SHOW)


TICKET_FIELDS = ["id", "status", "category_id", "window_id", "officer_id", "reserved_window_id", "recall_count"]


def _snapshot():
    """Return everything a floor operation may change, to show that a refused one changed nothing."""
    return (
        list(Ticket.objects.order_by("id").values_list(*TICKET_FIELDS, "requeued", "queued_at")),
        TicketEvent.objects.count(),
        LiveEvent.objects.count(),
        list(Window.objects.order_by("id").values_list("id", "state", "pause_reason")),
        list(WindowSession.objects.order_by("id").values_list("id", "window_id", "officer_id", "signed_out_at")),
    )


def _waiting(ticket):
    return routing.WaitingTicket(
        id=ticket.id,
        category=ticket.category.prefix,
        item=ticket.item.implementation_code if ticket.item_id else None,
        priority=routing.Priority(ticket.priority),
        queued_at=ticket.queued_at.timestamp(),
    )


def _can_serve(officer, ticket):
    return services.officer_skills(officer, site=ticket.site).proficiency(_waiting(ticket)) is not None


class FloorMachine(RuleBasedStateMachine):
    """Drive the floor services in random order; predict each refusal, then check the floor's invariants.

    Most rules take a step the floor allows (a ticket in the right status, the officer at its window), so
    that runs get deep; the stray rules try any action on any ticket or window by any officer.
    """

    site = None

    def __init__(self):
        super().__init__()
        # Each run starts from the freshly loaded demo floor and is rolled back at the end.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now, self.steps = OPENING, 0
        self.officers = {u.username: u for u in User.objects.filter(username__in=OFFICERS)}
        self.windows = {w.number: w for w in Window.objects.filter(site=self.site, number__in=WINDOW_NUMBERS)}
        self.categories = {c.prefix: c for c in TicketCategory.objects.filter(site=self.site)}
        self.done = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers --------------------------------------------------------------------------------

    def _tick(self, seconds=1):
        self.steps += 1
        self.now += datetime.timedelta(seconds=seconds)
        return self.now

    def _window(self, number):
        return Window.objects.select_related("site").get(pk=self.windows[number].pk)

    def _sessions(self):
        sessions = WindowSession.objects.filter(signed_out_at=None, window__in=self.windows.values())
        return list(sessions.select_related("window", "officer").order_by("window"))

    def _free_windows(self):
        taken = {session.window_id for session in self._sessions()}
        return [number for number, window in self.windows.items() if window.id not in taken]

    def _tickets(self, statuses=None):
        tickets = Ticket.objects.select_related("site", "category", "item", "window").order_by("id")
        return list(tickets.filter(status__in=statuses) if statuses else tickets)

    def _session_error(self, window, officer):
        """Return the status a window operation by officer is refused with for want of a session, or None."""
        session = services.window_session(window)
        if session is None:
            return 409
        if session.officer_id != officer.id:
            return 403
        return None

    def _attempt(self, name, expected_error, action):
        """Run action; a predicted refusal must be a FloorError of that status that changed nothing."""
        event(f"{name}: {'refused' if expected_error else 'done'}")
        before = _snapshot()
        if expected_error is None:
            return action()
        with pytest.raises(FloorError) as refused:
            action()
        if expected_error == NOT_CERTIFIED:
            assert refused.value.status in (403, 409), refused.value.message
        else:
            assert refused.value.status == expected_error, refused.value.message
        assert refused.value.message
        assert _snapshot() == before
        return None

    def _has_session(self):
        return bool(self._sessions())

    def _has_free_window(self):
        return bool(self._free_windows())

    def _has_tickets(self):
        return Ticket.objects.exists()

    # --- window operations ----------------------------------------------------------------------

    @initialize(
        crew=st.lists(st.sampled_from([True, False]), min_size=len(CREW), max_size=len(CREW)),
        prefixes=st.lists(st.sampled_from(PREFIXES), min_size=3, max_size=12),
    )
    def open_the_floor(self, crew, prefixes):
        for (number, name), present in zip(CREW, crew, strict=True):
            if present:
                services.window_sign_in(window=self._window(number), officer=self.officers[name], now=self._tick())
        for prefix in prefixes:
            services.ticket_issue(site=self.site, category=prefix, now=self._tick())

    def _sign_in(self, window, officer):
        session = services.window_session(window)
        error = None
        if session and session.officer_id != officer.id:
            error = 409
        elif session is None:
            elsewhere = WindowSession.objects.filter(officer=officer, signed_out_at=None).first()
            if elsewhere and Ticket.objects.filter(window=elsewhere.window_id, status__in=ACTIVE).exists():
                error = 409
        self._attempt(
            "sign in", error, lambda: services.window_sign_in(window=window, officer=officer, now=self._tick())
        )
        if error is None:
            assert services.window_session(window).officer_id == officer.id

    def _sign_out(self, window, officer):
        error = self._session_error(window, officer)
        if error is None and Ticket.objects.filter(window=window, status__in=ACTIVE).exists():
            error = 409
        self._attempt(
            "sign out", error, lambda: services.window_sign_out(window=window, officer=officer, now=self._tick())
        )

    def _pause_or_resume(self, window, officer, pause):
        operation = services.window_pause if pause else services.window_resume
        error = self._session_error(window, officer)
        self._attempt(
            "pause" if pause else "resume window", error,
            lambda: operation(window=window, officer=officer, now=self._tick()),
        )  # fmt: skip
        if error is None:
            assert self._window(window.number).state == (WindowState.PAUSED if pause else WindowState.OPEN)

    def _call_next(self, window, officer):
        error = self._session_error(window, officer)
        if error is None and (
            window.state != WindowState.OPEN or Ticket.objects.filter(window=window, status__in=ACTIVE).exists()
        ):
            error = 409
        prefixes = set(window.categories.values_list("prefix", flat=True))
        eligible = {
            t.id
            for t in self._tickets([TicketStatus.WAITING])
            if t.category.prefix in prefixes and t.reserved_window_id in (None, window.id) and _can_serve(officer, t)
        }
        called = self._attempt(
            "call next", error, lambda: services.ticket_call_next(window=window, officer=officer, now=self._tick())
        )
        if error is not None:
            return
        if called is None:
            event("call next: nothing to call")
            assert not eligible, "call next found nothing although an eligible ticket was waiting"
            return
        event("call next: called")
        assert called.id in eligible
        assert called.status == TicketStatus.CALLED
        assert (called.window_id, called.officer_id) == (window.id, officer.id)
        assert _can_serve(officer, called), f"{called} was called to {officer}, who is not certified for it"

    @precondition(_has_free_window)
    @rule(pick=PICK, name=st.sampled_from(OFFICERS))
    def sign_in(self, pick, name):
        free = self._free_windows()
        self._sign_in(self._window(free[pick % len(free)]), self.officers[name])

    @precondition(_has_session)
    @rule(pick=PICK)
    def sign_out(self, pick):
        sessions = self._sessions()
        session = sessions[pick % len(sessions)]
        self._sign_out(self._window(session.window.number), session.officer)

    @precondition(_has_session)
    @rule(pick=PICK, pause=st.sampled_from([False, False, True]))
    def pause_or_resume_window(self, pick, pause):
        sessions = self._sessions()
        session = sessions[pick % len(sessions)]
        self._pause_or_resume(self._window(session.window.number), session.officer, pause)

    @precondition(_has_session)
    @rule(pick=PICK)
    def call_next(self, pick):
        sessions = self._sessions()
        idle = [
            s
            for s in sessions
            if s.window.state == WindowState.OPEN
            and not Ticket.objects.filter(window=s.window_id, status__in=ACTIVE).exists()
        ]
        session = (idle or sessions)[pick % len(idle or sessions)]
        self._call_next(self._window(session.window.number), session.officer)

    @rule(
        action=st.sampled_from(["sign in", "sign out", "pause", "resume window", "call next"]),
        number=st.sampled_from(WINDOW_NUMBERS),
        name=st.sampled_from(OFFICERS),
    )
    def stray_window_operation(self, action, number, name):
        window, officer = self._window(number), self.officers[name]
        if action == "sign in":
            self._sign_in(window, officer)
        elif action == "sign out":
            self._sign_out(window, officer)
        elif action == "call next":
            self._call_next(window, officer)
        else:
            self._pause_or_resume(window, officer, action == "pause")

    # --- ticket operations ----------------------------------------------------------------------

    @rule(minutes=st.integers(1, 12))
    def wait(self, minutes):
        self._tick(minutes * 60)

    @rule(
        prefix=st.sampled_from(PREFIXES),
        by_item=st.booleans(),
        pick=PICK,
        priority=st.sampled_from(list(TicketPriority)),
    )
    def issue(self, prefix, by_item, pick, priority):
        now = self._tick()
        item = None
        category = self.categories[prefix]
        if by_item:
            items = list(category.items.order_by("id")[:30])
            item = items[pick % len(items)] if items else None
        ticket, created = services.ticket_issue(
            site=self.site, category="" if item else prefix, item=item, priority=priority, now=now
        )
        assert created
        assert ticket.number == f"{prefix}{ticket.sequence:03d}"

    def _act(self, action, ticket, officer, **options):
        """Do action on ticket as officer, having predicted whether and how the services refuse it."""
        if action == "requeue":
            error = 409 if ticket.status != TicketStatus.NO_SHOW or ticket.requeued else None
            return self._attempt(
                action, error, lambda: services.ticket_requeue(ticket=ticket, user=officer, now=self._tick())
            )
        error = 409 if ticket.status not in ALLOWED_FROM[action] else self._session_error(ticket.window, officer)
        if error is None and action == "resume":
            if Ticket.objects.filter(window=ticket.window_id, status__in=ACTIVE).exists():
                error = 409
            elif not _can_serve(officer, ticket):
                # Whoever sits at the window now may not be certified for what the held visitor needs.
                error = NOT_CERTIFIED
        if error is None and action == "transfer":
            category, window = options["category"], options["window"]
            target = category or ticket.category
            if (category is None and window is None) or (
                window is not None and not window.categories.filter(pk=target.pk).exists()
            ):
                error = 400
        operation = {
            "recall": services.ticket_recall,
            "no_show": services.ticket_no_show,
            "hold": services.ticket_hold,
            "resume": services.ticket_resume,
            "transfer": services.ticket_transfer,
            "start": services.ticket_start,
            "finish": services.ticket_finish,
        }[action]
        after = self._attempt(
            action, error, lambda: operation(ticket=ticket, officer=officer, now=self._tick(), **options)
        )
        if error is not None:
            return
        if action == "recall" and ticket.recall_count >= self.site.recall_limit:
            assert after.status == TicketStatus.NO_SHOW
        elif action == "recall":
            assert (after.status, after.recall_count) == (TicketStatus.CALLED, ticket.recall_count + 1)
        if action == "resume":
            assert after.status == TicketStatus.CALLED
            assert after.officer_id == officer.id, "the ticket must record who serves it now"
        if action == "transfer":
            assert after.status == TicketStatus.WAITING
            assert after.queued_at == ticket.queued_at, "a transfer must keep the ticket's place"
            assert after.reserved_window_id == (options["window"].id if options["window"] else None)

    def _at_window(self, action, pick):
        """Return a ticket action is allowed on and the officer now at its window, or (None, None)."""
        candidates = [t for t in self._tickets(ALLOWED_FROM[action]) if services.window_session(t.window)]
        if not candidates:
            return None, None
        ticket = candidates[pick % len(candidates)]
        return ticket, services.window_session(ticket.window).officer

    @rule(action=st.sampled_from(SERVING_ACTIONS), pick=PICK)
    def serve(self, action, pick):
        possible = [other for other in SERVING_ACTIONS if self._at_window(other, pick)[0]]
        if not possible:
            event("serve: no ticket at a window")
            return
        if action not in possible:
            action = possible[SERVING_ACTIONS.index(action) % len(possible)]
        self._act(action, *self._at_window(action, pick))

    @rule(pick=PICK, prefix=st.sampled_from([None, *PREFIXES]), number=st.sampled_from([None, *WINDOW_NUMBERS]))
    def transfer(self, pick, prefix, number):
        ticket, officer = self._at_window("transfer", pick)
        if ticket is None:
            return
        category = self.categories[prefix] if prefix else None
        window = self._window(number) if number else None
        self._act("transfer", ticket, officer, category=category, window=window)

    @rule(pick=PICK, name=st.sampled_from(OFFICERS))
    def requeue(self, pick, name):
        candidates = self._tickets([TicketStatus.NO_SHOW])
        if candidates:
            self._act("requeue", candidates[pick % len(candidates)], self.officers[name])

    @precondition(_has_tickets)
    @rule(
        action=st.sampled_from([*ALLOWED_FROM, "requeue"]),
        pick=PICK,
        name=st.sampled_from(OFFICERS),
        prefix=st.sampled_from([None, *PREFIXES]),
        number=st.sampled_from([None, *WINDOW_NUMBERS]),
    )
    def stray_ticket_operation(self, action, pick, name, prefix, number):
        tickets = self._tickets()
        ticket, officer = tickets[pick % len(tickets)], self.officers[name]
        options = {}
        if action == "transfer":
            options = {
                "category": self.categories[prefix] if prefix else None,
                "window": self._window(number) if number else None,
            }
        self._act(action, ticket, officer, **options)

    @precondition(lambda self: self.steps >= DAY_END_STEP)
    @rule()
    def close_day(self):
        open_before = Ticket.objects.filter(status__in=UNSERVED).count()
        assert services.tickets_close_day(site=self.site, now=self._tick()) == open_before
        assert not Ticket.objects.filter(status__in=UNSERVED).exists()

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def a_window_has_at_most_one_ticket_called_or_in_service(self):
        for window in self.windows.values():
            assert Ticket.objects.filter(window=window, status__in=ACTIVE).count() <= 1

    @invariant()
    def every_timeline_starts_with_issued_is_time_ordered_and_explains_the_status(self):
        timelines = {}
        for ticket_id, kind, at in TicketEvent.objects.order_by("id").values_list("ticket_id", "kind", "at"):
            timelines.setdefault(ticket_id, []).append((kind, at))
        for ticket_id, status in Ticket.objects.values_list("id", "status"):
            timeline = timelines[ticket_id]
            assert timeline[0][0] == "issued"
            times = [at for _, at in timeline]
            assert times == sorted(times), f"ticket {ticket_id}: timeline out of order"
            assert STATUS_AFTER[timeline[-1][0]] == status, f"ticket {ticket_id}: {status} after {timeline[-1][0]}"

    @invariant()
    def a_finished_or_closed_ticket_never_changes(self):
        rows = Ticket.objects.filter(status__in=DONE).values_list(
            "id", "status", "category_id", "window_id", "officer_id", "queued_at"
        )
        for row in rows:
            events = TicketEvent.objects.filter(ticket=row[0]).count()
            assert self.done.setdefault(row[0], (row, events)) == (row, events)
        for ticket_id, (row, _) in self.done.items():
            assert Ticket.objects.filter(pk=ticket_id, status=row[1]).exists(), f"ticket {ticket_id} left {row[1]}"

    @invariant()
    def officers_are_signed_in_at_one_window_at_most(self):
        open_sessions = list(WindowSession.objects.filter(signed_out_at=None).values_list("officer_id", "window_id"))
        assert len({officer for officer, _ in open_sessions}) == len(open_sessions)
        assert len({window for _, window in open_sessions}) == len(open_sessions)


def test_random_floor_operations_keep_the_floor_consistent(floor):
    FloorMachine.site = floor
    run_state_machine_as_test(
        FloorMachine,
        settings=settings(
            # QGT_STATEFUL_EXAMPLES=1000 explores longer, e.g. after changing the services.
            max_examples=int(os.environ.get("QGT_STATEFUL_EXAMPLES", "60")),
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@pytest.fixture
def held_at_window3(floor, window3):
    """Have officer03 call a 民政 ticket to window 3, hold it, and sign out; return the ticket."""
    officer03 = User.objects.get(username="officer03")
    item = ServiceItem.objects.filter(department__code="mzj").order_by("id").first()
    services.ticket_issue(site=floor, item=item, now=OPENING)
    services.window_sign_in(window=window3, officer=officer03, now=OPENING)
    ticket = services.ticket_call_next(window=window3, officer=officer03, now=OPENING)
    services.ticket_hold(ticket=ticket, officer=officer03, now=OPENING)
    services.window_sign_out(window=window3, officer=officer03, now=OPENING)
    return ticket


def test_a_held_ticket_is_not_called_back_to_a_successor_without_the_skill(held_at_window3, window3):
    officer12 = User.objects.get(username="officer12")  # 出件取件 and 咨询: not certified for 民政 items
    services.window_sign_in(window=window3, officer=officer12, now=OPENING)
    before = _snapshot()

    with pytest.raises(FloorError) as refused:
        services.ticket_resume(ticket=held_at_window3, officer=officer12, now=OPENING)

    assert refused.value.status in (403, 409)
    assert _snapshot() == before


def test_a_held_ticket_called_back_by_a_successor_is_theirs(held_at_window3, window3):
    officer05 = User.objects.get(username="officer05")  # fluent in 民生事务
    services.window_sign_in(window=window3, officer=officer05, now=OPENING)

    ticket = services.ticket_resume(ticket=held_at_window3, officer=officer05, now=OPENING)

    assert ticket.officer == officer05
