"""The real app with its remote control, as the remote tests drive it: `screening-night run
--windowed --remote 127.0.0.1:PORT` in a subprocess on a private Xvfb, an HTTP client for its
API and its event stream, an OSC sender bound to any loopback address, and a lighting desk (a
UDP socket on a thread) that notes when each show-control message arrived.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import build_msg

PROJECT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789"


def free_port() -> int:
    """A port free for TCP and UDP on 127.0.0.1 now."""
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


class App:
    """`screening-night -v run PLAYLIST --windowed --remote 127.0.0.1:PORT ...` on `display`,
    with its own settings and data folders under `home`. `lock_on_start` False: the show lock
    stays off (skip and back allowed)."""

    def __init__(
        self,
        playlist: Path,
        display: str,
        home: Path,
        *extra: str,
        port: int | None = None,
        lock_on_start: bool = False,
        lang: str = "en_GB.UTF-8",
        quit_after_ms: int = 600_000,
    ) -> None:
        self.port = port or free_port()
        self.home = home
        config = home / "config" / "screening-night"
        config.mkdir(parents=True, exist_ok=True)
        (config / "screening-night.conf").write_text(
            f"[show]\nlock_on_start={'true' if lock_on_start else 'false'}\n"
        )
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="xcb",
            DISPLAY=display,
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
            LANG=lang,
            LC_ALL=lang,
        )
        self.stderr_path = home / "stderr.txt"
        self._stderr = open(self.stderr_path, "w", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "player", "-v", "run", str(playlist), "--windowed",
             "--remote", f"127.0.0.1:{self.port}", "--quit-after", str(quit_after_ms), *extra],
            cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=self._stderr, bufsize=0,
        )  # fmt: skip
        self.stdout = ""

    def wait_started(self, timeout_s: float = 60) -> str:
        """Read stdout until the remote has said where it is (or the app said nothing);
        returns what it printed."""
        end = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        while "Remote token:" not in self.stdout and time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                break
            self.stdout += chunk.decode("utf-8", "replace")
        return self.stdout

    def log(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def as_run(self) -> list[dict]:
        lines = []
        for path in sorted((self.home / "data").rglob("as-run/*.jsonl")):
            lines += [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
        return lines

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._stderr.close()


class Http:
    """A keep-alive HTTP client of the app's API."""

    def __init__(self, port: int, token: str | None = TOKEN) -> None:
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, token: str | None = ..., body=None):
        """(HTTP status, JSON body or text, headers)."""
        token = self.token if token is ... else token
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()  # the server closed a kept-alive connection: once more
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        kind = response.getheader("Content-Type", "")
        value = json.loads(data) if "json" in kind else data.decode("utf-8", "replace")
        return response.status, value, dict(response.getheaders())

    def status(self) -> dict:
        code, body, _ = self.request("GET", "/api/status")
        assert code == 200, body
        return body

    def post(self, action: str, query: str = "", token: str | None = ...):
        code, body, _ = self.request("POST", f"/api/{action}{query}", token=token)
        return code, body

    def close(self) -> None:
        self.conn.close()


def wait_status(
    port: int, holds: Callable[[dict], bool], timeout_s: float = 60, token: str = TOKEN
) -> dict:
    """Follow `/api/events` until a status for which `holds(status)` is true; returns it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    conn.request("GET", "/api/events", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/event-stream")
    end = time.monotonic() + timeout_s
    seen = None
    try:
        while time.monotonic() < end:
            line = response.fp.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                seen = json.loads(line[6:])
                if holds(seen):
                    return seen
    finally:
        conn.close()
    raise AssertionError(f"no such status within {timeout_s} s; the last one: {seen}")


class Osc:
    """An OSC sender (and receiver of the answers) bound to `source` (any 127.x.y.z)."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.sock.settimeout(10)
        self.target = ("127.0.0.1", port)

    def send(self, address: str, *args) -> None:
        self.sock.sendto(build_msg(address, list(args)).dgram, self.target)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)

    def answer(self) -> tuple[str, list]:
        message = OscMessage(self.sock.recv(65536))
        return message.address, list(message.params)

    def status(self) -> dict:
        self.send("/screening-night/status")
        address, params = self.answer()
        assert address == "/screening-night/status"
        return json.loads(params[0])

    def close(self) -> None:
        self.sock.close()


class Desk:
    """A lighting desk on 127.0.0.1: every OSC message it gets, with the wall time it came."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.heard: list[tuple[datetime, str, list]] = []
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:  # shut down
                return
            when = datetime.now().astimezone()
            message = OscMessage(data)
            self.heard.append((when, message.address, list(message.params)))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the listening thread
        self._thread.join(10)
        self.sock.close()
