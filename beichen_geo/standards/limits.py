"""The sane range of every numeric standard, in one table (:data:`LIMITS`), and its wording in messages."""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


@dataclasses.dataclass(frozen=True)
class Limit:
    """The sane range of one numeric standard: ``lo``-``hi`` in the entry's unit.

    ``lo_open`` excludes ``lo`` itself (e.g. minutes must be more than 0); ``whole`` asks
    for a whole number (counts, persons, a level cap).
    """

    lo: float
    hi: float
    lo_open: bool = False
    whole: bool = False


#: Sane limits of EVERY numeric standard, by key path (``*`` = any one name: a variant, tier,
#: size tier or building type). A value outside its range is refused with the key path, so
#: that an absurd override (1e308 km/h, a 1e9 m buffer) cannot give tracebacks or confident
#: nonsense. The ranges are wide on purpose: they catch typos and unit mistakes (km for m,
#: percent for share), not unusual local choices.
LIMITS: Final[Mapping[str, Limit]] = MappingProxyType({
    # [travel]
    "travel.walk_speed_kmh": Limit(0.5, 30),           # km/h; slow shuffle to a runner
    "travel.bike_speed_kmh": Limit(2, 60),             # km/h; pushing a bike to a fast e-bike
    "travel.max_snap_m": Limit(0, 500, lo_open=True),  # m; 0 would put every home off the network
    "travel.isochrone_buffer_m": Limit(0, 500, lo_open=True),  # m; 0 draws polygons of no area
    # [circles]
    "circles.*.target_share": Limit(0, 1),
    "circles.*.tiers.*.minutes": Limit(0, 180, lo_open=True),
    "circles.*.tiers.*.target_share": Limit(0, 1),
    # [parks]: radii up to 5 km (a country park's catchment), areas up to 100 ha
    "parks.radius_m": Limit(0, 5000, lo_open=True),
    "parks.target_share": Limit(0, 1),
    "parks.min_area_m2": Limit(0, 1_000_000),
    "parks.size_tiers.*.min_area_m2": Limit(0, 1_000_000),
    "parks.size_tiers.*.radius_m": Limit(0, 5000, lo_open=True),
    # [tod]
    "tod.*.inner_minutes": Limit(0, 180, lo_open=True),
    "tod.*.outer_minutes": Limit(0, 180, lo_open=True),
    # [clinics]
    "clinics.min_per_town": Limit(0, 100, whole=True),
    "clinics.residents_per_centre_min": Limit(1, 10_000_000, whole=True),
    "clinics.residents_per_centre_max": Limit(1, 10_000_000, whole=True),
    "clinics.walk_minutes": Limit(0, 180, lo_open=True),
    "clinics.reach_target_share": Limit(0, 1),
    "clinics.existing_centres": Limit(0, 10_000, whole=True),
    "clinics.towns": Limit(1, 1_000, whole=True),
    # [population]
    "population.floor_area_per_person_m2": Limit(5, 200),
    "population.storey_height_m": Limit(2, 10),
    "population.max_levels": Limit(1, 200, whole=True),
    "population.min_footprint_m2": Limit(0, 10_000),
    "population.district_residents": Limit(1, 1_000_000_000, whole=True),
    "population.district_residents_2025": Limit(1, 1_000_000_000, whole=True),
    "population.default_levels.*": Limit(1, 200),  # an assumed average may be 2.5
})


def limit_for(keys: tuple[str, ...]) -> Limit:
    """The entry of :data:`LIMITS` for a quantity's key path (``*`` in a pattern matches any one name)."""
    for pattern, limit in LIMITS.items():
        parts = pattern.split(".")
        if len(parts) == len(keys) and all(a in ("*", b) for a, b in zip(parts, keys, strict=True)):
            return limit
    raise AssertionError(f"no entry in standards.LIMITS for {'.'.join(keys)}")  # a programming error


def num_text(x: float) -> str:
    """``30``, ``0.5``, ``1e+308``, ``1,000,000``: as a planner would write it."""
    if isinstance(x, int) and abs(x) >= 10**15:
        return format(decimal.Decimal(x), ".6g")  # a huge TOML integer: float() would overflow
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}" if abs(x) >= 1_000 else str(int(x))
    return f"{x:g}"


def range_text(limit: Limit, unit: str) -> str:
    shown = {"share": "", "count": "", "persons": " residents"}.get(unit, f" {unit}")
    text = f"{num_text(limit.lo)}-{num_text(limit.hi)}{shown}"
    if unit == "share":
        text += " (a share between 0 and 1; 1.0 = 100 %)"
    return text

