"""The server's one exception handler, and the few HTTP-only errors the views raise.

Every exception that carries an HTTP ``status`` (the :class:`publisher.core.errors.CmqError` tree,
the SPARQL engine's errors, Starlette's ``HTTPException``) is answered with that status, as JSON
``{"error", "message", "status"}`` or, when the client prefers ``text/html``, as a small HTML
page. Anything else is a 500 whose answer says nothing about the code (the traceback goes to the
log only).
"""

from __future__ import annotations

import html
import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from publisher.core.errors import CmqError
from publisher.sparql.errors import QueryError

log = logging.getLogger("cmq.server")

#: Extra attributes of an exception copied into the JSON answer when present (e.g. the parser's
#: position in a malformed query).
_DETAILS = ("line", "column", "operation", "iri", "timeout_s", "available", "allowed")


class PayloadTooLarge(CmqError):
    status = 413


class UnsupportedMediaType(CmqError):
    status = 415


class NotFound(CmqError):
    status = 404


class NotAcceptable(CmqError):
    """No offered representation fits ``Accept`` / ``format`` (lists the ones that would)."""

    status = 406

    def __init__(self, asked: str, available: tuple[str, ...]) -> None:
        super().__init__(f"format non disponible / representation not available: {asked!r}; "
                         f"offerts / offered: {', '.join(available)}")
        self.available = available


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


_MEDIA = re.compile(r"^\s*([^;\s]+)\s*(?:;(.*))?$")


def _q(accept: str, wanted: tuple[str, ...]) -> float:
    """The best q-value the Accept header gives to any of ``wanted`` (exact, type/*, */*)."""
    best, specificity = 0.0, -1
    for item in accept.split(","):
        m = _MEDIA.match(item)
        if not m:
            continue
        media, params = m.group(1).lower(), m.group(2) or ""
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        for w in wanted:
            if media == w:
                spec = 2
            elif media.endswith("/*") and w.startswith(media[:-1]):
                spec = 1
            elif media == "*/*":
                spec = 0
            else:
                continue
            if spec > specificity or (spec == specificity and q > best):
                best, specificity = q, spec
    return best


def prefers_html(request: Request) -> bool:
    """True when the client ranks ``text/html`` strictly above JSON (a browser)."""
    accept = request.headers.get("accept", "")
    return _q(accept, ("text/html",)) > _q(accept, ("application/json",))


def error_response(request: Request, exc: Exception) -> Response:
    status = _status(exc)
    if status == 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    code, message = _code(exc, status), _message(exc, status)
    headers = dict(getattr(exc, "headers", None) or {})
    headers.setdefault("Vary", "Accept")
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
