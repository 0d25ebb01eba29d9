"""The map texts: one catalogue, both languages with the same keys and fields."""

from __future__ import annotations

import string

import pytest

from beichen_geo.present import messages
from beichen_geo.present.messages import MAP_WORDS, words
from beichen_geo.standards import load_standards


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_both_languages_hold_the_same_keys_and_fields():
    assert set(MAP_WORDS["en"]) == set(MAP_WORDS["zh"])
    for key, en in MAP_WORDS["en"].items():
        assert _fields(en) == _fields(MAP_WORDS["zh"][key]), key


def test_standards_texts_in_the_map_language():
    st = load_standards()
    v = st.circle_variant("5-15-30")
    zh, en = words("zh"), words("en")
    assert "tiers also in" in v.source and "tiers also in" not in zh.of(v, "source")
    assert "积极" in v.source and "积极" not in en.of(v, "source")
    assert "text prints" in st.clinics.plan_text and "text prints" not in zh.of(st.clinics, "plan_text")
    assert zh.of(v, "label") == v.label_zh and en.of(v, "label") == v.label_en
    # a standard without a language's text falls back to the text itself
    assert zh.of(st.parks, "plan_text") == st.parks.plan_text
    assert en.minutes(15) == "15 min" and zh.minutes(7.5) == "7.5分钟"


def test_population_source_words():
    facts = {"buildings": 1234, "m2_per_person": 35.0, "unbuilt_share": 0.0004, "density_per_m2": 0.0858}
    en = messages.population_estimate(**facts)
    assert en == ("estimate: floor area of 1,234 buildings on residential land / 35 m² per person, spread over each "
                  "residential polygon by land area (levels from building:levels, height or building value); "
                  "under 0.1% of the land has no building and is given 858 residents/ha")
    zh = messages.population_estimate(**facts, lang="zh")
    assert "1,234栋" in zh and "35 m²" in zh and "不足0.1%" in zh and "858人" in zh
    assert "estimate" not in zh
    assert messages.population_given("p.csv", column="人口", lang="zh") == "给定：p.csv（人口）"
    assert messages.population_given("p.csv", joined_to="u.gpkg") == "given: p.csv joined to u.gpkg"


@pytest.mark.parametrize("status, zh", [("ok", "正常"), ("no centre within reach", "可达范围内无机构"),
                                        ("overloaded (> 100,000 residents per centre)", "超负荷（每所 > 100,000 人）")])
def test_fca_status_words(status, zh):
    from beichen_geo.present.gaps import fca_status

    assert fca_status(status, words("zh")) == zh
    assert fca_status(status, words("en")) == status


def test_unit_classes_of_clinics():
    import numpy as np

    from beichen_geo.present.clinics import unit_classes

    code, cuts = unit_classes(np.array([0.2, 0.5, 0.74, 0.9, 1.0, np.nan]), 1.0)
    assert cuts == [0.5, 0.75]
    assert code[:5].tolist() == [0, 1, 1, 2, 3] and np.isnan(code[5])
    code, cuts = unit_classes(np.array([0.6, 0.7]), 0.7)  # target 70 %: the 75 % cut is dropped
    assert cuts == [0.5] and code.tolist() == [1, 2]
