"""Training the plate recogniser (plate_crnn) on synthetic plates, seeded and resumable:

    python -m cameras.recogniser.training [--steps N] [--seed N] [--out FOLDER] [--until N]
        [--real DIR ...]

prints progress and validation accuracy as it goes and writes plate_crnn.pth into --out (this
folder by default). It needs no database or settings. See MODEL_CARD.md.

Real labelled photographs (--real, folders in the OpenALPR `endtoend` format) are only read
from, never learnt from: each validation also reads their plates from the true box, and the
weights written are those of the validation that read them best (with the synthetic set).

Each sample is a plate rendered by cameras/synthetic.py (UK formats as often as on the road)
or world.py (other countries' plates), degraded, washed out at times, set on a ground and
cropped through the same localisation crop as in service (warp, cut to the band of its
characters, 64 high, a square plate line by line) from a box placed loosely or tightly as a
localiser or a labeller would. No photograph is ever trained on.
"""

import argparse
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml
from PIL import Image
from torch import nn

from cameras.localise import _candidate, _ordered
from cameras.synthetic import PlateStyle, degrade, render_plate, square_lines, uk_vrm

from .decoding import line_read, network_input
from .plate_crnn import Model
from .world import render_world_plate, world_text

FOLDER = Path(__file__).resolve().parent
CONFIG = yaml.safe_load((FOLDER / "plate_crnn.yaml").read_text())
ALPHABET, HEIGHT = CONFIG["character_list"], CONFIG["imgH"]
UK_SHARE = 0.45  # the rest: other countries' plates (world.py)
STEPS, SEED = 10_000, 2026
AVERAGE_DECAY = 0.999
VALIDATION_SEED = 777  # never used for training, nor by the tests or bench/ocr.py


def sample(rng: random.Random) -> tuple[np.ndarray, str] | None:
    """One grey line crop and its text."""
    if rng.random() < UK_SHARE:
        vrm = uk_vrm(rng)
        style = PlateStyle.random(rng, square_share=0.12)
        plate = render_plate(vrm, style, px_per_mm=rng.uniform(0.25, 0.8))
        texts = square_lines(vrm) if style.square else [vrm]
    else:
        groups = world_text(rng)
        plate, texts = render_world_plate(groups, rng), ["".join(groups)]
    plate = degrade(plate, rng, rng.uniform(0.0, 1.2))
    if rng.random() < 0.15:  # the vehicle moved during the exposure, or the lens was not focused
        array = np.asarray(plate)
        length = max(2, round(plate.height * rng.uniform(0.03, 0.12)))
        if rng.random() < 0.5:
            array = cv2.filter2D(array, -1, np.full((1, length), 1 / length, np.float32))
        else:
            array = cv2.GaussianBlur(array, (0, 0), length / 3)
        plate = Image.fromarray(array)
    if rng.random() < 0.3:  # haze, glare or a washed-out exposure: little contrast left
        array = np.asarray(plate).astype(np.float32)
        mean = array.mean()
        array = mean + rng.uniform(-30, 30) + (array - mean) * rng.uniform(0.25, 0.7)
        plate = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    # On a ground (a car, often a dark frame or recess), cropped as a localiser or a labeller
    # would box it: loose or tight, a little off.
    w, h = plate.size
    margin = round(0.3 * h)
    top = 255 if rng.random() < 0.6 else 60
    colour, grain = [rng.randint(0, top) for _ in range(3)], rng.uniform(0, 20)
    noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(
        (h + 2 * margin, w + 2 * margin, 3), dtype=np.float32)  # fmt: skip
    ground = noise * grain + np.array(colour, np.float32)
    image = np.clip(ground, 0, 255).astype(np.uint8)
    image[margin : margin + h, margin : margin + w] = np.asarray(plate)
    image = np.ascontiguousarray(image[:, :, ::-1])
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32) + margin
    outward = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32)
    jitter = np.array([[rng.uniform(-0.015, 0.06) * w, rng.uniform(-0.06, 0.2) * h]
                       for _ in range(4)], np.float32)  # fmt: skip
    candidate = _candidate(image, corners + outward * jitter, "training")
    if candidate is None or len(candidate.lines) != len(texts):
        return None
    line = rng.randrange(len(candidate.lines))
    return candidate.lines[line], texts[line]


def photo_labels(folder: Path) -> list[tuple[Path, np.ndarray, str]]:
    """A folder of labelled photographs (`NAME.txt`: `file x y w h PLATE`, tab separated): each
    image's path, its plate's corners and its plate."""
    labels = []
    for label in sorted(folder.glob("*.txt")):
        name, x, y, w, h, plate = label.read_text().split("\t")[:6]
        x, y, w, h = (int(v) for v in (x, y, w, h))
        quad = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)
        labels.append((folder / name, quad, "".join(c for c in plate.upper() if c.isalnum())))
    return labels


def photo_samples(folder: Path) -> list[tuple[list[np.ndarray], str]]:
    """The line crops of each labelled photograph's plate, from its true box, and its plate."""
    found = []
    for path, quad, plate in photo_labels(folder):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        candidate = None if image is None else _candidate(image, _ordered(quad), "truth")
        if candidate is not None:
            found.append((candidate.lines, plate))
    return found


def samples(seed: int, count: int) -> list[tuple[np.ndarray, str]]:
    rng = random.Random(seed)
    found: list[tuple[np.ndarray, str]] = []
    while len(found) < count:
        item = sample(rng)
        if item is not None:
            found.append(item)
    return found


class Stream(torch.utils.data.IterableDataset):
    """Endless batches; batch n is the same in every run with the same seed (resumable). With
    several workers, worker k renders batches n = k, k + workers, ... (the loader takes them
    in turn, so the order is the same)."""

    def __init__(self, seed: int, size: int, start: int):
        self.seed, self.size, self.start = seed, size, start

    def __iter__(self) -> Iterator:
        info = torch.utils.data.get_worker_info()
        first, every = (info.id, info.num_workers) if info else (0, 1)
        n = self.start + first
        while True:
            items = samples(self.seed * 1_000_003 + n, self.size)
            texts = [text for _, text in items]
            yield network_input([line for line, _ in items], HEIGHT), texts
            n += every


def greedy(logits: torch.Tensor) -> list[str]:
    """The text of each line of a batch, read as the OCR worker reads it."""
    probabilities = logits.softmax(dim=2).cpu().numpy()
    return [line_read(line, ALPHABET).text for line in probabilities]


def train(
    *, steps: int, seed: int, out: Path, batch_size: int = 32, until: int | None = None,
    workers: int = 1, threads: int = 1, real: tuple[Path, ...] = (), init: Path | None = None,
    learning_rate: float = 2e-3, log=print,
) -> dict[str, float]:  # fmt: skip
    """Train for `steps` steps (or stop after step `until`, to go on later), resuming from the
    checkpoint in `out`, on a GPU when there is one; a new run starts from the weights in
    `init` (plate_crnn.pth as written here) when given, else from random ones. `workers`
    processes render the plates, `threads` run the network on a CPU. The weights validated and
    written are the running average of the steps' weights. Returns the validation figures of
    the weights written: the last step's, or with `real` folders the best validation's (by the
    mean of the synthetic set's exact rate and each folder's)."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Model(num_class=len(ALPHABET) + 1, **CONFIG["network_params"]).to(device)
    if init:
        weights = torch.load(init, map_location=device)
        model.load_state_dict(
            {key.removeprefix("module."): value for key, value in weights.items()}
        )
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=learning_rate,
                                                   total_steps=steps)  # fmt: skip
    # Validated and written: the average of the weights along the way (each step's counting
    # 1 - AVERAGE_DECAY), steadier on photographs than any one step's.
    average = torch.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(AVERAGE_DECAY),
        use_buffers=True)  # fmt: skip
    checkpoint = out / "plate_crnn.ckpt"
    step, best = _resume(checkpoint, steps, model, optimiser, schedule, average, log)
    validation = {"synthetic": [([line], text) for line, text in samples(VALIDATION_SEED, 400)]}
    validation |= {folder.name: photo_samples(folder) for folder in real}
    if set(best["figures"]) - {"step"} != set(validation):
        best = UNCHOSEN  # chosen on other sets, or not yet: choose anew
    loss_fn = nn.CTCLoss(blank=0, zero_infinity=True)
    loader = torch.utils.data.DataLoader(Stream(seed, batch_size, step), batch_size=None,
                                         num_workers=workers)  # fmt: skip
    started = time.monotonic()
    for images, texts in loader:
        if step >= min(steps, until or steps):
            break
        loss = _learn(model, optimiser, loss_fn, images.to(device), texts)
        schedule.step()
        average.update_parameters(model)
        step += 1
        if step % 200 == 0 or step in (steps, until):
            figures = {name: validate(average.module, items) for name, items in validation.items()}
            score = sum(figures.values()) / len(figures)
            if score > best["score"] or not real:
                weights = {key: value.clone() for key, value in average.module.state_dict().items()}
                best = {"figures": figures | {"step": step}, "score": score, "model": weights}
            others = "".join(f", {name} {rate:.1%}" for name, rate in list(figures.items())[1:])
            log(f"step {step}/{steps} loss {loss:.3f} validation exact {figures['synthetic']:.1%}"
                f"{others} ({time.monotonic() - started:.0f} s)")  # fmt: skip
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                        "schedule": schedule.state_dict(), "average": average.state_dict(),
                        "step": step, "steps": steps, "best": best}, checkpoint)  # fmt: skip
    if best["model"] is not None:
        average.module.load_state_dict(best["model"])
    export(average.module, out / "plate_crnn.pth")
    return best["figures"]


UNCHOSEN: dict = {"figures": {}, "score": -1.0, "model": None}


def _resume(checkpoint: Path, steps: int, model, optimiser, schedule, average, log
            ) -> tuple[int, dict]:  # fmt: skip
    """The step a run stopped at and the best validation so far, the model, optimiser,
    schedule and average weights as they were; step 0 for a new run."""
    if not checkpoint.exists():
        return 0, UNCHOSEN
    state = torch.load(checkpoint, weights_only=False, map_location=next(model.parameters()).device)
    if state.get("steps", steps) != steps:
        raise ValueError(
            f"The checkpoint is for a run of {state['steps']} steps: resume "
            f"with --steps {state['steps']}, or train into another folder."
        )
    model.load_state_dict(state["model"])
    optimiser.load_state_dict(state["optimiser"])
    schedule.load_state_dict(state["schedule"])
    average.load_state_dict(state["average"])
    log(f"resumed at step {state['step']}")
    return state["step"], state.get("best", UNCHOSEN)


def _learn(model: Model, optimiser, loss_fn, images: torch.Tensor, texts: list[str]) -> float:
    """One optimiser step on a batch; its CTC loss."""
    model.train()
    logits = model(images).log_softmax(2).permute(1, 0, 2).cpu()  # (T, N, C)
    targets = torch.tensor([ALPHABET.index(c) + 1 for text in texts for c in text])
    loss = loss_fn(logits, targets, torch.full((len(texts),), logits.size(0)),
                   torch.tensor([len(text) for text in texts]))  # fmt: skip
    optimiser.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimiser.step()
    return loss.item()


def validate(model: Model, validation: list[tuple[list[np.ndarray], str]]) -> float:
    """The share of plates read exactly, each line read on its own as the OCR worker reads it,
    the lines joined."""
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        reads = ["".join(greedy(model(network_input([line], HEIGHT).to(device)))[0]
                         for line in lines) for lines, _ in validation]  # fmt: skip
    return sum(read == text for read, (_, text) in zip(reads, validation, strict=True)) / max(
        1, len(validation))  # fmt: skip


def export(model: Model, path: Path) -> None:
    """The weights as EasyOCR loads them on a CPU: it drops the first 7 characters of every
    key (those of a DataParallel model's `module.`)."""
    torch.save({f"module.{key}": value.cpu() for key, value in model.state_dict().items()}, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", type=Path, default=FOLDER)
    parser.add_argument("--until", type=int, help="stop after this step; run again to go on")
    parser.add_argument("--init", type=Path, help="start from these weights (plate_crnn.pth)")
    parser.add_argument("--learning-rate", type=float, default=2e-3, help="the peak rate")
    parser.add_argument("--workers", type=int, default=1, help="processes rendering plates")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads running the network on a CPU")  # fmt: skip
    parser.add_argument(
        "--real",
        type=Path,
        nargs="*",
        default=[],
        help="folders of labelled photographs to validate on (never trained on)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    figures = train(
        steps=args.steps,
        seed=args.seed,
        out=args.out,
        batch_size=args.batch_size,
        until=args.until,
        workers=args.workers,
        threads=args.threads,
        real=tuple(args.real),
        init=args.init,
        learning_rate=args.learning_rate,
        log=lambda line: print(line, flush=True),
    )
    print(f"Validation {figures}; weights in {args.out / 'plate_crnn.pth'}")


if __name__ == "__main__":
    main()
