"""Every invalid case reports exactly its expected lines; the valid catalog passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import INVALID, overlay, problems_of
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
