"""Report renderers, one module per output format."""

from __future__ import annotations

from .summary import Summary

FORMATS = ("text", "json", "sarif", "junit", "markdown")


def renderer(name: str):
    """The render function of a format: `render(reports, summary, options) -> str`."""
    if name == "text":
        from .text import render
    elif name == "json":
        from .json_report import render
    elif name == "sarif":
        from .sarif import render
    elif name == "junit":
        from .junit import render
    elif name == "markdown":
        from .markdown import render
    else:
        raise ValueError(f"unknown format `{name}`")
    return render


__all__ = ["FORMATS", "Summary", "renderer"]
