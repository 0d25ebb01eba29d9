"""The map context of a study: its streets, and the water, railways and place names around it.

Every map of an analysis draws this under its layers (:func:`beichen_geo.present.context.add_study_context`),
so that it reads with no tiles. The streets are the study's own walk network (its edges carry
``highway`` and ``name``); water, waterways, railways and place names come from the same OSM
file (:func:`geo.osm.context.read_context`, one quick pass, within the network's extent). A
study downloaded with ``--place`` or built from frames has no file to read them from: its maps
draw the streets only, and the log says so.

What was found is counted in ``study.log["map_context"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.osm.context import CONTEXT_LAYERS, PLACE_RANK, context_counts, read_context
from geo.projection import WEB_CRS

if TYPE_CHECKING:
    from .study import Study

__all__ = ["study_context"]

#: Why a study has no water, railways or place names.
NO_FILE_NOTE = ("water, railways and place names are read from an OSM file only (not downloaded for --place); "
                "the maps draw the streets of the network")


def _empty(crs: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": pd.Series(dtype=object)}, geometry=[], crs=crs)


def study_context(study: Study) -> dict[str, gpd.GeoDataFrame]:
    """The context layers of ``study`` in its CRS, with their counts written to ``study.log``.

    Returns
    -------
    dict
        ``streets`` (``highway``, ``name``), ``water``, ``waterways`` (``waterway``), ``rail``
        (``railway``), ``places`` (``name``, ``place``, ``rank``: lower = more important).
    """
    edges = study.net.edges
    streets = gpd.GeoDataFrame({"highway": edges["highway"].to_numpy(), "name": edges["name"].to_numpy()},
                               geometry=np.asarray(edges.geometry.values), crs=study.crs)
    out: dict[str, gpd.GeoDataFrame] = {"streets": streets}
    info: dict[str, object] = {"streets": int(len(streets))}
    if study.osm_file is None:
        for name in CONTEXT_LAYERS:
            out[name] = _empty(study.crs)
        info["note"] = NO_FILE_NOTE
    else:
        box = gpd.GeoSeries([shapely.box(*edges.total_bounds)], crs=study.crs).to_crs(WEB_CRS)
        w, s, e, n = (float(v) for v in box.total_bounds)
        ctx = read_context(study.osm_file, bbox=(w, s, e, n))
        info.update(context_counts(ctx))
        for name, gdf in ctx.items():
            out[name] = gdf.to_crs(study.crs) if len(gdf) else _empty(study.crs)
        places = out["places"]
        if len(places):
            rank = places["place"].map(lambda v: PLACE_RANK.get(str(v), len(PLACE_RANK))).to_numpy()
            out["places"] = places.assign(rank=rank)
    study.log["map_context"] = info
    return out
