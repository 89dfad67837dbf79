"""Files of the caches that builds keep, read only when no one else could have planted them.

The caches (compiled templates, the parsed catalog, the closeness order, kept pieces, the
manifest) are read back with pickle or marshal, or run as code: a file someone else planted
would run as whoever builds. `--out /tmp/site` keeps them in /tmp/.rivals-cache/, where
anyone can make folders. So a build first checks who owns its cache folder
(write.check_cache, with trusted_owners); then a file is read only if it is a regular file (a
FIFO would hang the read), not a link, as checked on the open file (a folder checked first
could be swapped before the file is read); and a pickle or compiled template only if it is
this user's (or root's) and nobody else can write it. Files that fail are ignored, which
costs the work they would have saved. The cache folders follow the umask, like the output (a
team may share them), but are never made writable by every user (see build.build_site);
rivals writes and deletes in them without following links.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from pathlib import Path

_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
FILE_MODE = 0o644  # what rivals writes its caches with, whatever the umask allows


def read_own(
    path: str | Path,
    limit: int | None = None,
    touch_after: float | None = None,
    code: bool = True,
) -> tuple[bytes, os.stat_result] | None:
    """Return the bytes of the cache file `path` and its status, or None when it is missing,
    unreadable, longer than `limit` bytes or not trusted (see the module).

    `code` False is for data that cannot run (marshal, text), in a cache folder whose owner
    the build has checked (write.check_cache): whoever could put it there could write the
    output as well, so its owner is not checked. The previous build may have been another
    user's (a folder a team shares, `sudo rivals build`), and on file systems without
    permissions (FAT, or Windows drives under WSL) every file is 0777: a build that ignored
    its manifest would never remove the pages of a deleted entry. Pickles and compiled
    templates must be this user's (or root's) and writable by nobody else.

    With `touch_after` (seconds), a file older than that is given the time now, to say that it
    is still in use.
    """
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return None
    try:
        with open(fd, "rb") as handle:
            info = os.fstat(fd)
            trusted = is_private(info) if code else True
            if not stat.S_ISREG(info.st_mode) or not trusted:
                return None
            if limit is not None and info.st_size > limit:
                return None
            data = handle.read() if limit is None else handle.read(limit + 1)
            if data is None:  # nothing to read without waiting (not a file a build wrote)
                return None
            stale = touch_after is not None and info.st_mtime < time.time() - touch_after
            if stale and os.utime in os.supports_fd:
                with contextlib.suppress(OSError):  # a read-only cache is still read
                    os.utime(fd)
    except OSError:
        return None
    return data, info


def is_mine(info: os.stat_result) -> bool:
    """True when the file or folder `info` belongs to this (effective) user, or to root (who
    could change anything of ours anyway)."""
    return not hasattr(os, "geteuid") or info.st_uid in (os.geteuid(), 0)


def is_private(info: os.stat_result) -> bool:
    """True when `info` is a file or folder of this user (or root) that nobody else can write."""
    return is_mine(info) and (not hasattr(os, "geteuid") or not info.st_mode & 0o022)


def is_trusted(info: os.stat_result, owners: frozenset[int]) -> bool:
    """True when `info` belongs to this user, root or one of `owners`."""
    return is_mine(info) or info.st_uid in owners


def real_path(path: Path) -> Path:
    """Return `path` absolute, with its links followed as far as they go: Path.resolve
    raises RuntimeError on a loop of links before Python 3.13 (the loop is reported by
    whatever then uses the path)."""
    return Path(os.path.realpath(path))


def trusted_owners(out: Path) -> frozenset[int]:
    """Return the users whose cache folder a build into `out` may use besides this user's
    (and root's): the owners of `out` and of the folder it is in (where `.rivals-cache` is),
    who can change whatever is there anyway. A folder someone else made in /tmp is not
    trusted: /tmp is root's."""
    owners = set()
    for path in (out, real_path(out).parent):
        with contextlib.suppress(OSError):
            owners.add(os.stat(path).st_uid)
    return frozenset(owners)
