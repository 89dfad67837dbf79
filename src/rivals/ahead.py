"""What a build starts on the second core before it imports the rest of rivals.

Importing Jinja and pydantic takes a seventh of a second, with one core idle. `rivals build`
(and `rivals check`) use that time: a child parses the catalog (load.ParseAhead) unless the
previous build's parsed catalog is there, and another checks the previous build's files
(write.CheckAhead). This module imports neither Jinja nor pydantic.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from rivals.load import ParseAhead
from rivals.write import CheckAhead, memo_path


class Ahead(NamedTuple):
    """The children working ahead of a build (None: not started, as it would not pay)."""

    parse: ParseAhead | None
    check: CheckAhead | None


@contextmanager
def working_ahead(data: Path, out: Path | None = None, clean: bool = False) -> Iterator[Ahead]:
    """Start the children for the catalog `data` and the output folder `out` (none for a
    check, which writes nothing); stop those whose work nobody took when the block ends.

    The block runs without the garbage collector (see paused_gc).
    """
    last = None if clean else out  # the output of a build whose leftovers this one uses
    memo = None if last is None else memo_path(last)
    ahead = Ahead(ParseAhead.start(data, memo), None if last is None else CheckAhead.start(last))
    try:
        with paused_gc():
            yield ahead
    finally:
        for child in ahead:
            if child is not None:
                child.close()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block without the cyclic garbage collector.

    Importing, loading, validating and planning make hundreds of thousands of objects and few
    cycles; the collector would walk the growing heap again and again (50 ms of a 200-entry
    build). Rendering runs with it: see build.Renderer.render_all.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
