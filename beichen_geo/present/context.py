"""The study's map context on every map: one call in each ``make_map``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..study import Study

__all__ = ["add_study_context"]


def add_study_context(m: MapBuilder, study: Study) -> MapBuilder:
    """Add ``study.context`` (streets, water, railways, place names) as the map's "Streets" base layer.

    Returns
    -------
    MapBuilder
        ``m``, to chain calls.
    """
    ctx = study.context
    return m.add_context(streets=ctx["streets"], water=ctx["water"], waterways=ctx["waterways"],
                         rail=ctx["rail"], labels=ctx["places"])
