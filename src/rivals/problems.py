"""Problems found in a catalog, and the one place that formats them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the catalog, printed as `path:line: field: message`."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return _one_line(f"{self.path}:{self.line}: {self.field}: {self.message}")


class CatalogError(Exception):
    """The catalog is invalid; carries every problem found and the exit code 1."""

    exit_code = 1

    def __init__(self, problems: Iterable[Problem], notes: Iterable[str] = ()) -> None:
        self.problems = sorted(set(problems), key=_problem_order)
        self.notes = list(notes)  # lines to show after the problems (the drafts' TODOs)
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem_order(problem: Problem) -> tuple[str, int, str, str]:
    return (problem.path, problem.line, problem.field, problem.message)


# How many did-you-mean hints one validation gives: each compares the word with every
# choice, and a hostile file of 20,000 unknown slugs took 48 s for hints nobody reads.
SUGGESTIONS: Final = 200
_suggestions_left = [SUGGESTIONS]


def suggest_again() -> None:
    """Give did_you_mean its full budget of hints again (at the start of a validation)."""
    _suggestions_left[0] = SUGGESTIONS


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ` (did you mean 'x'?)` for the closest choice, or an empty string; also an
    empty string once SUGGESTIONS hints were given since suggest_again.

    A choice that `word` abbreviates comes first (`visual-qa` or `vqa` for
    `visual-question-answering`), then the closest spelling.
    """
    if _suggestions_left[0] <= 0:
        return ""
    _suggestions_left[0] -= 1
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close is not None else ""


def closest(word: str, choices: Iterable[str]) -> str | None:
    """Return the choice that did_you_mean suggests for `word`, or None (ids and field names
    are lowercase: `LLaVA` is close to `llava`)."""
    word = word.lower()
    ordered = sorted(choices)
    parts = _WORDS.split(word)
    short = [choice for choice in ordered if _abbreviates(parts, _WORDS.split(choice))]
    close = difflib.get_close_matches(word, short, n=1, cutoff=0) if short else []
    close = close or difflib.get_close_matches(word, ordered, n=1, cutoff=0.6)
    return close[0] if close else None


_WORDS = re.compile(r"[-_]")  # what joins the words of ids (hyphens) and fields (underscores)


def _abbreviates(parts: list[str], words: list[str]) -> bool:
    """True when `parts` spell out all of `words` in order, each part being a word, the start
    of one (two letters or more), or the initials of two words or more (`qa`)."""
    if not parts or not words:
        return not parts and not words
    part, rest = parts[0], parts[1:]
    if len(part) >= 2 and words[0].startswith(part) and _abbreviates(rest, words[1:]):
        return True
    count = len(part)
    return (
        2 <= count <= len(words)
        and all(w[:1] == c for w, c in zip(words, part, strict=False))
        and _abbreviates(rest, words[count:])
    )


def counted(number: int, one: str, many: str) -> str:
    """Return `1 entry` or `3 entries` (for messages and page texts)."""
    return f"{number} {one if number == 1 else many}"


def field_path(loc: Iterable[str | int]) -> str:
    """Return a location such as ('capabilities', 2, 'id') as `capabilities[2].id`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = clip(str(part))  # a key may be as long as the file
            out += f".{part}" if out else part
    return out or "(document)"


def clip(text: str, limit: int = 60) -> str:
    """Return `text`, cut to `limit` characters with "…" if it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str) -> str:
    """Escape control characters so that a hostile value can't break the one-line format."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
