"""The loop the SIGKILL fault tests share: start ``leadflow sync`` as a process of its own, SIGKILL it at a random
point, start it again, until it has been killed ``kills`` times; then let runs finish until one succeeds and
there is nothing left to do."""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class KillLoop:
    """How the runs are killed: ``kills`` times, each after a delay drawn from ``delay`` by the seeded ``seed``;
    a run left to finish gets ``final_timeout`` seconds; more than ``max_finished`` finished runs fail the test."""

    command: Sequence[str]
    env: Mapping[str, str]
    kills: int
    seed: int
    delay: tuple[float, float]
    final_timeout: float
    max_finished: int


def kill_and_resume(loop: KillLoop, *, before_each: Callable[[], None], done: Callable[[], bool]) -> list[str]:
    """Run ``loop`` (``before_each`` before every start, e.g. the emulators' faults set again) until a run after
    the last kill exits 0 and ``done()`` says nothing is left; what each run came to, one line each."""
    rng = random.Random(loop.seed)
    kills, finished, log = 0, 0, []
    while True:
        before_each()
        process = subprocess.Popen(
            list(loop.command), env=dict(loop.env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if kills < loop.kills:
            delay = rng.uniform(*loop.delay)
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                log.append(f"killed after {delay:.1f}s")
                continue
        else:
            process.wait(timeout=loop.final_timeout)
        output = process.stdout.read() if process.stdout else ""
        finished += 1
        log.append(f"finished rc={process.returncode}")
        if kills >= loop.kills and process.returncode == 0 and done():
            return log
        assert finished < loop.max_finished, "\n".join(log) + "\n" + output[-3000:]
