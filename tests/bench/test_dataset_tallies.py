"""Benchmark 3's generated data set has the tallies ``consultbot tallies check`` expects.

The generator writes responses in bulk and recounts the tallies once (the recount of
``consultbot tallies rebuild``); the recount reads each answer as SQLite extracts it and
decodes each distinct answer once. Both are checked here against the counters the
response-by-response recount (every answer decoded by ``json.loads``) gives.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.dataset import generate
from bench.survey import SURVEY_ID
from storage import DATABASE_FILE_NAME, Storage
from storage.tallies import _plans
from storage.tally_recount import _SUBMITTED, Recount


async def test_a_generated_set_passes_the_tally_check(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await generate(data_dir, submitted=400, in_progress=50)
    async with await Storage.open(data_dir) as storage:
        check = await storage.tallies.check(SURVEY_ID)
        secret = storage.tallies._secret
    assert check.exact, check.differences[:3]
    assert check.responses == 400
    assert check.counters > 400  # days x groups x values, not one counter per response

    # The extracted recount and the response-by-response one count the same cells.
    with sqlite3.connect(data_dir / DATABASE_FILE_NAME) as connection:
        plans = _plans(connection, SURVEY_ID)
        extracted = Recount(plans, secret)
        assert extracted.extracted
        sql, params = extracted.query()
        extracted.add(connection.execute(sql, (*params, SURVEY_ID)).fetchall())
        decoded = Recount(plans, secret)
        decoded.extracted = False
        assert decoded.query() == (_SUBMITTED, ())
        decoded.add(connection.execute(_SUBMITTED, (SURVEY_ID,)).fetchall())
    assert extracted.rows() == decoded.rows()
    assert extracted.responses == decoded.responses == 400
