"""geo.areal: point-to-unit assignment and areal weighting against answers worked out by hand."""

from __future__ import annotations

import numpy as np
import shapely

from geo.areal import (
    assign_to_units,
    unit_pairs,
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
