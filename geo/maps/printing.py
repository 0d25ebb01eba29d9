"""Print maps: the layers of a :class:`~geo.maps.MapBuilder` as a static figure (PNG, PDF, SVG).

A planner's report needs a figure, not a screenshot of a browser. :func:`print_map` draws,
with matplotlib (Agg) and geopandas, **the same layers the builder recorded** for its page:
each overlay shown on opening, with the geometries, per-feature colours and styles written
into the page (so the figure and the web map cannot disagree), the builder's context
(:mod:`geo.maps.context`) underneath, and around them:

- the title and the subtitle lines (wrapped to the width);
- a legend of the classes drawn (the page's legend rows of the layers drawn; a section
  heading only when something is listed under it) and of the context classes drawn;
- a metric scale bar of a round length (1, 2 or 5 x 10^k m) and a north arrow turned to
  true north at the map's centre;
- the data source (the context's attribution, e.g. "© OpenStreetMap contributors, ODbL",
  and the caller's ``source``) and the date.

Drawing is vectorised (one collection per class or layer, no per-feature Python loop).
Chinese text needs a CJK font: "WenQuanYi Micro Hei" (Debian ``fonts-wqy-microhei``) or
another one matplotlib finds (Noto Sans CJK, Source Han Sans, SimHei, Microsoft YaHei,
PingFang); a map in Chinese without one is refused with the package to install.

A PNG is ``width_px`` wide and carries its ``dpi`` (pHYs chunk); PDF and SVG have the same
page size (``width_px / dpi`` inches) with text as embedded TrueType (PDF) or paths (SVG).
Files are written atomically (:func:`geo.io.atomic_write`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import logging
import math
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import GeoWarning, InputError
from .context import CONTEXT_STYLE, context_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .builder import MapBuilder

__all__ = ["CJK_FONTS", "PRINT_FORMATS", "PrintedMap", "cjk_font", "fonts_for", "print_figure", "print_map"]

#: Formats of :func:`print_map`.
PRINT_FORMATS: Final = ("png", "pdf", "svg")
#: CJK font families looked for, in this order.
CJK_FONTS: Final = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                    "SimHei", "Microsoft YaHei", "PingFang SC")
_LATIN_FONT: Final = "DejaVu Sans"

_TEXT: Final = {
    "en": {"data": "Data", "date": "Date", "north": "N"},
    "zh": {"data": "数据", "date": "日期", "north": "北"},
}


@dataclass(frozen=True)
class PrintedMap:
    """A print map written by :func:`print_map`.

    Attributes
    ----------
    path
        The file written.
    fmt
        ``png``, ``pdf`` or ``svg``.
    width_px, height_px
        Size in pixels (of the PNG; for PDF/SVG the page is this size at ``dpi``).
    dpi
        Dots per inch (written into the PNG).
    legend_labels
        The legend rows of the overlays drawn, in order (section headings not included).
    legend_sections
        ``[(heading or None, [row labels])]`` as printed (overlays only).
    context_labels
        The context classes drawn (e.g. "Major roads", "Water").
    layers
        Names of the overlay layers drawn (those shown when the page opens).
    scale_bar_m
        Length of the scale bar, metres.
    extent
        ``(xmin, ymin, xmax, ymax)`` of the map, metres in ``crs``.
    crs
        The metric CRS the map is drawn in.
    """

    path: Path
    fmt: str
    width_px: int
    height_px: int
    dpi: int
    legend_labels: list[str]
    legend_sections: list[tuple[str | None, list[str]]]
    context_labels: list[str]
    layers: list[str]
    scale_bar_m: float
    extent: tuple[float, float, float, float]
    crs: str = ""


def _put(where: Any, x: float, y: float, text: str, **kw: Any) -> Any:
    """Text drawn as written: never parsed as mathtext (``$...$``) or TeX (data is never code)."""
    return where.text(x, y, str(text), parse_math=False, usetex=False, **kw)


def _has_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


_CJK_FILES: Final = ("wqy", "notosanscjk", "notoserifcjk", "sourcehansans", "simhei", "msyh", "pingfang")


@functools.cache
def _scan_system_fonts() -> None:
    """Register CJK font files that matplotlib's font cache predates (e.g. installed after it was built)."""
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        if any(k in os.path.basename(path).lower().replace("-", "").replace("_", "") for k in _CJK_FILES):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
                continue


def cjk_font() -> str | None:
    """The first CJK font family of :data:`CJK_FONTS` that matplotlib knows, or None."""
    from matplotlib import font_manager

    for attempt in range(2):
        names = {f.name for f in font_manager.fontManager.ttflist}
        found = next((f for f in CJK_FONTS if f in names), None)
        if found or attempt:
            return found
        _scan_system_fonts()
    return None


def fonts_for(lang: str, texts: list[str]) -> list[str]:
    """Font families for a print map in ``lang`` showing ``texts`` (a CJK one when any text needs it).

    An English map whose texts hold CJK characters (a plan quoted in Chinese, Chinese street
    names) without a CJK font is still printed, with a warning that those characters show as
    boxes.

    Raises
    ------
    InputError
        If the map is in Chinese and matplotlib finds no CJK font (the message names the
        package to install).
    """
    cjk_texts = sum(1 for t in texts if _has_cjk(t))
    if lang != "zh" and not cjk_texts:
        return [_LATIN_FONT]
    cjk = cjk_font()
    if cjk is None:
        fix = "install one (Debian/Ubuntu: apt-get install fonts-wqy-microhei)"
        if lang == "zh":
            raise InputError(
                f"cannot print the map in Chinese: matplotlib finds no CJK font ({', '.join(CJK_FONTS[:3])}...); "
                f"{fix}, or print it in English (--lang en)")
        warnings.warn(GeoWarning(f"print map: {cjk_texts} text(s) hold Chinese/Japanese/Korean characters and "
                                 f"matplotlib finds no CJK font, so they show as boxes; {fix}"), stacklevel=3)
        return [_LATIN_FONT]
    return [_LATIN_FONT, cjk] if lang == "en" else [cjk, _LATIN_FONT]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


_TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f][\s]*|[^\s\u2e80-\u9fff"
                    r"\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+\s*|\s+")


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns (CJK characters count two).

    Lines break between words, or between any two CJK characters; a word longer than a
    line is cut.
    """
    if _width(text) <= width:
        return [text]
    lines: list[str] = []
    cur = ""
    for tok in _TOKEN.findall(text):
        while _width(tok.rstrip()) > width:  # a word longer than a line (Latin: one column a letter)
            if cur.strip():
                lines.append(cur.rstrip())
            lines.append(tok[:width])
            cur, tok = "", tok[width:]
        if _width((cur + tok).rstrip()) > width and cur:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    return lines or [text]


def _nice_length(max_m: float) -> float:
    """The largest 1, 2 or 5 x 10^k metres not above ``max_m``."""
    k = math.floor(math.log10(max(max_m, 1e-9)))
    for f in (5, 2, 1):
        if f * 10 ** k <= max_m:
            return float(f * 10 ** k)
    return float(10 ** (k - 1) * 5)


def _metres(v: float) -> str:
    return f"{v / 1000:g} km" if v >= 1000 else f"{v:g} m"


# ---------------------------------------------------------------------------- layers drawn
@dataclass
class _Overlay:
    name: str
    gdf: gpd.GeoDataFrame  # metric CRS; per feature "c" colour (or None), "o" outline only, "d" dash rank
    style: dict[str, Any]
    point_color: str
    index: int


def _overlays(mb: MapBuilder, crs: pyproj.CRS) -> list[_Overlay]:
    """The page's overlays shown on opening, read back from their GeoJSON, in ``crs``."""
    out = []
    for i, spec in enumerate(mb._layers):
        if not spec.show:
            continue
        fc = json.loads(spec.geojson)
        feats = fc.get("features") or []
        if not feats:
            continue
        geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in feats]
        props = [f.get("properties") or {} for f in feats]
        colors = [p.get("c") for p in props]
        gs = gpd.GeoSeries(geoms, crs=4326)
        if mb.gcj02:
            from ..coords import convert_geoseries

            gs = convert_geoseries(gs, src="gcj02", dst="wgs84")
        # c: colour, o: outline only, d: dash rank (the page's per-feature style, page.js bgStyle)
        gdf = gpd.GeoDataFrame({"c": colors, "o": [int(bool(p.get("o"))) for p in props],
                                "d": [int(p.get("d") or 0) for p in props]}, geometry=gs.to_crs(crs).values, crs=crs)
        out.append(_Overlay(spec.name, gdf, dict(spec.style), spec.point_color, i))
    return out


def _metric_crs(mb: MapBuilder) -> pyproj.CRS:
    if mb.context is not None:
        return mb.context.crs
    x0, y0, x1, y1 = mb._bounds()
    box = gpd.GeoSeries([shapely.box(x0, y0, x1, y1)], crs=4326)
    return pyproj.CRS.from_user_input(box.estimate_utm_crs())


def _lw(weight: Any, factor: float = 0.45) -> float:
    """A Leaflet line width (CSS px) as a print line width (pt)."""
    try:
        return max(0.1, float(weight) * factor)
    except (TypeError, ValueError):
        return 0.45


def _dashes(dash: Any) -> Any:
    if not dash:
        return "solid"
    try:
        seq = [float(v) * 0.45 for v in str(dash).replace(",", " ").split()]
    except ValueError:
        return "solid"
    return (0, tuple(seq)) if seq and all(v > 0 for v in seq) else "solid"


def _draw_overlay(ax: Axes, ov: _Overlay, hatches: dict[str, str], zorder: int) -> None:
    """One overlay, styled as the page styles it (Leaflet path options, per-feature colours)."""
    from matplotlib.colors import to_rgba

    st = ov.style
    gdf = ov.gdf
    types = shapely.get_type_id(np.asarray(gdf.geometry.values))
    pts = gdf.loc[types == 0]
    if len(pts):
        ax.scatter(pts.geometry.x, pts.geometry.y, s=22, c=ov.point_color, edgecolors="white", linewidths=0.6,
                   zorder=50 + zorder)
    shapes = gdf.loc[types != 0]
    if not len(shapes):
        return
    per = shapes["c"].to_numpy(dtype=object)
    fill_color = st.get("fillColor", st.get("color", "#3388ff"))
    hatch_color = None
    if isinstance(fill_color, str) and fill_color.startswith("url(#"):
        hatch_color = hatches.get(fill_color[5:-1], st.get("color", "#000000"))
    stroke = st.get("stroke", True) is not False
    fill = st.get("fill", True) is not False
    fop = float(st.get("fillOpacity", 0.2))
    sop = float(st.get("opacity", 1.0))
    lw = _lw(st.get("weight", 3)) if stroke else 0.0
    ls = _dashes(st.get("dashArray"))
    base_stroke = st.get("color", "#3388ff")
    # per feature, as the page's bgStyle: ``o`` = an outline over filled bands (no fill, stroke in
    # the feature's colour), ``d`` = a dash rank; features of one (o, d) are drawn together
    outline = (shapes["o"].fillna(0).astype(bool).to_numpy() if "o" in shapes
               else np.zeros(len(shapes), dtype=bool))
    dash = shapes["d"].fillna(0).astype(int).to_numpy() if "d" in shapes else np.zeros(len(shapes), dtype=int)
    out_lw = _lw(st["outlineWeight"]) if st.get("outlineWeight") is not None else lw
    for o_val, d_val in sorted({(bool(a), int(b)) for a, b in zip(outline, dash, strict=True)}):
        sel = (outline == o_val) & (dash == d_val)
        faces: list[tuple[float, float, float, float]] = []
        edges: list[tuple[float, float, float, float]] = []
        for c in per[sel]:
            fc = c if isinstance(c, str) and c else fill_color
            ec = c if ((st.get("strokeFromFill") or o_val) and isinstance(c, str) and c) else base_stroke
            if o_val:
                faces.append((0.0, 0.0, 0.0, 0.0))
                edges.append(to_rgba(ec, 0.95))
                continue
            if hatch_color is not None:
                faces.append(to_rgba(hatch_color, 0.12))
            else:
                faces.append(to_rgba(fc, fop) if fill else (0.0, 0.0, 0.0, 0.0))
            edges.append(to_rgba(ec, sop) if stroke else (0.0, 0.0, 0.0, 0.0))
        g_ls = _dashes(_DASH_RANKS[min(d_val, 3) - 1]) if d_val else ls
        kw: dict[str, Any] = {"linewidth": out_lw if o_val else lw, "linestyle": g_ls, "zorder": 10 + zorder}
        if hatch_color is not None and not o_val:
            kw.update(hatch="////", hatchcolor=to_rgba(hatch_color, 0.85))
        shapes.loc[sel].geometry.plot(ax=ax, facecolor=faces, edgecolor=edges, **kw)


#: the page's dash patterns of dash ranks 1-3 (page.js bgStyle)
_DASH_RANKS = ("6 4", "2 4", "10 4 2 4")


def _line_collection(geoms: np.ndarray) -> list[np.ndarray]:
    parts = shapely.get_parts(geoms)
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    if not len(coords):
        return []
    cuts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    return [a for a in np.split(coords, cuts[1:]) if len(a) >= 2]


def _draw_context(ax: Axes, mb: MapBuilder, extent: tuple[float, float, float, float],
                  fonts: list[str]) -> list[str]:
    """The context classes under the overlays; returns the labels of the classes drawn."""
    from matplotlib.collections import LineCollection
    from matplotlib.patheffects import withStroke

    ctx = mb.context
    if ctx is None:
        return []
    x0, y0, x1, y1 = extent
    pad = 0.02 * max(x1 - x0, y1 - y0)
    window = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    tol = max(0.5, (x1 - x0) / 3000.0)
    drawn = []
    for name, geoms in ctx.classes(window, tol_m=tol).items():
        st = CONTEXT_STYLE[name]
        if name == "water":
            gpd.GeoSeries(geoms, crs=ctx.crs).plot(ax=ax, facecolor=st["fill"], edgecolor=st["color"],
                                                   linewidth=st["lw"], zorder=1)
        else:
            segs = _line_collection(geoms)
            if not segs:
                continue
            ls = (0, tuple(v * 0.5 for v in st["dash"])) if "dash" in st else "solid"
            z = {"waterways": 1.5, "minor": 2, "street": 2.2, "major": 2.4, "rail": 2.6}[name]
            ax.add_collection(LineCollection(segs, colors=st["color"], linewidths=st["lw"], linestyles=ls,
                                             capstyle="butt" if "dash" in st else "round", zorder=z))
        drawn.append(name)
    halo = [withStroke(linewidth=1.6, foreground="white")]
    for name, x, y in ctx.place_points(window):
        if x0 <= x <= x1 and y0 <= y <= y1:
            _put(ax, x, y, name, fontsize=6, fontweight="bold", color=CONTEXT_STYLE["place_label"]["color"],
                    ha="center", va="center", zorder=45, path_effects=halo, family=fonts, clip_on=True)
    for name, x, y, ang in ctx.road_points(window):
        if x0 <= x <= x1 and y0 <= y <= y1:
            _put(ax, x, y, name, fontsize=4.5, fontstyle="italic", color=CONTEXT_STYLE["road_label"]["color"],
                    rotation=ang, rotation_mode="anchor", ha="center", va="center", zorder=44, path_effects=halo,
                    family=fonts, clip_on=True)
    order = ["major", "street", "minor", "water", "waterways", "rail"]
    return [n for n in order if n in drawn]


# ---------------------------------------------------------------------------- legend
def _context_classes(mb: MapBuilder) -> list[str]:
    """The context classes the map may draw (before clipping), in legend order."""
    ctx = mb.context
    if ctx is None:
        return []
    have = set()
    if ctx.streets is not None:
        have |= set(ctx.streets["cls"].unique())
    have |= {n for n in ("water", "waterways", "rail") if getattr(ctx, n) is not None}
    return [n for n in ("major", "street", "minor", "water", "waterways", "rail") if n in have]


def _legend_rows(mb: MapBuilder, drawn: set[int]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """The page's legend sections, rows of the layers drawn only; empty sections left out."""
    out = []
    for sec in mb.legend():  # the page's legend: empty sections left out, untitled ones merged
        rows = [r for r in sec["rows"] if r.get("layer") is None or r["layer"] in drawn]
        if rows:
            out.append((sec["title"], rows))
    return out


#: Legend geometry, inches: row height, swatch size, gap between swatch and text.
_ROW_IN, _SW_W, _SW_H, _SW_GAP = 0.14, 0.2, 0.09, 0.07
_LEGEND_COLS = 34  # text columns of a legend label (CJK characters count two)


def _legend_entries(sections: list[tuple[str | None, list[dict[str, Any]]]], context: list[str],
                    lang: str) -> list[tuple[str, dict[str, Any] | None, list[str]]]:
    """``(kind, swatch, lines)`` rows of the printed legend: ``heading``, ``row`` or ``context``."""
    out: list[tuple[str, dict[str, Any] | None, list[str]]] = []
    for title, rows in sections:
        if title:
            out.append(("heading", None, _wrap(str(title), _LEGEND_COLS + 4)))
        for r in rows:
            out.append(("row", r.get("swatch") or {}, _wrap(str(r.get("label", "")), _LEGEND_COLS)))
    if context:
        out.append(("heading", None, [context_text(lang, "legend")]))
        out += [("context", {"cls": name}, _wrap(context_text(lang, name), _LEGEND_COLS)) for name in context]
    return out


def _legend_height(entries: list[tuple[str, dict[str, Any] | None, list[str]]]) -> float:
    return sum(_ROW_IN * (len(lines) * 0.8 + 0.2) + (0.05 if kind == "heading" else 0.0)
               for kind, _, lines in entries)


def _swatch(ax: Axes, sw: dict[str, Any], x: float, y: float) -> None:
    """One legend swatch with its left edge at ``x`` and its middle at ``y`` (inches)."""
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    if "cls" in sw:  # a context class
        st = CONTEXT_STYLE[sw["cls"]]
        if sw["cls"] == "water":
            ax.add_patch(Rectangle((x, y - _SW_H / 2), _SW_W, _SW_H, facecolor=st["fill"], edgecolor=st["color"],
                                   linewidth=0.4))
        else:
            ls: Any = (0, tuple(v * 0.6 for v in st["dash"])) if "dash" in st else "solid"
            ax.add_line(Line2D([x, x + _SW_W], [y, y], color=st["color"], linewidth=max(st["lw"] * 1.6, 0.6),
                               linestyle=ls))
        return
    color = sw.get("color", "#888888")
    kind = sw.get("type")
    if kind == "dot":
        ax.add_line(Line2D([x + _SW_W / 2], [y], linestyle="none", marker="o", markersize=4.5,
                           markerfacecolor=color, markeredgecolor="white", markeredgewidth=0.6))
        return
    if kind == "line":
        ax.add_line(Line2D([x, x + _SW_W], [y], color=color, linewidth=1.2))
        return
    box = (x, y - _SW_H / 2)
    if kind == "hatch":
        ax.add_patch(Rectangle(box, _SW_W, _SW_H, facecolor=to_rgba(color, 0.12), edgecolor=color, hatch="//////",
                               hatchcolor=color, linestyle=(0, (3, 1.5)), linewidth=0.8))
    elif sw.get("outline"):
        ax.add_patch(Rectangle(box, _SW_W, _SW_H, facecolor="none", edgecolor=color, linewidth=1.0))
    else:
        edge = color if sw.get("border") else to_rgba("#000000", 0.45)
        ax.add_patch(Rectangle(box, _SW_W, _SW_H, facecolor=to_rgba(color, float(sw.get("opacity", 1.0))),
                               edgecolor=edge, linewidth=0.5))


def _draw_legend(ax: Axes, entries: list[tuple[str, dict[str, Any] | None, list[str]]], *, width_in: float,
                 height_in: float, fonts: list[str]) -> None:
    """The legend, drawn row by row in an axes whose data units are inches from its top left."""
    ax.set_xlim(0, width_in)
    ax.set_ylim(-height_in, 0)
    y = 0.0
    for kind, sw, lines in entries:
        if kind == "heading":
            y -= 0.05
        h = _ROW_IN * (len(lines) * 0.8 + 0.2)
        mid = y - _ROW_IN * 0.5
        if kind == "heading":
            _put(ax, 0, mid, "\n".join(lines), fontsize=6, fontweight="bold", va="center", ha="left", family=fonts)
        else:
            _swatch(ax, sw or {}, 0.02, mid)
            tx = 0.02 + _SW_W + _SW_GAP
            if len(lines) == 1:
                _put(ax, tx, mid, lines[0], fontsize=6, va="center", ha="left", family=fonts)
            else:
                _put(ax, tx, mid + _ROW_IN * 0.3, "\n".join(lines), fontsize=6, va="top", ha="left",
                        family=fonts, linespacing=1.15)
        y -= h


# ---------------------------------------------------------------------------- furniture
def _north_angle(crs: pyproj.CRS, x: float, y: float) -> float:
    """Angle (degrees, counter-clockwise from the map's up) of true north at (x, y)."""
    to_ll = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    to_xy = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    lon, lat = to_ll.transform(x, y)
    x2, y2 = to_xy.transform(lon, min(lat + 0.01, 89.9))
    return math.degrees(math.atan2(-(x2 - x), y2 - y))


def _north_arrow(ax: Axes, angle: float, label: str, fonts: list[str]) -> None:
    from matplotlib.patches import Polygon

    cx, cy, r = 0.955, 0.9, 0.035
    a = math.radians(angle)
    aspect = ax.bbox.height / max(ax.bbox.width, 1e-9)

    def rot(dx: float, dy: float) -> tuple[float, float]:
        x = dx * math.cos(a) - dy * math.sin(a)
        y = dx * math.sin(a) + dy * math.cos(a)
        return cx + x * aspect, cy + y

    tip, left, right, tail = rot(0, r), rot(-r * 0.45, -r * 0.8), rot(r * 0.45, -r * 0.8), rot(0, -r * 0.35)
    ax.add_patch(Polygon([tip, left, tail], closed=True, transform=ax.transAxes, facecolor="#222222",
                         edgecolor="#222222", linewidth=0.4, zorder=60))
    ax.add_patch(Polygon([tip, right, tail], closed=True, transform=ax.transAxes, facecolor="white",
                         edgecolor="#222222", linewidth=0.4, zorder=60))
    lx, ly = rot(0, r * 1.45)
    _put(ax, lx, ly, label, transform=ax.transAxes, ha="center", va="center", fontsize=7, fontweight="bold",
            zorder=60, family=fonts)


def _scale_bar(ax: Axes, extent: tuple[float, float, float, float], fonts: list[str]) -> float:
    """A two-part scale bar at the lower left; returns its length in metres."""
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = extent
    length = _nice_length((x1 - x0) * 0.25)
    bx, by = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.035
    h = (y1 - y0) * 0.008
    ax.add_patch(Rectangle((bx - (x1 - x0) * 0.01, by - h * 1.5), length + (x1 - x0) * 0.02, h * 6.0,
                           facecolor="white", edgecolor="none", alpha=0.75, zorder=59))
    for k, color in enumerate(("#222222", "white")):
        ax.add_patch(Rectangle((bx + k * length / 2, by), length / 2, h, facecolor=color, edgecolor="#222222",
                               linewidth=0.4, zorder=60))
    for x, text in ((bx, "0"), (bx + length, _metres(length))):
        _put(ax, x, by + h * 1.6, text, ha="center", va="bottom", fontsize=5.5, zorder=61, family=fonts)
    return length


# ---------------------------------------------------------------------------- figure
def _layout(extent: tuple[float, float, float, float], *, width_in: float, head_in: float,
            legend_in: float) -> tuple[tuple[float, float, float, float], float, float]:
    """(extent grown to the map box's shape, map width and height in inches)."""
    margin, legend_w, gap = 0.25, max(1.7, 0.27 * width_in), 0.15
    map_w = width_in - 2 * margin - legend_w - gap
    x0, y0, x1, y1 = extent
    dx, dy = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    map_h = float(np.clip(map_w * dy / dx, 0.5 * map_w, 1.45 * map_w))
    map_h = max(map_h, legend_in)
    # grow the extent to the box's shape (no distortion)
    want = map_h / map_w
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if dy / dx < want:
        dy = dx * want
    else:
        dx = dy / want
    return (cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2), map_w, map_h


def print_figure(mb: MapBuilder, *, width_px: int = 2400, dpi: int = 300, source: str | None = None,
                 date: str | None = None) -> tuple[Figure, PrintedMap]:
    """The print map of ``mb`` as a matplotlib figure (not written), and what it holds.

    The :class:`PrintedMap`'s ``path`` is empty and ``fmt`` is ``""``; :func:`print_map`
    writes the figure and fills them in. Parameters as in :func:`print_map`.
    """
    if not isinstance(width_px, int) or isinstance(width_px, bool) or not 600 <= width_px <= 20000:
        raise InputError(f"width_px must be a whole number of pixels in 600-20000, got {width_px!r}")
    if not isinstance(dpi, int) or isinstance(dpi, bool) or not 72 <= dpi <= 1200:
        raise InputError(f"dpi must be a whole number in 72-1200, got {dpi!r}")
    from matplotlib.figure import Figure  # no pyplot: savefig picks Agg (PNG) or the PDF/SVG backend

    lang = mb.lang
    T = _TEXT[lang]
    day = date or _dt.date.today().isoformat()
    crs = _metric_crs(mb)
    overlays = _overlays(mb, crs)
    if not overlays:
        mb._bounds()  # raises DataError when there is nothing at all
    sections = _legend_rows(mb, {ov.index for ov in overlays})
    foot = [t for t in ((mb.context.attribution if mb.context is not None else ""),
                        f"{T['data']}: {source}" if source else "", f"{T['date']}: {day}") if t]
    footer = "  ·  ".join(foot)
    texts = [mb.title, *mb.subtitle_lines, footer, *(s[0] or "" for s in sections),
             *(str(r.get("label", "")) for s in sections for r in s[1])]
    if mb.context is not None:
        for layer in (mb.context.labels, mb.context.streets):  # place and road names
            if layer is not None:
                texts += [str(n) for n in pd.unique(layer["name"].dropna())]
    fonts = fonts_for(lang, texts)
    width_in = width_px / dpi
    cols = int((width_in - 0.5) * 72 / 6.5 * 1.9)  # 6.5 pt subtitle text, ~0.53 em per Latin letter
    sub = [w for line in mb.subtitle_lines for w in _wrap(line, cols)]
    title = _wrap(mb.title, int(cols * 6.5 / 11))
    head_in = 0.2 * len(title) + 0.03 + 0.115 * len(sub) + 0.12
    legend_in = _legend_height(_legend_entries(sections, _context_classes(mb), lang)) + 0.1
    if overlays:
        bx = np.array([ov.gdf.total_bounds for ov in overlays])
        raw = (float(bx[:, 0].min()), float(bx[:, 1].min()), float(bx[:, 2].max()), float(bx[:, 3].max()))
    else:
        raw = (0.0, 0.0, 1.0, 1.0)
    span = max(raw[2] - raw[0], raw[3] - raw[1], 200.0)
    padded = (raw[0] - 0.04 * span, raw[1] - 0.04 * span, raw[2] + 0.04 * span, raw[3] + 0.04 * span)
    extent, map_w, map_h = _layout(padded, width_in=width_in, head_in=head_in, legend_in=legend_in)
    foot_in = 0.3
    height_in = 0.25 + head_in + map_h + foot_in + 0.1
    height_px = int(round(height_in * dpi))
    height_in = height_px / dpi

    fig = Figure(figsize=(width_in, height_in), dpi=dpi, facecolor="white")
    margin = 0.25
    ax = fig.add_axes((margin / width_in, (foot_in + 0.1) / height_in, map_w / width_in, map_h / height_in))
    ax.set_facecolor(CONTEXT_STYLE["background"]["color"])
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_linewidth(0.5)
        sp.set_color("#777777")
    context = _draw_context(ax, mb, extent, fonts)
    hatches = dict(mb._hatches)
    for k, ov in enumerate(overlays):
        _draw_overlay(ax, ov, hatches, k)
    ax.set_xlabel("")
    ax.set_ylabel("")  # geopandas labels the axes with the CRS's; the scale bar says the scale
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal", adjustable="box")
    scale_m = _scale_bar(ax, extent, fonts)
    cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
    _north_arrow(ax, _north_angle(crs, cx, cy), T["north"], fonts)
    # title block
    y = 1 - 0.25 / height_in
    for line in title:
        _put(fig, margin / width_in, y, line, fontsize=11, fontweight="bold", va="top", family=fonts)
        y -= 0.2 / height_in
    y -= 0.03 / height_in
    for line in sub:
        _put(fig, margin / width_in, y, line, fontsize=6.5, va="top", color="#333333", family=fonts)
        y -= 0.115 / height_in
    leg_left = (margin + map_w + 0.15) / width_in
    lax_w = width_in - margin - (margin + map_w + 0.15)
    lax = fig.add_axes((leg_left, (foot_in + 0.1) / height_in, lax_w / width_in, map_h / height_in))
    lax.set_axis_off()
    _draw_legend(lax, _legend_entries(sections, context, lang), width_in=lax_w, height_in=map_h, fonts=fonts)
    _put(fig, margin / width_in, 0.12 / height_in, footer, fontsize=5.5, color="#444444", va="bottom", family=fonts)

    info = PrintedMap(
        path=Path(), fmt="", width_px=width_px, height_px=height_px, dpi=dpi,
        legend_labels=[str(r.get("label", "")) for _, rows in sections for r in rows],
        legend_sections=[(t, [str(r.get("label", "")) for r in rows]) for t, rows in sections],
        context_labels=[context_text(lang, n) for n in context], layers=[ov.name for ov in overlays],
        scale_bar_m=scale_m, extent=(float(extent[0]), float(extent[1]), float(extent[2]), float(extent[3])),
        crs=crs.to_string(),
    )
    return fig, info


def print_map(
    mb: MapBuilder,
    path: str | os.PathLike[str],
    *,
    fmt: str = "png",
    width_px: int = 2400,
    dpi: int = 300,
    source: str | None = None,
    date: str | None = None,
) -> PrintedMap:
    """Draw ``mb``'s layers as a print map and write it to ``path``.

    Parameters
    ----------
    mb
        The map builder: its overlays shown on opening, its legend and its context.
    path
        Output file (its suffix is not checked; ``fmt`` decides the format).
    fmt
        ``"png"`` (default), ``"pdf"`` or ``"svg"``.
    width_px
        Width in pixels (600-20000); the height follows from the map's shape.
    dpi
        Dots per inch (72-1200): the page is ``width_px / dpi`` inches wide.
    source
        The data source, printed after the context's attribution (e.g. the OSM file).
    date
        Date printed (default: today, ISO ``YYYY-MM-DD``).

    Returns
    -------
    PrintedMap

    Raises
    ------
    InputError
        For a bad format, width or dpi, Chinese text without a CJK font, or a file that
        cannot be written.
    DataError
        If the map has no layer with anything to draw.
    """
    if fmt not in PRINT_FORMATS:
        raise InputError(f"unknown print format {fmt!r}; choose one of {', '.join(PRINT_FORMATS)}",
                         option="print_format")
    import matplotlib

    from ..io import atomic_write

    # CJK fonts have no bold face: matplotlib would log "Failed to find font weight bold" per text
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)
    try:
        fig, info = print_figure(mb, width_px=width_px, dpi=dpi, source=source, date=date)
        meta: dict[str, Any] = {"Title": mb.title}
        if fmt == "png":
            meta["Software"] = "beichen-geo (matplotlib)"

        def write(tmp: Path) -> None:
            with matplotlib.rc_context({"pdf.fonttype": 42, "svg.fonttype": "path", "hatch.linewidth": 0.5}), \
                    warnings.catch_warnings():
                # CJK text without a CJK font was said once by fonts_for, not once per character
                warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from (current )?font")
                fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", metadata=meta)

        out = atomic_write(path, write)
    finally:
        fm_log.setLevel(level)
    return dataclasses.replace(info, path=Path(out), fmt=fmt)
