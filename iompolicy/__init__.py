"""iompolicy: check documents against the IOM Strategy (Council Resolution No. 1150 (XCIII)).

The public API::

    from iompolicy import PolicySet, load_file
    policies = PolicySet.load("policies/")
    report = policies.check(load_file("proposal.yaml"), data=[load_file("member-states.yaml")])
    report.to_dict()
"""

from .documents import Document, DocumentError, Problem, load_file, load_text
from .engine import PolicySet
from .report import ClauseResult, Location, Outcome, Report
from .schema import SchemaSet
from .source import Diagnostic, PolicyError

__version__ = "0.1.0"

__all__ = [
    "ClauseResult",
    "Diagnostic",
    "Document",
    "DocumentError",
    "Location",
    "Outcome",
    "PolicyError",
    "PolicySet",
    "Problem",
    "Report",
    "SchemaSet",
    "__version__",
    "load_file",
    "load_text",
]
