"""How big an input may be: the limits every document is loaded under.

Kept apart from `documents` so that the command line can show the defaults
without importing a YAML parser.
"""

from .records import Record


class Limits(Record, fields="max_bytes max_depth max_aliases max_nodes",
             defaults=(10 * 1024 * 1024, 64, 100, 1_000_000)):
    """How big an input may be. Each is checked before the cost it guards against is paid.

    - `max_bytes`: size of one file or of stdin, in bytes
    - `max_depth`: nesting of lists and mappings
    - `max_aliases`: YAML aliases (`*name`) in one document
    - `max_nodes`: keys and values, counting what aliases repeat
    """

    __slots__ = ()


DEFAULT_LIMITS = Limits()
MAX_NUMBER_DIGITS = 100  # a number has at most this many digits and lies within ±10^100
