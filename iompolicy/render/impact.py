"""The `diff` report (an `iompolicy.impact.Impact`) as text, JSON, Markdown or an HTML page."""

from __future__ import annotations

import json

from .. import __version__
from ..values import format_number
from .printable import printable

DIFF_FORMATS = ("text", "json", "markdown", "html")


def render(impact, fmt: str) -> str:
    """The whole report in one format."""
    return {"text": _text, "json": _json, "markdown": _markdown, "html": _html}[fmt](impact)


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


def _markdown(impact) -> str:
    from .markdown import markdown_text  # a file name or an id is shown as itself, as in check's report

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
            out.append(f"| {markdown_text(_name(changed))} | {verdict} | {flips} |")
    return "\n".join(printable(line) for line in out) + "\n"


# A direction is coloured by where it goes (to a failure red, to a pass green, to undecided
# purple, out of the rules grey), in shades when several directions go to the same outcome.
_SHADES = {"fail": ("#c0392b", "#e6b0aa"), "pass": ("#27ae60", "#a9dfbf"), "error": ("#8e44ad", "#d2b4de"),
           "waived": ("#d4ac0d", "#f9e79f"), "not_applicable": ("#bdc3c7", "#e5e8e8"), "absent": ("#5d6d7e", "#aeb6bf")}


def _direction_colours(rows) -> dict:
    colours, used = {}, {}
    for row in rows:
        direction = f"{row['before']} -> {row['after']}"
        if direction not in colours:
            shades = _SHADES.get(row["after"], ("#2e86c1", "#85c1e9"))
            colours[direction] = shades[used.get(row["after"], 0) % len(shades)]
            used[row["after"]] = used.get(row["after"], 0) + 1
    return colours


def _html(impact) -> str:
    """One self-contained page: the summary, the money at stake, the flips by clause drawn as
    bars (inline SVG) and counted, and each document that changes."""
    from html import escape

    from .svg import stacked_bars

    def text(value) -> str:
        return escape(printable(str(value)))

    rows = impact.by_clause()
    series = [(direction, colour, direction) for direction, colour in _direction_colours(rows).items()]
    by_clause: dict[str, dict] = {}
    for row in rows:
        by_clause.setdefault(f"{row['clause']} ({row['cite']})", {})[f"{row['before']} -> {row['after']}"] = \
            row["documents"]
    chart = stacked_bars("Clause outcomes that flip, by clause and direction", list(by_clause.items()), series) \
        if rows else "<p>No clause outcome flips.</p>"
    money = "".join(f"<li>{text(line)}</li>" for line in _money_lines(impact)) or "<li>no money at stake</li>"
    counted = "".join(f"<tr><td><code>{text(r['clause'])}</code></td><td>{text(r['cite'])}</td><td>{text(r['before'])}"
                      f"</td><td>{text(r['after'])}</td><td class=\"n\">{r['documents']}</td></tr>" for r in rows)
    changed = []
    for document in impact.changed:
        verdict = f"{document.before} → {document.after}" if document.before != document.after else document.after
        flips = "<br>".join(f"<code>{text(f.clause)}</code> [{text(f.cite)}]: {text(f.before)} → {text(f.after)}"
                            for f in document.flips)
        allocation = ""
        if document.allocation is not None and document.allocation[0] != document.allocation[1]:
            before, after = (_usd(str(v)) if v is not None else "not worked out" for v in document.allocation)
            allocation = f"{text(before)} → {text(after)}"
        changed.append(f"<tr><td>{text(_name(document))}</td><td>{text(verdict)}</td><td>{flips}</td>"
                       f"<td>{allocation}</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>iompolicy diff: {text(impact.base_label)} → {text(impact.head_label)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; margin: .5em 0; }} td, th {{ border: 1px solid #ccc; padding: .2em .5em; }}
td.n {{ text-align: right; }} .label, .legend {{ font-size: 12px; }} .value {{ font-size: 11px; fill: #333; }}
</style>
</head>
<body>
<h1>What the change of rules changes</h1>
<p><strong>{text(_summary_line(impact))}</strong></p>
<ul>{money}</ul>
<h2>Flips by clause</h2>
{chart}
{f'<table id="by-clause"><thead><tr><th>Clause</th><th>Citation</th><th>Before</th><th>After</th><th>Documents</th></tr></thead><tbody>{counted}</tbody></table>' if rows else ''}
<h2>Documents that change</h2>
{f'<table id="documents"><thead><tr><th>Document</th><th>Verdict</th><th>Clauses that flip</th><th>Allocation</th></tr></thead><tbody>{"".join(changed)}</tbody></table>' if changed else '<p>None.</p>'}
<p>iompolicy {text(__version__)}; waivers are not applied: the verdicts are the rules'.</p>
</body>
</html>
"""
