"""The libvlc backend on generated clips: events, bad files, trims, gain (measured in captured
audio), and awkward file names."""

from __future__ import annotations

import math
import queue
import struct
import time
import wave
from pathlib import Path

import pytest

from player.media.backend import Ended, Failed, MediaBackend, Ready, Started, TimeChanged
from player.media.probe import probe
from player.media.vlc_backend import VlcBackend, join_segments
from support.synth import make_clip


class Events:
    def __init__(self) -> None:
        self.q: queue.Queue = queue.Queue()
        self.seen: list = []

    def post(self, event) -> None:
        self.q.put((time.monotonic(), event))

    def wait_for(self, kind, media_id, timeout=6.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                at, event = self.q.get(timeout=0.05)
            except queue.Empty:
                continue
            self.seen.append((at, event))
            if isinstance(event, kind) and event.media_id == media_id:
                return at, event
        raise AssertionError(f"no {kind} for media {media_id}; saw {self.seen[-8:]}")

    def of(self, kind, media_id):
        return [e for _, e in self.seen if isinstance(e, kind) and e.media_id == media_id]


@pytest.fixture
def events():
    return Events()


@pytest.fixture
def backend(events):
    b = VlcBackend(video=False, audio="dummy")
    b.set_event_sink(events.post)
    yield b
    b.close()


def test_is_a_media_backend(backend):
    assert isinstance(backend, MediaBackend)


def test_good_clip_opens_paused_then_plays_to_its_end(backend, events, clip2s):
    mid = backend.open(0, clip2s)
    events.wait_for(Ready, mid)
    time.sleep(0.4)
    while not events.q.empty():
        events.seen.append(events.q.get_nowait())
    assert not events.of(TimeChanged, mid), "a preloaded film must stay paused"
    backend.play(0)
    events.wait_for(Started, mid)
    _, ended = events.wait_for(Ended, mid)
    # Judged on the media clock (libvlc's positions) against ffprobe's duration, never the
    # wall clock: it started at its beginning, moved forward, and got near its end (good clips
    # end up to ~330 ms early, and positions come ~4 times a second).
    duration_ms = probe(clip2s).duration_ms
    times = [e.time_ms for e in events.of(TimeChanged, mid)]
    assert times and times == sorted(times)
    assert times[0] < duration_ms // 2
    assert ended.time_ms == times[-1] >= duration_ms * 0.7
    assert ended.time_ms <= duration_ms
    assert backend.length_ms(0) in (None, *range(1_900, 2_100))


@pytest.mark.parametrize("name", ["zero.mp4", "text.mp4"])
def test_unplayable_files_fail(backend, events, tmp_path, name):
    path = tmp_path / name
    if name == "zero.mp4":
        path.write_bytes(b"")
    else:
        path.write_text("this is not a film\n")
    mid = backend.open(1, path)
    backend.play(1)
    # libvlc either reports an error, or (some text) "plays" nothing and ends at once; the
    # controller counts the second as a failure too.
    _, event = events.wait_for((Failed, Ended), mid)
    assert event.slot == 1
    if isinstance(event, Ended):
        assert event.time_ms == 0
    else:
        assert event.message


def test_missing_file_fails(backend, events, tmp_path):
    mid = backend.open(0, tmp_path / "nowhere.mp4")
    events.wait_for(Failed, mid)


def test_awkward_names_play(backend, events, media_dir):
    path = make_clip(media_dir / "-Film: part 1 #2 100% 电影.mp4", seconds=1.0)
    mid = backend.open(0, path)
    events.wait_for(Ready, mid)
    backend.play(0)
    _, ended = events.wait_for(Ended, mid)
    assert ended.time_ms > 500


def test_in_and_out_points(backend, events, media_dir):
    path = make_clip(media_dir / "trim.mp4", seconds=3.0)
    mid = backend.open(0, path, start_ms=1_000, stop_ms=2_000)
    events.wait_for(Ready, mid)
    backend.play(0)
    _, first = events.wait_for(TimeChanged, mid)
    assert first.time_ms >= 900
    _, ended = events.wait_for(Ended, mid)
    # One second played, not three: on the media clock, every position libvlc reported lies
    # between the in and out points, and it got well past the in point.
    times = [e.time_ms for e in events.of(TimeChanged, mid)]
    assert all(900 <= t <= 2_100 for t in times), times
    assert ended.time_ms == times[-1] >= 1_500


def test_stop_silences_later_events(backend, events, clip2s):
    mid = backend.open(0, clip2s)
    events.wait_for(Ready, mid)
    backend.play(0)
    events.wait_for(TimeChanged, mid)
    backend.stop(0)
    time.sleep(0.3)
    drained = []
    while not events.q.empty():
        drained.append(events.q.get_nowait()[1])
    assert not [e for e in drained if isinstance(e, Ended) and e.media_id == mid]
    assert backend.length_ms(0) is None  # the slot is empty


# ---- gain and level, measured in the captured sound -----------------------------------------


def _rms_db(path: Path) -> float:
    with wave.open(str(path)) as w:
        data = w.readframes(w.getnframes())
        width = w.getsampwidth()
    assert width == 2
    samples = struct.unpack(f"<{len(data) // 2}h", data)
    skip = len(samples) // 10  # leave out the edges
    body = samples[skip:-skip]
    mean = sum(s * s for s in body) / max(1, len(body))
    return 10 * math.log10(max(mean, 1e-9) / 32768**2)


def _capture(tmp_path, clip, name, **open_args) -> float:
    out = tmp_path / f"{name}.wav"
    ev = Events()
    b = VlcBackend(video=False, audio="file", audio_file=out)
    b.set_event_sink(ev.post)
    level = open_args.pop("level_db", None)
    mid = b.open(0, clip, **open_args)
    if level is not None:
        b.set_level_db(0, level)
    ev.wait_for(Ready, mid)
    b.play(0)
    ev.wait_for(Ended, mid)
    b.close()
    return _rms_db(out)


def test_gain_and_level_change_the_captured_sound(tmp_path, clip2s):
    base = _capture(tmp_path, clip2s, "base")
    lower = _capture(tmp_path, clip2s, "gain-6", gain_db=-6.0)
    higher = _capture(tmp_path, clip2s, "gain+6", gain_db=6.0)
    trimmed = _capture(tmp_path, clip2s, "level-10", level_db=-10.0)
    assert lower - base == pytest.approx(-6.0, abs=0.5)
    assert higher - base == pytest.approx(6.0, abs=0.5)
    assert trimmed - base == pytest.approx(-10.0, abs=0.5)


def test_join_segments_places_films_in_show_time(tmp_path):
    def seg(name, n, value):
        path = tmp_path / name
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(1000)
            w.writeframes(struct.pack("<h", value) * n)
        return path

    a, b = seg("a.wav", 500, 1000), seg("b.wav", 500, 2000)
    out = join_segments([(10.0, a), (11.0, b)], tmp_path / "night.wav")
    with wave.open(str(out)) as w:
        frames = struct.unpack(f"<{w.getnframes()}h", w.readframes(w.getnframes()))
    assert len(frames) == 1500
    assert set(frames[:500]) == {1000} and set(frames[500:1000]) == {0}
    assert set(frames[1000:]) == {2000}
    assert not a.exists() and not b.exists()


def test_subtitles_from_an_srt_are_selected(backend, events, clip2s, tmp_path):
    srt = tmp_path / "sous-titres: fr #1.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:02,000\nBonjour : été\n", encoding="utf-8")
    mid = backend.open(0, clip2s, subtitles=srt)
    events.wait_for(Ready, mid)
    backend.play(0)
    events.wait_for(TimeChanged, mid)
    player = backend._decks[0].player  # libvlc's own view of the tracks
    assert player.video_get_spu_count() >= 2  # "Disable" + the .srt
    assert player.video_get_spu() > 0  # and it is the one shown
