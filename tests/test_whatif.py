"""Incremental coverage (geo.whatif): after any edits, the minutes equal a from-scratch batch run.

The reference is :func:`geo.coverage.minutes_by_kind` on the facilities the test itself keeps
open (their own snaps, not the state's store), and on the grid also networkx Dijkstra on the
network with every point inserted as a node (tests/nxref.py).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from conftest import grid_network, points
from geo.access import AccessSnap
from geo.coverage import minutes_by_kind
from geo.engine import TravelTimeEngine
from geo.errors import InputError
from geo.snapping import SnappedPoints, snap_points
from geo.whatif import CoverageState
from nxref import nearest_minutes, reference_graph


def _concat(snaps: dict[int, SnappedPoints]) -> AccessSnap:
    """The open facilities (id -> access points) as one AccessSnap, features in id order."""
    ids = sorted(snaps)
    parts = [snaps[i] for i in ids]
    n = sum(len(p) for p in parts)
    pts = SnappedPoints(index=pd.RangeIndex(n),
                        edge=np.concatenate([p.edge for p in parts]) if parts else np.zeros(0, np.int64),
                        offset_m=np.concatenate([p.offset_m for p in parts]) if parts else np.zeros(0),
                        access_m=np.concatenate([p.access_m for p in parts]) if parts else np.zeros(0),
                        max_snap_m=150.0)
    feature = np.concatenate([np.full(len(p), k) for k, p in enumerate(parts)]) if parts else np.zeros(0, np.int64)
    return AccessSnap(points=pts, feature=feature.astype(np.int64), n_features=len(ids),
                      access=np.full(n, "point", dtype=object))


def _batch(engine: TravelTimeEngine, demand_snap: SnappedPoints, snaps: dict[int, SnappedPoints],
           cutoff: float) -> np.ndarray:
    """Minutes per demand point from scratch (minutes_by_kind), NaN off-network, inf beyond."""
    n = len(demand_snap)
    if not snaps:
        return np.where(demand_snap.on_network, np.inf, np.nan)
    acc = _concat(snaps)
    fac = gpd.GeoDataFrame({"kind": ["k"] * acc.n_features}, geometry=[None] * acc.n_features, crs=engine.net.crs)
    dem = gpd.GeoDataFrame(geometry=[None] * n, crs=engine.net.crs)
    tab, _ = minutes_by_kind(engine, dem, fac, kinds=["k"], cutoff_min=cutoff, demand_snap=demand_snap,
                             facility_snaps={"k": acc})
    return tab[f"{engine.net.mode}_min_to_k"].to_numpy(float)


def _same(got: np.ndarray, ref: np.ndarray) -> None:
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    assert np.array_equal(np.isinf(got), np.isinf(ref)), np.flatnonzero(np.isinf(got) != np.isinf(ref))[:10]
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=0, atol=1e-9)


def _random_edits(state: CoverageState, snaps: dict[int, SnappedPoints], new_point, rng: np.random.Generator,
                  n_edits: int, check) -> dict[str, int]:
    """Random add / move / remove edits; after each, the state equals the batch run and the Change adds up."""
    done = {"add": 0, "move": 0, "remove": 0}
    w = state.weights["w"]
    for _ in range(n_edits):
        ids = sorted(snaps)
        op = rng.choice(["add", "move", "remove"]) if ids else "add"
        covered_before = float(w[state.covered].sum())
        if op == "add":
            p = new_point()
            ch = state.add(p)
            snaps[ch.facility] = p
        elif op == "remove":
            fid = int(rng.choice(ids))
            ch = state.remove(fid)
            del snaps[fid]
        else:
            fid = int(rng.choice(ids))
            p = new_point()
            ch = state.move(fid, p)
            snaps[fid] = p
            assert ch.facility == fid
        done[str(op)] += 1
        assert sorted(snaps) == state.open_ids
        check()
        # the change reports exactly what moved: gains minus losses = the covered weight's change
        covered_after = float(w[state.covered].sum())
        assert ch.gained["w"] - ch.lost["w"] == pytest.approx(covered_after - covered_before, abs=1e-6)
        assert np.array_equal(np.sort(ch.cells), np.unique(ch.cells))
    return done


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grid_random_edits_equal_batch_and_networkx(seed):
    net = grid_network(21, 100.0, speed_kmh=6.0)  # 1 min = 100 m
    eng = TravelTimeEngine(net)
    rng = np.random.default_rng(seed)
    # demand points spread over the grid and beyond it (some off-network)
    dem = points([tuple(p) for p in rng.uniform(-200, 2200, size=(600, 2))])
    ds = snap_points(net, dem, warn=False)
    assert ds.n_off_network > 0
    cutoff = 4.5
    start = {i: snap_points(net, points([tuple(rng.uniform(0, 2000, 2))]), warn=False) for i in range(4)}
    state = CoverageState(eng, ds, _concat(start), cutoff_min=cutoff, weights={"w": rng.uniform(0, 3, len(ds))})
    snaps = dict(start)

    def new_point() -> SnappedPoints:
        return snap_points(net, points([tuple(rng.uniform(-100, 2100, 2))]), warn=False)

    def check() -> None:
        _same(state.minutes, _batch(eng, ds, snaps, cutoff))

    check()
    done = _random_edits(state, snaps, new_point, rng, 60, check)
    assert min(done.values()) >= 10
    # independent answer for the final state: networkx on the network with the points as nodes
    acc = _concat(snaps)
    G = reference_graph(net, {"f": acc.points, "d": ds})
    ref = nearest_minutes(G, [("f", i) for i in range(len(acc.points)) if acc.points.edge[i] >= 0],
                          [("d", i) for i in range(len(ds))])
    ref = np.where(ref <= cutoff + 1e-9, ref, np.inf)
    ref = np.where(ds.on_network, ref, np.nan)
    _same(state.minutes, ref)


def test_edit_results_on_a_line():
    """Closed form: one street, cells every 100 m; a facility's reach and what moving it changes."""
    net = grid_network(11, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    dem = points([(x, 0.0) for x in range(0, 1001, 100)])  # on the bottom street, at nodes 0..10
    ds = snap_points(net, dem, warn=False)
    state = CoverageState(eng, ds, None, cutoff_min=3.0, weights={"w": np.ones(11)})
    assert not state.covered.any()
    ch = state.add(snap_points(net, points([(0.0, 0.0)]), warn=False))
    assert ch.facility == 0
    np.testing.assert_array_equal(ch.cells_gained, [0, 1, 2, 3])
    np.testing.assert_allclose(state.minutes[:5], [0, 1, 2, 3, np.inf])
    ch = state.move(0, snap_points(net, points([(1000.0, 0.0)]), warn=False))
    np.testing.assert_array_equal(ch.cells_lost, [0, 1, 2, 3])
    np.testing.assert_array_equal(ch.cells_gained, [7, 8, 9, 10])
    assert ch.gained == {"w": 4.0} and ch.lost == {"w": 4.0}
    ch = state.add(snap_points(net, points([(850.0, 0.0)]), warn=False))
    # the new one is nearer for 6..9 (6 gained; 7, 8, 9 closer), 10 stays with facility 0
    np.testing.assert_array_equal(ch.cells, [6, 7, 8, 9])
    np.testing.assert_array_equal(ch.cells_gained, [6])
    np.testing.assert_allclose(state.minutes[5:], [np.inf, 2.5, 1.5, 0.5, 0.5, 0])
    ch = state.remove(0)  # only the cell it served is recomputed
    np.testing.assert_array_equal(ch.cells, [10])
    np.testing.assert_allclose(state.minutes[9:], [0.5, 1.5])
    assert ch.lost == {"w": 0.0}
    with pytest.raises(InputError, match="no open facility"):
        state.remove(0)
    with pytest.raises(InputError, match="already open"):
        state.add(snap_points(net, points([(0.0, 0.0)]), warn=False), facility_id=1)


def test_copy_is_independent():
    net = grid_network(11, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    ds = snap_points(net, points([(x, 0.0) for x in range(0, 1001, 100)]), warn=False)
    base = CoverageState(eng, ds, snap_points(net, points([(0.0, 0.0)]), warn=False), cutoff_min=3.0)
    before = base.minutes
    other = base.copy()
    other.remove(0)
    other.add(snap_points(net, points([(500.0, 0.0)]), warn=False))
    _same(base.minutes, before)
    assert base.open_ids == [0] and other.open_ids == [1]


@pytest.mark.parametrize("kind,cutoff", [("clinic", 15.0), ("park", 7.5)])
def test_helsinki_random_edits_equal_batch(helsinki_study, kind, cutoff):
    """Real network, the study's own snaps: clinics (points) and parks (outline and entrance points)."""
    study = helsinki_study
    eng, ds = study.engine, study.demand_snap
    acc = study.snapped_facilities(kind)
    assert acc.n_features >= 3
    if kind == "park":
        assert len(acc.points) > 2 * acc.n_features  # several access points per park
    rng = np.random.default_rng(7)
    area = study.demand["area_m2"].to_numpy()
    state = CoverageState(eng, ds, acc, cutoff_min=cutoff, weights={"w": area})
    snaps = {f: acc.points.subset(acc.feature == f) for f in range(acc.n_features)}
    nodes = study.net.nodes.geometry.to_numpy()

    def new_point() -> SnappedPoints:
        p = nodes[rng.integers(len(nodes))]
        dx, dy = rng.uniform(-60, 60, 2)
        g = gpd.GeoDataFrame(geometry=gpd.points_from_xy([p.x + dx], [p.y + dy]), crs=study.crs)
        return snap_points(study.net, g, max_snap_m=study.max_snap_m, warn=False)

    def check() -> None:
        _same(state.minutes, _batch(eng, ds, snaps, cutoff))

    check()
    done = _random_edits(state, snaps, new_point, rng, 24, check)
    assert done["remove"] >= 4 and done["add"] >= 4 and done["move"] >= 4
    # removing every facility leaves nothing covered; the state still matches
    for fid in list(snaps):
        state.remove(fid)
        del snaps[fid]
    check()
    assert not state.covered.any()
