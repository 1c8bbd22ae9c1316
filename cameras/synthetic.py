"""Synthetic UK number plates: rendered at the legal proportions with open fonts, degraded as
cameras see them, and optionally placed in a scene, to test and measure plate reading without
photographs of real people's plates.

Geometry (mm, BS AU 145e): a long plate is 520 x 111, a square one 285 x 203; characters 79
high and 50 wide (1 and I narrower), 11 apart, 33 between the two groups, 19 between lines.
"""

import io
import random
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from reads.vrm import NOT_YEAR_LETTERS, uk_format

FONT_DIRS = [Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/fonts/truetype/dejavu")]
# Narrow bold sans faces, nearest to the plate typeface (which no registry ships).
FONT_FILES = ["LiberationSansNarrow-Bold.ttf", "DejaVuSansCondensed-Bold.ttf",
              "LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf"]  # fmt: skip
# A typeface never used to train the recogniser: bench/ocr.py reads held-out plates drawn in it
# (Debian fonts-urw-base35). PlateStyle(font=HELD_OUT) selects it.
HELD_OUT_FONT = Path("/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf")
HELD_OUT = -1
YELLOW, WHITE, INK = (247, 206, 0), (240, 240, 236), (18, 18, 18)
BANDS = [None, "UK", "GB", "flag", "green"]
CHAR_H, CHAR_W, GAP, GROUP_GAP, LINE_GAP, BAND_W = 79, 50, 11, 33, 19, 50
LONG, SQUARE = (520, 111), (285, 203)
# The year letters of prefix and suffix registrations.
YEAR_LETTERS = "".join(c for c in string.ascii_uppercase if c not in NOT_YEAR_LETTERS)
# Current-format age identifiers (March and September of each year).
AGE_IDS = [f"{year:02d}" for year in range(2, 27)] + [f"{year}" for year in range(51, 77)]


@cache
def fonts() -> list[Path]:
    """The plate fonts installed (Debian fonts-liberation, fonts-dejavu-core and -extra)."""
    found = [d / name for name in FONT_FILES for d in FONT_DIRS if (d / name).exists()]
    if not found:
        raise RuntimeError(f"No plate font found: install fonts-liberation or fonts-dejavu "
                           f"({', '.join(FONT_FILES)}).")  # fmt: skip
    return found


@dataclass(frozen=True)
class PlateStyle:
    rear: bool = True  # yellow; front plates are white
    square: bool = False
    band: str | None = None
    font: int = 0  # index into fonts(), or HELD_OUT
    border: bool = False

    @classmethod
    def random(cls, rng: random.Random, square_share: float = 0.1) -> "PlateStyle":
        return cls(rear=rng.random() < 0.6, square=rng.random() < square_share,
                   band=rng.choice(BANDS), font=rng.randrange(len(fonts())),
                   border=rng.random() < 0.3)  # fmt: skip


def groups(vrm: str) -> list[str]:
    """How the VRM is spaced on the plate: AB12 CDE, A123 BCD, ABC 123D, ABZ 1234."""
    kind = uk_format(vrm)
    if kind == "current":
        return [vrm[:4], vrm[4:]]
    if kind in ("prefix", "q"):
        return [vrm[:-3], vrm[-3:]]
    if kind == "suffix":
        return [vrm[:3], vrm[3:]]
    for i in range(1, len(vrm)):  # dateless, Northern Ireland: letters | digits
        if vrm[i].isdigit() != vrm[i - 1].isdigit():
            return [vrm[:i], vrm[i:]]
    return [vrm]


def square_lines(vrm: str) -> list[str]:
    """The two lines of a square plate: AB12 over CDE."""
    parts = groups(vrm)
    return [parts[0], "".join(parts[1:])] if len(parts) > 1 else [vrm[:4], vrm[4:]]


def uk_vrm(rng: random.Random) -> str:
    """A UK VRM, its format drawn about as often as it is seen on the road."""
    letters = "ABCDEFGHJKLMNOPRSTUVWXYZ"

    def pick(alphabet: str, n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    roll = rng.random()
    if roll < 0.80:
        return pick(letters, 2) + rng.choice(AGE_IDS) + pick(letters, 3)
    if roll < 0.92:
        return pick(YEAR_LETTERS, 1) + str(rng.randint(1, 999)) + pick(letters, 3)  # prefix
    if roll < 0.96:
        return pick(letters, 3) + str(rng.randint(1, 999)) + pick(YEAR_LETTERS, 1)  # suffix
    if roll < 0.99:  # Northern Ireland
        return pick(letters, 1) + rng.choice(["IA", "IJ", "AZ", "BZ", "KZ"]) + str(
            rng.randint(1, 9999))  # fmt: skip
    return pick(letters, rng.randint(1, 2)) + str(rng.randint(1, 999))  # dateless


@cache
def _glyph(char: str, font_index: int) -> Image.Image:
    """A character's ink as a mask, cropped to its box, at a large size."""
    path = HELD_OUT_FONT if font_index == HELD_OUT else fonts()[font_index % len(fonts())]
    font = ImageFont.truetype(str(path), 240)
    left, top, right, bottom = font.getbbox(char)
    mask = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(mask).text((2 - left, 2 - top), char, font=font, fill=255)
    return mask.crop(mask.getbbox())


def _char_width(char: str, font_index: int) -> float:
    if char in "1I":  # narrow characters keep their own proportions
        glyph = _glyph(char, font_index)
        return CHAR_H * glyph.width / glyph.height
    return CHAR_W


def _line_width(text: str, font_index: int) -> float:
    return sum(_char_width(c, font_index) for c in text) + GAP * (len(text) - 1)


def render_plate(vrm: str, style: PlateStyle = PlateStyle(), px_per_mm: float = 1.0) -> Image.Image:
    """A clean plate image (RGB) for a canonical VRM."""
    size = SQUARE if style.square else LONG
    plate = Image.new("RGB", (round(size[0] * px_per_mm), round(size[1] * px_per_mm)),
                      YELLOW if style.rear else WHITE)  # fmt: skip
    draw = ImageDraw.Draw(plate)
    left = 0.0
    if style.band:
        left = _band(plate, style.band, px_per_mm)
    parts = groups(vrm)
    if style.square:
        lines = square_lines(vrm)
        top = (size[1] - 2 * CHAR_H - LINE_GAP) / 2
        for n, line in enumerate(lines):
            x = left + (size[0] - left - _line_width(line, style.font)) / 2
            _draw_text(plate, line, x, top + n * (CHAR_H + LINE_GAP), style.font, px_per_mm)
    else:
        width = sum(_line_width(g, style.font) for g in parts) + GROUP_GAP * (len(parts) - 1)
        x = left + (size[0] - left - width) / 2
        for part in parts:
            _draw_text(plate, part, x, (size[1] - CHAR_H) / 2, style.font, px_per_mm)
            x += _line_width(part, style.font) + GROUP_GAP
    if style.border:
        inset = 4 * px_per_mm
        draw.rectangle([inset, inset, plate.width - inset, plate.height - inset], outline=INK,
                       width=max(1, round(2 * px_per_mm)))  # fmt: skip
    return plate


def _draw_text(plate: Image.Image, text: str, x: float, top: float, font: int, px: float):
    for char in text:
        width = _char_width(char, font)
        glyph = _glyph(char, font).resize((max(1, round(width * px)), round(CHAR_H * px)),
                                          Image.Resampling.LANCZOS)  # fmt: skip
        plate.paste(INK, (round(x * px), round(top * px)), glyph)
        x += width + GAP


@cache
def _band_face(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts()[-1]), size)


def _band(plate: Image.Image, band: str, px: float) -> float:
    """The side band: blue with UK or GB, a flag, or the green flash of a zero-emission car."""
    draw = ImageDraw.Draw(plate)
    width, height = round(BAND_W * px), plate.height
    colour = (0, 150, 70) if band == "green" else (0, 51, 153)
    draw.rectangle([0, 0, width, height], fill=colour)
    if band == "flag":
        flag = [round(8 * px), round(10 * px), width - round(8 * px), round(40 * px)]
        draw.rectangle(flag, fill=(255, 255, 255))
        mid_x, mid_y = (flag[0] + flag[2]) // 2, (flag[1] + flag[3]) // 2
        draw.rectangle([mid_x - 2 * px, flag[1], mid_x + 2 * px, flag[3]], fill=(200, 16, 46))
        draw.rectangle([flag[0], mid_y - 2 * px, flag[2], mid_y + 2 * px], fill=(200, 16, 46))
    if band in ("UK", "GB"):
        font = _band_face(max(8, round(22 * px)))
        box = draw.textbbox((0, 0), band, font=font)
        draw.text(((width - box[2]) / 2, height - box[3] - 8 * px), band, font=font,
                  fill=(255, 255, 255))  # fmt: skip
    return BAND_W


def degrade(plate: Image.Image, rng: random.Random, strength: float = 1.0) -> Image.Image:
    """The plate as a camera might capture it: dirt, bolts, perspective, low light or infrared
    grey, blur, noise and compression, each at random (`strength` 0 leaves it clean)."""
    image = plate.copy()
    draw = ImageDraw.Draw(image)
    w, h = image.size
    if rng.random() < 0.4 * strength:  # bolts, in the gaps
        for bx in (w * rng.uniform(0.2, 0.3), w * rng.uniform(0.7, 0.8)):
            r = h * 0.05
            draw.ellipse([bx - r, h * 0.08, bx + r, h * 0.08 + 2 * r], fill=(150, 150, 150))
    if rng.random() < 0.4 * strength:  # dirt
        for _ in range(rng.randint(3, 12)):
            x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, h * 0.06)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(110, 90, 60))
    if rng.random() < 0.5 * strength:
        image = _perspective(image, rng, 0.08 * strength)
    array = np.asarray(image).astype(np.float32)
    if rng.random() < 0.25 * strength:  # infrared: grey, the retroreflective ground bright
        grey = array.mean(axis=2, keepdims=True)
        array = np.repeat(np.clip((grey - 40) * 1.4, 0, 255), 3, axis=2)
    if rng.random() < 0.4 * strength:  # low light
        array = array * rng.uniform(0.25, 0.7)
    if rng.random() < 0.6 * strength:
        array = array + np.random.default_rng(rng.randrange(2**32)).normal(
            0, rng.uniform(2, 14) * strength, array.shape)  # fmt: skip
    image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    if rng.random() < 0.5 * strength:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.6) * strength))
    if rng.random() < 0.6 * strength:
        image = jpeg_roundtrip(image, rng.randint(25, 80))
    return image


def _perspective(image: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    w, h = image.size
    jitter = [rng.uniform(-amount, amount) for _ in range(8)]
    quad = [
        w * jitter[0],
        h * jitter[1],
        w * jitter[2],
        h * (1 + jitter[3]),
        w * (1 + jitter[4]),
        h * (1 + jitter[5]),
        w * (1 + jitter[6]),
        h * jitter[7],
    ]
    return image.transform(image.size, Image.Transform.QUAD, quad, Image.Resampling.BILINEAR,
                           fillcolor=(60, 60, 60))  # fmt: skip


def jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


@dataclass(frozen=True)
class Scene:
    image: Image.Image  # RGB
    quad: list[
        tuple[float, float]
    ]  # the plate's corners: top-left, top-right, bottom-right, bottom-left

    @property
    def box(self) -> tuple[int, int, int, int]:
        """x, y, width, height of the plate's bounding box."""
        xs, ys = [p[0] for p in self.quad], [p[1] for p in self.quad]
        return round(min(xs)), round(min(ys)), round(max(xs) - min(xs)), round(max(ys) - min(ys))


def render_scene(
    vrm: str, rng: random.Random, size: tuple[int, int] = (1000, 500),
    style: PlateStyle | None = None, plate_width: int | None = None, tilt: float = 0.0,
    infrared: bool = False, degradation: float = 0.0,
) -> Scene:  # fmt: skip
    """A plate on the back (or front) of a car on a road, in a frame of `size` (0.5 MP by
    default), tilted by `tilt` degrees, the plate degraded by `degradation` (see degrade)."""
    style = style or PlateStyle.random(rng)
    frame = _background(size, rng)
    body = tuple(rng.randint(20, 220) for _ in range(3))
    car_w = rng.randint(size[0] // 3, size[0] // 2)
    car_x = rng.randint(0, size[0] - car_w)
    car_y = rng.randint(size[1] // 4, size[1] // 2)
    ImageDraw.Draw(frame).rounded_rectangle(
        [car_x, car_y, car_x + car_w, min(size[1] - 1, car_y + car_w * 0.6)], radius=30, fill=body
    )  # fmt: skip
    width = plate_width or round(car_w * rng.uniform(0.35, 0.5))
    plate = render_plate(vrm, style, px_per_mm=max(0.2, width / (SQUARE if style.square
                                                                  else LONG)[0]))  # fmt: skip
    plate = degrade(plate, rng, degradation) if degradation else plate
    plate = plate.convert("RGBA").rotate(tilt, expand=True, resample=Image.Resampling.BICUBIC)
    x = car_x + (car_w - plate.width) // 2
    y = min(size[1] - plate.height - 2, car_y + round(car_w * 0.3))
    frame.paste(plate, (x, y), plate)
    quad = _rotated_quad(plate.size, width, tilt, style, x, y)
    if infrared:
        frame = frame.convert("L").convert("RGB")
    return Scene(frame, quad)


def _rotated_quad(canvas, width, tilt, style, x, y) -> list[tuple[float, float]]:
    """Where the plate's corners landed after rotating it by `tilt` in its expanded canvas."""
    aspect = (SQUARE if style.square else LONG)[1] / (SQUARE if style.square else LONG)[0]
    w, h = width, width * aspect
    angle = np.radians(-tilt)
    cx, cy = canvas[0] / 2, canvas[1] / 2
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return [(x + cx + px * np.cos(angle) - py * np.sin(angle),
             y + cy + px * np.sin(angle) + py * np.cos(angle)) for px, py in corners]  # fmt: skip


def _background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Tarmac and sky, unevenly lit, with some clutter."""
    w, h = size
    gradient = np.linspace(rng.uniform(60, 140), rng.uniform(30, 90), h)[:, None, None]
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 8, (h, w, 3))
    frame = Image.fromarray(np.clip(gradient + noise, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(frame)
    for _ in range(rng.randint(3, 8)):  # lane markings, posts, signs
        x, y = rng.randrange(w), rng.randrange(h)
        draw.rectangle([x, y, x + rng.randint(5, 80), y + rng.randint(5, 40)],
                       fill=tuple(rng.randint(0, 255) for _ in range(3)))  # fmt: skip
    return frame


def jpeg_bytes(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
