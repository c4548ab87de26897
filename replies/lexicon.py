"""The words the offline reader (replies.classifier) reads, and the form it reads them in.

Data only: weighted patterns per intent (``BOUNCE``, ``OUT_OF_OFFICE``, ``LEFT_COMPANY``,
``REMOVAL``, ``NOT_INTERESTED``, ``MEETING``, ``MORE_INFO``, ``INTERESTED``,
``WRONG_PERSON``: lists of ``(compiled pattern, weight)``), the referral, company-wide and
hostile cues, the job titles and the words that are no names (delegation), the month
names and date patterns (return dates), and each intent's sentiment and suggested action.
English, German, French, Spanish, Italian, Dutch and Portuguese.

Every pattern marked *folded* is written for ``reading_form(text)``: infra.text.fold
(lower case, accents off, ß → ss), typographic quotes straightened (’ → ', « » → ") and
runs of blanks made one space. The name, title and forwarded-header patterns read the
text as written (capital letters tell a name).
"""

import calendar
import re

from infra.text import fold

_QUOTES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'", "«": '"', "»": '"'})
_BLANKS = re.compile(r"[ \t\u00a0]+")


def reading_form(text: str) -> str:
    """The form every folded rule reads (see the module docstring)."""
    return _BLANKS.sub(" ", fold((text or "").translate(_QUOTES)))


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


# --- return dates (folded) ----------------------------------------------------------
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


# --- delegation: names and titles (as written) ------------------------------------------
HONORIFIC = re.compile(r"\b(?:Herrn?|Frau|Mr|Mrs|Ms|Mme|Mlle|M|Sr|Sra|Srta|Don|Doña|Dr)\b\.?")


TITLE_RE = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True)) + r")\b", re.I)


# header lines of a forwarded or quoted message ("From: Claire <claire@…>") and the
# forwarding marker itself: whoever they name is no colleague the writer points us to
FORWARDED_HEADER = re.compile(
    r"^[> *]*(?:From|To|Cc|Date|Sent|Subject|Von|An|Gesendet|Betreff|De|Envoye|Envoyé|A|À|Objet|Para|Enviado|"
    r"Enviada|Asunto|Assunto|Da|Inviato|Oggetto|Van|Aan|Verzonden|Onderwerp)\s?:.*$|"
    r"^[> ]*-{2,}\s*(?:Forwarded|Original) message\s*-{2,}.*$|^\s*(?:fwd?|wg|tr|rv|i|doorst)\s?:.*$",
    re.I | re.M,
)


# --- questions and meeting preferences -------------------------------------------------
SENTENCE = re.compile(r"[^.!?\n]*[?]|[^.!?\n]+[.!?]?", re.U)
MEETING_HINT = re.compile(
    r"monday|tuesday|wednesday|thursday|friday|tomorrow|next week|\d{1,2}(?::\d{2})? ?(?:am|pm|uhr|h)\b|calendly|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|morgen|lundi|mardi|mercredi|jeudi|vendredi|"
    r"lunes|martes|miercoles|jueves|viernes|semaine prochaine|semana que viene|nachste woche|"
    r"the \d{1,2}(?:st|nd|rd|th)",
    re.I,
)


# --- what each intent means ----------------------------------------------------------
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
