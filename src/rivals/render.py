"""The Jinja environment (loaders, filters, autoescape) and safe inline markdown."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from rivals.markup import inline_markdown


def _theme_dir() -> Path:
    """Return the built-in theme: rivals/theme when installed, templates/ in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "theme", here.parents[1] / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    return here / "theme"


THEME_DIR = _theme_dir()


def make_environment(templates: Path | None, cache: Path | None = None) -> jinja2.Environment:
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
        bytecode_cache=_bytecode_cache(cache),
        keep_trailing_newline=True,
    )
    env.filters["md"] = inline_markdown
    env.filters["thousands"] = lambda n: f"{n:,}"
    add_fragment_cache(env)
    return env


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between builds (Jinja checks each template's source time)."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


def add_fragment_cache(env: jinja2.Environment) -> None:
    """Give templates `capabilities(entry, shown)`: the entry's capability list, rendered once.

    Every pair page shows both entries' capabilities; rendering each list once per process
    instead of once per page halves the cost of a pair page.
    """
    cache: dict[tuple[str, int], Markup] = {}
    template = env.get_template("partials/capabilities.html")

    def capabilities(entry: Any, shown: int) -> Markup:
        key = (entry.slug, shown)
        html = cache.get(key)
        if html is None:
            html = cache[key] = Markup(template.render(entry=entry, shown=shown))
        return html

    env.globals["capabilities"] = capabilities


def template_fingerprint(env: jinja2.Environment) -> str:
    """Return a hash of every template and static file the environment can load."""
    digest = hashlib.sha256()
    loader = env.loader
    assert loader is not None
    for name in sorted(env.list_templates()):
        if name.startswith("static/"):
            continue  # assets are copied, and compared by their bytes
        source = loader.get_source(env, name)[0]
        digest.update(f"{name}\0{source}\0".encode())
    return digest.hexdigest()


def template_names(env: jinja2.Environment) -> frozenset[str]:
    """Return every template name the environment can load, to pick overrides without I/O."""
    return frozenset(env.list_templates())


def render(env: jinja2.Environment, names: tuple[str, ...], context: Mapping[str, Any]) -> str:
    """Render the first template of `names` that exists."""
    return env.select_template(list(names)).render(context)
