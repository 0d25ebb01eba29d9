"""One builder per section of the standards TOML.

Sections: [meta], [travel], [kinds], [circles], [parks], [tod], [clinics], [population].
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from beichen_geo.standards.fields import (
    Path_,
    _bool,
    _choice,
    _Ctx,
    _kind_ref,
    _order_error,
    _quantity,
    _show,
    _str,
    _str_list,
    _table,
)
from beichen_geo.standards.schema import (
    MODES,
    Circles,
    CircleVariant,
    Clinics,
    Kind,
    Meta,
    Parks,
    ParkSizeTier,
    Population,
    Standards,
    TagValues,
    Tier,
    Tod,
    TodVariant,
    Travel,
)

#: Optional texts of a standard for the maps of each language (default: source, plan_text).
_TEXTS = ("source_zh", "source_en", "plan_text_zh", "plan_text_en")


def _texts(ctx: _Ctx, p: Path_, t: Mapping[str, Any]) -> dict[str, str | None]:
    return {k: _str(ctx, (*p, k), t.get(k), optional=True) for k in _TEXTS}


_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VARIANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def build(d: dict[str, Any], ctx: _Ctx, files: tuple[str, ...]) -> Standards:
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
                ctx.fail((*kp, "tags"), 'missing: an OSM kind needs tags, e.g. tags = { amenity = ["clinic"] }, or '
                                        'input = "file"')
            if not isinstance(raw, dict) or not raw:
                ctx.fail((*kp, "tags"), f'must be a non-empty table such as {{ amenity = ["clinic"] }}, got '
                                        f'{_show(raw)}')
            tags = _tag_table(ctx, (*kp, "tags"), raw)
            if "exclude" in t:
                if not isinstance(t["exclude"], dict) or not t["exclude"]:
                    ctx.fail((*kp, "exclude"), f'must be a non-empty table such as {{ healthcare = ["alternative"] }}, '
                                               f'got {_show(t["exclude"])}')
                exclude = _tag_table(ctx, (*kp, "exclude"), t["exclude"])
        elif "tags" in t or "exclude" in t:
            ctx.fail((*kp, "tags"), 'a kind with input = "file" takes its points from a file; remove tags or set input '
                                    '= "osm"')
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
                   optional=("label_zh", "label_en", "standards", "source", "plan_text", *_TEXTS, "mode",
                             "target_share", "note"))
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
            **_texts(ctx, vp, t),
        )
    default = _str(ctx, (*p, "default_variant"), d["default_variant"])
    if default not in variants:
        ctx.fail((*p, "default_variant"), f"no variant {default!r}; variants: {', '.join(variants)}")
    return Circles(default_variant=default, variants=MappingProxyType(variants))


def _parks(ctx: _Ctx, d: Any, kinds: Mapping[str, Kind]) -> Parks:
    p: Path_ = ("parks",)
    t = _table(ctx, p, d, required=("kind", "radius_m", "target_share", "min_area_m2"),
               optional=("standard", "source", "plan_text", *_TEXTS, "primary_method",
                         "size_rule", "size_tiers"))
    # both methods are always measured and reported; the primary one decides `passes`
    primary = _choice(ctx, (*p, "primary_method"), t.get("primary_method"), ("euclidean", "network"),
                      default="euclidean")
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
        primary_method=primary,
        size_rule=rule,
        radius_m=_quantity(ctx, (*p, "radius_m"), t["radius_m"], "m"),
        target_share=_quantity(ctx, (*p, "target_share"), t["target_share"], "share"),
        min_area_m2=_quantity(ctx, (*p, "min_area_m2"), t["min_area_m2"], "m2"),
        size_tiers=tuple(tiers),
        **_texts(ctx, p, t),
    )


def _tod(ctx: _Ctx, d: Any, kinds: Mapping[str, Kind]) -> Tod:
    p: Path_ = ("tod",)
    settings = ("default_variant", "station_kind", "mode")
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
        variants=MappingProxyType(variants),
    )


def _clinics(ctx: _Ctx, d: Any, kinds: Mapping[str, Kind]) -> Clinics:
    p: Path_ = ("clinics",)
    t = _table(ctx, p, d,
               required=("kind", "min_per_town", "residents_per_centre_min", "residents_per_centre_max", "walk_minutes",
                         "reach_target_share"),
               optional=("standard", "source", "plan_text", *_TEXTS, "existing_centres", "towns"))
    lo = _quantity(ctx, (*p, "residents_per_centre_min"), t["residents_per_centre_min"], "persons")
    hi = _quantity(ctx, (*p, "residents_per_centre_max"), t["residents_per_centre_max"], "persons")
    if float(hi.value) < float(lo.value):
        _order_error(ctx, (*p, "residents_per_centre_min"), lo, (*p, "residents_per_centre_max"), hi)
    return Clinics(
        standard=_str(ctx, (*p, "standard"), t.get("standard"), default=""),
        source=_str(ctx, (*p, "source"), t.get("source"), default=ctx.file_for(p)),
        plan_text=_str(ctx, (*p, "plan_text"), t.get("plan_text"), default=""),
        kind=_kind_ref(ctx, (*p, "kind"), t["kind"], kinds),
        min_per_town=_quantity(ctx, (*p, "min_per_town"), t["min_per_town"], "count"),
        residents_per_centre_min=lo,
        residents_per_centre_max=hi,
        walk_minutes=_quantity(ctx, (*p, "walk_minutes"), t["walk_minutes"], "min"),
        reach_target_share=_quantity(ctx, (*p, "reach_target_share"), t["reach_target_share"], "share"),
        existing_centres=_quantity(ctx, (*p, "existing_centres"), t.get("existing_centres"), "count",
                                   optional=True),
        towns=_quantity(ctx, (*p, "towns"), t.get("towns"), "count", optional=True),
        **_texts(ctx, p, t),
    )


def _population(ctx: _Ctx, d: Any) -> Population:
    p: Path_ = ("population",)
    t = _table(ctx, p, d,
               required=("floor_area_per_person_m2", "storey_height_m", "max_levels", "min_footprint_m2",
                         "district_residents", "default_levels"),
               optional=("method", "residential_buildings", "non_residential_buildings",
                         "non_residential_buildings_source", "rescale_to_total", "district_residents_2025"))
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
        residential_buildings=_str_list(ctx, (*p, "residential_buildings"), t.get("residential_buildings"),
                                        default=tuple(k for k in levels if k != "yes"), nonempty=True),
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
