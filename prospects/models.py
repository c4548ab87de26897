"""Prospects (a hotel and the person we write to), where we found them, what we learned.

Prospect.stage is a state machine (infra.statemachine): it changes only through the
transitions declared below, each one logged in StateTransition.
"""

import enum
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django_countries.fields import CountryField

from infra.safe_fetch import PublicURLValidator
from infra.statemachine import StateField, StateMachine, StateMachineModel, state_check_constraint

unit_interval = [MinValueValidator(0.0), MaxValueValidator(1.0)]
percentage = [MinValueValidator(0.0), MaxValueValidator(100.0)]


def validate_timezone(value: str):
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone (e.g. America/Denver).")


class ProspectStage(models.TextChoices):
    NEW = "new"
    ENRICHING = "enriching"
    ENRICHED = "enriched"
    RESEARCHING = "researching"
    READY = "ready"
    COMPOSING = "composing"
    COMPOSED = "composed"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    CONTACTED = "contacted"
    ENGAGED = "engaged"
    REPLIED = "replied"
    MEETING = "meeting"
    WON = "won"
    LOST = "lost"

    # the prospect has answered us (or is closed): nothing more goes out to them
    ANSWERED = enum.nonmember(frozenset({"engaged", "replied", "meeting", "won", "lost"}))


S = ProspectStage
OPEN_STAGES = [s for s in S.values if s not in (S.WON, S.LOST)]

PROSPECT_TRANSITIONS = {
    # pipeline claims and hand-offs; each claim has a release the sweeper uses when a
    # worker died holding it
    "start_enrichment": ([S.NEW], S.ENRICHING),
    "finish_enrichment": ([S.ENRICHING], S.ENRICHED),
    "release_enrichment": ([S.ENRICHING], S.NEW),
    "reset_enrichment": ([S.ENRICHED], S.NEW),  # an operator asks for enrichment again
    "start_research": ([S.ENRICHED], S.RESEARCHING),
    "finish_research": ([S.RESEARCHING], S.READY),
    "release_research": ([S.RESEARCHING], S.ENRICHED),
    "reset_research": ([S.READY], S.ENRICHED),
    "start_composing": ([S.READY], S.COMPOSING),
    "finish_composing": ([S.COMPOSING], S.COMPOSED),
    "release_composing": ([S.COMPOSING], S.READY),
    "queue": ([S.COMPOSED], S.QUEUED),
    "start_sending": ([S.QUEUED], S.SENDING),
    "finish_sending": ([S.SENDING], S.SENT),
    "release_sending": ([S.SENDING], S.QUEUED),
    "mark_contacted": ([S.SENT], S.CONTACTED),
    # the follow-up loop: each further step of the sequence is recorded on the prospect
    "follow_up": ([S.CONTACTED], S.CONTACTED),
    # the conversation
    # (a reply can beat the sent → contacted hand-off, so "sent" is a source too)
    "mark_engaged": ([S.SENT, S.CONTACTED], S.ENGAGED),
    "mark_replied": ([S.SENT, S.CONTACTED, S.ENGAGED], S.REPLIED),
    "book_meeting": ([S.SENT, S.CONTACTED, S.ENGAGED, S.REPLIED], S.MEETING),
    "cancel_meeting": ([S.MEETING], S.REPLIED),  # the booking was cancelled (replies.services.meetings)
    "mark_won": ([S.MEETING, S.REPLIED], S.WON),
    "mark_lost": (OPEN_STAGES, S.LOST),
}


class CompanyType(models.TextChoices):
    CHAIN_HQ = "chain_hq", "Chain HQ"
    FRANCHISE = "franchise"
    INDEPENDENT = "independent"


class MarketTier(models.TextChoices):
    LUXURY = "luxury"
    UPSCALE = "upscale"
    MIDSCALE = "midscale"
    ECONOMY = "economy"
    BUDGET = "budget"


class Tier(models.TextChoices):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class EnrichmentStatus(models.TextChoices):
    PENDING = "pending"
    IN_PROGRESS = "in_progress", "In progress"
    PARTIAL = "partial"
    COMPLETED = "completed"
    FAILED = "failed"


class LeadSource(models.TextChoices):
    LINKEDIN = "linkedin", "LinkedIn"
    INDEED = "indeed"
    GOOGLE_JOBS = "google_jobs", "Google Jobs"
    SALES_NAVIGATOR = "sales_navigator", "Sales Navigator"
    CSV = "csv", "CSV import"
    DELEGATION = "delegation", "Delegated by a reply"
    MANUAL = "manual"


class DataSourceKind(models.TextChoices):
    """Where the personal data of a prospect came from (GDPR Art. 14(2)(f): we tell them)."""

    JOB_POSTING = "job_posting", "Job posting"
    IMPORT = "import", "Import file"
    WEBSITE = "website", "The hotel's website"
    EMAIL_FINDER = "email_finder", "Email finder service"
    REFERRAL = "referral", "Referral by a colleague"
    API = "api", "API client"
    MANUAL = "manual", "Entered by hand"


class Prospect(StateMachineModel):
    # identity
    name = models.CharField("contact name", max_length=200, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField("job title", max_length=200, blank=True)
    linkedin_url = models.URLField("LinkedIn URL", max_length=300, blank=True)
    source = models.CharField(
        max_length=20,
        choices=LeadSource,
        default=LeadSource.MANUAL,
        db_index=True,
        help_text="where we first found this prospect",
    )

    # company
    company_name = models.CharField(max_length=200)
    # a site Jengu will fetch: only a public host (infra.safe_fetch), checked where it is entered
    company_website = models.URLField(max_length=300, blank=True, validators=[PublicURLValidator("website")])
    company_type = models.CharField(max_length=20, choices=CompanyType, blank=True)

    # location
    country = CountryField(blank=True, db_index=True)
    region = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    timezone = models.CharField(
        "IANA time zone", max_length=64, blank=True, validators=[validate_timezone], help_text="e.g. America/Denver"
    )

    # classification
    market_tier = models.CharField(max_length=10, choices=MarketTier, blank=True)
    tier = models.CharField(max_length=10, choices=Tier, default=Tier.WARM)

    # deduplication (prospects.dedup): one primary prospect per hotel (contact_key ""),
    # further contacts at the same hotel carry their address as contact_key
    # (db_default: rows bulk-loaded with raw SQL get empty keys and are left out of dedup)
    company_key = models.CharField(max_length=200, editable=False, db_index=True, db_default="")
    city_key = models.CharField(max_length=100, editable=False, blank=True, db_default="")
    contact_key = models.CharField(max_length=254, blank=True, editable=False, db_default="")
    website_domain = models.CharField(max_length=253, blank=True, editable=False, db_default="")
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        help_text="the prospect whose reply pointed us to this person",
    )
    referral_note = models.CharField(
        max_length=300, blank=True, help_text="who sent us here, for the first email ('Anna Weber suggested …')"
    )
    # where the personal data came from (prospects.provenance): told in the first email's
    # privacy line and on the privacy notice page
    data_source_kind = models.CharField(
        "data source", max_length=20, choices=DataSourceKind, blank=True, help_text="where the contact's data came from"
    )
    data_source_detail = models.CharField(
        "data source detail",
        max_length=500,
        blank=True,
        help_text="the page or posting URL, 'import #3 leads.csv, row 12', 'referral by prospect #41' …",
    )
    data_source_at = models.DateTimeField("data collected at", null=True, blank=True)

    # pipeline
    stage = StateField(choices=ProspectStage, default=ProspectStage.NEW)
    stage_changed_at = models.DateTimeField(default=now)
    lost_reason = models.CharField(max_length=200, blank=True)
    trace_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # whose prospect this is; changed only through prospects.services.assignment (an event,
    # a notification); indexed with the id for the "mine" changelist below
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_prospects",
        db_index=False,
        help_text="the salesperson who works this prospect",
    )

    # enrichment
    enrichment_status = models.CharField(max_length=12, choices=EnrichmentStatus, default=EnrichmentStatus.PENDING)
    enrichment_score = models.FloatField(default=0.0, validators=unit_interval, help_text="0–1: how complete")
    email_verified = models.BooleanField(default=False)
    email_verification_score = models.FloatField(null=True, blank=True, validators=unit_interval)

    # engagement
    email_sent_count = models.PositiveIntegerField(default=0)
    last_email_sent_at = models.DateTimeField(null=True, blank=True)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    reply_pending_since = models.DateTimeField(
        null=True, blank=True, help_text="a reply arrived and is not read yet: nothing more is sent until it is"
    )
    behavioral_score = models.FloatField(default=0.0, validators=percentage, help_text="0–100")

    # analysis
    website_analysis = models.JSONField(default=dict, blank=True)
    research_report = models.JSONField(default=dict, blank=True, help_text="summary of the latest ResearchReport")
    pain_signals = models.JSONField(default=list, blank=True)
    competitor_tools = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(default=now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="when its personal data was erased (GDPR, or retention)"
    )

    state_machine = StateMachine(field="stage", transitions=PROSPECT_TRANSITIONS, timestamp_field="stage_changed_at")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["stage", "stage_changed_at"], name="prospect_stage_idx"),
            models.Index(fields=["tier", "-id"], name="prospect_tier_idx"),
            models.Index(fields=["stage", "-id"], name="prospect_stage_page_idx"),  # filtered changelist pages
            models.Index(fields=["owner", "-id"], name="prospect_owner_page_idx"),  # "mine", newest first
            # every ingest reads the other hotels of its city (prospects.dedup._flag_near_duplicates);
            # without this that was a full scan, 1.4 s per new prospect at a million rows
            models.Index(
                fields=["city_key"],
                name="prospect_city_hotels_idx",
                condition=models.Q(contact_key="") & models.Q(merged_into__isnull=True),
            ),
            # The trigram indexes that serve substring search live in migration 0002:
            # they exist on PostgreSQL only, and SQLite cannot create a GIN index.
        ]
        constraints = [
            state_check_constraint("prospect", "stage", ProspectStage),
            models.UniqueConstraint(
                fields=["company_key", "city_key", "contact_key"],
                name="prospect_one_per_hotel",
                condition=~models.Q(company_key="") & models.Q(merged_into__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["website_domain", "contact_key"],
                name="prospect_one_per_domain",
                condition=~models.Q(website_domain="") & models.Q(merged_into__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["email"],
                name="prospect_one_per_email",
                condition=~models.Q(email="") & models.Q(merged_into__isnull=True),
            ),
            models.CheckConstraint(
                condition=models.Q(enrichment_score__gte=0, enrichment_score__lte=1),
                name="prospect_enrichment_score_range",
            ),
            models.CheckConstraint(
                condition=models.Q(behavioral_score__gte=0, behavioral_score__lte=100),
                name="prospect_behavioral_score_range",
            ),
        ]

    def __str__(self):
        who = f"{self.name} — " if self.name else ""
        return f"{who}{self.company_name}"

    def save(self, *args, **kwargs):
        from prospects.dedup import city_key, company_key, website_domain

        # one line, single spaces, whoever wrote it (a CSV cell may hold a newline or a tab)
        self.company_name = " ".join(self.company_name.split())
        # the dedup keys are derived from what people edit, so they can never drift
        self.company_key = company_key(self.company_name)
        self.city_key = city_key(self.city)
        self.website_domain = website_domain(self.company_website)
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower() if "@" in self.email else ""


class Consent(models.Model):
    """A prospect's recorded consent to be emailed: the evidence a consent-only country needs.

    Rows are only added (prospects.provenance.consent_record), never edited, so the
    history of what we relied on stays. Withdrawing consent is an unsubscribe: the
    suppression list, which every send checks first.
    """

    class Source(models.TextChoices):
        WEB_FORM = "web_form", "Web form or sign-up"
        EMAIL = "email", "They asked us in writing"
        IN_PERSON = "in_person", "In person (trade fair, meeting)"
        PHONE = "phone", "Phone call"
        # CASL's implied consent: the address was conspicuously published (evidence: where)
        # with no statement refusing unsolicited email. Not consent where express consent is required.
        PUBLISHED = "published", "Published address (implied consent, CASL)"
        OTHER = "other"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="consents")
    source = models.CharField(max_length=20, choices=Source)
    given_at = models.DateTimeField(help_text="when they gave it")
    evidence = models.TextField(
        help_text="what shows it: a quote, a form submission id, a URL, where the note is filed"
    )
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self):
        return f"{self.get_source_display()} consent of {self.given_at:%Y-%m-%d}"


class JobPosting(models.Model):
    """A job advert where we found a prospect: the hiring signal."""

    Source = LeadSource

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="job_postings")
    source = models.CharField(max_length=20, choices=Source)
    title = models.CharField(max_length=200)
    company_name = models.CharField(max_length=200)
    location = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    posted_at = models.DateField(null=True, blank=True)
    snippet = models.TextField(blank=True)
    found_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        ordering = ["-found_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "url"], condition=~models.Q(url=""), name="jobposting_once")
        ]

    def __str__(self):
        return f"{self.title} at {self.company_name} ({self.get_source_display()})"


class PossibleDuplicate(models.Model):
    """Two prospects whose hotel names are close but whose keys differ: a human decides."""

    class Status(models.TextChoices):
        OPEN = "open"
        MERGED = "merged"
        NOT_DUPLICATE = "not_duplicate", "Not a duplicate"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="+", help_text="the older one (kept)")
    other = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="+", help_text="merged into the first")
    score = models.FloatField(help_text="name similarity, 0–100")
    status = models.CharField(max_length=15, choices=Status, default=Status.OPEN, db_index=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-score"]
        constraints = [models.UniqueConstraint(fields=["prospect", "other"], name="possible_duplicate_pair_once")]

    def __str__(self):
        return f"#{self.prospect_id} ~ #{self.other_id} ({self.score:.0f})"


class ResearchReport(models.Model):
    """What the research stage found about one prospect's hotel."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="research_reports")
    summary = models.TextField(blank=True)
    news = models.JSONField(default=list, blank=True)
    competitors = models.JSONField(default=list, blank=True)
    pain_signals = models.JSONField(default=list, blank=True)
    social_presence = models.JSONField(default=dict, blank=True)
    sources = models.JSONField(default=list, blank=True)
    provider = models.CharField(max_length=20, blank=True, help_text="grok, claude or sandbox")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self):
        return f"Research on {self.prospect.company_name} ({self.created_at:%Y-%m-%d})"


class ProspectImport(models.Model):
    """One uploaded Sales Navigator / CSV export and what became of each of its rows."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField("created", default=0)
    merged_count = models.PositiveIntegerField("merged", default=0)
    skipped_count = models.PositiveIntegerField("skipped", default=0)
    notes = models.JSONField(default=list, blank=True, help_text="file-level remarks (encoding, delimiter, columns)")
    report = models.JSONField(default=list, blank=True, help_text="one entry per row: row, outcome, reason, prospect")
    error = models.TextField(blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name or self.file.name} ({self.status})"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class WebsitePage(models.Model):
    """A fetched hotel web page, its HTML kept in Django storage for a week."""

    url = models.URLField(max_length=500, unique=True)
    final_url = models.URLField(max_length=500, blank=True, help_text="after redirects")
    domain = models.CharField(max_length=253, db_index=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    html = models.FileField(upload_to="websites/%Y/%m/", blank=True, max_length=255)
    size_bytes = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        ordering = ["-fetched_at"]

    def __str__(self):
        return f"{self.url} ({self.fetched_at:%Y-%m-%d})"


class EmailVerification(models.Model):
    """One address checked by a verifier; reused for 30 days so no credit is spent twice."""

    class Result(models.TextChoices):
        OK = "ok"
        CATCH_ALL = "catch_all", "Catch-all"
        UNKNOWN = "unknown"
        INVALID = "invalid"
        DISPOSABLE = "disposable"
        ERROR = "error"

    address = models.EmailField(unique=True)
    result = models.CharField(max_length=12, choices=Result)
    quality = models.CharField(max_length=20, blank=True, help_text="the verifier's own word (good, risky, bad)")
    score = models.FloatField(validators=unit_interval, help_text="0–1, compared with the live threshold")
    provider = models.CharField(max_length=20, help_text="millionverifier, hunter or sandbox")
    credits_used = models.PositiveSmallIntegerField(default=0)
    raw = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self):
        return f"{self.address}: {self.result} ({self.score:.2f})"


class Note(models.Model):
    """Free text a salesperson keeps on a prospect; on its timeline, erased with the person."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="notes", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["prospect", "-created_at"], name="note_prospect_idx")]

    def __str__(self):
        return f"Note on #{self.prospect_id} ({self.created_at:%Y-%m-%d})"


class Task(models.Model):
    """Something a person must do about a prospect by a time: "call the GM on Tuesday"."""

    class Kind(models.TextChoices):
        TODO = "todo", "To do"
        CALL = "call"
        MEETING = "meeting"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.TODO)
    due_at = models.DateTimeField("due")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # "My tasks": one person's open tasks by due time
            models.Index(fields=["assignee", "done_at", "due_at"], name="task_assignee_open_idx"),
            models.Index(fields=["prospect", "due_at"], name="task_prospect_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.done_at is None


class AssignmentCursor(models.Model):
    """Where a round-robin stands: the last user it gave something to (prospects.services.assignment).

    A plain id, not a foreign key: a user deleted since leaves the cursor usable (the
    next one is whoever comes after that id).
    """

    name = models.CharField(max_length=40, unique=True)
    last_user_id = models.BigIntegerField(null=True, blank=True)
    turns = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name}: after user #{self.last_user_id}"
