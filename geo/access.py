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

from .engine import Catchments
from .features import access_points
from .network import StreetNetwork
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


def snap_access(
    net: StreetNetwork,
    facilities: gpd.GeoDataFrame,
    *,
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    spacing_m: float = DEFAULT_SPACING_M,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> AccessSnap:
    """Snap facilities through their access points (see :func:`geo.features.access_points`).

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


def nearest_per_feature(source: np.ndarray, feature: np.ndarray, minutes: np.ndarray, n_sources: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    src, feat, mins = nearest_per_feature(catchments.source, access.feature[catchments.node], catchments.minutes,
                                          catchments.n_sources)
    return Catchments(source=src, node=feat, minutes=mins, n_sources=catchments.n_sources,
                      cutoff_min=catchments.cutoff_min)
