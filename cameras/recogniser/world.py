"""Other countries' plates, for training the recogniser to read foreign vehicles too: Latin
plates of many layouts (European, American, South American and generic), drawn with many open
typefaces on plain, tinted, graded and pictorial grounds, with the state or city name, slogans,
separators, stickers, frames and bolts that a plate carries beside its registration.

No photograph is copied: the styles are drawn from how such plates are specified and look.
"""

import random
import string
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = [
    "truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "truetype/liberation/LiberationSans-Bold.ttf",
    "truetype/liberation/LiberationMono-Bold.ttf",
    "truetype/liberation/LiberationSerif-Bold.ttf",
    "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "truetype/dejavu/DejaVuSans-Bold.ttf",
    "truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "truetype/dejavu/DejaVuSans.ttf",
    "truetype/freefont/FreeSansBold.ttf",
    "truetype/freefont/FreeMonoBold.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
    "truetype/roboto/unhinted/RobotoTTF/Roboto-Medium.ttf",
    "opentype/urw-base35/NimbusSans-Bold.otf",
    "opentype/urw-base35/URWGothic-Demi.otf",
    "opentype/urw-base35/NimbusMonoPS-Bold.otf",
    "opentype/dosis/Dosis-Bold.otf",  # rounded, narrow: like South American plates
    "opentype/dosis/Dosis-ExtraBold.otf",
    "opentype/jura/Jura-Bold.otf",  # squared
    "opentype/b612/B612-Bold.otf",  # DIN-like
]
FONT_ROOT = Path("/usr/share/fonts")
PACKAGES = (
    "fonts-liberation fonts-dejavu-core fonts-dejavu-extra fonts-freefont-ttf "
    "fonts-roboto-unhinted fonts-urw-base35 fonts-dosis fonts-jura fonts-b612"
)
# Layouts: L a letter, D a digit, a space between groups.
LAYOUTS = ["LLL DDDD", "LLLDLDD", "DLLL DDD", "LLL DDD", "DDD LLL", "LL DDD LL", "DDDD LLL",
           "L LL DDDD", "LL DDDDD", "LLL DDDL", "DD LLL DD", "LL DD LLL", "DDDDDD", "LLLDDD",
           "L DDDDDD", "DD DDD LL"]  # fmt: skip
WORDS = ["CALIFORNIA", "TEXAS", "FLORIDA", "NEW YORK", "ILLINOIS", "OHIO", "ARIZONA", "NEVADA",
         "OREGON", "GEORGIA", "SP-SAO PAULO", "RJ-RIO DE JANEIRO", "BA-SALVADOR", "PR-CURITIBA",
         "MG-BELO HORIZONTE", "DF-BRASILIA", "BRASIL", "MERCOSUL", "SUNSHINE STATE",
         "DMV.CA.GOV", "LAND OF LINCOLN", "THE EMPIRE STATE", "GRAND CANYON STATE",
         "BEAUTIFUL", "EXPLORE", "VETERAN", "DEALER", "AUTO SALES", "MOTORS"]  # fmt: skip
LIGHT = [(238, 238, 232), (250, 250, 250), (215, 218, 220), (190, 195, 198), (232, 222, 190),
         (205, 220, 240), (250, 232, 140), (222, 236, 222), (240, 215, 215)]  # fmt: skip
DARK = [(18, 18, 18), (20, 30, 90), (110, 20, 25), (15, 70, 35), (60, 40, 30), (40, 40, 40)]


@cache
def fonts() -> list[Path]:
    found = [FONT_ROOT / name for name in FONTS if (FONT_ROOT / name).exists()]
    if len(found) < len(FONTS):
        missing = sorted(set(FONTS) - {str(p.relative_to(FONT_ROOT)) for p in found})
        raise RuntimeError(f"Training fonts missing ({', '.join(missing)}): apt-get install "
                           f"{PACKAGES}")  # fmt: skip
    return found


@cache
def _glyph(char: str, font: int) -> Image.Image:
    """A character's ink as a mask cropped to its box, drawn in 110-pixel type."""
    face = ImageFont.truetype(str(fonts()[font]), 110)
    left, top, right, bottom = face.getbbox(char)
    mask = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(mask).text((2 - left, 2 - top), char, font=face, fill=255)
    return mask.crop(mask.getbbox())


def world_text(rng: random.Random) -> list[str]:
    """A foreign registration as the groups it is printed in."""
    if rng.random() < 0.15:  # no known layout: 4-8 letters and digits in one to three groups
        text = "".join(rng.choice(string.ascii_uppercase + string.digits)
                       for _ in range(rng.randint(4, 8)))  # fmt: skip
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, 2)))
        return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    layout = rng.choice(LAYOUTS)
    pick = {"L": string.ascii_uppercase, "D": string.digits}
    return ["".join(rng.choice(pick[c]) for c in group) for group in layout.split()]


def _colour(rng: random.Random, palette: list) -> tuple[int, int, int]:
    return tuple(min(255, max(0, c + rng.randint(-18, 18))) for c in rng.choice(palette))


def render_world_plate(groups: list[str], rng: random.Random) -> Image.Image:
    """A plate (RGB) carrying `groups`, in a random foreign style."""
    height = rng.randint(26, 96)
    width = round(height * rng.choice([rng.uniform(1.8, 2.3), rng.uniform(2.8, 3.5),
                                       rng.uniform(4.0, 5.0)]))  # fmt: skip
    inverted = rng.random() < 0.12  # light characters on a dark plate
    ground, ink = _colour(rng, DARK if inverted else LIGHT), _colour(rng, LIGHT if inverted
                                                                      else DARK)  # fmt: skip
    plate = Image.new("RGB", (width, height), ground)
    _pictorial(plate, rng, ground)
    draw = ImageDraw.Draw(plate)
    left = 0
    if rng.random() < 0.2:  # a European band
        left = round(width * rng.uniform(0.07, 0.11))
        draw.rectangle([0, 0, left, height], fill=(0, 51, 153))
        _words(draw, rng.choice(["D", "F", "NL", "PL", "I", "E", "B", "CZ"]), (0, height * 0.55),
               left, height * 0.3, (255, 255, 255))  # fmt: skip
    char_h = height * (rng.uniform(0.4, 0.55) if width < 2.5 * height else rng.uniform(0.5, 0.72))
    top = (height - char_h) * rng.uniform(0.35, 0.7)
    if rng.random() < 0.7:  # the state, city or country name above the characters
        _words(draw, rng.choice(WORDS), (left, top * rng.uniform(0.1, 0.3)), width - left,
               min(top * 0.75, height * 0.2), _colour(rng, DARK + LIGHT[:1]))  # fmt: skip
    if rng.random() < 0.4:  # a slogan or a frame's dealer name below them
        _words(draw, rng.choice(WORDS), (left, top + char_h + (height - top - char_h) * 0.2),
               width - left, min((height - top - char_h) * 0.7, height * 0.16),
               _colour(rng, DARK))  # fmt: skip
    _registration(plate, groups, rng, left, top, char_h, ink)
    if rng.random() < 0.5:
        inset = rng.uniform(0, 0.05) * height
        draw.rounded_rectangle([inset, inset, width - 1 - inset, height - 1 - inset],
                               radius=height * 0.08, outline=_colour(rng, DARK),
                               width=max(1, round(height * rng.uniform(0.02, 0.08))))  # fmt: skip
    if rng.random() < 0.4:  # bolts or their holes
        r = height * 0.04
        for x in (width * rng.uniform(0.15, 0.3), width * rng.uniform(0.7, 0.85)):
            y = top * 0.5 if rng.random() < 0.7 else height - top * 0.5
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_colour(rng, DARK + LIGHT))
    return plate


def _pictorial(plate: Image.Image, rng: random.Random, ground) -> None:
    """A graded or pictorial ground in pale colours, as on many American plates."""
    width, height = plate.size
    if rng.random() < 0.4:
        other = np.array(_colour(rng, LIGHT), np.float32)
        blend = np.linspace(0, 1, height)[:, None, None] * rng.uniform(0.3, 1.0)
        array = np.asarray(plate).astype(np.float32) * (1 - blend) + other * blend
        plate.paste(Image.fromarray(array.astype(np.uint8)))
    if rng.random() < 0.35:
        layer = ImageDraw.Draw(plate)
        for _ in range(rng.randint(1, 5)):
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            r = rng.uniform(0.1, 0.6) * height
            tint = tuple(int(0.6 * g + 0.4 * c) for g, c in zip(ground, _colour(rng, LIGHT + DARK),
                                                                  strict=True))  # fmt: skip
            layer.ellipse([x - 2 * r, y - r, x + 2 * r, y + r], fill=tint)
        plate.paste(plate.filter(ImageFilter.GaussianBlur(height * 0.06)))


def _words(draw, text: str, origin, width: float, size: float, fill) -> None:
    """Small lettering centred in a band `width` wide."""
    if size < 5:
        return
    face = ImageFont.truetype(str(fonts()[0 if len(text) > 8 else 5]), max(5, round(size)))
    box = draw.textbbox((0, 0), text, font=face)
    x = origin[0] + max(0, (width - (box[2] - box[0])) / 2)
    draw.text((x, origin[1] - box[1]), text, font=face, fill=fill)


def _registration(plate: Image.Image, groups: list[str], rng: random.Random, left: float,
                  top: float, char_h: float, ink) -> None:  # fmt: skip
    """The characters, in one face, stretched as the layout needs, groups set apart by a
    space, a hyphen, a dot or a sticker."""
    font = rng.randrange(len(fonts()))
    # Plate typefaces often draw 1 as a bare stroke and 0 as round as O: only the layout tells.
    bar_one, round_zero = rng.random() < 0.35, rng.random() < 0.25
    aspect, gap = rng.uniform(0.42, 0.72), rng.uniform(0.04, 0.2)
    separator = rng.choice(["space", "space", "hyphen", "dot", "sticker", "none"])
    group_gap = {"none": gap, "space": rng.uniform(0.3, 0.8)}.get(separator, rng.uniform(0.5, 0.9))

    def drawn(c: str) -> str:
        return "I" if c == "1" and bar_one else "O" if c == "0" and round_zero else c

    def char_w(c: str) -> float:
        glyph = _glyph(drawn(c), font)
        return min(aspect, glyph.width / glyph.height) if c in "1I" else aspect

    available = plate.width - left - 0.08 * plate.width
    needed = sum(char_w(c) + gap for g in groups for c in g) + group_gap * (len(groups) - 1)
    scale = min(char_h, available / needed)  # characters shrink in width to fit
    x = left + (plate.width - left - needed * scale) / 2 + rng.uniform(-0.03, 0.03) * plate.width
    bold = rng.choice([0, 0, 0, 1, -1 if char_h > 40 else 0])
    mark = Image.new("L", plate.size, 0)
    for n, group in enumerate(groups):
        if n:
            mid, y = x + (group_gap - gap) * scale / 2, top + char_h / 2
            if separator == "hyphen":
                mark.paste(255, (round(mid - 0.15 * char_h), round(y - 0.05 * char_h),
                                 round(mid + 0.15 * char_h), round(y + 0.05 * char_h)))  # fmt: skip
            elif separator == "dot":
                r = 0.05 * char_h
                ImageDraw.Draw(mark).ellipse([mid - r, y - r, mid + r, y + r], fill=255)
            elif separator == "sticker":
                r = rng.uniform(0.1, 0.2) * char_h
                ImageDraw.Draw(plate).rectangle([mid - r, y - r, mid + r, y + r],
                                                fill=_colour(rng, LIGHT + DARK))  # fmt: skip
            x += (group_gap - gap) * scale
        for c in group:
            glyph = _glyph(drawn(c), font).resize((max(1, round(char_w(c) * scale)), round(char_h)),
                                           Image.Resampling.BILINEAR)  # fmt: skip
            mark.paste(glyph, (round(x), round(top)))
            x += (char_w(c) + gap) * scale
    if bold:
        size = 3 if char_h < 60 else 5
        mark = mark.filter(ImageFilter.MaxFilter(size) if bold > 0 else ImageFilter.MinFilter(size))
    plate.paste(ink, (0, 0), mark)
