"""Rivals: a static site generator for "X vs Y" comparison sites."""

from __future__ import annotations

__version__ = "0.1.0"
