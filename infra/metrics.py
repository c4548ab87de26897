"""The numbers operators watch: one registry behind the alert rules, /metrics and the doctor.

Three kinds of number, none of which costs more to read as the data grows:

* **Metrics** (``register_metric``): a function of "now" returning a value per scope (a
  queue, a stage, a provider, a sending domain; ``""`` when there is one). Alert rules
  (infra.alert_rules) compare them with a threshold, ``/metrics`` exports each as a gauge
  ``jengu_<key>{<scope label>=…}``, ``manage.py doctor`` prints them. infra registers the
  runtime's own here; the apps' live in ``<app>/metrics.py``, found by
  ``autodiscover_modules("metrics")``, so infra imports no app.
* **Stored counters** (``counter_add``, ``histogram_observe``): rows of
  ``MetricCounter`` that every worker on every machine adds to with one upsert. Each has a
  running total (exported as a Prometheus counter or histogram), optionally minute rows
  (windowed rates for the rules: pruned after a day) and day rows (the cost report). They
  count from the moment this code runs: a counter starts at zero, as Prometheus expects.
* **Heartbeats** (``heartbeat_beat``): when something that should happen often last
  happened (the reply poll, a q2 task, the alert evaluation), with an optional reading
  (MillionVerifier's credits left).

The HTTP request latency histogram is per process (``RequestLatencyMiddleware``); with
several web processes set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess
mode) so a scrape of any of them sums them all.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core import checks
from django.db import connection
from django.db.models import Count, Min, Sum
from django.dispatch import receiver
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_q.signals import post_execute
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

logger = logging.getLogger(__name__)

# --- metrics (the numbers behind the alert rules) -----------------------------------------


@dataclass
class Reading:
    """A metric's value for one scope, with the words an alert or the doctor shows beside it."""

    value: float | None
    detail: str = ""


@dataclass(frozen=True)
class Metric:
    key: str
    func: Callable
    description: str
    scope_label: str = "scope"


METRICS: dict[str, Metric] = {}


def register_metric(key: str, *, description: str, scope_label: str = "scope"):
    """Decorator: ``func(ctx) -> {scope: float | Reading | None}``; ``None`` means "no data"."""

    def wrap(func):
        METRICS[key] = Metric(key=key, func=func, description=description, scope_label=scope_label)
        return func

    return wrap


_discovered = False


def discover() -> dict[str, Metric]:
    """Import every app's ``metrics`` module once (they register their metrics and exports)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("metrics")
        _discovered = True
    return METRICS


class UnknownMetric(KeyError):
    pass


@dataclass
class MetricContext:
    """One evaluation's "now" and a memo, so metrics that share a query run it once."""

    now: datetime.datetime = field(default_factory=timezone.now)
    memo: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    def once(self, key: str, compute: Callable):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def readings(self, key: str) -> dict[str, Reading]:
        """The metric's readings per scope (computed once per context)."""
        if key not in self.cache:
            metric = discover().get(key)
            if metric is None:
                raise UnknownMetric(key)
            raw = metric.func(self) or {}
            self.cache[key] = {
                str(scope): value if isinstance(value, Reading) else Reading(None if value is None else float(value))
                for scope, value in raw.items()
            }
        return self.cache[key]


# --- stored counters ------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterSpec:
    name: str
    description: str
    kind: str = "counter"  # or "histogram"
    buckets: tuple[float, ...] = ()


COUNTERS: dict[str, CounterSpec] = {}
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def register_counter(name: str, description: str, *, kind: str = "counter", buckets: tuple = ()) -> CounterSpec:
    COUNTERS[name] = spec = CounterSpec(name, description, kind, tuple(buckets))
    return spec


def labels_key(labels: dict | None) -> str:
    """``{"stage": "enrichment"}`` → ``"stage=enrichment"`` (sorted; "=" and "," escaped away)."""
    if not labels:
        return ""
    clean = lambda text: str(text).replace(",", ";").replace("=", ":")[:120]  # noqa: E731
    return ",".join(f"{clean(k)}={clean(v)}" for k, v in sorted(labels.items()))


def parse_labels(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split(",") if "=" in part) if key else {}


def minute_bucket(moment: datetime.datetime) -> str:
    return f"m{int(moment.timestamp() // 60)}"


def day_bucket(day: datetime.date) -> str:
    return f"d{day.isoformat()}"


def _upsert(rows: list[tuple[str, str, str, float]]) -> None:
    """Add each row's value to its series: one INSERT … ON CONFLICT, in a fixed row order
    (so two workers adding to the same rows cannot deadlock)."""
    from infra.models import MetricCounter

    merged: dict[tuple[str, str, str], float] = defaultdict(float)
    for name, labels, bucket, value in rows:
        merged[(name, labels, bucket)] += value
    ordered = sorted(merged.items())
    table = connection.ops.quote_name(MetricCounter._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(ordered))
    params = [item for (name, labels, bucket), value in ordered for item in (name, labels, bucket, value)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, labels, bucket, value) VALUES {values} "  # noqa: S608 (our table's name)
            f"ON CONFLICT (name, labels, bucket) DO UPDATE SET value = {table}.value + excluded.value",
            params,
        )


def _series_rows(name, key, amount, now, windowed, daily):
    now = now or timezone.now()
    rows = [(name, key, "", amount)]
    if windowed:
        rows.append((name, key, minute_bucket(now), amount))
    if daily:
        rows.append((name, key, day_bucket(timezone.localdate(now)), amount))
    return rows


def counter_add(
    name: str, amount: float = 1.0, *, labels: dict | None = None, windowed=False, daily=False, now=None
) -> None:
    """Add ``amount`` to a stored counter (and its minute / day rows when asked)."""
    _upsert(_series_rows(name, labels_key(labels), float(amount), now, windowed, daily))


def histogram_observe(name: str, value: float, *, labels: dict | None = None, now=None) -> None:
    """Count one observation in a stored histogram: its bucket, its sum and its count, one statement."""
    spec = COUNTERS.get(name)
    buckets = spec.buckets if spec else LATENCY_BUCKETS
    le = next((bound for bound in buckets if value <= bound), None)
    base = dict(labels or {})
    rows = _series_rows(f"{name}_bucket", labels_key({**base, "le": "+Inf" if le is None else f"{le:g}"}), 1.0,
                        now, False, False)  # fmt: skip
    rows += _series_rows(f"{name}_sum", labels_key(base), float(value), now, False, False)
    rows += _series_rows(f"{name}_count", labels_key(base), 1.0, now, False, False)
    _upsert(rows)


def counter_window(name: str, *, minutes: int, now=None) -> dict[str, float]:
    """Per label set: what the counter added over the last ``minutes`` minutes (and this one)."""
    from infra.models import MetricCounter

    now = now or timezone.now()
    last = int(now.timestamp() // 60)
    rows = (
        MetricCounter.objects.filter(name=name, bucket__gte=f"m{last - minutes}", bucket__lte=f"m{last}")
        .values_list("labels")
        .annotate(total=Sum("value"))
        .order_by()
    )
    return dict(rows)


def counter_days(names: list[str], first: datetime.date, last: datetime.date) -> list[tuple[str, str, str, float]]:
    """(name, labels, "YYYY-MM-DD", value) of the day rows between two days, one query."""
    from infra.models import MetricCounter

    rows = MetricCounter.objects.filter(
        name__in=names, bucket__gte=day_bucket(first), bucket__lte=day_bucket(last)
    ).values_list("name", "labels", "bucket", "value")
    return [(name, labels, bucket[1:], value) for name, labels, bucket, value in rows]


# the runtime's own counters
register_counter("jengu_task_attempts_total", "Task attempts that finished, per pipeline stage or scheduled job.")
register_counter("jengu_task_failures_total", "Task attempts that failed (retried or dead-lettered), per stage.")
register_counter(
    "jengu_task_duration_seconds", "How long one task attempt ran, per stage.", kind="histogram",
    buckets=LATENCY_BUCKETS,
)  # fmt: skip
register_counter("jengu_provider_calls_total", "Calls to an external service through its circuit breaker.")
register_counter(
    "jengu_provider_call_duration_seconds", "How long one provider call took (calls made through a breaker's call()).",
    kind="histogram", buckets=LATENCY_BUCKETS,
)  # fmt: skip
register_counter("jengu_circuit_opens_total", "Times a provider's circuit breaker opened.")
register_counter("jengu_ai_tokens_total", "AI tokens used, per provider, model and direction (input/output).")
register_counter("jengu_ai_cost_usd_total", "Estimated AI cost in US$ at the gateway's list prices.")
register_counter("jengu_verifier_credits_total", "Email-verifier credits spent, per provider.")


def provider_of(circuit_key: str) -> str:
    """The provider a circuit stands for, without a per-inbox suffix (``smtp:12`` → ``smtp``)."""
    return re.sub(r":\d+$", "", circuit_key)


def provider_call_record(circuit_key: str, *, ok: bool, seconds: float | None = None, opened=False) -> None:
    """A provider call's outcome, as its circuit breaker saw it (infra.circuit)."""
    provider = provider_of(circuit_key)
    rows = _series_rows(
        "jengu_provider_calls_total", labels_key({"provider": provider, "outcome": "ok" if ok else "error"}),
        1.0, None, True, False,
    )  # fmt: skip
    if opened:
        rows += _series_rows("jengu_circuit_opens_total", labels_key({"provider": provider}), 1.0, None, True, False)
    _upsert(rows)
    if seconds is not None:
        histogram_observe("jengu_provider_call_duration_seconds", seconds, labels={"provider": provider})


def ai_usage_record(*, provider: str, model: str, input_tokens: int, output_tokens: int, cost_usd: float) -> None:
    """One AI call's tokens (infra.ai): totals for /metrics, day rows for the cost report."""
    now = timezone.now()
    rows = []
    for direction, tokens in (("input", input_tokens), ("output", output_tokens)):
        key = labels_key({"provider": provider, "model": model or provider, "direction": direction})
        rows += _series_rows("jengu_ai_tokens_total", key, float(tokens or 0), now, False, True)
    key = labels_key({"provider": provider, "model": model or provider})
    rows += _series_rows("jengu_ai_cost_usd_total", key, float(cost_usd or 0), now, False, True)
    _upsert(rows)


# --- heartbeats -----------------------------------------------------------------------------


def heartbeat_beat(key: str, *, value: float | None = None, detail: str = "", now=None, throttle: int = 0) -> None:
    """Record that ``key`` happened now. With ``throttle`` seconds, a beat younger than that
    is left alone (one cheap UPDATE that matches nothing), for things that happen per task."""
    from infra.models import Heartbeat

    now = now or timezone.now()
    fields = {"at": now, "detail": detail[:300]}
    if value is not None:
        fields["value"] = value
    rows = Heartbeat.objects.filter(key=key)
    if throttle:
        rows = rows.filter(at__lt=now - datetime.timedelta(seconds=throttle))
    if not rows.update(**fields) and not Heartbeat.objects.filter(key=key).exists():
        Heartbeat.objects.get_or_create(key=key, defaults=fields)


def heartbeats(ctx: MetricContext | None = None) -> dict:
    """{key: Heartbeat} for every heartbeat (one query per context)."""
    from infra.models import Heartbeat

    load = lambda: {row.key: row for row in Heartbeat.objects.all()}  # noqa: E731
    return ctx.once("heartbeats", load) if ctx else load()


@receiver(post_execute, dispatch_uid="infra.metrics.task_finished")
def task_finished(sender, task, **kwargs):
    """q2's monitor, after each task: count the attempt per stage, its duration, its failure."""
    func = task.get("func")
    if not isinstance(func, str):
        return
    args = task.get("args") or ()
    is_stage = func == "infra.stages.stage_execute" and args
    stage = str(args[0]) if is_stage else f"job:{func.rsplit('.', 1)[-1]}"
    result = task.get("result")
    # infra.stages.stage_execute returns "retry N in Ds" for a failed attempt it retries
    failed = not task.get("success") or (isinstance(result, str) and result.startswith("retry "))
    now = timezone.now()
    rows = _series_rows("jengu_task_attempts_total", labels_key({"stage": stage}), 1.0, now, True, False)
    if failed:
        rows += _series_rows("jengu_task_failures_total", labels_key({"stage": stage}), 1.0, now, True, False)
    _upsert(rows)
    started, stopped = task.get("started"), task.get("stopped")
    if started and stopped:
        histogram_observe("jengu_task_duration_seconds", (stopped - started).total_seconds(), labels={"stage": stage})
    heartbeat_beat("qcluster", detail=f"last task: {stage}", now=now, throttle=20)


# --- the runtime's metrics ------------------------------------------------------------------

MIN_ATTEMPTS_FOR_A_RATE = 5  # below this many in the window a rate says nothing yet


def queue_timeouts() -> dict[str, int]:
    """Per queue: the longest timeout of its stages (seconds), what a waiting task is compared with."""
    from infra.stages import QUEUES, STAGES

    timeouts = {queue: 0 for queue in QUEUES}
    for stage in STAGES.values():
        timeouts[stage.queue] = max(timeouts.get(stage.queue, 0), stage.timeout)
    default = int(getattr(settings, "Q_TIMEOUT", 300))
    return {queue: seconds or default for queue, seconds in timeouts.items()}


def _queue_rows(ctx: MetricContext) -> dict[str, tuple[int, datetime.datetime | None]]:
    """Per queue (and q2's default cluster): tasks waiting and the oldest one's enqueue time."""

    def load():
        from django_q.models import OrmQ

        from infra.stages import QUEUES

        queues = [*QUEUES, settings.Q_CLUSTER["name"]]
        if settings.REDIS_URL:
            from django_q.brokers import get_broker

            return {queue: (get_broker(queue).queue_size() or 0, None) for queue in queues}
        # the ORM broker sets ``lock`` to the enqueue time and moves it into the future when a
        # worker takes the task: what is at or before now still waits
        rows = (
            OrmQ.objects.filter(key__in=queues, lock__lte=ctx.now)
            .values("key")
            .annotate(n=Count("id"), oldest=Min("lock"))
            .order_by()
        )
        found = {row["key"]: (row["n"], row["oldest"]) for row in rows}
        return {queue: found.get(queue, (0, None)) for queue in queues}

    return ctx.once("queues", load)


@register_metric("queue_depth", description="Tasks waiting in each queue.", scope_label="queue")
def _queue_depth(ctx):
    return {queue: depth for queue, (depth, _) in _queue_rows(ctx).items()}


@register_metric(
    "queue_oldest_wait_seconds", description="How long the oldest waiting task has waited.", scope_label="queue"
)
def _queue_oldest(ctx):
    return {
        queue: (ctx.now - oldest).total_seconds() if oldest else 0.0
        for queue, (_, oldest) in _queue_rows(ctx).items()
        if not settings.REDIS_URL
    }


@register_metric(
    "queue_wait_over_timeout",
    description="The oldest waiting task's wait ÷ its stage's timeout (above 1: nobody is taking the work).",
    scope_label="queue",
)
def _queue_wait_ratio(ctx):
    timeouts = queue_timeouts()
    readings = {}
    for queue, (depth, oldest) in _queue_rows(ctx).items():
        if settings.REDIS_URL:
            continue
        limit = timeouts.get(queue) or int(settings.Q_TIMEOUT)
        waited = (ctx.now - oldest).total_seconds() if oldest else 0.0
        readings[queue] = Reading(waited / limit, f"{depth} waiting, the oldest for {waited / 60:.0f} min "
                                                  f"(timeout {limit} s)")  # fmt: skip
    return readings


def _rates(ctx, attempts_name: str, failures_name: str, label: str, minutes: int) -> dict[str, Reading]:
    attempts = ctx.once(f"window:{attempts_name}:{minutes}", lambda: counter_window(attempts_name, minutes=minutes,
                                                                                      now=ctx.now))  # fmt: skip
    failures = ctx.once(f"window:{failures_name}:{minutes}", lambda: counter_window(failures_name, minutes=minutes,
                                                                                      now=ctx.now))  # fmt: skip
    readings = {}
    for key, total in attempts.items():
        scope = parse_labels(key).get(label, "")
        if not scope:
            continue
        failed = failures.get(key, 0.0)
        rate = failed / total if total >= MIN_ATTEMPTS_FOR_A_RATE else None
        readings[scope] = Reading(rate, f"{failed:g} of {total:g} failed in {minutes} min")
    return readings


@register_metric(
    "stage_error_rate", description="Failed task attempts ÷ attempts over the last 2 minutes.", scope_label="stage"
)
def _stage_error_rate(ctx):
    return _rates(ctx, "jengu_task_attempts_total", "jengu_task_failures_total", "stage", 2)


@register_metric(
    "provider_error_rate", description="Failed provider calls ÷ calls over the last 2 minutes.", scope_label="provider"
)
def _provider_error_rate(ctx):
    calls = ctx.once("window:provider:2", lambda: counter_window("jengu_provider_calls_total", minutes=2, now=ctx.now))
    per_provider: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for key, value in calls.items():
        labels = parse_labels(key)
        per_provider[labels.get("provider", "")][0] += value
        if labels.get("outcome") == "error":
            per_provider[labels.get("provider", "")][1] += value
    return {
        provider: Reading(
            failed / total if total >= MIN_ATTEMPTS_FOR_A_RATE else None,
            f"{failed:g} of {total:g} calls failed in 2 min",
        )  # fmt: skip
        for provider, (total, failed) in per_provider.items()
    }


@register_metric("circuit_opens_per_minute", description="Circuit breakers that opened in the last minute.")
def _circuit_opens(ctx):
    opens = counter_window("jengu_circuit_opens_total", minutes=1, now=ctx.now)
    return {"": Reading(sum(opens.values()), ", ".join(f"{parse_labels(k).get('provider')} ×{v:g}"
                                                        for k, v in opens.items()))}  # fmt: skip


@register_metric(
    "circuit_open", description="1 while a provider's circuit is open or half-open.", scope_label="circuit"
)
def _circuit_open(ctx):
    from infra.models import CircuitState

    rows = CircuitState.objects.values_list("key", "state", "last_error")
    return {
        key: Reading(0.0 if state == CircuitState.State.CLOSED else 1.0, f"{state}: {error[:120]}" if error else state)
        for key, state, error in rows
    }


@register_metric(
    "dead_letters_waiting_over_a_day", description="Dead letters open for more than a day, waiting for a decision."
)
def _dead_letters_old(ctx):
    from infra.models import DeadLetter

    rows = DeadLetter.objects.filter(status=DeadLetter.Status.OPEN, created_at__lt=ctx.now - datetime.timedelta(days=1))
    return {"": rows.count()}


@register_metric(
    "heartbeat_age_minutes",
    description="Minutes since each heartbeat (reply_poll, qcluster, alerts_evaluate …) last beat.",
    scope_label="key",
)
def _heartbeat_age(ctx):
    return {
        key: Reading((ctx.now - row.at).total_seconds() / 60, f"last at {row.at:%Y-%m-%d %H:%M:%S} UTC {row.detail}")
        for key, row in heartbeats(ctx).items()
    }


# --- the Prometheus endpoint ----------------------------------------------------------------

EXPORTS: list[Callable] = []


def register_export(func: Callable) -> Callable:
    """Decorator: ``func(ctx)`` yields prometheus-client metric families beyond the gauges of
    the registered metrics (the apps' series: emails per inbox, replies by intent …)."""
    EXPORTS.append(func)
    return func


@register_export
def _circuit_states(ctx):
    from infra.models import CircuitState

    family = GaugeMetricFamily(
        "jengu_circuit_state", "1 for the state each circuit is in.", labels=["circuit", "state"]
    )
    for key, state in CircuitState.objects.values_list("key", "state"):
        for choice in CircuitState.State.values:
            family.add_metric([key, choice], 1.0 if state == choice else 0.0)
    yield family


def _stored_counter_families():
    from infra.models import MetricCounter

    totals = MetricCounter.objects.filter(bucket="").values_list("name", "labels", "value")
    by_name: dict[str, list[tuple[dict, float]]] = defaultdict(list)
    for name, key, value in totals:
        by_name[name].append((parse_labels(key), value))
    for spec in COUNTERS.values():
        if spec.kind == "histogram":
            yield _histogram_family(spec, by_name)
            continue
        rows = by_name.get(spec.name, [])
        names = sorted({label for labels, _ in rows for label in labels})
        family = CounterMetricFamily(spec.name.removesuffix("_total"), spec.description, labels=names)
        for labels, value in rows:
            family.add_metric([labels.get(label, "") for label in names], value)
        yield family


def _histogram_family(spec: CounterSpec, by_name) -> HistogramMetricFamily:
    """Stored bucket counts are per bucket; Prometheus wants them cumulative."""
    buckets: dict[tuple, dict[str, float]] = defaultdict(dict)
    names: set[str] = set()
    for labels, value in by_name.get(f"{spec.name}_bucket", []):
        le = labels.pop("le", "+Inf")
        names |= set(labels)
        buckets[tuple(sorted(labels.items()))][le] = value
    sums = {tuple(sorted(labels.items())): value for labels, value in by_name.get(f"{spec.name}_sum", [])}
    names = sorted(names)
    family = HistogramMetricFamily(spec.name, spec.description, labels=names)
    for series, counts in buckets.items():
        running, cumulative = 0.0, []
        for bound in [*(f"{b:g}" for b in spec.buckets), "+Inf"]:
            running += counts.get(bound, 0.0)
            cumulative.append((bound, running))
        labels = dict(series)
        family.add_metric([labels.get(n, "") for n in names], cumulative, sum_value=sums.get(series, 0.0))
    return family


class DatabaseCollector:
    """What every process sees alike: the registered metrics, the apps' exports, the stored counters."""

    def __init__(self, now=None):
        self.now = now

    def collect(self):
        ctx = MetricContext(now=self.now or timezone.now())
        for metric in discover().values():
            family = GaugeMetricFamily(f"jengu_{metric.key}", metric.description, labels=[metric.scope_label])
            try:
                readings = ctx.readings(metric.key)
            except Exception:  # one broken metric must not blank the whole scrape; it is logged
                logger.exception("metric %s could not be read", metric.key)
                continue
            for scope, reading in readings.items():
                if reading.value is not None:
                    family.add_metric([scope], reading.value)
            yield family
        for export in EXPORTS:
            yield from export(ctx)
        yield from _stored_counter_families()


REQUEST_REGISTRY = CollectorRegistry(auto_describe=False)
HTTP_REQUEST_DURATION = Histogram(
    "jengu_http_request_duration_seconds",
    "HTTP requests by route pattern, method and status class (this web process, or all with multiprocess mode).",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REQUEST_REGISTRY,
)
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


class RequestLatencyMiddleware:
    """Times every request into ``jengu_http_request_duration_seconds`` (route pattern, not path:
    the label set stays small whatever URLs strangers try)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (getattr(match, "route", None) or "unmatched")[:120]
        method = request.method if request.method in METHODS else "other"
        HTTP_REQUEST_DURATION.labels(route, method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


def metrics_text(now=None) -> bytes:
    """The Prometheus text exposition of everything above."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(now))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_RequestMetrics())
    return generate_latest(registry)


class _RequestMetrics:
    def collect(self):
        yield from REQUEST_REGISTRY.collect()


def metrics_view(request):
    """GET /metrics: ``Authorization: Bearer <METRICS_TOKEN>``. Without a token set it exists
    only with DEBUG (the demo); in production it is a 404 and the check jengu.W060 says why."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            response = HttpResponse("a bearer token is needed\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not settings.DEBUG:
        raise Http404("metrics are off: set METRICS_TOKEN")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


@checks.register(checks.Tags.security, deploy=True)
def check_metrics_token(app_configs=None, **kwargs):
    if settings.DEBUG or getattr(settings, "METRICS_TOKEN", ""):
        return []
    return [
        checks.Warning(
            "METRICS_TOKEN is not set: /metrics answers 404, so Prometheus cannot scrape this instance.",
            hint="Set METRICS_TOKEN to a long random string and give Prometheus the same as its bearer token.",
            id="jengu.W060",
        )
    ]
