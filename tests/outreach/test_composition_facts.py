"""Issue 23: something true about their hotel — research's facts ranked by confidence, one cited
by the template path, given to the AI path ranked, with the campaign's example emails.

Recorded answers follow https://docs.x.ai/docs/api-reference#chat-completions (the answer is
the JSON text of ``choices[0].message.content``)."""

import json

import pytest

from outreach.composition.composer import build_prompt, compose, example_emails
from outreach.composition.context import build_context
from outreach.composition.measures import cited_facts, mixed_language_sentences
from tests.factories import JobPostingFactory, ProspectFactory, ResearchReportFactory
from tests.outreach.composition_support import campaign, grok, researched_prospect

pytestmark = pytest.mark.django_db


def hotel(**overrides):
    values = {"name": "Megan Brown", "company_name": "Lakeside Hotel", "city": "Denver", "company_website": ""}
    return ProspectFactory(**{**values, **overrides})


def test_facts_are_ranked_by_how_sure_research_is():
    prospect = hotel(website_analysis={"technology": {"gaps": ["no_chat"]}})
    ResearchReportFactory(
        prospect=prospect,
        pain_signals=[
            {"key": "wifi", "label": "Wi-Fi problems"},  # no quote: the least sure
            {"key": "noise", "label": "Noise", "evidence": "street noise all night"},
        ],
        news=[
            {"title": "Lakeside Hotel wins Green Key award", "date": "May 2026"},
            {"title": "Denver hotels expect a busy summer"},  # does not name the hotel: not a fact about it
        ],
    )
    facts = build_context(prospect, campaign()).facts
    assert [(f.kind, f.key) for f in facts] == [
        ("review", "noise"),
        ("website", "no_chat"),
        ("news", "award"),
        ("review", "wifi"),
    ]
    assert [f.confidence for f in facts] == sorted((f.confidence for f in facts), reverse=True)


@pytest.mark.parametrize(
    "research, words",
    [
        ({"pains": [{"key": "slow_checkin", "label": "x", "evidence": "we queued for ages"}]}, "slow check-in"),
        ({"gaps": ["no_booking_engine"]}, "book"),
        ({"news": [{"title": "Lakeside Hotel completes spa renovation", "date": "May 2026"}]}, "renovation"),
    ],
)
@pytest.mark.parametrize("seed", range(3))
def test_a_hiring_email_also_cites_what_research_found(research, words, seed):
    prospect = hotel(
        company_name=f"Lakeside Hotel {'ABC'[seed]}",
        website_analysis={"technology": {"gaps": research.get("gaps", [])}},
    )
    if "pains" in research or "news" in research:
        ResearchReportFactory(prospect=prospect, pain_signals=research.get("pains", []), news=research.get("news", []))
    JobPostingFactory(prospect=prospect, title="Night Auditor")
    context = build_context(prospect, campaign())
    assert len(context.facts) == 1
    draft = compose(context, providers=[])
    assert draft.passed, draft.report.as_json()
    assert cited_facts(draft.body, context) == context.facts, draft.body
    assert words in draft.body.split("\n\n")[1], draft.body  # beside the hiring signal


def test_news_that_names_the_hotel_opens_an_email_when_nothing_else_is_known():
    prospect = hotel()
    ResearchReportFactory(
        prospect=prospect, pain_signals=[], news=[{"title": "Lakeside Hotel reopens after refurbishment"}]
    )
    context = build_context(prospect, campaign())
    assert context.situation == "general"
    draft = compose(context, providers=[])
    assert "reopening" in draft.body and draft.passed, draft.body
    assert "refurbishment" not in draft.body  # the theme in our words, never the headline


def test_news_about_someone_else_is_not_cited():
    prospect = hotel()
    ResearchReportFactory(prospect=prospect, pain_signals=[], news=[{"title": "Grand Hotel Denver wins award"}])
    context = build_context(prospect, campaign())
    assert context.facts == []
    assert "award" not in compose(context, providers=[]).body


def test_the_ai_prompt_carries_the_campaigns_examples_and_the_ranked_facts():
    camp = campaign(
        example_emails="Hi there,\n\nA first example in English.\n\nBest,\nEdd\n---\n[de]\nHallo,\n\nEin Beispiel.",
        language="local",
    )
    prospect = researched_prospect(website_analysis={"technology": {"gaps": ["no_booking_engine"]}})
    client, script = grok("grok_first_email.json")
    draft = compose(build_context(prospect, camp), providers=[client])
    assert draft.written_by == "grok" and draft.passed, draft.report.as_json()
    prompt = script.prompts()[0]
    instructions, fenced = prompt.split('<data name="prospect">')
    assert "A first example in English." in instructions and "Ein Beispiel." not in instructions
    assert "Cite at least one of the hotel_facts" in instructions
    facts = json.loads(fenced.split("</data>")[0])["hotel_facts"]
    assert [f["kind"] for f in facts] == ["review", "website"]
    assert facts[0]["evidence"] == "we waited at reception for ages" and facts[0]["confidence"] > facts[1]["confidence"]


def test_without_examples_the_prompt_shows_two_template_emails_about_no_hotel_in_particular():
    context = build_context(researched_prospect(), campaign())
    examples = example_emails(context)
    assert len(examples) == 2 and examples[0] != examples[1]
    for example in examples:
        assert "Harbour View" not in example and "Anna" not in example and "Denver" not in example
    assert examples[0] in build_prompt(context, [])


def test_a_german_campaign_example_reaches_only_german_emails():
    camp = campaign(language="local", example_emails="[de]\nHallo,\n\nEin Beispiel aus der Kampagne.")
    german = build_context(ProspectFactory(country="DE", company_website=""), camp)
    english = build_context(ProspectFactory(country="US", company_website=""), camp)
    assert german.example_emails == ["Hallo,\n\nEin Beispiel aus der Kampagne."]
    assert english.example_emails == []


def test_the_hiring_role_reaches_the_ai_in_the_emails_language():
    prospect = hotel(company_name="Hôtel des Arts", city="Lyon", country="FR", name="Claire Martin")
    JobPostingFactory(prospect=prospect, title="Réceptionniste (H/F)")
    context = build_context(prospect, campaign(language="en"))
    assert context.as_prompt_facts()["hiring_signal"] == "receptionist"


def test_an_unpaired_bracket_from_the_ai_is_regenerated_with_the_rule_named():
    grok_client, script = grok("grok_unpaired_bracket.json", "grok_first_email.json")
    draft = compose(build_context(researched_prospect(), campaign()), providers=[grok_client])
    assert draft.attempts[0]["failed"] == ["form"] and draft.passed
    assert "Close every bracket and quotation mark you open, or use none." in script.prompts()[1]
    assert "(m/w/d" not in draft.body


def test_a_recorded_english_email_to_a_french_hotel_passes_and_reads_in_one_language():
    prospect = hotel(company_name="Hôtel des Arts", city="Lyon", country="FR", name="Claire Martin")
    ResearchReportFactory(
        prospect=prospect, pain_signals=[{"key": "slow_checkin", "label": "x", "evidence": "on a attendu"}]
    )
    JobPostingFactory(prospect=prospect, title="Réceptionniste tournant (H/F)")
    context = build_context(prospect, campaign(language="en"))
    client, _ = grok("grok_first_email_french_hotel.json")
    draft = compose(context, providers=[client])
    assert draft.written_by == "grok" and draft.passed, draft.report.as_json()
    assert mixed_language_sentences(draft.body, context) == []
    assert cited_facts(draft.body, context) == context.facts
