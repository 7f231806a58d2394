"""The show engine: runs the night. Qt-free, on an injected clock and media backend.

It owns the night's state and time. The sequencer (`player.core.sequencer`) decides what comes
next; the engine carries out its effects on the two decks of the media backend, runs card and
intermission timers, fades, judges how each film ended and recovers from failures, writes the
as-run log and the journal, keeps the timeline (planned, actual, late, projected end) and makes
one `ShowStatus` per change and per second for whoever shows it (`ShowListener`). The console,
the projector window, `rehearse` and the remote only call its actions and render its status.

Threads: everything here runs on the clock's thread, one callback at a time. The backend posts
its events from its own threads; they come in through `Clock.call_soon_threadsafe` and are
handled there, never inside a libvlc callback. Probing and loudness run off the thread
(`player.show.measure`) and come back the same way.

Actions (`go`, `pause`, `skip`, ...) return None when carried out, or a `Refusal` saying why not
(locked, nothing to pause, a second GO within half a second...); the status keeps the last one.

Failures never stop the show: a film that will not open, fails mid-way, stalls, or ends well
short of its probed duration is reported (`problem_reported`), logged as failed, and the show
holds on a neutral card for a moment and goes on by itself. An internal error while carrying out
an effect is recovered the same way (`_recovery_for`).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from player.core.cards import CardContent, card_content, neutral_card
from player.core.model import (
    MAX_BOOST_DB,
    Film,
    Follow,
    Outcome,
    Playlist,
    Step,
    StepKind,
    steps,
)
from player.core.sequencer import (
    Back,
    Blackout,
    CardElapsed,
    Fade,
    FadeDone,
    FadeOut,
    Finished,
    Go,
    Jump,
    MediaEnded,
    MediaFailed,
    PauseMedia,
    Phase,
    PlayFilm,
    PreloadFilm,
    Sequencer,
    SetBlackout,
    ShowBlack,
    ShowCard,
    ShowNeutral,
    Skip,
    Start,
    State,
    StepEnded,
    StepStarted,
    Stop,
    StopMedia,
    TogglePause,
)
from player.core.subtitles import SubtitleStyle
from player.media.backend import Ended, Failed, MediaBackend, Ready, Started, TimeChanged
from player.show import asrun, fades, journal, judge
from player.show.asrun import AsRunEntry
from player.show.clock import Clock, Timer
from player.show.decks import Deck, Decks
from player.show.measure import AllProbed, Measured, Measurer, Probed, Result
from player.show.record import Recorder
from player.show.resume import ResumePoint
from player.show.showcontrol import OscSent, ShowControl, When
from player.show.status import (
    Action,
    GoDoes,
    Refusal,
    Screen,
    ShowListener,
    Shows,
    ShowStatus,
)
from player.show.timeline import Timeline, ms_of_day

log = logging.getLogger(__name__)

TICK_MS = 1_000  # the status and the journal, at least this often
PLAN_SETTLE_MS = 250  # measurements pouring in: plan again at most this often
LOUDNESS_WAIT_MS = 5_000  # GO on a film still being measured: wait at most this long
RECOVERY_CARD_MS = 3_000  # the neutral card after a failure
GO_DEBOUNCE_MS = 500  # a second GO within this is ignored (a double press never skips a film)
SECOND_ESC_MS = 5_000  # Esc again within this (or during the fade) stops at once
VOLUME_RANGE_DB = (-32.0, 8.0)
# Film directly after film: the next one is started this long before the current one ends.
# The next film is pre-rolled (its picture is up, paused), so unpausing it shows its next frame
# within ~10-30 ms. Measured with bench/transitions.py (GL video under Xvfb), lead 0 / 40 / 80 ms:
# held 40-60 / 0-60 / 20-60 ms, first frames unseen 2 / 2-3 / 3-4. Its sound starts with its
# clock, so the two films' sounds overlap by about this much (nothing is cut).
PRESTART_LEAD_MS = 40
RECOVERY_MESSAGE = "The show continues in a moment"
LOCKED_REASON = "the show is locked (hold the lock button for a second, or press Ctrl+L)"

_RUNNING = {State.CARD, State.INTERMISSION, State.FILM, State.PAUSED, State.RECOVERING}


def _why(exc: OSError) -> str:
    """'No space left on device', or 'Not a directory: /the/path/in/the/way'."""
    if exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return exc.strerror or str(exc)


@dataclass
class _Playing:
    """The film on screen and what its clock has said."""

    deck: Deck
    token: int
    position_ms: int  # resume offset into the film (after its in point)
    since_ms: int  # engine clock at play()
    first_frame_ms: int | None = None
    last_progress_ms: int = 0
    last_time_ms: int = 0  # the furthest position reported (ms in the file)
    paused_since_ms: int | None = None
    paused_ms: int = 0
    shown: bool = False
    origin_ms: int | None = None  # engine clock of file position 0 (unknown after a pause)

    def played_ms(self, now_ms: int) -> int:
        """Playing time since its first picture, pauses left out."""
        if self.first_frame_ms is None:
            return 0
        paused = self.paused_ms
        if self.paused_since_ms is not None:
            paused += now_ms - self.paused_since_ms
        by_wall = now_ms - self.first_frame_ms - paused
        by_clock = self.last_time_ms - self.deck.start_ms
        return max(0, by_wall, by_clock)


@dataclass
class _Timed:
    """A card, intermission or neutral card on its timer (or held: `duration_ms` None)."""

    token: int
    duration_ms: int | None
    started_ms: int
    paused_since_ms: int | None = None
    paused_ms: int = 0
    timer: Timer | None = None

    def elapsed_ms(self, now_ms: int) -> int:
        paused = self.paused_ms
        if self.paused_since_ms is not None:
            paused += now_ms - self.paused_since_ms
        return max(0, now_ms - self.started_ms - paused)


@dataclass
class _Open:
    """A step on screen, waiting for its as-run line."""

    started_ms: int  # engine clock
    started_at: str  # wall time, for the log
    paused_ms: int = 0
    paused_since_ms: int | None = None

    def paused_now(self, now_ms: int) -> int:
        extra = now_ms - self.paused_since_ms if self.paused_since_ms is not None else 0
        return self.paused_ms + extra


@dataclass
class _Fade:
    token: int
    started_ms: int
    duration_ms: int
    start: tuple[float, float]  # (picture, sound) faded when it began


class ShowEngine:
    def __init__(
        self,
        playlist: Playlist,
        backend: MediaBackend,
        clock: Clock,
        *,
        listener: ShowListener | None = None,
        as_run_path: str | Path | None = None,
        journal_path: str | Path | None = None,
        resume: ResumePoint | None = None,
        measurer: Measurer | None = None,
        has_video: bool = False,
        recovery_ms: int = RECOVERY_CARD_MS,
        lock_on_start: bool = False,
        show_control: ShowControl | None = None,
    ) -> None:
        self.playlist = playlist
        self.steps: list[Step] = steps(playlist)
        self.backend = backend
        self.clock = clock
        self.listener = listener or ShowListener()
        self.journal_path = (
            Path(journal_path) if journal_path else journal.default_path(playlist.path)
        )
        # Raises journal.ShowInUse when another program runs this night (before we touch its
        # journal or as-run log).
        self._show_lock = journal.acquire_lock(self.journal_path)
        self.resume_point = resume
        self._as_run_given = Path(as_run_path) if as_run_path else None
        self.as_run_path = self._as_run_given or (
            resume.as_run_path if resume and resume.as_run_path else None
        )
        self._records = Recorder(self.journal_path, clock, self._record_failed)
        self._seq = Sequencer(self.steps, playlist.follow_of, recovery_ms=recovery_ms)
        self._decks = Decks(backend)
        self._measurer = measurer
        self.has_video = has_video
        self.lock_on_start = lock_on_start

        day = resume.night_day if resume and resume.night_day else clock.wall().date()
        self.night_day: date = day
        self.timeline = Timeline(playlist, self.steps, day)
        if resume is not None:
            self.timeline.restore(resume.entries, resume.night_start_ms)

        self.started = False
        self.locked = False
        self._closed = False
        self._queue: deque = deque()
        self._busy = False
        self._stops: list[tuple[int, int]] = []  # (slot, media id) to stop after a batch
        self._recoveries: list = []
        self._refused: Refusal | None = None
        self._last_go_ms: int | None = None
        self._last_esc_ms: int | None = None
        self._trim_db = 0.0
        self._subtitles_on = True
        # Until the first GO the projector shows the night's title card, never a desktop.
        self._screen = Screen(Shows.CARD, card=neutral_card(playlist))
        self._status = ShowStatus()
        self._warned: set[str] = set()
        self._notes: dict[int, str] = {}  # step -> a note for its as-run line's error field
        self._on_air: dict[int, _Open] = {}  # steps on screen, waiting for their as-run line
        self._completed: int | None = None  # the step that last ended (for the journal)
        self._ended_ms: int | None = None  # clock-of-day when the night finished
        # Show control (osc_out; `show_control` given: tests): what each step on air has
        # sent, for its as-run line.
        target = playlist.osc_out
        if show_control is None and target is not None:
            show_control = ShowControl(target, clock, clock.now_ms)
        self.show_control = show_control
        self._osc_sent: dict[int, list[OscSent]] = {}

        self._playing: _Playing | None = None
        self._last_played_ms = 0  # the last film's playing time, kept past its StopMedia
        self._timed: _Timed | None = None
        self._hold_started_ms = 0
        self._fade: _Fade | None = None
        self._fade_timer: Timer | None = None
        self._faded = (0.0, 0.0)  # how far (picture, sound) are faded: 0 as they are .. 1 gone
        self._tail_timer: Timer | None = None
        self._pending_play: tuple[int, int, int] | None = None  # token, step, position
        self._pending_timer: Timer | None = None
        self._prestart_timer: Timer | None = None
        self._prestart_token = -1
        self._prestarted: Deck | None = None
        self._plan_timer: Timer | None = None
        self._tick_timer: Timer | None = None

        # media facts, as measured while the night runs
        self._media_ms: dict[Path, int] = {}
        self._lufs: dict[Path, float | None] = {}
        self._measuring: set[Path] = set()
        self._wanted_preload: set[int] = set()
        self.probing = False

        backend.set_event_sink(self._post_backend_event)
        backend.set_subtitle_style(SubtitleStyle.of(playlist))
        if measurer is not None:
            self._start_measuring(measurer)
        self._emit_status()
        self._tick_timer = clock.call_later(TICK_MS, self._on_tick)

    # ==================================================================== public: reading

    @property
    def status(self) -> ShowStatus:
        return self._status

    @property
    def schedule(self):
        return self.timeline.schedule

    def expected_ms(self, step_index: int) -> int | None:
        """How long the film of `step_index` should play (trims applied), best known."""
        film = self._film(step_index)
        media = self._media_ms.get(film.path)
        if media is None:
            for deck in self._decks.by_slot.values():
                if deck.step_index == step_index:
                    media = self.backend.length_ms(deck.slot)
        return film.played_ms(media)

    def gain_db_for(self, film: Film) -> float:
        """The film's fixed gain: its trim plus the loudness match when a target is set."""
        gain = film.gain_db
        target = self.playlist.defaults.loudness_target
        lufs = self._lufs.get(film.path)
        if target is not None and lufs is not None:
            gain += target - lufs
        return min(MAX_BOOST_DB, gain)

    # ==================================================================== public: actions

    def set_video_windows(self, handles: tuple[int | None, int | None]) -> None:
        """The projector's two native surfaces (None: headless)."""
        self.has_video = any(handles)
        for slot, handle in enumerate(handles):
            self.backend.set_video_window(slot, handle)

    def start(self, step_index: int | None = None) -> Refusal | None:
        """Begin the night: at the resume point when there is one and no step is given, else
        at `step_index` (default the first). A hold card still waits for the next GO."""
        if self.started and self._seq.phase is not Phase.IDLE:
            return self.go()  # armed by a jump before the start: this is its GO
        if not self.steps:
            self._night_starts(None)
            self._feed(Start(0))
            return None
        point = self.resume_point if step_index is None else None
        self._night_starts(point)
        if point is not None:
            self._feed(Start(point.step_index, point.position_ms))
        else:
            self._feed(Start(step_index or 0))
        return None

    def start_from_top(self) -> Refusal | None:
        """Start at the first step, leaving an interrupted show's resume point aside."""
        if self.started:
            return self._refuse(Action.GO, "the night has started already")
        if self.resume_point is not None:  # a new show: a new plan, a new as-run log
            self.resume_point = None
            self.night_day = self.clock.wall().date()
            self.timeline = Timeline(self.playlist, self.steps, self.night_day)
            self.timeline.replan(self._media_ms)
            if self._as_run_given is None:
                self.as_run_path = None
        return self.start(0)

    def go(self) -> Refusal | None:
        """GO: start the night, or the step the show waits for."""
        now = self.clock.now_ms()
        last, self._last_go_ms = self._last_go_ms, now
        if last is not None and now - last < GO_DEBOUNCE_MS:
            return self._refuse(
                Action.GO, "GO pressed again within half a second: the second press is ignored"
            )
        if not self.started:
            return self.start()
        phase = self._seq.phase
        reasons = {
            Phase.FILM: "a film is playing; the night goes on by itself at its end "
            "(Skip cuts it short)",
            Phase.CARD: "a timed card is up; the night goes on by itself when it ends",
            Phase.INTERMISSION: "the intermission counts down; the night goes on by itself",
            Phase.PAUSED: "the show is paused: P resumes",
            Phase.FADING: "a fade is under way",
            Phase.FINISHED: "the night is over",
        }
        if phase in reasons:
            return self._refuse(Action.GO, reasons[phase])
        return self._act(Action.GO, Go())

    def pause(self) -> Refusal | None:
        if self._seq.state not in (State.FILM, State.CARD, State.INTERMISSION):
            why = "it is paused already" if self._seq.state is State.PAUSED else None
            return self._refuse(Action.PAUSE, why or "nothing is running to pause")
        return self._act(Action.PAUSE, TogglePause())

    def resume(self) -> Refusal | None:
        if self._seq.state is not State.PAUSED:
            return self._refuse(Action.RESUME, "nothing is paused to resume")
        return self._act(Action.RESUME, TogglePause())

    def toggle_pause(self) -> Refusal | None:
        return self.resume() if self._seq.state is State.PAUSED else self.pause()

    def fade(self, duration_ms: int = fades.FADE_MS) -> Refusal | None:
        """Fade to black and silence over `duration_ms`, then stop (black, GO goes on)."""
        if self._seq.state not in _RUNNING | {State.HOLDING}:
            return self._refuse(Action.FADE, "nothing is on screen to fade")
        return self._act(Action.FADE, FadeOut(int(duration_ms)))

    def stop(self) -> Refusal | None:
        """Stop at once: black; GO goes on with the next step."""
        state = self._seq.state
        if state in (State.IDLE, State.BLACK, State.FINISHED):
            return self._refuse(Action.STOP, "nothing is running to stop")
        return self._act(Action.STOP, Stop())

    def escape(self) -> Refusal | None:
        """Esc: fade to black and silence; Esc again within 5 s, or during the fade, stops."""
        now = self.clock.now_ms()
        last, self._last_esc_ms = self._last_esc_ms, now
        recent = last is not None and now - last < SECOND_ESC_MS
        if recent or self._seq.phase is Phase.FADING:
            self._last_esc_ms = None
            return self.stop()
        return self.fade()

    def skip(self) -> Refusal | None:
        if self.locked:
            return self._refuse(Action.SKIP, LOCKED_REASON)
        if self._seq.state in (State.IDLE, State.FINISHED):
            return self._refuse(Action.SKIP, "nothing to skip")
        return self._act(Action.SKIP, Skip())

    def back(self) -> Refusal | None:
        if self.locked:
            return self._refuse(Action.BACK, LOCKED_REASON)
        if self._seq.state is State.IDLE:
            return self._refuse(Action.BACK, "the night has not started")
        return self._act(Action.BACK, Back())

    def jump(self, step_index: int) -> Refusal | None:
        if self.locked:
            return self._refuse(Action.JUMP, LOCKED_REASON)
        if not 0 <= step_index < len(self.steps):
            return self._refuse(Action.JUMP, f"there is no step {step_index + 1}")
        if not self.started:
            self._night_starts(None)
        return self._act(Action.JUMP, Jump(int(step_index)))

    def set_blackout(self, on: bool) -> Refusal | None:
        return self._act(Action.BLACKOUT, SetBlackout(bool(on)))

    def toggle_blackout(self) -> Refusal | None:
        return self.set_blackout(not self._seq.blackout)

    def set_locked(self, locked: bool) -> Refusal | None:
        """The show lock: while on, Skip, Back, Jump and edits are refused."""
        self._refused = None
        if locked != self.locked:
            self.locked = locked
            self._emit_status()
        return None

    def set_volume_trim_db(self, db: float) -> Refusal | None:
        """Live trim of the night's level (dB; -32..+8 applied), on top of each film's gain."""
        low, high = VOLUME_RANGE_DB
        self._trim_db = max(low, min(high, float(db)))
        faded = self._playing.deck.slot if self._playing and any(self._faded) else None
        for slot in self._decks.by_slot:
            if slot != faded:
                self.backend.set_level_db(slot, self._trim_db)
        if faded is not None:
            self._set_faded(*self._faded)
        self._emit_status()
        return None

    def set_subtitles(self, on: bool) -> Refusal | None:
        """Show or hide the subtitles of the film on screen (each new film starts with them
        on). Off is at once; on again, they come back with the next cue."""
        playing = self._playing
        film = self._film(playing.deck.step_index) if playing is not None else None
        if film is None or (film.subtitles is None and film.subtitle_track is None):
            return self._refuse(Action.SUBTITLES, "the film on screen has no subtitles")
        self._refused = None
        self._subtitles_on = bool(on)
        self.backend.set_subtitles_visible(playing.deck.slot, self._subtitles_on)
        self._emit_status()
        return None

    def toggle_subtitles(self) -> Refusal | None:
        return self.set_subtitles(not self._subtitles_on)

    def snapshot(self, path: Path) -> bool:
        """The film on screen's current picture as PNG (False when there is none)."""
        if self._playing is None:
            return False
        return self.backend.snapshot(self._playing.deck.slot, Path(path))

    def flush_records(self) -> None:
        """Block until every as-run line and journal save so far is on disk (they are written
        off the show's thread: `player.show.record`)."""
        self._records.flush()

    def close(self) -> None:
        """Stop playback, save the journal, release the backend (call once at the end)."""
        if self._closed:
            return
        for timer in (
            self._tick_timer,
            self._timed.timer if self._timed else None,
            self._fade_timer,
            self._tail_timer,
            self._pending_timer,
            self._plan_timer,
            self._prestart_timer,
        ):
            self.clock.cancel(timer)
        if self.started and self._seq.phase is not Phase.FINISHED:
            self._save_journal()  # where the show was, to the millisecond
        self._closed = True
        if self._measurer is not None:
            self._measurer.close()
        if self.show_control is not None:
            self.show_control.close()
        try:
            self.backend.close()
        finally:  # whatever the backend does, the records are written and the night unlocked
            self._records.close()
            self._show_lock.release()

    # ==================================================================== actions: plumbing

    def _refuse(self, action: Action, reason: str) -> Refusal:
        self._refused = Refusal(action, reason, self.clock.now_ms())
        log.info("%s refused: %s", action.value, reason)
        self._emit_status()
        return self._refused

    def _act(self, action: Action, event) -> Refusal | None:
        if self._closed:
            return Refusal(action, "the show is closed", self.clock.now_ms())
        self._refused = None
        self._feed(event)
        return None

    def _fading_a_hold(self) -> bool:
        return self._seq.state is State.FADING and self._seq.fade_from is State.HOLDING

    def _night_starts(self, point: ResumePoint | None) -> None:
        if self.started:
            return
        self.started = True
        if self.as_run_path is None:
            self.as_run_path = asrun.default_path(self.playlist.path, self.clock.wall())
        self._records.open_as_run(self.as_run_path)
        log.info("as-run log: %s", self.as_run_path)
        self.timeline.night_started(self._now_of_day())
        if self.lock_on_start:
            self.locked = True

    # ==================================================================== the event loop

    def _post_backend_event(self, event) -> None:
        """From the backend's threads: hand the event to the clock's thread (nothing else)."""
        self.clock.call_soon_threadsafe(lambda: self._on_backend_event(event))

    def _feed(self, event) -> None:
        """Hand an event to the sequencer; events caused while carrying out effects queue up.

        An internal error while carrying out one effect does not stop the others. When it
        leaves the show stuck (a film that did not start, a card with no timer, a fade with no
        end) the sequencer hears that this step failed or ended, so the show goes on by itself
        (`_recovery_for`). A failure while carrying out such a recovery gets no recovery of its
        own, so a recovery that fails every time cannot loop: the operator is asked to Skip."""
        if self._closed:
            return
        self._queue.append(event)
        if self._busy:
            return
        self._busy = True
        try:
            while self._queue:
                item = self._queue.popleft()
                recovering = any(item is r for r in self._recoveries)
                if recovering:
                    self._recoveries = [r for r in self._recoveries if r is not item]
                self._handle(item, recovering)
            try:
                self._settle_prestart()
            except Exception:
                self._internal_error("settling the next film", recovering=False)
        finally:
            self._busy = False
            self._recoveries.clear()
        self._emit_status()
        # Films taken off screen are stopped once what replaces them is up (the status above
        # raised it): stopped first, a player may clear its surface before the card covers it.
        stops, self._stops = self._stops, []
        try:
            for slot, media_id in stops:
                deck = self._decks.by_slot.get(slot)
                if deck is not None and deck.media_id == media_id:
                    self._decks.stop(slot)
        except Exception:
            self._internal_error("stopping a film", recovering=False)

    def _handle(self, event, recovering: bool) -> None:
        try:
            effects = self._seq.handle(event)
        except Exception:
            self._internal_error(None, recovering)
            return
        for effect in effects:
            try:
                self._do(effect, self._stops)
            except Exception:
                self._internal_error(effect, recovering)

    def _internal_error(self, effect, recovering: bool) -> None:
        """Log the exception being handled (raised carrying out `effect`; None: raised by the
        sequencer itself; a string: raised tidying up), tell the operator what the show does,
        and queue the event that gets it going again."""
        log.exception("show engine error (%s)", effect)
        event, then = self._recovery_for(effect)
        if event is not None and recovering:  # one recovery per failure: no loop
            then = "it could not recover by itself: press Skip to go on"
        elif event is not None:
            self._recoveries.append(event)
            self._queue.append(event)
        self.listener.problem_reported(f"The show engine met an internal error; {then}.")

    @staticmethod
    def _recovery_for(effect) -> tuple[object | None, str]:
        """(the event that unsticks the show after `effect` failed, or None; what the show
        does then, for the operator). Tokens make a recovery overtaken by events a no-op."""
        match effect:
            case PlayFilm(token=t):
                failed = MediaFailed(t, "it could not be started (internal error)")
                return failed, "the film was not shown and the show goes on with the next item"
            case ShowCard(token=t, duration_ms=ms) if ms is not None:
                return CardElapsed(t), "the show goes on with the next item"
            case ShowNeutral(token=t):
                return CardElapsed(t), "the show goes on with the next item"
            case Fade(token=t):
                return FadeDone(t), "the fade ends on black"
            case None:
                return None, "if the show does not go on by itself, press Skip"
        return None, "the show goes on"

    def _later(self, event) -> None:
        """Feed `event` after the effects being carried out (or now, outside of a batch)."""
        if self._busy:
            self._queue.append(event)
        else:
            self._feed(event)

    def _do(self, effect, stops: list[tuple[int, int]]) -> None:
        match effect:
            case StepStarted(step_index=i):
                self._step_started(i)
            case StepEnded(step_index=i, outcome=outcome, error=error):
                self._step_ended(i, outcome, error)
            case ShowCard(token=t, step_index=i, duration_ms=ms):
                self._show_card(self._card_of(i))
                self._start_timed(t, ms)
            case ShowNeutral(token=t, duration_ms=ms, message=message):
                self._show_card(neutral_card(self.playlist, message or RECOVERY_MESSAGE))
                self._start_timed(t, ms)
            case PreloadFilm(step_index=i):
                self._preload(i)
            case PlayFilm(token=t, step_index=i, position_ms=pos):
                self._stop_timed()
                if self._measuring_blocks(i):
                    self._pending_play = (t, i, pos)
                    self.clock.cancel(self._pending_timer)
                    self._pending_timer = self.clock.call_later(
                        LOUDNESS_WAIT_MS, self._release_pending_play
                    )
                else:
                    self._play(t, i, pos)
            case StopMedia():
                self.clock.cancel(self._prestart_timer)
                if self._playing is not None:
                    deck = self._playing.deck
                    self._last_played_ms = self._playing.played_ms(self.clock.now_ms())
                    stops.append((deck.slot, deck.media_id))
                    self._playing = None
                self._pending_play = None
                self._stop_fade()
                self._faded = (0.0, 0.0)
            case PauseMedia(paused=paused):
                self._pause(paused)
            case Fade(token=t, duration_ms=ms):
                if self._timed is not None:
                    self.clock.cancel(self._timed.timer)
                self.clock.cancel(self._tail_timer)  # from where the film's own fade got to
                self._fade = _Fade(t, self.clock.now_ms(), ms, self._faded)
                self._on_fade_step()
            case ShowBlack():
                self._stop_timed()
                self._hold_started_ms = self.clock.now_ms()
                self._show(Screen(Shows.BLACK, blackout=self._seq.blackout))
            case Blackout(on=on):
                self._show(replace(self._screen, blackout=on))
            case Finished():
                self._stop_timed()
                self._decks.stop_all()
                self._playing = None
                self._show(Screen(Shows.BLACK, blackout=self._seq.blackout))
                self._ended_ms = self._now_of_day()
                self._save_journal(finished=True)
                self._records.flush()  # the night is over: its records are on disk
                self.clock.cancel(self._tick_timer)
                self.listener.finished()

    # ==================================================================== what is on screen

    def _show(self, screen: Screen) -> None:
        self._screen = screen

    def _show_card(self, content: CardContent) -> None:
        self._faded = (0.0, 0.0)
        self._show(Screen(Shows.CARD, card=content, blackout=self._seq.blackout))

    def _show_video(self, slot: int) -> None:
        self._show(Screen(Shows.VIDEO, slot=slot, blackout=self._seq.blackout))

    def _card_of(self, i: int) -> CardContent:
        step = self.steps[i]
        nxt = self.steps[i + 1] if i + 1 < len(self.steps) else None
        media_ms = self._media_ms.get(step.item.path) if isinstance(step.item, Film) else None
        return card_content(self.playlist, step, media_duration_ms=media_ms, next_step=nxt)

    # ==================================================================== cards

    def _start_timed(self, token: int, duration_ms: int | None) -> None:
        self._stop_timed()
        now = self.clock.now_ms()
        self._timed = _Timed(token, duration_ms, now)
        self._hold_started_ms = now
        if duration_ms is not None:
            self._timed.timer = self.clock.call_later(
                duration_ms, lambda: self._feed(CardElapsed(token))
            )
        self._restart_tick()

    def _stop_timed(self) -> None:
        if self._timed is not None:
            self.clock.cancel(self._timed.timer)
            self._timed = None

    # ==================================================================== films

    def _film(self, step_index: int) -> Film:
        return self.steps[step_index].item

    def _keep_slots(self) -> set[int]:
        """Slots not to open into: the film on screen, or the last frame still showing."""
        if self._playing is not None:
            return {self._playing.deck.slot}
        if self._screen.shows is Shows.VIDEO and self._screen.slot is not None:
            return {self._screen.slot}
        return set()

    def _open(self, step_index: int, position_ms: int = 0) -> Deck:
        film = self._film(step_index)
        return self._decks.open(
            step_index,
            film,
            position_ms=position_ms,
            gain_db=self.gain_db_for(film),
            level_db=self._trim_db,
            keep=self._keep_slots(),
        )

    def _preload(self, step_index: int) -> None:
        if self._decks.waiting(step_index) is not None:
            return
        if self._measuring_blocks(step_index):
            self._wanted_preload.add(step_index)  # opened once measured, with its gain
            return
        self._open(step_index)

    def _play(self, token: int, step_index: int, position_ms: int) -> None:
        deck = self._decks.waiting(step_index) if position_ms == 0 else None
        if deck is None:
            deck = self._open(step_index, position_ms)
        if deck is self._prestarted:
            self._prestarted = None  # running already: started just before the last film ended
        deck.played = True
        self._subtitles_on = True
        self.clock.cancel(self._tail_timer)
        self._faded = (0.0, 0.0)
        now = self.clock.now_ms()
        self._playing = _Playing(deck, token, position_ms, now, last_progress_ms=now)
        self._restart_tick()
        if deck.failed:
            self._later(MediaFailed(token, deck.failed))
            return
        if deck.ready:
            self.backend.play(deck.slot)
            # Raised at once: the surface keeps what is under it until libvlc draws (the
            # output window does not let Qt paint over it).
            self._playing.shown = True
            self._show_video(deck.slot)
        else:
            deck.play_on_ready = True

    def _pause(self, paused: bool) -> None:
        now = self.clock.now_ms()
        for entry in self._on_air.values():
            if paused and entry.paused_since_ms is None:
                entry.paused_since_ms = now
            elif not paused and entry.paused_since_ms is not None:
                entry.paused_ms += now - entry.paused_since_ms
                entry.paused_since_ms = None
        playing = self._playing
        if playing is not None:
            self.backend.pause(playing.deck.slot, paused)
            playing.origin_ms = None  # the film's clock moves: measure it again
            self.clock.cancel(self._prestart_timer)
            if paused:
                playing.paused_since_ms = now
            elif playing.paused_since_ms is not None:
                playing.paused_ms += now - playing.paused_since_ms
                playing.paused_since_ms = None
                playing.last_progress_ms = now
            return
        timed = self._timed
        if timed is None:
            return
        if paused:
            timed.paused_since_ms = now
            self.clock.cancel(timed.timer)
        elif timed.paused_since_ms is not None:
            timed.paused_ms += now - timed.paused_since_ms
            timed.paused_since_ms = None
            if timed.duration_ms is not None:
                token = timed.token
                timed.timer = self.clock.call_later(
                    max(0, timed.duration_ms - timed.elapsed_ms(now)),
                    lambda: self._feed(CardElapsed(token)),
                )

    def _on_backend_event(self, event) -> None:
        if self._closed:
            return
        deck = self._decks.of_event(event)
        if deck is None:
            return  # a film already stopped or replaced
        playing = self._playing if self._playing and self._playing.deck is deck else None
        now = self.clock.now_ms()
        match event:
            case Ready():
                deck.ready = True
                if deck.play_on_ready and playing is not None:
                    deck.play_on_ready = False
                    self.backend.play(deck.slot)
            case Started():
                if playing is not None:
                    playing.last_progress_ms = now
            case TimeChanged(time_ms=t):
                if playing is None:
                    return
                if playing.first_frame_ms is None:
                    playing.first_frame_ms = now - max(0, t - deck.start_ms)
                    self._restart_tick()
                if t != playing.last_time_ms:
                    playing.last_progress_ms = now
                playing.last_time_ms = max(playing.last_time_ms, t)
                origin = now - t  # events come late, never early: keep the earliest
                if playing.origin_ms is None or origin < playing.origin_ms:
                    playing.origin_ms = origin
                self._schedule_prestart(playing)
                self._start_tail(playing)
                if not playing.shown:
                    playing.shown = True
                    self._show_video(deck.slot)
                    self._emit_status()
            case Ended():
                if playing is None:
                    # A standby film that ends before it was started had nothing to show.
                    deck.failed = deck.failed or "it ended before showing anything"
                    return
                verdict = judge.judge_end(
                    played_ms=playing.played_ms(now),
                    expected_ms=self.expected_ms(deck.step_index),
                    position_ms=playing.position_ms,
                    first_frame_seen=playing.first_frame_ms is not None,
                )
                if verdict.failed:
                    self._feed(MediaFailed(playing.token, verdict.reason))
                else:
                    self._feed(MediaEnded(playing.token))
            case Failed(message=message):
                if playing is None:
                    deck.failed = message
                    return
                self._feed(MediaFailed(playing.token, message))

    def _schedule_prestart(self, playing: _Playing) -> None:
        """Film directly after film (no card between): start the next one PRESTART_LEAD_MS
        before this one ends, so that its first picture comes as this one's last goes. Started
        at the end, the last frame stayed up 100-200 ms (bench/transitions.py). Only with video
        windows: headless outputs start at once, and the sounds would overlap."""
        i = playing.deck.step_index
        if (
            not self.has_video
            or self._prestarted is not None
            or playing.origin_ms is None
            or playing.paused_since_ms is not None
            or self._fade is not None
            or self.playlist.follow_of(self.steps[i].item) is not Follow.AUTO
            or self._standby_for(i + 1) is None
        ):
            return
        end_ms = self._end_ms(playing)
        if end_ms is None:
            return
        due = playing.origin_ms + end_ms - PRESTART_LEAD_MS
        self._prestart_token = playing.token
        self.clock.cancel(self._prestart_timer)
        self._prestart_timer = self.clock.call_later(
            max(0, due - self.clock.now_ms()), self._prestart
        )

    def _standby_for(self, step_index: int) -> Deck | None:
        if step_index >= len(self.steps) or self.steps[step_index].kind is not StepKind.FILM:
            return None
        return self._decks.waiting(step_index, ready=True)

    def _end_ms(self, playing: _Playing) -> int | None:
        """Where the playing film ends in its file: its out point or the media's end."""
        end_ms = self.backend.length_ms(playing.deck.slot)
        out_ms = self._film(playing.deck.step_index).out_ms
        if out_ms is not None:
            end_ms = out_ms if end_ms is None else min(end_ms, out_ms)
        return end_ms

    def _prestart(self) -> None:
        playing = self._playing
        if (
            self._closed
            or playing is None
            or playing.token != self._prestart_token
            or playing.paused_since_ms is not None
            or self._fade is not None
        ):
            return
        deck = self._standby_for(playing.deck.step_index + 1)
        if deck is not None:
            self.backend.play(deck.slot)
            self._prestarted = deck

    def _settle_prestart(self) -> None:
        """A film started early whose turn did not come (the one before it was stopped,
        skipped, failed, paused or faded): open it again, paused at its start."""
        deck = self._prestarted
        if deck is None:
            return
        playing = self._playing
        if (
            playing is not None
            and playing.paused_since_ms is None
            and self._fade is None
            and playing.deck.step_index + 1 == deck.step_index
            and self._decks.by_slot.get(deck.slot) is deck
        ):
            return  # still waiting for the film before it to end
        self._prestarted = None
        if self._decks.by_slot.get(deck.slot) is not deck:
            return  # replaced by another film already
        self._decks.stop(deck.slot)
        if not self._decks.any_waiting():
            self._preload(deck.step_index)  # unless that would push out another waiting film

    def _release_pending_play(self) -> None:
        self.clock.cancel(self._pending_timer)
        if self._pending_play is None or self._closed:
            return
        token, step_index, position = self._pending_play
        self._pending_play = None
        if token == self._seq.token:
            self._play(token, step_index, position)
            self._emit_status()

    # ==================================================================== fades

    def _on_fade_step(self) -> None:
        fade = self._fade
        if fade is None:
            return
        elapsed = self.clock.now_ms() - fade.started_ms
        picture, sound = fade.start
        self._set_faded(
            fades.ramp(picture, elapsed, fade.duration_ms),
            fades.ramp(sound, elapsed, fade.duration_ms),
        )
        # Done once the last level set is heard: the film is stopped then, and must be silent.
        lead = self.backend.sound_lead_ms if self._playing is not None else 0
        if elapsed >= fade.duration_ms + lead:
            self._fade = None
            self._feed(FadeDone(fade.token))
        else:
            self._fade_timer = self.clock.call_later(fades.FADE_STEP_MS, self._on_fade_step)
            self._emit_status()

    def _stop_fade(self) -> None:
        self.clock.cancel(self._fade_timer)
        self.clock.cancel(self._tail_timer)
        self._fade = None

    def _set_faded(self, picture: float, sound: float) -> None:
        """Fade what is on screen, 0 as it is .. 1 black and silent."""
        self._faded = (picture, sound)
        if self._playing is not None:
            slot = self._playing.deck.slot
            self.backend.set_level_db(slot, fades.sound_db(self._trim_db, sound))
            self.backend.set_picture_level(slot, 1.0 - picture)
        self._show(replace(self._screen, level=1.0 - picture))

    def _start_tail(self, playing: _Playing) -> None:
        """A film with `fade_out`: follow it from shortly before its fade begins."""
        film = self._film(playing.deck.step_index)
        if (
            film.fade_out_ms <= 0
            or (self._tail_timer is not None and not self._tail_timer.cancelled)
            or self._fade is not None
            or playing.origin_ms is None
        ):
            return
        end_ms = self._end_ms(playing)
        if end_ms is None:
            return
        begins = end_ms - film.fade_out_ms - self.backend.sound_lead_ms
        if playing.last_time_ms >= begins - 500:
            self._on_tail_step()

    def _on_tail_step(self) -> None:
        playing = self._playing
        self._tail_timer = None
        if playing is None or self._fade is not None:
            return
        end_ms = self._end_ms(playing)
        self._tail_timer = self.clock.call_later(fades.FADE_STEP_MS, self._on_tail_step)
        if playing.origin_ms is None or playing.paused_since_ms is not None or end_ms is None:
            return  # paused: stays as faded as it is; its next position report goes on
        fade_ms = self._film(playing.deck.step_index).fade_out_ms
        position = self.clock.now_ms() - playing.origin_ms
        # the sound is set as far ahead as the backend applies it before it is heard
        now = (
            fades.tail(position, end_ms, fade_ms),
            fades.tail(position + self.backend.sound_lead_ms, end_ms, fade_ms),
        )
        if now != self._faded:
            self._set_faded(*now)
            self._emit_status()

    # ==================================================================== measuring

    def _films(self) -> list[Film]:
        seen: dict[Path, Film] = {}
        for step in self.steps:
            if step.kind is StepKind.FILM:
                seen.setdefault(step.item.path, step.item)
        return list(seen.values())

    def _start_measuring(self, measurer: Measurer) -> None:
        paths = [film.path for film in self._films()]
        if not paths:
            return
        want_loudness = self.playlist.defaults.loudness_target is not None
        self._measuring = set(paths)
        self.probing = True
        measurer.start(paths, want_loudness, self._on_measured, self.clock)

    def _on_measured(self, result: Result) -> None:
        if self._closed:
            return
        match result:
            case AllProbed():
                self.probing = False
                self.clock.cancel(self._plan_timer)
                self._replan()  # every duration is in: the plan is final now
            case Probed(path=path, duration_ms=duration, note=note):
                # No status of its own: the plan settles PLAN_SETTLE_MS later (a marathon
                # night probes 10 000 films, and the status carries the whole timeline).
                if note:
                    self._warn_once(
                        f"probe:{path}",
                        f"{path.name} could not be measured: {note}. It will play without the "
                        "check of its length.",
                    )
                if duration is not None:
                    self._media_ms[path] = duration
                if duration is None or self.playlist.defaults.loudness_target is None:
                    self._measuring.discard(path)  # no loudness to wait for
                if self._plan_timer is None or self._plan_timer.cancelled:
                    self._plan_timer = self.clock.call_later(PLAN_SETTLE_MS, self._replan)
            case Measured(path=path, lufs=lufs):
                self._lufs[path] = lufs
                self._measuring.discard(path)
        for step_index in sorted(self._wanted_preload):
            if not self._measuring_blocks(step_index):
                self._wanted_preload.discard(step_index)
                self._preload(step_index)
        if self._pending_play and not self._measuring_blocks(self._pending_play[1]):
            self._release_pending_play()

    def _replan(self) -> None:
        self._plan_timer = None
        self.timeline.replan(self._media_ms)
        self._emit_status()

    def _measuring_blocks(self, step_index: int) -> bool:
        film = self.steps[step_index].item
        return self.playlist.defaults.loudness_target is not None and film.path in self._measuring

    # ==================================================================== as-run and journal

    def _now_of_day(self) -> int:
        return ms_of_day(self.clock.wall(), self.night_day)

    def _step_started(self, i: int) -> None:
        stale = self._on_air.pop(i, None)
        if stale is not None:
            self._write_entry(i, stale, Outcome.STOPPED, None)
        now = self.clock.now_ms()
        opened = self._on_air[i] = _Open(now, asrun.iso(self.clock.wall()))
        self._cue(i, When.START, opened.started_at)
        self.timeline.started(i, self._now_of_day())
        self._completed = None
        self._save_journal()
        film = self.steps[i].item
        if (
            self.steps[i].kind is StepKind.FILM
            and film.subtitles is not None
            and not film.subtitles.exists()
        ):
            # libvlc plays on silently without them: the operator must know.
            self._notes[i] = f"subtitle file {film.subtitles.name} missing; shown without"
            self.listener.problem_reported(
                f'Film "{film.title.first(self.playlist.languages)}": its subtitle file '
                f"{film.subtitles} is missing; the film plays without subtitles."
            )

    def _step_ended(self, i: int, outcome: Outcome, error: str | None) -> None:
        opened = self._on_air.pop(i, None)
        entry = self._write_entry(i, opened, outcome, error)
        self._completed = i
        self._save_journal()
        if outcome is Outcome.FAILED:
            step = self.steps[i]
            name = step.item.path.name if isinstance(step.item, Film) else ""
            title = step.item.title.first(self.playlist.languages)
            self.listener.problem_reported(
                f'Film "{title}" ({name}) could not be played: {error}. '
                "The show held on a neutral card and went on with the next item."
            )
        self.listener.step_logged(entry)

    def _write_entry(
        self, i: int, opened: _Open | None, outcome: Outcome, error: str | None
    ) -> AsRunEntry:
        step = self.steps[i]
        now = self.clock.now_ms()
        played_ms = paused_ms = 0
        if opened is not None:
            paused_ms = opened.paused_now(now)
            if step.kind is StepKind.FILM:
                playing = self._playing
                if playing is not None and playing.deck.step_index == i:
                    played_ms = playing.played_ms(now)
                else:  # StopMedia comes before StepEnded: the last film's figure
                    played_ms = self._last_played_ms
            else:
                played_ms = max(0, now - opened.started_ms - paused_ms)
        item = step.item
        note = self._notes.pop(i, None)
        ended_at = asrun.iso(self.clock.wall()) if opened else None
        if ended_at is not None:
            self._cue(i, When.END, ended_at)
        entry = AsRunEntry(
            index=i,
            id=step.card.id if step.card is not None else item.id,
            kind=step.kind,
            title=(step.card.text if step.kind is StepKind.CARD else item.title).first(
                self.playlist.languages
            ),
            file=str(item.path) if step.kind is StepKind.FILM else None,
            planned_start=self.timeline.planned_iso(i, self.clock.wall().tzinfo),
            started_at=opened.started_at if opened else None,
            ended_at=ended_at,
            played_ms=played_ms,
            paused_ms=paused_ms,
            outcome=outcome,
            error=error or note,
            osc=tuple(self._osc_sent.pop(i, ())),
        )
        self.timeline.ended(
            i,
            self._now_of_day(),
            played_ms=played_ms,
            paused_ms=paused_ms,
            outcome=outcome,
            error=entry.error,
        )
        self._records.write(entry)
        return entry

    def _cue(self, i: int, when: When, at: str) -> None:
        """Send step `i`'s show-control messages for `when`, at wall time `at` (as its as-run
        line says); never blocks or raises."""
        if self.show_control is None:
            return
        start, end = self.playlist.show_control(self.steps[i])
        messages = start if when is When.START else end
        if not messages:
            return
        sent = self.show_control.send(when, messages, at)
        self._osc_sent.setdefault(i, []).extend(sent)
        failed = next((s for s in sent if s.error), None)
        if failed is not None:
            self._warn_once(
                "osc",
                f"Show control: {failed.address} could not be sent to "
                f"{self.show_control.where} ({failed.error}); the show goes on, and every "
                "message is listed in the as-run log.",
            )

    def _record_failed(self, what: str, exc: OSError) -> None:
        if what == "as-run":
            self._warn_once(
                "as-run",
                f"The as-run log {self.as_run_path} cannot be written ({_why(exc)}); "
                "the show goes on without it.",
            )
        else:
            self._warn_once(
                "journal",
                f"The show journal {self.journal_path} cannot be saved ({_why(exc)}); "
                "the show goes on, but a crash could not be resumed where it stopped.",
            )

    def _warn_once(self, what: str, message: str) -> None:
        """Tell the operator about a failing log file once; later failures only go to the log
        (the journal is saved every second: a full disk must not nag every second)."""
        if what in self._warned:
            log.debug("%s", message)
            return
        log.warning("%s", message)
        self._warned.add(what)
        self.listener.problem_reported(message)

    def _position_ms(self) -> int:
        """How far into the step on screen the show is (for the journal)."""
        now = self.clock.now_ms()
        playing = self._playing
        if playing is not None and playing.deck.step_index == self._seq.index:
            return playing.played_ms(now) + playing.position_ms
        timed = self._timed
        if timed is not None and timed.duration_ms is not None and self._on_screen() is not None:
            return timed.elapsed_ms(now)
        return 0

    def _save_journal(self, finished: bool = False) -> None:
        index = self._seq.index
        if index is None or (self._closed and not finished):
            return
        state = journal.JournalState(
            playlist=str(self.playlist.path) if self.playlist.path else "",
            step_index=min(index, max(0, len(self.steps) - 1)),
            position_ms=self._position_ms(),
            completed=self._completed is not None and self._completed == index,
            finished=finished or self._seq.phase is Phase.FINISHED,
            as_run=str(self.as_run_path) if self.as_run_path else None,
            saved_at=asrun.iso(self.clock.wall()),
            night_day=self.night_day.isoformat(),
            night_start_ms=self.timeline.start_ms,
        )
        self._records.save_journal(state)

    # ==================================================================== the tick and status

    def _restart_tick(self) -> None:
        """Tick at whole seconds of the step now on screen (so a countdown turns on time)."""
        if self._closed or self._seq.phase is Phase.FINISHED:
            return
        self.clock.cancel(self._tick_timer)
        self._tick_timer = self.clock.call_later(TICK_MS, self._on_tick)

    def _on_tick(self) -> None:
        if self._closed:
            return
        now = self.clock.now_ms()
        playing = self._playing
        if playing is not None and playing.paused_since_ms is None and self._fade is None:
            verdict = judge.judge_progress(
                idle_ms=now - playing.last_progress_ms,
                first_frame_seen=playing.first_frame_ms is not None,
            )
            if verdict.failed:
                self._feed(MediaFailed(playing.token, verdict.reason))
        if self.started and self._seq.phase is not Phase.FINISHED:
            self._save_journal()
        self._emit_status()
        if self._seq.phase is not Phase.FINISHED:
            elapsed = self._status.elapsed_ms
            wait = TICK_MS - elapsed % TICK_MS if self._status.step_index is not None else TICK_MS
            self._tick_timer = self.clock.call_later(max(50, wait), self._on_tick)

    def _on_screen(self) -> int | None:
        """The step whose picture is on the projector (None: black, a neutral card, none)."""
        s, index = self._seq.state, self._seq.index
        if index is None or index >= len(self.steps):
            return None
        if s is State.FADING:
            s = self._seq.fade_from
        if s in (State.FILM, State.CARD, State.INTERMISSION, State.PAUSED):
            return index
        if s is State.HOLDING and self.steps[index].kind is not StepKind.FILM:
            return index
        return None

    def _title(self, index: int | None) -> str:
        if index is None or not 0 <= index < len(self.steps):
            return ""
        step = self.steps[index]
        text = step.item.title.first(self.playlist.languages) if step.item.title else step.item.id
        return f"Title card: {text}" if step.is_title_card else text

    def _make_status(self) -> ShowStatus:
        now = self.clock.now_ms()
        seq = self._seq
        phase = seq.phase
        on_screen = self._on_screen()
        recovering = State.RECOVERING in (seq.state, seq.fade_from)
        next_index = seq.next_index
        if phase is Phase.IDLE:
            point = self.resume_point
            next_index = point.step_index if point is not None else (0 if self.steps else None)
        elapsed, duration = 0, None
        playing = self._playing
        if playing is not None and on_screen == playing.deck.step_index:
            elapsed = playing.played_ms(now) + playing.position_ms
            duration = self.expected_ms(on_screen)
        elif self._timed is not None and (on_screen is not None or recovering):
            elapsed = self._timed.elapsed_ms(now)
            duration = self._timed.duration_ms
        elif phase is Phase.HOLDING and on_screen is not None:
            elapsed = now - self._hold_started_ms
        remaining = max(0, duration - elapsed) if duration is not None else None
        waiting = phase in (Phase.IDLE, Phase.HOLDING, Phase.BLACK) or self._fading_a_hold()
        if phase is Phase.IDLE:
            go = GoDoes.RESUME if self.resume_point is not None else GoDoes.START
        elif waiting and next_index is not None:
            go = GoDoes.NEXT
        elif waiting and phase is Phase.BLACK:
            go = GoDoes.NEXT  # at the end: GO finishes the night
        else:
            go = GoDoes.NOTHING
        clock_ms = self._now_of_day()
        if phase is Phase.FINISHED and self._ended_ms is not None:
            late, end = self.timeline.finished_late_ms(self._ended_ms), self._ended_ms
        else:
            late, end = self.timeline.projection(
                clock_ms, next_index, None if waiting else remaining
            )
        schedule = self.timeline.schedule
        return ShowStatus(
            phase=phase,
            step_index=on_screen,
            step=self.steps[on_screen] if on_screen is not None else None,
            title=RECOVERY_MESSAGE if recovering else self._title(on_screen),
            next_index=next_index,
            next_title=self._title(next_index),
            go=go,
            elapsed_ms=elapsed,
            duration_ms=duration,
            remaining_ms=remaining,
            paused=seq.state is State.PAUSED,
            blackout=seq.blackout,
            locked=self.locked,
            started=self.started,
            clock_ms=clock_ms,
            late_ms=late if self.started or not self.timeline.timed_from_go else None,
            projected_end_ms=end,
            planned_end_ms=schedule.end_ms if self.timeline.start_ms is not None else None,
            timed_from_go=self.timeline.timed_from_go,
            planned_start_ms=self.timeline.start_ms,
            refused=self._refused,
            volume_trim_db=self._trim_db,
            subtitles_on=self._subtitles_on,
            screen=self._screen,
            timeline=self.timeline.rows(),
            probing=self.probing,
        )

    def _emit_status(self) -> None:
        if self._closed or self._busy:
            return
        self._status = self._make_status()
        self.listener.status_changed(self._status)
