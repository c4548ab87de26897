"""Reads over replies: the confidence calibration report, and the inbox's views and neighbours."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

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


# --- the inbox --------------------------------------------------------------------------------

# The inbox's views, in the order its tabs show them. "Needs a human": the flag the reader,
# the policy and a waiting draft answer raise (replies.services); "Mine": the replies of the
# prospects the user owns (Prospect.owner); "Interested": the replies that want more
# (interested, or asking questions); "Meetings": those asking for a meeting.
INBOX_VIEWS = {
    "needs_human": "Needs a human",
    "mine": "Mine",
    "interested": "Interested",
    "meetings": "Meetings",
    "all": "All",
}
INTERESTED_INTENTS = (Intent.INTERESTED, Intent.NEEDS_MORE_INFO)


def replies_in_view(queryset, view: str, *, user):
    """``queryset`` narrowed to one of the inbox's views (INBOX_VIEWS); "all" or an unknown name: as it is."""
    if view == "needs_human":
        return queryset.filter(needs_human=True)
    if view == "mine":
        return queryset.filter(prospect__owner_id=user.pk) if user.pk else queryset.none()
    if view == "interested":
        return queryset.filter(intent__in=INTERESTED_INTENTS)
    if view == "meetings":
        return queryset.filter(intent=Intent.MEETING_REQUEST)
    return queryset


def inbox_counts(*, user) -> dict[str, int]:
    """The figures beside the tabs: replies needing a human, and of those the user's own.

    Two counts on small sets (the needs_human index; the user's prospects by their owner
    index), never a count of the whole table."""
    waiting = replies_in_view(Reply.objects.all(), "needs_human", user=user)
    return {
        "needs_human": waiting.count(),
        "mine": replies_in_view(waiting, "mine", user=user).count(),
    }


def _keyset_after(ordering: list[tuple[str, bool]], values: dict, *, backwards: bool) -> Q:
    """Rows strictly after (or before) the one with ``values`` in ``ordering``.

    For ``(a desc, b desc, pk desc)``: ``a < va OR (a = va AND b < vb) OR (a = va AND b = vb
    AND pk < vpk)``; ascending fields compare the other way, and ``backwards`` flips them all.
    """
    after = Q(pk__in=[])
    equal = Q()
    for name, descending in ordering:
        lookup = "lt" if descending != backwards else "gt"
        after |= equal & Q(**{f"{name}__{lookup}": values[name]})
        equal &= Q(**{name: values[name]})
    return after


def reply_neighbours(queryset, reply: Reply) -> tuple[int | None, int | None]:
    """The ids of the replies before and after ``reply`` in ``queryset`` (filtered and ordered as
    the list the person came from): two queries of one row each, however long the list.

    The reply itself need not be in ``queryset`` any more (an answered reply leaves *Needs a
    human*): its place is where its values would sort. The ordering must be on plain fields
    that hold no NULL (the inbox sorts only on those); otherwise there are no neighbours.
    """
    ordering = []
    for term in queryset.query.order_by:
        if not isinstance(term, str) or "__" in term.lstrip("-"):
            return None, None
        name = term.lstrip("-")
        ordering.append(("pk" if name in ("pk", "id") else name, term.startswith("-")))
    if not ordering or ordering[-1][0] != "pk":
        ordering.append(("pk", True))
    values = {}
    for name, _ in ordering:
        value = reply.pk if name == "pk" else getattr(reply, Reply._meta.get_field(name).attname)
        if value is None:
            return None, None
        values[name] = value
    order_by = [f"{'-' if descending else ''}{name}" for name, descending in ordering]
    reverse = [f"{'' if descending else '-'}{name}" for name, descending in ordering]
    ids = queryset.values_list("pk", flat=True)
    following = ids.filter(_keyset_after(ordering, values, backwards=False)).order_by(*order_by)[:1]
    preceding = ids.filter(_keyset_after(ordering, values, backwards=True)).order_by(*reverse)[:1]
    return next(iter(preceding), None), next(iter(following), None)
