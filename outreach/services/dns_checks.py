"""The DNS reads and record rules of a sending domain's check (outreach.services.domain_auth).

Contract: ``checks_run(domain, paths)`` returns one ``CheckResult`` per name in ``CHECKS``
for the given ways out (``SendingPath``); it reads DNS only (no ORM, no settings written)
and never raises on a DNS failure: an unanswered query is an ``unknown`` verdict.

What is checked, for every way the domain's mail can leave — each inbox's SMTP server,
and Resend / SendGrid when their key is set (any of them may carry a message after a
failover, so each must be authorised):

* SPF: a record at the Return-Path domain, valid, within RFC 7208's 10 DNS lookups and
  2 void lookups, that authorises the sender. For an SMTP server, SPF must evaluate to
  ``pass`` for every public address of its host name (the best proxy we have of the
  address it sends from); for Resend / SendGrid the record must include amazonses.com
  (Resend sends through Amazon SES) / sendgrid.net, their documented SPF includes.
* DKIM: a key at each configured selector (or, for an inbox with none configured, at
  one of DKIM_SELECTORS): RSA of at least 1024 bits (1024 passes with a warning, 2048
  is recommended) or Ed25519. An empty ``p=`` (a revoked key) fails.
* DMARC: a record for the domain or its organisational domain, any policy (``p=none``
  at least), and alignment possible for every way out: the DKIM d= or the Return-Path
  domain is the From domain (adkim/aspf ``s``) or shares its organisational domain
  (``r``). A misaligned way out fails whatever the policy (Gmail's bulk-sender rules
  require alignment); under ``p=reject`` the reason says receivers reject it.
* MX: the domain accepts mail (replies and bounces reach it; receivers look for it).
* Blocklist: with SPAMHAUS_DQS_KEY set, the domain on Spamhaus DBL and each SMTP host
  address on ZEN (the key is never stored, logged or shown).

A check that got no answer (timeout, SERVFAIL, refused) is ``unknown``, never
``pass``. When the domain's own MX query gets no answer the resolver is taken to be
down and every check is ``unknown`` without waiting on each.

Libraries: dnspython resolves (DNS_NAMESERVERS, DNS_PORT, DNS_TIMEOUT; tests point it at
a server on 127.0.0.1); checkdmarc finds, parses and counts SPF and DMARC records (with
the organisational-domain fallback from the public suffix list); pyspf evaluates SPF
for an address, through a DNS hook that asks the same resolver; ``cryptography`` reads
DKIM keys. Written here: only the DKIM key record's tag list (RFC 6376 section 3.6.1).
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import ipaddress
from dataclasses import dataclass, field

import checkdmarc.dmarc
import checkdmarc.spf
import checkdmarc.utils
import dns.exception
import dns.resolver
import dns.reversename
import spf
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from django.conf import settings

PASS, WARN, FAIL, UNKNOWN, SKIPPED = "pass", "warn", "fail", "unknown", "skipped"
CHECKS = ["spf", "dkim", "dmarc", "mx", "blocklist"]
SPF_MAX_LOOKUPS = 10  # RFC 7208 section 4.6.4: receivers stop with permerror past these
SPF_MAX_VOID_LOOKUPS = 2
DKIM_MIN_BITS = 1024
DKIM_RECOMMENDED_BITS = 2048
DQS_ZONES = {"dbl": "dbl.dq.spamhaus.net", "zen": "zen.dq.spamhaus.net"}

_UNANSWERED = (dns.resolver.LifetimeTimeout, dns.resolver.NoNameservers, dns.exception.Timeout)


# --- the resolver --------------------------------------------------------------------------


class CheckResolver(dns.resolver.Resolver):
    """dnspython's resolver on DNS_NAMESERVERS:DNS_PORT (blank: the system's), counting the
    queries that got no answer, so a timeout is reported as unknown and never as missing."""

    def __init__(self):
        nameservers = list(settings.DNS_NAMESERVERS)
        super().__init__(configure=not nameservers)
        self.port = settings.DNS_PORT
        if nameservers:
            self.nameservers = nameservers
        self.lifetime = float(settings.DNS_TIMEOUT)
        self.timeout = max(self.lifetime / 2, 0.1)  # one retry of a lost UDP packet within the lifetime
        self.cache = None  # "check now" reads what DNS says now
        self.unanswered = 0

    def resolve(self, qname, rdtype="A", *args, **kwargs):
        try:
            return super().resolve(qname, rdtype, *args, **kwargs)
        except _UNANSWERED:
            self.unanswered += 1  # the name is not kept: a DQS query name carries the key
            raise


_active_resolver: contextvars.ContextVar[CheckResolver | None] = contextvars.ContextVar(
    "domain_auth_resolver", default=None
)


def _spf_dns_lookup(name, qtype, strict=True, timeout=None):
    """pyspf's DNS hook (``spf.DNSLookup``): its lookups go through the check's resolver.

    Same answer shape as pyspf's own dnspython driver: [((name, type), value), …].
    """
    resolver = _active_resolver.get() or CheckResolver()
    try:
        answer = resolver.resolve(name, qtype, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return []
    except dns.exception.DNSException as exc:
        raise spf.TempError(f"DNS {type(exc).__name__}") from None
    values = []
    for rdata in answer.rrset or []:
        if qtype in ("A", "AAAA"):
            values.append(((name, qtype), rdata.address))
        elif qtype == "MX":
            values.append(((name, qtype), (rdata.preference, rdata.exchange)))
        elif qtype == "PTR":
            values.append(((name, qtype), rdata.target.to_text(True)))
        elif qtype in ("TXT", "SPF"):
            values.append(((name, qtype), rdata.strings))
    return values


# pyspf resolves through a module-level hook; this process's SPF evaluations use ours
spf.DNSLookup = _spf_dns_lookup


# --- what a check found ----------------------------------------------------------------------


@dataclass
class CheckResult:
    """One check's outcome: what fails (an operator fixes it), what could not be read, warnings, notes."""

    name: str
    failures: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: dict = field(default_factory=dict)
    skipped: str = ""

    @property
    def verdict(self) -> str:
        if self.skipped:
            return SKIPPED
        if self.failures:
            return FAIL
        if self.unknowns:
            return UNKNOWN
        return WARN if self.warnings else PASS

    def as_json(self) -> dict:
        return {
            "verdict": self.verdict,
            "failures": self.failures,
            "unknowns": self.unknowns,
            "warnings": self.warnings,
            "notes": [self.skipped] if self.skipped else self.notes,
        }


@dataclass(frozen=True)
class SendingPath:
    """One way the domain's mail leaves: the inbox's SMTP server, Resend or SendGrid."""

    provider: str  # smtp, resend, sendgrid
    label: str
    spf_domain: str  # the Return-Path (envelope sender) domain: SPF is evaluated there
    dkim_domain: str  # the signature's d=
    dkim_selectors: tuple[str, ...]
    selectors_explicit: bool  # each selector must have a key; else one of them must
    smtp_host: str = ""  # SMTP: SPF must authorise this host's addresses
    spf_include: str = ""  # ESP: SPF must include this domain


# --- the checks --------------------------------------------------------------------------------


class _Unanswered:
    """``with _Unanswered(resolver) as watch:`` … ``watch.any``: did a query in the block go unanswered?"""

    def __init__(self, resolver: CheckResolver):
        self.resolver = resolver

    def __enter__(self):
        self.before = self.resolver.unanswered
        return self

    def __exit__(self, *exc):
        return False

    @property
    def any(self) -> bool:
        return self.resolver.unanswered > self.before


def _addresses(host: str, resolver: CheckResolver) -> tuple[list[str], bool]:
    """The host's A and AAAA addresses (an IP literal is itself), and whether a query got no answer."""
    try:
        return [str(ipaddress.ip_address(host))], False
    except ValueError:
        pass
    found, unanswered = [], False
    for rdtype in ("A", "AAAA"):
        try:
            found += [rdata.address for rdata in resolver.resolve(host, rdtype)]
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            continue
        except dns.exception.DNSException:
            unanswered = True
    return found, unanswered


# a relay here sends from an address DNS cannot tell us (its egress, after NAT)
_LOCAL_NETWORKS = [
    ipaddress.ip_network(network)
    for network in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                    "100.64.0.0/10", "0.0.0.0/32", "::1/128", "::/128", "fc00::/7", "fe80::/10")
]  # fmt: skip


def _is_public(address: str) -> bool:
    """Not this machine nor a private network (documentation ranges count as public: tests use them)."""
    ip = ipaddress.ip_address(address)
    return not any(ip in network for network in _LOCAL_NETWORKS if network.version == ip.version)


def _spf_includes(parsed: dict | None) -> set[str]:
    """Every domain an SPF record reaches through include: and redirect=, at any depth."""
    if not parsed:
        return set()
    found = set()
    for mechanism in parsed.get("mechanisms", []):
        if mechanism.get("mechanism") == "include" and mechanism.get("action") == "pass":
            found.add(str(mechanism.get("value", "")).lower().rstrip("."))
            found |= _spf_includes(mechanism.get("parsed"))
    redirect = parsed.get("redirect")
    if redirect:
        found.add(str(redirect.get("domain", "")).lower().rstrip("."))
        found |= _spf_includes(redirect.get("parsed"))
    return found


def _spf_record(spf_domain: str, resolver: CheckResolver, result: CheckResult) -> dict | None:
    """Find, parse and count the SPF record at ``spf_domain``; records failures on ``result``."""
    timeout = float(settings.DNS_TIMEOUT)
    with _Unanswered(resolver) as watch:
        try:
            query = checkdmarc.spf.query_spf_record(spf_domain, resolver=resolver, timeout=timeout)
            parsed = checkdmarc.spf.parse_spf_record(
                query["record"], spf_domain, ignore_too_many_lookups=True, resolver=resolver, timeout=timeout
            )
        except checkdmarc.spf.SPFRecordNotFound as exc:
            if watch.any:
                result.unknowns.append(f"DNS did not answer for the SPF record of {spf_domain}")
            else:
                result.failures.append(f"no SPF record at {spf_domain} ({exc})")
            return None
        except checkdmarc.spf.SPFError as exc:
            if watch.any:
                result.unknowns.append(f"DNS did not answer while reading the SPF record of {spf_domain}")
            else:
                result.failures.append(f"SPF record at {spf_domain} is not valid: {exc}")
            return None
    lookups, voids = parsed.get("dns_lookups", 0), parsed.get("void_dns_lookups", 0)
    result.records[spf_domain] = {"record": query["record"], "dns_lookups": lookups, "void_dns_lookups": voids}
    if watch.any:
        result.unknowns.append(f"DNS did not answer for part of the SPF record of {spf_domain}")
    if lookups > SPF_MAX_LOOKUPS:
        result.failures.append(
            f"SPF at {spf_domain} needs {lookups} DNS lookups; receivers stop at {SPF_MAX_LOOKUPS} "
            "(permerror): flatten or remove includes"
        )
    elif voids > SPF_MAX_VOID_LOOKUPS:
        result.failures.append(
            f"SPF at {spf_domain} has {voids} lookups that find nothing; receivers stop at {SPF_MAX_VOID_LOOKUPS}"
        )
    elif parsed.get("error"):
        result.failures.append(f"SPF record at {spf_domain}: {parsed['error']}")
    else:
        result.notes.append(f"{spf_domain}: {lookups} of {SPF_MAX_LOOKUPS} DNS lookups")
    return parsed


def _spf_authorises_host(path: SendingPath, resolver: CheckResolver, result: CheckResult) -> None:
    """SPF must evaluate to pass, at the Return-Path domain, for every public address of the SMTP host."""
    host = path.smtp_host
    addresses, unanswered = _addresses(host, resolver)
    if unanswered and not addresses:
        result.unknowns.append(f"DNS did not answer for the addresses of {host}")
        return
    if not addresses:
        result.failures.append(f"the SMTP host {host} has no address in DNS")
        return
    public = [address for address in addresses if _is_public(address)]
    if not public:
        result.warnings.append(
            f"{host} is on this machine or a private network ({', '.join(addresses)}): SPF was not evaluated "
            "for it; make sure the record authorises the address your relay sends from"
        )
        return
    verdicts = {}
    for address in public:
        outcome, explanation = spf.check2(
            i=address, s=f"postmaster@{path.spf_domain}", h=host, timeout=float(settings.DNS_TIMEOUT), querytime=0
        )
        verdicts[address] = outcome
        if outcome == "temperror":
            result.unknowns.append(f"DNS did not answer while evaluating SPF for {host} ({address})")
        elif outcome != "pass":
            result.failures.append(f"SPF does not authorise {host} ({address}: {outcome})")
    result.records[f"{host} evaluated"] = ", ".join(f"{address} {outcome}" for address, outcome in verdicts.items())


def check_spf(domain: str, paths: list[SendingPath], resolver: CheckResolver) -> CheckResult:
    result = CheckResult("spf")
    parsed_by_domain: dict[str, dict | None] = {}
    for path in paths:
        if path.spf_domain not in parsed_by_domain:
            parsed_by_domain[path.spf_domain] = _spf_record(path.spf_domain, resolver, result)
        parsed = parsed_by_domain[path.spf_domain]
        if parsed is None:
            continue
        if path.spf_include:
            if path.spf_include not in _spf_includes(parsed.get("parsed")):
                result.failures.append(
                    f"SPF at {path.spf_domain} does not include {path.spf_include} ({path.label} sends for it)"
                )
        elif path.smtp_host:
            _spf_authorises_host(path, resolver, result)
    return result


def dkim_key_parse(text: str) -> tuple[str, int]:
    """(key type, bits) of a DKIM key record (RFC 6376 section 3.6.1), or ValueError saying what is wrong."""
    tags = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise ValueError(f"'{part.strip()[:40]}' is not a tag=value pair")
        tags[name.strip()] = value.strip()
    if tags.get("v", "DKIM1") != "DKIM1":
        raise ValueError(f"v={tags['v'][:20]} is not DKIM1")
    services = {s.strip() for s in tags.get("s", "*").split(":")}
    if not services & {"*", "email"}:
        raise ValueError(f"the key is not for email (s={tags['s'][:20]})")
    if "p" not in tags:
        raise ValueError("the record has no p= (public key) tag")
    key = "".join(tags["p"].split())  # the value may be folded with blanks
    if not key:
        raise ValueError("the key is revoked (empty p=)")
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("p= is not base64") from None
    kind = tags.get("k", "rsa").lower()
    if kind == "rsa":
        try:
            public = serialization.load_der_public_key(raw)
        except ValueError:
            raise ValueError("p= is not an RSA public key") from None
        if not isinstance(public, rsa.RSAPublicKey):
            raise ValueError("k=rsa but p= is not an RSA key")
        return "rsa", public.key_size
    if kind == "ed25519":
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(raw)
        except ValueError:
            raise ValueError("p= is not an Ed25519 public key") from None
        return "ed25519", 256
    raise ValueError(f"unknown key type k={kind[:20]}")


def _dkim_selector(selector: str, dkim_domain: str, resolver: CheckResolver) -> dict:
    """What DNS has at one selector: {'name', 'status': ok|missing|invalid|unknown, 'kind', 'bits', 'problem'}."""
    name = f"{selector}._domainkey.{dkim_domain}"
    found = {"name": name, "selector": selector}
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return {**found, "status": "missing"}
    except dns.exception.DNSException:
        return {**found, "status": "unknown"}
    texts = [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]
    text = next((t for t in texts if "p=" in t), texts[0] if texts else "")
    found["record"] = text
    try:
        kind, bits = dkim_key_parse(text)
    except ValueError as exc:
        return {**found, "status": "invalid", "problem": str(exc)}
    return {**found, "status": "ok", "kind": kind, "bits": bits}


def _dkim_key_verdict(key: dict, result: CheckResult) -> bool:
    """Record a found key's size verdict; True when it is usable (1024 bits or more, or Ed25519)."""
    if key["kind"] == "ed25519":
        result.notes.append(f"{key['name']}: Ed25519 key (sign with RSA too: not every receiver verifies Ed25519)")
        return True
    if key["bits"] < DKIM_MIN_BITS:
        result.failures.append(
            f"DKIM key at {key['name']} is {key['bits']} bits: receivers ignore keys under {DKIM_MIN_BITS} "
            f"({DKIM_RECOMMENDED_BITS} recommended)"
        )
        return False
    if key["bits"] < DKIM_RECOMMENDED_BITS:
        result.warnings.append(f"DKIM key at {key['name']} is {key['bits']} bits: {DKIM_RECOMMENDED_BITS} recommended")
    else:
        result.notes.append(f"{key['name']}: RSA {key['bits']} bits")
    return True


def check_dkim(domain: str, paths: list[SendingPath], resolver: CheckResolver) -> CheckResult:
    result = CheckResult("dkim")
    seen: dict[str, dict] = {}
    for path in paths:
        keys = []
        for selector in path.dkim_selectors:
            name = f"{selector}._domainkey.{path.dkim_domain}"
            if name not in seen:
                seen[name] = _dkim_selector(selector, path.dkim_domain, resolver)
                result.records[name] = seen[name].get("record") or seen[name]["status"]
            keys.append(seen[name])
        if path.selectors_explicit:
            for key in keys:
                if key["status"] == "missing":
                    result.failures.append(f"no DKIM key at selector {key['selector']} ({key['name']}, {path.label})")
                elif key["status"] == "unknown":
                    result.unknowns.append(f"DNS did not answer for {key['name']}")
                elif key["status"] == "invalid":
                    result.failures.append(f"DKIM record at {key['name']} is not usable: {key['problem']}")
                else:
                    _dkim_key_verdict(key, result)
            continue
        # no selector configured for the inbox: one of the usual ones must carry a good key
        usable = [key for key in keys if key["status"] == "ok"]
        if usable:
            for key in usable:
                _dkim_key_verdict(key, result)
        elif any(key["status"] == "unknown" for key in keys):
            result.unknowns.append(f"DNS did not answer for the DKIM selectors of {path.dkim_domain}")
        elif broken := [key for key in keys if key["status"] == "invalid"]:
            result.failures += [f"DKIM record at {key['name']} is not usable: {key['problem']}" for key in broken]
        else:
            result.failures.append(
                f"no DKIM key at any of the selectors {', '.join(path.dkim_selectors)} of {path.dkim_domain} "
                f"({path.label}): set the inbox's DKIM selectors to the one your server signs with"
            )
    return result


def _aligned(identifier: str, from_domain: str, mode: str) -> bool:
    """DMARC identifier alignment (RFC 7489 section 3.1): strict is equality, relaxed the same organisational domain."""
    identifier, from_domain = identifier.lower().rstrip("."), from_domain.lower().rstrip(".")
    if mode == "s":
        return identifier == from_domain
    return checkdmarc.utils.get_base_domain(identifier) == checkdmarc.utils.get_base_domain(from_domain)


def check_dmarc(domain: str, paths: list[SendingPath], resolver: CheckResolver) -> CheckResult:
    result = CheckResult("dmarc")
    with _Unanswered(resolver) as watch:
        found = checkdmarc.dmarc.check_dmarc(domain, resolver=resolver, timeout=float(settings.DNS_TIMEOUT))
    if not found.get("valid"):
        if watch.any:
            result.unknowns.append(f"DNS did not answer for the DMARC record of {domain}")
        elif not found.get("record"):
            result.failures.append(f"no DMARC record at _dmarc.{domain}: publish at least 'v=DMARC1; p=none'")
        else:
            result.failures.append(f"DMARC record at _dmarc.{found.get('location')} is not valid: {found.get('error')}")
        return result
    tags, location = found["tags"], found["location"]
    result.records[f"_dmarc.{location}"] = found["record"]
    policy = tags["p"]["value"]
    if location != domain and "sp" in tags:
        policy = tags["sp"]["value"]  # the organisational domain's policy for its subdomains
    adkim, aspf = tags.get("adkim", {}).get("value", "r"), tags.get("aspf", {}).get("value", "r")
    for path in paths:
        if _aligned(path.dkim_domain, domain, adkim) or _aligned(path.spf_domain, domain, aspf):
            continue
        consequence = {"reject": "receivers reject it", "quarantine": "receivers junk it"}.get(
            policy, "it fails DMARC, which Gmail, Yahoo and Outlook.com require of bulk mail"
        )
        result.failures.append(
            f"DMARC p={policy}: mail via {path.label} cannot align with {domain}: DKIM d={path.dkim_domain} "
            f"(adkim={adkim}) and Return-Path {path.spf_domain} (aspf={aspf}); {consequence}"
        )
    result.notes.append(f"p={policy} at _dmarc.{location}, adkim={adkim}, aspf={aspf}")
    if policy == "none":
        result.notes.append("p=none only monitors: consider quarantine once the reports show only your own mail")
    return result


def check_mx(domain: str, resolver: CheckResolver) -> CheckResult:
    """The domain must accept mail. No answer at all raises: the resolver is down (the caller stops there)."""
    result = CheckResult("mx")
    try:
        answer = resolver.resolve(domain, "MX")
    except dns.resolver.NXDOMAIN:
        result.failures.append(f"{domain} does not exist in DNS")
        return result
    except dns.resolver.NoAnswer:
        result.failures.append(f"no MX record for {domain}: replies and bounces cannot reach it")
        return result
    hosts = sorted((rdata.preference, rdata.exchange.to_text(omit_final_dot=True)) for rdata in answer)
    result.records[domain] = [f"{preference} {host or '.'}" for preference, host in hosts]
    if all(host in ("", ".") for _, host in hosts):
        result.failures.append(f"{domain} publishes a null MX: it accepts no mail, so replies cannot reach it")
    else:
        result.notes.append(f"{domain} accepts mail at {', '.join(host for _, host in hosts)}")
    return result


def _dqs_name(label: str, zone: str) -> str:
    return f"{label}.{settings.SPAMHAUS_DQS_KEY}.{DQS_ZONES[zone]}"


def check_blocklist(domain: str, paths: list[SendingPath], resolver: CheckResolver) -> CheckResult:
    """Spamhaus DQS (DBL for the domain, ZEN for SMTP host addresses); skipped without SPAMHAUS_DQS_KEY.

    The query names carry the key: neither they nor dnspython's messages (which name
    them) are kept; what is shown names the domain or address only.
    """
    result = CheckResult("blocklist")
    if not settings.SPAMHAUS_DQS_KEY:
        result.skipped = "SPAMHAUS_DQS_KEY is not set"
        return result
    lookups = [(f"{domain} on Spamhaus DBL", _dqs_name(domain, "dbl"))]
    for host in sorted({path.smtp_host for path in paths if path.smtp_host}):
        addresses, _ = _addresses(host, resolver)
        for address in addresses:
            if _is_public(address) and ipaddress.ip_address(address).version == 4:
                reversed_address = dns.reversename.from_address(address).to_text()
                label = reversed_address.removesuffix(".in-addr.arpa.")
                lookups.append((f"{address} ({host}) on Spamhaus ZEN", _dqs_name(label, "zen")))
    for what, name in lookups:
        try:
            codes = sorted(rdata.address for rdata in resolver.resolve(name, "A"))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            result.records[what] = "not listed"
            continue
        except dns.exception.DNSException:
            result.unknowns.append(f"Spamhaus did not answer for {what}")
            continue
        result.records[what] = ", ".join(codes)
        if any(code.startswith("127.255.255.") for code in codes):
            result.unknowns.append(
                f"Spamhaus refused the query for {what} ({', '.join(codes)}): check SPAMHAUS_DQS_KEY"
            )
        else:
            result.failures.append(f"{what}: listed ({', '.join(codes)})")
    return result


# --- all of them ---------------------------------------------------------------------------


def checks_run(domain: str, paths: list[SendingPath]) -> dict[str, CheckResult]:
    """Every check of ``domain`` for ``paths``; all unknown when the resolver does not answer its MX query."""
    resolver = CheckResolver()
    token = _active_resolver.set(resolver)
    checkdmarc.utils.DNS_CACHE.clear()  # checkdmarc caches answers for 30 minutes; a check reads DNS now
    try:
        try:
            mx = check_mx(domain, resolver)
        except dns.exception.DNSException:
            # the domain's own MX query got no answer: the resolver is down, not the domain
            reason = f"DNS did not answer for {domain} within {settings.DNS_TIMEOUT:g} s"
            return {name: CheckResult(name, unknowns=[reason]) for name in CHECKS}
        return {
            "spf": check_spf(domain, paths, resolver),
            "dkim": check_dkim(domain, paths, resolver),
            "dmarc": check_dmarc(domain, paths, resolver),
            "mx": mx,
            "blocklist": check_blocklist(domain, paths, resolver),
        }
    finally:
        _active_resolver.reset(token)
