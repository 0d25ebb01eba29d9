"""The benchmark's synthetic networks and its comparison logic, on tiny inputs (issue #7)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

import bench  # noqa: E402
from synthetic import perturbed_grid, random_facilities, synthetic_network  # noqa: E402


@pytest.mark.parametrize("n", [2, 37, 1000, 2500])
def test_perturbed_grid_keeps_every_node(n):
    xy, u, v = perturbed_grid(n, seed=n)
    assert xy.shape == (n, 2)
    deg = np.bincount(np.concatenate([u, v]), minlength=n)
    assert (deg > 0).all()  # no node left without a street
    assert u.max() < n and v.max() < n and (u != v).all()


def test_synthetic_network_size_and_connectivity():
    net = synthetic_network(1500, seed=3)
    s = net.summary()
    assert s["nodes"] == 1500
    assert s["largest_component_share"] > 0.95
    assert s["edges"] > 1.5 * 1500  # street-like: lattice minus removals plus diagonals
    assert str(net.crs).endswith("32650")
    # jittered, not a perfect lattice: edge lengths vary around the 80 m spacing
    L = net.edges["length_m"].to_numpy()
    assert 40 < np.median(L) < 120 and L.std() > 5


def test_quick_logic_methods_agree_on_tiny_network():
    net = synthetic_network(900, seed=5)
    fac = random_facilities(net, {"a": 6, "b": 3, "c": 1}, seed=2)
    rec = bench.quick_nearest(net, fac, cutoff=10.0, use_pandana=False)
    assert list(rec) == list(bench.QUICK_KEYS)
    assert rec["network_nodes"] == 900 and rec["facilities"] == 10
    assert rec["max_abs_diff_min"] < 1e-6
    assert rec["ego_graph_s"] > 0 and rec["networkx_s"] > 0 and rec["ours_s"] > 0
    assert rec["speedup_vs_ego_graph"] == pytest.approx(rec["ego_graph_s"] / rec["ours_s"])
    assert rec["pandana_setup_s"] is None and rec["pandana_query_s"] is None
    assert rec["speedup_vs_pandana"] is None


def test_max_abs_diff_sees_reachability_mismatch():
    a = np.array([1.0, np.inf, 3.0])
    assert bench.max_abs_diff(a, a, 10.0) == 0.0
    assert bench.max_abs_diff(a, np.array([1.0, 4.0, 3.0]), 10.0) == pytest.approx(6.0)


def test_quick_isochrones_record_on_tiny_network():
    """The --quick isochrone record: keys, ratios of the measured times, and the fast polygons
    agree with the exact ones within a quarter cell times the perimeter (tiny polygons)."""
    net = synthetic_network(400, seed=5)
    fac = bench.Facilities(net, random_facilities(net, {"a": 4, "b": 2}, seed=2), ["a", "b"])
    rec = bench.quick_isochrones(net, fac, n_fac=6, n_sub=2, bands=(2.0, 4.0), repeat=1)
    assert set(bench.ISO_KEYS) <= set(rec)
    assert rec["iso_facilities"] == 6 and rec["iso_osmnx_buffer_sample"] == 2
    assert rec["iso_speedup_vs_exact"] == pytest.approx(rec["iso_exact_s"] / rec["iso_ours_s"])
    assert rec["iso_osmnx_buffer_s"] == pytest.approx(rec["iso_osmnx_buffer_measured_s"] * 3)
    assert rec["iso_speedup_vs_buffer"] == pytest.approx(rec["iso_osmnx_buffer_s"] / rec["iso_ours_s"])
    assert rec["iso_nested"] and rec["iso_valid"]
    # 2-minute polygons (150 m walk) have a perimeter/area of ~1/25 per metre: a quarter
    # cell (2.5 m) of boundary shift is at most ~10 % of their area
    assert 0 <= rec["iso_max_area_rel_diff"] < 0.1
    assert rec["iso_max_sym_rel_diff"] < 0.1
    # a tiny batch is not worth a fork: the calling thread (exact: threads), and the CPU times measured
    assert rec["iso_ours_parallel"] == "serial" and rec["iso_exact_parallel"] in ("serial", "threads")
    assert rec["iso_speedup_vs_exact_cpu"] == pytest.approx(rec["iso_exact_cpu_s"] / rec["iso_ours_cpu_s"])


def test_iso_scaling_rows_on_tiny_network(monkeypatch):
    """One row per facility count; with the fork threshold at 0 the default forks workers
    (where it can), and their CPU time is counted."""
    import geo.isochrones as gi
    from geo._forkmap import fork_unavailable

    monkeypatch.setattr(gi, "PROCESS_MIN_NODES", 0)
    net = synthetic_network(400, seed=5)
    fac = bench.Facilities(net, random_facilities(net, {"a": 4, "b": 2}, seed=2), ["a", "b"])
    rows = bench.iso_scaling(net, fac, [4, 6], exact_up_to=4, bands=(2.0, 4.0), repeat=1)
    assert [r["facilities"] for r in rows] == [4, 6]
    assert rows[0]["exact_s"] > 0 and rows[1]["exact_s"] is None and rows[1]["speedup_vs_exact"] is None
    multi = (os.cpu_count() or 1) > 1
    forks = multi and fork_unavailable() is None
    assert rows[0]["ours_parallel"] == ("processes" if forks else "serial")
    for r in rows:
        assert r["ours_cpu_s"] > 0 and r["ours_1_worker_cpu_s"] > 0 and r["ours_threads_s"] > 0


def test_polygon_agreement_sees_a_difference():
    import geopandas as gpd
    import shapely

    sq = shapely.box(0, 0, 10, 10)
    a = gpd.GeoDataFrame({"source": [0, 0], "minutes": [1.0, 2.0]}, geometry=[sq, shapely.box(0, 0, 20, 10)])
    b = gpd.GeoDataFrame({"source": [0, 0], "minutes": [1.0, 2.0]}, geometry=[sq, shapely.box(0, 0, 10, 10)])
    a["area_m2"], b["area_m2"] = a.area, b.area
    r = bench.polygon_agreement(a, b)
    assert r["max_area_rel_diff"] == pytest.approx(1.0) and r["max_sym_rel_diff"] == pytest.approx(1.0)
    assert r["nested"]
    r2 = bench.polygon_agreement(a.iloc[::-1].reset_index(drop=True).assign(minutes=[1.0, 2.0]),
                                 b.iloc[::-1].reset_index(drop=True).assign(minutes=[1.0, 2.0]))
    assert not r2["nested"]
