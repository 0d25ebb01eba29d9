"""Living circles (5-15-30 / 5-10-15 / 15-min commerce): which homes reach every required kind.

For each tier of the chosen variant (``[circles.<variant>]`` in the standards), a demand cell
*meets* the tier when every kind the tier lists is within the tier's walking minutes. Shares
are of residential land area and, where known, of residents (estimates are labelled).

The steps: :class:`CircleSpec` (what the standards and options ask) -> :func:`_minutes`
(walk minutes from every cell to each kind) -> :func:`_measure_tiers` (per tier and kind:
which cells meet it, shares, reasons) -> :func:`_summary`. The map and its words live in
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
from geo.demand import share
from geo.errors import InputError

from ..population import Residents
from ..present import circles as present
from ..present import messages
from ..present.messages import reasons_line
from ..reasons import kind_reasons
from ..result import AnalysisResult
from ..standards import CircleVariant, Standards, Tier
from ..study import Study


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
class TierMeasures:
    """What :func:`_measure_tiers` found: per-cell masks, table rows and summary entries."""

    met: dict[str, np.ndarray]
    met_all: np.ndarray
    tier_rows: list[dict[str, Any]]
    kind_rows: list[dict[str, Any]]
    tier_summary: list[dict[str, Any]]


def living_circles(
    study: Study, standards: Standards, *, variant: str | None = None, residents: Residents | None = None
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
    table, report = _minutes(study, spec)
    pop = residents.per_cell if residents is not None else None
    tm = _measure_tiers(study, spec, table, report, pop)
    cells = _cells_layer(study, spec, table, tm, pop)
    summary = _summary(study, spec, report, tm, residents)
    fac = study.facilities.loc[study.facilities["kind"].isin(list(spec.kinds)), ["kind", "name", "geometry"]].copy()
    result = AnalysisResult(
        name="circles",
        summary=summary,
        layers={"demand_cells": cells, "facilities": fac, "tier_areas": _tier_areas(study, spec, fac)},
        tables={"tiers": pd.DataFrame(tm.tier_rows), "kinds": pd.DataFrame(tm.kind_rows)},
    )
    result.make_map = lambda **kw: present.make_map(result, study, standards, **kw)
    return result


def _minutes(study: Study, spec: CircleSpec) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Walk minutes from every demand cell to the nearest facility of each kind (the study's snaps)."""
    return minutes_by_kind(
        study.engine, study.demand.set_geometry("point"), study.facilities, kinds=list(spec.kinds),
        cutoff_min=spec.max_minutes, max_snap_m=study.max_snap_m, demand_snap=study.demand_snap,
        facility_snaps={k: study.snapped_facilities(k) for k in spec.kinds if len(study.facilities_of(k))},
    )


def _measure_tiers(study: Study, spec: CircleSpec, table: pd.DataFrame, report: dict[str, Any],
                   pop: np.ndarray | None) -> TierMeasures:
    """Per tier: the cells meeting it (every kind within its minutes), shares of land and residents, reasons."""
    mode = study.net.mode
    area = study.demand["area_m2"].to_numpy()
    off_share = study.off_network_share_land
    n = len(study.demand)
    tier_rows, kind_rows, tier_summ = [], [], []
    met_of: dict[str, np.ndarray] = {}
    met_all = np.ones(n, dtype=bool)
    for t in spec.tiers:
        tmin = float(t.minutes.value)
        met = np.ones(n, dtype=bool)
        kinds_cov = {}
        for k in t.kinds:
            ok = np.nan_to_num(table[minutes_column(mode, k)].to_numpy(dtype=float), nan=np.inf) <= tmin
            met &= ok
            kinds_cov[k] = {
                "facilities": report["facilities"].get(k, 0),
                "covered_share_land": round(share(area, ok), 6),
                "covered_share_residents": None if pop is None else round(share(pop, ok), 6),
            }
            kind_rows.append({"tier": t.name, "minutes": tmin, "kind": k, **kinds_cov[k]})
        met_of[t.name] = met
        met_all &= met
        target = float(t.target_share.value)
        sl = share(area, met)
        sr = None if pop is None else share(pop, met)
        row: dict[str, Any] = {
            "tier": t.name, "label_zh": t.label_zh, "label_en": t.label_en, "minutes": tmin,
            "distance_m": round(tmin * study.net.metres_per_minute, 1), "kinds": list(t.kinds),
            "covered_share_land": round(sl, 6), "covered_share_residents": None if sr is None else round(sr, 6),
            "target": target, "passes": bool(sl >= target - 1e-12),
        }
        row["reasons"] = [] if row["passes"] else kind_reasons(
            kinds_cov, minutes=tmin, target=target, off_network_share=off_share, max_snap_m=study.max_snap_m)
        tier_rows.append({**row, "kinds": ", ".join(t.kinds), "reasons": reasons_line(row["reasons"])})
        tier_summ.append({**row, "kinds_coverage": kinds_cov})
    return TierMeasures(met=met_of, met_all=met_all, tier_rows=tier_rows, kind_rows=kind_rows, tier_summary=tier_summ)


def _cells_layer(study: Study, spec: CircleSpec, table: pd.DataFrame, tm: TierMeasures,
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


def _summary(study: Study, spec: CircleSpec, report: dict[str, Any], tm: TierMeasures,
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
        "tiers": tm.tier_summary,
        "all_tiers_share_land": round(share(area, tm.met_all), 6),
        "all_tiers_share_residents": None if pop is None else round(share(pop, tm.met_all), 6),
        "target": float(v.target_share.value),
        "passes": bool(all(r["passes"] for r in tm.tier_summary)),
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
