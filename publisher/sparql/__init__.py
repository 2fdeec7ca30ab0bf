"""HTTP-free SPARQL query engine: classification, safety checks, negotiation, execution.

Modules, in pipeline order: ``errors`` (exception tree with HTTP statuses), ``parse`` (form,
update and SERVICE detection without executing anything), ``negotiate`` (Accept / ``format``),
``execute`` (:class:`QueryEngine`: worker processes with a hard time limit and a row cap).

May import: ``publisher.core`` only; never a web framework, an HTTP client, ``publisher.remote`` or
``publisher.server`` (an import-linter contract says so).
"""

from publisher.sparql.errors import (
    EngineUnavailable,
    MalformedQuery,
    NotAcceptable,
    Overloaded,
    QueryError,
    QueryFailed,
    QueryTimeout,
    ServiceRefused,
    StoreAuthError,
    StoreError,
    StoreTimeout,
    StoreUnavailable,
    UpdateRefused,
)
from publisher.sparql.execute import TRUNCATED_LINK, GraphFile, QueryEngine, QueryResult
from publisher.sparql.negotiate import (
    ResultFormat,
    choose_format,
    format_from_name,
    media_type_with_charset,
    negotiate,
)
from publisher.sparql.parse import QueryForm, QueryInfo, analyse, classify

__all__ = [
    "TRUNCATED_LINK",
    "EngineUnavailable",
    "GraphFile",
    "MalformedQuery",
    "NotAcceptable",
    "Overloaded",
    "QueryEngine",
    "QueryError",
    "QueryFailed",
    "QueryForm",
    "QueryInfo",
    "QueryResult",
    "QueryTimeout",
    "ResultFormat",
    "ServiceRefused",
    "StoreAuthError",
    "StoreError",
    "StoreTimeout",
    "StoreUnavailable",
    "UpdateRefused",
    "analyse",
    "choose_format",
    "classify",
    "format_from_name",
    "media_type_with_charset",
    "negotiate",
]
