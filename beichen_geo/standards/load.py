"""Reading the packaged standards and a planner's overrides, merged key by key, then built and checked."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from beichen_geo.standards.fields import Path_, _Ctx
from beichen_geo.standards.schema import DEFAULT_LABEL, Standards
from beichen_geo.standards.sections import build
from geo.errors import InputError


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
    return build(base, ctx, tuple(files))


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
                if "note_zh" not in val and ("note" in val or "note" not in merged):
                    merged.pop("note_zh", None)  # a Chinese note goes with the note it translates
                base[key] = merged
                ctx.overridden.add(p)
            else:
                _merge(old, val, p, ctx)
        else:
            base[key] = copy.deepcopy(val)
            ctx.overridden.add(p)
