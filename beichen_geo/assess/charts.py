"""Bar charts of the assessment (matplotlib, no pyplot state): one standard's value per unit against its target.

Horizontal bars, the whole area first, green where the unit meets the standard, red where it
does not, grey where the standard sets no target; the target as a dashed line (shares) or a
tick per unit (counts: each unit's required centres). Chinese labels use the CJK font
:data:`CJK_FONT` (Debian's ``fonts-wqy-microhei``); without it a warning says the Chinese
text will not show.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Final

from . import tables
from .words import unit_word, word

CJK_FONT: Final = "WenQuanYi Micro Hei"
MAX_BARS: Final = 40  # more units: the ones with the lowest values are shown, and the caption says so
COLOURS: Final = {True: "#2e9d4f", False: "#d0423b", None: "#8c8c8c"}


def cjk_font_available() -> bool:
    """Whether matplotlib finds :data:`CJK_FONT`."""
    from matplotlib import font_manager

    try:
        font_manager.findfont(font_manager.FontProperties(family=CJK_FONT), fallback_to_default=False)
    except ValueError:
        return False
    return True


def _font_family(lang: str) -> list[str]:
    """Chinese first in zh; in en the CJK font stays as the fallback for Chinese unit names."""
    if not cjk_font_available():
        if lang == "zh":
            warnings.warn(f"the CJK font {CJK_FONT!r} is not installed (Debian: apt-get install fonts-wqy-microhei): "
                          "Chinese text in the charts will show as boxes", stacklevel=3)
        return ["DejaVu Sans"]
    return [CJK_FONT, "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", CJK_FONT]


def bars(doc: Mapping[str, Any], definition: Mapping[str, Any], *, lang: str) -> tuple[bytes, str] | None:
    """A PNG of one standard's value per place against its target, and its caption; None without any value.

    Parameters
    ----------
    doc
        The assessment document.
    definition
        One entry of ``doc["standards"]``.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    (bytes, str) or None
        The PNG (150 dpi) and a caption that says which units are shown.
    """
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no global figure state, the Agg canvas by savefig

    share = definition["unit"] == "share"
    items = []
    for p in tables.places(doc):
        r = tables.row_of(p, definition["standard_id"])
        if r.get("value") is not None:
            items.append((tables.place_name(doc, p, lang), float(r["value"]), r.get("target"), r.get("passes")))
    if not items:
        return None
    whole, units = items[:1], items[1:]
    caption = ""
    if len(units) > MAX_BARS:
        caption = word("chart_top", lang, k=MAX_BARS, n=len(units))
        units = sorted(units, key=lambda t: t[1])[:MAX_BARS]
    shown = whole + units
    fig = Figure(figsize=(7.0, 1.2 + 0.32 * len(shown)), dpi=150)
    with matplotlib.rc_context({"font.family": _font_family(lang), "axes.unicode_minus": False}):
        ax = fig.add_subplot()
        ys = list(range(len(shown)))[::-1]
        scale = 100.0 if share else 1.0
        vals = [v * scale for _, v, _, _ in shown]
        ax.barh(ys, vals, color=[COLOURS[ok] for *_, ok in shown], height=0.6)
        for y, (_, v, _, _) in zip(ys, shown, strict=True):  # the figure at each bar's end: a 0 still shows
            ax.annotate(f"{v:.1%}" if share else f"{v:g}", (v * scale, y), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=7.5, color="#333333")
        ax.set_yticks(ys, [_short_name(n) for n, *_ in shown])
        _targets(ax, shown, ys, share=share, lang=lang)
        ax.set_xlabel(f"{tables.short(definition, lang)} ({unit_word(definition['unit'], lang)})")
        if share:
            ax.set_xlim(0, 112)
        else:
            top = max([*vals, *(float(t) for *_, t, _ in shown if t is not None)])
            ax.set_xlim(0, max(1.0, top) * 1.15)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue(), caption


def _short_name(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _targets(ax: Any, shown: Sequence[tuple[str, float, Any, Any]], ys: Sequence[int], *, share: bool,
             lang: str) -> None:
    """The target: one dashed line for a share, a tick per unit for a count."""
    targets = [t for *_, t, _ in shown]
    if all(t is None for t in targets):
        return
    if share:
        t = next(float(t) for t in targets if t is not None)
        ax.axvline(t * 100.0, color="#333333", linestyle="--", linewidth=1.2,
                   label=f"{word('target', lang)} {t:.0%}")
    else:
        ax.scatter([float(t) for t in targets if t is not None], [y for y, t in zip(ys, targets, strict=True)
                                                                  if t is not None],
                   marker="|", s=300, color="#333333", linewidths=2, label=word("target", lang), zorder=3)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
