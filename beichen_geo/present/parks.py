"""Park coverage presented: the web map, its zh/en words, and the console line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..result import AnalysisResult
from ..standards import Standards
from .context import add_study_context
from .messages import reasons_line, words
from .units import add_units_layer

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..study import Study


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def make_map(result: AnalysisResult, study: Study, standards: Standards, *, lang: str = "en",
             basemap: str = "positron") -> MapBuilder:
    """The parks map: land covered / not covered along the network, parks, the straight-line buffer.

    Covered land is blue, land not covered red hatching, parks green (never the colour of
    covered land); the straight-line buffer is a dashed outline, so it changes no colour.
    """
    from geo.maps import MapBuilder, palette

    s = result.summary
    W = words(lang)
    p = standards.parks
    r = f"{s['radius_m']:g}"
    lines = [
        W("parks_standard", plan=W.of(p, "plan_text"), std=s["standard"], source=W.of(p, "source")),
        W("parks_target", share=f"{s['target']:.0%}"),
        W("parks_measured", r=r, e=f"{s['covered_share_euclidean']:.1%}", n=f"{s['covered_share_network']:.1%}"),
    ]
    if s.get("reasons"):
        lines.append(W("parks_not_met", reasons=reasons_line(s["reasons"], lang=lang, labels=W.kind_labels(standards))))
    m = MapBuilder(title=W("parks_title", r=r), subtitle_lines=lines, basemap=basemap, lang=lang)
    cells = result.layers["residential_cells"]
    # one shape per residential polygon and outcome for the web map (cells stay in the GeoPackage)
    merged = cells[["parent", "network_covered", "walk_m_to_park", "geometry"]].dissolve(
        by=["parent", "network_covered"], aggfunc={"walk_m_to_park": "max"}, as_index=False)
    merged["walk_m_to_park"] = merged["walk_m_to_park"].round(0)
    cov = merged.loc[merged["network_covered"]]
    unc = merged.loc[~merged["network_covered"]]
    m.add_coverage(cov, unc, tooltip_cols={W("parks_walk"): "walk_m_to_park"},
                   covered_name=W("parks_covered", r=r), uncovered_name=W("parks_uncovered", r=r))
    parks = result.layers["parks"]
    if len(parks):
        m.add_polygons(parks.loc[parks.geom_type.isin(["Polygon", "MultiPolygon"])], name=W("parks_parks"),
                       color=palette.PARKS, fill_opacity=0.6,
                       tooltip_cols={W("name"): "name", "m²": "park_area_m2"})
    buf = result.layers["buffer"]
    if not buf.geometry.iloc[0].is_empty:
        m.add_polygons(buf, name=W("parks_buffer", r=r), color=palette.BUFFER, fill_opacity=0, dash=True,
                       weight=1.5)
    add_units_layer(m, result, lang)
    return add_study_context(m, study)  # the offline Streets base layer
