"""Traceability: every provision of the Strategy, and the clauses that encode it.

A policy folder may hold `provisions.yaml`: the provisions of the text its policies
encode, each with its text and, when no clause encodes it, the reason. When it is
there, every clause must cite one of those provisions and quote its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from pathlib import Path

import yaml

from . import nodes as n
from .source import Diagnostic

PROVISIONS_FILE = "provisions.yaml"


class Provision(NamedTuple):
    """One citable provision: its citation, text, and why it is not encoded (if it is not)."""

    cite: str
    text: str
    not_checkable: str | None = None
    document_check: bool = False


class Provisions(NamedTuple):
    """The provisions of one source text, in order."""

    source: str
    items: tuple[Provision, ...]

    def get(self, cite: str) -> Provision | None:
        return next((p for p in self.items if p.cite == cite), None)


class ProvisionsError(Exception):
    """A provisions file that cannot be used."""


def load_provisions(folder: str | Path) -> Provisions | None:
    """The folder's provisions.yaml, or None if it has none."""
    path = Path(folder) / PROVISIONS_FILE
    if not path.is_file():
        return None
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = tuple(
            Provision(str(p["cite"]), str(p["text"]), p.get("not_checkable"), bool(p.get("document_check", False)))
            for p in content["provisions"]
        )
        return Provisions(str(content.get("source", "")), items)
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise ProvisionsError(f"{path}: not a usable provisions file: {error}") from None


def normalise(text: str) -> str:
    """Text compared for quoting: one space between words, straight apostrophes and quotes."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


def check_citations(files: list[n.PolicyFile], provisions: Provisions) -> list[Diagnostic]:
    """Every clause cites a known provision and quotes it (a DOC clause may quote any)."""
    problems = []
    all_text = [normalise(p.text) for p in provisions.items]
    for policy_file in files:
        for clause in policy_file.clauses:
            provision = provisions.get(clause.cite)
            if provision is None:
                problems.append(Diagnostic("unknown-citation", f"clause `{clause.id}` cites `{clause.cite}`, "
                                           f"which is not a provision of {PROVISIONS_FILE}", clause.span))
                continue
            quote = normalise(clause.quote)
            texts = all_text if provision.document_check else [normalise(provision.text)]
            if not any(quote in text for text in texts):
                problems.append(Diagnostic("quote-not-found", f"the quote of clause `{clause.id}` is not in the text "
                                           f"of {clause.cite}", clause.span,
                                           "copy the sentence word for word from the provision"))
    return problems


@dataclass(frozen=True)
class TraceRow:
    """A provision, the clauses that encode it, or the reason none does."""

    provision: Provision
    clauses: tuple[tuple[str, str, str], ...]  # (clause id, severity, kind)

    @property
    def status(self) -> str:
        if self.clauses:
            return "encoded"
        return "not machine-checkable" if self.provision.not_checkable else "MISSING"


def trace(files: list[n.PolicyFile], provisions: Provisions) -> list[TraceRow]:
    """One row per provision, in the order of the text."""
    by_cite: dict[str, list[tuple[str, str, str]]] = {}
    for policy_file in files:
        for clause in policy_file.clauses:
            by_cite.setdefault(clause.cite, []).append((clause.id, clause.severity, policy_file.header.kind))
    return [TraceRow(p, tuple(by_cite.get(p.cite, ()))) for p in provisions.items]


def coverage(rows: list[TraceRow]) -> tuple[int, int, int]:
    """(encoded, not machine-checkable, total) over the Strategy's provisions (DOC excluded)."""
    provisions = [r for r in rows if not r.provision.document_check]
    encoded = sum(1 for r in provisions if r.clauses)
    return encoded, sum(1 for r in provisions if not r.clauses and r.provision.not_checkable), len(provisions)


def problems(rows: list[TraceRow]) -> list[str]:
    """Provisions neither encoded nor explained, or both encoded and called not checkable."""
    found = []
    for row in rows:
        if row.status == "MISSING":
            found.append(f"provision {row.provision.cite} is neither encoded nor given a reason")
        if row.clauses and row.provision.not_checkable:
            found.append(f"provision {row.provision.cite} is encoded by {row.clauses[0][0]} but also said to be "
                         "not machine-checkable")
    return found


def render_markdown(rows: list[TraceRow], source: str) -> str:
    """The traceability document (docs/traceability.md)."""
    encoded, unchecked, total = coverage(rows)
    out = [
        "# Traceability of the IOM Strategy",
        "",
        "<!-- Generated by `iompolicy trace --format markdown`; a test keeps it current. -->",
        "",
        f"Source: {source}.",
        "",
        f"**Coverage:** {encoded} of {total} provisions are encoded as clauses ({100 * encoded // total}%); "
        f"the other {unchecked} are not machine-checkable, each for the reason given.",
        "",
        "| Provision | Status | Clauses (severity, document kind) or reason | Text |",
        "|---|---|---|---|",
    ]
    for row in rows:
        if row.clauses:
            detail = "<br>".join(f"`{cid}` ({severity}, {kind})" for cid, severity, kind in row.clauses)
        else:
            detail = row.provision.not_checkable or "**no clause and no reason**"
        text = row.provision.text.replace("|", "\\|")
        out.append(f"| {row.provision.cite} | {row.status} | {detail} | {text} |")
    return "\n".join(out) + "\n"
