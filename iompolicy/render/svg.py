"""Bar charts as inline SVG for the HTML report: no script, no external file, readable
without colour (every bar has a text label and a <title> a screen reader and a
hover show)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

ROW = 22  # pixels per bar
LABEL = 330  # pixels for the labels on the left (clause ids with their citation)
WIDTH = 900


def _text(x, y, text, anchor="start", css="label") -> str:
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}" class="{css}">{escape(str(text))}</text>'


def stacked_bars(title: str, rows: list[tuple[str, dict]], series: list[tuple[str, str, str]]) -> str:
    """One horizontal bar per row, split by series: `rows` are (label, {key: count}),
    `series` (key, colour, name). Bars share one scale: the longest row's total."""
    longest = max((sum(counts.get(k, 0) for k, _, _ in series) for _, counts in rows), default=0) or 1
    span = WIDTH - LABEL - 60
    height = ROW * len(rows) + 46
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" aria-label="{escape(title)}">', f"<title>{escape(title)}</title>"]
    x_legend = LABEL
    for key, colour, name in series:  # the legend, above the bars
        parts.append(f'<rect x="{x_legend}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x_legend + 14, 13, name, css="legend"))
        x_legend += 16 + 7 * len(name) + 12
    for number, (label, counts) in enumerate(rows):
        y = 24 + number * ROW
        parts.append(_text(LABEL - 6, y + 14, label, anchor="end"))
        x = float(LABEL)
        for key, colour, name in series:
            count = counts.get(key, 0)
            if not count:
                continue
            width = span * count / longest
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{ROW - 6}" fill="{colour}">'
                         f"<title>{escape(f'{label}: {count} {name}')}</title></rect>")
            x += width
        total = sum(counts.get(k, 0) for k, _, _ in series)
        parts.append(_text(x + 4, y + 14, total, css="value"))
    parts.append("</svg>")
    return "".join(parts)


def usd(amount) -> str:
    """USD 1,075,000 (whole dollars shown; cents when there are any)."""
    amount = Decimal(amount)
    return f"USD {amount:,.0f}" if amount == amount.to_integral_value() else f"USD {amount:,.2f}"


def measured_bars(title: str, groups: list[tuple[str, list[tuple[str, object, str]]]]) -> str:
    """Groups of horizontal bars on one money scale: `groups` are (heading, [(name, amount,
    colour)]); an amount of None is drawn as "not known" rather than as zero."""
    amounts = [Decimal(a) for _, bars in groups for _, a, _ in bars if a is not None]
    longest = max(amounts, default=Decimal(1)) or Decimal(1)
    span = WIDTH - LABEL - 140
    rows = sum(len(bars) + 1 for _, bars in groups)
    height = ROW * rows + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" aria-label="{escape(title)}">', f"<title>{escape(title)}</title>"]
    y = 4
    for heading, bars in groups:
        parts.append(_text(4, y + 14, heading, css="heading"))
        y += ROW
        for name, amount, colour in bars:
            parts.append(_text(LABEL - 6, y + 14, name, anchor="end"))
            if amount is None:
                parts.append(_text(LABEL, y + 14, "not known (a field is missing)", css="value"))
            else:
                width = float(span * Decimal(amount) / longest)
                parts.append(f'<rect x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="{ROW - 6}" fill="{colour}">'
                             f"<title>{escape(f'{name}: {usd(amount)}')}</title></rect>")
                parts.append(_text(LABEL + width + 4, y + 14, usd(amount), css="value"))
            y += ROW
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, x_label: str, xs: list, series: list[tuple[str, list, str]]) -> str:
    """Lines over a money axis: `xs` the input's values, `series` (name, [amount or None per x],
    colour). A None leaves a gap (the figure could not be worked out there). Each point has a
    <title> with its values, and the legend names every line, so no colour is needed to read it."""
    left, right, top, bottom = 110, WIDTH - 20, 40, 300
    amounts = [Decimal(a) for _, values, _ in series for a in values if a is not None]
    high = max(amounts, default=Decimal(1)) or Decimal(1)
    low = min(min(amounts, default=Decimal(0)), Decimal(0))  # a negative figure is drawn below USD 0
    low_x, high_x = Decimal(xs[0]), Decimal(xs[-1])
    legend_rows = _legend_rows([name for name, _, _ in series], right - left)
    top += 18 * (len(legend_rows) - 1)
    bottom += 18 * (len(legend_rows) - 1)

    def point(x, amount) -> tuple[float, float]:
        across = float((Decimal(x) - low_x) / (high_x - low_x)) if high_x != low_x else 0.0
        return left + across * (right - left), bottom - float((Decimal(amount) - low) / (high - low)) * (bottom - top)

    zero = point(xs[0], 0)[1]
    height = bottom + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" aria-label="{escape(title)}">', f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{zero:.1f}" x2="{right}" y2="{zero:.1f}" stroke="#555"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#555"/>',
             _text(left - 6, top + 4, usd(high), anchor="end", css="value"),
             _text(left - 6, zero + 4, usd(0), anchor="end", css="value"),
             *([_text(left - 6, bottom, usd(low), anchor="end", css="value")] if low < 0 else []),
             _text(left, bottom + 18, usd(xs[0]), css="value"),
             _text(right, bottom + 18, usd(xs[-1]), anchor="end", css="value"),
             _text((left + right) // 2, bottom + 36, x_label, anchor="middle")]
    colours = {name: colour for name, _, colour in series}
    for row, names in enumerate(legend_rows):
        x_legend, y = left, 8 + 18 * row
        for name in names:
            parts.append(f'<rect x="{x_legend}" y="{y}" width="10" height="10" fill="{colours[name]}"/>')
            parts.append(_text(x_legend + 14, y + 9, name, css="legend"))
            x_legend += _legend_width(name)
    for name, values, colour in series:
        segment: list[str] = []
        for x, amount in [*zip(xs, values), (None, None)]:
            if amount is None:
                if len(segment) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(segment)}"/>')
                segment = []
                continue
            px, py = point(x, amount)
            segment.append(f"{px:.1f},{py:.1f}")
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                         f"<title>{escape(f'{name}: {usd(amount)} at {x_label} {usd(x)}')}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


def _legend_width(name: str) -> int:
    return 16 + 7 * len(name) + 12


def _legend_rows(names: list[str], width: int) -> list[list[str]]:
    """The legend's entries in rows that fit `width` pixels."""
    rows: list[list[str]] = [[]]
    used = 0
    for name in names:
        if rows[-1] and used + _legend_width(name) > width:
            rows.append([])
            used = 0
        rows[-1].append(name)
        used += _legend_width(name)
    return rows
