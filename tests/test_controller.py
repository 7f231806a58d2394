"""The show engine in the Qt program (`player.qt.controller`: the engine on Qt timers) with the
real libvlc backend (dummy video and audio) on generated clips. The engine's own logic is
stepped on a manual clock in test_engine.py; here the same night runs for real."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import pytest

from player.core.cards import CardKind
from player.core.model import Card, Defaults, Film, Follow, LocalText, Outcome, Playlist
from player.core.model import StepKind as Kind
from player.core.sequencer import Phase
from player.media.backend import TimeChanged
from player.media.probe import probe
from player.media.vlc_backend import VlcBackend
from player.qt.controller import ShowController
from player.show import asrun, journal
from player.show.resume import ResumePoint
from player.show.status import Shows
from support.synth import make_clip, truncate

PLAYED, FAILED, SKIPPED, STOPPED = Outcome

NIGHT_TIMEOUT_MS = 40_000
CARD_MS = 1_000


@pytest.fixture(scope="session")
def three_films(media_dir) -> list[Path]:
    return [
        make_clip(media_dir / f"film {name}.mp4", seconds=2.0, label=name, tone_hz=hz)
        for name, hz in (("A", 440), ("B", 660), ("C", 880))
    ]


@pytest.fixture(scope="session")
def bad_films(media_dir, three_films) -> dict[str, Path]:
    zero = media_dir / "zero.mp4"
    zero.write_bytes(b"")
    text = media_dir / "notes.mp4"
    text.write_text("this is not a film\n", encoding="utf-8")
    cut_end = truncate(three_films[0], media_dir / "cut index at end.mp4", 0.5)
    faststart = make_clip(
        media_dir / "faststart.mp4",
        seconds=3.0,
        label="F",
        container_args=("-movflags", "+faststart"),
    )
    cut_start = truncate(faststart, media_dir / "cut index at start.mp4", 0.5)
    return {"zero": zero, "text": text, "cut_end": cut_end, "cut_start": cut_start}


def film(path: Path, title: str | None = None, **kw) -> Film:
    title = title or path.stem
    return Film(id=title.lower().replace(" ", "-"), path=path, title=LocalText.of(title), **kw)


def night(*items, title_cards=True, follow=Follow.AUTO, path=None) -> Playlist:
    return Playlist(
        title=LocalText.of("Test night"),
        items=tuple(items),
        path=path,
        defaults=Defaults(title_cards=title_cards, card_ms=CARD_MS, follow=follow),
    )


class Recorder:
    """What the controller's signals carried: each new projector picture, problems, steps."""

    def __init__(self, controller: ShowController) -> None:
        self.screens: list = []  # each change of what the projector shows
        self.problems: list[str] = []
        self.entries: list = []
        controller.problem_reported.connect(self.problems.append)
        controller.item_finished.connect(self.entries.append)
        controller.status_changed.connect(self._status)

    def _status(self, status) -> None:
        if not self.screens or self._shown(self.screens[-1]) != self._shown(status.screen):
            self.screens.append(status.screen)

    @staticmethod
    def _shown(screen) -> tuple:
        return screen.visible, screen.card, screen.slot

    @property
    def cards(self) -> list:
        return [s.card for s in self.screens if s.visible is Shows.CARD]

    @property
    def videos(self) -> list[int]:
        return [s.slot for s in self.screens if s.visible is Shows.VIDEO]


class RecordingBackend(VlcBackend):
    """The real libvlc backend, keeping what it was asked to open and every event it posted
    (libvlc's own media clock, free of the machine's speed)."""

    def __init__(self) -> None:
        super().__init__(video=False, audio="dummy")
        self.opened: list[tuple[int, Path, int]] = []  # (media id, file, start_ms)
        self.events: list = []  # appended from libvlc's thread; read once the show is over

    def set_event_sink(self, post) -> None:
        def both(event) -> None:
            self.events.append(event)
            post(event)

        super().set_event_sink(both)

    def open(self, slot, path, **kw) -> int:
        media_id = super().open(slot, path, **kw)
        self.opened.append((media_id, Path(path), kw.get("start_ms", 0)))
        return media_id

    def media_times(self, path: Path) -> list[list[int]]:
        """For each time `path` was opened: the positions (ms in the file) libvlc reported."""
        ids = [mid for mid, p, _ in self.opened if p == path]
        return [
            [e.time_ms for e in self.events if isinstance(e, TimeChanged) and e.media_id == mid]
            for mid in ids
        ]


@pytest.fixture
def make_controller(tmp_path):
    made: list[ShowController] = []

    def make(playlist: Playlist, **kw) -> tuple[ShowController, Recorder]:
        backend = RecordingBackend()
        kw.setdefault("as_run_path", tmp_path / "as-run.jsonl")
        kw.setdefault("journal_path", tmp_path / "journal.json")
        kw.setdefault("recovery_ms", 1_000)
        kw.setdefault("lock_on_start", False)
        controller = ShowController(playlist, backend=backend, **kw)
        made.append(controller)
        return controller, Recorder(controller)

    yield make
    for controller in made:
        controller.close()


def test_a_night_of_three_films_with_cards_plays_to_the_end_in_order(
    qtbot, make_controller, three_films
):
    playlist = night(*(film(p) for p in three_films))
    controller, rec = make_controller(playlist)
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
    assert [(e.index, e.kind, e.outcome) for e in rec.entries] == [
        (0, Kind.CARD, PLAYED),
        (1, Kind.FILM, PLAYED),
        (2, Kind.CARD, PLAYED),
        (3, Kind.FILM, PLAYED),
        (4, Kind.CARD, PLAYED),
        (5, Kind.FILM, PLAYED),
    ]
    films = [e for e in rec.entries if e.kind is Kind.FILM]
    assert [Path(e.file).name for e in films] == [p.name for p in three_films]
    for entry, path in zip(films, three_films, strict=True):
        # Played to (near) its end on the media clock, measured against ffprobe's duration:
        # libvlc's positions went forward from the start to the last stretch of the file, and
        # the as-run log counts at least that. (Good clips end up to ~330 ms early in libvlc.)
        duration_ms = probe(path).duration_ms
        [times] = controller.backend.media_times(path)  # opened once, played once
        assert times and times == sorted(times) and times[0] < duration_ms // 2
        assert times[-1] >= duration_ms * 0.7
        assert entry.played_ms >= times[-1] - times[0]
        assert entry.started_at < entry.ended_at and entry.paused_ms == 0
    # In order, one after the other: each step began after the one before it ended.
    for before, after in itertools.pairwise(rec.entries):
        assert datetime.fromisoformat(before.ended_at) <= datetime.fromisoformat(after.started_at)
    cards = [e for e in rec.entries if e.kind is Kind.CARD]
    # A card is never cut short (its timer may fire a little early; a slow machine only
    # makes it longer, so there is no upper bound).
    assert all(e.played_ms >= CARD_MS * 0.9 for e in cards)
    titles = [c.lines[0][1] for c in rec.cards if c.kind is CardKind.TITLE]
    assert titles == ["film A", "film B", "film C"]
    assert len(rec.videos) == 3 and set(rec.videos) == {0, 1}  # two players taking turns
    assert rec.problems == []
    assert controller.status.phase is Phase.FINISHED
    # the as-run file holds the same entries, one JSON object per line
    lines = controller.as_run_path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["index"] for line in lines] == [0, 1, 2, 3, 4, 5]
    assert set(json.loads(lines[1])) == {
        "index", "id", "kind", "title", "file", "planned_start", "started_at", "ended_at",
        "played_ms", "paused_ms", "outcome", "error",
    }  # fmt: skip
    # The engine's timeline agrees with the log: every step played, none late by a card.
    assert [row.outcome for row in controller.status.timeline] == [PLAYED] * 6


def test_bad_files_among_good_ones_are_reported_and_the_show_finishes(
    qtbot, make_controller, three_films, bad_films
):
    a, b, _ = three_films
    items = [
        film(a, "Good one"),
        film(bad_films["zero"], "Empty file"),
        film(bad_films["text"], "Text file"),
        film(bad_films["cut_end"], "Cut at end"),
        film(bad_films["cut_start"], "Cut at start"),
        film(b, "Good two"),
    ]
    controller, rec = make_controller(night(*items, title_cards=False))
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
    outcomes = [(e.title, e.outcome) for e in rec.entries]
    assert outcomes == [
        ("Good one", PLAYED),
        ("Empty file", FAILED),
        ("Text file", FAILED),
        ("Cut at end", FAILED),
        ("Cut at start", FAILED),
        ("Good two", PLAYED),
    ]
    assert len(rec.problems) == 4
    for problem, name in zip(
        rec.problems,
        ["zero.mp4", "notes.mp4", "cut index at end.mp4", "cut index at start.mp4"],
        strict=True,
    ):
        assert name in problem and "\n" not in problem
        assert "went on with the next item" in problem
    # "Cut at start" plays half and ends "normally": caught by comparing with the probed length
    assert "truncated" in rec.problems[3]
    # the night's own title card before GO, then one neutral card per failure
    assert [c.kind for c in rec.cards].count(CardKind.NEUTRAL) == 1 + 4
    failed = [e for e in asrun.read(controller.as_run_path) if e.outcome is FAILED]
    assert len(failed) == 4 and all(e.error for e in failed)


def test_skip_back_and_stop(qtbot, make_controller, three_films):
    playlist = night(*(film(p) for p in three_films), title_cards=False)
    controller, rec = make_controller(playlist)
    engine = controller.engine
    engine.go()
    qtbot.waitUntil(lambda: engine.status.phase is Phase.FILM and engine.status.elapsed_ms > 300)
    assert engine.status.step_index == 0
    engine.skip()
    qtbot.waitUntil(lambda: engine.status.step_index == 1 and engine.status.elapsed_ms > 300)
    engine.back()
    qtbot.waitUntil(lambda: engine.status.step_index == 0 and engine.status.elapsed_ms > 300)
    engine.stop()
    assert engine.status.phase is Phase.BLACK and engine.status.screen.visible is Shows.BLACK
    assert engine.status.next_index == 1
    assert [(e.index, e.outcome) for e in rec.entries] == [(0, SKIPPED), (1, SKIPPED), (0, STOPPED)]
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        engine.go()
    assert [(e.index, e.outcome) for e in rec.entries[3:]] == [(1, PLAYED), (2, PLAYED)]
    # Nothing played on after the stop: film 0 was opened twice (its start, then Back) and
    # libvlc's clock of the second opening never passed the moment of the stop.
    assert len(controller.backend.media_times(three_films[0])) == 2


def test_hold_waits_for_go_and_pause_stops_the_film(qtbot, make_controller, three_films):
    a, b, _ = three_films
    playlist = night(film(a, follow=Follow.HOLD), film(b), title_cards=False)
    controller, rec = make_controller(playlist)
    engine = controller.engine
    engine.go()
    qtbot.waitUntil(lambda: engine.status.phase is Phase.HOLDING, timeout=10_000)
    assert engine.status.next_index == 1 and engine.status.step_index is None
    # Held: the first film is done and the second not started, whatever the time waited.
    assert [e.index for e in rec.entries] == [0] and len(rec.videos) == 1
    engine.go()
    qtbot.waitUntil(lambda: engine.status.step_index == 1 and engine.status.elapsed_ms > 200)
    assert len(rec.videos) == 2  # the second film went on screen after GO, not before
    engine.pause()
    assert engine.status.paused
    held = engine.status.elapsed_ms
    # libvlc really pauses: its clock stops (once a position already on its way has landed).
    qtbot.wait(700)
    [times] = controller.backend.media_times(b)
    assert engine.status.elapsed_ms == held
    assert max(times) <= held + 300
    engine.resume()
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        pass
    # ...and runs on after it: the film still played out (most of it was left at the pause).
    assert [e.outcome for e in rec.entries] == [PLAYED, PLAYED]
    assert rec.entries[1].played_ms > held and rec.entries[1].paused_ms >= 500


def test_fade_out_and_blackout(qtbot, make_controller, three_films):
    playlist = night(film(three_films[0]), Card("end", LocalText.of("The end"), 1_000))
    controller, rec = make_controller(playlist)
    engine = controller.engine
    engine.go()
    qtbot.waitUntil(lambda: engine.status.phase is Phase.FILM, timeout=10_000)
    engine.set_blackout(True)
    assert engine.status.blackout and engine.status.screen.visible is Shows.BLACK
    qtbot.waitUntil(lambda: engine.status.step_index == 2, timeout=10_000)
    assert engine.status.screen.visible is Shows.BLACK  # the end card is up, under the black
    engine.set_blackout(False)
    assert engine.status.screen.card.lines[0][1] == "The end"  # shown when it is lifted
    engine.fade(300)
    assert engine.status.phase is Phase.FADING
    qtbot.waitUntil(lambda: engine.status.phase is Phase.BLACK, timeout=3_000)
    assert rec.entries[-1].outcome is STOPPED


def test_journal_lets_a_new_controller_resume_the_same_film(qtbot, make_controller, three_films):
    a, b, c = three_films
    playlist = night(film(a), film(b), film(c), title_cards=False)
    first, _ = make_controller(playlist)
    first.engine.go()
    qtbot.waitUntil(
        lambda: first.status.step_index == 1 and first.status.elapsed_ms > 1_000, timeout=10_000
    )
    seen = first.status.elapsed_ms
    first.close()  # saves the journal, as the 1-second tick would have
    from player.show import resume

    point = resume.find(first.engine.journal_path, len(first.engine.steps))
    second, rec = make_controller(playlist, resume=point)
    index, position = point.step_index, point.position_ms
    assert index == 1 and position >= seen  # where the first one was, not before
    assert second.status.timeline[0].outcome is PLAYED  # shown as played, from the as-run log
    with qtbot.waitSignal(second.finished, timeout=NIGHT_TIMEOUT_MS):
        second.engine.go()
    assert [(e.index, e.outcome) for e in rec.entries] == [(1, PLAYED), (2, PLAYED)]
    # Continued, not replayed from the start: film b was opened at the resume point and
    # libvlc never reported a position before it (the media clock, not the wall clock).
    backend = second.backend
    assert [(p, start) for _, p, start in backend.opened if p == b] == [(b, position)]
    [times] = backend.media_times(b)
    assert times and min(times) >= position - 100
    assert not [p for _, p, _ in backend.opened if p == a]  # film a was not played again


@pytest.mark.parametrize("position_ms", [1_900, 1_990])
def test_resumed_in_the_last_moment_of_a_film_is_not_a_failure(
    qtbot, make_controller, three_films, tmp_path, position_ms
):
    """Found by the kill -9 drill: resumed at 1.9 s of a 2 s film, libvlc ended before it
    drew a frame and the film was logged as failed."""
    a, b, _ = three_films
    playlist = night(film(a, "A"), film(b, "B"), title_cards=False)
    point = ResumePoint(step_index=0, position_ms=position_ms, as_run_path=None)
    journal_path = tmp_path / f"journal-{position_ms}.json"
    controller, rec = make_controller(playlist, journal_path=journal_path, resume=point)
    with qtbot.waitSignal(controller.finished, timeout=20_000):
        controller.engine.go()
    assert [(e.title, e.outcome) for e in rec.entries] == [("A", PLAYED), ("B", PLAYED)]
    assert rec.problems == []
    assert journal.load(journal_path).finished
