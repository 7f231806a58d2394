"""The remote: HTTP (aiohttp) on TCP PORT and OSC (python-osc's wire format) on UDP PORT, on a
thread of its own with its own asyncio loop. The interface is in README ("Remote control").

Threads: `start()` binds both sockets on the caller's thread (so a port in use is said at
once), then serves on a daemon thread. The engine is reached only through `api.Gate` (its
thread, via `clock.call_soon_threadsafe`); an action the engine does not take within
`ANSWER_TIMEOUT_S` is cancelled and answered 503, so a busy GUI never piles up late GOs.
`publish(status)` is called on the engine's thread for every new status; it only stores it
and wakes the server's loop (latest wins: nothing queues up), which pushes it to the
`/api/events` streams at most every `PUSH_EVERY_S`. `GET /api/status` answers from the last
status published, without touching the engine's thread.

Guards: every `/api/` request needs `Authorization: Bearer TOKEN` (401 and a log line
otherwise; an address that keeps guessing is answered 429 for a while, see `api.Failures`); a
request body over `MAX_BODY` is refused (413) before it is read and the connection closed; only
the routes below exist (no files but the pages' own assets, from package data). OSC is taken
from this machine and the `--remote-allow` hosts only; a malformed packet is logged and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources

from aiohttp import web
from pythonosc import osc_packet
from pythonosc.osc_message_builder import build_msg

from player.remote import api
from player.remote.api import Action, Failures, Gate, RemoteError, RemoteOptions
from player.show.status import Refusal, ShowStatus

log = logging.getLogger(__name__)

OSC_PREFIX = "/screening-night/"
MAX_BODY = 4096  # the API takes no body; a little is allowed for clients that always send one
MAX_STREAMS = 32  # `/api/events` listeners at once
OSC_BACKLOG = 256  # packets waiting to be handled; more are dropped
PUSH_EVERY_S = 0.1
KEEPALIVE_S = 15.0
LOG_EVERY_S = 60.0  # dropped OSC from one address: one log line per this
ASSETS = {  # the pages' own files (player/data/remote/), and nothing else
    "remote.js": "text/javascript",
    "stage.js": "text/javascript",
    "common.js": "text/javascript",
    "remote.css": "text/css",
}
PAGES = {"/": "remote.html", "/stage": "stage.html"}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class RemoteInfo:
    """What the console shows: the page's address, the token, the ports."""

    page_url: str  # the remote page, with no token
    stage_url: str
    token: str
    port: int  # TCP (HTTP) and UDP (OSC)

    @property
    def connect_url(self) -> str:
        """The page's address carrying the token after '#' (the QR code: one scan connects;
        a fragment never reaches the server or its logs)."""
        return f"{self.page_url}#token={self.token}"


def _data(name: str) -> bytes:
    return resources.files("player").joinpath("data", "remote", name).read_bytes()


def _strings() -> dict[str, dict[str, str]]:
    return json.loads(_data("strings.json"))


def _host_only(address: str) -> str:
    """'::ffff:10.0.0.2' -> '10.0.0.2' (a dual-stack socket's IPv4 senders)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address
    mapped = getattr(ip, "ipv4_mapped", None)
    return str(mapped or ip)


def _shown_host(host: str) -> str:
    """The host to put in the page's address: for a wildcard bind, this machine's address on
    the network of its default route (a UDP connect only looks the route up: nothing is sent;
    192.0.2.1 is a documentation address), else 127.0.0.1."""
    if host in ("0.0.0.0", "::", ""):
        with (
            contextlib.suppress(OSError),
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe,
        ):
            probe.connect(("192.0.2.1", 9))
            return probe.getsockname()[0]
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _bind(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """TCP and UDP sockets on host:port, or RemoteError saying why not."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError as exc:
        raise RemoteError(f"the remote cannot listen on {host}: {exc.strerror or exc}") from None
    tcp = socket.socket(family, socket.SOCK_STREAM)
    udp = socket.socket(family, socket.SOCK_DGRAM)
    try:
        # TCP: a restart right after a stop must not wait out TIME_WAIT. UDP: no reuse, so a
        # port another program holds is refused rather than shared.
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for sock, what in ((tcp, "TCP"), (udp, "UDP")):
            try:
                # the same port for both, also when the system picks it (port 0: tests)
                sock.bind(address if sock is tcp else (address[0], tcp.getsockname()[1]))
            except OSError as exc:
                why = "is in use" if exc.errno == 98 else f"cannot be used ({exc.strerror})"
                raise RemoteError(f"{what} port {port} on {host} {why}") from None
        tcp.listen(128)
        tcp.setblocking(False)
        udp.setblocking(False)
    except BaseException:
        tcp.close()
        udp.close()
        raise
    return tcp, udp


class RemoteServer:
    """HTTP + OSC remote control of `engine` (a `player.show.engine.ShowEngine`).

    `on_action(source, action, refusal)` runs on the engine's thread after every remote action
    (`source`: e.g. 'HTTP 192.168.1.20'). Call `start()` once, `publish` for every status (on
    the engine's thread) and `stop()` at the end."""

    def __init__(
        self,
        engine,
        options: RemoteOptions,
        *,
        on_action: Callable[[str, Action, Refusal | None], None] | None = None,
    ) -> None:
        self.options = options
        self.token = options.token or api.new_token()
        self.language = api.page_language(options.language)
        self._gate = Gate(engine, on_action)
        self._failures = Failures()
        self._latest: tuple[ShowStatus, date] = (engine.status, engine.night_day)
        self._latest_lock = threading.Lock()
        self._wake_pending = False
        self._streams: set[asyncio.Queue] = set()
        self._last_pushed: bytes = b""
        self._last_push_s = 0.0
        self._allowed: set[str] = {"127.0.0.1", "::1"}
        self._dropped_logged: dict[tuple[str, str], float] = {}
        self._osc_inbox: asyncio.Queue | None = None
        self._osc_worker: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._osc_transport: asyncio.DatagramTransport | None = None
        self._strings = _strings()
        self.info: RemoteInfo | None = None

    # ------------------------------------------------------------------ life

    def start(self, timeout_s: float = 10.0) -> RemoteInfo:
        """Bind TCP and UDP PORT and serve on a daemon thread. RemoteError when a port is in
        use or the host cannot be listened on (then nothing runs)."""
        options = self.options
        tcp, udp = _bind(options.host, options.port)
        port = tcp.getsockname()[1]
        ready: dict = {}
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open(tcp, udp))
            except Exception as exc:  # said by start() on the caller's thread
                ready["error"] = exc
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._close())
                loop.close()

        self._thread = threading.Thread(target=serve, name="screening-night-remote", daemon=True)
        self._thread.start()
        if not started.wait(timeout_s) or "error" in ready:
            tcp.close()
            udp.close()
            raise RemoteError(f"the remote did not start: {ready.get('error', 'no answer')}")
        host = _shown_host(options.host)
        base = f"http://{host}:{port}"
        self.info = RemoteInfo(f"{base}/", f"{base}/stage", self.token, port)
        log.info("remote control on %s (OSC on UDP %d)", base, port)
        return self.info

    def stop(self) -> None:
        """Stop serving (from any thread but the server's); returns once it has stopped."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    async def _open(self, tcp: socket.socket, udp: socket.socket) -> None:
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_BODY)
        app.router.add_get("/", self._page)
        app.router.add_get("/stage", self._page)
        app.router.add_get("/assets/{name}", self._asset)
        app.router.add_get("/api/status", self._status)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/{action}", self._action)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.SockSite(self._runner, tcp).start()
        loop = asyncio.get_running_loop()
        self._osc_inbox = asyncio.Queue(maxsize=OSC_BACKLOG)
        self._osc_worker = asyncio.ensure_future(self._osc_serve())
        self._osc_transport, _ = await loop.create_datagram_endpoint(
            lambda: _OscProtocol(self), sock=udp
        )
        for host in self.options.allow:
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
            except OSError as exc:
                log.warning("remote: --remote-allow %s: not found (%s)", host, exc)
                continue
            self._allowed.update(_host_only(info[4][0]) for info in infos)

    async def _close(self) -> None:
        for queue in list(self._streams):
            _offer(queue, None)
        if self._osc_transport is not None:
            self._osc_transport.close()
        if self._osc_worker is not None:
            self._osc_worker.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ status

    def publish(self, status: ShowStatus) -> None:
        """A new status, on the engine's thread (returns at once)."""
        night_day = self._gate.engine.night_day  # read here: the engine's thread
        with self._latest_lock:
            self._latest = (status, night_day)
            if self._wake_pending or self._loop is None:
                return
            self._wake_pending = True
        with contextlib.suppress(RuntimeError):  # the loop is closing
            self._loop.call_soon_threadsafe(self._push)

    def _status_now(self) -> dict:
        with self._latest_lock:
            status, day = self._latest
        return api.status_json(status, day)

    def _push(self) -> None:
        loop = asyncio.get_running_loop()
        wait = self._last_push_s + PUSH_EVERY_S - loop.time()
        if wait > 0:
            loop.call_later(wait, self._push)
            return
        with self._latest_lock:
            self._wake_pending = False
        data = _event(self._status_now())
        if data == self._last_pushed:
            return
        self._last_pushed, self._last_push_s = data, loop.time()
        for queue in self._streams:
            _offer(queue, data)

    # ------------------------------------------------------------------ HTTP

    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        if request.body_exists and (
            request.content_length is None or request.content_length > MAX_BODY
        ):
            # Refused before a byte of it is read, and the connection closed after the answer.
            response = _error(413, f"a request body is limited to {MAX_BODY} bytes")
            response.force_close()
            return response
        if request.path.startswith("/api/"):
            refused = self._check_token(request)
            if refused is not None:
                return refused
        response = await handler(request)
        if not response.prepared:  # an event stream has sent its headers already
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    def _check_token(self, request: web.Request) -> web.Response | None:
        address = _host_only(request.remote or "?")
        wait = self._failures.blocked_for(address)
        if wait > 0:
            response = _error(429, f"too many wrong tokens from {address}: wait {wait:.0f} s")
            response.headers["Retry-After"] = str(max(1, round(wait)))
            return response
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        ):
            self._failures.succeeded(address)
            return None
        blocked = self._failures.failed(address)
        log.warning(
            "remote: %s token from %s for %s %s%s",
            "wrong" if given else "no",
            address,
            request.method,
            request.path,
            f"; this address waits {blocked:.0f} s" if blocked else "",
        )
        response = _error(401, "a valid 'Authorization: Bearer TOKEN' header is needed")
        response.headers["WWW-Authenticate"] = 'Bearer realm="screening-night"'
        return response

    async def _page(self, request: web.Request) -> web.Response:
        language = api.page_language(request.query.get("lang", self.language))
        strings = {**self._strings["en"], **self._strings.get(language, {})}
        text = _data(PAGES[request.path]).decode("utf-8")
        for key, value in strings.items():
            text = text.replace("{{" + key + "}}", html.escape(value))
        blob = json.dumps(strings, ensure_ascii=False).replace("</", "<\\/")
        text = text.replace("{{language}}", language).replace("{{strings_json}}", blob)
        return web.Response(
            text=text,
            content_type="text/html",
            headers={"Content-Security-Policy": _CSP, "X-Frame-Options": "DENY"},
        )

    async def _asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kind = ASSETS.get(name)
        if kind is None:
            raise web.HTTPNotFound()
        return web.Response(body=_data(name), content_type=kind, charset="utf-8")

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(self._status_now())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if len(self._streams) >= MAX_STREAMS:
            return _error(503, f"at most {MAX_STREAMS} event streams at once")
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
        )
        response.headers["Cache-Control"] = "no-store"
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        self._streams.add(queue)
        try:
            await response.prepare(request)
            await response.write(_event(self._status_now()))
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    data = b": keep-alive\n\n"
                if data is None:
                    break
                await response.write(data)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._streams.discard(queue)
        return response

    async def _action(self, request: web.Request) -> web.Response:
        action = api.BY_NAME.get(request.match_info["action"])
        if action is None:
            raise web.HTTPNotFound()
        on = None
        if action is Action.BLACKOUT and "on" in request.query:
            on = _flag(request.query["on"])
            if on is None:
                return _error(400, "'on' must be true or false (or leave it out to toggle)")
        source = f"HTTP {_host_only(request.remote or '?')}"
        result = await self._run(action, source, on)
        if isinstance(result, web.Response):
            return result
        refusal, status, day = result
        if refusal is not None:
            return web.json_response({"error": refusal.reason}, status=409)
        return web.json_response(api.status_json(status, day))

    async def _run(self, action: Action, source: str, on: bool | None):
        future = self._gate.act(action, source, on)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), api.ANSWER_TIMEOUT_S)
        except TimeoutError:
            future.cancel()
            log.warning("remote: the show did not answer %s from %s in time", action.value, source)
            return _error(503, "the show did not answer in time; the action was not carried out")
        except Exception:
            log.exception("remote: %s from %s failed", action.value, source)
            return _error(500, "the action failed inside the show (see its log)")

    # ------------------------------------------------------------------ OSC

    def _osc_arrived(self, data: bytes, sender: tuple) -> None:
        try:
            self._osc_inbox.put_nowait((data, sender))
        except asyncio.QueueFull:
            host = _host_only(sender[0])
            self._log_dropped(host, "flood", f"OSC from {host}: more than {OSC_BACKLOG} waiting")

    async def _osc_serve(self) -> None:
        """One packet after another, each action carried out before the next is read: a
        status asked for after a command tells what the command did."""
        while True:
            data, sender = await self._osc_inbox.get()
            try:
                await self._osc_received(data, sender)
            except Exception:  # one bad packet must not stop the OSC service
                log.exception("remote: OSC packet from %s", sender)

    async def _osc_received(self, data: bytes, sender: tuple) -> None:
        host = _host_only(sender[0])
        if host not in self._allowed:
            self._log_dropped(host, "sender", f"OSC from {host}, not allowed (see --remote-allow)")
            return
        try:
            messages = [timed.message for timed in osc_packet.OscPacket(data).messages]
        except Exception as exc:  # python-osc's ParseError, or worse on hostile bytes
            self._log_dropped(
                host, "malformed", f"a malformed OSC packet from {host} ({len(data)} bytes): {exc}"
            )
            return
        for message in messages:
            address = message.address
            name = address[len(OSC_PREFIX) :] if address.startswith(OSC_PREFIX) else None
            if name == "status":
                self._osc_reply(sender, "/screening-night/status", [json.dumps(self._status_now())])
            elif name in api.BY_NAME:
                on = None
                if name == "blackout" and message.params:
                    on = _flag(message.params[0])
                await self._osc_act(api.BY_NAME[name], host, sender, on)
            else:
                self._log_dropped(host, "unknown", f"OSC {address} from {host}: no such command")

    async def _osc_act(self, action: Action, host: str, sender: tuple, on: bool | None) -> None:
        result = await self._run(action, f"OSC {host}", on)
        if isinstance(result, web.Response):
            self._osc_reply(sender, "/screening-night/error", [json.loads(result.text)["error"]])
        elif result[0] is not None:
            self._osc_reply(sender, "/screening-night/error", [result[0].reason])

    def _osc_reply(self, sender: tuple, address: str, args: list) -> None:
        if self._osc_transport is not None:
            with contextlib.suppress(OSError):
                self._osc_transport.sendto(build_msg(address, args).dgram, sender)

    def _log_dropped(self, host: str, why: str, message: str) -> None:
        """Log a dropped packet: once per LOG_EVERY_S per sender and reason (a flood of them
        must not flood the log)."""
        now = time.monotonic()
        if now - self._dropped_logged.get((host, why), -LOG_EVERY_S) >= LOG_EVERY_S:
            self._dropped_logged[host, why] = now
            if len(self._dropped_logged) > 1000:
                self._dropped_logged.clear()
            log.warning("remote: dropped %s", message)


class _OscProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: RemoteServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.server._osc_arrived(data, addr)


def _event(value: dict) -> bytes:
    return b"data: " + json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\n\n"


def _offer(queue: asyncio.Queue, item) -> None:
    """Put `item` in a one-place queue, replacing what a slow reader has not taken yet."""
    with contextlib.suppress(asyncio.QueueEmpty):
        queue.get_nowait()
    queue.put_nowait(item)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _flag(value) -> bool | None:
    """true/false, 1/0, on/off (a query string or an OSC argument); None when neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = str(value).strip().lower()
    return {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}.get(text)
