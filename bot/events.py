"""Domain events: something happened, said once by the service that made it happen.

A survey submitted or a report filed is announced here by the code that commits it, so no
other feature has to infer it (for instance by re-reading the button that was pressed).
Subscribers run in the order they subscribed, after the change is committed; the event
carries no more than they need (ARCHITECTURE.md, "Data flow").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["EventBus", "ReportFiled", "SurveySubmitted"]


@dataclass(frozen=True, slots=True)
class SurveySubmitted:
    """A participant's response to ``survey_id`` was submitted, now.

    ``user_id`` is held in memory for the subscribers of this one event (the opt-in offer
    for updates is sent to that private chat); it is never stored with the response.
    ``language`` is the bot language the participant reads.
    """

    survey_id: str
    user_id: int
    language: str


@dataclass(frozen=True, slots=True)
class ReportFiled:
    """A report was filed. Deliberately says nothing about who filed it or when."""

    report_id: str


Event = TypeVar("Event", SurveySubmitted, ReportFiled)


class EventBus:
    """Typed publish/subscribe within one application."""

    __slots__ = ("_subscribers",)

    def __init__(self) -> None:
        self._subscribers: dict[type[Any], list[Callable[[Any], Awaitable[None]]]] = {}

    def subscribe(self, kind: type[Event], subscriber: Callable[[Event], Awaitable[None]]) -> None:
        """Call ``subscriber`` with every published event of ``kind``."""
        self._subscribers.setdefault(kind, []).append(subscriber)

    async def publish(self, event: SurveySubmitted | ReportFiled) -> None:
        """Tell every subscriber of the event's type, in the order they subscribed."""
        for subscriber in self._subscribers.get(type(event), []):
            await subscriber(event)
