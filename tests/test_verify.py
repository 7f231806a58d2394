"""`verify FOLDER`: a bundle checked where it arrives, against its MANIFEST.sha256, on real
bundles made by `export --bundle` (and `sha256sum -c` agreeing on the same manifest)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from player.organiser.manifest import (
    MANIFEST_NAME,
    ManifestError,
    Verdict,
    read_manifest,
    verify_bundle,
)
from support.synth import make_clip


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "player", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def made_bundle(tmp_path_factory, clip2s) -> Path:
    """A bundle of a two-film night with a subtitle file and awkward names."""
    source = tmp_path_factory.mktemp("night to bundle")
    make_clip(source / "-second: 中文.mp4", seconds=1.0, label="2")
    shutil.copy(clip2s, source / "first #1.mp4")
    (source / "first.fr.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nÉté\n", "utf-8")
    (source / "night.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/playlist.schema.json\n"
        "version: 1\ntitle: Bundled\nitems:\n"
        "  - film: 'first #1.mp4'\n    subtitles: first.fr.srt\n"
        "  - film: '-second: 中文.mp4'\n",
        encoding="utf-8",
    )
    folder = tmp_path_factory.mktemp("bundles") / "bundle"
    result = cli("export", source / "night.yaml", "--bundle", folder)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def bundle(made_bundle, tmp_path) -> Path:
    """A fresh copy of the bundle for each test to damage."""
    return Path(shutil.copytree(made_bundle, tmp_path / "arrived", symlinks=True))


def test_export_writes_manifest_schema_and_readme(bundle):
    names = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
    assert names == sorted(
        [
            MANIFEST_NAME,
            "README.txt",
            "night.yaml",
            "playlist.schema.json",
            "media/first #1.mp4",
            "media/first.fr.srt",
            "media/-second_ 中文.mp4",
        ]
    )
    manifest = read_manifest(bundle / MANIFEST_NAME)
    assert manifest.playlist == "night.yaml"
    assert {e.name for e in manifest.entries} == set(names) - {MANIFEST_NAME}
    assert all(e.size == (bundle / e.name).stat().st_size for e in manifest.entries)
    # The playlist's $schema line now names the bundle's own schema file.
    assert (
        (bundle / "night.yaml")
        .read_text("utf-8")
        .startswith("# yaml-language-server: $schema=playlist.schema.json\n")
    )
    readme = (bundle / "README.txt").read_text("utf-8")
    assert "screening-night verify FOLDER" in readme and "sha256sum -c" in readme


def test_good_bundle_verifies_and_sha256sum_agrees(bundle):
    result = cli("verify", bundle)
    assert result.returncode == 0, result.stderr
    assert "Bundle verified: 6 file(s)" in result.stdout and "night.yaml valid" in result.stdout
    gnu = subprocess.run(
        ["sha256sum", "--strict", "-c", MANIFEST_NAME],
        cwd=bundle,
        capture_output=True,
        text=True,
        check=False,
    )
    assert gnu.returncode == 0, gnu.stdout + gnu.stderr
    assert gnu.stdout.count(": OK") == 6 and "WARNING" not in gnu.stderr


def test_one_byte_changed_same_size(bundle):
    film = bundle / "media" / "first #1.mp4"
    data = bytearray(film.read_bytes())
    data[len(data) // 2] ^= 0x01
    mtime = film.stat().st_mtime_ns
    film.write_bytes(bytes(data))
    os.utime(film, ns=(mtime, mtime))  # same size, same time: only the content tells
    result = cli("verify", bundle)
    assert result.returncode == 1
    assert "changed: media/first #1.mp4 — its content differs (SHA-256)" in result.stderr
    assert "1 of 6 file(s)" in result.stderr


def test_a_file_missing_names_it_and_the_playlist_too(bundle):
    (bundle / "media" / "-second_ 中文.mp4").unlink()
    result = cli("verify", bundle)
    assert result.returncode == 1
    assert "missing: media/-second_ 中文.mp4" in result.stderr
    assert "film not found" in result.stderr and "playlist is not valid" in result.stderr


def test_an_extra_file_is_reported_but_does_not_fail(bundle):
    (bundle / "media" / "notes from the cinema.txt").write_text("hello")
    (bundle / ".DS_Store").write_bytes(b"\0")
    result = cli("verify", bundle)
    assert result.returncode == 0, result.stderr
    assert "extra: media/notes from the cinema.txt — not in the manifest" in result.stdout
    assert "extra: .DS_Store" in result.stdout
    assert "2 file(s) not in the manifest" in result.stdout


def test_a_file_cut_short_is_told_by_its_size(bundle):
    film = bundle / "media" / "first #1.mp4"
    size = film.stat().st_size
    os.truncate(film, size - 100)
    report = verify_bundle(bundle)
    [bad] = report.failures()
    assert bad.verdict is Verdict.CHANGED and f"the bundle had {size}" in bad.detail
    assert report.bytes_read < size  # told without reading the file


def test_a_file_replaced_by_a_folder(bundle):
    film = bundle / "media" / "first #1.mp4"
    film.unlink()
    film.mkdir()
    (film / "inside.bin").write_bytes(b"x")
    result = cli("verify", bundle)
    assert result.returncode == 1
    assert "not-a-file: media/first #1.mp4 — a folder is there" in result.stderr
    assert "inside.bin" not in result.stdout  # the folder is the finding, not its content


def test_unreadable_files(bundle):
    # The tests run as root, whom chmod 000 does not stop. Two files that cannot be read by
    # anyone: a symbolic link to itself (open fails with ELOOP), and a FIFO where the film was
    # (opening it would wait for a writer forever: it is refused without being opened).
    srt = bundle / "media" / "first.fr.srt"
    srt.unlink()
    os.symlink(srt.name, srt)
    film = bundle / "media" / "-second_ 中文.mp4"
    film.unlink()
    os.mkfifo(film)
    result = cli("verify", bundle)
    assert result.returncode == 1
    assert "unreadable: media/first.fr.srt — Too many levels of symbolic links" in result.stderr
    assert "not-a-file: media/-second_ 中文.mp4 — a pipe is there" in result.stderr


def test_cannot_run_without_a_good_manifest(bundle, tmp_path):
    no_folder = cli("verify", tmp_path / "nowhere")
    assert no_folder.returncode == 2 and "not a folder" in no_folder.stderr
    manifest = bundle / MANIFEST_NAME
    text = manifest.read_text("utf-8")
    manifest.write_text(text + "not a line of a manifest\n", "utf-8")
    damaged = cli("verify", bundle)
    assert damaged.returncode == 2 and "Traceback" not in damaged.stderr
    line = len(text.splitlines()) + 1
    assert f"{MANIFEST_NAME}:{line}: error: this line is not 'SHA-256  name'" in damaged.stderr
    manifest.write_text(f"{'0' * 64}  ../../etc/passwd\n", "utf-8")
    escaping = cli("verify", bundle)
    assert escaping.returncode == 2 and "outside the folder" in escaping.stderr
    manifest.unlink()
    gone = cli("verify", bundle)
    assert gone.returncode == 2 and "not a bundle" in gone.stderr


def test_names_with_backslashes_and_newlines_round_trip(tmp_path):
    from player.organiser.manifest import Entry, manifest_text, sha256_of

    names = ["a\\b.txt", "line\nbreak.txt", "plain.txt"]
    for name in names:
        (tmp_path / name).write_bytes(name.encode())
    entries = [Entry(n, (tmp_path / n).stat().st_size, sha256_of(tmp_path / n)) for n in names]
    (tmp_path / MANIFEST_NAME).write_text(
        manifest_text(entries, playlist=None, made_by="test"), "utf-8"
    )
    assert verify_bundle(tmp_path).ok
    gnu = subprocess.run(
        ["sha256sum", "-c", MANIFEST_NAME], cwd=tmp_path, capture_output=True, check=False
    )
    assert gnu.returncode == 0, gnu.stdout


def test_an_empty_manifest_cannot_verify_anything(tmp_path):
    (tmp_path / MANIFEST_NAME).write_text("# nothing\n")
    with pytest.raises(ManifestError, match="lists no file"):
        verify_bundle(tmp_path)
