"""Write ``previous-release/`` with the storage code of the previous release (commit 83e275d).

Kept so the test data can be regenerated, never imported by the tests. Run it from a checkout
of that release, e.g.::

    git worktree add /tmp/oldrelease 83e275d
    cd /tmp/oldrelease && python /path/to/tests/ops/data/seed_previous_release.py OUT_DIR

It stores one published survey, three submitted responses and one in progress, a report
with a follow-up and a moderator reply, a moderator, a subscription and two audit entries,
with fixed user ids so the test can recompute the pseudonyms.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage import Storage
from storage.audit import CLI_ACTOR
from surveys.loading import load_survey

SURVEY = Path("surveys/examples/human-rights-dialogue.yaml")


async def seed(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    async with await Storage.open(out) as storage:
        survey = load_survey(SURVEY)
        record = await storage.surveys.publish_definition(survey, SURVEY.read_bytes(), SURVEY.name)
        for user_id, role in ((1001, "ngo"), (1002, "union"), (1003, "lawyer")):
            key = storage.secret.respondent_key(record.survey_id, user_id)
            await storage.responses.start(record.survey_id, record.version, key, language="en")
            await storage.responses.save_answer(record.survey_id, key, "role", role, None)
            await storage.responses.submit(record.survey_id, key)
        draft = storage.secret.respondent_key(record.survey_id, 1004)
        await storage.responses.start(record.survey_id, record.version, draft, language="fr")
        await storage.responses.save_answer(record.survey_id, draft, "role", "journalist", None)
        filed = await storage.reports.file("labour_rights", "Wages unpaid for six weeks at the depot.")
        await storage.reports.add_followup(filed.report_id, "It happened again this month.")
        await storage.reports.add_reply(filed.report_id, "Thank you, we are looking into it.")
        await storage.moderators.add(2001, 2001)
        await storage.subscriptions.subscribe(record.survey_id, 3001, "en")
        await storage.audit.append(CLI_ACTOR, "survey.publish", {"survey": record.survey_id})
        await storage.audit.append(CLI_ACTOR, "export", {"survey": record.survey_id, "format": "csv"})
        print(filed.receipt)


if __name__ == "__main__":
    asyncio.run(seed(Path(sys.argv[1])))
