"""The sequencer stepped with plain calls: no clock, no threads, no Qt."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.model import (
    Card,
    Defaults,
    Film,
    Follow,
    Intermission,
    LocalText,
    Outcome,
    Playlist,
    steps,
)
from player.core.sequencer import (
    Back,
    Blackout,
    CardElapsed,
    Fade,
    FadeDone,
    FadeOut,
    Finished,
    Go,
    Jump,
    MediaEnded,
    MediaFailed,
    PauseMedia,
    Phase,
    PlayFilm,
    PreloadFilm,
    Sequencer,
    SetBlackout,
    ShowBlack,
    ShowCard,
    ShowNeutral,
    Skip,
    Start,
    State,
    StepEnded,
    StepStarted,
    Stop,
    StopMedia,
    TogglePause,
)


def film(name: str, follow: Follow | None = None, title_card=None) -> Film:
    return Film(
        id=name,
        path=Path(f"/media/{name}.mp4"),
        title=LocalText.of(name),
        runtime_ms=2_000,
        follow=follow,
        title_card=title_card,
    )


def night(*items, title_cards=True, follow=Follow.AUTO) -> Playlist:
    return Playlist(
        title=LocalText.of("Night"),
        items=tuple(items),
        defaults=Defaults(title_cards=title_cards, card_ms=1_000, follow=follow),
    )


def seq_for(playlist: Playlist) -> Sequencer:
    return Sequencer(steps(playlist), playlist.follow_of)


def kinds(effects) -> list[str]:
    return [type(e).__name__ for e in effects]


def first(effects, cls):
    found = [e for e in effects if isinstance(e, cls)]
    assert found, f"no {cls.__name__} in {kinds(effects)}"
    return found[0]


def run_to_end(seq: Sequencer, effects, limit: int = 100) -> list:
    """Play the night as a perfect backend and clock would, GO at every hold; return the log."""
    log = []
    for _ in range(limit):
        log.extend(effects)
        if seq.state is State.FINISHED:
            return log
        if seq.state in (State.CARD, State.INTERMISSION, State.RECOVERING):
            effects = seq.handle(CardElapsed(seq.token))
        elif seq.state is State.FILM:
            effects = seq.handle(MediaEnded(seq.token))
        elif seq.state is State.HOLDING:
            effects = seq.handle(Go())
        else:
            raise AssertionError(f"stuck in {seq.state}")
    raise AssertionError("the night never finished")


def played(log) -> list[tuple[int, str]]:
    return [(e.step_index, e.outcome) for e in log if isinstance(e, StepEnded)]


def test_auto_night_plays_every_step_in_order():
    pl = night(Card("welcome", LocalText.of("Hi"), 1_000), film("a"), film("b"))
    seq = seq_for(pl)
    log = run_to_end(seq, seq.handle(Start()))
    assert played(log) == [
        (0, Outcome.PLAYED),
        (1, Outcome.PLAYED),
        (2, Outcome.PLAYED),
        (3, Outcome.PLAYED),
        (4, Outcome.PLAYED),
    ]
    assert [e.step_index for e in log if isinstance(e, PlayFilm)] == [2, 4]
    assert isinstance(log[-1], Finished) and isinstance(log[-2], ShowBlack)
    assert seq.phase is Phase.FINISHED
    assert seq.index == len(seq.steps)  # past the last step: nothing on


def test_title_card_preloads_its_film_behind_it():
    seq = seq_for(night(film("a")))
    effects = seq.handle(Start())
    assert kinds(effects) == ["StepStarted", "ShowCard", "PreloadFilm"]
    assert first(effects, ShowCard).duration_ms == 1_000
    assert first(effects, PreloadFilm).step_index == 1


def test_film_to_film_without_cards_preloads_the_next_film():
    seq = seq_for(night(film("a"), film("b"), title_cards=False))
    effects = seq.handle(Start())
    assert first(effects, PlayFilm).step_index == 0
    assert first(effects, PreloadFilm).step_index == 1


def test_tokens_drop_a_late_ended_from_a_skipped_film():
    seq = seq_for(night(film("a"), film("b"), title_cards=False))
    seq.handle(Start())
    old = seq.token
    effects = seq.handle(Skip())
    assert (0, Outcome.SKIPPED) in played(effects)
    assert isinstance(effects[0], StopMedia)
    assert first(effects, PlayFilm).step_index == 1
    assert seq.handle(MediaEnded(old)) == []
    assert seq.handle(MediaFailed(old, "late")) == []
    assert seq.index == 1 and seq.state is State.FILM
    assert all(e.token == seq.token for e in effects if not isinstance(e, (StopMedia, StepEnded)))


def test_stale_card_timer_is_dropped_after_go():
    seq = seq_for(night(Card("c", LocalText.of("x"), None, hold=True), film("a")))
    seq.handle(Start())
    assert seq.state is State.HOLDING
    old = seq.token
    seq.handle(Go())
    assert seq.handle(CardElapsed(old)) == []
    assert seq.state is State.CARD and seq.index == 1  # the film's title card


def test_every_effect_carries_the_current_token():
    seq = seq_for(night(film("a"), Intermission("i", 5_000), film("b")))
    for event in (Start(), CardElapsed(1), Skip(), TogglePause(), TogglePause(), Skip()):
        effects = seq.handle(event)
        for effect in effects:
            assert effect.token <= seq.token
        for effect in effects:
            if isinstance(effect, (ShowCard, PlayFilm, ShowBlack, Finished)):
                assert effect.token == seq.token


def test_hold_after_a_film_shows_next_title_card_held_with_film_preloaded():
    pl = night(film("a", follow=Follow.HOLD), film("b"))
    seq = seq_for(pl)
    seq.handle(Start())
    seq.handle(CardElapsed(seq.token))
    assert seq.state is State.FILM
    effects = seq.handle(MediaEnded(seq.token))
    assert seq.state is State.HOLDING and seq.index == 2
    assert first(effects, ShowCard).duration_ms is None
    assert first(effects, PreloadFilm).step_index == 3
    assert seq.next_index == 3
    go = seq.handle(Go())
    assert (2, Outcome.PLAYED) in played(go)
    assert first(go, PlayFilm).step_index == 3


def test_hold_before_a_film_with_no_card_shows_black_and_preloads():
    seq = seq_for(night(film("a", follow=Follow.HOLD), film("b"), title_cards=False))
    seq.handle(Start())
    effects = seq.handle(MediaEnded(seq.token))
    assert kinds(effects)[-2:] == ["ShowBlack", "PreloadFilm"]
    assert seq.state is State.HOLDING and seq.phase is Phase.HOLDING
    assert seq.handle(MediaEnded(seq.token)) == []  # nothing plays while holding
    assert first(seq.handle(Go()), PlayFilm).step_index == 1


def test_auto_goes_on_and_hold_waits_for_go_by_default():
    auto = seq_for(night(film("a"), film("b"), title_cards=False))
    auto.handle(Start())
    assert first(auto.handle(MediaEnded(auto.token)), PlayFilm).step_index == 1
    held = seq_for(night(film("a"), film("b"), title_cards=False, follow=Follow.HOLD))
    held.handle(Start())
    assert not [e for e in held.handle(MediaEnded(held.token)) if isinstance(e, PlayFilm)]


def test_start_held_waits_for_go():
    seq = seq_for(night(film("a"), title_cards=False))
    effects = seq.handle(Start(held=True))
    assert kinds(effects) == ["ShowBlack", "PreloadFilm"]
    assert first(seq.handle(Go()), PlayFilm).step_index == 0


def test_go_from_idle_starts_the_night():
    seq = seq_for(night(film("a")))
    assert first(seq.handle(Go()), ShowCard).step_index == 0


def test_intermission_counts_down_and_follows_its_mode():
    pl = night(Intermission("i", 60_000, follow=Follow.HOLD), film("b"), title_cards=False)
    seq = seq_for(pl)
    effects = seq.handle(Start())
    card = first(effects, ShowCard)
    assert card.countdown and card.duration_ms == 60_000
    assert seq.phase is Phase.INTERMISSION
    assert first(effects, PreloadFilm).step_index == 1
    effects = seq.handle(CardElapsed(seq.token))
    assert seq.state is State.HOLDING and not any(isinstance(e, PlayFilm) for e in effects)


def test_failure_shows_neutral_card_then_goes_on_by_itself():
    seq = seq_for(night(film("a", follow=Follow.HOLD), film("b"), title_cards=False))
    seq.handle(Start())
    effects = seq.handle(MediaFailed(seq.token, "cannot open"))
    assert played(effects) == [(0, Outcome.FAILED)]
    assert first(effects, StepEnded).error == "cannot open"
    neutral = first(effects, ShowNeutral)
    assert neutral.duration_ms == 3_000
    assert seq.phase is Phase.CARD
    # goes on even though the failed film said hold
    assert first(seq.handle(CardElapsed(seq.token)), PlayFilm).step_index == 1


def test_pause_and_resume_a_film_and_a_card():
    seq = seq_for(night(film("a")))
    seq.handle(Start())
    assert seq.handle(TogglePause()) == [PauseMedia(seq.token, True)]
    assert seq.state is State.PAUSED and (seq.state is State.PAUSED)
    assert seq.handle(CardElapsed(seq.token)) == []  # the timer is paused
    assert seq.handle(TogglePause()) == [PauseMedia(seq.token, False)]
    assert seq.state is State.CARD
    seq.handle(CardElapsed(seq.token))
    seq.handle(TogglePause())
    assert seq.phase is Phase.PAUSED
    # a film that ends while paused (race with the pause) still ends
    assert played(seq.handle(MediaEnded(seq.token))) == [(1, Outcome.PLAYED)]


def test_fade_out_then_black_and_go_continues():
    seq = seq_for(night(film("a"), film("b"), title_cards=False))
    seq.handle(Start())
    effects = seq.handle(FadeOut(2_000))
    assert effects == [Fade(seq.token, 2_000)]
    assert seq.phase is Phase.FADING
    effects = seq.handle(FadeDone(seq.token))
    assert played(effects) == [(0, Outcome.STOPPED)]
    assert seq.state is State.BLACK and seq.next_index == 1
    assert first(effects, PreloadFilm).step_index == 1
    assert first(seq.handle(Go()), PlayFilm).step_index == 1


def test_second_stop_during_fade_stops_hard():
    seq = seq_for(night(film("a"), title_cards=False))
    seq.handle(Start())
    fade_token = seq.handle(FadeOut())[0].token
    effects = seq.handle(Stop())
    assert kinds(effects)[:2] == ["StopMedia", "StepEnded"]
    assert seq.state is State.BLACK
    assert seq.handle(FadeDone(fade_token)) == []
    assert first(seq.handle(Go()), Finished)


def test_stop_a_held_card_counts_it_stopped():
    seq = seq_for(night(Card("c", LocalText.of("x"), None, hold=True), film("a")))
    seq.handle(Start())
    effects = seq.handle(Stop())
    assert played(effects) == [(0, Outcome.STOPPED)]
    assert seq.state is State.BLACK and seq.index == 1


def test_skip_while_holding_skips_the_armed_step():
    seq = seq_for(night(film("a"), film("b"), title_cards=False, follow=Follow.HOLD))
    seq.handle(Start(held=True))
    effects = seq.handle(Skip())
    assert played(effects) == [(0, Outcome.SKIPPED)]
    assert seq.state is State.HOLDING and seq.index == 1
    assert first(effects, PreloadFilm).step_index == 1


def test_back_replays_the_previous_step():
    seq = seq_for(night(film("a"), film("b")))
    seq.handle(Start())
    for _ in range(3):
        seq.handle(CardElapsed(seq.token) if seq.state is State.CARD else MediaEnded(seq.token))
    assert seq.index == 3 and seq.state is State.FILM
    effects = seq.handle(Back())
    assert played(effects) == [(3, Outcome.SKIPPED)]
    assert first(effects, ShowCard).step_index == 2
    assert seq.index == 2
    seq.handle(Back())
    seq.handle(Back())
    assert seq.index == 0
    assert first(seq.handle(Back()), ShowCard).step_index == 0  # first step restarts


def test_back_after_the_end_arms_the_last_step():
    seq = seq_for(night(film("a"), title_cards=False))
    seq.handle(Start())
    seq.handle(MediaEnded(seq.token))
    assert seq.state is State.FINISHED
    effects = seq.handle(Back())
    assert seq.state is State.HOLDING and first(effects, PreloadFilm).step_index == 0


def test_jump_runs_now_during_the_show_and_arms_when_idle():
    seq = seq_for(night(film("a"), film("b"), film("c"), title_cards=False))
    assert first(seq.handle(Jump(2)), PreloadFilm).step_index == 2
    assert seq.state is State.HOLDING
    seq.handle(Go())
    assert seq.index == 2 and seq.state is State.FILM
    effects = seq.handle(Jump(0))
    assert played(effects) == [(2, Outcome.SKIPPED)]
    assert first(effects, PlayFilm).step_index == 0
    assert seq.handle(Jump(7)) == []
    assert seq.handle(Jump(-1)) == []


def test_blackout_is_an_overlay_the_show_goes_on_under():
    seq = seq_for(night(film("a"), film("b"), title_cards=False))
    seq.handle(Start())
    assert seq.handle(SetBlackout(True)) == [Blackout(seq.token, True)]
    assert seq.handle(SetBlackout(True)) == []
    assert seq.blackout
    assert first(seq.handle(MediaEnded(seq.token)), PlayFilm).step_index == 1
    assert seq.handle(SetBlackout(False)) == [Blackout(seq.token, False)]


def test_resume_part_way_through_a_film():
    seq = seq_for(night(film("a"), film("b")))
    effects = seq.handle(Start(step_index=3, position_ms=1_200))
    assert first(effects, PlayFilm) == PlayFilm(seq.token, 3, 1_200)
    assert first(effects, StepStarted).step_index == 3


def test_resume_part_way_through_a_card_shortens_it():
    seq = seq_for(night(film("a")))
    assert first(seq.handle(Start(0, 400)), ShowCard).duration_ms == 600


def test_empty_night_finishes_at_once():
    seq = Sequencer([])
    assert kinds(seq.handle(Start())) == ["ShowBlack", "Finished"]
    assert seq.handle(Go()) == []


# ---- every event in every state -------------------------------------------------------------

EVENTS = [
    Start(),
    Go(),
    TogglePause(),
    Stop(),
    Skip(),
    Back(),
    Jump(1),
    FadeOut(500),
    SetBlackout(True),
    "ended",
    Outcome.FAILED,
    "elapsed",
    "fade_done",
    "stale",
]


def reach(state: State) -> Sequencer:
    """A sequencer over a small night, brought into `state` by ordinary events."""
    pl = night(
        Card("hold", LocalText.of("x"), None, hold=True),
        film("a", follow=Follow.HOLD),
        Intermission("i", 5_000),
        film("b"),
    )
    seq = seq_for(pl)
    paths = {
        State.IDLE: [],
        State.HOLDING: [Start()],
        State.CARD: [Start(), Go()],
        State.FILM: [Start(), Go(), "elapsed"],
        State.PAUSED: [Start(), Go(), "elapsed", TogglePause()],
        State.FADING: [Start(), Go(), "elapsed", FadeOut(500)],
        State.RECOVERING: [Start(), Go(), "elapsed", Outcome.FAILED],
        State.BLACK: [Start(), Go(), "elapsed", Stop()],
        State.INTERMISSION: [Start(), Go(), "elapsed", "ended", Go()],
        State.FINISHED: [Start(), Jump(5), Go(), "ended"],
    }
    for event in paths[state]:
        seq.handle(token_event(seq, event))
    assert seq.state is state, paths[state]
    return seq


def token_event(seq: Sequencer, event):
    match event:
        case "ended":
            return MediaEnded(seq.token)
        case Outcome.FAILED:
            return MediaFailed(seq.token, "broken")
        case "elapsed":
            return CardElapsed(seq.token)
        case "fade_done":
            return FadeDone(seq.token)
        case "stale":
            return MediaEnded(seq.token - 1)
    return event


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.name)
@pytest.mark.parametrize(
    "event", EVENTS, ids=lambda e: e if isinstance(e, str) else type(e).__name__
)
def test_every_event_in_every_state(state, event):
    seq = reach(state)
    before_token = seq.token
    effects = seq.handle(token_event(seq, event))
    assert seq.token >= before_token
    assert isinstance(seq.state, State)
    if event == "stale":
        assert effects == []
        return
    # Whatever happened, the screen always has something defined on it, and a running film
    # or card always has a way to end.
    assert seq.phase in Phase
    if seq.state in (State.CARD, State.INTERMISSION, State.RECOVERING, State.FILM):
        assert seq.index is not None and 0 <= seq.index < len(seq.steps)
    for effect in effects:
        assert effect.token <= seq.token
    # A new step on screen always comes with its picture.
    if any(isinstance(e, StepStarted) for e in effects):
        assert any(isinstance(e, (ShowCard, PlayFilm)) for e in effects)


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.name)
def test_the_night_can_always_be_brought_to_its_end(state):
    seq = reach(state)
    if seq.state is State.PAUSED:
        seq.handle(TogglePause())
    if seq.state is State.FADING:
        seq.handle(FadeDone(seq.token))
    effects = seq.handle(Go()) if seq.state in (State.BLACK, State.IDLE) else []
    if seq.state is not State.FINISHED:
        run_to_end(seq, effects)
    assert seq.phase is Phase.FINISHED
