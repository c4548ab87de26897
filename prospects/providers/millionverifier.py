"""MillionVerifier's real-time API: is this one address deliverable? (key: ``MILLIONVERIFIER_API_KEY``)

Contract:
- ``MillionVerifierClient.verify(address, timeout=10)`` makes one GET to
  https://api.millionverifier.com/api/v3/ and returns a ``Verification``: the service's
  result (ok, catch_all, unknown, invalid, disposable), its quality word (good, risky,
  bad), a 0–1 ``score`` (``score_for`` below) and the credits the check cost and left.
- The API answers HTTP 200 even when it refuses: a non-empty ``error`` field ("Apikey not
  found", no credits left, IP blocked) raises ``ProviderError``, as do HTTP and network
  failures and answers that are not its documented JSON. A ``result`` of "error" with no
  ``error`` text means the service worked but could not check this one address:
  ``AddressNotChecked`` (a ProviderError), so callers can move on to the next address
  without counting an outage.
- The key can only travel as the ``api`` query parameter (the API has no header form),
  so it is scrubbed from every exception message, and httpx's per-request INFO log line
  for this host has the parameter redacted.
- ``credits()``: GET /api/v3/credits, the credits left on the account.

Billing (help.millionverifier.com, "Refund for risky emails"): an API check deducts one
credit for ok, invalid and disposable results and none for catch_all and unknown;
``Verification.credits_used`` follows that rule.
"""

import logging
from dataclasses import dataclass, field

import httpx

from infra.http import http_client
from prospects.providers.base import ProviderError

logger = logging.getLogger(__name__)

PROVIDER = "millionverifier"  # prospects.models.EmailVerification.provider
API_HOST = "api.millionverifier.com"
RESULTS = ("ok", "catch_all", "unknown", "invalid", "disposable")
BILLED_RESULTS = ("ok", "invalid", "disposable")
# the service's own timeout for the SMTP conversation: 2–60 s; past it the answer is "unknown"
MIN_TIMEOUT, MAX_TIMEOUT = 2, 60


class AddressNotChecked(ProviderError):
    """The verifier answered, but could not check this one address (result "error")."""


@dataclass(frozen=True)
class Verification:
    """One address as the verifier judged it, in MillionVerifier's terms."""

    address: str
    result: str  # ok | catch_all | unknown | invalid | disposable
    quality: str  # good | risky | bad
    score: float  # 0–1, compared with the live EMAIL_VERIFICATION_THRESHOLD
    resultcode: int = 0  # 1 ok, 2 catch_all, 3 unknown, 4 error, 5 disposable, 6 invalid
    subresult: str = ""
    free: bool = False  # a free mail provider (gmail.com …)
    role: bool = False  # a role address (info@, sales@ …)
    credits_left: int | None = None
    credits_used: int = 0
    didyoumean: str = ""
    provider: str = PROVIDER
    raw: dict = field(default_factory=dict, compare=False, hash=False)


def score_for(result: str, quality: str = "", *, role: bool = False) -> float:
    """The 0–1 score of a verdict.

    ok/good is the only verdict that clears the default threshold (0.9); a role address
    is a shade less certain to reach a person. ok/risky exists but the service hedges.
    catch_all and unknown say nothing about the mailbox, so they stay well below.
    """
    if result == "ok":
        if quality == "good":
            return 0.95 if role else 0.98
        return 0.75 if quality == "risky" else 0.6
    return {"catch_all": 0.5, "unknown": 0.3}.get(result, 0.0)


def credits_for(result: str) -> int:
    return 1 if result in BILLED_RESULTS else 0


class MillionVerifierClient:
    """MillionVerifier's single-address API (https://developer.millionverifier.com)."""

    base_url = f"https://{API_HOST}"
    provider = PROVIDER

    def __init__(self, *, api_key: str, client: httpx.Client | None = None):
        if not api_key:
            raise ValueError("MillionVerifierClient needs an API key; without one use the sandbox verifier.")
        self.api_key = api_key
        self.client = client or http_client(base_url=self.base_url, timeout=MAX_TIMEOUT + 10.0)

    def verify(self, address: str, timeout: int = 10) -> Verification:
        """GET /api/v3/?api=…&email=…&timeout=…: one real-time check.

        Docs: https://developer.millionverifier.com/#operation/single-verification.
        ``timeout`` (2–60 s) bounds the service's own SMTP conversation; our HTTP read
        timeout is a little longer so its "unknown" arrives instead of our timeout.
        """
        timeout = min(max(int(timeout), MIN_TIMEOUT), MAX_TIMEOUT)
        payload = self._get("/api/v3/", {"email": address, "timeout": timeout}, read_timeout=timeout + 10)
        refusal = str(payload.get("error") or "")
        if refusal:
            raise ProviderError(f"millionverifier refused the check: {self._scrub(refusal)}")
        result = payload.get("result")
        if result == "error":
            raise AddressNotChecked(
                f"millionverifier could not check {address}: {payload.get('subresult') or 'no reason given'}"
            )
        if result not in RESULTS:
            raise ProviderError(f"millionverifier answered an unexpected result {result!r}")
        quality = str(payload.get("quality") or "")
        role = bool(payload.get("role"))
        credits_left = payload.get("credits")
        return Verification(
            address=address,
            result=result,
            quality=quality,
            score=score_for(result, quality, role=role),
            resultcode=int(payload.get("resultcode") or 0),
            subresult=str(payload.get("subresult") or ""),
            free=bool(payload.get("free")),
            role=role,
            credits_left=int(credits_left) if isinstance(credits_left, int | float) else None,
            credits_used=credits_for(result),
            didyoumean=str(payload.get("didyoumean") or ""),
            raw=payload,
        )

    def credits(self) -> int:
        """GET /api/v3/credits?api=…: the credits left (https://developer.millionverifier.com/#operation/api-credits)."""
        payload = self._get("/api/v3/credits", {})
        refusal = str(payload.get("error") or "")
        if refusal:
            raise ProviderError(f"millionverifier refused the credits query: {self._scrub(refusal)}")
        credits = payload.get("credits")
        if not isinstance(credits, int | float):
            raise ProviderError("millionverifier's credits answer has no number of credits")
        return int(credits)

    def _get(self, path: str, params: dict, *, read_timeout: float | None = None) -> dict:
        kwargs = {"timeout": httpx.Timeout(read_timeout, connect=5.0)} if read_timeout else {}
        try:
            response = self.client.get(path, params={"api": self.api_key, **params}, **kwargs)
        except httpx.HTTPError as exc:
            # httpx's messages can carry the URL, and the URL carries the key
            raise ProviderError(
                f"millionverifier request failed: {type(exc).__name__}: {self._scrub(str(exc))}"
            ) from None
        if response.status_code != 200:
            raise ProviderError(f"millionverifier answered HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise ProviderError("millionverifier answered something that is not a JSON object")
        return payload

    def _scrub(self, text: str) -> str:
        return text.replace(self.api_key, "[redacted]")


class _RedactApiKey(logging.Filter):
    """httpx logs every request's full URL at INFO; for this host, hide the ``api`` parameter."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_carries_key(arg) for arg in record.args):
            record.args = tuple(
                arg.copy_set_param("api", "[redacted]") if _carries_key(arg) else arg for arg in record.args
            )
        return True


def _carries_key(value) -> bool:
    return isinstance(value, httpx.URL) and value.host == API_HOST and "api" in value.params


def _install_log_redaction() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _RedactApiKey) for existing in httpx_logger.filters):
        httpx_logger.addFilter(_RedactApiKey())


_install_log_redaction()
