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
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rivals.build import BuildError, BuildInterrupted, BuildOptions, build_site
from rivals.forked import sigterm_as_interrupt
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

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal shows builds, not every request

    def do_GET(self) -> None:
        if self.path.split("?")[0] == EVENTS:
            self._events()
            return
        if not self._page():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._page(head=True):
            super().do_HEAD()

    def translate_path(self, path: str) -> str:
        """Serve the site under the path of its base URL as well as at /: the 404 page links
        to /docs/assets/style.css when base_url is https://example.org/docs/, as it must
        where the site is hosted. (The address itself is kept: a redirect to a folder's
        address with a slash stays under /docs/.)"""
        found = super().translate_path(path)
        prefix = self.state.base_path
        bare = path.split("?", 1)[0].split("#", 1)[0]
        under = prefix and (bare == prefix or bare.startswith(prefix + "/"))
        if under and not os.path.exists(found):
            return super().translate_path(path[len(prefix) :] or "/")
        return found

    def _page(self, head: bool = False) -> bool:
        """Answer for an HTML page, the problems or a missing file; False to leave it to the
        stock handler (assets)."""
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return False  # the stock handler redirects to the address with a slash
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            self._html(path.read_bytes(), head=head)
            return True
        if path.exists():
            return False
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
        text = body.decode("utf-8")
        cut = text.rfind("</body>")
        text = text[:cut] + extra + text[cut:] if cut >= 0 else text + extra
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
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


def serve(
    options: BuildOptions,
    host: str,
    port: int,
    say: Callable[[str], None],
    changes: Callable[[list[Path]], Iterator[object]] | None = None,
) -> None:
    """Build, then serve and rebuild on every change until interrupted (Ctrl-C or SIGTERM).

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
            server = ThreadingHTTPServer((host, port), partial(handler, directory=str(out)))
        except OSError as err:  # in use, not ours to bind, or not an address (gaierror)
            reason = err.strerror or str(err)
            raise BuildError(f"cannot serve on {host}:{port}: {reason}", untouched=False) from None
        with sigterm_as_interrupt():
            _serve(server, options, out, state, host, say, changes)
    finally:
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
    try:
        _rebuild(options, state, say)
        if not out.exists():
            out.mkdir(parents=True)
        server.daemon_threads = True
        thread.start()
        address = f"http://{host}:{server.server_address[1]}/"
        say(f"Serving {options.data}/ on {address} (Ctrl-C to stop)")
        watched = [p for p in (options.data, options.templates) if p is not None]
        for _ in (changes or _watch)(watched):
            _rebuild(
                BuildOptions(
                    options.data, options.templates, out, options.base_url, 1, False, False
                ),
                state,
                say,
            )
            state.announce("reload")
    except KeyboardInterrupt:
        pass
    finally:
        if thread.is_alive():  # shutdown() waits for serve_forever, which must have started
            server.shutdown()
        server.server_close()
        say("Stopped.")


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
    say(f"Built {report.pages:,} pages ({report.rendered:,} rendered) in {report.seconds:.2f} s.")
    for line in report.drafts:
        say(f"note: {line}")
    if report.notes != state.notes:  # (not the same notes after every save)
        state.notes = report.notes
        for line in report.notes:
            say(f"note: {line}")


def _watch(paths: list[Path], stop: threading.Event | None = None) -> Iterator[object]:
    """Yield after each batch of changes to the files under `paths`, until `stop` is set.

    Each folder is watched on its own, found by a walk that never follows a link (a link to
    / inside models/ would have the watcher walk the whole disk, and fail on /proc) and stops
    at WATCH_DEPTH levels and WATCH_FOLDERS folders; a folder made or removed inside means a
    new walk. A path that does not exist yet (a catalog or templates folder made after serve
    started, or deleted and made again) is looked for every half second; when it appears,
    that is a change, and it is watched from then on (its parent is not watched instead: it
    may be a whole home folder).
    """
    from watchfiles import Change, DefaultFilter, watch

    default = DefaultFilter()
    stop = stop or threading.Event()

    def relevant(change: Change, path: str) -> bool:
        # The editor schema `rivals new` writes beside models/ is not read by a build.
        return default(change, path) and os.path.basename(path) != SCHEMA_FILE

    seen: set[Path] | None = None
    while not stop.is_set():
        present = [p for p in paths if p.exists()]
        if seen is not None and set(present) != seen:
            # A folder appeared or went between two watches, which the watcher may not have
            # reported (it watched only what was there): a change either way.
            yield {"appeared"} if set(present) - seen else {"gone"}
        seen = set(present)
        if not present:
            if stop.wait(0.5):
                return
            continue
        folders = _folders(present)
        for changes in watch(
            *folders,
            watch_filter=relevant,
            debounce=200,
            step=50,
            stop_event=stop,
            rust_timeout=500,
            yield_on_timeout=True,
            recursive=False,
            ignore_permission_denied=True,
        ):
            if changes:
                yield changes
            if any(p.exists() != (p in seen) for p in paths):
                break  # one appeared or went: watch again (see above)
            if changes and _folders(present) != folders:
                break  # a folder made or removed inside: walk again
        else:
            return


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
            else:
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ignored)
    return found
