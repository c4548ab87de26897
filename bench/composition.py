"""Emails a general manager would answer: speed and quality of 400 first emails, per language and path.

Usage (any database; by default a scratch SQLite file, removed at exit)::

    .venv/bin/python bench/composition.py [--prospects 400] [--no-spamd] [--show 2]
    DATABASE_URL=postgres://root@127.0.0.1:5432/jengu_bench_compose .venv/bin/python bench/composition.py

The run migrates and creates ``--prospects`` prospects for one 'local' campaign: countries
US, DE, FR, ES (emails in en, de, fr, es), four situations in turn (hiring signal, pain
signal, website gap, nothing known), hotels and cities of each country, job adverts
written the way job boards write them in seven languages (markers such as "(m/w/d)",
"(H/F)", "- Vollzeit", "#hiring" included, so every language meets foreign titles), and
research that found something about most hotels (review themes with a guest's words,
website gaps, news that names the hotel) and nothing about some.

Two paths compose every prospect, nothing saved but the AI gateway's call log:

- **template**: no AI key, the path a machine without keys takes; timed, with the time
  split into the template, each gate and the gateway's bookkeeping (emails/s, as before).
- **AI (recorded answers)**: the real Grok client on a mock transport that plays back
  the answers recorded in ``tests/fixtures/composition/recorded_first_emails.json`` (the
  prospect's own name, hotel, city, role and facts filled in from the request's data, as
  a model would use them); one answer in ten first comes back with an invented
  statistic, so the regenerate-with-constraints loop runs. Its similarity measures the
  recordings, not a live model.

Printed per language and path (``outreach.composition.measures``): broken punctuation
(unpaired brackets or quotes, doubled words, sentences that stop mid-way; target 0),
invented facts (the facts gate on the final email; target 0), mixed-language sentences
(target 0), pairwise 5-word-shingle Jaccard within the campaign and language, median and
90th percentile (target p90 ≤ 0.35), the share of emails citing a hotel-specific fact
among those whose research found one (target ≥ 80 %), and SpamAssassin's score from a
spamd this script starts on loopback (``tests/support/spamd.py``; target < 2.0 for every
email; skipped when spamd is not installed, or with ``--no-spamd``).
"""

import argparse
import collections
import json
import os
import random
import re
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

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from infra.http import override_transport  # noqa: E402
from infra.providers.grok import GrokClient  # noqa: E402
from outreach.composition.composer import compose  # noqa: E402
from outreach.composition.context import build_context  # noqa: E402
from outreach.composition.gates import facts_gate, message_for_spamassassin  # noqa: E402
from outreach.composition.measures import (  # noqa: E402
    broken_punctuation,
    cited_facts,
    mixed_language_sentences,
    pairwise,
    spread,
)
from outreach.composition.spamd import SpamdUnavailable, spamd_check  # noqa: E402
from outreach.composition.templates import fact_phrase  # noqa: E402
from outreach.models import Campaign  # noqa: E402
from prospects.models import JobPosting, Prospect, ResearchReport  # noqa: E402

LANGUAGES = ["en", "de", "fr", "es"]
SITUATIONS = ["hiring", "pain", "tech_gap", "general"]
COUNTRIES = {
    "en": ("US", ["Denver", "Austin", "Boston", "Seattle", "Chicago", "Portland", "Savannah"]),
    "de": ("DE", ["München", "Hamburg", "Berlin", "Köln", "Leipzig", "Dresden", "Freiburg"]),
    "fr": ("FR", ["Lyon", "Paris", "Bordeaux", "Nice", "Lille", "Nantes", "Annecy"]),
    "es": ("ES", ["Sevilla", "Madrid", "Valencia", "Bilbao", "Málaga", "Granada", "Cádiz"]),
}
HOTEL_NAMES = {
    "en": ["Harbour View", "Lakeside", "Park Lane", "Riverside", "Old Mill", "Hillcrest", "Maple", "Union Square",
           "Bayside", "Granary", "Foundry", "Meridian", "Juniper", "Cedar House", "Copper Beech"],
    "de": ["Stadtpark", "Lindenhof", "Alsterblick", "Sonnenhof", "Rheinblick", "Kranich", "Goldener Hirsch",
           "Altstadt", "Marktplatz", "Elbufer", "Schlossgarten", "Parkresidenz", "Domblick", "Kastanienhof",
           "Seeblick"],
    "fr": ["des Arts", "du Parc", "Belle Époque", "Lumière", "de la Gare", "du Théâtre", "Les Tilleuls",
           "Le Chartrons", "des Célestins", "du Vieux Port", "Saint-Paul", "La Villa", "Les Remparts", "Mistral",
           "Le Marais"],
    "es": ["Casa del Río", "Plaza Mayor", "Los Naranjos", "Puerta del Sol", "Posada del Mar", "La Alameda",
           "El Patio", "Las Dunas", "Santa Cruz", "La Giralda", "Mirador", "El Olivo", "Las Palmeras", "San Telmo",
           "La Fuente"],
}  # fmt: skip
HOTEL_PATTERN = {"en": "{name} Hotel", "de": "Hotel {name}", "fr": "Hôtel {name}", "es": "Hotel {name}"}
FIRST_NAMES = {
    "en": ["Megan", "James", "Olivia", "", "Daniel"],
    "de": ["Jonas", "Anna", "", "Lukas", "Sophie"],
    "fr": ["Claire", "Julien", "", "Camille", "Louis"],
    "es": ["Lucía", "Diego", "", "Carmen", "Javier"],
}
LAST_NAMES = ["Weber", "Martin", "García", "Brown", "Rossi", "Dubois", "Fischer", "López"]
# job adverts as boards write them, in seven languages (every email language meets foreign ones)
JOB_TITLES = [
    "Front Desk Manager", "Night Auditor (m/w/d)", "Réceptionniste (H/F)", "Nachtportier (m/w/d) - Vollzeit",
    "Capo Ricevimento", "Reservierungsmitarbeiter (m/w/d)", "Réceptionniste tournant (H/F)",
    "Recepcionista - Jornada completa", "Front Desk Agent – Full-time #hiring", "Jefe/a de Recepción",
    "Empfangschef (m/w/d) ab sofort", "Chef de réception (H/F) CDI", "Guest Relations Manager (w/m/d)",
    "Receptiemedewerker", "Rececionista", "Revenue Manager (H/F)", "Housekeeper (f/m/x)", "Spa Therapist (m/f/d)",
    "Hotel Receptionist - Part-time", "Agent de réservation (F/H)", "Mitarbeiter/in Rezeption (Teilzeit)",
    "Anfitrión de Parque", "Guest Ambassador", "Portiere di notte",
]  # fmt: skip
PAINS = ["slow_checkin", "wifi", "noise", "slow_replies", "booking_errors", "breakfast", "parking", "dirty_rooms"]
EVIDENCE = {
    "slow_checkin": "we waited at reception for twenty minutes",
    "wifi": "the wifi kept dropping in our room",
    "noise": "very noisy at night, street noise",
    "slow_replies": "nobody answered my email before arrival",
    "booking_errors": "they had lost our booking",
    "breakfast": "breakfast was disappointing",
    "parking": "parking was a nightmare",
    "dirty_rooms": "the bathroom was not clean",
}
NEWS = [
    "{hotel} completes spa renovation",
    "{hotel} appoints new general manager",
    "{hotel} reopens after refurbishment",
    "{hotel} wins Green Key award",
    "{hotel} announces expansion with new wing",
]
CAMPAIGN = {
    "product_pitch": "Jengu checks guests in on their phones before they arrive and answers the routine questions "
    "that keep a front desk busy.",
    "case_studies": ["A 182-room upscale hotel in Austin cut average check-in from six minutes to under two."],
    "sender_name": "Edd Chen",
    "signature": "Edd Chen\nJengu",
    "language": "local",
    "postal_address": "Jengu Ltd, 1 Harbour Street, Bristol BS1 4AA, United Kingdom",
}
# two more phrasings of the demo campaign's pitch (--pitch-phrasings): what a campaign with a
# long pitch writes to keep its emails apart (Campaign.product_pitch, separated by ---)
DEMO_PITCH_PHRASINGS = [
    "With Jengu, guests check in on their phone before they arrive, and the everyday questions about parking, "
    "breakfast or a late arrival get answered without anyone at the desk picking up. Your team keeps its time for "
    "the guests in front of it. It works with OPERA, Mews, Protel and Cloudbeds and is set up in a day.",
    "Jengu takes the routine off the front desk: online check-in before arrival, and instant answers to the "
    "questions guests ask every day. That way even a small team can give every arrival its full attention. Setup "
    "takes a day on OPERA, Mews, Protel or Cloudbeds.",
]
RECORDINGS = REPO / "tests" / "fixtures" / "composition" / "recorded_first_emails.json"


def make_prospects(count: int) -> list[tuple[Prospect, str]]:
    """``count`` prospects with their research, and each one's situation."""
    rng = random.Random(23)
    made = []
    with transaction.atomic():
        for i in range(count):
            language = LANGUAGES[i % 4]
            situation = SITUATIONS[(i // 4) % 4]
            country, cities = COUNTRIES[language]
            names = HOTEL_NAMES[language]
            city = cities[(i // 4) // len(names) % len(cities)]  # every (hotel, city) once
            hotel = HOTEL_PATTERN[language].format(name=names[(i // 4) % len(names)])
            first = FIRST_NAMES[language][i % 5]
            prospect = Prospect.objects.create(
                name=f"{first} {LAST_NAMES[i % len(LAST_NAMES)]}" if first else "",
                company_name=hotel,
                city=city,
                country=country,
                email=f"gm{i}@hotel{i}.example",
                stage="ready",
                website_analysis={
                    "technology": {"gaps": ["no_booking_engine" if rng.random() < 0.7 else "no_chat"]}
                    if situation == "tech_gap" or (situation == "hiring" and rng.random() < 0.25)
                    else {"gaps": []}
                },
            )
            pains, news = [], []
            if situation == "pain" or (situation == "hiring" and rng.random() < 0.5):
                for key in rng.sample(PAINS, rng.choice([1, 1, 2])):
                    pains.append({"key": key, "label": key, "evidence": EVIDENCE[key], "source_url": ""})
            if situation == "general" and rng.random() < 0.5 or situation == "hiring" and rng.random() < 0.2:
                news.append({"title": rng.choice(NEWS).format(hotel=hotel), "url": "", "date": "May 2026"})
            if pains or news:
                ResearchReport.objects.create(
                    prospect=prospect, summary="", pain_signals=pains, news=news, provider="sandbox"
                )
            if situation == "hiring":
                JobPosting.objects.create(
                    prospect=prospect,
                    source="linkedin",
                    title=JOB_TITLES[(i // 16) % len(JOB_TITLES)],
                    company_name=hotel,
                )
            made.append((prospect, situation))
    return made


# --- the AI path: recorded answers ------------------------------------------------------------


class RecordedGrok:
    """Answers a Grok chat completion with a recorded email for the prospect in the request.

    The recording is chosen from the request's language and situation (the prompt says
    which); the prospect's greeting, hotel, city, role and surest fact are filled in from
    the fenced data, as a model would use them. Every tenth prospect's first answer
    carries an invented statistic, which the facts gate refuses."""

    def __init__(self, contexts):
        self.recordings = json.loads(RECORDINGS.read_text())
        self.current = None
        self.calls = collections.Counter()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        context = self.current
        self.calls[context.variation_key] += 1
        recorded = self.recordings[context.language]
        answer = recorded[context.situation][context.seed % len(recorded[context.situation])]
        facts = context.citable_facts
        reviews = [f for f in facts if f.kind == "review"]
        gaps = [f for f in facts if f.kind == "website"]
        news = [f for f in facts if f.kind == "news"]
        role = context.hiring.role.text if context.hiring else ""
        values = {
            "greeting": recorded["greeting_named"].format(name=context.first_name)
            if context.first_name
            else recorded["greeting"],
            "hotel": context.company or recorded["your_hotel"],
            "city": context.city,
            "role": role,
            "fact": fact_phrase(context, (reviews or news or [None])[0]),
            "gap": recorded["gaps"][gaps[0].key] if gaps else "",
        }
        body = answer["body"].replace("{signature}", "\n".join(context.sign_off_lines))
        if context.situation == "hiring":
            body = body.replace("{hiring}", answer["hiring_role" if role else "hiring_team"])
            top = facts[0] if facts else None
            if top is not None:  # the surest fact, as the prompt asks
                values["fact"] = fact_phrase(context, top)
                values["gap"] = recorded["gaps"].get(top.key, "")
            body = body.replace("{fact_sentence}", answer[f"fact_{top.kind}"] if top else "")
        if context.situation == "general":
            body = body.replace("{opening}", answer["opening_news" if news else "opening"])
            values["fact"] = fact_phrase(context, news[0]) if news else ""
        if self.calls[context.variation_key] == 1 and context.seed % 10 == 0:
            body = body.replace(recorded["invent_after"], recorded["invented"], 1)
        subject = answer["subject_hotel" if context.company else "subject"]
        content = {"subject": subject.format(**values), "body": re.sub(r"[ \t]+", " ", body.format(**values))}
        return httpx.Response(
            200,
            json={
                "id": "recorded",
                "model": "grok-recorded",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(content)}}],
                "usage": {"prompt_tokens": 900, "completion_tokens": 220},
            },
        )


# --- measuring ----------------------------------------------------------------------------------


def measure(drafts, contexts, situations, sa_scores):
    """Rows of figures per language for one path."""
    rows = {}
    for language in LANGUAGES:
        chosen = [i for i, c in enumerate(contexts) if c.language == language]
        broken = sum(1 for i in chosen if broken_punctuation(drafts[i].subject, drafts[i].body, language))
        invented = sum(1 for i in chosen if not facts_gate(drafts[i].subject, drafts[i].body, contexts[i]).passed)
        mixed = [s for i in chosen for s in mixed_language_sentences(drafts[i].body, contexts[i])]
        similarity = spread(pairwise([drafts[i].body for i in chosen]))
        same_situation = []
        for situation in SITUATIONS:
            same_situation += pairwise([drafts[i].body for i in chosen if situations[i] == situation])
        with_facts = [i for i in chosen if contexts[i].facts]
        citing = sum(1 for i in with_facts if cited_facts(drafts[i].body, contexts[i]))
        scores = [sa_scores[i] for i in chosen if sa_scores.get(i) is not None]
        rows[language] = {
            "emails": len(chosen),
            "passed": sum(1 for i in chosen if drafts[i].passed),
            "broken": broken,
            "invented": invented,
            "mixed": len(mixed),
            "mixed_examples": mixed[:3],
            "similarity": similarity,
            "same_situation_p90": spread(same_situation)["p90"],
            "citing": citing,
            "with_facts": len(with_facts),
            "sa_max": max(scores) if scores else None,
            "sa_over": sum(1 for s in scores if s >= 2.0),
            "written_by": collections.Counter(drafts[i].written_by for i in chosen),
        }
    return rows


def print_rows(path: str, rows: dict):
    print(f"\n{path}")
    print(
        "  lang  emails passed  broken invented mixed  jaccard median  p90 (same situation)  max  "
        "cite a fact  SpamAssassin max (≥2.0)"
    )
    for language, r in rows.items():
        if not r["emails"]:
            continue
        share = 100 * r["citing"] / r["with_facts"] if r["with_facts"] else 100.0
        sa = "skipped" if r["sa_max"] is None else f"{round(r['sa_max'], 1) + 0.0:.1f} ({r['sa_over']})"
        s = r["similarity"]
        print(
            f"  {language:<5}{r['emails']:>6}{r['passed']:>7}{r['broken']:>8}{r['invented']:>9}{r['mixed']:>6}"
            f"{s['median']:>16.3f}{s['p90']:>6.3f} ({r['same_situation_p90']:.3f}){s['max']:>12.3f}"
            f"  {r['citing']:>3}/{r['with_facts']:<3} {share:5.1f} %  {sa}"
        )
        if r["mixed_examples"]:
            print(f"        mixed: {r['mixed_examples']}")
        if set(r["written_by"]) != {"template"}:
            print(f"        written by: {dict(r['written_by'])}")


def spamassassin_scores(drafts, contexts, address) -> dict:
    scores = {}
    if address is None:
        return scores
    host, port = address
    for i, (draft, context) in enumerate(zip(drafts, contexts, strict=True)):
        try:
            verdict = spamd_check(message_for_spamassassin(draft.subject, draft.body, context), host=host, port=port)
        except SpamdUnavailable:
            continue
        scores[i] = verdict.score
    return scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prospects", type=int, default=400)
    parser.add_argument("--no-spamd", action="store_true", help="skip SpamAssassin even when spamd is installed")
    parser.add_argument("--no-ai", action="store_true", help="the template path only")
    parser.add_argument("--show", type=int, default=0, help="print this many emails per language and path")
    parser.add_argument(
        "--campaign",
        choices=["bench", "demo"],
        default="bench",
        help="bench: a 'local' campaign (emails in en, de, fr, es); demo: the demo's first campaign, in English "
        "to hotels in every country (its longer pitch, three case studies, its call to action)",
    )
    parser.add_argument(
        "--pitch-phrasings",
        action="store_true",
        help="with --campaign demo: its pitch written three ways (one per prospect) instead of one",
    )
    args = parser.parse_args()
    settings.SPAMD_HOST = ""  # the gates run without spamd; the bench asks spamd itself below
    call_command("migrate", verbosity=0)
    Prospect.objects.all().delete()
    if args.campaign == "demo":
        from jengu.demo.catalogue import CAMPAIGNS, POSTAL_ADDRESS

        spec = {k: v for k, v in CAMPAIGNS[0].items() if k != "name"}
        defaults = {**spec, "sender_name": "Edd Chen", "language": "en", "postal_address": POSTAL_ADDRESS}
        if args.pitch_phrasings:
            defaults["product_pitch"] = "\n---\n".join([spec["product_pitch"], *DEMO_PITCH_PHRASINGS])
        campaign, _ = Campaign.objects.update_or_create(name=CAMPAIGNS[0]["name"], defaults=defaults)
    else:
        campaign, _ = Campaign.objects.update_or_create(name="Bench", defaults=CAMPAIGN)
    made = make_prospects(args.prospects)
    prospects = [p for p, _ in made]
    situations = [s for _, s in made]

    started = time.perf_counter()
    contexts = [build_context(p, campaign) for p in prospects]
    context_seconds = time.perf_counter() - started

    # the template path, timed as before
    timings: dict[str, float] = collections.defaultdict(float)
    started = time.perf_counter()
    template_drafts = [compose(context, providers=[], timings=timings) for context in contexts]
    total = time.perf_counter() - started
    gates = ["spam", "readability", "facts", "form"]
    parts = {"template": timings["template"], **{g: timings[g] for g in gates}}
    parts["gateway and bookkeeping"] = total - sum(parts.values())
    print(
        f"{len(contexts)} emails composed on the template path in {total:.2f} s: {len(contexts) / total:.0f} emails/s"
    )
    print(f"  (building the contexts, i.e. the database reads, took {context_seconds:.2f} s more)")
    for name, seconds in parts.items():
        print(f"  {name:<24}{seconds:8.3f} s  {100 * seconds / total:5.1f}%")

    # the AI path: the Grok client on a transport that plays back the recordings
    ai_drafts = []
    if not args.no_ai:
        recorded = RecordedGrok(contexts)
        with override_transport(httpx.MockTransport(recorded)):
            client = GrokClient(api_key="xai-bench-recorded")
        started = time.perf_counter()
        for context in contexts:
            recorded.current = context
            ai_drafts.append(compose(context, providers=[client]))
        ai_seconds = time.perf_counter() - started
        regenerated = sum(1 for d in ai_drafts if len(d.attempts) > 1)
        print(
            f"\nAI path (recorded answers): {len(contexts) / ai_seconds:.0f} emails/s; {regenerated} regenerated "
            "after a gate refused the first answer"
        )
    paths = [("template path", template_drafts)] + ([("AI path, recorded answers", ai_drafts)] if ai_drafts else [])

    address = None
    spamd_context = None
    if not args.no_spamd:
        from tests.support.spamd import running_spamd

        spamd_context = running_spamd()
        address = spamd_context.__enter__()
        if address is None:
            print("\nSpamAssassin: spamd is not installed; its column is skipped")
    try:
        for path, drafts in paths:
            print_rows(path, measure(drafts, contexts, situations, spamassassin_scores(drafts, contexts, address)))
    finally:
        if spamd_context is not None:
            spamd_context.__exit__(None, None, None)
    if args.show:
        for path, drafts in paths:
            for language in LANGUAGES:
                chosen = [i for i, c in enumerate(contexts) if c.language == language][: args.show]
                for i in chosen:
                    print(f"\n--- {path} {language} {situations[i]}\nSubject: {drafts[i].subject}\n{drafts[i].body}")


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil

        shutil.rmtree(SCRATCH, ignore_errors=True)
