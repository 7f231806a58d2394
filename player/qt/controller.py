"""The show controller: owns the sequencer, the media backend and the timers; carries out the
sequencer's effects and feeds events back. The operator console and `rehearse` drive this same
object; the output window only follows its signals.

Threads: everything here runs on the Qt thread that made the controller. Backend events arrive
from libvlc's threads through `post`, which only appends to a queue and writes one byte to a
socket pair; a QSocketNotifier wakes the Qt thread, which drains the queue. (Emitting a PySide6
signal straight from libvlc's threads, together with libvlc's log callback, corrupted reference
counts and crashed Python at exit — measured with PySide6 6.12; libvlc threads must not touch
Qt at all.) Media measuring (probe, loudness) runs in a worker thread and comes back the same way.

Failures never stop the show: a film that will not open, fails mid-way, stalls, or ends well
short of its probed duration is reported (`problem_reported`), logged as "failed" in the as-run
log, and the show holds on a neutral card for a moment and goes on by itself.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QSocketNotifier, Qt, QTimer, Signal

from player.core.cards import card_content, format_duration, neutral_card
from player.core.model import MAX_BOOST_DB, Film, Follow, Playlist, Step, StepKind, steps
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
    ShowStatus,
    Skip,
    Start,
    StepEnded,
    StepStarted,
    Stop,
    StopMedia,
    TogglePause,
)
from player.media.backend import Ended, Failed, MediaBackend, Ready, Started, TimeChanged
from player.show import asrun, journal
from player.show.asrun import AsRunEntry, AsRunLog, now_iso

log = logging.getLogger(__name__)

STATUS_TICK_MS = 200
JOURNAL_TICK_MS = 1_000
SHORT_END_TOLERANCE_MS = 600  # good files end 100–330 ms early in libvlc; truncated ones far more
MIN_PLAYED_MS = 500  # a "film" (not resumed near its end) over this fast played nothing
RESUME_TAIL_MS = 1_000  # resumed with less than this left, ending without a picture is normal
START_TIMEOUT_MS = 8_000  # play() without a first picture for this long = failed
STALL_TIMEOUT_MS = 6_000  # no progress while playing for this long = failed
LOUDNESS_WAIT_MS = 5_000  # GO on a film still being measured: wait at most this long
FADE_STEP_MS = 40
# Film directly after film: the next one is started this long before the current one ends.
# The next film is pre-rolled (its picture is up, paused), so unpausing it shows its next frame
# within ~10-30 ms. Measured with bench/transitions.py (GL video under Xvfb), lead 0 / 40 / 80 ms:
# held 40-60 / 0-60 / 20-60 ms, first frames unseen 2 / 2-3 / 3-4. Its sound starts with its
# clock, so the two films' sounds overlap by about this much (nothing is cut).
PRESTART_LEAD_MS = 40
FADE_FLOOR_DB = -60.0
RECOVERY_MESSAGE = "The show continues in a moment"


def _why(exc: OSError) -> str:
    """'No space left on device', or 'Not a directory: /the/path/in/the/way'."""
    if exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return exc.strerror or str(exc)


@dataclass
class _Deck:
    """What the controller knows about one backend slot."""

    slot: int
    step_index: int
    media_id: int
    start_ms: int  # where playback starts in the file (in point + resume position)
    ready: bool = False
    failed: str | None = None
    played: bool = False
    play_on_ready: bool = False


@dataclass
class _Playing:
    deck: _Deck
    token: int
    position_ms: int  # resume offset into the film (after its in point)
    play_mono: float
    first_frame_mono: float | None = None
    last_progress_mono: float = 0.0
    last_time_ms: int = 0
    paused_since: float | None = None
    paused_total_s: float = 0.0
    shown: bool = False
    origin_mono: float | None = None  # monotonic time of file time 0 (reset by pause)


@dataclass(frozen=True)
class _Measured:
    value: tuple  # what the measuring thread found: see ShowController._measure_all


@dataclass
class _Open:
    """An as-run entry waiting for its end."""

    started_at: str
    start_mono: float


class ShowController(QObject):
    status_changed = Signal(object)  # ShowStatus: on every change and ~5x/s while running
    card_shown = Signal(object)  # CardContent: draw this card above everything
    video_shown = Signal(int)  # slot 0 or 1: raise this video surface (its film is on screen)
    black_shown = Signal()  # nothing on: show black
    # float: the card on screen in a fade, 1.0 as drawn .. 0.0 black (films fade in libvlc);
    # a newly shown card is at 1.0
    card_level_changed = Signal(float)
    problem_reported = Signal(str)  # one plain sentence: what failed, what the show did
    item_finished = Signal(object)  # AsRunEntry (as written to the as-run log)
    finished = Signal()  # the night is over (output shows black)
    # Schedule (player.core.schedule): the night's planned times — the one plan, shown by the
    # console and written to the as-run log. Emitted when durations come in and at the start.
    schedule_changed = Signal(object)
    probes_done = Signal()  # every film probed once (see `probing`); the probe cache is warm

    def __init__(
        self,
        playlist: Playlist,
        *,
        backend: MediaBackend | None = None,
        as_run_path: str | Path | None = None,
        journal_path: str | Path | None = None,
        resume: bool = False,
        parent: QObject | None = None,
        recovery_ms: int = 3_000,
        measure: bool = True,
    ) -> None:
        super().__init__(parent)
        self.playlist = playlist
        self.steps: list[Step] = steps(playlist)
        if backend is None:
            from player.media.vlc_backend import VlcBackend

            backend = VlcBackend(video=True)
        self.backend = backend
        self.journal_path = (
            Path(journal_path) if journal_path else journal.default_path(playlist.path)
        )
        # Raises journal.ShowInUse when another program runs this night (before we touch its
        # journal or as-run log).
        self._show_lock = journal.acquire_lock(self.journal_path)
        self._warned: set[str] = set()  # "journal" / "as-run": the operator was told once
        self._notes: dict[int, str] = {}  # step -> a note for its as-run entry's error field
        self._resume_point: tuple[int, int] | None = None
        previous = journal.load(self.journal_path) if resume else None
        if previous is not None:
            self._resume_point = previous.resume_point()
            if as_run_path is None and previous.as_run:
                as_run_path = previous.as_run
        self.as_run_path = Path(as_run_path) if as_run_path else asrun.default_path(playlist.path)
        if previous is not None and self._resume_point is not None:
            self._resume_point = asrun.reconcile_resume(
                self._resume_point, self.as_run_path, previous.saved_at
            )
        self._asrun = AsRunLog(self.as_run_path)
        self._seq = Sequencer(self.steps, playlist.follow_of, recovery_ms=recovery_ms)
        self.status: ShowStatus = self._seq.status()

        self._decks: dict[int, _Deck] = {}
        self._playing: _Playing | None = None
        self._screen_slot: int | None = None  # slot whose surface was last raised
        self._visual: tuple = ("black",)
        self._trim_db = 0.0
        self._open_entries: dict[int, _Open] = {}
        self._completed_step: int | None = None
        self._queue: deque = deque()
        self._busy = False
        self._closed = False
        self._last_step_started: int | None = None

        # card / intermission / neutral card timer (one at a time)
        self._card_timer = QTimer(self, singleShot=True)
        self._card_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._card_timer.timeout.connect(self._on_card_timer)
        self._card_token = -1
        self._card_duration_ms: int | None = None
        self._card_started = time.monotonic()
        self._card_paused_at: float | None = None
        self._card_paused_s = 0.0
        self._hold_started = time.monotonic()

        self._fade_timer = QTimer(self)
        self._fade_timer.setInterval(FADE_STEP_MS)
        self._fade_timer.timeout.connect(self._on_fade_step)
        self._fade: tuple | None = None  # token, started, ms, (picture, sound) faded at start
        # how far picture and sound are faded: 0 as they are .. 1 black and silent
        self._faded = (0.0, 0.0)
        # a film's own fade_out: picture and sound follow its position down to its end
        self._tail_timer = QTimer(self)
        self._tail_timer.setInterval(FADE_STEP_MS)
        self._tail_timer.timeout.connect(self._on_tail_step)

        self._pending_play: tuple[int, int, int] | None = None  # token, step, position
        self._pending_timer = QTimer(self, singleShot=True)
        self._pending_timer.timeout.connect(self._release_pending_play)

        # film after film: the next one starts early by libvlc's start-up time (_prestart)
        # Films are measured one by one; the planned times are worked out once they settle,
        # not after each one (that is quadratic: minutes for a 10 000-item night).
        self._plan_timer = QTimer(self, singleShot=True)
        self._plan_timer.setInterval(250)
        self._plan_timer.timeout.connect(self._plan)
        self._prestart_timer = QTimer(self, singleShot=True)
        self._prestart_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._prestart_timer.timeout.connect(self._prestart)
        self._prestart_token = -1
        self._prestarted: _Deck | None = None
        self._has_video = False

        self._tick = QTimer(self)
        self._tick.setInterval(STATUS_TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        self._journal_timer = QTimer(self)
        self._journal_timer.setInterval(JOURNAL_TICK_MS)
        self._journal_timer.timeout.connect(self._save_journal)

        # media facts, filled by the measuring thread
        self._media_ms: dict[Path, int] = {}
        self._lufs: dict[Path, float | None] = {}
        self._measuring: set[Path] = set()
        self._measure_procs: set = set()  # the measuring thread's running probers
        self._wanted_preload: set[int] = set()
        self._last_played_ms = 0
        self._planned: dict[int, str] = {}
        self._probing = False
        self._recoveries: list = []  # queued events that recover from an internal error
        # Planned times count from this day's midnight (past 24 h once the night runs late).
        self.night_day: date = date.today()
        self._started_ms: int | None = None  # ms after night_day's midnight of the first GO
        self.schedule = None  # the latest Schedule (see schedule_changed)

        # Cross-thread hand-over without touching Qt from other threads (see the module doc).
        self._inbox: deque = deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._notifier = QSocketNotifier(self._wake_r.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain_inbox)
        self.backend.set_event_sink(self._post)
        self._plan()
        if measure:
            self._start_measuring()

    # ---- public API ----------------------------------------------------------------------

    @property
    def resume_point(self) -> tuple[int, int] | None:
        """(step_index, position_ms) a resume continues from, when resuming."""
        return self._resume_point

    def set_video_windows(self, handles: tuple[int, int]) -> None:
        self._has_video = any(handles)
        for slot, handle in enumerate(handles):
            self.backend.set_video_window(slot, handle)

    def start(self, step_index: int | None = None) -> None:
        """Begin the night: at the resume point when resuming, else at `step_index` (default
        the first step). The console calls this on the first GO, so the first step runs at
        once (a hold card still waits for the next GO). To wait on black with the first film
        preloaded, call `jump(0)` before any start: GO then starts it."""
        log.info("as-run log: %s", self.as_run_path)
        if self._seq.phase is not Phase.IDLE:
            self.go()  # armed by a jump before the start: this is its GO
            return
        if self._resume_point is not None and step_index is None:
            index, position = self._resume_point
            if index >= len(self.steps):
                self._feed(Start(max(0, len(self.steps) - 1), held=True))
                return
            self._feed(Start(index, position))
            return
        self._feed(Start(step_index or 0))

    def go(self) -> None:
        self._feed(Go())

    def toggle_pause(self) -> None:
        self._feed(TogglePause())

    def fade_out(self, ms: int = 2000) -> None:
        self._feed(FadeOut(int(ms)))

    def stop(self) -> None:
        self._feed(Stop())

    def skip(self) -> None:
        self._feed(Skip())

    def back(self) -> None:
        self._feed(Back())

    def jump(self, step_index: int) -> None:
        self._feed(Jump(int(step_index)))

    def set_blackout(self, on: bool) -> None:
        self._feed(SetBlackout(bool(on)))

    def set_volume_trim_db(self, db: float) -> None:
        """Live trim of the night's level (dB, -32..+8 applied), on top of each film's gain."""
        self._trim_db = max(-32.0, min(8.0, float(db)))
        faded = self._playing.deck.slot if self._playing and any(self._faded) else None
        for slot in self._decks:
            if slot != faded:
                self.backend.set_level_db(slot, self._trim_db)
        if faded is not None:
            self._set_faded(*self._faded)
        self._emit_status()

    def take_snapshot(self, path) -> bool:
        if self._playing is None:
            return False
        return self.backend.snapshot(self._playing.deck.slot, Path(path))

    def close(self) -> None:
        """Stop playback, save the journal, release the backend (call once at the end)."""
        if self._closed:
            return
        timers = (
            self._tick,
            self._journal_timer,
            self._card_timer,
            self._fade_timer,
            self._tail_timer,
            self._pending_timer,
            self._plan_timer,
            self._prestart_timer,
        )
        for timer in timers:
            timer.stop()
        if self._seq.phase is not Phase.FINISHED:
            self._save_journal()  # where the show was, to the millisecond
        self._closed = True
        if self._probing or self._measuring:  # a hung prober must not hold the exit
            from player.media import probe

            probe.kill(self._measure_procs)
        try:
            self.backend.close()
        finally:  # whatever the backend does, the log is closed and the night unlocked
            self._asrun.close()
            self._show_lock.release()
        self._notifier.setEnabled(False)
        self._wake_r.close()
        self._wake_w.close()

    def _post(self, item) -> None:
        """Thread-safe: queue a backend event or a measurement and wake the Qt thread."""
        self._inbox.append(item)
        # A full buffer means wake-ups are pending already; OSError: we are closing.
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def _drain_inbox(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while self._wake_r.recv(4096):
                pass
        while self._inbox:
            item = self._inbox.popleft()
            try:
                if isinstance(item, _Measured):
                    self._on_measured(item.value)
                else:
                    self._on_backend_event(item)
            except Exception:  # one bad item must not hold back the ones after it
                log.exception("show controller error handling %r", item)

    # ---- measuring (probe + loudness) off the GUI thread ----------------------------------

    @property
    def probing(self) -> bool:
        """True until every film has been probed (`probes_done` then fires). Each film is
        probed once per opening, here; the console's media check runs after, from the cache."""
        return self._probing

    def _films(self) -> list[Film]:
        seen: dict[Path, Film] = {}
        for step in self.steps:
            if step.kind is StepKind.FILM:
                seen.setdefault(step.item.path, step.item)
        return list(seen.values())

    def _start_measuring(self) -> None:
        films = self._films()
        if not films:
            return
        want_loudness = self.playlist.defaults.loudness_target is not None
        self._measuring = {f.path for f in films}
        self._probing = True
        thread = threading.Thread(
            target=self._measure_all,
            args=(
                [f.path for f in films],
                want_loudness,
                lambda v: self._post(_Measured(v)),
                self._measure_procs,
            ),
            name="show-measure",
            daemon=True,
        )
        thread.start()

    @staticmethod
    def _measure_all(paths: list[Path], want_loudness: bool, deliver, procs: set) -> None:
        """Probe every path (in parallel), then measure the loudness of each. Delivers, in this
        order: `("probed", path, duration_ms | None, note)` for each path as it is done
        (`note`: why the prober hung, else None), `("all probed",)`, then with `want_loudness`
        `("loudness", path, lufs | None)` for each path that has a duration.
        Its probers and measurements are in `procs` while they run (`close` kills them).
        Runs in a worker thread: touches nothing of the controller."""
        import os

        try:
            from player.media import probe
        except ImportError:
            for path in paths:
                deliver(("probed", path, None, None))
            deliver(("all probed",))
            return
        given = {Path(os.path.abspath(path)): path for path in paths}
        durations: dict[Path, int] = {}
        delivered: set[Path] = set()

        def one(key: Path, result) -> None:  # as each file is done, not after the slowest
            path = given.get(key, key)
            note = None
            if isinstance(result, Exception):
                log.info("probe of %s failed: %s", path, result)
                if getattr(result, "timed_out", False):  # a hung prober: worth a word
                    note = getattr(result, "message", str(result))
            elif result is not None:
                durations[path] = result.duration_ms
            delivered.add(path)
            deliver(("probed", path, durations.get(path), note))

        try:
            with probe.owning(procs):
                probe.probe_many(paths, on_result=one)
        except Exception as exc:  # anything odd: the show still plays them, unmeasured
            log.info("probing failed: %s", exc)
        for path in paths:
            if path not in delivered:
                deliver(("probed", path, None, None))
        deliver(("all probed",))
        if not want_loudness:
            return
        for path in paths:
            if durations.get(path) is None:
                continue
            lufs = None
            try:
                with probe.owning(procs):
                    lufs = probe.measure_loudness(path).integrated_lufs
            except Exception as exc:
                log.info("loudness of %s not measured: %s", path, exc)
            deliver(("loudness", path, lufs))

    def _on_measured(self, value) -> None:
        kind, *rest = value
        if kind == "all probed":
            self._probing = False
            self._plan_timer.stop()
            self._plan()  # every duration is in: the plan is final now, not in 250 ms
            self.probes_done.emit()
            return
        if kind == "probed":
            path, duration, note = rest
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
            if not self._plan_timer.isActive():  # at most every 250 ms, even while films pour in
                self._plan_timer.start()
        else:
            path, lufs = rest
            self._lufs[path] = lufs
            self._measuring.discard(path)
        for step_index in sorted(self._wanted_preload):
            if not self._measuring_blocks(step_index):
                self._wanted_preload.discard(step_index)
                self._preload(step_index)
        if self._pending_play and not self._measuring_blocks(self._pending_play[1]):
            self._release_pending_play()

    def gain_db_for(self, film: Film) -> float:
        """The film's fixed gain: its trim plus the loudness match when a target is set."""
        gain = film.gain_db
        target = self.playlist.defaults.loudness_target
        lufs = self._lufs.get(film.path)
        if target is not None and lufs is not None:
            gain += target - lufs
        return min(MAX_BOOST_DB, gain)

    def _measuring_blocks(self, step_index: int) -> bool:
        film = self.steps[step_index].item
        return self.playlist.defaults.loudness_target is not None and film.path in self._measuring

    def _start_applies(self) -> bool:
        """The playlist's clock times apply to this night: it has a start and is dated today or
        not at all (a rehearsal on another day is timed from its own first GO instead, so it
        does not run "2 days late")."""
        night = self.playlist.date
        return self.playlist.start_ms is not None and (night is None or night == self.night_day)

    def _plan(self) -> None:
        """Work out the night's planned times: the one plan the console shows and the as-run
        log records (durations as measured here; before the first GO of a night whose start
        does not apply, the playlist's own start or none)."""
        try:
            from player.core.schedule import plan

            start = None if self._start_applies() else self._started_ms
            schedule = plan(self.playlist, self._media_ms, start_ms=start)
        except Exception:
            log.debug("no schedule", exc_info=True)
            return
        self.schedule = schedule
        self._planned = {}
        if schedule.start_known:
            midnight = datetime.combine(self.night_day, datetime.min.time()).astimezone()
            for item in schedule.items:
                when = midnight + timedelta(milliseconds=item.start_ms)
                self._planned[item.index] = when.isoformat(timespec="seconds")
        self.schedule_changed.emit(schedule)

    # ---- event loop --------------------------------------------------------------------------

    def _feed(self, event) -> None:
        """Hand an event to the sequencer; events caused while carrying out effects queue up.

        An internal error while carrying out one effect does not stop the others. When it
        leaves the show stuck (a film that did not start, a card with no timer, a fade with no
        end) the sequencer hears that this step failed or ended, so the show goes on by itself
        (`_recovery_for`). A failure while carrying out such a recovery gets no recovery of its
        own, so a recovery that fails every time cannot loop: the operator is asked to Skip."""
        if self._closed:
            return
        if (
            self._started_ms is None
            and self._seq.phase is Phase.IDLE
            and isinstance(event, (Start, Go, Jump))
        ):
            self._night_starts()
        if not self._tick.isActive() and self._seq.phase is not Phase.FINISHED:
            self._tick.start()
            self._journal_timer.start()
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

    def _handle(self, event, recovering: bool) -> None:
        try:
            effects = self._seq.handle(event)
        except Exception:
            self._internal_error(None, recovering)
            return
        stops: list[tuple[int, int]] = []
        for effect in effects:
            try:
                self._do(effect, stops)
            except Exception:
                self._internal_error(effect, recovering)
        try:
            for slot, media_id in stops:
                deck = self._decks.get(slot)
                if deck is not None and deck.media_id == media_id:
                    self._stop_slot(slot)
            if effects:
                self._emit_status()
        except Exception:
            self._internal_error("stopping a film", recovering)

    def _internal_error(self, effect, recovering: bool) -> None:
        """Log the exception being handled (raised carrying out `effect`; None: raised by the
        sequencer itself; a string: raised tidying up), tell the operator what the show does,
        and queue the event that gets it going again."""
        log.exception("show controller error (%s)", effect)
        event, then = self._recovery_for(effect)
        if event is not None and recovering:  # one recovery per failure: no loop
            then = "it could not recover by itself: press Skip to go on"
        elif event is not None:
            self._recoveries.append(event)
            self._queue.append(event)
        self.problem_reported.emit(f"The show engine met an internal error; {then}.")

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

    def _night_starts(self) -> None:
        midnight = datetime.combine(self.night_day, datetime.min.time())
        self._started_ms = int((datetime.now() - midnight).total_seconds() * 1000)
        if not self._start_applies():
            self._plan()  # timed from now: the console and the as-run log follow it

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
                step = self.steps[i]
                nxt = self.steps[i + 1] if i + 1 < len(self.steps) else None
                media_ms = None
                if isinstance(step.item, Film):
                    media_ms = self._media_ms.get(step.item.path)
                content = card_content(
                    self.playlist, step, media_duration_ms=media_ms, next_step=nxt
                )
                self._show_card(content)
                self._start_card_timer(t, ms)
            case ShowNeutral(token=t, duration_ms=ms, message=message):
                self._show_card(neutral_card(self.playlist, message or RECOVERY_MESSAGE))
                self._start_card_timer(t, ms)
            case PreloadFilm(step_index=i):
                self._preload(i)
            case PlayFilm(token=t, step_index=i, position_ms=pos):
                self._card_timer.stop()
                self._card_duration_ms = None
                if self._measuring_blocks(i):
                    self._pending_play = (t, i, pos)
                    self._pending_timer.start(LOUDNESS_WAIT_MS)
                else:
                    self._play(t, i, pos)
            case StopMedia():
                self._prestart_timer.stop()
                if self._playing is not None:
                    deck = self._playing.deck
                    self._last_played_ms = self._played_ms(self._playing)
                    stops.append((deck.slot, deck.media_id))
                    self._playing = None
                self._pending_play = None
                self._stop_fade()
                self._faded = (0.0, 0.0)
            case PauseMedia(paused=paused):
                self._pause(paused)
            case Fade(token=t, duration_ms=ms):
                self._card_timer.stop()
                self._tail_timer.stop()  # from where the film's own fade got to
                self._fade = (t, time.monotonic(), ms, self._faded)
                self._fade_timer.start()
                self._on_fade_step()
            case ShowBlack():
                self._card_timer.stop()
                self._card_duration_ms = None
                self._hold_started = time.monotonic()
                self._show_black()
            case Blackout(on=on):
                if on:
                    self.black_shown.emit()
                else:
                    self._reshow()
            case Finished():
                self._card_timer.stop()
                for slot in list(self._decks):
                    self._stop_slot(slot)
                self._playing = None
                self._show_black()
                self._save_journal(finished=True)
                self._tick.stop()
                self._journal_timer.stop()
                self._emit_status()
                self.finished.emit()

    # ---- visuals -------------------------------------------------------------------------

    def _show_card(self, content) -> None:
        self._visual = ("card", content)
        self._faded = (0.0, 0.0)
        if not self._seq.blackout:
            self.card_shown.emit(content)

    def _show_black(self) -> None:
        self._visual = ("black",)
        self.black_shown.emit()

    def _show_video(self, slot: int) -> None:
        self._visual = ("video", slot)
        self._screen_slot = slot
        if not self._seq.blackout:
            self.video_shown.emit(slot)

    def _reshow(self) -> None:
        kind = self._visual[0]
        if kind == "card":
            self.card_shown.emit(self._visual[1])
        elif kind == "video":
            self.video_shown.emit(self._visual[1])
        else:
            self.black_shown.emit()

    # ---- cards ---------------------------------------------------------------------------

    def _start_card_timer(self, token: int, duration_ms: int | None) -> None:
        self._card_timer.stop()
        self._card_token = token
        self._card_duration_ms = duration_ms
        self._card_started = time.monotonic()
        self._card_paused_at = None
        self._card_paused_s = 0.0
        self._hold_started = self._card_started
        if duration_ms is not None:
            self._card_timer.start(max(0, duration_ms))

    def _card_elapsed_ms(self) -> int:
        now = self._card_paused_at or time.monotonic()
        return int((now - self._card_started - self._card_paused_s) * 1000)

    def _on_card_timer(self) -> None:
        self._feed(CardElapsed(self._card_token))

    # ---- films ---------------------------------------------------------------------------

    def _film(self, step_index: int) -> Film:
        return self.steps[step_index].item

    def _free_slot(self) -> int:
        busy = {self._playing.deck.slot} if self._playing else set()
        if not busy and self._visual[0] == "video":
            busy = {self._visual[1]}  # keep the last frame on screen untouched
        for slot in (0, 1):
            if slot not in busy and slot not in self._decks:
                return slot
        for slot in (0, 1):
            if slot not in busy:
                return slot
        return 1

    def _open(self, step_index: int, position_ms: int = 0) -> _Deck:
        film = self._film(step_index)
        slot = self._free_slot()
        self._stop_slot(slot)
        start = film.in_ms + position_ms
        self.backend.set_level_db(slot, self._trim_db)
        media_id = self.backend.open(
            slot,
            film.path,
            start_ms=start,
            stop_ms=film.out_ms,
            subtitles=film.subtitles,
            gain_db=self.gain_db_for(film),
        )
        deck = self._decks.get(slot)
        if deck is None or deck.media_id != media_id:
            # events for this media may already have been handled (a fake backend posts at once)
            deck = _Deck(slot, step_index, media_id, start)
            self._decks[slot] = deck
        return deck

    def _preload(self, step_index: int) -> None:
        for deck in self._decks.values():
            if (
                deck.step_index == step_index
                and not deck.played
                and deck.start_ms == (self._film(step_index).in_ms)
            ):
                return
        if self._measuring_blocks(step_index):
            self._wanted_preload.add(step_index)  # opened once measured, with its gain
            return
        self._open(step_index)

    def _play(self, token: int, step_index: int, position_ms: int) -> None:
        film = self._film(step_index)
        deck = None
        if position_ms == 0:
            for candidate in self._decks.values():
                if (
                    candidate.step_index == step_index
                    and not candidate.played
                    and candidate.start_ms == film.in_ms
                    and (self._playing is None or candidate is not self._playing.deck)
                ):
                    deck = candidate
        if deck is None:
            deck = self._open(step_index, position_ms)
        if deck is self._prestarted:
            self._prestarted = None  # running already: started just before the last film ended
        deck.played = True
        self._tail_timer.stop()
        self._faded = (0.0, 0.0)
        self._playing = _Playing(deck, token, position_ms, time.monotonic())
        self._playing.last_progress_mono = self._playing.play_mono
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

    def _standby_for(self, step_index: int) -> _Deck | None:
        """The deck opened, paused and ready for film step `step_index` from its start."""
        if step_index >= len(self.steps) or self.steps[step_index].kind is not StepKind.FILM:
            return None
        film = self._film(step_index)
        for deck in self._decks.values():
            if (
                deck.step_index == step_index
                and deck.ready
                and not deck.played
                and not deck.failed
                and deck.start_ms == film.in_ms
                and (self._playing is None or deck is not self._playing.deck)
            ):
                return deck
        return None

    def _schedule_prestart(self, playing: _Playing) -> None:
        """Film directly after film (no card between): start the next one PRESTART_LEAD_MS
        before this one ends, so that its first picture comes as this one's last goes. Started
        at the end, the last frame stayed up 100-200 ms (bench/transitions.py). Only with video
        windows: headless outputs start at once, and the sounds would overlap."""
        i = playing.deck.step_index
        if (
            not self._has_video
            or self._prestarted is not None
            or playing.origin_mono is None
            or playing.paused_since is not None
            or self._fade is not None
            or self.playlist.follow_of(self.steps[i].item) is not Follow.AUTO
            or self._standby_for(i + 1) is None
        ):
            return
        end_ms = self._end_ms(playing)
        if end_ms is None:
            return
        due = playing.origin_mono + (end_ms - PRESTART_LEAD_MS) / 1000
        self._prestart_token = playing.token
        self._prestart_timer.start(max(0, int((due - time.monotonic()) * 1000)))

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
            or playing.paused_since is not None
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
            and playing.paused_since is None
            and self._fade is None
            and playing.deck.step_index + 1 == deck.step_index
            and self._decks.get(deck.slot) is deck
        ):
            return  # still waiting for the film before it to end
        self._prestarted = None
        if self._decks.get(deck.slot) is not deck:
            return  # replaced by another film already
        self._stop_slot(deck.slot)
        if not any(not other.played for other in self._decks.values()):
            self._preload(deck.step_index)  # unless that would push out another waiting film

    def _release_pending_play(self) -> None:
        self._pending_timer.stop()
        if self._pending_play is None or self._closed:
            return
        token, step_index, position = self._pending_play
        self._pending_play = None
        if token == self._seq.token:
            self._play(token, step_index, position)

    def _pause(self, paused: bool) -> None:
        now = time.monotonic()
        if self._playing is not None:
            self.backend.pause(self._playing.deck.slot, paused)
            self._playing.origin_mono = None  # the film's clock moves: measure it again
            self._prestart_timer.stop()
            if paused:
                self._playing.paused_since = now
            elif self._playing.paused_since is not None:
                self._playing.paused_total_s += now - self._playing.paused_since
                self._playing.paused_since = None
                self._playing.last_progress_mono = now
            return
        if paused:
            self._card_paused_at = now
            self._card_timer.stop()
        elif self._card_paused_at is not None:
            self._card_paused_s += now - self._card_paused_at
            self._card_paused_at = None
            if self._card_duration_ms is not None:
                self._card_timer.start(max(0, self._card_duration_ms - self._card_elapsed_ms()))

    def _stop_slot(self, slot: int) -> None:
        if self._decks.pop(slot, None) is not None:
            self.backend.stop(slot)

    def expected_ms(self, step_index: int) -> int | None:
        """How long the film of `step_index` should play (trims applied), best known."""
        film = self._film(step_index)
        media = self._media_ms.get(film.path)
        if media is None:
            for deck in self._decks.values():
                if deck.step_index == step_index:
                    media = self.backend.length_ms(deck.slot)
        return film.played_ms(media)

    def _played_ms(self, playing: _Playing, now: float | None = None) -> int:
        if playing.first_frame_mono is None:
            return 0
        now = now or time.monotonic()
        paused = playing.paused_total_s
        if playing.paused_since is not None:
            paused += now - playing.paused_since
        wall = int((now - playing.first_frame_mono - paused) * 1000)
        by_clock = playing.last_time_ms - playing.deck.start_ms
        return max(0, wall, by_clock)

    def _on_backend_event(self, event) -> None:
        if self._closed:
            return
        deck = self._decks.get(event.slot)
        if deck is None or deck.media_id != event.media_id:
            return  # a film already stopped or replaced
        playing = self._playing if self._playing and self._playing.deck is deck else None
        now = time.monotonic()
        match event:
            case Ready():
                deck.ready = True
                if deck.play_on_ready and playing is not None:
                    deck.play_on_ready = False
                    self.backend.play(deck.slot)
            case Started():
                if playing is not None:
                    playing.last_progress_mono = now
            case TimeChanged(time_ms=t):
                if playing is None:
                    return
                if playing.first_frame_mono is None:
                    playing.first_frame_mono = now - max(0, t - deck.start_ms) / 1000
                if t != playing.last_time_ms:
                    playing.last_progress_mono = now
                playing.last_time_ms = max(playing.last_time_ms, t)
                origin = now - t / 1000  # events come late, never early: keep the earliest
                if playing.origin_mono is None or origin < playing.origin_mono:
                    playing.origin_mono = origin
                self._schedule_prestart(playing)
                self._start_tail(playing)
                if not playing.shown:
                    playing.shown = True
                    self._show_video(deck.slot)
            case Ended():
                if playing is None:
                    # A standby film that ends before it was started had nothing to show.
                    deck.failed = deck.failed or "it ended before showing anything"
                    return
                self._film_ended(playing, now)
            case Failed(message=message):
                if playing is None:
                    deck.failed = message
                    return
                self._feed(MediaFailed(playing.token, message))

    def _film_ended(self, playing: _Playing, now: float) -> None:
        played = self._played_ms(playing, now)
        expected = self.expected_ms(playing.deck.step_index)
        nothing = played < MIN_PLAYED_MS and playing.position_ms == 0
        left_ms = None if expected is None else expected - playing.position_ms
        if playing.position_ms and left_ms is not None and left_ms < RESUME_TAIL_MS:
            # Resumed in its last moment: libvlc may end before drawing a frame. That is the
            # end of the film, not a failure (seen in the kill -9 drill: resumed at 1.9 of 2 s).
            self._feed(MediaEnded(playing.token))
        elif playing.first_frame_mono is None or nothing:
            self._feed(MediaFailed(playing.token, "it ended before showing anything"))
        elif expected is not None and played < expected - playing.position_ms - (
            SHORT_END_TOLERANCE_MS
        ):
            self._feed(
                MediaFailed(
                    playing.token,
                    f"it stopped after {format_duration(played)} of "
                    f"{format_duration(expected - playing.position_ms)} "
                    "(the file looks truncated or damaged)",
                )
            )
        else:
            self._feed(MediaEnded(playing.token))

    # ---- fades ---------------------------------------------------------------------------

    def _on_fade_step(self) -> None:
        if self._fade is None:
            self._fade_timer.stop()
            return
        token, started, duration, (picture, sound) = self._fade
        elapsed = (time.monotonic() - started) * 1000
        progress = 1.0 if duration <= 0 else min(1.0, elapsed / duration)
        self._set_faded(picture + (1 - picture) * progress, sound + (1 - sound) * progress)
        # Done once the last level set is heard: the film is stopped then, and must be silent.
        lead = self.backend.sound_lead_ms if self._playing is not None else 0
        if elapsed >= duration + lead:
            self._fade_timer.stop()
            self._fade = None
            self._feed(FadeDone(token))

    def _stop_fade(self) -> None:
        self._fade_timer.stop()
        self._tail_timer.stop()
        self._fade = None

    def _set_faded(self, picture: float, sound: float) -> None:
        """Fade what is on screen, 0 as it is .. 1 black and silent: the picture linearly to
        black, the sound linearly in dB from the night's trim to FADE_FLOOR_DB."""
        self._faded = (picture, sound)
        if self._playing is not None:
            slot = self._playing.deck.slot
            self.backend.set_level_db(slot, self._trim_db + (FADE_FLOOR_DB - self._trim_db) * sound)
            self.backend.set_picture_level(slot, 1.0 - picture)
        elif self._visual[0] == "card":
            self.card_level_changed.emit(1.0 - picture)

    def _start_tail(self, playing: _Playing) -> None:
        """A film with `fade_out`: follow it from shortly before its fade begins."""
        film = self._film(playing.deck.step_index)
        if (
            film.fade_out_ms <= 0
            or self._tail_timer.isActive()
            or self._fade is not None
            or playing.origin_mono is None
        ):
            return
        end_ms = self._end_ms(playing)
        begins = end_ms - film.fade_out_ms - self.backend.sound_lead_ms if end_ms else None
        if begins is not None and playing.last_time_ms >= begins - 500:
            self._tail_timer.start()
            self._on_tail_step()

    def _on_tail_step(self) -> None:
        playing = self._playing
        if playing is None or self._fade is not None:
            self._tail_timer.stop()
            return
        end_ms = self._end_ms(playing)
        if playing.origin_mono is None or playing.paused_since is not None or end_ms is None:
            return  # paused: stays as faded as it is; its next position report goes on
        fade_ms = self._film(playing.deck.step_index).fade_out_ms
        position = (time.monotonic() - playing.origin_mono) * 1000

        def faded(at: float) -> float:
            return min(1.0, max(0.0, 1.0 - (end_ms - at) / fade_ms))

        # the sound is set as far ahead as the backend applies it before it is heard
        now = (faded(position), faded(position + self.backend.sound_lead_ms))
        if now != self._faded:
            self._set_faded(*now)

    # ---- as-run and journal --------------------------------------------------------------

    def _step_started(self, i: int) -> None:
        stale = self._open_entries.pop(i, None)
        if stale is not None:
            self._write_entry(i, stale, "stopped", None)
        self._open_entries[i] = _Open(now_iso(), time.monotonic())
        self._last_step_started = i
        self._completed_step = None
        self._save_journal()
        film = self.steps[i].item
        if isinstance(film, Film) and film.subtitles is not None and not film.subtitles.exists():
            # libvlc plays on silently without them: the operator must know.
            self._notes[i] = f"subtitle file {film.subtitles.name} missing; shown without"
            self.problem_reported.emit(
                f'Film "{film.title.first(self.playlist.languages)}": its subtitle file '
                f"{film.subtitles} is missing; the film plays without subtitles."
            )

    def _step_ended(self, i: int, outcome: str, error: str | None) -> None:
        opened = self._open_entries.pop(i, None)
        entry = self._write_entry(i, opened, outcome, error)
        self._completed_step = i
        self._save_journal()
        if outcome == "failed":
            step = self.steps[i]
            name = step.item.path.name if isinstance(step.item, Film) else ""
            title = step.item.title.first(self.playlist.languages)
            self.problem_reported.emit(
                f'Film "{title}" ({name}) could not be played: {error}. '
                "The show held on a neutral card and went on with the next item."
            )
        self.item_finished.emit(entry)

    def _write_entry(
        self, i: int, opened: _Open | None, outcome: str, error: str | None
    ) -> AsRunEntry:
        step = self.steps[i]
        played_ms = 0
        if opened is not None:
            if step.kind is StepKind.FILM:
                played_ms = self._last_film_played_ms(i, self._playing)
            else:
                played_ms = int((time.monotonic() - opened.start_mono) * 1000)
        item = step.item
        entry = AsRunEntry(
            index=i,
            id=step.card.id if step.card is not None else item.id,
            kind=step.kind.value,
            title=(step.card.text if step.kind is StepKind.CARD else item.title).first(
                self.playlist.languages
            ),
            file=str(item.path) if step.kind is StepKind.FILM else None,
            planned_start=self._planned.get(i),
            started_at=opened.started_at if opened else None,
            ended_at=now_iso() if opened else None,
            played_ms=played_ms,
            outcome=outcome,
            error=error or self._notes.pop(i, None),
        )
        self._notes.pop(i, None)
        try:
            self._asrun.write(entry)
        except OSError as exc:
            self._warn_once(
                "as-run",
                f"The as-run log {self.as_run_path} cannot be written ({_why(exc)}); "
                "the show goes on without it.",
            )
        return entry

    def _warn_once(self, what: str, message: str) -> None:
        """Tell the operator about a failing log file once; later failures only go to the log
        (the journal is saved every second: a full disk must not nag every second)."""
        if what in self._warned:
            log.debug("%s", message)
            return
        log.warning("%s", message)
        self._warned.add(what)
        self.problem_reported.emit(message)

    def _last_film_played_ms(self, i: int, playing: _Playing | None) -> int:
        # StopMedia comes before StepEnded and clears _playing: keep the last one's figure.
        if playing is not None and playing.deck.step_index == i:
            return self._played_ms(playing)
        return self._last_played_ms

    def _save_journal(self, finished: bool = False) -> None:
        index = self._seq.index
        if index is None or (self._closed and not finished):
            return
        position = 0
        completed = self._completed_step is not None and self._completed_step == index
        if self._playing is not None and self._playing.deck.step_index == index:
            position = self._played_ms(self._playing) + self._playing.position_ms
        elif self._card_duration_ms is not None and self._seq.phase in (
            Phase.CARD,
            Phase.INTERMISSION,
        ):
            position = self._card_elapsed_ms()
        state = journal.JournalState(
            playlist=str(self.playlist.path) if self.playlist.path else "",
            step_index=min(index, max(0, len(self.steps) - 1)),
            position_ms=position,
            completed=completed,
            finished=finished or self._seq.phase is Phase.FINISHED,
            as_run=str(self.as_run_path),
            saved_at=now_iso(),
        )
        try:
            journal.save(self.journal_path, state)
        except OSError as exc:
            self._warn_once(
                "journal",
                f"The show journal {self.journal_path} cannot be saved ({_why(exc)}); "
                "the show goes on, but a crash could not be resumed where it stopped.",
            )

    # ---- status --------------------------------------------------------------------------

    def _on_tick(self) -> None:
        playing = self._playing
        if playing is not None and playing.paused_since is None and self._fade is None:
            now = time.monotonic()
            idle_ms = (now - playing.last_progress_mono) * 1000
            if playing.first_frame_mono is None and idle_ms > START_TIMEOUT_MS:
                self._feed(MediaFailed(playing.token, "it did not start within 8 seconds"))
            elif playing.first_frame_mono is not None and idle_ms > STALL_TIMEOUT_MS:
                self._feed(MediaFailed(playing.token, "playback froze for 6 seconds"))
        self._emit_status()

    def _emit_status(self) -> None:
        base = self._seq.status()
        elapsed, duration = 0, None
        playing = self._playing
        if playing is not None and base.step_index == playing.deck.step_index:
            elapsed = self._played_ms(playing) + playing.position_ms
            duration = self.expected_ms(playing.deck.step_index)
        elif base.phase in (Phase.CARD, Phase.INTERMISSION, Phase.PAUSED, Phase.FADING):
            elapsed = self._card_elapsed_ms()
            duration = self._card_duration_ms
        elif base.phase is Phase.HOLDING:
            elapsed = int((time.monotonic() - self._hold_started) * 1000)
        remaining = max(0, duration - elapsed) if duration is not None else None
        self.status = replace(
            base,
            elapsed_ms=elapsed,
            duration_ms=duration,
            remaining_ms=remaining,
            volume_trim_db=self._trim_db,
        )
        self.status_changed.emit(self.status)
