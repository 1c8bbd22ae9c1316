"""A camera simulator: cameras posting realistic reads to the real camera API over HTTP.

Plates are current-format UK VRMs (AB12 CDE) with a share of hotlisted ones; now and then a
camera resends a batch (duplicates, which must be stored once) or sends a bad one (which must be
refused with a reason). Generic cameras send frames instead: rendered scenes with a plate in
them, read by the back office's OCR workers. Used by the demo and by
`manage.py simulate_cameras`.
"""

import base64
import io
import json
import random
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw

from .synthetic import jpeg_bytes, render_scene

LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"  # I and Q are not used on current-format plates
AGE_IDS = ["21", "71", "22", "72", "23", "73", "24", "74", "25", "75", "26"]


def uk_plate(rng: random.Random) -> str:
    """A random current-format UK VRM, canonical (no space)."""
    area = rng.choice(LETTERS) + rng.choice(LETTERS)
    return area + rng.choice(AGE_IDS) + "".join(rng.choice(LETTERS) for _ in range(3))


def plate_patch(vrm: str) -> bytes:
    """A small yellow plate image with the VRM on it (stands in for a camera's plate patch)."""
    image = Image.new("RGB", (156, 34), (247, 206, 0))
    ImageDraw.Draw(image).text((8, 10), f"{vrm[:4]} {vrm[4:]}", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


SEEN_VEHICLES = [("Ford", "Blue"), ("Vauxhall", "Silver"), ("BMW", "Black"), ("Toyota", "Red"),
                 ("Volkswagen", "Grey")]  # fmt: skip


@dataclass
class SimulatedCamera:
    reference: str
    token: str
    rng: random.Random
    sent: int = 0
    last_batch: list = field(default_factory=list)
    frames: bool = False  # a generic camera: sends frames for the back office to read

    def frame(self, hotlisted: list[str], hit_share: float) -> tuple[dict, bytes]:
        """A rendered scene with a plate in it, and its capture id and time."""
        self.sent += 1
        hit = hotlisted and self.rng.random() < hit_share
        vrm = self.rng.choice(hotlisted) if hit else uk_plate(self.rng)
        scene = render_scene(vrm, self.rng, tilt=self.rng.uniform(-5, 5), degradation=0.3)
        fields = {"capture_id": f"{self.reference}-{self.sent}",
                  "captured_at": datetime.now(UTC).isoformat(timespec="milliseconds")}  # fmt: skip
        return fields, jpeg_bytes(scene.image)

    def batch(self, size: int, hotlisted: list[str], hit_share: float, images: bool) -> list:
        reads = []
        for _ in range(size):
            self.sent += 1
            hit = hotlisted and self.rng.random() < hit_share
            vrm = self.rng.choice(hotlisted) if hit else uk_plate(self.rng)
            captured = datetime.now(UTC) - timedelta(milliseconds=self.rng.randint(50, 900))
            read = {
                "capture_id": f"{self.reference}-{self.sent}",
                "vrm": f"{vrm[:4]} {vrm[4:]}",
                "captured_at": captured.isoformat(timespec="milliseconds"),
                "confidence": round(self.rng.uniform(0.80, 0.99), 3),
                "alternatives": [],
                "direction": self.rng.choice(["towards", "away"]),
                "lane": 1,
            }
            if self.rng.random() < 0.7:  # what make-and-colour recognition saw, when it did
                read["vehicle_make"], read["vehicle_colour"] = self.rng.choice(SEEN_VEHICLES)
            if images:
                read["plate_image"] = base64.b64encode(plate_patch(vrm)).decode()
            reads.append(read)
        self.last_batch = reads
        return reads


def post(url: str, token: str, body: dict, timeout: float = 10) -> tuple[int, dict]:
    return _send(url, token, json.dumps(body).encode(), "application/json", timeout)


def post_frame(url: str, token: str, fields: dict, frame: bytes, timeout: float = 10):
    """POST a frame as multipart/form-data, as a generic camera would."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]  # fmt: skip
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="frame"; '
                 f'filename="frame.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
                 + frame + f"\r\n--{boundary}--\r\n".encode())  # fmt: skip
    return _send(url, token, b"".join(parts), f"multipart/form-data; boundary={boundary}",
                 timeout)  # fmt: skip


def _send(url: str, token: str, data: bytes, content_type: str, timeout: float):
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": content_type, "Authorization": f"Camera {token}"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def bad_batch(rng: random.Random) -> list:
    """A submission a faulty camera might send: each read is refused with a reason."""
    future = datetime.now(UTC) + timedelta(hours=1)
    return rng.choice(
        [
            [{"capture_id": "bad-1", "vrm": "AB12 CDE", "captured_at": future.isoformat()}],
            [{"capture_id": "bad-2", "vrm": "??", "captured_at": datetime.now(UTC).isoformat()}],
        ]
    )


def run(
    base_url: str, cameras: list[SimulatedCamera], hotlisted: list[str], *, seconds: float,
    reads_per_second: float, hit_share: float = 0.02, images: bool = True, log=print,
) -> dict:  # fmt: skip
    """Post reads (or frames, from generic cameras) from every camera for `seconds` at about
    `reads_per_second` in total."""
    url = f"{base_url}/api/v1/cameras/reads/"
    counts = {"accepted": 0, "rejected": 0, "resent": 0, "refused_batches": 0, "frames": 0}
    deadline = time.monotonic() + seconds
    interval = len(cameras) / max(reads_per_second, 0.001)
    while time.monotonic() < deadline:
        started = time.monotonic()
        for camera in cameras:
            if camera.frames:
                fields, frame = camera.frame(hotlisted, hit_share)
                status, body = post_frame(f"{base_url}/api/v1/cameras/frames/", camera.token,
                                          fields, frame)  # fmt: skip
                counts["frames"] += status == 202
                if status >= 400:
                    log(f"{camera.reference}: frame {status} {body.get('detail', '')}")
                continue
            roll = camera.rng.random()
            if roll < 0.03 and camera.last_batch:
                reads, counts["resent"] = camera.last_batch, counts["resent"] + 1
            elif roll < 0.05:
                reads = bad_batch(camera.rng)
            else:
                reads = camera.batch(1, hotlisted, hit_share, images)
            status, body = post(url, camera.token, {"reads": reads})
            counts["accepted"] += len(body.get("accepted", []))
            counts["rejected"] += len(body.get("rejected", []))
            if status >= 400:
                counts["refused_batches"] += 1
                log(f"{camera.reference}: {status} {body.get('detail', '')}")
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    return counts
