-- 0010 tallies: the counters summaries are computed from, kept in the write that changes them.
--
-- One row per (survey, breakdown question, submission day, version, group, question, value):
-- how many submitted responses it counts and the sum of their record keys modulo 2^20
-- (surveys/perturbation.py: a cell's noise only depends on its key sum modulo that range, so
-- sums kept modulo it can be decremented). surveys/tally_plan.py says which rows a response
-- joins: the overall table (by_question '', grp 'null') and one table per single-choice
-- question of its version; question_id '' counts the group's respondents. Submitting adds to
-- them and erasing a submitted response (/forget with its deletion code, retention) subtracts
-- from them in the same transaction; a row that falls to zero is deleted, so no counter
-- outlives the answers it counted. No pseudonym, no response id, no free text: a text answer
-- is counted by its stored language only.
CREATE TABLE tallies (
    survey_id   TEXT    NOT NULL,
    by_question TEXT    NOT NULL,
    day         TEXT    NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    version     INTEGER NOT NULL,
    grp         TEXT    NOT NULL,
    question_id TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    respondents INTEGER NOT NULL CHECK (respondents >= 0),
    key_sum     INTEGER NOT NULL CHECK (key_sum >= 0 AND key_sum < 1048576),
    PRIMARY KEY (survey_id, by_question, day, version, grp, question_id, value)
) WITHOUT ROWID;

-- Surveys whose tallies must be recounted from the responses before they are used: record
-- keys need the server's key, which SQL here does not have, so the responses stored before
-- this migration are counted by the first summary (or `consultbot tallies rebuild`).
CREATE TABLE tally_rebuilds (
    survey_id TEXT PRIMARY KEY
) WITHOUT ROWID;

INSERT INTO tally_rebuilds (survey_id)
    SELECT DISTINCT survey_id FROM responses WHERE status = 'submitted';

-- Storage never edits a submitted response (submitting inserts it, erasing deletes it, both
-- keeping the tallies). An edit made behind storage's back (by hand, a repair script, a
-- test moving answers to another day) marks the survey for a recount, so no summary is
-- computed from counters that no longer match the answers.
CREATE TRIGGER tallies_recount_after_edit AFTER UPDATE ON responses
WHEN old.status = 'submitted' OR new.status = 'submitted'
BEGIN
    INSERT OR IGNORE INTO tally_rebuilds (survey_id) VALUES (old.survey_id);
    INSERT OR IGNORE INTO tally_rebuilds (survey_id) VALUES (new.survey_id);
END;
