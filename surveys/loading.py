"""Loading survey files: pick the reader by extension, validate, report every problem.

This is the only entry point the rest of consultbot uses (the ``check``/``try``
commands, the moderators' upload handler and the surveys directory loaded at start).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from surveys.messages import N_
from surveys.model import Survey
from surveys.problems import Problem, ProblemList, SurveyDefinitionError
from surveys.validation import validate_survey
from surveys.yaml_loader import DraftSurvey, read_yaml

__all__ = [
    "SURVEY_SUFFIXES",
    "LoadResult",
    "Problem",
    "SurveyDefinitionError",
    "check_file",
    "inspect_bytes",
    "load_survey",
    "load_survey_bytes",
]

#: File name endings consultbot reads as survey definitions.
SURVEY_SUFFIXES = (".yaml", ".yml", ".xlsx")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A survey (``None`` if it has errors) and every problem found, warnings included."""

    survey: Survey | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Only the problems that stop the survey from loading."""
        return tuple(problem for problem in self.problems if problem.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems worth fixing that do not stop the survey from loading."""
        return tuple(problem for problem in self.problems if not problem.is_error)


def inspect_bytes(data: bytes, filename: str) -> LoadResult:
    """Read and validate a survey file's content without raising.

    Args:
        data: The file's bytes.
        filename: Its name, used for the format (by extension) and in messages.
    """
    suffix = Path(filename).suffix.lower()
    draft: DraftSurvey | None
    if suffix in (".yaml", ".yml"):
        draft, problems = read_yaml(data, filename)
    elif suffix == ".xlsx":
        from surveys.xlsform_loader import read_xlsform  # pyxform/openpyxl are slow to import

        draft, problems = read_xlsform(data, filename)
    else:
        problems = ProblemList(filename, "line")
        problems.error(
            None, "unknown-format",
            N_("not a survey file: expected a name ending in .yaml, .yml or .xlsx (XLSForm)"),
        )
        draft = None
    if draft is not None:
        validate_survey(draft.survey, problems, draft.locations, title_translatable=draft.title_translatable)
    survey = draft.survey if draft is not None and not problems.has_errors else None
    return LoadResult(survey, tuple(problems.problems))


def load_survey_bytes(data: bytes, filename: str) -> Survey:
    """Load a survey from a file's content.

    Raises:
        SurveyDefinitionError: With all problems, when there is at least one error.
    """
    result = inspect_bytes(data, filename)
    if result.survey is None:
        raise SurveyDefinitionError(result.problems)
    return result.survey


def load_survey(path: str | Path) -> Survey:
    """Load a survey file.

    Raises:
        SurveyDefinitionError: When the file cannot be read or has errors.
    """
    result = _inspect_path(Path(path))
    if result.survey is None:
        raise SurveyDefinitionError(result.problems)
    return result.survey


def check_file(path: str | Path) -> list[Problem]:
    """Every problem of a survey file (errors and warnings); empty when all is well."""
    return list(_inspect_path(Path(path)).problems)


def _inspect_path(path: Path) -> LoadResult:
    try:
        data = path.read_bytes()
    except OSError as error:
        problems = ProblemList(str(path), "line")
        problems.error(None, "unreadable", N_("cannot read the file: {reason}"), reason=error.strerror or str(error))
        return LoadResult(None, tuple(problems.problems))
    return inspect_bytes(data, str(path))
