"""Attacks on the link between who answered and what they answered.

Participants answer and subscribe to updates through the real bot (``tests/fakebot.py``).
Then an attacker with copies of the data directory (database, WAL and shm, taken while the
bot runs and after it stopped) ranks chat ids and answers by every order a file keeps: byte
position in the file, position inside a page, WAL frame order, the tables' natural scan
order, dates. Pairing the k-th chat id with the k-th answer must do no better than chance.
With the batching and shuffling switched off (``IdentityBatcher.shuffle``), the same attack
pairs them: the test can fail.

A second attacker holds the key file and every chat id (the running server): they compute
every pseudonym and find the "has responded" markers, never an answer.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import struct
from collections.abc import Callable, Sequence
from pathlib import Path

from storage import DATABASE_FILE_NAME
from tests.handlers.conftest import BotEnv, deletion_code, in_survey

ADMIN = 4242  # an admin of the test configuration

PEOPLE = 12
#: Chat ids are not handed out in answering order: Telegram assigns them at sign-up.
CHAT_IDS = random.Random(1409).sample(range(5_100_000_000, 5_200_000_000, 1_000_003), PEOPLE)
PAGE = 4096
#: Against chance, pairing the k-th with the k-th gets one person right on average (the
#: fixed points of a random permutation, Poisson(1)); seven or more of twelve happens with
#: probability ~7e-5 per heuristic, so with the ~46 tried below a false alarm is ~0.3%.
#: The unprotected bot pairs all twelve.
CHANCE_LIMIT = 6


def answer_of(person: int) -> str:
    return f"reform-{person:02d}-qz"


async def seed(env: BotEnv) -> None:
    """Every person answers, submits, then asks for updates right away, as people do."""
    for person, chat_id in enumerate(CHAT_IDS):
        user = await in_survey(env, chat_id)
        await user.press("Mining")
        await user.press("Pay")
        await user.press("Done")
        await user.press("3")
        await user.press("Skip")
        await user.send_text(answer_of(person))
        await user.press("Submit")
        await user.press("Get updates")


def copy_data_dir(data_dir: Path, into: Path) -> dict[str, bytes]:
    """The database, WAL and shm as they are on disk right now (what a backup tool copies)."""
    into.mkdir(parents=True, exist_ok=True)
    found = {}
    for suffix in ("", "-wal", "-shm"):
        source = data_dir / (DATABASE_FILE_NAME + suffix)
        if source.exists():
            shutil.copyfile(source, into / source.name)
            found[suffix or "db"] = (into / source.name).read_bytes()
    return found


def chat_patterns() -> dict[int, bytes]:
    """A chat id as SQLite stores it in a record: a 6-byte big-endian integer."""
    return {person: struct.pack(">q", chat_id)[2:] for person, chat_id in enumerate(CHAT_IDS)}


def answer_patterns() -> dict[int, bytes]:
    return {person: answer_of(person).encode() for person in range(PEOPLE)}


def offsets(content: bytes, pattern: bytes) -> list[int]:
    found, start = [], 0
    while (at := content.find(pattern, start)) >= 0:
        found.append(at)
        start = at + 1
    return found


Ranking = Callable[[list[int]], float]

RANKINGS: dict[str, Ranking] = {
    "first byte offset (file order, WAL frame order)": lambda at: at[0],
    "last byte offset": lambda at: at[-1],
    "first offset inside its page": lambda at: at[0] % PAGE,
    "last offset inside its page": lambda at: at[-1] % PAGE,
}


def order(patterns: dict[int, bytes], content: bytes, rank: Ranking) -> list[int]:
    """The people whose pattern occurs in ``content``, sorted by ``rank`` of its offsets."""
    positions = {p: at for p, pattern in patterns.items() if (at := offsets(content, pattern))}
    return sorted(positions, key=lambda p: rank(positions[p]))


def paired(chats: Sequence[int], answers: Sequence[int]) -> int:
    """How many people the attack gets right pairing the k-th chat with the k-th answer."""
    right = sum(c == a for c, a in zip(chats, answers, strict=False))
    # The attacker also tries the opposite direction (cells fill a page from its end).
    flipped = sum(c == a for c, a in zip(chats, list(reversed(answers)), strict=False))
    return max(right, flipped)


def sql_orders(path: Path) -> list[tuple[str, list[int], list[int]]]:
    """The tables' own orders: natural scan order of subscriptions and submitted answers,
    and the submission day."""
    if not path.exists():
        return []
    by_chat = {chat_id: person for person, chat_id in enumerate(CHAT_IDS)}
    by_answer = {answer_of(person): person for person in range(PEOPLE)}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        chats = [by_chat[c] for (c,) in connection.execute("SELECT chat_id FROM subscriptions")
                 if c in by_chat]
        rows = connection.execute(
            "SELECT answers ->> '$.remedy', submitted_on FROM responses "
            "WHERE status = 'submitted'").fetchall()
    answers = [by_answer[a] for a, _ in rows if a in by_answer]
    by_day = [by_answer[a] for a, _ in sorted(rows, key=lambda row: str(row[1])) if a in by_answer]
    return [("natural scan order", chats, answers), ("submission day", chats, by_day)]


def best_attack(files: dict[str, bytes], copy_dir: Path) -> tuple[int, str]:
    """The most people any heuristic pairs, and which heuristic did it."""
    best = (0, "nothing")
    chats_by, answers_by = chat_patterns(), answer_patterns()
    for name, content in files.items():
        for ranking, rank in RANKINGS.items():
            score = paired(order(chats_by, content, rank), order(answers_by, content, rank))
            best = max(best, (score, f"{name}: {ranking}"))
    # Chat ids in one file ranked against answers in another (e.g. WAL vs database).
    for chat_file, chat_content in files.items():
        for answer_file, answer_content in files.items():
            score = paired(order(chats_by, chat_content, RANKINGS[next(iter(RANKINGS))]),
                           order(answers_by, answer_content, RANKINGS[next(iter(RANKINGS))]))
            best = max(best, (score, f"{chat_file} vs {answer_file}: byte order"))
    for name, chats, answers in sql_orders(copy_dir / DATABASE_FILE_NAME):
        best = max(best, (paired(chats, answers), f"sql: {name}"))
    return best


async def run_attack(env: BotEnv, tmp_path: Path, *, protected: bool) -> dict[str, tuple[int, str]]:
    identity = env.services.storage.identity
    identity.shuffle = protected
    identity.interval = 3600.0  # batches come from max_pending here, not the clock
    identity.max_pending = 5
    await seed(env)
    data_dir = Path(env.config.data_dir)
    results = {}
    running = copy_data_dir(data_dir, tmp_path / "running")
    results["running"] = best_attack(running, tmp_path / "running")
    await env.stop()
    stopped = copy_data_dir(data_dir, tmp_path / "stopped")
    results["stopped"] = best_attack(stopped, tmp_path / "stopped")
    # The attack looked at the right bytes: every answer and chat id is in the files.
    assert all(pattern in stopped["db"] for pattern in answer_patterns().values())
    assert all(pattern in stopped["db"] for pattern in chat_patterns().values())
    await env.start()
    return results



def answered_two_days_ago(connection: sqlite3.Connection) -> None:
    """Summaries publish whole past days only: move the answers out of "today"."""
    connection.execute(
        "UPDATE responses SET submitted_on = date('now', '-2 days'), "
        "started_on = date('now', '-2 days'), updated_on = date('now', '-2 days') "
        "WHERE status = 'submitted'")

async def test_write_order_does_not_pair_chat_ids_with_answers(env: BotEnv, tmp_path: Path) -> None:
    results = await run_attack(env, tmp_path, protected=True)
    print("protected:", results)  # shown with -s: the best any heuristic did
    for when, (score, how) in results.items():
        assert score <= CHANCE_LIMIT, f"{when}: {how} paired {score} of {PEOPLE}"


async def test_without_batching_the_same_attack_pairs_them(env: BotEnv, tmp_path: Path) -> None:
    results = await run_attack(env, tmp_path, protected=False)
    print("unprotected:", results)
    assert results["running"][0] >= PEOPLE - 2, results
    assert results["stopped"][0] >= PEOPLE // 2, results


async def test_the_key_and_every_chat_id_find_no_submitted_answers(env: BotEnv) -> None:
    """The running server's attacker: key file, database and all chat ids."""
    env.services.storage.identity.max_pending = 3
    for person, chat_id in enumerate(CHAT_IDS[:6]):
        user = await in_survey(env, chat_id)
        await user.press("Garment")
        await user.send_text("4")
        await user.press("Hours")
        await user.press("Done")
        await user.press("2")
        await user.press("Skip")
        await user.send_text(answer_of(person))
        await user.press("Submit")
        await user.press("Get updates")
    storage = env.services.storage
    await storage.identity.flush()

    await storage.db.write(answered_two_days_ago)
    database = Path(env.config.data_dir) / DATABASE_FILE_NAME
    key_file = env.config.key_file
    assert key_file is not None and key_file.exists()
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        chat_ids = [c for (c,) in connection.execute("SELECT chat_id FROM subscriptions")]
        surveys = [s for (s,) in connection.execute("SELECT DISTINCT survey_id FROM surveys")]
        submitted = connection.execute(
            "SELECT respondent_key, answers FROM responses WHERE status = 'submitted'").fetchall()
        markers = {k for (k,) in connection.execute("SELECT respondent_key FROM responded")}
    assert sorted(chat_ids) == sorted(CHAT_IDS[:6])  # the attacker has every chat id
    assert len(submitted) == 6
    pseudonyms = {storage.secret.respondent_key(s, c) for s in surveys for c in chat_ids}
    pseudonyms |= {storage.secret.participant_key(c) for c in chat_ids}
    # Every pseudonym leads at most to "has responded" ...
    assert markers <= pseudonyms and len(markers) == 6
    # ... and no submitted answer carries any of them, nor anything derived from a chat id.
    assert not pseudonyms & {key for key, _ in submitted}
    for chat_id in chat_ids:
        assert str(chat_id).encode() not in b"".join(a.encode() for _, a in submitted)


async def test_a_moderator_sees_no_chat_id_pseudonym_or_deletion_code(env: BotEnv) -> None:
    """The curious moderator: everything the admin commands show about the survey."""
    env.services.storage.identity.max_pending = 3
    codes = []
    for person, chat_id in enumerate(CHAT_IDS[:6]):
        user = await in_survey(env, chat_id)
        for press in ("Mining", "Pay", "Done", "3", "Skip"):
            await user.press(press)
        await user.send_text(answer_of(person))
        await user.press("Submit")
        await user.press("Get updates")
        code = deletion_code(user)
        assert code is not None
        codes.append(code)
    storage = env.services.storage
    await storage.identity.flush()

    await storage.db.write(answered_two_days_ago)
    database = Path(env.config.data_dir) / DATABASE_FILE_NAME
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        random_ids = [k for (k,) in connection.execute(
            "SELECT respondent_key FROM responses WHERE status = 'submitted'")]
        markers = [k for (k,) in connection.execute("SELECT respondent_key FROM responded")]
    admin = env.user(ADMIN)
    calls = [*await admin.command("/summary", "workers-voice"),
             *await admin.command("/export", "workers-voice", "csv")]
    shown = "\n".join(str(call.params) for call in calls).encode()
    shown += b"".join(content for call in calls for _n, content, _m in call.files.values())
    assert any(call.method == "sendDocument" for call in calls)
    assert b"mining" in shown.lower()  # the moderator does see the answers
    for secret in (*map(str, CHAT_IDS), *random_ids, *markers, *codes,
                   *(code.replace("-", "") for code in codes)):
        assert secret.encode() not in shown
