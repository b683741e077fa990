-- 0006 moderator roles, second factor, report routing, invites, retention.
--
-- Roles: a moderator is an admin, an analyst (surveys, summaries, exports) or a handler of
-- reports, optionally limited to some report categories (comma-separated ids; empty means
-- every category). Moderators added before roles existed become handlers of every category.
--
-- Second factor: the TOTP secret is encrypted with a key derived from the server secret
-- (storage/totp.py) and keyed by the moderator's audit pseudonym, never a Telegram id.
-- ``last_step`` refuses a code that was already used (RFC 6238, section 5.2).
--
-- Report routing: a report may be assigned to one handler (by audit pseudonym) and carry
-- internal notes, sealed like the report itself.
--
-- Invites: one-use codes kept only as HMACs (storage/invites.py); a spent code is marked,
-- never linked to whoever spent it nor to any response. WITHOUT ROWID so the table does not
-- keep the order in which codes were spent.

ALTER TABLE moderators ADD COLUMN role TEXT NOT NULL DEFAULT 'handler'
    CHECK (role IN ('admin', 'analyst', 'handler'));
ALTER TABLE moderators ADD COLUMN categories TEXT NOT NULL DEFAULT '';

CREATE TABLE second_factors (
    actor      TEXT    PRIMARY KEY CHECK (actor GLOB 'mod:*'),
    secret     BLOB    NOT NULL,                     -- SecretBox ciphertext of the base32 secret
    confirmed  INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
    last_step  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE report_assignments (
    report_id TEXT NOT NULL PRIMARY KEY REFERENCES reports (report_id) ON DELETE CASCADE,
    handler   TEXT NOT NULL CHECK (handler GLOB 'mod:*')
) WITHOUT ROWID;

CREATE TABLE report_notes (
    report_id TEXT    NOT NULL REFERENCES reports (report_id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL CHECK (seq >= 1),
    content   BLOB    NOT NULL,                      -- sealed like the report (storage/sealing.py)
    added_on  TEXT    NOT NULL CHECK (added_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    PRIMARY KEY (report_id, seq)
) WITHOUT ROWID;

-- A survey not listed here is open to anyone.
CREATE TABLE survey_access (
    survey_id TEXT NOT NULL PRIMARY KEY,
    mode      TEXT NOT NULL CHECK (mode IN ('open', 'invite'))
) WITHOUT ROWID;

CREATE TABLE invite_batches (
    batch_id   TEXT    NOT NULL PRIMARY KEY,
    survey_id  TEXT    NOT NULL,
    created_on TEXT    NOT NULL CHECK (created_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) WITHOUT ROWID;

CREATE TABLE invite_codes (
    code_hash BLOB    NOT NULL PRIMARY KEY CHECK (length(code_hash) = 32),
    batch_id  TEXT    NOT NULL REFERENCES invite_batches (batch_id) ON DELETE CASCADE,
    spent     INTEGER NOT NULL DEFAULT 0 CHECK (spent IN (0, 1))
) WITHOUT ROWID;

-- Retention. A survey's answers are erased (``delete``) or replaced by their protected
-- summary (``aggregate``) some days after it closed; this table overrides the configured
-- default for one survey. ``survey_aggregates`` holds what an aggregate-only survey keeps.
CREATE TABLE survey_retention (
    survey_id TEXT    NOT NULL PRIMARY KEY,
    days      INTEGER NOT NULL CHECK (days >= 1),
    action    TEXT    NOT NULL CHECK (action IN ('delete', 'aggregate'))
) WITHOUT ROWID;

CREATE TABLE survey_aggregates (
    survey_id TEXT NOT NULL PRIMARY KEY,
    summary   TEXT NOT NULL,                           -- the protected summary, as published
    made_on   TEXT NOT NULL CHECK (made_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
) WITHOUT ROWID;

-- Audit retention: entries up to the anchor may be deleted (and only those). The anchor
-- keeps the last erased entry's number and hash, so the chain is still checked from there.
CREATE TABLE audit_anchor (
    seq  INTEGER PRIMARY KEY CHECK (seq >= 1),
    hash TEXT    NOT NULL CHECK (length(hash) = 64)
);

DROP TRIGGER audit_log_no_delete;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN old.seq > (SELECT coalesce(max(seq), 0) FROM audit_anchor)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
