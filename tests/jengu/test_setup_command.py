"""``manage.py setup``: the deploy steps in order, idempotent, stopping on a failed check."""

import io

import pytest
from django.core.checks import Error, register
from django.core.checks.registry import registry
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django_q.models import Schedule

from infra.config import read_smtp_inboxes
from jengu.schedules import SCHEDULES
from outreach.models import Inbox

pytestmark = pytest.mark.django_db


def run_setup() -> str:
    out = io.StringIO()
    call_command("setup", stdout=out, stderr=io.StringIO(), verbosity=0)
    return out.getvalue()


@pytest.fixture(autouse=True)
def public_base_url(settings):
    """The suite's settings are production's over plain HTTP on loopback; a deploy has its public URL."""
    settings.PUBLIC_BASE_URL = "https://crm.getjengu.example"


def test_setup_runs_every_deploy_step_and_twice_changes_nothing(settings):
    settings.SMTP_INBOXES = read_smtp_inboxes(
        {"SMTP_INBOX_1": "edd@getjengu.example|s3cret-one|smtp.getjengu.example|587|Edd Chen"}
    )
    first = run_setup()
    steps = ["[1/4] checks (--deploy)", "[2/4] migrate", "[3/4] install_schedules", "[4/4] sync_inboxes"]
    assert [first.index(step) for step in steps] == sorted(first.index(step) for step in steps)
    assert set(Schedule.objects.values_list("name", flat=True)) == {job.name for job in SCHEDULES}
    assert Inbox.objects.get(email="edd@getjengu.example").smtp_host == "smtp.getjengu.example"
    assert "s3cret-one" not in first
    second = run_setup()
    assert Schedule.objects.count() == len(SCHEDULES) and Inbox.objects.count() == 1
    assert "1 inbox(es) created" in first and "0 inbox(es) created, 1 updated" in second


def test_a_failed_check_stops_setup_before_the_database_is_touched():
    def broken(app_configs, **kwargs):
        return [Error("SECRET_KEY is the development key", id="test.E001")]

    register(broken, deploy=True)
    try:
        with pytest.raises(SystemCheckError, match="test.E001"):
            run_setup()
    finally:
        registry.registered_checks.discard(broken)
        registry.deployment_checks.discard(broken)
    assert not Schedule.objects.exists()


def test_setup_stops_while_an_account_has_the_demo_password(settings):
    settings.DEBUG = True
    call_command("ensure_admin", stdout=io.StringIO())
    settings.DEBUG = False
    with pytest.raises(SystemCheckError, match=r"jengu\.E021.*admin, sales, ops"):
        run_setup()
    assert not Schedule.objects.exists()


def test_setup_stops_without_a_public_https_base_url(settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    with pytest.raises(SystemCheckError, match=r"jengu\.E020\) PUBLIC_BASE_URL"):
        run_setup()
