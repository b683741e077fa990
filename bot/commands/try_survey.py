"""``consultbot try FILE``: take a survey in the terminal, exactly as the bot asks it.

The walk uses the same engine functions as the Telegram handlers (``next_question``,
``parse_answer`` and the same error messages), so an author can rehearse skip logic and
constraints before publishing. It reads answers line by line, so it also works with a
piped script of answers, which is how the tests drive it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.cli_language import _
from bot.cli_language import _ as operator_text
from surveys.engine import (
    InvalidAnswer,
    available_choices,
    calculated_values,
    format_answer,
    next_question,
    parse_answer,
    relevant_answers,
)
from surveys.loading import SurveyDefinitionError, load_survey
from surveys.model import Answer, Question, QuestionType, Survey, Text

__all__ = ["add_parser", "run"]

Gettext = Callable[[str], str]


class InputEnded(Exception):
    """Standard input ended before the survey was complete."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # argparse's private class is generic only in typeshed
    """Register ``try``."""
    parser = subparsers.add_parser(
        "try",
        help=_("walk through a survey in the terminal, as the bot would ask it"),
        description=_(
            "Ask the questions of a survey file in the terminal with the bot's own skip logic and "
            "validation, then print the answers. Empty input skips an optional question. "
            "Answers may be piped on standard input, one per line."
        ),
    )
    parser.add_argument("file", metavar="FILE", type=Path, help=_("a .yaml, .yml or .xlsx survey file"))
    parser.add_argument("--lang", metavar="L", default=None, help=_("survey language to use (default: the survey's first)"))


def run(args: argparse.Namespace) -> int:
    """Walk the survey; 0 when completed, 1 on a broken file or input that ends early."""
    from bot.i18n import load_translations

    try:
        survey = load_survey(args.file)
    except SurveyDefinitionError as error:
        for problem in error.problems:
            print(problem.render(operator_text), file=sys.stderr)
        return 1
    language = survey.language_for(args.lang)
    # From here on the survey's language, as the bot would speak it to a participant.
    _ = load_translations().translator(language).gettext
    if args.lang and args.lang != language:
        print(
            _("The survey is not available in '{wanted}'; using '{language}'.").format(wanted=args.lang, language=language),
            file=sys.stderr,
        )
    terminal = _Terminal(survey, language, _, sys.stdin, sys.stdout)
    try:
        answers = terminal.walk()
    except InputEnded:
        print(_("Input ended before the survey was complete."), file=sys.stderr)
        return 1
    terminal.show_answers(answers)
    return 0


class _Terminal:
    """One participant's session: shows questions, reads lines, keeps the answers."""

    __slots__ = ("_", "echo", "language", "stdin", "stdout", "survey")

    def __init__(self, survey: Survey, language: str, gettext: Gettext, stdin: TextIO, stdout: TextIO) -> None:
        self.survey = survey
        self.language = language
        self._ = gettext
        self.stdin = stdin
        self.stdout = stdout
        # With piped input nothing echoes the answers; print them so the transcript reads well.
        self.echo = not stdin.isatty()

    def text(self, text: Text) -> str:
        return text.get(self.language, self.survey.default_language)

    def say(self, line: str = "") -> None:
        print(line, file=self.stdout)

    def walk(self) -> dict[str, Answer]:
        """Ask every relevant question in order; returns the answers by question id."""
        _ = self._
        self.say(self.text(self.survey.title))
        self.say("=" * min(len(self.text(self.survey.title)), 72))
        answers: dict[str, Answer] = {}
        after: str | None = None
        while (question := next_question(self.survey, answers, after)) is not None:
            self.say()
            self.say(self.text(question.label))
            if question.hint:
                self.say(f"  ({self.text(question.hint)})")
            if question.waits_for_answer:
                answers[question.id] = self.ask(question, answers)
            after = question.id
        self.say()
        self.say(_("End of the survey."))
        return answers

    def ask(self, question: Question, answers: dict[str, Answer]) -> Answer:
        """Show how to answer, then read lines until one is accepted."""
        _ = self._
        # The same choices, in the same order, as the bot's buttons (choice_filter applied).
        for number, choice in enumerate(available_choices(question, answers), start=1):
            self.say(f"  {number}. {self.text(choice.label)}")
        self.say(self.instructions(question))
        while True:
            raw = self.read()
            try:
                return parse_answer(question, raw, answers, language=self.language, default_language=self.survey.default_language)
            except InvalidAnswer as error:
                self.say(_("Not accepted: {reason}").format(reason=error.message.render(_)))

    def instructions(self, question: Question) -> str:
        _ = self._
        match question.type:
            case QuestionType.SINGLE:
                how = _("Enter the number of one option.")
            case QuestionType.MULTI:
                how = _("Enter the numbers of your choices, separated by commas (for example 1,3).")
            case QuestionType.SCALE:
                how = _("Enter a number from {min} to {max}.").format(min=question.min, max=question.max)
            case QuestionType.NUMBER:
                how = _("Enter a whole number.") if question.integer else _("Enter a number.")
            case QuestionType.DATE:
                how = _("Enter a date as YYYY-MM-DD.")
            case _:
                how = _("Type your answer.")
        if not question.required:
            how += " " + _("Press Enter to skip.")
        return how

    def read(self) -> str:
        print("> ", end="", file=self.stdout, flush=True)
        line = self.stdin.readline()
        if not line:
            self.say()
            raise InputEnded
        if self.echo:
            self.say(line.rstrip("\n"))
        return line.rstrip("\r\n")

    def show_answers(self, answers: dict[str, Answer]) -> None:
        """The review the bot shows before "Submit": question id and readable answer."""
        self.say()
        self.say(self._("Your answers:"))
        kept = relevant_answers(self.survey, answers)
        for question in self.survey.questions:
            if question.id in kept:
                formatted = format_answer(question, kept[question.id], self.language, self.survey.default_language)
                self.say(f"{question.id}: {formatted}")
        # Calculations are never stored; show what they came to, to rehearse the logic.
        for name, value in calculated_values(self.survey, answers).items():
            self.say(self._("Calculated: {name} = {value}").format(name=name, value=value))
