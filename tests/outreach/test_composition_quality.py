"""Issue 23: no broken sentences and one language — job-board markers removed whole, unpaired
brackets and quotes refused by the form gate, a foreign job title named in the email's language."""

import pytest

from outreach.composition.composer import compose
from outreach.composition.context import build_context, clean_text
from outreach.composition.gates import form_gate
from outreach.composition.measures import broken_punctuation, mixed_language_sentences
from outreach.composition.roles import display_title, role_in, strip_markers
from tests.factories import JobPostingFactory, ProspectFactory
from tests.outreach.composition_support import campaign, researched_prospect

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "title, clean",
    [
        ("Rezeptionist (m/w/d)", "Rezeptionist"),
        ("Nachtportier (w/m/d)", "Nachtportier"),
        ("Réceptionniste (H/F)", "Réceptionniste"),
        ("Réceptionniste (F/H)", "Réceptionniste"),
        ("Front Desk Agent (f/m/x)", "Front Desk Agent"),
        ("Night Auditor (m/f/d)", "Night Auditor"),
        ("Koch (m/w/div)", "Koch"),
        ("Receptiemedewerker (m/v)", "Receptiemedewerker"),
        ("Barkeeper [m/w/d]", "Barkeeper"),
        ("Concierge (all genders)", "Concierge"),
        ("Réceptionniste (H/F", "Réceptionniste"),  # cut off by a job board: the rest goes too
        ("Koch m/w/d", "Koch"),
        ("Réceptionniste H/F", "Réceptionniste"),
        ("Nachtportier (m/w/d) - Vollzeit", "Nachtportier"),
        ("Hausdame in Vollzeit", "Hausdame"),
        ("Empfangschef ab sofort", "Empfangschef"),
        ("Chef de réception CDI", "Chef de réception"),
        ("Agent de réservation (CDD)", "Agent de réservation"),
        ("Gouvernante - temps plein", "Gouvernante"),
        ("Front Desk Agent – Full-time", "Front Desk Agent"),
        ("Night Porter, part time", "Night Porter"),
        ("Front Desk Agent #hiring", "Front Desk Agent"),
        ("Front Desk Agent – Full-time #hiring", "Front Desk Agent"),
        ("Recepcionista - Jornada completa", "Recepcionista"),
        ("Mitarbeiter/in Rezeption (Teilzeit)", "Mitarbeiter Rezeption"),
        ("Jefe/a de Recepción", "Jefe de Recepción"),
        ("Employé(e) de réception", "Employé de réception"),
    ],
)
def test_each_marker_is_removed_whole(title, clean):
    assert display_title(title) == clean
    assert "(" not in strip_markers(title) and ")" not in strip_markers(title)


@pytest.mark.parametrize(
    "title, shown",
    [
        ("Hotel Receptionist - citizenM London Bankside", "Hotel Receptionist"),
        ("Chef de réception (H/F) – Hôtel 5* Paris 8e", "Chef de réception"),
        ("Director of Sales - 5* Resort (Confidential)", "Director of Sales"),
        ("Senior Software Engineer (Python/Django)", "Senior Software Engineer"),
        ("FRONT DESK AGENT", "Front Desk Agent"),
    ],
)
def test_a_title_keeps_only_what_a_sentence_can_carry(title, shown):
    assert display_title(title) == shown


def test_clean_text_never_leaves_half_a_bracket():
    # the edge-punctuation strip used to take ")" and leave "(": "Réceptionniste (H/F"
    assert clean_text("Réceptionniste (H/F)") == "Réceptionniste (H/F)"
    assert clean_text("Réceptionniste (H/F") == "Réceptionniste H/F"
    assert clean_text('"Hotel Adlon') == "Hotel Adlon"


@pytest.mark.parametrize("title", ["Réceptionniste (H/F)", "Nachtportier (m/w/d)", "Recepcionista (CDI)"])
@pytest.mark.parametrize("country", ["US", "FR", "DE", "ES"])
def test_a_first_email_never_prints_a_marker_or_half_a_bracket(title, country):
    prospect = ProspectFactory(
        name="Claire Martin", company_name="Hôtel des Arts", city="Lyon", country=country, company_website=""
    )
    JobPostingFactory(prospect=prospect, title=title)
    draft = compose(build_context(prospect, campaign(language="local")), providers=[])
    assert draft.passed, draft.report.as_json()
    for marker in ("(", ")", "H/F", "m/w/d", "CDI"):
        assert marker not in f"{draft.subject}\n{draft.body}", draft.body
    assert broken_punctuation(draft.subject, draft.body, draft.language) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "I saw that Hôtel des Arts is hiring a new Réceptionniste (H/F in Lyon.",
        "I saw that Hotel Alsterhof is hiring a new Nachtportier (m/w/d in Hamburg.",
        "We help hotels (and their teams] do more.",
        "Our guests call it “the quiet desk.",
        'Your team calls it "the busy hour.',
        "A quick idea) for the desk.",
        "« Bonjour » et « merci.",
    ],
)
def test_the_form_gate_refuses_an_unpaired_bracket_or_quote_anywhere(sentence):
    context = build_context(researched_prospect(), campaign())
    body = f"Hi Anna,\n\n{sentence}\n\nBest,\nEdd Chen"
    result = form_gate("A note", body, context)
    assert any("without its partner" in reason for reason in result.reasons), result.reasons
    assert "Close every bracket and quotation mark you open, or use none." in result.constraints
    subject = form_gate("A note (for the desk", "Hi Anna,\n\nA note.\n\nBest,\nEdd Chen", context)
    assert any("without its partner" in reason for reason in subject.reasons), subject.reasons


@pytest.mark.parametrize(
    "sentence",
    [
        "We work with hotels (and their front desks) across Europe.",
        "Guests call it “the quiet desk”.",
        "Ihre Gäste nennen es „die ruhige Rezeption“.",
        "« Bonjour » et « merci ».",
        "It connects to your PMS [OPERA, Mews] in a day.",
        "Guests at O'Brien's Inn check in at the desk.",
    ],
)
def test_the_form_gate_accepts_brackets_and_quotes_that_pair_up(sentence):
    context = build_context(researched_prospect(), campaign())
    result = form_gate("A note", f"Hi Anna,\n\n{sentence}\n\nBest,\nEdd Chen", context)
    assert not any("without its partner" in reason for reason in result.reasons), result.reasons


def test_the_doubled_word_check_reads_a_hyphenated_word_as_one():
    context = build_context(researched_prospect(), campaign())
    ok = form_gate("A note", "Hi Anna,\n\nGuests mention slow check-in in their reviews.", context)
    assert not any("doubled word" in reason for reason in ok.reasons)
    bad = form_gate("A note", "Hi Anna,\n\nGuests mention the the queue.", context)
    assert any("doubled word" in reason for reason in bad.reasons)


@pytest.mark.parametrize(
    "title, language, role",
    [
        ("Capo Ricevimento", "en", "head of reception"),
        ("Chef de réception (H/F)", "en", "head of reception"),  # "chef", "de", "reception": each English alone
        ("Nachtportier (m/w/d)", "en", "night porter"),
        ("Reservierungsmitarbeiter (m/w/d)", "en", "reservations agent"),
        ("Réceptionniste tournant (H/F)", "en", "receptionist"),
        ("Jefe/a de Recepción", "en", "head of reception"),
        ("Receptiemedewerker", "de", "Rezeptionist"),
        ("Front Desk Agent", "fr", "réceptionniste"),
        ("Capo Ricevimento", "es", "jefe de recepción"),
        ("Rececionista", "fr", "réceptionniste"),
    ],
)
def test_a_foreign_title_is_named_in_the_emails_language(title, language, role):
    named = role_in(title, language)
    assert named.text == role and named.translated


@pytest.mark.parametrize(
    "title, language, role",
    [
        ("Front Desk Manager", "en", "Front Desk Manager"),  # the advert's own words, in the email's language
        ("Réceptionniste tournant (H/F)", "fr", "réceptionniste tournant"),
        ("Front Office Manager (m/w/d)", "de", "Front Office Manager"),  # a loan word German hotels use
        ("Revenue Manager (H/F)", "fr", "Revenue Manager"),
        ("Stellvertretender Hoteldirektor (m/w/d)", "de", "stellvertretender Hoteldirektor"),
        ("Guest Ambassador", "en", "Guest Ambassador"),  # unknown, but English: kept
    ],
)
def test_a_title_in_the_emails_language_keeps_its_own_words(title, language, role):
    named = role_in(title, language)
    assert named.text == role and not named.translated


def test_capo_ricevimento_in_an_english_email_is_the_head_of_reception():
    prospect = ProspectFactory(name="Giulia Rossi", company_name="Hotel Centrale", city="Milano", country="IT")
    JobPostingFactory(prospect=prospect, title="Capo Ricevimento")
    draft = compose(build_context(prospect, campaign(language="en")), providers=[])
    text = f"{draft.subject}\n{draft.body}"
    assert "head of reception" in text.lower() and "Ricevimento" not in text, text
    assert draft.passed, draft.report.as_json()


def test_an_unknown_title_in_another_language_becomes_the_opening_on_the_front_office_team():
    prospect = ProspectFactory(name="Ana Gómez", company_name="Hotel Sol", city="Sevilla", country="ES")
    JobPostingFactory(prospect=prospect, title="Anfitrión de Parque (H/F)")
    context = build_context(prospect, campaign(language="en"))
    assert context.hiring.role.text == ""
    draft = compose(context, providers=[])
    assert "the opening on your front-office team" in draft.body and "Anfitrión" not in draft.body, draft.body
    assert draft.subject in ("Your front-office team at Hotel Sol", "Your front-office opening")
    assert draft.passed, draft.report.as_json()


@pytest.mark.parametrize(
    "title",
    ["Réceptionniste tournant (H/F)", "Reservierungsmitarbeiter (m/w/d)", "Capo Ricevimento", "Recepcionista"],
)
@pytest.mark.parametrize("seed", range(4))
def test_an_english_email_to_a_foreign_hotel_is_in_english_only(title, seed):
    prospect = ProspectFactory(
        name="Claire Martin", company_name=f"Hôtel des Arts {seed}", city="Lyon", country="FR", company_website=""
    )
    JobPostingFactory(prospect=prospect, title=title)
    context = build_context(prospect, campaign(language="en"))
    draft = compose(context, providers=[])
    assert mixed_language_sentences(draft.body, context) == [], draft.body
    assert draft.passed, draft.report.as_json()
