"""Lead sources: the LinkedIn, Indeed and Google Jobs parsers and clients, and their sandbox twin.

The saved pages under tests/fixtures/{linkedin,indeed,serpapi}/ are hand-made copies of
each site's markup: LinkedIn's guest job search (the ``seeMoreJobPostings`` fragment
behind https://www.linkedin.com/jobs/search, and the full page), Indeed's result page
(https://www.indeed.com/jobs, the current ``job_seen_beacon`` cards and the older
``jobsearch-SerpJobCard`` ones), and SerpAPI's Google Jobs JSON
(https://serpapi.com/google-jobs-api). No test touches the network.
"""

import collections
import datetime
import inspect
import json
import logging
import re
from pathlib import Path

import httpx
import pytest

from infra.http import http_client, override_transport
from prospects.models import JobPosting
from prospects.providers import google_jobs, indeed, linkedin
from prospects.providers.base import LayoutChanged, PostingFound, ProviderError
from prospects.providers.google_jobs import GoogleJobsClient
from prospects.providers.indeed import IndeedJobsClient
from prospects.providers.linkedin import LinkedInJobsClient
from prospects.providers.sandbox import jobs as sandbox_jobs
from prospects.providers.sandbox.jobs import SandboxJobsClient

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TODAY = datetime.date(2026, 3, 12)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def error_lines(caplog, logger_name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger_name and r.levelno >= logging.ERROR]


def no_sleep(_seconds):
    pass


def serve(*responses):
    """A MockTransport answering ``responses`` in turn, recording each request."""
    requests, queue = [], list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler), requests


# --- LinkedIn ------------------------------------------------------------------------


def test_linkedin_guest_fragment_gives_every_card_with_canonical_links():
    postings = linkedin.parse_search_page(fixture("linkedin/guest_search.html"), today=TODAY)

    assert len(postings) == 6
    first = postings[0]
    assert first == PostingFound(
        source="linkedin",
        title="Front Desk Manager",
        company="The Ironworks Hotel",
        location="Denver, CO",
        posted_at=datetime.date(2026, 3, 10),
        # the per-request tracking query (refId, trackingId, position) is dropped
        url="https://www.linkedin.com/jobs/view/front-desk-manager-at-the-ironworks-hotel-3874512093",
        snippet="Front Desk Manager The Ironworks Hotel Denver, CO $58,000.00 - $66,000.00 Actively Hiring 2 days ago",
    )
    assert first.extra == {
        "job_id": "3874512093",
        "company_url": "https://www.linkedin.com/company/the-ironworks-hotel",
        "salary": "$58,000.00 - $66,000.00",
        "benefits": "Actively Hiring",
        "posted_text": "2 days ago",
    }
    # the "--new" date class, a metro-area location, a company without a page link
    assert (postings[1].title, postings[1].posted_at) == ("Night Auditor", TODAY)
    assert postings[2].location == "Denver Metropolitan Area"
    assert (postings[3].company, postings[3].posted_at) == ("Hilton Garden Inn Denver Union Station", days_ago(14))
    assert "company_url" not in postings[3].extra
    assert [p.title for p in postings[4:]] == ["Guest Relations Manager", "Patient Access Representative - Front Desk"]


def test_linkedin_full_search_page_layout():
    postings = linkedin.parse_search_page(fixture("linkedin/search_page.html"), today=TODAY)

    assert [(p.title, p.company, p.location) for p in postings] == [
        ("Hotel Receptionist", "The Hoxton", "London, England, United Kingdom"),
        ("Rezeptionist (m/w/d) – Motel One München-Sendlinger Tor", "Motel One Group", "Munich, Bavaria, Germany"),
        ("Chef de réception (H/F)", "Novotel Paris Centre Tour Eiffel", "Paris, Île-de-France, France"),
        ("Rececionista", "Pestana Hotel Group", "Lisbon, Lisbon, Portugal"),
    ]
    assert [p.posted_at for p in postings] == [
        datetime.date(2026, 3, 4),
        datetime.date(2026, 3, 11),
        datetime.date(2026, 2, 20),
        TODAY,
    ]
    assert postings[2].url == (
        "https://fr.linkedin.com/jobs/view/chef-de-r%C3%A9ception-h-f-at-novotel-paris-centre-tour-eiffel-3864419902"
    )


@pytest.mark.parametrize("body", [fixture("linkedin/guest_empty.html"), "\n  \n"])
def test_linkedin_empty_answer_is_no_postings_without_error(body, caplog):
    assert linkedin.parse_search_page(body, today=TODAY) == []
    assert error_lines(caplog, "prospects.providers.linkedin") == []


def test_linkedin_empty_results_list_is_no_postings():
    page = re.sub(r"<li>\s*<div class=\"base-card.*?</li>", "", fixture("linkedin/search_page.html"), flags=re.S)

    assert linkedin.parse_search_page(page, today=TODAY) == []


def test_linkedin_card_missing_a_field(caplog):
    with caplog.at_level(logging.WARNING):
        postings = linkedin.parse_search_page(fixture("linkedin/guest_missing_fields.html"), today=TODAY)

    # no <time>: the posting counts, undated; no location: empty; no company: skipped
    assert [(p.title, p.location, p.posted_at) for p in postings] == [
        ("Night Manager", "Sydney, New South Wales, Australia", None),
        ("Guest Relations Executive", "", datetime.date(2026, 3, 2)),
    ]
    assert "skipped 1 of 3 job cards" in caplog.text


def test_linkedin_date_falls_back_on_the_visible_text():
    page = fixture("linkedin/guest_search.html").replace('datetime="2026-02-26"', "")

    postings = linkedin.parse_search_page(page, today=TODAY)

    assert postings[3].posted_at == days_ago(14)  # "2 weeks ago"


def test_linkedin_changed_layout_raises_and_logs(caplog):
    with pytest.raises(LayoutChanged, match=r"linkedin: layout changed: no job card"):
        linkedin.parse_search_page(fixture("linkedin/guest_changed_layout.html"), today=TODAY)

    assert any("layout changed" in line for line in error_lines(caplog, "prospects.providers.linkedin"))


def test_linkedin_cards_without_titles_or_companies_are_a_layout_change(caplog):
    page = re.sub(
        r"<h[34] class=\"base-search-card__(title|subtitle)\">.*?</h[34]>",
        "",
        fixture("linkedin/guest_search.html"),
        flags=re.S,
    )
    page = page.replace('class="sr-only"', 'class="visually-hidden"')

    with pytest.raises(LayoutChanged, match="none of 6 job cards"):
        linkedin.parse_search_page(page, today=TODAY)
    assert error_lines(caplog, "prospects.providers.linkedin")


def test_linkedin_client_calls_the_guest_endpoint_with_paging():
    transport, requests = serve(httpx.Response(200, text=fixture("linkedin/guest_search.html")))
    with override_transport(transport):
        client = LinkedInJobsClient(today=lambda: TODAY)
        postings = client.search("hotel front desk manager", "Denver, CO", page=1)

    assert len(postings) == 6
    (request,) = requests
    assert request.url.host == "www.linkedin.com"
    assert request.url.path == "/jobs-guest/jobs/api/seeMoreJobPostings/search"
    assert dict(request.url.params) == {"keywords": "hotel front desk manager", "location": "Denver, CO", "start": "25"}


@pytest.mark.parametrize("status", [429, 500])
def test_linkedin_client_http_failure_after_retries_is_a_provider_error(status):
    transport, requests = serve(httpx.Response(status, text="Too many requests"))
    with override_transport(transport):
        client = LinkedInJobsClient(client=http_client(base_url=LinkedInJobsClient.base_url, sleep=no_sleep))
        with pytest.raises(ProviderError, match=f"HTTP {status}") as raised:
            client.search("night auditor")

    assert not isinstance(raised.value, LayoutChanged)
    assert len(requests) == 3  # the first try and infra.http's two retries


def test_linkedin_client_sign_in_wall_is_a_provider_error():
    def handler(request):
        if request.url.path.startswith("/jobs-guest"):
            return httpx.Response(302, headers={"Location": "https://www.linkedin.com/authwall?trk=gf"})
        return httpx.Response(200, text="<html><body>Sign in to LinkedIn</body></html>")

    with override_transport(httpx.MockTransport(handler)), pytest.raises(ProviderError, match="sign-in wall"):
        LinkedInJobsClient().search("concierge")


def test_linkedin_client_network_failure_is_a_provider_error():
    transport, _ = serve(httpx.ConnectError("connection refused"))
    with override_transport(transport):
        client = LinkedInJobsClient(client=http_client(sleep=no_sleep, base_url=LinkedInJobsClient.base_url))
        with pytest.raises(ProviderError, match="ConnectError"):
            client.search("concierge")


# --- Indeed --------------------------------------------------------------------------


def test_indeed_current_layout():
    postings = indeed.parse_search_page(fixture("indeed/search_current.html"), today=TODAY)

    assert len(postings) == 5  # the ad slot between cards is not a posting
    assert postings[0] == PostingFound(
        source="indeed",
        title="Front Desk Manager",
        company="The Ironworks Hotel",
        location="Denver, CO 80205",
        posted_at=days_ago(3),
        url="https://www.indeed.com/viewjob?jk=7f3a9c1e2b4d6a80",
        snippet=(
            "Lead a front desk team of 12 at a 156-room boutique hotel in RiNo. "
            "Experience with Opera Cloud PMS preferred."
        ),
    )
    assert postings[0].extra == {
        "job_key": "7f3a9c1e2b4d6a80",
        "salary": "$55,000 - $62,000 a year",
        "posted_text": "Posted 3 days ago",
    }
    assert [(p.company, p.posted_at) for p in postings[1:]] == [
        ("Courtyard by Marriott Denver Downtown", TODAY),  # "Just posted"
        ("Hilton Garden Inn Denver Union Station", days_ago(30)),  # "30+ days ago": at least that old
        ("Sage Hospitality Group", None),  # "Active 5 days ago" is the employer's activity, not the posting's
        ("Front Range Dental Group", TODAY),  # "Today"
    ]
    assert postings[3].location == "Hybrid work in Denver, CO 80202"


def test_indeed_old_layout():
    postings = indeed.parse_search_page(fixture("indeed/search_old_layout.html"), today=TODAY)

    assert [(p.title, p.company, p.location, p.posted_at) for p in postings] == [
        ("Night Auditor", "Hyatt Regency Chicago", "Chicago, IL 60601", days_ago(5)),
        ("Housekeeping Supervisor", "The Langham, Chicago", "Chicago, IL", TODAY),
        (
            "Guest Service Agent - Full Time",
            "Hampton Inn & Suites Chicago-Downtown",
            "Chicago, IL 60654 (River North area)",
            days_ago(30),
        ),
    ]
    assert postings[0].url == "https://www.indeed.com/viewjob?jk=8b2e0c41d7a93f15"
    assert postings[0].extra["salary"] == "$18 - $21 an hour"
    assert postings[0].snippet.startswith("Perform the night audit")


def test_indeed_links_follow_the_country_site():
    postings = indeed.parse_search_page(
        fixture("indeed/search_old_layout.html"), today=TODAY, base_url="https://uk.indeed.com"
    )

    assert postings[0].url == "https://uk.indeed.com/viewjob?jk=8b2e0c41d7a93f15"


def test_indeed_no_results_page_is_no_postings_without_error(caplog):
    assert indeed.parse_search_page(fixture("indeed/search_no_results.html"), today=TODAY) == []
    assert error_lines(caplog, "prospects.providers.indeed") == []


def test_indeed_card_missing_a_field(caplog):
    with caplog.at_level(logging.WARNING):
        postings = indeed.parse_search_page(fixture("indeed/search_missing_fields.html"), today=TODAY)

    assert [(p.title, p.company, p.location, p.posted_at) for p in postings] == [
        ("Guest Service Agent", "Hampton Inn & Suites Denver-Downtown", "", days_ago(6)),
        ("Banquet Manager", "Hyatt Regency Denver at Colorado Convention Center", "Denver, CO 80202", None),
    ]
    assert "skipped 1 of 3 result cards" in caplog.text


def test_indeed_changed_layout_raises_and_logs(caplog):
    with pytest.raises(LayoutChanged, match=r"indeed: layout changed: no result card"):
        indeed.parse_search_page(fixture("indeed/search_changed_layout.html"), today=TODAY)

    assert any("layout changed" in line for line in error_lines(caplog, "prospects.providers.indeed"))


def test_indeed_captcha_page_says_blocked_not_redesigned(caplog):
    with pytest.raises(ProviderError, match="blocked by a bot check") as raised:
        indeed.parse_search_page(fixture("indeed/captcha.html"), today=TODAY)

    assert not isinstance(raised.value, LayoutChanged)
    assert error_lines(caplog, "prospects.providers.indeed")


def test_indeed_empty_body_is_an_error_not_an_empty_result():
    with pytest.raises(ProviderError, match="empty page"):
        indeed.parse_search_page("", today=TODAY)


def test_indeed_client_request_and_country_site():
    transport, requests = serve(httpx.Response(200, text=fixture("indeed/search_old_layout.html")))
    with override_transport(transport):
        client = IndeedJobsClient(base_url="https://uk.indeed.com", today=lambda: TODAY)
        postings = client.search("night porter", "London", page=2)

    (request,) = requests
    assert (request.url.host, request.url.path) == ("uk.indeed.com", "/jobs")
    assert dict(request.url.params) == {"q": "night porter", "l": "London", "start": "20"}
    assert postings[0].url.startswith("https://uk.indeed.com/viewjob?jk=")


def test_indeed_client_leaves_out_an_empty_location():
    transport, requests = serve(httpx.Response(200, text=fixture("indeed/search_no_results.html")))
    with override_transport(transport):
        assert IndeedJobsClient().search("zqxhotel") == []

    assert dict(requests[0].url.params) == {"q": "zqxhotel", "start": "0"}


@pytest.mark.parametrize(("status", "attempts"), [(403, 1), (429, 3), (503, 3)])
def test_indeed_client_http_failure_is_a_provider_error(status, attempts):
    transport, requests = serve(httpx.Response(status, text="<html><title>Blocked</title></html>"))
    with override_transport(transport):
        client = IndeedJobsClient(client=http_client(base_url=IndeedJobsClient.base_url, sleep=no_sleep))
        with pytest.raises(ProviderError, match=f"HTTP {status}"):
            client.search("front desk manager", "Denver, CO")

    assert len(requests) == attempts


# --- Google Jobs through SerpAPI -------------------------------------------------------


def test_google_jobs_results():
    postings = google_jobs.parse_search_page(fixture("serpapi/google_jobs.json"), today=TODAY)

    assert len(postings) == 5
    first = postings[0]
    assert (first.source, first.title, first.company, first.location, first.posted_at) == (
        "google_jobs",
        "Front Desk Manager",
        "The Ironworks Hotel",
        "Denver, CO",
        days_ago(3),
    )
    # the first apply option, without Google's utm_* parameters
    assert first.url == "https://www.linkedin.com/jobs/view/front-desk-manager-at-the-ironworks-hotel-3874512093"
    assert first.snippet.startswith("The Ironworks Hotel, a 156-room boutique hotel")
    assert first.extra["via"] == "LinkedIn"
    assert first.extra["job_id"].startswith("eyJqb2JfdGl0bGUi")
    assert first.extra["share_link"].startswith("https://www.google.com/search?ibp=htl;jobs")
    assert [(p.company, p.posted_at) for p in postings[1:]] == [
        ("Hyatt Regency Denver at Colorado Convention Center", TODAY),  # "11 hours ago"
        ("Courtyard Denver Downtown", days_ago(7)),  # "1 week ago"
        ("Kimpton Hotel Monaco Denver", days_ago(30)),  # "30+ days ago"
        ("Denver Health", days_ago(2)),
    ]
    assert postings[2].extra["via"] == "Marriott Careers"  # older answers say "via Marriott Careers"


def test_google_jobs_accepts_the_decoded_answer():
    payload = json.loads(fixture("serpapi/google_jobs.json"))

    assert google_jobs.parse_search_page(payload, today=TODAY) == google_jobs.parse_search_page(
        fixture("serpapi/google_jobs.json"), today=TODAY
    )


def test_google_jobs_fully_empty_is_no_postings_without_error(caplog):
    assert google_jobs.parse_search_page(fixture("serpapi/google_jobs_empty.json"), today=TODAY) == []
    assert error_lines(caplog, "prospects.providers.google_jobs") == []


def test_google_jobs_error_answer_is_a_provider_error(caplog):
    with pytest.raises(ProviderError, match="Invalid API key") as raised:
        google_jobs.parse_search_page(fixture("serpapi/error_invalid_key.json"), today=TODAY)

    assert not isinstance(raised.value, LayoutChanged)
    assert error_lines(caplog, "prospects.providers.google_jobs")


def test_google_jobs_job_missing_a_field(caplog):
    with caplog.at_level(logging.WARNING):
        postings = google_jobs.parse_search_page(fixture("serpapi/google_jobs_missing_fields.json"), today=TODAY)

    assert [(p.title, p.company, p.location, p.posted_at) for p in postings] == [
        ("Revenue Manager", "Pestana Palace Lisboa", "Lisbon, Portugal", None),
        ("Cluster Revenue Manager", "Memmo Hotels", "", days_ago(5)),
    ]
    assert "skipped 1 of 3 jobs" in caplog.text


def test_google_jobs_changed_shape_raises_and_logs(caplog):
    with pytest.raises(LayoutChanged, match="no jobs_results"):
        google_jobs.parse_search_page(fixture("serpapi/google_jobs_changed_layout.json"), today=TODAY)

    assert any("layout changed" in line for line in error_lines(caplog, "prospects.providers.google_jobs"))


def test_google_jobs_client_request_and_paging():
    first_page = json.loads(fixture("serpapi/google_jobs.json"))
    last_page = {**json.loads(fixture("serpapi/google_jobs_missing_fields.json"))}
    transport, requests = serve(
        httpx.Response(200, json=first_page), httpx.Response(200, json=last_page), httpx.Response(200, json=last_page)
    )
    with override_transport(transport):
        client = GoogleJobsClient(api_key="test-key", today=lambda: TODAY)
        second = client.search("hotel front desk manager", "Denver, Colorado, United States", page=1)
        again = client.search("hotel front desk manager", "Denver, Colorado, United States", page=1)
        beyond = client.search("hotel front desk manager", "Denver, Colorado, United States", page=2)

    assert [p.company for p in second] == ["Pestana Palace Lisboa", "Memmo Hotels"]
    assert again == second
    assert beyond == []  # the second page named no next page
    assert requests[0].url.host == "serpapi.com"
    assert requests[0].url.path == "/search.json"
    assert dict(requests[0].url.params) == {
        "engine": "google_jobs",
        "q": "hotel front desk manager",
        "hl": "en",
        "api_key": "test-key",
        "location": "Denver, Colorado, United States",
    }
    # page 1 was reached through page 0's token, and the token was remembered for the second call
    token = first_page["serpapi_pagination"]["next_page_token"]
    assert [r.url.params.get("next_page_token") for r in requests] == [None, token, token, token]


def test_google_jobs_client_bad_key_is_a_provider_error_without_the_key():
    transport, requests = serve(httpx.Response(401, json=json.loads(fixture("serpapi/error_invalid_key.json"))))
    with override_transport(transport), pytest.raises(ProviderError, match="HTTP 401: Invalid API key") as raised:
        GoogleJobsClient(api_key="secret-key-123").search("concierge")

    assert "secret-key-123" not in str(raised.value)
    assert len(requests) == 1


def test_google_jobs_client_network_failure_does_not_leak_the_key():
    transport, _ = serve(httpx.ConnectError("failed https://serpapi.com/search.json?api_key=secret-key-123"))
    with override_transport(transport):
        client = GoogleJobsClient(api_key="secret-key-123", client=http_client(sleep=no_sleep))
        with pytest.raises(ProviderError) as raised:
            client.search("concierge")

    assert "secret-key-123" not in str(raised.value)


# --- every source ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_class",
    [LinkedInJobsClient, IndeedJobsClient, GoogleJobsClient, SandboxJobsClient],
    ids=lambda c: c.__name__,
)
def test_every_source_has_the_same_search_signature(client_class):
    parameters = inspect.signature(client_class.search).parameters

    assert list(parameters)[1:] == ["query", "location", "page"]
    assert (parameters["location"].default, parameters["page"].default) == ("", 0)


def test_every_source_name_is_a_job_posting_source():
    for module in (linkedin, indeed, google_jobs):
        assert module.SOURCE in JobPosting.Source.values
    assert set(sandbox_jobs.SOURCES) <= set(JobPosting.Source.values)


# --- the sandbox twin ------------------------------------------------------------------

DATASET = json.loads(sandbox_jobs.DATASET.read_text(encoding="utf-8"))["postings"]


@pytest.fixture
def sandbox():
    return SandboxJobsClient(today=lambda: TODAY)


def test_sandbox_has_hundreds_of_postings_across_countries_and_sources(sandbox):
    postings = sandbox.postings()

    assert len(postings) == len(DATASET) >= 300
    assert len({r["country"] for r in DATASET}) >= 8
    assert {p.source for p in postings} == {"linkedin", "indeed", "google_jobs"}
    dated = [p.posted_at for p in postings if p.posted_at is not None]
    assert min(dated) >= days_ago(31) and max(dated) == TODAY
    assert len({(p.source, p.url) for p in postings}) == len(postings)  # JobPosting is unique per (source, url)


def test_sandbox_mixes_hotel_and_other_jobs():
    kinds = collections.Counter(r["kind"] for r in DATASET)

    assert set(kinds) == {"hotel", "other", "chain_hq", "agency"}
    assert 0.2 <= 1 - kinds["hotel"] / len(DATASET) <= 0.4
    titles = {r["title"] for r in DATASET if r["kind"] != "hotel"}
    assert {"Hospital Front Desk Coordinator", "Cabin Crew", "Senior Software Engineer"} <= titles


def test_sandbox_repeats_hotels_across_sources_under_varied_names():
    by_hotel = collections.defaultdict(list)
    for record in DATASET:
        if record["kind"] == "hotel":
            by_hotel[record["hotel_id"]].append(record)
    repeated = {hotel: records for hotel, records in by_hotel.items() if len(records) > 1}

    assert len(repeated) >= 30
    assert sum(1 for records in repeated.values() if len({r["source"] for r in records}) > 1) >= 20
    assert sum(1 for records in repeated.values() if len({r["company"] for r in records}) > 1) >= 15


def test_sandbox_postings_fit_the_job_posting_table(sandbox):
    fields = {f.name: f for f in JobPosting._meta.get_fields() if hasattr(f, "max_length")}
    for posting in sandbox.postings():
        assert posting.title and posting.company
        assert len(posting.title) <= fields["title"].max_length
        assert len(posting.company) <= fields["company_name"].max_length
        assert len(posting.location) <= fields["location"].max_length
        assert posting.url.startswith("https://") and len(posting.url) <= fields["url"].max_length


def test_sandbox_search_filters_loosely_by_query_and_place(sandbox):
    denver = sandbox.search("front desk manager", "Denver, CO")
    munich = sandbox.search("", "München")

    assert denver and all("Denver" in p.location for p in denver)
    assert any("front desk" in p.title.lower() for p in denver[:3])
    assert any(p.company == "Denver Health" for p in sandbox.search("front desk", "Denver"))  # a false friend
    # the English and the German name of the city find the postings of every site's style
    assert {p.location for p in munich} == {"Munich, Bavaria, Germany", "80331 München", "Munich, Germany"}
    assert sandbox.search("", "Munich") == munich
    assert sandbox.search("hotel", "Atlantis") == []


def test_sandbox_pages_are_slices(sandbox):
    everything = sandbox.search()
    pages = [sandbox.search(page=number) for number in range(len(DATASET) // sandbox.page_size + 2)]

    assert len(everything) == sandbox.page_size
    assert pages[-1] == []
    assert [p.extra["sandbox_id"] for page in pages for p in page] == [
        p.extra["sandbox_id"] for p in sandbox.postings()
    ]


def test_sandbox_is_deterministic_and_seeded():
    def ids(client):
        return [p.extra["sandbox_id"] for p in client.search("hotel", page=1)]

    assert ids(SandboxJobsClient(seed=7)) == ids(SandboxJobsClient(seed=7))
    assert ids(SandboxJobsClient(seed=7)) != ids(SandboxJobsClient(seed=8))
    later = SandboxJobsClient(today=lambda: TODAY + datetime.timedelta(days=10))
    now = SandboxJobsClient(today=lambda: TODAY)
    assert [p.posted_at + datetime.timedelta(days=10) for p in now.postings() if p.posted_at] == [
        p.posted_at for p in later.postings() if p.posted_at
    ]


def test_sandbox_can_stand_in_for_one_source():
    client = SandboxJobsClient(source="indeed")

    assert {p.source for p in client.postings()} == {"indeed"}
    assert all(p.url.split("/")[2].endswith("indeed.com") for p in client.postings())
    with pytest.raises(ValueError, match="unknown source"):
        SandboxJobsClient(source="monster")
