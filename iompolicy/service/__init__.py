"""The decision service: `core` turns request bodies into reports with no web framework in
it, `http` puts that on HTTP (Starlette and uvicorn, the `server` extra), `openapi`
describes it."""

from .core import MAX_BATCH, MAX_BODY, LoadError, Service, ServiceError, body_format

__all__ = ["MAX_BATCH", "MAX_BODY", "LoadError", "Service", "ServiceError", "body_format"]
