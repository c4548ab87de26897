"""manage.py train_reply_model: train replies.model from the corpus's tuning split only.

The frozen split (tests/fixtures/replies/corpus/frozen.jsonl) is never read here: it is
kept for measuring (bench/replies.py). The model is written to replies/data/ and
committed; training is deterministic, so the same corpus gives the same file.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from replies import model
from replies.cleaning import clean_reply_text
from replies.lexicon import reading_form

TUNING = Path(settings.BASE_DIR) / "tests" / "fixtures" / "replies" / "corpus" / "tuning.jsonl"


def training_samples(path: Path = TUNING) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(reading_form(clean_reply_text(row["text"]) or row["text"]), row["intent"]) for row in rows]


class Command(BaseCommand):
    help = "Train the offline reply model from the tuning split of the replies corpus."

    def add_arguments(self, parser):
        parser.add_argument("--corpus", default=str(TUNING))
        parser.add_argument("--output", default=str(model.MODEL_PATH))

    def handle(self, *args, corpus, output, **options):
        if "frozen" in Path(corpus).name:
            self.stderr.write(self.style.ERROR("The frozen split is for measuring only: train on the tuning split."))
            raise SystemExit(1)
        samples = training_samples(Path(corpus))
        data = model.train(samples)
        model.save(data, Path(output))
        model.load.cache_clear()
        size = Path(output).stat().st_size
        self.stdout.write(
            f"Trained on {len(samples)} replies: {len(data['counts'])} features, {size / 1024:.0f} kB → {output}"
        )
