"""A real browser (Debian's Chromium driven by Playwright) against a live Django server.

Playwright's sync API runs an event loop in the test thread, which makes Django refuse
ORM calls made by the test itself ("async context"); the tests only set up and check
rows between browser steps, so that guard is lifted for this package.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "browser-test-password"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (make test installs it: apt-get install chromium)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def staff_password(transactional_db):
    from tests.factories import UserFactory

    user = UserFactory(username="browser-admin", is_superuser=True, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def page(browser, live_server, staff_password):
    """A logged-in admin page (logging in through the real form is itself the first flow)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff_password.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#dashboard")
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def screenshot():
    def save(page, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
