"""The composer: AI drafts per provider, failover to the template, regeneration by the gates."""

import json

import httpx
import pytest

from infra.models import Event
from outreach.composition.composer import compose
from outreach.composition.context import build_context
from outreach.composition.gates import facts_gate, form_gate, run_gates, spam_heuristic
from tests.outreach.composition_support import campaign, claude, grok, researched_prospect

pytestmark = pytest.mark.django_db


@pytest.fixture
def context():
    return build_context(researched_prospect(), campaign())


def test_grok_writes_the_email_against_the_schema_and_it_passes_every_gate(context):
    grok_client, script = grok("grok_first_email.json")
    claude_client, claude_script = claude("claude_first_email.json")
    draft = compose(context, providers=[grok_client, claude_client])
    assert draft.written_by == "grok"
    assert draft.passed, draft.report.as_json()
    assert draft.subject == "Your Front Desk Manager opening"
    assert draft.body.startswith("Hi Anna,") and "Marriott Courtyard Austin cut check-in time by 40%" in draft.body
    assert claude_script.requests == []
    body = json.loads(script.requests[0].content)
    schema = body["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]) == {"subject", "body"}
    prompt = body["messages"][1]["content"]
    # the prospect's data is fenced as untrusted data; the campaign's facts are in the prompt
    assert '<data name="prospect">' in prompt and "Front Desk Manager" in prompt
    assert "Marriott Courtyard Austin cut check-in time by 40%" in prompt and "Hi Anna," in prompt
    assert draft.attempts == [
        {"attempt": 1, "written_by": "grok", "passed": True, "failed": [], "constraints_given": []}
    ]


def test_claude_writes_it_when_grok_times_out(context):
    def timeout(request):
        raise httpx.ReadTimeout("timed out", request=request)

    grok_client, _ = grok(timeout)
    claude_client, claude_script = claude("claude_first_email.json")
    draft = compose(context, providers=[grok_client, claude_client])
    assert draft.written_by == "claude" and draft.passed, draft.report.as_json()
    assert draft.subject == "Check-in at Harbour View Hotel"
    tool_request = json.loads(claude_script.requests[0].content)
    assert tool_request["tool_choice"] == {"type": "tool", "name": "compose_email"}
    assert set(tool_request["tools"][0]["input_schema"]["properties"]) == {"subject", "body"}
    calls = list(Event.objects.filter(name="ai.call").order_by("id").values_list("data__provider", "data__ok"))
    assert calls == [("grok", False), ("claude", True)]


def test_malformed_answers_fall_over_to_the_next_provider_then_to_the_template(context):
    grok_client, grok_script = grok("grok_malformed.json")
    claude_client, claude_script = claude("claude_missing_body.json")
    draft = compose(context, providers=[grok_client, claude_client])
    assert len(grok_script.requests) == 1 and len(claude_script.requests) == 1
    assert draft.written_by == "template"
    assert draft.passed, draft.report.as_json()
    assert draft.body.startswith("Hi Anna,") and "Front Desk Manager" in draft.body
    calls = list(Event.objects.filter(name="ai.call").order_by("id").values_list("data__provider", "data__ok"))
    assert calls == [("grok", False), ("claude", False), ("fallback", True)]


def test_a_spammy_draft_is_regenerated_with_its_offending_features_named_then_accepted(context):
    grok_client, script = grok("grok_spammy_email.json", "grok_first_email.json")
    draft = compose(context, providers=[grok_client])
    assert draft.written_by == "grok" and draft.passed
    assert "spam" in draft.attempts[0]["failed"] and draft.attempts[1]["failed"] == []
    assert draft.attempts[0]["passed"] is False
    second_prompt = script.prompts()[1]
    assert "An earlier draft was not accepted" in second_prompt
    for feature in ('"free"', '"100%"', '"act now"', "capitals (FREE, ACT, NOW)", "exclamation", "Include no links"):
        assert feature in second_prompt, feature
    assert "FREE" not in script.prompts()[0].split("<data")[0].split("What we offer")[0]
    assert draft.gate_results()["attempts"][1]["constraints_given"]


def test_a_draft_with_an_invented_statistic_is_rejected_and_rewritten(context):
    grok_client, script = grok("grok_invented_statistic.json", "grok_first_email.json")
    draft = compose(context, providers=[grok_client])
    assert draft.attempts[0]["failed"] == ["facts"]
    assert draft.passed and "37%" not in draft.body
    assert 'Do not cite "37"' in script.prompts()[1]


def test_a_draft_naming_the_wrong_hotel_is_rejected(context):
    grok_client, script = grok("grok_wrong_hotel.json", "grok_wrong_hotel.json", "grok_wrong_hotel.json")
    draft = compose(context, providers=[grok_client])
    # three tries with the same mistake, then the template writes it
    assert len(script.requests) == 3
    assert [a["written_by"] for a in draft.attempts] == ["grok", "grok", "grok", "template"]
    assert all(a["failed"] == ["facts"] for a in draft.attempts[:3])
    assert 'Do not mention "Grand Budapest Hotel"' in script.prompts()[1]
    assert draft.written_by == "template" and "Grand Budapest" not in draft.body and draft.passed


def test_the_facts_gate_accepts_facts_from_the_context_and_names_what_is_not(context):
    ok = facts_gate("Check-in at Harbour View Hotel", "Marriott Courtyard Austin cut check-in time by 40%.", context)
    assert ok.passed
    bad = facts_gate("A note", "The Ritz Paris cut check-in time by 40%, and 9 of 10 guests agree.", context)
    assert not bad.passed
    assert bad.detail["unsupported"] == ['the number "9"', 'the number "10"', 'the name "The Ritz Paris"']


@pytest.mark.parametrize(
    "body",
    [
        "Hi {{ first_name }},\n\nA note.",
        "Hi [NAME],\n\nA note.",
        "Hi Anna,\n\nI saw that {hotel} is hiring.",
        "Hello <FIRST NAME>,\n\nA note.",
        "Hi %FIRSTNAME%,\n\nA note.",
    ],
)
def test_placeholders_are_caught(context, body):
    result = form_gate("A note", body, context)
    assert not result.passed
    assert any("placeholder" in reason for reason in result.reasons), result.reasons


@pytest.mark.parametrize(
    "sentence, stopped",
    [
        ("We are hiring a.", True),
        ("Guests wait at the.", True),
        ("A short note for.", True),
        ("You are hiring a new Chef de Partie A.", False),  # a grade, not a missing word
        ("You are hiring a new A-a.", False),  # the end of a hyphenated title
        ("Guests check in at 3 p.m. and leave happy.", False),
    ],
)
def test_the_form_gate_tells_a_stopped_sentence_from_a_title_ending_in_a(context, sentence, stopped):
    result = form_gate("A note", f"Hi Anna,\n\n{sentence}", context)
    assert any("stops mid-way" in reason for reason in result.reasons) is stopped, result.reasons


def test_the_form_gate_checks_greeting_subject_length_words_and_links(context):
    long_subject = "A very long subject line that goes on and on about check-in at your hotel"
    body = "Hi Maria,\n\nSee https://jengu.example for more."
    result = form_gate(long_subject, body, context)
    reasons = " | ".join(result.reasons)
    assert 'the greeting names "Maria", but the contact is Anna' in reasons
    assert "the subject has 73 characters" in reasons
    assert "words (50–150 wanted)" in reasons
    assert "a first email carries no links (https://jengu.example)" in reasons
    empty = form_gate("Hi", "Hi ,\n\nA note.", context)
    assert "the greeting is empty before its comma" in empty.reasons


def test_the_spam_heuristic_names_each_feature(context):
    score, reasons, constraints = spam_heuristic(
        "URGENT: FREE upgrade!", "Hi Anna,\n\nAct now!! Save 20% off today.", context
    )
    assert score >= 0.4
    assert 'trigger word "free"' in reasons and 'urgency phrase "act now"' in reasons
    assert any("capitals (URGENT, FREE)" in r for r in reasons)
    assert "Use no exclamation marks." in constraints


def test_gate_results_are_recorded_in_a_shape_the_admin_reads(context):
    grok_client, _ = grok("grok_first_email.json")
    draft = compose(context, providers=[grok_client])
    results = draft.gate_results()
    assert results["passed"] is True and results["written_by"] == "grok"
    assert set(results["gates"]) == {"spam", "readability", "facts", "form"}
    spam = results["gates"]["spam"]
    assert spam["score"] < 0.4 and spam["skipped"].startswith("SpamAssassin not configured")
    assert results["gates"]["readability"]["score"] >= 60
    assert (
        run_gates(
            draft.subject,
            draft.body,
            build_context(
                researched_prospect(
                    email="other@harbour.example", company_name="Harbour View Hotel", city="Boulder", company_website=""
                ),
                campaign(),
            ),
        ).passed
        is False
    )  # Denver is not this prospect's city
