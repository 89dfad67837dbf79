"""The whole site: page kinds, related links, SEO data, open data and the search index."""

from __future__ import annotations

import json
import re
from collections import deque
from html import unescape
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO
from rivals.build import BuildOptions, build_site, load_and_validate
from rivals.cli import cli
from rivals.pages import plan_pages
from rivals.rank import rank
from rivals.views import Site


@pytest.fixture(scope="module")
def default_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(
        BuildOptions(data=REPO / "data", templates=REPO / "templates", out=out, search=False)
    )
    return out


def test_every_page_kind_exists(default_site: Path) -> None:
    for path in (
        "index.html",
        "methodology/index.html",
        "search/index.html",
        "404.html",
        "categories/vision-language/index.html",
        "models/llava/index.html",
        "compare/llava-vs-sdnext/index.html",
        "api/models.json",
        "api/models/llava.json",
        "api/compare/llava-vs-sdnext.json",
    ):
        assert (default_site / path).is_file(), path


def test_every_page_is_within_three_clicks_of_home(default_site: Path) -> None:
    pages = {p.relative_to(default_site).as_posix() for p in default_site.rglob("index.html")}
    depth = {"index.html": 0}
    queue = deque(["index.html"])
    while queue:
        page = queue.popleft()
        if depth[page] == 3:
            continue
        html = (default_site / page).read_text()
        folder = Path(page).parent
        for href in re.findall(r'href="([^"#:]+/)"', html):
            target = (folder / href / "index.html").as_posix()
            target = str(Path(target)).replace("\\\\", "/")
            parts: list[str] = []
            for part in target.split("/"):
                if part == "..":
                    parts.pop()
                elif part not in ("", "."):
                    parts.append(part)
            target = "/".join(parts)
            if target in pages and target not in depth:
                depth[target] = depth[page] + 1
                queue.append(target)
    assert set(depth) == pages, sorted(pages - set(depth))[:5]


def test_pair_pages_have_breadcrumbs_and_five_to_ten_related(default_site: Path) -> None:
    for page in sorted((default_site / "compare").glob("*/index.html"))[:200]:
        html = page.read_text()
        assert 'aria-label="Breadcrumb"' in html
        related = re.search(
            r'id="related">Related comparisons</h2>\n<ul class="links columns">\n(.*?)</ul>',
            html,
            re.S,
        )
        assert related, page
        assert 5 <= related.group(1).count("<li>") <= 10, page


def test_structured_data_and_sharing_tags(default_site: Path) -> None:
    model = (default_site / "models/llava/index.html").read_text()
    pair = (default_site / "compare/llava-vs-sdnext/index.html").read_text()
    blocks = [
        json.loads(b)
        for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', model)
    ]
    assert {b["@type"] for b in blocks} == {"BreadcrumbList", "SoftwareApplication"}
    pair_blocks = [
        json.loads(b)
        for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', pair)
    ]
    webpage = next(b for b in pair_blocks if b["@type"] == "WebPage")
    assert [m["name"] for m in webpage["mentions"]] == ["LLaVA (7B, 13B, 34B)", "SD.Next"]
    for html in (model, pair):
        assert "AggregateRating" not in html
        assert '<meta property="og:title"' in html and '<meta name="twitter:card"' in html
        assert '<link rel="canonical" href="https://rivals.example.org/' in html


def test_titles_and_descriptions_are_unique(default_site: Path) -> None:
    titles, descriptions = {}, {}
    for page in default_site.rglob("index.html"):
        html = page.read_text()
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        description = re.search(r'<meta name="description" content="(.*?)">', html).group(1)
        assert titles.setdefault(title, page) == page, title
        assert descriptions.setdefault(description, page) == page, description


def test_sitemap_lists_every_html_page_with_data_dates(default_site: Path) -> None:
    sitemap = (default_site / "sitemap.xml").read_text()
    locs = re.findall(r"<loc>(.*?)</loc>", sitemap)
    html_pages = [p for p in default_site.rglob("index.html")]
    assert len(locs) == len(html_pages)
    assert not any(loc.endswith(".json") for loc in locs)
    dates = set(re.findall(r"<lastmod>(.*?)</lastmod>", sitemap))
    assert dates and all(d <= "2026-11-22" for d in dates)  # data dates, not the build clock
    assert (
        "Sitemap: https://rivals.example.org/sitemap.xml"
        in (default_site / "robots.txt").read_text()
    )


def test_the_sitemap_follows_the_plan_with_each_page_dated_by_its_entries(
    catalog: Path, tmp_path: Path
) -> None:
    """The sitemap lists plan_pages' HTML pages in order; a page's lastmod is the newest
    date of the entries it shows, or of the whole catalog for pages about all of them."""
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=REPO / "templates", out=out, search=False))
    parsed = load_and_validate(catalog)
    site = Site(parsed, rank(parsed))

    def newest(slugs: list[str]) -> str:
        found = [d for s in slugs for _, _, d in site.entries[s].sources if d]
        found += [site.entries[s].as_of for s in slugs if site.entries[s].as_of]
        return max(found).isoformat() if found else ""

    everyone = list(site.entries)
    expected = []
    for page in plan_pages(parsed):
        if not page.path.endswith("index.html"):
            continue
        if page.kind in ("compare", "model"):
            slugs = list(page.key)
        elif page.kind == "category":
            slugs = [s for s in everyone if page.key[0] in dict(site.entries[s].categories)]
        else:
            slugs = everyone
        expected.append((f"https://test.example.org/{page.url}", newest(slugs)))
    assert len({date for _, date in expected}) > 2  # the fixture's entries differ in dates
    sitemap = (out / "sitemap.xml").read_text()
    found = re.findall(r"<url><loc>(.*?)</loc>(?:<lastmod>(.*?)</lastmod>)?</url>", sitemap)
    assert found == expected


def test_the_sitemap_splits_past_fifty_thousand_urls(
    monkeypatch: pytest.MonkeyPatch, catalog: Path, tmp_path: Path
) -> None:
    import rivals.extras

    monkeypatch.setattr(rivals.extras, "SITEMAP_LIMIT", 5)
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=REPO / "templates", out=out, search=False))
    index = (out / "sitemap.xml").read_text()
    assert "<sitemapindex" in index
    parts = re.findall(r"<loc>https://test.example.org/(sitemap-\d+\.xml)</loc>", index)
    assert len(parts) == 3  # 15 pages (home, methodology, search, 2 categories, 6 pairs, 4 models)
    assert sum((out / p).read_text().count("<url>") for p in parts) == 15


def test_the_sitemap_and_robots_txt_give_a_base_url_in_ascii(catalog: Path, tmp_path: Path) -> None:
    """A base URL with other letters is percent-encoded (the host in IDNA), and ' escaped."""
    out = tmp_path / "site"
    base = "https://exämple.org/dökü/it's/"
    build_site(BuildOptions(data=catalog, out=out, base_url=base, search=False))
    sitemap = (out / "sitemap.xml").read_text()
    ascii_base = "https://xn--exmple-cua.org/d%C3%B6k%C3%BC/it&apos;s/"
    assert f"<loc>{ascii_base}</loc>" in sitemap and sitemap.isascii()
    assert f"<loc>{ascii_base}compare/alpha-vision-vs-beta-paint/</loc>" in sitemap
    robots = (out / "robots.txt").read_text()
    assert "Sitemap: https://xn--exmple-cua.org/d%C3%B6k%C3%BC/it's/sitemap.xml" in robots
    home = (out / "index.html").read_text()
    written = base.replace("'", "&#39;")
    assert f'<link rel="canonical" href="{written}">' in home  # as written: browsers encode it


def test_methodology_shows_the_weights_in_force(default_site: Path) -> None:
    html = (default_site / "methodology/index.html").read_text()
    for label in ("Adoption", "Quality", "Ecosystem", "Match Graph"):
        assert f'<th scope="row">{label}</th>' in html
    assert "0.35" in html and "left out" in html  # no entry in the default catalog has stars


def test_model_page_explains_its_score_and_sources(default_site: Path) -> None:
    html = (default_site / "models/llava-1-6/index.html").read_text()
    assert "Score breakdown" in html and "Evidence used" in html
    assert "Closest alternatives" in html and "Comparisons" in html
    assert "Figures as of 2026-11-22" in html and "retrieved 2026-11-22" in html


def test_category_page_lists_its_leaderboard_and_pairs(default_site: Path) -> None:
    html = (default_site / "categories/speech/index.html").read_text()
    assert "Whisper" in html and "faster-whisper" in html
    assert "compare/faster-whisper-vs-whisper/" in html


def test_leaderboard_shows_pricing_as_pair_pages_do(default_site: Path) -> None:
    """A usage-based plan with a free tier reads "Usage-based (free tier)" on both."""
    board = (default_site / "index.html").read_text()
    rows = re.findall(
        r'<a href="models/([a-z0-9-]+)/">.*?<td>([^<]*)</td><td>[^<]*</td></tr>', board, re.S
    )
    shown = dict(rows)
    assert shown["imagen-3"] == "Usage-based (free tier)", shown["imagen-3"]
    for page in (default_site / "compare").glob("*/index.html"):
        a, _, b = page.parent.name.partition("-vs-")
        cells = re.search(
            r'<th scope="row">Pricing</th><td>([^<]*)</td><td>([^<]*)</td>', page.read_text()
        )
        assert cells and (cells[1], cells[2]) == (shown[a], shown[b]), page.parent.name


def test_json_twins_carry_the_page_numbers(default_site: Path) -> None:
    pair = json.loads((default_site / "api/compare/llava-vs-sdnext.json").read_text())
    html = (default_site / "compare/llava-vs-sdnext/index.html").read_text()
    assert f"{pair['a']['rank']}/100" in html and pair["verdict"][0] in html
    board = json.loads((default_site / "api/models.json").read_text())
    assert len(board["entries"]) == 52
    assert [e["position"] for e in board["entries"]] == sorted(
        e["position"] for e in board["entries"]
    )
    model = json.loads((default_site / "api/models/llava.json").read_text())
    assert model["sources"] and model["evidence"]["quality"]["inputs"]
    catalog = yaml.safe_load((REPO / "data/models/llava.yaml").read_text())
    assert model["links"] == catalog["links"]  # keyed as the catalog keys them


def test_no_external_requests(default_site: Path) -> None:
    for page in [*list(default_site.rglob("*.html"))[:300], default_site / "assets/style.css"]:
        text = page.read_text()
        assert not re.search(
            r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?:https?:)?//',
            text.replace('rel="canonical" href="https://', ""),
        ), page


def test_the_search_index_is_built(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=REPO / "templates", out=out, search=True))
    assert (out / "pagefind" / "pagefind-ui.js").is_file()
    assert any((out / "pagefind" / "fragment").iterdir())
    assert "pagefind/pagefind-ui.js" in (out / "index.html").read_text()
    stamp = (out / "pagefind" / "pagefind.js").stat().st_mtime_ns
    build_site(BuildOptions(data=catalog, templates=REPO / "templates", out=out, search=True))
    assert (
        out / "pagefind" / "pagefind.js"
    ).stat().st_mtime_ns == stamp  # nothing changed, no reindex


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("pairs: all", 6),
        ("pairs: same-category", 4),  # beta-paint shares a category with gamma-studio only
        ("pairs: matched", 3),  # two pairs matched, and one listed with a count of 0
        ("pairs: all\nmax_rivals: 1", 3),  # alpha-vision is everyone's closest entry
    ],
)
def test_pair_policies(setting: str, expected: int, catalog: Path, tmp_path: Path) -> None:
    site = catalog / "site.yaml"
    site.write_text(site.read_text().replace("pairs: all", setting))
    matches = catalog / "matches.yaml"
    matches.write_text(matches.read_text() + "- pair: [delta-api, beta-paint]\n  count: 0\n")
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=REPO / "templates", out=out, search=False))
    pairs = sorted(p.parent.name for p in (out / "compare").glob("*/index.html"))
    assert len(pairs) == expected, pairs
    if setting == "pairs: matched":
        assert pairs == [
            "alpha-vision-vs-beta-paint",
            "alpha-vision-vs-gamma-studio",
            "beta-paint-vs-delta-api",
        ]
    for pair in pairs:  # every pair linked from a page exists
        assert (out / "api" / "compare" / f"{pair}.json").is_file()
    # The home page's "Most compared" lists pairs matched at least once.
    home = (out / "index.html").read_text()
    assert ("compare/alpha-vision-vs-beta-paint/" in home) == (
        "alpha-vision-vs-beta-paint" in pairs
    )
    assert "compare/beta-paint-vs-delta-api/" not in home


def test_a_one_entry_catalog_is_counted_in_the_singular(
    catalog: Path, tmp_path: Path, runner: CliRunner
) -> None:
    for slug in ("beta-paint", "delta-api", "gamma-studio"):
        (catalog / "models" / f"{slug}.yaml").unlink()
    (catalog / "matches.yaml").unlink()
    out = tmp_path / "site"
    result = runner.invoke(cli, ["build", "--data", str(catalog), "--out", str(out), "--no-search"])
    assert result.exit_code == 0, result.output
    pages = "\n".join(p.read_text() for p in sorted(out.rglob("*.html")))
    assert not re.search(r"(?<![\d.,])1 (entries|categories|capabilities)\b", pages)
    assert "The one entry, unranked" in pages  # one entry has nothing to compare with
    assert "1 entry in Vision models" in pages
    assert "Search the 1 entry of" in pages
    check = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert ": 1 entry, " in check.stdout


def test_capabilities_shown_0_puts_them_all_behind_more(catalog: Path, tmp_path: Path) -> None:
    site = catalog / "site.yaml"
    site.write_text(site.read_text().replace("capabilities_shown: 2", "capabilities_shown: 0"))
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=REPO / "templates", out=out, search=False))
    page = (out / "compare" / "alpha-vision-vs-gamma-studio" / "index.html").read_text()
    assert "<summary>+4 more capabilities</summary>" in page
    assert not re.search(r"<ul class=\"caps\">\s*</ul>", page)  # no empty list before it


def test_a_sub_score_without_evidence_names_what_is_missing(catalog: Path, tmp_path: Path) -> None:
    """Gamma Studio reports no benchmark: its quality is counted at the median and widens its
    range, so its model page must not say that nothing is missing."""
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=REPO / "templates", out=out, search=False))
    page = (out / "models" / "gamma-studio" / "index.html").read_text()
    breakdown = page.split('class="breakdown"')[1]
    row = re.search(r'<th scope="row">Quality</th>.*?</tr>', breakdown, re.S)
    assert row and "any comparable figure" in row.group(0) and "nothing" not in row.group(0)
    assert "could be anywhere from" in page  # the range that missing quality opens
    full = (out / "models" / "alpha-vision" / "index.html").read_text()
    row = re.search(
        r'<th scope="row">Quality</th>.*?</tr>', full.split('class="breakdown"')[1], re.S
    )
    assert row and "any comparable figure" not in row.group(0)


def test_leaderboards_say_what_their_dashes_and_idle_columns_mean(
    catalog: Path, tmp_path: Path
) -> None:
    """As `rivals rank` does: a column of weight 0 is shown but not counted, and a "—" is
    counted at the catalog median (Gamma's rank of 50 came from it, unexplained)."""
    for path in (catalog / "models").iterdir():
        path.unlink()
    (catalog / "matches.yaml").unlink()
    site = catalog / "site.yaml"
    old = "{adoption: 0.35, quality: 0.35, ecosystem: 0.2, match_graph: 0.1}"
    site.write_text(site.read_text().replace(old, "{adoption: 1}"))
    for slug, signals in (
        ("alpha", "github_stars: 100, integrations: [x, y]"),
        ("beta", "github_stars: 10, integrations: []"),
        ("gamma", "monthly_downloads: 500"),
    ):
        (catalog / "models" / f"{slug}.yaml").write_text(
            f"name: {slug.title()}\nkind: model\nsummary: S.\ncategories: [vision]\n"
            f"pricing: {{plan: free}}\nsignals: {{{signals}}}\n"
            "capabilities: [{id: text-to-image, summary: X.}]\n"
        )
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, templates=REPO / "templates", out=out, search=False))
    for page in ("index.html", "categories/vision/index.html"):
        html = unescape((out / page).read_text())
        assert "Weight 0 in the site's settings, shown but not counted: Ecosystem." in html, page
        assert "— no comparable evidence: counted at the catalog median (Adoption 50)." in html
        assert 'title="no evidence"' not in html  # Gamma reports a figure, compared with none
