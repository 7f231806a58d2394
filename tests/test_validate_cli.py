"""`screening-night validate` and `schema` end to end, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from player.core.paths import DEMO_PLAYLIST, PLAYLISTS_DIR


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "player", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


def test_valid_playlist_exits_0(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"x")
    path = tmp_path / "ok.yaml"
    path.write_text("version: 1\ntitle: T\nitems:\n  - film: a.mp4\n", encoding="utf-8")
    result = cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "valid (0 errors, 0 warnings)" in result.stdout
    assert result.stderr == ""


def test_missing_media_exits_1_naming_the_line(tmp_path):
    path = tmp_path / "night.yaml"
    path.write_text(
        "version: 1\ntitle: T\nitems:\n  - card: {text: hi, seconds: 2}\n  - film: nowhere.mp4\n",
        encoding="utf-8",
    )
    result = cli("validate", str(path))
    assert result.returncode == 1
    assert f"{path}:5:5: error: film not found: {tmp_path / 'nowhere.mp4'}" in result.stdout
    assert "has problems (1 error, 0 warnings)" in result.stdout


def test_unloadable_exits_2_without_traceback(tmp_path):
    path = tmp_path / "-odd name: 夜.yaml"
    path.write_text("version: 1\ntitle: T\nitems:\n  - film: a\n    titel: x\n", encoding="utf-8")
    result = cli("validate", "--", str(path))
    assert result.returncode == 2
    assert "5:5: error: unknown key 'titel' in a film — did you mean 'title'?" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_worst_status_over_several_files_and_json(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\ntitle: T\nitems:\n  - card: {text: a, hold: true}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntitle: T\nitems:\n  - card: {text: a, seconds: x}\n")
    result = cli("validate", "--json", str(good), str(bad))
    assert result.returncode == 2
    problems = json.loads(result.stdout)
    assert problems == [
        {
            "file": str(bad),
            "line": 4,
            "column": 30,
            "severity": "error",
            "message": problems[0]["message"],
        }
    ]
    assert "'x' is not a duration" in problems[0]["message"]


def test_missing_playlist_file(tmp_path):
    result = cli("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "nope.yaml: error: no such file" in result.stdout


def test_demo_night_validates_once_media_exist():
    # The set-up generates the demo media before the tests run.
    result = cli("validate", str(DEMO_PLAYLIST))
    assert result.returncode == 0, result.stdout


def test_schema_command_matches_published_copy():
    result = cli("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    published = json.loads((PLAYLISTS_DIR / "playlist.schema.json").read_text(encoding="utf-8"))
    assert schema == published
    assert schema["properties"]["version"] == {"const": 1, "description": "Format version: 1."}


def test_schema_accepts_the_demo_night_and_rejects_typos():
    jsonschema = __import__("pytest").importorskip("jsonschema")
    import yaml

    schema = json.loads(cli("schema").stdout)
    demo = yaml.safe_load(DEMO_PLAYLIST.read_text(encoding="utf-8"))
    demo["date"] = str(demo["date"])
    jsonschema.validate(demo, schema)
    demo["items"][1]["titel"] = "x"
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(demo))
    assert errors


def test_help_and_version():
    assert cli("--version").stdout.startswith("screening-night ")
    result = cli("--help")
    for command in (
        "run",
        "rehearse",
        "validate",
        "check",
        "schedule",
        "cards",
        "export",
        "schema",
    ):
        assert command in result.stdout


def test_no_command_opens_the_demo_night_with_run_options():
    import os

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "player", "--windowed", "--quit-after", "1500"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
