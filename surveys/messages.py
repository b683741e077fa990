"""Translatable messages produced by the pure survey domain.

The domain never knows the participant's language, so it cannot call gettext itself.
Instead it returns a :class:`Message`: an English template with named placeholders plus
its parameters. The handler (or the CLI) renders it with the translator of the person
reading it. Templates are wrapped in :func:`N_` so that ``pybabel extract -k N_`` puts
them in the catalog even though they are translated later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["N_", "Message"]


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now.

    Args:
        message: An English template.

    Returns:
        ``message`` unchanged; translation happens in :meth:`Message.render`.
    """
    return message


@dataclass(frozen=True, slots=True)
class Message:
    """An English template and the values of its ``{placeholders}``.

    Kept as data (not a pre-formatted string) so a French moderator and an Arabic
    participant each read the same domain error in their own language.
    """

    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def render(self, gettext: Callable[[str], str] = lambda s: s) -> str:
        """Translate the template with ``gettext``, then fill in the parameters.

        Args:
            gettext: The reader's translation function; identity gives English.

        Returns:
            The finished text. A translation with a broken placeholder falls back to
            the English template (and that to the raw template) rather than failing in
            front of a user.
        """
        translated = gettext(self.template)
        for template in (translated, self.template):
            try:
                return template.format(**self.params)
            except (KeyError, IndexError, ValueError, AttributeError):
                continue
        return self.template

    def __str__(self) -> str:
        return self.render()
