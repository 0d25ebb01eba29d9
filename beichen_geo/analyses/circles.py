"""Living circles (5-15-30 / 5-10-15 / 15-min commerce): which homes reach every required kind.

For each tier of the chosen variant (``[circles.<variant>]`` in the standards), a demand cell
*meets* the tier when every kind the tier lists is within the tier's walking minutes. Shares
are of residential land area and, where known, of residents (estimates are labelled).

The steps: :class:`CircleSpec` (what the standards and options ask) -> :func:`_minutes`
(walk minutes from every cell to each kind) -> :func:`_outcomes` (per cell: each kind and
tier met) -> :func:`_figures` (shares, passes and reasons of a set of cells: the whole area,
or one unit of a :class:`~beichen_geo.units.Grouping`) -> :func:`_summary`. The map and its words live in
:mod:`beichen_geo.present.circles`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage import minutes_by_kind, minutes_column
from geo.errors import InputError

from ..population import Residents
from ..present import circles as present
from ..present import messages
from ..present.messages import reasons_line, tier_reasons_line
from ..reasons import kind_reasons, off_network_land
from ..result import AnalysisResult
from ..standards import CircleVariant, Standards, Tier
from ..study import Study
from ..units import Grouping, attach, groupings, minutes_tag, rounded, share_of, unit_rows


@dataclasses.dataclass(frozen=True)
class CircleSpec:
    """One living-circle variant as measured: its tiers, kinds and the search bound.

    Attributes
    ----------
    variant
        The variant of the standards.
    tiers
        Its tiers (sorted by minutes).
    kinds
        Every kind any tier requires, without repeats.
    max_minutes
        Largest tier time, minutes (the search bound).
    buffer_m
        Street buffer of the isochrones drawn for the tier areas, metres.
    """

    variant: CircleVariant
    tiers: tuple[Tier, ...]
    kinds: tuple[str, ...]
    max_minutes: float
    buffer_m: float

    @classmethod
    def from_standards(cls, standards: Standards, variant: str | None) -> CircleSpec:
        """The spec of ``variant`` (default: the standards' default); walk tiers only."""
        v = standards.circle_variant(variant)
        for t in v.tiers:
            if t.mode != "walk":
                raise InputError(
                    f"circles.{v.name}.tiers.{t.name}: mode {t.mode!r} is not supported yet (walk only); "
                    "set mode = \"walk\" in your --standards file"
                )
        return cls(variant=v, tiers=tuple(v.tiers), kinds=tuple(v.kinds),
                   max_minutes=max(float(t.minutes.value) for t in v.tiers),
                   buffer_m=float(standards.travel.isochrone_buffer_m.value))


@dataclasses.dataclass(frozen=True)
class CellOutcomes:
    """Per-cell outcomes of :func:`_outcomes`: which cells reach each kind of each tier, meet each tier, meet all."""

    reached: dict[tuple[str, str], np.ndarray]
    met: dict[str, np.ndarray]
    met_all: np.ndarray


def living_circles(
    study: Study, standards: Standards, *, variant: str | None = None, residents: Residents | None = None,
    units: Grouping | None = None, zones: Grouping | None = None,
) -> AnalysisResult:
    """Measure one living-circle variant on a study area.

    Parameters
    ----------
    study
        Loaded study (network at the standards' walking speed).
    standards
        The standards; ``variant`` picks ``[circles.<variant>]`` (default: its default variant).
    residents
        Residents per demand cell (optional; shares by population are added when given).
    units, zones
        Groupings (:func:`beichen_geo.units.grouping_for`): the summary then gets ``units`` /
        ``zones`` (per unit: ``name``, ``residential_area_m2``, ``residents``, ``demand_cells``
        and the figures of the whole area, measured by the same code on the unit's cells:
        ``tiers``, ``all_tiers_share_land``, ``all_tiers_share_residents``, ``target``,
        ``passes``) and ``units_check`` / ``zones_check``; table and layer ``units`` / ``zones``.

    Returns
    -------
    AnalysisResult
        Summary keys: ``variant``, ``walk_speed_kmh``, ``residential_area_m2``, ``residents``,
        ``population_source``, ``tiers`` (per tier: ``minutes``, ``distance_m``, ``kinds``,
        ``covered_share_land``, ``covered_share_residents``, ``target``, ``passes``,
        ``kinds_coverage``), ``all_tiers_share_land``, ``all_tiers_share_residents``,
        ``passes``, ``kinds_without_facilities``, ``demand_off_network``.
    """
    spec = CircleSpec.from_standards(standards, variant)
    given = groupings(units, zones, study)
    table, report = _minutes(study, spec)
    pop = residents.per_cell if residents is not None else None
    out = _outcomes(study, spec, table)

    def figures(sel: np.ndarray) -> dict[str, Any]:
        return _figures(study, spec, out, report, pop, sel)

    whole = figures(np.ones(len(study.demand), dtype=bool))
    cells = _cells_layer(study, spec, table, out, pop)
    summary = _summary(study, spec, report, whole, residents)
    fac = study.facilities.loc[study.facilities["kind"].isin(list(spec.kinds)), ["kind", "name", "geometry"]].copy()
    tier_rows, kind_rows = _table_rows(whole)
    result = AnalysisResult(
        name="circles",
        summary=summary,
        layers={"demand_cells": cells, "facilities": fac, "tier_areas": _tier_areas(study, spec, fac)},
        tables={"tiers": pd.DataFrame(tier_rows), "kinds": pd.DataFrame(kind_rows)},
    )
    area = study.demand["area_m2"].to_numpy()
    for g in given:
        attach(result, g, unit_rows(g, figures, area_m2=area, residents=pop), _flat)
    result.make_map = lambda **kw: present.make_map(result, study, standards, **kw)
    return result


def _minutes(study: Study, spec: CircleSpec) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Walk minutes from every demand cell to the nearest facility of each kind (the study's snaps)."""
    return minutes_by_kind(
        study.engine, study.demand.set_geometry("point"), study.facilities, kinds=list(spec.kinds),
        cutoff_min=spec.max_minutes, max_snap_m=study.max_snap_m, demand_snap=study.demand_snap,
        facility_snaps={k: study.snapped_facilities(k) for k in spec.kinds if len(study.facilities_of(k))},
    )


def _outcomes(study: Study, spec: CircleSpec, table: pd.DataFrame) -> CellOutcomes:
    """Per cell: each kind of each tier within the tier's minutes, each tier met (every kind), all tiers met."""
    mode = study.net.mode
    n = len(study.demand)
    reached: dict[tuple[str, str], np.ndarray] = {}
    met_of: dict[str, np.ndarray] = {}
    met_all = np.ones(n, dtype=bool)
    for t in spec.tiers:
        tmin = float(t.minutes.value)
        met = np.ones(n, dtype=bool)
        for k in t.kinds:
            ok = np.nan_to_num(table[minutes_column(mode, k)].to_numpy(dtype=float), nan=np.inf) <= tmin
            reached[(t.name, k)] = ok
            met &= ok
        met_of[t.name] = met
        met_all &= met
    return CellOutcomes(reached=reached, met=met_of, met_all=met_all)


def _figures(study: Study, spec: CircleSpec, out: CellOutcomes, report: dict[str, Any], pop: np.ndarray | None,
             sel: np.ndarray) -> dict[str, Any]:
    """The measured figures of the cells ``sel`` (the whole area: every cell; a unit: its cells).

    Per tier and kind the shares of land and residents, the tier's pass and its reasons;
    then the shares meeting every tier and the overall pass. With no residential land in
    ``sel`` the shares and passes are None (not measured).
    """
    area = study.demand["area_m2"].to_numpy()[sel]
    p = None if pop is None else pop[sel]
    off_share = off_network_land(area, study.demand_snap.on_network[sel])
    tiers = []
    for t in spec.tiers:
        tmin = float(t.minutes.value)
        kinds_cov = {k: {"facilities": report["facilities"].get(k, 0),
                         "covered_share_land": rounded(share_of(area, out.reached[(t.name, k)][sel])),
                         "covered_share_residents": rounded(share_of(p, out.reached[(t.name, k)][sel]))}
                     for k in t.kinds}
        target = float(t.target_share.value)
        sl = share_of(area, out.met[t.name][sel])
        row: dict[str, Any] = {
            "tier": t.name, "label_zh": t.label_zh, "label_en": t.label_en, "minutes": tmin,
            "distance_m": round(tmin * study.net.metres_per_minute, 1), "kinds": list(t.kinds),
            "covered_share_land": rounded(sl), "covered_share_residents": rounded(share_of(p, out.met[t.name][sel])),
            "target": target, "passes": None if sl is None else bool(sl >= target - 1e-12),
        }
        row["reasons"] = [] if row["passes"] is not False else kind_reasons(
            kinds_cov, minutes=tmin, target=target, off_network_share=off_share, max_snap_m=study.max_snap_m)
        tiers.append({**row, "kinds_coverage": kinds_cov})
    passes = [t["passes"] for t in tiers]
    return {
        "tiers": tiers,
        "all_tiers_share_land": rounded(share_of(area, out.met_all[sel])),
        "all_tiers_share_residents": rounded(share_of(p, out.met_all[sel])),
        "target": float(spec.variant.target_share.value),
        "passes": None if None in passes else bool(all(passes)),
    }


def _table_rows(whole: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of the ``tiers`` and ``kinds`` tables, from the whole area's figures."""
    tier_rows, kind_rows = [], []
    for t in whole["tiers"]:
        row = {k: v for k, v in t.items() if k != "kinds_coverage"}
        tier_rows.append({**row, "kinds": ", ".join(t["kinds"]), "reasons": reasons_line(t["reasons"])})
        kind_rows += [{"tier": t["tier"], "minutes": t["minutes"], "kind": k, **c}
                      for k, c in t["kinds_coverage"].items()]
    return tier_rows, kind_rows


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """One unit's row of the ``<kind>`` table: tiers flattened into columns named by their minutes."""
    out = {k: row[k] for k in ("name", "residential_area_m2", "residents", "demand_cells")}
    for t in row["tiers"]:
        tag = f"tier_{minutes_tag(t['minutes'])}"
        out[f"{tag}_covered_share_land"] = t["covered_share_land"]
        out[f"{tag}_covered_share_residents"] = t["covered_share_residents"]
        out[f"{tag}_target_share"] = t["target"]
        out[f"{tag}_passes"] = t["passes"]
        for k, c in t["kinds_coverage"].items():
            out[f"{tag}_{k}_covered_share_land"] = c["covered_share_land"]
            out[f"{tag}_{k}_covered_share_residents"] = c["covered_share_residents"]
    out["all_tiers_share_land"] = row["all_tiers_share_land"]
    out["all_tiers_share_residents"] = row["all_tiers_share_residents"]
    out["target_share"] = row["target"]
    out["passes"] = row["passes"]
    out["reasons"] = tier_reasons_line(row["tiers"])
    return out


def _cells_layer(study: Study, spec: CircleSpec, table: pd.DataFrame, tm: CellOutcomes,
                 pop: np.ndarray | None) -> gpd.GeoDataFrame:
    """Demand cells with their minutes to each kind, the tiers they meet and their residents."""
    mode = study.net.mode
    cells = study.demand.drop(columns=["point"]).copy()
    for k in spec.kinds:
        cells[minutes_column(mode, k)] = table[minutes_column(mode, k)].to_numpy()
    for t in spec.tiers:
        cells[f"meets_{t.name}"] = tm.met[t.name]
    cells["meets_all_tiers"] = tm.met_all
    cells["tiers_met"] = np.sum([cells[f"meets_{t.name}"].to_numpy() for t in spec.tiers], axis=0)
    if pop is not None:
        cells["residents"] = pop
    return cells


def _summary(study: Study, spec: CircleSpec, report: dict[str, Any], whole: dict[str, Any],
             residents: Residents | None) -> dict[str, Any]:
    """The JSON summary; its ``warnings`` are worded from the snapping's off-network counts."""
    v = spec.variant
    area = study.demand["area_m2"].to_numpy()
    pop = residents.per_cell if residents is not None else None
    return {
        "analysis": "living circles",
        "variant": v.name, "label_zh": v.label_zh, "label_en": v.label_en,
        "standards": list(v.standards), "source": v.source,
        "walk_speed_kmh": study.net.speed_kmh,
        "residential_area_m2": round(float(area.sum()), 1),
        "residents": None if pop is None else round(float(np.nansum(pop)), 0),
        "population_source": None if residents is None else residents.source,
        **whole,
        "kinds_without_facilities": report["kinds_without_facilities"],
        "facilities": report["facilities"],
        "facilities_off_network": report["facilities_off_network"],
        "demand_cells": len(study.demand),
        "demand_off_network": report["demand_off_network"],
        "demand_off_network_share_land": round(study.off_network_share_land, 6),
        "warnings": [messages.facilities_off_network(k, n, max_snap_m=study.max_snap_m)
                     for k, n in report["facilities_off_network"].items() if n],
    }


def _tier_areas(study: Study, spec: CircleSpec, fac: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Street-based area where each tier is met: the intersection of its kinds' isochrones."""
    rows = []
    present_kinds = set(fac["kind"])
    for t in spec.tiers:
        tmin = float(t.minutes.value)
        poly = shapely.Polygon()
        if all(k in present_kinds for k in t.kinds):  # a kind with no facility: the tier is met nowhere
            for i, k in enumerate(t.kinds):
                iso = study.kind_isochrone(k, tmin, buffer_m=spec.buffer_m)
                poly = iso if i == 0 else shapely.intersection(poly, iso)
        rows.append({"tier": t.name, "minutes": tmin, "geometry": poly})
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=study.crs)
    gdf["area_m2"] = gdf.area
    return gdf
