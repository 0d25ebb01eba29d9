"""Features mapped twice: one object, one row.

OSM often holds the same facility twice: a node and a polygon (a hospital's building and a
point inside it), or two nodes a few metres apart (``railway=station`` and
``public_transport=station`` of one station). Counted twice they inflate counts, sums,
rankings and supply. :func:`merge_duplicates` merges, per kind:

- a point lying inside a polygon (or multipolygon) of the same kind, into that polygon, unless
  both carry different names (two practices in one medical centre stay two);
- features with the same name (case- and space-insensitive) whose geometries lie within
  ``within_m`` metres of each other (chains are merged whole).

The survivor of a group is its largest polygon if it has one, else its first row; an empty
name is filled from the other members. Everything merged is counted per kind.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .errors import InputError
from .projection import check_metric


def _norm_names(values: pd.Series) -> np.ndarray:
    """Lower-case names with runs of white space collapsed; '' for a missing name."""
    s = values.astype("string").fillna("").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    return s.to_numpy(dtype=object)


def _pairs_same_object(geoms: np.ndarray, names: np.ndarray, *, within_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) of one kind's features that are the same object."""
    tree = shapely.STRtree(geoms)
    tid = shapely.get_type_id(geoms)
    is_pt = tid == 0
    is_poly = np.isin(tid, [3, 6])
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    # a point inside a polygon of the same kind
    if is_pt.any() and is_poly.any():
        pts = np.flatnonzero(is_pt)
        a, b = tree.query(geoms[pts], predicate="within")
        a = pts[a]
        # two differently named things (two practices in one medical centre) stay two
        keep = is_poly[b] & ((names[a] == names[b]) | (names[a] == "") | (names[b] == ""))
        left.append(a[keep])
        right.append(b[keep])
    # the same name within `within_m`
    named = names != ""
    if named.any():
        idx = np.flatnonzero(named)
        a, b = tree.query(geoms[idx], predicate="dwithin", distance=within_m)
        a = idx[a]
        keep = (a < b) & (names[a] == names[b])
        left.append(a[keep])
        right.append(b[keep])
    if not left:
        return np.empty(0, dtype=int), np.empty(0, dtype=int)
    return np.concatenate(left), np.concatenate(right)


def merge_duplicates(
    gdf: gpd.GeoDataFrame, *, within_m: float = 100.0, kind_col: str = "kind", name_col: str = "name"
) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Merge features of one kind that are the same object.

    Parameters
    ----------
    gdf
        Features in a metric CRS, with a kind column and (optionally) a name column.
    within_m
        Largest distance between two features of the same name that are one object, metres.
    kind_col, name_col
        Column names of the kind and of the name.

    Returns
    -------
    tuple of (GeoDataFrame, dict)
        The features with duplicates merged (original index labels of the survivors,
        column ``merged_count`` = how many rows each survivor stands for), and the number
        of rows merged away per kind (kinds with none are left out).
    """
    check_metric(gdf.crs, what="features")
    if not np.isfinite(within_m) or within_m < 0:
        raise InputError(f"duplicate distance must be >= 0 metres, got {within_m!r}")
    if kind_col not in gdf:
        raise InputError(f"features have no {kind_col!r} column")
    out = gdf.copy()
    out["merged_count"] = 1
    if len(out) == 0:
        return out, {}
    names = _norm_names(out[name_col]) if name_col in out else np.full(len(out), "", dtype=object)
    drop = np.zeros(len(out), dtype=bool)
    merged: dict[str, int] = {}
    counts = out["merged_count"].to_numpy().copy()
    name_pos = out.columns.get_loc(name_col) if name_col in out else None
    kinds = out[kind_col].to_numpy()
    geoms_all = out.geometry.to_numpy()
    area = shapely.area(geoms_all)
    for kind in pd.unique(kinds):
        pos = np.flatnonzero(kinds == kind)
        if len(pos) < 2:
            continue
        i, j = _pairs_same_object(geoms_all[pos], names[pos], within_m=within_m)
        if len(i) == 0:
            continue
        graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(pos), len(pos)))
        n_groups, label = connected_components(graph, directed=False)
        if n_groups == len(pos):
            continue
        for g in np.flatnonzero(np.bincount(label) > 1):
            members = pos[label == g]
            survivor = members[np.argmax(area[members])] if area[members].max() > 0 else members[0]
            counts[survivor] = len(members)
            drop[members[members != survivor]] = True
            if name_pos is not None and names[survivor] == "":
                named = [m for m in members if names[m] != ""]
                if named:
                    out.iat[survivor, name_pos] = out.iat[named[0], name_pos]
        merged[str(kind)] = int(len(pos) - n_groups)
    out["merged_count"] = counts
    return out.loc[~drop], merged


def describe_merges(merged: dict[str, Any], *, within_m: float) -> str:
    """One line for the study log: what was merged."""
    parts = ", ".join(f"{n} {kind}" for kind, n in sorted(merged.items()))
    return (f"merged OSM features mapped twice (a point inside a polygon of the same kind, or the same name "
            f"within {within_m:g} m): {parts}")
