"""`manage.py trace <prospect id | trace id>`: one prospect's whole story, in time order.

Transitions (of the prospect and of its emails), Events, the q2 tasks that worked on
it, and dead letters — everything that carries its trace id.
"""

import uuid

from django.core.management.base import BaseCommand, CommandError
from django_q.models import Task

from infra.models import DeadLetter, Event, StateTransition
from prospects.models import Prospect


class Command(BaseCommand):
    help = "Print everything that happened to one prospect (by id or trace id), oldest first."

    def add_arguments(self, parser):
        parser.add_argument("ref", help="prospect id or trace id")

    def handle(self, *args, ref, **options):
        prospect = self._find(ref)
        trace_id = prospect.trace_id
        lines = []
        for t in StateTransition.objects.filter(trace_id=trace_id).select_related("content_type"):
            lines.append(
                (
                    t.created_at,
                    "transition",
                    f"{t.content_type.model} #{t.object_id} {t.source} → {t.target}"
                    f" ({t.transition}) by {t.actor}" + (f": {t.reason}" if t.reason else ""),
                )
            )
        for e in Event.objects.filter(trace_id=trace_id):
            lines.append((e.created_at, f"event/{e.level}", f"{e.name}: {e.message}"))
        for d in DeadLetter.objects.filter(trace_id=trace_id):
            lines.append(
                (d.created_at, "dead-letter", f"{d.stage} after {d.attempts} attempts: {d.error} [{d.status}]")
            )
        for task in Task.objects.filter(name__regex=rf"^[a-z_]+:{prospect.pk}:attempt-\d+$"):
            outcome = "ok" if task.success else f"failed: {str(task.result)[:120]}"
            lines.append((task.started, "task", f"{task.name} on {task.cluster or 'default'}: {outcome}"))
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"Prospect #{prospect.pk} {prospect.company_name} — trace {trace_id} — now '{prospect.stage}'"
            )
        )
        if not lines:
            self.stdout.write("(nothing recorded yet)")
        for when, kind, text in sorted(lines, key=lambda line: line[0]):
            self.stdout.write(f"{when:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f"  {kind:<14} {text}")

    def _find(self, ref: str) -> Prospect:
        try:
            if ref.isdigit():
                return Prospect.objects.get(pk=int(ref))
            return Prospect.objects.get(trace_id=uuid.UUID(ref))
        except (Prospect.DoesNotExist, ValueError):
            raise CommandError(f"No prospect with id or trace id '{ref}'.") from None
