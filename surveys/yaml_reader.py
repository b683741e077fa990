"""A PyYAML loader that reads question marks in ``{en: Why?, fr: Pourquoi ?}`` as text.

PyYAML follows YAML 1.1, where a plain (unquoted) scalar inside ``{...}``/``[...]`` stops
at ``?``; YAML 1.2 only stops at ``, [ ] { }``. Survey labels are questions, and French
puts a space before ``?``, so the 1.1 rule would reject most one-line translations,
including the example in DESIGN.md. This loader changes that one rule and nothing else.
"""

from __future__ import annotations

import yaml
from yaml.tokens import ScalarToken

__all__ = ["SurveyYamlLoader"]

_BREAKS = "\0 \t\r\n\x85\u2028\u2029"


class SurveyYamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2's plain scalars in flow collections."""

    def scan_plain(self) -> ScalarToken:  # type: ignore[override]
        """PyYAML's ``Scanner.scan_plain`` (MIT licence), with ``?`` no longer a stop.

        Kept line for line with the original so that a PyYAML upgrade is easy to compare.
        """
        chunks: list[str] = []
        start_mark = self.get_mark()
        end_mark = start_mark
        indent = self.indent + 1
        spaces: list[str] | None = []
        while True:
            length = 0
            if self.peek() == "#":
                break
            while True:
                ch = self.peek(length)
                if (
                    ch in _BREAKS
                    or (ch == ":" and self.peek(length + 1) in _BREAKS + (",[]{}" if self.flow_level else ""))
                    or (self.flow_level and ch in ",[]{}")
                ):
                    break
                length += 1
            if length == 0:
                break
            self.allow_simple_key = False
            chunks.extend(spaces or [])
            chunks.append(self.prefix(length))
            self.forward(length)
            end_mark = self.get_mark()
            spaces = self.scan_plain_spaces(indent, start_mark)
            if not spaces or self.peek() == "#" or (not self.flow_level and self.column < indent):
                break
        return ScalarToken("".join(chunks), True, start_mark, end_mark)
