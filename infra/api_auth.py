"""API keys: issue, authenticate (``X-API-Key``), scopes, and a per-key rate limit.

A key reads ``jk_<prefix>_<secret>``. Only ``sha256(key)`` is stored; the prefix finds
the row in one indexed query and the hash comparison is constant-time. A missing,
unknown, revoked or expired key is a 401; a key without the operation's scope a 403;
a key over its ``rate_limit_per_minute`` a 429 with Retry-After.

The limit is a fixed one-minute window counted with the cache's atomic ``incr``: with
Redis (REDIS_URL) it is shared by every process; with the default local-memory cache
each worker process counts on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from django.core.cache import cache
from django.utils import timezone
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import APIKeyHeader

from infra.api_common import RateLimited
from infra.models import ApiKey, ApiScope

KEY_PREFIX = "jk"
LAST_USED_GRANULARITY = 60  # seconds: last_used_at is refreshed at most once a minute per key


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_issue(*, key: ApiKey, by=None) -> str:
    """Give ``key`` (unsaved or saved) a fresh secret; save it and return the full key, shown once."""
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exclude(pk=key.pk).exists():
        prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key.prefix, key.key_hash = prefix, api_key_hash(raw)
    if by is not None and getattr(by, "is_authenticated", False) and key.created_by_id is None:
        key.created_by = by
    key.scopes = sorted(set(key.scopes) & set(ApiScope.values))
    key.save()
    return raw


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked=False).update(revoked=True, revoked_at=timezone.now())


def api_key_find(raw_key: str) -> ApiKey | None:
    """The usable key ``raw_key`` names, or None (unknown, malformed, revoked, expired)."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        return None
    key = ApiKey.objects.filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, api_key_hash(raw_key)):
        return None
    return key if key.is_usable() else None


def rate_limit_check(key: ApiKey, *, now: float | None = None) -> None:
    """Count this request in the key's current minute; raise RateLimited past its limit."""
    now = time.time() if now is None else now
    window = int(now // 60)
    counter = f"api-rate:{key.pk}:{window}"
    cache.add(counter, 0, timeout=90)
    try:
        used = cache.incr(counter)
    except ValueError:  # evicted between add and incr: this request opens the window
        cache.set(counter, 1, timeout=90)
        used = 1
    if used > key.rate_limit_per_minute:
        raise RateLimited(retry_after=max(1, int((window + 1) * 60 - now) + 1))


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


class ApiKeyAuth(APIKeyHeader):
    """``auth=ApiKeyAuth("read")``: the request needs a usable key holding ``scope`` (or admin)."""

    param_name = "X-API-Key"

    def __init__(self, scope: str):
        if scope not in ApiScope.values:
            raise ValueError(f"unknown API scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request, key: str | None) -> ApiKey:
        if not key:
            raise AuthenticationError(message="Send an API key in the X-API-Key header.")
        api_key = api_key_find(key.strip())
        if api_key is None:
            raise AuthenticationError(message="Unknown, revoked or expired API key.")
        if not api_key.has_scope(self.scope):
            raise AuthorizationError(message=f"This API key lacks the '{self.scope}' scope.")
        rate_limit_check(api_key)
        _touch(api_key)
        return api_key


READ = ApiKeyAuth(ApiScope.READ)
WRITE = ApiKeyAuth(ApiScope.WRITE)
OPERATE = ApiKeyAuth(ApiScope.OPERATE)
