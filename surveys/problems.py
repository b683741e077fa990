"""Problems found in a survey definition, with the place an author must look.

Loaders and validation collect problems instead of stopping at the first one, so an
author fixes a whole file in one pass (as pyxform does). Each problem has a stable
``code`` for tests and tooling, and a translatable :class:`~surveys.messages.Message`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from surveys.messages import N_, Message

__all__ = ["Problem", "ProblemList", "SurveyDefinitionError"]

Severity = Literal["error", "warning"]
LocationKind = Literal["row", "line"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One error or warning in a survey file.

    ``kind`` is ``"row"`` for spreadsheets (the row as the spreadsheet shows it, the
    header being row 1) and ``"line"`` for YAML (1-based). ``number`` is ``None`` for
    problems about the file as a whole (unreadable, wrong type).
    """

    filename: str
    kind: LocationKind
    number: int | None
    message: Message
    code: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        """Whether this problem stops the survey from loading."""
        return self.severity == "error"

    def render(self, gettext: Callable[[str], str] = lambda s: s) -> str:
        """``FILE: row N: message`` (or ``line N``), warnings marked ``warning:``."""
        parts = [self.filename]
        if self.number is not None:
            parts.append(f"{self.kind} {self.number}")
        if self.severity == "warning":
            parts.append(gettext(N_("warning")))
        parts.append(self.message.render(gettext))
        return ": ".join(parts)

    def __str__(self) -> str:
        return self.render()


class ProblemList:
    """Collects problems for one file while a loader or the validator runs."""

    __slots__ = ("filename", "kind", "problems")

    def __init__(self, filename: str, kind: LocationKind) -> None:
        self.filename = filename
        self.kind = kind
        self.problems: list[Problem] = []

    def error(self, number: int | None, code: str, template: str, **params: object) -> None:
        """Record an error at ``number`` (row or line)."""
        self.problems.append(Problem(self.filename, self.kind, number, Message(template, params), code, "error"))

    def warning(self, number: int | None, code: str, template: str, **params: object) -> None:
        """Record a warning: shown to the author, but the survey still loads."""
        self.problems.append(Problem(self.filename, self.kind, number, Message(template, params), code, "warning"))

    @property
    def has_errors(self) -> bool:
        """Whether any recorded problem is an error."""
        return any(problem.is_error for problem in self.problems)


class SurveyDefinitionError(ValueError):
    """A survey file has errors; ``problems`` lists all of them (and any warnings)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        errors = [str(problem) for problem in self.problems if problem.is_error]
        super().__init__("\n".join(errors) or "invalid survey definition")
