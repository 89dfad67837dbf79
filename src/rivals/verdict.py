"""Two ranked entries -> the sentences a comparison page prints (pure).

Every sentence states only what the numbers on the same page show: ranks and sub-scores are
compared as the whole points the page prints, a sub-score is compared only when both sides
have evidence for it, and a lead is never claimed on equal values. Where a rank rests on
something else, the verdict says so: a sub-score counted at the catalog median for a side
without evidence, two sides whose sub-score comes from different figures, or in part (each
figure is placed against the catalog, not against the other side), a sub-score of weight 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from rivals.problems import counted
from rivals.rank import SUB_LABELS, Score, SubScore
from rivals.records import SUB_SCORES, Catalog, folded_name, told_apart


class Comparison(NamedTuple):
    """What a pair page says about two entries, `a` < `b` by slug (a tuple: one per pair)."""

    a: str
    b: str
    lead: str
    basis: str
    verdict: tuple[str, ...]
    shared: tuple[str, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    times_matched_together: int
    graph: bool  # False when no two entries were ever matched (no count above 0)


def compare(
    catalog: Catalog, a: Score, b: Score, weights: Mapping[str, float] | None = None
) -> Comparison:
    """Return the comparison of two ranked entries (their order does not matter).

    `weights` are the weights in force of the sub-scores that count in this catalog's rank
    (Leaderboard.effective; by default all four, equally).
    """
    if weights is None:
        weights = dict.fromkeys(SUB_SCORES, 1 / len(SUB_SCORES))
    if a.slug > b.slug:
        a, b = b, a
    side_a, side_b = _side(catalog, a), _side(catalog, b)
    caps_a, set_a = side_a.capabilities, side_a.capability_set
    caps_b, set_b = side_b.capabilities, side_b.capability_set
    both: list[str] = []
    mine: list[str] = []
    for cap in caps_a:
        (both if cap in set_b else mine).append(cap)
    shared, only_a = tuple(both), tuple(mine)
    only_b = tuple([cap for cap in caps_b if cap not in set_a])
    together = catalog.pair_count(a.slug, b.slug)
    graph = catalog.has_match_graph
    name_a, name_b = pair_names(a.slug, side_a.name, b.slug, side_b.name)
    names = {a.slug: name_a, b.slug: name_b}
    if not weights:  # no sub-score has evidence anywhere in the catalog
        lead = (
            f"Neither {names[a.slug]} nor {names[b.slug]} can be ranked: no entry of the catalog "
            f"has comparable evidence for any sub-score, so every rank is the midpoint, "
            f"{a.rank}/100."
        )
        sentences = [lead]
    else:
        lead = _headline(names, a, b, "ranks")
        figures_a, figures_b = side_a.figures, side_b.figures
        apart = {n for n in weights if not figures_a[n] & figures_b[n]}
        partly = {n for n in weights if n not in apart and figures_a[n] != figures_b[n]}
        sentences = [_headline(names, a, b, "scores")]
        sentences += _sub_score_sentences(names, a, b, weights, apart, partly)
    free = {a.slug: side_a.free, b.slug: side_b.free}
    sentences += _free_tier(names, a, b, free)
    if weights:  # (else the lead says why neither can be ranked; no evidence is "missing")
        sentences += _uncertainty(names, a, b, weights)
    if not shared and not side_a.categories & side_b.categories:
        sentences.append(
            f"{names[a.slug]} does a different job from {names[b.slug]}: the two share no "
            "category and no capability, so the ranks say which is better established, not "
            "which to pick for a given task."
        )
    return Comparison(
        a.slug,
        b.slug,
        lead,
        _basis(len(shared), len(only_a) + len(only_b), together, graph),
        tuple(sentences),
        shared,
        only_a,
        only_b,
        together,
        graph,
    )


def labels(catalog: Catalog) -> dict[str, str]:
    """Return what pages call each entry among others: its name, or, when a reader could not
    tell it from another entry's name anywhere in the catalog, "LLaVA (llava)" (kept with the
    catalog)."""
    found: dict[str, str] | None = catalog.__dict__.get("_labels")
    if found is None:
        names = {slug: entry.name for slug, entry in catalog.entries.items()}
        found = catalog.__dict__["_labels"] = told_apart(names)
    return found


def pair_names(a_slug: str, a_name: str, b_slug: str, b_name: str) -> tuple[str, str]:
    """Return what a pair page calls its two entries: their names, or, when a reader could
    not tell the names apart, each with its slug, "LLaVA (llava)" and "LLaVA (llava-2)"."""
    if folded_name(a_name) != folded_name(b_name):
        return a_name, b_name
    return f"{a_name} ({a_slug})", f"{b_name} ({b_slug})"


class _Side(NamedTuple):
    name: str
    capabilities: tuple[str, ...]
    capability_set: frozenset[str]
    categories: frozenset[str]
    free: bool
    figures: dict[str, frozenset[str]]  # sub-score -> the comparable figures it comes from


def _side(catalog: Catalog, score: Score) -> _Side:
    """Return what comparisons use of one entry (kept with the catalog: every pair asks)."""
    memo: dict[str, _Side] | None = catalog.__dict__.get("_verdict_sides")
    if memo is None:
        memo = catalog.__dict__["_verdict_sides"] = {}
    found = memo.get(score.slug)
    if found is None:
        entry = catalog.entries[score.slug]
        order = tuple(c.id for c in entry.capabilities)
        found = memo[score.slug] = _Side(
            labels(catalog)[score.slug],
            order,
            frozenset(order),
            frozenset(entry.categories),
            entry.pricing.has_free_tier,
            {
                name: frozenset(e.label for e in sub.inputs if e.score is not None)
                for name, sub in score.subs.items()
            },
        )
    return found


def _headline(names: dict[str, str], a: Score, b: Score, verb: str) -> str:
    if a.rank == b.rank:
        return f"{names[a.slug]} is level with {names[b.slug]} at {a.rank}/100."
    hi, lo = (a, b) if a.rank > b.rank else (b, a)
    gap = hi.rank - lo.rank
    ahead = f", {gap} point{'s' if gap != 1 else ''} ahead" if verb == "ranks" else ""
    return (
        f"{names[hi.slug]} {verb} higher at {hi.rank}/100 vs "
        f"{names[lo.slug]} at {lo.rank}/100{ahead}."
    )


def _basis(shared: int, unique: int, together: int, graph: bool) -> str:
    some = counted(shared, "shared capability", "shared capabilities") if shared else None
    caps = f"{some or 'no shared capability'} and {unique} that only one side lists"
    if not graph:  # "these two were never matched" would single out a pair: none ever was
        never = "no two entries of the catalog were ever matched"
        return f"The comparison rests on {caps}; in the match graph, {never}."
    if together:
        times = f"{together:,} time{'s' if together != 1 else ''}"
        return f"The comparison rests on {caps}; in the match graph the two were matched {times}."
    return (
        f"The comparison rests on {caps}; in the match graph the two were never matched together."
    )


_LOWER_LABELS = {name: label.lower() for name, label in SUB_LABELS.items()}


def _head_to_head(a: Score, b: Score, weights: Mapping[str, float], apart: set[str]) -> list[str]:
    """Return the sub-scores that count and that the two get from the same figures (both have
    evidence, none of it in `apart`)."""
    return [
        name
        for name, weight in weights.items()
        if weight > 0
        and name not in apart
        and a.subs[name].value is not None
        and b.subs[name].value is not None
    ]


def _margin(hi: Score, lo: Score, weights: Mapping[str, float], apart: set[str]) -> float:
    """Return what `hi` makes against `lo` of the sub-scores compared head to head (see
    _head_to_head), weighted as the rank weighs them: 0 or less means its rank comes from the
    rest. Sums of float weights that are 0 on paper come out a hair off (0.1 x -3 + 0.3 x 1):
    within 1e-9 of 0 is 0."""
    margin = sum(
        weights[name] * (hi.subs[name].used - lo.subs[name].used)
        for name in _head_to_head(hi, lo, weights, apart)
    )
    return 0.0 if abs(margin) < 1e-9 else margin


def _sub_score_sentences(
    names: dict[str, str],
    a: Score,
    b: Score,
    weights: Mapping[str, float],
    apart: set[str],
    partly: set[str],
) -> list[str]:
    """Say who leads on which sub-score of those in force (`weights`), and what else the
    ranks rest on; `apart` names the sub-scores the two get from no figure in common, `partly`
    those they get from some figures in common and some that only one of them reports."""
    lead_a: list[str] = []
    lead_b: list[str] = []
    led_a: set[str] = set()
    led_b: set[str] = set()
    level, unknown, different, some, weightless = [], [], [], [], []
    subs_a, subs_b = a.subs, b.subs
    for name, weight in weights.items():
        sa, sb = subs_a[name], subs_b[name]
        va, vb = sa.value, sb.value
        label = _LOWER_LABELS[name]
        if va is None or vb is None:
            if weight > 0:
                unknown.append((label, sa, sb))
            continue
        if weight <= 0:
            if va != vb:
                weightless.append((label, va, vb))
            continue
        if name in apart:
            different.append(label)
        elif name in partly:
            some.append(label)
        if va == vb:
            level.append(f"{label} ({va} each)")
        else:
            (lead_a if va > vb else lead_b).append(f"{label} ({max(va, vb)} vs {min(va, vb)})")
            (led_a if va > vb else led_b).add(name)
    out = []
    name_a, name_b = names[a.slug], names[b.slug]
    if lead_a and lead_b:
        out.append(
            f"{name_a} leads on {_and(lead_a)}, while {name_b} is stronger on {_and(lead_b)}."
        )
    elif lead_a or lead_b:
        out.append(f"{name_a if lead_a else name_b} leads on {_and(lead_a or lead_b)}.")
    if level:
        out.append(f"They are level on {_and(level)}.")
    if different:
        which = "that comparison places" if len(different) == 1 else "those comparisons place"
        out.append(
            f"On {_and(different)} the two share no figure, so {which} each against the rest of"
            " the catalog, not against the other."
        )
    if some:
        which = "that comparison also counts" if len(some) == 1 else "those comparisons also count"
        out.append(
            f"On {_and(some)} the two share some figures but not all, so {which} figures that"
            " only one of them reports, each placed against the rest of the catalog."
        )
    out += _median_sentences(names, a, b, unknown)
    led_hi = led_a if a.rank > b.rank else led_b
    hi_side, lo_side = (a, b) if a.rank > b.rank else (b, a)
    elsewhere = " (a side without evidence is counted at the catalog median; a figure only one"
    elsewhere += " side reports is placed against the rest of the catalog)"
    # A lead where the two share no figure compares each with the catalog, not with the other.
    if a.rank != b.rank and not led_hi - apart and (unknown or led_hi):
        leads = (
            "it leads only where the two share no figure"
            if led_hi
            else "it leads on no sub-score that counts"
        )
        out.append(
            f"{names[hi_side.slug]} ranks higher only through the sub-scores that are not"
            f" compared head to head{elsewhere}; {leads}."
        )
    elif (
        a.rank != b.rank
        and (unknown or led_hi & (apart | partly))
        and (margin := _margin(hi_side, lo_side, weights, apart | partly)) <= 0
    ):
        if not _head_to_head(a, b, weights, apart | partly):  # "even" on nothing says nothing
            after = "; no sub-score that counts is compared head to head here"
        elif margin < 0:
            after = f": on those that are, weighted as the rank weighs them, {names[lo_side.slug]}"
            after += " comes out ahead"
        else:
            after = ": on those that are, weighted as the rank weighs them, the two come out even"
        out.append(
            f"{names[hi_side.slug]} ranks higher through the sub-scores that are not compared"
            f" head to head{elsewhere}{after}."
        )
    for label, va, vb in weightless:
        who = name_a if va > vb else name_b
        out.append(
            f"{who} leads on {label} ({max(va, vb)} vs {min(va, vb)}), which has weight 0 in "
            "this site's rank."
        )
    return out


def _median_sentences(
    names: dict[str, str], a: Score, b: Score, unknown: list[tuple[str, SubScore, SubScore]]
) -> list[str]:
    """Say which sub-scores are not compared for want of evidence, and at what value each
    rank counts them (the catalog median: see rank.py)."""
    gaps: dict[str, list[tuple[str, int]]] = {}
    for label, sa, sb in unknown:
        median = int(sa.used if sa.value is None else sb.used)
        if sa.value is None and sb.value is None:
            who = ""
        else:
            who = names[a.slug] if sa.value is None else names[b.slug]
        gaps.setdefault(who, []).append((label, median))
    out = []
    for who, found in gaps.items():
        labels = [label for label, _ in found]
        it = "it is" if len(labels) == 1 else "they are"
        medians = _and([f"{label} at {median}" for label, median in found])
        if not who:
            out.append(
                f"Neither side has comparable evidence for {_or(labels)}, so {it} not compared;"
                f" both ranks count the catalog median ({medians}), which does not separate them."
            )
        else:
            out.append(
                f"{who} has no comparable evidence for {_or(labels)}, so {it} not compared;"
                f" its rank counts the catalog median ({medians})."
            )
    return out


def _free_tier(names: dict[str, str], a: Score, b: Score, free: dict[str, bool]) -> list[str]:
    if free[a.slug] == free[b.slug]:
        return []
    f, p = (a, b) if free[a.slug] else (b, a)
    if f.rank < p.rank:
        return [
            f"However, {names[f.slug]} offers a free tier, which may be better for getting started."
        ]
    return [f"{names[f.slug]} offers a free tier, which {names[p.slug]} does not."]


def _uncertainty(
    names: dict[str, str], a: Score, b: Score, weights: Mapping[str, float]
) -> list[str]:
    if a.complete and b.complete:
        return []

    def span(score: Score) -> str:
        name = names[score.slug]
        if not score.complete:
            return f"{name} could be anywhere from {score.low} to {score.high}"
        subs = score.subs
        if any(subs[n].value is None for n in weights) or any(s.missing for s in subs.values()):
            # (what is missing has too little weight to move the rank a whole point: a weight
            # of 0, even in a sub-score left out of the rank that it would bring in)
            return f"{name} stays at {score.rank} whatever its missing evidence shows"
        return f"{name} stays at {score.rank} with complete evidence"

    ranges = f"{span(a)}; {span(b)}"
    if a.rank == b.rank:
        return [f"Some evidence is missing ({ranges}), so complete data could separate them."]
    hi, lo = (a, b) if a.rank > b.rank else (b, a)
    if lo.high > hi.low:
        return [
            f"Some evidence is missing and the ranges overlap ({ranges}), "
            "so complete data could change the order."
        ]
    if lo.high == hi.low:
        return [
            f"Some evidence is missing and the ranges meet ({ranges}), "
            "so complete data could bring them level."
        ]
    return []


def _and(items: list[str], word: str = "and") -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _or(items: list[str]) -> str:
    return _and(items, "or")
