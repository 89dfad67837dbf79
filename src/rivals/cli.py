"""The `rivals` command: one short function per verb, no logic of its own."""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar, overload

import click

from rivals import __version__
from rivals.ahead import working_ahead
from rivals.forked import sigterm_as_interrupt
from rivals.problems import CatalogError, counted, did_you_mean

# The verbs import the rest of rivals (Jinja, pydantic) when they run: `build` has the
# catalog parsed on another core meanwhile.
if TYPE_CHECKING:
    from rivals.build import BuildReport
    from rivals.views import Site

T = TypeVar("T")


def _template_folder(ctx: click.Context, param: click.Parameter, text: str) -> Path:
    """The default folder may be missing (the built-in theme is used); one the user names
    must be a folder: a typo would otherwise drop every override without a word."""
    given = ctx.get_parameter_source(param.name or "") is not click.core.ParameterSource.DEFAULT
    value = _path(ctx, param, text)
    try:
        info = os.stat(value)
    except FileNotFoundError:
        info = None
    except OSError as err:  # a name too long, a loop of links: neither a folder nor missing
        raise click.BadParameter(f"{str(value)!r}: {err.strerror or err}.") from None
    if given and (info is None or not stat.S_ISDIR(info.st_mode)):
        what = "does not exist" if info is None else "is not a folder"
        raise click.BadParameter(f"{str(value)!r} {what}.")
    return value


@overload
def _path(ctx: click.Context, param: click.Parameter, text: str) -> Path: ...
@overload
def _path(ctx: click.Context, param: click.Parameter, text: None) -> None: ...
def _path(ctx: click.Context, param: click.Parameter, text: str | None) -> Path | None:
    """Return the path given as `text`; an empty one is wrong usage (pathlib would take it
    for the current folder)."""
    if text is None:
        return None
    if not text:
        raise click.BadParameter("must not be empty.")
    return Path(text)


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --base-url that no site can have is wrong usage (exit 2), before anything is read."""
    if value is None:
        return None
    from rivals.records import check_base_url, check_url

    try:
        return check_base_url(check_url(value))
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


TEMPLATES = click.option(
    "--templates",
    type=click.Path(),
    default="templates",
    show_default=True,
    callback=_template_folder,
    help="Template folder; overrides the built-in theme.",
)
DATA = click.option(
    "--data",
    type=click.Path(readable=False),  # a folder this user cannot read is a catalog problem
    default="data",
    show_default=True,
    callback=_path,
    help="Catalog folder.",
)


@click.group()
@click.version_option(__version__, prog_name="rivals")
def cli() -> None:
    """Rivals: build "X vs Y" comparison sites from a YAML catalog."""


@cli.command()
@DATA
@TEMPLATES
@click.option(
    "--out",
    type=click.Path(),
    default="site",
    show_default=True,
    callback=_path,
    help="Output folder.",
)
@click.option(
    "--base-url",
    callback=_base_url,
    help="Absolute URL the site is served from (default: site.yaml).",
)
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--no-search", is_flag=True, help="Skip the search index.")
@click.option("--clean", is_flag=True, help="Ignore what an earlier build left; render every page.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but problems.")
@click.option("--verbose", "-v", is_flag=True, help="Also print the time of every stage.")
def build(
    data: Path,
    templates: Path,
    out: Path,
    base_url: str | None,
    jobs: int | None,
    no_search: bool,
    clean: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Validate, rank and render the whole site."""
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose say opposite things: give one")
    with sigterm_as_interrupt(), working_ahead(data, out, clean) as ahead:
        from rivals.build import BuildOptions, build_site

        if ahead.parse is not None:
            # A child parses the whole catalog, so every record will be validated: pydantic and
            # the model classes are imported now, while it parses (a build that finds its
            # records validated by the one before never imports them).
            import rivals.schema  # noqa: F401

        search = not no_search
        options = BuildOptions(
            data,
            templates,
            out,
            base_url,
            jobs,
            search,
            clean,
            ahead=ahead.parse,
            check=ahead.check,
            leave=_LEFT,
        )
        if quiet or not sys.stdout.isatty():
            report = _run(lambda: build_site(options))
        else:
            from rich.progress import Progress  # only on a terminal: it takes 35 ms to import

            # Redrawn as the build reports, not by rich's refresh thread: the build forks
            # helpers only when it runs alone (see forked.can_fork).
            with Progress(transient=True, auto_refresh=False) as bar:
                task = bar.add_task("Rendering", total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total, refresh=True)

                report = _run(lambda: build_site(replace(options, progress=advance)))
    if verbose:
        for stage, seconds in report.stages.items():
            click.echo(f"  {stage:<14} {seconds:7.3f} s")
    if not quiet:
        click.echo(_summary(report, out))
        for note in [*report.drafts, *report.notes]:
            click.echo(f"note: {note}", err=True)


@cli.command()
@DATA
@TEMPLATES
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to serve on (0 picks a free one).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    callback=lambda ctx, param, value: _some_host(value),
    help="Address to bind; loopback unless you say otherwise.",
)
def serve(data: Path, templates: Path, port: int, host: str) -> None:
    """Build, serve on 127.0.0.1, rebuild on change, reload the open page."""
    from rivals.build import BuildOptions
    from rivals.serve import Report
    from rivals.serve import serve as run_server

    def say(line: str) -> None:
        click.echo(line, err=not isinstance(line, Report))

    options = BuildOptions(data, templates, Path("site"), None, None, False, False)
    _run(lambda: run_server(options, host, port, say))


@cli.command()
@click.argument("slug")
@click.option("--name", help="Display name (default: from the slug).")
@DATA
def new(slug: str, name: str | None, data: Path) -> None:
    """Write a starter models/SLUG.yaml to fill in."""
    from rivals.starter import create_entry

    path = _run(lambda: create_entry(data, slug, name))
    click.echo(
        f"Wrote {path}, a draft: fill in every TODO (`rivals check --data {data}` lists them),"
        " then remove its `draft: true` line to publish it."
    )


def _some_host(value: str) -> str:
    """An empty --host (an unset variable in a script) would bind every address: wrong usage."""
    if not value.strip():
        raise click.BadParameter("must name an address, such as 127.0.0.1 or ::1")
    return value.strip()


def _title(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A title site.yaml could not hold is wrong usage (exit 2): init writes valid catalogs."""
    from rivals.starter import read_name

    try:
        return read_name(value, site=True)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


@cli.command()
@DATA
@click.option(
    "--title", default="Rivals", show_default=True, callback=_title, help="The site's title."
)
def init(data: Path, title: str) -> None:
    """Write a new, valid catalog to start from.

    The --data folder must be missing or empty: nothing is written over.
    """
    import shlex

    from rivals.starter import create_catalog

    written = _run(lambda: create_catalog(data, title))
    names = ", ".join(p.name + ("/" if p.is_dir() else "") for p in written)
    where = shlex.quote(str(data))
    click.echo(
        f"Wrote {data}/: {names}. Next: `rivals new SLUG --data {where}` for a first entry,"
        f" then `rivals serve --data {where}`."
    )


@cli.command()
@click.option(
    "--out",
    type=click.Path(),
    callback=_path,
    help="Write to this file instead of stdout.",
)
def schema(out: Path | None) -> None:
    """Print the JSON Schema of a model file, for editors."""
    from rivals.starter import entry_schema

    text = json.dumps(entry_schema(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    try:  # in place, as `> FILE` would (a device, a FIFO or a link stays what it is)
        out.write_text(text, "utf-8")
    except OSError as err:
        _fail(f"cannot write {out}: {err.strerror or err}")
    click.echo(f"Wrote {out}.")


@cli.command(name="rank")
@DATA
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--category", help="Only entries of this category id.")
def rank_command(data: Path, as_json: bool, category: str | None) -> None:
    """Print the leaderboard."""
    site = _run(lambda: _site(data))
    if category is not None and category not in site.catalog.categories:
        hint = did_you_mean(category, site.catalog.categories)
        _fail(f"unknown category '{category}'{hint}")

    from rivals.terminal import leaderboard_rows, print_leaderboard, stdout_console

    rows = leaderboard_rows(site, category)
    if as_json:  # \u escapes where stdout cannot hold every character: the same JSON
        click.echo(json.dumps(rows, indent=2, ensure_ascii=not _utf8(sys.stdout)))
    else:
        print_leaderboard(stdout_console(), site, rows)


@cli.command(name="compare")
@click.argument("a")
@click.argument("b")
@DATA
def compare_command(a: str, b: str, data: Path) -> None:
    """Print the comparison and verdict of two slugs."""
    if a == b:  # wrong usage whatever the slug (not "unknown slug" twice)
        raise click.UsageError("give two different slugs")
    site = _run(lambda: _site(data))
    for slug in (a, b):
        draft = site.catalog.drafts.get(slug)
        if draft is not None:
            _fail(f"'{slug}' is a draft ({draft.path} has `draft: true`), not published")
        if slug not in site.entries:
            _fail(f"unknown slug '{slug}'{did_you_mean(slug, site.entries)}")

    from rivals.terminal import print_comparison, stdout_console

    print_comparison(stdout_console(), site, a, b)


@cli.command()
@DATA
def check(data: Path) -> None:
    """Validate the catalog; write nothing."""
    with working_ahead(data) as ahead:
        from rivals.build import load_and_validate

        if ahead.parse is not None:
            import rivals.schema  # noqa: F401  (as in build)

        catalog = _run(lambda: load_and_validate(data, ahead=ahead.parse))
    drafts = len(catalog.drafts)
    more = f" (and {counted(drafts, 'draft', 'drafts')})" if drafts else ""
    counts = [
        counted(len(catalog.entries), "entry", "entries") + more,
        counted(len(catalog.categories), "category", "categories"),
        counted(len(catalog.capabilities), "capability", "capabilities"),
    ]
    click.echo(f"{data}/ is valid: {', '.join(counts)}.")
    import datetime as dt

    from rivals.validate import draft_notes, future_dates

    for line in draft_notes(catalog.drafts, listed=True):
        click.echo(line, err=True)
    for line in future_dates(catalog, dt.date.today()):
        click.echo(f"note: {line}", err=True)


def _run(action: Callable[[], T]) -> T:
    """Run a stage; print problems one per line on stderr and exit 1, without a traceback."""
    from rivals.build import BuildError

    try:
        return action()
    except CatalogError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{counted(len(err.problems), 'problem', 'problems')} found.", err=True)
        for line in err.notes:
            click.echo(line, err=True)
        sys.exit(err.exit_code)
    except BuildError as err:
        click.echo(f"error: {err}", err=True)
        if err.untouched:
            click.echo("The build failed; the output folder was left as it was.", err=True)
        sys.exit(err.exit_code)


def _summary(report: BuildReport, out: Path) -> str:
    files = report.written + report.unchanged
    return (
        f"Built {report.pages:,} pages ({files:,} files: {report.written:,} written, "
        f"{report.unchanged:,} unchanged, {report.deleted:,} removed) into {out}/ "
        f"in {report.seconds:.2f} s."
    )


def _site(data: Path) -> Site:
    from rivals.build import load_and_validate
    from rivals.rank import rank
    from rivals.views import Site

    catalog = load_and_validate(data)
    return Site(catalog, rank(catalog))


# What a build leaves for the process to drop at its exit, which frees nothing: a list under
# main only (a caller of `cli` itself, such as a test, goes on living).
_LEFT: list[object] | None = None


def _fail(message: str) -> NoReturn:
    """Say what is wrong and exit 1; a character that is not printable (a slug typed with an
    escape sequence that would set the terminal's title) is shown as its escape."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    click.echo(f"error: {shown}", err=True)
    sys.exit(1)


def main() -> None:
    """Run the `rivals` command (the console script starts here, by rivals.__main__.run).

    Once a verb is done and its output flushed, the process leaves through `os._exit`:
    freeing a big build's objects one by one only delays the exit (by 45 ms for 200
    entries). An exception other than SystemExit is left to Python, traceback and all.
    """
    global _LEFT
    _LEFT = []
    for stream in ("stdout", "stderr"):  # closed by the caller (>&-): write into nothing
        if getattr(sys, stream) is None:
            setattr(sys, stream, open(os.devnull, "w"))  # noqa: SIM115 - lives as the process
    if not _utf8(sys.stdout) and hasattr(sys.stdout, "reconfigure"):
        # A terminal or pipe in ASCII or Latin-1 (PYTHONIOENCODING, a Latin-1 locale): what
        # it cannot hold is shown as "?" (the tables' dashes as "-") rather than stopping with
        # a traceback.
        codecs.register_error("rivals-stand-in", _stand_in)
        sys.stdout.reconfigure(errors="rivals-stand-in")
    try:
        cli(prog_name="rivals")
    except SystemExit as leaving:
        code = leaving.code
    except OSError as err:  # printing failed (stdout is a full disk, /dev/full): say so
        code = _print_failed(err)
    else:
        code = 0
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what Python does with sys.exit("message")
        code = 1
    try:
        sys.stdout.flush()
    except OSError as err:
        code = _print_failed(err)
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code or 0)


# ASCII for the characters rivals' own output uses: a range must not read "51?88".
# One column for one, as the tables measured them: "..." for "…" pushed a row out of line.
_STAND_INS = {"–": "-", "—": "-", "─": "-", "…": "~", "▲": "^", "✓": "v", "·": "-", "→": ">"}


def _stand_in(err: UnicodeError) -> tuple[str, int]:
    """Return what stands in for the characters an encoding cannot hold (a codec error handler)."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    from rich.cells import cell_len  # (only where stdout cannot hold a character)

    # As many "?" as the columns the tables measured: none for a combining mark, two for a
    # wide CJK character.
    text = err.object[err.start : err.end]
    return "".join(_STAND_INS.get(char) or "?" * cell_len(char) for char in text), err.end


def _utf8(stream: object) -> bool:
    """True when `stream` writes text as UTF-8 (or has no encoding to say otherwise)."""
    encoding = getattr(stream, "encoding", None)
    try:
        return encoding is None or codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _print_failed(err: OSError) -> int:
    """Report an OSError that no verb caught (writing to stdout failed: a full disk,
    /dev/full) in one line on stderr, drop what stdout still holds, and return 1."""
    what = str(err.filename) if err.filename else "cannot write the output"
    with contextlib.suppress(OSError):
        print(f"error: {what}: {err.strerror or err}", file=sys.stderr)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as the process
    return 1
