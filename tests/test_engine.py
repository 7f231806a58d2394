"""The show engine stepped on a manual clock with the scripted backend: scenarios of a night,
with exact expected times (no real time, no threads, no Qt).

Each test reads like a script of the night: GO; advance 8 000 ms; the film ends; advance
45 000 ms paused... The fake backend's films run on the same clock (position reports every
250 ms, as libvlc gives them), so every time below is exact.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from player.core.cards import CardKind
from player.core.model import Card, Defaults, Film, Follow, LocalText, Outcome, Playlist, StepKind
from player.core.sequencer import Phase
from player.media.fake import Script
from player.show import asrun, journal, resume
from player.show.engine import GO_DEBOUNCE_MS, LOCKED_REASON, PRESTART_LEAD_MS
from player.show.status import Action, GoDoes, Shows
from support.rig import S

M = 60 * S
H = 60 * M
NIGHT = date(2026, 11, 28)
AT_1930 = 19 * H + 30 * M


def film(name: str, **kw) -> Film:
    return Film(id=name, path=Path(f"/films/{name}.mp4"), title=LocalText.of(name.upper()), **kw)


def night(*items, start_ms=AT_1930, day=NIGHT, card_ms=8 * S, **defaults) -> Playlist:
    return Playlist(
        title=LocalText.of("Night"),
        items=tuple(items),
        date=day,
        start_ms=start_ms,
        defaults=Defaults(card_ms=card_ms, follow=Follow.AUTO, **defaults),
    )


def test_a_late_start_stays_late_by_the_same_amount_and_the_end_moves_with_it(make_night):
    n = make_night(
        night(film("a"), film("b")),
        {"a": Script(60 * S), "b": Script(30 * S)},
        wall=datetime(2026, 11, 28, 19, 32),
    )
    # Before GO: two minutes after the planned start, the night already runs 2:00 late.
    planned_end = AT_1930 + 8 * S + 60 * S + 8 * S + 30 * S
    assert n.status.phase is Phase.IDLE and n.status.go is GoDoes.START
    assert n.status.late_ms == 2 * M
    assert n.status.planned_end_ms == planned_end
    assert n.status.projected_end_ms == planned_end + 2 * M
    assert n.engine.go() is None
    n.advance(4 * S)
    assert (n.status.phase, n.status.step_index, n.status.elapsed_ms) == (Phase.CARD, 0, 4 * S)
    assert n.status.late_ms == 2 * M and n.status.remaining_ms == 4 * S
    n.advance(4 * S + 30 * S)  # the card's 8 s, then 30 s of film
    assert (n.status.phase, n.status.step_index) == (Phase.FILM, 1)
    assert n.status.screen.shows is Shows.VIDEO
    assert n.status.elapsed_ms == 30 * S and n.status.remaining_ms == 30 * S
    assert n.status.late_ms == 2 * M
    assert n.status.projected_end_ms == planned_end + 2 * M
    n.advance(30 * S + 8 * S + 30 * S)
    assert n.status.phase is Phase.FINISHED
    assert n.status.late_ms == 2 * M and n.status.projected_end_ms == planned_end + 2 * M
    entries = n.heard.entries
    assert [(e.kind, e.played_ms, e.outcome) for e in entries] == [
        (StepKind.CARD, 8 * S, Outcome.PLAYED),
        (StepKind.FILM, 60 * S, Outcome.PLAYED),
        (StepKind.CARD, 8 * S, Outcome.PLAYED),
        (StepKind.FILM, 30 * S, Outcome.PLAYED),
    ]
    starts = [datetime.fromisoformat(e.started_at).strftime("%H:%M:%S") for e in entries]
    assert starts == ["19:32:00", "19:32:08", "19:33:08", "19:33:16"]
    planned = [datetime.fromisoformat(e.planned_start).strftime("%H:%M:%S") for e in entries]
    assert planned == ["19:30:00", "19:30:08", "19:31:08", "19:31:16"]
    rows = n.status.timeline
    assert [row.late_ms for row in rows] == [2 * M] * 4


def test_a_45_second_pause_on_a_card_makes_the_night_late_while_it_lasts(make_night):
    n = make_night(
        night(Card("hello", LocalText.of("Hello"), 8 * S), film("a")), {"a": Script(20 * S)}
    )
    n.engine.go()
    n.advance(3 * S)
    assert n.engine.pause() is None
    n.advance(45 * S)
    assert (n.status.phase, n.status.paused, n.status.elapsed_ms) == (Phase.PAUSED, True, 3 * S)
    assert n.status.remaining_ms == 5 * S
    assert n.status.late_ms == 45 * S  # counting on while paused, not "on time" until resume
    assert n.status.projected_end_ms == AT_1930 + 45 * S + 8 * S + 8 * S + 20 * S
    assert n.engine.pause() is not None  # paused already: refused, with a reason
    assert n.status.refused.action is Action.PAUSE
    assert n.engine.resume() is None
    n.advance(5 * S - 1)
    assert n.status.phase is Phase.CARD
    n.advance(1)
    entry = n.heard.entries[0]
    assert (entry.played_ms, entry.paused_ms, entry.outcome) == (8 * S, 45 * S, Outcome.PLAYED)
    assert n.status.late_ms == 45 * S


def test_esc_fades_to_black_and_waits_for_go_with_the_next_step_named(make_night):
    n = make_night(
        night(film("a"), film("b"), title_cards=False), {"a": Script(60 * S), "b": Script()}
    )
    n.engine.go()
    n.advance(10 * S)
    assert n.engine.escape() is None
    assert n.status.phase is Phase.FADING and n.status.step_index == 0
    n.advance(1 * S)
    assert n.backend.deck(n.status.screen.slot).picture == pytest.approx(0.5)
    assert n.status.screen.level == pytest.approx(0.5)  # the preview fades with it
    n.advance(1 * S)
    status = n.status
    assert status.phase is Phase.BLACK and status.screen.shows is Shows.BLACK
    assert status.step_index is None and status.title == ""  # nothing is on
    assert (status.next_index, status.next_title, status.go) == (1, "B", GoDoes.NEXT)
    assert n.outcomes() == [(0, Outcome.STOPPED)]
    assert n.heard.entries[0].played_ms == 12 * S  # through the end of the fade
    n.advance(30 * S)
    assert n.status.late_ms == 12 * S + 30 * S - 60 * S  # B could start now: 18 s early
    n.engine.go()
    n.advance(1)
    assert (n.status.phase, n.status.step_index) == (Phase.FILM, 1)


def test_esc_esc_stops_at_once(make_night):
    n = make_night(
        night(film("a"), film("b"), title_cards=False), {"a": Script(60 * S), "b": Script()}
    )
    n.engine.go()
    n.advance(10 * S)
    n.engine.escape()
    n.advance(300)
    n.engine.escape()
    assert n.status.phase is Phase.BLACK and n.backend.playing_slot() is None
    assert n.outcomes() == [(0, Outcome.STOPPED)]
    # Esc long after (5 s on): a fade again, not a stop — but there is nothing left to fade.
    n.advance(6 * S)
    assert n.engine.escape().reason == "nothing is on screen to fade"


def test_skip_back_and_jump_with_the_lock(make_night):
    n = make_night(
        night(film("a"), film("b"), film("c")),
        {k: Script(20 * S) for k in "abc"},
        lock_on_start=True,
    )
    n.engine.go()
    n.advance(8 * S + 5 * S)
    assert n.status.locked
    refusal = n.engine.skip()
    assert refusal.reason == LOCKED_REASON and n.status.refused == refusal
    assert n.status.step_index == 1
    n.engine.set_locked(False)
    assert n.status.refused is None
    assert n.engine.skip() is None  # film A is cut short: on with B's title card
    n.advance(0)
    status = n.status
    assert (status.phase, status.step_index, status.title) == (Phase.CARD, 2, "Title card: B")
    assert status.elapsed_ms == 0 and status.go is GoDoes.NOTHING  # not "HOLD", not counting
    n.advance(2 * S)
    assert n.engine.back() is None
    n.advance(0)
    assert (n.status.phase, n.status.step_index) == (Phase.FILM, 1)
    n.advance(3 * S)
    assert n.engine.jump(5) is None
    n.advance(0)
    assert (n.status.phase, n.status.step_index, n.status.title) == (Phase.FILM, 5, "C")
    assert n.outcomes() == [
        (0, Outcome.PLAYED),
        (1, Outcome.SKIPPED),
        (2, Outcome.SKIPPED),
        (1, Outcome.SKIPPED),
    ]
    assert n.engine.jump(9).reason == "there is no step 10"


def test_blackout_covers_the_screen_while_the_show_goes_on(make_night):
    n = make_night(night(film("a"), title_cards=False), {"a": Script(10 * S)})
    n.engine.go()
    n.advance(2 * S)
    n.engine.set_blackout(True)
    assert n.status.blackout and n.status.screen.visible is Shows.BLACK
    assert n.status.phase is Phase.FILM
    n.advance(3 * S)
    assert n.status.elapsed_ms == 5 * S  # the film plays on under the black
    n.engine.toggle_blackout()
    assert n.status.screen.visible is Shows.VIDEO


def test_a_film_failing_mid_way_holds_a_neutral_card_then_goes_on(make_night):
    scripts = {"a": Script(20 * S, fail_at_ms=5 * S, message="decoding error"), "b": Script()}
    n = make_night(night(film("a"), film("b"), title_cards=False), scripts)
    n.engine.go()
    n.advance(5 * S)
    status = n.status
    assert status.phase is Phase.CARD and status.screen.card.kind is CardKind.NEUTRAL
    assert status.title == "The show continues in a moment"
    assert n.outcomes() == [(0, Outcome.FAILED)]
    assert n.heard.entries[0].error == "decoding error"
    assert "could not be played: decoding error" in n.heard.problems[0]
    n.advance(3 * S)
    assert (n.status.phase, n.status.step_index) == (Phase.FILM, 1)


def test_a_film_that_ends_far_short_of_its_length_or_stops_moving_is_a_failure(make_night):
    scripts = {"short": Script(20 * S, ends_at_ms=4 * S), "stuck": Script(20 * S, stalls_at_ms=S)}
    n = make_night(night(film("short"), film("stuck"), title_cards=False), scripts)
    n.engine.go()
    n.advance(4 * S)
    assert n.outcomes() == [(0, Outcome.FAILED)]
    assert "stopped after 0:04 of 0:20" in n.heard.entries[0].error
    n.advance(3 * S + S + 6 * S)
    assert n.status.phase is Phase.FILM  # frozen for 6 s: not yet
    n.advance(1 * S)
    assert n.outcomes()[-1] == (1, Outcome.FAILED)
    assert n.heard.entries[-1].error == "playback froze for 6 seconds"


def test_a_hold_card_waits_for_go_and_the_night_runs_late_meanwhile(make_night):
    hold = Card("panel", LocalText.of("Panel"), None, hold=True)
    n = make_night(night(hold, film("a"), title_cards=False), {"a": Script(10 * S)})
    n.engine.go()
    n.advance(90 * S)
    status = n.status
    assert (status.phase, status.step_index, status.elapsed_ms) == (Phase.HOLDING, 0, 90 * S)
    assert status.remaining_ms is None and status.go is GoDoes.NEXT and status.next_title == "A"
    assert status.late_ms == 90 * S
    n.engine.go()
    n.advance(10 * S)
    assert n.status.phase is Phase.FINISHED
    assert n.outcomes() == [(0, Outcome.PLAYED), (1, Outcome.PLAYED)]
    assert n.heard.entries[0].played_ms == 90 * S


def test_a_second_go_within_half_a_second_is_refused(make_night):
    n = make_night(night(film("a"), film("b")), {"a": Script(), "b": Script()})
    n.engine.go()
    n.advance(GO_DEBOUNCE_MS - 1)
    assert n.engine.go().reason.startswith("GO pressed again within half a second")
    n.advance(2 * S)
    assert n.engine.go().reason.startswith("a timed card is up")
    n.advance(6 * S)
    assert n.engine.go().reason.startswith("a film is playing")
    assert n.status.step_index == 1


def test_resume_after_a_crash_keeps_the_plan_and_shows_what_played(make_night, tmp_path):
    first = make_night(night(film("a"), film("b")), {"a": Script(60 * S), "b": Script(30 * S)})
    first.engine.go()
    first.advance(8 * S + 30 * S + 500)  # the journal is saved every second
    # The process dies here: no close. Its lock goes with it.
    first.engine._show_lock.release()
    point = resume.find(first.journal_path, len(first.engine.steps))
    assert (point.step_index, point.night_day, point.night_start_ms) == (1, NIGHT, AT_1930)
    assert 29 * S <= point.position_ms <= 30 * S
    second = make_night(
        night(film("a"), film("b")),
        {"a": Script(60 * S), "b": Script(30 * S)},
        wall=datetime(2026, 11, 28, 19, 35),
        resume_point=point,
    )
    status = second.status
    assert status.go is GoDoes.RESUME and status.next_index == 1
    assert status.timeline[0].outcome is Outcome.PLAYED  # the card played before the crash
    assert status.timeline[0].started_ms == AT_1930
    second.engine.go()
    second.advance(1 * S)
    status = second.status
    assert (status.phase, status.step_index) == (Phase.FILM, 1)
    assert point.position_ms <= status.elapsed_ms <= point.position_ms + 1 * S
    # Against the same plan: film A should have ended at 19:31:08; it ends what it has left
    # after now (19:35:0x), and the night 38 s after that.
    now = status.clock_ms
    assert 19 * H + 35 * M < now <= 19 * H + 35 * M + 1 * S
    assert status.late_ms == now + status.remaining_ms - (AT_1930 + 68 * S)
    assert status.projected_end_ms == now + status.remaining_ms + 38 * S
    second.advance(status.remaining_ms + 38 * S)
    assert second.status.phase is Phase.FINISHED
    logged = asrun.read(tmp_path / "as-run.jsonl")
    assert [e.index for e in logged] == [0, 1, 2, 3]  # one log, each step once


def test_a_night_dated_another_day_is_timed_from_go_and_says_so(make_night):
    n = make_night(
        night(film("a"), day=date(2026, 12, 24)),
        {"a": Script(10 * S)},
        wall=datetime(2026, 11, 28, 14, 0),
    )
    assert n.status.timed_from_go and n.status.late_ms is None
    assert n.status.planned_start_ms is None
    n.advance(5 * M)
    n.engine.go()
    n.advance(4 * S)
    assert n.status.planned_start_ms == 14 * H + 5 * M and n.status.late_ms == 0
    assert n.status.timeline[1].planned_start_ms == 14 * H + 5 * M + 8 * S


def test_film_after_film_starts_the_next_one_just_before_the_end(make_night):
    n = make_night(
        night(film("a"), film("b"), title_cards=False),
        {"a": Script(5 * S), "b": Script()},
        has_video=True,
    )
    n.engine.go()
    n.advance(5 * S - PRESTART_LEAD_MS - 1)
    assert [c for c in n.backend.calls if c[0] == "play"] == [("play", 0)]
    n.advance(1)
    assert [c for c in n.backend.calls if c[0] == "play"] == [("play", 0), ("play", 1)]
    n.advance(PRESTART_LEAD_MS)
    assert (n.status.step_index, n.status.screen.slot) == (1, 1)


def test_a_film_s_own_fade_out_reaches_black_at_its_end(make_night):
    n = make_night(night(film("a", fade_out_ms=2 * S), title_cards=False), {"a": Script(10 * S)})
    n.engine.go()
    n.advance(8 * S)
    assert n.backend.deck(0).picture == 1.0
    n.advance(1 * S)
    assert n.backend.deck(0).picture == pytest.approx(0.5, abs=0.03)
    n.advance(1 * S - 10)
    assert n.backend.deck(0).picture < 0.03


def test_the_journal_says_where_the_night_is_every_second(make_night, tmp_path):
    n = make_night(night(film("a")), {"a": Script(10 * S)})
    n.engine.go()
    n.advance(3 * S)
    state = journal.load(tmp_path / "journal.json")
    assert (state.step_index, state.position_ms, state.night_day) == (0, 3 * S, "2026-11-28")
    assert state.night_start_ms == AT_1930 and not state.completed


def test_the_night_s_clock_runs_past_midnight_like_the_schedule():
    from player.show.timeline import ms_of_day

    after_midnight = datetime(2026, 11, 29, 0, 30).astimezone()
    assert ms_of_day(after_midnight, NIGHT) == 24 * H + 30 * M
    assert ms_of_day(after_midnight, date(2026, 11, 29)) == 30 * M


def test_the_operator_switches_a_films_subtitles_off_and_the_next_film_has_them(make_night):
    subbed = film("a", subtitles=Path("/films/a.fr.srt"))
    n = make_night(night(subbed, film("b", subtitle_track="fr"), film("c"), title_cards=False),
                   {"a": Script(5 * S), "b": Script(5 * S), "c": Script(5 * S)})  # fmt: skip
    n.engine.go()
    n.advance(1 * S)
    assert n.status.subtitles_on and n.backend.subtitles_shown(0)
    assert n.engine.toggle_subtitles() is None
    assert not n.status.subtitles_on and n.backend.subtitles_shown(0) is False
    n.advance(4 * S)  # film b, with its own track: on again
    assert n.status.step_index == 1 and n.status.subtitles_on
    assert n.backend.subtitles_shown(n.status.screen.slot)
    n.advance(5 * S)
    assert n.engine.set_subtitles(False).reason == "the film on screen has no subtitles"
