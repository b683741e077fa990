-- 0013: the moderator list keeps no day. A raw Telegram id with the day it became a
-- moderator could be matched with the submission days of answers: someone made moderator
-- on a quiet day, right after answering, would be paired with that day's few responses.
-- The audit log keeps when a moderator was added, under a pseudonym only (storage/audit.py).
ALTER TABLE moderators DROP COLUMN added_on;
