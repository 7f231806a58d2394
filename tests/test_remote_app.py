"""Remote control against the real running app under Xvfb (`run --windowed --remote`): every
HTTP endpoint and OSC message, 401 / 409 / 413, OSC from a host that is not allowed, a
malformed packet, 200 requests a second for 10 s with the GUI still answering, a port in use,
and show control's `on_start` reaching a lighting desk within 100 ms of the as-run start.

The tests of this module follow one night in order (module-scoped app): before the start, the
welcome card, film A, the long intermission."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from datetime import datetime

import pytest
from conftest import xvfb

from support.remote import TOKEN, App, Desk, Http, Osc, wait_status
from support.synth import make_clip

FIELDS = [
    "phase", "step", "title", "next_title", "elapsed_ms", "remaining_ms", "late_ms",
    "projected_end", "paused", "blackout", "locked",
]  # fmt: skip


@pytest.fixture(scope="module")
def display():
    with xvfb("-screen", "0", "1280x720x24") as name:
        yield name


@pytest.fixture(scope="module")
def desk():
    d = Desk()
    yield d
    d.close()


def write_night(folder, desk_port: int):
    make_clip(folder / "film A.mp4", seconds=4.0, label="A")
    path = folder / "night.yaml"
    path.write_text(
        "version: 1\n"
        "title: {en: Remote night, fr: Soirée à distance, zh: 遥控之夜}\n"
        "languages: [en, fr, zh]\n"
        f"osc_out: {{host: 127.0.0.1, port: {desk_port}}}\n"
        "defaults: {title_cards: false}\n"
        "items:\n"
        "  - card: {text: Welcome, hold: true, on_end: [/desk/welcome-done]}\n"
        "  - film: film A.mp4\n"
        "    title: Film A\n"
        "    on_start: [{address: /desk/house, args: [0.0, 1, lights down]}]\n"
        "    on_end: [/desk/film-done]\n"
        "  - intermission: {minutes: 10, text: Intermission}\n"
        "  - card: {text: Goodnight, seconds: 3}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory, display, desk):
    folder = tmp_path_factory.mktemp("remote night")
    night = write_night(folder, desk.port)
    a = App(night, display, folder / "home", "--remote-token", TOKEN, "--remote-allow", "127.0.0.3")
    out = a.wait_started()
    assert f"Remote control: http://127.0.0.1:{a.port}/" in out, a.log()[-3000:]
    assert f"Remote token: {TOKEN}" in out
    yield a
    a.close()
    assert "Traceback" not in a.log()


@pytest.fixture
def client(app):
    c = Http(app.port)
    yield c
    c.close()


def test_the_api_needs_the_token(app, client):
    for token in (None, "wrong-token-000"):
        code, body, headers = client.request("GET", "/api/status", token=token)
        assert code == 401 and "Bearer" in body["error"]
        assert headers["WWW-Authenticate"].startswith("Bearer")
    code, _ = client.post("go", token="wrong-token-000")
    assert code == 401
    assert client.status()["phase"] == "idle"  # the refused GO did nothing
    log = app.log()
    assert "remote: no token from 127.0.0.1 for GET /api/status" in log
    assert "remote: wrong token from 127.0.0.1 for POST /api/go" in log


def test_status_before_the_start(client):
    status = client.status()
    assert list(status)[: len(FIELDS)] == FIELDS
    assert status["phase"] == "idle" and status["step"] is None
    assert status["next_title"] == "Welcome" and status["title"] == ""
    assert status["paused"] is status["blackout"] is status["locked"] is False
    assert datetime.fromisoformat(status["projected_end"]).tzinfo is not None


def test_nothing_but_the_api_and_the_pages(client):
    assert client.request("GET", "/")[0] == 200
    assert client.request("GET", "/stage")[0] == 200
    assert client.request("GET", "/assets/remote.js")[0] == 200
    for path in ("/assets/strings.json", "/assets/../remote/api.py", "/etc/passwd", "/api"):
        assert client.request("GET", path)[0] == 404, path
    assert client.request("GET", "/api/go")[0] == 405  # actions are POSTs
    assert client.post("edit")[0] == 404
    assert client.post("jump")[0] == 404
    assert client.request("DELETE", "/api/status")[0] == 405


def test_refusals_are_409_with_the_reason(client):
    assert client.post("resume") == (409, {"error": "nothing is paused to resume"})
    assert client.post("back") == (409, {"error": "the night has not started"})
    assert client.post("skip") == (409, {"error": "nothing to skip"})
    assert client.post("pause") == (409, {"error": "nothing is running to pause"})


def test_a_10_mb_body_is_refused_unread(app, client):
    with socket.create_connection(("127.0.0.1", app.port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/go HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
            + b"{" * 65536
        )  # fmt: skip
        answer = b""
        while chunk := sock.recv(65536):  # the answer, then the server closes
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"limited to 4096 bytes" in answer
    assert client.status()["phase"] == "idle"  # the GO was not carried out


def test_go_twice_at_once_starts_the_night_once(app, client):
    answers = []

    def go() -> None:
        with_own = Http(app.port)
        answers.append(with_own.post("go"))
        with_own.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = sorted(code for code, _ in answers)
    assert codes == [200, 409], answers
    refused = next(body for code, body in answers if code == 409)
    assert "within half a second" in refused["error"]
    started = next(body for code, body in answers if code == 200)
    assert (started["phase"], started["step"], started["title"]) == ("holding", 0, "Welcome")
    assert client.status()["step"] == 0  # not on to the film


def test_go_pause_resume_blackout_over_http(app, client, desk):
    wait_status(app.port, lambda s: s["elapsed_ms"] >= 600)  # past GO's half second
    code, status = client.post("go")
    assert code == 200 and status["step"] == 1
    status = wait_status(app.port, lambda s: s["phase"] == "film" and s["elapsed_ms"] > 0)
    assert status["title"] == "Film A" and status["remaining_ms"] is not None
    code, status = client.post("pause")
    assert code == 200 and status["paused"] is True and status["phase"] == "paused"
    assert client.post("pause") == (409, {"error": "it is paused already"})
    assert client.post("go")[0] == 409  # paused (or within half a second of the last GO)
    code, status = client.post("resume")
    assert code == 200 and status["paused"] is False
    code, status = client.post("blackout")  # no argument: toggles
    assert code == 200 and status["blackout"] is True
    code, status = client.post("blackout", "?on=true")
    assert code == 200 and status["blackout"] is True
    code, status = client.post("blackout", "?on=false")
    assert code == 200 and status["blackout"] is False
    assert client.post("blackout", "?on=maybe")[0] == 400
    code, status = client.post("skip")  # the lock is off in this app
    assert code == 200 and (status["step"], status["phase"]) == (2, "intermission")
    code, status = client.post("back")
    assert code == 200
    code, status = client.post("skip")
    assert code == 200 and status["step"] == 2
    log = app.log()
    assert "GO from the remote (HTTP 127.0.0.1)." in log
    assert "Resume from the remote (HTTP 127.0.0.1) refused: nothing is paused to resume." in log


def test_on_start_reaches_the_desk_within_100_ms_of_the_as_run_start(app, desk):
    # film A has started (and been skipped, gone back to and skipped again) by now
    lines = [line for line in app.as_run() if line["title"] == "Film A"]
    assert lines, app.as_run()
    for line in lines:
        started = datetime.fromisoformat(line["started_at"])
        sent = [s for s in line["osc"] if s["when"] == "start"]
        assert sent == [
            {
                "when": "start",
                "address": "/desk/house",
                "args": [0.0, 1, "lights down"],
                "at": line["started_at"],
                "error": None,
            }
        ]
        arrivals = [w for w, address, _ in desk.heard if address == "/desk/house"]
        nearest = min(abs((w - started).total_seconds()) for w in arrivals)
        assert nearest <= 0.100, (nearest, line["started_at"], arrivals)
    heard = [(address, args) for _, address, args in desk.heard]
    assert ("/desk/welcome-done", []) in heard and ("/desk/film-done", []) in heard
    assert ("/desk/house", [0.0, 1, "lights down"]) in heard


def test_osc_commands_from_this_machine(app):
    osc = Osc(app.port)
    try:
        status = osc.status()
        assert status["phase"] == "intermission" and status["paused"] is False
        osc.send("/screening-night/pause")
        assert osc.status()["paused"] is True  # answered after the pause was handled
        osc.send("/screening-night/pause")
        assert osc.answer() == ("/screening-night/error", ["it is paused already"])
        osc.send("/screening-night/resume")
        assert osc.status()["paused"] is False
        osc.send("/screening-night/blackout")
        assert osc.status()["blackout"] is True
        osc.send("/screening-night/blackout", 0)
        assert osc.status()["blackout"] is False
        osc.send("/screening-night/go")  # the intermission counts down: GO has nothing to do
        address, (reason,) = osc.answer()
        assert address == "/screening-night/error" and reason
    finally:
        osc.close()


def test_osc_from_a_host_not_allowed_and_malformed_packets_are_dropped(app):
    stranger, allowed, local = Osc(app.port, "127.0.0.2"), Osc(app.port, "127.0.0.3"), Osc(app.port)
    try:
        stranger.send("/screening-night/pause")
        stranger.send("/screening-night/status")
        local.send_raw(b"/screening-night/pause\x00\x00,i\x00\x00")  # an int with no bytes
        local.send_raw(b"\xff\xfe not OSC at all")
        local.send("/screening-night/nothing-like-this")
        status = local.status()  # handled after all of the above: nothing changed
        assert status["paused"] is False
        stranger.sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            stranger.answer()  # no status for a stranger either
        allowed.send("/screening-night/pause")
        assert allowed.status()["paused"] is True  # --remote-allow 127.0.0.3
        allowed.send("/screening-night/resume")
        assert allowed.status()["paused"] is False
    finally:
        for o in (stranger, allowed, local):
            o.close()
    log = app.log()
    assert "remote: dropped OSC from 127.0.0.2, not allowed (see --remote-allow)" in log
    assert "remote: dropped a malformed OSC packet from 127.0.0.1" in log
    assert "OSC /screening-night/nothing-like-this from 127.0.0.1: no such command" in log


def test_200_requests_a_second_for_10_s_and_the_gui_still_answers(app, client):
    """4 clients at 50 requests a second each for 10 s; meanwhile pause and resume every
    second (they run on the GUI thread) and watch the engine's clock in the statuses."""
    rate, seconds, clients = 200, 10, 4
    stop = threading.Event()
    results: list[list[tuple[int, str]]] = [[] for _ in range(clients)]

    def hammer(k: int) -> None:
        c = Http(app.port)
        start = time.monotonic()
        for i in range(rate * seconds // clients):
            due = start + i * clients / rate
            if stop.wait(max(0.0, due - time.monotonic())):  # paced, and stoppable
                break
            code, body, _ = c.request("GET", "/api/status")
            results[k].append((code, body.get("clock") if code == 200 else ""))
        c.close()

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    actions, latencies = [], []
    try:
        for _ in range(seconds):
            for action in ("pause", "resume"):
                t0 = time.monotonic()
                code, status = client.post(action)
                latencies.append(time.monotonic() - t0)
                actions.append((action, code, status.get("paused")))
            wait_status(app.port, lambda s, c=status["clock"]: s["clock"] != c, timeout_s=30)
    finally:
        if any(t.is_alive() for t in threads) and len(actions) < 2 * seconds:
            stop.set()  # failed part-way: no load left running
        for t in threads:
            t.join(60)
    took = time.monotonic() - began
    done = [r for rs in results for r in rs]
    print(
        f"\n{len(done)} status requests in {took:.1f} s ({len(done) / took:.0f}/s); "
        f"pause/resume answered in median {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )
    assert len(done) == rate * seconds and all(code == 200 for code, _ in done)
    assert actions == [("pause", 200, True), ("resume", 200, False)] * seconds
    clocks = {clock for _, clock in done}
    assert len(clocks) >= seconds - 1  # the engine (GUI thread) kept ticking under load
    assert client.status()["phase"] == "intermission"


def test_stop_fades_first_then_stops_like_esc(app, client):
    code, status = client.post("stop")
    assert code == 200 and status["phase"] == "fading"
    code, status = client.post("stop")  # again, during the fade: at once
    assert code == 200 and status["phase"] == "black"
    # black: a first press again, which would fade, and there is nothing to fade
    assert client.post("stop") == (409, {"error": "nothing is on screen to fade"})
    assert client.post("fade") == (409, {"error": "nothing is on screen to fade"})
    code, status = client.post("go")
    assert code == 200 and status["title"] == "Goodnight"


def test_a_port_in_use_is_said_and_the_show_runs_without_the_remote(app, tmp_path, display):
    night = next(app.home.parent.glob("night.yaml"))
    other = App(night, display, tmp_path / "home", port=app.port, quit_after_ms=4000)
    try:
        out = other.wait_started(timeout_s=60)  # to the end: it prints no address
        assert other.proc.wait(timeout=60) == 0  # the show ran, and closed as asked
    finally:
        other.close()
    assert "Remote control:" not in out
    log = other.log()
    assert f"TCP port {app.port} on 127.0.0.1 is in use" in log
    assert "The show runs without it." in log
    assert "Traceback" not in log
