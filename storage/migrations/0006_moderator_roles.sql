-- 0006 moderator roles, second factor, report routing, invites.
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
