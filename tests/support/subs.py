"""Subtitle files shaped like real ones (a film's worth of dialogue, accents, CJK), in any
encoding, for the tests. `cue_text` is what the first cue says, to compare frames against."""

from __future__ import annotations

from pathlib import Path

FRENCH = [
    "Demain, l'œuvre de sa sœur coûtera 5 €.",  # œ, € tell windows-1252 from ISO-8859-15
    "Dave regarde la mer depuis le toit.",
    "« Et si je sautais ? » se demande-t-il.",
    "Ça coûte 5 € - c'est déjà l'été, Noël.",
    "L'œuvre de sa sœur, à côté du château.",
    "Où es-tu allé ? Près du lycée, à Noël.",
]
CHINESE = [
    "明天，整座城市都会漂浮起来。",
    "戴夫从屋顶上望着大海。",
    "“如果我跳下去呢？”他问自己。",
    "大海回答他：来吧。",
    "我们明天见，别忘了带伞。",
    "这是我姐姐的作品。",
]
TRADITIONAL = [
    "明天，整座城市都會漂浮起來。",
    "戴夫從屋頂上望著大海。",
    "「如果我跳下去呢？」他問自己。",
    "大海回答他：來吧。",
    "我們明天見，別忘了帶傘。",
    "這是我姐姐的作品。",
]
LINES = {"fr": FRENCH, "zh": CHINESE, "zh-Hant": TRADITIONAL}
BOMS = {"utf-8-sig": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
        "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}  # fmt: skip


def _stamp(ms: int, sep: str = ",") -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def dialogue(language: str, cues: int = 120, *, first_ms: int = 500, every_ms: int = 4_500):
    """(start_ms, end_ms, text) of `cues` cues of dialogue, two lines every fourth one."""
    lines = LINES[language]
    out = []
    for n in range(cues):
        text = lines[n % len(lines)]
        if n % 4 == 3:
            text += "\n" + lines[(n + 1) % len(lines)]
        start = first_ms + n * every_ms
        out.append((start, start + every_ms - 500, text))
    return out


def srt(cues, *, newline: str = "\n") -> str:
    blocks = [f"{n}\n{_stamp(a)} --> {_stamp(b)}\n{t}\n" for n, (a, b, t) in enumerate(cues, 1)]
    return "\n".join(blocks).replace("\n", newline)


def vtt(cues, *, newline: str = "\n") -> str:
    blocks = [f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{t}\n" for a, b, t in cues]
    return ("WEBVTT\n\n" + "\n".join(blocks)).replace("\n", newline)


def ass(cues, *, newline: str = "\r\n", font: str = "Noto Sans CJK SC") -> str:
    def stamp(ms: int) -> str:
        return (
            f"{ms // 3_600_000}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000 // 10:02d}"
        )

    head = [
        "[Script Info]", "ScriptType: v4.00+", "PlayResX: 640", "PlayResY: 360", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Default,{font},24,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,"
        "100,0,0,1,2,0,2,10,10,20,1", "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]  # fmt: skip
    events = [
        f"Dialogue: 0,{stamp(a)},{stamp(b)},Default,,0,0,0,,{t.replace(chr(10), chr(92) + 'N')}"
        for a, b, t in cues
    ]
    return newline.join([*head, *events, ""])


def write(path: Path, text: str, encoding: str) -> Path:
    """`text` in `encoding`; 'utf-8-sig', 'utf-16-le'... get their byte-order mark."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bom = BOMS.get(encoding, b"")
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    path.write_bytes(bom + text.encode(codec))
    return path


def make(folder: Path, name: str, language: str, encoding: str, *, kind: str | None = None,
         cues: int = 120, first_ms: int = 500, every_ms: int = 4_500,
         newline: str = "\n") -> Path:  # fmt: skip
    """A subtitle file `name` of `kind` (srt, vtt, ass; default: `name`'s suffix) in
    `language`, in `encoding`."""
    made = dialogue(language, cues, first_ms=first_ms, every_ms=every_ms)
    kind = kind or Path(name).suffix.lstrip(".")
    text = {"srt": srt, "vtt": vtt, "ass": ass}[kind](made, newline=newline)
    return write(folder / name, text, encoding)


def cue_text(language: str) -> str:
    return LINES[language][0]


def make_multitrack(path: Path, folder: Path, *, seconds: float = 6.0) -> Path:
    """A grey film (container from `path`'s suffix: .mkv or .mp4) with two audio tracks (fra at
    440 Hz, zho at 880 Hz) and two subtitle tracks (fra, chi: the first cue of each language,
    0.2-5 s), the French one flagged default."""
    from support.synth import _arg_path, _ffmpeg

    cue = [(200, 5_000, cue_text("fr"))], [(200, 5_000, cue_text("zh"))]
    fr = write(folder / f"{path.stem}-in.fr.srt", srt(cue[0]), "utf-8")
    zh = write(folder / f"{path.stem}-in.zh.srt", srt(cue[1]), "utf-8")
    codec = "srt" if path.suffix == ".mkv" else "mov_text"
    return _ffmpeg(
        [
            *("-f", "lavfi", "-i", f"color=c=0x404040:s=640x360:r=25:d={seconds}"),
            *("-f", "lavfi", "-i", f"sine=f=440:d={seconds}"),
            *("-f", "lavfi", "-i", f"sine=f=880:d={seconds}"),
            *("-i", _arg_path(fr), "-i", _arg_path(zh)),
            *("-map", "0", "-map", "1", "-map", "2", "-map", "3", "-map", "4"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-ac", "2", "-c:s", codec),
            *("-metadata:s:a:0", "language=fra", "-metadata:s:a:1", "language=zho"),
            *("-metadata:s:s:0", "language=fra", "-metadata:s:s:1", "language=chi"),
            *("-disposition:s:0", "default", "-disposition:a:0", "default"),
            _arg_path(path),
        ],
        path,
        timeout_s=120,
    )
