"""The files beside the pages: assets, sitemap.xml, robots.txt and 404.html."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from rivals.pages import fixed_pages, pair_url
from rivals.render import THEME_DIR, is_hidden
from rivals.views import Site, pair_slugs

SITEMAP_LIMIT = 50_000


def escape(text: str) -> str:
    """Escape text for XML, ' too, as the sitemap protocol asks (xml.sax.saxutils pulls in
    urllib at import, which costs 20 ms)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("'", "&apos;")


def ascii_url(url: str) -> str:
    """Return `url` in ASCII, as a sitemap and robots.txt must give it: a host with other
    letters in its IDNA form ("xn--..."), any other character percent-encoded as UTF-8 (a
    page links to the URL as written: a browser does the same)."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    host = parts.hostname or ""
    if not host.isascii():
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:  # not a name IDNA takes: percent-encoded like the rest
            ascii_host = quote(host, safe="")
        netloc = ascii_host + (f":{parts.port}" if parts.port is not None else "")
    path = quote(parts.path, safe="/%:@!$&'()*+,;=~")
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def asset_files(templates: Path | None) -> Iterator[tuple[str, bytes]]:
    """Yield (path, bytes) of the theme's static files, a site's own of the same name winning."""
    yield from _assets(templates)


def index_files(site: Site) -> Iterator[tuple[str, bytes]]:
    """Yield (path, bytes) of the files that list the pages: the sitemap(s) and robots.txt."""
    yield from sitemaps(site)
    yield "robots.txt", _robots(site).encode("utf-8")


def index_key(site: Site, base: str) -> str:
    """Return the key of the files index_files() writes: `base` (which covers the settings and
    every pair) and each entry's slug, categories and newest date, which is all they show of
    an entry (so an edited summary does not make the sitemap again)."""
    parts = [base]
    for slug, view in site.entries.items():
        newest = max(_entry_dates(site, slug), default=None)
        parts.append(f"{slug}:{','.join(c for c, _ in view.categories)}:{newest}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


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
                name = path.relative_to(folder).as_posix()
                if path.is_file() and not is_hidden(name):
                    found[name] = path
    for name in sorted(found):
        yield f"assets/{name}", found[name].read_bytes()


def _entry_dates(site: Site, slug: str) -> list[dt.date]:
    view = site.entries[slug]
    dates = [d for _, _, d in view.sources if d is not None]
    if view.as_of is not None:
        dates.append(view.as_of)
    return dates


def sitemaps(site: Site) -> Iterator[tuple[str, bytes]]:
    """Yield sitemap.xml, or a sitemap index and its parts past 50,000 URLs.

    It lists the HTML pages of plan_pages, in its order, each dated by the newest date of
    the entries it shows (the whole catalog's newest for pages about every entry).
    """
    base = escape(ascii_url((site.catalog.site.base_url or "/").rstrip("/") + "/"))
    newest_of = {s: max(_entry_dates(site, s), default=None) for s in site.entries}
    # ISO dates sort as the dates do, so a pair page takes the larger of two strings.
    dates = {s: d.isoformat() if d else "" for s, d in newest_of.items()}
    newest = max(dates.values(), default="")
    members: dict[str, list[str]] = {c: [] for c in site.catalog.categories}
    for slug, view in site.entries.items():
        for category, _ in view.categories:
            members[category].append(slug)
    fixed = [p for p in fixed_pages(site.catalog) if p.path.endswith("index.html")]
    urls: list[str] = []
    for page in fixed:
        if page.kind == "category":
            date = max((dates[s] for s in members[page.key[0]]), default="")
        elif page.kind != "model":
            date = newest
        else:
            continue  # after the pairs, as in plan_pages
        urls.append(_url(base + escape(page.url), date))
    for a, b in pair_slugs(site.catalog):
        urls.append(_url(base + escape(pair_url(a, b)), max(dates[a], dates[b])))
    urls += [_url(base + escape(p.url), dates[p.key[0]]) for p in fixed if p.kind == "model"]
    if len(urls) <= SITEMAP_LIMIT:
        yield "sitemap.xml", _xml("urlset", "".join(urls))
        return
    parts = []
    for number, start in enumerate(range(0, len(urls), SITEMAP_LIMIT), start=1):
        name = f"sitemap-{number}.xml"
        parts.append(name)
        yield name, _xml("urlset", "".join(urls[start : start + SITEMAP_LIMIT]))
    body = "".join(f"<sitemap><loc>{base}{escape(n)}</loc></sitemap>\n" for n in parts)
    yield "sitemap.xml", _xml("sitemapindex", body)


def _url(loc: str, date: str) -> str:
    """Return one <url> of a sitemap; `loc` is escaped, `date` an ISO date or ""."""
    if date:
        return f"<url><loc>{loc}</loc><lastmod>{date}</lastmod></url>\n"
    return f"<url><loc>{loc}</loc></url>\n"


def _xml(root: str, body: str) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    return f"{head}<{root} {ns}>\n{body}</{root}>\n".encode()


def _robots(site: Site) -> str:
    base = site.catalog.site.base_url
    line = f"Sitemap: {ascii_url(base.rstrip('/'))}/sitemap.xml\n" if base else ""
    return f"User-agent: *\nAllow: /\n{line}"
