-- 0002 reports: anonymous concerns (whistleblower reports) and the moderators' audit log.
--
-- Privacy: a report row holds no user, chat or message id, no
-- username and no Telegram file_id. Everything the reporter wrote (description, follow-ups,
-- files) is a ciphertext made by storage/sealing.py: sealed to the moderators' public key,
-- or encrypted with the server key. Dates are ISO days. The receipt code is kept only as an
-- HMAC lookup value plus a salted scrypt hash (storage/receipts.py).
-- Report ids are random, not a counter, and the tables are WITHOUT ROWID, so the database
-- does not record the order in which reports were filed within a day.

CREATE TABLE reports (
    report_id      TEXT    PRIMARY KEY CHECK (length(report_id) = 8),
    receipt_lookup BLOB    NOT NULL UNIQUE CHECK (length(receipt_lookup) = 16),
    receipt_salt   BLOB    NOT NULL CHECK (length(receipt_salt) = 16),
    receipt_hash   BLOB    NOT NULL CHECK (length(receipt_hash) = 32),
    category       TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('new', 'in_review', 'forwarded', 'resolved', 'rejected')),
    sealed         INTEGER NOT NULL CHECK (sealed IN (0, 1)),
    body           BLOB    NOT NULL,                  -- ciphertext of the description
    announced      INTEGER NOT NULL DEFAULT 0 CHECK (announced IN (0, 1)),  -- counted in a digest
    filed_on       TEXT    NOT NULL CHECK (filed_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    updated_on     TEXT    NOT NULL CHECK (updated_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    closed_on      TEXT             CHECK (closed_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    CHECK ((status IN ('resolved', 'rejected')) = (closed_on IS NOT NULL))
) WITHOUT ROWID;

CREATE INDEX reports_by_closed ON reports (closed_on) WHERE closed_on IS NOT NULL;

-- Follow-ups and files from the reporter, replies from moderators, in per-report order.
CREATE TABLE report_items (
    report_id TEXT    NOT NULL REFERENCES reports (report_id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL CHECK (seq >= 1),
    kind      TEXT    NOT NULL CHECK (kind IN ('followup', 'file', 'reply')),
    content   BLOB    NOT NULL,                       -- ciphertext (files: name, type, bytes)
    added_on  TEXT    NOT NULL CHECK (added_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    PRIMARY KEY (report_id, seq)
) WITHOUT ROWID;

-- Append-only, hash-chained log of moderator actions (storage/audit.py). Actors are
-- pseudonyms or "cli", never Telegram ids. The triggers refuse edits through SQL; the
-- chain catches edits made to the file itself.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    at        TEXT    NOT NULL,                       -- UTC, ISO 8601 to the second
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    details   TEXT    NOT NULL,                       -- canonical JSON
    prev_hash TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT    NOT NULL CHECK (length(hash) = 64)
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
