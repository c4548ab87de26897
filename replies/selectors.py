"""Reads over replies: the confidence calibration report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from replies.models import CalibrationHistory, Intent, Reply

BANDS = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0001)]


@dataclass
class CalibrationRow:
    label: str
    predictions: int
    mean_confidence: float | None
    corrected: int

    @property
    def accuracy(self) -> float | None:
        return (self.predictions - self.corrected) / self.predictions if self.predictions else None

    @property
    def gap(self) -> float | None:
        """Predicted minus observed: positive means the reader is over-confident."""
        if self.mean_confidence is None or self.accuracy is None:
            return None
        return self.mean_confidence - self.accuracy


def _predictions(limit: int):
    """(predicted intent, predicted confidence, was corrected) for each interpreted reply.

    A corrected reply counts with what was predicted before the first correction (the
    reply row itself now holds the human's intent at confidence 1.0).
    """
    first_correction = {}
    for row in CalibrationHistory.objects.order_by("created_at").values(
        "reply_id", "predicted_intent", "predicted_confidence", "corrected_intent"
    ):
        first_correction.setdefault(row["reply_id"], row)
    for reply_id, intent, confidence in (
        Reply.objects.exclude(intent="").exclude(confidence__isnull=True)
        .order_by("-received_at")
        .values_list("id", "intent", "confidence")[:limit]
    ):  # fmt: skip
        correction = first_correction.get(reply_id)
        if correction:
            yield (
                correction["predicted_intent"],
                correction["predicted_confidence"],
                correction["corrected_intent"] != correction["predicted_intent"],
            )
        else:
            yield intent, confidence, False


def calibration_report(*, limit: int = 50_000) -> dict[str, list[CalibrationRow]]:
    """Per intent and per confidence band: predicted mean confidence vs. corrected accuracy."""
    by_intent = defaultdict(lambda: [0, 0.0, 0])
    by_band = defaultdict(lambda: [0, 0.0, 0])
    for intent, confidence, corrected in _predictions(limit):
        for bucket, key in ((by_intent, intent), (by_band, _band(confidence))):
            bucket[key][0] += 1
            bucket[key][1] += confidence
            bucket[key][2] += int(corrected)
    labels = dict(Intent.choices)
    intents = [
        CalibrationRow(labels.get(intent, intent), n, total / n if n else None, corrected)
        for intent, (n, total, corrected) in sorted(by_intent.items())
    ]
    bands = [CalibrationRow(f"{low:.1f}–{min(high, 1.0):.1f}", *_row(by_band.get(f"{low:.1f}"))) for low, high in BANDS]
    return {"intents": intents, "bands": bands}


def _band(confidence: float) -> str:
    for low, high in BANDS:
        if low <= confidence < high:
            return f"{low:.1f}"
    return "0.0"


def _row(values):
    if not values:
        return 0, None, 0
    n, total, corrected = values
    return n, total / n, corrected


@dataclass
class ConfirmationRow:
    intent: str
    reviewed: int  # readings a person confirmed or corrected
    right: int  # of those, confirmed as read

    @property
    def share_right(self) -> float | None:
        return self.right / self.reviewed if self.reviewed else None


def confirmation_report() -> list[ConfirmationRow]:
    """Per intent as read: of the readings a person looked at (confirmed or corrected, the
    first verdict per reply), how many were right."""
    first = {}
    for row in CalibrationHistory.objects.order_by("created_at").values(
        "reply_id", "predicted_intent", "corrected_intent"
    ):
        first.setdefault(row["reply_id"], row)
    reviewed, right = defaultdict(int), defaultdict(int)
    for row in first.values():
        reviewed[row["predicted_intent"]] += 1
        right[row["predicted_intent"]] += row["predicted_intent"] == row["corrected_intent"]
    labels = dict(Intent.choices)
    return [ConfirmationRow(labels.get(i, i), reviewed[i], right[i]) for i in sorted(reviewed)]
