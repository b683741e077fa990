"""The limits every survey file must respect, wherever it comes from.

A survey file comes from outside: a moderator's upload, a file in ``CONSULTBOT_SURVEYS``, a
file given to ``consultbot check``. :func:`surveys.loading.inspect_bytes` enforces these
limits before and while reading, so that any input up to :data:`MAX_FILE_BYTES` is read in
well under a few seconds and tens of megabytes, and is refused with a clear message
otherwise. The values are generous for real consultations (the largest KoboToolbox forms we
know of have a few hundred questions and a few thousand choices) and small enough that a
hostile file cannot stall the bot. README.md ("Limits of a survey file") lists them; change
both together.

Numbers a survey may compute with are bounded by :data:`MAX_NUMBER`, so that every bound,
answer and intermediate value the engine sees is a finite float without loss (2**53 > 10**15).
"""

from __future__ import annotations

__all__ = [
    "MAX_CHOICES",
    "MAX_CHOICES_PER_QUESTION",
    "MAX_CHOICE_LABEL_LENGTH",
    "MAX_EXPRESSION_DEPTH",
    "MAX_EXPRESSION_LENGTH",
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_NUMBER",
    "MAX_PROMPT_LENGTH",
    "MAX_QUESTIONS",
    "MAX_SHEET_ROWS",
    "MAX_TEXT_ANSWER_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_XLSX_MEMBERS",
    "MAX_XLSX_UNCOMPRESSED_BYTES",
    "MAX_YAML_NODES",
]

#: Largest survey file accepted (YAML or XLSX), in bytes.
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Largest total uncompressed size of the parts of an XLSX file (a ZIP archive), in bytes:
#: checked on the sizes the archive declares and again on the bytes actually inflated.
MAX_XLSX_UNCOMPRESSED_BYTES = 16 * 1024 * 1024
#: Most parts (files) in an XLSX archive; a workbook made by Excel or Kobo has about 15.
MAX_XLSX_MEMBERS = 200
#: Most rows in any sheet of an XLSForm (the header row included).
MAX_SHEET_ROWS = 10_000
#: Most YAML nodes (values, lists and mappings) in a YAML survey.
MAX_YAML_NODES = 50_000
#: Deepest nesting of YAML lists and mappings, or of XLSForm groups.
MAX_NESTING = 20
#: Most questions (notes and calculations included) in a survey.
MAX_QUESTIONS = 1_000
#: Most choices in a survey, all lists together.
MAX_CHOICES = 10_000
#: Most choices one question may show in a chat (Telegram buttons; a multi-select's answer
#: travels in 64-byte button data as one bit per choice). A single-select with a
#: ``choice_filter`` may have a longer list: it shows only the choices that pass the filter.
MAX_CHOICES_PER_QUESTION = 100
#: Longest expression (relevant, constraint, calculation, choice_filter), in characters,
#: after calculations are substituted into the expressions that use them.
MAX_EXPRESSION_LENGTH = 4_000
#: Deepest nesting of an expression (parentheses, function calls, operators in a chain).
MAX_EXPRESSION_DEPTH = 40
#: Longest question text: label plus hint in one language. A Telegram message holds 4,096
#: characters, and the bot adds the progress line and how to answer.
MAX_PROMPT_LENGTH = 3_500
#: Longest choice label (shown on a button) and survey title.
MAX_CHOICE_LABEL_LENGTH = 500
#: Longest other text (constraint message), in characters.
MAX_TEXT_LENGTH = 1_000
#: Largest ``max_length`` of a text question: a Telegram message holds 4,096 characters.
MAX_TEXT_ANSWER_LENGTH = 4_096
#: Largest absolute value of a number answer, a bound or a number in an expression.
MAX_NUMBER = 10**15
