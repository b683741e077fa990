-- 0003 moderation: moderators, opt-in update subscriptions, announcements and their outbox.
--
-- Privacy: raw Telegram ids are allowed in exactly two places, and
-- these are they: the moderator list, and the chats that asked for updates about a survey.
-- Neither points at a response or a report: a subscription holds no respondent key and no
-- date (a subscription day could be matched with a submission day), and its table is
-- WITHOUT ROWID so the database does not record who subscribed in which order.

CREATE TABLE moderators (
    user_id  INTEGER NOT NULL PRIMARY KEY,
    added_by INTEGER NOT NULL,                       -- the admin who added them
    added_on TEXT    NOT NULL CHECK (added_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
) WITHOUT ROWID;

CREATE TABLE subscriptions (
    survey_id TEXT    NOT NULL,
    chat_id   INTEGER NOT NULL,
    PRIMARY KEY (survey_id, chat_id)
) WITHOUT ROWID;

CREATE INDEX subscriptions_by_chat ON subscriptions (chat_id);

-- "You said, we did": what moderators announced about a survey.
CREATE TABLE announcements (
    announcement_id INTEGER PRIMARY KEY,
    survey_id       TEXT    NOT NULL,
    body            TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
    created_on      TEXT    NOT NULL CHECK (created_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);

CREATE INDEX announcements_by_survey ON announcements (survey_id, announcement_id);

-- One row per (announcement, subscriber chat): the persistent delivery queue. A row is
-- marked 'sending' (committed) before the message goes out and 'sent' right after, so a
-- restart never sends twice; a row found 'sending' after a crash is not retried.
CREATE TABLE outbox (
    announcement_id INTEGER NOT NULL REFERENCES announcements (announcement_id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                            CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at REAL    NOT NULL DEFAULT 0,       -- unix seconds
    PRIMARY KEY (announcement_id, chat_id)
) WITHOUT ROWID;

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
