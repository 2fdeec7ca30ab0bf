"""A tiny Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (no websocket, no
extra package): headless Debian ``chromium`` is driven through two pipes, messages are JSON
terminated by a NUL byte (fd 3: commands to the browser, fd 4: answers and events).

Used by the browser tests only::

    with Browser.start(tmp_path) as browser:
        page = browser.new_page()
        page.navigate("http://127.0.0.1:8000/")
        title = page.evaluate("document.title")
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--remote-debugging-pipe", "--window-size=1280,1400",
)
#: Longest wait for one answer or condition (a safety net, not a timed assertion).
PATIENCE_S = 60.0


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class CdpError(RuntimeError):
    pass


class Browser:
    def __init__(self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.proc, self._out, self._in = proc, to_browser, from_browser
        self._next = 0
        self._answers: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def start(cls, user_data_dir: Path, executable: str | None = None) -> Browser:
        exe = executable or chromium_path()
        if exe is None:
            raise FileNotFoundError("chromium")
        user_data_dir.mkdir(parents=True, exist_ok=True)
        cmd_r, cmd_w = os.pipe()  # we write commands, the browser reads them on fd 3
        ans_r, ans_w = os.pipe()  # the browser writes on fd 4, we read
        # the child's ends, moved above 9 so that placing them on 3 and 4 cannot clobber them
        high_r, high_w = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (cmd_r, ans_w))
        for fd in (cmd_r, ans_w):
            os.close(fd)
        cmd_r, ans_w = high_r, high_w
        script = f'exec "$0" "$@" 3<&{cmd_r} 4>&{ans_w} {cmd_r}<&- {ans_w}>&-'
        proc = subprocess.Popen(
            ["bash", "-c", script, exe, *FLAGS, f"--user-data-dir={user_data_dir}",
             "about:blank"],
            pass_fds=(cmd_r, ans_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_r)
        os.close(ans_w)
        return cls(proc, cmd_w, ans_r)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._in, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._answers.put({"id": -1, "error": {"message": "browser closed"}})
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    self._answers.put(message)
                else:
                    with self._lock:
                        self.events.append(message)

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + PATIENCE_S
        while True:
            answer = self._answers.get(timeout=max(0.1, deadline - time.monotonic()))
            if answer["id"] == -1:
                raise CdpError(f"{method}: the browser closed")
            if answer["id"] == ident:
                if "error" in answer:
                    raise CdpError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result

    def events_named(self, method: str, session: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e.get("method") == method
                    and (session is None or e.get("sessionId") == session)]

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self, session["sessionId"])
        for domain in ("Page", "Network", "Runtime"):
            page.send(f"{domain}.enable")
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (CdpError, queue.Empty, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def navigate(self, url: str) -> None:
        before = len(self.browser.events_named("Page.loadEventFired", self.session))
        answer = self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise CdpError(f"{url}: {answer['errorText']}")
        self.wait_until(lambda: len(self.browser.events_named(
            "Page.loadEventFired", self.session)) > before, f"load of {url}")

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in answer:
            raise CdpError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, what: str = "") -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        box: list[Any] = []

        def ready() -> bool:
            value = self.evaluate(expression)
            box[:] = [value]
            return bool(value)

        self.wait_until(ready, what or expression)
        return box[0]

    @staticmethod
    def wait_until(condition: Any, what: str) -> None:
        deadline = time.monotonic() + PATIENCE_S
        while not condition():
            if time.monotonic() > deadline:
                raise CdpError(f"gave up waiting for {what}")
            time.sleep(0.05)

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"]
                for e in self.browser.events_named("Network.requestWillBeSent", self.session)]

    def foreign_requests(self, host: str) -> list[str]:
        """The URLs the page asked for elsewhere than ``host`` (``data:``, ``blob:`` and
        ``about:`` stay inside the browser and are not counted)."""
        return [url for url in self.requested_urls()
                if urlsplit(url).scheme not in {"data", "blob", "about"}
                and urlsplit(url).hostname != host]

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path
