"""The admin dashboard and pipeline health page: numbers match direct queries, links
lead to the rows behind them, and the query count does not grow with the data."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from infra.models import DeadLetter
from jengu.dashboard import dashboard, pipeline_health
from outreach.models import Email, EmailStatus, InboxDay
from prospects.models import Prospect, ProspectStage
from replies.models import Reply
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory, ReplyFactory

pytestmark = pytest.mark.django_db

S = ProspectStage


def seed(scale: int = 1):
    """A small pipeline: prospects spread over stages, two inboxes, sent emails, replies."""
    campaign = CampaignFactory(name="Check-in", subject_variants=["Faster check-ins?", "Queues at your desk"])
    inboxes = [InboxFactory(), InboxFactory()]
    for _ in range(scale):
        for stage, count in [(S.NEW, 5), (S.ENRICHED, 4), (S.READY, 3), (S.CONTACTED, 6), (S.REPLIED, 2),
                             (S.MEETING, 1), (S.WON, 1), (S.LOST, 2)]:  # fmt: skip
            ProspectFactory.create_batch(count, stage=stage)
    now = timezone.now()
    emails = []
    for index, prospect in enumerate(Prospect.objects.filter(stage__in=[S.CONTACTED, S.REPLIED, S.MEETING, S.WON])):
        status = EmailStatus.BOUNCED if index % 7 == 0 else EmailStatus.SENT
        emails.append(
            EmailFactory(
                prospect=prospect,
                campaign=campaign,
                inbox=inboxes[index % 2],
                status=status,
                sent_at=now - datetime.timedelta(days=1),
                subject_variant=index % 2,
            )
        )
    for email in emails[:4]:
        ReplyFactory(email=email, intent="interested" if email.pk % 2 else "meeting_request")
    InboxDay.objects.create(inbox=inboxes[0], day=timezone.localdate(), cap=20, sent=7)
    DeadLetter.objects.create(stage="enrichment", func="x.y", subject_id="1", attempts=3, error="boom")
    return campaign, inboxes


def test_funnel_counts_match_direct_queries():
    seed()
    board = dashboard()
    funnel = {bar.label: bar.value for bar in board.funnel}
    assert funnel["Acquired"] == Prospect.objects.exclude(stage=S.LOST).count() == 22
    assert funnel["Emailed"] == Prospect.objects.filter(stage__in=[S.CONTACTED, S.REPLIED, S.MEETING, S.WON]).count()
    assert funnel["Replied"] == 4 and funnel["Meeting"] == 2 and funnel["Won"] == 1
    assert board.lost == 2
    replied = next(bar for bar in board.funnel if bar.label == "Replied")
    assert replied.note == "40%"  # 4 of the 10 emailed


def test_sends_rates_and_intents_match_direct_queries():
    campaign, inboxes = seed()
    board = dashboard()
    sends = {bar.label: (bar.value, bar.limit) for bar in board.sends_today}
    assert sends[inboxes[0].email] == (7, 20)  # the cap stored with today's first send, which the sender enforces
    assert sends[inboxes[1].email][0] == 0

    intents = {bar.label: bar.value for bar in board.intents_this_week}
    assert intents["Interested"] == Reply.objects.filter(intent="interested").count()
    assert intents["Meeting request"] == Reply.objects.filter(intent="meeting_request").count()
    assert sum(intents.values()) == 4

    [rate] = board.reply_rate_by_campaign
    first_emails = Email.objects.filter(campaign=campaign, sequence_step=1).count()
    assert rate.value == pytest.approx(4 / first_emails)
    variants = {bar.label: bar for bar in board.reply_rate_by_variant}
    assert set(variants) == {"Check-in: “Faster check-ins?”", "Check-in: “Queues at your desk”"}
    for index, subject in enumerate(campaign.subject_variants):
        sent = Email.objects.filter(campaign=campaign, subject_variant=index).count()
        replied = Reply.objects.filter(email__subject_variant=index).count()
        assert variants[f"Check-in: “{subject}”"].value == pytest.approx(replied / sent)

    bounces = {bar.label: bar for bar in board.bounce_rates}
    for inbox in inboxes:
        sent = Email.objects.filter(inbox=inbox).count()
        bounced = Email.objects.filter(inbox=inbox, status=EmailStatus.BOUNCED).count()
        assert bounces[inbox.email].value == pytest.approx(bounced / sent)
        assert bounces[inbox.email].limit == 0.05
    assert board.dead_letters == 1


def test_index_page_draws_the_charts_and_links_every_number(admin_client):
    seed()
    page = admin_client.get(reverse("admin:index")).content.decode()
    for chart in ["funnel-chart", "sends-chart", "intents-chart", "campaign-chart", "variant-chart", "bounce-chart"]:
        assert f'id="{chart}"' in page
    assert page.count("<svg") >= 20
    assert "jengu-bar-limit" in page  # caps and the bounce threshold are drawn
    links = re.findall(r'href="(/admin/prospects/prospect/\?stage__in=[^"]+)"', page)
    assert links, "funnel steps link to their changelist"
    replied_link = next(link for link in links if "engaged" in link and "contacted" not in link)
    listed = admin_client.get(replied_link.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert "4 prospects" in listed.content.decode()


def test_dashboard_query_count_does_not_grow_with_the_data(admin_client):
    seed()
    admin_client.get(reverse("admin:index"))  # the session and live settings load once
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(reverse("admin:index")).status_code == 200
    seed(scale=3)
    InboxFactory.create_batch(4)
    CampaignFactory(name="Second campaign")
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        assert admin_client.get(reverse("admin:index")).status_code == 200
    assert len(large) == len(small)


def test_pipeline_health_counts_and_page(admin_client):
    seed()
    ProspectFactory(stage=S.ENRICHING)
    five_hours_ago = timezone.now() - datetime.timedelta(hours=5)
    ProspectFactory(stage=S.NEW, stage_changed_at=five_hours_ago)
    health = {stage.name: stage for stage in pipeline_health()}
    assert health["Enrichment"].waiting == Prospect.objects.filter(stage=S.NEW).count() == 6
    assert health["Enrichment"].oldest_waiting == five_hours_ago
    # one prospect waited 5 hours, five just arrived: the average is about 50 minutes
    assert datetime.timedelta(minutes=45) < health["Enrichment"].average_wait < datetime.timedelta(minutes=55)
    assert health["Enrichment"].in_flight == 1
    assert health["Enrichment"].failed == 1
    assert health["Research"].waiting == 4
    assert health["Composition"].waiting == 3
    assert health["Enrichment"].oldest_waiting is not None
    page = admin_client.get(reverse("admin:pipeline_health")).content.decode()
    assert "Pipeline health" in page and "boom" in page
    assert 'value="retry"' in page and 'value="discard"' in page


def test_dead_letter_retry_from_the_health_page(admin_client):
    letter = DeadLetter.objects.create(stage="enrichment", func="x.y", subject_id="1", attempts=3, error="boom")
    response = admin_client.post(
        reverse("admin:infra_deadletter_changelist"),
        {"action": "discard", "_selected_action": [letter.pk], "index": 0},
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == DeadLetter.Status.DISCARDED


def _sent(inbox, count, *, spam=0, bounced=0):
    prospect = ProspectFactory(stage=S.CONTACTED)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    statuses = [EmailStatus.SPAM] * spam + [EmailStatus.BOUNCED] * bounced
    statuses += [EmailStatus.DELIVERED] * (count - len(statuses))
    Email.objects.bulk_create(
        Email(prospect=prospect, inbox=inbox, to_email=f"guest{i}@hotel.example", subject="s", body="b",
              status=status, sent_at=yesterday)
        for i, status in enumerate(statuses)
    )  # fmt: skip


def test_complaint_and_bounce_rates_per_inbox_and_per_sending_domain_with_the_thresholds(admin_client):
    from constance import config

    config.COMPLAINT_RATE_HALVE_THRESHOLD, config.COMPLAINT_RATE_PAUSE_THRESHOLD = 0.001, 0.003
    config.COMPLAINT_RATE_MIN_SENDS = 500
    config.WARMUP_JITTER = False
    edd, anna = InboxFactory(email="edd@mail.jengu.test"), InboxFactory(email="anna@mail.jengu.test")
    tom = InboxFactory(email="tom@outreach.jengu.test")
    _sent(edd, 400, spam=1, bounced=8)
    _sent(anna, 200, bounced=4)
    _sent(tom, 10, spam=1)
    board = dashboard()

    inboxes = {bar.label: bar for bar in board.complaint_rates}
    assert inboxes[edd.email].value == pytest.approx(1 / 400) and inboxes[edd.email].note == "1 of 400 (0.25%)"
    assert (inboxes[edd.email].limit, inboxes[edd.email].soft_limit) == (0.003, 0.001)
    domains = {bar.label: bar for bar in board.domain_complaint_rates}
    assert domains["mail.jengu.test"].value == pytest.approx(1 / 600)
    assert domains["mail.jengu.test"].note == "1 of 600 (0.17%) — caps halved"
    assert domains["outreach.jengu.test"].note == "1 of 10 (10.00%) — under 500 sends: not acted on"
    bounces = {bar.label: bar for bar in board.domain_bounce_rates}
    assert bounces["mail.jengu.test"].value == pytest.approx(12 / 600) and bounces["mail.jengu.test"].limit == 0.05
    # the cap the sender enforces: halved for the domain over 0.1 %, not for the one under the volume
    caps = {bar.label: bar.limit for bar in board.sends_today}
    assert (caps[edd.email], caps[anna.email], caps[tom.email]) == (20, 20, 40)

    page = admin_client.get(reverse("admin:index")).content.decode()
    for chart in ["domain-complaint-chart", "complaint-chart", "domain-bounce-chart", "bounce-chart"]:
        assert f'id="{chart}"' in page
    thresholds = re.search(r'<p class="jengu-note" id="complaint-thresholds">(.*?)</p>', page, re.S).group(1)
    assert "0.1 %" in thresholds and "0.3 %" in thresholds and "500 sends" in thresholds
    assert "jengu-bar-soft-limit" in page and "caps halved" in page
    assert "/admin/outreach/inbox/?email__iendswith=%40mail.jengu.test" in page
    listed = admin_client.get("/admin/outreach/inbox/?email__iendswith=%40mail.jengu.test")
    assert listed.status_code == 200 and "2 inboxes" in listed.content.decode()


def test_kpis_and_stage_timings_on_the_dashboard(admin_client):
    from infra.models import StateTransition
    from prospects.models import EnrichmentStatus

    now = timezone.now()
    for index in range(3):
        ProspectFactory(enrichment_status=EnrichmentStatus.COMPLETED, company_website=f"https://h{index}.example",
                        email_verified=True)  # fmt: skip
    ProspectFactory(enrichment_status=EnrichmentStatus.FAILED, company_website="", email_verified=False)
    inbox = InboxFactory()
    prospect = ProspectFactory(stage=S.CONTACTED)
    Email.objects.bulk_create(
        Email(prospect=prospect, inbox=inbox, to_email=f"g{i}@hotel.example", subject="s", body="b",
              status=EmailStatus.BOUNCED if i < 2 else EmailStatus.DELIVERED, sent_at=now,
              provider="resend" if i < 10 else "smtp", opened_at=now if i in (3, 4) else None)
        for i in range(20)
    )  # fmt: skip
    email = Email.objects.filter(status=EmailStatus.DELIVERED).first()
    ReplyFactory(email=email, intent="interested", processed_at=now)
    ReplyFactory(email=email, intent="out_of_office", processed_at=now, needs_human=True)
    ct = StateTransition.content_type_for(Prospect)
    for index, seconds in enumerate([60, 120, 600]):
        start = now - datetime.timedelta(hours=1)
        for name, at in (
            ("start_enrichment", start),
            ("finish_enrichment", start + datetime.timedelta(seconds=seconds)),
        ):
            StateTransition.objects.create(content_type=ct, object_id=1000 + index, field="stage", transition=name,
                                           source="x", target="y", actor="task:enrichment", created_at=at)  # fmt: skip
    board = dashboard()
    kpis = {kpi.label: kpi for kpi in board.kpis.items}
    assert kpis["Website found"].value == pytest.approx(3 / 4)
    assert kpis["Verified email found"].value == pytest.approx(3 / 4)
    assert kpis["Full enrichment"].value == pytest.approx(3 / 4)
    assert kpis["Delivered"].value == pytest.approx(18 / 20)
    assert kpis["Open rate"].value == pytest.approx(2 / 10)  # only the ESP's emails report opens
    assert "10 of 20 emails went out through SMTP" in board.kpis.open_rate_note
    assert kpis["Reply rate"].value == pytest.approx(1 / 20)  # an out-of-office is not a person's reply
    assert kpis["Positive-reply rate"].value == pytest.approx(1 / 20)
    assert kpis["Automation share"].value == pytest.approx(1 / 2)
    timings = {timing.name: timing for timing in board.stage_timings}
    assert timings["Enrichment"].samples == 3
    assert timings["Enrichment"].p50 == datetime.timedelta(seconds=120)
    assert timings["Enrichment"].p95 == datetime.timedelta(seconds=600)
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="kpi-table"' in page and 'id="stage-timings"' in page and 'id="open-rate-note"' in page
    assert "75.0%" in page and "2 min" in page
