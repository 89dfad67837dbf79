"""The search stage: what Pagefind reads, what it indexes, and when it runs again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from rivals.build import BuildOptions, build_site
from rivals.cli import cli
from rivals.render import make_environment, marks_search_body
from rivals.search import page_glob
from rivals.write import cache_dir

MARKED_COMPARE = (
    '{% extends "theme/compare.html" %}{% block main_attrs %} data-pagefind-body{% endblock %}'
)


def indexed_pages(out: Path) -> int:
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text())
    return sum(language["page_count"] for language in entry["languages"].values())


def index_stamp(out: Path) -> int:
    return (out / "pagefind" / "pagefind.js").stat().st_mtime_ns


def build(data: Path, out: Path, templates: Path) -> None:
    build_site(BuildOptions(data=data, templates=templates, out=out, search=True))


def test_only_the_marked_templates_put_pair_pages_in_the_index(tmp_path: Path) -> None:
    theme = make_environment(None)
    assert not marks_search_body(theme, ["compare.html"])
    assert marks_search_body(theme, ["model.html"])  # the marker is in the page itself
    site = tmp_path / "templates"
    (site / "partials").mkdir(parents=True)
    # Reached through an include of an include of an override of the base.
    (site / "base.html").write_text(
        '{% extends "theme/base.html" %}{% include "partials/a.html" %}'
    )
    (site / "partials" / "a.html").write_text('{% include "partials/b.html" %}')
    (site / "partials" / "b.html").write_text("<div data-pagefind-body></div>")
    assert marks_search_body(make_environment(site), ["compare.html"])
    # A name made at render time could be anything: counted as marked.
    (site / "base.html").write_text('{% extends "theme/base.html" %}{% include name %}')
    assert marks_search_body(make_environment(site), ["compare.html"])


def test_the_glob_lists_what_is_in_the_output_but_the_skipped_folders(tmp_path: Path) -> None:
    out = tmp_path / "site"
    for folder in ("compare/a-vs-b", "models/a", "mine"):
        (out / folder).mkdir(parents=True)
    for name in ("index.html", "robots.txt", "about.html"):
        (out / name).write_text("x")
    glob = page_glob(out, ("compare",))
    assert glob == "{about.html,index.html,mine/**/*.html,models/**/*.html}"
    assert page_glob(out, ()) is not None and "compare/**/*.html" in str(page_glob(out, ()))
    (out / "odd{name}.html").write_text("x")
    assert page_glob(out, ("compare",)) is None  # a name a glob cannot list: read everything


def test_pair_pages_are_indexed_only_when_marked_and_a_change_of_scope_reindexes(
    catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    templates = tmp_path / "templates"
    templates.mkdir()
    build(catalog, out, templates)
    models = len(list((out / "models").iterdir()))
    categories = len(list((out / "categories").iterdir()))
    pairs = len(list((out / "compare").iterdir()))
    assert indexed_pages(out) == models + categories
    scope = (cache_dir(out) / "search-scope").read_text()
    assert "models/**/*.html" in scope and "compare" not in scope  # pair pages are not read
    stamp = index_stamp(out)
    build(catalog, out, templates)
    assert index_stamp(out) == stamp  # nothing changed, no reindex

    (templates / "compare.html").write_text(MARKED_COMPARE)
    build(catalog, out, templates)
    assert indexed_pages(out) == models + categories + pairs
    (templates / "compare.html").unlink()
    build(catalog, out, templates)
    assert indexed_pages(out) == models + categories


def test_a_change_to_pair_pages_alone_does_not_reindex(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    templates = tmp_path / "templates"
    templates.mkdir()
    build(catalog, out, templates)
    stamp = index_stamp(out)
    # A pair page that a template of its own changes; no indexed page shows it.
    pair = sorted((out / "compare").iterdir())[0].name
    (templates / "compare").mkdir()
    (templates / "compare" / f"{pair}.html").write_text(
        '{% extends "theme/compare.html" %}{% block main %}Changed.{{ super() }}{% endblock %}'
    )
    build(catalog, out, templates)
    assert "Changed." in (out / "compare" / pair / "index.html").read_text()
    assert index_stamp(out) == stamp
    # A change to an indexed page does reindex.
    entry = catalog / "models" / "gamma-studio.yaml"
    entry.write_text(entry.read_text().replace("name: Gamma Studio", "name: Gamma Studio Two"))
    build(catalog, out, templates)
    assert index_stamp(out) != stamp


def test_a_file_of_the_index_deleted_or_changed_by_hand_is_made_again(tmp_path: Path) -> None:
    out, data, templates = tmp_path / "site", REPO / "tests/fixtures/valid", REPO / "templates"
    build(data, out, templates)
    index = out / "pagefind"
    fragment = sorted((index / "fragment").iterdir())[0]
    made = {p: p.read_bytes() for p in (index / "pagefind.js", fragment)}
    stamp = index_stamp(out)
    build(data, out, templates)
    assert index_stamp(out) == stamp  # nothing changed: Pagefind did not run
    for path, content in made.items():
        path.unlink()
        build(data, out, templates)
        assert path.read_bytes() == content
        path.write_bytes(b"broken")
        build(data, out, templates)
        assert path.read_bytes() == content


def test_model_and_category_pages_keep_their_lists_of_entries_out_of_the_index() -> None:
    """A search for a name found every page that lists it (28 results in a 6-entry site)."""
    env = make_environment(REPO / "templates")
    for template, sections in (
        ("model.html", ("alternatives", "rivals")),
        ("category.html", ("leaderboard-here", "comparisons")),
    ):
        source = env.loader.get_source(env, template)[0]  # type: ignore[union-attr]
        for section in sections:
            assert f'<section aria-labelledby="{section}" data-pagefind-ignore>' in source
    # Nor its tables: their cells ran together in results ("Rank 37/100could be 37-54").
    model = env.loader.get_source(env, "model.html")[0]  # type: ignore[union-attr]
    for table in ("Feature table", "Score breakdown table"):
        assert f'aria-label="{table}" data-pagefind-ignore>' in model


def test_a_damaged_search_scope_means_indexing_again(tmp_path: Path) -> None:
    out, data, templates = tmp_path / "site", REPO / "tests/fixtures/valid", REPO / "templates"
    build(data, out, templates)
    scope = cache_dir(out) / "search-scope"
    before = index_stamp(out)
    scope.write_bytes(b"\x80 not text")
    build(data, out, templates)  # no traceback: not the scope in force, so Pagefind runs again
    assert scope.read_bytes() != b"\x80 not text" and index_stamp(out) != before


def test_a_build_without_search_drops_the_index_a_build_with_search_made(
    catalog: Path, tmp_path: Path
) -> None:
    out, clean = tmp_path / "site", tmp_path / "clean"
    build(catalog, out, REPO / "templates")
    (out / "pagefind-notes").mkdir()  # a folder of the user's, beside the index
    assert (out / "pagefind" / "pagefind-ui.js").is_file()
    build_site(BuildOptions(data=catalog, out=out, search=False))
    build_site(BuildOptions(data=catalog, out=clean, search=False))
    assert not (out / "pagefind").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(p.name for p in clean.iterdir()), "pagefind-notes"]
    )
    build(catalog, out, REPO / "templates")  # and back
    assert indexed_pages(out) > 0


def test_a_fifo_for_the_search_scope_does_not_hang_the_build(catalog: Path, tmp_path: Path) -> None:
    """The scope file is read like every cache file: a FIFO put there hung every build."""
    import os
    import signal

    out = tmp_path / "site"
    build(catalog, out, REPO / "templates")
    scope = cache_dir(out) / "search-scope"
    scope.unlink()
    os.mkfifo(scope)

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError("the build hung")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    try:
        build(catalog, out, REPO / "templates")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert scope.is_file()  # the index was made again, and its scope saved


def test_ctrl_c_while_indexing_says_the_pages_were_built(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rivals.build

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(rivals.build, "index_site", interrupted)
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "--data", str(catalog), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the search index was interrupted (pages were built; the next build makes the"
        " index again)"
    ]
    assert (out / "index.html").is_file()


def test_without_javascript_the_search_box_points_to_the_list_of_every_entry(
    tmp_path: Path,
) -> None:
    """On the search page itself, down to its list: a link to the page it is on did nothing."""
    out = tmp_path / "site"
    build(REPO / "tests/fixtures/valid", out, REPO / "templates")
    here = (out / "search" / "index.html").read_text()
    assert '<noscript><p>Search needs JavaScript: <a href="#all">' in here and 'id="all"' in here
    home = (out / "index.html").read_text()
    assert '<noscript><p><a href="search/">Browse every entry A–Z</a>' in home


def test_ctrl_c_between_the_move_and_the_index_leaves_the_index_to_the_next_build(
    catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM just after the pages moved in (the caches being saved) printed "Aborted!", and
    the next build, finding the old index's scope, kept an index of the old pages."""
    import rivals.build

    out = tmp_path / "site"
    build(catalog, out, REPO / "templates")
    before = index_stamp(out)
    entry = catalog / "models" / "beta-paint.yaml"
    entry.write_text(entry.read_text().replace('name: "1.10"', "name: Beta Renamed"))
    with monkeypatch.context() as patched:

        def interrupted(*args: object) -> None:
            raise KeyboardInterrupt

        patched.setattr(rivals.build, "computed_closeness", interrupted)
        result = CliRunner().invoke(cli, ["build", "--data", str(catalog), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: the build was interrupted once its pages were in --out {out}: the site is"
        " complete but for its search index, which the next build makes"
    ]
    assert "Beta Renamed" in (out / "models" / "beta-paint" / "index.html").read_text()
    assert index_stamp(out) == before  # not made yet
    build(catalog, out, REPO / "templates")
    assert index_stamp(out) != before  # made again, as a clean build makes it
    fresh = tmp_path / "fresh"
    build(catalog, fresh, REPO / "templates")
    for path in sorted((fresh / "pagefind").rglob("*")):
        mine = out / "pagefind" / path.relative_to(fresh / "pagefind")
        assert path.is_dir() or mine.read_bytes() == path.read_bytes(), path
