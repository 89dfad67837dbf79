"""The catalog as the build uses it: plain records with the fields of schema.py's models.

schema.py checks a catalog with pydantic; validate.py then copies what it accepted into these
records (schema.to_record) and keeps them with the parsed files, so that a build whose files
did not change never imports pydantic, whose import and model classes take about a tenth of a
second. Everything after validation (ranking, views, pages, templates) reads records.

Each record is a NamedTuple (immutable; made from its fields in order): a class takes about a
sixth of what a frozen dataclass takes to create (2.5 against 8.6 ms for all of them, paid by
every build), and a record is quicker to make. Catalog, made once, is a dataclass, for its
cached properties. This module imports nothing outside the standard library;
tests/test_records.py checks that each record has its model's fields.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_MAX = 64
KINDS = ("model", "repository", "api", "app", "library", "dataset")
PLANS = ("free", "freemium", "paid", "usage-based")
PAIR_POLICIES = ("all", "same-category", "matched")
SUB_SCORES = ("adoption", "quality", "ecosystem", "match_graph")


# What a URL must not hold: what str.isspace() calls space (as \s does) and control characters.
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


def check_url(value: str) -> str:
    """Return `value` if it is an absolute http(s) URL; raise ValueError saying why not."""
    if _URL_FORBIDDEN.search(value):
        raise ValueError("a URL must not contain spaces or control characters")
    if "\\" in value:  # browsers read it as "/", Python's urlsplit does not: two hosts
        raise ValueError(f"a URL must not contain a backslash: '{value}'")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http(s) URL: '{value}'")
    if "@" in parts.netloc:  # https://example.org@evil.example/: a reader sees another host
        raise ValueError(f"a URL must not hold a user name or password (user@host): '{value}'")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
    except ValueError:
        raise ValueError(f"the port must be a number from 0 to 65535: '{value}'") from None
    return value


def check_base_url(value: str) -> str:
    """Return the URL `value` if it can be a site's base URL; raise ValueError if not."""
    parts = urlsplit(value)
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError(f"a base URL cannot have a query or a fragment: '{value}'")
    unsafe = sorted(set(value) & set('"<>`{}|^'))
    if unsafe:  # written raw into robots.txt and every page's links: percent-encode them
        raise ValueError(f"a base URL must not contain {' '.join(unsafe)}: '{value}'")
    host = parts.hostname or ""
    if not host.isascii() and not _idna_keeps(host):
        raise ValueError(
            f"write the host of a base URL in its ASCII form (xn--...): '{host}' has two, one"
            " for browsers and one for the sitemap's older encoding"
        )
    return value


def _idna_keeps(host: str) -> bool:
    """True when IDNA 2003 (Python's codec) gives `host` an ASCII form that reads back as the
    same name, as browsers' UTS #46 does; not for 'straße.de' ('strasse.de', where browsers
    keep the ß) or a host with a zero-width joiner (dropped)."""
    try:
        back = host.encode("idna").decode("idna")
    except UnicodeError:
        return False
    return back == unicodedata.normalize("NFC", host).lower()


def true_or_false(value: object) -> bool:
    """Return what a YAML `true` or `false` says (the loader keeps both as text); raise
    ValueError for anything else."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in ("true", "false"):
        raise ValueError(
            f"expected true or false, got {'nothing' if value is None else repr(value)}"
        )
    return text == "true"


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


def slug_of(text: str) -> str:
    """Return `text` as a slug could spell it: "My Model 2.0" -> "my-model-2-0"."""
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).lower())
    return "-".join(words).replace("-vs-", "-versus-")


def id_hint(value: str) -> str:
    """Return " (did you mean 'alpha-vision'?)" for an id spelled "Alpha_Vision", or "" when
    no valid id reads like it."""
    fixed = slug_of(value)
    if not fixed or fixed == value or id_problem(fixed):
        return ""
    return f" (did you mean '{fixed}'?)"


@lru_cache(maxsize=4096)
def folded_name(name: str) -> str:
    """Return `name` as a reader sees it: letter case, compatibility forms (full-width
    letters), invisible characters (zero-width spaces, fillers), the kind of dash and runs
    of spaces, which a page shows as one, do not count. Nor does a capital I against a
    small L ("Ilama", "llama"), alike in most sans-serif fonts: with case not counting
    either, i and l are one letter here (a pair of names apart only by them gets slugs)."""
    return reads_as(name).replace("l", "i")


@lru_cache(maxsize=4096)
def reads_as(text: str) -> str:
    """Return `text` as a reader sees it, as folded_name does, but for I and l."""
    normal = unicodedata.normalize("NFKC", text)
    seen = "".join(_SEEN_AS.get(c) or _as_seen(c) for c in normal)
    return " ".join(seen.split()).casefold()


# Characters a page shows as a space, or as nothing, that are neither (Hangul and braille
# fillers), the minus sign that reads as a hyphen, dots drawn as a middle dot ("DALL·E" with a
# hyphenation point, U+2027) and slashes drawn as a slash (a division slash, U+2215), and
# Cyrillic and Greek letters drawn as Latin ones (a Cyrillic A, U+0410, at the start of "Alpha").
_LOOKALIKES = (
    "АВЕКМНОРСТУХаеорсухіјѕԁһԛԝІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧοϲ",
    "ABEKMHOPCTYXaeopcyxijsdhqwIJSABEZHIKMNOPTYXoc",
)
_SEEN_AS = (
    dict.fromkeys("\u115f\u1160\u3164\uffa0\u2800", " ")
    | {"\u2212": "-"}
    | dict.fromkeys("\u2027\u2219\u22c5\u30fb\u2e31\u16eb", "\u00b7")
    | dict.fromkeys("\u2215\u2044\u29f8\u2571", "/")
    | dict(zip(*_LOOKALIKES, strict=True))
)


def _as_seen(char: str) -> str:
    """Return `char` as a reader sees it: a dash as "-", format characters (zero-width
    spaces) and combining marks left over after NFKC (a grapheme joiner) as nothing."""
    kind = unicodedata.category(char)
    if kind == "Pd":
        return "-"
    return "" if kind in ("Cf", "Mn", "Me") else char


def told_apart(names: Mapping[str, str]) -> dict[str, str]:
    """Return `names` (key -> name) with each name that a reader could not tell from another
    followed by its key, "LLaVA (llava)", until no two can be mixed up. A name that reads as
    another's name with its key ("LLaVA (llava)", not llava, beside llava's "LLaVA") would pass
    for that one: both get their keys."""
    found = dict(names)
    keyed = {folded_name(f"{name} ({k})"): k for k, name in names.items()}
    while True:
        seen = Counter(map(folded_name, found.values()))
        alike = set()
        for k, label in found.items():
            read = folded_name(label)
            if seen[read] > 1:
                alike.add(k)
            mimicked = keyed.get(read, k)
            if mimicked != k:  # "LLaVA (llava)", not llava: it would pass for llava's label
                alike.update((k, mimicked))
        plain = sorted(k for k in alike if found[k] == names[k])  # a key added settles it
        if not plain:
            return found
        found.update({k: f"{names[k]} ({k})" for k in plain})


class Pricing(NamedTuple):
    plan: str
    free_tier: bool | None
    note: str | None

    @property
    def has_free_tier(self) -> bool:
        """True when the entry can be used without paying (default: plan is free or freemium)."""
        if self.free_tier is not None:
            return self.free_tier
        return self.plan in ("free", "freemium")


class Links(NamedTuple):
    homepage: str | None
    repository: str | None
    paper: str | None
    docs: str | None

    def items(self) -> list[tuple[str, str | None]]:
        """Return (field name, URL or None) in the order of the fields."""
        return [
            ("homepage", self.homepage),
            ("repository", self.repository),
            ("paper", self.paper),
            ("docs", self.docs),
        ]


class Signals(NamedTuple):
    as_of: dt.date | None
    github_stars: int | None
    monthly_downloads: int | None
    benchmarks: dict[str, float]
    integrations: list[str] | None
    platforms: list[str] | None


class CapabilityClaim(NamedTuple):
    id: str
    summary: str
    unique: str | None
    vs_alternatives: str | None


class Source(NamedTuple):
    url: str
    title: str | None
    retrieved: dt.date | None


class Entry(NamedTuple):
    """One model, repository, API, app, library or dataset (`models/<slug>.yaml`)."""

    name: str
    kind: str
    summary: str
    categories: list[str]
    pricing: Pricing
    license: str | None
    released: dt.date | None
    links: Links
    signals: Signals | None
    capabilities: list[CapabilityClaim]
    sources: list[Source]
    draft: bool


class Category(NamedTuple):
    name: str
    description: str | None


class CapabilityDef(NamedTuple):
    name: str
    group: str | None
    description: str | None


class Benchmark(NamedTuple):
    name: str
    higher_is_better: bool
    unit: str | None
    url: str | None


class Match(NamedTuple):
    pair: tuple[str, str]
    count: int  # type: ignore[assignment]  # the field hides tuple.count, which no one calls


class Weights(NamedTuple):
    adoption: float
    quality: float
    ecosystem: float
    match_graph: float

    def as_dict(self) -> dict[str, float]:
        """Return the weights by sub-score name, in the fixed sub-score order."""
        return {name: getattr(self, name) for name in SUB_SCORES}


class Ranking(NamedTuple):
    weights: Weights


class SiteSettings(NamedTuple):
    """`site.yaml`."""

    title: str
    tagline: str
    base_url: str | None
    ranking: Ranking
    pairs: str
    capabilities_shown: int
    max_rivals: int | None


class Draft(NamedTuple):
    """An entry file marked `draft: true`: checked like any other, but not published."""

    path: str
    todo: tuple[str, ...]  # the placeholders it still has, as problem lines (file:line: ...)


@dataclass(frozen=True)
class Catalog:
    """A validated catalog: every record and cross-reference checked (validate.py)."""

    site: SiteSettings
    categories: dict[str, Category]
    capabilities: dict[str, CapabilityDef]
    benchmarks: dict[str, Benchmark]
    matches: tuple[Match, ...]
    entries: dict[str, Entry]
    paths: dict[str, str]
    drafts: dict[str, Draft] = field(default_factory=dict)  # by slug; none of them in entries
    # The line of a field in each entry's file, by slug: line_of[slug](("signals", "as_of")).
    line_of: dict[str, Callable[[tuple[str | int, ...]], int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def pair_count(self, a: str, b: str) -> int:
        """Return how often `a` and `b` were matched together (0 when never)."""
        return self._pair_counts.get((a, b) if a < b else (b, a), 0)

    @cached_property
    def has_match_graph(self) -> bool:
        """True when some pair was matched (a count above 0): else no two entries ever were,
        whether matches.yaml lists none or only counts of 0."""
        return any(match.count for match in self.matches)

    def match_counts(self) -> dict[tuple[str, str], int]:
        """Return {(a, b): how often they were matched} for the pairs ever matched, a < b."""
        return dict(self._pair_counts)

    def times_matched(self, slug: str) -> int:
        """Return the sum of the counts of the pairs `slug` belongs to."""
        return self._times_matched.get(slug, 0)

    @cached_property
    def _pair_counts(self) -> dict[tuple[str, str], int]:
        counts = {}
        for match in self.matches:
            a, b = sorted(match.pair)
            counts[(a, b)] = match.count
        return counts

    @cached_property
    def _times_matched(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for match in self.matches:
            for slug in match.pair:
                counts[slug] = counts.get(slug, 0) + match.count
        return counts
