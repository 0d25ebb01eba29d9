"""Interactive web maps of accessibility results (Leaflet, through folium).

This package is the generic map engine: it knows nothing of a particular district. An
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
- **Context.** :meth:`MapBuilder.add_context` draws the streets (e.g. a network's edges), water,
  railways and place names as the default base layer "Streets" (道路), so that the page reads
  with no tiles; tile basemaps stay as the other base layers, and a notice says when their
  tiles fail to load (:mod:`geo.maps.context`).
- **Print maps.** :meth:`MapBuilder.save_print` draws the same layers with matplotlib (PNG,
  PDF or SVG; title, legend of the classes drawn, scale bar, north arrow, source, date) and
  returns a :class:`PrintedMap` (:mod:`geo.maps.printing`).
- **Output.** Written atomically through :func:`geo.io.write_text` (a temporary file
  beside the target, then :func:`os.replace`); a disk error is one :class:`InputError` line.

- **Legends say what is drawn.** One colour per meaning in every map (:mod:`.palette`:
  covered, not covered, parks, proposed, straight-line buffer, facility kinds, bands,
  sequential and diverging classes, all ColorBrewer members read from branca). Nested bands
  are drawn as non-overlapping rings (and several sources' bands as outlines), so no two
  translucent fills mix into a colour the legend does not show; counts are classed by whole
  numbers (:class:`IntegerClasses`); the legend lists only the classes, bands and kinds
  actually drawn, and a heading is hidden while all its layers are off.

Modules
-------
``builder`` (:class:`MapBuilder`), ``layers`` (each layer kind's features, texts, colours
and legend rows), ``classes`` (choropleth classes), ``geometry`` (simplify, reproject,
shift, round; rows showing the same values merged), ``palette`` (colours by meaning),
``context`` (the street context and its page data), ``printing`` (print maps), ``text``
(zh/en interface strings), ``basemaps`` (tile layers), ``assets`` (Leaflet files and their
inlining), ``elements`` (the folium page and the data put into it) and the page's own code
and style, the package files ``page.js``, ``context.js``, ``page.css`` and ``context.css``.
"""

from __future__ import annotations

from . import palette
from .assets import inline_assets
from .basemaps import BASEMAPS
from .builder import MapBuilder
from .classes import IntegerClasses
from .layers import CLUSTER_THRESHOLD
from .printing import PRINT_FORMATS, PrintedMap
from .text import LANGS, UI_TEXT

__all__ = [
    "BASEMAPS",
    "CLUSTER_THRESHOLD",
    "LANGS",
    "UI_TEXT",
    "IntegerClasses",
    "PRINT_FORMATS",
    "MapBuilder",
    "PrintedMap",
    "inline_assets",
    "palette",
]
