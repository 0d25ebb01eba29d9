"""The API routes of the workbench (``/api/...``); the README lists them with examples.

Handlers are plain functions (FastAPI runs them in its thread pool); the :class:`Workbench`
they call takes its own lock. Request bodies are validated by the models below: unknown keys
are refused, not ignored.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import geopandas as gpd
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from geo.errors import InputError
from geo.projection import WEB_CRS

from .uploads import MAX_UPLOAD_BYTES, UploadTooLarge, read_upload, safe_filename
from .workbench import Scenario, Workbench

router = APIRouter(prefix="/api")

LonLat = list[float]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CoverageRequest(_Body):
    kind: str
    minutes: float | None = Field(None, description="walking minutes (default: the kind's first standard)")
    add: list[LonLat] = Field(default_factory=list, description="new facilities, [lon, lat] in WGS84")
    remove: list[int] = Field(default_factory=list, description="ids of facilities to close")
    scenario: str | None = Field(None, description="start from this scenario instead of today's facilities")


class ScenarioRequest(_Body):
    name: str
    kind: str | None = None
    minutes: float | None = None
    copy_of: str | None = Field(None, description="copy this scenario ('today': the study's facilities)")


class EditRequest(_Body):
    op: Literal["add", "move", "remove"]
    at: LonLat | None = Field(None, description="add: where, [lon, lat] WGS84")
    to: LonLat | None = Field(None, description="move: where to, [lon, lat] WGS84")
    id: int | None = Field(None, description="move / remove: the facility id")
    name: str | None = Field(None, max_length=200, description="add: a name for the new facility")


class BestSiteRequest(_Body):
    scenario: str | None = None
    kind: str | None = None
    minutes: float | None = None
    n: int = Field(1, description="number of new sites")
    objective: Literal["residents", "land"] | None = None
    method: Literal["auto", "exact", "greedy"] = "auto"


def _wb(request: Request) -> Workbench:
    return request.app.state.workbench


def _minutes(wb: Workbench, kind: str, minutes: float | None) -> float:
    if minutes is not None:
        return minutes
    for c in wb.choices:
        if c["kind"] == kind:
            return float(c["minutes"])
    wb.check_standard(kind, 1.0)  # an unknown kind is named as such
    raise InputError(f"no standard gives minutes for kind {kind!r}: give minutes")


def _state_of(wb: Workbench, scenario: str | None, kind: str | None, minutes: float | None) -> Scenario:
    if scenario is not None:
        return wb.scenario(scenario)
    if kind is None:
        raise InputError("give a scenario, or a kind (and minutes) for today's facilities")
    return wb.today(kind, _minutes(wb, kind, minutes))


def _scenario_dict(wb: Workbench, sc: Scenario, *, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": sc.name, "kind": sc.kind, "minutes": sc.minutes, "edits": len(sc.edits),
                           "figures": wb.figures(sc)}
    if full:
        out["edit_log"] = sc.edits
        out["facilities"] = [sc.facilities[i].as_dict() for i in sorted(sc.facilities)]
    return out


@router.get("/info")
def info(request: Request) -> dict[str, Any]:
    """The study: extent (WGS84), sizes, residents source, units, page settings, scenario names."""
    return _wb(request).info()


@router.get("/standards")
def standards(request: Request) -> dict[str, Any]:
    """The (kind, minutes) choices of the standards: S-H-01, S-PG-01, every living-circle tier's kinds."""
    wb = _wb(request)
    return {"choices": wb.choices, "max_minutes": wb.max_minutes,
            "kinds": {k: {"label_en": v.label_en, "label_zh": v.label_zh} for k, v in wb.standards.kinds.items()}}


@router.get("/facilities")
def facilities(request: Request, kind: str | None = None, minutes: float | None = None,
               scenario: str | None = None) -> dict[str, Any]:
    """Open facilities (id, name, lon, lat, origin, on_network) of a scenario or of today."""
    wb = _wb(request)
    with wb.lock:
        sc = _state_of(wb, scenario, kind, minutes)
        return {"scenario": sc.name, "kind": sc.kind, "facilities": [sc.facilities[i].as_dict()
                                                                     for i in sorted(sc.facilities)]}


@router.get("/cells")
def cells(request: Request, kind: str | None = None, minutes: float | None = None,
          scenario: str | None = None) -> dict[str, Any]:
    """Demand cells as GeoJSON (WGS84): id, area_m2, residents, unit, minutes, covered, on_network."""
    wb = _wb(request)
    with wb.lock:
        return wb.cells_geojson(_state_of(wb, scenario, kind, minutes))


@router.get("/covered")
def covered(request: Request, kind: str | None = None, minutes: float | None = None,
            scenario: str | None = None) -> dict[str, Any]:
    """Each demand cell's ``covered`` and ``minutes`` (by cell id, no geometry) and the figures: the page's refresh."""
    wb = _wb(request)
    with wb.lock:
        return wb.covered_cells(_state_of(wb, scenario, kind, minutes))


@router.get("/layers")
def layers(request: Request) -> dict[str, Any]:
    """The page's background as GeoJSON (WGS84): ``area`` (the study area), ``units`` (``unit``, ``unit_name``)."""
    from .layers import area_geojson, units_geojson

    wb = _wb(request)
    return {"area": area_geojson(wb.study), "units": units_geojson(wb.units, wb.study)}


@router.get("/context")
def context(request: Request) -> dict[str, Any]:
    """The maps' street context of the study (streets, water, railways, names), encoded as the maps encode it."""
    return _wb(request).context()


@router.get("/isochrone")
def isochrone(request: Request, lon: float, lat: float, minutes: float) -> dict[str, Any]:
    """The street-based area within ``minutes`` of one point (as GeoJSON, WGS84): a new facility's reach."""
    from geo.isochrones import isochrones

    wb = _wb(request)
    wb.check_minutes(minutes)
    snapped, _ = wb.snap_lonlat([[lon, lat]], what="point")
    if not snapped.on_network[0]:
        raise InputError(f"the point (lon {lon:g}, lat {lat:g}) is more than {wb.study.max_snap_m:g} m from any "
                         "street: it reaches nothing")
    buf = float(wb.standards.travel.isochrone_buffer_m.value)
    iso = isochrones(wb.study.engine, snapped, [minutes], buffer_m=buf)
    return json.loads(gpd.GeoDataFrame(iso, crs=wb.study.crs).to_crs(WEB_CRS).to_json(drop_id=True))


@router.post("/coverage")
def coverage(request: Request, body: CoverageRequest) -> dict[str, Any]:
    """Coverage with facilities added and removed (nothing is kept), from today or from a scenario."""
    wb = _wb(request)
    return wb.what_if(body.kind, _minutes(wb, body.kind, body.minutes), add=body.add, remove=body.remove,
                      scenario=body.scenario)


@router.get("/scenarios")
def list_scenarios(request: Request) -> dict[str, Any]:
    wb = _wb(request)
    with wb.lock:
        return {"scenarios": [_scenario_dict(wb, sc, full=False) for sc in wb.scenarios.values()]}


@router.post("/scenarios", status_code=201)
def create_scenario(request: Request, body: ScenarioRequest) -> dict[str, Any]:
    """A new named scenario: today's facilities of ``kind`` at ``minutes``, or a copy of ``copy_of``."""
    wb = _wb(request)
    minutes = body.minutes if body.minutes is not None or body.kind is None else _minutes(wb, body.kind, None)
    with wb.lock:
        sc = wb.create_scenario(body.name, kind=body.kind, minutes=minutes, copy_of=body.copy_of)
        return _scenario_dict(wb, sc, full=True)


@router.get("/scenarios/{name}")
def get_scenario(request: Request, name: str) -> dict[str, Any]:
    wb = _wb(request)
    with wb.lock:
        return _scenario_dict(wb, wb.scenario(name), full=True)


@router.delete("/scenarios/{name}")
def delete_scenario(request: Request, name: str) -> dict[str, Any]:
    _wb(request).delete_scenario(name)
    return {"deleted": name}


@router.post("/scenarios/{name}/edits")
def edit_scenario(request: Request, name: str, body: EditRequest) -> dict[str, Any]:
    """One edit: add (``at``), move (``id``, ``to``) or remove (``id``); returns the change and the figures."""
    edit = {k: v for k, v in body.model_dump().items() if v is not None}
    return _wb(request).edit(name, edit)


@router.get("/scenarios/{name}/export.csv")
def export_csv(request: Request, name: str, coords: Literal["wgs84", "gcj02", "bd09"] = "wgs84") -> Response:
    """The scenario's open facilities as a CSV that ``--facilities FILE --kind K --coords C`` reads back."""
    from geo.io import csv_bytes

    wb = _wb(request)
    with wb.lock:
        sc = wb.scenario(name)
        frame = wb.facilities_frame(sc, coords=coords)
    return Response(csv_bytes(frame, round_by_unit=False), media_type="text/csv; charset=utf-8",
                    headers=_attachment(f"{_safe(name)}_{sc.kind}_{coords}.csv"))


@router.get("/scenarios/{name}/assess.json")
def export_assess_json(request: Request, name: str, lang: Literal["zh", "en"] | None = None) -> Response:
    """The scenario's assessment (``assess.json``'s layout): the analyses of its standard run on its facilities."""
    from geo.io import jsonable

    from .assessment import scenario_document

    wb = _wb(request)
    sc = wb.scenario(name)
    doc = scenario_document(wb, sc, lang=lang or wb.lang)
    body = json.dumps(jsonable(doc), ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8")
    return Response(body, media_type="application/json; charset=utf-8",
                    headers=_attachment(f"{_safe(name)}_assess.json"))


@router.get("/scenarios/{name}/assess.xlsx")
def export_assess_xlsx(request: Request, name: str, lang: Literal["zh", "en"] | None = None) -> Response:
    """The scenario's assessment as the ``assess`` workbook (text cells are never formulas)."""
    from .assessment import scenario_workbook

    wb = _wb(request)
    sc = wb.scenario(name)
    data = scenario_workbook(wb, sc, lang=lang or wb.lang)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers=_attachment(f"{_safe(name)}_assess.xlsx"))


def _safe(name: str) -> str:
    """A scenario name as part of a download's file name (letters, digits, - and _; others as _)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def _attachment(filename: str) -> dict[str, str]:
    """A ``Content-Disposition`` header for ``filename``: ASCII ``filename=`` and UTF-8 ``filename*=`` (RFC 6266).

    HTTP headers are Latin-1: a Chinese scenario name goes in ``filename*`` only.
    """
    from urllib.parse import quote

    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in filename)
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"}


@router.get("/compare")
def compare(request: Request, before: str = Query(..., description="a scenario name or 'today'"),
            after: str = Query(...)) -> dict[str, Any]:
    """Two scenarios of one standard side by side: shares per unit before/after, the land that changes."""
    return _wb(request).compare(before, after)


@router.post("/upload")
async def upload(request: Request, filename: str, kind: str, coords: Literal["wgs84", "gcj02", "bd09"] = "wgs84",
                 sheet: str | None = None, layer: str | None = None, lon_col: str | None = None,
                 lat_col: str | None = None, scenario: str | None = None) -> dict[str, Any]:
    """A facility list (the file as the request body; CSV, Excel or GIS), read as ``--facilities`` reads it.

    With ``scenario`` the points are added to that scenario (one edit each).
    """
    import anyio

    wb = _wb(request)
    name = safe_filename(filename)
    wb.check_standard(kind, wb.max_minutes)
    data = await _body_capped(request)
    opts = {k: v for k, v in {"sheet": int(sheet) if sheet and sheet.isdigit() else sheet, "layer": layer,
                              "lon_col": lon_col, "lat_col": lat_col}.items() if v is not None}
    zone = gpd.GeoSeries([wb.zone], crs=wb.study.crs).to_crs(WEB_CRS).iloc[0]
    parsed = await anyio.to_thread.run_sync(
        lambda: read_upload(data, name, kind=kind, coords=coords, zone_wgs84=zone, reach_m=wb.reach_m, options=opts))
    if scenario is not None:
        parsed["added"] = await anyio.to_thread.run_sync(lambda: _add_uploaded(wb, scenario, parsed))
    return parsed


def _add_uploaded(wb: Workbench, scenario: str, parsed: dict[str, Any]) -> dict[str, Any]:
    with wb.lock:
        sc = wb.scenario(scenario)
        if sc.kind != parsed["kind"]:
            raise InputError(f"scenario {scenario!r} holds {sc.kind} facilities, the upload {parsed['kind']}")
        ids = []
        for at, nm in zip(parsed["points"], parsed["names"], strict=True):
            ids.append(sc.state.next_id)
            wb.edit(scenario, {"op": "add", "at": at, "name": nm})
            sc.facilities[ids[-1]].origin = "upload"
        return {"ids": ids, "figures": wb.figures(sc)}


async def _body_capped(request: Request) -> bytes:
    """The request body, refused (413) beyond :data:`MAX_UPLOAD_BYTES` without keeping more than that."""
    cap = MAX_UPLOAD_BYTES
    declared = request.headers.get("content-length")
    too_big = declared is not None and declared.isdigit() and int(declared) > cap
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            too_big = True
        if not too_big:
            chunks.append(chunk)
        if size > 16 * cap:  # drained enough: stop reading, the connection closes
            break
    if too_big:
        raise UploadTooLarge(f"the upload is larger than {cap // 2**20} MiB (the cap): split the facility list")
    return b"".join(chunks)


@router.post("/best-site")
def best_site(request: Request, body: BestSiteRequest) -> dict[str, Any]:
    """Where ``n`` new facilities gain most (the ``gaps`` solver) on a scenario or on today's facilities."""
    wb = _wb(request)
    minutes = body.minutes
    if body.scenario is None:
        if body.kind is None:
            raise InputError("give a scenario, or a kind (and minutes) for today's facilities")
        minutes = _minutes(wb, body.kind, body.minutes)
    return wb.best_sites(scenario=body.scenario, kind=body.kind, minutes=minutes, n=body.n,
                         objective=body.objective, method=body.method)
