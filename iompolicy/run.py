"""One audit run: find the inputs, load them, split data from documents, check.

The CLI, the test harness and the service all go through `Run`; only the CLI
prints or exits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .documents import Document, DocumentError, Problem, load_file, load_text
from .engine import PolicySet
from .report import Report

SUFFIXES = (".yaml", ".yml", ".json")


def discover(paths: list[str]) -> tuple[list[str], list[Problem]]:
    """Files named, and files found under folders (sorted), with `-` for stdin."""
    found: list[str] = []
    problems: list[Problem] = []
    for raw in paths:
        if raw == "-":
            found.append("-")
            continue
        path = Path(raw)
        if path.is_dir():
            found.extend(str(p) for p in sorted(path.rglob("*")) if p.suffix in SUFFIXES and p.is_file()
                         and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file():
            found.append(str(path))
        else:
            problems.append(Problem(raw, "no such file or folder"))
    return list(dict.fromkeys(found)), problems


def read_input(name: str, stdin_text: Callable[[], str] | None = None) -> Document:
    if name == "-":
        text = stdin_text() if stdin_text else ""
        fmt = "json" if text.lstrip().startswith("{") else "yaml"
        return load_text(text, "<stdin>", fmt)
    return load_file(name)


@dataclass
class Run:
    """The documents to check and the reference data found for them."""

    policies: PolicySet
    documents: list[Document] = field(default_factory=list)
    data: dict[str, object] = field(default_factory=dict)
    data_sources: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add_data_file(self, name: str) -> None:
        """A `--data` file: must exist and be a reference-data kind."""
        try:
            document = load_file(name)
            kind = self.policies.validator.validate(document)
        except DocumentError as error:
            self.problems.extend(error.problems)
            return
        if not kind.is_data:
            self.problems.append(Problem(name, f"`{kind.kind}` is not reference data",
                                         hint="reference data kinds: " + ", ".join(self.policies.schemas.data_kinds())))
            return
        self.use_data(kind.kind, document)

    def use_data(self, kind: str, document: Document) -> None:
        if kind in self.data_sources:
            self.problems.append(Problem(document.name, f"reference data `{kind}` is also given by {self.data_sources[kind]}"))
            return
        self.data[kind] = document.value
        self.data_sources[kind] = document.name

    def add_inputs(self, names: list[str], stdin_text: Callable[[], str] | None = None) -> None:
        """Load each input; reference data among them is used as data, the rest is checked."""
        for name in names:
            try:
                document = read_input(name, stdin_text)
                kind = self.policies.validator.validate(document)
            except DocumentError as error:
                self.problems.extend(error.problems)
                continue
            if kind.is_data:
                self.use_data(kind.kind, document)
            else:
                self.documents.append(document)

    def reports(self, as_of: dt.date | None = None, select=None) -> Iterator[Report]:
        """Each document's report, in input order (schema validation already done)."""
        for document in self.documents:
            yield self.policies.check(document, data=self.data, as_of=as_of, validate=False, select=select)
