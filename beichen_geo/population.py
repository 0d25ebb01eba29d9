"""Residents per demand cell: from a planner's population layer, or estimated from buildings.

Given a community / sub-district layer with a population column, each unit's residents are
spread over the residential demand cells inside it in proportion to their land area
(areal weighting). Without it, residents are ESTIMATED from residential building floor
area (footprint x levels / m² per person, defaults in ``[population]`` of the standards) and
every output says so (``pop_source`` starts with ``"estimate"``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import DataError, InputError

from .standards import Population
from .study import Study

POP_COLUMNS = ("population", "pop", "residents", "人口", "常住人口", "户籍人口", "人口数")
NAME_COLUMNS = ("name", "名称", "街道", "镇街", "社区", "乡镇", "district", "community", "town")


@dataclasses.dataclass
class Residents:
    """Residents per demand cell and where the numbers come from.

    Attributes
    ----------
    per_cell
        Residents of each demand cell (aligned with ``study.demand``), float.
    source
        ``"given: <file> (<column>)"`` or ``"estimate: ..."``.
    is_estimate
        True when estimated from buildings.
    units
        The population units (communities / sub-districts) in the study CRS with columns
        ``unit_name``, ``population``; None when no layer was given.
    unplaced
        Residents of units that hold no residential land (reported, not spread elsewhere).
    """

    per_cell: np.ndarray
    source: str
    is_estimate: bool
    units: gpd.GeoDataFrame | None = None
    unplaced: float = 0.0

    @property
    def total(self) -> float:
        return float(np.nansum(self.per_cell))


def building_population(buildings: gpd.GeoDataFrame, rules: Population) -> np.ndarray:
    """Estimated residents of each residential building (footprint x levels / m² per person).

    Levels come from ``building:levels``, else ``height`` / storey height, else the default
    for the building type; footprints below the minimum are ignored (sheds, kiosks).
    """
    if buildings.empty:
        return np.zeros(0)
    area = buildings.geometry.area.to_numpy()
    levels = np.full(len(buildings), np.nan)
    if "building:levels" in buildings:
        levels = _numbers(buildings["building:levels"])
    if "height" in buildings:
        h = _numbers(buildings["height"]) / float(rules.storey_height_m.value)
        levels = np.where(np.isnan(levels), np.round(h), levels)
    btype = buildings.get("building", pd.Series("", index=buildings.index)).astype(str).to_numpy()
    default = np.array([float(rules.default_levels[t].value) if t in rules.default_levels else np.nan for t in btype])
    if np.isnan(default).any():
        fallback = float(rules.default_levels["residential"].value) if "residential" in rules.default_levels else 1.0
        default = np.where(np.isnan(default), fallback, default)
    levels = np.where(np.isnan(levels) | (levels <= 0), default, levels)
    levels = np.minimum(levels, float(rules.max_levels.value))
    floor = np.where(area >= float(rules.min_footprint_m2.value), area * levels, 0.0)
    return floor / float(rules.floor_area_per_person_m2.value)


def _numbers(s: pd.Series) -> np.ndarray:
    """First number in each value ('6', '5;6', '12 m' -> 6, 5, 12); NaN when none."""
    out = s.astype(str).str.extract(r"(-?\d+(?:\.\d+)?)")[0]
    return pd.to_numeric(out, errors="coerce").to_numpy(dtype=float)


def _spread(values: np.ndarray, src_geoms: np.ndarray, cells: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Spread ``values`` of source polygons over cells by intersection area; returns
    (per-cell totals, per-source value that found no cell)."""
    cell_geoms = cells.geometry.to_numpy()
    tree = shapely.STRtree(cell_geoms)
    si, ci = tree.query(src_geoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(src_geoms[si], cell_geoms[ci]))
    keep = inter > 0
    si, ci, inter = si[keep], ci[keep], inter[keep]
    tot = np.bincount(si, weights=inter, minlength=len(src_geoms))
    per_cell = np.bincount(ci, weights=values[si] * inter / np.where(tot[si] > 0, tot[si], 1), minlength=len(cell_geoms))
    unplaced = np.where(tot > 0, 0.0, values)
    return per_cell, unplaced


def estimate_residents(study: Study, rules: Population) -> Residents:
    """Residents per demand cell ESTIMATED from residential buildings."""
    b = study.buildings
    if b.empty:
        return Residents(per_cell=np.full(len(study.demand), np.nan), source="unknown: no population layer and no residential buildings", is_estimate=True)
    pop = building_population(b, rules)
    per_cell, unplaced = _spread(pop, b.geometry.to_numpy(), study.demand)
    src = (f"estimate: residential building floor area / {float(rules.floor_area_per_person_m2.value):g} m² per person "
           "(levels from building:levels, height or building type)")
    return Residents(per_cell=per_cell, source=src, is_estimate=True, unplaced=float(unplaced.sum()))


def read_population(
    path: str | os.PathLike, *, crs: Any, pop_col: str | None = None, name_col: str | None = None
) -> gpd.GeoDataFrame:
    """Read community / sub-district polygons with a population column.

    Returns a GeoDataFrame in ``crs`` with ``unit_name`` and ``population`` (float).
    Non-numeric or negative populations raise :class:`InputError` naming the row.
    """
    from geo.io import read_layer

    gdf = read_layer(path, what="population layer")
    gdf = gdf.loc[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if gdf.empty:
        raise InputError(f"{path}: the population layer holds no polygons (communities or sub-districts)")
    pc = pop_col or _find_col(gdf, POP_COLUMNS)
    if pc is None or pc not in gdf:
        raise InputError(
            f"{path}: no population column found (looked for {', '.join(POP_COLUMNS)}); "
            f"columns are {', '.join(map(str, gdf.columns.drop('geometry')))}. Name it with --pop-col."
        )
    nc = name_col or _find_col(gdf, NAME_COLUMNS)
    raw = gdf[pc]
    val = pd.to_numeric(raw.astype(str).str.replace(",", "").str.strip(), errors="coerce")
    bad = val.isna() | (val < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        label = gdf[nc].iloc[i] if nc else f"feature {i + 1}"
        raise InputError(
            f"{path}: population column {pc!r} has {int(bad.sum())} non-numeric or negative value(s), "
            f"e.g. {raw.iloc[i]!r} in row {i + 1} ({label}). Fix the value or leave the unit out."
        )
    out = gpd.GeoDataFrame(
        {"unit_name": gdf[nc].astype(str).to_numpy() if nc else [f"unit {i + 1}" for i in range(len(gdf))],
         "population": val.to_numpy(dtype=float)},
        geometry=gdf.geometry.to_numpy(), crs=gdf.crs,
    ).to_crs(crs)
    out.attrs["pop_col"] = pc
    out.attrs["name_col"] = nc
    return out


def _find_col(gdf: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in gdf.columns if c != "geometry"}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def given_residents(study: Study, units: gpd.GeoDataFrame, *, source: str) -> Residents:
    """Spread each unit's population over its residential cells, by land area."""
    cells = study.demand
    pts = cells["point"].to_numpy() if "point" in cells else shapely.point_on_surface(cells.geometry.to_numpy())
    ug = units.geometry.to_numpy()
    tree = shapely.STRtree(ug)
    ci, ui = tree.query(pts, predicate="within")
    first = pd.Series(ui).groupby(ci).min()
    unit_of = np.full(len(cells), -1)
    unit_of[first.index.to_numpy()] = first.to_numpy()
    area = cells["area_m2"].to_numpy()
    land = np.bincount(unit_of[unit_of >= 0], weights=area[unit_of >= 0], minlength=len(units))
    pop = units["population"].to_numpy()
    per_cell = np.where(unit_of >= 0, pop[np.maximum(unit_of, 0)] * area / np.where(land[np.maximum(unit_of, 0)] > 0, land[np.maximum(unit_of, 0)], 1), 0.0)
    unplaced = float(pop[land <= 0].sum())
    return Residents(per_cell=per_cell, source=source, is_estimate=False, units=units, unplaced=unplaced)


def residents_for(study: Study, rules: Population, *, population: str | os.PathLike | None = None,
                  pop_col: str | None = None, name_col: str | None = None) -> Residents:
    """Residents per demand cell: the planner's layer when given, else the building estimate."""
    if population is None:
        return estimate_residents(study, rules)
    units = read_population(population, crs=study.crs, pop_col=pop_col, name_col=name_col)
    return given_residents(study, units, source=f"given: {os.fspath(population)} ({units.attrs['pop_col']})")
