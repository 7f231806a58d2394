"""Playlist files <-> the pure model: loading with located errors, checking, atomic saving,
and the JSON Schema of the format.

`SCHEMA` below is the one statement of which keys exist where: the loader's unknown-key check
and the published JSON Schema both come from it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from player.core.model import (
    DEFAULT_CARD_MS,
    FORMAT_VERSION,
    MAX_FADE_OUT_MS,
    OSC_INT_RANGE,
    Card,
    Defaults,
    Film,
    Follow,
    Intermission,
    Item,
    LocalText,
    Location,
    OscArg,
    OscMessage,
    OscTarget,
    Playlist,
    PlaylistError,
    Problem,
    Severity,
    SubtitleOutline,
    Theme,
    format_duration,
)
from player.core.yaml_source import (
    FieldReader,
    MapNode,
    Node,
    ScalarNode,
    load_located,
    suggest,
    type_name,
)


def _clock(ms: int) -> str:
    return format_duration(ms, fraction=True)


ITEM_KINDS = ("film", "card", "intermission")
FOLLOW = {"auto": Follow.AUTO, "hold": Follow.HOLD}
COLOR = r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})"
# An OSC address: '/' then printable ASCII without space, '#' or ',' (wildcards are allowed).
OSC_ADDRESS = r"/[!-\"$-+\--~]*"

# --------------------------------------------------------------------------- the format

_TEXT = {"$ref": "#/$defs/text"}
_DURATION = {"$ref": "#/$defs/duration"}
_PATH = {"type": "string", "minLength": 1}
LANGUAGE = r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*"
_TRACK = {
    "oneOf": [
        {"type": "string", "pattern": f"^{LANGUAGE}$"},
        {"type": "integer", "minimum": 1},
    ]
}
SUBTITLE_SUFFIXES = (".srt", ".ass", ".ssa", ".vtt")
OUTLINE = {o.value: o for o in SubtitleOutline}


_OSC = {"$ref": "#/$defs/osc_messages"}
_ON_START = {**_OSC, "description": "Show control: OSC messages sent as this starts."}
_ON_END = {**_OSC, "description": "Show control: OSC messages sent as this ends."}


def _obj(props: dict, required: list[str] | None = None, desc: str = "") -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    if desc:
        schema["description"] = desc
    return schema


_CARD_PROPS = {
    "text": {**_TEXT, "description": "The card's text, one line per language."},
    "seconds": {**_DURATION, "description": "How long the card stays up."},
    "hold": {"type": "boolean", "description": "Stay up until GO."},
    "background": {**_PATH, "description": "Background image."},
    "id": {"type": "string"},
    "notes": _TEXT,
    "on_start": _ON_START,
    "on_end": _ON_END,
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://screening-night.example/playlist-v1.schema.json",
    "title": "Screening Night playlist (format version 1)",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": 1, "description": "Format version: 1."},
        "title": {**_TEXT, "description": "The night's title."},
        "venue": _TEXT,
        "date": {"type": "string", "format": "date", "description": "YYYY-MM-DD"},
        "start": {
            "type": "string",
            "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$",
            "description": "Planned start of the first item, HH:MM.",
        },
        "languages": {
            "type": "array",
            "items": {"type": "string"},
            "uniqueItems": True,
            "description": "Order of the language lines on cards, e.g. [zh, fr, en].",
        },
        "notes": _TEXT,
        "defaults": _obj(
            {
                "title_cards": {"type": "boolean", "default": True},
                "card_seconds": {**_DURATION, "default": 8},
                "follow": {"enum": ["auto", "hold"], "default": "auto"},
                "loudness_target": {
                    "type": "number",
                    "minimum": -70,
                    "maximum": 0,
                    "description": "Target integrated loudness in LUFS (e.g. -23).",
                },
                "venue": {"type": "string", "description": "Venue profile name or path."},
                "on_start": {
                    **_OSC,
                    "description": "OSC messages sent as each step starts (unless it lists "
                    "its own).",
                },
                "on_end": {
                    **_OSC,
                    "description": "OSC messages sent as each step ends (unless it lists its own).",
                },
            }
        ),
        "osc_out": _obj(
            {
                "host": {"type": "string", "minLength": 1, "description": "Name or address."},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            },
            ["host", "port"],
            desc="Show control: where on_start / on_end OSC messages are sent (UDP).",
        ),
        "theme": _obj(
            {
                "font": {"type": "string"},
                "background": {"type": "string", "pattern": f"^{COLOR}$"},
                "text_color": {"type": "string", "pattern": f"^{COLOR}$"},
                "accent_color": {"type": "string", "pattern": f"^{COLOR}$"},
                "logo": _PATH,
                "background_image": _PATH,
                "subtitle_font": {
                    "type": "string",
                    "description": "Font family of the subtitles (default: 'font').",
                },
                "subtitle_size": {
                    "type": "number",
                    "minimum": 2,
                    "maximum": 12,
                    "default": 5.5,
                    "description": "Subtitle font size in percent of the picture height.",
                },
                "subtitle_color": {"type": "string", "pattern": f"^{COLOR}$", "default": "#ffffff"},
                "subtitle_outline": {
                    "enum": list(OUTLINE),
                    "default": "normal",
                    "description": "Dark outline around the subtitle letters.",
                },
                "subtitle_shadow": {
                    "type": "boolean",
                    "default": True,
                    "description": "A soft drop shadow under the subtitles.",
                },
            },
            desc="How cards and subtitles look.",
        ),
        "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
    },
    "$defs": {
        "text": {
            "oneOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "propertyNames": {"pattern": f"^{LANGUAGE}$"},
                    "additionalProperties": {"type": "string"},
                    "minProperties": 1,
                },
            ]
        },
        "duration": {
            "oneOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^(\d+:)?\d+:\d+(\.\d+)?$|^\d+(\.\d+)?$"},
            ],
            "description": "Seconds, or m:ss / h:mm:ss (fractions allowed).",
        },
        "osc_messages": {
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": "string", "pattern": f"^{OSC_ADDRESS}$"},
                    _obj(
                        {
                            "address": {"type": "string", "pattern": f"^{OSC_ADDRESS}$"},
                            "args": {
                                "type": "array",
                                "items": {
                                    "anyOf": [
                                        {
                                            "type": "integer",
                                            "minimum": OSC_INT_RANGE[0],
                                            "maximum": OSC_INT_RANGE[1],
                                        },
                                        {"type": "number"},
                                        {"type": "string"},
                                        {"type": "boolean"},
                                    ]
                                },
                            },
                        },
                        ["address"],
                    ),
                ]
            },
            "description": "OSC messages: an address ('/eos/cue/1/fire'), or "
            "{address, args: [numbers, text, true/false]}.",
        },
        "card": _obj(_CARD_PROPS, desc="A card: 'seconds' or 'hold: true'."),
        "item": {
            "oneOf": [
                _obj(
                    {
                        "film": {**_PATH, "description": "The media file."},
                        "title": _TEXT,
                        "director": _TEXT,
                        "year": {"type": "integer", "minimum": 1870, "maximum": 2200},
                        "country": _TEXT,
                        "language": {"type": "string"},
                        "runtime": _DURATION,
                        "subtitles": {
                            **_PATH,
                            "pattern": r"\.([sS][rR][tT]|[aA][sS][sS]|[sS][sS][aA]|[vV][tT][tT])$",
                            "description": "A subtitle file beside the film: .srt, .ass/.ssa "
                            "or .vtt, in any encoding (found by the check).",
                        },
                        "subtitle_track": {
                            **_TRACK,
                            "description": "Show the film's own subtitle track in this "
                            "language (e.g. fr) or at this position (1 = the first).",
                        },
                        "audio_track": {
                            **_TRACK,
                            "description": "Play the film's audio track in this language (e.g. "
                            "zh) or at this position (1 = the first).",
                        },
                        "in": _DURATION,
                        "out": _DURATION,
                        "fade_out": {
                            **_DURATION,
                            "maximum": MAX_FADE_OUT_MS // 1000,
                            "description": "Fade picture and sound to black over the film's "
                            "last seconds (ending at 'out'). 0 or absent: no fade.",
                        },
                        "gain_db": {"type": "number", "minimum": -40, "maximum": 20},
                        "follow": {"enum": ["auto", "hold"]},
                        "title_card": {"oneOf": [{"type": "boolean"}, {"$ref": "#/$defs/card"}]},
                        "notes": _TEXT,
                        "id": {"type": "string"},
                        "on_start": _ON_START,
                        "on_end": _ON_END,
                    },
                    ["film"],
                ),
                _obj({"card": {"$ref": "#/$defs/card"}}, ["card"]),
                _obj(
                    {
                        "intermission": _obj(
                            {
                                "minutes": {"type": "number", "minimum": 0},
                                "seconds": _DURATION,
                                "text": _TEXT,
                                "background": _PATH,
                                "follow": {"enum": ["auto", "hold"]},
                                "id": {"type": "string"},
                                "notes": _TEXT,
                                "on_start": _ON_START,
                                "on_end": _ON_END,
                            }
                        )
                    },
                    ["intermission"],
                ),
            ]
        },
    },
}


def _keys(schema: dict) -> list[str]:
    return list(schema["properties"])


TOP_KEYS = _keys(SCHEMA)
DEFAULTS_KEYS = _keys(SCHEMA["properties"]["defaults"])
THEME_KEYS = _keys(SCHEMA["properties"]["theme"])
FILM_KEYS = _keys(SCHEMA["$defs"]["item"]["oneOf"][0])
CARD_KEYS = _keys(SCHEMA["$defs"]["card"])
INTERMISSION_KEYS = _keys(SCHEMA["$defs"]["item"]["oneOf"][2]["properties"]["intermission"])
OSC_OUT_KEYS = _keys(SCHEMA["properties"]["osc_out"])
OSC_MESSAGE_KEYS = _keys(SCHEMA["$defs"]["osc_messages"]["items"]["oneOf"][1])


# --------------------------------------------------------------------------- loading


def load_playlist(path: str | Path) -> Playlist:
    """Read a playlist file into the model. Raises PlaylistError listing every problem."""
    path = Path(path).absolute()
    loader = _Loader(path)
    return loader.load(load_located(path, problems=loader.read.problems))


def load_playlist_text(text: str | bytes, path: str | Path) -> Playlist:
    """Read playlist YAML given as text, as if it were the file `path` (relative paths in it
    resolve against `path`'s folder; messages name `path`)."""
    path = Path(path).absolute()
    data = text.encode("utf-8") if isinstance(text, str) else text
    loader = _Loader(path)
    return loader.load(load_located(path, data=data, problems=loader.read.problems))


class _Loader:
    def __init__(self, path: Path):
        self.path = path
        self.base = path.parent
        self.read = FieldReader()
        self.ids: dict[str, Location] = {}
        self.osc_used: Location | None = None  # the first on_start / on_end list with messages

    def fail_if_errors(self) -> None:
        errors = [p for p in self.read.problems if p.severity is Severity.ERROR]
        if errors:
            errors.sort(key=lambda p: (p.location.line or 0, p.location.column or 0))
            raise PlaylistError(errors)

    def load(self, root: Node) -> Playlist:
        r = self.read
        if not isinstance(root, MapNode):
            raise PlaylistError(
                [
                    Problem(
                        "a playlist is a mapping with 'version', 'title' and 'items' at the top, "
                        f"not {type_name(root)}",
                        root.location,
                    )
                ]
            )
        r.check_keys(root, TOP_KEYS, required=("version", "title", "items"), what="the playlist")
        self._version(root)
        title = r.text(root, "title")
        languages = self._languages(root)
        start_ms = self._start(root)
        date = self._date(root)
        defaults = self._defaults(root)
        theme = self._theme(root)
        items = self._items(root, defaults)
        osc_out = self._osc_out(root)
        if osc_out is None and self.osc_used is not None and "osc_out" not in root.entries:
            r.error(
                "OSC messages are listed here but the playlist does not say where to send them: "
                "add 'osc_out: {host: 192.168.1.50, port: 8000}' at the top",
                self.osc_used,
            )
        self.fail_if_errors()
        return Playlist(
            title=title or LocalText.of(self.path.stem),
            items=tuple(items),
            path=self.path,
            venue=r.text(root, "venue"),
            date=date,
            start_ms=start_ms,
            languages=languages,
            notes=r.text(root, "notes"),
            defaults=defaults,
            theme=theme,
            osc_out=osc_out,
        )

    def _version(self, root: MapNode) -> None:
        node = root.entries.get("version")
        if node is None:
            return
        if (
            not isinstance(node, ScalarNode)
            or isinstance(node.value, bool)
            or not isinstance(node.value, int)
        ):
            self.read.error(
                f"'version' must be the number {FORMAT_VERSION}, not {type_name(node)}",
                node.location,
            )
        elif node.value > FORMAT_VERSION:
            raise PlaylistError(
                [
                    Problem(
                        f"this playlist is format version {node.value}; this Screening Night "
                        f"reads version {FORMAT_VERSION} — update Screening Night to open it",
                        node.location,
                    )
                ]
            )
        elif node.value < 1:
            self.read.error(f"'version' must be {FORMAT_VERSION}", node.location)

    def _languages(self, root: MapNode) -> tuple[str, ...]:
        node = root.entries.get("languages")
        if node is None:
            return ()
        langs: list[str] = []

        def one(n: Node) -> None:
            if not isinstance(n, ScalarNode) or not isinstance(n.value, str):
                self.read.error("each language must be a code like zh, fr or en", n.location)
            elif n.value in langs:
                self.read.error(f"language '{n.value}' is listed twice", n.location)
            else:
                langs.append(n.value)

        self.read.each(node, "languages", one)
        return tuple(langs)

    def _start(self, root: MapNode) -> int | None:
        node = root.entries.get("start")
        if node is None:
            return None
        raw = node.raw.strip() if isinstance(node, ScalarNode) else ""
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            self.read.error(
                f"'start' must be a time of day as HH:MM (e.g. \"19:30\"), not {type_name(node)}",
                node.location,
            )
            return None
        return (int(match[1]) * 60 + int(match[2])) * 60_000

    def _date(self, root: MapNode) -> dt.date | None:
        node = root.entries.get("date")
        if node is None:
            return None
        if isinstance(node, ScalarNode):
            if isinstance(node.value, dt.datetime):
                return node.value.date()
            if isinstance(node.value, dt.date):
                return node.value
            try:
                return dt.date.fromisoformat(str(node.value))
            except ValueError:
                pass
        self.read.error(
            f"'date' must be a date as YYYY-MM-DD (e.g. 2026-11-28), not {type_name(node)}",
            node.location,
        )
        return None

    def _defaults(self, root: MapNode) -> Defaults:
        node = root.entries.get("defaults")
        if node is None:
            return Defaults()
        r = self.read
        m = r.mapping(node, "'defaults'")
        if m is None:
            return Defaults()
        r.check_keys(m, DEFAULTS_KEYS, what="'defaults'")
        title_cards = r.boolean(m, "title_cards")
        card_ms = r.duration_ms(m, "card_seconds")
        if card_ms == 0:
            r.error("'card_seconds' must be more than 0", m.entries["card_seconds"].location)
            card_ms = None
        target = r.number(m, "loudness_target", minimum=-70, maximum=0)
        return Defaults(
            title_cards=True if title_cards is None else title_cards,
            card_ms=DEFAULT_CARD_MS if card_ms is None else card_ms,
            follow=r.choice(m, "follow", FOLLOW) or Follow.AUTO,
            loudness_target=None if target is None else float(target),
            venue=r.string(m, "venue"),
            on_start=self._osc_messages(m, "on_start") or (),
            on_end=self._osc_messages(m, "on_end") or (),
        )

    def _osc_out(self, root: MapNode) -> OscTarget | None:
        node = root.entries.get("osc_out")
        if node is None:
            return None
        r = self.read
        m = r.mapping(node, "'osc_out'")
        if m is None:
            return None
        r.check_keys(m, OSC_OUT_KEYS, required=("host", "port"), what="'osc_out'")
        host = r.string(m, "host")
        if host is not None and not host.strip():
            r.error("'host' is empty", m.entries["host"].location)
            host = None
        port = r.number(m, "port", integer=True, minimum=1, maximum=65535)
        if host is None or port is None:
            return None
        return OscTarget(host.strip(), int(port), m.location)

    def _osc_messages(self, node: MapNode, key: str) -> tuple[OscMessage, ...] | None:
        """A list of OSC messages (None when the key is absent: the defaults apply)."""
        value = node.entries.get(key)
        if value is None:
            return None
        messages = tuple(m for m in self.read.each(value, key, self._osc_message) if m)
        if messages and self.osc_used is None:
            self.osc_used = node.key_location(key)
        return messages

    def _osc_message(self, node: Node) -> OscMessage | None:
        r = self.read
        hint = (
            " (an OSC address starts with '/' and has no spaces, e.g. /eos/cue/1/fire; "
            "arguments go in 'args')"
        )
        if isinstance(node, ScalarNode):
            text = node.value if isinstance(node.value, str) else node.raw
            if not re.fullmatch(OSC_ADDRESS, text):
                r.error(f"'{text}' is not an OSC address{hint}", node.location)
                return None
            return OscMessage(text, (), node.location)
        if not isinstance(node, MapNode):
            r.error(f"an OSC message is an address or {{address, args}}{hint}", node.location)
            return None
        r.check_keys(node, OSC_MESSAGE_KEYS, required=("address",), what="an OSC message")
        address = r.string(node, "address", pattern=OSC_ADDRESS, hint=hint)
        args = tuple(r.each(r.get(node, "args"), "args", self._osc_arg))
        if address is None or any(a is None for a in args):
            return None
        return OscMessage(address, args, node.location)

    def _osc_arg(self, node: Node) -> OscArg | None:
        if isinstance(node, ScalarNode):
            value = node.value
            if isinstance(value, bool | str):
                return value
            if isinstance(value, int):
                low, high = OSC_INT_RANGE
                if low <= value <= high:
                    return value
                self.read.error(
                    f"{value} does not fit an OSC integer (32 bits): write it as {value}.0 to "
                    "send a float",
                    node.location,
                )
                return None
            if isinstance(value, float) and value == value and abs(value) != float("inf"):
                return value
        self.read.error(
            "an OSC argument must be a number, text or true/false, "
            f"not {type_name(node) if not isinstance(node, ScalarNode) else repr(node.raw)}",
            node.location,
        )
        return None

    def _theme(self, root: MapNode) -> Theme:
        node = root.entries.get("theme")
        if node is None:
            return Theme()
        r = self.read
        m = r.mapping(node, "'theme'")
        if m is None:
            return Theme()
        r.check_keys(m, THEME_KEYS, what="'theme'")
        base = Theme()
        hint = " (write a colour as #rrggbb, e.g. #d4a53c)"
        return Theme(
            font=r.string(m, "font") or base.font,
            background=r.string(m, "background", pattern=COLOR, hint=hint) or base.background,
            text_color=r.string(m, "text_color", pattern=COLOR, hint=hint) or base.text_color,
            accent_color=r.string(m, "accent_color", pattern=COLOR, hint=hint) or base.accent_color,
            logo=r.path(m, "logo", self.base),
            background_image=r.path(m, "background_image", self.base),
            subtitle_font=r.string(m, "subtitle_font") or None,
            subtitle_size=float(
                r.number(m, "subtitle_size", minimum=2, maximum=12) or base.subtitle_size
            ),
            subtitle_color=r.string(m, "subtitle_color", pattern=COLOR, hint=hint)
            or base.subtitle_color,
            subtitle_outline=r.choice(m, "subtitle_outline", OUTLINE) or base.subtitle_outline,
            subtitle_shadow=_default(r.boolean(m, "subtitle_shadow"), base.subtitle_shadow),
        )

    def _items(self, root: MapNode, defaults: Defaults) -> list[Item]:
        node = root.entries.get("items")
        if node is None:
            return []
        items = [i for i in self.read.each(node, "items", lambda n: self._item(n, defaults)) if i]
        if isinstance(node, ScalarNode) or (hasattr(node, "items") and not node.items):
            self.read.error(
                "'items' must list at least one film, card or intermission", node.location
            )
        return items

    def _item(self, node: Node, defaults: Defaults) -> Item | None:
        r = self.read
        if not isinstance(node, MapNode):
            r.error(
                "each item must be a mapping starting with 'film:', 'card:' or 'intermission:', "
                f"not {type_name(node)}",
                node.location,
            )
            return None
        kinds = [k for k in ITEM_KINDS if k in node.entries]
        if len(kinds) != 1:
            found = " and ".join(f"'{k}'" for k in kinds)
            r.error(
                "an item must be exactly one of 'film', 'card' or 'intermission'"
                + (
                    f"; this one has {found}"
                    if kinds
                    else f"; this one has none{self._guess(node)}"
                ),
                node.location,
            )
            return None
        kind = kinds[0]
        if kind == "film":
            return self._film(node, defaults)
        r.check_keys(node, [kind], what=f"a {kind} item (put its settings inside '{kind}:')")
        inner = node.entries[kind]
        if kind == "card":
            return self._card(inner, "card", defaults, default_id=None)
        return self._intermission(inner)

    def _guess(self, node: MapNode) -> str:
        for key in node.entries:
            hint = suggest(key, ITEM_KINDS)
            if hint:
                return f" ('{key}'{hint})"
        return ""

    def _id(self, node: MapNode, fallback: LocalText | str, kind: str) -> str:
        explicit = self.read.string(
            node,
            "id",
            pattern=r"[A-Za-z0-9][A-Za-z0-9._-]*",
            hint=(" (an id uses letters, digits, '.', '_' and '-')"),
        )
        if explicit is not None:
            if explicit in self.ids:
                self.read.error(
                    f"id '{explicit}' is already used at line {self.ids[explicit].line}",
                    node.key_location("id"),
                )
            self.ids[explicit] = node.key_location("id")
            return explicit
        base = _slug(fallback.first() if isinstance(fallback, LocalText) else fallback) or kind
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}-{n}", n + 1
        self.ids[candidate] = node.location
        return candidate

    def _film(self, node: MapNode, defaults: Defaults) -> Film | None:
        r = self.read
        r.check_keys(node, FILM_KEYS, what="a film")
        path = r.path(node, "film", self.base)
        title = r.text(node, "title")
        if title is None and path is not None:
            title = LocalText.of(path.stem)
        runtime = r.duration_ms(node, "runtime")
        in_ms = r.duration_ms(node, "in")
        out_ms = r.duration_ms(node, "out")
        if in_ms is not None and out_ms is not None and out_ms <= in_ms:
            r.error(
                f"'out' ({_clock(out_ms)}) must come after 'in' ({_clock(in_ms)})",
                node.key_location("out"),
            )
        fade_out_ms = self._fade_out(node, runtime, in_ms, out_ms)
        year = r.number(node, "year", integer=True, minimum=1870, maximum=2200)
        gain = r.number(node, "gain_db", minimum=-40, maximum=20)
        title_card: bool | Card | None = None
        tc = node.entries.get("title_card")
        if tc is not None:
            if isinstance(tc, MapNode):
                title_card = self._card(tc, "title_card", defaults, default_id=None, fallback=title)
            else:
                title_card = r.boolean(node, "title_card")
        film_id = self._id(node, title or "film", "film")
        if isinstance(title_card, Card):
            title_card = Card(**{**title_card.__dict__, "id": f"{film_id}-card"})
        if path is None or title is None:
            return None
        return Film(
            id=film_id,
            path=path,
            title=title,
            director=r.text(node, "director"),
            year=None if year is None else int(year),
            country=r.text(node, "country"),
            language=r.string(node, "language"),
            runtime_ms=runtime,
            subtitles=self._subtitles(node),
            subtitle_track=self._track(node, "subtitle_track"),
            audio_track=self._track(node, "audio_track"),
            in_ms=in_ms or 0,
            out_ms=out_ms,
            gain_db=float(gain or 0.0),
            fade_out_ms=fade_out_ms,
            follow=r.choice(node, "follow", FOLLOW),
            title_card=title_card,
            notes=r.text(node, "notes"),
            on_start=self._osc_messages(node, "on_start"),
            on_end=self._osc_messages(node, "on_end"),
            location=node.location,
        )

    def _subtitles(self, node: MapNode) -> Path | None:
        path = self.read.path(node, "subtitles", self.base)
        if path is not None and path.suffix.lower() not in SUBTITLE_SUFFIXES:
            self.read.error(
                f"'subtitles': '{path.name}' is not a subtitle file Screening Night reads — "
                "use .srt, .ass/.ssa or .vtt (ffmpeg -i in.sub out.srt converts most others)",
                node.entries["subtitles"].location,
            )
            return None
        return path

    def _track(self, node: MapNode, key: str) -> str | int | None:
        """A track chosen by language ('fr') or by 1-based position."""
        value = node.entries.get(key)
        if value is None:
            return None
        if isinstance(value, ScalarNode) and isinstance(value.value, str):
            if re.fullmatch(LANGUAGE, value.value):
                return value.value
        elif isinstance(value, ScalarNode) and type(value.value) is int and value.value >= 1:
            return value.value
        what = "subtitle" if key == "subtitle_track" else "audio"
        self.read.error(
            f"'{key}' must be a language code (e.g. fr, zh) or the {what} track's position "
            f"in the file (1 = the first), not {type_name(value)}",
            value.location,
        )
        return None

    def _fade_out(
        self, node: MapNode, runtime: int | None, in_ms: int | None, out_ms: int | None
    ) -> int:
        """`fade_out` in ms (0: none, also when written as 0), checked against the longest
        fade and against what the file says the film plays: out - in, else runtime - in."""
        r = self.read
        fade = r.duration_ms(node, "fade_out")
        if not fade:
            return 0
        if fade > MAX_FADE_OUT_MS:
            r.error(
                f"'fade_out' ({_clock(fade)}) is longer than the longest fade, "
                f"{_clock(MAX_FADE_OUT_MS)} — a fade to black takes a few seconds "
                "(e.g. fade_out: 3); to end the film earlier, use 'out'",
                node.entries["fade_out"].location,
            )
            return 0
        start = in_ms or 0
        if out_ms is not None:
            end, span = out_ms, "from 'in' to 'out'" if start else "up to 'out'"
        else:
            end, span = runtime, "its 'runtime' after 'in'" if start else "its 'runtime'"
        if end is None or end <= start:
            return fade  # the length is unknown here, or 'out'/'in' are wrong: said elsewhere
        played = end - start
        if fade > played:
            r.error(
                f"'fade_out' ({_clock(fade)}) is longer than the {_clock(played)} the film "
                f"plays ({span}) — shorten the fade",
                node.key_location("fade_out"),
            )
            return 0
        return fade

    def _card(
        self,
        node: Node,
        what: str,
        defaults: Defaults,
        *,
        default_id: str | None,
        fallback: LocalText | None = None,
    ) -> Card | None:
        r = self.read
        m = r.mapping(node, f"'{what}'")
        if m is None:
            return None
        r.check_keys(m, CARD_KEYS, what=f"'{what}'")
        text = r.text(m, "text") or fallback
        if text is None and "text" not in m.entries:
            r.error(f"'{what}' needs 'text'", m.location)
        seconds = r.duration_ms(m, "seconds")
        hold = r.boolean(m, "hold") or False
        if seconds is not None and hold:
            r.error(f"'{what}' has both 'seconds' and 'hold: true' — choose one", m.location)
        if seconds == 0:
            r.error(
                "'seconds' must be more than 0 (or use 'hold: true')", m.key_location("seconds")
            )
        if what == "card" and seconds is None and not hold and "seconds" not in m.entries:
            r.error(
                "a card needs 'seconds' (how long it stays up) or 'hold: true' (until GO)",
                m.location,
            )
        card_id = default_id or self._id(m, text or "card", "card")
        if text is None:
            return None
        return Card(
            id=card_id,
            text=text,
            duration_ms=None if hold else (seconds or defaults.card_ms),
            hold=hold,
            background=r.path(m, "background", self.base),
            notes=r.text(m, "notes"),
            on_start=self._osc_messages(m, "on_start"),
            on_end=self._osc_messages(m, "on_end"),
            location=m.location,
        )

    def _intermission(self, node: Node) -> Intermission | None:
        r = self.read
        m = r.mapping(node, "'intermission'")
        if m is None:
            return None
        r.check_keys(m, INTERMISSION_KEYS, what="'intermission'")
        minutes = r.duration_ms(m, "minutes", scale_ms=60_000)
        seconds = r.duration_ms(m, "seconds")
        if minutes is not None and seconds is not None:
            r.error("'intermission' has both 'minutes' and 'seconds' — choose one", m.location)
        duration = minutes if minutes is not None else seconds
        if duration is None and "minutes" not in m.entries and "seconds" not in m.entries:
            r.error("'intermission' needs 'minutes' (or 'seconds')", m.location)
        elif duration == 0:
            r.error("an intermission must last more than 0", m.location)
        text = r.text(m, "text")
        item_id = self._id(m, text or "intermission", "intermission")
        if not duration:
            return None
        return Intermission(
            id=item_id,
            duration_ms=duration,
            text=text,
            background=r.path(m, "background", self.base),
            follow=r.choice(m, "follow", FOLLOW),
            notes=r.text(m, "notes"),
            on_start=self._osc_messages(m, "on_start"),
            on_end=self._osc_messages(m, "on_end"),
            location=m.location,
        )


def _default(value, default):
    return default if value is None else value


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].strip("-")


# --------------------------------------------------------------------------- checking


def find_problems(playlist: Playlist) -> list[Problem]:
    """What is wrong beyond the file's syntax and schema: files that are not there, trims
    beyond the declared runtime. Reads only the file system (no media decoding)."""
    problems: list[Problem] = []

    def need_file(path: Path | None, what: str, location: Location) -> None:
        if path is None:
            return
        if not path.exists():
            problems.append(Problem(f"{what} not found: {path}", location))
        elif not path.is_file():
            problems.append(Problem(f"{what} is not a file: {path}", location))

    need_file(playlist.theme.logo, "theme logo", Location(playlist.path))
    need_file(playlist.theme.background_image, "theme background image", Location(playlist.path))
    for item in playlist.items:
        loc = Location(
            item.location.file or playlist.path, item.location.line, item.location.column
        )
        if isinstance(item, Film):
            need_file(item.path, "film", loc)
            need_file(item.subtitles, "subtitle file", loc)
            if item.runtime_ms is not None:
                for name, value in (("in", item.in_ms), ("out", item.out_ms)):
                    if value and value > item.runtime_ms:
                        problems.append(
                            Problem(
                                f"'{name}' ({_clock(value)}) is beyond the declared runtime "
                                f"({_clock(item.runtime_ms)})",
                                loc,
                            )
                        )
            if isinstance(item.title_card, Card):
                need_file(item.title_card.background, "card background", loc)
        else:
            need_file(item.background, f"{item.kind.value} background", loc)
    return problems


# --------------------------------------------------------------------------- saving


def schema_json() -> Mapping[str, Any]:
    return SCHEMA
