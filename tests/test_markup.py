"""Markdown fields: plain text is only escaped, markdown is rendered and sanitized."""

from __future__ import annotations

import random

import pytest

from rivals.markup import (
    _MARKDOWN_HINT,
    _may_be_markdown,
    bdi,
    inline_markdown,
    isolated,
    plain_text,
)

# Characters that make, or nearly make, the hint match: markdown marks, digits (a Unicode
# one and a superscript too), and whitespace that \s, str.lstrip and ^ treat in their ways.
ALPHABET = [*"ab .1-+#*_`[\\<>:/hpst", "\n", "\r", "\t", "\x85", "\u2028", "\xa0", "٣", "²"]


def test_the_quick_markdown_test_agrees_with_the_expression() -> None:
    pick = random.Random(5)
    texts = ["", "plain words", "<https://x.org>", "<http:nope", " 12. item", "x\n  - item"]
    texts += ["".join(pick.choices(ALPHABET, k=pick.randint(1, 12))) for _ in range(20_000)]
    for text in texts:
        assert _may_be_markdown(text) == bool(_MARKDOWN_HINT.search(text)), repr(text)


LINK = '<a href="{}" rel="nofollow noopener noreferrer">{}</a>'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Plain & <b>simple</b>", "Plain &amp; &lt;b&gt;simple&lt;/b&gt;"),
        ("Some **bold** text", "Some <strong>bold</strong> text"),
        ("2. second *x*", "2. second <em>x</em>"),  # no block syntax: fields sit in a <p>
        ("# not a heading *x*", "# not a heading <em>x</em>"),
        ("First.\n\nSecond *x*.", "First.\nSecond <em>x</em>."),
        ("<b>raw</b> beside *x*", "&lt;b&gt;raw&lt;/b&gt; beside <em>x</em>"),
        ("`<b>` in code", "<code>&lt;b&gt;</code> in code"),
        # A target that is not an absolute http(s) URL: the text alone (an <a> needs an href).
        ("[x](javascript:alert(1))", "x"),
        ("See [the docs](docs/setup.md) or [mail](mailto:a@b.c).", "See the docs or mail."),
        ("[home](https://example.org/a b) *x*", "home <em>x</em>"),  # as `links` would refuse
        ("[x](https://ok.example/ onclick=alert(7))", "x"),
        ("[u](https://user@evil.example/)", "u"),
        ('See [setup](docs/setup.md "where href= is set").', "See setup."),  # not the title's
        (
            '**[b](x.md "T")** [c](https://c.org)',
            "<strong>b</strong> " + LINK.format("https://c.org", "c"),
        ),
        ("[x](HTTPS://EXAMPLE.ORG/)", LINK.format("HTTPS://EXAMPLE.ORG/", "x")),
        # An image is its alt text: no <img>, no tracker's address, the author's words kept.
        ("and ![a <b> pic](https://t.example/p.png) *x*", "and a &lt;b&gt; pic <em>x</em>"),
        ("![r][ref] *x*\n\n[ref]: https://t.example/i.png", "r <em>x</em>"),
    ],
)
def test_inline_markdown(text: str, html: str) -> None:
    assert inline_markdown(text) == html


def test_plain_text_drops_the_markup() -> None:
    assert plain_text("Some **bold**\n  text") == "Some bold text"
    assert plain_text("No  marks\nhere") == "No marks here"


def test_names_with_right_to_left_letters_are_isolated() -> None:
    assert bdi("LLaVA <7B>") == "LLaVA &lt;7B&gt;"  # left to right: as it is
    assert bdi("מודל 2") == "<bdi>מודל 2</bdi>"
    said = "نموذج 3 leads on quality; مودل ranks higher than Llama."
    assert isolated(said, "نموذج 3", "مودل", "Llama") == (
        "<bdi>نموذج 3</bdi> leads on quality; <bdi>مودل</bdi> ranks higher than Llama."
    )
    assert isolated("A & B", "A", "B") == "A &amp; B"  # no right-to-left name: escaped only
    # One name inside another is isolated once, as the longer one.
    assert isolated("מודל 2 vs מודל", "מודל", "מודל 2") == "<bdi>מודל 2</bdi> vs <bdi>מודל</bdi>"


def test_a_text_with_very_many_brackets_is_shown_as_written() -> None:
    """20,000 characters of "[a](" took Python-Markdown 7 seconds."""
    many = "[a](https://example.org/) " * 65  # one more than MAX_BRACKETS
    assert inline_markdown(many) == many
    assert inline_markdown("[a](https://example.org/) " * 64).count("<a ") == 64


def test_markdown_placeholders_never_reach_a_page() -> None:
    """A link target with a quote and unbalanced brackets, then a code span: Python-Markdown
    left its placeholder (STX ... ETX) in the href, and the rest of the text was lost."""
    text = 'See [docs](https://example.org/"v(1)) and `pip install zed`.'
    shown = inline_markdown(text)
    assert "\x02" not in shown and "\x03" not in shown
    assert "pip install zed" in shown
    assert "\x02" not in plain_text(text) and "pip install zed" in plain_text(text)
