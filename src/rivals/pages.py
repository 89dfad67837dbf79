"""The site as data: which pages exist, and the context each template gets. No Jinja here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from rivals.markup import ScriptJson, isolated, plain_text, script_json
from rivals.problems import counted
from rivals.rank import METHOD, SUB_LABELS
from rivals.records import SUB_SCORES, Catalog
from rivals.verdict import Comparison, pair_names
from rivals.views import (
    LINK_FIELDS,
    CapabilityRow,
    EntryView,
    Site,
    board_legend,
    feature_rows,
    pair_slugs,
    sub_score_note,
)


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
    """Yield every page of the site, in a fixed order: HTML pages, then their JSON twins."""
    fixed = fixed_pages(catalog)
    per_entry = ("model", "api-model", "api-models")
    yield from (page for page in fixed if page.kind not in per_entry)
    for a, b in pair_slugs(catalog):
        yield from pair_pages(a, b)
    yield from (page for page in fixed if page.kind in per_entry)


def fixed_pages(catalog: Catalog) -> list[Page]:
    """Return the pages that are not pair pages (a few per entry): those come by pair_pages."""
    pages = [
        Page("index.html", ("index.html",), "home"),
        Page("methodology/index.html", ("methodology.html",), "methodology"),
        Page("search/index.html", ("search.html",), "search"),
        Page("404.html", ("404.html",), "notfound"),
    ]
    for category in catalog.categories:
        pages.append(
            Page(
                f"categories/{category}/index.html",
                (f"categories/{category}.html", "category.html"),
                "category",
                (category,),
            )
        )
    for slug in catalog.entries:
        pages.append(
            Page(
                f"models/{slug}/index.html", (f"models/{slug}.html", "model.html"), "model", (slug,)
            )
        )
        pages.append(Page(f"api/models/{slug}.json", (), "api-model", (slug,)))
    pages.append(Page("api/models.json", (), "api-models"))
    return pages


def pair_paths(a: str, b: str) -> tuple[str, str]:
    """Return the output paths of the pair a/b (a < b): its page and its JSON twin."""
    return f"compare/{a}-vs-{b}/index.html", f"api/compare/{a}-vs-{b}.json"


def pair_pages(a: str, b: str) -> tuple[Page, Page]:
    """Return the page of the pair a/b (a < b) and its JSON twin."""
    page, twin = pair_paths(a, b)
    return (
        Page(page, (f"compare/{a}-vs-{b}.html", "compare.html"), "compare", (a, b)),
        Page(twin, (), "api-compare", (a, b)),
    )


def page_key(site: Site, page: Page, base: str) -> str:
    """Return a hash of every input of a page; `base` covers templates, code and settings.

    Two builds that give a page the same key render the same bytes for it, so the second
    build can skip it.
    """
    kind = page.kind.removeprefix("api-")
    if kind == "compare":
        return pair_key(site, page.key[0], page.key[1], base)
    if kind == "model":
        # Its rivals are the entries it has a pair page with (`base` covers which), shown
        # with their names and ranks in the order of the leaderboard: `standings` covers those.
        slug = page.key[0]
        parts = [site.fingerprint(slug), site.standings]
        parts += [site.fingerprint(r.slug) for r in site.alternatives(slug)]
    else:  # home, categories, methodology, search, the leaderboard: they list every entry
        parts = [site.every_print]
    text = "\0".join((base, page.kind, page.path, *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def pair_key(site: Site, a: str, b: str, base: str) -> str:
    """Return the key of a pair page and of its JSON twin (they are made from the same inputs).

    It joins a key per side (a hash of `base` and what the page shows of that side, made once
    per entry) and how often the two were matched, so no page needs a hash of its own. The
    related links follow from both sides' alternatives, which pair_print covers, and from
    which pairs exist, which `base` covers.
    """
    by_base: dict[str, dict[str, str]] = site.memo["pair_keys"]
    sides = by_base.get(base)
    if sides is None:
        sides = by_base[base] = {}
    key_a = sides.get(a) or _side_key(site, sides, a, base)
    key_b = sides.get(b) or _side_key(site, sides, b, base)
    return f"{key_a}{key_b}{site.catalog.pair_count(a, b)}"


def _side_key(site: Site, sides: dict[str, str], slug: str, base: str) -> str:
    text = f"{base}\0pair\0{slug}\0{site.pair_print(slug)}"
    key = sides[slug] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return key


def page_context(site: Site, page: Page) -> dict[str, Any]:
    """Return the template context of one page."""
    if page.kind == "compare":
        return compare_context(site, page)
    make: Callable[..., dict[str, Any]] = _CONTEXTS.get(page.kind, home_context)
    context: dict[str, Any] = make(site, *page.key)
    canonical = None if page.kind == "notfound" else _canonical(site, page)
    crumbs: list[tuple[str, str | None]] = [("Home", ""), *context.pop("crumbs", [])]
    context.update(
        site=site.catalog.site,
        root=_site_path(site) if page.kind == "notfound" else page.root,
        url=page.url,
        canonical=canonical,
        crumbs=crumbs,
        jsonld=[
            _breadcrumbs(site, crumbs),
            *(item if isinstance(item, str) else _json(item) for item in context.pop("jsonld", [])),
        ],
        og_type="article" if page.kind in ("compare", "model") else "website",
    )
    return context


def compare_context(site: Site, page: Page) -> dict[str, Any]:
    """Return the context of a pair page (the keys page_context gives every page, made
    directly: there are N*(N-1)/2 of these)."""
    a_slug, b_slug = page.key
    a, b = site.entries[a_slug], site.entries[b_slug]
    cmp = site.comparison(a_slug, b_slug)
    name_a, name_b = pair_names(a_slug, a.label, b_slug, b.label)
    if (name_a, name_b) != (a.name, b.name):  # names a reader could not tell apart: with slugs
        a, b = replace(a, name=name_a), replace(b, name=name_b)
    title = f"{a.name} vs {b.name}"
    crumbs: list[tuple[str, str | None]] = [("Home", ""), (a.name, a.url), (title, None)]
    return {
        "title": title,
        "description": f"{cmp.lead} {cmp.basis}",
        "pair_of": (a.name, b.name),  # names the breadcrumb isolates (base.html)
        "a": a,
        "b": b,
        "cmp": cmp,
        "rows": feature_rows(site, a_slug, b_slug),
        "capability_rows": _capability_rows(site, a, b, cmp),
        "shown": site.catalog.site.capabilities_shown,
        "related": [_pair_link(site, pair) for pair in site.related(a_slug, b_slug)],
        "site": site.catalog.site,
        "root": page.root,
        "url": page.url,
        "canonical": _canonical(site, page),
        "crumbs": crumbs,
        "jsonld": [
            _breadcrumbs(site, crumbs),
            # Each side's part is the same on all its pair pages: dumped once, then spliced.
            ScriptJson(
                '{"@context":"https://schema.org","@type":"WebPage",'
                f'"name":{script_json(_string(title))},'
                f'"description":{script_json(_string(cmp.lead))},'
                f'"mentions":[{_software_json(site, a)},{_software_json(site, b)}]}}'
            ),
        ],
        "og_type": "article",
    }


def model_context(site: Site, slug: str) -> dict[str, Any]:
    """Return the view of a model page."""
    entry = site.entries[slug]
    category = entry.categories[0]
    return {
        # "Model (model-3)" where another entry's name reads the same: tabs and results tell
        # the two pages apart.
        "title": entry.label,
        "description": plain_text(entry.summary),
        "e": entry,
        "has_signals": entry.has_signals,
        # What the ecosystem counts are counts of.
        "integrations": entry.integrations,
        "platforms": entry.platforms,
        "rows": feature_rows(site, slug),
        "rivals": [(r, pair_url(slug, r.slug)) for r in site.rivals(slug)],
        "alternatives": [
            (alt, pair_url(slug, alt.slug) if site.has_pair(slug, alt.slug) else None)
            for alt in site.alternatives(slug)
        ],
        "method": _method(site),
        "crumbs": [(category[1], f"categories/{category[0]}/"), (entry.label, None)],
        "pair_of": (entry.label,),  # the breadcrumb isolates it (base.html)
        "jsonld": [_software(site, entry)],
    }


def category_context(site: Site, category: str) -> dict[str, Any]:
    """Return the view of a category page: its leaderboard and its comparisons."""
    record = site.catalog.categories[category]
    members = [e for e in _board(site) if category in {c for c, _ in e.categories}]
    slugs = [e.slug for e in members]
    pairs = [
        (site.entries[a], site.entries[b], pair_url(a, b))
        for i, a in enumerate(sorted(slugs))
        for b in sorted(slugs)[i + 1 :]
        if site.has_pair(a, b)
    ]
    pairs.sort(key=lambda p: (-site.catalog.pair_count(p[0].slug, p[1].slug), p[2]))
    return {
        "title": record.name,
        "description": plain_text(
            record.description or f"{record.name}: leaderboard and comparisons."
        ),
        "category": record,
        "board": members,
        "notes": board_legend(site, slugs),
        "pairs": pairs,
        "sub_names": _sub_names(),
        "crumbs": [(record.name, None)],
    }


def methodology_context(site: Site) -> dict[str, Any]:
    """Return the view of the methodology page, made from the ranking module's own words."""
    return {
        "title": "Methodology",
        "description": "How every score on this site is computed, with the weights in force.",
        "method": _method(site),
        "notes": site.board.notes,
        "benchmarks": list(site.catalog.benchmarks.values()),
        "capabilities": sorted(
            site.catalog.capabilities.items(), key=lambda c: (c[1].group or "", c[1].name, c[0])
        ),
        "crumbs": [("Methodology", None)],
    }


def search_context(site: Site) -> dict[str, Any]:
    """Return the view of the search page (with an A-Z list that works without JavaScript)."""
    return {
        "title": "Search",
        "description": f"Search the {counted(len(site.entries), 'entry', 'entries')}"
        f" of {site.catalog.site.title}.",
        "entries": sorted(site.entries.values(), key=lambda e: (e.name.lower(), e.slug)),
        "crumbs": [("Search", None)],
    }


def notfound_context(site: Site) -> dict[str, Any]:
    """Return the view of 404.html (served at any depth, so its links start at the site root)."""
    return {"title": "Page not found", "description": "There is no page at this address."}


_CONTEXTS: dict[str, Callable[..., dict[str, Any]]] = {
    "model": model_context,
    "category": category_context,
    "methodology": methodology_context,
    "search": search_context,
    "notfound": notfound_context,
}


def _site_path(site: Site) -> str:
    """Return the path the site is served under, e.g. `/` or `/docs/`, from base_url."""
    base = site.catalog.site.base_url
    return urlsplit(base).path.rstrip("/") + "/" if base else "/"


def home_context(site: Site) -> dict[str, Any]:
    """Return the view of the home page."""
    catalog = site.catalog
    # Pairs matched at least once: one listed with a count of 0 has a page, but was never
    # compared.
    top = sorted((m for m in catalog.matches if m.count), key=lambda m: (-m.count, sorted(m.pair)))
    matched = [
        (site.entries[a], site.entries[b], pair_url(a, b), m.count)
        for m in top
        for a, b in [sorted(m.pair)]
        if site.has_pair(a, b)
    ][:12]
    counts = {c: 0 for c in catalog.categories}
    for entry in site.entries.values():
        for c, _ in entry.categories:
            counts[c] += 1
    return {
        "title": catalog.site.title,
        "description": catalog.site.tagline or f"{catalog.site.title}: side-by-side comparisons.",
        "board": _board(site),
        "sub_names": _sub_names(),
        "notes": board_legend(site, site.entries),
        "categories": [(c, catalog.categories[c], counts[c]) for c in catalog.categories],
        "matched": matched,
        "jsonld": [
            {"@context": "https://schema.org", "@type": "WebSite", "name": catalog.site.title}
        ],
    }


def api_text(site: Site, page: Page) -> str:
    """Return the JSON twin of a page as text (UTF-8 as it is, compact, one line)."""
    if page.kind != "api-compare":
        return _utf8_json(api_record(site, page))
    # api_record's JSON, written out: each side's record is dumped once per process.
    a, b = page.key
    cmp = site.comparison(a, b)
    text, lists = _utf8_string, _utf8_strings
    ids: dict[str, str] = site.memo["capability_id_json"]  # every id, dumped once
    if not ids:
        ids.update((cid, _utf8_string(cid)) for cid in site.catalog.capabilities)
    return (
        f'{{"a":{_entry_json(site, a)},"b":{_entry_json(site, b)},"lead":{text(cmp.lead)},'
        f'"basis":{text(cmp.basis)},"verdict":{lists(cmp.verdict)},'
        f'"shared_capabilities":[{",".join(map(ids.__getitem__, cmp.shared))}],'
        f'"only_a":[{",".join(map(ids.__getitem__, cmp.only_a))}],'
        f'"only_b":[{",".join(map(ids.__getitem__, cmp.only_b))}],'
        f'"times_matched_together":{cmp.times_matched_together}}}'
    )


def api_record(site: Site, page: Page) -> Any:
    """Return the JSON twin of a page: the same numbers and sentences, for reuse."""
    if page.kind == "api-compare":
        a, b = page.key
        cmp = site.comparison(a, b)
        sides = {"a": entry_record(site, a), "b": entry_record(site, b)}
        return {
            **sides,
            "lead": cmp.lead,
            "basis": cmp.basis,
            "verdict": list(cmp.verdict),
            "shared_capabilities": list(cmp.shared),
            "only_a": list(cmp.only_a),
            "only_b": list(cmp.only_b),
            "times_matched_together": cmp.times_matched_together,
        }
    if page.kind == "api-model":
        return entry_record(site, page.key[0], full=True)
    return {
        "title": site.catalog.site.title,
        "weights": site.board.weights,
        "weights_in_force": site.board.effective,
        "entries": [entry_record(site, s.slug) for s in site.board.ordered()],
    }


def entry_record(site: Site, slug: str, full: bool = False) -> dict[str, Any]:
    """Return an entry's published numbers (and, when `full`, its evidence and sources)."""
    e = site.entries[slug]
    record: dict[str, Any] = {
        "slug": e.slug,
        "name": e.name,
        "kind": e.kind,
        "position": e.position,
        "rank": e.rank,
        "interval": [e.low, e.high],
        "ranked": e.ranked,  # false when no entry has comparable evidence: all at the midpoint
        "sub_scores": {s.name: s.value for s in e.subs},
        # what the page's cells say beside each: the figures it comes from or lacks, or the
        # median a missing one is counted at ("from MMLU", "missing: Platforms")
        "sub_score_notes": {s.name: sub_score_note(s) for s in e.subs},
        "pricing": {"plan": e.pricing_label.lower(), "free_tier": e.free_tier},
        "categories": [c for c, _ in e.categories],
        "capabilities": [c.id for c in e.capabilities],
        "times_matched": e.times_matched,
    }
    if full:  # from the view alone: its fingerprint is the twin's key (see page_key)
        record["summary"] = e.summary
        record["pricing"]["note"] = e.pricing_note
        record["license"] = e.license
        record["released"] = e.released.isoformat() if e.released else None
        record["capability_claims"] = [
            {
                "id": c.id,
                "name": c.name,
                "summary": c.summary,
                "unique": c.unique,
                "vs_alternatives": c.vs_alternatives,
            }
            for c in e.capabilities
        ]
        # Keyed as the catalog keys them (homepage, repository, ...), not by the pages' labels.
        record["links"] = {LINK_FIELDS[label]: url for label, url in e.links}
        record["as_of"] = e.as_of.isoformat() if e.as_of else None
        record["evidence"] = {
            s.name: {"inputs": [list(i) for i in s.inputs], "missing": list(s.missing)}
            for s in e.subs
        }
        record["sources"] = [
            {"url": url, "title": title, "retrieved": retrieved.isoformat() if retrieved else None}
            for (url, _, retrieved), title in zip(e.sources, e.source_titles, strict=True)
        ]

    return record


def _entry_json(site: Site, slug: str) -> str:
    """Return entry_record(slug) as JSON text, dumped once per build process."""
    memo: dict[str, str] = site.memo["entry_json"]
    text = memo.get(slug)
    if text is None:
        text = memo[slug] = _utf8_json(entry_record(site, slug))
    return text


# Compact JSON, UTF-8 for the JSON twins and ASCII for what goes into pages. Made once:
# json.dumps() with options builds a new encoder on every call.
_utf8_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_json = json.JSONEncoder(separators=(",", ":")).encode
# One string as JSON, the same as those encoders write it.
_utf8_string: Callable[[str], str] = json.encoder.encode_basestring
_string: Callable[[str], str] = json.encoder.encode_basestring_ascii


def _utf8_strings(items: tuple[str, ...]) -> str:
    return f"[{','.join(map(_utf8_string, items))}]"


def _software_json(site: Site, e: EntryView) -> str:
    memo: dict[str, str] = site.memo["software_json"]
    text = memo.get(e.slug)
    if text is None:
        text = memo[e.slug] = script_json(_json(_software(site, e)))
    return text


def _board(site: Site) -> list[EntryView]:
    return [site.entries[s.slug] for s in site.board.ordered()]


def _sub_names() -> list[tuple[str, str]]:
    return [(n, SUB_LABELS[n]) for n in SUB_SCORES]


def _method(site: Site) -> list[dict[str, Any]]:
    weights, effective = site.board.weights, site.board.effective
    return [
        {
            "name": SUB_LABELS[name],
            "what": what,
            "how": how,
            "weight": weights[name],
            "in_force": effective.get(name),
        }
        for name, what, how in METHOD
    ]


def _software(site: Site, e: EntryView) -> dict[str, Any]:
    """Return schema.org SoftwareApplication data (never an AggregateRating: ours is no review)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "SoftwareApplication",
        "name": e.name,
        "description": plain_text(e.summary),
        "applicationCategory": ", ".join(n for _, n in e.categories),
    }
    base = site.catalog.site.base_url
    if base:
        data["url"] = base.rstrip("/") + "/" + e.url
    homepage = dict(e.links).get("Homepage")
    if homepage:
        data["sameAs"] = homepage
    if e.license:
        data["license"] = e.license
    if e.free_tier:
        data["offers"] = {"@type": "Offer", "price": "0", "priceCurrency": "USD"}
    return data


def _breadcrumbs(site: Site, crumbs: list[tuple[str, str | None]]) -> str:
    """Return the BreadcrumbList JSON of a page (all but the last crumb are shared, so they
    are dumped once per build process)."""
    memo: dict[tuple[tuple[str, str | None], ...], str] = site.memo["crumb_json"]
    head = tuple(crumbs[:-1])
    text = memo.get(head)
    if text is None:
        items = [_crumb(site, position, name, url) for position, (name, url) in enumerate(head, 1)]
        text = memo[head] = script_json(
            '{"@context":"https://schema.org","@type":"BreadcrumbList","itemListElement":['
            + "".join(item + "," for item in items)
        )
    name, url = crumbs[-1]
    return ScriptJson(f"{text}{script_json(_crumb(site, len(crumbs), name, url))}]}}")


def _crumb(site: Site, position: int, name: str, url: str | None) -> str:
    text = f'{{"@type":"ListItem","position":{position},"name":{_string(name)}'
    if url is None:
        return text + "}"
    return f'{text},"item":{_string((site.catalog.site.base_url or "/").rstrip("/") + "/" + url)}}}'


def _capability_rows(
    site: Site, a: EntryView, b: EntryView, cmp: Comparison
) -> list[CapabilityRow]:
    caps_a, caps_b = site.capability_map(a.slug), site.capability_map(b.slug)
    rows: list[CapabilityRow] = []
    for cap in cmp.shared:
        found = caps_a[cap]
        rows.append(("shared", found.name, found, caps_b[cap]))
    only_a, only_b = site.one_side_rows(a.slug, "a"), site.one_side_rows(b.slug, "b")
    rows += [only_a[cap] for cap in cmp.only_a]
    rows += [only_b[cap] for cap in cmp.only_b]
    return rows


def _pair_link(site: Site, pair: tuple[str, str]) -> tuple[str, str]:
    """Return the title (HTML: see markup.isolated) and URL of a pair page (kept: related
    links repeat across pages)."""
    memo: dict[tuple[str, str], tuple[str, str]] = site.memo["pair_links"]
    found = memo.get(pair)
    if found is None:
        a, b = pair
        names = pair_names(a, site.entries[a].label, b, site.entries[b].label)
        found = memo[pair] = (isolated(" vs ".join(names), *names), pair_url(a, b))
    return found


def pair_url(a: str, b: str) -> str:
    """Return the URL path of the pair page of `a` and `b`, in either order."""
    return f"compare/{a}-vs-{b}/" if a < b else f"compare/{b}-vs-{a}/"


def _canonical(site: Site, page: Page) -> str | None:
    base = site.catalog.site.base_url
    if base is None:
        return None
    return base.rstrip("/") + "/" + page.url
