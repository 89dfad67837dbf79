"""The authoring loop: new -> check, the editor schema, rank and compare in the terminal, serve."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import REPO
from rivals.cli import cli
from rivals.starter import entry_schema


def test_new_writes_a_valid_draft_whose_placeholders_check_points_at_by_line(
    runner: CliRunner, catalog: Path
) -> None:
    result = runner.invoke(cli, ["new", "my-model", "--name", "My Model", "--data", str(catalog)])
    assert result.exit_code == 0, result.output
    path = catalog / "models" / "my-model.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../model.schema.json")
    assert "\ndraft: true " in text
    assert (catalog / "model.schema.json").is_file()
    check = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert check.exit_code == 0, check.output  # a valid starter, as cli.md says
    assert "4 entries (and 1 draft)" in check.stdout
    todo_lines = [i for i, line in enumerate(text.splitlines(), 1) if "TODO" in line.split("#")[0]]
    reported = [int(m) for m in re.findall(rf"{re.escape(str(path))}:(\d+): ", check.stderr)]
    assert sorted(reported) == todo_lines
    notes = check.stderr.splitlines()
    assert notes[0] == (
        f"note: {path} is a draft, not published: {len(todo_lines)} placeholders to fill in,"
        " then remove `draft: true`"
    )
    assert all(line.endswith(": placeholder still to fill in") for line in notes[1:])
    # A problem in another file does not hide them.
    other = catalog / "models" / "beta-paint.yaml"
    other.write_text(other.read_text().replace("kind: model", "kind: spaceship"))
    failed = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert failed.exit_code == 1
    lines = failed.stderr.splitlines()
    assert lines[0].startswith(f"{other}:") and lines[1] == "1 problem found."
    assert lines[2:] == notes


def _publish(path: Path, keep_draft: bool = False) -> None:
    """Fill in the starter at `path` as a user would; remove its draft line unless told."""
    text = path.read_text()
    text = text.replace("categories: [TODO]", "categories: [vision]")
    text = text.replace("id: TODO", "id: captioning").replace("TODO.example.org", "my.example.org")
    text = re.sub(r"TODO ([^\n]*)", r"Filled in - \1", text)
    if not keep_draft:
        text = re.sub(r"\ndraft: true[^\n]*", "", text)
    path.write_text(text)


def test_a_draft_is_built_out_of_the_site_until_its_draft_line_goes(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    matches = catalog / "matches.yaml"
    matches.write_text(matches.read_text() + "- pair: [my-model, beta-paint]\n  count: 40\n")
    runner.invoke(cli, ["new", "my-model", "--data", str(catalog)])
    path = catalog / "models" / "my-model.yaml"

    def build() -> tuple[int, str, set[str]]:
        result = runner.invoke(cli, ["build", "--data", str(catalog), "--out", str(out)])
        pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
        return result.exit_code, result.stderr, pages

    code, stderr, pages = build()
    assert code == 0, stderr
    assert f"note: {path} is a draft, not published" in stderr
    assert not any("my-model" in page for page in pages)
    assert "my-model" not in (out / "index.html").read_text()  # nor in the most matched
    compare = runner.invoke(cli, ["compare", "my-model", "beta-paint", "--data", str(catalog)])
    assert compare.exit_code == 1
    assert "'my-model' is a draft" in compare.stderr

    _publish(path, keep_draft=True)  # filled in, still a draft: still left out
    code, stderr, pages = build()
    assert code == 0 and "is a draft, not published: remove `draft: true`" in stderr
    assert not any("my-model" in page for page in pages)

    _publish(path)
    code, stderr, pages = build()
    assert code == 0, stderr
    assert "draft" not in stderr
    assert {"models/my-model/index.html", "compare/beta-paint-vs-my-model/index.html"} <= pages
    assert "my-model" in (out / "index.html").read_text()


def test_a_published_starter_with_placeholders_left_is_a_problem(
    runner: CliRunner, catalog: Path
) -> None:
    runner.invoke(cli, ["new", "my-model", "--data", str(catalog)])
    path = catalog / "models" / "my-model.yaml"
    path.write_text(re.sub(r"\ndraft: true[^\n]*", "", path.read_text()))
    check = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert check.exit_code == 1
    assert check.stderr.splitlines()[-1] == "9 problems found."
    assert f"{path}:8: summary: placeholder still to fill in" in check.stderr


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("kind: model", "kind: modle"), ":8: kind: Input should be"),
        (("\ndraft: true", "\ndraft: maybe"), ":6: draft: expected true or false, got 'maybe'"),
        (("categories: [TODO]", "categories: [visoin]"), "unknown category 'visoin'"),
        (("\ndraft: true", "\ndraft: [true]"), ":6: draft: expected true or false, got ['true']"),
        (("\ndraft: true", "\ndraft: TODO"), ":6: draft: expected true or false, got 'TODO'"),
        (
            ("    unique: TODO", "    unqiue: TODO"),
            "unknown field 'unqiue' (did you mean 'unique'?)",
        ),
        (("\nsummary: TODO", "\nsummry: TODO"), "unknown field 'summry' (did you mean 'summary'?)"),
    ],
)
def test_a_draft_is_checked_like_any_entry_but_for_its_placeholders(
    runner: CliRunner, catalog: Path, change: tuple[str, str], problem: str
) -> None:
    runner.invoke(cli, ["new", "my-model", "--data", str(catalog)])
    path = catalog / "models" / "my-model.yaml"
    path.write_text(path.read_text().replace(*change, 1))
    check = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert check.exit_code == 1
    lines = check.stderr.splitlines()
    errors = lines[: next(i for i, line in enumerate(lines) if line.endswith(" found."))]
    assert "Traceback" not in check.output
    assert any(problem in line for line in errors), check.stderr
    # One problem, but for a misspelt field name, whose required field is then missing too.
    assert len(errors) == 1 + ("summry" in problem), check.stderr
    # A draft line of a wrong value is that problem, not a draft to remove `draft: true` from.
    assert ("is a draft" in check.stderr) == ("draft:" not in problem), check.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 121, "at most 120 characters"),
        (" ", "must not be empty"),
        ("x\x1b[31m", "must not contain the control character U+001B"),
        ("A\x1cB", "must not contain the control character U+001C"),  # str.split's space
        ("Zed\u202e", "U+202E: it reorders the text around the name"),
    ],
)
def test_new_refuses_a_name_the_entry_could_not_have(
    runner: CliRunner, catalog: Path, name: str, message: str
) -> None:
    result = runner.invoke(cli, ["new", "my-model", "--name", name, "--data", str(catalog)])
    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"{catalog}/models/my-model.yaml:1: name (--name): "), line
    assert line.endswith(message), line
    assert not (catalog / "models" / "my-model.yaml").exists()


def test_new_writes_a_name_on_one_line(runner: CliRunner, catalog: Path) -> None:
    result = runner.invoke(cli, ["new", "my-model", "--name", "Two\nLines", "--data", str(catalog)])
    assert result.exit_code == 0, result.output
    assert 'name: "Two Lines"' in (catalog / "models" / "my-model.yaml").read_text()


def test_the_editor_schema_takes_an_optional_field_left_empty() -> None:
    properties = entry_schema()["properties"]
    assert {"type": "null"} in properties["links"]["anyOf"]
    assert {"type": "null"} in properties["sources"]["anyOf"]
    assert "anyOf" not in properties["name"]  # required: empty is a problem


def test_a_filled_in_starter_is_valid(runner: CliRunner, catalog: Path) -> None:
    runner.invoke(cli, ["new", "my-model", "--data", str(catalog)])
    _publish(catalog / "models" / "my-model.yaml")
    result = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert result.exit_code == 0, result.output
    assert "5 entries," in result.stdout
    assert not result.stderr


@pytest.mark.parametrize(
    ("slug", "message"),
    [("Bad_Slug", "slug must be lowercase"), ("alpha-vision", "already exists")],
)
def test_new_refuses_bad_slugs_and_existing_files(
    runner: CliRunner, catalog: Path, slug: str, message: str
) -> None:
    before = (catalog / "models" / "alpha-vision.yaml").read_text()
    result = runner.invoke(cli, ["new", slug, "--data", str(catalog)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert (catalog / "models" / "alpha-vision.yaml").read_text() == before


def test_the_schema_accepts_the_default_catalog_and_rejects_a_broken_record(tmp_path: Path) -> None:
    import jsonschema

    schema = entry_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((REPO / "data" / "models").glob("*.yaml")):
        record = yaml.safe_load(path.read_text())
        record = json.loads(
            json.dumps(record, default=str)
        )  # dates as ISO text, as editors see them
        assert not list(validator.iter_errors(record)), path.name
    broken = yaml.safe_load((REPO / "data/models/llava.yaml").read_text())
    broken = json.loads(json.dumps(broken, default=str))
    broken["kind"] = "spaceship"
    broken["summry"] = "typo"
    del broken["capabilities"]
    messages = " ".join(e.message for e in validator.iter_errors(broken))
    assert "spaceship" in messages and "summry" in messages and "capabilities" in messages


def test_schema_verb_prints_or_writes(runner: CliRunner, tmp_path: Path) -> None:
    printed = runner.invoke(cli, ["schema"])
    assert printed.exit_code == 0
    assert json.loads(printed.stdout)["properties"]["kind"]
    out = tmp_path / "s.json"
    assert runner.invoke(cli, ["schema", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text()) == json.loads(printed.stdout)


def test_rank_prints_the_leaderboard_and_json(runner: CliRunner, catalog: Path) -> None:
    table = runner.invoke(cli, ["rank", "--data", str(catalog)], env={"COLUMNS": "160"})
    assert table.exit_code == 0, table.output
    assert "Alpha Vision" in table.stdout and "Match Graph" in table.stdout
    # Pricing in the words of the pages: the free tier of a usage-based plan is said.
    delta = next(line for line in table.stdout.splitlines() if "delta-api" in line)
    assert delta.rstrip().endswith("Usage-based (free tier)"), delta
    rows = json.loads(runner.invoke(cli, ["rank", "--json", "--data", str(catalog)]).stdout)
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    assert rows[0]["slug"] == "alpha-vision" and rows[0]["rank"] == 100
    only = json.loads(
        runner.invoke(
            cli, ["rank", "--json", "--category", "painting", "--data", str(catalog)]
        ).stdout
    )
    assert {r["slug"] for r in only} == {"beta-paint", "gamma-studio"}
    bad = runner.invoke(cli, ["rank", "--category", "paintng", "--data", str(catalog)])
    assert bad.exit_code == 1 and "did you mean 'painting'" in bad.stderr


def test_rank_says_what_its_dashes_and_missing_columns_mean(
    runner: CliRunner, catalog: Path
) -> None:
    args = ["rank", "--data", str(REPO / "data")]
    rows = json.loads(runner.invoke(cli, [*args, "--json"]).stdout)
    assert all(r["sub_scores"]["adoption"] is None for r in rows)  # no stars nor downloads
    assert any(r["sub_scores"]["quality"] is None for r in rows)
    table = runner.invoke(cli, args, env={"COLUMNS": None}).stdout
    header = next(line for line in table.splitlines() if line.lstrip().startswith("#"))
    assert "Quality" in header and "Adoption" not in header  # a column of dashes says nothing
    said = " ".join(table.split())
    assert "adoption, so it is left out of the rank." in said
    assert re.search(r"— no comparable evidence: counted at the catalog median \(Quality \d+", said)
    assert (
        "Range: how far an entry's own missing evidence could move its rank (blank: not at all)."
        in said
    )
    site = catalog / "site.yaml"
    weights = "ecosystem: 0.2, match_graph: 0.1"
    site.write_text(site.read_text().replace(weights, "ecosystem: 0.3, match_graph: 0"))
    args = ["rank", "--data", str(catalog)]
    said = " ".join(runner.invoke(cli, args, env={"COLUMNS": None}).stdout.split())
    assert "Weight 0 in the site's settings, shown but not counted: Match Graph." in said


def test_rank_of_one_entry_says_entry(runner: CliRunner, catalog: Path) -> None:
    for other in ("beta-paint", "gamma-studio", "delta-api"):
        (catalog / "models" / f"{other}.yaml").unlink()
    (catalog / "matches.yaml").write_text("[]\n")
    table = runner.invoke(cli, ["rank", "--data", str(catalog)], env={"COLUMNS": None})
    assert table.exit_code == 0, table.output
    assert "Test Rivals: 1 entry by rank" in table.stdout


def test_rank_fits_the_terminal_and_says_what_it_left_out(runner: CliRunner, catalog: Path) -> None:
    args = ["rank", "--data", str(catalog)]
    rows = json.loads(runner.invoke(cli, [*args, "--json"]).stdout)
    narrow = runner.invoke(cli, args, env={"COLUMNS": "40"})
    assert narrow.exit_code == 0, narrow.output
    assert max(map(len, narrow.stdout.splitlines())) <= 40
    for row in rows:  # every entry, with its slug and rank whole
        assert re.search(
            rf"^ *{row['position']} .* {row['slug']} +{row['rank']}$", narrow.stdout, re.M
        )
    said = " ".join(narrow.stdout.split())
    assert "Not shown at this width: sub-scores, pricing, range (" in said
    assert "Match Graph" not in narrow.stdout
    # Wider: the sub-scores go first, all four together; pricing and range stay.
    middle = runner.invoke(cli, args, env={"COLUMNS": "72"}).stdout
    assert "Pricing" in middle and "Usage-based (free tier)" in middle and "10–62" in middle
    assert "Not shown at this width: sub-scores (" in middle and "Quality" not in middle
    # Not a terminal and no COLUMNS (a pipe): the whole table, however wide.
    piped = runner.invoke(cli, args, env={"COLUMNS": None})
    assert "Match Graph" in piped.stdout and "Pricing" in piped.stdout
    assert "Not shown" not in piped.stdout and "…" not in piped.stdout


def test_rank_in_a_very_narrow_terminal_keeps_every_rank_and_slug_whole(
    runner: CliRunner,
) -> None:
    args = ["rank", "--data", str(REPO / "data")]
    rows = json.loads(runner.invoke(cli, [*args, "--json"]).stdout)
    longest = max(len(row["slug"]) for row in rows)  # 31
    for columns in (44, 36, longest):
        narrow = runner.invoke(cli, args, env={"COLUMNS": str(columns)}).stdout
        lines = narrow.splitlines()
        assert max(map(len, lines)) <= columns
        at = 0
        for row in rows:  # in order: position and whole rank on the name's line, slug below
            at = next(
                i
                for i, line in enumerate(lines[at + 1 :], at + 1)
                if re.match(rf" *{row['position']} ", line)
            )
            assert lines[at].rstrip().endswith(f" {row['rank']}"), lines[at]
            # Whole on its own line (at 40 columns, one of 31 letters was folded in two).
            assert lines[at + 1].strip() == row["slug"], (row["slug"], lines[at + 1])
        said = " ".join(narrow.split())
        assert "Not shown at this width: sub-scores, pricing, range (" in said
        assert "Each slug is under its entry's name." in said


def test_a_columns_of_0_counts_as_unset(runner: CliRunner, catalog: Path) -> None:
    """COLUMNS=0 made rich print nothing at all, and rank and compare exit 0."""
    ranked = runner.invoke(cli, ["rank", "--data", str(catalog)], env={"COLUMNS": "0"})
    assert ranked.exit_code == 0 and "Match Graph" in ranked.stdout, ranked.output
    assert "Not shown" not in ranked.stdout  # not a terminal: the whole table
    compared = runner.invoke(
        cli, ["compare", "alpha-vision", "beta-paint", "--data", str(catalog)], env={"COLUMNS": "0"}
    )
    assert compared.exit_code == 0 and "Verdict" in compared.stdout, compared.output


def test_terminal_output_prints_brackets_in_names_as_they_are(
    runner: CliRunner, catalog: Path
) -> None:
    entry = catalog / "models/alpha-vision.yaml"
    entry.write_text(
        entry.read_text().replace("name: Alpha Vision", "name: 'Alpha [/b] [red]Vision :smile:'")
    )
    # As a table, and as the narrow lines (there cut: "Alpha [/b] [red]…")
    for columns, shown in (("200", "Alpha [/b] [red]Vision :smile:"), ("30", "Alpha [/b] [red]")):
        ranked = runner.invoke(cli, ["rank", "--data", str(catalog)], env={"COLUMNS": columns})
        assert ranked.exit_code == 0, ranked.output
        assert shown in ranked.stdout and "😄" not in ranked.stdout, ranked.stdout
    compared = compare(runner, catalog, "alpha-vision", "beta-paint")
    assert compared.exit_code == 0, compared.output
    assert "Alpha [/b] [red]Vision :smile: vs" in compared.stdout  # no emoji either


def compare(runner: CliRunner, catalog: Path, a: str, b: str) -> Result:
    """Run `rivals compare a b` on a wide terminal."""
    return runner.invoke(cli, ["compare", a, b, "--data", str(catalog)], env={"COLUMNS": "400"})


def test_compare_prints_the_same_verdict_as_the_page(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        cli,
        ["compare", "beta-paint", "alpha-vision", "--data", str(catalog)],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "site"
    runner.invoke(cli, ["build", "--data", str(catalog), "--out", str(out), "--no-search"])
    page = (out / "compare/alpha-vision-vs-beta-paint/index.html").read_text()
    verdict = re.search(r'id="verdict">Verdict</h2>\n<p>(.+?)</p>', page).group(1)
    assert " ".join(verdict.replace("&#39;", "'").split()) in " ".join(result.stdout.split())
    missing = runner.invoke(cli, ["compare", "alpha-vison", "beta-paint", "--data", str(catalog)])
    assert missing.exit_code == 1 and "did you mean 'alpha-vision'" in missing.stderr


def test_build_quiet_and_verbose(runner: CliRunner, catalog: Path, tmp_path: Path) -> None:
    base = ["build", "--data", str(catalog), "--out", str(tmp_path / "s"), "--no-search"]
    assert runner.invoke(cli, [*base, "--quiet"]).stdout == ""
    verbose = runner.invoke(cli, [*base, "--verbose"]).stdout
    assert "load+validate" in verbose and "render+write" in verbose


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def wait_for(predicate, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_serve_rebuilds_reloads_shows_problems_and_recovers(catalog: Path) -> None:
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rivals", "serve", "--data", str(catalog), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        wait_for(lambda: "Serving" in "".join(list(lines.queue)))
        base = f"http://127.0.0.1:{port}/"
        page = fetch(base + "models/alpha-vision/")
        assert "/_rivals/events" in page and "Alpha Vision" in page
        events: queue.Queue[str] = queue.Queue()

        def listen() -> None:
            with urllib.request.urlopen(base + "_rivals/events", timeout=60) as stream:
                for raw in stream:
                    events.put(raw.decode())

        threading.Thread(target=listen, daemon=True).start()
        wait_for(lambda: not events.empty())  # connected
        with pytest.raises(urllib.error.HTTPError) as missing:  # the site's 404 page, as a host
            fetch(base + "no/such/page/")
        assert missing.value.code == 404
        assert "<h1>Page not found</h1>" in missing.value.read().decode()
        missing.value.close()
        # A folder's address without its slash is redirected, as a host does, so that the
        # page's relative links resolve from the right place.
        with urllib.request.urlopen(base + "models/alpha-vision", timeout=10) as moved:
            assert moved.geturl() == base + "models/alpha-vision/"
        model = catalog / "models" / "alpha-vision.yaml"
        good = model.read_text()
        model.write_text(good.replace("Alpha Vision", "Alpha Vision Two", 1))
        wait_for(lambda: "Alpha Vision Two" in fetch(base + "models/alpha-vision/"))
        wait_for(lambda: any("event: reload" in e for e in list(events.queue)))
        model.write_text(good.replace("kind: model", "kind: spaceship"))
        wait_for(lambda: "rivals-problems" in fetch(base + "models/alpha-vision/"))
        overlay = fetch(base + "models/alpha-vision/")
        assert "alpha-vision.yaml:2: kind:" in overlay and "Alpha Vision Two" in overlay
        assert "The catalog has problems; showing the last good build." in overlay
        with pytest.raises(urllib.error.HTTPError) as still:  # a good build is there to 404
            fetch(base + "no/such/page/")
        assert still.value.code == 404
        still.value.close()
        head = urllib.request.Request(base + "models/alpha-vision/", method="HEAD")
        with urllib.request.urlopen(head, timeout=10) as response:  # what GET would send
            assert int(response.headers["Content-Length"]) == len(overlay.encode())
        model.write_text(good)
        wait_for(lambda: "rivals-problems" not in fetch(base + "models/alpha-vision/"))
        assert "Alpha Vision Two" not in fetch(base + "models/alpha-vision/")
    finally:
        proc.send_signal(2)  # Ctrl-C
        try:
            try:
                code = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # say what it printed and what it was doing
                tasks = Path(f"/proc/{proc.pid}/task")
                doing = (
                    [(t / "wchan").read_text() for t in tasks.iterdir()] if tasks.exists() else []
                )
                raise AssertionError(f"serve did not stop: {list(lines.queue)} {doing}") from None
            assert code == 0
        finally:
            proc.kill()
            proc.wait()
            time.sleep(0.2)  # let the reader thread see the end of the output
            proc.stdout.close()
    output = "".join(list(lines.queue))
    assert "kind: Input should be" in output and "Stopped." in output
    assert "Traceback" not in output


def test_serve_on_a_port_in_use_says_so_before_building(catalog: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "rivals", "serve", "--data", str(catalog), "--port", str(port)],
            capture_output=True,
            text=True,
            env=dict(os.environ, TMPDIR=str(temp)),
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr == f"error: cannot serve on 127.0.0.1:{port}: Address already in use\n"
    assert "Built" not in done.stdout  # the port is tried before the build
    assert list(temp.iterdir()) == []  # no temporary site left behind


def serve_until_serving(
    args: list[str], env: dict[str, str], stop: int = signal.SIGTERM
) -> tuple[list[str], int]:
    """Start `rivals serve ARGS`, read its output up to the line that says it serves, stop it
    with `stop` (SIGTERM); return the lines read (and a last one counting the temporary
    folders in `env`'s TMPDIR while it served) and its exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rivals", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", **env),
    )
    seen = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("Serving"):
                break
        serving = list(Path(env.get("TMPDIR", "/nonexistent")).glob("rivals-serve-*"))
        proc.send_signal(stop)
        code = proc.wait(timeout=20)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    seen.append(f"temporary folders while serving: {len(serving)}")
    return seen, code


def test_serve_stopped_by_sigterm_removes_its_temporary_site(catalog: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    seen, code = serve_until_serving(["--data", str(catalog)], {"TMPDIR": str(temp)})
    assert code == 0 and seen[-1] == "temporary folders while serving: 1"
    assert list(temp.iterdir()) == []


def test_serve_keeps_serving_when_its_first_build_fails(catalog: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "compare.html").write_text("{{ a.name + 1 }}")  # fails every pair page
    seen, code = serve_until_serving(["--data", str(catalog), "--templates", str(templates)], {})
    assert code == 0 and any(line.startswith("Serving") for line in seen)
    assert any(line.startswith("error: ") and "TypeError" in line for line in seen), seen
    assert "Traceback" not in "".join(seen)


def test_serve_stops_on_a_ctrl_c_held_while_pages_moved_in(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C that came while a rebuild moved its pages in is obeyed once they have: serve
    stops instead of showing it as a failed build."""
    import rivals.serve
    from rivals.build import BuildInterrupted, BuildOptions

    def interrupted(options: BuildOptions) -> None:
        raise BuildInterrupted("the build was interrupted once its pages were in --out")

    monkeypatch.setattr(rivals.serve, "build_site", interrupted)
    options = BuildOptions(catalog, None, tmp_path / "site", None, 1, False, False)
    said: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        rivals.serve._rebuild(options, rivals.serve.LiveState(), said.append)
    assert said == []


@contextlib.contextmanager
def watching(paths: list[Path]) -> Iterator[queue.Queue[object]]:
    """Run serve's watcher on `paths` in a thread; yield the queue of its batches."""
    from rivals.serve import _watch

    batches: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        for batch in _watch(paths, stop):
            batches.put(batch)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        time.sleep(0.5)  # the watcher is up
        yield batches
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def names_in(batches: queue.Queue[object]) -> set[str]:
    """Return the names of the files of the next batch of changes."""
    batch = batches.get(timeout=10)
    return {Path(path).name for _, path in batch}  # type: ignore[attr-defined]


def test_serve_does_not_rebuild_when_only_the_editor_schema_changes(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    with watching([folder]) as batches:
        (folder / "model.schema.json").write_text("{}")  # as `rivals new` writes it
        time.sleep(0.8)
        (folder / "site.yaml").write_text("title: Mine\n")
        assert names_in(batches) == {"site.yaml"}


def test_serve_does_not_follow_a_link_to_the_whole_disk(tmp_path: Path) -> None:
    from rivals.serve import _folders

    data = tmp_path / "data"
    (data / "models" / "_old").mkdir(parents=True)
    (data / "models" / "root").symlink_to("/")  # the watcher walked / and died on /proc
    # The link is watched itself, one level deep, as the loader reads it: never walked.
    root = data / "models" / "root"
    assert _folders([data]) == [data, data / "models", root, data / "models" / "_old"]
    with watching([data]) as batches:
        (data / "models" / "new.yaml").write_text("name: x\n")
        assert "new.yaml" in names_in(batches)
        (data / "models" / "_old" / "old.yaml").write_text("name: x\n")  # a folder below too
        assert "old.yaml" in names_in(batches)


def test_serve_watches_a_folder_made_after_it_started(tmp_path: Path) -> None:
    data, templates = tmp_path / "data", tmp_path / "templates"
    data.mkdir()
    with watching([data, templates]) as batches:
        templates.mkdir()  # made while serving: a change, then watched
        assert batches.get(timeout=10) == {"appeared"}
        time.sleep(0.8)
        (templates / "model.html").write_text("mine\n")
        assert "model.html" in names_in(batches)
        shutil.rmtree(templates)  # deleted and made again: still watched
        batches.get(timeout=10)  # the deletion (perhaps twice: by the watcher and the walk)
        time.sleep(0.8)
        while not batches.empty():
            batches.get()
        templates.mkdir()
        assert batches.get(timeout=10) == {"appeared"}
        time.sleep(0.8)
        (templates / "base.html").write_text("again\n")
        assert "base.html" in names_in(batches)


def test_compare_tells_apart_two_entries_of_one_name(runner: CliRunner, catalog: Path) -> None:
    entry = catalog / "models" / "beta-paint.yaml"
    # Two spaces, read as one: "Alpha VISION", as a page shows it.
    entry.write_text(re.sub(r"^name: .*$", "name: Alpha  VISION", entry.read_text(), flags=re.M))
    result = compare(runner, catalog, "alpha-vision", "beta-paint")
    assert result.exit_code == 0, result.output
    assert "Alpha Vision (alpha-vision) vs Alpha VISION (beta-paint)" in result.stdout


def test_init_makes_a_valid_catalog_to_start_from(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = runner.invoke(cli, ["check"])
    assert missing.exit_code == 1
    assert "data:1: (folder): catalog folder not found (`rivals init` makes a new one)" in (
        missing.stderr
    )
    made = runner.invoke(cli, ["init", "--title", 'Vision: "models"'])
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "benchmarks.yaml",
        "capabilities.yaml",
        "categories.yaml",
        "matches.yaml",
        "models",
        "site.yaml",
    ]
    check = runner.invoke(cli, ["check"])
    assert check.exit_code == 0, check.output
    assert "data/ is valid: 0 entries, 1 category, 1 capability." in check.stdout
    empty = runner.invoke(cli, ["build", "--no-search", "--quiet"])
    assert empty.exit_code == 0, empty.output
    home = (tmp_path / "site" / "index.html").read_text()
    assert "No entries yet" in home and '<table class="board">' not in home
    # The starter's examples are the ids `rivals new` suggests; filled in, it builds.
    runner.invoke(cli, ["new", "my-model"])
    _publish_with(tmp_path / "data" / "models" / "my-model.yaml", "general", "question-answering")
    built = runner.invoke(cli, ["build", "--no-search", "--quiet"])
    assert built.exit_code == 0, built.output
    assert (
        "<title>My Model &middot; Vision: &#34;models&#34;</title>"
        in (tmp_path / "site" / "models" / "my-model" / "index.html").read_text()
    )
    again = runner.invoke(cli, ["init"])  # never over a catalog
    assert again.exit_code == 1
    assert "data:1: (folder): folder is not empty: rivals init makes a new catalog only" in (
        again.stderr
    )


def _publish_with(path: Path, category: str, capability: str) -> None:
    text = path.read_text().replace("categories: [TODO]", f"categories: [{category}]")
    text = text.replace("id: TODO", f"id: {capability}").replace("TODO.example.org", "x.org")
    text = re.sub(r"TODO ([^\n]*)", r"Filled in - \1", text)
    path.write_text(re.sub(r"\ndraft: true[^\n]*", "", text))


def test_new_suggests_the_slug_a_name_would_have(runner: CliRunner, catalog: Path) -> None:
    result = runner.invoke(cli, ["new", "My Model 2.0", "--data", str(catalog)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].endswith("'My Model 2.0' (did you mean 'my-model-2-0'?)")
    assert not list((catalog / "models").glob("*My*"))


def test_compare_with_itself_is_wrong_usage(runner: CliRunner, catalog: Path) -> None:
    result = runner.invoke(cli, ["compare", "alpha-vision", "alpha-vision", "--data", str(catalog)])
    assert result.exit_code == 2
    assert "give two different slugs" in result.stderr


def test_a_slug_typed_like_its_name_gets_a_did_you_mean(runner: CliRunner, catalog: Path) -> None:
    result = compare(runner, catalog, "ALPHA-VISION", "beta-paint")
    assert result.exit_code == 1
    assert result.stderr == "error: unknown slug 'ALPHA-VISION' (did you mean 'alpha-vision'?)\n"


def test_init_refuses_what_it_cannot_make_in_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to("nowhere")
    result = runner.invoke(cli, ["init", "--data", "link"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "link:1: (folder): is not a folder: rivals init makes a new catalog only"
    )
    empty = runner.invoke(cli, ["init", "--data", "new", "--title", " "])  # site.yaml refuses it
    assert empty.exit_code == 2 and "must not be empty" in empty.stderr
    assert not (tmp_path / "new").exists()


def test_serve_lists_the_drafts_todos_when_another_file_has_a_problem(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    from rivals.build import BuildOptions
    from rivals.serve import LiveState, _rebuild

    runner.invoke(cli, ["new", "drafty", "--data", str(catalog)])
    site = catalog / "site.yaml"
    site.write_text(site.read_text() + "bogus: 1\n")
    said: list[str] = []
    state = LiveState()
    _rebuild(BuildOptions(data=catalog, out=tmp_path / "site", search=False), state, said.append)
    assert said[0].endswith("bogus: unknown field 'bogus'")
    assert said[1] == "1 problem found; no build has succeeded yet."
    assert said[2].startswith(f"note: {catalog}/models/drafty.yaml is a draft")
    assert said[3].endswith(": placeholder still to fill in")


@pytest.mark.parametrize(("folder", "asked"), [("docs", "/docs"), ("dökü", "/d%C3%B6k%C3%BC")])
def test_serve_answers_under_the_path_of_the_base_url_too(
    folder: str, asked: str, catalog: Path, tmp_path: Path
) -> None:
    """Also where the path has other letters, as a browser asks for it (percent-encoded):
    every page under /dökü/ was a 404."""
    from functools import partial
    from http.server import ThreadingHTTPServer

    from rivals.build import BuildOptions
    from rivals.serve import LiveState, _Handler, _rebuild

    site = catalog / "site.yaml"
    site.write_text(site.read_text().replace("test.example.org/", f"test.example.org/{folder}/"))
    out, state, said = tmp_path / "site", LiveState(), []
    _rebuild(BuildOptions(data=catalog, out=out, search=False), state, said.append)
    assert state.base_path == f"/{folder}"
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        missing = urllib.request.Request(base + "/no/such/page/")
        with pytest.raises(urllib.error.HTTPError) as page:
            urllib.request.urlopen(missing, timeout=10)
        html = page.value.read().decode()
        page.value.close()
        assert f'href="/{folder}/assets/style.css"' in html  # as it must be where it is hosted
        for path in (f"{asked}/assets/style.css", "/assets/style.css", f"{asked}/", asked):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200, path
        with urllib.request.urlopen(base + f"{asked}/models/alpha-vision", timeout=10) as moved:
            assert moved.geturl() == base + f"{asked}/models/alpha-vision/"  # still under it
        assert "Alpha Vision" in fetch(base + f"{asked}/models/alpha-vision/")
    finally:
        server.shutdown()
        server.server_close()


def test_serve_answers_odd_requests_as_a_host_would(catalog: Path, tmp_path: Path) -> None:
    """No cached asset outlives a save (two saves in one second had one Last-Modified, so a
    revalidation got 304), a name too long for the file system or a file's name with a slash
    gets the site's 404 page, and an HTML file not in UTF-8 is served as it is (each had been a
    traceback on the terminal or Python's own error page)."""
    from functools import partial

    from rivals.build import BuildOptions
    from rivals.serve import LiveState, _Handler, _rebuild, _Server

    templates = tmp_path / "templates"
    (templates / "static").mkdir(parents=True)
    (templates / "static" / "legacy.html").write_bytes("<p>caf\xe9</p>".encode("latin-1"))
    out, state = tmp_path / "site", LiveState()
    _rebuild(BuildOptions(data=catalog, templates=templates, out=out, search=False), state, print)
    handler = type("Handler", (_Handler,), {"state": state})
    server = _Server("127.0.0.1", 0, partial(handler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        later = "Sat, 01 Jan 2100 00:00:00 GMT"
        asking = urllib.request.Request(base + "/assets/style.css")
        asking.add_header("If-Modified-Since", later)
        with urllib.request.urlopen(asking, timeout=10) as response:
            assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
        for path in ("/" + "x" * 300, "/assets/style.css/", "/index.html/"):
            with pytest.raises(urllib.error.HTTPError) as page:
                urllib.request.urlopen(base + path, timeout=10)
            assert page.value.code == 404 and "Page not found" in page.value.read().decode()
            page.value.close()
        with urllib.request.urlopen(base + "/assets/legacy.html", timeout=10) as response:
            assert response.read() == "<p>caf\xe9</p>".encode("latin-1")
    finally:
        server.shutdown()
        server.server_close()


def test_serve_refuses_an_empty_host(runner: CliRunner, catalog: Path) -> None:
    """An unset variable in `--host "$HOST"` would have bound every address."""
    result = runner.invoke(cli, ["serve", "--data", str(catalog), "--host", " "])
    assert result.exit_code == 2 and "must name an address" in result.stderr


def test_serve_stopped_by_a_hangup_removes_its_temporary_site(
    catalog: Path, tmp_path: Path
) -> None:
    """Closing the terminal (SIGHUP) left the temporary site of 2,900 files behind."""
    if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:  # under nohup: serve inherits it
        pytest.skip("SIGHUP is ignored in this process")
    temp = tmp_path / "tmp"
    temp.mkdir()
    seen, code = serve_until_serving(
        ["--data", str(catalog)], {"TMPDIR": str(temp)}, stop=signal.SIGHUP
    )
    assert code == 0 and seen[-1] == "temporary folders while serving: 1"
    assert list(temp.iterdir()) == []


def test_serve_rebuilds_for_a_save_made_during_its_first_build(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files were watched only once the first build was done: a save while it ran (a
    200-entry catalog takes seconds) was never built."""
    import rivals.serve
    from rivals.build import BuildOptions, build_site

    builds: list[str] = []
    model = catalog / "models" / "alpha-vision.yaml"

    def build_and_save(options: BuildOptions) -> object:
        builds.append(model.read_text())
        if len(builds) == 2:
            raise KeyboardInterrupt  # the save was seen: stop serving
        report = build_site(options)
        model.write_text(model.read_text().replace("Alpha Vision", "Alpha Saved", 1))
        return report

    monkeypatch.setattr(rivals.serve, "build_site", build_and_save)
    main = threading.get_ident()
    timer = threading.Timer(30, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.start()
    try:
        rivals.serve.serve(BuildOptions(data=catalog), "127.0.0.1", 0, lambda line: None)
    finally:
        timer.cancel()
    assert len(builds) == 2 and "Alpha Saved" in builds[1]


def test_serve_watches_a_linked_models_folder_and_a_folder_put_in_place_of_another(
    tmp_path: Path,
) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    data.mkdir()
    elsewhere.mkdir()
    (data / "models").symlink_to(elsewhere)  # `rivals build` reads it
    with watching([data]) as batches:
        (elsewhere / "new.yaml").write_text("name: x\n")
        assert "new.yaml" in names_in(batches)
    with watching([data]) as batches:
        data.rename(tmp_path / "data.old")  # an editor or a script swaps the folder
        data.mkdir()
        batches.get(timeout=10)  # the swap
        time.sleep(0.8)
        while not batches.empty():
            batches.get()
        (data / "site.yaml").write_text("title: Mine\n")
        assert "site.yaml" in names_in(batches)


def test_serve_binds_an_ipv6_address(catalog: Path, tmp_path: Path) -> None:
    """`--host ::1` was refused: the server was IPv4 only."""
    from functools import partial

    from rivals.serve import LiveState, _Handler, _Server

    with socket.socket(socket.AF_INET6) as probe:
        try:
            probe.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback here")
    handler = type("Handler", (_Handler,), {"state": LiveState()})
    server = _Server("::1", 0, partial(handler, directory=str(tmp_path)))
    try:
        assert server.socket.family == socket.AF_INET6
    finally:
        server.server_close()


def test_serve_that_cannot_watch_says_so(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A watcher that fails (the system's limit of watches reached) ended serve as if the user
    had stopped it: "Stopped." and exit 0."""
    import rivals.serve
    from rivals.build import BuildError, BuildOptions

    def failing(*args: object) -> Iterator[object]:
        raise OSError("OS file watch limit reached")
        yield  # (a generator, as _watch is)

    monkeypatch.setattr(rivals.serve, "_watch", failing)
    with pytest.raises(BuildError, match=r"cannot watch .* for changes: OS file watch limit"):
        rivals.serve.serve(BuildOptions(data=catalog), "127.0.0.1", 0, lambda line: None)


def test_serve_prints_only_its_build_reports_on_stdout(catalog: Path, tmp_path: Path) -> None:
    """Lines were sent to standard output when they began with "B" (for "Built"): so were
    the problem lines of a catalog in a folder named "Bcat"."""
    data = catalog.rename(tmp_path / "Bcat")
    entry = data / "models" / "alpha-vision.yaml"
    entry.write_text(entry.read_text().replace("kind: model", "kind: spaceship"))
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rivals", "serve", "--data", "Bcat", "--port", "0"],
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        try:
            deadline = time.monotonic() + 30
            while "Serving" not in err.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            entry.write_text(entry.read_text().replace("kind: spaceship", "kind: model"))
            while "Built" not in out.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    said, problems = out.read_text(), err.read_text()
    assert "Bcat/models/alpha-vision.yaml:2: kind:" in problems
    assert said.startswith("Built ") and said.count("\n") == 1 and "Bcat" not in said, said
