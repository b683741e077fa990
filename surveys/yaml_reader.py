"""A PyYAML loader for survey files: YAML 1.2 plain scalars, and bounded work.

PyYAML follows YAML 1.1, where a plain (unquoted) scalar inside ``{...}``/``[...]`` stops
at ``?``; YAML 1.2 only stops at ``, [ ] { }``. Survey labels are questions, and French
puts a space before ``?``, so the 1.1 rule would reject most one-line translations such as
``{en: Why?, fr: Pourquoi ?}``. This loader changes that one rule.

It also bounds what a hostile file can make it do, while composing (before any node is
built beyond the limit): aliases (``*name``) are refused altogether, since survey files
have no use for them and they are how a small file expands to gigabytes ("billion
laughs"); nesting is limited to :data:`~surveys.limits.MAX_NESTING` levels (PyYAML
composes recursively, so a deeper file would exhaust the recursion limit), and the number
of nodes to :data:`~surveys.limits.MAX_YAML_NODES`.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import Node
from yaml.tokens import ScalarToken

from surveys.limits import MAX_NESTING, MAX_YAML_NODES
from surveys.messages import N_, Message

__all__ = ["SurveyYamlLoader", "YamlLimitError"]


class YamlLimitError(yaml.MarkedYAMLError):
    """The file uses an alias or is bigger or deeper than a survey file may be."""

    def __init__(self, code: str, message: Message, mark: Any) -> None:
        super().__init__(problem=message.render(), problem_mark=mark)
        self.code = code
        self.message = message

_BREAKS = "\0 \t\r\n\x85\u2028\u2029"


class SurveyYamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2's plain scalars in flow collections, and limits."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        """PyYAML's ``compose_node``, refusing aliases and counting depth and nodes."""
        if self.check_event(AliasEvent):
            mark = self._mark()
            raise YamlLimitError("yaml-alias", Message(N_("YAML aliases (*name) are not allowed in survey files: write the value out")), mark)
        self._depth += 1
        self._nodes += 1
        if self._depth > MAX_NESTING:
            mark = self._mark()
            raise YamlLimitError("too-deep", Message(N_("the file is nested more than {limit} levels deep"), {"limit": MAX_NESTING}), mark)
        if self._nodes > MAX_YAML_NODES:
            mark = self._mark()
            raise YamlLimitError("too-many-nodes", Message(N_("the file has more than {limit} values"), {"limit": MAX_YAML_NODES}), mark)
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type]  # the stubs type index as int; PyYAML also passes mapping keys
        finally:
            self._depth -= 1

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        """Refuse deep ``[[[…`` / ``{{{…`` in the scanner already.

        PyYAML keeps a possible simple key per open flow level and re-examines them all for
        every token, so thousands of levels would cost seconds before composing began.
        """
        if self.flow_level >= MAX_NESTING:
            raise YamlLimitError("too-deep", Message(N_("the file is nested more than {limit} levels deep"), {"limit": MAX_NESTING}), self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def _mark(self) -> Any:
        return self.peek_event().start_mark  # type: ignore[no-untyped-call]  # PyYAML's stubs leave it untyped

    def scan_plain(self) -> ScalarToken:
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
