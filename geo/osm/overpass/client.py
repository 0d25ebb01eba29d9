"""Street networks, features and place boundaries downloaded from Overpass and Nominatim.

Each call checks its arguments, runs inside :func:`~geo.osm.overpass.settings.osmnx_settings`
(osmnx's settings are left exactly as they were found) and with osmnx's HTTP and cache
internals guarded (:mod:`.guard`): one deadline, a size cap, retries, validated answers and
an atomic cache in ``cache_dir``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ...errors import InputError, NetworkError
from ..filters import WAY_TAGS
from .guard import _guarded_osmnx
from .http import DEFAULT_MAX_BODY_MIB
from .settings import osmnx_settings
from .validate import _is_number

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    from shapely.geometry import MultiPolygon, Polygon

logger = logging.getLogger(__name__)

#: Overpass filter of the network download: every way with a highway tag. Which ways make up
#: the walk, bike and drive networks is decided later by :mod:`geo.osm.filters`.
NETWORK_FILTER = '["highway"]'

# argument checks
# --------------------------------------------------------------------------------------


def _positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def _check_options(
    *,
    timeout: float,
    retries: int,
    backoff_s: float,
    deadline_s: float = 1.0,
    max_body_mib: float = 1.0,
) -> None:
    """Raise InputError on a non-positive timeout, deadline or size cap, or a negative retry
    count/backoff."""
    if not _positive(timeout):
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}", option="timeout")
    if not _positive(deadline_s):
        raise InputError(
            f"deadline_s must be a positive number of seconds, got {deadline_s!r}", option="deadline_s"
        )
    if not _positive(max_body_mib):
        raise InputError(
            f"max_body_mib must be a positive number of MiB, got {max_body_mib!r}", option="max_body_mib"
        )
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InputError(f"retries must be a whole number >= 0, got {retries!r}", option="retries")
    if not (isinstance(backoff_s, (int, float)) and math.isfinite(backoff_s) and backoff_s >= 0):
        raise InputError(f"backoff_s must be a number of seconds >= 0, got {backoff_s!r}", option="backoff_s")


def _check_url(url: str | None, *, what: str) -> str | None:
    """Return ``url`` if it is an http(s) URL with a host (or None), else raise InputError."""
    if url is None:
        return None
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"{what} must be an http(s) URL such as https://overpass-api.de/api, got {url!r}",
            option=what,
        )
    return str(url)


def _cache_folder(cache_dir: str | os.PathLike[str]) -> Path:
    """Create the cache folder if needed; InputError if it cannot be a folder."""
    path = Path(cache_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot use {str(path)!r} as the download cache folder ({exc}); pass a writable folder",
            option="cache_dir",
        ) from exc
    return path


def _check_polygon(polygon: Any) -> Polygon | MultiPolygon:
    """Return ``polygon`` if it is a valid, non-empty lon/lat (Multi)Polygon, else InputError."""
    from shapely.geometry import MultiPolygon, Polygon

    if not isinstance(polygon, (Polygon, MultiPolygon)):
        raise InputError(
            "the download area must be a shapely Polygon or MultiPolygon, "
            f"got {type(polygon).__name__}"
        )
    if polygon.is_empty:
        raise InputError("the download area is an empty polygon")
    if not polygon.is_valid:
        raise InputError(
            "the download area is not a valid polygon (self-intersecting?); repair it first, "
            "e.g. with shapely.make_valid"
        )
    minx, miny, maxx, maxy = polygon.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InputError(
            f"the download area has bounds {tuple(round(b, 3) for b in polygon.bounds)}, which are "
            "not lon/lat degrees: give the polygon in EPSG:4326 (e.g. gdf.to_crs(4326))"
        )
    return polygon


def _overpass_overrides(
    settings: ModuleType, *, overpass_url: str | None, cache_dir: Path, timeout: float
) -> dict[str, Any]:
    """osmnx settings for one Overpass call."""
    overrides: dict[str, Any] = {
        "use_cache": True,
        "cache_folder": cache_dir,
        "cache_only_mode": False,
        "requests_timeout": timeout,
        # Overpass wants a whole number of seconds in [timeout:...]; keep other settings
        # (e.g. [date:...]) the user may have put there
        "overpass_settings": settings.overpass_settings.replace(
            "{timeout}", str(math.ceil(timeout))
        ),
        # no DNS-over-HTTPS look-ups at 8.8.8.8 when the host name does not resolve
        "doh_url_template": None,
    }
    if overpass_url is not None:
        overrides["overpass_url"] = overpass_url
        # a custom server has no (or another) slot policy: skip the /status pre-check
        overrides["overpass_rate_limit"] = False
    return overrides


@dataclasses.dataclass(frozen=True)
class _Limits:
    """Time, size and retry limits of one call, checked on creation (see the public functions)."""

    timeout: float
    deadline_s: float
    max_body_mib: float
    retries: int
    backoff_s: float

    def __post_init__(self) -> None:
        _check_options(timeout=self.timeout, retries=self.retries, backoff_s=self.backoff_s,
                       deadline_s=self.deadline_s, max_body_mib=self.max_body_mib)

    def guard(self, what: str, *, nominatim_pause: bool = True) -> contextlib.AbstractContextManager[None]:
        """osmnx guarded for one call (:func:`~geo.osm.overpass.guard._guarded_osmnx`); its deadline starts here."""
        return _guarded_osmnx(retries=self.retries, backoff_s=self.backoff_s, what=what, timeout=self.timeout,
                              deadline_s=self.deadline_s, max_body_mib=self.max_body_mib,
                              nominatim_pause=nominatim_pause)


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


def geocode_place(
    name: str,
    *,
    nominatim_url: str | None = None,
    cache_dir: str | os.PathLike[str],
    timeout: float = 60,
    deadline_s: float = 180,
    max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    retries: int = 3,
    backoff_s: float = 1.0,
) -> Polygon | MultiPolygon:
    """Boundary of a named place, geocoded with Nominatim (``osmnx.geocode_to_gdf``).

    Parameters
    ----------
    name
        Place name, e.g. ``"Vaduz, Liechtenstein"``.
    nominatim_url
        Nominatim server (base URL, ``/search`` is appended); ``None`` keeps osmnx's setting
        (the public server by default) and its usage policy of one request per second. A
        custom server is asked without osmnx's 1 s pause.
    cache_dir
        Folder of the download cache; an identical second call is answered from it offline.
    timeout
        Seconds one attempt may take (connection and whole answer, wall clock).
    deadline_s
        Seconds the whole call may take, wall clock: every attempt, read and pause between
        retries. When it is over the call stops with a NetworkError that says so.
    max_body_mib
        Size cap of an answer (MiB, decompressed); a larger answer is refused, not retried.
    retries
        How many times a failed request (timeout, connection error, HTTP 429/5xx, invalid
        answer) is sent again.
    backoff_s
        Pause before the first retry; it doubles at each further retry (at most 60 s).

    Returns
    -------
    Polygon or MultiPolygon
        The first (Multi)Polygon result, in EPSG:4326 lon/lat.

    Raises
    ------
    InputError
        Empty name, bad option, or a name Nominatim does not know or only knows as a point.
    NetworkError
        The server could not be reached, kept failing after the retries, missed the deadline,
        or sent an answer that was refused (redirect, over the size cap, not Nominatim JSON).
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    if not isinstance(name, str) or not name.strip():
        raise InputError(f"place name must be a non-empty string, got {name!r}")
    limits = _Limits(timeout=timeout, deadline_s=deadline_s, max_body_mib=max_body_mib, retries=retries,
                     backoff_s=backoff_s)
    nominatim_url = _check_url(nominatim_url, what="nominatim_url")
    folder = _cache_folder(cache_dir)
    overrides: dict[str, Any] = {
        "use_cache": True,
        "cache_folder": folder,
        "cache_only_mode": False,
        "requests_timeout": timeout,
        "default_crs": "epsg:4326",
    }
    if nominatim_url is not None:
        overrides["nominatim_url"] = nominatim_url
    with (
        osmnx_settings(**overrides),
        # the 1 s pause between requests is the public server's policy
        limits.guard(f"geocode the place {name!r}", nominatim_pause=nominatim_url is None),
    ):
        try:
            gdf = ox.geocode_to_gdf(name)
        except InsufficientResponseError as exc:
            raise InputError(
                f"Nominatim found no place named {name!r}; check the spelling, add the city and "
                "country (e.g. 'Vaduz, Liechtenstein'), or give a boundary file"
            ) from exc
        except TypeError as exc:  # osmnx: results exist but none is a (Multi)Polygon
            raise InputError(
                f"Nominatim knows {name!r} only as a point or line, not as an area; use the name "
                "of an administrative area or give a boundary file"
            ) from exc
    geom = gdf.geometry.iloc[0]
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(
            f"Nominatim returned a {getattr(geom, 'geom_type', 'missing')} geometry for {name!r}, "
            "not an area; use another name or give a boundary file"
        )
    return geom


def graph_from_polygon(
    polygon_wgs84: Polygon | MultiPolygon,
    *,
    cache_dir: str | os.PathLike[str],
    overpass_url: str | None = None,
    timeout: float = 180,
    deadline_s: float = 600,
    max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    retries: int = 3,
    backoff_s: float = 1.0,
) -> nx.MultiDiGraph:
    """Download every highway way in a polygon from Overpass as an osmnx graph.

    Calls ``osmnx.graph_from_polygon`` with ``custom_filter='["highway"]'``,
    ``simplify=False``, ``retain_all=True`` and ``truncate_by_edge=True``; the tags of
    :data:`geo.osm.filters.WAY_TAGS` are kept on the edges (added to
    ``osmnx.settings.useful_tags_way`` for this call) so :func:`geo.osm.filters.filter_ways`
    can choose the walk, bike or drive ways afterwards.

    Parameters
    ----------
    polygon_wgs84
        Download area in EPSG:4326 lon/lat. osmnx queries it grown by 500 m, then keeps the
        nodes inside it plus the ends of edges that cross its border.
    cache_dir
        Folder of the download cache; an identical second call is answered from it offline.
    overpass_url
        Overpass API base URL (``/interpreter`` is appended), e.g. a local server. ``None``
        keeps osmnx's setting (the public server, with its slot check). A custom server skips
        osmnx's ``/status`` rate-limit pre-check.
    timeout
        Seconds one attempt may take (connection and whole answer, wall clock); also the
        server-side ``[timeout:...]`` of the query (rounded up), which is part of the cache key.
    deadline_s
        Seconds the whole call may take, wall clock: every request (osmnx splits large areas),
        attempt, read and pause between retries. When it is over the call stops with a
        NetworkError that says so.
    max_body_mib
        Size cap of an answer (MiB, decompressed). The body is streamed and reading stops at
        the cap (at once when ``Content-Length`` announces more); such an answer is refused
        and not retried.
    retries
        How many times a failed request (timeout, connection error, HTTP 429/5xx, truncated or
        partial answer) is sent again.
    backoff_s
        Pause before the first retry; it doubles at each further retry (at most 60 s).

    Returns
    -------
    networkx.MultiDiGraph
        Unsimplified osmnx graph (``crs`` EPSG:4326). osmnx conventions apply: ``oneway`` is
        osmnx's boolean, ``oneway=-1`` ways are stored reversed, and two-way ways have a
        mirrored copy of each edge with ``reversed=True``.

    Raises
    ------
    InputError
        The polygon is not a valid lon/lat (Multi)Polygon, or an option is invalid.
    NetworkError
        The server failed after the retries, missed the deadline or sent an answer that was
        refused (redirect, over the size cap, not Overpass JSON), or there are no streets in
        the polygon.
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    poly = _check_polygon(polygon_wgs84)
    limits = _Limits(timeout=timeout, deadline_s=deadline_s, max_body_mib=max_body_mib, retries=retries,
                     backoff_s=backoff_s)
    overrides = _overpass_overrides(
        ox.settings, overpass_url=_check_url(overpass_url, what="overpass_url"), cache_dir=_cache_folder(cache_dir),
        timeout=timeout,
    )
    current = list(ox.settings.useful_tags_way)
    overrides["useful_tags_way"] = [*current, *(t for t in WAY_TAGS if t not in current)]
    overrides["all_oneway"] = False
    bounds = tuple(round(b, 5) for b in poly.bounds)
    with (
        osmnx_settings(**overrides),
        limits.guard(f"download the street network of {bounds}"),
    ):
        try:
            return ox.graph_from_polygon(poly, network_type="all", custom_filter=NETWORK_FILTER, simplify=False,
                                         retain_all=True, truncate_by_edge=True)
        except ValueError as exc:  # InsufficientResponseError is a ValueError too
            # osmnx: "No data elements in server response" / "Found no graph nodes within
            # the requested polygon"; any other ValueError is a bug, not an empty area
            if not isinstance(exc, InsufficientResponseError) and "no graph nodes" not in str(exc):
                raise
            raise NetworkError(
                f"Overpass returned no streets (ways with a highway tag) in the area {bounds} "
                f"({exc}). Check that the polygon is in EPSG:4326 lon/lat and covers the study "
                "area, or work offline from an OSM extract (an .osm.pbf or .osm file)."
            ) from exc


def features_from_polygon(
    polygon_wgs84: Polygon | MultiPolygon,
    tags: dict[str, bool | str | list[str]],
    *,
    cache_dir: str | os.PathLike[str],
    overpass_url: str | None = None,
    timeout: float = 180,
    deadline_s: float = 600,
    max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    retries: int = 3,
    backoff_s: float = 1.0,
) -> gpd.GeoDataFrame:
    """Download the OSM features matching ``tags`` in a polygon (``osmnx.features_from_polygon``).

    Parameters
    ----------
    polygon_wgs84
        Search area in EPSG:4326 lon/lat.
    tags
        osmnx tag query: ``{key: True | value | [values]}``, e.g. ``{"amenity": "clinic"}``.
        A feature matches if it has any of them.
    cache_dir
        Folder of the download cache; an identical second call is answered from it offline.
    overpass_url
        Overpass API base URL; ``None`` keeps osmnx's setting (see :func:`graph_from_polygon`).
    timeout
        Seconds one attempt may take (also the server-side query timeout).
    deadline_s
        Seconds the whole call may take, wall clock (see :func:`graph_from_polygon`).
    max_body_mib
        Size cap of an answer (MiB, decompressed; see :func:`graph_from_polygon`).
    retries
        How many times a failed request is sent again.
    backoff_s
        Pause before the first retry; it doubles at each further retry (at most 60 s).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature in EPSG:4326, indexed by (``element``, ``id``), with a column per
        tag; an empty GeoDataFrame (same index names, a geometry column) when nothing matches.

    Raises
    ------
    InputError
        Invalid polygon, tags or option.
    NetworkError
        The server failed after the retries, missed the deadline or sent an answer that was
        refused (redirect, over the size cap, not Overpass JSON).
    """
    import geopandas as gpd
    import osmnx as ox
    import pandas as pd
    from osmnx._errors import InsufficientResponseError

    poly = _check_polygon(polygon_wgs84)
    if (
        not isinstance(tags, dict)
        or not tags
        or not all(
            isinstance(k, str)
            and (
                isinstance(v, (bool, str))
                or (isinstance(v, list) and v and all(isinstance(s, str) for s in v))
            )
            for k, v in tags.items()
        )
    ):
        raise InputError(
            f"tags must be a non-empty dict of OSM key -> True, a value or a list of values, "
            f"e.g. {{'amenity': ['clinic', 'hospital']}}; got {tags!r}"
        )
    limits = _Limits(timeout=timeout, deadline_s=deadline_s, max_body_mib=max_body_mib, retries=retries,
                     backoff_s=backoff_s)
    overrides = _overpass_overrides(
        ox.settings, overpass_url=_check_url(overpass_url, what="overpass_url"), cache_dir=_cache_folder(cache_dir),
        timeout=timeout,
    )
    overrides["default_crs"] = "epsg:4326"
    bounds = tuple(round(b, 5) for b in poly.bounds)
    with (
        osmnx_settings(**overrides),
        limits.guard(f"download the OSM features {tags} in {bounds}"),
    ):
        try:
            return ox.features_from_polygon(poly, tags)
        except InsufficientResponseError:  # osmnx: "No matching features"
            logger.info("no OSM features match %s in %s", tags, bounds)
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    empty.index = pd.MultiIndex.from_arrays(
        [pd.Index([], dtype=object), pd.Index([], dtype="int64")], names=["element", "id"]
    )
    return empty
