"""Features mapped twice are counted once (issue 14, item 5)."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point, box

from geo.dedupe import merge_duplicates
from tests.conftest import METRIC, X0, Y0, shared_file


def _gdf(rows):
    kinds, names, geoms = zip(*rows)
    return gpd.GeoDataFrame({"kind": kinds, "name": names}, geometry=list(geoms), crs=METRIC)


def P(x, y):
    return Point(X0 + x, Y0 + y)


def B(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def test_node_inside_polygon_of_same_kind_is_merged_into_the_polygon():
    g = _gdf([
        ("hospital", "Johns Hopkins Hospital", B(0, 0, 200, 200)),
        ("hospital", None, P(50, 50)),                       # unnamed node inside: same object
        ("clinic", "Johns Hopkins Hospital", P(60, 60)),     # other kind: kept
        ("hospital", "Another Hospital", P(3000, 0)),
    ])
    out, merged = merge_duplicates(g)
    assert merged == {"hospital": 1}
    assert len(out) == 3
    survivor = out.loc[out["kind"] == "hospital"].iloc[0]
    assert survivor.geometry.geom_type == "Polygon" and survivor["merged_count"] == 2
    assert set(out["kind"]) == {"hospital", "clinic"}


def test_same_name_within_100m_merged_and_chains_merge_whole():
    g = _gdf([
        ("station", "Nendeln", P(0, 0)),
        ("station", "nendeln ", P(10, 0)),       # 10 m apart, same name (case, spaces)
        ("station", "Nendeln", P(95, 0)),        # 85 m from the second: chain of three
        ("station", "Nendeln", P(400, 0)),       # 305 m away: another object
        ("station", "Schaan", P(20, 0)),         # other name nearby: kept
    ])
    out, merged = merge_duplicates(g, within_m=100)
    assert merged == {"station": 2}
    assert sorted(out["merged_count"].tolist()) == [1, 1, 3]
    # an independent count: names within 100 m chained by hand
    assert (out["name"].str.strip().str.lower() == "nendeln").sum() == 2


def test_two_named_practices_in_one_building_stay_two():
    g = _gdf([
        ("clinic", "Medical Centre", B(0, 0, 50, 50)),
        ("clinic", "Dr. Wang", P(10, 10)),
        ("clinic", "Dr. Li", P(20, 20)),
        ("clinic", None, P(30, 30)),
    ])
    out, merged = merge_duplicates(g)
    assert merged == {"clinic": 1}  # only the unnamed node joins the polygon
    assert sorted(out["name"].dropna()) == ["Dr. Li", "Dr. Wang", "Medical Centre"]


def test_nothing_to_merge_returns_all_rows():
    g = _gdf([("park", "A", B(0, 0, 10, 10)), ("park", "B", B(500, 0, 510, 10))])
    out, merged = merge_duplicates(g)
    assert merged == {} and len(out) == 2 and (out["merged_count"] == 1).all()


def test_liechtenstein_stations_counted_once():
    pbf = shared_file("valhalla/liechtenstein-latest.osm.pbf")
    from geo.osm.features import features_from_pbf
    from beichen_geo.standards import load_standards

    kinds = {"station": load_standards().kind_filters()["station"]}
    raw = features_from_pbf(pbf, kinds)
    raw = raw.to_crs(raw.estimate_utm_crs())
    out, merged = merge_duplicates(raw)
    # independent answer: group by name and greedy 100 m clustering with geopandas
    named = raw.loc[raw["name"].notna()].copy()
    named["key"] = named["name"].str.strip().str.lower()
    expected_named = 0
    for _, grp in named.groupby("key"):
        buf = gpd.GeoSeries(grp.geometry.buffer(50.0), crs=raw.crs).union_all()  # 100 m apart = buffers touch
        expected_named += len(getattr(buf, "geoms", [buf]))
    n_unnamed = int(raw["name"].isna().sum())
    nendeln = out.loc[out["name"].fillna("").str.contains("Nendeln")]
    assert len(raw.loc[raw["name"].fillna("").str.contains("Nendeln")]) >= 2  # mapped twice in the extract
    assert len(nendeln) == 1
    assert merged.get("station", 0) >= 1
    assert len(out) <= expected_named + n_unnamed
