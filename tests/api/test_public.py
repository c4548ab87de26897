"""Health (public), stats (a read key), the OpenAPI document and the offline docs page."""

import pytest

from jengu import api as api_module
from tests.factories import EmailFactory, ProspectFactory, ReplyFactory

pytestmark = pytest.mark.django_db


def test_health_reports_each_component(anonymous):
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "broker", "workers"}
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["broker"]["status"] == "ok"


def test_health_is_503_when_a_component_is_down(anonymous, monkeypatch):
    def broken():
        raise ConnectionRefusedError("broker gone")

    monkeypatch.setattr(api_module, "_check_broker", broken)
    response = anonymous.get("/api/health")
    assert response.status_code == 503
    assert response.json()["components"]["broker"] == {
        "status": "down",
        "detail": "ConnectionRefusedError",
        "latency_ms": response.json()["components"]["broker"]["latency_ms"],
    }


def test_a_long_waiting_queue_means_workers_are_down(anonymous):
    import datetime

    from django.utils import timezone
    from django_q.models import OrmQ

    OrmQ.objects.create(key="enrichment", payload="x", lock=timezone.now() - datetime.timedelta(hours=1))
    response = anonymous.get("/api/health")
    assert response.status_code == 503
    assert response.json()["components"]["workers"]["status"] == "down"


def test_a_long_backlog_that_is_being_worked_through_is_not_an_outage(anonymous):
    import datetime

    from django.utils import timezone
    from django_q.models import OrmQ, Success

    now = timezone.now()
    OrmQ.objects.create(key="enrichment", payload="x", lock=now - datetime.timedelta(hours=1))
    Success.objects.create(id="a" * 32, name="t", func="f", started=now, stopped=now, success=True)
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    assert response.json()["components"]["workers"]["status"] == "unknown"


def test_stats_counts_without_personal_data(reader):
    prospect = ProspectFactory(name="Anna Weber", email="anna@adlon.example")
    EmailFactory(prospect=prospect, status="sent", sent_at=prospect.created_at)
    ReplyFactory(email__prospect=prospect, intent="interested")
    response = reader.get("/api/stats")
    assert response.status_code == 200
    body = response.json()
    assert body["prospects_per_stage"]["new"] == 1
    assert body["emails_sent"] == 1
    assert body["replies_by_intent"]["interested"] == {"replies": 1, "rate": 1.0}
    assert set(body["queue_depths"]) == {"enrichment", "research", "composition", "sending", "reply"}
    text = response.content.decode()
    for personal in ("Anna", "anna@adlon.example", "@mail.jengu.test"):
        assert personal not in text


def test_stats_need_a_read_key(anonymous):
    assert anonymous.get("/api/stats").status_code == 401


def test_openapi_documents_auth_and_errors(anonymous):
    schema = anonymous.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    operation = schema["paths"]["/api/prospects/{prospect_id}/transitions/{name}"]["post"]
    assert {"200", "401", "403", "404", "409", "422", "429"} <= set(operation["responses"])
    assert operation["security"] == [{"ApiKeyAuth": []}]
    assert "security" not in schema["paths"]["/api/health"]["get"]
    assert schema["paths"]["/api/stats"]["get"]["security"] == [{"ApiKeyAuth": []}]
    assert "next_cursor" in schema["components"]["schemas"]["PagedProspectOut"]["properties"]


def test_docs_render_offline_from_bundled_assets(anonymous):
    page = anonymous.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js"):
        assert f"/api/docs/assets/{asset}" in html
        response = anonymous.get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200
        assert len(b"".join(response.streaming_content)) > 100
    assert anonymous.get("/api/docs/assets/../../settings.py").status_code == 404
    assert anonymous.get("/api/docs/assets/secrets.txt").status_code == 404


def test_liveness_touches_no_database(anonymous, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = anonymous.get("/api/health/live")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_readiness_reports_workers_and_scheduler(anonymous):
    from django.core.management import call_command

    from infra.metrics import heartbeat_beat

    call_command("install_schedules", stdout=__import__("io").StringIO())
    heartbeat_beat("qcluster")
    heartbeat_beat("alerts_evaluate")
    response = anonymous.get("/api/health/ready")
    assert response.status_code == 200
    components = response.json()["components"]
    assert set(components) == {"database", "broker", "workers", "scheduler"}
    assert components["workers"]["status"] == "ok" and components["scheduler"]["status"] == "ok"


def test_readiness_is_503_when_no_task_finished_lately_or_a_schedule_is_overdue(anonymous):
    import datetime

    from django.utils import timezone
    from django_q.models import Schedule

    from infra.metrics import heartbeat_beat

    heartbeat_beat("qcluster", now=timezone.now() - datetime.timedelta(minutes=20))
    Schedule.objects.create(name="jengu:alerts", func="jengu.jobs.alerts_evaluate", schedule_type=Schedule.CRON,
                            cron="* * * * *")  # fmt: skip
    # the scheduler stopped half an hour ago: nobody moved the next run on
    Schedule.objects.filter(name="jengu:alerts").update(next_run=timezone.now() - datetime.timedelta(minutes=30))
    response = anonymous.get("/api/health/ready")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["workers"]["status"] == "down" and "20 min" in components["workers"]["detail"]
    assert components["scheduler"]["status"] == "down" and "jengu:alerts" in components["scheduler"]["detail"]
    assert anonymous.get("/api/health").status_code == 200  # the old endpoint keeps its own checks


def test_stats_carry_cost_and_kpis(reader):
    EmailFactory(status="sent", sent_at=ProspectFactory().created_at)
    body = reader.get("/api/stats").json()
    assert body["cost"]["month"]["emails_sent"] == 1
    assert {"Website found", "Delivered", "Reply rate", "Automation share", "Meetings"} <= set(body["kpis"])
