"""The folder-watch adapter: cameras that drop frame files in a folder."""

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cameras.frames import frame_submit
from cameras.images import exif_capture_time
from cameras.models import Camera
from cameras.services import SubmissionRefused
from reads.models import RetentionPolicy

SUFFIXES = {".jpg", ".jpeg", ".png"}
REMEMBERED = 10_000  # frames queued lately, known by their content


class Command(BaseCommand):
    help = (
        "Watch a folder a camera drops frames into: each file is moved aside into taken/ "
        "before it is read (so it is never read twice), queued for OCR, then removed; files "
        "that cannot be accepted go to refused/ with the reason beside them. Frames left in "
        "taken/ (a crash, the queue or the camera unavailable) are queued again at each look, "
        "before new ones (a frame queued twice is read once); a new file of the same name "
        "waits until they are. The capture time is the image's EXIF DateTimeOriginal, or else "
        "the file's modification time."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queued: dict[str, datetime] = {}  # a frame's SHA-256: the capture time it was given

    def add_arguments(self, parser):
        parser.add_argument("--camera", required=True, help="the camera's reference")
        parser.add_argument("--folder", required=True, type=Path)
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks")
        parser.add_argument("--once", action="store_true", help="take what is there, then stop")
        parser.add_argument("--settle", type=float, default=2.0,
                            help="leave files changed less than this many seconds ago (still "
                            "being written)")  # fmt: skip

    def handle(self, *args, camera: str, folder: Path, interval: float, once: bool,
               settle: float, **options):  # fmt: skip
        if not Camera.objects.filter(reference=camera).exists():
            raise CommandError(f"No camera {camera!r} is registered.")
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        for name in ("taken", "refused"):
            (folder / name).mkdir(exist_ok=True)
        self.settle = settle
        while True:
            source = self._camera(camera)  # looked up each time: it may have been disabled
            if source.refusal_reason() is None:  # frames waiting in taken/ first
                for left in sorted((folder / "taken").iterdir()):
                    self._submit(source, left)
            taken = sum(self._take(source, path) for path in sorted(folder.iterdir()))
            if taken:
                self.stdout.write(f"{taken} frame(s) queued from {folder}")
            _refused_sweep(folder / "refused")
            if once:
                return
            time.sleep(interval)

    @staticmethod
    def _camera(reference: str) -> Camera:
        return Camera.objects.select_related("site").get(reference=reference)

    def _take(self, camera: Camera, path: Path) -> bool:
        if path.is_symlink() or not path.is_file() or path.suffix.lower() not in SUFFIXES:
            return False  # a link could point anywhere: only files dropped here are taken
        if time.time() - path.stat().st_mtime < self.settle:
            return False  # still being written
        target = path.parent / "taken" / path.name
        if target.exists():
            return False  # a frame of that name waits in taken/: this one waits its turn
        try:
            path.rename(target)  # atomic: of two watchers, one takes it; nothing takes it twice
        except FileNotFoundError:
            return False
        return self._submit(camera, target)

    def _submit(self, camera: Camera, taken: Path) -> bool:
        # The capture id is the file's name and a digest of its content, and the capture time
        # the camera's own (EXIF) or else the file's (kept by the move), so a frame queued
        # again after a crash has the same read id and is stored once, while a camera reusing
        # a file name does not lose a frame. A file sent again (an FTP retry: the same
        # content, a new file time) keeps the time it was first given.
        try:
            content = taken.read_bytes()
            modified = datetime.fromtimestamp(taken.stat().st_mtime, UTC)
        except FileNotFoundError:
            return False  # another watcher took it
        digest = hashlib.sha256(content).hexdigest()
        captured_at = self.queued.get(digest) or exif_capture_time(content) or modified
        fields = {"capture_id": f"{taken.name[:50]}-{digest[:12]}",
                  "captured_at": captured_at.isoformat()}  # fmt: skip
        try:
            frame_submit(camera=camera, content=content, fields=fields)
        except SubmissionRefused as refused:
            if refused.status != 400:  # not the frame's fault: it waits in taken/ for a retry
                self.stderr.write(f"{taken.name}: not queued now: {refused.detail}")
                return False
            kept = _unused(taken.parent.parent / "refused", taken.name)
            reason = f"{refused.detail} {refused.body.get('errors', '')}".strip()
            try:
                taken.rename(kept)
            except FileNotFoundError:
                return False  # another watcher refused it
            kept.with_name(f"{kept.name}.reason.txt").write_text(reason + "\n")
            self.stderr.write(f"{taken.name}: refused: {reason}")
            return False
        taken.unlink(missing_ok=True)  # the back office holds it now (another watcher may too)
        self.queued[digest] = captured_at
        if len(self.queued) > REMEMBERED:
            del self.queued[next(iter(self.queued))]  # the oldest
        return True


def _refused_sweep(refused: Path) -> None:
    """Refused frames are kept beside their reasons for diagnostics as long as unread frames
    are (the retention policy's frames hours), then deleted: they show vehicles and people."""
    cutoff = time.time() - RetentionPolicy.in_force().frames_hours * 3600
    for reason in refused.glob("*.reason.txt"):
        if reason.stat().st_mtime < cutoff:
            (refused / reason.name.removesuffix(".reason.txt")).unlink(missing_ok=True)
            reason.unlink(missing_ok=True)


def _unused(folder: Path, name: str) -> Path:
    """`name` in `folder`, or name-2, name-3... where a file already has it."""
    path, number = folder / name, 1
    while path.exists():
        number += 1
        path = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
    return path
