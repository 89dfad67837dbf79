"""Read the catalog folder: YAML files -> documents that remember the line of every key and item.

Parsing itself is in yamldoc.py. Files are parsed in forked children where that pays (see
ParseAhead and parse_many), and a file whose bytes an earlier build parsed is not parsed again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib.util
import os
import pickle
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rivals.forked import Child, can_fork
from rivals.owned import read_own
from rivals.problems import Problem, closest, field_path

Loc = tuple[str | int, ...]

CATALOG_FILES = ("site", "categories", "capabilities", "benchmarks", "matches")
REQUIRED_FILES = ("categories", "capabilities")
PLACEHOLDER = "TODO"  # what `rivals new` leaves in a starter record (see starter.py)
MAX_FILE_BYTES = 8 * 1024 * 1024  # a catalog file larger than this is refused (yamldoc.py)


def read_file(path: Path) -> bytes:
    """Return the bytes of a catalog file, at most MAX_FILE_BYTES + 1 of them (enough for the
    parser to refuse a larger one without reading it all).

    Raises OSError for anything but a regular file (a folder, a device, a FIFO, which could
    block the build forever) and for a symbolic link that leads nowhere.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        if os.path.islink(path):
            raise OSError(errno.ENOENT, "symbolic link to a file that does not exist") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise OSError(errno.EISDIR, "is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if data is None:  # a file of the kernel's that has nothing yet (/proc/kmsg): it would block
        raise OSError(errno.EAGAIN, "not a file that can be read now (it would wait for data)")
    return data


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
    # What validating a record of this file gave, by (its place, its model's name): the
    # record (records.py) or None, and the problems (see validate._record).
    validated: dict[tuple[Loc, str], tuple[Any, list[Problem]]] = field(default_factory=dict)

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
    # The slug of every entry file in models/, parsed or not; None without a models/ folder.
    # References to an entry whose file is broken are not reported as unknown.
    listed: set[str] | None = None


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
    try:
        if not _is_folder(root):
            if os.path.lexists(root):
                message = "is a file, not the catalog folder (--data names the folder)"
            else:
                message = "catalog folder not found (`rivals init` makes a new one)"
            problems.append(Problem(str(root), 1, "(folder)", message))
            return raw, problems
        if not os.access(root, os.R_OK | os.X_OK):  # else each file would be "missing"
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(root))
    except OSError as err:
        problems.append(Problem(str(root), 1, "(folder)", f"cannot read: {err.strerror}"))
        return raw, problems
    for name in CATALOG_FILES:
        path = root / f"{name}.yaml"
        if not os.path.lexists(path):  # a link that leads nowhere is reported when read
            if name in REQUIRED_FILES:
                problems.append(Problem(str(path), 1, "(file)", "required file is missing"))
            continue
        doc = load(path, problems)
        if doc is not None:
            raw.files[name] = doc
    _stray_files(root, problems)
    models = root / "models"
    try:
        if not _is_folder(models):
            found = os.path.lexists(models)  # a file, a FIFO, a link that leads nowhere
            message = "is not a folder" if found else "models folder not found"
            problems.append(Problem(str(models), 1, "(folder)", message))
            return raw, problems
        paths = list(_model_files(models, problems))
    except OSError as err:  # a folder this user may not look at or list
        problems.append(Problem(str(models), 1, "(folder)", f"cannot read: {err.strerror}"))
        return raw, problems
    raw.listed = {path.stem for path in paths}
    for path, doc in zip(paths, load.many(paths, problems), strict=True):
        if doc is not None:
            raw.models[path.stem] = doc
    load.forget_unused()
    return raw, problems


def _stray_files(root: Path, problems: list[Problem]) -> None:
    """Report YAML files in the catalog folder that look meant for it but are not read: a
    catalog file misnamed (`site.yml`, `Site.yaml`, `match.yaml`) or an entry saved beside
    models/ instead of in it. A typo never vanishes silently; another tool's file in the same
    folder (`docker-compose.yml` beside a catalog kept at the project's root) is left alone,
    as are names starting with "." or "_"."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return  # reported where the files are read
    known = [f"{name}.yaml" for name in CATALOG_FILES]
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        if not (dot and stem) or name in known or name.startswith((".", "_")):
            continue
        if suffix.lower() not in ("yaml", "yml") or os.path.isdir(root / name):
            continue
        close = stem.lower() if stem.lower() in CATALOG_FILES else closest(stem, CATALOG_FILES)
        if close is not None:
            message = (
                f"not a file of the catalog, which reads {', '.join(known)}"
                f" (did you mean '{close}.yaml'?)"
            )
        elif _looks_like_entry(root / name):
            message = "an entry goes in models/: this file is not read"
        else:
            continue
        problems.append(Problem(str(root / name), 1, "(file)", message))


# The top-level keys every entry has (data-format.md): a file with both is an entry.
_ENTRY_KEYS = (re.compile(rb"^kind\s*:", re.M), re.compile(rb"^capabilities\s*:", re.M))


def _looks_like_entry(path: Path) -> bool:
    """True when the file at `path` reads like an entry file (see _ENTRY_KEYS)."""
    try:
        data = read_file(path)
    except OSError:
        return False
    return all(key.search(data) for key in _ENTRY_KEYS)


def _is_folder(path: Path) -> bool:
    """True when `path` is a folder; raise OSError if this user may not look (a build of
    `--data /root/data` by another user)."""
    if path.is_dir():
        return True
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        os.stat(path)  # raises PermissionError where is_dir only said False
    return False


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
                data = read_file(path)
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
        the one before parses only the files that changed (a child for those measured slower:
        the second core is checking the previous build's files then, see write.CheckAhead).
        """
        try:
            if memo is not None and memo.is_file():
                return None
            paths = [path for path in catalog_paths(root) if path.is_file()]
            if len(paths) < AHEAD_MIN_FILES or not can_fork():
                return None
            sizes = [path.stat().st_size for path in paths]
        except OSError:  # a folder this user may not look at: loading reports it
            return None
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
            data = read_file(path)
        except OSError:
            continue
        found: list[Problem] = []
        doc = _parse(str(path), data, found)
        parsed[str(path)] = (hashlib.sha256(data).hexdigest(), doc, found)
    return parsed


class Memo(dict[str, Parsed]):
    """The parsed-file memo, with the pickled form of each entry as read from disk: saving it
    again pickles only the entries that changed (one, after an edit) instead of all of them."""

    def __init__(self) -> None:
        super().__init__()
        self.packed: dict[str, tuple[Parsed, bytes]] = {}


# The key of the memo's version in the file: no path is empty.
_VERSION_KEY = ""


def memo_version() -> str:
    """Return a hash of what a kept document depends on besides its file: the code that parsed
    and validated it (Document.validated) and the versions of PyYAML and pydantic."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _MEMO_CODE:
        digest.update((here / name).read_bytes())
    for package, name in (("yaml", "__init__.py"), ("pydantic", "version.py")):
        spec = importlib.util.find_spec(package)  # finds, does not import
        if spec is not None and spec.origin is not None:
            with contextlib.suppress(OSError):
                digest.update(Path(spec.origin).with_name(name).read_bytes())
    return digest.hexdigest()


_MEMO_CODE = ("load.py", "yamldoc.py", "validate.py", "schema.py", "records.py", "problems.py")


def read_memo(path: Path) -> Memo:
    """Return the parsed-file memo an earlier build saved, or an empty one if none is usable
    (none, unreadable, or saved by other code: see memo_version)."""
    memo = Memo()
    try:
        found = read_own(path)
        if found is None:
            return memo
        outer = pickle.loads(found[0])
        if not isinstance(outer, dict) or outer.pop(_VERSION_KEY, None) != memo_version().encode():
            return memo
        for key, blob in outer.items():
            entry = pickle.loads(blob)
            memo[key] = entry
            memo.packed[key] = (entry, blob)
    except Exception:  # a damaged pickle raises almost anything (ValueError, IndexError, ...)
        return Memo()
    return memo


def pack_memo(memo: Mapping[str, Parsed]) -> bytes:
    """Return the bytes read_memo reads back: each entry pickled on its own, unchanged ones as
    they were read."""
    packed: dict[str, tuple[Parsed, bytes]] = getattr(memo, "packed", {})
    outer = {_VERSION_KEY: memo_version().encode()}
    for key, entry in memo.items():
        known = packed.get(key)
        if known is not None and known[0] is entry:
            outer[key] = known[1]
        else:
            outer[key] = pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)
    return pickle.dumps(outer, pickle.HIGHEST_PROTOCOL)


def _model_files(folder: Path, problems: list[Problem]) -> Iterator[Path]:
    """Yield the entry files of `models/` in name order; report names that look like one but
    are not (a .yml or .YAML file); skip hidden, `_`-prefixed and editor backup files.

    Anything named `<slug>.yaml` is yielded, even a folder or a broken link: reading it
    reports why it is not an entry, instead of the entry silently missing from the site.
    """
    for name in sorted(os.listdir(folder)):
        path = folder / name
        if name.startswith((".", "_")) or name.endswith("~"):
            continue
        if name.endswith(".yaml"):
            yield path
        elif name.lower().endswith((".yml", ".yaml")) and not path.is_dir():
            problems.append(Problem(str(path), 1, "(file)", "model files must end in .yaml"))
        # A link to a folder is looked into one level only (models/root -> / is not walked).
        elif path.is_dir() and _holds_yaml(path, 1 if path.is_symlink() else 2):
            problems.append(
                Problem(
                    str(path),
                    1,
                    "(folder)",
                    "entries go directly in models/; the files of this folder are not read"
                    f" (rename it _{name} to keep them out of the catalog)",
                )
            )


def _holds_yaml(folder: Path, depth: int = 2) -> bool:
    """True when `folder` (a subfolder of models/) holds a YAML file, in it or `depth - 1`
    levels below. Links to folders are not followed (models/root -> / would walk the whole
    disk), and a folder that cannot be listed counts as holding none."""
    try:
        with os.scandir(folder) as found:
            for item in found:
                if item.name.lower().endswith((".yaml", ".yml")) and item.is_file():
                    return True
                inside = depth > 1 and item.is_dir(follow_symlinks=False)
                if inside and _holds_yaml(Path(item.path), depth - 1):
                    return True
    except OSError:
        return False
    return False


def load_document(path: Path, problems: list[Problem]) -> Document | None:
    """Parse one YAML file into a Document, or add its problem and return None."""
    shown = str(path)
    try:
        data = read_file(path)
    except OSError as err:
        problems.append(Problem(shown, 1, "(file)", f"cannot read file: {err.strerror}"))
        return None
    return _parse(shown, data, problems)


def _parse(shown: str, data: bytes, problems: list[Problem]) -> Document | None:
    from rivals.yamldoc import YamlError, parse_document  # PyYAML: see the module's docstring

    try:
        doc, found = parse_document(shown, data)
    except YamlError as err:
        problems.append(Problem(shown, err.line, field_path(err.loc), err.message))
        return None
    problems.extend(found)
    return doc
