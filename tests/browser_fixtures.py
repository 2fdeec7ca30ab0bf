"""Headless Chromium for the page tests (a pytest plugin, registered in conftest.py).

``browser`` (module scope): one Chromium (Debian ``chromium``) with a fresh profile per test
module, driven over the DevTools protocol (:class:`chromium_cdp.Browser`). A module of Chromium
tests sets ``pytestmark = BROWSER_TESTS``: the ``browser`` marker, and a skip with the reason when
Chromium is absent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chromium_cdp import Browser, chromium_path

#: The marks of a module of Chromium tests.
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="chromium absent (Debian package `chromium`: `make system` installs it)",
    ),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser.start(tmp_path_factory.mktemp("chromium") / "profile") as b:
        yield b
