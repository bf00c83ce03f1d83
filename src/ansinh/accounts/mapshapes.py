"""Shapes of communes for the coverage map (pure: no database, no Django).

The vendored unit data (`vietnamadminunits`) gives each commune a centre point (and, on the
old map, a bounding box), never its boundary. Without official boundaries the map draws an
honest approximation, marked as such on the page: the Voronoi cell of each commune centre
(every place nearer to that centre than to any other), clipped to an approximate outline of
the province — the union of discs around the centres, closed so that small gaps fill — so the
communes tile the province without overlapping, and each keeps roughly its place and size.

`cells(points)` -> {key: [ring, …]} with rings of (lat, lon) pairs rounded to 4 decimals
(~10 m), small enough to send to the browser (Leaflet draws them)."""
from __future__ import annotations

import math
from functools import lru_cache

DEGREES_PER_KM = 1 / 111.32
LONE_RADIUS_KM = 3.0  # a commune alone on the map: a disc of this radius
OUTLINE_REACH = 1.6   # the outline's discs: this many times the typical distance to the nearest centre
DUPLICATE_SHIFT_DEG = 0.004
SIMPLIFY_DEG = 0.0015  # ~150 m: invisible at province zoom, a third of the points


def _project(lat0: float):
    k = math.cos(math.radians(lat0))
    return (lambda lat, lon: (lon * k, lat)), (lambda x, y: (y, x / k))


def _nearest(xy: list[tuple[float, float]]) -> list[float]:
    import numpy as np

    a = np.array(xy)
    d = np.sqrt(((a[:, None, :] - a[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return list(d.min(axis=1))


def cells(points: list[tuple[object, float, float]]) -> dict[object, list[list[tuple[float, float]]]]:
    """Approximate shapes for `points` [(key, lat, lon)], one per distinct key; see the module."""
    pts, seen = [], {}
    for k, lat, lon in sorted((p for p in points if p[1] is not None and p[2] is not None),
                              key=lambda p: (p[1], p[2], str(p[0]))):
        # Two communes given the same centre (it happens in the source): the second moves ~400 m east.
        n = seen[(lat, lon)] = seen.get((lat, lon), -1) + 1
        pts.append((k, float(lat), float(lon) + n * DUPLICATE_SHIFT_DEG))
    return dict(_cells(tuple(pts)))


@lru_cache(maxsize=16)
def _cells(pts: tuple) -> tuple:
    import shapely
    from shapely.geometry import MultiPoint, Point

    if not pts:
        return ()
    lat0 = sum(p[1] for p in pts) / len(pts)
    fwd, back = _project(lat0)
    xy = [fwd(lat, lon) for _, lat, lon in pts]
    if len(pts) == 1:
        radius = LONE_RADIUS_KM * DEGREES_PER_KM
        return ((pts[0][0], _rings(Point(xy[0]).buffer(radius, 16), back)),)
    near = _nearest(xy)
    typical = sorted(near)[len(near) // 2] or LONE_RADIUS_KM * DEGREES_PER_KM
    reach = OUTLINE_REACH * typical
    discs = [Point(p).buffer(max(reach, 0.75 * n), 12) for p, n in zip(xy, near)]
    outline = shapely.union_all(discs).buffer(typical, 8).buffer(-typical, 8)
    seeds = MultiPoint(xy)
    regions = shapely.voronoi_polygons(seeds, extend_to=outline.envelope.buffer(reach))
    tree = shapely.STRtree([Point(p) for p in xy])
    out = []
    for region in shapely.get_parts(regions):
        hits = tree.query(region, predicate="contains")
        if len(hits) != 1:
            continue
        i = int(hits[0])
        shape = region.intersection(outline).simplify(SIMPLIFY_DEG * 0.5)
        if shape.is_empty:
            continue
        out.append((pts[i][0], _rings(shape, back)))
    return tuple(out)


def _rings(shape, back) -> list[list[tuple[float, float]]]:
    """The outer rings of a (multi)polygon as (lat, lon) lists."""
    from shapely.geometry import Polygon

    polys = [shape] if isinstance(shape, Polygon) else [g for g in getattr(shape, "geoms", []) if isinstance(g, Polygon)]
    return [[tuple(round(v, 4) for v in back(x, y)) for x, y in p.exterior.coords] for p in polys if not p.is_empty]
