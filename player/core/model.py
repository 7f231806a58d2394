"""The night as frozen, pure data: what a playlist says once it has been read and checked.

Nothing here imports Qt, vlc or ffmpeg. Times are integer milliseconds (`*_ms`); paths are
absolute (resolved against the playlist's folder, symlinks left as written).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

FORMAT_VERSION = 1
DEFAULT_CARD_MS = 8_000
# The show never raises a film by more than this (the loudness match of a near-silent track
# would bring up its noise, and a wrong measurement would deafen the room).
MAX_BOOST_DB = 12.0
# The longest `fade_out` a film may have: a fade to black is seconds long; a minute is already
# a scene of its own (and most likely a typo for 'out').
MAX_FADE_OUT_MS = 60_000


def format_duration(ms: int, *, fraction: bool = False) -> str:
    """A duration for people: 12_345 -> '0:12', 3_723_000 -> '1:02:03', -5_000 -> '-0:05'.

    Rounded to the nearest second, or with `fraction` kept to the millisecond ('1:02.5').
    """
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    seconds, millis = (ms // 1000, ms % 1000) if fraction else ((ms + 500) // 1000, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    if millis:
        text += f".{millis:03d}".rstrip("0")
    return sign + text


def matched_loudness(lufs: float, target: float, gain_db: float = 0.0) -> float:
    """The level (LUFS) a film measured at `lufs` plays at when the night's loudness_target is
    `target`: matched to it, plus the film's own `gain_db` trim, never boosted past
    MAX_BOOST_DB."""
    return lufs + min(MAX_BOOST_DB, gain_db + target - lufs)


class StepKind(enum.Enum):
    """What a step of the night is: a card (free, or a film's title card), a film or an
    intermission."""

    CARD = "card"
    FILM = "film"
    INTERMISSION = "intermission"


class Outcome(enum.Enum):
    """How a step of the night ended."""

    PLAYED = "played"  # ran to its end (or a held card was taken on by GO)
    FAILED = "failed"  # a film that would not play; the show went on
    SKIPPED = "skipped"  # the operator skipped, went back or jumped away
    STOPPED = "stopped"  # the operator stopped or faded it out


class Follow(enum.Enum):
    """What happens when an item ends: go on by itself, or wait for GO."""

    AUTO = "auto"
    HOLD = "hold"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """Where something was written: 1-based line and column in `file` (None when unknown)."""

    file: Path | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(self.file) if self.file else "<playlist>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing a person must fix, with where it was written."""

    message: str
    location: Location = field(default_factory=Location)
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.message}"

    def to_json(self) -> dict:
        return {
            "file": str(self.location.file) if self.location.file else None,
            "line": self.location.line,
            "column": self.location.column,
            "severity": self.severity.value,
            "message": self.message,
        }


class PlaylistError(Exception):
    """The playlist could not be loaded; `problems` lists every reason, each located."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class LocalText:
    """Human-readable text, either one plain string or one string per language code.

    A plain string is stored under the language code "" (meaning: any language).
    """

    texts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, value: str | Mapping[str, str] | LocalText) -> LocalText:
        if isinstance(value, LocalText):
            return value
        if isinstance(value, str):
            return cls((("", value),))
        return cls(tuple((str(k), str(v)) for k, v in value.items()))

    @property
    def is_plain(self) -> bool:
        return len(self.texts) == 1 and self.texts[0][0] == ""

    def get(self, language: str) -> str | None:
        for lang, text in self.texts:
            if lang == language:
                return text
        return None

    def lines(self, languages: Iterable[str] = ()) -> list[tuple[str, str]]:
        """(language, text) pairs in the night's language order, then any others as written.

        A plain string gives one line whatever the languages.
        """
        if self.is_plain:
            return list(self.texts)
        order = list(languages)
        ranked = [(lang, text) for lang in order for (lg, text) in self.texts if lg == lang]
        rest = [(lg, text) for (lg, text) in self.texts if lg not in order]
        return ranked + rest

    def first(self, languages: Iterable[str] = ()) -> str:
        """The text to use where only one line fits (first of the night's languages)."""
        lines = self.lines(languages)
        return lines[0][1] if lines else ""

    def to_data(self) -> str | dict[str, str]:
        return self.texts[0][1] if self.is_plain else dict(self.texts)

    def __str__(self) -> str:
        return self.first()


OscArg = int | float | str | bool
OSC_INT_RANGE = (-(2**31), 2**31 - 1)  # an OSC int is 32 bits; larger numbers go as floats


@dataclass(frozen=True)
class OscMessage:
    """One OSC message the show sends (show control): an address such as '/eos/cue/1/fire'
    and its arguments (32-bit ints, floats, strings, true/false)."""

    address: str
    args: tuple[OscArg, ...] = ()
    location: Location = field(default_factory=Location, compare=False)

    def __str__(self) -> str:
        return " ".join(
            [self.address, *(repr(a) if isinstance(a, str) else str(a) for a in self.args)]
        )


@dataclass(frozen=True)
class OscTarget:
    """Where show control sends its OSC messages: a host (name or address) and a UDP port."""

    host: str
    port: int
    location: Location = field(default_factory=Location, compare=False)


@dataclass(frozen=True)
class Card:
    """A card shown on the projector: free text, a film's replacement title card, or a
    neutral card. `duration_ms` is None only when `hold` is true (up until GO)."""

    id: str
    text: LocalText
    duration_ms: int | None = DEFAULT_CARD_MS
    hold: bool = False
    background: Path | None = None
    notes: LocalText | None = None
    on_start: tuple[OscMessage, ...] | None = None  # None: the night's defaults
    on_end: tuple[OscMessage, ...] | None = None
    location: Location = field(default_factory=Location, compare=False)

    kind = StepKind.CARD

    @property
    def title(self) -> LocalText:
        return self.text


@dataclass(frozen=True)
class Intermission:
    """A break with a live countdown on screen; goes on by itself at zero unless held."""

    id: str
    duration_ms: int
    text: LocalText | None = None
    background: Path | None = None
    follow: Follow | None = None
    notes: LocalText | None = None
    on_start: tuple[OscMessage, ...] | None = None  # None: the night's defaults
    on_end: tuple[OscMessage, ...] | None = None
    location: Location = field(default_factory=Location, compare=False)

    kind = StepKind.INTERMISSION

    @property
    def title(self) -> LocalText:
        return self.text or LocalText.of("Intermission")


@dataclass(frozen=True)
class Film:
    """A film to play. `in_ms`/`out_ms` trim it. The last `fade_out_ms` of its played length
    (ending at `out`, or the file's end) fade picture and sound to black and silence; 0 means no
    fade (the film cuts at its end). `title_card` is None to follow the night's default,
    True/False to force a card generated from its metadata on or off, or a `Card` that replaces
    the generated one."""

    id: str
    path: Path
    title: LocalText
    director: LocalText | None = None
    year: int | None = None
    country: LocalText | None = None
    language: str | None = None
    runtime_ms: int | None = None
    subtitles: Path | None = None
    # Tracks inside the film's file: a language ('fr', 'zh') or a 1-based position; None
    # leaves the file's first audio track and shows no embedded subtitles.
    subtitle_track: str | int | None = None
    audio_track: str | int | None = None
    in_ms: int = 0
    out_ms: int | None = None
    gain_db: float = 0.0
    fade_out_ms: int = 0
    follow: Follow | None = None
    title_card: bool | Card | None = None
    notes: LocalText | None = None
    on_start: tuple[OscMessage, ...] | None = None  # None: the night's defaults
    on_end: tuple[OscMessage, ...] | None = None
    location: Location = field(default_factory=Location, compare=False)

    kind = StepKind.FILM

    @property
    def declared_duration_ms(self) -> int | None:
        """Running time after trims, from the declared runtime (None when not computable)."""
        end = self.out_ms if self.out_ms is not None else self.runtime_ms
        if end is None:
            return None
        return max(0, end - self.in_ms)

    def played_ms(self, media_ms: int | None) -> int | None:
        """How long it plays: the media's length with in/out applied when known (an `out`
        past the end stops at the end), else the declared runtime with trims, else None."""
        if media_ms is None:
            return self.declared_duration_ms
        end = media_ms if self.out_ms is None else min(self.out_ms, media_ms)
        return max(0, end - self.in_ms)


Item = Film | Card | Intermission


@dataclass(frozen=True)
class Defaults:
    title_cards: bool = True
    card_ms: int = DEFAULT_CARD_MS
    follow: Follow = Follow.AUTO
    loudness_target: float | None = None
    venue: str | None = None
    # Show control: sent as every step that has no list of its own starts / ends.
    on_start: tuple[OscMessage, ...] = ()
    on_end: tuple[OscMessage, ...] = ()


class SubtitleOutline(enum.Enum):
    NONE = "none"
    THIN = "thin"
    NORMAL = "normal"
    THICK = "thick"


@dataclass(frozen=True)
class Theme:
    """How cards and subtitles look. Colours are '#rrggbb'; `font` is a family name (Noto CJK
    covers CJK). `subtitle_font` None means the cards' font; `subtitle_size` is the subtitles'
    font size in percent of the picture height."""

    font: str = "Noto Sans CJK SC"
    background: str = "#000000"
    text_color: str = "#f2f2f2"
    accent_color: str = "#d4a53c"
    logo: Path | None = None
    background_image: Path | None = None
    subtitle_font: str | None = None
    subtitle_size: float = 5.5
    subtitle_color: str = "#ffffff"
    subtitle_outline: SubtitleOutline = SubtitleOutline.NORMAL
    subtitle_shadow: bool = True


@dataclass(frozen=True)
class Playlist:
    title: LocalText
    items: tuple[Item, ...]
    version: int = FORMAT_VERSION
    path: Path | None = field(default=None, compare=False)  # where it was read from
    venue: LocalText | None = None
    date: date | None = None
    start_ms: int | None = None  # planned start of the first item, ms after midnight
    languages: tuple[str, ...] = ()
    notes: LocalText | None = None
    defaults: Defaults = field(default_factory=Defaults)
    theme: Theme = field(default_factory=Theme)
    osc_out: OscTarget | None = None  # show control: where on_start / on_end messages go

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def films(self) -> list[Film]:
        return [item for item in self.items if isinstance(item, Film)]

    def follow_of(self, item: Item) -> Follow:
        """The effective follow mode after `item` ends (cards with hold wait for GO)."""
        if isinstance(item, Card):
            return Follow.HOLD if item.hold else Follow.AUTO
        return item.follow or self.defaults.follow

    def show_control(self, step: Step) -> tuple[tuple[OscMessage, ...], tuple[OscMessage, ...]]:
        """The OSC messages sent as `step` starts and as it ends: its own lists, else the
        night's defaults (an empty list of its own sends nothing)."""
        own = step.own
        start = self.defaults.on_start if own.on_start is None else own.on_start
        end = self.defaults.on_end if own.on_end is None else own.on_end
        return start, end

    def title_card_for(self, film: Film) -> Card | None:
        """The card shown before `film`, or None. Generated cards are built by the caller
        from the film's metadata; this says only whether there is one and its timing."""
        if isinstance(film.title_card, Card):
            return film.title_card
        wanted = self.defaults.title_cards if film.title_card is None else film.title_card
        if wanted:
            return Card(
                id=f"{film.id}-card",
                text=film.title,
                duration_ms=self.defaults.card_ms,
                location=film.location,
            )
        return None


@dataclass(frozen=True)
class Step:
    """One thing the audience sees, in running order: a card (free, or a film's title card), a
    film or an intermission. The sequencer runs steps; the schedule times them.

    `item_index` points into `Playlist.items`; a film's title card step has the film as `item`
    and the card (generated or replacing) as `card`.
    """

    index: int
    item_index: int
    kind: StepKind
    item: Item
    card: Card | None = None
    is_title_card: bool = False

    @property
    def own(self) -> Item:
        """What this step shows: its card (a film's title card step), else its item."""
        return self.card if self.kind is StepKind.CARD and self.card is not None else self.item


def steps(playlist: Playlist) -> list[Step]:
    """The night as a flat list of steps: each film preceded by its title card, if any."""
    out: list[Step] = []
    for item_index, item in enumerate(playlist.items):
        if isinstance(item, Film):
            card = playlist.title_card_for(item)
            if card is not None:
                out.append(
                    Step(len(out), item_index, StepKind.CARD, item, card, is_title_card=True)
                )
            out.append(Step(len(out), item_index, StepKind.FILM, item))
        elif isinstance(item, Card):
            out.append(Step(len(out), item_index, StepKind.CARD, item, item))
        else:
            out.append(Step(len(out), item_index, StepKind.INTERMISSION, item))
    return out
