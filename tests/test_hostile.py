"""Hostile and unusual catalogs: every problem named once, at its line, without a traceback."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import problems_of
from rivals.cli import cli
from rivals.load import MAX_FILE_BYTES
from rivals.problems import SUGGESTIONS
from rivals.yamldoc import MAX_ITEMS, YamlError, parse_document

DELTA = "models/delta-api.yaml"


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@pytest.mark.parametrize(
    ("addition", "where"),
    [
        ("signals:\n  github_stars: 1" + "0" * 320 + "\n", "12: signals.github_stars"),
        ("signals:\n  monthly_downloads: 10000000000000000\n", "12: signals.monthly_downloads"),
        ("signals:\n  benchmarks:\n    scienceqa: -1.7e308\n", "13: signals.benchmarks.scienceqa"),
    ],
)
def test_figures_too_large_for_the_ranking_are_problems_not_crashes(
    addition: str, where: str, catalog: Path, runner: CliRunner, tmp_path: Path
) -> None:
    append(catalog / DELTA, addition)
    found = problems_of(catalog)
    assert len(found) == 1 and found[0].startswith(f"{DELTA}:{where}: "), found
    for verb in (["check"], ["build", "--out", str(tmp_path / "site"), "--no-search"]):
        result = runner.invoke(cli, [*verb, "--data", str(catalog)])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_huge_match_count_is_a_problem(catalog: Path) -> None:
    append(catalog / "matches.yaml", "- pair: [beta-paint, delta-api]\n  count: 1" + "0" * 400)
    found = problems_of(catalog)
    assert len(found) == 1 and found[0].startswith("matches.yaml:7: [2].count: "), found


def test_a_key_that_is_not_text_hides_no_other_problem(catalog: Path) -> None:
    path = catalog / DELTA
    path.write_text(path.read_text().replace("kind: api", "kind: nope") + "~: x\n")
    categories = catalog / "categories.yaml"
    append(categories, "~: x\ndrawing:\n  nme: D\n")
    assert problems_of(catalog) == [
        "categories.yaml:6: (document): keys must be plain text",
        "categories.yaml:7: drawing.name: required field is missing",
        "categories.yaml:8: drawing.nme: unknown field 'nme' (did you mean 'name'?)",
        "models/delta-api.yaml:2: kind: Input should be 'model', 'repository', 'api', 'app',"
        " 'library' or 'dataset', got 'nope'",
        "models/delta-api.yaml:11: (document): keys must be plain text",
    ]


def test_lines_are_counted_as_editors_count_them(catalog: Path) -> None:
    path = catalog / DELTA
    text = path.read_text()
    text = text.replace("A hosted speech API.", '"A hosted\u2028speech\u2029API\x85."')
    path.write_text(text.replace("plan: usage-based", "plan: bogus"))
    found = problems_of(catalog)
    assert len(found) == 1 and found[0].startswith(f"{DELTA}:6: pricing.plan: "), found


def test_a_forbidden_character_is_reported_at_its_line() -> None:
    with pytest.raises(YamlError) as caught:
        parse_document("x.yaml", b"a: 1\nb: 2\nc: x\x00y\n")
    assert caught.value.line == 3
    assert caught.value.message == (
        "invalid YAML: character U+0000: control characters are not allowed"
    )


def test_a_broken_entry_file_is_not_called_unknown_where_it_is_named(catalog: Path) -> None:
    # (the end of a one-line file is on its line 1, not on a line 2 it does not have)
    (catalog / "models" / "beta-paint.yaml").write_text("name: [unclosed\n")
    found = problems_of(catalog)
    assert len(found) == 1 and found[0].startswith("models/beta-paint.yaml:1: "), found


def test_a_record_with_a_problem_is_not_called_unknown_where_it_is_named(
    catalog: Path,
) -> None:
    path = catalog / "categories.yaml"
    path.write_text(path.read_text().replace("name: Vision models", "nme: Vision models"))
    bench = catalog / "benchmarks.yaml"
    bench.write_text(bench.read_text().replace("higher_is_better: true", "higher_is_better: maybe"))
    assert problems_of(catalog) == [
        "benchmarks.yaml:3: scienceqa.higher_is_better: expected true or false, got 'maybe'",
        "categories.yaml:1: vision.name: required field is missing",
        "categories.yaml:2: vision.nme: unknown field 'nme' (did you mean 'name'?)",
    ]


def test_a_broken_taxonomy_file_is_reported_once(catalog: Path) -> None:
    (catalog / "categories.yaml").write_text("- vision\n- painting\n")
    assert problems_of(catalog) == [
        "categories.yaml:1: (document): expected a mapping of id -> record, got a list"
    ]


def test_a_match_reports_its_slugs_and_its_count_together(catalog: Path) -> None:
    append(catalog / "matches.yaml", "- pair: [nope, beta-paint]\n  count: -1\n")
    assert problems_of(catalog) == [
        "matches.yaml:6: [2].pair[0]: unknown slug 'nope'",
        "matches.yaml:7: [2].count: Input should be greater than or equal to 0, got '-1'",
    ]


def test_did_you_mean_hints_stop_after_a_budget_each_validation(catalog: Path) -> None:
    """A hint compares the word with every choice: 20,000 unknown slugs took 48 s."""
    count = SUGGESTIONS + 50
    append(
        catalog / "matches.yaml",
        "".join(f"- pair: [alpha-vison-{i}, beta-paint]\n  count: 1\n" for i in range(count)),
    )
    for _ in range(2):  # the budget is each validation's (serve validates again and again)
        found = [p for p in problems_of(catalog) if "unknown slug" in p]
        assert len(found) == count
        hinted = [p for p in found if p.endswith("(did you mean 'alpha-vision'?)")]
        assert hinted == found[: len(hinted)] and len(hinted) == SUGGESTIONS


def test_a_long_unknown_key_is_shown_cut(catalog: Path) -> None:
    key = "k" * 100_000
    append(catalog / "models/beta-paint.yaml", f"? {key}\n: 1\n")  # (a plain key: 1,024 at most)
    [problem] = problems_of(catalog)
    assert len(problem) < 250 and problem.endswith(f"{'k' * 59}…: unknown field '{'k' * 59}…'")


def test_weights_are_summed_even_when_another_setting_is_wrong(catalog: Path) -> None:
    path = catalog / "site.yaml"
    text = path.read_text().replace("adoption: 0.35", "adoption: 0.5")
    path.write_text(text.replace("pairs: all", "pairs: some"))
    assert problems_of(catalog) == [
        "site.yaml:5: ranking.weights: weights must sum to 1 (they sum to 1.15)",
        "site.yaml:6: pairs: Input should be 'all', 'same-category' or 'matched', got 'some'",
    ]


@pytest.mark.parametrize("name", ["site.yaml", "matches.yaml", "benchmarks.yaml"])
def test_an_optional_file_with_only_comments_means_its_defaults(name: str, catalog: Path) -> None:
    (catalog / name).write_text("# none yet\n")
    found = problems_of(catalog)
    if name == "benchmarks.yaml":  # no benchmark defined: the entries that cite one are wrong
        assert found and all("unknown benchmark" in line for line in found), found
    else:
        assert found == []


@pytest.mark.parametrize("name", ["categories.yaml", "capabilities.yaml", DELTA])
def test_a_required_or_entry_file_with_only_comments_is_empty(name: str, catalog: Path) -> None:
    (catalog / name).write_text("# to do\n")
    assert problems_of(catalog) == [f"{name}:1: (document): file is empty"]


def test_files_that_look_like_entries_are_never_skipped_silently(catalog: Path) -> None:
    models = catalog / "models"
    (models / "folder.yaml").mkdir()
    (models / "gone.yaml").symlink_to(catalog / "nowhere.yaml")
    (models / "loop.yaml").symlink_to(models / "loop.yaml")
    (models / "Upper.YAML").write_text("name: x\n")
    found = problems_of(catalog)
    assert "models/folder.yaml:1: (file): cannot read file: is a folder, not a file" in found
    assert (
        "models/gone.yaml:1: (file): cannot read file: symbolic link to a file that does not"
        " exist" in found
    )
    assert any(line.startswith("models/loop.yaml:1: (file): cannot read file: ") for line in found)
    assert "models/Upper.YAML:1: (file): model files must end in .yaml" in found
    assert len(found) == 4, found


def test_yaml_files_the_catalog_does_not_read_are_reported(catalog: Path) -> None:
    (catalog / "site.yaml").rename(catalog / "site.yml")
    (catalog / "match.yaml").write_text((catalog / "matches.yaml").read_text())
    # An entry saved beside models/, and a folder of entries inside it.
    (catalog / "beta.yaml").write_text((catalog / "models" / "beta-paint.yaml").read_text())
    (catalog / "models" / "archive" / "2025").mkdir(parents=True)
    (catalog / "models" / "archive" / "2025" / "old.yaml").write_text("name: x\n")
    # Names starting with "." or "_" are the user's own, as are files of other tools (a
    # catalog kept at a project's root) and of other kinds.
    (catalog / "_notes.yaml").write_text("x: 1\n")
    (catalog / "docker-compose.yml").write_text("services: {}\n")
    (catalog / "mkdocs.yml").write_text("site_name: x\n")
    (catalog / "yaml").write_text("x: 1\n")
    (catalog / "models" / "_old").mkdir()
    (catalog / "models" / "_old" / "old.yaml").write_text("name: x\n")
    (catalog / "models" / "root").symlink_to("/")  # not walked: it would take the whole disk
    elsewhere = catalog.parent / "kept-elsewhere"
    elsewhere.mkdir()
    (elsewhere / "gamma.yaml").write_text("name: x\n")
    (catalog / "models" / "linked").symlink_to(elsewhere)  # looked into, one level
    (catalog / "README.md").write_text("# notes\n")
    found = problems_of(catalog)
    read = "site.yaml, categories.yaml, capabilities.yaml, benchmarks.yaml, matches.yaml"
    for stray, meant in (("site.yml", "site"), ("match.yaml", "matches")):
        assert (
            f"{stray}:1: (file): not a file of the catalog, which reads {read}"
            f" (did you mean '{meant}.yaml'?)" in found
        )
    assert "beta.yaml:1: (file): an entry goes in models/: this file is not read" in found
    assert (
        "models/archive:1: (folder): entries go directly in models/; the files of this folder"
        " are not read (rename it _archive to keep them out of the catalog)" in found
    )
    assert (
        "models/linked:1: (folder): entries go directly in models/; the files of this folder"
        " are not read (rename it _linked to keep them out of the catalog)" in found
    )
    assert len(found) == 5, found


def test_a_special_file_is_refused_without_reading_it(catalog: Path) -> None:
    (catalog / "site.yaml").unlink()
    os.mkfifo(catalog / "site.yaml")  # reading it would wait for a writer forever
    (catalog / "benchmarks.yaml").unlink()
    (catalog / "benchmarks.yaml").symlink_to("/dev/zero")  # reading it would never end
    assert problems_of(catalog) == [
        "benchmarks.yaml:1: (file): cannot read file: not a regular file",
        "site.yaml:1: (file): cannot read file: not a regular file",
    ]


@pytest.mark.parametrize("thing", ["file", "fifo", None])
def test_a_models_path_that_is_not_a_folder_is_named_so(thing: str | None, catalog: Path) -> None:
    models = catalog / "models"
    shutil.rmtree(models)
    if thing == "file":
        models.write_text("name: x\n")
    elif thing == "fifo":
        os.mkfifo(models)
    said = "is not a folder" if thing else "models folder not found"
    assert problems_of(catalog) == [f"models:1: (folder): {said}"]


def test_a_file_too_large_is_refused_after_reading_only_its_limit(catalog: Path) -> None:
    path = catalog / "site.yaml"
    with path.open("r+b") as handle:
        handle.truncate(4 * 1024 * 1024 * 1024)  # sparse: 4 GB that take no disk
    assert problems_of(catalog) == ["site.yaml:1: (document): file is larger than 8 MB"]
    assert MAX_FILE_BYTES == 8 * 1024 * 1024


@pytest.mark.parametrize("value", ["yes", "on", "1", "Y"])
def test_a_flag_is_true_or_false_only(value: str, catalog: Path) -> None:
    """As `draft` is: YAML 1.1's yes/on and a number are not read as booleans."""
    path = catalog / "benchmarks.yaml"
    path.write_text(
        path.read_text().replace("higher_is_better: true", f"higher_is_better: {value}")
    )
    model = catalog / "models/alpha-vision.yaml"
    model.write_text(
        model.read_text().replace("  plan: free\n", f"  plan: free\n  free_tier: {value}\n")
    )
    assert problems_of(catalog) == [
        f"benchmarks.yaml:3: scienceqa.higher_is_better: expected true or false, got '{value}'",
        f"models/alpha-vision.yaml:7: pricing.free_tier: expected true or false, got '{value}'",
    ]


def test_a_file_of_too_many_items_is_refused_before_parsing(catalog: Path) -> None:
    """8 MB of `[a,a,a,...]` took 2.4 GB to parse: a file has at most MAX_ITEMS lines and
    commas."""
    items = ",".join(["ollama"] * MAX_ITEMS)
    append(catalog / DELTA, f"signals:\n  integrations: [{items}]\n")
    assert problems_of(catalog) == [
        f"{DELTA}:1: (document): file has more than {MAX_ITEMS:,} lines and commas in all"
    ]


@pytest.mark.parametrize("newline", ["\r", "\x85", "\u2028"])
def test_every_kind_of_line_break_counts_toward_the_bound(newline: str) -> None:
    """A lone CR or NEL breaks lines in YAML too: 5 MB of `- a<CR>` took 833 MB to parse."""
    with pytest.raises(YamlError, match="more than 200,000 lines and commas"):
        parse_document("x.yaml", ("- a" + newline).encode() * (MAX_ITEMS + 1))


def test_a_quoted_date_may_have_spaces_around_it(catalog: Path) -> None:
    append(catalog / DELTA, "released: ' 2023-04-17 '\n")
    assert problems_of(catalog) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "expected a date as YYYY-MM-DD, got '0'"),
        ("20261101", "expected a date as YYYY-MM-DD, got '20261101'"),
        ("2026-11-01 10:00:00", "expected a date as YYYY-MM-DD, got '2026-11-01 10:00:00'"),
    ],
)
def test_a_date_must_be_written_as_a_date(value: str, message: str, catalog: Path) -> None:
    append(catalog / DELTA, f"released: {value}\n")
    assert problems_of(catalog) == [f"{DELTA}:11: released: {message}"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://a.example:abc/", "the port must be a number from 0 to 65535"),
        ("https://a.example:99999/", "the port must be a number from 0 to 65535"),
    ],
)
def test_a_link_needs_a_valid_port(url: str, message: str, catalog: Path) -> None:
    append(catalog / DELTA, f"links:\n  docs: '{url}'\n")
    assert problems_of(catalog) == [f"{DELTA}:12: links.docs: {message}: '{url}'"]


@pytest.mark.parametrize("url", ["https://example.org/?q=1", "https://example.org/#top"])
def test_a_base_url_has_no_query_or_fragment(url: str, catalog: Path) -> None:
    path = catalog / "site.yaml"
    path.write_text(path.read_text().replace("https://test.example.org/", url))
    assert problems_of(catalog) == [
        f"site.yaml:3: base_url: a base URL cannot have a query or a fragment: '{url}'"
    ]
