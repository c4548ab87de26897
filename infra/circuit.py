"""Circuit breakers shared by every worker (state in the database, not in memory).

After ``failure_threshold`` consecutive failures a circuit opens: calls are refused
without touching the service for ``cooldown`` seconds. Then exactly one caller wins the
half-open trial (a conditional UPDATE); its success closes the circuit, its failure
opens it for another cool-down. A trial whose caller died is given up after a cool-down.

A healthy circuit costs one read per call: ``allow()`` reads the row (or takes one the
caller read with others, ``circuits_read``), and a success on a circuit that was closed
with no failures writes nothing (the metrics still count it).
"""

import datetime
import time
from collections.abc import Callable

from django.db.models import F
from django.utils import timezone

from infra.errors import ApplicationError
from infra.events import CIRCUIT_OPENED, event_record
from infra.metrics import provider_call_record
from infra.models import CircuitState

State = CircuitState.State


class CircuitOpen(ApplicationError):
    """The service's circuit is open: the call was not attempted."""


def circuits_read(keys) -> dict[str, CircuitState]:
    """The rows of several circuits, by key, in one query (a circuit never used has none)."""
    return {row.key: row for row in CircuitState.objects.filter(key__in=list(keys))}


class CircuitBreaker:
    def __init__(
        self,
        key: str,
        *,
        failure_threshold: int = 3,
        cooldown: int = 300,
        clock: Callable = timezone.now,
        row: CircuitState | None = None,
    ):
        """``row``: the circuit's row as the caller read it a moment ago (``circuits_read``),
        used by the next ``allow()`` instead of reading it again."""
        self.key = key
        self.failure_threshold = failure_threshold
        self.cooldown = datetime.timedelta(seconds=cooldown)
        self.clock = clock
        self._given = row
        self._seen: CircuitState | None = None  # the row allow() decided on

    def _row(self) -> CircuitState:
        row, _ = CircuitState.objects.get_or_create(key=self.key)
        return row

    def _rows(self):
        return CircuitState.objects.filter(key=self.key)

    def state(self) -> str:
        return self._row().state

    def allow(self) -> bool:
        """May a call go out now? Claims the half-open trial when the cool-down is over."""
        row, self._given = self._given or self._row(), None
        self._seen = row
        if row.state == State.CLOSED:
            return True
        now = self.clock()
        if row.opened_at and now - row.opened_at >= self.cooldown:
            # open, cooled down (or a half-open trial abandoned for a cool-down): one
            # caller wins the trial, the rest stay refused
            won = (
                self._rows()
                .filter(state=row.state, opened_at=row.opened_at)
                .update(state=State.HALF_OPEN, opened_at=now)
            )
            return bool(won)
        return False

    def record_success(self, *, seconds: float | None = None) -> None:
        seen, self._seen = self._seen, None
        if not (seen and seen.state == State.CLOSED and not seen.consecutive_failures):
            # a healthy circuit stays as it was: nothing to write
            self._rows().update(state=State.CLOSED, consecutive_failures=0, opened_at=None, last_error="")
        provider_call_record(self.key, ok=True, seconds=seconds)

    def record_failure(self, error: str = "", *, seconds: float | None = None) -> None:
        self._seen = None
        now = self.clock()
        self._row()
        self._rows().update(consecutive_failures=F("consecutive_failures") + 1, last_error=error[:500])
        # a failed trial reopens at once; a closed circuit opens at the threshold
        reopened = self._rows().filter(state=State.HALF_OPEN).update(state=State.OPEN, opened_at=now)
        opened = (
            self._rows()
            .filter(state=State.CLOSED, consecutive_failures__gte=self.failure_threshold)
            .update(state=State.OPEN, opened_at=now)
        )
        # counted for /metrics and the alert rules (infra.metrics); a fresh opening is also an Event
        provider_call_record(self.key, ok=False, seconds=seconds, opened=bool(opened or reopened))
        if opened:
            event_record(CIRCUIT_OPENED, level="warning", message=f"{self.key}: {error[:300]}",
                         data={"circuit": self.key})  # fmt: skip

    def call(self, func: Callable, *args, **kwargs):
        """Run ``func`` through the breaker; any exception it raises counts as a failure."""
        if not self.allow():
            raise CircuitOpen(f"{self.key} is unavailable (circuit open); not calling it.")
        started = time.perf_counter()
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            self.record_failure(f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)
            raise
        self.record_success(seconds=time.perf_counter() - started)
        return result


def circuit_reset(*, key: str) -> None:
    """An operator closes a circuit by hand (admin action)."""
    CircuitState.objects.filter(key=key).update(
        state=State.CLOSED, consecutive_failures=0, opened_at=None, last_error=""
    )
