-- 0009 unlinkable responses: a submitted response carries no pseudonym.
--
-- Until submission a response is a draft under the respondent pseudonym
-- (HMAC(key, survey id ‖ user id)), so a restart resumes it. Submitting deletes that draft and,
-- in the same transaction, stores the answers under a random id (64 hex characters drawn from
-- the OS, unrelated to any person) and writes a "has responded" marker under the pseudonym, so
-- one person answers once. With the key and a chat id one can find the marker (that a person
-- responded), never the answers. The marker has no date and no version: either would narrow
-- down which submitted response is theirs.
--
-- The participant may see or erase their submitted answers with a deletion code shown once at
-- submission; only its HMAC lookup value and a salted scrypt hash are stored (as for report
-- receipts, storage/receipts.py).

CREATE TABLE responded (
    survey_id      TEXT NOT NULL,
    respondent_key TEXT NOT NULL CHECK (length(respondent_key) = 64),
    PRIMARY KEY (survey_id, respondent_key)
) WITHOUT ROWID;

ALTER TABLE responses ADD COLUMN deletion_lookup BLOB;
ALTER TABLE responses ADD COLUMN deletion_salt BLOB;
ALTER TABLE responses ADD COLUMN deletion_hash BLOB;

CREATE UNIQUE INDEX responses_by_deletion_code ON responses (deletion_lookup)
    WHERE deletion_lookup IS NOT NULL;

-- Responses submitted before this migration: keep the marker, drop the pseudonym (replaced
-- by a random id) and every date but the submission day. No deletion code exists for them.
INSERT INTO responded (survey_id, respondent_key)
    SELECT survey_id, respondent_key FROM responses WHERE status = 'submitted';

UPDATE responses
   SET respondent_key = lower(hex(randomblob(32))),
       started_on = submitted_on,
       updated_on = submitted_on,
       current_question = NULL
 WHERE status = 'submitted';
