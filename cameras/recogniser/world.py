"""Other countries' plates, for training the recogniser to read foreign vehicles too: Latin
plates in the layouts the plate rules know (reads/vrm.py FOREIGN_LAYOUTS, as often as they are
seen) and in no known layout, drawn with many open typefaces (DIN, the US highway alphabets and
others plates use) on plain, tinted, graded and pictorial grounds, with the state or city name,
slogans, separators, stickers, emblems, pictures, frames and bolts that a plate carries beside
its registration. 1 and I, and 0 and O, are often drawn alike, as on many plates, so the
recogniser learns to tell them apart by the layout.

No photograph is copied: the styles are drawn from how such plates are specified and look.
"""

import random
import string
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from reads.vrm import FOREIGN_LAYOUTS

from .strokes import StrokeFace

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
    "opentype/b612/B612-Bold.otf",
    "truetype/opendin/OSP-DIN.ttf",  # DIN 1451: German and Brazilian plates, and many others
    "truetype/roadgeek/RG2014B.ttf",  # the US highway alphabets, as on many American plates
    "truetype/roadgeek/RG2014C.ttf",
    "truetype/roadgeek/RG2014D.ttf",
    "truetype/roadgeek/RG2014E.ttf",
    "truetype/roadgeek/RG2014EM.ttf",
    "truetype/routed-gothic/routed-gothic-narrow.ttf",  # engraved, even strokes
    "opentype/national-park/NationalPark-Heavy.otf",
    "truetype/paratype/PTN77F.ttf",  # PT Sans Narrow Bold
    "truetype/clear-sans/ClearSans-Bold.ttf",
    "opentype/league-spartan/LeagueSpartan-Bold.otf",  # geometric
    "opentype/bebas-neue/BebasNeue-Regular.otf",  # tall, condensed
]
MONOLINE_SHARE = 0.4  # plates drawn in a face from strokes.py rather than one of FONTS
FONT_ROOT = Path("/usr/share/fonts")
PACKAGES = (
    "fonts-liberation fonts-dejavu-core fonts-dejavu-extra fonts-freefont-ttf "
    "fonts-roboto-unhinted fonts-urw-base35 fonts-dosis fonts-jura fonts-b612 fonts-opendin "
    "fonts-roadgeek fonts-routed-gothic fonts-national-park fonts-paratype fonts-clear-sans "
    "fonts-league-spartan fonts-bebas-neue"
)
WORDS = ["CALIFORNIA", "TEXAS", "FLORIDA", "NEW YORK", "ILLINOIS", "OHIO", "ARIZONA", "NEVADA",
         "OREGON", "GEORGIA", "MISSOURI", "WASHINGTON", "NEW JERSEY", "INDIANA", "ALASKA",
         "SP-SAO PAULO", "RJ-RIO DE JANEIRO", "BA-SALVADOR", "PR-CURITIBA", "DF-BRASILIA",
         "MG-BELO HORIZONTE", "ES-CARIACICA", "BRASIL", "MERCOSUL", "SUNSHINE STATE",
         "DMV.CA.GOV", "LAND OF LINCOLN", "THE EMPIRE STATE", "GRAND CANYON STATE",
         "SHOW-ME STATE", "GARDEN STATE", "LONE STAR STATE", "GREAT LAKES", "BEAUTIFUL",
         "EXPLORE", "VETERAN", "DEALER", "AUTO SALES", "MOTORS", "COLLECTOR"]  # fmt: skip
LIGHT = [(238, 238, 232), (250, 250, 250), (215, 218, 220), (190, 195, 198), (232, 222, 190),
         (205, 220, 240), (250, 232, 140), (222, 236, 222), (240, 215, 215)]  # fmt: skip
DARK = [(18, 18, 18), (20, 30, 90), (110, 20, 25), (15, 70, 35), (60, 40, 30), (40, 40, 40)]
INK = [*DARK, (175, 25, 35), (25, 65, 170), (20, 110, 60)]  # bright red, blue and green too
# How a registration's groups are set apart, as often as each is drawn.
SEPARATORS = ("space", "space", "hyphen", "dot", "sticker", "sticker", "emblem", "none")


@cache
def fonts() -> list[Path]:
    found = [FONT_ROOT / name for name in FONTS if (FONT_ROOT / name).exists()]
    if len(found) < len(FONTS):
        missing = sorted(set(FONTS) - {str(p.relative_to(FONT_ROOT)) for p in found})
        raise RuntimeError(f"Training fonts missing ({', '.join(missing)}): apt-get install "
                           f"{PACKAGES}")  # fmt: skip
    return found


@cache
def _face(font: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts()[font]), size)


@cache
def _glyph(char: str, font: int) -> Image.Image:
    """A character's ink as a mask cropped to its box, drawn in 110-pixel type."""
    face = _face(font, 110)
    left, top, right, bottom = face.getbbox(char)
    mask = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(mask).text((2 - left, 2 - top), char, font=face, fill=255)
    return mask.crop(mask.getbbox())


@cache
def _squared_ring(font: int, corner: float) -> Image.Image:
    """An O or 0 drawn as a rounded rectangle in the face's stroke, as DIN-like plate faces
    (Brazil's among them) draw it: `corner` is the corners' radius as a share of the width."""
    o = _glyph("O", font)
    stroke = max(6, int((np.asarray(o)[o.height // 2] > 127).sum() // 2))
    mask = Image.new("L", o.size, 0)
    box = [0, 0, o.width - 1, o.height - 1]
    ImageDraw.Draw(mask).rounded_rectangle(box, corner * o.width, outline=255, width=stroke)
    return mask


def world_text(rng: random.Random) -> list[str]:
    """A foreign registration as the groups it is printed in."""
    if rng.random() < 0.08:  # no known layout: 4-8 letters and digits in one to three groups
        text = "".join(rng.choice(string.ascii_uppercase + string.digits)
                       for _ in range(rng.randint(4, 8)))  # fmt: skip
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, 2)))
        return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    layout = rng.choices(list(FOREIGN_LAYOUTS), weights=list(FOREIGN_LAYOUTS.values()))[0]
    pick = {"L": string.ascii_uppercase, "D": string.digits}
    return ["".join(rng.choice(pick[c]) for c in group) for group in layout.split()]


def _colour(rng: random.Random, palette: list) -> tuple[int, int, int]:
    return tuple(min(255, max(0, c + rng.randint(-18, 18))) for c in rng.choice(palette))


def render_world_plate(groups: list[str], rng: random.Random, separator: str | None = None
                       ) -> Image.Image:  # fmt: skip
    """A plate (RGB) carrying `groups`, in a random foreign style; `separator` sets how the
    groups are set apart (SEPARATORS), otherwise chosen at random."""
    height = rng.randint(26, 96)
    width = round(height * rng.choice([rng.uniform(1.8, 2.3), rng.uniform(2.8, 3.5),
                                       rng.uniform(4.0, 5.0)]))  # fmt: skip
    inverted = rng.random() < 0.12  # light characters on a dark plate
    ground = _colour(rng, DARK if inverted else LIGHT)
    ink = _colour(rng, LIGHT if inverted else INK)
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
    _registration(plate, groups, rng, left, top, char_h, ink, separator)
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
    face = _face(0 if len(text) > 8 else 5, max(5, round(size)))
    box = draw.textbbox((0, 0), text, font=face)
    x = origin[0] + max(0, (width - (box[2] - box[0])) / 2)
    draw.text((x, origin[1] - box[1]), text, font=face, fill=fill)


def _registration(plate: Image.Image, groups: list[str], rng: random.Random, left: float,
                  top: float, char_h: float, ink, separator: str | None) -> None:  # fmt: skip
    """The characters, in one face, stretched as the layout needs, groups set apart by a
    space, a hyphen, a dot, a sticker or an emblem, at times a picture beside them or small
    letters stacked after them."""
    font = rng.randrange(len(fonts()))
    # Plate typefaces often draw 1 as a bare stroke like I, and 0 and O alike: only the layout
    # tells them apart.
    one = "I" if rng.random() < 0.45 else None
    zero = rng.choice("0O") if rng.random() < 0.45 else None
    ring = rng.choice([0.2, 0.3, 0.45]) if rng.random() < 0.35 else None  # a squared O and 0
    # Or a monoline face drawn from skeletons, like the plate faces no registry ships.
    monoline = StrokeFace.random(rng) if rng.random() < MONOLINE_SHARE else None
    aspect, gap = rng.uniform(0.42, 0.72), rng.uniform(0.01, 0.2)
    separator = separator or rng.choice(SEPARATORS)
    group_gap = {"none": gap, "space": rng.uniform(0.3, 0.8), "emblem": rng.uniform(0.7, 1.0)}.get(
        separator, rng.uniform(0.5, 0.9))  # fmt: skip

    def drawn(c: str) -> str:
        return (one or c) if c in "1I" else (zero or c) if c in "0O" else c

    @cache
    def shape(c: str) -> Image.Image:
        if monoline:
            return monoline.glyph(drawn(c))
        return _squared_ring(font, ring) if ring and c in "0O" else _glyph(drawn(c), font)

    def char_w(c: str) -> float:
        glyph = shape(c)
        return min(aspect, glyph.width / glyph.height) if c in "1I" else aspect

    # At times two small letters stacked after them: a disabled driver's or a class mark.
    stacked = rng.sample(string.ascii_uppercase, 2) if rng.random() < 0.1 else []
    available = plate.width - left - 0.08 * plate.width
    needed = sum(char_w(c) + gap for g in groups for c in g) + group_gap * (len(groups) - 1)
    needed += (0.4 * aspect + gap) * bool(stacked)
    scale = min(char_h, available / needed)  # characters shrink in width to fit
    x = left + (plate.width - left - needed * scale) / 2 + rng.uniform(-0.03, 0.03) * plate.width
    if rng.random() < 0.25:  # a picture beside the characters: a cactus, a tree, a logo
        r = char_h * rng.uniform(0.3, 0.55)
        side = rng.choice([x - r - 0.1 * char_h, x + needed * scale + r + 0.1 * char_h])
        _pictogram(plate, rng, (side, top + char_h * rng.uniform(0.4, 0.6)), r)
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
                _sticker(plate, rng, (mid, y), (group_gap - gap) * scale, char_h, ink)
            elif separator == "emblem":  # a state's emblem or a small picture
                _pictogram(plate, rng, (mid, y), (group_gap - gap) * scale * rng.uniform(0.3, 0.45))
            x += (group_gap - gap) * scale
        for c in group:
            glyph = shape(c).resize((max(1, round(char_w(c) * scale)), round(char_h)),
                                           Image.Resampling.BILINEAR)  # fmt: skip
            mark.paste(glyph, (round(x), round(top)))
            x += (char_w(c) + gap) * scale
    for k, c in enumerate(stacked):
        glyph = shape(c).resize((max(1, round(aspect * 0.4 * scale)), round(0.4 * char_h)))
        mark.paste(glyph, (round(x), round(top + k * 0.6 * char_h)))
    if bold:
        size = 3 if char_h < 60 else 5
        mark = mark.filter(ImageFilter.MaxFilter(size) if bold > 0 else ImageFilter.MinFilter(size))
    plate.paste(ink, (0, 0), mark)


def _sticker(plate: Image.Image, rng: random.Random, centre, room: float, char_h: float,
             ink) -> None:  # fmt: skip
    """A small mark between groups, as many American plates carry: a registration sticker, a
    state's outline or a boxed emblem, often in the characters' own ink (the reader must not
    take it for a character)."""
    draw = ImageDraw.Draw(plate)
    x, y = centre
    w = min(room * rng.uniform(0.5, 0.9), char_h * rng.uniform(0.25, 0.55)) / 2
    h = char_h * rng.uniform(0.25, 0.55) / 2
    y += rng.uniform(-0.15, 0.15) * char_h
    colour = ink if rng.random() < 0.5 else _colour(rng, DARK + VIVID)
    pale = _colour(rng, LIGHT)
    line = max(1, round(char_h * rng.uniform(0.04, 0.08)))
    kind = rng.choice(["tag", "tag", "outline", "state"])
    if kind == "state":  # an outline of a state: a rough polygon, filled
        points = [
            (x + w * rng.uniform(0.6, 1.1) * np.cos(a), y + h * rng.uniform(0.6, 1.1) * np.sin(a))
            for a in np.linspace(0, 2 * np.pi, rng.randint(5, 9), endpoint=False)
        ]
        draw.polygon(points, fill=colour)
        return
    if kind == "outline":
        draw.rectangle([x - w, y - h, x + w, y + h], outline=colour, width=line)
    else:
        draw.rectangle([x - w, y - h, x + w, y + h], fill=colour)
    for _ in range(rng.randint(0, 3)):  # the sticker's own printing: a year, a bar, a dot
        row = y + rng.uniform(-0.6, 0.6) * h
        draw.line([x - w * rng.uniform(0.3, 0.7), row, x + w * rng.uniform(0.3, 0.7), row],
                  fill=pale if kind == "tag" else colour, width=max(1, line // 2))  # fmt: skip


VIVID = [(200, 30, 40), (20, 90, 190), (30, 140, 60), (240, 170, 20), (230, 110, 20),
         (120, 40, 140), (20, 20, 20)]  # fmt: skip


def _pictogram(plate: Image.Image, rng: random.Random, centre, r: float) -> None:
    """A small picture `r` from its centre: a cactus, a tree, a disc, a diamond, a star or the
    wheelchair of a disabled driver's plate, in one or two bright colours (the reader must pass
    over it)."""
    draw = ImageDraw.Draw(plate)
    x, y = centre
    colour = _colour(rng, VIVID)
    kind = rng.choice(["cactus", "tree", "disc", "diamond", "star", "access"])
    if kind == "access":  # a figure in a wheelchair, pale on a square
        pale, line = _colour(rng, LIGHT), max(1, round(r * 0.14))
        draw.rectangle([x - r, y - r, x + r, y + r], fill=colour)
        draw.ellipse([x - 0.35 * r, y - 0.85 * r, x - 0.05 * r, y - 0.55 * r], fill=pale)
        draw.line([(x - 0.2 * r, y - 0.45 * r), (x - 0.2 * r, y + 0.1 * r), (x + 0.35 * r,
                   y + 0.1 * r), (x + 0.55 * r, y + 0.6 * r)], fill=pale, width=line)  # fmt: skip
        draw.arc([x - 0.65 * r, y - 0.15 * r, x + 0.25 * r, y + 0.75 * r], 60, 330, fill=pale,
                 width=line)  # fmt: skip
    elif kind == "cactus":  # a trunk and two arms
        w = r * 0.35
        draw.rounded_rectangle([x - w / 2, y - r, x + w / 2, y + r], radius=w / 2, fill=colour)
        for side, high in ((-1, rng.uniform(-0.3, 0.2)), (1, rng.uniform(-0.6, 0))):
            arm = x + side * r * 0.55
            draw.rounded_rectangle([min(x, arm) - w / 4, y + high * r, max(x, arm) + w / 4,
                                    y + high * r + w * 0.8], radius=w / 3, fill=colour)  # fmt: skip
            draw.rounded_rectangle([arm - w / 3, y + (high - 0.5) * r, arm + w / 3,
                                    y + high * r + w * 0.8], radius=w / 3, fill=colour)  # fmt: skip
    elif kind == "tree":
        draw.polygon([(x, y - r), (x - r * 0.7, y + r * 0.5), (x + r * 0.7, y + r * 0.5)],
                     fill=colour)  # fmt: skip
        draw.rectangle([x - r * 0.12, y + r * 0.5, x + r * 0.12, y + r], fill=(90, 60, 30))
    elif kind == "disc":
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        inner = r * rng.uniform(0.3, 0.7)
        draw.ellipse([x - inner, y - inner, x + inner, y + inner], fill=_colour(rng, VIVID + LIGHT))
    elif kind == "diamond":
        draw.polygon([(x, y - r), (x + r * 0.8, y), (x, y + r), (x - r * 0.8, y)], fill=colour)
    else:
        points = [
            (
                x + r * (1 if k % 2 == 0 else 0.45) * np.sin(k * np.pi / 5),
                y - r * (1 if k % 2 == 0 else 0.45) * np.cos(k * np.pi / 5),
            )
            for k in range(10)
        ]
        draw.polygon(points, fill=colour)  # fmt: skip
