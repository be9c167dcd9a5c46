from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import shape

from civicdesk.organization.choices import AREA_LEVEL_ORDER

if TYPE_CHECKING:
    from civicdesk.organization.models import Area


def validate_area_parent(*, level: str, parent: Area | None, area: Area | None = None) -> None:
    rank = AREA_LEVEL_ORDER.index(level)
    if parent is None:
        if rank != 0:
            raise ValidationError({"parent": _("Only a county/district area has no parent.")})
        return
    if AREA_LEVEL_ORDER.index(parent.level) != rank - 1:
        raise ValidationError({"parent": _("The parent must be exactly one level above.")})
    if area is not None and area.pk and parent.path.startswith(area.path or "\0"):
        raise ValidationError({"parent": _("An area cannot sit inside its own subtree.")})


def validate_polygon(geojson: Any) -> None:
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(
            {"polygon": _("The boundary must be a GeoJSON Polygon or MultiPolygon.")}
        )
    try:
        geometry = shape(geojson)
    except Exception:  # shapely raises several types for malformed coordinates
        raise ValidationError({"polygon": _("The boundary's coordinates are malformed.")}) from None
    if not geometry.is_valid or geometry.is_empty:
        raise ValidationError(
            {"polygon": _("The boundary is not a valid polygon (it crosses itself or is empty).")}
        )
