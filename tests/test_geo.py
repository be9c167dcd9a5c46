"""Point-in-area routing (civicdesk/organization/geo.py)."""

from __future__ import annotations

from typing import Any

import pytest

from civicdesk.organization.geo import area_for_point, build_area_index, clear_area_index
from civicdesk.organization.models import Area
from tests.conftest import World


def square(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def draw(area: Area, polygon: dict[str, Any] | None) -> None:
    area.polygon = polygon
    area.save()  # the save clears the cached index (open311's app config connects it)


@pytest.fixture
def mapped(world: World) -> World:
    clear_area_index()
    draw(world.county, square(120.0, 30.0, 121.0, 31.0))
    draw(world.town_a, square(120.0, 30.0, 120.5, 30.5))
    draw(world.village_a, square(120.1, 30.1, 120.3, 30.3))
    draw(world.grid_a, square(120.15, 30.15, 120.25, 30.25))
    draw(world.town_b, square(120.5, 30.5, 121.0, 31.0))
    return world


def test_the_most_specific_area_wins(mapped: World) -> None:
    assert area_for_point(lat=30.2, lng=120.2) == mapped.grid_a
    assert area_for_point(lat=30.12, lng=120.12) == mapped.village_a
    assert area_for_point(lat=30.45, lng=120.45) == mapped.town_a
    assert area_for_point(lat=30.7, lng=120.7) == mapped.town_b
    assert area_for_point(lat=30.2, lng=120.7) == mapped.county


def test_a_point_outside_every_boundary_has_no_area(mapped: World) -> None:
    assert area_for_point(lat=39.9, lng=116.4) is None


def test_a_point_on_a_boundary_belongs_to_it(mapped: World) -> None:
    assert area_for_point(lat=30.25, lng=120.2) == mapped.grid_a


def test_latitude_and_longitude_are_not_swapped(mapped: World) -> None:
    # GeoJSON stores longitude first: (lat 120.2, lng 30.2) is nowhere near the county.
    assert area_for_point(lat=120.2 - 100, lng=30.2) is None


def test_within_limits_the_search_to_a_subtree(mapped: World) -> None:
    assert area_for_point(lat=30.2, lng=120.2, within=mapped.town_b) is None
    assert area_for_point(lat=30.2, lng=120.2, within=mapped.town_a) == mapped.grid_a


def test_multipolygons_are_matched(mapped: World) -> None:
    draw(
        mapped.village_b,
        {
            "type": "MultiPolygon",
            "coordinates": [
                square(120.6, 30.6, 120.7, 30.7)["coordinates"],
                square(120.8, 30.8, 120.9, 30.9)["coordinates"],
            ],
        },
    )
    assert area_for_point(lat=30.85, lng=120.85) == mapped.village_b
    assert area_for_point(lat=30.75, lng=120.75) == mapped.town_b


def test_a_redrawn_boundary_routes_the_next_point(mapped: World) -> None:
    assert area_for_point(lat=30.2, lng=120.2) == mapped.grid_a
    draw(mapped.grid_a, None)
    assert area_for_point(lat=30.2, lng=120.2) == mapped.village_a


def test_an_unreadable_boundary_is_skipped(mapped: World) -> None:
    Area.objects.filter(pk=mapped.village_b.pk).update(polygon={"type": "Polygon"})
    clear_area_index()
    assert len(build_area_index().areas) == 5
    assert area_for_point(lat=30.2, lng=120.2) == mapped.grid_a
