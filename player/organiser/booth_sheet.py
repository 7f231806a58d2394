"""The booth sheet: the night's running order as printable HTML for the projectionist.

Pure (no Qt). One A4 page for a normal night: planned times, titles in the night's languages,
directors, durations, notes and an empty cue column to write in. The same HTML feeds a browser
(print CSS) and Qt's QTextDocument for the PDF (player/qt/pdf.py), so it keeps to the HTML subset
QTextDocument understands: tables with attributes, inline styles, no floats or grids.
Every text from the playlist is escaped: a title may contain '<' or '&'.
"""

from __future__ import annotations

from html import escape

from player.core.model import Card, Film, Follow, Intermission, LocalText, Playlist, StepKind
from player.core.schedule import (
    DECLARED,
    UNKNOWN,
    Schedule,
    ScheduledStep,
    clock,
    day_of,
    length,
)

SOURCE_MARK = {DECLARED: " (declared)", UNKNOWN: " (unknown)"}
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans, DejaVu Sans, sans-serif"

_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: %(font)s; font-size: 8pt; color: #000; background: #fff; }
h1 { font-size: 12pt; margin: 0 0 2pt 0; }
p.meta { font-size: 9pt; margin: 0 0 6pt 0; }
table.order { border-collapse: collapse; width: 100%%; }
table.order th { font-size: 8pt; text-align: left; background: #e6e6e6; }
table.order td, table.order th { border: 1px solid #888; padding: 2pt 3pt; vertical-align: top; }
td.cue { width: 16mm; }
td.time, td.dur { white-space: nowrap; }
tr.minor td { font-size: 8pt; color: #444; }
.small { font-size: 8pt; color: #333; }
p.warn { font-size: 8pt; margin: 2pt 0; }
"""


def _lines(text: LocalText | None, languages) -> list[str]:
    return [t for _, t in text.lines(languages)] if text else []


def _note(value: LocalText | str | None, languages) -> list[str]:
    """Notes may be plain text or per-language (LocalText): every line, in language order."""
    if value is None:
        return []
    if isinstance(value, LocalText):
        return _lines(value, languages)
    return [str(value)]


def _describe(playlist: Playlist, row: ScheduledStep) -> tuple[str, str]:
    """(HTML for the 'what' cell, plain notes) for one scheduled step."""
    languages = playlist.languages
    step = row.step
    item = step.item
    parts: list[str] = []
    notes: list[str] = []
    if step.kind is StepKind.FILM:
        assert isinstance(item, Film)
        titles = _lines(item.title, languages)
        parts.append("<b>" + escape(titles[0] if titles else item.path.name) + "</b>")
        if len(titles) > 1:
            parts.append("<br/>" + escape(" · ".join(titles[1:])))
        facts: list[str] = []
        if item.director:
            facts.append("dir. " + " / ".join(_lines(item.director, languages)))
        place = " / ".join(_lines(item.country, languages)) if item.country else ""
        when = str(item.year) if item.year else ""
        if place or when:
            facts.append(" · ".join(x for x in (place, when) if x))
        trims = []
        if item.in_ms:
            trims.append(f"in {length(item.in_ms)}")
        if item.out_ms is not None:
            trims.append(f"out {length(item.out_ms)}")
        if item.fade_out_ms:
            # Fades are seconds long: a half second shows (2.5 s would round to "0:03").
            trims.append(f"fade out {length(item.fade_out_ms, fraction=True)}")
        if trims:
            facts.append(", ".join(trims))
        if item.subtitles:
            facts.append(f"subtitles: {item.subtitles.name}")
        if item.gain_db:
            facts.append(f"gain {item.gain_db:+.1f} dB")
        facts.append(f"file: {item.path.name}")
        parts.append('<br/><span class="small">' + escape(" · ".join(facts)) + "</span>")
        if playlist.follow_of(item) is Follow.HOLD:
            notes.append("HOLD after: wait for GO")
        notes += _note(item.notes, languages)
    elif step.kind is StepKind.CARD:
        card = step.card
        assert isinstance(card, Card)
        if step.is_title_card:
            parts.append("Title card")
        else:
            parts.append("Card: " + escape(" · ".join(_lines(card.text, languages))))
        if row.held:
            notes.append("HOLD: stays up until GO")
        notes += _note(card.notes, languages)
    else:
        assert isinstance(item, Intermission)
        text = " · ".join(_lines(item.text, languages))
        parts.append("<b>Intermission</b>" + (" — " + escape(text) if text else ""))
        if playlist.follow_of(item) is Follow.HOLD:
            notes.append("HOLD after: wait for GO")
        notes += _note(item.notes, languages)
    return "".join(parts), "\n".join(notes)


def booth_sheet_html(playlist: Playlist, schedule: Schedule) -> str:
    """The complete HTML document (UTF-8 text) for `schedule` of `playlist`."""
    languages = playlist.languages
    title_lines = _lines(playlist.title, languages)
    meta: list[str] = []
    if playlist.venue:
        meta.append(" / ".join(_lines(playlist.venue, languages)))
    if playlist.date:
        meta.append(playlist.date.isoformat())
    start_text = clock(schedule.start_ms) if schedule.start_known else "(no start time)"
    meta.append(f"Start {start_text}")
    next_day = " (next day)" if day_of(schedule.end_ms) > day_of(schedule.start_ms) else ""
    meta.append(f"End {clock(schedule.end_ms)}{next_day}" if schedule.start_known else "")
    meta.append(f"Total {length(schedule.total_ms)}")
    rows: list[str] = []
    for row in schedule.items:
        what, notes = _describe(playlist, row)
        minor = row.step.is_title_card
        duration = "hold" if row.held else length(row.duration_ms)
        duration += SOURCE_MARK.get(row.duration_source, "")
        rows.append(
            ("<tr class='minor'>" if minor else "<tr>")
            + "<td class='cue'>&nbsp;</td>"
            + f"<td>{row.index + 1}</td>"
            + f"<td class='time'>{clock(row.start_ms)}</td>"
            + f"<td>{what}</td>"
            + f"<td class='dur'>{escape(duration)}</td>"
            + f"<td class='time'>{clock(row.end_ms)}</td>"
            + "<td>"
            + "<br/>".join(escape(n) for n in notes.splitlines())
            + "</td></tr>"
        )
    warnings = "".join(f"<p class='warn'>⚠ {escape(w)}</p>" for w in schedule.warnings)
    night_notes = "".join(
        f"<p class='small'>{escape(n)}</p>" for n in _note(playlist.notes, languages)
    )
    head_title = escape(" / ".join(title_lines))
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'/>"
        f"<title>{head_title} — booth sheet</title>"
        f"<style>{_CSS % {'font': FONT_FAMILY}}</style></head>\n"
        f'<body style="font-family: {FONT_FAMILY}; font-size: 8pt;">\n'
        f"<h1>{escape(' · '.join(title_lines))}</h1>\n"
        f"<p class='meta'>{escape(' · '.join(m for m in meta if m))}</p>\n"
        f"{night_notes}"
        "<table class='order' width='100%' border='1' cellspacing='0' cellpadding='3'>\n"
        "<tr><th width='9%'>Cue</th><th width='3%'>#</th><th width='8%'>Start</th>"
        "<th width='47%'>Item</th><th width='8%'>Duration</th><th width='8%'>End</th>"
        "<th width='17%'>Notes</th></tr>\n" + "\n".join(rows) + "\n</table>\n"
        f"{warnings}"
        "<p class='small'>Durations from the media unless marked (declared: from the "
        "playlist's runtime). Times are planned; write actual cues in the first column.</p>\n"
        "</body></html>\n"
    )
