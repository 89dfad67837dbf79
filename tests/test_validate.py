"""Every invalid case reports exactly its expected lines; the valid catalog passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import INVALID, overlay, problems_of
from rivals.cli import cli
from rivals.load import load_catalog
from rivals.validate import validate_catalog

CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def test_the_valid_fixture_has_no_problems(catalog: Path) -> None:
    assert problems_of(catalog) == []


@pytest.mark.parametrize("case", CASES)
def test_invalid_case_reports_every_expected_line(case: str, catalog: Path) -> None:
    overlay(INVALID / case, catalog)
    expected = (INVALID / case / "expected.txt").read_text().splitlines()
    assert problems_of(catalog) == expected


def test_the_default_catalog_is_valid() -> None:
    assert problems_of(Path(__file__).parents[1] / "data") == []


def test_validated_values_keep_the_authors_text(catalog: Path) -> None:
    raw, problems = load_catalog(catalog)
    cat = validate_catalog(raw, problems)
    assert cat.entries["alpha-vision"].license == "NO"
    assert cat.entries["beta-paint"].name == "1.10"
    assert cat.entries["alpha-vision"].signals is not None
    assert cat.entries["alpha-vision"].signals.github_stars == 24000
    assert cat.times_matched("alpha-vision") == 17
    assert cat.pair_count("beta-paint", "alpha-vision") == 14


@pytest.mark.parametrize(
    ("escaped", "ok"),
    [
        ("https://example.org/a\\tb", False),
        ("https://example.org/a\\u00a0b", False),  # a no-break space is a space too
        ("https://example.org/a\\u2003b", False),
        ("https://example.org/a\\x7fb", "control character U+007F is not allowed"),
        ("https://example.org/a\\x1fb", "control character U+001F is not allowed"),
        ("https://example.org/caf\\u00e9", True),
    ],
)
def test_a_url_with_a_space_or_control_character_is_refused(
    escaped: str, ok: bool | str, catalog: Path
) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    text = path.read_text()
    path.write_text(text.replace("https://github.com/example/gamma", f'"{escaped}"', 1))
    message = ok if isinstance(ok, str) else "a URL must not contain spaces or control characters"
    expected = [] if ok is True else [f"models/gamma-studio.yaml:8: links.repository: {message}"]
    assert problems_of(catalog) == expected  # one problem, not a second one for the URL


@pytest.mark.parametrize(
    "written",
    [
        "TODO one paragraph, in your own words, on what it is and who it is for.",
        '"\\x54ODO what sets it apart here."',
        "TODO",
        "'TODO '",
    ],
)
def test_a_placeholder_is_found_however_it_is_written(written: str, catalog: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    old = "summary: A local front end for image models."
    path.write_text(path.read_text().replace(old, f"summary: {written}", 1))
    assert problems_of(catalog) == [
        "models/gamma-studio.yaml:3: summary: placeholder still to fill in"
    ]


def test_text_that_starts_with_todo_is_not_a_placeholder(catalog: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    old = "summary: A local front end for image models."
    text = path.read_text().replace(old, "summary: TODO lists kept in plain text files.", 1)
    path.write_text(text.replace("name: Gamma Studio", "name: TODO Tree", 1))
    assert problems_of(catalog) == []


def _copy_entry(catalog: Path, slug: str, to: str) -> None:
    text = (catalog / "models" / f"{slug}.yaml").read_text()
    (catalog / "models" / f"{to}.yaml").write_text(text.replace("name: ", f"name: {to} ", 1))


def test_two_pairs_that_would_share_a_page_are_reported(catalog: Path) -> None:
    # "a-vs" with "b" and "a" with "vs-b" would both be compare/a-vs-vs-b/.
    for slug in ("a", "a-vs", "b", "vs-b"):
        _copy_entry(catalog, "delta-api", slug)
    assert problems_of(catalog) == [
        "models/a-vs.yaml:1: (file name): 'a-vs' vs 'b' and 'a' vs 'vs-b' would both be the"
        " page compare/a-vs-vs-b/: rename one of the four"
    ]
    (catalog / "models" / "vs-b.yaml").unlink()  # a-vs with b alone is one page
    assert problems_of(catalog) == []


def test_an_optional_key_left_empty_is_as_if_not_given(catalog: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    text = path.read_text()
    text = text.replace("links:\n  repository: https://github.com/example/gamma\n", "links:\n")
    text = text.replace("sources:\n  - url: https://github.com/example/gamma\n", "sources:\n")
    path.write_text(text.replace("  plan: freemium\n", "  plan: freemium\n  note:\nlicense:\n"))
    site = catalog / "site.yaml"
    site.write_text("title: Test Rivals\ntagline:\nranking:\npairs:\n")
    assert problems_of(catalog) == []
    raw, problems = load_catalog(catalog)
    cat = validate_catalog(raw, problems)
    assert cat.entries["gamma-studio"].links.repository is None
    assert cat.entries["gamma-studio"].sources == []
    assert cat.site.tagline == ""
    assert cat.site.pairs == "all"
    # A required key left empty is still a problem.
    path.write_text(text.replace("name: Gamma Studio", "name:"))
    assert problems_of(catalog) == ["models/gamma-studio.yaml:1: name: expected text, got nothing"]


def test_a_site_title_may_be_as_long_as_a_tagline(catalog: Path) -> None:
    """The format bounds no site title: 500 characters were refused as if it were a name."""
    site = catalog / "site.yaml"
    site.write_text(f"title: {'Long title ' * 50}\n")
    assert problems_of(catalog) == []
    site.write_text(f"title: {'t' * 2001}\n")
    assert problems_of(catalog) == [
        f"site.yaml:1: title: String should have at most 2000 characters, got '{'t' * 59}…'"
    ]


def test_weights_not_given_count_zero_and_the_rest_must_sum_to_one(catalog: Path) -> None:
    site = catalog / "site.yaml"
    site.write_text("ranking:\n  weights: {adoption: 0.5, quality: 0.5}\n")
    raw, problems = load_catalog(catalog)
    weights = validate_catalog(raw, problems).site.ranking.weights
    assert (weights.adoption, weights.quality, weights.ecosystem, weights.match_graph) == (
        0.5,
        0.5,
        0.0,
        0.0,
    )
    site.write_text("ranking:\n  weights: {adoption: 0.5}\n")
    assert problems_of(catalog) == [
        "site.yaml:2: ranking.weights: weights must sum to 1 (they sum to 0.5)"
    ]


def test_long_but_reasonable_values_are_accepted(catalog: Path) -> None:
    (catalog / "benchmarks.yaml").write_text(
        (catalog / "benchmarks.yaml").read_text()
        + "speed:\n  name: Speed\n  higher_is_better: true\n  unit: tokens per second\n"
    )
    path = catalog / "models" / "gamma-studio.yaml"
    long_license = "Free for research; " * 20  # 380 characters of free text
    path.write_text(f"license: {long_license.strip()}\n" + path.read_text())
    site = catalog / "site.yaml"
    site.write_text(site.read_text().replace("capabilities_shown: 2", "capabilities_shown: 5000"))
    assert problems_of(catalog) == []


def test_the_sum_of_the_weights_is_checked_beside_an_unknown_key(catalog: Path) -> None:
    (catalog / "site.yaml").write_text(
        "ranking:\n  weights: {adoption: 0.5, quality: 0.1, popularity: 0.4}\n"
    )
    assert problems_of(catalog) == [
        "site.yaml:2: ranking.weights: weights must sum to 1 (they sum to 0.6)",
        "site.yaml:2: ranking.weights.popularity: unknown field 'popularity'",
    ]


def test_an_integration_or_platform_listed_twice_counts_once(catalog: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    listed = '[diffusers, comfyui, Diffusers, "diff\u200busers", "ｃｏｍｆｙｕｉ"]'
    text = path.read_text().replace("[diffusers, comfyui]", listed)
    path.write_text(text.replace("platforms: [linux]", "platforms: [linux, linux]"))
    assert problems_of(catalog) == []
    raw, problems = load_catalog(catalog)
    signals = validate_catalog(raw, problems).entries["gamma-studio"].signals
    assert signals is not None
    assert (signals.integrations, signals.platforms) == (["diffusers", "comfyui"], ["linux"])


def test_a_record_with_a_bad_id_has_its_fields_checked_too(catalog: Path) -> None:
    path = catalog / "categories.yaml"
    path.write_text(path.read_text() + "Bad_Cat:\n  name: Bad\n  colour: red\n")
    found = problems_of(catalog)
    assert any(
        line.startswith("categories.yaml:") and "Bad_Cat: id must be" in line for line in found
    )
    assert any("Bad_Cat.colour: unknown field 'colour'" in line for line in found), found


def test_an_empty_draft_line_is_as_if_not_given(catalog: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    path.write_text(path.read_text() + "draft:\n")
    assert problems_of(catalog) == []
    raw, problems = load_catalog(catalog)
    assert "gamma-studio" in validate_catalog(raw, problems).entries  # published


def test_vs_with_vs_vs_is_one_pair_not_two(catalog: Path) -> None:
    for slug in ("vs", "vs-vs"):
        _copy_entry(catalog, "delta-api", slug)
    assert problems_of(catalog) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Zed\\u202e", "a name must not contain the bidi control character U+202E: it reorders"),
        ("Zed\\u2067x", "a name must not contain the bidi control character U+2067: it reorders"),
        ("\\u200b", "must not be empty: a name of invisible characters only shows nothing"),
        ("\\ufeff \\u2800", "must not be empty: a name of invisible characters only shows nothing"),
        (" \\u0301", "must not be empty: a name of invisible characters only shows nothing"),
    ],
)
def test_a_bidi_control_or_only_invisible_characters_in_a_name_is_refused(
    name: str, message: str, catalog: Path
) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    path.write_text(path.read_text().replace("name: Gamma Studio", f'name: "{name}"'))
    found = problems_of(catalog)
    assert len(found) == 1 and found[0].startswith(f"models/gamma-studio.yaml:1: name: {message}")


def test_a_name_is_read_on_one_line(catalog: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    forged = "Zed\\ndata/models/llava.yaml:3: summary: FORGED  problem"
    path.write_text(path.read_text().replace("name: Gamma Studio", f'name: "{forged}"'))
    raw, problems = load_catalog(catalog)
    entry = validate_catalog(raw, problems).entries["gamma-studio"]
    assert entry.name == "Zed data/models/llava.yaml:3: summary: FORGED problem"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://example.org@evil.example/", "a URL must not hold a user name or password"),
        ("https://user:secret@example.org/", "a URL must not hold a user name or password"),
        ("https://example.org\\\\@evil.example/", "a URL must not contain a backslash"),
    ],
)
def test_a_link_that_hides_its_host_is_refused(url: str, message: str, catalog: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    path.write_text(path.read_text().replace("https://github.com/example/gamma", f"'{url}'", 1))
    found = problems_of(catalog)
    assert len(found) == 1 and found[0].startswith(
        f"models/gamma-studio.yaml:8: links.repository: {message}"
    ), found


def test_a_mastodon_style_path_is_fine(catalog: Path) -> None:
    path = catalog / "models" / "gamma-studio.yaml"
    text = path.read_text().replace("https://github.com/example/gamma", "https://x.example/@me", 1)
    path.write_text(text)
    assert problems_of(catalog) == []


@pytest.mark.parametrize("bad", ['"', "<", ">", "`", "{", "|"])
def test_a_base_url_with_characters_a_url_cannot_hold_raw_is_refused(
    bad: str, catalog: Path
) -> None:
    site = catalog / "site.yaml"
    site.write_text(
        site.read_text().replace(
            "base_url: https://test.example.org/", f"base_url: 'https://test.example.org/a{bad}b/'"
        )
    )
    found = problems_of(catalog)
    assert len(found) == 1 and f"a base URL must not contain {bad}" in found[0], found


@pytest.mark.parametrize(
    ("host", "refused"),
    [("exämple.org", False), ("例え.jp", False), ("straße.de", True), ("ex\u200dample.org", True)],
)
def test_a_base_url_host_with_two_ascii_forms_is_refused(
    host: str, refused: bool, catalog: Path
) -> None:
    """IDNA 2003 (the sitemap's encoding) makes 'straße.de' 'strasse.de'; browsers do not."""
    site = catalog / "site.yaml"
    old = "base_url: https://test.example.org/"
    site.write_text(site.read_text().replace(old, f"base_url: 'https://{host}/'"))
    found = problems_of(catalog)
    said = "write the host of a base URL in its ASCII form (xn--...)"
    assert (len(found) == 1 and said in found[0]) if refused else found == [], found


def test_a_date_of_reading_after_today_is_noted(catalog: Path, runner: CliRunner) -> None:
    import datetime as dt

    from rivals.validate import future_dates

    path = catalog / "models" / "gamma-studio.yaml"
    path.write_text(path.read_text().replace("as_of: 2026-09-15", "as_of: 2999-01-02"))
    raw, problems = load_catalog(catalog)
    found = validate_catalog(raw, problems)
    assert future_dates(found, dt.date(2999, 1, 2)) == []  # that day is fine
    noted = f"{catalog}/models/gamma-studio.yaml:10: signals.as_of: 2999-01-02 is after today"
    assert future_dates(found, dt.date(2999, 1, 1)) == [noted]
    result = runner.invoke(cli, ["check", "--data", str(catalog)])
    assert result.exit_code == 0  # a note, not a problem
    assert f"note: {noted}" in result.stderr.splitlines()


def test_integrations_alike_to_a_reader_count_once() -> None:
    from rivals.schema import _distinct

    assert _distinct(["Hugging Face", "Hugging  Face", "ol-lama", "ol\u2010lama", "vllm"]) == [
        "Hugging Face",
        "ol-lama",
        "vllm",
    ]


def test_a_bad_key_is_named_by_its_path_alone(catalog: Path) -> None:
    """pydantic marks a mapping's key that fails with "[key]": it showed in the field. A key
    a catalog names "[key]" keeps its name."""
    path = catalog / "models" / "alpha-vision.yaml"
    path.write_text(path.read_text().replace("    scienceqa: 92.53", "    MMLU: 5"))
    found = problems_of(catalog)
    assert len(found) == 1 and found[0].startswith(
        "models/alpha-vision.yaml:17: signals.benchmarks.MMLU: must be lowercase"
    ), found
    path.write_text(path.read_text().replace("    MMLU: 5", '    "[key]": 5'))
    found = problems_of(catalog)
    assert len(found) == 1 and found[0].startswith(
        "models/alpha-vision.yaml:17: signals.benchmarks.[key]: must be lowercase"
    ), found


def test_numbers_dates_and_yes_or_no_get_plain_messages(catalog: Path) -> None:
    path = catalog / "models" / "alpha-vision.yaml"
    text = path.read_text().replace("released: 2023-04-17", "released: 2023-02-30")
    text = text.replace("github_stars: 24000", "github_stars: lots")
    path.write_text(text.replace("monthly_downloads: 350000", "monthly_downloads: 1.5"))
    benchmarks = catalog / "benchmarks.yaml"
    benchmarks.write_text(
        benchmarks.read_text().replace("higher_is_better: true", "higher_is_better:", 1)
    )
    assert problems_of(catalog) == [
        "benchmarks.yaml:3: scienceqa.higher_is_better: expected true or false, got nothing",
        "models/alpha-vision.yaml:8: released: not a real date (day value is outside expected"
        " range), got '2023-02-30'",
        "models/alpha-vision.yaml:14: signals.github_stars: expected a whole number, got 'lots'",
        "models/alpha-vision.yaml:15: signals.monthly_downloads: expected a whole number, got '1.5'",
    ]
    path.write_text(path.read_text().replace("released: 2023-02-30", "released: [2023-04-17]"))
    assert "models/alpha-vision.yaml:8: released: expected a date as YYYY-MM-DD, got a list" in (
        problems_of(catalog)
    )


def test_an_id_in_the_wrong_case_gets_the_id_it_reads_as(catalog: Path) -> None:
    path = catalog / "matches.yaml"
    path.write_text(
        path.read_text().replace("[alpha-vision, beta-paint]", "[Alpha-Vision, beta-paint]")
    )
    found = problems_of(catalog)
    assert found == [
        "matches.yaml:2: [0].pair[0]: must be lowercase letters and digits in words joined by"
        " single hyphens: 'Alpha-Vision' (did you mean 'alpha-vision'?)"
    ], found
