"""Catalog -> Leaderboard: transparent sub-scores, a weighted rank and a coverage interval.

The formula, which the methodology page prints from `METHOD` below:

* Every piece of evidence ("component") is put on a 0-100 scale *relative to the catalog*:
  the lowest value among the entries that report it maps to 0, the highest to 100
  (GitHub stars, monthly downloads and times matched on a log scale, `ln(1 + x)`; counts of
  integrations and platforms linearly; each benchmark linearly, flipped when lower is better).
  When every reporting entry has the same value, the component is 50 for all of them.
  A figure that only one entry reports (a benchmark, stars, ...) can't be compared and is
  left out.
* Each component's score is rounded half up to a whole point, as pages show it.
* A sub-score is the mean of its components that the entry reports:
  adoption = stars, downloads; quality = the entry's comparable benchmarks;
  ecosystem = integrations, platforms; match graph = times matched.
* Each sub-score is rounded half up to a whole point; the rank is computed from these
  whole points, so that a reader can redo the sum from the numbers a page shows.
* rank = sum of weight x sub-score / sum of weight, over the sub-scores in force (the
  weights as site.yaml gives them, which the methodology page prints), rounded half up. A
  sub-score that no entry has comparable evidence for is left out, so the other weights
  count in proportion (equally, if every one of them has weight 0). An entry with no
  evidence for a sub-score is counted at the catalog median of that sub-score (rounded half
  up), which its pages show.
* Coverage interval: the lowest and highest rank the entry could have if each missing
  component were at the catalog's minimum (0) or maximum (100); where every entry that
  reports a figure reports 0, no report can be lower, and the lowest is the tie (50). A
  component other than a benchmark is missing for an entry that does not report it when any
  other entry does, even one entry alone. Such a figure in a sub-score left out of the rank
  would bring that sub-score in, with the entry anywhere from that low to 100 in it: the
  interval covers that too. Complete evidence gives an interval of one point: the rank.

Scores are rounded here, once; every page shows these numbers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from rivals.records import SUB_SCORES, Catalog, Signals

SUB_LABELS = {
    "adoption": "Adoption",
    "quality": "Quality",
    "ecosystem": "Ecosystem",
    "match_graph": "Match Graph",
}

METHOD: tuple[tuple[str, str, str], ...] = (
    (
        "adoption",
        "How widely the entry is used.",
        "Mean of GitHub stars and monthly downloads, each on a log scale ln(1 + x) and "
        "stretched so that the catalog's lowest value is 0 and its highest is 100.",
    ),
    (
        "quality",
        "How well the entry does on published benchmarks.",
        "Mean over the entry's benchmark results. Each benchmark is stretched linearly so "
        "that the worst result in the catalog is 0 and the best is 100 (flipped when lower "
        "is better).",
    ),
    (
        "ecosystem",
        "How many tools and platforms it works with.",
        "Mean of the number of integrations and the number of platforms, each stretched "
        "linearly between the catalog's lowest and highest count.",
    ),
    (
        "match_graph",
        "How often people compare it with something else.",
        "Times matched (the sum of the counts of its pairs in matches.yaml) on a log scale "
        "ln(1 + x), stretched between the catalog's lowest and highest value.",
    ),
)


@dataclass(frozen=True)
class Evidence:
    """One input of a sub-score: what was read, and where it lands on the 0-100 scale."""

    label: str
    shown: str
    score: float | None  # None: reported but not comparable (e.g. a benchmark nobody else has)


@dataclass(frozen=True)
class SubScore:
    """One sub-score of one entry."""

    name: str
    value: int | None  # None: no evidence for this entry
    used: float  # what the rank counts: value, or the catalog median when value is None
    low: float
    high: float
    inputs: tuple[Evidence, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Return the display name, e.g. "Match Graph"."""
        return SUB_LABELS[self.name]


@dataclass(frozen=True)
class Score:
    """An entry's rank, its coverage interval and its sub-scores."""

    slug: str
    rank: int
    low: int
    high: int
    exact: float
    subs: dict[str, SubScore]
    position: int = 0

    @property
    def complete(self) -> bool:
        """True when no evidence is missing (the interval is a single point)."""
        return self.low == self.high


@dataclass(frozen=True)
class Leaderboard:
    """Every entry's score, best first, and the weights in force."""

    scores: dict[str, Score]
    weights: dict[str, float]
    effective: dict[str, float]
    notes: tuple[str, ...] = field(default=())

    def ordered(self) -> list[Score]:
        """Return the scores by leaderboard position."""
        return sorted(self.scores.values(), key=lambda s: (s.position, s.slug))


@dataclass
class _Component:
    label: str
    raw: dict[str, float]  # slug -> raw value, only for entries that report it
    fmt: Callable[[float], str]
    log: bool = False
    lower_is_better: bool = False
    scaled: dict[str, float] = field(default_factory=dict)

    def floor(self) -> float:
        """Return the lowest score an entry that does not report this figure could get by
        reporting it: 0, but 50 where every entry that reports it reports 0 (no stars, no
        integrations), since a figure cannot be less: the best it can do is tie at 50."""
        values = set(self.raw.values())
        return 50.0 if values == {0.0} else 0.0

    def scale(self) -> None:
        values = {s: (math.log1p(v) if self.log else v) for s, v in self.raw.items()}
        if not values:
            return
        lo, hi = min(values.values()), max(values.values())
        for slug, v in values.items():
            if hi == lo:
                x = 50.0
            else:  # the ends are exact, so the best entry shows 100, not 99.99...
                x = 100.0 if v == hi else 0.0 if v == lo else 100.0 * (v - lo) / (hi - lo)
            # A whole point, as pages show it: a sub-score is the mean of the numbers shown.
            self.scaled[slug] = float(round_half_up(100.0 - x if self.lower_is_better else x))


def rank(catalog: Catalog) -> Leaderboard:
    """Return the leaderboard of `catalog` (pure and deterministic)."""
    slugs = sorted(catalog.entries)
    groups = _components(catalog)
    raw_subs = {name: {s: _sub_score(name, s, groups[name]) for s in slugs} for name in SUB_SCORES}
    weights = catalog.site.ranking.weights.as_dict()
    present = [n for n in SUB_SCORES if any(v.value is not None for v in raw_subs[n].values())]
    total = sum(weights[n] for n in present)
    # What the rank counts: the weights as given (divided by their sum, so that a reader
    # redoes it from the printed settings); 1 each if they are all 0.
    # (Equal weights when those in force are all 0: a rank of 0 for all would say nothing.)
    counted = {n: weights[n] if total > 0 else 1.0 for n in present}
    if len(present) == len(SUB_SCORES):
        effective = dict(weights)  # as given: they sum to 1
    else:  # each one's share of what counts
        effective = {n: w / sum(counted.values()) for n, w in counted.items()}
    notes = tuple(
        f"No entry has comparable evidence for {SUB_LABELS[n].lower()}, so it is left out of"
        " the rank."
        for n in SUB_SCORES
        if n not in present
    )
    if present and total <= 0 and len(present) < len(SUB_SCORES):
        shown = ", ".join(SUB_LABELS[n].lower() for n in present)
        notes += (
            f"The sub-scores that have evidence ({shown}) all have weight 0 in the site's"
            " settings, so they are weighted equally.",
        )
    scores = {s: _score(s, raw_subs, counted, weights) for s in slugs}
    return Leaderboard(_positions(scores), weights, effective, notes)


def _components(catalog: Catalog) -> dict[str, list[_Component]]:
    def signal(get: Callable[[Signals], float | None]) -> dict[str, float]:
        out = {}
        for slug, entry in catalog.entries.items():
            value = get(entry.signals) if entry.signals is not None else None
            if value is not None:
                out[slug] = float(value)
        return out

    groups: dict[str, list[_Component]] = {
        "adoption": [
            _Component("GitHub stars", signal(lambda s: s.github_stars), _int, log=True),
            _Component("Monthly downloads", signal(lambda s: s.monthly_downloads), _int, log=True),
        ],
        "quality": [],
        "ecosystem": [
            _Component("Integrations", signal(lambda s: _length(s.integrations)), _int),
            _Component("Platforms", signal(lambda s: _length(s.platforms)), _int),
        ],
        "match_graph": [],
    }
    if catalog.has_match_graph:  # counts of 0 only: no evidence
        times = {s: float(catalog.times_matched(s)) for s in catalog.entries}
        groups["match_graph"].append(_Component("Times matched", times, _int, log=True))
    for bench_id, bench in catalog.benchmarks.items():
        results = signal(lambda s, b=bench_id: s.benchmarks.get(b))  # type: ignore[misc]
        fmt = _unit_formatter(bench.unit or "")
        lower = not bench.higher_is_better
        groups["quality"].append(_Component(bench.name, results, fmt, lower_is_better=lower))
    for comps in groups.values():
        for comp in comps:
            comp.scale()
    return groups


def _unit_formatter(unit: str) -> Callable[[float], str]:
    sep = "" if unit in ("", "%") else " "
    return lambda value: f"{figure(value)}{sep}{unit}"


def figure(value: float) -> str:
    """Return a figure as the catalog gave it, with thousands separated: 1234567.5 is
    "1,234,567.5" and 1e-05 "0.00001" (never scientific notation, never rounded)."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{Decimal(repr(value)):,f}"


def _sub_score(name: str, slug: str, comps: list[_Component]) -> SubScore:
    inputs, missing, scores = [], [], []
    floors = []  # the lowest score each missing figure can get
    for comp in comps:
        if slug not in comp.raw:
            # Unreported benchmarks are not "missing" (see the README). Another figure is, as
            # soon as some entry reports it: even one that only one entry reports (compared
            # with nothing, see below) would count once this entry reported it too.
            if name != "quality" and comp.raw:
                missing.append(comp.label)
                floors.append(comp.floor())
            continue
        comparable = len(comp.raw) > 1  # a figure nobody else reports compares with nothing
        score = comp.scaled[slug] if comparable else None
        inputs.append(Evidence(comp.label, comp.fmt(comp.raw[slug]), score))
        if score is not None:
            scores.append(score)
    # The lowest it can get: some of the missing figures reported, each at its floor (any of
    # them, as reporting one at 50 can raise a mean below 50).
    lows = [
        (sum(scores) + sum(chosen)) / (len(scores) + size)
        for size in range(len(floors) + 1)
        for chosen in itertools.combinations(floors, size)
        if scores or chosen
    ]
    if not scores:  # counted at the median if in force (see _score)
        low = min(lows, default=0.0)
        return SubScore(name, None, 0.0, low, 100.0, tuple(inputs), tuple(missing))
    # Whole points throughout (rounding is monotone, so low <= value <= high still holds).
    n = len(scores) + len(missing)
    value = round_half_up(sum(scores) / len(scores))
    low = round_half_up(min(lows))
    high = round_half_up((sum(scores) + 100.0 * len(missing)) / n)
    return SubScore(name, value, value, low, high, tuple(inputs), tuple(missing))


def _score(
    slug: str,
    subs: dict[str, dict[str, SubScore]],
    weights: dict[str, float],
    given: dict[str, float],
) -> Score:
    exact = 0.0
    mine: dict[str, SubScore] = {}
    for name in SUB_SCORES:
        sub = subs[name][slug]
        if sub.value is None:  # counted at the median, and anywhere from its low (0 or more)
            known = [v.used for v in subs[name].values() if v.value is not None]
            median = round_half_up(_median(known))
            low = min(median, sub.low) if known else sub.low
            sub = SubScore(name, None, median, low, 100.0, sub.inputs, sub.missing)
        mine[name] = sub
        exact += weights.get(name, 0.0) * sub.used
    total = sum(weights.values())
    if total <= 0:  # no sub-score in force (no comparable evidence anywhere): unranked
        return Score(slug, 50, 0, 100, 50.0, mine)
    exact /= total
    low, high = _interval(mine, weights, given)
    return Score(slug, round_half_up(exact), round_half_up(low), round_half_up(high), exact, mine)


def _interval(
    mine: dict[str, SubScore], weights: dict[str, float], given: dict[str, float]
) -> tuple[float, float]:
    """Return the lowest and highest rank the entry's missing inputs allow.

    A sub-score in force counts from its low to its high. One left out of the rank in which
    the entry lacks a figure that another entry reports is brought in by that figure: reported,
    it compares with the other's, and puts the entry anywhere from its low (0, or more: see
    _Component.floor) to 100 there, under the weights the rank would then use (see rank()).
    Every choice of such sub-scores is tried: there are at most two (adoption and ecosystem:
    quality has no missing figure, and every entry has a times matched once the match graph
    has a count).

    Another entry's new evidence can move the rank too (every scale is relative to the
    catalog): the interval covers the entry's own missing inputs only.
    """
    extra = [n for n in SUB_SCORES if n not in weights and mine[n].missing]
    lows, highs = [], []
    for size in range(len(extra) + 1):
        for brought in itertools.combinations(extra, size):
            names = [n for n in SUB_SCORES if n in weights or n in brought]
            total = sum(given[n] for n in names)
            w = {n: given[n] if total > 0 else 1.0 for n in names}
            whole = sum(w.values())
            lows.append(sum(w[n] * mine[n].low for n in names) / whole)
            highs.append(
                sum(w[n] * (100.0 if n in brought else mine[n].high) for n in names) / whole
            )
    return min(lows), max(highs)


def _positions(scores: dict[str, Score]) -> dict[str, Score]:
    """Number the entries best first; equal shown ranks share a position."""
    order = sorted(scores.values(), key=lambda s: (-s.rank, -s.exact, s.slug))
    out: dict[str, Score] = {}
    position, previous = 0, None
    for index, score in enumerate(order, start=1):
        if score.rank != previous:
            position, previous = index, score.rank
        out[score.slug] = Score(
            score.slug, score.rank, score.low, score.high, score.exact, score.subs, position
        )
    return out


def _median(values: Iterable[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 50.0
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def round_half_up(value: float) -> int:
    """Round half up, so that 24.5 shows as 25 everywhere (Python's round() gives 24)."""
    return math.floor(value + 0.5 + 1e-9)


def _length(items: list[str] | None) -> int | None:
    return None if items is None else len(items)


def _int(value: float) -> str:
    return f"{int(value):,}"
