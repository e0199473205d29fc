"""iompolicy: check documents against the IOM Strategy (Council Resolution No. 1150 (XCIII)).

The public API::

    from iompolicy import PolicySet, load_file
    policies = PolicySet.load("policies/")
    report = policies.check(load_file("proposal.yaml"), data=[load_file("member-states.yaml")])
    report.to_dict()

Names are imported on first use, so `import iompolicy` stays cheap for the CLI.

The architecture map (docs/architecture.md draws it). Two inputs meet in the engine::

    policies/*.iom -> language/ -> checked syntax -> evaluation/ (compiled closures) -+
                      (cold path: the result is cached, cache.py)                     |-> engine.py -> Report
    input.yaml/json -> documents/ -> exact, positioned, schema-valid Document --------+      |
                                                                                     run.py, waivers.py
                                                                                     -> render/ | service/ | cli/

- `language/`: policy text to checked syntax: source spans, the Lark parser and grammar, the
  syntax nodes, `build` (parse tree to nodes), the checker with its type lattice (`shapes`)
  and the kinds' schemas read as types (`schemas`), built-in function signatures, unparse.
- `documents/`: bytes to a `Document`: the YAML and JSON readers (exact Decimals, positions,
  limits), problems, YAML 1.1 readings, schema validation and its messages.
- `evaluation/`: the hot path: operator semantics and built-in bodies shared by the
  evaluators, the compiler (closures), `codegen` (a kind's clauses as one generated Python
  function, once a run has many documents), the explaining tracer, the per-clause loop
  (`clause`), and headroom (the change that would make a failed clause pass).
- `traceability/`: the Strategy's provisions, which clauses encode them, the clause catalogue.
- `analysis/`: `iompolicy analyze`, the SMT encoding (optional z3 extra).
- `render/`, `service/`, `cli/`: the products: one module per report format, the HTTP
  service (core without a web framework, then HTTP), the commands.
- At the top: `engine` (PolicySet: load and check), `loading` (the named stages of loading:
  locate, read, parse, check, cite, constants; then the engine compiles), `run` (one audit:
  inputs, data, waivers), `parallel`, `report` (results), `waivers`, `selection`, `notices`,
  `dated` (dated register facts), `impact` (two rule sets over one corpus), `config`, `cache`,
  `resources`, `policytests`, `schema_docs`; and the foundation that every layer may use and
  that imports nothing of the package but `records` (the records' base): `values`, `limits`,
  `patterns`, `report`, `stopping`, `records`.

Layers: `language` imports only the foundation; `documents` also `language`; `evaluation`
also `documents`; nothing in a stage folder imports the engine, the run or a product, and a
module uses only another's public names (tests/test_architecture.py holds these lines).

Record styles: the modules a command-line check loads (`cli/check`, the engine,
`evaluation/`, `documents/`, `report`, `run`, `render/`) are written for a fast start
(benchmarks/run.py, target 4): records are `records.Record` subclasses (tuples with named
fields, built like any class) or plain classes, not dataclasses, `typing.NamedTuple` or
`collections.namedtuple` (each compiles source text at import: 0.15 ms to milliseconds a
class); dispatch is by table or by `on_<class>` methods, not `functools.singledispatch`;
regular expressions are compiled on first use (`patterns.LazyPattern`); and what only some
runs need is imported where it is used. The cold path (`language/`, once cached), the service,
`traceability/` and `analysis/` may use dataclasses. A test
(`test_a_check_from_a_warm_cache_imports_nothing_heavy`) holds the line.
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
        # the import statement's function: importlib itself would cost 0.35 ms of a cold start
        value = getattr(__import__(f"{__name__}.{_EXPORTS[name]}", fromlist=[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'iompolicy' has no attribute {name!r}")


def __dir__():
    return __all__
