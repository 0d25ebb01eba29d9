"""Park coverage presented: the web map, its zh/en words, and the console line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..result import AnalysisResult
from ..standards import Standards
from .context import add_study_context
from .messages import reasons_line

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..study import Study


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def make_map(result: AnalysisResult, study: Study, standards: Standards, *, lang: str = "en",
             basemap: str = "positron") -> MapBuilder:
    """The parks map: straight-line buffer, residential land covered / not covered along the network, parks."""
    from geo.maps import MapBuilder

    s = result.summary
    zh = lang == "zh"
    lines = [
        f"{'标准' if zh else 'Standard'}: {s['plan_text']} ({s['standard']}, {s['source']})",
        f"{'目标' if zh else 'Target'}: {s['target']:.0%} {'居住用地覆盖' if zh else 'of residential land covered'}",
        (f"{'直线500米' if zh else 'Straight-line'}: {s['covered_share_euclidean']:.1%}; "
        f"{'沿路网' if zh else 'along the network'}: {s['covered_share_network']:.1%}"),
    ]
    if s.get("reasons"):
        labels = {k: (kd.label_zh if zh else kd.label_en) for k, kd in standards.kinds.items()}
        lines.append(f"{'未达标' if zh else 'Not met'}: {reasons_line(s['reasons'], lang=lang, labels=labels)}")
    m = MapBuilder(title="公园绿地500米覆盖" if zh else "Parks within 500 m of homes", subtitle_lines=lines,
                   basemap=basemap, lang=lang)
    buf = result.layers["buffer"]
    if not buf.geometry.iloc[0].is_empty:
        m.add_polygons(buf, name="直线缓冲区" if zh else "Straight-line buffer", color="#74a9cf", fill_opacity=0.08)
    cells = result.layers["residential_cells"]
    # one shape per residential polygon and outcome for the web map (cells stay in the GeoPackage)
    merged = cells[["parent", "network_covered", "walk_m_to_park", "geometry"]].dissolve(
        by=["parent", "network_covered"], aggfunc={"walk_m_to_park": "max"}, as_index=False)
    merged["walk_m_to_park"] = merged["walk_m_to_park"].round(0)
    cov = merged.loc[merged["network_covered"]]
    unc = merged.loc[~merged["network_covered"]]
    tip = {("最远步行距离(米)" if zh else "longest walk to a park (m)"): "walk_m_to_park"}
    m.add_coverage(cov, unc, tooltip_cols=tip)
    parks = result.layers["parks"]
    if len(parks):
        m.add_polygons(parks.loc[parks.geom_type.isin(["Polygon", "MultiPolygon"])], name="公园" if zh else "Parks",
                       color="#1a9850", tooltip_cols={("名称" if zh else "name"): "name", "m²": "park_area_m2"})
    return add_study_context(m, study)  # the offline Streets base layer
