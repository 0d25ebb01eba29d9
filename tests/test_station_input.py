"""The band parser and the station snapping diagnostics (returned as data, not warnings)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import grid_network
from test_tod import make_study

from beichen_geo.analyses._stations_common import snap_stations, station_points
from beichen_geo.analyses.bands import parse_bands
from beichen_geo.standards import load_standards
from geo.errors import InputError
from geo.snapping import OffNetworkWarning, snap_points


@pytest.mark.parametrize(("given", "expect"), [
    ("5,10,15", (5.0, 10.0, 15.0)),
    (" 10, 5 ,10,", (5.0, 10.0)),
    (7.5, (7.5,)),
    ([15, 5.0, 5], (5.0, 15.0)),
    (np.array([10, 5]), (5.0, 10.0)),
])
def test_parse_bands_sorted_without_repeats(given, expect):
    assert parse_bands(given) == expect


@pytest.mark.parametrize(("given", "message"), [
    ("5,x", "bands must be minutes"), (["five"], "bands must be minutes"), (None, "bands must be minutes"),
    ("", "bands must be positive minutes"), ([0, 5], "bands must be positive minutes"),
    ([-1], "bands must be positive minutes"), ("inf", "bands must be positive minutes"),
    ([math.nan], "bands must be positive minutes"),
])
def test_parse_bands_refuses_bad_input(given, message):
    with pytest.raises(InputError, match=message):
        parse_bands(given)


def test_snap_diagnostics_are_the_snapping_warning_as_data():
    net = grid_network()
    study, _ = make_study(net, stations=[(500, 500), (5000, 5000), (-900, 300)])
    std = load_standards()
    st = station_points(study, std, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is emitted: the diagnostics are returned
        got = snap_stations(study, st)
    with pytest.warns(OffNetworkWarning) as rec:
        snap_points(net, st, max_snap_m=study.max_snap_m, what="stations")
    assert got.warnings == [str(rec[0].message)]
    assert "2 of 3 points" in got.warnings[0] and "(5,657 m)" in got.warnings[0]  # (5000, 5000) to the corner (1000, 1000)
    assert got.relinked == [] and got.snap.on_network.tolist() == [True, False, False]
