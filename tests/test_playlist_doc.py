"""The round-trip playlist document: comments, key order and untouched formatting survive."""

from __future__ import annotations

import difflib

import pytest

from player.core.model import PlaylistError
from player.core.paths import DEMO_PLAYLIST
from player.core.playlist_io import load_playlist
from player.organiser.editing import DELETE, SetField, UndoStack, duration_value, to_node
from player.organiser.playlist_doc import PlaylistDoc, item_for_line, item_start_lines

HAND_WRITTEN = """\
# yaml-language-server: $schema=playlist.schema.json
# A night written by hand.
version: 1
title:
    zh: 夜        # Chinese first
    fr: "Nuit : courts"
    en: 'Night'
venue: { fr: Cinéma, en: Cinema }
start: "21:00"
languages: [zh, fr, en]

defaults:
    card_seconds: 6
    loudness_target: -23     # LUFS

items:
    -   card:
            text: Bonsoir
            seconds: 5

    # the main feature
    -   film: media/a film.mp4
        id: main
        title: { zh: 主片, fr: Le film, en: The film }
        runtime: 1:30:00
        in: 0:10
        notes: |
            Check the level.
            Lights down at the title.
"""


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "hand.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return path


def test_untouched_document_dumps_byte_for_byte(hand):
    assert PlaylistDoc.load(hand).dump() == HAND_WRITTEN


def test_demo_night_round_trips(tmp_path):
    if not DEMO_PLAYLIST.exists():
        pytest.skip("demo playlist not generated")
    text = DEMO_PLAYLIST.read_text(encoding="utf-8")
    doc = PlaylistDoc.load(DEMO_PLAYLIST)
    assert doc.dump() == text
    doc.data["items"][1]["country"]["fr"] = "République populaire de Chine"
    assert changed_lines(text, doc.dump()) == [
        "-    country: { zh: 中国, fr: Chine, en: China }",
        "+    country: {zh: 中国, fr: République populaire de Chine, en: China}",
    ]


def test_one_edit_changes_one_line_and_keeps_comments(hand):
    doc = PlaylistDoc.load(hand)
    doc.items[1]["title"]["fr"] = "Le grand film"
    doc.data["defaults"]["card_seconds"] = 7
    out = doc.dump()
    assert changed_lines(HAND_WRITTEN, out) == [
        "-    card_seconds: 6",
        "+    card_seconds: 7",
        "-        title: { zh: 主片, fr: Le film, en: The film }",
        "+        title: {zh: 主片, fr: Le grand film, en: The film}",
    ]
    for comment in ("# Chinese first", "# LUFS", "# the main feature", "# A night written"):
        assert comment in out
    night = doc.to_playlist()
    assert night.items[1].title.get("fr") == "Le grand film" and night.defaults.card_ms == 7_000
    assert night.items[1].in_ms == 10_000 and night.items[1].runtime_ms == 5_400_000


def test_added_item_follows_the_files_indentation(hand):
    doc = PlaylistDoc.load(hand)
    doc.items.append({"intermission": {"minutes": 10}})
    out = doc.dump()
    assert out.startswith(HAND_WRITTEN.rstrip("\n"))
    assert out.endswith("    -   intermission:\n            minutes: 10\n")
    assert len(doc.to_playlist().items) == 3


def test_save_is_atomic_keeps_bak_and_reloads_the_same(hand):
    doc = PlaylistDoc.load(hand)
    doc.data["start"] = "21:30"
    doc.save()
    assert (hand.parent / "hand.yaml.bak").read_text(encoding="utf-8") == HAND_WRITTEN
    saved = hand.read_text(encoding="utf-8")
    # The value changes, its double quotes stay (ruamel keeps a quoted scalar's style when the
    # key is assigned again), and nothing else moves.
    assert changed_lines(HAND_WRITTEN, saved) == ['-start: "21:00"', '+start: "21:30"']
    assert load_playlist(hand).start_ms == (21 * 60 + 30) * 60_000
    assert PlaylistDoc.load(hand).dump() == saved
    assert not [p for p in hand.parent.iterdir() if p.name.endswith(".tmp")]


def test_save_as_elsewhere_rebases_relative_paths(hand, tmp_path):
    media = hand.parent / "media"
    media.mkdir()
    (media / "a film.mp4").write_bytes(b"x")
    doc = PlaylistDoc.load(hand)
    before = doc.to_playlist().items[1].path
    other = tmp_path / "elsewhere" / "deeper"
    other.mkdir(parents=True)
    doc.save(other / "copy.yaml")
    moved = load_playlist(other / "copy.yaml")
    assert moved.items[1].path.resolve() == before.resolve()
    # Not below the new folder: written absolute; an absolute path stays as written.
    assert f"film: {media / 'a film.mp4'}" in (other / "copy.yaml").read_text(encoding="utf-8")
    doc.save(hand.parent / "again.yaml")
    assert load_playlist(hand.parent / "again.yaml").items[1].path == before


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + HAND_WRITTEN.encode())
    assert PlaylistDoc.load(path).dump() == HAND_WRITTEN


def test_invalid_playlists_refused_with_located_messages(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntitle: x\nitems:\n  - film: a.mp4\n    titel: y\n")
    with pytest.raises(PlaylistError) as err:
        PlaylistDoc.load(bad)
    assert "bad.yaml:5" in str(err.value) and "title" in str(err.value)
    # The editor opens it anyway so a person can fix it, and sees the same problem.
    doc = PlaylistDoc.load(bad, strict=False)
    assert [p.location.line for p in doc.problems()] == [5]
    del doc.items[0]["titel"]
    # The schema problem is gone; what is left is `validate`'s file check: a.mp4 is not there.
    assert [(p.message, p.location.line) for p in doc.problems()] == [
        (f"film not found: {tmp_path / 'a.mp4'}", 4)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\ntitle: x\ntitle: y\nitems: [{card: {text: a, seconds: 1}}]\n",
        "version: 1\ntitle: !!python/object/apply:os.system [echo hi]\nitems: []\n",
        "version: 1\ntitle: [unclosed\n",
        "- just\n- a list\n",
    ],
)
def test_unsafe_or_broken_yaml_is_refused_even_when_not_strict(tmp_path, text):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(PlaylistError) as err:
        PlaylistDoc.load(path, strict=False)
    assert "x.yaml" in str(err.value)


def test_new_document_is_a_valid_night(tmp_path):
    doc = PlaylistDoc.new("Fresh")
    assert doc.to_playlist().title.first() == "Fresh"
    with pytest.raises(ValueError):
        doc.save()
    saved = doc.save(tmp_path / "fresh.yaml")
    assert load_playlist(saved).items[0].text.first() == "Welcome"


def test_save_as_in_a_subfolder_keeps_paths_pointing_at_the_same_files(tmp_path):
    if not DEMO_PLAYLIST.exists():
        pytest.skip("demo playlist not generated")
    doc = PlaylistDoc.load(DEMO_PLAYLIST)
    films = [f.path.resolve() for f in doc.to_playlist().films()]
    (tmp_path / "sub").mkdir()
    doc.save(tmp_path / "sub" / "demo.yaml")
    moved = load_playlist(tmp_path / "sub" / "demo.yaml")
    assert [f.path.resolve() for f in moved.films()] == films


def test_new_and_moved_items_keep_the_files_blank_line_rhythm(tmp_path):
    text = (
        "version: 1\ntitle: Night\nitems:\n"
        "  - card:\n      text: Hello\n      seconds: 5\n\n"
        "  - film: a.mp4\n    title: A\n\n"
        "  - film: b.mp4\n    title: B\n"
    )
    path = tmp_path / "blank.yaml"
    path.write_text(text, encoding="utf-8")
    doc = PlaylistDoc.load(path)
    doc.items.insert(1, to_node({"intermission": {"minutes": 10}}))
    doc.items.append(to_node({"film": "c.mp4"}))
    assert doc.dump().split("items:\n")[1] == (
        "  - card:\n      text: Hello\n      seconds: 5\n\n"
        "  - intermission:\n      minutes: 10\n\n"
        "  - film: a.mp4\n    title: A\n\n"
        "  - film: b.mp4\n    title: B\n\n"
        "  - film: c.mp4\n"
    )
    del doc.items[1]
    del doc.items[-1]
    assert doc.dump() == text


def test_item_start_lines_and_lookup():
    text = "version: 1\ntitle: x\nitems:\n  - film: a.mp4\n    title: A\n  - card: {text: b}\n"
    starts = item_start_lines(text)
    assert starts == [4, 6]
    assert [item_for_line(starts, n) for n in (1, 4, 5, 6, 99, None)] == [None, 0, 0, 1, 1, None]
    assert item_start_lines("- not a playlist\n") == [] and item_start_lines("a: [") == []


FADED = """\
version: 1
title: Night
items:
  - film: dave.mp4
    out: "19:30"
    fade_out: 3    # into the panel
    gain_db: -2
  - card: {text: Panel, hold: true}
"""


def test_fade_out_edits_like_out_keeping_its_line_and_comment(tmp_path):
    path = tmp_path / "faded.yaml"
    path.write_text(FADED, encoding="utf-8")
    doc = PlaylistDoc.load(path)
    assert doc.dump() == FADED and doc.to_playlist().items[0].fade_out_ms == 3_000
    stack = UndoStack(doc)
    for typed in ("0:0", "0:04", "0:04.5"):  # keystrokes: one undo step
        stack.push(SetField(("items", 0, "fade_out"), duration_value(typed), merge_typing=True))
    assert changed_lines(FADED, doc.dump()) == [
        "-    fade_out: 3    # into the panel",
        "+    fade_out: 0:04.5 # into the panel",
    ]
    assert doc.to_playlist().items[0].fade_out_ms == 4_500
    stack.close_merge()
    stack.push(SetField(("items", 0, "fade_out"), DELETE))
    assert changed_lines(FADED, doc.dump()) == ["-    fade_out: 3    # into the panel"]
    assert doc.to_playlist().items[0].fade_out_ms == 0
    stack.undo()
    stack.undo()
    assert doc.dump() == FADED
    stack.push(SetField(("items", 0, "fade_out"), 2))
    doc.save()
    assert changed_lines(FADED, path.read_text(encoding="utf-8")) == [
        "-    fade_out: 3    # into the panel",
        "+    fade_out: 2    # into the panel",
    ]
    assert load_playlist(path).items[0].fade_out_ms == 2_000


def test_fade_out_added_to_a_film_is_one_new_line(hand):
    doc = PlaylistDoc.load(hand)
    UndoStack(doc).push(SetField(("items", 1, "fade_out"), duration_value("2.5")))
    assert changed_lines(HAND_WRITTEN, doc.dump()) == ["+        fade_out: 2.5"]
    assert doc.to_playlist().items[1].fade_out_ms == 2_500
    assert [p.message.split(":")[0] for p in doc.problems()] == ["film not found"]


SHOW_CONTROL = """\
version: 1
title: Night
osc_out: {host: 192.168.1.50, port: 8000}   # the lighting desk
defaults:
  on_start: [/night/step]
items:
  - film: a.mp4
    title: A
    on_start:
      - {address: /house/level, args: [0.0]}   # house lights down
    on_end: [/eos/cue/3/fire]
"""


def test_an_edit_keeps_the_show_control_lines(tmp_path):
    path = tmp_path / "lights.yaml"
    path.write_text(SHOW_CONTROL, encoding="utf-8")
    doc = PlaylistDoc.load(path)
    UndoStack(doc).push(SetField(("items", 0, "title"), "The film"))
    doc.save()
    assert changed_lines(SHOW_CONTROL, path.read_text(encoding="utf-8")) == [
        "-    title: A",
        "+    title: The film",
    ]
    film = load_playlist(path).items[0]
    assert [str(m) for m in film.on_start] == ["/house/level 0.0"]
    assert [m.address for m in film.on_end] == ["/eos/cue/3/fire"]
