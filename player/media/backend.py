"""The media backend protocol: what the show engine asks of a player, and what it hears back.

Two player slots (0 and 1) take turns: the film on screen plays in one while the next film waits
in the other, opened and paused on its first frame, so a switch shows a picture at once.

Threads: every method is called from the show engine's thread. Events are delivered by calling
the `post` hook given to `set_event_sink` from the backend's own threads (libvlc's event thread
for the vlc backend); `post` must be thread-safe and must not call back into the backend — the
engine hands each event to its own thread (`Clock.call_soon_threadsafe`) and handles it there.

Units: times are int milliseconds; levels in dB (0.0 = as the film was opened).
Pure: no Qt, vlc or ffmpeg here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from player.core.subtitles import SubtitleStyle

SLOTS = (0, 1)


class BackendError(RuntimeError):
    """The backend cannot work at all (e.g. libvlc missing); the message says what to install."""


# ---- events (backend -> engine), plain values only -------------------------------------------


@dataclass(frozen=True)
class Ready:
    """The media of `media_id` is open and paused on its first frame in `slot`."""

    media_id: int
    slot: int


@dataclass(frozen=True)
class Started:
    """Playback of `media_id` is running (after `play`)."""

    media_id: int
    slot: int


@dataclass(frozen=True)
class TimeChanged:
    """Playback position of `media_id` (ms from the start of the file), ~4 times a second."""

    media_id: int
    slot: int
    time_ms: int


@dataclass(frozen=True)
class Ended:
    """`media_id` reached its end (or its stop point). `time_ms` is the last position seen.
    A truncated file may also end this way, early: the engine compares with the expected
    duration."""

    media_id: int
    slot: int
    time_ms: int


@dataclass(frozen=True)
class Failed:
    """`media_id` could not be opened or failed while playing; `message` is plain text."""

    media_id: int
    slot: int
    message: str


BackendEvent = Ready | Started | TimeChanged | Ended | Failed
Post = Callable[[BackendEvent], None]


@runtime_checkable
class MediaBackend(Protocol):
    """A two-slot media player. No method raises for a bad file: failures come as `Failed`."""

    # How long before it is heard a level change must be made (the player applies it to sound
    # it decodes ahead of playing it); 0 when levels act as the sound is played.
    sound_lead_ms: int

    def set_event_sink(self, post: Post) -> None:
        """Where events go. `post` is called from a backend thread, never the caller's; it
        must only hand the event over (e.g. emit a queued Qt signal). Call before `open`."""
        ...

    def set_video_window(self, slot: int, handle: int | None) -> None:
        """Draw `slot`'s video into the native window `handle` (X11 window id, HWND, NSView);
        None = no window (headless). Applies to media opened afterwards. Non-blocking."""
        ...

    def set_subtitle_style(self, style: SubtitleStyle) -> None:
        """How subtitles look (font, size relative to the picture height, colour, outline,
        shadow) and the night's languages (the hint for a subtitle file's encoding). Applies
        to media opened afterwards. Non-blocking."""
        ...

    def open(
        self,
        slot: int,
        path: Path,
        *,
        start_ms: int = 0,
        stop_ms: int | None = None,
        subtitles: Path | None = None,
        subtitle_track: str | int | None = None,
        audio_track: str | int | None = None,
        gain_db: float = 0.0,
    ) -> int:
        """Open `path` in `slot` (replacing what was there) and pause it on its first frame at
        `start_ms`; playback will stop by itself at `stop_ms` (None = end of file). `gain_db`
        is the film's fixed gain (trim + loudness matching), positive = louder.
        `subtitles` is a subtitle file (.srt, .ass/.ssa, .vtt, any encoding) shown over the
        picture; else `subtitle_track` shows the file's own subtitle track in that language
        ('fr') or at that 1-based position, and None shows none. `audio_track` likewise
        chooses the sound (None: the file's first). A track that is not there is left out
        (the check reports it); a subtitle file that cannot be read plays the film without.
        Returns a new media id that this media's events carry. Non-blocking (reads the
        subtitle file to find its encoding): `Ready` or `Failed` follows, `Ready` once the
        tracks are chosen."""
        ...

    def set_subtitles_visible(self, slot: int, on: bool) -> None:
        """Show or hide the subtitles of the media in `slot` (the operator's switch). Off
        applies at once (the cue on screen goes), also before `Ready`, and holds until the
        media is stopped; on again, they come back with the next cue the player reads (libvlc:
        about a second ahead, so the cue after the next). No-op without subtitles.
        Non-blocking."""
        ...

    def play(self, slot: int) -> None:
        """Start (or unpause) the media in `slot`. Non-blocking; `Started` follows."""
        ...

    def pause(self, slot: int, paused: bool) -> None:
        """Pause or resume `slot`. Non-blocking."""
        ...

    def stop(self, slot: int) -> None:
        """Stop `slot` and release its media. Returns at once (the player may be released in
        the background; `close` waits for that). No events for that media follow."""
        ...

    def set_level_db(self, slot: int, db: float) -> None:
        """Live level of `slot` relative to its opening gain (volume trim, fades); applies at
        once. Values below -60 dB mean silence."""
        ...

    def set_picture_level(self, slot: int, level: float) -> None:
        """Brightness of `slot`'s picture, for fades: 1.0 as the film is, 0.0 black (0..1,
        linear). Applies at once; a newly opened film starts at 1.0. No-op without a picture."""
        ...

    def length_ms(self, slot: int) -> int | None:
        """Length of the media in `slot` as the player sees it (None if unknown)."""
        ...

    def snapshot(self, slot: int, path: Path) -> bool:
        """Write `slot`'s current video frame to `path` as PNG. Blocks; False if no picture."""
        ...

    def close(self) -> None:
        """Stop everything and release the backend. Blocks."""
        ...
