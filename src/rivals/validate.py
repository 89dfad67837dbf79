"""Documents -> a validated Catalog, or every problem of the catalog at once.

Each record is checked by its pydantic model (schema.py) and copied into a plain record
(records.py). What that gave is kept in the record's Document (Document.validated), which the
parsed-catalog memo saves: a build whose files did not change validates no record again and
never imports pydantic. References between files are checked on every build.
"""

from __future__ import annotations

import datetime as dt
import os
import types
import typing
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from rivals.load import Document, Loc, RawCatalog
from rivals.problems import (
    CatalogError,
    Problem,
    clip,
    counted,
    did_you_mean,
    field_path,
    suggest_again,
)
from rivals.records import (
    SUB_SCORES,
    Benchmark,
    CapabilityDef,
    Catalog,
    Category,
    Draft,
    Match,
    SiteSettings,
    id_hint,
    id_problem,
    told_apart,
    true_or_false,
)
from rivals.starter import is_placeholder

if TYPE_CHECKING:
    from pydantic import BaseModel


def validate_catalog(
    raw: RawCatalog, problems: list[Problem], base_url: str | None = None
) -> Catalog:
    """Return the validated catalog, or raise CatalogError with `problems` and all new ones.

    `base_url` (from --base-url) replaces site.yaml's once the catalog is valid.
    """
    suggest_again()
    found = list(problems)
    site = _site(raw.files.get("site"), found)
    categories, category_ids = _table(raw.files.get("categories"), "Category", found, True)
    capabilities, capability_ids = _table(
        raw.files.get("capabilities"), "CapabilityDef", found, True
    )
    benchmarks, benchmark_ids = _table(raw.files.get("benchmarks"), "Benchmark", found)
    # Ids are checked against what each file defines, valid or not (a record with a problem
    # is reported once, not again at every reference to it). A file that is missing or
    # unreadable has already been reported: checking references against it would only
    # repeat that problem once per entry.
    ids = {
        "categories": category_ids,
        "capabilities": capability_ids,
        "benchmarks": benchmark_ids,
    }
    if "benchmarks" not in raw.files and not os.path.lexists(raw.root / "benchmarks.yaml"):
        ids["benchmarks"] = set()
    entries: dict[str, Any] = {}
    drafts: dict[str, Draft] = {}
    for slug, doc in sorted(raw.models.items()):
        problem = id_problem(slug)
        if problem:
            message = f"slug {problem}: '{slug}'{id_hint(slug)}"
            found.append(Problem(doc.path, 1, "(file name)", message))
        found.extend(_entry_references(doc, ids))
        todo = dict(_placeholders(doc.data, ())) if doc.placeholders else {}
        todo.pop(("draft",), None)  # `draft: TODO` is a wrong value, not a text to fill in
        left = [doc.problem(loc, "placeholder still to fill in") for loc in todo]
        # A draft may keep its placeholders (they are what `rivals new` writes); anything
        # else wrong in it is a problem, as in any entry. It is not published.
        said = _draft(doc.data)
        draft = said is not False  # a wrong value (`draft: yes`) is meant as a draft
        if not draft:
            found.extend(left)
        elif said:  # (a wrong value is the schema's problem, and no draft to note)
            drafts[slug] = Draft(doc.path, tuple(map(str, left)))
        doc.refused = doc.refused | frozenset(todo)
        entry = _record(doc, (), doc.data, "Entry", found)
        if entry is not None and not problem and not draft:
            entries[slug] = entry
    found.extend(_pages_apart(entries, raw.models))
    matches = _matches(raw.files.get("matches"), raw.listed, found)
    if found:  # the drafts' notes too: a problem elsewhere should not hide their TODOs
        raise CatalogError(found, draft_notes(drafts, listed=True))
    if drafts:  # a draft's matches wait until it is published
        matches = [m for m in matches if drafts.keys().isdisjoint(m.pair)]
    if base_url is not None:
        site = _with_base_url(site, base_url)
    return Catalog(
        site=site,
        categories=_names_apart(categories),
        capabilities=_names_apart(capabilities),
        benchmarks=_names_apart(benchmarks),
        matches=tuple(matches),
        entries=entries,
        paths={slug: raw.models[slug].path for slug in entries},
        drafts=drafts,
        line_of={slug: raw.models[slug].line_of for slug in entries},
    )


def _draft(data: Any) -> bool | None:
    """Return what an entry's data says of `draft`: True or False, or None for a wrong value
    (which the schema reports; the placeholders of what was meant as a draft are not)."""
    if not isinstance(data, dict) or data.get("draft") is None:  # `draft:` empty: not given
        return False
    try:
        return true_or_false(data["draft"])
    except ValueError:
        return None


R = typing.TypeVar("R", Category, CapabilityDef, Benchmark)


def _names_apart(records: dict[str, R]) -> dict[str, R]:
    """Return `records` with each name that a reader could not tell from another's followed
    by its id, "MMLU (mmlu-pro)": two benchmarks both called MMLU made one figure of two on
    the pages, and two categories both called Vision a "shared" category that is not."""
    names = told_apart({key: record.name for key, record in records.items()})
    return {
        key: record if names[key] == record.name else record._replace(name=names[key])
        for key, record in records.items()
    }


def draft_notes(drafts: Mapping[str, Draft], listed: bool = False) -> list[str]:
    """Return a line per draft saying it is not published. `listed`: the lines as a terminal
    shows them, each marked `note: ` and followed by the placeholders it still has, indented."""
    lines = []
    for draft in drafts.values():
        left = counted(len(draft.todo), "placeholder", "placeholders")
        todo = f"{left} to fill in, then " if draft.todo else ""
        line = f"{draft.path} is a draft, not published: {todo}remove `draft: true`"
        lines.append(f"note: {line}" if listed else line)
        if listed:
            lines.extend(f"  {todo_line}" for todo_line in draft.todo)
    return lines


def future_dates(catalog: Catalog, today: dt.date) -> list[str]:
    """Return a line for each date of reading (signals.as_of, sources[].retrieved) after
    `today`: a typo, most likely, and pages would say the figures were read then. A note, not
    a problem: the catalog stays valid whatever day it is built on."""
    lines = []
    for slug, entry in catalog.entries.items():
        dates: list[tuple[Loc, dt.date | None]] = [
            (("signals", "as_of"), entry.signals.as_of if entry.signals else None)
        ]
        dates += [(("sources", i, "retrieved"), s.retrieved) for i, s in enumerate(entry.sources)]
        for loc, day in dates:
            if day is not None and day > today:
                where = f"{catalog.paths[slug]}:{catalog.line_of[slug](loc)}"
                lines.append(f"{where}: {field_path(loc)}: {day.isoformat()} is after today")
    return lines


def _with_base_url(site: SiteSettings, base_url: str) -> SiteSettings:
    """Return `site` with base_url replaced; raise CatalogError if it is not a valid one."""
    from pydantic import ValidationError

    from rivals.schema import SiteSettings as Model
    from rivals.schema import to_record

    try:
        checked = Model.model_validate(_plain(site) | {"base_url": base_url})
    except ValidationError as err:
        message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
        raise CatalogError([Problem("--base-url", 1, "base_url", message)]) from None
    return to_record(checked)  # type: ignore[no-any-return]


def _plain(record: Any) -> Any:
    """Return a record (records.py) as the dicts that its pydantic model validates."""
    if isinstance(record, tuple) and hasattr(record, "_fields"):
        return {name: _plain(value) for name, value in zip(record._fields, record, strict=True)}
    return record


def _record(doc: Document, loc: Loc, data: Any, model: str, found: list[Problem]) -> Any:
    """Return the record that the pydantic model named `model` (in schema.py) makes of `data`
    at `loc` in `doc`, or None with a problem added per error; as the document remembers it
    if it was validated before (see the module's docstring)."""
    key = (loc, model)
    done = doc.validated.get(key)
    if done is None:
        done = doc.validated[key] = _validate(doc, loc, data, model)
    found.extend(done[1])
    return done[0]


def _validate(doc: Document, loc: Loc, data: Any, name: str) -> tuple[Any, list[Problem]]:
    found: list[Problem] = []
    if data is None and not loc:
        found.append(doc.problem(loc, "file is empty"))
        return None, found
    if not isinstance(data, dict):
        found.append(doc.problem(loc, f"expected a mapping of fields, got {_kind(data)}"))
        return None, found
    from pydantic import ValidationError  # only when a record is validated: see the docstring

    from rivals import schema

    model: type[BaseModel] = getattr(schema, name)
    try:
        record = model.model_validate(data)
        return schema.to_record(record, schema.texts_of(data)), found
    except ValidationError as err:
        for error in err.errors(include_url=False):
            # A mapping's key that is wrong: pydantic adds "[key]" after the key's place.
            place = error["loc"][:-1] if error["loc"][-1:] == ("[key]",) else error["loc"]
            where = (*loc, *place)
            if error["type"] != "extra_forbidden" and any(
                where[: len(bad)] == bad for bad in doc.refused
            ):
                continue  # the value was reported already (an unknown field name was not)
            found.append(doc.problem(where, _message(error, model, tuple(error["loc"]))))
        return None, found


def _pages_apart(slugs: Mapping[str, object], docs: Mapping[str, Document]) -> list[Problem]:
    """Return a problem for each two pairs whose pages would have one address.

    No slug holds `-vs-`, so `<a>-vs-<b>` names one pair, but for one case: `a-vs` with `y`
    and `a` with `vs-y` both make `a-vs-vs-y` (when the four entries exist, and the order of
    each pair puts them so).
    """
    found = []
    for slug in sorted(s for s in slugs if s.endswith("-vs") and s[:-3] in slugs):
        first = slug[:-3]
        for other in sorted(s for s in slugs if s.startswith("vs-") and s[3:] in slugs):
            second = other[3:]
            page = _pair_page(slug, second)
            # ("vs-vs" with "vs" is one pair, found from both ends.)
            if page == _pair_page(first, other) and {slug, second} != {first, other}:
                found.append(
                    Problem(
                        docs[slug].path,
                        1,
                        "(file name)",
                        f"'{slug}' vs '{second}' and '{first}' vs '{other}' would both be the"
                        f" page compare/{page}/: rename one of the four",
                    )
                )
    return found


def _pair_page(a: str, b: str) -> str:
    return f"{a}-vs-{b}" if a < b else f"{b}-vs-{a}"


def _default_site() -> SiteSettings:
    from rivals.schema import SiteSettings as Model
    from rivals.schema import to_record

    return to_record(Model())  # type: ignore[no-any-return]


def _site(doc: Document | None, found: list[Problem]) -> SiteSettings:
    if doc is None or doc.data is None:
        return _default_site()
    site: SiteSettings | None = _record(doc, (), doc.data, "SiteSettings", found)
    loc = ("ranking", "weights")
    weights: Any
    if site is not None:
        weights = site.ranking.weights
    else:  # another field is wrong: the weights are still checked, on their own
        ranking = doc.data.get("ranking") if isinstance(doc.data, dict) else None
        raw = ranking.get("weights") if isinstance(ranking, dict) else None
        if isinstance(raw, dict):  # (an unknown key among them is reported already)
            known = {key: value for key, value in raw.items() if key in SUB_SCORES}
            weights = _record(doc, loc, known, "Weights", [])
        else:
            weights = None
    if weights is not None:
        total = sum(getattr(weights, name) for name in SUB_SCORES)
        if abs(total - 1.0) > 1e-6:
            found.append(doc.problem(loc, f"weights must sum to 1 (they sum to {total:g})"))
    return site if site is not None else _default_site()


def _table(
    doc: Document | None, model: str, found: list[Problem], required: bool = False
) -> tuple[dict[str, Any], set[str] | None]:
    """Validate an `id -> record` file such as categories.yaml.

    Return the valid records by id, and every id the file defines (None when the file is
    missing, empty and `required`, or not a mapping: nothing can be said of references).
    """
    if doc is None:
        return {}, None
    if doc.data is None:
        if required:
            found.append(doc.problem((), "file is empty"))
            return {}, None
        return {}, set()
    if not isinstance(doc.data, dict):
        found.append(doc.problem((), f"expected a mapping of id -> record, got {_kind(doc.data)}"))
        return {}, None
    out: dict[str, Any] = {}
    defined: set[str] = set()
    for key, value in doc.data.items():
        problem = id_problem(key)
        if problem:
            found.append(doc.problem((key,), f"id {problem}{id_hint(key)}"))
            _record(doc, (key,), value, model, found)  # its fields' problems too, in one run
            continue
        defined.add(key)
        record = _record(doc, (key,), value, model, found)
        if record is not None:
            out[key] = record
    return dict(sorted(out.items())), defined


def _matches(doc: Document | None, slugs: set[str] | None, found: list[Problem]) -> list[Match]:
    """Validate matches.yaml against the entry files' slugs (`slugs`; None: unknown, as
    there is no models/ folder). Slugs and repeats are checked on the raw pair, so that a
    wrong count does not hide them."""
    if doc is None or doc.data is None:
        return []
    if not isinstance(doc.data, list):
        found.append(doc.problem((), f"expected a list of pairs, got {_kind(doc.data)}"))
        return []
    out: list[Match] = []
    first_seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(doc.data):
        match: Match | None = _record(doc, (index,), item, "Match", found)
        pair = item.get("pair") if isinstance(item, dict) else None
        if not isinstance(pair, list) or len(pair) != 2:
            continue  # the schema reported it
        if not all(isinstance(slug, str) and not id_problem(slug) for slug in pair):
            continue
        a, b = pair
        bad = [] if slugs is None else [(i, s) for i, s in enumerate(pair) if s not in slugs]
        for i, slug in bad:
            message = f"unknown slug '{clip(slug)}'{did_you_mean(slug, slugs or set())}"
            found.append(doc.problem((index, "pair", i), message))
        if a == b:
            found.append(doc.problem((index, "pair"), f"a pair needs two different slugs: '{a}'"))
        key = (a, b) if a < b else (b, a)
        if key in first_seen:
            message = f"pair {a} / {b} is listed twice (first at line {first_seen[key]})"
            found.append(doc.problem((index, "pair"), message))
        elif a != b:
            first_seen[key] = doc.line_of((index,))
            if match is not None and not bad:
                out.append(match)
    return out


def _placeholders(data: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Yield the location of every TODO value that `rivals new` left in a record."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _placeholders(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _placeholders(value, (*loc, index))
    elif is_placeholder(data):
        yield loc, data


def _entry_references(doc: Document, ids: dict[str, set[str] | None]) -> Iterator[Problem]:
    """Check the ids an entry refers to, on the raw data so other errors don't hide them."""
    data = doc.data if isinstance(doc.data, dict) else {}
    categories = data.get("categories")
    if isinstance(categories, list):
        items = list(enumerate(categories))
        yield from _id_refs(doc, items, ("categories",), (), ids["categories"], "category")
    caps = data.get("capabilities")
    if isinstance(caps, list):
        cap_ids = [(i, c.get("id")) for i, c in enumerate(caps) if isinstance(c, dict)]
        yield from _id_refs(doc, cap_ids, ("capabilities",), ("id",), ids["capabilities"])
    signals = data.get("signals")
    benches = signals.get("benchmarks") if isinstance(signals, dict) else None
    known = ids["benchmarks"]
    if isinstance(benches, dict) and known is not None:
        for key in benches:
            if key not in known and not id_problem(key):
                message = f"unknown benchmark '{clip(key)}'{did_you_mean(key, known)}"
                yield doc.problem(("signals", "benchmarks", key), message)


def _id_refs(
    doc: Document,
    items: list[tuple[int, Any]],
    loc: Loc,
    tail: Loc,
    known: set[str] | None,
    what: str = "capability",
) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, value in items:
        if not isinstance(value, str) or id_problem(value):
            continue  # the schema reports it
        where = (*loc, index, *tail)
        if value in first:
            also = f"{loc[-1]}[{first[value]}]"
            yield doc.problem(where, f"{what} '{clip(value)}' is listed twice (also {also})")
            continue
        first[value] = index
        if known is not None and value not in known:
            yield doc.problem(where, f"unknown {what} '{clip(value)}'{did_you_mean(value, known)}")


def _message(error: Any, model: type[BaseModel], loc: Loc) -> str:
    """Turn one pydantic error into a message a YAML author can act on."""
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        return f"unknown field '{clip(key)}'{did_you_mean(key, _fields_at(model, loc[:-1]))}"
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping of fields, got {_kind(value)}"
    if kind == "list_type" or kind == "tuple_type":
        return f"expected a list, got {_kind(value)}"
    if kind == "string_type":
        return f"expected text, got {_kind(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return "must list at least one item"
    if kind in ("int_parsing", "int_from_float"):
        return f"expected a whole number, got '{clip(str(value))}'"
    if kind == "float_parsing":
        return f"expected a number, got '{clip(str(value))}'"
    if kind == "date_type":  # a list or a mapping (text is checked for YYYY-MM-DD before)
        return f"expected a date as YYYY-MM-DD, got {_kind(value)}"
    if kind.startswith(("date_", "datetime_")):  # YYYY-MM-DD, but no such day
        reason = (error.get("ctx") or {}).get("error")
        return f"not a real date{f' ({reason})' if reason else ''}, got '{clip(str(value))}'"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind != "value_error" and isinstance(value, str):
        message += f", got '{clip(value)}'"
    return message


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Return the field names allowed at `loc` inside `model`, for did-you-mean."""
    from pydantic import BaseModel as Model  # imported already: a model reported an error

    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, Model) and isinstance(part, str):
            field = current.model_fields.get(part)
            current = _unwrap(field.annotation) if field else None
        elif isinstance(part, int):
            args = typing.get_args(current)
            current = _unwrap(args[0]) if args else None
        else:
            return []
    if isinstance(current, type) and issubclass(current, Model):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] so that `Links | None` gives Links."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{clip(str(value))}'"
