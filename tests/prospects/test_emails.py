"""The email finder: patterns, team pages, MillionVerifier and Hunter clients, the 30-day cache, find_email.

MillionVerifier answers come from tests/fixtures/millionverifier (the single-verification
API, https://developer.millionverifier.com/#operation/single-verification), Hunter's from
tests/fixtures/hunter (https://hunter.io/api-documentation/v2#email-finder), served through
``infra.http.override_transport``: no test touches the network.
"""

import datetime
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from constance import config

from infra.circuit import CircuitBreaker
from infra.http import http_client, override_transport
from prospects.email_patterns import email_patterns
from prospects.emails import (
    CATCH_ALL_SCORE_CAP,
    GuardedVerifier,
    default_verifier,
    find_email,
    verify_address,
)
from prospects.models import EmailVerification
from prospects.providers.base import ProviderError
from prospects.providers.hunter import HunterClient
from prospects.providers.millionverifier import AddressNotChecked, MillionVerifierClient
from prospects.providers.sandbox.verifier import SandboxVerifier
from prospects.team_pages import names_from_team_page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MV_KEY = "mv-test-key-4f1c9a"
HUNTER_KEY = "hunter-test-key-77b2"
NOW = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
DOMAIN = "harbourviewhotel.com"


def recorded(service: str, name: str) -> dict:
    return json.loads((FIXTURES / service / f"{name}.json").read_text())


def local_parts(candidates) -> list[str]:
    return [c.address.split("@")[0] for c in candidates]


class FakeMillionVerifier:
    """Answers each address with a recorded response: by address, then by "@domain", else ``default``."""

    def __init__(self):
        self.verdicts: dict[str, str] = {}
        self.default = "invalid"
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/v3/credits":
            return httpx.Response(200, json=recorded("millionverifier", "credits"))
        email = request.url.params["email"]
        name = self.verdicts.get(email) or self.verdicts.get("@" + email.split("@")[1]) or self.default
        return httpx.Response(200, json={**recorded("millionverifier", name), "email": email})

    @property
    def checked(self) -> list[str]:
        return [r.url.params["email"] for r in self.requests if r.url.path == "/api/v3/"]


class FakeHunter:
    def __init__(self):
        self.status, self.answer = 200, "email_finder"
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=recorded("hunter", self.answer))


@pytest.fixture(autouse=True)
def no_real_keys(settings):
    settings.MILLIONVERIFIER_API_KEY = ""
    settings.HUNTER_API_KEY = ""


@pytest.fixture
def services():
    mv, hunter = FakeMillionVerifier(), FakeHunter()

    def route(request: httpx.Request) -> httpx.Response:
        return (hunter if request.url.host == "api.hunter.io" else mv)(request)

    with override_transport(httpx.MockTransport(route)):
        yield SimpleNamespace(
            mv=mv,
            hunter=hunter,
            verifier=MillionVerifierClient(api_key=MV_KEY),
            hunter_client=HunterClient(api_key=HUNTER_KEY),
        )


# --- patterns ------------------------------------------------------------------------


def test_patterns_of_a_plain_name_follow_hotel_frequency_then_role_addresses():
    candidates = email_patterns("Sarah Johnson", DOMAIN)
    assert local_parts(candidates) == [
        "sarah.johnson",
        "sarah",
        "sjohnson",
        "sarahjohnson",
        "sarah_johnson",
        "sarahj",
        "s.johnson",
        "johnson.sarah",
        "johnson",
        "gm",
        "info",
    ]
    assert all(c.address.endswith("@harbourviewhotel.com") for c in candidates)
    assert [c.generic for c in candidates] == [False] * 9 + [True] * 2
    assert candidates[0].pattern == "first.last" and candidates[-1].pattern == "info"


@pytest.mark.parametrize(
    ("name", "first", "also"),
    [
        ("José Müller", "jose.muller", "jose.mueller"),  # the German spelling of ü as a later try
        ("Günther Weiß", "gunther.weiss", "guenther.weiss"),
        ("Søren Østergaard", "soren.ostergaard", "sostergaard"),
        ("Zoë Æbelø", "zoe.aebelo", "zaebelo"),
        ("Łukasz Wójcik", "lukasz.wojcik", "lwojcik"),
        ("Seán O'Brien", "sean.obrien", "sobrien"),
    ],
)
def test_accents_and_special_letters_are_transliterated(name, first, also):
    parts = local_parts(email_patterns(name, DOMAIN))
    assert parts[0] == first
    assert also in parts
    assert all(part.isascii() for part in parts)


def test_hyphenated_given_names_keep_the_hyphen_first_then_run_together():
    parts = local_parts(email_patterns("Jean-Pierre Dupont", "hotel-lutetia.fr"))
    assert parts[:4] == ["jean-pierre.dupont", "jeanpierre.dupont", "jean-pierre", "jeanpierre"]
    assert "jdupont" in parts and "jeanpierredupont" in parts
    assert "jean-pierredupont" not in parts  # run-together patterns drop the hyphen


def test_surname_particles_give_the_full_surname_then_its_last_word():
    parts = local_parts(email_patterns("Anne-Marie van der Berg", "hotelamstel.nl"))
    assert parts[:4] == [
        "anne-marie.vanderberg",
        "anne-marie.berg",
        "annemarie.vanderberg",
        "annemarie.berg",
    ]
    assert "avanderberg" in parts


def test_spanish_names_try_each_given_name_and_surname_reading():
    parts = local_parts(email_patterns("María José García López", "hotelarts.es"))
    assert parts[:4] == ["maria.garcia", "maria.lopez", "mariajose.garcia", "mariajose.lopez"]
    assert parts.index("mgarcia") < parts.index("garcia.maria")
    assert parts[-3:] == ["gm", "direccion", "info"]  # a Spanish domain: the director's mailbox in Spanish


def test_a_three_part_name_tries_the_last_word_then_the_middle_one():
    parts = local_parts(email_patterns("Juan García López", "hotelarts.es"))
    assert parts[:2] == ["juan.lopez", "juan.garcia"]
    assert local_parts(email_patterns("John F. Kennedy", DOMAIN))[0] == "john.kennedy"  # an initial is no surname


def test_a_single_name_gives_that_name_and_role_addresses_only():
    candidates = email_patterns("Madonna", DOMAIN)
    assert [(c.address, c.generic) for c in candidates] == [
        ("madonna@harbourviewhotel.com", False),
        ("gm@harbourviewhotel.com", True),
        ("info@harbourviewhotel.com", True),
    ]


@pytest.mark.parametrize(
    "written",
    ["Dr. Sarah Johnson", "Mrs Sarah Johnson", "Sarah Johnson Jr.", "Sarah Johnson III", "Sarah Johnson, CHA"]
    + ["Johnson, Sarah", "Prof. Dr. Sarah Johnson, PhD", "Sarah (Sally) Johnson", "  SARAH   JOHNSON "],
)
def test_honorifics_suffixes_nicknames_and_order_do_not_change_the_patterns(written):
    assert email_patterns(written, DOMAIN) == email_patterns("Sarah Johnson", DOMAIN)


def test_an_ambiguous_honorific_that_is_also_a_name_stays():
    assert local_parts(email_patterns("Don Johnson", DOMAIN))[0] == "don.johnson"
    assert local_parts(email_patterns("Don Miguel Ortega", "hotel.mx"))[0] == "miguel.ortega"


def test_without_a_name_only_role_addresses_in_the_domains_language():
    assert local_parts(email_patterns("", "hotel-adlon.de")) == ["gm", "direktion", "info"]
    assert local_parts(email_patterns("", "hotel-lutetia.fr")) == ["gm", "direction", "info"]
    assert all(c.generic for c in email_patterns("", DOMAIN))
    assert not any(c.pattern in {"reservations", "sales"} for c in email_patterns("Sarah Johnson", DOMAIN))


def test_the_domain_is_taken_from_a_url():
    candidates = email_patterns("Sarah Johnson", "https://www.HarbourViewHotel.com/en/contact")
    assert candidates[0].address == "sarah.johnson@harbourviewhotel.com"
    assert email_patterns("Sarah Johnson", "") == []


# --- team pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Sarah Johnson, General Manager</p>", ("Sarah Johnson", "General Manager")),
        ("<p>General Manager: Sarah Johnson</p>", ("Sarah Johnson", "General Manager")),
        ("<p>Meet Sarah Johnson, our General Manager, and her team.</p>", ("Sarah Johnson", "General Manager")),
        ("<p>Our General Manager Sarah Johnson welcomes you.</p>", ("Sarah Johnson", "General Manager")),
        (
            '<div class="card"><h3>Sarah <b>Johnson</b></h3><p class="role">General Manager</p></div>',
            ("Sarah Johnson", "General Manager"),
        ),
        ("<li><span>SARAH JOHNSON</span><span>GM</span></li>", ("Sarah Johnson", "GM")),
        # German
        ("<p>Ihr Gastgeber: Thomas Müller, Hoteldirektor</p>", ("Thomas Müller", "Hoteldirektor")),
        ("<p>Direktorin: Anna Schmidt</p>", ("Anna Schmidt", "Direktorin")),
        ("<p>Geschäftsführerin Dr. Anna Schmidt</p>", ("Anna Schmidt", "Geschäftsführerin")),
        # French
        ("<p>Directeur général : Jean-Pierre Martin</p>", ("Jean-Pierre Martin", "Directeur général")),
        ("<p>Marie Dupont – Directrice Générale</p>", ("Marie Dupont", "Directrice Générale")),
        ("<p>Jean Martin, directeur de l'hôtel</p>", ("Jean Martin", "directeur de l'hôtel")),
        # Spanish, Italian
        ("<p>Ana García López, Directora General</p>", ("Ana García López", "Directora General")),
        ("<p>Luca Rossi (Direttore Generale)</p>", ("Luca Rossi", "Direttore Generale")),
    ],
)
def test_a_managers_name_is_read_from_team_page_text(html, expected):
    assert names_from_team_page(html)[0] == expected


def test_schema_org_people_are_read_from_json_ld_and_microdata():
    html = """
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "Hotel",
      "employee": [{"@type": "Person", "name": "Eve Adams", "jobTitle": "Spa Director"},
                   {"@type": "Person", "name": "Dr. Klaus van der Berg", "jobTitle": "General Manager"}]}</script>
    <div itemscope itemtype="https://schema.org/Person">
      <span itemprop="name">Luca Rossi</span><span itemprop="jobTitle">Hotel Manager</span>
    </div>
    """
    assert names_from_team_page(html) == [("Klaus van der Berg", "General Manager"), ("Luca Rossi", "Hotel Manager")]


def test_general_managers_come_before_hotel_managers_and_owners():
    html = """
    <p>Peter Brandt, Inhaber</p>
    <p>Tom Lee, Hotel Manager</p>
    <p>Sarah Johnson, General Manager</p>
    """
    assert [name for name, _ in names_from_team_page(html)] == ["Sarah Johnson", "Tom Lee", "Peter Brandt"]


@pytest.mark.parametrize(
    "html",
    [
        "<p>Tom Lee, Assistant General Manager</p>",
        "<p>Executive Assistant to the General Manager: Kim Park</p>",
        "<p>Stellvertretende Hoteldirektorin: Anna Schmidt</p>",
        "<p>Directeur général adjoint : Luc Besson</p>",
        "<p>Directeur commercial : Paul Durand</p>",
        "<p>Paul Smith, F&amp;B Director</p><p>Ruth Jones, Director of Sales</p>",
        "<h2>Our Team</h2><p>Welcome to the Harbour View Hotel</p>",
        "<script>var gm = 'Sarah Johnson, General Manager';</script>",
        "",
    ],
)
def test_deputies_other_departments_and_scripts_are_not_the_manager(html):
    assert names_from_team_page(html) == []


# --- MillionVerifier -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "result", "quality", "score", "credits_used"),
    [
        ("ok", "ok", "good", 0.98, 1),
        ("ok_risky", "ok", "risky", 0.75, 1),
        ("catch_all", "catch_all", "risky", 0.5, 0),  # MillionVerifier does not bill catch-all or unknown
        ("unknown", "unknown", "risky", 0.3, 0),
        ("invalid", "invalid", "bad", 0.0, 1),
        ("disposable", "disposable", "bad", 0.0, 1),
    ],
)
def test_millionverifier_reads_each_result_type(services, fixture, result, quality, score, credits_used):
    services.mv.default = fixture
    verification = services.verifier.verify("sarah.johnson@harbourviewhotel.com")

    (request,) = services.mv.requests
    assert (request.method, request.url.scheme, request.url.host, request.url.path) == (
        "GET",
        "https",
        "api.millionverifier.com",
        "/api/v3/",
    )
    assert dict(request.url.params) == {"api": MV_KEY, "email": "sarah.johnson@harbourviewhotel.com", "timeout": "10"}
    recorded_answer = recorded("millionverifier", fixture)
    assert (verification.result, verification.quality, verification.score) == (result, quality, score)
    assert verification.resultcode == recorded_answer["resultcode"]
    assert verification.role == recorded_answer["role"]
    assert verification.credits_left == recorded_answer["credits"]
    assert verification.credits_used == credits_used
    assert verification.provider == "millionverifier"
    assert MV_KEY not in json.dumps(verification.raw)


def test_millionverifier_timeout_is_kept_within_the_services_range(services):
    services.mv.default = "ok"
    services.verifier.verify("a.b@harbourviewhotel.com", timeout=300)
    services.verifier.verify("a.b@harbourviewhotel.com", timeout=0)
    assert [r.url.params["timeout"] for r in services.mv.requests] == ["60", "2"]


def test_an_account_refusal_arrives_as_http_200_and_raises_without_the_key(services):
    services.mv.default = "error"
    with pytest.raises(ProviderError, match="Apikey not found") as caught:
        services.verifier.verify("sarah.johnson@harbourviewhotel.com")
    assert not isinstance(caught.value, AddressNotChecked)
    assert MV_KEY not in str(caught.value)


def test_an_address_the_service_could_not_check_is_its_own_error(services):
    services.mv.default = "address_error"
    with pytest.raises(AddressNotChecked, match="sarah.johnson@harbourviewhotel.com"):
        services.verifier.verify("sarah.johnson@harbourviewhotel.com")


def test_http_and_network_failures_raise_without_the_key():
    def failing(request):
        if request.url.params["email"].startswith("down"):
            raise httpx.ConnectError(f"could not reach {request.url}", request=request)
        return httpx.Response(502, text=f"bad gateway for {request.url}")

    with override_transport(httpx.MockTransport(failing)):
        client = MillionVerifierClient(
            api_key=MV_KEY, client=http_client(base_url=MillionVerifierClient.base_url, retries=0)
        )
        with pytest.raises(ProviderError, match="HTTP 502") as http_error:
            client.verify("sarah.johnson@harbourviewhotel.com")
        with pytest.raises(ProviderError, match="ConnectError") as network_error:
            client.verify("down@harbourviewhotel.com")
    assert MV_KEY not in str(http_error.value) and MV_KEY not in str(network_error.value)
    # httpx's own exception, whose text holds the URL, is not chained into the traceback
    assert network_error.value.__cause__ is None and network_error.value.__suppress_context__


def test_the_request_log_line_does_not_show_the_key(services, caplog):
    services.mv.default = "ok"
    with caplog.at_level(logging.INFO, logger="httpx"):
        services.verifier.verify("sarah.johnson@harbourviewhotel.com")
    assert "api.millionverifier.com" in caplog.text
    assert MV_KEY not in caplog.text


def test_millionverifier_credits(services):
    assert services.verifier.credits() == 9987
    (request,) = services.mv.requests
    assert request.url.path == "/api/v3/credits" and dict(request.url.params) == {"api": MV_KEY}


# --- the sandbox twin ----------------------------------------------------------------


def test_sandbox_twin_answers_by_rule_and_counts_credits_like_the_real_service():
    twin = SandboxVerifier(catch_all_share=0)
    verdicts = {
        address: twin.verify(address)
        for address in [
            "sarah.johnson@harbourviewhotel.com",
            "info@harbourviewhotel.com",
            "sjohnson@harbourviewhotel.com",
            "sarah.johnson@grand-catchall-hotel.com",
            "sarah.johnson@greylist-inn.com",
            "frontdesk@mailinator.com",
            "not an address",
        ]
    }
    assert [(v.result, v.quality, v.score) for v in verdicts.values()] == [
        ("ok", "good", 0.98),
        ("ok", "risky", 0.75),
        ("invalid", "bad", 0.0),
        ("catch_all", "risky", 0.5),
        ("unknown", "risky", 0.3),
        ("disposable", "bad", 0.0),
        ("invalid", "bad", 0.0),
    ]
    assert all(v.provider == "sandbox" and v.raw["livemode"] is False for v in verdicts.values())
    assert twin.calls == 7 and twin.credits_spent == 5  # catch_all and unknown are free
    assert twin.credits() == 10_000 - 5
    assert (
        SandboxVerifier().verify("sarah.johnson@harbourviewhotel.com") == verdicts["sarah.johnson@harbourviewhotel.com"]
    )  # deterministic


def test_sandbox_twin_makes_a_stable_share_of_domains_catch_all():
    twin = SandboxVerifier(catch_all_share=0.1)
    domains = [f"hotel{i}.example" for i in range(400)]
    catch_all = [d for d in domains if twin.is_catch_all(d)]
    assert 20 <= len(catch_all) <= 60
    assert catch_all == [d for d in domains if SandboxVerifier(catch_all_share=0.1).is_catch_all(d)]


# --- the 30-day cache ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_check_is_saved_and_reused_for_30_days_then_made_again(services):
    services.mv.default = "ok"
    first = verify_address("Sarah.Johnson@harbourviewhotel.com", verifier=services.verifier, now=NOW)
    assert first.reused is False
    row = EmailVerification.objects.get()
    assert (row.address, row.result, row.quality, row.score) == (
        "sarah.johnson@harbourviewhotel.com",
        "ok",
        "good",
        0.98,
    )
    assert (row.provider, row.credits_used, row.checked_at) == ("millionverifier", 1, NOW)
    assert row.raw["resultcode"] == 1

    again = verify_address(
        "sarah.johnson@harbourviewhotel.com", verifier=services.verifier, now=NOW + datetime.timedelta(days=29)
    )
    assert again.reused is True and again.pk == row.pk
    assert len(services.mv.requests) == 1

    later = NOW + datetime.timedelta(days=31)
    rechecked = verify_address("sarah.johnson@harbourviewhotel.com", verifier=services.verifier, now=later)
    assert rechecked.reused is False
    assert len(services.mv.requests) == 2
    assert EmailVerification.objects.get().checked_at == later


@pytest.mark.django_db
def test_an_unknown_verdict_is_asked_again_the_next_day(services):
    services.mv.default = "unknown"
    verify_address("sarah.johnson@casadelmar.es", verifier=services.verifier, now=NOW)
    verify_address("sarah.johnson@casadelmar.es", verifier=services.verifier, now=NOW + datetime.timedelta(hours=12))
    assert len(services.mv.requests) == 1
    verify_address("sarah.johnson@casadelmar.es", verifier=services.verifier, now=NOW + datetime.timedelta(days=2))
    assert len(services.mv.requests) == 2


@pytest.mark.django_db
def test_a_sandbox_verdict_is_never_taken_for_a_real_one(services):
    verify_address("sarah.johnson@harbourviewhotel.com", verifier=SandboxVerifier(), now=NOW)
    services.mv.default = "invalid"
    row = verify_address("sarah.johnson@harbourviewhotel.com", verifier=services.verifier, now=NOW)
    assert row.reused is False and (row.provider, row.result) == ("millionverifier", "invalid")
    assert EmailVerification.objects.count() == 1


# --- find_email ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_search_stops_at_the_first_verified_pattern(services):
    services.mv.verdicts = {"sjohnson@harbourviewhotel.com": "ok", "sarah@harbourviewhotel.com": "disposable"}
    finding = find_email(name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, threshold=0.9, now=NOW)

    assert services.mv.checked == [
        "sarah.johnson@harbourviewhotel.com",
        "sarah@harbourviewhotel.com",
        "sjohnson@harbourviewhotel.com",
    ]
    assert finding.email == "sjohnson@harbourviewhotel.com"
    assert (finding.verified, finding.catch_all, finding.generic) == (True, False, False)
    assert (finding.result, finding.score, finding.source, finding.pattern) == ("ok", 0.98, "pattern", "flast")
    assert finding.tried == services.mv.checked
    assert (finding.credits_used, finding.verifier_calls) == (3, 3)
    assert EmailVerification.objects.count() == 3


@pytest.mark.django_db
def test_the_threshold_is_the_live_setting(services):
    services.mv.default = "ok"
    assert find_email(name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, now=NOW).verified

    config.EMAIL_VERIFICATION_THRESHOLD = 0.99
    finding = find_email(name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, now=NOW)
    # the mailbox exists, but below the bar: unverified, and no credits spent on the other patterns
    assert (finding.email, finding.verified, finding.score) == ("sarah.johnson@harbourviewhotel.com", False, 0.98)
    assert len(services.mv.checked) == 1  # the second run reused the cached check


@pytest.mark.django_db
def test_a_catch_all_domain_is_flagged_never_verified_and_costs_one_check(services):
    services.mv.default = "catch_all"
    finding = find_email(name="Sarah Johnson", domain="grandalpina.ch", verifier=services.verifier, now=NOW)

    assert services.mv.checked == ["sarah.johnson@grandalpina.ch"]
    assert finding.email == "sarah.johnson@grandalpina.ch"  # the likeliest pattern
    assert finding.catch_all and not finding.verified and not finding.generic
    assert finding.result == "catch_all" and finding.score <= CATCH_ALL_SCORE_CAP
    assert finding.credits_used == 0  # MillionVerifier does not bill a catch-all answer


@pytest.mark.django_db
def test_a_server_that_will_not_say_ends_the_search_after_two_unknowns(services):
    services.mv.default = "unknown"
    finding = find_email(name="Sarah Johnson", domain="casadelmar.es", verifier=services.verifier, now=NOW)
    assert len(services.mv.checked) == 2
    assert (finding.email, finding.result, finding.verified, finding.score) == (
        "sarah.johnson@casadelmar.es",
        "unknown",
        False,
        0.3,
    )


@pytest.mark.django_db
def test_a_second_run_within_30_days_spends_nothing(services):
    services.mv.verdicts = {"sjohnson@harbourviewhotel.com": "ok"}
    first = find_email(name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, threshold=0.9, now=NOW)
    second = find_email(
        name="Sarah Johnson",
        domain=DOMAIN,
        verifier=services.verifier,
        threshold=0.9,
        now=NOW + datetime.timedelta(days=10),
    )
    assert len(services.mv.checked) == 3
    assert second.email == first.email and second.verified
    assert (second.credits_used, second.verifier_calls) == (0, 0)
    assert second.tried == first.tried


@pytest.mark.django_db
def test_hunter_is_asked_when_no_pattern_verifies_and_its_answer_is_verified(services):
    services.mv.verdicts = {"liz.johnson@harbourviewhotel.com": "ok"}
    finding = find_email(
        name="Elizabeth Johnson",
        domain=DOMAIN,
        verifier=services.verifier,
        hunter=services.hunter_client,
        threshold=0.9,
        now=NOW,
    )
    (request,) = services.hunter.requests
    assert (request.url.host, request.url.path) == ("api.hunter.io", "/v2/email-finder")
    assert dict(request.url.params) == {"domain": DOMAIN, "first_name": "Elizabeth", "last_name": "Johnson"}
    assert request.headers["X-API-KEY"] == HUNTER_KEY and HUNTER_KEY not in str(request.url)

    assert finding.email == "liz.johnson@harbourviewhotel.com"
    assert (finding.source, finding.verified, finding.generic) == ("hunter", True, False)
    assert finding.tried[-1] == "liz.johnson@harbourviewhotel.com" and len(finding.tried) == 10
    assert finding.credits_used == 10  # nine invalid patterns and Hunter's answer


@pytest.mark.django_db
def test_hunter_is_not_asked_when_a_pattern_verifies(services):
    services.mv.default = "ok"
    find_email(name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, hunter=services.hunter_client, now=NOW)
    assert services.hunter.requests == []


@pytest.mark.django_db
def test_on_a_catch_all_domain_hunters_answer_is_preferred_but_still_not_verified(services):
    services.mv.default = "catch_all"
    finding = find_email(
        name="Elizabeth Johnson", domain=DOMAIN, verifier=services.verifier, hunter=services.hunter_client, now=NOW
    )
    assert services.mv.checked == ["elizabeth.johnson@harbourviewhotel.com", "liz.johnson@harbourviewhotel.com"]
    assert (finding.email, finding.source) == ("liz.johnson@harbourviewhotel.com", "hunter")
    assert finding.catch_all and not finding.verified and finding.score <= CATCH_ALL_SCORE_CAP


@pytest.mark.django_db
def test_role_addresses_are_the_last_resort_and_marked_generic(services):
    services.hunter.answer = "email_finder_not_found"
    services.mv.verdicts = {"info@harbourviewhotel.com": "ok_risky"}
    finding = find_email(
        name="Sarah Johnson",
        domain=DOMAIN,
        verifier=services.verifier,
        hunter=services.hunter_client,
        threshold=0.9,
        now=NOW,
    )
    assert services.mv.checked[-2:] == ["gm@harbourviewhotel.com", "info@harbourviewhotel.com"]
    assert len(services.hunter.requests) == 1
    assert (finding.email, finding.generic, finding.verified, finding.pattern) == (
        "info@harbourviewhotel.com",
        True,
        False,  # an ok the service hedges on (a role address) stays below the bar
        "info",
    )
    assert finding.source == "role" and finding.credits_used == 11


@pytest.mark.django_db
def test_a_hunter_outage_only_skips_hunter(services, caplog):
    services.hunter.status, services.hunter.answer = 401, "unauthorized"
    services.mv.verdicts = {"gm@harbourviewhotel.com": "ok"}
    finding = find_email(
        name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, hunter=services.hunter_client, now=NOW
    )
    assert (finding.email, finding.generic, finding.verified) == ("gm@harbourviewhotel.com", True, True)
    assert "No user found for the API key supplied" in caplog.text
    assert HUNTER_KEY not in caplog.text


@pytest.mark.django_db
def test_without_a_name_only_role_addresses_are_tried(services):
    services.mv.verdicts = {"info@harbourviewhotel.com": "ok"}
    finding = find_email(name="", domain=DOMAIN, verifier=services.verifier, threshold=0.9, now=NOW)
    assert services.mv.checked == ["gm@harbourviewhotel.com", "info@harbourviewhotel.com"]
    assert (finding.email, finding.generic, finding.verified, finding.score) == (
        "info@harbourviewhotel.com",
        True,
        True,
        0.98,
    )


@pytest.mark.django_db
def test_on_a_catch_all_domain_without_a_name_info_is_kept(services):
    services.mv.default = "catch_all"
    finding = find_email(name="", domain="grandalpina.ch", verifier=services.verifier, now=NOW)
    assert services.mv.checked == ["gm@grandalpina.ch"]
    assert (finding.email, finding.generic, finding.catch_all, finding.verified) == (
        "info@grandalpina.ch",
        True,
        True,
        False,
    )


@pytest.mark.django_db
def test_nothing_deliverable_is_an_empty_finding_with_its_cost(services):
    finding = find_email(name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, now=NOW)
    assert finding.email == "" and not finding.verified and finding.source == ""
    assert len(finding.tried) == 11 and finding.credits_used == 11


@pytest.mark.django_db
def test_the_name_is_read_from_the_team_page_when_none_is_known(services):
    services.mv.default = "ok"
    page = "<h2>Unser Team</h2><p>Ihr Gastgeber: Thomas Müller, Hoteldirektor</p>"
    finding = find_email(name="", domain="hotel-adler.de", team_page_html=page, verifier=services.verifier, now=NOW)
    assert finding.name == "Thomas Müller"
    assert finding.email == "thomas.muller@hotel-adler.de" and finding.verified


@pytest.mark.django_db
def test_an_address_the_service_could_not_check_is_skipped(services):
    services.mv.verdicts = {"sarah.johnson@harbourviewhotel.com": "address_error", "sarah@harbourviewhotel.com": "ok"}
    finding = find_email(name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, now=NOW)
    assert finding.email == "sarah@harbourviewhotel.com" and finding.verified
    assert finding.tried == ["sarah.johnson@harbourviewhotel.com", "sarah@harbourviewhotel.com"]
    assert finding.verifier_calls == 2 and finding.credits_used == 1
    assert not EmailVerification.objects.filter(address="sarah.johnson@harbourviewhotel.com").exists()


@pytest.mark.django_db
def test_a_verifier_outage_propagates_and_keeps_the_checks_already_made(services):
    services.mv.verdicts = {"sarah.johnson@harbourviewhotel.com": "invalid", "sarah@harbourviewhotel.com": "error"}
    with pytest.raises(ProviderError, match="Apikey not found"):
        find_email(name="Sarah Johnson", domain=DOMAIN, verifier=services.verifier, now=NOW)
    assert list(EmailVerification.objects.values_list("address", flat=True)) == ["sarah.johnson@harbourviewhotel.com"]


@pytest.mark.django_db
def test_one_unverifiable_address_does_not_open_the_verifiers_circuit(services):
    services.mv.default = "address_error"
    breaker = CircuitBreaker("verifier:millionverifier", failure_threshold=2)
    guarded = GuardedVerifier(services.verifier, breaker)
    for _ in range(3):
        with pytest.raises(AddressNotChecked):
            guarded.verify("sarah.johnson@harbourviewhotel.com")
    assert breaker.state() == "closed"
    services.mv.default = "error"
    for _ in range(2):
        with pytest.raises(ProviderError):
            guarded.verify("sarah.johnson@harbourviewhotel.com")
    assert breaker.state() == "open"


@pytest.mark.django_db
def test_the_default_verifier_is_the_sandbox_twin_without_a_key_and_millionverifier_with_one(settings):
    sandbox = default_verifier()
    assert isinstance(sandbox.verifier, SandboxVerifier) and sandbox.breaker.key == "verifier:millionverifier"
    finding = find_email(name="Sarah Johnson", domain="harbourviewhotel.example", now=NOW)  # live threshold, twin
    assert (finding.email, finding.verified, finding.credits_used) == (
        "sarah.johnson@harbourviewhotel.example",
        True,
        1,
    )
    assert EmailVerification.objects.get().provider == "sandbox"

    settings.MILLIONVERIFIER_API_KEY = MV_KEY
    real = default_verifier()
    assert isinstance(real.verifier, MillionVerifierClient) and real.provider == "millionverifier"


def test_hunter_says_none_when_it_knows_no_address_and_raises_on_errors(services):
    services.hunter.answer = "email_finder_not_found"
    assert services.hunter_client.find(DOMAIN, "Sarah", "Johnson") is None
    services.hunter.status = 404
    assert services.hunter_client.find(DOMAIN, "Sarah", "Johnson") is None
    services.hunter.status, services.hunter.answer = 401, "unauthorized"
    with pytest.raises(ProviderError, match="HTTP 401: No user found") as caught:
        services.hunter_client.find(DOMAIN, "Sarah", "Johnson")
    assert HUNTER_KEY not in str(caught.value)
    services.hunter.status, services.hunter.answer = 200, "email_finder"
    found = services.hunter_client.find(DOMAIN, "Elizabeth", "Johnson")
    assert (found.email, found.score, found.status, found.sources) == (
        "liz.johnson@harbourviewhotel.com",
        91,
        "valid",
        2,
    )
