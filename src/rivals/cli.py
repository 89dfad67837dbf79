"""The `rivals` command: one short function per verb, no logic of its own."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from rivals import __version__
from rivals.build import BuildError, BuildOptions, build_site, load_and_validate
from rivals.problems import CatalogError

T = TypeVar("T")
DATA = click.option(
    "--data",
    type=click.Path(path_type=Path),
    default=Path("data"),
    show_default=True,
    help="Catalog folder.",
)


@click.group()
@click.version_option(__version__, prog_name="rivals")
def cli() -> None:
    """Rivals: build "X vs Y" comparison sites from a YAML catalog."""


@cli.command()
@DATA
@click.option(
    "--templates",
    type=click.Path(path_type=Path),
    default=Path("templates"),
    show_default=True,
    help="Template folder; overrides the built-in theme.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("site"),
    show_default=True,
    help="Output folder.",
)
@click.option("--base-url", help="Absolute URL the site is served from (default: site.yaml).")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--no-search", is_flag=True, help="Skip the search index.")
@click.option("--clean", is_flag=True, help="Ignore what an earlier build left; render every page.")
def build(
    data: Path,
    templates: Path,
    out: Path,
    base_url: str | None,
    jobs: int | None,
    no_search: bool,
    clean: bool,
) -> None:
    """Validate, rank and render the whole site."""
    options = BuildOptions(data, templates, out, base_url, jobs, not no_search, clean)
    report = _run(lambda: build_site(options))
    files = report.written + report.unchanged
    click.echo(
        f"Built {report.pages:,} pages ({files:,} files: {report.written:,} written, "
        f"{report.unchanged:,} unchanged, {report.deleted:,} removed) into {out}/ "
        f"in {report.seconds:.2f} s."
    )


@cli.command()
@DATA
def check(data: Path) -> None:
    """Validate the catalog; write nothing."""
    catalog = _run(lambda: load_and_validate(data))
    click.echo(
        f"{data}/ is valid: {len(catalog.entries)} entries, {len(catalog.categories)} categories, "
        f"{len(catalog.capabilities)} capabilities."
    )


def _run(action: Callable[[], T]) -> T:
    """Run a stage; print problems one per line on stderr and exit 1, without a traceback."""
    try:
        return action()
    except CatalogError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        count = len(err.problems)
        click.echo(
            f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", err=True
        )
        sys.exit(err.exit_code)
    except BuildError as err:
        click.echo(f"error: {err}", err=True)
        click.echo("The build failed; the output folder was left as it was.", err=True)
        sys.exit(err.exit_code)


def main() -> None:
    """Entry point of the `rivals` console script."""
    cli(prog_name="rivals")
