"""API keys: issue, authenticate (``X-API-Key``), scopes, and a per-key rate limit.

A key reads ``jk_<prefix>_<secret>``. Only ``sha256(key)`` is stored; the prefix finds
the row in one indexed query and the hash comparison is constant-time. A missing,
unknown, revoked or expired key is a 401; a key without the operation's scope a 403;
a key over its ``rate_limit_per_minute`` a 429 with Retry-After.

The limit is a fixed one-minute window counted with the cache's atomic ``incr``: with
Redis (REDIS_URL) it is shared by every process; with the default local-memory cache
each worker process counts on its own.

A verified key is kept in the cache for ``VERIFIED_KEY_SECONDS`` under the hash of the
whole key, so a busy client costs no database query per request (it was a third of a
list page's time). Saving, deleting or revoking a key drops that entry: with Redis every
process sees the change at once; with the local-memory cache another worker process may
accept a revoked key for at most ``VERIFIED_KEY_SECONDS`` more.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import APIKeyHeader

from infra.api_common import RateLimited
from infra.models import ApiKey, ApiScope

KEY_PREFIX = "jk"
LAST_USED_GRANULARITY = 60  # seconds: last_used_at is refreshed at most once a minute per key
VERIFIED_KEY_SECONDS = 10


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_issue(*, key: ApiKey, by=None) -> str:
    """Give ``key`` (unsaved or saved) a fresh secret; save it and return the full key, shown once."""
    prefix = secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exclude(pk=key.pk).exists():
        prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    if key.key_hash:  # a new secret for an existing key: the old one stops working now
        cache.delete(_verified_cache_key(key.key_hash))
    key.prefix, key.key_hash = prefix, api_key_hash(raw)
    if by is not None and getattr(by, "is_authenticated", False) and key.created_by_id is None:
        key.created_by = by
    key.scopes = sorted(set(key.scopes) & set(ApiScope.values))
    key.save()
    return raw


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked=False).update(revoked=True, revoked_at=timezone.now())
    _forget_verified(key)


def _verified_cache_key(key_hash: str) -> str:
    return f"api-key:{key_hash}"


@receiver(post_save, sender=ApiKey, dispatch_uid="api_auth.forget_saved_key")
@receiver(post_delete, sender=ApiKey, dispatch_uid="api_auth.forget_deleted_key")
def _forget_verified(instance: ApiKey, **kwargs) -> None:
    """Drop a key's cached verification when it changes (scopes, expiry, revocation, deletion)."""
    if instance.key_hash:
        cache.delete(_verified_cache_key(instance.key_hash))


def api_key_find(raw_key: str) -> ApiKey | None:
    """The usable key ``raw_key`` names, or None (unknown, malformed, revoked, expired)."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        return None
    digest = api_key_hash(raw_key)
    # found under the hash of the whole key, so only a correct key can hit the cache
    key = cache.get(_verified_cache_key(digest))
    if key is None:
        key = ApiKey.objects.filter(prefix=parts[1]).first()
        if key is None or not hmac.compare_digest(key.key_hash, digest):
            return None
        cache.set(_verified_cache_key(digest), key, VERIFIED_KEY_SECONDS)
    return key if key.is_usable() else None


def rate_limit_check(key: ApiKey, *, now: float | None = None) -> None:
    """Count this request in the key's current minute; raise RateLimited past its limit."""
    now = time.time() if now is None else now
    window = int(now // 60)
    counter = f"api-rate:{key.pk}:{window}"
    try:
        used = cache.incr(counter)
    except ValueError:  # this request opens the window (add loses to a concurrent opener)
        used = 1 if cache.add(counter, 1, timeout=90) else cache.incr(counter)
    if used > key.rate_limit_per_minute:
        raise RateLimited(retry_after=max(1, int((window + 1) * 60 - now) + 1))


def _touch(key: ApiKey) -> None:
    """Record the key's use at most once a minute (the cache's ``add`` elects one request)."""
    if cache.add(f"api-key-used:{key.pk}", 1, timeout=LAST_USED_GRANULARITY):
        key.last_used_at = timezone.now()
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=key.last_used_at)


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
ERASE = ApiKeyAuth(ApiScope.ERASE)
