"""The offline map context: streets, water, railways and a few names, drawn under the overlays.

A map read on an intranet has no tiles; :meth:`geo.maps.MapBuilder.add_context` gives it its
own background from the study's data instead: the street network (thin grey, major roads
heavier, footways and tracks only when zoomed in), water (blue-grey), railways (dashed dark
grey) and a few place and road names. It is the page's default base layer ("Streets" /
"道路"); tile basemaps stay available as the other base layers. The print map
(:mod:`geo.maps.printing`) draws the same layers.

Size
----
A district's network has tens of thousands of edges. For the page they are merged per class
(one line per run of edges between junctions, :func:`shapely.line_merge`), simplified by a
few metres, clipped to the map's extent and written as integers: longitude/latitude times
``10**decimals``, each point as the difference from the previous one (a flat list per line),
which takes about a third of the bytes of GeoJSON coordinates. The page's code adds the
differences up again. Only numbers and plain text go into the page (labels are shown with
``textContent``).

Colours are ColorBrewer members (``Greys`` and ``PuBu``, 9 classes, read from ``branca``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.utilities import color_brewer

from ..errors import InputError
from .geometry import is_metric

__all__ = [
    "CONTEXT_STYLE",
    "CONTEXT_TEXT",
    "MAJOR_HIGHWAYS",
    "STREET_HIGHWAYS",
    "MapContext",
    "build_context",
    "context_text",
    "road_class",
]

#: Highway values drawn heavier (motorway .. secondary).
MAJOR_HIGHWAYS: Final = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link",
})
#: Highway values drawn as ordinary streets; every other value (service, footway, path,
#: track, cycleway, steps...) is a minor way, drawn thinner and only from :data:`MINOR_ZOOM`.
STREET_HIGHWAYS: Final = frozenset({
    "tertiary", "tertiary_link", "unclassified", "residential", "living_street", "pedestrian",
    "road", "busway",
})
#: Web-map zoom from which minor ways are drawn (about 10 m per pixel).
MINOR_ZOOM: Final = 14
#: Web-map zoom from which road names are shown.
ROAD_LABEL_ZOOM: Final = 14

_GREYS = [c.lower() for c in color_brewer("Greys", 9)]
_PUBU = [c.lower() for c in color_brewer("PuBu", 9)]

#: Style of each context class: colour, web line width (px), print line width (pt), dashes.
CONTEXT_STYLE: Final[dict[str, dict[str, Any]]] = {
    "background": {"color": _GREYS[0]},
    "water": {"color": _PUBU[3], "fill": _PUBU[2], "weight": 0.5, "lw": 0.2},
    "waterways": {"color": _PUBU[3], "weight": 1.5, "lw": 0.6},
    "minor": {"color": _GREYS[2], "weight": 0.7, "lw": 0.2},
    "street": {"color": _GREYS[3], "weight": 1.2, "lw": 0.35},
    "major": {"color": _GREYS[4], "weight": 2.6, "lw": 0.9},
    "rail": {"color": _GREYS[6], "weight": 1.3, "lw": 0.5, "dash": [5, 3]},
    "place_label": {"color": _GREYS[6]},
    "road_label": {"color": _GREYS[5]},
}

#: Texts of the context layer (zh/en).
CONTEXT_TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {"streets": "Streets", "major": "Major roads", "street": "Streets", "minor": "Paths and service roads",
           "water": "Water", "waterways": "Rivers and shore", "rail": "Railways",
           "tiles_failed": "Map tiles did not load (no internet?): choose the base layer \u201cStreets\u201d, "
                           "drawn from the data.",
           "tiles_failed_plain": "Map tiles did not load (no internet?).",
           "legend": "Map context"},
    "zh": {"streets": "道路", "major": "主要道路", "street": "街道", "minor": "小路与内部道路",
           "water": "水域", "waterways": "河流与岸线", "rail": "铁路",
           "tiles_failed": "底图瓦片未能加载（无网络？）：请选择底图“道路”（由数据绘制）。",
           "tiles_failed_plain": "底图瓦片未能加载（无网络？）。",
           "legend": "底图要素"},
}

_CLASSES: Final = ("minor", "street", "major")


def context_text(lang: str, key: str) -> str:
    """Text ``key`` of :data:`CONTEXT_TEXT` in language ``lang``."""
    return CONTEXT_TEXT[lang][key]


def road_class(highway: Sequence[Any] | pd.Series | np.ndarray) -> np.ndarray:
    """``"major"``, ``"street"`` or ``"minor"`` for each OSM ``highway`` value."""
    vals = [str(h).strip().lower() if isinstance(h, str) else "" for h in highway]
    return np.array(["major" if v in MAJOR_HIGHWAYS else "street" if v in STREET_HIGHWAYS else "minor"
                     for v in vals], dtype=object)


def _check(gdf: Any, *, what: str, types: tuple[int, ...], crs: Any) -> gpd.GeoDataFrame | None:
    """``gdf`` in ``crs`` with its missing/empty and wrong-type rows dropped (None if nothing is left)."""
    if gdf is None:
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"context {what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise InputError(f"context {what}: the layer has no CRS; set one (e.g. gdf.set_crs(4548))")
    g = gdf.loc[~(gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()]
    if not len(g):
        return None
    g = g.to_crs(crs) if pyproj.CRS.from_user_input(g.crs) != crs else g
    ok = np.isin(shapely.get_type_id(np.asarray(g.geometry.values)), types)
    return g.loc[ok] if ok.any() else None


@dataclass
class MapContext:
    """The context layers of one map, in one metric CRS (what both the page and the print draw).

    Attributes
    ----------
    crs
        The metric CRS of every layer.
    streets
        Lines with ``cls`` (``major``/``street``/``minor``) and ``name``.
    water, waterways, rail
        Polygons, lines, lines (any may be None).
    labels
        Place names: points with ``name`` (and ``rank``, lower = more important).
    road_labels, place_labels
        How many road names and place names to show at most.
    attribution
        Where the context comes from (written on the print map).
    """

    crs: pyproj.CRS
    streets: gpd.GeoDataFrame | None = None
    water: gpd.GeoDataFrame | None = None
    waterways: gpd.GeoDataFrame | None = None
    rail: gpd.GeoDataFrame | None = None
    labels: gpd.GeoDataFrame | None = None
    road_labels: int = 12
    place_labels: int = 20
    attribution: str = ""
    _merged: dict[Any, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ geometry
    def window(self, bounds_4326: tuple[float, float, float, float], *, pad: float = 0.2,
               min_pad_m: float = 300.0) -> tuple[float, float, float, float]:
        """The map's extent (degrees) in this CRS, grown to what a screen shows around it.

        The narrow side is widened to at least 0.8 of the long side (a tall district on a wide
        screen), then every side grows by ``pad`` of the long side (at least ``min_pad_m``).
        """
        box = gpd.GeoSeries([shapely.box(*bounds_4326)], crs=4326).to_crs(self.crs)
        x0, y0, x1, y1 = (float(v) for v in box.total_bounds)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        long = max(x1 - x0, y1 - y0)
        grow = max(long * pad, min_pad_m)
        hw = max(x1 - x0, 0.8 * long) / 2 + grow
        hh = max(y1 - y0, 0.8 * long) / 2 + grow
        return cx - hw, cy - hh, cx + hw, cy + hh

    def lines(self, cls: str) -> np.ndarray:
        """Street lines of class ``cls``, merged between junctions (computed once)."""
        key = ("cls", cls)
        if key not in self._merged:
            if self.streets is None:
                self._merged[key] = np.empty(0, dtype=object)
            else:
                sel = self.streets.loc[(self.streets["cls"] == cls).to_numpy()]
                parts = shapely.get_parts(np.asarray(sel.geometry.values))
                if len(parts):
                    merged = shapely.line_merge(shapely.multilinestrings(parts))
                    self._merged[key] = np.asarray(shapely.get_parts(merged))
                else:
                    self._merged[key] = np.empty(0, dtype=object)
        return self._merged[key]

    def classes(self, window: tuple[float, float, float, float], *, tol_m: float) -> dict[str, np.ndarray]:
        """Every drawn class clipped to ``window`` and simplified by ``tol_m`` metres (metric CRS).

        Keys, in drawing order: ``water``, ``waterways``, ``minor``, ``street``, ``major``,
        ``rail`` (absent classes are left out).
        """
        out: dict[str, np.ndarray] = {}

        def put(name: str, geoms: np.ndarray, *, polygons: bool = False) -> None:
            if not len(geoms):
                return
            g = shapely.clip_by_rect(geoms, *window)
            g = g[~shapely.is_empty(g)]
            if tol_m > 0 and len(g):
                g = shapely.simplify(g, tol_m, preserve_topology=polygons)
                g = g[~shapely.is_empty(g)]
            if len(g):
                out[name] = g

        if self.water is not None:
            put("water", np.asarray(self.water.geometry.values), polygons=True)
        if self.waterways is not None:
            put("waterways", np.asarray(self.waterways.geometry.values))
        for cls in _CLASSES:
            put(cls, self.lines(cls))
        if self.rail is not None:
            put("rail", np.asarray(self.rail.geometry.values))
        return out

    def place_points(self, window: tuple[float, float, float, float]) -> list[tuple[str, float, float]]:
        """Up to :attr:`place_labels` place names inside ``window``: ``(name, x, y)``, most important first."""
        if self.labels is None or not len(self.labels) or self.place_labels <= 0:
            return []
        g = self.labels
        inside = shapely.contains_xy(shapely.box(*window), g.geometry.x.to_numpy(), g.geometry.y.to_numpy())
        g = g.loc[inside]
        rank = g["rank"].to_numpy() if "rank" in g else np.zeros(len(g))
        order = np.lexsort((g["name"].astype(str).to_numpy(), rank))
        out: list[tuple[str, float, float]] = []
        seen: set[str] = set()
        for i in order:
            name = str(g["name"].iloc[i])
            if name in seen:
                continue
            seen.add(name)
            p = g.geometry.iloc[i]
            out.append((name, float(p.x), float(p.y)))
            if len(out) >= self.place_labels:
                break
        return out

    def road_points(self, window: tuple[float, float, float, float]) -> list[tuple[str, float, float, float]]:
        """Up to :attr:`road_labels` road names: ``(name, x, y, angle in degrees)``.

        The longest named major roads first, then the longest named streets; each name once,
        at the middle of its longest piece inside ``window``, turned along the road.
        """
        if self.streets is None or self.road_labels <= 0 or "name" not in self.streets:
            return []
        s = self.streets.loc[(self.streets["cls"] != "minor").to_numpy()]
        names = s["name"].to_numpy(dtype=object)
        named = np.array([isinstance(n, str) and bool(n.strip()) for n in names], dtype=bool)
        if not named.any():
            return []
        s = s.loc[named]
        geoms = shapely.clip_by_rect(np.asarray(s.geometry.values), *window)
        keep = ~shapely.is_empty(geoms)
        if not keep.any():
            return []
        df = pd.DataFrame({"name": s["name"].to_numpy()[keep], "major": (s["cls"] == "major").to_numpy()[keep],
                           "length": shapely.length(geoms[keep])})
        df["g"] = list(geoms[keep])
        tot = df.groupby("name").agg(major=("major", "max"), length=("length", "sum"))
        tot = tot.sort_values(["major", "length"], ascending=[False, False]).head(self.road_labels)
        out: list[tuple[str, float, float, float]] = []
        for name in tot.index:
            same = df.loc[df["name"] == name, "g"].to_numpy()
            pieces = shapely.get_parts(shapely.line_merge(shapely.union_all(same)))
            if not len(pieces):
                continue
            line = pieces[int(np.argmax(shapely.length(pieces)))]
            length = float(shapely.length(line))
            if length <= 0:
                continue
            a, m, b = (shapely.line_interpolate_point(line, f * length) for f in (0.4, 0.5, 0.6))
            ang = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
            ang = ang - 180.0 if ang > 90.0 else ang + 180.0 if ang <= -90.0 else ang
            out.append((str(name), float(m.x), float(m.y), round(ang, 1)))
        return out

    def tolerance_m(self, window: tuple[float, float, float, float], *, per: float = 6000.0) -> float:
        """Simplification tolerance for ``window``: its diagonal / ``per``, clamped to 1-5 m."""
        x0, y0, x1, y1 = window
        return float(np.clip(math.hypot(x1 - x0, y1 - y0) / per, 1.0, 5.0))


def build_context(*, streets: gpd.GeoDataFrame | None, water: gpd.GeoDataFrame | None,
                  waterways: gpd.GeoDataFrame | None, rail: gpd.GeoDataFrame | None,
                  labels: gpd.GeoDataFrame | None, highway_col: str, name_col: str,
                  road_labels: int, place_labels: int, attribution: str) -> MapContext:
    """Check the layers of :meth:`geo.maps.MapBuilder.add_context` and bring them into one metric CRS.

    Raises
    ------
    InputError
        A layer that is not a GeoDataFrame or has no CRS, a streets layer without
        ``highway_col``, a labels layer without ``name``, or nothing to draw at all.
    """
    given = [g for g in (streets, water, waterways, rail, labels) if g is not None]
    if not given:
        raise InputError("add_context: give at least one of streets, water, waterways, rail, labels")
    for g in given:
        if not isinstance(g, gpd.GeoDataFrame):
            raise InputError(f"add_context: expected GeoDataFrames, got {type(g).__name__}")
        if g.crs is None:
            raise InputError("add_context: a layer has no CRS; set one (e.g. gdf.set_crs(4548))")
    for n, v in (("road_labels", road_labels), ("place_labels", place_labels)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise InputError(f"add_context: {n} must be a whole number >= 0, got {v!r}")
    first = pyproj.CRS.from_user_input(given[0].crs)
    if is_metric(first):
        crs = first
    else:
        crs = pyproj.CRS.from_user_input(given[0].estimate_utm_crs())
    st = _check(streets, what="streets", types=(1, 5), crs=crs)
    if st is not None:
        if highway_col not in st:
            raise InputError(f"context streets: column {highway_col!r} not found; the layer has: "
                             f"{', '.join(map(str, st.columns))}")
        nm = st[name_col].to_numpy(dtype=object) if name_col in st else np.full(len(st), None, dtype=object)
        st = gpd.GeoDataFrame({"cls": road_class(st[highway_col].to_numpy(dtype=object)), "name": nm},
                              geometry=np.asarray(st.geometry.values), crs=crs)
    lab = _check(labels, what="labels", types=(0,), crs=crs)
    if lab is not None:
        if "name" not in lab:
            raise InputError("context labels: a 'name' column is needed")
        rank = lab["rank"].to_numpy() if "rank" in lab else np.zeros(len(lab))
        txt = [n.strip() if isinstance(n, str) else None for n in lab["name"]]
        lab = gpd.GeoDataFrame({"name": txt, "rank": rank}, geometry=np.asarray(lab.geometry.values), crs=crs)
        lab = lab.loc[lab["name"].notna().to_numpy()]
    return MapContext(
        crs=crs, streets=st,
        water=_check(water, what="water", types=(3, 6), crs=crs),
        waterways=_check(waterways, what="waterways", types=(1, 5), crs=crs),
        rail=_check(rail, what="rail", types=(1, 5), crs=crs),
        labels=lab, road_labels=road_labels, place_labels=place_labels, attribution=str(attribution),
    )


# ---------------------------------------------------------------------------- page data
def _quantized(parts: np.ndarray, to_display: Any, decimals: int, *, min_points: int) -> list[np.ndarray]:
    """Each line/ring of ``parts`` in display degrees as integers (``* 10**decimals``), repeats dropped."""
    if not len(parts):
        return []
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    lon, lat = to_display(coords[:, 0], coords[:, 1])
    q = np.column_stack([np.round(np.asarray(lon) * 10.0 ** decimals),
                         np.round(np.asarray(lat) * 10.0 ** decimals)]).astype(np.int64)
    first = np.r_[True, idx[1:] != idx[:-1]]
    same = np.r_[False, (q[1:] == q[:-1]).all(axis=1)] & ~first
    q, idx = q[~same], idx[~same]
    cuts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    return [a for a in np.split(q, cuts[1:]) if len(a) >= min_points]


def _deltas(paths: list[np.ndarray], cursor: np.ndarray) -> list[list[int]]:
    """Flat ``[dx, dy, dx, dy, ...]`` lists, each point relative to the one before (across paths)."""
    out = []
    for p in paths:
        d = np.diff(np.vstack([cursor, p]), axis=0)
        cursor[:] = p[-1]
        out.append(d.ravel().tolist())
    return out


def encode_lines(geoms: np.ndarray, to_display: Any, decimals: int) -> list[list[int]]:
    """Lines as delta-encoded integer lists (see the module docstring)."""
    paths = _quantized(shapely.get_parts(geoms), to_display, decimals, min_points=2)
    return _deltas(paths, np.zeros(2, dtype=np.int64))


def encode_polygons(geoms: np.ndarray, to_display: Any, decimals: int) -> list[list[list[int]]]:
    """Polygons as lists of delta-encoded rings (exterior first); collapsed rings are left out."""
    polys = shapely.get_parts(geoms)
    polys = polys[np.isin(shapely.get_type_id(polys), (3,))]
    out: list[list[list[int]]] = []
    cursor = np.zeros(2, dtype=np.int64)
    for poly in polys:
        q = _quantized(np.asarray(shapely.get_rings(poly)), to_display, decimals, min_points=0)
        if not q or len(q[0]) < 4:  # the exterior collapsed at this precision
            continue
        out.append(_deltas([q[0], *(r for r in q[1:] if len(r) >= 4)], cursor))
    return out


def page_data(ctx: MapContext, bounds_4326: tuple[float, float, float, float], *, lang: str,
              decimals: int, gcj02: bool) -> dict[str, Any]:
    """What the page's context code reads: styles, encoded classes, labels and texts."""
    from .geometry import display_transformer

    window = ctx.window(bounds_4326)
    to_display = display_transformer(ctx.crs, gcj02=gcj02)
    classes = ctx.classes(window, tol_m=ctx.tolerance_m(window))
    layers = []
    for name, geoms in classes.items():
        st = CONTEXT_STYLE[name]
        spec: dict[str, Any] = {"cls": name, "color": st["color"], "weight": st["weight"]}
        if name == "water":
            spec["fill"] = st["fill"]
            spec["polygons"] = encode_polygons(geoms, to_display, decimals)
        else:
            spec["lines"] = encode_lines(geoms, to_display, decimals)
        if "dash" in st:
            spec["dash"] = " ".join(str(v) for v in st["dash"])
        if name == "minor":
            spec["min_zoom"] = MINOR_ZOOM
        layers.append(spec)
    scale = 10.0 ** decimals

    def disp(x: float, y: float) -> tuple[float, float]:
        lon, lat = to_display(np.array([x]), np.array([y]))
        return round(float(lon[0]), decimals), round(float(lat[0]), decimals)

    places = [[name, *disp(x, y)] for name, x, y in ctx.place_points(window)]
    roads = [[name, *disp(x, y), ang] for name, x, y, ang in ctx.road_points(window)]
    return {
        "scale": scale, "layers": layers, "places": places, "roads": roads,
        "road_zoom": ROAD_LABEL_ZOOM, "background": CONTEXT_STYLE["background"]["color"],
        "label_color": CONTEXT_STYLE["place_label"]["color"], "road_color": CONTEXT_STYLE["road_label"]["color"],
    }
