"""Point-in-area routing: which area does a reported location lie in?

The areas that carry a GeoJSON boundary are loaded into a shapely STRtree; a point is matched
against the boundaries whose bounding boxes hold it, and the most specific level wins (a grid
inside its village inside its township). The index is rebuilt when an area is saved or deleted
in this process, and at most AREA_INDEX_TTL_SECONDS after another process changed one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from civicdesk.organization.choices import AREA_LEVEL_ORDER
from civicdesk.organization.models import Area

AREA_INDEX_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class IndexedArea:
    area_id: int
    path: str
    rank: int
    geometry: BaseGeometry


@dataclass(frozen=True)
class AreaIndex:
    tree: STRtree
    areas: list[IndexedArea]
    built_at: float

    def lookup(self, lat: float, lng: float, within_path: str | None = None) -> IndexedArea | None:
        """The most specific indexed area that covers the point (its boundary included)."""
        point = Point(lng, lat)  # GeoJSON order: longitude first
        candidates = [self.areas[int(i)] for i in self.tree.query(point)]
        matches = [
            area
            for area in candidates
            if (within_path is None or area.path.startswith(within_path))
            and area.geometry.covers(point)
        ]
        if not matches:
            return None
        # Deepest level first; among equals (overlapping boundaries drawn by mistake) the
        # smaller area is the more specific one.
        return max(matches, key=lambda area: (area.rank, -area.geometry.area))


_lock = threading.Lock()
_index: AreaIndex | None = None


def build_area_index() -> AreaIndex:
    areas = [
        IndexedArea(area_id, path, AREA_LEVEL_ORDER.index(level), geometry)
        for area_id, path, level, polygon in Area.objects.exclude(polygon=None).values_list(
            "id", "path", "level", "polygon"
        )
        if (geometry := _geometry(polygon)) is not None
    ]
    return AreaIndex(STRtree([a.geometry for a in areas]), areas, time.monotonic())


def _geometry(polygon: Any) -> BaseGeometry | None:
    # Boundaries are validated when saved through the admin; one written some other way that
    # shapely cannot read must not stop every other area from routing.
    try:
        geometry = shape(polygon)
    except Exception:
        return None
    if geometry.is_empty or geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        return None
    return geometry


def area_index() -> AreaIndex:
    global _index
    with _lock:
        stale = _index is None or time.monotonic() - _index.built_at > AREA_INDEX_TTL_SECONDS
        if stale:
            _index = build_area_index()
        assert _index is not None
        return _index


def clear_area_index(*args: Any, **kwargs: Any) -> None:
    """Forgets the index (a signal receiver for Area saves and deletes)."""
    global _index
    with _lock:
        _index = None


def area_for_point(*, lat: float, lng: float, within: Area | None = None) -> Area | None:
    """The most specific area whose boundary holds the point, optionally only inside `within`'s
    subtree; None when no boundary holds it."""
    found = area_index().lookup(lat, lng, within.path if within is not None else None)
    if found is None:
        return None
    return Area.objects.filter(pk=found.area_id).first()
