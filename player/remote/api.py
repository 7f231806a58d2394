"""The remote's interface, apart from the server: options, the status as JSON, the actions, the
door into the engine's thread and the slowing down of wrong tokens.

The HTTP and OSC interface (README, "Remote control") is built on these:
- `status_json` is `GET /api/status` and each `GET /api/events` message;
- `ACTIONS` are `POST /api/<name>` and `/screening-night/<name>`, each the engine call a key
  makes (`stop` is Esc: the first fades, a second within 5 s or during the fade stops at once);
- `Gate` runs them on the engine's thread and hands back (refusal or None, status);
- `Failures` slows down an address that keeps sending wrong tokens.

No Qt: the server runs on its own thread; the engine only through `Gate`.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as time_of_day

from player.show.status import Action, Refusal, ShowStatus

DEFAULT_HOST = "127.0.0.1"
LANGUAGES = ("en", "fr", "zh")  # the pages' languages; others fall back to English
ANSWER_TIMEOUT_S = 2.0  # an action the engine's thread has not taken by then is dropped
ACTIONS = (
    Action.GO,
    Action.PAUSE,
    Action.RESUME,
    Action.FADE,
    Action.STOP,
    Action.BLACKOUT,
    Action.SKIP,
    Action.BACK,
)
BY_NAME = {action.value: action for action in ACTIONS}


class RemoteError(Exception):
    """The remote could not start (port in use, bad address): one sentence for the operator."""


@dataclass(frozen=True)
class RemoteOptions:
    """`run --remote [HOST:]PORT [--remote-token TOKEN] [--remote-allow HOST...]`."""

    port: int
    host: str = DEFAULT_HOST
    token: str = ""  # "": one is generated at start
    allow: tuple[str, ...] = ()  # OSC senders besides this machine (names or addresses)
    language: str = ""  # the pages' language (en, fr or zh; "": the console's choice)


_LISTEN = r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]:|(?P<host>[^:\[\]]+):)?(?P<port>\d+)"


def parse_listen(text: str) -> tuple[str, int]:
    """'8000' -> ('127.0.0.1', 8000); 'HOST:8000'; '[::1]:8000'. ValueError with a sentence."""
    text = text.strip()
    match = re.fullmatch(_LISTEN, text)
    if not match:
        raise ValueError(f"'{text}' is not [HOST:]PORT (e.g. 8000, 0.0.0.0:8000 or [::1]:8000)")
    port = int(match["port"])
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is not between 1 and 65535")
    host = match["v6"] or match["host"] or DEFAULT_HOST
    if match["v6"]:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"'{host}' is not an IPv6 address") from None
    return host, port


def check_token(token: str) -> str:
    """A token given on the command line, or ValueError saying what is wrong with it."""
    if len(token) < 8:
        raise ValueError("the remote token must be at least 8 characters long")
    if not re.fullmatch(r"[!-~]+", token):
        raise ValueError("the remote token may hold only visible ASCII characters (no spaces)")
    return token


def new_token() -> str:
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def page_language(wanted: str) -> str:
    """'fr_FR', 'fr-CA', 'FR' -> 'fr'; a language the pages do not have -> 'en'."""
    code = re.split(r"[-_.@]", wanted.strip().lower() or "en")[0]
    return code if code in LANGUAGES else "en"


def local_iso(night_day: date, ms_of_day: int | None) -> str | None:
    """A time of the night (ms after midnight of `night_day`, past 24 h after midnight) as ISO
    8601 local time with its offset, to the second."""
    if ms_of_day is None:
        return None
    when = datetime.combine(night_day, time_of_day()) + timedelta(milliseconds=ms_of_day)
    return when.astimezone().isoformat(timespec="seconds")


def status_json(status: ShowStatus, night_day: date) -> dict:
    """`GET /api/status`: the fields the README lists, in this order. The last four are extras
    for pages and scripts: what GO does now, the step's length, the next step, the show clock."""
    return {
        "phase": status.phase.value,
        "step": status.step_index,
        "title": status.title,
        "next_title": status.next_title,
        "elapsed_ms": status.elapsed_ms,
        "remaining_ms": status.remaining_ms,
        "late_ms": status.late_ms,
        "projected_end": local_iso(night_day, status.projected_end_ms),
        "paused": status.paused,
        "blackout": status.blackout,
        "locked": status.locked,
        "go": status.go.value,
        "duration_ms": status.duration_ms,
        "next_step": status.next_index,
        "clock": local_iso(night_day, status.clock_ms),
    }


def perform(engine, action: Action, on: bool | None = None) -> Refusal | None:
    """Carry out `action` as the console's key does (on the engine's thread). `on` sets the
    blackout; None toggles it."""
    match action:
        case Action.GO:
            return engine.go()
        case Action.PAUSE:
            return engine.pause()
        case Action.RESUME:
            return engine.resume()
        case Action.FADE:
            return engine.fade()
        case Action.STOP:
            return engine.escape()  # the Esc key: fade, then stop when pressed again
        case Action.BLACKOUT:
            return engine.toggle_blackout() if on is None else engine.set_blackout(on)
        case Action.SKIP:
            return engine.skip()
        case Action.BACK:
            return engine.back()
    raise ValueError(f"{action} is not a remote action")


Done = Callable[[str, Action, Refusal | None], None]


class Gate:
    """The one way from the remote's thread to the engine. `act` never blocks: it posts the
    action to the engine's thread (`clock.call_soon_threadsafe`) and returns a Future of
    (refusal or None, status after it). `on_action(source, action, refusal)` is called there
    after each one (the console logs it)."""

    def __init__(self, engine, on_action: Done | None = None) -> None:
        self.engine = engine
        self._on_action = on_action

    def act(self, action: Action, source: str, on: bool | None = None) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            # A caller that gave up waiting cancelled it: an old GO must not fire late.
            if not future.set_running_or_notify_cancel():
                return
            try:
                refusal = perform(self.engine, action, on)
                future.set_result((refusal, self.engine.status, self.engine.night_day))
            except Exception as exc:  # the remote answers 500; the show goes on
                future.set_exception(exc)
                return
            if self._on_action is not None:
                self._on_action(source, action, refusal)

        self.engine.clock.call_soon_threadsafe(run)
        return future


class Failures:
    """Wrong tokens per address. The first `FREE` cost nothing; after that each one blocks
    the address for 1, 2, 4 ... up to `MAX_BLOCK_S` seconds, during which its requests are
    answered 429 without looking at the token. A right token forgets the address."""

    FREE = 5
    MAX_BLOCK_S = 60.0
    FORGET_S = 600.0  # an address quiet for this long starts afresh
    MAX_ADDRESSES = 10_000

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._seen: dict[str, tuple[int, float, float]] = {}  # count, last failure, blocked until

    def blocked_for(self, address: str) -> float:
        """Seconds this address must still wait (0: it may try)."""
        entry = self._seen.get(address)
        return max(0.0, entry[2] - self._now()) if entry else 0.0

    def failed(self, address: str) -> float:
        """Count a wrong token; returns how long the address is now blocked (0: not)."""
        now = self._now()
        count, last, _ = self._seen.get(address, (0, now, 0.0))
        if now - last > self.FORGET_S:
            count = 0
        count += 1
        block = 0.0 if count <= self.FREE else min(self.MAX_BLOCK_S, 2.0 ** (count - self.FREE - 1))
        if len(self._seen) >= self.MAX_ADDRESSES and address not in self._seen:
            self._forget_old(now)
        self._seen[address] = (count, now, now + block)
        return block

    def succeeded(self, address: str) -> None:
        self._seen.pop(address, None)

    def _forget_old(self, now: float) -> None:
        for address, (_, last, until) in list(self._seen.items()):
            if now - last > self.FORGET_S and until <= now:
                del self._seen[address]
        if len(self._seen) >= self.MAX_ADDRESSES:  # a flood of addresses: oldest first
            oldest = sorted(self._seen, key=lambda a: self._seen[a][1])
            for address in oldest[: len(oldest) // 2]:
                del self._seen[address]
