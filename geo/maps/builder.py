"""The map builder: layers added one by one, then one HTML page written atomically."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from ..errors import DataError, InputError
from ..io import write_text
from . import palette
from .basemaps import BASEMAPS, basemap_layers, resolve_tianditu_key
from .classes import IntegerClasses
from .context import MapContext, build_context, context_text
from .context import page_data as context_page_data
from .elements import render_page
from .geometry import Display, merge_alike
from .layers import (
    Drawn,
    LayerSpec,
    LegendSection,
    band_layers,
    choropleth_layers,
    point_layers,
    polygon_layers,
    to_json,
)
from .text import LANGS, PAGE_UI_KEYS, ui_text

if TYPE_CHECKING:
    from .printing import PrintedMap

__all__ = ["MapBuilder"]

#: Attribution of a context drawn from OpenStreetMap data (the default of ``add_context``).
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"


def _shown_cols(*maps: Mapping[str, str] | None) -> list[Any]:
    """The columns that tooltip/popup mappings show (anything odd is left to the layer's own checks)."""
    out: list[Any] = []
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, Mapping):
            return [object()]  # not a column: merge_alike leaves the layer as it is
        out.extend(m.values())
    return out


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
        self._tianditu_key = resolve_tianditu_key(tianditu_key) if basemap == "tianditu" else None
        self._layers: list[LayerSpec] = []
        self._legend: list[LegendSection] = []
        self._hatches: dict[str, str] = {}  # pattern id -> colour
        self._context: MapContext | None = None

    # ------------------------------------------------------------------ strings
    def text(self, key: str) -> str:
        """Interface string ``key`` of :data:`~geo.maps.UI_TEXT` in the map's language."""
        return ui_text(self.lang, key)

    @property
    def gcj02(self) -> bool:
        """True when overlays are shifted to GCJ-02 (Gaode basemap)."""
        return self.basemap == "gaode"

    # ------------------------------------------------------------------ layers
    def _display(self) -> Display:
        return Display(simplify_m=self.simplify_m, coord_decimals=self.coord_decimals,
                       gcj02=self.gcj02)

    def _add(self, drawn: Drawn) -> MapBuilder:
        """Append ``drawn``'s layers and legend section (its layer indices made map-wide)."""
        offset = len(self._layers)
        self._layers.extend(drawn.layers)
        rows = [{**r, "layer": r["layer"] + offset} if r.get("layer") is not None else r
                for r in drawn.legend.rows]
        self._legend.append(LegendSection(drawn.legend.title, rows))
        self._hatches.update(drawn.hatches)
        return self

    def add_bands(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        minutes_col: str = "minutes",
        name: str | None = None,
        legend_title: str | None = None,
        colors: Sequence[str] | None = None,
        fill_opacity: float = 0.45,
        show: bool = True,
        source_col: str | None = None,
        draw: str = "rings",
        labels: Mapping[float, str] | None = None,
        each_label: str | None = None,
    ) -> MapBuilder:
        """Add walking-time bands (e.g. 5, 15 and 30 minutes) as one switchable layer.

        Bands are drawn so that overlaps never make new colours. ``draw="rings"`` (default)
        fills non-overlapping rings: band ``k`` minus every shorter band, of the union of all
        sources; with several sources (``source_col``, e.g. one catchment per station) each
        source's band is added as a dark outline (solid for the shortest band, then dashed,
        dotted, dash-dotted), never as a fill. ``draw="outlines"`` draws each band as an outline only, for
        bands that are not nested or that lie over another filled layer.

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
            One colour per distinct band, shortest first; default dark to light orange-brown
            (:func:`geo.maps.palette.band_colors`).
        fill_opacity
            Opacity of the rings (the legend swatches use the same).
        show
            Whether the layer is visible on opening.
        source_col
            Column naming each polygon's source (station, facility); several sources add
            their outlines, with the source in the tooltip.
        draw
            ``"rings"`` or ``"outlines"``.
        labels
            Legend text of a band by its minutes; default "≤ 15".
        each_label
            Legend text of the per-source outlines, a pattern with ``{band}`` (the band's
            label); default "{band}: each one (outline)".

        Returns
        -------
        MapBuilder
            ``self``, to chain calls.

        Raises
        ------
        InputError
            For a missing or non-numeric minutes column, non-polygon rows, an unknown
            ``draw`` or a bad colour.
        """
        return self._add(band_layers(
            gdf, self._display(), lang=self.lang, minutes_col=minutes_col, name=name,
            legend_title=legend_title, colors=colors, fill_opacity=fill_opacity, show=show,
            source_col=source_col, draw=draw, labels=labels, each_label=each_label,
        ))

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
            having more than :data:`~geo.maps.CLUSTER_THRESHOLD` (50) points.
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
        return self._add(point_layers(
            gdf, self._display(), lang=self.lang, kind_col=kind_col, name_col=name_col,
            popup_cols=popup_cols, cluster=cluster, kind_labels=kind_labels, colors=colors,
            legend_title=legend_title, show=show,
        ))

    def add_polygons(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        name: str,
        color: str = palette.OUTLINE,
        tooltip_cols: Mapping[str, str] | None = None,
        popup_cols: Mapping[str, str] | None = None,
        hatch: bool = False,
        fill_opacity: float = 0.35,
        weight: float = 1.0,
        show: bool = True,
        dash: bool = False,
        legend_label: str | None = None,
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
            Opacity of a plain fill (hatching is drawn opaque); 0 draws outlines only
            (nothing underneath changes colour; the legend shows a line).
        weight
            Outline width in pixels (doubled for hatched layers).
        show
            Whether the layer is visible on opening.
        dash
            Dashed outline (e.g. straight-line buffers).
        legend_label
            Legend text; default ``name``.

        Returns
        -------
        MapBuilder
            ``self``.

        Raises
        ------
        InputError
            For missing columns, non-polygon rows or a bad colour.
        """
        gdf = merge_alike(gdf, _shown_cols(tooltip_cols, popup_cols))
        return self._add(polygon_layers(
            gdf, self._display(), name=name, color=color, tooltip_cols=tooltip_cols,
            popup_cols=popup_cols, hatch=hatch, fill_opacity=fill_opacity, weight=weight, show=show,
            dash=dash, legend_label=legend_label,
        ))

    def add_coverage(
        self,
        covered: gpd.GeoDataFrame,
        uncovered: gpd.GeoDataFrame,
        *,
        tooltip_cols: Mapping[str, str] | None = None,
        popup_cols: Mapping[str, str] | None = None,
        covered_color: str = palette.COVERED,
        uncovered_color: str = palette.NOT_COVERED,
        covered_name: str | None = None,
        uncovered_name: str | None = None,
    ) -> MapBuilder:
        """Add covered land (blue fill) and land not covered (red hatching) as two layers.

        Layer names are "Covered" / "Not covered" in the map's language unless
        ``covered_name`` / ``uncovered_name`` are given; other parameters are those of
        :meth:`add_polygons`. Colours: :data:`geo.maps.palette.COVERED` and
        :data:`~geo.maps.palette.NOT_COVERED`.

        Returns
        -------
        MapBuilder
            ``self``.
        """
        self.add_polygons(
            covered, name=covered_name or self.text("covered"), color=covered_color,
            tooltip_cols=tooltip_cols, popup_cols=popup_cols, fill_opacity=0.45,
        )
        self.add_polygons(
            uncovered, name=uncovered_name or self.text("not_covered"), color=uncovered_color,
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
        bins: int | Sequence[float] | str | IntegerClasses = 5,
        colors: Sequence[str] | None = None,
        value_format: str | Callable[[float], str] = "{:.2f}",
        fill_opacity: float = 0.7,
        show: bool = True,
        outline_only: bool = False,
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
            Number of equal-width classes between the minimum and maximum value; the
            class edges (increasing; values beyond them fall into the end classes);
            ``"integer"`` for whole-number counts (one class per number between the
            smallest and largest value); or :class:`~geo.maps.IntegerClasses` (a fixed
            range of whole numbers, optionally labelled). The legend lists only the classes
            that hold a drawn area.
        colors
            One colour per class, low to high; default ColorBrewer YlGnBu
            (:func:`geo.maps.palette.class_colors`; ``palette.diverging_colors`` for
            fail-to-pass classes).
        value_format
            Format of values in legend and tooltip: a ``str.format`` pattern such as
            ``"{:.0%}"`` for shares, or a function.
        fill_opacity
            Opacity of the fill.
        show
            Whether the layer is visible on opening.
        outline_only
            Colour the outlines by class and fill nothing (e.g. one unit covering the
            whole area, which a fill would turn into one large blob).

        Returns
        -------
        MapBuilder
            ``self``.

        Raises
        ------
        InputError
            For missing or non-numeric columns, bad bins or colours, or integer classes
            of values that are not whole numbers.
        """
        gdf = merge_alike(gdf, _shown_cols(tooltip_cols, popup_cols), exact=(value_col,))
        return self._add(choropleth_layers(
            gdf, self._display(), lang=self.lang, value_col=value_col, name=name,
            legend_title=legend_title, tooltip_cols=tooltip_cols, popup_cols=popup_cols,
            bins=bins, colors=colors, value_format=value_format, fill_opacity=fill_opacity,
            show=show, outline_only=outline_only,
        ))

    # ------------------------------------------------------------------ legend
    def legend(self) -> list[dict[str, Any]]:
        """The legend as drawn: ``[{"title", "rows": [{"label", "layer", "swatch"}]}]``.

        A section with no row is left out (no heading with nothing under it); consecutive
        sections without a title (one polygon layer each) are shown as one block. Each
        row's ``"layer"`` is the index of its layer in the map; the page hides the row while
        that layer is off, and a heading while all its rows are hidden.
        """
        out: list[dict[str, Any]] = []
        for sec in self._legend:
            if not sec.rows:
                continue
            if sec.title is None and out and out[-1]["title"] is None:
                out[-1]["rows"].extend(sec.rows)
            else:
                out.append({"title": sec.title, "rows": list(sec.rows)})
        return out

    # ------------------------------------------------------------------ context
    def add_context(
        self,
        *,
        streets: gpd.GeoDataFrame | None = None,
        water: gpd.GeoDataFrame | None = None,
        waterways: gpd.GeoDataFrame | None = None,
        rail: gpd.GeoDataFrame | None = None,
        labels: gpd.GeoDataFrame | None = None,
        highway_col: str = "highway",
        name_col: str = "name",
        road_labels: int = 12,
        place_labels: int = 20,
        attribution: str = OSM_ATTRIBUTION,
    ) -> MapBuilder:
        """Add the offline map context: the default base layer "Streets" (道路), drawn from data.

        The page then reads without tiles: streets (thin grey, major roads heavier,
        footways and service roads from zoom 14), water (blue-grey), railways (dashed dark
        grey), place names and the names of the longest roads. Tile basemaps stay as the
        other base layers. The context is clipped to the overlays' extent (grown by 20%),
        simplified by 1-5 m and delta-encoded (:mod:`geo.maps.context`); the print map
        (:meth:`save_print`) draws it too.

        Parameters
        ----------
        streets
            Street centre lines (e.g. a network's edges) with an OSM ``highway`` column;
            ``motorway`` .. ``secondary`` are major roads, ``tertiary``/``residential``/
            ``unclassified``/``living_street``/``pedestrian`` streets, everything else minor.
        water, waterways, rail
            Water polygons, river/shore lines and railway lines (any may be None).
        labels
            Place names: points with a ``name`` column (and optionally ``rank``, lower =
            more important, shown first).
        highway_col, name_col
            Columns of ``streets`` holding the highway value and the road name.
        road_labels, place_labels
            At most this many road names and place names (0: none).
        attribution
            Where the context comes from, written on the print map.

        Returns
        -------
        MapBuilder
            ``self``.

        Raises
        ------
        InputError
            For a layer that is not a GeoDataFrame or has no CRS, missing columns, no layer
            at all, or a second call.
        """
        if self._context is not None:
            raise InputError("add_context: this map already has its context (call it once)")
        self._context = build_context(
            streets=streets, water=water, waterways=waterways, rail=rail, labels=labels,
            highway_col=highway_col, name_col=name_col, road_labels=road_labels,
            place_labels=place_labels, attribution=attribution,
        )
        return self

    @property
    def context(self) -> MapContext | None:
        """The context added by :meth:`add_context` (metric CRS), or None."""
        return self._context

    # ------------------------------------------------------------------ output
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
        bases = basemap_layers(self.basemap, lang=self.lang, carto_key=self._carto_key,
                               tianditu=self._tianditu_key)
        context = None
        if self._context is not None:
            context = context_page_data(self._context, (x0, y0, x1, y1), lang=self.lang,
                                        decimals=self.coord_decimals, gcj02=self.gcj02)
            bases = [{"name": context_text(self.lang, "streets"), "context": True, "tiles": []},
                     *(bases or [{"name": self.text("no_basemap"), "tiles": []}])]
        notice = "tiles_failed" if self._context is not None else "tiles_failed_plain"
        meta = {
            "title": self.title,
            "subtitle": self.subtitle_lines,
            "ui": {k: self.text(k) for k in PAGE_UI_KEYS},
            "fullscreen_button": self_contained,
            "bounds": [[float(y0) - pad, float(x0) - pad], [float(y1) + pad, float(x1) + pad]],
            "bases": bases,
            "hatches": [{"id": pid, "color": c} for pid, c in self._hatches.items()],
            "layers": [spec.meta() for spec in self._layers],
            "legend": self.legend(),
            "context": context,
            "tile_notice": context_text(self.lang, notice),
        }
        geo = ",".join(spec.geojson for spec in self._layers)
        return '{"meta":' + to_json(meta) + ',"geo":[' + geo + "]}"

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
        data = self._data_json(self_contained=self_contained)
        x0, y0, x1, y1 = self._bounds()
        return render_page(
            data, title=self.title, center=(float(y0 + y1) / 2, float(x0 + x1) / 2),
            cluster=any(spec.cluster for spec in self._layers), self_contained=self_contained,
            fullscreen_titles=(self.text("fullscreen"), self.text("exit_fullscreen")),
        )

    def save(self, path: str | os.PathLike[str], *, self_contained: bool = True) -> Path:
        """Write the map to ``path`` atomically, through :func:`geo.io.write_text`.

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
            If the folder cannot be created or written (one line naming the file and the
            operating system's reason, as for every file ``geo.io`` writes).
        DataError
            If no layer has anything to draw.
        """
        page = self.to_html(self_contained=self_contained)
        return write_text(page, Path(path))

    def save_print(
        self,
        path: str | os.PathLike[str],
        *,
        fmt: str = "png",
        width_px: int = 2400,
        dpi: int = 300,
        source: str | None = None,
        date: str | None = None,
    ) -> PrintedMap:
        """Write the map as a static figure for reports (matplotlib): see :func:`geo.maps.printing.print_map`.

        The same layers as the page (those shown on opening), the context underneath, title
        and subtitle lines, the legend of the classes drawn, a metric scale bar, a north
        arrow, the data source and the date.

        Returns
        -------
        PrintedMap
            Path, size in pixels, dpi and the legend labels drawn.
        """
        from .printing import print_map

        return print_map(self, path, fmt=fmt, width_px=width_px, dpi=dpi, source=source, date=date)
