"""The fallback writer: templates written by people, several phrasings per paragraph.

``render_fallback(context) -> (subject, body)`` picks a template by language and
situation — ``templates/outreach/emails/<lang>/first_<situation>.txt`` (hiring, pain,
tech_gap, general) for a first email, ``follow_up_<angle>.txt`` (reminder, new_value,
breakup) for a follow-up — and fills it from the context. No model is involved, so it
is the path every email can take, offline and at thousands per second.

How a template file reads (see the README's *Composition* section):

- A blank line starts a new paragraph; a line break inside a paragraph is a space, so
  each sentence can sit on its own line.
- ``{% variant "name" %} … {% or %} … {% endvariant %}`` holds several phrasings of the
  same sentence or paragraph; one is chosen per prospect (``variants.pick`` on the
  campaign and prospect ids), so the same prospect always gets the same email and a
  campaign's emails do not share most of their words.
- The sign-off and signature come from ``_signature.txt``, line by line.

The phrases that depend on data (greeting, a review theme, a news theme, the role, the
subject) are chosen here, per language, so that a missing field changes the sentence
rather than leaving a hole in it. The campaign's own texts (pitch, case studies, call to
action) are written in the campaign's language ('local' campaigns: English); an email in
another language describes the offer in its own general words instead of mixing
languages.
"""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings
from django.template import Context, Engine
from django.template.loaders.filesystem import Loader as FilesystemLoader

from outreach.composition.context import CompositionContext
from outreach.composition.hotel_facts import HotelFact
from outreach.composition.variants import pick

SUBJECT_MAX = 60

GREETINGS = {
    "en": ("Hi {name},", "Hello,"),
    "de": ("Hallo {name},", "Guten Tag,"),
    "fr": ("Bonjour {name},", "Bonjour,"),
    "es": ("Hola {name},", "Hola,"),
}
# the sign-off line above the signature, one per prospect
SIGN_OFFS = {
    "en": ("Best,", "Best regards,", "Kind regards,"),
    "de": ("Viele Grüße", "Beste Grüße", "Freundliche Grüße"),
    "fr": ("Bien cordialement,", "Cordialement,", "Bien à vous,"),
    "es": ("Un saludo,", "Saludos cordiales,", "Un cordial saludo,"),
}
YOUR_HOTEL = {"en": "your hotel", "de": "Ihr Haus", "fr": "votre hôtel", "es": "su hotel"}

# the call to action and a line about the offer, for emails not in the campaign's language
# (or a campaign without a call to action): several phrasings each, one per prospect
DEFAULT_CTA = {
    "en": (
        "Would you be open to a short call next week?",
        "Would a short call next week be useful?",
        "Do you have fifteen minutes for a call one day next week?",
        "Would it help if I suggested a few times for a short call?",
    ),
    "de": (
        "Hätten Sie nächste Woche Zeit für ein kurzes Gespräch?",
        "Passt Ihnen nächste Woche ein kurzes Telefonat?",
        "Wollen wir nächste Woche kurz telefonieren?",
        "Darf ich Ihnen zwei, drei Termine für ein kurzes Gespräch vorschlagen?",
    ),
    "fr": (
        "Auriez-vous un moment pour en parler la semaine prochaine ?",
        "Pourrions-nous en parler un quart d'heure la semaine prochaine ?",
        "Seriez-vous disponible pour un court appel la semaine prochaine ?",
        "Voulez-vous que je vous propose deux ou trois créneaux pour un court appel ?",
    ),
    "es": (
        "¿Tendría un momento para hablarlo la semana que viene?",
        "¿Le vendría bien una llamada corta la semana que viene?",
        "¿Hablamos quince minutos la semana que viene?",
        "¿Le propongo un par de horarios para una llamada corta?",
    ),
}
GENERIC_OFFER = {
    "en": (
        "We help hotels take routine work off the front desk, so the team has more time for guests.",
        "What we do is simple: we take the routine questions and check-ins off the front desk, so your team "
        "can spend that time with guests.",
        "Our tool handles the routine part of the front desk, the same questions and the check-in paperwork, "
        "so the people at the desk can look after guests.",
    ),
    "de": (
        "Wir helfen Hotels, Routinearbeit von der Rezeption zu nehmen, damit das Team mehr Zeit für die Gäste hat.",
        "Wir nehmen der Rezeption die Routine ab, also die immer gleichen Fragen und den Papierkram beim "
        "Check-in, damit Ihr Team mehr Zeit für die Gäste hat.",
        "Unser Werkzeug übernimmt den Routineteil an der Rezeption. So bleibt Ihrem Team mehr Zeit für die Gäste.",
    ),
    "fr": (
        "Nous aidons les hôtels à alléger le travail de routine à la réception, pour que l'équipe ait plus "
        "de temps pour les clients.",
        "Notre outil prend en charge la routine de la réception, les questions qui reviennent et les "
        "formalités d'arrivée, pour que votre équipe se consacre aux clients.",
        "Nous retirons à la réception les tâches qui se répètent, pour que l'équipe ait plus de temps à "
        "passer avec les clients.",
    ),
    "es": (
        "Ayudamos a los hoteles a quitar trabajo rutinario de la recepción, para que el equipo tenga más "
        "tiempo para los huéspedes.",
        "Nuestra herramienta se ocupa de la parte rutinaria de la recepción, las preguntas de siempre y el "
        "papeleo del check-in, para que su equipo atienda a los huéspedes.",
        "Quitamos a la recepción las tareas que se repiten, para que el equipo pueda dedicar ese tiempo a "
        "los huéspedes.",
    ),
}

# prospects.research LEXICON keys → how each language says it inside a sentence
PAIN_PHRASES = {
    "en": {
        "slow_checkin": "slow check-in",
        "dirty_rooms": "rooms that were not quite clean",
        "noise": "noise at night",
        "wifi": "Wi-Fi problems",
        "unfriendly_staff": "a cool welcome at the desk",
        "outdated_rooms": "rooms that feel dated",
        "breakfast": "a disappointing breakfast",
        "parking": "trouble with parking",
        "booking_errors": "mix-ups with bookings",
        "slow_replies": "slow replies to emails and calls",
        "hidden_fees": "fees they did not expect",
        "ac_heating": "air conditioning or heating trouble",
    },
    "de": {
        "slow_checkin": "ein langsamer Check-in",
        "dirty_rooms": "nicht ganz saubere Zimmer",
        "noise": "Lärm in der Nacht",
        "wifi": "Probleme mit dem WLAN",
        "unfriendly_staff": "ein kühler Empfang an der Rezeption",
        "outdated_rooms": "in die Jahre gekommene Zimmer",
        "breakfast": "das Frühstück",
        "parking": "Probleme beim Parken",
        "booking_errors": "Fehler bei Buchungen",
        "slow_replies": "langsame Antworten auf E-Mails und Anrufe",
        "hidden_fees": "unerwartete Gebühren",
        "ac_heating": "Probleme mit Klimaanlage oder Heizung",
    },
    "fr": {
        "slow_checkin": "la lenteur du check-in",
        "dirty_rooms": "la propreté des chambres",
        "noise": "le bruit la nuit",
        "wifi": "le Wi-Fi",
        "unfriendly_staff": "l'accueil à la réception",
        "outdated_rooms": "des chambres un peu datées",
        "breakfast": "le petit-déjeuner",
        "parking": "le stationnement",
        "booking_errors": "des erreurs de réservation",
        "slow_replies": "des réponses lentes aux e-mails et aux appels",
        "hidden_fees": "des frais inattendus",
        "ac_heating": "la climatisation ou le chauffage",
    },
    "es": {
        "slow_checkin": "la lentitud del check-in",
        "dirty_rooms": "la limpieza de las habitaciones",
        "noise": "el ruido por la noche",
        "wifi": "el wifi",
        "unfriendly_staff": "el trato en la recepción",
        "outdated_rooms": "habitaciones algo anticuadas",
        "breakfast": "el desayuno",
        "parking": "el aparcamiento",
        "booking_errors": "errores en las reservas",
        "slow_replies": "la lentitud al responder correos y llamadas",
        "hidden_fees": "cargos inesperados",
        "ac_heating": "el aire acondicionado o la calefacción",
    },
}

# news themes (outreach.composition.hotel_facts.NEWS_THEMES) as a noun phrase after
# "about" / "über" / "sur" / "sobre"
NEWS_PHRASES = {
    "en": {
        "renovation": "the renovation",
        "reopening": "the reopening",
        "award": "the award",
        "new_manager": "the new general manager",
        "acquisition": "the change of ownership",
        "expansion": "the expansion",
        "rebrand": "the rebrand",
    },
    "de": {
        "renovation": "die Renovierung",
        "reopening": "die Wiedereröffnung",
        "award": "die Auszeichnung",
        "new_manager": "die neue Hotelleitung",
        "acquisition": "den Eigentümerwechsel",
        "expansion": "die Erweiterung",
        "rebrand": "den Markenwechsel",
    },
    "fr": {
        "renovation": "la rénovation",
        "reopening": "la réouverture",
        "award": "la récompense",
        "new_manager": "la nouvelle direction",
        "acquisition": "le changement de propriétaire",
        "expansion": "l'agrandissement",
        "rebrand": "le changement d'enseigne",
    },
    "es": {
        "renovation": "la reforma",
        "reopening": "la reapertura",
        "award": "el premio",
        "new_manager": "la nueva dirección",
        "acquisition": "el cambio de propietario",
        "expansion": "la ampliación",
        "rebrand": "el cambio de marca",
    },
}

# first-email subjects: (with the hotel's name, without it)
SUBJECTS = {
    "en": {
        "hiring": ("{job} at {hotel}", "Your {job} opening"),
        "hiring_team": ("Your front-office team at {hotel}", "Your front-office opening"),
        "pain": ("A thought on guest reviews at {hotel}", "A thought on your guest reviews"),
        "tech_gap": ("A question about the {hotel} website", "A question about your website"),
        "general": ("A quick idea for {hotel}", "A quick idea for your hotel"),
    },
    "de": {
        "hiring": ("{job} bei {hotel}", "Ihre Stelle als {job}"),
        "hiring_team": ("Ihr Rezeptionsteam bei {hotel}", "Ihre offene Stelle an der Rezeption"),
        "pain": ("Ein Gedanke zu den Bewertungen von {hotel}", "Ein Gedanke zu Ihren Gästebewertungen"),
        "tech_gap": ("Eine Frage zur Website von {hotel}", "Eine Frage zu Ihrer Website"),
        "general": ("Eine kurze Idee für {hotel}", "Eine kurze Idee für Ihr Haus"),
    },
    "fr": {
        "hiring": ("{job} chez {hotel}", "Votre poste {job_de}"),
        "hiring_team": ("Votre équipe de réception chez {hotel}", "Votre poste ouvert à la réception"),
        "pain": ("Une idée sur les avis de {hotel}", "Une idée sur vos avis clients"),
        "tech_gap": ("Une question sur le site de {hotel}", "Une question sur votre site"),
        "general": ("Une idée rapide pour {hotel}", "Une idée rapide pour votre hôtel"),
    },
    "es": {
        "hiring": ("{job} en {hotel}", "Su vacante de {job}"),
        "hiring_team": ("Su equipo de recepción en {hotel}", "Su vacante en recepción"),
        "pain": ("Una idea sobre las reseñas de {hotel}", "Una idea sobre sus reseñas"),
        "tech_gap": ("Una pregunta sobre la web de {hotel}", "Una pregunta sobre su web"),
        "general": ("Una idea rápida para {hotel}", "Una idea rápida para su hotel"),
    },
}
LAST_RESORT_SUBJECT = {
    "en": "A quick question",
    "de": "Eine kurze Frage",
    "fr": "Une petite question",
    "es": "Una pregunta",
}


def greeting(context: CompositionContext) -> str:
    named, neutral = GREETINGS.get(context.language, GREETINGS["en"])
    return named.format(name=context.first_name) if context.first_name else neutral


def campaign_texts_apply(context: CompositionContext) -> bool:
    """Whether the campaign's own texts are in the email's language (then we quote them)."""
    texts_language = "en" if context.campaign_language == "local" else context.campaign_language.split("-")[0]
    return texts_language == context.language


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _inline(text: str) -> str:
    """A case study placed after "One example:": "A 40-room hotel…" reads "a 40-room hotel…"."""
    first, _, rest = text.partition(" ")
    return f"{first.lower()} {rest}" if first in ("A", "An", "The") and rest else text


def french_de(role: str) -> str:
    """'de réceptionniste', "d'agent de réservation": French elides 'de' before a vowel or a mute h."""
    return f"d'{role}" if role[:1].lower() in "aeiouyhéèêàâîôû" else f"de {role}"


def fact_phrase(context: CompositionContext, fact: HotelFact | None) -> str:
    """How the email says ``fact`` inside a sentence ('' for a website gap: the templates
    write those sentences themselves)."""
    if fact is None:
        return ""
    language = context.language if context.language in PAIN_PHRASES else "en"
    if fact.kind == "review":
        if fact.key in PAIN_PHRASES[language]:
            return PAIN_PHRASES[language][fact.key]
        return fact.summary.removeprefix("Guest reviews mention ").rstrip(".") if language == "en" else ""
    if fact.kind == "news":
        return NEWS_PHRASES[language].get(fact.key, "")
    return ""


def pain_phrase(context: CompositionContext, index: int = 0) -> str:
    reviews = [f for f in context.citable_facts if f.kind == "review"]
    return fact_phrase(context, reviews[index]) if index < len(reviews) else ""


def _role(context: CompositionContext) -> str:
    return context.hiring.role.text if context.hiring else ""


def first_subject(context: CompositionContext) -> str:
    """The subject of a first email from the fallback (subject variants win over it)."""
    situation = context.situation
    if situation == "hiring" and not _role(context):
        situation = "hiring_team"
    with_hotel, without = SUBJECTS.get(context.language, SUBJECTS["en"])[situation]
    job = _role(context)
    for pattern in (with_hotel, without) if context.company else (without,):
        subject = pattern.format(hotel=context.company, job=job, job_de=french_de(job) if job else "")
        subject = subject[:1].upper() + subject[1:]
        if len(subject) <= SUBJECT_MAX:
            return subject
    return LAST_RESORT_SUBJECT.get(context.language, LAST_RESORT_SUBJECT["en"])


def follow_up_subject(first: str) -> str:
    """A reply in the thread: 'Re: <first subject>' (never 'Re: Re: …')."""
    first = re.sub(r"^(?:(?:re|aw|sv|rv)\s*:\s*)+", "", first or "", flags=re.IGNORECASE).strip()
    return f"Re: {first}" if first else "Re: our conversation"


def _choose(context: CompositionContext, name: str, options: tuple[str, ...]) -> str:
    return options[pick(context.variation_key, name, len(options))]


def _template_values(context: CompositionContext) -> dict:
    language = context.language if context.language in GREETINGS else "en"
    own_texts = campaign_texts_apply(context)
    cases = context.case_studies if own_texts else []
    first_case = cases[pick(context.variation_key, "case_study", len(cases))] if cases else ""
    other_cases = [c for c in cases if c != first_case]
    facts = context.citable_facts
    role = _role(context)
    gaps = [f.key for f in facts if f.kind == "website"]
    news = [f for f in facts if f.kind == "news"]
    return {
        "variation_key": context.variation_key,
        "greeting": greeting(context),
        "first_name": context.first_name,
        "hotel": context.company,
        "hotel_ref": context.company or YOUR_HOTEL[language],
        "city": context.city,
        # the advertised role in the email's language; '' = "the opening on your front-office team"
        "hiring": bool(context.hiring),
        "role": role,
        "role_de": french_de(role) if role else "",
        "job_title": role,
        # the surest fact research found, said in this language (hiring: a second sentence)
        "fact": facts[0] if facts else None,
        "fact_phrase": fact_phrase(context, facts[0]) if facts else "",
        "pain": pain_phrase(context, 0),
        "pain2": pain_phrase(context, 1),
        "gap": gaps[0] if gaps else "",
        "news": fact_phrase(context, news[0]) if news else "",
        "pitch": context.pitch if own_texts else _choose(context, "generic_offer", GENERIC_OFFER[language]),
        "case_study": _inline(_sentence(first_case).rstrip(".")),
        "other_case_study": _sentence(other_cases[0]).rstrip(".") if other_cases else "",
        "cta": context.call_to_action
        if own_texts and context.call_to_action
        else _choose(context, "cta", DEFAULT_CTA[language]),
        "sign_off": _choose(context, "sign_off", SIGN_OFFS[language]),
        "signature_lines": context.sign_off_lines,
        "referral_note": context.referral_note if language == "en" else "",
    }


# --- the template engine ---------------------------------------------------------------------

PARAGRAPH = "\ue000"  # a blank line of a template's source: where a paragraph ends
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)*")


class ParagraphLoader(FilesystemLoader):
    """Reads the email templates with each blank line marked as a paragraph break, so that a
    value or a tag that renders empty never splits (or merges) paragraphs by accident."""

    def get_contents(self, origin) -> str:
        text = super().get_contents(origin).replace("\r\n", "\n")
        return text if origin.name.endswith("_signature.txt") else _BLANK_LINES.sub(f"\n{PARAGRAPH}\n", text)


@cache
def email_engine() -> Engine:
    """The engine for the email templates: the project's template folders, ``{% variant %}``
    built in, nothing escaped (an email is plain text)."""
    return Engine(
        dirs=settings.TEMPLATES[0]["DIRS"],
        loaders=[("django.template.loaders.cached.Loader", ["outreach.composition.templates.ParagraphLoader"])],
        builtins=["outreach.composition.variants"],
        autoescape=False,
    )


def _paragraphs(text: str) -> str:
    """The rendered template as paragraphs: lines joined by spaces, one blank line between."""
    paragraphs = [" ".join(part.split()) for part in text.split(PARAGRAPH)]
    return "\n\n".join(p for p in paragraphs if p)


def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def template_name(context: CompositionContext) -> str:
    language = context.language if context.language in GREETINGS else "en"
    if context.is_follow_up:
        angle = context.angle if context.angle in ("reminder", "new_value", "breakup") else "reminder"
        return f"outreach/emails/{language}/follow_up_{angle}.txt"
    return f"outreach/emails/{language}/first_{context.situation}.txt"


def render_fallback(context: CompositionContext) -> tuple[str, str]:
    """(subject, body) of the fallback email for ``context``.

    A first email that comes out longer than the form gate allows (a long campaign pitch,
    a fact sentence) is written again with ``short`` set: the templates then leave out the
    sentence that explains rather than informs."""
    from outreach.composition.gates import WORDS, word_count

    values = Context(_template_values(context), autoescape=False)
    engine = email_engine()
    template = engine.get_template(template_name(context))
    body = _paragraphs(template.render(values))
    signature = _lines(engine.get_template("outreach/emails/_signature.txt").render(values))
    if word_count(f"{body}\n\n{signature}") > WORDS["follow_up" if context.is_follow_up else "first"][1]:
        values["short"] = True
        body = _paragraphs(template.render(values))
    subject = follow_up_subject(context.first_subject) if context.is_follow_up else first_subject(context)
    return subject, f"{body}\n\n{signature}"
