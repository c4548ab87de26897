"""Unsubscribe links and RFC 8058 one-click unsubscribes, over HTTP as recipients use them.

RFC 8058 (https://www.rfc-editor.org/rfc/rfc8058): the message carries
``List-Unsubscribe: <https://…>`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``;
the mail client then POSTs the body ``List-Unsubscribe=One-Click`` to that URL, with no
cookie, no CSRF token and no page in between.
"""

import re

import pytest
from django.core import signing
from django.test import Client

from infra.errors import ApplicationError
from infra.models import Event
from outreach.models import Email, EmailStatus, Sequence, SequenceState, Suppression, UnsubscribeLink
from outreach.services.suppression import suppression_blocks
from outreach.unsubscribe import (
    unsubscribe_address,
    unsubscribe_headers,
    unsubscribe_token,
    unsubscribe_url,
)
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory

pytestmark = pytest.mark.django_db

ADDRESS = "gm@harbourview.example"


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://crm.jengu.test"


@pytest.fixture
def queued_follow_up():
    """A prospect whose first email went out and whose follow-up waits in the queue."""
    prospect = ProspectFactory(email=ADDRESS)
    campaign, inbox = CampaignFactory(), InboxFactory()
    Sequence.objects.create(prospect=prospect, campaign=campaign, inbox=inbox, last_step_sent=1)
    EmailFactory(prospect=prospect, campaign=campaign, inbox=inbox, status=EmailStatus.SENT)
    return EmailFactory(
        prospect=prospect, campaign=campaign, inbox=inbox, status=EmailStatus.QUEUED,
        type=Email.Type.FOLLOW_UP, sequence_step=2,
    )  # fmt: skip


@pytest.fixture
def mail_client():
    """A recipient's browser or mail client: anonymous, and CSRF checks enforced as in production."""
    return Client(enforce_csrf_checks=True)


def path_of(address: str) -> str:
    return unsubscribe_url(address).removeprefix("https://crm.jengu.test")


def status_of(email) -> str:
    return Email.objects.values_list("status", flat=True).get(pk=email.pk)


def token_in(url: str) -> str:
    match = re.fullmatch(r"https://crm\.jengu\.test/u/([^/]+)/", url)
    assert match, url
    return match[1]


def test_headers_follow_rfc_8058():
    headers = unsubscribe_headers(ADDRESS)

    assert set(headers) == {"List-Unsubscribe", "List-Unsubscribe-Post"}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"]
    assert link.startswith("<") and link.endswith(">")  # RFC 2369: the URL in angle brackets
    assert unsubscribe_address(token=token_in(link[1:-1]), source="one-click") == ADDRESS


def test_the_url_is_the_public_base_url_plus_a_short_token(settings):
    settings.PUBLIC_BASE_URL = "https://crm.jengu.test/"  # a trailing slash does not double up
    token = token_in(unsubscribe_url(ADDRESS))
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)  # 128 random bits, URL-safe, nothing to encode
    assert UnsubscribeLink.objects.get(token=token).address == ADDRESS


def test_the_token_is_random_stored_per_lower_cased_address_and_stable():
    token = unsubscribe_token("  GM@HarbourView.example ")
    # stable: the footer link and the List-Unsubscribe header of every email carry the same token
    assert unsubscribe_token(ADDRESS) == token
    assert UnsubscribeLink.objects.count() == 1
    assert unsubscribe_token("other@harbourview.example") != token
    assert "harbourview" not in token.lower()  # nothing of the address is in the URL


def test_a_signed_link_from_an_email_sent_before_the_random_tokens_still_works(mail_client, queued_follow_up):
    legacy = signing.Signer(salt="jengu.unsubscribe").sign_object(ADDRESS, compress=True)

    assert mail_client.post(f"/u/{legacy}/").status_code == 200
    assert Suppression.objects.get().value == ADDRESS
    assert status_of(queued_follow_up) == EmailStatus.CANCELLED


def test_an_erased_address_link_says_so_and_suppresses_nothing_new(mail_client):
    token = unsubscribe_token(ADDRESS)
    UnsubscribeLink.objects.filter(token=token).update(address="")  # what the GDPR erasure sweep leaves

    response = mail_client.post(f"/u/{token}/")
    assert response.status_code == 400
    assert "erased" in response.content.decode()
    assert not Suppression.objects.exists()


def test_the_page_names_the_address_and_changes_nothing(mail_client, queued_follow_up):
    response = mail_client.get(path_of(ADDRESS))

    assert response.status_code == 200
    page = response.content.decode()
    assert ADDRESS in page and '<form method="post">' in page and ">Unsubscribe</button>" in page
    assert "/admin/" not in page  # a plain page, no admin chrome
    assert not Suppression.objects.exists()  # link scanners fetch with GET: only the button acts
    assert status_of(queued_follow_up) == EmailStatus.QUEUED


def test_the_button_suppresses_and_stops_the_sequence(mail_client, queued_follow_up):
    response = mail_client.post(path_of(ADDRESS))

    assert response.status_code == 200
    assert "You will not hear from us again" in response.content.decode()
    entry = Suppression.objects.get()
    assert (entry.kind, entry.value, entry.reason, entry.source) == ("address", ADDRESS, "unsubscribe", "link")
    assert suppression_blocks(ADDRESS) == entry
    assert status_of(queued_follow_up) == EmailStatus.CANCELLED
    sequence = Sequence.objects.get(prospect=queued_follow_up.prospect)
    assert sequence.state == SequenceState.STOPPED and "unsubscribed" in sequence.stop_reason
    assert Event.objects.filter(name="email.unsubscribed", data__source="link").count() == 1


def test_one_click_post_from_a_mail_client_works_without_the_page(mail_client, queued_follow_up):
    response = mail_client.post(
        path_of(ADDRESS), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert Suppression.objects.get().source == "one-click"
    assert status_of(queued_follow_up) == EmailStatus.CANCELLED


def test_one_click_post_as_multipart_form_data_works_too(mail_client, queued_follow_up):
    response = mail_client.post(path_of(ADDRESS), {"List-Unsubscribe": "One-Click"})  # RFC 8058 allows both

    assert response.status_code == 200
    assert Suppression.objects.get().source == "one-click"


def test_a_second_click_is_harmless(mail_client, queued_follow_up):
    assert mail_client.post(path_of(ADDRESS)).status_code == 200
    assert mail_client.post(path_of(ADDRESS)).status_code == 200

    assert Suppression.objects.count() == 1
    assert Event.objects.filter(name="email.unsubscribed").count() == 1


def test_a_link_made_for_a_mixed_case_address_stops_the_prospect(mail_client, queued_follow_up):
    mail_client.post(path_of("GM@HarbourView.example"))  # as the address was typed into the CRM

    assert Suppression.objects.get().value == ADDRESS
    assert Sequence.objects.get(prospect=queued_follow_up.prospect).state == SequenceState.STOPPED
    assert status_of(queued_follow_up) == EmailStatus.CANCELLED


def test_an_address_we_never_wrote_to_is_still_suppressed(mail_client):
    assert mail_client.post(path_of("someone@else.example")).status_code == 200
    assert suppression_blocks("someone@else.example") is not None


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: unsubscribe_token(ADDRESS)[:-2] + "x~", id="altered"),
        pytest.param(
            lambda: signing.Signer(salt="jengu.unsubscribe").sign_object(ADDRESS, compress=True)[:-2] + "xx",
            id="altered legacy signature",
        ),
        pytest.param(lambda: unsubscribe_token(ADDRESS)[:20], id="cut short"),
        pytest.param(lambda: signing.dumps("victim@harbourview.example"), id="signed without the salt"),
        pytest.param(lambda: "not-a-token", id="made up"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_token_is_refused_and_nothing_is_suppressed(mail_client, queued_follow_up, token, method):
    response = getattr(mail_client, method)(f"/u/{token()}/")

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert not Suppression.objects.exists()
    assert status_of(queued_follow_up) == EmailStatus.QUEUED


def test_the_service_refuses_a_bad_token_with_an_application_error(queued_follow_up):
    with pytest.raises(ApplicationError, match="not valid"):
        unsubscribe_address(token="nonsense", source="link")
    assert not Suppression.objects.exists()


def test_the_service_returns_the_address_it_suppressed(queued_follow_up):
    assert unsubscribe_address(token=unsubscribe_token(ADDRESS), source="one-click") == ADDRESS
    assert Suppression.objects.get().source == "one-click"


def test_gdpr_erasure_blanks_the_address_of_its_unsubscribe_link(mail_client, queued_follow_up):
    from jengu.erasure import prospect_erase

    token = unsubscribe_token(ADDRESS)
    prospect_erase(prospect=queued_follow_up.prospect, by="test")

    link = UnsubscribeLink.objects.get(token=token)
    assert link.address == "" and ADDRESS not in str(UnsubscribeLink.objects.values_list())
    assert "erased" in mail_client.get(f"/u/{token}/").content.decode()
