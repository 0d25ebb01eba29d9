"""Siting (MCLP, LSCP, 2SFCA) against brute force, hand arithmetic, networkx and PySAL access."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from conftest import grid_network, points
from geo.errors import InputError
from geo.engine import TravelTimeEngine
from geo.siting import (
    CoverageMatrix, candidate_sites, coverage_matrix, greedy_mclp_ratio, harmonic, lscp, mclp,
    two_step_fca, two_step_fca_pairs,
)
from geo.snapping import snap_points
from nxref import reference_graph


# ---------------------------------------------------------------- brute force (independent)
def _cov_weight(sets, combo, w, before):
    cov = before.copy()
    for j in combo:
        cov[list(sets[j])] = True
    return float(w[cov].sum())


def brute_mclp(sets, w, before, n):
    """Best weight covered (existing included) with n new sites, by enumerating all subsets."""
    k = min(n, len(sets))
    return max(_cov_weight(sets, c, w, before) for c in itertools.combinations(range(len(sets)), k))


def brute_lscp(sets, w, before, target_weight):
    """Fewest new sites reaching target_weight covered (existing included), by enumeration."""
    for k in range(len(sets) + 1):
        if any(_cov_weight(sets, c, w, before) >= target_weight - 1e-9 for c in itertools.combinations(range(len(sets)), k)):
            return k
    return None


def random_instance(seed, n_cand=8, n_dem=18, p=0.22):
    rng = np.random.default_rng(seed)
    sets = [sorted(np.flatnonzero(rng.random(n_dem) < p).tolist()) for _ in range(n_cand)]
    w = np.round(rng.random(n_dem) * 10, 3)
    w[rng.random(n_dem) < 0.1] = 0.0  # some zero-weight demand
    before = rng.random(n_dem) < 0.2
    return sets, w, before


# ---------------------------------------------------------------- bounds
def test_bound_constants():
    assert greedy_mclp_ratio(1) == 1.0
    assert greedy_mclp_ratio(2) == pytest.approx(0.75)
    assert greedy_mclp_ratio(3) == pytest.approx(1 - (2 / 3) ** 3)
    assert greedy_mclp_ratio(10_000) == pytest.approx(1 - 1 / math.e, abs=1e-4)
    assert harmonic(4) == pytest.approx(25 / 12)
    assert harmonic(100) <= math.log(100) + 1


# ---------------------------------------------------------------- MCLP
@pytest.mark.parametrize("seed", range(5))
def test_mclp_exact_matches_brute_force_and_greedy_within_bound(seed):
    sets, w, before = random_instance(seed)
    cover = CoverageMatrix.from_sets(sets, len(w), covered_before=before)
    for n in (1, 2, 3):
        opt = brute_mclp(sets, w, before, n)
        for presolve in (True, False):  # False: spopt with existing coverage as a predefined column
            ex = mclp(cover, w, n, method="exact", presolve=presolve)
            assert ex.method == "exact" and ex.optimal
            assert float(w[ex.covered_after].sum()) == pytest.approx(opt, abs=1e-6)
            # the opened sites really cover what the result says
            assert _cov_weight(sets, ex.sites, w, before) == pytest.approx(float(w[ex.covered_after].sum()), abs=1e-9)
            assert float(ex.gain.sum()) == pytest.approx(opt - float(w[before].sum()), abs=1e-6)
        gr = mclp(cover, w, n, method="greedy")
        assert gr.method == "greedy" and gr.bound.kind == "greedy MCLP"
        assert gr.bound.ratio == pytest.approx(greedy_mclp_ratio(n))
        opt_gain = opt - float(w[before].sum())
        assert float(gr.gain.sum()) >= gr.bound.ratio * opt_gain - 1e-9
        assert gr.bound.lp_bound is not None and gr.bound.lp_bound >= opt_gain - 1e-6  # LP is an upper bound
        # gains are non-increasing in the reported order (order of marginal gain)
        assert np.all(np.diff(ex.gain) <= 1e-9)


def test_greedy_is_strictly_suboptimal_on_the_classic_instance():
    # S0 = {0,1,2,3}; S1 = {0,1,4}; S2 = {2,3,5}. Greedy takes S0 (4), then 1 more: 5 of 6.
    # The optimum with two sites is S1 + S2 = 6. LSCP: greedy needs 3 sites, the optimum 2.
    sets = [[0, 1, 2, 3], [0, 1, 4], [2, 3, 5]]
    cover = CoverageMatrix.from_sets(sets, 6)
    w = np.ones(6)
    gr = mclp(cover, w, 2, method="greedy")
    ex = mclp(cover, w, 2, method="exact")
    assert float(ex.gain.sum()) == 6.0 and sorted(ex.sites.tolist()) == [1, 2]
    assert float(gr.gain.sum()) == 5.0 and gr.sites.tolist()[0] == 0
    assert 5.0 < 6.0 and 5.0 >= greedy_mclp_ratio(2) * 6.0  # strictly worse, yet within the bound
    assert ex.greedy_gain == 5.0
    assert gr.bound.lp_bound == pytest.approx(6.0) and gr.bound.gap == pytest.approx(1 / 6)
    gl = lscp(cover, w, method="greedy")
    el = lscp(cover, w, method="exact")
    assert len(el.sites) == 2 and len(gl.sites) == 3
    # points 0,1 (and 2,3) have the same candidates and merge into one group: each set covers
    # 2 groups, so the stated factor is H(2) = 1.5, tight here: 3 = 1.5 x 2
    assert gl.bound.kind == "greedy LSCP" and gl.bound.ratio == pytest.approx(harmonic(2))
    assert len(gl.sites) <= gl.bound.ratio * len(el.sites) <= harmonic(4) * len(el.sites)


def test_existing_facilities_stay_fixed():
    # A = {0,1,2,3}, B = {3,4}, C = {5}; an existing facility already covers {0,1,2}.
    sets = [[0, 1, 2, 3], [3, 4], [5]]
    w = np.ones(6)
    free = mclp(CoverageMatrix.from_sets(sets, 6), w, 1, method="exact")
    assert free.sites.tolist() == [0]
    before = np.array([1, 1, 1, 0, 0, 0], bool)
    cover = CoverageMatrix.from_sets(sets, 6, covered_before=before)
    for kw in ({"method": "exact"}, {"method": "exact", "presolve": False}, {"method": "greedy"}):
        r = mclp(cover, w, 1, **kw)
        assert r.sites.tolist() == [1], kw
        assert r.share_before == pytest.approx(3 / 6) and r.share_after == pytest.approx(5 / 6)
        assert r.gain.tolist() == [2.0] and r.covered_by_site.tolist() == [-1, -1, -1, 0, 0, -1]
    full = lscp(cover, w, method="exact", presolve=False)
    assert sorted(full.sites.tolist()) == [1, 2] and full.share_after == 1.0


def test_more_sites_than_useful_are_not_proposed():
    cover = CoverageMatrix.from_sets([[0], [0], [1]], 3)
    r = mclp(cover, np.ones(3), 3, method="exact")
    assert len(r.sites) == 2 and r.share_after == pytest.approx(2 / 3)
    assert any("more would cover no further demand" in n for n in r.notes)
    # a site reaching only zero-weight demand is not proposed, whatever the solver's spare choice
    w0 = np.array([5.0, 0.0, 0.0])
    for method in ("exact", "greedy"):
        z = mclp(cover, w0, 2, method=method)
        assert z.sites.tolist() in ([0], [1]) and z.gain.tolist() == [5.0] and not z.covered_after[2]
    # everything already covered: nothing to propose, and no solver failure
    done = mclp(CoverageMatrix.from_sets([[0, 1]], 2, covered_before=[True, True]), None, 2, method="exact")
    assert len(done.sites) == 0 and done.optimal and done.share_after == 1.0


# ---------------------------------------------------------------- LSCP
@pytest.mark.parametrize("seed", range(4))
def test_lscp_exact_matches_brute_force_and_greedy_within_bound(seed):
    sets, w, before = random_instance(seed + 10, n_cand=9, n_dem=16, p=0.25)
    cover = CoverageMatrix.from_sets(sets, len(w), covered_before=before)
    reach = before.copy()
    for s in sets:
        reach[s] = True
    full_weight = float(w[reach].sum())
    opt = brute_lscp(sets, w, before, full_weight)
    for presolve in (True, False):
        ex = lscp(cover, w, method="exact", presolve=presolve)
        assert ex.optimal and len(ex.sites) == opt
        assert float(w[ex.covered_after].sum()) == pytest.approx(full_weight, abs=1e-9)
    gr = lscp(cover, w, method="greedy")
    d = max(len(s) for s in sets)  # H(max set size) on the raw sets (>= the reduced-model bound)
    assert len(gr.sites) <= harmonic(d) * opt + 1e-9
    assert float(w[gr.covered_after].sum()) == pytest.approx(full_weight, abs=1e-9)
    # partial target: 80% of all weight (if reachable)
    target = 0.8
    tw = target * float(w.sum())
    if tw <= full_weight:
        opt_p = brute_lscp(sets, w, before, tw)
        ex = lscp(cover, w, target_share=target, method="exact")
        assert len(ex.sites) == opt_p and ex.target_reached
        gp = lscp(cover, w, target_share=target, method="greedy")
        assert gp.target_reached and len(gp.sites) >= opt_p
        assert gp.bound.lp_bound is not None and gp.bound.lp_bound <= opt_p + 1e-6


def test_lscp_target_out_of_reach_and_already_met():
    cover = CoverageMatrix.from_sets([[0, 1]], 4, covered_before=[False, False, True, False])
    r = lscp(cover, np.ones(4), method="exact")
    assert r.sites.tolist() == [0] and r.target_reached is False and r.share_after == pytest.approx(0.75)
    assert any("out of reach" in n for n in r.notes)
    done = lscp(CoverageMatrix.from_sets([[0]], 2, covered_before=[True, True]), np.ones(2))
    assert len(done.sites) == 0 and done.target_reached


def test_auto_switches_to_greedy_above_the_threshold():
    sets, w, before = random_instance(3)
    cover = CoverageMatrix.from_sets(sets, len(w), covered_before=before)
    r = mclp(cover, w, 2, method="auto", exact_max_cells=1)
    assert r.method == "greedy" and any("exact_max_cells" in n for n in r.notes)
    assert mclp(cover, w, 2, method="auto").method == "exact"


def test_bad_arguments_are_named():
    cover = CoverageMatrix.from_sets([[0]], 1)
    with pytest.raises(InputError, match="integer >= 1"):
        mclp(cover, None, 0)
    with pytest.raises(InputError, match="method"):
        mclp(cover, None, 1, method="fast")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="weights have"):
        mclp(cover, np.ones(3), 1)
    with pytest.raises(InputError, match="target share"):
        lscp(cover, None, target_share=1.5)


# ---------------------------------------------------------------- on the network
def _nx_minutes(net, cand, dem):
    """Per candidate: minutes from each demand point (to the candidate), networkx on split edges."""
    import networkx as nx

    G = reference_graph(net, {"c": cand, "d": dem}).reverse(copy=False)
    out = np.full((len(cand), len(dem)), np.inf)
    for j in range(len(cand)):
        if cand.edge[j] < 0:
            continue
        dist = nx.single_source_dijkstra_path_length(G, ("c", j), weight="w")
        out[j] = [dist.get(("d", i), np.inf) for i in range(len(dem))]
    return out


def test_coverage_matrix_matches_networkx():
    net = grid_network(8, 100.0)  # 1 min per 100 m
    eng = TravelTimeEngine(net)
    rng = np.random.default_rng(4)
    dem = snap_points(net, points([(x, y) for x, y in rng.uniform(0, 700, (40, 2))]), warn=False)
    cand = snap_points(net, points([(x, y) for x, y in rng.uniform(0, 700, (6, 2))]), warn=False)
    ex = snap_points(net, points([(30.0, 20.0)]), warn=False)
    cm = coverage_matrix(eng, dem, cand, cutoff_min=3.3, existing=ex)
    ref = _nx_minutes(net, cand, dem)
    np.testing.assert_array_equal(cm.a.toarray(), ref <= 3.3)
    ref_ex = _nx_minutes(net, ex, dem)[0]
    np.testing.assert_array_equal(cm.covered_before, ref_ex <= 3.3)
    assert 0 < cm.a.nnz < cm.a.shape[0] * cm.a.shape[1] and cm.covered_before.any()
    m = cm.minutes
    np.testing.assert_allclose(m["minutes"].to_numpy(), ref[m["candidate"], m["demand"]], atol=1e-9)


def test_candidate_sites_reach_the_gap_and_are_thinned():
    net = grid_network(11, 100.0)
    eng = TravelTimeEngine(net)
    gap = snap_points(net, points([(950.0, 950.0), (1000.0, 920.0)]), warn=False)
    c = candidate_sites(eng, gap, cutoff_min=3.0, thin_m=0)
    # nodes within 3 min (300 m) of either gap point, checked with networkx
    import networkx as nx

    G = reference_graph(net, {"g": gap})
    dist = nx.multi_source_dijkstra_path_length(G, [("g", 0), ("g", 1)], weight="w")
    expected = sorted(n for n, d in dist.items() if isinstance(n, (int, np.integer)) and d <= 3.0 + 1e-9)
    assert sorted(c["node"].tolist()) == expected and len(expected) > 5
    thin = candidate_sites(eng, gap, cutoff_min=3.0, thin_m=250.0)
    sq = set(zip(np.floor(thin["x"] / 250.0), np.floor(thin["y"] / 250.0)))
    assert len(sq) == len(thin) < len(c)
    capped = candidate_sites(eng, gap, cutoff_min=3.0, thin_m=0, max_candidates=3)
    assert 1 <= len(capped) <= 3
    e = candidate_sites(eng, gap, cutoff_min=3.0, where="edges", edge_spacing_m=50.0, thin_m=0)
    assert len(e) > len(c) and (e["walk_min_to_gap"] <= 3.0 + 1e-9).all()


# ---------------------------------------------------------------- 2SFCA
@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside PySAL access
def test_two_step_fca_hand_arithmetic_and_pysal_access():
    # clinics 0 (supply 1) and 1 (supply 2); communities of 1000, 2000, 500 residents.
    # clinic 0 reaches communities 0 (5 min) and 1 (10 min); clinic 1 reaches 1 (12) and 2 (8);
    # community 2 is 20 min from clinic 0: beyond the 15-min catchment.
    fac = np.array([0, 0, 1, 1, 0])
    dem = np.array([0, 1, 1, 2, 2])
    mins = np.array([5.0, 10.0, 12.0, 8.0, 20.0])
    pop = np.array([1000.0, 2000.0, 500.0])
    sup = np.array([1.0, 2.0])
    r = two_step_fca_pairs(fac, dem, mins, supply=sup, demand_weights=pop, cutoff_min=15.0)
    r0, r1 = 1 / 3000, 2 / 2500  # step 1 by hand
    np.testing.assert_allclose(r.facility_ratio, [r0, r1])
    np.testing.assert_allclose(r.catchment_demand, [3000.0, 2500.0])
    np.testing.assert_allclose(r.access, [r0, r0 + r1, r1])  # step 2 by hand
    from access import Access

    a = Access(demand_df=pd.DataFrame({"id": [0, 1, 2], "pop": pop}), demand_index="id", demand_value="pop",
               supply_df=pd.DataFrame({"id": [0, 1], "supply": sup}), supply_index="id", supply_value="supply",
               cost_df=pd.DataFrame({"origin": dem, "dest": fac, "minutes": mins}),
               cost_origin="origin", cost_dest="dest", cost_name="minutes")
    ref = a.two_stage_fca(name="fca", max_cost=15.0)
    np.testing.assert_allclose(r.access, ref.iloc[:, 0].reindex([0, 1, 2]).to_numpy())


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside PySAL access
def test_two_step_fca_on_the_network_matches_access_with_networkx_times():
    net = grid_network(8, 100.0)
    eng = TravelTimeEngine(net)
    rng = np.random.default_rng(11)
    dem = snap_points(net, points([(x, y) for x, y in rng.uniform(0, 700, (30, 2))]), warn=False)
    fac = snap_points(net, points([(100.0, 120.0), (600.0, 580.0), (350.0, 340.0)]), warn=False)
    pop = rng.uniform(10, 100, 30)
    sup = np.array([1.0, 3.0, 2.0])
    r = two_step_fca(eng, fac, dem, supply=sup, demand_weights=pop, cutoff_min=4.0)
    ref = _nx_minutes(net, fac, dem)
    j, i = np.nonzero(np.isfinite(ref))
    from access import Access

    a = Access(demand_df=pd.DataFrame({"id": np.arange(30), "pop": pop}), demand_index="id", demand_value="pop",
               supply_df=pd.DataFrame({"id": np.arange(3), "supply": sup}), supply_index="id", supply_value="supply",
               cost_df=pd.DataFrame({"origin": i, "dest": j, "minutes": ref[j, i]}),
               cost_origin="origin", cost_dest="dest", cost_name="minutes")
    acc = a.two_stage_fca(name="fca", max_cost=4.0).iloc[:, 0].reindex(np.arange(30)).fillna(0.0).to_numpy()
    assert (r.access > 0).any() and (r.access == 0).any()
    np.testing.assert_allclose(r.access, acc, rtol=1e-12, atol=1e-15)
