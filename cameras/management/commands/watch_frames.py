"""The folder-watch adapter: cameras that drop frame files in a folder."""

import time
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cameras.frames import frame_submit
from cameras.models import Camera
from cameras.services import SubmissionRefused

SUFFIXES = {".jpg", ".jpeg", ".png"}


class Command(BaseCommand):
    help = (
        "Watch a folder a camera drops frames into: each file is moved aside into taken/ "
        "before it is read (so it is never read twice), queued for OCR, then removed; files "
        "that cannot be accepted go to refused/ with the reason beside them. Frames left in "
        "taken/ by a crash are queued again at start (a frame queued twice is read once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--camera", required=True, help="the camera's reference")
        parser.add_argument("--folder", required=True, type=Path)
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks")
        parser.add_argument("--once", action="store_true", help="take what is there, then stop")

    def handle(self, *args, camera: str, folder: Path, interval: float, once: bool, **options):
        try:
            source = Camera.objects.select_related("site").get(reference=camera)
        except Camera.DoesNotExist:
            raise CommandError(f"No camera {camera!r} is registered.") from None
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        for name in ("taken", "refused"):
            (folder / name).mkdir(exist_ok=True)
        for left in sorted((folder / "taken").iterdir()):
            self._submit(source, left)
        while True:
            taken = sum(self._take(source, path) for path in sorted(folder.iterdir()))
            if taken:
                self.stdout.write(f"{taken} frame(s) queued from {folder}")
            if once:
                return
            time.sleep(interval)

    def _take(self, camera: Camera, path: Path) -> bool:
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            return False
        target = path.parent / "taken" / path.name
        try:
            path.rename(target)  # atomic: of two watchers, one takes it; nothing takes it twice
        except FileNotFoundError:
            return False
        return self._submit(camera, target)

    def _submit(self, camera: Camera, taken: Path) -> bool:
        # The capture time is the file's (kept by the move), so a frame queued again after a
        # crash has the same read id and is stored once.
        captured_at = datetime.fromtimestamp(taken.stat().st_mtime, UTC)
        fields = {"capture_id": taken.name[:64], "captured_at": captured_at.isoformat()}
        try:
            frame_submit(camera=camera, content=taken.read_bytes(), fields=fields)
        except SubmissionRefused as refused:
            refused_folder = taken.parent.parent / "refused"
            taken.rename(refused_folder / taken.name)
            reason = f"{refused.detail} {refused.body.get('errors', '')}".strip()
            (refused_folder / f"{taken.name}.reason.txt").write_text(reason + "\n")
            self.stderr.write(f"{taken.name}: refused: {reason}")
            return False
        taken.unlink()  # the back office holds it now
        return True
