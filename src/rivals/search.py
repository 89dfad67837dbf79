"""The search stage: a static Pagefind index of the built site, swapped in whole."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

INDEX = "pagefind"


class SearchError(Exception):
    """Pagefind failed; the pages are built, the previous index (if any) is kept."""

    exit_code = 1


def index_site(out: Path, changed: bool) -> bool:
    """Index `out` with Pagefind into out/pagefind/; return False when nothing needed doing.

    Pagefind writes into a folder beside the site first, so a failure leaves the previous index
    in place; only pages marked `data-pagefind-body` (models, categories) are indexed.
    """
    target = out / INDEX
    if not changed and (target / "pagefind-ui.js").is_file():
        return False
    fresh = out.parent / f".{out.name}.pagefind-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    command = [sys.executable, "-m", "pagefind", "--site", str(out), "--output-path", str(fresh)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as err:
        raise SearchError(f"could not run Pagefind: {err}") from None
    if done.returncode != 0 or not (fresh / "pagefind-ui.js").is_file():
        shutil.rmtree(fresh, ignore_errors=True)
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SearchError(f"Pagefind failed: {detail[0]}")
    old = out.parent / f".{out.name}.pagefind-old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(fresh, target)
    shutil.rmtree(old, ignore_errors=True)
    return True
