"""player.core.subtitles: encodings, parsing and the subtitler's rules, on generated files shaped
like a film's (a few hundred cues of French or Chinese dialogue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core import subtitles as subs
from player.core.subtitles import Rule, SubtitleError, SubtitleFormat
from support import subs as make

NIGHT = ("zh", "fr")  # a Sino-French night's languages: the hint


@pytest.mark.parametrize(
    ("language", "encoding", "name"),
    [
        ("fr", "utf-8", "UTF-8"),
        ("fr", "utf-8-sig", "UTF-8 (BOM)"),
        ("zh", "utf-16-le", "UTF-16 (BOM)"),
        ("zh", "utf-16-be", "UTF-16 (BOM)"),
        ("fr", "utf-32-le", "UTF-32 (BOM)"),
        ("zh", "utf-32-be", "UTF-32 (BOM)"),
        ("fr", "cp1252", "windows-1252"),
        ("fr", "iso8859_15", "ISO-8859-15"),
        ("zh", "gb18030", "GB18030"),
        ("zh-Hant", "big5", "Big5"),
    ],
)
def test_each_encoding_is_found_and_read(tmp_path, language, encoding, name):
    path = make.make(tmp_path, f"film.{language}.srt", language, encoding)
    detected = subs.detect_encoding(path, NIGHT)
    human = "Chinese" if language.startswith("zh") else "French"
    assert detected.describe() == f"{name}, {human}"
    assert detected.sure
    text = subs.read_text(path, NIGHT)
    assert text == make.srt(make.dialogue(language))  # every character right, BOM dropped


def test_iso_8859_15_and_windows_1252_are_told_apart_by_their_letters(tmp_path):
    # œ and € are 0xBD and 0xA4 in ISO-8859-15 (½ and ¤ in windows-1252), 0x9C and 0x80 in
    # windows-1252 (controls in ISO-8859-15): the text says which.
    for encoding, expected in (("iso8859_15", "ISO-8859-15"), ("cp1252", "windows-1252")):
        data = "1\n00:00:01,000 --> 00:00:02,000\nL'œuvre coûte 5 €.\n".encode(encoding)
        assert subs.detect_encoding(data, ("fr",)).name == expected


def test_short_chinese_files_are_told_apart_too():
    for encoding, expected in (("gb18030", "GB18030"), ("big5", "Big5")):
        data = "1\n00:00:01,000 --> 00:00:02,000\n你好\n".encode(encoding)
        assert subs.detect_encoding(data, NIGHT).name == expected


def test_unsure_without_hints_and_says_what_else_it_could_be():
    data = make.srt(make.dialogue("fr", 6)).encode("cp1252")
    detected = subs.detect_encoding(data)  # no languages: every legacy encoding competes
    assert detected.name == "windows-1252"
    assert not detected.sure and detected.alternatives


def test_file_name_language_is_a_hint(tmp_path):
    assert subs.file_language(Path("film.zh-Hant.srt")) == "zh-hant"
    assert subs.file_language(Path("film.srt")) is None
    assert subs.file_language(Path("my.film.final.srt")) is None
    path = make.make(tmp_path, "film.fr.srt", "fr", "cp1252", cues=6)
    assert subs.detect_encoding(path).describe() == "windows-1252, French"


def test_mixed_encodings_are_read_line_by_line_and_reported(tmp_path):
    head = make.srt(make.dialogue("fr", 4)).encode("utf-8")
    tail = ("\n" + make.srt(make.dialogue("fr", 8)[4:])).encode("cp1252")
    path = tmp_path / "mixed.fr.srt"
    path.write_bytes(head + tail)
    detected = subs.detect_encoding(path, NIGHT)
    assert detected.mixed_line is not None and detected.other_name == "windows-1252"
    assert not detected.sure
    text = subs.read_text(path, NIGHT)
    assert "Ça coûte 5 € - c'est déjà l'été, Noël." in text and "Ã" not in text
    findings = subs.check_file(path, None, NIGHT)[1]
    (encoding,) = [f for f in findings if f.rule is Rule.ENCODING]
    assert f"mixed.fr.srt:{detected.mixed_line}: mixed encodings" in encoding.message


@pytest.mark.parametrize("kind", ["srt", "vtt", "ass"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_the_three_formats_parse_to_the_same_cues(tmp_path, kind, newline):
    path = make.make(tmp_path, f"film.zh.{kind}", "zh", "utf-8", kind=kind, newline=newline)
    parsed = subs.load_subtitles(path, NIGHT)
    assert parsed.format is {"srt": SubtitleFormat.SRT, "vtt": SubtitleFormat.VTT,
                             "ass": SubtitleFormat.ASS}[kind]  # fmt: skip
    assert parsed.issues == ()
    expected = make.dialogue("zh")
    assert [(c.start_ms, c.end_ms, c.plain) for c in parsed.cues] == expected
    assert subs.lint(parsed, 600_000) == []
    first = parsed.cues[0]
    text_lines = path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")
    assert make.cue_text("zh") in text_lines[first.line - 1 + (0 if kind == "ass" else 1)]


def test_srt_without_blank_lines_is_located(tmp_path):
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nBonjour\n"
        "2\n00:00:03,000 --> 00:00:04,000\nÀ demain\n\n"
        "3\n00:00:06,000 --> 00:00:05,000\nFin\n"
    )
    path = make.write(tmp_path / "film.fr.srt", text, "utf-8")
    parsed = subs.load_subtitles(path)
    assert [c.text for c in parsed.cues] == ["Bonjour", "À demain", "Fin"]  # number not text
    assert [(i.line, i.message) for i in parsed.issues] == [
        (5, "a cue starts without the blank line before it"),
        (9, "the cue ends before it starts"),
    ]
    messages = [f.message for f in subs.lint(parsed, 60_000) if f.rule is Rule.MALFORMED]
    assert messages[0].startswith("film.fr.srt:5: a cue starts without the blank line")
    assert messages[1].startswith("film.fr.srt:9: the cue ends before it starts")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes(range(256)) * 40, "not a text file (binary data)"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02\x03" * 500, "not a text file (binary data)"),
    ],
)
def test_binary_files_are_refused_with_the_file_named(tmp_path, data, reason):
    path = tmp_path / "film.fr.srt"
    path.write_bytes(data)
    subs_file, findings = subs.check_file(path, 60_000, NIGHT)
    assert subs_file is None
    assert [(f.rule, f.message) for f in findings] == [
        (Rule.UNREADABLE, f"film.fr.srt: {reason} — is it really subtitles?")
    ]


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.srt"
    with path.open("wb") as handle:
        handle.truncate(50_000_000)
    with pytest.raises(SubtitleError) as caught:
        subs.load_subtitles(path)
    assert str(caught.value).startswith("huge.srt: 50.0 MB is far too large for subtitles")


def test_an_unknown_format_and_a_missing_file_say_so(tmp_path):
    with pytest.raises(SubtitleError, match=r"film.sub: '.sub' is not a subtitle format"):
        subs.load_subtitles(tmp_path / "film.sub")
    with pytest.raises(SubtitleError, match=r"gone\.srt: subtitle file not found"):
        subs.load_subtitles(tmp_path / "gone.srt")


def test_what_a_subtitler_would_fix(tmp_path):
    cues = [
        (1_000, 3_000, "Bonjour."),
        (2_500, 4_000, "Chevauche le précédent."),  # overlaps
        (5_000, 5_500, "Bien trop de texte pour une demi-seconde."),  # 82 cps
        (6_000, 9_000, "Une ligne bien trop longue pour tenir sur l'écran du cinéma ce soir"),
        (10_000, 13_000, "一\n二\n三"),  # three lines
        (14_000, 17_000, "这是一个非常非常非常非常长的中文字幕行，放不下"),  # 23 wide characters
        (90_000, 92_000, "Après la fin."),
    ]
    path = make.write(tmp_path / "film.fr.srt", make.srt(cues), "utf-8")
    parsed = subs.load_subtitles(path, NIGHT)
    found = {f.rule: f for f in subs.lint(parsed, 60_000)}
    assert set(found) == {Rule.OVERLAP, Rule.READING_SPEED, Rule.LINE_TOO_LONG, Rule.PAST_END}
    assert found[Rule.OVERLAP].message.startswith("film.fr.srt:6: 1 cue(s) start before")
    assert found[Rule.READING_SPEED].line == 10
    assert "worst 82 at line 10" in found[Rule.READING_SPEED].message
    assert found[Rule.LINE_TOO_LONG].message.startswith("film.fr.srt (lines 14, 18, 24): 3 cue")
    assert "last ends at 1:32.000, the film at 1:00.000" in found[Rule.PAST_END].message
    assert subs.lint(parsed) and Rule.PAST_END not in {f.rule for f in subs.lint(parsed)}


def test_empty_and_cueless_files(tmp_path):
    empty = make.write(tmp_path / "empty.srt", "\n\n", "utf-8")
    (finding,) = subs.check_file(empty, 1_000)[1]
    assert (finding.rule, finding.message) == (Rule.EMPTY, "empty.srt is empty")
    prose = make.write(tmp_path / "notes.vtt", "Just some notes\n", "utf-8")
    rules = [f.rule for f in subs.check_file(prose, 1_000)[1]]
    assert rules == [Rule.EMPTY, Rule.MALFORMED, Rule.MALFORMED]  # no WEBVTT, text outside


def test_tracks_are_picked_by_language_or_position():
    tags = ["fra", "chi", None]
    assert subs.pick_track("fr", tags) == 0
    assert subs.pick_track("zh", tags) == 1
    assert subs.pick_track("zh-Hant", tags) == 1
    assert subs.pick_track("en", tags) is None
    assert subs.pick_track(3, tags) == 2
    assert subs.pick_track(4, tags) is None
    assert subs.same_language("zh", "zho") and subs.same_language("fr", "fre")


def test_a_clean_srt_is_written_back():
    cues = [subs.Cue(1_000, 2_500, "<i>Bonjour</i>\nà tous", 2)]
    assert subs.srt_text(cues) == "1\n00:00:01,000 --> 00:00:02,500\n<i>Bonjour</i>\nà tous\n"
