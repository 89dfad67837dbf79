"""The installed package carries the whole built-in theme (pyproject.toml's package data)."""

import fnmatch
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_theme_file_is_in_the_package_data() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages, data = setuptools["packages"], setuptools["package-data"]
    theme = REPO / "templates"
    for path in sorted(p for p in theme.rglob("*") if p.is_file()):
        folder = path.parent.relative_to(theme).parts
        package = ".".join(("rivals", "theme", *folder))
        assert package in packages, f"{package} is not listed: setuptools warns and may skip it"
        patterns = data.get(package, [])
        assert any(fnmatch.fnmatch(path.name, p) for p in patterns), f"{path} is not shipped"
