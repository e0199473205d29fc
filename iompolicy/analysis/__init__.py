"""`iompolicy analyze`: what can be proven about the policies with an SMT solver (z3).

Needs the optional extra `analysis` (`pip install -e ".[analysis]"`, the `z3-solver`
package); the rest of iompolicy never imports this package. docs/analysis.md says
what is proven, within which bounds and assumptions, and what is not.
"""

from __future__ import annotations


class AnalysisUnavailable(Exception):
    """z3 is not installed."""


def require_z3() -> None:
    """Raise AnalysisUnavailable, with what to install, when z3 is missing."""
    try:
        import z3  # noqa: F401
    except ImportError:
        raise AnalysisUnavailable('`iompolicy analyze` needs the z3 solver: pip install "iompolicy[analysis]" '
                                  '(or pip install z3-solver)') from None
