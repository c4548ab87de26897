"""Finding a hotel manager's email address: guess the patterns, verify, spend few credits.

Contract:
- Which addresses to try comes from ``prospects.email_patterns`` (``email_patterns``), whom
  to look for from ``prospects.team_pages`` (``names_from_team_page``).
- ``verify_address(address, verifier=…)`` reuses an EmailVerification the same provider
  made within 30 days (an "unknown" for a day only: it cost nothing and the server may
  answer next time) and otherwise calls the verifier once and saves the row with the
  credits the check cost. The returned row's ``reused`` says whether a call was made.
- ``find_email(...)`` checks the person's patterns in order and stops at the first that
  exists. An ok at or above the live threshold (constance EMAIL_VERIFICATION_THRESHOLD,
  0.9 by default) is verified; an ok below it (the verifier hedged) also ends the search,
  unverified, since the other patterns of a name whose mailbox exists only cost credits.
  A catch-all answer ends the search at once (every further check would say the same):
  the likeliest pattern is kept, flagged ``catch_all``, its score capped at 0.6 and
  never verified. Two "unknown" answers in a row end it too (the server will not say).
  Invalid and disposable candidates are skipped, and at most 10 patterns are checked.
  With nothing verified and Hunter configured, Hunter's answer is checked the same way;
  unverified, it replaces our guess unless ours is better (ok > catch-all > unknown):
  on a tie, as on a catch-all domain, Hunter's wins, since it learned the domain's
  pattern from addresses it saw. Role addresses are tried only when no personal
  candidate survived, or there is no name; they come back ``generic`` (a verified role
  address is deliverable, not the person). ``credits_used`` counts the credits this
  run spent (cached checks cost none), ``tried`` the addresses it checked.
- Verifier outages (``ProviderError``, ``CircuitOpen``) propagate: the pipeline leaves
  the email unverified and the checks already made stay cached. A Hunter outage only
  skips Hunter.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from infra.circuit import CircuitBreaker, CircuitOpen
from infra.metrics import counter_add, heartbeat_beat
from prospects.email_patterns import Candidate, clean_domain, email_patterns, finder_name, parse_name
from prospects.models import EmailVerification
from prospects.providers import registry
from prospects.providers.base import ProviderError
from prospects.providers.millionverifier import AddressNotChecked
from prospects.team_pages import names_from_team_page

logger = logging.getLogger(__name__)

Result = EmailVerification.Result
CACHE_DAYS = 30
UNKNOWN_CACHE_DAYS = 1
CATCH_ALL_SCORE_CAP = 0.6
MAX_PATTERN_CHECKS = 10  # per person; each invalid answer costs a credit
UNKNOWN_STREAK_LIMIT = 2

# --- verification --------------------------------------------------------------------


def verify_address(address: str, *, verifier, now: datetime.datetime | None = None) -> EmailVerification:
    """The verifier's verdict on ``address``: from the 30-day cache, or from one paid check.

    The returned row carries ``reused`` (True when no call was made). A row written by
    another provider (the sandbox twin, say) is not reused: its verdict is not real.
    """
    now = now or timezone.now()
    address = address.strip().lower()
    provider = getattr(verifier, "provider", "")
    row = EmailVerification.objects.filter(address=address).first()
    if row is not None and row.provider == provider and now - row.checked_at < _cache_life(row.result):
        row.reused = True
        return row
    verification = verifier.verify(address)
    # what the check cost, per day (the cost report, the spend alert), and the credits the
    # service says are left (the "verifier credits low" alert rule)
    counter_add("jengu_verifier_credits_total", verification.credits_used,
                labels={"provider": provider or verification.provider}, daily=True, now=now)  # fmt: skip
    if getattr(verification, "credits_left", None) is not None:
        heartbeat_beat(f"verifier_credits:{provider or verification.provider}", value=verification.credits_left,
                       now=now)  # fmt: skip
    row, _ = EmailVerification.objects.update_or_create(
        address=address,
        defaults={
            "result": verification.result,
            "quality": verification.quality[:20],
            "score": verification.score,
            "provider": provider or verification.provider,
            "credits_used": verification.credits_used,
            "raw": verification.raw,
            "checked_at": now,
        },
    )
    row.reused = False
    return row


def _cache_life(result: str) -> datetime.timedelta:
    return datetime.timedelta(days=UNKNOWN_CACHE_DAYS if result == Result.UNKNOWN else CACHE_DAYS)


@dataclass
class EmailFinding:
    """What one ``find_email`` run concluded, and what it cost."""

    email: str = ""  # "" when nothing deliverable was found
    score: float = 0.0
    verified: bool = False  # ok at or above the threshold; never on a catch-all domain
    catch_all: bool = False  # the domain accepts every address: deliverability unknowable
    generic: bool = False  # a role address (gm@, info@), not the person's own
    result: str = ""  # the verifier's result for ``email``
    credits_used: int = 0  # spent in this run; cached checks are free
    tried: list[str] = field(default_factory=list)  # addresses checked, in order
    source: str = ""  # "pattern" (our guess), "hunter", "role" (generic), or "" when nothing was found
    pattern: str = ""  # first.last, … for a guess; the role for a generic address
    name: str = ""  # the contact name the guesses came from (given, or read off the page)
    verifier_calls: int = 0  # checks that reached the verifier (not the cache)


class _Run:
    """The checks of one find_email run, each address at most once, with their cost."""

    def __init__(self, verifier, now):
        self.verifier = verifier
        self.now = now
        self.checks: dict[str, EmailVerification | None] = {}
        self.tried: list[str] = []
        self.credits = 0
        self.calls = 0

    def check(self, address: str) -> EmailVerification | None:
        if address in self.checks:
            return self.checks[address]
        self.tried.append(address)
        try:
            row = verify_address(address, verifier=self.verifier, now=self.now)
        except AddressNotChecked as exc:
            logger.info("email finder: %s", exc)
            self.calls += 1
            row = None
        else:
            if not row.reused:
                self.calls += 1
                self.credits += row.credits_used
        self.checks[address] = row
        return row

    def finding(self, name: str, candidate: Candidate | None = None, row=None, **flags) -> EmailFinding:
        finding = EmailFinding(tried=list(self.tried), credits_used=self.credits, verifier_calls=self.calls, name=name)
        if candidate is not None and row is not None:
            finding.email = candidate.address
            finding.pattern = candidate.pattern
            finding.generic = candidate.generic
            finding.result = row.result
            finding.score = row.score
            finding.source = "hunter" if candidate.pattern == "hunter" else "role" if candidate.generic else "pattern"
        for key, value in flags.items():
            setattr(finding, key, value)
        if finding.catch_all:
            finding.score = min(finding.score, CATCH_ALL_SCORE_CAP)
            finding.verified = False
        return finding


def find_email(
    *,
    name: str,
    domain: str,
    team_page_html: str = "",
    threshold: float | None = None,
    verifier=None,
    hunter=None,
    now: datetime.datetime | None = None,
) -> EmailFinding:
    """The person's best address at ``domain``; see the module docstring for the rules.

    ``verifier`` defaults to ``default_verifier()``, ``hunter`` to ``default_hunter()``
    (none without HUNTER_API_KEY), ``threshold`` to the live constance setting.
    """
    domain = clean_domain(domain)
    if not name and team_page_html:
        name = next((found for found, _ in names_from_team_page(team_page_html)), "")
    name = (name or "").strip()
    if not domain:
        return EmailFinding(name=name)
    if threshold is None:
        from constance import config

        threshold = float(config.EMAIL_VERIFICATION_THRESHOLD)
    verifier = verifier if verifier is not None else default_verifier()
    hunter = hunter if hunter is not None else default_hunter()
    run = _Run(verifier, now or timezone.now())

    candidates = email_patterns(name, domain)
    personal = [c for c in candidates if not c.generic][:MAX_PATTERN_CHECKS]
    roles = [c for c in candidates if c.generic]

    outcome = _first_deliverable(run, personal, threshold)
    if outcome.verified_pick:
        return _done(run.finding(name, *outcome.verified_pick, verified=True), domain)
    best, catch_all = outcome.best, outcome.catch_all

    person = parse_name(name)
    if hunter and person.first and person.last:
        from_hunter = _ask_hunter(run, hunter, domain, name)
        if from_hunter is not None:
            candidate, row = from_hunter
            if _verified(row, threshold):
                return _done(run.finding(name, candidate, row, verified=True), domain)
            # on a tie Hunter wins: it learned the domain's pattern from addresses it saw
            if best is None or _GUESS_RANK[row.result] >= _GUESS_RANK[best[1].result]:
                best = from_hunter
                catch_all = row.result == Result.CATCH_ALL

    if best is not None:
        return _done(run.finding(name, *best, catch_all=catch_all), domain)

    outcome = _first_deliverable(run, roles, threshold)
    if outcome.verified_pick:
        return _done(run.finding(name, *outcome.verified_pick, verified=True), domain)
    if outcome.catch_all:
        # a role mailbox on a catch-all domain can't be checked: info@ is the one every hotel reads
        info = next((c for c in roles if c.pattern == "info"), outcome.best[0])
        return _done(run.finding(name, info, outcome.best[1], catch_all=True), domain)
    if outcome.best is not None:
        return _done(run.finding(name, *outcome.best), domain)
    return _done(run.finding(name), domain)


@dataclass
class _Outcome:
    verified_pick: tuple[Candidate, EmailVerification] | None = None
    best: tuple[Candidate, EmailVerification] | None = None  # the likeliest surviving guess
    catch_all: bool = False


def _first_deliverable(run: _Run, candidates: list[Candidate], threshold: float) -> _Outcome:
    """Check candidates in order until one exists, the domain turns out catch-all, or the server won't say."""
    outcome, unknown_streak = _Outcome(), 0
    for candidate in candidates:
        row = run.check(candidate.address)
        if row is None:
            continue
        if row.result == Result.OK:
            if _verified(row, threshold):
                outcome.verified_pick = (candidate, row)
            else:
                # the mailbox exists but the verifier hedges: the name's other patterns would only cost credits
                outcome.best = (candidate, row)
            return outcome
        if row.result == Result.CATCH_ALL:
            outcome.catch_all = True
            outcome.best = outcome.best or (candidate, row)
            return outcome
        if row.result == Result.UNKNOWN:
            outcome.best = outcome.best or (candidate, row)
            unknown_streak += 1
            if unknown_streak >= UNKNOWN_STREAK_LIMIT:
                return outcome
            continue
        unknown_streak = 0  # invalid or disposable: on to the next pattern
    return outcome


# how good an unverified guess is: the mailbox exists > the domain takes anything > no answer
_GUESS_RANK = {Result.OK: 3, Result.CATCH_ALL: 2, Result.UNKNOWN: 1}


def _verified(row: EmailVerification, threshold: float) -> bool:
    return row.result == Result.OK and row.score >= threshold


def _ask_hunter(run: _Run, hunter, domain: str, name: str) -> tuple[Candidate, EmailVerification] | None:
    first, last = finder_name(name)
    try:
        found = hunter.find(domain, first, last)
    except (ProviderError, CircuitOpen) as exc:
        logger.warning("email finder: hunter unavailable for %s: %s", domain, exc)
        return None
    if found is None or not found.email:
        return None
    row = run.check(found.email)
    if row is None or row.result in (Result.INVALID, Result.DISPOSABLE):
        return None
    return Candidate(found.email, "hunter"), row


def _done(finding: EmailFinding, domain: str) -> EmailFinding:
    logger.info(
        "email finder: %s → %s (%s, score %.2f%s%s), %d checked, %d verifier calls, %d credits",
        domain,
        finding.email or "nothing",
        finding.result or "-",
        finding.score,
        ", verified" if finding.verified else "",
        ", catch-all" if finding.catch_all else (", generic" if finding.generic else ""),
        len(finding.tried),
        finding.verifier_calls,
        finding.credits_used,
    )
    return finding


# --- the services behind it ----------------------------------------------------------


class GuardedVerifier:
    """A verifier behind a circuit breaker.

    One address the service could not check (``AddressNotChecked``) is the service
    working, not an outage: it does not count towards opening the circuit.
    """

    def __init__(self, verifier, breaker: CircuitBreaker):
        self.verifier = verifier
        self.breaker = breaker
        self.provider = verifier.provider

    def verify(self, address: str, timeout: int = 10):
        outcome = self.breaker.call(self._verify, address, timeout)
        if isinstance(outcome, AddressNotChecked):
            raise outcome
        return outcome

    def credits(self) -> int:
        return self.breaker.call(self.verifier.credits)

    def _verify(self, address: str, timeout: int):
        try:
            return self.verifier.verify(address, timeout=timeout)
        except AddressNotChecked as exc:
            return exc


class GuardedHunter:
    """Hunter behind its own circuit breaker, so an outage is not asked about on every prospect."""

    def __init__(self, hunter, breaker: CircuitBreaker):
        self.hunter = hunter
        self.breaker = breaker

    def find(self, domain: str, first_name: str, last_name: str):
        return self.breaker.call(self.hunter.find, domain, first_name, last_name)


def default_verifier() -> GuardedVerifier:
    """The registry's verifier (MillionVerifier, or the sandbox twin without a key) behind a breaker."""
    return GuardedVerifier(registry.verifier(), CircuitBreaker("verifier:millionverifier"))


def default_hunter() -> GuardedHunter | None:
    """The registry's finder (Hunter when HUNTER_API_KEY is set; optional) behind a breaker."""
    hunter = registry.finder()
    return GuardedHunter(hunter, CircuitBreaker("finder:hunter")) if hunter is not None else None
