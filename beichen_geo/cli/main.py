"""``main(argv) -> int``: run the command line, catching every error raised on purpose once.

Exit codes: 0 on success; 2 on a user-facing error (:class:`~geo.errors.GeoError`: bad input,
unwritable or locked ``--out``, full disk), printed as one line; 130 on Ctrl-C (SIGINT) and 143
on SIGTERM (128 + signal number, as shells report).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import warnings
from collections.abc import Sequence
from types import FrameType
from typing import Any, Final, TextIO

from geo.errors import GeoError

#: The command-line flag of each API keyword that an error may name (``GeoError.option``).
OPTION_FLAGS: Final = {
    "layer": "--layer NAME",
    "sheet": "--sheet NAME|NUMBER",
    "lon_col": "--lon-col NAME",
    "lat_col": "--lat-col NAME",
    "overpass_url": "--overpass-url URL",
    "nominatim_url": "--nominatim-url URL",
    "crs": "--crs EPSG",
    "coords": "--coords wgs84|gcj02|bd09",
    "cache_dir": "--cache-dir DIR",
    "deadline_s": "--download-deadline SECONDS",
    "max_body_mib": "--download-max-mib MIB",
    "method": "--method auto|exact|greedy",
    "n_new": "--n N",
    "target_share": "--target-share SHARE",
    "name_col": "--name-col NAME",
    "zones_name_col": "--zones-name-col NAME",
    "print_format": "--print-format png|pdf|svg",
}


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the command line; returns the summaries written (for tests and scripting)."""
    from beichen_geo.cli import pipeline
    from beichen_geo.cli.parser import build_parser

    args = build_parser().parse_args(argv)
    steps = pipeline.Steps(quiet=args.quiet, lang=args.lang or "en")
    _RUNNING["steps"] = steps  # its language (``assess`` may choose it later) words errors and warnings
    if args.command == "demo":
        return pipeline.demo(args, steps)
    if args.command == "assess":
        return pipeline.assess(args, steps)
    if args.command == "serve":
        from beichen_geo.cli.serve import serve

        serve(args, steps)
        return {}
    return pipeline.analyses(args, steps, [args.command])


#: The progress display of the run under way (its ``lang`` words the error and warning lines).
_RUNNING: dict[str, Any] = {}


def _lang() -> str:
    return str(getattr(_RUNNING.get("steps"), "lang", "en") or "en")


def _flag(obj: object, lang: str) -> str:
    flag = OPTION_FLAGS.get(getattr(obj, "option", None) or "")
    if not flag:
        return ""
    return f"（命令行选项：{flag}）" if lang == "zh" else f" (command line: {flag})"


def error_line(exc: GeoError, *, lang: str = "en") -> str:
    """The one line printed for an error: its message, and the flag to change when it names an API option.

    The messages are the program's English texts; in Chinese (``lang="zh"``) they are shown
    under a Chinese heading that says so.
    """
    from beichen_geo.present.messages import ConsoleWords

    return ConsoleWords(lang)("error", text=exc) + _flag(exc, lang)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,  # noqa: ARG001
                  file: TextIO | None = None, line: str | None = None) -> None:  # noqa: ARG001
    """Warnings as one readable line (no source file and line of the library)."""
    from beichen_geo.present.messages import ConsoleWords, default_labels, warning_text

    lang = _lang()
    text, worded = str(message), False
    if lang == "zh":  # the program's own sentences in Chinese; others under a heading saying they are English
        text, worded = warning_text(text, lang="zh", labels=dict(default_labels("zh").kinds))
    print(ConsoleWords(lang)("warning_worded" if worded else "warning", text=text) + _flag(message, lang),
          file=sys.stderr)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM received: the run stops and cleans up like on Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
    # the first signal stops the run; later ones are ignored so that the clean-up completes
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def _install_signal_handlers() -> dict[int, Any]:
    previous: dict[int, Any] = {}
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        for s in (signal.SIGINT, signal.SIGTERM):
            previous[s] = signal.signal(s, _on_signal)
    return previous


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point.

    Exit codes: 0 on success; 2 on a user-facing error (bad input, unwritable or locked
    ``--out``, full disk); 130 on Ctrl-C (SIGINT) and 143 on SIGTERM (128 + signal number, as
    shells report). An interrupted run prints one line saying what ``--out`` holds: the
    earlier contents untouched, or (if the signal came after the swap) this run's complete
    results.
    """
    warnings.showwarning = _show_warning
    previous = _install_signal_handlers()
    try:
        run(argv)
    except GeoError as exc:
        print(error_line(exc, lang=_lang()), file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        from beichen_geo.present.messages import ConsoleWords

        signum = getattr(exc, "signum", signal.SIGINT)
        outcome = getattr(exc, "outcome", None) or "nothing was written"
        print(ConsoleWords(_lang())("interrupted", signal=signal.Signals(signum).name, outcome=outcome),
              file=sys.stderr)
        return 128 + int(signum)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _RUNNING.clear()
    return 0
