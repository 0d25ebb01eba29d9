"""Walk distance from residential cells to parks: shared by the parks analysis and station scoring.

Not an analysis itself (analyses never import each other): the parks standard's network
reading, per demand cell, for any analysis that needs it.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np

from ..standards import Parks
from ..study import Study


@dataclasses.dataclass(frozen=True)
class Network:
    """Network reading: distance (m) from each cell to a park, cells covered, parks off the network."""

    dist_m: np.ndarray
    covered: np.ndarray
    parks_off_network: int


def parks_frame(study: Study, p: Parks) -> gpd.GeoDataFrame:
    """Every park of the study with its area (m², 0 for points) and radius (m, NaN: too small)."""
    parks = study.facilities_of(p.kind).copy()
    area_m2 = np.where(parks.geom_type.isin(["Polygon", "MultiPolygon"]), parks.geometry.area, 0.0)
    parks["park_area_m2"] = area_m2
    parks["radius_m"] = [p.radius_for_area(a) for a in area_m2]
    return parks


def network_reach(study: Study, p: Parks, parks: gpd.GeoDataFrame) -> Network:
    """Walk distance from each cell to the nearest park within that park's radius.

    Parks are reached through the study's cached access snap (entrances where OSM maps them,
    else outline points: the way every analysis reaches a park); parks of one radius are
    searched together, bounded by that radius.
    """
    n = len(study.demand)
    dist = np.full(n, np.inf)
    covered = np.zeros(n, dtype=bool)
    radius = parks["radius_m"].to_numpy(dtype=float)
    used = np.isfinite(radius)
    if not used.any():
        return Network(dist_m=dist, covered=covered, parks_off_network=0)
    acc = study.snapped_facilities(p.kind)  # features in the order of facilities_of(kind)
    mpm = study.net.metres_per_minute
    point_radius = radius[acc.feature]
    for r in np.unique(radius[used]):
        grp = point_radius == r
        res = study.engine.point_minutes(study.demand_snap, acc.points.subset(grp), cutoff_min=r / mpm)
        d = res.minutes * mpm
        dist = np.minimum(dist, d)
        covered |= d <= r + 1e-6
    off = int((~acc.features_on_network & used).sum())  # parks with no access point near a street
    return Network(dist_m=dist, covered=covered, parks_off_network=off)
