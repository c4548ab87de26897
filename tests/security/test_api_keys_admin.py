"""A new API key is shown once, in the page's body, and never travels in a cookie.

Django's default message storage keeps messages in a ``messages`` cookie that is signed,
not encrypted: anything shown through it can be read back from the browser, from a proxy
log, or by any script that can read the site's cookies. A full API key must not take
that route, nor wait in the session store: the admin shows it once, in the response to
the form that created it.
"""

import re

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.test import RequestFactory

from infra.api_auth import api_key_hash
from infra.models import ApiKey

pytestmark = pytest.mark.django_db

ADD_FORM = {
    "name": "metabase",
    "scopes": ["read"],
    "rate_limit_per_minute": 600,
    "expires_at_0": "",
    "expires_at_1": "",
}
RAW_KEY = re.compile(r"jk_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


def cookie_texts(response) -> list[str]:
    """Every Set-Cookie header of the response, and the messages a ``messages`` cookie decodes to."""
    texts = [morsel.OutputString() for morsel in response.cookies.values()]
    if "messages" in response.cookies:
        request = RequestFactory().get("/")
        decoded = CookieStorage(request)._decode(response.cookies["messages"].value) or []
        texts += [str(message) for message in decoded]
    return texts


def create_key(client):
    """POST the add form and follow any redirects by hand: (every response, the final page's HTML)."""
    responses = [client.post("/admin/infra/apikey/add/", ADD_FORM)]
    while responses[-1].status_code in (301, 302, 303):
        responses.append(client.get(responses[-1]["Location"]))
    assert responses[-1].status_code == 200
    return responses, responses[-1].content.decode()


def test_a_new_api_key_is_shown_once_in_the_page_and_in_no_cookie(admin_client):
    responses, page = create_key(admin_client)
    key = ApiKey.objects.get(name="metabase")
    shown = RAW_KEY.findall(page)
    assert shown, "the new key is shown on the page that answers the form"
    raw = shown[0]
    assert api_key_hash(raw) == key.key_hash and raw.startswith(f"jk_{key.prefix}_")
    secret = raw.split("_", 2)[2]

    for response in responses:
        for text in cookie_texts(response):
            assert secret not in text, "the key travels in a cookie"
        assert secret not in response.serialize_headers().decode("latin-1"), "the key is in a response header"

    assert "no-store" in responses[-1]["Cache-Control"]  # nor in a browser's or proxy's cache

    # nor does it wait in the session store for a later page to show it
    for session in Session.objects.all():
        assert secret not in str(session.get_decoded())

    # shown once: the next pages do not show it again
    for url in ("/admin/infra/apikey/", f"/admin/infra/apikey/{key.pk}/change/", "/admin/"):
        assert secret not in admin_client.get(url).content.decode()
