"""Show control on the manual clock: the engine sends each step's `on_start` / `on_end` OSC
messages as it starts and ends, to a real UDP socket on this machine, logs them in the as-run
log, and goes on when they cannot be sent."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import replace

import pytest
from pythonosc.osc_message import OscMessage as Received
from test_engine import film, night

from player.core.model import Card, Defaults, Follow, LocalText, OscMessage, OscTarget, Playlist
from player.media.fake import Script
from player.show import asrun
from player.show.showcontrol import OscSent, ShowControl, When
from support.rig import S


@pytest.fixture
def desk():
    """A lighting desk: a UDP socket on 127.0.0.1 (loopback delivers a datagram into its buffer
    before sendto returns, so what the engine sent can be read at once, with no thread)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    yield sock
    sock.close()


def heard(sock) -> list[tuple[str, list]]:
    out = []
    while True:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return out
        message = Received(data)
        out.append((message.address, list(message.params)))


def msg(address: str, *args) -> OscMessage:
    return OscMessage(address, tuple(args))


def with_desk(playlist: Playlist, sock) -> Playlist:
    return replace(playlist, osc_out=OscTarget(*sock.getsockname()))


def test_each_step_sends_its_messages_as_it_starts_and_ends(make_night, desk):
    lights_down = msg("/lights/house", 0.0)
    playlist = with_desk(
        night(
            film("a", on_start=(lights_down, msg("/eos/cue/1/fire")), on_end=(msg("/up", 1),)),
            film("b", on_end=()),  # an empty list of its own: nothing as it ends
            on_start=(msg("/step", "next", True),),
            on_end=(msg("/done"),),
        ),
        desk,
    )
    n = make_night(playlist, {"a": Script(10 * S), "b": Script(5 * S)})
    assert heard(desk) == []
    n.engine.go()  # the title card of a: the defaults
    assert heard(desk) == [("/step", ["next", True])]
    n.advance(8 * S - 1)
    assert heard(desk) == []
    n.advance(1)  # the card ends, the film starts: its own lists
    assert heard(desk) == [("/done", []), ("/lights/house", [0.0]), ("/eos/cue/1/fire", [])]
    n.advance(10 * S)
    assert heard(desk) == [("/up", [1]), ("/step", ["next", True])]
    n.advance(8 * S)
    assert heard(desk) == [("/done", []), ("/step", ["next", True])]
    n.advance(5 * S)
    assert heard(desk) == []  # b's on_end is empty
    assert n.status.phase.value == "finished"

    entries = n.heard.entries
    film_a = entries[1]
    assert [(s.when, s.address, s.args, s.error) for s in film_a.osc] == [
        (When.START, "/lights/house", (0.0,), None),
        (When.START, "/eos/cue/1/fire", (), None),
        (When.END, "/up", (1,), None),
    ]
    assert film_a.osc[0].at == film_a.started_at and film_a.osc[2].at == film_a.ended_at
    assert entries[3].osc == (OscSent(When.START, "/step", ("next", True), entries[3].started_at),)
    # as written to the as-run log, and read back
    lines = (n.engine.as_run_path).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[1])["osc"][0] == {
        "when": "start",
        "address": "/lights/house",
        "args": [0.0],
        "at": film_a.started_at,
        "error": None,
    }
    assert asrun.read(n.engine.as_run_path)[1].osc == film_a.osc
    assert n.heard.problems == []


def test_a_skipped_or_stopped_step_still_sends_its_on_end(make_night, desk):
    playlist = with_desk(
        night(film("a"), film("b"), on_start=(msg("/start"),), on_end=(msg("/end"),)), desk
    )
    n = make_night(
        replace(playlist, defaults=replace(playlist.defaults, title_cards=False)),
        {"a": Script(60 * S), "b": Script(60 * S)},
        lock_on_start=False,
    )
    n.engine.go()
    assert heard(desk) == [("/start", [])]
    n.advance(5 * S)
    assert n.engine.skip() is None
    assert heard(desk) == [("/end", []), ("/start", [])]
    assert n.engine.stop() is None
    assert heard(desk) == [("/end", [])]
    assert [e.outcome.value for e in n.heard.entries] == ["skipped", "stopped"]


def test_messages_that_cannot_be_sent_are_logged_and_the_show_goes_on(make_night):
    threads, called = [], threading.Event()

    def not_found(host, port):
        threads.append(threading.current_thread())
        called.set()
        raise socket.gaierror(-2, "Name or service not known")

    playlist = replace(
        night(Card("c", LocalText.of("Hello"), 2 * S, on_start=(msg("/a"),)), film("a")),
        osc_out=OscTarget("lighting-desk.invalid", 9000),
    )
    n = make_night(
        playlist,
        {"a": Script(3 * S)},
        show_control=lambda clock: ShowControl(
            playlist.osc_out, clock, clock.now_ms, resolver=not_found
        ),
    )
    assert called.wait(10)
    threads[0].join(10)  # the look-up's worker has posted its answer...
    n.advance(0)  # ...which comes in on the clock's thread
    n.engine.go()
    n.advance(2 * S + 8 * S + 3 * S)
    assert n.status.phase.value == "finished"
    sent = n.heard.entries[0].osc
    assert len(sent) == 1
    assert sent[0].error == "host lighting-desk.invalid not found (Name or service not known)"
    assert [p for p in n.heard.problems if "Show control" in p] == [
        "Show control: /a could not be sent to lighting-desk.invalid:9000 (host "
        "lighting-desk.invalid not found (Name or service not known)); the show goes on, and "
        "every message is listed in the as-run log."
    ]


def test_a_host_name_is_looked_up_off_the_show_thread_then_used(desk):
    from player.show.clock import ManualClock

    clock = ManualClock()
    release, called = threading.Event(), threading.Event()
    threads = []

    def slow(host, port):
        threads.append(threading.current_thread())
        called.set()
        release.wait(10)
        return socket.AF_INET, desk.getsockname()

    control = ShowControl(OscTarget("desk.local", 9000), clock, clock.now_ms, resolver=slow)
    first = control.send(When.START, [msg("/x")], "t")
    assert first[0].error == "desk.local is still being looked up"
    assert called.wait(10)
    assert threads[0] is not threading.current_thread()
    release.set()
    threads[0].join(10)
    clock.advance(0)
    assert control.send(When.END, [msg("/y", 2)], "t")[0].error is None
    assert heard(desk) == [("/y", [2])]
    control.close()


def test_defaults_cover_every_step_without_a_list_of_its_own():
    own = (msg("/own"),)
    playlist = Playlist(
        title=LocalText.of("N"),
        items=(film("a", on_start=own), Card("c", LocalText.of("C"), 2 * S, on_end=())),
        defaults=Defaults(follow=Follow.AUTO, on_start=(msg("/d"),), on_end=(msg("/e"),)),
    )
    from player.core.model import steps

    lists = [playlist.show_control(step) for step in steps(playlist)]
    assert lists == [((msg("/d"),), (msg("/e"),)), (own, (msg("/e"),)), ((msg("/d"),), ())]
