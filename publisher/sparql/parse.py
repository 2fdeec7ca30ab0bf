"""Classify a SPARQL request string without executing anything.

pyoxigraph 0.5 has no standalone SPARQL parser: ``Store.query`` parses *and starts evaluating*
(ORDER BY, aggregates and ASK run to completion inside the call, and a SERVICE clause is
fetched over HTTP right there, even on an empty store). So nothing here calls pyoxigraph on the
request: the query is classified by a small lexer that follows the SPARQL 1.1 terminals
(IRIREF, string literals, comments, variables, prefixed names with their escapes), and the real
pyoxigraph parse happens in a worker process under the time limit (see ``execute``); its
``SyntaxError`` is turned into :class:`MalformedQuery` by :func:`malformed_from_syntax_error`.

Classification answers four questions:

* the form (SELECT / ASK / CONSTRUCT / DESCRIBE), read after the prologue (BASE/PREFIX);
* which dataset the query names (its FROM / FROM NAMED clauses, :class:`Clause`): a query that
  names one sees exactly those graphs, not the endpoint's default dataset;
* is it a SPARQL Update? (first keyword INSERT, DELETE, LOAD, …) → :class:`UpdateRefused`.
  This is only for a clear message: the engine never calls ``Store.update``, so an update can
  never run whatever this lexer thinks;
* is it too deeply nested for the engine? oxigraph's parser and evaluator recurse: ~2,500 nested
  ``{``, ``(`` or ``[`` (or ~6,000 chained operators such as ``1+1+…``, ``UNION``, ``||``)
  overflow a worker's stack and kill it with SIGSEGV. :func:`check_structure` refuses more than
  :data:`MAX_NESTING` open brackets or :data:`MAX_OPERATORS` operators with a 400, far below
  that and far above any hand-written or generated query we know of;
* which SERVICE endpoints it calls. This *is* the safety gate against outgoing requests, so the
  lexer errs on the side of seeing code: comments, strings and IRIs are skipped exactly as the
  grammar defines them (including ``\\u`` escapes inside IRIs, which oxigraph accepts), and any
  spelling oxigraph's PEG parser could read as the SERVICE keyword is caught, including glued
  forms such as ``trueSERVICE <x>``, ``SERVICE:x`` (keyword + empty-prefix name) or
  ``service:x {`` (oxigraph backtracks from the prefixed name to the keyword). The price is that a
  prefix *named* like ``service:`` used just before ``{`` is refused with an explanation.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple
from urllib.parse import urljoin

from publisher.sparql.errors import MalformedQuery, ServiceRefused, UpdateRefused

__all__ = [
    "MAX_NESTING",
    "MAX_OPERATORS",
    "Clause",
    "QueryForm",
    "QueryInfo",
    "ServiceCall",
    "Token",
    "analyse",
    "check_services",
    "check_structure",
    "classify",
    "dataset_clauses",
    "malformed_from_syntax_error",
    "tokenize",
]


class QueryForm(enum.StrEnum):
    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"

    @property
    def returns_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE return RDF graphs; SELECT and ASK return SPARQL results."""
        return self in (QueryForm.CONSTRUCT, QueryForm.DESCRIBE)


UPDATE_KEYWORDS = (
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
)  # fmt: skip

#: Most brackets ``{ ( [`` open at once (oxigraph's worker crashes at ~2,500).
MAX_NESTING = 100
#: Most operator tokens in a query (``+ - * / | & ! ^ = < >`` and ``UNION``; ``||`` counts 2).
MAX_OPERATORS = 3000
_OPENING, _CLOSING = frozenset("{(["), frozenset("})]")
_OPERATORS = frozenset("+-*/|&!^=<>")

_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ESC = rf"""(?:\\[tbnrf"'\\]|{_UCHAR})"""
_PN_ESC = r"""\\[_~.\-!$&'()*+,;=/?#@%]"""
_TOKEN_RE = re.compile(
    rf"""
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<string>\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ESC}))*\"\"\"
              | '''(?:(?:'|'')?(?:[^'\\]|{_ESC}))*'''
              | "(?:[^"\\\n\r]|{_ESC})*"
              | '(?:[^'\\\n\r]|{_ESC})*')
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F\u2040]+)
  | (?P<number>[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?
              | [0-9]+\.[0-9]*[eE][+-]?[0-9]+
              | [0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<word>(?:[^\W\d]|:)(?:[\w.:\-\u00B7\u0300-\u036F\u203F\u2040]|%[0-9A-Fa-f]{{2}}|{_PN_ESC})*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UCHAR_RE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PN_ESC_RE = re.compile(r"\\(.)")
_OXIGRAPH_POSITION = re.compile(r"^error at (\d+):(\d+):\s*(.*)$", re.DOTALL)


class Token(NamedTuple):
    """A lexical token: kind is iri, string, var, number, word, pname or punct. (A named tuple:
    the lexer makes one per token of every query, and a tuple is made ~5× faster than a frozen
    dataclass; see benchmarks/README.md.)"""

    kind: str
    text: str
    offset: int

    @property
    def upper(self) -> str:
        return self.text.upper()


_SKIPPED = frozenset({"ws", "comment"})


def tokenize(query: str) -> list[Token]:
    """Split ``query`` into tokens, dropping whitespace and comments.

    A quote that does not open a well-formed string literal raises :class:`MalformedQuery` (it is a
    syntax error for oxigraph too), which also keeps the lexer linear on hostile input.
    """
    tokens: list[Token] = []
    append = tokens.append
    for m in _TOKEN_RE.finditer(query):  # the punct branch matches any char: no gap
        kind = m.lastgroup
        if kind in _SKIPPED:
            continue
        text, pos = m.group(), m.start()
        if kind == "word":
            # a prefixed name or keyword never ends with '.' (that dot ends the triple); the
            # dots cut off are punctuation (a '.' before a non-name character is nothing else)
            cut = text
            while cut.endswith(".") and not cut.endswith("\\."):
                cut = cut[:-1]
            append(Token("pname" if ":" in cut else "word", cut, pos))
            for k in range(len(cut), len(text)):
                append(Token("punct", ".", pos + k))
        elif kind == "punct" and text in "'\"":
            line, column = position(query, pos)
            raise MalformedQuery(
                f"Unterminated string literal (or invalid escape) at line {line}, column {column}",
                line=line,
                column=column,
            )
        else:
            append(Token(kind or "punct", text, pos))
    return tokens


def position(query: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset, counting columns in characters."""
    line = query.count("\n", 0, offset) + 1
    return line, offset - (query.rfind("\n", 0, offset) + 1) + 1


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """A SERVICE clause; ``iri`` is None when the endpoint is not statically known."""

    iri: str | None
    line: int
    column: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Clause:
    """A FROM / FROM NAMED clause: its IRI (None: not a constant) and where the IRI is."""

    named: bool
    iri: str | None
    keyword: int  # offset of FROM
    start: int  # offsets of the IRI
    end: int


@dataclass(frozen=True, slots=True)
class QueryInfo:
    form: QueryForm
    base_iri: str | None
    prefixes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    services: tuple[ServiceCall, ...] = ()
    #: the query's FROM / FROM NAMED clauses; empty: the query names no dataset
    dataset: tuple[Clause, ...] = ()


def iri_value(token: Token) -> str:
    return _UCHAR_RE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), token.text[1:-1])


def resolve_iri(iri: str, base: str | None) -> str | None:
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri):
        return iri
    if base is None:
        return None
    ref, hash_, fragment = iri.partition("#")  # urljoin drops an empty fragment ("ns#")
    base = base.partition("#")[0]
    joined = (urljoin(base, ref) if ref else base) + hash_ + fragment
    return joined if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", joined) else None


def expand_pname(pname: str, prefixes: Mapping[str, str]) -> str | None:
    prefix, _, local = pname.partition(":")
    if prefix not in prefixes:
        return None
    return prefixes[prefix] + _PN_ESC_RE.sub(r"\1", local)


def _malformed(query: str, token: Token | None, message: str) -> MalformedQuery:
    if token is None:
        return MalformedQuery(f"{message} at the end of the query")
    line, column = position(query, token.offset)
    return MalformedQuery(f"{message} at line {line}, column {column}", line=line, column=column)


def classify(query: str) -> QueryInfo:
    """Read the prologue, the query form and the SERVICE clauses of ``query``.

    Raises :class:`UpdateRefused` for SPARQL Update and :class:`MalformedQuery` when no query form
    follows the prologue. Everything else about syntax is left to pyoxigraph in the worker.
    """
    tokens = tokenize(query)
    check_structure(query, tokens)
    base: str | None = None
    prefixes: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "word" and tok.upper == "BASE":
            iri = tokens[i + 1] if i + 1 < len(tokens) else None
            if iri is None or iri.kind != "iri":
                raise _malformed(query, iri, "BASE must be followed by an IRI")
            base = resolve_iri(iri_value(iri), base) or base
            i += 2
        elif tok.kind in ("word", "pname") and tok.upper.startswith("PREFIX"):
            # oxigraph accepts "PREFIX ex: <…>", "PREFIX:<…>" and even "PREFIXex:<…>"
            ns, i = (tok.text[6:], i + 1) if len(tok.text) > 6 else (None, i + 1)
            if ns is None:
                nxt = tokens[i] if i < len(tokens) else None
                if nxt is None or nxt.kind != "pname" or not nxt.text.endswith(":"):
                    raise _malformed(query, nxt, "PREFIX must be followed by a prefix name")
                ns, i = nxt.text, i + 1
            iri = tokens[i] if i < len(tokens) else None
            if iri is None or iri.kind != "iri" or not ns.endswith(":"):
                raise _malformed(query, iri, "PREFIX must be followed by a prefix name and an IRI")
            prefixes[ns[:-1]] = resolve_iri(iri_value(iri), base) or iri_value(iri)
            i += 1
        else:
            break
    head = tokens[i] if i < len(tokens) else None
    if head is None:
        raise _malformed(query, None, "Expected SELECT, CONSTRUCT, DESCRIBE or ASK")
    keyword = head.upper if head.kind in ("word", "pname") else ""
    for op in UPDATE_KEYWORDS:
        if keyword.startswith(op):
            raise UpdateRefused(
                f"SPARQL Update ({op}) is not allowed: this is a read-only query endpoint",
                operation=op,
            )
    form = next((f for f in QueryForm if keyword.startswith(f.value)), None)
    if form is None:
        raise _malformed(query, head, "Expected SELECT, CONSTRUCT, DESCRIBE or ASK")
    services = tuple(_find_services(query, tokens, i + 1, base, prefixes))
    info = QueryInfo(form, base, MappingProxyType(prefixes), services)
    return QueryInfo(form, base, info.prefixes, services, tuple(dataset_clauses(tokens, info)))


def dataset_clauses(tokens: list[Token], info: QueryInfo) -> list[Clause]:
    """The FROM / FROM NAMED clauses among ``tokens`` (a FROM keyword is never anything else:
    variables, prefixed names, strings and IRIs are tokens of their own)."""
    clauses: list[Clause] = []
    for i, tok in enumerate(tokens):
        if tok.kind != "word" or tok.upper != "FROM":
            continue
        j, named = i + 1, False
        if j < len(tokens) and tokens[j].kind == "word" and tokens[j].upper == "NAMED":
            j, named = j + 1, True
        ref = tokens[j] if j < len(tokens) else None
        if ref is None or ref.kind not in ("iri", "pname"):
            continue  # not a dataset clause the engine could read: its own parser says so
        iri = (resolve_iri(iri_value(ref), info.base_iri) if ref.kind == "iri"
               else expand_pname(ref.text, info.prefixes))
        clauses.append(Clause(named, iri, tok.offset, ref.offset, ref.offset + len(ref.text)))
    return clauses


def check_structure(query: str, tokens: list[Token]) -> None:
    """:class:`MalformedQuery` (400) for a query nested deeper than :data:`MAX_NESTING` or with
    more than :data:`MAX_OPERATORS` operators: the engine would crash on it (see above)."""
    depth = operators = 0
    for tok in tokens:
        if tok.kind == "punct":
            if tok.text in _OPENING:
                depth += 1
                if depth > MAX_NESTING:
                    raise _malformed(query, tok, f"Query nested too deeply (more than "
                                     f"{MAX_NESTING} open brackets)")
            elif tok.text in _CLOSING:
                depth -= 1
            elif tok.text in _OPERATORS:
                operators += 1
        elif tok.kind == "word" and tok.upper == "UNION":
            operators += 1
        if operators > MAX_OPERATORS:
            raise _malformed(query, tok, f"Query too long an expression (more than "
                             f"{MAX_OPERATORS} operators; use VALUES for long lists)")


_NOT_SERVICE_CONTEXT = frozenset({"GRAPH", "FROM", "NAMED", "DESCRIBE"})


def _find_services(
    query: str, tokens: list[Token], start: int, base: str | None, prefixes: Mapping[str, str]
) -> list[ServiceCall]:
    calls: list[ServiceCall] = []

    def add(tok: Token, targets: list[str | None], reason: str = "") -> None:
        line, column = position(query, tok.offset)
        calls.extend(ServiceCall(t, line, column, reason) for t in targets)

    for k in range(start, len(tokens)):
        tok, low = tokens[k], tokens[k].text.lower()
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if tok.kind == "word" and "service" in low:
            tail = low[low.rfind("service") + 7 :]
            if tail not in ("", "silent"):
                add(tok, [None], f"'{tok.text}' may be read as the SERVICE keyword")
                continue
            if tail == "" and nxt is not None and nxt.kind == "word" and nxt.upper == "SILENT":
                nxt = tokens[k + 2] if k + 2 < len(tokens) else None
            add(tok, _targets(nxt, base, prefixes))
        elif tok.kind == "pname" and nxt is not None and nxt.text == "{":
            prefix, _, local = tok.text.partition(":")
            plow = prefix.lower()
            prev = tokens[k - 1].upper if k > start else ""
            if "service" not in plow or prev in _NOT_SERVICE_CONTEXT:
                continue
            tail = plow[plow.rfind("service") + 7 :]
            if tail not in ("", "silent"):
                add(tok, [None], f"'{tok.text}' may be read as the SERVICE keyword")
            else:
                add(tok, [expand_pname(":" + local, prefixes)],
                    f"'{tok.text}' is read by oxigraph as SERVICE followed by ':{local}'")  # fmt: skip
    return calls


def _targets(tok: Token | None, base: str | None, prefixes: Mapping[str, str]) -> list[str | None]:
    """Every endpoint oxigraph could read from the token after SERVICE (or SERVICE SILENT)."""
    if tok is None:
        return [None]
    if tok.kind == "iri":
        return [resolve_iri(iri_value(tok), base)]
    if tok.kind == "pname":
        found: list[str | None] = [expand_pname(tok.text, prefixes)]
        if tok.upper.startswith("SILENT"):  # "SERVICE SILENT:x" is SERVICE SILENT + ":x"
            found.append(expand_pname(tok.text[6:], prefixes))
        return found
    return [None]


def check_services(info: QueryInfo, allow_list: frozenset[str]) -> None:
    """Raise :class:`ServiceRefused` unless every SERVICE endpoint is in ``allow_list``."""
    for call in info.services:
        if call.iri is not None and call.iri in allow_list:
            continue
        where = f"line {call.line}, column {call.column}"
        if call.iri is None:
            detail = call.reason or "its endpoint is not a constant IRI"
            message = f"SERVICE at {where} is not allowed: {detail}"
        elif not allow_list:
            message = (
                f"SERVICE <{call.iri}> at {where} is not allowed: "
                "this endpoint does not make requests to other endpoints"
            )
        else:
            message = f"SERVICE <{call.iri}> at {where} is not allowed: endpoint not allow-listed"
        raise ServiceRefused(message, iri=call.iri)


def analyse(query: str, service_allow_list: frozenset[str] = frozenset()) -> QueryInfo:
    """:func:`classify` then :func:`check_services`: everything checked before execution."""
    info = classify(query)
    check_services(info, service_allow_list)
    return info


def malformed_from_syntax_error(message: str) -> MalformedQuery:
    """Turn pyoxigraph's ``SyntaxError`` text (``error at L:C: expected …``) into MalformedQuery."""
    m = _OXIGRAPH_POSITION.match(message.strip())
    if m is None:
        return MalformedQuery(f"Syntax error: {message}")
    line, column = int(m.group(1)), int(m.group(2))
    return MalformedQuery(
        f"Syntax error at line {line}, column {column}: {m.group(3)}", line=line, column=column
    )
