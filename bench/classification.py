"""How good and how fast the rule-based posting classifier is, against a one-keyword baseline.

Usage::

    .venv/bin/python bench/classification.py [--seconds 1.0]

Quality on the hand-labelled set ``tests/fixtures/classification/labelled_postings.csv``:
precision, recall and F1 of ``is_hospitality`` (target: precision ≥ 0.9 at recall ≥ 0.8),
market-tier accuracy on the rows labelled hospitality (a row labelled with no tier — a
multi-brand head office — counts as right when the rules give none), and every
misclassified row. The same figures follow for ``holdout_postings.csv``, a second set
written before the rules were first run and never used to adjust them: the honest
estimate of how the rules do on postings nobody tuned for.

Speed: postings per second of ``classify_posting_rules`` and of the trivial baseline
(``"hotel" in text``), measured in the same run on the same postings, each repeated for
``--seconds`` and best of three; reported as a ratio. The baseline's own precision and
recall are shown too, so the price of the rules is visible next to what they buy.

Exit status 1 when the labelled set misses the precision/recall targets.
"""

import argparse
import csv
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# run as a script, sys.path[0] is bench/; the project's packages live one level up
sys.path[0] = str(REPO)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings_test")  # plain HTTP, a throwaway key

import django  # noqa: E402

django.setup()

from prospects.classification import classify_posting_rules  # noqa: E402
from prospects.providers.base import PostingFound  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "classification"
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.8


def load(path: Path) -> list[tuple[PostingFound, bool, str | None]]:
    with open(path, encoding="utf-8") as f:
        return [
            (
                PostingFound(
                    source="manual",
                    title=row["title"],
                    company=row["company"],
                    location=row["location"],
                    snippet=row["snippet"],
                ),
                row["is_hospitality"] == "1",
                row["market_tier"] or None,
            )
            for row in csv.DictReader(f)
        ]


def baseline(posting: PostingFound) -> bool:
    """The trivial classifier: does the word appear anywhere?"""
    return "hotel" in f"{posting.title} {posting.company} {posting.snippet}".lower()


def scores(predicted: list[bool], expected: list[bool]) -> tuple[float, float, float]:
    tp = sum(p and e for p, e in zip(predicted, expected, strict=True))
    fp = sum(p and not e for p, e in zip(predicted, expected, strict=True))
    fn = sum(e and not p for p, e in zip(predicted, expected, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def throughput(classify, postings: list[PostingFound], seconds: float) -> float:
    """Postings per second, best of three runs of at least ``seconds`` each."""
    best = 0.0
    for _ in range(3):
        done, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for posting in postings:
                classify(posting)
            done += len(postings)
        best = max(best, done / elapsed)
    return best


def report(name: str, rows) -> tuple[float, float]:
    postings = [posting for posting, _, _ in rows]
    expected = [label for _, label, _ in rows]
    results = [classify_posting_rules(posting) for posting in postings]
    predicted = [result.is_hospitality for result in results]
    precision, recall, f1 = scores(predicted, expected)
    b_precision, b_recall, b_f1 = scores([baseline(p) for p in postings], expected)

    hospitality = [(result, tier) for result, (_, label, tier) in zip(results, rows, strict=True) if label]
    tier_right = sum(result.market_tier == tier for result, tier in hospitality)

    print(f"\n== {name}: {len(rows)} postings, {sum(expected)} hospitality ==")
    print(f"rules     precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print(f"baseline  precision {b_precision:.3f}  recall {b_recall:.3f}  F1 {b_f1:.3f}   ('hotel' in text)")
    accuracy = tier_right / len(hospitality)
    print(f"market tier accuracy on hospitality rows: {tier_right}/{len(hospitality)} = {accuracy:.3f}")
    print("misclassified:")
    wrong = 0
    for (posting, label, tier), result in zip(rows, results, strict=True):
        kind = ""
        if result.is_hospitality != label:
            kind = "false positive" if result.is_hospitality else "false negative"
        elif label and result.market_tier != tier:
            kind = f"tier {result.market_tier} (labelled {tier})"
        if kind:
            wrong += 1
            print(f"  - {kind:<32} {posting.title} | {posting.company} (confidence {result.confidence})")
    if not wrong:
        print("  (none)")
    return precision, recall


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum duration of each timing run")
    args = parser.parse_args()

    labelled = load(FIXTURES / "labelled_postings.csv")
    precision, recall = report("labelled set", labelled)
    holdout_path = FIXTURES / "holdout_postings.csv"
    if holdout_path.exists():
        report("holdout set (never tuned on)", load(holdout_path))

    postings = [posting for posting, _, _ in labelled]
    rules_rate = throughput(classify_posting_rules, postings, args.seconds)
    baseline_rate = throughput(baseline, postings, args.seconds)
    print("\n== throughput (same postings, same run) ==")
    print(f"rules     {rules_rate:>12,.0f} postings/s")
    print(f"baseline  {baseline_rate:>12,.0f} postings/s")
    ratio = rules_rate / baseline_rate
    print(f"rules / baseline = {ratio:.4f}  (the rules are {1 / ratio:,.0f}x slower)")

    ok = precision >= TARGET_PRECISION and recall >= TARGET_RECALL
    print(f"\ntarget precision ≥ {TARGET_PRECISION} at recall ≥ {TARGET_RECALL}: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
