"""Hosts whose pages are about a hotel but are not the hotel's own website.

Contract:
- ``NOT_HOTEL_HOSTS`` is the one list (online travel agencies, consortia, reviews and
  guides, social networks, maps, job boards, directories, venue listings, search
  engines, parked domains). ``not_hotel_host(url)`` returns the entry a URL falls under
  ("" when none): "name.*" matches the name under any public suffix, "host/path" that
  path prefix only. The website finder drops every result it matches.
- Research reads a search result by the brand label of its host, whatever the domain
  (``booking.de``, ``tripadvisor.example`` in the sandbox, ``hotels.example.com``):
  ``is_directory(url)`` (a listing, never a competitor or news), ``is_review_site(url)``
  (where guests write reviews) and ``social_network(url)`` (the network's name, or "").
  ``is_directory`` is true for everything ``not_hotel_host`` matches too.
"""

from urllib.parse import urlsplit

# Domains whose pages are about a hotel but are not its website. A hotel's own domain is
# what the rest of enrichment needs (the email domain, the HTML to analyse), so member
# listings of consortia (slh.com, relaischateaux.com…) are dropped too: their hotels
# have sites of their own.
#
# Chain brand sites (marriott.com, hilton.com, ihg.com, hyatt.com, all.accor.com,
# melia.com, nh-hotels.com…) are deliberately NOT here: for a chain hotel the brand
# site's page is its official website, often the only one, and the GM's mailbox is on
# that domain. Which brand page is the right one is the chooser's job (name and city in
# title and path).
#
# "name.*" matches the name under any public suffix (tripadvisor.co.uk, expedia.de);
# "host/path" matches that path prefix only (google.com/maps, not sites.google.com).
NOT_HOTEL_HOSTS = (
    # online travel agencies and metasearch
    "booking.com",
    "expedia.*",
    "hotels.com",
    "agoda.*",
    "trivago.*",
    "kayak.*",
    "priceline.com",
    "orbitz.com",
    "travelocity.com",
    "hotwire.com",
    "trip.com",
    "ctrip.com",
    "makemytrip.com",
    "goibibo.com",
    "cleartrip.com",
    "hostelworld.com",
    "hrs.*",
    "hotel.de",
    "hotel.info",
    "holidaycheck.*",
    "ebookers.*",
    "lastminute.com",
    "opodo.*",
    "edreams.*",
    "despegar.*",
    "momondo.*",
    "skyscanner.*",
    "hotelscombined.*",
    "travelsupermarket.com",
    "laterooms.com",
    "secretescapes.*",
    "airbnb.*",
    "vrbo.com",
    "tablethotels.com",
    "mrandmrssmith.com",
    # consortia and collections listing independent hotels
    "slh.com",
    "relaischateaux.com",
    "lhw.com",
    "designhotels.com",
    "preferredhotels.com",
    "historichotels.org",
    # reviews, guides and travel media
    "tripadvisor.*",
    "yelp.*",
    "foursquare.com",
    "lonelyplanet.com",
    "timeout.com",
    "cntraveler.com",
    "fodors.com",
    "frommers.com",
    "guide.michelin.com",
    "forbestravelguide.com",
    "hospitalitynet.org",
    "hotel-online.com",
    "travelweekly.com",
    # social networks and video
    "facebook.com",
    "instagram.com",
    "linkedin.com",
    "x.com",
    "twitter.com",
    "youtube.com",
    "tiktok.com",
    "pinterest.*",
    "threads.net",
    # encyclopedias and maps
    "wikipedia.org",
    "wikivoyage.org",
    "wikidata.org",
    "google.*/maps",
    "google.*/travel",
    "maps.google.*",
    "g.page",
    "goo.gl",
    "maps.apple.com",
    "mapquest.com",
    "waze.com",
    "openstreetmap.org",
    # job boards (prospects come from job adverts, so their pages rank for the name)
    "indeed.*",
    "glassdoor.*",
    "hosco.com",
    "caterer.com",
    "hcareers.com",
    "monster.*",
    "ziprecruiter.com",
    "stepstone.*",
    "infojobs.net",
    # business directories and yellow pages
    "yellowpages.com",
    "yell.com",
    "pagesjaunes.fr",
    "gelbeseiten.de",
    "paginasamarillas.es",
    "paginegialle.it",
    "justdial.com",
    "bbb.org",
    "dnb.com",
    "zoominfo.com",
    "crunchbase.com",
    "opencorporates.com",
    # wedding and event venue listings
    "hitched.co.uk",
    "weddingwire.*",
    "theknot.com",
    "bridebook.com",
    # search engines themselves
    "duckduckgo.com",
    "bing.com",
    # parked and for-sale domains (where a lapsed hotel domain now redirects)
    "hugedomains.com",
    "sedo.com",
    "dan.com",
    "afternic.com",
    "parkingcrew.net",
)

# second-level labels under which a country code is the public suffix ("co.uk", "com.au")
SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "go"}

# brand labels, matched against any label of the host but its last
REVIEW_HOSTS = {
    "tripadvisor",
    "booking",
    "google",
    "holidaycheck",
    "trustpilot",
    "yelp",
    "expedia",
    "hotels",
    "trivago",
    "agoda",
    "zoover",
    "kayak",
    "hrs",
}
DIRECTORY_HOSTS = REVIEW_HOSTS | {
    "airbnb",
    "hostelworld",
    "momondo",
    "skyscanner",
    "lastminute",
    "ebookers",
    "opodo",
    "wikipedia",
    "wikivoyage",
    "lonelyplanet",
    "timeout",
    "michelin",
    "bing",
    "maps",
    "linkedin",
    "indeed",
    "glassdoor",
}
SOCIAL_HOSTS = {
    "instagram": "instagram",
    "facebook": "facebook",
    "fb": "facebook",
    "tiktok": "tiktok",
    "youtube": "youtube",
    "twitter": "x",
    "x": "x",
    "linkedin": "linkedin",
    "pinterest": "pinterest",
}


def not_hotel_host(url: str) -> str:
    """The ``NOT_HOTEL_HOSTS`` entry that ``url`` falls under, or "" when none does."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    labels = host.split(".")
    for entry in NOT_HOTEL_HOSTS:
        domain, _, path = entry.partition("/")
        if path and not parts.path.lower().startswith(f"/{path}"):
            continue
        if _host_matches(labels, host, domain):
            return entry
    return ""


def _host_matches(labels: list[str], host: str, domain: str) -> bool:
    if not domain.endswith(".*"):
        return host == domain or host.endswith(f".{domain}")
    wanted = domain[:-2].split(".")
    for start in range(len(labels) - len(wanted) + 1):
        if labels[start : start + len(wanted)] != wanted:
            continue
        suffix = labels[start + len(wanted) :]
        # a public suffix: "com", "de", "co.uk", "com.au" — not "tripadvisor.example.com"
        if len(suffix) == 1 or (len(suffix) == 2 and suffix[0] in SECOND_LEVEL and len(suffix[1]) == 2):
            return True
    return False


def host_labels(url: str) -> list[str]:
    """'https://www.booking.com/x' → ['booking', 'com']."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.").split(".")


def is_directory(url: str) -> bool:
    labels = host_labels(url)
    return bool(set(labels[:-1]) & DIRECTORY_HOSTS) or bool(not_hotel_host(url))


def is_review_site(url: str) -> bool:
    return bool(set(host_labels(url)[:-1]) & REVIEW_HOSTS)


def social_network(url: str) -> str:
    labels = host_labels(url)
    for label in labels[:-1] or labels:
        if label in SOCIAL_HOSTS:
            return SOCIAL_HOSTS[label]
    return ""
