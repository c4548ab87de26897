"""The real web search: several engines in failover order, each behind its circuit breaker.

Contract:
- ``FailoverSearch(engines).search(query)`` asks each engine (``(name, factory)``; a
  factory gives a client with ``search(query)`` and an httpx ``client`` closed after the
  call) behind ``CircuitBreaker("search:<name>")`` until one returns results. An engine
  that fails (``ProviderError`` or ``CircuitOpen``) is logged and the next one tried; an
  honest empty answer also passes to the next, and ends as ``[]`` when no engine found
  anything. When every engine failed the error propagates (the one failure, or a
  ``ProviderError`` naming all of them): an outage is retried by the runtime, never
  recorded as "no website".
"""

from __future__ import annotations

import logging

from infra.circuit import CircuitBreaker, CircuitOpen
from prospects.providers.base import ProviderError
from prospects.providers.search_base import SearchResult

logger = logging.getLogger(__name__)


class FailoverSearch:
    source = "web"

    def __init__(self, engines: list[tuple[str, object]]):
        self.engines = engines

    def search(self, query: str) -> list[SearchResult]:
        failures: list[Exception] = []
        answered = False
        for name, factory in self.engines:
            client = factory()
            try:
                results = CircuitBreaker(f"search:{name}").call(client.search, query)
            except (ProviderError, CircuitOpen) as exc:
                logger.warning("web search: %s failed for %r: %s", name, query, exc)
                failures.append(exc)
                continue
            finally:
                client.client.close()
            if results:
                return results
            answered = True  # an honest "nothing found"; the next engine may know better
        if answered:
            return []
        if len(failures) == 1:
            raise failures[0]
        raise ProviderError("every web search failed: " + "; ".join(str(exc) for exc in failures)) from failures[-1]
