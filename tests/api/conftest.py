import pytest
from django.core.cache import cache

from infra.api_auth import api_key_issue
from infra.models import ApiKey


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters and cached stats live in the cache: each test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_key(db):
    """make_key("read", "write") → (ApiKey, raw key string)."""

    def make(*scopes, name=None, **fields):
        key = ApiKey(
            name=name or f"key-{'-'.join(scopes) or 'none'}-{ApiKey.objects.count()}", scopes=list(scopes), **fields
        )
        raw = api_key_issue(key=key)
        return key, raw

    return make


class ApiClient:
    """django.test.Client with the X-API-Key header and JSON bodies."""

    def __init__(self, client, raw_key=None):
        self.client, self.raw_key = client, raw_key

    def _headers(self, headers):
        merged = {"X-API-Key": self.raw_key} if self.raw_key else {}
        return {**merged, **(headers or {})}

    def get(self, url, params=None, headers=None):
        return self.client.get(url, params or {}, headers=self._headers(headers))

    def post(self, url, body=None, headers=None):
        return self.client.post(
            url, body if body is not None else {}, content_type="application/json", headers=self._headers(headers)
        )

    def patch(self, url, body=None, headers=None):
        return self.client.patch(url, body or {}, content_type="application/json", headers=self._headers(headers))

    def put(self, url, body=None, headers=None):
        return self.client.put(url, body or {}, content_type="application/json", headers=self._headers(headers))

    def delete(self, url, headers=None):
        return self.client.delete(url, headers=self._headers(headers))


@pytest.fixture
def api(client, make_key):
    """A client holding an admin-scoped key."""
    _, raw = make_key("admin", name="test-admin")
    return ApiClient(client, raw)


@pytest.fixture
def reader(client, make_key):
    _, raw = make_key("read", name="test-reader")
    return ApiClient(client, raw)


@pytest.fixture
def anonymous(client):
    return ApiClient(client)
