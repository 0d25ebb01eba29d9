"""Basemaps: the tile layers of each basemap choice, and the Tianditu key check.

Tile URLs and attributions come from ``xyzservices`` (and, for Tianditu, from constants of
this module); they are data of the page, written into its JSON block like everything else.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from typing import Any, Final

from ..errors import InputError
from .text import ui_text

__all__ = ["BASEMAPS", "MAX_ZOOM", "attribution", "basemap_layers", "resolve_tianditu_key"]

#: Basemap names accepted by :class:`~geo.maps.MapBuilder`.
BASEMAPS: Final = ("osm", "positron", "gaode", "tianditu", "none")

#: Map zoom limit; tiles beyond their native zoom are stretched (vector layers stay sharp).
MAX_ZOOM: Final = 19

_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_\-]{8,128}$")
_TIANDITU_URL: Final = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
_TIANDITU_ATTR: Final = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>'
_ATTRIBUTION_OK: Final = re.compile(r'^(?:[^<>"]|<a href="https?://[^"<>\s]+">[^<>"]*</a>)*$')

_Tiles = list[tuple[str, dict[str, Any]]]


def attribution(html_text: str, plain: str) -> str:
    """Tile attribution for Leaflet (which shows it as HTML).

    The attributions are constants of this module and of ``xyzservices`` (not data); still,
    one holding anything but text and ``<a href="http(s)://...">`` links is shown as
    escaped plain text.
    """
    if _ATTRIBUTION_OK.match(html_text):
        return html_text
    return html.escape(plain, quote=True)


def resolve_tianditu_key(key: str | None) -> str:
    """The Tianditu browser key: ``key``, else the ``TIANDITU_KEY`` environment variable.

    Raises
    ------
    InputError
        If there is no key or it holds unexpected characters.
    """
    key = key or os.environ.get("TIANDITU_KEY") or ""
    if not key.strip():
        raise InputError(
            "basemap='tianditu' needs a Tianditu key: pass tianditu_key=... or set the "
            "TIANDITU_KEY environment variable (free browser key from "
            "console.tianditu.gov.cn), or choose another basemap"
        )
    key = key.strip()
    if not _KEY_RE.match(key):
        raise InputError("the Tianditu key has unexpected characters; check TIANDITU_KEY")
    return key


def _provider_attribution(p: Mapping[str, Any]) -> str:
    return attribution(p["html_attribution"], p.get("attribution", ""))


def _tiles(basemap: str, *, lang: str, carto_key: str | None, tianditu: str | None) -> _Tiles:
    """``[(url, Leaflet tile options), ...]`` of one basemap (not ``"none"``)."""
    import xyzservices.providers as xyz

    if basemap == "osm":
        p = xyz.OpenStreetMap.Mapnik
        return [(p["url"], {"attribution": _provider_attribution(p), "maxNativeZoom": 19})]
    if basemap == "positron":
        p = xyz.CartoDB.Positron
        url = p["url"].replace("{variant}", p["variant"]).replace("{r}", "")
        if carto_key:
            url = url.replace("{apikey}", carto_key)
        else:
            url = url.removesuffix("?key={apikey}")
        opts = {"attribution": _provider_attribution(p), "subdomains": p["subdomains"]}
        return [(url, {**opts, "maxNativeZoom": 19})]
    if basemap == "gaode":
        p = xyz.Gaode.Normal
        return [(p["url"], {"attribution": _provider_attribution(p), "maxNativeZoom": 18})]
    label = "cva" if lang == "zh" else "eva"  # tianditu: vector tiles + annotation
    return [
        (
            _TIANDITU_URL.format(layer=layer, key=tianditu, s="{s}", x="{x}", y="{y}", z="{z}"),
            {"attribution": attribution(_TIANDITU_ATTR, "Tianditu"),
             "subdomains": "01234567", "maxNativeZoom": 18},
        )
        for layer in ("vec", label)
    ]


def basemap_layers(
    basemap: str, *, lang: str, carto_key: str | None = None, tianditu: str | None = None
) -> list[dict[str, Any]]:
    """Base layers ``{"name", "tiles": [[url, options], ...]}`` of the page, the first shown.

    Parameters
    ----------
    basemap
        One of :data:`BASEMAPS`; ``"none"`` gives no layer.
    lang
        Language of the layer names (and of Tianditu's annotation tiles).
    carto_key, tianditu
        CARTO key (optional) and Tianditu key (needed for ``"tianditu"``).
    """
    if basemap == "none":
        return []
    tiles = _tiles(basemap, lang=lang, carto_key=carto_key, tianditu=tianditu)
    for _, opts in tiles:
        opts["maxZoom"] = MAX_ZOOM
    return [
        {"name": ui_text(lang, basemap), "tiles": [[url, opts] for url, opts in tiles]},
        {"name": ui_text(lang, "no_basemap"), "tiles": []},
    ]
