"""Train the plate recogniser on synthetic plates (see cameras/recogniser/MODEL_CARD.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from cameras.recogniser.training import FOLDER, train


class Command(BaseCommand):
    help = (
        "Train plate_crnn on synthetic plates: seeded, printing validation accuracy as it "
        "goes, resuming from the checkpoint in --out; writes plate_crnn.pth there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--steps", type=int, default=6000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--batch-size", type=int, default=32)
        parser.add_argument("--out", type=Path, default=FOLDER)
        parser.add_argument("--until", type=int, default=None,
                            help="stop after this step; run again to go on")  # fmt: skip

    def handle(self, *args, steps: int, seed: int, batch_size: int, out: Path, until, **options):
        out.mkdir(parents=True, exist_ok=True)
        accuracy = train(steps=steps, seed=seed, out=out, batch_size=batch_size, until=until,
                         log=self.stdout.write)  # fmt: skip
        self.stdout.write(self.style.SUCCESS(f"Validation exact {accuracy:.1%}; weights in "
                                             f"{out / 'plate_crnn.pth'}"))  # fmt: skip
