"""Run simulated cameras against the camera API (the demo runs this)."""

import random
import time
import urllib.request

from django.core.management.base import BaseCommand, CommandError

from cameras import simulator
from cameras.models import Camera, CameraCredential
from cameras.services import camera_credential_issue, camera_credential_revoke
from core.demo_data import hotlisted_vrms

LABEL = "simulator"


class Command(BaseCommand):
    help = "Post realistic reads from the registered cameras to the camera API over HTTP."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the back office")
        parser.add_argument("--cameras", type=int, default=10, help="how many cameras")
        parser.add_argument("--rate", type=float, default=5.0, help="reads per second, in all")
        parser.add_argument("--seconds", type=float, default=0, help="0: run until stopped")
        parser.add_argument("--hit-share", type=float, default=0.03)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--frame-cameras", type=int, default=0,
            help="how many of the cameras send frames for OCR, not reads",
        )  # fmt: skip

    def handle(self, *args, **options):
        cameras = list(Camera.objects.filter(status=Camera.Status.ACTIVE)[: options["cameras"]])
        if not cameras:
            raise CommandError("No active cameras are registered (run `manage.py demo`).")
        self._wait_for(options["url"])
        rng = random.Random(options["seed"])
        simulated = [
            simulator.SimulatedCamera(camera.reference, self._fresh_token(camera),
                                      random.Random(rng.random()),
                                      frames=n < options["frame_cameras"])
            for n, camera in enumerate(cameras)
        ]  # fmt: skip
        self.stdout.write(f"Simulating {len(simulated)} cameras at {options['rate']} reads/s")
        counts = simulator.run(
            options["url"], simulated, hotlisted_vrms(),
            seconds=options["seconds"] or float("inf"), reads_per_second=options["rate"],
            hit_share=options["hit_share"], log=self.stdout.write,
        )  # fmt: skip
        self.stdout.write(self.style.SUCCESS(f"Done: {counts}"))

    @staticmethod
    def _fresh_token(camera: Camera) -> str:
        # Each run issues new credentials and revokes the previous run's: tokens are shown once.
        for old in CameraCredential.objects.filter(camera=camera, label=LABEL, revoked_at=None):
            camera_credential_revoke(credential=old, acting_user=None)
        return camera_credential_issue(camera=camera, label=LABEL, acting_user=None)[1]

    def _wait_for(self, url: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(1)
        raise CommandError(f"{url}/healthz did not answer within {timeout:.0f} s.")
