"""Work in a forked child beside this process: the result comes back pickled through a pipe.

Used to parse a catalog (load.py) and to check the previous build's files (write.py) on the
second core while this process does something else.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from typing import Any


def can_fork() -> bool:
    """True when a second process can run beside this one (fork, and two cores for it)."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2


def fork_work(work: Callable[[], object]) -> tuple[int, int]:
    """Run `work` in a forked child that sends its result back pickled through a pipe.

    Return the child's pid and the pipe's read end, for receive or stop.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send the result and leave without cleanup
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(pickle.dumps(work(), pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def fork_hurried(work: Callable[[Callable[[], bool]], object]) -> tuple[int, int, int]:
    """fork_work for work that can end early with what it has: `work` is given a function
    that says whether this process has asked for the result (see hurry).

    Return the child's pid, the read end of its result and the write end for hurry.
    """
    asking, ask = os.pipe()
    os.set_blocking(asking, False)

    def asked() -> bool:
        try:
            return bool(os.read(asking, 1))
        except BlockingIOError:
            return False

    pid, read = fork_work(lambda: work(asked))
    os.close(asking)
    return pid, read, ask


def hurry(ask: int) -> None:
    """Ask a child of fork_hurried for its result now (then receive it as usual)."""
    try:
        os.write(ask, b"!")
    except OSError:
        pass  # the child has finished and gone
    finally:
        os.close(ask)


def receive(pid: int, read: int) -> Any:
    """Wait for a child of fork_work; return its result, or None if it failed."""
    with os.fdopen(read, "rb") as reader:
        data = reader.read()
    _, status = os.waitpid(pid, 0)
    return pickle.loads(data) if status == 0 and data else None


def stop(pid: int, read: int) -> None:
    """Stop a child of fork_work whose result is not wanted."""
    os.close(read)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
