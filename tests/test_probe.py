"""player.media.probe with the real ffprobe/ffmpeg on generated media of every awkward kind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from _check_media import AWKWARD_NAMES, make_all

from player.core.media_info import DeepResult, Loudness, MediaInfo
from player.media import probe as prober
from player.media.probe import ProbeError


@pytest.fixture(scope="session")
def kinds(tmp_path_factory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("check-media"))


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch) -> Path:
    """A cache folder of this test's own, so hits and misses are this test's doing."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def calls(kind: str = "ffprobe") -> int:
    return prober.run_counts[kind]


# --------------------------------------------------------------------------- what is reported


def test_h264_stereo(kinds):
    info = prober.probe(kinds["h264"], use_cache=False)
    assert info.container.startswith("mov,mp4")
    assert 950 <= info.duration_ms <= 1100
    assert info.size_bytes == kinds["h264"].stat().st_size
    assert info.bit_rate and info.bit_rate > 0
    v = info.video
    assert (v.codec, v.width, v.height, v.fps, v.pix_fmt, v.bit_depth) == (
        "h264",
        320,
        240,
        25.0,
        "yuv420p",
        8,
    )
    assert v.field_order == "progressive" and not v.interlaced
    assert v.rotation == 0 and v.hdr is None and not v.variable_frame_rate
    assert [(a.codec, a.channels, a.channel_layout, a.sample_rate) for a in info.audio] == [
        ("aac", 2, "stereo", 48000)
    ]
    assert info.subtitles == ()


def test_hevc_10bit_4k_hdr(kinds):
    v = prober.probe(kinds["hevc4k"], use_cache=False).video
    assert (v.codec, v.width, v.height, v.bit_depth) == ("hevc", 3840, 2160, 10)
    assert v.profile == "Main 10"
    assert v.pix_fmt == "yuv420p10le"
    assert v.hdr == "pq"


def test_prores_in_mov(kinds):
    info = prober.probe(kinds["prores"], use_cache=False)
    assert info.container.startswith("mov")
    assert info.video.codec == "prores" and info.video.bit_depth == 10
    assert info.audio[0].codec == "pcm_s16le"


def test_mpeg2_interlaced_top_field_first(kinds):
    info = prober.probe(kinds["interlaced"], use_cache=False)
    v = info.video
    assert info.container == "mpeg"
    assert (v.codec, v.width, v.height, v.fps) == ("mpeg2video", 720, 576, 25.0)
    assert v.field_order == "tt" and v.interlaced
    assert not v.variable_frame_rate


def test_vp9_opus_webm(kinds):
    info = prober.probe(kinds["vp9"], use_cache=False)
    assert "webm" in info.container
    assert info.video.codec == "vp9"
    assert info.audio[0].codec == "opus"


def test_no_audio_audio_only_and_surround(kinds):
    assert prober.probe(kinds["noaudio"], use_cache=False).audio == ()
    audio_only = prober.probe(kinds["audioonly"], use_cache=False)
    assert audio_only.video is None and audio_only.audio[0].codec == "aac"
    surround = prober.probe(kinds["surround"], use_cache=False).audio[0]
    assert surround.channels == 6 and surround.channel_layout.startswith("5.1")


def test_anamorphic_pal_displays_16_9(kinds):
    v = prober.probe(kinds["anamorphic"], use_cache=False).video
    assert (v.width, v.height) == (720, 576)
    assert v.sar == "64:45" and v.dar == "16:9"
    assert v.display_size == (1024, 576)


def test_variable_frame_rate(kinds):
    assert prober.probe(kinds["vfr"], use_cache=False).video.variable_frame_rate
    # and constant-rate clips of several containers are not flagged
    for name in ("h264", "prores", "vp9", "interlaced", "anamorphic"):
        assert not prober.probe(kinds[name], use_cache=False).video.variable_frame_rate, name


def test_rotation(kinds):
    v = prober.probe(kinds["rotated"], use_cache=False).video
    assert v.rotation in (90, 270)
    assert v.display_size == (240, 320)


def test_still_picture_is_flagged(kinds):
    v = prober.probe(kinds["still"], use_cache=False).video
    assert v.is_still and v.fps is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("zero", "empty (0 bytes)"),
        ("text", "Invalid data found when processing input"),
        ("trunc_end", "moov atom not found"),
        ("folder", "not a regular file"),
        ("missing", "no such file"),
    ],
)
def test_unreadable_files_raise_a_clean_probe_error(kinds, name, words):
    with pytest.raises(ProbeError) as caught:
        prober.probe(kinds[name], use_cache=False)
    error = caught.value
    assert error.path == kinds[name]
    assert words in error.message
    # No banner, no '[mov,mp4... @ 0x55...]' addresses, no repeated path.
    assert "version" not in error.message
    assert "@ 0x" not in error.message
    assert str(kinds[name]) not in error.message


def test_text_named_like_a_text_file_is_not_media(tmp_path):
    # ffmpeg's 'tty' demuxer would "play" a .txt as video; that is not a film.
    notes = tmp_path / "notes.txt"
    notes.write_text("Projection notes for the night.\n" * 50, encoding="utf-8")
    with pytest.raises(ProbeError, match="text file"):
        prober.probe(notes, use_cache=False)


def test_truncated_with_index_at_start_still_probes(kinds):
    # ffprobe trusts the index: full duration, exit 0. Only the deep pass sees the damage.
    info = prober.probe(kinds["trunc_start"], use_cache=False)
    assert info.duration_ms >= 3900


def test_awkward_names(kinds):
    paths = [kinds["awkward"] / name for name in AWKWARD_NAMES]
    results = prober.probe_many(paths, use_cache=False)
    assert set(results) == set(paths)
    for path, info in results.items():
        assert isinstance(info, MediaInfo), f"{path.name}: {info}"
        assert info.video.codec == "h264"
    deep = prober.deep_check(paths[0], results[paths[0]], use_cache=False)
    assert deep.errors == ()
    jpeg = prober.poster_frame(paths[2], 100)
    assert jpeg.startswith(b"\xff\xd8")


def test_relative_path_starting_with_dash(kinds, monkeypatch):
    monkeypatch.chdir(kinds["awkward"])
    info = prober.probe("-starts with dash.mp4", use_cache=False)
    assert info.video.codec == "h264"


# --------------------------------------------------------------------------- parallel, cache


def test_probe_many_keeps_order_and_errors_and_reports_progress(kinds, fresh_cache):
    paths = [kinds["h264"], kinds["zero"], kinds["vp9"], kinds["missing"], kinds["mono"]]
    seen = []
    results = prober.probe_many(
        paths, jobs=2, progress=lambda done, total, path: seen.append((done, total, path))
    )
    assert list(results) == paths
    assert isinstance(results[kinds["h264"]], MediaInfo)
    assert isinstance(results[kinds["zero"]], ProbeError)
    assert isinstance(results[kinds["missing"]], ProbeError)
    assert [d for d, _, _ in seen] == [1, 2, 3, 4, 5]
    assert {t for _, t, _ in seen} == {5}
    assert {p for _, _, p in seen} == set(paths)


def test_probe_many_hands_over_each_result_as_it_is_done(kinds, fresh_cache):
    paths = [kinds["h264"], kinds["zero"], kinds["vp9"]]
    prober.probe(kinds["vp9"])  # one cache hit among fresh probes
    got = []
    results = prober.probe_many(paths, jobs=2, on_result=lambda p, r: got.append((p, r)))
    assert dict(got) == results
    assert len(got) == len(paths)
    assert got[0][0] == kinds["vp9"]  # the cache hit first, before any prober ran


def test_cache_hit_then_invalidation_on_change(kinds, fresh_cache, tmp_path):
    clip = tmp_path / "copy.mp4"
    shutil.copyfile(kinds["h264"], clip)
    before = calls()
    first = prober.probe(clip)
    assert calls() == before + 1
    assert prober.probe(clip) == first
    assert prober.probe_many([clip])[clip] == first
    assert calls() == before + 1, "a second probe of an unchanged file must not run ffprobe"
    assert any((fresh_cache / "screening-night" / "probe").iterdir())

    # Same size, new modification time: re-probed.
    st = clip.stat()
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    prober.probe(clip)
    assert calls() == before + 2

    # Different content: re-probed, and the answer is the new file's.
    shutil.copyfile(kinds["noaudio"], clip)
    changed = prober.probe(clip)
    assert calls() == before + 3
    assert changed.audio == () and first.audio != ()

    # use_cache=False always runs ffprobe.
    prober.probe(clip, use_cache=False)
    assert calls() == before + 4


def test_unreadable_files_are_remembered_until_they_change(kinds, fresh_cache, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("Projection notes, not a film.\n", encoding="utf-8")
    before = calls()
    with pytest.raises(ProbeError) as first:
        prober.probe(bad)
    with pytest.raises(ProbeError) as second:
        prober.probe(bad)
    assert isinstance(prober.probe_many([bad])[bad], ProbeError)
    assert second.value.message == first.value.message
    assert calls() == before + 1
    shutil.copyfile(kinds["h264"], bad)  # fixed by re-copying: probed again, now fine
    assert prober.probe(bad).video.codec == "h264"
    assert calls() == before + 2


def test_cache_survives_a_corrupt_entry(kinds, fresh_cache):
    prober.probe(kinds["h264"])
    for entry in (fresh_cache / "screening-night" / "probe").iterdir():
        entry.write_text("{not json", encoding="utf-8")
    before = calls()
    assert prober.probe(kinds["h264"]).video.codec == "h264"
    assert calls() == before + 1


def test_unwritable_cache_does_not_fail_the_probe(kinds, tmp_path, monkeypatch):
    # A cache folder "inside" a plain file cannot be made, even by root.
    blocker = tmp_path / "not a folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))
    before = calls()
    assert prober.probe(kinds["h264"]).video.codec == "h264"
    assert prober.probe(kinds["h264"]).video.codec == "h264"
    assert calls() == before + 2  # nothing cached, nothing failed


# --------------------------------------------------------------------------- timeout


@pytest.fixture
def hanging_ffprobe(tmp_path, monkeypatch) -> Path:
    """An ffprobe that hangs on any file whose name contains 'hang' (and writes its pid),
    and is the real one otherwise."""
    real = shutil.which("ffprobe")
    pid_file = tmp_path / "hung.pid"
    script = tmp_path / "ffprobe"
    script.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in *hang*)\n'
        f"  echo $$ > '{pid_file}'; exec sleep 60;;\n"
        "esac; done\n"
        f'exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    monkeypatch.setenv("SCREENING_NIGHT_FFPROBE", str(script))
    return pid_file


def test_a_hanging_prober_is_killed_after_the_timeout(kinds, tmp_path, hanging_ffprobe):
    hang = tmp_path / "hang here.mp4"
    shutil.copyfile(kinds["h264"], hang)
    with pytest.raises(ProbeError, match=r"did not answer within 0\.5 s"):
        prober.probe(hang, timeout_s=0.5, use_cache=False)
    pid = int(hanging_ffprobe.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left sleeping


def test_probe_many_goes_on_after_a_hang(kinds, tmp_path, hanging_ffprobe):
    hang = tmp_path / "hang.mp4"
    shutil.copyfile(kinds["h264"], hang)
    results = prober.probe_many([hang, kinds["h264"]], timeout_s=0.5, use_cache=False)
    assert isinstance(results[hang], ProbeError)
    assert isinstance(results[kinds["h264"]], MediaInfo)


@pytest.mark.timeout(60)
def test_an_interrupted_batch_kills_its_own_processes(kinds, tmp_path, hanging_ffprobe):
    # The progress callback raising stands for Ctrl-C. Without the kill, the call would wait
    # for the 120 s timeout and this test would hit its 60 s limit.
    hang = tmp_path / "hang.mp4"
    shutil.copyfile(kinds["h264"], hang)

    def interrupt(done, total, path):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        prober.probe_many([kinds["h264"], hang], jobs=2, use_cache=False, timeout_s=120,
                          progress=interrupt)  # fmt: skip
    if hanging_ffprobe.exists():  # else it was killed before it even wrote its pid
        with pytest.raises(ProcessLookupError):
            os.kill(int(hanging_ffprobe.read_text()), 0)


def test_a_hanging_deep_pass_times_out(kinds, tmp_path, monkeypatch):
    script = tmp_path / "ffmpeg"
    script.write_text("#!/bin/sh\nexec sleep 60\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("SCREENING_NIGHT_FFMPEG", str(script))
    info = prober.probe(kinds["h264"], use_cache=False)
    with pytest.raises(ProbeError) as caught:
        prober.deep_check(kinds["h264"], info, timeout_s=0.5, use_cache=False)
    assert caught.value.timed_out
    assert "longer than 0.5 s" in caught.value.message


def test_a_tool_that_cannot_start_is_a_probe_error(kinds, monkeypatch, tmp_path):
    monkeypatch.setenv("SCREENING_NIGHT_FFPROBE", str(tmp_path / "no-such-ffprobe"))
    with pytest.raises(ProbeError, match=r"cannot run .*no-such-ffprobe"):
        prober.probe(kinds["h264"], use_cache=False)


# --------------------------------------------------------------------------- deep pass, loudness


def test_deep_pass_on_a_good_file_measures_loudness(kinds, fresh_cache):
    deep = prober.deep_check(kinds["h264"])
    assert deep.errors == ()
    assert abs(deep.read_ms - 1000) < 100
    # A -20 dBFS sine on both channels: about -20 LUFS (+3 dB for two channels, -3 dB RMS,
    # K-weighting at 440 Hz ~ -0.1 dB), true peak about -20 dBTP.
    assert -22.5 < deep.loudness.integrated_lufs < -18.5
    assert -21.0 < deep.loudness.true_peak_dbtp < -19.0
    assert deep.loudness.lra_lu is not None


def test_deep_pass_catches_truncation_with_index_at_start(kinds):
    deep = prober.deep_check(kinds["trunc_start"], use_cache=False)
    assert any("partial file" in e for e in deep.errors)
    assert deep.read_ms < 3000


def test_deep_pass_without_audio(kinds):
    deep = prober.deep_check(kinds["noaudio"], use_cache=False)
    assert deep.loudness is None and deep.errors == ()


def test_deep_results_are_cached(kinds, fresh_cache):
    before = calls("deep")
    first = prober.deep_check(kinds["vp9"])
    again = prober.deep_many({kinds["vp9"]: prober.probe(kinds["vp9"])})
    assert again[kinds["vp9"]] == first
    assert calls("deep") == before + 1
    assert DeepResult.from_json(first.to_json()) == first


def test_measure_loudness(kinds, fresh_cache):
    loud = prober.measure_loudness(kinds["loud"])
    quiet = prober.measure_loudness(kinds["quiet"])
    assert isinstance(loud, Loudness)
    assert loud.integrated_lufs > quiet.integrated_lufs + 40
    assert loud.true_peak_dbtp > -1.0
    with pytest.raises(ProbeError, match="no audio"):
        prober.measure_loudness(kinds["noaudio"])
    with pytest.raises(ProbeError, match="silent"):
        prober.measure_loudness(kinds["mute"])


def test_silence_at_head_is_measured(kinds):
    late = prober.deep_check(kinds["late_sound"], use_cache=False)
    assert 5_900 <= late.head_silence_ms <= 6_100
    assert prober.deep_check(kinds["h264"], use_cache=False).head_silence_ms == 0
    assert prober.deep_check(kinds["noaudio"], use_cache=False).head_silence_ms is None


def test_black_at_head_is_measured_on_key_frames(kinds):
    black = prober.deep_check(kinds["black_head"], use_cache=False)
    assert black.head_black_ms == 10_000  # key frame every second: exact here
    assert black.loudness.integrated_lufs > -25  # skipping non-key video frames spares audio
    assert prober.deep_check(kinds["h264"], use_cache=False).head_black_ms == 0
    assert prober.deep_check(kinds["audioonly"], use_cache=False).head_black_ms is None


def test_poster_frame_is_a_square_pixel_jpeg(kinds):
    jpeg = prober.poster_frame(kinds["anamorphic"], 500, width=320)
    assert jpeg.startswith(b"\xff\xd8")
    # SOF0 marker holds height then width: 320 wide, 16:9 -> 180 high.
    sof = jpeg.index(b"\xff\xc0")
    height = int.from_bytes(jpeg[sof + 5 : sof + 7], "big")
    width = int.from_bytes(jpeg[sof + 7 : sof + 9], "big")
    assert (width, height) == (320, 180)
    with pytest.raises(ProbeError):
        prober.poster_frame(kinds["text"], 0)


def test_media_info_json_round_trip(kinds):
    for name in ("h264", "hevc4k", "surround", "audioonly", "rotated"):
        info = prober.probe(kinds[name], use_cache=False)
        assert MediaInfo.from_json(info.to_json()) == info


def test_a_killed_prober_is_reported_and_not_remembered(kinds, fresh_cache, tmp_path, monkeypatch):
    """A show that ends kills the probers it still has running (probe.owning/kill). That says
    nothing of the file: the next probe reads it properly."""
    import threading

    hung = tmp_path / "hung ffprobe"
    hung.write_text("#!/bin/sh\nexec sleep 60\n", encoding="utf-8")
    hung.chmod(0o755)
    monkeypatch.setenv("SCREENING_NIGHT_FFPROBE", str(hung))
    procs: set = set()
    outcome: list = []

    def run() -> None:
        with prober.owning(procs):
            try:
                outcome.append(prober.probe(kinds["h264"]))
            except ProbeError as exc:
                outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    while not procs and thread.is_alive():
        thread.join(0.01)
    prober.kill(procs)
    thread.join(30)
    assert not thread.is_alive()
    [error] = outcome
    assert isinstance(error, ProbeError) and "stopped" in error.message
    monkeypatch.delenv("SCREENING_NIGHT_FFPROBE")
    assert prober.probe(kinds["h264"]).video is not None  # probed again, not the error
