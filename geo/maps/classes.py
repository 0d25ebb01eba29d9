"""Classes of a value for choropleth layers: equal-width, given edges, or whole numbers.

A count (tiers met, centres in a unit) is classed by whole numbers: ``0, 1, 2, 3`` for a
count of 0-3, never ``0-1, 1-2, 2-3``. :class:`IntegerClasses` says so explicitly (and fixes
the range, so that the colour of "3" does not depend on which counts occur); ``"integer"``
takes the range from the data. Continuous values use equal-width classes or given edges.
Every class is ``[lower, upper)`` except the last, which includes its upper edge; values
beyond the edges fall into the end classes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["IntegerClasses", "Scheme", "class_edges", "classify"]


@dataclass(frozen=True)
class IntegerClasses:
    """One class per whole number from ``lo`` to ``hi`` (both included).

    Parameters
    ----------
    lo, hi
        The smallest and largest count classed (e.g. 0 and the number of tiers).
    labels
        Text of a class by its value (e.g. ``{3: "all 3 tiers"}``); default the number.
    max_classes
        Above this many whole numbers, consecutive numbers are grouped (``0–4``, ``5–9``...),
        each group still bounded by whole numbers.
    """

    lo: int
    hi: int
    labels: Mapping[int, str] = field(default_factory=dict)
    max_classes: int = 12

    def __post_init__(self) -> None:
        for v in (self.lo, self.hi, self.max_classes):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise InputError(f"integer classes need whole numbers, got {v!r}")
        if self.hi < self.lo:
            raise InputError(f"integer classes: hi ({self.hi}) is below lo ({self.lo})")
        if self.max_classes < 1:
            raise InputError(f"integer classes: max_classes must be >= 1, got {self.max_classes}")

    @property
    def step(self) -> int:
        """Whole numbers per class (1 unless the range exceeds ``max_classes``)."""
        return max(1, math.ceil((self.hi - self.lo + 1) / self.max_classes))


@dataclass(frozen=True)
class Scheme:
    """The classes of one layer: their labels and how values fall into them."""

    labels: list[str]
    edges: np.ndarray  # class k is [edges[k], edges[k + 1]); the last includes its upper edge
    integer: IntegerClasses | None = None
    fmt: Callable[[float], str] = str

    @property
    def n(self) -> int:
        return len(self.labels)

    def index(self, values: np.ndarray) -> np.ndarray:
        """Class of each value (0 .. n-1), -1 for a missing value."""
        v = np.asarray(values, dtype=float)
        out = np.full(v.shape, -1, dtype=np.int64)
        ok = np.isfinite(v)
        if self.integer is not None:
            k = (np.floor(v[ok] + 1e-9) - self.integer.lo) // self.integer.step
        else:
            k = np.searchsorted(self.edges[1:-1], v[ok], side="right")
        out[ok] = np.clip(k, 0, self.n - 1)
        return out

    def value_text(self, value: float) -> str:
        """A value as shown in tooltips (its class label for labelled integer classes)."""
        if self.integer is not None and int(round(value)) in self.integer.labels:
            return str(self.integer.labels[int(round(value))])
        return str(self.fmt(value))


def class_edges(values: np.ndarray, bins: int | Sequence[float], *, what: str) -> np.ndarray:
    """Class edges: ``bins`` equal-width classes over the finite ``values``, or ``bins`` itself.

    Raises
    ------
    InputError
        For fewer than one class, or edges that are not >= 2 increasing finite numbers.
    """
    finite = values[np.isfinite(values)]
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise InputError(f"{what}: bins must be >= 1, got {bins}")
        if finite.size == 0:
            return np.array([0.0, 1.0])
        if finite.min() == finite.max():
            return np.array([finite.min(), finite.max()])
        return np.linspace(finite.min(), finite.max(), int(bins) + 1)
    try:
        given: Any = bins  # a sequence of numbers, or something else (refused below)
        edges = np.asarray(list(given), dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: bins must be an int, a list of numbers, 'integer' or IntegerClasses") from exc
    if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise InputError(f"{what}: bin edges must be >= 2 increasing numbers, got {edges.tolist()}")
    return edges


def _integer_scheme(values: np.ndarray, ic: IntegerClasses, fmt: Callable[[float], str], *, what: str) -> Scheme:
    finite = values[np.isfinite(values)]
    frac = np.abs(finite - np.round(finite))
    if frac.size and frac.max() > 1e-9:
        bad = float(finite[int(np.argmax(frac))])
        raise InputError(f"{what}: integer classes need whole numbers, got {bad:g}")
    step = ic.step
    labels = []
    for lo in range(ic.lo, ic.hi + 1, step):
        hi = min(lo + step - 1, ic.hi)
        if lo == hi:
            labels.append(str(ic.labels.get(lo, fmt(lo))))
        else:
            labels.append(f"{fmt(lo)}–{fmt(hi)}")
    edges = np.arange(ic.lo, ic.hi + step + 1, step, dtype=float)[: len(labels) + 1]
    return Scheme(labels=labels, edges=edges, integer=ic, fmt=fmt)


def classify(values: np.ndarray, bins: int | Sequence[float] | str | IntegerClasses, *,
             fmt: Callable[[float], str], what: str) -> Scheme:
    """The classes of ``values`` for ``bins``.

    Parameters
    ----------
    values
        The layer's values (NaN = no data).
    bins
        A number of equal-width classes between the minimum and maximum value; increasing
        class edges; ``"integer"`` (one class per whole number between the smallest and the
        largest value); or :class:`IntegerClasses`.
    fmt
        Text of a value (class labels and tooltips).
    what
        The layer, for error messages.

    Raises
    ------
    InputError
        For bad bins, or integer classes of values that are not whole numbers.
    """
    if isinstance(bins, str):
        if bins != "integer":
            raise InputError(f"{what}: bins {bins!r} is not 'integer', a number of classes or a list of edges")
        finite = values[np.isfinite(values)]
        lo, hi = (int(np.floor(finite.min())), int(np.ceil(finite.max()))) if finite.size else (0, 0)
        bins = IntegerClasses(lo, hi)
    if isinstance(bins, IntegerClasses):
        return _integer_scheme(values, bins, fmt, what=what)
    edges = class_edges(values, bins, what=what)
    labels: list[str] = []
    for k in range(edges.size - 1):
        a, b = str(fmt(edges[k])), str(fmt(edges[k + 1]))
        labels.append(a if a == b else f"{a} – {b}")
    return Scheme(labels=labels, edges=edges, fmt=fmt)
