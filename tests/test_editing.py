"""Editing commands over a playlist document, and undo/redo: pure, no Qt."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.model import Card, Film, Intermission, PlaylistError
from player.organiser.editing import (
    DELETE,
    Batch,
    DuplicateItem,
    MoveItem,
    RemoveItem,
    SetField,
    UndoStack,
    add_card,
    add_film,
    add_intermission,
    duration_value,
    item_ids,
)
from player.organiser.playlist_doc import PlaylistDoc

TEXT = """\
version: 1
title: {fr: Nuit, en: Night}   # the night
start: "20:00"
items:
  # opening
  - card: {id: hello, text: Bonsoir, seconds: 5}
  - film: a.mp4
    id: a
    title: First
    runtime: 1:00     # as declared by the festival
  - film: b.mp4
    id: b
    title: Second
    runtime: 2:00
"""


@pytest.fixture
def doc(tmp_path) -> PlaylistDoc:
    path = tmp_path / "night.yaml"
    path.write_text(TEXT, encoding="utf-8")
    return PlaylistDoc.load(path)


def ids(doc: PlaylistDoc) -> list[str]:
    return [item.id for item in doc.to_playlist().items]


def test_add_film_card_and_intermission_then_undo_all(doc):
    stack = UndoStack(doc)
    stack.push(add_film(3, "c.mp4", title={"fr": "Troisième", "en": "Third"}, runtime="3:00"))
    stack.push(add_card(0, {"fr": "Salut", "en": "Hi"}, seconds=None))
    stack.push(add_intermission(3, minutes=10, text="Pause"))
    night = doc.to_playlist()
    assert [type(i) for i in night.items] == [Card, Card, Film, Intermission, Film, Film]
    assert night.items[0].hold and night.items[5].title.get("en") == "Third"
    assert night.items[5].runtime_ms == 180_000 and night.items[3].duration_ms == 600_000
    assert stack.undo_label == "Add intermission"
    while stack.undo():
        pass
    assert doc.dump() == TEXT


def test_remove_and_undo_restores_item_with_its_comment(doc):
    stack = UndoStack(doc)
    stack.push(RemoveItem(1))
    assert ids(doc) == ["hello", "b"]
    assert "as declared by the festival" not in doc.dump()
    stack.undo()
    assert doc.dump() == TEXT
    stack.redo()
    assert ids(doc) == ["hello", "b"]


def test_duplicate_gives_a_fresh_id(doc):
    stack = UndoStack(doc)
    stack.push(DuplicateItem(1))
    stack.push(DuplicateItem(1))
    assert ids(doc) == ["hello", "a", "a-3", "a-2", "b"]
    assert item_ids(doc) == {"hello", "a", "a-2", "a-3", "b"}
    stack.undo()
    stack.undo()
    assert doc.dump() == TEXT


@pytest.mark.parametrize(
    ("source", "target", "order"),
    [
        (0, 2, ["a", "b", "hello"]),
        (2, 0, ["b", "hello", "a"]),
        (1, 2, ["hello", "b", "a"]),
        (1, 1, ["hello", "a", "b"]),
    ],
)
def test_move(doc, source, target, order):
    stack = UndoStack(doc)
    stack.push(MoveItem(source, target))
    assert ids(doc) == order
    stack.undo()
    assert ids(doc) == ["hello", "a", "b"] and doc.dump() == TEXT


def test_set_field_replace_create_and_delete(doc):
    stack = UndoStack(doc)
    stack.push(SetField(("items", 1, "title"), {"fr": "Premier", "en": "First"}))
    stack.push(SetField(("items", 2, "in"), "0:05"))
    stack.push(SetField(("defaults", "card_seconds"), 4))
    stack.push(SetField(("items", 1, "runtime"), DELETE))
    night = doc.to_playlist()
    assert night.items[1].title.get("fr") == "Premier"
    assert night.items[2].in_ms == 5_000 and night.defaults.card_ms == 4_000
    assert night.items[1].runtime_ms is None
    for _ in range(4):
        stack.undo()
    assert doc.dump() == TEXT  # key order, the comment after runtime, all back
    for _ in range(4):
        stack.redo()
    assert doc.to_playlist().items[2].in_ms == 5_000


def test_set_field_keeps_key_position(doc):
    stack = UndoStack(doc)
    stack.push(SetField(("items", 1, "title"), "Renamed"))
    lines = doc.dump().splitlines()
    assert lines[7:10] == [
        "    id: a",
        "    title: Renamed",
        "    runtime: 1:00     # as declared by the festival",
    ]


def test_typing_merges_into_one_undo_step(doc):
    stack = UndoStack(doc)
    for text in ("S", "Se", "Sec", "Secon"):
        stack.push(SetField(("items", 2, "title"), text, merge_typing=True))
    stack.close_merge()
    stack.push(SetField(("items", 2, "title"), "Second!", merge_typing=True))
    assert doc.to_playlist().items[2].title.first() == "Second!"
    stack.undo()
    assert doc.to_playlist().items[2].title.first() == "Secon"
    stack.undo()
    assert doc.dump() == TEXT and not stack.can_undo


def test_merge_after_creating_parent_undoes_cleanly(doc):
    stack = UndoStack(doc)
    stack.push(SetField(("defaults", "venue"), "a", merge_typing=True))
    stack.push(SetField(("defaults", "venue"), "ab", merge_typing=True))
    assert doc.data["defaults"]["venue"] == "ab"
    stack.undo()
    assert "defaults" not in doc.data and doc.dump() == TEXT


def test_clean_state_tracking(doc):
    stack = UndoStack(doc)
    assert stack.is_clean
    stack.push(RemoveItem(0))
    assert not stack.is_clean
    stack.mark_clean()
    stack.undo()
    assert not stack.is_clean
    stack.redo()
    assert stack.is_clean
    stack.undo()
    stack.push(MoveItem(0, 1))  # a different branch: the saved state is gone
    assert not stack.is_clean
    stack.undo()
    assert not stack.is_clean  # the document is as loaded, not as saved


def test_batch_is_one_step_and_redo_cleared_by_push(doc):
    stack = UndoStack(doc)
    stack.push(Batch([add_film(3, "x.mp4"), add_film(4, "y.mp4")], "Add 2 films"))
    assert len(doc.to_playlist().items) == 5
    stack.undo()
    assert stack.can_redo
    stack.push(RemoveItem(2))
    assert not stack.can_redo
    assert ids(doc) == ["hello", "a"]


def test_invalid_edit_reports_validate_messages_and_undo_recovers(doc):
    stack = UndoStack(doc)
    stack.push(SetField(("items", 1, "follow"), "sometimes"))
    with pytest.raises(PlaylistError) as err:
        doc.to_playlist()
    message = str(err.value)
    assert "follow" in message and "sometimes" in message
    assert str(Path(doc.path)) in message
    problems = doc.problems()
    assert problems and problems[0].location.line == 11
    assert doc.dump().splitlines()[10] == "    follow: sometimes"
    stack.undo()
    doc.to_playlist()


@pytest.mark.parametrize(
    ("text", "value"), [("90", 90), ("1.5", 1.5), ("1:30", "1:30"), ("  ", None)]
)
def test_duration_value(text, value):
    assert duration_value(text) == value


def test_flow_style_collections_stay_flow_when_replaced(doc):
    stack = UndoStack(doc)
    stack.push(SetField(("title",), {"fr": "Nuit blanche", "en": "White night"}))
    line = doc.dump().splitlines()[1]
    assert line.startswith("title: {fr: Nuit blanche, en: White night}")
    assert line.endswith("# the night")
    stack.push(SetField(("languages",), ["fr", "en"]))  # new key: block style is fine
    assert doc.to_playlist().languages == ("fr", "en")
