"""Residents per demand cell: from a planner's units or raster, or estimated from buildings.

Three sources, one rule: persons go to the demand cells (pieces of residential land) in
proportion to the floor area of the buildings standing on them (dasymetric mapping), and to
land area where a zone holds no building.

* **Estimate** (no population given): every building whose footprint lies on residential
  land counts, whatever its ``building`` value, except the non-residential values listed in
  ``[population] non_residential_buildings`` (OSM wiki Key:building). Floor area = footprint x
  levels (``building:levels``, else ``height`` / storey height, else the default for the
  building value, ``default_levels.yes`` for any value not listed); residents = floor area /
  m² per person. Optionally rescaled to ``district_residents`` (``rescale_to_total``).
* **Units** (community / sub-district polygons with a population, or a table joined to
  them): each unit's total is spread over its cells by building floor area, by land area
  where the unit has no building; each unit's total is preserved exactly.
* **Raster** (GeoTIFF of persons per pixel, any CRS): each pixel's persons inside the study
  area go to the cells inside the pixel, by floor area (else land area).

Persons of the given data that land on no residential land are ``unplaced`` (reported, not
spread elsewhere), so ``total + unplaced`` is the input total inside the area.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.areal import allocate, pieces
from geo.errors import DataError, InputError

from .present import messages
from .standards import Population
from .study import Study

POP_COLUMNS = ("population", "pop", "residents", "人口", "常住人口", "户籍人口", "人口数")
NAME_COLUMNS = ("name", "名称", "街道", "镇街", "社区", "乡镇", "district", "community", "town")
CODE_COLUMNS = ("code", "adcode", "id", "编码", "代码", "区划代码", "行政区划代码")
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
#: Above this share of residential land without residents the CLI warns (0-1).
EMPTY_LAND_WARN_SHARE = 0.20


@dataclasses.dataclass
class Residents:
    """Residents per demand cell and where the numbers come from.

    Attributes
    ----------
    per_cell
        Residents of each demand cell (aligned with ``study.demand``), float persons.
    source
        ``"given: <file> (<column>)"``, ``"raster: <file>"`` or ``"estimate: ..."``.
    source_zh
        The same in Chinese (for zh maps and reports); None: ``source`` is shown.
    is_estimate
        True when estimated from buildings.
    units
        The population units (communities / sub-districts) in the study CRS with columns
        ``unit_name``, ``population``; None when no unit layer was given.
    unplaced
        Persons of the given data inside the study area that fall on no residential land
        (units without residential land, pixels over no cell); 0 for the estimate.
    land_share_without_residents
        Share (0-1) of residential land (demand-cell area) whose cells hold no resident.
    land_share_without_buildings
        Estimate only: share (0-1) of residential land in polygons on which the data maps no
        building (their residents are assumed at the study's density).
    warnings
        What a reader must know (e.g. much residential land holds nobody, and why).
    """

    per_cell: np.ndarray
    source: str
    is_estimate: bool
    units: gpd.GeoDataFrame | None = None
    unplaced: float = 0.0
    land_share_without_residents: float | None = None
    land_share_without_buildings: float | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    source_zh: str | None = None

    @property
    def total(self) -> float:
        return float(np.nansum(self.per_cell))

    def summary(self) -> dict[str, Any]:
        """The figures every analysis summary reports about residents."""
        share = self.land_share_without_residents
        return {
            "population_source": self.source,
            "population_source_zh": self.source_zh or self.source,
            "residents_total": None if np.isnan(self.per_cell).all() and len(self.per_cell) else round(self.total, 1),
            "residents_unplaced": round(float(self.unplaced), 1),
            "residential_land_share_without_residents": None if share is None else round(float(share), 6),
            **({} if self.land_share_without_buildings is None else
               {"residential_land_share_without_buildings": round(float(self.land_share_without_buildings), 6)}),
        }


# -- buildings ----------------------------------------------------------------------------------


def _values(buildings: gpd.GeoDataFrame, key: str) -> pd.Series:
    """Tag ``key`` of each building, from its column or the JSON ``tags`` column (missing = None)."""
    from geo.osm.features import _tag

    return _tag(buildings, key)


def residential_mask(buildings: gpd.GeoDataFrame, rules: Population) -> np.ndarray:
    """True for buildings whose ``building`` value may house people (not in the exclusion list).

    A building without a ``building`` column (frames built by hand) counts as residential.
    """
    if "building" not in buildings:
        return np.ones(len(buildings), dtype=bool)
    excluded = {v.strip().lower() for v in rules.non_residential_buildings}
    val = buildings["building"].astype(str).str.strip().str.lower()
    return ~val.isin(excluded).to_numpy()


def building_floor_area(buildings: gpd.GeoDataFrame, rules: Population) -> np.ndarray:
    """Floor area of each building, m² (footprint x levels); 0 for non-residential values.

    Levels come from ``building:levels``, else ``height`` (or ``building:height``) / storey
    height, else the default for the ``building`` value (``default_levels.yes`` for values
    not listed); levels are capped at ``max_levels``; footprints below ``min_footprint_m2``
    count 0 (sheds, kiosks). Vectorised.
    """
    if buildings.empty:
        return np.zeros(0)
    area = buildings.geometry.area.to_numpy()
    levels = _numbers(_values(buildings, "building:levels"))
    h = _numbers(_values(buildings, "height"))
    h = np.where(np.isnan(h), _numbers(_values(buildings, "building:height")), h)
    from_height = np.maximum(np.round(h / float(rules.storey_height_m.value)), 1)
    levels = np.where(np.isnan(levels) | (levels <= 0), from_height, levels)
    btype = (buildings["building"].astype(str).str.strip().str.lower().to_numpy() if "building" in buildings
             else np.full(len(buildings), "yes", dtype=object))
    fallback = float(rules.default_levels["yes"].value)
    table = {k: float(q.value) for k, q in rules.default_levels.items()}
    default = np.array([table.get(t, fallback) for t in btype], dtype=float)
    levels = np.where(np.isnan(levels) | (levels <= 0), default, levels)
    levels = np.minimum(levels, float(rules.max_levels.value))
    floor = np.where(area >= float(rules.min_footprint_m2.value), area * levels, 0.0)
    return np.where(residential_mask(buildings, rules), floor, 0.0)


def building_population(buildings: gpd.GeoDataFrame, rules: Population) -> np.ndarray:
    """Estimated residents of each building: floor area / m² per person (see :func:`building_floor_area`)."""
    return building_floor_area(buildings, rules) / float(rules.floor_area_per_person_m2.value)


def _numbers(s: pd.Series) -> np.ndarray:
    """First number in each value ('6', '5;6', '12 m' -> 6, 5, 12); NaN when none."""
    out = s.astype(str).str.extract(r"(-?\d+(?:\.\d+)?)")[0]
    return pd.to_numeric(out, errors="coerce").to_numpy(dtype=float)


@dataclasses.dataclass(frozen=True)
class _FloorPieces:
    """Buildings on residential land cut by the demand cells: one row per (building, cell) piece."""

    cell: np.ndarray       # cell position of each piece
    floor_m2: np.ndarray   # floor area of the piece's building placed in the piece, m²
    geometry: np.ndarray   # the piece (building footprint within the cell)
    buildings: int         # buildings counted (on residential land, residential value)


def _floor_pieces(study: Study, rules: Population) -> _FloorPieces:
    """Floor area of the buildings standing on residential land, cut by the demand cells.

    A building stands on residential land when its representative point lies in a demand
    cell; its whole floor area is then spread over the cells its footprint overlaps, in
    proportion to the overlap.
    """
    b = study.buildings
    empty = _FloorPieces(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, dtype=object), 0)
    if b is None or b.empty:
        return empty
    b = b.loc[b.geom_type.isin(["Polygon", "MultiPolygon"])]
    floor = building_floor_area(b, rules)
    geoms = b.geometry.to_numpy()
    cells = study.demand.geometry.to_numpy()
    on_land = np.zeros(len(b), dtype=bool)
    hit, _ = shapely.STRtree(cells).query(shapely.point_on_surface(geoms), predicate="intersects")
    on_land[hit] = True
    keep = on_land & (floor > 0)
    geoms, floor = geoms[keep], floor[keep]
    bi, ci, area = pieces(geoms, cells)
    if len(bi) == 0:
        return empty
    tot = np.bincount(bi, weights=area, minlength=len(geoms))
    piece_floor = floor[bi] * area / tot[bi]
    geom = shapely.intersection(geoms[bi], cells[ci])
    return _FloorPieces(cell=ci, floor_m2=piece_floor, geometry=geom, buildings=int(keep.sum()))


def cell_points(cells: gpd.GeoDataFrame) -> np.ndarray:
    """Representative point of each demand cell: its ``point`` column, else a point inside it.

    Demand cells from :func:`geo.demand.grid_cells` carry ``point`` = ``point_on_surface`` of
    the cell, so both give the same points.
    """
    return cells["point"].to_numpy() if "point" in cells else shapely.point_on_surface(cells.geometry.to_numpy())


def rescale(per_cell: np.ndarray, total: float) -> np.ndarray:
    """Scale residents per cell so that they sum to ``total`` persons (the distribution is kept).

    Raises :class:`DataError` when the cells hold nobody (nothing to scale).
    """
    s = float(np.nansum(per_cell))
    if s <= 0:
        raise DataError(f"cannot rescale the residents to {total:,.0f}: the estimate holds nobody")
    return np.asarray(per_cell, dtype=float) * (float(total) / s)


def _land_share_without(per_cell: np.ndarray, area_m2: np.ndarray) -> float | None:
    if np.isnan(per_cell).all() and len(per_cell):
        return None
    total = float(area_m2.sum())
    return float(area_m2[~(np.nan_to_num(per_cell) > 0)].sum() / total) if total > 0 else 0.0


def _finish(res: Residents, study: Study, *, cause: str) -> Residents:
    """Share of residential land without residents, and a warning naming the likely cause."""
    area = study.demand["area_m2"].to_numpy()
    res.land_share_without_residents = _land_share_without(res.per_cell, area)
    share = res.land_share_without_residents
    if share is not None and share > EMPTY_LAND_WARN_SHARE:
        res.warnings.append(messages.land_without_residents(share, float(area.sum()), res.source, cause))
    return res


def estimate_residents(study: Study, rules: Population) -> Residents:
    """Residents per demand cell ESTIMATED from the floor area of the buildings on residential land.

    Two steps (dasymetric at the level of the residential land polygons, ``demand.parent``):

    1. each residential land polygon holds the residents of the buildings standing on it
       (floor area / m² per person), spread over its cells by land area: a 50 m cell without
       a building is the yard, garden or lane of the homes next to it;
    2. a polygon on which the data maps no building at all is given the study's own density
       (residents per m² of the polygons that do have buildings): landuse=residential says
       that people live there, and a missing building is a gap in the map, not an empty
       estate. Its share of the land is reported (``land_share_without_buildings``) and
       warned about above 20 %.
    """
    fp = _floor_pieces(study, rules)
    d = study.demand
    n = len(d)
    area = d["area_m2"].to_numpy(dtype=float)
    m2pp = float(rules.floor_area_per_person_m2.value)
    if fp.buildings == 0:
        return _finish(Residents(per_cell=np.full(n, np.nan), source=messages.population_unknown(), is_estimate=True,
                                 source_zh=messages.population_unknown(lang="zh")), study,
                       cause="no building stands on it in the data (buildings missing in OSM); give --population")
    floor_cell = np.bincount(fp.cell, weights=fp.floor_m2, minlength=n)
    parent = d["parent"].to_numpy() if "parent" in d else np.arange(n)
    _, poly = np.unique(parent, return_inverse=True)
    poly_floor = np.bincount(poly, weights=floor_cell)
    poly_land = np.bincount(poly, weights=area)
    built = poly_floor > 0
    density = poly_floor[built].sum() / m2pp / poly_land[built].sum()  # persons per m² of built residential land
    poly_pop = np.where(built, poly_floor / m2pp, density * poly_land)
    per_cell, _ = allocate(poly_pop, poly, np.arange(n), area, n_cells=n)
    unbuilt = float(poly_land[~built].sum() / poly_land.sum())
    facts: dict[str, Any] = {"buildings": fp.buildings, "m2_per_person": m2pp, "unbuilt_share": unbuilt,
                             "density_per_m2": float(density)}
    if rules.rescale_to_total:
        per_cell = rescale(per_cell, float(rules.district_residents.value))
        facts.update(rescaled_to=float(rules.district_residents.value), rescale_source=rules.district_residents.source)
    res = Residents(per_cell=per_cell, source=messages.population_estimate(**facts), is_estimate=True,
                    land_share_without_buildings=unbuilt, source_zh=messages.population_estimate(**facts, lang="zh"))
    if unbuilt > EMPTY_LAND_WARN_SHARE:
        res.warnings.append(messages.land_without_buildings(unbuilt, float(poly_land[~built].sum()),
                                                            float(poly_land.sum()), density))
    return _finish(res, study, cause=messages.CAUSE_NO_BUILDINGS)


def raster_residents(study: Study, rules: Population, path: str | os.PathLike) -> Residents:
    """Persons of a raster (persons per pixel) spread over the cells inside each pixel by floor area.

    Pixels are clipped to the study area (a straddling pixel keeps the share of its persons
    that matches the share of its area inside); within a pixel, persons go to its cells by
    building floor area, by land area where the pixel holds no building; pixels over no
    residential land are unplaced.
    """
    from geo.raster import count_raster_zones

    zones = count_raster_zones(path, area=study.area, crs=study.crs, what="population raster")
    zg = zones.geometry.to_numpy()
    cells = study.demand.geometry.to_numpy()
    zi, ci, land = pieces(zg, cells)
    fp = _floor_pieces(study, rules)
    zj, pj, a = pieces(zg, fp.geometry)
    piece_area = shapely.area(fp.geometry)
    fw = fp.floor_m2[pj] * a / np.where(piece_area[pj] > 0, piece_area[pj], 1.0)
    zone = np.concatenate([zi, zj])
    cell = np.concatenate([ci, fp.cell[pj]])
    weight = np.concatenate([np.zeros(len(zi)), fw])
    fallback = np.concatenate([land, np.zeros(len(zj))])
    per_cell, unplaced = allocate(zones["count"].to_numpy(), zone, cell, weight, n_cells=len(cells), fallback=fallback)
    where, total, rcrs = os.fspath(path), float(zones.attrs["total"]), str(zones.attrs["raster_crs"])
    return _finish(Residents(per_cell=per_cell, source=messages.population_raster(where, total=total, crs=rcrs),
                             source_zh=messages.population_raster(where, total=total, crs=rcrs, lang="zh"),
                             is_estimate=False, unplaced=float(unplaced.sum())), study,
                   cause="the raster holds no persons (0 or nodata) over that land; check its extent and nodata value")


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


def given_residents(study: Study, units: gpd.GeoDataFrame, *, source: str,
                    rules: Population | None = None, source_zh: str | None = None) -> Residents:
    """Spread each unit's population over its residential cells by building floor area.

    A cell belongs to the unit covering its representative point, the first unit in file order
    where units overlap (:func:`beichen_geo.units.assign_cells`, the rule of every per-unit
    figure). Within a unit, persons go
    to its cells in proportion to the floor area of the buildings on them (``rules`` say how
    floor area is estimated; None = by land area only), by land area where the unit holds
    no building. Each unit's total is preserved; units without residential land are
    ``unplaced``; units wholly outside the study area are left out (and said so).
    """
    cells = study.demand
    n = len(cells)
    ug = units.geometry.to_numpy()
    from .units import assign_cells

    unit_of = assign_cells(cells, ug)  # the unit covering the cell's point; first on overlaps
    area = cells["area_m2"].to_numpy()
    floor = np.zeros(n)
    if rules is not None:
        fp = _floor_pieces(study, rules)
        floor = np.bincount(fp.cell, weights=fp.floor_m2, minlength=n).astype(float)
    inside = shapely.intersects(ug, study.area)
    pop = np.where(inside, units["population"].to_numpy(dtype=float), 0.0)
    sel = unit_of >= 0
    per_cell, unplaced = allocate(pop, unit_of[sel], np.flatnonzero(sel), floor[sel], n_cells=n, fallback=area[sel])
    res = Residents(per_cell=per_cell, source=source, is_estimate=False, units=units, unplaced=float(unplaced.sum()),
                    source_zh=source_zh)
    if (~inside).any():
        names = units["unit_name"].astype(str).to_numpy()[~inside] if "unit_name" in units else []
        res.warnings.append(messages.units_outside_area(int((~inside).sum()), list(names)))
    if unplaced.sum() > 0:
        names = units["unit_name"].astype(str).to_numpy()[unplaced > 0] if "unit_name" in units else []
        res.warnings.append(messages.units_without_land(float(unplaced.sum()), int((unplaced > 0).sum()), list(names)))
    return _finish(res, study, cause=messages.CAUSE_NO_UNIT)


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
            unit_cols = ", ".join(map(str, units.columns.drop("geometry")))
            raise InputError(f"{where}: no column to join on: the units have {unit_cols}, "
                             f"the table has {', '.join(map(str, table.columns))}. Name it with --join-col.")
    else:
        found_u, found_t = find_column(units, (join_col,)), find_column(table, (join_col,))
        if found_u is None or found_t is None:
            raise InputError(f"{where}: join column {join_col!r} must exist in both the units and the table")
        ucol, tcol = found_u, found_t
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
            + (f"units without a population row: {', '.join(missing[:8])}{'...' if len(missing) > 8 else ''}; "
               if missing else "")
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

    ``population`` is polygons with a population column, a table (CSV/Excel) joined to the
    ``units`` polygons by a name or code column (``join_col``), or a raster (GeoTIFF) of
    persons per pixel. Without ``population``, a ``units`` layer's population column (found by
    name, or ``pop_col``) is its population; else residents are estimated from the buildings.
    ``rules.rescale_to_total`` applies to the estimate only (given counts are kept as given).
    """
    if population is None:
        if units is None or not _has_population(units, pop_col):
            return estimate_residents(study, rules)
        population = units  # a units layer with a population column gives the residents
    res = _given(study, rules, population, pop_col=pop_col, name_col=name_col, units=units, join_col=join_col)
    if rules.rescale_to_total:
        res.warnings.append(messages.RESCALE_ESTIMATE_ONLY)
    return res


def _has_population(path: str | os.PathLike, pop_col: str | None) -> bool:
    """Whether a polygon layer has a population column (any column named ``pop_col`` counts as asked for)."""
    if pop_col is not None:
        return True  # asked for: read_population finds it or says that it is missing
    from geo.io import read_layer

    return find_column(read_layer(path, what="units layer"), POP_COLUMNS) is not None


def _given(study: Study, rules: Population, population: str | os.PathLike, *, pop_col: str | None,
           name_col: str | None, units: str | os.PathLike | None, join_col: str | None) -> Residents:
    """Residents from a raster, a unit layer or a table joined to units (see :func:`residents_for`)."""
    from geo.raster import is_raster

    if is_raster(population):
        return raster_residents(study, rules, population)
    if str(population).lower().endswith(TABLE_SUFFIXES):
        from geo.io import read_table

        if units is None:
            raise InputError(f"{population}: a population table needs the unit polygons to join to: pass --units FILE")
        table = read_table(population, what="population table")
        polys = read_units(units, crs=study.crs)
        joined = join_population(polys, table, pop_col=pop_col, join_col=join_col, where=str(population))
        u = _validated(joined, population, "population", "unit_name", study.crs)
        where = {"joined_to": os.fspath(units)}
        return given_residents(study, u, source=messages.population_given(os.fspath(population), **where), rules=rules,
                               source_zh=messages.population_given(os.fspath(population), **where, lang="zh"))
    u = read_population(population, crs=study.crs, pop_col=pop_col, name_col=name_col)
    col = {"column": str(u.attrs["pop_col"])}
    return given_residents(study, u, source=messages.population_given(os.fspath(population), **col), rules=rules,
                           source_zh=messages.population_given(os.fspath(population), **col, lang="zh"))
