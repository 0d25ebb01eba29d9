"""Helpers shared by the readers of :mod:`geo.io`: how messages name files, rows and lists."""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pandas as pd

from ..errors import InputError

PathLike = str | os.PathLike[str]

#: At most this many items (rows, features) are listed in one message.
_MAX_LISTED: Final = 10


def _label(path: Path, part: str | None = None) -> str:
    """``'file.gpkg' (layer 'schools')`` - how messages name a file."""
    return f"'{path}'" + (f" ({part})" if part else "")


def _listing(items: Sequence[str]) -> str:
    shown = "; ".join(items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f"; ... and {more} more" if more > 0 else "")


def _existing(path: PathLike, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(
            f"{what} file not found: '{p}'. Check the spelling and the folder "
            f"(the current folder is '{Path.cwd()}')."
        )
    return p


def _norm(name: object) -> str:
    """Normalise a column name: full-width to ASCII, lower case, no spaces or bracketed suffix."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lstrip("\ufeff").lower()
    text = re.sub(r"[(\[{].*?[)\]}]", "", text)
    return re.sub(r"[\s_]+", "", text)


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _int_index(gdf: pd.DataFrame) -> bool:
    return pd.api.types.is_integer_dtype(gdf.index.dtype)
