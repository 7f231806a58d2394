"""Subtitles through the libvlc backend, checked on frames libvlc itself grabbed: every encoding
shows the right characters (the frame matches the same cue read from UTF-8, while a wrong
reading of the same bytes gives a frame far from it), embedded tracks are chosen by language and
position, and the operator's switch takes them off and back on."""

from __future__ import annotations

import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest

from player.core.paths import PROJECT_DIR
from player.media.backend import Ready, TimeChanged
from player.media.vlc_backend import TRACK_AUDIO, TRACK_TEXT, VlcBackend, media_tracks
from support import subs as make
from support.synth import _ffmpeg, ffmpeg_path

W, H = 640, 360
AT_MS = 1_500  # inside the first cue (0.5-3.0 s)


class Events:
    def __init__(self) -> None:
        self.q: queue.Queue = queue.Queue()

    def post(self, event) -> None:
        self.q.put(event)

    def wait_for(self, kind, media_id, until=lambda _e: True, timeout=15.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                event = self.q.get(timeout=0.05)
            except queue.Empty:
                continue
            if isinstance(event, kind) and event.media_id == media_id and until(event):
                return event
        raise AssertionError(f"no {kind.__name__} for media {media_id}")


@pytest.fixture(scope="module")
def grey(tmp_path_factory) -> Path:
    """A still grey picture: any change in a frame is the subtitle."""
    path = tmp_path_factory.mktemp("subs-clip") / "grey.mp4"
    return _ffmpeg(
        [
            *("-f", "lavfi", "-i", f"color=c=0x404040:s={W}x{H}:r=25:d=6"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)),
        ],
        path,
        timeout_s=60,
    )


@pytest.fixture
def backend():
    events = Events()
    b = VlcBackend(video=False, audio="dummy")
    b.set_event_sink(events.post)
    b.events = events
    yield b
    b.close()


def gray(png: Path) -> bytes:
    return subprocess.run(
        [ffmpeg_path(), "-v", "error", "-i", str(png), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout


def differ(a: bytes, b: bytes) -> int:
    assert len(a) == len(b) == W * H
    return sum(1 for x, y in zip(a, b, strict=True) if abs(x - y) > 40)


def grab(backend, film: Path, png: Path, *, at_ms: int = AT_MS, **options) -> bytes:
    """The frame libvlc shows `at_ms` into `film` opened with `options`, as grey bytes."""
    mid = backend.open(0, film, **options)
    backend.events.wait_for(Ready, mid)
    backend.play(0)
    backend.events.wait_for(TimeChanged, mid, lambda e: e.time_ms >= at_ms)
    assert backend.snapshot(0, png)  # while it plays: a still picture, the cue over it
    backend.stop(0)
    return gray(png)


_refs: dict[tuple, bytes] = {}


def reference(backend, grey: Path, folder: Path, language: str, kind: str) -> bytes:
    """The first cue of `language`, read from UTF-8: what every encoding must look like."""
    key = (language, kind)
    if key not in _refs:
        path = make.make(folder, f"ref.{language}.{kind}", language, "utf-8", kind=kind)
        _refs[key] = grab(backend, grey, folder / f"ref-{language}-{kind}.png", subtitles=path)
    return _refs[key]


# A plausible wrong reading of each encoding's bytes (what a guess would have shown).
WRONG = {"utf-8-sig": "cp1252", "utf-16-le": "utf-16-be", "utf-16-be": "utf-16-le",
         "utf-32-le": "utf-16-le", "utf-32-be": "utf-16-be", "cp1252": "cp1251",
         "iso8859_15": "cp1252", "gb18030": "big5", "big5": "gb18030"}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "language", "encoding"),
    [
        ("srt", "fr", "utf-8-sig"),
        ("srt", "zh", "utf-16-le"),
        ("srt", "zh", "utf-16-be"),
        ("srt", "fr", "utf-32-le"),
        ("srt", "zh", "utf-32-be"),
        ("srt", "fr", "cp1252"),
        ("srt", "fr", "iso8859_15"),
        ("srt", "zh", "gb18030"),
        ("srt", "zh-Hant", "big5"),
        ("ass", "fr", "cp1252"),
        ("ass", "zh", "gb18030"),
        ("vtt", "zh-Hant", "big5"),
        ("vtt", "zh", "utf-16-le"),
    ],
)
def test_every_encoding_shows_the_right_characters(
    backend, grey, tmp_path, kind, language, encoding
):
    backend.set_subtitle_style(backend._style.__class__(languages=("zh", "fr")))
    ref = reference(backend, grey, tmp_path, language, kind)
    blank = grab(backend, grey, tmp_path / "blank.png")
    drawn = differ(ref, blank)
    assert drawn > 1_000, "the reference cue is drawn"
    path = make.make(tmp_path, f"film.{kind}", language, encoding, kind=kind)
    got = grab(backend, grey, tmp_path / "got.png", subtitles=path)
    assert differ(got, ref) <= drawn // 100, f"{encoding} {kind} is not shown as written"
    # The same bytes read wrongly make a frame far from the reference: the check can fail.
    data = path.read_bytes()
    wrong_text = data.decode(WRONG[encoding], errors="replace").lstrip("\ufeff")
    wrong = make.write(tmp_path / f"wrong.{kind}", wrong_text, "utf-8")
    misread = grab(backend, grey, tmp_path / "wrong.png", subtitles=wrong)
    assert differ(misread, ref) > drawn // 10


def test_subtitles_switch_off_and_on_while_playing(backend, grey, tmp_path):
    # Cues at 0-1.2, 1.5-2.7, 3.0-4.2 and 4.5-5.7 s. Switched on again, libvlc shows them from
    # the cue after the one it has read ahead (measured: not the one 0.3 s away, the next).
    path = make.make(tmp_path, "film.zh.srt", "zh", "gb18030", first_ms=0, every_ms=1_500)
    blank = grab(backend, grey, tmp_path / "blank.png")
    third = grab(backend, grey, tmp_path / "third.png", at_ms=3_300, subtitles=path)
    assert differ(third, blank) > 1_000
    mid = backend.open(0, grey, subtitles=path)
    events = backend.events
    events.wait_for(Ready, mid)
    backend.play(0)
    frames = []
    for on, at in ((False, 500), (True, 3_300), (False, 5_000)):
        backend.set_subtitles_visible(0, on)
        events.wait_for(TimeChanged, mid, lambda e, at=at: e.time_ms >= at)
        png = tmp_path / f"switch-{at}.png"
        assert backend.snapshot(0, png)
        frames.append(gray(png))
    assert differ(frames[0], blank) < 200  # off: the first cue is not shown
    assert differ(frames[1], third) < differ(third, blank) // 100  # on: the third one is
    assert differ(frames[2], blank) < 200  # off again: the fourth is not


def test_hidden_before_ready_stays_hidden(backend, grey, tmp_path):
    path = make.make(tmp_path, "film.fr.srt", "fr", "utf-8", first_ms=0)
    blank = grab(backend, grey, tmp_path / "blank.png")
    mid = backend.open(0, grey, subtitles=path)
    backend.set_subtitles_visible(0, False)  # before its tracks are even chosen
    backend.events.wait_for(Ready, mid)
    backend.play(0)
    backend.events.wait_for(TimeChanged, mid, lambda e: e.time_ms >= AT_MS)
    assert backend.snapshot(0, tmp_path / "hidden.png")  # the cue from 0 to 4.5 s
    assert differ(gray(tmp_path / "hidden.png"), blank) < 200


@pytest.mark.parametrize("container", [".mkv", ".mp4"])
def test_embedded_tracks_by_language_and_position(backend, grey, tmp_path, container):
    film = make.make_multitrack(tmp_path / f"multi{container}", tmp_path)
    fr_ref = grab(backend, grey, tmp_path / "fr.png", subtitles=tmp_path / "multi-in.fr.srt")
    zh_ref = grab(backend, grey, tmp_path / "zh.png", subtitles=tmp_path / "multi-in.zh.srt")
    assert differ(fr_ref, zh_ref) > 1_000
    # libvlc's :audio-track / :sub-language left an .mp4 with no sound and no subtitles
    # (measured): the backend chooses by the file's own tags once it is open.
    for options, expected_text, audio_index in (
        ({"subtitle_track": "zh", "audio_track": "zh"}, zh_ref, 1),
        ({"subtitle_track": 1, "audio_track": 1}, fr_ref, 0),
        ({"subtitle_track": "fr", "audio_track": 2}, fr_ref, 1),
    ):
        mid = backend.open(0, film, **options)
        backend.events.wait_for(Ready, mid)
        deck = backend._decks[0]
        audio = [i for kind, i, _ in media_tracks(backend._vlc, deck.media) if kind == TRACK_AUDIO]
        backend.play(0)
        backend.events.wait_for(TimeChanged, mid, lambda e: e.time_ms >= AT_MS)
        assert deck.player.audio_get_track() == audio[audio_index], options
        assert backend.snapshot(0, tmp_path / "embedded.png")
        got = gray(tmp_path / "embedded.png")
        assert differ(got, expected_text) < differ(fr_ref, zh_ref) // 10, options
        backend.stop(0)


def test_no_subtitle_track_until_the_film_is_paused_and_ready(backend, grey, tmp_path):
    """A film pre-rolls with no subtitle track at all: libvlc's stop() of a film whose subtitle
    decoder had its first cue waited ~5.9 s (see vlc_backend's module doc). A file's default
    subtitle track is not shown unless chosen."""
    film = make.make_multitrack(tmp_path / "multi.mkv", tmp_path)
    path = make.make(tmp_path, "film.fr.srt", "fr", "utf-8", first_ms=0)
    mid = backend.open(0, grey, subtitles=path)
    deck = backend._decks[0]
    assert deck.player.video_get_spu_count() == 0  # libvlc holds no subtitle track yet
    backend.events.wait_for(Ready, mid)
    assert deck.player.video_get_spu_count() >= 2  # "Disable" and the file, once paused
    mid = backend.open(0, film)
    backend.events.wait_for(Ready, mid)
    deck = backend._decks[0]
    texts = [i for kind, i, _ in media_tracks(backend._vlc, deck.media) if kind == TRACK_TEXT]
    assert len(texts) == 2 and deck.player.video_get_spu() == -1


def test_cards_subtitles_proof_is_a_libvlc_frame_at_the_first_cue(grey, tmp_path):
    (tmp_path / "film.mp4").write_bytes(grey.read_bytes())
    make.make(tmp_path, "film.zh.srt", "zh", "gb18030", first_ms=1_000)
    (tmp_path / "night.yaml").write_text(
        "version: 1\ntitle: x\nlanguages: [zh, fr]\ndefaults: {title_cards: false}\n"
        "items:\n  - film: film.mp4\n    id: grey\n    subtitles: film.zh.srt\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "player",
            "cards",
            str(tmp_path / "night.yaml"),
            "--out",
            str(tmp_path / "proofs"),
            "--subtitles",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    proof = tmp_path / "proofs" / "01-grey-subtitles.png"
    assert f"{proof}  (film.zh.srt, GB18030, Chinese, line 2)" in result.stdout
    frame = gray(proof)  # the film's own size: a real frame, not a drawing of ours
    backend = VlcBackend(video=False, audio="dummy")
    backend.events = Events()
    backend.set_event_sink(backend.events.post)
    try:
        ref_path = make.make(tmp_path, "ref.zh.srt", "zh", "utf-8", first_ms=1_000)
        ref = grab(backend, grey, tmp_path / "ref.png", at_ms=1_500, subtitles=ref_path)
        blank = grab(backend, grey, tmp_path / "blank.png")
    finally:
        backend.close()
    assert differ(frame, blank) > 1_000  # the cue is on it
    assert differ(frame, ref) <= differ(ref, blank) // 100  # and it reads as written
