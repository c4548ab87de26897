"""Cost per email: recorded AI usage (Grok's real answer shape) and MillionVerifier's recorded
credits, priced with the settings, divided by the emails sent, on the dashboard and in /api/stats."""

import datetime
import json
from pathlib import Path

import httpx
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from jengu.cost import cost_report
from outreach.models import Email, EmailStatus
from prospects.emails import verify_address
from prospects.providers.millionverifier import MillionVerifierClient
from tests.factories import InboxFactory, ProspectFactory, ReplyFactory
from tests.infra.test_ai_gateway import GROK_OK, ask, grok_with

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "millionverifier"
NOW = datetime.datetime(2031, 4, 10, 12, 0, tzinfo=datetime.UTC)  # day 10 of a 30-day month


@pytest.fixture
def prices(settings):
    settings.AI_PRICES_PER_1K_TOKENS = {"grok": (0.0002, 0.0005), "grok-4-fast-non-reasoning": (0.001, 0.002)}
    settings.VERIFIER_PRICE_PER_CREDIT = 0.004
    settings.ESP_PRICE_PER_EMAIL = 0.001
    settings.MONTHLY_FIXED_COST = 30.0  # $1 a day in April
    settings.COST_PER_EMAIL_TARGET = 0.01
    settings.MONTHLY_BUDGET = 80.0


def millionverifier(answers):
    def handler(request):
        return httpx.Response(200, json=json.loads((FIXTURES / answers.pop(0)).read_text()))

    return MillionVerifierClient(api_key="mv-test-key", client=httpx.Client(
        base_url="https://api.millionverifier.com", transport=httpx.MockTransport(handler)))  # fmt: skip


def _emails(count, *, provider, when):
    prospect = ProspectFactory(stage="contacted")
    inbox = InboxFactory()
    Email.objects.bulk_create(
        Email(prospect=prospect, inbox=inbox, to_email=f"g{i}@hotel.example", subject="s", body="b",
              status=EmailStatus.DELIVERED, provider=provider, sent_at=when)
        for i in range(count)
    )  # fmt: skip


def test_recorded_ai_usage_and_verifier_credits_give_the_expected_cost_per_email(prices):
    with time_machine.travel(NOW, tick=False):
        # two AI calls with Grok's recorded answer: 212 input and 24 output tokens each
        for _ in range(2):
            grok, _ = grok_with(GROK_OK)
            assert ask([grok]).provider == "grok"
        # three verifications: ok and invalid cost a credit each, catch_all none (MillionVerifier's billing)
        verifier = millionverifier(["ok.json", "invalid.json", "catch_all.json"])
        for address in ["sarah.johnson@harbourviewhotel.com", "sjohnson@harbourviewhotel.com", "x@catchall.example"]:
            verify_address(address, verifier=verifier, now=NOW)
        _emails(40, provider="resend", when=NOW - datetime.timedelta(hours=1))
        _emails(10, provider="smtp", when=NOW - datetime.timedelta(hours=2))
        _emails(50, provider="smtp", when=NOW - datetime.timedelta(days=3))  # earlier this month
        ReplyFactory(received_at=NOW - datetime.timedelta(hours=1))
        report = cost_report(NOW)

    ai = 2 * (212 / 1000 * 0.001 + 24 / 1000 * 0.002)  # the model's own price, not the provider's
    verifier_cost = 2 * 0.004
    today = ai + verifier_cost + 40 * 0.001 + 30.0 / 30
    assert report.today.spend.ai == pytest.approx(ai)
    assert report.today.spend.verifier == pytest.approx(verifier_cost)
    assert report.today.verifier_credits == 2 and report.today.ai_tokens == 2 * 236
    # the ReplyFactory's email is sent too (no sent_at): the 50 of today are the ones counted
    assert report.today.emails_sent == 50
    assert report.today.per_email == pytest.approx(today / 50)
    assert report.today.per_reply == pytest.approx(today / 1)
    month = ai + verifier_cost + 40 * 0.001 + 10 * 30.0 / 30
    assert report.month.emails_sent == 100
    assert report.month.per_email == pytest.approx(month / 100)
    assert report.budget_used == pytest.approx(month / 80.0)
    assert report.over_target  # $0.10 an email: ten times the target


def test_a_changed_price_applies_to_the_month_already_counted(prices, settings):
    with time_machine.travel(NOW, tick=False):
        grok, _ = grok_with(GROK_OK)
        ask([grok])
        settings.AI_PRICES_PER_1K_TOKENS = {"grok": (0.01, 0.01)}  # no price for the model: the provider's
        assert cost_report(NOW).month.spend.ai == pytest.approx(236 / 1000 * 0.01)


def test_cost_on_the_dashboard_and_in_the_stats(prices, admin_client, client, settings):
    from infra.api_auth import api_key_issue
    from infra.models import ApiKey

    settings.MONTHLY_FIXED_COST = 0.0  # today's date decides the fixed share: left out here
    _emails(20, provider="resend", when=timezone.now())
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="cost-table"' in page
    per_email = 20 * 0.001 / 20
    assert f"${per_email:.4f}" in page
    raw = api_key_issue(key=ApiKey(name="metabase", scopes=["read"]))
    stats = client.get("/api/stats", headers={"X-API-Key": raw}).json()
    assert stats["cost"]["today"]["emails_sent"] == 20
    assert stats["cost"]["today"]["cost_per_email"] == pytest.approx(per_email, abs=1e-6)
    assert stats["cost"]["target_per_email"] == 0.01 and stats["cost"]["currency"] == "USD"
    assert set(stats["cost"]["today"]["spend_by_kind"]) == {"ai", "verifier", "esp", "fixed"}
