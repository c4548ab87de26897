"""``manage.py seed_demo``: a generated, realistic demo data set, made the way production makes it.

Parses the options and runs one batch of the ``jengu.demo`` package in one transaction;
what the batch contains and how it is made is described there (``jengu/demo/__init__.py``).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from infra.errors import ApplicationError
from jengu.demo.batch import seed_batch
from jengu.demo.stories import STAGE_WEIGHTS


class Command(BaseCommand):
    help = (
        "Add a generated, realistic demo data set: hotels in 17 countries over every pipeline stage, "
        "with their stage history, 3 inboxes, 2 campaigns, emails, replies and suppressions. "
        "Deterministic for a given --seed on an empty database. Running it again ADDS another batch "
        "(new hotels and addresses; campaigns and inboxes are reused), it never deletes anything; "
        "start from an empty database (flush) for a fresh set. All addresses are on .example domains."
    )

    def add_arguments(self, parser):
        parser.add_argument("--prospects", type=int, default=240, help="prospects in this batch (default 240)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")

    def handle(self, *args, prospects: int, seed: int, **options):
        if prospects < 1:
            raise CommandError("--prospects must be at least 1.")
        started = time.monotonic()
        try:
            with transaction.atomic():  # the batch is written completely or not at all
                seeded = seed_batch(total=prospects, seed=seed)
        except ApplicationError as exc:  # a transition refused: a bug in the stories, shown plainly
            raise CommandError(exc.message) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Seeded {prospects} prospects (seed {seed}) in {elapsed:.1f} s."))
        cells = [f"{stage:<12}{seeded.stages.get(stage, 0):>4}" for stage in STAGE_WEIGHTS]
        for row in range(0, len(cells), 4):
            self.stdout.write("  " + "   ".join(cells[row : row + 4]))
        self.stdout.write("  " + ", ".join(f"{count} {what}" for what, count in seeded.totals.items()))
        today = timezone.localdate()
        for inbox in seeded.inboxes:
            self.stdout.write(
                f"  inbox {inbox.email}: warmup since {inbox.warmup_started_on}, "
                f"today {seeded.slots.sent[(inbox.pk, today)]}/{seeded.slots.cap(inbox, today)} sent"
            )
