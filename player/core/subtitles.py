"""Subtitle files: which encoding they are in, their cues, and what a subtitler would fix.

Pure (reads the file it is given, nothing else; no Qt, vlc or ffmpeg). Three parts:

* `detect_encoding(path_or_bytes, languages)`: byte-order marks first, then strict UTF-8, then
  the legacy encodings of the night's languages (`languages`, e.g. ("zh", "fr"), and a language
  tag in the file name such as `film.fr.srt`) scored on what the decoded text looks like, then
  charset-normalizer for anything else. `read_text(path)` gives the text, decoded as detected.
* `load_subtitles(path, languages)`: .srt, .ass/.ssa and .vtt into `Cue`s (start, end, text and
  the line they were written on), with what is malformed (`ParseIssue`, located by line).
* `lint(subs, duration_ms)`: cues past the film's end, overlaps, reading speed, lines too long
  for a two-line display, an empty file; each `Finding` carries its check code.

Bad input never raises anything but `SubtitleError` (binary, too large, unreadable), whose
message names the file and what is wrong.
"""

from __future__ import annotations

import enum
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from player.core.model import Playlist, SubtitleOutline

# A feature's subtitles are 50-200 KB (.ass with effects a few MB); past this it is not one.
MAX_BYTES = 10_000_000
READING_SPEED_CPS = 20.0  # characters a second (Netflix's adult limit for Latin scripts)
MAX_LINES = 2
MAX_LINE_CHARS = 42  # Latin-script characters on one line (EBU-TT-D, Netflix)
MAX_LINE_CJK = 16  # full-width characters on one line (Netflix: Chinese, Japanese)
PAST_END_SLACK_MS = 1_000
MIN_CUE_MS = 1  # shorter cues never show

# ---------------------------------------------------------------------------------- languages

# ISO 639-1 code -> (ISO 639-2 codes as containers write them, English name, script group)
_LANGUAGES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "zh": (("zho", "chi", "cmn", "yue", "zh-cn", "zh-tw"), "Chinese", "zh"),
    "fr": (("fra", "fre"), "French", "latin"),
    "en": (("eng",), "English", "latin"),
    "de": (("deu", "ger"), "German", "latin"),
    "es": (("spa",), "Spanish", "latin"),
    "it": (("ita",), "Italian", "latin"),
    "pt": (("por",), "Portuguese", "latin"),
    "nl": (("nld", "dut"), "Dutch", "latin"),
    "ca": (("cat",), "Catalan", "latin"),
    "da": (("dan",), "Danish", "latin"),
    "sv": (("swe",), "Swedish", "latin"),
    "no": (("nor", "nob", "nno"), "Norwegian", "latin"),
    "fi": (("fin",), "Finnish", "latin"),
    "pl": (("pol",), "Polish", "central"),
    "cs": (("ces", "cze"), "Czech", "central"),
    "hu": (("hun",), "Hungarian", "central"),
    "ro": (("ron", "rum"), "Romanian", "central"),
    "ru": (("rus",), "Russian", "cyrillic"),
    "uk": (("ukr",), "Ukrainian", "cyrillic"),
    "el": (("ell", "gre"), "Greek", "greek"),
    "tr": (("tur",), "Turkish", "turkish"),
    "he": (("heb",), "Hebrew", "hebrew"),
    "ar": (("ara",), "Arabic", "arabic"),
    "ja": (("jpn",), "Japanese", "ja"),
    "ko": (("kor",), "Korean", "ko"),
    "vi": (("vie",), "Vietnamese", "vi"),
    "th": (("tha",), "Thai", "th"),
}
# The legacy (pre-Unicode) encodings subtitle files of each script group come in, likeliest
# first (Python codec names).
_LEGACY: dict[str, tuple[str, ...]] = {
    "latin": ("cp1252", "iso8859_15"),
    "central": ("cp1250", "iso8859_2"),
    "cyrillic": ("cp1251", "koi8_r"),
    "greek": ("cp1253", "iso8859_7"),
    "turkish": ("cp1254",),
    "hebrew": ("cp1255",),
    "arabic": ("cp1256",),
    "vi": ("cp1258",),
    "th": ("cp874",),
    "zh": ("gb18030", "big5"),
    "ja": ("cp932", "euc_jp"),
    "ko": ("cp949",),
}
# Python codec -> the encoding's registered name (what people read, and what iconv takes)
_NAMES = {
    "ascii": "ASCII",
    "utf_8": "UTF-8",
    "utf_16": "UTF-16",
    "utf_32": "UTF-32",
    "cp1252": "windows-1252",
    "iso8859_15": "ISO-8859-15",
    "cp1250": "windows-1250",
    "iso8859_2": "ISO-8859-2",
    "cp1251": "windows-1251",
    "koi8_r": "KOI8-R",
    "cp1253": "windows-1253",
    "iso8859_7": "ISO-8859-7",
    "cp1254": "windows-1254",
    "cp1255": "windows-1255",
    "cp1256": "windows-1256",
    "cp1258": "windows-1258",
    "cp874": "windows-874",
    "gb18030": "GB18030",
    "big5": "Big5",
    "cp932": "Shift_JIS",
    "euc_jp": "EUC-JP",
    "cp949": "EUC-KR",
}
_BOMS = (  # longest first: UTF-32-LE's BOM starts with UTF-16-LE's
    (b"\xff\xfe\x00\x00", "utf_32"),
    (b"\x00\x00\xfe\xff", "utf_32"),
    (b"\xef\xbb\xbf", "utf_8"),
    (b"\xff\xfe", "utf_16"),
    (b"\xfe\xff", "utf_16"),
)
_LANG_TAG = re.compile(r"^([a-z]{2,3})(?:[-_]([a-z]{2,4}))?$", re.I)


def language_key(code: str | None) -> str | None:
    """The ISO 639-1 code of a language as written in a playlist or a container ('fr', 'fra',
    'fre', 'zh-Hant', 'chi' ...), or None when it is not one we know."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in _LANGUAGES:
        return code
    base = code.split("-")[0]
    if base in _LANGUAGES:
        return base
    for key, (codes, _name, _group) in _LANGUAGES.items():
        if code in codes or base in codes:
            return key
    return None


def same_language(wanted: str, tag: str | None) -> bool:
    """True when a track tagged `tag` (as the container writes it) is in language `wanted`."""
    key = language_key(wanted)
    if key is None:
        return bool(tag) and wanted.strip().lower() == (tag or "").strip().lower()
    return language_key(tag) == key


def pick_track(wanted: str | int, languages: list[str | None]) -> int | None:
    """Which of a film's tracks of one kind (their language tags, in file order) `wanted`
    names: a language ('fr', 'zh') or a 1-based position. The 0-based index, or None."""
    if isinstance(wanted, int):
        return wanted - 1 if 1 <= wanted <= len(languages) else None
    for index, tag in enumerate(languages):
        if same_language(wanted, tag):
            return index
    return None


def language_name(code: str | None) -> str | None:
    key = language_key(code)
    return _LANGUAGES[key][1] if key else None


def file_language(path: Path) -> str | None:
    """The language tag in a subtitle file's name: 'film.fr.srt' -> 'fr', 'a.zh-Hant.vtt' ->
    'zh-hant'; None when there is none we know."""
    parts = path.name.split(".")
    if len(parts) < 3:
        return None
    tag = parts[-2]
    return tag.lower() if _LANG_TAG.match(tag) and language_key(tag) else None


# ---------------------------------------------------------------------------------- encodings


class SubtitleError(Exception):
    """A subtitle file that cannot be used at all; `message` names the file and the reason,
    `line` the line (1-based) where that is known."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path, self.reason, self.line = Path(path), message, line
        where = f"{self.path.name}:{line}" if line else self.path.name
        super().__init__(f"{where}: {message}")

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Detected:
    """A file's encoding as found: `codec` is Python's name for it, `name` the registered one
    (e.g. 'windows-1252'), `language` what the text reads as (e.g. 'French'), `sure` False when
    another encoding would read it differently and the text does not settle which. A mixed
    file has lines in `codec` (UTF-8) and others, from `mixed_line` on, in `other_codec`."""

    codec: str
    bom: bool = False
    language: str | None = None
    sure: bool = True
    alternatives: tuple[str, ...] = ()  # registered names of the other readings
    mixed_line: int | None = None
    other_codec: str | None = None

    @property
    def name(self) -> str:
        return _NAMES.get(self.codec, self.codec.replace("_", "-"))

    @property
    def other_name(self) -> str | None:
        return _NAMES.get(self.other_codec, self.other_codec) if self.other_codec else None

    @property
    def is_utf8(self) -> bool:
        return self.codec in ("utf_8", "ascii") and self.mixed_line is None

    def describe(self) -> str:
        """'windows-1252, French', 'UTF-16 (BOM), Chinese', 'UTF-8 + windows-1252 (mixed)'."""
        text = self.name + (" (BOM)" if self.bom else "")
        if self.mixed_line is not None:
            text += f" + {self.other_name} (mixed)"
        return f"{text}, {self.language}" if self.language else text

    def __str__(self) -> str:
        return self.describe()


def _candidates(languages: Iterable[str]) -> list[str]:
    groups: list[str] = []
    for code in languages:
        key = language_key(code)
        if key is None:
            continue
        group = _LANGUAGES[key][2]
        if code.lower().replace("_", "-") in ("zh-hant", "zh-tw", "zh-hk"):
            group = "zh-hant"
        if group not in groups:
            groups.append(group)
    out: list[str] = []
    for group in groups:
        codecs = ("big5", "gb18030") if group == "zh-hant" else _LEGACY.get(group, ())
        out += [c for c in codecs if c not in out]
    return out


_COMMON_HAN: frozenset[str] | None = None


def _common_han() -> frozenset[str]:
    global _COMMON_HAN
    if _COMMON_HAN is None:
        from charset_normalizer.constant import FREQUENCIES

        _COMMON_HAN = frozenset(FREQUENCIES.get("Chinese", ()))
    return _COMMON_HAN


_RARE_LATIN = set("¤¦¨´¸¼½¾")  # where windows-1252 and ISO-8859-15 differ: rare in dialogue


def _score(text: str) -> float:
    """How much `text` looks like real writing: mean points per non-ASCII character (higher is
    better). Controls, private use and symbols a subtitle does not hold cost; letters, CJK and
    typographic punctuation earn. Each distinct character is judged once, weighed by count."""
    counts: Counter[str] = Counter(ch for ch in text if ch >= "\x80")
    if not counts:
        return 0.0
    in_words = _in_latin_words(text)
    common = _common_han()
    points = 0.0
    for ch, count in counts.items():
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd":
            value = -10.0
        elif ch in _RARE_LATIN:
            value = -3.0
        elif "\u4e00" <= ch <= "\u9fff":
            value = 2.0 if ch in common else 1.0
        elif "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef":
            value = 1.0  # CJK punctuation, full-width forms
        elif cat.startswith("L"):
            name = unicodedata.name(ch, "")
            if "CJK COMPATIBILITY" in name or "EXTENSION" in name:
                value = -1.0
            elif not name.startswith("LATIN") and ch in in_words:
                value = -2.0  # 'Йtй': another script inside a Latin word
            else:
                value = 1.0
        elif cat in ("Pi", "Pf", "Pd", "Po", "Sc", "Zs"):
            value = 0.5  # « » – … € and no-break spaces
        else:
            value = -1.0
        points += value * count
    return points / sum(counts.values())


_LATIN_WORD = re.compile(r"[A-Za-z]([^\x00-\x7f])|([^\x00-\x7f])[A-Za-z]")


def _in_latin_words(text: str) -> set[str]:
    """The non-ASCII characters written right beside an ASCII letter."""
    return {a or b for a, b in _LATIN_WORD.findall(text)}


def _language_of(text: str, languages: Iterable[str], file_tag: str | None) -> str | None:
    """What the decoded text reads as, by script, then by the hints."""
    han = kana = hangul = latin = 0
    for ch in text[:20_000]:  # a film's first minutes say it
        if "\u4e00" <= ch <= "\u9fff":
            han += 1
        elif "\u3040" <= ch <= "\u30ff":
            kana += 1
        elif "\uac00" <= ch <= "\ud7af":
            hangul += 1
        elif ch.isalpha() and ch < "\u0250":
            latin += 1
    hints = [k for k in ([file_tag] if file_tag else []) + list(languages) if language_key(k)]
    if not (han or kana or hangul or latin):
        return None  # nothing written to tell
    if kana > han // 10 and kana:
        return "Japanese"
    if hangul and hangul >= han:
        return "Korean"
    if han and han * 2 >= latin // 3:
        return "Chinese"
    for hint in hints:
        key = language_key(hint)
        if key and _LANGUAGES[key][2] in ("latin", "central", "turkish", "vi"):
            return _LANGUAGES[key][1]
    for hint in hints:
        return language_name(hint)
    return None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def detect_encoding(
    source: Path | str | bytes, languages: Iterable[str] = (), *, path: Path | None = None
) -> Detected:
    """The encoding of a subtitle file (a path, or its bytes with `path` naming it for the
    language tag in its name). `languages` are hints, most likely first: the night's languages
    and the film's. Raises SubtitleError for a file that cannot be read or is not text."""
    if isinstance(source, bytes):
        data, name = source, Path(path) if path else Path("subtitles")
    else:
        name = Path(source)
        data = _read(name)
    languages = list(languages)
    tag = file_language(name)
    hints = ([tag] if tag else []) + languages
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec + ("_sig" if codec == "utf_8" else ""))
            if text is None:
                raise SubtitleError(
                    name, f"{_NAMES[codec]} byte-order mark, but not {_NAMES[codec]}"
                )
            return Detected(codec, bom=True, language=_language_of(text, languages, tag))
    if b"\x00" in data:
        return _utf16_without_bom(name, data, languages, tag)
    if _looks_binary(data):
        raise SubtitleError(name, "not a text file (binary data) — is it really subtitles?")
    text = _strict(data, "utf_8")
    if text is not None:
        codec = "ascii" if text.isascii() else "utf_8"
        return Detected(codec, language=_language_of(text, languages, tag))
    mixed = _mixed(data)
    legacy = _choose_legacy(mixed[1] if mixed else data, hints)
    if mixed:
        line, _rest = mixed
        text = decode(data, Detected("utf_8", mixed_line=line, other_codec=legacy.codec))
        return Detected(
            "utf_8",
            language=_language_of(text, languages, tag),
            sure=False,
            mixed_line=line,
            other_codec=legacy.codec,
        )
    text = data.decode(legacy.codec, errors="replace")
    return Detected(
        legacy.codec,
        language=_language_of(text, languages, tag),
        sure=legacy.sure,
        alternatives=legacy.alternatives,
    )


def _utf16_without_bom(name: Path, data: bytes, languages: list[str], tag: str | None) -> Detected:
    """NUL bytes: UTF-16 (or UTF-32) written without a byte-order mark, or binary."""
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) / 2
    for codec, zeros in (("utf_16_le", odd), ("utf_16_be", even)):
        if zeros > 0.3 * half:
            text = _strict(data, codec)
            if (
                text is not None
                and not _looks_binary(text)
                and (text.isascii() or _score(text) > 0)
            ):
                return Detected(codec, language=_language_of(text, languages, tag), sure=False)
    raise SubtitleError(name, "not a text file (binary data) — is it really subtitles?")


def _looks_binary(data: bytes | str) -> bool:
    """Control characters (not tabs or line ends) in more than 1 % of the first 64 KB."""
    sample = data[:65536]
    codes = sample if isinstance(sample, bytes) else [ord(ch) for ch in sample]
    controls = sum(1 for b in codes if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(2, len(sample) // 100)


def _mixed(data: bytes) -> tuple[int, bytes] | None:
    """(first line that is not UTF-8, those lines' bytes) when the file has real UTF-8 lines
    (with non-ASCII characters) and lines that are not UTF-8; else None."""
    utf8_lines = 0
    first_bad: int | None = None
    bad: list[bytes] = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        if _strict(line, "utf_8") is not None:
            utf8_lines += 1
        else:
            first_bad = first_bad or number
            bad.append(line)
    if utf8_lines and first_bad is not None:
        return first_bad, b"\n".join(bad)
    return None


@dataclass(frozen=True)
class _Choice:
    codec: str
    sure: bool
    alternatives: tuple[str, ...] = ()


def _choose_legacy(data: bytes, hints: list[str]) -> _Choice:
    """The legacy encoding that reads `data` best among the hinted languages' (all of them
    when the hints name none), else charset-normalizer's pick."""
    candidates = _candidates(hints) or [c for codecs in _LEGACY.values() for c in codecs]
    sample = _sample(data)
    gb2312 = _gb2312_shaped(sample)
    readings: list[tuple[float, str, str]] = []
    for codec in candidates:
        if _strict(data, codec) is not None:  # the whole file; judged on its sample
            text = sample.decode(codec)
            score = _score(text)
            if codec == "big5" and gb2312:
                score -= 0.5  # GB2312 bytes decode as Big5 too, mostly into rarer characters
            readings.append((score, codec, text))
    readings.sort(key=lambda r: -r[0])
    if not readings or readings[0][0] <= 0:
        return _normalizer_choice(data, candidates)
    best_score, best, best_text = readings[0]
    others = [(s, c) for s, c, t in readings[1:] if t != best_text]
    close = tuple(_NAMES.get(c, c) for s, c in others if best_score - s < 0.5)
    return _Choice(best, sure=not close, alternatives=close)


def _sample(data: bytes, lines: int = 400) -> bytes:
    """The first `lines` lines holding non-ASCII bytes: what tells encodings apart."""
    found = [line for line in data.split(b"\n") if not line.isascii()]
    return b"\n".join(found[:lines])


def _gb2312_shaped(data: bytes) -> bool:
    """Every two-byte character has its second byte in 0xA1-0xFE, as GB2312 (and not Big5,
    whose second bytes are 0x40-0x7E about a third of the time) writes them."""
    i, pairs = 0, 0
    while i < len(data) - 1:
        if data[i] >= 0x81:
            if not 0xA1 <= data[i + 1] <= 0xFE:
                return False
            pairs += 1
            i += 2
        else:
            i += 1
    return pairs > 0


def _normalizer_choice(data: bytes, candidates: list[str]) -> _Choice:
    from charset_normalizer import from_bytes

    best = from_bytes(data, threshold=0.5).best()
    if best is None:
        return _Choice(candidates[0] if candidates else "cp1252", sure=False)
    codec = best.encoding
    if codec == "utf_8":  # charset-normalizer's fallback; strict UTF-8 failed already
        return _Choice(candidates[0] if candidates else "cp1252", sure=False)
    return _Choice(codec, sure=False)


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SubtitleError(
                path,
                f"{size / 1e6:.1f} MB is far too large for subtitles (a film's are a few "
                "hundred KB) — is it the right file?",
            )
        with path.open("rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SubtitleError(path, "subtitle file not found") from None
    except IsADirectoryError:
        raise SubtitleError(path, "is a folder, not a subtitle file") from None
    except OSError as exc:
        raise SubtitleError(path, f"cannot be read: {exc.strerror or exc}") from None


def decode(data: bytes, detected: Detected) -> str:
    """`data` as text, read as `detected` says (a mixed file line by line), BOM dropped."""
    if detected.mixed_line is not None and detected.other_codec:
        lines = []
        for line in data.split(b"\n"):
            text = _strict(line, "utf_8")
            lines.append(text if text is not None else line.decode(detected.other_codec, "replace"))
        return "\n".join(lines)
    codec = "utf_8_sig" if detected.codec == "utf_8" else detected.codec
    text = data.decode(codec, errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: Path | str, languages: Iterable[str] = ()) -> str:
    """The text of a subtitle file, decoded as `detect_encoding` finds it (for converting it to
    UTF-8). Raises SubtitleError."""
    path = Path(path)
    data = _read(path)
    return decode(data, detect_encoding(data, languages, path=path))


# ---------------------------------------------------------------------------------- parsing


class SubtitleFormat(enum.Enum):
    SRT = "srt"
    ASS = "ass"  # also SSA
    VTT = "vtt"


SUFFIXES = {".srt": SubtitleFormat.SRT, ".ass": SubtitleFormat.ASS, ".ssa": SubtitleFormat.ASS,
            ".vtt": SubtitleFormat.VTT}  # fmt: skip


def format_of(path: Path) -> SubtitleFormat | None:
    return SUFFIXES.get(Path(path).suffix.lower())


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from `start_ms` to `end_ms`; `text` as written (tags kept, lines
    joined with newlines); `line` the 1-based line of the file its timing is on."""

    start_ms: int
    end_ms: int
    text: str
    line: int

    @property
    def plain(self) -> str:
        """The text as read on screen: markup removed."""
        return _plain(self.text)

    @property
    def lines(self) -> list[str]:
        return [line for line in self.plain.split("\n") if line.strip()]


@dataclass(frozen=True)
class ParseIssue:
    line: int
    message: str


@dataclass(frozen=True)
class SubtitleFile:
    path: Path
    format: SubtitleFormat
    detected: Detected
    cues: tuple[Cue, ...]
    issues: tuple[ParseIssue, ...] = field(default=())
    empty: bool = False  # the file holds nothing but white space


_TAGS = re.compile(r"\{[^}]*\}|<[^>]*>")


def _plain(text: str) -> str:
    text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
    text = _TAGS.sub("", text)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " "), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


_T = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_T}\s*-->\s*{_T}(.*)$")
_ASS_TIME = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?\s*$")


def _ms(hours: str | None, minutes: str, seconds: str, frac: str | None) -> int:
    frac_ms = int((frac or "0").ljust(3, "0")[:3])
    return (int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)) * 1000 + frac_ms


def load_subtitles(path: Path | str, languages: Iterable[str] = ()) -> SubtitleFile:
    """Read and parse a subtitle file. Raises SubtitleError for one that cannot be read at all
    (missing, binary, too large, an unknown format); what is malformed inside is in `issues`."""
    path = Path(path)
    fmt = format_of(path)
    if fmt is None:
        raise SubtitleError(
            path, f"'{path.suffix or path.name}' is not a subtitle format read here "
            "(.srt, .ass, .ssa, .vtt)"
        )  # fmt: skip
    return parse_bytes(_read(path), path, languages)


def parse_bytes(data: bytes, path: Path, languages: Iterable[str] = ()) -> SubtitleFile:
    """`load_subtitles` for bytes already read from `path` (its name gives the format)."""
    path = Path(path)
    if len(data) > MAX_BYTES:
        raise SubtitleError(
            path,
            f"{len(data) / 1e6:.1f} MB or more is far too large for subtitles (a film's are a "
            "few hundred KB) — is it the right file?",
        )
    detected = detect_encoding(data, languages, path=path)
    return parse_text(decode(data, detected), format_of(path) or SubtitleFormat.SRT,
                      path=path, detected=detected)  # fmt: skip


def parse_text(
    text: str, fmt: SubtitleFormat, *, path: Path = Path("subtitles"), detected: Detected | None
) -> SubtitleFile:
    """Parse decoded subtitle text (any line endings)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    parse = {SubtitleFormat.SRT: _parse_srt, SubtitleFormat.ASS: _parse_ass,
             SubtitleFormat.VTT: _parse_vtt}[fmt]  # fmt: skip
    cues, issues = parse(lines)
    return SubtitleFile(
        path=path,
        format=fmt,
        detected=detected or Detected("utf_8"),
        cues=tuple(cues),
        issues=tuple(issues),
        empty=not text.strip(),
    )


def _timing(line: str) -> tuple[int, int, str] | None:
    match = _TIMING.match(line)
    if not match:
        return None
    g = match.groups()
    return _ms(*g[:4]), _ms(*g[4:8]), g[8]


def _block_cues(lines: list[str], *, vtt: bool) -> tuple[list[Cue], list[ParseIssue]]:
    """SRT and WebVTT share a shape: [id line] timing line, text lines, a blank line."""
    cues: list[Cue] = []
    issues: list[ParseIssue] = []
    current: tuple[int, int, int] | None = None  # start, end, line of the cue being read
    text: list[str] = []
    skipping = False  # inside a WebVTT NOTE/STYLE/REGION block
    first = 0
    if vtt:
        if not lines or not lines[0].startswith("WEBVTT"):
            issues.append(ParseIssue(1, "a WebVTT file must start with 'WEBVTT'"))
        else:
            first = 1
            while first < len(lines) and lines[first].strip():
                first += 1  # the header block

    def close() -> None:
        nonlocal current, text
        if current is not None:
            cues.append(Cue(current[0], current[1], "\n".join(text).strip("\n"), current[2]))
        current, text = None, []

    for number, line in enumerate(lines[first:], first + 1):
        if not line.strip():
            close()
            skipping = False
            continue
        if skipping:
            continue
        timing = _timing(line)
        if timing is not None:
            if current is not None:
                # A new cue with no blank line before it: players show it inside the one
                # before (its number and timing as text). An id line just before is not text.
                if text and (text[-1].strip().isdigit() or vtt):
                    text.pop()
                issues.append(ParseIssue(number, "a cue starts without the blank line before it"))
                close()
            start, end, _settings = timing
            if end < start:
                issues.append(ParseIssue(number, "the cue ends before it starts"))
            current = (start, end, number)
            continue
        if current is not None:
            text.append(line)
            continue
        stripped = line.strip()
        if vtt and stripped.split(" ")[0] in ("NOTE", "STYLE", "REGION"):
            skipping = True
            continue
        upcoming = lines[number] if number < len(lines) else ""
        if _timing(upcoming) is not None:
            if not vtt and not stripped.isdigit():
                issues.append(ParseIssue(number, f"'{_short(stripped)}' is not a cue number"))
            continue  # the cue's number (SRT) or identifier (WebVTT)
        if "-->" in stripped:
            issues.append(ParseIssue(number, f"unreadable timing '{_short(stripped)}'"))
        else:
            issues.append(ParseIssue(number, f"'{_short(stripped)}' is outside any cue"))
    close()
    return cues, issues


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _parse_srt(lines: list[str]) -> tuple[list[Cue], list[ParseIssue]]:
    return _block_cues(lines, vtt=False)


def _parse_vtt(lines: list[str]) -> tuple[list[Cue], list[ParseIssue]]:
    return _block_cues(lines, vtt=True)


def _parse_ass(lines: list[str]) -> tuple[list[Cue], list[ParseIssue]]:
    cues: list[Cue] = []
    issues: list[ParseIssue] = []
    section = ""
    fields: list[str] | None = None
    seen_events = False
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.lower()
            seen_events = seen_events or section == "[events]"
            continue
        if section != "[events]":
            continue
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "format":
            fields = [f.strip().lower() for f in value.split(",")]
            if not {"start", "end", "text"} <= set(fields):
                issues.append(ParseIssue(number, "the Format line lacks Start, End or Text"))
                fields = None
            continue
        if key != "dialogue":
            continue
        if fields is None:
            issues.append(ParseIssue(number, "a Dialogue line comes before the Format line"))
            fields = ["layer", "start", "end", "style", "name", "marginl", "marginr",
                      "marginv", "effect", "text"]  # fmt: skip
        parts = value.split(",", len(fields) - 1)
        if len(parts) < len(fields):
            issues.append(ParseIssue(number, "a Dialogue line with too few fields"))
            continue
        values = dict(zip(fields, parts, strict=True))
        start, end = _ass_ms(values["start"]), _ass_ms(values["end"])
        if start is None or end is None:
            issues.append(ParseIssue(number, "unreadable Start or End time"))
            continue
        if end < start:
            issues.append(ParseIssue(number, "the cue ends before it starts"))
        cues.append(Cue(start, end, values["text"].strip(), number))
    if not seen_events:
        issues.append(ParseIssue(1, "no [Events] section — is it an .ass/.ssa file?"))
    return cues, issues


def _ass_ms(text: str) -> int | None:
    match = _ASS_TIME.match(text)
    if not match:
        return None
    hours, minutes, seconds, frac = match.groups()
    # centiseconds in ASS ("0:00:01.50"); a third digit is milliseconds
    frac_ms = int((frac or "0").ljust(2, "0")) * (10 if len(frac or "00") <= 2 else 1)
    return (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 1000 + frac_ms


def srt_text(cues: Iterable[Cue]) -> str:
    """Cues written back as a clean SRT (numbered, blank lines between, UTF-8 ready)."""

    def stamp(ms: int) -> str:
        ms = max(0, ms)
        h, rest = divmod(ms, 3_600_000)
        m, rest = divmod(rest, 60_000)
        s, ms = divmod(rest, 1000)
        return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"

    blocks = [
        f"{n}\n{stamp(c.start_ms)} --> {stamp(c.end_ms)}\n{c.text}\n" for n, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


# ---------------------------------------------------------------------------------- linting


class Rule(enum.Enum):
    """What a subtitler checks; the value is the check code (player.core.check.CODES)."""

    UNREADABLE = "subtitles-unreadable"
    ENCODING = "subtitles-encoding"
    EMPTY = "subtitles-empty"
    MALFORMED = "subtitles-malformed"
    PAST_END = "subtitles-past-end"
    OVERLAP = "subtitles-overlap"
    READING_SPEED = "subtitles-reading-speed"
    LINE_TOO_LONG = "subtitles-line-too-long"


@dataclass(frozen=True)
class Finding:
    rule: Rule
    message: str
    line: int | None = None


def _clock(ms: int) -> str:
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    h, rest = divmod(ms // 1000, 3600)
    m, s = divmod(rest, 60)
    base = f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    return f"{sign}{base}.{ms % 1000:03d}"


def _cells(text: str) -> float:
    """Width of a line in full-width cells: CJK and full-width forms 1, the rest 1/2."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def _where(path: Path, lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:3])
    more = f" and {len(lines) - 3} more" if len(lines) > 3 else ""
    return f"{path.name}:{lines[0]}" if len(lines) == 1 else f"{path.name} (lines {shown}{more})"


def lint(subs: SubtitleFile, duration_ms: int | None = None) -> list[Finding]:
    """What a subtitler would fix before the night, worst first. `duration_ms` is how long the
    film's file runs (None: unknown, no end check)."""
    path = subs.path
    out: list[Finding] = []
    d = subs.detected
    if d.mixed_line is not None:
        out.append(
            Finding(
                Rule.ENCODING,
                f"{path.name}:{d.mixed_line}: mixed encodings — UTF-8, but from line "
                f"{d.mixed_line} some lines are {d.other_name}; shown as read line by line, "
                "save it as UTF-8",
                d.mixed_line,
            )
        )
    elif not d.sure:
        other = " or ".join(d.alternatives) if d.alternatives else "another encoding"
        out.append(
            Finding(
                Rule.ENCODING,
                f"{path.name}: read as {d.describe()}, but it could be {other} — look at the "
                "proof (cards --subtitles) and save it as UTF-8",
            )
        )
    if not subs.cues:
        what = "is empty" if subs.empty else "holds no subtitle cue"
        hint = "" if subs.empty else f" — is it a .{subs.format.value} file?"
        out.append(Finding(Rule.EMPTY, f"{path.name} {what}{hint}", None))
        return out + _issue_findings(subs)
    out += _issue_findings(subs)
    cues = sorted(subs.cues, key=lambda c: (c.start_ms, c.line))
    if duration_ms is not None:
        late = [c for c in cues if c.end_ms > duration_ms + PAST_END_SLACK_MS]
        if late:
            last = max(c.end_ms for c in late)
            out.append(
                Finding(
                    Rule.PAST_END,
                    f"{_where(path, [c.line for c in late])}: {len(late)} cue(s) run past the "
                    f"end of the film (last ends at {_clock(last)}, the film at "
                    f"{_clock(duration_ms)}) — wrong file, or made for another frame rate?",
                    late[0].line,
                )
            )
    if subs.format is not SubtitleFormat.ASS:  # .ass layers and signs overlap by design
        overlaps = [b for a, b in itertools.pairwise(cues) if b.start_ms < a.end_ms]
        if overlaps:
            out.append(
                Finding(
                    Rule.OVERLAP,
                    f"{_where(path, [c.line for c in overlaps])}: {len(overlaps)} cue(s) start "
                    "before the one before has gone — both show at once, stacked",
                    overlaps[0].line,
                )
            )
    fast: list[tuple[float, Cue]] = []
    long_lines: list[Cue] = []
    for cue in cues:
        text = "".join(cue.lines)
        shown = cue.end_ms - cue.start_ms
        if text and shown >= MIN_CUE_MS:
            cps = len(text) * 1000 / shown
            if cps > READING_SPEED_CPS:
                fast.append((cps, cue))
        if len(cue.lines) > MAX_LINES or any(_too_long(line) for line in cue.lines):
            long_lines.append(cue)
    if fast:
        cps, worst = max(fast, key=lambda f: f[0])
        out.append(
            Finding(
                Rule.READING_SPEED,
                f"{_where(path, [c.line for _, c in fast])}: {len(fast)} cue(s) faster than "
                f"{READING_SPEED_CPS:g} characters a second (worst {cps:.0f} at line "
                f"{worst.line}, {_clock(worst.start_ms)}) — too fast to read",
                worst.line,
            )
        )
    if long_lines:
        first = long_lines[0]
        out.append(
            Finding(
                Rule.LINE_TOO_LONG,
                f"{_where(path, [c.line for c in long_lines])}: {len(long_lines)} cue(s) do not "
                f"fit two lines of {MAX_LINE_CHARS} characters ({MAX_LINE_CJK} in Chinese or "
                "Japanese) — they wrap into three or more lines over the picture",
                first.line,
            )
        )
    return out


def _too_long(line: str) -> bool:
    line = line.strip()
    if any(unicodedata.east_asian_width(ch) in "WF" for ch in line):
        return _cells(line) > MAX_LINE_CJK
    return len(line) > MAX_LINE_CHARS


def _issue_findings(subs: SubtitleFile) -> list[Finding]:
    if not subs.issues:
        return []
    by_message: dict[str, list[int]] = {}
    for issue in subs.issues:
        by_message.setdefault(issue.message, []).append(issue.line)
    out = []
    for message, lines in by_message.items():
        more = ""
        if len(lines) > 1:
            more = f" ({len(lines)} times: lines {', '.join(map(str, lines[:5]))}"
            more += "…)" if len(lines) > 5 else ")"
        out.append(
            Finding(
                Rule.MALFORMED,
                f"{subs.path.name}:{lines[0]}: {message}{more} — players may show such cues "
                "wrongly or not at all",
                lines[0],
            )
        )
    return out


def check_file(
    path: Path,
    duration_ms: int | None,
    languages: Iterable[str] = (),
    *,
    data: bytes | None = None,
) -> tuple[SubtitleFile | None, list[Finding]]:
    """Load (or parse `data`, read from `path` already) and lint one subtitle file: (the file,
    or None when it cannot be read at all, and the findings)."""
    try:
        subs = (
            load_subtitles(path, languages) if data is None else parse_bytes(data, path, languages)
        )
    except SubtitleError as exc:
        return None, [Finding(Rule.UNREADABLE, exc.message, exc.line)]
    return subs, lint(subs, duration_ms)


# ---------------------------------------------------------------------------------- the look


@dataclass(frozen=True)
class SubtitleStyle:
    """How subtitles look on the projector: `font` a family (CJK coverage: Noto Sans CJK),
    `size_pct` the font size in percent of the picture height, `color` '#rrggbb', an outline
    and an optional drop shadow. `languages` are the night's, the hint for guessing encodings."""

    font: str = "Noto Sans CJK SC"
    size_pct: float = 5.5
    color: str = "#ffffff"
    outline: SubtitleOutline = SubtitleOutline.NORMAL
    shadow: bool = True
    languages: tuple[str, ...] = ()

    @classmethod
    def of(cls, playlist: Playlist) -> SubtitleStyle:
        """The night's subtitle look, from its theme, with its languages as the hint."""
        theme = playlist.theme
        return cls(
            font=theme.subtitle_font or theme.font,
            size_pct=theme.subtitle_size,
            color=theme.subtitle_color,
            outline=theme.subtitle_outline,
            shadow=theme.subtitle_shadow,
            languages=playlist.languages,
        )
