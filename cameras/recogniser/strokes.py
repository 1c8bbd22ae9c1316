"""A family of monoline plate typefaces drawn from skeletons, for training the recogniser.

Many plates are set in faces no registry ships: Brazil's Mandatory, California's Penitentiary
Gothic, Germany's FE-Schrift and their kin. They are drawn with one even stroke, condensed,
with squared or round bowls, and differ in a few telling details: a W whose middle reaches the
top, an open 4, a flat-topped 3, a 1 with or without its flag. Each character here is a
skeleton of corner points in a box 60 wide and 100 high; a face rounds the corners by its own
radius (square to round), draws the skeleton with its own stroke and caps, and picks each
detail's variant, so the recogniser meets many such faces instead of a few.
"""

import math
import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

W, H = 60.0, 100.0
M = H / 2
# A third item: False for a sharp corner, or the least radius of its curve.
Point = tuple[float, float] | tuple[float, float, bool | float]
Stroke = list[Point]


def _o(left: float = 0, top: float = 0, right: float = W, bottom: float = H) -> Stroke:
    """A closed bowl (its first corner repeated at the end), never quite square: a square one
    would be a D."""
    r = 0.15 * W
    return [(left, top, r), (right, top, r), (right, bottom, r), (left, bottom, r), (left, top, r)]


def _skeletons(v: dict[str, float]) -> dict[str, list[Stroke]]:
    """Every character's strokes, with the face's variants `v` (each 0-1)."""
    apex = v["w_apex"] * 0.4 * H  # how far from the top W's middle stops: 0 is the top
    flag = [(0.12 * W, 0.22 * H, False), (0.55 * W, 0, False)] if v["one_flag"] > 0.3 else []
    one = [[*flag, (0.55 * W, 0, False), (0.55 * W, H, False)]]
    if v["one_base"] > 0.7:
        one.append([(0.15 * W, H), (0.95 * W, H)])
    three = ([[(0, 0, False), (W, 0, False), (0.35 * W, 0.42 * H, False), (W, 0.5 * H),
               (W, H), (0, H), (0, 0.8 * H)]]
             if v["three_flat"] > 0.6 else
             [[(0, 0.2 * H), (0, 0), (W, 0), (W, M), (0.3 * W, M, False)],
              [(0.3 * W, M, False), (W, M), (W, H), (0, H), (0, 0.8 * H)]])  # fmt: skip
    four = ([[(0.75 * W, H, False), (0.75 * W, 0, False), (0, 0.7 * H, False),
              (W, 0.7 * H, False)]]
            if v["four_open"] < 0.6 else
            [[(0.1 * W, 0, False), (0, 0.7 * H, False), (W, 0.7 * H, False)],
             [(0.75 * W, 0.4 * H, False), (0.75 * W, H, False)]])  # fmt: skip
    six = (
        [[(0.75 * W, 0, False), (0, 0.5 * H, False)], _o(0, 0.45 * H)]
        if v["six_diagonal"] > 0.7
        else [[(W, 0.15 * H), (W, 0), (0, 0), (0, H), (W, H), (W, 0.45 * H), (0, 0.45 * H)]]
    )
    nine = (
        [[(0.25 * W, H, False), (W, 0.5 * H, False)], _o(0, 0, W, 0.55 * H)]
        if v["six_diagonal"] > 0.7
        else [[(0, 0.85 * H), (0, H), (W, H), (W, 0), (0, 0), (0, 0.55 * H), (W, 0.55 * H)]]
    )
    a = ([[(0, H), (0, 0), (W, 0), (W, H)], [(0, 0.55 * H), (W, 0.55 * H)]]
         if v["a_flat"] > 0.7 else
         [[(0, H, False), (0.5 * W, 0, False), (W, H, False)],
          [(0.2 * W, 0.66 * H), (0.8 * W, 0.66 * H)]])  # fmt: skip
    g_bar = (0.35 + 0.3 * v["g_bar"]) * W
    # fmt: off
    return {
        "0": [_o()],
        "1": one,
        "2": [[(0, 0.22 * H), (0, 0), (W, 0), (W, 0.45 * H), (0, H, False), (W, H, False)]],
        "3": three,
        "4": four,
        "5": [[(W, 0, False), (0, 0, False), (0, 0.45 * H, False), (W, 0.45 * H), (W, H),
               (0, H), (0, 0.82 * H)]],
        "6": six,
        "7": [[(0, 0, False), (W, 0, False), (0.3 * W, H, False)]],
        "8": [_o(0.06 * W, 0, 0.94 * W, M), _o(0, M)],
        "9": nine,
        "A": a,
        "B": [[(0, M, False), (0.9 * W, M), (0.9 * W, 0), (0, 0, False), (0, H, False), (W, H),
               (W, M), (0.9 * W, M)]],
        "C": [[(W, 0.2 * H), (W, 0), (0, 0), (0, H), (W, H), (W, 0.8 * H)]],
        "D": [[(0, 0, False), (W, 0, 0.45 * W), (W, H, 0.45 * W), (0, H, False), (0, 0, False)]],
        "E": [[(W, 0, False), (0, 0, False), (0, H, False), (W, H, False)],
              [(0, M), (0.8 * W, M)]],
        "F": [[(W, 0, False), (0, 0, False), (0, H, False)], [(0, M), (0.8 * W, M)]],
        "G": [[(W, 0.2 * H), (W, 0), (0, 0), (0, H), (W, H), (W, 0.55 * H, False),
               (g_bar, 0.55 * H, False)]],
        "H": [[(0, 0), (0, H)], [(W, 0), (W, H)], [(0, M), (W, M)]],
        "I": [[(0.5 * W, 0), (0.5 * W, H)]]
        + ([[(0.15 * W, 0), (0.85 * W, 0)], [(0.15 * W, H), (0.85 * W, H)]]
           if v["i_serifs"] > 0.6 else []),
        "J": [[(W, 0, False), (W, H), (0, H), (0, 0.72 * H)]],
        "K": [[(0, 0), (0, H)], [(W, 0, False), (0, 0.62 * H, False)],
              [(0.38 * W, 0.42 * H), (W, H)]],
        "L": [[(0, 0, False), (0, H, False), (W, H, False)]],
        "M": [[(0, H, False), (0, 0, False), (0.5 * W, 0.55 * H + 0.3 * H * v["m_depth"], False),
               (W, 0, False), (W, H, False)]],
        "N": [[(0, H, False), (0, 0, False), (W, H, False), (W, 0, False)]],
        "O": [_o()],
        "P": [[(0, H, False), (0, 0, False), (W, 0), (W, 0.55 * H), (0, 0.55 * H, False)]],
        "Q": [_o(), [(0.55 * W, 0.75 * H, False), (1.05 * W, 1.05 * H, False)]],
        "R": [[(0, H, False), (0, 0, False), (W, 0), (W, 0.55 * H), (0, 0.55 * H, False)],
              [((0.2 + 0.5 * v["r_leg"]) * W, 0.55 * H, False), (W, H, False)]],
        "S": [[(W, 0.18 * H), (W, 0), (0, 0), (0, M), (W, M), (W, H), (0, H), (0, 0.82 * H)]],
        "T": [[(0, 0), (W, 0)], [(0.5 * W, 0), (0.5 * W, H)]],
        "U": [[(0, 0), (0, H), (W, H), (W, 0)]],
        "V": [[(0, 0, False), (0.5 * W, H, False), (W, 0, False)]],
        "W": [[(0, 0, False), (0.22 * W, H, False), (0.5 * W, apex, False),
               (0.78 * W, H, False), (W, 0, False)]],
        "X": [[(0, 0), (W, H)], [(W, 0), (0, H)]],
        "Y": [[(0, 0, False), (0.5 * W, M, False), (W, 0, False)], [(0.5 * W, M), (0.5 * W, H)]],
        "Z": [[(0, 0, False), (W, 0, False), (0, H, False), (W, H, False)]],
    }
    # fmt: on


def _rounded(stroke: Stroke, radius: float) -> list[tuple[float, float]]:
    """The stroke with each corner not marked sharp replaced by a curve `radius` long on either
    side (at most half of each side), drawn as a quadratic Bézier through the corner."""
    closed = stroke[0][:2] == stroke[-1][:2] and len(stroke) > 2
    points = stroke[:-1] if closed else stroke
    out: list[tuple[float, float]] = []
    for i, point in enumerate(points):
        x, y = point[0], point[1]
        ends = not closed and i in (0, len(points) - 1)
        least = point[2] if len(point) == 3 else 0.0
        if ends or least is False or max(radius, least) <= 0:
            out.append((x, y))
            continue
        corner = max(radius, least)
        (ax, ay), (cx, cy) = points[i - 1][:2], points[(i + 1) % len(points)][:2]
        before, after = math.dist((ax, ay), (x, y)), math.dist((cx, cy), (x, y))
        s, t = min(corner, before / 2) / before, min(corner, after / 2) / after
        p0, p2 = (x + (ax - x) * s, y + (ay - y) * s), (x + (cx - x) * t, y + (cy - y) * t)
        for k in range(9):
            u = k / 8
            out.append(((1 - u) ** 2 * p0[0] + 2 * u * (1 - u) * x + u**2 * p2[0],
                        (1 - u) ** 2 * p0[1] + 2 * u * (1 - u) * y + u**2 * p2[1]))  # fmt: skip
    if closed:
        out.append(out[0])
    return out


@dataclass
class StrokeFace:
    """One monoline face: how round its corners are (0 square to 1 round), its stroke (a share
    of the height), round or square ends, and its variant of each telling character."""

    roundness: float
    stroke: float
    round_caps: bool
    variants: dict[str, float] = field(default_factory=dict)

    @classmethod
    def random(cls, rng: random.Random) -> "StrokeFace":
        details = ["w_apex", "one_flag", "one_base", "three_flat", "four_open", "six_diagonal",
                   "a_flat", "g_bar", "i_serifs", "m_depth", "r_leg"]  # fmt: skip
        return cls(roundness=rng.choice([0.0, rng.random(), rng.random(), 1.0]),
                   stroke=rng.uniform(0.09, 0.2), round_caps=rng.random() < 0.5,
                   variants={name: rng.random() for name in details})  # fmt: skip

    def glyph(self, char: str) -> Image.Image:
        """The character's ink as a mask cropped to its box, about 75 pixels high."""
        scale = 0.75
        width = self.stroke * H * scale
        pad = width  # room for the stroke, and for Q's tail
        mask = Image.new("L", (round(1.1 * W * scale + 2 * pad), round(1.1 * H * scale + 2 * pad)))
        draw = ImageDraw.Draw(mask)
        radius = self.roundness * W / 2
        for stroke in _skeletons(self.variants)[char]:
            points = [(pad + x * scale, pad + y * scale) for x, y in _rounded(stroke, radius)]
            draw.line(points, fill=255, width=max(1, round(width)), joint="curve")
            if self.round_caps:
                r = width / 2
                for x, y in (points[0], points[-1]):
                    draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
        return mask.crop(mask.getbbox())
