"""What a card on the projector says: pure data built from the playlist, drawn by the qt layer.

`card_content` turns one step of the night into a `CardContent`: the big lines (one per language,
in the playlist's `languages` order), the smaller detail lines, the background and the theme. The
output window, the console preview and `screening-night cards` all draw from this same value, so
what an organiser proofs as PNG is what the audience sees.

Pure: no Qt, vlc or ffmpeg. Every text is plain text; nothing here is ever read as markup.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from player.core.model import (
    Card,
    Film,
    Intermission,
    LocalText,
    Playlist,
    Step,
    StepKind,
    Theme,
    format_duration,
)

# Small fixed words on cards, per language code. Languages not listed fall back to English.
LABELS: dict[str, dict[str, str]] = {
    "running_time": {"zh": "片长", "fr": "Durée", "en": "Running time", "de": "Laufzeit"},
    "intermission": {"zh": "中场休息", "fr": "Entracte", "en": "Intermission", "de": "Pause"},
    "next": {"zh": "接下来", "fr": "Ensuite", "en": "Next", "de": "Danach"},
    "director": {"zh": "导演", "fr": "Réalisation", "en": "Directed by", "de": "Regie"},
}


class CardKind(enum.Enum):
    TITLE = "title"  # a film's generated title card
    TEXT = "text"  # a free card, or a film's replacing card
    INTERMISSION = "intermission"
    NEUTRAL = "neutral"  # shown after a failure, or while waiting


@dataclass(frozen=True)
class CardContent:
    """Everything needed to draw one card; equal contents draw identical pictures.

    kind: what sort of card it is (`CardKind`).
    lines: (language, text) big lines in the night's language order; language "" = any.
    details: smaller lines under them (director, "Country · Year", running time).
    countdown_ms: an intermission's total length; the remaining time arrives live via the
    engine's status (the title card widget's `set_remaining_ms`).
    next_up: (language, text) lines saying what comes after an intermission.
    """

    kind: CardKind
    lines: tuple[tuple[str, str], ...]
    details: tuple[str, ...]
    background: Path | None
    theme: Theme
    countdown_ms: int | None = None
    next_up: tuple[tuple[str, str], ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang, _ in self.lines)


def label(key: str, languages: tuple[str, ...] | list[str] = ()) -> str:
    """A fixed word in the night's languages, e.g. "片长 / Durée / Running time" (distinct
    entries joined with " / "); English when none of the languages is known."""
    table = LABELS[key]
    words: list[str] = []
    for lang in languages:
        word = table.get(lang) or table.get(lang.split("-")[0])
        if word and word not in words:
            words.append(word)
    return " / ".join(words) if words else table["en"]


def format_countdown(ms: int) -> str:
    """Remaining time for a countdown: rounded up, so "0:00" shows only at the very end."""
    return format_duration(-(-max(0, int(ms)) // 1000) * 1000)


def _distinct(text: LocalText | None, languages: tuple[str, ...]) -> str:
    """One line for a per-language field: the distinct values joined by " / "."""
    if text is None:
        return ""
    values: list[str] = []
    for _lang, value in text.lines(languages):
        value = value.strip()
        if value and value not in values:
            values.append(value)
    return " / ".join(values)


def _lines(text: LocalText | None, languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    if text is None:
        return ()
    return tuple((lang, value) for lang, value in text.lines(languages) if value.strip())


def _film_details(
    film: Film, languages: tuple[str, ...], media_duration_ms: int | None
) -> tuple[str, ...]:
    details: list[str] = []
    director = _distinct(film.director, languages)
    if director:
        details.append(director)
    place_year = [p for p in (_distinct(film.country, languages), film.year) if p]
    if place_year:
        details.append(" · ".join(str(p) for p in place_year))
    duration = film.played_ms(media_duration_ms)
    if duration:
        details.append(f"{label('running_time', languages)}  {format_duration(duration)}")
    return tuple(details)


def _step_title(step: Step | None, languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """What a step is called, as big lines (a film's title card and the film share a title)."""
    if step is None:
        return ()
    item = step.item
    if isinstance(item, Film):
        return _lines(item.title, languages)
    if isinstance(item, Intermission):
        return _lines(item.text, languages) or (("", label("intermission", languages)),)
    return _lines(item.text, languages)


def card_content(
    playlist: Playlist,
    step: Step,
    *,
    media_duration_ms: int | None = None,
    next_step: Step | None = None,
) -> CardContent:
    """The card for `step` (a card step or an intermission step).

    For a film's generated title card `media_duration_ms` (the probed length of the file, before
    trims) gives the running time; without it the declared runtime is used. `next_step` is what
    an intermission announces. A film step itself (no card) gives the film's title card content,
    which the console uses as a label.
    """
    languages = playlist.languages
    theme = playlist.theme
    item = step.item
    if isinstance(item, Intermission):
        lines = _lines(item.text, languages) or _default_intermission_lines(languages)
        return CardContent(
            kind=CardKind.INTERMISSION,
            lines=lines,
            details=(),
            background=item.background or theme.background_image,
            theme=theme,
            countdown_ms=item.duration_ms,
            next_up=_step_title(next_step, languages),
        )
    if isinstance(item, Film):
        card = step.card
        if isinstance(item.title_card, Card) and card is item.title_card:
            return CardContent(
                kind=CardKind.TEXT,
                lines=_lines(card.text, languages),
                details=(),
                background=card.background or theme.background_image,
                theme=theme,
            )
        return CardContent(
            kind=CardKind.TITLE,
            lines=_lines(item.title, languages),
            details=_film_details(item, languages, media_duration_ms),
            background=theme.background_image,
            theme=theme,
        )
    card = step.card if step.card is not None else item
    return CardContent(
        kind=CardKind.TEXT,
        lines=_lines(card.text, languages),
        details=(),
        background=card.background or theme.background_image,
        theme=theme,
    )


def _default_intermission_lines(languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    table = LABELS["intermission"]
    known = [(lang, table[lang]) for lang in languages if lang in table]
    return tuple(known) or (("en", table["en"]),)


def neutral_card(playlist: Playlist, message: str | None = None) -> CardContent:
    """A calm card with the night's title (and `message`, e.g. "Next film in a moment"): shown
    while the show recovers from a failure, so the screen is never black or frozen."""
    return CardContent(
        kind=CardKind.NEUTRAL,
        lines=_lines(playlist.title, playlist.languages),
        details=(message,) if message else (),
        background=playlist.theme.background_image,
        theme=playlist.theme,
    )


def night_cards(
    playlist: Playlist,
    all_steps: list[Step],
    durations_ms: dict[Path, int] | None = None,
) -> list[tuple[Step, CardContent]]:
    """Every card of the night in running order (card steps and intermissions), as drawn."""
    durations_ms = durations_ms or {}
    out: list[tuple[Step, CardContent]] = []
    for i, step in enumerate(all_steps):
        if step.kind is StepKind.FILM:
            continue
        next_step = all_steps[i + 1] if i + 1 < len(all_steps) else None
        media_ms = durations_ms.get(step.item.path) if isinstance(step.item, Film) else None
        content = card_content(playlist, step, media_duration_ms=media_ms, next_step=next_step)
        out.append((step, content))
    return out


def step_id(step: Step) -> str:
    """A stable name for a step: the card's id for card steps, else the item's id."""
    if step.card is not None:
        return step.card.id
    return step.item.id
