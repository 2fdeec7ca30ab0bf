"""Errors raised by the SPARQL query engine, each carrying the HTTP status to answer with.

The HTTP layer only needs ``except (QueryError, CmqError) as e: respond(e.status, e.message)``
(``CmqError`` for :class:`NotAcceptable`, below)::

    QueryError                      (500) base class; never raised directly
    ├── MalformedQuery              (400) the string is not a SPARQL 1.1 query; .line/.column if known
    ├── UpdateRefused               (403) SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE,
    │                                     ADD, MOVE, COPY, WITH …) sent to the read-only endpoint
    ├── ServiceRefused              (403) SERVICE clause whose endpoint is not in the allow-list
    ├── QueryTimeout                (503) the time limit was hit; the worker doing it was killed
    ├── Overloaded                  (503) every worker is busy and the waiting queue is full
    ├── EngineUnavailable           (503) the worker pool could not be started or has died
    ├── QueryFailed                 (500) evaluation error (e.g. an allow-listed SERVICE failing) or
    │                                     a worker that died (e.g. over its memory limit)
    └── StoreError                  (502) remote store (``cmq serve --store``): it answered with an
        │                                 error or an unreadable answer
        ├── StoreAuthError          (502) it refused our credentials (the secret is never shown)
        ├── StoreUnavailable        (503) it cannot be reached (connection refused, reset, DNS)
        └── StoreTimeout            (504) it did not answer within the time limit; also a
                                          QueryTimeout (``timeout_s``)

Not in this tree: ``NotAcceptable`` (406, no result format satisfies Accept / the ``format``
name) is :class:`publisher.core.errors.NotAcceptable`, the one class every view raises for content
negotiation (a ``CmqError``, not a ``QueryError``); it is re-exported here so that
``publisher.sparql.errors.NotAcceptable`` and ``publisher.sparql.NotAcceptable`` still name it.
The HTTP layer catches ``CmqError`` as well as ``QueryError``.

Status choices:

* ``UpdateRefused`` and ``ServiceRefused`` are **403 Forbidden**, not 400: the request is
  understood (an update, a federated query) and refused by policy; a client fixing its syntax would
  get the same answer. The SPARQL 1.1 Protocol allows any 4xx for failed requests.
* ``QueryTimeout`` is **503** (the server gave up), not 504 (which means an upstream gateway timed
  out) and not 408 (which means the *client* was too slow sending its request).
* In front of a remote store (docs/decisions/0011-remote-stores.md) this server *is* a gateway:
  a store that is down is 503, a store that does not answer in time is **504**, a store that
  answers with an error or garbage is **502**. A time limit the store itself reports (Virtuoso's
  partial-result header) stays a plain ``QueryTimeout`` (503), as on the embedded path.
"""

from __future__ import annotations

from publisher.core.errors import NotAcceptable

__all__ = [
    "EngineUnavailable",
    "MalformedQuery",
    "NotAcceptable",
    "Overloaded",
    "QueryError",
    "QueryFailed",
    "QueryTimeout",
    "ServiceRefused",
    "StoreAuthError",
    "StoreError",
    "StoreTimeout",
    "StoreUnavailable",
    "UpdateRefused",
]


class QueryError(Exception):
    """Base class: ``status`` is the HTTP status code, ``message`` is safe to show to the client."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class MalformedQuery(QueryError):
    """The query does not parse; ``line``/``column`` (1-based, in characters) when known."""

    status = 400

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class UpdateRefused(QueryError):
    """A SPARQL Update was sent to the read-only query endpoint."""

    status = 403

    def __init__(self, message: str, *, operation: str) -> None:
        super().__init__(message)
        self.operation = operation


class ServiceRefused(QueryError):
    """A ``SERVICE`` clause targets an endpoint that is not allow-listed (``iri`` None if unknown)."""

    status = 403

    def __init__(self, message: str, *, iri: str | None) -> None:
        super().__init__(message)
        self.iri = iri


class QueryTimeout(QueryError):
    """The query ran longer than ``timeout_s``; its worker process was killed and replaced."""

    status = 503

    def __init__(self, message: str, *, timeout_s: float) -> None:
        super().__init__(message)
        self.timeout_s = timeout_s


class Overloaded(QueryError):
    """Every worker is busy and the queue is full (or no worker freed up in time)."""

    status = 503

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class EngineUnavailable(QueryError):
    """The worker pool failed to start, has been closed, or its zygote process died."""

    status = 503


class QueryFailed(QueryError):
    """The query parsed but its evaluation failed, or the worker running it died."""

    status = 500


class StoreError(QueryError):
    """The remote SPARQL store answered with an error, or with something we could not read;
    ``store_status`` / ``store_message``: its HTTP status and the start of its message."""

    status = 502

    def __init__(self, message: str, *, store_status: int | None = None,
                 store_message: str = "") -> None:
        super().__init__(message)
        self.store_status = store_status
        self.store_message = store_message


class StoreAuthError(StoreError):
    """The remote store refused the configured credentials (401/403); never names the secret."""

    status = 502


class StoreUnavailable(StoreError):
    """The remote store cannot be reached (connection refused or reset, unknown host…)."""

    status = 503

    def __init__(self, message: str, *, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StoreTimeout(QueryTimeout, StoreError):
    """The remote store did not answer within the time limit; the request was abandoned."""

    status = 504
