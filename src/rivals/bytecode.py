"""Compiled templates kept between builds (Jinja's bytecode cache), read only when safe.

A site's own templates are kept beside its output, in `.rivals-cache/<out>/templates/`; the
built-in theme's once for every site, in the user's cache folder (see theme_cache_dir):
compiling the theme takes a tenth of a second, a sixth of a 50-entry build that starts
without `.rivals-cache/`. What is read from either folder runs as Python code: a file is
read only as owned.read_own allows, and one that is damaged in any way is compiled again and
replaced.
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

from rivals.owned import is_mine, is_private, read_own

DAY = 86400
MONTH = 30 * DAY  # a theme file nobody wrote or read for this long is removed
MAX_BYTES = 16 * 1024 * 1024  # far more than any compiled template
_THEME_KEY = "theme:"


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
        if os.path.islink(folder):
            return None  # not ours to clean: whoever made the link chose where it leads
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
            if not is_mine(os.stat(cache.parent)):
                return None
            cache.mkdir(mode=0o700)
        if not is_mine(os.stat(cache)):
            return None
        for part in (folder.parent, folder):
            with contextlib.suppress(FileExistsError):
                part.mkdir(mode=0o700)
            info = os.lstat(part)
            if is_mine(info) and stat.S_ISDIR(info.st_mode) and not is_private(info):
                part.chmod(0o700)  # made under a umask of 002 (by rivals before 0ae85ee)
                info = os.lstat(part)
            if not stat.S_ISDIR(info.st_mode) or not is_private(info):  # or a link
                return None
        month_ago = time.time() - MONTH
        for kept in folder.glob("*.cache"):
            if kept.lstat().st_mtime < month_ago:
                kept.unlink(missing_ok=True)
    except OSError:
        return None
    return folder


class KeptTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, made safe: a file is read only as
    owned.read_own allows, anything wrong with its contents means "compile again", and a file
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
        # A file read a day after it was written is touched: the theme's files in use are
        # never taken for another installation's leftovers (see _theme_folder).
        found = read_own(self._get_cache_filename(bucket), MAX_BYTES, touch_after=DAY)
        if found is None:
            return
        try:
            bucket.load_bytecode(io.BytesIO(found[0]))
        except Exception:  # Jinja reads the header with pickle: a damaged one raises anything
            bucket.reset()
        if bucket.code is not None and not isinstance(bucket.code, types.CodeType):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)
