"""VRM canonicalisation: upper case, no spaces or separators (R-READ-1).

UK format knowledge and positional look-alike fixes (R-READ-7) build on this.
"""

import re
from dataclasses import dataclass

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
# A read that fits no UK format: a foreign or special plate. It outweighs one fix into a rare
# UK format (suffix, Northern Irish, dateless), so a clean foreign read such as ABC 1236 is not
# bent into ABC 123G.
FOREIGN_PRIOR = 0.001
# The commonest layouts of registrations in the Americas and Europe as printed (L a letter, D a
# digit, a space between groups), with how often each is seen. Most keep letters and digits in
# groups of their own, which is how a 1 drawn like an I is told from it. A foreign read within
# MAX_FOREIGN_FIXES look-alike fixes of a layout is taken as fitting it, fixed by slot as UK
# reads are (ABC I234 is ABC 1234); the nearest layout wins, and of those equally near, the
# commoner. A read near none is kept as read. (The recogniser learns from plates in these
# layouts: cameras/recogniser/world.py.)
FOREIGN_LAYOUTS = {
    "LLL DDDD": 6, "DLLLDDD": 4, "LLD LDL": 3, "LLL DDD": 3, "DDD LLL": 2, "LLLDLDD": 2,
    "DDDDDDD": 1, "DDD DDDD": 1, "LL DDDDD": 1, "DLL DDD": 1, "LLLDDDD": 1, "DDDD LLL": 2,
    "LL DDD LL": 2, "L LL DDDD": 2, "LL L DDD": 1, "DD LLL DD": 1, "LL DD LLL": 1,
    "DLLL DDD": 1, "LLL DDDL": 1, "LL DDDD": 1, "L DDDDDD": 1, "DD DDD LL": 1, "DDDDDD": 1,
}  # fmt: skip
MAX_FOREIGN_FIXES = 2
# A fix costs a factor of fifty: a read that fits a format exactly beats any fixed reading of
# its length, and one fix into the current or prefix format beats taking it as foreign.
FIX_PENALTY = 0.02
# Look-alike characters (R-READ-7): what a digit read in a letter's slot is, and the reverse.
TO_LETTER = {"0": "O", "1": "I", "8": "B", "5": "S", "2": "Z", "6": "G"}
TO_DIGIT = {letter: digit for digit, letter in TO_LETTER.items()}


def uk_format(vrm: str) -> str | None:
    """The UK format a canonical VRM has, or None (a foreign or special plate)."""
    for name, (patterns, _prior) in UK_FORMATS.items():
        if any(_fits(vrm, pattern, name) for pattern in patterns):
            return name
    return None


def is_uk_format(vrm: str) -> bool:
    """Whether a canonical VRM has the shape of a British or Northern Irish registration."""
    return uk_format(vrm) is not None


def _fits(vrm: str, pattern: str, name: str) -> bool:
    if len(vrm) != len(pattern):
        return False
    for i, (char, slot) in enumerate(zip(vrm, pattern, strict=True)):
        if (slot == "D" and not char.isdigit()) or (slot in "LQ" and not char.isalpha()):
            return False
        if char == "0" and name != "current" and (i == 0 or pattern[i - 1] != "D"):
            return False  # serial numbers never start with 0 (a current age identifier may)
        if (slot == "Q" and char != "Q") or (slot == "L" and char in NOT_ISSUED.get(name, "")):
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


def plate_readings(candidates: list[tuple[str, float]]) -> list[Reading]:
    """OCR candidates (text, confidence 0-1) as plate readings, best first.

    Each candidate is tried against every UK format of its length, fixing look-alike
    characters where the format fixes the slot's type (a 0 in a letter's slot is an O); it
    scores its confidence, times FIX_PENALTY for every fix, times how common the format is.
    A candidate that fits no format even with fixes is kept as read: foreign plates pass
    through unfixed.
    """
    best: dict[str, Reading] = {}
    for text, confidence in candidates:
        try:
            raw = canonical_vrm(text)
        except InvalidVRM:
            continue
        for reading in _fixed(raw, max(0.0, min(1.0, confidence))):
            if reading.vrm not in best or reading.score > best[reading.vrm].score:
                best[reading.vrm] = reading
    return sorted(best.values(), key=lambda r: (-r.score, r.fixes, r.vrm))


def _fixed(raw: str, confidence: float) -> list[Reading]:
    readings = []
    for name, (patterns, prior) in UK_FORMATS.items():
        for pattern in patterns:
            fixed = _fix(raw, pattern)
            if fixed is not None and _fits(fixed, pattern, name):
                fixes = sum(a != b for a, b in zip(raw, fixed, strict=True))
                readings.append(Reading(fixed, confidence * prior * FIX_PENALTY**fixes, fixes,
                                        name))  # fmt: skip
    if not any(reading.fixes == 0 for reading in readings):
        readings += _foreign(raw, confidence)
    return readings


def _foreign(raw: str, confidence: float) -> list[Reading]:
    """A read that fits no UK format as read, fitted to each known foreign layout of its length
    that it is within MAX_FOREIGN_FIXES of, and as read: first when it is near none of them,
    else after them."""
    readings = []
    for pattern, share in _FOREIGN_PATTERNS.items():
        fixed = _fix(raw, pattern) or ""
        fixes = sum(a != b for a, b in zip(raw, fixed, strict=False))
        typed = all(c.isdigit() == (slot == "D") for c, slot in zip(fixed, pattern, strict=False))
        if fixed and typed and fixes <= MAX_FOREIGN_FIXES:
            # A commoner layout breaks a tie, never outweighs a fix.
            score = confidence * FOREIGN_PRIOR * FIX_PENALTY**fixes * (0.9 + 0.1 * share)
            readings.append(Reading(fixed, score, fixes))
    unfitted = FIX_PENALTY ** (MAX_FOREIGN_FIXES + 1) if readings else 1
    return [*readings, Reading(raw, confidence * FOREIGN_PRIOR * unfitted)]


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
    pattern = "".join("D" if c.isdigit() else "L" for c in vrm)
    return pattern in _FOREIGN_PATTERNS


def _fix(raw: str, pattern: str) -> str | None:
    """The VRM with look-alikes swapped to the slots' types, or None where it cannot fit."""
    if len(raw) != len(pattern):
        return None
    chars = []
    for char, slot in zip(raw, pattern, strict=True):
        if slot == "D" and not char.isdigit():
            char = TO_DIGIT.get(char, char)
        elif slot in "LQ" and char.isdigit():
            char = TO_LETTER.get(char, char)
        chars.append(char)
    return "".join(chars)
