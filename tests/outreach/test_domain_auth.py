"""Sending-domain authentication (outreach.services.domain_auth) against a DNS server on 127.0.0.1.

Every query goes to tests/dns_server.py's dnslib server (or to a socket that never
answers, for the timeout): DNS_NAMESERVERS / DNS_PORT point the product's resolver at
it, and nothing is resolved anywhere else. The records follow what operators publish
(RFC 7208 SPF, RFC 6376 DKIM key records, RFC 7489 DMARC; Resend's documented
``send.<domain>`` SPF with include:amazonses.com and its ``resend._domainkey`` key).
"""

import base64
import datetime
import io
import random

import pytest
from constance import config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from infra.models import Alert, Event
from outreach.models import Email, EmailStatus, InboxState, SendDecision, SendingDomain, Sequence
from outreach.selectors import inboxes_due, sending_domains_held
from outreach.services.dns_checks import FAIL, PASS, SKIPPED, UNKNOWN, WARN
from outreach.services.domain_auth import domain_check, domain_check_queue
from outreach.services.inboxes import inbox_pause
from outreach.services.sending import Pacing, sender_run
from prospects.models import ProspectStage
from tests.dns_server import LocalDnsServer, SilentDnsServer
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import RecordingSink

pytestmark = pytest.mark.django_db

DOMAIN = "jengu.test"
SMTP_HOST = "smtp.mailhost.test"
NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0)


def rsa_key(bits: int) -> str:
    """A DKIM p= value: an RSA public key of ``bits`` (a public modulus is all a key record carries)."""
    modulus = (1 << (bits - 1)) | random.Random(bits).getrandbits(bits - 1) | 1
    public = rsa.RSAPublicNumbers(65537, modulus).public_key()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def txt(text: str) -> str:
    """A TXT value in zone syntax, split into the 255-byte strings DNS carries."""
    return " ".join(f'"{text[i : i + 255]}"' for i in range(0, len(text), 255))


def dkim(bits: int = 2048) -> str:
    return txt(f"v=DKIM1; k=rsa; p={rsa_key(bits)}")


GOOD = {
    "spf": f'{DOMAIN}. TXT "v=spf1 include:_spf.mailhost.test -all"',
    "provider_spf": '_spf.mailhost.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"',
    "smtp": f"{SMTP_HOST}. A 192.0.2.30",
    "mx": f"{DOMAIN}. MX 10 mx.mailhost.test.",
    "mx_host": "mx.mailhost.test. A 192.0.2.25",
    "dkim": f"s1._domainkey.{DOMAIN}. TXT {dkim(2048)}",
    "dmarc": f'_dmarc.{DOMAIN}. TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@{DOMAIN}"',
}


def zone(**changes) -> str:
    """The good records with some replaced (a string) or removed (None)."""
    records = {**GOOD, **changes}
    return "\n".join(record for record in records.values() if record)


@pytest.fixture(scope="module")
def dns_server():
    with LocalDnsServer() as server:
        yield server


@pytest.fixture
def dns(settings, dns_server):
    """The product's resolver asks the local server only; no ESP, no DQS key, production (no sandbox)."""
    settings.DNS_NAMESERVERS = [dns_server.address]
    settings.DNS_PORT = dns_server.port
    settings.DNS_TIMEOUT = 2.0
    settings.DEBUG = False
    settings.RESEND_API_KEY = settings.SENDGRID_API_KEY = settings.SPAMHAUS_DQS_KEY = ""
    settings.ALERT_WEBHOOK_URL = ""
    dns_server.load(zone())
    return dns_server


@pytest.fixture
def inbox(db):
    return InboxFactory(email=f"edd@{DOMAIN}", smtp_host=SMTP_HOST, dkim_selectors="s1")


def verdicts(report) -> dict[str, str]:
    return {name: check.verdict for name, check in report.checks.items()}


# --- the checks ------------------------------------------------------------------------------


def test_good_records_pass_every_check_and_are_stored_with_the_time(dns, inbox):
    report = domain_check(domain=DOMAIN)
    assert verdicts(report) == {"spf": PASS, "dkim": PASS, "dmarc": PASS, "mx": PASS, "blocklist": SKIPPED}
    assert report.state == SendingDomain.State.OK and report.failure_reason == ""
    row = SendingDomain.objects.get(domain=DOMAIN)
    assert row.state == SendingDomain.State.OK and row.last_checked_at == row.last_passed_at == report.checked_at
    assert row.records["spf"][DOMAIN]["record"] == "v=spf1 include:_spf.mailhost.test -all"
    assert row.records["spf"][DOMAIN]["dns_lookups"] == 1
    assert row.records["spf"][f"{SMTP_HOST} evaluated"] == "192.0.2.30 pass"
    assert row.records["dmarc"][f"_dmarc.{DOMAIN}"].startswith("v=DMARC1; p=quarantine")
    assert row.records["mx"][DOMAIN] == ["10 mx.mailhost.test"]
    assert row.records["dkim"][f"s1._domainkey.{DOMAIN}"].startswith("v=DKIM1; k=rsa; p=")
    assert sending_domains_held() == {}
    assert all(name.endswith(".test") for name, _ in dns.queries)  # every name asked was the local zone's


ELEVEN_INCLUDES = " ".join(f"include:i{n}.mailhost.test" for n in range(11))
SINGLE_FAILURES = {
    "no SPF record": ({"spf": None}, "spf", "no SPF record at jengu.test"),
    "SPF not including the provider": (
        {"spf": f'{DOMAIN}. TXT "v=spf1 ip4:198.51.100.0/24 -all"'},
        "spf",
        "SPF does not authorise smtp.mailhost.test (192.0.2.30: fail)",
    ),
    "SPF softfail for the provider's address": (
        {"spf": f'{DOMAIN}. TXT "v=spf1 ip4:198.51.100.0/24 ~all"'},
        "spf",
        "SPF does not authorise smtp.mailhost.test (192.0.2.30: softfail)",
    ),
    "more than 10 SPF lookups": (
        {
            "spf": f"{DOMAIN}. TXT {txt(f'v=spf1 {ELEVEN_INCLUDES} include:_spf.mailhost.test -all')}",
            **{f"i{n}": f'i{n}.mailhost.test. TXT "v=spf1 ip4:198.51.100.{n} -all"' for n in range(11)},
        },
        "spf",
        "SPF at jengu.test needs 12 DNS lookups; receivers stop at 10",
    ),
    "no DKIM key at the selector": ({"dkim": None}, "dkim", "no DKIM key at selector s1 (s1._domainkey.jengu.test"),
    "a 512-bit DKIM key": (
        {"dkim": f"s1._domainkey.{DOMAIN}. TXT {dkim(512)}"},
        "dkim",
        "DKIM key at s1._domainkey.jengu.test is 512 bits: receivers ignore keys under 1024",
    ),
    "a revoked DKIM key": (
        {"dkim": f's1._domainkey.{DOMAIN}. TXT "v=DKIM1; k=rsa; p="'},
        "dkim",
        "the key is revoked (empty p=)",
    ),
    "no DMARC record": ({"dmarc": None}, "dmarc", "no DMARC record at _dmarc.jengu.test"),
    "no MX": ({"mx": None}, "mx", "no MX record for jengu.test"),
    "a null MX": ({"mx": f"{DOMAIN}. MX 0 ."}, "mx", "jengu.test publishes a null MX"),
}


@pytest.mark.parametrize("changes, check, reason", SINGLE_FAILURES.values(), ids=SINGLE_FAILURES.keys())
def test_each_single_failure_fails_its_check_alone_and_holds_the_domain(dns, inbox, changes, check, reason):
    dns.load(zone(**changes))
    report = domain_check(domain=DOMAIN)
    expected = {"spf": PASS, "dkim": PASS, "dmarc": PASS, "mx": PASS, "blocklist": SKIPPED, check: FAIL}
    assert verdicts(report) == expected
    assert any(reason in failure for failure in report.checks[check].failures), report.checks[check].failures
    row = SendingDomain.objects.get(domain=DOMAIN)
    assert row.state == SendingDomain.State.FAILING and reason in row.failure_reason and row.last_passed_at is None
    assert reason in sending_domains_held()[DOMAIN]


def test_a_1024_bit_key_passes_with_a_warning_and_2048_is_recommended(dns, inbox):
    dns.load(zone(dkim=f"s1._domainkey.{DOMAIN}. TXT {dkim(1024)}"))
    report = domain_check(domain=DOMAIN)
    assert report.checks["dkim"].verdict == WARN and report.state == SendingDomain.State.OK
    assert report.checks["dkim"].warnings == ["DKIM key at s1._domainkey.jengu.test is 1024 bits: 2048 recommended"]


def test_an_ed25519_key_is_accepted(dns, inbox):
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    dns.load(zone(dkim=f's1._domainkey.{DOMAIN}. TXT "v=DKIM1; k=ed25519; p={base64.b64encode(raw).decode()}"'))
    assert domain_check(domain=DOMAIN).checks["dkim"].verdict == PASS


def test_a_cname_to_the_provider_s_key_is_followed(dns, inbox):
    dns.load(
        zone(dkim=f"s1._domainkey.{DOMAIN}. CNAME s1.keys.mailhost.test.")
        + f"\ns1.keys.mailhost.test. TXT {dkim(2048)}"
    )
    assert domain_check(domain=DOMAIN).checks["dkim"].verdict == PASS


def test_without_configured_selectors_one_of_dkim_selectors_must_have_a_key(dns, inbox, settings):
    inbox.dkim_selectors = ""
    inbox.save()
    settings.DKIM_SELECTORS = ["google", "s1"]
    assert domain_check(domain=DOMAIN).checks["dkim"].verdict == PASS
    dns.load(zone(dkim=None))
    failures = domain_check(domain=DOMAIN).checks["dkim"].failures
    assert failures == [
        "no DKIM key at any of the selectors google, s1 of jengu.test (SMTP smtp.mailhost.test): "
        "set the inbox's DKIM selectors to the one your server signs with"
    ]


def test_dmarc_p_reject_with_neither_identifier_aligned_fails(dns, inbox):
    """The server signs as mailhost.test and bounces to bounce.mailhost.test: both authenticate, neither
    is the From domain, and the policy is strict and reject: receivers reject the mail."""
    inbox.dkim_domain, inbox.return_path_domain = "mailhost.test", "bounce.mailhost.test"
    inbox.save()
    dns.load(
        zone(dmarc=f'_dmarc.{DOMAIN}. TXT "v=DMARC1; p=reject; adkim=s; aspf=s"', dkim=None)
        + '\nbounce.mailhost.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"'
        + f"\ns1._domainkey.mailhost.test. TXT {dkim(2048)}"
    )
    report = domain_check(domain=DOMAIN)
    assert verdicts(report) == {"spf": PASS, "dkim": PASS, "dmarc": FAIL, "mx": PASS, "blocklist": SKIPPED}
    [failure] = report.checks["dmarc"].failures
    assert failure.startswith("DMARC p=reject: mail via SMTP smtp.mailhost.test cannot align with jengu.test")
    assert "receivers reject it" in failure
    # relaxed alignment (the default) accepts the organisational domain: a subdomain's signature aligns
    inbox.dkim_domain = "mail.jengu.test"
    inbox.save()
    dns.load(
        zone(dmarc=f'_dmarc.{DOMAIN}. TXT "v=DMARC1; p=reject"', dkim=None)
        + '\nbounce.mailhost.test. TXT "v=spf1 ip4:192.0.2.0/24 -all"'
        + f"\ns1._domainkey.mail.jengu.test. TXT {dkim(2048)}"
    )
    assert domain_check(domain=DOMAIN).checks["dmarc"].verdict == PASS


def test_a_subdomain_uses_its_organisational_domain_s_dmarc_record(dns):
    InboxFactory(email="anna@mail.jengu.test", smtp_host=SMTP_HOST, dkim_selectors="s1")
    dns.load(
        zone(spf=None, mx=None, dkim=None)
        + '\nmail.jengu.test. TXT "v=spf1 include:_spf.mailhost.test -all"'
        + "\nmail.jengu.test. MX 10 mx.mailhost.test."
        + f"\ns1._domainkey.mail.jengu.test. TXT {dkim(2048)}"
    )
    report = domain_check(domain="mail.jengu.test")
    assert report.state == SendingDomain.State.OK
    assert list(report.checks["dmarc"].records) == ["_dmarc.jengu.test"]


def test_resend_needs_its_return_path_spf_include_and_its_dkim_key(dns, inbox, settings):
    settings.RESEND_API_KEY = "re_test_key"
    dns.load(
        zone()
        + '\nsend.jengu.test. TXT "v=spf1 include:amazonses.com ~all"'
        + '\namazonses.com. TXT "v=spf1 ip4:199.255.192.0/22 ~all"'
        + f"\nresend._domainkey.{DOMAIN}. TXT {dkim(2048)}"
    )
    report = domain_check(domain=DOMAIN)
    assert report.state == SendingDomain.State.OK, report.failure_reason
    assert report.records_json()["sent_via"] == ["Resend", "SMTP smtp.mailhost.test"]

    dns.load(zone() + '\nsend.jengu.test. TXT "v=spf1 -all"')
    failures = domain_check(domain=DOMAIN).failure_reason
    assert "SPF at send.jengu.test does not include amazonses.com (Resend sends for it)" in failures
    assert "no DKIM key at selector resend (resend._domainkey.jengu.test, Resend)" in failures


def test_a_dns_server_that_does_not_answer_gives_unknown_never_pass(settings, inbox):
    with SilentDnsServer() as silent:
        settings.DNS_NAMESERVERS, settings.DNS_PORT, settings.DNS_TIMEOUT = [silent.address], silent.port, 0.3
        settings.DEBUG = False
        started = timezone.now()
        report = domain_check(domain=DOMAIN)
    assert set(verdicts(report).values()) == {UNKNOWN}
    assert report.state == SendingDomain.State.UNKNOWN
    assert report.failure_reason == "DNS did not answer for jengu.test within 0.3 s"
    assert (timezone.now() - started).total_seconds() < 5  # one timeout, not one per query
    assert SendingDomain.objects.get(domain=DOMAIN).last_passed_at is None


def test_unknown_holds_only_a_domain_that_has_not_passed_within_the_grace_days(db, settings):
    settings.DNS_UNKNOWN_GRACE_DAYS = 3
    now = timezone.now()
    SendingDomain.objects.create(domain="recent.test", state="unknown", last_passed_at=now - datetime.timedelta(days=2))
    SendingDomain.objects.create(domain="stale.test", state="unknown", last_passed_at=now - datetime.timedelta(days=4))
    SendingDomain.objects.create(domain="never.test", state="unknown", failure_reason="DNS did not answer")
    SendingDomain.objects.create(domain="new.test", state="pending")
    SendingDomain.objects.create(domain="demo.test", state="sandbox")
    held = sending_domains_held(now)
    assert set(held) == {"stale.test", "never.test", "new.test"}
    assert held["never.test"].startswith("DNS did not answer (DNS did not answer) and the domain has not passed")
    assert held["new.test"] == "DNS not checked yet (a check is queued)"


def test_spamhaus_dqs_lists_the_domain_and_the_key_is_never_stored(dns, inbox, settings):
    settings.SPAMHAUS_DQS_KEY = "dqs-secret-key-123"
    dns.load(zone() + f"\n{DOMAIN}.dqs-secret-key-123.dbl.dq.spamhaus.net. A 127.0.1.2")
    report = domain_check(domain=DOMAIN)
    assert report.checks["blocklist"].failures == ["jengu.test on Spamhaus DBL: listed (127.0.1.2)"]
    assert report.checks["blocklist"].records["192.0.2.30 (smtp.mailhost.test) on Spamhaus ZEN"] == "not listed"
    row = SendingDomain.objects.get(domain=DOMAIN)
    stored = f"{row.verdicts} {row.records} {row.failure_reason} {list(Alert.objects.values_list('last_text'))}"
    stored += " ".join(Event.objects.values_list("message", flat=True))
    assert "dqs-secret-key-123" not in stored
    assert ("30.2.0.192.dqs-secret-key-123.zen.dq.spamhaus.net", "A") in dns.queries


# --- holding and releasing the inboxes -------------------------------------------------------------


def test_a_failing_domain_alerts_once_a_day_and_a_passing_one_does_not(dns, inbox):
    domain_check(domain=DOMAIN)
    assert not Alert.objects.exists()
    dns.load(zone(spf=None))
    domain_check(domain=DOMAIN)
    domain_check(domain=DOMAIN)
    alert = Alert.objects.get(key=f"domain-auth:{DOMAIN}")
    assert "Sending domain jengu.test is held: DNS check failed: no SPF record at jengu.test" in alert.last_text
    assert alert.suppressed_count == 1  # the second check's alert waits for the day's window
    assert Event.objects.filter(name="domain.checked", data__state="failing").count() == 1


@pytest.fixture
def sink():
    with RecordingSink() as sink:
        yield sink


def queued_email():
    prospect = ProspectFactory(stage=ProspectStage.QUEUED)
    campaign = CampaignFactory(name="C")
    Sequence.objects.create(prospect=prospect, campaign=campaign)
    return EmailFactory(prospect=prospect, inbox=None, from_email="", status=EmailStatus.QUEUED, campaign=campaign)


def send_once():
    return sender_run(pacing=NO_PACING, rng=random.Random(7), clock=lambda: NOW)


NOW = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)  # a Tuesday, 10:00 in Denver


@pytest.fixture
def sending(settings, dns):
    settings.SENDING_BUSINESS_HOURS = "ignored"
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0


def test_the_sender_skips_a_failing_domain_s_inbox_with_the_reason_and_resumes_when_it_passes(dns, sink, sending):
    """The inbox sends to the local sink (127.0.0.1): its SPF is not evaluated, the rest is."""
    inbox = InboxFactory(email=f"edd@{DOMAIN}", smtp_port=sink.port, smtp_password="", dkim_selectors="s1")
    paused = InboxFactory(email=f"anna@{DOMAIN}", smtp_port=sink.port, smtp_password="", dkim_selectors="s1")
    inbox_pause(inbox=paused, by="test", reason="paused by an operator")
    email = queued_email()
    dns.load(zone(dkim=None))
    domain_check(domain=DOMAIN)

    report = send_once()
    assert report.sent == 0 and report.turns == 0 and not sink.messages  # a held domain's inboxes take no turn
    assert inboxes_due(NOW) == []
    assert "DNS check failed: no DKIM key at selector s1" in sending_domains_held(NOW)[DOMAIN]
    assert not SendDecision.objects.filter(email=email).exists()  # nothing was decided about the email
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE  # held by its domain, not paused: nothing to undo by hand

    dns.load(zone())
    report = domain_check(domain=DOMAIN)
    assert report.state == SendingDomain.State.OK
    assert report.checks["spf"].verdict == WARN  # 127.0.0.1 is this machine: SPF not evaluated for it
    assert send_once().sent == 1 and len(sink.messages) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.inbox == inbox
    paused.refresh_from_db()
    assert paused.state == InboxState.PAUSED  # an operator's pause is not lifted by a passing DNS check


def test_a_follow_up_waits_while_its_thread_s_inbox_is_held(dns, sink, sending):
    inbox = InboxFactory(email=f"edd@{DOMAIN}", smtp_port=sink.port, smtp_password="", dkim_selectors="s1")
    first = queued_email()
    dns.load(zone())
    domain_check(domain=DOMAIN)
    assert send_once().sent == 1
    follow_up = EmailFactory(
        prospect=first.prospect, inbox=inbox, status=EmailStatus.QUEUED, type="follow_up", sequence_step=2,
        campaign=first.campaign, thread_root=first,
    )  # fmt: skip
    dns.load(zone(dmarc=None))
    domain_check(domain=DOMAIN)
    other = InboxFactory(email="anna@other-domain.example", smtp_port=sink.port, smtp_password="")
    assert send_once().sent == 0  # the thread's inbox is held, and no other inbox takes its follow-up
    assert Email.objects.get(pk=follow_up.pk).status == EmailStatus.QUEUED and len(sink.messages) == 1
    assert sending_domains_held(NOW)[DOMAIN].startswith("DNS check failed: no DMARC record")
    assert [inbox.pk for inbox in inboxes_due(NOW)] == [other.pk]


def test_the_demo_s_sink_inboxes_are_not_checked_and_keep_sending(dns, sink, sending, settings):
    settings.DEBUG = True  # the demo: its inboxes talk to the local sink (MAIL_PLAINTEXT_HOSTS)
    InboxFactory(email="edd@getjengu.example", smtp_port=sink.port, smtp_password="")
    queued_email()
    report = domain_check(domain="getjengu.example")
    assert report.state == SendingDomain.State.SANDBOX and dns.queries == []
    assert SendingDomain.objects.get(domain="getjengu.example").get_state_display() == "Not checked — sandbox"
    assert send_once().sent == 1


def test_production_checks_a_loopback_inbox_too(dns, sink, sending):
    InboxFactory(email="edd@getjengu.example", smtp_port=sink.port, smtp_password="")
    report = domain_check(domain="getjengu.example")
    assert report.state == SendingDomain.State.FAILING and dns.queries


# --- when an inbox is added or changed ---------------------------------------------------------------


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_adding_an_inbox_queues_its_domain_s_check_and_holds_it_until_then(
    dns, admin_client, enqueued, django_capture_on_commit_callbacks
):
    form = {
        "email": f"edd@{DOMAIN}", "display_name": "Edd", "smtp_host": SMTP_HOST, "smtp_port": 587,
        "smtp_username": "", "smtp_password": "pw", "imap_host": "", "imap_port": 993, "imap_password": "",
        "dkim_selectors": "s1", "dkim_domain": "", "return_path_domain": "",
        "warmup_started_on": "2026-11-01", "daily_ceiling": 40, "health_score": 1, "reputation_score": 1,
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:outreach_inbox_add"), form)
    assert response.status_code == 302, response.content[:2000]
    assert enqueued == [
        (
            ("outreach.services.domain_auth.domain_check_queued", DOMAIN),
            {"task_name": f"domain-check:{DOMAIN}", "timeout": 80},
        )
    ]
    assert sending_domains_held() == {DOMAIN: "DNS not checked yet (a check is queued)"}
    assert dns.queries == []  # saving the inbox asked no DNS: the worker does

    from outreach.services.domain_auth import domain_check_queued

    assert domain_check_queued(DOMAIN) == f"{DOMAIN}: ok"
    assert sending_domains_held() == {}


def test_only_a_change_of_what_the_check_reads_queues_a_new_check(
    dns, inbox, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert not domain_check_queue(inbox=inbox, created=False, changed_fields=["display_name", "daily_ceiling"])
        assert domain_check_queue(inbox=inbox, created=False, changed_fields=["dkim_selectors"])
    assert len(enqueued) == 1


# --- the Domains admin page and the command ----------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_domains_page_shows_verdicts_and_records_and_check_now_rechecks(dns, inbox, admin_client):
    dns.load(zone(spf=None))
    domain_check(domain=DOMAIN)
    page = admin_client.get(reverse("admin:outreach_sendingdomain_changelist")).content.decode()
    assert "jengu.test" in page and "no SPF record at jengu.test" in page and "Failing" in page

    dns.load(zone())
    row = SendingDomain.objects.get(domain=DOMAIN)
    response = admin_client.post(
        reverse("admin:outreach_sendingdomain_changelist"), {"action": "check_now", "_selected_action": [row.pk]}
    )
    assert response.status_code == 302 and messages_of(response) == ["jengu.test: Passing"]
    row.refresh_from_db()
    assert row.state == SendingDomain.State.OK

    detail = admin_client.get(reverse("admin:outreach_sendingdomain_change", args=[row.pk])).content.decode()
    assert "v=spf1 include:_spf.mailhost.test -all" in detail and "Check now" in detail

    dns.load(zone(mx=None))
    response = admin_client.post(reverse("admin:outreach_sendingdomain_check", args=[row.pk]))
    assert response.status_code == 302 and response["Location"].endswith(f"/sendingdomain/{row.pk}/change/")
    assert messages_of(response) == [
        "jengu.test: Failing: no MX record for jengu.test: replies and bounces cannot reach it"
    ]
    assert "HELD: its inboxes send nothing" in admin_client.get(response["Location"]).content.decode()
    assert admin_client.get(reverse("admin:outreach_sendingdomain_check", args=[row.pk])).status_code == 405


def test_the_inbox_list_shows_the_hold_and_its_reason(dns, inbox, admin_client):
    dns.load(zone(dkim=None))
    domain_check(domain=DOMAIN)
    page = admin_client.get(reverse("admin:outreach_inbox_changelist")).content.decode()
    assert "held by its domain" in page and "no DKIM key at selector s1" in page
    detail = admin_client.get(reverse("admin:outreach_inbox_change", args=[inbox.pk])).content.decode()
    assert "no DKIM key at selector s1" in detail


def test_sales_sees_the_domains_but_cannot_check_them(dns, inbox, client, sales_user, ops_user):
    domain_check(domain=DOMAIN)
    row = SendingDomain.objects.get(domain=DOMAIN)
    client.force_login(sales_user)
    assert client.get(reverse("admin:outreach_sendingdomain_changelist")).status_code == 200
    assert client.post(reverse("admin:outreach_sendingdomain_check", args=[row.pk])).status_code == 403
    client.force_login(ops_user)
    assert client.post(reverse("admin:outreach_sendingdomain_check", args=[row.pk])).status_code == 302


def test_domain_report_prints_each_check_and_exits_1_when_a_domain_is_held(dns, inbox):
    out = io.StringIO()
    call_command("domain_report", "--check", stdout=out)
    text = out.getvalue()
    assert "jengu.test: Passing (checked " in text
    assert "SPF       PASS    jengu.test: 1 of 10 DNS lookups" in text
    assert "record jengu.test: v=spf1 include:_spf.mailhost.test -all\n" in text
    assert "record s1._domainkey.jengu.test: v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEF…\n" in text
    assert "DMARC     PASS    p=quarantine at _dmarc.jengu.test, adkim=r, aspf=r" in text
    assert "Blocklist SKIPPED SPAMHAUS_DQS_KEY is not set" in text

    dns.load(zone(spf=f'{DOMAIN}. TXT "v=spf1 ip4:198.51.100.0/24 ~all"'))
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 sending domain\\(s\\) held: jengu.test"):
        call_command("domain_report", "--check", "--domain", DOMAIN, stdout=out)
    assert "SPF       FAIL    SPF does not authorise smtp.mailhost.test (192.0.2.30: softfail)" in out.getvalue()
    assert "HELD: its inboxes send nothing" in out.getvalue()

    dns.load("")  # without --check: the stored report, no DNS query
    out = io.StringIO()
    call_command("domain_report", stdout=out)
    assert "SPF does not authorise smtp.mailhost.test" in out.getvalue() and dns.queries == []


def test_an_inbox_from_the_environment_queues_its_domain_s_check(dns, enqueued, django_capture_on_commit_callbacks):
    from infra.config import SmtpInboxConfig
    from outreach.services.inboxes import inboxes_sync_from_settings

    config_ = SmtpInboxConfig(
        variable="SMTP_INBOX_1", email=f"edd@{DOMAIN}", password="pw", host=SMTP_HOST, port=587, display_name="Edd"
    )
    with django_capture_on_commit_callbacks(execute=True):
        inboxes_sync_from_settings([config_])
        inboxes_sync_from_settings([config_])  # nothing changed: no new check
    assert [args for args, _ in enqueued] == [("outreach.services.domain_auth.domain_check_queued", DOMAIN)]
    assert SendingDomain.objects.get(domain=DOMAIN).state == SendingDomain.State.PENDING
