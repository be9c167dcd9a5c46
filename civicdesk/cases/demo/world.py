"""The world the generator draws from: the organisation read once into plain values (categories
with their clock rules and texts, areas by township, who works where), so no case needs a query.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from civicdesk.cases.choices import ClockKind, TimeUnit
from civicdesk.cases.deadline_rules import ClockRule, default_rules_for, effective_rule
from civicdesk.cases.demo import content
from civicdesk.cases.demo.organisation import DemoOrg
from civicdesk.cases.demo.texts import Template
from civicdesk.organization.models import Area, Centre


@dataclass(frozen=True)
class LeafInfo:
    leaf: content.Leaf
    category_id: int
    case_type: str
    department_id: int
    department_code: str
    department_name: str
    township: int | None  # the department's own township: its cases happen there
    rules: tuple[ClockRule, ...]
    pairs: tuple[tuple[Template, Template], ...]
    result: Template

    def rules_for(self, params: dict[str, Any]) -> tuple[ClockRule, ...]:
        """As clocks.rules_for_case: a hazard's own rectification period beats the category's."""
        days = params.get("rectification_days")
        if not days:
            return self.rules
        return tuple(
            replace(rule, length=int(days), unit=TimeUnit.DAYS)
            if rule.kind == ClockKind.RECTIFICATION
            else rule
            for rule in self.rules
        )


@dataclass(frozen=True)
class AreaInfo:
    id: int
    code: str
    place: str  # the village/community (or township) a resident would name
    township: int
    township_name: str
    centre_id: int
    centre_code: str


@dataclass
class World:
    """Everything case generation needs, as plain values: no query per case."""

    leaves: list[LeafInfo]
    leaf_weights: list[int]
    areas_by_township: list[list[AreaInfo]]
    area_weights_by_township: list[list[int]]
    township_weights: list[int]
    user_ids: dict[str, int]
    handlers_by_department: dict[str, tuple[str, ...]]
    signers_by_department: dict[str, tuple[str, ...]]
    county_centre_id: int
    county_centre_code: str
    basis: dict[tuple[str, str], str] = field(default_factory=dict)


def load_world(org: DemoOrg) -> World:
    departments = org.departments
    township_of_area = _township_index_by_code(org)
    leaves = [
        _leaf_info(leaf, group.case_type, org, township_of_area)
        for group in content.CATEGORY_GROUPS
        for leaf in group.leaves
    ]
    areas, weights = _areas_by_township(org)
    handlers, signers = _department_staff()
    centre = org.centres[content.COUNTY_CENTRE]
    world = World(
        leaves=leaves,
        leaf_weights=[info.leaf.weight for info in leaves],
        areas_by_township=areas,
        area_weights_by_township=weights,
        township_weights=[45, 30, 25][: len(org.townships)],
        user_ids={name: user.pk for name, user in org.users.items()},
        handlers_by_department=handlers,
        signers_by_department=signers,
        county_centre_id=centre.pk,
        county_centre_code=centre.code,
    )
    assert set(handlers) <= set(departments)
    return world


def _township_index_by_code(org: DemoOrg) -> dict[str, int]:
    index = {}
    for number, township in enumerate(org.townships):
        index[township.code] = number
        for area in (*org.villages, *org.grids):
            if area.code.startswith(township.code):
                index[area.code] = number
    return index


def _leaf_info(
    leaf: content.Leaf, case_type: str, org: DemoOrg, township_of_area: dict[str, int]
) -> LeafInfo:
    category = org.categories[leaf.code]
    department = org.departments[leaf.department]
    policy = category.deadline_policy or {}
    rules = tuple(
        effective_rule(rule, category_policy=policy) for rule in default_rules_for(case_type)
    )
    return LeafInfo(
        leaf=leaf,
        category_id=category.pk,
        case_type=case_type,
        department_id=department.pk,
        department_code=department.code,
        department_name=department.name,
        township=township_of_area.get(department.area.code),
        rules=rules,
        pairs=tuple((Template.parse(t), Template.parse(d)) for t, d in leaf.text.pairs),
        result=Template.parse(leaf.text.result),
    )


def _areas_by_township(org: DemoOrg) -> tuple[list[list[AreaInfo]], list[list[int]]]:
    """Where cases happen: mostly grids, some villages, a few the township as a whole."""
    areas: list[list[AreaInfo]] = []
    weights: list[list[int]] = []
    villages_by_code = {v.code: v for v in org.villages}
    for number, township in enumerate(org.townships):
        centre = org.centres[f"C-{township.code}"]

        def info(
            area: Area, place: str, n: int = number, t: Area = township, c: Centre = centre
        ) -> AreaInfo:
            return AreaInfo(area.pk, area.code, place, n, t.name, c.pk, c.code)

        row = [info(township, township.name)]
        row_weights = [2]
        for village in org.villages:
            if village.parent_id == township.pk:
                row.append(info(village, village.name))
                row_weights.append(4)
        for grid in org.grids:
            parent = villages_by_code.get(grid.code[:-3])
            if parent is not None and parent.parent_id == township.pk:
                row.append(info(grid, parent.name))
                row_weights.append(5)
        areas.append(row)
        weights.append(row_weights)
    return areas, weights


def _department_staff() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Handlers of each department (the demo handler twice, so they carry most of the demo
    department's cases) and everyone who may sign for it (handlers and heads)."""
    handlers: dict[str, list[str]] = {}
    heads: dict[str, list[str]] = {}
    for spec in (*content.DEMO_ACCOUNTS, *content.OTHER_STAFF):
        for role, _area, department in spec.grants:
            if department and role == "handler":
                handlers.setdefault(department, []).append(spec.username)
            elif department and role == "dept_head":
                heads.setdefault(department, []).append(spec.username)
    handlers.setdefault(content.DEMO_DEPARTMENT, []).append("handler")
    return (
        {code: tuple(names) for code, names in handlers.items()},
        {code: tuple(names + heads.get(code, [])) for code, names in handlers.items()},
    )
