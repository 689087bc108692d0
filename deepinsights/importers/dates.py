"""Dates from untrusted files: an aware UTC datetime, nothing, or the reason it is not a date.

Every importer reads dates through ``parse_date`` (by way of ``ImportRun.date``, which
reports the reason and keeps the record undated), so one set of rules decides what a date
is. A value that is present but is not a usable date raises ``DateError`` with a one-line
reason instead of becoming a plausible wrong date or aborting the import:

* a time-zone offset of 24 hours or more (``+24:00``, ``+9999``), or a moment that its
  offset pushes before year 1 or after 9999;
* year 0, a year written ``00NN`` or with one digit (dateutil reads ``0001`` and ``1`` as
  2001), text without a year (dateutil fills what a text lacks from today, so ``-1`` was
  the 1st of this month), and "no date" placeholders (``0001-01-01``, the Unix epoch);
* a number that is no plausible timestamp: zero or negative, or of a length that is
  neither seconds (10 digits), milliseconds (13), microseconds (16) nor nanoseconds (19)
  of the years since 1973 (``253402300800``, year 10000 in seconds, is not 1978 in ms);
* a moment more than a year in the future.

Four-digit numbers are years (``date: 2020`` in front matter); eight and fourteen digits
are ``YYYYMMDD`` and ``YYYYMMDDhhmmss``. It deliberately does not guess further: no fuzzy
parsing, no day or month invented beyond the first of the period a text names.
"""

from __future__ import annotations

import math
import re
import warnings
from datetime import UTC, date, datetime, timedelta

from dateutil import parser as dateparser
from dateutil.tz import tzoffset

MAX_CHARS = 64
FUTURE_SLACK = timedelta(days=366)
PLACEHOLDERS = {
    datetime(1970, 1, 1, tzinfo=UTC): "the Unix epoch, a 'no date' placeholder",
}
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_DIGITS = re.compile(r"\d+")
_EARLY_YEAR = re.compile(r"(?<![\d:.+-])00\d\d(?![\d:])")  # dateutil reads "0001" as 2001
_EPOCH_UNITS = {10: 1, 9: 1, 13: 1_000, 16: 1_000_000, 19: 1_000_000_000}  # integer digits -> per second
_PROBE_YEARS = (datetime(1, 1, 1), datetime(2, 1, 1))  # subtle: two defaults tell a written year from a filled one
_HOUR = 3600
_RFC822_ZONES = {
    name: tzoffset(name, hours * _HOUR)
    for name, hours in {"UT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8}.items()
} | {"PDT": tzoffset("PDT", -7 * _HOUR)}


class DateError(ValueError):
    """A value that is present but is not a usable date; the message says why, in one line."""


def parse_date(value: object) -> datetime | None:
    """``value`` as an aware UTC datetime; None when it is absent (None or blank).

    Accepts datetimes, dates, epoch numbers and text (ISO 8601, RFC 2822 and what dateutil
    reads). Raises DateError, naming the value and the problem, for anything else.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise DateError(f"{value!r} is not a date")
    if isinstance(value, datetime):
        return _checked(_utc(value, value))
    if isinstance(value, date):
        return _checked(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, int | float):
        return _checked(_from_number(value))
    if not isinstance(value, str):
        raise DateError(f"a {type(value).__name__} is not a date")
    return _checked(_from_text(value.strip()))


def shown(value: object) -> str:
    """``value`` as it appears in a reason: quoted, at most 40 characters."""
    text = repr(value) if not isinstance(value, str) else repr(value.strip())
    return text if len(text) <= 40 else text[:39] + "…"


def _from_number(number: float) -> datetime:
    if math.isnan(number) or math.isinf(number):
        raise DateError(f"{shown(number)} is not a date")
    if number == int(number) and 1000 <= number <= 9999:
        return datetime(int(number), 1, 1, tzinfo=UTC)
    digits = len(str(int(abs(number))))
    per_second = _EPOCH_UNITS.get(digits)
    if number <= 0 or per_second is None:
        raise DateError(
            f"{shown(number)} is no plausible timestamp (seconds have 9-10 digits, milliseconds 13, since 1973)"
        )
    return datetime.fromtimestamp(number / per_second, tz=UTC)


def _from_text(text: str) -> datetime:
    if len(text) > MAX_CHARS:
        raise DateError(f"{shown(text)} is too long to be a date")
    if _NUMBER.fullmatch(text):
        return _from_digits(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # not ISO 8601 as Python reads it, or an offset it refuses: dateutil says which
        moment = _dateutil(text)
    return _utc(moment, text)


def _from_digits(text: str) -> datetime:
    """Bare digits: a year, ``YYYYMMDD``, ``YYYYMMDDhhmmss``, or an epoch number."""
    if len(text) in (8, 14) and text.isdigit():
        layout = "%Y%m%d" if len(text) == 8 else "%Y%m%d%H%M%S"
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            pass  # not a calendar date: read it as a number, which says why it is not a date
    return _from_number(float(text) if "." in text else int(text))


def _dateutil(text: str) -> datetime:
    """dateutil's reading of ``text``, refusing text that does not write a year."""
    if match := _EARLY_YEAR.search(text):
        raise DateError(f"{shown(text)} has year {match.group(0)}, which is no publication date")
    with warnings.catch_warnings():
        warnings.simplefilter("error", dateparser.UnknownTimezoneWarning)
        try:
            first, second = (dateparser.parse(text, default=d, tzinfos=_RFC822_ZONES) for d in _PROBE_YEARS)
        except dateparser.UnknownTimezoneWarning as ex:
            zone = str(ex).split()[1] if len(str(ex).split()) > 1 else "?"
            raise DateError(f"{shown(text)} names a time zone that is not known: {zone}") from None
        except (ValueError, OverflowError) as ex:
            raise DateError(f"{shown(text)} is not a date ({_reason(ex, text)})") from None
    if first.year != second.year:
        raise DateError(f"{shown(text)} has no year")
    numbers = _DIGITS.findall(text)
    if f"{first.year:04d}" not in numbers and any(len(n) == 1 and int(n) == first.year % 100 for n in numbers):
        raise DateError(f"{shown(text)} has a one-digit year")  # dateutil made "1" the year 2001
    return first


def _reason(ex: Exception, text: str) -> str:
    """dateutil's message without the input it repeats."""
    return str(ex).split(": " + text)[0][:100]


def _utc(moment: datetime, value: object) -> datetime:
    """``moment`` in UTC (naive taken as UTC); DateError for offsets of a day or more or out-of-range results."""
    try:
        offset = moment.utcoffset()
    except ValueError:
        raise DateError(f"{shown(value)} has a time-zone offset of 24 hours or more") from None
    if offset is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise DateError(f"{shown(value)} falls outside years 1 to 9999 once its offset is applied") from None


def _checked(moment: datetime) -> datetime:
    """Refuse placeholders for 'no date', year-1 values and moments well in the future."""
    if moment in PLACEHOLDERS:
        raise DateError(f"{moment:%Y-%m-%d} is {PLACEHOLDERS[moment]}")
    if moment.year == 1:
        raise DateError(f"{moment:%Y-%m-%d} is in year 1, the 'no date' placeholder of .NET and Go")
    if moment > datetime.now(UTC) + FUTURE_SLACK:
        raise DateError(f"{moment:%Y-%m-%d} is more than a year in the future")
    return moment
