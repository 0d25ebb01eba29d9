"""What an analysis returns, and how it is written to an output folder.

Every analysis writes, into one folder: ``<name>.gpkg`` (its layers), ``<name>_<table>.csv``
(one per table), ``<name>.json`` (the summary with its key figures), ``<name>.html``
(the interactive map) and ``<name>.png`` (the print map of the same layers; ``.pdf`` or
``.svg`` with ``print_format``). Each file is written atomically (temp file, then rename); the command
line writes them into a staging folder that replaces the output folder as a whole
(:mod:`beichen_geo.outdir`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from beichen_geo.present.columns import csv_table
from beichen_geo.present.messages import Labels
from geo.io import write_csv, write_gpkg, write_json, write_text


@dataclasses.dataclass
class AnalysisResult:
    """One analysis's outputs.

    Attributes
    ----------
    name
        ``circles``, ``parks``, ``tod``, ``clinics``, ``gaps`` or ``stations``: the file stem.
    summary
        Key figures (JSON-ready), documented in README.
    layers
        GeoPackage layers (metric CRS).
    tables
        CSV tables.
    make_map
        Callable ``(lang, basemap) -> geo.maps.MapBuilder`` drawing the result, or None.
    """

    name: str
    summary: dict[str, Any]
    layers: dict[str, gpd.GeoDataFrame] = dataclasses.field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    make_map: Callable[..., Any] | None = None


def data_source(summary: dict[str, Any]) -> str | None:
    """The study's data source as printed on a print map: the OSM file's name, or ``Overpass: place``."""
    data = (summary.get("study") or {}).get("data")
    if not data:
        return None
    text = str(data)
    return text if text.startswith("Overpass:") else os.path.basename(text) or text


def _gpkg_ready(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One geometry column; object columns holding lists/dicts become text."""
    extra = [c for c in gdf.columns if c != gdf.geometry.name and isinstance(gdf[c].dtype, gpd.array.GeometryDtype)]
    out = gdf.drop(columns=extra)
    for c in out.columns:
        if c == out.geometry.name:
            continue
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: v if v is None or isinstance(v, (str, int, float, bool)) else str(v))
    return out


def write_result(
    result: AnalysisResult,
    out_dir: str | os.PathLike,
    *,
    labels: Labels | None = None,
    lang: str = "en",
    basemap: str = "positron",
    self_contained: bool = True,
    print_format: str | None = "png",
) -> dict[str, str]:
    """Write a result's GeoPackage, CSVs, JSON summary, map and print map; return the paths written.

    The JSON summary is written last and lists the other files under ``outputs`` (the print
    map as ``print``). ``print_format`` is ``png``, ``pdf``, ``svg`` or None (no print map).
    Any failure to write (full disk, read-only folder) raises :class:`~geo.errors.InputError`
    naming the file and the operating system's reason.
    """
    out = Path(out_dir)
    written: dict[str, str] = {}
    if result.layers:
        layers = {k: _gpkg_ready(v) for k, v in result.layers.items() if v is not None and len(v)}
        if layers:
            written["gpkg"] = str(write_gpkg(layers, out / f"{result.name}.gpkg"))
    for tname in result.tables:
        # --lang zh: a Chinese header row and the program's words in Chinese (present.columns; labels:
        # the standards' kinds and TOD variants); the GeoPackage and JSON keep the English names
        cells, header = csv_table(result, tname, lang=lang, labels=labels)
        written[f"csv:{tname}"] = str(write_csv(cells, out / f"{result.name}_{tname}.csv", header=header))
    if result.make_map is not None:
        m = result.make_map(lang=lang, basemap=basemap)
        # to_html + our atomic writer: a full disk becomes an InputError, not an OSError traceback
        written["map"] = str(write_text(m.to_html(self_contained=self_contained), out / f"{result.name}.html"))
        if print_format is not None:
            printed = m.save_print(out / f"{result.name}.{print_format}", fmt=print_format,
                                   source=data_source(result.summary))
            written["print"] = str(printed.path)
    summary = {**result.summary, "outputs": {k: os.path.basename(v) for k, v in written.items()}}
    written["json"] = str(write_json(summary, out / f"{result.name}.json"))
    return written
