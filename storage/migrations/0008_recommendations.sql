-- 0008 recommendations: what became of what people said ("you said, we did"), and whether
-- the people who followed a recommendation think it was addressed.
--
-- Texts (title, body, milestone labels) are JSON objects language -> text, the shape of the
-- survey model's translated texts. Nothing here names a person: moderators act through the
-- audit log (by pseudonym), and "was this addressed?" answers are stored like survey
-- answers, under a random id with no pseudonym; the separate marker that someone already
-- answered holds a keyed pseudonym and no date, and neither table keeps insertion order.

CREATE TABLE recommendations (
    recommendation_id TEXT    NOT NULL PRIMARY KEY
                              CHECK (recommendation_id GLOB '[a-z0-9]*'
                                     AND recommendation_id NOT GLOB '*[^a-z0-9_-]*'
                                     AND length(recommendation_id) <= 64),
    survey_id         TEXT    NOT NULL,
    title             TEXT    NOT NULL CHECK (title GLOB '{*}'),
    body              TEXT    NOT NULL CHECK (body GLOB '{*}'),
    status            TEXT    NOT NULL DEFAULT 'received'
                              CHECK (status IN ('received', 'under_consideration', 'accepted',
                                                'partly_accepted', 'rejected', 'in_progress',
                                                'implemented')),
    progress          INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    -- How "was this addressed?" is asked: yes / partly / no, or a 1-5 scale.
    addressed_scale   TEXT    NOT NULL DEFAULT 'yes_partly_no'
                              CHECK (addressed_scale IN ('yes_partly_no', 'one_to_five')),
    created_on        TEXT    NOT NULL CHECK (created_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    updated_on        TEXT    NOT NULL CHECK (updated_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);

CREATE INDEX recommendations_by_survey ON recommendations (survey_id, recommendation_id);

-- The survey questions (and so the published results) a recommendation came from.
CREATE TABLE recommendation_sources (
    recommendation_id TEXT    NOT NULL REFERENCES recommendations (recommendation_id)
                              ON DELETE CASCADE,
    position          INTEGER NOT NULL CHECK (position >= 0),
    question_id       TEXT    NOT NULL,
    PRIMARY KEY (recommendation_id, position),
    UNIQUE (recommendation_id, question_id)
) WITHOUT ROWID;

-- The timeline: every status a recommendation took, with its day.
CREATE TABLE recommendation_history (
    recommendation_id TEXT    NOT NULL REFERENCES recommendations (recommendation_id)
                              ON DELETE CASCADE,
    step              INTEGER NOT NULL CHECK (step >= 0),
    status            TEXT    NOT NULL,
    progress          INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
    changed_on        TEXT    NOT NULL CHECK (changed_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    PRIMARY KEY (recommendation_id, step)
) WITHOUT ROWID;

-- Dated milestones: planned (reached = 0) or reached (1).
CREATE TABLE recommendation_milestones (
    recommendation_id TEXT    NOT NULL REFERENCES recommendations (recommendation_id)
                              ON DELETE CASCADE,
    milestone         INTEGER NOT NULL CHECK (milestone >= 1),
    label             TEXT    NOT NULL CHECK (label GLOB '{*}'),
    due_on            TEXT    NOT NULL CHECK (due_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    reached           INTEGER NOT NULL DEFAULT 0 CHECK (reached IN (0, 1)),
    PRIMARY KEY (recommendation_id, milestone)
) WITHOUT ROWID;

-- "Was this addressed?" answers: a random id, the answer, the day; no pseudonym.
CREATE TABLE addressed_answers (
    answer_id         TEXT    NOT NULL PRIMARY KEY,
    recommendation_id TEXT    NOT NULL REFERENCES recommendations (recommendation_id)
                              ON DELETE CASCADE,
    answer            TEXT    NOT NULL CHECK (answer IN ('yes', 'partly', 'no',
                                                         '1', '2', '3', '4', '5')),
    answered_on       TEXT    NOT NULL CHECK (answered_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
) WITHOUT ROWID;

CREATE INDEX addressed_answers_by_recommendation ON addressed_answers (recommendation_id, answered_on);

-- Who already answered (a keyed pseudonym per recommendation), so each follower answers once.
CREATE TABLE addressed_answered (
    recommendation_id TEXT    NOT NULL REFERENCES recommendations (recommendation_id)
                              ON DELETE CASCADE,
    answerer_key      TEXT    NOT NULL,
    PRIMARY KEY (recommendation_id, answerer_key)
) WITHOUT ROWID;
