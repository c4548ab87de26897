"""The offline twin of MillionVerifier: answers from fixed rules, no network.

Contract:
- ``SandboxVerifier.verify(address, timeout=10)`` and ``credits()`` have the real
  client's signatures and return the same ``Verification`` (provider ``sandbox``, raw in
  the real API's shape with ``livemode`` false).
- Deterministic rules, first match wins:
  1. a malformed address → invalid;
  2. a throwaway-mail domain (mailinator.com …) → disposable;
  3. a catch-all domain → catch_all: any domain with "catchall" in its name, any in
     ``catch_all_domains``, and a stable ~``catch_all_share`` of all others (a hash of the
     domain, so a demo shows the case without anyone listing domains);
  4. a domain with "greylist" in its name → unknown (the mail server would not say);
  5. ``info@`` → ok but risky (the role address every hotel has, never a person);
  6. a ``first.last@`` address (two names of two or more letters joined by a dot) → ok,
     good: the twin's hotels all give their managers first.last mailboxes;
  7. anything else → invalid.
- Credits follow the real service's billing (one for ok, invalid and disposable, none
  for catch_all and unknown) and are counted in ``credits_spent``; ``calls`` counts every
  check, so tests and demos can show what a run would have cost.
"""

import hashlib
import re

from prospects.providers.millionverifier import Verification, credits_for, score_for

PROVIDER = "sandbox"
DISPOSABLE_DOMAINS = frozenset({"mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com"})
ROLE_ADDRESSES = frozenset({"info"})
_FIRST_LAST = re.compile(r"[a-z]{2,}(?:-[a-z]+)*\.[a-z]{2,}(?:-[a-z]+)*")
_ADDRESS = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
RESULT_CODES = {"ok": 1, "catch_all": 2, "unknown": 3, "disposable": 5, "invalid": 6}
QUALITY = {"catch_all": "risky", "unknown": "risky", "invalid": "bad", "disposable": "bad"}


class SandboxVerifier:
    """MillionVerifier's verdicts by rule, for demos, development and tests."""

    base_url = ""  # no network
    provider = PROVIDER

    def __init__(
        self,
        *,
        catch_all_domains: frozenset[str] | set[str] = frozenset(),
        catch_all_share: float = 0.1,
        starting_credits: int = 10_000,
    ):
        self.catch_all_domains = frozenset(domain.lower() for domain in catch_all_domains)
        self.catch_all_share = catch_all_share
        self.credits_left = starting_credits
        self.calls = 0
        self.credits_spent = 0

    def verify(self, address: str, timeout: int = 10) -> Verification:
        address = address.strip().lower()
        local, _, domain = address.rpartition("@")
        result, role = self._verdict(address, local, domain), local in ROLE_ADDRESSES
        quality = "risky" if result == "ok" and role else QUALITY.get(result, "good")
        cost = credits_for(result)
        self.calls += 1
        self.credits_spent += cost
        self.credits_left -= cost
        raw = {
            "email": address,
            "quality": quality,
            "result": result,
            "resultcode": RESULT_CODES[result],
            "subresult": {"invalid": "mailbox_not_found", "unknown": "greylisted"}.get(result, ""),
            "free": False,
            "role": role,
            "didyoumean": "",
            "credits": self.credits_left,
            "executiontime": 1,
            "error": "",
            "livemode": False,
        }
        return Verification(
            address=address,
            result=result,
            quality=quality,
            score=score_for(result, quality, role=role),
            resultcode=raw["resultcode"],
            subresult=raw["subresult"],
            role=role,
            credits_left=self.credits_left,
            credits_used=cost,
            provider=PROVIDER,
            raw=raw,
        )

    def credits(self) -> int:
        return self.credits_left

    def is_catch_all(self, domain: str) -> bool:
        domain = domain.lower()
        if "catchall" in domain or domain in self.catch_all_domains:
            return True
        bucket = int(hashlib.sha256(domain.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
        return bucket < self.catch_all_share

    def _verdict(self, address: str, local: str, domain: str) -> str:
        if not _ADDRESS.fullmatch(address):
            return "invalid"
        if domain in DISPOSABLE_DOMAINS:
            return "disposable"
        if self.is_catch_all(domain):
            return "catch_all"
        if "greylist" in domain:
            return "unknown"
        if local in ROLE_ADDRESSES or _FIRST_LAST.fullmatch(local):
            return "ok"
        return "invalid"
