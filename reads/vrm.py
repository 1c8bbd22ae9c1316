"""VRM canonicalisation: upper case, no spaces or separators (R-READ-1).

UK format knowledge and positional look-alike fixes (R-READ-7) build on this.
"""

import re

MAX_LENGTH = 12
_SEPARATORS = re.compile(r"[\s\-.·]")
_CANONICAL = re.compile(r"[A-Z0-9]+")


class InvalidVRM(ValueError):
    pass


def canonical_vrm(raw: str) -> str:
    """The canonical form of a VRM as read, or InvalidVRM naming what is wrong with it."""
    vrm = _SEPARATORS.sub("", raw).upper()
    if not vrm:
        raise InvalidVRM("The VRM is empty.")
    if not _CANONICAL.fullmatch(vrm):
        raise InvalidVRM(f"The VRM {raw!r} has characters other than letters and digits.")
    if len(vrm) > MAX_LENGTH:
        raise InvalidVRM(f"The VRM {raw!r} is longer than {MAX_LENGTH} characters.")
    return vrm


# Registration formats issued in Great Britain and Northern Ireland, canonical (no spaces).
_UK_FORMATS = [
    re.compile(r"[A-Z]{2}[0-9]{2}[A-Z]{3}"),  # current, since 2001: AB12CDE
    re.compile(r"[A-Z][0-9]{1,3}[A-Z]{3}"),  # prefix, 1983-2001: A123BCD
    re.compile(r"[A-Z]{3}[0-9]{1,3}[A-Z]"),  # suffix, 1963-1983: ABC123D
    re.compile(r"[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}"),  # dateless; Northern Ireland
]


def is_uk_format(vrm: str) -> bool:
    """Whether a canonical VRM has the shape of a British or Northern Irish registration."""
    return any(pattern.fullmatch(vrm) for pattern in _UK_FORMATS)
