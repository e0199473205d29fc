"""The service under slow and idle clients (issue 19): a connection that sends its
request head a byte at a time, or nothing at all, is closed when --head-timeout passes;
a body that does not arrive within --body-timeout is answered 408; meanwhile ordinary
checks keep being answered. No assertion on how fast anything is, only on what happens
before generous bounds."""

from __future__ import annotations

import socket
import time

from servicekit import OVER_CEILING, data_args, running_server


def _closed_within(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing the connection, or None if it is still open after `seconds`."""
    sock.settimeout(seconds)
    received = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return received
            received += chunk
    except socket.timeout:
        return None
    except ConnectionResetError:
        return received


def test_slow_and_idle_clients_are_dropped_while_checks_go_on(tmp_path):
    with running_server("--head-timeout", "1", "--body-timeout", "1", "--no-access-log", *data_args(),
                        folder=tmp_path) as server:
        host, port = server.url.removeprefix("http://").split(":")
        idle = socket.create_connection((host, int(port)))  # connects, sends nothing
        slow = socket.create_connection((host, int(port)))
        slow.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        dropped = False
        with server.client() as client:
            answered = 0
            while time.monotonic() - started < 3:  # the slow client trickles its head; checks go on
                try:
                    if not dropped:
                        slow.sendall(b"X")
                except (BrokenPipeError, ConnectionResetError):
                    dropped = True
                response = client.post("/v1/check", content=OVER_CEILING.read_bytes(),
                                       headers={"Content-Type": "application/yaml"})
                assert response.status_code == 200, response.text
                answered += 1
                time.sleep(0.2)
        assert answered >= 3
        assert dropped or _closed_within(slow, 10) is not None, "a head sent a byte at a time kept its connection"
        assert _closed_within(idle, 10) == b"", "a connection that sent nothing was kept"
        short = socket.create_connection((host, int(port)))  # a body shorter than it said
        short.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\n"
                      b"Content-Length: 100\r\n\r\nkind: proposal\n")
        answer = _closed_within(short, 10)
        assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
        assert b'"code": "body_timeout"' in answer
        for sock in (idle, slow, short):
            sock.close()
