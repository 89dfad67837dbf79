"""The leaderboard and a comparison for the terminal (rich tables), and their JSON form."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich import box
from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rivals.pages import entry_record
from rivals.problems import counted
from rivals.rank import SUB_LABELS
from rivals.records import SUB_SCORES
from rivals.verdict import pair_names
from rivals.views import Site, board_legend, feature_rows


def env_columns() -> int | None:
    """Return the width COLUMNS gives, if it is a usable one: a positive number."""
    text = os.environ.get("COLUMNS", "")
    return int(text) if text.isdecimal() and int(text) > 0 else None


def stdout_console() -> Console:
    """Return a console for standard output, which prints ":smile:" in a name as it is (rich
    would make it an emoji), as wide as COLUMNS says or else the terminal is. Its size is
    given, so rich does not read COLUMNS and LINES itself: it took COLUMNS=0 for a width of
    0 and printed nothing, and stopped with a traceback at COLUMNS=² ("²".isdigit())."""
    width, height = 80, 25
    for stream in (sys.stdout, sys.stderr, sys.stdin):  # as rich looks: a pipe's is the tty's
        try:
            width, height = os.get_terminal_size(stream.fileno())
        except (AttributeError, OSError, ValueError):
            continue
        break
    return Console(width=env_columns() or width or 80, height=height or 25, emoji=False)


def leaderboard_rows(site: Site, category: str | None = None) -> list[dict[str, Any]]:
    """Return the leaderboard as plain records (what `rivals rank --json` prints).

    Each record is the one the site publishes in api/models.json.
    """
    return [
        entry_record(site, score.slug)
        for score in site.board.ordered()
        if category is None or category in {c for c, _ in site.entries[score.slug].categories}
    ]


# What the leaderboard leaves out when the terminal is too narrow for all of it: the first of
# these that fits (the sub-scores go together: three of four would be a puzzle). `rivals rank
# --json` has everything.
LEFT_OUT: tuple[tuple[str, ...], ...] = (
    (),
    ("pricing",),
    ("sub-scores",),
    ("sub-scores", "pricing"),
    ("sub-scores", "pricing", "range"),
)
NAME_MIN = 24  # an entry's name is cut (with …) to no fewer columns than this
GAP = 3  # columns between two columns of the table: padding, rule, padding (box.SIMPLE_HEAD)


def print_leaderboard(console: Console, site: Site, rows: list[dict[str, Any]]) -> None:
    """Print the leaderboard as a table as wide as the terminal.

    Every row has its position, name, slug (what `rivals compare` takes) and rank. The coverage
    range, the sub-scores and the pricing plan follow as far as they fit; a note says what was
    left out. A name is cut to fit, never a slug or a number. Output that is not a terminal
    (a pipe, a file) is as wide as the whole table, unless COLUMNS says otherwise.
    """
    columns: list[tuple[str, str, list[str]]] = [  # (group, header, cells)
        ("position", "#", [str(row["position"]) for row in rows]),
        ("name", "Entry", [row["name"] for row in rows]),
        ("slug", "Slug", [row["slug"] for row in rows]),
        ("rank", "Rank", [str(row["rank"]) for row in rows]),
        ("range", "Range", [_interval(row["interval"]) for row in rows]),
    ]
    if not site.board.effective:  # no comparable evidence anywhere: the midpoint, no range
        columns[-1] = ("range", "Range", ["unranked"] * len(rows))
    shown_subs = [name for name in SUB_SCORES if name in site.board.effective]
    for name in shown_subs:  # one that no entry has evidence for is left out: see board_legend
        subs = [row["sub_scores"][name] for row in rows]
        cells = ["—" if value is None else str(value) for value in subs]
        columns.append(("sub-scores", SUB_LABELS[name], cells))
    # The words every page uses: "Usage-based (free tier)", not the JSON's bare plan.
    pricing = [site.entries[row["slug"]].pricing for row in rows]
    columns.append(("pricing", "Pricing", pricing))
    widths = [max(map(cell_len, [header, *cells])) for _, header, cells in columns]
    if not console.is_terminal and env_columns() is None:
        width = sum(widths) + GAP * (len(widths) - 1)
        console = Console(file=console.file, width=width, height=console.height, emoji=False)
    dropped, name_width = _fit(columns, widths, console.width)
    stacked = name_width < 0  # too narrow even so: each slug goes under its entry's name
    if stacked:
        dropped = (*LEFT_OUT[-1], "slug")
    shown = [group for group in dropped if group != "slug"]
    caption = []
    if (
        "range" not in dropped
        and site.board.effective
        and any(_interval(r["interval"]) for r in rows)
    ):
        caption.append(
            "Range: how far an entry's own missing evidence could move its rank (blank: not at"
            " all)."
        )
    if "sub-scores" not in dropped:
        caption += board_legend(site, [row["slug"] for row in rows])
    if dropped:
        caption.append(
            f"Not shown at this width: {', '.join(shown)} (rivals rank --json has them)."
            + (" Each slug is under its entry's name." if stacked else "")
        )
    title = f"{site.catalog.site.title}: {counted(len(rows), 'entry', 'entries')} by rank"
    if stacked:
        _print_stacked(console, title, rows, caption)
        return
    table = Table(
        title=escape(title),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        caption=escape("\n".join(caption)) if caption else None,
        caption_justify="left",
    )
    kept = [(c, w) for c, w in zip(columns, widths, strict=True) if c[0] not in dropped]
    for (group, header, _), width in kept:
        numeric = group not in ("name", "slug", "pricing")
        table.add_column(
            header,
            justify="right" if numeric else "left",
            style="dim" if group == "slug" else None,
            no_wrap=True,
            overflow="ellipsis",
            width=name_width if group == "name" else width,
        )
    for index in range(len(rows)):
        table.add_row(*(escape(cells[index]) for (_, _, cells), _ in kept))
    console.print(table, highlight=False)


def _print_stacked(
    console: Console, title: str, rows: list[dict[str, Any]], caption: list[str]
) -> None:
    """Print the leaderboard for a terminal too narrow for a slug beside its name: position,
    name (cut to fit) and rank on one line, the slug whole on a line of its own below, under
    the name where it fits, else from the first column (and if it is wider than the terminal,
    the terminal wraps it as it wraps any line: a slug cut or folded by rivals could not be
    copied into `rivals compare`)."""
    positions = [str(row["position"]) for row in rows]
    ranks = [str(row["rank"]) for row in rows]
    at = max(map(len, ["#", *positions]))
    rank = max(map(len, ["Rank", *ranks]))
    name = max(console.width - at - rank - 4, 1)  # two spaces between columns
    indent = " " * (at + 2)

    def line(position: str, text: str, number: str) -> str:
        if cell_len(text) > name:
            text = set_cell_size(text, name - 1) + "…"
        return f"{position:>{at}}  {set_cell_size(text, name)}  {number:>{rank}}"

    out = [title, line("#", "Entry / slug", "Rank"), "─" * min(at + name + rank + 4, console.width)]
    for row, position, number in zip(rows, positions, ranks, strict=True):
        slug = row["slug"]
        out += [
            line(position, row["name"], number),
            f"{indent}{slug}" if len(indent) + len(slug) <= console.width else slug,
        ]
    for text in out:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    if caption:
        console.print(escape("\n".join(caption)), highlight=False)


def _interval(interval: list[int]) -> str:
    low, high = interval
    return "" if low == high else f"{low}–{high}"


def _fit(
    columns: list[tuple[str, str, list[str]]], widths: list[int], width: int
) -> tuple[tuple[str, ...], int]:
    """Return the optional groups of columns to leave out so that the table fits `width`, and
    the width of the name column (its widest name, or less, down to NAME_MIN, or to 8 when
    everything optional is out); -1 when even that does not fit."""
    for dropped in LEFT_OUT:
        kept = [(g, w) for (g, _, _), w in zip(columns, widths, strict=True) if g not in dropped]
        others = sum(w for g, w in kept if g != "name") + GAP * (len(kept) - 1)
        name = next(w for g, w in kept if g == "name")
        if others + min(name, NAME_MIN) <= width:
            return dropped, min(name, max(width - others, 8))
    if others + min(name, 8) <= width:  # the name gives up what it can
        return dropped, width - others
    return dropped, -1  # nothing fits: see print_leaderboard


def print_comparison(console: Console, site: Site, a: str, b: str) -> None:
    """Print the feature table, the capabilities side by side and the verdict of a pair."""
    if a > b:
        a, b = b, a
    va, vb = site.entries[a], site.entries[b]
    cmp = site.comparison(a, b)
    name_a, name_b = map(escape, pair_names(a, va.label, b, vb.label))
    # Names and texts come from the catalog: escaped, so that "[" in them is not rich markup.
    console.print(f"[bold]{name_a} vs {name_b}[/bold]", highlight=False)
    console.print(escape(f"{cmp.lead} {cmp.basis}"), highlight=False)
    features = Table(show_header=True)
    features.add_column("Feature")
    features.add_column(name_a)
    features.add_column(name_b)
    for label, cells in feature_rows(site, a, b):
        shown = [
            c.text + (" ▲" if c.leads else "") + (f" ({c.note})" if c.note else "") for c in cells
        ]
        features.add_row(label, *map(escape, shown))
    together = cmp.times_matched_together
    times = f"{together:,} time{'' if together == 1 else 's'}"
    graph = (
        "in the match graph" if cmp.graph else "(no two entries of the catalog were ever matched)"
    )
    features.caption = f"Matched together: {times} {graph}"  # of the pair, not a side
    features.caption_justify = "left"
    console.print(features)
    caps = Table(title="Capabilities", title_justify="left")
    caps.add_column("Capability")
    caps.add_column(name_a)
    caps.add_column(name_b)
    names = site.catalog.capabilities
    for ids, marks in (
        (cmp.shared, ("✓", "✓")),
        (cmp.only_a, ("✓", "—")),
        (cmp.only_b, ("—", "✓")),
    ):
        for cap in ids:
            caps.add_row(escape(names[cap].name), *marks)
    console.print(caps)
    console.print("[bold]Verdict[/bold]")
    console.print(escape(" ".join(cmp.verdict)), highlight=False)
