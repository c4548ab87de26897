"""/metrics: Prometheus's text format (parsed with prometheus-client's own parser), the series
the issue lists, a bearer token, and a scrape that costs the same number of queries at two
data sizes. The counters behind it: q2's finished tasks, provider calls, AI tokens."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signals import post_execute
from prometheus_client.parser import text_string_to_metric_families

from infra.circuit import CircuitBreaker
from infra.metrics import MetricContext, ai_usage_record, counter_window, provider_call_record
from infra.models import CircuitState, MetricCounter
from outreach.models import Email, EmailStatus
from tests.factories import InboxFactory, ProspectFactory, ReplyFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-not-secret"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def get():
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"].startswith("text/plain")
        families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
        return families

    return get


def samples(family, **labels):
    return [s for s in family.samples if all(s.labels.get(k) == v for k, v in labels.items())]


def _task(stage, *, seconds, result="done", success=True, func="infra.stages.stage_execute"):
    started = timezone.now()
    post_execute.send(
        sender="django_q",
        task={"func": func, "args": (stage, "prospects.pipeline.run_x", 1, "", 1), "name": f"{stage}:1",
              "started": started, "stopped": started + datetime.timedelta(seconds=seconds),
              "success": success, "result": result},
    )  # fmt: skip


def seed(scale=1):
    inbox = InboxFactory(email=f"edd{InboxFactory._meta.model.objects.count()}@mail.jengu.test")
    prospect = ProspectFactory(stage="contacted")
    now = timezone.now()
    Email.objects.bulk_create(
        Email(prospect=prospect, inbox=inbox, to_email=f"g{i}@hotel.example", subject="s", body="b",
              status=EmailStatus.BOUNCED if i % 10 == 0 else EmailStatus.DELIVERED,
              sent_at=now - datetime.timedelta(days=1))
        for i in range(20 * scale)
    )  # fmt: skip
    for _ in range(scale):
        ReplyFactory(email=Email.objects.filter(prospect=prospect).first(), intent="interested")
    OrmQ.objects.bulk_create(OrmQ(key="enrichment", payload="x", lock=now) for _ in range(5 * scale))
    CircuitState.objects.get_or_create(key=f"smtp:{inbox.pk}", defaults={"state": "open", "opened_at": now})
    for _ in range(scale):
        _task("enrichment", seconds=0.3)
        _task("enrichment", seconds=4, result="retry 2 in 30s")
        provider_call_record("ai:grok", ok=True, seconds=0.8)
        ai_usage_record(provider="grok", model="grok-4-fast", input_tokens=1200, output_tokens=300, cost_usd=0.0004)


def test_metrics_parse_and_carry_the_issues_series(scrape, client):
    seed()
    client.get("/api/health/live")  # one request for the latency histogram
    families = scrape()
    expected = {
        "jengu_queue_depth", "jengu_queue_oldest_wait_seconds", "jengu_task_attempts", "jengu_task_failures",
        "jengu_task_duration_seconds", "jengu_inbox_emails_28d", "jengu_domain_emails_28d", "jengu_replies_28d",
        "jengu_provider_calls", "jengu_provider_call_duration_seconds", "jengu_circuit_state", "jengu_ai_tokens",
        "jengu_ai_cost_usd", "jengu_http_request_duration_seconds", "jengu_stage_error_rate", "jengu_spend_usd",
    }  # fmt: skip
    assert expected <= set(families), expected - set(families)
    assert samples(families["jengu_queue_depth"], queue="enrichment")[0].value == 5
    assert samples(families["jengu_task_attempts"], stage="enrichment")[0].value == 2
    assert samples(families["jengu_task_failures"], stage="enrichment")[0].value == 1  # the "retry" result
    histogram = families["jengu_task_duration_seconds"]
    assert histogram.type == "histogram"
    buckets = {s.labels["le"]: s.value for s in histogram.samples if s.name.endswith("_bucket")}
    assert buckets["0.5"] == 1 and buckets["5"] == 2 and buckets["+Inf"] == 2  # cumulative
    assert [s.value for s in histogram.samples if s.name.endswith("_sum")] == [pytest.approx(4.3)]
    sent = samples(families["jengu_inbox_emails_28d"], outcome="sent")[0]
    assert sent.value == 20 and sent.labels["domain"] == "mail.jengu.test"
    assert samples(families["jengu_inbox_emails_28d"], outcome="bounced")[0].value == 2
    assert samples(families["jengu_replies_28d"], intent="interested")[0].value == 1
    assert samples(families["jengu_provider_calls"], provider="ai:grok", outcome="ok")[0].value == 1
    open_state = [s for s in families["jengu_circuit_state"].samples if s.labels["state"] == "open"]
    assert open_state[0].value == 1 and open_state[0].labels["circuit"].startswith("smtp:")
    assert samples(families["jengu_ai_tokens"], model="grok-4-fast", direction="input")[0].value == 1200
    routes = {s.labels["route"] for s in families["jengu_http_request_duration_seconds"].samples}
    assert "api/health/live" in routes


def test_a_scrape_costs_the_same_queries_at_two_data_sizes(scrape):
    seed(scale=1)
    scrape()  # live settings load into the cache once
    with CaptureQueriesContext(connection) as small:
        scrape()
    seed(scale=5)
    InboxFactory.create_batch(3)
    with CaptureQueriesContext(connection) as large:
        scrape()
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


def test_metrics_need_the_bearer_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401  # no scheme
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_a_token_metrics_are_off_in_production_and_the_check_says_so(client, settings):
    from django.core.checks import run_checks

    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert client.get("/metrics").status_code == 404
    assert "jengu.W060" in {m.id for m in run_checks(include_deployment_checks=True)}
    settings.DEBUG = True  # the demo: loopback, no token
    assert client.get("/metrics").status_code == 200


def test_a_circuit_breaker_counts_calls_failures_and_openings():
    breaker = CircuitBreaker("search:duckduckgo", failure_threshold=2)

    def boom():
        raise ConnectionError("down")

    breaker.call(lambda: "ok")
    for _ in range(2):
        with pytest.raises(ConnectionError):
            breaker.call(boom)
    totals = dict(
        MetricCounter.objects.filter(bucket="", name="jengu_provider_calls_total").values_list("labels", "value")
    )
    assert totals == {"outcome=ok,provider=search:duckduckgo": 1, "outcome=error,provider=search:duckduckgo": 2}
    opened = counter_window("jengu_circuit_opens_total", minutes=1)
    assert opened == {"provider=search:duckduckgo": 1}
    ctx = MetricContext()
    assert ctx.readings("circuit_open")["search:duckduckgo"].value == 1.0


def test_windowed_counters_forget_what_is_older_than_the_window():
    now = timezone.now()
    from infra.metrics import counter_add

    counter_add("jengu_task_attempts_total", 10, labels={"stage": "research"}, windowed=True, now=now)
    counter_add("jengu_task_failures_total", 5, labels={"stage": "research"}, windowed=True, now=now)
    assert MetricContext(now=now).readings("stage_error_rate")["research"].value == 0.5
    later = now + datetime.timedelta(minutes=4)
    assert MetricContext(now=later).readings("stage_error_rate") == {}
    total = MetricCounter.objects.get(name="jengu_task_attempts_total", bucket="", labels="stage=research")
    assert total.value == 10  # the running total stays
