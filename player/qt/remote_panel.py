"""The console's Remote menu: where the remote control is, its token, and a QR code a phone
scans to connect (the page's address with the token after '#', which never reaches a server
log). Non-modal: the show runs on while it is open."""

from __future__ import annotations

import io

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

QR_SCALE = 6  # pixels per QR module: ~250 px for a typical address, easy for a phone


def qr_png(text: str, scale: int = QR_SCALE) -> bytes:
    """`text` as a QR code (PNG bytes; segno, pure Python)."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def _field(text: str) -> QLineEdit:
    line = QLineEdit(text)
    line.setReadOnly(True)
    line.setCursorPosition(0)
    line.setMinimumWidth(360)
    return line


class RemoteDialog(QDialog):
    """The remote's address, stage page, token and QR code (`info`: a
    `player.remote.server.RemoteInfo`)."""

    def __init__(self, info, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Remote control")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        self.qr = QLabel()
        self.qr.setObjectName("remote_qr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pixmap = QPixmap()
        pixmap.loadFromData(qr_png(info.connect_url), "PNG")
        self.qr.setPixmap(pixmap)
        layout.addWidget(self.qr)
        hint = QLabel("Scan with a phone to open the remote page, already connected.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hint)
        form = QFormLayout()
        self.page = _field(info.page_url)
        self.token = _field(info.token)
        form.addRow("Remote page", self.page)
        form.addRow("Stage page", _field(info.stage_url))
        form.addRow("Token", self.token)
        form.addRow("OSC", _field(f"UDP port {info.port}, /screening-night/go …"))
        layout.addLayout(form)
        if "//127.0.0.1:" in info.page_url or "//[::1]:" in info.page_url:
            local = QLabel(
                "Only this machine can reach it: start with --remote 0.0.0.0:PORT to let the "
                "phones of the booth's network in."
            )
            local.setWordWrap(True)
            layout.addWidget(local)
