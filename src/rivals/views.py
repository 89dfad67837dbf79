"""Views made for templates: what the site shows about each entry, computed once per build.

No Jinja here: these are plain records, and the few helpers that pick between them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import combinations
from pathlib import Path
from typing import Any

from rivals.rank import SUB_LABELS, Leaderboard, Score, figure, round_half_up
from rivals.records import SUB_SCORES, Catalog, Entry
from rivals.verdict import Comparison, compare, labels

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
LINK_FIELDS = {label: field for field, label in LINK_LABELS.items()}


@dataclass(frozen=True)
class CapabilityView:
    id: str
    name: str
    summary: str
    unique: str | None
    vs_alternatives: str | None
    anchor: str


# A row of a pair page's capability table: ("shared" | "a" | "b", name, A's view, B's view).
CapabilityRow = tuple[str, str, "CapabilityView | None", "CapabilityView | None"]


@dataclass(frozen=True)
class SubView:
    name: str
    label: str
    value: int | None
    used: int
    inputs: tuple[tuple[str, str, int | None], ...]
    missing: tuple[str, ...]
    in_force: bool = True  # False: no entry has comparable evidence, so the rank leaves it out
    counted: bool = True  # False: its weight in force is 0


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
    sources: tuple[tuple[str, str, dt.date | None], ...]  # url, title (else the url), retrieved
    # What else a page or twin shows of the entry file (all of it in the view, so that the
    # fingerprint of the view covers every page made from it):
    source_titles: tuple[str | None, ...]  # each source's own title, None if it has none
    has_signals: bool
    integrations: tuple[str, ...]
    platforms: tuple[str, ...]
    # The name, or "Name (slug)" when another entry's name looks the same to a reader (lists
    # that show several entries use it: leaderboards, the A-Z list, alternatives).
    label: str = ""

    @property
    def complete(self) -> bool:
        """True when the rank rests on complete evidence."""
        return self.low == self.high

    @property
    def ranked(self) -> bool:
        """False when no sub-score is in force (no entry of the catalog has comparable
        evidence for any): every rank is then the midpoint, with no range and no order."""
        return any(s.in_force for s in self.subs)

    def sub(self, name: str) -> SubView:
        """Return one sub-score view by name."""
        return next(s for s in self.subs if s.name == name)

    @property
    def pricing(self) -> str:
        """The plan as every page shows it: with "(free tier)" or "(no free tier)" where the
        entry's free_tier says otherwise than its plan would."""
        return _pricing(self)


@dataclass(frozen=True)
class Cell:
    """One feature-table cell: text, an optional 0-100 bar and note, and whether it leads."""

    text: str
    bar: int | None = None
    note: str | None = None
    leads: bool = False
    # A link from the cell's text, relative to a page two folders deep (a pair page or a model
    # page, the pages with a feature table): cells are rendered once for both.
    href: str | None = None
    # The catalog's names in the text and note: one with right-to-left letters is isolated
    # (fragments.html), so that a figure or another name beside it keeps its side.
    names: tuple[str, ...] = ()


# What Site.shared returns: closeness order by entry, and fingerprints by entry.
Shared = tuple[dict[str, list[str]], dict[str, str]]


@dataclass
class Site:
    """The catalog, its leaderboard and the views derived from them."""

    catalog: Catalog
    board: Leaderboard
    entries: dict[str, EntryView] = field(default_factory=dict)
    cells: dict[str, tuple[tuple[Cell, ...], tuple[Cell, ...]]] = field(default_factory=dict)
    _prints: dict[str, str] = field(default_factory=dict)
    # Caches kept for the life of the build process, by name (see pages.py and below).
    memo: defaultdict[str, dict[Any, Any]] = field(
        default_factory=lambda: defaultdict(dict), repr=False, compare=False
    )

    def __post_init__(self) -> None:
        named = labels(self.catalog)
        weights = self.board.effective
        for slug, entry in self.catalog.entries.items():
            view = _entry_view(self.catalog, slug, entry, self.board.scores[slug], weights)
            if named[slug] != entry.name:
                view = replace(view, label=named[slug])
            self.entries[slug] = view
            self.cells[slug] = entry_cells(view)

    def rivals(self, slug: str) -> list[EntryView]:
        """Return the entries that have a pair page with `slug`, best ranked first."""
        if not hasattr(self, "_rivals"):
            table: dict[str, list[str]] = {s: [] for s in self.entries}
            for a, b in pair_slugs(self.catalog):
                table[a].append(b)
                table[b].append(a)
            self._rivals = table
        memo = self.memo["rivals"]
        found: list[EntryView] | None = memo.get(slug)
        if found is None:
            found = [self.entries[s] for s in self._rivals[slug]]
            found = memo[slug] = sorted(found, key=lambda e: (e.position, e.slug))
        return list(found)

    def fingerprint(self, slug: str) -> str:
        """Return a hash of everything the site shows about one entry: its view (its cells
        are made from the view alone, by code that the build's base covers)."""
        found = self._prints.get(slug)
        if found is None:
            text = repr(self.entries[slug])
            found = self._prints[slug] = hashlib.sha256(text.encode()).hexdigest()[:32]
        return found

    def shared(self) -> Shared:
        """Return what every render process needs of every entry, in plain values: the order
        of closeness and the fingerprints (see build._share_ahead)."""
        return closeness(self.catalog), {slug: self.fingerprint(slug) for slug in self.entries}

    def adopt(self, shared: Shared) -> None:
        """Take what `shared` computed (in another process) as if computed here."""
        order, prints = shared
        self.catalog.__dict__.setdefault("_closeness", order)
        for slug, found in prints.items():
            self._prints.setdefault(slug, found)

    @cached_property
    def standings(self) -> str:
        """A hash of every entry's name (as lists show it), rank and place on the leaderboard."""
        text = "\0".join(f"{e.slug}:{e.label}:{e.rank}:{e.position}" for e in self.entries.values())
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @cached_property
    def every_print(self) -> str:
        """A hash of every entry's fingerprint (what pages listing them all show) and of the
        match graph's counts, pair by pair (the home and category pages list the pairs most
        compared: counts can move between pairs and leave every entry's total as it was)."""
        counts = sorted(self.catalog.match_counts().items())
        text = "\0".join([*(self.fingerprint(s) for s in self.entries), repr(counts)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def has_pair(self, a: str, b: str) -> bool:
        """True when the pair of `a` and `b` has a page under the pair policy."""
        return ((a, b) if a < b else (b, a)) in self._pair_set()

    def _pair_set(self) -> set[tuple[str, str]]:
        if not hasattr(self, "_pairs"):
            self._pairs = set(pair_slugs(self.catalog))
        return self._pairs

    def capability_map(self, slug: str) -> dict[str, CapabilityView]:
        """Return an entry's capability views by capability id."""
        memo = self.memo["capability_maps"]
        found: dict[str, CapabilityView] | None = memo.get(slug)
        if found is None:
            found = memo[slug] = {c.id: c for c in self.entries[slug].capabilities}
        return found

    def one_side_rows(self, slug: str, side: str) -> dict[str, CapabilityRow]:
        """Return, by capability id, the capability-table rows that only `slug` has, as side
        "a" or "b" of a pair (kept: the same rows appear on all of the entry's pair pages)."""
        memo = self.memo["one_side_rows"]
        found: dict[str, CapabilityRow] | None = memo.get((slug, side))
        if found is None:
            found = {}
            for c in self.entries[slug].capabilities:
                row: CapabilityRow = (
                    (side, c.name, c, None) if side == "a" else (side, c.name, None, c)
                )
                found[c.id] = row
            memo[(slug, side)] = found
        return found

    def alternatives(self, slug: str, limit: int = 6) -> list[EntryView]:
        """Return the entries closest to `slug`: shared capabilities, categories, match links.

        See `closeness` for the order.
        """
        _within_closest(limit)
        return [self.entries[s] for s in closeness(self.catalog)[slug][:limit]]

    def pair_print(self, slug: str) -> str:
        """Return a hash of what a pair page shows of one side: its views and alternatives."""
        memo = self.memo["pair_prints"]
        found: str | None = memo.get(slug)
        if found is None:
            text = f"{self.fingerprint(slug)}\0{self.neighbours(slug)}"
            found = memo[slug] = hashlib.sha256(text.encode()).hexdigest()[:32]
        return found

    def neighbours(self, slug: str) -> str:
        """Return a short text naming an entry's alternatives (what its related links depend on)."""
        memo = self.memo["neighbours"]
        if slug not in memo:
            # (their labels: a name that another entry's comes to equal gets its slug added)
            memo[slug] = "|".join(f"{e.slug}:{e.label}" for e in self.alternatives(slug, 8))
        return memo[slug]  # type: ignore[no-any-return]

    def related(self, a: str, b: str, limit: int = 8) -> list[tuple[str, str]]:
        """Return up to `limit` other pairs near the pair a/b (a < b), as (slug, slug) pairs.

        The candidates are each side's `limit` closest entries, taken in turns: the closest
        of a's, the closest of b's, the second of a's, and so on, keeping those that have a
        pair page with their side and are not the other side.
        """
        found: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        near_a, near_b = self._near_pairs(a, limit), self._near_pairs(b, limit)
        i = j = 0
        while len(found) < limit and (i < len(near_a) or j < len(near_b)):
            # On the same turn a's candidate comes first.
            if j >= len(near_b) or (i < len(near_a) and near_a[i][0] <= near_b[j][0]):
                _, other, pair = near_a[i]
                i += 1
            else:
                _, other, pair = near_b[j]
                j += 1
            if other != a and other != b and pair not in seen:
                seen.add(pair)
                found.append(pair)
        return found

    def _near_pairs(self, slug: str, limit: int) -> list[tuple[int, str, tuple[str, str]]]:
        """Return (turn, other, pair) for the first `limit` entries close to `slug` that have a
        pair page with it (kept per entry: every pair page of the entry asks for them)."""
        _within_closest(limit)
        memo = self.memo["near_pairs"]
        found: list[tuple[int, str, tuple[str, str]]] | None = memo.get((slug, limit))
        if found is None:
            pairs = self._pair_set()
            found = []
            for turn, other in enumerate(closeness(self.catalog)[slug][:limit]):
                pair = (slug, other) if slug < other else (other, slug)
                if pair in pairs:
                    found.append((turn, other, pair))
            memo[(slug, limit)] = found
        return found

    def comparison(self, a: str, b: str) -> Comparison:
        """Return the comparison of two slugs (the last one is kept: a pair page and its
        JSON twin are made one after the other)."""
        last: tuple[str, str, Comparison] | None = self.__dict__.get("_last_comparison")
        if last is not None and last[0] == a and last[1] == b:
            return last[2]
        scores, weights = self.board.scores, self.board.effective
        found = compare(self.catalog, scores[a], scores[b], weights)
        self.__dict__["_last_comparison"] = (a, b, found)
        return found


def pair_slugs(catalog: Catalog) -> list[tuple[str, str]]:
    """Return the pairs that get a page, a < b, in order.

    site.yaml's `pairs` picks them (all, same-category, matched); `max_rivals: K` then keeps
    a pair only when one side is among the other's K closest entries, so that a catalog of
    thousands of entries stays publishable.
    """
    cached: list[tuple[str, str]] | None = catalog.__dict__.get("_pair_list")
    if cached is not None:
        return cached
    policy, cap = catalog.site.pairs, catalog.site.max_rivals
    candidates: Iterable[tuple[str, str]]
    if cap and policy != "all":  # each entry's `cap` closest among those the policy allows
        candidates = _closest_allowed(catalog, cap)
    elif cap:  # the pairs of each entry with its `cap` closest, in the order of combinations()
        near = closeness(catalog)
        candidates = sorted({(a, b) if a < b else (b, a) for a in near for b in near[a][:cap]})
    else:
        candidates = combinations(sorted(catalog.entries), 2)
    # Listed in matches.yaml, a count of 0 too: the catalog asks for the page.
    listed = {tuple(sorted(m.pair)) for m in catalog.matches} if policy == "matched" else set()
    pairs = []
    for a, b in candidates:
        if policy == "same-category":
            if not set(catalog.entries[a].categories) & set(catalog.entries[b].categories):
                continue
        elif policy == "matched" and (a, b) not in listed:
            continue
        pairs.append((a, b))
    catalog.__dict__["_pair_list"] = pairs
    return pairs


# The most of an entry's closeness order that the site reads (alternatives, related pairs).
CLOSEST = 8


def closeness(catalog: Catalog) -> dict[str, list[str]]:
    """Return, for every entry, the other entries closest to it, closest first: CLOSEST of them,
    or `max_rivals` if that is more (all the site reads: see closest_kept).

    Closeness = 3 x shared capabilities + 2 x shared categories + times matched together,
    where a capability that more than a quarter of the catalog lists ("runs locally") counts 1,
    not 3: sharing it says less about doing the same job than sharing "speech to text" does.
    Entries with none of these are left out; ties go by slug, so the order is deterministic
    (see _Sides.closest).
    """
    cached: dict[str, list[str]] | None = catalog.__dict__.get("_closeness")
    if cached is not None:
        return cached
    keep = closest_kept(catalog)
    sides = _Sides(catalog)
    everyone = sides.of(catalog.entries)
    order = {slug: sides.closest(slug, everyone, keep) for slug in catalog.entries}
    catalog.__dict__["_closeness"] = order
    return order


class _Sides:
    """What closeness scores of each entry: its capabilities and categories as bits of an int
    (sharing is `&`, counting is bit_count), and its match counts."""

    def __init__(self, catalog: Catalog) -> None:
        entries = catalog.entries
        cap_bits: dict[str, int] = {}
        category_bits: dict[str, int] = {}
        self.bits = {
            s: (_mask(cap_bits, [c.id for c in e.capabilities]), _mask(category_bits, e.categories))
            for s, e in entries.items()
        }
        listed = Counter(c.id for e in entries.values() for c in e.capabilities)
        self.common = _mask(cap_bits, [c for c, n in listed.items() if 4 * n > len(entries)])
        self.matched: dict[str, dict[str, int]] = {s: {} for s in entries}
        for (a, b), count in catalog.match_counts().items():
            if a in self.matched and b in self.matched:
                self.matched[a][b] = self.matched[b][a] = count

    def of(self, slugs: Iterable[str]) -> list[tuple[str, int, int]]:
        """Return (slug, capability bits, category bits) of each of `slugs`, in their order."""
        return [(slug, *self.bits[slug]) for slug in slugs]

    def closest(
        self, slug: str, others: Iterable[tuple[str, int, int]], keep: int, unrelated: bool = False
    ) -> list[str]:
        """Return the `keep` entries of `others` closest to `slug`, closest first, ties by
        slug; those that share nothing with it are left out unless `unrelated`. Picked from
        a heap as the row is scored, never from a sorted list of every other entry: at 2,000
        entries those lists took 230 MB and a worker got all of them."""
        caps, cats = self.bits[slug]
        common, times = self.common, self.matched[slug].get
        best = heapq.nsmallest(
            keep,
            (
                (-score, other)
                for other, other_caps, other_cats in others
                if (
                    (
                        score := 3 * (shared := caps & other_caps).bit_count()
                        - 2 * (shared & common).bit_count()
                        + 2 * (cats & other_cats).bit_count()
                        + times(other, 0)
                    )
                    or unrelated
                )
                and other != slug
            ),
        )
        return [other for _, other in best]


def _closest_allowed(catalog: Catalog, cap: int) -> list[tuple[str, str]]:
    """Return the pairs (a < b, in order) of each entry with its `cap` closest entries among
    those `pairs: same-category` (sharing a category) or `pairs: matched` (listed together in
    matches.yaml, a count of 0 too) allows: picked from the whole catalog first, an entry whose
    closest were all in other categories got no page at all. A partner the policy allows
    counts even when it shares nothing else (a listed pair of count 0)."""
    entries = catalog.entries
    partners: dict[str, set[str]] = {slug: set() for slug in entries}
    if catalog.site.pairs == "same-category":
        members: dict[str, set[str]] = {}
        for slug, entry in entries.items():
            for category in entry.categories:
                members.setdefault(category, set()).add(slug)
        for group in members.values():
            for slug in group:
                partners[slug] |= group
    else:
        for match in catalog.matches:
            a, b = match.pair
            if a in entries and b in entries:
                partners[a].add(b)
                partners[b].add(a)
    # Most often the closeness order (kept from the previous build, or needed anyway for the
    # related links) holds them: its first `cap` allowed partners are the closest allowed,
    # since any other partner comes after its last one. Else a scan of every allowed partner.
    near, sides = closeness(catalog), None
    pairs = set()
    for slug in entries:
        allowed = partners[slug]
        found = [other for other in near[slug] if other in allowed][:cap]
        if len(found) < cap and len(found) < len(allowed - {slug}):
            sides = sides or _Sides(catalog)
            found = sides.closest(slug, sides.of(allowed), cap, unrelated=True)
        for other in found:
            pairs.add((slug, other) if slug < other else (other, slug))
    return sorted(pairs)


def computed_closeness(catalog: Catalog) -> dict[str, list[str]] | None:
    """Return the closeness order if this process has it already (computed, adopted or kept),
    else None: what a build saves for the next one."""
    found: dict[str, list[str]] | None = catalog.__dict__.get("_closeness")
    return found


def closest_kept(catalog: Catalog) -> int:
    """Return how many of each entry's closest entries closeness() keeps."""
    return max(CLOSEST, catalog.site.max_rivals or 0)


def closeness_key(catalog: Catalog) -> str:
    """Return a hash of everything closeness() reads: its code, how many it keeps, each entry's
    capability ids and categories, and the match counts. A build keeps the order under it."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"{closest_kept(catalog)}\n".encode())
    for slug in sorted(catalog.entries):
        entry = catalog.entries[slug]
        ids = "\0".join(c.id for c in entry.capabilities)
        digest.update(f"{slug}\1{ids}\1{chr(0).join(entry.categories)}\n".encode())
    digest.update(repr(sorted(catalog.match_counts().items())).encode())
    return digest.hexdigest()


def adopt_closeness(catalog: Catalog, order: object) -> bool:
    """Give `catalog` a closeness order kept from an earlier build, if it has the right shape
    (a list of other entries' slugs for every entry, no longer than closeness keeps)."""
    keep = closest_kept(catalog)
    entries = catalog.entries
    if not (
        type(order) is dict
        and order.keys() == entries.keys()
        and all(
            type(found) is list
            and len(found) <= keep
            and all(type(s) is str and s in entries and s != slug for s in found)
            for slug, found in order.items()
        )
    ):
        return False
    catalog.__dict__.setdefault("_closeness", order)
    return True


def _within_closest(limit: int) -> None:
    if limit > CLOSEST:
        raise ValueError(f"closeness() keeps {CLOSEST} closest entries, not {limit}")


def _mask(bits: dict[str, int], items: Iterable[str]) -> int:
    """Return the int with the bit of each item set, giving new items the next free bit."""
    mask = 0
    for item in items:
        bit = bits.get(item)
        if bit is None:
            bit = bits[item] = 1 << len(bits)
        mask |= bit
    return mask


FEATURES = (
    "Type",
    "Rank",
    *(SUB_LABELS[n] for n in SUB_SCORES),
    "Pricing",
    "Categories",
    "Capabilities",
    "Times Matched",
    "Figures as of",  # comparison-page.md: no figure without its date and sources
    "Sources",
)
NUMERIC = range(1, 2 + len(SUB_SCORES))  # rows whose higher value "leads"


def entry_cells(e: EntryView) -> tuple[tuple[Cell, ...], tuple[Cell, ...]]:
    """Return one entry's feature-table cells, plain and marked as leading, in FEATURES order."""
    numbers: list[tuple[int | None, str | None, tuple[str, ...]]] = [(e.rank, _interval(e), ())]
    numbers += [(s.value, sub_score_note(s), tuple(i[0] for i in s.inputs)) for s in e.subs]
    plain = [Cell(e.kind_label)]
    plain += [
        Cell("—" if v is None else f"{v}/100", v, note, names=names) for v, note, names in numbers
    ]
    categories = tuple(n for _, n in e.categories)
    plain += [
        Cell(e.pricing),
        Cell(", ".join(categories), names=categories),
        Cell(f"{len(e.capabilities)} decomposed"),
        Cell(f"{e.times_matched:,}"),
        Cell(e.as_of.isoformat() if e.as_of else "undated"),
        Cell(
            f"{len(e.sources)} on the {e.label} page",
            href=f"../../{e.url}#sources",
            names=(e.label,),
        )
        if e.sources
        else Cell("none listed"),
    ]
    lead = [replace(c, leads=True) if i in NUMERIC else c for i, c in enumerate(plain)]
    return tuple(plain), tuple(lead)


def feature_rows(site: Site, *slugs: str) -> list[tuple[str, tuple[Cell, ...]]]:
    """Return the feature table rows (label, one cell per entry) of comparison-page.md.

    With two entries, the higher number of a row is marked as leading (never on a tie or
    when either side has no value), so the page never shows a lead the numbers don't.
    """
    if len(slugs) == 1:
        plain, _ = site.cells[slugs[0]]
        return [(label, (plain[i],)) for i, label in enumerate(FEATURES)]
    (plain_a, lead_a), (plain_b, lead_b) = site.cells[slugs[0]], site.cells[slugs[1]]
    pairs = zip(plain_a, plain_b, strict=True)
    rows: list[tuple[str, tuple[Cell, ...]]] = list(zip(FEATURES, pairs, strict=True))
    for i in NUMERIC:
        bar_a, bar_b = plain_a[i].bar, plain_b[i].bar
        if bar_a is not None and bar_b is not None and bar_a != bar_b:
            pair = (lead_a[i], plain_b[i]) if bar_a > bar_b else (plain_a[i], lead_b[i])
            rows[i] = (FEATURES[i], pair)
    return rows


def _entry_view(
    catalog: Catalog, slug: str, entry: Entry, score: Score, weights: Mapping[str, float]
) -> EntryView:
    """Return the view of one entry; `weights` are those in force (Leaderboard.effective)."""
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
                used=round_half_up(score.subs[n].used),
                inputs=tuple(
                    (i.label, i.shown, None if i.score is None else round_half_up(i.score))
                    for i in score.subs[n].inputs
                ),
                missing=score.subs[n].missing,
                in_force=n in weights,
                counted=weights.get(n, 0.0) > 0,
            )
            for n in SUB_SCORES
        ),
        pricing_label=PLAN_LABELS[entry.pricing.plan],
        free_tier=entry.pricing.has_free_tier,
        pricing_note=entry.pricing.note,
        license=entry.license,
        released=entry.released,
        links=tuple((LINK_LABELS[k], v) for k, v in entry.links.items() if v is not None),
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
        source_titles=tuple(s.title for s in entry.sources),
        has_signals=signals is not None,
        integrations=tuple(signals.integrations or ()) if signals else (),
        platforms=tuple(signals.platforms or ()) if signals else (),
        label=entry.name,
    )


def sub_score_note(sub: SubView) -> str | None:
    """Return what a sub-score's cell says beside its value (see entry_cells), or None."""
    if sub.value is not None:
        notes = []
        if sub.name == "quality":  # benchmarks differ from entry to entry: name those counted
            notes.append("from " + ", ".join(label for label, _, n in sub.inputs if n is not None))
        if sub.missing:
            notes.append(f"missing: {', '.join(sub.missing)}")
        return "; ".join(notes) or None
    if not sub.in_force:  # what it lacks would matter all the same: it could bring it in
        missing = f"; missing: {', '.join(sub.missing)}" if sub.missing else ""
        return f"left out of the rank: no entry has comparable evidence{missing}"
    what = "not comparable" if sub.inputs else "no evidence"
    if not sub.counted:
        return f"{what}; not counted: its weight is 0"
    return f"{what}; counted at the catalog median, {sub.used}"


def _interval(e: EntryView) -> str | None:
    if not e.ranked:
        return "the midpoint: no entry can be ranked"
    return None if e.complete else f"could be {e.low}–{e.high}"


def _pricing(e: EntryView) -> str:
    if e.free_tier and e.pricing_label not in ("Free", "Freemium"):
        return f"{e.pricing_label} (free tier)"
    if not e.free_tier and e.pricing_label in ("Free", "Freemium"):
        return f"{e.pricing_label} (no free tier)"  # what the verdict goes by: see verdict.py
    return e.pricing_label


def board_legend(site: Site, slugs: Iterable[str]) -> list[str]:
    """Return what a leaderboard of `slugs` needs said under it: the sub-scores left out of
    the rank, those of weight 0 (shown, not counted), and what a "—" is counted at."""
    board = site.board
    said = list(board.notes)
    shown = [name for name in SUB_SCORES if name in board.effective]
    idle = [SUB_LABELS[name] for name in shown if board.effective[name] == 0]
    if idle:
        said.append(f"Weight 0 in the site's settings, shown but not counted: {', '.join(idle)}.")
    scores = [board.scores[slug] for slug in slugs]
    medians = []
    for name in shown:
        if board.effective[name] == 0 or all(s.subs[name].value is not None for s in scores):
            continue
        median = next(s.subs[name].used for s in scores if s.subs[name].value is None)
        medians.append(f"{SUB_LABELS[name]} {figure(median)}")
    if medians:
        counted = ", ".join(medians)
        said.append(f"— no comparable evidence: counted at the catalog median ({counted}).")
    return said
