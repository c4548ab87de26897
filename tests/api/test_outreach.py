"""/api/emails, /api/inboxes, /api/warmup/status, /api/emergency-stop, /api/suppression."""

import datetime

import pytest
from constance import config
from django.utils import timezone

from infra.models import Event, StateTransition
from outreach.models import InboxDay, Suppression
from tests.api.conftest import ApiClient
from tests.factories import EmailFactory, InboxFactory, SuppressionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, make_key):
    _, raw = make_key("operate", name="test-operator")
    return ApiClient(client, raw)


@pytest.fixture
def writer(client, make_key):
    _, raw = make_key("write", name="test-writer")
    return ApiClient(client, raw)


# --- emails ---------------------------------------------------------------------------


def test_email_list_filters(reader):
    now = timezone.now()
    inbox = InboxFactory()
    sent = EmailFactory(status="sent", sent_at=now - datetime.timedelta(hours=1), inbox=inbox)
    old = EmailFactory(status="bounced", sent_at=now - datetime.timedelta(days=10), type="follow_up")
    draft = EmailFactory()

    def ids(**params):
        response = reader.get("/api/emails", params)
        assert response.status_code == 200, response.content
        return [e["id"] for e in response.json()["items"]]

    assert ids() == [draft.pk, old.pk, sent.pk]
    assert ids(status="sent") == [sent.pk]
    assert ids(type="follow_up") == [old.pk]
    assert ids(inbox=inbox.pk) == [sent.pk]
    assert ids(prospect=draft.prospect_id) == [draft.pk]
    assert ids(sent_after=(now - datetime.timedelta(days=1)).isoformat()) == [sent.pk]
    assert ids(sent_before=(now - datetime.timedelta(days=1)).isoformat()) == [old.pk]
    assert "body" not in reader.get("/api/emails").json()["items"][0]


@pytest.mark.parametrize("params", [{"status": "lost"}, {"inbox": 0}, {"sent_after": "soon"}, {"limit": -1}])
def test_email_list_bad_filters_are_422(reader, params):
    assert reader.get("/api/emails", params).status_code == 422


def test_email_detail_has_the_body_and_history(reader):
    from infra.statemachine import transition

    email = EmailFactory(body="Hello there")
    transition(email, "queue", by="task:composition")
    body = reader.get(f"/api/emails/{email.pk}").json()
    assert body["body"] == "Hello there"
    assert body["transitions"][0]["target"] == "queued"
    assert reader.get("/api/emails/999999").status_code == 404


def test_emails_need_a_key(anonymous):
    assert anonymous.get("/api/emails").status_code == 401


# --- inboxes --------------------------------------------------------------------------


def test_inbox_list_shows_sends_and_cap_but_never_passwords(reader):
    inbox = InboxFactory(warmup_started_on=timezone.localdate())  # week 1: cap 5
    InboxDay.objects.create(inbox=inbox, day=timezone.localdate(), cap=5, sent=2)
    response = reader.get("/api/inboxes")
    assert response.status_code == 200
    (row,) = response.json()
    assert (row["sent_today"], row["cap_today"]) == (2, 5)
    assert "password" not in response.content.decode()
    assert "s3cret-smtp-password" not in response.content.decode()


def test_every_view_of_todays_cap_is_the_cap_the_sender_enforces(reader):
    from constance import config

    from outreach.services.sending import inbox_day

    config.WARMUP_JITTER = True
    today = timezone.localdate()
    inboxes = [InboxFactory(warmup_started_on=today - datetime.timedelta(weeks=8), daily_ceiling=50) for _ in range(6)]
    shown = {row["id"]: row["cap_today"] for row in reader.get("/api/inboxes").json()}
    warmup = {row["id"]: row["cap_today"] for row in reader.get("/api/warmup/status").json()["inboxes"]}
    stats = {row["inbox_id"]: row["cap_today"] for row in reader.get("/api/stats").json()["sends_today"]}
    enforced = {inbox.pk: inbox_day(inbox, today).cap for inbox in inboxes}  # what the first send stores
    assert shown == warmup == stats == enforced
    assert set(enforced.values()) != {50}  # jitter moved at least one away from the ceiling


def test_inbox_health_reports_bounce_rate_and_open_circuits(reader):
    from infra.models import CircuitState

    inbox = InboxFactory()
    now = timezone.now()
    for _ in range(3):
        EmailFactory(inbox=inbox, status="sent", sent_at=now)
    EmailFactory(inbox=inbox, status="bounced", sent_at=now)
    CircuitState.objects.create(key="resend", state="open", consecutive_failures=3)
    body = reader.get("/api/inboxes/health").json()
    row = next(r for r in body["inboxes"] if r["id"] == inbox.pk)
    assert (row["sent_28d"], row["bounced_28d"], row["bounce_rate_28d"]) == (4, 1, 0.25)
    assert row["healthy"] is False  # 25% > the 5% pause threshold
    assert body["open_circuits"][0]["key"] == "resend"
    assert body["sending_enabled"] is True


def test_pause_and_resume_an_inbox(operator):
    inbox = InboxFactory()
    response = operator.post(f"/api/inboxes/{inbox.pk}/pause", {"reason": "spam complaints"})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["state_reason"]) == ("paused", "spam complaints")
    assert StateTransition.objects.get(object_id=inbox.pk, transition="pause").actor == "api-key:test-operator"
    again = operator.post(f"/api/inboxes/{inbox.pk}/pause", {})
    assert again.status_code == 409
    assert again.json()["current_state"] == "paused"
    assert operator.post(f"/api/inboxes/{inbox.pk}/resume").json()["state"] == "active"
    assert operator.post(f"/api/inboxes/{inbox.pk}/resume").status_code == 409


def test_pause_needs_operate_404_and_422(writer, operator):
    inbox = InboxFactory()
    assert writer.post(f"/api/inboxes/{inbox.pk}/pause", {}).status_code == 403
    assert operator.post("/api/inboxes/999999/pause", {}).status_code == 404
    assert operator.post(f"/api/inboxes/{inbox.pk}/pause", {"reason": "x" * 301}).status_code == 422
    assert operator.post(f"/api/inboxes/{inbox.pk}/pause", {"reson": "typo"}).status_code == 422


# --- warmup ---------------------------------------------------------------------------


def test_warmup_status(reader):
    today = timezone.localdate()
    inbox = InboxFactory(warmup_started_on=today - datetime.timedelta(days=8), daily_ceiling=40)  # week 2
    InboxDay.objects.create(inbox=inbox, day=today, cap=10, sent=4)
    body = reader.get("/api/warmup/status").json()
    assert body["schedule"] == [5, 10, 15, 18, 20]
    (row,) = body["inboxes"]
    assert (row["week"], row["cap_today"], row["sent_today"], row["next_cap"]) == (2, 10, 4, 15)
    assert row["next_cap_on"] == (inbox.warmup_started_on + datetime.timedelta(weeks=2)).isoformat()
    assert row["in_warmup"] is True


# --- emergency stop -------------------------------------------------------------------


def test_emergency_stop_and_release(operator, reader):
    response = operator.post("/api/emergency-stop", {"reason": "bad template"})
    assert response.status_code == 200 and response.json() == {"sending_enabled": False}
    assert config.SENDING_ENABLED is False
    assert Event.objects.get(name="sending.emergency_stop").actor == "api-key:test-operator"
    assert reader.get("/api/emergency-stop").json() == {"sending_enabled": False}
    again = operator.post("/api/emergency-stop", {})
    assert again.status_code == 409 and again.json()["current_state"] == "stopped"
    assert operator.post("/api/emergency-stop/release").json() == {"sending_enabled": True}
    assert operator.post("/api/emergency-stop/release").status_code == 409
    assert config.SENDING_ENABLED is True


def test_bodies_are_optional_where_every_field_is(operator):
    inbox = InboxFactory()
    headers = {"X-API-Key": operator.raw_key}
    for url in ["/api/emergency-stop", f"/api/inboxes/{inbox.pk}/pause"]:  # curl -X POST with no body
        response = operator.client.post(url, "", content_type="application/json", headers=headers)
        assert response.status_code == 200, response.content
    inbox.refresh_from_db()
    assert inbox.state_reason == "paused through the API"


def test_an_unparseable_body_is_400(operator):
    headers = {"X-API-Key": operator.raw_key}
    response = operator.client.post("/api/emergency-stop", "{oops", content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert config.SENDING_ENABLED is True


def test_emergency_stop_needs_operate_and_valid_input(writer, operator):
    assert writer.post("/api/emergency-stop", {}).status_code == 403
    assert operator.post("/api/emergency-stop", {"reason": 42}).status_code == 422
    assert config.SENDING_ENABLED is True


# --- suppression ----------------------------------------------------------------------


def test_suppression_add_list_remove(writer, reader):
    created = writer.post("/api/suppression", {"value": "Gone@Hotel.example", "reason": "unsubscribe"})
    assert created.status_code == 201, created.content
    assert created.json()["value"] == "gone@hotel.example"
    again = writer.post("/api/suppression", {"value": "gone@hotel.example"})
    assert again.status_code == 200 and again.json()["created"] is False
    domain = writer.post("/api/suppression", {"kind": "domain", "value": "spamtrap.example"})
    assert domain.status_code == 201
    listed = reader.get("/api/suppression").json()["items"]
    assert {e["value"] for e in listed} == {"gone@hotel.example", "spamtrap.example"}
    assert [e["id"] for e in reader.get("/api/suppression", {"value": "GONE@hotel.example"}).json()["items"]] == [
        created.json()["id"]
    ]
    assert [e["kind"] for e in reader.get("/api/suppression", {"kind": "domain"}).json()["items"]] == ["domain"]
    removed = writer.delete(f"/api/suppression/{created.json()['id']}")
    assert removed.status_code == 204
    assert not Suppression.objects.filter(pk=created.json()["id"]).exists()
    assert Event.objects.get(name="suppression.removed").actor == "api-key:test-writer"


@pytest.mark.parametrize(
    "body",
    [
        {"value": "not-an-address"},
        {"kind": "domain", "value": "no dots"},
        {"kind": "planet", "value": "a@b.example"},
        {"value": "a@b.example", "reason": "boredom"},
        {},
    ],
)
def test_suppression_bad_input_is_422(writer, body):
    assert writer.post("/api/suppression", body).status_code == 422


def test_suppression_remove_404_403_and_erasure_entries_stay(writer, reader):
    assert writer.delete("/api/suppression/999999").status_code == 404
    entry = SuppressionFactory()
    assert reader.delete(f"/api/suppression/{entry.pk}").status_code == 403
    erased = SuppressionFactory(reason="erasure")
    response = writer.delete(f"/api/suppression/{erased.pk}")
    assert response.status_code == 409
    assert Suppression.objects.filter(pk=erased.pk).exists()
