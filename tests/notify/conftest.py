import json

import pytest

from tests.notify.gateway import FakeGateway

PHONE = "13800138000"


@pytest.fixture
def gateway(settings):
    """Start a fake SMS gateway and send through it with the http backend; return the gateway."""
    fake = FakeGateway().start()
    settings.QGT_NOTIFY_BACKEND = "http"
    settings.QGT_SMS_URL = fake.url
    settings.QGT_SMS_API_KEY = "test-gateway-key"
    settings.QGT_SMS_TIMEOUT = 0.5
    yield fake
    fake.stop()


@pytest.fixture
def outbox(settings, tmp_path):
    """Send with the file backend into a fresh file; return a function reading back the lines written."""
    path = tmp_path / "notify" / "outbox.jsonl"
    settings.QGT_NOTIFY_BACKEND = "file"
    settings.QGT_NOTIFY_FILE = path

    def lines():
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return lines
