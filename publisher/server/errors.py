"""The server's one exception handler, and the few HTTP-only errors the views raise.

Every exception that carries an HTTP ``status`` (the :class:`publisher.core.errors.CmqError` tree,
the SPARQL engine's errors, Starlette's ``HTTPException``) is answered with that status, as JSON
``{"error", "message", "status"}`` or, when the client prefers ``text/html``, as a small HTML
page (chosen by :mod:`publisher.core.conneg`'s rule, like every other representation). Anything
else is a 500 whose answer says nothing about the code (the traceback goes to the log only); a
known 500 (a query worker that died) is logged in one line, without a traceback.
"""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from publisher.core import conneg
from publisher.core.errors import CmqError
from publisher.server import methods
from publisher.sparql.errors import QueryError

log = logging.getLogger("cmq.server")

#: Extra attributes of an exception copied into the JSON answer when present (e.g. the parser's
#: position in a malformed query).
_DETAILS = ("line", "column", "operation", "iri", "timeout_s", "available")


class PayloadTooLarge(CmqError):
    status = 413


class UnsupportedMediaType(CmqError):
    status = 415


class NotFound(CmqError):
    status = 404


class PreconditionFailed(CmqError):
    status = 412


def _status(exc: Exception) -> int:
    for attr in ("status", "status_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 400 <= value <= 599:
            return value
    return 500


def _code(exc: Exception, status: int) -> str:
    if isinstance(exc, StarletteHTTPException):
        return {404: "NotFound", 405: "MethodNotAllowed"}.get(status, "HTTPError")
    if isinstance(exc, RequestValidationError):
        return "InvalidRequest"
    known = isinstance(exc, (CmqError, QueryError))
    return type(exc).__name__ if status != 500 or known else "InternalError"


def _message(exc: Exception, status: int) -> str:
    if status == 500 and not isinstance(exc, (CmqError, QueryError)):
        return "erreur interne du serveur / internal server error"
    if isinstance(exc, StarletteHTTPException):
        return str(exc.detail)
    if isinstance(exc, RequestValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
    return str(getattr(exc, "message", None) or exc)


#: What an error answer offers, JSON first: only a client that ranks HTML above it gets a page.
ERROR_OFFERS: tuple[conneg.MediaType, ...] = (conneg.JSON, conneg.HTML)


def prefers_html(request: Request) -> bool:
    """True when :mod:`publisher.core.conneg`'s rule picks ``text/html`` over JSON (a browser)."""
    return conneg.choose(request.headers.get("accept"), ERROR_OFFERS) is conneg.HTML


def error_response(request: Request, exc: Exception) -> Response:
    status = _status(exc)
    if status == 500 and isinstance(exc, (CmqError, QueryError)):
        # a known failure (a worker died…): one line, no traceback per attempt
        log.warning("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path,
                    _message(exc, status))
    elif status == 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    code, message = _code(exc, status), _message(exc, status)
    headers = dict(getattr(exc, "headers", None) or {})
    headers.setdefault("Vary", "Accept")
    allow = methods.allowed(request) if status == 405 else []
    if allow:  # every method of the path, not only those of the first matching route
        headers["Allow"] = ", ".join(allow)
    retry = getattr(exc, "retry_after_s", None)
    if status == 503 and "retry-after" not in {k.lower() for k in headers}:
        headers["Retry-After"] = str(int(retry) if isinstance(retry, (int, float)) else 1)
    if prefers_html(request):
        body = (
            "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
            f"<title>{status} {html.escape(code)}</title></head><body>"
            f"<h1>{status} — {html.escape(code)}</h1><pre>{html.escape(message)}</pre>"
            "<p><a href=\"/\">Accueil / home</a></p></body></html>\n"
        )
        return HTMLResponse(body, status_code=status, headers=headers)
    payload: dict[str, object] = {"error": code, "message": message, "status": status}
    if status != 500:
        for attr in _DETAILS:
            value = getattr(exc, attr, None)
            if isinstance(value, (int, float, str)) or (
                isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
            ):
                payload[attr] = list(value) if isinstance(value, tuple) else value
    return JSONResponse(payload, status_code=status, headers=headers)


async def handle(request: Request, exc: Exception) -> Response:
    """The exception handler (registered for every exception class the app can see)."""
    return error_response(request, exc)


def install(app: FastAPI) -> None:
    for cls in (Exception, StarletteHTTPException, RequestValidationError, CmqError, QueryError):
        app.add_exception_handler(cls, handle)
