"""Replies: how well the fallback reader reads, and how long one IMAP poll of 500 inboxes takes.

Usage::

    .venv/bin/python bench/replies.py [--inboxes 500] [--threads 48] [--skip-imap]

1. Fallback classifier (replies.classifier) on tests/fixtures/replies/labelled.jsonl:
   per-intent precision, recall and F1, macro-F1 for the whole set and for each split
   (``tuning``: the rules were developed against it; ``holdout``/``holdout2``: written
   later, phrasing the rules had not seen), and how accurate the confident readings
   (≥ 0.7, the ones that are not sent to a human) are.
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

from replies.classifier import classify_reply  # noqa: E402

LABELLED = REPO / "tests" / "fixtures" / "replies" / "labelled.jsonl"


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


def bench_classifier():
    rows = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    results = []
    started = time.perf_counter()
    for row in rows:
        today = datetime.date.fromisoformat(row.get("received", "2026-03-02"))
        answer = classify_reply(
            row["text"], subject=row["subject"], sender=row.get("sender", ""), headers=row.get("headers"), today=today
        )
        results.append((row, answer))
    elapsed = time.perf_counter() - started
    print(f"Fallback classifier: {len(rows)} labelled replies, {elapsed * 1000 / len(rows):.2f} ms each\n")
    table = per_intent([(row["intent"], answer.intent) for row, answer in results])
    print(f"{'intent':<18}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}")
    counts = Counter(row["intent"] for row in rows)
    for label, (precision, recall, f1) in table.items():
        print(f"{label:<18}{precision:>10.2f}{recall:>8.2f}{f1:>7.2f}{counts[label]:>5}")
    macro = sum(f1 for *_, f1 in table.values()) / len(table)
    print(f"{'macro-F1 (all)':<18}{macro:>25.3f}")
    for split in ("tuning", "holdout", "holdout2"):
        chosen = [(r["intent"], a.intent) for r, a in results if r.get("split", "tuning") == split]
        split_table = per_intent(chosen)
        split_macro = sum(f1 for *_, f1 in split_table.values()) / len(split_table)
        print(f"  {split:<16}macro-F1 {split_macro:.3f} on {len(chosen)} replies")
    confident = [(r, a) for r, a in results if a.confidence >= 0.7]
    right = sum(r["intent"] == a.intent for r, a in confident)
    print(
        f"confident (≥0.7): {len(confident)}/{len(rows)} replies, {right / max(len(confident), 1):.1%} correct; "
        f"the rest go to a human"
    )


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
    args = parser.parse_args()
    bench_classifier()
    if not args.skip_imap:
        bench_imap(args.inboxes, args.threads)


if __name__ == "__main__":
    main()
