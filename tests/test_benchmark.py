"""benchmarks/bench.py runs its scenarios and reports what they did (not how fast: timing goals
belong to the benchmark itself, never to a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

# Stands in for the shared catalog generator: copies the test catalog, whatever --models says.
GENERATOR = """
import shutil, sys
out = sys.argv[sys.argv.index("--out") + 1]
shutil.copytree({source!r}, out)
"""


def test_bench_runs_every_scenario_and_a_no_op_changes_nothing(tmp_path: Path) -> None:
    gen = tmp_path / "gen.py"
    gen.write_text(GENERATOR.format(source=str(REPO / "tests/fixtures/valid")))
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/bench.py"), "--models", "4", "--gen", str(gen)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    first_table = run.stdout.split("pages/s by stage")[0].splitlines()
    rows = {line.split()[0]: line.split() for line in first_table if line[:1].isalpha()}
    for name in ("full", "no-op", "edit", "clean", "full+search", "no-op+search", "edit+search"):
        assert name in rows, run.stdout
    pages = rows["full"][1]
    assert all(rows[name][1] == pages for name in ("no-op", "edit", "clean"))
    assert rows["no-op"][2] == "0" and rows["no-op"][-1] == "0"  # rendered, mtimes changed
    assert rows["edit"][2] != "0" and rows["edit"][-1] != "0"
    search = run.stdout.splitlines()[2].split().index("search")  # "search index" column
    assert float(rows["full+search"][search]) > 0 and float(rows["full"][search]) == 0
    assert "edit / full:" in run.stdout and "alpha-vision.yaml" in run.stdout
