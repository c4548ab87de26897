"""/api/prospects: list (filters, keyset pages), detail, create through dedup, update, transitions."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from infra.models import Event, StateTransition
from infra.statemachine import transition
from prospects.models import Prospect
from tests.factories import EmailFactory, ProspectFactory, ReplyFactory

pytestmark = pytest.mark.django_db


def _advance(prospect, *names):
    for name in names:
        transition(prospect, name, by="task:test")
    return prospect


TO_CONTACTED = [
    "start_enrichment",
    "finish_enrichment",
    "start_research",
    "finish_research",
    "start_composing",
    "finish_composing",
    "queue",
    "start_sending",
    "finish_sending",
    "mark_contacted",
]


# --- list -----------------------------------------------------------------------------


def test_list_is_newest_first_with_a_cursor_to_the_next_page(reader):
    prospects = ProspectFactory.create_batch(5)
    first = reader.get("/api/prospects", {"limit": 2}).json()
    assert [p["id"] for p in first["items"]] == [prospects[4].pk, prospects[3].pk]
    second = reader.get("/api/prospects", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [p["id"] for p in second["items"]] == [prospects[2].pk, prospects[1].pk]
    last = reader.get("/api/prospects", {"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [p["id"] for p in last["items"]] == [prospects[0].pk]
    assert last["next_cursor"] is None


def _parsed_datetimes(row: dict) -> dict:
    # PostgreSQL writes UTC as "+00:00", pydantic as "Z": the same instant, both RFC 3339
    return {k: datetime.datetime.fromisoformat(v) if k.endswith("_at") and v else v for k, v in row.items()}


def test_a_page_written_by_the_database_is_what_the_schema_would_write(reader):
    """On PostgreSQL the list is JSON written by the database (JsonKeysetPagination): every
    row must equal ProspectOut's own serialisation of the same prospect, field by field."""
    from prospects.api import ProspectOut

    ProspectFactory(country="DE", city="Köln", name='Zoë "Zed" O\'Neil\n', email_verified=True, enrichment_score=0.1)
    merged = ProspectFactory(country="")
    _advance(ProspectFactory(merged_into=merged, last_email_sent_at=timezone.now()), "start_enrichment")
    body = reader.get("/api/prospects", {"limit": 2}).json()
    expected = [ProspectOut.model_validate(p).model_dump(mode="json") for p in Prospect.objects.order_by("-pk")]
    assert [_parsed_datetimes(row) for row in body["items"]] == [_parsed_datetimes(row) for row in expected[:2]]
    assert list(body["items"][0]) == list(ProspectOut.model_fields)  # same fields, same order
    last = reader.get("/api/prospects", {"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [_parsed_datetimes(row) for row in last["items"]] == [_parsed_datetimes(expected[2])]
    assert last["next_cursor"] is None
    assert reader.get("/api/prospects", {"search": "nobody-has-this"}).json() == {"items": [], "next_cursor": None}


@pytest.mark.postgres
def test_postgresql_writes_the_page_in_one_query_without_a_count(reader):
    ProspectFactory.create_batch(3)
    reader.get("/api/prospects")  # the key is verified and cached
    with CaptureQueriesContext(connection) as captured:
        body = reader.get("/api/prospects", {"limit": 2, "stage": "new"}).json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    (query,) = captured
    assert "json_agg" in query["sql"] and "COUNT(" not in query["sql"].upper()
    assert body["items"][0]["created_at"].endswith("+00:00")


@pytest.mark.postgres
def test_every_page_of_a_filter_reuses_one_prepared_statement(reader):
    ProspectFactory.create_batch(5)

    def prepared_pages():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%json_agg%%'")
            return cursor.fetchone()[0]

    before = prepared_pages()
    page = reader.get("/api/prospects", {"limit": 2}).json()
    while page["next_cursor"]:
        page = reader.get("/api/prospects", {"limit": 2, "cursor": page["next_cursor"]}).json()
    # the first page (no cursor) and the following ones (a cursor): two statements, kept
    assert prepared_pages() == before + 2
    reader.get("/api/prospects", {"limit": 3})
    reader.get("/api/prospects", {"limit": 3, "cursor": page.get("next_cursor") or "djE6NQ"})
    assert prepared_pages() == before + 2


def test_only_a_schema_of_plain_columns_is_written_by_the_database():
    from infra.api_common import _plain_fields
    from prospects.api import ProspectOut

    names = tuple(ProspectOut.model_fields)
    assert _plain_fields(Prospect, names) is not None
    assert _plain_fields(Prospect, (*names, "website_analysis")) is None  # a JSON column
    assert _plain_fields(Prospect, ("name", "city")) is None  # no primary key to order by
    assert _plain_fields(Prospect, ("id", "emails")) is None  # not a column


def test_pages_are_stable_while_prospects_are_inserted(reader):
    ProspectFactory.create_batch(6)
    seen = []
    page = reader.get("/api/prospects", {"limit": 2}).json()
    seen += [p["id"] for p in page["items"]]
    while page["next_cursor"]:
        ProspectFactory()  # new rows arrive between page requests
        page = reader.get("/api/prospects", {"limit": 2, "cursor": page["next_cursor"]}).json()
        seen += [p["id"] for p in page["items"]]
    assert len(seen) == len(set(seen)) == 6
    assert seen == sorted(seen, reverse=True)


def test_filters(reader):
    berlin = ProspectFactory(
        city="Berlin", country="DE", tier="hot", market_tier="luxury", company_name="Adlon Kempinski"
    )
    ProspectFactory(city="Denver", country="US", tier="cold", market_tier="budget")
    old = ProspectFactory(created_at=timezone.now() - datetime.timedelta(days=30))
    contacted = _advance(ProspectFactory(), *TO_CONTACTED)

    def ids(**params):
        response = reader.get("/api/prospects", params)
        assert response.status_code == 200, response.content
        return {p["id"] for p in response.json()["items"]}

    assert ids(country="de") == {berlin.pk}
    assert ids(city="berlin") == {berlin.pk}
    assert ids(tier="hot") == {berlin.pk}
    assert ids(market_tier="luxury") == {berlin.pk}
    assert ids(search="kempinski") == {berlin.pk}
    assert ids(search=berlin.email[:6]) == {berlin.pk}
    assert ids(stage="contacted") == {contacted.pk}
    assert old.pk not in ids(created_after=(timezone.now() - datetime.timedelta(days=1)).isoformat())
    assert ids(created_before=(timezone.now() - datetime.timedelta(days=1)).isoformat()) == {old.pk}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 500},
        {"limit": "ten"},
        {"cursor": "not-a-cursor"},
        {"cursor": "djE6LTU"},  # "v1:-5"
        {"stage": "sleeping"},
        {"created_after": "yesterday"},
        {"search": "x" * 101},
        {"search": "a\x00b"},
    ],
)
def test_bad_list_parameters_are_422_with_the_field_path(reader, params):
    response = reader.get("/api/prospects", params)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail and all("loc" in error for error in detail)
    assert detail[0]["loc"][0] == "query"


@pytest.mark.parametrize("url", ["/api/prospects", "/api/emails", "/api/replies", "/api/suppression"])
def test_list_endpoints_cost_the_same_queries_for_5_or_50_rows(reader, url):
    for _ in range(50):
        ReplyFactory()
    from tests.factories import SuppressionFactory

    SuppressionFactory.create_batch(50)

    def queries(limit):
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(url, {"limit": limit})
        assert response.status_code == 200 and len(response.json()["items"]) == limit
        return len(captured)

    reader.get(url)  # verifies the key and stamps last_used_at; later requests find it in the cache
    small, large = queries(5), queries(50)
    assert small == large == 1  # the page alone: no COUNT, no query per row


# --- detail ---------------------------------------------------------------------------


def test_detail_has_emails_replies_and_stage_history(reader):
    prospect = ProspectFactory()
    email = EmailFactory(prospect=prospect)
    reply = ReplyFactory(email=email)
    _advance(prospect, "start_enrichment")
    body = reader.get(f"/api/prospects/{prospect.pk}").json()
    assert body["email"] == prospect.email
    assert [e["id"] for e in body["emails"]] == [email.pk]
    assert [r["id"] for r in body["replies"]] == [reply.pk]
    assert body["transitions"][0]["target"] == "enriching"
    assert body["transitions"][0]["actor"] == "task:test"


@pytest.mark.parametrize("pk", [999999, 2**63 - 1])
def test_unknown_prospect_is_404(reader, pk):
    response = reader.get(f"/api/prospects/{pk}")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


@pytest.mark.parametrize("pk", ["0", "-1", "abc", str(2**64)])
def test_impossible_prospect_ids_are_422(reader, pk):
    assert reader.get(f"/api/prospects/{pk}").status_code == 422


# --- create ---------------------------------------------------------------------------


def test_create_returns_201_then_200_with_merged_for_the_same_hotel(api):
    body = {"company_name": "Hotel Adlon", "city": "Berlin", "country": "DE", "name": "Anna Weber"}
    created = api.post("/api/prospects", body)
    assert created.status_code == 201, created.content
    assert created.json()["merged"] is False
    again = api.post("/api/prospects", {"company_name": "The Hotel Adlon GmbH", "city": "Berlin", "phone": "+49 30 1"})
    assert again.status_code == 200
    assert again.json()["merged"] is True
    assert again.json()["id"] == created.json()["id"]
    assert again.json()["phone"] == "+49 30 1"  # filled in what the prospect lacked
    assert Prospect.objects.count() == 1
    event = Event.objects.get(name="prospect.created")
    assert event.actor == "api-key:test-admin"


def test_a_prospect_created_through_the_api_is_queued_for_enrichment_like_an_acquired_one(
    api, monkeypatch, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    from infra.stages import STAGES, Stage

    monkeypatch.setitem(STAGES, "enrichment", Stage(name="enrichment", func="math.floor", queue="enrichment"))
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/prospects", {"company_name": "Hotel Adlon", "city": "Berlin"})
    assert created.status_code == 201, created.content
    assert OrmQ.objects.filter(key="enrichment").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post("/api/prospects", {"company_name": "Hotel Adlon", "city": "Berlin"})
    assert again.json()["merged"] is True
    assert OrmQ.objects.filter(key="enrichment").count() == 1  # a merge is not a new prospect: no second run


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "company_name"),
        ({"company_name": ""}, "company_name"),
        ({"company_name": "H", "email": "not-an-address"}, "email"),
        ({"company_name": "H", "country": "XX"}, "country"),
        ({"company_name": "H", "timezone": "Mars/Olympus"}, "timezone"),
        ({"company_name": "H", "tier": "lukewarm"}, "tier"),
        ({"company_name": "H", "stage": "won"}, "stage"),
        ({"company_name": "H", "company_website": "not a url"}, "company_website"),
    ],
)
def test_create_with_bad_input_is_422_naming_the_field(api, body, field):
    response = api.post("/api/prospects", body)
    assert response.status_code == 422, response.content
    assert any(field in error["loc"] for error in response.json()["detail"])
    assert not Prospect.objects.exists()


def test_malformed_json_is_a_4xx_never_a_500(api):
    response = api.client.post(
        "/api/prospects", "{not json", content_type="application/json", headers={"X-API-Key": api.raw_key}
    )
    assert 400 <= response.status_code < 500


# --- update ---------------------------------------------------------------------------


# PUT is the reference design's verb for the same partial update
UPDATE_VERBS = pytest.mark.parametrize("verb", ["patch", "put"])


@UPDATE_VERBS
def test_an_update_changes_only_the_fields_sent(api, verb):
    prospect = ProspectFactory(phone="1")
    response = getattr(api, verb)(f"/api/prospects/{prospect.pk}", {"title": "Hotel Manager", "tier": "hot"})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Hotel Manager"
    prospect.refresh_from_db()
    assert (prospect.title, prospect.tier, prospect.phone) == ("Hotel Manager", "hot", "1")
    assert Event.objects.get(name="prospect.updated").data["fields"] == ["tier", "title"]


@UPDATE_VERBS
def test_an_update_cannot_change_the_stage(api, verb):
    prospect = ProspectFactory()
    response = getattr(api, verb)(f"/api/prospects/{prospect.pk}", {"stage": "won"})
    assert response.status_code == 422
    prospect.refresh_from_db()
    assert prospect.stage == "new"


@UPDATE_VERBS
def test_an_update_answers_bad_input_404_and_conflict(api, verb):
    update = getattr(api, verb)
    prospect, other = ProspectFactory(), ProspectFactory()
    assert update(f"/api/prospects/{prospect.pk}", {"email": "nope"}).status_code == 422
    assert update(f"/api/prospects/{prospect.pk}", {"company_name": "   "}).status_code == 422
    assert update(f"/api/prospects/{prospect.pk}", {"name": None}).status_code == 422
    assert update("/api/prospects/999999", {"name": "X"}).status_code == 404
    clash = update(f"/api/prospects/{prospect.pk}", {"email": other.email})
    assert clash.status_code == 409
    prospect.refresh_from_db()
    assert prospect.email != other.email


@UPDATE_VERBS
def test_an_update_needs_a_key_with_the_write_scope(reader, anonymous, verb):
    prospect = ProspectFactory()
    assert getattr(reader, verb)(f"/api/prospects/{prospect.pk}", {"title": "x"}).status_code == 403
    assert getattr(anonymous, verb)(f"/api/prospects/{prospect.pk}", {"title": "x"}).status_code == 401


# --- transitions ----------------------------------------------------------------------


def test_operator_transitions_are_logged_with_the_key(api):
    prospect = _advance(ProspectFactory(), *TO_CONTACTED)
    response = api.post(f"/api/prospects/{prospect.pk}/transitions/book_meeting", {"reason": "call on Tuesday"})
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "meeting"
    assert api.post(f"/api/prospects/{prospect.pk}/transitions/mark_won", {}).json()["stage"] == "won"
    log = StateTransition.objects.filter(object_id=prospect.pk, actor="api-key:test-admin")
    assert sorted(log.values_list("transition", flat=True)) == ["book_meeting", "mark_won"]


def test_a_transition_from_the_wrong_stage_is_409_with_the_current_stage(api):
    prospect = ProspectFactory()
    response = api.post(f"/api/prospects/{prospect.pk}/transitions/mark_won", {})
    assert response.status_code == 409
    assert response.json()["current_state"] == "new"


def test_pipeline_transitions_and_unknown_names_are_422(api):
    prospect = ProspectFactory()
    assert api.post(f"/api/prospects/{prospect.pk}/transitions/start_enrichment", {}).status_code == 422
    assert api.post(f"/api/prospects/{prospect.pk}/transitions/fly_away", {}).status_code == 422


def test_mark_lost_needs_a_reason(api):
    prospect = ProspectFactory()
    response = api.post(f"/api/prospects/{prospect.pk}/transitions/mark_lost", {})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reason"]
    ok = api.post(f"/api/prospects/{prospect.pk}/transitions/mark_lost", {"reason": "closed for renovation"})
    assert ok.json()["lost_reason"] == "closed for renovation"


def test_transition_of_an_unknown_prospect_is_404(api):
    assert api.post("/api/prospects/999999/transitions/mark_won", {}).status_code == 404


def test_an_unknown_query_parameter_is_422_not_ignored(reader, anonymous):
    ProspectFactory()
    response = reader.get("/api/prospects", {"stgae": "won"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "stgae"]
    assert anonymous.get("/api/health", {"verbose": "1"}).status_code == 422
