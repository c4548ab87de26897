"""Emails per second through the composer on the template path, and the share of each gate.

Usage (any database; by default a scratch SQLite file, removed at exit)::

    .venv/bin/python bench/composition.py [--prospects 400] [--spamd]
    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench_compose .venv/bin/python bench/composition.py

No AI keys are set, so every email takes the path a machine without keys (or with both
providers down) takes: the gateway logs the call and the Django template writes the
email. The run migrates, creates ``--prospects`` prospects in four languages (countries
US, DE, FR, ES with a 'local' campaign) and four situations (hiring signal, pain signal,
website gap, nothing known) with their research report and job posting, builds every
composition context first (its database reads are timed apart) and then composes each
one with ``outreach.composition.composer.compose``. Timers split the compose time into
the template (Django rendering), each gate (spam, readability, facts, form) and the rest
of the gateway (its Event row, prompt building, bookkeeping). ``--spamd`` asks the spamd
at SPAMD_HOST:SPAMD_PORT too (otherwise SpamAssassin is off and only the heuristic runs).
"""

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)  # run as a script, sys.path[0] is bench/
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")  # plain HTTP, a throwaway key
SCRATCH = Path(tempfile.mkdtemp(prefix="jengu-bench-composition-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
os.environ.update({"DEBUG": "false", "GROK_API_KEY": "", "ANTHROPIC_API_KEY": "", "JENGU_VAR_DIR": str(SCRATCH)})

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from outreach.composition.composer import compose  # noqa: E402
from outreach.composition.context import build_context  # noqa: E402
from outreach.models import Campaign  # noqa: E402
from prospects.models import JobPosting, Prospect, ResearchReport  # noqa: E402

COUNTRIES = [("US", "Denver"), ("DE", "München"), ("FR", "Lyon"), ("ES", "Sevilla")]
FIRST = ["Anna", "Jonas", "Claire", "Lucía", "", "Mark", "Sophie", "Diego"]
LAST = ["Weber", "Martin", "García", "Brown", "Rossi", "Dubois"]
HOTELS = ["Harbour View Hotel", "Hotel am Stadtpark", "Hôtel des Arts", "Casa del Río", "Lakeside Inn"]
PAINS = ["slow_checkin", "wifi", "noise", "slow_replies", "booking_errors"]


def make_prospects(count: int) -> list[Prospect]:
    prospects = []
    with transaction.atomic():
        for i in range(count):
            country, city = COUNTRIES[i % 4]
            situation = (i // 4) % 4  # hiring, pain, tech gap, nothing known
            name = f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}".strip() if FIRST[i % len(FIRST)] else ""
            prospect = Prospect.objects.create(
                name=name,
                company_name=f"{HOTELS[i % len(HOTELS)]} {i}",
                city=city,
                country=country,
                email=f"gm{i}@hotel{i}.example",
                stage="ready",
                website_analysis={"technology": {"gaps": ["no_booking_engine"] if situation == 2 else []}},
            )
            if situation == 1:
                ResearchReport.objects.create(
                    prospect=prospect,
                    summary="Guests mention slow replies and check-in queues.",
                    pain_signals=[{"key": PAINS[i % len(PAINS)], "label": PAINS[i % len(PAINS)]}],
                )
            if situation == 0:
                JobPosting.objects.create(
                    prospect=prospect, source="linkedin", title="Front Desk Manager", company_name=prospect.company_name
                )
            prospects.append(prospect)
    return prospects


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prospects", type=int, default=400)
    parser.add_argument("--spamd", action="store_true", help="ask spamd at SPAMD_HOST:SPAMD_PORT as well")
    args = parser.parse_args()
    if not args.spamd:
        settings.SPAMD_HOST = ""
    call_command("migrate", verbosity=0)
    Prospect.objects.all().delete()
    campaign, _ = Campaign.objects.update_or_create(
        name="Bench",
        defaults={
            "product_pitch": "Jengu checks guests in on their phones before they arrive and answers the routine "
            "questions that keep a front desk busy.",
            "case_studies": ["A 182-room upscale hotel in Austin cut average check-in from six minutes to under two."],
            "sender_name": "Edd Chen",
            "signature": "Edd Chen\nJengu",
            "language": "local",
            "postal_address": "Jengu Ltd, 1 Harbour Street, Bristol BS1 4AA, United Kingdom",
        },
    )
    prospects = make_prospects(args.prospects)

    started = time.perf_counter()
    contexts = [build_context(p, campaign) for p in prospects]
    context_seconds = time.perf_counter() - started

    timings: dict[str, float] = collections.defaultdict(float)
    outcomes = collections.Counter()
    started = time.perf_counter()
    for context in contexts:
        draft = compose(context, providers=[], timings=timings)
        outcomes["passed" if draft.passed else "held"] += 1
    total = time.perf_counter() - started

    gates = ["spam", "readability", "facts", "form"]
    parts = {"template": timings["template"], **{g: timings[g] for g in gates}}
    parts["gateway and bookkeeping"] = total - sum(parts.values())
    print(
        f"{len(contexts)} emails composed on the template path in {total:.2f} s: {len(contexts) / total:.0f} emails/s"
    )
    print(f"  (building the contexts, i.e. the database reads, took {context_seconds:.2f} s more)")
    print(f"  outcomes: {dict(outcomes)}; SpamAssassin {'on' if args.spamd else 'off'}")
    for name, seconds in parts.items():
        print(f"  {name:<24}{seconds:8.3f} s  {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil

        shutil.rmtree(SCRATCH, ignore_errors=True)
