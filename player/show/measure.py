"""What the engine learns of its films while the night runs: durations, then loudness.

Each film is probed once per opening (in parallel, off the engine's thread, with
`player.core.tasks`), then, when the night has a loudness target, measured. Results come back
to the engine's thread one by one as they are done, not after the slowest, so the plan firms up
film by film and a film's gain is known as early as possible.

`Measurer` is what the engine is given: `ProbeMeasurer` runs ffprobe/ffmpeg for real;
`KnownMeasurer` answers from a table (engine tests on the manual clock).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from player.core import tasks
from player.core.tasks import Loop

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probed:
    """A film's duration (None: it could not be probed); `note` says why a prober hung."""

    path: Path
    duration_ms: int | None
    note: str | None = None


@dataclass(frozen=True)
class Measured:
    """A film's integrated loudness in LUFS (None: not measured)."""

    path: Path
    lufs: float | None


@dataclass(frozen=True)
class AllProbed:
    """Every film has been probed once; the probe cache is warm."""


Result = Probed | Measured | AllProbed


class Measurer(Protocol):
    def start(
        self, paths: list[Path], loudness: bool, deliver: Callable[[Result], None], loop: Loop
    ) -> None:
        """Probe `paths` (and with `loudness` measure them), calling `deliver` on `loop`'s
        thread with each `Probed`, then one `AllProbed`, then each `Measured`. Returns at once."""
        ...

    def close(self) -> None:
        """Stop at once: kill running probers (a hung one must not hold the exit)."""
        ...


class ProbeMeasurer:
    """The real thing: ffprobe and ffmpeg's ebur128, off the engine's thread."""

    def __init__(self) -> None:
        self._procs: set = set()
        self._closed = False

    def start(self, paths, loudness, deliver, loop) -> None:
        if paths:
            tasks.run_task(
                lambda: self._measure(paths, loudness, deliver, loop),
                lambda _result, error: error and log.error("measuring failed: %s", error),
                loop,
                name="measure",
            )

    def close(self) -> None:
        self._closed = True
        if self._procs:
            from player.media import probe

            probe.kill(self._procs)

    def _measure(self, paths: list[Path], loudness: bool, deliver, loop: Loop) -> None:
        from player.media import probe

        def post(result: Result) -> None:
            if not self._closed:
                loop.call_soon_threadsafe(lambda: deliver(result))

        durations: dict[Path, int] = {}
        given = {Path(p).absolute(): p for p in paths}
        done: set[Path] = set()

        def one(key: Path, result) -> None:  # as each file is done, not after the slowest
            path = given.get(Path(key).absolute(), key)
            note = None
            if isinstance(result, Exception):
                log.info("probe of %s failed: %s", path, result)
                if isinstance(result, probe.ProbeError) and result.timed_out:
                    note = result.message  # a hung prober: worth a word
            elif result is not None:
                durations[path] = result.duration_ms
            done.add(path)
            post(Probed(path, durations.get(path), note))

        try:
            with probe.owning(self._procs):
                probe.probe_many(paths, on_result=one)
        except Exception as exc:  # anything odd: the show still plays them, unmeasured
            log.info("probing failed: %s", exc)
        for path in paths:
            if path not in done:
                post(Probed(path, None))
        post(AllProbed())
        if not loudness:
            return
        for path in paths:
            if self._closed or durations.get(path) is None:
                continue
            lufs = None
            try:
                with probe.owning(self._procs):
                    lufs = probe.measure_loudness(path).integrated_lufs
            except Exception as exc:
                log.info("loudness of %s not measured: %s", path, exc)
            post(Measured(path, lufs))


class KnownMeasurer:
    """Answers from tables, on the loop's thread (for engine tests)."""

    def __init__(
        self, durations: Mapping[Path, int | None], lufs: Mapping[Path, float] | None = None
    ) -> None:
        self.durations = dict(durations)
        self.lufs = dict(lufs or {})

    def start(self, paths, loudness, deliver, loop) -> None:
        results: list[Result] = [Probed(p, self.durations.get(p)) for p in paths]
        results.append(AllProbed())
        if loudness:
            results += [Measured(p, self.lufs.get(p)) for p in paths]
        for result in results:
            loop.call_soon_threadsafe(lambda r=result: deliver(r))

    def close(self) -> None:
        pass
