"""Plate localisation with OpenCV: where in a frame the number plates may be.

Two proposers: the classic morphology pipeline (dark characters on a light plate give dense
vertical edges: black-hat, horizontal gradient, closing, threshold, contours), run on the grey
frame and on a mask of yellow (rear plates), so white front, yellow rear and infrared grey
plates are all found; and rows of character-like marks (adaptive threshold, then marks of one
height side by side), on the grey frame and again with its contrast evened out (CLAHE), which
find plates the edges miss in busy scenes, in shadow and at night; and, for a frame in which
none of those holds a plate, rows found with shorter runs of ink taken out and light regions
of a plate's shape (second_look).
(OpenCV's Haar plate cascade found no plate these two missed, on synthetic scenes or on real
photographs, and took a third of a frame's time.) Each candidate is a rotated rectangle, warped
flat (which undoes tilt) to a fixed height for the recogniser; a line whose characters still
slope in it (a box square to the frame round a plate hung askew) is turned level. A squarish
plate is read as two lines when its characters stand in two rows (a UK square plate), else as
one (an American plate).
"""

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

CROP_HEIGHT = 64  # the recogniser's input height
MAX_WIDTH = 1280  # larger frames are scaled down to find plates, then cropped at full size
LONG_ASPECT = (2.0, 7.5)  # width / height of a long plate as seen (520 x 111 mm is 4.7)
SQUARE_ASPECT = (1.0, 2.0)  # a square plate (285 x 203 mm is 1.4)
MAX_CANDIDATES = 6
# Characters narrower than this share of their height (those of a third of the foreign plates
# the recogniser learnt from, one UK plate in seventy) are also read widened to it, by at most
# MAX_WIDENING (ocr.read_candidate).
CHARACTER_WIDTH, MAX_WIDENING = 0.55, 1.5
# A region is also cut with its box's ends moved out and in by these shares of its width each
# (within what the recogniser learnt from: boxes 1.5% inside to 6% outside a plate's width).
NUDGES = (0.025, -0.015)
# A line whose characters slope by between these many degrees is turned level before it is
# read; its characters must stand along a line within this share of their height.
LEVEL_FROM, LEVEL_UP_TO, LEVEL_FIT = 2.0, 15.0, 0.15
# A plate body (_bodies) fills this share of the rectangle around it at least and is
# this much wider than high as seen (a square plate, 285 x 203 mm, is 1.4); the BODIES most
# contrasted are read.
BODY_FILL, BODY_ASPECT, BODIES = 0.7, 1.3, 2
SMALL = np.ones((3, 3), np.uint8)
_CLAHE = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))


@dataclass
class Candidate:
    """A region that may hold a plate: its corners in the frame, flat crops of its text lines,
    and how plate-like it looks (0-1)."""

    quad: np.ndarray  # 4 x 2, top-left, top-right, bottom-right, bottom-left
    lines: list[np.ndarray]  # grey crops, CROP_HEIGHT high: one, or two for a square plate
    plate: np.ndarray  # the colour crop of the whole plate (the plate patch)
    score: float
    source: str

    @property
    def box(self) -> tuple[int, int, int, int]:
        x, y = self.quad.min(axis=0)
        x2, y2 = self.quad.max(axis=0)
        return int(x), int(y), int(x2 - x), int(y2 - y)


def plate_candidates(frame: np.ndarray, limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """The most plate-like regions of a BGR frame, best first, overlapping ones merged."""
    if min(frame.shape[:2]) < 16:
        return []  # too small to hold a readable plate
    scale, small, grey = _scaled(frame)
    rects = [(r, "edges") for r in _edge_regions(grey)]
    rects += [(r, "yellow") for r in _edge_regions(_yellow(small), inverted=True)]
    rects += [(r, "characters") for r in _character_rows(grey)]
    # Again with the contrast evened out: plates in shadow, at night or against the sun.
    rects += [(r, "characters") for r in _character_rows(_CLAHE.apply(grey))]
    return _merged(frame, rects, scale)[:limit]


def second_look(frame: np.ndarray) -> list[Candidate]:
    """Regions of a BGR frame to read where those plate_candidates found hold no plate: the
    most plate-like region of a finer look for rows of characters, shorter runs of ink taken
    out (characters joined by a short line along their feet or heads, a plate's recess or the
    shadow of its frame, then stand apart, but large characters break up), and the BODIES most
    contrasted plate bodies (_bodies)."""
    if min(frame.shape[:2]) < 16:
        return []
    scale, _, grey = _scaled(frame)
    rows = [(r, "characters") for r in _character_rows(grey, finer=True)]
    return _merged(frame, rows, scale)[:1] + _bodies(frame, grey, scale)


def _bodies(frame: np.ndarray, grey: np.ndarray, scale: float) -> list[Candidate]:
    """Plate bodies in the frame's grey image at `scale`, the BODIES most contrasted: regions
    lighter than what is around them, of a plate's shape, lying rather than standing and
    filling most of their rectangle. They find a light plate by its ground where its
    characters cannot be counted (thin or faint strokes joined to each other or to the
    plate's edge, so the other looks see no row of characters and score the region 0 for
    plateness); as many light things have a plate's shape, what a body reads must look like a
    plate by itself (ocr.frame_read)."""
    light = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                  max(15, grey.shape[0] // 10) | 1, -4)  # fmt: skip
    bodies = []
    for contour in cv2.findContours(light, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]:
        rect = cv2.minAreaRect(contour)
        x, y, w, h = cv2.boundingRect(contour)
        long, short = max(rect[1]), min(rect[1])
        if (short >= 10 and long <= grey.shape[1] / 2 and w >= BODY_ASPECT * h
                and long / short <= LONG_ASPECT[1]
                and cv2.contourArea(contour) >= BODY_FILL * long * short):  # fmt: skip
            bodies.append((float(grey[y : y + h, x : x + w].std()), rect))
    bodies.sort(key=lambda body: -body[0])
    candidates = (_candidate(frame, _ordered(cv2.boxPoints(rect) / scale), "body")
                  for _, rect in bodies)  # fmt: skip
    return list(itertools.islice(filter(None, candidates), BODIES))


def _scaled(frame: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The scale a frame is looked at in, the frame at it and its grey image."""
    scale = min(1.0, MAX_WIDTH / frame.shape[1])
    small = cv2.resize(frame, None, fx=scale, fy=scale) if scale < 1 else frame
    return scale, small, cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)


def _merged(frame: np.ndarray, rects: list, scale: float) -> list[Candidate]:
    """Candidates for rectangles found in the frame scaled by `scale`, most plate-like first;
    of overlapping ones, the most plate-like."""
    candidates = []
    for rect, source in rects:
        quad = cv2.boxPoints(rect) / scale
        candidate = _candidate(frame, _ordered(quad), source)
        if candidate is not None:
            candidates.append(candidate)
    candidates.sort(key=lambda c: -c.score)
    kept: list[Candidate] = []
    for candidate in candidates:
        # Overlapping regions are one, unless they read differently: two lines or one.
        if all(_overlap(candidate, other) < 0.5 or len(candidate.lines) != len(other.lines)
               for other in kept):  # fmt: skip
            kept.append(candidate)
    return kept


def _edge_regions(grey: np.ndarray, inverted: bool = False) -> list:
    """Rotated rectangles around dense vertical edges of character height."""
    height = grey.shape[0]
    k = max(3, height // 40)
    if inverted:  # a mask: the plate itself is the bright region
        blob = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(
            cv2.MORPH_RECT, (k * 3, k)))  # fmt: skip
    else:
        blackhat = cv2.morphologyEx(
            grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (k * 4, k * 2))
        )
        gradient = np.absolute(cv2.Sobel(blackhat, cv2.CV_32F, 1, 0, ksize=3))
        gradient = (255 * gradient / max(float(gradient.max()), 1e-6)).astype(np.uint8)
        gradient = cv2.GaussianBlur(gradient, (5, 5), 0)
        closed = cv2.morphologyEx(
            gradient, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k * 5, k))
        )
        _, blob = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        blob = cv2.erode(blob, SMALL, iterations=1)
        blob = cv2.dilate(blob, SMALL, iterations=2)
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rects = []
    min_area = (grey.shape[0] * grey.shape[1]) * 0.0003
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:30]:
        rect = cv2.minAreaRect(contour)
        (w, h) = rect[1]
        if min(w, h) < 8 or w * h < min_area:
            continue
        aspect = max(w, h) / min(w, h)
        if (
            LONG_ASPECT[0] <= aspect <= LONG_ASPECT[1]
            or SQUARE_ASPECT[0] <= aspect < SQUARE_ASPECT[1]
        ):
            rects.append(_padded(rect, 1.08))
    return rects


def _character_rows(grey: np.ndarray, finer: bool = False) -> list:
    """Rotated rectangles around rows of four to ten dark marks of one height side by side, or
    two shorter rows stacked: a plate's characters, found where edge density is not enough
    (busy scenes, light cars). A row is also taken with any marks up to three characters wide
    beside it: characters run together, by blur or set close, may be the plate's last ones.
    Long horizontal runs of ink (a plate's frame or border, the edge of a bumper) are taken
    out first, so characters touching them stand apart; `finer`, runs half as long."""
    height = grey.shape[0]
    block = max(15, height // 25) | 1
    ink = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                block, 12)  # fmt: skip
    runs = cv2.getStructuringElement(cv2.MORPH_RECT, (max(15, height // 20) // (1 + finer), 1))
    ink = cv2.subtract(ink, cv2.morphologyEx(ink, cv2.MORPH_OPEN, runs))
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink)
    x, y, w, h, area = stats[1:].T.astype(np.float32)
    # Characters, and characters run together (by blur, or set close): up to three wide.
    keep = ((h >= max(8, 0.012 * height)) & (h <= 0.15 * height) & (w <= 3 * h) & (w >= 0.1 * h)
            & (area >= 0.15 * w * h) & (area <= 0.9 * w * h))  # fmt: skip
    x, y, w, h = x[keep], y[keep], w[keep], h[keep]
    single = w <= h
    if np.count_nonzero(single) < 4:
        return []
    cx, cy = x + w / 2, y + h / 2
    taller = np.maximum(h[:, None], h[None, :])
    beyond = np.maximum(0, w - h) / 2  # how much further a run-together mark's centre lies
    reach = 2 * taller + beyond[:, None] + beyond[None, :]
    linked = ((np.abs(h[:, None] - h[None, :]) < 0.3 * taller)
              & (np.abs(cy[:, None] - cy[None, :]) < 0.3 * taller)
              & (np.abs(cx[:, None] - cx[None, :]) < reach))  # fmt: skip
    root = list(range(len(x)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(linked, 1)), strict=True):
        root[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(x)):
        groups.setdefault(find(i), []).append(i)
    # A row: three to ten single characters, and any run together beside them.
    rows = [np.array(members) for members in groups.values()
            if 3 <= np.count_nonzero(single[members]) <= 10]  # fmt: skip

    def around(m: np.ndarray):  # the plate: the marks, and a character or so either side
        left, top, right, bottom = x[m], y[m], x[m] + w[m], y[m] + h[m]
        corners = np.stack([np.r_[left, right, right, left], np.r_[top, top, bottom, bottom]], 1)
        centre, (long, short), angle = cv2.minAreaRect(corners)
        if long < short:
            long, short, angle = short, long, angle - 90
        char_h = float(np.median(h[m]))
        return centre, (long + 2 * char_h, max(short, char_h) + 0.7 * char_h), angle

    rects = []
    for m in rows:
        characters = m[single[m]]
        if len(characters) >= 4:
            rects.append(around(characters))
            if len(characters) < len(m):  # and with the marks run together beside them (the
                rects.append(around(m))  # plate's last characters, or something beside it)
    # A square plate: two rows stacked. Each row's height, top and bottom (medians: a stray
    # mark aside), left and right, once: a busy scene has hundreds of rows to pair.
    spans = [(np.median(h[m]), np.median(y[m]), np.median(y[m] + h[m]), x[m].min(),
              (x[m] + w[m]).max()) for m in rows]  # fmt: skip
    pairs = itertools.permutations(zip(rows, spans, strict=True), 2)
    for (upper, upper_span), (lower, lower_span) in pairs:
        upper_h, _, bottom, left, right = upper_span
        lower_h, top, _, left2, right2 = lower_span
        char_h = max(upper_h, lower_h)
        shared = min(right, right2) - max(left, left2)
        narrower = min(right - left, right2 - left2)
        if (abs(upper_h - lower_h) <= 0.25 * char_h and 0 <= top - bottom <= 0.8 * char_h
                and shared >= 0.5 * narrower):  # fmt: skip
            rects.append(around(np.r_[upper, lower]))
    return rects


def _yellow(bgr: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    return cv2.inRange(hsv, (15, 90, 90), (40, 255, 255))


def _padded(rect, factor: float):
    (cx, cy), (w, h), angle = rect
    return (cx, cy), (w * factor, h * factor), angle


def _ordered(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left, the long side horizontal."""
    centre = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0])
    quad = quad[np.argsort(angles)]  # clockwise from the left-most top
    tl = np.argmin(quad.sum(axis=1))
    quad = np.roll(quad, -tl, axis=0)
    if np.linalg.norm(quad[1] - quad[0]) < np.linalg.norm(quad[3] - quad[0]) * 0.8:
        quad = np.roll(quad, -1, axis=0)  # a rectangle standing up: turn it
    return quad.astype(np.float32)


def _candidate(frame: np.ndarray, quad: np.ndarray, source: str) -> Candidate | None:
    cut = _cut(frame, quad)
    if cut is None:
        return None
    plate, grey, lines = cut
    # Plate-like: a row of characters (the best guide, whatever the plate's colours) with
    # contrast and edges across it.
    characters = sum(len(_of_one_height(_marks(line, 0.35, 0.95))) for line in lines)
    score = min(1.0, characters / 7) * (0.3 + 0.7 * _plateness(grey))
    return Candidate(quad, lines, plate, score, source)


def _cut(frame: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, np.ndarray, list] | None:
    """The region inside `quad` warped flat (the colour plate patch, and grey) and its text
    lines, each cut to the band of its characters, CROP_HEIGHT high; None when too small or
    empty."""
    width = float(np.linalg.norm(quad[1] - quad[0]))
    height = float(np.linalg.norm(quad[3] - quad[0]))
    if height < 6 or width < 20:
        return None
    square = width / height < SQUARE_ASPECT[1]
    out_h = CROP_HEIGHT * (2 if square else 1)
    out_w = max(CROP_HEIGHT, round(out_h * width / height))
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]],
                      dtype=np.float32)  # fmt: skip
    warp = cv2.getPerspectiveTransform(quad, target)
    plate = cv2.warpPerspective(frame, warp, (out_w, out_h), flags=cv2.INTER_LINEAR)
    grey = cv2.cvtColor(plate, cv2.COLOR_BGR2GRAY)
    lines = _rows(grey) if square else [_levelled(grey)]
    lines = [_characters(line) for line in lines]
    lines = [cv2.resize(line, (max(CROP_HEIGHT, line.shape[1] * CROP_HEIGHT // line.shape[0]),
                               CROP_HEIGHT)) for line in lines if min(line.shape) > 0]  # fmt: skip
    return (plate, grey, lines) if lines else None


def _levelled(line: np.ndarray) -> np.ndarray:
    """The line turned level when its characters (three or more, their centres along one
    straight line) slope by LEVEL_FROM to LEVEL_UP_TO degrees, as in a box square to the frame
    round a plate hung askew: the recogniser reads level characters best. The slope is the
    median of the slopes between each two characters, so one standing lower than the rest (a
    J in some faces) does not tilt a level line."""
    marks = _of_one_height(_marks(line, 0.35, 0.95))
    if len(marks) < 3:
        return line
    x = np.array([m[cv2.CC_STAT_LEFT] + m[cv2.CC_STAT_WIDTH] / 2 for m in marks])
    y = np.array([m[cv2.CC_STAT_TOP] + m[cv2.CC_STAT_HEIGHT] / 2 for m in marks])
    pairs = itertools.combinations(range(len(x)), 2)
    slope = np.median([(y[j] - y[i]) / (x[j] - x[i]) for i, j in pairs if x[j] != x[i]])
    offset = np.median(y - slope * x)
    height = np.median([m[cv2.CC_STAT_HEIGHT] for m in marks])
    if np.abs(slope * x + offset - y).max() > LEVEL_FIT * height:
        return line  # not one straight row: leave it as it is
    angle = np.degrees(np.arctan(slope))
    if not LEVEL_FROM <= abs(angle) <= LEVEL_UP_TO:
        return line
    h, w = line.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(line, turn, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def nudged(frame: np.ndarray, candidate: Candidate) -> list[list[np.ndarray]]:
    """The candidate's lines cut again from its box with the ends moved out and in (NUDGES):
    where a plate ends is what a box is least sure of."""
    quad = candidate.quad
    along = (quad[1] - quad[0] + quad[2] - quad[3]) / 2
    sides = np.array([[-1], [1], [1], [-1]], np.float32)  # the left corners out to the left
    cuts = [_cut(frame, quad + sides * along * share) for share in NUDGES]
    return [cut[2] for cut in cuts if cut is not None]


def _marks(line: np.ndarray, low: float, high: float, max_width: float | None = None,
           dark_plate: bool = False) -> list:  # fmt: skip
    """Dark marks (x, y, width, height, area) between `low` and `high` of the line's height
    that are no wider than a character (or than `max_width`). Long horizontal runs of ink (a
    border, a frame's edge) are taken out first, so characters touching them stand apart.
    With `dark_plate`, a line mostly dark by the first threshold (a dark plate on a lighter
    ground, which that threshold tells apart instead) is thresholded again within its dark
    part, where the characters are the darkest."""
    height = line.shape[0]
    _, ink = cv2.threshold(line, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if dark_plate and np.count_nonzero(ink) > ink.size / 2:
        level, _ = cv2.threshold(line[ink > 0].reshape(-1, 1), 0, 255,
                                 cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)  # fmt: skip
        ink = np.where(line <= level, 255, 0).astype(np.uint8)
    runs = cv2.getStructuringElement(cv2.MORPH_RECT, (height, 1))
    ink = cv2.subtract(ink, cv2.morphologyEx(ink, cv2.MORPH_OPEN, runs))
    stats = cv2.connectedComponentsWithStats(ink)[2]
    return [m for m in stats[1:]
            if low * height <= m[cv2.CC_STAT_HEIGHT] <= high * height
            and m[cv2.CC_STAT_WIDTH] < (max_width or 0.8 * m[cv2.CC_STAT_HEIGHT])]  # fmt: skip


def _of_one_height(marks: list[np.ndarray]) -> list[np.ndarray]:
    """The marks within a quarter of their median height: the characters, not the rest."""
    if len(marks) < 2:
        return marks
    typical = np.median([m[cv2.CC_STAT_HEIGHT] for m in marks])
    return [m for m in marks if abs(m[cv2.CC_STAT_HEIGHT] - typical) <= 0.25 * typical]


def _rows(grey: np.ndarray) -> list[np.ndarray]:
    """The text lines of a squarish plate: two when its characters stand in two rows (a UK
    square plate), else one (an American plate, twice as wide as high)."""
    height = grey.shape[0]
    marks = _marks(grey, 0.2, 0.48, dark_plate=True)
    centres = [m[cv2.CC_STAT_TOP] + m[cv2.CC_STAT_HEIGHT] / 2 for m in marks]
    upper, lower = sum(c < 0.45 * height for c in centres), sum(c > 0.55 * height for c in centres)
    if upper >= 2 and lower >= 2:
        return [grey[: height // 2], grey[height // 2 :]]
    return [grey]


def _characters(line: np.ndarray) -> np.ndarray:
    """The line cut to the band its characters stand in (dark marks of character height), and
    sideways to one and a half of their height beyond the outermost marks in that band:
    lettering above and below (a state or city name, a slogan) and what lies beyond the plate
    are left out. Every mark standing in the band counts sideways, characters run together by
    blur or touching the border too, so none is cut off; with fewer than four characters
    found, the line keeps its width. The band, border and bolts are left to the recogniser,
    which has learnt to pass over them."""
    marks = _of_one_height(_marks(line, 0.35, 0.95))
    if len(marks) < 2:
        return line
    y0 = int(np.median([m[cv2.CC_STAT_TOP] for m in marks]))
    y1 = int(np.median([m[cv2.CC_STAT_TOP] + m[cv2.CC_STAT_HEIGHT] for m in marks]))
    pad = max(2, (y1 - y0) // 6)
    band = line[max(0, y0 - pad) : y1 + pad]
    if len(marks) < 4:
        return band
    marks += [m for m in _marks(line, 0.35, 1.0, max_width=0.6 * line.shape[1])
              if m[cv2.CC_STAT_TOP] >= y0 - 2 * pad and m[cv2.CC_STAT_HEIGHT] >= 0.6 * (y1 - y0)
              and m[cv2.CC_STAT_TOP] + m[cv2.CC_STAT_HEIGHT] <= y1 + 2 * pad]  # fmt: skip
    reach = 3 * (y1 - y0) // 2
    x0 = min(m[cv2.CC_STAT_LEFT] for m in marks) - reach
    x1 = max(m[cv2.CC_STAT_LEFT] + m[cv2.CC_STAT_WIDTH] for m in marks) + reach
    return band[:, max(0, x0) : x1]


def widened(line: np.ndarray) -> np.ndarray:
    """The line stretched sideways so that its characters (four or more found) stand
    CHARACTER_WIDTH as wide as high, by at most MAX_WIDENING; the line itself when they stand
    wider."""
    marks = _of_one_height(_marks(line, 0.35, 0.95))
    if len(marks) < 4:
        return line
    aspect = np.median([m[cv2.CC_STAT_WIDTH] / m[cv2.CC_STAT_HEIGHT] for m in marks])
    factor = min(MAX_WIDENING, CHARACTER_WIDTH / aspect)
    return cv2.resize(line, (round(line.shape[1] * factor), line.shape[0])) if factor > 1 else line


def _plateness(grey: np.ndarray) -> float:
    """How much it looks like dark characters on a light plate: contrast and vertical edges
    across its middle band."""
    middle = grey[grey.shape[0] // 5 : -grey.shape[0] // 5 or None]
    if middle.size == 0:
        return 0.0
    light, dark = np.percentile(middle, (90, 10))
    contrast = (light - dark) / 255
    edges = np.abs(np.diff(middle.astype(np.int16), axis=1)) > 40
    transitions = edges.mean()
    return float(min(1.0, contrast) * min(1.0, transitions * 6))


def _overlap(a: Candidate, b: Candidate) -> float:
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / max(1, aw * ah + bw * bh - inter)  # a line inside a square plate is kept
