"""Server-side request forgery: Jengu fetches only public hosts (issue 16, item 3).

The attack of the issue is replayed end to end against two real HTTP servers on
127.0.0.1: a "hotel site" that redirects to an "internal" page on a second loopback
port. Everything else proves a refusal *before any connection*: the real httpx stack
runs with ``socket.create_connection`` replaced by a recorder that never connects, or
over an ``httpx.MockTransport`` that records what reached it; host names are answered by
an injected resolver stub. Real DNS is forbidden here (``no_real_dns``) and nothing is
ever sent to a non-loopback address.

The production default (private hosts refused) is what these tests run with; the rest of
the suite allows private hosts (tests/conftest.py), as the offline demo may.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from django.core.files.base import ContentFile

from infra.api_auth import api_key_issue
from infra.http import override_transport
from infra.models import ApiKey, WebhookDelivery, WebhookSubscriber
from prospects.models import Prospect, ProspectImport, WebsitePage

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_IP = "93.184.216.34"  # a global address: only ever handed to recorders, never connected to

INTERNAL_PAGE = """<!DOCTYPE html><html><head><title>Intranet payroll admin</title></head><body>
<h1>Payroll administration</h1>
<p>Questions: <a href="mailto:payroll@intranet.corp">payroll@intranet.corp</a></p>
<p>Tel: <a href="tel:+493012345678">+49 30 1234 5678</a></p>
</body></html>"""


# --- loopback servers, recorders and stubs ----------------------------------------------------


class LoopbackSite:
    """A real HTTP server on a loopback address; ``routes`` maps a path to (status, headers, body)."""

    def __init__(self, routes: dict, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None):
        self.routes, self.requests = routes, []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, with_body: bool):
                site.requests.append((self.command, self.path, self.headers.get("Host")))
                status, headers, body = site.routes.get(self.path, (404, {}, "<h1>Not Found</h1>"))
                payload = body.encode()
                self.send_response(status)
                for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if with_body:
                    self.wfile.write(payload)

            def do_GET(self):  # noqa: N802  (http.server's naming)
                self._answer(True)

            def do_HEAD(self):  # noqa: N802
                self._answer(False)

            def log_message(self, *args):
                pass

        server_class = ThreadingHTTPServer
        if ":" in host:

            class server_class(ThreadingHTTPServer):  # noqa: N801
                address_family = socket.AF_INET6

        self.server = server_class((host, 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal_site():
    site = LoopbackSite({"/internal": (200, {}, INTERNAL_PAGE)})
    yield site
    site.close()


@pytest.fixture
def hotel_site(internal_site):
    """The attacker's "hotel website": it redirects to the internal page, under another loopback name."""
    location = f"http://localhost:{internal_site.port}/internal"
    site = LoopbackSite({"/": (302, {"Location": location}, "")})
    yield site
    site.close()


@pytest.fixture(autouse=True)
def production_policy(settings, tmp_path):
    """Private hosts refused (the production default), offline providers, media in tmp."""
    settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS = False
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEARCH_PROVIDER = "sandbox"
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    settings.MILLIONVERIFIER_API_KEY = settings.HUNTER_API_KEY = ""
    settings.JENGU_TASKS_SYNC = True


@pytest.fixture(autouse=True)
def no_real_dns(monkeypatch):
    """Any lookup of a name other than localhost fails the test: the stub resolver answers names."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        text = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            if text != "localhost":
                raise AssertionError(f"a real DNS lookup of {text!r}") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


class ConnectRecorder:
    """Stands in for ``socket.create_connection``: records where the real stack would connect, never connects."""

    def __init__(self):
        self.attempts: list[tuple[str, int]] = []

    def __call__(self, address, *args, **kwargs):
        self.attempts.append((address[0], address[1]))
        raise ConnectionRefusedError(111, "refused by the test recorder")


@pytest.fixture
def connections(monkeypatch):
    recorder = ConnectRecorder()
    monkeypatch.setattr(socket, "create_connection", recorder)
    return recorder


class StubResolver:
    """Answers names from a table (one list of addresses per call, the last repeated); records each call."""

    def __init__(self, table: dict[str, list[list[str]] | list[str]] | None = None):
        self.table = table or {}
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self.table.get(host)
        if answers is None:
            raise OSError(f"stub: {host} does not resolve")
        if answers and isinstance(answers[0], list):
            return answers.pop(0) if len(answers) > 1 else answers[0]
        return answers


@pytest.fixture
def resolver():
    from infra.safe_fetch import override_resolver

    stub = StubResolver()
    with override_resolver(stub):
        yield stub


def write_key(db) -> str:
    key = ApiKey(name="ssrf-test", scopes=["admin"])
    return api_key_issue(key=key)


def api_post(client, raw_key, path, body):
    return client.post(path, json.dumps(body), content_type="application/json", headers={"X-API-Key": raw_key})


# --- the attack of the issue, end to end -----------------------------------------------------


@pytest.mark.django_db
def test_the_api_refuses_a_website_on_a_loopback_host(client):
    raw = write_key(None)
    response = api_post(
        client, raw, "/api/prospects", {"company_name": "Hotel Loopback", "company_website": "http://127.0.0.1:8898/"}
    )
    assert response.status_code == 422, response.content
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "company_website"]
    assert "website http://127.0.0.1:8898/ names a non-public host" in error["msg"]
    assert not Prospect.objects.filter(company_name="Hotel Loopback").exists()


def _enrich_prospect_created_through_the_api(client, settings, website: str) -> Prospect:
    """A prospect whose website points at loopback, as one created before input checks existed."""
    from prospects.pipeline import run_enrichment

    settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS = True  # let the row in, as the old API did
    raw = write_key(None)
    response = api_post(
        client,
        raw,
        "/api/prospects",
        {"company_name": "Hotel Redirect", "city": "Berlin", "company_website": website},
    )
    assert response.status_code == 201, response.content
    prospect = Prospect.objects.get(pk=response.json()["id"])
    settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS = False  # production: the fetcher has the last word
    run_enrichment(prospect.pk)  # the stage must not crash
    prospect.refresh_from_db()
    return prospect


@pytest.mark.django_db
def test_enrichment_never_fetches_an_internal_page_behind_a_redirect(client, settings, hotel_site, internal_site):
    prospect = _enrich_prospect_created_through_the_api(client, settings, f"http://127.0.0.1:{hotel_site.port}/")

    assert internal_site.requests == [] and hotel_site.requests == []  # refused before connecting
    assert prospect.stage == "enriched"
    stored = json.dumps(prospect.website_analysis)
    assert "Intranet" not in stored and "payroll" not in stored and "+493012345678" not in stored
    assert "intranet.corp" not in prospect.email and prospect.phone == ""
    assert not WebsitePage.objects.exclude(html="").exists()


@pytest.mark.django_db
def test_with_private_hosts_allowed_the_same_chain_is_fetched(client, settings, hotel_site, internal_site):
    """The control: the loopback servers answer, so the refusal above is the fetcher's doing."""
    from prospects.pipeline import run_enrichment

    settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS = True
    prospect = Prospect.objects.create(company_name="Hotel Dev", company_website=f"http://127.0.0.1:{hotel_site.port}/")
    run_enrichment(prospect.pk)
    prospect.refresh_from_db()
    assert ("GET", "/internal", f"localhost:{internal_site.port}") in internal_site.requests
    assert prospect.website_analysis["seo"]["title"] == "Intranet payroll admin"


@pytest.mark.django_db
def test_an_ipv6_literal_website_does_not_crash_the_stage(client, settings):
    prospect = _enrich_prospect_created_through_the_api(client, settings, "http://[::1]/")
    assert prospect.stage == "enriched" and prospect.website_analysis == {}


def _ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.django_db
@pytest.mark.skipif(not _ipv6_loopback_available(), reason="no IPv6 loopback on this machine")
def test_an_ipv6_literal_website_is_fetched_when_private_hosts_are_allowed(settings):
    """The crash was the URL losing its brackets ('http://::1/'): with the allowance, [::1] answers."""
    from prospects.website import fetch_website, normalize_url, page_html

    settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS = True
    site = LoopbackSite({"/": (200, {}, "<html><title>IPv6 hotel</title></html>")}, host="::1")
    try:
        assert normalize_url(f"http://[::1]:{site.port}") == f"http://[::1]:{site.port}/"
        page = fetch_website(f"http://[::1]:{site.port}/")
    finally:
        site.close()
    assert page is not None and "IPv6 hotel" in page_html(page)


# --- every refusal happens before a connection ------------------------------------------------


REFUSED = {
    "unspecified": "http://0.0.0.0/",
    "decimal": "http://2130706433/",
    "hex": "http://0x7f.1/",
    "octal": "http://0177.0.0.1/",
    "short": "http://127.1/",
    "ipv6-loopback": "http://[::1]/",
    "ipv4-mapped": "http://[::ffff:127.0.0.1]/",
    "ipv4-mapped-hex": "http://[::ffff:7f00:1]/",
    "6to4-loopback": "http://[2002:7f00:1::]/",
    "metadata": "http://169.254.169.254/latest/meta-data/",
    "private": "http://10.0.0.1/",
    "cgnat": "http://100.64.0.1/",
    "unique-local": "http://[fc00::1]/",
    "link-local-v6": "http://[fe80::1]/",
    "multicast": "http://224.0.0.1/",
    "localhost": "http://localhost/",
    "localhost-subdomain": "http://admin.localhost/",
    "internal-name": "http://metadata.google.internal/computeMetadata/v1/",
    "mdns-name": "http://printer.local/",
    "file": "file:///etc/passwd",
    "ftp": "ftp://ftp.hotel-lindenhof.de/",
    "gopher": "gopher://127.0.0.1:70/_GET",
    "port": f"http://{PUBLIC_IP}:8080/",
    "port-on-a-name": "https://www.hotel-lindenhof.de:8443/",
}


@pytest.mark.parametrize("url", REFUSED.values(), ids=REFUSED.keys())
def test_the_safe_client_refuses_before_the_transport_is_called(url, resolver):
    from infra.safe_fetch import UnsafeURL, safe_client

    resolver.table["www.hotel-lindenhof.de"] = [PUBLIC_IP]
    reached = []
    transport = httpx.MockTransport(lambda request: reached.append(request) or httpx.Response(200))
    with override_transport(transport), safe_client() as client, pytest.raises(UnsafeURL) as refused:
        client.get(url)
    assert reached == []
    assert "non-public" in str(refused.value) or "only" in str(refused.value)


@pytest.mark.parametrize("url", REFUSED.values(), ids=REFUSED.keys())
def test_the_real_stack_never_connects_to_a_refused_url(url, resolver, connections):
    from infra.safe_fetch import UnsafeURL, safe_client

    resolver.table["www.hotel-lindenhof.de"] = [PUBLIC_IP]
    with safe_client() as client, pytest.raises(UnsafeURL):
        client.get(url)
    assert connections.attempts == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://[::1]/", "http://10.0.0.1/"],
)
def test_fetching_a_refused_website_gives_no_page(url, resolver, connections):
    from prospects.website import fetch_website

    assert fetch_website(url) is None
    assert connections.attempts == [] and not WebsitePage.objects.exists()


@pytest.mark.django_db
def test_a_cached_copy_of_an_internal_page_is_not_served(settings, internal_site):
    """A page fetched before the fetcher refused it stays in the 7-day cache: it is not read from there."""
    from prospects.website import fetch_website

    url = f"http://127.0.0.1:{internal_site.port}/internal"
    settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS = True
    assert fetch_website(url) is not None  # stored, as the old fetcher did
    settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS = False
    assert fetch_website(url) is None


@pytest.mark.parametrize(
    "addresses",
    [["10.1.2.3"], [PUBLIC_IP, "127.0.0.1"], ["::1"], [PUBLIC_IP, "::ffff:169.254.169.254"], ["100.64.9.9"]],
    ids=["private", "one-of-two-loopback", "ipv6-loopback", "mapped-metadata", "cgnat"],
)
def test_a_name_is_refused_when_any_of_its_addresses_is_not_public(addresses, resolver, connections):
    from infra.safe_fetch import UnsafeURL, safe_client

    resolver.table["www.hotel-intranet.de"] = addresses
    with safe_client() as client, pytest.raises(UnsafeURL, match="non-public"):
        client.get("https://www.hotel-intranet.de/")
    assert connections.attempts == [] and resolver.calls == ["www.hotel-intranet.de"]


def test_a_public_name_is_connected_to_at_the_address_that_was_checked(resolver, connections):
    """DNS rebinding: the name answers a public address when checked and 127.0.0.1 after that.

    The real stack must connect to the checked address and never ask again.
    """
    from infra.safe_fetch import safe_client

    resolver.table["www.rebinding-hotel.de"] = [[PUBLIC_IP], ["127.0.0.1"]]
    with safe_client() as client, pytest.raises(httpx.ConnectError):
        client.get("https://www.rebinding-hotel.de/rooms")
    assert resolver.calls == ["www.rebinding-hotel.de"]
    assert connections.attempts and set(connections.attempts) == {(PUBLIC_IP, 443)}


def test_a_pinned_request_keeps_the_host_header_and_the_tls_name(resolver):
    from infra.safe_fetch import safe_client

    resolver.table["www.rebinding-hotel.de"] = [[PUBLIC_IP], ["127.0.0.1"]]
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, text="<html></html>")

    with override_transport(httpx.MockTransport(answer)), safe_client() as client:
        response = client.get("https://www.rebinding-hotel.de/rooms?lang=en")
    (request,) = seen
    assert request.url.host == PUBLIC_IP and request.url.raw_path == b"/rooms?lang=en"
    assert request.headers["Host"] == "www.rebinding-hotel.de"
    assert request.extensions["sni_hostname"] == "www.rebinding-hotel.de"  # certificate checked for the name
    assert str(response.url) == "https://www.rebinding-hotel.de/rooms?lang=en"  # callers see the name
    assert resolver.calls == ["www.rebinding-hotel.de"]


@pytest.fixture
def tls_site(tmp_path):
    """An HTTPS server on 127.0.0.1 with a certificate for www.tls-hotel.de only; records the SNI names."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=www.tls-hotel.de"]
        + ["-addext", "subjectAltName=DNS:www.tls-hotel.de", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda connection, name, ctx: names.append(name)
    site = LoopbackSite({"/": (200, {}, "<html><title>TLS hotel</title></html>")}, tls=context)
    site.cert, site.sni_names = cert, names
    yield site
    site.close()


def test_tls_to_the_pinned_address_checks_the_certificate_for_the_name(monkeypatch, resolver, tls_site):
    """Pinning must not weaken TLS: the certificate is checked for the URL's name, not the address."""
    from infra import safe_fetch

    # this test's server is on loopback at a high port: let exactly that through the policy
    monkeypatch.setattr(safe_fetch, "address_is_public", lambda address: address.is_loopback)
    monkeypatch.setattr(safe_fetch, "ALLOWED_PORTS", (tls_site.port,))
    resolver.table["www.tls-hotel.de"] = ["127.0.0.1"]
    resolver.table["www.other-hotel.de"] = ["127.0.0.1"]  # same server, but not its certificate's name
    trusting = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(tls_site.cert)))

    with override_transport(trusting), safe_fetch.safe_client(retries=0) as client:
        response = client.get(f"https://www.tls-hotel.de:{tls_site.port}/")
        assert response.status_code == 200 and "TLS hotel" in response.text
        assert tls_site.sni_names == ["www.tls-hotel.de"]
        assert tls_site.requests == [("GET", "/", f"www.tls-hotel.de:{tls_site.port}")]
        with pytest.raises(httpx.ConnectError, match="(?i)certificate|hostname"):
            client.get(f"https://www.other-hotel.de:{tls_site.port}/")
    assert len(tls_site.requests) == 1  # the mismatched name got no request


def test_each_redirect_hop_is_checked_again(resolver):
    from infra.safe_fetch import UnsafeURL, safe_client

    resolver.table["www.hotel-lindenhof.de"] = [PUBLIC_IP]
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8899/internal"})

    refused = pytest.raises(UnsafeURL, match="127.0.0.1")
    with override_transport(httpx.MockTransport(answer)), safe_client() as client, refused:
        client.get("https://www.hotel-lindenhof.de/")
    assert [r.headers["Host"] for r in seen] == ["www.hotel-lindenhof.de"]  # the second hop never went out


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://www.hotel-lindenhof.de/", "http://[::1]/"])
def test_a_redirect_to_another_scheme_or_a_loopback_literal_is_refused(location, resolver):
    from infra.safe_fetch import UnsafeURL, safe_client

    resolver.table["www.hotel-lindenhof.de"] = [PUBLIC_IP]
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(301, headers={"Location": location})

    with override_transport(httpx.MockTransport(answer)), safe_client() as client, pytest.raises(UnsafeURL):
        client.get("https://www.hotel-lindenhof.de/")
    assert len(seen) == 1


def test_at_most_five_redirects_are_followed(resolver):
    from infra.safe_fetch import MAX_REDIRECTS, safe_client

    resolver.table["www.hotel-lindenhof.de"] = [PUBLIC_IP]
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(302, headers={"Location": f"/hop{len(seen)}"})

    too_many = pytest.raises(httpx.TooManyRedirects)
    with override_transport(httpx.MockTransport(answer)), safe_client() as client, too_many:
        client.get("https://www.hotel-lindenhof.de/")
    assert MAX_REDIRECTS == 5 and len(seen) == 1 + MAX_REDIRECTS
    assert resolver.calls == ["www.hotel-lindenhof.de"] * len(seen)  # resolved and checked on every hop


# --- webhooks ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "table"),
    [
        ("http://10.0.0.1/hook", {}),
        ("http://169.254.169.254/latest/meta-data/", {}),
        ("https://hooks.partner-crm.de/jengu", {"hooks.partner-crm.de": ["192.168.0.5"]}),
    ],
    ids=["private-literal", "metadata", "name-resolving-private"],
)
def test_a_webhook_delivery_to_a_non_public_host_is_refused_without_sending(url, table, resolver):
    from infra.webhooks_outbound import webhook_deliver

    resolver.table.update(table)
    # a row saved before the admin checked the address (objects.create skips validation)
    subscriber = WebhookSubscriber.objects.create(name="internal", url=url)
    delivery = WebhookDelivery.objects.create(subscriber=subscriber, event="email.sent", payload={"id": "x"})
    reached = []
    with override_transport(httpx.MockTransport(lambda request: reached.append(request) or httpx.Response(200))):
        outcome = webhook_deliver(delivery.pk)
    delivery.refresh_from_db()
    assert reached == [] and delivery.status == "retrying"
    assert "non-public" in delivery.error and outcome.startswith("retry")


@pytest.mark.django_db
def test_a_webhook_delivery_to_a_public_host_goes_to_the_checked_address(resolver):
    from infra.webhooks_outbound import webhook_deliver

    resolver.table["hooks.partner-crm.de"] = [PUBLIC_IP]
    subscriber = WebhookSubscriber.objects.create(name="partner", url="https://hooks.partner-crm.de/jengu?t=1")
    delivery = WebhookDelivery.objects.create(subscriber=subscriber, event="email.sent", payload={"id": "x"})
    reached = []
    with override_transport(httpx.MockTransport(lambda request: reached.append(request) or httpx.Response(204))):
        assert webhook_deliver(delivery.pk) == "delivered"
    (request,) = reached
    assert request.url.host == PUBLIC_IP and request.headers["Host"] == "hooks.partner-crm.de"


@pytest.mark.django_db
def test_a_webhook_receiver_redirecting_elsewhere_is_not_followed(resolver):
    from infra.webhooks_outbound import webhook_deliver

    resolver.table["hooks.partner-crm.de"] = [PUBLIC_IP]
    subscriber = WebhookSubscriber.objects.create(name="partner", url="https://hooks.partner-crm.de/jengu")
    delivery = WebhookDelivery.objects.create(subscriber=subscriber, event="email.sent", payload={"id": "x"})
    reached = []

    def answer(request):
        reached.append(request)
        return httpx.Response(307, headers={"Location": "http://127.0.0.1:8899/internal"})

    with override_transport(httpx.MockTransport(answer)):
        webhook_deliver(delivery.pk)
    delivery.refresh_from_db()
    assert len(reached) == 1 and delivery.error == "HTTP 307"


# --- input: API, admin, CSV import ------------------------------------------------------------


NON_PUBLIC_WEBSITES = [
    "http://10.0.0.1/",
    "http://192.168.1.20/",
    "http://169.254.169.254/",
    "http://[::1]/",
    "http://[fc00::1]/",
    "http://localhost/",
    "http://localhost:8000/",
    "https://intranet.local/",
    "https://metadata.google.internal/",
    "http://100.64.0.1/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("website", NON_PUBLIC_WEBSITES)
def test_the_api_refuses_non_public_websites_on_create_and_update(client, website):
    raw = write_key(None)
    response = api_post(client, raw, "/api/prospects", {"company_name": "Hotel X", "company_website": website})
    assert response.status_code == 422
    assert "names a non-public host" in response.json()["detail"][0]["msg"]

    prospect = Prospect.objects.create(company_name="Hotel Y", company_website="https://www.hotel-y.de/")
    response = client.patch(
        f"/api/prospects/{prospect.pk}",
        json.dumps({"company_website": website}),
        content_type="application/json",
        headers={"X-API-Key": raw},
    )
    assert response.status_code == 422 and "names a non-public host" in response.content.decode()
    prospect.refresh_from_db()
    assert prospect.company_website == "https://www.hotel-y.de/"


@pytest.mark.django_db
@pytest.mark.parametrize("website", ["ftp://www.hotel-y.de/", "https://www.hotel-y.de:8443/"])
def test_the_api_refuses_websites_the_fetcher_would_never_fetch(client, website):
    raw = write_key(None)
    response = api_post(client, raw, "/api/prospects", {"company_name": "Hotel X", "company_website": website})
    assert response.status_code == 422 and "company_website" in response.json()["detail"][0]["loc"]


@pytest.mark.django_db
def test_the_api_accepts_a_public_website_without_resolving_it(client):
    raw = write_key(None)  # no_real_dns: the name is checked at fetch time, not here
    response = api_post(
        client, raw, "/api/prospects", {"company_name": "Hotel Z", "company_website": "https://www.hotel-z.de/"}
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_the_admin_prospect_form_refuses_a_non_public_website(rf, admin_user):
    from django import forms
    from django.contrib import admin
    from django.forms.models import model_to_dict

    prospect = Prospect.objects.create(company_name="Hotel Bristol", company_website="https://www.bristol.de/")
    request = rf.get("/")
    request.user = admin_user
    form_class = admin.site._registry[Prospect].get_form(request, obj=prospect)

    def submit(**changes):
        data = model_to_dict(prospect, fields=form_class.base_fields)
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.JSONField):
                data[name] = json.dumps(data[name])
            elif data.get(name) is None:
                data[name] = ""
        return form_class(data={**data, **changes}, instance=prospect)

    assert submit(company_website="https://www.bristol-berlin.de/").is_valid()
    form = submit(company_website="http://10.0.0.1/")
    assert not form.is_valid()
    assert form.errors["company_website"] == [
        "website http://10.0.0.1/ names a non-public host (10.0.0.1 is not a public address)."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hook", "https://hooks.internal/jengu", "http://[::1]/"])
def test_the_admin_refuses_a_webhook_receiver_on_a_non_public_host(admin_client, url):
    response = admin_client.post(
        "/admin/infra/webhooksubscriber/add/",
        {"name": "internal", "url": url, "events": ["email.sent"], "active": "on"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "names a non-public host" in response.content.decode()
    assert not WebhookSubscriber.objects.filter(name="internal").exists()


@pytest.mark.django_db
def test_a_csv_import_drops_a_non_public_website_and_says_why():
    from prospects.imports import prospect_import_run

    content = (
        b"Company,City,Website\n"
        b"Hotel Intranet,Berlin,http://192.168.1.10/\n"
        b"Hotel Metadata,Berlin,169.254.169.254\n"
        b"Hotel Public,Berlin,www.hotel-public.de\n"
    )
    record = ProspectImport.objects.create(original_name="x.csv", file=ContentFile(content, name="x.csv"))
    record = prospect_import_run(prospect_import=record)
    reasons = {entry["row"]: entry.get("reason", "") for entry in record.report}
    assert Prospect.objects.get(company_name="Hotel Intranet").company_website == ""
    assert "website http://192.168.1.10/ names a non-public host" in reasons[2]
    assert Prospect.objects.get(company_name="Hotel Metadata").company_website == ""
    assert "non-public" in reasons[3]
    assert Prospect.objects.get(company_name="Hotel Public").company_website == "https://www.hotel-public.de"


# --- the setting ----------------------------------------------------------------------------------


def _check(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_INBOX_", "SAFE_FETCH_"))}
    environment.update(JENGU_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_private_hosts_cannot_be_allowed_without_debug(tmp_path):
    refused = _check(tmp_path, SAFE_FETCH_ALLOW_PRIVATE_HOSTS="1", DEBUG="0")
    assert refused.returncode != 0
    assert "SAFE_FETCH_ALLOW_PRIVATE_HOSTS" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    demo = _check(tmp_path, SAFE_FETCH_ALLOW_PRIVATE_HOSTS="1", DEBUG="1")
    assert demo.returncode == 0, demo.stderr


def test_the_demo_fetches_as_production_does(settings):
    """The demo's processes get no allowance: an SSRF attempt against `make demo` is refused too."""
    from jengu.management.commands.demo import Command

    command = Command()
    command.tick_seconds = 15.0
    for debug in (True, False):
        settings.DEBUG = debug
        for spec in command.services("127.0.0.1:8000"):
            assert "SAFE_FETCH_ALLOW_PRIVATE_HOSTS" not in (spec.env or {}), spec.label
