"""Path patterns matched by path segment, as users of shells and .gitignore expect.

`*` and `?` never cross a `/`: `proposals/2011-*.yaml` takes `proposals/2011-gin.yaml`
but not `proposals/2011-x/evil.yaml`. A whole segment `**` takes any number of
segments, none included (`proposals/**/*.yaml`). `[abc]` and `[!abc]` take one
character of a set, as in `fnmatch`. Matching is case-sensitive and works segment
by segment, so its cost is bounded by the number of segments times the pattern's
(no regular expression spans the path).

Used by waivers (which documents a waiver covers) and by `--exclude`.
"""

from __future__ import annotations

import fnmatch
import os


def segments(path: str) -> list[str]:
    """A path as its segments: `\\` read as `/`, `.` and empty segments dropped."""
    return [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]


def matches(pattern: str, path: str) -> bool:
    """True when `pattern` takes the whole of `path`, segment by segment."""
    return _match(segments(pattern), segments(path))


def matches_start(pattern: str, path: str) -> bool:
    """True when `pattern` takes `path` or a folder above it (`drafts` takes `drafts/x.yaml`)."""
    wanted, parts = segments(pattern), segments(path)
    return any(_match(wanted, parts[:end]) for end in range(1, len(parts) + 1))


def _match(pattern: list[str], parts: list[str]) -> bool:
    # reachable[j]: the pattern's segments so far can take the first j segments of the path
    reachable = [True] + [False] * len(parts)
    for wanted in pattern:
        if wanted == "**":
            for j in range(1, len(parts) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [reachable[j - 1] and fnmatch.fnmatchcase(parts[j - 1], wanted)
                                   for j in range(1, len(parts) + 1)]
    return reachable[-1]


def excluded(path: str, patterns, base: str | None = None) -> bool:
    """True when one of `patterns` (`--exclude`, the settings' `exclude`) leaves `path` out.

    A pattern with no `/` takes any file or folder of that name (`*.draft.yaml`,
    `drafts`). A pattern with a `/` is matched from `base` (the current folder, or
    the settings file's folder) and takes what it names and everything under it
    (`proposals/2009`, `registers/*.json`)."""
    if not patterns:
        return False
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(base or os.curdir))
    parts = segments(relative)
    for pattern in patterns:
        if "/" in pattern.strip("/"):
            if matches_start(pattern, relative):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern.strip("/")) for part in parts):
            return True
    return False
