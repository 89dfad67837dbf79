"""The catalog's records as pydantic models: exactly the fields of data-format.md, no I/O."""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_MAX = 64
KINDS = ("model", "repository", "api", "app", "library", "dataset")
PLANS = ("free", "freemium", "paid", "usage-based")
PAIR_POLICIES = ("all", "same-category", "matched")
SUB_SCORES = ("adoption", "quality", "ecosystem", "match_graph")


@lru_cache(maxsize=8192)
def id_problem(value: str) -> str | None:
    """Return why `value` is not a valid id or slug, or None when it is.

    Kept per value: a catalog names the same few dozen ids thousands of times.
    """
    if not ID_PATTERN.match(value):
        return "must be lowercase letters and digits in words joined by single hyphens"
    if len(value) > ID_MAX:
        return f"must be at most {ID_MAX} characters"
    if "-vs-" in value:
        return "must not contain '-vs-'"
    return None


def _check_id(value: str) -> str:
    problem = id_problem(value)
    if problem:
        raise ValueError(f"{problem}: '{value}'")
    return value


# What a URL must not hold: what str.isspace() calls space (as \s does) and control characters.
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


def _check_url(value: str) -> str:
    if _URL_FORBIDDEN.search(value):
        raise ValueError("a URL must not contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http(s) URL: '{value}'")
    return value


def _check_finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Id = Annotated[
    str,
    AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN.pattern, "maxLength": ID_MAX}),
]
Url = Annotated[
    str,
    AfterValidator(_check_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://"}),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Count = Annotated[int, Field(ge=0)]
Number = Annotated[float, AfterValidator(_check_finite)]


class Record(BaseModel):
    """Base record: unknown keys are errors, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Pricing(Record):
    plan: Literal["free", "freemium", "paid", "usage-based"]
    free_tier: bool | None = None
    note: Text | None = None

    @property
    def has_free_tier(self) -> bool:
        """True when the entry can be used without paying (default: plan is free or freemium)."""
        if self.free_tier is not None:
            return self.free_tier
        return self.plan in ("free", "freemium")


class Links(Record):
    homepage: Url | None = None
    repository: Url | None = None
    paper: Url | None = None
    docs: Url | None = None


class Signals(Record):
    as_of: dt.date | None = None
    github_stars: Count | None = None
    monthly_downloads: Count | None = None
    benchmarks: dict[Id, Number] = Field(default_factory=dict)
    integrations: list[Label] | None = None
    platforms: list[Label] | None = None


class CapabilityClaim(Record):
    id: Id
    summary: Text
    unique: Text | None = None
    vs_alternatives: Text | None = None


class Source(Record):
    url: Url
    title: Text | None = None
    retrieved: dt.date | None = None


class Entry(Record):
    """One model, repository, API, app, library or dataset (`models/<slug>.yaml`)."""

    name: Name
    kind: Literal["model", "repository", "api", "app", "library", "dataset"]
    summary: Text
    categories: list[Id] = Field(min_length=1)
    pricing: Pricing
    license: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    released: dt.date | None = None
    links: Links = Field(default_factory=Links)
    signals: Signals | None = None
    capabilities: list[CapabilityClaim] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)


class Category(Record):
    name: Name
    description: Text | None = None


class CapabilityDef(Record):
    name: Name
    group: Label | None = None
    description: Text | None = None


class Benchmark(Record):
    name: Name
    higher_is_better: bool
    unit: Annotated[str, StringConstraints(max_length=16)] | None = None
    url: Url | None = None


class Match(Record):
    pair: tuple[Id, Id]
    count: Count


class Weights(Record):
    adoption: Annotated[float, Field(ge=0, le=1)]
    quality: Annotated[float, Field(ge=0, le=1)]
    ecosystem: Annotated[float, Field(ge=0, le=1)]
    match_graph: Annotated[float, Field(ge=0, le=1)]

    def as_dict(self) -> dict[str, float]:
        """Return the weights by sub-score name, in the fixed sub-score order."""
        return {name: getattr(self, name) for name in SUB_SCORES}


DEFAULT_WEIGHTS = Weights(adoption=0.35, quality=0.35, ecosystem=0.2, match_graph=0.1)


class Ranking(Record):
    weights: Weights = DEFAULT_WEIGHTS


class SiteSettings(Record):
    """`site.yaml`: every key optional."""

    title: Name = "Rivals"
    tagline: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    base_url: Url | None = None
    ranking: Ranking = Ranking()
    pairs: Literal["all", "same-category", "matched"] = "all"
    capabilities_shown: Annotated[int, Field(ge=0, le=1000)] = 8
    max_rivals: Annotated[int, Field(ge=1)] | None = None


class Catalog(BaseModel):
    """A validated catalog: every record and cross-reference checked."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    site: SiteSettings
    categories: dict[str, Category]
    capabilities: dict[str, CapabilityDef]
    benchmarks: dict[str, Benchmark]
    matches: tuple[Match, ...]
    entries: dict[str, Entry]
    paths: dict[str, str]

    def pair_count(self, a: str, b: str) -> int:
        """Return how often `a` and `b` were matched together (0 when never)."""
        return self._pair_counts().get((a, b) if a < b else (b, a), 0)

    def match_counts(self) -> dict[tuple[str, str], int]:
        """Return {(a, b): how often they were matched} for the pairs ever matched, a < b."""
        return dict(self._pair_counts())

    def times_matched(self, slug: str) -> int:
        """Return the sum of the counts of the pairs `slug` belongs to."""
        return self._times_matched().get(slug, 0)

    def _pair_counts(self) -> dict[tuple[str, str], int]:
        cached: dict[tuple[str, str], int] | None = self.__dict__.get("_pairs")
        if cached is None:
            cached = {}
            for match in self.matches:
                a, b = sorted(match.pair)
                cached[(a, b)] = match.count
            self.__dict__["_pairs"] = cached
        return cached

    def _times_matched(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_times")
        if cached is None:
            cached = {}
            for match in self.matches:
                for slug in match.pair:
                    cached[slug] = cached.get(slug, 0) + match.count
            self.__dict__["_times"] = cached
        return cached
