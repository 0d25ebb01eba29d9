"""Walking bands given by a user: one parser for the API and the command line."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, cast

from geo.errors import InputError


def parse_bands(text_or_list: str | float | Sequence[float | str] | Sequence[float]) -> tuple[float, ...]:
    """Walking bands in minutes, sorted, repeats dropped.

    Parameters
    ----------
    text_or_list
        Minutes separated by commas (``"5,10,15"``, as typed after ``--bands``), one number,
        or a sequence of numbers.

    Returns
    -------
    tuple of float
        The bands, minutes, ascending.

    Raises
    ------
    InputError
        A value that is not a number, none at all, or one that is not a positive finite minute.

    Examples
    --------
    >>> parse_bands("10, 5,10")
    (5.0, 10.0)
    """
    values: list[Any]
    if isinstance(text_or_list, str):
        values = [b for b in text_or_list.split(",") if b.strip()]
    elif isinstance(text_or_list, numbers.Real) and not isinstance(text_or_list, bool):
        values = [text_or_list]
    else:
        try:
            values = list(cast(Iterable[Any], text_or_list))
        except TypeError as exc:
            raise InputError(f"bands must be minutes (numbers), got {text_or_list!r}") from exc
    try:
        bands = sorted({float(b) for b in values})
    except (TypeError, ValueError) as exc:
        raise InputError(f"bands must be minutes (numbers), got {text_or_list!r}") from exc
    if not bands or any(not math.isfinite(b) or b <= 0 for b in bands):
        shown = text_or_list if isinstance(text_or_list, str) else values
        raise InputError(f"bands must be positive minutes, e.g. 5,10,15; got {shown!r}")
    return tuple(bands)
