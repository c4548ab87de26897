"""Reads over replies: the confidence calibration report, and the inbox's views and neighbours."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import BooleanField, Q

from infra.pagination import DEFERRED_JOIN_FROM
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
        return replies_of_owner(queryset, user.pk) if user.pk else queryset.none()
    if view == "interested":
        return queryset.filter(intent__in=INTERESTED_INTENTS)
    if view == "meetings":
        return queryset.filter(intent=Intent.MEETING_REQUEST)
    return queryset


def replies_of_owner(queryset, owner_id: int):
    """The replies of the prospects ``owner_id`` owns.

    Written as ``prospect_id IN (their prospects)`` rather than a join on the owner: on
    PostgreSQL the newest replies are then read down the received_at index and checked
    against the owner's prospects (12 ms on 500,000 replies), where the join walked every
    one of the owner's prospects first (100 ms and more)."""
    from prospects.models import Prospect

    return queryset.filter(prospect__in=Prospect.objects.filter(owner_id=owner_id).values("pk"))


def inbox_ordering(view: str) -> list[str]:
    """The order of a view: newest first; *All* shows the replies needing a human first.

    Inside a view the order is one indexed column, which PostgreSQL reads from its index and
    stops after a page; "needing a human first" is served by ``needs_human_first_page``."""
    return ["-needs_human", "-received_at"] if view in ("", "all") else ["-received_at"]


def needs_human_first_page(queryset, offset: int, limit: int) -> list[Reply]:
    """Rows ``offset``..``offset + limit`` of ``queryset`` ordered ``-needs_human, …``, as two
    reads down one index instead of a sort of the whole list: those needing a human (a
    few per cent), then the others. (``ORDER BY needs_human DESC, received_at DESC`` over
    500,000 replies sorts them all: 130 ms; each part alone: 2 ms.)"""
    rest = [term for term in queryset.query.order_by if term.lstrip("-") != "needs_human"]
    waiting = queryset.filter(needs_human=True).order_by(*rest)
    others = queryset.filter(needs_human=False).order_by(*rest)
    waiting_count = waiting.count()
    rows = list(_slice(waiting, offset, offset + limit)) if offset < waiting_count else []
    if len(rows) < limit:
        start = max(0, offset - waiting_count)
        rows += list(_slice(others, start, start + limit - len(rows)))
    return rows


def _slice(queryset, start: int, stop: int):
    """A slice of ``queryset``; a deep one as a deferred join (the skipped rows are walked as
    ids only, as infra.pagination does for every large list)."""
    if start >= DEFERRED_JOIN_FROM:
        return queryset.filter(pk__in=queryset[start:stop].values("pk"))
    return queryset[start:stop]


def inbox_counts(*, user) -> dict[str, int]:
    """The figure beside the *Needs a human* tab: one count on the needs_human index."""
    return {"needs_human": replies_in_view(Reply.objects.all(), "needs_human", user=user).count()}


def _after(name: str, value, *, smaller: bool) -> Q | None:
    """Rows whose ``name`` comes after ``value`` along the list (``smaller``: the list runs down).

    A boolean has one value after the other and none after the last: ``needs_human = false``
    is a condition an index can serve, ``needs_human < true`` is not read as one."""
    if name != "pk" and isinstance(Reply._meta.get_field(name), BooleanField):
        if value == smaller:  # True going down, False going up: the other value follows
            return Q(**{name: not value})
        return None
    return Q(**{f"{name}__{'lt' if smaller else 'gt'}": value})


def _neighbour(ids, ordering: list[tuple[str, bool]], values: dict, *, backwards: bool) -> int | None:
    """The id of the row next to ``values`` in ``ordering`` (the previous one when ``backwards``).

    One small query per level, deepest first, until one finds a row: rows equal on the
    fields before the level and after it on the level's own field, ordered by the fields
    from the level on (the equal ones are constant there, so an index on the level's field
    serves the order). The last field before the primary key, when it runs the same way,
    shares a level with it: ``received_at <= t AND NOT (received_at = t AND id >= v)``.
    """
    levels = []  # (index of the level's first field, its condition)
    last = len(ordering) - 1  # the primary key
    tail = last - 1
    if tail >= 0 and ordering[tail][1] == ordering[last][1] and ordering[tail][0] != "pk":
        name, descending = ordering[tail]
        if not isinstance(Reply._meta.get_field(name), BooleanField):
            smaller = descending != backwards
            reached = Q(**{f"{name}__{'lte' if smaller else 'gte'}": values[name]})
            behind = Q(**{name: values[name], f"pk__{'gte' if smaller else 'lte'}": values["pk"]})
            levels.append((tail, reached & ~behind))
            last = tail - 1
    for index in range(last, -1, -1):
        name, descending = ordering[index]
        condition = _after(name, values[name], smaller=descending != backwards)
        if condition is not None:
            levels.append((index, condition))
    for index, condition in levels:
        equal = Q(**{name: values[name] for name, _ in ordering[:index]})
        order_by = [
            f"{'-' if descending != backwards else ''}{name}"
            for name, descending in ordering[index:]
            if name == "pk" or not isinstance(Reply._meta.get_field(name), BooleanField)
        ]
        found = next(iter(ids.filter(equal & condition).order_by(*order_by)[:1]), None)
        if found is not None:
            return found
    return None


def reply_neighbours(queryset, reply: Reply) -> tuple[int | None, int | None]:
    """The ids of the replies before and after ``reply`` in ``queryset`` (filtered and ordered as
    the list the person came from): a few one-row queries on indexed columns, however long
    the list (``_neighbour``).

    The reply itself need not be in ``queryset`` any more (an answered reply leaves *Needs a
    human*): its place is where its values would sort. The ordering must be on plain fields
    that hold no NULL (the inbox sorts only on those); otherwise there are no neighbours.
    """
    ordering = []
    for term in queryset.query.order_by:
        if not isinstance(term, str) or "__" in term.lstrip("-"):
            return None, None
        name = term.lstrip("-")
        name = "pk" if name in ("pk", "id") else name
        if name not in (seen for seen, _ in ordering):  # the admin repeats its ordering after the list's
            ordering.append((name, term.startswith("-")))
    if not ordering or ordering[-1][0] != "pk":
        ordering.append(("pk", True))
    values = {}
    for name, _ in ordering:
        value = reply.pk if name == "pk" else getattr(reply, Reply._meta.get_field(name).attname)
        if value is None:
            return None, None
        values[name] = value
    ids = queryset.values_list("pk", flat=True)
    return (
        _neighbour(ids, ordering, values, backwards=True),
        _neighbour(ids, ordering, values, backwards=False),
    )
