"""Raster kernel of fast isochrone polygons: a distance field on a grid, contoured.

The exact isochrone of :mod:`geo.isochrones` is the union of the reachable street pieces
buffered by ``R`` metres: the set of points whose distance to the nearest reachable piece
is at most ``R``. This module evaluates that distance on the vertices of a square grid
(cell ``h`` metres) and contours it at ``R`` with marching squares (contourpy), so the
boundary is interpolated between grid vertices instead of following cell edges:

1. every reachable piece is cut into straight segments and *burnt* into the grid: the
   vertex nearest to each sample (spacing ``h / 2``) is marked with its segment;
2. a Euclidean feature transform bounded to the tile halo (:func:`_nearest_burnt`, the
   same choice as :func:`scipy.ndimage.distance_transform_edt` within it) gives
   every vertex its nearest burnt vertex;
3. the distance from the vertex to *that vertex's segment* is computed exactly
   (point-to-segment), which removes the ~``h/2`` error of the burnt vertices;
4. filled contours ``distance <= R`` become polygons; interior rings smaller than the
   hole limit are dropped, except that a hole over :data:`CHECK_HOLE_SHARE` of its polygon
   is first checked for a channel narrower than a cell (:func:`channel_vertices`): a bay
   whose mouth the grid closed stays open, as in the exact construction.

Nested bands share one grid lattice; each band's field is the minimum of its own and the
inner band's field, so band ``T1 < T2`` gives ``field_T2 <= field_T1`` everywhere and the
contour of the larger band encloses the smaller one by construction.

Accuracy: on a straight street the field is exact; where two segments compete (junctions,
parallel streets) the segment of the nearest burnt vertex can be the second nearest, which
overstates the distance by at most ``h``; linear interpolation between vertices misplaces
the boundary by O(h^2 / R) on round caps and by up to ~h/4 at concave corners. The area
difference against the exact vector construction is therefore bounded by about
``h / 4 x perimeter`` and is in practice a fraction of that (see ``BENCHMARKS.md``).
A bay whose mouth is narrower than a cell closes on the grid; it is then kept open when it
is large enough to matter (see step 4), and filled like a hole otherwise.
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import contourpy
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage

if TYPE_CHECKING:
    from .engine import TravelTimeEngine

#: Largest tile (vertices per side) of one feature transform; bounds its memory (~100 MB).
TILE = 2048
_FAR = 1e9

#: Straight segments ``(ax, ay, bx, by)``: their end points, metres.
SegmentArrays: TypeAlias = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


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


_CACHE: weakref.WeakKeyDictionary[TravelTimeEngine, Segments] = weakref.WeakKeyDictionary()


def network_segments(engine: TravelTimeEngine) -> Segments:
    """The :class:`Segments` of an engine's network (built once per engine, cached)."""
    segs = _CACHE.get(engine)
    if segs is None:
        segs = _build_segments(engine.net.edges.geometry.to_numpy(), engine.length_m)
        _CACHE[engine] = segs
    return segs


def piece_segments(segs: Segments, edge: np.ndarray, start: np.ndarray, end: np.ndarray) -> SegmentArrays:
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


def _window(ax: NDArray[np.float64], ay: NDArray[np.float64], bx: NDArray[np.float64], by: NDArray[np.float64],
            h: float, pad: float) -> Window:
    """Vertices covering the segments plus ``pad`` metres, on the global lattice of step ``h``."""
    xmin = min(ax.min(), bx.min()) - pad
    ymin = min(ay.min(), by.min()) - pad
    xmax = max(ax.max(), bx.max()) + pad
    ymax = max(ay.max(), by.max()) + pad
    j0, i0 = int(np.floor(xmin / h)), int(np.floor(ymin / h))
    j1, i1 = int(np.ceil(xmax / h)), int(np.ceil(ymax / h))
    return Window(i0, j0, i1 - i0 + 1, j1 - j0 + 1)


def _burn(ax: NDArray[np.float64], ay: NDArray[np.float64], bx: NDArray[np.float64], by: NDArray[np.float64],
          h: float, w: Window) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
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


def distance_field(ax: NDArray[np.float64], ay: NDArray[np.float64], bx: NDArray[np.float64],
                   by: NDArray[np.float64], *, h: float, reach_m: float, window: Window,
                   origin: tuple[float, float] = (0.0, 0.0)) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
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
    owner_flat = np.full(w.ny * w.nx, -1, np.int32)
    owner_flat[flat] = seg
    owner = owner_flat.reshape(w.ny, w.nx)
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
            s, far = _nearest_burnt(own, burnt, halo)
            s = s[r0 - R0:r1 - R0, c0 - C0:c1 - C0]
            far = far[r0 - R0:r1 - R0, c0 - C0:c1 - C0]
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
            zt = z[r0:r1, c0:c1]
            np.sqrt(px, out=zt)
            np.copyto(zt, f32(_FAR), where=far)
            s[far] = -1
            nearest[r0:r1, c0:c1] = s
    # beyond a tile's halo (reach + 3h) a burnt vertex cannot be the nearest of a vertex
    # within reach + h of its segment (nor of a vertex next to one within reach), so the
    # tiles agree, and equal the unbounded transform, wherever the contour runs
    return z, nearest


def _nearest_burnt(own: np.ndarray, burnt: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Segment of each vertex's nearest burnt vertex, searched within ``k`` cells; and where none is.

    A Euclidean feature transform bounded to ``k`` (the tile halo), in two separable passes
    of numpy operations, which release the GIL (scipy's transform holds it): along each
    column, the nearest burnt row above or below (ties: the one above), up to ``k`` rows,
    by doubling shifts (each step one vectorised operation on whole rows); across columns,
    the minimum over the ``2k + 1`` column offsets ``dx`` of ``dx^2 + dy^2``, packed with
    ``dx`` and ``dy`` into one integer key so that a plain ``minimum`` breaks ties towards
    the lowest column, then the lowest row. Within ``k`` cells this picks the same vertex as
    :func:`scipy.ndimage.distance_transform_edt` (``return_indices``), ties included;
    vertices without a burnt vertex within ``k`` cells are flagged ``far`` (their segment
    is then meaningless).

    The rows are padded with ``k`` unburnt columns on each side, so that the column offsets
    are shifts of one flat array (contiguous, vectorised) that never wrap into another row.
    """
    ny, nx = own.shape
    nb = int(2 * k).bit_length()
    top = (((k + 1) ** 2 + k * k + 1) << 2 * nb) + (1 << 2 * nb)
    dt: type[np.signedinteger[Any]] = next(t for t in (np.int16, np.int32, np.int64) if top < np.iinfo(t).max)
    px = nx + 2 * k
    # |dy| to the nearest burnt vertex above (up) and below (down) in the same column, up to
    # k + 1 (= none within k): 1-D distances propagated by doubling shifts (1, 2, 4, ...),
    # each a vectorised operation on whole rows; exact up to 2 * step - 1 >= k
    k1 = np.int16(k + 1)
    up = np.full((ny, px), k1, np.int16)
    np.copyto(up[:, k:k + nx], np.int16(0), where=burnt)
    down = up.copy()
    tmp = np.empty((ny, px), np.int16)
    step = 1
    while step <= k and step < ny:
        for d, sign in ((up, 1), (down, -1)):
            if sign > 0:  # row i looks at row i - step
                src, dst = d[:-step], d[step:]
            else:  # row i looks at row i + step
                src, dst = d[step:], d[:-step]
            t = tmp[:ny - step]
            np.add(src, np.int16(step), out=t)
            np.minimum(dst, t, out=dst)
        step *= 2
    # key of the nearest burnt vertex of the column: dy^2 in the high bits, dy + k in the low
    # ones (a row above wins a tie); |dy| = k + 1 means none within k
    d = np.arange(k + 2)
    key_up = ((d * d << 2 * nb) + np.clip(k - d, 0, None)).astype(dt)
    key_down = ((d * d << 2 * nb) + np.minimum(k + d, 2 * k)).astype(dt)
    key = np.minimum(key_up.take(up), key_down.take(down))
    best = np.full((ny, px), np.iinfo(dt).max, dt)
    kf, bf = key.ravel(), best.ravel()
    tmp = np.empty_like(kf)
    for dx in range(-k, k + 1):  # vertex j looks at column j + dx
        c = dt((dx * dx << 2 * nb) + (dx + k << nb))
        if dx < 0:
            src, dst = kf[:dx], bf[-dx:]
        elif dx > 0:
            src, dst = kf[dx:], bf[:-dx]
        else:
            src, dst = kf, bf
        t = tmp[:len(src)]
        np.add(src, c, out=t)
        np.minimum(dst, t, out=dst)
    best = best[:, k:k + nx]
    far = best >= ((k * k + 1) << 2 * nb)
    # flat offset of the chosen vertex from the low 2 nb bits (dx + k, dy + k)
    v = np.arange(1 << 2 * nb)
    offset = (((v & (1 << nb) - 1) - k) * nx + ((v >> nb) - k)).astype(np.int32)
    low = best & dt((1 << 2 * nb) - 1)
    flat = offset.take(low)
    flat += np.arange(ny * nx, dtype=np.int32).reshape(ny, nx)
    np.clip(flat, 0, ny * nx - 1, out=flat)
    return np.take(own, flat), far


def _ring_areas(xy: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Absolute shoelace areas of closed rings stored back to back (ring k is ``starts[k]:starts[k+1]``)."""
    x, y = xy[:, 0], xy[:, 1]
    cross = np.zeros(len(x))
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[starts[1:-1] - 1] = 0.0  # the pair (last point of a ring, first of the next)
    return 0.5 * np.abs(np.add.reduceat(cross, starts[:-1]))


def _point_segment(px: NDArray[np.float64], py: NDArray[np.float64], ax: NDArray[np.float64],
                   ay: NDArray[np.float64], bx: NDArray[np.float64], by: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance from points to segments (broadcast), float64."""
    vx, vy = bx - ax, by - ay
    ll = vx * vx + vy * vy
    t = np.clip(((px - ax) * vx + (py - ay) * vy) / np.where(ll > 0, ll, 1.0), 0.0, 1.0)
    return np.hypot(px - ax - t * vx, py - ay - t * vy)


#: Points sampled along a grid edge to look for a sub-cell channel.
_EDGE_SAMPLES = np.arange(1, 8) / 8.0


def channel_vertices(z: np.ndarray, nearest: np.ndarray, segments: SegmentArrays, window: Window, h: float,
                     level: float) -> NDArray[np.int64]:
    """Flat indices of vertices inside the contour where a channel narrower than a cell crosses.

    Marching squares interpolates linearly along a grid edge, so an edge whose two ends are
    within ``level`` is wholly inside, even when the distance to the streets rises above
    ``level`` between them: a gap between two street buffers narrower than a cell (the mouth
    of a bay) is then closed. Such an edge has ends owned by different segments and
    ``z_a + z_b > 2 level - h`` (distance is 1-Lipschitz); for those, the distance to the
    segments of the six vertices around the edge is sampled along it, and where it exceeds
    ``level`` the end nearer to the level is returned (opening it opens the channel).
    """
    ax, ay, bx, by = segments
    w = window
    lo = 2.0 * level - h
    # both ends of such an edge are within h of the level: a cheap superset first, then
    # the two tests on its few edges
    near = z <= level
    near &= z > level - 1.01 * h
    ii: list[NDArray[np.intp]] = []
    jj: list[NDArray[np.intp]] = []
    for vertical in (False, True):
        if vertical:  # edges (i, j)-(i+1, j)
            i, j = np.nonzero(near[:-1, :] & near[1:, :])
            i_, j_ = i + 1, j
        else:  # edges (i, j)-(i, j+1)
            i, j = np.nonzero(near[:, :-1] & near[:, 1:])
            i_, j_ = i, j + 1
        ok = nearest[i, j] != nearest[i_, j_]
        ok &= (z[i, j] + z[i_, j_]) > lo
        ii.append(i[ok])
        jj.append(j[ok])
    nv = len(ii[1])
    i, j = np.concatenate(ii[::-1]), np.concatenate(jj[::-1])  # vertical edges first
    if not len(i):
        return np.zeros(0, np.int64)
    vert = np.arange(len(i)) < nv
    i2, j2 = i + vert, j + ~vert
    # across the edge: columns j-1, j+1 (vertical edges) or rows i-1, i+1 (horizontal ones),
    # clipped to the window; in flat indices of the padded-free owner array
    di, dj = (~vert).astype(np.int64), vert.astype(np.int64)
    flat_n = nearest.ravel()

    def at(r: NDArray[np.int64], c: NDArray[np.int64]) -> np.ndarray:
        return flat_n[np.clip(r, 0, w.ny - 1) * w.nx + np.clip(c, 0, w.nx - 1)]

    x0, y0 = (j + w.j0) * h, (i + w.i0) * h
    x1, y1 = (j2 + w.j0) * h, (i2 + w.i0) * h
    px = (x0[:, None] + _EDGE_SAMPLES[None, :] * (x1 - x0)[:, None])[:, :, None]  # (n, 7, 1)
    py = (y0[:, None] + _EDGE_SAMPLES[None, :] * (y1 - y0)[:, None])[:, :, None]
    # first the two ends' segments (an upper bound of the distance), then all six
    sg = np.stack([flat_n[i * w.nx + j], flat_n[i2 * w.nx + j2]], axis=1)[:, None, :]
    leak = _point_segment(px, py, ax[sg], ay[sg], bx[sg], by[sg]).min(axis=2).max(axis=1) > level
    sel = np.flatnonzero(leak)
    if len(sel):
        i, j, i2, j2, di, dj = i[sel], j[sel], i2[sel], j2[sel], di[sel], dj[sel]
        sg = np.stack([flat_n[i * w.nx + j], flat_n[i2 * w.nx + j2], at(i - di, j - dj), at(i2 - di, j2 - dj),
                       at(i + di, j + dj), at(i2 + di, j2 + dj)], axis=1)[:, None, :]
        d = _point_segment(px[sel], py[sel], ax[sg], ay[sg], bx[sg], by[sg]).min(axis=2).max(axis=1)
        ok = d > level
        i, j, i2, j2 = i[ok], j[ok], i2[ok], j2[ok]
        first = z[i, j] >= z[i2, j2]
        return np.where(first, i * w.nx + j, i2 * w.nx + j2)
    return np.zeros(0, np.int64)


#: Holes under the fill limit but at least this share of their polygon's area are filled only
#: when they are enclosed holes of the street buffer (:func:`channel_vertices`); smaller
#: ones by the area rule alone (a wrong decision on them costs at most this share each).
CHECK_HOLE_SHARE = 0.002


def contour_polygon(z: np.ndarray, window: Window, h: float, level: float, *, fill_holes_m2: float,
                    channels: tuple[np.ndarray, SegmentArrays] | None = None,
                    inner: shapely.Geometry | None = None) -> shapely.Geometry:
    """(Multi)polygon of ``z <= level`` with holes under ``fill_holes_m2`` removed.

    ``channels``: None, or ``(nearest, segments)`` of :func:`distance_field`: then a hole
    under the limit but over :data:`CHECK_HOLE_SHARE` of the polygon is filled only when
    its outside vertices, joined through sub-cell channels (8-connectivity), stay within
    the hole's box (a bay whose mouth the grid closed is kept open) and cover less than
    ``fill_holes_m2``. A hole inside ``inner`` (the inner band's polygon, which filled it)
    is filled regardless, so the bands stay nested.
    """
    w = window
    # absolute lattice coordinates: every band's grid then has bit-identical vertices, so
    # the contours of nested fields are nested exactly
    y, x = np.meshgrid((w.i0 + np.arange(w.ny)) * h, (w.j0 + np.arange(w.nx)) * h, indexing="ij")
    # contourpy's stubs require a mask array; the generator accepts None (no mask), as
    # contourpy.contour_generator itself passes
    no_mask = cast("NDArray[np.bool_]", None)
    cg = contourpy.SerialContourGenerator(
        x, y, np.ascontiguousarray(z, dtype=float), no_mask, corner_mask=False,
        line_type=contourpy.LineType.Separate, fill_type=contourpy.FillType.ChunkCombinedOffsetOffset,
        quad_as_tri=False, z_interp=contourpy.ZInterp.Linear,
    )
    # the stubs type filled() as the union over fill types; this one is ChunkCombinedOffsetOffset
    filled = cast("tuple[list[NDArray[np.float64] | None], list[NDArray[np.uint32] | None], "
                  "list[NDArray[np.uint32] | None]]", cg.filled(-1.0, float(level)))
    pts, offs, outer = filled
    if not pts or pts[0] is None or len(pts[0]) == 0:
        return shapely.Polygon()
    xy, offs0, outer0 = pts[0], offs[0], outer[0]
    if offs0 is None or outer0 is None:  # never with points (one chunk)
        return shapely.Polygon()
    ring_start, poly_start = offs0.astype(np.int64), outer0.astype(np.int64)
    n_rings = len(ring_start) - 1
    poly_of_ring = np.repeat(np.arange(len(poly_start) - 1), np.diff(poly_start))
    is_shell = np.zeros(n_rings, bool)
    is_shell[poly_start[:-1]] = True
    keep = is_shell.copy()
    ring_ids = np.repeat(np.arange(n_rings), np.diff(ring_start))
    if fill_holes_m2 > 0:
        area = _ring_areas(xy, ring_start)
        keep |= area >= fill_holes_m2
        total = area[is_shell].sum() - area[~is_shell].sum()
        check = np.flatnonzero(~keep & (area >= CHECK_HOLE_SHARE * total))
        if len(check) and channels is not None:
            enclosed, px, py = _enclosed(xy, ring_start, check, z, channels, w, h, level, fill_holes_m2)
            if inner is not None and not inner.is_empty and not enclosed.all():
                # an open vertex of this band's hole is outside the inner band's contour too:
                # inside its polygon only when the inner band filled that hole
                enclosed[~enclosed] = shapely.contains_xy(inner, px[~enclosed], py[~enclosed])
            keep[check] = ~enclosed
    else:
        keep[:] = True
    sel = keep[ring_ids]
    rings = shapely.linearrings(xy[sel], indices=np.searchsorted(np.flatnonzero(keep), ring_ids[sel]))
    polys = shapely.polygons(rings, indices=poly_of_ring[keep])
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(list(polys))


def _enclosed(xy: NDArray[np.float64], ring_start: NDArray[np.int64], holes: NDArray[np.intp], z: np.ndarray,
              channels: tuple[np.ndarray, SegmentArrays], w: Window, h: float, level: float, fill_holes_m2: float
              ) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
    """Whether each hole (ring index) is an enclosed hole under ``fill_holes_m2``, judged on
    the box of the holes plus three cells; and an outside vertex of each (x, y)."""
    nearest, segments = channels
    lo_x = np.minimum.reduceat(xy[:, 0], ring_start[:-1])[holes]
    hi_x = np.maximum.reduceat(xy[:, 0], ring_start[:-1])[holes]
    lo_y = np.minimum.reduceat(xy[:, 1], ring_start[:-1])[holes]
    hi_y = np.maximum.reduceat(xy[:, 1], ring_start[:-1])[holes]
    c0 = max(int(np.floor(lo_x.min() / h)) - w.j0 - 3, 0)
    c1 = min(int(np.ceil(hi_x.max() / h)) - w.j0 + 4, w.nx)
    r0 = max(int(np.floor(lo_y.min() / h)) - w.i0 - 3, 0)
    r1 = min(int(np.ceil(hi_y.max() / h)) - w.i0 + 4, w.ny)
    cw = Window(w.i0 + r0, w.j0 + c0, r1 - r0, c1 - c0)
    cz, cn = z[r0:r1, c0:c1], nearest[r0:r1, c0:c1]
    open_ = cz > level
    open_.ravel()[channel_vertices(cz, cn, segments, cw, h, level)] = True
    lab, _ = ndimage.label(open_, structure=np.ones((3, 3), bool))
    border = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    # a ring point lies on a grid edge: its end beyond the level is inside the hole
    first = xy[ring_start[holes]]
    fx = first[:, 0] / h - cw.j0
    fy = first[:, 1] / h - cw.i0
    fx = np.where(np.abs(fx - np.rint(fx)) < 1e-6, np.rint(fx), fx)
    fy = np.where(np.abs(fy - np.rint(fy)) < 1e-6, np.rint(fy), fy)
    rows = np.stack([np.floor(fy), np.floor(fy), np.ceil(fy), np.ceil(fy)], 1).astype(np.int64)
    cols = np.stack([np.floor(fx), np.ceil(fx), np.floor(fx), np.ceil(fx)], 1).astype(np.int64)
    rows, cols = np.clip(rows, 0, cw.ny - 1), np.clip(cols, 0, cw.nx - 1)
    best = np.argmax(cz[rows, cols], axis=1)
    k = np.arange(len(holes))
    r, c = rows[k, best], cols[k, best]
    hole_lab = lab[r, c]
    size = np.bincount(lab.ravel()) * (h * h)
    enclosed = ~np.isin(hole_lab, border[border > 0]) & (size[hole_lab] < fill_holes_m2)
    # no outside vertex found (a ring through vertices exactly at the level): area rule alone
    return enclosed | (hole_lab == 0), (c + cw.j0) * h, (r + cw.i0) * h


def nested_polygons(
    bands: list[SegmentArrays],
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
    prev: dict | None = None
    origin = next(((float(np.floor(ax[0] / h) * h), float(np.floor(ay[0] / h) * h))
                   for ax, ay, _, _ in bands if len(ax)), (0.0, 0.0))
    for ax, ay, bx, by in bands:
        if len(ax) == 0:
            out.append(shapely.Polygon())
            continue
        w = _window(ax, ay, bx, by, h, pad)
        z, nearest = distance_field(ax, ay, bx, by, h=h, reach_m=buffer_m, window=w, origin=origin)
        if prev is not None:
            pw = prev["w"]
            r, c = pw.i0 - w.i0, pw.j0 - w.j0
            if r >= 0 and c >= 0 and r + pw.ny <= w.ny and c + pw.nx <= w.nx:
                inner = (slice(r, r + pw.ny), slice(c, c + pw.nx))
                np.minimum(z[inner], prev["z"], out=z[inner])
        out.append(contour_polygon(z, w, h, buffer_m, fill_holes_m2=fill_holes_m2,
                                   channels=(nearest, (ax, ay, bx, by)), inner=out[-1] if out else None))
        prev = {"z": z, "w": w}
    return out
