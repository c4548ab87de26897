"""Outbound webhooks read their subscribers once per few seconds, not once per event.

The send path records several events per email (email.sent, a prospect's stage changes);
each used to read the subscriber table after its commit. The list is cached
(infra.webhooks_outbound.SUBSCRIBERS_CACHE_SECONDS) and forgotten whenever a subscriber
changes, so a new, changed or switched-off subscriber is seen at the next event.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from infra.models import WebhookDelivery, WebhookSubscriber
from infra.webhooks_outbound import webhook_fan_out, webhook_subscriber_enable

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_task_queue(monkeypatch):
    monkeypatch.setattr("infra.webhooks_outbound._enqueue", lambda delivery_id, delay=0: None)


def subscriber_reads(captured) -> int:
    return sum('FROM "infra_webhooksubscriber"' in q["sql"] for q in captured.captured_queries)


def test_ten_events_read_the_subscribers_at_most_once():
    WebhookSubscriber.objects.create(name="crm-sync", url="https://hooks.example/a", events=["email.sent"])
    with CaptureQueriesContext(connection) as captured:
        for i in range(10):
            webhook_fan_out("email.sent", {"email_id": i})
            webhook_fan_out("prospect.stage_changed", {"prospect_id": i})  # not subscribed: nothing written
    assert subscriber_reads(captured) <= 1
    assert WebhookDelivery.objects.count() == 10
    assert set(WebhookDelivery.objects.values_list("event", flat=True)) == {"email.sent"}


def test_a_new_subscriber_receives_the_next_event():
    first = WebhookSubscriber.objects.create(name="crm-sync", url="https://hooks.example/a", events=["email.sent"])
    webhook_fan_out("email.sent", {"email_id": 1})  # the list (one subscriber) is cached now
    second = WebhookSubscriber.objects.create(name="bi", url="https://hooks.example/b", events=["email.sent"])
    webhook_fan_out("email.sent", {"email_id": 2})
    got = WebhookDelivery.objects.filter(payload__data__email_id=2).values_list("subscriber", flat=True)
    assert sorted(got) == sorted([first.pk, second.pk])
    delivery = WebhookDelivery.objects.get(subscriber=second)
    assert delivery.payload["id"] == str(delivery.delivery_id) and delivery.payload["data"] == {"email_id": 2}


def test_a_changed_or_switched_off_subscriber_is_seen_at_the_next_event():
    subscriber = WebhookSubscriber.objects.create(name="crm-sync", url="https://hooks.example/a", events=["email.sent"])
    webhook_fan_out("email.sent", {"email_id": 1})
    subscriber.events = ["email.bounced"]
    subscriber.save()
    webhook_fan_out("email.sent", {"email_id": 2})
    assert not WebhookDelivery.objects.filter(payload__data__email_id=2).exists()

    subscriber.events = ["email.sent"]
    subscriber.active = False
    subscriber.save()
    webhook_fan_out("email.sent", {"email_id": 3})
    assert not WebhookDelivery.objects.filter(payload__data__email_id=3).exists()

    webhook_subscriber_enable(subscriber=subscriber)  # an UPDATE, no signal: forgotten by the service
    webhook_fan_out("email.sent", {"email_id": 4})
    assert WebhookDelivery.objects.filter(payload__data__email_id=4, subscriber=subscriber).exists()

    subscriber.delete()
    assert webhook_fan_out("email.sent", {"email_id": 5}) == []
