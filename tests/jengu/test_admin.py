"""The operator admin: every page renders, roles are enforced, actions do what they say."""

import pytest
from constance import config
from django.contrib import admin
from django.urls import reverse

from infra.models import Event, StateTransition
from outreach.models import Inbox, InboxState
from prospects.models import ProspectStage
from tests.factories import (
    CampaignFactory,
    EmailFactory,
    InboxFactory,
    JobPostingFactory,
    ProspectFactory,
    ReplyFactory,
    ResearchReportFactory,
    SuppressionFactory,
)

READ_ONLY = {
    "statetransition",
    "event",
    "deadletter",
    "circuitstate",
    "alert",
    "alertnotice",  # written by the alert rules and alert_send only (infra.alerts)
    "possibleduplicate",
    "webhookdelivery",
    "sinkmessage",
    "sendingdomain",  # written by the DNS check only (outreach.services.domain_auth)
    "meeting",  # written by the booking webhooks and the meeting actions only (replies.services.meetings)
    "note",  # notes and tasks are added on the prospect's page, through prospects.services.notes
    "task",
    "bulkoperation",  # written by the admin's bulk actions only (infra.bulk)
}
OUR_APPS = {"auth", "infra", "prospects", "outreach", "replies"}
CONCRETE = sorted((m for m in admin.site._registry if m._meta.app_label in OUR_APPS), key=lambda m: m._meta.label)


@pytest.fixture
def data(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reply = ReplyFactory()
    JobPostingFactory(prospect=reply.prospect)
    ResearchReportFactory(prospect=reply.prospect)
    SuppressionFactory()
    from infra.events import event_record
    from infra.statemachine import transition
    from outreach.models import InboxDay
    from replies.models import CalibrationHistory

    transition(reply.prospect, "start_enrichment", by="test")
    event_record("test.event", message="something happened", trace_id=reply.prospect.trace_id)
    InboxDay.objects.create(inbox=reply.email.inbox, day="2026-11-27", cap=20, sent=3)
    from outreach.models import SendDecision, SinkMessage

    SendDecision.objects.create(email=reply.email, outcome="sent", reason="ok", inbox=reply.email.inbox)
    SinkMessage.objects.create(message_id="<m@x>", mail_from="a@x.test", rcpt_to="b@y.test", subject="Hi", raw="x")
    from outreach.models import SendingDomain

    SendingDomain.objects.create(domain="mail.jengu.test", state="failing", failure_reason="no SPF record")
    from replies.models import Meeting

    Meeting.objects.create(prospect=reply.prospect, provider="calcom", external_id="uid-1")
    CalibrationHistory.objects.create(
        reply=reply, predicted_intent="interested", predicted_confidence=0.6, corrected_intent="delegated"
    )
    from django.core.files.base import ContentFile

    from infra.models import Alert, CircuitState, DeadLetter
    from prospects.models import PossibleDuplicate, ProspectImport

    Alert.objects.create(key="inbox.paused:1", last_text="paused", last_sent_at="2026-11-27T10:00:00Z")
    from infra.models import AlertNotice

    AlertNotice.objects.create(key="inbox.paused:1", kind="sent", text="Inbox paused", delivered=True)
    CircuitState.objects.create(key="ai:grok", state="open", consecutive_failures=3, opened_at="2026-11-27T10:00Z")
    DeadLetter.objects.create(
        stage="enrichment",
        func="prospects.pipeline.run_enrichment",
        subject_id=str(reply.prospect.pk),
        attempts=3,
        error="ConnectionError: down",
    )
    twin = ProspectFactory(company_name=reply.prospect.company_name + " Downtown", city=reply.prospect.city)
    PossibleDuplicate.objects.create(prospect=reply.prospect, other=twin, score=91.0)
    ProspectImport.objects.create(
        original_name="x.csv",
        file=ContentFile(b"Company\nA\n", name="x.csv"),
        total_rows=1,
        processed_rows=1,
        created_count=1,
        report=[{"row": 2, "outcome": "created", "prospect": twin.pk, "company": "A"}],
    )
    from infra.api_auth import api_key_issue
    from infra.models import ApiKey, WebhookDelivery, WebhookSubscriber

    api_key_issue(key=ApiKey(name="bi-tool", scopes=["read"]))
    subscriber = WebhookSubscriber.objects.create(name="booking-sync", url="https://hooks.example/jengu")
    WebhookDelivery.objects.create(subscriber=subscriber, event="email.sent", payload={"data": {"email_id": 1}})
    from infra.models import BulkOperation

    BulkOperation.objects.create(action="prospects.mark_lost", description="Mark lost", total=0, created_by="sally")
    from django.contrib.auth.models import Group

    assert Group.objects.exists()
    from prospects.services.notes import note_add, task_add

    note_add(prospect=reply.prospect, text="Prefers calls after 4pm", by="test")
    task_add(prospect=reply.prospect, title="Call the GM", due_at=reply.received_at, by="test")
    return reply


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", CONCRETE, ids=lambda m: m._meta.label)
def test_changelist_renders(admin_client, data, model):
    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", CONCRETE, ids=lambda m: m._meta.label)
def test_change_page_renders(admin_client, data, model):
    obj = model._default_manager.first()
    assert obj is not None, f"the fixture should create a {model.__name__}"
    response = admin_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", CONCRETE, ids=lambda m: m._meta.label)
def test_add_page_renders_or_is_refused_on_purpose(admin_client, rf, superuser, model):
    request = rf.get("/")
    request.user = superuser
    addable = admin.site._registry[model].has_add_permission(request)
    response = admin_client.get(_url(model, "add"))
    assert response.status_code == (200 if addable else 403)
    # only the logs and the review lists are read-only
    assert addable or model._meta.model_name in READ_ONLY


@pytest.mark.django_db
def test_index_and_live_settings_render(admin_client):
    assert admin_client.get(reverse("admin:index")).status_code == 200
    assert admin_client.get(reverse("admin:constance_config_changelist")).status_code == 200


@pytest.mark.django_db
def test_prospect_page_shows_emails_replies_postings_and_history(admin_client, data):
    response = admin_client.get(_url(type(data.prospect), "change", data.prospect.pk))
    html = response.content.decode()
    assert data.email.subject in html
    assert data.body[:10] in html or data.from_email in html
    assert "Front Desk Manager" in html
    assert "stage history" in html.lower()
    assert "start_enrichment" in html


@pytest.mark.django_db
def test_inbox_password_is_never_rendered(admin_client):
    inbox = InboxFactory(smtp_password="hunter2-very-secret")
    html = admin_client.get(_url(Inbox, "change", inbox.pk)).content.decode()
    assert "hunter2-very-secret" not in html
    assert "hunter2-very-secret" not in repr(inbox)


@pytest.mark.django_db
def test_inbox_edit_with_blank_password_keeps_the_stored_one(admin_client):
    inbox = InboxFactory(smtp_password="keep-me")
    form = {
        "email": inbox.email,
        "display_name": "New Name",
        # the same server: a new one needs the password again (tests/security/test_inbox_secrets.py)
        "smtp_host": inbox.smtp_host,
        "smtp_port": inbox.smtp_port,
        "smtp_username": "",
        "smtp_password": "",
        "imap_host": "",
        "imap_port": 993,
        "imap_password": "",
        "warmup_started_on": "2026-10-01",
        "daily_ceiling": 30,
        "health_score": 1,
        "reputation_score": 1,
    }
    response = admin_client.post(_url(Inbox, "change", inbox.pk), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    inbox.refresh_from_db()
    assert (inbox.display_name, inbox.smtp_password) == ("New Name", "keep-me")


# --- actions ---------------------------------------------------------------------


@pytest.mark.django_db
def test_pause_and_resume_inbox_actions(admin_client):
    inbox = InboxFactory()
    url = _url(Inbox, "changelist")
    admin_client.post(url, {"action": "pause", "_selected_action": [inbox.pk]})
    inbox.refresh_from_db()
    assert inbox.state == InboxState.PAUSED
    assert StateTransition.objects.filter(object_id=inbox.pk, transition="pause", actor="user:root-admin").exists()
    assert Event.objects.filter(name="inbox.paused").exists()
    admin_client.post(url, {"action": "resume", "_selected_action": [inbox.pk]})
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE


@pytest.mark.django_db
def test_pausing_a_paused_inbox_reports_an_error_not_a_crash(admin_client):
    inbox = InboxFactory()
    url = _url(Inbox, "changelist")
    admin_client.post(url, {"action": "pause", "_selected_action": [inbox.pk]})
    response = admin_client.post(url, {"action": "pause", "_selected_action": [inbox.pk]}, follow=True)
    assert response.status_code == 200
    assert "Cannot pause" in response.content.decode()


@pytest.mark.django_db
def test_mark_lost_action(admin_client):
    prospect = ProspectFactory()
    admin_client.post(_url(type(prospect), "changelist"), {"action": "mark_lost", "_selected_action": [prospect.pk]})
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.LOST
    assert prospect.lost_reason == "marked lost from the admin"
    log = StateTransition.objects.get(object_id=prospect.pk, transition="mark_lost")
    assert log.actor == "user:root-admin"


@pytest.mark.django_db
def test_sales_books_a_meeting_then_marks_the_deal_won_from_the_list(client, sales_user):
    replied = ProspectFactory(stage=ProspectStage.REPLIED)
    fresh = ProspectFactory(stage=ProspectStage.NEW)
    client.force_login(sales_user)
    url = _url(type(replied), "changelist")
    response = client.post(url, {"action": "book_meeting", "_selected_action": [replied.pk, fresh.pk]}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert texts[0] == "1 row(s): moved to meeting."
    assert f"Cannot book meeting prospect #{fresh.pk}: it is 'new'" in texts[1]  # the refusal says why
    replied.refresh_from_db()
    fresh.refresh_from_db()
    assert (replied.stage, fresh.stage) == (ProspectStage.MEETING, ProspectStage.NEW)
    client.post(url, {"action": "mark_won", "_selected_action": [replied.pk]})
    replied.refresh_from_db()
    assert replied.stage == ProspectStage.WON
    log = StateTransition.objects.get(object_id=replied.pk, transition="mark_won")
    assert log.actor == f"user:{sales_user.username}" and log.reason == "from the admin"


@pytest.mark.django_db
def test_gdpr_erasure_from_the_admin_asks_first_then_erases(admin_client):
    from outreach.services.suppression import suppression_blocks

    person = ProspectFactory(name="Zoë Lindqvist", email="zoe@grand-harbour.example")
    bystander = ProspectFactory()
    changelist = _url(type(person), "changelist")
    asked = admin_client.post(changelist, {"action": "erase_personal_data", "_selected_action": [person.pk]})
    page = asked.content.decode()
    assert asked.status_code == 200 and "cannot be undone" in page and "zoe@grand-harbour.example" in page
    person.refresh_from_db()
    assert person.name == "Zoë Lindqvist"  # nothing happens before the confirmation

    done = admin_client.post(
        changelist,
        {"action": "erase_personal_data", "_selected_action": [person.pk], "confirm": "yes"},
        follow=True,
    )
    assert "1 row(s): personal data erased." in done.content.decode()
    person.refresh_from_db()
    assert (person.name, person.email, person.stage) == ("", "", ProspectStage.LOST)
    assert suppression_blocks("zoe@grand-harbour.example") is not None
    assert Event.objects.get(name="prospect.erased").actor == "user:root-admin"
    bystander.refresh_from_db()
    assert bystander.name and bystander.email


@pytest.mark.django_db
def test_gdpr_erasure_needs_the_delete_permission(client):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_prospect", "change_prospect"]))
    client.force_login(clerk)
    person = ProspectFactory()
    response = client.get(_url(type(person), "changelist"))
    assert response.status_code == 200
    assert "erase_personal_data" not in response.content.decode()
    client.post(
        _url(type(person), "changelist"),
        {"action": "erase_personal_data", "_selected_action": [person.pk], "confirm": "yes"},
    )
    person.refresh_from_db()
    assert person.name


@pytest.mark.django_db
def test_emergency_stop_and_resume_from_the_index_page(admin_client):
    assert config.SENDING_ENABLED is True
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="emergency-stop"' in index
    admin_client.post(reverse("admin:sending_control"), {"action": "stop", "reason": "bounce spike"})
    assert config.SENDING_ENABLED is False
    assert Event.objects.filter(name="sending.emergency_stop", message="bounce spike").exists()
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "EMERGENCY STOP" in index and 'id="resume-sending"' in index
    admin_client.post(reverse("admin:sending_control"), {"action": "resume"})
    assert config.SENDING_ENABLED is True


# --- roles -------------------------------------------------------------------------


@pytest.mark.django_db
def test_sales_user_cannot_edit_inboxes_or_stop_sending(client, sales_user):
    inbox = InboxFactory()
    client.force_login(sales_user)
    assert client.get(_url(Inbox, "changelist")).status_code == 200  # may look
    response = client.post(_url(Inbox, "change", inbox.pk), {"display_name": "hijacked"})
    assert response.status_code == 403
    assert client.get(_url(Inbox, "add")).status_code == 403
    client.post(_url(Inbox, "changelist"), {"action": "pause", "_selected_action": [inbox.pk]})
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE
    assert client.post(reverse("admin:sending_control"), {"action": "stop"}).status_code == 403
    assert config.SENDING_ENABLED is True
    assert 'id="emergency-stop"' not in client.get(reverse("admin:index")).content.decode()
    assert client.post(reverse("admin:constance_config_changelist"), {"SENDING_ENABLED": ""}).status_code in (
        302,
        403,
        200,
    )
    assert config.SENDING_ENABLED is True


@pytest.mark.django_db
def test_the_prospect_form_refuses_another_prospects_email_or_hotel_on_the_field(rf, admin_user):
    import json

    from django import forms
    from django.forms.models import model_to_dict

    taken = ProspectFactory(email="gm@adlon.example", company_name="Hotel Adlon", city="Berlin")
    prospect = ProspectFactory(email="", company_name="Hotel Bristol", city="Berlin")
    request = rf.get("/")
    request.user = admin_user
    form_class = admin.site._registry[type(prospect)].get_form(request, obj=prospect)

    def submit(**changes):
        data = model_to_dict(prospect, fields=form_class.base_fields)
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.JSONField):
                data[name] = json.dumps(data[name])
            elif data.get(name) is None:
                data[name] = ""
        return form_class(data={**data, **changes}, instance=prospect)

    assert submit(title="General Manager").is_valid()
    form = submit(email="gm@adlon.example")
    assert not form.is_valid()
    assert form.errors["email"] == [f"Prospect #{taken.pk} (Hotel Adlon) already has this email address."]
    form = submit(company_name="The Adlon")  # "Hotel"/"The" are ignored: the same hotel in Berlin
    assert not form.is_valid() and "this hotel in this city" in form.errors["company_name"][0]


@pytest.mark.django_db
def test_sales_user_works_prospects(client, sales_user):
    prospect = ProspectFactory()
    client.force_login(sales_user)
    assert client.get(_url(type(prospect), "change", prospect.pk)).status_code == 200
    client.post(_url(type(prospect), "changelist"), {"action": "mark_lost", "_selected_action": [prospect.pk]})
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.LOST


@pytest.mark.django_db
def test_operations_user_can_pause_inboxes_and_stop_sending(client, ops_user):
    inbox = InboxFactory()
    client.force_login(ops_user)
    client.post(_url(Inbox, "changelist"), {"action": "pause", "_selected_action": [inbox.pk]})
    inbox.refresh_from_db()
    assert inbox.state == InboxState.PAUSED
    client.post(reverse("admin:sending_control"), {"action": "stop"})
    assert config.SENDING_ENABLED is False


@pytest.mark.django_db
def test_campaign_and_email_pages_for_a_full_thread(admin_client):
    email = EmailFactory(campaign=CampaignFactory(name="Spring"))
    assert admin_client.get(_url(type(email), "change", email.pk)).status_code == 200
