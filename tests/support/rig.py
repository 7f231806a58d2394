"""A night on the manual clock: the show engine, its scripted backend and what it reported
(the `make_night` fixture, registered in conftest).

Films are named by letter: `Script`s keyed "a", "b"... are the files /films/a.mp4, ...; their
durations are what the engine's measurer reports. Time moves only in `advance(ms)`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from player.core.model import Outcome, Playlist
from player.media.fake import FakeBackend, Script
from player.show import asrun
from player.show.clock import ManualClock
from player.show.engine import ShowEngine
from player.show.measure import KnownMeasurer
from player.show.status import ShowListener

S = 1_000


class Heard(ShowListener):
    def __init__(self) -> None:
        self.statuses = []
        self.entries: list[asrun.AsRunEntry] = []
        self.problems: list[str] = []
        self.finished_at: int | None = None

    def status_changed(self, status) -> None:
        self.statuses.append(status)

    def step_logged(self, entry) -> None:
        self.entries.append(entry)

    def problem_reported(self, message: str) -> None:
        self.problems.append(message)

    def finished(self) -> None:
        self.finished_at = len(self.statuses)


class Night:
    """An engine, its clock, its fake backend and what it reported."""

    def __init__(
        self,
        tmp_path: Path,
        playlist: Playlist,
        scripts: dict[str, Script],
        *,
        wall: datetime = datetime(2026, 11, 28, 19, 30),
        resume_point=None,
        **kw,
    ) -> None:
        self.clock = ManualClock(wall)
        paths = {f"/films/{name}.mp4": script for name, script in scripts.items()}
        self.backend = FakeBackend(self.clock, {Path(p): s for p, s in paths.items()})
        self.heard = Heard()
        self.journal_path = tmp_path / "journal.json"
        kw.setdefault("lock_on_start", False)
        kw.setdefault("recovery_ms", 3 * S)
        durations = {Path(p): s.duration_ms for p, s in paths.items()}
        if callable(kw.get("show_control")):  # made on this night's clock
            kw["show_control"] = kw["show_control"](self.clock)
        self.engine = ShowEngine(
            playlist,
            self.backend,
            self.clock,
            listener=self.heard,
            as_run_path=tmp_path / "as-run.jsonl",
            journal_path=self.journal_path,
            measurer=KnownMeasurer(durations),
            resume=resume_point,
            **kw,
        )
        self.clock.advance(0)  # the measurements come in

    @property
    def status(self):
        return self.engine.status

    def advance(self, ms: int) -> None:
        self.clock.advance(ms)
        self.engine.flush_records()  # written off the clock's thread: on disk before we look

    def outcomes(self) -> list[tuple[int, Outcome]]:
        return [(e.index, e.outcome) for e in self.heard.entries]

    def close(self) -> None:
        self.engine.close()


@pytest.fixture(name="make_night")
def make(tmp_path):
    made: list[Night] = []

    def build(*args, **kw) -> Night:
        n = Night(tmp_path, *args, **kw)
        made.append(n)
        return n

    yield build
    for n in made:
        n.close()
