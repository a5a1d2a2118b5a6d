"""Counts that fuzz tests keep (cases run, by kind), printed at the end of the run."""

from __future__ import annotations

from collections import Counter

TALLIES: dict[str, Counter[str]] = {}


def tally(name: str) -> Counter[str]:
    """The counter printed under ``name`` in the summary of the run."""
    return TALLIES.setdefault(name, Counter())
