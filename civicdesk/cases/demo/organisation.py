"""The demo county as models: areas, centres, departments, staff, categories and this week's
duty roster. It is small, so it goes through the ORM (unlike the cases, see writer.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from civicdesk.cases.deadlines import local_zone
from civicdesk.cases.demo import content
from civicdesk.cases.models import Category
from civicdesk.organization.choices import AreaLevel, DutyPost
from civicdesk.organization.models import (
    Area,
    Centre,
    Department,
    DutyShift,
    RoleAssignment,
    User,
)


@dataclass
class DemoOrg:
    county: Area
    townships: list[Area]
    villages: list[Area]
    grids: list[Area]
    centres: dict[str, Centre]
    departments: dict[str, Department]
    users: dict[str, User]
    categories: dict[str, Category]


def demo_org_exists() -> bool:
    return Area.objects.exists()


def load_organisation() -> DemoOrg:
    """The demo county as build_organisation made it, read back (e.g. to regenerate cases)."""
    county = Area.objects.get(code=content.COUNTY_CODE)
    areas = list(Area.objects.filter(path__startswith=county.path).order_by("path"))
    return DemoOrg(
        county=county,
        townships=[a for a in areas if a.level == AreaLevel.TOWNSHIP],
        villages=[a for a in areas if a.level == AreaLevel.VILLAGE],
        grids=[a for a in areas if a.level == AreaLevel.GRID],
        centres={c.code: c for c in Centre.objects.all()},
        departments={d.code: d for d in Department.objects.select_related("area")},
        users={u.username: u for u in User.objects.all()},
        categories={c.code: c for c in Category.objects.all()},
    )


@transaction.atomic
def build_organisation(*, now: dt.datetime) -> DemoOrg:
    county = Area.objects.create(
        code=content.COUNTY_CODE, name=content.COUNTY_NAME, level=AreaLevel.COUNTY
    )
    townships, villages, grids = _build_areas(county)
    centres = _build_centres(county, townships)
    departments = _build_departments()
    users = _build_staff(centres, departments)
    categories = _build_categories(departments)
    _build_duty_roster(centres, users, now=now)
    return DemoOrg(county, townships, villages, grids, centres, departments, users, categories)


def _build_areas(county: Area) -> tuple[list[Area], list[Area], list[Area]]:
    townships, villages, grids = [], [], []
    for index, spec in enumerate(content.TOWNSHIPS):
        township = Area.objects.create(
            code=county.code + spec.suffix,
            name=spec.name,
            level=AreaLevel.TOWNSHIP,
            parent=county,
            polygon=_township_box(index),
        )
        townships.append(township)
        for village_spec in spec.villages:
            village = Area.objects.create(
                code=township.code + village_spec.suffix,
                name=village_spec.name,
                level=AreaLevel.VILLAGE,
                parent=township,
            )
            villages.append(village)
            for number in range(1, village_spec.grids + 1):
                grids.append(
                    Area.objects.create(
                        code=f"{village.code}{number:03d}",
                        name=f"{village.name}第{number}网格",
                        level=AreaLevel.GRID,
                        parent=village,
                    )
                )
    return townships, villages, grids


def _township_box(index: int) -> dict[str, Any]:
    """A made-up boundary around where the demo places the township's cases (generator.py),
    so that a pin dropped on the portal's map finds its township."""
    lat = content.COUNTY_LAT + index * 0.03
    lng = content.COUNTY_LNG + index * 0.04
    south, north, west, east = lat - 0.015, lat + 0.015, lng - 0.02, lng + 0.02
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _build_centres(county: Area, townships: list[Area]) -> dict[str, Centre]:
    top = Centre.objects.create(
        code=content.COUNTY_CENTRE, name=f"{county.name}社会治理综合服务中心", area=county
    )
    centres = {top.code: top}
    for township in townships:
        centre = Centre.objects.create(
            code=f"C-{township.code}", name=f"{township.name}综治中心", area=township, parent=top
        )
        centres[centre.code] = centre
    return centres


def _build_departments() -> dict[str, Department]:
    areas = {a.code: a for a in Area.objects.all()}
    return {
        spec.code: Department.objects.create(
            code=spec.code,
            name=spec.name,
            name_en=spec.name_en,
            kind=spec.kind,
            area=areas[spec.area],
        )
        for spec in content.DEPARTMENTS
    }


def _build_staff(centres: dict[str, Centre], departments: dict[str, Department]) -> dict[str, User]:
    areas = {a.code: a for a in Area.objects.all()}
    # One hash for everyone: hashing (argon2) is slow on purpose, and the password is shared.
    password = make_password(content.DEMO_PASSWORD)
    users = {}
    for spec in (*content.DEMO_ACCOUNTS, *content.OTHER_STAFF):
        user = User.objects.create(
            username=spec.username,
            display_name=spec.display_name,
            password=password,
            centre=centres[spec.centre] if spec.centre else None,
            is_staff=spec.superuser,
            is_superuser=spec.superuser,
        )
        for role, area_code, department_code in spec.grants:
            RoleAssignment.objects.create(
                user=user,
                role=role,
                area=areas[area_code] if area_code else None,
                department=departments[department_code] if department_code else None,
            )
        users[spec.username] = user
    return users


def _build_categories(departments: dict[str, Department]) -> dict[str, Category]:
    categories = {}
    for group in content.CATEGORY_GROUPS:
        parent = Category.objects.create(
            code=group.code,
            name_zh=group.name_zh,
            name_en=group.name_en,
            case_type=group.case_type,
        )
        categories[parent.code] = parent
        for leaf in group.leaves:
            categories[leaf.code] = Category.objects.create(
                code=leaf.code,
                name_zh=leaf.name_zh,
                name_en=leaf.name_en,
                parent=parent,
                case_type=group.case_type,
                default_department=departments[leaf.department],
                deadline_policy=leaf.policy,
            )
    return categories


def _build_duty_roster(
    centres: dict[str, Centre], users: dict[str, User], *, now: dt.datetime
) -> None:
    """A 24-hour roster for the current week (Monday to Sunday), shifts changing at 08:30."""
    today = now.astimezone(local_zone()).date()
    monday = today - dt.timedelta(days=today.weekday())
    shifts = []
    for centre_code, pool in content.DUTY_POOLS.items():
        for offset in range(7):
            starts = dt.datetime.combine(
                monday + dt.timedelta(days=offset), dt.time(8, 30), tzinfo=local_zone()
            )
            for post, shift in ((DutyPost.A, 0), (DutyPost.B, 1)):
                shifts.append(
                    DutyShift(
                        centre=centres[centre_code],
                        post=post,
                        user=users[pool[(offset + shift) % len(pool)]],
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(days=1),
                    )
                )
    DutyShift.objects.bulk_create(shifts)
