"""`iompolicy serve`: the decision service on HTTP (Starlette on uvicorn).

Needs the `server` extra (`pip install "iompolicy[server]"`). The policies and
data are loaded once, when the service starts, and again, whole, on
POST /v1/reload or SIGHUP (see `iompolicy.service`). The routes:

    POST /v1/check              one document (JSON or YAML) -> the JSON report
    POST /v1/check/batch        {"documents": [...]} -> one JSON report
    GET  /v1/clauses            every clause: id, cite, kind, severity, title
    GET  /v1/clauses/{what}     a clause's quote, note and rule, as `iompolicy explain`
    POST /v1/reload             reload policies and data (409 and the old set kept if they fail)
    GET  /healthz, /readyz      liveness, readiness
    GET  /openapi.json          the OpenAPI 3.1 description

Every error is JSON: {"error": {"code", "message", "problems": [{"message",
"line", "column", "path"}]}}. An unexpected failure answers 500 with such a
body; its traceback goes to the server log only. The service has no
authentication: it binds to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import signal
import sys
import threading
import time

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ..records import Record
from ..stopping import Stopped, stoppable
from .guard import Timeouts, guarded_protocol
from .core import MAX_BATCH, MAX_BODY, LoadError, Service, ServiceError, body_format

log = logging.getLogger(__name__)

_INTERNAL = ServiceError(500, "internal_error", "the service failed to answer this request; "
                         "the server log has the details")


def _answer(error: ServiceError) -> Response:
    return _json(error.body(), error.status, error.headers)


def _json(payload: dict, status: int = 200, headers: dict | None = None) -> Response:
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    return Response(text, status_code=status, media_type="application/json", headers=headers)


def _endpoint(handler):
    """Answer a ServiceError with its JSON error, anything unexpected with a 500 (traceback to the log)."""

    @functools.wraps(handler)
    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except ServiceError as error:
            return _answer(error)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening any more
        except Exception:
            log.exception("internal error answering %s %s", request.method, request.url.path)
            return _answer(_INTERNAL)

    return answer


async def _body(request: Request, limit: int, seconds: float) -> bytes:
    """The request body, refused (413) past `limit` bytes, by its Content-Length or as it
    streams, and (408) when it has not all arrived within `seconds`."""
    too_large = ServiceError(413, "body_too_large", f"the body is larger than {limit} bytes")
    length = request.headers.get("content-length")
    if length is not None and length.strip().isdigit() and int(length) > limit:
        raise too_large
    chunks, size = [], 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        raise ServiceError(408, "body_timeout", f"the body did not arrive within {seconds:g} s",
                           headers={"Connection": "close"}) from None
    return b"".join(chunks)


class _StopFlag(threading.Event):
    """The flag a check in a thread looks at (iompolicy.stopping), knowing when it was set."""

    set_at = 0.0

    def set(self) -> None:
        self.set_at = time.monotonic()
        super().set()


class StoppedAfter(Record, fields="seconds"):
    """A check stopped, this long after the flag was set."""

    __slots__ = ()


def _until_stopped(stop: _StopFlag, check, *args):
    """`check(*args)`, in a thread: its result, or how long it went on after `stop` was set,
    if it was told to stop before it finished."""
    try:
        with stoppable(stop):
            return check(*args)
    except Stopped:
        return StoppedAfter(time.monotonic() - stop.set_at)


async def _client_gone(request: Request) -> None:
    """Returns when the client has closed the connection (the body is read by then: the
    next ASGI message is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _log_stop(what: str, why: str, work: asyncio.Future) -> None:
    if work.cancelled() or work.exception() is not None:
        return
    result = work.result()
    if isinstance(result, StoppedAfter):
        log.info("%s: %s; the check stopped %.3f s after it was told to", what, why, result.seconds)
    else:
        log.info("%s: %s; the check had finished before it was told to stop", what, why)


def create_app(service: Service, timeouts: Timeouts = Timeouts()) -> Starlette:
    """The ASGI application answering for `service`, within `timeouts` (body and request)."""

    async def checking(request: Request, check) -> Response:
        fmt = body_format(request.headers.get("content-type"))
        body = await _body(request, service.max_body, timeouts.body)
        stop = _StopFlag()
        work = asyncio.ensure_future(run_in_threadpool(_until_stopped, stop, check, body, fmt,
                                                       request.query_params.multi_items()))
        gone = asyncio.ensure_future(_client_gone(request))
        done, _ = await asyncio.wait({work, gone}, timeout=timeouts.request, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            gone.cancel()
            text, state = work.result()
            return Response(text, media_type="application/json",
                            headers={"X-IOMPolicy-Generation": str(state.generation)})
        # The client went away, or the time is up: the thread is told to stop at its next
        # checkpoint (iompolicy.stopping), and the log says when it did.
        why = "the client went away" if gone in done else f"its {timeouts.request:g} s were up"
        stop.set()
        gone.cancel()
        work.add_done_callback(functools.partial(_log_stop, f"{request.method} {request.url.path}", why))
        if gone in done:
            return Response(status_code=499)  # nobody is listening any more
        raise ServiceError(503, "request_timeout", f"the check took longer than {timeouts.request:g} s, "
                           "and was stopped", headers={"Connection": "close"})

    @_endpoint
    async def check(request: Request) -> Response:
        return await checking(request, service.check)

    @_endpoint
    async def check_batch(request: Request) -> Response:
        return await checking(request, service.check_batch)

    @_endpoint
    async def clauses(request: Request) -> Response:
        return _json(service.clauses())

    @_endpoint
    async def clause(request: Request) -> Response:
        return _json(service.clause(request.path_params["what"]))

    @_endpoint
    async def reload(request: Request) -> Response:
        state = await run_in_threadpool(_reload, service, "POST /v1/reload")
        return _json({"status": "reloaded", **state.describe()})

    @_endpoint
    async def healthz(request: Request) -> Response:
        return _json({"status": "ok"})

    @_endpoint
    async def readyz(request: Request) -> Response:
        if getattr(service, "current", None) is None:
            raise ServiceError(503, "not_ready", "the policies are not loaded")
        return _json(service.ready())

    @_endpoint
    async def openapi(request: Request) -> Response:
        return _json(service.openapi())

    async def http_error(request: Request, error: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "bad_request")
        message = {404: f"no such endpoint: {request.url.path} (GET /openapi.json lists them)",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(error.status_code,
                                                                                     str(error.detail))
        return _answer(ServiceError(error.status_code, code, message, headers=dict(error.headers or {})))

    async def internal_error(request: Request, error: Exception) -> Response:
        log.error("internal error answering %s %s", request.method, request.url.path,
                  exc_info=(type(error), error, error.__traceback__))
        return _answer(_INTERNAL)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        loop = asyncio.get_running_loop()
        try:  # only in the main thread of a process: not when a test runs the server in a thread
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, _reload_quietly, service))
            hangup = True
        except (AttributeError, NotImplementedError, RuntimeError, ValueError):
            hangup = False
        yield
        if hangup:
            loop.remove_signal_handler(signal.SIGHUP)

    routes = [
        Route("/v1/check", check, methods=["POST"]),
        Route("/v1/check/batch", check_batch, methods=["POST"]),
        Route("/v1/clauses", clauses, methods=["GET"]),
        Route("/v1/clauses/{what}", clause, methods=["GET"]),
        Route("/v1/reload", reload, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: http_error, Exception: internal_error})
    app.router.redirect_slashes = False  # /v1/check/ is a 404 with a JSON error, not a redirect
    return app


def _reload(service: Service, why: str):
    try:
        state = service.reload()
    except ServiceError as error:
        log.error("%s: reload refused; generation %d goes on serving:\n  %s", why, service.current.generation,
                  "\n  ".join(p["message"] for p in error.problems))
        raise
    log.info("%s: reloaded %s: generation %d, %d clauses", why, state.policy_dir, state.generation,
             len(state.policies.clauses()))
    return state


def _reload_quietly(service: Service) -> None:
    """SIGHUP: reload, and only log the outcome."""
    try:
        _reload(service, "SIGHUP")
    except ServiceError:
        pass
    except Exception:
        log.exception("SIGHUP: reload failed; generation %d goes on serving", service.current.generation)


def serve(policy_dir, data_files=(), host: str = "127.0.0.1", port: int = 8000, max_body: int = MAX_BODY,
          max_batch: int = MAX_BATCH, access_log: bool = True, waivers_file: str | None = None,
          timeouts: Timeouts = Timeouts(), readings: dict | None = None) -> int:
    """Load the policies and data, then serve until interrupted. The exit status."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        service = Service(policy_dir, data_files, max_body=max_body, max_batch=max_batch, waivers_file=waivers_file,
                          readings=readings)
    except LoadError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        return 2
    state = service.current
    log.info("loaded %s: %d policy files, %d clauses; data: %s", state.policy_dir, len(state.policies.files),
             len(state.policies.clauses()), ", ".join(f"{k} ({v})" for k, v in state.data_sources.items()) or "none")
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s: the service has no authentication; put it behind one", host)
    config = uvicorn.Config(create_app(service, timeouts), host=host, port=port, log_config=None,
                            access_log=access_log, server_header=False, lifespan="on",
                            http=guarded_protocol(timeouts.head), timeout_keep_alive=timeouts.idle,
                            limit_concurrency=timeouts.connections)
    try:
        uvicorn.Server(config).run()
    except SystemExit as exit_:  # uvicorn exits 1 when it cannot bind
        return 2 if exit_.code else 0
    return 0

