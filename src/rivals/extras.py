"""The files beside the pages: assets, sitemap.xml, robots.txt and 404.html."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from rivals.pages import Page
from rivals.render import THEME_DIR
from rivals.views import Site

SITEMAP_LIMIT = 50_000


def escape(text: str) -> str:
    """Escape text for XML (xml.sax.saxutils pulls in urllib at import, which costs 20 ms)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def asset_files(templates: Path | None) -> Iterator[tuple[str, bytes]]:
    """Yield (path, bytes) of the theme's static files, a site's own of the same name winning."""
    yield from _assets(templates)


def index_files(site: Site, pages: Iterable[Page]) -> Iterator[tuple[str, bytes]]:
    """Yield (path, bytes) of the files that list the pages: the sitemap(s) and robots.txt."""
    yield from sitemaps(site, pages)
    yield "robots.txt", _robots(site).encode("utf-8")


def is_index_file(path: str) -> bool:
    """True for a path index_files() may write (sitemap.xml, sitemap-N.xml, robots.txt)."""
    if path in ("sitemap.xml", "robots.txt"):
        return True
    number = path.removeprefix("sitemap-").removesuffix(".xml")
    return path.startswith("sitemap-") and path.endswith(".xml") and number.isdigit()


def _assets(templates: Path | None) -> Iterator[tuple[str, bytes]]:
    """Yield the theme's static files, a site's templates/static/ file of the same name winning."""
    found: dict[str, Path] = {}
    folders = [THEME_DIR / "static"]
    if templates is not None:
        folders.append(templates / "static")
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found[path.relative_to(folder).as_posix()] = path
    for name in sorted(found):
        yield f"assets/{name}", found[name].read_bytes()


def _entry_dates(site: Site, slug: str) -> list[dt.date]:
    view = site.entries[slug]
    dates = [d for _, _, d in view.sources if d is not None]
    if view.as_of is not None:
        dates.append(view.as_of)
    return dates


def sitemaps(site: Site, pages: Iterable[Page]) -> Iterator[tuple[str, bytes]]:
    """Yield sitemap.xml, or a sitemap index and its parts past 50,000 URLs."""
    base = (site.catalog.site.base_url or "/").rstrip("/") + "/"
    entry_dates = {s: max(_entry_dates(site, s), default=None) for s in site.entries}
    newest = max((d for d in entry_dates.values() if d), default=None)
    members: dict[str, list[str]] = {c: [] for c in site.catalog.categories}
    for slug, view in site.entries.items():
        for category, _ in view.categories:
            members[category].append(slug)
    urls = []
    for page in pages:
        if not page.path.endswith("index.html"):
            continue  # JSON twins are data and 404.html is no page to index
        if page.kind in ("compare", "model"):
            dates = [entry_dates[s] for s in page.key]
        elif page.kind == "category":
            dates = [entry_dates[s] for s in members[page.key[0]]]
        else:
            dates = [newest]
        known = [d for d in dates if d is not None]
        urls.append((base + page.url, max(known) if known else None))
    if len(urls) <= SITEMAP_LIMIT:
        yield "sitemap.xml", _urlset(urls)
        return
    parts = []
    for number, start in enumerate(range(0, len(urls), SITEMAP_LIMIT), start=1):
        name = f"sitemap-{number}.xml"
        parts.append(name)
        yield name, _urlset(urls[start : start + SITEMAP_LIMIT])
    body = "".join(f"<sitemap><loc>{escape(base + n)}</loc></sitemap>\n" for n in parts)
    yield "sitemap.xml", _xml("sitemapindex", body)


def _urlset(urls: list[tuple[str, dt.date | None]]) -> bytes:
    rows = []
    for loc, date in urls:
        last = f"<lastmod>{date.isoformat()}</lastmod>" if date else ""
        rows.append(f"<url><loc>{escape(loc)}</loc>{last}</url>\n")
    return _xml("urlset", "".join(rows))


def _xml(root: str, body: str) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    return f"{head}<{root} {ns}>\n{body}</{root}>\n".encode()


def _robots(site: Site) -> str:
    base = site.catalog.site.base_url
    line = f"Sitemap: {base.rstrip('/')}/sitemap.xml\n" if base else ""
    return f"User-agent: *\nAllow: /\n{line}"
