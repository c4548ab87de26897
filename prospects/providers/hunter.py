"""Hunter's Email Finder: the likeliest address of a named person at a domain (key: ``HUNTER_API_KEY``).

Contract:
- ``HunterClient.find(domain, first_name, last_name)`` makes one GET to
  https://api.hunter.io/v2/email-finder and returns a ``HunterFinding`` (Hunter's address,
  its 0–100 confidence, its own verification status, whether the domain accepts all
  mail, how many public sources it saw the address on), or ``None`` when Hunter knows no
  address for that person (``data.email`` null, HTTP 404, or HTTP 451: the person asked
  Hunter not to process their data).
- HTTP and network failures (bad key 401, limits 403/429, 5xx) and answers that are not
  Hunter's documented JSON raise ``ProviderError``, carrying Hunter's own ``details``.
- The key goes in the ``X-API-KEY`` header (Hunter accepts it there as well as in the
  ``api_key`` query parameter), so it never appears in a URL, a log line or an error.
- Hunter is a second opinion: its address is checked by the verifier like any guess
  (prospects.emails); this client never decides deliverability.
"""

from dataclasses import dataclass, field

import httpx

from infra.http import http_client
from prospects.providers.base import ProviderError

PROVIDER = "hunter"
NOT_FOUND_STATUSES = (404, 451)


@dataclass(frozen=True)
class HunterFinding:
    email: str
    score: int  # Hunter's confidence, 0–100
    status: str = ""  # data.verification.status: valid, accept_all, unknown, invalid … or ""
    accept_all: bool = False
    sources: int = 0  # public pages Hunter saw the address on
    position: str = ""
    raw: dict = field(default_factory=dict, compare=False, hash=False)


class HunterClient:
    """Hunter's API v2 (https://hunter.io/api-documentation/v2)."""

    base_url = "https://api.hunter.io"
    provider = PROVIDER

    def __init__(self, *, api_key: str, client: httpx.Client | None = None):
        if not api_key:
            raise ValueError("HunterClient needs an API key.")
        self.client = client or http_client(base_url=self.base_url, timeout=30.0, headers={"X-API-KEY": api_key})

    def find(self, domain: str, first_name: str, last_name: str) -> HunterFinding | None:
        """GET /v2/email-finder?domain=…&first_name=…&last_name=…

        Docs: https://hunter.io/api-documentation/v2#email-finder. One search credit when
        an address is found.
        """
        params = {"domain": domain, "first_name": first_name, "last_name": last_name}
        try:
            response = self.client.get("/v2/email-finder", params=params)
        except httpx.HTTPError as exc:
            raise ProviderError(f"hunter email-finder failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code in NOT_FOUND_STATUSES:
            return None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code != 200:
            raise ProviderError(
                f"hunter email-finder answered HTTP {response.status_code}: {_details(payload)}".strip()
            )
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise ProviderError("hunter email-finder answered without a data object")
        data = payload["data"]
        if not data.get("email"):
            return None
        verification = data.get("verification") or {}
        return HunterFinding(
            email=str(data["email"]).strip().lower(),
            score=int(data.get("score") or 0),
            status=str(verification.get("status") or ""),
            accept_all=bool(data.get("accept_all")),
            sources=len(data.get("sources") or []),
            position=str(data.get("position") or ""),
            raw=payload,
        )


def _details(payload) -> str:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("details") or errors[0].get("id") or "")
    return ""
