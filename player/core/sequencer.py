"""The show as a pure state machine: events in, effects out.

The sequencer walks the night's steps (`player.core.model.steps`): title cards, films, free
cards and intermissions. It knows no clock, no thread, no Qt and no libvlc. The show engine feeds
it events (GO, skip, "media ended", "card elapsed"...) and carries out the effects it returns
(show this card, preload that film, play it, fade, show black...).

Tokens: every effect carries the sequencer's current `token`; the engine hands the token back
with the events it causes (a card timer, a film ending). Each transition takes a new token, so a
late "ended" from a film the operator skipped, or a card timer that fired just as GO was pressed,
is recognised as stale and dropped.

Follow: when a step ends, `follow: auto` goes on by itself; `follow: hold` arms the next step and
waits for GO. While armed, the next step's card is shown held (or black when the next step is a
film with no card) and the next film is preloaded behind it; GO then goes on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from player.core.model import Card, Follow, Item, Outcome, Step, StepKind

RECOVERY_CARD_MS = 3_000  # how long the neutral card stays up after a failure


class Phase(enum.Enum):
    """What the audience sees, as the operator console shows it."""

    IDLE = "idle"  # nothing started yet
    CARD = "card"  # a timed card (title card, free card, neutral card after a failure)
    FILM = "film"
    INTERMISSION = "intermission"
    HOLDING = "holding"  # waiting for GO (a held card, or black before a film)
    PAUSED = "paused"
    FADING = "fading"
    BLACK = "black"  # stopped by the operator; GO goes on with the next step
    FINISHED = "finished"


class State(enum.Enum):
    """The sequencer's own states (finer than `Phase`)."""

    IDLE = "idle"
    CARD = "card"
    INTERMISSION = "intermission"
    FILM = "film"
    PAUSED = "paused"
    FADING = "fading"
    HOLDING = "holding"
    RECOVERING = "recovering"  # neutral card after a failure, then on by itself
    BLACK = "black"
    FINISHED = "finished"


_PHASE_OF = {
    State.IDLE: Phase.IDLE,
    State.CARD: Phase.CARD,
    State.INTERMISSION: Phase.INTERMISSION,
    State.FILM: Phase.FILM,
    State.PAUSED: Phase.PAUSED,
    State.FADING: Phase.FADING,
    State.HOLDING: Phase.HOLDING,
    State.RECOVERING: Phase.CARD,
    State.BLACK: Phase.BLACK,
    State.FINISHED: Phase.FINISHED,
}

_RUNNING = {State.CARD, State.INTERMISSION, State.FILM, State.PAUSED, State.RECOVERING}


# ---- events (engine -> sequencer) -----------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """Begin the night at `step_index` (0 normally; another value for --from or a resume).
    `position_ms` resumes a film or card part-way through. `held` arms the step instead of
    running it (the operator starts it with GO)."""

    step_index: int = 0
    position_ms: int = 0
    held: bool = False


@dataclass(frozen=True)
class Go:
    pass


@dataclass(frozen=True)
class TogglePause:
    pass


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Skip:
    pass


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Jump:
    step_index: int


@dataclass(frozen=True)
class FadeOut:
    duration_ms: int = 2_000


@dataclass(frozen=True)
class SetBlackout:
    on: bool


@dataclass(frozen=True)
class MediaEnded:
    token: int


@dataclass(frozen=True)
class MediaFailed:
    token: int
    message: str


@dataclass(frozen=True)
class CardElapsed:
    token: int


@dataclass(frozen=True)
class FadeDone:
    token: int


Event = (
    Start
    | Go
    | TogglePause
    | Stop
    | Skip
    | Back
    | Jump
    | FadeOut
    | SetBlackout
    | MediaEnded
    | MediaFailed
    | CardElapsed
    | FadeDone
)

# ---- effects (sequencer -> engine) ----------------------------------------------------------


@dataclass(frozen=True)
class StepStarted:
    """Step `step_index` is now on screen (for the as-run log and the journal)."""

    token: int
    step_index: int


@dataclass(frozen=True)
class StepEnded:
    """Step `step_index` is over, with `outcome` (and `error` when it failed)."""

    token: int
    step_index: int
    outcome: Outcome
    error: str | None = None


@dataclass(frozen=True)
class ShowCard:
    """Draw the card of `step_index` (a card step or an intermission). `duration_ms` None means
    held (no timer); otherwise start a timer and send CardElapsed(token) after `duration_ms`.
    `countdown` is true for a running intermission countdown."""

    token: int
    step_index: int
    duration_ms: int | None
    countdown: bool = False


@dataclass(frozen=True)
class ShowNeutral:
    """Draw the neutral card (after a failure); send CardElapsed(token) after `duration_ms`."""

    token: int
    duration_ms: int
    message: str | None = None


@dataclass(frozen=True)
class PreloadFilm:
    """Open the film of `step_index` on the standby player, paused on its first frame."""

    token: int
    step_index: int


@dataclass(frozen=True)
class PlayFilm:
    """Put the film of `step_index` on screen and play it from `position_ms` (after its in
    point); send MediaEnded/MediaFailed(token) when it ends or fails."""

    token: int
    step_index: int
    position_ms: int = 0


@dataclass(frozen=True)
class StopMedia:
    """Stop any film playing (the picture is replaced by whatever effect comes with it)."""

    token: int


@dataclass(frozen=True)
class PauseMedia:
    """Pause (`paused`) or resume the film or the card timer on screen."""

    token: int
    paused: bool


@dataclass(frozen=True)
class Fade:
    """Fade picture and sound to black and silence over `duration_ms`, then send
    FadeDone(token)."""

    token: int
    duration_ms: int


@dataclass(frozen=True)
class ShowBlack:
    token: int


@dataclass(frozen=True)
class Blackout:
    """Cover (or uncover) the output with black; the show itself goes on underneath."""

    token: int
    on: bool


@dataclass(frozen=True)
class Finished:
    token: int


Effect = (
    StepStarted
    | StepEnded
    | ShowCard
    | ShowNeutral
    | PreloadFilm
    | PlayFilm
    | StopMedia
    | PauseMedia
    | Fade
    | ShowBlack
    | Blackout
    | Finished
)


def _default_follow(item: Item) -> Follow:
    follow = None if isinstance(item, Card) else item.follow
    return follow or Follow.AUTO


@dataclass
class Sequencer:
    """The state machine. `steps` is `player.core.model.steps(playlist)`; `follow_of` is usually
    `playlist.follow_of` (what happens after an item ends).

    Call `handle(event)`; it returns the effects to carry out, in order. All transitions are in
    `handle`; the helpers below only build effects for the step being entered.
    """

    steps: Sequence[Step]
    follow_of: Callable[[Item], Follow] = _default_follow
    recovery_ms: int = RECOVERY_CARD_MS
    state: State = State.IDLE
    index: int | None = None  # the step on screen (running) or armed (HOLDING / BLACK)
    token: int = 0
    blackout: bool = False
    paused_from: State | None = None  # what PAUSED resumes to
    fade_from: State | None = None  # what FADING interrupted
    _out: list[Effect] = field(default_factory=list, repr=False)

    # -- queries --

    @property
    def phase(self) -> Phase:
        return _PHASE_OF[self.state]

    @property
    def next_index(self) -> int | None:
        """The step GO or the end of the current one leads to (None at the end)."""
        if self.index is None:
            return 0 if self.steps and self.state is State.IDLE else None
        if self.state is State.BLACK:
            return self.index if self.index < len(self.steps) else None
        if self.state is State.HOLDING and self.steps[self.index].kind is not StepKind.CARD:
            return self.index
        nxt = self.index + 1
        return nxt if nxt < len(self.steps) else None

    # -- the one transition method --

    def handle(self, event: Event) -> list[Effect]:
        self._out = []
        s = self.state
        # A fade keeps the nature of what it interrupted: a running step, or a wait for GO.
        running = s in _RUNNING or (s is State.FADING and self.fade_from in _RUNNING)
        waiting = s in (State.HOLDING, State.BLACK) or (
            s is State.FADING and self.fade_from is State.HOLDING
        )
        match event:
            case Start(step_index=i, position_ms=pos, held=held):
                if s is State.IDLE:
                    if not self.steps:
                        self._finish()
                    elif held:
                        self._arm(self._clamp(i))
                    else:
                        self._enter(self._clamp(i), pos)
            case Go():
                if s is State.IDLE:
                    self._enter(0) if self.steps else self._finish()
                elif s is State.HOLDING:
                    step = self.steps[self.index]
                    if step.kind is StepKind.CARD:
                        self._end_current(Outcome.PLAYED)
                        self._advance(self.index, Follow.AUTO)
                    else:
                        self._enter(self.index)
                elif s is State.BLACK:
                    if self.index < len(self.steps):
                        self._enter(self.index)
                    else:
                        self._finish()
            case TogglePause():
                if s in (State.FILM, State.CARD, State.INTERMISSION):
                    self.paused_from = s
                    self.state = State.PAUSED
                    self._emit(PauseMedia(self.token, True))
                elif s is State.PAUSED:
                    self.state = self.paused_from or State.FILM
                    self.paused_from = None
                    self._emit(PauseMedia(self.token, False))
            case Stop():
                if running:
                    self._end_current(Outcome.STOPPED)
                    self._black(self.index + 1)
                elif waiting and s is not State.BLACK:
                    self._stop_holding()
            case Skip():
                if running:
                    self._end_current(Outcome.SKIPPED)
                    self._advance(self.index, Follow.AUTO)
                elif waiting and self.index < len(self.steps):
                    self._emit(StepEnded(self.token, self.index, Outcome.SKIPPED))
                    self._arm_or_finish(self.index + 1)
            case Back():
                if running:
                    self._end_current(Outcome.SKIPPED)
                    self._enter(max(0, self.index - 1))
                elif (waiting or s is State.FINISHED) and self.index is not None:
                    self._arm(max(0, min(self.index, len(self.steps)) - 1))
            case Jump(step_index=k):
                if 0 <= k < len(self.steps):
                    if running:
                        self._end_current(Outcome.SKIPPED)
                        self._enter(k)
                    else:
                        self._arm(k)
            case FadeOut(duration_ms=ms):
                if s in _RUNNING or s is State.HOLDING:
                    self.fade_from = s
                    self.state = State.FADING
                    self.token += 1
                    self._emit(Fade(self.token, max(0, int(ms))))
            case SetBlackout(on=on):
                if bool(on) != self.blackout:
                    self.blackout = bool(on)
                    self._emit(Blackout(self.token, self.blackout))
            case MediaEnded(token=t):
                if t == self.token and s in (State.FILM, State.PAUSED):
                    self._end_current(Outcome.PLAYED)
                    self._advance(self.index, self.follow_of(self.steps[self.index].item))
            case MediaFailed(token=t, message=msg):
                if t == self.token and s in (State.FILM, State.PAUSED):
                    self._end_current(Outcome.FAILED, msg)
                    self._recover()
            case CardElapsed(token=t):
                if t == self.token:
                    if s in (State.CARD, State.INTERMISSION):
                        self._end_current(Outcome.PLAYED)
                        step = self.steps[self.index]
                        card = step.kind is StepKind.CARD
                        follow = Follow.AUTO if card else self.follow_of(step.item)
                        self._advance(self.index, follow)
                    elif s is State.RECOVERING:
                        self._advance(self.index, Follow.AUTO)
            case FadeDone(token=t):
                if t == self.token and s is State.FADING:
                    if self.fade_from is State.HOLDING:
                        self._stop_holding()
                    else:
                        self._end_current(Outcome.STOPPED)
                        self._black(self.index + 1)
        return self._out

    # -- helpers --

    def _emit(self, effect: Effect) -> None:
        self._out.append(effect)

    def _clamp(self, i: int) -> int:
        return max(0, min(int(i), len(self.steps) - 1))

    def _end_current(self, outcome: Outcome, error: str | None = None) -> None:
        """Close the running step in the log and stop its media when it is a film."""
        recovering = State.RECOVERING in (self.state, self.fade_from)
        if self.index is None or recovering:
            return  # a failed step was closed when it failed
        step = self.steps[self.index]
        self.token += 1
        if step.kind is StepKind.FILM:
            self._emit(StopMedia(self.token))
        self._emit(StepEnded(self.token, self.index, outcome, error))
        self.paused_from = None
        self.fade_from = None

    def _stop_holding(self) -> None:
        """Stop while waiting for GO: a held card counts as stopped; black either way."""
        if self.steps[self.index].kind is StepKind.CARD:
            self.token += 1
            self._emit(StepEnded(self.token, self.index, Outcome.STOPPED))
            self._black(self.index + 1)
        else:
            self._black(self.index)

    def _advance(self, ended: int, follow: Follow) -> None:
        nxt = ended + 1
        if nxt >= len(self.steps):
            self._finish()
        elif follow is Follow.HOLD:
            self._arm(nxt)
        else:
            self._enter(nxt)

    def _arm_or_finish(self, i: int) -> None:
        if i >= len(self.steps):
            self._finish()
        else:
            self._arm(i)

    def _enter(self, i: int, position_ms: int = 0) -> None:
        """Run step `i` now."""
        self.token += 1
        self.index = i
        self.paused_from = None
        self.fade_from = None
        step = self.steps[i]
        self._emit(StepStarted(self.token, i))
        if step.kind is StepKind.FILM:
            self.state = State.FILM
            self._emit(PlayFilm(self.token, i, max(0, position_ms)))
            self._preload_after(i)
            return
        if step.kind is StepKind.INTERMISSION:
            self.state = State.INTERMISSION
            duration = max(0, step.item.duration_ms - position_ms)
            self._emit(ShowCard(self.token, i, duration, countdown=True))
        else:
            card = step.card
            if card is None or card.hold or card.duration_ms is None:
                # A hold card: up until GO.
                self.state = State.HOLDING
                self._emit(ShowCard(self.token, i, None))
            else:
                self.state = State.CARD
                duration = max(0, card.duration_ms - position_ms)
                self._emit(ShowCard(self.token, i, duration))
        self._preload_after(i)

    def _arm(self, i: int) -> None:
        """Wait for GO before step `i`: show its card held, or black before a film."""
        self.token += 1
        self.index = i
        self.paused_from = None
        self.fade_from = None
        self.state = State.HOLDING
        step = self.steps[i]
        if step.kind is StepKind.FILM:
            self._emit(ShowBlack(self.token))
            self._emit(PreloadFilm(self.token, i))
            return
        if step.kind is StepKind.CARD:
            self._emit(StepStarted(self.token, i))
        self._emit(ShowCard(self.token, i, None))
        self._preload_after(i)

    def _black(self, armed: int) -> None:
        """Stopped: black on screen, GO goes on with step `armed`."""
        self.token += 1
        self.index = armed
        self.paused_from = None
        self.fade_from = None
        self.state = State.BLACK
        self._emit(ShowBlack(self.token))
        if armed < len(self.steps) and self.steps[armed].kind is StepKind.FILM:
            self._emit(PreloadFilm(self.token, armed))

    def _recover(self) -> None:
        self.token += 1
        self.state = State.RECOVERING
        self._emit(ShowNeutral(self.token, self.recovery_ms))
        self._preload_after(self.index)

    def _preload_after(self, i: int) -> None:
        nxt = i + 1
        if nxt < len(self.steps) and self.steps[nxt].kind is StepKind.FILM:
            self._emit(PreloadFilm(self.token, nxt))

    def _finish(self) -> None:
        self.token += 1
        self.state = State.FINISHED
        self.paused_from = None
        self.fade_from = None
        if self.index is not None:
            self.index = len(self.steps)
        self._emit(ShowBlack(self.token))
        self._emit(Finished(self.token))
