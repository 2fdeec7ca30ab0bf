"""Careful HTTP downloads for ``cmq harvest``: http(s) only, bounded, conditional, cached.

:class:`Fetcher` downloads one URL at a time with an httpx client and these guarantees (see
docs/decisions/0014-harvest.md):

- only ``http`` and ``https`` URLs without credentials, checked on the first URL and on every
  redirect target (redirects are followed by hand, at most ``Limits.max_redirects``);
- every hop's host is resolved and all its addresses checked against an
  :class:`~publisher.harvest.addresses.AddressPolicy` (public addresses only by default), and the
  connection goes to the address checked (:mod:`publisher.harvest.addresses`);
- timeouts: httpx's per-phase timeouts (connect, read…) plus a total time per download;
- a byte limit per download: a ``Content-Length`` above it is refused before reading, a body is
  streamed to disk and abandoned as soon as it passes the limit. Only ``gzip`` transfer coding is
  asked for, and it is decoded here with a bounded ``zlib`` loop, so a small compressed body
  cannot expand past the limit in memory either;
- conditional requests: the ``ETag`` and ``Last-Modified`` of every download are kept in
  ``<cache>/index.json`` with the body; the next download of the URL sends ``If-None-Match`` /
  ``If-Modified-Since`` and a ``304`` reuses the cached body (re-hashed, so a damaged cache is
  noticed).

Every failure is a :class:`FetchError` whose ``reason`` is one of :data:`REASONS`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin

import httpx

from publisher import __version__
from publisher.core.errors import CmqError
from publisher.core.files import sha256_file
from publisher.harvest.addresses import (
    BAD_SCHEME,
    CREDENTIALS,
    FORBIDDEN_ADDRESS,
    AddressPolicy,
    AddressRefused,
    check_url,
    redact,
)

#: Why a download failed (``FetchError.reason``).
UNREACHABLE, TIMEOUT, HTTP_ERROR = "unreachable", "timeout", "http-error"
TOO_LARGE, TOO_MANY_REDIRECTS, BAD_RESPONSE = "too-large", "too-many-redirects", "bad-response"
REASONS = (BAD_SCHEME, UNREACHABLE, TIMEOUT, HTTP_ERROR, TOO_LARGE, TOO_MANY_REDIRECTS,
           BAD_RESPONSE, CREDENTIALS, FORBIDDEN_ADDRESS)
INDEX = "index.json"
USER_AGENT = f"cmq-harvest/{__version__} (+https://w3id.org/cmq/ontology)"
_CHUNK = 1 << 16
#: The names the cache writes: bodies, their decompressed copies, temporary files.
_OWN_FILE = re.compile(r"^([0-9a-f]{32}\.body(\.plain)?|\.body-.+|\.index-.+)$")


class FetchError(CmqError):
    """A download that failed; ``reason`` says why (one of :data:`REASONS`)."""

    status = 502

    def __init__(self, reason: str, url: str, message: str) -> None:
        url = redact(url)  # credentials are never printed nor stored
        super().__init__(f"{url}: {message}")
        self.reason = reason
        self.url = url
        self.detail = message


@dataclass(frozen=True)
class Limits:
    """Bounds of every download (bytes are counted after transfer decoding)."""

    max_bytes: int = 512 * 1024 * 1024
    max_catalog_bytes: int = 16 * 1024 * 1024
    #: Triples of one dump (its graph is held in memory until the release is written:
    #: about 2.5 KB a triple).
    max_triples: int = 1_000_000
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 600.0
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    """A body on disk (in the cache) and what the server said about it."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    path: Path
    size: int
    sha256: str
    media_type: str | None  # Content-Type without parameters, lower case
    not_modified: bool  # True: a 304 reused the cached body
    retrieved: datetime  # when the body was (re)validated
    etag: str | None = None
    last_modified: str | None = None


def check_scheme(url: str) -> None:
    """Refuse anything but an absolute ``http(s)`` URL with a host (``file:``, ``ftp:``…) and
    without credentials (:func:`publisher.harvest.addresses.check_url`)."""
    try:
        check_url(url)
    except AddressRefused as exc:
        raise FetchError(exc.reason, url, exc.detail) from exc


@dataclass
class CacheEntry:
    file: str
    sha256: str
    size: int
    media_type: str | None
    etag: str | None
    last_modified: str | None
    final_url: str
    retrieved: str


class HttpCache:
    """Bodies and validators of earlier downloads, in one folder (``index.json`` + bodies)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.entries: dict[str, CacheEntry] = {}
        try:
            raw = json.loads((folder / INDEX).read_text(encoding="utf-8"))
            self.entries = {url: CacheEntry(**e) for url, e in raw.get("entries", {}).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            self.entries = {}  # no cache, or an unreadable one: start afresh

    def body_path(self, url: str) -> Path:
        return self.folder / (hashlib.sha256(url.encode("utf-8")).hexdigest()[:32] + ".body")

    def usable(self, url: str) -> CacheEntry | None:
        entry = self.entries.get(url)
        if entry is None or not (entry.etag or entry.last_modified):
            return None
        return entry if (self.folder / entry.file).is_file() else None

    def put(self, url: str, entry: CacheEntry) -> None:
        self.entries[url] = entry
        self._write_index()

    def keep_only(self, urls: set[str]) -> list[str]:
        """Forget every URL but ``urls`` and delete the cache's files no entry names (bodies of
        rejected or vanished sources, leftovers of killed runs): the cache never holds more than
        the last harvest used. Only the cache's own file names are touched."""
        self.entries = {u: e for u, e in self.entries.items() if u in urls}
        self._write_index()
        named = {e.file for e in self.entries.values()} | {INDEX}
        removed = []
        for p in self.folder.iterdir():
            if p.name in named or not _OWN_FILE.match(p.name) or not p.is_file():
                continue
            p.unlink(missing_ok=True)
            removed.append(p.name)
        return removed

    def _write_index(self) -> None:
        data = {"entries": {u: asdict(e) for u, e in sorted(self.entries.items())}}
        fd, tmp = tempfile.mkstemp(prefix=".index-", dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, self.folder / INDEX)


class _Sink:
    """Writes a body to a temporary file, hashing and counting it; gives up past ``limit``."""

    def __init__(self, out: BinaryIO, url: str, limit: int, deadline: float) -> None:
        self.out, self.url, self.limit, self.deadline = out, url, limit, deadline
        self.size = 0
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise FetchError(TOO_LARGE, self.url, f"plus de / more than {self.limit} octets/bytes")
        if time.monotonic() > self.deadline:
            raise FetchError(TIMEOUT, self.url, "durée totale dépassée / total time exceeded")
        self.hash.update(data)
        self.out.write(data)


def gunzip_chunks(chunks: Iterator[bytes], limit: int, url: str) -> Iterator[bytes]:
    """Decode a gzip stream (one or more members), never producing more than ``limit`` bytes:
    each ``decompress`` call is capped, so memory stays bounded whatever the ratio."""
    d: zlib._Decompress | None = None
    produced, members = 0, 0

    def count(out: bytes) -> bytes:
        nonlocal produced
        produced += len(out)
        if produced > limit:
            raise FetchError(TOO_LARGE, url, f"plus de / more than {limit} octets/bytes une fois "
                             "décompressé / once decompressed")
        return out

    try:
        for chunk in chunks:
            data = chunk
            while data:
                if d is None:
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                yield count(d.decompress(data, _CHUNK))
                if d.eof:  # end of a member; what follows is the next one
                    data, d, members = d.unused_data, None, members + 1
                else:
                    data = d.unconsumed_tail
        if d is not None:
            yield count(d.flush())
    except zlib.error as exc:
        raise FetchError(BAD_RESPONSE, url, f"gzip invalide / invalid gzip: {exc}") from exc
    if d is not None or members == 0:
        raise FetchError(BAD_RESPONSE, url, "gzip tronqué ou vide / truncated or empty gzip")


def gunzip_file(src: Path, dst: Path, limit: int, url: str) -> int:
    """Decompress a gzip file with the same bound; returns the decompressed size."""
    def read() -> Iterator[bytes]:
        with src.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                yield chunk

    size = 0
    with dst.open("wb") as out:
        for part in gunzip_chunks(read(), limit, url):
            out.write(part)
            size += len(part)
    return size


class Fetcher(AbstractContextManager["Fetcher"]):
    """Downloads into an :class:`HttpCache`; counts requests and 304 answers."""

    def __init__(self, cache: HttpCache, limits: Limits | None = None,
                 client: httpx.Client | None = None, policy: AddressPolicy | None = None) -> None:
        self.cache = cache
        self.limits = limits or Limits()
        self.policy = policy or AddressPolicy()
        lim = self.limits
        self.client = client or httpx.Client(
            follow_redirects=False,
            timeout=httpx.Timeout(lim.read_timeout, connect=lim.connect_timeout),
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )
        self.requests = 0
        self.not_modified = 0

    def close(self) -> None:
        self.client.close()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str, *, accept: str | None = None,
              max_bytes: int | None = None) -> Fetched:
        """Download ``url`` (or revalidate its cached copy); raises :class:`FetchError`."""
        check_scheme(url)
        limit = self.limits.max_bytes if max_bytes is None else max_bytes
        deadline = time.monotonic() + self.limits.total_timeout
        cached = self.cache.usable(url)
        headers = {"Accept-Encoding": "gzip"}
        if accept:
            headers["Accept"] = accept
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        current = url
        try:
            for _hop in range(self.limits.max_redirects + 1):
                target, hop = self._pinned(current, headers)
                self.requests += 1
                with self.client.stream("GET", target, headers=hop,
                                        extensions=self._sni(current)) as resp:
                    if resp.has_redirect_location:
                        target = urljoin(current, resp.headers.get("location", ""))
                        check_scheme(target)
                        current = target
                        continue
                    return self._answer(url, current, resp, cached, limit, deadline)
        except httpx.TimeoutException as exc:
            raise FetchError(TIMEOUT, current, f"délai dépassé / timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise FetchError(UNREACHABLE, current, f"injoignable / unreachable: {exc}") from exc
        raise FetchError(TOO_MANY_REDIRECTS, url, f"plus de / more than "
                         f"{self.limits.max_redirects} redirections")

    def _pinned(self, url: str, headers: dict[str, str]) -> tuple[httpx.URL, dict[str, str]]:
        """``url`` with its host replaced by the address the policy checked, and the headers
        with the original ``Host``."""
        parsed = httpx.URL(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            ip = self.policy.resolve(parsed.host, port)
        except AddressRefused as exc:
            raise FetchError(exc.reason, url, exc.detail) from exc
        return parsed.copy_with(host=ip), {**headers, "Host": parsed.netloc.decode("ascii")}

    @staticmethod
    def _sni(url: str) -> dict[str, object]:
        """TLS: the server name sent and checked is the URL's host, not the address."""
        parsed = httpx.URL(url)
        return {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}

    def _answer(self, url: str, final: str, resp: httpx.Response, cached: CacheEntry | None,
                limit: int, deadline: float) -> Fetched:
        now = datetime.now(UTC).replace(microsecond=0)
        if resp.status_code == 304 and cached is not None:
            self.not_modified += 1
            path = self.cache.folder / cached.file
            size, digest = sha256_file(path)
            return Fetched(url, final, path, size, digest, cached.media_type, True, now,
                           cached.etag, cached.last_modified)
        if resp.status_code != 200:
            raise FetchError(HTTP_ERROR, final, f"HTTP {resp.status_code}")
        length = resp.headers.get("content-length")
        encoding = resp.headers.get("content-encoding", "identity").strip().lower()
        if length and length.isdigit() and int(length) > limit:
            raise FetchError(TOO_LARGE, final, f"Content-Length {length} > {limit}")
        if encoding not in ("identity", "gzip", "x-gzip", ""):
            raise FetchError(BAD_RESPONSE, final, f"Content-Encoding {encoding!r} non demandé / "
                             "not asked for")
        chunks: Iterator[bytes] = resp.iter_raw()
        if encoding in ("gzip", "x-gzip"):
            chunks = gunzip_chunks(chunks, limit, final)
        fd, tmp = tempfile.mkstemp(prefix=".body-", dir=self.cache.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                sink = _Sink(out, final, limit, deadline)
                for chunk in chunks:
                    sink.write(chunk)
            path = self.cache.body_path(url)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        media = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower() or None
        etag = resp.headers.get("etag")
        modified = resp.headers.get("last-modified")
        digest = sink.hash.hexdigest()
        self.cache.put(url, CacheEntry(path.name, digest, sink.size, media, etag, modified,
                                       final, now.isoformat()))
        return Fetched(url, final, path, sink.size, digest, media, False, now, etag, modified)
