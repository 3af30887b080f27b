"""Load the floor through the device API of a real `qgt serve`, and time it beside a trivial request.

    .venv/bin/python bench/floor_load.py                      # SQLite (the embedded default)
    .venv/bin/python bench/floor_load.py --database postgres://postgres@127.0.0.1:5432/qgt_bench

Makes a fresh data directory (and, with --database, creates that PostgreSQL database, which must not
exist yet), migrates, loads the demo hall, adds --officers window officers each with a window of their
own serving every category, their API tokens and kiosk tokens, then starts `qgt serve` on 127.0.0.1 as
production would (uvicorn, --workers processes). Three phases, all bounded, on loopback only:

1. staff load: every officer runs the window loop (call next, start, finish) pausing 0.5–1.5 s between
   clicks, as people do; kiosks issue tickets at the rate the officers serve them; probe clients fetch
   GET /api/v1/sites (five rows, the server's trivial JSON answer) at the same pace, so the framework's
   own latency under the same load is measured in the same run;
2. saturation: no pauses, each client runs issue, call next, start, finish; concurrency grows by half
   (1, 2, 3, 4, 6, 9 …) until call-next p99 passes 100 ms, and the trivial endpoint is driven with the
   same number of clients;
3. displays: --displays event streams (/live/<site>/events) stay connected while a window calls
   --calls tickets; each display's delay from the call request to the `call` event is measured.

The server, the data directory and the PostgreSQL database are removed at the end, also on Ctrl+C or
a failure. Client and server share the machine, so absolute figures say little across machines;
compare each action with the trivial endpoint of the same run.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
SITE = "qjq-hall"
PREFIXES = ["A", "B", "C", "D", "E"]
BARE = "/api/v1/sites"
TARGET_P99_MS = 100
HARD_LIMIT_S = 20 * 60  # the whole run, whatever the options


# --- a small HTTP/1.1 client: keep-alive, Content-Length or chunked bodies -----------------------


class Closed(Exception):
    pass


class Client:
    """One keep-alive connection, like one device; requests on it go one at a time."""

    def __init__(self, port, token=""):
        self.port, self.token = port, token
        self.reader = self.writer = None

    async def close(self):
        if self.writer:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method, path, body=None, headers=()):
        """Return (status, body bytes, seconds taken); reconnect once if the server closed an idle connection."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            started = time.perf_counter()
            try:
                self.writer.write(self._head(method, path, body, headers))
                status, data = await _read_response(self.reader)
                return status, data, time.perf_counter() - started
            except (Closed, ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _head(self, method, path, body, headers):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "Accept: application/json"]
        if self.token:
            lines.append(f"Authorization: Bearer {self.token}")
        lines.extend(headers)
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode()
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        elif method == "POST":
            lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _read_head(reader):
    line = await reader.readline()
    if not line:
        raise Closed
    status = int(line.split()[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return status, headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


async def _read_chunk(reader):
    size = int((await reader.readline()).split(b";")[0], 16)
    data = await reader.readexactly(size + 2)
    return data[:-2]


async def _read_response(reader):
    status, headers = await _read_head(reader)
    if status in (204, 304):
        return status, b""
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while chunk := await _read_chunk(reader):
            parts.append(chunk)
        await reader.readline()
        return status, b"".join(parts)
    raise Closed


# --- measuring ----------------------------------------------------------------------------------


class Recorder:
    """Latencies and statuses per action, counted only while recording is on."""

    def __init__(self):
        self.on = False
        self.samples = defaultdict(list)
        self.statuses = defaultdict(lambda: defaultdict(int))
        self.started = self.stopped = None

    def start(self):
        self.samples.clear()
        self.statuses.clear()
        self.on, self.started = True, time.perf_counter()

    def stop(self):
        self.on, self.stopped = False, time.perf_counter()

    def add(self, action, status, seconds):
        if self.on:
            self.samples[action].append(seconds)
            self.statuses[action][status] += 1

    @property
    def seconds(self):
        return (self.stopped or time.perf_counter()) - self.started


def percentile(values, fraction):
    """Return the nearest-rank percentile of values (seconds) in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] * 1000


def row(name, samples, seconds, statuses, ok=(200, 201, 204)):
    errors = sum(n for status, n in statuses.items() if status not in ok)
    if not samples:
        return f"{name:<26}{0:>7}{'-':>9}{'-':>9}{'-':>9}{'-':>9}{errors:>8}"
    return (
        f"{name:<26}{len(samples):>7}{len(samples) / seconds:>9.1f}{percentile(samples, 0.5):>9.1f}"
        f"{percentile(samples, 0.99):>9.1f}{max(samples) * 1000:>9.1f}{errors:>8}"
    )


def failures(recorder):
    """Return the failed requests by status, e.g. "HTTP 500 × 3", or "none"."""
    by_status = defaultdict(int)
    for action, statuses in recorder.statuses.items():
        if not action.startswith(" "):
            for status, n in statuses.items():
                if status not in (200, 201, 204):
                    by_status[status] += n
    return ", ".join(f"HTTP {status} × {n}" for status, n in sorted(by_status.items())) or "none"


HEADER = f"{'action':<26}{'count':>7}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"


# --- the floor ----------------------------------------------------------------------------------


class Floor:
    def __init__(self, port, officers, kiosks):
        self.port = port
        self.officers = officers  # [(window id, token)]
        self.kiosks = kiosks  # [token]
        self.stop = asyncio.Event()

    async def officer_loop(self, recorder, window_id, token, think, issuing_token=None):
        """Call, start and finish tickets until stopped; with issuing_token, issue one first each round.

        A click that fails (a 5xx) is clicked again after the pause, as a person would; the round in
        progress when the phase ends is still finished, so every window is free for the next phase.
        """
        client = Client(self.port, token)
        kiosk = Client(self.port, issuing_token) if issuing_token else None
        ticket, step = None, None
        try:
            while ticket or not self.stop.is_set():
                if ticket is None:
                    if kiosk:
                        status, _, took = await kiosk.request(
                            "POST", f"/api/v1/sites/{SITE}/tickets", {"category": random.choice(PREFIXES)}
                        )
                        recorder.add("issue (kiosk)", status, took)
                    status, body, took = await client.request("POST", f"/api/v1/windows/{window_id}/call-next")
                    recorder.add("call-next", status, took)
                    if status == 204:
                        recorder.add("  of which nothing to call", status, took)
                    if status == 200:
                        ticket, step = json.loads(body)["id"], "start"
                else:
                    status, _, took = await client.request("POST", f"/api/v1/tickets/{ticket}/{step}")
                    recorder.add(step, status, took)
                    if status == 200 and step == "start":
                        step = "finish"
                    elif status < 500:  # done, or no longer ours to finish
                        ticket = None
                await _pause(think)
        finally:
            await client.close()
            if kiosk:
                await kiosk.close()

    async def kiosk_loop(self, recorder, token, interval):
        client = Client(self.port, token)
        try:
            while not self.stop.is_set():
                status, _, took = await client.request(
                    "POST", f"/api/v1/sites/{SITE}/tickets", {"category": random.choice(PREFIXES)}
                )
                recorder.add("issue (kiosk)", status, took)
                await _pause((interval * 0.5, interval * 1.5))
        finally:
            await client.close()

    async def bare_loop(self, recorder, think):
        client = Client(self.port)
        try:
            while not self.stop.is_set():
                status, _, took = await client.request("GET", BARE)
                recorder.add(f"bare GET {BARE}", status, took)
                await _pause(think)
        finally:
            await client.close()


async def _pause(think):
    if think:
        await asyncio.sleep(random.uniform(*think))
    else:
        await asyncio.sleep(0)


async def _run_for(seconds, coroutines, floor, recorder, warm_up=0.0):
    floor.stop.clear()
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    await asyncio.sleep(warm_up)
    recorder.start()
    await asyncio.sleep(seconds)
    recorder.stop()
    floor.stop.set()
    # Loops finish the round they are in (a called ticket is always finished), then end.
    done, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception():
            raise task.exception()


async def staff_load(floor, args):
    officers = len(floor.officers)
    think = (0.5, 1.5)
    # A little under what the officers can serve (three clicks ~1 s apart, plus the answers), so queues stay short.
    rate = args.arrivals or officers / 3.2
    interval = len(floor.kiosks) / rate
    recorder = Recorder()
    loops = [floor.officer_loop(recorder, w, t, think) for w, t in floor.officers]
    loops += [floor.kiosk_loop(recorder, token, interval) for token in floor.kiosks]
    loops += [floor.bare_loop(recorder, think) for _ in range(args.probes)]
    await _run_for(args.seconds, loops, floor, recorder, warm_up=5)
    print(
        f"\n1. staff load: {officers} officers (call next, start, finish; 0.5–1.5 s between clicks), "
        f"{len(floor.kiosks)} kiosks issuing {rate:.0f} tickets/s, {args.probes} probes on {BARE}; "
        f"{recorder.seconds:.0f} s after a 5 s warm-up"
    )
    print(HEADER)
    for action in ("call-next", "  of which nothing to call", "start", "finish", "issue (kiosk)", f"bare GET {BARE}"):
        print(row(action, recorder.samples[action], recorder.seconds, recorder.statuses[action]))
    print(f"failed requests: {failures(recorder)}")
    return recorder


async def saturation(floor, args):
    print(
        f"\n2. saturation: no pauses; each client issues a ticket, calls next, starts, finishes; "
        f"{args.step_seconds:.0f} s per step, then the same number of clients on {BARE}"
    )
    print(
        f"{'clients':>7}{'visitors/s':>12}{'API req/s':>11}{'call p50':>10}{'call p99':>10}"
        f"{'issue p99':>11}{'errors':>8}  |{'bare req/s':>11}{'p50':>8}{'p99':>8}"
    )
    found, previous, results, failed = None, None, [], []
    clients = 1
    while True:
        recorder = Recorder()
        loops = [
            floor.officer_loop(recorder, w, t, None, issuing_token=floor.kiosks[n % len(floor.kiosks)])
            for n, (w, t) in enumerate(floor.officers[:clients])
        ]
        await _run_for(args.step_seconds, loops, floor, recorder, warm_up=1)
        bare = Recorder()
        await _run_for(args.step_seconds, [floor.bare_loop(bare, None) for _ in range(clients)], floor, bare, warm_up=1)
        seconds = recorder.seconds
        calls = recorder.samples["call-next"]
        served = len(recorder.samples["finish"])
        requests = sum(len(v) for k, v in recorder.samples.items() if not k.startswith(" "))
        errors = sum(
            n
            for action, statuses in recorder.statuses.items()
            if not action.startswith(" ")
            for status, n in statuses.items()
            if status not in (200, 201, 204)
        )
        if errors:
            failed.append(f"{clients} clients: {failures(recorder)}")
        bare_samples = bare.samples[f"bare GET {BARE}"]
        step = {
            "clients": clients,
            "visitors": served / seconds,
            "requests": requests / seconds,
            "call_p50": percentile(calls, 0.5),
            "call_p99": percentile(calls, 0.99),
            "bare": len(bare_samples) / bare.seconds,
            "bare_p99": percentile(bare_samples, 0.99),
        }
        results.append(step)
        print(
            f"{clients:>7}{step['visitors']:>12.1f}{step['requests']:>11.1f}{step['call_p50']:>10.1f}"
            f"{step['call_p99']:>10.1f}{percentile(recorder.samples['issue (kiosk)'], 0.99):>11.1f}{errors:>8}  |"
            f"{step['bare']:>11.1f}{percentile(bare_samples, 0.5):>8.1f}{step['bare_p99']:>8.1f}"
        )
        if step["call_p99"] > TARGET_P99_MS:
            found = step
            break
        previous = step
        if clients == len(floor.officers):
            break
        clients = min(max(clients + 1, clients * 3 // 2), len(floor.officers))
    best_bare = max(step["bare"] for step in results)
    if failed:
        print("failed requests: " + "; ".join(failed))
    if found:
        last_ok = (
            f"{previous['clients']} clients: {previous['visitors']:.1f} visitors/s ({previous['requests']:.0f} API "
            f"requests/s) with call-next p99 {previous['call_p99']:.0f} ms"
            if previous
            else "none"
        )
        print(
            f"call-next p99 passes {TARGET_P99_MS} ms at {found['clients']} clients "
            f"({found['visitors']:.1f} visitors/s, {found['requests']:.0f} API requests/s); last step under it: "
            f"{last_ok}; the bare endpoint: {best_bare:.0f} requests/s at best"
        )
    else:
        print(f"call-next p99 stayed under {TARGET_P99_MS} ms up to {len(floor.officers)} clients")
    return results


async def displays(floor, args):
    port = floor.port
    arrivals = defaultdict(dict)  # ticket id -> {display: seconds}
    connected = 0
    all_connected = asyncio.Event()
    stop = asyncio.Event()

    async def display(n):
        nonlocal connected
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(
                f"GET /live/{SITE}/events HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
            )
            status, _ = await _read_head(reader)
            if status != 200:
                raise RuntimeError(f"display {n}: HTTP {status}")
            buffer, first = b"", True
            while not stop.is_set():
                chunk = await _read_chunk(reader)
                if not chunk:
                    return
                if first:
                    first = False
                    connected += 1
                    if connected == args.displays:
                        all_connected.set()
                buffer += chunk
                while b"\n\n" in buffer:
                    message, buffer = buffer.split(b"\n\n", 1)
                    fields = dict(line.split(": ", 1) for line in message.decode().splitlines() if ": " in line)
                    if fields.get("event") == "call":
                        ticket = json.loads(fields["data"])["ticket_id"]
                        arrivals[ticket][n] = time.perf_counter()
        finally:
            writer.close()

    tasks = []
    for n in range(args.displays):
        tasks.append(asyncio.ensure_future(display(n)))
        if n % 50 == 49:
            await asyncio.sleep(0.05)  # connect in waves, as screens do after a power cut, not in one burst
    try:
        async with asyncio.timeout(60):
            await all_connected.wait()
    except TimeoutError:
        failed = [t.exception() for t in tasks if t.done() and t.exception()]
        raise RuntimeError(f"only {connected} of {args.displays} displays connected; {failed[:1]}") from None
    window_id, token = floor.officers[0]
    officer, kiosk = Client(port, token), Client(port, floor.kiosks[0])
    sent = {}
    for _ in range(args.calls):
        await kiosk.request("POST", f"/api/v1/sites/{SITE}/tickets", {"category": "A"})
        started = time.perf_counter()
        status, body, _ = await officer.request("POST", f"/api/v1/windows/{window_id}/call-next")
        if status == 200:
            ticket = json.loads(body)["id"]
            sent[ticket] = started
            await officer.request("POST", f"/api/v1/tickets/{ticket}/start")
            await officer.request("POST", f"/api/v1/tickets/{ticket}/finish")
        await asyncio.sleep(1)
    await asyncio.sleep(2)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await officer.close()
    await kiosk.close()
    delays = [at - sent[t] for t, seen in arrivals.items() if t in sent for at in seen.values()]
    expected = len(sent) * args.displays
    print(
        f"\n3. displays: {args.displays} event streams connected; {len(sent)} calls, one a second, "
        f"from the call-next request to the `call` event on each display"
    )
    print(
        f"deliveries {len(delays)} of {expected}; p50 {percentile(delays, 0.5):.0f} ms, "
        f"p99 {percentile(delays, 0.99):.0f} ms, max {max(delays, default=0) * 1000:.0f} ms "
        f"(target: all within 1 s p99)"
    )
    return delays, expected


# --- setting up and tearing down ----------------------------------------------------------------


def _free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _postgres_admin(url):
    """Return a connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _create_postgres(url):
    name = urlsplit(url).path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"--database: give a new database name of letters, digits and _ ({url})")
    with _postgres_admin(url) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(f"database {name} already exists; the benchmark only uses a database it creates")
        admin.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_postgres(url, name):
    with _postgres_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepare(args, environment):
    """Migrate, load the demo hall and make the officers, windows and tokens; return (officers, kiosks)."""
    os.environ.update(environment)
    import django

    django.setup()
    import datetime

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection, transaction

    from quangangtong.accounts.models import TokenKind
    from quangangtong.accounts.roles import Role
    from quangangtong.accounts.services import api_token_create
    from quangangtong.demo.loader import demo_load
    from quangangtong.hall.models import OfficerSkill, Proficiency, Site, TicketCategory, Window
    from quangangtong.queueing.services import ticket_issue

    call_command("migrate", interactive=False, verbosity=0)
    demo_load()
    with transaction.atomic():
        site = Site.objects.get(code=SITE)
        site.closing_time = datetime.time(23, 59, 59)  # keep issuing, whatever the hour of the run
        site.save(update_fields=["closing_time"])
        categories = list(TicketCategory.objects.filter(site=site, prefix__in=PREFIXES))
        group = Group.objects.get(name=Role.WINDOW_OFFICER.label)
        officers = []
        for n in range(1, args.officers + 1):
            window = Window.objects.create(site=site, number=100 + n, name=f"压测窗口{n}")
            window.categories.set(categories)
            user = User(username=f"bench{n:04d}", first_name=f"压测{n}")
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
            OfficerSkill.objects.bulk_create(
                OfficerSkill(
                    officer=user,
                    category=c,
                    proficiency=Proficiency.FLUENT,
                    certified_on=datetime.date(2026, 1, 1),
                    certified_by="压测",
                )
                for c in categories
            )
            officers.append((window.id, api_token_create(kind=TokenKind.STAFF, name="压测", user=user)[1]))
        kiosks = [
            api_token_create(kind=TokenKind.KIOSK, name=f"压测取号机{n}", site=site)[1] for n in range(args.kiosks)
        ]
        # One visitor waiting per window when the doors open.
        for n in range(args.officers):
            ticket_issue(site=site, category=PREFIXES[n % len(PREFIXES)])
    connection.close()
    return officers, kiosks


def _serve(args, environment, port, log):
    qgt = Path(sys.executable).with_name("qgt")
    command = [str(qgt)] if qgt.exists() else [sys.executable, "-m", "quangangtong.cli"]
    command += ["serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers)]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **environment},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with its uvicorn workers at the end
    )


async def _wait_until_up(port, server, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"qgt serve exited with {server.returncode}; see its log")
        try:
            client = Client(port)
            status, _, _ = await client.request("GET", BARE)
            await client.close()
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError(f"qgt serve did not answer on port {port} within {seconds} s")


def _stop(server):
    if server is None or server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


async def _bench(args, floor, server):
    await _wait_until_up(floor.port, server)
    signed = Recorder()
    signed.start()
    for window_id, token in floor.officers:
        client = Client(floor.port, token)
        status, body, took = await client.request("POST", f"/api/v1/windows/{window_id}/sign-in")
        signed.add("sign-in", status, took)
        await client.close()
        if status != 200:
            raise RuntimeError(f"sign-in at window {window_id}: HTTP {status} {body[:200]!r}")
    signed.stop()
    print(f"signed in {len(floor.officers)} officers through the API, one after another")
    print(HEADER)
    print(row("sign-in", signed.samples["sign-in"], signed.seconds, signed.statuses["sign-in"]))
    if not args.skip_load:
        await staff_load(floor, args)
    if not args.skip_saturation:
        await saturation(floor, args)
    if args.displays:
        await displays(floor, args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="postgres://…/NEW_DB: create this database, run on it, drop it")
    parser.add_argument("--officers", type=int, default=200, help="staff clients, each at a window (200)")
    parser.add_argument("--kiosks", type=int, default=10, help="kiosk clients (10)")
    parser.add_argument("--arrivals", type=float, default=0, help="tickets per second (officers / 3.2)")
    parser.add_argument("--probes", type=int, default=10, help="clients on the trivial endpoint in phase 1 (10)")
    parser.add_argument("--seconds", type=float, default=60, help="length of phase 1 (60)")
    parser.add_argument("--step-seconds", type=float, default=8, help="length of each saturation step (8)")
    parser.add_argument("--displays", type=int, default=1000, help="event streams in phase 3 (1000; 0 skips)")
    parser.add_argument("--calls", type=int, default=10, help="calls made while the displays listen (10)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("QGT_WORKERS", "3")))
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-saturation", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (and its server log)")
    args = parser.parse_args()
    if not 1 <= args.officers <= 1000 or not 0 <= args.displays <= 5000 or args.seconds > 600:
        raise SystemExit("bounded on purpose: 1–1000 officers, 0–5000 displays, at most 600 s of load")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * (args.displays + 2 * args.officers + args.kiosks + args.probes) + 512
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, needed)), hard))
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("benchmark ran too long")))
    signal.alarm(HARD_LIMIT_S)

    data_dir = tempfile.mkdtemp(prefix="qgt-floor-bench-")
    environment = {
        "QGT_DATA_DIR": data_dir,
        "QGT_SECRET_KEY": secrets.token_urlsafe(50),
        "QGT_DEBUG": "0",
        "QGT_ALLOWED_HOSTS": HOST,
        "QGT_SECURE_COOKIES": "0",
        "QGT_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "quangangtong.settings",
    }
    database = None
    if args.database:
        database = _create_postgres(args.database)
        environment["QGT_DATABASE_URL"] = args.database
    server = None
    log_path = Path(data_dir) / "server.log"
    try:
        started = time.perf_counter()
        officers, kiosks = _prepare(args, environment)
        port = _free_port()
        engine = "PostgreSQL" if database else "SQLite (WAL)"
        print(
            f"floor: {args.officers} bench windows + the demo hall's 6, on {engine}; qgt serve with "
            f"{args.workers} workers on {HOST}:{port}; {os.cpu_count()} CPUs shared with the clients, load average "
            f"{os.getloadavg()[0]:.1f} before the run (set-up {time.perf_counter() - started:.0f} s)"
        )
        with open(log_path, "w") as log:
            server = _serve(args, environment, port, log)
            floor = Floor(port, officers, kiosks)
            asyncio.run(_bench(args, floor, server))
    finally:
        _stop(server)
        if database:
            _drop_postgres(args.database, database)
        if args.keep:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
        signal.alarm(0)


if __name__ == "__main__":
    main()
