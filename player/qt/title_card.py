"""Title cards drawn by Qt: one paint function shared by the projector, the console preview and
`screening-night cards`, so a proof PNG is exactly what the audience sees.

Everything is sized from the target's height, so a card is sharp at any resolution. Text is
always drawn as plain text (`QPainter.drawText` with a string: never rich text, never markup).
CJK lines get a Noto Sans CJK family for their language, and every font lists Noto Sans CJK as
fallback, so no line ever falls back to missing-glyph boxes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QWidget

from player.core.cards import CardContent, CardKind, format_countdown, label

CJK_FALLBACK = "Noto Sans CJK SC"
# Language code (or its prefix) -> the Noto CJK family with that language's glyph shapes.
CJK_FAMILIES = {
    "zh": "Noto Sans CJK SC",
    "zh-hans": "Noto Sans CJK SC",
    "zh-cn": "Noto Sans CJK SC",
    "zh-hant": "Noto Sans CJK TC",
    "zh-tw": "Noto Sans CJK TC",
    "zh-hk": "Noto Sans CJK HK",
    "ja": "Noto Sans CJK JP",
    "ko": "Noto Sans CJK KR",
}

# Sizes as fractions of the card's height.
MARGIN_X = 0.07  # of the width
MARGIN_Y = 0.07
GAP = 0.022
SIZES = {
    "title_first": 0.085,
    "title_other": 0.058,
    "text": 0.068,
    "detail": 0.034,
    "countdown": 0.20,
    "next_label": 0.03,
    "next": 0.045,
    "neutral": 0.06,
}
LOGO_HEIGHT = 0.09
FRENCH_SPACE = re.compile(r" (?=[!?;:»])|(?<=«) ")
WRAP_FLAGS = int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap)


def font_for(theme_font: str, language: str, pixel_size: int, *, bold: bool = False) -> QFont:
    """The font for a line in `language`: the theme's family first, then the CJK family for the
    language, then Noto Sans CJK SC (so CJK in a "" or Latin line still has glyphs)."""
    families = [theme_font]
    cjk = CJK_FAMILIES.get(language.lower()) or CJK_FAMILIES.get(language.lower().split("-")[0])
    if cjk:
        # The language's own CJK shapes come before the theme font (which may be SC).
        families.insert(0, cjk)
    if CJK_FALLBACK not in families:
        families.append(CJK_FALLBACK)
    font = QFont()
    font.setFamilies(families)
    font.setPixelSize(max(1, pixel_size))
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


@dataclass
class LaidLine:
    """One block of text as placed on the card (its rectangle in card pixels)."""

    role: str  # "line" | "detail" | "countdown" | "next_label" | "next"
    language: str
    text: str
    font: QFont
    rect: QRectF
    color: QColor


def balanced_box(metrics: QFontMetricsF, text: str, max_w: float) -> tuple[float, float]:
    """(width, height) to lay `text` out in: as narrow as possible while keeping the number of
    lines it needs at `max_w`, so a wrapped title splits evenly instead of leaving one word."""
    full = metrics.boundingRect(QRectF(0, 0, max_w, 1e6), WRAP_FLAGS, text)
    if full.height() <= metrics.lineSpacing() * 1.5:
        return min(max_w, full.width() + 2), full.height()  # +2: never wrap when drawn
    lo, hi = max_w * 0.4, max_w
    for _ in range(10):
        mid = (lo + hi) / 2
        box = metrics.boundingRect(QRectF(0, 0, mid, 1e6), WRAP_FLAGS, text)
        if box.height() > full.height() + 0.5 or box.width() > mid + 0.5:
            lo = mid
        else:
            hi = mid
    box = metrics.boundingRect(QRectF(0, 0, hi, 1e6), WRAP_FLAGS, text)
    return min(max_w, hi + 2), box.height()


def _blocks(content: CardContent, languages: tuple[str, ...], remaining_ms: int | None):
    """(role, language, text, size key, bold, colour key) in top-to-bottom order."""
    out = []
    kind = content.kind
    for i, (lang, text) in enumerate(content.lines):
        if kind is CardKind.TITLE:
            key = "title_first" if i == 0 else "title_other"
        elif kind is CardKind.NEUTRAL:
            key = "neutral"
        else:
            key = "text"
        out.append(("line", lang, text, key, kind is CardKind.TITLE and i == 0, "text"))
    if kind is CardKind.INTERMISSION:
        total = content.countdown_ms or 0
        ms = total if remaining_ms is None else remaining_ms
        out.append(("countdown", "", format_countdown(ms), "countdown", True, "accent"))
        if content.next_up:
            out.append(("next_label", "", label("next", languages), "next_label", False, "accent"))
            for lang, text in content.next_up:
                out.append(("next", lang, text, "next", False, "text"))
    for text in content.details:
        out.append(("detail", "", text, "detail", False, "dim"))
    return out


def layout_card(
    content: CardContent, width: int, height: int, remaining_ms: int | None = None
) -> list[LaidLine]:
    """Where every text block of `content` goes on a `width` x `height` card.

    Lines wrap at word (or CJK character) boundaries within the margins; when everything does not
    fit, all sizes shrink together until it does. The block is centred vertically.
    """
    languages = tuple(lang for lang, _ in content.lines if lang) or content.languages
    theme = content.theme
    colours = {
        "text": QColor(theme.text_color),
        "accent": QColor(theme.accent_color),
        "dim": QColor(theme.text_color),
    }
    colours["dim"].setAlphaF(0.78)
    blocks = _blocks(content, languages, remaining_ms)
    max_w = width * (1 - 2 * MARGIN_X)
    avail_h = height * (1 - 2 * MARGIN_Y)
    scale = 1.0
    for _attempt in range(8):
        laid: list[LaidLine] = []
        y = 0.0
        previous_role = None
        for role, lang, text, key, bold, colour in blocks:
            font = font_for(theme.font, lang, round(SIZES[key] * height * scale), bold=bold)
            if lang.lower().startswith("fr"):
                text = FRENCH_SPACE.sub("\u00a0", text)  # never break before "!" or ":"
            box_w, box_h = balanced_box(QFontMetricsF(font), text, max_w)
            if previous_role is not None:
                gap = GAP * height * scale
                if role != previous_role and previous_role in ("line", "countdown"):
                    gap *= 2.2  # room for the accent rule / between groups
                y += gap
            rect = QRectF((width - box_w) / 2, y, box_w, box_h)
            laid.append(LaidLine(role, lang, text, font, rect, colours[colour]))
            y += box_h
            previous_role = role
        if y <= avail_h or scale < 0.2:
            break
        scale *= max(0.5, min(0.95, (avail_h / y) ** 0.5))
    offset = (height - y) / 2
    for line in laid:
        line.rect.translate(0, offset)
    return laid


def _draw_background(painter: QPainter, content: CardContent, rect: QRectF) -> None:
    painter.fillRect(rect, QColor(content.theme.background))
    if content.background is None:
        return
    image = QImage(str(content.background))
    if image.isNull():
        return  # a missing background is reported by validate/check; the card still shows
    scaled = image.scaled(
        rect.size().toSize(),
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    x = (scaled.width() - rect.width()) / 2
    y = (scaled.height() - rect.height()) / 2
    painter.drawImage(rect, scaled, QRectF(x, y, rect.width(), rect.height()))
    painter.fillRect(rect, QColor(0, 0, 0, 110))  # keep text readable over any picture


def _draw_logo(painter: QPainter, logo: Path | None, rect: QRectF) -> None:
    if logo is None:
        return
    image = QImage(str(logo))
    if image.isNull():
        return
    h = rect.height() * LOGO_HEIGHT
    scaled = image.scaledToHeight(max(1, round(h)), Qt.TransformationMode.SmoothTransformation)
    margin = rect.height() * MARGIN_Y * 0.6
    painter.drawImage(
        QRectF(rect.right() - margin - scaled.width(), rect.top() + margin, scaled.width(), h),
        scaled,
    )


def paint_card(
    painter: QPainter, rect: QRectF, content: CardContent, remaining_ms: int | None = None
) -> None:
    """Draw `content` filling `rect` (the one drawing routine for window, preview and PNG)."""
    painter.save()
    painter.setRenderHints(
        QPainter.RenderHint.Antialiasing
        | QPainter.RenderHint.TextAntialiasing
        | QPainter.RenderHint.SmoothPixmapTransform
    )
    _draw_background(painter, content, rect)
    _draw_logo(painter, content.theme.logo, rect)
    width, height = int(rect.width()), int(rect.height())
    laid = layout_card(content, width, height, remaining_ms)
    painter.translate(rect.topLeft())
    accent = QColor(content.theme.accent_color)
    for i, line in enumerate(laid):
        painter.setFont(line.font)
        painter.setPen(line.color)
        painter.drawText(line.rect, WRAP_FLAGS, line.text)
        nxt = laid[i + 1] if i + 1 < len(laid) else None
        if line.role == "line" and nxt is not None and nxt.role == "detail":
            # The accent rule between the title and its details.
            rule_w = width * 0.10
            rule_h = max(2.0, height * 0.004)
            mid = (line.rect.bottom() + nxt.rect.top()) / 2
            painter.fillRect(QRectF((width - rule_w) / 2, mid - rule_h / 2, rule_w, rule_h), accent)
    painter.restore()


def render_card(
    content: CardContent, size: QSize | tuple[int, int], remaining_ms: int | None = None
) -> QImage:
    """`content` drawn on a new image of `size` pixels, exactly as the output window draws it."""
    if isinstance(size, tuple):
        size = QSize(*size)
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(QColor(content.theme.background))
    painter = QPainter(image)
    try:
        paint_card(painter, QRectF(0, 0, size.width(), size.height()), content, remaining_ms)
    finally:
        painter.end()
    return image


class TitleCardView(QWidget):
    """A widget showing one card (black when it has none); the countdown is live via
    `set_remaining_ms`, a fade via `set_level`. Purely a view: it never decides what to show.
    The card is drawn once into a pixmap; a fade step only draws that pixmap and a black veil."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._content: CardContent | None = None
        self._remaining_ms: int | None = None
        self._level = 1.0
        self._drawn: QPixmap | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAutoFillBackground(False)

    @property
    def content(self) -> CardContent | None:
        return self._content

    @property
    def remaining_ms(self) -> int | None:
        return self._remaining_ms

    @property
    def level(self) -> float:
        return self._level

    @Slot(object)
    def set_content(self, content: CardContent | None) -> None:
        """Show `content` (None: black), at full level."""
        self._content = content
        self._remaining_ms = None
        self._level = 1.0
        self._redraw()

    @Slot(int)
    def set_remaining_ms(self, ms: int | None) -> None:
        """The live countdown of an intermission card (ignored by other cards)."""
        if self._content is None or self._content.kind is not CardKind.INTERMISSION:
            return
        # Repaint only when the shown second changes.
        old = None if self._remaining_ms is None else format_countdown(self._remaining_ms)
        self._remaining_ms = ms
        if old != (None if ms is None else format_countdown(ms)):
            self._redraw()

    @Slot(float)
    def set_level(self, level: float) -> None:
        """Fade the card: 1.0 as drawn .. 0.0 black."""
        level = min(1.0, max(0.0, float(level)))
        if level != self._level:
            self._level = level
            self.update()

    def _redraw(self) -> None:
        self._drawn = None
        self.update()

    def resizeEvent(self, event) -> None:
        self._drawn = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        ratio = self.devicePixelRatioF()
        if self._drawn is None or self._drawn.deviceIndependentSize().toSize() != self.size():
            self._drawn = QPixmap(self.size() * ratio)
            self._drawn.setDevicePixelRatio(ratio)
            painter = QPainter(self._drawn)
            try:
                if self._content is None:
                    painter.fillRect(self.rect(), Qt.GlobalColor.black)
                else:
                    paint_card(painter, QRectF(self.rect()), self._content, self._remaining_ms)
            finally:
                painter.end()
        painter = QPainter(self)
        try:
            painter.drawPixmap(0, 0, self._drawn)
            if self._level < 1.0:
                painter.fillRect(self.rect(), QColor(0, 0, 0, round(255 * (1.0 - self._level))))
        finally:
            painter.end()
