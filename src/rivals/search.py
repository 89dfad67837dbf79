"""The search stage: a static Pagefind index of the built site, swapped in whole."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

INDEX = "pagefind"
# Characters that mean something in a Pagefind glob: a top-level name holding one is not listed.
_GLOB_SPECIAL = frozenset("{}[]*?,!\\")


class SearchError(Exception):
    """Pagefind failed; the pages are built, the previous index (if any) is kept."""

    exit_code = 1


def page_glob(out: Path, skip: Iterable[str]) -> str | None:
    """Return a Pagefind glob for the HTML files of `out` outside its top-level folders `skip`,
    or None for every HTML file (what Pagefind reads by default).

    The names come from `out` itself, so that pages a build did not write are searched too.
    None when a name has a character that globs give a meaning to (that name would not match).
    """
    parts = []
    for name in sorted(os.listdir(out)):
        if name in skip or name == INDEX:
            continue
        if _GLOB_SPECIAL.intersection(name):
            return None
        if (out / name).is_dir():
            parts.append(f"{name}/**/*.html")
        elif name.endswith(".html"):
            parts.append(name)
    return "{" + ",".join(parts) + "}" if parts else None


def index_listing(out: Path) -> bytes:
    """Return a line for every file of the search index in `out`: its path, size and mtime."""
    lines = []
    for folder, subfolders, files in os.walk(out / INDEX):
        subfolders.sort()
        for name in sorted(files):
            try:
                info = os.stat(os.path.join(folder, name), follow_symlinks=False)
            except OSError:
                continue
            path = os.path.relpath(os.path.join(folder, name), out)
            lines.append(f"\n{path}\0{info.st_size}\0{info.st_mtime_ns}")
    return "".join(lines).encode("utf-8", "surrogateescape")


def index_site(out: Path, changed: bool, glob: str | None = None) -> bool:
    """Index `out` with Pagefind into out/pagefind/; return False when nothing needed doing.

    Pagefind writes into a folder beside the site first, so a failure leaves the previous index
    in place; only pages marked `data-pagefind-body` (models, categories) are indexed. Pagefind
    reads the files that `glob` matches (see page_glob), every HTML file if it is None.
    """
    target = out / INDEX
    if not changed and (target / "pagefind-ui.js").is_file():
        return False
    fresh = out.parent / f".{out.name}.pagefind-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    command = [sys.executable, "-m", "pagefind", "--site", str(out), "--output-path", str(fresh)]
    if glob is not None:
        command += ["--glob", glob]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as err:
        raise SearchError(f"could not run Pagefind: {err}") from None
    if done.returncode != 0 or not (fresh / "pagefind-ui.js").is_file():
        shutil.rmtree(fresh, ignore_errors=True)
        lines = [line.strip() for line in (done.stderr + done.stdout).splitlines()]
        errors = [line for line in lines if "error" in line.lower()]
        detail = (errors or [line for line in lines if line] or ["no output"])[-1]
        raise SearchError(f"Pagefind failed: {detail}")
    old = out.parent / f".{out.name}.pagefind-old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(fresh, target)
    shutil.rmtree(old, ignore_errors=True)
    return True
