"""player.core.check (pure judging) and player.organiser.check_run (targets -> report), on real
media."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _check_media import AWKWARD_NAMES, make_all

from player.core import check
from player.core.check import CODES, check_film, check_media, check_subtitles, status_of
from player.core.media_info import AudioInfo, DeepResult, Loudness, MediaInfo, VideoInfo
from player.core.model import Film, LocalText, PlaylistError, Severity
from player.core.model import format_duration as clock
from player.core.playlist_io import load_playlist
from player.core.venue import Venue, VenueError, resolve_venue
from player.organiser.check_run import check_playlist, check_targets, sniff
from support.synth import make_clip


@pytest.fixture(scope="session")
def kinds(tmp_path_factory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("check-media"))


def codes(item) -> list[str]:
    return sorted(p.code for p in item.problems)


def one(path: Path, **kwargs):
    report = check_targets([path], **kwargs)
    assert len(report.items) == 1
    return report.items[0]


# --------------------------------------------------------------------------- real media, codes

EXPECTED_DEFAULT = {
    "h264": [],
    "hevc4k": [],  # 3840x2160 fits the default venue, which takes HDR
    "prores": [],
    "interlaced": ["interlaced"],
    "vp9": [],
    "noaudio": ["no-audio"],
    "audioonly": ["no-video"],
    "surround": [],
    "mono": ["mono-audio"],
    "anamorphic": [],
    "vfr": ["variable-frame-rate"],
    "rotated": ["rotated"],
    "still": ["no-video"],
    "trunc_end": ["unreadable"],
    "trunc_start": [],  # only the deep pass sees it
    "zero": ["unreadable"],
    "text": ["unreadable"],
    "folder": ["not-a-file"],
    "missing": ["missing-file"],
}


def test_every_kind_on_the_default_venue(kinds):
    names = list(EXPECTED_DEFAULT)
    report = check_targets([kinds[n] for n in names])
    assert report.venue.name == "default"
    got = {name: codes(item) for name, item in zip(names, report.items, strict=True)}
    assert got == EXPECTED_DEFAULT
    for name, item in zip(names, report.items, strict=True):
        severities = {CODES[code] for code in EXPECTED_DEFAULT[name]}
        want = "error" if Severity.ERROR in severities else "warning" if severities else "ok"
        assert item.status == want, name


def test_statuses_and_messages(kinds):
    interlaced = one(kinds["interlaced"])
    assert interlaced.status == "warning"
    assert interlaced.problems[0].message.startswith(
        "interlaced (top field first) — will show combing on a progressive projector"
    )
    zero = one(kinds["zero"])
    assert zero.status == "error" and "empty (0 bytes)" in zero.problems[0].message
    assert zero.media is None
    assert one(kinds["h264"]).status == "ok"
    assert "nothing to project" in one(kinds["still"]).problems[0].message
    assert "audio only" in one(kinds["audioonly"]).problems[0].message


def test_hd_projector_venue(kinds):
    venue = resolve_venue("hd-projector")
    hevc = one(kinds["hevc4k"], venue=venue)
    assert codes(hevc) == ["frame-rate-not-allowed", "hdr-on-sdr-venue", "resolution-over-venue"]
    assert hevc.status == "error"
    over = next(p for p in hevc.problems if p.code == "resolution-over-venue")
    assert "3840x2160" in over.message and "1920x1080" in over.message
    assert codes(one(kinds["prores"], venue=venue)) == ["codec-not-allowed"]
    vp9 = one(kinds["vp9"], venue=venue)
    assert [p.message.split(" is ")[0] for p in vp9.problems] == [
        "video codec vp9 (Profile 0)",
        "audio codec opus",
    ]
    assert codes(one(kinds["h264"], venue="hd-projector")) == []
    assert codes(one(kinds["mono"], venue=venue)) == ["audio-channels-not-allowed"]


def test_channel_and_frame_rate_lists(kinds, tmp_path):
    profile = tmp_path / "stereo-only.yaml"
    profile.write_text("name: stereo only\naudio_channels: [2]\nframe_rates: [24]\n", "utf-8")
    item = one(kinds["surround"], venue=profile)
    assert codes(item) == ["audio-channels-not-allowed", "frame-rate-not-allowed"]
    assert item.status == "warning"
    channels = next(p for p in item.problems if p.code == "audio-channels-not-allowed")
    assert "6 channels (5.1" in channels.message


def test_deep_pass_codes(kinds):
    report = check_targets(
        [kinds["trunc_start"], kinds["h264"], kinds["loud"], kinds["quiet"], kinds["zero"]],
        deep=True,
    )
    trunc, good, loud, quiet, zero = report.items
    assert codes(trunc) == ["truncated"]
    assert "partial file" in trunc.problems[0].message
    assert trunc.status == "error"
    assert codes(good) == [] and good.loudness is not None
    assert -22.5 < good.loudness.integrated_lufs < -18.5
    assert codes(loud) == ["loudness-out-of-range", "true-peak-over"]
    assert "above the -23 LUFS target" in loud.problems[0].message
    assert codes(quiet) == ["loudness-out-of-range"]
    assert "below" in quiet.problems[0].message
    assert codes(zero) == ["unreadable"] and zero.loudness is None


def test_deep_pass_sound_codes(kinds):
    late, mute, black = check_targets(
        [kinds["late_sound"], kinds["mute"], kinds["black_head"]], deep=True
    ).items
    assert codes(black) == ["black-at-head"]
    assert "black for the first 0:10" in black.problems[0].message
    assert "in: 0:10" in black.problems[0].message
    assert codes(late) == ["silence-at-head"]
    assert "no sound for the first 0:06" in late.problems[0].message
    assert codes(mute) == ["silent-audio"]


def test_loudness_target_follows_the_venue(kinds):
    # dci-4k aims at -27 ± 4: the -20 LUFS clip is fine at -23 ± 5 but too loud there.
    assert codes(one(kinds["h264"], deep=True, venue="dci-4k")) == ["loudness-out-of-range"]


def test_awkward_names_in_a_folder(kinds):
    report = check_targets([kinds["awkward"]], deep=True)
    assert sorted(i.path.name for i in report.items) == sorted(AWKWARD_NAMES)
    assert {i.status for i in report.items} == {"ok"}


def test_folder_members_by_content(kinds, tmp_path):
    folder = tmp_path / "drop"
    (folder / "sub").mkdir(parents=True)
    shutil.copyfile(kinds["h264"], folder / "FILM_FINAL")  # no extension: found by content
    shutil.copyfile(kinds["vp9"], folder / "sub" / "clip.bin")  # odd extension: by content
    shutil.copyfile(kinds["zero"], folder / "broken.mov")  # media extension: reported
    (folder / "readme.txt").write_text("Projection notes for tonight\n" * 20, "utf-8")
    shutil.copyfile(kinds["still"], folder / "poster.png")  # a picture is not a film here
    (folder / ".hidden.mp4").write_bytes(b"")
    (folder / "bundle.mov").mkdir()  # a folder named like a film: worth a line
    report = check_targets([folder])
    got = {i.path.relative_to(folder).as_posix(): codes(i) for i in report.items}
    assert got == {
        "FILM_FINAL": [],
        "sub/clip.bin": [],
        "broken.mov": ["unreadable"],
        "bundle.mov": ["not-a-file"],
    }


def test_sniff():
    assert sniff(b"\x00\x00\x00\x20ftypisom" + b"\x00" * 20)
    assert sniff(b"\x1a\x45\xdf\xa3" + b"\x00" * 20)
    assert sniff(b"RIFF\x00\x00\x00\x00AVI LIST")
    assert sniff(
        bytes([0x47]) + bytes(187) + bytes([0x47]) + bytes(187) + bytes([0x47]) + bytes(30)
    )
    assert not sniff(b"Projection notes for the night\n")
    assert not sniff(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert not sniff(b"")


def test_report_json_shape(kinds):
    report = check_targets([kinds["h264"], kinds["zero"], kinds["noaudio"]], deep=True)
    data = report.to_json()
    assert set(data) == {"venue", "items", "summary"}
    assert data["venue"] == "default"
    assert data["summary"] == {"ok": 1, "warning": 1, "error": 1}
    good, zero, silent = data["items"]
    assert set(good) == {"path", "title", "status", "problems", "media", "loudness", "subtitles"}
    assert good["path"] == str(kinds["h264"]) and good["title"] == "h264.mp4"
    assert set(good["media"]) >= {
        "container",
        "duration_ms",
        "size_bytes",
        "bit_rate",
        "video",
        "audio",
        "subtitles",
    }
    assert set(good["media"]["video"]) >= {
        "codec",
        "profile",
        "width",
        "height",
        "sar",
        "dar",
        "fps",
        "pix_fmt",
        "bit_depth",
        "field_order",
        "rotation",
        "hdr",
    }
    assert set(good["media"]["audio"][0]) >= {
        "codec",
        "channels",
        "channel_layout",
        "sample_rate",
        "language",
    }
    assert set(good["loudness"]) == {"integrated_lufs", "lra_lu", "true_peak_dbtp"}
    assert zero["media"] is None and zero["loudness"] is None
    assert zero["problems"] == [
        {
            "code": "unreadable",
            "severity": "error",
            "message": "cannot be read as media: the file is empty (0 bytes)",
        }
    ]
    assert silent["status"] == "warning" and silent["loudness"] is None


def test_exit_codes_of_a_report(kinds):
    assert check_targets([kinds["h264"]]).exit_code() == 0
    warn = check_targets([kinds["noaudio"]])
    assert warn.exit_code() == 0 and warn.exit_code(strict=True) == 1
    assert check_targets([kinds["zero"], kinds["h264"]]).exit_code() == 1


def test_a_hanging_prober_becomes_unreadable_and_the_run_goes_on(kinds, tmp_path, monkeypatch):
    hang = tmp_path / "hang.mp4"
    shutil.copyfile(kinds["h264"], hang)
    script = tmp_path / "ffprobe"
    script.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in *hang*) exec sleep 60;; esac; done\n'
        f'exec "{shutil.which("ffprobe")}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    monkeypatch.setenv("SCREENING_NIGHT_FFPROBE", str(script))
    report = check_targets([hang, kinds["h264"]], use_cache=False, probe_timeout_s=0.5)
    hung, good = report.items
    assert codes(hung) == ["unreadable"] and "did not answer" in hung.problems[0].message
    assert good.status == "ok"


# --------------------------------------------------------------------------- playlists


def write_playlist(folder: Path, kinds: dict[str, Path], items: str, extra: str = "") -> Path:
    path = folder / "night.yaml"
    path.write_text(f"version: 1\ntitle: Test night\n{extra}items:\n{items}", encoding="utf-8")
    return path


def test_playlist_runtime_trims_and_subtitles(kinds, tmp_path):
    path = write_playlist(
        tmp_path,
        kinds,
        f"""  - film: {kinds["h264"]}
    title: {{fr: Le bon, en: The good one}}
    runtime: 0:01
    subtitles: {kinds["srt_ok"]}
  - film: {kinds["h264"]}
    title: Declared too long
    runtime: 1:00
  - film: {kinds["h264"]}
    title: Trimmed past the end
    runtime: 0:03
    in: 0:02
    out: 0:03
  - film: {kinds["h264"]}
    title: Fades longer than it runs
    fade_out: 5
  - film: {kinds["h264"]}
    title: Subtitles missing
    subtitles: {tmp_path / "nowhere.srt"}
  - film: {kinds["h264"]}
    title: Subtitles in Latin-1
    subtitles: {kinds["srt_latin1"]}
  - film: {kinds["h264"]}
    title: Subtitles too long
    subtitles: {kinds["srt_late"]}
  - film: {kinds["missing"]}
    title: Not copied
  - film: ../{tmp_path.name}/../{kinds["h264"].parent.name}/{kinds["h264"].name}
    title: Relative with dots
""",
        extra="languages: [fr, en]\n",
    )
    report = check_targets([path])
    got = [(i.title, codes(i)) for i in report.items]
    assert got == [
        ("Le bon", []),
        ("Declared too long", ["runtime-mismatch"]),
        ("Trimmed past the end", ["trim-out-of-range", "trim-out-of-range"]),
        ("Fades longer than it runs", ["fade-out-too-long"]),
        ("Subtitles missing", ["subtitles-missing"]),
        ("Subtitles in Latin-1", []),  # read as windows-1252, French: right
        ("Subtitles too long", ["subtitles-past-end"]),
        ("Not copied", ["missing-file"]),
        ("Relative with dots", []),
    ]
    assert report.items[-1].path == report.items[-1].film.path  # as the model has it
    assert report.items[-1].media.size_bytes == kinds["h264"].stat().st_size
    mismatch = report.items[1].problems[0].message
    assert "says it runs 1:00 but the media runs 0:01" in mismatch
    assert "0:05 is longer than the 0:01" in report.items[3].problems[0].message
    assert kinds["h264"].name in report.items[3].problems[0].message
    latin1 = report.items[5].subtitles
    assert latin1.describe() == f"{kinds['srt_latin1'].name} — windows-1252, French, 1 cue"
    assert "run past the end" in report.items[6].problems[0].message


def test_playlist_names_its_venue(kinds, tmp_path):
    path = write_playlist(
        tmp_path,
        kinds,
        f"  - film: {kinds['hevc4k']}\n    title: Big\n",
        extra="defaults:\n  venue: hd-projector\n",
    )
    report = check_targets([path])
    assert report.venue.name == "hd-projector"
    assert "resolution-over-venue" in codes(report.items[0])
    # An explicit venue wins over the playlist's.
    assert check_targets([path], venue="default").items[0].status == "ok"
    # check_playlist does the same for a loaded playlist (the operator console's way in).
    loaded = check_playlist(load_playlist(path))
    assert loaded.venue.name == "hd-projector"
    assert codes(loaded.items[0]) == codes(report.items[0])


def test_unloadable_playlist_and_venue_raise(tmp_path, kinds):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ntitle: x\nitems: [\n", encoding="utf-8")
    with pytest.raises(PlaylistError):
        check_targets([broken])
    with pytest.raises(PlaylistError):
        check_targets([tmp_path / "no such night.yaml"])
    path = write_playlist(
        tmp_path, kinds, f"  - film: {kinds['h264']}\n", extra="defaults:\n  venue: nowhere\n"
    )
    with pytest.raises(VenueError, match="unknown venue 'nowhere'"):
        check_targets([path])


# --------------------------------------------------------------------------- pure judging

VENUE = Venue()


def media(**video) -> MediaInfo:
    fields = {"codec": "h264", "width": 1920, "height": 1080, "fps": 25.0}
    fields.update(video)
    return MediaInfo(
        container="mov,mp4",
        duration_ms=60_000,
        size_bytes=1,
        video=VideoInfo(**fields),
        audio=(AudioInfo("aac", 2, "stereo", 48000),),
    )


def test_every_code_has_a_severity_from_the_table():
    errors = {c for c, s in CODES.items() if s is Severity.ERROR}
    assert errors >= {
        "missing-file",
        "not-a-file",
        "unreadable",
        "no-video",
        "truncated",
        "resolution-over-venue",
        "codec-not-allowed",
        "trim-out-of-range",
        "subtitles-missing",
    }
    for code in (
        "no-audio",
        "interlaced",
        "variable-frame-rate",
        "rotated",
        "frame-rate-not-allowed",
        "audio-channels-not-allowed",
        "loudness-out-of-range",
        "true-peak-over",
        "runtime-mismatch",
        "subtitles-unreadable",
        "fade-out-too-long",
    ):
        assert CODES[code] is Severity.WARNING, code


@pytest.mark.parametrize(
    ("field_order", "words"),
    [("tt", "top field first"), ("bb", "bottom field first"), ("progressive", None)],
)
def test_interlace_messages(field_order, words):
    problems = check_media(media(field_order=field_order), VENUE)
    if words is None:
        assert problems == []
    else:
        assert problems[0].message.startswith(f"interlaced ({words})")


def test_resolution_limit_is_per_axis():
    assert check_media(media(width=4096, height=2160), VENUE) == []
    assert [p.code for p in check_media(media(width=4097, height=1000), VENUE)] == [
        "resolution-over-venue"
    ]
    assert [p.code for p in check_media(media(width=1000, height=2161), VENUE)] == [
        "resolution-over-venue"
    ]


def test_hdr_warning_only_on_sdr_venues():
    assert check_media(media(hdr="hlg"), VENUE) == []
    problems = check_media(media(hdr="hlg"), Venue(hdr=False))
    assert [p.code for p in problems] == ["hdr-on-sdr-venue"] and "HLG" in problems[0].message


def test_deep_judging():
    info = media()
    clean = DeepResult(read_ms=59_900, loudness=Loudness(-23.0, 5.0, -3.0))
    assert check.check_deep(info, clean, VENUE) == []
    short = DeepResult(read_ms=30_000, loudness=Loudness(-23.0, 5.0, -3.0))
    problems = check.check_deep(info, short, VENUE)
    assert [p.code for p in problems] == ["truncated"]
    assert "ends at 0:30 of 1:00" in problems[0].message
    broken = DeepResult(read_ms=59_900, errors=("Invalid NAL unit size",))
    assert [p.code for p in check.check_deep(info, broken, VENUE)] == ["truncated"]
    edge = DeepResult(read_ms=59_900, loudness=Loudness(-18.0, 5.0, -1.0))
    assert check.check_deep(info, edge, VENUE) == []  # exactly at the limits is fine
    over = DeepResult(read_ms=59_900, loudness=Loudness(-17.9, 5.0, -0.9))
    assert [p.code for p in check.check_deep(info, over, VENUE)] == [
        "loudness-out-of-range",
        "true-peak-over",
    ]
    silent = DeepResult(read_ms=59_900, loudness=Loudness(None, None, None))
    assert [p.code for p in check.check_deep(info, silent, VENUE)] == ["silent-audio"]
    floor = DeepResult(read_ms=59_900, loudness=Loudness(-70.0, 0.0, None), head_silence_ms=60_000)
    assert [p.code for p in check.check_deep(info, floor, VENUE)] == ["silent-audio"]
    normal = Loudness(-23.0, 5.0, -3.0)
    late = DeepResult(read_ms=59_900, loudness=normal, head_silence_ms=5_000)
    assert [p.code for p in check.check_deep(info, late, VENUE)] == ["silence-at-head"]
    logo = DeepResult(read_ms=59_900, loudness=normal, head_silence_ms=4_999)
    assert check.check_deep(info, logo, VENUE) == []
    fade = DeepResult(read_ms=59_900, loudness=normal, head_black_ms=7_999)
    assert check.check_deep(info, fade, VENUE) == []
    leader = DeepResult(read_ms=59_900, loudness=normal, head_black_ms=8_000)
    assert [p.code for p in check.check_deep(info, leader, VENUE)] == ["black-at-head"]


def test_deep_pass_that_could_not_finish():
    slow = check.check_deep_failed("took longer than 80 s", timed_out=True)
    assert [p.code for p in slow] == ["read-too-slow"]
    assert "copy it to a local disk" in slow[0].message
    assert [p.code for p in check.check_deep_failed("x", timed_out=False)] == ["unreadable"]


def test_film_runtime_tolerance_and_trims():
    info = media()

    def film(**kw) -> Film:
        return Film(id="f", path=Path("/f.mp4"), title=LocalText.of("F"), **kw)

    assert check_film(film(runtime_ms=65_000), info) == []
    assert [p.code for p in check_film(film(runtime_ms=65_001), info)] == ["runtime-mismatch"]
    assert [p.code for p in check_film(film(runtime_ms=54_000), info)] == ["runtime-mismatch"]
    assert check_film(film(in_ms=10_000, out_ms=60_000), info) == []
    assert [p.code for p in check_film(film(out_ms=60_001), info)] == ["trim-out-of-range"]
    assert [p.code for p in check_film(film(in_ms=60_000), info)] == ["trim-out-of-range"]
    assert check_film(film(runtime_ms=1), None) == []  # unreadable media: said elsewhere


@pytest.mark.parametrize(
    ("trims", "codes"),
    [
        ({"fade_out_ms": 3_000}, []),
        ({"fade_out_ms": 60_000}, []),  # the whole minute the media runs
        ({"in_ms": 58_000, "fade_out_ms": 2_000}, []),
        ({"in_ms": 58_000, "fade_out_ms": 2_001}, ["fade-out-too-long"]),
        ({"out_ms": 1_500, "fade_out_ms": 2_000}, ["fade-out-too-long"]),
        # The playlist said runtime 2:00, the media runs 1:00: only the media shows the fade
        # is too long for the part played (50 s after 'in' 0:10).
        (
            {"runtime_ms": 120_000, "in_ms": 10_000, "fade_out_ms": 55_000},
            ["runtime-mismatch", "fade-out-too-long"],
        ),
        (
            {"out_ms": 90_000, "in_ms": 30_000, "fade_out_ms": 45_000},
            ["trim-out-of-range", "fade-out-too-long"],
        ),
        ({"in_ms": 60_000, "fade_out_ms": 2_000}, ["trim-out-of-range"]),  # nothing plays
    ],
)
def test_fade_out_longer_than_what_the_media_plays(trims, codes):
    film = Film(id="f", path=Path("/films/dave.mp4"), title=LocalText.of("F"), **trims)
    problems = check_film(film, media())  # 60 s of media
    assert [p.code for p in problems] == codes
    assert check_film(film, None) == []  # unknown media: the playlist's own check only
    for p in problems:
        if p.code == "fade-out-too-long":
            assert p.severity is Severity.WARNING
            played = clock(film.played_ms(60_000), fraction=True)
            assert p.message.startswith(
                f"'fade_out' {clock(film.fade_out_ms, fraction=True)} is longer than the "
                f"{played} dave.mp4 plays — "
            )
            assert p.message.endswith(f"shorten 'fade_out' to {played} at most")


def test_subtitle_problems_have_their_own_codes():
    srt = "1\n00:00:01,000 --> 00:00:02,500\nBonjour\n\n2\n00:01:00,000 --> 00:01:01,000\nFin\n"
    path = Path("/s.srt")
    assert check_subtitles(path, ("\ufeff" + srt).encode("utf-8"), 61_000) == []
    assert [p.code for p in check_subtitles(path, srt.encode(), 30_000)] == ["subtitles-past-end"]
    assert [p.code for p in check_subtitles(path, b"no cues here", 30_000)] == [
        "subtitles-empty",
        "subtitles-malformed",
    ]
    assert [p.code for p in check_subtitles(path, b"", 30_000)] == ["subtitles-empty"]
    backwards = b"1\n00:00:05,000 --> 00:00:01,000\nx\n"
    (found,) = check_subtitles(path, backwards, 30_000)
    assert found.code == "subtitles-malformed" and found.message.startswith("s.srt:2: the cue ends")
    assert [p.code for p in check_subtitles(path, None, None, exists=False)] == [
        "subtitles-missing"
    ]
    for code in ("subtitles-empty", "subtitle-track-missing", "audio-track-missing"):
        assert CODES[code] is Severity.ERROR


def test_status_and_clock():
    warn = check.problem("no-audio", "x")
    assert str(warn) == "warning: x [no-audio]"
    err = check.problem("unreadable", "y")
    assert status_of([]) == "ok"
    assert status_of([warn]) == "warning"
    assert status_of([warn, err]) == "error"
    assert clock(0) == "0:00" and clock(61_400) == "1:01" and clock(3_723_000) == "1:02:03"


def test_loudness_warning_says_what_the_show_does():
    info = media()

    def message(lufs: float, **kw) -> str:
        deep = DeepResult(read_ms=59_900, loudness=Loudness(lufs, 5.0, -9.0))
        problems = check.check_deep(info, deep, VENUE, **kw)
        assert [p.code for p in problems] == ["loudness-out-of-range"]
        return problems[0].message

    assert "set the playlist's defaults.loudness_target (e.g. -23)" in message(-30.0)
    assert message(-30.0, loudness_target=-23.0).endswith(
        "the show brings it to -23 LUFS (loudness_target)"
    )
    assert message(-10.0, loudness_target=-24.0).endswith("brings it to -24 LUFS (loudness_target)")
    # The match never boosts more than MAX_BOOST_DB (12 dB): say where it stops.
    assert "at most 12 dB, to -38 LUFS" in message(-50.0, loudness_target=-23.0)
    trimmed = message(-30.0, loudness_target=-23.0, gain_db=-2.0)
    assert trimmed.endswith("brings it to -25 LUFS (loudness_target -23, gain_db -2)")
    # A night aimed elsewhere than the venue: corrected, but not into the venue's range.
    assert "still outside this venue's range (-23 LUFS)" in message(-40.0, loudness_target=-31.0)


def test_loudness_warning_follows_the_playlists_target(tmp_path):
    # Real clips and a real deep pass: the same quiet file, checked from a night that matches
    # loudness and from one that does not, and on its own.
    quiet = make_clip(tmp_path / "quiet.mp4", seconds=1.0, tone_db=-32.0)
    for name, defaults in (("matched", "  loudness_target: -23\n"), ("plain", "  follow: auto\n")):
        (tmp_path / f"{name}.yaml").write_text(
            f"version: 1\ntitle: {name}\ndefaults:\n{defaults}items:\n  - film: quiet.mp4\n",
            encoding="utf-8",
        )
    matched, plain, alone = check_targets(
        [tmp_path / "matched.yaml", tmp_path / "plain.yaml", quiet], deep=True
    ).items
    for item in (matched, plain, alone):
        assert codes(item) == ["loudness-out-of-range"]
    assert "the show brings it to -23 LUFS (loudness_target)" in matched.problems[0].message
    for item in (plain, alone):
        assert "set the playlist's defaults.loudness_target" in item.problems[0].message
