"""The derived views: closeness orders every entry's relatives as its definition says."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, VALID
from rivals.build import load_and_validate
from rivals.schema import Catalog
from rivals.views import closeness


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
