"""The derived views: closeness orders every entry's relatives as its definition says; what
the workers share can be computed in another process."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, VALID, tree
from rivals.build import BuildOptions, build_site, load_and_validate
from rivals.forked import Child
from rivals.rank import rank
from rivals.records import Catalog
from rivals.views import Site, closeness


def reference_closeness(catalog: Catalog) -> dict[str, list[str]]:
    """The definition, written out plainly: 3 x shared capabilities + 2 x shared categories
    + times matched; entries with a score of 0 left out; ties by slug."""
    order = {}
    for slug, entry in catalog.entries.items():
        caps, cats = {c.id for c in entry.capabilities}, set(entry.categories)
        scored = []
        for other, them in catalog.entries.items():
            if other == slug:
                continue
            score = 3 * len(caps & {c.id for c in them.capabilities})
            score += 2 * len(cats & set(them.categories)) + catalog.pair_count(slug, other)
            if score:
                scored.append((-score, other))
        order[slug] = [other for _, other in sorted(scored)]
    return order


@pytest.mark.parametrize("data", [VALID, REPO / "data"], ids=["fixture", "default"])
def test_closeness_follows_its_definition(data: Path) -> None:
    catalog = load_and_validate(data)
    found = closeness(catalog)
    assert found == reference_closeness(catalog)
    assert any(len(v) > 1 for v in found.values())  # something to order


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
