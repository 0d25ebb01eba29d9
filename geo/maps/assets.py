"""Leaflet and Leaflet.markercluster: their CDN addresses and their inlining for offline pages.

Self-contained pages carry copies of these files taken from the PyPI packages
``XStatic-Leaflet`` and ``XStatic-Leaflet-MarkerCluster`` (CSS images as ``data:`` URIs).
"""

from __future__ import annotations

import base64
import importlib
import re
from functools import cache
from pathlib import Path
from typing import Final

from ..errors import GeoError, InputError

__all__ = [
    "CLUSTER_CSS",
    "CLUSTER_CSS2",
    "CLUSTER_JS",
    "LEAFLET_CSS",
    "LEAFLET_JS",
    "inline_assets",
]

# Versions must match the XStatic packages that are inlined in self-contained mode.
_LEAFLET_VERSION: Final = "1.9.3"
_CLUSTER_VERSION: Final = "1.4.1"
_CDN: Final = "https://cdn.jsdelivr.net/npm"
LEAFLET_JS: Final = f"{_CDN}/leaflet@{_LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS: Final = f"{_CDN}/leaflet@{_LEAFLET_VERSION}/dist/leaflet.css"
CLUSTER_JS: Final = f"{_CDN}/leaflet.markercluster@{_CLUSTER_VERSION}/dist/leaflet.markercluster.js"
CLUSTER_CSS: Final = f"{_CDN}/leaflet.markercluster@{_CLUSTER_VERSION}/dist/MarkerCluster.css"
CLUSTER_CSS2: Final = (
    f"{_CDN}/leaflet.markercluster@{_CLUSTER_VERSION}/dist/MarkerCluster.Default.css"
)
# CDN URL -> (module of the XStatic package, file under its data folder).
_ASSETS: Final[dict[str, tuple[str, str]]] = {
    LEAFLET_JS: ("xstatic.pkg.leaflet", "leaflet.js"),
    LEAFLET_CSS: ("xstatic.pkg.leaflet", "leaflet.css"),
    CLUSTER_JS: ("xstatic.pkg.leaflet_markercluster", "leaflet.markercluster.js"),
    CLUSTER_CSS: ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
    CLUSTER_CSS2: ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.Default.css"),
}
_ASSET_PIP: Final = "pip install XStatic-Leaflet XStatic-Leaflet-MarkerCluster"

_SCRIPT_TAG: Final = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_CSS_TAG: Final = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')
_CSS_URL: Final = re.compile(r"url\(([^)]*)\)")


def _css_images_inlined(text: str, base: Path) -> str:
    """CSS ``text`` with its relative ``url(...)`` images (under ``base``) as ``data:`` URIs."""

    def _inline(match: re.Match[str]) -> str:
        ref = match.group(1).strip("'\"")
        if ref.startswith(("data:", "#", "http:", "https:")):
            return match.group(0)
        png = base / ref
        if not png.is_file():
            return match.group(0)
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return _CSS_URL.sub(_inline, text)


@cache
def _asset_text(url: str) -> str:
    """Text of a packaged asset, CSS images turned into ``data:`` URIs."""
    module_name, filename = _ASSETS[url]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(
            f"self_contained=True needs the Leaflet files of the PyPI package for "
            f"{module_name!r} ({_ASSET_PIP}); or save with self_contained=False"
        ) from exc
    base = Path(module.BASE_DIR)
    text = (base / filename).read_text(encoding="utf-8")
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    if filename.endswith(".css"):
        text = _css_images_inlined(text, base)
    return text


def inline_assets(page: str) -> str:
    """Replace the known Leaflet ``<script src>``/``<link>`` tags by inline copies.

    Parameters
    ----------
    page
        A rendered HTML page.

    Returns
    -------
    str
        The page with every known asset inlined.

    Raises
    ------
    InputError
        If the XStatic packages holding the assets are not installed.
    GeoError
        If the page still references an external script or stylesheet afterwards.
    """

    def _script(match: re.Match[str]) -> str:
        url = match.group(1)
        if url not in _ASSETS:
            return match.group(0)
        body = _asset_text(url).replace("</script", "<\\/script")
        return f"<script>/* {url.rsplit('/', 1)[-1]} (inlined) */\n{body}\n</script>"

    def _css(match: re.Match[str]) -> str:
        url = match.group(1)
        if url not in _ASSETS:
            return match.group(0)
        body = _asset_text(url).replace("</style", "<\\/style")
        return f"<style>/* {url.rsplit('/', 1)[-1]} (inlined) */\n{body}\n</style>"

    out = _CSS_TAG.sub(_css, _SCRIPT_TAG.sub(_script, page))
    left = _SCRIPT_TAG.findall(out) + _CSS_TAG.findall(out)
    if left:
        raise GeoError(f"cannot make the map self-contained: no packaged copy of {left}")
    return out
