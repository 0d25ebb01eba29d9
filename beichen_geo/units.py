"""Units and zones: the polygons every analysis breaks its figures down by.

Units are any named polygons: 街道/镇 (sub-districts and towns), 社区 (communities), planning
units; zones a second grouping reported the same way (e.g. inside / outside the Outer Ring
Road). A :class:`Grouping` is built once per study by :func:`grouping_for` and given to each
analysis as ``units=`` or ``zones=``; the analysis then computes, for each unit, the same
figures as for the whole area, with the same code, on the unit's demand cells.

Assignment rule
---------------
A demand cell belongs to the unit that **covers its demand point**
(:func:`beichen_geo.population.cell_points`, the point of the cell that is snapped to the
street network); a point on a unit's border belongs to that unit (``covered_by``). Where
units overlap, the **first unit in file order** wins. Every cell therefore belongs to at most
one unit, and the unit figures add up to the whole area's (cells in no unit count for the
whole area only). The same rule spreads a population layer's residents
(:func:`beichen_geo.population.given_residents`), so a unit's cells are the cells its
population was spread over.

The check
---------
:attr:`Grouping.check` reports, and never drops: overlapping units (pairs and area),
residential land and residents in no unit, units without residential land (their shares and
passes are null, they stay in every table) and names that appear more than once (kept apart as
``NAME (2)``, ``NAME (3)``...). Each finding is also a sentence in the summary's warnings
(:func:`beichen_geo.present.messages.grouping_warnings`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.areal import assign_to_units, overlaps
from geo.errors import InputError

from .present import messages

if TYPE_CHECKING:
    from .population import Residents
    from .result import AnalysisResult
    from .study import Study

Kind = Literal["units", "zones"]
KINDS: tuple[str, ...] = ("units", "zones")
#: Overlaps of this area or less are borders or digitising slivers, not overlaps (m²).
OVERLAP_MIN_M2 = 1.0
#: Overlapping pairs listed in the check (all are counted).
OVERLAPS_LISTED = 20


@dataclasses.dataclass(frozen=True, eq=False)
class Grouping:
    """Named polygons and the unit of every demand cell of one study.

    Attributes
    ----------
    kind
        ``"units"`` or ``"zones"``: the summary keys (``units`` / ``zones``, ``<kind>_check``),
        the table (``<command>_<kind>.csv``) and the GeoPackage layer it gives.
    gdf
        The polygons in the study CRS, in file order, with ``unit_name`` (text, unique: repeated
        names get `` (2)``, `` (3)``...) and ``population`` (float persons) when the layer has a
        population column.
    cell_unit
        Position in ``gdf`` of the unit holding each demand cell (aligned with
        ``study.demand``), int64; -1 for a cell in no unit.
    check
        What the layer holds that a reader must know (JSON-ready): ``rule``, ``units``,
        ``overlaps``, ``overlaps_count``, ``overlap_area_m2``, ``cells_outside_units``,
        ``residential_area_m2_outside_units``, ``residents_outside_units``,
        ``units_without_residential_land``, ``duplicate_names`` (and ``source``, the file).
    """

    kind: str
    gdf: gpd.GeoDataFrame
    cell_unit: np.ndarray
    check: dict[str, Any]

    @property
    def names(self) -> list[str]:
        """Unit names in file order (unique)."""
        return [str(n) for n in self.gdf["unit_name"].to_numpy()]

    def __len__(self) -> int:
        return len(self.gdf)

    def masks(self) -> Iterator[tuple[str, np.ndarray]]:
        """(name, boolean mask over the demand cells) of every unit, in file order."""
        for i, name in enumerate(self.names):
            yield name, self.cell_unit == i

    def aligned(self, study: Study) -> Grouping:
        """Self, after checking that it was built for ``study``'s demand cells."""
        if len(self.cell_unit) != len(study.demand):
            raise InputError(f"{self.kind}: built for {len(self.cell_unit)} demand cells, the study has "
                             f"{len(study.demand)}; build it with grouping_for(study, ...) for this study")
        return self


def assign_cells(cells: gpd.GeoDataFrame, polygons: np.ndarray) -> np.ndarray:
    """The unit of each demand cell by the assignment rule (module docstring): int64 positions, -1 = none.

    Vectorised: one STR-tree query of the cells' demand points against the polygons.
    """
    from .population import cell_points

    return assign_to_units(cell_points(cells), np.asarray(polygons), predicate="covered_by")


def normalise_units(units: gpd.GeoDataFrame, crs: Any, *, what: str, name_col: str | None = None,
                    require_name: bool = False, option: str | None = None) -> gpd.GeoDataFrame:
    """Units in ``crs`` with ``unit_name`` (text) and, when the layer has one, ``population`` (float).

    Parameters
    ----------
    units
        Polygons with a CRS; every row must be a polygon (the message names the first that is not).
    crs
        The study CRS (metric).
    what
        What the layer is, for messages (``"units"``, a file name...).
    name_col
        The name column; default: ``unit_name``, else the first of
        :data:`beichen_geo.population.NAME_COLUMNS` present.
    require_name
        Refuse a layer without a name column (default: name the units ``unit 1``, ``unit 2``...).
    option
        The argument an error names (``"name_col"``, ``"zones_name_col"``): the CLI shows its flag.

    Raises
    ------
    InputError
        No CRS, no polygons, a row that is not a polygon, a name column that is missing, a
        population column with a non-numeric or negative value (naming the row).
    """
    from .population import NAME_COLUMNS, POP_COLUMNS, find_column

    if not isinstance(units, gpd.GeoDataFrame):
        raise InputError(f"{what}: expected a GeoDataFrame of polygons, got {type(units).__name__}")
    if units.crs is None:
        raise InputError(f"{what}: the layer has no CRS; set one (e.g. units.set_crs(4326) for lon/lat)")
    poly = units.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not poly.any():
        raise InputError(f"{what}: the layer holds no polygons (give 镇街 or community boundaries)")
    if not poly.all():
        i = int(np.flatnonzero(~poly)[0])
        g = units.geometry.iloc[i]
        raise InputError(f"{what}: row {i + 1} is a {g.geom_type if g is not None else 'missing geometry'}; "
                         "every unit must be a polygon")
    columns = [str(c) for c in units.columns if c != units.geometry.name]
    if name_col is not None:
        nc = find_column(units, (name_col,))
        if nc is None:
            raise InputError(f"{what}: no name column {name_col!r}; columns are {', '.join(columns) or '(none)'}",
                             option=option)
    else:
        nc = "unit_name" if "unit_name" in units.columns else find_column(units, NAME_COLUMNS)
        if nc is None and require_name:
            raise InputError(f"{what}: no unit-name column found (looked for {', '.join(NAME_COLUMNS)}); columns are "
                             f"{', '.join(columns) or '(none)'}. Name it", option=option or "name_col")
    names = units[nc].astype(str).to_numpy() if nc else np.array([f"unit {i + 1}" for i in range(len(units))])
    data: dict[str, Any] = {"unit_name": names}
    pc = "population" if "population" in units.columns else find_column(units, POP_COLUMNS)
    if pc is not None:
        raw = units[pc]
        val = pd.to_numeric(raw.astype(str).str.replace(",", "").str.strip(), errors="coerce")
        bad = (val.isna() | (val < 0)).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{what}: population column {pc!r} has {int(bad.sum())} non-numeric or negative value(s), "
                f"e.g. {raw.iloc[i]!r} in row {i + 1} ({names[i]}). Fix the value or leave the unit out."
            )
        data["population"] = val.to_numpy(dtype=float)
    return gpd.GeoDataFrame(data, geometry=units.geometry.to_numpy(), crs=units.crs).to_crs(crs)


def _unique_names(names: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Names made unique (`` (2)``, `` (3)``... for repeats, in file order) and the repeated names."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0) + 1
        seen[n] = k
        out.append(n if k == 1 else f"{n} ({k})")
    taken = set(names)
    for i, (orig, new) in enumerate(zip(names, out, strict=True)):  # "A (2)" may exist already
        while new != orig and new in taken:
            new += "'"
        taken.add(new)
        out[i] = new
    return np.array(out, dtype=object), [n for n, k in seen.items() if k > 1]


def grouping_for(study: Study, units_gdf: gpd.GeoDataFrame, *, kind: str, residents: Residents | None = None,
                 name_col: str | None = None, source: str | None = None) -> Grouping:
    """The units (or zones) of a study: polygons, the unit of every demand cell, and their check.

    Parameters
    ----------
    study
        The study whose demand cells are assigned.
    units_gdf
        Named polygons in any CRS (a name column is required: ``unit_name``, ``name``, ``名称``,
        ``街道``, ``社区``..., or ``name_col``); a population column (``population``, ``人口``...)
        is kept as ``population``.
    kind
        ``"units"`` or ``"zones"``.
    residents
        Residents per demand cell, for ``residents_outside_units`` (None: that figure is null).
    name_col
        The name column, when it is not found by name.
    source
        Where the polygons come from (a file name), for the check and its warnings.

    Returns
    -------
    Grouping
        See :class:`Grouping`; the assignment rule is in the module docstring and in
        ``check["rule"]``.
    """
    if kind not in KINDS:
        raise InputError(f"grouping kind must be one of {', '.join(KINDS)}, got {kind!r}")
    what = kind + (f" {source}" if source else "")
    option = "name_col" if kind == "units" else "zones_name_col"
    u = normalise_units(units_gdf, study.crs, what=what, name_col=name_col, require_name=True, option=option)
    names, repeated = _unique_names(u["unit_name"].astype(str).to_numpy())
    u["unit_name"] = names
    u = u.reset_index(drop=True)
    cell_unit = assign_cells(study.demand, u.geometry.to_numpy())
    check = _check(study, u, cell_unit, residents=residents, repeated=repeated, source=source)
    return Grouping(kind=kind, gdf=u, cell_unit=cell_unit, check=check)


def read_grouping(path: str | os.PathLike, study: Study, *, kind: str, residents: Residents | None = None,
                  name_col: str | None = None) -> Grouping:
    """:func:`grouping_for` on the polygons of a file (GeoJSON, GeoPackage, Shapefile...)."""
    from geo.io import read_layer

    gdf = read_layer(path, what=f"{kind} layer")
    return grouping_for(study, gdf, kind=kind, residents=residents, name_col=name_col,
                        source=os.path.basename(os.fspath(path)))


def _check(study: Study, u: gpd.GeoDataFrame, cell_unit: np.ndarray, *, residents: Residents | None,
           repeated: list[str], source: str | None) -> dict[str, Any]:
    """The check of a grouping (see :class:`Grouping`)."""
    geoms = u.geometry.to_numpy()
    names = u["unit_name"].to_numpy()
    ia, ib, area = overlaps(geoms, min_area=OVERLAP_MIN_M2)
    overlap_area = (float(shapely.area(shapely.union_all(shapely.intersection(geoms[ia], geoms[ib]))))
                    if len(ia) else 0.0)
    land = study.demand["area_m2"].to_numpy(dtype=float)
    out = cell_unit < 0
    pop = None if residents is None else np.asarray(residents.per_cell, dtype=float)
    pop_known = pop is not None and len(pop) == len(land) and not (len(pop) and np.isnan(pop).all())
    cells_per_unit = np.bincount(cell_unit[~out], minlength=len(u))
    return {
        "rule": messages.UNITS_RULE,
        **({"source": source} if source else {}),
        "units": len(u),
        "overlaps": [{"a": str(names[i]), "b": str(names[j]), "area_m2": round(float(a), 1)}
                     for i, j, a in zip(ia[:OVERLAPS_LISTED], ib[:OVERLAPS_LISTED], area[:OVERLAPS_LISTED],
                                        strict=True)],
        "overlaps_count": len(ia),
        "overlap_area_m2": round(overlap_area, 1),
        "cells_outside_units": int(out.sum()),
        "residential_area_m2_outside_units": round(float(land[out].sum()), 1),
        "residents_outside_units": round(float(np.nansum(pop[out])), 1) if pop_known and pop is not None else None,
        "units_without_residential_land": [str(n) for n in names[cells_per_unit == 0]],
        "duplicate_names": repeated,
    }


# ------------------------------------------------------------------------------ per-unit figures

Figures = Callable[[np.ndarray], dict[str, Any]]


def minutes_tag(minutes: float) -> str:
    """``15min`` for 15, ``7_5min`` for 7.5: minutes in a column name."""
    return f"{minutes:g}min".replace(".", "_")


def share_of(weights: np.ndarray | None, covered: np.ndarray) -> float | None:
    """``weights``-weighted share (0-1) of ``covered`` (bool or fraction per cell); None when the weights sum to 0.

    The one share of every per-unit and whole-area figure: None (not 0) says that nothing
    was there to cover (a unit without residential land, residents unknown).
    """
    if weights is None:
        return None
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    total = float(w.sum())
    if not total > 0:
        return None
    return float((w * np.asarray(covered, dtype=float)).sum() / total)


def rounded(x: float | None, digits: int = 6) -> float | None:
    """``x`` rounded, None staying None."""
    return None if x is None else round(float(x), digits)


def unit_rows(grouping: Grouping, figures: Figures, *, area_m2: np.ndarray,
              residents: np.ndarray | None) -> list[dict[str, Any]]:
    """One dict per unit (file order): ``name``, ``residential_area_m2``, ``residents``, ``demand_cells``
    and ``figures(mask)``, the analysis's measured figures on the unit's cells.

    ``figures`` is the function that gives the whole area's figures with a mask of every cell.
    """
    rows = []
    for name, sel in grouping.masks():
        rows.append({
            "name": name,
            "residential_area_m2": round(float(area_m2[sel].sum()), 1),
            "residents": None if residents is None else round(float(np.nansum(residents[sel])), 1),
            "demand_cells": int(sel.sum()),
            **figures(sel),
        })
    return rows


def attach(result: AnalysisResult, grouping: Grouping, rows: list[dict[str, Any]],
           flat: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Put a grouping's rows on a result: summary ``<kind>`` and ``<kind>_check`` (and warnings),
    table ``<kind>`` (one flat row per unit) and GeoPackage layer ``<kind>`` (the polygons)."""
    kind = grouping.kind
    result.summary[kind] = rows
    result.summary[f"{kind}_check"] = grouping.check
    result.summary["warnings"] = [*result.summary.get("warnings", []),
                                  *messages.grouping_warnings(kind, grouping.check)]
    table = pd.DataFrame([flat(r) for r in rows])
    result.tables[kind] = table
    result.layers[kind] = gpd.GeoDataFrame(table.copy(), geometry=grouping.gdf.geometry.to_numpy(),
                                           crs=grouping.gdf.crs)


def groupings(units: Grouping | None, zones: Grouping | None, study: Study) -> list[Grouping]:
    """The groupings given to an analysis (units first), checked against the study and their keyword."""
    out = []
    for arg, g in (("units", units), ("zones", zones)):
        if g is None:
            continue
        if not isinstance(g, Grouping):
            raise InputError(f"{arg}: expected a Grouping (beichen_geo.units.grouping_for), got {type(g).__name__}")
        if g.kind != arg:
            raise InputError(f"{arg}: got a grouping of kind {g.kind!r}; build it with kind={arg!r}")
        out.append(g.aligned(study))
    return out
