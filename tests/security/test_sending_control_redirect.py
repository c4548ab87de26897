"""The emergency stop button returns to the page it was pressed on — never to another site.

The form posts ``next`` (the page's own path). A crafted form or link could post any
``next``; the view follows it only when it is a path on this site (Django's
``url_has_allowed_host_and_scheme``), else it goes to the admin index. Only the
Location header is inspected: nothing is fetched.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "https://evil.example/",
    "http://evil.example/admin/",
    "//evil.example",
    "//evil.example/admin/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    " //evil.example",
    "https:evil.example",
    "javascript:alert(document.domain)",
    "https://testserver.evil.example/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_next_goes_to_the_admin_index(admin_client, target):
    response = admin_client.post(reverse("admin:sending_control"), {"action": "stop", "next": target})
    assert response.status_code == 302
    location = response["Location"]
    assert location == reverse("admin:index"), location
    assert urlsplit(location).netloc == ""


def test_a_path_on_this_site_is_followed(admin_client):
    back = reverse("admin:pipeline_health") + "?stage=sending"
    response = admin_client.post(reverse("admin:sending_control"), {"action": "stop", "next": back})
    assert response.status_code == 302 and response["Location"] == back


def test_no_next_goes_to_the_admin_index(admin_client):
    response = admin_client.post(reverse("admin:sending_control"), {"action": "stop"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
