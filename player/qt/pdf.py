"""HTML to PDF with Qt's own text engine (QTextDocument + QPdfWriter): no browser, no extra
dependency. Works headless (QT_QPA_PLATFORM=offscreen). Used for the booth sheet."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QFont, QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from player.core.atomic import atomic_write

PDF_DPI = 300


def _ensure_app() -> None:
    if QGuiApplication.instance() is None:
        # Printing needs no screen: a command-line run on a machine with no display works.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        # Kept alive for the process: Qt's font database needs an application object.
        global _APP
        _APP = QGuiApplication([])


def html_to_pdf(html: str, path: str | Path, *, title: str = "", margin_mm: float = 12.0) -> int:
    """Render `html` (QTextDocument's HTML subset) to an A4 portrait PDF at `path`, written
    atomically. Returns the number of pages. Blocks (tens of ms for one page); call from the
    thread that owns the QGuiApplication (one is created when none exists)."""
    _ensure_app()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.render.pdf")
    writer = QPdfWriter(str(tmp))
    writer.setResolution(PDF_DPI)
    writer.setTitle(title)
    writer.setCreator("Screening Night")
    layout = QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4),
        QPageLayout.Orientation.Portrait,
        QMarginsF(margin_mm, margin_mm, margin_mm, margin_mm),
        QPageLayout.Unit.Millimeter,
    )
    writer.setPageLayout(layout)
    doc = QTextDocument()
    font = QFont("Noto Sans CJK SC")
    font.setPointSizeF(8)
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(html)
    # QTextDocument.print_ treats the page size as screen pixels (at the screen's logical dpi)
    # and scales to the printer; give it the printable area in those units so 8pt stays 8pt.
    screen = QGuiApplication.primaryScreen()
    dpi = screen.logicalDotsPerInch() if screen else 96.0
    rect = layout.paintRect(QPageLayout.Unit.Inch)
    doc.setPageSize(QSizeF(rect.width() * dpi, rect.height() * dpi))
    pages = doc.pageCount()
    try:
        doc.print_(writer)
        del writer  # finishes the file
        atomic_write(path, tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)
    return pages
