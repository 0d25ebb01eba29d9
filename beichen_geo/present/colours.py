"""Colours of the plan's maps: each facility kind keeps one colour in every map.

The meanings (covered, not covered, parks, proposed, buffer...) are :mod:`geo.maps.palette`'s;
here the kinds of the standards get their qualitative colours in the order of the standards
file, the park kind the colour of parks, and the TOD station kind a blue-purple that stands out
on the orange-brown walking-time bands around stations.
"""

from __future__ import annotations

from typing import Any

from geo.maps import palette


def kind_colors(standards: Any) -> dict[str, str]:
    """``{kind: colour}`` for every kind of ``standards`` (the same in every map)."""
    station = palette.brewer(palette.SCHEMES["kinds"], 8)[2]  # Dark2 #7570b3
    return palette.kind_colors(list(standards.kinds),
                               fixed={standards.parks.kind: palette.PARKS, standards.tod.station_kind: station})
