"""Safe YAML reading with a location on every value, for files people write by hand.

Built on PyYAML's event stream (libyaml's C parser when present), not its constructor: we build
the tree ourselves, without recursion, so that
- every node knows its file, line and column (1-based) for messages;
- duplicate keys are refused (PyYAML silently keeps the last one);
- only plain scalars, mappings and sequences are made: any tag that would construct an object
  (`!!python/...`, custom `!tags`) is an error and nothing is executed;
- alias bombs ("billion laughs") and absurd nesting stop early with a clear message, in bounded
  time and memory.
`FieldReader` then reads typed fields from a mapping, collecting every problem (with a
did-you-mean for unknown keys) instead of stopping at the first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from player.core.model import LocalText, Location, PlaylistError, Problem, Severity

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 500_000  # after alias expansion

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:merge",
}


@dataclass
class Node:
    location: Location
    size: int = 1  # nodes in this subtree, counting alias expansions


@dataclass
class ScalarNode(Node):
    value: Any = None
    raw: str = ""  # the text as written (e.g. "19:30", which YAML 1.1 would read as 1170)
    plain: bool = True  # unquoted


@dataclass
class SeqNode(Node):
    items: list[Node] = field(default_factory=list)


@dataclass
class MapNode(Node):
    entries: dict[str, Node] = field(default_factory=dict)
    key_locations: dict[str, Location] = field(default_factory=dict)
    merged: set[str] = field(default_factory=set)  # keys that came from '<<' merges

    def key_location(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


def type_name(node: Node) -> str:
    if isinstance(node, MapNode):
        return "a mapping"
    if isinstance(node, SeqNode):
        return "a list"
    value = node.value  # type: ignore[attr-defined]
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"'{node.raw}' (true/false)"
    if isinstance(value, int | float):
        return f"the number {node.raw}"
    return f"'{node.raw}'"


def _loc(file: Path | None, mark) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def load_located(
    path: str | Path, *, data: bytes | None = None, problems: list[Problem] | None = None
) -> Node:
    """Read a YAML file (or `data` as if it were that file) into located nodes.

    Raises PlaylistError when the file cannot be read as one well-formed YAML document (empty,
    not UTF-8, syntax, too deep, too large, alias bomb). Duplicate keys and unsafe tags are
    problems too: they are appended to `problems` when given (so the caller can report them
    with its own), else raised. The first of two duplicate keys is kept; an unsafe tag's
    value is read as null.
    """
    path = Path(path)
    if data is None:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise PlaylistError([_too_large(path, size)])
            data = path.read_bytes()
        except FileNotFoundError:
            raise PlaylistError([Problem("no such file", Location(path))]) from None
        except IsADirectoryError:
            raise PlaylistError([Problem("is a folder, not a YAML file", Location(path))]) from None
        except OSError as exc:
            raise PlaylistError([Problem(f"cannot read: {exc.strerror}", Location(path))]) from None
    if len(data) > MAX_BYTES:
        raise PlaylistError([_too_large(path, len(data))])
    text = _decode(path, data)
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise PlaylistError([Problem("the file is empty", Location(path, 1, 1))])
    builder = _Builder(path)
    try:
        root = builder.build(text)
    except yaml.MarkedYAMLError as exc:
        message, mark = _yaml_message(exc, text)
        raise PlaylistError([Problem(message, _loc(path, mark))]) from None
    except yaml.YAMLError as exc:
        raise PlaylistError([Problem(f"not valid YAML: {exc}", Location(path))]) from None
    if builder.problems:
        if problems is None:
            raise PlaylistError(builder.problems)
        problems.extend(builder.problems)
    return root


def _too_large(path: Path, size: int) -> Problem:
    return Problem(
        f"the file is {size / 1e6:.1f} MB; a playlist or profile is at most "
        f"{MAX_BYTES // (1024 * 1024)} MB — is this the right file?",
        Location(path),
    )


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise PlaylistError([Problem("the file is UTF-16; save it as UTF-8", Location(path, 1, 1))])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise PlaylistError(
            [
                Problem(
                    f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                    Location(path, line, column),
                )
            ]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise PlaylistError([Problem("contains a NUL byte: not a text file", Location(path, line))])
    return text


def _yaml_message(exc: yaml.MarkedYAMLError, text: str) -> tuple[str, Any]:
    """A person's sentence for a YAML syntax error, and the mark it belongs at."""
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark or exc.context_mark
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines):
        line = lines[mark.line]
        if "\t" in line[: mark.column + 1] or "\\t" in problem:
            return "a tab character: YAML indentation must use spaces", mark
    if "maximum nesting depth" in problem:
        return f"nested too deeply (more than {MAX_DEPTH} levels)", mark
    if "quoted scalar" in context and exc.context_mark is not None:
        return "this quoted text is never closed (a missing quote)", exc.context_mark
    if "mapping values are not allowed here" in problem:
        return "unexpected ':' — quote a value that contains ': ', or check the indentation", mark
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return "bad indentation: this line does not line up with the ones above it", mark
    if "did not find expected '-' indicator" in problem:
        return "bad indentation in a list: items should start with '- ' at the same column", mark
    if "found duplicate anchor" in problem or "found undefined alias" in problem:
        return problem, mark
    what = f"{context}, {problem}" if context else problem
    return f"YAML syntax error: {what}", mark


def _tag_problem(tag: str, loc: Location) -> Problem:
    shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml") else tag
    return Problem(
        f"the YAML tag '{shown}' is not allowed (nothing is executed): a playlist holds only "
        "text, numbers, lists and mappings",
        loc,
    )


class _Builder:
    """Turns the parser's event stream into located nodes, iteratively."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []
        self.anchors: dict[str, Node] = {}
        self.total = 0
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, text: str) -> Node:
        root: Node | None = None
        documents = 0
        # Each frame: [node, pending_key(str|None), pending_key_loc, anchor]
        stack: list[list[Any]] = []
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise PlaylistError(
                        [
                            Problem(
                                "more than one YAML document ('---') in the file; "
                                "keep one playlist per file",
                                _loc(self.path, event.start_mark),
                            )
                        ]
                    )
                continue
            if isinstance(event, yaml.AliasEvent):
                target = self.anchors.get(event.anchor)
                if target is None:
                    raise PlaylistError(
                        [
                            Problem(
                                f"unknown alias '*{event.anchor}'",
                                _loc(self.path, event.start_mark),
                            )
                        ]
                    )
                self._count(target.size, event)
                root = self._attach(stack, target, event) or root
            elif isinstance(event, yaml.ScalarEvent):
                node = self._scalar(event)
                self._count(1, event)
                if event.anchor:
                    self.anchors[event.anchor] = node
                root = self._attach(stack, node, event) or root
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                self._check_tag(
                    event, "seq" if isinstance(event, yaml.SequenceStartEvent) else "map"
                )
                loc = _loc(self.path, event.start_mark)
                node = SeqNode(loc) if isinstance(event, yaml.SequenceStartEvent) else MapNode(loc)
                self._count(1, event)
                if len(stack) >= MAX_DEPTH:
                    raise PlaylistError([Problem(f"nested more than {MAX_DEPTH} levels deep", loc)])
                stack.append([node, None, None, event.anchor])
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                node, _, _, anchor = stack.pop()
                if anchor:
                    self.anchors[anchor] = node
                root = self._attach(stack, node, event) or root
        assert root is not None
        return root

    def _count(self, n: int, event) -> None:
        self.total += n
        if self.total > MAX_NODES:
            raise PlaylistError(
                [
                    Problem(
                        f"the document expands to more than {MAX_NODES:,} values through "
                        "aliases ('*name') — refused (an alias bomb?)",
                        _loc(self.path, event.start_mark),
                    )
                ]
            )

    def _check_tag(self, event, kind: str) -> None:
        tag = event.tag
        if tag in (None, "!") or tag == f"tag:yaml.org,2002:{kind}":
            return
        self.problems.append(_tag_problem(tag, _loc(self.path, event.start_mark)))

    def _scalar(self, event: yaml.ScalarEvent) -> ScalarNode:
        loc = _loc(self.path, event.start_mark)
        plain = event.implicit[0] and event.style is None
        if event.tag in (None, "!") and not event.implicit[0]:
            tag = _STR_TAG  # quoted: always text
        elif event.tag in (None, "!"):
            tag = self.resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        else:
            tag = event.tag
        if tag not in _SAFE_TAGS:
            self.problems.append(_tag_problem(tag, loc))
            return ScalarNode(loc, value=None, raw=event.value, plain=False)
        if tag == _STR_TAG:  # most values: no need for the constructor's machinery
            return ScalarNode(loc, value=event.value, raw=event.value, plain=plain)
        ynode = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.constructor.construct_object(ynode)
        except (yaml.YAMLError, ValueError, OverflowError):
            value = event.value
        return ScalarNode(loc, value=value, raw=event.value, plain=plain)

    def _attach(self, stack: list[list[Any]], node: Node, event) -> Node | None:
        """Put `node` into its parent; returns it when it is the document's root."""
        if not stack:
            return node
        frame = stack[-1]
        parent = frame[0]
        parent.size += node.size
        if isinstance(parent, SeqNode):
            parent.items.append(node)
            return None
        if frame[1] is None:  # this node is a key
            if not isinstance(node, ScalarNode):
                self.problems.append(
                    Problem("a key must be plain text, not a list or mapping", node.location)
                )
                frame[1], frame[2] = f"\0invalid{len(parent.entries)}", node.location
                return None
            if node.value is None and node.raw in ("", "~", "null"):
                self.problems.append(Problem("an empty key", node.location))
            frame[1], frame[2] = str(node.raw if node.plain else node.value), node.location
            return None
        key, key_loc = frame[1], frame[2]
        frame[1] = frame[2] = None
        if key.startswith("\0invalid"):
            return None
        if key == "<<" and isinstance(node, MapNode | SeqNode):
            self._merge(parent, node, key_loc)
            return None
        if key in parent.merged:
            parent.merged.discard(key)  # written in the mapping itself: wins over the merge
        elif key in parent.entries:
            first = parent.key_locations[key]
            self.problems.append(
                Problem(f"duplicate key '{key}' (first given at line {first.line})", key_loc)
            )
            return None
        parent.entries[key] = node
        parent.key_locations[key] = key_loc
        return None

    def _merge(self, parent: MapNode, node: Node, loc: Location) -> None:
        sources = node.items if isinstance(node, SeqNode) else [node]
        for source in sources:
            if not isinstance(source, MapNode):
                self.problems.append(Problem("'<<' merges mappings only", loc))
                continue
            for k, v in source.entries.items():
                # Keys written in the mapping itself win over merged ones.
                if k not in parent.entries:
                    parent.entries[k] = v
                    parent.key_locations[k] = source.key_location(k)
                    parent.merged.add(k)


# --------------------------------------------------------------------------- field reading

_DURATION_RE = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")


def parse_duration_ms(raw: str) -> int | None:
    """'90', '12.5', '1:30', '1:02.5', '1:02:03' -> milliseconds; None when not a duration."""
    raw = raw.strip()
    if _NUMBER_RE.match(raw):
        return round(float(raw) * 1000)
    match = _DURATION_RE.match(raw)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    if float(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    total = (int(hours or 0) * 3600 + int(minutes) * 60) * 1000 + round(float(seconds) * 1000)
    return total


def suggest(key: str, allowed: Iterable[str]) -> str:
    """' — did you mean 'title'?' or ''."""
    match = difflib.get_close_matches(key.lower(), list(allowed), n=1, cutoff=0.6)
    return f" — did you mean '{match[0]}'?" if match else ""


class FieldReader:
    """Reads typed fields out of MapNodes, collecting problems (never raising)."""

    def __init__(self, problems: list[Problem] | None = None):
        self.problems: list[Problem] = [] if problems is None else problems

    def error(self, message: str, location: Location) -> None:
        self.problems.append(Problem(message, location))

    def warn(self, message: str, location: Location) -> None:
        self.problems.append(Problem(message, location, Severity.WARNING))

    def mapping(self, node: Node, what: str) -> MapNode | None:
        if isinstance(node, MapNode):
            return node
        self.error(
            f"{what} must be a mapping (key: value lines), not {type_name(node)}", node.location
        )
        return None

    def check_keys(
        self,
        node: MapNode,
        allowed: Iterable[str],
        *,
        required: Iterable[str] = (),
        what: str,
    ) -> None:
        allowed = list(allowed)
        for key in node.entries:
            if key not in allowed:
                self.error(
                    f"unknown key '{key}' in {what}{suggest(key, allowed)}",
                    node.key_location(key),
                )
        for key in required:
            if key not in node.entries:
                self.error(f"{what} needs '{key}'", node.location)

    def _scalar(self, node: Node, key: str, expected: str) -> ScalarNode | None:
        if isinstance(node, ScalarNode):
            return node
        self.error(f"'{key}' must be {expected}, not {type_name(node)}", node.location)
        return None

    def get(self, node: MapNode, key: str) -> Node | None:
        value = node.entries.get(key)
        if isinstance(value, ScalarNode) and value.value is None and value.raw in ("", "~", "null"):
            return None
        return value

    def text(self, node: MapNode, key: str) -> LocalText | None:
        """Human-readable text: a string, or a mapping of language code to string."""
        value = self.get(node, key)
        if value is None:
            return None
        if isinstance(value, ScalarNode):
            text = value.raw if value.plain else str(value.value)
            if isinstance(value.value, str):
                text = value.value
            if not text.strip():
                self.error(f"'{key}' is empty", value.location)
                return None
            return LocalText.of(text)
        if isinstance(value, MapNode):
            pairs = {}
            for lang, sub in value.entries.items():
                if not re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", lang):
                    self.error(
                        f"'{lang}' is not a language code (like zh, fr, en, pt-BR) in '{key}'",
                        value.key_location(lang),
                    )
                    continue
                if not isinstance(sub, ScalarNode) or sub.value is None:
                    self.error(f"'{key}.{lang}' must be text", sub.location)
                    continue
                pairs[lang] = sub.value if isinstance(sub.value, str) else sub.raw
            if not pairs:
                if not value.entries:
                    self.error(f"'{key}' is empty", value.location)
                return None
            return LocalText.of(pairs)
        self.error(
            f"'{key}' must be text or a mapping of language to text "
            f"(e.g. {{zh: …, fr: …, en: …}}), not {type_name(value)}",
            value.location,
        )
        return None

    def string(
        self, node: MapNode, key: str, *, pattern: str | None = None, hint: str = ""
    ) -> str | None:
        value = self.get(node, key)
        if value is None:
            return None
        scalar = self._scalar(value, key, "text")
        if scalar is None:
            return None
        text = scalar.value if isinstance(scalar.value, str) else scalar.raw
        if pattern and not re.fullmatch(pattern, text):
            self.error(f"'{key}': '{text}' is not valid{hint}", scalar.location)
            return None
        return text

    def boolean(self, node: MapNode, key: str) -> bool | None:
        value = self.get(node, key)
        if value is None:
            return None
        scalar = self._scalar(value, key, "true or false")
        if scalar is None:
            return None
        if not isinstance(scalar.value, bool):
            self.error(f"'{key}' must be true or false, not '{scalar.raw}'", scalar.location)
            return None
        return scalar.value

    def number(
        self,
        node: MapNode,
        key: str,
        *,
        integer: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | int | None:
        value = self.get(node, key)
        if value is None:
            return None
        expected = "a whole number" if integer else "a number"
        scalar = self._scalar(value, key, expected)
        if scalar is None:
            return None
        number = scalar.value
        if isinstance(number, bool) or not isinstance(number, int | float):
            self.error(f"'{key}' must be {expected}, not '{scalar.raw}'", scalar.location)
            return None
        if integer and isinstance(number, float):
            if not number.is_integer():
                self.error(f"'{key}' must be {expected}, not {scalar.raw}", scalar.location)
                return None
            number = int(number)
        if number != number or number in (float("inf"), float("-inf")):
            self.error(f"'{key}' must be a finite number", scalar.location)
            return None
        if minimum is not None and number < minimum:
            self.error(f"'{key}' must be at least {minimum:g}, not {scalar.raw}", scalar.location)
            return None
        if maximum is not None and number > maximum:
            self.error(f"'{key}' must be at most {maximum:g}, not {scalar.raw}", scalar.location)
            return None
        return number

    def duration_ms(self, node: MapNode, key: str, *, scale_ms: int = 1000) -> int | None:
        """A duration: seconds (number) or "m:ss" / "h:mm:ss" with optional fraction.

        `scale_ms` is the unit of a bare number (1000 for seconds, 60000 for minutes).
        """
        value = self.get(node, key)
        if value is None:
            return None
        scalar = self._scalar(value, key, "a duration")
        if scalar is None:
            return None
        raw = scalar.raw.strip()
        if raw.startswith("-"):
            self.error(f"'{key}' cannot be negative ({raw})", scalar.location)
            return None
        if _NUMBER_RE.match(raw):
            return round(float(raw) * scale_ms)
        ms = parse_duration_ms(raw)
        if ms is None:
            unit = "minutes" if scale_ms == 60_000 else "seconds"
            self.error(
                f"'{key}': '{raw}' is not a duration — write {unit} (e.g. 90) "
                "or m:ss / h:mm:ss (e.g. 1:30, 1:02.5, 1:05:00)",
                scalar.location,
            )
        return ms

    def choice(self, node: MapNode, key: str, choices: dict[str, Any]) -> Any:
        value = self.get(node, key)
        if value is None:
            return None
        scalar = self._scalar(value, key, " or ".join(choices))
        if scalar is None:
            return None
        raw = scalar.raw if scalar.plain else str(scalar.value)
        if raw not in choices:
            options = " or ".join(f"'{c}'" for c in choices)
            self.error(
                f"'{key}' must be {options}, not '{raw}'{suggest(raw, choices)}", scalar.location
            )
            return None
        return choices[raw]

    def path(self, node: MapNode, key: str, base: Path) -> Path | None:
        text = self.string(node, key)
        if text is None:
            return None
        if not text.strip():
            self.error(f"'{key}' is an empty path", node.entries[key].location)
            return None
        if "\0" in text:
            self.error(f"'{key}' contains a NUL character", node.entries[key].location)
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else base / path

    def each(self, node: Node | None, key: str, fn: Callable[[Node], Any]) -> list[Any]:
        if node is None:
            return []
        if not isinstance(node, SeqNode):
            self.error(f"'{key}' must be a list (lines starting with '- ')", node.location)
            return []
        return [fn(item) for item in node.items]
