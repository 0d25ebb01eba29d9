"""Facilities snapped through their access points: entrances, outlines or the point itself.

Every analysis reaches a facility the same way (:func:`snap_access`): a park or a campus
from its mapped entrances, else from points along its outline, never from one interior point
that may lie far from any street. :class:`AccessSnap` keeps which facility each access point
belongs to, so that minutes are the best over a facility's access points and counts stay one
per facility.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import shapely

from .engine import Catchments
from .errors import InputError
from .network import StreetNetwork
from .projection import check_metric
from .snapping import DEFAULT_MAX_SNAP_M, SnappedPoints, snap_points

#: Outline spacing of polygon facilities without mapped entrances, metres.
DEFAULT_SPACING_M = 25.0


@dataclasses.dataclass(frozen=True)
class AccessSnap:
    """Access points of ``n_features`` facilities, snapped to the network.

    Attributes
    ----------
    points
        The access points snapped (one per point).
    feature
        Position (0 .. n_features - 1, in the facilities' row order) of each point's facility.
    n_features
        Number of facilities.
    access
        ``"point"``, ``"entrance"`` or ``"outline"`` per access point.
    """

    points: SnappedPoints
    feature: np.ndarray
    n_features: int
    access: np.ndarray

    @property
    def features_on_network(self) -> np.ndarray:
        """Per facility: does any of its access points reach the network."""
        on = np.zeros(self.n_features, dtype=bool)
        on[self.feature[self.points.on_network]] = True
        return on

    @property
    def n_off_network(self) -> int:
        """Facilities none of whose access points is within the snap distance of a street."""
        return int((~self.features_on_network).sum())

    def counts(self) -> dict[str, int]:
        """Facilities by how they are reached: entrances, outline points, or as points."""
        first = np.full(self.n_features, "", dtype=object)
        first[self.feature[::-1]] = self.access[::-1]
        return {k: int((first == k).sum()) for k in ("point", "entrance", "outline")}


def access_points(
    gdf: gpd.GeoDataFrame,
    *,
    spacing_m: float = 50.0,
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    entrance_within_m: float = 5.0,
) -> gpd.GeoDataFrame:
    """Points through which a facility is reached.

    A point facility is its own access point. A polygon (park, school, hospital, campus) is
    reached through its mapped entrances (``entrance=*``, gates) lying on or within
    ``entrance_within_m`` of its outline, or inside it; a polygon without mapped entrances
    through points every ``spacing_m`` metres along its outline plus a point inside (tiny
    features). Lines use points along the line.

    Parameters
    ----------
    gdf
        Features in a metric CRS.
    spacing_m
        Spacing of the points along outlines, metres.
    entrances
        Entrance points (any CRS; reprojected), e.g. OSM nodes tagged ``entrance=*`` or
        ``barrier=gate``. None = outline points for every polygon.
    entrance_within_m
        Largest distance from an entrance to its polygon, metres.

    Returns
    -------
    GeoDataFrame
        One row per access point with ``feature`` = the index label of its feature,
        ``access_via`` = ``"point"``, ``"entrance"`` or ``"outline"``, and the feature's other
        columns. Vectorised.
    """
    check_metric(gdf.crs, what="features")
    if not np.isfinite(spacing_m) or spacing_m <= 0:
        raise InputError(f"access point spacing must be > 0 metres, got {spacing_m!r}")
    geoms = gdf.geometry.to_numpy()
    tid = shapely.get_type_id(geoms)
    is_pt = tid == 0
    is_poly = np.isin(tid, [3, 6])
    pos = np.arange(len(gdf))
    rows, pts, how = [pos[is_pt]], [geoms[is_pt]], [np.full(int(is_pt.sum()), "point", dtype=object)]
    with_gate = np.zeros(len(gdf), dtype=bool)
    if entrances is not None and len(entrances) and is_poly.any():
        ent = (entrances.to_crs(gdf.crs).geometry.to_numpy() if entrances.crs is not None
               else entrances.geometry.to_numpy())
        ent = ent[shapely.get_type_id(ent) == 0]
        poly_pos = pos[is_poly]
        e_i, p_i = shapely.STRtree(geoms[poly_pos]).query(ent, predicate="dwithin", distance=entrance_within_m)
        if len(e_i):
            rows.append(poly_pos[p_i])
            pts.append(ent[e_i])
            how.append(np.full(len(e_i), "entrance", dtype=object))
            with_gate[poly_pos[p_i]] = True
    other = pos[~is_pt & ~with_gate]
    if len(other):
        outline = np.where(is_poly[other], shapely.boundary(geoms[other]), geoms[other])
        lengths = shapely.length(outline)
        counts = np.maximum(1, np.ceil(lengths / spacing_m).astype(int))
        frac = np.concatenate([np.arange(c) / c for c in counts])
        rows.append(np.repeat(other, counts))
        pts.append(shapely.line_interpolate_point(np.repeat(outline, counts), frac, normalized=True))
        how.append(np.full(int(counts.sum()), "outline", dtype=object))
        # multi-part outlines: interpolation walks the parts in order, which still
        # spreads points over all of them; a representative point covers tiny features
        rows.append(other)
        pts.append(shapely.point_on_surface(geoms[other]))
        how.append(np.full(len(other), "outline", dtype=object))
    r = np.concatenate(rows)
    out = gdf.iloc[r].copy()
    out.insert(0, "feature", gdf.index.to_numpy()[r])
    out.insert(1, "access_via", np.concatenate(how))
    out = out.set_geometry(np.concatenate(pts)).reset_index(drop=True)
    out = out.set_crs(gdf.crs, allow_override=True)
    return out


def snap_access(
    net: StreetNetwork,
    facilities: gpd.GeoDataFrame,
    *,
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    spacing_m: float = DEFAULT_SPACING_M,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> AccessSnap:
    """Snap facilities through their access points (see :func:`access_points`).

    Parameters
    ----------
    net
        Street network (metric CRS).
    facilities
        Facilities of any geometry type; reprojected to the network CRS.
    entrances
        Entrance points (e.g. OSM ``entrance=*``), or None.
    spacing_m
        Outline spacing for polygons without mapped entrances, metres.
    max_snap_m
        Largest straight-line distance to a street, metres.
    """
    fac = facilities.to_crs(net.crs).reset_index(drop=True)
    pts = access_points(fac, spacing_m=spacing_m, entrances=entrances)
    snapped = snap_points(net, pts, max_snap_m=max_snap_m, warn=False)
    return AccessSnap(points=snapped, feature=pts["feature"].to_numpy(dtype=np.int64), n_features=len(fac),
                      access=pts["access_via"].to_numpy())


def nearest_per_feature(source: np.ndarray, feature: np.ndarray, minutes: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, feature) pairs of a catchment, each kept once with its least minutes.

    ``source``/``feature``/``minutes`` are aligned arrays of (origin, facility, minutes) over
    access points; the result has one row per distinct (origin, facility).
    """
    if len(source) == 0:
        return source, feature, minutes
    key = source.astype(np.int64) * (int(feature.max()) + 1) + feature.astype(np.int64)
    order = np.lexsort((minutes, key))
    key, first = key[order], np.ones(len(order), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    sel = order[first]
    return source[sel], feature[sel], minutes[sel]


def per_feature(catchments: Catchments, access: AccessSnap) -> Catchments:
    """Catchments over access points turned into catchments over facilities.

    ``catchments.node`` indexes the access points of ``access``; the result's ``node`` is the
    facility position, each (source, facility) kept once with its least minutes.
    """
    src, feat, mins = nearest_per_feature(catchments.source, access.feature[catchments.node], catchments.minutes)
    return Catchments(source=src, node=feat, minutes=mins, n_sources=catchments.n_sources,
                      cutoff_min=catchments.cutoff_min)
