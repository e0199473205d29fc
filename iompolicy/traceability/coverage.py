"""Traceability: every provision of the Strategy, and the clauses that encode it.

A policy folder may hold `provisions.yaml`: the provisions of the text its policies
encode, each with its text and, when no clause encodes it, the reason. When it is
there, every clause must cite one of those provisions and quote its text.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..language import syntax as n
from .provisions import PROVISIONS_FILE, Provision, Provisions, Sentence
from ..language.source import Diagnostic


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
                problems.append(Diagnostic("unknown_citation", f"clause `{clause.id}` cites `{clause.cite}`, "
                                           f"which is not a provision of {PROVISIONS_FILE}", clause.span))
                continue
            quote = normalise(clause.quote)
            texts = all_text if provision.document_check else [normalise(provision.text)]
            if not any(quote in text for text in texts):
                problems.append(Diagnostic("quote_not_found", f"the quote of clause `{clause.id}` is not in the text "
                                           f"of {clause.cite}", clause.span,
                                           "copy the sentence word for word from the provision"))
    return problems


@dataclass(frozen=True)
class TraceRow:
    """One sentence of a provision, the clauses that encode it (those that quote it), or the
    reason none does. `number` is the sentence's place in its provision (0: the provision is
    one sentence), `of` how many sentences the provision has."""

    provision: Provision
    clauses: tuple[tuple[str, str, str], ...]  # (clause id, severity, kind)
    sentence: Sentence
    number: int = 0
    of: int = 1

    @property
    def status(self) -> str:
        if self.clauses:
            return "encoded"
        if self.sentence.not_checkable:
            return "not machine-checkable"
        return "out of scope" if self.sentence.out_of_scope else "MISSING"

    @property
    def reason(self) -> str | None:
        return self.sentence.not_checkable or self.sentence.out_of_scope

    @property
    def label(self) -> str:
        """`II`, or `II (2/7)` for the second of seven sentences."""
        return f"{self.provision.cite} ({self.number}/{self.of})" if self.number else self.provision.cite


def trace(files: list[n.PolicyFile], provisions: Provisions) -> list[TraceRow]:
    """One row per sentence of each provision, in the order of the text. A clause encodes
    the sentence its quote is part of (or the sentences its quote spans)."""
    by_cite: dict[str, list[tuple[tuple[str, str, str], str]]] = {}
    for policy_file in files:
        for clause in policy_file.clauses:
            entry = (clause.id, clause.severity, policy_file.header.kind)
            by_cite.setdefault(clause.cite, []).append((entry, normalise(clause.quote)))
    rows = []
    for provision in provisions.items:
        clauses = by_cite.get(provision.cite, [])
        sentences = provision.each_sentence()
        if len(sentences) == 1 or provision.document_check:
            rows.append(TraceRow(provision, tuple(c for c, _ in clauses), sentences[0]))
            continue
        for number, sentence in enumerate(sentences, 1):
            text = normalise(sentence.text)
            quoting = tuple(c for c, quote in clauses if quote in text or text in quote)
            rows.append(TraceRow(provision, quoting, sentence, number, len(sentences)))
    return rows


def coverage(rows: list[TraceRow]) -> tuple[int, int, int, int]:
    """(encoded, not machine-checkable, out of scope, total) over the sentences of the
    Strategy (DOC excluded)."""
    sentences = [r for r in rows if not r.provision.document_check]
    encoded = sum(1 for r in sentences if r.clauses)
    unchecked = sum(1 for r in sentences if not r.clauses and r.sentence.not_checkable)
    outside = sum(1 for r in sentences if not r.clauses and not r.sentence.not_checkable and r.sentence.out_of_scope)
    return encoded, unchecked, outside, len(sentences)


def problems(rows: list[TraceRow]) -> list[str]:
    """Sentences neither encoded nor explained, or both encoded and said not to be."""
    found = []
    for row in rows:
        if row.status == "MISSING":
            found.append(f"{row.label} is neither encoded nor given a reason: {row.sentence.text[:60]}")
        if row.clauses and row.reason:
            found.append(f"{row.label} is encoded by {row.clauses[0][0]} but also given a reason not to be")
    return found


def render_markdown(rows: list[TraceRow], source: str, parameters=(), readers=()) -> str:
    """The traceability document (docs/traceability.md): every sentence of the provisions,
    then the readings named (`parameters`: ParameterInfo; `readers`: the ClauseInfo of each
    clause that reads one)."""
    encoded, unchecked, outside, total = coverage(rows)
    provisions = len({r.provision.cite for r in rows if not r.provision.document_check})
    out = [
        "# Traceability of the IOM Strategy",
        "",
        "<!-- Generated by `iompolicy trace --format markdown`; a test keeps it current. -->",
        "",
        f"Source: {source}.",
        "",
        f"**Coverage:** the {provisions} provisions of the Strategy (the preamble, the five paragraphs of the "
        f"Resolution, the Annex and its footnote) hold {total} sentences. {encoded} are encoded as clauses "
        f"({100 * encoded // total}%); {unchecked} are not machine-checkable and {outside} are out of scope, "
        "each for the reason given (for a sentence out of scope, with what would make it checkable). "
        "A sentence is encoded by the clauses that quote it.",
        "",
        "| Provision | Status | Clauses (severity, document kind) or reason | Text |",
        "|---|---|---|---|",
    ]
    for row in rows:
        if row.clauses:
            detail = "<br>".join(f"`{cid}` ({severity}, {kind})" for cid, severity, kind in row.clauses)
        else:
            detail = row.reason or "**no clause and no reason**"
        text = row.sentence.text.replace("|", "\\|")
        out.append(f"| {row.label} | {row.status} | {detail.replace('|', chr(92) + '|')} | {text} |")
    return "\n".join(out + _readings(parameters, readers)) + "\n"


def _readings(parameters, readers) -> list[str]:
    """Where the text admits more than one reading: each parameter, its readings, and what
    the clauses that read it say about them (their notes)."""
    if not parameters:
        return []
    out = ["", "## Readings named", "",
           "Where the text admits more than one reading, a policy declares a parameter with its readings "
           "and a default. Another reading is chosen in the settings (`readings:`) or with "
           "`--reading NAME=VALUE`, never by editing a policy, and every report says which reading judged.", ""]
    for parameter in parameters:
        cite = f" ({parameter.cite})" if parameter.cite else ""
        out += [f"### `{parameter.name}`{cite}", "", f"{parameter.title}.", "", "| Reading | Meaning |", "|---|---|"]
        for value in parameter.allowed:
            default = " (default)" if value == parameter.default else ""
            out.append(f"| `{value}`{default} | {parameter.descriptions[value].replace('|', chr(92) + '|')} |")
        out.append("")
    out += ["Clauses that read them:", ""]
    for info in readers:
        names = ", ".join(f"`{name}`" for name, _, _ in info.readings)
        out += [f"- `{info.clause}` ({info.cite}) reads {names}. {info.note or ''}".rstrip()]
    return out
