"""Work in a forked child beside this process: the result comes back pickled through a pipe.

Used to parse a catalog (load.py), to check the previous build's files (write.py) and to
compute what every render worker needs (build.py) on the second core while this process does
something else.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any


def can_fork() -> bool:
    """True when a second process can run beside this one: fork, two cores for it, and no
    other thread in this one (`rivals serve` has its server's), as a forked child would
    inherit only this thread and whatever locks the others held, perhaps never released."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 and threading.active_count() == 1


class Child:
    """A forked child working for this process: its result is taken once, or it is stopped."""

    def __init__(self, pid: int, read: int, ask: int = -1) -> None:
        self.pid, self.read, self.ask = pid, read, ask

    @classmethod
    def fork(cls, work: Callable[[], object]) -> Child:
        """Run `work` in a forked child that sends its result back pickled through a pipe."""
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
        return cls(pid, read)

    @classmethod
    def fork_hurried(cls, work: Callable[[Callable[[], bool]], object]) -> Child:
        """Fork a child for work that can end early with what it has: `work` is given a
        function that says whether this process has asked for the result (see result)."""
        asking, ask = os.pipe()
        os.set_blocking(asking, False)

        def asked() -> bool:
            try:
                return bool(os.read(asking, 1))
            except BlockingIOError:
                return False

        child = cls.fork(lambda: work(asked))
        os.close(asking)
        child.ask = ask
        return child

    def result(self) -> Any:
        """Wait for the child and return its result: None if it failed, or after the first
        call. A child of fork_hurried is asked for what it has first."""
        if self.read < 0:
            return None
        read, self.read = self.read, -1
        if self.ask >= 0:
            ask, self.ask = self.ask, -1
            hurry(ask)
        with os.fdopen(read, "rb") as reader:
            data = reader.read()
        _, status = os.waitpid(self.pid, 0)
        return pickle.loads(data) if status == 0 and data else None

    def close(self) -> None:
        """Stop the child if its result was not taken (the work it does is not wanted)."""
        if self.read < 0:
            return
        read, self.read = self.read, -1
        if self.ask >= 0:
            ask, self.ask = self.ask, -1
            os.close(ask)
        os.close(read)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def hurry(ask: int) -> None:
    """Ask a child of Child.fork_hurried for its result now, through the pipe end `ask`."""
    try:
        os.write(ask, b"!")
    except OSError:
        pass  # the child has finished and gone
    finally:
        os.close(ask)


def _as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _handled(handlers: Mapping[signal.Signals, Any]) -> Iterator[None]:
    """Set `handlers` (signal -> handler) for the block, then put back what was there; only in
    the main thread, where Python can set handlers (elsewhere signals act as usual)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (kill, a service manager, a CI timeout) and SIGHUP (the terminal closed;
    not when nohup ignores it) as Ctrl-C in the block, so that what a KeyboardInterrupt
    cleans up (a build's staging folder, its render workers, the server of `rivals serve` and
    its temporary site) is cleaned up; only in the main thread, where Python can."""
    handlers = {signal.SIGTERM: _as_interrupt}
    if signal.getsignal(signal.SIGHUP) == signal.SIG_DFL:
        handlers[signal.SIGHUP] = _as_interrupt
    with _handled(handlers):
        yield


@contextlib.contextmanager
def interrupts_held() -> Iterator[list[int]]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back until the block is done; yield the list of those
    that came.

    For a step that must not stop half-way (moving a build's pages into --out): the caller
    looks at the list once the block is done. Only in the main thread, where Python can set
    handlers; elsewhere the list stays empty and signals act as usual.
    """
    came: list[int] = []

    def hold(signum: int, frame: object) -> None:
        came.append(signum)

    held = [signal.SIGINT, signal.SIGTERM]
    if signal.getsignal(signal.SIGHUP) in (signal.SIG_DFL, _as_interrupt):  # (not nohup's)
        held.append(signal.SIGHUP)
    with _handled(dict.fromkeys(held, hold)):
        yield came


def interrupts_ignored() -> contextlib.AbstractContextManager[None]:
    """Ignore Ctrl-C, SIGTERM and SIGHUP in the block (in the main thread, where Python can):
    for clean-up that a second Ctrl-C must not cut short."""
    return _handled(dict.fromkeys((signal.SIGINT, signal.SIGTERM, signal.SIGHUP), signal.SIG_IGN))
