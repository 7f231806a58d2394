"""player.core.paths: the one file-name helper the as-run log, the journal, `cards` and the bundle
export share."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.paths import safe_file_name
from player.show import asrun, journal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("demo-night", "demo-night"),
        ("中法短片 夜", "中法短片_夜"),  # letters of any script stay
        ("my night", "my_night"),
        ("Film: part 1", "Film_part_1"),  # a run of ': ' is one separator
        ("night.v2", "night.v2"),
        ("-rm -rf", "rm_-rf"),  # never taken for an option
        (".hidden", "hidden"),  # never a hidden file
        ("  spaced  ", "spaced"),
        ("", "fallback"),
        ("???", "fallback"),
        ("-- : --", "fallback"),
    ],
)
def test_strict_names(text, expected):
    assert safe_file_name(text, "fallback") == expected


def test_strict_separator_and_limit():
    assert safe_file_name("Dearest card!", "card", sep="-") == "Dearest-card"
    assert safe_file_name("-x-", "card", sep="-") == "x"
    long = safe_file_name("a" * 59 + " b", "x")
    assert long == "a" * 59  # cut at 60, and no separator left dangling
    assert len(safe_file_name("影" * 100, "x")) == 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-lead dash.mp4", "-lead dash.mp4"),  # the organiser's name, as it is
        ("space #1 100%.mp4", "space #1 100%.mp4"),
        ("Film: part 2.mp4", "Film_ part 2.mp4"),  # ':' is refused by FAT and Windows
        ('a<b>c"d|e?f*g\\h.mp4', "a_b_c_d_e_f_g_h.mp4"),
        ("中文 影片.mp4", "中文 影片.mp4"),
        ("tab\there.mp4", "tab_here.mp4"),
        (" .profile ", "profile"),
        ("", "file"),
        ("...", "file"),
    ],
)
def test_lenient_names(text, expected):
    assert safe_file_name(text, "file", strict=False, limit=None) == expected


def test_log_and_journal_names_use_it():
    playlist = Path("/nights/-Nuit: 中法 2026.yaml")
    assert asrun.default_path(playlist).name.startswith("Nuit_中法_2026-")
    assert journal.default_path(playlist).name.startswith("Nuit_中法_2026-")
    assert asrun.default_path(None).name.startswith("night-")
    assert journal.default_path(Path("/nights/???.yaml")).name.startswith("night-")
