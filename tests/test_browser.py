"""The default site in a real browser: Debian's Chromium, driven by Playwright.

The site is built once and served over http on 127.0.0.1. Each key page is opened on a phone
(360 px), on a desktop (1280 px) and once in dark mode, and must load with no console error,
no failed or outside request, no horizontal scrolling of the page, and no serious or critical
accessibility violation found by axe-core (the copy of axe.min.js that a Python package of the
test extras ships).

Without /usr/bin/chromium the tests skip, except in CI (CI set), where they fail.
With RIVALS_SCREENSHOTS=1 they also save docs/home-page.png and docs/pair-page.png.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from test_links import default_site

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import (  # noqa: E402
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = package_files("axe_playwright_python") / "axe.min.js"
BLOCKING = {"serious", "critical"}
HEIGHT = 800

PAGES = {
    "home": "",
    "model": "models/llava/",
    "model-code": "models/diffusers/",  # a long identifier in code, which must wrap
    "methodology": "methodology/",
    "pair": "compare/llava-vs-stable-diffusion-3-5-large/",
    "category": "categories/vision-language/",
}
OPTIONAL = {"category", "model-code"}  # checked only when the build has it
VIEWS = {
    "phone": {"width": 360, "color_scheme": "light"},
    "desktop": {"width": 1280, "color_scheme": "light"},
    "phone-dark": {"width": 360, "color_scheme": "dark"},
}
SCREENSHOTS = {("desktop", "home"): "home-page.png", ("desktop", "pair"): "pair-page.png"}

# The outermost elements that reach past the right edge of the window and are not inside a
# scrolling or clipping box (those widen the page), for the overflow message.
WIDE_ELEMENTS = """() => {
  const width = document.documentElement.clientWidth, out = [], found = [];
  const clipped = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (found.some(f => f.contains(el))) continue;
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && !clipped(el)) {
      found.push(el);
      let name = el.tagName.toLowerCase();
      if (el.id) name += '#' + el.id;
      if (el.classList.length) name += '.' + [...el.classList].join('.');
      out.push(`${name} (right edge at ${Math.round(box.right)} px)`);
      if (out.length >= 10) break;
    }
  }
  return out;
}"""

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: n.failureSummary})),
  }));
}"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return default_site(tmp_path_factory)


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """Serve the built site on a free port of 127.0.0.1; yield its root address."""
    with serving(site) as address:
        yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: CI must install it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("kind", PAGES)
def test_page_in_the_browser(
    browser: Browser, server: str, site: Path, view: str, kind: str
) -> None:
    path = PAGES[kind]
    if kind in OPTIONAL and not (site / path / "index.html").exists():
        pytest.skip(f"this build has no /{path}")
    settings = VIEWS[view]
    context = browser.new_context(
        viewport={"width": settings["width"], "height": HEIGHT},
        color_scheme=settings["color_scheme"],
    )
    try:
        page = context.new_page()
        problems = watch(page, server)
        response = page.goto(server + path, wait_until="load")
        assert response is not None and response.ok, f"/{path}: {response and response.status}"

        if os.environ.get("RIVALS_SCREENSHOTS") == "1" and (view, kind) in SCREENSHOTS:
            (REPO / "docs").mkdir(exist_ok=True)
            page.screenshot(path=REPO / "docs" / SCREENSHOTS[view, kind])

        failures = layout_and_axe(page)
        # Read last, so that anything the page fetched after "load" had time to fail too.
        failures[:0] = problems
        assert not failures, f"/{path} at {view}:\n" + "\n".join(failures)
    finally:
        context.close()


def layout_and_axe(page: Page) -> list[str]:
    """Return what is wrong with the page as it is now: sideways scrolling, axe violations."""
    failures = []
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    if scroll_width > inner_width:
        failures.append(
            f"scrolls sideways: {scroll_width} px wide in a {inner_width} px window; "
            f"too wide: {page.evaluate(WIDE_ELEMENTS)}"
        )
    page.add_script_tag(path=AXE_JS)
    violations = [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]
    if violations:
        failures.append("axe found:\n" + describe(violations))
    return failures


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve `folder` on a free port of 127.0.0.1; yield its root address."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


# Valid but unusual entries: a name in one 120-letter piece, a long URL in running text, a
# long identifier in code, names written right to left.
LONG_NAME = "Supercalifragilistic" * 6
STRESS = {
    "long-word": f"""name: {LONG_NAME}
kind: library
summary: See https://example.org/{"a-very-long-path-segment" * 6} for `{"Pipeline" * 8}`.
categories: [vision]
pricing:
  plan: free
  note: "[{"w" * 90}](https://example.org/{"x" * 90})"
capabilities:
  - id: visual-question-answering
    summary: Calls `StableDiffusionInstructPix2PixPipelineWithAVeryLongName` on each image.
sources:
  - url: https://example.org/{"source" * 20}
    title: https://example.org/{"source" * 20}
""",
    "long-spaces": f"""name: {("Spaced Name " * 10).strip()}
kind: model
summary: A name of 119 characters in words, which headers wrap.
categories: [vision]
pricing:
  plan: paid
capabilities:
  - id: visual-question-answering
    summary: Answers questions.
""",
    "hebrew": """name: מודל חזותי
kind: model
summary: מודל שעונה על שאלות על תמונות, עם 7B פרמטרים.
categories: [vision]
pricing:
  plan: paid
  note: חינם לשימוש אישי 100%.
capabilities:
  - id: visual-question-answering
    summary: עונה על שאלות 123 ABC.
    unique: רץ על מחשב נייד עם 8GB.
    vs_alternatives: מהיר יותר מ-LLaVA.
""",
    "arabic": """name: نموذج الرؤية
kind: model
summary: نموذج يجيب عن الأسئلة.
categories: [vision]
pricing:
  plan: paid
capabilities:
  - id: visual-question-answering
    summary: يجيب عن الأسئلة.
""",
}


@pytest.fixture(scope="module")
def stress_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rivals.build import BuildOptions, build_site

    root = tmp_path_factory.mktemp("stress")
    data = root / "data"
    shutil.copytree(REPO / "tests" / "fixtures" / "valid", data)
    for slug, text in STRESS.items():
        (data / "models" / f"{slug}.yaml").write_text(text)
    with (data / "benchmarks.yaml").open("a") as benchmarks:  # words a table cannot wrap
        benchmarks.write(f"long-unit:\n  name: {'Benchmark' * 8}\n  higher_is_better: true\n")
        benchmarks.write(f"  unit: {'unit' * 50}\n")
    with (data / "capabilities.yaml").open("a") as capabilities:
        capabilities.write(f"long-text:\n  name: {'Capability' * 8}\n  group: {'g' * 60}\n")
        capabilities.write(f"  description: See https://example.org/{'segment' * 30}.\n")
    long_word = data / "models" / "long-word.yaml"
    long_word.write_text(long_word.read_text() + "signals:\n  benchmarks: {long-unit: 5}\n")
    out = root / "site"
    build_site(BuildOptions(data=data, templates=REPO / "templates", out=out, search=False))
    with serving(out) as address:
        yield address


@pytest.mark.parametrize("view", ["phone", "desktop", "phone-dark"])
def test_long_words_and_right_to_left_names_fit_the_page(
    browser: Browser, stress_site: str, view: str
) -> None:
    settings = VIEWS[view]
    context = browser.new_context(
        viewport={"width": settings["width"], "height": HEIGHT},
        color_scheme=settings["color_scheme"],
    )
    failures = []
    try:
        for path in (
            "",
            "models/long-word/",
            "models/hebrew/",
            "compare/alpha-vision-vs-long-word/",
            "compare/arabic-vs-hebrew/",
            "categories/vision/",
            "search/",
        ):
            page = context.new_page()
            problems = watch(page, stress_site)
            page.goto(stress_site + path, wait_until="load")
            found = problems + layout_and_axe(page)
            failures += [f"/{path}: {line}" for line in found]
            page.close()
    finally:
        context.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("width", [360, 1280])
def test_tables_of_catalog_texts_fit_their_box(
    browser: Browser, stress_site: str, width: int
) -> None:
    """A 200-letter benchmark unit, a URL in a capability's description or a benchmark's name
    in a model page's breakdown made their table thousands of pixels wide, even on a desktop."""
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    try:
        for path in ("methodology/", "models/long-word/"):
            page.goto(stress_site + path, wait_until="load")
            widths = page.evaluate(
                """() => [...document.querySelectorAll('table.texts, table.breakdown')]
                .map(t => [t.className, t.scrollWidth, t.parentElement.clientWidth])"""
            )
            assert len(widths) == (2 if path == "methodology/" else 1), widths
            assert all(table <= box + 1 for _, table, box in widths), (path, widths)
    finally:
        page.close()


def test_right_to_left_texts_are_laid_out_right_to_left(browser: Browser, stress_site: str) -> None:
    """A summary, a capability's texts and a pricing note in Hebrew take their direction from
    their own text: in a left-to-right paragraph, "7B" was split to both ends of the line."""
    page = browser.new_page()
    try:
        for path in ("models/hebrew/", "compare/arabic-vs-hebrew/"):
            page.goto(stress_site + path, wait_until="load")
            found = page.evaluate(
                """() => [...document.querySelectorAll('main [dir], main bdi')]
                .filter(e => /^[\\u0590-\\u06ff]/.test(e.textContent.trim()))
                .map(e => [e.textContent.trim().slice(0, 12), getComputedStyle(e).direction])"""
            )
            texts = [text for text, _ in found]
            assert any(t.startswith("מודל שעונה") for t in texts) or "compare" in path, texts
            assert any(t.startswith("רץ על") for t in texts) and any(
                t.startswith("עונה על") for t in texts
            ), texts
            assert [t for t, direction in found if direction != "rtl"] == [], (path, found)
    finally:
        page.close()


def watch(page: Page, server: str) -> list[str]:
    """Record console errors, uncaught exceptions and failed or outside requests of `page`."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text} ({message.location.get('url')})")

    def on_request(request: Request) -> None:
        if not request.url.startswith(server) and not request.url.startswith("data:"):
            problems.append(f"outside request: {request.url}")

    def on_failed(request: Request) -> None:
        problems.append(f"request failed: {request.url} ({request.failure})")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    # Nothing leaves the machine: requests elsewhere are recorded above and aborted here.
    page.route(lambda url: not url.startswith(server), lambda route: route.abort())
    return problems


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['url']}>")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html']}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)


def test_search_finds_an_entry(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Build a site with its Pagefind index, type a name into the search box, follow the hit;
    the box and its results pass axe in light and dark mode."""
    from rivals.build import BuildOptions, build_site

    out = tmp_path_factory.mktemp("searchable") / "site"
    data = REPO / "tests" / "fixtures" / "valid"
    build_site(BuildOptions(data=data, templates=REPO / "templates", out=out, search=True))
    errors: list[str] = []
    with serving(out) as address:
        for scheme in ("light", "dark"):
            context = browser.new_context(
                viewport={"width": 1280, "height": HEIGHT}, color_scheme=scheme
            )
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(address, wait_until="networkidle")
            box = page.locator(".pagefind-ui__search-input")
            box.fill("gamma")
            hit = page.locator(".pagefind-ui__result-link").first
            hit.wait_for(timeout=10_000)
            assert "Gamma Studio" in hit.inner_text()
            assert layout_and_axe(page) == [], scheme
            hit.click()
            page.wait_for_url("**/models/gamma-studio/**")
            assert page.locator("h1").inner_text() == "Gamma Studio"
            context.close()
    assert errors == []


@pytest.mark.parametrize(
    "path",
    [
        "compare/alpha-vision-vs-long-spaces/",
        "compare/alpha-vision-vs-long-word/",  # a name of 120 letters in one piece
        "compare/arabic-vs-hebrew/",
    ],
)
@pytest.mark.parametrize("width", [360, 481, 768, 1280])
def test_the_tables_of_a_pair_page_fit_its_width(
    browser: Browser, stress_site: str, path: str, width: int
) -> None:
    """No sideways scroll inside them either: a link scrolled half out of view kept the focus
    (WCAG 2.4.12), and a long name in a header made a table thousands of pixels wide (above
    a phone's width too: 1,193 pixels in 447 at 481)."""
    page = browser.new_page(viewport={"width": width, "height": HEIGHT})
    try:
        page.goto(stress_site + path, wait_until="load")
        widths = page.eval_on_selector_all(
            ".scroll", "boxes => boxes.map(b => [b.scrollWidth, b.clientWidth])"
        )
        assert len(widths) == 2 and all(wide <= room for wide, room in widths), widths
    finally:
        page.close()


def test_printing_a_pair_page_prints_every_capability(browser: Browser, server: str) -> None:
    page = browser.new_page(color_scheme="dark")  # printed on white paper all the same
    try:
        page.goto(server + "compare/comfyui-vs-sdnext/", wait_until="load")
        more = "details.more li"
        assert page.locator(more).count() > 0  # "+N more capabilities", closed
        shown = "els => els.map(e => e.checkVisibility())"
        assert not any(page.eval_on_selector_all(more, shown))
        page.emulate_media(media="print")
        assert all(page.eval_on_selector_all(more, shown))
        colours = page.evaluate(
            """() => [document.body, document.querySelector('.scroll'),
                      document.querySelector('.verdict'), document.querySelector('td .note')]
                     .map(el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor])"""
        )
        (text, paper), (_, panel), (_, verdict), (note, _) = colours
        assert paper == "rgb(255, 255, 255)" and panel == "rgb(255, 255, 255)", colours
        assert text == "rgb(0, 0, 0)" and verdict == "rgb(241, 241, 241)", colours
        assert note == "rgb(68, 68, 68)", colours  # not the dark scheme's light grey
        # Browsers leave out backgrounds on paper: the bars are kept, the verdict gets a border.
        kept = "els => els.map(e => getComputedStyle(e).printColorAdjust)"
        assert set(page.eval_on_selector_all(".bar, .bar > span", kept)) == {"exact"}
        assert (
            page.eval_on_selector(".verdict", "e => getComputedStyle(e).borderTopStyle") == "solid"
        )
    finally:
        page.close()


def test_printing_the_home_page_leaves_out_the_search_box_and_fits_the_leaderboard(
    browser: Browser, server: str
) -> None:
    page = browser.new_page(viewport={"width": 718, "height": HEIGHT})  # an A4 page's text
    try:
        page.goto(server, wait_until="load")
        page.emulate_media(media="print")
        assert not page.locator(".search").is_visible()
        width = page.eval_on_selector("table.board", "t => [t.scrollWidth, 718]")
        assert width[0] <= width[1], width  # its cells wrap on paper (946 px did not fit)
    finally:
        page.close()
