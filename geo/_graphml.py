"""GraphML of street networks in osmnx's format, written and read in one pass.

``osmnx.save_graphml`` / ``osmnx.load_graphml`` build a networkx graph edge by edge and let
networkx walk an XML tree element by element (tens of seconds for 400,000 edges). This module
writes the very same bytes from arrays, and reads the files osmnx writes with two regular
expression passes over the text, giving the values ``osmnx.load_graphml`` gives (strings
turned into numbers, booleans, lists and shapely geometries the same way).

The reader is strict: :func:`read_graphml_tables` returns None for any file that is not
plainly in the form networkx writes (other attribute types, defaults, comments, CDATA,
nested graphs, ports, compressed files, another encoding...) or whose values osmnx would
refuse; the caller then reads it with osmnx, so that every such file gives exactly what it
gave before, error messages included.
"""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import shapely
from shapely.errors import GEOSException

_NS: Final = "http://graphml.graphdrawing.org/xmlns"
_HEADER: Final = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    f'<graphml xmlns="{_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    f'xsi:schemaLocation="{_NS} {_NS}/1.0/graphml.xsd">\n'
)
#: Edge attributes in the order osmnx writes them for a StreetNetwork.
EDGE_ATTRS: Final = ("oneway", "reversed", "length", "highway", "name", "geometry")

# osmnx.io.load_graphml's conversions of attribute values (osmnx 2.x)
_NODE_DTYPES: Final[dict[str, Callable[[Any], Any]]] = {
    "elevation": float, "elevation_res": float, "osmid": int, "street_count": int, "x": float, "y": float,
}


def _bool_string(value: Any) -> bool:
    """osmnx's ``_convert_bool_string``: True/False, or the strings "True"/"False"."""
    if isinstance(value, bool):
        return value
    if value in {"True", "False"}:
        return bool(value == "True")
    raise ValueError(f"invalid literal for boolean: {value!r}")


_EDGE_DTYPES: Final[dict[str, Callable[[Any], Any]]] = {
    "bearing": float, "grade": float, "grade_abs": float, "length": float, "oneway": _bool_string,
    "osmid": int, "reversed": _bool_string, "speed_kph": float, "travel_time": float,
}
_GRAPH_DTYPES: Final[dict[str, Callable[[Any], Any]]] = {"consolidated": _bool_string, "simplified": _bool_string}


# =========================================================================== writing
def _escape(text: str) -> str:
    """Character data escaped as xml.etree writes it (``&``, ``<``, ``>`` only)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _data(key: str, text: str, indent: str) -> str:
    return f'{indent}<data key="{key}">{_escape(text)}</data>\n' if text else f'{indent}<data key="{key}" />\n'


def graphml_text(
    graph_attrs: Mapping[str, str],
    node_ids: Sequence[int],
    node_attrs: Mapping[str, Sequence[str]],
    edges: pd.DataFrame,
) -> str:
    """The GraphML text networkx (``osmnx.save_graphml``) writes for these string attributes.

    Parameters
    ----------
    graph_attrs
        Graph-level attributes, name -> text.
    node_ids
        Node ids in the graph's node order.
    node_attrs
        Node attribute name -> one text per node (every node has every attribute).
    edges
        Columns ``source``, ``target``, ``key`` and one text column per edge attribute (every
        edge has every attribute), rows in networkx's edge order.

    Returns
    -------
    str
        The whole file: pretty-printed like networkx's writer, keys numbered ``d0``... in the
        order networkx meets them (graph, node, then edge attributes), listed last first.
    """
    names = [(n, "graph") for n in graph_attrs]
    names += [(n, "node") for n in node_attrs] if len(node_ids) else []
    attrs = [c for c in edges.columns if c not in ("source", "target", "key")]
    names += [(n, "edge") for n in attrs] if len(edges) else []
    key_of = {name: f"d{i}" for i, name in enumerate(names)}
    parts = [_HEADER]
    parts += [
        f'  <key id="{key_of[(name, scope)]}" for="{scope}" attr.name="{name}" attr.type="string" />\n'
        for name, scope in reversed(names)
    ]
    parts.append('  <graph edgedefault="directed">\n')
    node_cols = [(key_of[(n, "node")], list(node_attrs[n])) for n in node_attrs] if len(node_ids) else []
    for i, node in enumerate(node_ids):
        parts.append(f'    <node id="{node}">\n')
        parts += [_data(key, col[i], "      ") for key, col in node_cols]
        parts.append("    </node>\n")
    edge_cols = [(key_of[(n, "edge")], edges[n].tolist()) for n in attrs]
    for i, (u, v, k) in enumerate(zip(edges["source"].tolist(), edges["target"].tolist(), edges["key"].tolist(),
                                      strict=True)):
        parts.append(f'    <edge source="{u}" target="{v}" id="{k}">\n')
        parts += [_data(key, col[i], "      ") for key, col in edge_cols]
        parts.append("    </edge>\n")
    parts += [_data(key_of[(n, "graph")], text, "    ") for n, text in graph_attrs.items()]
    parts.append("  </graph>\n</graphml>\n")
    return "".join(parts)


def networkx_edge_order(source: np.ndarray, target: np.ndarray, source_pos: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Order and keys networkx gives edges added one by one to a MultiDiGraph.

    Parameters
    ----------
    source, target
        Node ids of the edges in the order they are added.
    source_pos
        Position of each edge's source node in the graph's node order.

    Returns
    -------
    order, keys
        ``order``: positions of the edges in ``G.edges`` iteration order (by source node, then
        by first appearance of the (source, target) pair, then by addition); ``keys``: each
        edge's key (0, 1... among the edges of the same pair), indexed like the input.
    """
    pairs = pd.DataFrame({"s": source, "t": target})
    grouped = pairs.groupby(["s", "t"], sort=False)
    first = grouped.ngroup().to_numpy()  # numbered in order of first appearance
    keys = grouped.cumcount().to_numpy()
    order = np.lexsort((np.arange(len(source)), first, source_pos))
    return order, keys


# =========================================================================== reading
@dataclass
class GraphTables:
    """What ``osmnx.load_graphml`` would hold, as columns in its iteration order.

    Attributes
    ----------
    graph
        Graph-level attributes (converted as osmnx converts them).
    node_ids
        Node ids (int64) in node order.
    x, y
        Node coordinates (float64).
    source, target
        Edge end node ids (int64), in ``G.edges`` order.
    edge_attrs
        Attribute name -> one value per edge, None where the edge lacks it; values converted
        as osmnx converts them (``geometry`` to shapely geometries).
    """

    graph: dict[str, Any]
    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    source: np.ndarray
    target: np.ndarray
    edge_attrs: dict[str, list[Any]]


class _NotPlain(Exception):
    """The file is not in the plain form this reader handles: read it with osmnx instead."""


_DATA_RE: Final = r'<data key="[^"<>&]*"\s*(?:/>|>[^<]*</data>)'
_ELEMENTS: Final = re.compile(
    rf'<node id="(-?[0-9]+)"\s*>((?:\s*{_DATA_RE})*)\s*</node>'
    rf'|<edge source="(-?[0-9]+)" target="(-?[0-9]+)" id="(-?[0-9]+)"\s*>((?:\s*{_DATA_RE})*)\s*</edge>'
)
_GROUPS: Final = 6
_DATA: Final = re.compile(r'<data key="([^"<>&]*)"\s*(?:/>|>([^<]*)</data>)')
_ENTITY: Final = re.compile(r"&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);")
_NAMED: Final = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_GRAPH_OPEN: Final = re.compile(r"<graph(?:\s[^<>]*)?>")
_DECLARATION: Final = re.compile(r"<\?xml[^>]*?encoding=[\"']([^\"']+)[\"']")


def _unescape(text: str) -> str:
    """Character data with XML's predefined entities and character references resolved."""
    if "&" not in text:
        return text
    if text.count("&") != len(_ENTITY.findall(text)):
        raise _NotPlain("unknown entity")

    def one(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref in _NAMED:
            return _NAMED[ref]
        code = int("0" + ref[1:], 16) if ref[1] == "x" else int(ref[1:])
        if (not (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0x10FFFF)
                or code in (0xFFFE, 0xFFFF)):
            raise _NotPlain("character reference to a character XML forbids")
        return chr(code)

    return _ENTITY.sub(one, text)


def _keys(header: str) -> tuple[dict[str, str], str | None]:
    """Key id -> attribute name, and the graph's edgedefault, from the text before the nodes."""
    root = ET.fromstring((header + "</graph></graphml>").encode("utf-8"))
    if root.tag != f"{{{_NS}}}graphml":
        raise _NotPlain("root")
    names: dict[str, str] = {}
    for k in root.findall(f"{{{_NS}}}key"):
        name, kind = k.get("attr.name"), k.get("attr.type")
        if name is None or kind != "string" or k.get("yfiles.type") is not None or len(k):
            raise _NotPlain("key")
        names[str(k.get("id"))] = name
    graphs = root.findall(f"{{{_NS}}}graph")
    if len(graphs) != 1:
        raise _NotPlain("graph")
    return names, graphs[0].get("edgedefault")


def _columns(blocks: list[str], names: Mapping[str, str]) -> dict[str, list[str | None]]:
    """Attribute name -> one text per element (None where absent) from the elements' data.

    An empty data element gives "", as networkx reads it. When every element has the same
    data keys in the same order (as networkx writes them) the columns are cut from one list
    of all data values; otherwise each element is read on its own.
    """
    if not blocks:
        return {}
    joined = "".join(blocks)
    pairs = _DATA.findall(joined)
    all_keys = list(map(itemgetter(0), pairs))
    texts = list(map(itemgetter(1), pairs))
    unescape = _unescape if "&" in joined else str
    if not set(all_keys) <= names.keys():
        raise _NotPlain("unknown key")
    counts = set(map(str.count, blocks, repeat("<data")))
    width = len(pairs) // len(blocks)
    keys = all_keys[:width]
    if counts == {width} and len(set(keys)) == width and all_keys == keys * len(blocks):
        return {names[k]: list(map(unescape, texts[i::width])) for i, k in enumerate(keys)}
    records = []
    for block in blocks:
        records.append({names[k]: unescape(t) for k, t in _DATA.findall(block)})
    return {n: [r.get(n) for r in records] for n in sorted({n for r in records for n in r})}


_BRACKETED: Final = re.compile(r"(?:^|\n)[\[{]")


def _literal(text: Any) -> Any:
    """osmnx's first step: text that looks like a list, dict or set is evaluated."""
    if isinstance(text, str) and ((text[:1] == "[" and text[-1:] == "]") or (text[:1] == "{" and text[-1:] == "}")):
        try:
            return ast.literal_eval(text)
        except (SyntaxError, ValueError):
            return text
    return text


def _convert(values: list[Any], dtype: Callable[[Any], Any] | None, *, lists: bool) -> list[Any]:
    """``values`` (None = absent) converted as osmnx converts one attribute."""
    if None not in values and not _BRACKETED.search("\n".join(values)):
        # plain texts, none looking like a list: convert them in one call
        if dtype is None:
            return values
        if dtype is _bool_string:
            if not set(values) <= {"True", "False"}:
                raise _NotPlain("not a boolean")
            return [v == "True" for v in values]
        return list(map(dtype, values))
    out: list[Any] = []
    for raw in values:
        if raw is None:
            out.append(None)
            continue
        value = _literal(raw)
        if dtype is not None:
            value = [dtype(item) for item in value] if lists and isinstance(value, list) else dtype(value)
        out.append(value)
    return out


def _split(body: str) -> tuple[list[str], list[str], list[str], list[str], list[str], list[str], str]:
    """Node ids and data blocks, edge ends, ids and data blocks, and the text left between them."""
    pieces = _ELEMENTS.split(body)
    step = _GROUPS + 1
    gaps = "".join(pieces[0::step])
    groups = [pieces[i::step] for i in range(1, step)]
    is_node = [g is not None for g in groups[0]]
    node_ids = [g for g in groups[0] if g is not None]
    node_blocks = [b for b, n in zip(groups[1], is_node, strict=True) if n]
    sources = [g for g in groups[2] if g is not None]
    targets = [g for g in groups[3] if g is not None]
    edge_ids = [g for g in groups[4] if g is not None]
    edge_blocks = [b for b, n in zip(groups[5], is_node, strict=True) if not n]
    return node_ids, node_blocks, sources, targets, edge_ids, edge_blocks, gaps


def read_graphml_tables(path: Path) -> GraphTables | None:
    """Read a GraphML file as osmnx would, or None if it is not plainly in networkx's form.

    Parameters
    ----------
    path
        The file. Compressed files (``.gz``, ``.bz2``, which networkx opens by their
        extension) give None.

    Returns
    -------
    GraphTables or None
        The graph's columns; None when the file needs osmnx's own reader (including every
        file osmnx would refuse, so that its error is reported as before).
    """
    if path.suffix.lower() in (".gz", ".bz2"):
        return None
    try:
        return _read(path.read_bytes())
    except (_NotPlain, UnicodeDecodeError, ET.ParseError, ValueError, TypeError, SyntaxError,
            KeyError, AttributeError, OverflowError, GEOSException):
        return None  # osmnx reads it, or raises its own error


#: Bytes a plain file never holds: control characters, and CR (parsers rewrite CR LF as LF).
_CONTROL: Final = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0D, 0x20)])


def _read(raw: bytes) -> GraphTables:
    declared = _DECLARATION.match(raw[:200].decode("ascii", "replace"))
    if raw.startswith(b"\xef\xbb\xbf") or (declared and declared.group(1).lower() not in ("utf-8", "utf8")):
        raise _NotPlain("encoding")
    if len(raw.translate(None, _CONTROL)) != len(raw):
        raise _NotPlain("control characters")
    doc = raw.decode("utf-8")
    graph_open = _GRAPH_OPEN.search(doc)
    end = doc.rfind("</graph>")
    if graph_open is None or end < graph_open.end() or doc.count("<graph") - doc.count("<graphml") != 1:
        raise _NotPlain("graph")
    if not re.fullmatch(r"</graph>\s*</graphml>\s*", doc[end:]):
        raise _NotPlain("end")
    names, edgedefault = _keys(doc[: graph_open.end()])
    if edgedefault != "directed":
        raise _NotPlain("undirected")
    body = doc[graph_open.end() : end]
    if "]]>" in body:  # not allowed in XML text; other markup is left in the gaps, below
        raise _NotPlain("]]>")
    node_id_text, node_blocks, sources, targets, edge_ids, edge_blocks, gaps = _split(body)
    if _DATA.sub("", gaps).strip():
        raise _NotPlain("other elements")
    graph: dict[str, Any] = {n: v[0] for n, v in _columns([gaps], names).items()} if "<data" in gaps else {}
    graph.update({k: f(graph[k]) for k, f in _GRAPH_DTYPES.items() if k in graph})

    node_ids = np.array(list(map(int, node_id_text)), dtype=np.int64)
    index = pd.Index(node_ids)
    if not index.is_unique:
        raise _NotPlain("duplicate nodes")
    nodes = _columns(node_blocks, names)
    converted = {n: _convert(nodes[n], _NODE_DTYPES[n], lists=False) for n in nodes.keys() & _NODE_DTYPES.keys()}
    x = np.array(converted["x"], dtype=float)  # KeyError, TypeError (None): osmnx's reader fails
    y = np.array(converted["y"], dtype=float)

    source = np.array(list(map(int, sources)), dtype=np.int64)
    target = np.array(list(map(int, targets)), dtype=np.int64)
    source_pos = index.get_indexer(source)
    if (source_pos < 0).any() or (index.get_indexer(target) < 0).any():
        raise _NotPlain("edge to an undeclared node")
    keys = np.array(list(map(int, edge_ids)), dtype=np.int64)
    if pd.DataFrame({"s": source, "t": target, "k": keys}).duplicated().any():
        raise _NotPlain("duplicate edge keys")  # networkx would merge them
    order, _ = networkx_edge_order(source, target, source_pos)
    attrs: dict[str, list[Any]] = {}
    for name, values in _columns(edge_blocks, names).items():
        if name == "id":
            continue  # osmnx drops it
        values = _convert([values[i] for i in order], _EDGE_DTYPES.get(name), lists=True)
        if name == "geometry":
            values = list(shapely.from_wkt(np.array(values, dtype=object)))
        attrs[name] = values
    return GraphTables(graph, node_ids, x, y, source[order], target[order], attrs)
