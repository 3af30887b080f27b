"""What one window click costs the server: queries and time per floor request, in process.

Runs the device API through Django's test client (no HTTP, no other clients) on a fresh SQLite file with the
demo hall, one bench window and officer, and QUEUE waiting tickets; prints each request's query count and the
median time of N rounds of issue → call next → start → finish, beside a trivial GET /api/v1/sites timed in
the same rounds. The ratio column is the one to compare between runs: the machine is shared.

    .venv/bin/python bench/floor_requests.py [--rounds 60] [--queue 300]
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _setup(queue):
    os.environ.update(
        QGT_DATA_DIR=tempfile.mkdtemp(prefix="qgt-floor-requests-"),
        QGT_SECRET_KEY="bench-only-secret-key-0123456789-0123456789-0123456789",
        QGT_DEBUG="0",
        QGT_ALLOWED_HOSTS="testserver",
        QGT_SECURE_COOKIES="0",
        DJANGO_SETTINGS_MODULE="quangangtong.settings",
    )
    import warnings

    warnings.filterwarnings("ignore", "No directory at")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from quangangtong.accounts.models import TokenKind
    from quangangtong.accounts.roles import Role
    from quangangtong.accounts.services import api_token_create
    from quangangtong.demo.loader import demo_load
    from quangangtong.hall.models import OfficerSkill, Proficiency, Site, TicketCategory, Window
    from quangangtong.queueing.services import ticket_issue

    call_command("migrate", interactive=False, verbosity=0)
    demo_load()
    site = Site.objects.get(code="qjq-hall")
    site.closing_time = datetime.time(23, 59, 59)
    site.save(update_fields=["closing_time"])
    categories = list(TicketCategory.objects.filter(site=site, prefix__in="ABC"))
    window = Window.objects.create(site=site, number=101, name="压测窗口")
    window.categories.set(categories)
    officer = User.objects.create(username="bench0001", first_name="压测")
    officer.groups.add(Group.objects.get(name=Role.WINDOW_OFFICER.label))
    for category in categories:
        OfficerSkill.objects.create(
            officer=officer,
            category=category,
            proficiency=Proficiency.FLUENT,
            certified_on=datetime.date(2026, 1, 1),
            certified_by="压测",
        )
    staff = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(kind=TokenKind.STAFF, name='压测', user=officer)[1]}")
    kiosk = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(kind=TokenKind.KIOSK, name='压测', site=site)[1]}")
    assert staff.post(f"/api/v1/windows/{window.id}/sign-in").status_code == 200
    for n in range(queue):
        ticket_issue(site=site, category="ABC"[n % 3])
    return staff, kiosk, window


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--queue", type=int, default=300, help="tickets waiting before the first round (300)")
    args = parser.parse_args()
    staff, kiosk, window = _setup(args.queue)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    requests = {
        "issue (kiosk)": lambda state: kiosk.post(
            "/api/v1/sites/qjq-hall/tickets", {"category": "A"}, content_type="application/json"
        ),
        "call-next": lambda state: staff.post(f"/api/v1/windows/{window.id}/call-next"),
        "start": lambda state: staff.post(f"/api/v1/tickets/{state['ticket']}/start"),
        "finish": lambda state: staff.post(f"/api/v1/tickets/{state['ticket']}/finish"),
        "bare GET /api/v1/sites": lambda state: staff.get("/api/v1/sites"),
    }
    times = {name: [] for name in requests}
    queries = {}
    for round_ in range(args.rounds + 3):
        state = {}
        for name, request in requests.items():
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = request(state)
                elapsed = time.perf_counter() - started
            assert response.status_code in (200, 201), (name, response.status_code, response.content[:300])
            if name == "call-next":
                state["ticket"] = response.json()["id"]
            if round_ >= 3:  # warm-up rounds are not counted
                times[name].append(elapsed)
                queries[name] = len(captured.captured_queries)
    bare = statistics.median(times["bare GET /api/v1/sites"])
    print(f"{args.rounds} rounds, {args.queue} tickets waiting at the start; Django test client, SQLite (WAL)")
    print(f"{'request':<26}{'queries':>8}{'median ms':>11}{'× bare':>8}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<26}{queries[name]:>8}{median * 1000:>11.2f}{median / bare:>8.1f}")


if __name__ == "__main__":
    main()
