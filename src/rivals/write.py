"""Writing the site: a staging folder beside --out, no path written twice, then a swap.

Nothing touches --out until every page has been rendered. A build manifest (beside the output,
in `.rivals-cache/<out name>/manifest.json`) remembers, for every file the generator wrote, the
hash of its bytes, its size and modification time, and the key of the inputs it was rendered
from, so that the next build

* does not even render a page whose input key is unchanged and whose file is still as written,
* leaves a file alone when its new bytes are the same (its mtime stays as it was),
* deletes the files it wrote before and no longer writes (a removed entry's pages),
* never deletes a file it did not write.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_VERSION = 2


@dataclass(frozen=True)
class Written:
    """What the manifest keeps of one output file."""

    digest: str
    size: int
    mtime_ns: int
    key: str = ""


@dataclass
class WriteReport:
    """What a commit did to the output folder."""

    written: int = 0
    unchanged: int = 0
    deleted: int = 0


def cache_dir(out: Path) -> Path:
    """Return the folder beside `out` where builds keep their manifest."""
    return out.resolve().parent / ".rivals-cache" / out.resolve().name


def load_manifest(out: Path) -> dict[str, Written]:
    """Return the previous build's manifest, or {} when there is none or it is unreadable."""
    try:
        raw = json.loads((cache_dir(out) / "manifest.json").read_text("utf-8"))
        if raw.get("version") != MANIFEST_VERSION:
            return {}
        return {path: Written(*item) for path, item in raw["files"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def safe_relative(path: str) -> str:
    """Return `path` if it stays inside the output folder; raise ValueError otherwise."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"refusing to write outside the output folder: {path!r}")
    return path


@dataclass
class PageWriter:
    """Writes pages into the staging folder, skipping those whose bytes are already in --out.

    One per process: workers each have their own and hand back what they wrote.
    """

    staging: Path
    out: Path
    previous: dict[str, Written]
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (digest, key)
    staged: list[str] = field(default_factory=list)
    _folders: set[str] = field(default_factory=set)

    def keep(self, path: str, key: str) -> bool:
        """Return True (and record the page) when --out holds it rendered from the same key."""
        old = self.previous.get(path)
        where = os.path.join(self.out, path)
        if old is None or not key or old.key != key or not _same_file(where, old):
            return False
        self._claim(path, old.digest, key)
        return True

    def write(self, path: str, data: bytes, key: str = "") -> None:
        """Stage `data` for `path` unless --out already holds exactly these bytes."""
        path = safe_relative(path)
        digest = hashlib.sha256(data).hexdigest()[:32]
        self._claim(path, digest, key)
        old = self.previous.get(path)
        if (
            old is not None
            and old.digest == digest
            and _same_file(os.path.join(self.out, path), old)
        ):
            return
        # Plain os calls on strings: this runs once per page, and pathlib costs more than
        # the write itself on tmpfs.
        folder, _, _ = path.rpartition("/")
        if folder and folder not in self._folders:
            os.makedirs(os.path.join(self.staging, folder), exist_ok=True)
            self._folders.add(folder)
        with open(os.path.join(self.staging, path), "wb") as handle:
            handle.write(data)
        self.staged.append(path)

    def _claim(self, path: str, digest: str, key: str) -> None:
        if path in self.seen:
            raise ValueError(f"two pages want the same path: {path}")
        self.seen[path] = (digest, key)


def _same_file(path: str, old: Written) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == old.size and st.st_mtime_ns == old.mtime_ns


def new_staging(out: Path) -> Path:
    """Create and return an empty staging folder beside `out`."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{out.resolve().name}.staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def discard(staging: Path) -> None:
    """Remove a staging folder after a failed build; --out was never touched."""
    shutil.rmtree(staging, ignore_errors=True)


def commit(
    staging: Path,
    out: Path,
    seen: dict[str, tuple[str, str]],
    staged: list[str],
    previous: dict[str, Written],
) -> WriteReport:
    """Move staged files into --out, delete stale generated files, and save the manifest."""
    report = WriteReport(written=len(staged), unchanged=len(seen) - len(staged))
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    else:
        made: set[str] = set()
        for path in sorted(staged):
            folder = os.path.dirname(path)
            if folder not in made:
                os.makedirs(out / folder, exist_ok=True)
                made.add(folder)
            os.replace(staging / path, out / path)
        shutil.rmtree(staging, ignore_errors=True)
        for path in sorted(set(previous) - set(seen)):
            report.deleted += _remove(out, path)
    _save_manifest(out, seen, staged, previous)
    return report


def _remove(out: Path, path: str) -> int:
    target = out / safe_relative(path)
    try:
        target.unlink()
    except FileNotFoundError:
        return 0
    parent = target.parent
    while parent != out:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return 1


def _save_manifest(
    out: Path, seen: dict[str, tuple[str, str]], staged: list[str], previous: dict[str, Written]
) -> None:
    fresh = set(staged)
    if (
        not fresh
        and set(previous) == set(seen)
        and all(previous[p].digest == d and previous[p].key == k for p, (d, k) in seen.items())
    ):
        return  # a no-op build: the manifest on disk is already right
    files: dict[str, list[object]] = {}
    for path in sorted(seen):
        digest, key = seen[path]
        old = previous.get(path)
        if path in fresh or old is None:
            st = os.stat(out / path)
            files[path] = [digest, st.st_size, st.st_mtime_ns, key]
        else:
            files[path] = [old.digest, old.size, old.mtime_ns, key]
    folder = cache_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps({"version": MANIFEST_VERSION, "files": files}), "utf-8")
    os.replace(tmp, folder / "manifest.json")


def save_memo(out: Path, memo: Mapping[str, object]) -> None:
    """Keep the parsed catalog beside the output, for the next build to skip parsing."""
    folder = cache_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "catalog.pickle.tmp"
    with tmp.open("wb") as handle:
        pickle.dump(memo, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / "catalog.pickle")


def write_new_file(path: Path, text: str) -> None:
    """Create `path` with `text`; fail if it exists (used by `rivals new`, never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)


def write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)
