"""Documents -> a validated Catalog, or every problem of the catalog at once."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rivals.load import Document, Loc, RawCatalog
from rivals.problems import CatalogError, Problem, did_you_mean
from rivals.records import SUB_SCORES, Catalog, id_problem
from rivals.schema import (
    Benchmark,
    CapabilityDef,
    Category,
    Entry,
    Match,
    SiteSettings,
    to_record,
)
from rivals.starter import is_placeholder

R = TypeVar("R", bound=BaseModel)


def validate_catalog(
    raw: RawCatalog, problems: list[Problem], base_url: str | None = None
) -> Catalog:
    """Return the validated catalog, or raise CatalogError with `problems` and all new ones.

    `base_url` (from --base-url) replaces site.yaml's once the catalog is valid.
    """
    found = list(problems)
    site = _site(raw.files.get("site"), found)
    categories = _table(raw.files.get("categories"), Category, found)
    capabilities = _table(raw.files.get("capabilities"), CapabilityDef, found)
    benchmarks = _table(raw.files.get("benchmarks"), Benchmark, found)
    # A file that is missing or unreadable has already been reported; checking references
    # against it would only repeat that problem once per entry.
    ids = {
        name: set(table) if name in raw.files else None
        for name, table in (
            ("categories", categories),
            ("capabilities", capabilities),
            ("benchmarks", benchmarks),
        )
    }
    if "benchmarks" not in raw.files and not (raw.root / "benchmarks.yaml").exists():
        ids["benchmarks"] = set()
    entries: dict[str, Entry] = {}
    for slug, doc in sorted(raw.models.items()):
        problem = id_problem(slug)
        if problem:
            found.append(Problem(doc.path, 1, "(file name)", f"slug {problem}: '{slug}'"))
        found.extend(_entry_references(doc, ids))
        todo = dict(_placeholders(doc.data, ())) if doc.placeholders else {}
        for loc in todo:
            found.append(doc.problem(loc, "placeholder still to fill in"))
        doc.refused = doc.refused | frozenset(todo)
        entry = _record(doc, (), doc.data, Entry, found)
        if entry is not None and not problem:
            entries[slug] = entry
    matches = _matches(raw.files.get("matches"), set(raw.models), found)
    if found:
        raise CatalogError(found)
    if base_url is not None:
        site = _with_base_url(site, base_url)
    return Catalog(
        site=to_record(site),
        categories=to_record(categories),
        capabilities=to_record(capabilities),
        benchmarks=to_record(benchmarks),
        matches=to_record(tuple(matches)),
        entries=to_record(entries),
        paths={slug: raw.models[slug].path for slug in entries},
    )


def _with_base_url(site: SiteSettings, base_url: str) -> SiteSettings:
    """Return `site` with base_url replaced; raise CatalogError if it is not a valid one."""
    try:
        return SiteSettings.model_validate(site.model_dump() | {"base_url": base_url})
    except ValidationError as err:
        message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
        raise CatalogError([Problem("--base-url", 1, "base_url", message)]) from None


def _record(doc: Document, loc: Loc, data: Any, model: type[R], found: list[Problem]) -> R | None:
    """Validate one record; on failure add a problem per pydantic error and return None."""
    if not isinstance(data, dict):
        found.append(doc.problem(loc, f"expected a mapping of fields, got {_kind(data)}"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        for error in err.errors(include_url=False):
            where = (*loc, *error["loc"])
            if any(where[: len(bad)] == bad for bad in doc.refused):
                continue  # the loader already reported this value
            found.append(doc.problem(where, _message(error, model, tuple(error["loc"]))))
        return None


def _site(doc: Document | None, found: list[Problem]) -> SiteSettings:
    if doc is None or doc.data is None:
        return SiteSettings()
    site = _record(doc, (), doc.data, SiteSettings, found)
    if site is None:
        return SiteSettings()
    total = sum(getattr(site.ranking.weights, name) for name in SUB_SCORES)
    if abs(total - 1.0) > 1e-6:
        loc = ("ranking", "weights")
        found.append(doc.problem(loc, f"weights must sum to 1 (they sum to {total:g})"))
    return site


def _table(doc: Document | None, model: type[R], found: list[Problem]) -> dict[str, R]:
    """Validate an `id -> record` file such as categories.yaml."""
    if doc is None:
        return {}
    if not isinstance(doc.data, dict):
        found.append(doc.problem((), f"expected a mapping of id -> record, got {_kind(doc.data)}"))
        return {}
    out: dict[str, R] = {}
    for key, value in doc.data.items():
        problem = id_problem(key)
        if problem:
            found.append(doc.problem((key,), f"id {problem}"))
            continue
        record = _record(doc, (key,), value, model, found)
        if record is not None:
            out[key] = record
    return dict(sorted(out.items()))


def _matches(doc: Document | None, slugs: set[str], found: list[Problem]) -> list[Match]:
    if doc is None or doc.data is None:
        return []
    if not isinstance(doc.data, list):
        found.append(doc.problem((), f"expected a list of pairs, got {_kind(doc.data)}"))
        return []
    out: list[Match] = []
    first_seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(doc.data):
        match = _record(doc, (index,), item, Match, found)
        if match is None:
            continue
        a, b = match.pair
        bad = [(i, s) for i, s in enumerate(match.pair) if s not in slugs]
        for i, slug in bad:
            message = f"unknown slug '{slug}'{did_you_mean(slug, slugs)}"
            found.append(doc.problem((index, "pair", i), message))
        if a == b:
            found.append(doc.problem((index, "pair"), f"a pair needs two different slugs: '{a}'"))
        key = (a, b) if a < b else (b, a)
        if key in first_seen:
            message = f"pair {a} / {b} is listed twice (first at line {first_seen[key]})"
            found.append(doc.problem((index, "pair"), message))
        elif not bad and a != b:
            first_seen[key] = doc.line_of((index,))
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
                message = f"unknown benchmark '{key}'{did_you_mean(key, known)}"
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
            yield doc.problem(where, f"{what} '{value}' is listed twice (also {also})")
            continue
        first[value] = index
        if known is not None and value not in known:
            yield doc.problem(where, f"unknown {what} '{value}'{did_you_mean(value, known)}")


def _message(error: Any, model: type[BaseModel], loc: Loc) -> str:
    """Turn one pydantic error into a message a YAML author can act on."""
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        return f"unknown field '{key}'{did_you_mean(key, _fields_at(model, loc[:-1]))}"
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
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind != "value_error" and isinstance(value, str):
        message += f", got '{_clip(value)}'"
    return message


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Return the field names allowed at `loc` inside `model`, for did-you-mean."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            current = _unwrap(field.annotation) if field else None
        elif isinstance(part, int):
            args = typing.get_args(current)
            current = _unwrap(args[0]) if args else None
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
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
    return f"'{_clip(str(value))}'"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
