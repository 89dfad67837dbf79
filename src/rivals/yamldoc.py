"""YAML bytes -> a Document that remembers the line of every key and list item.

PyYAML's C parser builds the node tree; we turn nodes into plain Python values ourselves so
that we can (1) keep a line for every key and list item, (2) refuse duplicate keys instead of
silently keeping the last one, (3) keep plain scalars as the author's text (YAML 1.1 would turn
`license: NO` into False and `name: 1.10` into 1.1) and leave typing to the schema, and
(4) refuse unknown tags, recursive aliases and alias bombs.

Only a process that parses imports this module, and with it PyYAML (25 ms, most of it one
regular expression): a build's parsing is done by a child forked before (see load.ParseAhead).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any, ClassVar

import yaml
import yaml.reader

from rivals.load import MAX_FILE_BYTES, PLACEHOLDER, Document, Loc
from rivals.problems import Problem, field_path

MAX_DEPTH = 64
# Lines and commas a file may hold: a bound on its nodes, each of which takes hundreds of
# bytes while it is parsed (8 MB of `[a,a,a,...]` took 2.4 GB). 200,000 is a matches.yaml of
# 66,000 pairs (about 320 MB at its peak); a 2,000-entry benchmark catalog's has 18,000.
MAX_ITEMS = 200_000
MAX_ALIAS_REUSE = 10_000
_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD = "tag:yaml.org,2002:"
_TEXT_TAGS = {f"{_STD}{t}" for t in ("str", "int", "float", "bool", "timestamp")}
_NULLS = ("", "~", "null", "Null", "NULL")  # YAML 1.1's plain nulls


class _TextLoader(_BaseLoader):  # type: ignore[misc]
    """A safe loader whose only implicit type is null: every other plain scalar stays text."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag == f"{_STD}null"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    # What the resolver above decides, without a regular expression per scalar: the parser
    # asks for every node, and a catalog has tens of thousands. (Safe loaders have no path
    # resolvers, so descending and ascending the tree has nothing to track.)
    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0] and (
                value in _NULLS or (value[-1:] == "\n" and value[:-1] in _NULLS[1:])
            ):
                return f"{_STD}null"  # (the expression's `$` also matches before a last "\n")
            return f"{_STD}str"
        return f"{_STD}seq" if kind is yaml.SequenceNode else f"{_STD}map"

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class YamlError(Exception):
    """A file that cannot be read as YAML at all (or is too large, deep or aliased)."""

    def __init__(self, line: int, loc: Loc, message: str) -> None:
        super().__init__(message)
        # A deep path says little more than its first steps do.
        self.line, self.loc, self.message = line, loc[:3], message


def parse_document(shown: str, data: bytes) -> tuple[Document, list[Problem]]:
    """Parse YAML bytes into a Document and the problems that did not stop parsing.

    Raises YamlError when the file cannot be read as YAML at all.
    """
    if len(data) > MAX_FILE_BYTES:
        raise YamlError(1, (), f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    # (YAML also breaks lines at a lone CR, NEL, LINE and PARAGRAPH SEPARATOR.)
    breaks = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    breaks += data.count("\x85".encode()) + data.count("\u2028".encode())
    breaks += data.count("\u2029".encode())
    if breaks + data.count(b",") > MAX_ITEMS:
        raise YamlError(1, (), f"file has more than {MAX_ITEMS:,} lines and commas in all")
    text = _decode(data)
    line_of = _line_counter(text)
    try:
        loader = _TextLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        end = len(text.rstrip("\r\n"))  # a mark at the end of the file is on its last line

        def where(mark: Any) -> int:
            return line_of(mark) if mark.index < end else min(line_of(mark), _line_at(text, end))

        mark = err.problem_mark or err.context_mark
        line = where(mark) if mark is not None else 1
        context, opened = err.context, err.context_mark
        if (
            context
            and context.startswith("while ")
            and opened is not None
            and where(opened) != line
        ):
            context += f" that starts on line {where(opened)}"
        what = " ".join(part for part in (context, err.problem) if part)
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            what += " (a tab: YAML indents with spaces only)"
        raise YamlError(line, (), f"invalid YAML: {what}") from None
    except yaml.reader.ReaderError as err:  # a character YAML does not allow, such as NUL
        char = err.character
        # The first one in the text: libyaml's position counts bytes of UTF-8, not characters.
        index = text.find(chr(char)) if isinstance(char, int) else -1
        found = _line_at(text, index) if index >= 0 else 1
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        raise YamlError(found, (), f"invalid YAML: character {shown}: {err.reason}") from None
    except yaml.YAMLError as err:
        raise YamlError(1, (), f"invalid YAML: {err}") from None
    if node is None:  # nothing but comments, or nothing at all (validation says if that is fine)
        return Document(shown, None, {(): 1}, placeholders=False), []
    doc = Document(shown, None, {(): line_of(node.start_mark)})
    doc.placeholders = PLACEHOLDER in text or "\\" in text
    escapes = "\\" in text or (not text.isascii() and NONCHARACTER.search(text) is not None)
    builder = _Builder(doc.lines, line_of, escapes=escapes)
    doc.data = builder.build(node, (), 0)
    doc.refused = frozenset(builder.refused)
    return doc, [Problem(shown, line, field_path(loc), msg) for line, loc, msg in builder.problems]


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise YamlError(line, (), f"not valid UTF-8 (byte 0x{data[err.start]:02x})") from None


def _line_counter(text: str) -> Callable[[Any], int]:
    """Return a function from a PyYAML mark in `text` to its line, as editors count lines.

    PyYAML also breaks lines at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR: in a text that
    holds one of those, lines are counted again from the mark's index, by CR, LF and CRLF.
    """
    if "\x85" not in text and "\u2028" not in text and "\u2029" not in text:
        return lambda mark: int(mark.line) + 1
    starts = [match.end() for match in _BREAK.finditer(text)]
    return lambda mark: bisect.bisect_right(starts, mark.index) + 1


_BREAK = re.compile(r"\r\n|\r|\n")
# What no page may hold (HTML and XML refuse them): C0 controls but tab, LF and CR; DEL; C1;
# and the noncharacters (U+FDD0-U+FDEF, and the last two code points of every plane).
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0x10000, 0x110000, 0x10000)
)
_CONTROL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_NONCHARACTERS}]")
# A noncharacter written as it is (YAML takes most of them): its scalars are searched too.
NONCHARACTER = re.compile(f"[{_NONCHARACTERS}]")


def _line_at(text: str, index: int) -> int:
    """Return the line of the character at `index`, counting CR, LF and CRLF."""
    return len(_BREAK.findall(text, 0, max(index, 0))) + 1


class _Builder:
    """Turns a node tree into dicts, lists, strings and None, recording lines."""

    def __init__(
        self, lines: dict[Loc, int], line_of: Callable[[Any], int], escapes: bool = True
    ) -> None:
        self.lines = lines
        self.line_of = line_of
        self.escapes = escapes  # the text has a backslash: a quoted scalar may hold an escape
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.reused = 0
        self.problems: list[tuple[int, Loc, str]] = []
        # Where a value was reported already (its tag refused, and the value replaced by
        # nothing, or a control character in it): what the schema says there would repeat it.
        self.refused: set[Loc] = set()

    def build(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise YamlError(self.line_of(node.start_mark), loc, "nested too deeply")
        if id(node) in self.active:
            raise YamlError(self.line_of(node.start_mark), loc, "recursive alias")
        if id(node) in self.seen:
            self.reused += 1
            if self.reused > MAX_ALIAS_REUSE:
                raise YamlError(self.line_of(node.start_mark), loc, "too many alias expansions")
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode) and node.tag == f"{_STD}seq":
                return self._sequence(node, loc, depth)
            if isinstance(node, yaml.MappingNode) and node.tag == f"{_STD}map":
                return self._mapping(node, loc, depth)
            self._refuse_tag(node, loc)
            return None
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> str | None:
        if node.tag == f"{_STD}null":
            return None
        if node.tag in _TEXT_TAGS:
            value = str(node.value)
            control = _CONTROL.search(value) if self.escapes else None
            if control is not None:  # YAML refuses them as they are, not written as escapes
                code = ord(control.group())
                what = (
                    "noncharacter" if NONCHARACTER.match(control.group()) else "control character"
                )
                message = f"{what} U+{code:04X} is not allowed"
                self.problems.append((self.line_of(node.start_mark), loc, message))
                self.refused.add(loc)  # reported: what the schema says of it would repeat it
            return value
        self._refuse_tag(node, loc)
        return None

    def _refuse_tag(self, node: yaml.Node, loc: Loc) -> None:
        message = f"tag {_short(node.tag)} is not allowed"
        self.problems.append((self.line_of(node.start_mark), loc, message))
        self.refused.add(loc)

    def _sequence(self, node: yaml.SequenceNode, loc: Loc, depth: int) -> list[Any]:
        out = []
        for index, item in enumerate(node.value):
            self.lines[(*loc, index)] = self.line_of(item.start_mark)
            out.append(self.build(item, (*loc, index), depth + 1))
        return out

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = self.line_of(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _TEXT_TAGS:
                # Reported at the mapping, whose other keys are still checked: the entry is
                # dropped, and no field could have that name.
                self.problems.append((line, loc, "keys must be plain text"))
                continue
            key = str(key_node.value)
            if key == "<<" and not key_node.style:  # YAML 1.1's merge key (plain, not quoted)
                self.problems.append(
                    (line, loc, "merge keys (<<) are not supported: write the keys out")
                )
                continue
            if key in out:
                first = self.lines[(*loc, key)]
                message = f"duplicate key '{key}' (first at line {first})"
                self.problems.append((line, (*loc, key), message))
                continue  # the first value is kept, and checked
            self.lines[(*loc, key)] = line
            out[key] = self.build(value_node, (*loc, key), depth + 1)
        return out


def _short(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag
