"""Keeping the tallies exact as responses come and go, inside the write that changes them.

Split from :mod:`storage.tallies`, which reads, checks and rebuilds the counters: this
module is the write side. The submission of a response adds it to its counters and its
erasure takes it out, in the same transaction (``storage.submission``), so the counters
never disagree with the responses they count; retention drops a survey's counters with its
responses. When a change cannot be kept exact incrementally (no publication key, counters
found missing) the survey is marked for a rebuild instead (``tally_rebuilds``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from surveys.codec import survey_from_json
from surveys.perturbation import RECORD_KEY_RANGE, record_key
from surveys.tally_plan import TallyPlan, plan_for, response_cells

__all__ = ["COUNTER_COLUMNS", "TallyKeeper", "forget_survey"]

#: The columns that name one counter of a survey (with ``survey_id``).
COUNTER_COLUMNS = "by_question, day, version, grp, question_id, value"
_UPSERT = (
    f"INSERT INTO tallies (survey_id, {COUNTER_COLUMNS}, respondents, key_sum) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) "
    f"ON CONFLICT (survey_id, {COUNTER_COLUMNS}) DO UPDATE SET "
    "respondents = respondents + 1, "
    f"key_sum = (key_sum + excluded.key_sum) % {RECORD_KEY_RANGE}"
)
_MATCH = ("survey_id = ? AND by_question = ? AND day = ? AND version = ? AND grp = ? "
          "AND question_id = ? AND value = ?")
_DECREMENT = (
    f"UPDATE tallies SET respondents = respondents - 1, key_sum = (key_sum + ?) % "
    f"{RECORD_KEY_RANGE} WHERE {_MATCH} AND respondents > 0"
)
_DROP_EMPTY = f"DELETE FROM tallies WHERE {_MATCH} AND respondents = 0"
_MARK = "INSERT OR IGNORE INTO tally_rebuilds (survey_id) VALUES (?)"


class TallyKeeper:
    """Adds a response to its counters, or takes it out, inside the caller's write.

    Used by ``storage.responses`` in the writer thread, in the same transaction as the
    submission or erasure itself. Plans are cached per survey version: a published version
    is never edited (``storage.surveys``), and only published versions get responses.
    """

    __slots__ = ("_plans", "_secret")

    def __init__(self, publication_key: bytes | None) -> None:
        """Args:
        publication_key: The key of record keys (``PUBLICATION_PURPOSE``); without it
            counters cannot carry record keys, so every change marks the survey for a
            rebuild instead (tests that build bare repositories).
        """
        self._secret = publication_key
        self._plans: dict[tuple[str, int], TallyPlan] = {}

    def _plan(self, connection: sqlite3.Connection, survey_id: str, version: int) -> TallyPlan:
        plan = self._plans.get((survey_id, version))
        if plan is None:
            row = connection.execute(
                "SELECT definition FROM surveys WHERE survey_id = ? AND version = ?",
                (survey_id, version)).fetchone()
            plan = plan_for(survey_from_json(row[0]))
            self._plans[survey_id, version] = plan
        return plan

    def _rows(self, connection: sqlite3.Connection, survey_id: str, response: Sequence[Any],
              key: int) -> list[tuple[Any, ...]]:
        _response_id, version, day, answers, languages = response
        plan = self._plan(connection, survey_id, version)
        return [(survey_id, by, day, version, grp, question_id, value, key)
                for by, grp, question_id, value in response_cells(
                    plan, json.loads(answers), json.loads(languages))]

    def _marked(self, connection: sqlite3.Connection, survey_id: str) -> bool:
        """Whether the survey awaits a rebuild (marking it now when there is no key)."""
        if self._secret is None:
            connection.execute(_MARK, (survey_id,))
            return True
        return connection.execute("SELECT 1 FROM tally_rebuilds WHERE survey_id = ?",
                                  (survey_id,)).fetchone() is not None

    def add(self, connection: sqlite3.Connection, survey_id: str,
            response: Sequence[Any]) -> None:
        """Count one submitted response: ``(id, version, day, answers JSON, languages JSON)``.

        A survey awaiting a rebuild is not touched: the rebuild counts everything.
        """
        if self._marked(connection, survey_id):
            return
        assert self._secret is not None
        connection.executemany(_UPSERT, self._rows(connection, survey_id, response,
                                                   record_key(self._secret, response[0])))

    def remove(self, connection: sqlite3.Connection, survey_id: str, response_id: str) -> None:
        """Take a submitted response out of its counters, before it is deleted.

        Counters found missing (tallies damaged by hand) never block an erasure: the survey
        is marked for a rebuild instead.
        """
        response = connection.execute(
            "SELECT respondent_key, version, submitted_on, answers, text_languages "
            "FROM responses WHERE survey_id = ? AND respondent_key = ? AND status = 'submitted'",
            (survey_id, response_id)).fetchone()
        if response is None or self._marked(connection, survey_id):
            return
        assert self._secret is not None
        key = -record_key(self._secret, response_id) % RECORD_KEY_RANGE
        rows = self._rows(connection, survey_id, tuple(response), key)
        changed = connection.executemany(
            _DECREMENT, [(key, *row[:-1]) for row in rows]).rowcount
        connection.executemany(_DROP_EMPTY, [row[:-1] for row in rows])
        if changed != len(rows):
            connection.execute(_MARK, (survey_id,))


def forget_survey(connection: sqlite3.Connection, survey_id: str) -> None:
    """Drop every counter of a survey whose responses are all being erased (retention)."""
    connection.execute("DELETE FROM tallies WHERE survey_id = ?", (survey_id,))
    connection.execute("DELETE FROM tally_rebuilds WHERE survey_id = ?", (survey_id,))
