"""The data of each kind of layer: features, their texts and colours, and legend rows.

Each function here checks its inputs, prepares the geometries (:class:`.geometry.Display`)
and returns a :class:`Drawn`: the layers' specs (GeoJSON text plus what the page needs to
style, name and label them) and their legend section. Nothing here is HTML or code: it all
goes into the page's JSON block, and the page shows every text with ``textContent``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from .classes import IntegerClasses, classify
from .geometry import POLYGONAL as _POLYGONAL
from .geometry import Display, Prepared, is_metric
from .palette import NO_DATA, OUTLINE, band_colors, check_color, class_colors, qualitative
from .text import fmt_minutes, fmt_value, ui_text

__all__ = [
    "BAND_DRAWS",
    "Drawn",
    "LayerSpec",
    "LegendSection",
    "band_layers",
    "band_rings",
    "choropleth_layers",
    "point_layers",
    "polygon_layers",
    "to_json",
]

#: Points of one kind are clustered above this count when ``cluster=None``.
CLUSTER_THRESHOLD = 50


def to_json(obj: object) -> str:
    """Compact JSON text (``NaN``/``Infinity`` refused: ``JSON.parse`` cannot read them)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass
class LegendSection:
    """A titled block of the legend; each row ``{"label", "layer", "swatch"}``.

    ``"layer"`` is the index of the layer a row belongs to (the row is hidden while that
    layer is switched off): within its :class:`Drawn` first, in the whole map once added.
    """

    title: str | None
    rows: list[dict[str, Any]]


@dataclass
class LayerSpec:
    """One switchable overlay of the page."""

    name: str
    geojson: str  # FeatureCollection as JSON text (plain text values, not escaped)
    style: dict[str, Any]
    point_color: str = OUTLINE  # every point layer sets its own
    cluster: bool = False
    show: bool = True
    head: str | None = None  # tooltip/popup heading of every feature (a feature's "n" wins)
    tip: list[str] | None = None  # tooltip row labels; values in each feature's "t"
    pop: list[str] | None = None  # popup row labels (None: no popup); values in "p"
    bounds: tuple[float, float, float, float] | None = None

    def meta(self) -> dict[str, Any]:
        """What the page's code reads of this layer besides its GeoJSON."""
        return {
            "name": self.name, "style": self.style, "point_color": self.point_color,
            "cluster": self.cluster, "show": self.show, "head": self.head,
            "tip": self.tip, "pop": self.pop,
        }


@dataclass
class Drawn:
    """Layers of one ``add_*`` call, their legend section and hatch patterns (id -> colour)."""

    layers: list[LayerSpec]
    legend: LegendSection
    hatches: dict[str, str] = field(default_factory=dict)


def check_cols(gdf: gpd.GeoDataFrame, cols: Sequence[str], *, what: str) -> None:
    """Raise :class:`InputError` naming the columns of ``cols`` that ``gdf`` lacks."""
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        have = ", ".join(map(str, gdf.columns))
        raise InputError(f"{what}: column(s) {missing} not found; the layer has: {have}")


def check_mapping(cols: Mapping[str, str] | None, *, what: str) -> dict[str, str]:
    """``{label: column}`` as a dict (labels as text); ``None`` gives ``{}``."""
    if cols is None:
        return {}
    if not isinstance(cols, Mapping):
        raise InputError(f"{what} must be a mapping {{label: column}}, got {type(cols).__name__}")
    return {str(k): v for k, v in cols.items()}


def _features(geoms: np.ndarray, props: Sequence[Mapping[str, Any]]) -> str:
    """GeoJSON FeatureCollection text (JSON; made script-safe when the page is written)."""
    gj = shapely.to_geojson(geoms)
    parts = [
        '{"type":"Feature","properties":' + to_json(dict(p)) + ',"geometry":' + g + "}"
        for g, p in zip(gj, props, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def _layer(name: str, prep: Prepared, props: Sequence[Mapping[str, Any]], **kw: Any) -> LayerSpec:
    bounds: tuple[float, float, float, float] | None = None
    if len(prep.geoms):
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(prep.geoms))
        bounds = (x0, y0, x1, y1)
    return LayerSpec(name=str(name), geojson=_features(prep.geoms, props), bounds=bounds, **kw)


def _rows_table(gdf: gpd.GeoDataFrame, cols: Mapping[str, str], rows: np.ndarray) -> list[list[str]]:
    """Values of ``cols`` (formatted as text) for each kept input row."""
    data = [gdf[col].to_numpy()[rows] for col in cols.values()]
    return [[fmt_value(d[i]) for d in data] for i in range(len(rows))]


def _palette(colors: Sequence[str] | None, default: Callable[[int], list[str]], n: int,
             *, what: str, unit: str) -> list[str]:
    """``colors`` (checked, at least ``n``) or ``default(n)``."""
    palette = list(colors) if colors is not None else default(n)
    if len(palette) < n:
        raise InputError(f"{what}: {n} {unit} but only {len(palette)} colours")
    for c in palette:
        check_color(c, what=what)
    return palette


def _metric(gdf: gpd.GeoDataFrame, *, what: str) -> gpd.GeoSeries:
    """``gdf``'s geometries in a metric CRS (its own, else its UTM zone), index reset."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise InputError(f"{what}: the layer has no CRS; set one (e.g. gdf.set_crs(4548))")
    gs = gdf.geometry.reset_index(drop=True)
    return gs if is_metric(gdf.crs) else gs.to_crs(gs.estimate_utm_crs())


def _union(geoms: np.ndarray) -> shapely.Geometry:
    ok = [g for g in geoms if g is not None and not g.is_empty]
    return shapely.union_all(ok) if ok else shapely.Polygon()


def band_rings(geoms: gpd.GeoSeries, minutes: np.ndarray) -> gpd.GeoDataFrame:
    """Non-overlapping rings of nested bands: band ``k`` minus every shorter band.

    ``geoms`` (any polygons, one or more per band) and ``minutes`` (their band limits)
    give one ring per distinct band, shortest first, with columns ``minutes`` and
    ``geometry`` (empty rings dropped). The rings partition the union of all bands, so
    drawn with one colour each no colour mixes with another.
    """
    levels = sorted(set(minutes.tolist()))
    arr = geoms.to_numpy()
    rows, inner = [], shapely.Polygon()
    for v in levels:
        band = _union(arr[minutes == v])
        ring = shapely.difference(band, inner) if not inner.is_empty else band
        inner = shapely.union(inner, band) if not inner.is_empty else band
        if not ring.is_empty:
            rows.append((v, shapely.make_valid(ring)))
    out = gpd.GeoDataFrame({"minutes": [r[0] for r in rows]},
                           geometry=[_polygonal(r[1]) for r in rows], crs=geoms.crs)
    return out.loc[~out.geometry.is_empty].reset_index(drop=True)


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of ``g`` (a difference can leave slivers of lower dimension)."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


#: How nested bands are drawn.
BAND_DRAWS = ("rings", "outlines")


def band_layers(
    gdf: gpd.GeoDataFrame, display: Display, *, lang: str, minutes_col: str, name: str | None,
    legend_title: str | None, colors: Sequence[str] | None, fill_opacity: float, show: bool,
    source_col: str | None = None, draw: str = "rings", labels: Mapping[float, str] | None = None,
    each_label: str | None = None,
) -> Drawn:
    """Walking-time bands as one layer; see ``MapBuilder.add_bands``.

    ``draw="rings"``: the union of every source's band ``k`` minus the shorter bands, filled
    (no two fills overlap, so the page shows exactly the legend's colours); with several
    sources in ``source_col`` each source's band is drawn over the rings as an outline
    (solid for the shortest band, then dashed, dotted, dash-dotted). ``draw="outlines"``: every band
    as an outline in its colour, no fill (for bands that are not nested, or that lie over
    another filled layer).
    """
    what = f"bands layer {name or ''}".strip()
    if draw not in BAND_DRAWS:
        raise InputError(f"{what}: draw must be one of {', '.join(BAND_DRAWS)}, got {draw!r}")
    check_cols(gdf, [minutes_col, *([source_col] if source_col else [])], what=what)
    minutes = pd.to_numeric(gdf[minutes_col], errors="coerce").to_numpy(dtype=float)
    if np.isnan(minutes).any() or (minutes <= 0).any():
        raise InputError(f"{what}: column {minutes_col!r} must hold positive minutes")
    geoms = _metric(gdf, what=what)
    if len(geoms) and not np.isin(shapely.get_type_id(geoms.dropna().to_numpy()), _POLYGONAL).all():
        raise InputError(f"{what}: only Polygon/MultiPolygon geometries can be drawn as bands")
    keep = ~(geoms.isna() | geoms.is_empty).to_numpy()
    drawn_levels = sorted(set(minutes[keep].tolist()))
    palette = _palette(colors, band_colors, len(drawn_levels), what=what, unit="bands")
    color_of = dict(zip(drawn_levels, palette, strict=False))  # palette may hold more colours
    tooltip = ui_text(lang, "band_tooltip")
    label_of = {v: str((labels or {}).get(v, ui_text(lang, "band_label").format(m=fmt_minutes(v))))
                for v in drawn_levels}
    sources = (pd.Series(gdf[source_col].to_numpy()[keep]) if source_col else None)
    outlines_per_source = draw == "rings" and sources is not None and sources.nunique() > 1
    feats: list[tuple[shapely.Geometry, dict[str, Any]]] = []
    rows: list[dict[str, Any]] = []
    if draw == "rings":
        rings = band_rings(geoms[keep], minutes[keep])
        feats += [(g, {"c": color_of[v], "n": tooltip.format(m=fmt_minutes(v))})
                  for v, g in zip(rings["minutes"], rings.geometry, strict=True)]
        rows += [{"label": label_of[v], "layer": 0,
                  "swatch": {"type": "sw", "color": color_of[v], "opacity": fill_opacity}}
                 for v in drawn_levels if v in set(rings["minutes"])]
    if draw == "outlines" or outlines_per_source:
        sub = gpd.GeoDataFrame({"minutes": minutes[keep]}, geometry=geoms[keep].to_numpy(), crs=geoms.crs)
        order = np.argsort(-sub["minutes"].to_numpy(), kind="stable")  # widest first
        rank = {v: i for i, v in enumerate(drawn_levels)}  # 0 solid, 1 dashed, 2 dotted, 3+ dash-dot
        for i in order:
            v = float(sub["minutes"].iloc[i])
            head = tooltip.format(m=fmt_minutes(v))
            if sources is not None:
                head = f"{fmt_value(sources.iloc[i])}: {head}"
            props: dict[str, Any] = {"c": OUTLINE if outlines_per_source else color_of[v], "o": 1, "n": head}
            if outlines_per_source and rank[v]:
                props["d"] = rank[v]
            feats.append((sub.geometry.iloc[i], props))
        if draw == "outlines":
            rows += [{"label": label_of[v], "layer": 0, "swatch": {"type": "line", "color": color_of[v]}}
                     for v in drawn_levels]
        else:
            each = str(each_label or ui_text(lang, "band_each_source"))
            rows += [{"label": each.format(band=label_of[v]), "layer": 0,
                      "swatch": {"type": "line", "color": OUTLINE, **({"dash": rank[v]} if rank[v] else {})}}
                     for v in drawn_levels]
    src = gpd.GeoDataFrame(geometry=[g for g, _ in feats], crs=geoms.crs)
    prep = display.prepare(src, what=what, kind="polygon")
    props_kept = [feats[int(r)][1] for r in prep.rows]
    layer = _layer(
        name or ui_text(lang, "bands"), prep, props_kept,
        style={"weight": 1, "opacity": 0.8, "fillOpacity": fill_opacity, "strokeFromFill": True,
               "outlineWeight": 2.0 if draw == "outlines" else 1.5},
        show=show,
    )
    return Drawn([layer], LegendSection(str(legend_title or ui_text(lang, "walking_time")), rows))


def point_layers(
    gdf: gpd.GeoDataFrame, display: Display, *, lang: str, kind_col: str, name_col: str,
    popup_cols: Mapping[str, str] | None, cluster: bool | None,
    kind_labels: Mapping[Any, str] | None, colors: Mapping[Any, str] | None,
    legend_title: str | None, show: bool,
) -> Drawn:
    """One marker layer per kind, in sorted kind order; see ``MapBuilder.add_points``."""
    what = "points layer"
    pc = check_mapping(popup_cols, what="popup_cols")
    check_cols(gdf, [kind_col, name_col, *pc.values()], what=what)
    n_missing = int(gdf[kind_col].isna().sum())
    if n_missing:
        raise InputError(f"{what}: {n_missing} row(s) have no value in {kind_col!r}")
    labels = dict(kind_labels or {})
    prep = display.prepare(gdf, what=what, kind="point")
    kind_series = pd.Series(gdf[kind_col].to_numpy()[prep.rows])
    names = gdf[name_col].to_numpy()[prep.rows]
    extra = _rows_table(gdf, pc, prep.rows)
    all_kinds = sorted(set(gdf[kind_col].tolist()), key=str)
    pool = qualitative()
    default = {k: pool[i % len(pool)] for i, k in enumerate(all_kinds)}
    kinds = [k for k in all_kinds if (kind_series == k).any()]  # kinds with a point drawn
    pop_labels = [ui_text(lang, "kind"), *pc]
    layers: list[LayerSpec] = []
    rows: list[dict[str, Any]] = []
    for k in kinds:
        color = check_color((colors or {}).get(k, default[k]), what=what)
        label = str(labels.get(k, k))
        sel = np.flatnonzero((kind_series == k).to_numpy())
        props = [{"n": fmt_value(names[j]), "p": [label, *extra[j]]} for j in sel]
        do_cluster = len(sel) > CLUSTER_THRESHOLD if cluster is None else bool(cluster)
        rows.append({"label": label, "layer": len(layers), "swatch": {"type": "dot", "color": color}})
        layers.append(_layer(
            label, prep.take(sel), props, style={}, point_color=color, cluster=do_cluster,
            show=show, pop=pop_labels,
        ))
    return Drawn(layers, LegendSection(str(legend_title or ui_text(lang, "facilities")), rows))



def polygon_layers(
    gdf: gpd.GeoDataFrame, display: Display, *, name: str, color: str,
    tooltip_cols: Mapping[str, str] | None, popup_cols: Mapping[str, str] | None,
    hatch: bool, fill_opacity: float, weight: float, show: bool, dash: bool = False,
    legend_label: str | None = None,
) -> Drawn:
    """Polygons of one class, filled, hatched or outlined; see ``MapBuilder.add_polygons``.

    ``fill_opacity=0`` draws outlines only (no fill at all, so nothing under them changes
    colour), shown in the legend as a line.
    """
    what = f"polygon layer {name!r}"
    check_color(color, what=what)
    tc = check_mapping(tooltip_cols, what="tooltip_cols")
    pc = check_mapping(popup_cols, what="popup_cols")
    check_cols(gdf, [*tc.values(), *pc.values()], what=what)
    prep = display.prepare(gdf, what=what, kind="polygon")
    tips = _rows_table(gdf, tc, prep.rows)
    pops = _rows_table(gdf, pc, prep.rows)
    props: list[dict[str, Any]] = []
    for i in range(len(prep.rows)):
        p: dict[str, Any] = {}
        if tc:
            p["t"] = tips[i]
        if pc:
            p["p"] = pops[i]
        props.append(p)
    layer_style: dict[str, Any] = {"color": color, "weight": weight, "opacity": 0.9}
    hatches: dict[str, str] = {}
    if hatch:
        pid = "bg-hatch-" + re.sub(r"[^0-9a-zA-Z]", "", color)
        hatches[pid] = color
        layer_style.update(fillColor=f"url(#{pid})", fillOpacity=1.0, weight=weight * 2, dashArray="6 3")
        swatch: dict[str, Any] = {"type": "hatch", "color": color}
    elif fill_opacity <= 0:
        layer_style.update(fill=False, **({"dashArray": "6 4"} if dash else {}))
        swatch = {"type": "line", "color": color, **({"dash": 1} if dash else {})}
    else:
        layer_style.update(fillColor=color, fillOpacity=fill_opacity, **({"dashArray": "6 4"} if dash else {}))
        swatch = {"type": "sw", "color": color, "border": True, "opacity": fill_opacity}
    layer = _layer(
        name, prep, props, style=layer_style, show=show, head=str(name),
        tip=list(tc) if tc else None, pop=list(pc) if pc else None,
    )
    rows = [{"label": str(legend_label or name), "layer": 0, "swatch": swatch}] if len(prep.rows) else []
    return Drawn([layer], LegendSection(None, rows), hatches)


def choropleth_layers(
    gdf: gpd.GeoDataFrame, display: Display, *, lang: str, value_col: str, name: str,
    legend_title: str, tooltip_cols: Mapping[str, str] | None,
    popup_cols: Mapping[str, str] | None, bins: int | Sequence[float] | str | IntegerClasses,
    colors: Sequence[str] | None, value_format: str | Callable[[float], str],
    fill_opacity: float, show: bool, outline_only: bool = False,
) -> Drawn:
    """Areas coloured by class of a value; see ``MapBuilder.add_choropleth``.

    The legend lists the classes that hold at least one drawn area (and "No data" when an
    area has no value); the colours keep their place in the whole scheme, so a class has
    the same colour whether or not its neighbours occur. ``outline_only`` colours the
    outlines by class and fills nothing.
    """
    what = f"choropleth layer {name!r}"
    tc = check_mapping(tooltip_cols, what="tooltip_cols")
    pc = check_mapping(popup_cols, what="popup_cols")
    check_cols(gdf, [value_col, *tc.values(), *pc.values()], what=what)
    raw = gdf[value_col]
    if not (pd.api.types.is_numeric_dtype(raw) or raw.isna().all()):
        raise InputError(f"{what}: column {value_col!r} must be numeric (got {raw.dtype})")
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    fmt: Callable[[float], str] = value_format.format if isinstance(value_format, str) else value_format
    scheme = classify(values, bins, fmt=fmt, what=what)
    palette = _palette(colors, class_colors, scheme.n, what=what, unit="classes")
    prep = display.prepare(gdf, what=what, kind="polygon")
    vals = values[prep.rows]
    cls = scheme.index(vals)
    tips = _rows_table(gdf, tc, prep.rows)
    pops = _rows_table(gdf, pc, prep.rows)
    no_data = ui_text(lang, "no_data")
    props = []
    for i, v in enumerate(vals):
        shown = scheme.value_text(v) if np.isfinite(v) else no_data
        p: dict[str, Any] = {"c": palette[cls[i]] if cls[i] >= 0 else NO_DATA, "t": [*tips[i], shown]}
        if pc:
            p["p"] = [*pops[i], shown]
        props.append(p)
    style: dict[str, Any] = {"color": OUTLINE, "weight": 0.8, "opacity": 0.9, "fillOpacity": fill_opacity}
    if outline_only:
        style = {"weight": 3.0, "opacity": 0.95, "fill": False, "strokeFromFill": True}
    layer = _layer(
        name, prep, props, style=style,
        show=show, tip=[*tc, str(legend_title)], pop=[*pc, str(legend_title)] if pc else None,
    )
    present = set(cls[cls >= 0].tolist())
    kind = "line" if outline_only else "sw"
    rows: list[dict[str, Any]] = [
        {"label": scheme.labels[k], "layer": 0,
         "swatch": {"type": kind, "color": palette[k], **({} if outline_only else {"opacity": fill_opacity})}}
        for k in range(scheme.n) if k in present
    ]
    if (cls < 0).any():
        rows.append({"label": no_data, "layer": 0,
                     "swatch": {"type": kind, "color": NO_DATA, **({} if outline_only else {"opacity": fill_opacity})}})
    return Drawn([layer], LegendSection(str(legend_title), rows))
