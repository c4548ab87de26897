"""Alert rules as data: every shipped rule fires once, repeats no more often than its interval
and resolves, on an injected clock (time_machine, no sleeping); the webhook gets Slack's,
Discord's or a plain JSON body; a post the channel refused is tried again."""

import datetime
import json

import httpx
import pytest
import time_machine
from constance import config
from django.urls import reverse
from django_q.models import OrmQ

from infra import alerts as alerts_module
from infra.alert_rules import alerts_evaluate, render_message
from infra.metrics import Reading, ai_usage_record, counter_add, heartbeat_beat, provider_call_record
from infra.models import AlertNotice, AlertRule, AlertState, CircuitState, DeadLetter, Event
from outreach.models import Email, EmailStatus, InboxDay, InboxState
from outreach.services.sending_control import sending_emergency_stop, sending_resume
from tests.factories import InboxFactory, ProspectFactory

pytestmark = pytest.mark.django_db

# a Wednesday, 14:00 UTC = 16:00 in Berlin: after 15:00 in the main market
T0 = datetime.datetime(2031, 3, 12, 14, 0, tzinfo=datetime.UTC)
MIN = datetime.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def no_webhook(settings):
    settings.ALERT_WEBHOOK_URL = ""


def evaluate(now, rules):
    with time_machine.travel(now, tick=False):
        return alerts_evaluate(now=now, rules=rules)


def notices(rule, kind=None):
    rows = AlertNotice.objects.filter(rule=rule)
    return rows.filter(kind=kind).count() if kind else rows.count()


# --- one scenario per shipped rule: make it hold (again at each tick if it needs to), then fix it ---


def _sent(inbox, count, *, status=EmailStatus.DELIVERED, bad=0, bad_status=EmailStatus.BOUNCED, when=None):
    prospect = ProspectFactory(stage="contacted")
    statuses = [bad_status] * bad + [status] * (count - bad)
    Email.objects.bulk_create(
        Email(prospect=prospect, inbox=inbox, to_email=f"g{i}@hotel.example", subject="s", body="b", status=s,
              sent_at=when or T0 - datetime.timedelta(hours=2))
        for i, s in enumerate(statuses)
    )  # fmt: skip


def _run(errors):
    Event.objects.create(name="acquisition.run", data={"error_messages": errors}, created_at=T0 - MIN)


class Scenario:
    def hold(self, now):  # called before each evaluation while the condition should last
        pass

    def fix(self, now):
        raise NotImplementedError


class QueueBacklog(Scenario):
    def start(self, now):
        OrmQ.objects.bulk_create(OrmQ(key="research", payload="x", lock=now) for _ in range(1001))

    def fix(self, now):
        OrmQ.objects.all().delete()


class QueueNotMoving(Scenario):
    def start(self, now):
        OrmQ.objects.create(key="enrichment", payload="x", lock=now - datetime.timedelta(hours=1))

    def fix(self, now):
        OrmQ.objects.all().delete()


class StageErrors(Scenario):
    def start(self, now):
        self.hold(now)

    def hold(self, now):
        counter_add("jengu_task_attempts_total", 10, labels={"stage": "enrichment"}, windowed=True, now=now)
        counter_add("jengu_task_failures_total", 4, labels={"stage": "enrichment"}, windowed=True, now=now)
        self.held = now

    def fix(self, now):
        counter_add("jengu_task_attempts_total", 10, labels={"stage": "enrichment"}, windowed=True, now=now)


class ProviderErrors(Scenario):
    def start(self, now):
        self.hold(now)

    def hold(self, now):
        with time_machine.travel(now, tick=False):
            for ok in [True] * 6 + [False] * 4:
                provider_call_record("search:duckduckgo", ok=ok)

    def fix(self, now):
        with time_machine.travel(now, tick=False):
            for _ in range(10):
                provider_call_record("search:duckduckgo", ok=True)


class CircuitsOpening(Scenario):
    def start(self, now):
        self.hold(now)

    def hold(self, now):
        with time_machine.travel(now, tick=False):
            for inbox in range(11):
                provider_call_record(f"smtp:{inbox}", ok=False, opened=True)

    def fix(self, now):
        pass  # a minute without openings


class CircuitOpen(Scenario):
    def start(self, now):
        CircuitState.objects.create(key="ai:grok", state="open", opened_at=now, last_error="HTTP 503")

    def fix(self, now):
        CircuitState.objects.filter(key="ai:grok").update(state="closed")


class NoInbox(Scenario):
    def start(self, now):
        InboxFactory(state=InboxState.PAUSED, state_reason="bounce rate")

    def fix(self, now):
        from outreach.models import Inbox

        Inbox.objects.all()._allow_state_write().update(state=InboxState.ACTIVE)


class SendsBehind(Scenario):
    def start(self, now):
        config.WARMUP_JITTER = False
        self.inbox = InboxFactory()
        InboxDay.objects.create(inbox=self.inbox, day=now.date(), cap=20, sent=3)

    def fix(self, now):
        InboxDay.objects.filter(inbox=self.inbox).update(sent=15)


class DeliveryLow(Scenario):
    def start(self, now):
        _sent(InboxFactory(), 30, bad=3)

    def fix(self, now):
        Email.objects.filter(status=EmailStatus.BOUNCED)._allow_state_write().update(status=EmailStatus.DELIVERED)


class DomainBounces(Scenario):
    def start(self, now):
        _sent(InboxFactory(email="anna@bounce.jengu.test"), 40, bad=4, when=now - datetime.timedelta(days=3))

    def fix(self, now):
        Email.objects.filter(status=EmailStatus.BOUNCED)._allow_state_write().update(status=EmailStatus.DELIVERED)


class DomainComplaints(Scenario):
    def start(self, now):
        config.COMPLAINT_RATE_MIN_SENDS = 20
        _sent(InboxFactory(email="tom@spam.jengu.test"), 40, bad=1, bad_status=EmailStatus.SPAM,
              when=now - datetime.timedelta(days=3))  # fmt: skip

    def fix(self, now):
        Email.objects.filter(status=EmailStatus.SPAM)._allow_state_write().update(status=EmailStatus.DELIVERED)


class SourceFailing(Scenario):
    def start(self, now):
        _run(["indeed page 0: blocked (HTTP 403)"])
        Event.objects.create(name="acquisition.run", data={"error_messages": ["indeed page 0: layout changed"]},
                             created_at=now)  # fmt: skip

    def fix(self, now):
        Event.objects.create(name="acquisition.run", data={"error_messages": []}, created_at=now)


class AiSpend(Scenario):
    def start(self, now):
        from django.conf import settings

        settings.AI_DAILY_BUDGET = 0.01
        with time_machine.travel(now, tick=False):
            ai_usage_record(provider="claude", model="claude-x", input_tokens=10_000, output_tokens=1_000, cost_usd=0)

    def fix(self, now):
        from django.conf import settings

        settings.AI_DAILY_BUDGET = 100.0


class VerifierSpend(Scenario):
    def start(self, now):
        from django.conf import settings

        settings.VERIFIER_DAILY_BUDGET = 0.01
        counter_add("jengu_verifier_credits_total", 100, labels={"provider": "millionverifier"}, daily=True, now=now)

    def fix(self, now):
        from django.conf import settings

        settings.VERIFIER_DAILY_BUDGET = 100.0


class CreditsLow(Scenario):
    def start(self, now):
        heartbeat_beat("verifier_credits:millionverifier", value=250, now=now)

    def fix(self, now):
        heartbeat_beat("verifier_credits:millionverifier", value=50_000, now=now)


class EmergencyStop(Scenario):
    def start(self, now):
        with time_machine.travel(now, tick=False):
            sending_emergency_stop(by="user:ops", reason="checking a complaint")

    def fix(self, now):
        with time_machine.travel(now, tick=False):
            sending_resume(by="user:ops")


class ReplyPollStalled(Scenario):
    def start(self, now):
        heartbeat_beat("reply_poll", now=now - datetime.timedelta(minutes=10))

    def fix(self, now):
        heartbeat_beat("reply_poll", now=now)


class DeadLettersWaiting(Scenario):
    def start(self, now):
        DeadLetter.objects.create(stage="research", func="x.y", subject_id="7", attempts=3, error="boom",
                                  created_at=now - datetime.timedelta(days=2))  # fmt: skip

    def fix(self, now):
        DeadLetter.objects.update(status=DeadLetter.Status.DISCARDED)


SCENARIOS = {
    "Queue backlog": QueueBacklog,
    "Queue not moving": QueueNotMoving,
    "Stage error rate": StageErrors,
    "Provider error rate": ProviderErrors,
    "Circuit breakers opening": CircuitsOpening,
    "Provider circuit open": CircuitOpen,
    "No inbox can send": NoInbox,
    "Sends behind capacity": SendsBehind,
    "Delivery rate low": DeliveryLow,
    "Domain bounce rate": DomainBounces,
    "Domain complaint rate": DomainComplaints,
    "Acquisition source failing": SourceFailing,
    "AI spend over daily budget": AiSpend,
    "Verifier spend over daily budget": VerifierSpend,
    "Verifier credits low": CreditsLow,
    "Emergency stop pressed": EmergencyStop,
    "Emergency stop left on": EmergencyStop,
    "Reply poll stalled": ReplyPollStalled,
    "Dead letters waiting": DeadLettersWaiting,
}


def test_every_shipped_rule_has_a_scenario():
    assert set(AlertRule.objects.values_list("name", flat=True)) == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_rule_fires_once_repeats_at_its_interval_and_resolves(name):
    rule = AlertRule.objects.get(name=name)
    scenario = SCENARIOS[name]()
    rules = [rule]
    start = T0 - datetime.timedelta(minutes=61) if name == "Emergency stop left on" else T0
    now = start
    scenario.start(now)
    # nothing before the duration is over (and nothing at all for a healthy system before start)
    evaluate(now, rules)
    if rule.duration_minutes:
        assert notices(rule) == 0
        assert AlertState.objects.get(rule=rule).state == AlertState.State.PENDING
        now += datetime.timedelta(minutes=rule.duration_minutes)
        scenario.hold(now)
        evaluate(now, rules)
    if name == "Emergency stop left on":  # pressed 61 minutes before T0: over the hour now
        assert notices(rule) == 0
        now = T0
        evaluate(now, rules)
    assert notices(rule, AlertNotice.Kind.FIRED) == 1, AlertState.objects.filter(rule=rule).values()
    notice = AlertNotice.objects.get(rule=rule, kind=AlertNotice.Kind.FIRED)
    assert "{" not in notice.text and notice.severity == rule.severity
    fired_at = now
    # a minute later, still holding: no second post
    now += MIN
    scenario.hold(now)
    evaluate(now, rules)
    assert notices(rule) == 1
    if rule.repeat_minutes:
        now = fired_at + datetime.timedelta(minutes=rule.repeat_minutes) - MIN
        scenario.hold(now)
        evaluate(now, rules)
        assert notices(rule, AlertNotice.Kind.REPEATED) == 0
        now += MIN
        scenario.hold(now)
        evaluate(now, rules)
        assert notices(rule, AlertNotice.Kind.REPEATED) == 1
    now += datetime.timedelta(minutes=5)
    scenario.fix(now)
    evaluate(now, rules)
    assert notices(rule, AlertNotice.Kind.RESOLVED) == 1
    assert AlertState.objects.filter(rule=rule, state=AlertState.State.FIRING).count() == 0
    now += MIN
    evaluate(now, rules)
    assert notices(rule, AlertNotice.Kind.RESOLVED) == 1
    assert notices(rule, AlertNotice.Kind.FIRED) == 1


def test_a_condition_that_ends_before_its_duration_never_fires():
    rule = AlertRule.objects.get(name="Provider circuit open")  # 15 minutes
    CircuitState.objects.create(key="verifier:millionverifier", state="open", opened_at=T0)
    evaluate(T0, [rule])
    evaluate(T0 + 10 * MIN, [rule])
    CircuitState.objects.update(state="closed")
    evaluate(T0 + 16 * MIN, [rule])
    assert notices(rule) == 0
    assert AlertState.objects.get(rule=rule).state == AlertState.State.OK


def test_each_scope_has_its_own_state():
    rule = AlertRule.objects.get(name="Queue not moving")
    OrmQ.objects.create(key="enrichment", payload="x", lock=T0 - datetime.timedelta(hours=1))
    evaluate(T0, [rule])
    OrmQ.objects.create(key="research", payload="x", lock=T0 - datetime.timedelta(hours=1))
    evaluate(T0 + MIN, [rule])
    assert set(AlertNotice.objects.filter(rule=rule).values_list("scope", flat=True)) == {"enrichment", "research"}
    OrmQ.objects.filter(key="enrichment").delete()
    evaluate(T0 + 2 * MIN, [rule])
    states = dict(AlertState.objects.filter(rule=rule).values_list("scope", "state"))
    assert states["enrichment"] == "resolved" and states["research"] == "firing"


def test_an_unknown_metric_is_reported_not_fatal():
    broken = AlertRule.objects.create(name="typo", metric="queue_dept", threshold=1, message="x")
    other = AlertRule.objects.get(name="Queue not moving")
    OrmQ.objects.create(key="enrichment", payload="x", lock=T0 - datetime.timedelta(hours=1))
    report = evaluate(T0, [broken, other])
    assert "no metric named 'queue_dept'" in str(report)
    assert notices(other) == 1


def test_the_message_fills_only_its_placeholders():
    message = "{scope}: {value} > {threshold} for {duration} ({detail}) {0.__class__} {missing}"
    rule = AlertRule(name="r", threshold=0.05, duration_minutes=2, message=message)
    text = render_message(rule, "enrichment", Reading(0.25, "5 of 20"))
    assert text == "enrichment: 0.25 > 0.05 for 2 min (5 of 20) {0.__class__} {missing}"


# --- delivery: Slack, Discord, JSON; a refused post is tried again --------------------------


@pytest.fixture
def webhook(settings, monkeypatch):
    settings.ALERT_WEBHOOK_URL = "https://hooks.example.test/alerts"
    received, answers = [], []

    def handler(request):
        received.append(json.loads(request.content))
        return httpx.Response(answers.pop(0) if answers else 200)

    monkeypatch.setattr(alerts_module, "http_client", lambda **kw: httpx.Client(transport=httpx.MockTransport(handler)))
    return received, answers


@pytest.mark.parametrize(
    "style, check",
    [
        ("slack", lambda body: set(body) == {"text"} and body["text"].startswith(":sos: No inbox can send")),
        ("discord", lambda body: set(body) == {"content"} and "No inbox can send" in body["content"]),
        ("json", lambda body: body["alert"] == "No inbox can send" and body["state"] == "firing"
         and body["severity"] == "critical" and body["value"] == 0.0),
    ],
)  # fmt: skip
def test_the_webhook_gets_the_configured_format(settings, webhook, style, check):
    received, _ = webhook
    settings.ALERT_WEBHOOK_FORMAT = style
    rule = AlertRule.objects.get(name="No inbox can send")
    rule.duration_minutes = 0
    rule.save()
    InboxFactory(state=InboxState.PAUSED)
    evaluate(T0, [rule])
    assert len(received) == 1 and check(received[0]), received
    from outreach.models import Inbox

    Inbox.objects.all()._allow_state_write().update(state=InboxState.ACTIVE)
    evaluate(T0 + MIN, [rule])
    assert len(received) == 2
    assert "RESOLVED" in json.dumps(received[1]) or received[1].get("state") == "resolved"


def test_a_post_the_channel_refused_is_tried_again_next_minute(webhook):
    received, answers = webhook
    answers.append(500)
    rule = AlertRule.objects.get(name="Dead letters waiting")
    DeadLetter.objects.create(stage="research", func="x.y", subject_id="7", attempts=3, error="boom",
                              created_at=T0 - datetime.timedelta(days=2))  # fmt: skip
    evaluate(T0, [rule])
    first = AlertNotice.objects.get(rule=rule)
    assert not first.delivered and "HTTP 500" in first.error
    evaluate(T0 + MIN, [rule])
    assert AlertNotice.objects.filter(rule=rule, delivered=True, kind=AlertNotice.Kind.FIRED).count() == 1
    evaluate(T0 + 2 * MIN, [rule])
    assert AlertNotice.objects.filter(rule=rule).count() == 2


def test_operations_edit_rules_and_read_alerts_in_the_admin(client, ops_user):
    client.force_login(ops_user)
    ops_client = client
    rule = AlertRule.objects.get(name="Queue backlog")
    page = ops_client.get(reverse("admin:infra_alertrule_change", args=[rule.pk]))
    assert page.status_code == 200 and "queue_depth" in page.content.decode()
    data = {
        "name": rule.name, "metric": "queue_depth", "comparison": ">", "threshold": "500", "duration_minutes": "10",
        "scope": "", "severity": "warning", "message": "Queue {scope}: {value} waiting {bogus}", "runbook": "",
        "repeat_minutes": "60", "enabled": "on", "states-TOTAL_FORMS": "0", "states-INITIAL_FORMS": "0",
    }  # fmt: skip
    refused = ops_client.post(reverse("admin:infra_alertrule_change", args=[rule.pk]), data)
    assert refused.status_code == 200 and "Unknown placeholder {bogus}" in refused.content.decode()
    data["message"] = "Queue {scope}: {value} waiting"
    saved = ops_client.post(reverse("admin:infra_alertrule_change", args=[rule.pk]), data)
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold, rule.duration_minutes) == (500, 10)
    OrmQ.objects.create(key="enrichment", payload="x", lock=T0 - datetime.timedelta(hours=1))
    evaluate(T0, list(AlertRule.objects.filter(name="Queue not moving")))
    alerts = ops_client.get(reverse("admin:infra_alertnotice_changelist")).content.decode()
    assert "Queue not moving" in alerts and 'id="active-alerts"' in alerts and "firing" in alerts
