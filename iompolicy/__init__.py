"""iompolicy: check documents against the IOM Strategy (Council Resolution No. 1150 (XCIII)).

The public API::

    from iompolicy import PolicySet, load_file
    policies = PolicySet.load("policies/")
    report = policies.check(load_file("proposal.yaml"), data=[load_file("member-states.yaml")])
    report.to_dict()

Names are imported on first use, so `import iompolicy` stays cheap for the CLI.

The modules a command-line check loads (the command's own, the engine, the loaders,
the report) are written for a fast start (benchmarks/run.py, target 4): records are
`collections.namedtuple` subclasses or plain classes, not dataclasses or
`typing.NamedTuple` (each costs milliseconds to import and to build); dispatch is by
table, not `functools.singledispatch`; regular expressions are compiled on first use
(`patterns.LazyPattern`); and what only some runs need is imported where it is used.
A test (`test_a_check_from_a_warm_cache_imports_nothing_heavy`) holds the line.
"""

from __future__ import annotations

__version__ = "0.1.0"

_EXPORTS = {
    "ClauseResult": "report",
    "Diagnostic": "language.source",
    "Document": "documents",
    "DocumentError": "documents",
    "Location": "report",
    "Outcome": "report",
    "PolicyError": "language.source",
    "PolicySet": "engine",
    "Problem": "documents",
    "Report": "report",
    "SchemaSet": "language.schemas",
    "load_file": "documents",
    "load_text": "documents",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'iompolicy' has no attribute {name!r}")


def __dir__():
    return __all__
