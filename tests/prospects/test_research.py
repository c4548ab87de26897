"""Research: pains from reviews, competitor tools, news and competitors, the AI summary, the sandbox.

The recorded Grok answer follows https://docs.x.ai/docs/api-reference#chat-completions.
"""

import json
from pathlib import Path

import httpx
import pytest

from infra.http import override_transport
from infra.models import Event
from infra.providers.grok import GrokClient
from prospects.providers.sandbox.research import SandboxResearchSearch
from prospects.providers.search_base import SearchResult
from prospects.research import (
    ResearchFindings,
    competitor_tools_from_text,
    fallback_summary,
    pain_signals_from_snippets,
    research_prospect,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "research"


def keys(snippets):
    return [p["key"] for p in pain_signals_from_snippets([(text, "https://r.example/1") for text in snippets])]


# --- pain signals -------------------------------------------------------------------------


def test_english_pains_are_found_once_per_key_with_a_short_quote_and_its_source():
    text = (
        "We waited 45 minutes at reception to check in. The Wi-Fi kept dropping all evening. "
        "Breakfast was cold. " + "Honestly the worst wifi ever, " * 10
    )
    pains = pain_signals_from_snippets([(text, "https://www.tripadvisor.example/r1"), ("Slow wifi.", "https://x")])

    assert [p["key"] for p in pains] == ["slow_checkin", "wifi", "breakfast"]
    assert pains[0]["label"] == "Slow check-in / queues at reception"
    assert pains[0]["evidence"] == "We waited 45 minutes at reception to check in."
    assert pains[1]["source_url"] == "https://www.tripadvisor.example/r1"
    assert all(len(p["evidence"]) <= 160 for p in pains)


@pytest.mark.parametrize(
    "text",
    [
        "Check-in was quick and the staff were lovely.",
        "No problems with the wifi, great location.",
        "The room was not dirty at all, and there was no noise.",
        "Breakfast wasn't bad, parking was not a problem.",
        "Keine Probleme mit dem WLAN, das Zimmer war nicht schmutzig.",
        "Aucun problème avec le wifi, pas de bruit.",
        "Ningún problema con el wifi, sin ruido.",
        "Nessun problema con il wifi, personale gentile.",
        "Great value for money, no hidden fees.",
    ],
)
def test_negated_or_positive_remarks_do_not_flag(text):
    assert keys([text]) == []


def test_german_and_french_reviews_flag_their_pains():
    assert keys(["Das WLAN funktionierte nicht und das Personal war unfreundlich."]) == ["wifi", "unfriendly_staff"]
    assert keys(["La chambre était sale. Des frais cachés sur la facture !"]) == ["dirty_rooms", "hidden_fees"]
    assert keys(["Hotel rumoroso di notte, pareti sottili."]) == ["noise"]
    assert keys(["El aire acondicionado no funcionaba y hubo un error con la reserva."]) == [
        "booking_errors",
        "ac_heating",
    ]


def test_a_but_clause_keeps_the_praise_and_flags_the_complaint():
    assert keys(["Check-in was quick but the room was dirty and outdated."]) == ["dirty_rooms", "outdated_rooms"]
    assert keys(["Emails went unanswered for a week; the hotel was overbooked."]) == [
        "slow_replies",
        "booking_errors",
    ]


# --- competitor tools ---------------------------------------------------------------------


def test_competitor_tools_are_named_canonically_in_order_of_mention():
    text = "Book via SynXis; our PMS is Oracle OPERA Cloud, reviews by TrustYou, upsells with oaky. SynXis again."
    assert competitor_tools_from_text(text) == ["SynXis", "Oracle OPERA", "TrustYou", "Oaky"]
    assert competitor_tools_from_text("Powered by Cloudbeds and SiteMinder, Little Hotelier, apaleo") == [
        "Cloudbeds",
        "SiteMinder",
        "Little Hotelier",
        "Apaleo",
    ]


def test_ordinary_words_are_not_tools():
    assert competitor_tools_from_text("A night at the opera near the mews, great ideas, canary islands") == []


# --- research_prospect with a scripted search ---------------------------------------------

ANSWERS = {
    "Hotel Adler München news": [
        SearchResult(
            "Hotel Adler completes spa renovation",
            "https://news.example/adler-spa",
            "Published March 2026: the spa reopened after a renovation.",
        ),
        SearchResult("Hotel Adler München – Booking", "https://www.booking.com/hotel/de/adler.html", "Book now"),
    ],
    "Hotel Adler München reviews": [
        SearchResult(
            "Hotel Adler - Tripadvisor",
            "https://www.tripadvisor.de/Hotel_Review-adler.html",
            "Beim Check-in mussten wir ewig an der Rezeption warten. Das Frühstück war super.",
        ),
        SearchResult(
            "Hotel Adler reviews | Google",
            "https://www.google.com/travel/hotels/adler/reviews",
            "No problems with the wifi. The room was noisy at night.",
        ),
        SearchResult("Hotel Adler (@adlermuc) • Instagram", "https://www.instagram.com/adlermuc/", "5k followers"),
    ],
    "hotels near Hotel Adler München": [
        SearchResult("10 best hotels near Hotel Adler", "https://www.expedia.com/adler-hotels", "Compare deals"),
        SearchResult("Hotel Adler München | Official site", "https://www.hotel-adler.de/", "Welcome"),
        SearchResult("The Adler Hotel", "https://www.adler-muenchen.de/", "Same hotel, other domain"),
        SearchResult("Parkhotel Schwabing | Home", "https://www.parkhotel-schwabing.de/", "4-star, 1 km away"),
        SearchResult("Gasthof zur Post – München", "https://www.gasthof-post.de/", "Family-run"),
        SearchResult("Hotel Sonne - Booking.com", "https://www.booking.com/hotel/de/sonne.html", "Deals"),
        SearchResult("Hotels in München - Tripadvisor", "https://www.tripadvisor.de/Hotels-g187309", "Best"),
    ],
}


def scripted_search(query):
    scripted_search.queries.append(query)
    return ANSWERS.get(query, [])


def research(**kwargs):
    scripted_search.queries = []
    arguments = {
        "company": "Hotel Adler",
        "city": "München",
        "country": "DE",
        "website": "https://www.hotel-adler.de",
        "website_analysis": {
            "contact": {"social": {"facebook": "https://www.facebook.com/hoteladler"}},
            "technology": {"booking_engine": ["SiteMinder"], "pms_hints": ["Protel"], "cms": ["WordPress"]},
        },
        "search": scripted_search,
        "providers": [],
    }
    return research_prospect(**{**arguments, **kwargs})


@pytest.mark.django_db
def test_research_sorts_results_into_news_pains_competitors_and_social():
    findings = research()

    assert scripted_search.queries == [
        "Hotel Adler München news",
        "Hotel Adler München reviews",
        "hotels near Hotel Adler München",
    ]
    assert isinstance(findings, ResearchFindings)
    assert findings.news == [
        {
            "title": "Hotel Adler completes spa renovation",
            "url": "https://news.example/adler-spa",
            "snippet": "Published March 2026: the spa reopened after a renovation.",
            "date": "March 2026",
        }
    ]
    assert [c["name"] for c in findings.competitors] == ["Parkhotel Schwabing", "Gasthof zur Post"]
    assert findings.competitors[0] == {
        "name": "Parkhotel Schwabing",
        "url": "https://www.parkhotel-schwabing.de/",
        "note": "4-star, 1 km away",
    }
    assert [p["key"] for p in findings.pain_signals] == ["slow_checkin", "noise"]
    assert findings.pain_signals[1]["source_url"] == "https://www.google.com/travel/hotels/adler/reviews"
    assert findings.social_presence == {
        "facebook": "https://www.facebook.com/hoteladler",
        "instagram": "https://www.instagram.com/adlermuc/",
    }
    assert findings.competitor_tools == ["SiteMinder", "Protel"]
    assert "https://news.example/adler-spa" in findings.sources
    assert "https://www.tripadvisor.de/Hotel_Review-adler.html" in findings.sources
    assert "https://www.parkhotel-schwabing.de/" in findings.sources
    assert not any("booking.com" in url or "expedia" in url or "hotel-adler.de" in url for url in findings.sources)
    assert findings.provider == "fallback"


@pytest.mark.django_db
def test_without_providers_the_fallback_summary_is_plain_sentences():
    findings = research()

    assert findings.summary == (
        "Guests mention slow check-in and noise. Recent news: Hotel Adler completes spa renovation (March 2026). "
        "Nearby competitors include Parkhotel Schwabing and Gasthof zur Post."
    )
    assert Event.objects.filter(name="ai.call", data__provider="fallback").exists()


def test_fallback_with_nothing_found_still_reads_as_a_sentence():
    summary = fallback_summary(ResearchFindings())
    assert summary.summary == "Guest reviews show no recurring complaints."
    assert summary.top_pain_keys == []


# --- the AI path --------------------------------------------------------------------------


def grok_answering(content: dict):
    body = json.loads((FIXTURES / "grok_research_summary.json").read_text())
    body["choices"][0]["message"]["content"] = json.dumps(content)
    requests = []

    def handler(request):
        requests.append(json.loads(request.content))
        return httpx.Response(200, json=body)

    with override_transport(httpx.MockTransport(handler)):
        client = GrokClient(api_key="k")
    return client, requests


@pytest.mark.django_db
def test_grok_writes_the_summary_and_cannot_invent_pain_keys():
    body = json.loads((FIXTURES / "grok_research_summary.json").read_text())
    grok, requests = grok_answering(json.loads(body["choices"][0]["message"]["content"]))

    findings = research(providers=[grok])

    assert findings.provider == "grok"
    assert findings.summary.startswith("Guests of Hotel Adler complain about noise")
    # the model ranked noise first and named hidden_fees, which no review mentions
    assert [p["key"] for p in findings.pain_signals] == ["noise", "slow_checkin"]
    assert "hidden_fees" not in json.dumps(findings.pain_signals)
    prompt = requests[0]["messages"][-1]["content"]
    assert '<data name="findings">' in prompt and "Parkhotel Schwabing" in prompt


@pytest.mark.django_db
def test_an_answer_outside_the_schema_falls_back():
    grok, _ = grok_answering({"summary": "x" * 700, "top_pain_keys": []})

    findings = research(providers=[grok])

    assert findings.summary.startswith("Guests mention slow check-in and noise.")
    assert findings.provider == "fallback"


# --- the sandbox ----------------------------------------------------------------------------


def test_sandbox_is_deterministic_per_hotel_and_offline():
    search = SandboxResearchSearch()
    for query in ("Hotel Adler München news", "Hotel Adler München reviews", "hotels near Hotel Adler München"):
        assert search(query) == search(query)
        assert all(r.url.split("/")[2].endswith(".example") and r.source == "sandbox" for r in search(query))
    assert search("something else entirely") == []


@pytest.mark.django_db
def test_sandbox_research_varies_across_hotels_and_is_labelled_sandbox():
    search = SandboxResearchSearch()
    hotels = [
        (f"Hotel {name}", city)
        for name in ("Adler", "Sonne", "Krone", "Royal", "Lindner")
        for city in ("Berlin", "Paris", "Madrid", "Roma", "London", "München")
    ]
    summaries, pain_keys, review_texts = set(), set(), set()
    for company, city in hotels:
        findings = research_prospect(
            company=company, city=city, country="", website="", website_analysis=None, search=search, providers=[]
        )
        assert findings.provider == "sandbox"
        assert 2 <= len(findings.competitors) <= 5
        assert all(company_name_absent(c["name"], company) for c in findings.competitors)
        assert not any("booking" in c["url"] for c in findings.competitors)
        assert len(findings.news) <= 3
        summaries.add(findings.summary)
        pain_keys.update(p["key"] for p in findings.pain_signals)
        review_texts.update(r.snippet for r in search(f"{company} {city} reviews"))
    assert len(summaries) == len(hotels)
    assert len(pain_keys) >= 8
    assert len(review_texts) >= 40


def company_name_absent(name, company):
    return company.lower() not in name.lower()
