"""`manage.py doctor`: says what is wrong and what to do, exit code 1 on a problem."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from infra.metrics import heartbeat_beat
from infra.models import DeadLetter

pytestmark = pytest.mark.django_db


def run(**options):
    out = io.StringIO()
    try:
        call_command("doctor", stdout=out, **options)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), ""


@pytest.fixture
def healthy(settings):
    settings.ALERT_WEBHOOK_URL = "https://hooks.example.test/alerts"
    settings.PUBLIC_BASE_URL = "https://crm.example.com"  # the one deployment error the test settings have
    call_command("install_schedules", stdout=io.StringIO())
    heartbeat_beat("qcluster")
    heartbeat_beat("alerts_evaluate")
    heartbeat_beat("reply_poll")


def test_a_healthy_install_has_no_problem(healthy):
    out, error = run()
    assert error == "", out
    assert "No problem found." in out
    assert "none of the 19 enabled rules holds" in out


def test_a_holding_rule_and_a_stopped_scheduler_are_problems_with_what_to_do(healthy):
    DeadLetter.objects.create(stage="research", func="x.y", subject_id="7", attempts=3, error="boom",
                              created_at=timezone.now() - datetime.timedelta(days=2))  # fmt: skip
    heartbeat_beat("reply_poll", now=timezone.now() - datetime.timedelta(minutes=30))
    out, error = run()
    assert "problem(s) found" in error
    assert "Dead letters waiting: 1 dead letters have waited more than a day" in out
    assert "Pipeline health → dead letters: retry or discard each." in out
    assert "Reply poll stalled" in out


def test_missing_schedules_and_no_alert_channel_are_named(settings):
    settings.ALERT_WEBHOOK_URL = ""
    out, error = run(no_rules=True)
    assert error
    assert "schedules not installed" in out and "manage.py install_schedules" in out
    assert "ALERT_WEBHOOK_URL is not set" in out
