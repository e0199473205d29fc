"""Work that can be told to stop part-way.

The HTTP service runs each check in a thread, and a thread cannot be killed: when
the client goes away or the request's time is up, the service sets a flag, and the
work looks at it at its checkpoints (each YAML event read, each step of an
explanation, each clause, each document) and stops there by raising `Stopped`.
Outside `stoppable` (the command line, the Python API) there is no flag and a
checkpoint costs one lookup.
"""

from __future__ import annotations

from _thread import allocate_lock

# The variable holding the flag of the work a thread (or task) is doing. Made by the first
# `stoppable` block: a process that never starts one (the command line, a script using the
# API) never imports contextvars, and contextlib was imported for this module alone on a
# check's start (about 1.4 ms together).
_flag = None
_making = allocate_lock()


class Stopped(BaseException):
    """The work was told to stop. A BaseException, like asyncio's CancelledError: the
    pipeline turns an Exception into a result (an undecided clause, an invalid input),
    and a stop must never become one."""


class stoppable:  # noqa: N801  used as a function: `with stoppable(flag):`
    """Within the block, checkpoints raise `Stopped` once `flag` (a threading.Event) is set."""

    def __init__(self, flag):
        self._flag = flag
        self._token = None

    def __enter__(self):
        self._token = _variable().set(self._flag)
        return self

    def __exit__(self, *raised) -> bool:
        _flag.reset(self._token)
        return False


def _variable():
    global _flag
    if _flag is None:  # made once: the lock only for the first blocks, which may race
        with _making:
            if _flag is None:
                from contextvars import ContextVar

                _flag = ContextVar("iompolicy_stop", default=None)
    return _flag


def stop_flag():
    """The flag of the work this thread is doing, or None: a loop reads it once and tests
    `flag is not None and flag.is_set()` itself where a function call per step would cost."""
    return None if _flag is None else _flag.get()


def checkpoint() -> None:
    """Raise `Stopped` if the work this thread is doing has been told to stop."""
    flag = stop_flag()
    if flag is not None and flag.is_set():
        raise Stopped
