"""Domain assumptions a maintainer adds for the analysis (`assumptions.yaml` beside the
policies): conditions in the policy language that every document considered meets,
such as "discretionary income is at most USD 1 billion". They narrow what is proven,
so every report lists them.

    assumptions:
      - kind: facility_budget
        assume: discretionary_income.total_usd <= USD 1_000_000_000
        reason: "No year's Discretionary Income has come near USD 1 billion."
"""

from __future__ import annotations

from pathlib import Path

from ..records import Record

FILE_NAME = "assumptions.yaml"
_KEYS = {"kind", "assume", "reason"}


class AssumptionsError(Exception):
    """An assumptions file that cannot be used; the message is `file: what is wrong`."""


class Assumption(Record, fields="kind text reason clause policy_file"):
    """One assumption: its kind, its condition as written, why it holds, and the
    checked condition (`clause.requires[0]`) within its own one-clause policy file."""

    __slots__ = ()


class Assumptions:
    """The assumptions of one analysis."""

    def __init__(self, items: list[Assumption], path: str | None):
        self.items = items
        self.path = path

    @classmethod
    def load(cls, path: str | Path, schemas) -> "Assumptions":
        """Read and check an assumptions file against the schemas (each condition must
        load as the `require` of a clause of its kind)."""
        from ..documents import DocumentError, load_file
        from ..engine import PolicySet
        from ..language.source import PolicyError

        try:
            content = load_file(path).value
        except DocumentError as error:
            raise AssumptionsError(str(error)) from None
        entries = content.get("assumptions") if isinstance(content, dict) else None
        if not isinstance(entries, list) or set(content) - {"assumptions", "description"}:
            raise AssumptionsError(f"{path}: an assumptions file is a mapping with a list `assumptions`")
        items = []
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or set(entry) != _KEYS or not all(isinstance(v, str) for v in entry.values()):
                raise AssumptionsError(f"{path}: assumption {number} needs exactly `kind`, `assume` and `reason` (text)")
            text = (f'policy analysis.assumption{number} {{ title "assumption" source "{path}" '
                    f'applies to {entry["kind"]} }}\nclause assumption{number} {{ title "assumption" cite "-" '
                    f'quote "-" must require {entry["assume"]} }}\n')
            try:
                policies = PolicySet.from_texts({f"{path}#{number}": text}, schemas)
            except PolicyError as error:
                reasons = "; ".join(d.message for d in error.diagnostics)
                raise AssumptionsError(f"{path}: assumption {number} (`{entry['assume']}`): {reasons}") from None
            policy_file = policies.files[0]
            if len(policy_file.clauses) != 1:
                raise AssumptionsError(f"{path}: assumption {number} (`{entry['assume']}`) is not one condition")
            items.append(Assumption(entry["kind"], entry["assume"], entry["reason"], policy_file.clauses[0], policy_file))
        return cls(items, str(path))

    @classmethod
    def beside(cls, folders, schemas) -> "Assumptions | None":
        """The assumptions files of the policy folders (`assumptions.yaml`), or None."""
        items, paths = [], []
        for folder in folders:
            candidate = Path(folder) / FILE_NAME
            if candidate.is_file():
                loaded = cls.load(candidate, schemas)
                items += loaded.items
                paths.append(loaded.path)
        return cls(items, ", ".join(paths)) if paths else None

    def nodes(self) -> tuple:
        """The syntax of every condition (for the text the analysis must know)."""
        return tuple(a.clause for a in self.items)

    def formulas(self, model, notes: list) -> list:
        """The conditions of the model's kind, as z3 formulas that must hold (a document on
        which a condition is undecided is left out too). One the encoding cannot model is
        left out, which only widens what is proven, and `notes` says so."""
        from .encode import PolicyEncoder
        from .symbolic import Unsupported

        found = []
        for assumption in self.items:
            if assumption.kind == model.kind:
                encoder = PolicyEncoder(model.universe, assumption.policy_file)
                try:
                    true, _ = encoder.condition(assumption.clause.requires[0])
                except Unsupported as reason:
                    notes.append(f"{model.kind}: the assumption `{assumption.text}` is not used (uses {reason})")
                    continue
                found.append(true)
        model.sync()
        return found

    def listed(self) -> list[dict]:
        return [{"kind": a.kind, "assume": a.text, "reason": a.reason, "file": self.path} for a in self.items]
