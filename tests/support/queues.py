"""Run what a cron queued, as a worker would: the real task payloads from the database broker.

``queued(queue)`` lists the functions waiting on a named queue; ``drain(queue, func)`` runs
each waiting task of ``func`` in this process (its own on-commit hand-offs included) until
none is left, and returns how many ran.
"""

from django.utils.module_loading import import_string
from django_q.models import OrmQ
from django_q.signing import SignedPackage


def queued(queue: str) -> list[dict]:
    return [SignedPackage.loads(row.payload) for row in OrmQ.objects.filter(key=queue).order_by("id")]


def drain(queue: str, func: str, capture) -> int:
    """``capture`` is pytest-django's django_capture_on_commit_callbacks fixture."""
    ran = 0
    while True:
        rows = [(row, SignedPackage.loads(row.payload)) for row in OrmQ.objects.filter(key=queue).order_by("id")]
        rows = [(row, task) for row, task in rows if task["func"] == func]
        if not rows:
            return ran
        for row, task in rows:
            row.delete()
            with capture(execute=True):
                import_string(task["func"])(*task["args"], **task["kwargs"])
            ran += 1
