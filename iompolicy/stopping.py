"""Work that can be told to stop part-way.

The HTTP service runs each check in a thread, and a thread cannot be killed: when
the client goes away or the request's time is up, the service sets a flag, and the
work looks at it at its checkpoints (each YAML event read, each step of an
explanation, each clause, each document) and stops there by raising `Stopped`.
Outside `stoppable` (the command line, the Python API) there is no flag and a
checkpoint costs one lookup.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

_flag: ContextVar = ContextVar("iompolicy_stop", default=None)


class Stopped(BaseException):
    """The work was told to stop. A BaseException, like asyncio's CancelledError: the
    pipeline turns an Exception into a result (an undecided clause, an invalid input),
    and a stop must never become one."""


@contextlib.contextmanager
def stoppable(flag):
    """Within the block, checkpoints raise `Stopped` once `flag` (a threading.Event) is set."""
    token = _flag.set(flag)
    try:
        yield
    finally:
        _flag.reset(token)


def stop_flag():
    """The flag of the work this thread is doing, or None: a loop reads it once and tests
    `flag is not None and flag.is_set()` itself where a function call per step would cost."""
    return _flag.get()


def checkpoint() -> None:
    """Raise `Stopped` if the work this thread is doing has been told to stop."""
    flag = _flag.get()
    if flag is not None and flag.is_set():
        raise Stopped
