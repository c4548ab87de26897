"""State machines enforced by the ORM and the database.

A model declares its state field once, with its transitions, next to the field::

    class Prospect(StateMachineModel):
        stage = StateField(choices=ProspectStage, default=ProspectStage.NEW)
        state_machine = StateMachine(
            field="stage",
            transitions={"start_enrichment": ([NEW], ENRICHING), ...},
        )

and changes state only through ``transition(obj, "start_enrichment", by=...)``:

* the change is one conditional UPDATE (``... WHERE id = %s AND stage = <seen>``), so
  when two workers race the same transition exactly one row is updated and the loser
  gets ``AlreadyMoved`` naming the state the row is really in;
* the StateTransition log row is written in the same transaction;
* assigning the field directly (``prospect.stage = "won"``) raises
  ``StateAssignmentRefused``, ``save()`` never writes a state field of an existing row
  (so a stale instance cannot undo another worker's transition), and
  ``QuerySet.update(stage=...)`` is refused too;
* the migration adds a CheckConstraint, so the database rejects unknown values even
  from raw SQL.

The hot paths save statements without giving up any of that: ``transition_path`` walks
several declared transitions (queued → sending → sent → contacted) with one conditional
UPDATE and one INSERT of their log rows; ``also=`` writes other columns in the same
UPDATE; ``guard=`` adds a condition the row must meet at that moment (``GuardRefused``);
``TransitionLog`` writes the rows of several objects' transitions as one INSERT. Inside
a caller's transaction a transition opens no savepoint.

We wrote this instead of using django-fsm-2 because its protected field still lets a
whole-row ``save()`` overwrite a newer state, and its transition log needs a second
package; the mechanism fits in this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from infra.errors import AlreadyMoved, StateAssignmentRefused, TransitionNotAllowed
from infra.tracing import current_trace_id


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str


class StateMachine:
    """The declared transitions of one state field.

    ``timestamp_field`` (optional) is set to the transition time on every change, which
    lets the sweeper find claims that have been held too long.
    """

    def __init__(self, *, field: str, transitions: dict, timestamp_field: str | None = None):
        self.field = field
        self.timestamp_field = timestamp_field
        self.transitions: dict[str, Transition] = {
            name: Transition(name, frozenset(sources), target) for name, (sources, target) in transitions.items()
        }

    def get(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise TransitionNotAllowed(f"Unknown transition '{name}'.") from None

    def available_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]


class ProtectedStateAttribute(DeferredAttribute):
    """A data descriptor: reads like a normal field, refuses assignment once loaded."""

    def __set__(self, instance, value):
        name = self.field.attname
        data = instance.__dict__
        if name in data and data[name] != value and not getattr(instance, "_state_write_allowed", False):
            raise StateAssignmentRefused(
                f"{type(instance).__name__}.{name} changes only through a declared transition "
                f"(infra.statemachine.transition), not by assignment."
            )
        data[name] = value


class StateField(models.CharField):
    """A CharField for a state: choices required, assignment guarded."""

    descriptor_class = ProtectedStateAttribute

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)


class StateMachineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        protected = {f.attname for f in self.model._meta.concrete_fields if isinstance(f, StateField)}
        if protected & set(kwargs) and not getattr(self, "_state_write_allowed", False):
            raise StateAssignmentRefused(
                f"{self.model.__name__}: {', '.join(sorted(protected & set(kwargs)))} changes only "
                "through a declared transition."
            )
        return super().update(**kwargs)

    def _allow_state_write(self):
        clone = self._chain()
        clone._state_write_allowed = True
        return clone


class StateMachineModel(models.Model):
    """Base for models with a state field; see the module docstring."""

    objects = StateMachineQuerySet.as_manager()

    class Meta:
        abstract = True

    state_machine: StateMachine

    def save(self, *args, **kwargs):
        # An existing row's state is owned by transition(): leave it out of the UPDATE so
        # that saving a stale instance cannot overwrite a state another worker set.
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and not isinstance(f, StateField)
            ]
        super().save(*args, **kwargs)

    def refresh_from_db(self, *args, **kwargs):
        self._state_write_allowed = True
        try:
            super().refresh_from_db(*args, **kwargs)
        finally:
            self._state_write_allowed = False

    def available_transitions(self) -> list[Transition]:
        return self.state_machine.available_from(getattr(self, self.state_machine.field))


def actor_label(by) -> str:
    """How an actor is written in the transition log: ``user:alice``, ``task:enrichment``, ``api-key:bi``."""
    if isinstance(by, AbstractBaseUser):
        return f"user:{by.get_username()}"
    if isinstance(getattr(by, "actor_label", None), str):  # an API key: "api-key:<name>"
        return by.actor_label
    if not by:
        raise ValueError("A transition needs an actor (a user, or a string such as 'task:enrichment').")
    return str(by)


def state_check_constraint(model_name: str, field: str, choices) -> models.CheckConstraint:
    """The CheckConstraint that makes the database refuse values outside ``choices``."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": [value for value, _ in choices.choices]}),
        name=f"{model_name}_{field}_valid",
    )


class GuardRefused(TransitionNotAllowed):
    """The row is still in the state the transition starts from, but its ``guard`` refused it."""


class TransitionLog:
    """Log rows of several transitions, written as one INSERT inside the caller's transaction.

    Use it as ``with transaction.atomic(), TransitionLog() as log:`` and pass ``log=log``
    to ``transition``/``transition_path``: each UPDATE runs at once, its rows wait, and
    leaving the block writes them all (and sends their ``post_save``, so receivers such
    as the outbound webhooks see them as they see a single row). An exception inside the
    block writes nothing; the atomic block rolls the UPDATEs back with it. Do not roll
    back a savepoint inside the block after a transition: its rows would still be written.
    """

    def __init__(self):
        self.rows = []

    def __enter__(self):
        if not transaction.get_connection().in_atomic_block:
            raise TransactionManagementError("TransitionLog writes its rows in the caller's transaction: open one.")
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.write()
        self.rows = []
        return False

    def write(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        _log_rows_write(rows)


def _log_rows_write(rows) -> None:
    from infra.models import StateTransition

    if len(rows) == 1:
        rows[0].save()
        return
    StateTransition.objects.bulk_create(rows)
    using = transaction.get_connection().alias
    for row in rows:  # bulk_create sends no signals: the log's receivers expect one per row
        post_save.send(sender=StateTransition, instance=row, created=True, update_fields=None, raw=False, using=using)


def transition(
    obj: StateMachineModel,
    name: str,
    *,
    by,
    trace_id=None,
    reason: str = "",
    at=None,
    also: dict | None = None,
    guard: models.Q | None = None,
    log: TransitionLog | None = None,
):
    """Apply the declared transition ``name`` to ``obj`` and log it.

    Raises TransitionNotAllowed when ``obj`` is not in one of the transition's source
    states, and AlreadyMoved when the row changed state since ``obj`` was read (the lost
    side of a race). On success ``obj`` holds the new state and is returned.

    ``also``: other columns written by the same UPDATE (``{"sent_at": now}``; never a
    state field). ``guard``: a condition the row must meet as well, checked by the same
    UPDATE (``GuardRefused`` when the state was right and the guard said no).
    ``log``: a TransitionLog that writes this row together with others.
    """
    return transition_path(obj, [name], by=by, trace_id=trace_id, reason=reason, at=at, also=also, guard=guard,
                           log=log)  # fmt: skip


def transition_if_allowed(obj: StateMachineModel, name: str, **kwargs) -> bool:
    """``transition``, for a move that may no longer apply: True when it happened, False
    when ``obj`` was elsewhere already (not in a source state, or moved by another worker).
    """
    try:
        transition(obj, name, **kwargs)
    except (AlreadyMoved, TransitionNotAllowed):
        return False
    return True


def transition_path(
    obj: StateMachineModel,
    names: list[str],
    *,
    by,
    trace_id=None,
    reason: str = "",
    at=None,
    also: dict | None = None,
    guard: models.Q | None = None,
    log: TransitionLog | None = None,
):
    """Walk several declared transitions in a row (queued → sending → sent → contacted)
    with ONE conditional UPDATE, from the state ``obj`` is in to the last target, and one
    log row per step, in the same transaction.

    Each step must start from the state the one before ends in; the first from ``obj``'s
    state (TransitionNotAllowed otherwise, before anything is written). A lost race is
    AlreadyMoved, as for ``transition``, and nothing of the path is applied.
    """
    from infra.models import StateTransition

    model = type(obj)
    machine = model.state_machine
    if not names:
        raise ValueError("A transition path needs at least one transition.")
    steps = [machine.get(name) for name in names]
    field = machine.field
    seen = getattr(obj, field)
    state = seen
    for step in steps:
        if state not in step.sources:
            raise TransitionNotAllowed(
                f"Cannot {step.name.replace('_', ' ')} {model._meta.verbose_name} #{obj.pk}: it is '{state}', "
                f"and this transition starts only from {', '.join(sorted(step.sources))}.",
                extra={"current": state},
            )
        state = step.target
    protected = {f.attname for f in model._meta.concrete_fields if isinstance(f, StateField)}
    if also and (refused := protected & {model._meta.get_field(k).attname for k in also}):
        raise StateAssignmentRefused(f"{model.__name__}: {', '.join(sorted(refused))} changes only by a transition.")
    now = at or timezone.now()
    changes = {**(also or {}), field: state}
    if machine.timestamp_field:
        changes[machine.timestamp_field] = now
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        changes["updated_at"] = now
    trace = trace_id or getattr(obj, "trace_id", None) or current_trace_id() or None
    source = seen
    rows = []
    for step in steps:
        rows.append(
            StateTransition(
                content_type=StateTransition.content_type_for(model),
                object_id=obj.pk,
                field=field,
                transition=step.name,
                source=source,
                target=step.target,
                actor=actor_label(by),
                trace_id=trace,
                reason=reason[:500],
                created_at=now,
            )
        )
        source = step.target

    # No savepoint inside a caller's transaction (two statements saved per transition): the
    # refusal is raised after the block, when nothing was written, so a caller that catches
    # it may go on; a database error fails the caller's transaction, as it would anyway.
    with transaction.atomic(savepoint=False):
        matching = StateMachineQuerySet(model).filter(pk=obj.pk, **{field: seen})
        if guard is not None:
            matching = matching.filter(guard)
        updated = matching._allow_state_write().update(**changes)
        if updated == 1:
            if log is not None:
                log.rows.extend(rows)
            else:
                _log_rows_write(rows)
    if updated != 1:
        current = model._base_manager.filter(pk=obj.pk).values_list(field, flat=True).first()
        label = names[0] if len(names) == 1 else " → ".join(names)
        if guard is not None and current == seen:
            raise GuardRefused(
                f"{model._meta.verbose_name.capitalize()} #{obj.pk} is '{current}', but the condition of "
                f"'{label}' refused it.",
                extra={"current": current},
            )
        raise AlreadyMoved(
            f"{model._meta.verbose_name.capitalize()} #{obj.pk} already moved: it is '{current}' now, "
            f"not '{seen}', so '{label}' was not applied.",
            extra={"current": current},
        )
    obj._state_write_allowed = True
    try:
        for attname, value in changes.items():
            if not hasattr(value, "resolve_expression"):  # an F() or a Case was computed by the database
                setattr(obj, attname, value)
    finally:
        obj._state_write_allowed = False
    return obj
