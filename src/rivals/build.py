"""build_site(options) -> BuildReport: the stages in order.

load -> validate -> rank -> plan -> render (in parallel) -> write (staging, then swap).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gc
import hashlib
import multiprocessing
import multiprocessing.pool
import os
import shutil
import signal
import stat
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import jinja2

from rivals.ahead import paused_gc
from rivals.bytecode import code_digest
from rivals.extras import asset_files, index_files, index_key, is_index_file
from rivals.forked import Child, can_fork, interrupts_held
from rivals.load import CATALOG_FILES, ParseAhead, Parsed, load_catalog, pack_memo, read_memo
from rivals.owned import read_own, real_path
from rivals.pages import (
    Page,
    api_text,
    fixed_pages,
    page_context,
    page_key,
    pair_key,
    pair_pages,
    pair_paths,
)
from rivals.rank import rank
from rivals.records import Catalog
from rivals.render import (
    Fragments,
    add_fragment_cache,
    is_template_failure,
    make_environment,
    marks_search_body,
    render,
    template_failure,
    template_fingerprint,
    template_names,
    unreadable_template,
    unused_templates,
)
from rivals.search import INDEX, SearchError, index_listing, index_site, page_glob
from rivals.validate import draft_notes, future_dates, validate_catalog
from rivals.views import (
    Site,
    adopt_closeness,
    closeness_key,
    computed_closeness,
    pair_slugs,
)
from rivals.write import (
    CheckAhead,
    FragmentStore,
    Manifest,
    PageWriter,
    Staged,
    Taken,
    UnsafePath,
    WriteReport,
    build_lock,
    cache_dir,
    check_cache,
    commit,
    discard,
    file_time,
    load_manifest,
    make_cache,
    memo_path,
    new_staging,
    read_closeness,
    save_cache,
    save_closeness,
    save_memo,
    save_rows,
    staging_path,
)

CHUNK = 400
WRITE_BATCH = 128  # pages rendered before they are written (see Renderer._pairs)


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
    # The catalog's files, being parsed since before this module was imported (see the CLI).
    ahead: ParseAhead | None = None
    # The previous build's files, being checked since then too (build_site starts its own
    # if this is None).
    check: CheckAhead | None = None
    # Where the build leaves its largest objects (the catalog, its views, the manifests)
    # instead of freeing them when it returns: the CLI, which exits right after without
    # freeing anything (see cli.main), saves the 13 ms that freeing took at 200 entries.
    leave: list[object] | None = None


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
    notes: list[str] = field(default_factory=list)  # what the user may want to fix
    drafts: list[str] = field(default_factory=list)  # a line per entry left out as a draft
    base_path: str = ""  # the path of the base URL the pages link to, "/docs" (or "")


class BuildError(Exception):
    """A build failed for a reason other than the catalog (e.g. a template error); exit 1.

    `untouched` is False when the failure came after files were moved into --out.
    """

    exit_code = 1

    def __init__(self, message: str, untouched: bool = True) -> None:
        super().__init__(message)
        self.untouched = untouched


class BuildInterrupted(BuildError):
    """Ctrl-C or SIGTERM came while the pages moved into --out; they all did (see commit)."""


def load_and_validate(
    data: Path,
    base_url: str | None = None,
    memo: dict[str, Parsed] | None = None,
    ahead: ParseAhead | None = None,
) -> Catalog:
    """Return the validated catalog of `data`, or raise CatalogError with every problem."""
    raw, problems = load_catalog(data, memo, ahead)
    return validate_catalog(raw, problems, base_url)


def build_site(options: BuildOptions) -> BuildReport:
    """Validate, rank and render the whole site into options.out; return what was done.

    Whatever the umask, no folder the build makes (in --out, beside it, in the caches) is
    one that any user can write in: under a umask of 000, anyone could have put markup into
    the pages, or kept pieces that the next build puts there. (Files are written 0644.)
    """
    umask = os.umask(0o022)
    os.umask(umask | 0o002)
    try:
        with paused_gc():
            return _build(options)
    finally:
        os.umask(umask)


def _build(options: BuildOptions) -> BuildReport:
    check = None if options.clean else options.check or CheckAhead.start(options.out)
    try:
        return _stages(options, check)
    finally:
        if check is not None and check is not options.check:
            check.close()


def _stages(options: BuildOptions, check: CheckAhead | None) -> BuildReport:
    report = BuildReport()
    clock = _Clock(report)
    out = options.out
    try:
        info: os.stat_result | None = os.stat(out)
    except FileNotFoundError:  # made by the build (also through a link to a folder to be made)
        info = None
    except OSError as err:  # a name too long, a loop of links, a folder this user may not see
        raise BuildError(f"--out {out}: {err.strerror or err}") from None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise BuildError(f"--out {out} is a file, not a folder")
    if info is not None and not os.access(out, os.W_OK | os.X_OK):
        raise BuildError(f"--out {out} is a folder this user cannot write in")
    templates = options.templates
    if templates is not None and templates.is_dir():
        inside = real_path(out).is_relative_to(real_path(templates))
        if inside:  # pages would overwrite the templates (index.html, 404.html)
            raise BuildError(f"--out {out} is inside the templates folder {templates}")
        if real_path(templates).is_relative_to(real_path(out)):  # and the other way round
            raise BuildError(f"--templates {templates} is inside --out {out}: build elsewhere")
    _check_apart(out, options.data)
    try:
        check_cache(out)
    except UnsafePath as err:
        raise BuildError(str(err)) from None
    memo = {} if options.clean else read_memo(memo_path(out))
    remembered = dict(memo)
    catalog = load_and_validate(options.data, options.base_url, memo, options.ahead)
    clock.lap("load+validate")
    board = rank(catalog)
    site = Site(catalog, board)
    clock.lap("rank")
    # The closeness order takes seconds at thousands of entries (see views.closeness).
    order_key = closeness_key(catalog)
    kept_order = not options.clean and adopt_closeness(catalog, read_closeness(out, order_key))
    to_save = memo if _reparsed(remembered, memo) else None
    if options.leave is not None:
        options.leave.extend((site, memo, remembered))
    shared = _share_ahead(site, options.jobs)
    try:
        new_order_key = None if kept_order else order_key
        with build_lock(out):
            return _render_and_commit(options, site, check, shared, clock, to_save, new_order_key)
    except UnsafePath as err:  # another build holds the lock
        raise BuildError(str(err)) from None
    finally:
        if shared is not None:
            shared.close()


def _check_apart(out: Path, data: Path) -> None:
    """Raise BuildError when --out would mix pages with the catalog: --out is the catalog
    folder or its models/, or it holds the catalog (which would be published with the pages).
    A site folder elsewhere inside the catalog folder (`--data . --out site`) is fine."""
    site, catalog, models = real_path(out), real_path(data), real_path(data / "models")
    # As written too: a catalog reached through a link inside --out would be published.
    named_site, named_catalog = Path(os.path.abspath(out)), Path(os.path.abspath(data))
    if site == catalog:
        where = "the catalog folder"
    elif site.is_relative_to(models):
        where = "inside the models folder of the catalog"
    elif catalog.is_relative_to(site) or named_catalog.is_relative_to(named_site):
        where = "a folder that holds the catalog"
    elif models.is_relative_to(site):  # models/ is a link to a folder inside --out
        where = "a folder that holds the models folder of the catalog"
    elif site.parent == catalog and _catalog_file_name(site.name):
        where = "named like a file of the catalog"  # data/matches.yaml: then read as one
    else:
        return
    raise BuildError(f"--out {out} is {where} (--data {data}): build elsewhere")


def _catalog_file_name(name: str) -> bool:
    """True for a name that the catalog's loader reads or reports (matches.yaml, Site.yml)."""
    stem, dot, suffix = name.lower().rpartition(".")
    return bool(dot) and suffix in ("yaml", "yml") and stem in CATALOG_FILES


def _share_ahead(site: Site, jobs: int | None) -> Child | None:
    """Fork a child that computes what every render worker needs of every entry (Site.shared),
    while this process plans; None when the pages are rendered here.

    Each worker would compute it for itself (30 ms at 200 entries), while the second core
    idles through the plan: the manifest of the previous build, the templates.
    """
    pages = 2 * len(pair_slugs(site.catalog))
    if not _in_workers(jobs, pages) or not can_fork():
        return None
    return Child.fork(site.shared)


def _in_workers(jobs: int | None, pages: int) -> bool:
    """True when `pages` pages are rendered by worker processes (see Renderer.render_all)."""
    return (jobs or os.cpu_count() or 1) > 1 and pages >= 2 * CHUNK


def _render_and_commit(
    options: BuildOptions,
    site: Site,
    check: CheckAhead | None,
    shared: Child | None,
    clock: _Clock,
    memo: dict[str, Parsed] | None,
    new_order_key: str | None,
) -> BuildReport:
    """Plan, render and commit the pages of `site`; save `memo` (the parsed catalog) unless
    it is None, and the closeness order under `new_order_key` unless that is None (the
    order was kept from the previous build)."""
    report, out = clock.report, options.out
    previous = load_manifest(out, check)
    if options.leave is not None:
        options.leave.append(previous)
    # Named before it is made: a Ctrl-C or SIGTERM just after the folder is made must find it.
    staging = staging_path(out)
    try:
        try:
            new_staging(out)
        except OSError as err:
            raise BuildError(
                f"cannot make a staging folder beside --out {out} ({err.strerror or err}):"
                " pages are rendered beside --out, then moved in; build into a folder whose"
                " parent folder you can write in"
            ) from None
        make_cache(out)  # raises UnsafePath: before anything is moved into --out
        start = file_time(staging)
        reuse = Manifest() if options.clean else previous
        renderer = Renderer(
            site, options.templates, staging, out, reuse, options.search, options.clean
        )
        if options.leave is not None:
            options.leave.append(renderer)
        report.pages = renderer.page_count
        if options.templates is not None:
            unused = unused_templates(renderer.known, site.entries, pair_slugs(site.catalog))
            report.notes += [f"{options.templates}/{note}" for note in unused]
        if shared is not None:
            found = shared.result()
            if found is not None:
                site.adopt(found)
        clock.lap("plan")
        staged, report.rendered = renderer.render_all(options.jobs, options.progress)
        window = (start, file_time(staging))
        clock.lap("render+write")
    except OSError as err:  # a full disk, say
        discard(staging)
        raise BuildError(f"cannot write the pages: {err}") from None
    except UnsafePath as err:  # a static file named a\b.css, say
        discard(staging)
        raise BuildError(str(err)) from None
    except BaseException:
        discard(staging)
        raise
    try:
        # Ctrl-C or SIGTERM waits until every page has moved in: a site half old, half new
        # would stay online until someone builds again.
        with interrupts_held() as interrupts:
            result = commit(staging, out, staged, previous, window)
            # Decided before a Ctrl-C or SIGTERM held back can act: an index to make again is
            # marked so (its scope removed) while the pages it lags behind are in --out.
            searching = _search_plan(out, renderer, result.touched) if options.search else None
    except UnsafePath as err:  # found before anything moved
        discard(staging)
        raise BuildError(str(err)) from None
    except (OSError, KeyboardInterrupt) as err:
        discard(staging)
        why = "was interrupted" if isinstance(err, KeyboardInterrupt) else f"failed: {err}"
        message = f"writing into --out {out} {why}; build again to finish it"
        failed = BuildInterrupted if interrupts else BuildError  # serve stops on an interrupt
        raise failed(message, untouched=False) from None
    if interrupts:
        if not options.search:
            _drop_search(out)  # as the build would have (see below)
            raise _stopped_after_move(out, unindexed=False)
        with contextlib.suppress(OSError):  # so that the next build makes the index
            _search_scope(out).unlink(missing_ok=True)
        raise _stopped_after_move(out, unindexed=True)
    try:
        _after_commit(out, options, site, memo, new_order_key, renderer, result, report)
        clock.lap("commit")
        if searching is not None:
            _search(out, searching)
            clock.lap("search index")
        else:
            _drop_search(out)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM after the held block, before Pagefind runs
        unindexed = searching is not None and searching[2]
        raise _stopped_after_move(out, unindexed) from None
    report.seconds = sum(report.stages.values())
    report.drafts = draft_notes(site.catalog.drafts)
    report.notes += future_dates(site.catalog, datetime.date.today())
    base_url = site.catalog.site.base_url
    report.base_path = urllib.parse.urlsplit(base_url).path.rstrip("/") if base_url else ""
    if base_url is None:
        report.notes.append(
            "no base_url (site.yaml or --base-url): sitemap.xml lists paths, not the absolute"
            " URLs search engines need, and pages have no canonical link"
        )
    return report


def _stopped_after_move(out: Path, unindexed: bool) -> BuildInterrupted:
    """Return the error of a build stopped once its pages were in --out (`unindexed`: before
    the search index it needed was made)."""
    tail = " but for its search index, which the next build makes" if unindexed else ""
    return BuildInterrupted(
        f"the build was interrupted once its pages were in --out {out}: the site is complete{tail}",
        untouched=False,
    )


def _after_commit(
    out: Path,
    options: BuildOptions,
    site: Site,
    memo: dict[str, Parsed] | None,
    new_order_key: str | None,
    renderer: Renderer,
    result: WriteReport,
    report: BuildReport,
) -> None:
    """Save the caches for the next build, note the files written over, prune the pieces."""
    # Caches for the next build: one that cannot be written (a full disk, say) is made again.
    order = computed_closeness(site.catalog)
    with contextlib.suppress(OSError):
        if memo is not None:
            save_memo(out, pack_memo(memo))
    with contextlib.suppress(OSError):
        if new_order_key is not None and order is not None:
            save_closeness(out, new_order_key, order)
    if result.replaced:  # a file of the user's where a page goes, or a site without its cache
        replaced = sorted(result.replaced)
        shown = ", ".join(replaced[:3]) + (", ..." if len(replaced) > 3 else "")
        count = f"{len(replaced):,} file{'s' if len(replaced) != 1 else ''}"
        report.notes.append(
            f"wrote over {count} in --out {out} that"
            f" no earlier build is on record as writing ({shown}): they are the build's now"
        )
    if result.written or result.deleted:
        renderer.store.prune()  # (suppresses its own OSError)
    report.written, report.unchanged, report.deleted = (
        result.written,
        result.unchanged,
        result.deleted,
    )


# Top-level folders of pages that Pagefind need not read: the pair pages, unless their templates
# mark them for the index, and the JSON files.
UNSEARCHED = ("compare", "api")


SearchPlan = tuple[Path, str | None, bool]  # the scope file, the glob, whether to index


def _search_plan(out: Path, renderer: Renderer, touched: list[str]) -> SearchPlan:
    """Return the scope file of the search index, the glob of the pages it reads, and whether
    it must be made again: not when no file that the index is made from changed. One that
    must is marked so at once (its scope removed), so that a failed or interrupted index is
    made again by the next build.

    Only pages marked `data-pagefind-body` are indexed (model and category pages in the
    built-in theme), but Pagefind reads every HTML file to find them: 20,000 pair pages at
    200 entries, 55 of the 58 seconds of a build. It is told to read the rest only, when no
    template of a pair page has the marker (see page_glob and marks_search_body).
    """
    skip = () if renderer.pairs_searched() else UNSEARCHED
    scope = _search_scope(out)
    try:
        glob = page_glob(out, skip)
        found = read_own(scope, code=False)
        # The scope, and the index's files as Pagefind left them: one deleted or changed by
        # hand since (or a copy of the site without them) is made again.
        listing = index_listing(out)
    except OSError:  # what --out holds cannot be read: index every page, and again
        glob, found, listing = None, None, b""
    same_scope = found is not None and found[0] == repr(glob).encode() + listing
    changed = not same_scope or any(path.partition("/")[0] not in skip for path in touched)
    if changed:  # the scope is saved again once the index is made: until then, none is kept
        with contextlib.suppress(OSError):
            scope.unlink(missing_ok=True)
    return scope, glob, changed


def _search(out: Path, plan: SearchPlan) -> None:
    """Index the site for search as _search_plan decided."""
    scope, glob, changed = plan
    try:
        index_site(out, changed, glob)
    except SearchError as err:
        message = f"{err} (pages were built; the previous search index is kept, and the next"
        raise BuildError(f"{message} build makes it again)", untouched=False) from None
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM while Pagefind runs: the pages are in --out
        raise BuildError(
            "the search index was interrupted (pages were built; the next build makes the"
            " index again)",
            untouched=False,
        ) from None
    if changed:
        with contextlib.suppress(OSError):  # a cache: the next build indexes again
            save_cache(scope, repr(glob).encode() + index_listing(out))


def _search_scope(out: Path) -> Path:
    """Return the file that holds the glob of the search index in `out`, while one is there."""
    return cache_dir(out) / "search-scope"


def _drop_search(out: Path) -> None:
    """Remove the search index an earlier build made (its scope is kept in the cache) from a
    site built without search: its pages no longer load it, and a clean build has none."""
    scope = _search_scope(out)
    if scope.exists():
        shutil.rmtree(out / INDEX, ignore_errors=True)
        scope.unlink(missing_ok=True)


def _reparsed(before: Mapping[str, Parsed], after: Mapping[str, Parsed]) -> bool:
    """True when loading parsed a file again, or added or dropped one (the memo changed)."""
    return before.keys() != after.keys() or any(after[k] is not v for k, v in before.items())


def _base_fingerprint(site: Site, env: jinja2.Environment) -> str:
    """Hash what every page depends on: the code, the templates and the catalog-wide settings."""
    digest = hashlib.sha256(code_digest().encode())
    digest.update(template_fingerprint(env).encode())
    catalog = site.catalog
    for part in (catalog.site, catalog.categories, catalog.capabilities, catalog.benchmarks):
        digest.update(repr(part).encode())
    digest.update(repr((site.board.effective, site.board.notes)).encode())
    # Which pairs have a page (slugs hold neither separator; a join is twice as fast as repr).
    digest.update("\n".join(map("\0".join, pair_slugs(catalog))).encode())
    digest.update(repr(env.globals.get("search_enabled")).encode())
    return digest.hexdigest()


# A unit of work: ("extras", 0, 0), ("fixed", start, end) or ("pairs", start, end), the
# ranges indexing Renderer.fixed and Renderer.pairs.
Unit = tuple[str, int, int]
# What a unit hands back: what its writer recorded, pages rendered and pages done.
Done = tuple[Taken, int, int]


class Renderer:
    """One Jinja environment and page writer per process, created once.

    Workers are forked from the process that made it and inherit everything: the site,
    the environment, the previous manifest and the plan (every pair page and its twin come
    from `pairs`, every other page from `fixed`).
    """

    def __init__(
        self,
        site: Site,
        templates: Path | None,
        staging: Path,
        out: Path,
        previous: Manifest,
        search: bool = False,
        clean: bool = False,
    ) -> None:
        self.site = site
        self.templates = templates
        unreadable = unreadable_template(templates)
        if unreadable is not None:
            raise BuildError(unreadable)
        self.env = make_environment(templates, cache_dir(out) / "templates")
        self.env.globals["search_enabled"] = search
        self.writer = PageWriter(str(staging), str(out), previous.files, previous.window)
        self.known = template_names(self.env)
        # Without a template for one pair (compare/<a>-vs-<b>.html) every pair page uses this.
        overrides = any(name.startswith("compare/") for name in self.known)
        self.compare_names: tuple[str, ...] = () if overrides else ("compare.html",)
        self.base = _base_fingerprint(site, self.env)
        folder = cache_dir(out) / "pieces"
        self.store = FragmentStore(folder, self.base, site.entries, site.fingerprint, not clean)
        try:  # the partials a site may override are loaded here, before any page
            add_fragment_cache(self.env, self.store)
            self.fragments = Fragments(self.env, self.store)
        except Exception as err:
            if not is_template_failure(err):
                raise
            raise BuildError(template_failure(err, "partials/fragments.html")) from None
        self.fixed = fixed_pages(site.catalog)
        self.pairs = interleaved(pair_slugs(site.catalog))

    def pairs_searched(self) -> bool:
        """True when the pair pages carry Pagefind's marker (a template of theirs has it)."""
        names = ["compare.html", *(n for n in self.known if n.startswith("compare/"))]
        return marks_search_body(self.env, names)

    @property
    def page_count(self) -> int:
        """Return how many pages and JSON twins the site has (two per pair)."""
        return len(self.fixed) + 2 * len(self.pairs)

    def units(self) -> list[Unit]:
        """Return the work in chunks: the extra files, the other pages, then the pairs."""
        units: list[Unit] = [("extras", 0, 0)]
        step = CHUNK // 8  # model pages cost several pair pages each
        for start in range(0, len(self.fixed), step):
            units.append(("fixed", start, min(len(self.fixed), start + step)))
        # Two files per pair; the last units are smaller, so that the workers finish together.
        # When an earlier build left pages to keep, most pairs are a check of microseconds:
        # larger units then, as handing one to a worker and back costs about a millisecond.
        start, total = 0, len(self.pairs)
        size = CHUNK * 2 if self.writer.previous else CHUNK // 2
        while start < total:
            step = size if total - start > 4 * CHUNK else CHUNK // 8
            units.append(("pairs", start, min(total, start + step)))
            start += step
        return units

    def run(self, unit: Unit) -> Done:
        """Render and stage one unit's files; return what was done."""
        kind, start, end = unit
        rendered = done = 0
        site, base, writer = self.site, self.base, self.writer
        if kind == "extras":
            self._extras()
        elif kind == "fixed":
            for page in self.fixed[start:end]:
                key = page_key(site, page, base)
                done += 1
                if not writer.keep(page.path, key):
                    writer.write(page.path, self.render_page(page), key)
                    rendered += 1
        else:
            rendered, done = self._pairs(start, end)
        return self.writer.take(), rendered, done

    def _pairs(self, start: int, end: int) -> tuple[int, int]:
        """Render and stage pairs start:end; return how many pages were rendered and done.

        Pages are written in batches (WRITE_BATCH pages), in the order they were rendered:
        the system calls that write a file leave the processor's caches and branch
        predictors cold for the Python that runs next, and a render-then-write loop paid
        that on every page (one in ten of a pair's microseconds).
        """
        site, base, writer = self.site, self.base, self.writer
        checks = bool(writer.previous)  # with no previous build, nothing can be kept
        kept = (False, False)
        batch: list[tuple[str, bytes, str]] = []
        pairs = self.pairs[start:end]
        rendered = 0
        for a, b in pairs:
            key = pair_key(site, a, b, base)
            if checks:
                paths = pair_paths(a, b)
                kept = writer.keep(paths[0], key), writer.keep(paths[1], key)
                if kept[0] and kept[1]:
                    continue  # a no-op build makes no Page at all
            for page, keep in zip(pair_pages(a, b), kept, strict=True):
                if not keep:
                    batch.append((page.path, self.render_page(page), key))
            if len(batch) >= WRITE_BATCH:
                rendered += self._write(batch)
        return rendered + self._write(batch), 2 * len(pairs)

    def _write(self, batch: list[tuple[str, bytes, str]]) -> int:
        """Stage a batch of rendered pages, empty it, and return how many there were."""
        write = self.writer.write
        for path, data, key in batch:
            write(path, data, key)
        count = len(batch)
        batch.clear()
        return count

    def _extras(self) -> None:
        """Write the assets, and the sitemap and robots.txt unless the pages they list are the
        same as last time (they list every page: worth skipping in a no-op build)."""
        writer = self.writer
        for path, data in asset_files(self.templates):
            writer.write(path, data)
        key = index_key(self.site, self.base)
        known = sorted(p for p in writer.previous if "/" not in p and is_index_file(p))
        if "sitemap.xml" in known and all(writer.unchanged(p, key) for p in known):
            for path in known:
                writer.keep(path, key)
            return
        for path, data in index_files(self.site):
            writer.write(path, data, key)

    def render_page(self, page: Page) -> bytes:
        """Return the HTML (or, for a JSON twin, the JSON) of one page."""
        if not page.templates:
            return (api_text(self.site, page) + "\n").encode("utf-8")
        if page.kind == "compare" and self.compare_names:
            names = self.compare_names
        else:
            names = tuple(filter(self.known.__contains__, page.templates)) or page.templates[-1:]
        try:
            context = page_context(self.site, page)
            if page.kind == "compare":
                self.fragments.add_to(context, self.site.cells)
            return render(self.env, names, context).encode("utf-8")
        except Exception as err:
            if not is_template_failure(err):
                raise
            raise BuildError(template_failure(err, names[0])) from None

    def render_all(
        self, jobs: int | None, progress: Callable[[int, int], None] | None = None
    ) -> tuple[Staged, int]:
        """Render and stage every page, over `jobs` processes.

        Return what the writers recorded and how many pages were rendered.
        """
        jobs = jobs or os.cpu_count() or 1
        report = progress or (lambda done, total: None)
        units = self.units()
        total = self.page_count
        staged = Staged([b""] * len(units))
        rendered = done = 0

        def collect(index: int, result: Done) -> None:
            nonlocal rendered, done
            staged.add(index, result[0])
            rendered += result[1]
            done += result[2]
            report(done, total)

        if not _in_workers(jobs, total):
            enabled = gc.isenabled()
            gc.enable()
            try:
                for index, unit in enumerate(units):
                    collect(index, self.run(unit))
            finally:
                if not enabled:
                    gc.disable()
            return staged, rendered
        global _ACTIVE
        _ACTIVE = self
        # What the workers inherit lives as long as they do: keep the garbage collector from
        # walking it (and from touching, hence copying, the pages it sits on).
        gc.freeze()
        try:
            ctx = multiprocessing.get_context("fork")
            # No more workers than units of work: each one forked costs time (--jobs 1000).
            with _Pool(min(jobs, len(units)), _start_worker, context=ctx) as pool:
                workers = list(getattr(pool, "_pool", ()))  # Pool's own list: see _results
                results = pool.imap_unordered(_run_unit, enumerate(units))
                for index, result in _results(results, workers):
                    collect(index, result)
        finally:
            _ACTIVE = None
            gc.unfreeze()
        return staged, rendered


_ACTIVE: Renderer | None = None
BLOCK = 8  # pairs that stay together in interleaved()


def interleaved(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the pairs in the order they are rendered: blocks of BLOCK pairs, taken from
    all over the list in turn, so that every unit of work (see Renderer.units) draws on all of
    it. An entry's pairs with the entries after it are neighbours in `pairs`; without this,
    the 199 pages that an edit of the first of 200 entries renders would all fall to one
    unit, hence to one worker, while the other one idled. Within a block, consecutive pairs
    share an entry, which keeps its data in the processor's caches.
    """
    per_unit = CHUNK // 2 // BLOCK
    blocks = [pairs[i : i + BLOCK] for i in range(0, len(pairs), BLOCK)]
    order = sorted(range(len(blocks)), key=lambda b: (b % per_unit, b))
    return [pair for b in order for pair in blocks[b]]


def _results(
    results: multiprocessing.pool.IMapIterator[tuple[int, Done]], workers: list[BaseProcess]
) -> Iterator[tuple[int, Done]]:
    """Yield what the workers send back; raise BuildError if one of them dies.

    A Pool replaces a worker that dies (killed for memory, say) and then waits forever for
    the unit that went with it: a build would hang instead of failing.
    """
    while True:
        try:
            yield results.next(timeout=0.25)
        except StopIteration:
            return
        except multiprocessing.TimeoutError:
            dead = [w.exitcode for w in workers if w.exitcode is not None]
            if dead:
                code = dead[0]
                how = f"was killed by signal {-code}" if code < 0 else f"exited with {code}"
                raise BuildError(f"a render worker {how} (out of memory?)") from None


class _Pool(multiprocessing.pool.Pool):
    """A Pool whose workers exit quietly when the build that forked them is gone.

    When the build is killed (SIGKILL, or the kernel short of memory), a stock worker finishes
    its unit, fails to send it back, and prints two tracebacks into the terminal where the
    user is looking for what went wrong.
    """

    @staticmethod
    def Process(ctx: Any, *args: Any, **kwds: Any) -> Any:  # the name Pool calls
        kwds["target"] = functools.partial(_quiet_orphan, kwds["target"])
        return ctx.Process(*args, **kwds)


def _quiet_orphan(work: Callable[..., object], *args: object) -> None:
    """Run a pool worker's loop; exit without a word if the build is gone."""
    try:
        work(*args)
    except (BrokenPipeError, ConnectionResetError):  # nobody left to send results to
        os._exit(1)


def _run_unit(job: tuple[int, Unit]) -> tuple[int, Done]:
    """Worker: run one unit with the Renderer inherited through fork."""
    assert _ACTIVE is not None
    index, unit = job
    taken, rendered, done = _ACTIVE.run(unit)
    return index, (save_rows(_ACTIVE.writer.staging, index, taken), rendered, done)


def _start_worker() -> None:
    """Set up a render worker: the garbage collector on (see paused_gc), and Ctrl-C and SIGTERM
    left to the parent, which stops the pool (a worker's KeyboardInterrupt only printed
    tracebacks)."""
    gc.enable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool stops its workers with it
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # (a closed terminal: the parent stops them)


class _Clock:
    def __init__(self, report: BuildReport) -> None:
        self.report, self.last = report, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.report.stages[stage] = now - self.last
        self.last = now
