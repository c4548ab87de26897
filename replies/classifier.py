"""The offline reply reader: the AI gateway's fallback, and good enough on its own.

``classify_reply(text, subject=..., sender=..., headers=..., today=...)`` returns a
``ReplyInterpretation``; ``read_reply`` (same arguments) also names the kind of evidence
that decided (``Reading.evidence``), which replies.policy uses to decide whether an
irreversible action may happen without a person. It reads English, German, French,
Spanish, Italian, Dutch and Portuguese, in this order of precedence:

1. delivery failures: a mail system's report (``mail_system``: a mailer-daemon sender, a
   delivery-status report) or only a person's bounce wording (``bounce_wording``);
2. a removal request in any form — "stop", "remove me", "I object", "Article 21", "I did
   not consent", "no more emails" — first person or the whole hotel, never a third
   person (``REMOVAL``; ``removal_request``): always an unsubscribe;
3. the contact left ("X no longer works here": ``left_company``), unless a successor is
   named with an address (a delegation);
4. automatic replies: out of office, with the return date parsed (``auto_reply`` when
   the headers say automatic and the words say absent);
5. delegation: a referral and a colleague's address written in the reply
   (``referral_with_address``); a name alone is weaker evidence;
6. otherwise the conversation intents (meeting request, needs more info, interested,
   not interested, wrong person), each scored by weighted keyword rules and by the small
   naive Bayes model of replies.model (character n-grams, trained from the corpus's
   tuning split). Both agreeing is ``rules+model``; disagreeing caps the confidence so
   the reply reaches a person.

What a message is before its words are read (an automatic reply, a mail system's bounce
notice, an abuse feedback report) is decided in replies.recognition; a feedback report
never reaches this reader.

Measured on tests/fixtures/replies/corpus/ (a frozen split never tuned on, and the
tuning split): bench/replies.py prints per-intent precision and recall, macro-F1, the
share acted on automatically and the precision of those actions, per language.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass

from replies.recognition import is_automatic, sent_by_mail_system, subject_says_automatic
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
    (r"non (?:e stato|e stata|puo essere) (?:recapitat|consegnat)|impossibile recapitare|mancato recapito", 3),
    (r"utente sconosciuto|casella (?:inesistente|piena)|kon niet worden bezorgd|bezorging is mislukt", 3),
    (r"\bonbestelbaar\b|onbekende (?:gebruiker|ontvanger)|nao (?:foi possivel entregar|pode ser entregue)", 3),
    (r"\bnao entregue\b|utilizador desconhecido|endereco inexistente", 3),
)
OUT_OF_OFFICE = _rules(
    (r"\bout of (?:the )?office\b|\booo\b|\baway from (?:the|my) (?:office|desk)\b", 3),
    (r"\b(?:on|taking) (?:annual |parental |maternity |paternity |sick )?(?:leave|vacation|holiday|holidays)\b", 3),
    (r"\b(?:i am|i'm|i will be|currently) (?:away|travell?ing|off|out)\b", 2),
    (
        r"\blimited (?:access|connectivity)\b|\bnot (?:being )?monitored\b"
        r"|\bpatchy wifi\b|\bno access to (?:my )?e-?mail",
        2,
    ),
    (r"\b(?:back|return(?:ing)?) (?:on|in|at)\b|\bon my return\b|\bwhen i(?:'m| am)? (?:back|return)", 2),
    (r"\b(?:will|i'll) (?:get back|reply|respond) .{0,30}(?:next week|return|back)", 2),
    (r"\babwesen(?:heit|d)\b|nicht im (?:buro|haus)|\burlaub\b|wieder (?:erreichbar|im buro|fur sie da)", 3),
    (r"\bdienstreise\b|keinen zugriff auf (?:meine )?e-?mails", 2),
    (r"\babsente?\b|\ben conges\b|\bconge\b|\ben deplacement\b|\ba mon retour\b|\bde retour (?:le|au)\b", 3),
    (r"fuera de (?:la )?oficina|de vacaciones|\bausente\b|a mi regreso|no me encuentro en la oficina", 3),
    (r"\bde viaje\b|\bvolvere\b|\bregresare\b", 2),
    # Italian, Dutch, Portuguese
    (
        r"fuori (?:ufficio|sede)|\bassente\b|\bin ferie\b|\bin vacanza\b"
        r"|\brientr(?:o|ero)\b|\bsono in (?:viaggio|maternita)",
        3,
    ),
    (
        r"\bafwezig\b|niet (?:op kantoor|aanwezig)|\b(?:op|met) vakantie\b"
        r"|weer (?:bereikbaar|terug|aanwezig|op kantoor)",
        3,
    ),
    (r"fora do escritorio|\bde ferias\b|\bregresso (?:a|no|em)\b|\bvoltarei\b|\bem viagem\b|\bestou fora\b", 3),
    (r"accesso limitato|beperkt bereikbaar|acesso limitado|\btot en met\b", 2),
)
LEFT_COMPANY = _rules(
    (r"\bno longer (?:works?|working|with|employed|at|part of|here)\b", 4),
    (r"\b(?:has|have|had) left (?:the|our) (?:company|hotel|team|business|property)", 4),
    (r"\b(?:he|she|who) left (?:the|our|in)\b|\bleft the (?:hotel|company) (?:in|last)\b|\bretired\b", 3),
    (r"\bis no longer (?:with|at|here|employed|working)\b|\bi'?m no longer (?:with|at)\b|\bmoved on\b", 4),
    (r"\bmoved to (?:our|a|another) (?:sister|other|new)", 3),
    (r"nicht mehr (?:bei uns|in unserem haus|im haus|fur uns|tatig|beschaftigt)|arbeitet nicht mehr", 4),
    (r"hat (?:uns|das haus|unser haus|das unternehmen|das hotel) (?:leider )?verlassen", 4),
    (r"ne (?:travaille|fait) plus (?:partie|ici|chez|pour)|a quitte (?:l'hotel|la societe|l'entreprise|notre)", 4),
    (r"n'est plus (?:chez nous|en poste|dans)", 4),
    (r"ya no (?:trabaja|forma parte|esta (?:en|con)|trabajo)|dejo (?:la empresa|el hotel)", 4),
    (r"non lavora piu|ha lasciato (?:l'azienda|l'hotel|la societa|il nostro)|non (?:e|fa) piu (?:con noi|parte)", 4),
    (r"werkt (?:hier )?niet meer|niet meer (?:in dienst|werkzaam)|heeft (?:ons|het bedrijf|het hotel) verlaten", 4),
    (r"ja nao (?:trabalha|faz parte|esta)|saiu da empresa|deixou (?:a empresa|o hotel)", 4),
)
# An explicit request to be removed, in any supported language: always honoured (see
# replies.policy). First person or the whole hotel ("remove me", "take us off"), never a
# third person ("please remove her address": she left, the writer did not opt out).
REMOVAL = _rules(
    (r"\bunsubscribe\b|\bopt(?:ed)?[ -]?out\b|\bopt me out\b", 4),
    (r"\bremove (?:me|us|all of us|my (?:email|e-mail|address|details|data|name))\b", 4),
    (
        r"\btake (?:me|us|my (?:address|email|name)) off\b"
        r"|\b(?:delete|erase) my (?:details|data|address|email|information)",
        4,
    ),
    (r"\bstop (?:emailing|e-mailing|mailing|contacting|sending|writing to|messaging|spamming)(?: (?:me|us))?\b", 4),
    (r"^\W*(?:please )?(?:remove|stop|unsubscribe|delete|remove me)\W*$|\bplease stop\W*$", 4),
    (r"\b(?:off|from) (?:your|the|all your) (?:mailing )?(?:list|lists|database)\b", 4),
    (r"\b(?:do not|don't|never) (?:contact|email|e-mail|write to|message) (?:me|us)(?: again| anymore)?\b", 4),
    (r"\bno (?:more|further) (?:emails|e-mails|messages|contact)\b|\bdon't want any more\b", 4),
    (r"\bcease (?:all )?(?:contact|communication)|\bi object\b|\bright to (?:object|erasure)\b", 4),
    (
        r"\bart(?:icle|\.)? ?21\b"
        r"|\b(?:did not|didn't|never) (?:consent|opt[ -]?in|sign(?:ed)? up|gave (?:you )?(?:my )?consent)",
        4,
    ),
    (
        r"\bnot consented\b|\bwithout my consent\b|\bno lawful basis\b"
        r"|\bnever given (?:you )?(?:my )?(?:consent|permission)",
        4,
    ),
    (r"\babmelden\b|\babmeldung\b|\baustragen\b|aus (?:ihrem|dem|ihrer) (?:verteiler|liste|mailingliste)", 4),
    (
        r"\bstreichen sie (?:mich|meine)|von (?:ihrer|der) (?:liste|mailingliste)"
        r"|nicht mehr (?:anschreiben|kontaktieren)",
        4,
    ),
    (
        r"keine (?:weiteren )?(?:e-?mails|nachrichten|werbung|mails) mehr"
        r"|keine weiteren (?:e-?mails|nachrichten|mails)",
        4,
    ),
    (r"(?:adresse|daten) .{0,30}(?:loschen|entfernen)|loschen sie (?:meine|mich)|horen sie auf,? mir zu schreiben", 4),
    (r"\bwiderspreche\b|\bwiderspruch\b|\bdsgvo\b.{0,60}\bwider|(?:nie|nicht) (?:eingewilligt|zugestimmt)", 4),
    (r"\bkeine einwilligung\b|nie meine einwilligung|unterlassen sie .{0,30}kontakt", 4),
    (r"desabonn|desinscri|retirez-moi|me retirer de|ne (?:souhaite|veux) plus recevoir|arretez de m'", 4),
    (r"supprime[rz]? (?:mon adresse|mes donnees|mes coordonnees)|retirez mon adresse|de vos (?:fichiers|listes?)", 4),
    (r"ne me contactez plus|ne m'ecrivez plus|je m'oppose|jamais (?:donne|consenti)|sans mon consentement", 4),
    (r"(?:darme|denme|dame|dar) de baja|no (?:quiero|deseo) recibir mas|dejen de (?:enviar|escribir|mandar)", 4),
    (r"elimin(?:en|ar)? (?:mi|mis) (?:direccion|correo|datos)|\bborr(?:en|ar|e)(?:me)?\b|no me escriban? mas", 4),
    (
        r"\bme opongo\b|derecho de oposicion|no (?:he dado|di) (?:mi )?consentimiento"
        r"|nunca (?:he )?(?:consentido|autorizado)",
        4,
    ),
    (
        r"cancellatemi|cancellarmi|cancellate (?:il mio|i miei)"
        r"|rimuovetemi|rimuovere il mio|rimuovete (?:il mio|la mia)",
        4,
    ),
    (r"disiscri|non (?:desidero|voglio) ricevere|smettete(?:la)? di (?:scrivermi|contattarmi|inviare|mandare)", 4),
    (r"non contattatemi|non scrivetemi|\bmi opp?ongo\b|mai (?:dato|acconsentito)|non ho mai (?:dato|acconsentito)", 4),
    (r"\bbasta (?:email|e-mail|mail|messaggi)\b|non vi ho mai dato", 4),
    (
        r"\buitschrijven\b|\bafmelden\b|schrijf (?:mij|me) uit|verwijder (?:mij|me|mijn)\b|haal (?:mij|me) (?:van|uit)",
        4,
    ),
    (r"geen (?:e-?mails?|mails|berichten) meer|stop met (?:mailen|sturen|het sturen|e-?mailen)|bezwaar tegen", 4),
    (
        r"niet meer (?:mailen|benaderen|contacteren)|nooit toestemming"
        r"|geen toestemming gegeven|\bavg\b.{0,40}verwijder",
        4,
    ),
    (r"remov(?:am|a)-me|removam o meu|remover o meu|retirem-me|cancelar (?:a )?(?:subscricao|inscricao)|descadastr", 4),
    (
        r"nao quero receber mais|deixem de (?:me )?(?:enviar|contactar|escrever)"
        r"|parem de me (?:enviar|contactar|escrever)",
        4,
    ),
    (
        r"apaguem (?:os meus|o meu)|oponho-me|nunca (?:dei|autorizei|consenti)"
        r"|nao (?:dei|autorizei) (?:o meu )?consentimento",
        4,
    ),
    (r"^\W*(?:remover|uitschrijven|abmelden|desinscription|baja|cancellami)\W*$", 4),
    (
        r"\bwant off\b|\boff (?:this|your|the) (?:mailing )?list\b"
        r"|ne m'envoyez plus|ne plus (?:m'envoyer|me contacter)",
        4,
    ),
)
# "no interest" in each language: its "interest" word is no sign of interest
NEGATED_INTEREST = re.compile(
    r"\bnot (?:interested|interesting)|\bno interest\b|kein(?:e|en)? interesse|nicht interessiert|"
    r"ne (?:nous |m'|me )?interesse(?:nt)? pas|pas (?:interesse|interessante?s?)|n'est pas interess\w*|"
    r"no (?:nos |me )?interesa|no (?:estamos|estoy) interesad\w*|non (?:ci |mi )?interessa|"
    r"non (?:siamo|sono) interessat\w*|geen interesse|niet geinteresseerd|nao (?:temos|tenho) interesse|"
    r"nao (?:estamos|estou) interessad\w*|sem interesse"
)
UNSUBSCRIBE = REMOVAL
NOT_INTERESTED = _rules(
    (r"\bnot (?:interested|for us|a (?:good )?fit|a priority|looking for|needed|something we need)\b", 3),
    (r"\b(?:isn't|is not|not) (?:a priority|something we(?:'d| would)? (?:need|consider|want))\b", 3),
    (r"\b(?:we(?:'ll| will)|i(?:'ll| will)) pass\b|\bwe don't need\b|\bno need\b|\bnot needed\b|\bwon't happen\b", 3),
    (r"\bno,? thank(?:s| you)\b|\bthanks,? but\b|\bpass\b\.?|\bwe(?:'re| are) (?:all set|good)\b|^\W*no\W*$", 2),
    (
        r"\b(?:already|just) (?:have|use|signed|work with|using|rolled out)\b|\banother (?:vendor|provider|supplier)\b",
        2,
    ),
    (r"\bhappy with (?:our|the|them|it)|\bwon't be changing\b|\bno budget\b|\btied into\b|\bthanks,? but no\b", 2),
    (r"\bspam\b|\bdon't appreciate\b|\bnot (?:at this|right) (?:time|now)\b|\bother priorities\b", 2),
    (r"\bcan't bring in\b|\bdecided against\b|\bdon't (?:need|want) (?:it|this)\b|\bplease don't follow up\b", 2),
    (r"kein (?:interesse|bedarf|budget)|nicht interessiert|sind (?:sehr )?zufrieden|anderen anbieter|nein,? danke", 3),
    (r"(?:brauchen|benotigen) wir (?:nicht|keine?)|wir verzichten|kommt (?:fur uns )?nicht in frage|nichts fur uns", 3),
    (r"ne (?:nous |m')interesse pas|pas interesse|pas (?:besoin|pour nous)|non merci|deja un (?:outil|prestataire)", 3),
    (r"n'en (?:avons|ai) pas besoin|pas (?:d'actualite|prioritaire|une priorite)|nous ne sommes pas interess", 3),
    (r"no (?:estamos|estoy) interesad|no nos interesa|ya (?:trabajamos|tenemos|usamos)|no,? gracias", 3),
    (r"no (?:lo |la )?necesit|no es para nosotros|no (?:nos )?hace falta|no es (?:prioridad|el momento)", 3),
    (r"non (?:ci |mi )?interessa|non siamo interessati|no,? grazie|non fa per noi|non (?:ne )?abbiamo bisogno", 3),
    (r"abbiamo gia|non e (?:il momento|una priorita)|\bpassiamo\b", 3),
    (
        r"\bnee,? (?:bedankt|dank)|geen (?:interesse|behoefte)"
        r"|niet voor ons|niks voor ons|hebben al\b|tevreden (?:met|over)",
        3,
    ),
    (r"nao,? obrigad|nao (?:temos|tenho) interesse|nao e para nos|nao precisamos|ja (?:temos|trabalhamos)", 3),
    (r"de momento nao|nao e o momento|satisfeitos\b", 3),
)
MEETING = _rules(
    (r"\b(?:call|chat|meeting|meet|demo|zoom|teams|video ?call|conversation|slot)\b", 1.5),
    (
        r"\b(?:set up|schedule|book|arrange|hop on|jump on|have) (?:a |the )?(?:\w+ )?(?:call|chat|meeting|demo|slot)",
        2.5,
    ),
    (r"\bcalendar invite\b|\binvite\b|calendly\.com|cal\.com|\bbooking link\b|\bmeetings\.hubspot|\bbook me in\b", 3),
    (r"\b(?:monday|tuesday|wednesday|thursday|friday|next week|tomorrow|this week|the \d{1,2}(?:st|nd|rd|th))\b", 1.5),
    (r"\b\d{1,2}(?::\d{2})? ?(?:am|pm)\b|\bat \d{1,2}\b|\bafter \d{1,2}\b|\bbetween \d{1,2} and \d{1,2}\b", 1.5),
    (
        r"\bcall me\b|\bgive me a (?:call|ring)\b|\bwhat times?\b"
        r"|\bwhich day\b|\bwhen (?:are|would) you\b|\blet's talk\b",
        2,
    ),
    (r"\b(?:15|20|30)[ -]?min", 1.5),
    (r"telefonieren|\btermin\b|\banruf|rufen sie mich|vorfuhrung|gesprach|\bpasst (?:es )?ihnen\b", 2.5),
    (r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|morgen|nachste woche|\d{1,2} uhr)\b", 1.5),
    (r"s'appeler|\bappel\b|rendez-vous|\bdemo\b|\bcreneau\b|disponibilites|visio|appelez-moi", 2.5),
    (r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|semaine prochaine|demain|\d{1,2}h)\b", 1.5),
    (r"\bllamada\b|\breunion\b|videollamada|\bhablar\b|\bhablamos\b|agend|por telefono|llameme", 2.5),
    (r"\b(?:lunes|martes|miercoles|jueves|viernes|semana que viene|manana|a las \d{1,2})\b", 1.5),
    (
        r"\bchiamata\b|telefonata|sentirci|appuntamento|\bincontro\b|mi (?:chiami|puo chiamare)|fissiamo|organizziamo",
        2.5,
    ),
    (r"\b(?:lunedi|martedi|mercoledi|giovedi|venerdi|settimana prossima|domani|alle \d{1,2})\b", 1.5),
    (r"\bbellen\b|belafspraak|\bafspraak\b|bel me\b|\bteams\b|\binplannen\b|plan .{0,20}in\b", 2.5),
    (r"\b(?:maandag|dinsdag|woensdag|donderdag|vrijdag|volgende week|morgen|om \d{1,2})", 1.5),
    (r"\bchamada\b|\breuniao\b|ligue-me|\bligar\b|\bfalar\b|demonstracao|\bmarcar\b|\bagendar\b|vamos falar", 2.5),
    (r"\b(?:segunda|terca|quarta|quinta|sexta)(?:-feira)?\b|proxima semana|\bamanha\b|\bas \d{1,2}h?\b", 1.5),
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
    (r"\bmore (?:info|information|details)\b|\bcase stud|\breferences?\b|\bexamples?\b|\bbrochure\b", 2),
    (
        r"\bhow (?:does|do|long|would)\b|\bwhat (?:exactly|does|do|happens|is|are)\b"
        r"|\bwhere is\b|\bis (?:this|there|it)\b",
        1.5,
    ),
    (r"\bgdpr\b|\bdata (?:is )?stored\b|\btraining\b|\bimplementation\b|\bsetup\b", 1),
    (r"\bwas kostet\b|\bpreis|\bkosten\b|\bangebot\b|weitere informationen|mehr informationen|funktioniert das", 2.5),
    (r"\bmindestlaufzeit\b|\bschnittstelle\b|\breferenzen\b|\bwie (?:funktioniert|lange)\b", 1.5),
    (r"\btarif|\bprix\b|\bcombien\b|documentation|plus d'informations|\bcompatible\b|comment (?:ca|cela) marche", 2.5),
    (r"cuanto cuesta|\bprecio|mas informacion|\bse integra\b|\bejemplos\b|\bque datos\b|como funciona", 2.5),
    (r"quanto costa|\bprezzo\b|\bcanone\b|\bcosti\b|materiale informativo|\bbrochure\b|referenze|caso di studio", 2.5),
    (r"\bsi integra\b|come funziona|dove vengono|quanto tempo", 2),
    (r"wat kost|\bkosten\b|\bprijs\b|\bbrochure\b|meer informatie|\breferenties\b|werkt het|hoe (?:werkt|lang)", 2.5),
    (r"waar worden|opzegtermijn", 2),
    (r"quanto custa|\bpreco\b|fidelizacao|brochura|mais informacoes|referencias|exemplos de|compativel", 2.5),
    (r"\bintegra com\b|como funciona|onde ficam|quanto tempo", 2),
)
INTERESTED = _rules(
    (r"\binterest(?:ed|ing)\b|\brelevant\b|\bpromising\b|\bsounds (?:good|great|interesting)\b|\bof interest\b", 2.5),
    (r"\bgood timing\b|\btiming is right\b|\bon our radar\b|\bopen to\b|\bkeen\b|\bcount me in\b", 2.5),
    (
        r"\bkeep me (?:posted|updated|in the loop)\b|\bloop me in\b"
        r"|\bhear more\b|\blearn (?:more|how)\b|\btell me more\b",
        2,
    ),
    (
        r"\bgood fit\b|\bcould (?:help|be useful)\b|\bi like (?:the|this)\b"
        r"|\bnext step\b|\bcontinue the conversation\b",
        2,
    ),
    (r"\bwould love to (?:know|hear|learn|see)\b|\bcaught my eye\b|\bworth (?:a look|exploring)\b|\bcurious\b", 2.5),
    (r"\byes\b|\bgreat\b|\bdefinitely\b|\bheadache\b|\bstruggl|\bstretched\b|\bbad reviews\b|\bgo on\b", 1),
    (r"interessant|interessiert|spannend|\bpasst gut\b|auf dem laufenden|gerne mehr|\baktuell\b|mehr erfahren", 2.5),
    (r"klingt gut|auf (?:der|unserer) agenda|konnte (?:uns )?helfen|erzahlen sie|\bja,? gerne\b", 2.5),
    (r"m'interesse|interessant|nous parle|\bpartante?\b|tenez-moi au courant|en savoir (?:plus|davantage)", 2.5),
    (r"pourquoi pas|(?:pourrait|peut) nous etre utile|bonne idee|interesses?\b|ce qu'il nous faut", 2.5),
    (r"nos interesa|me interesa|interesante|suena bien|encaja|saber mas|abiertos a|interesad[oa]s?\b", 2.5),
    (r"buena idea|cuent[ea]me mas|nos (?:podria|puede) (?:servir|ayudar)|me parece bien", 2.5),
    (r"interessat[oi]|mi interessa|ci interessa|interessante|fare al caso|esserci utile|saperne di piu", 2.5),
    (r"\baggiornat[oi]\b|come procediamo|ne parlerei", 2),
    (
        r"geinteresseerd|\binteresse\b|interessant|klinkt goed|spreekt ons .{0,10}aan|leuk idee|meer (?:over )?weten",
        2.5,
    ),
    (r"op de hoogte|graag meer|hoor graag", 2),
    (r"interessad[oa]s?|interessa-nos|(?:temos|tenho) interesse|parece interessante|boa ideia|saber mais", 2.5),
    (r"mantenha-me informad|proximo passo", 2),
    (r"\b(?:ja|oui|si|sim|yes|yeah|sure)\b", 1),
)
WRONG_PERSON = _rules(
    (r"\bwrong (?:person|contact|hotel|department|address)\b|\bnot the right (?:person|contact)\b", 4),
    (r"\bnot (?:my (?:area|department|job|responsibility)|involved in|responsible for|in charge of)\b", 3),
    (r"\b(?:isn't|is not) my (?:area|department|job|responsibility)\b|nothing to do with\b", 3),
    (r"\bi (?:only|just) (?:handle|do|work|look after)\b|\bi'm (?:just|only) (?:a|the)\b|\byou've reached the\b", 2),
    (r"\bwe don't deal with\b|\bdon't know who\b|\bcan't help\b|\bnot sure who\b|\bno idea who\b|\bdon't handle\b", 2),
    (r"\bsomeone else\b|\b(?:don't|do not) (?:make|take) (?:those|these|the|such) decisions\b|\bnot my call\b", 3),
    (
        r"\bi(?:'m| am) (?:in|with) (?:housekeeping|the kitchen|the spa|finance|accounts|events|sales)\b|\bi work in\b",
        2,
    ),
    (r"nicht zustandig|bei mir falsch|falsche(?:n|r)? (?:ansprechpartner|person)|nur fur .{0,30} zustandig", 4),
    (r"\bich arbeite im\b", 2),
    (r"pas la bonne personne|pas de mon ressort|je m'occupe (?:uniquement|seulement)|ne m'occupe pas", 4),
    (r"trompe de (?:personne|destinataire|contact)|pas moi qui (?:decide|m'occupe)", 4),
    (r"no soy la persona|no me encargo|solo llevo|no es (?:mi|de mi) (?:area|competencia)", 4),
    (r"equivocado de (?:persona|contacto)|no soy (?:yo )?quien decide|yo trabajo en", 3),
    (r"non sono la persona giusta|non mi occupo|sbagliato persona|mi occupo solo|seguo solo|lavoro al", 4),
    (r"niet de juiste persoon|verkeerde persoon|ga ik niet over|ik doe alleen|ik werk in de", 4),
    (r"nao sou a pessoa certa|enganou-se na pessoa|trato apenas|nao trato (?:d|destes)|\bsou da\b", 4),
)
# someone else named as the one to talk to
REFERRAL = re.compile(
    r"forward(?:ed|ing)?|pass(?:ed|ing)? (?:this|it|your)|passing this|reach out to|get in touch with|"
    r"speak(?:ing)? (?:with|to)|talk to|contact (?:him|her|them)|contact (?:our|my)|please contact|"
    r"(?:please )?(?:write|send (?:it|this|that)|e-?mail (?:it|this)) to|(?:write|e-?mail) (?:him|her|them)|"
    r"(?:copied|cc'?d|looped) in|copying|is (?:the one|the person|best placed)|makes these calls|"
    r"handles|looks after|runs our|decisions .{0,20}go through|drop(?:ping)? (?:him|her|them) a line|"
    r"prefers these|would be the one|best way to (?:get|reach)|best person|right person (?:is|for)|"
    r"(?:is|he's|she's) (?:responsible|in charge)|reach (?:him|her) at|my successor|"
    r"zustandig|wenden sie sich|weitergeleitet|kontaktieren sie|ansprechpartner(?:in)?|"
    r"s'occupe|contacter|transf[eè]re|adresser a|adressez-vous|en relation avec|"
    r"lo lleva|escribale|contacte con|hable con|reenvio|es quien decide|se encarga|"
    r"se ne occupa|si occupa|(?:deve|puo) (?:parlare|scrivere)|scriva a|scrivergli|scriverle|inoltrato|giro la|"
    r"la persona giusta|contact op|contact (?:opnemen )?met|doorgestuurd|stuur .{0,30}door|gaat (?:hier|daar)over|"
    r"fale com|quem trata|trata disso|encaminhei|pode escrever para|quem decide|contacte o|contacte a",
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
    "direttore operativo",
    "direttrice",
    "direttore",
    "responsabile IT",
    "responsabile del ricevimento",
    "manager operations",
    "operationeel manager",
    "hotelmanager",
    "diretora de operações",
    "diretor de operações",
    "diretor-geral",
    "diretora",
    "diretor",
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
    "Buongiorno",
    "Buonasera",
    "Gentile",
    "Goedemorgen",
    "Goedemiddag",
    "Beste",
    "Bom",
    "Boa",
    "Olá",
    "Ola",
    "Caro",
    "Cara",
    "Mijn",
    "Quem",
    "Fale",
    "Neem",
    "Giro",
    "Per",
    "Ich",
    "Wir",
    "Ja",
    "Yes",
    "Sim",
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


# header lines of a forwarded or quoted message ("From: Claire <claire@…>") and the
# forwarding marker itself: whoever they name is no colleague the writer points us to
FORWARDED_HEADER = re.compile(
    r"^[> *]*(?:From|To|Cc|Date|Sent|Subject|Von|An|Gesendet|Betreff|De|Envoye|Envoyé|A|À|Objet|Para|Enviado|"
    r"Enviada|Asunto|Assunto|Da|Inviato|Oggetto|Van|Aan|Verzonden|Onderwerp)\s?:.*$|"
    r"^[> ]*-{2,}\s*(?:Forwarded|Original) message\s*-{2,}.*$|^\s*(?:fwd?|wg|tr|rv|i|doorst)\s?:.*$",
    re.I | re.M,
)


def extract_delegate(text: str, *, sender: str = "") -> DelegatedTo | None:
    """The person the writer points us to: name, title and address, as far as the text says."""
    text = FORWARDED_HEADER.sub(lambda m: " " * len(m.group(0)), text or "")
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


@dataclass
class Reading:
    """What the offline reader found: the interpretation and the kind of evidence behind it.

    ``evidence`` names the rule family (or the agreement of rules and model) that decided;
    replies.policy lets an irreversible action happen on its own only for the kinds
    measured precise for that intent. ``removal`` is the removal request found, if any.
    """

    interpretation: ReplyInterpretation
    evidence: str
    removal: str = ""


def removal_request(text: str) -> str:
    """The words of an explicit request to be removed (any supported language), or ''."""
    folded = fold(text)
    for pattern, _weight in REMOVAL:
        found = pattern.search(folded)
        if found:
            return found.group(0).strip()[:100]
    return ""


# a delegation needs a colleague's address, or a referral verb and a name that does not
# begin the reply ("Ja Wir …" is no person)
def _usable_delegate(delegate: DelegatedTo | None, text: str) -> bool:
    if delegate is None:
        return False
    if delegate.email:
        return True
    return bool(delegate.name) and not text.lstrip().startswith(delegate.name)


CONVERSATION = ("meeting_request", "needs_more_info", "interested", "not_interested", "wrong_person")
# intents whose action is the same (the prospect replied, the sequence stops, a person is
# alerted and a draft answer written): readers that differ only among them agree on it
SAME_ACTION = {"interested": "replied", "needs_more_info": "replied"}


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
    return read_reply(
        text, subject=subject, sender=sender, headers=headers, today=today, is_auto_reply=is_auto_reply
    ).interpretation


def read_reply(
    text: str,
    *,
    subject: str = "",
    sender: str = "",
    headers: dict | None = None,
    today: datetime.date | None = None,
    is_auto_reply: bool | None = None,
    model=None,
) -> Reading:
    """``classify_reply`` with the kind of evidence that decided (for replies.policy)."""
    from replies import model as reply_model

    today = today or datetime.date.today()
    body = fold(text)
    subj = fold(subject)
    both = f"{subj}\n{body}"
    auto = is_automatic(headers=headers, subject=subject, text=text) if is_auto_reply is None else is_auto_reply
    scores = {
        "bounce": _score(BOUNCE, both),
        "out_of_office": _score(OUT_OF_OFFICE, both) + (2 if subject_says_automatic(subject) else 0),
        "left": _score(LEFT_COMPANY, body),
        "meeting_request": _score(MEETING, body),
        "needs_more_info": _score(MORE_INFO, body),
        "interested": _score(INTERESTED, NEGATED_INTEREST.sub(" ", body)),
        "not_interested": _score(NOT_INTERESTED, body),
        "wrong_person": _score(WRONG_PERSON, body),
    }
    removal = removal_request(text)
    delegate = extract_delegate(text, sender=sender)
    referral = bool(REFERRAL.search(fold(FORWARDED_HEADER.sub(" ", text))))
    company_wide = bool(COMPANY_WIDE.search(body))

    def answer(intent, confidence, evidence, reasoning, **extra):
        interpretation = ReplyInterpretation(
            intent=intent,
            sentiment="negative" if HOSTILE.search(body) else SENTIMENT[intent],
            confidence=round(max(0.05, min(confidence, 0.99)), 2),
            reasoning=f"rules ({evidence}): {reasoning}"[:600],
            suggested_action=ACTION[intent] if confidence >= 0.5 else "delegate_to_human",
            questions=extract_questions(text),
            company_wide=company_wide and intent in ("not_interested", "unsubscribe"),
            **extra,
        )
        return Reading(interpretation, evidence, removal)

    # 1. delivery failures: a mail system's report, or only its wording
    if sent_by_mail_system(from_email=sender, headers=headers):
        return answer("bounce", 0.97, "mail_system", "sent by a mail delivery system")
    if scores["bounce"] >= 3 and scores["bounce"] > scores["out_of_office"] and not removal:
        return answer("bounce", 0.6, "bounce_wording", "delivery failure wording from a person's address")

    # 2. an explicit request to be removed wins over everything a person may add ("I was
    # out of office last week. Please stop emailing me"): ignoring it is the costlier mistake
    if removal:
        return answer("unsubscribe", 0.95, "removal_request", f"asks to be removed ({removal!r})")

    # 3. the contact left (a successor named with an address is a delegation)
    left = scores["left"] >= 3
    if left:
        if delegate and delegate.email and referral:
            return answer(
                "delegated",
                0.85,
                "successor_with_address",
                "the contact left; the reply names a successor",
                delegated_to=delegate,
            )
        # a departure notice is often an auto-reply ("… has left; this inbox is not monitored")
        return answer("wrong_person", 0.92, "left_company", "the contact no longer works there")

    # 4. automatic replies
    if auto or scores["out_of_office"] >= 3:  # noqa: SIM102 (the second test narrows the first)
        if scores["out_of_office"] >= 2 or auto:
            return_date = parse_return_date(text, today=today)
            if auto and scores["out_of_office"] >= 2:
                confidence, evidence = 0.95, "auto_reply"
            elif auto:
                confidence, evidence = 0.75, "auto_header_only"
            else:
                confidence, evidence = 0.8, "absence_wording"
            return answer(
                "out_of_office", confidence, evidence, "automatic reply / absence wording", return_date=return_date
            )

    # 5. delegation: a referral and another person (their address makes it precise)
    if referral and _usable_delegate(delegate, text):
        if delegate.email:
            # the colleague's address, written in the reply, next to a referral: who they
            # are matters less than where to write (their name may be left out)
            return answer("delegated", 0.9, "referral_with_address", "points to another person", delegated_to=delegate)
        return answer("delegated", 0.6, "referral_partial", "points to another person", delegated_to=delegate)
    if delegate and delegate.email and delegate.name:
        # another named person's address handed over: a delegation, whatever the verb
        return answer(
            "delegated", 0.6, "address_only", "gives another person's name and address", delegated_to=delegate
        )

    # 6. the conversation intents: the rules' scores and the model's probabilities
    candidates = {k: scores[k] for k in CONVERSATION}
    candidates["wrong_person"] *= 1.2
    if scores["not_interested"] >= 3:
        candidates["not_interested"] += 2
    if scores["meeting_request"] >= 4:
        candidates["meeting_request"] += 1
    rule_best = max(candidates, key=lambda k: (candidates[k], -CONVERSATION.index(k)))
    top = candidates[rule_best]
    runner_up = max(v for k, v in candidates.items() if k != rule_best)
    margin = top - runner_up

    model = reply_model.load() if model is None else model
    probabilities = model.probabilities(body) if model else {}
    conversational = {k: probabilities.get(k, 0.0) for k in CONVERSATION}
    model_best = max(conversational, key=conversational.get) if probabilities else ""
    model_p = conversational.get(model_best, 0.0) / (sum(conversational.values()) or 1)

    def extra_for(intent):
        return {"meeting_preference": extract_meeting_preference(text)} if intent == "meeting_request" else {}

    if top < 1.5:
        if model_best and model_p >= 0.5:
            confidence = 0.45 + 0.3 * model_p
            return answer(model_best, confidence, "model", f"model {model_p:.2f}", **extra_for(model_best))
        if "?" in text:
            return answer("needs_more_info", 0.5, "question_mark", "a question without clearer signals")
        return answer("needs_more_info", 0.3, "none", "no clear signal")
    rule_confidence = 0.55 + min(top, 6) * 0.04 + min(margin, 4) * 0.05
    if model_best == rule_best:
        confidence = min(0.97, rule_confidence + 0.1 + 0.1 * model_p)
        evidence = "rules+model"
    elif SAME_ACTION.get(model_best, model_best) == SAME_ACTION.get(rule_best, rule_best):
        # "relevant for us - can you send details?": interest or a question, the same action
        confidence, evidence = min(0.9, rule_confidence + 0.05), "rules+model_same_action"
    elif not model_best:
        confidence, evidence = rule_confidence, "rules"
    else:
        confidence, evidence = min(rule_confidence, 0.65), "rules_against_model"
    reasoning = f"{rule_best} signals {top:g} (next {runner_up:g})"
    if model_best:
        reasoning += f"; model {model_best} {model_p:.2f}"
    return answer(rule_best, confidence, evidence, reasoning, **extra_for(rule_best))
