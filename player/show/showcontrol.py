"""Show control: the OSC messages the night sends as its steps start and end.

A playlist says where (`osc_out: {host, port}`) and what (`on_start:` / `on_end:` per step or in
`defaults`, see `player.core.model.Playlist.show_control`), e.g. house lights down on a
lighting desk as a film starts. The engine calls `ShowControl.send` on its own thread as a step
starts or ends; each message goes out as one UDP datagram (OSC 1.0, encoded by python-osc).

Never blocking, never raising: the socket is non-blocking, a host name is resolved once on a
worker thread (`player.core.tasks.run_task`; an IP address needs none), and whatever goes wrong
(name not found, network down, buffer full) is returned as the message's `error`, for the as-run
log. A send error never stops the show.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pythonosc.osc_message_builder import build_msg

from player.core.model import OscArg, OscMessage, OscTarget
from player.core.tasks import Loop, run_task

log = logging.getLogger(__name__)

RETRY_RESOLVE_MS = 10_000  # a host name that was not found is looked up again after this


class When(enum.Enum):
    """Which of a step's lists a message came from."""

    START = "start"
    END = "end"


@dataclass(frozen=True)
class OscSent:
    """One show-control message as the as-run log keeps it: `error` None when it was handed to
    the network (UDP: nobody confirms it arrived), else why it was not sent."""

    when: When
    address: str
    args: tuple[OscArg, ...]
    at: str  # wall time, ISO 8601 with offset, to the millisecond
    error: str | None = None

    def to_json(self) -> dict:
        return {
            "when": self.when.value,
            "address": self.address,
            "args": list(self.args),
            "at": self.at,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict) -> OscSent:
        return cls(
            When(data["when"]),
            str(data["address"]),
            tuple(data.get("args") or ()),
            str(data.get("at") or ""),
            data.get("error"),
        )


Resolver = Callable[[str, int], tuple[int, tuple]]


def resolve(host: str, port: int) -> tuple[int, tuple]:
    """(address family, socket address) of `host`:`port` for UDP (blocking: a DNS lookup)."""
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    return family, address


class ShowControl:
    """Sends OSC messages to `target` from the engine's thread (`loop`: the engine's clock).

    `now_ms` is the engine clock (for the look-up retry); `resolver` is for tests."""

    def __init__(
        self,
        target: OscTarget,
        loop: Loop,
        now_ms: Callable[[], int],
        *,
        resolver: Resolver = resolve,
    ) -> None:
        self.target = target
        self._loop = loop
        self._now_ms = now_ms
        self._resolver = resolver
        self._address: tuple | None = None
        self._socket: socket.socket | None = None
        self._failed: str | None = None  # why the host could not be resolved
        self._failed_ms = 0
        self._resolving = False
        self._closed = False
        try:
            ip = ipaddress.ip_address(target.host)
        except ValueError:
            self._lookup()
        else:
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            self._resolved((family, (target.host, target.port)), None)

    @property
    def where(self) -> str:
        return f"{self.target.host}:{self.target.port}"

    def send(self, when: When, messages: Iterable[OscMessage], at: str) -> list[OscSent]:
        """Send `messages` now, one datagram each; what happened to each (never raises)."""
        out = []
        for message in messages:
            error = self._send_one(message)
            if error is None:
                log.info("show control: sent %s to %s", message, self.where)
            else:
                log.warning("show control: %s not sent to %s: %s", message, self.where, error)
            out.append(OscSent(when, message.address, message.args, at, error))
        return out

    def close(self) -> None:
        self._closed = True
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send_one(self, message: OscMessage) -> str | None:
        if self._closed:
            return "the show is closed"
        if self._socket is None or self._address is None:
            if self._failed is not None and self._now_ms() - self._failed_ms >= RETRY_RESOLVE_MS:
                self._lookup()
            return self._failed or f"{self.target.host} is still being looked up"
        try:
            data = build_msg(message.address, list(message.args)).dgram
            self._socket.sendto(data, self._address)
        except OSError as exc:  # network unreachable, buffer full (non-blocking), ...
            return exc.strerror or str(exc)
        except Exception as exc:  # python-osc refusing a value: said, not raised
            return f"could not be encoded: {exc}"
        return None

    def _lookup(self) -> None:
        if self._resolving or self._closed:
            return
        self._resolving = True
        target = self.target
        run_task(
            lambda: self._resolver(target.host, target.port),
            self._resolved,
            self._loop,
            name="osc-resolve",
        )

    def _resolved(self, result: tuple[int, tuple] | None, error: Exception | None) -> None:
        self._resolving = False
        if self._closed:
            return
        if error is not None or result is None:
            why = error.strerror if isinstance(error, OSError) and error.strerror else error
            self._failed = f"host {self.target.host} not found ({why})"
            self._failed_ms = self._now_ms()
            log.warning("show control: %s", self._failed)
            return
        family, address = result
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
        except OSError as exc:
            self._failed, self._failed_ms = f"no UDP socket ({exc})", self._now_ms()
            return
        self._socket, self._address, self._failed = sock, address, None
