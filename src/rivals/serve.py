"""`rivals serve`: build, serve on loopback, rebuild on change, reload the open page.

The site is built exactly as `rivals build` builds it (into a temporary folder); the server adds
a small reload script to HTML responses as they go out, so no built file differs from a real
build. When the catalog turns invalid, the last good site stays served and every HTML page gets
an overlay listing the problems; fixing the file recovers without a restart.
"""

from __future__ import annotations

import html
import os
import queue
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from rivals.build import BuildError, BuildInterrupted, BuildOptions, build_site
from rivals.extras import ascii_url
from rivals.forked import interrupts_ignored, sigterm_as_interrupt
from rivals.problems import CatalogError, counted
from rivals.starter import SCHEMA_FILE

EVENTS = "/_rivals/events"
RELOAD_SCRIPT = f"""<script>
(function () {{
  var source = new EventSource("{EVENTS}");
  source.addEventListener("reload", function () {{ location.reload(); }});
}})();
</script>"""
OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:99999;overflow:auto;background:#1c1d1f;color:#ffb4b4;"
    "font:15px/1.5 ui-monospace,monospace;padding:2rem;white-space:pre-wrap"
)


@dataclass
class LiveState:
    """What the server shows: the problems of the last build, and who is listening for reloads."""

    problems: list[str] = field(default_factory=list)
    headline: str = ""  # what the overlay says above the problems
    built: bool = False  # a build has succeeded since serve started
    base_path: str = ""  # the path of the site's base URL ("/docs"): served there too
    notes: list[str] = field(default_factory=list)  # the last build's notes, said once
    listeners: list[queue.Queue[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def announce(self, event: str) -> None:
        """Send an event to every open page."""
        with self.lock:
            for listener in self.listeners:
                listener.put(event)


def overlay(problems: list[str], headline: str = "The catalog has problems") -> str:
    """Return the HTML of the error overlay: `headline`, then the problems."""
    lines = "\n".join(html.escape(p) for p in problems)
    return (
        f'<div id="rivals-problems" role="alert" style="{OVERLAY_STYLE}">'
        f"<strong>{html.escape(headline)}</strong>\n\n{lines}</div>"
    )


class _Handler(SimpleHTTPRequestHandler):
    state: LiveState
    _caching_said = False

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal shows builds, not every request

    def do_GET(self) -> None:
        if self.path.split("?")[0] == EVENTS:
            self._events()
            return
        self._fresh()
        if not self._page():
            super().do_GET()

    def do_HEAD(self) -> None:
        self._fresh()
        if not self._page(head=True):
            super().do_HEAD()

    def _fresh(self) -> None:
        """Never answer "not modified": two saves within a second have one Last-Modified."""
        del self.headers["If-Modified-Since"]

    def send_response(self, code: int, message: str | None = None) -> None:
        self._caching_said = False
        super().send_response(code, message)

    def send_header(self, keyword: str, value: str) -> None:
        self._caching_said = self._caching_said or keyword.lower() == "cache-control"
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        if not self._caching_said:  # assets too: they change as you edit
            self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def translate_path(self, path: str) -> str:
        """Serve the site under the path of its base URL as well as at /: the 404 page links
        to /docs/assets/style.css when base_url is https://example.org/docs/, as it must
        where the site is hosted. (The address itself is kept: a redirect to a folder's
        address with a slash stays under /docs/.)"""
        found = super().translate_path(path)
        # As a browser asks for it: "/dökü" as "/d%C3%B6k%C3%BC" (what ascii_url gives).
        prefix = ascii_url(self.state.base_path)
        bare = path.split("?", 1)[0].split("#", 1)[0]
        under = prefix and (bare == prefix or bare.startswith(prefix + "/"))
        if under and not os.path.exists(found):
            return super().translate_path(path[len(prefix) :] or "/")
        return found

    def _page(self, head: bool = False) -> bool:
        """Answer for an HTML page, the problems or a missing file; False to leave it to the
        stock handler (assets)."""
        bare = self.path.split("?", 1)[0].split("#", 1)[0]
        page = None
        try:
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                if not bare.endswith("/"):
                    return False  # the stock handler redirects to the address with a slash
                path = path / "index.html"
            elif bare.endswith("/"):  # a file's name with a slash: no such page on a host
                raise FileNotFoundError(path)
            if path.suffix == ".html" and path.is_file():
                page = path.read_bytes()
            elif path.exists():
                return False
        except OSError:  # that, or a name too long for the file system: no such page
            pass
        if page is not None:
            self._html(page, head=head)
            return True
        if not self.state.built:  # no good build yet: a page to show the problems on
            page = b"<!doctype html><html lang='en'><title>Problems</title><body></body></html>"
            self._html(page, head=head)
            return True
        missing = Path(self.directory) / "404.html"
        if missing.is_file():  # the site's own page, as a host serves it
            self._html(missing.read_bytes(), 404, head)
            return True
        return False

    def _html(self, body: bytes, status: int = 200, head: bool = False) -> None:
        extra = RELOAD_SCRIPT
        if self.state.problems:
            extra = overlay(self.state.problems, self.state.headline) + extra
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:  # an asset of the user's in another encoding: as it is
            text, extra = "", ""
        cut = text.rfind("</body>")
        text = text[:cut] + extra + text[cut:] if cut >= 0 else text + extra
        data = text.encode("utf-8") if text else body
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if text else "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self) -> None:
        listener: queue.Queue[str] = queue.Queue()
        with self.state.lock:
            self.state.listeners.append(listener)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b": connected\n\n")
            self.wfile.flush()
            while True:
                try:
                    event = listener.get(timeout=15)
                    self.wfile.write(f"event: {event}\ndata: {event}\n\n".encode())
                except queue.Empty:
                    self.wfile.write(b": ping\n\n")
                self.wfile.flush()
        except OSError:
            pass  # the page went away
        finally:
            with self.state.lock:
                self.state.listeners.remove(listener)


class _Server(ThreadingHTTPServer):
    """The server of `rivals serve`: IPv6 for an IPv6 address; a page that went away while it
    loaded (a reload, a click) is no error to print."""

    daemon_threads = True

    def __init__(self, host: str, port: int, handler: Callable[..., object]) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), handler)  # type: ignore[arg-type]

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        print(f"error: answering a request: {type(error).__name__}: {error}", file=sys.stderr)


class Report(str):
    """A line of what serve says that belongs on standard output (a build's report, as
    `rivals build` prints it); every other line (problems, notes, errors) is for standard
    error."""

    __slots__ = ()


def serve(
    options: BuildOptions,
    host: str,
    port: int,
    say: Callable[[str], None],
    changes: Callable[[list[Path]], Iterator[object]] | None = None,
) -> None:
    """Build, then serve and rebuild on every change until interrupted (Ctrl-C or SIGTERM),
    telling `say` what happens (a Report for standard output, else for standard error).

    The address is taken first: a port in use or a host that does not resolve fails at once
    with a BuildError, before a build. The temporary output folder is removed on the way out.
    """
    state = LiveState()
    handler = type("Handler", (_Handler,), {"state": state})
    try:
        workdir = Path(tempfile.mkdtemp(prefix="rivals-serve-"))
    except OSError as err:  # no temporary folder this user can write in (TMPDIR says where)
        raise BuildError(f"cannot make a temporary folder to serve from: {err}") from None
    out = workdir / "site"
    try:
        try:
            server = _Server(host, port, partial(handler, directory=str(out)))
        except OSError as err:  # in use, not ours to bind, or not an address (gaierror)
            reason = err.strerror or str(err)
            raise BuildError(f"cannot serve on {host}:{port}: {reason}", untouched=False) from None
        with sigterm_as_interrupt():
            _serve(server, options, out, state, host, say, changes)
    finally:
        # A second Ctrl-C while the temporary site goes: it goes all the same.
        with interrupts_ignored():
            shutil.rmtree(workdir, ignore_errors=True)


def _serve(
    server: ThreadingHTTPServer,
    options: BuildOptions,
    out: Path,
    state: LiveState,
    host: str,
    say: Callable[[str], None],
    changes: Callable[[list[Path]], Iterator[object]] | None,
) -> None:
    options = BuildOptions(
        options.data, options.templates, out, options.base_url, options.jobs, False, False
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    watched = [p for p in (options.data, options.templates) if p is not None]
    batches: queue.Queue[object] = queue.Queue()
    stop = threading.Event()
    failed: list[BaseException] = []
    first: _Seen | None = None  # the files as the first build reads them (see below)

    def watch() -> None:
        try:
            for batch in changes(watched) if changes else _watch(watched, stop, first):
                batches.put(batch)
        except Exception as err:  # the system's watch limit, say: serve cannot go on
            failed.append(err)
        finally:
            batches.put(None)  # no more

    watcher = threading.Thread(target=watch, daemon=True)
    try:
        # The files as the first build will read them, looked at before it (and in this
        # thread: the build forks its workers only when it is the one thread): what changes
        # while it runs is found when the watch is up, and built next.
        first = None if changes else _look(watched)
        _rebuild(options, state, say)
        if not out.exists():
            out.mkdir(parents=True)
        watcher.start()
        thread.start()
        shown = f"[{host}]" if ":" in host else host
        address = f"http://{shown}:{server.server_address[1]}/"
        say(f"Serving {options.data}/ on {address} (Ctrl-C to stop)")
        again = BuildOptions(
            options.data, options.templates, out, options.base_url, 1, False, False
        )
        while _next_changes(batches):
            _rebuild(again, state, say)
            state.announce("reload")
        if failed:
            message = f"cannot watch {options.data}/ for changes: {failed[0]}"
            raise BuildError(message, untouched=False)
    except KeyboardInterrupt:
        pass
    finally:
        with interrupts_ignored():
            stop.set()
            if thread.is_alive():  # shutdown() waits for serve_forever, which must have started
                server.shutdown()
            server.server_close()
            if watcher.is_alive():
                watcher.join(timeout=2)
            say("Stopped.")


def _next_changes(batches: queue.Queue[object]) -> bool:
    """Wait for changes; take every batch that came meanwhile (one rebuild for them all).
    Return False when the watcher stopped."""
    while True:
        try:  # (a timeout, so that Ctrl-C is seen at once wherever Python runs)
            batch = batches.get(timeout=0.5)
            break
        except queue.Empty:
            continue
    if batch is None:
        return False
    while not batches.empty():
        if batches.get_nowait() is None:
            batches.put(None)  # the end, after this rebuild
            break
    return True


def _rebuild(options: BuildOptions, state: LiveState, say: Callable[[str], None]) -> None:
    """Build once; on failure keep serving the last good site and show the problems."""
    shown = "showing the last good build" if state.built else "no build has succeeded yet"
    try:
        report = build_site(options)
    except CatalogError as err:
        state.problems = [str(p) for p in err.problems]
        state.headline = f"The catalog has problems; {shown}."
        for line in state.problems:
            say(line)
        say(f"{counted(len(state.problems), 'problem', 'problems')} found; {shown}.")
        for line in err.notes:  # the drafts' TODOs, as check prints them
            say(line)
        return
    except BuildInterrupted:  # Ctrl-C while pages moved in: held until they had, now obeyed
        raise KeyboardInterrupt from None
    except BuildError as err:
        state.problems = [str(err)]
        state.headline = f"The build failed; {shown}."
        say(f"error: {err}")
        return
    except Exception as err:  # a bug, or a case not turned into a BuildError: keep serving
        state.problems = [f"{type(err).__name__}: {err}"]
        state.headline = f"The build failed; {shown}."
        say(f"error: the build failed: {type(err).__name__}: {err}")
        return
    state.problems = []
    state.built = True
    state.base_path = report.base_path
    pages, rendered = f"{report.pages:,} pages", f"{report.rendered:,} rendered"
    say(Report(f"Built {pages} ({rendered}) in {report.seconds:.2f} s."))
    for line in report.drafts:
        say(f"note: {line}")
    if report.notes != state.notes:  # (not the same notes after every save)
        state.notes = report.notes
        for line in report.notes:
            say(f"note: {line}")


class _Seen(NamedTuple):
    """What the watched paths held at one time: the paths there, the folders to watch (and of
    them, those whose replacement is looked for at every tick: the paths and links), what tells
    each folder from another of its name, and the files a change to is relevant."""

    present: tuple[Path, ...]
    folders: tuple[Path, ...]
    anchors: tuple[Path, ...]
    identities: tuple[tuple[int, int] | None, ...]
    files: dict[str, tuple[int, int, int]]


def _look(paths: list[Path]) -> _Seen:
    """Return what `paths` hold now (see _Seen)."""
    present = tuple(p for p in paths if p.exists())
    folders = tuple(_folders(list(present)))
    anchors = tuple(f for f in folders if f in present or f.is_symlink())
    return _Seen(present, folders, anchors, _identities(folders), _files(folders))


def _relevant(change: Any, path: str) -> bool:
    """True for a change a rebuild should follow: the watcher's default filter (no editor
    swap files, no .git), and not the editor schema `rivals new` writes beside models/."""
    return bool(_default_filter()(change, path)) and os.path.basename(path) != SCHEMA_FILE


@cache
def _default_filter() -> Any:
    from watchfiles import DefaultFilter

    return DefaultFilter()


def _watch(
    paths: list[Path], stop: threading.Event | None = None, seen: _Seen | None = None
) -> Iterator[object]:
    """Yield after each batch of changes to the files under `paths`, until `stop` is set.

    Each folder is watched on its own, found by a walk that never follows a link (a link to
    / inside models/ would have the watcher walk the whole disk, and fail on /proc) and stops
    at WATCH_DEPTH levels and WATCH_FOLDERS folders; a link to a folder is watched itself, one
    level deep, as the catalog's loader reads it. A folder made or removed inside, or one
    replaced by another of its name (`mv data data.old`, then a new `data/`), means a new
    walk. A path that does not exist yet (a catalog or templates folder made after serve
    started, or deleted and made again) is looked for every half second; when it appears,
    that is a change, and it is watched from then on (its parent is not watched instead: it
    may be a whole home folder).

    Between two watches nothing is watched: what the paths hold is looked at (`seen`; for the
    first watch, by the caller before its first build) before a batch that ends a watch is
    handed on, and again once the new watch is up; if the two differ, that is a change too.
    """
    from watchfiles import watch

    stop = stop or threading.Event()
    seen = seen or _look(paths)
    pending: object = None
    while not stop.is_set():
        if pending is not None:
            yield pending
            pending = None
        if not seen.present:
            if stop.wait(0.5):
                return
            now = _look(paths)
            if now.present:
                seen, pending = now, {"appeared"}
            continue
        up = False
        anchored = tuple(seen.identities[seen.folders.index(a)] for a in seen.anchors)
        for changes in watch(
            *seen.folders,
            watch_filter=_relevant,
            debounce=200,
            step=50,
            stop_event=stop,
            rust_timeout=500,
            yield_on_timeout=True,
            recursive=False,
            ignore_permission_denied=True,
        ):
            if not up:  # the watch is up: what changed before it was is a change too
                up = True
                now = _look(paths)
                if now != seen:
                    walk = now[:4] != seen[:4]  # another folder to watch
                    found = _what_changed(seen, now, "changed before the watch was up")
                    seen, pending = now, changes or found
                    if walk:
                        break
                    yield pending
                    pending = None
                    continue
            moved = any(p.exists() != (p in seen.present) for p in paths)
            moved = moved or _identities(seen.anchors) != anchored
            if moved or (changes and _layout_changed(seen)):
                # A path appeared or went, was replaced, or a folder was made or removed
                # inside: look again before handing the change on, then watch anew.
                now = _look(paths)
                seen, pending = now, changes or _what_changed(seen, now, "replaced")
                break
            if changes:
                yield changes
        else:
            return


def _layout_changed(seen: _Seen) -> bool:
    """True when the folders to watch are no longer those of `seen` (one made, removed or put
    in place of another)."""
    folders = _folders(list(seen.present))
    return tuple(folders) != seen.folders or _identities(folders) != seen.identities


def _what_changed(before: _Seen, now: _Seen, otherwise: str) -> set[str]:
    """Say what a change that no watch reported was: a path appeared, went, or `otherwise`."""
    if len(now.present) != len(before.present):
        return {"appeared"} if len(now.present) > len(before.present) else {"gone"}
    return {otherwise}


def _identities(folders: Iterable[Path]) -> tuple[tuple[int, int] | None, ...]:
    """Return what tells each folder from another of its name (device and inode)."""
    found: list[tuple[int, int] | None] = []
    for folder in folders:
        try:
            info = os.stat(folder)
            found.append((info.st_dev, info.st_ino))
        except OSError:
            found.append(None)
    return tuple(found)


def _files(folders: Iterable[Path]) -> dict[str, tuple[int, int, int]]:
    """Return the files of `folders` that a change to is relevant, with their inode, size and
    modification time."""
    from watchfiles import Change

    found: dict[str, tuple[int, int, int]] = {}
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_file() and _relevant(Change.modified, entry.path):
                        info = entry.stat()
                        found[entry.path] = (info.st_ino, info.st_size, info.st_mtime_ns)
        except OSError:
            continue
    return found


WATCH_DEPTH = 4  # levels below a watched folder (templates/compare/..., models/_archive/...)
WATCH_FOLDERS = 2000  # at most, in all (a catalog kept at the root of a large project)


def _folders(paths: list[Path]) -> list[Path]:
    """Return `paths` and the folders below them to watch, in walk order, without following
    links or entering hidden folders (.git) and folders the watcher's filter ignores."""
    from watchfiles import DefaultFilter

    ignored = set(DefaultFilter.ignore_dirs)
    found: list[Path] = []
    for top in paths:
        base = len(top.parts)
        for root, dirs, _ in os.walk(top):  # os.walk does not follow links to folders
            here = Path(root)
            found.append(here)
            if len(found) >= WATCH_FOLDERS:
                return found
            if len(here.parts) - base >= WATCH_DEPTH:
                dirs[:] = []
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ignored)
            # A link to a folder is watched itself (one level deep, as the loader reads it),
            # never walked.
            linked = [d for d in dirs if os.path.islink(here / d)]
            found += [here / d for d in linked][: WATCH_FOLDERS - len(found)]
            dirs[:] = [d for d in dirs if d not in linked]
    return found
