-- 0007 report keys: each report's own public key.
--
-- A report filed from now on has a key pair derived from its receipt code with Argon2id
-- (storage/reporter_keys.py). Only the public half and the derivation's salt and cost are
-- stored: moderator replies are sealed to that key, so in sealed mode the server cannot
-- read them; the reporter re-derives the private half from the receipt in /status.
-- Reports filed before this migration have NULLs here; their replies stay server-readable.
--
-- Notes are the moderators' internal remarks on a report. They live in their own table,
-- never in report_items, so no query for the reporter's /status can ever return one.
-- Like everything else they are ciphertexts (sealed to the moderators in sealed mode).

ALTER TABLE reports ADD COLUMN reporter_key BLOB CHECK (reporter_key IS NULL OR length(reporter_key) = 32);
ALTER TABLE reports ADD COLUMN reporter_salt BLOB CHECK (reporter_salt IS NULL OR length(reporter_salt) = 16);
ALTER TABLE reports ADD COLUMN reporter_kdf TEXT CHECK (reporter_kdf IS NULL OR reporter_kdf GLOB 'argon2id13:*');

-- report_notes itself is created by 0006 (moderator roles), which routes notes by category.
