"""The Jinja environment: Rivals' compiled templates print exactly what stock Jinja prints."""

from __future__ import annotations

import jinja2
import pytest
from markupsafe import Markup

from rivals.render import _direct, make_environment

TEMPLATES = {
    "base.html": "<title>{% block title %}{{ title }}{% endblock %}</title>{% block body %}{% endblock %}",
    "page.html": (
        '{% extends "base.html" %}{% from "macros.html" import cell %}'
        "{% block body %}<ul>{% for x in items %}<li>{{ x }} {{ loop.index }}</li>{% endfor %}</ul>"
        "{{ cell(safe) }}{{ cell(text) }}{% if n > 2 %}{{ n }} big{% else %}{{ n }}{% endif %}"
        "{% set joined %}{{ text }}|{{ safe }}{% endset %}[{{ joined }}]"
        "{% autoescape false %}{{ text }}{% endautoescape %}{{ items|join(', ') }}"
        "{{ text ~ safe }}{{ none_value }}{{ 3.5 }}{{ data|tojson }}{{ data.k }}"
        "{{ nested.inner.value }}{{ safe.upper() }}{% endblock %}"
    ),
    "macros.html": (
        "{% macro cell(v) %}<td>{{ v }}</td>{% endmacro %}"
        "{% macro wrap() %}<w>{{ caller() }}</w>{% endmacro %}"
    ),
    "deep.html": (
        '{% extends "page.html" %}{% block title %}[{{ super() }}]{% endblock %}'
        '{% block body %}{% from "macros.html" import wrap %}{% include "inc.html" %}{% for x in items %}'
        "{% block item scoped %}<{{ x }}>{% endblock %}{% if loop.first %}first{% endif %}"
        "{% endfor %}{% filter upper %}{{ text }}{% endfilter %}"
        "{% call wrap() %}{{ text }}{% endcall %}{{ super() }}{% endblock %}"
    ),
    "inc.html": "<inc>{{ text }}{{ n }}</inc>",
    # A child's top-level set reaches the parent's blocks (the context has variables of its
    # own); an include in a loop sees the loop variable.
    "vars.html": (
        '{% extends "base.html" %}{% set title = "child " ~ n %}{% block body %}{{ title }}'
        '{% for x in items[:2] %}{% include "inc2.html" %}{% endfor %}{% endblock %}'
    ),
    "inc2.html": "<{{ x }}|{{ text }}|{{ title }}>",
    "dynamic.html": (
        "{% if n > 2 %}{% extends 'base.html' %}{% endif %}outside {{ n }}"
        "{% block title %}dyn {{ n }}{% endblock %}"
    ),
}


class _Html:
    """Not Markup, but safe by the __html__ protocol."""

    def __html__(self) -> str:
        return "<u>html</u>"


class _SafeText(Markup):
    pass


CONTEXT = {
    "title": 'A & B <vs> "C"',
    "items": ["<i>", "plain", Markup("<b>ok</b>"), 7, _Html(), _SafeText("<s>sub</s>"), "é & ü"],
    "safe": Markup("<em>safe</em>"),
    "text": "<script>alert('x')</script>",
    "n": 3,
    "none_value": None,
    "data": {"k": "</script>"},
    "nested": {"inner": {"value": "<deep>"}},
}


@pytest.mark.parametrize(
    "name", ["page.html", "macros.html", "base.html", "deep.html", "dynamic.html", "vars.html"]
)
def test_compiled_templates_print_what_stock_jinja_prints(name: str) -> None:
    loader = jinja2.DictLoader(TEMPLATES)
    stock = jinja2.Environment(loader=loader, autoescape=True)
    ours = make_environment(None)
    ours.loader = loader
    assert ours.get_template(name).render(CONTEXT) == stock.get_template(name).render(CONTEXT)
    assert "<script>alert" not in ours.get_template("page.html").render(CONTEXT).split("]")[0]


def test_a_missing_attribute_or_name_is_an_error_as_in_stock_jinja() -> None:
    loader = jinja2.DictLoader(
        {"t.html": "{{ data.nope }}", "n.html": "{% block b %}{{ nobody }}{% endblock %}"}
    )
    stock = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
    ours = make_environment(None)
    ours.loader = loader
    for env in (stock, ours):
        with pytest.raises(jinja2.UndefinedError, match="has no attribute 'nope'"):
            env.get_template("t.html").render(data={"k": 1})
        with pytest.raises(jinja2.UndefinedError, match="'nobody' is undefined"):
            env.get_template("n.html").render(data={"k": 1})


def test_macros_called_directly_print_what_jinja_prints() -> None:
    """Fragments call small macros' compiled bodies; any other macro goes through Jinja."""
    env = make_environment(None)
    env.loader = jinja2.DictLoader(
        {
            "m.html": (
                "{% macro row(a, b, c, d) %}<tr>{{ a }}{{ b }}{{ c }}{{ d }}</tr>{% endmacro %}"
                "{% macro opt(a, b='<b>') %}{{ a }}{{ b }}{% endmacro %}"
                "{% macro rest() %}{{ varargs|join(',') }}{% endmacro %}"
            )
        }
    )
    module = env.get_template("m.html").module
    assert _direct(module.row) is not module.row  # the fast path is taken for a plain macro
    assert _direct(module.rest) is module.rest  # varargs: Jinja binds them
    for macro, args in (
        (module.row, ("<a>", Markup("<b/>"), 3, None)),
        (module.opt, ("<x>",)),
        (module.rest, ("<p>", "q")),
    ):
        direct = _direct(macro)
        assert direct(*args) == macro(*args)
        assert isinstance(direct(*args), Markup)
