"""Writing the site: a staging folder beside --out, then a swap.

Paths are unique by construction (pages.py plans each once; slugs cannot contain `-vs-`), so
the writers of the worker processes need not compare notes.

Nothing touches --out until every page has been rendered. A build manifest (beside the output,
in `.rivals-cache/<out name>/manifest.bin`) remembers, for every file the generator wrote, its
size and modification time and the key of the inputs it was rendered from, so that the next
build

* does not even render a page whose input key is unchanged and whose file is still as written,
* leaves a file alone when its new bytes are the same as the file's (its mtime stays as it was),
* deletes the files it wrote before and no longer writes (a removed entry's pages),
* never deletes a file it did not write.

A file written by a build is not asked for its modification time (a system call per file, and
system calls slow down the rendering around them): its row says 0, and the manifest keeps the
build's window instead, the file-system times before its first write and after its last. The
file is as written if its size is and its time falls in that window. Files a build kept are
stat()ed anyway, and their rows get their exact times. With a second core, a CheckAhead child
does those stat() calls while the build imports, loads and validates.

The cache folder beside the output also keeps the parsed catalog (save_memo) and the pieces
of pair pages that belong to one entry (FragmentStore).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import marshal
import os
import pickle
import shutil
import stat
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path
from typing import Any, Final, NamedTuple

from rivals.forked import Child, can_fork
from rivals.owned import FILE_MODE, is_trusted, read_own, real_path, trusted_owners

MANIFEST_VERSION = 5
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


# What the manifest keeps of one output file, a plain tuple (there are 100,000s of them, and
# a named tuple took half as long again to make): (size, mtime_ns, key, seen), where
# mtime_ns 0 means written by the build that saved the manifest, within its window, and seen
# is the file's time in --out if a CheckAhead found it as the row says, 0 if it found it
# changed or gone, -1 if no check ran (PageWriter then looks itself).
Written = tuple[int, int, str, int]
SIZE: Final = 0
MTIME: Final = 1
KEY: Final = 2
SEEN: Final = 3
# One manifest row: (path, size, mtime_ns, key).
Row = tuple[str, int, int, str]
# The file-system times before a build's first write and after its last.
Window = tuple[int, int]


@dataclass
class Manifest:
    """The previous build's files, and the window of the files it wrote."""

    files: dict[str, Written] = field(default_factory=dict)
    window: Window = (0, -1)
    parts: list[bytes] = field(default_factory=list)  # the rows as read (see commit)


@dataclass
class WriteReport:
    """What a commit did to the output folder."""

    written: int = 0
    unchanged: int = 0
    deleted: int = 0
    touched: list[str] = field(default_factory=list)  # the paths written or deleted
    replaced: list[str] = field(default_factory=list)  # files not of a build, written over


def cache_dir(out: Path) -> Path:
    """Return the folder beside `out` where builds keep their manifest."""
    resolved = real_path(out)
    return resolved.parent / ".rivals-cache" / resolved.name


def _well_formed(paths: Any, sizes: Any, mtimes: Any, keys: Any) -> bool:
    """True when the columns of a manifest part are what the build wrote: tuples of the same
    length of paths, sizes, times and keys (a number for a path broke every build after it,
    --clean included). Whether a path is safe to delete is checked in commit."""
    columns = (paths, sizes, mtimes, keys)
    if any(type(column) not in (tuple, list) for column in columns):
        return False
    if len({len(column) for column in columns}) != 1:
        return False
    if not set(map(type, paths)) <= {str} or not set(map(type, keys)) <= {str}:
        return False
    return set(map(type, sizes)) <= {int} and set(map(type, mtimes)) <= {int}


def check_cache(out: Path) -> None:
    """Raise UnsafePath if the cache folder of `out` (or `.rivals-cache` above it) belongs to
    a user this one does not trust with it: `--out /tmp/site` would otherwise write and read
    its caches in a folder someone else made in /tmp and can change at will."""
    folder = cache_dir(out)
    owners = trusted_owners(out)
    for path in (folder.parent, folder):
        for info in _stats(path):
            if not is_trusted(info, owners):
                raise UnsafePath(
                    f"the cache folder {path} belongs to {_user(info.st_uid)}, not to you, root"
                    " or the owner of --out or of its folder: ask them to remove it, or build"
                    " into an --out in a folder of yours"
                )


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Hold the lock of the builds into `out` for the block; raise UnsafePath if another
    build holds it.

    Two builds that write into one --out at once would leave pages of both, and a manifest
    that takes them all for its own (their sizes match and their times fall in its window),
    so no later build would write them again.
    """
    try:
        import fcntl  # here: `rivals schema` and the rest work where there is none
    except ImportError:  # no POSIX locks (Windows): builds go unguarded, as before the lock
        yield
        return
    folder = cache_dir(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT | _NO_FOLLOW, FILE_MODE)
    except OSError:  # make_cache says what is wrong with the cache folder
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UnsafePath(
                f"another build into --out {out} is running: build again once it is done"
            ) from None
        yield
    finally:
        os.close(fd)  # which releases the lock


def make_cache(out: Path) -> None:
    """Make the cache folder of `out`; raise UnsafePath if this user cannot write in it (another
    user's .rivals-cache): the manifest saved there at the end of the build is what lets the
    next one tell its own files, and finding that out after moving pages into --out would
    leave a build that fails every time, with --out changed."""
    folder = cache_dir(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK | os.X_OK)
    except OSError as err:
        writable, why = False, err.strerror or str(err)
    else:
        why = "Permission denied"
    if not writable:
        raise UnsafePath(
            f"cannot write in the cache folder {folder} ({why}), where builds keep what they"
            " wrote: build into an --out in a folder of yours"
        )


def _user(uid: int) -> str:
    """Return the name of the user `uid` ("user 1234" when it has none)."""
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name}"
    except (ImportError, KeyError):
        return f"user {uid}"


def _stats(path: Path) -> list[os.stat_result]:
    """Return the status of `path` itself and, for a link, of what it leads to (none if
    there is nothing there)."""
    try:
        own = os.lstat(path)
    except OSError:
        return []
    if not stat.S_ISLNK(own.st_mode):
        return [own]
    try:
        return [own, os.stat(path)]
    except OSError:
        return [own]


def load_manifest(out: Path, check: CheckAhead | None = None) -> Manifest:
    """Return the previous build's manifest; an empty one when there is none or it is unreadable.

    With `check`, each row says what the check found of its file (Written.seen), provided the
    check read this same manifest.
    """
    try:
        found = _read_manifest(out)
        if found is None:
            return Manifest()
        identity, window, parts = found
        seen = (check.take(identity) if check is not None else None) or array("q")
        files: dict[str, Written] = {}
        start = 0
        for part in parts:
            paths, sizes, mtimes, keys = marshal.loads(part)
            if not _well_formed(paths, sizes, mtimes, keys):
                return Manifest()  # damaged: as if there were none
            end = start + len(paths)
            checked = seen[start:end]  # fewer, or none, if the check did not get that far
            times = chain(checked, repeat(-1, len(paths) - len(checked)))
            # Without a Python call per row: 40,000 rows at 200 entries.
            files.update(zip(paths, zip(sizes, mtimes, keys, times, strict=True), strict=True))
            start = end
        return Manifest(files, window, parts)
    except (OSError, ValueError, EOFError, TypeError):
        return Manifest()


# What identifies one manifest file: its inode, size and modification time.
Identity = tuple[int, int, int]


def _read_manifest(out: Path) -> tuple[Identity, Window, list[bytes]] | None:
    """Return the identity, window and packed rows of the manifest, None if it is of another
    version; raise OSError if there is none."""
    found = read_own(cache_dir(out) / "manifest.bin", code=False)
    if found is None:
        raise FileNotFoundError("no manifest of this user's")
    data, st = found
    version, (low, high), parts = marshal.loads(data)
    if version != MANIFEST_VERSION:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns), (int(low), int(high)), parts


def time_if_as_written(where: str, size: int, mtime_ns: int, window: Window) -> int:
    """Return the modification time of the file `where` if it is as its manifest row says
    (that size, and that time or, for a file the build wrote, a time in the window), else 0."""
    try:
        st = os.stat(where)
    except OSError:
        return 0
    if st.st_size != size:
        return 0
    now = st.st_mtime_ns
    if mtime_ns:
        return now if now == mtime_ns else 0
    return now if window[0] <= now <= window[1] else 0


class CheckAhead:
    """A forked child that checks the previous build's files while this process works.

    A build that renders little spends most of its time making sure that the files it
    keeps are still as it left them: a stat() of each, 40,000 at 200 entries. `rivals build`
    starts this child before it imports Jinja and pydantic, on the otherwise idle second
    core; it reads the manifest, looks at every file it lists and sends back, per row, what
    time_if_as_written gives. load_manifest then puts that in each row (Written.seen), and
    only if the child read the very manifest that load_manifest reads.

    The build never waits for more than the rest of a step (CHECK_STEP rows): when it needs
    the rows, it asks, and the child sends what it has checked so far. PageWriter checks the
    rest itself (a big site, whose files outnumber what one core checks during the imports).
    """

    def __init__(self, child: Child) -> None:
        self.child = child

    @classmethod
    def start(cls, out: Path) -> CheckAhead | None:
        """Fork the child for the output folder `out`; None if there is nothing to check."""
        try:
            if not can_fork() or not (cache_dir(out) / "manifest.bin").is_file():
                return None
        except OSError:  # a folder this user may not look at: the build says so
            return None
        return cls(Child.fork_hurried(lambda asked: _check_files(out, asked)))

    def take(self, identity: Identity) -> array[int] | None:
        """Wait for the child; return its times by row if it read the manifest `identity`."""
        found = self.child.result()
        if found is None or tuple(found[0]) != identity:
            return None
        seen = array("q")
        seen.frombytes(found[1])
        return seen

    def close(self) -> None:
        """Stop the child if nothing took its work (a build that failed before)."""
        self.child.close()


CHECK_STEP = 2048  # rows CheckAhead checks between looking whether it was asked to stop


def _check_files(out: Path, asked: Callable[[], bool]) -> tuple[Identity, bytes] | None:
    """The child of CheckAhead: return the manifest's identity and the times of its rows,
    of the first rows only if `asked` says that the build wants them before the end."""
    found = _read_manifest(out)
    if found is None:
        return None
    identity, window, parts = found
    seen = array("q")
    where = str(out)
    for part in parts:
        paths, sizes, mtimes, _ = marshal.loads(part)
        for start in range(0, len(paths), CHECK_STEP):
            if asked():
                return identity, seen.tobytes()
            end = start + CHECK_STEP
            rows = zip(paths[start:end], sizes[start:end], mtimes[start:end], strict=True)
            seen.extend(
                time_if_as_written(f"{where}/{path}", size, mtime, window)
                for path, size, mtime in rows
            )
    return identity, seen.tobytes()


def file_time(folder: Path) -> int:
    """Return the file system's time now, as it would stamp a file written in `folder`."""
    probe = folder / ".rivals-time"
    fd = os.open(probe, _CREATE, 0o644)
    try:
        return os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
        probe.unlink()


def make_folder(path: str) -> None:
    """Create the folder `path` if it is not there, with its parents.

    One mkdir in the common cases (the parent exists; the folder exists): os.makedirs would
    split the path and stat it first, which costs more than the mkdir for a folder a page.
    """
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except OSError:
        os.makedirs(path, exist_ok=True)


class UnsafePath(ValueError):
    """A path the build would write or delete outside the output folder (see safe_relative
    and commit)."""


def safe_relative(path: str) -> str:
    """Return `path` if it stays inside the output folder; raise UnsafePath otherwise."""
    # Quick test first (it runs for every file): no empty part and no part starting with a dot.
    wrapped = f"/{path}/"
    if "//" not in wrapped and "/." not in wrapped and "\\" not in path:
        return path
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise UnsafePath(f"refusing to write outside the output folder: {path!r}")
    return path


@dataclass
class PageWriter:
    """Writes pages into the staging folder, skipping those whose bytes are already in --out.

    One per process: workers each have their own and hand back what they did as manifest
    rows (every file of the build) and staged paths (the files to move into --out).
    """

    staging: str
    out: str
    previous: Mapping[str, Written]
    window: Window = (0, -1)  # of the previous build (see the module's docstring)
    rows: list[Row] = field(default_factory=list)
    staged: list[str] = field(default_factory=list)
    changed: int = 0  # rows that differ from the previous manifest's
    known: int = 0  # rows of paths that the previous manifest has
    _folders: set[str] = field(default_factory=set)

    def keep(self, path: str, key: str) -> bool:
        """Return True (and record the page) when --out holds it rendered from the same key."""
        old = self.previous.get(path)
        mtime = self._unchanged(path, old, key)
        if not mtime:
            return False
        assert old is not None
        self.rows.append((path, old[SIZE], mtime, key))
        self.known += 1
        self.changed += mtime != old[MTIME]  # size and key are the same
        return True

    def unchanged(self, path: str, key: str) -> int:
        """Return the modification time of `path` in --out if it is as the previous build
        wrote it from the same key, else 0."""
        return self._unchanged(path, self.previous.get(path), key)

    def _unchanged(self, path: str, old: Written | None, key: str) -> int:
        if old is None or not key or old[KEY] != key:
            return 0
        if old[SEEN] >= 0:
            return old[SEEN]
        return time_if_as_written(f"{self.out}/{path}", old[SIZE], old[MTIME], self.window)

    def write(self, path: str, data: bytes, key: str = "") -> None:
        """Stage `data` for `path` unless --out already holds exactly these bytes."""
        path = safe_relative(path)
        if path in self.previous:
            self.known += 1
            if self._same_bytes(path, data, key):
                return
        # Plain os calls on strings: this runs once per page, and pathlib or a buffered
        # file object costs more than the write itself on tmpfs.
        folder, _, _ = path.rpartition("/")
        if folder and folder not in self._folders:
            make_folder(f"{self.staging}/{folder}")
            self._folders.add(folder)
        fd = os.open(f"{self.staging}/{path}", _CREATE, 0o644)
        try:
            if os.write(fd, data) != len(data):
                raise OSError(f"short write to {path}")
        finally:
            os.close(fd)
        self.rows.append((path, len(data), 0, key))  # 0: see the module's docstring
        self.staged.append(path)
        self.changed += 1

    def _same_bytes(self, path: str, data: bytes, key: str) -> bool:
        """True (and the file recorded as it is) when --out holds `data` at `path` already."""
        where = f"{self.out}/{path}"
        try:
            st = os.stat(where)
            if st.st_size != len(data):
                return False
            with open(where, "rb") as handle:
                if handle.read() != data:
                    return False
        except OSError:
            return False
        row = (path, st.st_size, st.st_mtime_ns, key)
        self.rows.append(row)
        self.changed += row[1:] != self.previous[path][:3]
        return True

    def take(self) -> Taken:
        """Return what was recorded so far, and start again.

        Rows are packed by column, (paths, sizes, mtimes, keys), for load_manifest.
        """
        columns = tuple(zip(*self.rows, strict=True)) or ((), (), (), ())
        taken = Taken(marshal.dumps(columns), self.staged, self.changed, len(self.rows), self.known)
        self.rows, self.staged, self.changed, self.known = [], [], 0, 0
        return taken


class Taken(NamedTuple):
    """What a PageWriter recorded (see PageWriter.take)."""

    packed: bytes | None  # the manifest rows; None: saved by save_rows instead
    staged: list[str]  # the paths written into the staging folder
    changed: int  # rows that differ from the previous manifest's
    rows: int
    known: int  # rows of paths that the previous manifest has


@dataclass
class Staged:
    """What every writer of a build recorded, gathered for commit(): the packed manifest
    rows in the order of the plan, whatever order the workers finished in."""

    parts: list[bytes | None]
    paths: list[str] = field(default_factory=list)
    changed: int = 0
    rows: int = 0
    known: int = 0

    def add(self, index: int, taken: Taken) -> None:
        """Record what one unit of work (the index-th of the plan) took from its writer."""
        self.parts[index] = taken.packed
        self.paths.extend(taken.staged)
        self.changed += taken.changed
        self.rows += taken.rows
        self.known += taken.known

    def packed_rows(self, staging: Path) -> list[bytes]:
        """Return every unit's packed rows, reading those that save_rows put in `staging`."""
        folder = staging / ROWS_FOLDER
        return [
            (folder / str(index)).read_bytes() if part is None else part
            for index, part in enumerate(self.parts)
        ]


# Where worker processes leave the manifest rows of their units, in the staging folder (no
# page path starts with a dot). Sent through the pipe instead, 100 kB a unit waited for the
# parent's threads to be scheduled and drain it, while both workers kept the cores busy: a
# millisecond or more between units whose work takes three.
ROWS_FOLDER = ".rivals-rows"


def save_rows(staging: str, index: int, taken: Taken) -> Taken:
    """Save the rows of the index-th unit in the staging folder; return `taken` without them."""
    folder = f"{staging}/{ROWS_FOLDER}"
    make_folder(folder)
    with open(f"{folder}/{index}", "wb") as handle:
        handle.write(taken.packed or b"")
    return taken._replace(packed=None)


def paths_of(parts: Iterable[bytes]) -> Iterator[str]:
    """Return the paths of the manifest rows that PageWriter.take packed."""
    for part in parts:
        yield from marshal.loads(part)[0]


def new_staging(out: Path) -> Path:
    """Create and return an empty staging folder beside `out`.

    The folders that builds which were killed (SIGKILL, a power cut) left beside `out` are
    removed on the way: staging and search-index folders named for a process that no longer
    runs.
    """
    resolved = real_path(out)
    parent, name = resolved.parent, resolved.name
    parent.mkdir(parents=True, exist_ok=True)
    for kind in ("staging", "pagefind", "pagefind-old"):
        prefix = f".{name}.{kind}-"
        for stale in parent.glob(f"{glob.escape(prefix)}*"):
            pid = stale.name[len(prefix) :]
            if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
    staging = staging_path(out)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def staging_path(out: Path) -> Path:
    """Return the staging folder new_staging makes for `out` in this process (known before it
    exists, so that a build stopped while it is made can remove it)."""
    resolved = real_path(out)
    return resolved.parent / f".{resolved.name}.staging-{os.getpid()}"


def _running(pid: int) -> bool:
    """True when a process `pid` exists (perhaps another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours to signal, but there
        return True
    return True


def discard(staging: Path) -> None:
    """Remove a staging folder after a failed build; --out was never touched."""
    shutil.rmtree(staging, ignore_errors=True)


def commit(staging: Path, out: Path, staged: Staged, last: Manifest, window: Window) -> WriteReport:
    """Move staged files into --out, delete stale generated files, and save the manifest.

    `staged` holds the packed manifest rows of every file of this build and the files
    written into the staging folder, `last` the previous build's manifest, `window` the
    times of this build's writes.
    """
    previous = last.files
    report = WriteReport(written=len(staged.paths), touched=list(staged.paths))
    # The rows are needed to save the manifest (when it changes) and to find stale files (when
    # this build lacks a path of the previous one; paths are unique, so known rows tell).
    stale = staged.known != len(previous)
    save = bool(staged.changed) or stale or len(previous) != staged.rows
    parts = staged.packed_rows(staging) if save else []
    shutil.rmtree(staging / ROWS_FOLDER, ignore_errors=True)
    if os.path.islink(out) and not os.path.exists(out):  # a link to a folder still to be made
        try:
            os.mkdir(real_path(out))
        except OSError as err:
            why = f"links to {os.readlink(out)}, which cannot be made: {err.strerror}"
            raise UnsafePath(f"--out {out} {why}") from None
    if not os.path.lexists(out):
        os.replace(staging, out)
    elif out.is_dir() and not any(out.iterdir()):
        # An empty folder stays (its owner, group and mode, a mount point, the shell's `.`):
        # what the staging folder holds moves in, a rename per top-level file or folder.
        for name in sorted(os.listdir(staging)):
            os.replace(staging / name, out / name)
        os.rmdir(staging)
    else:
        # Strings, not Paths: a --clean build over a site moves every file (40,216 at 200
        # entries), and pathlib took as long as the moves.
        source, target = str(staging), str(out)
        current = set(paths_of(parts)) if stale else set()
        # Only what a build could have written: a damaged manifest (../x) is not obeyed.
        gone = sorted(filter(_is_safe, previous.keys() - current)) if stale else []
        report.replaced = _check_before_moving(target, staged.paths, gone, previous)
        # On record before they move: a move that fails or is interrupted half-way leaves no
        # page in --out that the next build does not know it wrote (it would stay for good).
        if staged.paths:  # (then the manifest is saved again below, once they have moved)
            _save_manifest(out, [*last.parts, _incoming(staged.paths)], last.window)
        made: set[str] = set()
        for path in sorted(staged.paths):
            folder = path.rpartition("/")[0]
            if folder not in made:
                make_folder(f"{target}/{folder}")
                made.add(folder)
            os.replace(f"{source}/{path}", f"{target}/{path}")
        _remove_emptied(source, made)
        if stale:  # else the 40,000 paths of a 200-entry site need not make a set
            for path in gone:
                if _remove(out, path):
                    report.deleted += 1
                    report.touched.append(path)
    report.unchanged = staged.rows - len(staged.paths)
    if save:
        _save_manifest(out, parts, window)
    return report


def _is_safe(path: str) -> bool:
    """True when `path` stays inside the output folder (see safe_relative)."""
    try:
        safe_relative(path)
    except ValueError:
        return False
    return True


def _incoming(moving: list[str]) -> bytes:
    """Return a manifest part of the files about to move into --out, with no key: nothing is
    kept of them without being rendered again. Saved after the previous build's own rows,
    which it overrides (load_manifest reads the parts in order)."""
    count = len(moving)
    return marshal.dumps((tuple(moving), (0,) * count, (0,) * count, ("",) * count))


def _check_before_moving(
    out: str, moving: Iterable[str], gone: Iterable[str], known: Mapping[str, object]
) -> list[str]:
    """Raise UnsafePath, before anything is moved, where moving or deleting would go wrong;
    return the paths of files already there that are not `known` as a build's (written over).

    A folder on the way to any of the paths must not be a symbolic link (one made by hand:
    moving or deleting through it would change files outside the output folder). For the
    files that move in, also: no file where a folder must be, no folder where the file goes,
    and folders this user can write in (the moves would fail half-way, on every build). Each
    folder is looked at once.
    """
    seen: set[str] = set()
    replaced = []
    for paths, moved in ((moving, True), (gone, False)):
        for path in paths:
            if moved:
                try:
                    mode = os.lstat(f"{out}/{path}").st_mode
                except OSError:
                    mode = 0
                if stat.S_ISDIR(mode) or (stat.S_ISLNK(mode) and os.path.isdir(f"{out}/{path}")):
                    raise UnsafePath(f"{out}/{path} is a folder where the build writes a file")
                if mode and path not in known:
                    replaced.append(path)
            folder = path.rpartition("/")[0]
            while folder and folder not in seen:
                seen.add(folder)
                where = f"{out}/{folder}"
                try:
                    mode = os.lstat(where).st_mode
                except (FileNotFoundError, NotADirectoryError):  # made by the move (a file
                    mode = 0  # above it is found when the walk gets there)
                if stat.S_ISLNK(mode):
                    raise UnsafePath(
                        f"{where} is a symbolic link: rivals writes and deletes only"
                        " inside --out (replace the link with a folder, or build elsewhere)"
                    )
                if moved and mode and not stat.S_ISDIR(mode):
                    raise UnsafePath(f"{where} is a file where the build needs a folder")
                if moved and mode and not os.access(where, os.W_OK):
                    raise UnsafePath(f"{where} is a folder this user cannot write in")
                folder = folder.rpartition("/")[0]
    return replaced


def _remove_emptied(staging: str, folders: set[str]) -> None:
    """Remove the staging folder, whose files were all moved out of `folders` (relative
    paths): an rmdir per folder, deepest first, instead of a walk of the whole tree."""
    parents = set(folders)
    for folder in folders:
        while (folder := folder.rpartition("/")[0]) and folder not in parents:
            parents.add(folder)
    for folder in sorted(parents, key=lambda f: f.count("/"), reverse=True):
        if folder:
            try:
                os.rmdir(f"{staging}/{folder}")
            except OSError:
                break  # not empty after all: leave the rest to rmtree
    try:
        os.rmdir(staging)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


def _remove(out: Path, path: str) -> int:
    target = out / safe_relative(path)
    try:
        target.unlink()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return 0  # gone, or now a folder (or in place of one): not a file this build wrote
    parent = target.parent
    while parent != out:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return 1


def _save_manifest(out: Path, parts: list[bytes], window: Window) -> None:
    folder = cache_dir(out)
    save_cache(folder / "manifest.bin", marshal.dumps((MANIFEST_VERSION, window, parts)))
    (folder / "manifest.json").unlink(missing_ok=True)  # the format of older versions


def memo_path(out: Path) -> Path:
    """Return where builds into `out` keep the parsed catalog."""
    return cache_dir(out) / "catalog.pickle"


def save_memo(out: Path, packed: bytes) -> None:
    """Keep the parsed catalog (load.pack_memo) beside the output, for the next build to skip
    parsing."""
    save_cache(memo_path(out), packed)


def read_closeness(out: Path, key: str) -> object:
    """Return the closeness order the previous build into `out` kept under `key` (see
    views.closeness_key), or None."""
    try:
        found = read_own(cache_dir(out) / "closeness.pickle")
        kept = None if found is None else pickle.loads(found[0])
    except Exception:  # a damaged pickle raises almost anything (ValueError, IndexError, ...)
        return None
    if type(kept) is tuple and len(kept) == 2 and kept[0] == key:
        return kept[1]
    return None


def save_closeness(out: Path, key: str, order: object) -> None:
    """Keep a closeness order beside the output under `key`, for the next build."""
    save_cache(cache_dir(out) / "closeness.pickle", pickle.dumps((key, order), protocol=5))


def save_cache(path: Path, data: bytes) -> None:
    """Write a cache file beside the output (the folder is made on the first build)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)


def write_new_file(path: Path, text: str) -> None:
    """Create `path` with `text`; fail if it exists (used by `rivals new`, never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)


def write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically."""
    replace_file(path, text.encode("utf-8"))


def replace_file(path: Path | str, data: bytes) -> None:
    """Write `data` to a hidden file beside `path`, then rename it over `path`: a reader sees
    the old file or the new one, and two processes writing the same file do not mix."""
    head, name = os.path.split(path)
    temporary = os.path.join(head, f".{name}.{os.getpid()}")  # (no head: the current folder)
    # A new file, never through a link or into a FIFO put there; 0644 whatever the umask
    # (002 on many desktops): owned.read_own reads back only what nobody else can write.
    try:
        fd = os.open(temporary, _NEW_FILE, FILE_MODE)
    except FileExistsError:  # left by a killed build, or put there: replaced, not followed
        os.unlink(temporary)
        fd = os.open(temporary, _NEW_FILE, FILE_MODE)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:  # a full disk, a folder where `path` is: no hidden file is left
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW


PIECE_DIGEST = 16  # bytes of hash before each kept piece


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=PIECE_DIGEST).digest()


class FragmentStore:
    """Each entry's capability list and feature cells as HTML, kept between builds.

    Kept beside the output like the manifest (render.Fragments uses them). Rendering them is
    most of what a pair page costs the first time a process meets one of its entries: a
    one-entry edit renders the edited entry's pair pages, each with another entry met for the
    first time (about 0.3 ms each, in each worker). Each piece is a file
    named after its entry's fingerprint (a hash of everything the site shows of the entry),
    in a folder named after the build's base (templates, code and settings): a piece read
    back is the HTML that rendering would give. `reuse` False (a --clean build) reads none.
    """

    def __init__(
        self,
        folder: Path,
        base: str,
        entries: Mapping[str, Any],
        prints: Callable[[str], str],
        reuse: bool = True,
    ) -> None:
        self.root, self.folder = str(folder), f"{folder}/{base[:32]}"
        self.entries, self.prints, self.reuse = entries, prints, reuse
        self._made: bool | None = False  # None: the folder cannot be made
        if os.path.islink(self.root) or os.path.islink(self.folder):
            self.reuse, self._made = False, None  # not ours to write, read or prune

    def name(self, kind: str, entry: Any, *more: object) -> str | None:
        """Return the file name of one of `entry`'s pieces; None if it is not the site's."""
        slug = getattr(entry, "slug", None)
        if not isinstance(slug, str) or self.entries.get(slug) is not entry:
            return None
        return "-".join((kind, self.prints(slug), *map(str, more)))

    def get(self, name: str | None) -> Any:
        """Return the piece an earlier build left under `name`, or None."""
        if name is None or not self.reuse:
            return None
        found = read_own(f"{self.folder}/{name}", code=False)
        if found is None:
            return None
        digest, data = found[0][:PIECE_DIGEST], found[0][PIECE_DIGEST:]
        if digest != _digest(data):
            return None  # damaged (or of an older version): it would be put on pages as is
        try:
            return marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None

    def put(self, name: str | None, piece: str | tuple[tuple[str, ...], ...]) -> None:
        """Keep a piece this process rendered (a string, or tuples of strings)."""
        if name is None or self._made is None:
            return
        try:
            if not self._made:
                os.makedirs(self.folder, exist_ok=True)
                self._made = True
            path = f"{self.folder}/{name}"
            if not os.path.exists(path):  # else the other worker rendered it first
                data = marshal.dumps(piece)
                replace_file(path, _digest(data) + data)
        except OSError:
            self._made = None  # no folder for pieces (a file in the way): keep none this build

    def prune(self) -> None:
        """Delete the pieces of entries the site no longer shows as they were, and those
        made under another base."""
        if self._made is None:
            return
        live = {self.prints(slug) for slug in self.entries}
        mine = Path(self.folder).name
        # Links are removed, never followed: whoever could put one there would choose
        # where the deleting happens.
        try:
            with os.scandir(self.root) as found:
                for folder in found:
                    if folder.name == mine and folder.is_dir(follow_symlinks=False):
                        self._prune_pieces(folder.path, live)
                    elif folder.is_dir(follow_symlinks=False):
                        shutil.rmtree(folder.path, ignore_errors=True)  # never follows links
                    else:
                        os.unlink(folder.path)
        except OSError:
            pass  # a cache: what is left is never read under another name

    @staticmethod
    def _prune_pieces(folder: str, live: set[str]) -> None:
        with os.scandir(folder) as pieces:
            for piece in pieces:
                parts = piece.name.split("-")
                if piece.name.startswith(".") or len(parts) < 2 or parts[1] not in live:
                    if piece.is_dir(follow_symlinks=False):
                        shutil.rmtree(piece.path, ignore_errors=True)
                    else:
                        os.unlink(piece.path)
