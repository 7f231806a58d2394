"""What the show engine tells the world: one typed status value, and the listener that gets it.

`ShowStatus` is the only thing the console, the projector window, `rehearse` and the remote
read: what is on (and on the projector), what comes next and what GO will do, how long it has
run and has left, pause / blackout / lock, the night's timeline with how late it runs and when it
will end, and the last action the show refused and why. The engine makes a new one on every
change and at least once a second.

Pure: no Qt, vlc or ffmpeg.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from player.core.cards import CardContent
from player.core.model import Outcome, Step
from player.core.schedule import DurationSource
from player.core.sequencer import Phase
from player.show.asrun import AsRunEntry


class Shows(enum.Enum):
    """What the projector shows (under a blackout, if one is on)."""

    BLACK = "black"
    CARD = "card"
    VIDEO = "video"


@dataclass(frozen=True)
class Screen:
    """The projector, exactly: a card (drawn by Qt), a film (libvlc's surface `slot`) or black;
    `level` 1.0 as it is .. 0.0 black during a fade; `blackout` covers it all with black."""

    shows: Shows = Shows.BLACK
    card: CardContent | None = None
    slot: int | None = None
    level: float = 1.0
    blackout: bool = False

    @property
    def visible(self) -> Shows:
        return Shows.BLACK if self.blackout else self.shows


class Action(enum.Enum):
    """What an operator (keys, buttons, remote) can ask of the show."""

    GO = "go"
    PAUSE = "pause"
    RESUME = "resume"
    FADE = "fade"
    STOP = "stop"
    BLACKOUT = "blackout"
    SKIP = "skip"
    BACK = "back"
    JUMP = "jump"
    LOCK = "lock"
    UNLOCK = "unlock"
    VOLUME = "volume"
    SUBTITLES = "subtitles"
    EDIT = "edit"


class GoDoes(enum.Enum):
    """What GO does now (the console's GO button says it)."""

    START = "start"  # start the night (at `next_index`)
    RESUME = "resume"  # resume an interrupted show at `next_index`
    NEXT = "next"  # start step `next_index` (held, stopped or waiting for GO)
    NOTHING = "nothing"  # GO has nothing to do now (a film plays, paused, fading, over)


@dataclass(frozen=True)
class Refusal:
    """An action the show did not carry out, and why, in one plain sentence."""

    action: Action
    reason: str
    at_ms: int  # the engine's clock when it was refused

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class StepRecord:
    """One row of the night's timeline. Times are ms after midnight of the night's day (past
    24 h after midnight); `planned_*` from the plan, the rest as it happened (None: not yet)."""

    index: int
    planned_start_ms: int
    planned_ms: int
    held: bool = False  # a card that waits for GO (planned as 0 ms)
    source: DurationSource = DurationSource.CARD  # where `planned_ms` comes from
    started_ms: int | None = None
    ended_ms: int | None = None
    played_ms: int = 0  # time on screen, pauses left out
    paused_ms: int = 0
    outcome: Outcome | None = None
    error: str | None = None

    @property
    def late_ms(self) -> int | None:
        """How late it started against the plan (negative: early); None before it started."""
        return None if self.started_ms is None else self.started_ms - self.planned_start_ms


@dataclass(frozen=True)
class ShowStatus:
    """The show at one moment. `step_index` is what is on screen (None when nothing is: before
    the start, black, finished); `next_index` what GO or the end of it leads to."""

    phase: Phase = Phase.IDLE
    step_index: int | None = None
    step: Step | None = None
    title: str = ""  # what is on, in one line ("" when nothing is)
    next_index: int | None = None
    next_title: str = ""
    go: GoDoes = GoDoes.START
    elapsed_ms: int = 0
    duration_ms: int | None = None
    remaining_ms: int | None = None
    paused: bool = False
    blackout: bool = False
    locked: bool = False
    started: bool = False  # the night has had its first GO
    clock_ms: int = 0  # the time of day now, ms after midnight of the night's day
    late_ms: int | None = None  # how late the night runs now (negative: early)
    projected_end_ms: int | None = None  # when the night will end at this rate
    planned_end_ms: int | None = None
    timed_from_go: bool = False  # the playlist's start does not apply (another day, or none)
    planned_start_ms: int | None = None  # the night's planned start (None: timed from GO)
    refused: Refusal | None = None  # the last refused action (kept until the next action)
    volume_trim_db: float = 0.0
    subtitles_on: bool = True
    screen: Screen = Screen()
    timeline: tuple[StepRecord, ...] = ()
    probing: bool = False  # films still being probed (durations may still change the plan)


class ShowListener:
    """Receives what the engine reports, on the engine's (clock's) thread. Override what you
    need; every method does nothing by default and must not call back into the engine."""

    def status_changed(self, status: ShowStatus) -> None:
        """A new status: on every change and at least once a second."""

    def problem_reported(self, message: str) -> None:
        """One plain sentence: what failed and what the show did about it."""

    def step_logged(self, entry: AsRunEntry) -> None:
        """A step ended; `entry` is its as-run line as written."""

    def finished(self) -> None:
        """The night is over (the projector shows black)."""
