"""Beichen's service standards, read from editable TOML and checked.

The defaults ship as ``beichen_geo/standards.toml``: the living circles, park, TOD and clinic
rules of 北辰政办发〔2021〕14号. Each number carries its unit and its source line. A planner
changes single values with a small TOML file of their own, merged key by key over the
defaults::

    [travel]
    walk_speed_kmh = 4.5

    [circles.5-15-30.tiers.town]
    mode = "bike"

Every number in the file is a table ``{value, unit, source, note?}``. An override may give a
bare number: the unit is kept and the source becomes ``"override in <file>"``. Tables merge
key by key. Lists (``kinds = [...]``) and other values are replaced whole. A tier is dropped
with ``enabled = false``.

Every number must lie in its sane range, listed for every key in one table, :data:`LIMITS`
(walk speed 0.5-30 km/h, minutes more than 0 and at most 180, shares 0-1, counts whole...).

A mistake raises :class:`~geo._errors.InputError`. The message names the file, the key path
(e.g. ``circles.5-15-30.tiers.community.minutes``) and what is wrong, e.g.
``bad.toml: travel.walk_speed_kmh = 1e+308 is outside 0.5-30 km/h: give a value in that range``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import decimal
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NoReturn, Union

from geo._errors import InputError

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

#: How the packaged default file is named in messages and sources.
DEFAULT_LABEL: Final = "beichen_geo/standards.toml"

#: Units a number may carry. Shares are fractions 0-1, not percent.
UNITS: Final = frozenset({"min", "m", "km/h", "m2", "m2/person", "share", "persons", "count", "levels"})



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

MODES: Final = ("walk", "bike", "drive")
_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VARIANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

TagValues = Union[bool, tuple[str, ...]]
Path_ = tuple[Union[str, int], ...]


# --------------------------------------------------------------------------------------------
# Data classes (the validated, resolved standards)


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A number with its unit, where it comes from, and an optional note."""

    value: float
    unit: str
    source: str
    note: str | None = None

    def __float__(self) -> float:
        return float(self.value)


@dataclasses.dataclass(frozen=True)
class Meta:
    document: str
    date: str
    version: str
    document_en: str | None = None
    plans: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Travel:
    """Speeds and distance settings shared by every analysis."""

    walk_speed_kmh: Quantity
    bike_speed_kmh: Quantity
    max_snap_m: Quantity
    isochrone_buffer_m: Quantity

    def speed_kmh(self, mode: str = "walk") -> float:
        """Speed in km/h for ``walk`` or ``bike``. Drive speeds come from the network."""
        if mode == "walk":
            return float(self.walk_speed_kmh.value)
        if mode == "bike":
            return float(self.bike_speed_kmh.value)
        raise InputError(f"no fixed speed for mode {mode!r}: the standards give walk and bike speeds only")

    def distance_m(self, minutes: float | Quantity, mode: str = "walk") -> float:
        """Distance in metres covered in ``minutes`` at the mode's speed (15 min at 4 km/h = 1,000 m)."""
        t = float(minutes.value) if isinstance(minutes, Quantity) else float(minutes)
        return t * self.speed_kmh(mode) * 1000.0 / 60.0


@dataclasses.dataclass(frozen=True)
class Kind:
    """A facility kind: an OSM tag filter (``input="osm"``) or points from a planner's file."""

    name: str
    label_zh: str
    label_en: str
    input: str
    tags: Mapping[str, TagValues]
    note: str | None = None
    exclude: Mapping[str, TagValues] = dataclasses.field(default_factory=dict)

    def tag_filter(self) -> dict[str, Any]:
        """The filter in osmnx style (``{"amenity": ["clinic"], "healthcare": True}``); empty for file kinds.

        Tags the kind excludes (``exclude`` in the TOML) come under the key ``"exclude"``
        (see :mod:`geo.features`).
        """
        out: dict[str, Any] = {k: (True if v is True else list(v)) for k, v in self.tags.items()}
        if self.exclude:
            out["exclude"] = {k: (True if v is True else list(v)) for k, v in self.exclude.items()}
        return out


@dataclasses.dataclass(frozen=True)
class Tier:
    """One tier of a living circle: every kind listed must be reachable within ``minutes``."""

    name: str
    label_zh: str
    label_en: str
    minutes: Quantity
    mode: str
    kinds: tuple[str, ...]
    target_share: Quantity
    kinds_source: str | None = None
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class CircleVariant:
    """One formulation of the living circles (e.g. "5-15-30"), its tiers sorted by minutes."""

    name: str
    label_zh: str
    label_en: str
    standards: tuple[str, ...]
    source: str
    plan_text: str
    mode: str
    target_share: Quantity
    tiers: tuple[Tier, ...]
    note: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind any tier requires, in tier order, without repeats."""
        return tuple(dict.fromkeys(k for t in self.tiers for k in t.kinds))

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise InputError(f"circle variant {self.name!r} has no tier {name!r}; tiers: {', '.join(t.name for t in self.tiers)}")


@dataclasses.dataclass(frozen=True)
class Circles:
    default_variant: str
    variants: Mapping[str, CircleVariant]


@dataclasses.dataclass(frozen=True)
class ParkSizeTier:
    name: str
    min_area_m2: Quantity
    radius_m: Quantity


@dataclasses.dataclass(frozen=True)
class Parks:
    """S-PG-01: park green space within ``radius_m`` of all residential land."""

    standard: str
    source: str
    plan_text: str
    kind: str
    denominator: str
    distance_methods: tuple[str, ...]
    primary_method: str
    size_rule: str
    radius_m: Quantity
    target_share: Quantity
    min_area_m2: Quantity
    size_tiers: tuple[ParkSizeTier, ...] = ()

    def radius_for_area(self, area_m2: float) -> float | None:
        """Service radius (m) of a park of ``area_m2``, or None if it is too small to count."""
        if self.size_rule == "garden_city":
            for t in self.size_tiers:  # sorted largest threshold first
                if area_m2 >= float(t.min_area_m2.value):
                    return float(t.radius_m.value)
            return None
        return float(self.radius_m.value) if area_m2 >= float(self.min_area_m2.value) else None


@dataclasses.dataclass(frozen=True)
class TodVariant:
    """A TOD walking band around stations: ``inner_minutes`` to ``outer_minutes``."""

    name: str
    label_zh: str
    label_en: str
    standard: str
    source: str
    plan_text: str
    inner_minutes: Quantity
    outer_minutes: Quantity
    note: str | None = None

    @property
    def minutes(self) -> tuple[float, float]:
        return float(self.inner_minutes.value), float(self.outer_minutes.value)


@dataclasses.dataclass(frozen=True)
class Tod:
    default_variant: str
    station_kind: str
    mode: str
    stations_named: tuple[str, ...]
    metrics: tuple[str, ...]
    variants: Mapping[str, TodVariant]


@dataclasses.dataclass(frozen=True)
class Clinics:
    """S-H-01: one CHSC per 镇街 or per 30,000-100,000 residents."""

    standard: str
    source: str
    plan_text: str
    kind: str
    mode: str
    min_per_town: Quantity
    residents_per_centre_min: Quantity
    residents_per_centre_max: Quantity
    walk_minutes: Quantity
    reach_target_share: Quantity
    existing_centres: Quantity | None = None
    towns: Quantity | None = None


@dataclasses.dataclass(frozen=True)
class Population:
    """Defaults of the population ESTIMATE from the floor area of buildings on residential land.

    ``non_residential_buildings``: ``building`` values that house nobody (every other value,
    ``yes`` included, counts); ``default_levels`` must hold ``yes``, the levels assumed for
    any value it does not list.
    """

    method: str
    non_residential_buildings: tuple[str, ...]
    non_residential_buildings_source: str
    rescale_to_total: bool
    floor_area_per_person_m2: Quantity
    storey_height_m: Quantity
    max_levels: Quantity
    min_footprint_m2: Quantity
    district_residents: Quantity
    default_levels: Mapping[str, Quantity]
    district_residents_2025: Quantity | None = None


@dataclasses.dataclass(frozen=True)
class Standards:
    """All standards, validated. Build with :func:`load_standards`."""

    meta: Meta
    travel: Travel
    kinds: Mapping[str, Kind]
    circles: Circles
    parks: Parks
    tod: Tod
    clinics: Clinics
    population: Population
    files: tuple[str, ...] = ()

    def kind_filters(self, names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """OSM tag filters by kind name, in osmnx style, for kinds read from OSM.

        ``names`` restricts the result; file-only kinds (``input = "file"``) are skipped.
        """
        if names is None:
            wanted = list(self.kinds)
        else:
            wanted = list(dict.fromkeys(names))
            unknown = [n for n in wanted if n not in self.kinds]
            if unknown:
                raise InputError(f"unknown kind(s) {', '.join(map(repr, unknown))}; known kinds: {', '.join(self.kinds)}")
        return {n: self.kinds[n].tag_filter() for n in wanted if self.kinds[n].input == "osm"}

    def circle_variant(self, name: str | None = None) -> CircleVariant:
        """A living-circle variant by name; the default variant when ``name`` is None."""
        key = self.circles.default_variant if name is None else name
        try:
            return self.circles.variants[key]
        except KeyError:
            raise InputError(
                f"unknown living-circle variant {key!r}; variants: {', '.join(self.circles.variants)}"
            ) from None

    def tod_variant(self, name: str | None = None) -> TodVariant:
        """A TOD band variant by name; the default variant when ``name`` is None."""
        key = self.tod.default_variant if name is None else name
        try:
            return self.tod.variants[key]
        except KeyError:
            raise InputError(f"unknown TOD variant {key!r}; variants: {', '.join(self.tod.variants)}") from None

    def to_dict(self) -> dict[str, Any]:
        """The resolved standards as plain JSON-ready data (tiers as lists, quantities as dicts)."""
        return _plain(self)


def _plain(obj: Any) -> Any:
    if isinstance(obj, Quantity):
        d = {"value": obj.value, "unit": obj.unit, "source": obj.source}
        if obj.note:
            d["note"] = obj.note
        return d
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


# --------------------------------------------------------------------------------------------
# Loading and merging


def load_standards(path: str | Path | None = None) -> Standards:
    """Read the packaged standards and, if ``path`` is given, a planner's overrides merged over them.

    Parameters
    ----------
    path
        A TOML file holding only the values to change (any subset of the packaged file's keys).

    Raises
    ------
    InputError
        The file is missing or is not valid TOML (the message gives the line), or a value is
        wrong: unknown key, unknown kind referenced, a number outside its range in
        :data:`LIMITS` (minutes not in 0-180, a share outside 0-1, a fractional count...), an
        unknown unit... The message names the file and the key path.
    """
    base = _parse(resources.files("beichen_geo").joinpath("standards.toml").read_bytes(), DEFAULT_LABEL)
    ctx = _Ctx(DEFAULT_LABEL)
    files = [DEFAULT_LABEL]
    if path is not None:
        p = Path(path)
        label = str(path)
        if not p.is_file():
            raise InputError(f"{label}: standards file not found" if not p.exists() else f"{label}: not a file")
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{label}: cannot read the standards file ({exc.strerror or exc})") from exc
        over = _parse(data, label)
        ctx = _Ctx(DEFAULT_LABEL, label)
        _merge(base, over, (), ctx)
        files.append(label)
    return _build(base, ctx, tuple(files))


def _parse(data: bytes, label: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (byte {exc.start}); save the standards file as UTF-8") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{label}: invalid TOML: {exc}") from exc


def _is_quantity(obj: Any) -> bool:
    return isinstance(obj, dict) and "value" in obj and "unit" in obj


def _merge(base: dict[str, Any], over: Mapping[str, Any], path: Path_, ctx: _Ctx) -> None:
    """Merge ``over`` into ``base`` in place, recording which key paths the override supplied."""
    for key, val in over.items():
        p = (*path, key)
        old = base.get(key)
        if isinstance(old, dict) and isinstance(val, dict):
            if _is_quantity(old) and "value" in val:
                # a new value without a source must not keep the default's citation and note
                merged = {**old, **val}
                if "source" not in val:
                    merged["source"] = ctx.override_source
                    if "note" not in val:
                        merged.pop("note", None)
                base[key] = merged
                ctx.overridden.add(p)
            else:
                _merge(old, val, p, ctx)
        else:
            base[key] = copy.deepcopy(val)
            ctx.overridden.add(p)


# --------------------------------------------------------------------------------------------
# Validation helpers


def _fmt(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


class _Ctx:
    def __init__(self, default_label: str, override_label: str | None = None) -> None:
        self.default_label = default_label
        self.override_label = override_label
        self.overridden: set[Path_] = set()

    @property
    def override_source(self) -> str:
        return f"override in {self.override_label}"

    def from_override(self, path: Path_) -> bool:
        keys = tuple(p for p in path if not isinstance(p, int))
        n = len(keys)
        return any(o[: min(n, len(o))] == keys[: min(n, len(o))] for o in self.overridden)

    def file_for(self, path: Path_) -> str:
        if self.override_label is not None and self.from_override(path):
            return self.override_label
        return self.default_label

    def fail(self, path: Path_, msg: str) -> NoReturn:
        raise InputError(f"{self.file_for(path)}: {_fmt(path)}: {msg}")


def _table(ctx: _Ctx, path: Path_, obj: Any, *, required: Iterable[str] = (), optional: Iterable[str] = (),
           extra: bool = False) -> dict[str, Any]:
    if not isinstance(obj, dict):
        ctx.fail(path, f"must be a table, got {_show(obj)}")
    req, opt = list(required), list(optional)
    if not extra:
        allowed = set(req) | set(opt)
        for k in obj:
            if k not in allowed:
                ctx.fail((*path, k), f"unknown key; expected one of: {', '.join(sorted(allowed))}")
    for k in req:
        if k not in obj:
            ctx.fail((*path, k), "missing")
    return obj


def _show(v: Any) -> str:
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "a list"
    return f"{type(v).__name__} {v!r}"


def _str(ctx: _Ctx, path: Path_, v: Any, *, default: str | None = None, optional: bool = False) -> Any:
    if v is None:
        if default is not None or optional:
            return default
        ctx.fail(path, "missing")
    if isinstance(v, _dt.date):  # a bare TOML date
        return v.isoformat()
    if not isinstance(v, str) or not v.strip():
        ctx.fail(path, f"must be a non-empty string, got {_show(v)}")
    return v


def _choice(ctx: _Ctx, path: Path_, v: Any, options: Iterable[str], *, default: str | None = None) -> str:
    opts = list(options)
    s = _str(ctx, path, v, default=default)
    if s not in opts:
        ctx.fail(path, f"must be one of {', '.join(map(repr, opts))}, got {s!r}")
    return s


def _bool(ctx: _Ctx, path: Path_, v: Any, *, default: bool) -> bool:
    if v is None:
        return default
    if not isinstance(v, bool):
        ctx.fail(path, f"must be true or false, got {_show(v)}")
    return v


def _str_list(ctx: _Ctx, path: Path_, v: Any, *, default: tuple[str, ...] | None = None,
              nonempty: bool = False) -> tuple[str, ...]:
    if v is None:
        if default is not None:
            return default
        ctx.fail(path, "missing")
    if not isinstance(v, list):
        ctx.fail(path, f"must be a list of strings, got {_show(v)}")
    for i, x in enumerate(v):
        if not isinstance(x, str) or not x.strip():
            ctx.fail((*path, i), f"must be a non-empty string, got {_show(x)}")
    if nonempty and not v:
        ctx.fail(path, "must not be empty")
    return tuple(v)


def _kind_ref(ctx: _Ctx, path: Path_, v: Any, kinds: Mapping[str, Kind]) -> str:
    s = _str(ctx, path, v)
    if s not in kinds:
        ctx.fail(path, f"unknown kind {s!r}; known kinds: {', '.join(kinds)}")
    return s


def _limit(path: Path_) -> Limit:
    """The entry of :data:`LIMITS` for a quantity's key path."""
    keys = tuple(str(k) for k in path)
    for pattern, limit in LIMITS.items():
        parts = pattern.split(".")
        if len(parts) == len(keys) and all(a in ("*", b) for a, b in zip(parts, keys, strict=True)):
            return limit
    raise AssertionError(f"no entry in standards.LIMITS for {_fmt(path)}")  # a programming error


def _num(x: float) -> str:
    """``30``, ``0.5``, ``1e+308``, ``1,000,000``: as a planner would write it."""
    if isinstance(x, int) and abs(x) >= 10**15:
        return format(decimal.Decimal(x), ".6g")  # a huge TOML integer: float() would overflow
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}" if abs(x) >= 1_000 else str(int(x))
    return f"{x:g}"


def _range_text(limit: Limit, unit: str) -> str:
    shown = {"share": "", "count": "", "persons": " residents"}.get(unit, f" {unit}")
    text = f"{_num(limit.lo)}-{_num(limit.hi)}{shown}"
    if unit == "share":
        text += " (a share between 0 and 1; 1.0 = 100 %)"
    return text


def _check_limit(ctx: _Ctx, path: Path_, val: float, unit: str) -> None:
    limit = _limit(path)
    where = f"{ctx.file_for(path)}: {_fmt(path)} = {_num(val)}"
    if not limit.lo <= val <= limit.hi or (limit.lo_open and val == limit.lo):
        extra = f" (it must be greater than {_num(limit.lo)})" if limit.lo_open and val <= limit.lo else ""
        raise InputError(f"{where} is outside {_range_text(limit, unit)}{extra}: give a value in that range")
    if limit.whole and not float(val).is_integer():
        raise InputError(f"{where} must be a whole number ({_range_text(limit, unit)})")


def _quantity(ctx: _Ctx, path: Path_, v: Any, unit: str, *, optional: bool = False) -> Quantity | None:
    if v is None:
        if optional:
            return None
        ctx.fail(path, "missing")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        source = ctx.override_source if ctx.override_label and ctx.from_override(path) else ctx.file_for(path)
        v = {"value": v, "unit": unit, "source": source}
    t = _table(ctx, path, v, required=("value",), optional=("unit", "source", "note"))
    val = t["value"]
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        ctx.fail((*path, "value"), f"must be a number, got {_show(val)}")
    if isinstance(val, float) and not math.isfinite(val):
        ctx.fail((*path, "value"), f"must be a finite number, got {val!r}")
    u = t.get("unit", unit)
    if not isinstance(u, str) or u not in UNITS:
        ctx.fail((*path, "unit"), f"unknown unit {u!r}; known units: {', '.join(sorted(UNITS))}")
    if u != unit:
        ctx.fail((*path, "unit"), f"must be {unit!r} for this entry, got {u!r}")
    _check_limit(ctx, path, val, unit)
    source = _str(ctx, (*path, "source"), t.get("source"), default=ctx.file_for(path))
    note = _str(ctx, (*path, "note"), t.get("note"), optional=True)
    return Quantity(value=val, unit=u, source=source, note=note)


def _order_error(ctx: _Ctx, lo_path: Path_, lo: Quantity, hi_path: Path_, hi: Quantity) -> NoReturn:
    """``lo`` > ``hi``: point at whichever of the two the planner's file set (the upper one if both)."""
    if ctx.override_label and ctx.from_override(lo_path) and not ctx.from_override(hi_path):
        ctx.fail(lo_path, f"must not be greater than {hi_path[-1]} ({hi.value}), got {lo.value}")
    ctx.fail(hi_path, f"must not be less than {lo_path[-1]} ({lo.value}), got {hi.value}")


# --------------------------------------------------------------------------------------------
# Sections


def _build(d: dict[str, Any], ctx: _Ctx, files: tuple[str, ...]) -> Standards:
    _table(ctx, (), d, required=("meta", "travel", "kinds", "circles", "parks", "tod", "clinics", "population"))
    kinds = _kinds(ctx, d["kinds"])
    return Standards(
        meta=_meta(ctx, d["meta"]),
        travel=_travel(ctx, d["travel"]),
        kinds=kinds,
        circles=_circles(ctx, d["circles"], kinds),
        parks=_parks(ctx, d["parks"], kinds),
        tod=_tod(ctx, d["tod"], kinds),
        clinics=_clinics(ctx, d["clinics"], kinds),
        population=_population(ctx, d["population"]),
        files=files,
    )


def _meta(ctx: _Ctx, d: Any) -> Meta:
    p: Path_ = ("meta",)
    t = _table(ctx, p, d, required=("document", "date", "version"), optional=("document_en", "plans", "notes"))
    return Meta(
        document=_str(ctx, (*p, "document"), t["document"]),
        date=_str(ctx, (*p, "date"), t["date"]),
        version=_str(ctx, (*p, "version"), t["version"]),
        document_en=_str(ctx, (*p, "document_en"), t.get("document_en"), optional=True),
        plans=_str_list(ctx, (*p, "plans"), t.get("plans"), default=()),
        notes=_str_list(ctx, (*p, "notes"), t.get("notes"), default=()),
    )


def _travel(ctx: _Ctx, d: Any) -> Travel:
    p: Path_ = ("travel",)
    t = _table(ctx, p, d, required=("walk_speed_kmh", "bike_speed_kmh", "max_snap_m", "isochrone_buffer_m"))
    return Travel(
        walk_speed_kmh=_quantity(ctx, (*p, "walk_speed_kmh"), t["walk_speed_kmh"], "km/h"),
        bike_speed_kmh=_quantity(ctx, (*p, "bike_speed_kmh"), t["bike_speed_kmh"], "km/h"),
        max_snap_m=_quantity(ctx, (*p, "max_snap_m"), t["max_snap_m"], "m"),
        isochrone_buffer_m=_quantity(ctx, (*p, "isochrone_buffer_m"), t["isochrone_buffer_m"], "m"),
    )


def _kinds(ctx: _Ctx, d: Any) -> Mapping[str, Kind]:
    p: Path_ = ("kinds",)
    _table(ctx, p, d, extra=True)
    if not d:
        ctx.fail(p, "no facility kinds defined")
    out: dict[str, Kind] = {}
    for name, k in d.items():
        kp = (*p, name)
        if not _KIND_NAME.match(name):
            ctx.fail(kp, "kind names must be snake_case (lower-case letters, digits, _), starting with a letter")
        t = _table(ctx, kp, k, optional=("label_zh", "label_en", "input", "tags", "exclude", "note"))
        source = _choice(ctx, (*kp, "input"), t.get("input"), ("osm", "file"), default="osm")
        tags: dict[str, TagValues] = {}
        exclude: dict[str, TagValues] = {}
        if source == "osm":
            raw = t.get("tags")
            if raw is None:
                ctx.fail((*kp, "tags"), 'missing: an OSM kind needs tags, e.g. tags = { amenity = ["clinic"] }, or input = "file"')
            if not isinstance(raw, dict) or not raw:
                ctx.fail((*kp, "tags"), f'must be a non-empty table such as {{ amenity = ["clinic"] }}, got {_show(raw)}')
            tags = _tag_table(ctx, (*kp, "tags"), raw)
            if "exclude" in t:
                if not isinstance(t["exclude"], dict) or not t["exclude"]:
                    ctx.fail((*kp, "exclude"), f'must be a non-empty table such as {{ healthcare = ["alternative"] }}, got {_show(t["exclude"])}')
                exclude = _tag_table(ctx, (*kp, "exclude"), t["exclude"])
        elif "tags" in t or "exclude" in t:
            ctx.fail((*kp, "tags"), 'a kind with input = "file" takes its points from a file; remove tags or set input = "osm"')
        out[name] = Kind(
            name=name,
            label_zh=_str(ctx, (*kp, "label_zh"), t.get("label_zh"), default=name),
            label_en=_str(ctx, (*kp, "label_en"), t.get("label_en"), default=name),
            input=source,
            tags=MappingProxyType(tags),
            note=_str(ctx, (*kp, "note"), t.get("note"), optional=True),
            exclude=MappingProxyType(exclude),
        )
    return MappingProxyType(out)


def _tag_table(ctx: _Ctx, p: Path_, raw: dict[str, Any]) -> dict[str, TagValues]:
    """``key = true`` or ``key = [values]`` entries of a kind's ``tags``/``exclude`` table."""
    out: dict[str, TagValues] = {}
    for key, vals in raw.items():
        if vals is True:
            out[key] = True
        elif isinstance(vals, str) and vals.strip():
            out[key] = (vals,)
        elif isinstance(vals, list) and vals and all(isinstance(x, str) and x.strip() for x in vals):
            out[key] = tuple(vals)
        else:
            ctx.fail((*p, key), f"must be true (any value) or a non-empty list of tag values, got {_show(vals)}")
    return out


def _variants(ctx: _Ctx, p: Path_, d: dict[str, Any], settings: Iterable[str]) -> dict[str, Any]:
    """The sub-tables of a section that has settings plus named variants."""
    found = {}
    for name, v in d.items():
        if name in settings:
            continue
        if not isinstance(v, dict):
            ctx.fail((*p, name), f"unknown setting; settings are {', '.join(settings)}, and variants are tables")
        if not _VARIANT_NAME.match(name):
            ctx.fail((*p, name), "variant names may hold letters, digits, '-' and '_' only")
        found[name] = v
    if not found:
        ctx.fail(p, "no variant defined")
    return found


def _circles(ctx: _Ctx, d: Any, kinds: Mapping[str, Kind]) -> Circles:
    p: Path_ = ("circles",)
    _table(ctx, p, d, required=("default_variant",), extra=True)
    variants: dict[str, CircleVariant] = {}
    for name, v in _variants(ctx, p, d, ("default_variant",)).items():
        vp = (*p, name)
        t = _table(ctx, vp, v, required=("tiers",),
                   optional=("label_zh", "label_en", "standards", "source", "plan_text", "mode", "target_share", "note"))
        mode = _choice(ctx, (*vp, "mode"), t.get("mode"), MODES, default="walk")
        share = _quantity(ctx, (*vp, "target_share"), t.get("target_share", 1.0), "share")
        tp = (*vp, "tiers")
        _table(ctx, tp, t["tiers"], extra=True)
        tiers = []
        for tname, tier in t["tiers"].items():
            ip = (*tp, tname)
            tt = _table(ctx, ip, tier, required=("minutes", "kinds"),
                        optional=("label_zh", "label_en", "mode", "kinds_source", "target_share", "note", "enabled"))
            if not _bool(ctx, (*ip, "enabled"), tt.get("enabled"), default=True):
                continue
            klist = _str_list(ctx, (*ip, "kinds"), tt["kinds"], nonempty=True)
            for i, k in enumerate(klist):
                _kind_ref(ctx, (*ip, "kinds", i), k, kinds)
            tiers.append(Tier(
                name=tname,
                label_zh=_str(ctx, (*ip, "label_zh"), tt.get("label_zh"), default=tname),
                label_en=_str(ctx, (*ip, "label_en"), tt.get("label_en"), default=tname),
                minutes=_quantity(ctx, (*ip, "minutes"), tt["minutes"], "min"),
                mode=_choice(ctx, (*ip, "mode"), tt.get("mode"), MODES, default=mode),
                kinds=tuple(dict.fromkeys(klist)),
                target_share=_quantity(ctx, (*ip, "target_share"), tt["target_share"], "share")
                if "target_share" in tt else share,
                kinds_source=_str(ctx, (*ip, "kinds_source"), tt.get("kinds_source"), optional=True),
                note=_str(ctx, (*ip, "note"), tt.get("note"), optional=True),
            ))
        if not tiers:
            ctx.fail(tp, "no enabled tier")
        tiers.sort(key=lambda x: float(x.minutes.value))
        variants[name] = CircleVariant(
            name=name,
            label_zh=_str(ctx, (*vp, "label_zh"), t.get("label_zh"), default=name),
            label_en=_str(ctx, (*vp, "label_en"), t.get("label_en"), default=name),
            standards=_str_list(ctx, (*vp, "standards"), t.get("standards"), default=()),
            source=_str(ctx, (*vp, "source"), t.get("source"), default=ctx.file_for(vp)),
            plan_text=_str(ctx, (*vp, "plan_text"), t.get("plan_text"), default=""),
            mode=mode,
            target_share=share,
            tiers=tuple(tiers),
            note=_str(ctx, (*vp, "note"), t.get("note"), optional=True),
        )
    default = _str(ctx, (*p, "default_variant"), d["default_variant"])
    if default not in variants:
        ctx.fail((*p, "default_variant"), f"no variant {default!r}; variants: {', '.join(variants)}")
    return Circles(default_variant=default, variants=MappingProxyType(variants))


def _parks(ctx: _Ctx, d: Any, kinds: Mapping[str, Kind]) -> Parks:
    p: Path_ = ("parks",)
    t = _table(ctx, p, d, required=("kind", "radius_m", "target_share", "min_area_m2"),
               optional=("standard", "source", "plan_text", "denominator", "distance_methods", "primary_method",
                         "size_rule", "size_tiers"))
    methods = _str_list(ctx, (*p, "distance_methods"), t.get("distance_methods"), default=("euclidean", "network"),
                        nonempty=True)
    for i, m in enumerate(methods):
        _choice(ctx, (*p, "distance_methods", i), m, ("euclidean", "network"))
    primary = _choice(ctx, (*p, "primary_method"), t.get("primary_method"), methods, default=methods[0])
    rule = _choice(ctx, (*p, "size_rule"), t.get("size_rule"), ("none", "garden_city"), default="none")
    tiers = []
    sp = (*p, "size_tiers")
    for name, st in _table(ctx, sp, t.get("size_tiers", {}), extra=True).items():
        stt = _table(ctx, (*sp, name), st, required=("min_area_m2", "radius_m"))
        tiers.append(ParkSizeTier(
            name=name,
            min_area_m2=_quantity(ctx, (*sp, name, "min_area_m2"), stt["min_area_m2"], "m2"),
            radius_m=_quantity(ctx, (*sp, name, "radius_m"), stt["radius_m"], "m"),
        ))
    if rule == "garden_city" and not tiers:
        ctx.fail(sp, 'size_rule = "garden_city" needs at least one size tier {min_area_m2, radius_m}')
    tiers.sort(key=lambda x: -float(x.min_area_m2.value))
    return Parks(
        standard=_str(ctx, (*p, "standard"), t.get("standard"), default=""),
        source=_str(ctx, (*p, "source"), t.get("source"), default=ctx.file_for(p)),
        plan_text=_str(ctx, (*p, "plan_text"), t.get("plan_text"), default=""),
        kind=_kind_ref(ctx, (*p, "kind"), t["kind"], kinds),
        denominator=_choice(ctx, (*p, "denominator"), t.get("denominator"), ("residential_land_area", "residents"),
                            default="residential_land_area"),
        distance_methods=methods,
        primary_method=primary,
        size_rule=rule,
        radius_m=_quantity(ctx, (*p, "radius_m"), t["radius_m"], "m"),
        target_share=_quantity(ctx, (*p, "target_share"), t["target_share"], "share"),
        min_area_m2=_quantity(ctx, (*p, "min_area_m2"), t["min_area_m2"], "m2"),
        size_tiers=tuple(tiers),
    )


def _tod(ctx: _Ctx, d: Any, kinds: Mapping[str, Kind]) -> Tod:
    p: Path_ = ("tod",)
    settings = ("default_variant", "station_kind", "mode", "stations_named", "metrics")
    _table(ctx, p, d, required=("default_variant", "station_kind"), extra=True)
    variants: dict[str, TodVariant] = {}
    for name, v in _variants(ctx, p, d, settings).items():
        vp = (*p, name)
        t = _table(ctx, vp, v, required=("inner_minutes", "outer_minutes"),
                   optional=("label_zh", "label_en", "standard", "source", "plan_text", "note"))
        inner = _quantity(ctx, (*vp, "inner_minutes"), t["inner_minutes"], "min")
        outer = _quantity(ctx, (*vp, "outer_minutes"), t["outer_minutes"], "min")
        if float(outer.value) < float(inner.value):
            _order_error(ctx, (*vp, "inner_minutes"), inner, (*vp, "outer_minutes"), outer)
        variants[name] = TodVariant(
            name=name,
            label_zh=_str(ctx, (*vp, "label_zh"), t.get("label_zh"), default=name),
            label_en=_str(ctx, (*vp, "label_en"), t.get("label_en"), default=name),
            standard=_str(ctx, (*vp, "standard"), t.get("standard"), default=""),
            source=_str(ctx, (*vp, "source"), t.get("source"), default=ctx.file_for(vp)),
            plan_text=_str(ctx, (*vp, "plan_text"), t.get("plan_text"), default=""),
            inner_minutes=inner,
            outer_minutes=outer,
            note=_str(ctx, (*vp, "note"), t.get("note"), optional=True),
        )
    default = _str(ctx, (*p, "default_variant"), d["default_variant"])
    if default not in variants:
        ctx.fail((*p, "default_variant"), f"no variant {default!r}; variants: {', '.join(variants)}")
    return Tod(
        default_variant=default,
        station_kind=_kind_ref(ctx, (*p, "station_kind"), d["station_kind"], kinds),
        mode=_choice(ctx, (*p, "mode"), d.get("mode"), MODES, default="walk"),
        stations_named=_str_list(ctx, (*p, "stations_named"), d.get("stations_named"), default=()),
        metrics=_str_list(ctx, (*p, "metrics"), d.get("metrics"), default=()),
        variants=MappingProxyType(variants),
    )


def _clinics(ctx: _Ctx, d: Any, kinds: Mapping[str, Kind]) -> Clinics:
    p: Path_ = ("clinics",)
    t = _table(ctx, p, d,
               required=("kind", "min_per_town", "residents_per_centre_min", "residents_per_centre_max", "walk_minutes",
                         "reach_target_share"),
               optional=("standard", "source", "plan_text", "mode", "existing_centres", "towns"))
    lo = _quantity(ctx, (*p, "residents_per_centre_min"), t["residents_per_centre_min"], "persons")
    hi = _quantity(ctx, (*p, "residents_per_centre_max"), t["residents_per_centre_max"], "persons")
    if float(hi.value) < float(lo.value):
        _order_error(ctx, (*p, "residents_per_centre_min"), lo, (*p, "residents_per_centre_max"), hi)
    return Clinics(
        standard=_str(ctx, (*p, "standard"), t.get("standard"), default=""),
        source=_str(ctx, (*p, "source"), t.get("source"), default=ctx.file_for(p)),
        plan_text=_str(ctx, (*p, "plan_text"), t.get("plan_text"), default=""),
        kind=_kind_ref(ctx, (*p, "kind"), t["kind"], kinds),
        mode=_choice(ctx, (*p, "mode"), t.get("mode"), MODES, default="walk"),
        min_per_town=_quantity(ctx, (*p, "min_per_town"), t["min_per_town"], "count"),
        residents_per_centre_min=lo,
        residents_per_centre_max=hi,
        walk_minutes=_quantity(ctx, (*p, "walk_minutes"), t["walk_minutes"], "min"),
        reach_target_share=_quantity(ctx, (*p, "reach_target_share"), t["reach_target_share"], "share"),
        existing_centres=_quantity(ctx, (*p, "existing_centres"), t.get("existing_centres"), "count",
                                   optional=True),
        towns=_quantity(ctx, (*p, "towns"), t.get("towns"), "count", optional=True),
    )


def _population(ctx: _Ctx, d: Any) -> Population:
    p: Path_ = ("population",)
    t = _table(ctx, p, d,
               required=("floor_area_per_person_m2", "storey_height_m", "max_levels", "min_footprint_m2",
                         "district_residents", "default_levels"),
               optional=("method", "non_residential_buildings", "non_residential_buildings_source",
                         "rescale_to_total", "district_residents_2025", "residential_buildings"))
    if "residential_buildings" in t:
        ctx.fail((*p, "residential_buildings"), "is superseded: every building on residential land now counts except "
                 "the values in non_residential_buildings; list the values that house nobody there instead")
    lp = (*p, "default_levels")
    levels = {
        name: _quantity(ctx, (*lp, name), q, "levels")
        for name, q in _table(ctx, lp, t["default_levels"], extra=True).items()
    }
    if "yes" not in levels:
        ctx.fail((*lp, "yes"), "missing: the levels assumed for building=yes and every value not listed")
    excluded = _str_list(ctx, (*p, "non_residential_buildings"), t.get("non_residential_buildings"), default=())
    both = sorted(set(excluded) & set(levels))
    if both:
        ctx.fail((*p, "non_residential_buildings"), f"lists {', '.join(both)}, which default_levels also lists "
                 "(a building value either houses people or not)")
    return Population(
        method=_choice(ctx, (*p, "method"), t.get("method"), ("building_floor_area",), default="building_floor_area"),
        non_residential_buildings=excluded,
        non_residential_buildings_source=_str(ctx, (*p, "non_residential_buildings_source"),
                                              t.get("non_residential_buildings_source"), default=""),
        rescale_to_total=_bool(ctx, (*p, "rescale_to_total"), t.get("rescale_to_total"), default=False),
        floor_area_per_person_m2=_quantity(ctx, (*p, "floor_area_per_person_m2"), t["floor_area_per_person_m2"],
                                           "m2/person"),
        storey_height_m=_quantity(ctx, (*p, "storey_height_m"), t["storey_height_m"], "m"),
        max_levels=_quantity(ctx, (*p, "max_levels"), t["max_levels"], "levels"),
        min_footprint_m2=_quantity(ctx, (*p, "min_footprint_m2"), t["min_footprint_m2"], "m2"),
        district_residents=_quantity(ctx, (*p, "district_residents"), t["district_residents"], "persons"),
        default_levels=MappingProxyType(levels),
        district_residents_2025=_quantity(ctx, (*p, "district_residents_2025"), t.get("district_residents_2025"),
                                          "persons", optional=True),
    )
