"""`prepare`: show copies made with real ffmpeg from generated films of each awkward kind, each
copy checked by the room's own deep check; resumed, killed, and the decisions behind it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from player.core.check import CODES, CheckProblem, problem
from player.core.media_info import AudioInfo, MediaInfo, VideoInfo
from player.core.model import Film, LocalText, Playlist
from player.core.playlist_io import find_problems, load_playlist
from player.core.venue import Speakers, Venue, resolve_venue
from player.media import probe
from player.media.transcode import (
    AudioRecipe,
    AudioStreamRecipe,
    CopyRecipe,
    Runner,
    parse_progress,
    remix_filter,
)
from player.organiser import check_run
from player.organiser.check_run import CheckItem
from player.organiser.prepare import (
    CANNOT_FIX,
    DECISIONS,
    STATE_NAME,
    Fix,
    plan_film,
)
from support.poll import until
from support.synth import make_clip, make_interlaced_clip, make_vfr_clip, truncate

HD = "hd-projector"


def prepare(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "player", "prepare", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


NIGHT = """\
# yaml-language-server: $schema=playlist.schema.json
# The awkward night: every film needs something for the HD room.
version: 1
title: {fr: Nuit difficile, en: Awkward night}
languages: [fr, en]
defaults:
  loudness_target: -23   # the night's level
items:
  - card: {text: Bonsoir, seconds: 3}
  - film: "films/-4k hevc: 10-bit.mp4"
    title: Four K
    in: 0.2          # a trim stays a trim
    out: 0.8
  - film: films/interlaced.mpg
    title: PAL tape
    subtitles: films/tape.fr.srt
  - film: films/phone.mp4
    title: Phone (VFR)
  - film: films/8k.mp4
    title: Eight K
  - film: films/surround.mp4
    title: Five one
  - film: films/loud.mp4
    title: Loud
    fade_out: 0.5
  - film: films/fine.mp4
    title: Needs nothing
  - film: "films/-4k hevc: 10-bit.mp4"
    title: Four K again   # the same file twice: one copy
"""


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("prepare night")
    films = folder / "films"
    make_clip(
        films / "-4k hevc: 10-bit.mp4",
        seconds=1.0,
        width=3840,
        height=2160,
        vcodec="libx265",
        pix_fmt="yuv420p10le",
        vcodec_args=("-preset", "ultrafast", "-x265-params", "log-level=error"),
        pattern="smptebars",
    )
    make_interlaced_clip(films / "interlaced.mpg", seconds=1.0)
    make_vfr_clip(films / "phone.mp4", seconds=2.0)
    make_clip(films / "8k.mp4", seconds=1.0, width=7680, height=4320, pattern="smptebars")
    make_clip(films / "surround.mp4", seconds=2.0, channels=6, tone_db=-26)
    make_clip(films / "loud.mp4", seconds=3.0, tone_db=-0.3)
    make_clip(films / "fine.mp4", seconds=1.0)
    # French subtitles in Windows-1252, as they often come
    cues = "1\n00:00:00,100 --> 00:00:00,900\nL'été à Noël, déjà ça ?\n"
    (films / "tape.fr.srt").write_bytes(cues.encode("cp1252"))
    (folder / "night.yaml").write_text(NIGHT, encoding="utf-8")
    return folder / "night.yaml"


@pytest.fixture(scope="module")
def prepared(night, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("show copies") / "for the HD room"
    result = prepare(night, "--venue", HD, "--out", out)
    return out, result


def test_every_copy_passes_the_rooms_check(prepared):
    out, result = prepared
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 film(s) for hd-projector: 6 copy(ies) made" in result.stdout  # 8 items, 7 files
    assert "1 needed nothing, 0 keep their original" in result.stdout
    assert "tape.fr.srt: windows-1252 converted to UTF-8" in result.stdout
    report = check_run.check_targets([out / "night.yaml"], venue=HD, deep=True, use_cache=False)
    fixed = {"resolution-over-venue", "interlaced", "variable-frame-rate", "loudness-out-of-range"}
    fixed |= {"true-peak-over", "subtitles-unreadable"}
    for item in report.items:
        assert item.status != "error", (item.path, item.problems)
        assert not {p.code for p in item.problems} & fixed, (item.path, item.problems)


def test_what_each_copy_became(prepared, night):
    out, _ = prepared
    films = {f.title.first(): f for f in load_playlist(out / "night.yaml").films()}
    info = {title: probe.probe(f.path, use_cache=False) for title, f in films.items()}
    for title in ("Four K", "Eight K"):
        video = info[title].video
        assert (video.codec, video.profile, video.pix_fmt) == ("h264", "High", "yuv420p")
        assert (video.width, video.height) == (1920, 1080)
    assert info["PAL tape"].video.codec == "h264" and not info["PAL tape"].video.interlaced
    assert films["PAL tape"].path.suffix == ".mkv"  # its MPEG-1 audio stays as it was
    phone = info["Phone (VFR)"].video
    assert phone.fps == 25 and not phone.variable_frame_rate
    assert [a.channels for a in info["Five one"].audio] == [2]
    assert info["Five one"].audio[0].sample_rate == 48_000
    loud = probe.deep_check(films["Loud"].path, use_cache=False).loudness
    assert abs(loud.integrated_lufs - -23) <= 1.0 and loud.true_peak_dbtp <= -1.0
    # Needs nothing: the playlist points at the original, where it is.
    assert films["Needs nothing"].path == night.parent / "films" / "fine.mp4"


def test_the_written_playlist_keeps_everything(prepared, night):
    out, _ = prepared
    text = (out / "night.yaml").read_text("utf-8")
    assert "# The awkward night: every film needs something for the HD room." in text
    schema = text.splitlines()[0].split("$schema=")[1]  # still names the night's schema file
    assert (out / schema).resolve() == (night.parent / "playlist.schema.json").resolve()
    assert "loudness_target: -23   # the night's level" in text
    assert "in: 0.2          # a trim stays a trim" in text
    assert "title: Four K again   # the same file twice: one copy" in text
    assert '  - film: "-4k hevc_ 10-bit.mp4"\n    title: Four K\n' in text  # quotes kept
    assert "subtitles: tape.fr.srt" in text
    playlist = load_playlist(out / "night.yaml")
    assert find_problems(playlist) == []
    four_k = [f for f in playlist.films() if f.title.first().startswith("Four K")]
    assert four_k[0].path == four_k[1].path == out / "-4k hevc_ 10-bit.mp4"
    assert (four_k[0].in_ms, four_k[0].out_ms) == (200, 800)
    loud = next(f for f in playlist.films() if f.title.first() == "Loud")
    assert loud.fade_out_ms == 500
    subs = next(f for f in playlist.films() if f.title.first() == "PAL tape").subtitles
    assert subs == out / "tape.fr.srt"
    assert subs.read_text("utf-8").endswith("L'été à Noël, déjà ça ?\n")


def test_a_second_run_does_nothing(prepared, night):
    out, _ = prepared
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = prepare(night, "--venue", HD, "--out", out, "--jobs", "2")  # jobs: same copies
    assert again.returncode == 0, again.stderr
    assert "0 copy(ies) made, 6 already made" in again.stdout
    assert "Playlist unchanged" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_a_changed_original_is_made_again(night, tmp_path):
    out = tmp_path / "copies"
    single = tmp_path / "one.yaml"
    single.write_text(
        f"version: 1\ntitle: One\nitems:\n  - film: {night.parent / 'films' / 'phone.mp4'}\n"
    )
    assert prepare(single, "--venue", HD, "--out", out).returncode == 0
    state = json.loads((out / STATE_NAME).read_text())
    assert list(state["copies"]) == ["phone.mp4"]
    # Another room (other rates) is another recipe: made again, not kept.
    room = tmp_path / "room.yaml"
    room.write_text("name: thirty\nframe_rates: [30]\n")
    other = prepare(single, "--venue", room, "--out", out)
    assert "1 copy(ies) made, 0 already made" in other.stdout, other.stderr
    assert probe.probe(out / "phone.mp4", use_cache=False).video.fps == 30


@pytest.fixture(scope="module")
def long_night(tmp_path_factory) -> Path:
    """One interlaced film long enough that its encode is still running when it is stopped."""
    folder = tmp_path_factory.mktemp("long night")
    make_interlaced_clip(folder / "films" / "long tape.mpg", seconds=30.0)
    playlist = folder / "night.yaml"
    playlist.write_text("version: 1\ntitle: Long\nitems:\n  - film: films/long tape.mpg\n")
    return playlist


def _stop_mid_copy(playlist: Path, out: Path, sig: int) -> subprocess.Popen:
    """Start prepare, wait until its copy is being written, send `sig`; the finished process."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "player", "prepare", playlist, "--venue", HD, "--out", out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    part = out / ".long tape.mkv.part"
    try:

        def writing() -> bool:
            assert proc.poll() is None, proc.stderr.read().decode()
            return part.is_file() and part.stat().st_size > 100_000

        until(writing, 120, "the copy never started")
        proc.send_signal(sig)
    finally:
        proc.wait(timeout=60)
    return proc


def _no_ffmpeg_left(part: Path) -> None:
    until(lambda: not _processes_using(part), 20, "ffmpeg outlived the stopped run")


def test_a_run_killed_mid_copy_leaves_no_half_copy(long_night, tmp_path):
    out = tmp_path / "copies"
    proc = _stop_mid_copy(long_night, out, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    part = out / ".long tape.mkv.part"
    assert not (out / "long tape.mkv").exists() and not (out / "night.yaml").exists()
    _no_ffmpeg_left(part)  # it died with the run (no orphan writing on)
    # Run again: the copy is made whole, the half file gone.
    again = prepare(long_night, "--venue", HD, "--out", out)
    assert again.returncode == 0, again.stderr
    assert (out / "long tape.mkv").is_file() and not part.exists()
    info = probe.probe(out / "long tape.mkv", use_cache=False)
    assert abs(info.duration_ms - 30_000) < 1_000 and not info.video.interlaced


def test_ctrl_c_mid_copy_stops_cleanly(long_night, tmp_path):
    out = tmp_path / "copies"
    proc = _stop_mid_copy(long_night, out, signal.SIGINT)
    stderr = proc.stderr.read().decode()
    assert proc.returncode == 130 and "Interrupted." in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == []  # nothing half made, no playlist
    _no_ffmpeg_left(out / ".long tape.mkv.part")


def _processes_using(path: Path) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if str(path).encode() in cmdline:
            found.append(int(pid))
    return found


def test_what_no_copy_can_fix_keeps_the_original(night, tmp_path):
    films = night.parent / "films"
    truncate(films / "fine.mp4", tmp_path / "cut.mp4", 0.5)
    playlist = tmp_path / "night.yaml"
    playlist.write_text(
        f"version: 1\ntitle: Cut\nitems:\n  - film: cut.mp4\n  - film: {films / 'fine.mp4'}\n",
        encoding="utf-8",
    )
    out = tmp_path / "copies"
    result = prepare(playlist, "--venue", HD, "--out", out, "--all")
    assert result.returncode == 1
    assert "ORIGINAL KEPT cut.mp4" in result.stderr and "[unreadable]" in result.stderr
    assert "get a good copy of the film" in result.stderr
    assert "copied  fine.mp4 (needs nothing)" in result.stdout
    moved = load_playlist(out / "night.yaml").films()
    assert moved[0].path == tmp_path / "cut.mp4"
    assert moved[1].path == out / "fine.mp4"  # --all: copied, verified
    assert (out / "fine.mp4").read_bytes() == (films / "fine.mp4").read_bytes()


def test_cannot_run(night, tmp_path):
    same = prepare(night, "--venue", HD, "--out", night.parent)
    assert same.returncode == 2 and "folder of their own" in same.stderr
    unknown = prepare(night, "--venue", "hd-projektor", "--out", tmp_path / "x")
    assert unknown.returncode == 2 and "did you mean 'hd-projector'" in unknown.stderr
    no_venue = prepare(night, "--out", tmp_path / "x")
    assert no_venue.returncode == 2 and "--venue" in no_venue.stderr
    missing = prepare(tmp_path / "nowhere.yaml", "--venue", HD, "--out", tmp_path / "x")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    file_there = tmp_path / "a file"
    file_there.write_text("")
    blocked = prepare(night, "--venue", HD, "--out", file_there)
    assert blocked.returncode == 2 and "cannot write" in blocked.stderr


# ----------------------------------------------------------------------- the sound, measured


def _levels_db(path: Path) -> list[float]:
    """RMS level (dBFS) of each channel of the first audio stream, measured by ffmpeg."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0", "-af",
         "astats=measure_overall=none:measure_perchannel=RMS_level", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    levels = []
    for line in result.stderr.splitlines():
        if "RMS level dB:" in line:
            value = line.rsplit(":", 1)[1].strip()
            levels.append(-200.0 if value == "-inf" else float(value))
    return levels


def _remake(source: Path, dest: Path, channels: int, layout: str, speakers: str) -> Path:
    recipe = CopyRecipe(
        source=source,
        dest=dest,
        container="matroska",
        video=None,
        audio=AudioRecipe(speakers, (AudioStreamRecipe(channels, layout),), pcm=True),
    )
    Runner().run(recipe.arguments(), source)
    return dest


def test_bs775_fold_down_and_routing(tmp_path):
    # A 5.1 film whose only sound is a tone in the centre: folded down to stereo, it comes
    # out of L and R at -3 dB each (0.707); the LFE is dropped.
    centre = tmp_path / "centre.wav"
    tone = "0.5*sin(2*PI*440*t)"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         f"aevalsrc=0|0|{tone}|{tone}|0|0:s=48000:d=1:c=5.1", str(centre)],
        check=True,
    )  # fmt: skip
    [left, right] = _levels_db(_remake(centre, tmp_path / "a.mkv", 6, "5.1", "stereo"))
    [source_fc] = _levels_db(centre)[2:3]
    assert abs(left - (source_fc - 3.0)) < 0.1 and abs(right - left) < 0.01
    # Stereo into a 5.1 room: L/R only; C, LFE and the surrounds silent.
    stereo = make_clip(tmp_path / "stereo.mp4", seconds=1.0, vcodec=None)
    levels = _levels_db(_remake(stereo, tmp_path / "b.mkv", 2, "stereo", "5.1"))
    assert len(levels) == 6 and min(levels[:2]) > -30 and max(levels[2:]) < -150
    # Mono: to the centre in a 5.1 room, to L and R alike in a stereo one.
    mono = make_clip(tmp_path / "mono.mp4", seconds=1.0, vcodec=None, channels=1)
    levels = _levels_db(_remake(mono, tmp_path / "c.mkv", 1, "mono", "5.1"))
    assert levels[2] > -30 and max(levels[:2] + levels[3:]) < -150
    left, right = _levels_db(_remake(mono, tmp_path / "d.mkv", 1, "mono", "stereo"))
    assert left > -30 and abs(left - right) < 0.01


def test_remix_filters():
    assert remix_filter(2, "stereo", "stereo") is None
    assert remix_filter(6, "5.1(side)", "stereo") == (
        "pan=stereo|FL=c0+0.707*c4+0.707*c2|FR=c1+0.707*c5+0.707*c2"
    )
    assert remix_filter(8, "7.1", "5.1") == (
        "pan=5.1|FL=c0|FR=c1|FC=c2|LFE=c3|BL=0.707*c6+0.707*c4|BR=0.707*c7+0.707*c5"
    )
    assert remix_filter(4, "quad", "stereo") == "aformat=channel_layouts=stereo"


# ----------------------------------------------------------------------- decisions


def test_every_finding_of_the_check_has_a_decision():
    # A new code in the check must be decided here: fixed by a copy, or said why not.
    undecided = set(CODES) - set(DECISIONS) - set(CANNOT_FIX)
    assert not undecided
    assert not set(DECISIONS) & set(CANNOT_FIX)


def _item(problems: list[CheckProblem], info: MediaInfo, **film) -> CheckItem:
    film_obj = Film(id="f", path=Path("/films/f.mov"), title=LocalText.of("F"), **film)
    return CheckItem(film_obj.path, "F", "warning", problems, info, None, film_obj)


def _plan(codes: list[str], info: MediaInfo, venue: Venue, **night):
    item = _item([problem(code, code) for code in codes], info)
    playlist = Playlist(title=LocalText.of("N"), items=(item.film,), **night)
    return plan_film(item, venue, playlist)


HEVC_4K = MediaInfo(
    container="mov",
    duration_ms=60_000,
    size_bytes=1,
    video=VideoInfo("hevc", width=3840, height=2160, fps=23.976, bit_depth=10),
    audio=(AudioInfo("aac", 2, "stereo", 48_000),),
)


def test_plan_scales_into_the_room_keeping_the_shape():
    venue = resolve_venue(HD)
    plan = _plan(["resolution-over-venue"], HEVC_4K, venue)
    video = plan.recipe.video
    assert video.size == (1920, 1080) and video.fps is None and not video.deinterlace
    assert plan.recipe.audio is None  # the sound needs nothing: copied as it is
    scope = MediaInfo("mov", 1000, 1, video=VideoInfo("h264", width=4096, height=1716, fps=24))
    assert _plan(["resolution-over-venue"], scope, venue).recipe.video.size == (1920, 804)


def test_plan_sound_goes_to_the_rooms_layout_and_the_nights_target():
    venue = Venue(speakers=Speakers.SURROUND_5_1, true_peak_max_dbtp=-2.0)
    seven = MediaInfo(
        "mov", 1000, 1, video=HEVC_4K.video, audio=(AudioInfo("eac3", 8, "7.1", 48_000),)
    )
    plan = _plan([], seven, venue, defaults=_defaults(-27.0))
    assert [r.fix for r in plan.reasons] == [Fix.SOUND_LAYOUT]  # 7.1 in a 5.1 room
    assert plan.recipe.video is None and plan.recipe.audio.speakers == "5.1"
    assert plan.loudness == (-27.0, -2.0)
    assert plan.recipe.container == "matroska"  # hevc copied into MP4 is not our default


def _defaults(target: float):
    from player.core.model import Defaults

    return Defaults(loudness_target=target)


def test_plan_rates_and_codecs():
    venue = Venue(frame_rates=(25.0, 50.0), video_codecs=frozenset({"h264"}))
    plan = _plan(["variable-frame-rate", "codec-not-allowed"], HEVC_4K, venue)
    assert plan.recipe.video.fps == 25 and plan.recipe.container == "mp4"
    interlaced = MediaInfo(
        "mpeg",
        1000,
        1,
        video=VideoInfo("mpeg2video", width=720, height=576, fps=25, field_order="tt"),
    )
    # Re-encoded for its codec, an interlaced picture is deinterlaced on the way.
    h264_only = Venue(video_codecs=frozenset({"h264"}))
    assert _plan(["codec-not-allowed"], interlaced, h264_only).recipe.video.deinterlace


def test_plan_nothing_to_do_and_nothing_to_be_done():
    assert _plan([], HEVC_4K, Venue()).recipe is None
    blocked = _plan(["truncated", "interlaced"], HEVC_4K, Venue())
    assert blocked.blocked and blocked.recipe is None
    warned = _plan(["black-at-head"], HEVC_4K, Venue())
    assert not warned.blocked and warned.recipe is None and warned.unfixable


# ----------------------------------------------------------------------- small parts


def test_ffmpeg_progress_blocks():
    block = ["frame=12", "out_time_us=480000", "speed=2.5x", "progress=continue"]
    assert parse_progress(block).out_ms == 480 and parse_progress(block).speed == 2.5
    last = parse_progress(["out_time_us=N/A", "speed=N/A", "progress=end"])
    assert last.done and last.out_ms == 0 and last.speed is None
