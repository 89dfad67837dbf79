"""The build: golden page, identical rebuilds, failures that leave --out alone, hostile data."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, REPO, tree
from rivals.build import (
    CHUNK,
    BuildError,
    BuildOptions,
    Renderer,
    build_site,
    interleaved,
    load_and_validate,
)
from rivals.cli import cli
from rivals.pages import api_record, api_text, plan_pages
from rivals.problems import CatalogError
from rivals.rank import rank
from rivals.views import FEATURES, Site
from rivals.write import safe_relative

GOLDEN = FIXTURES / "golden" / "alpha-vision-vs-beta-paint.html"
TEMPLATES = REPO / "templates"


def build(data: Path, out: Path, **kw) -> None:
    build_site(BuildOptions(data=data, templates=TEMPLATES, out=out, search=False, **kw))


def test_every_page_of_the_layout_is_built(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(catalog, out)
    files = set(tree(out))
    for expected in (
        "index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "assets/style.css",
        "compare/alpha-vision-vs-beta-paint/index.html",
        "compare/beta-paint-vs-delta-api/index.html",
        "models/alpha-vision/index.html",
    ):
        assert expected in files
    assert len([f for f in files if f.startswith("compare/")]) == 6  # 4 entries, all pairs


def test_golden_pair_page(catalog: Path, tmp_path: Path) -> None:
    """Compare one rendered page with the committed copy; REFRESH_GOLDEN=1 rewrites it."""
    out = tmp_path / "site"
    build(catalog, out)
    page = (out / "compare" / "alpha-vision-vs-beta-paint" / "index.html").read_text()
    if os.environ.get("REFRESH_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(page)
    assert page == GOLDEN.read_text()


def test_pair_page_holds_every_element(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(catalog, out)
    page = (out / "compare" / "alpha-vision-vs-gamma-studio" / "index.html").read_text()
    for part in (
        '<h1><bdi>Alpha Vision</bdi> <span class="vs">vs</span> <bdi>Gamma Studio</bdi></h1>',
        'class="lead"',
        '<th scope="row">Type</th>',
        '<th scope="row">Rank</th>',
        '<th scope="row">Adoption</th>',
        '<th scope="row">Quality</th>',
        '<th scope="row">Ecosystem</th>',
        '<th scope="row">Match Graph</th>',
        '<th scope="row">Pricing</th>',
        "3 decomposed",
        "4 decomposed",
        '<th scope="row">Times Matched</th>',
        '<th scope="row">Figures as of</th>',
        '<th scope="row">Sources</th>',
        "Capabilities of Alpha Vision",
        "Capabilities of Gamma Studio",
        "<caption>",
        "+1 more capability",
        "+2 more capabilities",
        "<strong>Unique:</strong>",
        "<strong>vs alternatives:</strong>",
        'id="verdict"',
        "Need something different?",
        'class="bar"',
    ):
        assert part in page, part


def test_building_twice_gives_identical_bytes(catalog: Path, tmp_path: Path) -> None:
    build(catalog, tmp_path / "one")
    build(catalog, tmp_path / "two")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_the_hash_seed_does_not_change_the_output(tmp_path: Path) -> None:
    # Python salts str hashes per process: anything that follows a set's or a dict-of-sets'
    # order into a page would differ between two processes.
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "rivals", "build", "--data", str(REPO / "data")]
        command += ["--out", str(tmp_path / seed / "site"), "--no-search", "--quiet"]
        subprocess.run(command, env=env, check=True)
    assert tree(tmp_path / "1" / "site") == tree(tmp_path / "2" / "site")


def test_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    build(REPO / "data", tmp_path / "one", jobs=1)
    build(REPO / "data", tmp_path / "two", jobs=2)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    build(REPO / "data", tmp_path / "many", jobs=500)  # more than there are units of work
    assert tree(tmp_path / "one") == tree(tmp_path / "many")


def test_a_failed_build_leaves_the_previous_site_untouched(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(catalog, out)
    before = tree(out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    (catalog / "models" / "alpha-vision.yaml").write_text("name: [broken\n")
    with pytest.raises(CatalogError):
        build(catalog, out)
    assert tree(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == stamps
    assert not list(tmp_path.glob(".site.staging-*"))


def test_a_template_error_leaves_the_previous_site_untouched(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(catalog, out)
    before = tree(out)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "compare.html").write_text(
        "{% extends 'base.html' %}{% block main %}{{ nope.x }}{% endblock %}"
    )
    with pytest.raises(BuildError, match=r"compare\.html"):
        build_site(BuildOptions(data=catalog, templates=templates, out=out, search=False))
    assert tree(out) == before


def test_a_site_template_overrides_the_theme_and_can_extend_it(
    catalog: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    (templates / "compare").mkdir(parents=True)
    (templates / "compare" / "alpha-vision-vs-beta-paint.html").write_text(
        "{% extends 'theme/compare.html' %}{% block main %}<p>special</p>{{ super() }}{% endblock %}"
    )
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=templates, out=out, search=False))
    assert "<p>special</p>" in (out / "compare/alpha-vision-vs-beta-paint/index.html").read_text()
    assert (
        "<p>special</p>"
        not in (out / "compare/alpha-vision-vs-gamma-studio/index.html").read_text()
    )


def test_a_rebuild_rewrites_nothing_that_did_not_change(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(catalog, out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    report = build_site(BuildOptions(data=catalog, templates=TEMPLATES, out=out, search=False))
    assert report.written == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


def test_removing_an_entry_removes_its_pages_but_not_foreign_files(
    catalog: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build(catalog, out)
    (out / "CNAME").write_text("example.org\n")
    (catalog / "models" / "delta-api.yaml").unlink()
    build(catalog, out)
    clean = tmp_path / "clean"
    build(catalog, clean)
    assert not (out / "models" / "delta-api").exists()
    assert (out / "CNAME").read_text() == "example.org\n"
    assert tree(out) == tree(clean) | {"CNAME": b"example.org\n"}


HOSTILE = """name: "<script>alert('name')</script>"
kind: app
summary: "Click [here](javascript:alert(1)) or <img src=x onerror=alert(2)> **bold** <b>raw</b>"
categories: [vision]
pricing:
  plan: paid
  note: "<iframe src='https://evil.example'></iframe>"
links:
  homepage: "https://example.org/?q=<x>&a=\\"b\\""
capabilities:
  - id: captioning
    summary: "[ok](https://example.org/) and [bad](data:text/html,boom) and ![t](https://tracker.example/p.png)"
    unique: "<style>body{display:none}</style>plain"
"""


def test_hostile_text_is_escaped_and_links_are_checked(catalog: Path, tmp_path: Path) -> None:
    (catalog / "models" / "evil.yaml").write_text(HOSTILE)
    out = tmp_path / "site"
    build(catalog, out)
    for path in [out / "models/evil/index.html", out / "compare/alpha-vision-vs-evil/index.html"]:
        html = path.read_text()
        assert "<script>alert" not in html and "&lt;script&gt;" in html
        assert "javascript:" not in html and "data:text" not in html
        assert "<img src=x onerror" not in html  # raw HTML stays text, never an element
        assert "<iframe" not in html and "<style>body" not in html and "<img" not in html
        assert "tracker.example" not in html
    model = (out / "models/evil/index.html").read_text()
    assert '<a href="https://example.org/" rel="nofollow noopener noreferrer">ok</a>' in model
    assert "<strong>bold</strong>" in model
    assert "or &lt;img src=x onerror=alert(2)&gt; <strong>bold</strong> &lt;b&gt;raw" in model


def test_out_may_not_exist_yet_and_nested(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "site"
    build(catalog, out)
    assert (out / "index.html").is_file()


def test_staging_is_beside_out_not_inside(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(catalog, out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == [
        ".rivals-cache",
        "site",
    ]
    shutil.rmtree(out)


def test_a_killed_builds_staging_folder_is_removed_by_the_next_build(
    catalog: Path, tmp_path: Path
) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer runs
    dead = [tmp_path / f".site.{kind}-{gone.pid}" for kind in ("staging", "pagefind")]
    alive = tmp_path / f".site.staging-{os.getppid()}"  # a build that still runs
    for folder in (*dead, alive):
        (folder / "compare").mkdir(parents=True)
        (folder / "compare" / "index.html").write_text("half a build")
    build(catalog, tmp_path / "site")
    assert not any(folder.exists() for folder in dead)
    assert (alive / "compare" / "index.html").read_text() == "half a build"


def test_a_site_override_of_the_fragments_changes_every_pair_page(
    catalog: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    (templates / "partials").mkdir(parents=True)
    theme = (TEMPLATES / "partials" / "fragments.html").read_text()
    start = theme.index("{% macro feature_cell(cell)")
    end = theme.index("{%- endmacro %}", start) + len("{%- endmacro %}")
    mine = '{% macro feature_cell(cell) %}<td class="mine">{{ cell.text }}</td>{% endmacro %}'
    (templates / "partials" / "fragments.html").write_text(theme[:start] + mine + theme[end:])
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=templates, out=out, search=False))
    pages = sorted((out / "compare").glob("*/index.html"))
    assert pages
    for page in pages:
        html = page.read_text()
        assert html.count('<td class="mine">') == 2 * len(FEATURES)  # both sides, every row
        assert "&#10003; Listed" in html  # the macros it did not replace still come from the theme


def test_json_ld_cannot_close_its_script(catalog: Path, tmp_path: Path) -> None:
    evil = (catalog / "models" / "beta-paint.yaml").read_text()
    evil = evil.replace('name: "1.10"', "name: \"</script><script>alert(1)</script> & 'x'\"")
    assert "</script>" in evil
    (catalog / "models" / "beta-paint.yaml").write_text(evil)
    out = tmp_path / "site"
    build(catalog, out)
    html = (out / "compare" / "alpha-vision-vs-beta-paint" / "index.html").read_text()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 2
    data = [json.loads(b) for b in blocks]
    names = [m["name"] for m in data[1]["mentions"]]
    assert "</script><script>alert(1)</script> & 'x'" in names
    assert "<script>alert" not in html


def test_the_plan_names_every_path_once(catalog: Path) -> None:
    """The workers write without comparing notes: the plan must not name a path twice."""
    paths = [page.path for page in plan_pages(load_and_validate(catalog))]
    assert len(paths) == len(set(paths)) > 10


def test_pair_twins_are_the_json_of_their_record(catalog: Path) -> None:
    """The twins are written out by hand for speed; they must stay what json.dumps would write."""
    for data in (catalog, REPO / "data"):
        parsed = load_and_validate(data)
        site = Site(parsed, rank(parsed))
        twins = [page for page in plan_pages(parsed) if page.kind == "api-compare"]
        assert twins
        for page in twins:
            record = api_record(site, page)
            assert api_text(site, page) == json.dumps(
                record, ensure_ascii=False, separators=(",", ":")
            )


@pytest.mark.parametrize(
    "path", ["", "/etc/passwd", "a/", "a//b", "../a", "a/../../b", "a/./b", ".", "..", "a\\b"]
)
def test_no_path_leaves_the_output_folder(path: str) -> None:
    with pytest.raises(ValueError):
        safe_relative(path)


def test_paths_inside_the_output_folder_are_kept() -> None:
    for path in ("index.html", "compare/a-vs-b/index.html", ".well-known/x.txt", "a/.b"):
        assert safe_relative(path) == path


def test_a_build_can_leave_its_objects_to_the_caller(catalog: Path, tmp_path: Path) -> None:
    """The CLI exits without freeing anything: the build leaves it what it would free."""
    left: list[object] = []
    build(catalog, tmp_path / "site", leave=left)
    kinds = {type(thing).__name__ for thing in left}
    assert {"Site", "Manifest", "Renderer"} <= kinds


def test_the_render_order_spreads_an_entrys_pairs_over_the_units() -> None:
    pairs = list(combinations([f"e{i:03d}" for i in range(200)], 2))
    order = interleaved(pairs)
    assert len(order) == len(pairs) and set(order) == set(pairs)
    # e000's 199 pairs come first in `pairs`: one unit of work would get them all.
    units = {i // (CHUNK // 2) for i, (a, _) in enumerate(order) if a == "e000"}
    assert len(units) >= 20


def test_a_render_worker_that_dies_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Pool starts a new worker for one that dies, and would wait for its unit forever."""
    run = Renderer.run

    def dying(self: Renderer, unit: tuple[str, int, int]) -> object:
        if unit[0] == "pairs" and unit[1] > 0:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel does when memory runs out
        return run(self, unit)

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("the build hung")

    monkeypatch.setattr(Renderer, "run", dying)
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        with pytest.raises(BuildError, match="render worker was killed by signal 9"):
            build(REPO / "data", tmp_path / "site", jobs=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert not (tmp_path / "site").exists()
    assert not list(tmp_path.glob(".site.staging-*"))


def test_a_model_page_says_when_its_figures_are_undated(catalog: Path, tmp_path: Path) -> None:
    beta = catalog / "models" / "beta-paint.yaml"
    beta.write_text(beta.read_text().replace("  as_of: 2026-10-01\n", ""))
    out = tmp_path / "site"
    build(catalog, out)
    beta = (out / "models" / "beta-paint" / "index.html").read_text()
    delta = (out / "models" / "delta-api" / "index.html").read_text()
    assert "These figures are undated: the catalog gives no <code>as_of</code>" in beta
    assert "No dated figures: this entry has no signals." in delta
    pair = (out / "compare" / "beta-paint-vs-delta-api" / "index.html").read_text()
    assert "<td>undated</td><td>undated</td>" in pair


def test_a_model_twin_and_page_carry_what_the_entry_file_says(
    catalog: Path, tmp_path: Path
) -> None:
    beta = catalog / "models" / "beta-paint.yaml"
    beta.write_text(beta.read_text() + "sources:\n  - url: https://example.org/untitled\n")
    out = tmp_path / "site"
    build(catalog, out)
    alpha = json.loads((out / "api" / "models" / "alpha-vision.json").read_text())
    assert alpha["released"] == "2023-04-17"
    assert alpha["capability_claims"][0]["id"] == alpha["capabilities"][0]
    assert set(alpha["capability_claims"][0]) == {
        "id",
        "name",
        "summary",
        "unique",
        "vs_alternatives",
    }
    twin = json.loads((out / "api" / "models" / "beta-paint.json").read_text())
    assert twin["pricing"]["note"] == "Billed per image."
    assert twin["sources"] == [
        {"url": "https://example.org/untitled", "title": None, "retrieved": None}
    ]
    page = (out / "models" / "alpha-vision" / "index.html").read_text()
    assert "Integrations: ollama, transformers, llama-cpp." in page


def test_the_methodology_page_lists_the_benchmarks_and_capabilities(
    catalog: Path, tmp_path: Path
) -> None:
    bench = catalog / "benchmarks.yaml"
    bench.write_text(bench.read_text() + "  url: https://example.org/wer\n")
    caps = catalog / "capabilities.yaml"
    caps.write_text(
        caps.read_text() + "painting-styles:\n  name: Styles\n  group: art\n"
        "  description: Paints in *many* styles.\n"
    )
    out = tmp_path / "site"
    build(catalog, out)
    page = (out / "methodology" / "index.html").read_text()
    assert (
        '<a href="https://example.org/wer" rel="nofollow noopener noreferrer">Word error rate'
        in page
    )
    assert "<td>lower</td><td>%</td>" in page
    assert (
        '<th scope="row">Styles</th><td>art</td><td><bdi>Paints in <em>many</em> styles.</bdi></td>'
        in page
    )


def test_a_template_for_an_entry_or_pair_that_no_page_uses_is_noted(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    for name in (
        "models/alpah-vision.html",  # a typo
        "models/beta-paint.html",
        "compare/beta-paint-vs-alpha-vision.html",  # the wrong order
        "compare/alpha-vision-vs-beta-paint.html",
        "compare/alpha-vision-vs-nobody.html",
        "compare/_parts.html",  # a partial the others may include
    ):
        (templates / name).parent.mkdir(parents=True, exist_ok=True)
        base = "model" if name.startswith("models/") else "compare"
        (templates / name).write_text(f'{{% extends "theme/{base}.html" %}}')
    out = tmp_path / "site"
    where = ["--data", str(catalog), "--out", str(out), "--templates", str(templates)]
    result = runner.invoke(cli, ["build", *where, "--no-search"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert notes == [
        f"note: {templates}/compare/alpha-vision-vs-nobody.html matches no pair page",
        f"note: {templates}/compare/beta-paint-vs-alpha-vision.html matches no pair page: the"
        " page is compare/alpha-vision-vs-beta-paint/",
        f"note: {templates}/models/alpah-vision.html matches no entry (did you mean"
        " 'alpha-vision'?)",
    ]


def test_right_to_left_names_are_isolated_in_the_running_text_of_a_pair_page(
    catalog: Path, tmp_path: Path
) -> None:
    for slug, name in (("alpha-vision", "نموذج الرؤية 3"), ("beta-paint", "מודל 2 (7B)")):
        path = catalog / "models" / f"{slug}.yaml"
        path.write_text(re.sub(r"^name: .*$", f'name: "{name}"', path.read_text(), flags=re.M))
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, out=out, search=False))
    html = (out / "compare" / "alpha-vision-vs-beta-paint" / "index.html").read_text()
    a, b = "<bdi>نموذج الرؤية 3</bdi>", "<bdi>מודל 2 (7B)</bdi>"
    # "1 only in X, 0 only in Y": a bare X took the count after it to its other side.
    only = rf"<caption>\d+ shared, \d+ only in {re.escape(a)}, \d+ only in {re.escape(b)}</"
    assert re.search(only, html)
    assert f"<caption>{a} and {b} side by side</caption>" in html
    assert f'<p class="lead">{a} ranks higher' in html
    verdict = html.split('<h2 id="verdict">Verdict</h2>')[1].split("</p>")[0]
    assert (
        verdict.count(a) >= 2
        and b in verdict
        and "<bdi>" not in verdict.replace(a, "").replace(b, "")
    )
    assert f"Capabilities of {a}</h2>" in html
    assert f'<span aria-current="page">{a} vs {b}</span>' in html
    related = (out / "compare" / "alpha-vision-vs-gamma-studio" / "index.html").read_text()
    assert "<bdi>&#1606;&#1605;" in related  # the related link (ASCII, as it is kept)


def test_right_to_left_catalog_texts_beside_figures_or_in_lists_are_isolated(
    catalog: Path, tmp_path: Path
) -> None:
    """A bare Hebrew benchmark name before ": 92.53% → 100" turned the line around ("100 → 92.53%
    :..."); a category name took the count after it to its other side; two names in a list
    swapped places. Each name is isolated whole, with its digits, quotes and brackets."""
    benchmarks = catalog / "benchmarks.yaml"
    benchmarks.write_text(benchmarks.read_text().replace("ScienceQA", 'מבחן ארה"ב (גרסה 2)'))
    benchmarks.write_text(
        benchmarks.read_text() + "arabic:\n  name: اختبار\n  higher_is_better: true\n"
    )
    categories = catalog / "categories.yaml"
    categories.write_text(categories.read_text().replace("Vision models", "צ'אט, ראייה 2"))
    for slug, score in (("alpha-vision", 70), ("beta-paint", 20)):
        path = catalog / "models" / f"{slug}.yaml"
        text = re.sub(
            r"^(    scienceqa: .*)$", rf"\1\n    arabic: {score}", path.read_text(), flags=re.M
        )
        path.write_text(text.replace("[ollama, transformers", "[אולמה, ترانسفورمر, ollama"))
    alpha = catalog / "models" / "alpha-vision.yaml"
    alpha.write_text(alpha.read_text().replace("name: Alpha Vision", "name: ג'מיני 2"))
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, out=out, search=False))
    model = (out / "models" / "alpha-vision" / "index.html").read_text()
    assert "<li><bdi>מבחן ארה&#34;ב (גרסה 2)</bdi>: 92.53% → 100</li>" in model
    assert "<li><bdi>اختبار</bdi>: 70 → 100</li>" in model
    assert "Integrations: <bdi>אולמה</bdi>, <bdi>ترانسفورمر</bdi>, ollama," in model
    home = (out / "index.html").read_text()
    assert '/"><bdi>צ&#39;אט, ראייה 2</bdi></a> <span class="note">' in home
    # (An entry's cells are kept as ASCII, with character references: see render.py.)
    pair = html.unescape((out / "compare/alpha-vision-vs-beta-paint/index.html").read_text())
    assert (
        '<span class="note">from <bdi>اختبار</bdi>, <bdi>מבחן ארה"ב (גרסה 2)</bdi></span>' in pair
    )
    assert "<td><bdi>צ'אט, ראייה 2</bdi></td>" in pair
    assert "1 on the <bdi>ג'מיני 2</bdi> page</a>" in pair


def test_a_right_to_left_site_title_and_tagline_keep_their_order(
    catalog: Path, tmp_path: Path
) -> None:
    """The footer's "title — tagline." read as one right-to-left run: tagline first."""
    (catalog / "site.yaml").write_text("title: השוואות 2025\ntagline: צ'אט מול צ'אט!\n")
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, out=out, search=False))
    home = (out / "index.html").read_text()
    assert "<p><bdi>השוואות 2025</bdi> &mdash; <bdi>צ&#39;אט מול צ&#39;אט!</bdi>." in home
    assert '<h1 dir="auto">השוואות 2025</h1>' in home
    assert '<p class="lead" dir="auto">צ&#39;אט מול צ&#39;אט!</p>' in home
    assert '<a class="brand" href=""><bdi>השוואות 2025</bdi></a>' in home


def test_a_right_to_left_label_is_isolated_on_its_model_page(catalog: Path, tmp_path: Path) -> None:
    """ "מודל (alpha-vision)": bare in the heading and breadcrumb, "(" took the Hebrew's side."""
    for slug in ("alpha-vision", "beta-paint"):  # one name: each is shown with its slug
        path = catalog / "models" / f"{slug}.yaml"
        path.write_text(re.sub(r"^name: .*$", 'name: "מודל"', path.read_text(), flags=re.M))
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, out=out, search=False))
    page = (out / "models" / "alpha-vision" / "index.html").read_text()
    assert "<h1><bdi>מודל (alpha-vision)</bdi></h1>" in page
    assert '<span aria-current="page"><bdi>מודל (alpha-vision)</bdi></span>' in page
