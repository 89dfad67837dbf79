"""Compiled templates kept between builds (Jinja's bytecode cache), read only when safe.

A site's own templates are kept beside its output, in `.rivals-cache/<out>/templates/`; the
built-in theme's once for every site, in the user's cache folder (see theme_cache_dir):
compiling the theme takes a tenth of a second, a sixth of a 50-entry build that starts
without `.rivals-cache/`. What is read from either folder runs as Python code, so a file is
used only if it is a regular file of this user that nobody else can write, as checked on the
open file (a folder checked first could be swapped before the file is read); a file that is
damaged in any way is compiled again and replaced.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import stat
import sys
import time
import types
from pathlib import Path

import jinja2
import jinja2.bccache

DAY = 86400
MONTH = 30 * DAY  # a theme file nobody wrote or read for this long is removed
MAX_BYTES = 16 * 1024 * 1024  # far more than any compiled template
_THEME_KEY = "theme:"
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


@functools.cache
def code_digest() -> str:
    """Return a hash of rivals' code and Jinja's version: what decides how a template compiles
    (rivals' code generator, and its filters, which Jinja runs on constants at compile time)."""
    digest = hashlib.sha256(jinja2.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def bytecode_cache(folder: Path, theme_dir: Path) -> jinja2.BytecodeCache | None:
    """Return the cache of compiled templates: the site's in `folder`, those of the built-in
    theme in `theme_dir` in the user's cache folder (with the site's when that is not usable);
    None when `folder` cannot be made (templates are then compiled every build).

    Jinja checks each template's source, not the compiler that compiled it: the cached files'
    names carry code_digest().
    """
    suffix = f"-{code_digest()[:16]}.cache"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.cache"):
            if not stale.name.endswith(suffix):
                stale.unlink(missing_ok=True)  # made by another version: never read again
    except OSError:
        return None
    return KeptTemplates(str(folder), f"%s{suffix}", _theme_folder(), theme_dir)


def theme_cache_dir() -> Path | None:
    """Return where the built-in theme's compiled templates go: `rivals/theme-pyXY` in
    $XDG_CACHE_HOME (or ~/.cache), one folder per Python version as they are Python bytecode;
    None without a home folder."""
    root = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(root):  # the XDG rule: a relative value is ignored
        try:
            root = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder to be found
            return None
    return Path(root) / "rivals" / f"theme-py{sys.version_info[0]}{sys.version_info[1]}"


def _theme_folder() -> Path | None:
    """Return the theme's folder in the user's cache, made if need be; None if it cannot be
    used: the cache folder (~/.cache) is not this user's, or is missing in a folder that is
    not this user's (root running with a user's HOME must not leave folders in it that the
    user cannot remove), or the folders of rivals in it are not private to this user.

    Files there that were neither written nor read for a month are removed, whichever
    installation of rivals made them (temporary virtualenvs come and go).
    """
    folder = theme_cache_dir()
    if folder is None:
        return None
    cache = folder.parent.parent
    try:
        if not os.path.isdir(cache):
            if not _mine(os.stat(cache.parent)):
                return None
            cache.mkdir(mode=0o700)
        if not _mine(os.stat(cache)):
            return None
        for part in (folder.parent, folder):
            with contextlib.suppress(FileExistsError):
                part.mkdir(mode=0o700)
            if not _private(os.lstat(part)):  # a link: to wherever someone else chose
                return None
        month_ago = time.time() - MONTH
        for kept in folder.glob("*.cache"):
            if kept.lstat().st_mtime < month_ago:
                kept.unlink(missing_ok=True)
    except OSError:
        return None
    return folder


def _mine(info: os.stat_result) -> bool:
    """True when the file or folder `info` belongs to this (effective) user."""
    return not hasattr(os, "geteuid") or info.st_uid == os.geteuid()


def _private(info: os.stat_result) -> bool:
    """True when `info` is a folder or file of this user that nobody else can write."""
    if not hasattr(os, "geteuid"):
        return True  # no POSIX owners to check
    return _mine(info) and not info.st_mode & 0o022


def read_private(path: str) -> bytes | None:
    """Return the bytes of the regular file `path` if this user owns it and nobody else can
    write it (checked on the open file, not through a link); None otherwise, or if it cannot
    be read. A file read more than a day after it was written is touched, so that a theme's
    files in use are never taken for another installation's leftovers."""
    try:
        fd = os.open(path, _OPEN_FLAGS)  # non-blocking: a FIFO put there does not hang
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info) or info.st_size > MAX_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(MAX_BYTES + 1)
        if info.st_mtime < time.time() - DAY and os.utime in os.supports_fd:
            with contextlib.suppress(OSError):
                os.utime(fd)
        return data
    except OSError:
        return None
    finally:
        os.close(fd)


class KeptTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, made safe: a file is read only as
    read_private allows, anything wrong with its contents means "compile again", and a file
    that cannot be written is not an error. The built-in theme's templates (those under
    `theme_dir`) are kept in `theme` when that is not None."""

    def __init__(self, directory: str, pattern: str, theme: Path | None, theme_dir: Path):
        super().__init__(directory, pattern)
        self.theme = None if theme is None else str(theme)
        self.theme_dir = os.path.join(theme_dir, "")

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        key = super().get_cache_key(name, filename)
        if self.theme is not None and filename is not None and filename.startswith(self.theme_dir):
            return _THEME_KEY + key
        return key

    def _get_cache_filename(self, bucket: jinja2.bccache.Bucket) -> str:
        key = bucket.key
        if self.theme is not None and key.startswith(_THEME_KEY):
            return os.path.join(self.theme, self.pattern % key[len(_THEME_KEY) :])
        return super()._get_cache_filename(bucket)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = read_private(self._get_cache_filename(bucket))
        if data is None:
            return
        try:
            bucket.load_bytecode(io.BytesIO(data))
        except Exception:  # Jinja reads the header with pickle: a damaged one raises anything
            bucket.reset()
        if bucket.code is not None and not isinstance(bucket.code, types.CodeType):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)
