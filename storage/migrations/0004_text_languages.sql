-- 0004 text languages: the language detected in each free-text answer, stored with it.
--
-- A JSON object, question id -> the code surveys.tally.detect_language gave the answer
-- ('undetermined' for a text too short to tell). It is written in the same UPDATE as the
-- answers and only ever holds questions whose answer is that same text, so summaries count
-- stored languages instead of running the detector on a sample at summary time. Rows written
-- before this migration have '{}' and fall back to detection. No identity is added.
ALTER TABLE responses ADD COLUMN text_languages TEXT NOT NULL DEFAULT '{}';
