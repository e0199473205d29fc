"""Evaluation: the hot path, from checked syntax to one outcome per clause.

`operations` holds the semantics of the operators and aggregates that both evaluators share;
`functions` the bodies of the built-in functions; `compiler` turns expressions into
closures (the fast evaluator); `explain` re-evaluates a failed or undecided clause step by
step to say why; `clause` runs one clause (window, guards, requirement) and builds its result.
"""
