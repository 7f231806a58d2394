"""Editing a playlist document as undoable commands (pure: no Qt).

Every change the editor makes is a command object with `do(doc)` and `undo(doc)` over a
`PlaylistDoc` (its ruamel tree), pushed on an `UndoStack`. Commands keep the exact nodes they
replace or remove (with their comments and styles), so undo puts back what was written.

Paths into the document are tuples of keys and indexes from the top, e.g.
`("items", 2, "title", "fr")` or `("defaults", "card_seconds")`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from player.organiser.playlist_doc import PlaylistDoc

KINDS = ("film", "card", "intermission")


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


#: Pass as a value to `SetField` to remove the key.
DELETE: Any = _Delete()


# ---------------------------------------------------------------------------------- helpers


def to_node(value: Any) -> Any:
    """Plain data -> ruamel nodes (dict -> CommentedMap, list -> CommentedSeq), recursively."""
    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, Mapping):
        return CommentedMap((k, to_node(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return CommentedSeq(to_node(v) for v in value)
    return value


def _is_flow(node: Any) -> bool:
    return isinstance(node, CommentedMap | CommentedSeq) and bool(node.fa.flow_style())


def item_kind(node: Any) -> str | None:
    if not isinstance(node, Mapping):
        return None
    kinds = [k for k in KINDS if k in node]
    return kinds[0] if len(kinds) == 1 else None


def item_body_path(doc: PlaylistDoc, index: int) -> tuple:
    """Path of the mapping that holds an item's fields: the item itself for a film, the mapping
    under `card:` / `intermission:` otherwise."""
    kind = item_kind(doc.items[index])
    return ("items", index) if kind in (None, "film") else ("items", index, kind)


def get_path(doc: PlaylistDoc, path: Sequence, default: Any = None) -> Any:
    node: Any = doc.data
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return default
    return node


def item_ids(doc: PlaylistDoc) -> set[str]:
    ids: set[str] = set()
    for i in range(len(doc.items)):
        body = get_path(doc, item_body_path(doc, i))
        if isinstance(body, Mapping) and isinstance(body.get("id"), str):
            ids.add(body["id"])
    return ids


def unique_id(doc: PlaylistDoc, base: str) -> str:
    taken = item_ids(doc)
    base = re.sub(r"-\d+$", "", base) or "item"
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def duration_value(text: str) -> int | float | str | None:
    """What the organiser typed for a duration -> the YAML value to write: a number of
    seconds stays a number, "m:ss" / "h:mm:ss" stays text, empty means absent (None)."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text)
    return text


def film_data(written_path: str, **fields: Any) -> CommentedMap:
    """A new film item: `film:` first, then the given fields (None values left out)."""
    data = CommentedMap([("film", written_path)])
    for key, value in fields.items():
        if value is not None:
            data[key] = to_node(value)
    return data


def card_data(text: Any = "New card", seconds: int | float | None = 8) -> CommentedMap:
    inner = CommentedMap([("text", to_node(text))])
    if seconds is None:
        inner["hold"] = True
    else:
        inner["seconds"] = seconds
    return CommentedMap([("card", inner)])


def intermission_data(minutes: int | float = 15, text: Any = None) -> CommentedMap:
    inner = CommentedMap([("minutes", minutes)])
    if text is not None:
        inner["text"] = to_node(text)
    return CommentedMap([("intermission", inner)])


# ---------------------------------------------------------------------------------- commands


class Command:
    """One undoable change. `label` names it for the Edit menu ("Undo Move item")."""

    label = "Edit"

    def do(self, doc: PlaylistDoc) -> None:
        raise NotImplementedError

    def undo(self, doc: PlaylistDoc) -> None:
        raise NotImplementedError

    def merge(self, other: Command) -> bool:
        """Absorb `other` (pushed right after this one) into this command; True when done."""
        return False


@dataclass
class InsertItem(Command):
    """Insert an item (film, card or intermission data) at `index` (len(items) appends)."""

    index: int
    data: Any
    label: str = "Add item"

    def do(self, doc: PlaylistDoc) -> None:
        index = max(0, min(self.index, len(doc.items)))
        self.index = index
        doc.items.insert(index, to_node(self.data))

    def undo(self, doc: PlaylistDoc) -> None:
        del doc.items[self.index]


def add_film(index: int, written_path: str, **fields: Any) -> InsertItem:
    return InsertItem(index, film_data(written_path, **fields), "Add film")


def add_card(index: int, text: Any = "New card", seconds: int | float | None = 8) -> InsertItem:
    return InsertItem(index, card_data(text, seconds), "Add card")


def add_intermission(index: int, minutes: int | float = 15, text: Any = None) -> InsertItem:
    return InsertItem(index, intermission_data(minutes, text), "Add intermission")


@dataclass
class RemoveItem(Command):
    index: int
    label: str = "Remove item"
    _removed: Any = field(default=None, repr=False)

    def do(self, doc: PlaylistDoc) -> None:
        self._removed = doc.items[self.index]
        del doc.items[self.index]

    def undo(self, doc: PlaylistDoc) -> None:
        doc.items.insert(self.index, self._removed)


@dataclass
class DuplicateItem(Command):
    """Copy item `index` just after itself; an explicit id gets a fresh one ("tray-2")."""

    index: int
    label: str = "Duplicate item"

    def do(self, doc: PlaylistDoc) -> None:
        clone = copy.deepcopy(doc.items[self.index])
        body_path = item_body_path(doc, self.index)
        doc.items.insert(self.index + 1, clone)
        body = get_path(doc, ("items", self.index + 1, *body_path[2:]))
        if isinstance(body, Mapping) and isinstance(body.get("id"), str):
            body["id"] = unique_id(doc, body["id"])

    def undo(self, doc: PlaylistDoc) -> None:
        del doc.items[self.index + 1]


@dataclass
class MoveItem(Command):
    """Move item `source` so that it ends up at index `target` (indexes of the final list)."""

    source: int
    target: int
    label: str = "Move item"

    def do(self, doc: PlaylistDoc) -> None:
        _move(doc.items, self.source, self.target)

    def undo(self, doc: PlaylistDoc) -> None:
        _move(doc.items, self.target, self.source)


def _move(seq: CommentedSeq, source: int, target: int) -> None:
    node = seq[source]
    del seq[source]
    seq.insert(target, node)


@dataclass
class SetField(Command):
    """Set the value at `path` (creating missing parent mappings), or remove it with DELETE.

    With `merge=True`, a following SetField on the same path (the next keystroke in the same
    field) folds into this one, so one undo takes back the whole typing."""

    path: tuple
    value: Any
    label: str = "Edit field"
    merge_typing: bool = False
    _old: Any = field(default=DELETE, repr=False)
    _position: int | None = field(default=None, repr=False)
    _comment: Any = field(default=None, repr=False)
    _created: int = field(default=0, repr=False)  # how many parent mappings `do` created

    def do(self, doc: PlaylistDoc) -> None:
        parent: Any = doc.data
        self._created = 0
        for depth, key in enumerate(self.path[:-1]):
            if isinstance(parent, Mapping) and key not in parent:
                if self.value is DELETE:
                    self._old = DELETE
                    return
                parent[key] = CommentedMap()
                if self._created == 0:
                    self._created = len(self.path) - 1 - depth
            parent = parent[key]
        key = self.path[-1]
        exists = key in parent if isinstance(parent, Mapping) else 0 <= key < len(parent)
        self._old = parent[key] if exists else DELETE
        if isinstance(parent, Mapping) and exists:
            self._position = list(parent.keys()).index(key)
            self._comment = parent.ca.items.get(key) if hasattr(parent, "ca") else None
        if self.value is DELETE:
            if exists:
                if isinstance(parent, Mapping):
                    parent.ca.items.pop(key, None)
                del parent[key]
        else:
            node = to_node(copy.deepcopy(self.value))
            if _is_flow(self._old) and isinstance(node, CommentedMap | CommentedSeq):
                node.fa.set_flow_style()  # `languages: [zh, fr]` stays on one line
            parent[key] = node

    def undo(self, doc: PlaylistDoc) -> None:
        if self._created:
            top = self.path[: len(self.path) - self._created]
            holder = get_path(doc, top[:-1])
            del holder[top[-1]]
            return
        parent = get_path(doc, self.path[:-1])
        if parent is None:
            return
        key = self.path[-1]
        if self._old is DELETE:
            if isinstance(parent, Mapping) and key in parent:
                del parent[key]
            return
        if isinstance(parent, CommentedMap) and key not in parent and self._position is not None:
            parent.insert(self._position, key, self._old)
        else:
            parent[key] = self._old
        if self._comment is not None:
            parent.ca.items[key] = self._comment

    def reapply(self, doc: PlaylistDoc) -> None:
        """Write the (merged) value again, keeping what undo restores."""
        saved = (self._old, self._position, self._comment, self._created)
        self.do(doc)
        self._old, self._position, self._comment, self._created = saved

    def merge(self, other: Command) -> bool:
        if (
            self.merge_typing
            and isinstance(other, SetField)
            and other.merge_typing
            and other.path == self.path
        ):
            # Undo must go back to the value before the first keystroke: keep our `_old`.
            self.value = other.value
            return True
        return False


@dataclass
class Batch(Command):
    """Several commands as one undo step (e.g. dropping five files at once)."""

    commands: list[Command]
    label: str = "Edit"

    def do(self, doc: PlaylistDoc) -> None:
        for command in self.commands:
            command.do(doc)

    def undo(self, doc: PlaylistDoc) -> None:
        for command in reversed(self.commands):
            command.undo(doc)


# ---------------------------------------------------------------------------------- the stack


class UndoStack:
    """Applies commands to `doc` and keeps them for undo/redo. `changed()` (optional) is called
    after every push, undo and redo. `is_clean` says whether the document is as last saved."""

    def __init__(self, doc: PlaylistDoc, changed: Callable[[], None] | None = None):
        self.doc = doc
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean_depth: int | None = 0
        self._changed = changed or (lambda: None)
        self._merge_open = False

    def push(self, command: Command) -> None:
        """Do `command` now and record it (clears the redo list)."""
        if self._merge_open and self._done and self._done[-1].merge(command):
            top = self._done[-1]
            assert isinstance(top, SetField)
            top.reapply(self.doc)
        else:
            command.do(self.doc)
            self._done.append(command)
            if self._clean_depth is not None and self._clean_depth >= len(self._done):
                self._clean_depth = None  # the saved state can no longer be reached
        self._undone.clear()
        self._merge_open = isinstance(command, SetField) and command.merge_typing
        self._changed()

    def close_merge(self) -> None:
        """End a run of typing: the next SetField starts a new undo step."""
        self._merge_open = False

    def undo(self) -> bool:
        if not self._done:
            return False
        command = self._done.pop()
        command.undo(self.doc)
        self._undone.append(command)
        self._merge_open = False
        self._changed()
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        command = self._undone.pop()
        command.do(self.doc)
        self._done.append(command)
        self._merge_open = False
        self._changed()
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_label(self) -> str:
        return self._done[-1].label if self._done else ""

    @property
    def redo_label(self) -> str:
        return self._undone[-1].label if self._undone else ""

    def mark_clean(self) -> None:
        self._clean_depth = len(self._done)
        self._merge_open = False

    @property
    def is_clean(self) -> bool:
        return self._clean_depth == len(self._done)
