"""The ASGI application that `qgt serve` runs: the live event streams, and Django behind an admission limit.

Django itself is served through WSGI in a fixed pool of threads (a2wsgi): every view in this project is
synchronous, and Django's ASGI handler would start a thread per request and hop between the event loop and
it for each, which measured about 6 ms a request on the hall's 2-core server (docs/benchmarks.md). The
pool's threads keep their database connections between requests. The event streams stay asynchronous:
a thousand displays wait on the event loop, holding no thread.
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quangangtong.settings")
wsgi_application = get_wsgi_application()

from django.conf import settings  # noqa: E402

from quangangtong.admission import admission_limited  # noqa: E402
from quangangtong.queueing.live import events_asgi  # noqa: E402  (needs Django set up)

# As many threads as requests admitted at once, so an admitted request never waits for a thread.
django_application = WSGIMiddleware(wsgi_application, workers=max(settings.QGT_CONCURRENT_REQUESTS, 1))

application = events_asgi(
    admission_limited(
        django_application,
        limit=settings.QGT_CONCURRENT_REQUESTS,
        wait_seconds=settings.QGT_ADMISSION_WAIT_SECONDS,
    )
)
