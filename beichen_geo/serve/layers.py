"""The page's background layers in WGS84: the study area, its units, its streets.

These are drawn once when the page loads (the demand cells, the facilities and the isochrones
come from the scenario routes). Geometry is measured and simplified in the study's metric CRS
and only then turned into longitude/latitude (EPSG:4326) for Leaflet; coordinates are rounded
to 6 decimals (about 0.1 m), which is finer than any simplification used here.

The streets are the maps' offline context layer, built by the very call every analysis map
makes (:func:`beichen_geo.present.context.add_study_context`: the study's walk network, water,
railways and place names) and encoded by :func:`geo.maps.context.page_data`; the page draws
them with the maps' own ``context.js`` (served from the ``geo`` package).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from geo.projection import WEB_CRS

if TYPE_CHECKING:
    from ..study import Study
    from ..units import Grouping

#: Decimals of the WGS84 coordinates sent to the page (1e-6 degree is about 0.1 m).
DECIMALS = 6
#: Simplification of outlines (units, study area), metres.
OUTLINE_TOL_M = 1.0
#: The maps' context scripts and styles (``geo`` package data), served to the page as they are.
CONTEXT_FILES = ("context.js", "context.css")


def _geojson(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """``gdf`` (any CRS) as a GeoJSON FeatureCollection in WGS84, coordinates rounded to :data:`DECIMALS`."""
    g = gdf.to_crs(WEB_CRS)
    g = g.set_geometry(shapely.set_precision(np.asarray(g.geometry.values), 10.0 ** -DECIMALS))
    return json.loads(g.to_json(na="null", drop_id=True))


def area_geojson(study: Study) -> dict[str, Any]:
    """The study area's outline (one feature with ``area_km2``)."""
    geom = shapely.simplify(study.area, OUTLINE_TOL_M, preserve_topology=True)
    return _geojson(gpd.GeoDataFrame({"area_km2": [round(study.area.area / 1e6, 3)]}, geometry=[geom],
                                     crs=study.crs))


def units_geojson(units: Grouping | None, study: Study) -> dict[str, Any]:
    """The ``--units`` polygons: ``unit`` (its position, as in the figures' ``units`` rows) and ``unit_name``.

    An empty collection when the study has no units.
    """
    if units is None:
        return {"type": "FeatureCollection", "features": []}
    gdf = units.gdf
    geoms = shapely.simplify(np.asarray(gdf.geometry.values), OUTLINE_TOL_M, preserve_topology=True)
    return _geojson(gpd.GeoDataFrame({"unit": np.arange(len(gdf)), "unit_name": gdf["unit_name"].astype(str)},
                                     geometry=geoms, crs=study.crs))


def tile_layers(basemap: str, *, lang: str) -> dict[str, Any]:
    """The optional tile background of the page for ``--basemap`` (never shown until the user picks it).

    Returns
    -------
    dict
        ``layers``: ``[{"name", "tiles": [[url, Leaflet options], ...]}]`` (from
        :func:`geo.maps.basemaps.basemap_layers`, without its "no basemap" entry); ``note``: why
        there is none, or None. Gaode's tiles are drawn in GCJ-02 and would sit up to some hundred
        metres off the WGS84 overlays in China, so the workbench does not offer them; Tianditu's
        are offered when ``TIANDITU_KEY`` holds a key.
    """
    from geo.errors import InputError
    from geo.maps.basemaps import basemap_layers, resolve_tianditu_key

    if basemap == "none":
        return {"layers": [], "note": None}
    if basemap == "gaode":
        return {"layers": [], "note": "gaode"}
    key = None
    if basemap == "tianditu":
        try:
            key = resolve_tianditu_key(None)
        except InputError:
            return {"layers": [], "note": "tianditu_key"}
    layers = basemap_layers(basemap, lang=lang, tianditu=key)
    return {"layers": [b for b in layers if b["tiles"]], "note": None}


def context_data(study: Study, *, lang: str) -> dict[str, Any]:
    """The study's street context as the maps' page code reads it (``bgContext(map, data)`` of ``context.js``).

    Returns
    -------
    dict
        ``context``: styles, the delta-encoded classes (``major``, ``street``, ``minor``,
        ``water``, ``waterways``, ``rail``), place and road names
        (:func:`geo.maps.context.page_data`, WGS84, clipped to the study area grown by 20%);
        ``attribution``; ``found``: what the study's context holds (``study.log["map_context"]``:
        counts, and a note when water, railways and names could not be read).
    """
    from geo.maps import MapBuilder
    from geo.maps.context import page_data

    from ..present.context import add_study_context

    mb = add_study_context(MapBuilder(title="workbench", basemap="none", lang=lang, coord_decimals=DECIMALS), study)
    ctx = mb.context
    assert ctx is not None
    w, so, e, n = (float(v) for v in gpd.GeoSeries([study.area], crs=study.crs).to_crs(WEB_CRS).total_bounds)
    return {"context": page_data(ctx, (w, so, e, n), lang=lang, decimals=DECIMALS, gcj02=False),
            "attribution": ctx.attribution, "found": study.log.get("map_context")}


def context_file(name: str) -> Path:
    """Path of one of :data:`CONTEXT_FILES` in the ``geo.maps`` package."""
    import geo.maps

    if name not in CONTEXT_FILES:
        raise KeyError(name)
    return Path(geo.maps.__file__).parent / name
