"""A small statistical reader: multinomial naive Bayes over character n-grams.

Trained from the tuning split of the replies corpus only
(tests/fixtures/replies/corpus/tuning.jsonl) by ``manage.py train_reply_model``, which
writes ``replies/data/reply_model.json.gz`` (committed, a few hundred kB). Pure Python:
no numerical library to install, it loads in well under a second and reads a reply in
about a millisecond. ``replies.classifier`` combines it with the rules (see there for
how, and README "Replies" for why).

Features: the cleaned, folded text (accents off, lower case, digits as 0), padded with
spaces, cut into character 3- to 5-grams, plus word unigrams; each feature counts at
most once per reply (binary multinomial NB, which does better on short texts).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "data" / "reply_model.json.gz"
NGRAMS = (3, 4, 5)
MIN_COUNT = 2  # a feature seen in fewer training replies is dropped (keeps the file small)
ALPHA = 0.3  # Laplace smoothing


def features(folded: str) -> set[str]:
    text = re.sub(r"\d", "0", folded)
    text = " " + re.sub(r"\s+", " ", re.sub(r"[^\w@.'?!]+", " ", text)).strip() + " "
    found = set()
    for n in NGRAMS:
        found.update(text[i : i + n] for i in range(len(text) - n + 1))
    found.update("w:" + word for word in re.findall(r"\w+|\?", text))
    return found


def train(samples: list[tuple[str, str]]) -> dict:
    """``samples``: (folded text, intent). Returns the model as plain data."""
    labels = sorted({label for _, label in samples})
    index = {label: i for i, label in enumerate(labels)}
    docs = [0] * len(labels)
    counts: dict[str, list[int]] = {}
    seen_in: dict[str, int] = {}
    for text, label in samples:
        docs[index[label]] += 1
        for feature in features(text):
            counts.setdefault(feature, [0] * len(labels))[index[label]] += 1
            seen_in[feature] = seen_in.get(feature, 0) + 1
    kept = {f: c for f, c in counts.items() if seen_in[f] >= MIN_COUNT}
    return {"labels": labels, "docs": docs, "counts": kept, "alpha": ALPHA, "ngrams": list(NGRAMS)}


class ReplyModel:
    def __init__(self, data: dict):
        self.labels = data["labels"]
        alpha = data["alpha"]
        totals = [0] * len(self.labels)
        for row in data["counts"].values():
            for i, value in enumerate(row):
                totals[i] += value
        vocabulary = len(data["counts"])
        denominators = [math.log(total + alpha * vocabulary) for total in totals]
        self.log_prob = {
            feature: [math.log(value + alpha) - denominators[i] for i, value in enumerate(row)]
            for feature, row in data["counts"].items()
        }
        all_docs = sum(data["docs"])
        self.prior = [math.log(d / all_docs) for d in data["docs"]]

    def probabilities(self, folded: str) -> dict[str, float]:
        scores = list(self.prior)
        for feature in features(folded):
            row = self.log_prob.get(feature)
            if row:
                for i, value in enumerate(row):
                    scores[i] += value
        top = max(scores)
        # naive Bayes is over-sure: its log-odds are tempered before they become probabilities
        weights = [math.exp((s - top) / 12) for s in scores]
        total = sum(weights)
        return {label: w / total for label, w in zip(self.labels, weights, strict=True)}


def save(data: dict, path: Path = MODEL_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(data, handle, separators=(",", ":"), sort_keys=True)


@lru_cache(maxsize=1)
def load(path: Path = MODEL_PATH) -> ReplyModel | None:
    """The committed model, or None when the file is missing (the rules read alone)."""
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return ReplyModel(json.load(handle))
