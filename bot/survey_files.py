"""The survey files of ``CONSULTBOT_SURVEYS``, read and validated before the bot starts.

They are validated in full before polling begins, so an operator with a typo in a survey
sees every problem on the terminal and the bot does not start half-configured. They go
through the same loading entry point and limits as ``consultbot check`` and moderators'
uploads (:func:`surveys.loading.inspect_bytes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.cli_language import _
from surveys.loading import SURVEY_SUFFIXES, Problem, inspect_bytes, read_bounded
from surveys.model import Survey

__all__ = ["SurveyFile", "SurveyFilesError", "read_survey_files"]


@dataclass(frozen=True, slots=True)
class SurveyFile:
    """A validated survey and the exact bytes it came from (stored with each version)."""

    path: Path
    survey: Survey
    source: bytes


class SurveyFilesError(Exception):
    """Survey files have errors; ``problems`` holds every one, ready to print (in the
    operator's language: :mod:`bot.cli_language`)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_survey_files(directory: Path) -> list[SurveyFile]:
    """Read every ``.yaml``/``.yml``/``.xlsx`` file of ``directory`` (not recursively).

    Raises:
        SurveyFilesError: The directory is missing, two files define the same survey id,
            or any file has errors (all of them are listed, not just the first).
    """
    if not directory.is_dir():
        raise SurveyFilesError([_("{dir}: CONSULTBOT_SURVEYS is not a directory").format(
            dir=directory)])
    problems: list[str] = []
    files: list[SurveyFile] = []
    seen: dict[str, Path] = {}
    paths = sorted(p for p in directory.iterdir()
                   if p.is_file() and p.suffix.lower() in SURVEY_SUFFIXES
                   and not p.name.startswith(("~$", ".")))  # editor lock files
    for path in paths:
        try:
            data = read_bounded(path)  # a huge file is refused by size, not read whole
        except OSError as error:
            problems.append(_("{path}: cannot read the file: {reason}").format(
                path=path, reason=error.strerror))
            continue
        result = inspect_bytes(data, str(path))
        errors: list[Problem] = list(result.errors)
        problems.extend(problem.render(_) for problem in errors)
        if result.survey is None:
            continue
        survey = result.survey
        if survey.id in seen:
            problems.append(_("{path}: survey id {id!r} is already defined in {other}").format(
                path=path, id=survey.id, other=seen[survey.id]))
            continue
        seen[survey.id] = path
        files.append(SurveyFile(path, survey, data))
    if problems:
        raise SurveyFilesError(problems)
    return files
