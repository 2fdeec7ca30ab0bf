"""Classification of SPARQL request strings (publisher.sparql.parse): no process, no network."""

from __future__ import annotations

import pyoxigraph
import pytest

from publisher.sparql.errors import MalformedQuery, ServiceRefused, UpdateRefused
from publisher.sparql.parse import (
    MAX_NESTING,
    QueryForm,
    analyse,
    check_services,
    classify,
    malformed_from_syntax_error,
    tokenize,
)

EVIL = "http://evil.example/sparql"
ALLOWED = "http://allowed.example/sparql"


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", QueryForm.SELECT),
        ("select distinct ?s { ?s ?p ?o }", QueryForm.SELECT),
        ("SELECTDISTINCT* { ?s ?p ?o }", QueryForm.SELECT),
        ("ASK { ?s ?p ?o }", QueryForm.ASK),
        ("ask{}", QueryForm.ASK),
        ("CONSTRUCT WHERE { ?s ?p ?o }", QueryForm.CONSTRUCT),
        ("DESCRIBE <http://example.org/a>", QueryForm.DESCRIBE),
        ("PREFIX ex: <http://example.org/>\nSELECT ?s { ?s a ex:C }", QueryForm.SELECT),
        ("PREFIX:<http://example.org/> PREFIXex:<http://e/> ASK { :a ?p ex:b }", QueryForm.ASK),
        (
            "BASE <http://example.org/> PREFIX ex: <ns#> CONSTRUCT { ?s ?p ?o } {}",
            QueryForm.CONSTRUCT,
        ),
        ("# SELECT in a comment\n# INSERT too\n  DESCRIBE ?s { ?s ?p ?o }", QueryForm.DESCRIBE),
    ],
)
def test_forms(query: str, form: QueryForm) -> None:
    assert classify(query).form is form


def test_prologue_is_read() -> None:
    info = classify(
        "BASE <http://example.org/base/>\nPREFIX ex: <ns#>\nPREFIX : <http://e/>\nASK {}"
    )
    assert info.base_iri == "http://example.org/base/"
    assert dict(info.prefixes) == {"ex": "http://example.org/base/ns#", "": "http://e/"}


@pytest.mark.parametrize(
    "update",
    [
        'INSERT DATA { <http://e/a> <http://e/b> "c" }',
        'insert data { <http://e/a> <http://e/b> "c" }',
        "DELETE WHERE { ?s ?p ?o }",
        "PREFIX ex: <http://example.org/>\nDELETE { ?s ?p ?o } WHERE { ?s ex:p ?o }",
        "# SELECT * { ?s ?p ?o }\n  # a comment\nDELETE DATA { <http://e/a> <http://e/b> <http://e/c> }",
        "BASE <http://e/> PREFIX : <x#> insert { :a :b :c } where {}",
        "LOAD <http://example.org/data.ttl>",
        "load silent <http://example.org/data.ttl> into graph <http://e/g>",
        "CLEAR ALL",
        "DROP GRAPH <http://example.org/g>",
        "CREATE GRAPH <http://example.org/g>",
        "ADD <http://e/a> TO <http://e/b>",
        "MOVE DEFAULT TO <http://e/g>",
        "COPY <http://e/a> TO <http://e/b>",
        "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "INSERT DATA { <http://e/a> <http://e/b> 1 } ; DROP ALL",
    ],
)
def test_updates_are_refused(update: str) -> None:
    with pytest.raises(UpdateRefused) as info:
        classify(update)
    assert info.value.status == 403
    assert "read-only" in info.value.message


@pytest.mark.parametrize("text", ["", "   ", "# only a comment", "HELLO world", "{ ?s ?p ?o }"])
def test_not_a_query(text: str) -> None:
    with pytest.raises(MalformedQuery) as info:
        classify(text)
    assert info.value.status == 400
    assert "SELECT" in info.value.message


def test_not_a_query_reports_position() -> None:
    with pytest.raises(MalformedQuery) as info:
        classify("PREFIX ex: <http://e/>\n  FROB ?x")
    assert (info.value.line, info.value.column) == (2, 3)
    assert "line 2, column 3" in info.value.message


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * WHERE {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service <{EVIL}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{EVIL}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ SERVICE<{EVIL}>{{ ?s ?p ?o }} }}",
        "PREFIX ex: <http://evil.example/> SELECT * { SERVICE ex:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "BASE <http://evil.example/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
        # spellings oxigraph's PEG parser reads as the keyword (checked against pyoxigraph 0.5)
        f"SELECT * WHERE {{ ?s ?p true SERVICE <{EVIL}> {{ }} }}",
        f"SELECT * WHERE {{ ?s ?p trueSERVICE <{EVIL}> {{ }} }}",
        f"SELECT * WHERE {{ ?s ?p 1.SERVICE <{EVIL}> {{ }} }}",
        f"SELECT * WHERE {{ ?s ?p 1SERVICE <{EVIL}> {{ }} }}",
        "PREFIX : <http://evil.example/> SELECT * { SERVICE:sparql { ?s ?p ?o } }",
        "PREFIX : <http://evil.example/> SELECT * { SERVICESILENT:sparql { ?s ?p ?o } }",
        "PREFIX : <http://evil.example/> PREFIX service: <http://x/> SELECT * { service:x { } }",
        f"SELECT * {{ ?s ?p ?o # comment ended by a carriage return\rSERVICE <{EVIL}> {{ }} }}",
        f"SELECT * {{ ?s ?p <http://e/a\\u0041#> . SERVICE <{EVIL}> {{ }} }}",
        f"SELECT * {{ ?s ?p ?o FILTER(?s<?o) SERVICE <{EVIL}> {{ }} }}",
    ],
)
def test_service_is_refused(query: str) -> None:
    assert classify(query).services
    with pytest.raises(ServiceRefused) as info:
        analyse(query)
    assert info.value.status == 403


@pytest.mark.parametrize(
    "query",
    [
        f'SELECT * WHERE {{ ?s ?p "SERVICE <{EVIL}> {{ }}" }}',
        f"SELECT * WHERE {{ ?s ?p 'service <{EVIL}> {{ }}' }}",
        f'SELECT * WHERE {{ ?s ?p """a\n SERVICE <{EVIL}> {{ }}\n "" " """ }}',
        f"SELECT * WHERE {{ ?s ?p ?o }} # SERVICE <{EVIL}> {{ }}",
        f"# SERVICE <{EVIL}>\nSELECT * WHERE {{ ?s ?p ?o }}",
        f'SELECT * WHERE {{ ?s ?p "a\\"SERVICE <{EVIL}> {{ }}" }}',
        "SELECT ?service WHERE { ?service a <http://example.org/Service> }",
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:hasService ex:service }",
        "PREFIX service: <http://e/> SELECT * WHERE { ?s ?p service:x }",
        "PREFIX service: <http://e/> SELECT * WHERE { GRAPH service:g { ?s ?p ?o } }",
        "SELECT * WHERE { ?s <http://example.org/service> ?o }",
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ?p ex:a\\#b . }",
    ],
)
def test_service_lookalikes_are_not_refused(query: str) -> None:
    info = analyse(query)
    assert info.services == ()


def test_allow_list() -> None:
    allow = frozenset({ALLOWED})
    ok = analyse(f"SELECT * {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}", allow)
    assert [c.iri for c in ok.services] == [ALLOWED]
    analyse("BASE <http://allowed.example/> SELECT * { SERVICE <sparql> { } }", allow)
    analyse("PREFIX a: <http://allowed.example/> ASK { SERVICE SILENT a:sparql { } }", allow)
    analyse("SELECT * { SERVICE <http://allowed.example/\\u0073parql> { } }", allow)
    with pytest.raises(ServiceRefused) as info:
        analyse(f"SELECT * {{ SERVICE <{ALLOWED}> {{ }} SERVICE <{EVIL}> {{ }} }}", allow)
    assert info.value.iri == EVIL
    assert "not allow-listed" in info.value.message
    with pytest.raises(ServiceRefused):
        analyse("SELECT * { SERVICE ?x { } }", allow)
    # "SERVICE SILENT:x" is SERVICE SILENT + ":x" for oxigraph: both readings must be allowed
    tricky = (
        "PREFIX SILENT: <http://allowed.example/> PREFIX : <http://evil.example/> "
        "SELECT * { SERVICE SILENT:sparql { } }"
    )
    with pytest.raises(ServiceRefused) as info:
        check_services(classify(tricky), allow)
    assert info.value.iri == EVIL


def test_tokenizer_keeps_strings_iris_and_escaped_names_whole() -> None:
    query = 'PREFIX ex: <http://e/#x> SELECT * { ?s ex:a\\#b \'it\'\'s\' ; ex:c """x"y""" } # end'
    kinds = [(t.kind, t.text) for t in tokenize(query)]
    assert ("iri", "<http://e/#x>") in kinds
    assert ("pname", "ex:a\\#b") in kinds
    assert ("string", '"""x"y"""') in kinds
    assert all(t.kind != "comment" for t in tokenize(query))
    assert kinds[-1] == ("punct", "}")


@pytest.mark.parametrize(
    "hostile",
    [
        'SELECT * { ?s ?p """' + 'a"b' * 20000 + " }",
        "SELECT * { ?s ?p " + '"\\' * 50000,
        "SELECT * { ?s ?p '" + "x\\q" * 50000 + "' }",
    ],
)
def test_unterminated_strings_are_malformed_and_cheap(hostile: str) -> None:
    # runs in the web server's thread: must stay linear (a quadratic lexer would take minutes)
    with pytest.raises(MalformedQuery) as info:
        tokenize(hostile)
    assert info.value.line == 1
    assert "Unterminated string" in info.value.message


def test_malformed_from_real_pyoxigraph_error() -> None:
    query = "SELECT * WHERE {\n  ?s ?p }"
    with pytest.raises(SyntaxError) as raised:
        pyoxigraph.Store().query(query)  # fails while parsing: nothing is evaluated
    error = malformed_from_syntax_error(str(raised.value))
    assert error.status == 400
    assert error.line == 2
    assert error.column is not None
    assert error.message.startswith(f"Syntax error at line 2, column {error.column}:")


def test_malformed_without_position() -> None:
    error = malformed_from_syntax_error("something odd")
    assert (error.line, error.column) == (None, None)
    assert "something odd" in error.message


@pytest.mark.parametrize(
    ("hostile", "words"),
    [
        ("SELECT * WHERE " + "{" * 5000 + "?s ?p ?o" + "}" * 5000, "nested too deeply"),
        ("SELECT * { ?s ?p ?o FILTER(" + "(" * 5000 + "?o" + ")" * 5000 + ") }",
         "nested too deeply"),
        ("SELECT * { ?s ?p " + "[ ?p " * 5000 + "?o" + " ]" * 5000 + " }", "nested too deeply"),
        ("SELECT (1" + "+1" * 8000 + " AS ?x) {}", "operators"),
        ("SELECT * { " + " UNION ".join(["{ ?s ?p ?o }"] * 8000) + " }", "operators"),
    ],
)
def test_queries_that_would_crash_the_engine_are_refused(hostile: str, words: str) -> None:
    # each of these kills an oxigraph worker with SIGSEGV (stack overflow in its parser or
    # evaluator): refused with 400 before any worker sees them
    with pytest.raises(MalformedQuery) as info:
        analyse(hostile)
    assert info.value.status == 400
    assert words in info.value.message


def test_deep_but_reasonable_queries_pass() -> None:
    at_limit = "SELECT * WHERE " + "{" * MAX_NESTING + "?s ?p ?o" + "}" * MAX_NESTING
    assert analyse(at_limit).form is QueryForm.SELECT
    values = "VALUES ?x { " + " ".join(f"<http://example.org/{i}>" for i in range(20000)) + " }"
    assert analyse(f"SELECT * {{ {values} }}").form is QueryForm.SELECT  # flat: no limit
    with pytest.raises(MalformedQuery):
        analyse(at_limit.replace("{", "{{", 1).replace("}", "}}", 1))
