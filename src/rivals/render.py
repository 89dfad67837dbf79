"""The Jinja environment (loaders, filters, autoescape) and safe inline markdown."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markdown
import nh3
from markupsafe import Markup



def _theme_dir() -> Path:
    """Return the built-in theme: `rivals/theme` when installed, the repo's templates/ in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "theme", here.parents[1] / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    return here / "theme"


THEME_DIR = _theme_dir()
ALLOWED_TAGS = {"a", "code", "em", "strong", "br", "p", "ul", "ol", "li", "del"}
# Characters that can start markdown syntax or need an HTML escape; text without them is
# emitted through the fast path.
_MARKDOWN_HINT = re.compile(r"[*_`\[\]<>&\\#!|~]|^\s*[-+]\s|^\s*\d+\.\s|https?://", re.M)
_PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.S)


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


@lru_cache(maxsize=65536)
def inline_markdown(text: str) -> Markup:
    """Return sanitized HTML for a markdown field; one paragraph loses its <p> wrapper.

    Raw HTML in the text is never live: the markdown output is cleaned to a short list of
    inline tags, and links keep only absolute http(s) targets.
    """
    if not _MARKDOWN_HINT.search(text):
        return Markup(html.escape(text, quote=False))
    rendered = markdown.markdown(text, output_format="html")
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https"},
        attribute_filter=_only_absolute_links,
        link_rel="nofollow noopener noreferrer",
    ).strip()
    single = _PARAGRAPH.match(cleaned)
    if single and "<p>" not in single.group(1):
        cleaned = single.group(1)
    return Markup(cleaned)


def _only_absolute_links(element: str, attribute: str, value: str) -> str | None:
    if element == "a" and attribute == "href":
        return value if value.startswith(("http://", "https://")) else None
    return value
