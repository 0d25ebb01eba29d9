"""Raster kernel of fast isochrone polygons: a distance field on a grid, contoured.

The exact isochrone of :mod:`geo.isochrones` is the union of the reachable street pieces
buffered by ``R`` metres: the set of points whose distance to the nearest reachable piece
is at most ``R``. This module evaluates that distance on the vertices of a square grid
(cell ``h`` metres) and contours it at ``R`` with marching squares (contourpy), so the
boundary is interpolated between grid vertices instead of following cell edges:

1. every reachable piece is cut into straight segments and *burnt* into the grid: the
   vertex nearest to each sample (spacing ``h / 2``) is marked with its segment;
2. a Euclidean feature transform (:func:`scipy.ndimage.distance_transform_edt`) gives
   every vertex its nearest burnt vertex;
3. the distance from the vertex to *that vertex's segment* is computed exactly
   (point-to-segment), which removes the ~``h/2`` error of the burnt vertices;
4. filled contours ``distance <= R`` become polygons; interior rings smaller than the
   hole limit are dropped.

Nested bands share one grid lattice; each band's field is the minimum of its own and the
inner band's field, so band ``T1 < T2`` gives ``field_T2 <= field_T1`` everywhere and the
contour of the larger band encloses the smaller one by construction.

Accuracy: on a straight street the field is exact; where two segments compete (junctions,
parallel streets) the segment of the nearest burnt vertex can be the second nearest, which
overstates the distance by at most ``h``; linear interpolation between vertices misplaces
the boundary by O(h^2 / R) on round caps and by up to ~h/4 at concave corners. The area
difference against the exact vector construction is therefore bounded by about
``h / 4 x perimeter`` and is in practice a fraction of that (see ``BENCHMARKS.md``).
A hole whose mouth is narrower than a cell can close (and then be filled when small).
"""

from __future__ import annotations

import dataclasses
import weakref

import contourpy
import numpy as np
import shapely
from scipy import ndimage

#: Largest tile (vertices per side) of one feature transform; bounds its memory (~100 MB).
TILE = 2048
_FAR = 1e9


@dataclasses.dataclass(frozen=True)
class Segments:
    """The straight segments of every edge, in the network CRS (metres).

    Attributes
    ----------
    x0, y0, x1, y1
        Segment end points, metres.
    c0, c1
        Position of the segment's ends along its edge, metres from ``u`` (in the units of
        the edge's ``length_m``).
    ptr
        Segments of edge ``e`` are ``ptr[e]:ptr[e + 1]``.
    """

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    c0: np.ndarray
    c1: np.ndarray
    ptr: np.ndarray

    @property
    def simple(self) -> bool:
        """True when every edge is one straight segment."""
        return len(self.x0) == len(self.ptr) - 1


def _build_segments(lines: np.ndarray, length_m: np.ndarray) -> Segments:
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    start = np.flatnonzero(same)
    x0, y0 = coords[start, 0], coords[start, 1]
    x1, y1 = coords[start + 1, 0], coords[start + 1, 1]
    edge = idx[start]
    seg_len = np.hypot(x1 - x0, y1 - y0)
    n_edges = len(lines)
    counts = np.bincount(edge, minlength=n_edges)
    ptr = np.zeros(n_edges + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    cum = np.cumsum(seg_len)
    first = ptr[:-1][counts > 0]
    base = np.zeros(len(seg_len))
    base_per_edge = np.zeros(n_edges)
    base_per_edge[counts > 0] = cum[first] - seg_len[first]
    base = cum - seg_len - base_per_edge[edge]
    geo_len = np.zeros(n_edges)
    np.add.at(geo_len, edge, seg_len)
    # positions along the edge in the units of length_m (equal to the geometry's length
    # for networks built here; scaled otherwise)
    scale = np.divide(length_m, geo_len, out=np.ones(n_edges), where=geo_len > 0)[edge]
    return Segments(x0, y0, x1, y1, base * scale, (base + seg_len) * scale, ptr)


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def network_segments(engine) -> Segments:
    """The :class:`Segments` of an engine's network (built once per engine, cached)."""
    segs = _CACHE.get(engine)
    if segs is None:
        segs = _build_segments(engine.net.edges.geometry.to_numpy(), engine.length_m)
        _CACHE[engine] = segs
    return segs


def piece_segments(
    segs: Segments, edge: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Straight segments ``(ax, ay, bx, by)`` covering edge intervals ``[start, end]`` (m from ``u``)."""
    edge = np.asarray(edge, np.int64)
    if segs.simple:
        seg, lo, hi = edge, start, end
    else:
        cnt = segs.ptr[edge + 1] - segs.ptr[edge]
        rep = np.repeat(np.arange(len(edge)), cnt)
        first = np.repeat(segs.ptr[edge], cnt)
        off = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        seg = first + off
        lo = np.maximum(start[rep], segs.c0[seg])
        hi = np.minimum(end[rep], segs.c1[seg])
        keep = lo <= hi
        seg, lo, hi = seg[keep], lo[keep], hi[keep]
    c0, c1 = segs.c0[seg], segs.c1[seg]
    span = c1 - c0
    span = np.where(span > 0, span, 1.0)
    f0 = np.clip((lo - c0) / span, 0.0, 1.0)
    f1 = np.clip((hi - c0) / span, 0.0, 1.0)
    dx, dy = segs.x1[seg] - segs.x0[seg], segs.y1[seg] - segs.y0[seg]
    return segs.x0[seg] + f0 * dx, segs.y0[seg] + f0 * dy, segs.x0[seg] + f1 * dx, segs.y0[seg] + f1 * dy


@dataclasses.dataclass(frozen=True)
class Window:
    """A rectangle of grid vertices: vertex ``(i, j)`` is at ``(x0 + j*h, y0 + i*h)``."""

    i0: int
    j0: int
    ny: int
    nx: int


def _window(ax, ay, bx, by, h: float, pad: float) -> Window:
    """Vertices covering the segments plus ``pad`` metres, on the global lattice of step ``h``."""
    xmin = min(ax.min(), bx.min()) - pad
    ymin = min(ay.min(), by.min()) - pad
    xmax = max(ax.max(), bx.max()) + pad
    ymax = max(ay.max(), by.max()) + pad
    j0, i0 = int(np.floor(xmin / h)), int(np.floor(ymin / h))
    j1, i1 = int(np.ceil(xmax / h)), int(np.ceil(ymax / h))
    return Window(i0, j0, i1 - i0 + 1, j1 - j0 + 1)


def _burn(ax, ay, bx, by, h: float, w: Window) -> tuple[np.ndarray, np.ndarray]:
    """Flat vertex indices of samples along each segment (spacing <= h/2), and their segment."""
    k = np.ceil(np.hypot(bx - ax, by - ay) / (0.5 * h)).astype(np.int64) + 1
    seg = np.repeat(np.arange(len(ax)), k)
    j = np.arange(len(seg)) - np.repeat(np.cumsum(k) - k, k)
    fr = j / np.repeat(np.maximum(k - 1, 1), k)
    px = ax[seg] + fr * (bx - ax)[seg]
    py = ay[seg] + fr * (by - ay)[seg]
    col = np.rint(px / h).astype(np.int64) - w.j0
    row = np.rint(py / h).astype(np.int64) - w.i0
    return row * w.nx + col, seg


def distance_field(ax, ay, bx, by, *, h: float, reach_m: float, window: Window,
                   origin: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) from every window vertex to its nearest burnt vertex's segment, ``(ny, nx)``.

    Returns ``(z, owner)``: the distances (float32) and the segment of each vertex's nearest
    burnt vertex (int32). ``z`` is the exact distance to that segment: exact where it is the
    nearest segment, an overestimate by at most ``h`` otherwise (the second nearest), and
    above ``reach_m + h`` wherever the nearest burnt vertex is farther than ``reach_m + 2h``.
    It is computed densely in float32, with coordinates relative to ``origin`` (use the same
    origin for every band: the same vertex and segment then give bit-identical values).
    """
    w = window
    flat, seg = _burn(ax, ay, bx, by, h, w)
    owner = np.full(w.ny * w.nx, -1, np.int32)
    owner[flat] = seg
    owner = owner.reshape(w.ny, w.nx)
    ox, oy = origin
    f32 = np.float32
    sx, sy = (ax - ox).astype(f32), (ay - oy).astype(f32)
    vx, vy = (bx - ax).astype(f32), (by - ay).astype(f32)
    ll = vx * vx + vy * vy
    il = np.divide(f32(1.0), ll, out=np.zeros_like(ll), where=ll > 0)
    z = np.empty((w.ny, w.nx), f32)
    nearest = np.empty((w.ny, w.nx), np.int32)
    halo = int(np.ceil(reach_m / h)) + 3
    for r0 in range(0, w.ny, TILE):
        for c0 in range(0, w.nx, TILE):
            r1, c1 = min(r0 + TILE, w.ny), min(c0 + TILE, w.nx)
            R0, C0 = max(r0 - halo, 0), max(c0 - halo, 0)
            R1, C1 = min(r1 + halo, w.ny), min(c1 + halo, w.nx)
            own = owner[R0:R1, C0:C1]
            burnt = own >= 0
            if not burnt.any():
                z[r0:r1, c0:c1] = _FAR
                nearest[r0:r1, c0:c1] = -1
                continue
            ind = ndimage.distance_transform_edt(~burnt, return_distances=False, return_indices=True)
            ir = ind[0, r0 - R0:r1 - R0, c0 - C0:c1 - C0]
            ic = ind[1, r0 - R0:r1 - R0, c0 - C0:c1 - C0]
            s = own[ir, ic]
            qx = ((np.arange(c0, c1) + w.j0) * h - ox).astype(f32)[None, :]
            qy = ((np.arange(r0, r1) + w.i0) * h - oy).astype(f32)[:, None]
            svx, svy = vx[s], vy[s]
            px = qx - sx[s]
            py = qy - sy[s]
            t = px * svx
            t += py * svy
            t *= il[s]
            np.clip(t, 0.0, 1.0, out=t)
            svx *= t
            svy *= t
            px -= svx
            py -= svy
            px *= px
            py *= py
            px += py
            np.sqrt(px, out=z[r0:r1, c0:c1])
            nearest[r0:r1, c0:c1] = s
    # beyond a tile's halo (reach + 3h) a burnt vertex cannot be the nearest of a vertex
    # within reach + h of its segment, so the tiles agree wherever the contour runs
    return z, nearest


def _ring_areas(xy: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Absolute shoelace areas of closed rings stored back to back (ring k is ``starts[k]:starts[k+1]``)."""
    x, y = xy[:, 0], xy[:, 1]
    cross = np.zeros(len(x))
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[starts[1:-1] - 1] = 0.0  # the pair (last point of a ring, first of the next)
    return 0.5 * np.abs(np.add.reduceat(cross, starts[:-1]))


def contour_polygon(z: np.ndarray, window: Window, h: float, level: float, *, fill_holes_m2: float
                    ) -> shapely.Geometry:
    """(Multi)polygon of ``z <= level`` with holes under ``fill_holes_m2`` removed."""
    w = window
    # absolute lattice coordinates: every band's grid then has bit-identical vertices, so
    # the contours of nested fields are nested exactly
    y, x = np.meshgrid((w.i0 + np.arange(w.ny)) * h, (w.j0 + np.arange(w.nx)) * h, indexing="ij")
    cg = contourpy.SerialContourGenerator(
        x, y, np.ascontiguousarray(z, dtype=float), None, corner_mask=False, line_type=contourpy.LineType.Separate,
        fill_type=contourpy.FillType.ChunkCombinedOffsetOffset, quad_as_tri=False, z_interp=contourpy.ZInterp.Linear,
    )
    pts, offs, outer = cg.filled(-1.0, float(level))
    if not pts or pts[0] is None or len(pts[0]) == 0:
        return shapely.Polygon()
    xy, ring_start, poly_start = pts[0], offs[0].astype(np.int64), outer[0].astype(np.int64)
    n_rings = len(ring_start) - 1
    poly_of_ring = np.repeat(np.arange(len(poly_start) - 1), np.diff(poly_start))
    is_shell = np.zeros(n_rings, bool)
    is_shell[poly_start[:-1]] = True
    keep = is_shell.copy()
    ring_ids = np.repeat(np.arange(n_rings), np.diff(ring_start))
    if fill_holes_m2 > 0:
        keep |= _ring_areas(xy, ring_start) >= fill_holes_m2
    else:
        keep[:] = True
    sel = keep[ring_ids]
    rings = shapely.linearrings(xy[sel], indices=np.searchsorted(np.flatnonzero(keep), ring_ids[sel]))
    polys = shapely.polygons(rings, indices=poly_of_ring[keep])
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(list(polys))


def nested_polygons(
    bands: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    *,
    buffer_m: float,
    cell_m: float,
    fill_holes_m2: float,
) -> list[shapely.Geometry]:
    """One polygon per band from its segments ``(ax, ay, bx, by)``, bands from the smallest.

    The segments of each band must include those of the bands before it (reachable
    pieces grow with the time budget). Band polygons are nested by construction.
    """
    h = float(cell_m)
    pad = buffer_m + 2 * h
    out: list[shapely.Geometry] = []
    prev: tuple[np.ndarray, Window] | None = None
    origin = next(((float(np.floor(ax[0] / h) * h), float(np.floor(ay[0] / h) * h))
                   for ax, ay, _, _ in bands if len(ax)), (0.0, 0.0))
    for ax, ay, bx, by in bands:
        if len(ax) == 0:
            out.append(shapely.Polygon())
            continue
        w = _window(ax, ay, bx, by, h, pad)
        z, _ = distance_field(ax, ay, bx, by, h=h, reach_m=buffer_m, window=w, origin=origin)
        if prev is not None:
            pz, pw = prev
            r, c = pw.i0 - w.i0, pw.j0 - w.j0
            if r >= 0 and c >= 0 and r + pw.ny <= w.ny and c + pw.nx <= w.nx:
                np.minimum(z[r:r + pw.ny, c:c + pw.nx], pz, out=z[r:r + pw.ny, c:c + pw.nx])
        out.append(contour_polygon(z, w, h, buffer_m, fill_holes_m2=fill_holes_m2))
        prev = (z, w)
    return out
