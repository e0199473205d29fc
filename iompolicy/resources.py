"""Where the shipped policies (with their tests), schemas and examples are, in a checkout
or an installed package."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    # An installed wheel carries them inside the package; a checkout (and an
    # editable install) keeps them at the top of the repository.
    for candidate in (_PACKAGE / "_shipped" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped {name} folder is missing from this installation")


def shipped_policies() -> Path:
    """The folder of the policies that encode the IOM Strategy."""
    return _find("policies")


def shipped_examples() -> Path:
    """The folder of the examples: proposals, budgets, calendars and the synthetic registers."""
    return _find("examples")


def shipped_schemas() -> Path:
    """The folder of the JSON Schemas of every document kind."""
    return _find("schemas")
