"""Shared test set-up: no display, no sound card, user folders in a temporary place."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before Qt or platformdirs are imported by any test module.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="screening-night-tests-"))
for _var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
    os.environ[_var] = str(_HOME / _var.lower())
# Child Pythons the tests start find the tests' own helpers (support/) as the tests do.
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH")])
)

from support.rig import make as make_night  # noqa: E402, F401 (the make_night fixture)
from support.synth import make_clip  # noqa: E402
from support.xvfb import XvfbError  # noqa: E402
from support.xvfb import xvfb as player_xvfb  # noqa: E402


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """A session-wide folder for generated clips."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip2s(media_dir) -> Path:
    """A 2-second 320x240 H.264/AAC clip with a 440 Hz tone."""
    return make_clip(media_dir / "clip 2s.mp4", seconds=2.0, label="A")


@contextlib.contextmanager
def xvfb(*server_args: str) -> Iterator[str]:
    """A private Xvfb server; yields ':N'. The set-up installs Xvfb, so its absence is a
    failure, not a skip."""
    try:
        with player_xvfb(*server_args) as display:
            yield display
    except XvfbError as exc:
        pytest.fail(str(exc))


@contextlib.contextmanager
def sound_server() -> Iterator[dict[str, str]]:
    """A private PulseAudio server whose default output is a null sink named "hall" (record
    its sound from "hall.monitor"); yields the environment a client needs. The set-up installs
    PulseAudio except beside PipeWire's (a desktop's sound must not be touched): there only,
    its absence is a skip."""
    if not shutil.which("pulseaudio") or not shutil.which("parec"):
        if Path("/usr/bin/pipewire-pulse").exists():
            pytest.skip("PipeWire's sound server is installed here, PulseAudio's is not")
        pytest.fail("pulseaudio/parec are missing (the set-up installs them)")
    home = Path(tempfile.mkdtemp(prefix="screening-night-pulse-"))
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    socket = runtime / "native"
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / "config"),
        PULSE_SERVER=f"unix:{socket}",
    )
    server = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "--disable-shm=yes", "-L", "module-null-sink sink_name=hall",
         "-L", f"module-native-protocol-unix auth-anonymous=1 socket={socket}",
         "-L", "module-stream-restore"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            ready = subprocess.run(["pactl", "info"], env=env, capture_output=True, check=False)
            if ready.returncode == 0 or server.poll() is not None:
                break
            time.sleep(0.1)
        if server.poll() is not None or ready.returncode != 0:
            pytest.fail(f"PulseAudio did not start: {server.stderr.read().decode()[-500:]}")
        subprocess.run(["pactl", "set-default-sink", "hall"], env=env, check=True)
        yield env
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(home, ignore_errors=True)


def rehearse(*args, env=None, timeout: float = 90):
    """`screening-night rehearse ARGS...` as a subprocess (its output captured, as text)."""
    return subprocess.run(
        [sys.executable, "-m", "player", "rehearse", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )  # fmt: skip


def wav_levels_db(
    wav: Path, step_s: float, start_s: float = 0.0, end_s: float | None = None
) -> list[float]:
    """RMS level (dBFS) of each whole `step_s` of a 16-bit WAV, from `start_s` to `end_s` (the
    end of the file when None)."""
    with wave.open(str(wav), "rb") as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        assert reader.getsampwidth() == 2
        reader.setpos(min(reader.getnframes(), int(start_s * rate)))
        frames = reader.getnframes() if end_s is None else round((end_s - start_s) * rate)
        samples = array("h", reader.readframes(frames))
    n = round(rate * step_s) * channels
    levels = []
    for i in range(0, len(samples) - n + 1, n):
        mean = sum(v * v for v in samples[i : i + n]) / n
        levels.append(10 * math.log10(max(mean, 1e-3) / 32768**2))
    return levels
