"""The catalog's records as pydantic models: exactly the fields of data-format.md, no I/O.

Only validation uses them: validate.py copies what they accept into the plain records of
records.py (to_record), which is what the rest of rivals reads.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from rivals import records
from rivals.records import ID_MAX, ID_PATTERN, KINDS, PAIR_POLICIES, PLANS, SUB_SCORES, id_problem

__all__ = ["ID_MAX", "ID_PATTERN", "KINDS", "PAIR_POLICIES", "PLANS", "SUB_SCORES", "id_problem"]


def _check_id(value: str) -> str:
    problem = id_problem(value)
    if problem:
        raise ValueError(f"{problem}: '{value}'{records.id_hint(value)}")
    return value


# The largest count or benchmark figure accepted: far beyond any real one, and small enough
# that the ranking's arithmetic on floats (logs, differences, sums) stays finite and exact
# enough to round the same way everywhere.
MAX_FIGURE = 10**15


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    """Let through a date written YYYY-MM-DD (text, as the loader keeps it, or a date); refuse
    what pydantic would otherwise read as a date, such as a number of seconds since 1970."""
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError(f"expected a date as YYYY-MM-DD, got '{value[:40]}'")
        return value.strip()
    if isinstance(value, (int, float)):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    return value


def _check_finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if abs(value) > MAX_FIGURE:
        raise ValueError(f"must be between -{MAX_FIGURE:.0e} and {MAX_FIGURE:.0e}")
    return value


Id = Annotated[
    str,
    AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN.pattern, "maxLength": ID_MAX}),
]
Url = Annotated[
    str,
    AfterValidator(records.check_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://"}),
]
BaseUrl = Annotated[Url, AfterValidator(records.check_base_url)]
Date = Annotated[dt.date, BeforeValidator(_iso_date)]
# Lengths far beyond any real value: a bound on what hostile input can make a page carry.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Bidi embeddings, overrides and isolates: in a name they would reorder the generated text
# around it (a verdict's "31/100" read as "001/13").
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _one_line(name: str) -> str:
    """Return a name on one line, its runs of spaces as one (a page shows them so), or raise
    ValueError for a bidi control character or another control character in it (the
    catalog's loader refuses those; `rivals new --name` is checked here)."""
    found = _BIDI_CONTROLS.search(name)
    if found:
        raise ValueError(
            f"a name must not contain the bidi control character U+{ord(found.group()):04X}:"
            " it reorders the text around the name"
        )
    # (Before the spaces go: str.split takes U+001C-U+001F and U+0085 for spaces.)
    control = next((c for c in name if _is_control(c) and c not in "\t\n\r"), None)
    if control is not None:
        raise ValueError(f"a name must not contain the control character U+{ord(control):04X}")
    if not records.reads_as(name).strip():  # zero-width spaces, a byte order mark, a filler
        raise ValueError("must not be empty: a name of invisible characters only shows nothing")
    return " ".join(name.split())


def _is_control(char: str) -> bool:
    return char < " " or "\x7f" <= char <= "\x9f"


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(_one_line),
]
# The site's name: one line too, and as long as a tagline may be (the format gives no bound).
SiteName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_one_line),
]
Count = Annotated[int, Field(ge=0, le=MAX_FIGURE)]
# true or false as YAML writes them (the loader keeps both as text); not yes, on or 1.
Flag = Annotated[bool, BeforeValidator(records.true_or_false)]
Number = Annotated[float, AfterValidator(_check_finite)]


class Record(BaseModel):
    """Base record: unknown keys are errors, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(Record):
    """A record with optional fields that take no null: one left empty (`links:` with every
    line under it commented out) is as if not given. (A field that takes null as its default
    needs nothing: the records that have only those skip this step, thousands of times.)"""

    @model_validator(mode="before")
    @classmethod
    def _empty_is_not_given(cls, data: Any) -> Any:
        if type(data) is dict and None in data.values():
            fields = cls.model_fields
            return {
                key: value
                for key, value in data.items()
                if value is not None or key not in fields or fields[key].is_required()
            }
        return data


class Pricing(Record):
    plan: Literal["free", "freemium", "paid", "usage-based"]
    free_tier: Flag | None = None
    note: Text | None = None


class Links(Record):
    homepage: Url | None = None
    repository: Url | None = None
    paper: Url | None = None
    docs: Url | None = None


def _distinct(items: list[str]) -> list[str]:
    """Return `items` with each listed once, as first written: the ecosystem sub-score counts
    them, and `Ollama`, the same in full-width letters, with a zero-width space, two spaces
    for one or another dash repeat `ollama` (as names are told apart: records.reads_as)."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = records.reads_as(item)  # as a reader sees it: case, width, spaces, dashes
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


Labels = Annotated[list[Label], AfterValidator(_distinct)]


class Signals(Defaults):
    as_of: Date | None = None
    github_stars: Count | None = None
    monthly_downloads: Count | None = None
    benchmarks: dict[Id, Number] = Field(default_factory=dict)
    integrations: Labels | None = None
    platforms: Labels | None = None


class CapabilityClaim(Record):
    id: Id
    summary: Text
    unique: Text | None = None
    vs_alternatives: Text | None = None


class Source(Record):
    url: Url
    title: Text | None = None
    retrieved: Date | None = None


class Entry(Defaults):
    """One model, repository, API, app, library or dataset (`models/<slug>.yaml`)."""

    name: Name
    kind: Literal["model", "repository", "api", "app", "library", "dataset"]
    summary: Text
    categories: list[Id] = Field(min_length=1)
    pricing: Pricing
    license: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
        | None
    ) = None
    released: Date | None = None
    links: Links = Field(default_factory=Links)
    signals: Signals | None = None
    capabilities: list[CapabilityClaim] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    # Not published while true (`rivals new` writes a draft): see validate.validate_catalog.
    draft: Flag = False


class Category(Record):
    name: Name
    description: Text | None = None


class CapabilityDef(Record):
    name: Name
    group: Label | None = None
    description: Text | None = None


class Benchmark(Record):
    name: Name
    higher_is_better: Flag
    unit: Annotated[str, StringConstraints(max_length=200)] | None = None
    url: Url | None = None


class Match(Record):
    pair: tuple[Id, Id]
    count: Count


class Weights(Defaults):
    """The sub-scores' weights; one not given counts 0 (they must still sum to 1)."""

    adoption: Annotated[float, Field(ge=0, le=1)] = 0.0
    quality: Annotated[float, Field(ge=0, le=1)] = 0.0
    ecosystem: Annotated[float, Field(ge=0, le=1)] = 0.0
    match_graph: Annotated[float, Field(ge=0, le=1)] = 0.0


DEFAULT_WEIGHTS = Weights(adoption=0.35, quality=0.35, ecosystem=0.2, match_graph=0.1)


class Ranking(Defaults):
    weights: Weights = DEFAULT_WEIGHTS


class SiteSettings(Defaults):
    """`site.yaml`: every key optional."""

    title: SiteName = "Rivals"
    tagline: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    base_url: BaseUrl | None = None
    ranking: Ranking = Ranking()
    pairs: Literal["all", "same-category", "matched"] = "all"
    capabilities_shown: Annotated[int, Field(ge=0, le=MAX_FIGURE)] = 8
    max_rivals: Annotated[int, Field(ge=1)] | None = None


# The record class (records.py) of each model, found on first use.
_RECORDS: dict[type[BaseModel], type[Any]] = {}
# Values to_record passes on as they are (texts are looked up in `strings` first).
_PLAIN = frozenset({int, float, bool, type(None), dt.date})


def to_record(value: Any, strings: dict[str, str] | None = None) -> Any:
    """Return `value` with each model in it, however deep, copied into its record (the class
    of the same name in records.py); lists, dicts and tuples are copied, the rest is shared.

    A text equal to a key of `strings` becomes that key's value: given the texts of the raw
    document, a record shares their objects, and a pickle of both holds each text once.
    """
    known = strings or {}
    kind = type(value)
    if kind is str:
        return known.get(value, value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        items = [known.get(v, v) if type(v) is str else to_record(v, strings) for v in value]
        return items if kind is list else tuple(items)
    if kind is dict:
        return {known.get(k, k): to_record(v, strings) for k, v in value.items()}
    if not isinstance(value, BaseModel):
        return value
    record = _RECORDS.get(kind)
    if record is None:
        record = _RECORDS[kind] = getattr(records, kind.__name__)
    # A model's __dict__ holds its fields, in their order (extra fields are forbidden).
    return record(
        *[
            known.get(v, v) if type(v) is str else v if type(v) in _PLAIN else to_record(v, strings)
            for v in value.__dict__.values()
        ]
    )


def texts_of(data: Any, found: dict[str, str] | None = None) -> dict[str, str]:
    """Return {text: text} for every string in `data` (keys too), for to_record."""
    found = {} if found is None else found
    kind = type(data)
    if kind is str:
        found.setdefault(data, data)
    elif kind is dict:
        for key, item in data.items():
            texts_of(key, found)
            texts_of(item, found)
    elif kind is list or kind is tuple:
        for item in data:
            texts_of(item, found)
    return found
