"""build_site(options) -> BuildReport: the stages in order.

load -> validate -> rank -> plan -> render (in parallel) -> write (staging, then swap).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from pydantic import ValidationError

from rivals.extras import extra_files
from rivals.load import Parsed, load_catalog, read_memo
from rivals.pages import Page, api_record, page_context, page_key, plan_pages
from rivals.problems import CatalogError, Problem
from rivals.rank import rank
from rivals.render import make_environment, render, template_fingerprint, template_names
from rivals.schema import Catalog
from rivals.search import SearchError, index_site
from rivals.validate import validate_catalog
from rivals.views import Site, pair_slugs
from rivals.write import (
    PageWriter,
    Written,
    cache_dir,
    commit,
    discard,
    load_manifest,
    new_staging,
    save_memo,
)

CHUNK = 400


@dataclass(frozen=True)
class BuildOptions:
    data: Path = Path("data")
    templates: Path | None = Path("templates")
    out: Path = Path("site")
    base_url: str | None = None
    jobs: int | None = None
    search: bool = True
    clean: bool = False
    # Called with (pages done, pages to render) as rendering goes; the CLI draws a bar with it.
    progress: Callable[[int, int], None] | None = None


@dataclass
class BuildReport:
    """What a build did, for the summary line."""

    pages: int = 0
    rendered: int = 0
    written: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)


class BuildError(Exception):
    """A build failed for a reason other than the catalog (e.g. a template error); exit 1."""

    exit_code = 1


def load_and_validate(
    data: Path, base_url: str | None = None, memo: dict[str, Parsed] | None = None
) -> Catalog:
    """Return the validated catalog of `data`, or raise CatalogError with every problem."""
    raw, problems = load_catalog(data, memo)
    catalog = validate_catalog(raw, problems)
    if base_url is not None:
        settings = catalog.site.model_dump() | {"base_url": base_url}
        try:
            site = catalog.site.model_validate(settings)
        except ValidationError as err:
            message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            raise CatalogError([Problem("--base-url", 1, "base_url", message)]) from None
        catalog = catalog.model_copy(update={"site": site})
    return catalog


def build_site(options: BuildOptions) -> BuildReport:
    """Validate, rank and render the whole site into options.out; return what was done."""
    report = BuildReport()
    clock = _Clock(report)
    memo = {} if options.clean else read_memo(cache_dir(options.out) / "catalog.pickle")
    catalog = load_and_validate(options.data, options.base_url, memo)
    clock.lap("load+validate")
    board = rank(catalog)
    site = Site(catalog, board)
    clock.lap("rank")
    pages = list(plan_pages(catalog))
    report.pages = len(pages)
    previous = load_manifest(options.out)
    staging = new_staging(options.out)
    try:
        reuse = {} if options.clean else previous
        renderer = Renderer(site, options.templates, staging, options.out, reuse, options.search)
        for path, data in extra_files(site, pages, options.templates):
            renderer.writer.write(path, data)
        base = _base_fingerprint(site, renderer.env)
        keyed = [(page, page_key(site, page, base)) for page in pages]
        todo = [(page, key) for page, key in keyed if not renderer.writer.keep(page.path, key)]
        report.rendered = len(todo)
        clock.lap("plan")
        seen, staged = renderer.render_all(todo, options.jobs, options.progress)
        clock.lap("render+write")
        result = commit(staging, options.out, seen, staged, previous)
        save_memo(options.out, memo)
    except BaseException:
        discard(staging)
        raise
    clock.lap("commit")
    report.written, report.unchanged, report.deleted = (
        result.written,
        result.unchanged,
        result.deleted,
    )
    if options.search:
        changed = bool(result.written or result.deleted)
        try:
            index_site(options.out, changed)
        except SearchError as err:
            raise BuildError(
                f"{err} (pages were built; the previous search index is kept)"
            ) from None
        clock.lap("search index")
    report.seconds = sum(report.stages.values())
    return report


def _base_fingerprint(site: Site, env: jinja2.Environment) -> str:
    """Hash what every page depends on: the code, the templates and the catalog-wide settings."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(template_fingerprint(env).encode())
    catalog = site.catalog
    for part in (catalog.site, catalog.categories, catalog.capabilities, catalog.benchmarks):
        digest.update(repr(part).encode())
    digest.update(repr((site.board.effective, site.board.notes)).encode())
    digest.update(repr(pair_slugs(catalog)).encode())
    digest.update(repr(env.globals.get("search_enabled")).encode())
    return digest.hexdigest()


class Renderer:
    """One Jinja environment and page writer per process, created once."""

    def __init__(
        self,
        site: Site,
        templates: Path | None,
        staging: Path,
        out: Path,
        previous: dict[str, Written],
        search: bool = False,
    ) -> None:
        self.site = site
        self.env = make_environment(templates, cache_dir(out) / "templates")
        self.env.globals["search_enabled"] = search
        self.writer = PageWriter(staging, out, previous)
        self.known = template_names(self.env)

    def render_page(self, page: Page) -> bytes:
        """Return the HTML (or, for a JSON twin, the JSON) of one page."""
        if not page.templates:
            record = api_record(self.site, page)
            text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            return (text + "\n").encode("utf-8")
        names = tuple(n for n in page.templates if n in self.known) or page.templates[-1:]
        try:
            return render(self.env, names, page_context(self.site, page)).encode("utf-8")
        except jinja2.TemplateError as err:
            where = (
                f"{err.filename}:{err.lineno}"
                if isinstance(err, jinja2.TemplateSyntaxError)
                else names[0]
            )
            raise BuildError(f"{where}: template: {err}") from None

    def render_all(
        self,
        pages: list[tuple[Page, str]],
        jobs: int | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[dict[str, tuple[str, str]], list[str]]:
        """Render and stage every page, over `jobs` processes; return digests and staged paths."""
        jobs = jobs or os.cpu_count() or 1
        report = progress or (lambda done, total: None)
        if jobs <= 1 or len(pages) < 2 * CHUNK:
            for start, end in _chunks(len(pages)):
                self._run(pages[start:end])
                report(end, len(pages))
            return dict(self.writer.seen), list(self.writer.staged)
        self._warm_fragments()
        global _ACTIVE, _PAGES
        _ACTIVE, _PAGES = self, pages
        seen, staged = dict(self.writer.seen), list(self.writer.staged)
        before = len(seen)
        try:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs) as pool:
                for part_seen, part_staged in pool.imap_unordered(
                    _render_chunk, _chunks(len(pages))
                ):
                    duplicate = seen.keys() & part_seen.keys()
                    if duplicate:
                        raise BuildError(f"two pages want the same path: {sorted(duplicate)[0]}")
                    seen.update(part_seen)
                    staged.extend(part_staged)
                    report(len(seen) - before, len(pages))
        finally:
            _ACTIVE, _PAGES = None, []
        return seen, staged

    def _warm_fragments(self) -> None:
        """Render each entry's shared fragments once here, so forked workers inherit them."""
        fragment = self.env.globals["capabilities"]
        shown = self.site.catalog.site.capabilities_shown
        for entry in self.site.entries.values():
            fragment(entry, shown)  # type: ignore[operator]
            fragment(entry, len(entry.capabilities))  # type: ignore[operator]

    def _run(self, pages: list[tuple[Page, str]]) -> None:
        for page, key in pages:
            self.writer.write(page.path, self.render_page(page), key)


_ACTIVE: Renderer | None = None
_PAGES: list[tuple[Page, str]] = []


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, CHUNK):
        yield start, min(total, start + CHUNK)


def _render_chunk(bounds: tuple[int, int]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Worker: render pages[start:end] with the Renderer inherited through fork."""
    assert _ACTIVE is not None
    writer = _ACTIVE.writer
    writer.seen, writer.staged = {}, []
    _ACTIVE._run(_PAGES[bounds[0] : bounds[1]])
    return writer.seen, writer.staged


class _Clock:
    def __init__(self, report: BuildReport) -> None:
        self.report, self.last = report, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.report.stages[stage] = now - self.last
        self.last = now
