"""Website analysis on saved hotel pages (``tests/fixtures/hotel_sites/``).

The pages are hand-made after real ones: a WordPress boutique hotel (Yoast, SiteMinder,
GTM, Tidio), a Wix guesthouse (desktop viewport, no booking engine), a chain property on
SynXis with JSON-LD and hreflang, a Webflow booking page embedding the Mews booking
engine, French (Joomla, D-Edge) and German (TYPO3, DIRS21) independents, and broken
pages: truncated mid-tag, double-gzipped, empty. The AI path's recorded body follows
https://docs.x.ai/docs/api-reference#chat-completions.
"""

import copy
import datetime
import json
import re
from pathlib import Path

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser

from infra.http import override_transport
from infra.models import Event
from prospects.analysis import (
    CATEGORIES,
    SCHEMA_VERSION,
    SIGNATURES,
    WebsiteSummary,
    analyze_contact,
    analyze_content,
    analyze_technology,
    analyze_website,
    phone_region,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SITES = FIXTURES / "hotel_sites"
NOW = datetime.datetime(2026, 3, 12, 9, 30, tzinfo=datetime.UTC)

PAGES = {  # fixture → (url, country hint)
    "wordpress_boutique.html": ("https://www.harboursidehotel.co.uk/", ""),
    "wix_guesthouse.html": ("https://www.casalimon.es", ""),
    "chain_synxis.html": ("https://www.halcyonhotels.com/vienna-ringstrasse/", "AT"),
    "booking_engine_mews.html": ("https://www.kampaloft.cz/en/book", ""),
    "french_independent.html": ("https://www.hotel-des-remparts.fr/", ""),
    "german_independent.html": ("https://www.landhotel-alpenblick.de/", ""),
    "broken_truncated.html": ("https://www.driftwoodlodgeoregon.com", "US"),
}


def analyze(name: str, **options) -> dict:
    url, country_hint = PAGES[name]
    options = {"country_hint": country_hint, "now": lambda: NOW, **options}
    return analyze_website((SITES / name).read_text(encoding="utf-8"), url=url, **options)


@pytest.fixture(scope="module")
def analyses() -> dict[str, dict]:
    return {name: analyze(name) for name in PAGES}


def evidence(analysis: dict) -> dict[str, str]:
    return {(s["name"], s["category"]): s["evidence"] for s in analysis["technology"]["signatures"]}


# --- the document ---------------------------------------------------------------------------


def test_the_document_has_a_schema_version_and_survives_a_json_field(analyses):
    analysis = analyses["wordpress_boutique.html"]
    assert analysis["schema_version"] == SCHEMA_VERSION == 1
    assert analysis["url"] == "https://www.harboursidehotel.co.uk/"
    assert analysis["analyzed_at"] == "2026-03-12T09:30:00+00:00"
    assert analysis["errors"] == []
    assert list(analysis) == [
        "schema_version", "url", "contact", "technology", "content", "design", "seo", "errors", "analyzed_at",
    ]  # fmt: skip
    assert json.loads(json.dumps(analysis)) == analysis


def test_every_page_has_the_same_keys_whatever_it_holds(analyses):
    """Templates and composition read parts blindly: a broken page answers the same shape."""
    broken = [analyze_website(body, url="https://example.com", now=lambda: NOW) for body in ("", b"\x1f\x8b\x00")]
    shapes = {
        json.dumps({part: sorted(analysis[part]) for part in ("contact", "technology", "content", "design", "seo")})
        for analysis in [*analyses.values(), *broken]
    }
    assert len(shapes) == 1


# --- a WordPress boutique hotel -------------------------------------------------------------


def test_wordpress_contact(analyses):
    contact = analyses["wordpress_boutique.html"]["contact"]
    assert contact["phone_region"] == "GB"  # from .co.uk
    assert contact["phones"] == ["+441326312440"]  # the tel: link and "01326 312 440" are one number
    assert contact["fax"] == []
    assert contact["address"] == "The Harbourside Hotel, 12 Quay Street, Falmouth, Cornwall TR11 3HH"
    assert contact["address_source"] == "address_element"
    assert contact["social"] == {
        "facebook": "https://www.facebook.com/harboursidefalmouth",
        "instagram": "https://www.instagram.com/harboursidefalmouth/",
        "tripadvisor": "https://www.tripadvisor.co.uk/Hotel_Review-g186222-d1234567-Reviews-"
        "The_Harbourside_Hotel-Falmouth_Cornwall_England.html",
    }  # the "share on X" and facebook sharer links name no profile
    # "events [at] harboursidehotel [dot] co [dot] uk" deobfuscated; "company no. 08123456" is no phone
    assert contact["emails"] == ["stay@harboursidehotel.co.uk", "events@harboursidehotel.co.uk"]


def test_wordpress_technology(analyses):
    analysis = analyses["wordpress_boutique.html"]
    technology = analysis["technology"]
    assert technology["cms"] == ["WordPress"]
    assert technology["site_tools"] == ["Yoast SEO"]
    assert technology["booking_engine"] == ["SiteMinder"]
    assert technology["chat"] == ["Tidio"]
    assert technology["analytics"] == ["Google Tag Manager"]
    assert technology["pms_hints"] == []
    assert technology["gaps"] == []
    assert evidence(analysis) == {
        ("WordPress", "cms"): '<meta name="generator" content="WordPress 6.5.3">',
        ("Yoast SEO", "site_tools"): '<script class="yoast-schema-graph">',
        ("SiteMinder", "booking_engine"): '<a href="https://book-directonline.com/properties/'
        'harboursidefalmouthdirect?locale=en&items[0][adults]=2">',
        ("Tidio", "chat"): '<script src="//code.tidio.co/hx3lq8bwhf1bqkjpz5o0k7fbd2vnxjyw.js">',
        ("Google Tag Manager", "analytics"): '<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-K7H2QXN">',
    }


def test_wordpress_content(analyses):
    content = analyses["wordpress_boutique.html"]["content"]
    assert content["value_propositions"][:2] == [
        "A boutique hotel on Falmouth’s working harbour",
        "Fourteen sea-view bedrooms, Cornish seafood and a rooftop bar — two minutes from the Maritime Museum.",
    ]
    assert all(len(line) <= 160 for line in content["value_propositions"])
    assert content["languages"] == ["en"] and content["language_source"] == "markup"
    assert content["amenities"] == ["restaurant", "bar", "parking", "wifi", "pet_friendly", "ev_charging", "breakfast"]
    assert (content["room_count"], content["room_count_evidence"]) == (14, "14 individually designed bedrooms")
    assert content["ai_summary"] is None


def test_wordpress_design_and_seo(analyses):
    design, seo = analyses["wordpress_boutique.html"]["design"], analyses["wordpress_boutique.html"]["seo"]
    assert design["mobile_viewport"] is True
    assert design["page_weight_bytes"] == len((SITES / "wordpress_boutique.html").read_bytes())
    # the GTM <noscript> iframe is no image; alt="" is a decorative image, correctly marked
    assert (design["image_count"], design["images_missing_alt"], design["alt_coverage"]) == (5, 1, 0.8)
    assert (design["form_fields"], design["form_fields_unlabelled"]) == (3, 1)  # adults: no label
    assert design["headings"] == {"h1": 1, "h2": 1, "h3": 2}
    assert design["issues"] == ["images_missing_alt", "unlabelled_form_fields"]
    assert seo["title"] == "The Harbourside Hotel | Boutique Hotel in Falmouth, Cornwall"
    assert seo["title_length"] == 60
    assert seo["meta_description"].startswith("A 14-bedroom boutique hotel on Falmouth harbour")
    assert seo["meta_description_length"] == 143
    assert seo["h1"] == ["A boutique hotel on Falmouth’s working harbour"]
    assert seo["canonical"] == "https://www.harboursidehotel.co.uk/"
    assert seo["structured_data_types"] == ["WebPage", "WebSite", "Organization"]  # Yoast's @graph
    assert seo["open_graph"]["og:type"] == "website" and len(seo["open_graph"]) == 7
    assert seo["issues"] == []


# --- a Wix guesthouse -------------------------------------------------------------------------


def test_wix_guesthouse(analyses):
    analysis = analyses["wix_guesthouse.html"]
    contact, technology = analysis["contact"], analysis["technology"]
    content, design, seo = analysis["content"], analysis["design"], analysis["seo"]
    assert contact["phones"] == ["+34952521134"]  # "Teléfono: 952 52 11 34" read as Spanish (.es)
    assert contact["emails"] == ["reservas@casalimon.es"]
    assert contact["address"] == ""  # a plain paragraph is not an address we can vouch for
    assert contact["social"] == {
        "facebook": "https://www.facebook.com/casalimonnerja",
        "instagram": "https://www.instagram.com/casalimon.nerja",
    }
    assert technology["cms"] == ["Wix"]
    assert evidence(analysis) == {("Wix", "cms"): '<meta name="generator" content="Wix.com Website Builder">'}
    assert technology["gaps"] == ["no_booking_engine", "no_chat", "no_analytics"]
    assert content["value_propositions"][0] == "Tu casa blanca entre el mar y la montaña"  # no h1: the first h2
    assert content["languages"] == ["es"]
    assert content["amenities"] == ["pool", "parking", "wifi", "pet_friendly", "breakfast", "air_conditioning"]
    assert content["room_count"] == 8
    assert design["mobile_viewport"] is False and design["viewport"] == "width=980, user-scalable=yes"
    assert (design["image_count"], design["images_missing_alt"], design["alt_coverage"]) == (6, 5, 0.17)
    assert design["inline_style_count"] == 19
    assert (design["form_fields"], design["form_fields_unlabelled"]) == (3, 3)  # placeholders are no labels
    assert design["issues"] == ["no_mobile_viewport", "images_missing_alt", "unlabelled_form_fields", "no_h1"]
    assert seo["title"] == "Casa Limón | Casa rural en Nerja"
    assert (seo["meta_description"], seo["h1_count"], seo["structured_data_types"]) == ("", 0, [])
    assert seo["issues"] == ["missing_meta_description", "no_h1", "no_structured_data"]


# --- a chain property on SynXis -------------------------------------------------------------


def test_chain_contact_comes_from_json_ld_and_keeps_fax_apart(analyses):
    contact = analyses["chain_synxis.html"]["contact"]
    assert contact["phone_region"] == "AT"  # the hint: halcyonhotels.com says no country
    assert contact["phones"] == ["+431534560"]
    assert contact["fax"] == ["+431534569"]  # JSON-LD faxNumber and the "Fax" line
    assert contact["address"] == "Kärntner Ring 9, 1010 Vienna, AT"
    assert contact["address_parts"] == {
        "street": "Kärntner Ring 9", "postal_code": "1010", "locality": "Vienna", "region": "", "country": "AT",
    }  # fmt: skip
    assert contact["address_source"] == "json-ld"
    assert contact["social"] == {
        "facebook": "https://www.facebook.com/HalcyonVienna",
        "instagram": "https://www.instagram.com/halcyonvienna/",
        "linkedin": "https://www.linkedin.com/company/halcyon-hotels-resorts/",
        "youtube": "https://www.youtube.com/@HalcyonHotels",
    }
    assert contact["emails"] == ["reservations.vienna@halcyonhotels.com"]


def test_chain_technology(analyses):
    analysis = analyses["chain_synxis.html"]
    technology = analysis["technology"]
    assert technology["cms"] == []
    assert technology["booking_engine"] == ["SynXis (Sabre)"]
    assert technology["chat"] == ["HiJiffy"]
    assert technology["analytics"] == ["Google Analytics", "Meta Pixel"]
    assert technology["site_tools"] == ["OneTrust"]
    assert technology["gaps"] == []
    found = evidence(analysis)
    # the Book now button, not the <link rel=preconnect> that comes first in the page
    assert found["SynXis (Sabre)", "booking_engine"].startswith(
        '<a href="https://be.synxis.com/?chain=28391&hotel=71542'
    )
    assert found["Google Analytics", "analytics"] == (
        '<script src="https://www.googletagmanager.com/gtag/js?id=G-8XK2LM4QZP">'
    )
    assert found["Meta Pixel", "analytics"].startswith('<img src="https://www.facebook.com/tr?id=912345678901234')


def test_chain_content_design_and_seo(analyses):
    analysis = analyses["chain_synxis.html"]
    content, design, seo = analysis["content"], analysis["design"], analysis["seo"]
    assert content["value_propositions"] == [
        "Halcyon Vienna Ringstrasse",
        "Imperial grandeur, quietly modern — opposite the Vienna State Opera.",
        "Behind an 1865 Ringstrasse façade, 212 rooms and suites pair Viennese parquet with deep baths and "
        "blackout calm.",
    ]
    assert content["languages"] == ["en", "de", "fr", "it", "zh"]  # html lang, then hreflang; x-default is none
    assert (content["room_count"], content["room_count_evidence"]) == (212, "schema.org numberOfRooms: 212")
    # amenityFeature counts unless its value is false (no airport shuttle)
    assert content["amenities"] == [
        "spa", "pool", "gym", "restaurant", "bar", "parking", "meeting_rooms", "sauna", "breakfast",
    ]  # fmt: skip
    assert design["heading_skips"] == ["h2→h4"]
    assert (design["form_fields"], design["form_fields_unlabelled"]) == (4, 1)  # the promo code
    assert design["issues"] == ["images_missing_alt", "unlabelled_form_fields", "heading_levels_skipped"]
    assert seo["structured_data_types"] == ["Hotel", "Organization", "BreadcrumbList"]  # a trailing comma forgiven
    assert seo["structured_data_invalid"] == 1  # an unrendered template variable
    assert seo["hreflang_count"] == 6
    assert (seo["title_length"], seo["meta_description_length"]) == (87, 184)
    assert seo["robots"] == "index, follow, max-image-preview:large" and seo["noindex"] is False
    assert seo["issues"] == ["title_too_long", "meta_description_too_long", "invalid_structured_data"]


# --- a booking page on the Mews booking engine ----------------------------------------------


def test_mews_booking_page(analyses):
    analysis = analyses["booking_engine_mews.html"]
    contact, technology, content = analysis["contact"], analysis["technology"], analysis["content"]
    assert contact["phones"] == ["+420257123456"]  # the WhatsApp number is a chat link, not a phone
    assert contact["emails"] == ["hello@kampaloft.cz"]  # decoded from Cloudflare's email protection
    assert contact["address"] == "U Sovových mlýnů 501/7, 118 00 Praha 1, CZ"
    assert contact["address_source"] == "microdata"
    assert contact["social"] == {
        "instagram": "https://www.instagram.com/kampaloft/",
        "tiktok": "https://www.tiktok.com/@kampaloft",
    }
    assert technology["cms"] == ["Webflow"]
    assert technology["booking_engine"] == ["Mews Booking Engine"]
    assert technology["pms_hints"] == ["Mews"]
    assert technology["chat"] == ["WhatsApp click-to-chat"]
    assert technology["analytics"] == ["Matomo"]
    assert technology["gaps"] == []
    pms_evidence = [s["evidence"] for s in technology["signatures"] if s["category"] == "pms_hints"]
    assert pms_evidence == [
        'Mews Booking Engine: <script src="https://api.mews.com/distributor/distributor.min.js">',
        '<a href="https://app.mews.com/navigator/3f2a9c1e-7b6d-4e5f-8a9b-0c1d2e3f4a5b">',
    ]
    assert evidence(analysis)["Matomo", "analytics"].startswith("<script>…")
    assert content["languages"] == ["en", "cs", "de"]
    assert content["amenities"] == ["bar", "wifi", "breakfast", "airport_shuttle"]
    assert content["room_count"] == 32
    assert analysis["design"]["issues"] == [] and analysis["design"]["alt_coverage"] == 1.0
    assert analysis["seo"]["structured_data_types"] == ["Hotel"]  # microdata counts too


# --- French and German independents ---------------------------------------------------------


def test_french_independent(analyses):
    analysis = analyses["french_independent.html"]
    contact, technology, content = analysis["contact"], analysis["technology"], analysis["content"]
    assert contact["phones"] == ["+33468712772"]  # "Tél. : 04 68 71 27 72"
    assert contact["fax"] == ["+33468712773"]
    # the SIRET and VAT numbers in the legal line are not phones
    assert contact["address"] == "Hôtel des Remparts, 3 place du Grand Puits, 11000 Carcassonne, France"
    assert contact["emails"] == ["contact@hotel-des-remparts.fr"]
    assert contact["social"] == {
        "facebook": "https://fr-fr.facebook.com/HoteldesRempartsCarcassonne",
        "tripadvisor": "https://www.tripadvisor.fr/Hotel_Review-g187150-d234567-Reviews-Hotel_des_Remparts-"
        "Carcassonne_Aude_Occitanie.html",
    }
    assert (technology["cms"], technology["booking_engine"], technology["analytics"]) == (
        ["Joomla"], ["D-Edge"], ["Google Analytics"],
    )  # fmt: skip
    assert technology["gaps"] == ["no_chat"]
    assert content["value_propositions"] == [
        "Bienvenue à l'Hôtel des Remparts",
        "Au pied des remparts de la Cité médiévale, notre hôtel familial vous accueille dans l'une de ses "
        "41 chambres climatisées, rénovées en 2023.",
    ]
    assert content["languages"] == ["fr"]
    assert content["amenities"] == [
        "pool", "parking", "wifi", "pet_friendly", "meeting_rooms", "ev_charging", "breakfast", "air_conditioning",
    ]  # fmt: skip
    assert (content["room_count"], content["room_count_evidence"]) == (41, "41 chambres")
    assert (analysis["design"]["image_count"], analysis["design"]["images_missing_alt"]) == (3, 2)
    assert analysis["seo"]["issues"] == ["no_canonical", "no_open_graph", "no_structured_data"]


def test_german_independent(analyses):
    analysis = analyses["german_independent.html"]
    contact, technology, content = analysis["contact"], analysis["technology"], analysis["content"]
    # tel: link, JSON-LD "+49 8821 73040", "+49 (0) 8821 7304-0" and "08821 7304-0": one number;
    # neither "HRB 123456" nor "USt-IdNr. DE 812345678" is a phone
    assert contact["phones"] == ["+49882173040"]
    assert contact["fax"] == ["+498821730499"]
    assert contact["address"] == "Zugspitzstraße 42, 82467 Garmisch-Partenkirchen"
    assert contact["address_source"] == "microformat"
    assert contact["emails"] == ["info@landhotel-alpenblick.de"]  # the mailto's ?subject= dropped
    assert sorted(contact["social"]) == ["facebook", "instagram", "youtube"]
    assert technology["cms"] == ["TYPO3"]
    assert technology["booking_engine"] == ["DIRS21"]
    assert technology["pms_hints"] == ["Protel"]
    assert technology["analytics"] == ["Hotjar"]  # behind the consent banner, but installed
    assert technology["site_tools"] == ["Usercentrics"]
    assert technology["gaps"] == ["no_chat"]
    assert evidence(analysis)["Protel", "pms_hints"] == '<a href="https://checkin.protel.io/alpenblick-gap">'
    assert content["languages"] == ["de", "en"]
    assert content["amenities"] == [
        "spa", "pool", "restaurant", "parking", "wifi", "pet_friendly", "meeting_rooms", "ev_charging", "sauna",
        "breakfast",
    ]  # fmt: skip
    assert content["room_count"] == 28  # JSON-LD "28" wins over the text's "28 Zimmer"
    assert analysis["seo"]["issues"] == ["title_too_long"]


# --- broken pages ---------------------------------------------------------------------------


def test_a_truncated_page_keeps_what_it_shows_and_claims_no_absence(analyses):
    analysis = analyses["broken_truncated.html"]
    assert analysis["errors"] == ["truncated HTML: the page ends without </body> or </html> after 2089 characters"]
    assert analysis["technology"]["cms"] == ["Squarespace"]
    assert analysis["technology"]["booking_engine"] == ["Cloudbeds"]
    assert analysis["technology"]["pms_hints"] == ["Cloudbeds"]
    assert analysis["contact"]["phones"] == ["+15415550142"]
    assert analysis["contact"]["emails"] == ["hello@driftwoodlodgeoregon.com"]
    assert analysis["content"]["amenities"] == ["pet_friendly"]
    # no chat and no meta description seen, but the rest of the page may have them
    assert analysis["technology"]["chat"] == [] and analysis["technology"]["gaps"] == []
    assert analysis["seo"]["meta_description"] == "" and analysis["seo"]["issues"] == []


@pytest.mark.parametrize(
    "body, error",
    [
        ("", "empty page"),
        ("   \n\t ", "empty page"),
        ((SITES / "broken_double_gzip.bin").read_bytes(), "not HTML: binary content"),
        ((SITES / "broken_double_gzip.bin").read_bytes().decode("latin-1"), "not HTML: binary content"),
        ("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x01", "not HTML: binary content"),
        ("Service Temporarily Unavailable", "not HTML: no markup"),
        ('{"error": "not found", "status": 404}', "not HTML: no markup"),
    ],
    ids=["empty", "blank", "double-gzip-bytes", "double-gzip-text", "pdf", "plain-text", "json"],
)
def test_an_unreadable_page_gives_empty_parts_and_says_why(body, error):
    analysis = analyze_website(body, url="https://www.example.co.uk/", now=lambda: NOW)
    assert len(analysis["errors"]) == 1 and analysis["errors"][0].startswith(error)
    assert analysis["contact"]["phones"] == [] and analysis["contact"]["social"] == {}
    assert analysis["technology"]["signatures"] == [] and analysis["technology"]["gaps"] == []
    assert analysis["content"]["amenities"] == [] and analysis["content"]["languages"] == []
    assert analysis["design"]["issues"] == [] and analysis["design"]["image_count"] == 0
    assert analysis["seo"]["title"] == "" and analysis["seo"]["issues"] == []


# --- the signature table --------------------------------------------------------------------


def test_the_signature_table_covers_the_hotel_stack():
    assert len(SIGNATURES) >= 25
    names = [signature.name for signature in SIGNATURES]
    assert len(names) == len(set(names))
    for signature in SIGNATURES:
        assert signature.category in CATEGORIES, signature
        patterns = [signature.script, signature.url, signature.meta, signature.inline, signature.attr]
        assert any(patterns), signature
        for pattern in filter(None, patterns):
            re.compile(pattern)
    by_category = {category: {s.name for s in SIGNATURES if s.category == category} for category in CATEGORIES}
    assert {"WordPress", "Wix", "Squarespace", "Drupal", "Joomla", "Webflow", "Shopify"} <= by_category["cms"]
    assert {
        "SynXis (Sabre)", "SiteMinder", "Cloudbeds", "Mews Booking Engine", "D-Edge", "Bookassist", "Profitroom",
        "TravelClick iHotelier", "Triptease", "Avvio", "Simple Booking", "Little Hotelier", "eviivo", "WebHotelier",
    } <= by_category["booking_engine"]  # fmt: skip
    assert {
        "Intercom", "Zendesk Chat", "Tidio", "LiveChat", "Drift", "HubSpot Chat", "WhatsApp click-to-chat",
        "Asksuite", "HiJiffy",
    } <= by_category["chat"]  # fmt: skip
    assert {"Oracle Hospitality OPERA", "Mews", "Protel", "Apaleo"} <= by_category["pms_hints"]
    assert {"Google Analytics", "Google Tag Manager", "Meta Pixel", "Hotjar", "Matomo"} <= by_category["analytics"]
    pms_from_suites = {s.pms for s in SIGNATURES if s.pms}
    assert {"Cloudbeds", "Mews"} <= pms_from_suites


@pytest.mark.parametrize(
    "html, name",
    [
        ('<script src="https://widget.intercom.io/widget/abc123"></script>', "Intercom"),
        ('<script id="ze-snippet" src="https://static.zdassets.com/ekr/snippet.js?key=k"></script>', "Zendesk Chat"),
        ("<script>window.__lc = window.__lc || {}; window.__lc.license = 12345678;</script>", "LiveChat"),
        ('<script src="https://js.driftt.com/include/1700000000/abc.js"></script>', "Drift"),
        ('<script src="https://cdn.asksuite.com/infochat.js?dataConfig=hotel"></script>', "Asksuite"),
        ('<a href="https://api.whatsapp.com/send?phone=34600123456">WhatsApp</a>', "WhatsApp click-to-chat"),
        ('<a href="https://www.bookassist.org/engine/book.html?hotel_id=1234">Book</a>', "Bookassist"),
        ('<iframe src="https://booking.profitroom.com/en/hotelxyz/home"></iframe>', "Profitroom"),
        (
            '<a href="https://bookings.ihotelier.com/Hotel-Name/bookings.jsp?hotelID=1">Book</a>',
            "TravelClick iHotelier",
        ),
        ('<script src="https://static.triptease.io/paperboy/hotel.js"></script>', "Triptease"),
        ('<a href="https://secure.avvio.com/convert/site/Hotel/en/results.php">Book</a>', "Avvio"),
        ('<a href="https://www.simplebooking.it/ibe/hotelbooking/search?hid=1234">Prenota</a>', "Simple Booking"),
        ('<a href="https://app.littlehotelier.com/properties/seasidedirect">Book</a>', "Little Hotelier"),
        ('<a href="https://via.eviivo.com/en-GB/TheOldRectory">Book</a>', "eviivo"),
        ('<a href="https://hotelxyz.reserve-online.net/">Κράτηση</a>', "WebHotelier"),
        ('<meta name="generator" content="Drupal 10 (https://www.drupal.org)">', "Drupal"),
        ('<link rel="stylesheet" href="https://cdn.shopify.com/s/files/1/theme.css">', "Shopify"),
        ('<script src="https://js.hs-scripts.com/1234567.js"></script>', "HubSpot"),
        ('<a href="https://apaleo.com/ibe/ABC">Book</a>', "Apaleo"),
    ],
)
def test_signatures_on_snippets(html, name):
    technology = analyze_technology(LexborHTMLParser(html))
    assert name in [signature["name"] for signature in technology["signatures"]]


# --- contact details, piece by piece ------------------------------------------------------------


def test_the_phone_region_comes_from_the_country_hint_then_the_tld():
    assert phone_region("https://www.hotel.fr/", "DE") == "DE"  # the prospect's country wins
    assert phone_region("https://www.hotel.co.uk/") == "GB"
    assert phone_region("hotel-des-remparts.fr") == "FR"
    assert phone_region("https://www.hotel.com/", "uk") == "GB"
    assert phone_region("https://www.hotel.com/") == ""
    assert phone_region("https://hotel.io/") == ""  # a ccTLD nobody reads as a country


def test_without_a_region_only_international_numbers_count():
    html = (SITES / "french_independent.html").read_text(encoding="utf-8")
    analysis = analyze_website(html, url="https://www.hotel-des-remparts.com/", now=lambda: NOW)
    assert analysis["contact"]["phone_region"] == ""
    assert analysis["contact"]["phones"] == [] and analysis["contact"]["fax"] == []


def test_phone_labels_decide_phone_or_fax_and_legal_numbers_are_left_out():
    tree = LexborHTMLParser(
        "<ul><li>030 1234567</li><li>030 7654321</li></ul>"  # two numbers in two items stay two
        "<p>Telefax: 030 1234568 · Telefon: 030 1234569</p>"
        "<p>Fairfax office 030 1234570</p>"  # a word ending in "fax" is no fax label
        "<p>Amtsgericht Charlottenburg HRB 1234567 · IBAN DE89 3704 0044 0532 0130 00</p>"
    )
    contact = analyze_contact(tree, region="DE")
    assert contact["phones"] == ["+49301234567", "+49307654321", "+49301234569", "+49301234570"]
    assert contact["fax"] == ["+49301234568"]


def test_emails_are_deobfuscated_and_asset_names_are_not_emails():
    tree = LexborHTMLParser(
        "<p>info (at) hotel-sonne (punkt) at · Buchung{at}hotel-sonne.at</p>"
        '<img src="/logo@2x.png"><p>logo@2x.png</p>'
        '<a href="mailto:Info@Hotel-Sonne.at,events@hotel-sonne.at?subject=Hallo">Mail</a>'
    )
    assert analyze_contact(tree)["emails"] == [
        "info@hotel-sonne.at", "events@hotel-sonne.at", "buchung@hotel-sonne.at",
    ]  # fmt: skip


# --- the AI deepener ----------------------------------------------------------------------------

GROK_BODY = json.loads((FIXTURES / "grok" / "chat_completion.json").read_text())


def grok_answering(answer: dict):
    requests = []
    body = copy.deepcopy(GROK_BODY)
    body["choices"][0]["message"]["content"] = json.dumps(answer)

    def handler(request):
        requests.append(request)
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler), requests


@pytest.mark.django_db
def test_without_keys_the_deepener_falls_back_to_the_rules_and_touches_no_network(settings):
    settings.GROK_API_KEY = ""
    settings.ANTHROPIC_API_KEY = ""

    def no_network(request):
        raise AssertionError("no network without keys")

    with override_transport(httpx.MockTransport(no_network)):
        analysis = analyze("chain_synxis.html", deepen=True)
    assert analysis["content"]["ai_summary"] == {
        "positioning": "Halcyon Vienna Ringstrasse",
        "selling_points": [
            "Imperial grandeur, quietly modern — opposite the Vienna State Opera.",
            "Behind an 1865 Ringstrasse façade, 212 rooms and suites pair Viennese parquet with deep baths and "
            "blackout calm.",
            "spa",
        ],
        "audience": ["business", "wellness", "groups_and_events"],
        "provider": "fallback",
    }
    event = Event.objects.get(name="ai.call")
    assert event.data["purpose"] == "website_content_summary" and event.data["provider"] == "fallback"
    # everything else is what the page says without the deepener
    plain = analyze("chain_synxis.html")
    assert {**analysis, "content": {**analysis["content"], "ai_summary": None}} == plain


@pytest.mark.django_db
def test_the_ai_summary_reads_the_page_text_as_fenced_data(settings):
    settings.GROK_API_KEY = "xai-test-key"
    settings.ANTHROPIC_API_KEY = ""
    answer = {
        "positioning": "A 14-room boutique hotel on Falmouth's harbour with its own seafood restaurant.",
        "selling_points": ["Sea-view bedrooms", "Seafood restaurant and rooftop bar", "Dogs welcome"],
        "audience": ["couples", "leisure"],
    }
    transport, requests = grok_answering(answer)
    with override_transport(transport):
        analysis = analyze("wordpress_boutique.html", deepen=True)
    assert analysis["content"]["ai_summary"] == {**answer, "provider": "grok"}
    body = json.loads(requests[0].content)
    assert set(body["response_format"]["json_schema"]["schema"]["properties"]) == set(WebsiteSummary.model_fields)
    instructions, page_text = body["messages"][1]["content"].split('<data name="page_text">')
    assert "Falmouth" not in instructions
    assert "A boutique hotel on Falmouth’s working harbour" in page_text
    assert "GTM-K7H2QXN" not in page_text  # visible text only: no scripts
    assert Event.objects.get(name="ai.call").data["provider"] == "grok"


@pytest.mark.django_db
def test_an_answer_outside_the_schema_falls_back(settings):
    settings.GROK_API_KEY = "xai-test-key"
    settings.ANTHROPIC_API_KEY = ""
    transport, _ = grok_answering(
        {"positioning": "Best hotel", "selling_points": ["a", "b", "c", "d"], "audience": ["everyone"]}
    )
    with override_transport(transport):
        summary = analyze("german_independent.html", deepen=True)["content"]["ai_summary"]
    assert summary["provider"] == "fallback"
    assert summary["positioning"] == "Willkommen im Landhotel Alpenblick"


@pytest.mark.django_db
def test_an_unreadable_page_is_not_sent_to_the_ai(settings):
    settings.GROK_API_KEY = "xai-test-key"
    analysis = analyze_website(b"\x1f\x8b\x08\x00" * 50, url="https://example.com", deepen=True, now=lambda: NOW)
    assert analysis["content"]["ai_summary"] is None
    assert not Event.objects.filter(name="ai.call").exists()


def test_a_latin1_page_read_as_utf8_is_still_a_page():
    html = (SITES / "french_independent.html").read_text(encoding="utf-8").encode("latin-1", errors="replace")
    analysis = analyze_website(html, url="https://www.hotel-des-remparts.fr/", now=lambda: NOW)
    assert analysis["errors"] == []
    assert analysis["contact"]["phones"] == ["+33468712772"]


# --- content, piece by piece --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, rooms",
    [
        ("Our 120 rooms and 12 suites", 120),
        ("Unsere 41 gemütlichen Zimmer", 41),
        ("Das Haus hat 41 Zimmern", 41),
        ("41 chambres et suites", 41),
        ("Disponemos de 41 habitaciones", 41),
        ("Le nostre 41 camere", 41),
        ("A family suite sleeps four in 2 bedrooms; the hotel has 64 guest rooms", 64),
        ("1,200 rooms across our resorts", None),  # a group's inventory, not a hotel's
        ("Ten minutes from the station", None),
    ],
)
def test_room_count_in_several_languages(text, rooms):
    assert analyze_content(LexborHTMLParser(f"<p>{text}</p>"))["room_count"] == rooms


def test_without_a_lang_attribute_the_language_is_guessed_from_stopwords():
    html = (
        "<p>Willkommen im Hotel Seeblick. Unsere Zimmer sind hell und ruhig, und wir freuen uns auf Sie. "
        "Das Frühstück ist im Preis inbegriffen, die Sauna ist für alle Gäste geöffnet.</p>"
    )
    content = analyze_content(LexborHTMLParser(html))
    assert (content["languages"], content["language_source"]) == (["de"], "stopwords")
    assert analyze_content(LexborHTMLParser("<p>Hotel Seeblick</p>"))["languages"] == []  # too little to tell
