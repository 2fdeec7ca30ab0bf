"""``cmq serve --watch``: rebuild when a table changes; show the officer what failed.

Contract: with the setting ``watch`` on, :meth:`SourceWatcher.run` (a task of the app's lifespan)
looks at the project's source files (:meth:`publisher.project.folder.Project.source_files`: the
tables, the workbook, ``campus.toml``; name, size and modification time) every
``reload_interval`` seconds. When they changed it builds a release in a thread
(:func:`publisher.release.build.build_release`, incremental):

- valid: the new release becomes ``current`` and the server's own reload
  (:meth:`publisher.server.state.ServerState.refresh`, called at once) serves it; the report of
  the last failure is removed;
- invalid: nothing is published, the last valid release keeps being served, and the HTML report
  of the failed attempt is written (:func:`publisher.release.failure.record_failure`); every page
  then shows a banner (``base.html``) linking to it, served at ``/echec/validation.html``
  (:data:`FAILURE_URL`), until a build succeeds.

Without ``watch`` nothing here runs and ``/echec/validation.html`` is 404: a public server does
not show build failures.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from publisher.core.errors import CmqError
from publisher.release.failure import clear_failure, last_failure, record_failure
from publisher.server.state import ServerState, poll, server_state

log = logging.getLogger("cmq.server")
router = APIRouter()
#: Where the report of the last failed build is served (relative to the site's root).
FAILURE_URL = "echec/validation.html"

Snapshot = tuple[tuple[str, int, int], ...]


def snapshot(state: ServerState) -> Snapshot:
    """Name, size and mtime of every source file of the project."""
    out = []
    for p in state.project.source_files():
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((p.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def build_once(state: ServerState) -> bool:
    """Build the project (in a thread); True when a release was published or reused."""
    from publisher.release.build import build_release
    from publisher.validate.validation import ValidationFailed

    releases = state.project.releases_dir
    try:
        result = build_release(state.project)
    except ValidationFailed as exc:
        path = record_failure(releases, exc.report, state.project.config)
        log.warning("build failed (%d violations), still serving the previous release; "
                    "report: %s", exc.report.count("Violation"), path)
        return False
    except CmqError as exc:
        log.warning("build failed: %s", exc.message)
        return False
    clear_failure(releases)
    log.info("rebuilt: release %s (%s)", result.info.release_id, result.status)
    return True


class SourceWatcher:
    """Rebuilds the project when its sources change (see the module doc)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.seen: Snapshot | None = None

    async def run(self) -> None:
        interval = max(self.state.settings.reload_interval, 0.1)
        self.seen = await asyncio.to_thread(snapshot, self.state)
        await poll(interval, self.check, "rebuild failed")

    async def check(self) -> None:
        now = await asyncio.to_thread(snapshot, self.state)
        if now == self.seen:
            return
        self.seen = now
        if await asyncio.to_thread(build_once, self.state):
            await self.state.refresh()


def failure_link(request: Request) -> Path | None:
    """The report of the last failed build, when watching and there is one (for the banner)."""
    state = server_state(request)
    if not state.settings.watch:
        return None
    return last_failure(state.project.releases_dir)


@router.get("/" + FAILURE_URL, include_in_schema=False)
def failure_report(request: Request) -> Response:
    path = failure_link(request)
    if path is None:
        return Response("pas d'échec / no failed build", status_code=404,
                        media_type="text/plain; charset=utf-8")
    return FileResponse(path, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store"})
