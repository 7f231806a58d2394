"""An internal error inside the show engine (a bug, or a library raising where it should not)
with the real libvlc backend on generated clips: the show goes on by itself, and a recovery that
fails too cannot loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.model import Defaults, Film, Follow, LocalText, Outcome, Playlist
from player.core.sequencer import Phase
from player.media.vlc_backend import VlcBackend
from player.qt.controller import ShowController
from player.show import engine as engine_module
from support.synth import make_clip

NIGHT_TIMEOUT_MS = 40_000


@pytest.fixture(scope="session")
def two_films(media_dir) -> list[Path]:
    return [
        make_clip(media_dir / f"recovery {name}.mp4", seconds=1.5, label=name, tone_hz=hz)
        for name, hz in (("A", 440), ("B", 660))
    ]


def night(*paths: Path) -> Playlist:
    films = tuple(Film(id=p.stem, path=p, title=LocalText.of(p.stem)) for p in paths)
    return Playlist(
        title=LocalText.of("Recovery night"),
        items=films,
        defaults=Defaults(title_cards=False, follow=Follow.AUTO),
    )


@pytest.fixture
def controller(tmp_path, two_films):
    made = ShowController(
        night(*two_films),
        backend=VlcBackend(video=False, audio="dummy"),
        as_run_path=tmp_path / "as-run.jsonl",
        journal_path=tmp_path / "journal.json",
        recovery_ms=500,
    )
    made.problems, made.entries = [], []
    made.problem_reported.connect(made.problems.append)
    made.item_finished.connect(made.entries.append)
    yield made
    made.close()


def fail_first_open(monkeypatch, controller: ShowController, path: Path) -> list[Path]:
    """The backend's open raises once, for `path` (as a bug in it would)."""
    real_open = controller.backend.open
    opened: list[Path] = []

    def open_once(slot, film_path, **kw):
        opened.append(Path(film_path))
        if Path(film_path) == path and opened.count(path) == 1:
            raise RuntimeError("a bug in the backend")
        return real_open(slot, film_path, **kw)

    monkeypatch.setattr(controller.backend, "open", open_once)
    return opened


def outcomes(controller) -> list[tuple[str, Outcome]]:
    return [(Path(e.file).stem, e.outcome) for e in controller.entries]


def test_an_internal_error_starting_a_film_fails_it_and_the_show_goes_on(
    qtbot, controller, two_films, monkeypatch
):
    a, b = two_films
    opened = fail_first_open(monkeypatch, controller, a)
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.go()
    assert opened[0] == a  # the failing call did happen
    assert outcomes(controller) == [(a.stem, Outcome.FAILED), (b.stem, Outcome.PLAYED)]
    assert "internal error" in controller.entries[0].error
    internal = [p for p in controller.problems if p.startswith("The show engine")]
    assert internal == [
        "The show engine met an internal error; "
        "the film was not shown and the show goes on with the next item."
    ]
    assert controller.status.phase is Phase.FINISHED


def test_a_recovery_that_fails_too_does_not_loop_and_skip_goes_on(
    qtbot, controller, two_films, monkeypatch
):
    a, b = two_films
    fail_first_open(monkeypatch, controller, a)

    def broken_neutral_card(*_args, **_kw):
        raise RuntimeError("a bug in the neutral card")

    # The recovery from the failed start shows the neutral card: that fails as well.
    monkeypatch.setattr(engine_module, "neutral_card", broken_neutral_card)
    controller.engine.go()  # returns: no endless chain of recoveries
    assert controller.problems[-1] == (
        "The show engine met an internal error; it could not recover by itself: "
        "press Skip to go on."
    )
    assert outcomes(controller) == [(a.stem, Outcome.FAILED)]
    assert controller.status.phase is Phase.CARD  # held on the failed film's recovery
    with qtbot.waitSignal(controller.finished, timeout=NIGHT_TIMEOUT_MS):
        controller.engine.skip()
    assert outcomes(controller) == [(a.stem, Outcome.FAILED), (b.stem, Outcome.PLAYED)]


def test_a_callback_that_raises_does_not_hold_back_the_next(qtbot, controller):
    """libvlc's events reach the engine through the Qt clock's inbox, drained on the GUI
    thread: one that raises while handled is logged, and the ones queued behind it run in the
    same turn (not left until some later event wakes the inbox again)."""
    import threading

    handled: list[int] = []

    def first() -> None:
        handled.append(1)
        raise RuntimeError("a bug handling this event")

    def post_both() -> None:  # from another thread, as libvlc's are
        controller.clock.call_soon_threadsafe(first)
        controller.clock.call_soon_threadsafe(lambda: handled.append(2))

    thread = threading.Thread(target=post_both)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: handled == [1, 2], timeout=2_000)
