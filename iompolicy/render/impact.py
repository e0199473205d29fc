"""The `diff` report (an `iompolicy.impact.Impact`) as text, JSON or Markdown."""

from __future__ import annotations

import json

from .. import __version__
from ..values import format_number
from .printable import printable

DIFF_FORMATS = ("text", "json", "markdown")


def render(impact, fmt: str) -> str:
    """The whole report in one format."""
    return {"text": _text, "json": _json, "markdown": _markdown}[fmt](impact)


def _usd(text: str | None) -> str:
    from decimal import Decimal

    return "USD " + format_number(Decimal(text or "0"))


def _name(changed) -> str:
    title = f"{changed.kind} {changed.id}" if changed.id else changed.kind
    return f"{changed.path or '<document>'} ({title})"


def _money_lines(impact) -> list[str]:
    money = impact.money()
    lines = []
    refused, allowed, moved = money["newly_refused"], money["newly_allowed"], money["allocation_change"]
    if refused["documents"] or allowed["documents"]:
        lines.append(f"money at stake: {_usd(refused['amount'])} asked by {refused['documents']} document(s) "
                     f"now refused; {_usd(allowed['amount'])} asked by {allowed['documents']} document(s) now allowed")
    if moved["documents"]:
        lines.append(f"allocation: changes by {_usd(moved['amount'])} in total over {moved['documents']} document(s)")
    return lines


def _summary_line(impact) -> str:
    summary = impact.to_dict()["summary"]
    return (f"{summary['documents']} documents judged under {impact.base_label} and {impact.head_label}: "
            f"{summary['changed']} change ({summary['verdicts_changed']} between allowed and refused), "
            f"{summary['flips']} clause outcome(s) flip")


def _text(impact) -> str:
    out = []
    for changed in impact.changed:
        verdict = f"{changed.before} -> {changed.after}" if changed.before != changed.after else changed.after
        out.append(f"{_name(changed)}: {verdict}")
        for flip in changed.flips:
            out.append(f"  {flip.clause} [{flip.cite}]: {flip.before} -> {flip.after}")
        if changed.allocation is not None and changed.allocation[0] != changed.allocation[1]:
            before, after = (_usd(str(v)) if v is not None else "not worked out" for v in changed.allocation)
            out.append(f"  allocation: {before} -> {after}")
    rows = impact.by_clause()
    if rows:
        out.append("flips by clause:")
        width = max(len(f"{r['clause']} [{r['cite']}]") for r in rows)
        for row in rows:
            name = f"{row['clause']} [{row['cite']}]"
            out.append(f"  {name:<{width}}  {row['before']} -> {row['after']}: {row['documents']}")
    out.extend(_money_lines(impact))
    out.append(_summary_line(impact))
    return "\n".join(printable(line) for line in out) + "\n"


def _json(impact) -> str:
    return json.dumps({"version": __version__, "diff_format": 1, **impact.to_dict()}, indent=2,
                      ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown(impact) -> str:
    out = [f"### iompolicy diff: {impact.base_label} → {impact.head_label}", "", f"**{_summary_line(impact)}**", ""]
    out += [f"- {line}" for line in _money_lines(impact)]
    rows = impact.by_clause()
    if rows:
        out += ["", "| Clause | Citation | Before | After | Documents |", "|---|---|---|---|---:|"]
        out += [f"| `{r['clause']}` | {r['cite']} | {r['before']} | {r['after']} | {r['documents']} |" for r in rows]
    if impact.changed:
        out += ["", "| Document | Verdict | Clauses that flip |", "|---|---|---|"]
        for changed in impact.changed:
            verdict = f"{changed.before} → {changed.after}" if changed.before != changed.after else changed.after
            flips = "<br>".join(f"`{f.clause}`: {f.before} → {f.after}" for f in changed.flips)
            out.append(f"| {_cell(_name(changed))} | {verdict} | {flips} |")
    return "\n".join(printable(line) for line in out) + "\n"
