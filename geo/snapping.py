"""Snap points (facilities, homes) to the nearest street edge.

A snapped point sits on one edge at ``offset_m`` metres from the edge's ``u`` node, at a
straight-line ``access_m`` from the street. Both count in travel times: a resident walks
``access_m`` to the street, then along the edge to one of its ends. Points farther than
``max_snap_m`` (default 150 m) from every edge are *off-network*: they keep their row,
get no travel time, are counted, and a warning names them. Nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import GeoWarning, InputError
from .network import StreetNetwork

#: Default largest straight-line distance from a point to the street network, metres.
DEFAULT_MAX_SNAP_M = 150.0


class OffNetworkWarning(UserWarning):
    """Some points are farther than the snap distance from every street."""


@dataclasses.dataclass(frozen=True)
class SnappedPoints:
    """Points placed on network edges (arrays aligned with ``index``).

    Attributes
    ----------
    index
        Index of the input GeoDataFrame, in input order.
    edge
        Positional edge of :attr:`StreetNetwork.edges`, -1 when off-network.
    offset_m
        Distance along the edge from its ``u`` node to the snapped position, metres.
    access_m
        Straight-line distance from the point to the edge, metres.
    max_snap_m
        The snap distance used, metres.
    """

    index: pd.Index
    edge: np.ndarray
    offset_m: np.ndarray
    access_m: np.ndarray
    max_snap_m: float

    @property
    def on_network(self) -> np.ndarray:
        """Boolean mask of points within ``max_snap_m`` of a street."""
        return self.edge >= 0

    @property
    def n_off_network(self) -> int:
        """Number of points farther than ``max_snap_m`` from every street."""
        return int((self.edge < 0).sum())

    def __len__(self) -> int:
        return len(self.edge)

    def subset(self, mask: np.ndarray) -> SnappedPoints:
        """The points where ``mask`` is True (positional boolean or integer array)."""
        return dataclasses.replace(
            self,
            index=self.index[mask],
            edge=self.edge[mask],
            offset_m=self.offset_m[mask],
            access_m=self.access_m[mask],
        )


def snap_points(
    net: StreetNetwork,
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    what: str = "points",
    warn: bool = True,
) -> SnappedPoints:
    """Snap points to their nearest network edge.

    Parameters
    ----------
    net
        The street network (metric CRS).
    points
        Point geometries (other geometry types use their representative point) with a CRS;
        reprojected to the network CRS when it differs.
    max_snap_m
        Largest straight-line distance to a street, metres. Points farther away are
        reported as off-network (``edge == -1``) with an :class:`OffNetworkWarning`.
    what
        Name of the layer in messages, e.g. ``"clinics"``.
    warn
        Emit the off-network warning (the count is always on the result).

    Notes
    -----
    This function is vectorised (an STRtree nearest query): pass all points in one call.
    """
    if not np.isfinite(max_snap_m) or max_snap_m < 0:
        raise InputError(f"max snap distance must be >= 0 metres, got {max_snap_m!r}")
    if points.crs is None:
        raise InputError(f"{what}: no CRS; set one (EPSG:4326 for lon/lat)")
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs != net.crs:
        geoms = geoms.to_crs(net.crs)
    g = geoms.to_numpy()
    n = len(g)
    edge = np.full(n, -1, dtype=np.int64)
    offset = np.full(n, np.nan)
    access = np.full(n, np.inf)
    valid = ~(shapely.is_missing(g) | shapely.is_empty(g))
    if valid.any():
        pts = g[valid]
        not_point = shapely.get_type_id(pts) != 0
        if not_point.any():
            pts = pts.copy()
            pts[not_point] = shapely.point_on_surface(pts[not_point])
        lines = net.edges.geometry.to_numpy()
        (qi, ei), dist = net.edge_tree.query_nearest(pts, return_distance=True, all_matches=False)
        sel = np.flatnonzero(valid)[qi]
        access[sel] = dist
        near = dist <= max_snap_m
        edge[sel[near]] = ei[near]
        offset[sel[near]] = shapely.line_locate_point(lines[ei[near]], pts[qi[near]])
    snapped = SnappedPoints(
        index=points.index, edge=edge, offset_m=offset, access_m=np.where(edge >= 0, access, np.nan),
        max_snap_m=float(max_snap_m),
    )
    if warn and snapped.n_off_network:
        off = np.flatnonzero(edge < 0)
        warnings.warn(off_network_message(points.index, off, access[off], n=n, what=what, max_snap_m=max_snap_m),
                      OffNetworkWarning, stacklevel=2)
    return snapped


def off_network_message(index: pd.Index, off: np.ndarray, far_m: np.ndarray, *, n: int, what: str,
                        max_snap_m: float) -> str:
    """The off-network diagnostic of :func:`snap_points` as text.

    Parameters
    ----------
    index
        Index of the snapped points (examples are named by it).
    off
        Positions of the off-network points.
    far_m
        Their distance to the nearest street, metres (``inf`` = no geometry).
    n
        Number of points snapped.
    """
    examples = ", ".join(
        f"{index[i]!r} ({'no geometry' if not np.isfinite(d) else f'{d:,.0f} m'})"
        for i, d in zip(off[:5], far_m[:5], strict=True)
    )
    return (
        f"{what}: {len(off)} of {n} points are more than {max_snap_m:g} m from the street "
        f"network and are reported as off-network (e.g. {examples}). Check their "
        "coordinates (GCJ-02/BD-09 given as WGS84?) or raise the snap distance."
    )


class DatumShiftWarning(GeoWarning):
    """Points given as WGS84 sit where GCJ-02 (or BD-09) points would: they look shifted.

    Its ``option`` is ``"coords"``, the argument that declares the points' coordinate system.
    """


def datum_shift_check(
    net: StreetNetwork, points_wgs84: gpd.GeoDataFrame | gpd.GeoSeries, *, what: str = "points"
) -> dict | None:
    """Do points given as WGS84 look like GCJ-02 / BD-09 coordinates against the network?

    Chinese web maps (Gaode, Tencent: GCJ-02; Baidu: BD-09) shift coordinates by ~100-700 m.
    A list copied from them and declared WGS84 lands systematically off the streets. This
    compares the median distance to the nearest street as given with the median after
    undoing each shift; a large improvement is reported. It needs points that really sit at
    streets (within a few tens of metres) in a network sparser than the shift: in a dense grid
    a shifted point still lands near some street and cannot be told apart.

    Returns
    -------
    dict or None
        ``{"likely": "gcj02"|"bd09", "median_m_as_given": ..., "median_m_if_converted": ...}``
        when a shift is likely (and a :class:`DatumShiftWarning` is emitted), else None.
    """
    from .coords import convert_geoseries, in_china

    gs = points_wgs84.geometry if isinstance(points_wgs84, gpd.GeoDataFrame) else points_wgs84
    gs = gs[~(gs.is_empty | gs.isna())]
    if len(gs) < 3:
        return None
    gs = gs.to_crs(4326)
    pts = shapely.point_on_surface(gs.to_numpy())
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    if not np.asarray(in_china(x, y)).mean() > 0.5:
        return None
    tree = net.edge_tree

    def median_gap(series: gpd.GeoSeries) -> float:
        g = series.to_crs(net.crs).to_numpy()
        _, d = tree.query_nearest(shapely.point_on_surface(g), return_distance=True, all_matches=False)
        return float(np.median(d))

    given = median_gap(gpd.GeoSeries(pts, crs=4326))
    best = None
    for src in ("gcj02", "bd09"):
        fixed = convert_geoseries(gpd.GeoSeries(pts, crs=4326), src=src, dst="wgs84")
        m = median_gap(fixed)
        if given > 20.0 and m < 0.25 * given and (best is None or m < best[1]):
            best = (src, m)
    if best is None:
        return None
    out = {"likely": best[0], "median_m_as_given": round(given, 1), "median_m_if_converted": round(best[1], 1)}
    warnings.warn(DatumShiftWarning(datum_shift_message(out, what=what), option="coords"), stacklevel=2)
    return out


def datum_shift_message(shift: dict, *, what: str = "points") -> str:
    """The words of a suspected datum shift, from the dict :func:`datum_shift_check` returns.

    The warning and a caller's log use this one text (medians in whole metres).
    """
    sys_ = str(shift["likely"]).upper()
    given, conv = shift["median_m_as_given"], shift["median_m_if_converted"]
    return (
        f"{what}: the points look like {sys_} coordinates declared as WGS84: their median "
        f"distance to the nearest street is {given:,.0f} m as given but {conv:,.0f} m if read as "
        f"{sys_}. Lists copied from Gaode/Tencent are GCJ-02 and from Baidu BD-09: pass "
        f"coords='{shift['likely']}'."
    )
