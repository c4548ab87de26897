"""The spam gate against a real spamd (started by the test setup; see tests/support/spamd.py)."""

import pytest

from outreach.composition.composer import compose
from outreach.composition.context import build_context
from outreach.composition.gates import spam_gate
from tests.outreach.composition_support import campaign, researched_prospect

pytestmark = pytest.mark.django_db

SPAM_BODY = (
    "Dear friend,\n\nCONGRATULATIONS!!! You are a WINNER. Claim your FREE cash prize of $1,000,000 now. "
    "100% guaranteed, no obligation, risk-free. Act now, this offer expires today!!! "
    "Click here: http://win-cash-now.example/claim and send your credit card details to claim your money.\n\n"
    "Viagra cheap pharmacy online, lose weight fast, make money from home."
)


def test_a_clean_fallback_email_scores_low_with_spamassassin(spamd):
    context = build_context(researched_prospect(), campaign())
    draft = compose(context, providers=[])
    spam = draft.report.results["spam"]
    assert not spam.skipped, spam.skipped
    sa = spam.detail["spamassassin"]
    assert sa["required"] == 5.0 and sa["score"] < 2.0, sa
    assert 0.0 <= spam.score < 0.4 and spam.passed


def test_spamassassin_scores_an_obvious_spam_high_and_names_its_rules(spamd):
    context = build_context(researched_prospect(), campaign())
    result = spam_gate("FREE CASH PRIZE!!! You are a WINNER", SPAM_BODY, context)
    sa = result.detail["spamassassin"]
    assert sa["score"] > 3.0, sa
    assert sa["normalised"] == round(min(1.0, sa["score"] / 10), 3)
    assert not result.passed and result.score >= sa["normalised"]
    assert any(reason.startswith("SpamAssassin ") for reason in result.reasons)
    assert {rule["rule"] for rule in sa["rules"] if rule["points"] > 0}


def test_an_unreachable_spamd_is_skipped_with_its_reason(settings):
    settings.SPAMD_HOST, settings.SPAMD_PORT = "127.0.0.1", 9  # discard port: nothing listens
    context = build_context(researched_prospect(), campaign())
    result = spam_gate("A quick idea", "Hi Anna,\n\nA short note.", context)
    assert result.skipped.startswith("SpamAssassin skipped: spamd at 127.0.0.1:9 did not answer")
    assert result.score == result.detail["heuristic"]["score"]
