"""The workbench: one loaded study, its residents and standards, and the planner's named scenarios.

Every figure is computed on the study's own demand cells, snaps and engine, so it equals what
the batch commands report for the same facilities: a scenario's coverage is a
:class:`geo.whatif.CoverageState` started from the study's facilities of the kind (reached as
every analysis reaches them, :meth:`Study.snapped_facilities`) and edited incrementally.

Coordinates come and go as WGS84 longitude/latitude (EPSG:4326); everything is measured in
the study's metric CRS. Methods raise :class:`~geo.errors.InputError` for a bad request (the
server answers 4xx with its message) and :class:`ScenarioNotFound` for an unknown name.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.demand import share
from geo.errors import InputError
from geo.projection import WEB_CRS
from geo.snapping import SnappedPoints, snap_points
from geo.whatif import Change, CoverageState, merge_changes

from ..population import Residents
from ..standards import LIMITS, Standards
from ..study import Study
from ..units import Grouping
from .assessment import EXPORTS
from .choices import standard_choices
from .layers import context_data, tile_layers

#: Scenario names: letters, digits, spaces and ``-_.``, 1-64 characters (they appear in URLs).
NAME_RE = re.compile(r"^[\w][\w .\-]{0,63}$")
#: The name of the study's own facilities, for comparisons ("today").
TODAY = "today"


class ScenarioNotFound(InputError):
    """No scenario has the name asked for."""


@dataclasses.dataclass
class Facility:
    """One facility of a scenario: id, name, where (WGS84), where it came from, whether it reaches a street."""

    id: int
    name: str
    lon: float
    lat: float
    origin: str
    on_network: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Scenario:
    """A named set of facilities of one kind, measured at one walking time, and the edits that made it."""

    name: str
    kind: str
    minutes: float
    state: CoverageState
    facilities: dict[int, Facility]
    edits: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def copy(self, name: str) -> Scenario:
        return Scenario(name=name, kind=self.kind, minutes=self.minutes, state=self.state.copy(),
                        facilities={k: dataclasses.replace(f) for k, f in self.facilities.items()},
                        edits=[dict(e) for e in self.edits])


class Workbench:
    """A loaded study and the planner's scenarios, shared by every request of the server.

    Parameters
    ----------
    study
        The loaded study.
    standards
        Its standards (kinds, minutes of each standard).
    residents
        Residents per demand cell (given or estimated).
    units
        The ``--units`` grouping (:func:`beichen_geo.units.grouping_for`: each demand cell's
        unit by the rule every analysis uses), or None. Per-unit figures are given when there
        are units.
    max_minutes
        Longest walk the study was loaded for (its network reaches that far beyond the area),
        minutes; longer standards are refused.
    lang, basemap
        The page's language and background (``--lang``, ``--basemap``), passed to it by
        :meth:`info`.

    Notes
    -----
    Every public method takes :attr:`lock`, so one workbench can serve concurrent requests.
    """

    def __init__(self, study: Study, standards: Standards, residents: Residents | None, *,
                 units: Grouping | None = None, max_minutes: float, lang: str = "en",
                 basemap: str = "positron") -> None:
        self.study = study
        self.standards = standards
        self.residents = residents
        self.max_minutes = float(max_minutes)
        self.lang, self.basemap = lang, basemap
        self.lock = threading.RLock()
        self.area_m2 = study.demand["area_m2"].to_numpy(float)
        pop = None if residents is None else np.asarray(residents.per_cell, dtype=float)
        self.pop_known = pop is not None and bool(np.isfinite(pop).any())
        self.pop0 = np.nan_to_num(pop, nan=0.0) if pop is not None else np.zeros(len(self.area_m2))
        self.reach_m = self.max_minutes * study.net.metres_per_minute
        self.zone = shapely.buffer(study.area, self.reach_m)
        self.units = None if units is None else units.aligned(study)
        self.unit_names, self.unit_of = _units(study, units)
        self.choices = standard_choices(standards, metres_per_minute=study.net.metres_per_minute,
                                        max_minutes=self.max_minutes)
        self._today: dict[tuple[str, float], Scenario] = {}
        self._context: dict[str, Any] | None = None
        self.scenarios: dict[str, Scenario] = {}

    # ------------------------------------------------------------------ validation
    def check_standard(self, kind: str, minutes: float) -> tuple[str, float]:
        """(kind, minutes) checked against the standards and the study's reach."""
        if kind not in self.standards.kinds:
            raise InputError(f"unknown kind {kind!r}; the standards know: {', '.join(self.standards.kinds)}")
        return kind, self.check_minutes(minutes)

    def check_minutes(self, minutes: float) -> float:
        """Walking minutes checked: a number within the standards' limits and the study's reach."""
        lim = LIMITS["circles.*.tiers.*.minutes"]
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not np.isfinite(minutes):
            raise InputError(f"minutes must be a number, got {minutes!r}")
        if not lim.lo < minutes <= lim.hi:
            raise InputError(f"minutes must be more than {lim.lo:g} and at most {lim.hi:g}, got {minutes!r}")
        if minutes > self.max_minutes + 1e-9:
            raise InputError(f"minutes must be at most {self.max_minutes:g}: the study was loaded for walks up to "
                             f"{self.max_minutes:g} min (its network reaches {self.reach_m:,.0f} m beyond the area)")
        return float(minutes)

    def snap_lonlat(self, coords: Sequence[Any], *, what: str = "point") -> tuple[SnappedPoints,
                                                                                             np.ndarray]:
        """WGS84 (lon, lat) pairs checked to lie in the study area's reach, snapped; also their metric points."""
        arr = np.asarray(_pairs(coords, what=what), dtype=float).reshape(-1, 2)
        pts = gpd.GeoSeries(gpd.points_from_xy(arr[:, 0], arr[:, 1]), crs=WEB_CRS).to_crs(self.study.crs)
        g = pts.to_numpy()
        inside = shapely.covers(self.zone, g)
        if not inside.all():
            i = int(np.flatnonzero(~inside)[0])
            raise InputError(f"{what} {i + 1} (lon {arr[i, 0]:g}, lat {arr[i, 1]:g}) lies outside the study area and "
                             f"its {self.reach_m:,.0f} m reach: place facilities in or near the area")
        snapped = snap_points(self.study.net, gpd.GeoDataFrame(geometry=g, crs=self.study.crs),
                              max_snap_m=self.study.max_snap_m, warn=False)
        return snapped, g

    # ------------------------------------------------------------------ states
    def today(self, kind: str, minutes: float) -> Scenario:
        """The study's own facilities of ``kind`` measured at ``minutes`` (computed once, never edited)."""
        kind, minutes = self.check_standard(kind, minutes)
        with self.lock:
            key = (kind, minutes)
            if key not in self._today:
                acc = self.study.snapped_facilities(kind)
                state = CoverageState(self.study.engine, self.study.demand_snap, acc, cutoff_min=minutes,
                                      weights=self._weights())
                fac = self.study.facilities_of(kind)
                on = acc.features_on_network
                lon, lat = _lonlat(fac.geometry.to_numpy(), self.study.crs)
                names = _names(fac, kind)
                facilities = {i: Facility(id=i, name=names[i], lon=float(lon[i]), lat=float(lat[i]),
                                          origin="existing", on_network=bool(on[i])) for i in range(len(fac))}
                self._today[key] = Scenario(name=TODAY, kind=kind, minutes=minutes, state=state, facilities=facilities)
            return self._today[key]

    def _weights(self) -> dict[str, np.ndarray]:
        return {"area_m2": self.area_m2, "residents": self.pop0}

    def scenario(self, name: str) -> Scenario:
        with self.lock:
            if name not in self.scenarios:
                known = ", ".join(map(repr, self.scenarios)) or "none yet"
                raise ScenarioNotFound(f"no scenario named {name!r} (scenarios: {known})")
            return self.scenarios[name]

    def create_scenario(self, name: str, *, kind: str | None = None, minutes: float | None = None,
                        copy_of: str | None = None) -> Scenario:
        """A new scenario: today's facilities of ``kind`` at ``minutes``, or a copy of scenario ``copy_of``."""
        if not isinstance(name, str) or not NAME_RE.match(name) or name == TODAY:
            raise InputError(f"scenario names are 1-64 letters, digits, spaces or -_. (and not {TODAY!r}), "
                             f"got {name!r}")
        with self.lock:
            if name in self.scenarios:
                raise InputError(f"a scenario named {name!r} exists already: delete it first or pick another name")
            if copy_of is not None:
                src = (self.today(kind, minutes) if copy_of == TODAY and kind and minutes is not None
                       else self.scenario(copy_of))
            else:
                if kind is None or minutes is None:
                    raise InputError("a new scenario needs a kind and minutes (or copy_of: another scenario)")
                src = self.today(kind, minutes)
            sc = src.copy(name)
            self.scenarios[name] = sc
            return sc

    def delete_scenario(self, name: str) -> None:
        with self.lock:
            self.scenario(name)
            del self.scenarios[name]

    # ------------------------------------------------------------------ edits
    def edit(self, name: str, edit: Mapping[str, Any]) -> dict[str, Any]:
        """Apply one edit (``{"op": "add", "at": [lon, lat], "name": ...}``, ``{"op": "move", "id": n, "to":
        [lon, lat]}`` or ``{"op": "remove", "id": n}``) to scenario ``name``; returns the change and figures."""
        with self.lock:
            sc = self.scenario(name)
            change = self._apply(sc, edit, origin="added")
            sc.edits.append(dict(edit))
            return {"change": self.change_dict(change), "figures": self.figures(sc)}

    def _apply(self, sc: Scenario, edit: Mapping[str, Any], *, origin: str) -> Change:
        op = edit.get("op") if isinstance(edit, Mapping) else None
        if op == "add":
            snapped, g = self.snap_lonlat([edit.get("at")], what="point")
            fid = sc.state.next_id
            ch = sc.state.add(snapped)
            lon, lat = (float(v) for v in edit["at"])
            label = edit.get("name")
            sc.facilities[fid] = Facility(id=fid, name=str(label) if label else f"new {sc.kind} {fid}", lon=lon,
                                          lat=lat, origin=origin, on_network=bool(snapped.on_network[0]))
            return ch
        if op in ("move", "remove"):
            fid = _facility_id(edit.get("id"), sc)
            if op == "remove":
                ch = sc.state.remove(fid)
                del sc.facilities[fid]
                return ch
            snapped, _ = self.snap_lonlat([edit.get("to")], what="point")
            ch = sc.state.move(fid, snapped)
            f = sc.facilities[fid]
            f.lon, f.lat = (float(v) for v in edit["to"])
            f.on_network = bool(snapped.on_network[0])
            return ch
        raise InputError(f"an edit's op must be 'add', 'move' or 'remove', got {op!r}")

    def what_if(self, kind: str, minutes: float, *, add: Sequence[Sequence[float]] = (),
                remove: Sequence[int] = (), scenario: str | None = None) -> dict[str, Any]:
        """Coverage of today's facilities (or of ``scenario``) with ``remove`` closed and ``add`` opened.

        Nothing is kept: the scenario (if any) is unchanged. Returns the figures and the change
        against the starting point.
        """
        with self.lock:
            if scenario is not None:
                start = self.scenario(scenario)
                if (start.kind, start.minutes) != self.check_standard(kind, minutes):
                    raise InputError(f"scenario {scenario!r} measures {start.kind} within {start.minutes:g} min, "
                                     f"not {kind} within {minutes:g} min")
            else:
                start = self.today(kind, minutes)
            if not isinstance(remove, (list, tuple)):
                raise InputError("remove must be a list of facility ids")
            if len(add):
                self.snap_lonlat(add, what="added point")  # every point checked before any work
            sc = start.copy(start.name)
            change: Change | None = None
            for fid in remove:
                ch = self._apply(sc, {"op": "remove", "id": fid}, origin="added")
                change = ch if change is None else merge_changes(change, ch, weights=sc.state.weights)
            for at in add:
                ch = self._apply(sc, {"op": "add", "at": at}, origin="added")
                change = ch if change is None else merge_changes(change, ch, weights=sc.state.weights)
            return {"figures": self.figures(sc), "change": None if change is None else self.change_dict(change),
                    "added_ids": sorted(set(sc.facilities) - set(start.facilities))}

    # ------------------------------------------------------------------ figures
    def figures(self, sc: Scenario) -> dict[str, Any]:
        """Coverage figures of a scenario: shares of land and residents, residents covered, per unit."""
        cov = sc.state.covered
        area, pop = self.area_m2, self.pop0
        out: dict[str, Any] = {
            "scenario": sc.name, "kind": sc.kind, "minutes": sc.minutes,
            "facilities_open": len(sc.facilities),
            "facilities_off_network": sum(not f.on_network for f in sc.facilities.values()),
            "residential_area_m2": float(area.sum()),
            "covered_area_m2": float(area[cov].sum()),
            "covered_share_land": share(area, cov),
            "residents": float(pop.sum()) if self.pop_known else None,
            "residents_covered": float(pop[cov].sum()) if self.pop_known else None,
            "covered_share_residents": share(pop, cov) if self.pop_known else None,
            "population_source": None if self.residents is None else self.residents.source,
            "demand_cells": len(area),
            "demand_cells_covered": int(cov.sum()),
            "units": self._unit_rows(cov),
        }
        return out

    def _unit_rows(self, cov: np.ndarray) -> list[dict[str, Any]] | None:
        if self.unit_names is None:
            return None
        n = len(self.unit_names)
        sel = self.unit_of >= 0
        u = self.unit_of[sel]
        land = np.bincount(u, weights=self.area_m2[sel], minlength=n)
        land_c = np.bincount(u, weights=np.where(cov, self.area_m2, 0.0)[sel], minlength=n)
        res = np.bincount(u, weights=self.pop0[sel], minlength=n)
        res_c = np.bincount(u, weights=np.where(cov, self.pop0, 0.0)[sel], minlength=n)
        rows = []
        for i, name in enumerate(self.unit_names):
            rows.append({
                "unit": i, "unit_name": name, "residential_area_m2": float(land[i]),
                "covered_area_m2": float(land_c[i]),
                "covered_share_land": float(land_c[i] / land[i]) if land[i] > 0 else None,
                "residents": float(res[i]) if self.pop_known else None,
                "residents_covered": float(res_c[i]) if self.pop_known else None,
                "covered_share_residents": (float(res_c[i] / res[i]) if self.pop_known and res[i] > 0 else None),
            })
        return rows

    def change_dict(self, ch: Change) -> dict[str, Any]:
        """A :class:`Change` as JSON: cell ids gained and lost, land and residents gained and lost."""
        return {
            "facility": ch.facility,
            "cells_changed": len(ch.cells),
            "cells_gained": ch.cells_gained.tolist(),
            "cells_lost": ch.cells_lost.tolist(),
            "land_gained_m2": ch.gained["area_m2"], "land_lost_m2": ch.lost["area_m2"],
            "residents_gained": ch.gained["residents"] if self.pop_known else None,
            "residents_lost": ch.lost["residents"] if self.pop_known else None,
            "searched_nodes": ch.searched_nodes,
        }

    def compare(self, a: str, b: str) -> dict[str, Any]:
        """Scenario ``a`` (before) against ``b`` (after): shares per unit and the land that changes.

        ``a`` may be ``"today"``: the study's facilities for ``b``'s kind and minutes.
        """
        with self.lock:
            sb = self.scenario(b)
            sa = self.today(sb.kind, sb.minutes) if a == TODAY else self.scenario(a)
            if (sa.kind, sa.minutes) != (sb.kind, sb.minutes):
                raise InputError(f"scenarios {a!r} and {b!r} measure different standards ({sa.kind} within "
                                 f"{sa.minutes:g} min, {sb.kind} within {sb.minutes:g} min): compare like with like")
            fa, fb = self.figures(sa), self.figures(sb)
            ca, cb = sa.state.covered, sb.state.covered
            gained, lost = np.flatnonzero(~ca & cb), np.flatnonzero(ca & ~cb)
            units = None
            if fa["units"] is not None:
                units = [{"unit": ua["unit"], "unit_name": ua["unit_name"],
                          "covered_share_land_before": ua["covered_share_land"],
                          "covered_share_land_after": ub["covered_share_land"],
                          "covered_share_residents_before": ua["covered_share_residents"],
                          "covered_share_residents_after": ub["covered_share_residents"]}
                         for ua, ub in zip(fa["units"], fb["units"], strict=True)]
            return {"before": a, "after": b, "kind": sb.kind, "minutes": sb.minutes,
                    "figures_before": {k: v for k, v in fa.items() if k != "units"},
                    "figures_after": {k: v for k, v in fb.items() if k != "units"},
                    "units": units,
                    "cells_gained": gained.tolist(), "cells_lost": lost.tolist(),
                    "land_gained_m2": float(self.area_m2[gained].sum()),
                    "land_lost_m2": float(self.area_m2[lost].sum()),
                    "residents_gained": float(self.pop0[gained].sum()) if self.pop_known else None,
                    "residents_lost": float(self.pop0[lost].sum()) if self.pop_known else None}

    def best_sites(self, *, scenario: str | None = None, kind: str | None = None, minutes: float | None = None,
                   n: int = 1, objective: str | None = None, method: str = "auto") -> dict[str, Any]:
        """The gap solver (``beichen-geo gaps``) on a scenario's facilities: where ``n`` new ones gain most.

        The scenario (or today's facilities of ``kind`` at ``minutes``) stays as it is; the answer
        gives the proposed sites (WGS84) with their gains, and the coverage before and after.
        """
        from ..analyses.gaps import gap_analysis
        from ..lonlat import with_lonlat

        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 50:
            raise InputError(f"n (new sites) must be a whole number from 1 to 50, got {n!r}")
        with self.lock:
            sc = self.scenario(scenario) if scenario is not None else self.today(kind or "", minutes or 0.0)
            study = self.scenario_study(sc)
        res = gap_analysis(study, self.standards, kind=sc.kind, minutes=sc.minutes, residents=self.residents,
                           n_new=n, objective=objective, method=method)  # type: ignore[arg-type]
        sites = with_lonlat(res.layers["proposed_sites"])
        cols = ["rank", "name", "gain_residents", "gain_area_m2", "gain_cells", "covered_share_land_after",
                "covered_share_residents_after", "lon_wgs84", "lat_wgs84"]
        rows = pd.DataFrame(sites[[c for c in cols if c in sites.columns]])
        s = res.summary
        return {"scenario": sc.name, "kind": sc.kind, "minutes": sc.minutes, "n_requested": n,
                "objective": s["objective"], "before": s["before"], "after": s["after"],
                "sites": [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
                          for r in rows.to_dict("records")],
                "candidates": s["candidates"], "solver": s["solver"]}

    # ------------------------------------------------------------------ exports and layers
    def facilities_frame(self, sc: Scenario, *, coords: str = "wgs84") -> pd.DataFrame:
        """The open facilities of ``sc`` as a table a ``--facilities`` file can be: id, name, kind, lon, lat.

        ``coords`` = ``wgs84`` (default), ``gcj02`` or ``bd09``: the system of ``lon``/``lat`` (said in
        column ``coords``). Coordinates keep full precision, so the file read back gives the same
        points (and the same figures).
        """
        from geo.coords import convert, normalize_system

        system = normalize_system(coords, argument="coords")
        fac = [sc.facilities[i] for i in sorted(sc.facilities)]
        lon = np.array([f.lon for f in fac], dtype=float)
        lat = np.array([f.lat for f in fac], dtype=float)
        if system != "wgs84" and len(fac):
            x, y = convert(lon, lat, src="wgs84", dst=system)
            lon, lat = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return pd.DataFrame({"id": [f.id for f in fac], "name": [f.name for f in fac], "kind": sc.kind,
                             "lon": lon, "lat": lat, "coords": system, "origin": [f.origin for f in fac]})

    def scenario_facilities(self, sc: Scenario) -> gpd.GeoDataFrame:
        """The open facilities of ``sc`` in the study CRS, as a study's facilities table holds them.

        Existing facilities keep their own geometry (a park stays a polygon), added ones are points.
        """
        base = self.study.facilities_of(sc.kind)
        existing = [i for i in sorted(sc.facilities) if sc.facilities[i].origin == "existing" and i < len(base)]
        parts = [base.iloc[existing]]
        new = [sc.facilities[i] for i in sorted(sc.facilities) if sc.facilities[i].origin != "existing"]
        if new:
            g = gpd.GeoSeries(gpd.points_from_xy([f.lon for f in new], [f.lat for f in new]), crs=WEB_CRS)
            parts.append(gpd.GeoDataFrame({"kind": sc.kind, "name": [f.name for f in new]},
                                          geometry=g.to_crs(self.study.crs).to_numpy(), crs=self.study.crs))
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=self.study.crs)

    def scenario_study(self, sc: Scenario) -> Study:
        """The study with the facilities of ``sc``'s kind replaced by the scenario's (the batch commands' input).

        Every other kind keeps the study's facilities. The copy has its own caches (snaps are
        computed again for it), so the workbench's study is not changed.
        """
        fac = self.scenario_facilities(sc)
        others = self.study.facilities.loc[self.study.facilities["kind"] != sc.kind]
        return dataclasses.replace(self.study, facilities=gpd.GeoDataFrame(
            pd.concat([others, fac], ignore_index=True), geometry="geometry", crs=self.study.crs))

    def cells_geojson(self, sc: Scenario) -> dict[str, Any]:
        """The demand cells (WGS84) with id, land, residents, unit, minutes and covered, as GeoJSON."""
        cells = self.study.demand
        mins = sc.state.minutes
        gdf = gpd.GeoDataFrame({
            "id": np.arange(len(cells)), "area_m2": self.area_m2,
            "residents": self.pop0 if self.pop_known else np.full(len(cells), np.nan),
            "unit": self.unit_of, "minutes": np.where(np.isfinite(mins), mins, np.nan),
            "covered": sc.state.covered, "on_network": self.study.demand_snap.on_network,
        }, geometry=cells.geometry.to_numpy(), crs=self.study.crs).to_crs(WEB_CRS)
        import json

        return json.loads(gdf.to_json(na="null", drop_id=True))

    def context(self) -> dict[str, Any]:
        """The street context of the page, built once (:func:`beichen_geo.serve.layers.context_data`)."""
        with self.lock:
            if self._context is None:
                self._context = context_data(self.study, lang=self.lang)
            return self._context

    def covered_cells(self, sc: Scenario) -> dict[str, Any]:
        """Each demand cell's state in ``sc`` without its geometry (the page's light refresh).

        ``covered`` (bool per cell id, as in :meth:`cells_geojson`), ``minutes`` (walk to the
        nearest open facility, min; null beyond the cutoff) and the scenario's ``figures``.
        """
        mins = sc.state.minutes
        return {"scenario": sc.name, "kind": sc.kind, "minutes_cutoff": sc.minutes,
                "covered": sc.state.covered.tolist(),
                "minutes": [float(m) if np.isfinite(m) else None for m in mins],
                "figures": self.figures(sc)}

    def node_lonlat(self) -> np.ndarray:
        """WGS84 (lon, lat) of every network node (for benchmarks and tests that click on streets)."""
        lon, lat = _lonlat(self.study.net.nodes.geometry.to_numpy(), self.study.crs)
        keep = shapely.covers(self.zone, self.study.net.nodes.geometry.to_numpy())
        return np.column_stack([lon, lat])[keep]

    def info(self) -> dict[str, Any]:
        """What the page needs first: the study's extent, sizes, units, residents source and page settings."""
        s = self.study
        w, so, e, n = (float(v) for v in gpd.GeoSeries([s.area], crs=s.crs).to_crs(WEB_CRS).total_bounds)
        return {"data": s.source, "crs": str(s.crs), "bounds_wgs84": [w, so, e, n],
                "area_km2": round(s.area.area / 1e6, 3), "demand_cells": len(s.demand),
                "walk_speed_kmh": s.net.speed_kmh, "max_minutes": self.max_minutes,
                "population_source": None if self.residents is None else self.residents.source,
                "population_is_estimate": None if self.residents is None else bool(self.residents.is_estimate),
                "units": self.unit_names, "lang": self.lang, "basemap": self.basemap,
                "tiles": tile_layers(self.basemap, lang=self.lang), "exports": list(EXPORTS),
                "scenarios": sorted(self.scenarios), "colours": page_colours()}


# ---------------------------------------------------------------------------- helpers
def page_colours() -> dict[str, str]:
    """The page's colours by meaning, from the maps' one palette (:mod:`geo.maps.palette`)."""
    from geo.maps import palette

    dark = palette.brewer("RdYlBu", 11)  # the darkest ends of the covered / not covered scheme
    return {"covered": palette.COVERED, "uncovered": palette.NOT_COVERED, "off": palette.NO_DATA,
            "unit": palette.OUTLINE, "area": palette.OUTLINE, "reach": palette.band_colors(3)[1],
            "gained": dark[-1], "lost": dark[0], "proposed": palette.PROPOSED}


def _pairs(coords: Iterable[Any], *, what: str) -> list[tuple[float, float]]:
    """``[[lon, lat], ...]`` checked: two finite numbers each, within the ranges of degrees."""
    out = []
    for i, c in enumerate(coords):
        ok = isinstance(c, (list, tuple)) and len(c) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in c)
        if not ok:
            raise InputError(f"{what} {i + 1}: give [longitude, latitude] in WGS84 degrees, got {c!r}")
        lon, lat = float(c[0]), float(c[1])
        if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise InputError(f"{what} {i + 1}: [{c[0]!r}, {c[1]!r}] is not a WGS84 longitude/latitude "
                             "(-180..180, -90..90)")
        out.append((lon, lat))
    return out


def _facility_id(value: Any, sc: Scenario) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"a facility id is a whole number, got {value!r}")
    if int(value) not in sc.facilities:
        raise InputError(f"scenario {sc.name!r} has no open facility with id {value!r}")
    return int(value)


def _lonlat(geoms: np.ndarray, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    if len(geoms) == 0:
        return np.zeros(0), np.zeros(0)
    pts = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    g = gpd.GeoSeries(pts, crs=crs).to_crs(WEB_CRS).to_numpy()
    return shapely.get_x(g), shapely.get_y(g)


def _names(fac: gpd.GeoDataFrame, kind: str) -> list[str]:
    raw = fac["name"].to_numpy() if "name" in fac.columns else np.full(len(fac), None)
    return [str(v).strip() if isinstance(v, str) and v.strip() else f"{kind} #{i + 1}" for i, v in enumerate(raw)]


def _units(study: Study, units: Grouping | None) -> tuple[list[str] | None, np.ndarray]:
    """Unit names and each cell's unit (-1 in none): the grouping every analysis uses (:mod:`beichen_geo.units`)."""
    if units is None:
        return None, np.full(len(study.demand), -1, dtype=np.int64)
    return list(units.names), np.asarray(units.aligned(study).cell_unit, dtype=np.int64)
