"""The leaderboard and a comparison for the terminal (rich tables), and their JSON form."""

from __future__ import annotations

import os
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rivals.pages import entry_record
from rivals.problems import counted
from rivals.rank import SUB_LABELS
from rivals.records import SUB_SCORES
from rivals.verdict import pair_names
from rivals.views import Site, board_legend, feature_rows


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
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(file=console.file, width=sum(widths) + GAP * (len(widths) - 1))
    dropped, name_width = _fit(columns, widths, console.width)
    stacked = name_width < 0  # too narrow even so: each slug goes under its entry's name
    if stacked:
        dropped = (*LEFT_OUT[-1], "slug")
        kept_widths = [w for (g, _, _), w in zip(columns, widths, strict=True) if g not in dropped]
        name_width = max(console.width - sum(kept_widths[:1] + kept_widths[2:]) - 2 * GAP, 8)
    shown = [group for group in dropped if group != "slug"]
    caption = []
    if (
        "range" not in dropped
        and site.board.effective
        and any(_interval(r["interval"]) for r in rows)
    ):
        caption.append("Range: how far missing evidence could move a rank (blank: not at all).")
    if "sub-scores" not in dropped:
        caption += board_legend(site, [row["slug"] for row in rows])
    if dropped:
        caption.append(
            f"Not shown at this width: {', '.join(shown)} (rivals rank --json has them)."
            + (" Each slug is under its entry's name." if stacked else "")
        )
    table = Table(
        title=escape(
            f"{site.catalog.site.title}: {counted(len(rows), 'entry', 'entries')} by rank"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        caption=escape("\n".join(caption)) if caption else None,
        caption_justify="left",
    )
    kept = [(c, w) for c, w in zip(columns, widths, strict=True) if c[0] not in dropped]
    slugs = columns[2][2]
    for (group, header, _), width in kept:
        numeric = group not in ("name", "slug", "pricing")
        table.add_column(
            "Entry / slug" if stacked and group == "name" else header,
            justify="right" if numeric else "left",
            style="dim" if group == "slug" else None,
            no_wrap=not (stacked and group == "name"),
            overflow="fold" if stacked and group == "name" else "ellipsis",
            width=name_width if group == "name" else width,
        )
    for index in range(len(rows)):
        cells = [escape(cells[index]) for (_, _, cells), _ in kept]
        if stacked:  # the name cut to one line, the slug whole below it (folded if need be)
            name = kept[1][0][2][index]
            if cell_len(name) > name_width:
                name = name[: max(name_width - 1, 1)] + "…"
            cells[1] = f"{escape(name)}\n[dim]{escape(slugs[index])}[/dim]"
        table.add_row(*cells)
    console.print(table, highlight=False)


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
