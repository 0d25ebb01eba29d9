"""The palette: one colour per meaning, ColorBrewer members, apart for colour-blind readers."""

from __future__ import annotations

import itertools

import pytest
from branca.utilities import color_brewer

from geo.errors import InputError
from geo.maps import palette

VISIONS = ("normal", "deuteranopia", "protanopia", "tritanopia")
#: ΔE*ab that colours told apart at a glance need (2.3 is just noticeable).
APART = 20.0


def test_every_named_colour_is_the_colorbrewer_member_it_says():
    for name, c in palette.MEANINGS.items():
        assert c.meaning == name
        assert c.hex == color_brewer(c.scheme, c.n_classes)[c.member].lower()
        assert palette.color(name) == c.hex
    with pytest.raises(InputError, match="no colour named"):
        palette.color("sky")


def test_meanings_have_distinct_colours_and_covered_is_not_parks():
    hexes = [c.hex for c in palette.MEANINGS.values()]
    assert len(set(hexes)) == len(hexes)
    assert palette.COVERED != palette.PARKS
    assert palette.COVERED != palette.PROPOSED != palette.NOT_COVERED


@pytest.mark.parametrize("vision", VISIONS)
def test_named_colours_stay_apart_for_colour_blind_readers(vision):
    """Every pair of named colours differs by ΔE >= 20 under each simulated vision."""
    names = list(palette.MEANINGS)
    for a, b in itertools.combinations(names, 2):
        d = palette.cvd_distance(palette.color(a), palette.color(b), vision=vision)
        assert d >= APART, f"{a} vs {b} under {vision}: ΔE {d:.1f}"


def test_simulation_matches_known_confusions():
    """The simulation is not a no-op: ColorBrewer's RdYlGn ends (red vs green, the pair the
    maps used before) nearly merge for deuteranopes, while red vs blue stays apart."""
    red, green = color_brewer("RdYlGn", 5)[0], color_brewer("RdYlGn", 5)[4]
    assert palette.cvd_distance(red, green) > 80
    assert palette.cvd_distance(red, green, vision="deuteranopia") < 0.4 * palette.cvd_distance(red, green)
    assert palette.cvd_distance(palette.NOT_COVERED, palette.COVERED, vision="deuteranopia") > 80
    assert palette.cvd_distance("#777777", "#777777", vision="protanopia") == pytest.approx(0, abs=1e-9)
    with pytest.raises(InputError, match="unknown vision"):
        palette.cvd_distance(red, green, vision="mono")


def _lightness(hex_color: str) -> float:
    return float(palette._lab(palette._linear(hex_color))[0])


@pytest.mark.parametrize("fn", [palette.band_colors, palette.class_colors, palette.diverging_colors])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 9, 12])
def test_ramps_have_n_distinct_colours(fn, n):
    cols = fn(n)
    assert len(cols) == n and len(set(cols)) == n
    for vision in VISIONS:
        # neighbours of a ramp of up to 7 classes stay clearly apart for every vision
        if n <= 7:
            assert palette.min_pairwise_distance(cols, vision=vision) >= 8, (fn.__name__, n, vision)


@pytest.mark.parametrize("n", [3, 5, 7])
def test_sequential_ramps_order_by_lightness(n):
    """Bands (nearest darkest) and classes (lowest lightest) are ordered by lightness, which
    colour-blind readers see as well as anyone."""
    bands = [_lightness(c) for c in palette.band_colors(n)]
    classes = [_lightness(c) for c in palette.class_colors(n)]
    assert bands == sorted(bands)
    assert classes == sorted(classes, reverse=True)


def test_ramps_are_colorbrewer_schemes():
    assert palette.class_colors(5) == [c.lower() for c in color_brewer("YlGnBu", 5)]
    assert palette.diverging_colors(4) == [c.lower() for c in color_brewer("RdYlBu", 4)]
    assert palette.diverging_colors(4)[0] == palette.NOT_COVERED  # fail end
    assert palette.diverging_colors(5)[-1] == palette.COVERED  # pass end
    ylorbr5 = [c.lower() for c in color_brewer("YlOrBr", 5)]
    assert palette.band_colors(3) == ylorbr5[:1:-1]  # the darkest three, darkest first


def test_kind_colours_are_stable_and_pinnable():
    kinds = ["clinic", "hospital", "park", "school", "station"]
    a = palette.kind_colors(kinds, fixed={"park": palette.PARKS})
    b = palette.kind_colors([*kinds, "post"], fixed={"park": palette.PARKS})
    assert a["park"] == palette.PARKS
    assert all(b[k] == a[k] for k in kinds)  # adding a kind at the end changes none
    assert len(set(a.values())) == len(a)
    pool = palette.qualitative()
    assert len(pool) == len(set(pool)) == 14
    # qualitative colours: distinct at a glance for normal vision
    assert palette.min_pairwise_distance(pool) >= 12
    many = palette.kind_colors([f"k{i}" for i in range(20)])
    assert many["k0"] == many["k14"]  # repeats after 14
    pin = palette.kind_colors(["a", "b", "c"], fixed={"c": pool[0]})
    assert pin == {"a": pool[1], "b": pool[2], "c": pool[0]}  # a pinned colour is nobody else's
    with pytest.raises(InputError):
        palette.kind_colors(kinds, fixed={"park": "url(x)"})


def test_check_color():
    assert palette.check_color("#abc", what="x") == "#abc"
    for bad in ("", "#12", "red;background:url(x)", "javascript:1", 3):
        with pytest.raises(InputError):
            palette.check_color(bad, what="x")  # type: ignore[arg-type]
