"""Outbound webhooks: what triggers them, the signature (README snippet), retries, disabling."""

import json
import re
from pathlib import Path

import httpx
import pytest
from django_q.models import Schedule

from infra.events import event_record
from infra.http import override_transport
from infra.models import Alert, WebhookDelivery, WebhookSubscriber
from infra.statemachine import transition
from infra.webhooks_outbound import DISABLE_AFTER, RETRY_DELAYS, webhook_deliver, webhook_fan_out
from tests.factories import ProspectFactory

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_snippet():
    """The verification code the README gives receivers, exactly as printed there."""
    text = README.read_text()
    match = re.search(r"<!-- webhook-verify -->\s*```python\n(.*?)```", text, re.S)
    assert match, "README must hold the webhook verification snippet"
    namespace = {}
    exec(match.group(1), namespace)  # noqa: S102  (our own README, tested as documentation)
    return namespace["verify_jengu_webhook"]


class Receiver:
    """An httpx MockTransport that records requests and answers with the next status in line."""

    def __init__(self, *statuses):
        self.statuses = list(statuses) or [200]
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status == "timeout":
            raise httpx.ConnectTimeout("no answer", request=request)
        return httpx.Response(status, json={"ok": status < 300})


@pytest.fixture(autouse=True)
def tasks_inline(settings):
    settings.JENGU_TASKS_SYNC = True


@pytest.fixture
def subscriber():
    return WebhookSubscriber.objects.create(name="booking-sync", url="https://hooks.example/jengu")


def test_a_stage_change_is_delivered_signed_and_verifiable_with_the_readme_snippet(
    subscriber, django_capture_on_commit_callbacks
):
    verify = readme_snippet()
    receiver = Receiver(200)
    prospect = ProspectFactory(name="Anna Weber", email="anna@adlon.example")
    with override_transport(httpx.MockTransport(receiver)), django_capture_on_commit_callbacks(execute=True):
        transition(prospect, "start_enrichment", by="task:enrichment")

    (request,) = receiver.requests
    headers = {name.title(): value for name, value in request.headers.items()}
    assert verify(subscriber.secret, headers, request.content)
    assert not verify("whsec_wrong", headers, request.content)
    assert not verify(subscriber.secret, headers, request.content.replace(b"enriching", b"won"))
    payload = json.loads(request.content)
    assert payload["event"] == "prospect.stage_changed" == request.headers["X-Jengu-Event"]
    assert payload["data"]["prospect_id"] == prospect.pk
    assert (payload["data"]["from"], payload["data"]["to"]) == ("new", "enriching")
    assert "Anna" not in request.content.decode() and "adlon" not in request.content.decode()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert request.headers["X-Jengu-Delivery"] == str(delivery.delivery_id) == payload["id"]


def test_the_snippet_refuses_an_old_timestamp(subscriber):
    import hashlib
    import hmac

    verify = readme_snippet()
    body, old = b'{"event":"x"}', "1000000000"
    signature = "v1=" + hmac.new(subscriber.secret.encode(), old.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert not verify(subscriber.secret, {"X-Jengu-Timestamp": old, "X-Jengu-Signature": signature}, body)


def test_event_log_rows_become_events_with_ids_only(subscriber, django_capture_on_commit_callbacks):
    receiver = Receiver(200)
    with override_transport(httpx.MockTransport(receiver)), django_capture_on_commit_callbacks(execute=True):
        event_record("email.sent", message="to anna@adlon.example", data={"email_id": 7, "to": "anna@adlon.example"})
        event_record("inbox.paused", message="bounces", data={"inbox_id": 3})
        event_record("email.opened", data={"email_id": 7})  # not a webhook event
    events = [json.loads(r.content) for r in receiver.requests]
    assert [e["event"] for e in events] == ["email.sent", "inbox.paused"]
    assert events[0]["data"]["email_id"] == 7 and "to" not in events[0]["data"]
    assert "anna" not in receiver.requests[0].content.decode()


def test_only_active_subscribers_of_the_event_receive_it(subscriber, django_capture_on_commit_callbacks):
    WebhookSubscriber.objects.create(name="bi", url="https://bi.example/h", events=["reply.received"])
    WebhookSubscriber.objects.create(name="off", url="https://off.example/h", active=False)
    receiver = Receiver(200)
    with override_transport(httpx.MockTransport(receiver)), django_capture_on_commit_callbacks(execute=True):
        event_record("email.bounced", data={"email_id": 1})
    assert [r.url.host for r in receiver.requests] == ["hooks.example"]


def test_a_rolled_back_change_sends_nothing(subscriber, django_capture_on_commit_callbacks):
    from django.db import transaction

    prospect = ProspectFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                transition(prospect, "start_enrichment", by="task:test")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == [] and not WebhookDelivery.objects.exists()


def test_failures_are_retried_with_exponential_backoff_then_given_up(subscriber, django_capture_on_commit_callbacks):
    receiver = Receiver(500)
    with override_transport(httpx.MockTransport(receiver)), django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_fan_out("reply.received", {"reply_id": 1})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("retrying", 1, "HTTP 500")
    retry = Schedule.objects.get()
    assert retry.func == "infra.webhooks_outbound.webhook_deliver" and retry.schedule_type == Schedule.ONCE
    assert abs((retry.next_run - delivery.next_attempt_at).total_seconds()) < 2
    gaps = [delivery.next_attempt_at]

    # the scheduler would run each one-off schedule when due; run them in turn
    with override_transport(httpx.MockTransport(Receiver("timeout"))):
        for _ in RETRY_DELAYS:
            webhook_deliver(delivery.pk)
            delivery.refresh_from_db()
            gaps.append(delivery.next_attempt_at)
    assert delivery.status == "failed" and delivery.attempts == len(RETRY_DELAYS) + 1
    assert "ConnectTimeout" in delivery.error
    assert Schedule.objects.count() == len(RETRY_DELAYS)
    assert sorted(RETRY_DELAYS) == RETRY_DELAYS and RETRY_DELAYS[1] >= 2 * RETRY_DELAYS[0]
    assert webhook_deliver(delivery.pk) == "nothing to do"  # a stale schedule firing again is harmless


def test_a_late_success_delivers_and_resets_the_failure_count(subscriber, django_capture_on_commit_callbacks):
    with override_transport(httpx.MockTransport(Receiver(503))), django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_fan_out("reply.classified", {"reply_id": 2, "intent": "interested"})
    subscriber.refresh_from_db()
    assert subscriber.consecutive_failures == 1
    with override_transport(httpx.MockTransport(Receiver(204))):
        assert webhook_deliver(delivery.pk) == "delivered"
    subscriber.refresh_from_db()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, subscriber.consecutive_failures) == ("delivered", 2, 0)


def test_a_subscriber_is_disabled_after_consecutive_failures_with_an_alert(
    subscriber, django_capture_on_commit_callbacks
):
    with override_transport(httpx.MockTransport(Receiver(410))), django_capture_on_commit_callbacks(execute=True):
        for n in range(DISABLE_AFTER):
            webhook_fan_out("email.sent", {"email_id": n})
    subscriber.refresh_from_db()
    assert subscriber.active is False
    assert "10 deliveries in a row failed" in subscriber.disabled_reason
    assert Alert.objects.filter(key=f"webhook.disabled:{subscriber.pk}").exists()
    # nothing more goes to it, and pending retries give up
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_fan_out("email.sent", {"email_id": 99}) == []
    pending = WebhookDelivery.objects.filter(status="retrying").first()
    assert webhook_deliver(pending.pk) == "subscriber disabled"


def test_admin_pages_for_webhooks(admin_client, subscriber):
    page = admin_client.get(f"/admin/infra/webhooksubscriber/{subscriber.pk}/change/")
    # the secret is shown once, when the subscriber is created (tests/security/test_inbox_secrets.py)
    assert page.status_code == 200 and subscriber.secret not in page.content.decode()
    response = admin_client.post(
        "/admin/infra/webhooksubscriber/add/",
        {
            "name": "crm-sync",
            "url": "https://crm.example/hook",
            "events": ["email.sent", "inbox.paused"],
            "active": "on",
        },
    )
    created = WebhookSubscriber.objects.get(name="crm-sync")
    assert created.events == ["email.sent", "inbox.paused"] and created.secret.startswith("whsec_")
    assert response.status_code == 200 and created.secret in response.content.decode()
