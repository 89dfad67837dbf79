"""The site as data: which pages exist, and the context each template gets. No Jinja here."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, NamedTuple

from rivals.markup import plain_text
from rivals.rank import SUB_LABELS
from rivals.schema import SUB_SCORES, Catalog
from rivals.verdict import Comparison
from rivals.views import CapabilityView, EntryView, Site, feature_rows, pair_slugs


class Page(NamedTuple):
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


def page_key(site: Site, page: Page, base: str) -> str:
    """Return a hash of every input of a page; `base` covers templates, code and settings.

    Two builds that give a page the same key render the same bytes for it, so the second
    build can skip it.
    """
    if page.kind == "compare":
        a, b = page.key
        parts = [site.fingerprint(a), site.fingerprint(b), str(site.catalog.pair_count(a, b))]
    elif page.kind == "model":
        parts = [site.fingerprint(page.key[0])]
        parts += [f"{r.slug}:{r.name}:{r.rank}" for r in site.rivals(page.key[0])]
    else:
        parts = [site.fingerprint(s) for s in site.entries]
    text = "\0".join((base, page.kind, page.path, *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


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
        "rows": feature_rows(site, a_slug, b_slug),
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
        "rows": feature_rows(site, slug),
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


def _pair_url(a: str, b: str) -> str:
    a, b = sorted((a, b))
    return f"compare/{a}-vs-{b}/"


def _canonical(site: Site, page: Page) -> str | None:
    base = site.catalog.site.base_url
    if base is None:
        return None
    return base.rstrip("/") + "/" + page.url
