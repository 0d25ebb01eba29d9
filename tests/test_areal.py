"""geo.areal: point-to-unit assignment and areal weighting against answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.areal import (
    assign_to_units,
    spread_by_overlap,
    spread_over_units,
    unit_pairs,
    unit_sums,
)

# unit 0: [0,10]x[0,10]; unit 1: [5,15]x[0,10] overlaps it on [5,10]; unit 2: [20,30]x[0,10]
UNITS = np.array([shapely.box(0, 0, 10, 10), shapely.box(5, 0, 15, 10), shapely.box(20, 0, 30, 10)])
#            only 0        both 0 and 1    only 1          on 2's border   outside all
POINTS = shapely.points([(2, 5), (7, 5), (12, 5), (20, 5), (50, 5)])


def test_first_unit_by_position_wins_and_borders_follow_the_predicate():
    assert assign_to_units(POINTS, UNITS).tolist() == [0, 0, 1, -1, -1]  # within: the border point is in no unit
    assert assign_to_units(POINTS, UNITS, predicate="covered_by").tolist() == [0, 0, 1, 2, -1]
    # the rule does not depend on the units' order in the tree: reversed units, first of them wins
    assert assign_to_units(POINTS, UNITS[::-1]).tolist() == [2, 1, 1, -1, -1]


def test_pairs_list_every_holding_unit():
    pi, ui = unit_pairs(POINTS, UNITS)
    assert sorted(zip(pi.tolist(), ui.tolist())) == [(0, 0), (1, 0), (1, 1), (2, 1)]
    assert [len(a) for a in unit_pairs(POINTS[:0], UNITS)] == [0, 0]
    assert assign_to_units(POINTS[:0], UNITS).tolist() == []


def test_unit_value_shared_by_weight_and_units_without_members_unplaced():
    unit_of = np.array([0, 0, 1, -1])
    weights = np.array([1.0, 3.0, 2.0, 5.0])
    per, unplaced = spread_over_units(np.array([100.0, 50.0, 7.0]), unit_of, weights)
    assert per.tolist() == pytest.approx([25.0, 75.0, 50.0, 0.0])  # 100 split 1:3, 50 all to the one member
    assert unplaced == 7.0  # unit 2 has no member
    assert unit_sums(weights, unit_of, 3).tolist() == [4.0, 2.0, 0.0]


def test_areal_weighting_by_intersection_area():
    # a 10 x 10 source over two 5 x 10 targets, 3/5 of it on the first; a source off every target
    sources = np.array([shapely.box(2, 0, 12, 10), shapely.box(100, 100, 101, 101)])
    targets = np.array([shapely.box(0, 0, 8, 10), shapely.box(8, 0, 16, 10)])
    per, unplaced = spread_by_overlap(np.array([10.0, 4.0]), sources, targets)
    assert per.tolist() == pytest.approx([6.0, 4.0])
    assert unplaced.tolist() == [0.0, 4.0]
