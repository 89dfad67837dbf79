"""The Jinja environment (loaders, filters, autoescape) and safe inline markdown."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from rivals.markup import inline_markdown


def _theme_dir() -> Path:
    """Return the built-in theme: rivals/theme when installed, templates/ in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "theme", here.parents[1] / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    return here / "theme"


THEME_DIR = _theme_dir()


def make_environment(templates: Path | None) -> jinja2.Environment:
    """Return the one Environment: the site's templates first, then the built-in theme.

    A site template can extend the built-in one it replaces as `theme/<name>`.
    """
    builtin = jinja2.FileSystemLoader(str(THEME_DIR))
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None and templates.is_dir() and templates.resolve() != THEME_DIR:
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders += [builtin, jinja2.PrefixLoader({"theme": builtin})]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        keep_trailing_newline=True,
    )
    env.filters["md"] = inline_markdown
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


def template_names(env: jinja2.Environment) -> frozenset[str]:
    """Return every template name the environment can load, to pick overrides without I/O."""
    return frozenset(env.list_templates())


def render(env: jinja2.Environment, names: tuple[str, ...], context: Mapping[str, Any]) -> str:
    """Render the first template of `names` that exists."""
    return env.select_template(list(names)).render(context)
