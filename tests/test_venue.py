"""Venue profiles: the built-ins, hand-written files, and every mistake located."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.venue import (
    DEFAULT_NAME,
    Venue,
    VenueError,
    builtin_names,
    load_venue,
    normalise_codec,
    resolve_venue,
)


def write(tmp_path: Path, text: str, name: str = "room.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtins_are_there_and_load():
    assert {"default", "hd-projector", "dci-4k"} <= set(builtin_names())
    for name in builtin_names():
        venue = resolve_venue(name)
        assert venue.name == name
        assert venue.path is not None and venue.path.name == f"{name}.yaml"


def test_default_venue_allows_anything_up_to_dci_4k():
    venue = resolve_venue(None)
    assert venue.name == DEFAULT_NAME
    assert (venue.max_width, venue.max_height) == (4096, 2160)
    assert venue.video_codecs is None and venue.frame_rates is None
    assert venue.allows_video_codec("prores") and venue.allows_fps(23.976)
    assert venue.allows_channels(8)
    assert (venue.loudness_target_lufs, venue.loudness_tolerance_lu) == (-23.0, 5.0)
    assert venue.true_peak_max_dbtp == -1.0


def test_hd_projector():
    venue = resolve_venue("hd-projector")
    assert (venue.max_width, venue.max_height) == (1920, 1080)
    assert venue.allows_video_codec("h264") and venue.allows_video_codec("hevc")
    assert venue.allows_video_codec("mpeg2video")
    assert not venue.allows_video_codec("prores") and not venue.allows_video_codec("vp9")
    assert venue.allows_fps(25) and venue.allows_fps(60.0)
    assert not venue.allows_fps(23.976) and not venue.allows_fps(10)
    assert venue.allows_channels(2) and venue.allows_channels(6)
    assert not venue.allows_channels(1) and not venue.allows_channels(8)
    assert venue.allows_audio_codec("pcm_s24le")  # 'pcm' covers every PCM format
    assert not venue.hdr


def test_dci_4k():
    venue = resolve_venue("dci-4k")
    assert (venue.max_width, venue.max_height) == (4096, 2160)
    assert venue.allows_fps(24000 / 1001) and venue.allows_fps(48)
    assert venue.allows_channels(8)
    assert venue.loudness_target_lufs == -27.0


def test_a_profile_file_with_aliases(tmp_path):
    path = write(
        tmp_path,
        "name: Salle 2\n"
        "max_width: 1280\n"
        "max_height: 720\n"
        "video_codecs: [H.264, h265, MPEG2]\n"
        "audio_codecs: [aac]\n"
        "frame_rates: [25, 29.97]\n"
        "audio_channels: [2]\n"
        "loudness_target_lufs: -24\n"
        "loudness_tolerance_lu: 2\n"
        "true_peak_max_dbtp: -2\n",
    )
    venue = load_venue(path)
    assert venue == Venue(
        name="Salle 2",
        max_width=1280,
        max_height=720,
        video_codecs=frozenset({"h264", "hevc", "mpeg2video"}),
        audio_codecs=frozenset({"aac"}),
        frame_rates=(25.0, 29.97),
        audio_channels=frozenset({2}),
        loudness_target_lufs=-24.0,
        loudness_tolerance_lu=2.0,
        true_peak_max_dbtp=-2.0,
        path=path,
    )
    assert venue.allows_fps(30000 / 1001)


def test_name_defaults_to_the_file_name(tmp_path):
    assert load_venue(write(tmp_path, "max_width: 1920\n", "salle-3.yaml")).name == "salle-3"


def test_unknown_key_is_located_with_a_suggestion(tmp_path):
    path = write(tmp_path, "name: x\nmax_widht: 1920\naudio_chanels: [2]\n")
    with pytest.raises(VenueError) as caught:
        load_venue(path)
    messages = [str(p) for p in caught.value.problems]
    assert messages[0] == (
        f"{path}:2:1: error: unknown key 'max_widht' in the venue profile — "
        "did you mean 'max_width'?"
    )
    assert messages[1].startswith(f"{path}:3:1: ")
    assert "did you mean 'audio_channels'?" in messages[1]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("max_width: wide\n", "1:12", "'max_width' must be a whole number"),
        ("max_width: 0\n", "1:12", "at least 16"),
        ("frame_rates: [24, fast]\n", "1:19", "'fast' is not a frame rate"),
        ("frame_rates: 24\n", "1:14", "must be a list"),
        ("audio_channels: [2, 5.1]\n", "1:21", "not a channel count"),
        ("video_codecs: []\n", "1:15", "empty list"),
        ("loudness_target_lufs: 3\n", "1:23", "at most 0"),
        ("hdr: maybe\n", "1:6", "true or false"),
        ("name: x\nname: y\n", "2:1", "duplicate key 'name'"),
        ("max_width: [1920\n", "2:1", ""),
        ("- a list\n", "1:1", "a venue profile is a mapping"),
    ],
)
def test_mistakes_are_located(tmp_path, text, where, words):
    path = write(tmp_path, text)
    with pytest.raises(VenueError) as caught:
        load_venue(path)
    first = caught.value.problems[0]
    assert f"{first.location.line}:{first.location.column}" == where, str(first)
    assert first.location.file == path
    assert words in first.message


def test_all_problems_at_once(tmp_path):
    path = write(tmp_path, "max_width: x\nmax_height: y\nbogus: 1\n")
    with pytest.raises(VenueError) as caught:
        load_venue(path)
    assert len(caught.value.problems) == 3


def test_unknown_builtin_name_suggests():
    with pytest.raises(VenueError) as caught:
        resolve_venue("hd-projektor")
    message = caught.value.problems[0].message
    assert "did you mean 'hd-projector'?" in message
    assert "dci-4k" in message


def test_missing_profile_file(tmp_path):
    with pytest.raises(VenueError, match="no such file"):
        resolve_venue(tmp_path / "nowhere.yaml")


def test_relative_profile_resolves_against_base(tmp_path):
    write(tmp_path, "name: cellar\nmax_width: 1024\n", "cellar.yaml")
    venue = resolve_venue("cellar.yaml", base=tmp_path)
    assert venue.name == "cellar" and venue.max_width == 1024


def test_unsafe_yaml_is_refused(tmp_path):
    path = write(tmp_path, "name: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(VenueError, match="not allowed"):
        load_venue(path)


def test_normalise_codec():
    assert normalise_codec(" H.265 ") == "hevc"
    assert normalise_codec("AVC") == "h264"
    assert normalise_codec("prores") == "prores"


def test_readme_venue_example_loads(tmp_path):
    from player.core.paths import PROJECT_DIR
    from player.core.venue import load_venue

    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```yaml\n")[1:]]
    profiles = [b for b in blocks if b.startswith("name: ")]
    assert profiles
    for text in profiles:
        path = tmp_path / "venue.yaml"
        path.write_text(text, encoding="utf-8")
        venue = load_venue(path)
        assert venue.max_width == 1920


def test_speakers_of_the_builtins():
    from player.core.venue import Speakers

    assert resolve_venue("default").speakers is Speakers.STEREO
    assert resolve_venue("hd-projector").speakers is Speakers.STEREO
    assert resolve_venue("dci-4k").speakers is Speakers.SURROUND_5_1
    assert Venue().speakers is Speakers.STEREO  # a profile that does not say


@pytest.mark.parametrize(
    ("written", "channels"), [("2.0", 2), ("5.1", 6), ("'5.1'", 6), ('"7.1"', 8)]
)
def test_speakers_written_plain_or_quoted(tmp_path, written, channels):
    venue = load_venue(write(tmp_path, f"speakers: {written}\n"))
    assert venue.speakers.channels == channels


@pytest.mark.parametrize(
    ("written", "words"),
    [("5.0", "did you mean '5.1'?"), ("stereo", "'2.0' or '5.1' or '7.1'"), ("[2]", "not")],
)
def test_speakers_mistakes_are_located(tmp_path, written, words):
    path = write(tmp_path, f"name: x\nspeakers: {written}\n")
    with pytest.raises(VenueError) as caught:
        load_venue(path)
    [first] = caught.value.problems
    assert (first.location.file, first.location.line, first.location.column) == (path, 2, 11)
    assert words in first.message and "'speakers'" in first.message


def test_speakers_key_misspelt_gets_a_suggestion(tmp_path):
    with pytest.raises(VenueError, match="did you mean 'speakers'"):
        load_venue(write(tmp_path, "speaker: '5.1'\n"))
