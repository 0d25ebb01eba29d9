"""Colours of the maps by meaning: one meaning, one colour, in every map (web and print).

Every colour here is a member of a ColorBrewer scheme read from ``branca`` (folium's own
dependency), never typed in by hand; :data:`MEANINGS` says which scheme, class count and
member each named colour is, so a print renderer or a report reads the same entries.

Meanings
--------
``covered`` (reached within the standard: blue, RdYlBu) and ``not_covered`` (red, RdYlBu,
drawn hatched) are the two ends of the diverging pass/fail scheme; ``proposed`` (new sites and
the land they newly cover: dark purple, PRGn) stays apart from both; ``parks`` (green, YlGn)
is never the colour of covered land; ``buffer`` (straight-line circles: dark grey, drawn as a
dashed outline), ``no_data`` and ``outline`` are greys.

Schemes
-------
- :func:`band_colors`: walking-time bands, nearest first, darkest first (YlOrBr).
- :func:`class_colors`: ordered classes of a value, low to high (YlGnBu).
- :func:`diverging_colors`: classes from failing to passing (RdYlBu, red to blue).
- :func:`kind_colors`: facility kinds (qualitative: Dark2, then the dark members of Paired),
  assigned in the order of a list the caller keeps fixed, so that a kind has the same colour
  in every map.

All of them are colour-blind safe in ColorBrewer's sense except the qualitative one (no
qualitative scheme has more than four colour-blind-safe members; markers also differ by
layer name and tooltip). :func:`cvd_distance` simulates deuteranopia, protanopia and
tritanopia (Machado, Oliveira & Fernandes 2009, severity 1) so that tests can check that the
named colours stay apart for colour-blind readers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from branca.utilities import color_brewer

from ..errors import InputError

__all__ = [
    "BUFFER",
    "COVERED",
    "MEANINGS",
    "NOT_COVERED",
    "NO_DATA",
    "OUTLINE",
    "PARKS",
    "PROPOSED",
    "SCHEMES",
    "Colour",
    "band_colors",
    "brewer",
    "check_color",
    "class_colors",
    "color",
    "cvd_distance",
    "diverging_colors",
    "kind_colors",
    "min_pairwise_distance",
    "qualitative",
    "ramp",
]

#: The ColorBrewer scheme of each family of colours.
SCHEMES: Final[Mapping[str, str]] = {
    "bands": "YlOrBr",
    "sequential": "YlGnBu",
    "diverging": "RdYlBu",
    "kinds": "Dark2",
    "kinds_more": "Paired",
}
_MAX_CLASSES: Final = {"YlOrBr": 9, "YlGnBu": 9, "RdYlBu": 11, "Dark2": 8, "Paired": 12}


def brewer(scheme: str, n: int) -> tuple[str, ...]:
    """The ``n``-class ColorBrewer ``scheme`` (lower-case hex), as branca ships it."""
    return tuple(c.lower() for c in color_brewer(scheme, n))


@dataclass(frozen=True)
class Colour:
    """A named colour: its hex value and the ColorBrewer member it is."""

    meaning: str
    scheme: str
    n_classes: int
    member: int

    @property
    def hex(self) -> str:
        return brewer(self.scheme, self.n_classes)[self.member]


#: Every named colour of the maps, by meaning.
MEANINGS: Final[Mapping[str, Colour]] = {
    c.meaning: c
    for c in (
        Colour("covered", "RdYlBu", 5, 4),  # blue: the passing end of the diverging scheme
        Colour("not_covered", "RdYlBu", 5, 0),  # red: the failing end
        Colour("proposed", "PRGn", 11, 0),  # dark purple: new sites, land they newly cover
        Colour("parks", "YlGn", 5, 2),  # green, and never the colour of covered land
        Colour("buffer", "Greys", 5, 3),  # straight-line circles (dashed outline)
        Colour("no_data", "Greys", 9, 3),
        Colour("outline", "Greys", 9, 7),  # one source's own band (outline); borders of classed areas
    )
}


def color(meaning: str) -> str:
    """The hex colour of a named meaning of :data:`MEANINGS`."""
    try:
        return MEANINGS[meaning].hex
    except KeyError:
        raise InputError(f"no colour named {meaning!r}; named colours: {', '.join(MEANINGS)}") from None


COVERED: Final = color("covered")
NOT_COVERED: Final = color("not_covered")
PROPOSED: Final = color("proposed")
PARKS: Final = color("parks")
BUFFER: Final = color("buffer")
NO_DATA: Final = color("no_data")
OUTLINE: Final = color("outline")

_COLOR_RE: Final = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$")


def check_color(value: str, *, what: str) -> str:
    """``value`` if it is a CSS hex colour (``#rgb``, ``#rrggbb``) or a colour name.

    Raises
    ------
    InputError
        Otherwise (the colour goes into style properties of the page).
    """
    if not isinstance(value, str) or not _COLOR_RE.match(value):
        raise InputError(
            f"{what}: colour {value!r} is not a CSS hex colour (#rgb, #rrggbb) or colour name"
        )
    return value


def _rgb(hex_color: str) -> tuple[int, int, int]:
    c = hex_color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def ramp(anchors: Sequence[str], n: int) -> list[str]:
    """``n`` colours evenly interpolated (in RGB) along hex ``anchors``."""
    if n <= 0:
        return []
    if n == 1:
        return [anchors[0]]
    rgb = np.array([_rgb(a) for a in anchors], dtype=float)
    pos = np.linspace(0.0, 1.0, len(anchors))
    out = []
    for t in np.linspace(0.0, 1.0, n):
        r, g, b = (np.interp(t, pos, rgb[:, k]) for k in range(3))
        out.append(f"#{round(float(r)):02x}{round(float(g)):02x}{round(float(b)):02x}")
    return out


def _classes(scheme: str, n: int) -> list[str]:
    """``n`` ordered classes of ``scheme``: its ``n``-class version, interpolated beyond."""
    top = _MAX_CLASSES.get(scheme, 9)
    if n <= 0:
        return []
    if n < 3:
        return _few(scheme, n)
    if n <= top:
        return list(brewer(scheme, n))
    return ramp(brewer(scheme, top), n)


def _few(scheme: str, n: int) -> list[str]:
    """One or two classes from the 3-class scheme: its middle, or its two ends."""
    three = brewer(scheme, 3)
    return [three[1]] if n == 1 else [three[0], three[2]]


def band_colors(n: int) -> list[str]:
    """Colours of ``n`` walking-time bands, nearest (darkest) first (YlOrBr).

    The two palest members of the scheme are left out (they vanish on a light basemap and
    as outlines): ``n`` bands take the darkest ``n`` members of the ``n + 2``-class scheme
    (interpolated along the 9-class one beyond 7 bands).
    """
    if n <= 0:
        return []
    k = max(3, n + 2)
    if k <= _MAX_CLASSES["YlOrBr"]:
        members = list(brewer("YlOrBr", k))[k - n:]
    else:
        members = ramp(brewer("YlOrBr", 9)[2:], n)
    return list(reversed(members))


def class_colors(n: int) -> list[str]:
    """Colours of ``n`` ordered classes, lowest first (YlGnBu; colour-blind safe)."""
    return _classes(SCHEMES["sequential"], n)


def diverging_colors(n: int) -> list[str]:
    """Colours of ``n`` classes from failing (red) to passing (blue) (RdYlBu).

    Two classes are :data:`NOT_COVERED` and :data:`COVERED` (fail, pass); three add the
    scheme's middle; four and more are the ``n``-class scheme.
    """
    five = brewer(SCHEMES["diverging"], 5)
    if n == 1:
        return [five[4]]
    if n == 2:
        return [five[0], five[4]]
    if n == 3:
        return [five[0], five[2], five[4]]
    return _classes(SCHEMES["diverging"], n)


def qualitative() -> list[str]:
    """The qualitative colours in order: Dark2's eight, then Paired's six dark members."""
    paired = brewer(SCHEMES["kinds_more"], 12)
    return [*brewer(SCHEMES["kinds"], 8), *paired[1::2]]


def kind_colors(kinds: Iterable[str], *, fixed: Mapping[str, str] | None = None) -> dict[str, str]:
    """A colour per kind, assigned in the order of ``kinds`` (repeating after 14 kinds).

    Give every kind the application knows, always in the same order (e.g. the order of its
    configuration), and a kind has the same colour in every map, whatever else a map shows.
    ``fixed`` pins kinds to a colour (e.g. parks to :data:`PARKS`); the others take the
    qualitative colours in turn, leaving out the pinned colours.
    """
    pinned = dict(fixed or {})
    for k, c in pinned.items():
        check_color(c, what=f"colour of kind {k!r}")
    taken = {c.lower() for c in pinned.values()}
    pool = [c for c in qualitative() if c not in taken]
    out: dict[str, str] = {}
    i = 0
    for k in kinds:
        if k in out:
            continue
        if k in pinned:
            out[k] = pinned[k]
        else:
            out[k] = pool[i % len(pool)]
            i += 1
    return out


# --------------------------------------------------------------------------- colour vision
#: Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
_CVD: Final[Mapping[str, np.ndarray]] = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
_RGB_TO_XYZ: Final = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE: Final = np.array([0.95047, 1.0, 1.08883])


def _linear(hex_color: str) -> np.ndarray:
    c = np.array(_rgb(hex_color), dtype=float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = (_RGB_TO_XYZ @ np.clip(linear_rgb, 0.0, 1.0)) / _WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def cvd_distance(a: str, b: str, *, vision: str = "normal") -> float:
    """CIE76 colour difference (ΔE*ab) of two hex colours as seen with ``vision``.

    ``vision`` is ``"normal"``, ``"deuteranopia"``, ``"protanopia"`` or ``"tritanopia"``.
    About 2.3 is a just-noticeable difference; map colours that must be told apart at a
    glance want 20 or more.
    """
    la, lb = _linear(a), _linear(b)
    if vision != "normal":
        try:
            m = _CVD[vision]
        except KeyError:
            raise InputError(f"unknown vision {vision!r}; choose normal, {', '.join(_CVD)}") from None
        la, lb = m @ la, m @ lb
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def min_pairwise_distance(colors: Iterable[str], *, vision: str = "normal") -> float:
    """The smallest :func:`cvd_distance` between any two of ``colors`` (inf for fewer than two)."""
    pairs = list(itertools.combinations(list(colors), 2))
    return min((cvd_distance(a, b, vision=vision) for a, b in pairs), default=float("inf"))
