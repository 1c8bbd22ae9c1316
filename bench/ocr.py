"""OCR benchmark: speed and accuracy of the plate reader, on one core.

    python bench/ocr.py [--synthetic 300] [--seed 20261124] [--real DIR ...] [--json PATH]

Measures, with the configured recognition network (OCR_RECOGNITION_NETWORK):

- speed: ms per plate crop (recognition only) and per 0.5-megapixel frame (localise + read),
  median and p95, and plates per second a single core reads end to end;
- accuracy on held-out synthetic UK plates: a seed neither training nor the tests use, drawn in
  a typeface training never saw (formats weighted as on the road, random styles, realistic
  degradation): exact plates and character error rate, recognition only (the true plate box)
  and end to end (the plate found in a scene);
- the same on folders of real labelled photographs in the OpenALPR `endtoend` format (one
  `NAME.txt` per image: `file x y w h PLATE`, tab separated);
- reads where there is no plate: each frame again with its plate painted out, and the share
  that still gave a read (lettering, a fence or a grille taken for a plate);
- each scene or photograph with a wrong read (`misreads`: its plate, and what was read from the
  box, from the frame and from the frame with the plate painted out), so two runs can be
  compared plate by plate.

Prints progress to stderr, a table, and the figures as JSON (`crop_ms_median`, `crop_ms_p95`,
`frame_ms_median`, `frame_ms_p95`, `synthetic_exact`, `synthetic_no_plate_reads`, and per real
folder `real.<folder>.box_exact`, `.e2e_exact`, `.cer`, `.no_plate_reads`, with the full
figures beside them). Needs no database.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anpr_site.settings")
os.environ.setdefault("DATABASE_URL", "postgres://unused/none")  # settings need one; unused
os.environ.setdefault("REDIS_URL", "redis://unused")
os.environ.setdefault("DEBUG", "true")  # no secrets needed: nothing is served
os.environ["OCR_THREADS"] = "1"

import django  # noqa: E402

django.setup()

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402

from cameras import localise, ocr  # noqa: E402
from cameras.recogniser.training import photo_labels  # noqa: E402
from cameras.synthetic import HELD_OUT, PlateStyle, jpeg_bytes, render_scene, uk_vrm  # noqa: E402
from reads.vrm import plate_readings  # noqa: E402

cv2.setNumThreads(1)


def cer(read: str, truth: str) -> float:
    """Character error rate: edit distance over the true plate's length."""
    previous = list(range(len(read) + 1))
    for i, t in enumerate(truth, 1):
        current = [i]
        for j, r in enumerate(read, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (t != r)))
        previous = current
    return previous[-1] / max(1, len(truth))


def box_read(image: np.ndarray, quad: np.ndarray) -> str:
    """Recognition only: the plate inside a known box, through the same crop and rules."""
    candidate = localise._candidate(image, localise._ordered(quad.astype(np.float32)), "truth")
    if candidate is None:
        return ""
    read = ocr.read_candidate(image, candidate).read
    readings = plate_readings([(read.positions, read.confidence)])
    return readings[0].vrm if readings else ""


def frame_read(image: np.ndarray) -> str:
    found = ocr.frame_read(image)
    return found.reading.vrm if found else ""


def without_plate(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The frame with its plate, and a third of the plate's height around it, painted over
    from what surrounds it: the same scene with no plate in view."""
    (x, y), (x2, y2) = quad.min(axis=0).astype(int), quad.max(axis=0).astype(int)
    margin = (y2 - y) // 3
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[max(0, y - margin) : y2 + margin, max(0, x - margin) : x2 + margin] = 255
    return cv2.inpaint(image, mask, 5, cv2.INPAINT_TELEA)


class Tally:
    def __init__(self):
        self.exact, self.errors, self.count, self.ms = 0, 0.0, 0, []

    def add(self, read: str, truth: str, ms: float) -> None:
        self.count += 1
        self.exact += read == truth
        self.errors += cer(read, truth)
        self.ms.append(ms)

    def figures(self) -> dict:
        ms = sorted(self.ms) or [0.0]
        return {
            "plates": self.count,
            "exact": round(self.exact / max(1, self.count), 4),
            "cer": round(self.errors / max(1, self.count), 4),
            "ms_median": round(statistics.median(ms), 1),
            "ms_p95": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        }


def timed(function, *args) -> tuple[str, float]:
    started = time.perf_counter()
    result = function(*args)
    return result, (time.perf_counter() - started) * 1000


def decode(image) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(jpeg_bytes(image), np.uint8), cv2.IMREAD_COLOR)


def synthetic(count: int, seed: int) -> dict:
    """Plates in 0.5 MP scenes, degraded as cameras see them, read from the true plate box
    (recognition only) and found and read in the whole frame (end to end); square two-line
    plates (read line by line) are also counted on their own."""
    rng = random.Random(seed)
    crops, frames, squares, no_plate, misreads = Tally(), Tally(), Tally(), Tally(), []
    for n in range(count):
        vrm = uk_vrm(rng)
        style = replace(PlateStyle.random(rng), font=HELD_OUT)
        scene = render_scene(vrm, rng, style=style, tilt=rng.uniform(-6, 6),
                             plate_width=rng.randint(110, 260), degradation=0.6)  # fmt: skip
        frame = decode(scene.image)
        box, ms = timed(box_read, frame, np.array(scene.quad))
        crops.add(box, vrm, ms)
        if style.square:
            squares.add(box, vrm, ms)
        whole, ms = timed(frame_read, frame)
        frames.add(whole, vrm, ms)
        painted, ms = timed(frame_read, without_plate(frame, np.array(scene.quad)))
        no_plate.add(painted, "", ms)
        if (box, whole, painted) != (vrm, vrm, ""):
            misreads.append(misread(f"scene {n}", vrm, box, whole, painted))
        if (n + 1) % 50 == 0:
            progress(f"synthetic {n + 1}/{count}: exact {crops.figures()['exact']:.1%} (box), "
                     f"{frames.figures()['exact']:.1%} (end to end)")  # fmt: skip
    return {"recognition": crops.figures(), "end_to_end": frames.figures(),
            "square_plates_recognition": squares.figures(), "no_plate": no_plate.figures(),
            "misreads": misreads}  # fmt: skip


def photos(folder: Path) -> dict:
    crops, frames, no_plate, misreads = Tally(), Tally(), Tally(), []
    labels = photo_labels(folder)
    for n, (path, quad, truth) in enumerate(labels):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        box, ms = timed(box_read, image, quad)
        crops.add(box, truth, ms)
        whole, ms = timed(frame_read, image)
        frames.add(whole, truth, ms)
        painted, ms = timed(frame_read, without_plate(image, quad))
        no_plate.add(painted, "", ms)
        if (box, whole, painted) != (truth, truth, ""):
            misreads.append(misread(path.name, truth, box, whole, painted))
        if (n + 1) % 50 == 0:
            progress(f"{folder.name} {n + 1}/{len(labels)}")
    return {"recognition": crops.figures(), "end_to_end": frames.figures(),
            "no_plate": no_plate.figures(), "misreads": misreads}  # fmt: skip


def misread(name: str, plate: str, box: str, whole: str, painted: str) -> dict:
    return {"name": name, "plate": plate, "box": box, "end_to_end": whole, "painted_out": painted}


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def summary(result: dict) -> dict:
    """The headline figures under the names every OCR benchmark report uses."""
    synthetic = result["synthetic_uk"]
    return {
        "crop_ms_median": synthetic["recognition"]["ms_median"],
        "crop_ms_p95": synthetic["recognition"]["ms_p95"],
        "frame_ms_median": synthetic["end_to_end"]["ms_median"],
        "frame_ms_p95": synthetic["end_to_end"]["ms_p95"],
        "synthetic_exact": synthetic["recognition"]["exact"],
        "synthetic_e2e_exact": synthetic["end_to_end"]["exact"],
        "synthetic_no_plate_reads": no_plate_reads(synthetic),
        "real": {name: {"box_exact": figures["recognition"]["exact"],
                        "e2e_exact": figures["end_to_end"]["exact"],
                        "cer": figures["recognition"]["cer"],
                        "no_plate_reads": no_plate_reads(figures)}
                 for name, figures in result["photos"].items()},
    }  # fmt: skip


def no_plate_reads(figures: dict) -> float:
    """The share of frames with the plate painted out that still gave a read."""
    return round(1 - figures["no_plate"]["exact"], 4)


def table(result: dict) -> str:
    rows = [("synthetic UK (held out)", result["synthetic_uk"])]
    rows += [(f"{name} (photographs)", figures) for name, figures in result["photos"].items()]
    lines = [f"{result['network']}, one core",
             f"{'set':<26}{'plates':>7}{'box exact':>11}{'CER':>7}{'ms/crop':>9}"
             f"{'e2e exact':>11}{'CER':>7}{'ms/frame':>10}{'no-plate reads':>16}"]  # fmt: skip
    for name, figures in rows:
        box, e2e = figures["recognition"], figures["end_to_end"]
        lines.append(f"{name:<26}{box['plates']:>7}{box['exact']:>11.1%}{box['cer']:>7.3f}"
                     f"{box['ms_median']:>9.1f}{e2e['exact']:>11.1%}{e2e['cer']:>7.3f}"
                     f"{e2e['ms_median']:>10.1f}{no_plate_reads(figures):>16.1%}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=300, help="held-out synthetic plates")
    parser.add_argument("--seed", type=int, default=20261124, help="never used by the tests")
    parser.add_argument("--real", type=Path, nargs="*", default=[],
                        help="folders of labelled photographs (endtoend format)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    ocr.reader()  # loaded before timing
    result = {"network": settings.OCR_RECOGNITION_NETWORK, "threads": 1,
              "synthetic_uk": synthetic(args.synthetic, args.seed),
              "photos": {folder.name: photos(folder) for folder in args.real}}  # fmt: skip
    frame_ms = result["synthetic_uk"]["end_to_end"]["ms_median"]
    result["plates_per_second_one_core"] = round(1000 / frame_ms, 1) if frame_ms else None
    result = summary(result) | result
    print(table(result))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
