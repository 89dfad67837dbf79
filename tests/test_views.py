"""The derived views: closeness orders every entry's relatives as its definition says; what
the workers share can be computed in another process."""

from __future__ import annotations

import dataclasses
import itertools
import random
from pathlib import Path

import pytest

from conftest import REPO, VALID, tree
from rivals.build import BuildOptions, build_site, load_and_validate
from rivals.forked import Child
from rivals.rank import rank
from rivals.records import Catalog, Match
from rivals.views import CLOSEST, Site, closeness, closest_kept, pair_slugs


def reference_score(catalog: Catalog, slug: str, other: str) -> int:
    """The closeness of two entries, as reference_closeness defines it."""
    lists = [c.id for e in catalog.entries.values() for c in e.capabilities]
    weight = {c: 1 if lists.count(c) > len(catalog.entries) / 4 else 3 for c in lists}
    entry, them = catalog.entries[slug], catalog.entries[other]
    shared = {c.id for c in entry.capabilities} & {c.id for c in them.capabilities}
    score = sum(weight[c] for c in shared) + catalog.pair_count(slug, other)
    return score + 2 * len(set(entry.categories) & set(them.categories))


def reference_closeness(catalog: Catalog) -> dict[str, list[str]]:
    """The definition, written out plainly: 3 x shared capabilities (1 for one that more than
    a quarter of the entries list) + 2 x shared categories + times matched; entries with a
    score of 0 left out; ties by slug."""
    order = {}
    lists = [c.id for e in catalog.entries.values() for c in e.capabilities]
    weight = {c: 1 if lists.count(c) > len(catalog.entries) / 4 else 3 for c in lists}
    for slug, entry in catalog.entries.items():
        caps, cats = {c.id for c in entry.capabilities}, set(entry.categories)
        scored = []
        for other, them in catalog.entries.items():
            if other == slug:
                continue
            score = sum(weight[c] for c in caps & {c.id for c in them.capabilities})
            score += 2 * len(cats & set(them.categories)) + catalog.pair_count(slug, other)
            if score:
                scored.append((-score, other))
        order[slug] = [other for _, other in sorted(scored)]
    return order


@pytest.mark.parametrize(
    ("data", "max_rivals"),
    [(VALID, None), (REPO / "data", None), (REPO / "data", 3), (REPO / "data", 20)],
    ids=["fixture", "default", "max-rivals-3", "max-rivals-20"],
)
def test_closeness_follows_its_definition(data: Path, max_rivals: int | None) -> None:
    catalog = load_and_validate(data)
    if data != VALID:
        catalog = with_matches(catalog)
    if max_rivals is not None:
        catalog = dataclasses.replace(catalog, site=catalog.site._replace(max_rivals=max_rivals))
    found = closeness(catalog)
    keep = max(CLOSEST, max_rivals or 0)  # what the site reads of each order, at most
    assert closest_kept(catalog) == keep
    assert found == {slug: order[:keep] for slug, order in reference_closeness(catalog).items()}
    assert any(len(v) > 1 for v in found.values())  # something to order
    assert max(map(len, found.values())) == (keep if data != VALID else 3)  # VALID has 4 entries


def with_matches(catalog: Catalog) -> Catalog:
    """Return `catalog` with a made-up match graph (the default catalog records none): each
    entry matched with the next two of its first category, counts 0 to 3."""
    by_category: dict[str, list[str]] = {}
    for slug in sorted(catalog.entries):
        by_category.setdefault(catalog.entries[slug].categories[0], []).append(slug)
    pairs = {
        (members[i], members[j])
        for members in by_category.values()
        for i in range(len(members))
        for j in range(i + 1, min(i + 3, len(members)))
    }
    matches = tuple(Match(pair, n % 4) for n, pair in enumerate(sorted(pairs)))
    assert len(matches) > 20
    return dataclasses.replace(catalog, matches=matches)


@pytest.mark.parametrize("policy", ["all", "same-category", "matched"])
@pytest.mark.parametrize("cap", [None, 1, 4])
def test_pair_slugs_follows_the_policy_and_the_cap(policy: str, cap: int | None) -> None:
    catalog = with_matches(load_and_validate(REPO / "data"))
    expected = _check_pair_slugs(catalog, policy, cap)
    assert 0 < len(expected) < 52 * 51 // 2 or (policy, cap) == ("all", None)


@pytest.mark.parametrize("seed", range(12))
def test_pair_slugs_follows_the_cap_where_few_partners_are_related(
    tmp_path: Path, seed: int
) -> None:
    """Catalogs of few capabilities and categories and sparse matches, so that many entries
    have fewer related entries than the cap among those the policy allows (where the pick
    cannot come from the closeness order alone)."""
    rng = random.Random(seed)
    caps, cats = (
        [f"c{i}" for i in range(rng.choice([2, 5, 30]))],
        ["k0", "k1", "k2"][: seed % 3 + 1],
    )
    slugs = [f"e{i:02d}" for i in range(12 + seed * 2)]
    models = tmp_path / "models"
    models.mkdir()
    (tmp_path / "capabilities.yaml").write_text("".join(f"{c}:\n  name: {c}\n" for c in caps))
    (tmp_path / "categories.yaml").write_text("".join(f"{c}:\n  name: {c}\n" for c in cats))
    for slug in slugs:
        listed = "".join(f"  - {{id: {c}, summary: x}}\n" for c in rng.sample(caps, 1))
        (models / f"{slug}.yaml").write_text(
            f"name: {slug}\nkind: model\nsummary: x\npricing: {{plan: free}}\n"
            f"categories: [{', '.join(rng.sample(cats, rng.randint(1, len(cats))))}]\n"
            f"capabilities:\n{listed}"
        )
    pairs = sorted({tuple(sorted(rng.sample(slugs, 2))) for _ in range(len(slugs))})
    (tmp_path / "matches.yaml").write_text(
        "".join(f"- {{pair: [{a}, {b}], count: {rng.choice([0, 1, 5])}}}\n" for a, b in pairs)
    )
    catalog = load_and_validate(tmp_path)
    for policy in ("same-category", "matched"):
        for cap in (1, 3, 9):
            _check_pair_slugs(catalog, policy, cap)


def _check_pair_slugs(catalog: Catalog, policy: str, cap: int | None) -> list[tuple[str, str]]:
    """Assert that pair_slugs gives `catalog` under `policy` and `cap` the pairs their
    definition does, and return them."""
    catalog = dataclasses.replace(catalog, site=catalog.site._replace(pairs=policy, max_rivals=cap))
    listed = {tuple(sorted(match.pair)) for match in catalog.matches}

    def allowed(a: str, b: str) -> bool:
        if policy == "same-category":
            return bool({*catalog.entries[a].categories} & {*catalog.entries[b].categories})
        return policy != "matched" or tuple(sorted((a, b))) in listed

    # Each entry's `cap` closest among the entries the policy allows it a page with (for
    # `all`, those closeness lists: entries that share nothing are no one's rival).
    if policy == "all":
        near = {slug: set(order[:cap]) for slug, order in reference_closeness(catalog).items()}
    else:
        near = {
            a: {
                b
                for _, b in sorted(
                    (-reference_score(catalog, a, b), b)
                    for b in catalog.entries
                    if b != a and allowed(a, b)
                )[:cap]
            }
            for a in catalog.entries
        }
    expected = [
        (a, b)
        for a, b in itertools.combinations(sorted(catalog.entries), 2)
        if allowed(a, b) and (cap is None or b in near[a] or a in near[b])
    ]
    assert pair_slugs(catalog) == expected, (policy, cap)
    if policy != "all":  # an entry the policy allows a page gets one, whatever the cap
        paged = {slug for pair in expected for slug in pair}
        for a in catalog.entries:
            assert a in paged or not any(allowed(a, b) for b in catalog.entries if b != a), a
    return expected


def test_the_site_reads_no_further_than_closeness_keeps() -> None:
    site = _site(REPO / "data")
    assert len(site.alternatives("llava", CLOSEST)) == CLOSEST
    with pytest.raises(ValueError, match="keeps 8 closest"):
        site.alternatives("llava", CLOSEST + 1)
    with pytest.raises(ValueError, match="keeps 8 closest"):
        site.related("llava", "sdxl", CLOSEST + 1)


def _site(data: Path) -> Site:
    catalog = load_and_validate(data)
    return Site(catalog, rank(catalog))


def test_what_a_child_computes_for_every_worker_is_what_each_would_compute() -> None:
    """build._share_ahead: closeness and fingerprints, computed in a forked child, sent back
    pickled and adopted by a site that has not computed them."""
    found = Child.fork(_site(REPO / "data").shared).result()
    assert found is not None
    adopted, itself = _site(REPO / "data"), _site(REPO / "data")
    adopted.adopt(found)
    assert adopted._prints.keys() == itself.entries.keys()  # taken, not computed
    assert closeness(adopted.catalog) == closeness(itself.catalog)
    assert all(adopted.fingerprint(s) == itself.fingerprint(s) for s in itself.entries)


def test_a_build_with_workers_adopts_what_the_child_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adopted: list[int] = []
    adopt = Site.adopt
    monkeypatch.setattr(Site, "adopt", lambda self, found: adopted.append(1) or adopt(self, found))
    for jobs in (1, 2):
        out = tmp_path / f"site{jobs}"
        build_site(
            BuildOptions(data=REPO / "data", templates=None, out=out, jobs=jobs, search=False)
        )
    assert adopted == [1]  # with two workers only
    assert tree(tmp_path / "site1") == tree(tmp_path / "site2")


def test_a_capability_many_entries_list_counts_less_than_a_specific_one() -> None:
    catalog = load_and_validate(REPO / "data")
    order = closeness(catalog)["whisperx"]
    # GPT-4o transcribes speech too; BakLLaVA only runs locally and quantized, as a third of
    # the catalog does.
    assert "gpt-4o" in order and order.index("gpt-4o") < order.index("bakllava")
