"""Who may do what: moderator roles, their permissions, and the second-factor rule.

Three roles, after the separation of duties of GlobaLeaks and SecureDrop:

* ``admin`` manages moderators, reads the audit log, and may do everything else;
  the ids in ``CONSULTBOT_ADMINS`` are admins.
* ``analyst`` uploads, publishes, closes and announces surveys, reads summaries and exports,
  and makes invite codes; they never see a report.
* ``handler`` triages reports, limited to some categories when given (``handler:wages``),
  and never sees survey results.

Every moderator command and button calls :func:`require` (handlers through the
``moderator_only`` decorator of ``handlers.moderation.access``), which reads the role from
storage on every call: a moderator removed or demoted loses access with their next update.
Actions that expose content or change who moderates also need a fresh second factor
(:mod:`bot.second_factor`). Other features (raw exports in :mod:`bot.publication`, the
CLI) call :func:`require` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.second_factor import has_factor, is_fresh

if TYPE_CHECKING:
    from bot.context import Services

__all__ = [
    "ROLE_PERMISSIONS",
    "AccessDenied",
    "Grant",
    "Permission",
    "Role",
    "SecondFactorNeeded",
    "grant_of",
    "parse_role",
    "require",
]


class Role(StrEnum):
    """A moderator's role."""

    ADMIN = "admin"
    ANALYST = "analyst"
    HANDLER = "handler"


class Permission(StrEnum):
    """What a command needs."""

    #: /addmod, /delmod, /mods, resetting another moderator's second factor.
    MANAGE_MODERATORS = "manage_moderators"
    #: /audit.
    READ_AUDIT = "read_audit"
    #: Uploading, publishing, closing, announcing surveys; invite codes and access modes.
    MANAGE_SURVEYS = "manage_surveys"
    #: /summary and /export.
    READ_RESULTS = "read_results"
    #: /reports: listing, opening, status, replies, notes, assignment (own categories).
    HANDLE_REPORTS = "handle_reports"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset({Permission.MANAGE_SURVEYS, Permission.READ_RESULTS}),
    Role.HANDLER: frozenset({Permission.HANDLE_REPORTS}),
}


@dataclass(frozen=True, slots=True)
class Grant:
    """A moderator's role as it stands now.

    Attributes:
        user_id: The moderator's Telegram id (never stored beside anything else).
        role: Their role.
        categories: The report categories a handler is limited to; empty: every one.
    """

    user_id: int
    role: Role
    categories: tuple[str, ...] = ()

    def allows(self, permission: Permission) -> bool:
        """Whether the role includes ``permission``."""
        return permission in ROLE_PERMISSIONS[self.role]

    def handles(self, category: str) -> bool:
        """Whether this moderator handles reports of ``category``."""
        return self.allows(Permission.HANDLE_REPORTS) and (
            not self.categories or category in self.categories)

    @property
    def report_categories(self) -> tuple[str, ...] | None:
        """The categories to list reports of; ``None`` means every category."""
        return self.categories or None


class AccessDenied(Exception):
    """Not a moderator, or not in a role that may do this: the one uniform refusal."""


class SecondFactorNeeded(Exception):
    """Allowed, but a fresh second-factor code is needed first.

    Attributes:
        enrolled: Whether the moderator has a factor (else they must set one up).
    """

    def __init__(self, enrolled: bool) -> None:
        super().__init__("a fresh second-factor code is needed")
        self.enrolled = enrolled


def parse_role(text: str) -> tuple[Role, tuple[str, ...]] | None:
    """``analyst``, ``admin``, ``handler`` or ``handler:wages,safety``; ``None`` otherwise."""
    name, _, rest = text.strip().lower().partition(":")
    try:
        role = Role(name)
    except ValueError:
        return None
    categories = tuple(dict.fromkeys(c.strip() for c in rest.split(",") if c.strip()))
    if categories and role is not Role.HANDLER:
        return None
    if rest and not categories:
        return None
    return role, categories


async def grant_of(services: Services, user_id: int) -> Grant | None:
    """The role of ``user_id`` now, or ``None`` if they are not a moderator."""
    if user_id in services.settings.admins:
        return Grant(user_id, Role.ADMIN)
    moderator = await services.storage.moderators.get(user_id)
    if moderator is None:
        return None
    return Grant(user_id, Role(moderator.role), moderator.categories)


async def require(services: Services, user_id: int, permission: Permission | None, *,
                  fresh_2fa: bool = False, category: str | None = None) -> Grant:
    """The grant of ``user_id`` if they may do this now.

    Args:
        services: The bot's services.
        user_id: Who asks.
        permission: What the action needs; ``None``: any moderator role.
        fresh_2fa: The action exposes content or changes who moderates: a code typed
            within ``moderator_2fa_fresh_minutes`` is needed. A moderator without a factor
            passes only when ``moderator_2fa_required`` is off.
        category: For report actions, the report's category.

    Raises:
        AccessDenied: Not a moderator, not allowed, or not a handler of ``category``.
        SecondFactorNeeded: Allowed, but no fresh code.
    """
    grant = await grant_of(services, user_id)
    if grant is None or (permission is not None and not grant.allows(permission)):
        raise AccessDenied
    if category is not None and permission is Permission.HANDLE_REPORTS \
            and not grant.handles(category):
        raise AccessDenied
    if fresh_2fa and not is_fresh(services, user_id):
        enrolled = await has_factor(services, user_id)
        if enrolled or services.settings.moderator_2fa_required:
            raise SecondFactorNeeded(enrolled)
    return grant
