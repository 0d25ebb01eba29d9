"""``beichen-geo serve --port 0 ...`` in a subprocess, for the API and page tests.

The server's URL is read from its start line, in either language (``--lang zh`` words it in
Chinese); a ``?token=...`` in it (any ``--host`` but loopback) is kept apart as ``token``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_URL = re.compile(r"http://[^\s/]+:\d+/?\S*")


class Server:
    """``beichen-geo serve --port 0 --quiet *extra``; ``url`` (and ``token``) once it listens."""

    def __init__(self, *extra: str, timeout_s: float = 180) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.proc = subprocess.Popen([sys.executable, "-m", "beichen_geo.cli", "serve", "--port", "0", "--quiet",
                                      *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     cwd=ROOT)
        assert self.proc.stdout is not None
        deadline, self.url, self.token = time.monotonic() + timeout_s, "", None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"serve exited: {self.proc.wait()} {err}")
            found = _URL.search(line)
            if found:
                self.url = found.group(0)
                if "?token=" in self.url:
                    self.url, self.token = self.url.split("?token=", 1)
                break
        assert self.url, "serve did not print its URL"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
