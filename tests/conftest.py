import os
import shutil

import pytest

from quangangtong.accounts.roles import Role

CHROMIUM = os.environ.get("QGT_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    """Forget API tokens checked by an earlier test (its rows were rolled back)."""
    from quangangtong.accounts.services import api_tokens_forget

    api_tokens_forget()
    yield
    api_tokens_forget()


@pytest.fixture
def demo_hall(db):
    """Load the demo hall's catalogue (196 items) without the demo accounts."""
    from quangangtong.demo.loader import demo_load

    demo_load(with_accounts=False)


@pytest.fixture
def make_staff(db):
    """Return a function that creates a signed-in-able staff user holding the given roles."""
    from quangangtong.accounts.services import roles_ensure, staff_user_create

    roles_ensure()
    counter = iter(range(1, 10_000))

    def make(*roles, username=None):
        return staff_user_create(
            username=username or f"user{next(counter)}", password="pw-for-tests", roles=list(roles)
        )

    return make


@pytest.fixture
def client_for(client, make_staff):
    """Return a function giving a test client signed in as a new user with the given role (None: anonymous)."""

    def signed_in(role):
        if role is not None:
            client.force_login(make_staff(role))
        return client

    return signed_in


@pytest.fixture(scope="session")
def chromium_path():
    """Return Debian's Chromium, or skip (fail in CI, where QGT_REQUIRE_BROWSER=1) when it is missing."""
    path = shutil.which(CHROMIUM) or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path is None:
        reason = f"Chromium not found at {CHROMIUM}: install Debian's chromium package (apt install chromium)"
        if os.environ.get("QGT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    """Start Debian's Chromium headless through Playwright, once for the session."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures and the
    # live server are still synchronous, so Django's async-safety guard must be told so.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


ALL_ROLES = [None, *Role]


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """Start the live server only after the test database exists (its threads must not share the setup connection)."""
    return live_server
