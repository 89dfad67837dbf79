"""Start the `rivals` command (`run`; also `python -m rivals`)."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def run() -> None:
    """Import the command and run it. A Ctrl-C while it imports (the first tenth of a second)
    ends it as one later does, with "Aborted!" and exit code 1, not a traceback."""
    quiet = signal.getsignal(signal.SIGINT) is signal.default_int_handler  # not ignored
    if quiet:
        signal.signal(signal.SIGINT, _aborted)
    from rivals.cli import main

    if quiet:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    main()


def _aborted(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("\nAborted!\n")  # click's words for a Ctrl-C
    sys.stderr.flush()
    os._exit(1)


if __name__ == "__main__":
    run()
