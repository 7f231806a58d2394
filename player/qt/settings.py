"""Per-machine settings of the show windows, each declared once with its type and default (after
Picard's `options.py`). Only window layout and machine choices live here; playlist content never.

Stored with QSettings (on Linux under $XDG_CONFIG_HOME/screening-night/). `SETTINGS_VERSION` and
`_UPGRADES` let a later version rename or convert keys in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "screening-night"
APPLICATION = "screening-night"
SETTINGS_VERSION = 1


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    doc: str


_DECLARED = [
    Setting("output/screen_name", str, "", "the projector screen (QScreen.name()), '' = auto"),
    # A name can be shared (Xvfb names every screen "screen"): these two tell such apart.
    Setting("output/screen_serial", str, "", "its QScreen.serialNumber(), often ''"),
    Setting("output/screen_geometry", str, "", "its geometry 'x,y,width,height', '' = unknown"),
    Setting("output/windowed", bool, False, "output in a normal window (rehearsal on one screen)"),
    Setting("show/volume_trim_db", float, 0.0, "operator volume trim, dB"),
    Setting("show/lock_on_start", bool, True, "engage the show lock when the night starts"),
    Setting("console/geometry", QByteArray, QByteArray(), "console window geometry"),
    Setting("console/state", QByteArray, QByteArray(), "console docks and toolbars"),
    Setting("console/splitter", QByteArray, QByteArray(), "running order / now-next split"),
]
SETTINGS: dict[str, Setting] = {s.key: s for s in _DECLARED}

# version -> function upgrading a QSettings from version-1 to version.
_UPGRADES: dict[int, Any] = {}


def _store() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def upgrade() -> None:
    store = _store()
    version = int(store.value("settings_version", SETTINGS_VERSION) or SETTINGS_VERSION)
    for target in sorted(v for v in _UPGRADES if v > version):
        _UPGRADES[target](store)
    store.setValue("settings_version", SETTINGS_VERSION)


def get(key: str) -> Any:
    """The stored value of a declared setting, converted to its type (its default when absent
    or unreadable)."""
    setting = SETTINGS[key]
    raw = _store().value(key, None)
    if raw is None:
        return setting.default
    try:
        if setting.type is bool:
            return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
        if setting.type is QByteArray:
            return raw if isinstance(raw, QByteArray) else setting.default
        return setting.type(raw)
    except (TypeError, ValueError):
        return setting.default


def put(key: str, value: Any) -> None:
    setting = SETTINGS[key]
    if setting.type is not QByteArray:
        value = setting.type(value)
    _store().setValue(key, value)


def sync() -> None:
    _store().sync()
