"""Interactive web maps of accessibility results (Leaflet, through folium).

This module is the generic map engine: it knows nothing of a particular district. An
analysis builds a :class:`MapBuilder`, adds its layers and saves one HTML file:

>>> mb = MapBuilder(title="Primary schools", subtitle_lines=["Standard: 15 min walk"])
>>> mb.add_bands(bands, minutes_col="minutes")                     # doctest: +SKIP
>>> mb.add_points(schools, kind_col="kind", name_col="name")       # doctest: +SKIP
>>> mb.save("maps/schools.html")                                    # doctest: +SKIP

What it takes care of
---------------------
- **Coordinates.** Layers come in any CRS (usually metric). Geometries are simplified in
  metres (``simplify_m``, by default about 1/20000 of the layer's extent, 0.5-10 m, which is
  below one screen pixel at street zoom), then reprojected to EPSG:4326 and rounded to
  ``coord_decimals`` decimals (5 by default, about 1 m), so a district map stays a few MB.
- **Basemaps.** ``"osm"``, ``"positron"`` (CARTO), ``"tianditu"`` (vector + annotation
  WMTS, needs a key), ``"gaode"`` (AutoNavi) or ``"none"``. Gaode tiles are drawn in GCJ-02
  coordinates, so with ``basemap="gaode"`` every overlay is shifted WGS84 -> GCJ-02
  (:func:`geo.coords.convert_geoseries`) to line up with the tiles; the others stay WGS84.
- **Data is never code.** folium/branca render a page that holds no data: every text and
  value (title, subtitle lines, layer names, legend, tooltips, popups, GeoJSON, tile
  options) goes into one JSON block, ``<script type="application/json" id="bg-data">``,
  put into the page after rendering (and after asset inlining) with ``<``, ``>``, ``&``,
  U+2028/9 escaped. The page's own fixed code reads it and shows every text with
  ``textContent`` (layer names included: Leaflet's layers control is subclassed for that),
  so a name such as ``{{7*7}}`` or ``<img onerror=...>`` shows literally and is never
  evaluated as a Jinja template, HTML or script. No link is made from data; callers pass
  plain text (not HTML). Only columns named in ``*_cols`` reach the page.
- **Offline.** ``save(..., self_contained=True)`` (the default) inlines Leaflet, its CSS
  and images, and Leaflet.markercluster, taken from the PyPI packages ``XStatic-Leaflet``
  and ``XStatic-Leaflet-MarkerCluster``; the page then renders its vector layers with no
  network (tiles just fail to load). No plugin needs jQuery, Bootstrap or icon fonts, so
  they are not loaded. The fullscreen button is folium's ``Fullscreen`` plugin
  (leaflet.fullscreen, from a CDN) when ``self_contained=False``; no PyPI package ships
  that plugin, so self-contained pages use a small built-in button instead (browser
  Fullscreen API, with a full-window fallback).
- **Output.** Written atomically: a temporary file beside the target, then
  :func:`os.replace`.
"""

from __future__ import annotations

import base64
import html
import importlib
import json
import math
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from ._errors import DataError, GeoError, InputError

__all__ = [
    "BASEMAPS",
    "LANGS",
    "UI_TEXT",
    "MapBuilder",
    "inline_assets",
]

#: Basemap names accepted by :class:`MapBuilder`.
BASEMAPS: Final = ("osm", "positron", "gaode", "tianditu", "none")
#: Interface languages.
LANGS: Final = ("en", "zh")

#: Interface strings of the map, per language. ``{m}`` is a number of minutes.
UI_TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "walking_time": "Walking time (min)",
        "bands": "Walking-time bands",
        "band_tooltip": "Within {m} min walk",
        "band_label": "≤ {m}",
        "covered": "Covered",
        "not_covered": "Not covered",
        "no_data": "No data",
        "legend": "Legend",
        "facilities": "Facilities",
        "kind": "Type",
        "name": "Name",
        "no_basemap": "No basemap",
        "fullscreen": "Full screen",
        "exit_fullscreen": "Exit full screen",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "osm": "OpenStreetMap",
        "positron": "CARTO Positron",
        "gaode": "Gaode (AutoNavi)",
        "tianditu": "Tianditu",
    },
    "zh": {
        "walking_time": "步行时间（分钟）",
        "bands": "步行时间圈",
        "band_tooltip": "步行 {m} 分钟内",
        "band_label": "≤ {m}",
        "covered": "已覆盖",
        "not_covered": "未覆盖",
        "no_data": "无数据",
        "legend": "图例",
        "facilities": "设施",
        "kind": "类型",
        "name": "名称",
        "no_basemap": "无底图",
        "fullscreen": "全屏",
        "exit_fullscreen": "退出全屏",
        "zoom_in": "放大",
        "zoom_out": "缩小",
        "osm": "OpenStreetMap",
        "positron": "CARTO 浅色底图",
        "gaode": "高德地图",
        "tianditu": "天地图",
    },
}

# Colours: isochrone bands go from green (near) through yellow to orange (far).
_BAND_ANCHORS: Final = ("#1a9850", "#a6d96a", "#fee08b", "#f46d43")
# Sequential (YlGnBu) for choropleths.
_SEQ_ANCHORS: Final = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
# Qualitative (Tableau 10) for facility kinds.
_KIND_COLORS: Final = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
_NO_DATA_COLOR: Final = "#bdbdbd"
_COLOR_RE: Final = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$")
_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_\-]{8,128}$")

# Map zoom limit; tiles beyond their native zoom are stretched (vector layers stay sharp).
_MAX_ZOOM: Final = 19

#: Points of one kind are clustered above this count when ``cluster=None``.
CLUSTER_THRESHOLD: Final = 50

# Versions must match the XStatic packages that are inlined in self-contained mode.
_LEAFLET_VERSION: Final = "1.9.3"
_CLUSTER_VERSION: Final = "1.4.1"
_CDN: Final = "https://cdn.jsdelivr.net/npm"
_LEAFLET_JS: Final = f"{_CDN}/leaflet@{_LEAFLET_VERSION}/dist/leaflet.js"
_LEAFLET_CSS: Final = f"{_CDN}/leaflet@{_LEAFLET_VERSION}/dist/leaflet.css"
_CLUSTER_JS: Final = f"{_CDN}/leaflet.markercluster@{_CLUSTER_VERSION}/dist/leaflet.markercluster.js"
_CLUSTER_CSS: Final = f"{_CDN}/leaflet.markercluster@{_CLUSTER_VERSION}/dist/MarkerCluster.css"
_CLUSTER_CSS2: Final = (
    f"{_CDN}/leaflet.markercluster@{_CLUSTER_VERSION}/dist/MarkerCluster.Default.css"
)
# CDN URL -> (module of the XStatic package, file under its data folder).
_ASSETS: Final[dict[str, tuple[str, str]]] = {
    _LEAFLET_JS: ("xstatic.pkg.leaflet", "leaflet.js"),
    _LEAFLET_CSS: ("xstatic.pkg.leaflet", "leaflet.css"),
    _CLUSTER_JS: ("xstatic.pkg.leaflet_markercluster", "leaflet.markercluster.js"),
    _CLUSTER_CSS: ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
    _CLUSTER_CSS2: ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.Default.css"),
}
_ASSET_PIP: Final = "pip install XStatic-Leaflet XStatic-Leaflet-MarkerCluster"

_TIANDITU_URL: Final = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
_TIANDITU_ATTR: Final = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>'


# --------------------------------------------------------------------------- helpers
def _fmt_value(value: object) -> str:
    """Readable text for a data value (plain text; the page shows it as written)."""
    if value is None:
        return "–"
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return "–"
    except (TypeError, ValueError):
        pass
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"
    return str(value)


def _fmt_minutes(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _check_color(color: str, *, what: str) -> str:
    if not isinstance(color, str) or not _COLOR_RE.match(color):
        raise InputError(
            f"{what}: colour {color!r} is not a CSS hex colour (#rgb, #rrggbb) or colour name"
        )
    return color


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _ramp(anchors: Sequence[str], n: int) -> list[str]:
    """``n`` colours evenly interpolated (in RGB) along hex ``anchors``."""
    if n <= 0:
        return []
    if n == 1:
        return [anchors[0]]
    rgb = np.array([_hex_to_rgb(a) for a in anchors], dtype=float)
    pos = np.linspace(0.0, 1.0, len(anchors))
    t = np.linspace(0.0, 1.0, n)
    out = []
    for ti in t:
        r, g, b = (np.interp(ti, pos, rgb[:, k]) for k in range(3))
        out.append(f"#{int(round(r)):02x}{int(round(g)):02x}{int(round(b)):02x}")
    return out


def _json(obj: object) -> str:
    """Compact JSON text (``NaN``/``Infinity`` refused: ``JSON.parse`` cannot read them)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _script_safe(text: str) -> str:
    """JSON text made safe inside a ``<script>`` element, with the same meaning.

    ``<``, ``>`` and ``&`` become ``\\u003c`` etc. (so neither ``</script>`` nor ``<!--``
    can appear), and U+2028/U+2029 are escaped too. Only valid in JSON *strings*, where
    these characters can only occur.
    """
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_ATTRIBUTION_OK: Final = re.compile(r'^(?:[^<>"]|<a href="https?://[^"<>\s]+">[^<>"]*</a>)*$')


def _attribution(html_text: str, plain: str) -> str:
    """Tile attribution for Leaflet (which shows it as HTML).

    The attributions are constants of this module and of ``xyzservices`` (not data); still,
    one holding anything but text and ``<a href="http(s)://...">`` links is shown as
    escaped plain text.
    """
    if _ATTRIBUTION_OK.match(html_text):
        return html_text
    return html.escape(plain, quote=True)


def _check_cols(gdf: gpd.GeoDataFrame, cols: Sequence[str], *, what: str) -> None:
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        have = ", ".join(map(str, gdf.columns))
        raise InputError(f"{what}: column(s) {missing} not found; the layer has: {have}")


def _check_mapping(cols: Mapping[str, str] | None, *, what: str) -> dict[str, str]:
    if cols is None:
        return {}
    if not isinstance(cols, Mapping):
        raise InputError(f"{what} must be a mapping {{label: column}}, got {type(cols).__name__}")
    return {str(k): v for k, v in cols.items()}


def _is_metric(crs: pyproj.CRS) -> bool:
    if not crs.is_projected:
        return False
    units = {(a.unit_name or "").lower() for a in crs.axis_info[:2]}
    return units <= {"metre", "meter", "m"}


def _put(page: str, placeholder: str, text: str) -> str:
    """``page`` with its one ``placeholder`` replaced by ``text`` (literally)."""
    n = page.count(placeholder)
    if n != 1:
        raise GeoError(f"internal: the rendered map holds its data placeholder {n} times, not once")
    return page.replace(placeholder, text)


# --------------------------------------------------------------------------- assets
@lru_cache(maxsize=None)
def _asset_text(url: str) -> str:
    """Text of a packaged asset, CSS images turned into ``data:`` URIs."""
    module_name, filename = _ASSETS[url]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(
            f"self_contained=True needs the Leaflet files of the PyPI package for "
            f"{module_name!r} ({_ASSET_PIP}); or save with self_contained=False"
        ) from exc
    base = Path(module.BASE_DIR)
    text = (base / filename).read_text(encoding="utf-8")
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.M)
    if filename.endswith(".css"):

        def _inline(match: re.Match[str]) -> str:
            ref = match.group(1).strip("'\"")
            if ref.startswith(("data:", "#", "http:", "https:")):
                return match.group(0)
            png = base / ref
            if not png.is_file():
                return match.group(0)
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{data})"

        text = re.sub(r"url\(([^)]*)\)", _inline, text)
    return text


_SCRIPT_TAG: Final = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_CSS_TAG: Final = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')


def inline_assets(page: str) -> str:
    """Replace the known Leaflet ``<script src>``/``<link>`` tags by inline copies.

    Parameters
    ----------
    page
        A rendered HTML page.

    Returns
    -------
    str
        The page with every known asset inlined.

    Raises
    ------
    InputError
        If the XStatic packages holding the assets are not installed.
    GeoError
        If the page still references an external script or stylesheet afterwards.
    """

    def _script(match: re.Match[str]) -> str:
        url = match.group(1)
        if url not in _ASSETS:
            return match.group(0)
        body = _asset_text(url).replace("</script", "<\\/script")
        return f"<script>/* {url.rsplit('/', 1)[-1]} (inlined) */\n{body}\n</script>"

    def _css(match: re.Match[str]) -> str:
        url = match.group(1)
        if url not in _ASSETS:
            return match.group(0)
        body = _asset_text(url).replace("</style", "<\\/style")
        return f"<style>/* {url.rsplit('/', 1)[-1]} (inlined) */\n{body}\n</style>"

    out = _CSS_TAG.sub(_css, _SCRIPT_TAG.sub(_script, page))
    left = _SCRIPT_TAG.findall(out) + _CSS_TAG.findall(out)
    if left:
        raise GeoError(f"cannot make the map self-contained: no packaged copy of {left}")
    return out


# --------------------------------------------------------------------------- elements
_CSS: Final = """
<style>
.bg-ctl { background: rgba(255,255,255,0.93); border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.4); padding: 6px 10px;
  font: 12px/1.45 "Helvetica Neue", Arial, "PingFang SC", "Microsoft YaHei",
    "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; color: #222; }
.bg-title { max-width: 440px; }
.bg-title-main { font-size: 16px; font-weight: 700; margin-bottom: 2px; }
.bg-legend { max-height: 60vh; overflow-y: auto; min-width: 120px; }
.bg-legend-title { font-weight: 700; margin: 4px 0 2px; }
.bg-legend-row { white-space: nowrap; }
.bg-sw { display: inline-block; width: 18px; height: 12px; margin-right: 6px;
  vertical-align: middle; border: 1px solid rgba(0,0,0,0.45); box-sizing: border-box; }
.bg-dot { display: inline-block; width: 11px; height: 11px; margin: 0 9px 0 3px;
  border-radius: 50%; vertical-align: middle; border: 2px solid #fff;
  box-shadow: 0 0 2px rgba(0,0,0,0.8); }
.bg-poi span { display: block; width: 10px; height: 10px; border-radius: 50%;
  border: 2px solid #fff; box-shadow: 0 0 3px rgba(0,0,0,0.8); }
.bg-cluster div { width: 30px; height: 30px; border-radius: 50%; color: #fff;
  font: bold 12px/30px Arial, sans-serif; text-align: center; opacity: 0.85;
  border: 2px solid #fff; box-sizing: border-box; box-shadow: 0 0 3px rgba(0,0,0,0.6); }
.bg-tbl { border-collapse: collapse; margin-top: 3px; }
.bg-tbl th { text-align: left; padding: 1px 8px 1px 0; font-weight: 600; color: #444;
  vertical-align: top; }
.bg-tbl td { padding: 1px 0; }
.bg-popup-name { font-weight: 700; font-size: 13px; }
.bg-fs a { display: flex !important; align-items: center; justify-content: center; }
.leaflet-container.bg-pseudo-fs { position: fixed !important; top: 0; left: 0;
  width: 100vw !important; height: 100vh !important; z-index: 10000; }
</style>
"""

# The page's own code. It holds no data: every text and value it shows is read at load
# time from the page's JSON block (``<script type="application/json" id="bg-data">``),
# which is put into the page after folium/branca have rendered it, and shown with DOM
# APIs (``textContent``, ``createElement``, style properties) - never as HTML or as a
# template. Folium/branca compile the output of every element as a new Jinja template, so
# this code must not contain Jinja syntax either (checked by the tests).
_PAGE_JS: Final = """
function bgEl(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) { e.className = cls; }
  if (text !== undefined && text !== null) { e.textContent = String(text); }
  return e;
}
function bgHas(v) { return v !== undefined && v !== null; }
function bgBox(head, labels, values) {
  var box = bgEl('div', 'bg-box');
  if (bgHas(head)) { box.appendChild(bgEl('div', 'bg-popup-name', head)); }
  if (labels && labels.length) {
    var t = bgEl('table', 'bg-tbl'), body = document.createElement('tbody');
    for (var i = 0; i < labels.length; i++) {
      var tr = document.createElement('tr');
      tr.appendChild(bgEl('th', null, labels[i]));
      tr.appendChild(bgEl('td', null, values ? values[i] : ''));
      body.appendChild(tr);
    }
    t.appendChild(body);
    box.appendChild(t);
  }
  return box;
}
function bgBinder(spec) {
  var tip = spec.tip || [];
  return function (f, l) {
    var p = (f && f.properties) || {};
    var head = bgHas(p.n) ? p.n : spec.head;
    if (bgHas(head) || tip.length) {
      l.bindTooltip(function () {
        return tip.length ? bgBox(head, tip, p.t) : bgEl('span', null, head);
      }, {sticky: !l.getLatLng, direction: 'top'});
    }
    if (spec.pop) {
      l.bindPopup(function () { return bgBox(head, spec.pop, p.p); }, {maxWidth: 360});
    }
  };
}
function bgStyle(base) {
  return function (f) {
    var s = L.extend({}, base);
    var c = f && f.properties && f.properties.c;
    if (c) {
      s.fillColor = c;
      if (base.strokeFromFill) { s.color = c; }
    }
    return s;
  };
}
function bgPoint(color) {
  return function (f, ll) {
    var dot = document.createElement('span');
    dot.style.background = color;
    return L.marker(ll, {icon: L.divIcon({className: 'bg-poi', html: dot,
      iconSize: [14, 14], iconAnchor: [7, 7], popupAnchor: [0, -7], tooltipAnchor: [7, 0]})});
  };
}
function bgClusterIcon(color) {
  return function (c) {
    var d = bgEl('div', null, c.getChildCount());
    d.style.background = color;
    return L.divIcon({className: 'bg-cluster', iconSize: L.point(30, 30), html: d});
  };
}
function bgControl(map, position, cls, content) {
  var c = L.control({position: position});
  c.onAdd = function () {
    var d = L.DomUtil.create('div', 'leaflet-control bg-ctl ' + cls);
    d.appendChild(content());
    L.DomEvent.disableClickPropagation(d);
    L.DomEvent.disableScrollPropagation(d);
    return d;
  };
  return c.addTo(map);
}
function bgSwatch(s) {
  var i = document.createElement('i');
  if (s.type === 'dot') {
    i.className = 'bg-dot';
    i.style.background = s.color;
    return i;
  }
  i.className = 'bg-sw';
  if (s.type === 'hatch') {
    i.style.border = '2px dashed ' + s.color;
    i.style.background = 'repeating-linear-gradient(45deg,' + s.color + ' 0 2px,transparent 2px 6px)';
  } else {
    i.style.background = s.color;
    if (s.border) { i.style.borderColor = s.color; }
    if (bgHas(s.opacity)) { i.style.opacity = String(s.opacity); }
  }
  return i;
}
function bgHatches(list) {
  if (!list.length) { return; }
  var NS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  var svg = el('svg', {width: 0, height: 0, style: 'position:absolute', 'aria-hidden': 'true'});
  var defs = el('defs', {});
  list.forEach(function (h) {
    var pat = el('pattern', {id: h.id, patternUnits: 'userSpaceOnUse', width: 8, height: 8,
      patternTransform: 'rotate(45)'});
    pat.appendChild(el('rect', {width: 8, height: 8, fill: h.color, 'fill-opacity': 0.12}));
    pat.appendChild(el('line', {x1: 1, y1: 0, x2: 1, y2: 8, stroke: h.color, 'stroke-width': 2.5,
      'stroke-opacity': 0.85}));
    defs.appendChild(pat);
  });
  svg.appendChild(defs);
  document.body.insertBefore(svg, document.body.firstChild);
}
// Leaflet's layers control writes layer names with innerHTML; this one uses textContent
// (otherwise the same as Leaflet 1.9.3's _addItem).
var BgLayers = L.Control.Layers.extend({
  _addItem: function (obj) {
    var label = document.createElement('label'), checked = this._map.hasLayer(obj.layer), input;
    if (obj.overlay) {
      input = document.createElement('input');
      input.type = 'checkbox';
      input.className = 'leaflet-control-layers-selector';
      input.defaultChecked = checked;
    } else {
      input = this._createRadioElement('leaflet-base-layers_' + L.Util.stamp(this), checked);
    }
    this._layerControlInputs.push(input);
    input.layerId = L.Util.stamp(obj.layer);
    L.DomEvent.on(input, 'click', this._onInputClick, this);
    var name = document.createElement('span');
    name.textContent = ' ' + obj.name;
    var holder = document.createElement('span');
    label.appendChild(holder);
    holder.appendChild(input);
    holder.appendChild(name);
    (obj.overlay ? this._overlaysList : this._baseLayersList).appendChild(label);
    this._checkDisabledLayers();
    return label;
  }
});
// A minimal fullscreen button for self-contained pages (no PyPI package ships
// leaflet.fullscreen): the browser Fullscreen API, or a full-window fallback.
function bgFullscreen(map, titleOn, titleOff) {
  var box = L.DomUtil.create('div', 'leaflet-bar leaflet-control bg-fs');
  var a = L.DomUtil.create('a', 'bg-fs-button', box);
  a.href = '#'; a.setAttribute('role', 'button');
  // the icon is a fixed string of this code (no data)
  a.title = titleOn; a.setAttribute('aria-label', titleOn);
  a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" style="vertical-align:middle" ' +
    'aria-hidden="true"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" ' +
    'stroke="#333" stroke-width="2"/></svg>';
  var el = map.getContainer();
  function isOn() {
    return document.fullscreenElement === el || L.DomUtil.hasClass(el, 'bg-pseudo-fs');
  }
  function sync() {
    var on = isOn(); a.title = on ? titleOff : titleOn; a.setAttribute('aria-label', a.title);
    map.invalidateSize();
  }
  function pseudo(on) {
    if (on) { L.DomUtil.addClass(el, 'bg-pseudo-fs'); } else { L.DomUtil.removeClass(el, 'bg-pseudo-fs'); }
    sync();
  }
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.on(a, 'click', function (e) {
    L.DomEvent.preventDefault(e);
    if (isOn()) {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { pseudo(false); }
    } else if (el.requestFullscreen && document.fullscreenEnabled) {
      el.requestFullscreen().catch(function () { pseudo(true); });
    } else { pseudo(true); }
  });
  document.addEventListener('fullscreenchange', sync);
  var ctl = L.control({position: 'topleft'});
  ctl.onAdd = function () { return box; };
  ctl.addTo(map);
}
function bgVector(spec, geojson) {
  var group = spec.cluster ? L.markerClusterGroup({showCoverageOnHover: false,
    maxClusterRadius: 45, disableClusteringAtZoom: 17,
    iconCreateFunction: bgClusterIcon(spec.point_color)}) : L.featureGroup();
  group.addLayer(L.geoJSON(geojson, {style: bgStyle(spec.style),
    pointToLayer: bgPoint(spec.point_color), onEachFeature: bgBinder(spec)}));
  return group;
}
function bgLegend(map, sections, layers) {
  var toggled = [];
  bgControl(map, 'bottomright', 'bg-legend', function () {
    var f = document.createDocumentFragment();
    sections.forEach(function (sec) {
      var s = bgEl('div', 'bg-legend-sec');
      if (bgHas(sec.title)) { s.appendChild(bgEl('div', 'bg-legend-title', sec.title)); }
      sec.rows.forEach(function (r) {
        var row = bgEl('div', 'bg-legend-row');
        row.appendChild(bgSwatch(r.swatch));
        row.appendChild(document.createTextNode(r.label));
        if (bgHas(r.layer)) { toggled.push([row, layers[r.layer]]); }
        s.appendChild(row);
      });
      f.appendChild(s);
    });
    return f;
  });
  function upd() {
    toggled.forEach(function (it) { it[0].style.display = map.hasLayer(it[1]) ? '' : 'none'; });
  }
  map.on('overlayadd overlayremove', upd);
  upd();
}
function bgMap(map, d) {
  var m = d.meta;
  document.title = m.title;
  bgHatches(m.hatches);
  bgControl(map, 'topleft', 'bg-title', function () {
    var f = document.createDocumentFragment();
    f.appendChild(bgEl('div', 'bg-title-main', m.title));
    m.subtitle.forEach(function (s) { f.appendChild(bgEl('div', 'bg-title-line', s)); });
    return f;
  });
  L.control.zoom({position: 'topleft', zoomInTitle: m.ui.zoom_in, zoomOutTitle: m.ui.zoom_out})
    .addTo(map);
  L.control.scale({imperial: false, maxWidth: 150}).addTo(map);
  if (m.fullscreen_button) { bgFullscreen(map, m.ui.fullscreen, m.ui.exit_fullscreen); }
  var ctl = new BgLayers(null, null, {position: 'topright', collapsed: false});
  m.bases.forEach(function (b, i) {
    var g = L.layerGroup(b.tiles.map(function (t) { return L.tileLayer(t[0], t[1]); }));
    if (i === 0) { g.addTo(map); }
    ctl.addBaseLayer(g, b.name);
  });
  var layers = m.layers.map(function (spec, i) {
    var g = bgVector(spec, d.geo[i]);
    if (spec.show) { g.addTo(map); }
    ctl.addOverlay(g, spec.name);
    return g;
  });
  bgLegend(map, m.legend, layers);
  ctl.addTo(map);
  map.fitBounds(m.bounds);
}
"""

#: Jinja syntax that fixed page code must never contain (see ``_PAGE_JS``).
_JINJA_MARKS: Final = ("{{", "{%", "{#")


class _Raw(MacroElement):
    """Fixed script of this module (never data), emitted verbatim."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}{{ this.script_js }}{% endmacro %}
        """
    )

    def __init__(self, *, script: str) -> None:
        super().__init__()
        if any(mark in script for mark in _JINJA_MARKS):
            raise GeoError("internal: page code holds Jinja syntax")  # branca would evaluate it
        self._name = "BgRaw"
        self.script_js = script


class _ClusterAssets(JSCSSMixin, MacroElement):
    """Leaflet.markercluster's script and stylesheets (for pages that cluster points)."""

    _template = Template("")
    default_js = [("markerclusterjs", _CLUSTER_JS)]
    default_css = [
        ("markerclustercss", _CLUSTER_CSS),
        ("markerclusterdefaultcss", _CLUSTER_CSS2),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._name = "BgClusterAssets"



# --------------------------------------------------------------------------- specs
@dataclass
class _LegendSection:
    title: str | None
    rows: list[dict[str, Any]]  # {"label": text, "layer": index or None, "swatch": {...}}


@dataclass
class _LayerSpec:
    name: str
    geojson: str  # FeatureCollection as JSON text (plain text values, not escaped)
    style: dict[str, Any]
    point_color: str = "#3388ff"
    cluster: bool = False
    show: bool = True
    head: str | None = None  # tooltip/popup heading of every feature (a feature's "n" wins)
    tip: list[str] | None = None  # tooltip row labels; values in each feature's "t"
    pop: list[str] | None = None  # popup row labels (None: no popup); values in "p"
    bounds: tuple[float, float, float, float] | None = None

    def meta(self) -> dict[str, Any]:
        return {
            "name": self.name, "style": self.style, "point_color": self.point_color,
            "cluster": self.cluster, "show": self.show, "head": self.head,
            "tip": self.tip, "pop": self.pop,
        }


@dataclass
class _Prepared:
    geoms: np.ndarray  # display geometries (EPSG:4326, possibly GCJ-02 shifted)
    rows: np.ndarray  # positional index of the input rows kept


# --------------------------------------------------------------------------- builder
class MapBuilder:
    """Build one interactive HTML map, layer by layer.

    Parameters
    ----------
    title
        Map title, shown in a box at the top left and as the page title.
    subtitle_lines
        Lines under the title: typically the standard, the target and the measured figure.
    basemap
        ``"positron"`` (default, CARTO light), ``"osm"``, ``"gaode"`` (AutoNavi; overlays
        are shifted to GCJ-02), ``"tianditu"`` (needs a key) or ``"none"``.
    lang
        ``"en"`` or ``"zh"``: language of the interface strings (legend titles, layer
        names chosen by the builder, buttons; also of Tianditu's labels).
    tianditu_key
        Tianditu browser key; defaults to the ``TIANDITU_KEY`` environment variable. It is
        written into the page (tile URLs), as for any browser map.
    carto_key
        Optional CARTO key for ``"positron"``; defaults to ``CARTO_API_KEY``.
    simplify_m
        Simplification tolerance, metres; ``None`` (default) picks 1/20000 of each layer's
        extent, clamped to 0.5-10 m (about 2 m for a 30 km district); 0 disables it.
    coord_decimals
        Decimals kept in longitude/latitude (5 ~ 1 m).

    Raises
    ------
    InputError
        For an unknown basemap or language, an empty title, or a Tianditu basemap
        without a key.

    Notes
    -----
    Layers are drawn in the order they are added (add area layers before points).
    Every text (titles, names, labels, values) is plain text and is shown exactly as
    written: pass no HTML (``"<b>x</b>"`` shows the tags) and no pre-escaped text.
    """

    def __init__(
        self,
        *,
        title: str,
        subtitle_lines: Sequence[str] = (),
        basemap: str = "positron",
        lang: str = "en",
        tianditu_key: str | None = None,
        carto_key: str | None = None,
        simplify_m: float | None = None,
        coord_decimals: int = 5,
    ) -> None:
        if not isinstance(title, str) or not title.strip():
            raise InputError("the map needs a non-empty title")
        if isinstance(subtitle_lines, str):
            subtitle_lines = [subtitle_lines]
        if basemap not in BASEMAPS:
            raise InputError(f"unknown basemap {basemap!r}; choose one of {', '.join(BASEMAPS)}")
        if lang not in LANGS:
            raise InputError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
        if simplify_m is not None and (not math.isfinite(simplify_m) or simplify_m < 0):
            raise InputError(f"simplify_m must be a finite number >= 0, got {simplify_m!r}")
        if not isinstance(coord_decimals, int) or not 3 <= coord_decimals <= 8:
            raise InputError(f"coord_decimals must be an integer in 3..8, got {coord_decimals!r}")
        self.title = title
        self.subtitle_lines = [str(s) for s in subtitle_lines]
        self.basemap = basemap
        self.lang = lang
        self.simplify_m = simplify_m
        self.coord_decimals = coord_decimals
        self._carto_key = carto_key or os.environ.get("CARTO_API_KEY") or None
        self._tianditu_key: str | None = None
        if basemap == "tianditu":
            key = tianditu_key or os.environ.get("TIANDITU_KEY") or ""
            if not key.strip():
                raise InputError(
                    "basemap='tianditu' needs a Tianditu key: pass tianditu_key=... or set the "
                    "TIANDITU_KEY environment variable (free browser key from "
                    "console.tianditu.gov.cn), or choose another basemap"
                )
            key = key.strip()
            if not _KEY_RE.match(key):
                raise InputError("the Tianditu key has unexpected characters; check TIANDITU_KEY")
            self._tianditu_key = key
        self._layers: list[_LayerSpec] = []
        self._legend: list[_LegendSection] = []
        self._hatches: dict[str, str] = {}  # pattern id -> colour

    # ------------------------------------------------------------------ strings
    def text(self, key: str) -> str:
        """Interface string ``key`` of :data:`UI_TEXT` in the map's language."""
        return UI_TEXT[self.lang][key]

    @property
    def gcj02(self) -> bool:
        """True when overlays are shifted to GCJ-02 (Gaode basemap)."""
        return self.basemap == "gaode"

    # ------------------------------------------------------------------ geometry
    def _prepare(
        self, gdf: gpd.GeoDataFrame, *, what: str, kind: str
    ) -> _Prepared:
        """Simplify in metres, reproject, shift (Gaode) and round the geometries.

        ``kind`` is ``"polygon"`` (polygonal geometries required) or ``"point"`` (other
        geometries are replaced by a representative point).
        """
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
        if gdf.crs is None:
            raise InputError(f"{what}: the layer has no CRS; set one (e.g. gdf.set_crs(4548))")
        gs = gdf.geometry.reset_index(drop=True)
        keep = ~(gs.isna() | gs.is_empty).to_numpy()
        gs = gs[keep]
        rows = np.flatnonzero(keep)
        if len(gs) == 0:
            return _Prepared(np.empty(0, dtype=object), rows)
        crs = pyproj.CRS.from_user_input(gdf.crs)
        metric = gs if _is_metric(crs) else gs.to_crs(gs.estimate_utm_crs())
        geoms = np.asarray(metric.values)
        type_ids = shapely.get_type_id(geoms)
        if kind == "polygon":
            bad = ~np.isin(type_ids, (3, 6))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"{what}: row {int(rows[i])} is a {geoms[i].geom_type}; "
                    "only Polygon/MultiPolygon geometries can be drawn here"
                )
            tol = self.simplify_m
            if tol is None:
                x0, y0, x1, y1 = shapely.total_bounds(geoms)
                tol = float(np.clip(math.hypot(x1 - x0, y1 - y0) / 20000.0, 0.5, 10.0))
            if tol > 0:
                geoms = shapely.simplify(geoms, tol, preserve_topology=True)
        else:
            not_pt = type_ids != 0
            if not_pt.any():
                geoms = geoms.copy()
                geoms[not_pt] = shapely.point_on_surface(geoms[not_pt])
        out = gpd.GeoSeries(geoms, crs=metric.crs).to_crs("EPSG:4326")
        if self.gcj02:
            from .coords import convert_geoseries  # lazy: only for the Gaode basemap

            out = convert_geoseries(out, src="wgs84", dst="gcj02")
        grid = 10.0 ** -self.coord_decimals
        disp = shapely.set_precision(np.asarray(out.values), grid)
        disp = shapely.transform(disp, lambda c: np.round(c, self.coord_decimals))
        ok = ~shapely.is_empty(disp)
        return _Prepared(disp[ok], rows[ok])

    @staticmethod
    def _features(geoms: np.ndarray, props: Sequence[Mapping[str, Any]]) -> str:
        """GeoJSON FeatureCollection text (JSON; made script-safe when the page is written)."""
        gj = shapely.to_geojson(geoms)
        parts = [
            '{"type":"Feature","properties":' + _json(dict(p)) + ',"geometry":' + g + "}"
            for g, p in zip(gj, props, strict=True)
        ]
        return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"

    def _add_layer(
        self, name: str, prep: _Prepared, props: Sequence[Mapping[str, Any]], **kw: Any
    ) -> int:
        bounds: tuple[float, float, float, float] | None = None
        if len(prep.geoms):
            x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(prep.geoms))
            bounds = (x0, y0, x1, y1)
        geojson = self._features(prep.geoms, props)
        self._layers.append(_LayerSpec(name=str(name), geojson=geojson, bounds=bounds, **kw))
        return len(self._layers) - 1

    @staticmethod
    def _rows_table(
        gdf: gpd.GeoDataFrame, cols: Mapping[str, str], rows: np.ndarray
    ) -> list[list[str]]:
        """Values of ``cols`` (formatted as text) for each kept input row."""
        data = [gdf[col].to_numpy()[rows] for col in cols.values()]
        return [[_fmt_value(d[i]) for d in data] for i in range(len(rows))]

    # ------------------------------------------------------------------ layers
    def add_bands(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        minutes_col: str = "minutes",
        name: str | None = None,
        legend_title: str | None = None,
        colors: Sequence[str] | None = None,
        fill_opacity: float = 0.3,
        show: bool = True,
    ) -> MapBuilder:
        """Add nested isochrone bands (e.g. 5, 15 and 30 minutes) as one switchable layer.

        Parameters
        ----------
        gdf
            One (Multi)Polygon per band (or per source and band), in any CRS.
        minutes_col
            Column with the band limit in minutes.
        name
            Layer name; default "Walking-time bands" in the map's language.
        legend_title
            Default "Walking time (min)".
        colors
            One colour per distinct band, shortest first; default green -> yellow -> orange.
        fill_opacity
            Opacity of each band (bands overlap, so inner ones look darker).
        show
            Whether the layer is visible on opening.

        Returns
        -------
        MapBuilder
            ``self``, to chain calls.

        Raises
        ------
        InputError
            For a missing or non-numeric minutes column, non-polygon rows or a bad colour.
        """
        what = f"bands layer {name or ''}".strip()
        _check_cols(gdf, [minutes_col], what=what)
        minutes = pd.to_numeric(gdf[minutes_col], errors="coerce").to_numpy(dtype=float)
        if np.isnan(minutes).any() or (minutes <= 0).any():
            raise InputError(f"{what}: column {minutes_col!r} must hold positive minutes")
        levels = sorted(set(minutes.tolist()))
        palette = list(colors) if colors is not None else _ramp(_BAND_ANCHORS, len(levels))
        if len(palette) < len(levels):
            raise InputError(f"{what}: {len(levels)} bands but only {len(palette)} colours")
        for c in palette:
            _check_color(c, what=what)
        color_of = dict(zip(levels, palette))
        prep = self._prepare(gdf, what=what, kind="polygon")
        m = minutes[prep.rows]
        order = np.argsort(-m, kind="stable")  # largest first: drawn underneath
        prep = _Prepared(prep.geoms[order], prep.rows[order])
        m = m[order]
        props = [{"c": color_of[v], "n": self.text("band_tooltip").format(m=_fmt_minutes(v))} for v in m]
        layer_name = name or self.text("bands")
        idx = self._add_layer(
            layer_name,
            prep,
            props,
            style={"weight": 1, "opacity": 0.7, "fillOpacity": fill_opacity, "strokeFromFill": True},
            show=show,
        )
        rows = [
            {
                "label": self.text("band_label").format(m=_fmt_minutes(v)),
                "layer": idx,
                "swatch": {"type": "sw", "color": color_of[v], "opacity": 0.8},
            }
            for v in levels
        ]
        self._legend.append(_LegendSection(str(legend_title or self.text("walking_time")), rows))
        return self

    def add_points(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        kind_col: str,
        name_col: str,
        popup_cols: Mapping[str, str] | None = None,
        cluster: bool | None = None,
        kind_labels: Mapping[Any, str] | None = None,
        colors: Mapping[Any, str] | None = None,
        legend_title: str | None = None,
        show: bool = True,
    ) -> MapBuilder:
        """Add facilities as markers, one switchable layer per kind.

        Parameters
        ----------
        gdf
            Facilities in any CRS; non-point geometries (e.g. a school's grounds) are drawn
            at a point inside them.
        kind_col
            Column with the kind (e.g. ``"school"``); each kind gets a layer and a colour.
        name_col
            Column with the name, shown as tooltip and popup heading.
        popup_cols
            Extra popup rows, ``{label: column}``.
        cluster
            Cluster markers (Leaflet.markercluster); ``None`` (default) clusters a kind
            having more than :data:`CLUSTER_THRESHOLD` (50) points.
        kind_labels
            Display names of kinds, e.g. ``{"school": "学校"}``; default the kind itself.
        colors
            Colour per kind; default a qualitative palette in sorted kind order.
        legend_title
            Default "Facilities".
        show
            Whether the layers are visible on opening.

        Returns
        -------
        MapBuilder
            ``self``.

        Raises
        ------
        InputError
            For missing columns or a bad colour.
        """
        what = "points layer"
        pc = _check_mapping(popup_cols, what="popup_cols")
        _check_cols(gdf, [kind_col, name_col, *pc.values()], what=what)
        n_missing = int(gdf[kind_col].isna().sum())
        if n_missing:
            raise InputError(f"{what}: {n_missing} row(s) have no value in {kind_col!r}")
        labels = dict(kind_labels or {})
        prep = self._prepare(gdf, what=what, kind="point")
        kinds_all = gdf[kind_col].to_numpy()[prep.rows]
        names = gdf[name_col].to_numpy()[prep.rows]
        extra = self._rows_table(gdf, pc, prep.rows)
        kinds = sorted(set(gdf[kind_col].tolist()), key=str)
        kind_series = pd.Series(kinds_all)
        section_rows: list[dict[str, Any]] = []
        pop_labels = [self.text("kind"), *pc]
        for i, k in enumerate(kinds):
            color = _check_color(
                (colors or {}).get(k, _KIND_COLORS[i % len(_KIND_COLORS)]), what=what
            )
            label = str(labels.get(k, k))
            sel = np.flatnonzero((kind_series == k).to_numpy())
            props = [{"n": _fmt_value(names[j]), "p": [label, *extra[j]]} for j in sel]
            sub = _Prepared(prep.geoms[sel], prep.rows[sel])
            do_cluster = len(sel) > CLUSTER_THRESHOLD if cluster is None else bool(cluster)
            idx = self._add_layer(
                label, sub, props, style={}, point_color=color, cluster=do_cluster, show=show,
                pop=pop_labels,
            )
            section_rows.append({"label": label, "layer": idx, "swatch": {"type": "dot", "color": color}})
        self._legend.append(_LegendSection(str(legend_title or self.text("facilities")), section_rows))
        return self

    def add_polygons(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        color: str = "#2b8cbe",
        tooltip_cols: Mapping[str, str] | None = None,
        popup_cols: Mapping[str, str] | None = None,
        hatch: bool = False,
        fill_opacity: float = 0.35,
        weight: float = 1.0,
        show: bool = True,
    ) -> MapBuilder:
        """Add polygons of one class (e.g. residential land covered / not covered).

        Parameters
        ----------
        gdf
            Polygons in any CRS.
        name
            Layer name (also the legend label and default tooltip).
        color
            Fill and outline colour.
        tooltip_cols, popup_cols
            Rows ``{label: column}`` of the tooltip and of the popup.
        hatch
            Fill with diagonal hatching and a thick outline, to mark a problem area clearly
            (used for land that is not covered).
        fill_opacity
            Opacity of a plain fill (hatching is drawn opaque).
        weight
            Outline width in pixels (doubled for hatched layers).
        show
            Whether the layer is visible on opening.

        Returns
        -------
        MapBuilder
            ``self``.

        Raises
        ------
        InputError
            For missing columns, non-polygon rows or a bad colour.
        """
        what = f"polygon layer {name!r}"
        _check_color(color, what=what)
        tc = _check_mapping(tooltip_cols, what="tooltip_cols")
        pc = _check_mapping(popup_cols, what="popup_cols")
        _check_cols(gdf, [*tc.values(), *pc.values()], what=what)
        prep = self._prepare(gdf, what=what, kind="polygon")
        tips = self._rows_table(gdf, tc, prep.rows)
        pops = self._rows_table(gdf, pc, prep.rows)
        props: list[dict[str, Any]] = []
        for i in range(len(prep.rows)):
            p: dict[str, Any] = {}
            if tc:
                p["t"] = tips[i]
            if pc:
                p["p"] = pops[i]
            props.append(p)
        style: dict[str, Any] = {"color": color, "weight": weight, "opacity": 0.9}
        if hatch:
            pid = "bg-hatch-" + re.sub(r"[^0-9a-zA-Z]", "", color)
            self._hatches[pid] = color
            style.update(fillColor=f"url(#{pid})", fillOpacity=1.0, weight=weight * 2, dashArray="6 3")
            swatch: dict[str, Any] = {"type": "hatch", "color": color}
        else:
            style.update(fillColor=color, fillOpacity=fill_opacity)
            swatch = {"type": "sw", "color": color, "border": True}
        idx = self._add_layer(
            name, prep, props, style=style, show=show, head=str(name),
            tip=list(tc) if tc else None, pop=list(pc) if pc else None,
        )
        self._legend.append(_LegendSection(None, [{"label": str(name), "layer": idx, "swatch": swatch}]))
        return self

    def add_coverage(
        self,
        covered: gpd.GeoDataFrame,
        uncovered: gpd.GeoDataFrame,
        *,
        tooltip_cols: Mapping[str, str] | None = None,
        popup_cols: Mapping[str, str] | None = None,
        covered_color: str = "#1a9850",
        uncovered_color: str = "#d7191c",
    ) -> MapBuilder:
        """Add covered land (green fill) and land not covered (red hatching) as two layers.

        Layer names are "Covered" / "Not covered" in the map's language; other parameters
        are those of :meth:`add_polygons`.

        Returns
        -------
        MapBuilder
            ``self``.
        """
        self.add_polygons(
            covered, name=self.text("covered"), color=covered_color,
            tooltip_cols=tooltip_cols, popup_cols=popup_cols,
        )
        self.add_polygons(
            uncovered, name=self.text("not_covered"), color=uncovered_color,
            tooltip_cols=tooltip_cols, popup_cols=popup_cols, hatch=True,
        )
        return self

    def add_choropleth(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        value_col: str,
        name: str,
        legend_title: str,
        tooltip_cols: Mapping[str, str] | None = None,
        popup_cols: Mapping[str, str] | None = None,
        bins: int | Sequence[float] = 5,
        colors: Sequence[str] | None = None,
        value_format: str | Callable[[float], str] = "{:.2f}",
        fill_opacity: float = 0.7,
        show: bool = True,
    ) -> MapBuilder:
        """Add areas coloured by a value (e.g. each community's covered share).

        Parameters
        ----------
        gdf
            Polygons in any CRS.
        value_col
            Numeric column to colour by; missing values are grey ("No data").
        name
            Layer name.
        legend_title
            Legend heading, e.g. "Residents within 15 min".
        tooltip_cols, popup_cols
            Rows ``{label: column}``; the tooltip always ends with the formatted value.
        bins
            Number of equal-width classes between the minimum and maximum value, or the
            class edges (increasing; values beyond them fall into the end classes).
        colors
            One colour per class, low to high; default a yellow-green-blue ramp.
        value_format
            Format of values in legend and tooltip: a ``str.format`` pattern such as
            ``"{:.0%}"`` for shares, or a function.
        fill_opacity
            Opacity of the fill.
        show
            Whether the layer is visible on opening.

        Returns
        -------
        MapBuilder
            ``self``.

        Raises
        ------
        InputError
            For missing or non-numeric columns, bad bins or colours.
        """
        what = f"choropleth layer {name!r}"
        tc = _check_mapping(tooltip_cols, what="tooltip_cols")
        pc = _check_mapping(popup_cols, what="popup_cols")
        _check_cols(gdf, [value_col, *tc.values(), *pc.values()], what=what)
        raw = gdf[value_col]
        if not (pd.api.types.is_numeric_dtype(raw) or raw.isna().all()):
            raise InputError(f"{what}: column {value_col!r} must be numeric (got {raw.dtype})")
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        fmt: Callable[[float], str] = (
            value_format.format if isinstance(value_format, str) else value_format
        )
        finite = values[np.isfinite(values)]
        if isinstance(bins, int) and not isinstance(bins, bool):
            if bins < 1:
                raise InputError(f"{what}: bins must be >= 1, got {bins}")
            if finite.size == 0:
                edges = np.array([0.0, 1.0])
            elif finite.min() == finite.max():
                edges = np.array([finite.min(), finite.max()])
            else:
                edges = np.linspace(finite.min(), finite.max(), bins + 1)
        else:
            try:
                edges = np.asarray(list(bins), dtype=float)  # type: ignore[arg-type]
            except (TypeError, ValueError) as exc:
                raise InputError(f"{what}: bins must be an int or a list of numbers") from exc
            if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
                raise InputError(
                    f"{what}: bin edges must be >= 2 increasing numbers, got {edges.tolist()}"
                )
        n_cls = edges.size - 1
        palette = list(colors) if colors is not None else _ramp(_SEQ_ANCHORS, n_cls)
        if len(palette) < n_cls:
            raise InputError(f"{what}: {n_cls} classes but only {len(palette)} colours")
        for c in palette:
            _check_color(c, what=what)
        prep = self._prepare(gdf, what=what, kind="polygon")
        vals = values[prep.rows]
        cls = np.clip(np.searchsorted(edges[1:-1], vals, side="right"), 0, n_cls - 1)
        tips = self._rows_table(gdf, tc, prep.rows)
        pops = self._rows_table(gdf, pc, prep.rows)
        props = []
        for i, v in enumerate(vals):
            shown = str(fmt(v)) if np.isfinite(v) else self.text("no_data")
            p: dict[str, Any] = {
                "c": palette[cls[i]] if np.isfinite(v) else _NO_DATA_COLOR, "t": [*tips[i], shown]
            }
            if pc:
                p["p"] = [*pops[i], shown]
            props.append(p)
        idx = self._add_layer(
            name, prep, props,
            style={"color": "#555555", "weight": 0.8, "opacity": 0.9, "fillOpacity": fill_opacity},
            show=show, tip=[*tc, str(legend_title)], pop=[*pc, str(legend_title)] if pc else None,
        )
        rows = []
        for k in range(n_cls):
            lo, hi = str(fmt(edges[k])), str(fmt(edges[k + 1]))
            label = lo if lo == hi else f"{lo} – {hi}"
            rows.append({"label": label, "layer": idx, "swatch": {"type": "sw", "color": palette[k]}})
        if np.isnan(vals).any():
            rows.append({"label": self.text("no_data"), "layer": idx,
                         "swatch": {"type": "sw", "color": _NO_DATA_COLOR}})
        self._legend.append(_LegendSection(str(legend_title), rows))
        return self

    # ------------------------------------------------------------------ output
    def _basemap_layers(self) -> list[dict[str, Any]]:
        """Base layers ``{"name", "tiles": [[url, options], ...]}``, the first shown."""
        import xyzservices.providers as xyz

        b = self.basemap
        if b == "none":
            return []

        def attr(p: Mapping[str, Any]) -> str:
            return _attribution(p["html_attribution"], p.get("attribution", ""))

        if b == "osm":
            p = xyz.OpenStreetMap.Mapnik
            tiles = [(p["url"], {"attribution": attr(p), "maxNativeZoom": 19})]
        elif b == "positron":
            p = xyz.CartoDB.Positron
            url = p["url"].replace("{variant}", p["variant"]).replace("{r}", "")
            if self._carto_key:
                url = url.replace("{apikey}", self._carto_key)
            else:
                url = url.removesuffix("?key={apikey}")
            opts = {"attribution": attr(p), "subdomains": p["subdomains"]}
            tiles = [(url, {**opts, "maxNativeZoom": 19})]
        elif b == "gaode":
            p = xyz.Gaode.Normal
            tiles = [(p["url"], {"attribution": attr(p), "maxNativeZoom": 18})]
        else:  # tianditu
            label = "cva" if self.lang == "zh" else "eva"
            tiles = [
                (
                    _TIANDITU_URL.format(
                        layer=layer, key=self._tianditu_key, s="{s}", x="{x}", y="{y}", z="{z}"
                    ),
                    {"attribution": _attribution(_TIANDITU_ATTR, "Tianditu"),
                     "subdomains": "01234567", "maxNativeZoom": 18},
                )
                for layer in ("vec", label)
            ]
        for _, opts in tiles:
            opts["maxZoom"] = _MAX_ZOOM
        return [
            {"name": self.text(b), "tiles": [[url, opts] for url, opts in tiles]},
            {"name": self.text("no_basemap"), "tiles": []},
        ]

    def _bounds(self) -> tuple[float, float, float, float]:
        if not self._layers:
            raise DataError(f"map {self.title!r} has no layers: add bands, points or polygons first")
        boxes = [s.bounds for s in self._layers if s.bounds is not None]
        if not boxes:
            raise DataError(f"map {self.title!r}: every layer is empty, nothing to draw")
        arr = np.array(boxes)
        return arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max()

    def _data_json(self, *, self_contained: bool) -> str:
        """Everything the page shows, as one JSON text (not yet script-safe).

        ``{"meta": {...}, "geo": [FeatureCollection per layer]}``; the page's fixed code
        reads it and builds title box, layers, layer control, legend and popups from it.
        """
        x0, y0, x1, y1 = self._bounds()
        pad = 1e-4
        meta = {
            "title": self.title,
            "subtitle": self.subtitle_lines,
            "ui": {k: self.text(k) for k in ("zoom_in", "zoom_out", "fullscreen", "exit_fullscreen")},
            "fullscreen_button": self_contained,
            "bounds": [[float(y0) - pad, float(x0) - pad], [float(y1) + pad, float(x1) + pad]],
            "bases": self._basemap_layers(),
            "hatches": [{"id": pid, "color": c} for pid, c in self._hatches.items()],
            "layers": [spec.meta() for spec in self._layers],
            "legend": [{"title": sec.title, "rows": sec.rows} for sec in self._legend],
        }
        geo = ",".join(spec.geojson for spec in self._layers)
        return '{"meta":' + _json(meta) + ',"geo":[' + geo + "]}"

    def _build(self, *, self_contained: bool, data_token: str, title_token: str) -> folium.Map:
        """The page skeleton: Leaflet, the map, fixed CSS and code; no data at all.

        The page title and the data block hold placeholder tokens, replaced after rendering.
        """
        x0, y0, x1, y1 = self._bounds()
        m = folium.Map(
            location=[float(y0 + y1) / 2, float(x0 + x1) / 2],
            zoom_start=12,
            tiles=None,
            control_scale=False,
            zoom_control=False,
            font_size="13px",
            maxZoom=_MAX_ZOOM,
        )
        # Only Leaflet itself: folium's jQuery/Bootstrap/awesome-markers are not used.
        m.default_js = [("leaflet", _LEAFLET_JS)]
        m.default_css = [("leaflet_css", _LEAFLET_CSS)]
        fig = m.get_root()
        fig.title = title_token
        fig.header.add_child(Element(_CSS), name="bg_css")
        fig.html.add_child(
            Element(f'<script type="application/json" id="bg-data">{data_token}</script>'),
            name="bg_data",
        )
        if any(spec.cluster for spec in self._layers):
            m.add_child(_ClusterAssets(), name="bg_cluster")
        mv = m.get_name()  # generated by folium ("map_" + hex digits)
        script = f"{_PAGE_JS}\nbgMap({mv}, JSON.parse(document.getElementById('bg-data').textContent));"
        m.add_child(_Raw(script=script), name="bg_map")
        if not self_contained:
            from folium.plugins import Fullscreen

            Fullscreen(
                position="topleft",
                title=self.text("fullscreen"),
                title_cancel=self.text("exit_fullscreen"),
            ).add_to(m)
        return m

    def to_html(self, *, self_contained: bool = True) -> str:
        """Render the map to an HTML page.

        The page is rendered by folium/branca with no data in it; then (after the Leaflet
        assets are inlined) the data goes in as one JSON block that the page's own code
        reads and shows as text. No text of the map is ever parsed as a template or HTML.

        Parameters
        ----------
        self_contained
            Inline Leaflet and its plugins so the page works offline (default); False
            links them from a CDN (smaller file, needs internet).

        Returns
        -------
        str
            The page.

        Raises
        ------
        DataError
            If no layer has anything to draw.
        InputError
            If ``self_contained`` and the XStatic asset packages are missing.
        """
        data = _script_safe(self._data_json(self_contained=self_contained))
        data_token = f"bg-data-{secrets.token_hex(16)}"
        title_token = f"bg-title-{secrets.token_hex(16)}"
        page = self._build(
            self_contained=self_contained, data_token=data_token, title_token=title_token
        ).get_root().render()
        if self_contained:
            page = inline_assets(page)
        page = _put(page, f"<title>{title_token}</title>", f"<title>{html.escape(self.title)}</title>")
        return _put(page, f'<script type="application/json" id="bg-data">{data_token}</script>',
                    f'<script type="application/json" id="bg-data">{data}</script>')

    def save(self, path: str | os.PathLike[str], *, self_contained: bool = True) -> Path:
        """Write the map to ``path`` atomically (temporary file, then :func:`os.replace`).

        Parameters
        ----------
        path
            Output ``.html`` file; missing parent folders are created.
        self_contained
            As in :meth:`to_html`.

        Returns
        -------
        pathlib.Path
            The written file.

        Raises
        ------
        InputError
            If the folder cannot be created or written.
        DataError
            If no layer has anything to draw.
        """
        out = Path(path)
        page = self.to_html(self_contained=self_contained)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        except OSError as exc:
            raise InputError(f"cannot write map to {out}: {exc}") from exc
        try:
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; a map is meant to be shared
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(page)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, out)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return out
