"""Loading survey files: pick the reader by extension, validate, report every problem.

:func:`inspect_bytes` is the one entry point the rest of consultbot uses (``consultbot
check`` and ``try``, the moderators' upload and the surveys directory read at start-up),
so every survey, wherever it comes from, is held to the same limits
(:mod:`surveys.limits`) and the same checks. It never raises for a bad file: whatever the
bytes, the result is a survey or a list of problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from surveys.calculations import substitute_calculations
from surveys.limits import MAX_FILE_BYTES
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
    "inspect_file",
    "load_survey",
    "load_survey_bytes",
    "read_bounded",
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
    if len(data) > MAX_FILE_BYTES:
        problems = ProblemList(filename, "row" if suffix == ".xlsx" else "line")
        problems.error(
            None, "file-too-large",
            N_("the file is larger than {limit} KB, the most a survey file may be"), limit=MAX_FILE_BYTES // 1024,
        )
        draft = None
    elif suffix in (".yaml", ".yml"):
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
    survey: Survey | None = None
    if draft is not None:
        validate_survey(draft.survey, problems, draft.locations, title_translatable=draft.title_translatable)
        if not problems.has_errors:
            survey = substitute_calculations(draft.survey, problems)
    if problems.has_errors:
        survey = None
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


def read_bounded(path: Path) -> bytes:
    """A file's bytes, but never more than one byte over :data:`MAX_FILE_BYTES`.

    Enough for :func:`inspect_bytes` to say the file is too large, without reading a
    gigabyte someone left in the surveys directory.

    Raises:
        OSError: The file cannot be read.
    """
    with path.open("rb") as file:
        return file.read(MAX_FILE_BYTES + 1)


def inspect_file(path: str | Path) -> LoadResult:
    """Like :func:`inspect_bytes`, for a file on disk; an unreadable file is a problem too."""
    return _inspect_path(Path(path))


def _inspect_path(path: Path) -> LoadResult:
    try:
        data = read_bounded(path)
    except OSError as error:
        problems = ProblemList(str(path), "line")
        problems.error(None, "unreadable", N_("cannot read the file: {reason}"), reason=error.strerror or str(error))
        return LoadResult(None, tuple(problems.problems))
    return inspect_bytes(data, str(path))
