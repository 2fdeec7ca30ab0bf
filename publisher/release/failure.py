"""The report of the last failed build, at a fixed place the officer can open.

Contract: :func:`record_failure` writes the HTML validation report of a build that failed
validation to ``<releases>/echec/validation.html`` (:data:`FAILURE_DIR`, not a release: release
folders are named by their hex id) and returns its path; :func:`clear_failure` removes it once a
build succeeds; :func:`last_failure` says whether there is one (what ``cmq serve --watch`` shows a
banner for). Nothing else of the releases folder is touched: the served release stays as it was
(the report says whether there is one: a first build that fails leaves nothing served).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from publisher.core.files import write_bytes
from publisher.project.config import CampusConfig
from publisher.release.folder import current_release
from publisher.release.metadata.report_html import render_failure
from publisher.validate.validation import Report

FAILURE_DIR = "echec"
FAILURE_REPORT = "validation.html"


def failure_path(releases_dir: Path) -> Path:
    return releases_dir / FAILURE_DIR / FAILURE_REPORT


def record_failure(releases_dir: Path, report: Report, config: CampusConfig) -> Path:
    """Write the failed attempt's HTML report (see the module doc); returns its path."""
    path = failure_path(releases_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    html = render_failure(report, config, datetime.now(UTC).replace(microsecond=0),
                          served=current_release(releases_dir) is not None)
    write_bytes(path, html.encode("utf-8"))
    return path


def clear_failure(releases_dir: Path) -> None:
    """Forget the last failure (a build succeeded)."""
    shutil.rmtree(releases_dir / FAILURE_DIR, ignore_errors=True)


def last_failure(releases_dir: Path) -> Path | None:
    path = failure_path(releases_dir)
    return path if path.is_file() else None
