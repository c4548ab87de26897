"""``manage.py seed_demo``: a generated, realistic demo data set, made the way production makes it.

Hotels in seventeen countries (chain properties named brand + city + area, independent
boutique hotels, a few chain head offices), each with its general manager, the job
postings that made us find it and a pipeline story. The story is walked transition by
transition through ``infra.statemachine.transition`` with back-dated ``at=`` times, so
every prospect's and email's stage history in the admin reads like real work:
enrichment and research minutes or hours apart, sends inside the prospect's local
business hours (Mon–Sat 08–18) from an inbox that still had warmup room that day,
follow-ups on the campaign's days, replies, meetings, wins and losses.

Contract:

* One transaction: the batch is written completely or not at all.
* Deterministic: on an empty database ``--seed S`` always produces the same hotels,
  people and stages. Times are relative to now, and the few sends in flight are placed
  in cities where it is business hours now, so exact minutes depend on the clock.
  Running it again adds another batch, drawn from a generator seeded with S and the
  number of prospects already present, so addresses and hotel names do not repeat;
  campaigns and inboxes are found by name / address (get_or_create) and InboxDay
  counters are topped up, never beyond the day's cap.
* Every address and website is on the reserved ``.example`` domain (RFC 2606) and every
  phone number is in a range set aside for fiction, so no demo email can reach a real
  person even after real provider keys are configured. Brand names are real, people
  and head offices are invented.
* All transitions are recorded with the actor ``system:seed_demo``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_countries import countries

from infra.errors import ApplicationError
from infra.events import event_record
from infra.statemachine import transition
from jengu.demo.catalogue import (
    BOOKING_ENGINES,
    BRANDS,
    CAMPAIGNS,
    COUNTRIES,
    COUNTRY_BY_CODE,
    DELEGATE_TITLES,
    GUEST_TOOLS,
    HEAD_OFFICES,
    HQ_TITLES,
    INBOX_WEIGHTS,
    INBOXES,
    INDEPENDENT_TITLES,
    INDEPENDENTS,
    JOB_SNIPPETS,
    JOB_TITLES,
    LOCAL_TITLES,
    MEETING_SLOTS,
    NEWS,
    NOT_INTERESTED,
    OUT_OF_OFFICE,
    PAIN_SIGNALS,
    PEOPLE,
    PMS,
    POSTAL_ADDRESS,
    PROPERTY_TITLES,
    REPLY_BODIES,
    ROOMS,
    SEND_FAILURES,
    SUPPRESSED_DOMAINS,
    City,
    Country,
)
from jengu.demo.dice import DAY, HOUR, MINUTE
from jengu.demo.intents import INTENTS, MISREAD
from outreach.composition.context import phrasings
from outreach.models import (
    TIER_SEND_RANK,
    Campaign,
    Email,
    EmailStatus,
    Inbox,
    InboxDay,
    Suppression,
    suppression_hash,
)
from outreach.selectors import inbox_warmup_cap
from outreach.services.inbox_health import inbox_scores_compute
from prospects.dedup import city_key, company_key, website_domain
from prospects.models import (
    CompanyType,
    EnrichmentStatus,
    JobPosting,
    MarketTier,
    Prospect,
    ProspectStage,
    ResearchReport,
    Tier,
)
from replies.models import CalibrationHistory, Intent, Reply

ACTOR = "system:seed_demo"
S = ProspectStage

# How a batch of 240 spreads over the stages (scaled for other sizes; at least 3 each
# once there are 48 or more prospects): a realistic funnel, most prospects contacted.
STAGE_WEIGHTS = {
    S.NEW: 24,
    S.ENRICHING: 6,
    S.ENRICHED: 18,
    S.RESEARCHING: 6,
    S.READY: 16,
    S.COMPOSING: 5,
    S.COMPOSED: 14,
    S.QUEUED: 14,
    S.SENDING: 5,
    S.SENT: 5,
    S.CONTACTED: 56,
    S.ENGAGED: 14,
    S.REPLIED: 14,
    S.MEETING: 10,
    S.WON: 7,
    S.LOST: 26,
}

LOST_PATHS = [
    ("duplicate", 2),
    ("closed", 1),
    ("no_email", 3),
    ("group_buys", 2),
    ("no_reply", 5),
    ("bounce", 3),
    ("spam", 1),
    ("unsubscribe", 3),
    ("not_interested", 4),
    ("after_meeting", 2),
]


def stage_counts(total: int) -> dict[str, int]:
    """How many prospects per stage: at least 3 each (when total allows), the rest by weight."""
    floor = min(3, total // len(STAGE_WEIGHTS))
    rest = total - floor * len(STAGE_WEIGHTS)
    weight_sum = sum(STAGE_WEIGHTS.values())
    quotas = {stage: rest * weight / weight_sum for stage, weight in STAGE_WEIGHTS.items()}
    counts = {stage: floor + int(quota) for stage, quota in quotas.items()}
    leftover = total - sum(counts.values())
    for stage in sorted(quotas, key=lambda s: quotas[s] - int(quotas[s]), reverse=True)[:leftover]:
        counts[stage] += 1
    return counts


def ascii_slug(text: str) -> str:
    return slugify(text.replace("ß", "ss").replace("&", "and"))


# ---------------------------------------------------------------------------------
# Stories: the steps a prospect went through, then solved into times, then written.
# ---------------------------------------------------------------------------------


@dataclass
class Step:
    kind: str
    gap: dt.timedelta  # time since the previous step (since creation for the first one)
    window: str = ""  # "send": local business hours and an inbox slot; "reply": local waking hours
    data: dict = field(default_factory=dict)
    at: dt.datetime | None = None


@dataclass
class Story:
    stage: str
    steps: list[Step]
    final_gap: dt.timedelta  # time between the last step and now
    path: str = ""
    created_at: dt.datetime | None = None


class SendCalendar:
    """Which inbox had a free slot on which day, so no generated day passes its warmup cap.

    A slot is counted on the inbox's day of the claim (queued→sending), in the project's
    time zone, exactly as the sender counts it.
    """

    def __init__(self, inboxes: list[Inbox], rows: list[InboxDay], rng: random.Random):
        self.rng = rng
        self.sent: Counter = Counter()
        self.caps: dict[tuple[int, dt.date], int] = {}
        self.existing = {(row.inbox_id, row.day): row for row in rows}
        for row in rows:
            self.sent[(row.inbox_id, row.day)] = row.sent
            self.caps[(row.inbox_id, row.day)] = row.cap
        self.touched: set[tuple[int, dt.date]] = set()
        self.app_tz = timezone.get_current_timezone()

    def cap(self, inbox: Inbox, day: dt.date) -> int:
        key = (inbox.pk, day)
        if key not in self.caps:
            self.caps[key] = inbox_warmup_cap(inbox, day)
        return self.caps[key]

    def _evening(self, local: dt.datetime) -> dt.datetime:
        return local.replace(hour=17, minute=self.rng.randint(0, 59), second=self.rng.randint(0, 59))

    def reserve(self, at: dt.datetime, tz: zoneinfo.ZoneInfo, inbox: Inbox) -> dt.datetime | None:
        """The latest moment not after ``at`` in local business hours with a free slot; takes it."""
        local = at.astimezone(tz)
        for _ in range(2000):
            if local.hour < 8 or local.weekday() == 6:
                local = self._evening(local - dt.timedelta(days=1))
                continue
            if local.hour >= 18:
                local = self._evening(local)
                continue
            day = timezone.localtime(local, self.app_tz).date()
            if day < inbox.warmup_started_on:
                return None
            key = (inbox.pk, day)
            if self.sent[key] < self.cap(inbox, day):
                self.sent[key] += 1
                self.touched.add(key)
                return local.astimezone(dt.UTC)
            start_of_day = dt.datetime.combine(day, dt.time(), tzinfo=self.app_tz)
            local = (start_of_day - dt.timedelta(seconds=self.rng.randint(60, 3 * HOUR))).astimezone(tz)
        return None

    def give_back(self, taken: list[tuple[int, dt.date]]):
        for key in taken:
            self.sent[key] -= 1


@dataclass
class Context:
    """What the templates of one prospect's emails and replies may mention."""

    first: str = ""
    lang: str = "en"
    domain: str = ""
    rooms: int = 0
    pms: str = ""
    job: str = ""
    pain: str = ""
    currency: str = "€"
    subject: str = ""


class DemoBatch:
    """Plans one batch in memory, then writes it with a handful of bulk inserts plus the transitions."""

    def __init__(self, *, rng: random.Random, now: dt.datetime, campaigns, inboxes, calendar, taken):
        self.master = self.rng = rng
        self.now = now
        self.campaigns = campaigns
        self.inboxes = inboxes
        self.calendar = calendar
        self.taken: Taken = taken
        self.prospects: list[Prospect] = []
        self.emails: list[Email] = []
        self.postings: list[JobPosting] = []
        self.reports: list[ResearchReport] = []
        self.replies: list[Reply] = []
        self.suppressions: list[Suppression] = []
        self.events: list[tuple] = []  # (at, seq, obj, transition, reason, trace_id)
        self.stages: Counter = Counter()

    # -- randomness -------------------------------------------------------------------
    def secs(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(seconds=self.rng.uniform(low, high))

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def weighted(self, pairs):
        items, weights = zip(*pairs, strict=True)
        return self.rng.choices(items, weights=weights)[0]

    # -- planning ---------------------------------------------------------------------
    def add(self, stage: str):
        # Two random streams per prospect, both drawn from the batch's generator: who the
        # hotel is never depends on how its story's times fell (that varies with the clock).
        identity, story_stream = (random.Random(self.master.getrandbits(64)) for _ in range(2))
        self.rng = self.calendar.rng = identity
        country, city = self._place(stage)
        prospect, ctx = self._prospect(country, city)
        self.rng = self.calendar.rng = story_stream
        campaign = self.campaigns[1] if prospect.company_type == CompanyType.INDEPENDENT else self.campaigns[0]
        tz = zoneinfo.ZoneInfo(city.tz)
        order = self.rng.choices(range(len(self.inboxes)), weights=INBOX_WEIGHTS[: len(self.inboxes)])
        order += [i for i in self.rng.sample(range(len(self.inboxes)), len(self.inboxes)) if i not in order]
        for _attempt in range(3):  # a long story may not fit the inboxes' warmup: draw it again
            story = self._story(stage, campaign)
            inbox = next((self.inboxes[i] for i in order if self._solve(story, tz, self.inboxes[i])), None)
            if inbox:
                break
        else:
            # no inbox had room early enough (a very large batch): the prospect waits in the queue
            inbox = self.inboxes[order[0]]
            story = self._story(S.QUEUED, campaign, allow_failure=False)
            self._solve(story, tz, inbox)
        self._write(prospect, ctx, story, campaign, inbox, country, city)

    def _place(self, stage: str) -> tuple[Country, City]:
        places = [(country, city) for country in COUNTRIES for city in country.cities]
        weights = [country.weight / len(country.cities) for country, _ in places]
        if stage in (S.SENDING, S.SENT):
            # a send in flight right now must be inside the prospect's business hours
            open_now = [
                i
                for i, (_, city) in enumerate(places)
                if 8 <= self.now.astimezone(zoneinfo.ZoneInfo(city.tz)).hour < 17
                and self.now.astimezone(zoneinfo.ZoneInfo(city.tz)).weekday() < 6
            ]
            if open_now:
                places = [places[i] for i in open_now]
                weights = [weights[i] for i in open_now]
        return self.rng.choices(places, weights=weights)[0]

    def _person(self, country: Country) -> tuple[str, str, str, str]:
        pool = self.weighted(country.people)
        firsts, lasts = PEOPLE[pool]
        first, gender = self.rng.choice(firsts)
        return first, self.rng.choice(lasts), gender, pool

    def _prospect(self, country: Country, city: City) -> tuple[Prospect, Context]:
        rng = self.rng
        kind = self.weighted([(CompanyType.FRANCHISE, 50), (CompanyType.INDEPENDENT, 42), (CompanyType.CHAIN_HQ, 8)])
        name = domain = tier = None
        for _ in range(40):
            if kind == CompanyType.CHAIN_HQ and country.code in HEAD_OFFICES:
                name = HEAD_OFFICES[country.code]
                domain = ascii_slug(name.replace("GmbH", ""))
                tier = self.weighted([(MarketTier.UPSCALE, 1), (MarketTier.MIDSCALE, 2)])
            elif kind == CompanyType.INDEPENDENT:
                name = rng.choice(INDEPENDENTS[country.code])
                domain = f"{ascii_slug(name.removeprefix('The '))}-{ascii_slug(city.name)}"
                tier = self.weighted(
                    [(MarketTier.LUXURY, 2), (MarketTier.UPSCALE, 4), (MarketTier.MIDSCALE, 3), (MarketTier.ECONOMY, 1)]
                )
            else:
                kind = CompanyType.FRANCHISE
                pattern, short, tier, _countries = rng.choice([b for b in BRANDS if country.code in b[3].split()])
                area = rng.choice(country.areas)
                name = pattern.format(city=city.name, area=area)
                domain = f"{short}-{ascii_slug(city.name)}-{ascii_slug(area)}"
            domain += ".example"
            if (company_key(name), city_key(city.name)) not in self.taken.hotels and domain not in self.taken.domains:
                break
            kind = self.weighted([(CompanyType.FRANCHISE, 1), (CompanyType.INDEPENDENT, 1)])
        else:  # a very large batch ran out of names: number the property
            base, number = name, 2
            while (company_key(f"{base} {number}"), city_key(city.name)) in self.taken.hotels:
                number += 1
            name, domain = f"{base} {number}", f"{domain.removesuffix('.example')}-{number}.example"
        self.taken.hotels.add((company_key(name), city_key(city.name)))
        self.taken.domains.add(domain)

        first, last, gender, _pool = self._person(country)
        if kind == CompanyType.CHAIN_HQ:
            title = rng.choice(HQ_TITLES)
        elif kind == CompanyType.INDEPENDENT and country.lang in LOCAL_TITLES and rng.random() < 0.4:
            title = rng.choice(LOCAL_TITLES[country.lang][gender])
        else:
            title = self.weighted(INDEPENDENT_TITLES if kind == CompanyType.INDEPENDENT else PROPERTY_TITLES)
        email = self._address(first, last, domain)
        low, high = ROOMS[tier]
        rooms = rng.randint(low, high) if kind != CompanyType.INDEPENDENT else rng.randint(12, 90)
        phone = "".join(str(rng.randint(0, 9)) if ch == "#" else ch for ch in city.phone)
        prospect = Prospect(
            name=f"{first} {last}",
            email=email,
            phone=phone,
            title=title,
            linkedin_url=f"https://www.linkedin.com/in/{ascii_slug(first + ' ' + last)}-{rng.getrandbits(24):06x}",
            company_name=name,
            company_website=f"https://www.{domain}",
            company_type=kind,
            country=country.code,
            region=city.region,
            city=city.name,
            timezone=city.tz,
            market_tier=tier,
            tier=self.weighted([(Tier.HOT, 1), (Tier.WARM, 2), (Tier.COLD, 1)]),
            trace_id=self.uuid(),
        )
        ctx = Context(
            first=first,
            lang=country.lang,
            domain=domain,
            rooms=rooms,
            pms="Oracle OPERA Cloud" if kind != CompanyType.INDEPENDENT and rng.random() < 0.6 else rng.choice(PMS),
            job=rng.choice(JOB_TITLES[country.lang]),
            pain=rng.choice(PAIN_SIGNALS),
            currency=country.currency,
        )
        return prospect, ctx

    def _address(self, first: str, last: str, domain: str) -> str:
        first_part, last_part = ascii_slug(first).replace("-", ""), ascii_slug(last).replace("-", "")
        shapes = [f"{first_part}.{last_part}", f"{first_part[0]}{last_part}", first_part, f"gm.{first_part}"]
        for local in [self.weighted(zip(shapes, [6, 3, 2, 1], strict=True)), *shapes]:
            address = f"{local}@{domain}"
            if address not in self.taken.emails:
                break
        else:
            address = f"{first_part}.{last_part}{self.rng.randint(2, 999)}@{domain}"
        self.taken.emails.add(address)
        return address

    # -- stories ----------------------------------------------------------------------
    PIPELINE = [  # step, stage it reaches, seconds since the previous step
        ("start_enrichment", S.ENRICHING, (10 * MINUTE, 14 * HOUR)),
        ("finish_enrichment", S.ENRICHED, (20, 4 * MINUTE)),
        ("start_research", S.RESEARCHING, (2 * MINUTE, 10 * HOUR)),
        ("finish_research", S.READY, (30, 3 * MINUTE)),
        ("start_composing", S.COMPOSING, (MINUTE, 6 * HOUR)),
        ("finish_composing", S.COMPOSED, (10, MINUTE)),
        ("queue", S.QUEUED, (5, 2 * MINUTE)),
    ]

    def _pipeline(self, upto: str, campaign: Campaign) -> list[Step]:
        steps = []
        for kind, reached, (low, high) in self.PIPELINE:
            if kind == "queue" and campaign.requires_approval:
                low, high = 2 * HOUR, 30 * HOUR  # a person approved the draft
            steps.append(Step(kind, self.secs(low, high)))
            if reached == upto:
                return steps
        raise ValueError(upto)

    def _send(self, until: str) -> Step:
        return Step("send", self.secs(20 * MINUTE, 30 * HOUR), "send", {"until": until})

    def _offsets(self, campaign: Campaign) -> list[int]:
        days = campaign.follow_up_days if isinstance(campaign.follow_up_days, list) else []
        days = sorted(d for d in days if isinstance(d, int) and d > 0) or [3, 7, 14]
        return [0, *days]

    def _contact(self, campaign: Campaign, follow_ups: int) -> list[Step]:
        offsets = self._offsets(campaign)
        steps = [*self._pipeline(S.QUEUED, campaign), self._send(S.CONTACTED)]
        for n in range(1, min(follow_ups, len(offsets) - 1) + 1):
            gap = dt.timedelta(days=offsets[n] - offsets[n - 1]) + self.secs(0, 20 * HOUR)
            steps.append(Step("follow_up", gap, "send", {"step": n + 1}))
        return steps

    def _reply(self, intent: str, then: str = "", reason: str = "", gap: dt.timedelta | None = None) -> Step:
        low, high = INTENTS[intent].velocity
        window = "" if intent == Intent.OUT_OF_OFFICE else "reply"
        data = {"intent": intent, "then": then, "reason": reason}
        return Step("reply", gap or self.secs(low, high), window, data)

    def _our_reply(self) -> Step:
        return Step("our_reply", self.secs(45 * MINUTE, 20 * HOUR), "send")

    def _some_follow_ups(self) -> int:
        return self.weighted([(0, 50), (1, 30), (2, 15), (3, 5)])

    def _meeting(self, campaign: Campaign) -> list[Step]:
        steps = self._contact(campaign, self._some_follow_ups())
        if self.rng.random() < 0.4:
            return [*steps, self._reply(Intent.MEETING_REQUEST, "book_meeting")]
        return [
            *steps,
            self._reply(Intent.INTERESTED, "mark_replied"),
            self._our_reply(),
            self._reply(Intent.MEETING_REQUEST, "book_meeting"),
        ]

    def _story(self, stage: str, campaign: Campaign, allow_failure: bool = True) -> Story:
        rng, secs = self.rng, self.secs
        if stage == S.NEW:
            steps = []
            if rng.random() < 0.15:
                reason = "worker stopped; claim released by the sweeper"
                steps = [
                    Step("start_enrichment", secs(10 * MINUTE, 6 * HOUR)),
                    Step("release_enrichment", secs(6 * MINUTE, 9 * MINUTE), data={"reason": reason}),
                ]
            return Story(stage, steps, secs(10 * MINUTE, 5 * DAY))
        if stage in (S.ENRICHING, S.RESEARCHING, S.COMPOSING):
            return Story(stage, self._pipeline(stage, campaign), secs(20, 4 * MINUTE))
        if stage == S.ENRICHED:
            steps = self._pipeline(stage, campaign)
            if rng.random() < 0.1:
                reason = "worker stopped; claim released by the sweeper"
                steps += [
                    Step("start_research", secs(2 * MINUTE, 10 * HOUR)),
                    Step("release_research", secs(6 * MINUTE, 9 * MINUTE), data={"reason": reason}),
                ]
            return Story(stage, steps, secs(5 * MINUTE, 2 * DAY))
        if stage == S.READY:
            return Story(stage, self._pipeline(stage, campaign), secs(5 * MINUTE, DAY))
        if stage == S.COMPOSED:
            waiting = (HOUR, 3 * DAY) if campaign.requires_approval else (MINUTE, 20 * HOUR)
            return Story(stage, self._pipeline(stage, campaign), secs(*waiting))
        if stage == S.QUEUED:
            steps = self._pipeline(stage, campaign)
            if allow_failure and rng.random() < 0.25:
                steps.append(Step("send_fail", secs(20 * MINUTE, 20 * HOUR), "send"))
            return Story(stage, steps, secs(5 * MINUTE, 20 * HOUR))
        if stage == S.SENDING:
            return Story(stage, [*self._pipeline(S.QUEUED, campaign), self._send(S.SENDING)], secs(5, 50))
        if stage == S.SENT:
            return Story(stage, [*self._pipeline(S.QUEUED, campaign), self._send(S.SENT)], secs(10, 90))
        if stage == S.CONTACTED:
            offsets = self._offsets(campaign)
            sent = self.weighted([(0, 35), (1, 30), (2, 20), (3, 15)])
            sent = min(sent, len(offsets) - 1)
            steps = self._contact(campaign, sent)
            if sent < len(offsets) - 1:
                interval = (offsets[sent + 1] - offsets[sent]) * DAY
                if rng.random() < 0.2:  # the next follow-up is written and waits for the sender
                    steps.append(Step("follow_up_queued", secs(interval, interval + 4 * HOUR), data={"step": sent + 2}))
                    return Story(stage, steps, secs(10 * MINUTE, 5 * HOUR))
                return Story(stage, steps, secs(HOUR, interval - 2 * HOUR))
            return Story(stage, steps, secs(HOUR, 6 * DAY))
        if stage == S.ENGAGED:
            intent = self.weighted([(Intent.OUT_OF_OFFICE, 35), (Intent.DELEGATED, 35), (Intent.NEEDS_MORE_INFO, 30)])
            steps = [*self._contact(campaign, self._some_follow_ups()), self._reply(intent, "mark_engaged")]
            return Story(stage, steps, secs(HOUR, 5 * DAY))
        if stage == S.REPLIED:
            steps = self._contact(campaign, self._some_follow_ups())
            if rng.random() < 0.3:  # away first, then a real answer on return
                steps += [
                    self._reply(Intent.OUT_OF_OFFICE, "mark_engaged"),
                    self._reply(Intent.INTERESTED, "mark_replied", gap=secs(2 * DAY, 8 * DAY)),
                ]
            else:
                steps.append(
                    self._reply(self.weighted([(Intent.INTERESTED, 3), (Intent.NEEDS_MORE_INFO, 1)]), "mark_replied")
                )
            if rng.random() < 0.6:
                steps.append(self._our_reply())
            return Story(stage, steps, secs(HOUR, 4 * DAY))
        if stage == S.MEETING:
            return Story(stage, self._meeting(campaign), secs(HOUR, 6 * DAY))
        if stage == S.WON:
            if rng.random() < 0.85:
                steps = [*self._meeting(campaign), Step("mark_won", secs(3 * DAY, 14 * DAY))]
            else:
                steps = [
                    *self._contact(campaign, self._some_follow_ups()),
                    self._reply(Intent.INTERESTED, "mark_replied"),
                    self._our_reply(),
                    Step("mark_won", secs(5 * DAY, 18 * DAY)),
                ]
            return Story(stage, steps, secs(HOUR, 12 * DAY))
        if stage == S.LOST:
            return self._lost(campaign)
        raise ValueError(stage)

    def _lost(self, campaign: Campaign) -> Story:
        rng, secs = self.rng, self.secs
        path = self.weighted(LOST_PATHS)

        def lost(reason, low, high):
            return Step("mark_lost", secs(low, high), data={"reason": reason})

        if path == "duplicate":
            steps = [lost("duplicate of a prospect already in the pipeline", HOUR, 2 * DAY)]
        elif path == "closed":
            steps = [lost("hotel closed for renovation until next season", HOUR, 2 * DAY)]
        elif path == "no_email":
            steps = [
                *self._pipeline(S.ENRICHED, campaign),
                lost("no verifiable email address for the general manager", 10 * MINUTE, DAY),
            ]
        elif path == "group_buys":
            steps = [
                *self._pipeline(S.READY, campaign),
                lost("vendor decisions are made by the group, not the hotel", HOUR, 2 * DAY),
            ]
        elif path == "no_reply":
            emails = len(self._offsets(campaign))
            steps = [
                *self._contact(campaign, emails - 1),
                lost(f"no reply after {emails} emails", 5 * DAY, 10 * DAY),
            ]
        elif path == "bounce":
            steps = [*self._contact(campaign, 0), Step("bounce", secs(20, 10 * MINUTE))]
        elif path == "spam":
            steps = [*self._contact(campaign, rng.randint(0, 1)), Step("spam", secs(2 * HOUR, 2 * DAY))]
        elif path == "unsubscribe":
            steps = [
                *self._contact(campaign, rng.randint(0, 2)),
                self._reply(Intent.UNSUBSCRIBE, "mark_lost", "asked to be removed from our emails"),
            ]
        elif path == "not_interested":
            steps = self._contact(campaign, rng.randint(0, 2))
            gap = None
            if rng.random() < 0.3:
                steps.append(self._reply(Intent.OUT_OF_OFFICE, "mark_engaged"))
                gap = secs(2 * DAY, 8 * DAY)
            why = rng.randrange(len(NOT_INTERESTED))
            reason = f"not interested: {NOT_INTERESTED[why][0]}"
            steps.append(self._reply(Intent.NOT_INTERESTED, "mark_lost", reason, gap=gap))
            steps[-1].data["variant"] = why
        else:  # after_meeting
            reason = rng.choice(
                [
                    "chose a competitor after the demo",
                    "budget frozen until next year",
                    "owner decided to wait until after the renovation",
                ]
            )
            steps = [*self._meeting(campaign), lost(reason, 4 * DAY, 20 * DAY)]
        return Story(S.LOST, steps, secs(HOUR, 15 * DAY), path=path)

    # -- times ------------------------------------------------------------------------
    def _solve(self, story: Story, tz: zoneinfo.ZoneInfo, inbox: Inbox) -> bool:
        """Give each step a time, walking back from now; sends take a slot in the calendar."""
        taken = []
        at = self.now - story.final_gap
        for step in reversed(story.steps):
            if step.window == "send":
                slot = self.calendar.reserve(at, tz, inbox)
                if slot is None:
                    self.calendar.give_back(taken)
                    return False
                at = slot
                taken.append((inbox.pk, timezone.localtime(slot, self.calendar.app_tz).date()))
            elif step.window == "reply":
                local = at.astimezone(tz)
                if local.hour < 7:
                    local = (local - dt.timedelta(days=1)).replace(hour=20, minute=self.rng.randint(0, 59))
                elif local.hour >= 21:
                    local = local.replace(hour=20, minute=self.rng.randint(0, 59))
                at = local.astimezone(dt.UTC)
            step.at = at
            at -= step.gap
        story.created_at = at
        return True

    # -- writing ----------------------------------------------------------------------
    def event(self, at: dt.datetime, obj, name: str, reason: str = ""):
        self.events.append((at, len(self.events), obj, name, reason))

    def _write(self, p: Prospect, ctx: Context, story: Story, campaign: Campaign, inbox: Inbox, country, city):
        rng = self.rng
        kinds = {step.kind for step in story.steps}
        reached_enrichment = "finish_enrichment" in kinds
        p.created_at = p.stage_changed_at = story.created_at
        self.stages[story.stage] += 1
        if not reached_enrichment:
            # found through a job ad: the hotel is known, the person behind it not yet
            if rng.random() < 0.7:
                p.name = p.title = p.linkedin_url = ""
            p.email = p.phone = ""
            in_progress = story.stage == S.ENRICHING
            p.enrichment_status = EnrichmentStatus.IN_PROGRESS if in_progress else EnrichmentStatus.PENDING
            if story.stage == S.ENRICHING:
                p.enrichment_score = round(rng.uniform(0.1, 0.3), 2)
        else:
            p.enrichment_status = self.weighted([(EnrichmentStatus.COMPLETED, 85), (EnrichmentStatus.PARTIAL, 15)])
            p.enrichment_score = round(rng.uniform(0.62, 1.0), 2)
            p.email_verified = True
            p.email_verification_score = round(rng.uniform(0.9, 0.99), 2)
            if rng.random() < 0.3:
                p.linkedin_url = ""
            engine = rng.choice(BOOKING_ENGINES)
            chat = rng.random() < 0.3
            # the shape prospects.analysis.analyze_website produces (schema_version 1)
            p.website_analysis = {
                "schema_version": 1,
                "url": p.company_website,
                "contact": {"phones": [], "address": "", "social": {}, "emails": []},
                "technology": {
                    "cms": [rng.choice(["WordPress", "Wix", "TYPO3", "Squarespace"])],
                    "booking_engine": [engine] if engine else [],
                    "chat": ["Tidio"] if chat else [],
                    "pms_hints": [ctx.pms],
                    "analytics": ["Google Tag Manager"],
                    "signatures": [],
                    "gaps": [g for g, missing in (("no_booking_engine", not engine), ("no_chat", not chat)) if missing],
                },
                "content": {
                    "value_propositions": [],
                    "languages": sorted({"en", ctx.lang}),
                    "amenities": ["wifi", "breakfast"],
                    "room_count": ctx.rooms,
                },
                "design": {
                    "mobile_viewport": rng.random() < 0.8,
                    "page_weight_bytes": rng.randint(40_000, 900_000),
                    "image_count": rng.randint(5, 60),
                    "images_missing_alt": rng.randint(0, 10),
                },
                "seo": {"title": p.company_name, "meta_description": "", "structured_data_types": []},
                "errors": [],
                "online_check_in": rng.random() < 0.15,
            }
            if story.path == "no_email":
                p.email_verified = False
                p.email_verification_score = round(rng.uniform(0.2, 0.5), 2)
                p.enrichment_status = EnrichmentStatus.PARTIAL
                p.enrichment_score = round(rng.uniform(0.3, 0.5), 2)
        if story.stage in (S.ENGAGED, S.REPLIED, S.MEETING, S.WON):
            p.tier = self.weighted([(Tier.HOT, 3), (Tier.WARM, 2)])
        if not p.phone or rng.random() < 0.4:
            p.phone = ""

        for index in range(self.weighted([(1, 70), (2, 25), (3, 5)])):
            self.postings.append(self._posting(p, ctx, country, city, first=index == 0))
        self.prospects.append(p)

        thread = Thread(p, ctx, campaign, inbox)
        for step in story.steps:
            self._apply(step, thread)
        self._tracking(thread, in_flight=story.stage == S.SENT)

        sent = [e for e in thread.emails if e.sent_at]
        p.email_sent_count = len(sent)
        p.last_email_sent_at = max((e.sent_at for e in sent), default=None)
        p.last_reply_at = max((r.received_at for r in thread.replies), default=None)
        if thread.replies:
            p.behavioral_score = thread.replies[-1].behavioral_score
        elif any(e.clicked_at for e in sent):
            p.behavioral_score = round(rng.uniform(30, 45), 1)
        elif any(e.opened_at for e in sent):
            p.behavioral_score = round(rng.uniform(12, 30), 1)
        elif sent:
            p.behavioral_score = round(rng.uniform(0, 8), 1)

    def _posting(self, p: Prospect, ctx: Context, country: Country, city: City, *, first: bool) -> JobPosting:
        rng = self.rng
        source = self.weighted(
            [(JobPosting.Source.LINKEDIN, 45), (JobPosting.Source.INDEED, 35), (JobPosting.Source.GOOGLE_JOBS, 20)]
        )
        job = ctx.job if first else rng.choice(JOB_TITLES[country.lang])
        found = p.created_at - self.secs(MINUTE, 30 * MINUTE)
        for _ in range(20):  # an advert is recorded once per source and address
            if source == JobPosting.Source.LINKEDIN:
                url = f"https://www.linkedin.com/jobs/view/{rng.randint(3_900_000_000, 4_100_000_000)}/"
            elif source == JobPosting.Source.INDEED:
                url = f"https://www.indeed.com/viewjob?jk={rng.getrandbits(64):016x}"
            else:
                query = quote_plus(f"{job} {p.company_name} {city.name}")
                url = f"https://www.google.com/search?q={query}&ibp=htl;jobs&htidocid={rng.getrandbits(48):012x}"
            if (source, url) not in self.taken.postings:
                break
        self.taken.postings.add((source, url))
        return JobPosting(
            prospect=p,
            source=source,
            title=job,
            company_name=p.company_name,
            location=", ".join(part for part in (city.name, city.region or countries.name(country.code)) if part),
            url=url,
            posted_at=(found - self.secs(0, 10 * DAY)).date(),
            snippet=JOB_SNIPPETS[country.lang].format(hotel=p.company_name, job=job, pms=ctx.pms),
            found_at=found,
        )

    def _research(self, p: Prospect, ctx: Context, at: dt.datetime) -> ResearchReport:
        rng = self.rng
        pains = [ctx.pain, *rng.sample([s for s in PAIN_SIGNALS if s != ctx.pain], rng.randint(0, 2))]
        rating = round(rng.uniform(3.4, 4.8), 1)
        reviews = rng.randint(120, 4800)
        nearby = [b for b in BRANDS if p.country.code in b[3].split()]
        competitors = [
            pattern.format(city=p.city, area=rng.choice(COUNTRY_BY_CODE[p.country.code].areas))
            for pattern, *_ in rng.sample(nearby, min(2, len(nearby)))
        ]
        kind = "independent hotel" if p.company_type == CompanyType.INDEPENDENT else "hotel"
        check_in = "online check-in" if p.website_analysis.get("online_check_in") else "no online check-in"
        summary = (
            f"{p.company_name} is a {ctx.rooms}-room {p.market_tier} {kind} in {p.city}. "
            f"Tripadvisor reviews ({rating}/5 from {reviews}) mention {' and '.join(pains[:2])}. "
            f"It is hiring for the front office ({ctx.job}). Front office runs on {ctx.pms}; "
            f"the website offers {check_in}."
        )
        news_date = (at - self.secs(5 * DAY, 200 * DAY)).date().isoformat()
        news = [
            {
                "title": rng.choice(NEWS).format(hotel=p.company_name, city=p.city, n=rng.randint(20, 120)),
                "date": news_date,
            }
        ]
        tools = rng.sample(GUEST_TOOLS, self.weighted([(0, 6), (1, 3), (2, 1)]))
        provider = self.weighted([("sandbox", 6), ("grok", 3), ("claude", 1)])
        p.pain_signals = pains
        p.competitor_tools = tools
        p.research_report = {"summary": summary, "pain_signals": pains, "provider": provider, "at": at.isoformat()}
        search = p.company_name.replace(" ", "+")
        return ResearchReport(
            prospect=p,
            summary=summary,
            news=news,
            competitors=competitors,
            pain_signals=pains,
            social_presence={
                "tripadvisor_rating": rating,
                "tripadvisor_reviews": reviews,
                "google_rating": round(min(5.0, rating + rng.uniform(-0.2, 0.3)), 1),
                "instagram_followers": rng.randint(300, 25000),
            },
            sources=[
                p.company_website,
                f"https://www.tripadvisor.com/Search?q={search}",
                f"https://www.google.com/maps/search/{search}+{p.city.replace(' ', '+')}",
            ],
            provider=provider,
            created_at=at,
        )

    def _new_email(self, t: Thread, created: dt.datetime, *, step: int, kind: str = Email.Type.OUTREACH) -> Email:
        rng, ctx, campaign, p = self.rng, t.ctx, t.campaign, t.prospect
        sender = campaign.sender_name.split()[0]
        key = self.uuid()
        case = rng.choice(campaign.case_studies) if campaign.case_studies else ""
        if kind == Email.Type.REPLY:
            subject = f"Re: {ctx.subject}"
            price = ctx.rooms * rng.choice([2, 3, 4]) * (80 if ctx.currency == "₹" else 1)
            money = f"{ctx.currency} {price:,}" if ctx.currency.isalpha() else f"{ctx.currency}{price:,}"
            body = (
                f"Hi {ctx.first},\n\nThanks for coming back to me. In short: it connects to {ctx.pms} in a day, "
                f"guests check in on their phone before arrival, and the desk sees who is arriving when. Pricing "
                f"is per room, so a {ctx.rooms}-room hotel pays about {money} a month.\n\n"
                f"Would {rng.choice(MEETING_SLOTS)} suit you for a 20-minute call?\n\n{sender}"
            )
        elif step == 1:
            pitch = rng.choice(phrasings(campaign.product_pitch))  # the campaign writes its pitch several ways
            subjects = [
                f"Your {ctx.job} opening",
                f"Quicker check-ins at {p.company_name}?",
                f"{ctx.first}, a question about check-in at {p.company_name}",
                f"Idea for {p.company_name}'s front office",
            ]
            # the form gate's limit is 60 characters, follow-ups' "Re: " included
            subject = rng.choice([s for s in subjects if len(s) <= 56] or [min(subjects, key=len)])
            ctx.subject = subject
            body = (
                f"Hi {ctx.first},\n\nI saw that {p.company_name} is hiring ({ctx.job}). Reviews mention "
                f"{ctx.pain}, which usually means the desk is stretched.\n\n{pitch}\n\n{case}\n\n"
                f"{campaign.call_to_action}\n\n{campaign.signature}"
            )
        elif step == 2:
            subject = f"Re: {ctx.subject}"
            body = (
                f"Hi {ctx.first},\n\nBringing this back to the top of your inbox: would a two-minute video of "
                f"check-in at a hotel like {p.company_name} help?\n\n{sender}"
            )
        elif step == 3:
            subject = f"Re: {ctx.subject}"
            body = (
                f"Hi {ctx.first},\n\nA different angle: most questions guests send before arrival (parking, "
                f"breakfast, late check-in) can be answered automatically, in their language. {case}\n\n"
                f"{campaign.call_to_action}\n\n{sender}"
            )
        else:
            subject = f"Closing the loop, {ctx.first}"
            body = (
                f"Hi {ctx.first},\n\nI haven't heard back, so I'll assume the timing isn't right and won't write "
                f"again. If {ctx.pain} becomes a priority, just reply to this email.\n\nAll the best,\n{sender}"
            )
        email = Email(
            prospect=p,
            campaign=campaign,
            inbox=t.inbox,
            subject=subject[:200],
            body=body,  # the sender adds the footer (postal address, unsubscribe link) when it sends
            from_email=t.inbox.email,
            to_email=p.email,
            type=kind if kind == Email.Type.REPLY else (Email.Type.OUTREACH if step == 1 else Email.Type.FOLLOW_UP),
            sequence_step=step,
            spam_score=round(rng.uniform(0.02, 0.22), 2),
            readability_score=round(rng.uniform(58, 82), 1),
            message_id=f"<{self.uuid()}@jengu.local>",
            idempotency_key=key,
            send_rank=TIER_SEND_RANK.get(p.tier, 1),  # bulk_create skips Email.save
            created_at=created,
        )
        t.emails.append(email)
        self.emails.append(email)
        return email

    def _mark_sent(self, t: Thread, email: Email, at: dt.datetime):
        self.event(at, email, "mark_sent")
        email.sent_at = at
        email.provider = self.weighted(
            [(Email.Provider.RESEND, 14), (Email.Provider.SMTP, 5), (Email.Provider.SENDGRID, 1)]
        )
        t.last_sent = email

    def _apply(self, step: Step, t: Thread):
        secs, at, p = self.secs, step.at, t.prospect

        def plus(seconds: float) -> dt.datetime:
            return at + dt.timedelta(seconds=seconds)

        kind = step.kind
        if kind in {
            "start_enrichment",
            "finish_enrichment",
            "release_enrichment",
            "start_research",
            "finish_research",
            "release_research",
            "start_composing",
            "finish_composing",
            "queue",
            "mark_won",
            "mark_lost",
        }:
            self.event(at, p, kind, step.data.get("reason", ""))
        if kind == "finish_research":
            self.reports.append(self._research(p, t.ctx, at))
        elif kind == "finish_composing":
            t.current = self._new_email(t, at, step=1)
        elif kind == "queue":
            self.event(plus(2), t.current, "queue")
        elif kind == "mark_lost":
            p.lost_reason = step.data["reason"]
        elif kind == "send_fail":
            reason = self.rng.choice(SEND_FAILURES)
            self.event(at, p, "start_sending")
            self.event(plus(1), t.current, "claim")
            self.event(plus(21), t.current, "mark_failed", reason)
            self.event(plus(22), p, "release_sending", reason)
            self.event(plus(25), t.current, "requeue")
        elif kind == "send":
            until = step.data["until"]
            self.event(at, p, "start_sending")
            self.event(plus(1), t.current, "claim")
            if until != S.SENDING:
                self._mark_sent(t, t.current, plus(3))
                self.event(plus(4), p, "finish_sending")
            if until == S.CONTACTED:
                self.event(plus(5), p, "mark_contacted")
        elif kind in ("follow_up", "our_reply"):
            lead = secs(20 * MINUTE, 4 * HOUR) if kind == "follow_up" else secs(5 * MINUTE, 30 * MINUTE)
            if kind == "follow_up":
                email = self._new_email(t, at - lead, step=step.data["step"])
            else:
                email = self._new_email(t, at - lead, step=1, kind=Email.Type.REPLY)
            self.event(at - lead + dt.timedelta(seconds=3), email, "queue")
            self.event(at, email, "claim")
            self._mark_sent(t, email, plus(2))
            if kind == "follow_up":
                self.event(plus(4), p, "follow_up")
        elif kind == "follow_up_queued":
            email = self._new_email(t, at, step=step.data["step"])
            self.event(plus(3), email, "queue")
        elif kind == "reply":
            self._receive(step, t)
        elif kind in ("bounce", "spam"):
            email = t.last_sent
            if kind == "bounce":
                email.bounced_at = at
                self.event(at, email, "mark_bounced", "550 5.1.1 mailbox unavailable")
                reason, why = "hard bounce: mailbox unavailable", Suppression.Reason.HARD_BOUNCE
                source = f"webhook: {email.provider} bounce"
            else:
                self.event(at, email, "mark_spam", "complaint via feedback loop")
                reason, why = "marked our email as spam", Suppression.Reason.COMPLAINT
                source = f"webhook: {email.provider} complaint"
            t.horizon[id(email)] = at
            self.event(plus(3), p, "mark_lost", reason)
            p.lost_reason = reason
            self._suppress(Suppression.Kind.ADDRESS, p.email, why, source, plus(3))

    def _receive(self, step: Step, t: Thread):
        rng, at, p, ctx = self.rng, step.at, t.prospect, t.ctx
        intent = step.data["intent"]
        profile = INTENTS[intent]
        email = t.last_sent
        sender = t.campaign.sender_name.split()[0]
        country = countries.name(p.country.code)
        subject = email.subject if email.subject.startswith("Re: ") else f"Re: {email.subject}"
        questions: list[str] = []
        delegate = ("", "", "")
        preference = ""
        if intent == Intent.OUT_OF_OFFICE:
            prefix, text = OUT_OF_OFFICE.get(ctx.lang, OUT_OF_OFFICE["en"])
            back = (at + self.secs(3 * DAY, 14 * DAY)).date()
            subject = prefix + email.subject
            body = text.format(
                back=back.strftime("%d %B %Y") if ctx.lang == "en" else back.strftime("%d.%m.%Y"),
                desk=f"reception@{ctx.domain}",
                full=p.name,
                title=p.title,
                hotel=p.company_name,
            )
        elif intent == Intent.NOT_INTERESTED:
            body = NOT_INTERESTED[step.data.get("variant", 0)][1].format(sender=sender, first=ctx.first)
        else:
            if intent == Intent.DELEGATED:
                first, last, _, _ = self._person(COUNTRY_BY_CODE[p.country.code])
                delegate = (f"{first} {last}", rng.choice(DELEGATE_TITLES), self._address(first, last, ctx.domain))
            if intent == Intent.MEETING_REQUEST:
                preference = rng.choice(MEETING_SLOTS)
            template, asks = rng.choice(REPLY_BODIES[intent])
            values = {
                "sender": sender,
                "first": ctx.first,
                "pms": ctx.pms,
                "rooms": ctx.rooms,
                "country": country,
                "dname": delegate[0],
                "dtitle": delegate[1],
                "demail": delegate[2],
                "pref": preference[:1].upper() + preference[1:],
            }
            body = template.format(**values)
            questions = [q.format(**values) for q in asks]
        confidence = round(rng.uniform(*profile.confidence), 2)
        processed = at + self.secs(5, 2 * MINUTE)
        reply = Reply(
            email=email,
            prospect=p,
            message_id=f"<{self.uuid().hex}@mail.{ctx.domain}>",
            from_email=p.email,
            subject=subject[:300],
            body=body,
            intent=intent,
            sentiment=rng.choice(profile.sentiments),
            confidence=confidence,
            reasoning=profile.reasoning,
            suggested_action="delegate_to_human" if confidence < 0.7 else profile.action,
            delegated_to_name=delegate[0],
            delegated_to_title=delegate[1],
            delegated_to_email=delegate[2],
            meeting_preference=preference,
            questions=questions,
            behavioral_score=round(rng.uniform(*profile.score), 1),
            engagement_velocity=round((at - email.sent_at).total_seconds() / HOUR, 2),
            intent_strength=round(rng.uniform(*profile.strength), 2),
            received_at=at,
            processed_at=processed,
        )
        t.replies.append(reply)
        self.replies.append(reply)
        if not email.replied_at:
            email.replied_at = at
            t.horizon[id(email)] = at
            self.event(processed, email, "mark_replied")
        if step.data["then"]:
            self.event(processed + dt.timedelta(seconds=1), p, step.data["then"], step.data["reason"])
        if step.data["then"] == "mark_lost":
            p.lost_reason = step.data["reason"]
        if intent == Intent.UNSUBSCRIBE:
            self._suppress(Suppression.Kind.ADDRESS, p.email, Suppression.Reason.UNSUBSCRIBE, "reply", processed)
        elif intent == Intent.NOT_INTERESTED and rng.random() < 0.5:
            self._suppress(Suppression.Kind.ADDRESS, p.email, Suppression.Reason.NOT_INTERESTED, "reply", processed)

    def _tracking(self, t: Thread, *, in_flight: bool):
        """Delivery, opens and clicks, each before whatever ended the email's life (or now)."""
        if in_flight:
            return
        rng, secs = self.rng, self.secs
        for email in t.emails:
            if not email.sent_at or email.bounced_at:
                continue
            horizon = t.horizon.get(id(email), self.now - dt.timedelta(seconds=5))
            replied = id(email) in t.horizon and email.replied_at
            at = email.sent_at + secs(2, 40)
            if at >= horizon or rng.random() > (0.95 if replied else 0.9):
                continue
            email.delivered_at = at
            self.event(at, email, "mark_delivered")
            opened = at + secs(10 * MINUTE, 3 * DAY)
            if replied:
                opened = at + (horizon - at) * rng.uniform(0.05, 0.9)
            if opened >= horizon or rng.random() > (0.75 if replied else 0.45):
                continue
            email.opened_at = opened
            self.event(opened, email, "mark_opened")
            clicked = opened + secs(5, 10 * MINUTE)
            if clicked >= horizon or rng.random() > 0.25:
                continue
            email.clicked_at = clicked
            self.event(clicked, email, "mark_clicked")

    def _suppress(self, kind: str, value: str, reason: str, source: str, at: dt.datetime) -> Suppression | None:
        value = value.strip().lower()
        digest = suppression_hash(value)
        if not value or digest in self.taken.hashes:
            return None
        self.taken.hashes.add(digest)
        row = Suppression(kind=kind, value=value, reason=reason, source=source, created_at=at)
        row.value_hash = digest  # bulk_create skips save(), where the hash is normally made
        self.suppressions.append(row)
        return row

    def manual_suppressions(self):
        """A few rows an operator added by hand: vendors, a group, a GDPR erasure."""
        self.rng = self.master
        for domain, why in self.rng.sample(SUPPRESSED_DOMAINS, 2):
            self._suppress(Suppression.Kind.DOMAIN, domain, Suppression.Reason.MANUAL, f"admin: {why}", self._past())
        first, last, _, _ = self._person(COUNTRY_BY_CODE["GB"])
        erased = self._address(first, last, "erased-guest-house.example")
        row = self._suppress(Suppression.Kind.ADDRESS, erased, Suppression.Reason.ERASURE, "GDPR request", self._past())
        if row:
            row.value = ""  # of an erased person only the hash is kept

    def _past(self) -> dt.datetime:
        return self.now - self.secs(DAY, 40 * DAY)

    def calibrations(self, reviewer) -> list[CalibrationHistory]:
        """Corrections a reviewer made to low-confidence readings (the reply keeps the right intent)."""
        candidates = sorted((r for r in self.replies if r.intent in MISREAD), key=lambda r: r.confidence)
        rows = []
        for reply in candidates[: max(3, len(self.replies) // 15)]:
            rows.append(
                CalibrationHistory(
                    reply=reply,
                    predicted_intent=MISREAD[reply.intent],
                    predicted_confidence=reply.confidence,
                    corrected_intent=reply.intent,
                    corrected_by=reviewer,
                    created_at=reply.processed_at + self.secs(20 * MINUTE, 20 * HOUR),
                )
            )
        return rows

    # -- database ---------------------------------------------------------------------
    def save(self, reviewer) -> dict[str, int]:
        for prospect in self.prospects:
            prospect.save()  # not bulk: save() derives the dedup keys the unique constraints check
        JobPosting.objects.bulk_create(self.postings)
        ResearchReport.objects.bulk_create(self.reports)
        Email.objects.bulk_create(self.emails)
        # every state change goes through the state machine, in time order, logged
        for at, _, obj, name, reason in sorted(self.events, key=lambda e: (e[0], e[1])):
            trace = obj.trace_id if isinstance(obj, Prospect) else obj.prospect.trace_id
            transition(obj, name, by=ACTOR, at=at, reason=reason, trace_id=trace)
        Reply.objects.bulk_create(self.replies)
        calibrations = CalibrationHistory.objects.bulk_create(self.calibrations(reviewer))
        Suppression.objects.bulk_create(self.suppressions)
        self._save_inbox_days()
        composed = self._compose_queued()
        return {
            "prospects": len(self.prospects),
            "job postings": len(self.postings),
            "research reports": len(self.reports),
            "emails": len(self.emails),
            "replies": len(self.replies),
            "calibrations": len(calibrations),
            "suppressions": len(self.suppressions),
            "transitions": len(self.events),
            "queued emails written by the composer": composed,
        }

    def _compose_queued(self) -> int:
        """The emails still waiting to go out are written by the product's composer (template path).

        The stories above write the history; what the sender will send next is exactly
        what the pipeline would have queued, gate results included, so the demo never
        shows an email the product would not write.
        """
        from outreach.services.composition import email_draft
        from outreach.services.follow_ups import angle_for_step, first_email_of

        queued = Email.objects.filter(pk__in=[e.pk for e in self.emails], status=EmailStatus.QUEUED)
        written = 0
        for email in queued.select_related("prospect", "campaign").order_by("pk"):
            step = email.sequence_step or 1
            draft = email_draft(
                prospect=email.prospect,
                campaign=email.campaign,
                step=step,
                angle="first" if step == 1 else angle_for_step(email.campaign, step),
                first_email=first_email_of(email.prospect_id) if step > 1 else None,
                providers=[],  # the offline template path, as with no AI key
            )
            Email.objects.filter(pk=email.pk).update(
                subject=draft.subject,
                body=draft.body,
                language=draft.language,
                written_by=Email.Author.TEMPLATE,
                subject_variant=draft.subject_variant,
                spam_score=draft.spam_score,
                readability_score=draft.readability_score,
                gate_results=draft.gate_results(),
            )
            written += 1
        return written

    def _save_inbox_days(self):
        calendar = self.calendar
        today = timezone.localdate()
        # a day gets a row when a send claimed a slot on it (and today, for every inbox)
        keys = {key for key in calendar.touched if calendar.sent[key]} | {(inbox.pk, today) for inbox in self.inboxes}
        by_pk = {inbox.pk: inbox for inbox in self.inboxes}
        new_rows, changed = [], []
        for inbox_pk, day in sorted(keys, key=lambda k: (k[1], k[0])):
            row = calendar.existing.get((inbox_pk, day))
            if row is None:
                cap = calendar.cap(by_pk[inbox_pk], day)
                new_rows.append(InboxDay(inbox_id=inbox_pk, day=day, cap=cap, sent=calendar.sent[(inbox_pk, day)]))
            elif row.sent != calendar.sent[(inbox_pk, day)]:
                row.sent = calendar.sent[(inbox_pk, day)]
                changed.append(row)
        InboxDay.objects.bulk_create(new_rows)
        InboxDay.objects.bulk_update(changed, ["sent"])


@dataclass
class Taken:
    """What already exists, so a second batch never trips a unique constraint.

    Hotels are compared by the dedup keys (prospects.dedup), exactly as the database's
    one-prospect-per-hotel constraint compares them.
    """

    emails: set[str]
    hotels: set[tuple[str, str]]
    domains: set[str]
    hashes: set[str]
    postings: set[tuple[str, str]]

    @classmethod
    def from_database(cls) -> Taken:
        rows = Prospect.objects.values_list("email", "company_name", "city", "company_website")
        return cls(
            emails={email.lower() for email, *_ in rows if email},
            hotels={(company_key(name), city_key(city)) for _, name, city, _ in rows},
            domains={website_domain(site) for *_, site in rows if site},
            hashes=set(Suppression.objects.values_list("value_hash", flat=True)),
            postings=set(JobPosting.objects.exclude(url="").values_list("source", "url")),
        )


@dataclass
class Thread:
    """One prospect's correspondence while its story is written."""

    prospect: Prospect
    ctx: Context
    campaign: Campaign
    inbox: Inbox
    emails: list[Email] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    current: Email | None = None  # the first email, on its way through the pipeline
    last_sent: Email | None = None
    horizon: dict[int, dt.datetime] = field(default_factory=dict)  # id(email) → when its life ended


def ensure_campaigns() -> list[Campaign]:
    campaigns = [
        Campaign.objects.get_or_create(
            name=spec["name"],
            defaults={**spec, "sender_name": "Edd Chen", "language": "en", "postal_address": POSTAL_ADDRESS},
        )[0]
        for spec in CAMPAIGNS
    ]
    # new ready prospects are composed for the default campaign: the first one, unless one is set
    if not Campaign.objects.filter(is_default=True).exists():
        Campaign.objects.filter(pk=campaigns[0].pk).update(is_default=True)
        campaigns[0].is_default = True
    return campaigns


def ensure_inboxes(today: dt.date) -> list[Inbox]:
    inboxes = []
    for address, age, ceiling in INBOXES:
        inbox, _ = Inbox.objects.get_or_create(
            email=address,
            defaults={
                "display_name": "Edd Chen",
                "smtp_host": "127.0.0.1",
                "smtp_port": settings.SANDBOX_SMTP_PORT,  # the demo's local SMTP sink
                # no IMAP server in the demo: replies come from the sandbox twin, which
                # answers what the local SMTP sink received
                "imap_host": "",
                "source": "seed_demo",
                "warmup_started_on": today - dt.timedelta(days=age),
                "daily_ceiling": ceiling,
                "created_at": timezone.now() - dt.timedelta(days=age + 2),
            },
        )
        inboxes.append(inbox)
    return inboxes


class Command(BaseCommand):
    help = (
        "Add a generated, realistic demo data set: hotels in 17 countries over every pipeline stage, "
        "with their stage history, 3 inboxes, 2 campaigns, emails, replies and suppressions. "
        "Deterministic for a given --seed on an empty database. Running it again ADDS another batch "
        "(new hotels and addresses; campaigns and inboxes are reused), it never deletes anything; "
        "start from an empty database (flush) for a fresh set. All addresses are on .example domains."
    )

    def add_arguments(self, parser):
        parser.add_argument("--prospects", type=int, default=240, help="prospects in this batch (default 240)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")

    def handle(self, *args, prospects: int, seed: int, **options):
        if prospects < 1:
            raise CommandError("--prospects must be at least 1.")
        started = time.monotonic()
        try:
            with transaction.atomic():
                batch, totals = self._seed(prospects, seed)
        except ApplicationError as exc:  # a transition refused: a bug in the stories, shown plainly
            raise CommandError(exc.message) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Seeded {prospects} prospects (seed {seed}) in {elapsed:.1f} s."))
        order = list(STAGE_WEIGHTS)
        cells = [f"{stage:<12}{batch.stages.get(stage, 0):>4}" for stage in order]
        for row in range(0, len(cells), 4):
            self.stdout.write("  " + "   ".join(cells[row : row + 4]))
        self.stdout.write("  " + ", ".join(f"{count} {what}" for what, count in totals.items()))
        for inbox in batch.inboxes:
            key = (inbox.pk, timezone.localdate())
            self.stdout.write(
                f"  inbox {inbox.email}: warmup since {inbox.warmup_started_on}, "
                f"today {batch.calendar.sent[key]}/{batch.calendar.cap(inbox, key[1])} sent"
            )

    def _seed(self, total: int, seed: int) -> tuple[DemoBatch, dict[str, int]]:
        now = timezone.now().replace(microsecond=0)
        existing = Prospect.objects.count()
        # the first batch uses the seed as given; later ones also depend on what is there
        rng = random.Random(seed if not existing else f"{seed}/{existing}")
        inboxes = ensure_inboxes(timezone.localdate())
        calendar = SendCalendar(inboxes, list(InboxDay.objects.filter(inbox__in=inboxes)), rng)
        taken = Taken.from_database()
        batch = DemoBatch(
            rng=rng, now=now, campaigns=ensure_campaigns(), inboxes=inboxes, calendar=calendar, taken=taken
        )
        plan = [stage for stage, count in stage_counts(total).items() for _ in range(count)]
        rng.shuffle(plan)
        for stage in plan:
            batch.add(stage)
        batch.manual_suppressions()
        User = get_user_model()
        reviewer = User.objects.filter(username="sales").first() or User.objects.filter(is_superuser=True).first()
        totals = batch.save(reviewer)
        inbox_scores_compute()  # as the daily job would, from the history just written
        event_record(
            "demo.seeded",
            message=f"{total} demo prospects (seed {seed})",
            data={"seed": seed, **totals},
            by=ACTOR,
        )
        return batch, totals
