-- 0005: the language an update subscriber reads, so "you said, we did" updates reach them
-- in it. Only the bot's language for that chat is kept: the subscription still points at
-- no response, report or date.
ALTER TABLE subscriptions ADD COLUMN language TEXT;
