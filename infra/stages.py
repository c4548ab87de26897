"""Pipeline stages on django-q2: registry, enqueue, attempts, dead letters, sweeper.

A stage is a plain idempotent function ``run_<stage>(subject_id, *, trace_id)`` that
claims its subject with a state transition first (a failed claim makes the call a
no-op). An app registers it once::

    register_stage(Stage(name="enrichment", func="prospects.pipeline.run_enrichment",
                         queue="enrichment", claim=Claim("prospects.Prospect", "enriching",
                                                         release="release_enrichment")))

and hands work on with ``stage_enqueue("enrichment", subject_id=..., trace_id=...)``;
a cron that catches the subjects still waiting calls ``stage_enqueue_waiting``.

Attempts are counted here, not by the broker: a failing attempt is retried after a
back-off (``STAGE_RETRY_DELAYS``) under the same trace id, three times (the reference
design's "after 3 retries"); the fourth failure parks the work in ``DeadLetter`` (shown
in the admin with retry/discard) and re-raises, so q2 records the failure too. q2 itself
is set to acknowledge failures (no broker-level re-runs of a failed task) and to
re-deliver tasks whose worker died (``retry``).

The sweeper returns claims held longer than their stage's timeout (a worker killed
mid-task, a task lost with a Redis broker) and re-enqueues the work.

``task_enqueue(func, *args, queue=..., name=...)`` queues a plain task (no claim, no
attempts counted here) on a named queue: how a cron fans its work out, one bounded task
per piece, so the cron itself only finds work and enqueues it.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import traceback
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from infra.errors import AlreadyMoved, ApplicationError, TransitionNotAllowed
from infra.events import STAGE_DEAD_LETTER, STAGE_DEAD_LETTER_RETRIED, STAGE_FAILED, STAGE_SWEEP, event_record
from infra.tracing import trace_context

logger = logging.getLogger(__name__)

QUEUES = ["enrichment", "research", "composition", "sending", "reply"]
MAX_RETRIES = 3  # after the first attempt (the reference design's max_retries)
MAX_ATTEMPTS = 1 + MAX_RETRIES


@dataclass(frozen=True)
class Claim:
    """The state a stage holds its subject in while it works, and how to give it back."""

    model: str  # "app_label.Model"
    state: str
    release: str  # the transition that returns a stale claim


@dataclass(frozen=True)
class Stage:
    name: str
    func: str  # dotted path: the worker imports it, so a registry is not needed there
    queue: str
    timeout: int = 120  # seconds one attempt may take
    claim: Claim | None = None

    def __post_init__(self):
        if self.queue not in QUEUES:
            raise ValueError(f"Stage {self.name}: unknown queue {self.queue!r} (one of {QUEUES}).")


STAGES: dict[str, Stage] = {}


def register_stage(stage: Stage) -> Stage:
    STAGES[stage.name] = stage
    return stage


def get_stage(name: str) -> Stage:
    try:
        return STAGES[name]
    except KeyError:
        raise ApplicationError(f"No pipeline stage named '{name}' (known: {', '.join(sorted(STAGES))}).") from None


def _dispatch(stage: Stage, subject_id, trace_id, attempt: int, delay: int = 0) -> None:
    from django_q.models import Schedule
    from django_q.tasks import async_task

    args = (stage.name, stage.func, subject_id, str(trace_id) if trace_id else "", attempt)
    task_name = f"{stage.name}:{subject_id}:attempt-{attempt}"
    if delay > 0:
        # a one-off schedule is q2's way of saying "not before": its scheduler turns it
        # into a task on the stage's queue when due, then deletes it
        Schedule.objects.create(
            func="infra.stages.stage_execute",
            args=repr(args),
            name=f"retry {task_name}",
            schedule_type=Schedule.ONCE,
            next_run=timezone.now() + datetime.timedelta(seconds=delay),
            repeats=-1,
            cluster=stage.queue,
        )
        return
    async_task(
        "infra.stages.stage_execute",
        *args,
        cluster=stage.queue,
        task_name=task_name,
        timeout=stage.timeout,
        sync=getattr(settings, "JENGU_TASKS_SYNC", False),
    )


def stage_enqueue(name: str, *, subject_id, trace_id=None, attempt: int = 1, delay: int = 0) -> None:
    """Queue one unit of work for stage ``name``, after the current transaction commits."""
    stage = get_stage(name)
    transaction.on_commit(lambda: _dispatch(stage, subject_id, trace_id, attempt, delay))


def _parked(name: str) -> list:
    """Subjects whose work for stage ``name`` waits in the dead letters for a human, not for the next tick."""
    from infra.models import DeadLetter

    parked = DeadLetter.objects.filter(stage=name, status=DeadLetter.Status.OPEN).values_list("subject_id", flat=True)
    return [int(subject) for subject in parked if subject.isdigit()]


def stage_enqueue_waiting(name: str, waiting, *, limit: int) -> int:
    """Queue stage ``name`` for the first ``limit`` subjects of ``waiting``, lowest id first.

    ``waiting`` is a queryset of the stage's subjects (each with a ``trace_id``) in the
    state the stage picks them up from; those whose work for this stage is parked in the
    dead letters are left to the human who will retry or discard it. How a cron catches
    the subjects whose hand-off was lost. Returns how many were queued.
    """
    pending = list(waiting.exclude(pk__in=_parked(name)).order_by("pk").values_list("pk", "trace_id")[:limit])
    for subject_id, trace_id in pending:
        stage_enqueue(name, subject_id=subject_id, trace_id=trace_id)
    return len(pending)


def task_enqueue(func: str, *args, queue: str, name: str) -> None:
    """Queue ``func(*args)`` on ``queue`` after the current transaction commits (inline with JENGU_TASKS_SYNC)."""
    from django_q.tasks import async_task

    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r} (one of {QUEUES})")
    transaction.on_commit(
        lambda: async_task(
            func, *args, cluster=queue, task_name=name[:100], sync=getattr(settings, "JENGU_TASKS_SYNC", False)
        )
    )


def stage_execute(name: str, func: str, subject_id, trace_id: str, attempt: int = 1):
    """The q2 task body: run one attempt, count it, retry or park it in the dead letters."""
    from infra.models import DeadLetter

    stage = STAGES.get(name) or Stage(name=name, func=func, queue="enrichment")
    with trace_context(trace_id):
        try:
            result = import_string(func)(subject_id, trace_id=trace_id or None)
        except (AlreadyMoved, TransitionNotAllowed) as exc:
            # someone else holds or finished the claim: a duplicate run, not a failure
            logger.info("stage %s on %s skipped: %s", name, subject_id, exc)
            return "skipped"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            _release_claim(stage, subject_id, error)
            event_record(
                STAGE_FAILED,
                level="warning",
                message=f"{name} attempt {attempt}/{MAX_ATTEMPTS}: {error}",
                data={"stage": name, "subject_id": subject_id, "attempt": attempt},
            )
            if attempt < MAX_ATTEMPTS:
                delays = settings.STAGE_RETRY_DELAYS
                delay = delays[min(attempt - 1, len(delays) - 1)]
                _dispatch(stage, subject_id, trace_id, attempt + 1, delay)
                return f"retry {attempt + 1} in {delay}s"
            DeadLetter.objects.create(
                stage=name,
                func=func,
                subject_id=str(subject_id),
                trace_id=trace_id or None,
                attempts=attempt,
                error=error[:2000],
                traceback=traceback.format_exc()[-8000:],
            )
            event_record(
                STAGE_DEAD_LETTER,
                level="error",
                message=f"{name}: {error}",
                data={"stage": name, "subject_id": subject_id},
            )
            _alert_dead_letters(name)
            raise
        return result


def _alert_dead_letters(stage_name: str) -> None:
    """Tell the team, once an hour at most per stage, that work is waiting in the dead letters."""
    from infra.alerts import alert_send
    from infra.models import DeadLetter

    waiting = DeadLetter.objects.filter(stage=stage_name, status=DeadLetter.Status.OPEN).count()
    alert_send(
        key=f"dead_letters.{stage_name}",
        text=f"{waiting} item(s) of the {stage_name} stage failed {MAX_ATTEMPTS} times and wait in the dead letters.",
    )


def _release_claim(stage: Stage, subject_id, error: str) -> None:
    """A failed attempt gives its claim back, so the retry (or a human) can claim again."""
    from infra.statemachine import transition

    if not stage.claim:
        return
    model = apps.get_model(stage.claim.model)
    field = model.state_machine.field
    held = model.objects.filter(pk=subject_id, **{field: stage.claim.state}).first()
    if held is None:
        return
    with contextlib.suppress(AlreadyMoved):  # someone else moved it meanwhile: nothing to give back
        transition(held, stage.claim.release, by="system:stage_failure", reason=error[:300])


def dead_letter_retry(*, dead_letter, by) -> None:
    """Run parked work again from attempt 1, under its original trace id."""
    from infra.models import DeadLetter

    updated = DeadLetter.objects.filter(pk=dead_letter.pk, status=DeadLetter.Status.OPEN).update(
        status=DeadLetter.Status.RETRIED, resolved_at=timezone.now(), resolved_by=str(by)
    )
    if not updated:
        raise ApplicationError(f"Dead letter #{dead_letter.pk} was already {dead_letter.get_status_display()}.")
    stage = STAGES.get(dead_letter.stage) or Stage(name=dead_letter.stage, func=dead_letter.func, queue="enrichment")
    subject_id = int(dead_letter.subject_id) if dead_letter.subject_id.isdigit() else dead_letter.subject_id
    event_record(STAGE_DEAD_LETTER_RETRIED, message=dead_letter.stage, trace_id=dead_letter.trace_id, by=by)
    transaction.on_commit(lambda: _dispatch(stage, subject_id, dead_letter.trace_id, 1))


def dead_letter_discard(*, dead_letter, by) -> None:
    from infra.models import DeadLetter

    updated = DeadLetter.objects.filter(pk=dead_letter.pk, status=DeadLetter.Status.OPEN).update(
        status=DeadLetter.Status.DISCARDED, resolved_at=timezone.now(), resolved_by=str(by)
    )
    if not updated:
        raise ApplicationError(f"Dead letter #{dead_letter.pk} was already {dead_letter.get_status_display()}.")


def stale_claims_sweep(*, now=None, stages: list[Stage] | None = None) -> int:
    """Return claims held longer than their stage's timeout and re-enqueue the work.

    Scheduled every few minutes. A claim older than the timeout means the worker that
    held it is gone: q2 kills an attempt at its timeout, so a live one cannot hold longer.
    """
    from infra.statemachine import transition

    now = now or timezone.now()
    returned = 0
    for stage in STAGES.values() if stages is None else stages:
        if not stage.claim:
            continue
        model = apps.get_model(stage.claim.model)
        machine = model.state_machine
        cutoff = now - datetime.timedelta(seconds=stage.timeout + settings.STAGE_SWEEP_MARGIN)
        stale = model.objects.filter(**{machine.field: stage.claim.state, f"{machine.timestamp_field}__lt": cutoff})
        # a list, not .iterator(): q2's ORM broker closes old connections when it enqueues,
        # which would cut a server-side cursor short
        for subject in list(stale[:1000]):
            trace_id = getattr(subject, "trace_id", None)
            with trace_context(trace_id), transaction.atomic():
                try:
                    transition(
                        subject, stage.claim.release, by="system:sweeper", reason=f"claim older than {stage.timeout}s"
                    )
                except AlreadyMoved:
                    continue  # the worker finished after all
                stage_enqueue(stage.name, subject_id=subject.pk, trace_id=trace_id)
                returned += 1
    if returned:
        event_record(STAGE_SWEEP, message=f"returned {returned} stale claim(s)", data={"returned": returned})
    return returned
