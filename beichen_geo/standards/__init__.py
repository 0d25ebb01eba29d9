"""Beichen's service standards, read from editable TOML and checked.

The defaults ship as ``beichen_geo/standards.toml``: the living circles, park, TOD and clinic
rules of 北辰政办发〔2021〕14号. Each number carries its unit and its source line. A planner
changes single values with a small TOML file of their own, merged key by key over the
defaults::

    [travel]
    walk_speed_kmh = 4.5

    [circles.5-15-30.tiers.town]
    mode = "bike"

Every number in the file is a table ``{value, unit, source, note?, note_zh?}`` (``note_zh``: the
note in Chinese, for the assessment's Chinese workbook and report). An override may give a
bare number: the unit is kept and the source becomes ``"override in <file>"``. Tables merge
key by key. Lists (``kinds = [...]``) and other values are replaced whole. A tier is dropped
with ``enabled = false``.

Every number must lie in its sane range, listed for every key in one table, :data:`LIMITS`
(walk speed 0.5-30 km/h, minutes more than 0 and at most 180, shares 0-1, counts whole...).

A mistake raises :class:`~geo.errors.InputError`. The message names the file, the key path
(e.g. ``circles.5-15-30.tiers.community.minutes``) and what is wrong, e.g.
``bad.toml: travel.walk_speed_kmh = 1e+308 is outside 0.5-30 km/h: give a value in that range``.

Modules: :mod:`.schema` (the validated standards as frozen data classes), :mod:`.limits` (the
sane range of every number), :mod:`.fields` (checking one value), :mod:`.sections` (one
builder per TOML section) and :mod:`.load` (reading and merging the files).
"""

from __future__ import annotations

from beichen_geo.standards.limits import LIMITS, Limit
from beichen_geo.standards.load import load_standards
from beichen_geo.standards.schema import (
    DEFAULT_LABEL,
    UNITS,
    Circles,
    CircleVariant,
    Clinics,
    Kind,
    Meta,
    Parks,
    ParkSizeTier,
    Population,
    Quantity,
    Standards,
    Tier,
    Tod,
    TodVariant,
    Travel,
)

__all__ = [
    "Quantity",
    "Meta",
    "Travel",
    "Kind",
    "Tier",
    "CircleVariant",
    "Circles",
    "ParkSizeTier",
    "Parks",
    "TodVariant",
    "Tod",
    "Clinics",
    "Population",
    "Standards",
    "load_standards",
    "DEFAULT_LABEL",
    "UNITS",
    "Limit",
    "LIMITS",
]

