"""The ASGI application that `qgt serve` runs: Django, with the live event streams served ahead of it."""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quangangtong.settings")
django_application = get_asgi_application()

from quangangtong.queueing.live import events_asgi  # noqa: E402  (needs Django set up)

# whitenoise answers static files with a file iterator, which Django reads whole under ASGI, warning each
# time; the files are small, and the app's own streams are asynchronous.
warnings.filterwarnings("ignore", "StreamingHttpResponse must consume synchronous iterators", Warning)

application = events_asgi(django_application)
