"""/api/stats needs a key with the read scope; /api/health stays open for load balancers.

The stats are aggregates, but they are the business's own numbers (pipeline size, send
volume, reply rates, inbox caps, queue depths, open circuits): nobody without a key
should read them.
"""

import pytest

from infra.api_auth import api_key_issue
from infra.models import ApiKey

pytestmark = pytest.mark.django_db


def key_with(*scopes) -> str:
    return api_key_issue(key=ApiKey(name=f"stats-{'-'.join(scopes) or 'none'}", scopes=list(scopes)))


def test_stats_without_a_key_is_401_and_shows_no_numbers(client):
    response = client.get("/api/stats")
    assert response.status_code == 401
    assert "prospects_per_stage" not in response.content.decode()


def test_stats_with_a_key_lacking_read_is_403(client):
    response = client.get("/api/stats", headers={"X-API-Key": key_with("operate")})
    assert response.status_code == 403


@pytest.mark.parametrize("scope", ["read", "admin"])
def test_stats_with_a_read_key_answers(client, scope):
    response = client.get("/api/stats", headers={"X-API-Key": key_with(scope)})
    assert response.status_code == 200
    assert "prospects_per_stage" in response.json()


def test_the_openapi_document_says_stats_needs_a_key_and_health_does_not(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert paths["/api/stats"]["get"]["security"] == [{"ApiKeyAuth": []}]
    assert {"401", "403"} <= set(paths["/api/stats"]["get"]["responses"])
    assert "security" not in paths["/api/health"]["get"]
    assert client.get("/api/health").status_code == 200
