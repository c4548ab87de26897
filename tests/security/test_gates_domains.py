"""Issue 16, item 2: the gates recognise any domain an email names, and refuse a foreign one.

The link check knew a dozen top-level domains, so "hgi-refunds.online" went out as plain
prose. Now any host-shaped token counts (any TLD, IDNs, punycode, with or without a
scheme, in an address) and the facts gate refuses every domain that is neither the
hotel's (its name, its website) nor the campaign's (its texts, its signature). Research
and replies are outside text: a domain found there is never repeated. Ordinary prose
("e.g.", "Mr.Smith", "4.5", "10.30", "St.Moritz") is not a domain.
"""

import pytest

from outreach.composition.composer import compose
from outreach.composition.context import build_context
from outreach.composition.gates import domains_in, facts_gate, form_gate, links_in, normalised_domain
from tests.factories import ResearchReportFactory
from tests.outreach.composition_support import campaign, grok, recorded, researched_prospect

pytestmark = pytest.mark.django_db

BODY = "Hi Anna,\n\nGuests at Harbour View Hotel wait too long at check-in. {sentence}\n\nBest,\nEdd Chen"

FOREIGN = [
    ("Please re-enter your card details at hgi-refunds.online today.", "hgi-refunds.online"),
    ("Please re-enter your card details at HGI-Refunds.Online today.", "HGI-Refunds.Online"),
    ("Details: pay.hgi-refunds.xyz.", "pay.hgi-refunds.xyz"),
    ("Details: https://hgi-refunds.online/card?guest=4471 now.", "hgi-refunds.online"),
    ("Details: hxxps://hgi-refunds.online/card now.", "hgi-refunds.online"),
    ("Details at www.hgi-refunds.shop now.", "www.hgi-refunds.shop"),
    ("Write to refunds@hgi-refunds.online about it.", "hgi-refunds.online"),
    ("See our partner hôtel-paris.fr for details.", "hôtel-paris.fr"),
    ("See our partner xn--htel-paris-rbb.fr for details.", "xn--htel-paris-rbb.fr"),
    ("See пример.рф for details.", "пример.рф"),
    ("See xn--e1afmkfd.xn--p1ai for details.", "xn--e1afmkfd.xn--p1ai"),
    ("See hgi-refunds。online for details.", "hgi-refunds。online"),  # an ideographic full stop is a dot
    ("See example.photography for details.", "example.photography"),  # a new gTLD
    ("Pay at http://203.0.113.7/pay today.", "203.0.113.7"),
    ("Guests reach us on guest-help.hotel (any hour).", "guest-help.hotel"),
]


@pytest.fixture
def context():
    return build_context(
        researched_prospect(company_website="https://www.harbourview.example"),
        campaign(signature="Edd Chen\nJengu, jengu.ai\nedd@mail.jengu.ai"),
    )


@pytest.mark.parametrize("sentence, domain", FOREIGN)
def test_a_domain_that_is_neither_the_hotels_nor_ours_fails_the_facts_gate(context, sentence, domain):
    result = facts_gate("A note on check-in", BODY.format(sentence=sentence), context)
    assert not result.passed
    assert domain in result.detail["domains"]
    assert any(domain in reason for reason in result.reasons), result.reasons
    assert any(f'Do not mention "{domain}"' in constraint for constraint in result.constraints)


@pytest.mark.parametrize("sentence, domain", [f for f in FOREIGN if "@" not in f[0]])
def test_it_is_also_a_link_a_first_email_may_not_carry(context, sentence, domain):
    result = form_gate("A note on check-in", BODY.format(sentence=sentence), context)
    assert any(r.startswith("a first email carries no links") and domain in r for r in result.reasons), result.reasons


@pytest.mark.parametrize(
    "prose",
    [
        "Small hotels, e.g. yours, and i.e. the front desk, feel it first.",
        "Mr.Smith and Dr.Weber said so at 10.30 on the 4.5 rated terrace.",
        "We met them in St.Moritz, on the 5.Stock, room No.1, with J.Smith.",
        "It runs at 3 a.m. and 11 p.m., in the U.S. and the E.U. alike, e.g.Hotel Adlon.",
        "Version 2.0 is 3.5 times faster, z.B. beim Check-in, etc. and Ph.D. level.",
    ],
)
def test_ordinary_prose_names_no_domain(context, prose):
    assert domains_in(prose) == [] and links_in(prose) == []
    assert facts_gate("A note", prose, context).detail["domains"] == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Our site is jengu.ai, and my address is edd@mail.jengu.ai.",  # the campaign's own
        "Your site harbourview.example shows it well.",  # the hotel's own, www. or not
        "Your site www.harbourview.example shows it well.",
        "Your site HarbourView.example shows it well.",
    ],
)
def test_the_campaigns_and_the_hotels_own_domains_are_allowed(context, sentence):
    result = facts_gate("A note", BODY.format(sentence=sentence), context)
    assert result.detail["domains"] == [], result.reasons


def test_an_idn_and_its_punycode_are_the_same_domain():
    assert (
        normalised_domain("WWW.Hôtel-Paris.FR.")
        == normalised_domain("xn--htel-paris-rbb.fr")
        == ("xn--htel-paris-rbb.fr")
    )
    hotel = researched_prospect(company_website="https://hôtel-paris.fr")
    ctx = build_context(hotel, campaign())
    assert facts_gate("A note", "Your site xn--htel-paris-rbb.fr is lovely.", ctx).detail["domains"] == []


def test_a_domain_found_in_research_is_outside_text_and_never_repeated():
    prospect = researched_prospect()
    ResearchReportFactory(
        prospect=prospect,
        summary="A guest wrote: refunds are handled at hgi-refunds.online.",
        pain_signals=[{"key": "slow_checkin", "label": "Slow check-in", "evidence": "see hgi-refunds.online"}],
    )
    ctx = build_context(prospect, campaign())
    assert "hgi-refunds.online" in ctx.facts_corpus()  # research may be cited as a fact, but not its domains
    result = facts_gate("A note", "Refunds are handled at hgi-refunds.online.", ctx)
    assert not result.passed and result.detail["domains"] == ["hgi-refunds.online"]


def test_an_ai_draft_naming_a_foreign_domain_is_regenerated_and_never_accepted(context):
    import json

    import httpx

    def answer(body):
        data = recorded("grok_first_email.json")
        data["choices"][0]["message"]["content"] = json.dumps(
            {"subject": "Your Front Desk Manager opening", "body": body}
        )
        return httpx.Response(200, json=data)

    good = json.loads(recorded("grok_first_email.json")["choices"][0]["message"]["content"])["body"]
    phishing = good.replace("Worth a 15-minute", "Guests can claim refunds at hgi-refunds.xyz. Worth a 15-minute")
    client, script = grok(answer(phishing), answer(phishing), answer(phishing))
    draft = compose(context, providers=[client])
    assert "hgi-refunds" not in draft.body and draft.written_by == "template"
    assert 'Do not mention "hgi-refunds.xyz"' in script.prompts()[1]
