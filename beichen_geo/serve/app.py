"""The workbench's web application: the JSON API under ``/api`` and the page's static files.

``create_app(workbench)`` returns a FastAPI application. Every error is a JSON answer
``{"error": "..."}``: 400 for a bad value (the message of the command line's own check), 401/403
for access, 404 for an unknown scenario or route, 413 for an upload over the cap, 422 for a
request of the wrong shape, 500 (logged) for a fault of ours; the server keeps serving.
The OpenAPI description is at ``/api/openapi.json``; the interactive docs pages are off, as they
load their scripts from the internet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import DataError, GeoError

from .auth import access_middleware
from .layers import CONTEXT_FILES, context_file
from .routes import router
from .uploads import UploadTooLarge
from .workbench import ScenarioNotFound, Workbench

#: The page's files, shipped in the package (no CDN: the page works offline).
STATIC = Path(__file__).parent / "static"

log = logging.getLogger("beichen_geo.serve")


def leaflet_dir() -> Path:
    """Leaflet's files (``leaflet.js``, ``leaflet.css``, ``images/``) from the XStatic-Leaflet package.

    The maps inline the same copy (:mod:`geo.maps.assets`); the page loads it from
    ``/static/leaflet/`` so that it needs no internet.
    """
    import xstatic.pkg.leaflet as leaflet

    return Path(leaflet.BASE_DIR)


def _package_file(name: str) -> Callable[[], FileResponse]:
    path = context_file(name)
    media = "text/javascript; charset=utf-8" if name.endswith(".js") else "text/css; charset=utf-8"

    def send() -> FileResponse:
        return FileResponse(path, media_type=media)

    return send


def create_app(workbench: Workbench, *, token: str | None = None, loopback_only: bool = True) -> FastAPI:
    """The web application serving ``workbench``.

    Parameters
    ----------
    workbench
        The loaded study and its scenarios.
    token
        Access token every request must carry (``?token=``, then a cookie, or ``Authorization:
        Bearer``); None = none asked (loopback).
    loopback_only
        Answer only requests addressed to 127.0.0.1 / localhost (the default binding).
    """
    app = FastAPI(title="beichen-geo what-if workbench", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.workbench = workbench
    app.middleware("http")(access_middleware(token, loopback_only=loopback_only))
    app.include_router(router)
    for name in CONTEXT_FILES:  # the maps' street-context code, from the geo package
        app.add_api_route(f"/static/maps/{name}", _package_file(name), include_in_schema=False)
    app.mount("/static/leaflet", StaticFiles(directory=leaflet_dir()), name="leaflet")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    _errors(app)
    return app


def _errors(app: FastAPI) -> None:
    """Every error as ``{"error": "..."}`` with a 4xx code (500 only for a fault of ours)."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:  # noqa: ARG001
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            ctx: dict[str, Any] = next((e.get("ctx", {}) for e in errs if e.get("type") == "json_invalid"), {})
            return JSONResponse({"error": f"the request body is not valid JSON ({ctx.get('error', 'parse error')})"},
                                status_code=400)
        if any(e.get("type") == "model_attributes_type" and tuple(e.get("loc", ())) == ("body",) for e in errs):
            return JSONResponse({"error": "send the request body as a JSON object (Content-Type: application/json)"},
                                status_code=422)
        parts = []
        for e in errs[:5]:
            loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            parts.append(f"{loc or 'body'}: {e.get('msg', 'invalid')}")
        return JSONResponse({"error": "; ".join(parts)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:  # noqa: ARG001
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such route: {request.method} {request.url.path}"
        return JSONResponse({"error": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(GeoError)
    async def geo_error(request: Request, exc: GeoError) -> JSONResponse:  # noqa: ARG001
        code = 404 if isinstance(exc, ScenarioNotFound) else 413 if isinstance(exc, UploadTooLarge) else (
            422 if isinstance(exc, DataError) else 400)
        return JSONResponse({"error": str(exc)}, status_code=code)

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> JSONResponse:
        log.exception("fault answering %s %s", request.method, request.url.path)
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); the server goes on serving"},
                            status_code=500)
