"""Responses: a pseudonymous draft while in progress, unlinkable answers once submitted.

The respondent is only ever the pseudonym of :meth:`storage.secret.ServerSecret.respondent_key`;
this module never sees a Telegram id. Progress (answers so far, the current question) is
stored under that pseudonym on every answer, so a restart or a different device resumes
exactly where the participant was, and every method that changes a response returns only
after the commit.

Submitting deletes the draft and, in the same transaction, stores the answers under a
random id and a "has responded" marker under the pseudonym (ARCHITECTURE.md, Privacy
rules). With the key file and a chat id one finds the marker, never the answers. The
participant finds them again only with the deletion code shown at submission, stored as a
receipt is (an HMAC lookup value and a salted hash, :mod:`storage.receipts`: a fast one,
since the code has 80 random bits). What a write does to a draft is in
:mod:`storage.drafts`; what submitting and erasing by code do, in :mod:`storage.submission`.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import secrets
from collections.abc import Callable, Mapping

import aiosqlite

from storage import receipts
from storage.database import Database
from storage.drafts import (
    AnswerWrite,
    answered,
    delete_draft,
    delete_drafts,
    get_draft,
    get_draft_now,
    restart_draft,
    rewrite_draft,
    save_answers,
    start_draft,
)
from storage.errors import AlreadySubmitted
from storage.response_records import (
    ResponseCounts,
    ResponseRecord,
    ResponseStatus,
)
from storage.submission import (
    Submission,
    erase_submitted,
    find_by_deletion_lookup,
    write_submission,
)
from storage.tally_keeper import TallyKeeper
from surveys import model
from surveys.codec import answer_to_json
from surveys.model import Answer, Answers
from surveys.validation import QUESTION_ID

__all__ = ["ResponseCounts", "ResponseRecord", "ResponseRepository", "ResponseStatus"]

class ResponseRepository:
    """Stores drafts under respondent pseudonyms and submitted answers under nobody's."""

    __slots__ = ("_db", "_deletion_key", "_on_submit", "_tallies", "_today")

    def __init__(
        self,
        db: Database,
        *,
        today: Callable[[], _dt.date] = model.today,
        deletion_key: bytes | None = None,
        on_submit: Callable[[], None] | None = None,
        publication_key: bytes | None = None,
    ) -> None:
        """Args:
        db: The database.
        today: The clock (to the day), replaceable in tests.
        deletion_key: The HMAC key of deletion-code lookups (``DELETION_CODES_PURPOSE``);
            by default a random one, so codes work only with this repository object.
        on_submit: Called in the writer thread after each submission is written (the
            identity batcher then rewrites the marker table in random order).
        publication_key: The key of record keys (``PUBLICATION_PURPOSE``), so each
            submission and erasure updates the tallies in its own transaction
            (``storage.tally_keeper``); without it they mark the survey for a tally rebuild.
        """
        self._db = db
        self._tallies = TallyKeeper(publication_key)
        self._today = today
        self._deletion_key = deletion_key or secrets.token_bytes(32)
        self._on_submit = on_submit

    async def get(self, survey_id: str, respondent_key: str) -> ResponseRecord | None:
        """The response of this respondent to this survey, in progress or submitted."""
        # On every answer: key lookups, kept on the event loop (Database.lookup).
        return await self._db.lookup(lambda c: get_draft_now(c, survey_id, respondent_key))

    async def start(
        self,
        survey_id: str,
        version: int,
        respondent_key: str,
        *,
        language: str | None = None,
        current_question: str | None = None,
    ) -> ResponseRecord:
        """Begin a response, or return the existing one (in progress or submitted) unchanged.

        Starting twice (a double tap, a second deep link) must resume, not reset.

        Raises:
            NotFound: The survey version does not exist.
            InvalidTransition: A new response can only start on the published version.
        """
        key = (survey_id, version, respondent_key)
        return await self._db.write(lambda connection: start_draft(
            connection, key, self._today().isoformat(), language, current_question))

    async def restart(
        self,
        survey_id: str,
        version: int,
        respondent_key: str,
        *,
        language: str | None = None,
        current_question: str | None = None,
        answers: Answers | None = None,
    ) -> ResponseRecord:
        """Discard an unfinished response and begin again (e.g. on a newer survey version).

        Args:
            answers: Answers carried over to the new version (those that still apply), in
                the same transaction, so a crash cannot lose them in between.

        Raises:
            AlreadySubmitted: A submitted response is never replaced.
            NotFound: The survey version does not exist.
            InvalidTransition: The version is not the published one.
        """
        key = (survey_id, version, respondent_key)
        return await self._db.write(lambda connection: restart_draft(
            connection, key, self._today().isoformat(), language, current_question, answers))

    async def _update(
        self,
        survey_id: str,
        respondent_key: str,
        change: Callable[[ResponseRecord], tuple[Answers, str | None, str | None]],
        text_language: tuple[str, str] | None = None,
    ) -> ResponseRecord:
        today = self._today()
        return await self._db.write(
            lambda connection: rewrite_draft(connection, survey_id, respondent_key, change,
                                             text_language, today))

    async def save_answer(
        self,
        survey_id: str,
        respondent_key: str,
        question_id: str,
        answer: Answer,
        current_question: str | None,
        *,
        text_language: str | None = None,
        draft: ResponseRecord | None = None,
    ) -> ResponseRecord:
        """Record one answer and where the participant goes next; returns after the commit.

        SQLite merges the answer into the stored draft, so the stored answers are right
        whatever ``draft`` says; the record returned is ``draft`` with the answer merged in
        the same way, built on the event loop instead of read back in the writer thread.

        Args:
            answer: ``None`` records a skipped question.
            current_question: The question to ask next (None when the review comes next).
            text_language: The language detected in a text ``answer``, stored in the same
                write so summaries need not detect it. Without one, a changed answer loses
                its stored language (an unchanged text keeps it).
            draft: The draft as the caller last read it, while holding the participant's
                lock (the bot reads it for every update anyway); when omitted it is looked
                up here.

        Raises:
            NotFound: :meth:`start` was not called.
            AlreadySubmitted: Submitted answers are final.
            CodecError: ``answer`` cannot be stored (nothing is written).
            ValueError: ``question_id`` is not a valid question id.
        """
        if not QUESTION_ID.fullmatch(question_id):
            # It becomes a quoted JSON path in SQL: a quote in it would send the answer
            # to another key, or nowhere.
            raise ValueError(f"not a question id: {question_id!r}")
        write = AnswerWrite(
            survey_id, respondent_key, question_id, answer_to_json(question_id, answer),
            answer if isinstance(answer, str) else None, current_question, text_language,
            self._today())
        if draft is None:
            draft = await self.get(survey_id, respondent_key)
        await self._db.write_item(save_answers, write)
        if draft is None or draft.submitted:  # it was started or reopened meanwhile
            draft = await self.get(survey_id, respondent_key)
            if draft is None or draft.submitted:  # and submitted or erased since: say so
                raise AlreadySubmitted(f"the response to {survey_id!r} changed meanwhile")
            return draft
        return answered(draft, write, answer)

    async def save_answers(
        self,
        survey_id: str,
        respondent_key: str,
        answers: Answers,
        current_question: str | None,
    ) -> ResponseRecord:
        """Replace all answers at once (e.g. after dropping answers no longer relevant).

        Raises:
            NotFound: :meth:`start` was not called.
            AlreadySubmitted: Submitted answers are final.
        """
        return await self._update(
            survey_id, respondent_key, lambda r: (dict(answers), current_question, r.language)
        )

    async def set_current(
        self,
        survey_id: str,
        respondent_key: str,
        current_question: str | None,
        *,
        language: str | None = None,
    ) -> ResponseRecord:
        """Move to another question (Back, resume) and optionally change the survey language.

        Raises:
            NotFound: :meth:`start` was not called.
            AlreadySubmitted: A submitted response has no current question.
        """
        return await self._update(
            survey_id,
            respondent_key,
            lambda r: (r.answers, current_question, language or r.language),
        )

    async def submit(
        self, survey_id: str, respondent_key: str, answers: Answers | None = None
    ) -> ResponseRecord:
        """Submit the response, atomically and exactly once, and make it unlinkable.

        In one transaction the draft is deleted, the answers are stored under a random id
        with only the submission day, and the "has responded" marker is written under the
        pseudonym.

        Args:
            answers: The final answers to store (e.g. only the relevant ones); by default
                the answers saved so far.

        Returns:
            The submitted response, with :attr:`ResponseRecord.deletion_code` set: show it
            to the participant now, it is never stored and cannot be shown again.

        Raises:
            NotFound: There is no response to submit.
            AlreadySubmitted: It was submitted before (also for a double tap on "Submit").
        """
        code = receipts.new_receipt()
        submission = Submission(
            survey_id, respondent_key, answers, secrets.token_hex(32), code,
            # A salted BLAKE2b, not scrypt: see storage.receipts for why that is as safe here.
            receipts.hash_receipt(code, self._deletion_key, slow=False),
            self._today().isoformat())
        return await self._db.write(
            lambda connection: write_submission(connection, submission, self._tallies,
                                                self._on_submit))

    async def _by_code(self, text: str) -> ResponseRecord | None:
        code = receipts.normalize(text)
        lookup = receipts.lookup_id(code, self._deletion_key) if code is not None else b""
        found = await self._db.read(lambda c: find_by_deletion_lookup(c, lookup))
        stored = found[1] if found is not None else None
        # Always one hash, so a wrong code takes as long as a right one (a code hashed with
        # scrypt before deletion codes were hashed fast is checked with scrypt).
        if not await asyncio.to_thread(receipts.verify_receipt, code, stored, slow=False):
            return None
        return found[0] if found is not None else None

    async def find_by_code(self, text: str) -> ResponseRecord | None:
        """The submitted response whose deletion code the participant typed, if it is right.

        Args:
            text: What they typed or pasted; case, spaces, dashes and look-alike letters
                are forgiven (:func:`storage.receipts.normalize`).
        """
        return await self._by_code(text)

    async def delete_by_code(
        self, text: str, markers: Mapping[str, str] | None = None
    ) -> ResponseRecord | None:
        """Erase the submitted response whose deletion code this is (``/forget <code>``).

        Args:
            text: The code as typed.
            markers: survey id -> the pseudonym of the person asking; their "has
                responded" marker for that survey is erased too, so they may answer again
                (their old answers are gone).

        Returns:
            The erased response, or ``None`` when the code is wrong.
        """
        found = await self._by_code(text)
        if found is None:
            return None
        marker = (markers or {}).get(found.survey_id)
        await self._db.write(
            lambda connection: erase_submitted(connection, found, marker, self._tallies),
            checkpoint=True)
        return found

    async def delete(self, survey_id: str, respondent_key: str) -> bool:
        """Erase this respondent's draft (``/forget``); True if there was one.

        A submitted response is not under the pseudonym (see :meth:`delete_by_code`), and
        the "has responded" marker stays, so erasing cannot be used to answer twice. The
        write-ahead log is checkpointed before returning, so the erased answers do not
        linger there either (``secure_delete`` zeroes them in the database file).
        """
        return await self.delete_all_for(survey_id, respondent_key) > 0

    async def delete_all_for(self, survey_id: str, respondent_key: str) -> int:
        """Erase the draft stored under this respondent pseudonym for this survey.

        Returns:
            The number of rows erased.
        """
        return await self._db.write(
            lambda connection: delete_draft(connection, survey_id, respondent_key),
            checkpoint=True)

    async def find_all(self, keys: Mapping[str, str]) -> list[ResponseRecord]:
        """One person's drafts and "has responded" markers, by pseudonym (for ``/mydata``).

        Submitted answers are not among them: only their deletion code finds them.

        Args:
            keys: survey id -> respondent key (see ``Storage.respondent_keys``).
        """

        async def work(connection: aiosqlite.Connection) -> list[ResponseRecord]:
            found = [await get_draft(connection, survey_id, key) for survey_id, key in keys.items()]
            return [response for response in found if response is not None]

        return await self._db.read(work)

    async def forget(self, keys: Mapping[str, str]) -> int:
        """Erase every draft of one person in one transaction (``/forget``).

        Their submitted answers are unreachable from the pseudonym (:meth:`delete_by_code`
        erases them); the "has responded" markers stay so that nobody answers twice.

        Args:
            keys: survey id -> respondent key (see ``Storage.respondent_keys``).

        Returns:
            The number of drafts erased.
        """
        return await self._db.write(lambda connection: delete_drafts(connection, keys),
                                    checkpoint=True)

    async def counts(self, survey_id: str, *, version: int | None = None) -> ResponseCounts:
        """How many responses are in progress and submitted (optionally for one version)."""
        version_filter = "" if version is None else " AND version = ?"
        params: tuple[object, ...] = (survey_id,) if version is None else (survey_id, version)

        async def work(connection: aiosqlite.Connection) -> ResponseCounts:
            rows = await connection.execute_fetchall(
                f"SELECT status, count(*) FROM responses WHERE survey_id = ?{version_filter} "
                "GROUP BY status",
                params,
            )
            by_status = {str(status): int(count) for status, count in rows}
            return ResponseCounts(
                in_progress=by_status.get(ResponseStatus.IN_PROGRESS.value, 0),
                submitted=by_status.get(ResponseStatus.SUBMITTED.value, 0),
            )

        return await self._db.read(work)
