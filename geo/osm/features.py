"""OSM features (facilities, parks, land use) selected by tag filters.

A tag filter is a dict in osmnx's style: ``{"amenity": ["clinic", "doctors"],
"healthcare": True}`` keeps a feature when *any* key matches (``True`` = any value).
Several named filters ("kinds") are read in one pass over the file and each feature gets
one row per kind it matches, in column ``kind``.

The reserved key ``"exclude"`` holds a second filter of the same form whose matches are left
out again, e.g. ``{"amenity": ["clinic"], "exclude": {"healthcare": ["alternative"]}}``.
In ``exclude`` a value starting with ``~`` is a case-insensitive regular expression searched
in the tag (``{"name": ["~x-ray|röntgen"]}``), and a multi-valued tag (``a; b``, OSM's
``;`` convention) is excluded only when *every* one of its values is. Features that match
but are excluded are counted in ``attrs["excluded"]`` (kind -> list of
``{"osmid", "name", "why"}``) so that nothing is dropped in silence.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..projection import WEB_CRS

TagFilter = Mapping[str, bool | str | list]


#: Key of a tag filter holding the tags whose matches are left out again.
EXCLUDE = "exclude"


def _norm_filter(f: TagFilter, kind: str) -> dict[str, Any]:
    """The include part of a filter, normalised (``key -> True | [values]``)."""
    out: dict[str, Any] = {}
    if not isinstance(f, Mapping) or not f or not any(k != EXCLUDE for k in f):
        raise InputError(f"kind {kind!r}: a tag filter must be a non-empty mapping such as {{'amenity': ['clinic']}}")
    for k, v in f.items():
        if k == EXCLUDE:
            continue
        if v is True:
            out[str(k)] = True
        elif isinstance(v, str):
            out[str(k)] = [v]
        elif isinstance(v, (list, tuple)) and v and all(isinstance(x, str) for x in v):
            out[str(k)] = list(v)
        else:
            raise InputError(f"kind {kind!r}: tag {k!r} must be true or a list of values, got {v!r}")
    return out


def _exclude_filter(f: TagFilter, kind: str) -> dict[str, Any]:
    """The ``exclude`` part of a filter, normalised; regular expressions compiled."""
    ex = f.get(EXCLUDE) if isinstance(f, Mapping) else None
    if ex is None:
        return {}
    if not isinstance(ex, Mapping) or EXCLUDE in ex:
        raise InputError(f"kind {kind!r}: 'exclude' must be a mapping of tags "
                         "such as {'healthcare': ['alternative']}")
    out: dict[str, Any] = {}
    for k, v in _norm_filter(ex, kind).items():
        if v is True:
            out[k] = True
            continue
        exact, patterns = set(), []
        for val in v:
            if val.startswith("~"):
                try:
                    patterns.append(re.compile(val[1:], re.IGNORECASE))
                except re.error as exc:
                    raise InputError(f"kind {kind!r}: exclude {k} = {val!r} "
                                     f"is not a regular expression ({exc})") from None
            else:
                exact.add(val)
        out[k] = (exact, patterns)
    return out


def _tag(features: pd.DataFrame, key: str) -> pd.Series:
    """Values of tag ``key`` (missing = None), from its column or pyrosm's JSON ``tags`` column."""
    if key in features.columns:
        return features[key].where(features[key].notna(), None)
    if "tags" not in features.columns:
        return pd.Series(None, index=features.index, dtype=object)

    def one(t: Any) -> Any:
        if isinstance(t, str):
            try:
                t = json.loads(t)
            except ValueError:
                return None
        return t.get(key) if isinstance(t, dict) else None

    return features["tags"].map(one)


def _excluded_by(value: Any, rule: Any) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return False
    if rule is True:
        return str(value).strip().lower() != "no"
    exact, patterns = rule
    items = [v.strip() for v in str(value).split(";") if v.strip()]
    return bool(items) and all(v in exact or any(p.search(v) for p in patterns) for v in items)


def excluded_reasons(features: pd.DataFrame, f: TagFilter, kind: str = "kind") -> pd.Series:
    """For each feature, why the ``exclude`` part of filter ``f`` leaves it out (``key=value``), or None."""
    why = pd.Series(None, index=features.index, dtype=object)
    for key, rule in _exclude_filter(f, kind).items():
        values = _tag(features, key)
        hit = values.map(lambda v, rule=rule: _excluded_by(v, rule)).to_numpy(dtype=bool) & why.isna().to_numpy()
        why[hit] = [f"{key}={v}" for v in values[hit]]
    return why


def match_kinds(features: pd.DataFrame, kinds: Mapping[str, TagFilter]) -> pd.DataFrame:
    """Boolean DataFrame (one column per kind): does each feature match the kind's filter.

    ``features`` has one column per OSM key (absent tag = missing value). Vectorised.
    Features caught by the filter's ``exclude`` part do not match (see module docstring).
    """
    out = {}
    for kind, f in kinds.items():
        m = _match_include(features, f, kind)
        if m.any() and EXCLUDE in f:
            m &= excluded_reasons(features, f, kind).isna().to_numpy()
        out[kind] = m
    return pd.DataFrame(out, index=features.index)


def _match_include(features: pd.DataFrame, f: TagFilter, kind: str) -> np.ndarray:
    m = np.zeros(len(features), dtype=bool)
    for key, vals in _norm_filter(f, kind).items():
        if key not in features.columns:
            continue
        col = features[key]
        present = col.notna().to_numpy() & (col.astype(str).str.len() > 0).to_numpy()
        if vals is True:
            m |= present & (col.astype(str).str.lower() != "no").to_numpy()
        else:
            m |= present & col.astype(str).isin(vals).to_numpy()
    return m


def _union_filter(kinds: Mapping[str, TagFilter]) -> dict[str, Any]:
    """What to read or download for all kinds (their include parts; exclusions apply afterwards)."""
    union: dict[str, Any] = {}
    for kind, f in kinds.items():
        for k, v in _norm_filter(f, kind).items():
            if v is True or union.get(k) is True:
                union[k] = True
            else:
                union[k] = sorted(set(union.get(k, [])) | set(v))
    return union


def _explode_kinds(raw: gpd.GeoDataFrame, kinds: Mapping[str, TagFilter]) -> gpd.GeoDataFrame:
    """One row per (feature, matching kind), with ``kind``, ``osmid``, ``osm_type``, ``name``."""
    if raw is None or len(raw) == 0:
        return gpd.GeoDataFrame(
            {"kind": [], "osmid": [], "osm_type": [], "name": []}, geometry=[], crs=WEB_CRS
        )
    m = match_kinds(raw, kinds)
    parts = []
    excluded: dict[str, list[dict[str, Any]]] = {}
    for kind, f in kinds.items():
        sel = raw.loc[m[kind].to_numpy()].copy()
        sel.insert(0, "kind", kind)
        parts.append(sel)
        if EXCLUDE in f:
            cand = raw.loc[_match_include(raw, f, kind)]
            why = excluded_reasons(cand, f, kind)
            gone = cand.loc[why.notna().to_numpy()]
            if len(gone):
                names = gone["name"] if "name" in gone else pd.Series(None, index=gone.index)
                ids = gone["osmid"] if "osmid" in gone else pd.Series(gone.index, index=gone.index)
                excluded[kind] = [
                    {"osmid": _plain(i), "name": None if pd.isna(n) else str(n), "why": w}
                    for i, n, w in zip(ids, names, why[why.notna()], strict=True)
                ]
    out = pd.concat(parts, ignore_index=True) if parts else raw.iloc[:0]
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=raw.crs)
    if "name" not in out:
        out["name"] = None
    out.attrs["excluded"] = excluded
    return out


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def features_from_pbf(
    path: str | os.PathLike, kinds: Mapping[str, TagFilter], *, bbox: tuple[float, float, float, float] | None = None
) -> gpd.GeoDataFrame:
    """Read the features of several kinds from an OSM PBF file (pyrosm), in EPSG:4326.

    Nodes, ways (polygons or lines) and multipolygon relations are all read.
    """
    import pyrosm

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
        raw = osm.get_data_by_custom_criteria(
            custom_filter=_union_filter(kinds), filter_type="keep",
            keep_nodes=True, keep_ways=True, keep_relations=True,
        )
    except Exception as exc:  # pyrosm raises its own types for corrupt files
        raise InputError(f"{path}: cannot read features from OSM PBF ({exc})") from exc
    if raw is not None and len(raw):
        raw = raw.set_crs(WEB_CRS, allow_override=True).rename(columns={"id": "osmid"})
        raw = _names_from_tags(raw)
    out = _explode_kinds(raw, kinds)
    return _tidy(out)


def _names_from_tags(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """pyrosm keeps ``name`` inside the JSON ``tags`` column for custom filters: lift it out."""
    if "tags" not in raw:
        return raw
    import json

    def name_of(tags: object) -> str | None:
        if isinstance(tags, str) and '"name"' in tags:
            try:
                value = json.loads(tags).get("name")
            except (ValueError, AttributeError):
                return None
            return value if isinstance(value, str) and value.strip() else None
        if isinstance(tags, dict):
            value = tags.get("name")
            return value if isinstance(value, str) and value.strip() else None
        return None

    lifted = raw["tags"].map(name_of)
    raw = raw.copy()
    raw["name"] = raw["name"].where(raw["name"].notna(), lifted) if "name" in raw else lifted
    return raw


def features_from_xml(path: str | os.PathLike, kinds: Mapping[str, TagFilter]) -> gpd.GeoDataFrame:
    """Read the features of several kinds from an OSM XML file (osmnx), in EPSG:4326."""
    import osmnx as ox

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        raw = ox.features_from_xml(path, tags=_union_filter(kinds))
    except ox._errors.InsufficientResponseError:
        raw = None
    except Exception as exc:
        raise InputError(f"{path}: cannot read features from OSM XML ({type(exc).__name__}: {exc})") from exc
    if raw is not None and len(raw):
        raw = raw.reset_index().rename(columns={"id": "osmid", "element": "osm_type"})
    return _tidy(_explode_kinds(raw, kinds))


def features_from_graph_source(source: str | os.PathLike, kinds: Mapping[str, TagFilter],
                               **kw: Any) -> gpd.GeoDataFrame:
    """Dispatch on the file extension (``.pbf`` or ``.osm``/``.xml``)."""
    name = str(source).lower()
    if name.endswith(".pbf"):
        return features_from_pbf(source, kinds, **kw)
    if name.endswith((".osm", ".xml")):
        return features_from_xml(source, kinds)
    raise InputError(f"{source}: features can be read from .pbf or .osm files only")


def _tidy(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop rows without geometry (counted in ``attrs['no_geometry']``), reset the index."""
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    excluded = gdf.attrs.get("excluded", {})
    gdf = gdf.loc[~missing].reset_index(drop=True)
    gdf.attrs["no_geometry"] = int(missing.sum())
    gdf.attrs["excluded"] = excluded
    return gdf
