"""The wire report: each rule can fail, and every kind of email we send passes all of them."""

import io

import pytest
from django.core.management import call_command

from outreach.services.wire_check import esp_payload_rules, wire_report, wire_rules

pytestmark = pytest.mark.django_db

LINK = b"https://crm.jengu.test/u/AAAAAAAAAAAAAAAAAAAAAA/"
GOOD = (
    b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 7bit\r\nMIME-Version: 1.0\r\n'
    b"Subject: Hi\r\nFrom: a@jengu.example\r\nTo: gm@hotel.example\r\nDate: Tue, 01 Dec 2026 17:00:00 +0000\r\n"
    b"Message-ID: <abc@jengu.example>\r\n"
    b"List-Unsubscribe: <https://crm.jengu.test/u/AAAAAAAAAAAAAAAAAAAAAA/>\r\n"
    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n"
    b"Hi,\r\n\r\n--\r\nOne click and we won't write again:\r\nhttps://crm.jengu.test/u/AAAAAAAAAAAAAAAAAAAAAA/\r\n"
)


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://crm.jengu.test"
    settings.ALLOWED_HOSTS = ["crm.jengu.test"]


def failed(rules) -> set[str]:
    return {rule.rule for rule in rules if not rule.passed}


def test_a_right_message_passes_every_rule():
    rules, shown, url = wire_rules(GOOD)
    assert failed(rules) == set()
    assert url == "https://crm.jengu.test/u/AAAAAAAAAAAAAAAAAAAAAA/"
    assert shown["MIME"] == "text/plain (7bit)"


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        # what Django's own message wrote before: the header as RFC 2047 encoded-words over three lines
        (
            (
                b"List-Unsubscribe: <https://crm.jengu.test/u/AAAAAAAAAAAAAAAAAAAAAA/>",
                b"List-Unsubscribe: =?utf-8?q?=3Chttps=3A//crm=2Ejengu=2Etest/u/AAAAAAAAA?=\r\n"
                b" =?utf-8?q?AAAAAAAAAAAAA/=3E?=",
            ),
            "list_unsubscribe_ascii",
        ),
        ((b"<" + LINK + b">\r\n", b"<" + LINK[:26] + b"\r\n " + LINK[26:] + b">\r\n"), "list_unsubscribe_folding"),
        ((b"List-Unsubscribe: <https", b"List-Unsubscribe: https"), "list_unsubscribe_form"),
        ((b"<https://crm.jengu.test", b"<https://evil.example"), "list_unsubscribe_public_url"),
        ((b"List-Unsubscribe: <https://", b"List-Unsubscribe: <http://"), "list_unsubscribe_https"),
        ((b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", b""), "list_unsubscribe_post"),
        ((b"Message-ID: <abc@jengu.example>\r\n", b""), "message_id"),
        ((b"Date: Tue, 01 Dec 2026 17:00:00 +0000\r\n", b"Date: yesterday\r\n"), "date"),
        ((b"\r\n" + LINK + b"\r\n", b"\r\n" + LINK[:36] + b"=\r\n" + LINK[36:] + b"\r\n"), "footer_link"),
        ((b"Hi,\r\n", b"Hi,\r\nhttps://jengu.example/u/0123abcd/\r\n"), "one_footer"),
        ((b"Subject: Hi", b"Subject: " + b"x" * 1000), "line_length"),
    ],
)  # fmt: skip
def test_each_rule_fails_on_the_defect_it_is_for(change, rule):
    old, new = change
    assert old in GOOD
    rules, _, _ = wire_rules(GOOD.replace(old, new, 1))
    assert rule in failed(rules)


def test_an_esp_body_with_an_encoded_header_fails():
    body = (
        b'{"headers": {"List-Unsubscribe": "=?utf-8?q?=3Chttps=3A//crm=2Ejengu=2Etest/u/A/=3E?=",'
        b' "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}'
    )
    rules, _, _ = esp_payload_rules(body)
    assert {"list_unsubscribe_ascii", "list_unsubscribe_form"} <= failed(rules)


def test_every_kind_of_email_is_right_on_every_path_and_nothing_is_kept():
    from outreach.models import Suppression, UnsubscribeLink

    reports = wire_report()
    assert {(r.kind, r.path) for r in reports} == {
        (kind, path) for kind in ("first", "follow-up", "reply") for path in ("smtp", "resend", "sendgrid")
    }
    for report in reports:
        assert report.passed, (report.kind, report.path, [r for r in report.rules if not r.passed])
    smtp = [r for r in reports if r.path == "smtp"]
    assert all("one_click_unsubscribes" in {rule.rule for rule in r.rules} for r in smtp)
    assert not UnsubscribeLink.objects.exists() and not Suppression.objects.exists()  # rolled back


def test_the_command_prints_the_raw_headers_and_a_verdict():
    out = io.StringIO()
    call_command("wire_report", stdout=out)
    text = out.getvalue()
    assert "List-Unsubscribe: <https://crm.jengu.test/u/" in text
    assert "MIME: text/plain (7bit)" in text
    assert "All 9 messages are right on the wire." in text
