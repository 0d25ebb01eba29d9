"""What a map is read by: water, railways and place names of an OSM extract.

The streets of a study come from its own walk network; this module reads the rest of the
offline map context from the same ``.osm.pbf`` (pyrosm) or ``.osm`` XML (osmnx) file, in one
pass through :func:`geo.osm.features.features_from_graph_source`:

- ``water``: areas of water (``natural=water``, ``landuse=reservoir|basin``,
  ``waterway=riverbank|dock``), as polygons;
- ``waterways``: rivers, streams and canals (``waterway=river|stream|canal``) and the sea
  shore (``natural=coastline``), as lines (a closed coastline is an island: its outline is kept,
  never filled);
- ``rail``: ``railway=rail|light_rail|subway|tram|narrow_gauge`` lines, with column ``railway``;
- ``places``: named ``place=city|town|suburb|quarter|neighbourhood|village`` nodes (or the
  point inside a place area), with ``name`` and ``place``.

Every layer is in EPSG:4326 with a ``name`` column. What was left out (unnamed places,
features of a kind that have the wrong geometry) is counted in :func:`context_counts`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..projection import WEB_CRS
from .features import TagFilter

__all__ = ["CONTEXT_KINDS", "CONTEXT_LAYERS", "PLACE_RANK", "context_counts", "read_context", "split_context"]

#: Tag filters of the context kinds (read in one pass).
CONTEXT_KINDS: Final[dict[str, TagFilter]] = {
    "water": {"natural": ["water"], "landuse": ["reservoir", "basin"], "waterway": ["riverbank", "dock"]},
    "waterways": {"waterway": ["river", "stream", "canal"], "natural": ["coastline"]},
    "rail": {"railway": ["rail", "light_rail", "subway", "tram", "narrow_gauge"]},
    "places": {"place": ["city", "town", "suburb", "quarter", "neighbourhood", "village"]},
}

#: Layers returned by :func:`read_context`, in drawing order.
CONTEXT_LAYERS: Final = ("water", "waterways", "rail", "places")

#: Importance of place values (lower = more important): labels are chosen in this order.
PLACE_RANK: Final[dict[str, int]] = {"city": 0, "town": 1, "suburb": 2, "village": 3, "quarter": 4,
                                     "neighbourhood": 5}

def _text(s: pd.Series | None, n: int) -> np.ndarray:
    """A tag column as text (missing or blank = None)."""
    if s is None:
        return np.full(n, None, dtype=object)
    return np.array([v.strip() if isinstance(v, str) and v.strip() else None for v in s], dtype=object)


def _outlines(geoms: np.ndarray) -> np.ndarray:
    """Polygon rows as their outlines (lines stay lines, points are dropped by the caller)."""
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    out = geoms.copy()
    if poly.any():
        out[poly] = shapely.boundary(geoms[poly])
    return out


def split_context(feats: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The context layers from features tagged with a ``kind`` of :data:`CONTEXT_KINDS`.

    Parameters
    ----------
    feats
        Output of :func:`geo.osm.features.features_from_graph_source` for
        :data:`CONTEXT_KINDS` (any CRS; kept).

    Returns
    -------
    dict
        ``{"water", "waterways", "rail", "places"}`` -> GeoDataFrame. ``attrs["dropped"]`` of
        the ``places`` layer counts unnamed places; of the others, rows of a geometry that
        does not fit the layer (e.g. a water node).
    """
    crs = feats.crs or WEB_CRS
    n = len(feats)
    kind = feats["kind"].to_numpy() if n else np.empty(0, dtype=object)
    geoms = np.asarray(feats.geometry.values) if n else np.empty(0, dtype=object)
    gtype = np.asarray(shapely.get_type_id(geoms)) if n else np.empty(0, dtype=int)
    names = _text(feats.get("name"), n)
    out: dict[str, gpd.GeoDataFrame] = {}

    def layer(sel: np.ndarray, g: np.ndarray, cols: dict[str, np.ndarray], dropped: int) -> gpd.GeoDataFrame:
        gdf = gpd.GeoDataFrame({k: v[sel] for k, v in cols.items()}, geometry=g[sel], crs=crs)
        gdf = gdf.loc[~(gdf.geometry.isna() | gdf.geometry.is_empty)].reset_index(drop=True)
        gdf.attrs["dropped"] = int(dropped)
        return gdf

    polygonal, linear = np.isin(gtype, (3, 6)), np.isin(gtype, (1, 2, 5))
    is_w = kind == "water"
    out["water"] = layer(is_w & polygonal, geoms, {"name": names}, int((is_w & ~polygonal).sum()))
    is_ww = kind == "waterways"
    lines = _outlines(geoms) if n else geoms
    natural = _text(feats.get("natural"), n)
    wtype = np.array([w if w is not None else nat for w, nat in zip(_text(feats.get("waterway"), n), natural,
                                                                    strict=True)], dtype=object)
    out["waterways"] = layer(is_ww & (linear | polygonal), lines, {"name": names, "waterway": wtype},
                             int((is_ww & ~(linear | polygonal)).sum()))
    is_r = kind == "rail"
    out["rail"] = layer(is_r & (linear | polygonal), lines,
                        {"name": names, "railway": _text(feats.get("railway"), n)},
                        int((is_r & ~(linear | polygonal)).sum()))
    is_p = kind == "places"
    pts = geoms.copy()
    if n and (is_p & (gtype != 0)).any():
        m = is_p & (gtype != 0)
        pts[m] = shapely.point_on_surface(geoms[m])
    named = np.array([v is not None for v in names], dtype=bool)
    out["places"] = layer(is_p & named, pts, {"name": names, "place": _text(feats.get("place"), n)},
                          int((is_p & ~named).sum()))
    return out


def read_context(path: str | os.PathLike[str], *,
                 bbox: tuple[float, float, float, float] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Water, waterways, railways and place names of an OSM extract, in EPSG:4326.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm``/``.xml`` file.
    bbox
        ``(west, south, east, north)`` in degrees: read only what lies there (features
        crossing it are kept whole).

    Returns
    -------
    dict
        See :func:`split_context`.

    Raises
    ------
    InputError
        If the file cannot be read.
    """
    import warnings

    from .features import features_from_graph_source

    kw: dict[str, Any] = {"bbox": bbox} if str(path).lower().endswith(".pbf") and bbox is not None else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        feats = features_from_graph_source(path, CONTEXT_KINDS, **kw)
    # pyrosm warns of relations cut by the box (a lake half outside): what is inside is drawn
    cut = sum(1 for w in caught if "incomplete geometry" in str(w.message))
    for w in caught:
        if "incomplete geometry" not in str(w.message):
            warnings.warn(w.message, w.category, stacklevel=2)
    if bbox is not None and len(feats) and not kw:  # XML: read whole, keep what touches the box
        feats = feats.loc[feats.intersects(shapely.box(*bbox))]
    out = split_context(feats)
    if cut:
        out["water"].attrs["relations_cut_by_extent"] = cut
    return out


def context_counts(ctx: Mapping[str, gpd.GeoDataFrame]) -> dict[str, int]:
    """``{layer: rows}`` plus ``{layer}_dropped`` for the rows left out (see :func:`split_context`)."""
    out: dict[str, int] = {}
    for name, gdf in ctx.items():
        out[name] = int(len(gdf))
        dropped = int(gdf.attrs.get("dropped", 0))
        if dropped:
            out[f"{name}_dropped"] = dropped
        if gdf.attrs.get("relations_cut_by_extent"):
            out["relations_cut_by_extent"] = int(gdf.attrs["relations_cut_by_extent"])
    return out
