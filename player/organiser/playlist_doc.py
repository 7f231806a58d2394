"""A playlist as an editable YAML document that keeps what a person wrote by hand.

The editor, the CSV import and the bundle export change playlists through this module. It reads
the file with ruamel.yaml's round-trip loader (comments, key order, quoting and block/flow style
kept), lets the caller change the tree, and writes it back atomically (keeping NAME.yaml.bak).
Lines the edit did not touch come out as they went in: after dumping, every output line whose
YAML value equals that of the original line at the same place is replaced by the original text
(so `{ zh: 中国 }` keeps its spaces even though ruamel would write `{zh: 中国}`).

The pure model is never edited directly: `to_playlist()` dumps the document and loads it with
`playlist_io.load_playlist_text`, so the editor's messages are exactly `validate`'s.
Pure: no Qt, vlc or ffmpeg.
"""

from __future__ import annotations

import copy
import difflib
import io
import itertools
import os
import re
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken

from player.core.atomic import atomic_write
from player.core.model import Location, Playlist, PlaylistError, Problem
from player.core.playlist_io import find_problems, load_playlist_text
from player.core.yaml_source import load_located

# libyaml's C parser when present: comparing lines and finding items must stay cheap, as the
# editor validates on every keystroke.
_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Keys that hold file paths, by where they appear (film items, cards, intermissions, theme).
FILM_PATH_KEYS = ("film", "subtitles")
CARD_PATH_KEYS = ("background",)
THEME_PATH_KEYS = ("logo", "background_image")


def _yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold long titles onto a second line
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    y.allow_unicode = True
    return y


def _detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file uses them, so a dump keeps its indentation:
    the first nested mapping gives the mapping indent, the first block sequence under a key
    gives the dash offset and where the item's content starts. (A file that mixes indents
    comes out with the first ones found: ruamel has one setting per document.)"""
    mapping = sequence = offset = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, nxt in itertools.pairwise(lines):
        key = re.match(r"^( *)[^\s#-][^#]*:\s*(#.*)?$", line)
        if not key:
            continue
        dash = re.match(r"^( *)-( +)\S", nxt)
        if dash and sequence is None:
            offset = len(dash[1]) - len(key[1])
            sequence = offset + 1 + len(dash[2])
            continue
        child = re.match(r"^( *)\S", nxt)
        if not dash and child and len(child[1]) > len(key[1]) and mapping is None:
            mapping = len(child[1]) - len(key[1])
        if mapping is not None and sequence is not None:
            break
    mapping = mapping or 2
    if sequence is None or offset is None or offset < 0 or sequence < offset + 2:
        offset, sequence = 2, 4
    return mapping, sequence, offset


def _line_value(line: str) -> tuple[str, Any] | None:
    """(indent and dashes, parsed YAML value) of a one-line `key: value` / `- value`."""
    match = re.match(r"^((?: *- )* *)(.*)$", line)
    if not match or not match[2] or match[2].startswith("#"):
        return None
    try:
        return match[1], yaml.load(match[2], Loader=_FastLoader)
    except (yaml.YAMLError, ValueError):
        return None


def _keep_untouched_lines(original: str, dumped: str) -> str:
    """`dumped`, with each line that says the same as its counterpart in `original` written as
    in `original` (cosmetic differences of the dumper undone)."""
    if original == dumped:
        return dumped
    old, new = original.splitlines(keepends=True), dumped.splitlines(keepends=True)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "replace" and a1 - a0 == b1 - b0:
            for before, after in zip(old[a0:a1], new[b0:b1], strict=True):
                same = before.rstrip("\r\n") != after.rstrip("\r\n") and (
                    _line_value(before.rstrip("\r\n")) is not None
                    and _line_value(before.rstrip("\r\n")) == _line_value(after.rstrip("\r\n"))
                )
                out.append(before if same else after)
        else:
            out.extend(new[b0:b1])
    return "".join(out)


def _last_key(node: Any) -> tuple[CommentedMap, Any] | None:
    """The mapping and key whose end carries what follows `node` in the file: the last key of
    the innermost block mapping (None when the shape is one we do not touch)."""
    while isinstance(node, CommentedMap) and len(node):
        key = list(node.keys())[-1]
        value = node[key]
        if isinstance(value, CommentedMap) and not value.fa.flow_style() and len(value):
            node = value
            continue
        if isinstance(value, CommentedSeq) and not value.fa.flow_style():
            return None
        return node, key
    return None


def _blank_after(node: Any) -> bool:
    where = _last_key(node)
    if where is None:
        return False
    entry = where[0].ca.items.get(where[1])
    token = entry[2] if entry and len(entry) > 2 else None
    return token is not None and str(getattr(token, "value", "")).endswith("\n\n")


def _set_blank_after(node: Any, on: bool) -> None:
    where = _last_key(node)
    if where is None:
        return
    mapping, key = where
    entry = mapping.ca.items.get(key)
    token = entry[2] if entry and len(entry) > 2 else None
    if on and token is None:
        blank = CommentToken("\n\n", CommentMark(0), None)
        if entry:
            entry[2] = blank
        else:
            mapping.ca.items[key] = [None, None, blank, None]
    elif not on and token is not None and getattr(token, "value", "") == "\n\n":
        entry[2] = None  # only a bare blank line: a real comment stays where it was


def _same_data(a: str, b: str) -> bool:
    try:
        return yaml.load(a, Loader=_FastLoader) == yaml.load(b, Loader=_FastLoader)
    except (yaml.YAMLError, ValueError, RecursionError):
        return False


class PlaylistDoc:
    """An editable playlist document. `data` is the ruamel tree (a CommentedMap); change it
    through `player.organiser.editing` commands (for undo) or directly, then `save()`.

    Not thread-safe; all calls block briefly (a dump and a load: ~ms for a normal night)."""

    def __init__(self, data: CommentedMap, path: Path | None = None, original: str = ""):
        self.data = data
        self.path = Path(path).absolute() if path else None
        self._original = original  # the text as last read or saved
        self._yaml = _yaml(*_detect_indent(original)) if original else _yaml()
        # A file that separates its items with a blank line gets one around new or moved
        # items too (ruamel keeps the blank as a comment on the last key of the item before).
        items = data.get("items")
        self._blank_between = (
            isinstance(items, CommentedSeq)
            and len(items) >= 2
            and all(_blank_after(item) for item in items[:-1])
            and not _blank_after(items[-1])
        )

    # ------------------------------------------------------------------ reading and writing

    @classmethod
    def load(cls, path: str | Path, *, strict: bool = True) -> PlaylistDoc:
        """Read `path`. Raises PlaylistError with `validate`'s located messages when it is not
        a valid playlist — or, with `strict=False` (the editor, to let a person fix it), only
        when it is not a well-formed, safe YAML mapping with an `items` list."""
        path = Path(path).absolute()
        load_located(path)  # a missing / unreadable / oversized file: located message
        return cls.from_text(path.read_bytes().decode("utf-8-sig"), path, strict=strict)

    @classmethod
    def from_text(
        cls, text: str, path: str | Path | None = None, *, strict: bool = True
    ) -> PlaylistDoc:
        text = text.removeprefix("\ufeff")
        where = Path(path).absolute() if path else Path.cwd() / "untitled.yaml"
        # The safe reader first: alias bombs, deep nesting, unsafe tags and duplicate keys are
        # refused with located messages before ruamel sees the text.
        root = load_located(where, data=text.encode("utf-8"))
        if strict:
            load_playlist_text(text, where)
        try:
            data = _yaml().load(text)
        except (YAMLError, RecursionError) as exc:
            mark = getattr(exc, "problem_mark", None)
            loc = Location(where, mark.line + 1, mark.column + 1) if mark else Location(where)
            raise PlaylistError([Problem(f"cannot edit this YAML: {exc}", loc)]) from None
        if not isinstance(data, CommentedMap) or not isinstance(data.get("items"), CommentedSeq):
            raise PlaylistError(
                [Problem("a playlist is a mapping with a list of 'items'", root.location)]
            )
        return cls(data, path, text)

    @classmethod
    def new(cls, title: str = "Untitled night", path: str | Path | None = None) -> PlaylistDoc:
        """A fresh night with one placeholder card (a playlist needs at least one item)."""
        data = CommentedMap()
        data["version"] = 1
        data["title"] = title
        items = CommentedSeq()
        card = CommentedMap()
        card["card"] = CommentedMap([("text", "Welcome"), ("seconds", 8)])
        items.append(card)
        data["items"] = items
        return cls(data, path)

    def dump(self) -> str:
        """The document as YAML text, untouched lines as they were written."""
        if self._blank_between and isinstance(self.data.get("items"), CommentedSeq):
            items = self.data["items"]
            for index, item in enumerate(items):
                _set_blank_after(item, index < len(items) - 1)
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        dumped = out.getvalue()
        kept = _keep_untouched_lines(self._original, dumped)
        if kept != dumped and not _same_data(kept, dumped):
            return dumped  # never trade correctness for looks
        return kept

    def save(self, path: str | Path | None = None) -> Path:
        """Write atomically to `path` (default: where it was read), keeping NAME.yaml.bak.
        Saving elsewhere rewrites relative file paths so they still point at the same files.
        Raises OSError (the old file is then untouched)."""
        target = Path(path).absolute() if path else self.path
        if target is None:
            raise ValueError("this playlist has no file yet: give a path to save it")
        if self.path is not None and target.parent != self.path.parent:
            self.rebase_paths(self.path.parent, target.parent)
        elif self.path is None:
            self.relativize_below(target.parent)
        text = self.dump()
        atomic_write(target, text, backup=True)
        self.path = target
        self._original = text
        return target

    # ------------------------------------------------------------------ the model

    def to_playlist(self) -> Playlist:
        """The pure model of the current document. Raises PlaylistError (located messages)."""
        where = self.path or Path.cwd() / "untitled.yaml"
        return load_playlist_text(self.dump(), where)

    def problems(self) -> list[Problem]:
        """Every problem `validate` would report now (errors that stop loading, or the
        file-system checks of a loadable night)."""
        try:
            playlist = self.to_playlist()
        except PlaylistError as exc:
            return list(exc.problems)
        return find_problems(playlist)

    # ------------------------------------------------------------------ helpers

    @property
    def items(self) -> CommentedSeq:
        return self.data["items"]

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, written: str) -> Path:
        """A path as written in the playlist -> absolute path."""
        p = Path(str(written)).expanduser()
        return p if p.is_absolute() else self.folder / p

    def path_fields(self) -> list[tuple[Any, Any]]:
        """(container, key) for every file path the document holds, in document order."""
        found: list[tuple[Any, Any]] = []
        defaults = self.data.get("defaults")
        venue = defaults.get("venue") if isinstance(defaults, dict) else None
        if isinstance(venue, str) and ("/" in venue or venue.endswith((".yaml", ".yml"))):
            found.append((defaults, "venue"))  # a profile file, not a built-in name
        theme = self.data.get("theme")
        if isinstance(theme, dict):
            found += [(theme, k) for k in THEME_PATH_KEYS if isinstance(theme.get(k), str)]
        for item in self.items or []:
            if not isinstance(item, dict):
                continue
            if "film" in item:
                found += [(item, k) for k in FILM_PATH_KEYS if isinstance(item.get(k), str)]
                inner = item.get("title_card")
            else:
                inner = item.get("card", item.get("intermission"))
            if isinstance(inner, dict):
                found += [(inner, k) for k in CARD_PATH_KEYS if isinstance(inner.get(k), str)]
        return found

    def rebase_paths(self, old_folder: Path, new_folder: Path) -> None:
        """Rewrite relative paths written for `old_folder` so they work from `new_folder`
        (relative where the file lies below the new folder, absolute otherwise)."""
        for container, key in self.path_fields():
            written = Path(str(container[key]))
            if written.is_absolute():
                continue
            target = Path(_normpath(old_folder / written))
            container[key] = relative_or_absolute(target, new_folder)

    def relativize_below(self, folder: Path) -> None:
        """Write absolute paths that lie below `folder` relative to it (a new night's first
        save: files dropped in while it had no folder)."""
        for container, key in self.path_fields():
            written = Path(str(container[key]))
            if written.is_absolute():
                container[key] = relative_or_absolute(written, folder)

    def copy(self) -> PlaylistDoc:
        clone = PlaylistDoc(copy.deepcopy(self.data), self.path, self._original)
        return clone


def _normpath(path: Path) -> str:
    return os.path.normpath(path)


def relative_or_absolute(target: Path, folder: Path) -> str:
    """`target` written relative to `folder` when it lies below it, else absolute."""
    try:
        return Path(_normpath(target)).relative_to(_normpath(folder)).as_posix()
    except ValueError:
        return str(Path(_normpath(target)))


def item_start_lines(text: str) -> list[int]:
    """1-based line where each item of the playlist `text` starts ([] when unreadable)."""
    try:
        root = yaml.compose(text, Loader=_FastLoader)
    except (yaml.YAMLError, ValueError, RecursionError):
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
            return [node.start_mark.line + 1 for node in value.value]
    return []


def item_for_line(starts: list[int], line: int | None) -> int | None:
    """Which item (index) a 1-based `line` falls in, given `item_start_lines`; None before
    the first item or when unknown."""
    if line is None:
        return None
    found = None
    for index, start in enumerate(starts):
        if start <= line:
            found = index
    return found
