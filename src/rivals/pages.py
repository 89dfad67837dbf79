"""The site as data: which pages exist, and the view each template gets. No Jinja here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from rivals.markup import plain_text
from rivals.rank import SUB_LABELS, Leaderboard, Score
from rivals.schema import SUB_SCORES, Catalog, Entry
from rivals.verdict import Comparison, compare

KIND_LABELS = {
    "model": "Model",
    "repository": "Repository",
    "api": "API",
    "app": "App",
    "library": "Library",
    "dataset": "Dataset",
}
PLAN_LABELS = {"free": "Free", "freemium": "Freemium", "paid": "Paid", "usage-based": "Usage-based"}
LINK_LABELS = {"homepage": "Homepage", "repository": "Repository", "paper": "Paper", "docs": "Docs"}


@dataclass(frozen=True)
class Page:
    """One output file: where it goes, which templates may render it, and what it is about."""

    path: str
    templates: tuple[str, ...]
    kind: str
    key: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """Return the page's URL path relative to the site root, e.g. `compare/a-vs-b/`."""
        return self.path.removesuffix("index.html")

    @property
    def root(self) -> str:
        """Return the relative prefix from this page to the site root, e.g. `../../`."""
        return "../" * self.path.count("/")


@dataclass(frozen=True)
class CapabilityView:
    id: str
    name: str
    summary: str
    unique: str | None
    vs_alternatives: str | None
    anchor: str


@dataclass(frozen=True)
class SubView:
    name: str
    label: str
    value: int | None
    used: int
    inputs: tuple[tuple[str, str, int | None], ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class EntryView:
    """Everything a template shows about one entry, computed once per build."""

    slug: str
    name: str
    kind: str
    kind_label: str
    url: str
    summary: str
    rank: int
    low: int
    high: int
    position: int
    subs: tuple[SubView, ...]
    pricing_label: str
    free_tier: bool
    pricing_note: str | None
    license: str | None
    released: dt.date | None
    links: tuple[tuple[str, str], ...]
    capabilities: tuple[CapabilityView, ...]
    categories: tuple[tuple[str, str], ...]
    times_matched: int
    as_of: dt.date | None
    sources: tuple[tuple[str, str, dt.date | None], ...]

    @property
    def complete(self) -> bool:
        """True when the rank rests on complete evidence."""
        return self.low == self.high

    def sub(self, name: str) -> SubView:
        """Return one sub-score view by name."""
        return next(s for s in self.subs if s.name == name)


@dataclass
class Site:
    """The catalog, its leaderboard and the views derived from them."""

    catalog: Catalog
    board: Leaderboard
    entries: dict[str, EntryView] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for slug, entry in self.catalog.entries.items():
            self.entries[slug] = _entry_view(self.catalog, slug, entry, self.board.scores[slug])

    def rivals(self, slug: str) -> list[EntryView]:
        """Return the entries that have a pair page with `slug`, best ranked first."""
        if not hasattr(self, "_rivals"):
            table: dict[str, list[str]] = {s: [] for s in self.entries}
            for a, b in pair_slugs(self.catalog):
                table[a].append(b)
                table[b].append(a)
            self._rivals = table
        found = [self.entries[s] for s in self._rivals[slug]]
        return sorted(found, key=lambda e: (e.position, e.slug))

    def comparison(self, a: str, b: str) -> Comparison:
        """Return the comparison of two slugs."""
        active = tuple(self.board.effective)
        return compare(self.catalog, self.board.scores[a], self.board.scores[b], active)


def pair_slugs(catalog: Catalog) -> Iterator[tuple[str, str]]:
    """Yield the pairs that get a page under site.yaml's `pairs` policy, a < b, in order."""
    policy = catalog.site.pairs
    for a, b in combinations(sorted(catalog.entries), 2):
        if policy == "same-category":
            if not set(catalog.entries[a].categories) & set(catalog.entries[b].categories):
                continue
        elif policy == "matched" and not catalog.pair_count(a, b):
            continue
        yield a, b


def plan_pages(catalog: Catalog) -> Iterator[Page]:
    """Yield every page of the site, in a fixed order."""
    yield Page("index.html", ("index.html",), "home")
    for a, b in pair_slugs(catalog):
        yield Page(
            f"compare/{a}-vs-{b}/index.html",
            (f"compare/{a}-vs-{b}.html", "compare.html"),
            "compare",
            (a, b),
        )
    for slug in catalog.entries:
        yield Page(
            f"models/{slug}/index.html", (f"models/{slug}.html", "model.html"), "model", (slug,)
        )


def page_context(site: Site, page: Page) -> dict[str, Any]:
    """Return the template context of one page."""
    base = {
        "site": site.catalog.site,
        "root": page.root,
        "url": page.url,
        "canonical": _canonical(site, page),
    }
    if page.kind == "compare":
        return base | compare_context(site, *page.key)
    if page.kind == "model":
        return base | model_context(site, page.key[0])
    return base | home_context(site)


def compare_context(site: Site, a_slug: str, b_slug: str) -> dict[str, Any]:
    """Return the view of a pair page."""
    a, b = site.entries[a_slug], site.entries[b_slug]
    cmp = site.comparison(a_slug, b_slug)
    shown = site.catalog.site.capabilities_shown
    return {
        "title": f"{a.name} vs {b.name}",
        "description": f"{cmp.lead} {cmp.basis}",
        "a": a,
        "b": b,
        "cmp": cmp,
        "rows": feature_rows(a, b),
        "capability_rows": _capability_rows(site, a, b, cmp),
        "shown": shown,
    }


def model_context(site: Site, slug: str) -> dict[str, Any]:
    """Return the view of a model page."""
    entry = site.entries[slug]
    rivals = site.rivals(slug)
    return {
        "title": entry.name,
        "description": plain_text(entry.summary),
        "e": entry,
        "rows": feature_rows(entry),
        "rivals": [(r, _pair_url(slug, r.slug)) for r in rivals],
    }


def home_context(site: Site) -> dict[str, Any]:
    """Return the view of the home page."""
    board = [site.entries[s.slug] for s in site.board.ordered()]
    return {
        "title": site.catalog.site.title,
        "description": site.catalog.site.tagline or f"{site.catalog.site.title}: comparisons",
        "board": board,
        "sub_names": [(n, SUB_LABELS[n]) for n in SUB_SCORES],
        "notes": site.board.notes,
    }


@dataclass(frozen=True)
class Cell:
    text: str
    bar: int | None = None
    note: str | None = None
    leads: bool = False


def feature_rows(*entries: EntryView) -> list[tuple[str, tuple[Cell, ...]]]:
    """Return the feature table rows (label, one cell per entry) of comparison-page.md."""
    rows: list[tuple[str, tuple[Cell, ...]]] = [
        ("Type", tuple(Cell(e.kind_label) for e in entries)),
        ("Rank", _number_cells([e.rank for e in entries], [_interval(e) for e in entries])),
    ]
    for name in SUB_SCORES:
        subs = [e.sub(name) for e in entries]
        notes = [_missing_note(s) for s in subs]
        rows.append((SUB_LABELS[name], _number_cells([s.value for s in subs], notes)))
    rows += [
        ("Pricing", tuple(Cell(_pricing(e)) for e in entries)),
        ("Categories", tuple(Cell(", ".join(n for _, n in e.categories)) for e in entries)),
        ("Capabilities", tuple(Cell(f"{len(e.capabilities)} decomposed") for e in entries)),
        ("Times Matched", tuple(Cell(f"{e.times_matched:,}") for e in entries)),
    ]
    return rows


def _number_cells(values: list[int | None], notes: list[str | None]) -> tuple[Cell, ...]:
    known = [v for v in values if v is not None]
    best = max(known) if len(known) == len(values) > 1 and len(set(known)) > 1 else None
    return tuple(
        Cell("—" if v is None else f"{v}/100", v, note, v is not None and v == best)
        for v, note in zip(values, notes, strict=True)
    )


def _capability_rows(
    site: Site, a: EntryView, b: EntryView, cmp: Comparison
) -> list[tuple[str, str, CapabilityView | None, CapabilityView | None]]:
    caps_a = {c.id: c for c in a.capabilities}
    caps_b = {c.id: c for c in b.capabilities}
    rows = []
    for group, ids in (("shared", cmp.shared), ("a", cmp.only_a), ("b", cmp.only_b)):
        for cap in ids:
            name = site.catalog.capabilities[cap].name
            rows.append((group, name, caps_a.get(cap), caps_b.get(cap)))
    return rows


def _entry_view(catalog: Catalog, slug: str, entry: Entry, score: Score) -> EntryView:
    signals = entry.signals
    return EntryView(
        slug=slug,
        name=entry.name,
        kind=entry.kind,
        kind_label=KIND_LABELS[entry.kind],
        url=f"models/{slug}/",
        summary=entry.summary,
        rank=score.rank,
        low=score.low,
        high=score.high,
        position=score.position,
        subs=tuple(
            SubView(
                name=n,
                label=SUB_LABELS[n],
                value=score.subs[n].value,
                used=round(score.subs[n].used),
                inputs=tuple(
                    (i.label, i.shown, None if i.score is None else round(i.score))
                    for i in score.subs[n].inputs
                ),
                missing=score.subs[n].missing,
            )
            for n in SUB_SCORES
        ),
        pricing_label=PLAN_LABELS[entry.pricing.plan],
        free_tier=entry.pricing.has_free_tier,
        pricing_note=entry.pricing.note,
        license=entry.license,
        released=entry.released,
        links=tuple(
            (LINK_LABELS[k], v) for k, v in entry.links.model_dump().items() if v is not None
        ),
        capabilities=tuple(
            CapabilityView(
                c.id,
                catalog.capabilities[c.id].name,
                c.summary,
                c.unique,
                c.vs_alternatives,
                f"{slug}--{c.id}",
            )
            for c in entry.capabilities
        ),
        categories=tuple((c, catalog.categories[c].name) for c in entry.categories),
        times_matched=catalog.times_matched(slug),
        as_of=signals.as_of if signals else None,
        sources=tuple((s.url, s.title or s.url, s.retrieved) for s in entry.sources),
    )


def _missing_note(sub: SubView) -> str | None:
    if sub.value is not None:
        return f"missing: {', '.join(sub.missing)}" if sub.missing else None
    if sub.inputs:
        return "not comparable: no other entry reports the same figures"
    return "no evidence"


def _interval(e: EntryView) -> str | None:
    return None if e.complete else f"could be {e.low}–{e.high}"


def _pricing(e: EntryView) -> str:
    if e.free_tier and e.pricing_label not in ("Free", "Freemium"):
        return f"{e.pricing_label} (free tier)"
    if not e.free_tier and e.pricing_label == "Freemium":
        return "Freemium (no free tier)"
    return e.pricing_label


def _pair_url(a: str, b: str) -> str:
    a, b = sorted((a, b))
    return f"compare/{a}-vs-{b}/"


def _canonical(site: Site, page: Page) -> str | None:
    base = site.catalog.site.base_url
    if base is None:
        return None
    return base.rstrip("/") + "/" + page.url
