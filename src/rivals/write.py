"""Writing the site: a staging folder beside --out, no path written twice, then a swap.

Nothing touches --out until every page has been rendered. A build manifest (beside the output,
in `.rivals-cache/<out name>/manifest.json`) remembers the hash, size and modification time
of every file the generator wrote, so that the next build

* leaves a file alone when its bytes did not change (its mtime stays as it was),
* deletes the files it wrote before and no longer writes (a removed entry's pages),
* never deletes a file it did not write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Written:
    """What the manifest keeps of one output file."""

    digest: str
    size: int
    mtime_ns: int


@dataclass
class WriteReport:
    """What a commit did to the output folder."""

    written: int = 0
    unchanged: int = 0
    deleted: int = 0


def cache_dir(out: Path) -> Path:
    """Return the folder beside `out` where builds keep their manifest and caches."""
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
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise ValueError(f"refusing to write outside the output folder: {path!r}")
    return str(pure)


@dataclass
class PageWriter:
    """Writes pages into the staging folder, skipping those whose bytes are already in --out.

    One per process: workers each have their own and hand back what they wrote.
    """

    staging: Path
    out: Path
    previous: dict[str, Written]
    seen: dict[str, str] = field(default_factory=dict)  # path -> digest
    staged: list[str] = field(default_factory=list)

    def write(self, path: str, data: bytes) -> None:
        """Stage `data` for `path` unless --out already holds exactly these bytes."""
        path = safe_relative(path)
        if path in self.seen:
            raise ValueError(f"two pages want the same path: {path}")
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        self.seen[path] = digest
        old = self.previous.get(path)
        if old is not None and old.digest == digest and _same_file(self.out / path, old):
            return
        target = self.staging / path
        try:
            target.write_bytes(data)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        self.staged.append(path)


def _same_file(path: Path, old: Written) -> bool:
    try:
        st = path.stat()
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
    digests: dict[str, str],
    staged: list[str],
    previous: dict[str, Written],
) -> WriteReport:
    """Move staged files into --out, delete stale generated files, and save the manifest."""
    report = WriteReport(written=len(staged), unchanged=len(digests) - len(staged))
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    else:
        for path in sorted(staged):
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / path, target)
        shutil.rmtree(staging, ignore_errors=True)
        for path in sorted(set(previous) - set(digests)):
            report.deleted += _remove(out, path)
    _save_manifest(out, digests, staged, previous)
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
    out: Path, digests: dict[str, str], staged: list[str], previous: dict[str, Written]
) -> None:
    fresh = set(staged)
    files: dict[str, list[object]] = {}
    for path in sorted(digests):
        old = previous.get(path)
        if path in fresh or old is None:
            st = (out / path).stat()
            files[path] = [digests[path], st.st_size, st.st_mtime_ns]
        else:
            files[path] = [old.digest, old.size, old.mtime_ns]
    folder = cache_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps({"version": MANIFEST_VERSION, "files": files}), "utf-8")
    os.replace(tmp, folder / "manifest.json")
