"""The one exception handler, called as a plain function (no server needed)."""

from __future__ import annotations

import json

import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from publisher.core.errors import NotAcceptable, ReleaseNotFound
from publisher.server.errors import error_response, prefers_html
from publisher.sparql import MalformedQuery, QueryTimeout


def request(accept: str | None = None) -> Request:
    headers = [(b"accept", accept.encode())] if accept is not None else []
    return Request({"type": "http", "method": "GET", "path": "/x", "headers": headers,
                    "query_string": b""})


def body(resp: Response) -> dict[str, object]:
    data = json.loads(bytes(resp.body))
    assert isinstance(data, dict)
    return data


def test_status_exceptions_become_json() -> None:
    resp = error_response(request(), MalformedQuery("bad at line 2", line=2, column=7))
    assert resp.status_code == 400 and resp.headers["content-type"] == "application/json"
    assert body(resp) == {"error": "MalformedQuery", "message": "bad at line 2", "status": 400,
                          "line": 2, "column": 7}
    resp = error_response(request("application/json"), ReleaseNotFound("no release"))
    assert resp.status_code == 404 and body(resp)["error"] == "ReleaseNotFound"
    resp = error_response(request(), NotAcceptable("x/y", ("text/turtle",)))
    assert body(resp)["available"] == ["text/turtle"]


def test_starlette_http_exceptions_keep_their_headers() -> None:
    resp = error_response(request(), HTTPException(405, headers={"Allow": "GET"}))
    assert resp.status_code == 405 and resp.headers["allow"] == "GET"
    assert body(resp)["error"] == "MethodNotAllowed"


def test_timeout_says_when_to_retry() -> None:
    resp = error_response(request(), QueryTimeout("too slow", timeout_s=1.5))
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1"
    assert body(resp)["timeout_s"] == 1.5


def test_unknown_exception_is_500_without_details(caplog: pytest.LogCaptureFixture) -> None:
    secret = "password=hunter2 in /srv/secret/path.py line 12"
    resp = error_response(request(), RuntimeError(secret))
    assert resp.status_code == 500
    data = body(resp)
    assert data["error"] == "InternalError" and secret not in json.dumps(data)
    html = error_response(request("text/html"), RuntimeError(secret))
    text = bytes(html.body).decode()
    assert html.status_code == 500 and secret not in text and "Traceback" not in text
    assert "RuntimeError" in caplog.text  # the log keeps what the client does not see


def test_html_when_preferred_and_escaped() -> None:
    resp = error_response(request("text/html,*/*;q=0.8"), MalformedQuery("<script>x</script>"))
    text = bytes(resp.body).decode()
    assert resp.headers["content-type"].startswith("text/html")
    assert "<script>" not in text and "&lt;script&gt;" in text


@pytest.mark.parametrize(("accept", "html"), [
    ("text/html", True), ("text/html;q=0.5, application/json", False), ("*/*", False),
    (None, False), ("text/*", True), ("application/json;q=0.1, text/html;q=0.2", True)])
def test_prefers_html(accept: str | None, html: bool) -> None:
    assert prefers_html(request(accept)) is html
