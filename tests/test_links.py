"""The whole default site, read as a person would, without a browser.

One build of the default catalog, then for every HTML page: every internal link (href, src,
form action) reaches a file of the build, every #fragment names an id on its target page, the
markup is well formed, and the page has one <h1>, a <title>, a meta description and a lang.
A strict single-pass checker reads every page; html5lib, the WHATWG parsing algorithm, reads
one page of each kind and a spread of pair pages (all ~1,400 would take ~20 s).
"""

from __future__ import annotations

import multiprocessing
import os
import xml.etree.ElementTree as ET
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import html5lib
import pytest
import yaml
from html5lib.constants import E as HTML5LIB_MESSAGES

from conftest import REPO
from rivals.build import BuildOptions, build_site

# A made-up origin against which page-relative links are resolved.
ORIGIN = "http://site.invalid/"
LINK_ATTRS = {"href", "src", "action"}
SKIP_SCHEMES = {"http", "https", "mailto", "tel", "data", "javascript"}
PAIR = "compare/llava-vs-stable-diffusion-3-5-large/index.html"
HTML5LIB_PAIR_STEP = 25  # html5lib reads every 25th pair page

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
# Elements whose end tag HTML lets you leave out (closed by what follows or by their parent).
OPTIONAL_END = {
    "li", "dt", "dd", "p", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup",
    "colgroup", "caption", "rt", "rp", "html", "head", "body",
}  # fmt: skip
# Start tags that close an open <p> (so a later </p> would be stray).
CLOSES_P = {
    "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "search", "section", "summary",
    "table", "ul", "li", "dd", "dt",
}  # fmt: skip
# Start tag -> open elements it implicitly closes when they are the current element.
IMPLIED_CLOSE = {
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "tr": {"tr", "td", "th"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "thead": {"tbody", "tfoot", "tr", "td", "th"},
    "tbody": {"thead", "tbody", "tfoot", "tr", "td", "th"},
    "tfoot": {"thead", "tbody", "tr", "td", "th"},
    "option": {"option"},
}
# What may stand directly inside table parts (anything else is moved out by the parser).
TABLE_CHILDREN = {
    "table": {"caption", "colgroup", "thead", "tbody", "tfoot", "tr", "script", "template"},
    "thead": {"tr", "script", "template"},
    "tbody": {"tr", "script", "template"},
    "tfoot": {"tr", "script", "template"},
    "tr": {"td", "th", "script", "template"},
}
NO_NESTING = {"a", "button", "form"}  # must not contain themselves (or each other, for a/button)


@dataclass
class Page:
    """What one pass over a page found."""

    links: list[tuple[int, str, str]] = field(default_factory=list)  # (line, attr, value)
    ids: set[str] = field(default_factory=set)
    h1: int = 0
    titles: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    lang: str | None = None
    problems: list[str] = field(default_factory=list)


class PageReader(HTMLParser):
    """Collect links, ids and head facts, and report markup that is not well formed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[str] = []
        self.seen_doctype = False
        self.seen_element = False
        self.in_title = False

    # -- helpers -------------------------------------------------------------------------
    def problem(self, message: str) -> None:
        self.page.problems.append(f"line {self.getpos()[0]}: {message}")

    def _close_implied(self, tag: str) -> None:
        if self.stack and self.stack[-1] == "p" and tag in CLOSES_P:
            self.stack.pop()
        closes = IMPLIED_CLOSE.get(tag)
        while closes and self.stack and self.stack[-1] in closes:
            self.stack.pop()

    # -- parser callbacks ----------------------------------------------------------------
    def handle_decl(self, decl: str) -> None:
        if decl.lower() != "doctype html":
            self.problem(f"doctype is <!{decl}>, not <!doctype html>")
        if self.seen_element:
            self.problem("doctype after the first element")
        self.seen_doctype = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        page = self.page
        if not self.seen_element:
            self.seen_element = True
            if not self.seen_doctype:
                self.problem("no <!doctype html> before the first element")
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problem(f"<{tag}> repeats an attribute: {names}")
        values = dict(attrs)
        self._close_implied(tag)
        parent = self.stack[-1] if self.stack else ""
        if parent in TABLE_CHILDREN and tag not in TABLE_CHILDREN[parent]:
            self.problem(f"<{tag}> directly inside <{parent}>")
        if tag in NO_NESTING:
            clash = {tag} | ({"a", "button"} if tag in {"a", "button"} else set())
            inside = [t for t in self.stack if t in clash]
            if inside:
                self.problem(f"<{tag}> inside <{inside[-1]}>")
        ident = values.get("id")
        if ident is not None:
            if not ident or any(c.isspace() for c in ident):
                self.problem(f"<{tag}> has an invalid id {ident!r}")
            elif ident in page.ids:
                self.problem(f"duplicate id {ident!r}")
            page.ids.add(ident)
        for attr in LINK_ATTRS.intersection(values):
            page.links.append((self.getpos()[0], attr, values[attr] or ""))
        if tag == "h1":
            page.h1 += 1
        elif tag == "title":
            self.in_title = True
            page.titles.append("")
        elif tag == "meta" and (values.get("name") or "").lower() == "description":
            page.descriptions.append(values.get("content") or "")
        elif tag == "html":
            page.lang = values.get("lang")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.problem(f"<{tag} /> is not a void element: the slash is ignored")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in VOID:
            self.problem(f"</{tag}>: {tag} is a void element")
            return
        if tag == "p" and "p" not in self.stack:
            self.problem("</p> with no open <p> (a block element inside <p> closed it)")
            return
        if tag not in self.stack:
            self.problem(f"stray </{tag}>")
            return
        while self.stack[-1] != tag:
            open_tag = self.stack.pop()
            if open_tag not in OPTIONAL_END:
                self.problem(f"</{tag}> closes <{tag}> while <{open_tag}> is still open")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.page.titles[-1] += data
        if self.stack and self.stack[-1] in TABLE_CHILDREN and data.strip():
            self.problem(f"text {data.strip()[:30]!r} directly inside <{self.stack[-1]}>")

    def close(self) -> None:
        super().close()
        unclosed = [t for t in self.stack if t not in OPTIONAL_END]
        if unclosed:
            self.problem(f"unclosed at the end of the file: {unclosed}")


def read_page(text: str) -> Page:
    reader = PageReader()
    reader.feed(text)
    reader.close()
    return reader.page


# -- fixtures ------------------------------------------------------------------------------


_BUILT: dict[str, Path] = {}


def default_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the default site once per test session (test_browser.py reads it too)."""
    if "site" not in _BUILT:
        out = tmp_path_factory.mktemp("default-site") / "site"
        build_site(
            BuildOptions(data=REPO / "data", templates=REPO / "templates", out=out, search=False)
        )
        _BUILT["site"] = out
    return _BUILT["site"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return default_site(tmp_path_factory)


@pytest.fixture(scope="module")
def files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


def read_pages(site: Path, rels: list[str]) -> dict[str, Page]:
    return {rel: read_page((site / rel).read_text("utf-8")) for rel in rels}


@pytest.fixture(scope="module")
def pages(site: Path, files: set[str]) -> dict[str, Page]:
    """Every HTML page, read on every core (html.parser takes ~4 ms a page)."""
    rels = sorted(f for f in files if f.endswith(".html"))
    workers = min(4, os.cpu_count() or 1)
    if workers == 1:
        return read_pages(site, rels)
    chunks = [rels[i::workers] for i in range(workers)]
    # spawn, not fork: forking a process that may hold threads is unsafe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        parts = list(pool.map(read_pages, [site] * workers, chunks))
    return dict(sorted(item for part in parts for item in part.items()))


@pytest.fixture(scope="module")
def base_url() -> str | None:
    settings = yaml.safe_load((REPO / "data" / "site.yaml").read_text("utf-8")) or {}
    url = settings.get("base_url")
    return url if not url or url.endswith("/") else url + "/"


def target_of(page: str, link: str, base_url: str | None) -> tuple[str, str] | None:
    """Return (file, fragment) that `link` on `page` points to, or None for an outside link."""
    if base_url and link.startswith(base_url):
        link = "/" + link[len(base_url) :]
    scheme = urlsplit(link).scheme.lower()
    if scheme in SKIP_SCHEMES:
        return None
    url = urlsplit(urljoin(ORIGIN + page, link))
    if f"{url.scheme}://{url.netloc}/" != ORIGIN:
        return None  # protocol-relative //host/ links
    path = unquote(url.path).lstrip("/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    return path, unquote(url.fragment)


def resolve(path: str, files: set[str]) -> str | None:
    """The file a request for `path` is served from: itself, or a folder's index.html."""
    if path in files:
        return path
    if f"{path}/index.html" in files:
        return f"{path}/index.html"
    return None


def summarize(broken: dict[str, list[str]], limit: int = 25) -> str:
    """One line per broken target: how many pages have it and where it first shows."""
    lines = [f"{len(broken)} broken targets:"]
    for target, where in sorted(broken.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]:
        lines.append(f"  {target}  ({len(where)}x, e.g. {where[0]})")
    if len(broken) > limit:
        lines.append(f"  ... and {len(broken) - limit} more")
    return "\n".join(lines)


# -- tests ---------------------------------------------------------------------------------


def test_the_default_site_has_its_pages(pages: dict[str, Page]) -> None:
    for rel in ("index.html", "404.html", "models/llava/index.html", PAIR):
        assert rel in pages
    assert len(pages) > 1000


def test_every_internal_link_resolves(
    pages: dict[str, Page], files: set[str], base_url: str | None
) -> None:
    broken: dict[str, list[str]] = defaultdict(list)
    for rel, page in pages.items():
        for line, attr, value in page.links:
            target = target_of(rel, value, base_url)
            if target is not None and resolve(target[0], files) is None:
                broken[f"{attr}={value!r} -> /{target[0]}"].append(f"{rel}:{line}")
    assert not broken, summarize(broken)


def test_every_fragment_names_an_id_on_its_page(
    pages: dict[str, Page], files: set[str], base_url: str | None
) -> None:
    broken: dict[str, list[str]] = defaultdict(list)
    for rel, page in pages.items():
        for line, attr, value in page.links:
            target = target_of(rel, value, base_url)
            if target is None or not target[1]:
                continue
            found = resolve(target[0], files)
            if found is None or not found.endswith(".html"):
                continue  # a missing page is test_every_internal_link_resolves' failure
            if target[1] not in pages[found].ids:
                broken[f"{attr}={value!r}: no id {target[1]!r} in /{found}"].append(f"{rel}:{line}")
    assert not broken, summarize(broken)


def test_the_404_page_links_work_from_any_address(pages: dict[str, Page]) -> None:
    """404.html is served at whatever address was missing, so page-relative links break."""
    relative = [
        f"line {line}: {attr}={value!r}"
        for line, attr, value in pages["404.html"].links
        if not urlsplit(value).scheme and not value.startswith(("/", "#"))
    ]
    assert not relative, "404.html has page-relative links:\n" + "\n".join(relative)


def test_every_sitemap_address_is_a_page(site: Path, files: set[str], base_url: str | None) -> None:
    if not base_url:
        pytest.skip("no base_url, so no sitemap addresses to check")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [
        el.text or "" for el in ET.parse(site / "sitemap.xml").getroot().findall("s:url/s:loc", ns)
    ]
    assert locs
    missing = []
    for loc in locs:
        target = target_of("index.html", loc, base_url)
        if target is None or resolve(target[0], files) is None:
            missing.append(loc)
    assert not missing, f"{len(missing)} sitemap addresses without a page: {missing[:10]}"


def test_every_page_is_well_formed(pages: dict[str, Page]) -> None:
    bad = {rel: page.problems for rel, page in pages.items() if page.problems}
    report = [f"{rel}: {'; '.join(problems[:5])}" for rel, problems in list(bad.items())[:20]]
    assert not bad, f"{len(bad)} pages are not well formed:\n" + "\n".join(report)


def test_html5lib_parses_a_page_of_each_kind_without_errors(site: Path, files: set[str]) -> None:
    pairs = sorted(f for f in files if f.startswith("compare/") and f.endswith(".html"))
    sample = sorted(
        {f for f in files if f.endswith(".html") and not f.startswith("compare/")}
        | set(pairs[::HTML5LIB_PAIR_STEP])
        | {PAIR}
    )
    failures = []
    for rel in sample:
        parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
        parser.parse((site / rel).read_text("utf-8"))
        for (line, col), code, data in parser.errors:
            message = HTML5LIB_MESSAGES.get(code, code) % (data or {})
            failures.append(f"{rel}:{line}:{col}: {message}")
    assert not failures, f"{len(failures)} parse errors:\n" + "\n".join(failures[:30])


def test_every_page_has_one_h1_a_title_a_description_and_a_lang(pages: dict[str, Page]) -> None:
    bad = []
    for rel, page in pages.items():
        issues = []
        if page.h1 != 1:
            issues.append(f"{page.h1} <h1> elements")
        if len(page.titles) != 1 or not page.titles[0].strip():
            issues.append(f"titles {page.titles!r}")
        if len(page.descriptions) != 1 or not page.descriptions[0].strip():
            issues.append(f"meta descriptions {page.descriptions!r}")
        if not (page.lang or "").strip():
            issues.append("no lang on <html>")
        if issues:
            bad.append(f"{rel}: {', '.join(issues)}")
    assert not bad, f"{len(bad)} pages:\n" + "\n".join(bad[:30])
