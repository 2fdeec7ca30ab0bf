"""``cmq publish`` into REAL stores (Oxigraph server, Virtuoso) on loopback ports: graphs, count
verification, atomic switch, pruning, resume after the store was killed mid-publish, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph
from store_fixtures import (
    CampusReleases,
    StoreProcess,
    assert_same_data,
    start_store,
    synthetic_release,
)

from publisher.project.settings import load_settings
from publisher.release import model as rm
from publisher.release.manifest import read_release
from publisher.remote import layout
from publisher.remote.publish import (
    PublishError,
    PublishOptions,
    publish_release,
    read_acked,
    state_file,
)
from publisher.remote.store import RemoteStore, open_store
from publisher.sparql.errors import StoreAuthError, StoreUnavailable

_CMQ = "import sys; from publisher.cli.main import main; sys.exit(main())"
FAST = PublishOptions(retries=1, backoff_s=0.05, chunk_triples=400)


def connect(s: StoreProcess, **env: str) -> RemoteStore:
    return open_store(load_settings(store=s.url), {**s.env, **env})


@pytest.fixture
def remote(store: StoreProcess) -> Iterator[RemoteStore]:
    with connect(store) as r:
        yield r


def base_of(folder: Path) -> str:
    return read_release(folder).config.base_iri


def store_graph(remote: RemoteStore, graph: str) -> Graph:
    r = remote.request("query", "POST", "test", timeout_s=30, headers={
        "Accept": "application/n-triples"},
        data={"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"})
    return Graph().parse(data=r.content, format="nt")


def cmq(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CMQ_")}
    return subprocess.run([sys.executable, "-c", _CMQ, *args], capture_output=True, text=True,
                          env={**clean, **(env or {})}, timeout=300, check=False)


# ------------------------------------------------------------------ the normal path


def test_publish_loads_every_graph_and_makes_it_current(
        store: StoreProcess, remote: RemoteStore, campus_releases: CampusReleases) -> None:
    folder = campus_releases.first
    info = read_release(folder)
    report = publish_release(remote, folder, FAST)
    assert report.status in ("published", "unchanged") and report.release_id == info.release_id
    assert layout.read_current(remote, info.config.base_iri) == info.release_id
    graphs = layout.ReleaseGraphs(info.config.base_iri, info.release_id)
    assert remote.count(graphs.data, "test") == info.triples
    assert_same_data(store.kind, store_graph(remote, graphs.data),
                     Graph().parse(folder / rm.DATA_NT, format="nt"))
    for name, file in (("ontology", rm.ONTOLOGY_TTL), ("void", rm.VOID_TTL)):
        assert_same_data(store.kind, store_graph(remote, graphs.side(name)),
                         Graph().parse(folder / file, format="turtle"))
    assert not state_file(folder, remote, graphs.data).exists()  # progress file removed


def test_publishing_the_current_release_again_changes_nothing(
        store: StoreProcess, remote: RemoteStore, campus_releases: CampusReleases) -> None:
    folder = campus_releases.first
    publish_release(remote, folder, FAST)
    again = publish_release(remote, folder, FAST)
    assert again.status == "unchanged" and again.chunks == 0
    assert layout.read_current(remote, base_of(folder)) == folder.name


def test_new_release_switches_prunes_and_rollback_only_switches(
        store: StoreProcess, remote: RemoteStore, campus_releases: CampusReleases) -> None:
    first, second = campus_releases.first, campus_releases.second
    base = base_of(first)
    publish_release(remote, first, FAST)
    report = publish_release(remote, second, FAST)
    assert report.status == "published" and report.previous_id == first.name
    assert layout.read_current(remote, base) == second.name
    back = publish_release(remote, first, FAST)  # rollback: still loaded, only switched
    assert back.status == "switched" and back.previous_id == second.name
    assert layout.read_current(remote, base) == first.name
    third = synthetic_release(first, campus_releases.releases, 1000, "prune")
    pruned = publish_release(remote, third, PublishOptions(keep=2, chunk_triples=400,
                                                           retries=1, backoff_s=0.05))
    # keep=2: the new current one and the newest other by build time; "first", the oldest
    # build (and the previous current release), goes
    assert first.name in pruned.pruned and third.name not in pruned.pruned
    kept = [v.release_id for v in layout.read_versions(remote, base)]
    assert len(kept) == 2 and third.name in kept
    assert remote.count(layout.ReleaseGraphs(base, first.name).data, "test") == 0
    assert layout.read_current(remote, base) == third.name


def test_a_wrong_count_after_resuming_restarts_from_zero(
        store: StoreProcess, remote: RemoteStore, campus_releases: CampusReleases) -> None:
    folder = synthetic_release(campus_releases.first, campus_releases.releases, 2000, "wiped")
    info = read_release(folder)
    graphs = layout.ReleaseGraphs(info.config.base_iri, info.release_id)
    remote.update(f"DROP SILENT GRAPH <{graphs.data}>", "test")
    # a progress file claiming every chunk was acknowledged, for a store that has nothing
    state = state_file(folder, remote, graphs.data)
    state.parent.mkdir(parents=True, exist_ok=True)
    digest = next(f.sha256 for f in info.files if f.name == rm.DATA_NT)
    state.write_text(json.dumps({"release_id": info.release_id, "graph": graphs.data,
                                 "chunk_triples": 400, "sha256": digest, "acked": 5}))
    report = publish_release(remote, folder, FAST)
    assert report.resumed_from == 5 and report.restarted
    assert remote.count(graphs.data, "test") == 2000
    assert layout.read_current(remote, info.config.base_iri) == info.release_id


# ------------------------------------------------------------------ faults


@pytest.mark.external
@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_store_killed_during_publish_keeps_the_old_release_and_resume_works(
        kind: str, tmp_path: Path, campus_releases: CampusReleases) -> None:
    first = campus_releases.first
    big = synthetic_release(first, campus_releases.releases, 12_000, f"big-{kind}")
    base = base_of(first)
    with start_store(kind, tmp_path / kind) as s, connect(s) as remote:
        publish_release(remote, first, FAST)
        acked: list[int] = []

        def kill_after_third(number: int, total: int) -> None:
            acked.append(number)
            if number == 3:
                s.kill()

        opts = PublishOptions(chunk_triples=1000, retries=2, backoff_s=0.05,
                              on_chunk=kill_after_third)
        with pytest.raises(PublishError) as failed:
            publish_release(remote, big, opts)
        message = failed.value.message
        assert acked == [1, 2, 3]
        assert "3/12" in message and first.name in message and "unreachable" in message
        assert read_acked(state_file(big, remote, layout.ReleaseGraphs(base, big.name).data),
                          {"release_id": big.name}) == 3
        s.restart()
        assert layout.read_current(remote, base) == first.name  # readers still see the old one
        report = publish_release(remote, big, PublishOptions(chunk_triples=1000, retries=2,
                                                             backoff_s=0.05))
        assert report.resumed_from == 3 and report.status == "published"
        assert layout.read_current(remote, base) == big.name
        assert remote.count(layout.ReleaseGraphs(base, big.name).data, "test") == 12_000


def test_cli_publish_and_its_json(store: StoreProcess, campus_releases: CampusReleases) -> None:
    root = str(campus_releases.project.root)
    out = cmq("--project", root, "publish", "--store", store.url, "--release",
              campus_releases.second.name, "--json", env=store.env)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["ok"] and payload["release_id"] == campus_releases.second.name
    assert payload["status"] in ("published", "switched", "unchanged")


def test_cli_store_down_says_so_and_exits_4(campus_releases: CampusReleases) -> None:
    from server_fixtures import free_port

    url = f"http://127.0.0.1:{free_port()}"
    out = cmq("--project", str(campus_releases.project.root), "publish", "--store", url,
              "--setting", "store_dialect", "oxigraph", "--retries", "1", "--backoff", "0.01")
    assert out.returncode == 4
    assert "unreachable" in out.stderr and "Traceback" not in out.stderr
    dead = open_store(load_settings(store=url, store_dialect="oxigraph"), {})
    with dead, pytest.raises(StoreUnavailable):
        layout.read_current(dead, "https://example.org/")


def test_wrong_password_is_a_clear_message_without_the_secret(
        store: StoreProcess, campus_releases: CampusReleases, tmp_path: Path) -> None:
    if store.kind != "virtuoso":
        pytest.skip("Oxigraph server has no authentication of its own")
    secret = "pa55-not-this-one-4b8e"
    folder = synthetic_release(campus_releases.first, campus_releases.releases, 50, "auth")
    env = {"CMQ_STORE_USER": "dba", "CMQ_STORE_PASSWORD": secret}
    out = cmq("--project", str(campus_releases.project.root), "publish", "--store", store.url,
              "--release", folder.name, "--retries", "0", env=env)
    assert out.returncode == 4
    assert "refused the credentials" in out.stderr and "'dba'" in out.stderr
    assert secret not in out.stdout + out.stderr
    with connect(store, CMQ_STORE_PASSWORD=secret) as remote:
        with pytest.raises(PublishError) as failed:
            publish_release(remote, folder, PublishOptions(retries=3, backoff_s=5.0))
        assert isinstance(failed.value.__cause__, StoreAuthError)  # not retried: no waiting
        assert secret not in failed.value.message and secret not in repr(remote.credentials)
    # the same through a netrc file; a file others can read is refused
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login dba password {secret}\n")
    netrc.chmod(0o644)
    out = cmq("--project", str(campus_releases.project.root), "publish", "--store", store.url,
              "--setting", "store_credentials", str(netrc), "--release", folder.name)
    assert out.returncode == 2 and "chmod 600" in out.stderr and secret not in out.stderr
    netrc.chmod(0o600)
    out = cmq("--project", str(campus_releases.project.root), "publish", "--store", store.url,
              "--setting", "store_credentials", str(netrc), "--release", folder.name,
              "--retries", "0")
    assert out.returncode == 4 and "netrc" in out.stderr and secret not in out.stderr


def test_credentials_in_the_url_are_refused_and_not_echoed(
        campus_releases: CampusReleases) -> None:
    out = cmq("--project", str(campus_releases.project.root), "publish", "--store",
              "http://dba:hunter2-xyz@127.0.0.1:9/")
    assert out.returncode == 2 and "hunter2-xyz" not in out.stdout + out.stderr
    assert "CMQ_STORE_USER" in out.stderr


def test_store_that_is_not_a_store_is_named(campus_releases: CampusReleases) -> None:
    out = cmq("--project", str(campus_releases.project.root), "publish", "--store",
              "http://127.0.0.1:9/", "--setting", "store_dialect", "nosuchstore")
    assert out.returncode == 2 and "nosuchstore" in out.stderr


def test_a_release_without_campus_nt_is_refused_before_any_request(
        campus_releases: CampusReleases) -> None:
    from server_fixtures import free_port

    folder = synthetic_release(campus_releases.first, campus_releases.releases, 10, "national")
    (folder / rm.DATA_NT).unlink()  # as a national release (campus.nq) would be
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: no request may be needed
    with open_store(load_settings(store=url, store_dialect="oxigraph"), {}) as remote, \
            pytest.raises(PublishError, match="campus.nq"):
        publish_release(remote, folder, FAST)
