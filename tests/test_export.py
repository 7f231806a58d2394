"""Exports: XSPF and M3U played by real libvlc (order and trims), and the bundle on a night
with awkward file names."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from player.core.playlist_io import find_problems, load_playlist
from player.core.venue import resolve_venue
from player.organiser.export import file_uri, m3u_text, xspf_text
from support.synth import make_clip

PROJECT = Path(__file__).resolve().parent.parent
AWKWARD = ["-lead dash.mp4", "space #1 100%.mp4", "Film: part 2.mp4", "中文 影片.mp4"]


def run_cli(*args, cwd: Path = PROJECT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "player", "export", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


@pytest.fixture(scope="module")
def night(tmp_path_factory, clip2s) -> Path:
    """A night whose films have awkward names; film 2 is trimmed (in 0.8 s, out 1.6 s)."""
    folder = tmp_path_factory.mktemp("export night")
    media = folder / "media files"
    media.mkdir()
    for i, name in enumerate(AWKWARD):
        make_clip(media / name, seconds=1.0, label=str(i + 1))
    (media / "trim me.mp4").symlink_to(clip2s)
    (media / "sub #1.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nBonjour\n")
    (folder / "logo 标志.png").write_bytes(b"\x89PNG fake logo")
    (folder / "rooms").mkdir()
    (folder / "rooms" / "small room.yaml").write_text("name: small room\nmax_width: 1920\n")
    (folder / "night.yaml").write_text(
        f"""# A night with names that break naive tools
version: 1
title: {{fr: Nuit difficile, en: Awkward night}}
languages: [fr, en]
defaults:
  venue: rooms/small room.yaml   # a profile file travels with the night
theme:
  logo: "logo 标志.png"
items:
  - card: {{id: hello, text: Bonsoir, seconds: 3}}
  - film: "media files/{AWKWARD[0]}"
    title: Dash
  - film: "media files/trim me.mp4"
    title: Trimmed
    in: 0.8
    out: 1.6
    subtitles: "media files/sub #1.srt"
  - intermission: {{minutes: 1}}
  - film: "media files/{AWKWARD[1]}"
    title: Hash and percent
  - film: "media files/{AWKWARD[2]}"
    title: Colon
  - film: "media files/{AWKWARD[3]}"
    title: CJK
  - film: "media files/{AWKWARD[0]}"   # the same file twice
    title: Dash again
""",
        encoding="utf-8",
    )
    assert find_problems(load_playlist(folder / "night.yaml")) == []
    return folder / "night.yaml"


def play_in_vlc(playlist_file: Path, expected_items: int) -> list[tuple[Path, int, int, float]]:
    """Play a playlist file with libvlc (no video/audio device) and return, per item played,
    (file, smallest and largest playback time seen in ms, wall seconds it was current)."""
    import vlc

    instance = vlc.Instance(
        ["--vout=dummy", "--aout=dummy", "--no-video-title-show", "--avcodec-hw=none", "-q"]
    )
    assert instance is not None
    media_list = instance.media_list_new()
    media_list.add_media(instance.media_new_path(str(playlist_file)))
    player = instance.media_list_player_new()
    player.set_media_list(media_list)
    seen: list[list] = []
    start = time.monotonic()
    player.play()
    try:
        # Polled from this thread on purpose: no libvlc call inside a libvlc callback.
        while time.monotonic() - start < 30:
            media_player = player.get_media_player()
            media = media_player.get_media()
            mrl = media.get_mrl() if media else None
            now = time.monotonic() - start
            if mrl and mrl.startswith("file://") and not mrl.endswith(playlist_file.suffix):
                if not seen or seen[-1][0] != mrl:
                    seen.append([mrl, None, None, now, now])
                t = media_player.get_time()
                entry = seen[-1]
                entry[4] = now
                if t > 0:
                    entry[1] = t if entry[1] is None else min(entry[1], t)
                    entry[2] = t if entry[2] is None else max(entry[2], t)
            if len(seen) >= expected_items and player.get_state() == vlc.State.Ended:
                break
            time.sleep(0.01)
    finally:
        player.stop()
        player.release()
        instance.release()
    return [
        (Path(unquote(mrl[len("file://") :])), lo or 0, hi or 0, end - begin)
        for mrl, lo, hi, begin, end in seen
    ]


def check_played(played, night_path: Path) -> None:
    films = load_playlist(night_path).films()
    assert [p for p, *_ in played] == [f.path for f in films]
    trimmed = played[1]
    # start-time=0.8 / stop-time=1.6: never before 0.8 s, never past 1.6 s of the clip.
    assert trimmed[1] >= 700 and trimmed[2] <= 1700, trimmed
    assert played[0][1] < 700  # an untrimmed film starts at its beginning


@pytest.mark.parametrize(("fmt", "inside"), [("xspf", True), ("m3u", False)])
def test_vlc_plays_the_export_in_order_with_trims(night, tmp_path, fmt, inside):
    # Inside the night's folder the files are written relative; elsewhere absolute.
    target = (night.parent if inside else tmp_path) / f"export {fmt}.{fmt}"
    result = run_cli(night, f"--{fmt}", target)
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert ("./media%20files/" in text) == inside
    assert ("file:///" in text) != inside
    assert "start-time=0.8" in text and "stop-time=1.6" in text and "sub-file=" in text
    played = play_in_vlc(target, expected_items=6)
    check_played(played, night)


def test_uris_percent_encode_everything_awkward(tmp_path):
    base = tmp_path / "a b"
    path = base / "x" / "Film: part #2 100% 中.mp4"
    assert file_uri(path, base) == "./x/Film%3A%20part%20%232%20100%25%20%E4%B8%AD.mp4"
    absolute = file_uri(path)
    assert absolute.startswith("file:///") and unquote(absolute[7:]) == str(path)
    assert file_uri(tmp_path / "elsewhere.mp4", base).startswith("file:///")


def test_exports_skip_cards_but_say_so(night, tmp_path):
    playlist = load_playlist(night)
    m3u = m3u_text(playlist, tmp_path / "n.m3u")
    assert m3u.startswith("#EXTM3U\n") and "# not in VLC: intermission" in m3u
    assert m3u.count("#EXTINF:") == 6
    xspf = xspf_text(playlist, tmp_path / "n.xspf")
    assert xspf.count("<track>") == 6 and "not in VLC): card: Bonsoir" in xspf


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bundle_copies_verifies_and_rewrites_paths(night, tmp_path):
    folder = tmp_path / "bundle for venue"
    result = run_cli(night, "--bundle", folder)
    assert result.returncode == 0, result.stderr
    assert "verified" in result.stdout
    bundled = folder / "night.yaml"
    text = bundled.read_text(encoding="utf-8")
    assert "# A night with names that break naive tools" in text
    assert "# the same file twice" in text
    original, moved = load_playlist(night), load_playlist(bundled)
    assert find_problems(moved) == []
    for a, b in zip(original.films(), moved.films(), strict=True):
        assert b.path.parent == folder / "media" and sha(a.path) == sha(b.path)
        assert (a.in_ms, a.out_ms, a.title) == (b.in_ms, b.out_ms, b.title)
    assert moved.films()[0].path == moved.films()[-1].path  # copied once
    assert moved.films()[1].subtitles.read_text() == original.films()[1].subtitles.read_text()
    assert moved.theme.logo.read_bytes() == b"\x89PNG fake logo"
    assert moved.defaults.venue == "media/small room.yaml"
    assert resolve_venue(moved.defaults.venue, base=folder).max_width == 1920
    names = sorted(p.name for p in (folder / "media").iterdir())
    expected = [*AWKWARD[:2], "Film_ part 2.mp4", AWKWARD[3], "trim me.mp4", "sub #1.srt"]
    assert names == sorted([*expected, "logo 标志.png", "small room.yaml"])


def test_bundle_resolves_clashes_and_reports_missing(tmp_path, clip2s):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    make_clip(tmp_path / "one" / "film.mp4", seconds=1.0, label="1")
    (tmp_path / "two" / "film.mp4").symlink_to(clip2s)
    playlist = tmp_path / "clash.yaml"
    playlist.write_text(
        "version: 1\ntitle: Clash\nitems:\n"
        "  - film: one/film.mp4\n  - film: two/film.mp4\n  - film: gone/lost.mp4\n",
        encoding="utf-8",
    )
    folder = tmp_path / "out"
    result = run_cli(playlist, "--bundle", folder)
    assert result.returncode == 1
    assert "lost.mp4" in result.stderr and "missing" in result.stderr
    moved = load_playlist(folder / "clash.yaml")
    paths = [f.path for f in moved.films()]
    assert [p.name for p in paths] == ["film.mp4", "film (2).mp4", "lost.mp4"]
    assert sha(paths[0]) == sha(tmp_path / "one" / "film.mp4")
    assert sha(paths[1]) == sha(clip2s)
    assert not paths[2].exists()
    assert not list(folder.rglob("*.part"))


def test_export_needs_a_target_and_a_loadable_playlist(night, tmp_path):
    assert run_cli(night).returncode == 2
    same = run_cli(night, "--bundle", night.parent)
    assert same.returncode == 2 and "own folder" in same.stderr
    broken = tmp_path / "b.yaml"
    broken.write_text("version: 1\nitems: []\n")
    result = run_cli(broken, "--m3u", tmp_path / "x.m3u")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_absolute_option_writes_absolute_uris_that_name_the_same_files(night):
    target = night.parent / "abs.xspf"
    result = run_cli(night, "--xspf", target, "--absolute")
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "./" not in text
    locations = [
        unquote(line.split("<location>")[1].split("</location>")[0][len("file://") :])
        for line in text.splitlines()
        if "<location>" in line
    ]
    assert [Path(p) for p in locations] == [
        Path(os.path.normpath(f.path)) for f in load_playlist(night).films()
    ]
