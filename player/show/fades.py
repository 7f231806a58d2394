"""Fades to black and silence: how far faded picture and sound are at each moment. Pure.

"Faded" runs from 0 (as it is) to 1 (black and silent). The picture goes linearly to black (the
backend's picture level is 1 - faded); the sound linearly in dB from the night's volume trim
down to FADE_FLOOR_DB, where the backend stops it being heard.

Two fades exist: the operator's (Esc: over FADE_MS from wherever picture and sound are), and a
film's own `fade_out`, which follows the film's position so that it reaches black and silence
exactly at the film's end (out point or end of file). libvlc applies levels to sound it decodes
ahead of playing it (`MediaBackend.sound_lead_ms`), so the sound's fade is computed that far
ahead of the picture's.
"""

from __future__ import annotations

FADE_MS = 2_000  # the operator's fade (Esc)
FADE_STEP_MS = 40  # one level change per video frame at 25 fps
FADE_FLOOR_DB = -60.0


def ramp(start: float, elapsed_ms: float, duration_ms: int) -> float:
    """The operator's fade `elapsed_ms` into `duration_ms`, begun at `start` faded."""
    progress = 1.0 if duration_ms <= 0 else min(1.0, max(0.0, elapsed_ms / duration_ms))
    return start + (1.0 - start) * progress


def tail(position_ms: float, end_ms: int, fade_ms: int) -> float:
    """A film's own fade at `position_ms` in its file: 0 until `fade_ms` before `end_ms`, 1 at
    the end."""
    if fade_ms <= 0:
        return 0.0
    return min(1.0, max(0.0, 1.0 - (end_ms - position_ms) / fade_ms))


def sound_db(trim_db: float, faded: float) -> float:
    """The sound's live level for `faded`, from the trim at 0 to the floor at 1."""
    return trim_db + (FADE_FLOOR_DB - trim_db) * faded
