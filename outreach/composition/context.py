"""What an email may say: the composition context built from a prospect and a campaign.

``build_context(prospect, campaign, step=1, angle="first", constraints=())`` reads the
prospect (contact, hotel, country), its latest research report (pain signals, summary,
news, competitors), its hiring signal (the latest job posting), its website analysis
(technology gaps) and the campaign (pitch, case studies, persona, call to action).

Everything that came from outside (a contact's name, a job title, a review) is cleaned
on the way in: template and placeholder syntax (``{ } [ ] < > %``) is removed, a value
with fewer than two letters counts as unknown, a first name is used only when it looks
like one and a title only when it reads as a job title (``job_title``). The fallback
templates can then print any field without ever showing a placeholder, an empty
greeting or a dangling article.

Text from an inbound message never reaches an email: the referral note ("Sarah Johnson
suggested we speak with you") is built here from the referring prospect's stored name
when that is a person's name (``person_name``), and the free-text ``referral_note``
column is not read (rows written before this rule hold a reply's From header there).

Job titles are named as a person writes them (``roles``): gender and contract markers
removed whole, and in the email's language ("Capo Ricevimento" is "head of reception" in
an English email; an unknown title in another language is "the opening on your
front-office team"). ``facts`` holds what research found about this hotel beyond its
name, city and job title (``hotel_facts``: review themes, website gaps, news), surest
first; an email cites one when there is one.

A campaign's pitch may be written several ways (separated by a line of ``---``); each
prospect reads one of them, always the same (``pitch_for``).

``context.facts_corpus()`` is the text the facts gate checks an email against: every
number and name an email cites must appear in it. ``context.link_sources()`` is the
narrower text whose web and mail domains an email may name: the campaign's and the
hotel's own, never research's or a reply's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from outreach.composition.hotel_facts import HotelFact, hotel_facts
from outreach.composition.punctuation import drop_unpaired
from outreach.composition.roles import RoleName, display_title, role_in
from outreach.composition.variants import pick

SUPPORTED_LANGUAGES = ("en", "de", "fr", "es")
LOCAL = "local"

COUNTRY_LANGUAGES = {
    **dict.fromkeys(["DE", "AT", "CH", "LI"], "de"),
    **dict.fromkeys(["FR", "BE", "LU", "MC"], "fr"),
    **dict.fromkeys(
        [
            "ES",
            "MX",
            "AR",
            "CO",
            "CL",
            "PE",
            "VE",
            "EC",
            "GT",
            "CU",
            "BO",
            "DO",
            "HN",
            "PY",
            "SV",
            "NI",
            "CR",
            "PA",
            "UY",
        ],
        "es",
    ),
}

# website gaps an email may mention (absences the analysis withholds when unsure)
MENTIONABLE_GAPS = ("no_booking_engine", "no_chat")
ANGLES = ("first", "reminder", "new_value", "breakup")

# words that are a role or a mailbox, not somebody's first name
NOT_A_FIRST_NAME = {
    "info",
    "contact",
    "reservations",
    "reservation",
    "reception",
    "front",
    "desk",
    "team",
    "hotel",
    "manager",
    "general",
    "sales",
    "admin",
    "booking",
    "bookings",
    "office",
    "hello",
    # the templates' greetings: "Hallo Hallo," is no greeting
    "hi",
    "hey",
    "hallo",
    "bonjour",
    "hola",
    "dear",
    "mail",
    "the",
    "unknown",
    "n/a",
    "na",
    "none",
}
HONORIFICS = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "herr",
    "frau",
    "m",
    "mme",
    "mlle",
    "sr",
    "sra",
    "srta",
    "don",
    "doña",
    "sir",
    "madam",
}
_TEMPLATE_CHARS = re.compile(r"[{}\[\]<>%|\\`*_#~^=]")
# What exports and scripts write for a missing value (Python, SQL, pandas, Excel, JS):
# "hotels in None" must never reach a prospect. Exact spellings only, so the Thai city
# of Nan keeps its name (pandas writes "nan" or "NaN").
MISSING_VALUE_MARKERS = {"None", "none", "NULL", "null", "Null", "nil", "NaN", "nan", "N/A", "n/a", "NA", "undefined"}
_SPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = " \t.,;:!?-–—/'\"()&+@"
_EDGE_PUNCTUATION_BUT_BRACKETS = _EDGE_PUNCTUATION.replace("(", "").replace(")", "")


def _letters(value: str) -> int:
    return sum(1 for ch in value if ch.isalpha())


def clean_text(value, max_length: int = 200) -> str:
    """Outside text made safe to print inside a sentence; '' when it says nothing."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in str(value or ""))
    text = _SPACE.sub(" ", _TEMPLATE_CHARS.sub(" ", text))
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)  # "Foo , Bar" → "Foo, Bar"
    text = re.sub(r"([,.;:!?])[,.;:!?]+", r"\1", text)  # "Foo,, Bar" → "Foo, Bar"
    text = re.sub(r"\b(\w+)(?:\s+\1\b)+", r"\1", text, flags=re.IGNORECASE)  # "Hotel Hotel" → "Hotel"
    # brackets are stripped from the edges only in pairs ("Réceptionniste (H/F)" keeps its
    # closing one), and one without its partner is dropped wherever it is: an email never
    # opens what it does not close
    text = drop_unpaired(text.strip(_EDGE_PUNCTUATION_BUT_BRACKETS)).strip(_EDGE_PUNCTUATION_BUT_BRACKETS)
    while len(text) > 1 and text[0] == "(" and text[-1] == ")" and drop_unpaired(text[1:-1]) == text[1:-1]:
        text = text[1:-1].strip(_EDGE_PUNCTUATION_BUT_BRACKETS)
    text = _SPACE.sub(" ", text)
    if _letters(text) < 2 or text in MISSING_VALUE_MARKERS:
        return ""
    if len(text) > max_length:
        text = drop_unpaired(text[:max_length].rsplit(" ", 1)[0].strip(_EDGE_PUNCTUATION))
    return text


def _is_name_letter(ch: str) -> bool:
    return unicodedata.category(ch) in ("Lu", "Ll", "Lt")


def first_name_of(full_name: str) -> str:
    """The contact's first name when ``full_name`` plausibly holds one, else ''."""
    tokens = [t.strip(".,;:") for t in _SPACE.split(str(full_name or "").strip())]
    tokens = [t for t in tokens if t and t.lower() not in HONORIFICS]
    if not tokens:
        return ""
    candidate = tokens[0]
    if candidate.lower() in NOT_A_FIRST_NAME or candidate in MISSING_VALUE_MARKERS:
        return ""
    if len(candidate) < 2 or len(candidate) > 30:
        return ""
    if not _is_name_letter(candidate[0]) or not _is_name_letter(candidate[-1]):
        return ""
    if not all(_is_name_letter(ch) or ch in "'’-" for ch in candidate):
        return ""
    if candidate.isupper() or candidate.islower():
        candidate = "-".join(part[:1].upper() + part[1:].lower() for part in candidate.split("-"))
    return candidate


# lower-case words inside a name ("Ludwig van Beethoven", "María de la Cruz")
NAME_PARTICLES = {
    "van", "von", "de", "der", "den", "del", "della", "di", "da", "dos", "das", "du", "la", "le", "ten", "ter",
    "zu", "y", "e", "bin", "ibn", "al", "el", "af", "av",
}  # fmt: skip
NAME_MAX_WORDS = 5
NAME_MAX_LENGTH = 70
TITLE_MAX_WORDS = 8
TITLE_MAX_LENGTH = 80
_TITLE_CHARS = set(" &/-'’,()")
_ROLE_WORDS = NOT_A_FIRST_NAME - {"na", "n/a", "none", "unknown", "the"}  # "Park Na", but not "Anna Reservations"


def _in_name(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM" or ch in "'’-"  # letters and their marks, any script


def person_name(value) -> str:
    """``value`` when it is a plain person's name ("Dr. Zoë Müller", "Aiko Tanaka"), else ''.

    For text that may be printed as somebody's name (a referral note): one to five words
    of letters (any script) with inner hyphens and apostrophes and an initial's full stop,
    each starting with a capital where the script has capitals (but "van", "de" …), none
    of them a mailbox word ("Reservations Team") or a missing-value marker. No digits, no
    other punctuation, nothing shaped like an address or a domain: a sentence is no name.
    """
    text = _SPACE.sub(" ", str(value or "")).strip()
    words = text.split(" ")
    if not text or len(text) > NAME_MAX_LENGTH or len(words) > NAME_MAX_WORDS:
        return ""
    if all(word.rstrip(".").lower() in HONORIFICS for word in words):
        return ""  # "Ms", "Dr."
    for index, word in enumerate(words):
        bare = word[:-1] if word.endswith(".") else word  # "J.", "Dr."
        if word.endswith(".") and len(bare) > 4:
            return ""  # a full stop ends a sentence, not a name
        if not bare or not unicodedata.category(bare[0]).startswith("L") or not _in_name(bare[-1]):
            return ""
        if not all(_in_name(ch) for ch in bare) or not unicodedata.category(bare[-1]).startswith(("L", "M")):
            return ""
        if bare.lower() in (NOT_A_FIRST_NAME if index == 0 else _ROLE_WORDS) or bare in MISSING_VALUE_MARKERS:
            return ""
        if bare[0].islower() and (index == 0 or bare not in NAME_PARTICLES):
            return ""
    return text


def job_title(value) -> str:
    """``value`` when it reads as a job title ("Director of Sales & Marketing"), else ''.

    At most eight words of letters, spaces and ``& / - ' , ( )``; a full stop only after a
    short abbreviation ("Asst."). No digits, no sentence punctuation, no address or domain.
    """
    text = _SPACE.sub(" ", str(value or "")).strip()
    if not text or len(text) > TITLE_MAX_LENGTH or len(text.split(" ")) > TITLE_MAX_WORDS or _letters(text) < 2:
        return ""
    for word in text.split(" "):
        bare = word[:-1] if word.endswith(".") else word
        if word.endswith(".") and not (1 <= len(bare) <= 4 and bare.isalpha()):
            return ""
        if not all(ch.isalpha() or ch in _TITLE_CHARS for ch in bare):
            return ""
    return text


def referral_note_of(referrer) -> str:
    """'Sarah Johnson suggested we speak with you': the referring prospect's stored name, when
    it is a person's name; '' otherwise. Never anything a reply said (its From header, its
    body, a reader's summary of it): whoever writes a reply chooses those words."""
    name = person_name(referrer.name) if referrer is not None else ""
    return f"{name} suggested we speak with you" if name else ""


def email_language(campaign_language: str, country_code: str) -> str:
    """The campaign's language, or the prospect's country's when the campaign says 'local'."""
    language = (campaign_language or "en").strip().lower()
    if language == LOCAL:
        return COUNTRY_LANGUAGES.get((country_code or "").upper(), "en")
    language = language.split("-")[0]
    return language if language in SUPPORTED_LANGUAGES else "en"


@dataclass
class Pain:
    key: str  # a prospects.research LEXICON key, or '' for a free-text signal
    label: str  # English, as research wrote it
    evidence: str = ""


@dataclass
class HiringSignal:
    title: str  # the advert's title as a sentence carries it (roles.display_title), in its language
    posted_at: str = ""
    source: str = ""
    role: RoleName = field(default_factory=lambda: RoleName(""))  # named in the email's language


@dataclass
class CompositionContext:
    language: str
    company: str = ""
    first_name: str = ""
    contact_name: str = ""
    contact_title: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    pains: list[Pain] = field(default_factory=list)
    hiring: HiringSignal | None = None
    tech_gaps: list[str] = field(default_factory=list)
    research_summary: str = ""
    news: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    referral_note: str = ""
    website_domain: str = ""  # the hotel's own (prospects.dedup.website_domain of its website)
    # the campaign
    campaign_language: str = "en"
    pitch: str = ""
    case_studies: list[str] = field(default_factory=list)
    sender_name: str = ""
    signature: str = ""
    call_to_action: str = ""
    tone: str = ""
    postal_address: str = ""
    subject_variants: list[str] = field(default_factory=list)
    # where in the sequence
    step: int = 1
    angle: str = "first"
    first_subject: str = ""
    constraints: list[str] = field(default_factory=list)
    seed: int = 0  # the prospect's id: with the campaign's, it picks the phrasings (variation_key)
    campaign_id: int = 0
    facts: list[HotelFact] = field(default_factory=list)  # what research found, surest first
    example_emails: list[str] = field(default_factory=list)  # the campaign's, in this email's language

    @property
    def variation_key(self) -> str:
        """What picks this email's phrasings: the same prospect in the same campaign always
        gets the same email; another prospect (or campaign) most likely another."""
        return f"{self.campaign_id}:{self.seed}"

    def citable(self, fact: HotelFact) -> bool:
        """Whether the templates can say ``fact`` in this email's language (a review theme
        research named only in free English text can be said in English only)."""
        return bool(fact.key) or self.language == "en"

    @property
    def citable_facts(self) -> list[HotelFact]:
        return [fact for fact in self.facts if self.citable(fact)]

    @property
    def is_follow_up(self) -> bool:
        return self.step > 1

    @property
    def situation(self) -> str:
        """Which fallback variant fits: what we know that is worth a first sentence."""
        if self.hiring:
            return "hiring"
        if any(fact.kind == "review" for fact in self.citable_facts):
            return "pain"
        if self.tech_gaps:
            return "tech_gap"
        return "general"

    @property
    def sign_off_lines(self) -> list[str]:
        """The signature block: the persona's name, then the campaign's signature."""
        lines = [line.rstrip() for line in self.signature.strip().splitlines() if line.strip()]
        if self.sender_name and not any(self.sender_name in line for line in lines):
            lines.insert(0, self.sender_name)
        return lines or ["The Jengu team"]

    def facts_corpus(self) -> str:
        """Every source an email's facts may come from, as one text."""
        parts = [
            self.company,
            self.contact_name,
            self.first_name,
            self.contact_title,
            self.city,
            self.region,
            self.country,
            self.research_summary,
            self.referral_note,
            self.pitch,
            self.sender_name,
            self.signature,
            self.call_to_action,
            self.postal_address,
            self.first_subject,
            *self.case_studies,
            *self.subject_variants,
            *self.news,
            *self.competitors,
            *(f"{p.label} {p.evidence}" for p in self.pains),
        ]
        if self.hiring:
            parts.append(self.hiring.title)
        return "\n".join(part for part in parts if part)

    def link_sources(self) -> str:
        """The only texts whose web and mail domains an email may name: ours (the campaign's
        texts and signature) and the hotel's (its name, its website). Research, job adverts
        and replies are outside text; a domain found there is never repeated."""
        parts = [
            self.company,
            self.website_domain,
            self.pitch,
            self.sender_name,
            self.signature,
            self.call_to_action,
            self.postal_address,
            *self.case_studies,
            *self.subject_variants,
        ]
        return "\n".join(part for part in parts if part)

    def as_prompt_facts(self) -> dict:
        """The facts the AI may use, as plain data (outside text is fenced by the gateway)."""
        return {
            "hotel": self.company or None,
            "contact_first_name": self.first_name or None,
            "contact_title": self.contact_title or None,
            "city": self.city or None,
            "country": self.country or None,
            # the role in the email's language: the advert's own title only when it is in it
            "hiring_signal": (self.hiring.role.text or "an opening on the front-office team") if self.hiring else None,
            "pain_signals": [{"label": p.label, "evidence": p.evidence} for p in self.pains[:3]],
            "website_gaps": self.tech_gaps,
            "research_summary": self.research_summary or None,
            "news": self.news[:3],
            "referral_note": self.referral_note or None,
            # surest first: the email cites at least one
            "hotel_facts": [fact.as_prompt() for fact in self.citable_facts[:5]],
        }


def _pains_from(report_pains, prospect_pains) -> list[Pain]:
    from prospects.research import LEXICON

    by_label = {}
    for key, (label, phrase, *_rest) in LEXICON.items():
        by_label[label.lower()] = key
        by_label[phrase.lower()] = key
    pains: list[Pain] = []
    for item in report_pains or prospect_pains or []:
        if isinstance(item, dict):
            key = item.get("key") or by_label.get(str(item.get("label", "")).lower(), "")
            label = clean_text(item.get("label") or (LEXICON[key][0] if key in LEXICON else ""), 80)
            evidence = clean_text(item.get("evidence", ""), 160)
        else:
            label = clean_text(item, 80)
            key = by_label.get(label.lower(), "")
            evidence = ""
        if key not in LEXICON:
            key = ""
        if (key or label) and not any(p.key == key and p.label == label for p in pains):
            pains.append(Pain(key=key, label=label, evidence=evidence))
    return pains


def build_context(
    prospect,
    campaign,
    *,
    step: int = 1,
    angle: str = "first",
    first_subject: str = "",
    constraints=(),
) -> CompositionContext:
    """The composition context of ``prospect`` for ``campaign`` (reads, never writes)."""
    report = prospect.research_reports.order_by("-created_at", "-id").first() if prospect.pk else None
    posting = prospect.job_postings.order_by("-found_at", "-id").first() if prospect.pk else None
    summary = prospect.research_report or {}
    gaps = ((prospect.website_analysis or {}).get("technology") or {}).get("gaps") or []
    hiring = None
    country = prospect.country.code if prospect.country else ""
    language = email_language(campaign.language, country)
    if posting and (title := clean_text(display_title(posting.title), 80)):
        hiring = HiringSignal(
            title=title,
            posted_at=posting.posted_at.isoformat() if posting.posted_at else "",
            source=posting.source,
            role=role_in(title, language),
        )
    company = clean_text(prospect.company_name, 120)
    pains = _pains_from(report.pain_signals if report else None, prospect.pain_signals)
    gaps = [gap for gap in MENTIONABLE_GAPS if gap in gaps]
    news = _news_from(report.news if report else None, summary.get("news"))
    return CompositionContext(
        language=language,
        company=company,
        first_name=first_name_of(prospect.name),
        contact_name=clean_text(prospect.name, 120),
        contact_title=job_title(clean_text(prospect.title, 120)),
        city=clean_text(prospect.city, 80),
        region=clean_text(prospect.region, 80),
        country=country,
        pains=pains,
        hiring=hiring,
        tech_gaps=gaps,
        research_summary=clean_text((report.summary if report else "") or summary.get("summary", ""), 600),
        news=[headline for headline, _date in news],
        competitors=[t for t in (clean_text(n, 100) for n in summary.get("competitors") or []) if t],
        # built here from the referrer's stored name, never read from the free-text column
        # (rows written before this rule hold a reply's From header there)
        referral_note=referral_note_of(prospect.referred_by) if prospect.referred_by_id else "",
        website_domain=prospect.website_domain or "",
        campaign_language=campaign.language,
        pitch=pitch_for(campaign, prospect),
        case_studies=[str(c).strip() for c in campaign.case_studies or [] if str(c).strip()],
        sender_name=(campaign.sender_name or "").strip(),
        signature=(campaign.signature or "").strip(),
        call_to_action=(campaign.call_to_action or "").strip(),
        tone=campaign.tone or "",
        postal_address=(campaign.postal_address or "").strip(),
        subject_variants=[str(s).strip() for s in campaign.subject_variants or [] if str(s).strip()],
        step=step,
        angle=angle if angle in ANGLES else "reminder",
        first_subject=first_subject,
        constraints=[c for c in constraints if c],
        seed=prospect.pk or 0,
        campaign_id=campaign.pk or 0,
        facts=hotel_facts(pains=pains, gaps=gaps, news=news, company=company),
        example_emails=campaign_examples(campaign, language),
    )


def _news_from(report_news, summary_news) -> list[tuple[str, str]]:
    """(headline, date) of each news item: the report's items, else the prospect's summary titles."""
    items = []
    for item in report_news or summary_news or []:
        if isinstance(item, dict):
            headline, date = clean_text(item.get("title"), 160), clean_text(item.get("date"), 40)
        else:
            headline, date = clean_text(item, 160), ""
        if headline:
            items.append((headline, date))
    return items


EXAMPLE_SEPARATOR = re.compile(r"^\s*-{3,}\s*$", re.MULTILINE)
EXAMPLE_LANGUAGE = re.compile(r"^\s*\[(?P<language>[a-z]{2})\]\s*\n", re.IGNORECASE)


def phrasings(text: str) -> list[str]:
    """The phrasings of a campaign text written several ways, separated by a line of three dashes."""
    return [part.strip() for part in EXAMPLE_SEPARATOR.split(text or "") if part.strip()]


def pitch_for(campaign, prospect) -> str:
    """The campaign's pitch as this prospect reads it: one of its phrasings, the same one every time."""
    options = phrasings(campaign.product_pitch)
    if len(options) < 2:
        return options[0] if options else ""
    return options[pick(f"{campaign.pk or 0}:{prospect.pk or 0}", "pitch", len(options))]


def parse_examples(text: str) -> list[tuple[str, str]]:
    """(language or '', email) for each example in a campaign's ``example_emails``: examples
    are separated by a line of three dashes; one may start with a line like ``[de]``."""
    examples = []
    for block in EXAMPLE_SEPARATOR.split(text or ""):
        block = block.strip("\n")
        match = EXAMPLE_LANGUAGE.match(block)
        language = match.group("language").lower() if match else ""
        body = block[match.end() :] if match else block
        if body.strip():
            examples.append((language, body.strip()))
    return examples


def campaign_examples(campaign, language: str) -> list[str]:
    """The campaign's example emails in ``language`` (unmarked ones are in the campaign's language)."""
    own = email_language(campaign.language, "") if campaign.language != LOCAL else "en"
    examples = parse_examples(getattr(campaign, "example_emails", "") or "")
    return [body for lang, body in examples if (lang or own) == language][:3]
