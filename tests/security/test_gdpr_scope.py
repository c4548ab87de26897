"""GDPR erasure has its own API scope: a key that may write may not erase.

Erasure is irreversible and wipes a person from every table and stored file. An
integration that updates prospects (``write``) must not be able to do it by accident or
when its key leaks; only a key granted ``erase`` (or ``admin``, which implies every
scope) may.
"""

import pytest

from infra.api_auth import api_key_issue
from infra.models import ApiKey
from tests.factories import ProspectFactory

pytestmark = pytest.mark.django_db


def key_with(*scopes) -> str:
    return api_key_issue(key=ApiKey(name=f"gdpr-{'-'.join(scopes)}", scopes=list(scopes)))


def erase(client, prospect, raw_key):
    return client.post(f"/api/prospects/{prospect.pk}/erase", headers={"X-API-Key": raw_key})


@pytest.mark.parametrize("scopes", [("write",), ("read",), ("operate",), ("read", "write", "operate")])
def test_a_key_without_the_erase_scope_cannot_erase(client, scopes):
    prospect = ProspectFactory(name="Zoë Lindqvist", email="zoe@grand-harbour.example")
    response = erase(client, prospect, key_with(*scopes))
    assert response.status_code == 403
    assert "'erase' scope" in response.json()["detail"]
    prospect.refresh_from_db()
    assert prospect.name == "Zoë Lindqvist" and prospect.email == "zoe@grand-harbour.example"


@pytest.mark.parametrize("scopes", [("erase",), ("admin",)])
def test_an_erase_or_admin_key_erases(client, scopes):
    prospect = ProspectFactory(name="Zoë Lindqvist", email="zoe@grand-harbour.example")
    response = erase(client, prospect, key_with(*scopes))
    assert response.status_code == 200, response.content
    prospect.refresh_from_db()
    assert "Lindqvist" not in prospect.name and prospect.email == ""


def test_an_erase_key_cannot_write(client):
    prospect = ProspectFactory(city="Denver")
    response = client.patch(
        f"/api/prospects/{prospect.pk}",
        {"city": "Boulder"},
        content_type="application/json",
        headers={"X-API-Key": key_with("erase")},
    )
    assert response.status_code == 403
    prospect.refresh_from_db()
    assert prospect.city == "Denver"


def test_the_admin_can_grant_the_erase_scope(admin_client):
    form = {
        "name": "dpo-tool",
        "scopes": ["erase"],
        "rate_limit_per_minute": 60,
        "expires_at_0": "",
        "expires_at_1": "",
    }
    response = admin_client.post("/admin/infra/apikey/add/", form)
    assert response.status_code == 200
    assert ApiKey.objects.get(name="dpo-tool").scopes == ["erase"]
