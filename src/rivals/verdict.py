"""Two ranked entries -> the sentences a comparison page prints (pure).

Every sentence states only what the numbers on the same page show: ranks and sub-scores are
compared as the whole points the page prints, a sub-score is compared only when both sides
have evidence for it, and a lead is never claimed on equal values.
"""

from __future__ import annotations

from typing import NamedTuple

from rivals.rank import SUB_LABELS, Score
from rivals.records import SUB_SCORES, Catalog


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


def compare(
    catalog: Catalog, a: Score, b: Score, active: tuple[str, ...] = SUB_SCORES
) -> Comparison:
    """Return the comparison of two ranked entries (their order does not matter).

    `active` names the sub-scores that count in this catalog's rank.
    """
    if a.slug > b.slug:
        a, b = b, a
    side_a, side_b = _side(catalog, a.slug), _side(catalog, b.slug)
    caps_a, set_a = side_a.capabilities, side_a.capability_set
    caps_b, set_b = side_b.capabilities, side_b.capability_set
    both: list[str] = []
    mine: list[str] = []
    for cap in caps_a:
        (both if cap in set_b else mine).append(cap)
    shared, only_a = tuple(both), tuple(mine)
    only_b = tuple([cap for cap in caps_b if cap not in set_a])
    together = catalog.pair_count(a.slug, b.slug)
    names = {a.slug: side_a.name, b.slug: side_b.name}
    if side_a.name.casefold() == side_b.name.casefold():  # two entries of one name: say which
        names = {slug: f"{name} ({slug})" for slug, name in names.items()}
    sentences = [_headline(names, a, b, "scores"), *_sub_score_sentences(names, a, b, active)]
    free = {a.slug: side_a.free, b.slug: side_b.free}
    sentences += _free_tier(names, a, b, free)
    sentences += _uncertainty(names, a, b)
    if not shared and not side_a.categories & side_b.categories:
        sentences.append(
            f"{names[a.slug]} and {names[b.slug]} do different jobs: they share no category and no "
            "capability, so the ranks say which is better established, not which to pick "
            "for a given task."
        )
    return Comparison(
        a.slug,
        b.slug,
        _headline(names, a, b, "ranks"),
        _basis(len(shared), len(only_a) + len(only_b), together),
        tuple(sentences),
        shared,
        only_a,
        only_b,
        together,
    )


class _Side(NamedTuple):
    name: str
    capabilities: tuple[str, ...]
    capability_set: frozenset[str]
    categories: frozenset[str]
    free: bool


def _side(catalog: Catalog, slug: str) -> _Side:
    """Return what comparisons use of one entry (kept with the catalog: every pair asks)."""
    memo: dict[str, _Side] | None = catalog.__dict__.get("_verdict_sides")
    if memo is None:
        memo = catalog.__dict__["_verdict_sides"] = {}
    found = memo.get(slug)
    if found is None:
        entry = catalog.entries[slug]
        order = tuple(c.id for c in entry.capabilities)
        found = memo[slug] = _Side(
            entry.name,
            order,
            frozenset(order),
            frozenset(entry.categories),
            entry.pricing.has_free_tier,
        )
    return found


def _headline(names: dict[str, str], a: Score, b: Score, verb: str) -> str:
    if a.rank == b.rank:
        return f"{names[a.slug]} and {names[b.slug]} are level at {a.rank}/100."
    hi, lo = (a, b) if a.rank > b.rank else (b, a)
    gap = hi.rank - lo.rank
    ahead = f", {gap} point{'s' if gap != 1 else ''} ahead" if verb == "ranks" else ""
    return (
        f"{names[hi.slug]} {verb} higher at {hi.rank}/100 vs "
        f"{names[lo.slug]} at {lo.rank}/100{ahead}."
    )


def _basis(shared: int, unique: int, together: int) -> str:
    caps = (
        f"{shared} shared capabilit{'y' if shared == 1 else 'ies'} and {unique} that only one "
        f"side lists"
    )
    if together:
        graph = f"the two were matched {together:,} time{'s' if together != 1 else ''}"
        return f"The comparison rests on {caps}; in the match graph {graph}."
    return f"The comparison rests on {caps}; the match graph has no record of the two together."


_LOWER_LABELS = {name: label.lower() for name, label in SUB_LABELS.items()}


def _sub_score_sentences(
    names: dict[str, str], a: Score, b: Score, active: tuple[str, ...]
) -> list[str]:
    """Say who leads on which sub-score; `active` leaves out those no entry has evidence for."""
    lead_a: list[str] = []
    lead_b: list[str] = []
    level, unknown = [], []
    subs_a, subs_b = a.subs, b.subs
    for name in active:
        va, vb = subs_a[name].value, subs_b[name].value
        label = _LOWER_LABELS[name]
        if va is None or vb is None:
            unknown.append((label, va is None, vb is None))
        elif va == vb:
            level.append(f"{label} ({va} each)")
        elif va > vb:
            lead_a.append(f"{label} ({va} vs {vb})")
        else:
            lead_b.append(f"{label} ({vb} vs {va})")
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
    gaps: dict[str, list[str]] = {}
    for label, a_missing, b_missing in unknown:
        if a_missing and b_missing:
            who = "Neither side has"
        else:
            who = f"{names[a.slug] if a_missing else names[b.slug]} has no"
        gaps.setdefault(who, []).append(label)
    for who, labels in gaps.items():
        it = "it is" if len(labels) == 1 else "they are"
        out.append(f"{who} comparable evidence for {_or(labels)}, so {it} not compared.")
    return out


def _free_tier(names: dict[str, str], a: Score, b: Score, free: dict[str, bool]) -> list[str]:
    if free[a.slug] == free[b.slug]:
        return []
    f, p = (a, b) if free[a.slug] else (b, a)
    if f.rank <= p.rank:
        return [
            f"However, {names[f.slug]} offers a free tier, which may be better for getting started."
        ]
    return [f"{names[f.slug]} also offers a free tier, which {names[p.slug]} does not."]


def _uncertainty(names: dict[str, str], a: Score, b: Score) -> list[str]:
    if a.complete and b.complete:
        return []
    ranges = (
        f"{names[a.slug]} could be anywhere from {a.low} to {a.high}, "
        f"{names[b.slug]} from {b.low} to {b.high}"
    )
    if a.rank == b.rank:
        return [f"Some evidence is missing ({ranges}), so complete data could separate them."]
    if max(a.low, b.low) <= min(a.high, b.high):
        return [
            f"Some evidence is missing and the ranges overlap ({ranges}), "
            "so complete data could change the order."
        ]
    return []


def _and(items: list[str], word: str = "and") -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _or(items: list[str]) -> str:
    return _and(items, "or")
