"""A small progress display for long steps: one line per step with its duration, on stderr.

Steps are named in English (the keys of ``timings``); with ``lang="zh"`` the display shows
them in Chinese (:func:`beichen_geo.present.messages.step_label`).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import TextIO


class Steps:
    """Print ``[i] name ... 1.2 s`` lines as steps start and end; quiet=True prints nothing."""

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None, lang: str = "en") -> None:
        self.quiet = quiet
        self.lang = lang
        self.stream = stream or sys.stderr
        self.count = 0
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        from beichen_geo.present.messages import ConsoleWords, step_label

        C = ConsoleWords(self.lang)
        self.count += 1
        if not self.quiet:
            print(f"[{self.count}] {step_label(name, self.lang)} ...", end="", flush=True, file=self.stream)
        t = time.perf_counter()
        try:
            yield
        except BaseException:
            if not self.quiet:
                print(C("step_failed"), file=self.stream, flush=True)
            raise
        dt = time.perf_counter() - t
        self.timings[name] = round(dt, 3)
        if not self.quiet:
            print(C("step_done", s=dt), file=self.stream, flush=True)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0
