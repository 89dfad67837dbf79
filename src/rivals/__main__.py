"""Allow `python -m rivals`."""

from __future__ import annotations

from rivals.cli import main

main()
