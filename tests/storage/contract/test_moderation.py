"""Contract: moderators, update subscriptions and the announcement outbox."""

from __future__ import annotations

from storage import Storage
from storage.outbox import DeliveryState


async def test_moderators_are_added_listed_and_removed(storage: Storage) -> None:
    assert await storage.moderators.add(42, added_by=1)
    assert not await storage.moderators.add(42, added_by=1)
    assert await storage.moderators.is_moderator(42)
    assert not await storage.moderators.is_moderator(43)
    [moderator] = await storage.moderators.list()
    assert (moderator.user_id, moderator.added_by) == (42, 1)
    assert await storage.moderators.ids() == [42]
    assert await storage.moderators.remove(42)
    assert not await storage.moderators.remove(42)
    assert await storage.moderators.ids() == []


async def test_subscriptions(storage: Storage) -> None:
    assert await storage.subscriptions.subscribe("s1", 100)
    assert not await storage.subscriptions.subscribe("s1", 100)
    await storage.subscriptions.subscribe("s2", 100)
    await storage.subscriptions.subscribe("s1", 200)
    assert await storage.subscriptions.surveys_of(100) == ["s1", "s2"]
    assert await storage.subscriptions.count("s1") == 2
    assert await storage.subscriptions.unsubscribe("s1", 100)
    assert not await storage.subscriptions.is_subscribed("s1", 100)
    assert await storage.subscriptions.forget_chat(100) == 1
    assert await storage.subscriptions.surveys_of(100) == []


async def test_announce_queues_exactly_the_subscribers_of_that_survey(storage: Storage) -> None:
    for chat in (1, 2, 3):
        await storage.subscriptions.subscribe("s1", chat)
    await storage.subscriptions.subscribe("other", 9)
    announcement = await storage.outbox.announce("s1", "We took up your proposal.")
    assert announcement.recipients == 3
    due = await storage.outbox.due(now=0.0)
    assert sorted(item.chat_id for item in due) == [1, 2, 3]
    assert {item.body for item in due} == {"We took up your proposal."}
    await storage.subscriptions.subscribe("s1", 4)  # after the announcement: not queued
    assert len(await storage.outbox.due(now=0.0)) == 3


async def test_claimed_messages_are_never_handed_out_twice(storage: Storage) -> None:
    for chat in (1, 2, 3):
        await storage.subscriptions.subscribe("s1", chat)
    announcement = await storage.outbox.announce("s1", "Update")
    first, second, third = await storage.outbox.due(now=0.0)
    assert await storage.outbox.claim(first)
    assert not await storage.outbox.claim(first)
    await storage.outbox.mark_sent(first)
    assert await storage.outbox.claim(second)  # ... and the bot dies before marking it
    assert await storage.outbox.abandon_interrupted() == 1
    await storage.outbox.claim(third)
    await storage.outbox.retry_at(third, when=100.0)
    assert await storage.outbox.due(now=50.0) == []
    assert [i.chat_id for i in await storage.outbox.due(now=100.0)] == [third.chat_id]
    counts = await storage.outbox.counts(announcement.announcement_id)
    assert counts == {DeliveryState.SENT: 1, DeliveryState.FAILED: 1, DeliveryState.PENDING: 1}


async def test_unsubscribing_drops_pending_updates_and_past_updates_are_listed(
        storage: Storage) -> None:
    await storage.subscriptions.subscribe("s1", 1)
    await storage.outbox.announce("s1", "First")
    await storage.outbox.announce("s1", "Second")
    assert [a.body for a in await storage.outbox.announcements(["s1"])] == ["Second", "First"]
    await storage.subscriptions.unsubscribe("s1", 1)
    assert await storage.outbox.due(now=0.0) == []


async def test_a_subscription_keeps_the_language_the_subscriber_read(storage: Storage) -> None:
    assert await storage.subscriptions.language_of(100) is None
    await storage.subscriptions.subscribe("s1", 100, language="fr")
    await storage.subscriptions.subscribe("s2", 100)  # no language: the known one stays
    assert await storage.subscriptions.language_of(100) == "fr"
    await storage.subscriptions.subscribe("s2", 100, language="sw")  # the latest one wins
    assert await storage.subscriptions.language_of(100) == "sw"
    assert await storage.subscriptions.is_subscribed("s2", 100)


async def test_forgetting_a_chat_drops_its_undelivered_updates(storage: Storage) -> None:
    await storage.subscriptions.subscribe("s1", 1)
    await storage.subscriptions.subscribe("s1", 2)
    await storage.outbox.announce("s1", "News")
    assert await storage.subscriptions.forget_chat(1) == 1
    assert [item.chat_id for item in await storage.outbox.due(now=0.0)] == [2]
    assert await storage.subscriptions.forget_chat(1) == 0


async def test_a_failed_delivery_is_not_retried(storage: Storage) -> None:
    await storage.subscriptions.subscribe("s1", 1)
    announcement = await storage.outbox.announce("s1", "News")
    [item] = await storage.outbox.due(now=0.0)
    assert await storage.outbox.claim(item)
    await storage.outbox.mark_failed(item)
    assert await storage.outbox.due(now=1e12) == []
    assert await storage.outbox.counts(announcement.announcement_id) == {DeliveryState.FAILED: 1}
