"""Shared fixtures: the small valid catalog, invalid overlays and a CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's cache folder for the whole run (builds keep the compiled theme there), so
    that tests neither write into the real one nor depend on what it holds."""
    folder = tmp_path_factory.mktemp("user-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A writable copy of the small valid catalog."""
    target = tmp_path / "data"
    shutil.copytree(VALID, target)
    return target


def overlay(case: Path, target: Path) -> None:
    """Copy an invalid case's files over a valid catalog (remove.txt lists files to delete)."""
    for path in sorted(case.rglob("*")):
        rel = path.relative_to(case)
        if path.is_dir() or rel.name == "expected.txt":
            continue
        if rel.name == "remove.txt":
            for line in path.read_text().splitlines():
                (target / line.removeprefix("REMOVE ").strip()).unlink()
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel)


def problems_of(folder: Path) -> list[str]:
    """Return the problems of the catalog in `folder`, as printed, with paths inside it."""
    from rivals.load import load_catalog
    from rivals.problems import CatalogError
    from rivals.validate import validate_catalog

    raw, problems = load_catalog(folder)
    try:
        validate_catalog(raw, problems)
    except CatalogError as err:
        return [str(p).removeprefix(f"{folder}/") for p in err.problems]
    return []


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def tree(folder: Path) -> dict[str, bytes]:
    """Return every file under `folder` by relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
