"""Getting a night out of Screening Night: XSPF/M3U for plain VLC, and a self-contained bundle.

- `xspf_text` / `m3u_text`: the films in running order, trims as VLC input options
  (`start-time`, `stop-time` in seconds) and subtitles as `sub-file`, so VLC alone can run the
  night in an emergency. Locations are file URIs percent-encoded from the UTF-8 bytes (spaces,
  '#', '%', ':', CJK all safe); a file below the export's folder is written as a relative URI
  ("./…", which VLC resolves against the playlist file), anything else as an absolute URI.
  Cards and intermissions have no VLC equivalent and are left out (listed in the M3U/XSPF as
  comments/annotations so nobody wonders where they went).
- `make_bundle`: copies the playlist and every file it references into one folder, paths
  rewritten relative, each copy verified by size and SHA-256; then writes the playlist format's
  JSON Schema (`playlist.schema.json`, which the playlist's `$schema` line names), a short
  `README.txt` for the technician who receives it, and last `MANIFEST.sha256` (every file's
  size and SHA-256: `screening-night verify FOLDER` checks it where the bundle arrives).

Pure (no Qt, vlc or ffmpeg); file copying blocks.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

from player import __version__
from player.core.atomic import atomic_write
from player.core.model import Card, Film, Intermission, Playlist
from player.core.paths import safe_file_name
from player.organiser.manifest import MANIFEST_NAME, Entry, manifest_text, sha256_of

SCHEMA_NAME = "playlist.schema.json"
README_NAME = "README.txt"
# The line YAML editors read the schema from (yaml-language-server, VS Code, JetBrains).
SCHEMA_LINE = re.compile(r"^(#\s*yaml-language-server:\s*\$schema=)(\S+)", re.M)

VLC_EXTENSION = "http://www.videolan.org/vlc/playlist/0"
VLC_NS = "http://www.videolan.org/vlc/playlist/ns/0/"


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


def file_uri(path: Path, base: Path | None = None) -> str:
    """A URI for `path`: relative ("./a%20b.mp4") when it lies below `base`, else absolute
    ("file:///…"). Every byte outside [A-Za-z0-9_.~/-] is percent-encoded, so ':' or '#' in a
    name can never be read as a scheme or a fragment."""
    path = Path(os.path.abspath(path))
    if base is not None:
        try:
            rel = path.relative_to(os.path.abspath(base))
        except ValueError:
            pass
        else:
            return "./" + quote(rel.as_posix().encode("utf-8"), safe="/")
    return "file://" + quote(str(path).encode("utf-8"), safe="/")


def vlc_options(film: Film) -> list[str]:
    """The VLC input options that play `film` as the night would (trims and subtitles)."""
    options = []
    if film.in_ms:
        options.append(f"start-time={_seconds(film.in_ms)}")
    if film.out_ms is not None:
        options.append(f"stop-time={_seconds(film.out_ms)}")
    if film.subtitles is not None:
        # sub-file takes a plain path (not a URI) and VLC resolves it against its own working
        # folder, so it is always absolute.
        options.append(f"sub-file={os.path.abspath(film.subtitles)}")
    return options


def _skipped(item: Card | Intermission, languages) -> str:
    what = "intermission" if isinstance(item, Intermission) else "card"
    return f"{what}: {item.title.first(languages)}"


def xspf_text(playlist: Playlist, out_path: Path | None = None, *, relative: bool = True) -> str:
    """The night as an XSPF playlist (UTF-8 XML text). With `relative`, files below
    `out_path`'s folder are written relative to it."""
    base = Path(out_path).absolute().parent if (relative and out_path) else None
    languages = playlist.languages
    tracks: list[str] = []
    pending: list[str] = []
    count = 0
    for item in playlist.items:
        if not isinstance(item, Film):
            pending.append(_skipped(item, languages))
            continue
        lines = [f"      <location>{escape(file_uri(item.path, base))}</location>"]
        lines.append(f"      <title>{escape(item.title.first(languages))}</title>")
        if item.director:
            lines.append(f"      <creator>{escape(item.director.first(languages))}</creator>")
        if pending:
            note = "before this film (not in VLC): " + "; ".join(pending)
            lines.append(f"      <annotation>{escape(note)}</annotation>")
            pending = []
        duration = item.declared_duration_ms
        if duration:
            lines.append(f"      <duration>{duration}</duration>")
        ext = [f"        <vlc:id>{count}</vlc:id>"]
        ext += [f"        <vlc:option>{escape(o)}</vlc:option>" for o in vlc_options(item)]
        lines.append(f'      <extension application="{VLC_EXTENSION}">')
        lines += ext
        lines.append("      </extension>")
        tracks.append("    <track>\n" + "\n".join(lines) + "\n    </track>")
        count += 1
    title = escape(playlist.title.first(languages))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<playlist xmlns="http://xspf.org/ns/0/" xmlns:vlc="{VLC_NS}" version="1">\n'
        f"  <title>{title}</title>\n"
        "  <trackList>\n" + "\n".join(tracks) + "\n  </trackList>\n</playlist>\n"
    )


def m3u_text(playlist: Playlist, out_path: Path | None = None, *, relative: bool = True) -> str:
    """The night as an extended M3U (UTF-8; save as .m3u8 or .m3u — VLC reads both)."""
    base = Path(out_path).absolute().parent if (relative and out_path) else None
    languages = playlist.languages
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(playlist.title.first(languages))}"]
    for item in playlist.items:
        if not isinstance(item, Film):
            lines.append(f"# not in VLC: {_one_line(_skipped(item, languages))}")
            continue
        seconds = (item.declared_duration_ms or 0) // 1000 or -1
        lines.append(f"#EXTINF:{seconds},{_one_line(item.title.first(languages))}")
        lines += [f"#EXTVLCOPT:{o}" for o in vlc_options(item)]
        lines.append(file_uri(item.path, base))
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------- bundle


@dataclass(frozen=True)
class CopiedFile:
    source: Path
    dest: Path
    size: int
    sha256: str


@dataclass
class BundleReport:
    """What `make_bundle` did. `missing`: files the playlist names that do not exist (their
    path in the bundled playlist is where they should be put). `failed`: copies that did not
    verify, with the reason."""

    folder: Path
    playlist: Path
    manifest: Path | None = None
    copied: list[CopiedFile] = field(default_factory=list)
    missing: list[tuple[Path, str]] = field(default_factory=list)  # (source, name in bundle)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.failed


def _free_name(name: str, taken: set[str]) -> str:
    """`name`, or "stem (2).ext", "stem (3).ext"… when taken (compared case-insensitively, for
    the FAT/exFAT sticks nights travel on)."""
    if name.lower() not in taken:
        return name
    stem, suffix = os.path.splitext(name)
    n = 2
    while f"{stem} ({n}){suffix}".lower() in taken:
        n += 1
    return f"{stem} ({n}){suffix}"


def copy_verified(source: Path, dest: Path) -> CopiedFile:
    """Copy through a temp name, verify size and SHA-256 against the source, then rename."""
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        source_hash = sha256_of(source)
        shutil.copyfile(source, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        size, dest_size = source.stat().st_size, tmp.stat().st_size
        if size != dest_size:
            raise OSError(f"copy has {dest_size} bytes, the original {size}")
        dest_hash = sha256_of(tmp)
        if dest_hash != source_hash:
            raise OSError("copy differs from the original (SHA-256 mismatch)")
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return CopiedFile(source, dest, size, dest_hash)


def make_bundle(playlist_path: Path, folder: Path, *, media_dir: str = "media") -> BundleReport:
    """Copy the playlist at `playlist_path` and every file it references (films, subtitles,
    card/intermission backgrounds, theme logo and background image) into `folder`: files go to
    `folder/media_dir/`, the playlist to `folder/NAME.yaml` with its paths rewritten relative
    (comments and formatting kept; a `$schema` line pointing at a local file now names the
    bundle's own `playlist.schema.json`). A file referenced twice is copied once; two different
    files with the same name get "name (2).ext". Then the schema, README.txt and, last,
    MANIFEST.sha256 (so a folder with a manifest is a finished bundle). Never raises for missing
    files: they are reported (and listed in the README). Raises PlaylistError when the playlist
    cannot be loaded, OSError when `folder` cannot be written."""
    from player.core.playlist_io import schema_json
    from player.organiser.playlist_doc import PlaylistDoc  # ruamel only when bundling

    playlist_path = Path(playlist_path).absolute()
    folder = Path(folder).absolute()
    doc = PlaylistDoc.load(playlist_path)
    target_dir = folder / media_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    report = BundleReport(folder=folder, playlist=folder / playlist_path.name)
    placed: dict[Path, str] = {}  # source -> name in the bundle
    taken: set[str] = set()
    for container, key in doc.path_fields():
        source = Path(os.path.normpath(doc.resolve(container[key])))
        if source not in placed:
            name = _free_name(safe_file_name(source.name, "file", strict=False, limit=None), taken)
            taken.add(name.lower())
            placed[source] = name
            if not source.is_file():
                report.missing.append((source, f"{media_dir}/{name}"))
            else:
                try:
                    report.copied.append(copy_verified(source, target_dir / name))
                except OSError as exc:
                    report.failed.append((source, exc.strerror or str(exc)))
        container[key] = f"{media_dir}/{placed[source]}"
    doc.path = report.playlist  # the paths are already written for the bundle's folder
    text = SCHEMA_LINE.sub(_local_schema, doc.dump(), count=1)
    written = [
        _write(report.playlist, text, backup=report.playlist.exists()),
        _write(
            folder / SCHEMA_NAME, json.dumps(schema_json(), ensure_ascii=False, indent=2) + "\n"
        ),
        _write(folder / README_NAME, _readme(doc, report)),
    ]
    entries = [Entry(_name_in(c.dest, folder), c.size, c.sha256) for c in report.copied]
    entries += [Entry(_name_in(path, folder), size, digest) for path, size, digest in written]
    report.manifest = folder / MANIFEST_NAME
    made_by = f"screening-night {__version__}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    atomic_write(
        report.manifest,
        manifest_text(entries, playlist=report.playlist.name, made_by=made_by),
        backup=False,
    )
    return report


def _local_schema(match: re.Match) -> str:
    target = match[2]
    return match[0] if "://" in target else match[1] + SCHEMA_NAME


def _write(path: Path, text: str, *, backup: bool = False) -> tuple[Path, int, str]:
    """Write `text` atomically; (path, size, SHA-256)."""
    atomic_write(path, text, backup=backup)
    return path, path.stat().st_size, sha256_of(path)


def _name_in(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _readme(doc, report: BundleReport) -> str:
    """What the technician who receives the folder needs to know, in a few lines."""
    title = doc.data.get("title")
    if isinstance(title, dict):
        title = " / ".join(str(v) for v in title.values())
    name = report.playlist.name
    size = sum(c.size for c in report.copied)
    lines = [
        f"Screening Night bundle: {title or name}",
        "",
        f"The night is {name}; its {len(report.copied)} file(s) ({size / 1e6:.1f} MB) are in",
        "media/. Paths are relative: move or copy the whole folder as it is.",
        "",
        "1. Check it arrived whole (every file, size and SHA-256, and the playlist):",
        "     screening-night verify FOLDER",
        "   or, inside the folder, without Screening Night: sha256sum -c MANIFEST.sha256",
        "2. Check every film for your room (ROOM: a built-in venue, default, hd-projector or",
        "   dci-4k, or your venue profile's YAML file):",
        f"     screening-night check FOLDER/{name} --venue ROOM --deep",
        "   and where it finds problems, make show copies fit for the room:",
        f"     screening-night prepare FOLDER/{name} --venue ROOM --out SHOW-COPIES",
        "3. Run the night:",
        f"     screening-night run FOLDER/{name}",
        "",
        f"{SCHEMA_NAME} is the playlist format (JSON Schema), for YAML editors.",
    ]
    if report.missing or report.failed:
        lines += ["", "NOT IN THIS BUNDLE (put them in before the night):"]
        lines += [f"  - {bundled}  (was {source})" for source, bundled in report.missing]
        lines += [f"  - {source.name}  (the copy failed: {why})" for source, why in report.failed]
    return "\n".join(lines) + "\n"


def write_export(text: str, path: Path) -> Path:
    return atomic_write(Path(path).absolute(), text)
