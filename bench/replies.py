"""Replies: how well the offline reader reads, and how long one IMAP poll of 500 inboxes takes.

Usage::

    .venv/bin/python bench/replies.py [--split tuning|frozen|both] [--inboxes 500] [--threads 48] [--skip-imap]

1. The offline reader (replies.classifier.read_reply behind replies.cleaning.clean_reply_text,
   and replies.policy with its default thresholds) on the replies corpus
   (tests/fixtures/replies/corpus/): the **frozen** split (never tuned on; committed
   before any tuning) and the **tuning** split, each apart. For each: per-intent
   precision, recall and F1, macro-F1, the share of replies acted on automatically and
   the precision of those actions (the intent acted on is the gold one), how many
   automatic actions were irreversible and wrong, the same figures per language, and
   the precision of each kind of evidence per intent (what replies.policy trusts).
2. IMAP poll: a local Dovecot (tests/support/dovecot.py; Debian ``dovecot-imapd``) with
   ``--inboxes`` users in its passwd file, the same number of Inbox rows in a scratch
   SQLite database (or ``DATABASE_URL``), one reply waiting in every fifth mailbox. It
   times ``replies.inbound.imap.imap_poll`` three times: the first poll (cursors
   created, 100 replies stored), the steady state every minute sees (nothing new), and a
   poll with 50 fresh replies. Target: ≤ 5 s for a poll of 500 inboxes.
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO)  # run as a script, sys.path[0] is bench/
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")  # plain HTTP, a throwaway key
SCRATCH = Path(tempfile.mkdtemp(prefix="jengu-bench-replies-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
os.environ.update({"DEBUG": "false", "GROK_API_KEY": "", "ANTHROPIC_API_KEY": "", "JENGU_VAR_DIR": str(SCRATCH)})

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from replies.classifier import read_reply  # noqa: E402
from replies.cleaning import clean_reply_text  # noqa: E402
from replies.policy import IRREVERSIBLE, RISK, policy_decide  # noqa: E402

CORPUS = REPO / "tests" / "fixtures" / "replies" / "corpus"
TARGETS = {"auto_precision": 0.97, "macro_f1": 0.85, "auto_share": 0.5}


def load_split(name):
    return [json.loads(line) for line in (CORPUS / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def read_row(row, model=None):
    """The reader as production runs it: cleaning first, then the reader and the policy."""
    text = clean_reply_text(row["text"]) or row["text"].strip()
    reading = read_reply(
        text,
        subject=row["subject"],
        sender=row.get("sender", ""),
        headers=row.get("headers"),
        today=datetime.date.fromisoformat(row.get("received", "2026-03-02")),
        model=model,
    )
    value = reading.interpretation
    decision = policy_decide(intent=value.intent, confidence=value.confidence, provider="fallback", offline=reading)
    return reading, decision


def per_intent(pairs):
    labels = sorted({expected for expected, _ in pairs})
    true_pos, false_pos, false_neg = Counter(), Counter(), Counter()
    for expected, got in pairs:
        if expected == got:
            true_pos[expected] += 1
        else:
            false_pos[got] += 1
            false_neg[expected] += 1
    rows = {}
    for label in labels:
        precision = true_pos[label] / ((true_pos[label] + false_pos[label]) or 1)
        recall = true_pos[label] / ((true_pos[label] + false_neg[label]) or 1)
        rows[label] = (precision, recall, 2 * precision * recall / ((precision + recall) or 1))
    return rows


def macro_f1(pairs):
    table = per_intent(pairs)
    return sum(f1 for *_, f1 in table.values()) / max(len(table), 1)


def summary(results):
    """macro-F1, share automated, precision of the automatic actions, irreversible and wrong."""
    pairs = [(row["intent"], decision.intent) for row, _reading, decision in results]
    automatic = [(row, decision) for row, _reading, decision in results if decision.automatic]
    right = sum(row["intent"] == decision.intent for row, decision in automatic)
    wrong_irreversible = [
        row for row, decision in automatic if row["intent"] != decision.intent and decision.risk in IRREVERSIBLE
    ]
    return {
        "n": len(results),
        "macro_f1": macro_f1(pairs),
        "auto_share": len(automatic) / max(len(results), 1),
        "auto_precision": right / max(len(automatic), 1),
        "auto_n": len(automatic),
        "wrong_irreversible": wrong_irreversible,
    }


def report_split(name, rows, *, show_errors=False):
    started = time.perf_counter()
    results = [(row, *read_row(row)) for row in rows]
    elapsed = time.perf_counter() - started
    print(f"\n== {name} split: {len(rows)} replies, {elapsed * 1000 / max(len(rows), 1):.2f} ms each ==")
    pairs = [(row["intent"], decision.intent) for row, _reading, decision in results]
    counts = Counter(row["intent"] for row in rows)
    print(f"{'intent':<18}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}   risk")
    for label, (precision, recall, f1) in per_intent(pairs).items():
        print(f"{label:<18}{precision:>10.2f}{recall:>8.2f}{f1:>7.2f}{counts[label]:>5}   {RISK[label]}")
    total = summary(results)
    verdict = {key: "meets" if total[key] >= target else "BELOW" for key, target in TARGETS.items()}
    print(f"macro-F1 {total['macro_f1']:.3f} ({verdict['macro_f1']} ≥ {TARGETS['macro_f1']})")
    print(
        f"acted on automatically: {total['auto_n']}/{total['n']} = {total['auto_share']:.1%} "
        f"({verdict['auto_share']} ≥ 50%); precision of those actions {total['auto_precision']:.3f} "
        f"({verdict['auto_precision']} ≥ {TARGETS['auto_precision']})"
    )
    print(f"automatic, irreversible and wrong: {len(total['wrong_irreversible'])}")
    print(f"\n{'language':<10}{'n':>5}{'macro-F1':>10}{'automated':>11}{'auto precision':>16}")
    for lang in sorted({row["lang"] for row in rows}):
        part = summary([r for r in results if r[0]["lang"] == lang])
        print(
            f"{lang:<10}{part['n']:>5}{part['macro_f1']:>10.3f}{part['auto_share']:>11.1%}"
            f"{part['auto_precision']:>16.3f}"
        )
    evidence = Counter()
    evidence_right = Counter()
    for row, reading, _decision in results:
        key = (reading.interpretation.intent, reading.evidence)
        evidence[key] += 1
        evidence_right[key] += row["intent"] == reading.interpretation.intent
    print(f"\n{'reading':<18}{'evidence':<24}{'n':>5}{'precision':>11}")
    for (intent, kind), n in sorted(evidence.items()):
        print(f"{intent:<18}{kind:<24}{n:>5}{evidence_right[(intent, kind)] / n:>11.2f}")
    if show_errors:
        print("\nerrors:")
        for row, reading, decision in results:
            if row["intent"] != decision.intent:
                flag = "AUTO" if decision.automatic else "queue"
                print(
                    f"  {row['id']} {row['lang']} gold={row['intent']} read={decision.intent} "
                    f"({reading.interpretation.confidence}, {reading.evidence}, {flag}): {row['text'][:110]!r}"
                )
    return total


def cross_validate(rows, folds=5):
    """Rules alone, the model alone and both, each model trained on the other folds of
    the tuning split: how the choice between them was made (the frozen split is not read)."""
    import random

    from replies.classifier import Reading
    from replies.lexicon import reading_form as fold
    from replies.model import ReplyModel, train

    rows = list(rows)
    random.Random(7).shuffle(rows)
    results = {"rules": [], "model": [], "rules and model": []}
    for k in range(folds):
        held = rows[k::folds]
        trained = ReplyModel(
            train(
                [
                    (fold(clean_reply_text(r["text"]) or r["text"]), r["intent"])
                    for i, r in enumerate(rows)
                    if i % folds != k
                ]
            )
        )
        for row in held:
            results["rules"].append((row, *read_row(row, model=False)))
            results["rules and model"].append((row, *read_row(row, model=trained)))
            probabilities = trained.probabilities(fold(clean_reply_text(row["text"]) or row["text"]))
            best = max(probabilities, key=probabilities.get)
            reading = Reading(
                read_row(row, model=trained)[0].interpretation.model_copy(
                    update={"intent": best, "confidence": round(probabilities[best], 2)}
                ),
                "model",
            )
            decision = policy_decide(intent=best, confidence=probabilities[best], provider="fallback", offline=reading)
            results["model"].append((row, reading, decision))
    print(f"\n== {folds}-fold cross-validation on the tuning split ({len(rows)} replies) ==")
    print(f"{'reader':<18}{'macro-F1':>10}{'automated':>11}{'auto precision':>16}")
    for name, found in results.items():
        total = summary(found)
        print(f"{name:<18}{total['macro_f1']:>10.3f}{total['auto_share']:>11.1%}{total['auto_precision']:>16.3f}")


def bench_classifier(split: str, show_errors: bool = False, folds: int = 0):
    totals = {}
    # the frozen split first: the figures the README quotes; errors are printed for the
    # tuning split only (nobody tunes against the frozen one)
    if split in ("frozen", "both"):
        totals["frozen"] = report_split("frozen (never tuned)", load_split("frozen"))
    if split in ("tuning", "both"):
        totals["tuning"] = report_split("tuning", load_split("tuning"), show_errors=show_errors)
    if folds:
        cross_validate(load_split("tuning"), folds)
    return totals


def bench_imap(inbox_count: int, threads: int):
    from outreach.models import Inbox
    from replies.inbound.imap import imap_poll
    from replies.models import InboxCursor, Reply
    from tests.replies.helpers import inbound
    from tests.support.dovecot import PASSWORD, DovecotServer, dovecot_available

    if not dovecot_available():
        print("\nIMAP poll: skipped (install dovecot-imapd)")
        return
    call_command("migrate", verbosity=0)
    Reply.objects.all().delete()
    InboxCursor.objects.all().delete()
    Inbox.objects.all().delete()
    users = [f"bench{i:04d}@mail.jengu.test" for i in range(inbox_count)]
    server = DovecotServer(users, process_limit=max(600, threads * 4), high_performance=True).start()
    try:
        Inbox.objects.bulk_create(
            Inbox(
                email=user,
                display_name="Bench",
                smtp_host="127.0.0.1",
                imap_host="127.0.0.1",
                imap_port=server.port,
                imap_password=PASSWORD,
            )
            for user in users
        )
        for i, user in enumerate(users[::5]):
            server.deliver(user, inbound(f"Reply {i}: tell me more", sender=f"gm{i}@hotel{i}.example"))
        print(f"\nIMAP poll of {inbox_count} inboxes on a local Dovecot, {threads} threads")
        for label, prepare in [
            ("first poll (cursors created, 1 reply in every 5th inbox)", None),
            ("steady state (nothing new)", None),
            (
                "50 new replies",
                lambda: [
                    server.deliver(u, inbound(f"Again {u}", sender=f"x@{u.split('@')[0]}.example"))
                    for u in users[1::10]
                ],
            ),
        ]:
            if prepare:
                prepare()
            started = time.perf_counter()
            summary = imap_poll(threads=threads, timeout=20)
            elapsed = time.perf_counter() - started
            verdict = "OK" if elapsed <= 5 else "over the 5 s target"
            print(f"  {label:<58}{elapsed:6.2f} s  ({summary.new_replies} new, {summary.errors} errors) {verdict}")
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inboxes", type=int, default=500)
    parser.add_argument("--threads", type=int, default=48)
    parser.add_argument("--skip-imap", action="store_true")
    parser.add_argument("--split", choices=["tuning", "frozen", "both"], default="both")
    parser.add_argument("--errors", action="store_true", help="list the tuning split's errors")
    parser.add_argument("--folds", type=int, default=5, help="cross-validate rules / model / both (0: skip)")
    args = parser.parse_args()
    bench_classifier(args.split, show_errors=args.errors, folds=args.folds)
    if not args.skip_imap:
        bench_imap(args.inboxes, args.threads)


if __name__ == "__main__":
    main()
