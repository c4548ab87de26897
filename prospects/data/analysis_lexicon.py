"""The words and patterns website analysis reads a hotel's page with, apart from the code.

Contract (read by ``prospects.analysis``):
- ``PHONE_LABEL`` / ``FAX_LABELS`` / ``NOT_A_PHONE``: the label before a number that says
  phone or fax, and the register, tax and bank labels whose numbers are not phones;
- ``SOCIAL_NETWORKS``: the networks a hotel links its own profile on, with the paths
  that share or embed instead (a different question from
  ``prospects.data.not_hotel_hosts``, which says which search results are not the
  hotel's own site);
- ``AMENITIES``: amenity → its words in English, German, French, Spanish and Italian;
- ``STOPWORDS``: per language, common words that guess a page's language;
- ``AUDIENCE_WORDS``: who a page speaks to, by its amenities and words.
"""

import re

# the label nearest before a number decides whether it is a phone or a fax
PHONE_LABEL = re.compile(
    r"(?<!\w)(?:telefax|fax\w*|télécopie|telefon\w*|téléphone|teléfono|telefono|tél|tel|phone|fon|call|mobil\w*"
    r"|handy|whatsapp|reservations?|rezeption|réception)(?!\w)",
    re.I,
)
FAX_LABELS = ("telefax", "fax", "télécopie")
# company registers, tax and bank numbers in a legal notice can look like phone numbers
NOT_A_PHONE = re.compile(
    r"\b(?:ust|vat|iban|bic|swift|hr[ab]|steuer\w*|siret|siren|tva|rcs|cif|nif|p\.?\s?iva|partita|konto|blz|"
    r"amtsgericht|registergericht|company (?:no|number)|reg(?:istration)?\.? (?:no|nr))\b",
    re.I,
)


SOCIAL_NETWORKS = (  # (network, host, paths that share or embed rather than name a profile)
    ("facebook", r"(?:^|\.)(?:facebook\.com|fb\.com|fb\.me)$", r"^/(?:sharer|share|dialog|plugins|tr|login)\b"),
    ("instagram", r"(?:^|\.)instagram\.com$", r"^/(?:share|accounts|embed)\b"),
    ("x", r"(?:^|\.)(?:twitter\.com|x\.com)$", r"^/(?:intent|share|home)\b"),
    ("linkedin", r"(?:^|\.)linkedin\.com$", r"^/(?:shareArticle|sharing|share|cws)\b"),
    ("youtube", r"(?:^|\.)(?:youtube\.com|youtube-nocookie\.com|youtu\.be)$", r"^/embed\b"),
    ("tiktok", r"(?:^|\.)tiktok\.com$", r"^/(?:share|embed)\b"),
    ("tripadvisor", r"(?:^|\.)tripadvisor\.[a-z]{2,3}(?:\.[a-z]{2})?$", r"^/(?:Widget|widget|WidgetEmbed)"),
)


# amenity → words for it in English, German, French, Spanish and Italian (whole words, any case)
AMENITIES: dict[str, str] = {
    "spa": r"spa|day spa|wellness\w*|centro benessere|benessere|balneario",
    "pool": r"(?:swimming[- ])?pools?|rooftop pool|(?:innen|außen|aussen)pool|\w*schwimmbad|hallenbad|freibad"
    r"|piscines?|piscinas?",
    "gym": r"gym|fitness\w*|salle de (?:sport|fitness)|gimnasio|palestra",
    "restaurant": r"restaurants?|restaurante|ristorante|trattoria|brasserie|bistro|osteria|gasthaus",
    "bar": r"bar|hotelbar|rooftop bar|cocktail ?bar|weinbar|bar à vins|lounge bar",
    "parking": r"parking|car park|parkpl[aä]tz\w*|parkhaus|tiefgarage|stationnement|aparcamiento|estacionamiento"
    r"|parcheggio|garaje",
    "wifi": r"wi-?fi|wlan|wireless internet|internet (?:gratuit|gratis|gratuito)",
    "pet_friendly": r"pet[- ]friendly|pets? (?:are )?welcome|dogs? (?:are )?welcome|dog[- ]friendly"
    r"|hunde (?:sind )?(?:herzlich )?willkommen|haustiere (?:sind )?(?:erlaubt|willkommen)|hundefreundlich\w*"
    r"|animaux (?:de compagnie )?(?:sont )?(?:acceptés|admis|bienvenus)|(?:se )?admiten mascotas"
    r"|mascotas (?:bienvenidas|permitidas)|animali (?:domestici )?ammessi|pet friendly",
    "meeting_rooms": r"meeting[- ]rooms?|meetings? (?:&|and) events|conference (?:rooms?|cent(?:er|re)|facilities)"
    r"|conferences?|tagung\w*|seminar\w*|konferenz\w*|salles? de (?:réunion|séminaire|conférence)s?|séminaires?"
    r"|salas? de (?:reuniones|conferencias)|sala riunioni|sale meeting|centro congressi",
    "ev_charging": r"ev[- ]charg\w*|electric (?:vehicle|car) charg\w*|charging (?:stations?|points?)"
    r"|e-?ladestation\w*|ladestation\w*|e-tankstelle|wallbox|bornes? de recharge|puntos? de recarga"
    r"|ricarica (?:per )?auto elettriche|colonnin\w* (?:di ricarica|elettric\w*)",
    "sauna": r"sauna\w*|hammam|steam room|dampfbad|bagno turco",
    "breakfast": r"breakfast|frühstück\w*|petit[- ]déjeuner|desayunos?|colazione",
    "airport_shuttle": r"airport (?:shuttle|transfers?)|flughafen(?:transfer|shuttle)\w*|navette (?:pour l')?aéroport"
    r"|transfert aéroport|traslados? (?:al )?aeropuerto|navetta (?:per l')?aeroporto|transfer aeroporto",
    "room_service": r"room service|zimmerservice|service en chambre|servicio de habitaciones|servizio in camera",
    "air_conditioning": r"air[- ]condition\w*|klimaanlage|klimatisiert\w*|climatisation|climatisée?s?"
    r"|aire acondicionado|aria condizionata|climatizzat\w*",
    "accessible_rooms": r"wheelchair[- ]accessible|barrierefrei\w*|rollstuhlgerecht\w*|mobilité réduite"
    r"|movilidad reducida|accessibile ai disabili",
    "kids_club": r"kids'? club|children's club|kinderclub|kinderbetreuung|mini-?club|club infantil|club enfants",
}


STOPWORDS = {
    "en": "the and with our your you are for from this that will have stay rooms",
    "de": "der die das und mit für ist sind wir unser unsere ihr im zum zur eine nicht auch oder",
    "fr": "les et des du pour avec est nous notre nos vous votre une dans aux sur chambres",
    "es": "el los las y del para con es nuestro nuestra nuestros su una al por habitaciones",
    "it": "il lo gli della per con è nostro nostra nostri una dal sono camere",
    "nl": "het een van voor met zijn wij onze uw bij niet kamers",
    "pt": "os das dos para com é nosso nossa em um uma quartos",
}


AUDIENCE_WORDS = (  # (audience, amenities that show it, words that show it)
    ("business", {"meeting_rooms"}, r"business|geschäftsreis\w*|affaires|negocios|conference|tagung\w*"),
    ("families", {"kids_club"}, r"famil\w*"),
    ("couples", set(), r"romanti\w*|couples?|honeymoon|adults[- ]only|paare|en amoureux|parejas"),
    ("wellness", {"spa", "sauna"}, r"wellness|relax\w*|entspann\w*"),
    ("groups_and_events", set(), r"weddings?|hochzeit\w*|mariages?|bodas?|events?"),
)
