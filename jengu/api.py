"""The JSON API's root: one NinjaAPI at /api/, the apps' routers, errors, health and stats.

Errors have one shape (infra.api_common.ErrorOut): ``{"detail": "...", "current_state":
...}``. ApplicationError → 400; an illegal or lost state transition → 409 with the
state the object is really in; a missing object → 404; invalid input → 422 with each
field's path (ninja's own shape, also used for model validation errors); a key over its
rate limit → 429 with Retry-After.

/api/health is public (up or down per component, for load balancers and uptime checks), split
into /api/health/live (the process answers; no database) and /api/health/ready (database,
broker, a worker heartbeat, the scheduler);
/api/stats needs a ``read`` key: aggregates only, but the business's own numbers. /api/docs
is Swagger UI served from the assets bundled with django-ninja, so it works offline.
"""

import datetime
import functools
import json
import time
from pathlib import Path

import ninja
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import Context, Template
from django.urls import path, reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger

from infra.api_auth import ERASE, READ
from infra.api_common import AUTH_ERRORS, ApiConflict, FastJSONRenderer, ObjectId, RateLimited, errors
from infra.errors import AlreadyMoved, ApplicationError, TransitionNotAllowed
from outreach.api import router as outreach_router
from prospects.api import router as prospects_router
from replies.api import router as replies_router

DESCRIPTION = """
Jengu's JSON API: prospects, emails, replies, inboxes, warmup, suppression and the
emergency stop.

**Authentication.** Send an API key in the `X-API-Key` header. Keys are created in the
admin (*Infrastructure → API keys*); the full key is shown once. Each key has scopes:
`read` (every GET), `write` (create, update, transitions, suppression, intent
corrections), `operate` (pause/resume inboxes, emergency stop), `erase` (GDPR erasure,
irreversible; not implied by `write`) and `admin` (all of them).

**Errors.** `{"detail": "...", "current_state": ...}`: 400 a rule refused the request,
401 missing/unknown key, 403 missing scope, 404 no such object, 409 the object's state
forbids it (`current_state` says which it is in), 422 invalid input (`detail` lists each
field with its path in `loc`), 429 rate limit (see `Retry-After`).

**Pagination.** Lists are newest first and return `{"items": [...], "next_cursor": ...}`;
pass `cursor=<next_cursor>` for the next page (there is no total count, so pages stay
fast on millions of rows).
"""

SWAGGER_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png", "favicon.svg")
SWAGGER_DIR = Path(ninja.__file__).parent / "static" / "ninja"
SWAGGER_PAGE = Template(
    """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="{{ assets }}swagger-ui.css"><link rel="icon" href="{{ assets }}favicon.png"></head>
<body><script type="application/json" id="swagger-settings">{{ settings|safe }}</script>
<div id="swagger-ui"></div>
<script src="{{ assets }}swagger-ui-bundle.js"></script><script src="{{ assets }}swagger-ui-init.js"></script>
</body></html>"""
)


class OfflineSwagger(Swagger):
    """Swagger UI from the files django-ninja ships, served by the API itself (no CDN, no collectstatic)."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        assets = reverse(f"{api.urls_namespace}:docs_asset", args=["x"])[:-1]
        page = SWAGGER_PAGE.render(
            Context(
                {"title": api.title, "assets": assets, "settings": json.dumps(self.settings).replace("<", "\\u003c")}
            )
        )
        return HttpResponse(page)


def docs_asset(request, name: str):
    if name not in SWAGGER_ASSETS:
        raise Http404(name)
    response = FileResponse(open(SWAGGER_DIR / name, "rb"))  # noqa: SIM115 (FileResponse closes it)
    response["Cache-Control"] = "public, max-age=86400"
    return response


class JenguAPI(NinjaAPI):
    def _get_urls(self):
        return [path("docs/assets/<str:name>", docs_asset, name="docs_asset"), *super()._get_urls()]


api = JenguAPI(
    title="Jengu CRM API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=OfflineSwagger(settings={"persistAuthorization": True}),
    renderer=FastJSONRenderer(),
)


# --- errors ---------------------------------------------------------------------------


def reject_unknown_query_parameters(run):
    """Wrap an operation: a query parameter it does not declare is a 422, not silently ignored.

    (``?stgae=new`` would otherwise return every prospect.) Applied to every operation
    as a view-mode decorator, which receives the operation's bound ``run``.
    """
    operation = run.__self__
    allowed = set()
    for model in operation.models:
        if model.__ninja_param_source__ == "query":
            allowed |= set(getattr(model, "__ninja_flatten_map__", None) or model.model_fields)

    @functools.wraps(run)
    def checked(request, **kwargs):
        unknown = sorted(set(request.GET) - allowed)
        if unknown:
            error = {"type": "extra_forbidden", "loc": ["query", unknown[0]], "msg": "unknown query parameter"}
            return api.on_exception(request, NinjaValidationError([error]))
        return run(request, **kwargs)

    return checked


api.add_decorator(reject_unknown_query_parameters, mode="view")


def _error(request, status: int, detail: str, current_state: str | None = None, headers: dict | None = None):
    response = api.create_response(request, {"detail": detail, "current_state": current_state}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(TransitionNotAllowed)
@api.exception_handler(AlreadyMoved)
def state_conflict(request, exc: ApplicationError):
    return _error(request, 409, exc.message, exc.extra.get("current"))


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    return _error(request, 400, exc.message)


@api.exception_handler(ApiConflict)
def api_conflict(request, exc: ApiConflict):
    return _error(request, 409, exc.message, exc.current_state)


@api.exception_handler(RateLimited)
def rate_limited(request, exc: RateLimited):
    return _error(request, 429, exc.message, headers={"Retry-After": str(exc.retry_after)})


@api.exception_handler(ObjectDoesNotExist)
@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "Not found.")


@api.exception_handler(DjangoValidationError)
def model_validation_error(request, exc: DjangoValidationError):
    """A model's own validation (full_clean) in ninja's 422 shape, one entry per field."""
    if hasattr(exc, "error_dict"):
        detail = [
            {"type": "value_error", "loc": ["body", field], "msg": " ".join(m for e in errs for m in e.messages)}
            for field, errs in exc.error_dict.items()
        ]
    else:
        detail = [{"type": "value_error", "loc": ["body"], "msg": " ".join(exc.messages)}]
    return api.create_response(request, {"detail": detail}, status=422)


# --- health (public) and stats (read key) ---------------------------------------------------------


class ComponentOut(Schema):
    status: str = Field(description="ok, down, or unknown (cannot be observed in this set-up)")
    detail: str = ""
    latency_ms: float | None = None


class HealthOut(Schema):
    status: str = Field(description="ok when no component is down")
    components: dict[str, ComponentOut]
    checked_at: datetime.datetime


QUEUE_STUCK_AFTER = datetime.timedelta(minutes=10)


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a health check reports an outage instead of failing with it
        result = {"status": "down", "detail": type(exc).__name__}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "detail": connection.vendor}


def _check_broker() -> dict:
    from django_q.brokers import get_broker

    broker = get_broker()
    ok = broker.ping()
    kind = "redis" if settings.REDIS_URL else "orm"
    return {"status": "ok" if ok else "down", "detail": kind}


def _check_workers() -> dict:
    """Live q2 clusters (their heartbeats live in the cache); else whether queued work is moving."""
    from django_q.models import OrmQ, Task
    from django_q.status import Stat

    shared_cache = "locmem" not in settings.CACHES["default"]["BACKEND"].lower()
    if shared_cache:
        clusters = Stat.get_all()
        if clusters:
            return {"status": "ok", "detail": f"{len(clusters)} cluster(s) alive"}
        return {"status": "down", "detail": "no q2 cluster has reported in"}
    if settings.REDIS_URL:
        return {"status": "unknown", "detail": "cluster heartbeats need a shared cache"}
    # ORM broker, per-process cache: no heartbeat to read. Workers count as down only
    # when work has waited too long *and* nothing has finished lately (a long backlog
    # that is being worked through is not an outage).
    since = timezone.now() - QUEUE_STUCK_AFTER
    waiting = OrmQ.objects.filter(lock__lt=since).exists()
    if waiting and not Task.objects.filter(stopped__gte=since).exists():
        return {"status": "down", "detail": "tasks have waited over 10 minutes and none finished"}
    return {"status": "unknown", "detail": "queue is moving; heartbeats need a shared cache (REDIS_URL)"}


HEARTBEAT_STALE_AFTER = datetime.timedelta(minutes=5)
SCHEDULE_OVERDUE_AFTER = datetime.timedelta(minutes=5)


def _heartbeat_age(key: str):
    from infra.models import Heartbeat

    beat = Heartbeat.objects.filter(key=key).first()
    return None if beat is None else timezone.now() - beat.at


def _check_worker_heartbeat() -> dict:
    """A q2 cluster finished a task lately (infra.metrics writes the heartbeat; the every-minute
    alert schedule keeps one coming while any cluster runs). Before the first one: as /health."""
    age = _heartbeat_age("qcluster")
    if age is None:
        return _check_workers()
    minutes = age.total_seconds() / 60
    if age > HEARTBEAT_STALE_AFTER:
        return {"status": "down", "detail": f"no q2 task finished for {minutes:.0f} min"}
    return {"status": "ok", "detail": f"a task finished {minutes:.1f} min ago"}


def _check_scheduler() -> dict:
    """The cron schedules run: none is overdue, and the every-minute alert evaluation ran lately."""
    from django_q.models import Schedule

    now = timezone.now()
    installed = Schedule.objects.filter(name__startswith="jengu:")
    if not installed.exists():
        return {"status": "unknown", "detail": "no schedules installed (manage.py install_schedules)"}
    overdue = installed.filter(next_run__lt=now - SCHEDULE_OVERDUE_AFTER).exclude(repeats=0).order_by("next_run")
    late = overdue.first()
    if late is not None:
        minutes = (now - late.next_run).total_seconds() / 60
        detail = f"{late.name} is {minutes:.0f} min overdue: is the scheduler cluster running?"
        return {"status": "down", "detail": detail}
    age = _heartbeat_age("alerts_evaluate")
    detail = "no schedule overdue"
    if age is not None:
        detail += f"; alert rules evaluated {age.total_seconds() / 60:.1f} min ago"
    return {"status": "ok", "detail": detail}


public = Router(tags=["public"])


def _health_response(checks: dict):
    components = {name: _timed(check) for name, check in checks.items()}
    down = any(c["status"] == "down" for c in components.values())
    body = {"status": "down" if down else "ok", "components": components, "checked_at": timezone.now()}
    return Status(503 if down else 200, body)


@public.get("/health", auth=None, response={200: HealthOut, 503: HealthOut, **errors(422)})
def health(request):
    """Database, broker and workers, each with a status; 503 when any is down (kept for existing
    monitors: new ones use /health/live and /health/ready)."""
    return _health_response({"database": _check_database, "broker": _check_broker, "workers": _check_workers})


class LiveOut(Schema):
    status: str = Field(description="always ok: the process answers")
    checked_at: datetime.datetime


@public.get("/health/live", auth=None, response={200: LiveOut, **errors(422)})
def health_live(request):
    """Liveness: the web process answers (touches no database: restart it only when this fails)."""
    return {"status": "ok", "checked_at": timezone.now()}


@public.get("/health/ready", auth=None, response={200: HealthOut, 503: HealthOut, **errors(422)})
def health_ready(request):
    """Readiness: database, broker, a q2 worker heartbeat and the scheduler; 503 when any is down."""
    return _health_response(
        {
            "database": _check_database,
            "broker": _check_broker,
            "workers": _check_worker_heartbeat,
            "scheduler": _check_scheduler,
        }
    )


class IntentStatOut(Schema):
    replies: int
    rate: float = Field(description="replies with this intent per email sent")


class SendsTodayOut(Schema):
    inbox_id: int
    state: str
    sent_today: int
    cap_today: int


class CostPeriodOut(Schema):
    first_day: datetime.date
    last_day: datetime.date
    spend_by_kind: dict[str, float] = Field(description="ai, verifier, esp, fixed (US$)")
    spend_total: float
    ai_tokens: int
    verifier_credits: int
    emails_sent: int
    emails_via_esp: int
    replies: int
    cost_per_email: float | None
    cost_per_reply: float | None


class CostOut(Schema):
    today: CostPeriodOut
    month: CostPeriodOut = Field(description="this calendar month so far")
    target_per_email: float
    monthly_budget: float
    budget_used: float | None = Field(description="the month's spend ÷ the monthly budget")
    currency: str


class StatsOut(Schema):
    prospects_per_stage: dict[str, int]
    emails_sent: int
    sends_today: list[SendsTodayOut]
    sent_today_total: int
    cap_today_total: int
    replies_by_intent: dict[str, IntentStatOut]
    queue_depths: dict[str, int]
    dead_letters: int
    open_circuits: int
    cost: CostOut
    kpis: dict[str, float | None] = Field(description="dashboard KPIs, 30 days (shares 0–1, meetings a count)")
    generated_at: datetime.datetime


STATS_CACHE_SECONDS = 30


def _stats() -> dict:
    """jengu.status.pipeline_status (inboxes by id), with sends, replies, cost and the KPIs."""
    from jengu.cost import cost_report
    from jengu.dashboard import kpis
    from jengu.status import pipeline_status
    from outreach.models import Email
    from replies.models import Intent, Reply

    status = pipeline_status(inbox_by="inbox_id")
    sent = Email.objects.filter(sent_at__isnull=False).count()
    intents = dict(Reply.objects.exclude(intent="").values_list("intent").annotate(n=Count("id")))
    inboxes = status["sends_today"]
    return {
        **status,
        "open_circuits": len(status["open_circuits"]),
        "emails_sent": sent,
        "sent_today_total": sum(i["sent_today"] for i in inboxes),
        "cap_today_total": sum(i["cap_today"] for i in inboxes),
        "replies_by_intent": {
            intent: {"replies": intents.get(intent, 0), "rate": round(intents.get(intent, 0) / sent, 4) if sent else 0}
            for intent in Intent.values
        },
        "cost": cost_report().as_dict(),
        "kpis": kpis().as_dict(),
        "generated_at": timezone.now(),
    }


@public.get("/stats", auth=READ, tags=["stats"], response={200: StatsOut, **errors(*AUTH_ERRORS)})
def stats(request):
    """Counts per stage, sends today vs caps, replies per intent, queue depths, dead letters,
    cost per email today and this month (by kind, against the target and budget), the KPIs.

    Aggregates only, no personal data; recomputed at most every 30 seconds.
    """
    cached = cache.get("api:stats")
    if cached is None:
        cached = _stats()
        cache.set("api:stats", cached, STATS_CACHE_SECONDS)
    return cached


# --- GDPR erasure (touches every app, so it is mounted at the top) ----------------------


class ErasedOut(Schema):
    prospect_id: int
    addresses_suppressed: int = Field(description="addresses now suppressed by hash only")
    rows_swept: int = Field(description="rows elsewhere whose mention of the person was replaced")
    files_scrubbed: int = Field(description="stored files (imports, the hotel's web pages) rewritten without them")
    files_failed: int = Field(description="stored files that could not be read or rewritten (see the event log)")


gdpr = Router(tags=["prospects"])


@gdpr.post("/prospects/{prospect_id}/erase", auth=ERASE, response={200: ErasedOut, **errors(*AUTH_ERRORS, 404)})
def erase_prospect(request, prospect_id: ObjectId):
    """GDPR erasure: the person's data goes from every table; their address stays suppressed (hashed).

    The hotel's own data (name, website, city, job adverts) is kept. Not reversible, so it
    needs a key with the ``erase`` scope (or ``admin``): ``write`` is not enough.
    """
    from jengu.erasure import prospect_erase
    from prospects.models import Prospect

    prospect = get_object_or_404(Prospect, pk=prospect_id)
    result = prospect_erase(prospect=prospect, by=request.auth)
    return {
        "prospect_id": prospect.pk,
        "addresses_suppressed": result["addresses_suppressed"],
        "rows_swept": result["rows_swept"],
        "files_scrubbed": result["files_scrubbed"],
        "files_failed": result["files_failed"],
    }


api.add_router("", public)
api.add_router("", prospects_router)
api.add_router("", gdpr)
api.add_router("", outreach_router)
api.add_router("", replies_router)
