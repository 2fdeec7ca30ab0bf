"""Store endpoints, dialects and credentials (plain functions), and RemoteStore against REAL
stores: detection by the Server header, error statuses, no secret in any message."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from server_fixtures import free_port
from store_fixtures import StoreProcess

from publisher.project.settings import SettingError, load_settings
from publisher.remote.credentials import Credentials, CredentialsError, load_credentials
from publisher.remote.dialects import (
    DIALECTS,
    StoreConfigError,
    detect,
    dialect_named,
    endpoints,
)
from publisher.remote.store import open_store
from publisher.remote.stream import Abort as _Abort
from publisher.remote.stream import Body as _Body
from publisher.sparql.errors import StoreAuthError, StoreError, StoreUnavailable

SECRET = "correct-horse-battery-9f2"


# ------------------------------------------------------------------ dialects and endpoints


def test_dialect_endpoints_and_explicit_overrides() -> None:
    ox = endpoints("http://h:7878/", dialect_named("oxigraph"))
    assert (ox.query, ox.update, ox.gsp) == ("http://h:7878/query", "http://h:7878/update",
                                             "http://h:7878/store")
    vt = endpoints("http://h:8890", dialect_named("Virtuoso"))
    assert (vt.query, vt.update, vt.gsp) == ("http://h:8890/sparql", "http://h:8890/sparql-auth",
                                             "http://h:8890/sparql-graph-crud-auth")
    assert vt.dialect.auth == "digest" and vt.dialect.anonymous_query
    mixed = endpoints("http://h:8890", dialect_named("virtuoso"), update="http://u/upd")
    assert mixed.update == "http://u/upd" and mixed.query == "http://h:8890/sparql"
    generic = endpoints("", dialect_named("generic"), "http://q/sparql", "", "http://g/data")
    assert (generic.query, generic.update, generic.gsp) == ("http://q/sparql", None,
                                                             "http://g/data")
    with pytest.raises(StoreConfigError):
        endpoints("", dialect_named("generic"))
    with pytest.raises(StoreConfigError, match="nosuch"):
        dialect_named("nosuch")


@pytest.mark.parametrize(("header", "name"), [
    ("Oxigraph/0.5.13", "oxigraph"), ("Virtuoso/07.20.3229 (Linux) x86_64", "virtuoso"),
    ("Apache Jena Fuseki (5.1.0)", "fuseki"), ("nginx", None), ("", None)])
def test_detect_from_the_server_header(header: str, name: str | None) -> None:
    found = detect(header)
    assert (found.name if found else None) == name


def test_only_the_tested_dialects_say_so() -> None:
    assert {d.name for d in DIALECTS.values() if d.tested} == {"oxigraph", "virtuoso"}


def test_credentials_in_a_store_url_are_refused_without_echo() -> None:
    with pytest.raises(SettingError) as bad:
        load_settings(store=f"http://dba:{SECRET}@127.0.0.1:8890")
    assert SECRET not in bad.value.message and "CMQ_STORE_USER" in bad.value.message
    with pytest.raises(SettingError):
        load_settings(store="ftp://127.0.0.1/")


# ------------------------------------------------------------------ credentials


def test_credentials_from_the_environment() -> None:
    found = load_credentials("h", 1, env={"CMQ_STORE_USER": "u", "CMQ_STORE_PASSWORD": SECRET,
                                          "HOME": "/nonexistent"})
    assert found == Credentials("u", SECRET, found.source if found else "")
    assert found is not None and SECRET not in repr(found) + str(found)
    with pytest.raises(CredentialsError):
        load_credentials("h", 1, env={"CMQ_STORE_USER": "u", "HOME": "/nonexistent"})
    assert load_credentials("h", 1, env={"HOME": "/nonexistent"}) is None


def test_credentials_from_a_netrc_file(tmp_path: Path) -> None:
    netrc = tmp_path / "creds"
    netrc.write_text(f"machine h:8890 login a password {SECRET}\n"
                     "machine h login b password other\n"
                     "default login c password third\n")
    netrc.chmod(0o600)
    env = {"HOME": "/nonexistent"}
    by_port = load_credentials("h", 8890, str(netrc), env)
    assert by_port is not None and (by_port.user, by_port.password) == ("a", SECRET)
    by_host = load_credentials("h", 7878, str(netrc), env)
    assert by_host is not None and by_host.user == "b"
    fallback = load_credentials("elsewhere", None, str(netrc), env)
    assert fallback is not None and fallback.user == "c"
    assert load_credentials("h", 8890, "", {"NETRC": str(netrc)}) == by_port
    netrc.chmod(0o640)
    with pytest.raises(CredentialsError, match="chmod 600"):
        load_credentials("h", 8890, str(netrc), env)


def test_an_unreadable_netrc_does_not_quote_its_secret(tmp_path: Path) -> None:
    netrc = tmp_path / "creds"
    netrc.write_text(f"machine h login a password {SECRET} bogus-token\n")
    netrc.chmod(0o600)
    with pytest.raises(CredentialsError) as bad:
        load_credentials("h", None, str(netrc), {"HOME": "/nonexistent"})
    assert SECRET not in bad.value.message
    with pytest.raises(CredentialsError, match="not found"):
        load_credentials("h", None, str(tmp_path / "absent"), {})


# ------------------------------------------------------------------ streamed bodies


@pytest.mark.parametrize("size", [1, 2, 5, 7, 64])
def test_body_fix_works_across_chunk_boundaries(size: int) -> None:
    text = (b"<sparql><bnode>nodeID://b1</bnode><uri>nodeID://x</uri>"
            b"<bnode>nodeID://b22</bnode></sparql>")
    chunks = iter([text[i:i + size] for i in range(0, len(text), size)])
    body = _Body(chunks, _Abort(), [(b"<bnode>nodeID://", b"<bnode>"), (b"^^<a#G>", b"^^<b#W>")])
    assert body.read() == (b"<sparql><bnode>b1</bnode><uri>nodeID://x</uri>"
                           b"<bnode>b22</bnode></sparql>")
    text = b'<a> <p> "POINT(1 2)"^^<a#G> .\n<a> <q> "^^<a#G"^^<a#G> .\n'
    chunks = iter([text[i:i + size] for i in range(0, len(text), size)])
    body = _Body(chunks, _Abort(), [(b"<bnode>nodeID://", b"<bnode>"), (b"^^<a#G>", b"^^<b#W>")])
    assert body.read() == b'<a> <p> "POINT(1 2)"^^<b#W> .\n<a> <q> "^^<a#G"^^<b#W> .\n'


def test_an_aborted_body_stops_reading() -> None:
    abort = _Abort()
    body = _Body(itertools.repeat(b"x" * 10), abort)
    assert body.read(5) == b"xxxxx"
    abort.fire("deadline")
    body.read(5)  # what was already received
    with pytest.raises(OSError, match="deadline"):
        body.read(5)


# ------------------------------------------------------------------ against real stores


def test_the_dialect_is_recognised(store: StoreProcess) -> None:
    with open_store(load_settings(store=store.url), {}) as remote:
        assert remote.dialect.name == store.kind
        assert remote.select("SELECT (1 AS ?one) WHERE {}", "test")[0]["one"].value == "1"


def test_refusals_and_absences_have_their_status(store: StoreProcess) -> None:
    with open_store(load_settings(store=store.url), {}) as remote:
        with pytest.raises(StoreError) as bad:
            remote.select("SELECT WHERE {", "test")
        assert bad.value.status == 502 and bad.value.store_status == 400
        if store.kind == "virtuoso":  # writing needs credentials there
            with pytest.raises(StoreAuthError, match="requires credentials"):
                remote.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 1 } }", "test")
    if store.kind == "virtuoso":
        env = {"CMQ_STORE_USER": "dba", "CMQ_STORE_PASSWORD": SECRET}
        with open_store(load_settings(store=store.url), env) as remote, \
                pytest.raises(StoreAuthError) as refused:
            remote.put_graph("urn:g", b"<urn:a> <urn:b> 1 .\n", "application/n-triples", "test")
        assert refused.value.status == 502 and SECRET not in refused.value.message
        assert "refused the credentials of user 'dba'" in refused.value.message


def test_an_absent_store_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailable) as down:
        open_store(load_settings(store=url), {})  # auto-detection needs an answer
    assert down.value.status == 503 and url in down.value.message
