"""Training the plate recogniser (plate_crnn) on synthetic plates, seeded and resumable.

Each sample is a plate rendered by cameras/synthetic.py (UK formats as often as on the road,
and other Latin plates as random strings), degraded, cropped through the same localisation
crop as in service (warp, cut to the characters, 64 high, a square plate line by line) with
the plate box jittered as a localiser would place it. Real photographs are never used here.
"""

import math
import random
import string
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml
from torch import nn

from cameras.localise import _candidate
from cameras.synthetic import PlateStyle, degrade, render_plate, square_lines, uk_vrm

from .plate_crnn import Model

FOLDER = Path(__file__).resolve().parent
CONFIG = yaml.safe_load((FOLDER / "plate_crnn.yaml").read_text())
ALPHABET = CONFIG["character_list"]
VALIDATION_SEED = 777  # never used for training, nor by the tests or bench/ocr.py


def sample(rng: random.Random) -> tuple[np.ndarray, str] | None:
    """One grey line crop and its text."""
    if rng.random() < 0.8:
        vrm = uk_vrm(rng)
    else:  # another country's plate: letters and digits in no UK format
        vrm = "".join(rng.choice(string.ascii_uppercase + string.digits)
                      for _ in range(rng.randint(4, 8)))  # fmt: skip
    style = PlateStyle.random(rng, square_share=0.12)
    plate = degrade(render_plate(vrm, style, px_per_mm=rng.uniform(0.25, 0.8)), rng,
                    rng.uniform(0.0, 1.2))  # fmt: skip
    image = np.ascontiguousarray(np.asarray(plate)[:, :, ::-1])
    h, w = image.shape[:2]
    jitter = [(rng.uniform(-0.04, 0.04) * w, rng.uniform(-0.1, 0.1) * h) for _ in range(4)]
    quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32) + np.array(jitter, np.float32)
    candidate = _candidate(image, quad, "training")
    if candidate is None:
        return None
    texts = square_lines(vrm) if len(candidate.lines) == 2 else [vrm]
    line = rng.randrange(len(candidate.lines))
    return candidate.lines[line], texts[line]


def batch(lines: list[np.ndarray]) -> torch.Tensor:
    """Crops as EasyOCR feeds them: imgH high, scaled to [-1, 1], right-padded with the last
    column."""
    height = CONFIG["imgH"]
    lines = [cv2.resize(line, (math.ceil(height * line.shape[1] / line.shape[0]), height),
                        interpolation=cv2.INTER_CUBIC) for line in lines]  # fmt: skip
    width = max(line.shape[1] for line in lines)
    padded = [np.pad(line, ((0, 0), (0, width - line.shape[1])), mode="edge") for line in lines]
    tensor = torch.from_numpy(np.stack(padded)).float().div(255).sub(0.5).div(0.5)
    return tensor.unsqueeze(1)


def samples(seed: int, count: int) -> list[tuple[np.ndarray, str]]:
    rng = random.Random(seed)
    found: list[tuple[np.ndarray, str]] = []
    while len(found) < count:
        item = sample(rng)
        if item is not None:
            found.append(item)
    return found


class Stream(torch.utils.data.IterableDataset):
    """Endless batches; batch n is the same in every run with the same seed (resumable)."""

    def __init__(self, seed: int, size: int, start: int):
        self.seed, self.size, self.start = seed, size, start

    def __iter__(self) -> Iterator:
        n = self.start
        while True:
            items = samples(self.seed * 1_000_003 + n, self.size)
            texts = [text for _, text in items]
            yield batch([line for line, _ in items]), texts
            n += 1


def greedy(logits: torch.Tensor) -> list[str]:
    best = logits.argmax(dim=2).tolist()
    texts = []
    for row in best:
        chars, previous = [], 0
        for index in row:
            if index and index != previous:
                chars.append(ALPHABET[index - 1])
            previous = index
        texts.append("".join(chars))
    return texts


def train(
    *, steps: int, seed: int, out: Path, batch_size: int = 32, until: int | None = None, log=print
) -> float:
    """Train for `steps` steps (or stop after step `until`, to go on later), resuming from the
    checkpoint in `out`; returns the validation exact-match rate."""
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    params = CONFIG["network_params"]
    model = Model(num_class=len(ALPHABET) + 1, **params)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=2e-3, total_steps=steps)
    checkpoint = out / "plate_crnn.ckpt"
    step = 0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        if state.get("steps", steps) != steps:
            raise ValueError(
                f"The checkpoint is for a run of {state['steps']} steps: resume "
                f"with --steps {state['steps']}, or train into another folder."
            )
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        step = state["step"]
        log(f"resumed at step {step}")
    validation = samples(VALIDATION_SEED, 400)
    loss_fn = nn.CTCLoss(blank=0, zero_infinity=True)
    loader = torch.utils.data.DataLoader(Stream(seed, batch_size, step), batch_size=None,
                                         num_workers=1)  # fmt: skip
    started, accuracy = time.monotonic(), 0.0
    for images, texts in loader:
        if step >= min(steps, until or steps):
            break
        model.train()
        logits = model(images).log_softmax(2).permute(1, 0, 2)  # (T, N, C)
        targets = torch.tensor([ALPHABET.index(c) + 1 for text in texts for c in text])
        loss = loss_fn(logits, targets, torch.full((len(texts),), logits.size(0)),
                       torch.tensor([len(text) for text in texts]))  # fmt: skip
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        schedule.step()
        step += 1
        if step % 200 == 0 or step in (steps, until):
            accuracy = validate(model, validation)
            log(f"step {step}/{steps} loss {loss.item():.3f} validation exact {accuracy:.1%} "
                f"({time.monotonic() - started:.0f} s)")  # fmt: skip
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                        "schedule": schedule.state_dict(), "step": step, "steps": steps},
                       checkpoint)  # fmt: skip
    export(model, out / "plate_crnn.pth")
    return accuracy


def validate(model: Model, validation: list[tuple[np.ndarray, str]]) -> float:
    model.eval()
    right = 0
    with torch.no_grad():
        for start in range(0, len(validation), 50):
            chunk = validation[start : start + 50]
            reads = greedy(model(batch([line for line, _ in chunk])))
            right += sum(read == text for read, (_, text) in zip(reads, chunk, strict=True))
    return right / len(validation)


def export(model: Model, path: Path) -> None:
    """The weights as EasyOCR loads them on a CPU: it drops the first 7 characters of every
    key (those of a DataParallel model's `module.`)."""
    torch.save({f"module.{key}": value for key, value in model.state_dict().items()}, path)
