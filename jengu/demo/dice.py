"""The demo's randomness: one seeded generator, and the few ways the demo draws from it.

Contract: every random draw of a batch goes through one ``Dice``, so a seed fixes the
whole batch. ``master`` is the batch's generator; ``rng`` is the stream being drawn from
right now (the batch gives each prospect its own streams, see ``batch.DemoBatch.add``),
and every part of the demo reads ``dice.rng`` at the moment it draws.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

SECOND, MINUTE, HOUR, DAY = 1, 60, 3600, 86400


class Dice:
    def __init__(self, rng: random.Random):
        self.master = self.rng = rng

    def secs(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(seconds=self.rng.uniform(low, high))

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def weighted(self, pairs):
        items, weights = zip(*pairs, strict=True)
        return self.rng.choices(items, weights=weights)[0]
