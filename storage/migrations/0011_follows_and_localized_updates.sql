-- 0011: following one recommendation, and updates written in several languages.
--
-- recommendation_follows holds a raw chat id, like subscriptions: it is opt-in, written in
-- shuffled batches and the table rewritten in random order (storage.identity_batches), with
-- no date, no pseudonym and nothing that points at an answer. No foreign key points at it
-- and it points at none, so the rewrite never cascades.
CREATE TABLE recommendation_follows (
    recommendation_id TEXT    NOT NULL,
    chat_id           INTEGER NOT NULL,
    -- The bot language the follower read when following, so updates reach them in it.
    language          TEXT,
    PRIMARY KEY (recommendation_id, chat_id)
) WITHOUT ROWID;

CREATE INDEX recommendation_follows_by_chat ON recommendation_follows (chat_id);

-- An announcement may carry a text per locale (a JSON object language -> text); ``body``
-- stays the text for every other language. A status change of a recommendation is an
-- announcement too: its text is written at delivery, in each reader's language, from
-- ``recommendation_id`` and ``status``.
ALTER TABLE announcements ADD COLUMN texts TEXT CHECK (texts IS NULL OR texts GLOB '{*}');
ALTER TABLE announcements ADD COLUMN recommendation_id TEXT;
ALTER TABLE announcements ADD COLUMN status TEXT;
