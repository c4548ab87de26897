"""The safe fetcher: the one way Jengu fetches a URL that a stranger can influence.

A hotel's website (typed in, imported, or found by web search), a link on its pages and
a webhook receiver's address can all point back into Jengu's own network. The provider
clients of ``infra.http`` call fixed vendor APIs; every other fetch goes through
``safe_client()``, an httpx client that sends a request only when:

- the scheme is http or https and the port 80 or 443;
- the host is no internal name (``localhost``, ``*.local``, ``*.internal``… ``INTERNAL_SUFFIXES``)
  and **every** address it resolves to is public (``address_is_public``: global, and not
  multicast or reserved, nor an IPv4-mapped, 6to4, Teredo or NAT64 IPv6 address that
  carries a non-public IPv4 one). Numeric hosts are read the way the operating system
  reads them, so ``2130706433``, ``0x7f.1``, ``0177.0.0.1`` and ``127.1`` are 127.0.0.1;
- the connection goes to the address that was checked: the request is sent to that IP,
  with the original ``Host`` header and the original name for TLS (SNI and the
  certificate check), so a name that answers differently a second later (DNS rebinding)
  is never asked again. Connections are not kept alive, so one checked for a name is
  never reused for another name on the same address;
- redirects are followed by ``SafeClient.send`` itself, one request per hop, at most
  ``MAX_REDIRECTS``, and every hop passes the same checks as the first.

A refusal raises ``UnsafeURL`` before anything is sent. It is an ``httpx.RequestError``,
so a caller that treats a network failure as "no answer" needs no new branch, and its
message names the origin only (a path or query may carry a token).

``url_problem(url)`` is the part of the check that needs no DNS. ``PublicURLValidator``
applies it where URLs are entered (the API, the admin, CSV imports): a literal
non-public address or an internal name is refused there, and a name is resolved only
when it is fetched.

``settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS`` (default False; settings refuse it without
DEBUG) lifts the host, address and port rules, never the scheme rule, for the test suite
and the offline demo. Names are then not resolved here at all, so tests over an
``httpx.MockTransport`` make no DNS lookup. ``override_resolver`` stands in for DNS in
tests.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from infra.http import USER_AGENT, RetryingTransport, transport_override

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
ALLOWED_PORTS = (80, 443)
MAX_REDIRECTS = 5
# names that never reach the public internet: special-use (RFC 6761, 6762, 8375) and
# the private top-level labels networks use (ICANN never delegates them)
INTERNAL_SUFFIXES = (
    "localhost",
    "localdomain",
    "local",
    "internal",
    "intranet",
    "lan",
    "home",
    "home.arpa",
    "corp",
    "private",
)
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class UnsafeURL(httpx.RequestError):
    """A URL the safe fetcher will not fetch; raised before any connection is made."""


def private_hosts_allowed() -> bool:
    return bool(getattr(settings, "SAFE_FETCH_ALLOW_PRIVATE_HOSTS", False))


# --- what counts as public (no DNS) -------------------------------------------------------


def literal_address(host: str) -> Address | None:
    """The address ``host`` spells, read as getaddrinfo reads a numeric host; None for a name."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # inet_aton's legacy forms, which the resolver accepts too: 2130706433, 0x7f.1, 0177.0.0.1, 127.1
    if host[:1].isdigit() and all(c in "0123456789abcdefABCDEFxX." for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def address_is_public(address: Address) -> bool:
    """Global unicast: not loopback, private, link-local, CGNAT, unique-local, multicast or reserved."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]  # the client behind the relay
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not address_is_public(embedded):
            return False
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_loopback or address.is_link_local
    )


def host_problem(host: str) -> str:
    """Why ``host`` is not a public host, as far as can be told without DNS; "" when nothing is."""
    name = host.strip("[]").rstrip(".").lower()
    if not name:
        return "no host"
    address = literal_address(name)
    if address is not None:
        return "" if address_is_public(address) else f"{address} is not a public address"
    if "." not in name:
        return f"{name} is a local name"
    if any(name == suffix or name.endswith(f".{suffix}") for suffix in INTERNAL_SUFFIXES):
        return f"{name} is an internal name"
    return ""


def url_problem(url: str | httpx.URL, *, allow_private: bool | None = None) -> str:
    """What forbids fetching ``url``, as the end of a sentence about it; "" when nothing does (no DNS)."""
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:
        return "is not a URL that can be fetched"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "is not fetched: only http and https URLs are"
    if not parts.hostname:
        return "names no host"
    if private_hosts_allowed() if allow_private is None else allow_private:
        return ""
    if problem := host_problem(parts.hostname):
        return f"names a non-public host ({problem})"
    if port is not None and port not in ALLOWED_PORTS:
        return f"is not fetched: only ports {' and '.join(map(str, ALLOWED_PORTS))} are, not {port}"
    return ""


def origin(url: str | httpx.URL) -> str:
    """``scheme://host[:port]/`` of ``url``: what a message may show (never the path or query)."""
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:
        return "that URL"
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}{f':{port}' if port is not None else ''}/"


@deconstructible
class PublicURLValidator:
    """A field validator: refuses a URL Jengu would never fetch (see the module docstring). No DNS."""

    code = "non_public_url"

    def __init__(self, noun: str = "URL"):
        self.noun = noun

    def __call__(self, value: str):
        if not value or "//" not in value:
            return  # empty, or not a URL at all: the URL field's own validator says so
        if problem := url_problem(value):
            raise ValidationError(f"{self.noun} {origin(value)} {problem}.", code=self.code)

    def __eq__(self, other):
        return isinstance(other, PublicURLValidator) and other.noun == self.noun

    def __hash__(self):
        return hash(self.noun)


# --- resolving once, and connecting to what was checked -----------------------------------


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system gives for ``host`` (one getaddrinfo call)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


_resolver: Resolver | None = None


@contextmanager
def override_resolver(resolver: Resolver) -> Iterator[Resolver]:
    """Answer every name a safe client resolves inside the block with ``resolver`` (tests)."""
    global _resolver
    previous, _resolver = _resolver, resolver
    try:
        yield resolver
    finally:
        _resolver = previous


def _refusal(url: httpx.URL | str, problem: str, request: httpx.Request | None = None) -> UnsafeURL:
    message = f"{origin(url)} {problem}"
    logger.warning("safe fetch: refused %s", message)
    return UnsafeURL(message, request=request)


class PinningTransport(httpx.BaseTransport):
    """Checks every request (each redirect hop is one) and sends it to the address it checked."""

    def __init__(self, inner: httpx.BaseTransport, *, resolver: Resolver | None = None):
        self.inner = inner
        self.resolver = resolver

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        allow_private = private_hosts_allowed()
        if problem := url_problem(request.url, allow_private=allow_private):
            raise _refusal(request.url, problem, request)
        if allow_private:
            return self.inner.handle_request(request)  # tests and the demo: no DNS of ours
        host = request.url.raw_host.decode("ascii")
        addresses = self._checked_addresses(request, host)
        tls_name = str(addresses[0]) if literal_address(host) else host
        failure: httpx.ConnectError | None = None
        for address in addresses:  # every one was checked: try them in the resolver's order
            try:
                return self.inner.handle_request(_pinned(request, address, tls_name))
            except httpx.ConnectError as exc:
                failure = exc
        raise failure

    def _checked_addresses(self, request: httpx.Request, host: str) -> list[Address]:
        literal = literal_address(host)
        if literal is not None:
            return [literal]  # url_problem has judged it
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            answers = (self.resolver or _resolver or system_resolver)(host, port)
            addresses = list(dict.fromkeys(ipaddress.ip_address(a) for a in answers))
        except (OSError, ValueError) as exc:
            raise httpx.ConnectError(f"{host} does not resolve ({exc})", request=request) from None
        refused = [a for a in addresses if not address_is_public(a)]
        if refused or not addresses:
            why = f"{host} resolves to {refused[0]}, not a public address" if refused else f"{host} has no address"
            raise _refusal(request.url, f"names a non-public host ({why})", request)
        return addresses


def _pinned(request: httpx.Request, address: Address, tls_name: str) -> httpx.Request:
    """``request`` sent to ``address``: the Host header stays, TLS checks the certificate for ``tls_name``."""
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions["sni_hostname"] = tls_name
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=request.headers,  # holds Host: the name (and port) the URL gave
        stream=request.stream,
        extensions=extensions,
    )


class SafeClient(httpx.Client):
    """An httpx client that refuses unsafe URLs up front and follows redirects itself, hop by hop."""

    def build_request(self, method, url, **kwargs) -> httpx.Request:
        # before httpx parses it: some spellings of loopback (0177.0.0.1) are InvalidURL to httpx
        if problem := url_problem(str(url)):
            raise _refusal(str(url), problem)
        try:
            return super().build_request(method, url, **kwargs)
        except httpx.InvalidURL as exc:
            raise _refusal(str(url), f"is not a URL that can be fetched ({exc})") from None

    def send(self, request, *, stream=False, auth=httpx.USE_CLIENT_DEFAULT, follow_redirects=None):
        follow = self.follow_redirects if not isinstance(follow_redirects, bool) else follow_redirects
        history: list[httpx.Response] = []
        while True:
            # one hop: the transport checks it like the first request
            response = super().send(request, stream=True, auth=auth, follow_redirects=False)
            if not follow or response.next_request is None:
                break
            response.close()
            history.append(response)
            if len(history) > self.max_redirects:
                raise httpx.TooManyRedirects(f"more than {self.max_redirects} redirects", request=request)
            request = response.next_request
        response.history = history
        if not stream:
            try:
                response.read()
            except BaseException:
                response.close()
                raise
        return response


def safe_client(
    *, timeout: float = 10.0, headers: dict | None = None, retries: int = 1, resolver: Resolver | None = None
) -> SafeClient:
    """A client for URLs a stranger can influence: see the module docstring."""
    # no keep-alive: a connection is checked for one name and must not carry another's request
    inner = transport_override() or httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
    return SafeClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        transport=PinningTransport(RetryingTransport(inner, retries=retries), resolver=resolver),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
    )
