"""A bundle's `MANIFEST.sha256`: every file's size and SHA-256, and the check where it arrives.

The file is in GNU `sha256sum` format, so a receiving technician without Screening Night can
run `sha256sum -c MANIFEST.sha256` inside the folder. What `sha256sum` does not know rides on
comment lines, which it skips: a header naming the playlist (`# playlist: NAME.yaml`) and, before
each file's line, its size (`# size: 1234`), so a file cut short or grown is told without
reading it. Names are '/'-separated, relative to the folder; a name holding a backslash, a
newline or a carriage return is escaped the way `sha256sum` does it (the line starts with '\\').

`verify_bundle` reads the manifest and checks every file (size first, then SHA-256, files in
parallel: hashlib releases the GIL, so two threads hash two files at once), lists files the
manifest does not name, and validates the playlist. Blocking; `progress(done_bytes,
total_bytes)` is called in the calling thread. Pure (no Qt, vlc or ffmpeg).
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from player.core.model import Location, PlaylistError, Problem

MANIFEST_NAME = "MANIFEST.sha256"
CHUNK_BYTES = 1 << 20  # 1 MiB reads: at disk speed, and the GIL is let go for each one
VERIFY_JOBS = 2  # files hashed at once; more only thrash a disk (bench/verify.py)

ByteProgress = Callable[[int, int], None]


class ManifestError(Exception):
    """The manifest is missing, unreadable or damaged: the bundle cannot be verified.
    `problems` are located (file and line)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Entry:
    """One file of a bundle: its name inside the folder ('media/a.mp4'), size and SHA-256."""

    name: str
    size: int | None
    sha256: str


@dataclass(frozen=True)
class Manifest:
    entries: tuple[Entry, ...]
    playlist: str | None = None  # the bundle's playlist, by name


def sha256_of(
    path: str | Path, *, on_bytes: Callable[[int], None] | None = None, chunk: int = CHUNK_BYTES
) -> str:
    """The SHA-256 of the file at `path` (hex). `on_bytes(n)` is told of each block read (in
    this thread). Raises OSError."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while n := handle.readinto(buffer):
            digest.update(view[:n])
            if on_bytes:
                on_bytes(n)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------- format


def _escape(name: str) -> tuple[str, str]:
    if not any(c in name for c in "\\\n\r"):
        return "", name
    return "\\", name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), name)


def manifest_text(entries: Iterable[Entry], *, playlist: str | None, made_by: str) -> str:
    """The manifest for `entries` (written in name order)."""
    lines = [
        "# Screening Night bundle: every file of this folder with its size and SHA-256.",
        "# Check it where it arrives:  screening-night verify FOLDER",
        "# (or, inside the folder, without Screening Night:  sha256sum -c MANIFEST.sha256)",
        f"# made by: {made_by}",
    ]
    if playlist:
        lines.append(f"# playlist: {playlist}")
    for entry in sorted(entries, key=lambda e: e.name):
        mark, name = _escape(entry.name)
        if entry.size is not None:
            lines.append(f"# size: {entry.size}")
        lines.append(f"{mark}{entry.sha256}  {name}")
    return "\n".join(lines) + "\n"


_LINE = re.compile(r"(\\?)([0-9a-fA-F]{64}) [ *](.+)")


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\0" not in name


def read_manifest(path: Path) -> Manifest:
    """Parse a manifest. Raises ManifestError naming the line of every damaged entry (and a
    name that would point outside the folder: a manifest is not trusted to)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ManifestError(
            [Problem(f"no {MANIFEST_NAME} here: this folder is not a bundle", Location(path))]
        ) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ManifestError([Problem("not UTF-8 text", Location(path, line))]) from None
    except OSError as exc:
        raise ManifestError(
            [Problem(f"cannot be read: {exc.strerror or exc}", Location(path))]
        ) from None
    entries: list[Entry] = []
    problems: list[Problem] = []
    playlist = None
    size: int | None = None
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            key, _, value = line[1:].strip().partition(":")
            if key == "size" and value.strip().isdigit():
                size = int(value)
            elif key == "playlist" and value.strip():
                playlist = value.strip()
            continue
        match = _LINE.fullmatch(line)
        name = _unescape(match[3]) if match and match[1] else match[3] if match else ""
        if not match or not _safe_name(name):
            what = "names a file outside the folder" if match else "is not 'SHA-256  name'"
            problems.append(Problem(f"this line {what}", Location(path, number)))
        elif name in seen:
            problems.append(Problem(f"'{name}' is listed twice", Location(path, number)))
        else:
            seen.add(name)
            entries.append(Entry(name, size, match[2].lower()))
        size = None
    if problems:
        raise ManifestError(problems)
    if not entries:
        raise ManifestError([Problem("the manifest lists no file", Location(path))])
    return Manifest(tuple(entries), playlist)


# ---------------------------------------------------------------------------------- verify


class Verdict(enum.Enum):
    """What became of one file of the manifest (or one it does not list)."""

    OK = "ok"
    MISSING = "missing"
    CHANGED = "changed"  # another size or another SHA-256
    NOT_A_FILE = "not-a-file"  # a folder, a pipe, a device where the file was
    UNREADABLE = "unreadable"
    EXTRA = "extra"  # in the folder, not in the manifest


@dataclass(frozen=True)
class FileResult:
    name: str
    verdict: Verdict
    detail: str = ""  # in plain words, for the technician

    def __str__(self) -> str:
        return f"{self.verdict.value}: {self.name}" + (f" — {self.detail}" if self.detail else "")


@dataclass
class VerifyReport:
    """`files` has one result per manifest entry (in its order) and then the extras;
    `playlist_problems` what `validate` says of the bundle's playlist."""

    folder: Path
    files: list[FileResult]
    playlist: Path | None = None
    playlist_problems: list[Problem] = field(default_factory=list)
    bytes_read: int = 0

    def failures(self) -> list[FileResult]:
        return [f for f in self.files if f.verdict not in (Verdict.OK, Verdict.EXTRA)]

    def extras(self) -> list[FileResult]:
        return [f for f in self.files if f.verdict is Verdict.EXTRA]

    @property
    def ok(self) -> bool:
        """Every listed file there and unchanged, and the playlist valid (extras allowed)."""
        return not self.failures() and not self.playlist_problems


def _kind(path: Path) -> str:
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            mode = path.stat().st_mode  # a link is fine if what it names is a file
    except FileNotFoundError:
        return "missing"
    except OSError as exc:  # e.g. a link to itself (ELOOP), an I/O error
        return f"error:{exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    return "a device or socket"


def verify_bundle(
    folder: str | Path, *, jobs: int = VERIFY_JOBS, progress: ByteProgress | None = None
) -> VerifyReport:
    """Check `folder` against its manifest. Raises ManifestError when there is no readable,
    well-formed manifest (nothing can be said of the files then)."""
    folder = Path(folder).absolute()
    if not folder.is_dir():
        raise ManifestError([Problem("not a folder", Location(folder))])
    manifest = read_manifest(folder / MANIFEST_NAME)
    results: dict[str, FileResult] = {}
    to_hash: list[tuple[Entry, Path]] = []
    for entry in manifest.entries:
        path = folder / entry.name
        kind = _kind(path)
        if kind == "missing":
            results[entry.name] = FileResult(entry.name, Verdict.MISSING, "not in the folder")
        elif kind.startswith("error:"):
            results[entry.name] = FileResult(entry.name, Verdict.UNREADABLE, kind[6:])
        elif kind != "file":
            results[entry.name] = FileResult(entry.name, Verdict.NOT_A_FILE, f"{kind} is there")
        else:
            size = path.stat().st_size
            if entry.size is not None and size != entry.size:
                results[entry.name] = FileResult(
                    entry.name, Verdict.CHANGED, f"{size} bytes, the bundle had {entry.size}"
                )
            else:
                to_hash.append((entry, path))
    read = _hash_all(to_hash, results, jobs, progress)
    listed = {e.name for e in manifest.entries}
    files = [results[e.name] for e in manifest.entries]
    files += [
        FileResult(name, Verdict.EXTRA, "not in the manifest") for name in _extras(folder, listed)
    ]
    report = VerifyReport(folder, files, bytes_read=read)
    if manifest.playlist:
        report.playlist = folder / manifest.playlist
        report.playlist_problems = _playlist_problems(report.playlist)
    return report


def _hash_all(
    todo: list[tuple[Entry, Path]],
    results: dict[str, FileResult],
    jobs: int,
    progress: ByteProgress | None,
) -> int:
    total = sum(path.stat().st_size for _, path in todo)
    done = 0
    lock = threading.Lock()

    def count(n: int) -> None:
        nonlocal done
        with lock:
            done += n

    def one(entry: Entry, path: Path) -> FileResult:
        try:
            digest = sha256_of(path, on_bytes=count)
        except OSError as exc:
            return FileResult(entry.name, Verdict.UNREADABLE, exc.strerror or str(exc))
        if digest != entry.sha256:
            return FileResult(entry.name, Verdict.CHANGED, "its content differs (SHA-256)")
        return FileResult(entry.name, Verdict.OK)

    if not todo:
        return 0
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="verify") as pool:
        pending = {pool.submit(one, entry, path) for entry, path in todo}
        while pending:
            finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                results[result.name] = result
            if progress:
                with lock:
                    now = done
                progress(now, total)
    return done


def _extras(folder: Path, listed: set[str]) -> list[str]:
    """Names below `folder` the manifest does not list (the manifest itself aside; folders
    standing where a listed file should be are reported as such, not searched)."""
    extras = []
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        dirs[:] = sorted(d for d in dirs if (base / d).as_posix() not in listed)
        for name in sorted(files):
            rel = (base / name).as_posix()
            if rel not in listed and rel != MANIFEST_NAME:
                extras.append(rel)
    return extras


def _playlist_problems(path: Path) -> list[Problem]:
    from player.core.playlist_io import find_problems, load_playlist
    from player.core.venue import VenueError, resolve_venue

    try:
        playlist = load_playlist(path)
    except PlaylistError as exc:
        return list(exc.problems)
    problems = list(find_problems(playlist))
    if playlist.defaults.venue:
        try:
            resolve_venue(playlist.defaults.venue, base=playlist.folder)
        except VenueError as exc:
            problems += exc.problems
    return problems
