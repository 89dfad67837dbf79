"""`rivals new`: a commented starter record, and the JSON Schema editors use to check it."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

from rivals.load import PLACEHOLDER, load_catalog
from rivals.problems import CatalogError, Problem
from rivals.records import id_hint, id_problem
from rivals.write import write_new_file, write_text

SCHEMA_FILE = "model.schema.json"

STARTER = """\
# yaml-language-server: $schema=../{schema}
# A new entry for the catalog, as a draft: it is checked, but left out of the site. Replace
# every TODO (`rivals check` points at each one still left, by line), then remove the
# `draft: true` line to publish it. Optional fields are commented out; remove the leading
# "# " to use them. Never invent a figure: leave out what you don't know.
draft: true                       # remove this line to publish the entry
name: {name}
kind: model                       # model | repository | api | app | library | dataset
summary: TODO one paragraph, in your own words, on what it is and who it is for.
categories: [TODO]                # ids from categories.yaml, e.g. [{category}]
pricing:
  plan: free                      # free | freemium | paid | usage-based
  # free_tier: true               # default: true for free and freemium
  # note: Hosted tiers, if any, and what they cost.
# license: "Apache-2.0"           # SPDX id or short text; keep the quotes
# released: 2026-01-31            # ISO date of the first public release
links:                            # absolute http(s) URLs
  homepage: https://TODO.example.org/
  # repository: https://github.com/owner/name
  # paper: https://arxiv.org/abs/0000.00000
  # docs: https://docs.example.org/
# signals:                        # evidence for the ranking, only figures you can source
#   as_of: 2026-11-01             # when you read them
#   github_stars: 0
#   monthly_downloads: 0
#   benchmarks: {{}}              # benchmark id from benchmarks.yaml -> result
#   integrations: [ollama, transformers]
#   platforms: [linux, macos, windows]
capabilities:                     # at least one; ids from capabilities.yaml, e.g. {capability}
  - id: TODO
    summary: TODO what it does on this capability, and how.
    unique: TODO what sets it apart here.
    vs_alternatives: TODO how it stands against a named rival.
sources:                          # where the facts above come from
  - url: https://TODO.example.org/
    title: TODO page title
    # retrieved: 2026-11-01
"""


def starter(slug: str, name: str | None, category: str, capability: str) -> str:
    """Return the text of a starter `models/<slug>.yaml`."""
    shown = name if name else slug.replace("-", " ").title()
    return STARTER.format(
        schema=SCHEMA_FILE,
        name=json.dumps(shown, ensure_ascii=False),
        category=category,
        capability=capability,
    )


def create_entry(data: Path, slug: str, name: str | None) -> Path:
    """Write a starter `models/<slug>.yaml` (and the editor schema beside the models folder).

    Raises CatalogError for an invalid slug or an existing file: nothing is overwritten.
    """
    path = data / "models" / f"{slug}.yaml"
    problem = id_problem(slug)
    if problem:
        message = f"slug {problem}: '{slug}'{id_hint(slug)}"
        raise CatalogError([Problem(str(path), 1, "(file name)", message)])
    if os.path.lexists(path):
        raise CatalogError([Problem(str(path), 1, "(file)", "already exists; not overwritten")])
    if name is not None:
        try:
            name = read_name(name)
        except ValueError as err:
            raise CatalogError([Problem(str(path), 1, "name (--name)", str(err))]) from None
    raw, problems = load_catalog(data)
    # No catalog folder there (a typo?): made by init, not here (a models/ folder is made).
    folder = [p for p in problems if p.field == "(folder)" and p.path == str(data)]
    if folder:
        raise CatalogError(folder)
    examples = []
    for name_ in ("categories", "capabilities"):
        doc = raw.files.get(name_)
        ids = sorted(doc.data) if doc is not None and isinstance(doc.data, dict) else []
        examples.append(ids[0] if ids else "some-id")
    text = starter(slug, name, examples[0], examples[1])
    schema = data / SCHEMA_FILE
    written = False
    try:
        write_new_file(path, text)
        written = True
        write_text(schema, json.dumps(entry_schema(), indent=2) + "\n")
    except OSError as err:  # models/ is a file, a folder is read-only, ...
        if written:  # nothing is left half done: the entry goes if its schema could not be written
            with contextlib.suppress(OSError):
                path.unlink()
        where = path if not written else schema
        why = err.strerror or str(err)
        raise CatalogError([Problem(str(where), 1, "(file)", f"cannot write: {why}")]) from None
    return path


def read_name(name: str, site: bool = False) -> str:
    """Return `name` as the catalog reads an entry's name (or with `site`, the site's title):
    trimmed, on one line; raise ValueError saying why it cannot be one (as the schema says)."""
    from pydantic import TypeAdapter, ValidationError

    from rivals.schema import Name, SiteName
    from rivals.yamldoc import NONCHARACTER

    found = NONCHARACTER.search(name)
    if found:  # (the catalog's files refuse them as they are read: see yamldoc)
        raise ValueError(f"noncharacter U+{ord(found.group()):04X} is not allowed")
    try:
        return str(TypeAdapter(SiteName if site else Name).validate_python(name))
    except ValidationError as err:
        error = err.errors()[0]
        if error["type"] == "value_error":
            message = str(error["ctx"]["error"])
        else:
            message = "must not be empty" if error["type"] == "string_too_short" else error["msg"]
        raise ValueError(message) from None


def entry_schema() -> dict[str, Any]:
    """Return the JSON Schema of a model file, derived from the pydantic Entry record."""
    from pydantic import TypeAdapter  # not imported by a build that validates nothing

    from rivals.schema import Defaults, Entry

    schema = TypeAdapter(Entry).json_schema()
    # An optional field left empty (`links:`) is as if not given (see schema.Defaults): an
    # editor must not underline it.
    empty_allowed = {model.__name__ for model in Defaults.__subclasses__()}
    for record in [schema, *schema.get("$defs", {}).values()]:
        if record.get("title") in empty_allowed:
            fields, required = record.get("properties", {}), set(record.get("required", ()))
            for key, field in fields.items():
                if key not in required and not _takes_null(field):
                    fields[key] = {"anyOf": [field, {"type": "null"}]}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Rivals catalog entry (models/<slug>.yaml)"
    return schema


def _takes_null(field: dict[str, Any]) -> bool:
    return field.get("type") == "null" or any(_takes_null(f) for f in field.get("anyOf", ()))


# The values a starter leaves to fill in, as it writes them: only those (and a bare TODO) are
# placeholders, since a published entry may be named "TODO Tree" or be about TODO lists.
STARTER_TODOS = frozenset(re.findall(r"^ *(?:- )?\w+: (TODO\b[^#\n]*?) *(?:#.*)?$", STARTER, re.M))


def is_placeholder(value: object) -> bool:
    """True for the starter's TODO values (text, ids and URLs alike), and a bare TODO."""
    if not isinstance(value, str):
        return False
    return value.strip() == PLACEHOLDER or value in STARTER_TODOS or "://TODO.example." in value


# `rivals init`: the smallest catalog that checks, with each file saying what goes in it.
CATALOG_STARTER = {
    "site.yaml": """\
# The site's settings; every key is optional.
title: {title}
# tagline: What this site compares, in one line.
# base_url: https://example.org/   # where the site is served from: canonical links, sitemap
ranking:
  weights: {{adoption: 0.35, quality: 0.35, ecosystem: 0.2, match_graph: 0.1}}   # sum to 1
pairs: all                          # all | same-category | matched
""",
    "categories.yaml": """\
# Categories group entries: id -> name (and an optional markdown description). Every entry
# lists one or more of these ids. Rename this one to fit your catalog.
general:
  name: General
  description: Everything the catalog compares.
""",
    "capabilities.yaml": """\
# The shared list of capabilities: id -> name (optional: group, description). Two entries
# that list the same id are compared side by side on it. Rename this one to fit.
question-answering:
  name: Question answering
  description: Answers questions asked in plain language.
""",
    "benchmarks.yaml": """\
# Optional: benchmarks that entries report results for (signals.benchmarks), e.g.
# mmlu:
#   name: MMLU
#   higher_is_better: true
#   unit: "%"
""",
    "matches.yaml": """\
# Optional: how often two entries were compared (the match graph), e.g.
# - pair: [first-slug, second-slug]
#   count: 3
""",
}


def create_catalog(data: Path, title: str) -> list[Path]:
    """Write a new catalog into `data` (which must not exist or be empty) and return the files
    written; raise CatalogError if `data` holds anything."""

    def refuse(why: str) -> CatalogError:
        return CatalogError([Problem(str(data), 1, "(folder)", why)])

    try:
        if os.path.lexists(data) and not data.is_dir():
            raise refuse("is not a folder: rivals init makes a new catalog only")
        if data.is_dir() and any(data.iterdir()):
            raise refuse("folder is not empty: rivals init makes a new catalog only")
        written = []
        for name, text in CATALOG_STARTER.items():
            path = data / name
            write_new_file(path, text.format(title=json.dumps(title, ensure_ascii=False)))
            written.append(path)
        (data / "models").mkdir()
        written.append(data / "models")
    except OSError as err:  # a folder this user may not write in, a path that cannot be
        raise refuse(f"cannot write: {err.strerror or err}") from None
    return written
