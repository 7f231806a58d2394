"""Did a film really play? Pure rules over what the player reported and how long it played.

libvlc reports an end even for files that played nothing or half (PLATFORM.md): a text file
ends within 2 ms, an MP4 truncated with its index at the start plays half and ends with no
error, and good files end 100-330 ms early. So a film's end is judged against how long it
should have played, and a film that shows nothing, or stops moving, is a failure too.
"""

from __future__ import annotations

from dataclasses import dataclass

from player.core.model import format_duration

SHORT_END_TOLERANCE_MS = 600  # good files end 100-330 ms early in libvlc; truncated ones far more
MIN_PLAYED_MS = 500  # a film (not resumed near its end) over this fast played nothing
RESUME_TAIL_MS = 1_000  # resumed with less than this left, ending without a picture is normal
START_TIMEOUT_MS = 8_000  # play() without a first picture for this long = failed
STALL_TIMEOUT_MS = 6_000  # no progress while playing for this long = failed


@dataclass(frozen=True)
class Verdict:
    """How a film's end is taken: `failed` with the reason, or a normal end."""

    failed: bool
    reason: str | None = None


PLAYED = Verdict(False)


def judge_end(
    *, played_ms: int, expected_ms: int | None, position_ms: int, first_frame_seen: bool
) -> Verdict:
    """A film ended after `played_ms` of playing time; it should have played `expected_ms`
    (trims applied; None: unknown) from `position_ms` into it (a resume)."""
    left_ms = None if expected_ms is None else expected_ms - position_ms
    if position_ms and left_ms is not None and left_ms < RESUME_TAIL_MS:
        # Resumed in its last moment: libvlc may end before drawing a frame. That is the end
        # of the film, not a failure (seen in the kill -9 drill: resumed at 1.9 of 2 s).
        return PLAYED
    if not first_frame_seen or (played_ms < MIN_PLAYED_MS and position_ms == 0):
        return Verdict(True, "it ended before showing anything")
    if left_ms is not None and played_ms < left_ms - SHORT_END_TOLERANCE_MS:
        return Verdict(
            True,
            f"it stopped after {format_duration(played_ms)} of {format_duration(left_ms)} "
            "(the file looks truncated or damaged)",
        )
    return PLAYED


def judge_progress(*, idle_ms: int, first_frame_seen: bool) -> Verdict:
    """A playing (not paused) film whose clock has not moved for `idle_ms`."""
    if not first_frame_seen and idle_ms > START_TIMEOUT_MS:
        return Verdict(True, f"it did not start within {START_TIMEOUT_MS // 1000} seconds")
    if first_frame_seen and idle_ms > STALL_TIMEOUT_MS:
        return Verdict(True, f"playback froze for {STALL_TIMEOUT_MS // 1000} seconds")
    return PLAYED
