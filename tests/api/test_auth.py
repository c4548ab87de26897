"""API keys: hashed storage, 401/403, scopes, expiry, revocation, rate limit, the actor in the logs."""

import datetime

import pytest
from django.utils import timezone

from infra.api_auth import api_key_hash, api_key_issue, api_key_revoke
from infra.models import ApiKey, StateTransition
from infra.statemachine import actor_label
from tests.api.conftest import ApiClient
from tests.factories import ProspectFactory

pytestmark = pytest.mark.django_db


def test_the_key_is_stored_hashed_and_found_by_its_prefix(make_key):
    key, raw = make_key("read")
    assert raw.startswith(f"jk_{key.prefix}_")
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.key_hash == api_key_hash(raw)
    assert raw not in str(ApiKey.objects.values().get(pk=key.pk))


def test_missing_key_is_401(anonymous):
    response = anonymous.get("/api/prospects")
    assert response.status_code == 401
    assert "X-API-Key" in response.json()["detail"]


@pytest.mark.parametrize("raw", ["nonsense", "jk_12345678_wrong", "jk__", "jk_abcdefgh_" + "x" * 40])
def test_unknown_or_malformed_key_is_401(client, raw):
    response = ApiClient(client, raw).get("/api/prospects")
    assert response.status_code == 401


def test_a_key_with_the_right_prefix_but_wrong_secret_is_401(client, make_key):
    key, raw = make_key("read")
    response = ApiClient(client, raw[:-3] + "abc").get("/api/prospects")
    assert response.status_code == 401


def test_revoked_key_is_401(client, make_key):
    key, raw = make_key("read")
    api_key_revoke(key=key)
    assert ApiClient(client, raw).get("/api/prospects").status_code == 401


def test_a_verified_key_costs_no_query_until_it_changes(client, make_key, django_assert_num_queries):
    key, raw = make_key("read")
    api = ApiClient(client, raw)
    assert api.get("/api/prospects").status_code == 200  # verifies the key, stamps last_used_at
    with django_assert_num_queries(1):  # the page itself; the key comes from the cache
        assert api.get("/api/prospects").status_code == 200
    # a change made in the admin (a save) is seen by the next request
    key.scopes = ["write"]
    key.save()
    assert api.get("/api/prospects").status_code == 403


def test_a_deleted_key_is_401_at_once(client, make_key):
    key, raw = make_key("read")
    api = ApiClient(client, raw)
    assert api.get("/api/prospects").status_code == 200
    key.delete()
    assert api.get("/api/prospects").status_code == 401


def test_a_new_secret_retires_the_old_one_at_once(client, make_key):
    key, old = make_key("read")
    assert ApiClient(client, old).get("/api/prospects").status_code == 200
    new = api_key_issue(key=key)
    assert ApiClient(client, old).get("/api/prospects").status_code == 401
    assert ApiClient(client, new).get("/api/prospects").status_code == 200


def test_a_revoked_key_that_was_just_used_is_401(client, make_key):
    key, raw = make_key("read")
    api = ApiClient(client, raw)
    assert api.get("/api/prospects").status_code == 200
    api_key_revoke(key=key)
    assert api.get("/api/prospects").status_code == 401


def test_an_expiry_passing_is_seen_even_while_the_key_is_cached(client, make_key, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    _, raw = make_key("read", expires_at=timezone.now() + datetime.timedelta(seconds=5))
    api = ApiClient(client, raw)
    assert api.get("/api/prospects").status_code == 200
    time_machine.shift(datetime.timedelta(seconds=6))
    assert api.get("/api/prospects").status_code == 401


def test_expired_key_is_401_and_a_future_expiry_works(client, make_key):
    _, expired = make_key("read", expires_at=timezone.now() - datetime.timedelta(minutes=1))
    _, valid = make_key("read", expires_at=timezone.now() + datetime.timedelta(days=1))
    assert ApiClient(client, expired).get("/api/prospects").status_code == 401
    assert ApiClient(client, valid).get("/api/prospects").status_code == 200


@pytest.mark.parametrize(
    "scopes, method, url, expected",
    [
        (["read"], "get", "/api/prospects", 200),
        (["write"], "get", "/api/prospects", 403),
        (["read"], "post", "/api/prospects", 403),
        (["write"], "post", "/api/emergency-stop", 403),
        (["operate"], "post", "/api/emergency-stop", 200),
        (["admin"], "post", "/api/emergency-stop", 200),
        (["admin"], "get", "/api/prospects", 200),
    ],
)
def test_scopes(client, make_key, scopes, method, url, expected):
    _, raw = make_key(*scopes)
    api = ApiClient(client, raw)
    body = {"company_name": "Hotel Scope"} if url == "/api/prospects" else {}
    response = api.get(url) if method == "get" else api.post(url, body)
    assert response.status_code == expected, response.content
    if expected == 403:
        assert "scope" in response.json()["detail"]


def test_rate_limit_answers_429_with_retry_after(client, make_key):
    _, raw = make_key("read", rate_limit_per_minute=3)
    api = ApiClient(client, raw)
    assert [api.get("/api/prospects").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/api/prospects")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    # another key has its own budget
    _, other = make_key("read")
    assert ApiClient(client, other).get("/api/prospects").status_code == 200


def test_last_used_at_is_recorded_once_a_minute(reader, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    reader.get("/api/prospects")
    first = ApiKey.objects.get(name="test-reader").last_used_at
    assert first is not None
    time_machine.shift(datetime.timedelta(seconds=30))
    reader.get("/api/prospects")
    assert ApiKey.objects.get(name="test-reader").last_used_at == first
    time_machine.shift(datetime.timedelta(seconds=31))
    reader.get("/api/prospects")
    assert ApiKey.objects.get(name="test-reader").last_used_at > first


def test_a_write_records_the_key_as_the_actor(api):
    prospect = ProspectFactory()
    response = api.post(f"/api/prospects/{prospect.pk}/transitions/mark_lost", {"reason": "chose a competitor"})
    assert response.status_code == 200
    assert StateTransition.objects.get(object_id=prospect.pk).actor == "api-key:test-admin"


def test_actor_label_knows_api_keys():
    assert actor_label(ApiKey(name="bi-tool")) == "api-key:bi-tool"


def test_the_admin_shows_a_new_key_once_and_stores_its_hash(admin_client):
    response = admin_client.post(
        "/admin/infra/apikey/add/",
        {"name": "metabase", "scopes": ["read"], "rate_limit_per_minute": 600, "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 200  # the answer itself shows the key: no redirect, no message
    key = ApiKey.objects.get(name="metabase")
    assert not list(response.context["messages"])
    raw = response.content.decode().split('<code id="new-api-key" style="user-select:all;font-size:1.1em">')[1]
    raw = raw.split("</code>")[0]
    assert raw.startswith(f"jk_{key.prefix}_") and api_key_hash(raw) == key.key_hash
    assert key.created_by.username == "root-admin"
    # the change page never shows it again
    page = admin_client.get(f"/admin/infra/apikey/{key.pk}/change/").content.decode()
    assert raw not in page
    assert admin_client.get("/admin/infra/webhooksubscriber/").status_code == 200
    assert admin_client.get("/admin/infra/webhookdelivery/").status_code == 200
