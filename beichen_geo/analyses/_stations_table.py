"""Station scoring's tables: the band rows of all chunks, the composite score and rank,
the polygon figures, the ranked table and the union totals over all stations."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.reach import merge_intervals
from geo.snapping import SnappedPoints

from ..lonlat import with_lonlat
from ._stations_batch import POLY_COLS, ChunkOut, Context


def assemble(st: gpd.GeoDataFrame, snap: SnappedPoints, bands: tuple[float, ...], kinds: Sequence[str],
              outs: Sequence[ChunkOut]) -> pd.DataFrame:
    """One row per station and band (off-network stations with empty figures), by station, band."""
    n = len(st)
    base = pd.DataFrame({
        "station_id": np.repeat(np.arange(n, dtype=np.int64), len(bands)),
        "band_min": np.tile(np.asarray(bands, float), n),
    })
    rows = (pd.concat([o.rows for o in outs], ignore_index=True) if outs
            else pd.DataFrame(columns=["station_id", "band_min"]))
    t = base.merge(rows, on=["station_id", "band_min"], how="left", validate="one_to_one")
    t.insert(1, "station", st["station"].to_numpy()[t["station_id"].to_numpy()])
    on = snap.on_network
    t.insert(2, "on_network", on[t["station_id"].to_numpy()])
    acc = np.where(on, snap.access_m, np.nan)
    t.insert(3, "snap_access_m", acc[t["station_id"].to_numpy()])
    for c in ["intersections", "services_total", "service_kinds", *[f"services_{k}" for k in kinds]]:
        t[c] = t[c].astype("Int64")
    for c in POLY_COLS:
        t[c] = np.nan
    return t


def score(table: pd.DataFrame, bands: tuple[float, ...], weights: Mapping[str, float]) -> None:
    """Add ``score_band`` (0-1) to the band rows and ``score`` (0-100) and ``rank`` per station."""
    table["score_band"] = np.nan
    on = table["on_network"].to_numpy(bool)
    for b in bands:
        m = on & (table["band_min"].to_numpy() == b)
        sub = table.loc[m]
        n = len(sub)
        acc = np.zeros(n)
        for col, w in weights.items():
            x = sub[col].to_numpy(float)
            acc += w * percentile_rank(x)
        table.loc[m, "score_band"] = acc
    per = table.loc[on].groupby("station_id", sort=True)["score_band"].mean() * 100.0
    table["score"] = table["station_id"].map(per)
    rank = per.rank(method="min", ascending=False).astype("Int64")
    table["rank"] = table["station_id"].map(rank).astype("Int64")


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """``(rank - 1) / (n - 1)`` with ties at their average rank, NaN as the lowest value;
    all ones for a single value.

    Examples
    --------
    >>> percentile_rank(np.array([10.0, 30.0, 20.0, 20.0, np.nan])).tolist()
    [0.25, 1.0, 0.625, 0.625, 0.0]
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.ones(1)
    r = pd.Series(np.where(np.isnan(x), -np.inf, x)).rank(method="average").to_numpy()
    return (r - 1.0) / (n - 1.0)


def polygon_stations(table: pd.DataFrame, n_poly: int | None) -> np.ndarray:
    """Station ids to draw: the ``n_poly`` best-ranked (all on-network ones for None)."""
    first = table.drop_duplicates("station_id")
    first = first.loc[first["on_network"].to_numpy(bool)]
    if n_poly is None:
        return np.sort(first["station_id"].to_numpy(np.int64))
    best = first.sort_values(["rank", "station_id"], kind="stable").head(n_poly)
    return np.sort(best["station_id"].to_numpy(np.int64))


def add_polygons(table: pd.DataFrame, poly_out: Sequence[pd.DataFrame], crs: Any) -> gpd.GeoDataFrame:
    """Write the polygon figures into ``table``; return the catchment layer."""
    cols = ["station_id", "station", "band_min", "rank", "score", *POLY_COLS]
    if not poly_out or not sum(len(p) for p in poly_out):
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    polys = pd.concat(poly_out, ignore_index=True).sort_values(["station_id", "band_min"], kind="stable")
    key = pd.MultiIndex.from_frame(table[["station_id", "band_min"]])
    pk = pd.MultiIndex.from_frame(polys[["station_id", "band_min"]])
    pos = key.get_indexer(pk)
    for c in POLY_COLS:
        vals = table[c].to_numpy(float).copy()
        vals[pos] = polys[c].to_numpy(float)
        table[c] = vals
    layer = table.iloc[pos][["station_id", "station", "band_min", "rank", "score", *POLY_COLS]].reset_index(drop=True)
    return gpd.GeoDataFrame(layer, geometry=list(polys["geometry"]), crs=crs)


_RANKED_COLS = (
    "street_length_m", "ped_shed_ratio_street", "intersections", "intersections_per_street_km",
    "residential_land_reached_m2", "residents", "park_coverage_share", "services_total", "service_kinds",
    "service_mix_index", "score_band", *POLY_COLS,
)


def band_prefix(b: float) -> str:
    """Column prefix of a band in the ranked table: ``min10_`` for 10 minutes, ``min7p5_`` for 7.5."""
    return "min" + f"{b:g}".replace(".", "p") + "_"


def ranked(table: pd.DataFrame, st: gpd.GeoDataFrame, bands: tuple[float, ...], kinds: Sequence[str]) -> pd.DataFrame:
    """One row per station: rank, score, coordinates and the key figures per band, best first."""
    first = table.drop_duplicates("station_id").set_index("station_id")
    n = len(st)
    lonlat = with_lonlat(st[["geometry"]])  # the one way a table gets its WGS84 coordinates
    out = pd.DataFrame({
        "rank": first["rank"].reindex(np.arange(n)).astype("Int64").to_numpy(),
        "station_id": np.arange(n, dtype=np.int64),
        "station": st["station"].to_numpy(),
        "score": first["score"].reindex(np.arange(n)).to_numpy(float),
        "lon_wgs84": lonlat["lon_wgs84"].to_numpy(), "lat_wgs84": lonlat["lat_wgs84"].to_numpy(),
        "on_network": first["on_network"].reindex(np.arange(n)).to_numpy(bool),
        "snap_access_m": first["snap_access_m"].reindex(np.arange(n)).to_numpy(float),
    })
    for b in bands:
        tb = table.loc[table["band_min"] == b].set_index("station_id")
        for c in _RANKED_COLS:
            if c in POLY_COLS and tb[c].isna().all():
                continue
            out[band_prefix(b) + c] = tb[c].reindex(out["station_id"]).to_numpy()
    out = out.sort_values(["rank", "station_id"], na_position="last", kind="stable").reset_index(drop=True)
    return out


def totals(ctx: Context, bands: tuple[float, ...], outs: Sequence[ChunkOut], table: pd.DataFrame,
            catchments: gpd.GeoDataFrame, *, all_polygons: bool) -> list[dict[str, Any]]:
    """Per band: the union of all stations' catchments (cells and street pieces counted once)
    next to the sums of the per-station figures (which count overlaps again)."""
    area = ctx.cell_area_m2
    land_total = float(area.sum())
    pop_total = None if ctx.pop is None else float(ctx.pop.sum())
    out = []
    for b in bands:
        cells = np.unique(np.concatenate([o.cells[b] for o in outs])) if outs else np.zeros(0, np.int64)
        iv = np.concatenate([o.streets[b] for o in outs]) if outs else np.zeros((0, 3))
        merged = merge_intervals(iv[:, 0].astype(np.int64), iv[:, 1], iv[:, 2]) if len(iv) else np.zeros((0, 3))
        street_any = float((merged[:, 2] - merged[:, 1]).sum())
        land_any = float(area[cells].sum())
        park_any = float((area[cells] * ctx.park_covered[cells]).sum())
        res_any = None if ctx.pop is None else float(ctx.pop[cells].sum())
        tb = table.loc[(table["band_min"] == b) & table["on_network"]]
        row: dict[str, Any] = {
            "minutes": b,
            "distance_m": round(b * ctx.engine.mpm, 1),
            "street_length_in_any_m": round(street_any, 1),
            "sum_station_street_length_m": round(float(tb["street_length_m"].sum()), 1),
            "demand_cells_in_any": len(cells),
            "residential_land_reached_in_any_m2": round(land_any, 1),
            "sum_station_residential_land_reached_m2": round(float(tb["residential_land_reached_m2"].sum()), 1),
            "share_of_residential_land": round(land_any / land_total, 6) if land_total > 0 else None,
            "residents_in_any": None if res_any is None else round(res_any, 1),
            "sum_station_residents": None if res_any is None else round(float(tb["residents"].sum()), 1),
            "share_of_residents": None if res_any is None or not pop_total else round(res_any / pop_total, 6),
            "park_covered_land_in_any_m2": round(park_any, 1),
            "park_coverage_share_in_any": round(park_any / land_any, 6) if land_any > 0 else None,
            "mean_ped_shed_ratio_street": _round(tb["ped_shed_ratio_street"].mean(), 6),
            "mean_intersections_per_street_km": _round(tb["intersections_per_street_km"].mean(), 3),
            "union_catchment_area_m2": None,
        }
        if all_polygons and len(catchments):
            polys = catchments.loc[catchments["band_min"] == b].geometry.to_numpy()
            row["union_catchment_area_m2"] = round(float(shapely.union_all(polys).area), 1)
        out.append(row)
    return out


def _round(x: Any, nd: int) -> float | None:
    x = float(x)
    return None if not math.isfinite(x) else round(x, nd)


