"""Isochrone polygons: closed-form reachable lengths on a grid, partial edges, holes, nesting."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import shapely

from conftest import X0, Y0, grid_network, points
from geo._forkmap import fork_map, fork_unavailable
from geo.engine import TravelTimeEngine
from geo.errors import InputError
from geo.isochrones import (
    DEFAULT_BUFFER_M,
    DEFAULT_FILL_HOLES_M2,
    _balanced_chunks,
    _pack_polygons,
    _pieces_geometry,
    _unpack_polygons,
    default_cell_m,
    fill_holes,
    isochrones,
    parallel_mode,
    reachable_pieces,
)
from geo.snapping import snap_points


@pytest.fixture(scope="module")
def grid():
    net = grid_network(11, 100.0, speed_kmh=6.0)  # 1 minute = 100 m
    eng = TravelTimeEngine(net)
    centre = snap_points(net, points([(500, 500)]))
    return net, eng, centre


@pytest.mark.parametrize("T", [0.5, 1.0, 2.5, 3.3, 4.75])
def test_reachable_length_closed_form(grid, T):
    """From a lattice node, levels k < m = floor(T) are joined by 4(2k+1) whole edges each,
    and each of the 4(2m+1) edges leaving level m is reached for (T - m) * 100 m."""
    net, eng, centre = grid
    nm = eng.node_minutes(centre).minutes
    e, s, t = reachable_pieces(eng, nm, centre, T)
    m = int(np.floor(T))
    f = T - m
    expected = 100.0 * sum(4 * (2 * k + 1) for k in range(m)) + 4 * (2 * m + 1) * f * 100.0
    # pieces may overlap (credit from both ends / the source's own edge): measure their union
    geoms = [shapely.ops.substring(net.edges.geometry.iloc[i], a, b) for i, a, b in zip(e, s, t)]
    assert shapely.union_all(geoms).length == pytest.approx(expected, abs=1e-6)


def test_partial_edge_from_mid_edge_source():
    net = grid_network(11, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    src = snap_points(net, points([(530, 500)]))  # on edge (500,500)-(600,500), 30 m from u
    nm = eng.node_minutes(src).minutes
    e, s, t = reachable_pieces(eng, nm, src, 0.5)  # 50 m budget: stays on its own edge
    geoms = [shapely.ops.substring(net.edges.geometry.iloc[i], a, b) for i, a, b in zip(e, s, t)]
    u = shapely.union_all(geoms)
    # 30 m back to the node, then 20 m along each of the 3 other streets there, and 50 m east
    assert u.length == pytest.approx(30 + 3 * 20 + 50, abs=1e-6)


def _diamond_lines() -> list[shapely.LineString]:
    """The 2.5-minute street set from the grid centre: a diamond of whole edges plus 50 m stubs."""
    cx, cy = X0 + 500, Y0 + 500
    lines = []
    for k in range(-2, 3):
        for j in range(-2, 3):
            if abs(k) + abs(j) <= 2:
                for dx, dy in ((1, 0), (0, 1)):
                    k2, j2 = k + dx, j + dy
                    a = (cx + 100 * k, cy + 100 * j)
                    b = (cx + 100 * k2, cy + 100 * j2)
                    if abs(k2) + abs(j2) <= 2:
                        lines.append(shapely.LineString([a, b]))
    for k in range(-2, 3):
        for j in range(-2, 3):
            if abs(k) + abs(j) == 2:
                for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    if abs(k + dx) + abs(j + dy) == 3:
                        a = np.array([cx + 100 * k, cy + 100 * j])
                        lines.append(shapely.LineString([a, a + 50 * np.array([dx, dy])]))
    assert sum(ln.length for ln in lines) == pytest.approx(2600)
    return lines


def test_exact_polygon_is_buffered_reachable_streets_with_holes_filled(grid):
    net, eng, centre = grid
    iso = isochrones(eng, centre, [2.5], buffer_m=30, fill_holes_m2=10_000, method="exact")
    poly = iso.geometry.iloc[0]
    expected = shapely.buffer(shapely.MultiLineString(_diamond_lines()), 30, quad_segs=4)
    # the four 40 x 40 m holes around the centre blocks are filled: no interior rings left
    assert len(shapely.get_parts(poly)) == 1 and len(poly.interiors) == 0
    filled = shapely.Polygon(expected.exterior)
    assert poly.area == pytest.approx(filled.area, rel=1e-9)
    # without filling, the holes stay: 4 blocks of (100 - 2*30)^2 = 1,600 m2
    raw = isochrones(eng, centre, [2.5], buffer_m=30, fill_holes_m2=0, method="exact").geometry.iloc[0]
    assert len(raw.interiors) == 4
    assert filled.area - raw.area == pytest.approx(4 * 1600, rel=1e-6)
    # it is not a convex hull: the diamond's corners are cut
    assert poly.area < 0.9 * poly.convex_hull.area


@pytest.mark.parametrize("cell_m", [None, 5.0, 2.5])
def test_raster_polygon_is_buffered_streets_within_a_cell(grid, cell_m):
    """The default (raster) polygon lies between the streets buffered by R - h and by R + h,
    and its area is that of the round buffer within a quarter cell times the perimeter."""
    net, eng, centre = grid
    h = cell_m or default_cell_m(30)
    assert h == (cell_m or 10.0)
    poly = isochrones(eng, centre, [2.5], buffer_m=30, fill_holes_m2=10_000, cell_m=cell_m).geometry.iloc[0]
    lines = shapely.MultiLineString(_diamond_lines())
    true = shapely.Polygon(shapely.buffer(lines, 30, quad_segs=64).exterior)  # round buffer, holes filled
    assert len(shapely.get_parts(poly)) == 1 and len(poly.interiors) == 0
    inner = shapely.buffer(lines, 30 - h, quad_segs=16)
    outer = shapely.Polygon(shapely.buffer(lines, 30 + h, quad_segs=16).exterior)
    assert inner.difference(poly).area < 1e-6
    assert poly.difference(outer).area < 1e-6
    assert abs(poly.area - true.area) <= h / 4 * true.length
    assert poly.symmetric_difference(true).area <= h / 4 * true.length
    # without filling, the four 40 x 40 m block holes stay, each within a cell of its square
    raw = isochrones(eng, centre, [2.5], buffer_m=30, fill_holes_m2=0, cell_m=cell_m).geometry.iloc[0]
    holes = sorted(shapely.Polygon(r).area for r in raw.interiors)
    assert len(holes) == 4
    for a in holes:
        assert (40 - 2 * h) ** 2 <= a <= 1600 + 1e-6
    assert poly.area < 0.9 * poly.convex_hull.area


@pytest.mark.parametrize("method", ["raster", "exact"])
def test_bands_are_nested(grid, method):
    net, eng, centre = grid
    iso = isochrones(eng, centre, [4, 1, 2.5], method=method)
    assert iso["minutes"].tolist() == [1, 2.5, 4]
    g = iso.geometry.to_numpy()
    assert shapely.covers(g[1], g[0]) and shapely.covers(g[2], g[1])
    assert (np.diff(iso["area_m2"]) > 0).all()


@pytest.fixture(scope="module")
def helsinki(helsinki_net):
    eng = TravelTimeEngine(helsinki_net)
    nodes = helsinki_net.nodes.geometry
    src = snap_points(helsinki_net, nodes.iloc[[10, 2000, 4000]].translate(5, 5))
    return eng, src


def test_per_source_union_equals_combined_exact(helsinki):
    eng, src = helsinki
    per = isochrones(eng, src, [5, 10], per_source=True, fill_holes_m2=0, method="exact")
    comb = isochrones(eng, src, [5, 10], fill_holes_m2=0, method="exact")
    assert sorted(per["source"].unique()) == [0, 1, 2]
    for b in (5, 10):
        u = shapely.union_all(per.loc[per["minutes"] == b].geometry.to_numpy())
        c = comb.loc[comb["minutes"] == b].geometry.iloc[0]
        assert u.symmetric_difference(c).area < 1e-6 * c.area
    assert comb.geometry.is_valid.all()


def test_per_source_union_equals_combined_raster(helsinki):
    """Same reachable pieces, one field per source or one for all: the contours differ only
    where catchments overlap, by less than a quarter cell along the boundary."""
    eng, src = helsinki
    h = default_cell_m(DEFAULT_BUFFER_M)
    per = isochrones(eng, src, [5, 10], per_source=True, fill_holes_m2=0)
    comb = isochrones(eng, src, [5, 10], fill_holes_m2=0)
    assert sorted(per["source"].unique()) == [0, 1, 2]
    for b in (5, 10):
        u = shapely.union_all(per.loc[per["minutes"] == b].geometry.to_numpy())
        c = comb.loc[comb["minutes"] == b].geometry.iloc[0]
        assert u.symmetric_difference(c).area <= h / 4 * c.length
    assert comb.geometry.is_valid.all() and per.geometry.is_valid.all()


@pytest.mark.parametrize("cell_m", [None, 5.0])
def test_raster_agrees_with_exact_on_helsinki(helsinki_net, cell_m):
    """Fast and exact polygons of real streets: symmetric difference under a quarter cell
    times the exact perimeter (the boundary is placed within a fraction of a cell), nested."""
    eng = TravelTimeEngine(helsinki_net)
    nodes = helsinki_net.nodes.geometry
    src = snap_points(helsinki_net, nodes.iloc[[10, 700, 2000, 3100, 4000, 5000]].translate(5, 5))
    h = cell_m or default_cell_m(DEFAULT_BUFFER_M)
    fast = isochrones(eng, src, [5, 15], per_source=True, cell_m=cell_m)
    exact = isochrones(eng, src, [5, 15], per_source=True, method="exact")
    assert fast[["source", "minutes"]].equals(exact[["source", "minutes"]])
    f, e = fast.geometry.to_numpy(), exact.geometry.to_numpy()
    assert shapely.is_valid(f).all()
    sym = shapely.area(shapely.symmetric_difference(f, e))
    assert (sym <= h / 4 * shapely.length(e)).all()
    assert (np.abs(fast["area_m2"] - exact["area_m2"]) <= h / 4 * shapely.length(e)).all()
    g = f.reshape(-1, 2)
    assert shapely.covers(g[:, 1], g[:, 0]).all()


def test_reachable_pieces_lie_inside_their_raster_polygon(helsinki):
    """Every reachable street piece, widened by the buffer less one cell, is inside the
    polygon; and the polygon is inside the pieces widened by the buffer plus one cell."""
    eng, src = helsinki
    h = default_cell_m(DEFAULT_BUFFER_M)
    one = src.subset(np.array([1]))
    poly = isochrones(eng, one, [10]).geometry.iloc[0]
    nm = eng.node_minutes(one, cutoff_min=10).minutes
    e, s, t = reachable_pieces(eng, nm, one, 10)
    lines = _pieces_geometry(eng, e, s, t)
    assert len(lines) > 100
    inner = shapely.union_all(shapely.buffer(lines, DEFAULT_BUFFER_M - h, quad_segs=4))
    outer = fill_holes(shapely.union_all(shapely.buffer(lines, DEFAULT_BUFFER_M + h, quad_segs=16)),
                       DEFAULT_FILL_HOLES_M2)
    assert inner.difference(poly).area < 1e-6
    assert poly.difference(outer).area < 1e-6
    assert shapely.distance(shapely.MultiLineString(list(lines)), poly) == 0


def test_method_and_cell_are_checked(grid):
    net, eng, centre = grid
    with pytest.raises(InputError):
        isochrones(eng, centre, [1], method="hull")
    with pytest.raises(InputError):
        isochrones(eng, centre, [1], cell_m=0)
    assert isochrones(eng, centre, [1], buffer_m=0).geometry.iloc[0].is_empty


def test_bounded_feature_transform_matches_scipy_within_halo():
    """`_nearest_burnt` picks scipy's nearest burnt vertex (ties included) within k cells."""
    from scipy import ndimage

    from geo.isoraster import _nearest_burnt

    rng = np.random.default_rng(3)
    for shape, share in (((57, 83), 0.02), ((40, 31), 0.1), ((9, 120), 0.005)):
        burnt = rng.random(shape) < share
        burnt[::7, 5] = True  # regular spacing: many equidistant pairs
        own = np.where(burnt, np.arange(burnt.size).reshape(shape), -1).astype(np.int32)
        for k in (3, 6):
            seg, far = _nearest_burnt(own, burnt, k)
            dist, ind = ndimage.distance_transform_edt(~burnt, return_indices=True)
            near = dist <= k
            assert np.array_equal(far, ~near)
            assert np.array_equal(seg[near], own[ind[0], ind[1]][near])


# --------------------------------------------------------------------------- workers: threads and processes

needs_fork = pytest.mark.skipif(fork_unavailable(allow_threads=True) is not None,
                                reason="needs the 'fork' start method outside a daemonic process")


def _wkb(gdf) -> list[bytes]:
    return [shapely.to_wkb(g) for g in gdf.geometry.to_numpy()]


@pytest.fixture(scope="module")
def helsinki_many(helsinki_net):
    """Twelve sources spread over the sample, and their polygons drawn in the calling thread."""
    eng = TravelTimeEngine(helsinki_net)
    nodes = helsinki_net.nodes.geometry
    src = snap_points(helsinki_net, nodes.iloc[np.arange(12) * 450 + 7].translate(5, 5))
    serial = isochrones(eng, src, [5, 12], per_source=True, workers=1)
    return eng, src, serial


@needs_fork
@pytest.mark.parametrize("method", ["raster", "exact"])
@pytest.mark.parametrize("workers", [2, 3])
def test_process_workers_give_the_polygons_of_one_thread(helsinki_many, method, workers):
    """Forked workers (their share sent back as WKB) and threads: polygons bit-identical to
    the calling thread's, in the same order, for every split of the sources."""
    eng, src, serial = helsinki_many
    if method == "exact":
        serial = isochrones(eng, src, [5, 12], per_source=True, workers=1, method="exact")
    for parallel in ("processes", "threads"):
        got = isochrones(eng, src, [5, 12], per_source=True, workers=workers, parallel=parallel, method=method)
        assert got[["source", "minutes"]].equals(serial[["source", "minutes"]])
        assert _wkb(got) == _wkb(serial)
        assert np.array_equal(got["area_m2"].to_numpy(), serial["area_m2"].to_numpy())


def _in_daemon(conn, eng, src) -> None:  # runs in a daemonic child (fork)
    try:
        modes = [parallel_mode("auto", 2, n_reached=10**9), parallel_mode("threads", 2, n_reached=10**9),
                 parallel_mode("auto", 2, n_reached=10**9, method="exact")]
        try:
            parallel_mode("processes", 2, n_reached=10**9)
            refused = None
        except InputError as exc:
            refused = (str(exc), exc.option)
        got = isochrones(eng, src, [5, 12], per_source=True, workers=2)
        conn.send((modes, refused, _wkb(got), fork_unavailable()))
    except BaseException as exc:  # pragma: no cover - reported by the parent's assertion
        conn.send(exc)


@needs_fork
def test_daemonic_process_falls_back_to_threads(helsinki_many, monkeypatch):
    """Inside a daemonic worker (a Dask worker cannot have children) "auto" draws raster
    polygons in the calling thread (exact ones in threads) and gives the same polygons; an
    explicit "processes" is refused with a readable reason."""
    import multiprocessing

    import geo.isochrones as gi

    monkeypatch.setattr(gi, "PROCESS_MIN_NODES", 0)  # "auto" would fork for any batch
    eng, src, serial = helsinki_many
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_in_daemon, args=(send, eng, src), daemon=True)
    p.start()
    out = recv.recv()
    p.join()
    assert not isinstance(out, BaseException), out
    modes, refused, wkb, why = out
    assert modes == ["serial", "threads", "threads"]
    assert "daemonic" in why
    assert refused is not None and "daemonic" in refused[0] and refused[1] == "parallel"
    assert wkb == _wkb(serial)


def test_auto_forks_only_big_raster_batches_in_a_single_thread(monkeypatch):
    import threading

    import geo.isochrones as gi

    n = gi.PROCESS_MIN_NODES
    assert parallel_mode("auto", 1, n_reached=10 * n) == "serial"
    assert parallel_mode("processes", 1, n_reached=10 * n) == "serial"
    assert parallel_mode("auto", 2, n_reached=n - 1) == "serial"  # raster threads do not overlap
    assert parallel_mode("auto", 2, n_reached=10 * n, method="exact") == "threads"  # the reference keeps threads
    assert parallel_mode("threads", 4, n_reached=10 * n) == "threads"
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        why = fork_unavailable()
        assert why is not None and "thread" in why
        assert parallel_mode("auto", 2, n_reached=10 * n) == "serial"  # never fork under other threads
    finally:
        stop.set()
        t.join()
    if fork_unavailable() is None:  # a plain pytest process: nothing else running
        assert parallel_mode("auto", 2, n_reached=n) == "processes"
    with pytest.raises(InputError) as err:
        parallel_mode("pool", 2, n_reached=n)  # type: ignore[arg-type]
    assert err.value.option == "parallel"


def test_parallel_option_is_checked(grid):
    net, eng, centre = grid
    with pytest.raises(InputError) as err:
        isochrones(eng, centre, [1], per_source=True, parallel="gpu")  # type: ignore[arg-type]
    assert err.value.option == "parallel"


def _boom(chunk: int) -> int:
    import warnings

    if chunk == 2:
        raise ValueError("chunk 2 is bad")
    if chunk == 3:
        os._exit(7)  # a child that dies without a word
    if chunk == 4:
        warnings.warn("chunk 4 says so", UserWarning, stacklevel=1)
    return chunk * 10


@needs_fork
def test_fork_map_returns_in_order_and_raises_the_childs_error():
    import warnings

    assert fork_map(_boom, [0, 1, 5, 6]) == [0, 10, 50, 60]
    assert fork_map(_boom, [1]) == [10]
    with pytest.raises(ValueError, match="chunk 2 is bad"):
        fork_map(_boom, [0, 2])
    with pytest.raises(ValueError, match="chunk 2 is bad"):  # the caller's own chunk fails: children ended
        fork_map(_boom, [2, 0, 1])
    with pytest.raises(RuntimeError, match="exit code 7"):
        fork_map(_boom, [0, 1, 3])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert fork_map(_boom, [0, 4]) == [0, 40]  # the child's warning is raised again here
    assert [str(w.message) for w in seen] == ["chunk 4 says so"]
    # a forked worker does not fork again
    assert fork_map(lambda c: fork_unavailable(allow_threads=True), [0, 1])[1] == "this is a forked worker process"


@needs_fork
def test_fork_guard_ignores_only_the_progress_bar_monitor():
    import threading

    stop = threading.Event()
    for name, blocks in (("tqdm_monitor", False), ("worker", True)):
        t = threading.Thread(target=stop.wait, name=name)
        t.start()
        try:
            why = fork_unavailable()
            assert (why is not None and "thread" in why) == blocks
        finally:
            stop.set()
            t.join()
            stop.clear()


def test_balanced_chunks_cover_the_sources_in_order():
    rng = np.random.default_rng(5)
    for n, k in ((2, 2), (7, 3), (50, 2), (50, 4)):
        items = list(range(100, 100 + n))
        w = rng.integers(0, 4000, n)
        w[: n // 3] = 0  # empty catchments still take a place
        chunks = _balanced_chunks(items, w, k)
        assert len(chunks) == k and all(chunks)
        assert [i for c in chunks for i in c] == items
        if n >= 20:
            total = (w + 1).sum()
            sums = [(w[np.isin(items, c)] + 1).sum() for c in chunks]
            assert max(sums) <= total / k + (w + 1).max()
            # the caller's chunk can be made heavier than the forked workers' ones
            heavy = _balanced_chunks(items, w, k, first=1.5)
            assert [i for c in heavy for i in c] == items
            first = (w[np.isin(items, heavy[0])] + 1).sum()
            assert abs(first - total * 1.5 / (1.5 + k - 1)) <= (w + 1).max()


def test_packed_polygons_come_back_bit_identical():
    """A forked worker's polygons (any mix of polygons with holes, multipolygons, empty ones
    and other types) survive the coordinate-array round trip: same types, same WKB."""
    box = shapely.box
    holed = shapely.Polygon(box(0, 0, 10, 10).exterior, [box(1, 1, 2, 2).exterior.coords])
    multi = shapely.MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3.5, 3.25)])
    other = shapely.GeometryCollection([box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 1)])])
    polys = [[shapely.Polygon(), holed, multi], [box(0.1, 0.2, 0.3, 0.7), other, shapely.Polygon()]]
    back = _unpack_polygons(pickle.loads(pickle.dumps(_pack_polygons(polys))))
    assert [[type(g) for g in p] for p in back] == [[type(g) for g in p] for p in polys]
    assert [[shapely.to_wkb(g) for g in p] for p in back] == [[shapely.to_wkb(g) for g in p] for p in polys]
