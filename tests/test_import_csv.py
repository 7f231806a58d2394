"""Programme sheet (CSV) -> playlist: columns, languages, durations, paths, row-numbered errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from player.core.model import Location
from player.core.playlist_io import load_playlist, load_playlist_text
from player.organiser.import_csv import CsvImportError, import_programme

PROJECT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "player", "import", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def sheet(tmp_path) -> Path:
    media = tmp_path / "films"
    media.mkdir()
    for name in ("-a: first #1.mp4", "second 100%.mkv", "first.fr.srt"):
        (media / name).write_bytes(b"x")
    path = tmp_path / "programme.csv"
    path.write_text(
        "File; Title_ZH ;title_fr;title_en;director;country;year;runtime;subtitles;in\n"
        "films/-a: first #1.mp4;第一部;Premier;First;Tong Hua;Chine;2024;5:00;"
        "films/first.fr.srt;0:02\n"
        "\n"
        "films/second 100%.mkv;;;Second only;Cheng Kuan;;;90 min;;\n",
        encoding="utf-8-sig",
    )
    return path


def test_sheet_becomes_a_valid_playlist(sheet, tmp_path):
    out = tmp_path / "night.yaml"
    result = import_programme(sheet, out, title="Festival night")
    assert result.films == 2 and result.languages == ("zh", "fr", "en")
    assert result.warnings == []
    night = load_playlist_text(result.text, out)
    first, second = night.films()
    assert night.languages == ("zh", "fr", "en") and night.title.first() == "Festival night"
    assert first.path == tmp_path / "films" / "-a: first #1.mp4"
    assert first.title.lines(night.languages) == [
        ("zh", "第一部"),
        ("fr", "Premier"),
        ("en", "First"),
    ]
    assert first.director.first() == "Tong Hua" and first.year == 2024
    assert first.runtime_ms == 300_000 and first.in_ms == 2_000
    assert first.subtitles == tmp_path / "films" / "first.fr.srt"
    assert second.title.get("en") == "Second only" and second.runtime_ms == 5_400_000
    assert "films/-a: first #1.mp4" in result.text  # relative to the playlist's folder


def test_paths_are_rewritten_for_the_playlists_folder(sheet, tmp_path):
    out = tmp_path / "playlists" / "night.yaml"
    out.parent.mkdir()
    result = import_programme(sheet, out)
    night = load_playlist_text(result.text, out)
    assert night.films()[1].path.resolve() == (tmp_path / "films" / "second 100%.mkv").resolve()
    assert night.title.first() == "programme"
    # Relative in the sheet, relative in the playlist: the three move together.
    assert "film: ../films/second 100%.mkv\n" in result.text
    assert "subtitles: ../films/first.fr.srt" in result.text
    assert str(tmp_path) not in result.text


def test_relative_paths_still_work_after_the_folder_moves(sheet, tmp_path):
    out = tmp_path / "playlists" / "night.yaml"
    out.parent.mkdir()
    out.write_text(import_programme(sheet, out).text, encoding="utf-8")
    moved = tmp_path.parent / f"{tmp_path.name} moved"
    tmp_path.rename(moved)
    night = load_playlist(moved / "playlists" / "night.yaml")
    assert [f.path.resolve().parent for f in night.films()] == [(moved / "films").resolve()] * 2
    assert all(f.path.is_file() for f in night.films())


def test_absolute_paths_stay_absolute(tmp_path):
    film = tmp_path / "elsewhere" / "a.mp4"
    film.parent.mkdir()
    film.write_bytes(b"x")
    sheet = tmp_path / "sheet" / "p.csv"
    sheet.parent.mkdir()
    sheet.write_text(f"file,title\n{film},A\n", encoding="utf-8")
    result = import_programme(sheet, tmp_path / "out" / "night.yaml")
    assert f"film: {film}" in result.text


def test_errors_name_rows_and_columns_and_all_come_at_once(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "file,title,year,runtime\n"
        ",No file,2020,1:00\n"
        "b.mp4,Bad year,20x4,1:00\n"
        "c.mp4,Bad runtime,2020,five minutes\n"
        "d.mp4,Too many,2020,1:00,surplus\n",
        encoding="utf-8",
    )
    with pytest.raises(CsvImportError) as err:
        import_programme(path, tmp_path / "out.yaml")
    found = [(p.location.line, p.location.column, p.message) for p in err.value.problems]
    assert [(line, col) for line, col, _ in found] == [(2, 1), (3, 3), (4, 4), (5, None)]
    assert "'file' cell is empty" in found[0][2]
    assert "20x4" in found[1][2] and "five minutes" in found[2][2]
    assert "5 cells" in found[3][2]
    assert all(str(path) in str(p) for p in err.value.problems)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("file,titel,year\n", "did you mean 'title'"),
        ("title,year\n", "no 'file' column"),
        ("file,title,title\n", "appears twice"),
    ],
)
def test_header_problems(tmp_path, header, message):
    path = tmp_path / "h.csv"
    path.write_text(header + "a.mp4,x,2020\n", encoding="utf-8")
    with pytest.raises(CsvImportError) as err:
        import_programme(path, tmp_path / "out.yaml")
    assert message in str(err.value) and ":1" in str(err.value)


def test_not_utf8_and_empty(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("file,title\na.mp4,Décision\n".encode("latin-1"))
    with pytest.raises(CsvImportError, match="UTF-8"):
        import_programme(latin, tmp_path / "o.yaml")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CsvImportError, match="empty"):
        import_programme(empty, tmp_path / "o.yaml")


def test_cli_writes_the_playlist_and_reports_missing_files(sheet, tmp_path):
    (tmp_path / "films" / "second 100%.mkv").unlink()
    result = run_cli(sheet, "--out", "night.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "2 film(s) in zh, fr, en" in result.stdout
    assert f"{sheet}:4: warning: film not found" in result.stderr
    night = load_playlist(tmp_path / "night.yaml")
    assert len(night.films()) == 2
    again = run_cli(sheet, "--out", "night.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    forced = run_cli(sheet, "--out", "night.yaml", "--force", cwd=tmp_path)
    assert forced.returncode == 1 and (tmp_path / "night.yaml.bak").exists()


def test_cli_bad_sheet_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("file,year\na.mp4,nineteen\n", encoding="utf-8")
    result = run_cli(bad, "--out", "x.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bad.csv:2:2" in result.stderr and not (tmp_path / "x.yaml").exists()


def test_minutes_are_written_as_the_program_writes_durations(tmp_path):
    # 0.375 min is 22.5 s: rounded half up to 0:23 like every other duration the program shows
    # (player.core.model.format_duration), not to the even 0:22.
    sheet = tmp_path / "minutes.csv"
    sheet.write_text(
        "file,runtime\na.mp4,90 min\nb.mp4,0.375 min\nc.mp4,1.5 mins\nd.mp4,125'\n",
        encoding="utf-8",
    )
    out = tmp_path / "night.yaml"
    result = import_programme(sheet, out)
    written = [
        line.split(":", 1)[1].strip() for line in result.text.splitlines() if "runtime" in line
    ]
    assert written == ["1:30:00", "0:23", "1:30", "2:05:00"]
    night = load_playlist_text(result.text, out)
    assert [f.runtime_ms for f in night.films()] == [5_400_000, 23_000, 90_000, 7_500_000]


def test_fade_out_column_like_in_and_out(tmp_path):
    sheet = tmp_path / "fades.csv"
    sheet.write_text(
        "file,out,Fade out\na.mp4,10:00,3\nb.mp4,,0:02.5\nc.mp4,,0.05 min\nd.mp4,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "night.yaml"
    result = import_programme(sheet, out)
    assert "    fade_out: 3\n" in result.text and "    fade_out: 0:02.5\n" in result.text
    night = load_playlist_text(result.text, out)
    assert [f.fade_out_ms for f in night.films()] == [3_000, 2_500, 3_000, 0]


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ("a.mp4,,,soon", 4, "fade_out 'soon' is not a duration"),
        # The playlist's own rules, said at the sheet's row and the cell that breaks them
        # (not at a line of the YAML, which is never written).
        ("a.mp4,,,90", 4, "'fade_out' (1:30) is longer than the longest fade"),
        ("a.mp4,,0:02,5", 4, "'fade_out' (0:05) is longer than the 0:02 the film plays"),
        ("a.mp4,0:20,0:10,", 3, "'out' (0:10) must come after 'in' (0:20)"),
    ],
)
def test_fade_out_problems_name_the_row_and_cell(tmp_path, cells, column, message):
    sheet = tmp_path / "fades.csv"
    sheet.write_text(f"file,in,out,fade_out\nok.mp4,,,\n{cells}\n", encoding="utf-8")
    with pytest.raises(CsvImportError) as err:
        import_programme(sheet, tmp_path / "o.yaml")
    [problem] = err.value.problems
    assert message in problem.message
    assert problem.location == Location(sheet, 3, column), str(problem)
