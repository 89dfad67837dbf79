"""Read the catalog folder: YAML files -> documents that remember the line of every key and item.

PyYAML's C parser builds the node tree; we turn nodes into plain Python values ourselves so
that we can (1) keep a line for every key and list item, (2) refuse duplicate keys instead of
silently keeping the last one, (3) keep plain scalars as the author's text (YAML 1.1 would turn
`license: NO` into False and `name: 1.10` into 1.1) and leave typing to the schema, and
(4) refuse unknown tags, recursive aliases and alias bombs.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from rivals.forked import Child, can_fork
from rivals.problems import Problem, field_path

Loc = tuple[str | int, ...]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_REUSE = 10_000
CATALOG_FILES = ("site", "categories", "capabilities", "benchmarks", "matches")
REQUIRED_FILES = ("categories", "capabilities")
PLACEHOLDER = "TODO"  # what `rivals new` leaves in a starter record (see starter.py)

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


@dataclass
class Document:
    """One parsed YAML file: its data and the line of every key and list item."""

    path: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    refused: frozenset[Loc] = frozenset()  # values dropped by the loader, already reported
    # False when no value can be a placeholder of `rivals new`: the text has neither the word
    # nor a backslash (an escape could spell it). Saves validation a walk over every value.
    placeholders: bool = True

    def line_of(self, loc: Loc) -> int:
        """Return the line of `loc`, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return 1

    def problem(self, loc: Loc, message: str) -> Problem:
        """Return a problem at `loc` in this document."""
        return Problem(self.path, self.line_of(loc), field_path(loc), message)


@dataclass
class RawCatalog:
    """Every document of a catalog folder, before validation."""

    root: Path
    files: dict[str, Document] = field(default_factory=dict)
    models: dict[str, Document] = field(default_factory=dict)


class _LoadError(Exception):
    def __init__(self, line: int, loc: Loc, message: str) -> None:
        super().__init__(message)
        # A deep path says little more than its first steps do.
        self.line, self.loc, self.message = line, loc[:3], message


# A parsed file, remembered between builds: (hash of its bytes, document or None, problems).
Parsed = tuple[str, "Document | None", list[Problem]]


def load_catalog(
    root: Path, memo: dict[str, Parsed] | None = None, ahead: ParseAhead | None = None
) -> tuple[RawCatalog, list[Problem]]:
    """Read every file of the catalog folder; return the documents and the problems found.

    `memo` (path -> what parsing it gave) lets a file whose bytes are unchanged skip parsing;
    it is updated in place with what this call read. What `ahead` parsed is used the same way.
    """
    raw = RawCatalog(root)
    memo = memo if memo is not None else {}
    if ahead is not None:
        memo.update(ahead.take())
    load = _Memo(memo)
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem(str(root), 1, "(folder)", "catalog folder not found"))
        return raw, problems
    for name in CATALOG_FILES:
        path = root / f"{name}.yaml"
        if not path.exists():
            if name in REQUIRED_FILES:
                problems.append(Problem(str(path), 1, "(file)", "required file is missing"))
            continue
        doc = load(path, problems)
        if doc is not None:
            raw.files[name] = doc
    models = root / "models"
    if not models.is_dir():
        problems.append(Problem(str(models), 1, "(folder)", "models folder not found"))
        return raw, problems
    paths = list(_model_files(models, problems))
    for path, doc in zip(paths, load.many(paths, problems), strict=True):
        if doc is not None:
            raw.models[path.stem] = doc
    load.forget_unused()
    return raw, problems


class _Memo:
    """load_document, remembering results by the hash of the file's bytes."""

    def __init__(self, memo: dict[str, Parsed]) -> None:
        self.memo = memo
        self.used: set[str] = set()

    def forget_unused(self) -> None:
        """Drop what was remembered of files this load did not read (deleted files)."""
        for key in set(self.memo) - self.used:
            del self.memo[key]

    def __call__(self, path: Path, problems: list[Problem]) -> Document | None:
        return self.many([path], problems)[0]

    def many(self, paths: list[Path], problems: list[Problem]) -> list[Document | None]:
        """Load several files, parsing those not remembered on two cores when there are many."""
        done: list[tuple[Document | None, list[Problem]] | None] = []
        pending: list[tuple[int, str, bytes, str]] = []
        for path in paths:
            self.used.add(str(path))
            try:
                data = path.read_bytes()
            except OSError:
                found: list[Problem] = []
                done.append((load_document(path, found), found))  # reports why
                continue
            digest = hashlib.sha256(data).hexdigest()
            known = self.memo.get(str(path))
            if known is not None and known[0] == digest:
                done.append((known[1], known[2]))
                continue
            pending.append((len(done), str(path), data, digest))
            done.append(None)
        parsed = parse_many([(shown, data) for _, shown, data, _ in pending])
        for (index, shown, _, digest), (doc, found) in zip(pending, parsed, strict=True):
            self.memo[shown] = (digest, doc, found)
            done[index] = (doc, found)
        docs = []
        for item in done:
            assert item is not None
            problems.extend(item[1])
            docs.append(item[0])
        return docs


# Below this many files, parsing in one process is quicker than forking a second one.
PARALLEL_PARSE = 48


def parse_many(items: list[tuple[str, bytes]]) -> list[tuple[Document | None, list[Problem]]]:
    """Parse (shown path, bytes) items in order; with many, half of them in a forked child.

    The child sends its documents back pickled through a pipe. If it fails, or fork is not
    available, everything is parsed here: the result is the same either way.
    """
    if len(items) < PARALLEL_PARSE or not can_fork():
        return _parse_each(items)
    half = len(items) // 2
    child = Child.fork(lambda: _parse_each(items[half:]))
    try:
        first = _parse_each(items[:half])
    except BaseException:
        child.close()
        raise
    second: list[tuple[Document | None, list[Problem]]] | None = child.result()
    return first + (second if second is not None else _parse_each(items[half:]))


def _parse_each(items: list[tuple[str, bytes]]) -> list[tuple[Document | None, list[Problem]]]:
    parsed = []
    for shown, data in items:
        found: list[Problem] = []
        parsed.append((_parse(shown, data, found), found))
    return parsed


def catalog_paths(root: Path) -> list[Path]:
    """Return the files load_catalog reads in `root`, in its order (not checking anything)."""
    paths = [root / f"{name}.yaml" for name in CATALOG_FILES]
    try:
        return paths + list(_model_files(root / "models", []))
    except OSError:
        return paths


# What parsing costs about as long as the rest of rivals takes to import (bytes of YAML).
AHEAD_BYTES = 2_500_000
AHEAD_MIN_FILES = 16


class ParseAhead:
    """A forked child that parses a catalog's files while this process imports the rest.

    `rivals build` starts one before it imports Jinja and pydantic, which takes about as long
    as parsing 200 entry files. The child parses the first files (all of them, unless parsing
    would outlast the imports; this process parses the rest when it gets to loading), then
    sends {path: (hash of its bytes, document, problems)} pickled through a pipe.
    load_catalog takes that as a memo: a result is used only if the file still has the bytes
    that were parsed, and whatever is missing is parsed as usual.
    """

    def __init__(self, child: Child, rest: list[Path]) -> None:
        self.child, self.rest = child, rest

    @classmethod
    def start(cls, root: Path, memo: Path | None = None) -> ParseAhead | None:
        """Fork the child for the catalog in `root`; None when it would not pay off.

        That includes when the file `memo` exists: a build that finds the parsed catalog of
        the one before parses only the files that changed.
        """
        if memo is not None and memo.is_file():
            return None
        paths = [path for path in catalog_paths(root) if path.is_file()]
        if len(paths) < AHEAD_MIN_FILES or not can_fork():
            return None
        sizes = [path.stat().st_size for path in paths]
        # The parent parses what is left after its imports: split so that both finish together.
        budget, share, count = (AHEAD_BYTES + sum(sizes)) // 2, 0, 0
        while count < len(paths) and share < budget:
            share += sizes[count]
            count += 1
        return cls(Child.fork(lambda: _parse_files(paths[:count])), paths[count:])

    def take(self) -> dict[str, Parsed]:
        """Parse the files left to this process, wait for the child and return both's work.

        Files that cannot be read are left out, for load_catalog to report. A second call
        returns {}, as does the child's share if the child failed.
        """
        parsed = _parse_files(self.rest)
        self.rest = []
        parsed.update(self.child.result() or {})
        return parsed

    def close(self) -> None:
        """Stop the child if nothing took its work (a build that failed before loading)."""
        self.child.close()


def _parse_files(paths: list[Path]) -> dict[str, Parsed]:
    """Return {path: (hash of its bytes, document, problems)} for the files that can be read."""
    parsed = {}
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        found: list[Problem] = []
        doc = _parse(str(path), data, found)
        parsed[str(path)] = (hashlib.sha256(data).hexdigest(), doc, found)
    return parsed


def read_memo(path: Path) -> dict[str, Parsed]:
    """Return the parsed-file memo an earlier build saved, or {} if there is none usable."""
    try:
        with path.open("rb") as handle:
            memo = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return {}
    return memo if isinstance(memo, dict) else {}


def _model_files(folder: Path, problems: list[Problem]) -> Iterator[Path]:
    for name in sorted(os.listdir(folder)):
        path = folder / name
        if name.startswith((".", "_")) or name.endswith("~") or not path.is_file():
            continue
        if name.endswith(".yml"):
            problems.append(Problem(str(path), 1, "(file)", "model files must end in .yaml"))
        elif name.endswith(".yaml"):
            yield path


def load_document(path: Path, problems: list[Problem]) -> Document | None:
    """Parse one YAML file into a Document, or add its problem and return None."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        problems.append(Problem(shown, 1, "(file)", f"cannot read file: {err.strerror}"))
        return None
    return _parse(shown, data, problems)


def _parse(shown: str, data: bytes, problems: list[Problem]) -> Document | None:
    try:
        doc, found = parse_document(shown, data)
    except _LoadError as err:
        problems.append(Problem(shown, err.line, field_path(err.loc), err.message))
        return None
    problems.extend(found)
    return doc


def parse_document(shown: str, data: bytes) -> tuple[Document, list[Problem]]:
    """Parse YAML bytes into a Document and the problems that did not stop parsing.

    Raises _LoadError when the file cannot be read as YAML at all.
    """
    if len(data) > MAX_FILE_BYTES:
        raise _LoadError(1, (), f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    text = _decode(data)
    try:
        loader = _TextLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = " ".join(part for part in (err.context, err.problem) if part)
        raise _LoadError(line, (), f"invalid YAML: {what}") from None
    except yaml.YAMLError as err:
        raise _LoadError(1, (), f"invalid YAML: {err}") from None
    if node is None:
        raise _LoadError(1, (), "file is empty")
    doc = Document(shown, None, {(): node.start_mark.line + 1})
    doc.placeholders = PLACEHOLDER in text or "\\" in text
    builder = _Builder(doc.lines)
    doc.data = builder.build(node, (), 0)
    doc.refused = frozenset(loc for _, loc, _ in builder.problems)
    return doc, [Problem(shown, line, field_path(loc), msg) for line, loc, msg in builder.problems]


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise _LoadError(line, (), f"not valid UTF-8 (byte 0x{data[err.start]:02x})") from None


class _Builder:
    """Turns a node tree into dicts, lists, strings and None, recording lines."""

    def __init__(self, lines: dict[Loc, int]) -> None:
        self.lines = lines
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.reused = 0
        self.problems: list[tuple[int, Loc, str]] = []

    def build(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _LoadError(node.start_mark.line + 1, loc, "nested too deeply")
        if id(node) in self.active:
            raise _LoadError(node.start_mark.line + 1, loc, "recursive alias")
        if id(node) in self.seen:
            self.reused += 1
            if self.reused > MAX_ALIAS_REUSE:
                raise _LoadError(node.start_mark.line + 1, loc, "too many alias expansions")
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
            return str(node.value)
        self._refuse_tag(node, loc)
        return None

    def _refuse_tag(self, node: yaml.Node, loc: Loc) -> None:
        message = f"tag {_short(node.tag)} is not allowed"
        self.problems.append((node.start_mark.line + 1, loc, message))

    def _sequence(self, node: yaml.SequenceNode, loc: Loc, depth: int) -> list[Any]:
        out = []
        for index, item in enumerate(node.value):
            self.lines[(*loc, index)] = item.start_mark.line + 1
            out.append(self.build(item, (*loc, index), depth + 1))
        return out

    def _mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _TEXT_TAGS:
                self.problems.append((line, loc, "keys must be plain text"))
                continue
            key = str(key_node.value)
            if key in out:
                first = self.lines[(*loc, key)]
                message = f"duplicate key '{key}' (first at line {first})"
                self.problems.append((line, (*loc, key), message))
                continue
            self.lines[(*loc, key)] = line
            out[key] = self.build(value_node, (*loc, key), depth + 1)
        return out


def _short(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag
