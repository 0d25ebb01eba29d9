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
from .geometry import Display, Prepared
from .style import (
    CHOROPLETH_OUTLINE,
    DEFAULT_POINT,
    NO_DATA,
    band_colors,
    check_color,
    class_colors,
    kind_color,
)
from .text import fmt_minutes, fmt_value, ui_text

__all__ = [
    "Drawn",
    "LayerSpec",
    "LegendSection",
    "band_layers",
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
    point_color: str = DEFAULT_POINT
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


def band_layers(
    gdf: gpd.GeoDataFrame, display: Display, *, lang: str, minutes_col: str, name: str | None,
    legend_title: str | None, colors: Sequence[str] | None, fill_opacity: float, show: bool,
) -> Drawn:
    """Nested isochrone bands as one layer (largest drawn first); see ``MapBuilder.add_bands``."""
    what = f"bands layer {name or ''}".strip()
    check_cols(gdf, [minutes_col], what=what)
    minutes = pd.to_numeric(gdf[minutes_col], errors="coerce").to_numpy(dtype=float)
    if np.isnan(minutes).any() or (minutes <= 0).any():
        raise InputError(f"{what}: column {minutes_col!r} must hold positive minutes")
    levels = sorted(set(minutes.tolist()))
    palette = _palette(colors, band_colors, len(levels), what=what, unit="bands")
    color_of = dict(zip(levels, palette, strict=False))  # palette may hold more colours
    prep = display.prepare(gdf, what=what, kind="polygon")
    m = minutes[prep.rows]
    order = np.argsort(-m, kind="stable")  # largest first: drawn underneath
    prep, m = prep.take(order), m[order]
    tooltip = ui_text(lang, "band_tooltip")
    props = [{"c": color_of[v], "n": tooltip.format(m=fmt_minutes(v))} for v in m]
    layer = _layer(
        name or ui_text(lang, "bands"), prep, props,
        style={"weight": 1, "opacity": 0.7, "fillOpacity": fill_opacity, "strokeFromFill": True},
        show=show,
    )
    rows = [
        {
            "label": ui_text(lang, "band_label").format(m=fmt_minutes(v)),
            "layer": 0,
            "swatch": {"type": "sw", "color": color_of[v], "opacity": 0.8},
        }
        for v in levels
    ]
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
    kinds = sorted(set(gdf[kind_col].tolist()), key=str)
    pop_labels = [ui_text(lang, "kind"), *pc]
    layers: list[LayerSpec] = []
    rows: list[dict[str, Any]] = []
    for i, k in enumerate(kinds):
        color = check_color((colors or {}).get(k, kind_color(i)), what=what)
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
    hatch: bool, fill_opacity: float, weight: float, show: bool,
) -> Drawn:
    """Polygons of one class, plain or hatched; see ``MapBuilder.add_polygons``."""
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
    else:
        layer_style.update(fillColor=color, fillOpacity=fill_opacity)
        swatch = {"type": "sw", "color": color, "border": True}
    layer = _layer(
        name, prep, props, style=layer_style, show=show, head=str(name),
        tip=list(tc) if tc else None, pop=list(pc) if pc else None,
    )
    return Drawn([layer], LegendSection(None, [{"label": str(name), "layer": 0, "swatch": swatch}]),
                 hatches)


def class_edges(values: np.ndarray, bins: int | Sequence[float], *, what: str) -> np.ndarray:
    """Class edges: ``bins`` equal-width classes over the finite ``values``, or ``bins`` itself.

    Raises
    ------
    InputError
        For fewer than one class, or edges that are not >= 2 increasing finite numbers.
    """
    finite = values[np.isfinite(values)]
    if isinstance(bins, int) and not isinstance(bins, bool):
        if bins < 1:
            raise InputError(f"{what}: bins must be >= 1, got {bins}")
        if finite.size == 0:
            return np.array([0.0, 1.0])
        if finite.min() == finite.max():
            return np.array([finite.min(), finite.max()])
        return np.linspace(finite.min(), finite.max(), bins + 1)
    try:
        given: Any = bins  # a sequence of numbers, or something else (refused below)
        edges = np.asarray(list(given), dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: bins must be an int or a list of numbers") from exc
    if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise InputError(f"{what}: bin edges must be >= 2 increasing numbers, got {edges.tolist()}")
    return edges


def _class_rows(edges: np.ndarray, palette: Sequence[str], fmt: Callable[[float], str],
                *, no_data: str | None) -> list[dict[str, Any]]:
    """Legend rows of the classes ``lo – hi`` (and of "no data" when ``no_data`` is given)."""
    rows = []
    for k in range(edges.size - 1):
        lo, hi = str(fmt(edges[k])), str(fmt(edges[k + 1]))
        label = lo if lo == hi else f"{lo} – {hi}"
        rows.append({"label": label, "layer": 0, "swatch": {"type": "sw", "color": palette[k]}})
    if no_data is not None:
        rows.append({"label": no_data, "layer": 0, "swatch": {"type": "sw", "color": NO_DATA}})
    return rows


def choropleth_layers(
    gdf: gpd.GeoDataFrame, display: Display, *, lang: str, value_col: str, name: str,
    legend_title: str, tooltip_cols: Mapping[str, str] | None,
    popup_cols: Mapping[str, str] | None, bins: int | Sequence[float],
    colors: Sequence[str] | None, value_format: str | Callable[[float], str],
    fill_opacity: float, show: bool,
) -> Drawn:
    """Areas coloured by class of a value; see ``MapBuilder.add_choropleth``."""
    what = f"choropleth layer {name!r}"
    tc = check_mapping(tooltip_cols, what="tooltip_cols")
    pc = check_mapping(popup_cols, what="popup_cols")
    check_cols(gdf, [value_col, *tc.values(), *pc.values()], what=what)
    raw = gdf[value_col]
    if not (pd.api.types.is_numeric_dtype(raw) or raw.isna().all()):
        raise InputError(f"{what}: column {value_col!r} must be numeric (got {raw.dtype})")
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    fmt: Callable[[float], str] = value_format.format if isinstance(value_format, str) else value_format
    edges = class_edges(values, bins, what=what)
    n_cls = edges.size - 1
    palette = _palette(colors, class_colors, n_cls, what=what, unit="classes")
    prep = display.prepare(gdf, what=what, kind="polygon")
    vals = values[prep.rows]
    cls = np.clip(np.searchsorted(edges[1:-1], vals, side="right"), 0, n_cls - 1)
    tips = _rows_table(gdf, tc, prep.rows)
    pops = _rows_table(gdf, pc, prep.rows)
    no_data = ui_text(lang, "no_data")
    props = []
    for i, v in enumerate(vals):
        shown = str(fmt(v)) if np.isfinite(v) else no_data
        p: dict[str, Any] = {"c": palette[cls[i]] if np.isfinite(v) else NO_DATA,
                             "t": [*tips[i], shown]}
        if pc:
            p["p"] = [*pops[i], shown]
        props.append(p)
    layer = _layer(
        name, prep, props,
        style={"color": CHOROPLETH_OUTLINE, "weight": 0.8, "opacity": 0.9,
               "fillOpacity": fill_opacity},
        show=show, tip=[*tc, str(legend_title)], pop=[*pc, str(legend_title)] if pc else None,
    )
    rows = _class_rows(edges, palette, fmt, no_data=no_data if np.isnan(vals).any() else None)
    return Drawn([layer], LegendSection(str(legend_title), rows))
