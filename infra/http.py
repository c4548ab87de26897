"""The one place providers get an HTTP client.

Every client has timeouts, a real User-Agent, bounded retries with back-off on
connection errors and 429/5xx (honouring Retry-After up to a cap), and a per-host
concurrency limit shared by the process. Tests swap the network for an
``httpx.MockTransport`` with ``override_transport`` — never a real call.

These clients are for the fixed base URLs of vendor APIs (search, verifiers, AI, the
alert webhook an operator configured). A URL that a user, a search result, a web page or
a webhook subscriber supplies is fetched with ``infra.safe_fetch.safe_client`` instead:
it refuses non-public hosts and follows redirects one checked hop at a time.
"""

import threading
import time
from collections import defaultdict
from contextlib import contextmanager

import httpx

USER_AGENT = "JenguCRM/0.1 (+https://jengu.ai/bot; outreach for hotels)"
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 30.0

_host_limits: dict[str, threading.BoundedSemaphore] = defaultdict(lambda: threading.BoundedSemaphore(4))
_host_limits_lock = threading.Lock()
_transport_override: httpx.BaseTransport | None = None


def _host_semaphore(host: str) -> threading.BoundedSemaphore:
    with _host_limits_lock:
        return _host_limits[host]


class RetryingTransport(httpx.BaseTransport):
    """Wraps a transport: per-host concurrency, bounded retries with exponential back-off."""

    def __init__(self, inner: httpx.BaseTransport, *, retries: int = 2, backoff: float = 0.5, sleep=time.sleep):
        self.inner = inner
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            with _host_semaphore(request.url.host):
                try:
                    response = self.inner.handle_request(request)
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError):
                    if last:
                        raise
                    response = None
            if response is None:
                self.sleep(self.backoff * 2**attempt)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                delay = _retry_after(response, self.backoff * 2**attempt)
                response.close()
                self.sleep(delay)
                continue
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def close(self):
        self.inner.close()


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return min(float(value), MAX_RETRY_AFTER)
    except ValueError:
        return default


def transport_override() -> httpx.BaseTransport | None:
    """The transport a test put in place with ``override_transport``, or None."""
    return _transport_override


def http_client(
    *, base_url: str = "", timeout: float = 15.0, headers: dict | None = None, retries: int = 2, sleep=time.sleep
) -> httpx.Client:
    inner = _transport_override or httpx.HTTPTransport()
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        transport=RetryingTransport(inner, retries=retries, sleep=sleep),
        follow_redirects=True,
    )


@contextmanager
def override_transport(transport: httpx.BaseTransport):
    """Route every client made inside the block through ``transport`` (tests)."""
    global _transport_override
    previous, _transport_override = _transport_override, transport
    try:
        yield transport
    finally:
        _transport_override = previous
