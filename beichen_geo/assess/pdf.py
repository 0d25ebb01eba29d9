"""``assess.pdf``: the report printed by headless Chromium (``--print-to-pdf``), when a Chromium is installed.

The browser is found in ``$CHROMIUM``, else as ``chromium`` / ``chromium-browser`` /
``google-chrome`` on the PATH. It prints the report file with a throw-away profile, no header
or footer, and the report's own A4 print CSS; the page itself allows no network request
(its Content-Security-Policy), and background networking is switched off. Where no browser
is found or printing fails, :func:`print_pdf` says why in one sentence instead of failing the
run: the HTML report is complete without the PDF.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from geo.io import atomic_write

BROWSERS: Final = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_S: Final = 180.0
FLAGS: Final = (
    "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio",
    "--no-pdf-header-footer", "--print-to-pdf-no-header",
    # the sandbox needs user namespaces, often missing in containers and for root; the page is
    # our own file that runs no script and may load nothing
    "--no-sandbox",
)


@dataclasses.dataclass(frozen=True)
class PdfOutcome:
    """The PDF written (``path``), or None and ``reason`` (one sentence) when it could not be."""

    path: Path | None
    reason: str | None = None


def find_browser() -> str | None:
    """The Chromium executable to print with: ``$CHROMIUM``, else the first of :data:`BROWSERS` on the PATH."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    return next((p for p in (shutil.which(b) for b in BROWSERS) if p), None)


def print_pdf(html: str | os.PathLike, pdf: str | os.PathLike, *, timeout_s: float = TIMEOUT_S) -> PdfOutcome:
    """Print the HTML file ``html`` to ``pdf`` (written atomically) with headless Chromium.

    Parameters
    ----------
    html
        The report file (a local file; it is opened as a ``file://`` URL).
    pdf
        The PDF to write.
    timeout_s
        Longest time the browser may take, seconds.

    Returns
    -------
    PdfOutcome
        ``path`` when written; else ``reason``: no browser found, the browser failed (its last
        message), timed out, or wrote no PDF.
    """
    browser = find_browser()
    if browser is None:
        where = f"CHROMIUM={os.environ['CHROMIUM']} does not exist" if os.environ.get("CHROMIUM") else (
            "no headless Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)")
        return PdfOutcome(None, where)
    url = Path(html).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="beichen-geo-pdf-") as tmp:
        out = Path(tmp) / "report.pdf"
        cmd = [browser, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={out}", url]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return PdfOutcome(None, f"{browser} did not finish printing within {timeout_s:g} s")
        except OSError as exc:
            return PdfOutcome(None, f"could not start {browser}: {exc.strerror or exc}")
        data = out.read_bytes() if out.exists() else b""
        if not data.startswith(b"%PDF"):
            tail = (proc.stderr or "").strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
            return PdfOutcome(None, f"{browser} wrote no PDF ({tail[0][:200]})")
    def write(tmp_pdf: Path) -> None:
        tmp_pdf.write_bytes(data)

    return PdfOutcome(atomic_write(pdf, write))
