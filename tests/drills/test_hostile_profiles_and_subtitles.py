"""Drill: venue profiles and subtitle files get the hostile-input treatment too."""

from __future__ import annotations

import os
import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.core.check import CODES, check_subtitles
from player.core.model import PlaylistError
from player.core.venue import Venue, builtin_names, load_venue

FUZZ = settings(
    max_examples=int(os.environ.get("DRILL_EXAMPLES", "300")),
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PROFILE_KEYS = [
    "name", "max_width", "max_height", "video_codecs", "audio_codecs", "frame_rates",
    "audio_channels", "loudness_target_lufs", "loudness_tolerance_lu", "true_peak_max_dbtp",
    "hdr", "x",
]  # fmt: skip


def load_profile_or_problems(path: Path, data: bytes) -> Venue | PlaylistError:
    path.write_bytes(data)
    try:
        return load_venue(path)
    except PlaylistError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.message.strip() and problem.location.file == path
        return exc


@FUZZ
@given(data=st.binary(max_size=1500))
def test_profile_arbitrary_bytes(tmp_path, data):
    load_profile_or_problems(tmp_path / "venue.yaml", data)


profile_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(PROFILE_KEYS), children, max_size=6)
    ),
    max_leaves=20,
)


@FUZZ
@given(value=profile_values)
def test_profile_arbitrary_documents(tmp_path, value):
    data = yaml.safe_dump(value, allow_unicode=True).encode()
    load_profile_or_problems(tmp_path / "venue.yaml", data)


def test_profile_bomb_and_nesting(tmp_path):
    bomb = ["a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for i in range(8):
        prev, name = chr(97 + i), chr(98 + i)
        bomb.append(f"{name}: &{name} [{','.join(['*' + prev] * 10)}]")
    for data in ("\n".join(bomb).encode(), b"[" * 50_000, b"name: !!python/name:os.system x\n"):
        assert isinstance(load_profile_or_problems(tmp_path / "v.yaml", data), PlaylistError)


def test_builtin_profiles_still_load():
    assert {"default", "hd-projector", "dci-4k"} <= set(builtin_names())


SUBTITLE_CODES = {code for code in CODES if code.startswith("subtitles-")}


def assert_named(problems) -> None:
    """Every problem is a subtitle one, and says which file (and line, where it has one)."""
    for p in problems:
        assert p.code in SUBTITLE_CODES and p.message.strip()
        assert p.message.startswith("s.srt") or "s.srt" in p.message


@FUZZ
@given(data=st.binary(max_size=3000), duration=st.none() | st.integers(0, 10**8))
def test_subtitles_arbitrary_bytes(data, duration):
    assert_named(check_subtitles(Path("/tmp/s.srt"), data, duration))


srt_lines = st.lists(
    st.one_of(
        st.from_regex(r"\A\d{1,3}\Z"),
        st.from_regex(r"\A\d{1,2}:\d{2}:\d{2}[,.]\d{1,3} --> \d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\Z"),
        st.text(alphabet=string.printable + "éà中文\u202e\u0000", max_size=40),
        st.just(""),
    ),
    max_size=40,
)


@FUZZ
@given(lines=srt_lines, duration=st.none() | st.integers(0, 10**7))
def test_subtitles_srt_like_text(lines, duration):
    data = "\n".join(lines).encode("utf-8")
    assert_named(check_subtitles(Path("/tmp/s.srt"), data, duration))


def test_subtitle_edge_cases():
    srt = b"1\n00:00:01,000 --> 00:00:02,000\nBonjour\n"
    assert check_subtitles(Path("a.srt"), srt, 5_000) == []
    assert check_subtitles(Path("a.srt"), b"\xef\xbb\xbf" + srt, 5_000) == []
    assert check_subtitles(Path("a.srt"), srt.decode().encode("utf-16"), 5_000) == []  # BOM
    assert check_subtitles(Path("a.srt"), srt, 500)  # runs past the film
    assert check_subtitles(Path("a.srt"), b"", 5_000)
    assert check_subtitles(Path("a.srt"), None, 5_000)
    missing = check_subtitles(Path("gone.srt"), None, 5_000, exists=False)
    assert [p.code for p in missing] == ["subtitles-missing"]
