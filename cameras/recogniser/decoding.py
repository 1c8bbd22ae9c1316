"""Crops in, characters out: how a recognition network's input is prepared and its output read.

The network (plate_crnn, or EasyOCR's stock one) takes grey line crops `height` pixels high,
scaled to [-1, 1], and gives for each slice of the crop the probability of every character and
of none (CTC's blank, class 0). Training and the OCR worker both go through here, so the network
sees in service what it learnt from.

A line's read keeps, at each character's place, every character the network found at least
a ten-thousandth as likely as its first choice: the plate rules (reads/vrm.py) fit those to
the formats, so a character it was unsure of is fixed by its own second choice.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np

KEEP = 1e-4  # the least likely a character may be beside the first choice and still be kept
MAX_CHOICES = 6


def network_input(lines: list[np.ndarray], height: int):
    """Grey crops as one batch (a tensor), prepared much as EasyOCR's `recognize()` prepares
    them: `height` high (linear interpolation), scaled to [-1, 1], right-padded with each
    crop's last column to the widest, rounded up to a multiple of `height`."""
    import torch  # not at the top: the processes that only read text need no torch

    lines = [cv2.resize(line, (math.ceil(height * line.shape[1] / line.shape[0]), height),
                        interpolation=cv2.INTER_LINEAR) for line in lines]  # fmt: skip
    width = math.ceil(max(line.shape[1] for line in lines) / height) * height
    padded = [np.pad(line, ((0, 0), (0, width - line.shape[1])), mode="edge") for line in lines]
    tensor = torch.from_numpy(np.stack(padded)).float().div(255).sub(0.5).div(0.5)
    return tensor.unsqueeze(1)


@dataclass(frozen=True)
class LineRead:
    """The characters of a line as the network saw them: at each place, each character it may
    be with its probability (the likeliest first), and the network's confidence (0-1)."""

    positions: list[dict[str, float]]
    confidence: float

    @property
    def text(self) -> str:
        return "".join(next(iter(position)) for position in self.positions)


def line_read(probabilities: np.ndarray, alphabet: str) -> LineRead:
    """Read one line from the network's probabilities (slices x (1 + len(alphabet)), class 0
    the blank): the best path, repeats merged, and at each character its slices' highest
    probability of every character. The confidence is EasyOCR's: the product of the best
    path's probabilities over its character slices, to the power 2 / sqrt(their number)."""
    best = probabilities.argmax(axis=1)
    spans: list[list[int]] = []
    for t, index in enumerate(best):
        if index and (t == 0 or index != best[t - 1]):
            spans.append([t])
        elif index:
            spans[-1].append(t)
    positions = []
    for span in spans:
        seen = probabilities[span, 1:].max(axis=0)
        order = np.argsort(-seen)[:MAX_CHOICES]
        top = seen[order[0]]
        total = seen.sum()
        positions.append({alphabet[i]: float(seen[i] / total) for i in order
                          if seen[i] >= KEEP * top})  # fmt: skip
    path = probabilities.max(axis=1)[best != 0]
    confidence = float(path.prod() ** (2.0 / math.sqrt(len(path)))) if len(path) else 0.0
    return LineRead(positions, confidence)
