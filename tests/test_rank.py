"""Ranking properties: monotone, weighted, deterministic, honest about missing evidence."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from rivals.build import BuildOptions, build_site, load_and_validate
from rivals.rank import figure, rank
from rivals.views import Site


def edit(catalog: Path, slug: str, change) -> None:
    path = catalog / "models" / f"{slug}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_more_stars_never_lowers_adoption(catalog: Path) -> None:
    before = rank(load_and_validate(catalog)).scores
    for stars in (1500, 30000, 10**7):
        edit(catalog, "beta-paint", lambda d, s=stars: d["signals"].update(github_stars=s))
        after = rank(load_and_validate(catalog)).scores
        assert (
            after["beta-paint"].subs["adoption"].used >= before["beta-paint"].subs["adoption"].used
        )
        assert after["beta-paint"].exact >= before["beta-paint"].exact
        before = after


def test_rank_is_the_weighted_sum_of_sub_scores(catalog: Path) -> None:
    board = rank(load_and_validate(catalog))
    assert board.effective == board.weights  # every sub-score has evidence somewhere
    for score in board.scores.values():
        total = sum(board.weights[n] * s.used for n, s in score.subs.items())
        assert math.isclose(score.exact, total)
        assert score.rank == math.floor(total + 0.5)


def set_weights(catalog: Path, weights: str) -> None:
    site = catalog / "site.yaml"
    old = "{adoption: 0.35, quality: 0.35, ecosystem: 0.2, match_graph: 0.1}"
    site.write_text(site.read_text().replace(old, weights))


def test_changing_a_weight_changes_the_rank_accordingly(catalog: Path) -> None:
    set_weights(catalog, "{adoption: 1, quality: 0, ecosystem: 0, match_graph: 0}")
    board = rank(load_and_validate(catalog))
    for score in board.scores.values():
        assert math.isclose(score.exact, score.subs["adoption"].used)


def test_ranking_is_deterministic(catalog: Path) -> None:
    assert rank(load_and_validate(catalog)) == rank(load_and_validate(catalog))


def test_intervals_contain_the_score_and_are_exact_when_complete(catalog: Path) -> None:
    board = rank(load_and_validate(catalog))
    for score in board.scores.values():
        assert score.low <= score.rank <= score.high
    # alpha-vision reports every signal; delta-api none at all.
    assert board.scores["alpha-vision"].low == board.scores["alpha-vision"].high
    delta = board.scores["delta-api"]
    assert delta.subs["adoption"].value is None
    assert delta.high - delta.low >= 80


def test_missing_evidence_is_explicit_never_a_silent_zero(catalog: Path) -> None:
    board = rank(load_and_validate(catalog))
    delta = board.scores["delta-api"].subs["adoption"]
    assert delta.value is None and delta.inputs == ()
    others = sorted(s.subs["adoption"].used for k, s in board.scores.items() if k != "delta-api")
    assert delta.used == others[len(others) // 2]  # the catalog median, shown as missing
    assert (delta.low, delta.high) == (0.0, 100.0)
    beta = board.scores["beta-paint"].subs["adoption"]
    assert beta.missing == ("Monthly downloads",)


def test_a_sub_score_nobody_has_is_left_out_and_weights_rescaled(catalog: Path) -> None:
    (catalog / "matches.yaml").unlink()
    board = rank(load_and_validate(catalog))
    assert "match_graph" not in board.effective
    assert math.isclose(sum(board.effective.values()), 1.0)
    assert board.notes


def test_when_only_weightless_sub_scores_have_evidence_they_count_equally(
    catalog: Path,
) -> None:
    (catalog / "matches.yaml").unlink()
    set_weights(catalog, "{adoption: 0, quality: 0, ecosystem: 0, match_graph: 1}")
    board = rank(load_and_validate(catalog))
    assert board.effective == {"adoption": 1 / 3, "quality": 1 / 3, "ecosystem": 1 / 3}
    assert len({score.rank for score in board.scores.values()}) > 1  # not 0 for everyone
    assert board.notes[-1] == (
        "The sub-scores that have evidence (adoption, quality, ecosystem) all have weight 0 in"
        " the site's settings, so they are weighted equally."
    )


def test_lower_is_better_benchmarks_are_flipped(catalog: Path) -> None:
    edit(catalog, "alpha-vision", lambda d: d["signals"]["benchmarks"].update(wer=3.0))
    edit(catalog, "beta-paint", lambda d: d["signals"]["benchmarks"].update(wer=9.0))
    board = rank(load_and_validate(catalog))
    wer = {
        s: next(i for i in board.scores[s].subs["quality"].inputs if i.label == "Word error rate")
        for s in ("alpha-vision", "beta-paint")
    }
    assert wer["alpha-vision"].score == 100 and wer["beta-paint"].score == 0


def test_positions_follow_ranks(catalog: Path) -> None:
    ordered = rank(load_and_validate(catalog)).ordered()
    assert [s.position for s in ordered] == sorted(s.position for s in ordered)
    assert all(a.rank >= b.rank for a, b in itertools.pairwise(ordered))


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1e7, "10,000,000"), (1234567.5, "1,234,567.5"), (1e-05, "0.00001"), (92.53, "92.53")],
)
def test_figures_are_shown_as_written(value: float, shown: str) -> None:
    assert figure(value) == shown


def test_evidence_rounds_half_up_like_the_scores(catalog: Path) -> None:
    bench = catalog / "benchmarks.yaml"
    bench.write_text(bench.read_text() + "extra:\n  name: Extra\n  higher_is_better: true\n")
    for slug, value in (("alpha-vision", 0), ("beta-paint", 62.5), ("gamma-studio", 100)):
        edit(
            catalog,
            slug,
            lambda d, v=value: (
                d.setdefault("signals", {}).setdefault("benchmarks", {}).update(extra=v)
            ),
        )
    catalog_ = load_and_validate(catalog)
    site = Site(catalog_, rank(catalog_))
    shown = dict((label, score) for label, _, score in site.entries["beta-paint"].subs[1].inputs)
    assert shown["Extra"] == 63  # 62.5 up, as every score is rounded, not to the even 62


def four_entries(catalog: Path, signals: dict[str, dict]) -> None:
    """Replace the catalog's entries with one per item of `signals` (no matches)."""
    for path in (catalog / "models").iterdir():
        path.unlink()
    (catalog / "matches.yaml").unlink()
    for slug, found in signals.items():
        entry = {
            "name": slug.title(),
            "kind": "model",
            "summary": "An entry.",
            "categories": ["painting"],
            "pricing": {"plan": "free"},
            "signals": {"as_of": "2026-10-01", **found},
            "capabilities": [{"id": "text-to-image", "summary": "Draws."}],
        }
        (catalog / "models" / f"{slug}.yaml").write_text(yaml.safe_dump(entry))


def test_the_rank_is_the_sum_of_the_whole_points_a_page_shows(catalog: Path) -> None:
    # Unrounded, alpha's sub-scores sum to 50.1 and beta's to 50.9 (ranks 50 and 51), but
    # both show adoption 50 and quality 51: a reader's sum gives both 50.5, so 51.
    set_weights(catalog, "{adoption: 0.5, quality: 0.5, ecosystem: 0, match_graph: 0}")
    four_entries(
        catalog,
        {
            "alpha": {"github_stars": 945, "benchmarks": {"scienceqa": 50.6}},
            "beta": {"github_stars": 1056, "benchmarks": {"scienceqa": 51.4}},
            "low": {"github_stars": 0, "benchmarks": {"scienceqa": 0}},
            "high": {"github_stars": 1000000, "benchmarks": {"scienceqa": 100}},
        },
    )
    board = rank(load_and_validate(catalog))
    alpha, beta = board.scores["alpha"], board.scores["beta"]
    assert [alpha.subs[n].value for n in ("adoption", "quality")] == [50, 51]
    assert [beta.subs[n].value for n in ("adoption", "quality")] == [50, 51]
    assert alpha.rank == beta.rank == 51 and alpha.position == beta.position
    for score in board.scores.values():
        shown = sum(w * score.subs[n].used for n, w in board.effective.items())
        assert all(sub.used == int(sub.used) for sub in score.subs.values())
        assert score.rank == math.floor(shown + 0.5) and score.low == score.high == score.rank


def test_the_rank_can_be_redone_from_the_printed_weights(tmp_path: Path) -> None:
    # The default catalog has no adoption figures: the other weights count in proportion,
    # 0.35 / 0.65 and so on, which no two-decimal share reproduces.
    board = rank(load_and_validate(REPO / "data"))
    assert "adoption" not in board.effective
    weights = {n: board.weights[n] for n in board.effective}
    for score in board.scores.values():
        total = sum(w * score.subs[n].used for n, w in weights.items()) / sum(weights.values())
        assert score.rank == math.floor(total + 0.5), score.slug


def test_small_weights_are_printed_as_written(catalog: Path, tmp_path: Path) -> None:
    set_weights(catalog, "{adoption: 0.99, quality: 0.004, ecosystem: 0.003, match_graph: 0.003}")
    out = tmp_path / "site"
    build_site(BuildOptions(data=catalog, out=out, jobs=1, search=False))
    page = (out / "methodology" / "index.html").read_text()
    assert "<td>0.004</td>" in page and "<td>0.003</td>" in page and "<td>0.99</td>" in page
    assert "0.00<" not in page


def test_a_figure_only_one_entry_reports_is_not_compared(catalog: Path) -> None:
    edit(catalog, "alpha-vision", lambda d: d["signals"].update(monthly_downloads=10**6))
    for slug in ("beta-paint", "gamma-studio", "delta-api"):
        edit(catalog, slug, lambda d: (d.get("signals") or {}).pop("monthly_downloads", None))
    board = rank(load_and_validate(catalog))
    alpha = board.scores["alpha-vision"].subs["adoption"]
    downloads = next(i for i in alpha.inputs if i.label == "Monthly downloads")
    assert downloads.score is None  # shown, but compared with nothing
    # Missing for the others all the same: reported by a second entry, it would count.
    for slug in ("beta-paint", "delta-api"):
        beta = board.scores[slug]
        assert "Monthly downloads" in beta.subs["adoption"].missing
        assert beta.low < beta.high


def test_a_sub_score_is_the_mean_of_the_whole_points_its_inputs_show() -> None:
    """kohya-ss showed Ecosystem 28 beside Integrations 17 and Platforms 40: the mean of the
    unrounded scores, not of the numbers on the page (28.5, which rounds to 29)."""
    from rivals.rank import round_half_up

    board = rank(load_and_validate(REPO / "data"))
    checked = 0
    for score in board.scores.values():
        for sub in score.subs.values():
            shown = [e.score for e in sub.inputs if e.score is not None]
            assert all(s == int(s) for s in shown)
            if sub.value is not None:
                assert sub.value == round_half_up(sum(shown) / len(shown))
                checked += 1
    assert checked > 50


def test_matches_of_count_0_only_are_no_match_graph_evidence(catalog: Path) -> None:
    """One pair listed with count 0 gave every entry "times matched: 0 -> 50", and pages said
    the two were level on match graph: without evidence it is left out, as with no file."""
    (catalog / "matches.yaml").write_text("- pair: [alpha-vision, beta-paint]\n  count: 0\n")
    board = rank(load_and_validate(catalog))
    assert "match_graph" not in board.effective
    assert all(s.subs["match_graph"].value is None for s in board.scores.values())
    (catalog / "matches.yaml").unlink()
    assert rank(load_and_validate(catalog)).effective == board.effective
