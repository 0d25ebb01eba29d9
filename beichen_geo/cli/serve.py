"""``beichen-geo serve``: load the study once (with progress), then serve the what-if workbench.

The study options are those of every command (:func:`beichen_geo.cli.parser.add_common`); the
output options write nothing here and are refused. The socket is bound before the URL is
printed, so the printed URL (with the real port when ``--port 0``) is ready to open. With a
``--host`` other than a loopback address a random access token is printed with it.
"""

from __future__ import annotations

import argparse
import socket
import sys
import warnings

from beichen_geo.cli import options, pipeline
from beichen_geo.progress import Steps
from geo.errors import InputError


def _refuse_output_options(args: argparse.Namespace) -> None:
    given = [flag for flag, on in (("--out", args.out is not None), ("--overwrite", args.overwrite),
                                   ("--no-self-contained", not args.self_contained)) if on]
    if given:
        raise InputError(f"serve writes no files: leave out {', '.join(given)} (export scenarios from the workbench)")
    if args.zones or args.zones_name_col:
        raise InputError("serve gives figures per --units only: leave out --zones / --zones-name-col")


def _bind(host: str, port: int) -> socket.socket:
    if not 0 <= port <= 65535:
        raise InputError(f"--port must be 0-65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"--host {host!r} is not an address of this machine ({exc.strerror})") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror} (another server there? try --port 0)") \
            from None
    sock.listen(128)
    return sock


def serve(args: argparse.Namespace, steps: Steps) -> None:
    """Load the study of the command line and serve it until interrupted."""
    import uvicorn

    from beichen_geo.population import residents_for
    from beichen_geo.serve import Workbench, create_app
    from beichen_geo.serve.auth import is_loopback, new_token
    from beichen_geo.standards import load_standards

    _refuse_output_options(args)
    standards = pipeline.clinics_from_file(load_standards(args.standards), args)
    options.facility_files(args, list(standards.kinds))  # unknown kinds refused before any work
    local = is_loopback(args.host)
    sock = _bind(args.host, args.port)  # a busy port is said before the study is loaded
    study = pipeline.load(args, steps, standards)
    with steps("Residents per demand cell"):
        residents = residents_for(study, standards.population, population=args.population, pop_col=args.pop_col,
                                  name_col=args.name_col, units=args.units, join_col=args.join_col)
        units, _ = pipeline.groupings(args, study, residents)  # the rule and the check of every analysis
    for msg in residents.warnings:
        warnings.warn(msg, stacklevel=2)
    wb = Workbench(study, standards, residents, units=units, max_minutes=pipeline.largest_minutes(standards),
                   lang=args.lang, basemap=args.basemap)
    with steps("Today's coverage (S-H-01)"):
        wb.today(standards.clinics.kind, float(standards.clinics.walk_minutes.value))
    token = None if local else new_token()
    app = create_app(wb, token=token, loopback_only=local)
    port = sock.getsockname()[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    from beichen_geo.present.messages import ConsoleWords

    C = ConsoleWords(args.lang or "en")
    print(C("serve_url", url=url), flush=True)
    if token:
        print(C("serve_token"), flush=True)
    print(C("serve_stop"), file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
