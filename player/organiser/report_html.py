"""The media check as one self-contained HTML page: a poster frame of every film (JPEG,
embedded as base64), its technical sheet and a red/amber/green status; prints on A4.

Blocking (grabs the poster frames with ffmpeg, in parallel). All text is escaped.
"""

from __future__ import annotations

import base64
import html
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from player.core.atomic import atomic_write
from player.core.model import format_duration as clock
from player.media import probe as prober
from player.organiser.check_run import CheckItem, CheckReport

POSTER_AT = 0.10  # of the running time: past black leaders and logos, before anything spoils

CSS = """
:root { --ok: #1e8e3e; --warning: #e8a317; --error: #c5221f; --ink: #1d1d1f; --rule: #d8d8dc; }
* { box-sizing: border-box; }
body { font: 14px/1.45 "Noto Sans", "Noto Sans CJK SC", system-ui, sans-serif; color: var(--ink);
       margin: 2rem auto; max-width: 62rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
.meta { color: #555; margin: 0 0 1rem; }
.summary span { display: inline-block; padding: .15rem .6rem; border-radius: 1rem;
                color: #fff; margin-right: .4rem; font-weight: 600; }
.item { display: grid; grid-template-columns: 16rem 1fr; gap: 1rem; padding: 1rem 0 1rem 1rem;
        border-top: 1px solid var(--rule); border-left: .45rem solid var(--rule);
        break-inside: avoid; page-break-inside: avoid; }
.item.ok { border-left-color: var(--ok); } .item.warning { border-left-color: var(--warning); }
.item.error { border-left-color: var(--error); }
.poster { width: 16rem; background: #111; display: flex; align-items: center;
          justify-content: center; color: #aaa; min-height: 9rem; }
.poster img { width: 100%; display: block; }
h2 { font-size: 1.15rem; margin: 0; }
.path { color: #666; font-size: .85rem; word-break: break-all; margin: 0 0 .4rem; }
.badge { display: inline-block; color: #fff; border-radius: .3rem; padding: 0 .45rem;
         font-size: .8rem; font-weight: 700; vertical-align: middle; margin-left: .4rem; }
.ok .badge, .summary .ok { background: var(--ok); }
.warning .badge, .summary .warning { background: var(--warning); color: #000; }
.error .badge, .summary .error { background: var(--error); }
table.sheet { border-collapse: collapse; font-size: .85rem; }
table.sheet th { text-align: left; font-weight: 600; padding: .05rem .8rem .05rem 0;
                 color: #444; vertical-align: top; white-space: nowrap; }
table.sheet td { padding: .05rem 0; }
ul.problems { margin: .5rem 0 0; padding-left: 1.1rem; }
ul.problems li.error::marker { color: var(--error); }
ul.problems li.warning::marker { color: var(--warning); }
code { font-size: .8rem; background: #f1f1f3; padding: 0 .25rem; border-radius: .2rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  .item { grid-template-columns: 12rem 1fr; }
  .poster { width: 12rem; min-height: 6.75rem; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @page { size: A4; margin: 12mm; }
}
"""


def grab_posters(items: list[CheckItem], *, jobs: int | None = None) -> dict[Path, bytes]:
    """A JPEG for every item with a playable video stream (missing ones simply absent)."""
    wanted = {
        item.path: int((item.media.duration_ms or 0) * POSTER_AT)
        for item in items
        if item.media is not None and item.media.video is not None and not item.media.video.is_still
    }

    def grab(path: Path) -> tuple[Path, bytes | None]:
        try:
            return path, prober.poster_frame(path, wanted[path])
        except prober.ProbeError:
            return path, None

    if not wanted:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
        return {path: data for path, data in pool.map(grab, wanted) if data}


def _sheet(item: CheckItem) -> list[tuple[str, str]]:
    media = item.media
    subtitle_file = [("Subtitle file", item.subtitles.describe())] if item.subtitles else []
    if media is None:
        return subtitle_file
    rows = [
        ("Container", media.container),
        ("Duration", clock(media.duration_ms) if media.duration_ms is not None else "unknown"),
        ("Size", f"{media.size_bytes / 1e6:,.1f} MB"),
    ]
    if media.bit_rate:
        rows.append(("Bit rate", f"{media.bit_rate / 1e6:.2f} Mb/s"))
    v = media.video
    if v is not None:
        codec = v.codec + (f" ({v.profile})" if v.profile else "")
        rows.append(("Video", codec))
        picture = f"{v.width}x{v.height}"
        if v.sar and v.sar not in ("1:1", "0:1"):
            picture += f", SAR {v.sar}"
        if v.dar:
            picture += f", DAR {v.dar}"
        rows.append(("Picture", picture))
        timing = f"{v.fps:g} fps" if v.fps else "—"
        if v.field_order:
            timing += f", {v.field_order}"
        if v.variable_frame_rate:
            timing += ", variable"
        rows.append(("Frame rate", timing))
        pixels = v.pix_fmt or "—"
        if v.bit_depth:
            pixels += f", {v.bit_depth}-bit"
        if v.hdr:
            pixels += f", HDR ({v.hdr.upper()})"
        rows.append(("Pixels", pixels))
        if v.rotation:
            rows.append(("Rotation", f"{v.rotation}°"))
    for n, a in enumerate(media.audio, 1):
        text = f"{a.codec}, {a.channel_layout or f'{a.channels} ch'}"
        if a.sample_rate:
            text += f", {a.sample_rate / 1000:g} kHz"
        if a.language:
            text += f", {a.language}"
        rows.append((f"Audio {n}" if len(media.audio) > 1 else "Audio", text))
    if media.subtitles:
        rows.append(
            (
                "Subtitles",
                ", ".join(f"{s.codec} {s.language or ''}".strip() for s in media.subtitles),
            )
        )
    rows += subtitle_file
    loud = item.loudness
    if loud is not None and loud.integrated_lufs is not None:
        text = f"{loud.integrated_lufs:.1f} LUFS"
        if loud.lra_lu is not None:
            text += f", LRA {loud.lra_lu:.1f} LU"
        if loud.true_peak_dbtp is not None:
            text += f", true peak {loud.true_peak_dbtp:+.1f} dBTP"
        rows.append(("Loudness", text))
    return rows


def render_report(report: CheckReport, posters: dict[Path, bytes] | None = None) -> str:
    """The page as a string (pure; `posters` maps item paths to JPEG bytes)."""
    posters = posters or {}
    esc = html.escape
    summary = report.summary()
    venue = report.venue
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Media check — Screening Night</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Media check</h1>",
        f'<p class="meta">Venue: <strong>{esc(venue.name)}</strong>'
        + (f" — {esc(venue.description)}" if venue.description else "")
        + f" · {'deep check (every packet, loudness)' if report.deep else 'quick check'}"
        + f" · {datetime.now().strftime('%Y-%m-%d %H:%M')}</p>",
        '<p class="summary">'
        f'<span class="ok">{summary["ok"]} ok</span>'
        f'<span class="warning">{summary["warning"]} warning</span>'
        f'<span class="error">{summary["error"]} error</span></p>',
    ]
    for item in report.items:
        poster = posters.get(item.path)
        if poster:
            data = base64.b64encode(poster).decode("ascii")
            picture = f'<img alt="poster frame" src="data:image/jpeg;base64,{data}">'
        else:
            picture = "<span>no picture</span>"
        out.append(f'<section class="item {item.status}">')
        out.append(f'<div class="poster">{picture}</div><div>')
        out.append(
            f'<h2>{esc(item.title)}<span class="badge">{esc(item.status.upper())}</span></h2>'
        )
        out.append(f'<p class="path">{esc(str(item.path))}</p>')
        rows = _sheet(item)
        if rows:
            out.append('<table class="sheet">')
            out += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows]
            out.append("</table>")
        if item.problems:
            out.append('<ul class="problems">')
            out += [
                f'<li class="{p.severity.value}"><code>{esc(p.code)}</code> {esc(p.message)}</li>'
                for p in item.problems
            ]
            out.append("</ul>")
        out.append("</div></section>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(report: CheckReport, path: str | Path, *, jobs: int | None = None) -> Path:
    """Grab the posters and write the page atomically. Raises OSError when not writable."""
    path = Path(path)
    existed = path.exists()
    atomic_write(path, render_report(report, grab_posters(report.items, jobs=jobs)))
    if not existed:
        # The temp file behind an atomic write is private (0600); a report is meant to be shared.
        umask = os.umask(0)
        os.umask(umask)
        path.chmod(0o666 & ~umask)
    return path
