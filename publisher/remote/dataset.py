"""Which graphs a query to a remote store may see, and the query text that says so.

Private to :mod:`publisher.remote.engine` (docs/decisions/0011-remote-stores.md): the release's
dataset with its aliases, the query's FROM / FROM NAMED clauses (found by
:func:`publisher.sparql.parse.dataset_clauses`, as for the embedded engine; rewritten onto the
release's graphs), the undeclared-prefix check,
and whether part of a graph answer is part of the whole answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from publisher.sparql.errors import MalformedQuery
from publisher.sparql.parse import (
    Clause,
    QueryInfo,
    Token,
    dataset_clauses,
    position,
    tokenize,
)

__all__ = ["Clause", "StoreDataset", "check_prefixes", "dataset_clauses", "rewrite", "set_like"]


@dataclass(frozen=True)
class StoreDataset:
    """What queries may see: ``default`` graphs (merged), ``named`` graphs, the client-visible
    ``aliases`` of some of them, and an ``empty`` graph IRI nothing is written to."""

    default: tuple[str, ...]
    named: tuple[str, ...]
    aliases: Mapping[str, str]
    empty: str

    def resolve(self, iri: str) -> str:
        if iri in self.aliases:
            return self.aliases[iri]
        return iri if iri in self.default or iri in self.named else self.empty


def check_prefixes(query: str, tokens: list[Token], info: QueryInfo) -> None:
    """An undeclared prefix is a syntax error in SPARQL 1.1 (as in the embedded engine); some
    stores predeclare their own (Virtuoso's ``bif:`` and ``sql:`` call built-in procedures)."""
    for tok in tokens:
        if tok.kind == "pname":
            prefix = tok.text.partition(":")[0]
            if prefix not in info.prefixes and not tok.upper.startswith("PREFIX"):
                line, column = position(query, tok.offset)
                raise MalformedQuery(f"Undeclared prefix '{prefix}:' at line {line}, column "
                                     f"{column}", line=line, column=column)


def rewrite(query: str, clauses: list[Clause], dataset: StoreDataset, *, drop: bool) -> str:
    """The query with each FROM / FROM NAMED IRI replaced by the release graph it means, or
    with the clauses blanked out (``drop``: the protocol's dataset wins). Some stores, Virtuoso
    among them, read FROM even when the protocol names the dataset."""
    out, last = [], 0
    for c in clauses:
        if drop:
            out += [query[last:c.keyword], " " * (c.end - c.keyword)]
        else:
            out += [query[last:c.start],
                    f"<{dataset.resolve(c.iri) if c.iri else dataset.empty}>"]
        last = c.end
    return "".join(out) + query[last:]


#: Keywords after which a part of a graph result is not a part of the whole result
#: (aggregates, sub-queries, ordering and slicing).
NOT_SET_LIKE = frozenset({"SELECT", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "COUNT",
                           "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})


def set_like(query: str) -> bool:
    """True when any triples of a CONSTRUCT/DESCRIBE answer are triples of its full answer, so
    a store's partial answer holding more than the row cap can stand as a truncated one."""
    return not any(t.kind == "word" and t.upper in NOT_SET_LIKE for t in tokenize(query))
