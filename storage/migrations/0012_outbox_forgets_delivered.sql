-- 0012: the outbox keeps a chat id only while its message waits. Delivered and failed
-- messages become counters on their announcement: the rows kept after sending told which
-- announcements each chat received, so when it subscribed, and people subscribe right
-- after they answer.
ALTER TABLE announcements ADD COLUMN sent INTEGER NOT NULL DEFAULT 0 CHECK (sent >= 0);
ALTER TABLE announcements ADD COLUMN failed INTEGER NOT NULL DEFAULT 0 CHECK (failed >= 0);
UPDATE announcements SET
    sent = (SELECT count(*) FROM outbox o
            WHERE o.announcement_id = announcements.announcement_id AND o.state = 'sent'),
    failed = (SELECT count(*) FROM outbox o
              WHERE o.announcement_id = announcements.announcement_id AND o.state = 'failed');
DELETE FROM outbox WHERE state IN ('sent', 'failed');
