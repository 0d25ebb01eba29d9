"""Checking one value of a standards file: tables, strings, choices, lists and quantities with their limits.

Every failure raises :class:`~geo.errors.InputError` naming the file that set the value and
its key path (e.g. ``circles.5-15-30.tiers.community.minutes``).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal, NoReturn, overload

from beichen_geo.standards.limits import limit_for, num_text, range_text
from beichen_geo.standards.schema import UNITS, Kind, Quantity
from geo.errors import InputError

Path_ = tuple[str | int, ...]


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


def _check_limit(ctx: _Ctx, path: Path_, val: float, unit: str) -> None:
    limit = limit_for(tuple(str(k) for k in path))
    where = f"{ctx.file_for(path)}: {_fmt(path)} = {num_text(val)}"
    if not limit.lo <= val <= limit.hi or (limit.lo_open and val == limit.lo):
        extra = f" (it must be greater than {num_text(limit.lo)})" if limit.lo_open and val <= limit.lo else ""
        raise InputError(f"{where} is outside {range_text(limit, unit)}{extra}: give a value in that range")
    if limit.whole and not float(val).is_integer():
        raise InputError(f"{where} must be a whole number ({range_text(limit, unit)})")


@overload
def _quantity(ctx: _Ctx, path: Path_, v: Any, unit: str, *, optional: Literal[False] = False) -> Quantity: ...
@overload
def _quantity(ctx: _Ctx, path: Path_, v: Any, unit: str, *, optional: bool) -> Quantity | None: ...
def _quantity(ctx: _Ctx, path: Path_, v: Any, unit: str, *, optional: bool = False) -> Quantity | None:
    if v is None:
        if optional:
            return None
        ctx.fail(path, "missing")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        source = ctx.override_source if ctx.override_label and ctx.from_override(path) else ctx.file_for(path)
        v = {"value": v, "unit": unit, "source": source}
    t = _table(ctx, path, v, required=("value",), optional=("unit", "source", "note", "note_zh"))
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
    note_zh = _str(ctx, (*path, "note_zh"), t.get("note_zh"), optional=True)
    return Quantity(value=val, unit=u, source=source, note=note, note_zh=note_zh)


def _order_error(ctx: _Ctx, lo_path: Path_, lo: Quantity, hi_path: Path_, hi: Quantity) -> NoReturn:
    """``lo`` > ``hi``: point at whichever of the two the planner's file set (the upper one if both)."""
    if ctx.override_label and ctx.from_override(lo_path) and not ctx.from_override(hi_path):
        ctx.fail(lo_path, f"must not be greater than {hi_path[-1]} ({hi.value}), got {lo.value}")
    ctx.fail(hi_path, f"must not be less than {lo_path[-1]} ({lo.value}), got {hi.value}")

