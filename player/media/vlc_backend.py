"""The media backend over libvlc (python-vlc): the only module that imports vlc.

Every opened film gets its own deck: a libvlc instance and one media player. An instance per
film costs ~5 ms (with libvlc-bin's plugin cache) and buys two things measured on this platform:
  * gain: the instance option `--gain` (linear factor) changes the level of the sound actually
    produced (captured via afile: 0.5 -> -6.0 dB, 2 -> +6.0 dB), whereas `audio_set_volume` left
    the captured level unchanged and the `:gain` media option was ignored;
  * `--audiofile-file`: afile reopens (truncates) its file for every new stream, so a reused
    player keeps only the last film. One file segment per deck, joined in show time at close.
Live level (volume trim, fades). libvlc filters sound when it decodes it, 0.7-1.3 s before it
is heard (measured: a level change reached the captured WAV 1.3 s, a PulseAudio null sink
0.7-1.1 s, of film time after it was made). On the system's output the level below unity is
therefore the player's volume, which the sound server applies as it plays (measured: at once);
boosts, and the outputs where the volume does nothing (afile, dummy), use the equalizer's
preamp, which does act on the produced sound. With flat bands the preamp is unity at +12 dB
(measured: preamp 0 dB gave -12.0 dB), so preamp = 12 + level, within libvlc's -20..+20 dB.
`sound_lead_ms` tells the engine how early such a level must be set.

Pre-roll. `:start-paused` opens a film without drawing anything: libvlc creates the video
output only once it plays (measured under Xvfb: the first ~100 ms of every film were never on
screen, and a "paused" standby was an empty surface). So a film opened into a window plays,
muted and 32 dB down (the equalizer's floor), until its video output exists, and is paused
there, on its first or second frame (measured: frame 1 of 25 fps); `Ready` follows that pause.
The first such film of the process is started over once: its GL shaders compiling delayed its
first picture. On GO it is put back to its start (`set_time`), unmuted and played: measured on
PulseAudio (a null sink, recorded), a player paused this early does not stop its sound: the
film's sound went on under the card (heard between the -32 dB floor and full level), and what
was heard then was missing after GO. Muted, the standby is silent; put back to its start, the
sound is whole from GO (the picture on screen stays until the first new one replaces it).
Headless decks (no window to draw) and decks whose sound goes to a file still open with
`:start-paused`: nothing to show, and the file must not get sound the audience never heard.
A film without a picture (its clock runs, no video output) is opened again, paused at its start.

Picture fades go through libvlc's adjust filter, switched on at a fade's first step (measured
under Xvfb: no dropped or held frame when it comes on mid-film) and set so that luma goes
linearly from the picture to 0 and chroma to grey. See `adjust_for_level`.

Subtitles and tracks are chosen once the deck is paused, never while it pre-rolls. Measured
(bench/subtitles.py, PLATFORM.md): a film opened with `:sub-file` whose first cue fell in its
first second held libvlc's `stop()` for 5.8-5.9 s in half the runs when the player was stopped
in its first ~0.4 s, as the pre-roll's start-over of the first film does: the subtitle decoder
had the cue and waited for a video output (libvlc retries 30 times, 200 ms apart) that the
stop had already taken away, and `stop()` waited for it. The pre-roll thread held the lock of
every deck meanwhile, so the card stayed up ~4.6 s too long, and a GO on another film waited
too. So: a film opens with no subtitle track at all (`:sub-language=none` keeps a file's
default-flagged one off), and when its first pause comes, the pre-roll thread picks the audio
track and adds the file as a slave (`add_slave`), reporting `Ready` once libvlc has selected it
(`ESSelected`), or selects the embedded track, which is then read again from the start at play
(chosen while paused, its first cues had been read and dropped). Added while paused, the cue at
0 s is shown from GO on (measured: in the first snapshot, 150 ms after GO). A subtitle file is
read (encoding, structure) on the pre-roll thread before its film starts. Each deck has its own
lock, so one deck's slow libvlc call never holds up a call on the other.
Encodings (measured on libvlc 3.0.24 with frame grabs): libvlc reads UTF-8 and UTF-16 with a
BOM by itself; `:subsdec-encoding` (the only encoding option, of the decoder .srt uses) is right
for windows-1252, ISO-8859-15, GB18030 and Big5 .srt files; UTF-32, and .ass (libass) and .vtt
(libvlc's WebVTT) in anything but UTF-8/UTF-16, come out wrong or blank, so those, mixed files
and .srt files whose structure libvlc misreads are handed over as a clean UTF-8 copy.
The look: freetype's options per instance (`--freetype-rel-fontsize` = picture height / font
size; as media options they were ignored).

libvlc is not re-entrant: the event callbacks only copy plain values and call `post` or queue a
deck for the pre-roll thread; they never call libvlc. The pre-roll thread and the caller's thread
take the deck's `lock` around every call on its player. One dispatcher per event type
(python-vlc keeps one callback per type). Always `media_new_path` (a path with ':' given to
`media_new` is taken for a URL).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import enum
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

from player.core import subtitles as subs
from player.core.model import SubtitleOutline
from player.media.backend import (
    SLOTS,
    BackendError,
    Ended,
    Failed,
    Post,
    Ready,
    Started,
    TimeChanged,
)

log = logging.getLogger(__name__)
vlc_log = logging.getLogger("libvlc")

RELEASE_WAIT_S = 30  # close() waits this long for libvlc's stops
SOUND_LEAD_MS = 1_200  # the equalizer acts this far ahead of the sound heard (see the module doc)
EQ_UNITY_PREAMP_DB = 12.0  # measured: flat equalizer with preamp +12 dB = unchanged level
PREAMP_MIN_DB, PREAMP_MAX_DB = -20.0, 20.0
BAND_MIN_DB = -20.0
SILENT_DB = -60.0  # a level at or below this is silence
MAX_GAIN_FACTOR = 8.0  # libvlc's --gain range is 0..8
BASE_ARGS = (
    "--avcodec-hw=none",
    "--no-video-title-show",
    "--no-osd",
    "--no-snapshot-preview",
    "--no-stats",
    "--no-sub-autodetect-file",
    "--no-interact",
    "--verbose=0",
)

_vlc = None
_x11_ready = False
_lock = threading.Lock()
_live = {"instances": 0, "players": 0}  # made and not yet released, in this process
_gl_warm = threading.Event()  # a picture was pre-rolled into a window in this process
OUTLINE_THICKNESS = {  # freetype-outline-thickness's own steps
    SubtitleOutline.NONE: 0,
    SubtitleOutline.THIN: 2,
    SubtitleOutline.NORMAL: 4,
    SubtitleOutline.THICK: 6,
}
SHADOW_OPACITY = 128  # freetype's default shadow, half opaque
SLAVE_WAIT_S = 3.0  # a subtitle file libvlc has not selected by then is not coming


def live_counts() -> dict[str, int]:
    """How many libvlc instances and media players this process holds now (leak checks)."""
    with _lock:
        return dict(_live)


def _count(kind: str, delta: int) -> None:
    with _lock:
        _live[kind] += delta


def load_vlc():
    """Import python-vlc and check that libvlc works; BackendError with what to install."""
    global _vlc
    if _vlc is not None:
        return _vlc
    limit_malloc_arenas()
    if not os.environ.get("XDG_RUNTIME_DIR"):
        # libwayland (loaded by libvlc) prints "XDG_RUNTIME_DIR is invalid" to stderr for
        # every instance when this is unset (headless machines, services).
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="screening-night-run-")
    try:
        import vlc
    except (ImportError, OSError) as exc:  # python-vlc raises OSError when libvlc is missing
        raise BackendError(
            "libvlc is not available: install the Debian packages libvlc5, libvlc-bin, "
            f"vlc-plugin-base and vlc-plugin-video-output ({exc})"
        ) from exc
    probe = vlc.Instance(["--quiet", "--vout=dummy", "--aout=dummy"])
    if probe is None:
        raise BackendError(
            "libvlc could not start: install vlc-plugin-base (libvlc5 alone has no plugins)"
        )
    probe.release()
    _vlc = vlc
    return vlc


MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas before the first libvlc thread starts.

    Every film gets a libvlc instance of its own, and each new thread of it may take a fresh
    malloc arena (up to 8 per core) that keeps the memory freed in it. Measured with
    bench/soak.py (60 items, 2 cores): RSS grew 19.6 MB after warm-up and still rose at the
    end; capped at 4 arenas +8 MB, at 2 arenas +2.9 MB and flat. No-op where mallopt is
    missing (musl, macOS, Windows)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def init_x11_threads() -> None:
    """XInitThreads before the first libvlc instance that draws into an X11 window."""
    global _x11_ready
    if _x11_ready or not os.environ.get("DISPLAY"):
        return
    name = ctypes.util.find_library("X11")
    if name:
        try:
            ctypes.CDLL(name).XInitThreads()
        except OSError:
            log.warning("could not call XInitThreads in %s", name)
    _x11_ready = True


def has_sound_card() -> bool:
    try:
        cards = Path("/proc/asound/cards").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Path("/dev/snd").exists()
    return "no soundcards" not in cards and bool(cards.strip())


# ---- libvlc log -> Python logging ------------------------------------------------------------

# libvlc is chatty: its warnings ("elst box found") are debug detail to us, its errors are
# info (the show reports failures itself, in plain words).
_LEVELS = {0: logging.DEBUG, 2: logging.DEBUG, 3: logging.DEBUG, 4: logging.INFO}
_log_cb = None
_vsnprintf = None


def _install_log(instance, vlc) -> None:
    """Route libvlc's messages to the 'libvlc' logger (debug and notices dropped early)."""
    global _log_cb, _vsnprintf
    if _log_cb is None:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        _vsnprintf = libc.vsnprintf
        _vsnprintf.restype = ctypes.c_int
        _vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]

        @vlc.CallbackDecorators.LogCb
        def _cb(_data, level, _ctx, fmt, args):
            py_level = _LEVELS.get(level, logging.DEBUG)
            if not vlc_log.isEnabledFor(py_level):
                return
            buf = ctypes.create_string_buffer(1024)
            _vsnprintf(buf, len(buf), fmt, args)
            vlc_log.log(py_level, "%s", buf.value.decode("utf-8", "replace"))

        _log_cb = _cb
    try:
        instance.log_set(_log_cb, None)
    except Exception:  # an older python-vlc without log_set: stay quiet instead
        log.debug("libvlc log callback not installed", exc_info=True)


# ---- decks -----------------------------------------------------------------------------------


class _Job(enum.Enum):
    """What the pre-roll thread does to a deck."""

    START = "start"  # read its subtitle file, then play
    PAUSE = "pause"  # its picture is up: pause it (the first of the process starts over)
    REWIND = "rewind"  # no picture: open it again, paused at its start
    SETTLE = "settle"  # paused: choose its tracks, then Ready
    SHOWN = "shown"  # its subtitle file is selected (or timed out): Ready


@dataclass
class _Deck:
    media_id: int
    slot: int
    path: Path
    instance: object
    player: object
    media: object
    equalizer: object
    audio_file: Path | None
    active: bool = True
    ready_sent: bool = False
    last_time_ms: int = 0
    played_at: float | None = None  # monotonic time of play() (for joining audio segments)
    start_ms: int = 0
    picture: float = 1.0  # picture level (fades): 1 as the film is, 0 black
    adjusting: bool = False  # the adjust filter is on
    bands_db: float = 0.0  # every equalizer band's amplification
    prerolling: bool = False  # playing silently until its first picture is up, then paused
    preroll_queued: bool = False
    wants_subtitles: bool = False  # opened with a subtitle file
    subtitles: Path | None = None  # the file libvlc reads (a UTF-8 copy where it must)
    subtitle_track: str | int | None = None
    audio_track: str | int | None = None
    subtitles_on: bool = True
    spu_id: int | None = None  # libvlc's id of the subtitle track shown, once known
    settled: bool = False  # tracks chosen (after the first pause)
    awaiting_subtitles: bool = False  # the subtitle file added, not yet selected by libvlc
    reread: bool = False  # put back to its start at play (see `play`)
    lock: threading.RLock = field(default_factory=threading.RLock)  # libvlc calls on it
    refs: list = field(default_factory=list)  # keeps ctypes callbacks alive

    @property
    def has_subtitles(self) -> bool:
        return self.wants_subtitles or self.subtitle_track is not None


class VlcBackend:
    """Two slots of libvlc playback. See `player.media.backend.MediaBackend` for the contract.

    `video=False` uses libvlc's dummy video output (headless). `audio` is "auto" (the system's
    output, or dummy when there is no sound card), "dummy", or "file" with `audio_file` (a WAV
    of the night's sound, joined from per-film segments in show time when `close` is called).
    `preroll=False` opens every film with `:start-paused` (nothing drawn until it plays): the
    engine before pre-roll, kept as bench/transitions.py's baseline.
    """

    def __init__(
        self,
        *,
        video: bool = True,
        audio: str = "auto",
        audio_file: Path | None = None,
        extra_args: tuple[str, ...] = (),
        preroll: bool = True,
    ) -> None:
        self._vlc = load_vlc()
        if audio not in ("auto", "dummy", "file", "default"):
            raise ValueError(f"unknown audio mode {audio!r}")
        if audio == "file" and audio_file is None:
            raise ValueError("audio='file' needs audio_file")
        if audio == "auto":
            audio = "default" if has_sound_card() else "dummy"
        self._video = video
        self._audio = audio
        self._audio_file = Path(audio_file).absolute() if audio_file else None
        self._extra = tuple(extra_args)
        self._preroll = preroll
        # the system's output: its volume acts as the sound is played, with no lead
        self.sound_lead_ms = 0 if audio == "default" else SOUND_LEAD_MS
        self._post: Post | None = None
        self._windows: dict[int, int | None] = dict.fromkeys(SLOTS)
        self._decks: dict[int, _Deck] = {}
        self._next_id = 0
        self._segments: list[tuple[float, Path]] = []  # (play time, file) of played decks
        self._audio_parts: list[Path] = []  # every segment file made, played or not
        self._levels: dict[int, float] = dict.fromkeys(SLOTS, 0.0)
        self._style = subs.SubtitleStyle()
        self._subs_dir: Path | None = None  # UTF-8 copies of subtitle files, removed at close
        self._preroll_queue: queue.SimpleQueue | None = None
        self._release_queue: queue.SimpleQueue | None = None  # decks to stop and release
        self._release_thread: threading.Thread | None = None

    # -- contract --

    def set_event_sink(self, post: Post) -> None:
        self._post = post

    def set_video_window(self, slot: int, handle: int | None) -> None:
        self._windows[slot] = int(handle) if handle else None
        if handle and self._video:
            init_x11_threads()

    def set_subtitle_style(self, style: subs.SubtitleStyle) -> None:
        self._style = style

    def open(
        self,
        slot,
        path,
        *,
        start_ms=0,
        stop_ms=None,
        subtitles=None,
        subtitle_track=None,
        audio_track=None,
        gain_db=0.0,
    ) -> int:
        vlc = self._vlc
        self.stop(slot)
        self._next_id += 1
        media_id = self._next_id
        path = Path(path).absolute()
        args = [*BASE_ARGS, *self._extra, *style_args(self._style)]
        window = self._windows.get(slot) if self._video else None
        if not window:
            args.append("--vout=dummy")
        audio_file = None
        if self._audio == "dummy":
            args.append("--aout=dummy")
        elif self._audio == "file":
            audio_file = self._audio_file.with_name(
                f".{self._audio_file.stem}.part{media_id:04d}.wav"
            )
            args += ["--aout=afile", f"--audiofile-file={audio_file}"]
            self._audio_parts.append(audio_file)
        factor = min(MAX_GAIN_FACTOR, max(0.0, 10 ** (float(gain_db) / 20)))
        args.append(f"--gain={factor:.4f}")
        instance = vlc.Instance(args)
        if instance is None:
            raise BackendError("libvlc could not start an instance (vlc-plugin-base missing?)")
        _count("instances", 1)
        _install_log(instance, vlc)
        player = instance.media_player_new()
        _count("players", 1)
        media = instance.media_new_path(str(path))
        preroll = self._preroll and bool(window) and audio_file is None
        if not preroll:
            media.add_option(":start-paused")
        if self._preroll_queue is None:  # also chooses tracks for decks that do not pre-roll
            self._preroll_queue = queue.SimpleQueue()
            threading.Thread(
                target=self._preroll_loop,
                args=(self._preroll_queue,),
                name="screening-night-preroll",
                daemon=True,
            ).start()
        media.add_option(":no-video-title-show")
        media.add_option(":sub-language=none")  # no track until chosen (see the module doc)
        if start_ms > 0:
            media.add_option(f":start-time={start_ms / 1000:.3f}")
        if stop_ms is not None:
            media.add_option(f":stop-time={stop_ms / 1000:.3f}")
        player.set_media(media)
        if window:
            _attach_window(player, window)
        equalizer = vlc.AudioEqualizer()
        for band in range(vlc.libvlc_audio_equalizer_get_band_count()):
            equalizer.set_amp_at_index(0.0, band)
        deck = _Deck(media_id, slot, path, instance, player, media, equalizer, audio_file)
        deck.start_ms = max(0, int(start_ms))
        deck.prerolling = preroll
        deck.wants_subtitles = subtitles is not None
        deck.subtitle_track = None if subtitles is not None else subtitle_track
        deck.audio_track = audio_track
        self._decks[slot] = deck
        if preroll:  # at the equalizer's floor, -32 dB (volume 0 did not come back to 100 on
            # outputs without a volume control, and a real output may remember it)
            equalizer.set_preamp(PREAMP_MIN_DB)
            player.set_equalizer(equalizer)
            player.audio_set_mute(True)  # a real output's mute acts at once (see the module doc)
        else:
            self._apply_level(deck, self._levels.get(slot, 0.0))
        self._attach_events(deck)
        if subtitles is not None:  # reading the file to find its encoding takes 10-100 ms
            self._queue(deck, _Job.START, Path(subtitles).absolute())
        else:
            self._start(deck)
        return media_id

    def _start(self, deck: _Deck) -> None:
        if deck.player.play() == -1:
            deck.active = False
            self._emit(Failed(deck.media_id, deck.slot, "libvlc refused to open the file"))

    def play(self, slot: int) -> None:
        deck = self._decks.get(slot)
        if deck is None:
            return
        with deck.lock:
            if deck.played_at is None:
                deck.played_at = time.monotonic()
                if deck.audio_file is not None:
                    self._segments.append((deck.played_at, deck.audio_file))
            if deck.prerolling:
                deck.prerolling = False
                self._apply_level(deck, self._levels.get(slot, 0.0))
                # the sound it made while pre-rolling is gone: from its start again
                deck.player.set_time(deck.start_ms)
            elif deck.reread:
                # an embedded subtitle track chosen while paused: libvlc had read its first
                # cues already and dropped them (measured: not shown); read them again
                deck.player.set_time(deck.start_ms)
            deck.reread = False
            deck.player.audio_set_mute(False)  # also a stream a sound server restored muted
            deck.player.set_pause(0)

    def pause(self, slot: int, paused: bool) -> None:
        deck = self._decks.get(slot)
        if deck is not None:
            with deck.lock:
                deck.player.set_pause(1 if paused else 0)

    def stop(self, slot: int) -> None:
        """Returns at once: libvlc's stop (8-30 ms measured, more when a decoder is slow to
        finish) runs on the release thread. Done on the caller's (GUI) thread, it held back
        the raise of the next film's surface that the same turn of the event loop had asked
        for, so the last frame stayed up that much longer."""
        deck = self._decks.pop(slot, None)
        if deck is None:
            return
        with deck.lock:
            deck.active = False  # from here no event of it is posted, no thread touches it
        if self._release_queue is None:
            self._release_queue = queue.SimpleQueue()
            self._release_thread = threading.Thread(
                target=_release_loop,
                args=(self._release_queue,),
                name="screening-night-release",
                daemon=True,
            )
            self._release_thread.start()
        self._release_queue.put(deck)

    def set_level_db(self, slot: int, db: float) -> None:
        self._levels[slot] = float(db)
        deck = self._decks.get(slot)
        if deck is not None and not deck.prerolling:
            with deck.lock:
                self._apply_level(deck, float(db))

    def set_picture_level(self, slot: int, level: float) -> None:
        deck = self._decks.get(slot)
        level = min(1.0, max(0.0, float(level)))
        if deck is None or not self._video or level == deck.picture:
            return
        options = self._vlc.VideoAdjustOption
        with deck.lock:
            if not deck.active:
                return
            deck.picture = level
            player = deck.player
            if not deck.adjusting:  # on once, then left on (off and on rebuilds the filters)
                deck.adjusting = True
                player.video_set_adjust_int(options.Enable, 1)
            contrast, brightness, saturation = adjust_for_level(level)
            player.video_set_adjust_float(options.Contrast, contrast)
            player.video_set_adjust_float(options.Brightness, brightness)
            player.video_set_adjust_float(options.Saturation, saturation)

    def set_subtitles_visible(self, slot: int, on: bool) -> None:
        deck = self._decks.get(slot)
        if deck is None or not deck.has_subtitles:
            return
        with deck.lock:
            deck.subtitles_on = bool(on)
            if deck.active and deck.settled:
                self._show_subtitles(deck)

    def length_ms(self, slot: int) -> int | None:
        deck = self._decks.get(slot)
        if deck is None:
            return None
        value = deck.player.get_length()
        return value if value and value > 0 else None

    def snapshot(self, slot: int, path: Path) -> bool:
        """Headless decks too: libvlc's dummy video output keeps the picture, subtitles drawn
        in (measured: the same cue as in a window)."""
        deck = self._decks.get(slot)
        if deck is None:
            return False
        try:
            return deck.player.video_take_snapshot(0, str(Path(path).absolute()), 0, 0) == 0
        except Exception:
            log.debug("snapshot failed", exc_info=True)
            return False

    def close(self) -> None:
        for slot in list(self._decks):
            self.stop(slot)
        if self._release_queue is not None:  # every player stopped (and its sound file shut)
            self._release_queue.put(None)
            self._release_thread.join(timeout=RELEASE_WAIT_S)
            if self._release_thread.is_alive():
                log.warning("libvlc did not stop within %d s; left behind", RELEASE_WAIT_S)
            self._release_queue = None
        if self._preroll_queue is not None:
            self._preroll_queue.put(None)
            self._preroll_queue = None
        self.reset_levels()
        if self._subs_dir is not None:
            shutil.rmtree(self._subs_dir, ignore_errors=True)
            self._subs_dir = None
        if self._audio == "file" and self._audio_file is not None:
            join_segments(self._segments, self._audio_file)
            for part in self._audio_parts:
                part.unlink(missing_ok=True)
            self._segments, self._audio_parts = [], []

    def reset_levels(self) -> None:
        self._levels = dict.fromkeys(SLOTS, 0.0)

    # -- internals --

    def _apply_level(self, deck: _Deck, db: float) -> None:
        if self._audio == "default":  # cuts at the sound server, boosts in the equalizer
            preamp = EQ_UNITY_PREAMP_DB + max(0.0, db)
            volume = 0 if db <= SILENT_DB else round(100 * 10 ** (min(0.0, db) / 20))
        else:
            preamp = EQ_UNITY_PREAMP_DB + db
            volume = 0 if db <= SILENT_DB else 100
        # Below the preamp's floor (-32 dB) every band takes the rest, to -20 dB more.
        bands = max(BAND_MIN_DB, min(0.0, preamp - PREAMP_MIN_DB))
        if bands != deck.bands_db:
            deck.bands_db = bands
            for band in range(self._vlc.libvlc_audio_equalizer_get_band_count()):
                deck.equalizer.set_amp_at_index(bands, band)
        deck.equalizer.set_preamp(min(PREAMP_MAX_DB, max(PREAMP_MIN_DB, preamp)))
        deck.player.set_equalizer(deck.equalizer)
        deck.player.audio_set_volume(volume)

    def _emit(self, event) -> None:
        if self._post is not None:
            self._post(event)

    def _queue(self, deck: _Deck, job: _Job, subtitles: Path | None = None) -> None:
        """Hand `job` on `deck` to the pre-roll thread (from a libvlc callback too: never
        libvlc there)."""
        jobs = self._preroll_queue
        if job in (_Job.PAUSE, _Job.REWIND):
            if deck.preroll_queued or jobs is None:
                return
            deck.preroll_queued = True
        if jobs is not None:
            jobs.put((deck, job, subtitles))

    def _settle(self, deck: _Deck) -> None:
        """The first pause: choose the audio track, add or choose the subtitles, then Ready."""
        with deck.lock:
            if not deck.active:
                return
            try:
                tracks = media_tracks(self._vlc, deck.media)
                if deck.audio_track is not None:
                    audio = [(i, lang) for kind, i, lang in tracks if kind == TRACK_AUDIO]
                    pick = subs.pick_track(deck.audio_track, [lang for _, lang in audio])
                    if pick is None:
                        log.info("%s: no audio track %r", deck.path.name, deck.audio_track)
                    else:
                        deck.player.audio_set_track(audio[pick][0])
                if deck.subtitle_track is not None:
                    text = [(i, lang) for kind, i, lang in tracks if kind == TRACK_TEXT]
                    pick = subs.pick_track(deck.subtitle_track, [lang for _, lang in text])
                    if pick is None:
                        log.info("%s: no subtitle track %r", deck.path.name, deck.subtitle_track)
                        deck.subtitle_track = None
                    else:
                        deck.spu_id = text[pick][0]
                        deck.reread = deck.played_at is None
                elif deck.subtitles is not None:
                    # Ready once libvlc has selected it (`ESSelected`): hidden, or toggled,
                    # only then does it stay so. A file libvlc cannot open: Ready anyway.
                    deck.awaiting_subtitles = True
                    slave = self._vlc.MediaSlaveType.subtitle
                    deck.player.add_slave(slave, deck.subtitles.as_uri(), True)
                    later = threading.Timer(SLAVE_WAIT_S, self._queue, (deck, _Job.SHOWN))
                    later.daemon = True
                    later.start()
                    return
                deck.settled = True
                if deck.spu_id is not None:
                    self._show_subtitles(deck)
            except Exception:  # a film plays without its chosen tracks rather than not at all
                log.exception("choosing the tracks of %s failed", deck.path)
        self._emit(Ready(deck.media_id, deck.slot))

    def _shown(self, deck: _Deck) -> None:
        """The subtitle file is selected (or never will be): apply the switch, then Ready."""
        with deck.lock:
            if not deck.active or not deck.awaiting_subtitles:
                return
            deck.awaiting_subtitles = False
            deck.settled = True
            try:
                self._show_subtitles(deck)
            except Exception:
                log.exception("showing the subtitles of %s failed", deck.path)
        self._emit(Ready(deck.media_id, deck.slot))

    def _show_subtitles(self, deck: _Deck) -> None:
        """Apply `deck.subtitles_on` (the deck's lock held, settled)."""
        player = deck.player
        if not deck.subtitles_on:
            current = player.video_get_spu()
            if deck.spu_id is None and current is not None and current >= 0:
                deck.spu_id = current
            player.video_set_spu(-1)
            return
        if deck.spu_id is None:  # the subtitle file: libvlc lists it after the film's own
            ids = [i for i, _name in player.video_get_spu_description() or () if i >= 0]
            deck.spu_id = ids[-1] if ids else None
        if deck.spu_id is not None:
            player.video_set_spu(deck.spu_id)

    def _start_with(self, deck: _Deck, subtitles: Path) -> None:
        """Start a deck whose subtitle file is first read (encoding, structure)."""
        sub_file, encoding = self._subtitle_input(subtitles, deck.media_id)
        with deck.lock:
            if not deck.active:
                return
            deck.subtitles = sub_file
            if encoding:
                deck.media.add_option(f":subsdec-encoding={encoding}")
            self._start(deck)

    def _subtitle_input(self, path: Path, media_id: int) -> tuple[Path | None, str | None]:
        """(the file libvlc is to read, its `subsdec-encoding`) for the subtitle file `path`:
        the file itself where libvlc reads it right, else a clean UTF-8 copy (see the module
        doc). (None, None) when it cannot be read: the film plays without subtitles."""
        try:
            data = path.read_bytes() if path.stat().st_size <= subs.MAX_BYTES else None
            if data is None:
                raise subs.SubtitleError(path, "too large for subtitles")
            parsed = subs.parse_bytes(data, path, self._style.languages)
        except (OSError, subs.SubtitleError) as exc:
            log.warning("subtitles %s left out: %s", path, exc)
            return None, None
        detected = parsed.detected
        srt = parsed.format is subs.SubtitleFormat.SRT
        legacy = detected.codec not in ("utf_8", "ascii", "utf_16", "utf_32")
        if srt and not parsed.issues and detected.mixed_line is None:
            if legacy:
                return path, detected.name
            if detected.codec != "utf_32":
                return path, "UTF-8"
        if not srt and not legacy and detected.codec != "utf_32" and detected.mixed_line is None:
            return path, None  # libass and WebVTT read UTF-8 and UTF-16 (BOM) themselves
        text = subs.srt_text(parsed.cues) if srt else subs.decode(data, detected)
        if self._subs_dir is None:
            self._subs_dir = Path(tempfile.mkdtemp(prefix="screening-night-subtitles-"))
        copy = self._subs_dir / str(media_id) / path.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(text, encoding="utf-8")
        return copy, "UTF-8"

    def _preroll_loop(self, jobs: queue.SimpleQueue) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            deck, kind, subtitles = job
            if kind is _Job.SETTLE:
                self._settle(deck)
                continue
            if kind is _Job.START:
                self._start_with(deck, subtitles)
                continue
            if kind is _Job.SHOWN:
                self._shown(deck)
                continue
            rewind = kind is _Job.REWIND
            with deck.lock:
                if not deck.active or not deck.prerolling:
                    continue  # stopped, or played already (GO came first)
                if not rewind and not _gl_warm.is_set():
                    # The first picture drawn in this process waits for the GL shaders to
                    # compile (250-400 ms after `Vout` under Xvfb with a cold shader cache): a
                    # deck paused before that never drew. Start this first one over, warm.
                    _gl_warm.set()
                    deck.preroll_queued = False  # its next video output queues it again
                    deck.player.stop()
                    deck.player.play()
                    continue
                if rewind:
                    # No picture to wait on: open it again as headless decks are, paused at
                    # its start (seeking a paused player did not play on as it should).
                    deck.player.stop()
                    deck.media.add_option(":start-paused")
                    deck.player.play()  # `Paused` follows: Ready
                else:
                    deck.player.set_pause(1)  # `Paused` follows: Ready

    def _attach_events(self, deck: _Deck) -> None:
        vlc = self._vlc
        events = deck.player.event_manager()
        types = vlc.EventType

        def paused(_event):
            if deck.active and not deck.ready_sent:
                deck.ready_sent = True
                self._queue(deck, _Job.SETTLE)  # Ready once its tracks are chosen

        def playing(_event):
            if deck.active and deck.played_at is not None:
                self._emit(Started(deck.media_id, deck.slot))

        def vout(event):
            if deck.active and deck.prerolling and getattr(event.u, "new_count", 1) > 0:
                self._queue(deck, _Job.PAUSE)

        def time_changed(event):
            if deck.active:
                deck.last_time_ms = int(event.u.new_time)
                if deck.prerolling and deck.played_at is None:
                    # the clock runs and still no video output: a film without a picture
                    self._queue(deck, _Job.REWIND)
                if deck.played_at is not None:
                    self._emit(TimeChanged(deck.media_id, deck.slot, deck.last_time_ms))

        def ended(_event):
            if deck.active and deck.prerolling and deck.played_at is None:
                # over before its pre-roll paused it (a sound shorter than ~0.3 s): open it
                # again, paused at its start, as a film without a picture is
                deck.preroll_queued = False
                self._queue(deck, _Job.REWIND)
            elif deck.active:
                self._emit(Ended(deck.media_id, deck.slot, deck.last_time_ms))

        def es_selected(event):
            changed = ctypes.cast(ctypes.byref(event.u), ctypes.POINTER(_EsChanged)).contents
            if deck.active and deck.awaiting_subtitles and changed.type == TRACK_TEXT:
                deck.spu_id = int(changed.id)
                self._queue(deck, _Job.SHOWN)

        def error(_event):
            if deck.active:
                self._emit(Failed(deck.media_id, deck.slot, "libvlc could not decode the file"))

        handlers = {
            types.MediaPlayerPaused: paused,
            types.MediaPlayerPlaying: playing,
            types.MediaPlayerTimeChanged: time_changed,
            types.MediaPlayerVout: vout,
            types.MediaPlayerEndReached: ended,
            types.MediaPlayerEncounteredError: error,
            types.MediaPlayerESSelected: es_selected,
        }
        for kind, handler in handlers.items():
            events.event_attach(kind, handler)
        deck.refs.append(handlers)


def subtitle_frame(
    film: Path,
    subtitles: Path,
    cue: subs.Cue,
    out: Path,
    *,
    style: subs.SubtitleStyle,
    timeout_s: float = 20.0,
) -> bool:
    """Write to `out` (PNG, the film's own size) the frame of `film` during `cue` of
    `subtitles`, as the show draws it: the backend's headless deck (libvlc's dummy video
    output, the subtitle drawn in by its freetype renderer with `style`), the same encoding
    and track handling. Blocks; False when no such frame could be grabbed."""
    events: queue.SimpleQueue = queue.SimpleQueue()
    backend = VlcBackend(video=False, audio="dummy")
    backend.set_event_sink(events.put)
    backend.set_subtitle_style(style)
    at_ms = cue.start_ms + min(500, max(0, cue.end_ms - cue.start_ms) // 2)
    deadline = time.monotonic() + timeout_s

    def wait_for(kind, media_id: int, until=lambda _e: True):
        while time.monotonic() < deadline:
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                continue
            if isinstance(event, Failed | Ended) and event.media_id == media_id:
                return None
            if isinstance(event, kind) and event.media_id == media_id and until(event):
                return event
        return None

    try:
        media_id = backend.open(0, film, start_ms=max(0, at_ms - 1_000), subtitles=subtitles)
        if wait_for(Ready, media_id) is None:
            return False
        backend.play(0)
        if wait_for(TimeChanged, media_id, lambda e: e.time_ms >= at_ms) is None:
            return False
        return backend.snapshot(0, Path(out))  # while it plays (a paused one may not give one)
    finally:
        backend.close()


def style_args(style: subs.SubtitleStyle) -> list[str]:
    """libvlc instance options drawing subtitles in `style` (freetype reads them when a video
    output starts). The size is the picture height divided by `--freetype-rel-fontsize`."""
    color = int(style.color.lstrip("#"), 16) if len(style.color) == 7 else 0xFFFFFF
    return [
        f"--freetype-font={style.font}",
        f"--freetype-rel-fontsize={max(1, round(100 / max(1.0, style.size_pct)))}",
        f"--freetype-color={color}",
        f"--freetype-outline-thickness={OUTLINE_THICKNESS[style.outline]}",
        f"--freetype-shadow-opacity={SHADOW_OPACITY if style.shadow else 0}",
    ]


TRACK_AUDIO, TRACK_VIDEO, TRACK_TEXT = 0, 1, 2  # libvlc_track_type_t


class _EsChanged(ctypes.Structure):
    """The event union's media_player_es_changed (python-vlc's own union lacks it)."""

    _fields_ = [("type", ctypes.c_int), ("id", ctypes.c_int)]


class _MediaTrack(ctypes.Structure):
    """libvlc_media_track_t. python-vlc's own MediaTrack lays the audio/video/subtitle union
    out as three fields, so its language pointer is read from the wrong place (it crashed)."""

    _fields_ = [
        ("codec", ctypes.c_uint32),
        ("original_fourcc", ctypes.c_uint32),
        ("id", ctypes.c_int),
        ("type", ctypes.c_int),
        ("profile", ctypes.c_int),
        ("level", ctypes.c_int),
        ("details", ctypes.c_void_p),  # the union of three pointers
        ("bitrate", ctypes.c_uint),
        ("language", ctypes.c_char_p),
        ("description", ctypes.c_char_p),
    ]


def media_tracks(vlc, media) -> list[tuple[int, int, str | None]]:
    """(type, libvlc id, language tag as the file has it) of the media's tracks, in the
    file's order; empty until the media has been opened."""
    get = vlc.dll.libvlc_media_tracks_get
    get.restype = ctypes.c_uint
    get.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(ctypes.POINTER(_MediaTrack)))]
    release = vlc.dll.libvlc_media_tracks_release
    release.argtypes = [ctypes.POINTER(ctypes.POINTER(_MediaTrack)), ctypes.c_uint]
    array = ctypes.POINTER(ctypes.POINTER(_MediaTrack))()
    count = get(media._as_parameter_, ctypes.byref(array))
    try:
        out = []
        for i in range(count):
            track = array[i].contents
            language = track.language.decode("utf-8", "replace") if track.language else None
            out.append((track.type, track.id, language))
        return out
    finally:
        if count:
            release(array, count)


def adjust_for_level(level: float) -> tuple[float, float, float]:
    """(contrast, brightness, saturation) of libvlc's adjust filter that scale the picture by
    `level` towards black: Y' = level * Y, chroma towards grey.

    The filter (VLC 3, modules/video_filter/adjust.c) maps luma through
    Y' = (brightness - 1) * 255 + 128 - contrast * 255 / 2 + contrast * 255 * Y / 256,
    so contrast = level and a brightness that cancels the offset. Scaling towards 0 rather
    than video black (16) reaches black on screen at 0 (measured: towards 16, a grey 8/255
    stayed). At 1.0 every setting is neutral."""
    if level >= 1.0:
        return 1.0, 1.0, 1.0
    level = max(0.0, level)
    return level, 1.0 + (127.5 * level - 128.0) / 255.0, level


def _release_loop(decks: queue.SimpleQueue) -> None:
    """The release thread: stop and free the decks `stop` hands over, until None."""
    while (deck := decks.get()) is not None:
        try:
            deck.player.stop()
            deck.player.release()
            _count("players", -1)
            deck.media.release()
            deck.instance.release()
            _count("instances", -1)
        except Exception:  # one bad release must not leave the others unreleased
            log.exception("releasing the player of %s failed", deck.path)


def _attach_window(player, handle: int) -> None:
    import sys

    if sys.platform.startswith("linux"):
        player.set_xwindow(handle)
    elif sys.platform == "win32":
        player.set_hwnd(handle)
    elif sys.platform == "darwin":
        player.set_nsobject(handle)


def join_segments(segments: list[tuple[float, Path]], out: Path) -> Path | None:
    """Join per-film WAV segments into `out`, each placed at its show time (silence between),
    then delete the segments. afile writes s16 at the stream's rate and channels; a segment in
    another format than the first is left out with a warning."""
    present = [(t, p) for t, p in sorted(segments) if p.exists() and p.stat().st_size > 44]
    if not present:
        for _, p in segments:
            p.unlink(missing_ok=True)
        return None
    t0 = present[0][0]
    params = None
    tmp = out.with_name(f".{out.name}.tmp")
    with wave.open(str(tmp), "wb") as writer:
        written = 0
        for t, seg in present:
            try:
                with wave.open(str(seg), "rb") as reader:
                    if params is None:
                        params = reader.getparams()
                        writer.setnchannels(params.nchannels)
                        writer.setsampwidth(params.sampwidth)
                        writer.setframerate(params.framerate)
                    p = reader.getparams()
                    if (p.nchannels, p.sampwidth, p.framerate) != (
                        params.nchannels,
                        params.sampwidth,
                        params.framerate,
                    ):
                        log.warning("audio segment %s has another format; left out", seg)
                        continue
                    at = round((t - t0) * params.framerate)
                    if at > written:
                        frame = params.nchannels * params.sampwidth
                        writer.writeframes(b"\0" * ((at - written) * frame))
                        written = at
                    data = reader.readframes(reader.getnframes())
                    writer.writeframes(data)
                    written += reader.getnframes()
            except (wave.Error, EOFError) as exc:
                log.warning("audio segment %s unreadable: %s", seg, exc)
    os.replace(tmp, out)
    for _, p in segments:
        p.unlink(missing_ok=True)
    return out
