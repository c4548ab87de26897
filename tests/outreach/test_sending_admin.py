"""Admin for sending: inboxes against their caps and bounce rates, why one is out, the email's
audit trail, settling emails held for review, and the demo's SMTP sink."""

import datetime

import pytest
from constance import config
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from infra.circuit import CircuitBreaker
from infra.models import CircuitState, StateTransition
from outreach.models import Email, EmailStatus, InboxDay, InboxState, SendDecision, SinkMessage
from outreach.selectors import inbox_cap_on
from outreach.services.sending import decision_record, inbox_day
from tests.factories import EmailFactory, InboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def live_settings():
    config.WARMUP_SCHEDULE = "5,10,15,18,20"
    config.BOUNCE_RATE_PAUSE_THRESHOLD = 0.05


def queries_for(client, url, **params) -> tuple[int, str]:
    client.get(url, params)  # the first request stores the live settings' defaults
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response.text


def sent_emails(inbox, count, *, bounced=0, days_ago=1):
    at = timezone.now() - datetime.timedelta(days=days_ago)
    for i in range(count):
        status = EmailStatus.BOUNCED if i < bounced else EmailStatus.SENT
        EmailFactory(inbox=inbox, status=status, sent_at=at)


# --- inboxes --------------------------------------------------------------------------------


def test_inbox_list_shows_sends_against_cap_state_reason_warmup_week_and_bounce_rate(admin_client):
    today = timezone.localdate()
    warming = InboxFactory(email="new@mail.jengu.test", warmup_started_on=today - datetime.timedelta(days=8))
    InboxDay.objects.create(inbox=warming, day=today, cap=11, sent=3)  # today's cap, jitter included
    bouncing = InboxFactory(email="bouncy@mail.jengu.test", state=InboxState.PAUSED,
                            state_reason="hard-bounce rate 7.5% over 28 days")  # fmt: skip
    sent_emails(bouncing, 40, bounced=3)
    sent_emails(bouncing, 10, bounced=10, days_ago=40)  # outside the window: not counted
    _, page = queries_for(admin_client, reverse("admin:outreach_inbox_changelist"))
    assert "3 / 11" in page  # the inbox-day row's cap once it exists
    # no row yet: the cap today's first send will store (week 6: the ceiling, 40, ±10 % jitter)
    expected = inbox_cap_on(bouncing, today)
    assert f"0 / {expected}" in page and 36 <= expected <= 44
    assert inbox_day(bouncing, today).cap == expected
    assert "hard-bounce rate 7.5% over 28 days" in page  # the state's reason beside it
    assert "7.5% (3 of 40), over 5%" in page
    assert "no sends" in page
    assert 'class="field-warmup_week">2<' in page


def test_inbox_list_costs_the_same_queries_for_two_or_twelve_inboxes(admin_client):
    url = reverse("admin:outreach_inbox_changelist")
    for _ in range(2):
        sent_emails(InboxFactory(), 3, bounced=1)
    few, _ = queries_for(admin_client, url)
    for _ in range(10):
        inbox = InboxFactory()
        sent_emails(inbox, 2, bounced=1)
        InboxDay.objects.create(inbox=inbox, day=timezone.localdate(), cap=20, sent=2)
    many, page = queries_for(admin_client, url)
    assert page.count('class="action-select"') == 12
    assert many == few
    sorted_count, _ = queries_for(admin_client, url, o="6")  # sorted by bounce rate
    assert sorted_count == few


def test_a_few_sends_are_not_judged_and_a_low_rate_is_not_flagged(admin_client):
    sent_emails(InboxFactory(email="quiet@mail.jengu.test"), 10, bounced=2)
    sent_emails(InboxFactory(email="fine@mail.jengu.test"), 40, bounced=1)
    _, page = queries_for(admin_client, reverse("admin:outreach_inbox_changelist"))
    assert "20.0% (2 of 10), too few sends to judge" in page
    assert "2.5% (1 of 40)" in page and "2.5% (1 of 40), over" not in page


def test_a_circuit_open_inbox_says_why_on_its_page_and_resumes_from_the_list(admin_client):
    from infra.statemachine import transition

    inbox = InboxFactory()
    transition(inbox, "open_circuit", by="task:sending", reason="SMTP login refused")
    inbox.state_reason = "SMTP login failed 3 times: SMTP login refused by 127.0.0.1 (535)"
    inbox.save(update_fields=["state_reason"])
    login = CircuitBreaker(f"smtp-login:{inbox.pk}")
    for _ in range(3):
        login.record_failure("SMTP login refused by 127.0.0.1 (535)")
    CircuitBreaker(f"smtp:{inbox.pk}").record_failure("SMTP login refused")
    page = admin_client.get(reverse("admin:outreach_inbox_change", args=[inbox.pk])).text
    assert "Circuit open" in page and "by task:sending: SMTP login failed 3 times" in page
    assert "Last SMTP error: SMTP login refused by 127.0.0.1 (535)" in page
    assert "s3cret-smtp-password" not in page  # the password is write-only

    response = admin_client.post(
        reverse("admin:outreach_inbox_changelist"), {"action": "resume", "_selected_action": [inbox.pk]}
    )
    assert response.status_code == 302
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE and inbox.state_reason == ""
    # the operator fixed the cause: the next login failure counts from zero again
    assert set(CircuitState.objects.values_list("state", flat=True)) == {"closed"}
    log = StateTransition.objects.get(object_id=inbox.pk, transition="resume")
    assert log.actor == "user:root-admin"


def test_a_paused_inbox_names_who_paused_it_and_an_active_one_says_it_sends(admin_client):
    from outreach.services.inboxes import inbox_pause

    paused = InboxFactory()
    inbox_pause(inbox=paused, by="system:deliverability", reason="hard-bounce rate 6.0% over 28 days")
    page = admin_client.get(reverse("admin:outreach_inbox_change", args=[paused.pk])).text
    assert "by system:deliverability: hard-bounce rate 6.0% over 28 days" in page
    active = InboxFactory()
    page = admin_client.get(reverse("admin:outreach_inbox_change", args=[active.pk])).text
    assert "It is active" in page
    assert admin_client.get(reverse("admin:outreach_inbox_add")).status_code == 200


# --- emails ---------------------------------------------------------------------------------


def test_email_list_costs_the_same_queries_as_rows_grow_and_filters_needs_review(admin_client):
    url = reverse("admin:outreach_email_changelist")
    for _ in range(2):
        EmailFactory(status=EmailStatus.SENT, provider="smtp", sent_at=timezone.now())
    few, page = queries_for(admin_client, url)
    assert "status__exact=needs_review" in page and "Needs review" in page
    for _ in range(10):
        EmailFactory(status=EmailStatus.NEEDS_REVIEW)
    many, page = queries_for(admin_client, url)
    assert many == few and page.count('class="action-select"') == 12
    _, held = queries_for(admin_client, url, status__exact="needs_review")
    assert held.count('class="action-select"') == 10


def test_the_email_page_shows_its_audit_trail_and_the_gate_report(admin_client):
    email = EmailFactory(status=EmailStatus.QUEUED, gate_results={"passed": True})
    now = timezone.now()
    decision_record(email, SendDecision.Outcome.SKIPPED, "window", "Sat 11:00 in Europe/London: the weekend", now=now)
    decision_record(email, SendDecision.Outcome.SENT, "ok", "local time Mon 09:30 in Europe/London; 3/20 today",
                    inbox=email.inbox, provider="smtp", now=now + datetime.timedelta(days=2))  # fmt: skip
    url = reverse("admin:outreach_email_change", args=[email.pk])
    count, page = queries_for(admin_client, url)
    assert "Send decisions: why it was sent now, or why not yet" in page
    assert "Sat 11:00 in Europe/London: the weekend" in page and "3/20 today" in page
    assert page.index("the weekend") < page.index("3/20 today")  # oldest first
    assert "gate results" in page
    assert 'name="send_decisions-0-detail"' not in page  # read-only: no form inputs
    for i in range(5):
        decision_record(email, SendDecision.Outcome.SKIPPED, f"r{i}", "x", inbox=email.inbox)
    assert queries_for(admin_client, url)[0] == count  # the inbox is joined, not fetched per row


def review(client, action, *emails):
    return client.post(
        reverse("admin:outreach_email_changelist"),
        {"action": action, "_selected_action": [e.pk for e in emails]},
        follow=True,
    )


def test_a_person_marks_a_held_email_as_sent(admin_client):
    held = EmailFactory(status=EmailStatus.NEEDS_REVIEW, message_id="<held@jengu.test>")
    queued = EmailFactory(status=EmailStatus.QUEUED)
    response = review(admin_client, "review_mark_sent", held, queued)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 email(s) marked as sent." in texts
    assert "1 email(s) skipped: only emails in “Needs review” can be settled." in texts
    held.refresh_from_db()
    assert held.status == EmailStatus.SENT and held.sent_at is not None
    assert Email.objects.get(pk=queued.pk).status == EmailStatus.QUEUED
    decision = held.send_decisions.get()
    assert (decision.outcome, decision.reason) == ("sent", "reviewed")
    log = StateTransition.objects.get(object_id=held.pk, transition="review_as_sent")
    assert log.actor == "user:root-admin"


def test_a_person_marks_a_held_email_as_not_sent(admin_client):
    held = EmailFactory(status=EmailStatus.NEEDS_REVIEW)
    response = review(admin_client, "review_mark_not_sent", held)
    assert "1 email(s) marked as not sent and queued again." in [str(m) for m in get_messages(response.wsgi_request)]
    held.refresh_from_db()
    assert held.status == EmailStatus.QUEUED and held.sent_at is None
    assert (held.send_decisions.get().outcome, held.send_decisions.get().reason) == ("skipped", "reviewed")


def test_the_review_actions_need_the_change_permission(client, sales_user):
    from django.contrib.auth.models import Permission

    held = EmailFactory(status=EmailStatus.NEEDS_REVIEW)
    sales_user.user_permissions.remove(*Permission.objects.filter(codename="change_email"))
    sales_user.groups.clear()
    sales_user.user_permissions.add(Permission.objects.get(codename="view_email"))
    client.force_login(sales_user)
    review(client, "review_mark_sent", held)
    assert Email.objects.get(pk=held.pk).status == EmailStatus.NEEDS_REVIEW


# --- the sink -------------------------------------------------------------------------------


RAW = (
    "From: Edd Chen <edd@mail.jengu.test>\r\nTo: gm@seaside.example\r\nSubject: Faster check-ins?\r\n"
    "Message-ID: <abc@mail.jengu.test>\r\nList-Unsubscribe: <http://127.0.0.1:8000/u/T/>\r\n\r\n"
    "Hi <Anna>, a short note.\r\n"
)


def test_the_sink_list_and_the_raw_message_are_read_only(admin_client):
    message = SinkMessage.objects.create(
        message_id="<abc@mail.jengu.test>",
        mail_from="edd@mail.jengu.test",
        rcpt_to="gm@seaside.example",
        subject="Faster check-ins?",
        raw=RAW,
    )
    SinkMessage.objects.create(message_id="<other@x>", mail_from="a@x", rcpt_to="b@y", subject="Other", raw="x")
    url = reverse("admin:outreach_sinkmessage_changelist")
    page = admin_client.get(url).text
    assert "Faster check-ins?" in page and "gm@seaside.example" in page and "&lt;abc@mail.jengu.test&gt;" in page
    found = admin_client.get(url, {"q": "seaside"}).text
    assert "Faster check-ins?" in found and "Other" not in found
    assert "Faster check-ins?" in admin_client.get(url, {"q": "<abc@mail.jengu.test>"}).text

    detail = admin_client.get(reverse("admin:outreach_sinkmessage_change", args=[message.pk])).text
    assert '<pre style="white-space: pre-wrap; margin: 0">From: Edd Chen &lt;edd@mail.jengu.test&gt;' in detail
    assert "Hi &lt;Anna&gt;, a short note." in detail  # escaped, never rendered as HTML
    assert 'name="subject"' not in detail  # no form
    assert admin_client.get(reverse("admin:outreach_sinkmessage_add")).status_code == 403
    admin_client.post(reverse("admin:outreach_sinkmessage_change", args=[message.pk]), {"subject": "changed"})
    assert SinkMessage.objects.get(pk=message.pk).subject == "Faster check-ins?"
