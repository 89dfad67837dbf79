"""The leaderboard and a comparison for the terminal (rich tables), and their JSON form."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from rivals.pages import entry_record
from rivals.rank import SUB_LABELS
from rivals.records import SUB_SCORES
from rivals.views import Site, feature_rows


def leaderboard_rows(site: Site, category: str | None = None) -> list[dict[str, Any]]:
    """Return the leaderboard as plain records (what `rivals rank --json` prints).

    Each record is the one the site publishes in api/models.json.
    """
    return [
        entry_record(site, score.slug)
        for score in site.board.ordered()
        if category is None or category in {c for c, _ in site.entries[score.slug].categories}
    ]


def print_leaderboard(console: Console, site: Site, rows: list[dict[str, Any]]) -> None:
    """Print the leaderboard as a table."""
    table = Table(
        title=f"{site.catalog.site.title}: {len(rows)} entries by rank", title_justify="left"
    )
    table.add_column("#", justify="right")
    table.add_column("Entry")
    table.add_column("Rank", justify="right")
    table.add_column("Range", justify="right")
    for name in SUB_SCORES:
        table.add_column(SUB_LABELS[name], justify="right")
    table.add_column("Pricing")
    for row in rows:
        low, high = row["interval"]
        pricing = row["pricing"]["plan"]
        subs = [
            "—" if row["sub_scores"][n] is None else str(row["sub_scores"][n]) for n in SUB_SCORES
        ]
        table.add_row(
            str(row["position"]),
            f"{row['name']} [dim]({row['slug']})[/dim]",
            str(row["rank"]),
            "" if low == high else f"{low}–{high}",
            *subs,
            pricing,
        )
    console.print(table)


def print_comparison(console: Console, site: Site, a: str, b: str) -> None:
    """Print the feature table, the capabilities side by side and the verdict of a pair."""
    if a > b:
        a, b = b, a
    va, vb = site.entries[a], site.entries[b]
    cmp = site.comparison(a, b)
    console.print(f"[bold]{va.name} vs {vb.name}[/bold]", highlight=False)
    console.print(f"{cmp.lead} {cmp.basis}", highlight=False)
    features = Table(show_header=True)
    features.add_column("Feature")
    features.add_column(va.name)
    features.add_column(vb.name)
    for label, cells in feature_rows(site, a, b):
        shown = [
            c.text + (" ▲" if c.leads else "") + (f" ({c.note})" if c.note else "") for c in cells
        ]
        features.add_row(label, *shown)
    console.print(features)
    caps = Table(title="Capabilities", title_justify="left")
    caps.add_column("Capability")
    caps.add_column(va.name)
    caps.add_column(vb.name)
    names = site.catalog.capabilities
    for ids, marks in (
        (cmp.shared, ("✓", "✓")),
        (cmp.only_a, ("✓", "—")),
        (cmp.only_b, ("—", "✓")),
    ):
        for cap in ids:
            caps.add_row(names[cap].name, *marks)
    console.print(caps)
    console.print("[bold]Verdict[/bold]")
    console.print(" ".join(cmp.verdict), highlight=False)
