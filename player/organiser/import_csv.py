"""A festival's programme sheet (CSV) -> a playlist.

Columns (header row, any order, case and spaces ignored):
  file (required; also `film` or `path`), `title` or one `title_XX` per language (`title_zh`,
  `title_fr`, …), `director` / `director_XX`, `country` / `country_XX`, `year`, `runtime`,
  `subtitles`, and optionally `in`, `out`, `fade_out`, `language`, `notes`, `id`.
The order of the `title_XX` columns becomes the night's `languages`. Separators `,` `;` and tab
are recognised; UTF-8 (with or without BOM). File paths are read relative to the CSV's folder;
a relative one is written relative to the playlist's folder (with '..' where need be), an
absolute one as it is.

Every problem is reported at once with its row number (the header is row 1); nothing is
written when there is one. Pure (no Qt, vlc or ffmpeg).
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from player.core.model import Location, PlaylistError, Problem, Severity, format_duration
from player.core.playlist_io import find_problems, load_playlist_text
from player.core.yaml_source import suggest
from player.organiser.playlist_doc import PlaylistDoc, item_for_line, item_start_lines

FILE_COLUMNS = ("file", "film", "path")
TEXT_COLUMNS = ("title", "director", "country")
PLAIN_COLUMNS = (
    "year",
    "runtime",
    "subtitles",
    "in",
    "out",
    "fade_out",
    "language",
    "notes",
    "id",
)
LANG = r"[a-z]{2,3}(?:[-_][a-z0-9]{2,8})?"
_DURATION = re.compile(r"(?:\d+:)?\d+:\d{1,2}(?:\.\d+)?|\d+(?:\.\d+)?")
_MINUTES = re.compile(r"(\d+(?:\.\d+)?)\s*(?:min|mins|minutes|mn|')", re.IGNORECASE)


class CsvImportError(Exception):
    """The sheet could not be turned into a playlist; `problems` has one entry per mistake,
    each with the CSV file and row."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ImportResult:
    text: str  # the playlist YAML
    films: int
    languages: tuple[str, ...]
    warnings: list[Problem]  # e.g. files that do not exist (yet)


def _key(header: str) -> str:
    return re.sub(r"[\s-]+", "_", header.strip().lower())


def _duration(text: str) -> str | int | float | None:
    text = text.strip()
    minutes = _MINUTES.fullmatch(text)
    if minutes:
        # Whole seconds, rounded as everywhere else in the program ("0.375 min" is 0:23).
        return format_duration(round(float(minutes[1]) * 60_000))
    if not _DURATION.fullmatch(text):
        return None
    if ":" in text:
        return text
    return float(text) if "." in text else int(text)


def _read_rows(data: str) -> list[list[str]]:
    sample = data[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", ",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return list(csv.reader(io.StringIO(data), delimiter=delimiter))


def import_programme(
    csv_path: str | Path, out_path: str | Path, *, title: str | None = None
) -> ImportResult:
    """Read the sheet at `csv_path` and return the playlist text meant for `out_path` (not
    written here). Raises CsvImportError listing every problem; OSError if unreadable."""
    csv_path = Path(csv_path).absolute()
    out_path = Path(out_path).absolute()
    raw = csv_path.read_bytes()
    try:
        data = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvImportError(
            [
                Problem(
                    f"not UTF-8 text (byte {exc.start}); save the sheet as CSV UTF-8",
                    Location(csv_path),
                )
            ]
        ) from None
    problems: list[Problem] = []

    def error(row: int | None, message: str, column: int | None = None) -> None:
        problems.append(Problem(message, Location(csv_path, row, column)))

    rows = _read_rows(data)
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise CsvImportError([Problem("the sheet is empty", Location(csv_path))])
    header = [_key(h) for h in rows[0]]
    columns: dict[str, int] = {}
    languages: list[str] = []
    known = [*FILE_COLUMNS, *TEXT_COLUMNS, *PLAIN_COLUMNS]
    for index, name in enumerate(header):
        if not name:
            continue
        match = re.fullmatch(rf"({'|'.join(TEXT_COLUMNS)})_({LANG})", name)
        if name in columns:
            error(1, f"column '{rows[0][index].strip()}' appears twice", index + 1)
        elif match or name in known:
            columns[name] = index
            if match and match[1] == "title" and match[2] not in languages:
                languages.append(match[2])
        else:
            hint = suggest(name, [*known, "title_fr", "title_en", "title_zh"])
            error(
                1,
                f"unknown column '{rows[0][index].strip()}'{hint} (columns: file, title or "
                "title_XX per language, director, country, year, runtime, subtitles, in, out, "
                "fade_out, language, notes, id)",
                index + 1,
            )
    file_column = next((c for c in FILE_COLUMNS if c in columns), None)
    if file_column is None:
        error(1, "no 'file' column: each row needs the film's file")
    if problems:
        raise CsvImportError(problems)

    def cell(row: list[str], name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    def text(row: list[str], name: str) -> str | CommentedMap | None:
        per_lang = CommentedMap()
        for column in columns:
            m = re.fullmatch(rf"{name}_({LANG})", column)
            if m and cell(row, column):
                per_lang[m[1]] = cell(row, column)
        if per_lang:
            return per_lang  # a bare `title` column is the fallback for rows without these
        return cell(row, name) or None

    items = CommentedSeq()
    row_numbers: list[int] = []
    source_dir, out_dir = csv_path.parent, out_path.parent
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header) and any(c.strip() for c in row[len(header) :]):
            error(number, f"this row has {len(row)} cells but the header only {len(header)}")
            continue
        written = cell(row, file_column)
        if not written:
            error(number, "the 'file' cell is empty", columns[file_column] + 1)
        film = CommentedMap()
        film["film"] = _written_path(written or ".", source_dir, out_dir)
        if cell(row, "id"):
            film["id"] = cell(row, "id")
        for name in TEXT_COLUMNS:
            value = text(row, name)
            if value:
                film[name] = value
        year = cell(row, "year")
        if year:
            if re.fullmatch(r"\d{4}", year) and 1870 <= int(year) <= 2200:
                film["year"] = int(year)
            else:
                error(number, f"year '{year}' is not a year like 2024", columns["year"] + 1)
        if cell(row, "language"):
            film["language"] = cell(row, "language")
        for name in ("runtime", "in", "out", "fade_out"):
            value = cell(row, name)
            if not value:
                continue
            parsed = _duration(value)
            if parsed is None:
                error(
                    number,
                    f"{name} '{value}' is not a duration (write 5:30, 1:32:00, 330 or 90 min)",
                    columns[name] + 1,
                )
            else:
                film[name] = parsed
        if cell(row, "subtitles"):
            film["subtitles"] = _written_path(cell(row, "subtitles"), source_dir, out_dir)
        if cell(row, "notes"):
            film["notes"] = cell(row, "notes")
        if written:
            items.append(film)
            row_numbers.append(number)
    if not items and not problems:
        error(None, "no films: every row after the header is empty")
    if problems:
        raise CsvImportError(problems)

    doc_data = CommentedMap()
    doc_data["version"] = 1
    doc_data["title"] = title or csv_path.stem
    if languages:
        doc_data["languages"] = CommentedSeq(languages)
        doc_data["languages"].fa.set_flow_style()
    doc_data["items"] = items
    doc_data.yaml_set_start_comment(
        f"Imported from {csv_path.name} on {date.today().isoformat()} by screening-night import."
    )
    doc = PlaylistDoc(doc_data, out_path)
    text_out = doc.dump()
    # The output must load as a playlist; anything it says is the sheet's fault, by row.
    item_lines = item_start_lines(text_out)

    def row_of(location: Location) -> int | None:
        index = item_for_line(item_lines, location.line)
        return row_numbers[index] if index is not None else None

    try:
        playlist = load_playlist_text(text_out, out_path)
    except PlaylistError as exc:
        # e.g. 'out' before 'in', a fade longer than the trimmed film: the cell of the key on
        # the line the loader names (the YAML is never written, so its lines mean nothing).
        yaml_lines = text_out.splitlines()
        located = []
        for p in exc.problems:
            line = p.location.line
            key = re.match(r"\s*(?:- )?([\w-]+):", yaml_lines[line - 1]) if line else None
            column = columns[key[1]] + 1 if key and key[1] in columns else None
            located.append(Problem(p.message, Location(csv_path, row_of(p.location), column)))
        raise CsvImportError(located) from None
    warnings = [
        Problem(p.message, Location(csv_path, row_of(p.location)), Severity.WARNING)
        for p in find_problems(playlist)
    ]
    return ImportResult(text_out, len(items), tuple(languages), warnings)


def _written_path(written: str, csv_folder: Path, out_folder: Path) -> str:
    """A path from the sheet as the playlist writes it: one the sheet gave relative (to its own
    folder) stays relative, now to the playlist's folder ('../films/a.mp4' where need be), so
    the sheet, the playlist and the films move together; an absolute one stays absolute."""
    path = Path(written).expanduser()
    if path.is_absolute():
        return str(Path(os.path.normpath(path)))
    return Path(os.path.relpath(os.path.normpath(csv_folder / path), out_folder)).as_posix()
