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
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import DataError, InputError
from geo.areal import assign_to_units, spread_by_overlap, spread_over_units

from .standards import Population
from .study import Study

POP_COLUMNS = ("population", "pop", "residents", "人口", "常住人口", "户籍人口", "人口数")
NAME_COLUMNS = ("name", "名称", "街道", "镇街", "社区", "乡镇", "district", "community", "town")
CODE_COLUMNS = ("code", "adcode", "id", "编码", "代码", "区划代码", "行政区划代码")
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


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


def cell_points(cells: gpd.GeoDataFrame) -> np.ndarray:
    """Representative point of each demand cell: its ``point`` column, else a point inside it.

    Demand cells from :func:`geo.demand.grid_cells` carry ``point`` = ``point_on_surface`` of
    the cell, so both give the same points.
    """
    return cells["point"].to_numpy() if "point" in cells else shapely.point_on_surface(cells.geometry.to_numpy())


def estimate_residents(study: Study, rules: Population) -> Residents:
    """Residents per demand cell ESTIMATED from residential buildings."""
    b = study.buildings
    if b.empty:
        return Residents(per_cell=np.full(len(study.demand), np.nan), source="unknown: no population layer and no residential buildings", is_estimate=True)
    pop = building_population(b, rules)
    per_cell, unplaced = spread_by_overlap(pop, b.geometry.to_numpy(), study.demand.geometry.to_numpy())
    src = (f"estimate: residential building floor area / {float(rules.floor_area_per_person_m2.value):g} m² per person "
           "(levels from building:levels, height or building type)")
    if rules.rescale_to_total:
        per_cell, unplaced, src = _rescaled(per_cell, unplaced, src, float(rules.district_residents.value))
    return Residents(per_cell=per_cell, source=src, is_estimate=True, unplaced=float(unplaced.sum()))


def _rescaled(per_cell: np.ndarray, unplaced: np.ndarray, source: str,
              total: float) -> tuple[np.ndarray, np.ndarray, str]:
    """``population.rescale_to_total``: the estimate scaled so that the cells sum to ``total`` residents.

    The proportions between cells are kept; residents of buildings outside every cell are
    scaled by the same factor (and stay reported as unplaced). An estimate of no residents
    cannot be scaled and raises :class:`DataError`.
    """
    placed = float(np.nansum(per_cell))
    if placed <= 0:
        raise DataError("population.rescale_to_total is set, but the residential buildings give no residents to scale; "
                        "pass --population or set rescale_to_total = false")
    factor = total / placed
    return per_cell * factor, unplaced * factor, f"{source}, rescaled x{factor:.4g} to district_residents = {total:,.0f}"


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
    pc = pop_col or find_column(gdf, POP_COLUMNS)
    if pc is None or pc not in gdf:
        raise InputError(
            f"{path}: no population column found (looked for {', '.join(POP_COLUMNS)}); "
            f"columns are {', '.join(map(str, gdf.columns.drop('geometry')))}. Name it with --pop-col."
        )
    nc = name_col or find_column(gdf, NAME_COLUMNS)
    return _validated(gdf, path, pc, nc, crs)


def find_column(gdf: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in gdf.columns if c != "geometry"}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def given_residents(study: Study, units: gpd.GeoDataFrame, *, source: str) -> Residents:
    """Spread each unit's population over its residential cells, by land area."""
    cells = study.demand
    unit_of = assign_to_units(cell_points(cells), units.geometry.to_numpy())
    per_cell, unplaced = spread_over_units(units["population"].to_numpy(), unit_of, cells["area_m2"].to_numpy())
    return Residents(per_cell=per_cell, source=source, is_estimate=False, units=units, unplaced=unplaced)


def join_population(
    units: gpd.GeoDataFrame, table: pd.DataFrame, *, pop_col: str | None = None, join_col: str | None = None,
    where: str = "population table",
) -> gpd.GeoDataFrame:
    """Attach a population table to unit polygons by a shared name or code column.

    ``join_col`` names the column in both (default: the first name/code column they share).
    Units the table does not list, and table rows matching no unit, are named in an
    :class:`InputError` - a silently missing community would bias every share.
    """
    pc = pop_col or find_column(table, POP_COLUMNS)
    if pc is None or pc not in table:
        raise InputError(f"{where}: no population column found (looked for {', '.join(POP_COLUMNS)}); "
                         f"columns are {', '.join(map(str, table.columns))}. Name it with --pop-col.")
    if join_col is None:
        for c in (*NAME_COLUMNS, *CODE_COLUMNS):
            a, b = find_column(units, (c,)), find_column(table, (c,))
            if a is not None and b is not None:
                ucol, tcol = a, b
                break
        else:
            raise InputError(f"{where}: no column to join on: the units have {', '.join(map(str, units.columns.drop('geometry')))}, "
                             f"the table has {', '.join(map(str, table.columns))}. Name it with --join-col.")
    else:
        uc, tc = find_column(units, (join_col,)), find_column(table, (join_col,))
        if uc is None or tc is None:
            raise InputError(f"{where}: join column {join_col!r} must exist in both the units and the table")
        ucol, tcol = uc, tc
    key_u = units[ucol].astype(str).str.strip()
    key_t = table[tcol].astype(str).str.strip()
    dup = key_t[key_t.duplicated()]
    if len(dup):
        raise InputError(f"{where}: {tcol!r} value {dup.iloc[0]!r} appears twice; each unit must have one row")
    missing = sorted(set(key_u) - set(key_t))
    extra = sorted(set(key_t) - set(key_u))
    if missing or extra:
        raise InputError(
            f"{where}: the join on {tcol!r} does not match: "
            + (f"units without a population row: {', '.join(missing[:8])}{'...' if len(missing) > 8 else ''}; " if missing else "")
            + (f"rows matching no unit: {', '.join(extra[:8])}{'...' if len(extra) > 8 else ''}" if extra else "")
            + ". Fix the names/codes so that they agree."
        )
    pop = table.set_index(key_t)[pc].reindex(key_u.to_numpy())
    out = units.copy()
    out["population"] = pop.to_numpy()
    out = out.rename(columns={ucol: "unit_name"}) if ucol != "unit_name" else out
    return out


def _validated(gdf: gpd.GeoDataFrame, path: str | os.PathLike, pc: str, nc: str | None, crs: Any) -> gpd.GeoDataFrame:
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


def read_units(path: str | os.PathLike, *, crs: Any) -> gpd.GeoDataFrame:
    """Community / sub-district polygons (no population needed), in ``crs``."""
    from geo.io import read_layer

    gdf = read_layer(path, what="units layer")
    gdf = gdf.loc[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if gdf.empty:
        raise InputError(f"{path}: the units layer holds no polygons (communities or sub-districts)")
    return gdf.to_crs(crs)


def residents_for(study: Study, rules: Population, *, population: str | os.PathLike | None = None,
                  pop_col: str | None = None, name_col: str | None = None,
                  units: str | os.PathLike | None = None, join_col: str | None = None) -> Residents:
    """Residents per demand cell: the planner's numbers when given, else the building estimate.

    ``population`` is either polygons with a population column, or a table (CSV/Excel)
    joined to the ``units`` polygons by a name or code column (``join_col``).
    """
    if population is None:
        return estimate_residents(study, rules)
    if str(population).lower().endswith(TABLE_SUFFIXES):
        from geo.io import read_table

        if units is None:
            raise InputError(f"{population}: a population table needs the unit polygons to join to: pass --units FILE")
        table = read_table(population, what="population table")
        polys = read_units(units, crs=study.crs)
        joined = join_population(polys, table, pop_col=pop_col, join_col=join_col, where=str(population))
        nc = "unit_name"
        u = _validated(joined, population, "population", nc, study.crs)
        src = f"given: {os.fspath(population)} joined to {os.fspath(units)}"
        return given_residents(study, u, source=src)
    u = read_population(population, crs=study.crs, pop_col=pop_col, name_col=name_col)
    return given_residents(study, u, source=f"given: {os.fspath(population)} ({u.attrs['pop_col']})")
