"""Regular expressions compiled the first time they are used.

Compiling a pattern costs 0.1 to 0.7 ms, and a command-line check of one YAML file
needs few of the patterns its modules define (the JSON ones, the control-character
ones only when a text holds a backslash...). Defined at module level as usual, they
would all be compiled on every run.
"""

from __future__ import annotations

import re


class LazyPattern:
    """Stands for `re.compile(source, flags)`: `search`, `finditer`, `sub` and the
    rest are those of the compiled pattern, which is built on first use. It is not a
    `re.Pattern` itself: call its methods (`re.sub(lazy, ...)` would refuse it)."""

    def __init__(self, source: str, flags: int = 0):
        self._source = source
        self._flags = flags

    def __getattr__(self, name: str):
        # Only called for what the instance does not hold yet: keep it, so that the
        # next `pattern.search` is an ordinary attribute lookup.
        if name.startswith("_"):  # its own fields, asked for before they are set (while unpickling)
            raise AttributeError(name)
        value = getattr(re.compile(self._source, self._flags), name)
        setattr(self, name, value)
        return value

    def __reduce__(self):
        return LazyPattern, (self._source, self._flags)

    def __repr__(self) -> str:
        return f"LazyPattern({self._source!r}, {self._flags!r})"
