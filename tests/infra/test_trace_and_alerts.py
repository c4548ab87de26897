"""`manage.py trace`, alert deduplication, the HTTP client factory."""

import datetime
import json

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

import tests.support.stages  # noqa: F401
from infra.alerts import alert_send
from infra.events import event_record
from infra.http import USER_AGENT, http_client, override_transport
from infra.stages import stage_enqueue
from infra.statemachine import transition
from tests.factories import ProspectFactory

pytestmark = pytest.mark.django_db


def test_trace_prints_transitions_events_and_failures_in_time_order(
    settings, capsys, django_capture_on_commit_callbacks
):
    settings.JENGU_TASKS_SYNC = True
    settings.STAGE_RETRY_DELAYS = [0]
    prospect = ProspectFactory(company_name="Hotel Sacher Wien", research_report={"fail_times": 1})
    other = ProspectFactory()
    t0 = timezone.now() - datetime.timedelta(minutes=5)
    event_record("acquisition.found", message="found on LinkedIn", trace_id=prospect.trace_id)
    with django_capture_on_commit_callbacks(execute=True):
        stage_enqueue("test_flaky", subject_id=prospect.pk, trace_id=prospect.trace_id)
    transition(other, "start_enrichment", by="task:enrichment", at=t0)  # another prospect's story

    call_command("trace", str(prospect.pk))
    out = capsys.readouterr().out
    assert "Hotel Sacher Wien" in out and str(prospect.trace_id) in out
    lines = out.splitlines()[1:]
    kinds = [line.split()[2] for line in lines]
    found = next(i for i, line in enumerate(lines) if "acquisition.found" in line)
    failed = next(i for i, line in enumerate(lines) if "stage.failed" in line)
    started = next(i for i, line in enumerate(lines) if "new → enriching" in line)
    finished = next(i for i, line in enumerate(lines) if "enriching → enriched" in line)
    assert found < failed < started < finished
    assert "transition" in kinds and "event/warning" in kinds
    assert "task" in kinds  # the q2 task rows of its attempts
    assert str(other.pk) + " new → enriching" not in out
    timestamps = [line[:23] for line in lines]
    assert timestamps == sorted(timestamps)

    call_command("trace", str(prospect.trace_id))
    assert capsys.readouterr().out.splitlines()[1:] == lines


def test_trace_of_an_unknown_prospect_is_a_clear_error():
    with pytest.raises(CommandError, match="No prospect"):
        call_command("trace", "999999")


def test_the_same_alert_twice_within_the_window_posts_once(settings):
    settings.ALERT_WEBHOOK_URL = "https://hooks.slack.test/services/T/B/X"
    posted = []

    def slack(request):
        posted.append(json.loads(request.content))
        return httpx.Response(200, text="ok")

    now = timezone.now()
    with override_transport(httpx.MockTransport(slack)):
        assert alert_send(key="inbox.paused:3", text="Inbox edd@ paused: bounce rate 6%", now=now) is True
        assert alert_send(key="inbox.paused:3", text="Inbox edd@ paused: bounce rate 6%", now=now) is False
        assert alert_send(key="inbox.paused:4", text="Inbox anna@ paused", now=now) is True
        later = now + datetime.timedelta(hours=1, seconds=1)
        assert alert_send(key="inbox.paused:3", text="Inbox edd@ still paused", now=later) is True
    assert [p["text"] for p in posted] == [
        ":rotating_light: Inbox edd@ paused: bounce rate 6%",
        ":rotating_light: Inbox anna@ paused",
        ":rotating_light: Inbox edd@ still paused (repeated 1× since the last alert)",
    ]


def test_a_failing_webhook_is_retried_then_leaves_the_window_open(settings):
    settings.ALERT_WEBHOOK_URL = "https://hooks.slack.test/x"
    calls = []

    def down(request):
        calls.append(request)
        return httpx.Response(503)

    with override_transport(httpx.MockTransport(down)):
        assert alert_send(key="dlq", text="dead letters growing") is False
    assert len(calls) == 3  # first try + 2 retries
    with override_transport(httpx.MockTransport(lambda r: httpx.Response(200))):
        assert alert_send(key="dlq", text="dead letters growing") is True


def test_http_client_sets_timeouts_user_agent_and_retries_429_then_succeeds():
    seen = []

    def flaky(request):
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(429, headers={"Retry-After": "2"})
        if len(seen) == 2:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"ok": True})

    slept = []
    with override_transport(httpx.MockTransport(flaky)):
        client = http_client(timeout=7, retries=2, sleep=slept.append)
    response = client.get("https://api.example.test/v1/things")
    assert response.json() == {"ok": True}
    assert len(seen) == 3 and slept == [2.0, 1.0]
    assert seen[0].headers["User-Agent"] == USER_AGENT
    assert client.timeout.read == 7 and client.timeout.connect == 5


def test_http_client_gives_up_after_its_retries():
    with override_transport(httpx.MockTransport(lambda r: httpx.Response(502))):
        client = http_client(retries=1, sleep=lambda s: None)
    assert client.get("https://api.example.test/").status_code == 502
