"""Shared fixtures: a small county with two townships, departments, staff of every role and a
few categories, built once per test through the models (not through the demo seeder)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from civicdesk.cases.choices import CaseType
from civicdesk.cases.models import Category
from civicdesk.organization.choices import AreaLevel, DepartmentKind, Role
from civicdesk.organization.models import Area, Centre, Department, RoleAssignment, User
from civicdesk.organization.tokens import token_issue

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, *rest: int) -> dt.datetime:
    return dt.datetime(year, month, day, *rest, tzinfo=SHANGHAI)


@dataclass
class World:
    county: Area
    town_a: Area
    town_b: Area
    village_a: Area
    village_b: Area
    grid_a: Area
    county_centre: Centre
    town_centre: Centre
    dept: Department
    other_dept: Department
    users: dict[str, User]
    categories: dict[str, Category]

    def token(self, username: str) -> str:
        return token_issue(user=self.users[username])

    def client(self, username: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.token(username)}")


def _area(code: str, name: str, level: str, parent: Area | None) -> Area:
    return Area.objects.create(code=code, name=name, level=level, parent=parent)


def _user(
    username: str, centre: Centre | None, *grants: tuple[str, Area | None, Department | None]
) -> User:
    user = User.objects.create_user(
        username=username, password="pw-" + username, display_name=username.title(), centre=centre
    )
    for role, area, department in grants:
        RoleAssignment.objects.create(user=user, role=role, area=area, department=department)
    return user


def build_world() -> World:
    county = _area("330100", "示范县", AreaLevel.COUNTY, None)
    town_a = _area("330100001", "东城街道", AreaLevel.TOWNSHIP, county)
    town_b = _area("330100002", "西山镇", AreaLevel.TOWNSHIP, county)
    village_a = _area("330100001001", "东门社区", AreaLevel.VILLAGE, town_a)
    village_b = _area("330100002001", "西山村", AreaLevel.VILLAGE, town_b)
    grid_a = _area("330100001001001", "东门社区第一网格", AreaLevel.GRID, village_a)
    county_centre = Centre.objects.create(code="C-COUNTY", name="示范县综治中心", area=county)
    town_centre = Centre.objects.create(
        code="C-EAST", name="东城街道综治中心", area=town_a, parent=county_centre
    )
    dept = Department.objects.create(
        code="D-HRSS", name="县人社局", kind=DepartmentKind.HUMAN_RESOURCES, area=county
    )
    other = Department.objects.create(
        code="D-LAND", name="国土所", kind=DepartmentKind.LAND, area=town_b
    )
    users = {
        "clerk": _user("clerk", county_centre, (Role.CLERK, county, None)),
        "dispatcher": _user("dispatcher", county_centre, (Role.DISPATCHER, county, None)),
        "handler": _user("handler", None, (Role.HANDLER, None, dept)),
        "dept_head": _user("dept_head", None, (Role.DEPT_HEAD, None, dept)),
        "leader": _user("leader", county_centre, (Role.LEADER, None, None)),
        "other_handler": _user("other_handler", None, (Role.HANDLER, None, other)),
        "town_clerk": _user("town_clerk", town_centre, (Role.CLERK, town_b, None)),
        "grid_worker": _user("grid_worker", town_centre, (Role.GRID_WORKER, grid_a, None)),
        "admin": _user("admin", county_centre, (Role.ADMIN, county, None)),
        "auditor": _user("auditor", county_centre, (Role.AUDITOR, county, None)),
    }
    categories = {}
    for code, name_zh, name_en, case_type, policy in [
        ("PET", "信访事项", "Petition matters", CaseType.PETITION, {}),
        (
            "REQ-WAGE",
            "工资拖欠",
            "Wage arrears",
            CaseType.REQUEST,
            {"handling": {"length": 5, "unit": "working_days"}},
        ),
        ("CMP-NOISE", "噪音扰民", "Noise nuisance", CaseType.COMPLAINT, {}),
        ("DSP-NEIGH", "邻里纠纷", "Neighbour dispute", CaseType.DISPUTE, {}),
        ("HAZ-FIRE", "出租房消防隐患", "Fire hazard in rental housing", CaseType.HAZARD, {}),
        ("INC-FIRE", "火灾", "Fire", CaseType.INCIDENT, {}),
    ]:
        categories[code] = Category.objects.create(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            case_type=case_type,
            default_department=dept,
            deadline_policy=policy,
        )
    return World(
        county,
        town_a,
        town_b,
        village_a,
        village_b,
        grid_a,
        county_centre,
        town_centre,
        dept,
        other,
        users,
        categories,
    )


@pytest.fixture(autouse=True)
def _two_factor_off(settings: Any) -> None:
    """Most tests sign leaders, auditors and admins in without a phone. Two-factor sign-in is
    on by default in production; the tests of it ask for the `two_factor_on` fixture."""
    settings.CIVICDESK_2FA_REQUIRED = False


@pytest.fixture(autouse=True)
def _password_age_off(settings: Any) -> None:
    """Tests travel in time across months; the password age rule has its own tests
    (tests/test_password_age.py)."""
    settings.CIVICDESK_PASSWORD_MAX_AGE_DAYS = 0


@pytest.fixture
def two_factor_on(settings: Any) -> None:
    settings.CIVICDESK_2FA_REQUIRED = True


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def case_payload(world: World, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "request",
        "channel": "walk_in",
        "category": "REQ-WAGE",
        "title": "拖欠工资三个月",
        "description": "某建筑公司拖欠农民工工资三个月，共计两万元。",
        "area": world.village_a.code,
        "address": "东门社区幸福路8号",
        "parties": [{"role": "requester", "name": "张三", "phone": "13812345678"}],
    }
    payload.update(overrides)
    return payload
