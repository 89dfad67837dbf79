"""Every claim the lead and verdict make is visible in the numbers on the same page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO
from rivals.build import BuildOptions, build_site


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
    if "are level at" in text:
        assert rank[0] == rank[1]
    gap = re.search(r"(\d+) points? ahead", page.lead)
    if gap:
        assert abs(rank[0] - rank[1]) == int(gap.group(1))

    # "X leads on adoption (80 vs 20), while Y is stronger on quality (90 vs 50)."
    for who, claims in re.findall(
        name + r" (?:leads|is stronger) on (.+?)(?:, while |\.)", page.verdict
    ):
        found = items(claims, r"\((\d+) vs (\d+)\)")
        assert found, claims
        for label, hi, lo in found:
            row = [number(c) for c in page.rows[LABELS[label]]]
            assert (row[side[who]], row[1 - side[who]]) == (int(hi), int(lo)), (who, label)
            assert int(hi) > int(lo)
    for claims in re.findall(r"They are level on (.+?)\.", page.verdict):
        for label, value in items(claims, r"\((\d+) each\)"):
            assert [number(c) for c in page.rows[LABELS[label]]] == [int(value)] * 2
    for who, labels in re.findall(
        name + r" has no comparable evidence for (.+?), so", page.verdict
    ):
        for label in re.split(r", | or ", labels):
            assert page.rows[LABELS[label]][side[who]].startswith("—")
    for labels in re.findall(r"Neither side has comparable evidence for (.+?), so", page.verdict):
        for label in re.split(r", | or ", labels):
            assert all(c.startswith("—") for c in page.rows[LABELS[label]])

    def free(i: int) -> bool:
        cell = page.rows["Pricing"][i]
        return cell in ("Free", "Freemium") or "(free tier)" in cell

    for who in re.findall(name + r" (?:also )?offers a free tier", page.verdict):
        assert free(side[who]) and not free(1 - side[who])
    ranges = re.search(
        name + r" could be anywhere from (\d+) to (\d+), " + name + r" from (\d+) to (\d+)",
        page.verdict,
    )
    if ranges:
        n1, l1, h1, n2, l2, h2 = ranges.groups()
        for who, lo, hi in ((n1, l1, h1), (n2, l2, h2)):
            cell = page.rows["Rank"][side[who]]
            assert f"{lo}–{hi}" in cell or lo == hi == str(rank[side[who]])
        if "ranges overlap" in page.verdict:
            assert max(int(l1), int(l2)) <= min(int(h1), int(h2))
    if "do different jobs" in page.verdict:
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
