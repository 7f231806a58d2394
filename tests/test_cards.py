"""Card content (pure) and card drawing (Qt, offscreen): every line in every language drawn where
the layout says, CJK with real glyphs, text never read as markup, and the `cards` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from player.core.cards import (
    CardKind,
    card_content,
    format_countdown,
    format_duration,
    neutral_card,
    night_cards,
    step_id,
)
from player.core.model import Card, Film, Intermission, LocalText, Playlist, StepKind, Theme, steps

TITLE = {"zh": "致亲爱的自己", "fr": "À mon cher moi", "en": "To My Dearest Self"}


def make_night(languages=("zh", "fr", "en"), **film_kw) -> Playlist:
    film = Film(
        id="dearest",
        path=Path("/media/dearest.mp4"),
        title=LocalText.of(TITLE),
        director=LocalText.of("Tong Hua"),
        year=2024,
        country=LocalText.of({"zh": "中国", "fr": "Chine", "en": "China"}),
        runtime_ms=300_000,
        **film_kw,
    )
    welcome = Card(
        id="welcome",
        text=LocalText.of({"en": "Welcome", "zh": "欢迎", "fr": "Bienvenue"}),
        duration_ms=5_000,
    )
    pause = Intermission(id="pause", duration_ms=600_000)
    return Playlist(
        title=LocalText.of({"zh": "短片之夜", "fr": "Soirée", "en": "Short Film Night"}),
        items=(welcome, film, pause, film),
        languages=languages,
        theme=Theme(background="#101010", text_color="#ffffff", accent_color="#ffcc00"),
    )


# ---------------------------------------------------------------- content (pure)
@pytest.mark.parametrize("languages", [("zh", "fr", "en"), ("en", "fr", "zh"), ("fr", "en", "zh")])
def test_title_card_has_the_title_in_the_nights_language_order(languages):
    night = make_night(languages)
    step = steps(night)[1]
    assert step.is_title_card
    content = card_content(night, step)
    assert content.kind is CardKind.TITLE
    assert content.lines == tuple((lang, TITLE[lang]) for lang in languages)
    assert content.details[0] == "Tong Hua"
    assert "2024" in content.details[1]
    assert content.details[-1].endswith("5:00")


def test_running_time_comes_from_the_media_with_trims_applied():
    night = make_night(in_ms=10_000, out_ms=250_000)
    step = steps(night)[1]
    assert card_content(night, step).details[-1].endswith("4:00")  # declared: out - in
    # Media shorter than `out`: the film ends at the media's end.
    content = card_content(night, step, media_duration_ms=200_000)
    assert content.details[-1].endswith("3:10")
    assert night.films()[0].played_ms(400_000) == 240_000


def test_free_card_text_per_language_and_plain_text():
    night = make_night(("fr", "en", "zh"))
    content = card_content(night, steps(night)[0])
    assert content.kind is CardKind.TEXT
    assert content.lines == (("fr", "Bienvenue"), ("en", "Welcome"), ("zh", "欢迎"))
    assert content.details == ()


def test_intermission_has_countdown_and_next_item():
    night = make_night()
    all_steps = steps(night)
    pause = next(s for s in all_steps if s.kind is StepKind.INTERMISSION)
    content = card_content(night, pause, next_step=all_steps[pause.index + 1])
    assert content.kind is CardKind.INTERMISSION
    assert content.countdown_ms == 600_000
    assert [lang for lang, _ in content.lines] == ["zh", "fr", "en"]  # default wording
    assert content.next_up == tuple((lang, TITLE[lang]) for lang in ("zh", "fr", "en"))


def test_replacing_title_card_and_neutral_card():
    own = Card(id="own", text=LocalText.of("A film by friends"), duration_ms=3_000)
    night = make_night(title_card=own)
    step = steps(night)[1]
    content = card_content(night, step)
    assert (content.kind, content.lines, content.details) == (
        CardKind.TEXT,
        (("", "A film by friends"),),
        (),
    )
    neutral = neutral_card(night, "The film could not be played")
    assert neutral.kind is CardKind.NEUTRAL
    assert neutral.lines[0] == ("zh", "短片之夜")
    assert neutral.details == ("The film could not be played",)


def test_night_cards_lists_every_card_in_order():
    night = make_night()
    names = [step_id(step) for step, _ in night_cards(night, steps(night))]
    assert names == ["welcome", "dearest-card", "pause", "dearest-card"]


@pytest.mark.parametrize(
    ("ms", "duration", "countdown"),
    [
        (0, "0:00", "0:00"),
        (1, "0:00", "0:01"),
        (59_400, "0:59", "1:00"),
        (3_600_000, "1:00:00", "1:00:00"),
    ],
)
def test_time_formats(ms, duration, countdown):
    assert format_duration(ms) == duration
    assert format_countdown(ms) == countdown


# ---------------------------------------------------------------- drawing (Qt)
def _ink_box(image, rect, background):
    """Bounding box (x0, y0, x1, y1) of pixels in `rect` differing from `background`."""
    bg = background.rgb() & 0xFFFFFF
    xs, ys = [], []
    x0, y0 = max(0, int(rect.left())), max(0, int(rect.top()))
    x1, y1 = min(image.width(), int(rect.right()) + 1), min(image.height(), int(rect.bottom()) + 1)
    for y in range(y0, y1, 2):
        for x in range(x0, x1, 2):
            if image.pixel(x, y) & 0xFFFFFF != bg:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def test_every_line_is_drawn_where_it_is_laid_out(qapp):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor

    from player.qt.title_card import layout_card, render_card

    night = make_night()
    content = card_content(night, steps(night)[1])
    width, height = 960, 540
    image = render_card(content, (width, height))
    laid = layout_card(content, width, height)
    assert [line.text for line in laid[:3]] == [TITLE["zh"], TITLE["fr"], TITLE["en"]]
    background = QColor(night.theme.background)
    for line in laid:
        assert line.rect.top() >= 0 and line.rect.bottom() <= height, line.text
        ink = _ink_box(image, line.rect, background)
        assert ink is not None, f"nothing drawn for {line.text!r}"
        # The ink spans most of the laid-out width (text centred in its box).
        assert ink[2] - ink[0] > 0.6 * line.rect.width(), line.text
    # Between the zh and fr lines nothing is drawn: the lines do not overlap.
    gap = QRectF(
        0, laid[0].rect.bottom() + 1, width, laid[1].rect.top() - laid[0].rect.bottom() - 2
    )
    if gap.height() >= 2:
        assert _ink_box(image, gap, background) is None
    # Above the first line and below the last: background only (nothing clipped or stray).
    assert _ink_box(image, QRectF(0, 0, width, laid[0].rect.top() - 2), background) is None
    assert _ink_box(image, QRectF(0, laid[-1].rect.bottom() + 2, width, 40), background) is None


def test_bigger_card_is_the_same_layout_scaled(qapp):
    from player.qt.title_card import layout_card

    night = make_night()
    content = card_content(night, steps(night)[1])
    small = layout_card(content, 960, 540)
    big = layout_card(content, 3840, 2160)
    for a, b in zip(small, big, strict=True):
        assert b.rect.top() / 2160 == pytest.approx(a.rect.top() / 540, abs=0.02)
        assert b.font.pixelSize() == pytest.approx(4 * a.font.pixelSize(), rel=0.05)


def test_cjk_is_drawn_with_real_glyphs(qapp):
    from PySide6.QtGui import QFontInfo, QRawFont

    from player.qt.title_card import font_for, render_card

    font = font_for("DejaVu Sans", "zh", 80)
    assert "CJK" in QFontInfo(font).family()
    raw = QRawFont.fromFont(font)
    assert all(raw.supportsCharacter(ord(ch)) for ch in TITLE["zh"])
    # Tofu boxes all look alike: distinct characters must give distinct pictures.
    night = make_night(("zh",))
    pictures = set()
    for ch in "致亲爱的":
        card = Card(id="c", text=LocalText.of({"zh": ch}))
        solo = Playlist(title=night.title, items=(card,), languages=("zh",), theme=night.theme)
        image = render_card(card_content(solo, steps(solo)[0]), (320, 180))
        pictures.add(bytes(image.constBits()))
    assert len(pictures) == 4


def test_text_is_plain_never_markup(qapp):
    from PySide6.QtGui import QColor

    from player.qt.title_card import layout_card, render_card

    def ink_width(text):
        card = Card(id="c", text=LocalText.of(text))
        night = Playlist(title=LocalText.of("n"), items=(card,), theme=Theme())
        content = card_content(night, steps(night)[0])
        image = render_card(content, (960, 540))
        rect = layout_card(content, 960, 540)[0].rect
        box = _ink_box(image, rect, QColor(Theme().background))
        return box[2] - box[0]

    # As markup, "<b>x</b>" would draw one bold x; as plain text it draws all 8 characters.
    assert ink_width("<b>x</b>") > 4 * ink_width("x")
    assert ink_width("&amp;") > 3 * ink_width("&")


def test_countdown_is_live(qapp):
    from player.qt.title_card import TitleCardView

    night = make_night()
    all_steps = steps(night)
    pause = next(s for s in all_steps if s.kind is StepKind.INTERMISSION)
    view = TitleCardView()
    view.resize(640, 360)
    view.set_content(card_content(night, pause, next_step=all_steps[pause.index + 1]))
    first = view.grab().toImage()
    view.set_remaining_ms(65_000)
    assert view.remaining_ms == 65_000
    second = view.grab().toImage()
    assert first != second  # 10:00 became 1:05


# ---------------------------------------------------------------- `screening-night cards`
PLAYLIST_YAML = """\
version: 1
title: {zh: 短片之夜, fr: Soirée courts métrages, en: Short Film Night}
languages: [zh, fr, en]
items:
  - card:
      id: welcome
      text: {zh: 欢迎, fr: Bienvenue, en: Welcome}
      seconds: 5
  - film: film.mp4
    id: dearest
    title: {zh: 致亲爱的自己, fr: À mon cher moi, en: To My Dearest Self}
    director: Tong Hua
    runtime: "5:00"
  - intermission: {minutes: 10}
"""


def test_cards_command_writes_what_the_output_window_draws(tmp_path, qapp):
    from PySide6.QtGui import QImage

    from player.core.playlist_io import load_playlist
    from player.qt.output_window import OutputWindow

    playlist_path = tmp_path / "night.yaml"
    playlist_path.write_text(PLAYLIST_YAML, encoding="utf-8")
    out = tmp_path / "cards out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "player",
            "cards",
            str(playlist_path),
            "--out",
            str(out),
            "--size",
            "640x360",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names[0] == "01-welcome.png" and names[1] == "02-dearest-card.png"
    assert len(names) == 3 and names[2].startswith("04-")

    # The projector window, showing the same card at the same size, draws the same pixels.
    night = load_playlist(playlist_path)
    window = OutputWindow(windowed=True)
    window.resize(640, 360)
    window.show()
    window.show_card(card_content(night, steps(night)[1]))
    shown = window.card_view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    written = QImage(str(out / "02-dearest-card.png")).convertToFormat(QImage.Format.Format_RGB32)
    assert written.size() == shown.size()
    assert written == shown
    window.allow_close()
    window.close()


def test_cards_command_refuses_bad_input(tmp_path):
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "player",
            "cards",
            str(tmp_path / "missing.yaml"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "missing.yaml" in bad.stderr
    size = subprocess.run(
        [
            sys.executable,
            "-m",
            "player",
            "cards",
            "x.yaml",
            "--out",
            str(tmp_path),
            "--size",
            "big",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert size.returncode == 2 and "1920x1080" in size.stderr


def test_background_image_logo_and_colours_from_the_theme(tmp_path, qapp):
    from PySide6.QtGui import QColor, QImage

    from player.qt.title_card import render_card

    picture = QImage(64, 36, QImage.Format.Format_RGB32)
    picture.fill(QColor("#ff0000"))
    picture.save(str(tmp_path / "bg.png"))
    logo = QImage(20, 20, QImage.Format.Format_RGB32)
    logo.fill(QColor("#00ff00"))
    logo.save(str(tmp_path / "logo.png"))
    theme = Theme(
        background="#000080",
        text_color="#ffffff",
        accent_color="#ffcc00",
        logo=tmp_path / "logo.png",
        background_image=tmp_path / "bg.png",
    )
    card = Card(id="c", text=LocalText.of("Hello"))
    night = Playlist(title=LocalText.of("n"), items=(card,), theme=theme)
    image = render_card(card_content(night, steps(night)[0]), (640, 360))
    corner = QColor(image.pixel(5, 350))
    assert corner.red() > 100 and corner.green() < 30 and corner.blue() < 30  # dimmed red
    logo_px = QColor(image.pixel(640 - 20, 30))
    assert logo_px.green() > 200 and logo_px.red() < 50  # logo in the top-right corner
    # A missing background image falls back to the theme colour; the card still draws.
    missing = Theme(background="#000080", background_image=tmp_path / "nope.png")
    night = Playlist(title=LocalText.of("n"), items=(card,), theme=missing)
    image = render_card(card_content(night, steps(night)[0]), (640, 360))
    assert QColor(image.pixel(5, 350)) == QColor("#000080")
