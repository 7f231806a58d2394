"""Which screen is the projector: the choice remembered between runs and found again.

A screen's name alone does not tell it apart: Xvfb calls every screen "screen", and two
monitors of one model can share a name. So the choice is remembered as name, serial number and
geometry, and found again best-first (`best_match`, pure: tests hand it plain `ScreenKey`s).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtGui import QGuiApplication, QScreen

from player.qt import settings

Geometry = tuple[int, int, int, int]  # x, y, width, height in the virtual desktop (pixels)


@dataclass(frozen=True)
class ScreenKey:
    """What is remembered of a screen. `serial` is '' when the screen reports none (Xvfb,
    many projectors); `geometry` None when not known (a setting written by an older version)."""

    name: str
    serial: str = ""
    geometry: Geometry | None = None


def best_match(remembered: ScreenKey | None, screens: Sequence[ScreenKey]) -> int | None:
    """The index in `screens` of the remembered screen, best first: the same name, serial
    number and geometry; else the same name and geometry; else the only screen of that name.
    None when there is none (or several of that name and nothing more to tell them apart)."""
    if remembered is None or (not remembered.name and remembered.geometry is None):
        return None
    if remembered in screens:
        return list(screens).index(remembered)  # name, serial and geometry
    place = (remembered.name, remembered.geometry)
    for index, screen in enumerate(screens):
        if (screen.name, screen.geometry) == place:
            return index
    named = [index for index, screen in enumerate(screens) if screen.name == remembered.name]
    return named[0] if len(named) == 1 else None


def choose(index: int | None, screens: Sequence[ScreenKey], remembered: ScreenKey | None) -> int:
    """`index` when given (ValueError naming the screens when there is no such screen); else
    the remembered screen if present; else the second screen (the projector, usually) or the
    only one."""
    if index is not None:
        if not 0 <= index < len(screens):
            names = ", ".join(f"{i}: {s.name}" for i, s in enumerate(screens))
            raise ValueError(f"there is no screen {index} (screens: {names})")
        return index
    found = best_match(remembered, screens)
    if found is not None:
        return found
    return 1 if len(screens) > 1 else 0


def key_of(screen: QScreen) -> ScreenKey:
    geo = screen.geometry()
    return ScreenKey(
        screen.name(), screen.serialNumber(), (geo.x(), geo.y(), geo.width(), geo.height())
    )


def _geometry_text(geometry: Geometry | None) -> str:
    return ",".join(map(str, geometry)) if geometry else ""


def _geometry_of(text: str) -> Geometry | None:
    try:
        x, y, width, height = (int(part) for part in text.split(","))
    except ValueError:
        return None
    return x, y, width, height


def remember_screen(screen: QScreen) -> None:
    """Remember `screen` as the projector for the next run."""
    key = key_of(screen)
    settings.put("output/screen_name", key.name)
    settings.put("output/screen_serial", key.serial)
    settings.put("output/screen_geometry", _geometry_text(key.geometry))


def remembered_screen() -> ScreenKey | None:
    """The screen remembered by `remember_screen`, or None."""
    key = ScreenKey(
        settings.get("output/screen_name"),
        settings.get("output/screen_serial"),
        _geometry_of(settings.get("output/screen_geometry")),
    )
    return key if key.name or key.geometry else None  # some screens have no name (offscreen)


def pick_screen(index: int | None) -> QScreen:
    """The projector screen: see `choose`. Needs the QGuiApplication."""
    screens = QGuiApplication.screens()
    return screens[choose(index, [key_of(s) for s in screens], remembered_screen())]
