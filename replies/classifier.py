"""The deterministic reply reader: the AI gateway's fallback, and good enough on its own.

``classify_reply(text, subject=..., sender=..., headers=..., today=...)`` returns a
``ReplyInterpretation``. It reads English, German, French and Spanish with weighted
keyword/regex rules over the cleaned new text, in this order of precedence:

1. delivery failures (a mailer-daemon sender, a delivery-status report, bounce wording);
2. unsubscribe requests (stronger than a mere "not interested", and than absence wording:
   "I was out of office last week, please remove me" is a removal);
3. automatic replies: out of office (with the return date parsed), or "no longer works here";
4. delegation: a referral verb plus another person (name, title, address extracted);
5. otherwise the best-scoring of meeting request, needs more info, interested,
   not interested and wrong person.

An abuse feedback report (ARF) is recognised apart, from its MIME structure
(``feedback_report_form``) and its Feedback-Type (``feedback_is_complaint``): it never
reaches this reader.

Its confidence reflects how clear the evidence was, so weak guesses fall under the 0.7
alert threshold and reach a human. Measured on tests/fixtures/replies/labelled.jsonl
(bench/replies.py prints per-intent precision and recall).
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass

from replies.schema import DelegatedTo, ReplyInterpretation

FOLD = str.maketrans({"ß": "ss", "’": "'", "‘": "'", "´": "'", "`": "'", "«": '"', "»": '"'})


def fold(text: str) -> str:
    """Lower case, accents off, typographic quotes straightened: the form every rule reads."""
    text = (text or "").translate(FOLD).lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[ \t\u00a0]+", " ", text)


def _rules(*pairs):
    return [(re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in pairs]


# --- vocabularies (folded: no accents, lower case) ------------------------------------
BOUNCE_SENDER = re.compile(r"mailer-daemon|postmaster|mail delivery (?:system|subsystem)|bounce", re.I)
BOUNCE = _rules(
    (r"\bdelivery (?:status notification|has failed|failure|failed|to the following)", 3),
    (r"\bundeliver(?:able|ed)\b|\bnot (?:be )?delivered\b|couldn't be delivered|could not be delivered", 3),
    (r"\breturned (?:mail|to sender)\b|\bfailure notice\b|\bmail delivery failed\b", 3),
    (r"\b5[0-9]{2}[ -][0-9]\.[0-9]\.[0-9]+\b|\b55[0-4]\b", 2),
    (r"user unknown|unknown user|no such user|mailbox (?:unavailable|full|not found)|quota exceeded", 3),
    (r"address (?:not found|couldn't be found|could not be found|rejected)|does not exist|no mailbox", 3),
    (r"(?:domain|host) .{0,40}(?:couldn't be found|not found)|permanent error", 2),
    (r"\bunzustellbar\b|nicht zu ?stellbar|zustellung (?:ist )?fehlgeschlagen|konnte nicht zugestellt", 3),
    (r"empfanger .{0,30}unbekannt|benutzer unbekannt|postfach (?:existiert nicht|voll)", 3),
    (r"\bnon remis\b|n'a pas pu etre (?:remis|delivre)|echec de (?:la )?remise|non delivre", 3),
    (r"destinataire inconnu|adresse (?:est )?introuvable|boite aux lettres (?:inexistante|pleine)", 3),
    (r"no se (?:ha )?pued(?:e|o) entregar|no (?:pudo|ha podido) ser entregado|no entregado", 3),
    (r"fallo en la entrega|error de entrega|usuario desconocido|la direccion no existe|buzon .{0,20}lleno", 3),
)
OUT_OF_OFFICE = _rules(
    (r"\bout of (?:the )?office\b|\booo\b|\baway from (?:the|my) (?:office|desk)\b", 3),
    (r"\b(?:on|taking) (?:annual |parental |maternity |paternity |sick )?(?:leave|vacation|holiday|holidays)\b", 3),
    (r"\b(?:i am|i'm|i will be|currently) (?:away|travell?ing|off|out)\b", 2),
    (r"\blimited (?:access|connectivity)\b|\bnot (?:being )?monitored\b|\bpatchy wifi\b", 2),
    (r"\b(?:back|return(?:ing)?) (?:on|in|at)\b|\bon my return\b|\bwhen i(?:'m| am)? (?:back|return)", 2),
    (r"\b(?:will|i'll) (?:get back|reply|respond) .{0,30}(?:next week|return|back)", 2),
    (r"\babwesen(?:heit|d)\b|nicht im (?:buro|haus)|\burlaub\b|wieder (?:erreichbar|im buro|fur sie da)", 3),
    (r"\bdienstreise\b|keinen zugriff auf (?:meine )?e-?mails", 2),
    (r"\babsente?\b|\ben conges\b|\bconge\b|\ben deplacement\b|\ba mon retour\b|\bde retour (?:le|au)\b", 3),
    (r"fuera de (?:la )?oficina|de vacaciones|\bausente\b|a mi regreso|no me encuentro en la oficina", 3),
    (r"\bde viaje\b|\bvolvere\b|\bregresare\b", 2),
)
LEFT_COMPANY = _rules(
    (r"\bno longer (?:works?|with|employed|at|part of)\b|\b(?:has|have) left (?:the|our) (?:company|hotel|team)", 4),
    (r"\bi left\b|\bretired\b|\bmoved on\b|\bis no longer\b", 3),
    (r"nicht mehr (?:bei uns|in unserem haus|im haus|fur uns)|hat (?:uns|das haus) verlassen", 4),
    (r"ne (?:travaille|fait) plus (?:partie|ici|chez)|a quitte (?:l'hotel|la societe|l'entreprise)", 4),
    (r"ya no trabaja|dejo (?:la empresa|el hotel)|ya no forma parte", 4),
)
UNSUBSCRIBE = _rules(
    (r"\bunsubscribe\b|\bopt(?:ed)?[ -]?out\b", 4),
    (r"\bremove (?:me|my (?:email|address|details)|us|all of us|our)\b.{0,40}\b(?:list|lists|database|mailing)\b", 4),
    (r"\bremove (?:me|it|my (?:address|email|details))\b", 3),
    (r"\btake (?:me|us) off\b|\b(?:delete|erase) my (?:details|data|address|email)", 4),
    (r"\bstop (?:emailing|e-mailing|mailing|contacting|sending|writing to) (?:me|us)\b", 4),
    (r"\bstop sending\b|^\W*(?:remove|stop|unsubscribe|delete)\W*$", 4),
    (r"\b(?:off|from) (?:your|the|all your) (?:mailing )?(?:list|lists|database)\b", 3),
    (r"\b(?:do not|don't|never) (?:contact|email|e-mail|write to) (?:me|us)(?: again| anymore)?\b", 3),
    (r"\bno (?:more|further) (?:emails|e-mails|messages)\b|\bdon't want any more\b", 3),
    (r"\babmelden\b|\babmeldung\b|\baustragen\b|aus (?:ihrem|dem) verteiler", 4),
    (r"\bstreichen sie mich\b|von (?:ihrer|der) (?:liste|mailingliste)|nicht mehr (?:anschreiben|kontaktieren)", 4),
    (r"keine (?:weiteren )?(?:e-?mails|nachrichten|werbung) mehr|keine weiteren (?:e-?mails|nachrichten)", 4),
    (r"(?:adresse|daten) .{0,20}loschen|loschen sie meine", 3),
    (r"desabonne|desinscri|retirez-moi|me retirer de|ne (?:souhaite|veux) plus recevoir|arretez de m'ecrire", 4),
    (r"supprime[rz]? (?:mon adresse|mes (?:donnees|coordonnees))|de vos (?:fichiers|listes?)", 4),
    (r"darme de baja|denme de baja|dar de baja|no (?:quiero|deseo) recibir mas|dejen de (?:enviar|escribir)", 4),
    (r"eliminen? (?:mi|mis) (?:direccion|correo|datos)|no me escriban? mas", 4),
    (r"\bborr(?:en|ar|e)(?:me)?\b|de (?:su|sus|la) lista", 3),
)
NOT_INTERESTED = _rules(
    (r"\bnot (?:interested|for us|a (?:good )?fit|a priority|looking for|needed)\b", 3),
    (r"\b(?:isn't|is not|not) (?:a priority|something we(?:'d| would)? (?:need|consider|want))\b", 3),
    (r"\b(?:we(?:'ll| will)|i(?:'ll| will)) pass\b|\bwe don't need\b|\bno need\b|\bnot needed\b", 3),
    (r"\bno,? thank(?:s| you)\b|\bthanks,? but\b|\bpass\b\.?|\bwe(?:'re| are) (?:all set|good)\b", 2),
    (r"\b(?:already|just) (?:have|use|signed|work with|using)\b|\banother (?:vendor|provider|supplier)\b", 2),
    (r"\bhappy with (?:our|the) (?:current|existing)|\bwon't be changing\b|\bno budget\b", 2),
    (r"\bspam\b|\bdon't appreciate\b|\bplease stop\b|\bnot (?:at this|right) (?:time|now)\b", 2),
    (r"\bcan't bring in\b|\bdecided against\b|\bdon't (?:need|want) (?:it|this)\b|\bplease don't follow up\b", 2),
    (r"kein (?:interesse|bedarf)|nicht interessiert|sind (?:sehr )?zufrieden|anderen anbieter", 3),
    (r"(?:brauchen|benotigen) wir (?:nicht|keine?)|wir verzichten|kommt (?:fur uns )?nicht in frage", 3),
    (r"ne (?:nous |m')interesse pas|pas interesse|pas (?:besoin|pour nous)|non merci|deja un (?:outil|prestataire)", 3),
    (r"n'en (?:avons|ai) pas besoin|pas (?:d'actualite|prioritaire)|nous ne sommes pas", 3),
    (r"no (?:estamos|estoy) interesad|no nos interesa|ya (?:trabajamos|tenemos|usamos)|no, gracias", 3),
    (r"no (?:lo |la )?necesit|no es para nosotros|no (?:nos )?hace falta", 3),
)
MEETING = _rules(
    (r"\b(?:call|chat|meeting|meet|demo|zoom|teams call|video ?call|conversation|slot)\b", 1.5),
    (
        r"\b(?:set up|schedule|book|arrange|hop on|jump on|have) (?:a |the )?(?:\w+ )?(?:call|chat|meeting|demo|slot)",
        2.5,
    ),
    (r"\bcalendar invite\b|\binvite\b|calendly\.com|\bbooking link\b|\bmeetings\.hubspot", 3),
    (r"\b(?:monday|tuesday|wednesday|thursday|friday|next week|tomorrow|this week|the \d{1,2}(?:st|nd|rd|th))\b", 1.5),
    (r"\b\d{1,2}(?::\d{2})? ?(?:am|pm)\b|\bat \d{1,2}\b|\bafter \d{1,2}\b|\bbetween \d{1,2} and \d{1,2}\b", 1.5),
    (r"\bcall me\b|\bgive me a (?:call|ring)\b|\bwhat times?\b|\bwhich day\b|\bwhen (?:are|would) you\b", 2),
    (r"\b(?:15|20|30)[ -]?min", 1.5),
    (r"telefonieren|\btermin\b|\banruf|rufen sie mich|vorfuhrung|gesprach|\bpasst (?:es )?ihnen\b", 2.5),
    (r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|morgen|nachste woche|\d{1,2} uhr)\b", 1.5),
    (r"s'appeler|\bappel\b|rendez-vous|\bdemo\b|\bcreneau\b|disponibilites|visio", 2.5),
    (r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|semaine prochaine|demain|\d{1,2}h)\b", 1.5),
    (r"\bllamada\b|\breunion\b|videollamada|\bhablar\b|agendar|por telefono", 2.5),
    (r"\b(?:lunes|martes|miercoles|jueves|viernes|semana que viene|manana|a las \d{1,2})\b", 1.5),
)
MORE_INFO = _rules(
    (r"\?", 1.5),
    (r"\bhow much\b|\bpric(?:e|es|ing)\b|\bcost(?:s)?\b|\bfee\b|\bquote\b|\bcontract\b", 2),
    (r"\bintegrat|\bcompatible\b|\bwork with (?:our )?\w+\b|\bpms\b|\bopera\b|\bmews\b|\bprotel\b", 1.5),
    (
        r"\b(?:send|share) (?:me |us |over )?(?:a |some |more )?(?:info|information|details|brochure|"
        r"one-pager|case stud|deck|documentation|references?)",
        3,
    ),
    (r"\bmore (?:info|information|details)\b|\bcase stud|\breferences?\b|\bexamples?\b", 2),
    (r"\bhow (?:does|do|long|would)\b|\bwhat (?:exactly|does|do|happens)\b|\bwhere is\b|\bis (?:this|there|it)\b", 1.5),
    (r"\bgdpr\b|\bdata (?:is )?stored\b|\btraining\b|\bimplementation\b|\bsetup\b", 1),
    (r"\bwas kostet\b|\bpreis|\bkosten\b|\bangebot\b|weitere informationen|mehr informationen|funktioniert das", 2.5),
    (r"\bmindestlaufzeit\b|\bschnittstelle\b", 1.5),
    (r"\btarif|\bprix\b|\bcombien\b|documentation|plus d'informations|\bcompatible\b|comment (?:ca|cela) marche", 2.5),
    (r"cuanto cuesta|\bprecio|mas informacion|\bse integra\b|\bejemplos\b|\bque datos\b|como funciona", 2.5),
)
INTERESTED = _rules(
    (r"\binterest(?:ed|ing)\b|\brelevant\b|\bpromising\b|\bsounds (?:good|great|interesting)\b", 2.5),
    (r"\bgood timing\b|\btiming is right\b|\bon our radar\b|\bopen to\b|\bkeen\b|\bcount me in\b", 2.5),
    (r"\bkeep me (?:posted|updated|in the loop)\b|\bloop me in\b|\bhear more\b|\blearn (?:more|how)\b", 2),
    (r"\bgood fit\b|\bcould help\b|\bi like (?:the|this)\b|\bnext step\b|\bcontinue the conversation\b", 2),
    (r"\bwould love to (?:know|hear|learn|see)\b|\bcaught my eye\b|\bworth (?:a look|exploring)\b|\bcurious\b", 2.5),
    (r"\byes\b|\bgreat\b|\bdefinitely\b|\bheadache\b|\bstruggl|\bstretched\b|\bbad reviews\b", 1),
    (r"interessant|interessiert|spannend|\bpasst gut\b|auf dem laufenden|gerne mehr|\baktuell\b", 2.5),
    (r"klingt gut|auf (?:der|unserer) agenda|konnte (?:uns )?helfen", 2.5),
    (r"m'interesse|interessant|nous parle|\bpartante?\b|tenez-moi au courant|en savoir (?:plus|davantage)", 2.5),
    (r"pourquoi pas|(?:pourrait|peut) nous etre utile|bonne idee", 2.5),
    (r"nos interesa|me interesa|interesante|suena bien|encaja|saber mas|abiertos a", 2.5),
    (r"buena idea|cuent[ea]me mas|nos (?:podria|puede) (?:servir|ayudar)|me parece bien", 2.5),
)
WRONG_PERSON = _rules(
    (r"\bwrong (?:person|contact|hotel|department|address)\b|\bnot the right (?:person|contact)\b", 4),
    (r"\bnot (?:my (?:area|department|job|responsibility)|involved in|responsible for|in charge of)\b", 3),
    (r"\b(?:isn't|is not) my (?:area|department|job|responsibility)\b|nothing to do with my\b", 3),
    (r"\bi (?:only|just) (?:handle|do|work|look after)\b|\bi'm (?:just|only) a\b|\byou've reached the\b", 2),
    (r"\bwe don't deal with\b|\bdon't know who\b|\bcan't help\b", 2),
    (r"\bsomeone else\b|\b(?:don't|do not) (?:make|take) (?:those|these|the|such) decisions\b|\bnot my call\b", 3),
    (r"\bi(?:'m| am) (?:in|with) (?:housekeeping|the kitchen|the spa|finance|accounts|events|sales)\b", 2),
    (r"nicht zustandig|bei mir falsch|falsche(?:n|r)? (?:ansprechpartner|person)|nur fur .{0,30} zustandig", 4),
    (r"pas la bonne personne|pas de mon ressort|je m'occupe (?:uniquement|seulement)|ne m'occupe pas", 4),
    (r"trompe de (?:personne|destinataire|contact)|pas moi qui (?:decide|m'occupe)", 4),
    (r"no soy la persona|no me encargo|solo llevo|no es (?:mi|de mi) (?:area|competencia)", 4),
    (r"equivocado de (?:persona|contacto)|no soy (?:yo )?quien decide|yo trabajo en", 3),
)
# someone else named as the one to talk to
REFERRAL = re.compile(
    r"forward(?:ed|ing)?|pass(?:ed|ing)? (?:this|it|your)|passing this|reach out to|get in touch with|"
    r"speak(?:ing)? (?:with|to)|talk to|contact (?:him|her|them)|contact (?:our|my)|"
    r"(?:copied|cc'?d|looped) in|copying|is (?:the one|the person|best placed)|makes these calls|"
    r"handles|looks after|runs our|decisions .{0,20}go through|drop(?:ping)? (?:him|her|them) a line|"
    r"prefers these|would be the one|best way to (?:get|reach)|best person|right person (?:is|for)|"
    r"(?:is|he's|she's) (?:responsible|in charge)|"
    r"zustandig|wenden sie sich|weitergeleitet|kontaktieren sie|ansprechpartner(?:in)?|"
    r"s'occupe|contacter|transf[eè]re|adresser a|adressez-vous|en relation avec|"
    r"lo lleva|escribale|contacte con|hable con|reenvio|es quien decide|se encarga",
    re.I,
)
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.U)
NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)?"
FULL_NAME = re.compile(rf"\b({NAME_WORD}(?:\s+(?:de|van|von|da|del|la|le)?\s*{NAME_WORD}){{1,2}})\b")
TITLES = [
    # longest first so "Director of Rooms" beats "Director"
    "Director of Operations",
    "Operations Director",
    "Director of Rooms",
    "Rooms Division Manager",
    "Front Office Manager",
    "Front Desk Manager",
    "General Manager",
    "Hotel Manager",
    "Revenue Manager",
    "IT Manager",
    "IT Director",
    "Purchasing Manager",
    "Procurement Manager",
    "Guest Experience Manager",
    "Operations Manager",
    "Managing Director",
    "Owner",
    "Director",
    "Einkaufsleiter",
    "Einkaufsleiterin",
    "Empfangschefin",
    "Empfangschef",
    "Hoteldirektor",
    "Hoteldirektorin",
    "Direktorin",
    "Direktor",
    "Geschäftsführer",
    "Geschäftsführerin",
    "Rezeptionsleiter",
    "Rezeptionsleiterin",
    "directrice des opérations",
    "directeur des opérations",
    "directrice de l'hébergement",
    "directeur de l'hébergement",
    "responsable informatique",
    "responsable de la réception",
    "directrice",
    "directeur",
    "gérant",
    "gérante",
    "director de operaciones",
    "directora de operaciones",
    "responsable de recepción",
    "jefe de recepción",
    "gerente",
    "director",
    "directora",
]
NOT_NAMES = {
    "Hi",
    "Hello",
    "Thanks",
    "Thank",
    "Dear",
    "Please",
    "Guten",
    "Tag",
    "Hallo",
    "Bonjour",
    "Merci",
    "Hola",
    "Buenas",
    "Herr",
    "Frau",
    "Sie",
    "Ihre",
    "Our",
    "The",
    "Front",
    "Office",
    "General",
    "Manager",
    "Operations",
    "Director",
    "Revenue",
    "Rooms",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Edd",
    "Mountain",
    "Por",
    "Vous",
    "Escríbale",
    "Bitte",
    "Le",
    "Je",
    "Not",
    "Could",
    "Decisions",
    "Sarah,",
    "You",
    "Her",
    "His",
}
COMPANY_WIDE = re.compile(
    r"\bas a (?:hotel|company|property|team|business|group)\b|\b(?:all|none|any|each|every one) of us\b|"
    r"\bwhole (?:team|hotel|company)\b|\b(?:any|all) of our (?:managers|staff|team|colleagues|people)\b|"
    r"\bnobody (?:here|at)\b|\bno one (?:here|at)\b|\bour (?:hotel|property|company) (?:is|will) not\b|"
    r"\bthe hotel (?:is not|isn't)\b|\bfor (?:the )?(?:whole|entire) (?:hotel|company|team)\b|"
    r"\bl'hotel n'est pas\b|\bpersonne (?:ici|chez nous)\b|\bunser (?:haus|hotel|team)\b|"
    r"\b(?:das|unser) ganze(?:s)? (?:haus|team)\b|\bnadie (?:aqui|en el hotel)\b|\bel hotel no\b",
    re.I,
)
HOSTILE = re.compile(r"\bspam\b|\breport you\b|\bhow did you get\b|\bdon't appreciate\b|\bharass", re.I)


def _score(rules, text: str) -> float:
    return sum(weight for pattern, weight in rules if pattern.search(text))


# --- return dates ---------------------------------------------------------------------
MONTHS = {
    **{name.lower(): i for i, name in enumerate(calendar.month_name) if name},
    **{name.lower(): i for i, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
    # German
    "januar": 1,
    "februar": 2,
    "marz": 3,
    "maerz": 3,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "oktober": 10,
    "dezember": 12,
    # French
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
    # Spanish
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "noviembre": 11,
    "diciembre": 12,
}
MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
DATE_PATTERNS = [
    ("iso", re.compile(r"\b(20\d{2})-(\d{1,2})-(\d{1,2})\b")),
    ("numeric", re.compile(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b")),
    (
        "day_month",
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?({MONTH_RE})\b\.?(?:\s+(?:de\s+)?(20\d{{2}}))?"),
    ),
    ("month_day", re.compile(rf"\b({MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(20\d{{2}}))?")),
    ("ordinal", re.compile(r"\bthe (\d{1,2})(?:st|nd|rd|th)\b")),
    (
        "month_only",
        re.compile(
            rf"\b(?:until|till|bis|jusqu'en|hasta)\s+(?:(?:early|end of|ende|fin|finales de)\s+)?({MONTH_RE})\b"
        ),
    ),
]
RETURN_CUE = re.compile(
    r"\b(?:back(?: on| in| at)?|return(?:ing)?(?: on)?|on my return|wieder (?:ab|erreichbar|da|im)|ab dem|ab|"
    r"de retour|retour le|volvere|regreso|regresare|vuelvo|returning)\b",
    re.I,
)
UNTIL_CUE = re.compile(r"until|till|through|bis|jusqu'au|jusqu'a|hasta", re.I)
INCLUSIVE_CUE = re.compile(r"inclus|einschliesslich|inclusive|incluido", re.I)


@dataclass
class _FoundDate:
    date: datetime.date
    start: int


def _make_date(year, month, day, today: datetime.date) -> datetime.date | None:
    try:
        if year is None:
            found = datetime.date(today.year, month, day)
            if found < today - datetime.timedelta(days=7):
                found = datetime.date(today.year + 1, month, day)
            return found
        year = int(year)
        year = year + 2000 if year < 100 else year
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _dates(text: str, today: datetime.date) -> list[_FoundDate]:
    found: list[_FoundDate] = []
    taken: list[range] = []
    for kind, pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() in span for span in taken):
                continue
            groups = match.groups()
            value = None
            if kind == "iso":
                value = _make_date(groups[0], int(groups[1]), int(groups[2]), today)
            elif kind == "numeric":
                first, second = int(groups[0]), int(groups[1])
                if second > 12 and first <= 12:
                    first, second = second, first  # US order (3/23)
                if not 1 <= second <= 12:
                    continue
                value = _make_date(groups[2], second, first, today)
            elif kind == "day_month":
                value = _make_date(groups[2], MONTHS[groups[1]], int(groups[0]), today)
            elif kind == "month_day":
                value = _make_date(groups[2], MONTHS[groups[0]], int(groups[1]), today)
            elif kind == "ordinal":
                day = int(groups[0])
                month = today.month if day >= today.day else today.month % 12 + 1
                value = _make_date(None, month, day, today)
            elif kind == "month_only":
                value = _make_date(None, MONTHS[groups[0]], 1, today)
            if value:
                found.append(_FoundDate(value, match.start()))
                taken.append(range(match.start(), match.end()))
    return sorted(found, key=lambda d: d.start)


def parse_return_date(text: str, *, today: datetime.date, language: str = "en") -> datetime.date | None:
    """The day someone is back, from an out-of-office text; None when it names no date.

    An explicit "back on"/"wieder ab"/"de retour le" date wins. Otherwise the "until"
    date: in English "out until Monday" means back on Monday; in German, French and
    Spanish ("bis", "jusqu'au", "hasta") the named day is still an absent one, as is any
    date marked inclusive.
    """
    folded = fold(text)
    dates = [d for d in _dates(folded, today) if d.date >= today - datetime.timedelta(days=1)]
    if not dates:
        return None
    for found in dates:
        before = folded[max(0, found.start - 30) : found.start]
        if RETURN_CUE.search(before):
            return found.date
    for found in dates:
        before = folded[max(0, found.start - 25) : found.start]
        after = folded[found.start : found.start + 40]
        if UNTIL_CUE.search(before):
            inclusive = INCLUSIVE_CUE.search(before + after)
            english_until = re.search(r"until|till", before) and not inclusive
            return found.date if english_until else found.date + datetime.timedelta(days=1)
    return dates[-1].date


# --- delegation -----------------------------------------------------------------------
def _title_near(text: str, start: int, end: int) -> str:
    """The job title written closest to the name (or address) at ``start:end``."""
    best = None
    for match in TITLE_RE.finditer(text):
        distance = max(match.start() - end, start - match.end(), 0)
        if distance <= 60 and (best is None or distance < best[0]):
            best = (distance, match.group(0))
    return best[1] if best else ""


def _name_candidates(text: str):
    # honorifics and job titles are blanked (same length, so positions hold) before
    # looking for two or three capitalised words in a row
    text = _mask(_mask(text, HONORIFIC), TITLE_RE)
    for match in FULL_NAME.finditer(text):
        words = match.group(1).split()
        while words and words[0] in NOT_NAMES:
            words = words[1:]
        while words and words[-1] in NOT_NAMES:
            words = words[:-1]
        if len(words) >= 2 and not any(w.lower() in {t.lower() for t in TITLES} for w in words):
            yield " ".join(words), match.start(), match.end()


HONORIFIC = re.compile(r"\b(?:Herrn?|Frau|Mr|Mrs|Ms|Mme|Mlle|M|Sr|Sra|Srta|Don|Doña|Dr)\b\.?")


def _mask(text: str, pattern) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


TITLE_RE = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True)) + r")\b", re.I)


def _name_from_address(address: str) -> str:
    local = address.split("@")[0]
    parts = [p for p in re.split(r"[._-]", local) if p.isalpha() and len(p) > 1]
    if len(parts) >= 2:
        return " ".join(p.capitalize() for p in parts[:2])
    return ""


def extract_delegate(text: str, *, sender: str = "") -> DelegatedTo | None:
    """The person the writer points us to: name, title and address, as far as the text says."""
    sender = (sender or "").lower()
    sender_local = sender.split("@")[0]
    addresses = [m for m in EMAIL.finditer(text) if m.group(0).lower().rstrip(".") != sender]
    if not REFERRAL.search(fold(text)) and not addresses:
        return None
    address = addresses[0].group(0).rstrip(".") if addresses else ""
    anchor = addresses[0].start() if addresses else 0
    names = list(_name_candidates(text))
    name = ""
    if names:
        if address:
            local = address.split("@")[0].lower()
            # a name whose words appear in the address is the one, else the closest before it
            for candidate, _start, _end in names:
                if any(fold(w) in local for w in candidate.split() if len(w) > 2):
                    name = candidate
                    break
            if not name:
                before = [n for n in names if n[1] < anchor]
                name = (before[-1] if before else names[0])[0]
        else:
            name = names[0][0]
    if name and sender_local and all(fold(w) in sender_local for w in name.split()):
        name = ""  # the writer's own signature
    if not name and address:
        # a single first name next to the address ("Mark prefers … mark.jones@…")
        local = address.split("@")[0].lower()
        for word in re.findall(rf"\b{NAME_WORD}\b", text):
            if word not in NOT_NAMES and len(word) > 2 and local.startswith(fold(word)):
                name = word
                break
    if not (name or address):
        return None
    position = text.find(name) if name else anchor
    title = _title_near(text, position, position + len(name or address))
    return DelegatedTo(name=name[:200], title=title[:200], email=address[:254])


# --- questions and meeting preferences -------------------------------------------------
SENTENCE = re.compile(r"[^.!?\n]*[?]|[^.!?\n]+[.!?]?", re.U)
MEETING_HINT = re.compile(
    r"monday|tuesday|wednesday|thursday|friday|tomorrow|next week|\d{1,2}(?::\d{2})? ?(?:am|pm|uhr|h)\b|calendly|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|morgen|lundi|mardi|mercredi|jeudi|vendredi|"
    r"lunes|martes|miercoles|jueves|viernes|semaine prochaine|semana que viene|nachste woche|"
    r"the \d{1,2}(?:st|nd|rd|th)",
    re.I,
)


def extract_questions(text: str) -> list[str]:
    questions = [s.strip(" ¿") for s in SENTENCE.findall(text) if s.strip().endswith("?")]
    return [q[:300] for q in questions if len(q) > 3][:10]


def extract_meeting_preference(text: str) -> str:
    for sentence in SENTENCE.findall(text):
        if MEETING_HINT.search(fold(sentence)):
            return sentence.strip()[:300]
    return ""


# --- the classifier ---------------------------------------------------------------------
SENTIMENT = {
    "interested": "positive",
    "meeting_request": "positive",
    "delegated": "neutral",
    "needs_more_info": "neutral",
    "out_of_office": "neutral",
    "wrong_person": "neutral",
    "bounce": "neutral",
    "not_interested": "negative",
    "unsubscribe": "negative",
}
ACTION = {
    "interested": "send_information",
    "meeting_request": "schedule_meeting",
    "delegated": "contact_delegate",
    "needs_more_info": "send_information",
    "out_of_office": "resume_after_return",
    "wrong_person": "find_right_contact",
    "bounce": "remove_from_list",
    "not_interested": "stop_outreach",
    "unsubscribe": "remove_from_list",
}
AUTO_HEADERS = ("auto-submitted", "x-autoreply", "x-autorespond", "precedence")


def headers_say_automatic(headers: dict | None) -> bool:
    headers = {k.lower(): str(v).lower() for k, v in (headers or {}).items()}
    if headers.get("auto-submitted", "no") not in ("", "no"):
        return True
    if headers.get("x-autoreply") or headers.get("x-autorespond"):
        return True
    return headers.get("precedence", "") in ("auto_reply", "bulk", "junk")


# --- abuse feedback reports ---------------------------------------------------------
# A mailbox provider's report that its user marked our email as spam. RFC 5965 (ARF): a
# multipart/report whose report-type is feedback-report, or which carries a
# message/feedback-report part (some loops leave the parameter out). Microsoft's JMRP
# also still sends its older form: a multipart/mixed from staff@hotmail.com, "complaint
# about message from <ip>", with the reported message attached as message/rfc822.
FEEDBACK_REPORT_PART = "message/feedback-report"
JMRP_SENDER = "staff@hotmail.com"
JMRP_SUBJECT = re.compile(r"^\s*complaint about message from\b", re.I)
# Feedback-Type (RFC 5965 §7.3, RFC 6650): a person complained about the message …
COMPLAINT_FEEDBACK_TYPES = {"abuse", "fraud"}
# … or the report is no complaint at all: a "not spam" click, a DMARC/SPF/DKIM failure
# report (RFC 6591, sent by receivers to the domain's ruf address)
NOT_A_COMPLAINT_FEEDBACK_TYPES = {"not-spam", "auth-failure"}


def feedback_report_form(
    *, content_type: str, report_type: str, part_types: list[str], sender: str, subject: str
) -> str:
    """Which feedback-report form a message has: ``"arf"``, ``"jmrp"`` (Microsoft's older
    attachment form) or ``""`` (none). Read from the MIME structure, never from the words."""
    if content_type == "multipart/report" and (
        report_type.lower() == "feedback-report" or FEEDBACK_REPORT_PART in part_types
    ):
        return "arf"
    if (
        content_type == "multipart/mixed"
        and sender.lower() == JMRP_SENDER
        and JMRP_SUBJECT.search(subject or "")
        and "message/rfc822" in part_types
    ):
        return "jmrp"
    return ""


def feedback_is_complaint(feedback_type: str) -> bool | None:
    """True: a spam complaint; False: a report that is no complaint; None: unknown (a person reads it)."""
    feedback_type = (feedback_type or "").strip().lower()
    if feedback_type in COMPLAINT_FEEDBACK_TYPES:
        return True
    if feedback_type in NOT_A_COMPLAINT_FEEDBACK_TYPES:
        return False
    return None


def classify_reply(
    text: str,
    *,
    subject: str = "",
    sender: str = "",
    headers: dict | None = None,
    today: datetime.date | None = None,
    is_auto_reply: bool | None = None,
) -> ReplyInterpretation:
    """Read one reply's new text; see the module docstring for the order of the rules."""
    today = today or datetime.date.today()
    body = fold(text)
    subj = fold(subject)
    both = f"{subj}\n{body}"
    header_map = {k.lower(): str(v).lower() for k, v in (headers or {}).items()}
    auto = headers_say_automatic(headers) if is_auto_reply is None else is_auto_reply
    scores = {
        "bounce": _score(BOUNCE, both),
        "out_of_office": _score(OUT_OF_OFFICE, both),
        "left": _score(LEFT_COMPANY, body),
        "unsubscribe": _score(UNSUBSCRIBE, body),
        "not_interested": _score(NOT_INTERESTED, body),
        "meeting_request": _score(MEETING, body),
        "needs_more_info": _score(MORE_INFO, body),
        "interested": _score(INTERESTED, body),
        "wrong_person": _score(WRONG_PERSON, body),
    }
    delegate = extract_delegate(text, sender=sender)
    referral = bool(REFERRAL.search(body))
    company_wide = bool(COMPANY_WIDE.search(body))

    def answer(intent, confidence, reasoning, **extra):
        return ReplyInterpretation(
            intent=intent,
            sentiment="negative" if HOSTILE.search(body) else SENTIMENT[intent],
            confidence=round(max(0.05, min(confidence, 0.99)), 2),
            reasoning=f"rules: {reasoning}"[:600],
            suggested_action=ACTION[intent] if confidence >= 0.5 else "delegate_to_human",
            questions=extract_questions(text),
            company_wide=company_wide and intent in ("not_interested", "unsubscribe"),
            **extra,
        )

    # 1. delivery failures
    report = "delivery-status" in header_map.get("content-type", "")
    if BOUNCE_SENDER.search(sender or "") or report:
        return answer("bounce", 0.97, "sent by a mail delivery system")
    if scores["bounce"] >= 3 and scores["bounce"] > scores["out_of_office"]:
        return answer("bounce", 0.8, "delivery failure wording")

    # 2. an explicit request to be removed wins over absence wording ("I was out of office
    # last week. Please stop emailing me"): ignoring it is the costlier mistake
    if scores["unsubscribe"] >= 3:
        return answer("unsubscribe", 0.9 if scores["unsubscribe"] >= 4 else 0.8, "asks to be removed")

    # 3. automatic replies
    left = scores["left"] >= 3
    if auto or scores["out_of_office"] >= 3:
        if left:
            if delegate and delegate.email and referral:
                return answer("delegated", 0.8, "the contact left; the reply names a successor", delegated_to=delegate)
            return answer("wrong_person", 0.85, "the contact no longer works there")
        if scores["out_of_office"] >= 2 or auto:
            return_date = parse_return_date(text, today=today)
            confidence = 0.95 if auto and scores["out_of_office"] >= 2 else 0.8 if auto else 0.75
            return answer("out_of_office", confidence, "automatic reply / absence wording", return_date=return_date)

    # 4. delegation
    if delegate and referral and (delegate.email or delegate.name):
        confidence = 0.9 if delegate.email and delegate.name else 0.75
        return answer("delegated", confidence, "points to another person", delegated_to=delegate)
    if delegate and delegate.email and delegate.name and scores["unsubscribe"] == 0:
        # another named person's address handed over: a delegation, whatever the verb
        return answer("delegated", 0.7, "gives another person's name and address", delegated_to=delegate)
    if left:
        return answer("wrong_person", 0.8, "the contact no longer works there")

    # 5. the conversation intents
    candidates = {k: scores[k] for k in ("meeting_request", "needs_more_info", "interested", "not_interested")}
    candidates["wrong_person"] = scores["wrong_person"] * 1.2
    # a plain question mark is weak evidence next to a stated preference
    if scores["not_interested"] >= 3:
        candidates["not_interested"] += 2
    if scores["meeting_request"] >= 4:
        candidates["meeting_request"] += 1
    best = max(candidates, key=lambda k: (candidates[k], -list(candidates).index(k)))
    top = candidates[best]
    if top < 1.5:
        if "?" in text:
            return answer("needs_more_info", 0.5, "a question without clearer signals")
        # nothing recognisable: a human reads it (confidence below the alert threshold)
        return answer("needs_more_info", 0.3, "no clear signal")
    runner_up = max(v for k, v in candidates.items() if k != best)
    margin = top - runner_up
    confidence = 0.55 + min(top, 6) * 0.04 + min(margin, 4) * 0.05
    extra = {}
    if best == "meeting_request":
        extra["meeting_preference"] = extract_meeting_preference(text)
    return answer(best, confidence, f"{best} signals {top:g} (next {runner_up:g})", **extra)
