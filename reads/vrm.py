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
