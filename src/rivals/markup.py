"""Markdown fields -> safe HTML, or plain text for meta descriptions. No Jinja here."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"a", "code", "em", "strong", "br", "p", "ul", "ol", "li", "del"}
# Characters that can start markdown syntax or need an HTML escape; text without them is
# emitted through the fast path.
_MARKDOWN_HINT = re.compile(r"[*_`\[\]<>&\\#!|~]|^\s*[-+]\s|^\s*\d+\.\s|https?://", re.M)
_PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.S)


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


@lru_cache(maxsize=4096)
def plain_text(text: str) -> str:
    """Return a markdown field as one line of plain text (for meta descriptions)."""
    if not _MARKDOWN_HINT.search(text):
        return " ".join(text.split())
    bare = nh3.clean(str(inline_markdown(text)), tags=set())
    return " ".join(html.unescape(bare).split())
