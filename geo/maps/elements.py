"""The page: folium/branca elements holding no data, then the data put in after rendering.

The page's own code and style are the package files ``page.js`` and ``page.css``. They hold
no data: every text and value they show is read at load time from the page's JSON block
(``<script type="application/json" id="bg-data">``), which is put into the page after
folium/branca have rendered it (and after asset inlining), and shown with DOM APIs
(``textContent``, ``createElement``, style properties) - never as HTML or as a template.
Folium/branca compile the output of every element as a new Jinja template, so these files
must not contain Jinja syntax either (checked when they are read, and by the tests).
"""

from __future__ import annotations

import html
import secrets
from functools import cache
from importlib import resources
from typing import Final

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from ..errors import GeoError
from .assets import (
    CLUSTER_CSS,
    CLUSTER_CSS2,
    CLUSTER_JS,
    LEAFLET_CSS,
    LEAFLET_JS,
    inline_assets,
)
from .basemaps import MAX_ZOOM

__all__ = ["page_css", "page_js", "render_page"]

#: Jinja syntax that fixed page code must never contain.
JINJA_MARKS: Final = ("{{", "{%", "{#")
_DATA_TAG: Final = '<script type="application/json" id="bg-data">{}</script>'


def _no_jinja(code: str, *, what: str) -> str:
    if any(mark in code for mark in JINJA_MARKS):
        raise GeoError(f"internal: {what} holds Jinja syntax")  # branca would evaluate it
    return code


@cache
def _package_file(name: str) -> str:
    return _no_jinja(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"),
                     what=f"geo/maps/{name}")


def page_js() -> str:
    """The page's own script (``page.js``, ``context.js``): builds the map from the JSON block."""
    return _package_file("page.js") + "\n" + _package_file("context.js")


def page_css() -> str:
    """The page's own style sheet (``page.css``, ``context.css``): title box, legend, popups, markers, labels."""
    return _package_file("page.css") + _package_file("context.css")


class _Raw(MacroElement):
    """Fixed script of this package (never data), emitted verbatim."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}{{ this.script_js }}{% endmacro %}
        """
    )

    def __init__(self, *, script: str) -> None:
        super().__init__()
        self._name = "BgRaw"
        self.script_js = _no_jinja(script, what="page code")


class _ClusterAssets(JSCSSMixin, MacroElement):
    """Leaflet.markercluster's script and stylesheets (for pages that cluster points)."""

    _template = Template("")

    def __init__(self) -> None:
        super().__init__()
        self._name = "BgClusterAssets"
        self.default_js = [("markerclusterjs", CLUSTER_JS)]
        self.default_css = [
            ("markerclustercss", CLUSTER_CSS),
            ("markerclusterdefaultcss", CLUSTER_CSS2),
        ]


def script_safe(text: str) -> str:
    """JSON text made safe inside a ``<script>`` element, with the same meaning.

    ``<``, ``>`` and ``&`` become ``\\u003c`` etc. (so neither ``</script>`` nor ``<!--``
    can appear), and U+2028/U+2029 are escaped too. Only valid in JSON *strings*, where
    these characters can only occur.
    """
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _put(page: str, placeholder: str, text: str) -> str:
    """``page`` with its one ``placeholder`` replaced by ``text`` (literally)."""
    n = page.count(placeholder)
    if n != 1:
        raise GeoError(f"internal: the rendered map holds its data placeholder {n} times, not once")
    return page.replace(placeholder, text)


def _skeleton(
    *, center: tuple[float, float], cluster: bool, fullscreen: tuple[str, str] | None,
    data_token: str, title_token: str,
) -> folium.Map:
    """The page skeleton: Leaflet, the map, fixed CSS and code; no data at all.

    ``center`` is (lat, lon); ``fullscreen`` the (on, off) titles of folium's fullscreen
    plugin, or None for the page code's own button. The page title and the data block
    hold placeholder tokens, replaced after rendering.
    """
    m = folium.Map(
        location=list(center),
        zoom_start=12,
        tiles=None,
        control_scale=False,
        zoom_control=False,
        font_size="13px",
        maxZoom=MAX_ZOOM,
    )
    # Only Leaflet itself: folium's jQuery/Bootstrap/awesome-markers are not used.
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    fig = m.get_root()
    if not isinstance(fig, Figure):  # pragma: no cover - folium's root is a Figure
        raise GeoError("internal: folium's map has no page (Figure) as its root")
    fig.title = title_token
    fig.header.add_child(Element(f"\n<style>\n{page_css()}</style>\n"), name="bg_css")
    fig.html.add_child(Element(_DATA_TAG.format(data_token)), name="bg_data")
    if cluster:
        m.add_child(_ClusterAssets(), name="bg_cluster")
    mv = m.get_name()  # generated by folium ("map_" + hex digits)
    script = f"\n{page_js()}\nbgMap({mv}, JSON.parse(document.getElementById('bg-data').textContent));"
    m.add_child(_Raw(script=script), name="bg_map")
    if fullscreen is not None:
        from folium.plugins import Fullscreen

        Fullscreen(position="topleft", title=fullscreen[0], title_cancel=fullscreen[1]).add_to(m)
    return m


def render_page(
    data_json: str, *, title: str, center: tuple[float, float], cluster: bool,
    self_contained: bool, fullscreen_titles: tuple[str, str],
) -> str:
    """The HTML page of a map whose every text and value is in ``data_json``.

    Parameters
    ----------
    data_json
        The page's data as JSON text (made script-safe here).
    title
        Page title (plain text; escaped here).
    center
        (latitude, longitude) of the initial view (the page code then fits the bounds).
    cluster
        Whether some layer clusters points (Leaflet.markercluster is then loaded).
    self_contained
        Inline Leaflet and its plugins (the page code's fullscreen button is used), or
        link them from a CDN (with folium's fullscreen plugin).
    fullscreen_titles
        Titles of the fullscreen button: (enter, exit), for folium's plugin.
    """
    data = script_safe(data_json)
    data_token = f"bg-data-{secrets.token_hex(16)}"
    title_token = f"bg-title-{secrets.token_hex(16)}"
    page = _skeleton(
        center=center, cluster=cluster, fullscreen=None if self_contained else fullscreen_titles,
        data_token=data_token, title_token=title_token,
    ).get_root().render()
    if self_contained:
        page = inline_assets(page)
    page = _put(page, f"<title>{title_token}</title>", f"<title>{html.escape(title)}</title>")
    return _put(page, _DATA_TAG.format(data_token), _DATA_TAG.format(data))
