"""Command-line values turned into the arguments of the API (files, bands, weights, CRS).

Each function raises :class:`~geo.errors.InputError` naming the flag when a value is wrong.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from geo.errors import InputError

BEICHEN_EPSG = 4548  # CGCS2000 / 3-degree Gauss-Kruger CM 117E


def _per_file(values: list[str], n: int, flag: str) -> list[str | None]:
    """A repeatable per-file option: given never, once (for every file) or once per file."""
    if len(values) not in (0, 1, n):
        raise InputError(f"give {flag} once (for every --facilities file) or once per file ({n} files, {len(values)} "
                         f"{flag})")
    given: list[str | None] = list(values)
    return given * n if len(given) == 1 else (given or [None] * n)


def _sheet(value: str | None) -> str | int | None:
    """--sheet NAME, or a sheet number counted from 1 (as :func:`geo.io.read_points` takes it)."""
    return int(value) if value is not None and value.strip().isdigit() else value


def facility_files(args: argparse.Namespace,
                   kinds_known: Sequence[str] = ()) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(path, kind, coords, read options) per --facilities file, every kind checked against the standards."""
    files, kinds, coords = args.facilities, args.kind, args.coords
    if kinds_known:
        unknown = sorted({k for k in kinds if k not in kinds_known})
        if unknown:
            raise InputError(f"unknown --kind {', '.join(map(repr, unknown))}; the standards know: "
                             f"{', '.join(kinds_known)}")
    if getattr(args, "kind_is_subject", False):
        # `gaps --kind K`: K is the kind analysed; every --facilities file holds existing K
        if len(kinds) != 1:
            raise InputError("gaps needs exactly one --kind (the facility kind to analyse, e.g. --kind clinic)")
        kinds = kinds * len(files)
    per_file = {"--layer": args.layer, "--sheet": args.sheet, "--lon-col": args.lon_col, "--lat-col": args.lat_col}
    if not files:
        given = [flag for flag, v in per_file.items() if v]
        if kinds or coords or given:
            raise InputError(f"{'/'.join(['--kind', '--coords', *given])} need a --facilities FILE to apply to")
        return []
    if len(kinds) != len(files):
        raise InputError(f"give one --kind per --facilities file ({len(files)} files, {len(kinds)} kinds)")
    if len(coords) not in (0, 1, len(files)):
        raise InputError("give --coords once (for every file) or once per --facilities file")
    if len(coords) <= 1:
        coords = (coords or ["wgs84"]) * len(files)
    layer, sheet, lon, lat = (_per_file(v, len(files), flag) for flag, v in per_file.items())
    opts = [
        {k: v for k, v in {"layer": la, "sheet": _sheet(sh), "lon_col": lo, "lat_col": lt}.items() if v is not None}
        for la, sh, lo, lt in zip(layer, sheet, lon, lat, strict=True)
    ]
    return list(zip(files, kinds, coords, opts, strict=True))


def boundary(args: argparse.Namespace) -> tuple[Any, Any]:
    """(boundary, crs) with the built-in 'beichen' area (packaged, offline) resolved."""
    if args.boundary and args.boundary.lower() == "beichen":
        from beichen_geo.data import beichen_boundary

        return beichen_boundary(), args.crs or BEICHEN_EPSG
    return args.boundary, args.crs


def crs(value: Any) -> Any:
    """--crs 4548 as the EPSG number, anything else (a WKT, "EPSG:32650") as given; None stays None."""
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def bands(text: str) -> list[float]:
    """--bands ``5,10,15`` as minutes, through the one band parser of the analyses."""
    from beichen_geo.analyses.bands import parse_bands

    try:
        return list(parse_bands(text))
    except InputError as exc:
        raise InputError(f"--{exc}") from None


def weights(text: str | None) -> dict[str, float] | None:
    """--weights ``residents=0.3,services_total=0.2`` as a dict; None when not given."""
    if not text:
        return None
    out = {}
    for part in text.split(","):
        key, sep, val = part.partition("=")
        try:
            out[key.strip()] = float(val)
        except ValueError:
            raise InputError(f"--weights takes name=number pairs, e.g. residents=0.3; got {part!r}") from None
        if not sep:
            raise InputError(f"--weights takes name=number pairs, e.g. residents=0.3; got {part!r}")
    return out


def whole_number(text: str, flag: str) -> int:
    """A whole number given to ``flag`` (which also takes 'all', checked by the caller)."""
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{flag} must be a whole number or 'all', got {text!r}") from None
