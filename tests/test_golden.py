"""Every analysis on the sample gives the summaries stored before the restructuring (issue 12)."""

from __future__ import annotations

import json

import pytest

from golden import GOLDEN, diff, run_all


@pytest.fixture(scope="module")
def now(tmp_path_factory):
    return run_all(tmp_path_factory.mktemp("golden"))


def test_golden_files_exist():
    assert len(list(GOLDEN.glob("*.json"))) >= 6


@pytest.mark.parametrize("stem", sorted(p.stem for p in GOLDEN.glob("*.json")))
def test_summary_equals_the_stored_one(now, stem):
    golden = json.loads((GOLDEN / f"{stem}.json").read_text(encoding="utf-8"))
    assert stem in now, f"{stem} is no longer written"
    problems = diff(golden, now[stem])
    assert not problems, "\n".join(problems[:30])


def test_no_new_summary_without_a_golden_one(now):
    assert sorted(now) == sorted(p.stem for p in GOLDEN.glob("*.json"))
