"""Links a hotel's web page or a search result supplies never become live script links in the admin.

A hotel page (or a search result) is written by a stranger. Its links are stored in the
prospect's website analysis and research report and shown on the prospect's admin page,
where a salesperson clicks them. Only http(s) links may be extracted, and only http(s)
links may be rendered as ``href`` — whatever the spelling: mixed case, a tab or newline
inside the scheme (browsers drop those), a character reference (``&#106;``) that the
HTML parser decodes, leading spaces or control characters.
"""

import json

import pytest
from selectolax.lexbor import LexborHTMLParser

from prospects.analysis import analyze_website
from prospects.providers.search_base import SearchResult
from prospects.research import research_prospect
from tests.factories import ProspectFactory, ResearchReportFactory

pytestmark = pytest.mark.django_db

SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")


def live_script_hrefs(html: str) -> list[str]:
    """Every href on the page a browser would run as script, read the way a browser reads it."""
    found = []
    for node in LexborHTMLParser(html).css("[href]"):
        href = node.attributes.get("href") or ""  # character references already decoded
        # the URL standard strips leading/trailing C0 controls and spaces and drops tabs and newlines
        seen = "".join(ch for ch in href.strip("".join(map(chr, range(0x21)))) if ch not in "\t\n\r").lower()
        if seen.startswith(SCRIPT_SCHEMES):
            found.append(href)
    return found


def http_only(urls) -> bool:
    return all(str(url).lower().startswith(("http://", "https://")) for url in urls)


HOSTILE_PAGE = """<!doctype html><html lang="en"><head><title>Hotel Hostile</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Hotel", "name": "Hotel Hostile",
 "sameAs": ["javascript://www.facebook.com/%0aalert(document.cookie)", "https://www.instagram.com/hotelhostile/"]}
</script></head><body>
<h1>Hotel Hostile</h1>
<a href="JaVaScRiPt://twitter.com/%0Aalert(1)">Twitter</a>
<a href="java&#9;script://www.linkedin.com/company/%0aalert(1)">LinkedIn</a>
<a href="&#106;avascript://www.youtube.com/%0aalert(1)">YouTube</a>
<a href="  vbscript://www.tiktok.com/%0amsgbox(1)">TikTok</a>
<a href="data://www.tripadvisor.com/Hotel_Review-x,alert(1)">Tripadvisor</a>
<a href="tel:+4930123456">Call us</a>
</body></html>"""


def test_a_hotel_page_with_script_links_yields_http_links_only_and_the_admin_page_has_none(admin_client):
    analysis = analyze_website(HOSTILE_PAGE, url="https://hotel-hostile.example/")
    social = analysis["contact"]["social"]
    assert social.get("instagram") == "https://www.instagram.com/hotelhostile/"  # the real profile is kept
    assert http_only(social.values()), social

    prospect = ProspectFactory(website_analysis=analysis)
    page = admin_client.get(f"/admin/prospects/prospect/{prospect.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="https://www.instagram.com/hotelhostile/"' in html
    assert live_script_hrefs(html) == []


STORED_URLS = [
    "javascript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    " \x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "VbScript:msgbox(1)",
]


@pytest.mark.parametrize("hostile", STORED_URLS)
def test_stored_script_urls_are_never_rendered_as_links_on_the_prospect_page(admin_client, hostile):
    # analyses and reports stored before the fix (or written by any other path) are shown safely too
    prospect = ProspectFactory(
        website_analysis={
            "schema_version": 1,
            "url": hostile,
            "contact": {"social": {"facebook": hostile, "instagram": "https://www.instagram.com/kept/"}},
        }
    )
    ResearchReportFactory(
        prospect=prospect,
        pain_signals=[{"key": "noise", "label": "Noise", "evidence": "thin walls", "source_url": hostile}],
        news=[
            {"title": "Spa reopens", "url": hostile},
            {"title": "New GM", "url": "https://news.example/new-gm"},
        ],
    )
    page = admin_client.get(f"/admin/prospects/prospect/{prospect.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert live_script_hrefs(html) == []
    assert 'href="javascript:' not in html.lower()
    # the http(s) links beside them still work, and the titles still show
    assert 'href="https://www.instagram.com/kept/"' in html
    assert 'href="https://news.example/new-gm"' in html
    assert "Spa reopens" in html


def test_research_keeps_http_links_only_from_search_results():
    hostile = {
        "news": [
            SearchResult("Hotel Adler reopens after renovation", "javascript://news.example/%0aalert(1)", "reopened"),
            SearchResult("Hotel Adler wins award", "https://news.example/adler-award", "award 2026"),
        ],
        "reviews": [
            SearchResult("Adler reviews", "JavaScript://www.tripadvisor.de/r1%0aalert(1)", "The wifi kept dropping."),
            SearchResult("Adler reviews", "https://www.tripadvisor.de/r2", "We waited an hour at reception."),
        ],
        "competitors": [
            SearchResult("Gasthof zur Post | Munich hotel", "data://gasthof-post.example/,alert(1)", ""),
            SearchResult("Hotel Blauer Bock | Munich", "vbscript://www.instagram.com/x%0amsgbox(1)", ""),
        ],
    }

    def search(query):
        kind = "news" if query.endswith("news") else "reviews" if query.endswith("reviews") else "competitors"
        return hostile[kind]

    findings = research_prospect(
        company="Hotel Adler",
        city="München",
        search=search,
        website_analysis={"contact": {"social": {"facebook": "javascript://facebook.com/%0aalert(1)"}}},
        providers=[],
    )
    assert [n["url"] for n in findings.news] == ["https://news.example/adler-award"]
    assert http_only(p["source_url"] for p in findings.pain_signals) and findings.pain_signals
    assert http_only(c["url"] for c in findings.competitors)
    assert http_only(findings.social_presence.values())
    assert http_only(findings.sources)
    assert "javascript" not in json.dumps(findings.__dict__).lower()
