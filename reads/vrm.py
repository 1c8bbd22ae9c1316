"""VRM canonicalisation: upper case, no spaces or separators (R-READ-1).

UK format knowledge and positional look-alike fixes (R-READ-7) build on this.
"""

import re
from dataclasses import dataclass
from functools import cache

MAX_LENGTH = 12
_SEPARATORS = re.compile(r"[ \-.·]")
_CANONICAL = re.compile(r"[A-Za-z0-9]+")  # ASCII only: upper() folds a long s into S


class InvalidVRM(ValueError):
    pass


def canonical_vrm(raw: str) -> str:
    """The canonical form of a VRM as read, or InvalidVRM naming what is wrong with it."""
    vrm = _SEPARATORS.sub("", raw)
    if not vrm:
        raise InvalidVRM("The VRM is empty.")
    if not _CANONICAL.fullmatch(vrm):
        raise InvalidVRM(f"The VRM {raw[:40]!r} has characters other than letters and digits.")
    vrm = vrm.upper()
    if len(vrm) > MAX_LENGTH:
        raise InvalidVRM(f"The VRM {raw!r} is longer than {MAX_LENGTH} characters.")
    return vrm


# Registration formats issued in Great Britain and Northern Ireland, as slots: L a letter, D a
# digit; with how common each is among vehicles on the road (the prior a reading is scored by).
UK_FORMATS: dict[str, tuple[list[str], float]] = {
    "current": (["LLDDLLL"], 0.70),  # since 2001: AB12 CDE
    "q": (["QDLLL", "QDDLLL", "QDDDLLL"], 0.002),  # vehicles of uncertain age or identity
    "prefix": (["LDLLL", "LDDLLL", "LDDDLLL"], 0.12),  # 1983-2001: A123 BCD
    "suffix": (["LLLDL", "LLLDDL", "LLLDDDL"], 0.03),  # 1963-1983: ABC 123D
    "northern_ireland": (["LLD", "LLDD", "LLDDD", "LLDDDD", "LLLD", "LLLDD", "LLLDDD",
                          "LLLDDDD"], 0.04),  # ABZ 1234 (the mark holds an I or a Z)
    # Dateless: one to three letters and one to four digits, either way round; three letters
    # with four digits is Northern Irish only.
    "dateless": ([f"{'L' * n}{'D' * m}" for n in (1, 2, 3) for m in (1, 2, 3, 4) if n + m < 7]
                 + [f"{'D' * m}{'L' * n}" for m in (1, 2, 3, 4) for n in (1, 2, 3) if n + m < 7],
                 0.01),
}  # fmt: skip
# Letters a format never uses: I and Q appear nowhere in a current-format registration.
NOT_ISSUED = {"current": "IQ"}
# The year letter of a suffix (ABC 123D, its last) or prefix (A123 BCD, its first) registration
# was never I, O, Q, U or Z.
NOT_YEAR_LETTERS, YEAR_LETTER = "IOQUZ", {"suffix": -1, "prefix": 0}
# A read that fits no UK format: a foreign or special plate, about one in a hundred on British
# roads. In a known foreign layout it outweighs one look-alike fix into a rare UK format
# (suffix, Northern Irish, dateless), so a clean foreign read such as ABC 1236 is not bent into
# ABC 123G.
FOREIGN_PRIOR = 0.01
# The commonest layouts of registrations in the Americas and Europe as printed (L a letter, D a
# digit, a space between groups), with how often each is seen. Most keep letters and digits in
# groups of their own, which is how a 1 drawn like an I is told from it. A foreign read within
# MAX_FOREIGN_FIXES fixes of a layout is taken as fitting it, each slot taking the likeliest
# character of its type (ABC I234 is ABC 1234); the likeliest fit wins, each layout weighing
# as often as it is seen. A read near none is kept as read. (The recogniser learns from plates
# in these layouts: cameras/recogniser/world.py.)
FOREIGN_LAYOUTS = {
    "LLL DDDD": 6, "DLLLDDD": 4, "LLD LDL": 3, "LLL DDD": 3, "DDD LLL": 2, "LLLDLDD": 2,
    "DDDDDDD": 1, "DDD DDDD": 1, "LL DDDDD": 1, "DLL DDD": 1, "LLLDDDD": 1, "DDDD LLL": 2,
    "LL DDD LL": 2, "L LL DDDD": 2, "LL L DDD": 1, "DD LLL DD": 1, "LL DD LLL": 1,
    "DLLL DDD": 1, "LLL DDDL": 1, "LL DDDD": 1, "L DDDDDD": 1, "DD DDD LL": 1, "DDDDDD": 1,
    "DLDDDDD": 1, "DDDDDLD": 1,  # Californian commercial vehicles
}  # fmt: skip
MAX_FOREIGN_FIXES = 2
# Foreign layouts whose first digit is never 0: California's 1ABC234, issued in sequence from
# 1AAA000 on.
FIRST_DIGIT_NOT_ZERO = ("DLLLDDD",)
# How likely a foreign plate is in none of the known layouts, beside the commonest layout: the
# read as it is scores this.
UNKNOWN_LAYOUT = 0.01
# What a fix costs when only text was read: a factor of fifty. A read that fits a format
# exactly beats any fixed reading of its length, and one fix into the current format beats
# taking it as foreign. (A recogniser's read carries its own odds: see plate_readings.)
FIX_PENALTY = 0.02
# Look-alike characters (R-READ-7): what a digit read in a letter's slot is, and the reverse;
# a 0 read as D or Q (squared or with a notch) is a 0 in a digit's slot too. Fixing one into a
# UK format costs at most FIX_PENALTY squared, however sure the recogniser was of what it read.
TO_LETTER = {"0": "O", "1": "I", "8": "B", "5": "S", "2": "Z", "6": "G"}
TO_DIGIT = {letter: digit for digit, letter in TO_LETTER.items()} | {"D": "0", "Q": "0"}
LOOK_ALIKE = {c: (alike, FIX_PENALTY**2) for c, alike in (TO_LETTER | TO_DIGIT).items()}
# Many foreign plates' typefaces draw 1 like I and 0 like O, so the recogniser's odds between
# them say little there: fixing one into a foreign layout costs at most this.
DRAWN_ALIKE = {a: (b, 0.3) for a, b in ("1I", "I1", "0O", "O0")}
LETTERS, DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
# What the recogniser saw at one character's place: each character it may be, with its
# probability.
Position = dict[str, float]


def uk_format(vrm: str) -> str | None:
    """The UK format a canonical VRM has, or None (a foreign or special plate)."""
    for name, (patterns, _prior) in UK_FORMATS.items():
        if any(_fits(vrm, pattern, name) for pattern in patterns):
            return name
    return None


def is_uk_format(vrm: str) -> bool:
    """Whether a canonical VRM has the shape of a British or Northern Irish registration."""
    return uk_format(vrm) is not None


@cache
def _slots(pattern: str, name: str | None = None) -> tuple[str, ...]:
    """The characters each slot of a pattern may hold in format `name` (any, for a foreign
    layout): L a letter, D a digit, Q the letter Q."""
    year = YEAR_LETTER[name] % len(pattern) if name in YEAR_LETTER else None
    slots = []
    for i, slot in enumerate(pattern):
        if slot == "Q":
            slots.append("Q")
        elif slot == "D":  # serial numbers never start with 0 (a current age identifier may)
            leading = name not in (None, "current") and (i == 0 or pattern[i - 1] != "D")
            leading |= name is None and i == 0 and pattern in FIRST_DIGIT_NOT_ZERO
            slots.append(DIGITS[1:] if leading else DIGITS)
        else:
            never = NOT_ISSUED.get(name or "", "") + (NOT_YEAR_LETTERS if i == year else "")
            slots.append("".join(c for c in LETTERS if c not in never))
    return tuple(slots)


def _fits(vrm: str, pattern: str, name: str | None) -> bool:
    if len(vrm) != len(pattern) or not all(map(str.__contains__, _slots(pattern, name), vrm)):
        return False
    if name == "northern_ireland":  # the two-letter mark holds an I or a Z: ABZ 1234, IA 123
        mark = vrm[: pattern.count("L")][-2:]
        return "I" in mark or "Z" in mark
    return True


@dataclass(frozen=True)
class Reading:
    """A plate reading: the VRM, its score, how many characters were fixed, its format."""

    vrm: str
    score: float
    fixes: int = 0
    format: str | None = None


def plate_readings(candidates: list[tuple[str | list[Position], float]]) -> list[Reading]:
    """OCR candidates as plate readings, best first. A candidate is what was read, as text or as
    the recogniser's probabilities at each character's place, and its confidence (0-1).

    Each candidate is fitted to every UK format of its length: each slot takes the likeliest
    character of the type the format puts there. A reading scores the confidence, times how
    common the format is, times for each character fixed its odds beside the one read (the
    recogniser's own; for a look-alike at least FIX_PENALTY squared, R-READ-7). Text is taken
    as sure of each character, its look-alike at odds FIX_PENALTY. A candidate that fits no
    format as read is also fitted to the known foreign layouts, and kept as read. A candidate
    longer than any registration (MAX_LENGTH) is lettering, not a plate: it gives none.
    """
    best: dict[str, Reading] = {}
    for read, confidence in candidates:
        positions = _text_positions(read) if isinstance(read, str) else read
        if not positions or len(positions) > MAX_LENGTH:
            continue
        positions = [_as_odds(position) for position in positions]
        for reading in _fitted(positions, max(0.0, min(1.0, confidence))):
            if reading.vrm not in best or reading.score > best[reading.vrm].score:
                best[reading.vrm] = reading
    return sorted(best.values(), key=lambda r: (-r.score, r.fixes, r.vrm))


def _as_odds(position: Position) -> Position:
    """Each character's odds beside the likeliest, which comes first."""
    top = max(position.values())
    return {c: p / top for c, p in sorted(position.items(), key=lambda item: -item[1])}


def _text_positions(text: str) -> list[Position]:
    try:
        vrm = canonical_vrm(text)
    except InvalidVRM:
        return []
    return [{c: 1.0} | ({LOOK_ALIKE[c][0]: FIX_PENALTY} if c in LOOK_ALIKE else {}) for c in vrm]


def _fitted(positions: list[Position], confidence: float) -> list[Reading]:
    readings = []
    for name, (patterns, prior) in UK_FORMATS.items():
        for pattern in patterns:
            if len(pattern) == len(positions):
                fit = _fit(positions, _slots(pattern, name), LOOK_ALIKE)
                if fit and _fits(fit[0], pattern, name):
                    readings.append(Reading(fit[0], confidence * prior * fit[1], fit[2], name))
    if not any(reading.fixes == 0 for reading in readings):
        readings += _foreign(positions, confidence)
    return readings


def _foreign(positions: list[Position], confidence: float) -> list[Reading]:
    """A read that fits no UK format as read, fitted to each known foreign layout of its length
    that it is within MAX_FOREIGN_FIXES of, and as read (a plate in no known layout)."""
    readings = []
    for pattern, share in _FOREIGN_PATTERNS.items():
        if len(pattern) != len(positions):
            continue
        fit = _fit(positions, _slots(pattern), DRAWN_ALIKE)
        if fit and fit[2] <= MAX_FOREIGN_FIXES:
            score = confidence * FOREIGN_PRIOR * share * fit[1]
            readings.append(Reading(fit[0], score, fit[2]))
    raw = "".join(next(iter(position)) for position in positions)
    return [*readings, Reading(raw, confidence * FOREIGN_PRIOR * UNKNOWN_LAYOUT)]


def _fit(positions: list[Position], slots: tuple[str, ...], floors: dict[str, tuple[str, float]]
         ) -> tuple[str, float, int] | None:  # fmt: skip
    """The likeliest characters the slots allow (`positions` as odds, the character read first),
    their odds beside those read, and how many differ from those read; None when a slot allows
    none of the characters seen there."""
    chars, odds, fixes = [], 1.0, 0
    for position, allowed in zip(positions, slots, strict=True):
        read = next(iter(position))
        options = {c: p for c, p in position.items() if c in allowed}
        alike, floor = floors.get(read, ("", 0.0))
        if alike and alike in allowed:
            options[alike] = max(options.get(alike, 0.0), floor)
        if not options:
            return None
        char = max(options, key=options.__getitem__)
        chars.append(char)
        odds *= options[char]
        fixes += char != read
    return "".join(chars), odds, fixes


def _layout_shares() -> dict[str, float]:
    """Each foreign slot pattern and how common it is, the commonest 1."""
    weights: dict[str, int] = {}
    for layout, weight in FOREIGN_LAYOUTS.items():
        pattern = layout.replace(" ", "")
        weights[pattern] = weights.get(pattern, 0) + weight
    return {pattern: weight / max(weights.values()) for pattern, weight in weights.items()}


_FOREIGN_PATTERNS = _layout_shares()


def is_foreign_layout(vrm: str) -> bool:
    """Whether a canonical VRM has one of the known foreign layouts."""
    return any(_fits(vrm, pattern, None) for pattern in _FOREIGN_PATTERNS)
