"""Which responses a publication covers: whole days, advancing in steps of ``min_cell``.

Comparing two publications must never isolate one person ("yesterday 40 said yes, today 41:
the one who answered this morning said yes"). So results are not computed over "every
response so far", but over the responses submitted *before a cut-off day*, and the cut-off
only moves forward to a day boundary once at least ``step`` new responses lie behind it:

- today's responses are never published (the day is not over, and "published at 10:00 and
  at 10:05" would differ by whoever answered in between);
- two different publications differ by at least ``step`` responses, all from whole days;
- the cut-off is a pure function of the per-day counts of finished days, so the bot, the CLI
  and an export computed on the same day use exactly the same responses, with no state kept.

Days are the finest time consultbot stores, so this is also the finest time anyone can
learn from a publication.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping

__all__ = ["snapshot_cutoff"]


def snapshot_cutoff(
    per_day: Mapping[_dt.date, int], *, step: int, today: _dt.date
) -> _dt.date | None:
    """The first day *not* covered by the current publication, or ``None`` for "nothing yet".

    Walks the finished days in order and moves the cut-off past a day once the responses
    since the previous cut-off reach ``step``.

    Args:
        per_day: Submitted responses per submission day (days without any may be absent).
        step: Smallest number of new responses a new publication may add (``min_cell``).
        today: The current day; it and later days are never covered.

    Returns:
        Publish exactly the responses with ``submitted_on < cutoff``; ``None`` when not even
        the first ``step`` responses are complete.
    """
    cutoff: _dt.date | None = None
    pending = 0
    for day in sorted(d for d in per_day if d < today):
        pending += per_day[day]
        if pending >= step:
            cutoff = day + _dt.timedelta(days=1)
            pending = 0
    return cutoff
