"""The remote's interface without the server: `--remote` and token parsing, the status as JSON
from an engine on the manual clock, the actions as the keys do them, the gate into the engine's
thread, and the slowing down of wrong tokens."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from test_engine import AT_1930, M, film, night

from player.media.fake import Script
from player.remote import api
from player.remote.api import Action, Failures, Gate
from support.rig import S


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8000", ("127.0.0.1", 8000)),
        ("0.0.0.0:8000", ("0.0.0.0", 8000)),
        ("booth.local:9000", ("booth.local", 9000)),
        ("[::1]:8000", ("::1", 8000)),
    ],
)
def test_listen_addresses(text, expected):
    assert api.parse_listen(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "not [HOST:]PORT"), ("host:", "not [HOST:]PORT"), ("70000", "between 1 and 65535"),
     ("0", "between 1 and 65535"), ("[zz]:80", "not [HOST:]PORT"), ("a:b:80", "not [HOST:]PORT")],
)  # fmt: skip
def test_bad_listen_addresses_are_one_sentence(text, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        api.parse_listen(text)


def test_tokens():
    assert api.check_token("s3cret-token") == "s3cret-token"
    for bad in ("short", "has a space", "naïve-token"):
        with pytest.raises(ValueError):
            api.check_token(bad)
    made = {api.new_token() for _ in range(50)}
    assert len(made) == 50 and all(len(t) == 22 for t in made)


def test_page_languages():
    assert [api.page_language(x) for x in ("fr_FR.UTF-8", "zh-CN", "EN", "de_DE", "")] == [
        "fr",
        "zh",
        "en",
        "en",
        "en",
    ]


def test_status_json_of_a_running_night(make_night):
    n = make_night(
        night(film("a"), film("b")),
        {"a": Script(60 * S), "b": Script(30 * S)},
        wall=datetime(2026, 11, 28, 19, 32),
    )
    assert n.engine.go() is None
    n.advance(8 * S + 20 * S)
    value = api.status_json(n.status, n.engine.night_day)
    planned_end = AT_1930 + 8 * S + 60 * S + 8 * S + 30 * S + 2 * M
    end = datetime.fromisoformat(value["projected_end"])
    assert end.replace(tzinfo=None) == datetime(2026, 11, 28) + timedelta(milliseconds=planned_end)
    assert value == {
        "phase": "film",
        "step": 1,
        "title": "A",
        "next_title": "Title card: B",
        "elapsed_ms": 20 * S,
        "remaining_ms": 40 * S,
        "late_ms": 2 * M,
        "projected_end": value["projected_end"],
        "paused": False,
        "blackout": False,
        "locked": False,
        "go": "nothing",
        "duration_ms": 60 * S,
        "next_step": 2,
        "clock": datetime(2026, 11, 28, 19, 32, 28).astimezone().isoformat(timespec="seconds"),
    }
    assert end.utcoffset() is not None


def test_actions_are_the_keys_engine_calls(make_night):
    n = make_night(night(film("a", fade_out_ms=0)), {"a": Script(60 * S)}, lock_on_start=True)
    assert api.perform(n.engine, Action.GO) is None
    assert api.perform(n.engine, Action.GO).reason.startswith("GO pressed again")  # debounce
    assert "locked" in api.perform(n.engine, Action.SKIP).reason
    assert "locked" in api.perform(n.engine, Action.BACK).reason
    n.advance(8 * S + 5 * S)
    assert api.perform(n.engine, Action.BLACKOUT) is None and n.status.blackout
    assert api.perform(n.engine, Action.BLACKOUT, on=True) is None and n.status.blackout
    assert api.perform(n.engine, Action.BLACKOUT) is None and not n.status.blackout
    assert api.perform(n.engine, Action.PAUSE) is None and n.status.paused
    assert api.perform(n.engine, Action.RESUME) is None and not n.status.paused
    # stop is Esc: the first fades, a second within 5 s (or during the fade) stops at once
    assert api.perform(n.engine, Action.STOP) is None
    assert n.status.phase.value == "fading"
    n.advance(500)
    assert api.perform(n.engine, Action.STOP) is None
    assert n.status.phase.value == "black"


def test_the_gate_runs_actions_on_the_engine_thread_and_drops_late_ones(make_night):
    n = make_night(night(film("a")), {"a": Script(60 * S)})
    heard = []
    gate = Gate(n.engine, lambda source, action, refusal: heard.append((source, action, refusal)))
    future = gate.act(Action.GO, "HTTP 10.0.0.5")
    assert not future.done() and not n.status.started  # posted, not run
    n.advance(0)  # the engine's thread takes it
    refusal, status, day = future.result(0)
    assert refusal is None and status.started and day == n.engine.night_day
    assert heard == [("HTTP 10.0.0.5", Action.GO, None)]
    late = gate.act(Action.PAUSE, "OSC 127.0.0.1")
    assert late.cancel()  # the remote gave up waiting
    n.advance(0)
    assert not n.status.paused and len(heard) == 1  # a late action never runs


def test_wrong_tokens_slow_an_address_down():
    now = [1000.0]
    failures = Failures(lambda: now[0])
    for _ in range(Failures.FREE):
        assert failures.failed("10.0.0.9") == 0
    assert failures.blocked_for("10.0.0.9") == 0
    assert [failures.failed("10.0.0.9") for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert failures.blocked_for("10.0.0.9") == 60
    assert failures.blocked_for("10.0.0.10") == 0  # another address is not slowed
    now[0] += 30
    assert failures.blocked_for("10.0.0.9") == 30
    failures.succeeded("10.0.0.9")
    assert failures.blocked_for("10.0.0.9") == 0
    for _ in range(Failures.FREE + 1):
        failures.failed("10.0.0.11")
    now[0] += Failures.FORGET_S + 1
    assert failures.failed("10.0.0.11") == 0  # quiet for ten minutes: forgiven
