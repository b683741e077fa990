"""Benchmark 5: draining a backlog through the telegram-test-api emulator with ``consultbot run``.

Everything real except Telegram: the emulator (``tests/e2e/emulator/server.js``, started by
the end-to-end harness on 127.0.0.1), a ``consultbot run`` subprocess long-polling it, and
the load from a Node.js client (``bench/loadgen.js``) so the generator is not the bottleneck.

1. ``--users`` users open the deep link of a ten-question text survey and press "I agree"
   (not timed): each sees question 1.
2. The bot is stopped (SIGTERM). Each user sends ``--per-user`` answers (default 500 x 10 =
   5,000 messages), queued in the emulator as Telegram queues updates for a bot that is down.
3. ``consultbot run`` starts again and drains the backlog: every message is an answer, and
   each answer makes the bot send exactly one message (the next question, or the review).

Drain rate = messages / (time of the bot's last reply - time of its first getUpdates), both
from the emulator's own record of the bot's calls. It is reported next to the in-process
figure of benchmark 1 by ``python -m bench``. The rate limiter of ``consultbot run``
(``send_rate``, Telegram's 30 messages/s) is active here, as in production, so it caps this
figure; the rate of chat-bound calls (the ones it limits) during the drain is compared with
``send_rate`` (target >= 0.95 x: the limiter should lose no slot while a backlog waits).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Result, add_common_arguments, write_result
from bench.survey import TYPED_SURVEY_ID, write_typed_survey

LOADGEN = Path(__file__).with_name("loadgen.js")
#: Bot API methods addressed to a chat: the ones the rate limiter counts.
CHAT_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup",
                          "deleteMessage", "sendDocument", "sendPhoto", "copyMessage"})
TARGET_SLOT_USE = 0.95
FIRST_USER_ID = 610_000_000


def _loadgen(*args: object, timeout: float) -> dict[str, object]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node not found: the end-to-end benchmark needs Node.js >= 18")
    done = subprocess.run([node, str(LOADGEN), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen {args[0]} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _replies_since(emulator: object, token: str, after_seq: int) -> list[dict[str, object]]:
    return [c for c in emulator.bot_calls(token, "sendMessage") if c["seq"] > after_seq]  # type: ignore[attr-defined]


def run(users: int, per_user: int, timeout: float) -> Result:
    from tests.e2e.harness.botprocess import BotProcess
    from tests.e2e.harness.emulator import Emulator

    messages = users * per_user
    result = Result("5. end to end (emulator)", {"users": users, "messages": messages})
    with tempfile.TemporaryDirectory(prefix="consultbot-bench-e2e-") as tmp:
        root = Path(tmp)
        emulator = Emulator.start(root, timeout=60)
        bot: BotProcess | None = None
        try:
            token = Emulator.new_token()
            surveys = root / "surveys"
            write_typed_survey(surveys)
            bot = BotProcess(emulator, token, root / "data", root / "bot.log", surveys=surveys)
            bot.start(timeout=60)
            setup = _loadgen("setup", emulator.url, token, users, FIRST_USER_ID, TYPED_SURVEY_ID,
                             timeout=timeout)
            bot.stop(timeout=60)
            last_seq = max((c["seq"] for c in emulator.bot_calls(token)), default=0)
            posted = _loadgen("backlog", emulator.url, token, users, FIRST_USER_ID, per_user,
                              timeout=timeout)
            started = time.monotonic()
            bot.start(wait=False)
            replies: list[dict[str, object]] = []
            while time.monotonic() - started < timeout:
                time.sleep(1.0)
                replies = _replies_since(emulator, token, last_seq)
                if len(replies) >= messages or not bot.running:
                    break
            wall = time.monotonic() - started
            calls = [c for c in emulator.bot_calls(token) if c["seq"] > last_seq]
            bot.stop(timeout=60)
        finally:
            if bot is not None and bot.running:
                bot.stop(timeout=60)
            emulator.stop()
    if len(replies) < messages:
        raise RuntimeError(f"only {len(replies)} of {messages} replies within {timeout:.0f} s")
    first_poll = min(float(c["time"]) for c in calls if c["method"] == "getUpdates")
    last_reply = sorted(float(c["time"]) for c in replies)[messages - 1]  # type: ignore[arg-type]
    drain = last_reply - first_poll
    result.add("drain rate (consultbot run + emulator)", messages / drain, "msg/s")
    result.add("drain time", drain, "s")
    from bot.config import Config

    send_rate = Config().send_rate
    limited = [c for c in calls if c["method"] in CHAT_METHODS
               and first_poll <= float(c["time"]) <= last_reply]
    result.add("rate-limited calls per message", len(limited) / messages, "calls")
    use = len(limited) / drain / send_rate
    result.add(f"limited calls/s / send_rate ({send_rate:g}/s)", use, "x",
               f">= {TARGET_SLOT_USE}", use >= TARGET_SLOT_USE)
    result.add("restart to last reply (wall)", wall, "s")
    result.add("backlog posting rate (Node.js client)", float(posted["messages"]) / float(posted["seconds"]), "msg/s")  # type: ignore[arg-type]
    result.notes.append(f"setup of {users} users took {float(setup['seconds']):.1f} s")  # type: ignore[arg-type]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.end_to_end", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500, help="users (default 500)")
    parser.add_argument("--per-user", type=int, default=10, help="backlogged messages per user "
                        "(default 10, at most the survey's 10 questions)")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if not 1 <= args.per_user <= 10:
        parser.error("--per-user must be between 1 and 10")
    result = run(args.users, args.per_user, args.timeout)
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
