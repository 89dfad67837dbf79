"""The default catalog is one someone would browse: sourced, dated, varied, well connected."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from conftest import REPO
from rivals.build import load_and_validate
from rivals.records import Catalog


@pytest.fixture(scope="module")
def default() -> Catalog:
    return load_and_validate(REPO / "data")


def test_size_and_spread(default: Catalog) -> None:
    assert len(default.entries) >= 50
    assert len(default.categories) >= 7
    assert len({e.kind for e in default.entries.values()}) >= 5
    n = len(default.entries)
    assert n * (n - 1) // 2 >= 1200


def test_every_entry_is_sourced_and_dated(default: Catalog) -> None:
    for slug, entry in default.entries.items():
        assert entry.sources, slug
        assert any(s.title for s in entry.sources), slug
        if entry.signals is not None:
            assert entry.signals.as_of is not None, slug
        assert len(entry.capabilities) >= 4, slug
        assert entry.license, slug
        assert any((url for _, url in entry.links.items())), slug


def test_every_category_has_three_entries(default: Catalog) -> None:
    counts = Counter(c for e in default.entries.values() for c in e.categories)
    for category in default.categories:
        assert counts[category] >= 3, category


def test_every_capability_id_is_shared(default: Catalog) -> None:
    users = Counter(c.id for e in default.entries.values() for c in e.capabilities)
    for cap in default.capabilities:
        assert users[cap] >= 2, cap


def test_pairs_within_a_category_share_capabilities(default: Catalog) -> None:
    by_category = defaultdict(list)
    for entry in default.entries.values():
        for c in entry.categories:
            by_category[c].append({cap.id for cap in entry.capabilities})
    everything = []
    for category, caps in by_category.items():
        shared = [len(a & b) for i, a in enumerate(caps) for b in caps[i + 1 :]]
        everything += shared
        # hosted-services mixes image and vision APIs, so its floor is lower than the rest's
        assert sum(shared) / len(shared) >= 1.5, category
    assert sum(everything) / len(everything) >= 2.5


def sentences(text: str) -> list[str]:
    return [
        s.strip().lower() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s) > 25
    ]


def test_no_two_entries_share_a_sentence(default: Catalog) -> None:
    owner: dict[str, str] = {}
    for slug, entry in default.entries.items():
        texts = [entry.summary, entry.pricing.note or ""]
        for cap in entry.capabilities:
            texts += [cap.summary, cap.unique or "", cap.vs_alternatives or ""]
        for sentence in {s for t in texts for s in sentences(t)}:
            assert owner.setdefault(sentence, slug) == slug, (sentence, owner[sentence], slug)


def test_benchmarks_are_reported_by_several_entries(default: Catalog) -> None:
    reporters = Counter(
        b for e in default.entries.values() if e.signals for b in e.signals.benchmarks
    )
    shared = [b for b, n in reporters.items() if n >= 2]
    assert len(shared) >= 4
