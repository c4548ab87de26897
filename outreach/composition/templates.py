"""The fallback writer: Django templates that read like a person wrote them.

``render_fallback(context) -> (subject, body)`` picks a template by language and
situation — ``templates/outreach/emails/<lang>/first_<situation>.txt`` (hiring, pain,
tech_gap, general) for a first email, ``follow_up_<angle>.txt`` (reminder, new_value,
breakup) for a follow-up — and fills it from the context. No model is involved, so it
is the path every email can take, offline and at thousands per second.

The phrases that depend on data (greeting, a pain signal, a website gap, the subject)
are chosen here, per language, so that a missing field changes the sentence rather than
leaving a hole in it. The campaign's own texts (pitch, case studies, call to action) are
written in the campaign's language ('local' campaigns: English); an email in another
language describes the offer in its own general words instead of mixing languages.
"""

from __future__ import annotations

import re

from django.template.loader import render_to_string

from outreach.composition.context import CompositionContext

SUBJECT_MAX = 60

GREETINGS = {
    "en": ("Hi {name},", "Hello,"),
    "de": ("Hallo {name},", "Guten Tag,"),
    "fr": ("Bonjour {name},", "Bonjour,"),
    "es": ("Hola {name},", "Hola,"),
}
SIGN_OFFS = {"en": "Best,", "de": "Viele Grüße", "fr": "Bien cordialement,", "es": "Un saludo,"}
YOUR_HOTEL = {"en": "your hotel", "de": "Ihr Haus", "fr": "votre hôtel", "es": "su hotel"}

# the call to action and a line about the offer, for emails not in the campaign's language
DEFAULT_CTA = {
    "en": "Would you be open to a short call next week?",
    "de": "Hätten Sie nächste Woche Zeit für ein kurzes Gespräch?",
    "fr": "Auriez-vous un moment pour en parler la semaine prochaine ?",
    "es": "¿Tendría un momento para hablarlo la semana que viene?",
}
GENERIC_OFFER = {
    "en": "We help hotels take routine work off the front desk, so the team has more time for guests.",
    "de": "Wir helfen Hotels, Routinearbeit von der Rezeption zu nehmen, damit das Team mehr Zeit für die Gäste hat.",
    "fr": "Nous aidons les hôtels à alléger le travail de routine à la réception, pour que l'équipe ait plus "
    "de temps pour les clients.",
    "es": "Ayudamos a los hoteles a quitar trabajo rutinario de la recepción, para que el equipo tenga más "
    "tiempo para los huéspedes.",
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

GAP_SENTENCES = {
    "en": {
        "no_booking_engine": "I had a look at your website and could not find a way to book a room directly.",
        "no_chat": "I had a look at your website, and there is no quick way for a guest to ask a question there.",
    },
    "de": {
        "no_booking_engine": "ich habe mir Ihre Website angesehen und dort keine Möglichkeit gefunden, "
        "direkt zu buchen.",
        "no_chat": "ich habe mir Ihre Website angesehen: Gäste können dort nicht schnell eine Frage stellen.",
    },
    "fr": {
        "no_booking_engine": "J'ai regardé votre site et je n'ai pas trouvé comment réserver une chambre en direct.",
        "no_chat": "J'ai regardé votre site : un client ne peut pas y poser rapidement une question.",
    },
    "es": {
        "no_booking_engine": "He mirado su web y no he encontrado cómo reservar una habitación directamente.",
        "no_chat": "He mirado su web y un huésped no tiene una forma rápida de hacer una pregunta.",
    },
}

# first-email subjects: (with the hotel's name, without it)
SUBJECTS = {
    "en": {
        "hiring": ("{job} at {hotel}", "Your {job} opening"),
        "pain": ("A thought on guest reviews at {hotel}", "A thought on your guest reviews"),
        "tech_gap": ("A question about the {hotel} website", "A question about your website"),
        "general": ("A quick idea for {hotel}", "A quick idea for your hotel"),
    },
    "de": {
        "hiring": ("{job} bei {hotel}", "Ihre Stelle als {job}"),
        "pain": ("Ein Gedanke zu den Bewertungen von {hotel}", "Ein Gedanke zu Ihren Gästebewertungen"),
        "tech_gap": ("Eine Frage zur Website von {hotel}", "Eine Frage zu Ihrer Website"),
        "general": ("Eine kurze Idee für {hotel}", "Eine kurze Idee für Ihr Haus"),
    },
    "fr": {
        "hiring": ("{job} chez {hotel}", "Votre poste de {job}"),
        "pain": ("Une idée sur les avis de {hotel}", "Une idée sur vos avis clients"),
        "tech_gap": ("Une question sur le site de {hotel}", "Une question sur votre site"),
        "general": ("Une idée rapide pour {hotel}", "Une idée rapide pour votre hôtel"),
    },
    "es": {
        "hiring": ("{job} en {hotel}", "Su vacante de {job}"),
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


def pain_phrase(context: CompositionContext, index: int = 0) -> str:
    phrases = PAIN_PHRASES.get(context.language, PAIN_PHRASES["en"])
    known = [p for p in context.pains if p.key in phrases]
    if index < len(known):
        return phrases[known[index].key]
    if context.language == "en":
        free = [p.label.lower() for p in context.pains if not p.key and p.label]
        if index - len(known) < len(free) and index >= len(known):
            return free[index - len(known)]
    return ""


def first_subject(context: CompositionContext) -> str:
    """The subject of a first email from the fallback (subject variants win over it)."""
    with_hotel, without = SUBJECTS.get(context.language, SUBJECTS["en"])[context.situation]
    job = context.hiring.title if context.hiring else ""
    for pattern in (with_hotel, without) if context.company else (without,):
        subject = pattern.format(hotel=context.company, job=job)
        if len(subject) <= SUBJECT_MAX:
            return subject
    return LAST_RESORT_SUBJECT.get(context.language, LAST_RESORT_SUBJECT["en"])


def follow_up_subject(first: str) -> str:
    """A reply in the thread: 'Re: <first subject>' (never 'Re: Re: …')."""
    first = re.sub(r"^(?:(?:re|aw|sv|rv)\s*:\s*)+", "", first or "", flags=re.IGNORECASE).strip()
    return f"Re: {first}" if first else "Re: our conversation"


def _template_values(context: CompositionContext) -> dict:
    own_texts = campaign_texts_apply(context)
    cases = context.case_studies if own_texts else []
    first_case = cases[context.seed % len(cases)] if cases else ""
    other_cases = [c for c in cases if c != first_case]
    return {
        "greeting": greeting(context),
        "first_name": context.first_name,
        "hotel": context.company,
        "hotel_ref": context.company or YOUR_HOTEL.get(context.language, "your hotel"),
        "city": context.city,
        "job_title": context.hiring.title if context.hiring else "",
        "pain": pain_phrase(context, 0),
        "pain2": pain_phrase(context, 1),
        "gap_sentence": next(
            (GAP_SENTENCES[context.language][g] for g in context.tech_gaps if g in GAP_SENTENCES[context.language]),
            "",
        ),
        "pitch": context.pitch if own_texts else GENERIC_OFFER[context.language],
        "case_study": _inline(_sentence(first_case).rstrip(".")),
        "other_case_study": _sentence(other_cases[0]).rstrip(".") if other_cases else "",
        "cta": context.call_to_action if own_texts and context.call_to_action else DEFAULT_CTA[context.language],
        "sign_off": SIGN_OFFS.get(context.language, "Best,"),
        "signature_lines": context.sign_off_lines,
        "referral_note": context.referral_note if context.language == "en" else "",
        "v": context.seed % 2,
    }


def _tidy(text: str) -> str:
    """Whitespace a template leaves behind: trailing spaces, runs of blank lines."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.strip().splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def template_name(context: CompositionContext) -> str:
    language = context.language if context.language in GREETINGS else "en"
    if context.is_follow_up:
        angle = context.angle if context.angle in ("reminder", "new_value", "breakup") else "reminder"
        return f"outreach/emails/{language}/follow_up_{angle}.txt"
    return f"outreach/emails/{language}/first_{context.situation}.txt"


def render_fallback(context: CompositionContext) -> tuple[str, str]:
    """(subject, body) of the fallback email for ``context``."""
    body = _tidy(render_to_string(template_name(context), _template_values(context)))
    subject = follow_up_subject(context.first_subject) if context.is_follow_up else first_subject(context)
    return subject, body
