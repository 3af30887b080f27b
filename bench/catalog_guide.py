"""How fast the public guide answers, against a trivial request measured in the same run.

    .venv/bin/python bench/catalog_guide.py [--repeat N] [--scale K]

Loads the demo hall into a fresh SQLite database in a temporary directory (and, with --scale K,
K-1 renamed copies of every item, to see a city's catalogue), then times requests through Django's
test client. The baseline is GET /api/v1/sites (a handful of rows): the ratio to it is what to
compare between machines and runs; absolute milliseconds on a shared 2-core machine are noisy.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--scale", type=int, default=1, help="copies of the demo catalogue (1 = 196 items)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="qgt-bench-")
    os.environ.update(QGT_DATA_DIR=data_dir, QGT_DEBUG="0", QGT_SECRET_KEY="bench-" + "x" * 60)
    os.environ.update(QGT_ALLOWED_HOSTS="testserver", DJANGO_SETTINGS_MODULE="quangangtong.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)
    call_command("migrate", verbosity=0)
    from quangangtong.catalog.models import ServiceItem
    from quangangtong.demo.loader import demo_load

    demo_load(with_accounts=False)
    _scale(args.scale)
    item = ServiceItem.objects.get(name="初等以下民办学校设立")
    client = Client()
    cases = [
        ("baseline GET /api/v1/sites", "/api/v1/sites"),
        ("guide list, no query", "/guide/items/"),
        ("guide list, q=sfz (initials)", "/guide/items/?q=sfz"),
        ("guide list, q=minban (full pinyin)", "/guide/items/?q=minban"),
        ("guide list, q=身份证", "/guide/items/?q=身份证"),
        ("item guide page", item.get_absolute_url()),
        ("API items, q=sfz", "/api/v1/items?q=sfz"),
        ("API items, page_size=100", "/api/v1/items?page_size=100"),
        ("API one item", f"/api/v1/items/{item.implementation_code}"),
    ]
    print(f"catalogue: {ServiceItem.objects.count()} items; {args.repeat} requests each after 3 warm-ups")
    print(f"{'request':<38}{'median ms':>10}{'p90 ms':>9}{'× baseline':>12}")
    baseline = None
    for label, url in cases:
        median, p90 = _time(client, url, args.repeat)
        baseline = baseline or median
        print(f"{label:<38}{median:>10.2f}{p90:>9.2f}{median / baseline:>12.1f}")
    _bench_deadlines()


def _scale(copies):
    from quangangtong.catalog.models import Material, ServiceItem

    originals = list(ServiceItem.objects.prefetch_related("materials", "modes"))
    for copy in range(1, copies):
        for item in originals:
            materials, modes = list(item.materials.all()), list(item.modes.all())
            item.pk = None
            item.implementation_code = f"{item.implementation_code}-{copy}"
            item.name = f"{item.name}（{copy}）"
            item.save()
            item.modes.set(modes)
            Material.objects.bulk_create(
                Material(item=item, **{f: getattr(m, f) for f in ("name", "material_type", "source", "necessity")})
                for m in materials
            )


def _time(client, url, repeat):
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def _bench_deadlines():
    import datetime

    from quangangtong.workdays.services import WorkdayCalendar, add_working_days

    starts = [datetime.date(2026, 1, 5) + datetime.timedelta(days=n) for n in range(200)]
    start = time.perf_counter()
    for day in starts:
        add_working_days(day, 15)
    each = (time.perf_counter() - start) * 1000
    calendar = WorkdayCalendar(datetime.date(2026, 1, 1), datetime.date(2027, 3, 31))
    start = time.perf_counter()
    for day in starts:
        add_working_days(day, 15, calendar=calendar)
    shared = (time.perf_counter() - start) * 1000
    print(
        f"\n200 deadlines (+15 working days): {each:.1f} ms loading the calendar each time, "
        f"{shared:.1f} ms with one shared calendar ({each / max(shared, 0.001):.0f}×)"
    )


if __name__ == "__main__":
    main()
