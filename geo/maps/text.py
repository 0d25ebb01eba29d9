"""Words of the map chrome (zh/en) and the text shown for data values.

Every interface string the builder writes into a page (legend titles, default layer
names, buttons, basemap names) lives in :data:`UI_TEXT`; callers' own texts (titles,
layer names, labels) are passed in as plain text and shown as written.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = ["LANGS", "UI_TEXT", "fmt_minutes", "fmt_value", "ui_text"]

#: Interface languages.
LANGS: Final = ("en", "zh")

#: Interface strings of the map, per language. ``{m}`` is a number of minutes.
UI_TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "walking_time": "Walking time (min)",
        "bands": "Walking-time bands",
        "band_tooltip": "Within {m} min walk",
        "band_label": "≤ {m}",
        "band_each_source": "{band}: each one (outline)",
        "covered": "Covered",
        "not_covered": "Not covered",
        "no_data": "No data",
        "legend": "Legend",
        "facilities": "Facilities",
        "kind": "Type",
        "name": "Name",
        "no_basemap": "No basemap",
        "fullscreen": "Full screen",
        "exit_fullscreen": "Exit full screen",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "osm": "OpenStreetMap",
        "positron": "CARTO Positron",
        "gaode": "Gaode (AutoNavi)",
        "tianditu": "Tianditu",
    },
    "zh": {
        "walking_time": "步行时间（分钟）",
        "bands": "步行时间圈",
        "band_tooltip": "步行 {m} 分钟内",
        "band_label": "≤ {m}",
        "band_each_source": "{band}：各自范围（轮廓）",
        "covered": "已覆盖",
        "not_covered": "未覆盖",
        "no_data": "无数据",
        "legend": "图例",
        "facilities": "设施",
        "kind": "类型",
        "name": "名称",
        "no_basemap": "无底图",
        "fullscreen": "全屏",
        "exit_fullscreen": "退出全屏",
        "zoom_in": "放大",
        "zoom_out": "缩小",
        "osm": "OpenStreetMap",
        "positron": "CARTO 浅色底图",
        "gaode": "高德地图",
        "tianditu": "天地图",
    },
}

#: Interface strings the page's own code needs (button titles).
PAGE_UI_KEYS: Final = ("zoom_in", "zoom_out", "fullscreen", "exit_fullscreen")


def ui_text(lang: str, key: str) -> str:
    """Interface string ``key`` of :data:`UI_TEXT` in language ``lang``."""
    return UI_TEXT[lang][key]


def fmt_value(value: object) -> str:
    """Readable text for a data value (plain text; the page shows it as written)."""
    if value is None:
        return "–"
    try:
        if pd.isna(value):
            return "–"
    except (TypeError, ValueError):
        pass
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if np.isinf(v):
            return "∞" if v > 0 else "-∞"  # e.g. a walk to a place never reached
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"
    return str(value)


def fmt_minutes(value: float) -> str:
    """A number of minutes as text: ``5`` for 5.0, ``7.5`` for 7.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
