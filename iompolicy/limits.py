"""How big an input may be: the limits every document is loaded under.

Kept apart from `documents` so that the command line can show the defaults
without importing a YAML parser.
"""

from typing import NamedTuple



class Limits(NamedTuple):
    """How big an input may be. Each is checked before the cost it guards against is paid."""

    max_bytes: int = 10 * 1024 * 1024  # size of one file or of stdin, in bytes
    max_depth: int = 64  # nesting of lists and mappings
    max_aliases: int = 100  # YAML aliases (`*name`) in one document
    max_nodes: int = 1_000_000  # keys and values, counting what aliases repeat


DEFAULT_LIMITS = Limits()
MAX_NUMBER_DIGITS = 100  # a number has at most this many digits and lies within ±10^100
