"""The validated, resolved standards: frozen data classes built by :func:`~beichen_geo.standards.load_standards`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from geo.errors import InputError

#: How the packaged default file is named in messages and sources.
DEFAULT_LABEL: Final = "beichen_geo/standards.toml"

#: Units a number may carry. Shares are fractions 0-1, not percent.
UNITS: Final = frozenset({"min", "m", "km/h", "m2", "m2/person", "share", "persons", "count", "levels"})

MODES: Final = ("walk", "bike", "drive")

TagValues = Literal[True] | tuple[str, ...]  # any value, or these values


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A number with its unit, where it comes from, and an optional note (``note_zh``: the note in Chinese)."""

    value: float
    unit: str
    source: str
    note: str | None = None
    note_zh: str | None = None

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
        (see :mod:`geo.osm.features`).
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
    source_zh: str | None = None  # the source and the plan's words on zh / en maps (default: as above)
    source_en: str | None = None
    plan_text_zh: str | None = None
    plan_text_en: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind any tier requires, in tier order, without repeats."""
        return tuple(dict.fromkeys(k for t in self.tiers for k in t.kinds))

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise InputError(f"circle variant {self.name!r} has no tier {name!r}; tiers: "
                         f"{', '.join(t.name for t in self.tiers)}")


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
    primary_method: str
    size_rule: str
    radius_m: Quantity
    target_share: Quantity
    min_area_m2: Quantity
    source_zh: str | None = None  # the source and the plan's words on zh / en maps (default: as above)
    source_en: str | None = None
    plan_text_zh: str | None = None
    plan_text_en: str | None = None
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
    variants: Mapping[str, TodVariant]


@dataclasses.dataclass(frozen=True)
class Clinics:
    """S-H-01: one CHSC per 镇街 or per 30,000-100,000 residents."""

    standard: str
    source: str
    plan_text: str
    kind: str
    min_per_town: Quantity
    residents_per_centre_min: Quantity
    residents_per_centre_max: Quantity
    walk_minutes: Quantity
    reach_target_share: Quantity
    existing_centres: Quantity | None = None
    towns: Quantity | None = None
    source_zh: str | None = None  # the source and the plan's words on zh / en maps (default: as above)
    source_en: str | None = None
    plan_text_zh: str | None = None
    plan_text_en: str | None = None


@dataclasses.dataclass(frozen=True)
class Population:
    """Defaults of the population ESTIMATE from the floor area of buildings on residential land.

    ``non_residential_buildings``: ``building`` values that house nobody (every other value,
    ``yes`` included, counts); ``default_levels`` must hold ``yes``, the levels assumed for
    any value it does not list. ``residential_buildings``: values whose buildings form
    residential land themselves where no ``landuse=residential`` surrounds them.
    """

    method: str
    residential_buildings: tuple[str, ...]
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
                raise InputError(f"unknown kind(s) {', '.join(map(repr, unknown))}; known kinds: "
                                 f"{', '.join(self.kinds)}")
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
        if obj.note_zh:
            d["note_zh"] = obj.note_zh
        return d
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj
