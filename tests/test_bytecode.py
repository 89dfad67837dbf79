"""Compiled templates kept between builds: the theme's once per user, read only when safe."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from jinja2.bccache import bc_magic

from conftest import REPO, tree
from rivals.build import BuildOptions, build_site
from rivals.render import Environment

TEMPLATES = REPO / "templates"
OVERRIDE = '{% extends "theme/404.html" %}{% block head %}<!-- ours -->{% endblock %}'


def build(data: Path, out: Path, templates: Path = TEMPLATES, **kw) -> None:
    build_site(BuildOptions(data=data, templates=templates, out=out, search=False, **kw))


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of the user's, for this test alone."""
    cache = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates compiled from here on (in this process: use jobs=1)."""
    names: list[str] = []
    compile_template = Environment.compile

    def counting(self: Environment, source: str, name: str | None = None, *args, **kw):
        names.append(name or "")
        return compile_template(self, source, name, *args, **kw)

    monkeypatch.setattr(Environment, "compile", counting)
    return names


def theme_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("rivals/theme-py*/*.cache"))


def test_templates_compiled_by_another_version_are_not_reused(
    catalog: Path, tmp_path: Path
) -> None:
    """Jinja's bytecode cache checks the template source, not the compiler: ours names it."""
    site_templates = tmp_path / "templates"
    site_templates.mkdir()
    (site_templates / "404.html").write_text('{% extends "theme/404.html" %}')
    out = tmp_path / "site"
    build(catalog, out, site_templates)
    folder = tmp_path / ".rivals-cache" / "site" / "templates"
    suffixes = {path.name.split("-", 1)[1] for path in folder.glob("*.cache")}
    assert len(suffixes) == 1  # one compiler, named in every file
    stale = folder / "0123-from-another-version.cache"
    stale.write_bytes(b"not a compiled template")
    build(catalog, out, clean=True)
    assert not stale.exists()


def test_the_theme_is_compiled_once_for_every_site(
    catalog: Path, tmp_path: Path, own_cache: Path, compiled: list[str]
) -> None:
    """The built-in theme's compiled templates are kept in the user's cache, not beside --out:
    a site built for the first time (no .rivals-cache/) does not compile them again; a site
    template is compiled and kept beside its output."""
    build(catalog, tmp_path / "first", jobs=1)
    assert "compare.html" in compiled and "base.html" in compiled
    kept = theme_files(own_cache)
    assert len(kept) == len(set(compiled))
    assert not list((tmp_path / ".rivals-cache").glob("first/templates/*.cache"))
    compiled.clear()
    site_templates = tmp_path / "templates"
    site_templates.mkdir()
    (site_templates / "404.html").write_text(OVERRIDE)
    options = BuildOptions(data=catalog, templates=site_templates, out=tmp_path / "second")
    build_site(replace(options, search=False, jobs=1))
    assert compiled == ["404.html"]  # the site's own template, and nothing of the theme's
    assert theme_files(own_cache) == kept
    assert len(list((tmp_path / ".rivals-cache").glob("second/templates/*.cache"))) == 1
    first, second = tree(tmp_path / "first"), tree(tmp_path / "second")
    assert first.pop("404.html") != second.pop("404.html")
    assert first == second  # the theme's kept code prints what it printed when compiled


@pytest.mark.parametrize("where", ["a file", "relative"])
def test_a_build_without_a_usable_user_cache_compiles_the_theme(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """XDG_CACHE_HOME naming a file, or a relative path (which the XDG rules ignore for
    ~/.cache: here HOME is a file too), costs time, not the build."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("HOME", str(blocker))
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker) if where == "a file" else "cache")
    build(catalog, tmp_path / "site")
    build(catalog, tmp_path / "again")
    assert tree(tmp_path / "site") == tree(tmp_path / "again")
    assert not (tmp_path / "cache").exists()


def test_no_cache_folder_is_made_in_a_home_that_is_not_the_users(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """root running with a user's HOME (sudo -E) would leave ~/.cache and ~/.cache/rivals
    owned by root, which the user could not remove; a home folder that does not exist is not
    made either."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root, to give the home folder to another user")
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(home))
    build(catalog, tmp_path / "site")
    assert list(home.iterdir()) == []
    (home / ".cache").mkdir()
    os.chown(home / ".cache", 65534, 65534)
    build(catalog, tmp_path / "site")
    assert list((home / ".cache").iterdir()) == []
    monkeypatch.setenv("HOME", str(tmp_path / "gone"))
    build(catalog, tmp_path / "site")
    assert not (tmp_path / "gone").exists()


def test_the_theme_is_not_kept_where_others_can_write(
    catalog: Path, tmp_path: Path, own_cache: Path
) -> None:
    """Compiled templates are code that runs: rivals' folder in the user's cache is private;
    one of ours that others could write in (a umask of 002) is made private again, one that
    belongs to another user is not used."""
    build(catalog, tmp_path / "site")
    (folder,) = (own_cache / "rivals").iterdir()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert folder.parent.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o775)
    build(catalog, tmp_path / "again")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert tree(tmp_path / "site") == tree(tmp_path / "again")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return  # giving the folder to another user needs root
    for kept in folder.iterdir():
        kept.write_bytes(b"planted")
        os.chown(kept, 65534, 65534)
    os.chown(folder, 65534, 65534)
    build(catalog, tmp_path / "third")
    assert {kept.read_bytes() for kept in folder.iterdir()} == {b"planted"}
    assert tree(tmp_path / "site") == tree(tmp_path / "third")


def test_a_kept_file_others_can_write_is_not_run(
    catalog: Path, tmp_path: Path, own_cache: Path, compiled: list[str]
) -> None:
    """The file itself is checked once open: its folder could be swapped after a check."""
    build(catalog, tmp_path / "site", jobs=1)
    names = len(compiled)
    for kept in theme_files(own_cache):
        kept.chmod(0o666)
    compiled.clear()
    build(catalog, tmp_path / "again", jobs=1)
    assert len(compiled) == names  # every template compiled again
    assert all(kept.stat().st_mode & 0o777 == 0o600 for kept in theme_files(own_cache))


def _truncated(data: bytes) -> bytes:
    return data[: len(bc_magic)]


def _bad_pickle(data: bytes) -> bytes:
    return data[: len(bc_magic)] + b"\0"


def _not_code(data: bytes) -> bytes:
    import marshal

    checksum = pickle.loads(data[len(bc_magic) :])  # the header's source checksum
    return bc_magic + pickle.dumps(checksum, 2) + marshal.dumps(42)


@pytest.mark.parametrize("damage", [_truncated, _bad_pickle, _not_code])
def test_a_damaged_kept_file_is_compiled_again(
    catalog: Path,
    tmp_path: Path,
    own_cache: Path,
    damage: Callable[[bytes], bytes],
) -> None:
    """Jinja reads a kept file's header with pickle, which raises more than Jinja catches: one
    damaged file failed every build of every site (EOFError, UnpicklingError, or an int where
    code goes), --clean included. Now it is compiled again, and the file mended."""
    build(catalog, tmp_path / "site")
    good = {kept: kept.read_bytes() for kept in theme_files(own_cache)}
    for kept, data in good.items():
        kept.write_bytes(damage(data))
    build(catalog, tmp_path / "again")
    assert tree(tmp_path / "site") == tree(tmp_path / "again")
    assert theme_files(own_cache) == sorted(good)
    for kept, data in good.items():
        mended = kept.read_bytes()
        assert mended.startswith(bc_magic) and mended != damage(data)


@pytest.mark.parametrize("thing", ["fifo", "loop", "folder"])
def test_what_is_not_a_regular_file_is_not_read(
    catalog: Path, tmp_path: Path, own_cache: Path, thing: str
) -> None:
    """A FIFO named like a kept file hung the build; a link to itself failed it ("cannot write
    the pages: Too many levels of symbolic links")."""
    build(catalog, tmp_path / "site")
    for kept in theme_files(own_cache):
        kept.unlink()
        if thing == "fifo":
            os.mkfifo(kept)
        elif thing == "loop":
            kept.symlink_to(kept.name)
        else:
            kept.mkdir()
    script = "import sys; from rivals.cli import main; sys.argv[0] = 'rivals'; main()"
    command = [sys.executable, "-c", script, "build", "--data", str(catalog)]
    command += ["--out", str(tmp_path / "again"), "--no-search", "--quiet"]
    command += ["--templates", str(TEMPLATES)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path / "site") == tree(tmp_path / "again")


def test_files_unused_for_a_month_are_removed_whoever_made_them(
    catalog: Path, tmp_path: Path, own_cache: Path
) -> None:
    """Other installations share the user's cache (virtualenvs come and go): what nobody
    wrote or read for a month is removed; a file read is kept fresh."""
    build(catalog, tmp_path / "site")
    (folder,) = (own_cache / "rivals").iterdir()
    ours = theme_files(own_cache)
    suffix = ours[0].name.split("-", 1)[1]  # this version's: made by another virtualenv
    recent, old = folder / f"1-{suffix}", folder / f"2-{suffix}"
    recent.write_bytes(b"x")
    old.write_bytes(b"x")
    month = 31 * 86400
    for path in (old, *ours):  # ours too: removed, then compiled and written again
        info = path.stat()
        os.utime(path, (info.st_atime - month, info.st_mtime - month))
    build(catalog, tmp_path / "again")  # renders every page, so loads every template
    assert recent.exists() and not old.exists()
    assert theme_files(own_cache) == sorted([*ours, recent])


def test_kept_files_in_use_are_touched_when_read(
    catalog: Path, tmp_path: Path, own_cache: Path
) -> None:
    build(catalog, tmp_path / "site")
    ours = theme_files(own_cache)
    two_days = 2 * 86400
    for path in ours:
        info = path.stat()
        os.utime(path, (info.st_atime - two_days, info.st_mtime - two_days))
    before = {path: path.stat().st_mtime for path in ours}
    build(catalog, tmp_path / "again")
    assert all(path.stat().st_mtime > before[path] + two_days / 2 for path in ours)
