""" "Did you mean ...?" hints for names that are close to one that exists."""

from __future__ import annotations

from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `name`, or None when none is close."""
    import difflib  # only on error paths, off every command's start-up

    matches = difflib.get_close_matches(name, list(candidates), n=1)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str], otherwise: str) -> str:
    """A hint naming the closest candidate, or `otherwise` when none is close."""
    match = closest(name, candidates)
    return f"did you mean '{match}'?" if match is not None else otherwise
