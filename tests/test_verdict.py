"""Every claim the lead and verdict make is visible in the numbers on the same page."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO
from rivals.build import BuildOptions, build_site
from rivals.cli import cli


class FeatureTable(HTMLParser):
    """Collects the feature table (row label -> cell texts), the lead and the verdict."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.cells: list[str] = []
        self.stack: list[str] = []
        self.in_features = False
        self.text = ""
        self.grab: str | None = None
        self.lead = ""
        self.verdict = ""
        self.heads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("class") == "features":
            self.in_features = True
        if tag in ("th", "td") and self.in_features:
            self.grab, self.text = tag, ""
        if tag == "p" and a.get("class") == "lead":
            self.grab, self.text = "lead", ""
        if tag == "h2" and a.get("id") == "verdict":
            self.grab = "await-verdict"
        elif tag == "p" and self.grab == "await-verdict":
            self.grab, self.text = "verdict", ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_features = False
        if tag in ("th", "td") and self.grab == tag:
            self.cells.append(" ".join(self.text.split()))
            self.grab = None
        if tag == "tr" and self.in_features and self.cells:
            if self.cells[0] == "Feature":
                self.heads = self.cells[1:]
            else:
                self.rows[self.cells[0]] = self.cells[1:]
            self.cells = []
        if tag == "p" and self.grab in ("lead", "verdict"):
            setattr(self, self.grab, " ".join(self.text.split()))
            self.grab = None

    def handle_data(self, data: str) -> None:
        if self.grab and self.grab != "await-verdict":
            self.text += data


def number(cell: str) -> int | None:
    found = re.match(r"(\d+)/100", cell)
    return int(found.group(1)) if found else None


LABELS = {
    "adoption": "Adoption",
    "quality": "Quality",
    "ecosystem": "Ecosystem",
    "match graph": "Match Graph",
}


def items(text: str, pattern: str) -> list[tuple[str, ...]]:
    """Split "a (1 vs 2), b (3 vs 4) and c (5 vs 6)" into its parts."""
    return [tuple(m) for m in re.findall(r"(?:^|, | and )([a-z ]+?) " + pattern, text)]


# The figures of each sub-score but quality (whose cells name the benchmarks they count).
FIGURES = {
    "adoption": {"GitHub stars", "Monthly downloads"},
    "ecosystem": {"Integrations", "Platforms"},
    "match graph": {"Times matched"},
}


def figures(label: str, cell: str) -> set[str]:
    """Return the figures a sub-score cell says it counts: quality's "from A, B", else all
    of the sub-score's figures but those "missing: A, B" (every one is reported by some
    entry of the catalogs these tests check)."""
    notes = dict(n.split(": ", 1) if ": " in n else ("", n) for n in _notes(cell))
    if label == "quality":
        counted = next((n[5:] for n in _notes(cell) if n.startswith("from ")), "")
        return set(counted.split(", ")) if counted else set()
    return FIGURES[label] - set(notes.get("missing", "").split(", "))


def _notes(cell: str) -> list[str]:
    """Return the notes of a cell such as "55/100 higher from MMLU, GSM8K; missing: X"."""
    text = re.sub(r"^\d+/100( higher)?\s*", "", cell)
    return [part.strip() for part in text.split(";") if part.strip()]


def check_page(html: str) -> None:
    page = FeatureTable()
    page.feed(html)
    a, b = page.heads
    side = {a: 0, b: 1}
    name = "(" + "|".join(re.escape(n) for n in sorted((a, b), key=len, reverse=True)) + ")"
    rank = [number(c) for c in page.rows["Rank"]]
    assert None not in rank
    text = f"{page.lead} {page.verdict}"

    # "X ranks/scores higher at 58/100 vs Y at 24/100" matches the Rank row.
    for hi, hv, lo, lv in re.findall(
        name + r" (?:ranks|scores) higher at (\d+)/100 vs " + name + r" at (\d+)/100", text
    ):
        assert int(hv) > int(lv)
        assert (rank[side[hi]], rank[side[lo]]) == (int(hv), int(lv))
    if " is level with " in text:
        assert rank[0] == rank[1]
    # "in the match graph the two were matched 3 times" / "the two were never matched together"
    # / "no two entries of the catalog were ever matched" (then every Times Matched is 0)
    together = page.rows["Matched together"][0]
    said = re.search(r"the two were matched ([\d,]+) times?", page.lead)
    if said:
        assert together.startswith(f"{said.group(1)} time")
    elif "no two entries of the catalog were ever matched" in page.lead:
        assert together.startswith("0 times") and together.endswith("were ever matched")
        assert page.rows["Times Matched"] == ["0", "0"]
    else:
        assert "the two were never matched together" in page.lead and together.startswith("0 times")
    gap = re.search(r"(\d+) points? ahead", page.lead)
    if gap:
        assert abs(rank[0] - rank[1]) == int(gap.group(1))

    # "On quality the two share no figure, so ..." / "On quality and ecosystem the two share
    # some figures but not all, so ...": what each side's cells say it counts.
    apart = set()
    for labels in re.findall(r"On ([a-z ,]+?) the two share no figure, so", page.verdict):
        apart.update(re.split(r", | and ", labels))
    partly = set()
    for labels in re.findall(
        r"On ([a-z ,]+?) the two share some figures but not all", page.verdict
    ):
        partly.update(re.split(r", | and ", labels))
    for label in apart | partly:
        sets = [figures(label, cell) for cell in page.rows[LABELS[label]]]
        assert bool(sets[0] & sets[1]) == (label in partly) and sets[0] != sets[1], label

    # "X leads on adoption (80 vs 20), while Y is stronger on quality (90 vs 50)."
    led: dict[str, set[str]] = {a: set(), b: set()}
    for who, claims in re.findall(
        name + r" (?:leads|is stronger) on (.+?)(?:, while |\.)", page.verdict
    ):
        found = items(claims, r"\((\d+) vs (\d+)\)")
        assert found, claims
        for label, hi, lo in found:
            row = [number(c) for c in page.rows[LABELS[label]]]
            assert (row[side[who]], row[1 - side[who]]) == (int(hi), int(lo)), (who, label)
            assert int(hi) > int(lo)
            if "which has weight 0" not in claims:
                led[who].add(label)
            sets = [figures(label, cell) for cell in page.rows[LABELS[label]]]
            if sets[0] != sets[1]:  # a lead on figures the two do not all share says so
                assert label in apart | partly, (who, label)
    for claims in re.findall(r"They are level on (.+?)\.", page.verdict):
        for label, value in items(claims, r"\((\d+) each\)"):
            assert [number(c) for c in page.rows[LABELS[label]]] == [int(value)] * 2
    # "X has no comparable evidence for adoption or quality, so they are not compared; its
    # rank counts the catalog median (adoption at 50 and quality at 61)."
    for who, labels, counted in re.findall(
        name + r" has no comparable evidence for (.+?), so .+?; its rank counts the catalog"
        r" median \((.+?)\)\.",
        page.verdict,
    ):
        found = items(counted, r"at (\d+)")
        assert [label for label, _ in found] == re.split(r", | or ", labels)
        for label, median in found:
            cells = page.rows[LABELS[label]]
            assert cells[side[who]].startswith("—")
            assert f"counted at the catalog median, {median}" in cells[side[who]]
    for labels, counted in re.findall(
        r"Neither side has comparable evidence for (.+?), so .+?; both ranks count the catalog"
        r" median \((.+?)\)",
        page.verdict,
    ):
        found = items(counted, r"at (\d+)")
        assert [label for label, _ in found] == re.split(r", | or ", labels)
        for label, median in found:
            for cell in page.rows[LABELS[label]]:
                assert cell.startswith("—") and f"catalog median, {median}" in cell
    for hi in re.findall(name + r" ranks higher only through the sub-scores that are", text):
        assert rank[side[hi]] > rank[1 - side[hi]]
        # what it leads on (weight-0 leads aside, which this sentence does not count) shares
        # no figure with the other side; and something is not compared head to head
        assert led[hi] <= apart, (hi, led[hi], apart)
        cells = [c for n in LABELS.values() for c in page.rows[n]]
        assert apart or any(c.startswith("—") for c in cells)
    if "can be ranked: no entry of the catalog has comparable evidence" in page.lead:
        assert all(c.startswith("—") for n in LABELS.values() for c in page.rows[n])

    def free(i: int) -> bool:
        cell = page.rows["Pricing"][i]
        return cell in ("Free", "Freemium") or "(free tier)" in cell

    for who in re.findall(name + r" (?:also )?offers a free tier", page.verdict):
        assert free(side[who]) and not free(1 - side[who])
    low, high = {}, {}
    for who, lo, hi in re.findall(name + r" could be anywhere from (\d+) to (\d+)", page.verdict):
        assert f"could be {lo}–{hi}" in page.rows["Rank"][side[who]]
        low[who], high[who] = int(lo), int(hi)
    for who, value, how in re.findall(
        name + r" stays at (\d+) (with complete evidence|whatever its missing evidence shows)",
        text,
    ):
        assert rank[side[who]] == int(value) and "could be" not in page.rows["Rank"][side[who]]
        low[who] = high[who] = int(value)
        own = [page.rows[n][side[who]] for n in LABELS.values()]
        gaps = [c for c in own if "missing:" in c or "catalog median" in c or "weight is 0" in c]
        assert bool(gaps) == (how != "with complete evidence"), (who, own)
    if "ranges overlap" in page.verdict or "ranges meet" in page.verdict:
        hi, lo = (a, b) if rank[side[a]] > rank[side[b]] else (b, a)
        if "ranges overlap" in page.verdict:  # the lower-ranked side could come out ahead
            assert high[lo] > low[hi]
        else:  # or level, and no more
            assert high[lo] == low[hi]
    if "does a different job from" in page.verdict:
        cats = [set(page.rows["Categories"][i].split(", ")) for i in (0, 1)]
        assert not cats[0] & cats[1]
        assert re.search(r"<caption>0 shared,", html)


@pytest.fixture(scope="module")
def default_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("default") / "site"
    build_site(
        BuildOptions(
            data=REPO / "data", templates=REPO / "templates", out=out, jobs=1, search=False
        )
    )
    return out


def test_every_pair_of_the_default_catalog_says_only_what_its_numbers_show(
    default_site: Path,
) -> None:
    pages = sorted((default_site / "compare").glob("*/index.html"))
    assert len(pages) >= 28
    for page in pages:
        check_page(page.read_text())


def test_the_five_studied_pairs_are_built(default_site: Path) -> None:
    for pair in (
        "llava-vs-stable-diffusion-3-5-large",
        "llava-llama-3-vs-stable-diffusion",
        "bakllava-vs-stable-diffusion-3-5-large",
        "llava-vs-sdnext",
        "furkangozukara-stable-diffusion-vs-llava-1-6",
    ):
        assert (default_site / "compare" / pair / "index.html").is_file(), pair


def test_the_checker_catches_a_false_claim(default_site: Path) -> None:
    page = (default_site / "compare" / "llava-vs-sdnext" / "index.html").read_text()
    table = FeatureTable()
    table.feed(page)
    a, b = table.heads
    ranks = [number(c) for c in table.rows["Rank"]]
    lie = page.replace(
        table.verdict.split(". ")[0],
        f"{a} scores higher at {ranks[0] + 1}/100 vs {b} at {ranks[1]}/100",
        1,
    )
    with pytest.raises(AssertionError):
        check_page(lie)


@pytest.mark.parametrize(
    ("alpha", "gamma"),
    [  # alpha-vision's and gamma-studio's pricing: a plan and a free tier that disagree
        ("free\n  free_tier: false", "freemium"),
        ("free", "freemium\n  free_tier: false"),
        ("freemium\n  free_tier: false", "free"),
        ("paid\n  free_tier: true", "free\n  free_tier: false"),
    ],
)
def test_free_tier_claims_match_the_pricing_row(
    alpha: str, gamma: str, catalog: Path, tmp_path: Path
) -> None:
    for slug, old, new in (("alpha-vision", "free", alpha), ("gamma-studio", "freemium", gamma)):
        path = catalog / "models" / f"{slug}.yaml"
        path.write_text(path.read_text().replace(f"plan: {old}", f"plan: {new}", 1))
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, out=out, jobs=1, search=False))
    page = (out / "compare" / "alpha-vision-vs-gamma-studio" / "index.html").read_text()
    assert "offers a free tier" in page
    check_page(page)


def test_two_entries_of_one_name_are_told_apart_by_slug(catalog: Path, tmp_path: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    name = re.search(r"^name: (.*)$", (catalog / "models" / "alpha-vision.yaml").read_text(), re.M)
    assert name is not None
    path.write_text(
        re.sub(r"^name: .*$", f"name: {name[1].upper()}", path.read_text(), count=1, flags=re.M)
    )
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, out=out, jobs=1, search=False))
    page = (out / "compare" / "alpha-vision-vs-gamma-studio" / "index.html").read_text()
    parsed = FeatureTable()
    parsed.feed(page)
    said = parsed.lead + " " + parsed.verdict
    assert "(alpha-vision)" in said and "(gamma-studio)" in said, said
    # and so do the heading, the title and the columns of both tables
    assert len(parsed.heads) == 2
    assert all(h.endswith(("(alpha-vision)", "(gamma-studio)")) for h in parsed.heads)
    assert re.search(r"<h1><bdi>[^<]*\(alpha-vision\)</bdi>", page)
    assert re.search(r"<title>[^<]*\(alpha-vision\) vs [^<]*\(gamma-studio\)", page)
    assert "only in " + parsed.heads[0] in page.replace("&#39;", "'")
    check_page(page)
    # Links to the pair elsewhere (model pages, the home page's most matched pairs, related
    # comparisons on other pair pages) name it the same way.
    for other in (out / "models" / "alpha-vision" / "index.html", out / "index.html"):
        assert re.search(r"\(alpha-vision\)</bdi> vs <bdi>[^<]*\(gamma-studio\)", other.read_text())
    assert "1 on the ALPHA VISION (gamma-studio) page</a>" in page  # its Sources cell
    # So do the lists of entries: the leaderboard and the A-Z list.
    assert "(gamma-studio)</a></th>" in (out / "index.html").read_text()
    assert "(alpha-vision)</a> <span" in (out / "search" / "index.html").read_text()
    # And so do the pages of a third entry with each of them: "Beta vs Alpha Vision" twice
    # would be two pages of one title, one name with two ranks.
    for twin in ("alpha-vision", "gamma-studio"):
        third = out / "compare" / f"{min(twin, 'beta-paint')}-vs-{max(twin, 'beta-paint')}"
        html = (third / "index.html").read_text()
        assert re.search(rf"<title>[^<]*\({twin}\)", html)
        assert re.search(rf"<h1>.*\({twin}\)</bdi>.*</h1>", html)
        parsed = FeatureTable()
        parsed.feed(html)
        assert f"({twin})" in parsed.lead and f"({twin})" in parsed.verdict
        check_page(html)
    beta = (out / "models" / "beta-paint" / "index.html").read_text()
    for twin in ("alpha-vision", "gamma-studio"):  # its Comparisons, each rank with its slug
        assert re.search(rf"\({twin}\)</bdi>: \d+/100", beta)
        # and each twin's own page: two tabs or search results of one title were two pages
        own = (out / "models" / twin / "index.html").read_text()
        assert re.search(rf"<title>[^<]*\({twin}\) &middot;", own)
        assert re.search(rf"<h1>[^<]*\({twin}\)</h1>", own)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Llama  3", "Llama 3"),
        ("Llama\u200b 3", "llama 3"),
        ("Ｌｌａｍａ 3", "Llama 3 "),
        ("Llama\u034f 3", "Llama 3"),  # a combining grapheme joiner
        ("Llama\u3164 3", "Llama 3"),  # a Hangul filler where a space seems to be
        ("GPT\u22124", "GPT-4"),  # a minus sign for the hyphen
        ("\u0410lpha", "ALPHA"),  # a Cyrillic capital A, in another case too
        ("G\u0420T-4\u03bf", "GPT-4o"),  # a Cyrillic P, a Greek small omicron
        ("Ilama 3", "llama 3"),  # a capital I for a small L: alike in most sans-serif fonts
        ("DALL\u2027E 3", "DALL·E 3"),  # a hyphenation point for the middle dot
        ("A\u2215B", "A/B"),  # a division slash
    ],
)
def test_names_a_reader_cannot_tell_apart_are_told_apart_by_slug(
    first: str, second: str, catalog: Path
) -> None:
    out = entries_only(
        catalog,
        "{adoption: 0.35, quality: 0.35, ecosystem: 0.2, match_graph: 0.1}",
        {"one": {"github_stars": 200}, "two": {"github_stars": 50}},
        names={"one": first, "two": second},
    )
    said = verdict_of(out, "one-vs-two")
    assert "(one) ranks higher" in said and "(two) at" in said, said


def test_a_figure_that_every_reporter_gives_as_0_cannot_put_an_entry_below_the_tie(
    catalog: Path,
) -> None:
    """Aa alone reports stars, 0: Bb, reporting stars, ties at 50 at least (no figure is less
    than 0) or leads at 100, so with adoption weighted 0.5 Bb could be 75 to 100, not 50."""
    out = entries_only(
        catalog,
        "{adoption: 0.5, quality: 0, ecosystem: 0.5, match_graph: 0}",
        {"aa": {"github_stars": 0, "integrations": ["x"]}, "bb": {"integrations": ["x", "y"]}},
    )
    page = (out / "models" / "bb" / "index.html").read_text()
    assert "could be 75–100" in page, page
    listed = json.loads((out / "api" / "models.json").read_text())["entries"]
    records = {r["slug"]: r for r in listed}
    assert records["bb"]["interval"] == [75, 100] and records["aa"]["interval"] == [0, 0]


def entries_only(
    catalog: Path,
    weights: str,
    signals: dict[str, dict | None],
    names: dict[str, str] | None = None,
) -> Path:
    """Replace the catalog's entries with one per item of `signals` (no matches), set the
    weights, build, and return the output folder."""
    for path in (catalog / "models").iterdir():
        path.unlink()
    (catalog / "matches.yaml").unlink(missing_ok=True)
    site = catalog / "site.yaml"
    old = "{adoption: 0.35, quality: 0.35, ecosystem: 0.2, match_graph: 0.1}"
    site.write_text(site.read_text().replace(old, weights))
    for slug, found in signals.items():
        entry: dict = {
            "name": (names or {}).get(slug, slug.title()),
            "kind": "model",
            "summary": "An entry.",
            "categories": ["painting"],
            "pricing": {"plan": "free"},
            "capabilities": [{"id": "text-to-image", "summary": "Draws."}],
        }
        if found is not None:
            entry["signals"] = {"as_of": "2026-10-01", **found}
        (catalog / "models" / f"{slug}.yaml").write_text(yaml.safe_dump(entry))
    out = catalog.parent / "site"
    build_site(BuildOptions(data=catalog, out=out, jobs=1, search=False))
    return out


def verdict_of(out: Path, pair: str) -> str:
    page = (out / "compare" / pair / "index.html").read_text()
    check_page(page)
    parsed = FeatureTable()
    parsed.feed(page)
    return f"{parsed.lead} {parsed.verdict}"


def test_a_rank_that_rests_on_a_median_says_so(catalog: Path) -> None:
    # Blank reports no stars: its adoption is counted at the median (50), which beats the 0
    # that Known's 10 stars get, and makes Blank rank higher with no lead of its own.
    out = entries_only(
        catalog,
        "{adoption: 0.5, quality: 0.5, ecosystem: 0, match_graph: 0}",
        {
            "known": {"github_stars": 10, "benchmarks": {"scienceqa": 60}},
            "blank": {"benchmarks": {"scienceqa": 50}},
            "big": {"github_stars": 100000, "benchmarks": {"scienceqa": 0}},
        },
    )
    said = verdict_of(out, "blank-vs-known")
    assert "Blank ranks higher" in said and "Known leads on quality" in said
    assert "its rank counts the catalog median (adoption at 50)" in said
    assert "Blank ranks higher only through the sub-scores that are not compared" in said


def test_a_rank_that_rests_on_a_median_despite_a_lead_says_so(catalog: Path) -> None:
    """High leads on ecosystem head to head, but Low's lead on adoption weighs more: High ranks
    higher only through its quality, counted at the median of the others' (89)."""
    out = entries_only(
        catalog,
        "{adoption: 0.4, quality: 0.4, ecosystem: 0.2, match_graph: 0}",
        {
            "high": {"github_stars": 100, "integrations": ["a", "b", "c"]},
            "low": {"github_stars": 10000, "integrations": ["a"], "benchmarks": {"scienceqa": 10}},
            "q1": {"github_stars": 1, "integrations": ["a"], "benchmarks": {"scienceqa": 90}},
            "q2": {"github_stars": 1, "integrations": ["a"], "benchmarks": {"scienceqa": 100}},
        },
    )
    said = verdict_of(out, "high-vs-low")
    assert "High scores higher at 74/100 vs Low at 40/100." in said
    assert (
        "High leads on ecosystem (100 vs 0), while Low is stronger on adoption (100 vs 46)" in said
    )
    assert (
        "High ranks higher through the sub-scores that are not compared head to head (a side"
        " without evidence is counted at the catalog median; a figure only one side reports is"
        " placed against the rest of the catalog): on those that are, weighted as the rank"
        " weighs them, Low comes out ahead." in said
    )
    # 0.4 x (46 - 100) + 0.2 x (100 - 0) = -1.6: Low ahead on what the two are compared on.
    assert "only through" not in said


def test_a_head_to_head_margin_of_0_on_paper_is_even(catalog: Path) -> None:
    """0.1 x (50 - 53) + 0.3 x (41 - 40) is 0 on paper and -5.6e-17 in floats: the sentence
    said Low came out ahead."""
    out = entries_only(
        catalog,
        "{adoption: 0.1, quality: 0.6, ecosystem: 0.3, match_graph: 0}",
        {
            "high": {"github_stars": 1000, "integrations": [f"i{k}" for k in range(41)]},
            "low": {
                "github_stars": 1500,
                "integrations": [f"i{k}" for k in range(40)],
                "benchmarks": {"scienceqa": 0},
            },
            "qa": {"github_stars": 0, "integrations": [], "benchmarks": {"scienceqa": 100}},
            "qb": {
                "github_stars": 999999,
                "integrations": [f"i{k}" for k in range(100)],
                "benchmarks": {"scienceqa": 90},
            },
        },
    )
    said = verdict_of(out, "high-vs-low")
    assert (
        "High leads on ecosystem (41 vs 40), while Low is stronger on adoption (53 vs 50)" in said
    )
    assert "weighted as the rank weighs them, the two come out even." in said


def test_a_sub_score_partly_from_one_sides_figures_is_not_head_to_head(catalog: Path) -> None:
    """Low's ecosystem lead comes from Platforms, which High does not report: the verdict said
    so, then counted that lead as head to head ("Low comes out ahead")."""

    def many(n: int) -> list[str]:
        return [f"i{k}" for k in range(n)]

    out = entries_only(
        catalog,
        "{adoption: 0.5, quality: 0.1, ecosystem: 0.4, match_graph: 0}",
        {
            "high": {"integrations": many(6), "benchmarks": {"scienceqa": 51}},
            "low": {
                "github_stars": 10,
                "integrations": many(5),
                "platforms": many(10),
                "benchmarks": {"scienceqa": 50},
            },
            "qa": {
                "github_stars": 1000,
                "integrations": [],
                "platforms": [],
                "benchmarks": {"scienceqa": 0},
            },
            "qb": {
                "github_stars": 100000,
                "integrations": many(10),
                "platforms": many(10),
                "benchmarks": {"scienceqa": 100},
            },
        },
    )
    said = verdict_of(out, "high-vs-low")
    assert "High leads on quality (51 vs 50), while Low is stronger on ecosystem (75 vs 60)" in said
    assert "On ecosystem the two share some figures but not all" in said
    assert "comes out ahead" not in said


@pytest.mark.parametrize(
    ("signals", "pair", "said_too"),
    [
        (  # 5 stars against a billion downloads: each is the top of its own figure
            {
                "tiny": {"github_stars": 5},
                "huge": {"monthly_downloads": 1000000000},
                "ref": {"github_stars": 1, "monthly_downloads": 10000000000},
            },
            "huge-vs-tiny",
            "Tiny leads on adoption (100 vs 0).",
        ),
        (  # a tie on two different figures
            {
                "zeus": {"github_stars": 1000},
                "hera": {"monthly_downloads": 5000},
                "iris": {"github_stars": 10, "monthly_downloads": 10},
            },
            "hera-vs-zeus",
            "They are level on adoption (100 each).",
        ),
    ],
)
def test_a_comparison_on_different_figures_says_the_two_share_none(
    signals: dict[str, dict], pair: str, said_too: str, catalog: Path
) -> None:
    out = entries_only(catalog, "{adoption: 1, quality: 0, ecosystem: 0, match_graph: 0}", signals)
    said = verdict_of(out, pair)
    assert said_too in said
    assert "On adoption the two share no figure, so that comparison places each against" in said
    ref = sorted(slug for slug in signals if slug not in pair.split("-vs-"))[0]
    both = "-vs-".join(sorted((ref, pair.split("-vs-")[1])))
    assert "share no figure" not in verdict_of(out, both)  # the reference reports both


def test_a_sub_score_of_weight_0_is_said_not_to_count(catalog: Path) -> None:
    out = entries_only(
        catalog,
        "{adoption: 0, quality: 1, ecosystem: 0, match_graph: 0}",
        {
            "gpt": {"github_stars": 500, "benchmarks": {"scienceqa": 50}},
            "other": {"github_stars": 5, "benchmarks": {"scienceqa": 50}},
        },
    )
    said = verdict_of(out, "gpt-vs-other")
    assert "Gpt is level with Other at" in said
    assert "Gpt leads on adoption (100 vs 0), which has weight 0 in this site's rank." in said
    assert "However" not in said


@pytest.mark.parametrize(
    "second",
    [None, {"benchmarks": {"scienceqa": 3}}, {"github_stars": 5}],
    ids=["nothing", "a benchmark nobody else has", "stars nobody else has"],
)
def test_a_catalog_without_comparable_evidence_ranks_nobody(
    second: dict | None, catalog: Path
) -> None:
    out = entries_only(
        catalog,
        "{adoption: 0.35, quality: 0.35, ecosystem: 0.2, match_graph: 0.1}",
        {"first": None, "second": second},
    )
    said = verdict_of(out, "first-vs-second")
    assert said.startswith("Neither First nor Second can be ranked: no entry of the catalog")
    assert "level" not in said
    assert "missing" not in said  # left out for every entry: nothing is missing for one
    page = (out / "models/first/index.html").read_text()
    assert "Rank 50/100, the midpoint: no entry of the catalog has comparable evidence" in page
    assert "with complete evidence" not in page and ">nothing<" not in page
    # Each Missing cell says so (beside what the entry lacks, where another entry reports it).
    left_out = ("n/a: left out of the rank", "(the sub-score is left out of the rank;")
    assert sum(page.count(said) for said in left_out) == 4
    # No range and no order anywhere: the tables, the leaderboard and `rivals rank` say so.
    assert "could be" not in page and "position 1 on the leaderboard" not in page
    assert "rank 50/100, the midpoint: no entry can be ranked</caption>" in page
    pair = (out / "compare/first-vs-second/index.html").read_text()
    assert "could be" not in pair and pair.count("the midpoint: no entry can be ranked") == 2
    home = (out / "index.html").read_text()
    assert home.count('<span class="note">unranked</span>') == 2 and "0–100</span>" not in home
    assert "entries, unranked: no entry has comparable evidence for any sub-score" in home
    table = CliRunner().invoke(cli, ["rank", "--data", str(catalog)], env={"COLUMNS": "100"})
    assert table.stdout.count("unranked") == 2 and "0–100" not in table.stdout
    rows = json.loads(CliRunner().invoke(cli, ["rank", "--json", "--data", str(catalog)]).stdout)
    assert [row["ranked"] for row in rows] == [False, False]


def test_a_rank_unmoved_by_missing_evidence_is_not_called_complete(catalog: Path) -> None:
    (catalog / "benchmarks.yaml").write_text("q1: {name: QA1, higher_is_better: true}\n")
    out = entries_only(
        catalog,
        "{adoption: 0.004, quality: 0.996, ecosystem: 0, match_graph: 0}",
        {
            "p": {"github_stars": 100, "benchmarks": {"q1": 50}},
            "q": {"benchmarks": {"q1": 80}},
            "r": {"github_stars": 10},
        },
    )
    said = verdict_of(out, "q-vs-r")
    assert "Q has no comparable evidence for adoption" in said
    assert "Q stays at 100 whatever its missing evidence shows" in said
    assert "complete evidence" not in said


def test_a_higher_rank_without_a_head_to_head_lead_says_so(catalog: Path) -> None:
    (catalog / "benchmarks.yaml").write_text("q1: {name: QA1, higher_is_better: true}\n")
    weights = "{adoption: 0.5, quality: 0.5, ecosystem: 0, match_graph: 0}"
    out = entries_only(
        catalog,
        weights,
        {
            "h": {"github_stars": 500, "integrations": ["a", "b", "c"]},
            "l": {"github_stars": 1000, "benchmarks": {"q1": 10}, "integrations": ["a"]},
            "m": {"github_stars": 10, "benchmarks": {"q1": 90}},
        },
    )
    said = verdict_of(out, "h-vs-l")  # H leads only on ecosystem, of weight 0
    assert "it leads on no sub-score that counts." in said
    assert "H leads on ecosystem (100 vs 0), which has weight 0" in said
    # A lead on figures the other side does not report (stars against downloads) is no
    # head-to-head lead either.
    shutil.rmtree(out)
    out = entries_only(
        catalog,
        weights,
        {
            "h": {"github_stars": 1000},
            "l": {"monthly_downloads": 10, "benchmarks": {"q1": 20}},
            "m": {"github_stars": 10, "monthly_downloads": 1000, "benchmarks": {"q1": 90}},
            "n": {"benchmarks": {"q1": 60}},
        },
    )
    said = verdict_of(out, "h-vs-l")
    assert "On adoption the two share no figure" in said
    assert "H ranks higher only through the sub-scores that are not compared head to head" in said
    assert "it leads only where the two share no figure." in said


def test_a_name_that_reads_as_another_entrys_label_gets_its_slug_too(catalog: Path) -> None:
    out = entries_only(
        catalog,
        "{adoption: 1, quality: 0, ecosystem: 0, match_graph: 0}",
        {"llava": {"github_stars": 100}, "llava-2": {"github_stars": 10}, "other": None},
        {"llava": "LLaVA", "llava-2": "LLaVA", "other": "LLaVA (llava)"},
    )
    said = verdict_of(out, "llava-2-vs-other")
    assert "LLaVA (llava) (other)" in said and "LLaVA (llava-2)" in said


def test_categories_and_benchmarks_of_one_name_are_told_apart(catalog: Path) -> None:
    # A third name that reads as one of the other two with its id is told apart too.
    (catalog / "categories.yaml").write_text(
        "painting: {name: Vision}\nvision: {name: Vision}\nv3: {name: Vision (vision)}\n"
    )
    (catalog / "benchmarks.yaml").write_text(
        "b1: {name: MMLU, higher_is_better: true}\nb2: {name: MMLU, higher_is_better: true}\n"
        "b3: {name: MMLU (b2), higher_is_better: true}\n"
    )
    out = entries_only(
        catalog,
        "{adoption: 0, quality: 1, ecosystem: 0, match_graph: 0}",
        {
            "aa": {"benchmarks": {"b2": 80}},
            "bb": {"benchmarks": {"b3": 40}},
            "cc": {"benchmarks": {"b1": 60, "b2": 70, "b3": 50}},
        },
    )
    home = (out / "index.html").read_text()
    for label in ("Vision (painting)", "Vision (vision)", "Vision (vision) (v3)"):
        assert f">{label}<" in home
    said = verdict_of(out, "aa-vs-bb")
    assert "On quality the two share no figure" in said
    page = (out / "compare" / "aa-vs-bb" / "index.html").read_text()
    assert "from MMLU (b2)<" in page and "from MMLU (b2) (b3)<" in page


def test_the_json_twin_carries_the_notes_of_the_sub_score_cells(default_site: Path) -> None:
    import json

    for page in sorted((default_site / "compare").iterdir())[::40]:
        parsed = FeatureTable()
        parsed.feed((page / "index.html").read_text())
        twin = json.loads((default_site / "api" / "compare" / f"{page.name}.json").read_text())
        for i, side in enumerate(("a", "b")):
            notes = twin[side]["sub_score_notes"]
            for name, label in (("adoption", "Adoption"), ("quality", "Quality")):
                cell = parsed.rows[label][i]
                if notes[name] is None:
                    assert re.fullmatch(r"\d+/100( higher)?", cell), cell
                else:
                    assert cell.endswith(notes[name]), (cell, notes[name])


def test_no_sub_score_compared_head_to_head_is_not_called_even(catalog: Path) -> None:
    """Aa has no benchmark (quality at the median) and leads on ecosystem from a figure Bb does
    not report (platforms): nothing is compared head to head, and the verdict had said the two
    "come out even" on it."""
    out = entries_only(
        catalog,
        "{adoption: 0, quality: 0.5, ecosystem: 0.5, match_graph: 0}",
        {
            "aa": {"integrations": ["p", "q", "r", "s"], "platforms": ["linux", "mac"]},
            "bb": {"integrations": ["p"], "benchmarks": {"scienceqa": 10}},
            "cc": {
                "integrations": ["p", "q"],
                "platforms": ["linux"],
                "benchmarks": {"scienceqa": 90},
            },
        },
    )
    said = verdict_of(out, "aa-vs-bb")
    assert "Aa ranks higher" in said, said
    assert "come out even" not in said and "comes out ahead" not in said
    assert "no sub-score that counts is compared head to head here." in said


def test_a_catalog_without_a_match_graph_is_not_said_to_have_one(catalog: Path) -> None:
    """Without a pair matched (no matches.yaml, or counts of 0 only), "the two were never
    matched together" spoke of counts nobody recorded."""
    out = catalog.parent / "site"
    build_site(BuildOptions(data=catalog, out=out, jobs=1, search=False))
    said = verdict_of(out, "beta-paint-vs-delta-api")
    assert "in the match graph the two were never matched together." in said
    (catalog / "matches.yaml").write_text("- pair: [alpha-vision, beta-paint]\n  count: 0\n")
    build_site(BuildOptions(data=catalog, out=out, jobs=1, search=False))
    for pair in ("beta-paint-vs-delta-api", "alpha-vision-vs-beta-paint"):
        said = verdict_of(out, pair)
        assert (
            "; in the match graph, no two entries of the catalog were ever matched." in said
            and "never" not in said
        )
    assert "no two entries of the catalog were ever matched" in CliRunner().invoke(
        cli, ["compare", "alpha-vision", "beta-paint", "--data", str(catalog)]
    ).stdout.replace("\n", " ")


def test_a_name_made_like_another_entrys_label_does_not_pass_for_it(catalog: Path) -> None:
    """ "LLaVA (llava)", an entry other than llava, beside llava's "LLaVA": its pages read as if
    llava had its rank."""
    out = entries_only(
        catalog,
        "{adoption: 1, quality: 0, ecosystem: 0, match_graph: 0}",
        {"llava": {"github_stars": 10}, "impostor": {"github_stars": 100}},
        {"llava": "LLaVA", "impostor": "LLaVA (llava)"},
    )
    said = verdict_of(out, "impostor-vs-llava")
    assert said.startswith("LLaVA (llava) (impostor) ranks higher at 100/100 vs LLaVA (llava) at")
    home = (out / "index.html").read_text()
    assert ">LLaVA (llava) (impostor)</a>" in home and ">LLaVA (llava)</a>" in home


@pytest.mark.parametrize(
    ("weights", "span"),
    [
        # adoption would come in at 0 to 100, weighted 0.5 of 1: Bb could be 50 to 100, not
        # "stays at 100" (with 5 stars beside Aa's 10 it would rank 50)
        (
            "{adoption: 0.5, quality: 0, ecosystem: 0.5, match_graph: 0}",
            "could be anywhere from 50 to 100",
        ),
        # of weight 0, it would come in and not count: Bb stays at 100, but not "complete"
        (
            "{adoption: 0, quality: 0, ecosystem: 1, match_graph: 0}",
            "stays at 100 whatever its missing evidence shows",
        ),
    ],
)
def test_a_figure_missing_from_a_sub_score_left_out_widens_the_range(
    weights: str, span: str, catalog: Path
) -> None:
    """Only Aa reports stars, so adoption is left out of the rank; Bb lacks them, and with them
    adoption would come in."""
    signals = {
        "aa": {"github_stars": 10, "integrations": ["x"]},
        "bb": {"integrations": ["x", "y"]},
    }
    out = entries_only(catalog, weights, {**signals, "cc": None})
    said = verdict_of(out, "bb-vs-cc")
    assert f"Bb {span}" in said, said
    assert "with complete evidence" not in said
    page = (out / "models" / "bb" / "index.html").read_text()
    assert ("could be 50–100" in page) == ("50 to 100" in span), page
