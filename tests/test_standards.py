"""The standards data: packaged defaults checked against the plan, overrides, validation errors."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from beichen_geo.standards import DEFAULT_LABEL, UNITS, Quantity, Standards, load_standards
from geo.errors import InputError
from geo.osm.features import match_kinds


@pytest.fixture(scope="module")
def std() -> Standards:
    return load_standards()


def write(tmp_path: Path, text: str, name: str = "planner.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------------------------------------
# Defaults against the plan


def test_walking_speed_gives_1000_m_in_15_min(std):
    assert std.travel.walk_speed_kmh == Quantity(4.0, "km/h", std.travel.walk_speed_kmh.source,
                                                 std.travel.walk_speed_kmh.note, std.travel.walk_speed_kmh.note_zh)
    assert std.travel.walk_speed_kmh.source.startswith("external: GB 50180-2018")
    assert std.travel.distance_m(15) == pytest.approx(1000.0)
    assert std.travel.distance_m(std.circle_variant().tier("town").minutes) == pytest.approx(2000.0)
    assert std.travel.max_snap_m.value == 150 and std.travel.max_snap_m.unit == "m"
    assert std.travel.isochrone_buffer_m.value == 30


def test_tod_variants_5_10_and_8_15_both_present_and_distinct(std):
    assert set(std.tod.variants) == {"glossary", "beichen_station_metro"}
    glossary, metro = std.tod_variant("glossary"), std.tod_variant("beichen_station_metro")
    assert glossary.minutes == (5.0, 10.0)
    assert metro.minutes == (8.0, 15.0)
    assert glossary.minutes != metro.minutes
    assert (glossary.standard, metro.standard) == ("S-TOD-02", "S-TOD-01")
    assert "L426" in glossary.source and "L253" in metro.source
    assert "5至10分钟" in glossary.plan_text and "8至15分钟" in metro.plan_text
    assert std.tod_variant() is metro  # default: the Beichen-specific rule
    assert std.tod.station_kind == "station" and std.tod.mode == "walk"


def test_park_rule_500_m_full_coverage_of_residential_land(std):
    parks = std.parks
    assert parks.standard == "S-PG-01" and "L351" in parks.source
    assert parks.radius_m.value == 500 and parks.radius_m.unit == "m"
    assert parks.target_share.value == 1.0
    assert parks.primary_method == "euclidean"
    assert parks.min_area_m2.value == 0 and parks.size_rule == "none"
    assert parks.radius_for_area(10.0) == 500.0
    assert "500米半径居住用地覆盖率100%" in parks.plan_text


def test_garden_city_size_rule_is_an_optional_alternative(tmp_path):
    s = load_standards(write(tmp_path, '[parks]\nsize_rule = "garden_city"\n'))
    assert [(t.min_area_m2.value, t.radius_m.value) for t in s.parks.size_tiers] == [(5000, 500), (2000, 300)]
    assert s.parks.radius_for_area(6000) == 500.0
    assert s.parks.radius_for_area(3000) == 300.0
    assert s.parks.radius_for_area(1500) is None


def test_clinic_rule_30000_to_100000_residents(std):
    c = std.clinics
    assert c.standard == "S-H-01" and "L1338" in c.source
    assert (c.residents_per_centre_min.value, c.residents_per_centre_max.value) == (30_000, 100_000)
    assert c.residents_per_centre_min.unit == "persons"
    assert "310万" in c.residents_per_centre_min.note  # the garbled text is explained
    assert c.min_per_town.value == 1
    assert c.walk_minutes.value == 15


def test_living_circle_variants_kept_apart(std):
    v = std.circles.variants
    assert set(v) == {"5-15-30", "5-10-15", "15-commerce"}
    assert std.circles.default_variant == "5-15-30"
    minutes = {name: [t.minutes.value for t in var.tiers] for name, var in v.items()}
    assert minutes == {"5-15-30": [5, 15, 30], "5-10-15": [5, 10, 15], "15-commerce": [15]}
    assert "L1947" in v["5-15-30"].source and "L259" in v["5-15-30"].source
    assert "L1921" in v["5-10-15"].source and "L2018" in v["15-commerce"].source
    ids = sorted(s for var in v.values() for s in var.standards)
    assert ids == ["S-LC-01", "S-LC-02", "S-LC-03", "S-LC-04"]
    for var in v.values():
        assert var.plan_text
        for tier in var.tiers:
            assert tier.mode == "walk"
            assert tier.target_share.value == 1.0
            assert tier.kinds and set(tier.kinds) <= set(std.kinds)
        # GB 50180 tiers are non-inclusive: each kind sits in one tier of a variant
        flat = [k for t in var.tiers for k in t.kinds]
        assert len(flat) == len(set(flat))
    assert std.circle_variant("15-commerce").kinds == ("convenience", "eatery", "market", "post")


def test_population_estimate_defaults(std):
    pop = std.population
    assert pop.floor_area_per_person_m2.unit == "m2/person"
    assert 30 <= pop.floor_area_per_person_m2.value <= 40
    assert pop.default_levels["house"].value == 1
    assert pop.default_levels["apartments"].value == 6
    assert pop.district_residents.value == 909_600
    # every value houses people unless excluded; an excluded value has no levels to assume
    assert "yes" in pop.default_levels and not set(pop.default_levels) & set(pop.non_residential_buildings)
    assert {"garage", "shed", "retail", "industrial", "church", "school"} <= set(pop.non_residential_buildings)
    assert "Key:building" in pop.non_residential_buildings_source


def test_kind_filters_feed_the_feature_reader(std):
    filters = std.kind_filters()
    assert "chsc" not in filters  # file-only kind
    assert std.kinds["chsc"].input == "file"
    assert filters["park"] == {"leisure": ["park"]}
    assert filters["clinic"]["amenity"] == ["clinic", "doctors"]  # primary care; hospitals are kind 'hospital'
    assert std.kind_filters(["park", "chsc"]) == {"park": {"leisure": ["park"]}}
    with pytest.raises(InputError, match="unknown kind"):
        std.kind_filters(["parc"])
    feats = pd.DataFrame({"amenity": ["clinic", "school", None], "leisure": [None, None, "park"]})
    m = match_kinds(feats, filters)
    assert m["clinic"].tolist() == [True, False, False]
    assert m["park"].tolist() == [False, False, True]
    for kind in std.kinds.values():
        assert kind.label_zh and kind.label_en and kind.note


def test_every_number_in_the_packaged_file_has_unit_and_source():
    raw = tomllib.loads(resources.files("beichen_geo").joinpath("standards.toml").read_text("utf-8"))
    bare: list[str] = []

    def walk(node, path):
        if isinstance(node, dict):
            if "value" in node:
                assert node.get("unit") in UNITS, path
                assert node.get("source"), path
                return
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            bare.append(path)

    walk(raw, "")
    assert bare == []


def test_to_dict_is_json_ready(std):
    d = std.to_dict()
    text = json.dumps(d, ensure_ascii=False)
    back = json.loads(text)
    assert back["travel"]["walk_speed_kmh"]["value"] == 4.0
    assert back["circles"]["variants"]["5-10-15"]["tiers"][1]["name"] == "local"
    assert back["files"] == [DEFAULT_LABEL]
    assert back["meta"]["document"] == "北辰政办发〔2021〕14号"
    assert back["meta"]["date"] == "2021-12-31"


def test_unknown_variant_names_are_input_errors(std):
    with pytest.raises(InputError, match="5-15-30"):
        std.circle_variant("5-10-30")
    with pytest.raises(InputError, match="glossary"):
        std.tod_variant("nope")


# ---------------------------------------------------------------------------------------------
# Overrides


def test_override_one_value_keeps_the_rest(tmp_path, std):
    p = write(tmp_path, "[travel]\nwalk_speed_kmh = 4.5\n")
    s = load_standards(p)
    assert s.travel.walk_speed_kmh.value == 4.5
    assert s.travel.walk_speed_kmh.unit == "km/h"
    assert s.travel.walk_speed_kmh.source == f"override in {p}"
    assert s.travel.walk_speed_kmh.note is None  # the default's note described the default
    assert s.travel.distance_m(15) == pytest.approx(1125.0)
    assert s.files == (DEFAULT_LABEL, str(p))
    a, b = std.to_dict(), s.to_dict()
    for d in (a, b):
        del d["travel"]["walk_speed_kmh"], d["files"]
    assert a == b


def test_override_a_quantity_table_and_tier_settings(tmp_path, std):
    p = write(tmp_path, """
[parks.radius_m]
value = 300
source = "our bureau, 2024"

[circles]
default_variant = "5-10-15"

[circles.5-15-30.tiers.town]
mode = "bike"

[circles.5-15-30.tiers.neighbourhood]
enabled = false

[circles.5-10-15.tiers.community]
kinds = ["chsc", "sports"]
""")
    s = load_standards(p)
    assert s.parks.radius_m == Quantity(300, "m", "our bureau, 2024")
    assert s.parks.target_share == std.parks.target_share
    assert s.circle_variant().name == "5-10-15"
    v = s.circle_variant("5-15-30")
    assert [t.name for t in v.tiers] == ["community", "town"]
    assert v.tier("town").mode == "bike" and v.tier("town").kinds == ("hospital", "station")
    assert v.tier("community").mode == "walk"
    assert s.circle_variant().tier("community").kinds == ("chsc", "sports")
    assert s.circle_variant().tier("community").minutes == std.circle_variant("5-10-15").tier("community").minutes


def test_planner_can_add_a_kind_and_a_variant(tmp_path):
    p = write(tmp_path, """
[kinds.canteen]
label_zh = "老人家食堂"
input = "file"

[circles.elderly]
standards = ["S-EC-03"]
[circles.elderly.tiers.near]
minutes = 10
kinds = ["canteen", "elderly_care"]
""")
    s = load_standards(p)
    tier = s.circle_variant("elderly").tier("near")
    assert tier.minutes == Quantity(10, "min", f"override in {p}")
    assert tier.target_share.value == 1.0 and tier.mode == "walk"
    assert "canteen" not in s.kind_filters()


# ---------------------------------------------------------------------------------------------
# Validation errors: file name + key path + what is wrong


@pytest.mark.parametrize(
    "text, path, what",
    [
        ("[travel]\nwalk_speed_kmh = 4.5\n[circles\n", "line 3", "invalid TOML"),
        ('[circles.5-15-30.tiers.community]\nkinds = ["clinic", "clinc"]\n',
         "circles.5-15-30.tiers.community.kinds[1]", "unknown kind 'clinc'"),
        ("[circles.5-15-30.tiers.town]\nminutes = -30\n", "circles.5-15-30.tiers.town.minutes", "greater than 0"),
        ("[circles.5-10-15.target_share]\nvalue = 1.5\n", "circles.5-10-15.target_share", "between 0 and 1"),
        ("[parks]\ntarget_share = 1.5\n", "parks.target_share", "between 0 and 1"),
        ('[parks.radius_m]\nvalue = 0.5\nunit = "km"\n', "parks.radius_m.unit", "unknown unit 'km'"),
        ('[parks.radius_m]\nvalue = 5\nunit = "min"\n', "parks.radius_m.unit", "must be 'm'"),
        ("[travel]\nwalk_speed_kph = 4.5\n", "travel.walk_speed_kph", "unknown key"),
        ('[travel]\nwalk_speed_kmh = "fast"\n', "travel.walk_speed_kmh", "must be a table"),
        ("[tod.glossary]\ninner_minutes = 12\n", "tod.glossary.inner_minutes", "must not be greater than outer_minutes"),
        ("[tod.glossary]\nouter_minutes = 4\n", "tod.glossary.outer_minutes", "must not be less than inner_minutes"),
        ("[clinics]\nresidents_per_centre_min = 200000\n", "clinics.residents_per_centre_min", "must not be greater"),
        ('[circles]\ndefault_variant = "5-10-30"\n', "circles.default_variant", "no variant '5-10-30'"),
        ('[tod]\nstation_kind = "metro"\n', "tod.station_kind", "unknown kind 'metro'"),
        ("[kinds.park]\ntags = { leisure = false }\n", "kinds.park.tags.leisure", "must be true"),
        ("[kinds.Bad-Name]\ntags = { amenity = true }\n", "kinds.Bad-Name", "snake_case"),
        ("[circles.5-15-30.tiers.town]\nmode = \"fly\"\n", "circles.5-15-30.tiers.town.mode", "must be one of"),
    ],
)
def test_validation_errors_name_file_and_key_path(tmp_path, text, path, what):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as ei:
        load_standards(p)
    msg = str(ei.value)
    assert str(p) in msg
    assert path in msg
    assert what in msg


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found") as ei:
        load_standards(tmp_path / "nope.toml")
    assert "nope.toml" in str(ei.value)


def test_non_utf8_file_is_an_input_error(tmp_path):
    p = tmp_path / "gbk.toml"
    p.write_bytes("[meta]\nnotes = [\"北辰\"]\n".encode("gbk"))
    with pytest.raises(InputError, match="UTF-8") as ei:
        load_standards(p)
    assert str(p) in str(ei.value)


def test_standards_are_frozen(std):
    with pytest.raises(AttributeError):
        std.travel = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        std.kinds["park"] = None  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# Keys the code reads, and keys no code read (removed, so refused like any unknown key)


@pytest.mark.parametrize("text, path", [
    ('[parks]\ndenominator = "residents"\n', "parks.denominator"),
    ('[parks]\ndistance_methods = ["network"]\n', "parks.distance_methods"),
    ('[clinics]\nmode = "walk"\n', "clinics.mode"),
    ('[tod]\nstations_named = ["京滨城际北辰站"]\n', "tod.stations_named"),
    ('[tod]\nmetrics = ["population"]\n', "tod.metrics"),
])
def test_keys_that_nothing_reads_are_refused(tmp_path, text, path):
    p = write(tmp_path, text)
    with pytest.raises(InputError, match="unknown") as ei:
        load_standards(p)
    assert str(p) in str(ei.value) and path in str(ei.value)


def test_packaged_file_has_no_key_that_nothing_reads():
    data = tomllib.loads(resources.files("beichen_geo").joinpath("standards.toml").read_text(encoding="utf-8"))
    assert not {"denominator", "distance_methods"} & set(data["parks"])
    assert "mode" not in data["clinics"]
    assert not {"stations_named", "metrics"} & set(data["tod"])


def test_rescale_to_total_makes_the_estimate_sum_to_the_district_total(tmp_path, std, helsinki_study):
    from beichen_geo.population import residents_for

    over = load_standards(write(tmp_path, "[population]\nrescale_to_total = true\ndistrict_residents = 123456\n"))
    assert over.population.rescale_to_total and not std.population.rescale_to_total
    plain = residents_for(helsinki_study, std.population)
    scaled = residents_for(helsinki_study, over.population)
    assert plain.total > 0 and abs(plain.total - 123456) > 1000  # the sample's own estimate is another number
    assert scaled.total == pytest.approx(123456, rel=1e-9)
    # proportions kept: every cell scaled by the same factor
    factor = 123456 / plain.total
    assert scaled.per_cell == pytest.approx(plain.per_cell * factor, rel=1e-9, abs=1e-9)
    assert scaled.unplaced == pytest.approx(plain.unplaced * factor, rel=1e-9, abs=1e-9)
    assert "rescaled" in scaled.source and "rescaled" not in plain.source


def test_residential_buildings_of_the_standards_choose_the_buildings_that_form_residential_land(tmp_path,
                                                                                               helsinki_study):
    from beichen_geo.cli.parser import build_parser
    from beichen_geo.cli.pipeline import load
    from beichen_geo.progress import Steps

    # the buildings that form residential land beyond landuse=residential are chosen by value
    def from_buildings(study):
        return study.residential.loc[study.residential["res_source"] == "residential building"]

    assert len(from_buildings(helsinki_study)) > 0
    over = load_standards(write(tmp_path, '[population]\nresidential_buildings = ["no-such-value"]\n'))
    assert over.population.residential_buildings == ("no-such-value",)
    args = build_parser().parse_args(["parks", "--out", str(tmp_path / "o"), "--quiet"])
    study = load(args, Steps(quiet=True), over)  # what the command line loads with this standards file
    assert len(from_buildings(study)) == 0


def test_residential_buildings_must_not_be_empty(tmp_path):
    with pytest.raises(InputError, match="population.residential_buildings"):
        load_standards(write(tmp_path, "[population]\nresidential_buildings = []\n"))
