"""The service under slow and idle clients: time limits for a request's head, its body,
the work it asks for and an idle connection, and a bound on connections at once.

uvicorn times out an idle keep-alive connection only after a first response: a client
that connects and sends nothing, or sends its head a byte at a time, held a connection
for ever (800 half-open connections were all accepted). `guarded_protocol` gives
uvicorn an HTTP protocol that closes a connection whose next request head has not
arrived in `head` seconds, however many bytes trickle in meanwhile.
"""

from __future__ import annotations

from ..records import Record


class Timeouts(Record, fields="head body request idle connections",
               defaults=(10.0, 30.0, 30.0, 5.0, 200)):
    """Seconds allowed for a request's head (from the connection, or from the previous
    answer), for its body, for the work it asks for, and for an idle keep-alive
    connection; and how many connections are served at once (more are answered 503)."""

    __slots__ = ()


def guarded_protocol(head_seconds: float):
    """uvicorn's h11 protocol, closing a connection whose next request head is late."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._expect_head()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._expect_head()

        def _expect_head(self) -> None:
            # The cycle of the request answered last (None: none yet). If it is still the
            # current one when the time is up, no new request head has arrived.
            self.loop.call_later(head_seconds, self._head_late, self.cycle)

        def _head_late(self, cycle) -> None:
            if self.cycle is cycle and not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol
