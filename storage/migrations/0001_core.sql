-- 0001 core: survey definitions, responses, participant preferences.
--
-- Privacy: no Telegram id appears in this schema. A respondent is the
-- HMAC pseudonym of (survey id, user id) and a participant the HMAC of the user id, both
-- computed with the secret key file that never enters the database. Every date is an ISO
-- day (YYYY-MM-DD): nothing participant-related is stored with a finer time, so the
-- database cannot be matched against message timestamps.
-- Tables keyed by a pseudonym are WITHOUT ROWID: a rowid would record the order in which
-- people answered, which is exactly what dates-to-the-day are meant to hide.

CREATE TABLE surveys (
    survey_id    TEXT    NOT NULL CHECK (survey_id <> '' AND survey_id NOT GLOB '*[^a-z0-9_-]*'),
    version      INTEGER NOT NULL CHECK (version >= 1),
    status       TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'closed')),
    definition   TEXT    NOT NULL,                    -- the validated model, surveys/codec.py
    source       BLOB    NOT NULL,                    -- the uploaded file, byte for byte
    source_name  TEXT    NOT NULL,
    created_on   TEXT    NOT NULL CHECK (created_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    published_on TEXT             CHECK (published_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    closed_on    TEXT             CHECK (closed_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    PRIMARY KEY (survey_id, version),
    CHECK ((status = 'draft') = (published_on IS NULL)),
    CHECK ((status = 'closed') = (closed_on IS NOT NULL))
);

-- At most one draft and one published version of a survey at any time.
CREATE UNIQUE INDEX surveys_one_draft ON surveys (survey_id) WHERE status = 'draft';
CREATE UNIQUE INDEX surveys_one_published ON surveys (survey_id) WHERE status = 'published';

CREATE TABLE responses (
    survey_id        TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    respondent_key   TEXT    NOT NULL CHECK (length(respondent_key) = 64),
    status           TEXT    NOT NULL CHECK (status IN ('in_progress', 'submitted')),
    answers          TEXT    NOT NULL DEFAULT '{}',  -- question id -> answer, surveys/codec.py
    current_question TEXT,
    language         TEXT,
    started_on       TEXT    NOT NULL CHECK (started_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    updated_on       TEXT    NOT NULL CHECK (updated_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    submitted_on     TEXT             CHECK (submitted_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    -- One response per person and survey, whatever the version they answered.
    PRIMARY KEY (survey_id, respondent_key),
    FOREIGN KEY (survey_id, version) REFERENCES surveys (survey_id, version),
    CHECK ((status = 'submitted') = (submitted_on IS NOT NULL))
) WITHOUT ROWID;

-- Exports and counts read one survey's responses by status, in pseudonym order (random,
-- so an export's row order reveals nothing about who answered first).
CREATE INDEX responses_by_status ON responses (survey_id, status, respondent_key);

CREATE TABLE participant_preferences (
    participant_key TEXT PRIMARY KEY CHECK (length(participant_key) = 64),
    language        TEXT,
    consented_on    TEXT CHECK (consented_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
) WITHOUT ROWID;
