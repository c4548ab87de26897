"""factory_boy factories for every model the tests build."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from outreach.models import Campaign, Email, Inbox, Sequence, Suppression
from prospects.models import JobPosting, Prospect, ResearchReport
from replies.models import Reply


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@jengu.test")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")


class ProspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prospect

    name = factory.Faker("name")
    title = "General Manager"
    email = factory.Sequence(lambda n: f"gm{n}@hotel{n}.example")
    company_name = factory.Sequence(lambda n: f"Harbour View Hotel {n}")
    company_website = factory.Sequence(lambda n: f"https://hotel{n}.example")
    city = "Denver"
    region = "Colorado"
    country = "US"
    timezone = "America/Denver"
    market_tier = "upscale"


class JobPostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobPosting

    prospect = factory.SubFactory(ProspectFactory)
    source = JobPosting.Source.LINKEDIN
    title = "Front Desk Manager"
    company_name = factory.SelfAttribute("prospect.company_name")
    location = "Denver, CO"


class ResearchReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResearchReport

    prospect = factory.SubFactory(ProspectFactory)
    summary = "Guests mention slow check-in at peak times."
    pain_signals = ["slow check-in"]
    provider = "sandbox"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Campaign {n}")
    product_pitch = "Automated guest check-in that works with your PMS."
    case_studies = ["Marriott Courtyard Austin cut check-in time by 40%"]
    sender_name = "Edd Chen"
    postal_address = "Jengu Ltd, 1 Harbour Street, Bristol BS1 4AA, UK"


class InboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inbox

    email = factory.Sequence(lambda n: f"edd{n}@mail.jengu.test")
    display_name = "Edd Chen"
    smtp_host = "127.0.0.1"
    smtp_port = 2525
    smtp_password = "s3cret-smtp-password"
    warmup_started_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=40))


class EmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Email

    prospect = factory.SubFactory(ProspectFactory)
    campaign = factory.SubFactory(CampaignFactory)
    inbox = factory.SubFactory(InboxFactory)
    subject = "Faster check-ins?"
    body = "Hi, a short note about check-in times."
    from_email = factory.SelfAttribute("inbox.email")
    to_email = factory.SelfAttribute("prospect.email")


class ReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reply

    email = factory.SubFactory(EmailFactory)
    prospect = factory.SelfAttribute("email.prospect")
    from_email = factory.SelfAttribute("email.to_email")
    subject = factory.LazyAttribute(lambda r: f"Re: {r.email.subject}")
    body = "Sounds interesting, tell me more."
    intent = "interested"
    sentiment = "positive"
    confidence = 0.9


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    kind = Suppression.Kind.ADDRESS
    value = factory.Sequence(lambda n: f"blocked{n}@example.com")
    reason = Suppression.Reason.MANUAL


class SequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sequence

    prospect = factory.SubFactory(ProspectFactory)
    campaign = factory.SubFactory(CampaignFactory)
