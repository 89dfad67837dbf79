"""Builds that fail, or are stopped, say why in one line, leave --out as it was and nothing
behind; and what cannot fail a build (a stray file in the templates folder) does not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, tree
from rivals.build import BuildOptions, build_site
from rivals.cli import cli

RIVALS = [sys.executable, "-m", "rivals"]


def build_args(catalog: Path, out: Path, templates: Path | None = None) -> list[str]:
    args = ["build", "--data", str(catalog), "--out", str(out), "--no-search", "--jobs", "1"]
    return args + (["--templates", str(templates)] if templates else [])


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"compare.html": '{% extends "compare.html" %}'}, "compare.html:1: template: a template"),
        ({"compare.html": "x{{ a.name + 1 }}"}, "compare.html:1: template: TypeError: "),
        ({"model.html": "{{ e.name|thousands }}"}, "model.html:1: template: ValueError: "),
        (
            {"partials/fragments.html": "{% macro feature_cell(c) %}{% if %}{% endmacro %}"},
            "partials/fragments.html:1: template: Expected an expression",
        ),
        ({"partials/board.html": "\n\n{{ board_oops }}"}, "partials/board.html:3: template:"),
        (  # raised while the partial is loaded, before any page
            {"partials/fragments.html": '\n{% set broken = 1 + "a" %}'},
            "partials/fragments.html:2: template: TypeError: ",
        ),
        ({"compare.html": '{% include "nope.html" %}'}, "template: template not found: nope.html"),
        (  # the class of the object, not rivals' module path
            {"compare.html": "{{ a.nonexistent }}"},
            "compare.html:1: template: 'EntryView object' has no attribute 'nonexistent'",
        ),
        (
            {"static/a\\b.css": "x"},
            "refusing to write outside the output folder: 'assets/a\\\\b.css'",
        ),
    ],
)
def test_a_broken_template_is_one_line_naming_its_file(
    files: dict[str, str], expected: str, catalog: Path, tmp_path: Path, runner: CliRunner
) -> None:
    templates = tmp_path / "templates"
    for name, text in files.items():
        (templates / name).parent.mkdir(parents=True, exist_ok=True)
        (templates / name).write_text(text)
    out = tmp_path / "site"
    assert runner.invoke(cli, build_args(catalog, out)).exit_code == 0
    before = tree(out)
    result = runner.invoke(cli, build_args(catalog, out, templates))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: "), lines
    assert expected in lines[0], lines[0]
    assert lines[1] == "The build failed; the output folder was left as it was."
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".rivals-cache",
        "data",
        "site",
        "templates",
    ]


def test_stray_files_in_the_templates_folder_are_not_templates(
    catalog: Path, tmp_path: Path, runner: CliRunner
) -> None:
    templates = tmp_path / "templates"
    (templates / "static").mkdir(parents=True)
    (templates / ".DS_Store").write_bytes(b"\xff\xfe\x00")  # not UTF-8
    (templates / "model.html~").write_bytes(b"\xff")
    (templates / ".#model.html").symlink_to("nobody@host.1234")  # an editor's lock: dangling
    (templates / "static" / ".hidden.css").write_text("x")
    out = tmp_path / "site"
    result = runner.invoke(cli, build_args(catalog, out, templates))
    assert result.exit_code == 0, result.output
    assert not (out / "assets" / ".hidden.css").exists()


def test_a_folder_of_the_output_that_links_elsewhere_is_not_written_through(
    catalog: Path, tmp_path: Path, runner: CliRunner
) -> None:
    out, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    assert runner.invoke(cli, build_args(catalog, out)).exit_code == 0
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    for pair in (out / "compare").iterdir():
        (pair / "index.html").rename(elsewhere / f"{pair.name}.html")  # keep them: compared below
    os.rename(out / "compare", tmp_path / "compare-was")
    (out / "compare").symlink_to(elsewhere)
    before = tree(elsewhere)
    result = runner.invoke(cli, [*build_args(catalog, out), "--clean"])
    assert result.exit_code == 1
    assert f"error: {out}/compare is a symbolic link" in result.stderr
    assert tree(elsewhere) == before


def test_closed_output_streams_are_no_reason_to_fail(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    for command in (
        f"{sys.executable} -m rivals check --data {catalog} >&-",
        f"{sys.executable} -m rivals build --data {catalog} --out {out} --no-search >&- 2>&-",
        f"{sys.executable} -m rivals rank --data {catalog} >&-",
    ):
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stderr)
    assert (out / "index.html").is_file()


@pytest.mark.parametrize("blocked", ["data", "models"])
def test_new_says_why_it_cannot_write(blocked: str, tmp_path: Path, runner: CliRunner) -> None:
    data = tmp_path / "data"
    if blocked == "data":
        data.write_text("a file")
    else:
        data.mkdir()
        (data / "models").write_text("a file")
    result = runner.invoke(cli, ["new", "fresh", "--data", str(data)])
    assert result.exit_code == 1
    said = "is a file, not the catalog folder" if blocked == "data" else "cannot write: "
    assert said in result.stderr and "Traceback" not in result.output


def test_a_search_index_that_failed_is_made_again_by_the_next_build(
    catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    args = [*RIVALS, "build", "--data", str(catalog), "--out", str(out)]
    assert subprocess.run(args, capture_output=True, timeout=120).returncode == 0
    entry = catalog / "models" / "gamma-studio.yaml"
    entry.write_text(entry.read_text().replace("name: Gamma Studio", "name: Gamma Quokka"))
    broken = dict(os.environ, PAGEFIND_ROOT_SELECTOR=":::[")  # Pagefind fails on it
    failed = subprocess.run(args, capture_output=True, text=True, env=broken, timeout=120)
    assert failed.returncode == 1 and "Pagefind failed" in failed.stderr
    assert "Quokka" in (out / "models" / "gamma-studio" / "index.html").read_text()
    again = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    index = b"".join(p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file())
    fresh = tmp_path / "fresh"
    subprocess.run([*args[:-1], str(fresh)], capture_output=True, timeout=120, check=True)
    assert index == b"".join(p.read_bytes() for p in (fresh / "pagefind").rglob("*") if p.is_file())


def test_sigterm_during_a_build_leaves_no_traceback_and_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "site"
    args = [*RIVALS, "build", "--data", str(REPO / "data"), "--out", str(out), "--no-search"]
    subprocess.run(args, capture_output=True, timeout=120, check=True)
    before = tree(out)
    proc = subprocess.Popen(
        [*args, "--clean", "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".site.staging-") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None, "the build ended first"
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rivals-cache", "site"]
    assert tree(out) == before


def test_render_workers_of_a_killed_build_exit_without_a_traceback(tmp_path: Path) -> None:
    slow = tmp_path / "templates"  # pair pages slow enough to kill the build mid-render
    slow.mkdir()
    (slow / "compare.html").write_text(
        '{% extends "theme/compare.html" %}'
        "{% block main %}{% for i in range(20000) %}{% endfor %}{{ super() }}{% endblock %}"
    )
    out = tmp_path / "site"
    args = [*RIVALS, "build", "--data", str(REPO / "data"), "--out", str(out), "--no-search"]
    proc = subprocess.Popen(
        [*args, "--templates", str(slow), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".site.staging-*/compare/*")):
        assert time.monotonic() < deadline and proc.poll() is None, "the build ended first"
        time.sleep(0.005)
    proc.kill()  # as the kernel does when memory runs out
    _, err = proc.communicate(timeout=60)  # the workers hold stderr open until they exit
    assert proc.returncode == -signal.SIGKILL
    assert err == ""


def test_an_out_name_too_long_is_one_error_line(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / ("x" * 300)
    result = runner.invoke(cli, ["build", "--data", str(catalog), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: --out {out}: File name too long\n"), result.stderr
    assert "Traceback" not in result.output


def test_a_models_folder_that_cannot_be_listed_is_one_problem(
    runner: CliRunner, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rivals import load

    real = os.listdir

    def listdir(path: object) -> list[str]:
        if str(path).endswith("models"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(load.os, "listdir", listdir)
    result = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{catalog}/models:1: (folder): cannot read: Permission denied",
        "1 problem found.",
    ]


def test_serve_without_a_temporary_folder_is_one_error_line(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from rivals.build import BuildError, BuildOptions
    from rivals.serve import serve

    def no_room(prefix: str) -> str:
        raise FileNotFoundError(2, "No usable temporary directory found")

    monkeypatch.setattr(tempfile, "mkdtemp", no_room)
    with pytest.raises(BuildError, match="cannot make a temporary folder to serve from"):
        serve(BuildOptions(data=catalog), "127.0.0.1", 0, lambda line: None)


@pytest.mark.parametrize("inside", ["", "site"])
def test_out_in_the_templates_folder_is_refused(
    runner: CliRunner, catalog: Path, tmp_path: Path, inside: str
) -> None:
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    before = tree(templates)
    out = templates / inside if inside else templates
    args = ["build", "--data", str(catalog), "--templates", str(templates), "--out", str(out)]
    result = runner.invoke(cli, [*args, "--no-search"])
    assert result.exit_code == 1
    assert f"error: --out {out} is inside the templates folder {templates}" in result.stderr
    assert tree(templates) == before


def test_templates_in_out_are_refused(runner: CliRunner, catalog: Path, tmp_path: Path) -> None:
    """--out proj --templates proj/search: the search page was written over the user's
    template search/index.html."""
    out = tmp_path / "proj"
    templates = out / "search"
    templates.mkdir(parents=True)
    (templates / "index.html").write_text('{% extends "theme/index.html" %}')
    args = ["build", "--data", str(catalog), "--templates", str(templates), "--out", str(out)]
    result = runner.invoke(cli, [*args, "--no-search"])
    assert result.exit_code == 1
    assert f"error: --templates {templates} is inside --out {out}: build elsewhere" in (
        result.stderr
    )
    assert sorted(p.name for p in out.rglob("*")) == ["index.html", "search"]


@pytest.mark.parametrize(
    ("out", "where"),
    [
        (".", "the catalog folder"),
        ("models", "inside the models folder of the catalog"),
        ("..", "a folder that holds the catalog"),
        ("site.yml", "named like a file of the catalog"),  # then read as a catalog file
        ("Benchmarks.yml", "named like a file of the catalog"),
    ],
)
def test_out_mixed_with_the_catalog_is_refused(
    runner: CliRunner, catalog: Path, out: str, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(catalog)
    before = tree(catalog.parent)
    result = runner.invoke(cli, ["build", "--data", ".", "--out", out, "--no-search"])
    assert result.exit_code == 1
    assert f"error: --out {out} is {where} (--data .): build elsewhere" in result.stderr
    assert tree(catalog.parent) == before


def test_a_site_folder_inside_the_catalog_folder_is_fine(
    runner: CliRunner, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(catalog)
    result = runner.invoke(cli, ["build", "--data", ".", "--out", "site", "--no-search"])
    assert result.exit_code == 0, result.output
    assert (catalog / "site" / "index.html").is_file()
    again = runner.invoke(cli, ["check", "--data", "."])  # the site is not read as catalog
    assert again.exit_code == 0, again.output


def test_out_in_the_models_folder_through_a_link_is_refused(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (catalog / "models").rename(elsewhere / "models")
    (catalog / "models").symlink_to(elsewhere / "models")
    for out, where in (
        (catalog / "models", "inside the models folder of the catalog"),
        (elsewhere / "models" / "site", "inside the models folder of the catalog"),
        (elsewhere, "a folder that holds the models folder of the catalog"),
    ):
        result = runner.invoke(cli, ["build", "--data", str(catalog), "--out", str(out)])
        assert result.exit_code == 1, result.output
        assert f"is {where} (--data" in result.stderr
    assert sorted(p.suffix for p in (elsewhere / "models").iterdir()) == [".yaml"] * 4


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["build", "--out", ""], "--out"),
        (["check", "--data", ""], "--data"),
        (["schema", "--out", ""], "--out"),
        (["build", "--templates", ""], "--templates"),
    ],
)
def test_an_empty_path_is_wrong_usage(runner: CliRunner, args: list[str], option: str) -> None:
    result = runner.invoke(cli, args)  # pathlib would read "" as the current folder
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': must not be empty." in result.stderr


def test_a_loop_of_links_is_one_line_wherever_it_is_given(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "other")
    (tmp_path / "other").symlink_to(loop)
    out = runner.invoke(cli, ["build", "--data", str(catalog), "--out", str(loop)])
    assert out.exit_code == 1
    assert out.stderr.startswith(f"error: --out {loop}: Too many levels of symbolic links\n")
    data = runner.invoke(cli, ["build", "--data", str(loop), "--out", str(tmp_path / "site")])
    assert data.exit_code == 1
    assert data.stderr.startswith(f"{loop}:1: (folder): cannot read: Too many levels")
    templates = runner.invoke(cli, ["build", "--data", str(catalog), "--templates", str(loop)])
    assert templates.exit_code == 2 and "Too many levels of symbolic links" in templates.stderr
    long_name = runner.invoke(cli, ["build", "--templates", "x" * 300])
    assert long_name.exit_code == 2 and "File name too long" in long_name.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "loop", "other"]


def test_an_out_that_links_to_a_folder_still_to_be_made_is_built_there(
    catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    out.symlink_to(tmp_path / "www" / "site")  # as a deploy set-up may have it
    build_site(BuildOptions(data=catalog, out=out, search=False))
    assert out.is_symlink() and (tmp_path / "www" / "site" / "index.html").is_file()


def test_an_out_this_user_cannot_write_in_is_refused_before_rendering(
    runner: CliRunner, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    out.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: p != out and real(p, mode))  # as non-root
    result = runner.invoke(cli, ["build", "--data", str(catalog), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: --out {out} is a folder this user cannot write in\n"
        "The build failed; the output folder was left as it was.\n"
    )


def test_schema_that_cannot_be_written_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    folder = runner.invoke(cli, ["schema", "--out", str(tmp_path)])
    assert folder.exit_code == 1
    assert folder.stderr == f"error: cannot write {tmp_path}: Is a directory\n"
    with open("/dev/full", "w") as full:  # stdout on a full disk
        printed = subprocess.run(
            [*RIVALS, "schema"], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert printed.returncode == 1
    assert printed.stderr == "error: cannot write the output: No space left on device\n"


def test_new_writes_nothing_when_it_fails(
    runner: CliRunner, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo"
    result = runner.invoke(cli, ["new", "fresh", "--data", str(missing)])
    assert result.exit_code == 1 and "catalog folder not found" in result.stderr
    assert not missing.exists()
    from rivals import starter

    def full(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(starter, "write_text", full)
    result = runner.invoke(cli, ["new", "fresh", "--data", str(catalog)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{catalog}/model.schema.json:1: (file): cannot write: No")
    assert not (catalog / "models" / "fresh.yaml").exists()


def test_replace_file_works_beside_a_bare_name_and_leaves_nothing_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rivals.write import replace_file

    monkeypatch.chdir(tmp_path)
    moved: list[str] = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: moved.append(str(a)) or real(a, b))
    replace_file("x.json", b"1")
    assert Path(moved[0]).resolve().parent == tmp_path.resolve()  # it went to / before
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError):
        replace_file("folder", b"2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "x.json"]
    assert (tmp_path / "x.json").read_bytes() == b"1"
    assert not any(os.path.lexists(Path(m).resolve()) for m in moved)


@pytest.mark.parametrize("kind", ["dangling link", "folder", "fifo", "unreadable", "asset"])
def test_a_template_that_cannot_be_read_fails_the_build(
    kind: str, runner: CliRunner, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates, out = tmp_path / "templates", tmp_path / "site"
    (templates / "compare").mkdir(parents=True)
    name = {
        "folder": "compare.html",
        "fifo": "compare/alpha-vision-vs-beta-paint.html",
        "asset": "static/fonts/body.woff2",
    }
    path = templates / name.get(kind, "model.html")
    if kind in ("dangling link", "asset"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(tmp_path / "gone.html")
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text("{{ nothing }}")
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: p != str(path) and real(p, m))
    (templates / ".#model.html").symlink_to(tmp_path / "gone.html")  # an editor's lock file
    # Jinja used the built-in template instead, without a word.
    where = ["--data", str(catalog), "--out", str(out), "--templates", str(templates)]
    result = runner.invoke(cli, ["build", *where, "--no-search"])
    why = {"unreadable": "Permission denied"}
    what = "asset" if kind == "asset" else "template"
    if kind in ("dangling link", "asset"):
        why[kind] = "No such file or directory"
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {path}: cannot read the {what}: {why.get(kind, 'not a file')}\n"
    )
    assert not out.exists()


def test_a_catalog_folder_this_user_cannot_read_is_one_problem(
    runner: CliRunner, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: Path(p) != catalog and real(p, m))
    result = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert result.exit_code == 1  # a catalog problem, not wrong usage
    assert result.stderr == (
        f"{catalog}:1: (folder): cannot read: Permission denied\n1 problem found.\n"
    )


def test_a_second_build_into_the_same_out_is_refused_while_the_first_runs(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    from rivals.write import build_lock

    out = tmp_path / "site"
    args = ["build", "--data", str(catalog), "--out", str(out), "--no-search"]
    assert runner.invoke(cli, args).exit_code == 0
    before = tree(out)
    entry = catalog / "models" / "gamma-studio.yaml"
    entry.write_text(entry.read_text().replace("name: Gamma Studio", "name: Gamma Two"))
    with build_lock(out):  # as a build running in another process holds it
        result = subprocess.run([*RIVALS, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: another build into --out {out} is running: build again once it is done\n"
        "The build failed; the output folder was left as it was.\n"
    )
    assert tree(out) == before
    assert runner.invoke(cli, args).exit_code == 0  # once it is done
    assert "Gamma Two" in (out / "models" / "gamma-studio" / "index.html").read_text()


def test_a_template_folder_this_user_cannot_list_fails_the_build(
    runner: CliRunner, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates, out = tmp_path / "templates", tmp_path / "site"
    (templates / "static").mkdir(parents=True)
    (templates / "static" / "style.css").write_text("body { color: red }")
    real = os.scandir

    def scandir(path: object) -> object:  # as mode 000 would for another user than root
        if str(path) == str(templates / "static"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    args = ["build", "--data", str(catalog), "--out", str(out), "--templates", str(templates)]
    result = runner.invoke(cli, [*args, "--no-search"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {templates / 'static'}: cannot read the folder: Permission denied\n"
    )


def test_without_posix_locks_a_build_goes_unguarded(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fcntl", None)  # as on a system without it
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, out=out, search=False))
    assert (out / "index.html").is_file()


def test_a_parent_folder_that_cannot_be_written_in_is_explained(
    runner: CliRunner, catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out /var/www/html, where html is the user's but /var/www is not: the build said only
    "[Errno 13] Permission denied" about a folder the user never named."""
    import rivals.build

    def refused(out: Path) -> Path:
        raise PermissionError(13, "Permission denied", str(out.parent / ".html.staging-1"))

    monkeypatch.setattr(rivals.build, "new_staging", refused)
    out = tmp_path / "html"
    result = runner.invoke(cli, ["build", "--data", str(catalog), "--out", str(out), "--no-search"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: cannot make a staging folder beside --out {out} (Permission denied): pages are"
        " rendered beside --out, then moved in; build into a folder whose parent folder you can"
        " write in"
    )


def test_a_stop_just_after_the_staging_folder_is_made_leaves_nothing(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM (an interrupt) that lands after the staging folder is made but before the
    build holds its name left the empty folder behind (3 times in 65 stopped builds)."""
    import rivals.build
    from rivals.write import new_staging

    def made_then_stopped(out: Path) -> Path:
        new_staging(out)
        raise KeyboardInterrupt

    monkeypatch.setattr(rivals.build, "new_staging", made_then_stopped)
    with pytest.raises(KeyboardInterrupt):
        build_site(BuildOptions(data=catalog, out=tmp_path / "site", search=False))
    assert not list(tmp_path.glob(".site.staging-*")) and not (tmp_path / "site").exists()
