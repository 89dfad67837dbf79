"""Time rivals builds of a synthetic catalog, stage by stage, in four scenarios.

    python benchmarks/bench.py --models 200 [--rounds 1] [--seed 1] [--jobs N] [--keep]
                               [--no-search]

It writes a catalog of N entries with the shared benchmark's generator
(`shared/bench/gen_catalog.py`, next to this repository; `--gen PATH` to point
elsewhere) into a temporary folder under /dev/shm, then builds it four times:

  full    first build into an empty output folder, no cache beside it
  no-op   the same build again with nothing changed (checks that no file's mtime moved)
  edit    one capability summary of one entry file changed, then a rebuild
  clean   a `--clean` build: every page rendered again, nothing reused

These four leave out the search index (`--no-search`), as the comparison with Hugo does. Then,
unless `--no-search`, three builds with it, into an output folder of their own: "full+search"
(first build), "no-op+search" and "edit+search" (the same entry edited again); their "search
index" column is the time Pagefind took (0 when no file it reads changed).

With `--rounds N`, the first three are done N times (each round starts from no output and no
cache, and edits the entry once more), and the table shows each scenario's run of median wall
time.

Each build runs in its own Python process, so that "peak MB" is that build's
own peak resident set size: the largest of the build process and its forked
render workers (ru_maxrss of RUSAGE_SELF and RUSAGE_CHILDREN). "wall" is the
whole process (interpreter start-up and imports included); the stage columns
are what rivals itself reports. The second table gives the site's page count
divided by each stage's seconds. `--keep` keeps the work folder.

The builds use the built-in theme and the `rivals` that the running interpreter
imports: run it with the interpreter of the environment you want to measure.
rivals keys its incremental rebuilds on a hash of its own source files, so an
editable install whose source changes during the run re-renders every page.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STAGES = ("load+validate", "rank", "plan", "render+write", "commit", "search index")
GEN = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_catalog.py"


def child(data: str, out: str, jobs: int, clean: bool, search: bool) -> None:
    """Run one build in this process, as `rivals build` runs it, and print its report as JSON."""
    from rivals.ahead import working_ahead

    with working_ahead(Path(data), Path(out), clean) as ahead:
        from rivals.build import BuildOptions, build_site

        options = BuildOptions(
            data=Path(data),
            templates=None,
            out=Path(out),
            search=search,
            jobs=jobs or None,
            clean=clean,
            ahead=ahead.parse,
            check=ahead.check,
            leave=[],  # freed by nobody, as the CLI's (see rivals.cli._LEFT)
        )
        report = build_site(options)
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    fields = ("pages", "rendered", "written", "unchanged", "deleted", "stages")
    print(json.dumps({k: getattr(report, k) for k in fields} | {"peak_kb": peak_kb}))
    sys.stdout.flush()
    os._exit(0)  # as `rivals` leaves (see cli.main): without freeing the build's objects


def run_build(
    data: Path, out: Path, jobs: int, clean: bool = False, search: bool = False
) -> dict[str, Any]:
    """Build in a fresh interpreter; return its report, wall time and peak RSS."""
    cmd = [sys.executable, __file__, "--child", str(data), str(out), str(jobs)]
    cmd += (["--clean"] if clean else []) + (["--search"] if search else [])
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"build failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return report | {"wall": wall}


def mtimes(folder: Path) -> dict[str, int]:
    """Return path -> st_mtime_ns for every file under `folder`."""
    found = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            found[path] = os.stat(path).st_mtime_ns
    return found


def changed(before: dict[str, int], after: dict[str, int]) -> int:
    """Count files added, removed or with a new mtime."""
    return sum(before.get(p) != t for p, t in after.items()) + len(before.keys() - after.keys())


def edit_one_entry(models: Path) -> str:
    """Append " (edited)" to the first capability summary of the first entry file."""
    path = sorted(models.glob("*.yaml"))[0]
    lines = path.read_text("utf-8").splitlines(keepends=True)
    start = lines.index("capabilities:\n")
    i = next(i for i in range(start, len(lines)) if lines[i].startswith("    summary: "))
    lines[i] = lines[i].rstrip("\n") + " (edited)\n"
    path.write_text("".join(lines), "utf-8")
    return path.name


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the run of median wall time (the later of the two middle ones, if even)."""
    return sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]


def table(rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Print the timing table and the pages-per-second table."""
    head = ["scenario", "pages", "rendered", "written", *STAGES, "total", "wall", "pages/s"]
    head += ["peak MB", "mtimes changed"]
    lines = [head]
    for name, r in rows:
        total = sum(r["stages"].values())
        lines.append(
            [name, f"{r['pages']:,}", f"{r['rendered']:,}", f"{r['written']:,}"]
            + [f"{r['stages'].get(s, 0):.3f}" for s in STAGES]
            + [f"{total:.3f}", f"{r['wall']:.3f}", f"{r['pages'] / r['wall']:,.0f}"]
            + [f"{r['peak_kb'] / 1024:.1f}", str(r.get("mtimes", "-"))]
        )
    rate = [["pages/s by stage", *STAGES]]
    for name, r in rows:
        cells = [r["pages"] / r["stages"][s] if r["stages"].get(s) else 0 for s in STAGES]
        rate.append([name] + [f"{c:,.0f}" for c in cells])
    for block in (lines, rate):
        widths = [max(len(row[i]) for row in block) for i in range(len(block[0]))]
        for row in block:
            print(
                "  ".join(
                    c.ljust(w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--rounds", type=int, default=1, help="full, no-op and edit builds this many times each"
    )
    parser.add_argument("--gen", type=Path, default=GEN, help="path of gen_catalog.py")
    parser.add_argument(
        "--no-search", action="store_true", help="leave out the builds with the search index"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--clean", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--search", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], args.child[1], int(args.child[2]), args.clean, args.search)

    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    work = Path(tempfile.mkdtemp(prefix="rivals-bench-", dir=shm))
    data, out = work / "catalog", work / "site"
    try:
        gen = [sys.executable, str(args.gen), "--models", str(args.models)]
        made = subprocess.run(
            [*gen, "--seed", str(args.seed), "--out", str(data)], capture_output=True, text=True
        )
        if made.returncode:
            sys.exit(f"gen_catalog.py failed:\n{made.stderr[-3000:]}")
        print(
            f"# {args.models} entries, seed {args.seed}, jobs {args.jobs or os.cpu_count()}, "
            f"nproc {os.cpu_count()}, work {work}\n"
        )
        runs: dict[str, list[dict[str, Any]]] = {"full": [], "no-op": [], "edit": []}
        for index in range(max(1, args.rounds)):
            if index:  # a full build again: no output, no cache
                shutil.rmtree(out)
                shutil.rmtree(work / ".rivals-cache")
            runs["full"].append(run_build(data, out, args.jobs))
            before = mtimes(out)
            noop = run_build(data, out, args.jobs)
            after = mtimes(out)
            runs["no-op"].append(noop | {"mtimes": changed(before, after)})
            edited = edit_one_entry(data / "models")
            edit = run_build(data, out, args.jobs)
            runs["edit"].append(edit | {"mtimes": changed(after, mtimes(out))})
        rows = [(name, median(found)) for name, found in runs.items()]
        before = mtimes(out)
        clean = run_build(data, out, args.jobs, clean=True)
        rows.append(("clean", clean | {"mtimes": changed(before, mtimes(out))}))
        full, edit = rows[0][1], rows[2][1]
        if not args.no_search:
            searched = work / "site-search"
            rows.append(("full+search", run_build(data, searched, args.jobs, search=True)))
            before = mtimes(searched)
            noop = run_build(data, searched, args.jobs, search=True)
            after = mtimes(searched)
            rows.append(("no-op+search", noop | {"mtimes": changed(before, after)}))
            edit_one_entry(data / "models")
            again = run_build(data, searched, args.jobs, search=True)
            rows.append(("edit+search", again | {"mtimes": changed(after, mtimes(searched))}))
        table(rows)
        stage_share = sum(edit["stages"].values()) / sum(full["stages"].values())
        if args.rounds > 1:
            for name, found in runs.items():
                walls = " ".join(f"{r['wall']:.3f}" for r in found)
                print(f"# {name} wall by round: {walls} (the table shows the median run)")
        print(
            f"# edit: one capability summary in models/{edited}; edit / full: "
            f"{edit['wall'] / full['wall']:.1%} of wall time, {stage_share:.1%} of stage time"
        )
    finally:
        if args.keep:
            print(f"# kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
