"""A sweep (`iompolicy.sweep.Sweep`) as text, JSON, Markdown or an HTML page with a chart."""

from __future__ import annotations

import json
from decimal import Decimal
from html import escape

from .. import __version__
from ..values import format_number
from .printable import printable
from .svg import line_chart

SWEEP_FORMATS = ("text", "json", "markdown", "html")
_COLOURS = ("#2e86c1", "#f39c12", "#27ae60", "#8e44ad", "#c0392b", "#5d6d7e", "#85c1e9", "#f5b041")


def render(result, fmt: str) -> str:
    """The whole sweep in one format."""
    return {"text": _text, "json": _json, "markdown": _markdown, "html": _html}[fmt](result)


def _amount(field: str, value) -> str:
    """A value of the swept field (`USD ...` for a field of dollars, `_usd`) or of a figure."""
    if value is None:
        return "not known"
    return ("USD " if field.endswith("_usd") else "") + format_number(value)


def _heading(name: str, label) -> str:
    return f"{name} [{label}]" if label else name


def _outcome_headings(result) -> list[tuple[str, str, str]]:
    """(clause id, reading label, heading) of each outcome column: `outcome [line2_only]`."""
    labels = list(result.readings)
    name = (lambda c: "outcome") if len(result.clauses) == 1 else (lambda c: c.id)
    return [(c.id, label, f"{name(c)} [{label}]" if len(labels) > 1 else name(c))
            for c in result.clauses for label in labels]


def _table(result) -> tuple[list[str], list[list[str]]]:
    """Headings and rows of cells, as text."""
    outcomes = _outcome_headings(result)
    headings = [result.range.field, *(_heading(n, label) for n, label in result.figures), *(h for _, _, h in outcomes)]
    rows = []
    for value, found, judged in result.rows:
        rows.append([_amount(result.range.field, value), *(_amount(n, found[(n, label)]) for n, label in result.figures),
                     *(judged[(clause, label)] for clause, label, _ in outcomes)])
    return headings, rows


def _about(result) -> list[str]:
    lines = [f"{c.id} [{c.clause.cite}]: {c.clause.title}" for c in result.clauses]
    lines.append(f"{result.range.field} from {_amount(result.range.field, result.range.low)} to "
                 f"{_amount(result.range.field, result.range.high)} in {result.range.steps} steps, "
                 f"on {result.document} (its other fields as they are)")
    for label, readings in result.readings.items():
        chosen = ", ".join(f"{name} = {value}" for name, value in readings.items()) or "the defaults"
        lines.append(f"reading{f' [{label}]' if len(result.readings) > 1 else ''}: {chosen}")
    return lines


def _text(result) -> str:
    headings, rows = _table(result)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headings)]
    numeric = [i < len(headings) - len(_outcome_headings(result)) for i in range(len(headings))]

    def line(cells) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()

    out = [*_about(result), "", line(headings), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    return "\n".join(printable(text) for text in out) + "\n"


def _json(result) -> str:
    return json.dumps({"version": __version__, "sweep_format": 1, **result.to_dict()}, indent=2,
                      ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    """A table cell's text, or a heading in backticks (a code span, where only `|` is special)."""
    return text.replace("|", "\\|")


def _markdown(result) -> str:
    from .markdown import markdown_text

    headings, rows = _table(result)
    out = [f"### iompolicy sweep of {markdown_text(result.range.field)}", "",
           *(f"- {markdown_text(line)}" for line in _about(result)),  # the file's name as itself
           "", "| " + " | ".join(f"`{_cell(h)}`" for h in headings) + " |",
           "|" + "|".join("---:" if i < len(result.figures) + 1 else "---" for i in range(len(headings))) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(printable(line) for line in out) + "\n"


def charted(result) -> list[tuple[str, str | None]]:
    """The figures drawn: those the requirements read, and those read through them that stay
    on the same scale (III.1's excess over the baseline, ten times the allocation, would
    flatten every other line: it is in the table only)."""
    from ..sweep import direct_figures

    direct = direct_figures(result.clauses)

    def largest(figure) -> Decimal:
        return max((abs(Decimal(found[figure])) for _, found, _ in result.rows if found[figure] is not None),
                   default=Decimal(0))

    scale = max((largest(f) for f in result.figures if f[0] in direct), default=Decimal(0))
    return [f for f in result.figures if f[0] in direct or not scale or largest(f) <= scale * Decimal("1.5")]


def chart(result) -> str:
    """The figures over the range as an inline SVG line chart (one line per figure drawn)."""
    xs = [value for value, _, _ in result.rows]
    series = [(_heading(name, label), [found[(name, label)] for _, found, _ in result.rows],
               _COLOURS[number % len(_COLOURS)]) for number, (name, label) in enumerate(charted(result))]
    title = f"{', '.join(c.id for c in result.clauses)} over {result.range.field}"
    return line_chart(title, result.range.field, xs, series)


def _left_out(result) -> str:
    shown = charted(result)
    left = [_heading(name, label) for name, label in result.figures if (name, label) not in shown]
    return f"<p>In the table only (on another scale): {escape(', '.join(left))}.</p>" if left else ""


def _html(result) -> str:
    headings, rows = _table(result)
    head = "".join(f"<th>{escape(printable(h))}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{escape(printable(c))}</td>" for c in row) + "</tr>" for row in rows)
    about = "".join(f"<li>{escape(printable(line))}</li>" for line in _about(result))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>iompolicy sweep of {escape(result.range.field)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .2em .5em; text-align: right; }}
.label {{ font-size: 12px; }} .value {{ font-size: 11px; fill: #333; }} .legend {{ font-size: 12px; }}
</style>
</head>
<body>
<h1>What the formula and the cap allow, over {escape(result.range.field)}</h1>
<ul>{about}</ul>
{chart(result)}
{_left_out(result)}
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<p>iompolicy {escape(__version__)}: the figures are the policy's own <code>let</code>s, worked out on the document
with the field set to each value.</p>
</body>
</html>
"""
