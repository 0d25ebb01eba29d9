"""Colours of the maps, in one place: palettes, ramps and the check of a caller's colour.

Ramps are anchored on ColorBrewer schemes read from ``branca`` (folium's own dependency),
not typed in by hand; :func:`ramp` interpolates ``n`` colours between a scheme's anchors in
RGB. Named single colours are ColorBrewer members too (the scheme is given beside each).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
from branca.utilities import color_brewer

from ..errors import InputError

__all__ = [
    "CHOROPLETH_OUTLINE",
    "COVERED",
    "DEFAULT_POINT",
    "DEFAULT_POLYGON",
    "KIND_COLORS",
    "NOT_COVERED",
    "NO_DATA",
    "band_colors",
    "check_color",
    "class_colors",
    "kind_color",
    "ramp",
]


def _brewer(scheme: str, n: int, picks: Sequence[int] | None = None) -> tuple[str, ...]:
    """The ``n``-class ColorBrewer ``scheme`` (members ``picks`` only, in that order)."""
    colors = [c.lower() for c in color_brewer(scheme, n)]
    return tuple(colors) if picks is None else tuple(colors[i] for i in picks)


#: Isochrone bands, near to far: green through yellow to orange (RdYlGn, 11 classes,
#: members 9, 7, 4, 2). Note: ColorBrewer does not list RdYlGn as colour-blind safe.
BAND_ANCHORS: Final = _brewer("RdYlGn", 11, picks=(9, 7, 4, 2))
#: Choropleth classes, low to high (YlGnBu, 5 classes; colour-blind safe).
SEQ_ANCHORS: Final = _brewer("YlGnBu", 5)
#: Facility kinds (qualitative; Tableau 10, matplotlib's ``tab10``: no ColorBrewer
#: qualitative scheme has 10 colour-blind-safe members, and a change would recolour maps).
KIND_COLORS: Final = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
#: Areas with no value (Greys, 9 classes, member 3).
NO_DATA: Final = "#bdbdbd"
#: Covered land (RdYlGn, 11 classes, member 9: the nearest band's green).
COVERED: Final = "#1a9850"
#: Land not covered (RdYlBu, 5 classes, member 0).
NOT_COVERED: Final = "#d7191c"
#: Default fill of a polygon layer (PuBu, 5 classes, member 3).
DEFAULT_POLYGON: Final = "#2b8cbe"
#: Outline of choropleth areas (dark grey).
CHOROPLETH_OUTLINE: Final = "#555555"
#: Marker colour of a layer that sets none (Leaflet's blue; every point layer sets one).
DEFAULT_POINT: Final = "#3388ff"

_COLOR_RE: Final = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$")


def check_color(color: str, *, what: str) -> str:
    """``color`` if it is a CSS hex colour (``#rgb``, ``#rrggbb``) or a colour name.

    Raises
    ------
    InputError
        Otherwise (the colour goes into style properties of the page).
    """
    if not isinstance(color, str) or not _COLOR_RE.match(color):
        raise InputError(
            f"{what}: colour {color!r} is not a CSS hex colour (#rgb, #rrggbb) or colour name"
        )
    return color


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def ramp(anchors: Sequence[str], n: int) -> list[str]:
    """``n`` colours evenly interpolated (in RGB) along hex ``anchors``."""
    if n <= 0:
        return []
    if n == 1:
        return [anchors[0]]
    rgb = np.array([_hex_to_rgb(a) for a in anchors], dtype=float)
    pos = np.linspace(0.0, 1.0, len(anchors))
    t = np.linspace(0.0, 1.0, n)
    out = []
    for ti in t:
        r, g, b = (np.interp(ti, pos, rgb[:, k]) for k in range(3))
        out.append(f"#{round(float(r)):02x}{round(float(g)):02x}{round(float(b)):02x}")
    return out


def band_colors(n: int) -> list[str]:
    """Default colours of ``n`` isochrone bands, shortest first."""
    return ramp(BAND_ANCHORS, n)


def class_colors(n: int) -> list[str]:
    """Default colours of ``n`` choropleth classes, lowest first."""
    return ramp(SEQ_ANCHORS, n)


def kind_color(i: int) -> str:
    """Default colour of the ``i``-th facility kind (in sorted order); the palette repeats."""
    return KIND_COLORS[i % len(KIND_COLORS)]
