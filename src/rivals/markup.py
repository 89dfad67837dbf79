"""Markdown fields -> safe HTML, or plain text for meta descriptions. No Jinja here."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import Any

import nh3
from markupsafe import Markup, escape

from rivals.records import check_url

# Inline tags only: every markdown field is shown inside a <p> or a table cell.
ALLOWED_TAGS = {"a", "code", "em", "strong", "br", "del"}
# What can start inline markdown: emphasis, code, links, escapes and autolinks. Text without
# any of it only needs HTML escaping (the fast path).
_MARKDOWN_HINT = re.compile(r"[*_`\[\\]|<https?://")
# Markdown's block syntax, which the fields do not take: a line starting with `#`, `-` or
# `1.` stays text, as does raw HTML (shown as text, never live).
_BLOCKS = ("indent", "code", "hashheader", "setextheader", "hr", "olist", "ulist", "quote")


@lru_cache(maxsize=1)
def _parser() -> Any:
    """Return one Markdown parser per process (imported on first use: most text is plain):
    paragraphs, inline markup and reference links, nothing else."""
    import markdown

    parser = markdown.Markdown(output_format="html")
    for name in _BLOCKS:
        parser.parser.blockprocessors.deregister(name)
    parser.preprocessors.deregister("html_block")
    parser.inlinePatterns.deregister("html")
    # No images (the cleaner drops <img>, and a tracker's pixel has no place here): an image
    # is its alt text, so the author's words stay.
    from markdown import inlinepatterns as patterns

    images = patterns.IMAGE_REFERENCE_RE
    for name, kind, expression, priority in (  # as Markdown registers them
        ("image_link", patterns.ImageInlineProcessor, patterns.IMAGE_LINK_RE, 150),
        ("image_reference", patterns.ImageReferenceInlineProcessor, images, 140),
        ("short_image_ref", patterns.ShortImageReferenceInlineProcessor, images, 125),
    ):
        parser.inlinePatterns.register(_alt_text(kind)(expression, parser), name, priority)
    return parser


def _alt_text(kind: type[Any]) -> type[Any]:
    """Return a subclass of the image processor `kind` that gives the image's alt text."""

    class AltText(kind):  # type: ignore[misc]
        def handleMatch(self, m: Any, data: str) -> Any:
            element, start, end = super().handleMatch(m, data)
            return (None if element is None else element.get("alt", "")), start, end

    return AltText


@lru_cache(maxsize=65536)
def inline_markdown(text: str) -> Markup:
    """Return sanitized inline HTML for a markdown field (it goes inside a <p>).

    Raw HTML in the text is shown as text, whether or not the text has markdown; the output
    is cleaned to a short list of inline tags, links keep only absolute http(s) targets, and
    paragraphs run together as one (the format asks for one paragraph).
    """
    if not _may_be_markdown(text) or text.count("[") > MAX_BRACKETS:
        return Markup(html.escape(text, quote=False))
    rendered = _parser().reset().convert(text)
    if "\x02" in rendered or "\x03" in rendered:
        # Python-Markdown's placeholders left in its output (a link target holding a quote
        # and unbalanced brackets, then a code span): the rest of the text would be lost.
        return Markup(html.escape(text, quote=False))
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https"},
        attribute_filter=_only_absolute_links,
        link_rel="nofollow noopener noreferrer",
    ).strip()
    if "<a" in cleaned:  # a link whose target was refused is its text: <a> needs an href
        cleaned = _LINK.sub(_text_unless_href, cleaned)
    return Markup(cleaned)


# A link as the cleaner writes it: lowercase names, each value quoted with " (a " inside one is
# &quot;), never nested.
_LINK = re.compile(r'<a((?:\s+[a-z-]+="[^"]*")*)\s*>(.*?)</a>', re.S)
_ATTRIBUTE_NAME = re.compile(r'\s+([a-z-]+)="[^"]*"')


def _text_unless_href(link: re.Match[str]) -> str:
    """Return a link as it is if it has an href, else its text alone."""
    names = _ATTRIBUTE_NAME.findall(link.group(1))
    return link.group() if "href" in names else link.group(2)


# Python-Markdown's time grows with a text's length times its brackets: 20,000 characters of
# "[a](" took 7 seconds. A text with more is shown as written (no real text has so many links).
MAX_BRACKETS = 64


def _may_be_markdown(text: str) -> bool:
    """Return whether _MARKDOWN_HINT finds anything in `text`, running it only when a
    character it needs is there (searching for a few characters is 10 times quicker)."""
    inline = "*" in text or "_" in text or "`" in text or "[" in text or "\\" in text
    if inline or "<http" in text:
        return bool(_MARKDOWN_HINT.search(text))
    return False


def _only_absolute_links(element: str, attribute: str, value: str) -> str | None:
    """Keep a link's target only if it is a URL the catalog's own `links` would take."""
    if element == "a" and attribute == "href":
        try:
            return check_url(value)
        except ValueError:
            return None
    return value


@lru_cache(maxsize=4096)
def plain_text(text: str) -> str:
    """Return a markdown field as one line of plain text (for meta descriptions)."""
    if not _may_be_markdown(text):
        return " ".join(text.split())
    bare = nh3.clean(str(inline_markdown(text)), tags=set())
    return " ".join(html.unescape(bare).split())


@lru_cache(maxsize=4096)
def right_to_left(name: str) -> bool:
    """True when `name` has a right-to-left letter (Hebrew, Arabic, ...)."""
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in name)


@lru_cache(maxsize=4096)
def bdi(name: str) -> Markup:
    """Return a name as HTML, isolated in <bdi> if it has right-to-left letters: beside
    left-to-right text (a count after it, "vs"), a bare one takes its neighbours with it."""
    escaped = escape(name)  # as autoescape would
    return Markup(f"<bdi>{escaped}</bdi>") if right_to_left(name) else escaped


def isolated(text: str, *names: str) -> Markup:
    """Return `text` as HTML, each of `names` in it that has right-to-left letters isolated
    in <bdi> (see bdi): generated sentences name the entries."""
    escaped = escape(text)
    rtl = [n for n in names if n and right_to_left(n)]
    if not rtl:
        return escaped
    rtl.sort(key=len, reverse=True)  # one name inside another: the longer one first
    pattern = "|".join(re.escape(escape(n)) for n in rtl)
    return Markup(re.sub(pattern, lambda m: f"<bdi>{m.group()}</bdi>", escaped))


class ScriptJson(str):
    """JSON text with <, >, & and ' escaped: it can go into a <script> as it is."""


_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"))


def script_json(text: str) -> ScriptJson:
    """Return JSON text made safe for a <script> (the same JSON: only escapes change)."""
    for char, code in _SCRIPT_ESCAPES:
        text = text.replace(char, code)
    return ScriptJson(text)
