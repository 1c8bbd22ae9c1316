"""Values read straight from a request's query string or form, where no form checks them: what
cannot be one is None, never a server error (an impossible date such as 30 February, a digit
such as ², a number past any page or id)."""

import re
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

MAX_NUMBER = 10**9


def whole_number(text: str | None) -> int | None:
    """A whole number written in 0-9, up to MAX_NUMBER."""
    if not text or not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    number = int(text)
    return number if number <= MAX_NUMBER else None


def day(text: str | None) -> date | None:
    try:
        return parse_date(text or "")
    except ValueError:  # well formed, but no such day
        return None


def moment(text: str | None) -> datetime | None:
    """A date and time; one written without its zone is the force's local time."""
    try:
        value = parse_datetime(text or "")
    except ValueError:  # well formed, but no such day or time
        return None
    return timezone.make_aware(value) if value and timezone.is_naive(value) else value
