"""The Jinja environment (loaders, filters, autoescape) and safe inline markdown."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.idtracking import VAR_LOAD_RESOLVE
from markupsafe import Markup, escape

from rivals.bytecode import bytecode_cache
from rivals.markup import ScriptJson, bdi, inline_markdown, isolated, script_json
from rivals.owned import real_path
from rivals.problems import did_you_mean
from rivals.rank import figure
from rivals.verdict import pair_names
from rivals.write import FragmentStore

_escape_text: Callable[[str], str]
try:  # markupsafe's C escaper, without the Markup object that escape() wraps around it
    from markupsafe._speedups import _escape_inner as _escape_text
except ImportError:  # pragma: no cover - the pure-Python build of markupsafe
    _escape_text = lambda text: str(escape(text))  # noqa: E731


def _theme_dir() -> Path:
    """Return the built-in theme: rivals/theme when installed, templates/ in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "theme", here.parents[1] / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    return here / "theme"


THEME_DIR = _theme_dir()


class _CodeGenerator(CodeGenerator):
    """Compiles templates to the same output with less work per page.

    * The whole output of a template's root and of each block is collected in one list and
      yielded once (see `blockvisit`); elsewhere the text and values between two tags go out
      as one string. A pair page had about 250 pieces, each passing through the generators
      of the page, its base template and the block.
    * `{{ value }}` escapes inline: safe Markup passes as it is, and a plain string goes
      through markupsafe's C escaper without a function call of ours or a Markup object,
      an int is written as its digits (anything else is escaped as Jinja does, by `escape`).
    * A lone text is yielded as it is.
    """

    def write_commons(self) -> None:
        """Jinja's preamble of a root or block function, the escaper as a local name (macros
        and call blocks are nested in those functions and see it too), and the lookup of the
        names the function starts by loading (see `enter_frame`)."""
        super().write_commons()
        self.writeline("_rivals_esc = environment.escape_text")
        self.writeline(
            "_rivals_get = (lambda key, _: resolve(key)) if context.vars else context.parent.get"
        )
        self._rivals_fresh = True  # the next frame entered starts this function

    def enter_frame(self, frame: Frame) -> None:
        """Load a root or block function's names with a dict lookup when the context has no
        variables of its own yet (what Context.resolve_or_missing would find, without a call
        of it per name); nested frames load as Jinja does."""
        start = getattr(self, "_rivals_fresh", False) and (frame.rootlevel or frame.block_frame)
        self._rivals_fresh = False
        if not start or self.environment.is_async or self.get_resolve_func() != "resolve":
            super().enter_frame(frame)
            return
        loads = frame.symbols.loads
        resolved = {t: p for t, (action, p) in loads.items() if action == VAR_LOAD_RESOLVE}
        frame.symbols.loads = {t: load for t, load in loads.items() if t not in resolved}
        try:
            for target, param in resolved.items():
                self.writeline(f"{target} = _rivals_get({param!r}, missing)")
            super().enter_frame(frame)
        finally:
            frame.symbols.loads = loads

    def blockvisit(self, body: Iterable[nodes.Node], frame: Frame) -> None:
        """Buffer the whole output of a template's root and of each block, and yield it once.

        A page's text otherwise goes out in some 40 pieces, each passing through the
        generators of the page, its base template and the block.
        """
        whole = frame.rootlevel or frame.block_frame
        plain = frame.buffer is None and not frame.require_output_check
        if not whole or not plain or self.environment.is_async:
            super().blockvisit(body, frame)
            return
        frame.buffer = "_rivals_buf"
        self.writeline("_rivals_buf = []")
        try:
            super().blockvisit(body, frame)
        finally:
            self.writeline("yield concat(_rivals_buf)")
            frame.buffer = None

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        constant = len(node.nodes) == 1 and isinstance(node.nodes[0], nodes.TemplateData)
        if frame.buffer is not None or frame.require_output_check or constant:
            super().visit_Output(node, frame)  # a lone text is yielded as it is
            return
        # Collect into a local list (Jinja's own buffered output, as in macros), then yield
        # the joined text once.
        frame.buffer = "_rivals_out"
        try:
            self.writeline("_rivals_out = []")
            super().visit_Output(node, frame)
            self.writeline("yield concat(_rivals_out)")
        finally:
            frame.buffer = None

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if self._quick(frame, finalize):
            self.write("(_rivals_v if (_rivals_t := type(_rivals_v := ")
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if self._quick(frame, finalize):
            self.write(
                ")) is Markup else _rivals_esc(_rivals_v) if _rivals_t is str"
                " else str(_rivals_v) if _rivals_t is int else escape(_rivals_v))"
            )
        else:
            super()._output_child_post(node, frame, finalize)

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """`a.name` as Python's getattr with Environment.getattr as the fallback (an item of
        that name, else undefined), instead of a call to Environment.getattr every time."""
        if self.environment.is_async:
            super().visit_Getattr(node, frame)
            return
        self.write("(_rivals_r if (_rivals_r := getattr((_rivals_o := ")
        self.visit(node.node, frame)
        self.write(
            f"), {node.attr!r}, missing)) is not missing"
            f" else environment.getattr(_rivals_o, {node.attr!r}))"
        )

    @staticmethod
    def _quick(frame: Frame, finalize: Any) -> bool:
        eval_ctx = frame.eval_ctx
        return bool(eval_ctx.autoescape and not eval_ctx.volatile and finalize.src is None)


class Environment(jinja2.Environment):
    """Jinja's Environment with Rivals' code generator, and templates remembered by name
    (templates are not reloaded during a build: auto_reload is off)."""

    code_generator_class = _CodeGenerator
    escape_text = staticmethod(_escape_text)  # str -> escaped str, for compiled templates

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loaded: dict[tuple[str, str | None], jinja2.Template] = {}
        # For render(): the template chosen for a tuple of names, and its own globals.
        self.chosen: dict[tuple[str, ...], tuple[jinja2.Template, dict[str, Any]]] = {}

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        """Jinja's get_template, remembered: every page asks for its base template again."""
        if globals is not None or not isinstance(name, str):
            return super().get_template(name, parent, globals)
        key = (name, parent)
        found = self.loaded.get(key)
        if found is None:
            found = self.loaded[key] = super().get_template(name, parent)
        return found


def make_environment(templates: Path | None, cache: Path | None = None) -> Environment:
    """Return the one Environment: the site's templates first, then the built-in theme.

    A site template can extend the built-in one it replaces as `theme/<name>`.
    """
    builtin = jinja2.FileSystemLoader(str(THEME_DIR))
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None and templates.is_dir() and real_path(templates) != THEME_DIR:
        loaders.append(_SiteLoader(str(templates)))
    loaders += [builtin, jinja2.PrefixLoader({"theme": builtin})]
    env = Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=None if cache is None else bytecode_cache(cache, THEME_DIR),
        keep_trailing_newline=True,
    )
    env.filters["md"] = inline_markdown
    # Names with right-to-left letters, isolated in <bdi> (markup.bdi): a lone name, and the
    # names of `names` in a generated sentence ({{ cmp.lead|isolate(a.name, b.name) }}).
    env.filters["bdi"] = bdi
    env.filters["isolate"] = isolated
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.filters["figure"] = figure  # a number as the catalog wrote it (0.004, not 0.00)
    env.filters["jsonld"] = jsonld
    # What a link to a pair page calls its two sides (verdict.pair_names): {% set one, two =
    # pair_names(a, b) %} gives "LLaVA (llava)" and "LLaVA (llava-2)" where a reader could
    # not tell the names apart, else the names.
    env.globals["pair_names"] = lambda a, b: pair_names(a.slug, a.label, b.slug, b.label)
    add_fragment_cache(env)
    return env


class _SiteLoader(jinja2.FileSystemLoader):
    """A site's template folder, where hidden files and editor backups are no templates (see
    is_hidden): `{% include ".notes.html" %}` fails as a template not found."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if is_hidden(template):
            raise jinja2.TemplateNotFound(template)
        return super().get_source(environment, template)

    def list_templates(self) -> list[str]:
        return [name for name in super().list_templates() if not is_hidden(name)]


def jsonld(value: Any) -> Markup:
    """Return JSON for a <script type="application/ld+json">: JSON text as it is, or a value
    dumped; either way with <, >, & and ' escaped so that nothing can close the script."""
    if type(value) is ScriptJson:
        return Markup(value)  # escaped when it was made
    return Markup(
        script_json(value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    )


def ascii_html(html: str) -> Markup:
    """Return `html` with every non-ASCII character as a character reference (same page).

    Pieces rendered once and shown on thousands of pages are stored this way, so that a
    page whose own text is ASCII stays ASCII: Python joins and encodes those much faster.
    """
    return Markup(html.encode("ascii", "xmlcharrefreplace").decode("ascii"))


def _direct(macro: Any) -> Callable[..., Markup]:
    """Return a function that calls a macro's compiled body with positional arguments.

    What Jinja's Macro.__call__ does first (binding keyword arguments, defaults, `caller`,
    varargs) is not needed when every argument is given by position, and that binding costs
    more than the body of a small macro. A macro that needs any of it is called as usual.
    """
    # Jinja's internals: anything missing (another Jinja version) means "call it as usual".
    body = getattr(macro, "_func", None)
    needs = ("catch_kwargs", "catch_varargs", "caller")
    plain = all(getattr(macro, name, True) is False for name in needs)
    is_async = getattr(getattr(macro, "_environment", None), "is_async", True)
    if body is None or not plain or is_async is not False:
        return macro  # type: ignore[no-any-return]
    count = len(macro.arguments)

    def call(*args: Any) -> Markup:
        if len(args) != count:
            return macro(*args)  # type: ignore[no-any-return]
        return Markup(body(*args))

    return call


class Fragments:
    """The pieces of pair pages that belong to one entry, rendered once per build process.

    The macros come from `partials/fragments.html`, so a site's override of that file applies.
    """

    def __init__(self, env: jinja2.Environment, store: FragmentStore | None = None) -> None:
        self.store = store
        module = env.get_template("partials/fragments.html").module
        self._cell = module.feature_cell  # type: ignore[attr-defined]
        self._row = _direct(module.capability_row)  # type: ignore[attr-defined]
        self._capability_cell = module.capability_cell  # type: ignore[attr-defined]
        self._capability_cells: dict[str, Markup] = {}
        self._link = module.pair_link  # type: ignore[attr-defined]
        self._capabilities: Callable[[Any, int], Markup] = env.globals["capabilities"]  # type: ignore[assignment]
        self._links: dict[str, dict[str, Markup]] = {}
        # Cells are the long-lived objects of views.Site, so identity is a sound key; the
        # object is kept beside its HTML to make sure of it.
        self._cells: dict[int, tuple[object, Markup]] = {}
        self._rows: dict[int, tuple[object, Markup]] = {}
        self._by_entry: dict[int, tuple[object, tuple[Any, ...]]] = {}

    def cell(self, cell: object) -> Markup:
        """Return the <td> of one feature-table cell."""
        found = self._cells.get(id(cell))
        if found is not None and found[0] is cell:
            return found[1]
        html = ascii_html(self._cell(cell))
        self._cells[id(cell)] = (cell, html)
        return html

    def matrix(self, rows: list[tuple[str, str, Any, Any]]) -> Markup:
        """Return the <tr> rows of a capability matrix; a row only one side has is cached.

        One-sided rows are the long-lived tuples of `Site.one_side_rows`, so identity is a
        sound key (the row is kept beside its HTML to make sure of it).
        """
        parts = []
        one_side = self._rows
        for row in rows:
            found = one_side.get(id(row))
            if found is not None and found[0] is row:
                parts.append(found[1])
                continue
            group, name, ca, cb = row
            html = self._row(group, name, self._capability(ca), self._capability(cb))
            if ca is None or cb is None:
                html = ascii_html(html)
                one_side[id(row)] = (row, html)
            parts.append(html)
        return Markup("".join(parts))

    def _capability(self, cap: Any) -> Markup:
        key = cap.anchor if cap is not None else ""
        html = self._capability_cells.get(key)
        if html is None:
            html = self._capability_cells[key] = ascii_html(self._capability_cell(cap))
        return html

    def add_to(
        self, context: dict[str, Any], cells: Mapping[str, tuple[tuple[Any, ...], tuple[Any, ...]]]
    ) -> None:
        """Add a pair page's pre-rendered pieces: `feature_cells`, `capability_matrix`,
        `related_links` (from `rows`, `capability_rows` and `related`) and `capabilities_a`
        and `capabilities_b` (what `capabilities(a, shown)` and `capabilities(b, shown)` give).

        `cells` are `Site.cells`: each entry's feature cells, plain and leading.
        """
        cell, a, b = self.cell, context["a"], context["b"]
        plain_a, lead_a, plain_html_a, lead_html_a = self._entry_cells(a, cells[a.slug])
        plain_b, lead_b, plain_html_b, lead_html_b = self._entry_cells(b, cells[b.slug])
        feature_cells = []
        # Each cell is one of its entry's two variants (plain or leading), looked up by
        # position, or else any Cell at all. Written out for both sides: a loop over the two
        # costs about 5 % of a pair page's instructions.
        for index, (label, (ca, cb)) in enumerate(context["rows"]):
            html_a = (
                plain_html_a[index]
                if ca is plain_a[index]
                else lead_html_a[index]
                if ca is lead_a[index]
                else cell(ca)
            )
            html_b = (
                plain_html_b[index]
                if cb is plain_b[index]
                else lead_html_b[index]
                if cb is lead_b[index]
                else cell(cb)
            )
            feature_cells.append((label, html_a, html_b))
        context["feature_cells"] = feature_cells
        context["capability_matrix"] = self.matrix(context["capability_rows"])
        shown, capabilities = context["shown"], self._capabilities
        context["capabilities_a"] = capabilities(context["a"], shown)
        context["capabilities_b"] = capabilities(context["b"], shown)
        context["related_links"] = self.links(context["root"], context["related"])

    def _entry_cells(
        self, entry: Any, cells: tuple[tuple[Any, ...], tuple[Any, ...]]
    ) -> tuple[Any, ...]:
        """Return an entry's feature cells, plain and leading, and the HTML of each."""
        found = self._by_entry.get(id(cells))
        if found is None or found[0] is not cells:
            plain, lead = cells
            store = self.store
            key = None if store is None else store.name("cells", entry)
            kept: Any = None if store is None else store.get(key)
            if _cells_like(kept, plain, lead):
                html = tuple(map(Markup, kept[0])), tuple(map(Markup, kept[1]))
            else:
                html = tuple(self.cell(c) for c in plain), tuple(self.cell(c) for c in lead)
                if store is not None:
                    store.put(key, (tuple(map(str, html[0])), tuple(map(str, html[1]))))
            found = self._by_entry[id(cells)] = (cells, (plain, lead, *html))
        return found[1]

    def links(self, root: str, pairs: list[tuple[str, str]]) -> Markup:
        """Return the <li> links to other pair pages, each rendered once per process."""
        parts = []
        cache = self._links.setdefault(root, {})
        for title, href in pairs:
            html = cache.get(href)
            if html is None:
                html = cache[href] = ascii_html(self._link(root, href, title))
            parts.append(html)
        return Markup("".join(parts))


def _cells_like(kept: Any, plain: tuple[Any, ...], lead: tuple[Any, ...]) -> bool:
    """True when a kept piece has the shape of an entry's cells: HTML for each cell."""
    return (
        type(kept) is tuple
        and len(kept) == 2
        and all(type(side) is tuple for side in kept)
        and len(kept[0]) == len(plain)
        and len(kept[1]) == len(lead)
        and all(type(html) is str for side in kept for html in side)
    )


def add_fragment_cache(env: jinja2.Environment, store: FragmentStore | None = None) -> None:
    """Give templates `capabilities(entry, shown)`: the entry's capability list, rendered once
    (or taken from `store`).

    Every pair page shows both entries' capabilities; rendering each list once per process
    instead of once per page halves the cost of a pair page.
    """
    cache: dict[tuple[str, str, int], Markup] = {}
    template = env.get_template("partials/capabilities.html")

    def capabilities(entry: Any, shown: int) -> Markup:
        # The name too: a pair page passes a copy named "Twin (slug)" where two entries share
        # a name, and a site's partial may show it.
        key = (entry.slug, entry.name, shown)
        html = cache.get(key)
        if html is None:
            stored = None if store is None else store.name("capabilities", entry, shown)
            kept = None if store is None else store.get(stored)
            if type(kept) is str:
                html = cache[key] = Markup(kept)
            else:
                html = cache[key] = ascii_html(template.render(entry=entry, shown=shown))
                if store is not None:
                    store.put(stored, str(html))
        return html

    env.globals["capabilities"] = capabilities


def is_hidden(name: str) -> bool:
    """True for a file of a template folder that is no template or asset: a part of its path
    starts with a dot (.DS_Store, .git/, an editor's swap or lock file) or it ends with ~."""
    # ("./x.html" is x.html: Jinja drops "." segments.)
    return name.endswith("~") or any(p.startswith(".") and p != "." for p in name.split("/"))


def unreadable_template(templates: Path | None) -> str | None:
    """Return what is wrong with the first template (or file of static/) in the folder
    `templates` that is not a file this user can read (a link that leads nowhere, a folder
    named x.html, a file without read permission), or None: Jinja would use the built-in
    template instead, and an asset would be left out, without a word.
    """
    if templates is None or not templates.is_dir() or real_path(templates) == THEME_DIR:
        return None
    static = os.path.join(templates, "static")
    unlisted: list[OSError] = []
    for folder, subfolders, files in os.walk(templates, onerror=unlisted.append):
        asset = folder == static or folder.startswith(static + os.sep)
        named = [name for name in subfolders if name.endswith(".html") and not asset]
        subfolders[:] = sorted(n for n in subfolders if n not in named and not is_hidden(n))
        for name in sorted([*files, *named]):
            if is_hidden(name) or not (asset or name.endswith(".html")):
                continue
            path = os.path.join(folder, name)
            what = "asset" if asset else "template"
            try:
                info = os.stat(path)
            except OSError as err:
                return f"{path}: cannot read the {what}: {err.strerror or err}"
            if not stat.S_ISREG(info.st_mode):
                return f"{path}: cannot read the {what}: not a file"
            if not os.access(path, os.R_OK):
                return f"{path}: cannot read the {what}: Permission denied"
    if unlisted:  # a folder this user cannot list: its templates would go unused
        first = unlisted[0]
        return f"{first.filename}: cannot read the folder: {first.strerror or first}"
    return None


def unused_templates(
    known: Iterable[str], entries: Iterable[str], pairs: Iterable[tuple[str, str]]
) -> list[str]:
    """Return a note for each template of one entry (`models/<slug>.html`) or one pair
    (`compare/<a>-vs-<b>.html`) that no page uses: a misspelt slug, or a pair in the wrong
    order, would otherwise change nothing without a word."""
    slugs = set(entries)
    notes = []
    pair_set: set[tuple[str, str]] | None = None
    for name in sorted(known):
        folder, _, file = name.partition("/")
        if folder not in ("models", "compare") or "/" in file or not file.endswith(".html"):
            continue
        if file.startswith("_"):  # a partial the others include (compare/_table.html)
            continue
        stem = file.removesuffix(".html")
        if folder == "models" and stem not in slugs:
            notes.append(f"{name} matches no entry{did_you_mean(stem, slugs)}")
        elif folder == "compare":
            pair_set = set(pairs) if pair_set is None else pair_set
            a, _, b = stem.partition("-vs-")
            if (a, b) in pair_set:
                continue
            if (b, a) in pair_set:
                notes.append(f"{name} matches no pair page: the page is compare/{b}-vs-{a}/")
            else:
                notes.append(f"{name} matches no pair page")
    return notes


def template_fingerprint(env: jinja2.Environment) -> str:
    """Return a hash of every template the environment can load (hidden files aside), and
    of the assets (the files of static/) when a template names static/: it may include one
    in pages (`{% include "static/inline.css" %}`). Else assets are copied, compared by their
    bytes."""
    digest = hashlib.sha256()
    loader = env.loader
    assert loader is not None
    names = sorted(template_names(env))
    sources = []
    for name in names:
        if not name.startswith(("static/", "theme/static/")):
            source = _source(env, loader, name)
            digest.update(f"{name}\0{source}\0".encode())
            sources.append(source)
    # A template that names static/ may include any of its files, by a name it computes too
    # ({% include "static/" ~ name %}): then they all count. (The built-in theme names none.)
    if any("static/" in source for source in sources):
        for name in names:
            if name.startswith(("static/", "theme/static/")):
                digest.update(f"{name}\0{_source(env, loader, name)}\0".encode())
    return digest.hexdigest()


def _source(env: jinja2.Environment, loader: jinja2.BaseLoader, name: str) -> str:
    try:
        return loader.get_source(env, name)[0]
    except (UnicodeDecodeError, OSError, jinja2.TemplateNotFound):
        return "\0unreadable"  # used by a page, it fails the build with a problem line


def template_frame(err: BaseException) -> tuple[str, int] | None:
    """Return the file and line of the last template in the traceback of `err`, or None when
    no template's code is in it (the error is not a template's)."""
    found = None
    tb = err.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        filename = tb.tb_frame.f_code.co_filename
        if template is not None:  # compiled code whose traceback Jinja did not rewrite
            found = (template.filename or filename, template.get_corresponding_lineno(tb.tb_lineno))
        elif not filename.endswith(".py") and not filename.startswith("<"):  # rewritten
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def is_template_failure(err: BaseException) -> bool:
    """True when `err` is a template's fault, not a bug of rivals: Jinja's own errors, a
    template that extends or includes itself, one that is not UTF-8, or anything raised
    while a template's code ran (a filter given a value of the wrong type)."""
    template_errors = (jinja2.TemplateError, RecursionError, UnicodeDecodeError)
    return isinstance(err, template_errors) or template_frame(err) is not None


def template_failure(err: BaseException, fallback: str) -> str:
    """Return `where: template: what` for an error raised while loading or rendering a
    template: the template file and line it came from (the last template in its traceback,
    which Jinja rewrites to point at template lines), else `fallback`."""
    frame = template_frame(err)
    where = f"{frame[0]}:{frame[1]}" if frame is not None else fallback
    if isinstance(err, jinja2.TemplateSyntaxError):
        where = f"{err.filename or err.name or fallback}:{err.lineno}"
        what = err.message or str(err)
    elif isinstance(err, jinja2.TemplateNotFound):
        what = f"template not found: {err.name}"
    elif isinstance(err, RecursionError):
        what = "a template extends or includes itself without end"
    elif isinstance(err, UnicodeDecodeError):
        what = "a template is not valid UTF-8"
    elif isinstance(err, jinja2.TemplateError):
        what = str(err)
    else:
        what = f"{type(err).__name__}: {err}"
    # "'rivals.views.EntryView object' has no attribute 'x'": the class, not our module path.
    what = re.sub(r"'rivals\.[\w.]*?\.(\w+) object'", r"'\1 object'", what)
    return f"{where}: template: {what}"


SEARCH_BODY = "data-pagefind-body"


def marks_search_body(env: jinja2.Environment, names: Iterable[str]) -> bool:
    """True when one of the templates `names`, or a template they extend, include or import
    (however deep), holds Pagefind's `data-pagefind-body` marker; also when one of them refers
    to a template by a name made at render time, or cannot be parsed (either might).

    Text from the catalog cannot add the marker: it is escaped, and markdown is sanitized down
    to tags without attributes of that kind.
    """
    loader = env.loader
    assert loader is not None
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source = loader.get_source(env, name)[0]
        except jinja2.TemplateNotFound:
            continue
        if SEARCH_BODY in source:
            return True
        try:
            found = list(jinja2.meta.find_referenced_templates(env.parse(source)))
        except jinja2.TemplateSyntaxError:
            return True
        if None in found:
            return True
        todo += [ref for ref in found if ref is not None]
    return False


def template_names(env: jinja2.Environment) -> frozenset[str]:
    """Return every template name the environment can load, to pick overrides without I/O
    (hidden files aside: see is_hidden)."""
    return frozenset(name for name in env.list_templates() if not is_hidden(name))


def render(env: Environment, names: tuple[str, ...], context: Mapping[str, Any]) -> str:
    """Render the first template of `names` that exists.

    The same as `env.select_template(list(names)).render(context)`, with two costs of every
    page paid once per build instead: the choice of template is kept per `names` (templates
    are not reloaded during a build), and the context starts from a plain merge of the
    globals instead of a copy through the template's ChainMap of them.
    """
    found = env.chosen.get(names)
    if found is None:
        template = env.select_template(list(names))
        # Jinja makes a template's globals a ChainMap of its own and the environment's.
        maps = getattr(template.globals, "maps", None)
        own = dict(maps[0]) if maps is not None else dict(template.globals)
        found = env.chosen[names] = (template, own)
    template, own = found
    parent = {**env.globals, **own, **context} if own else {**env.globals, **context}
    state = env.context_class(env, parent, template.name, template.blocks)
    try:
        return env.concat(template.root_render_func(state))
    except Exception:
        env.handle_exception()
