"""The intake look-ups: picker indexes, earlier cases by phone, similar recent cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from civicdesk.cases import lookups
from civicdesk.cases.intake import case_create
from civicdesk.cases.models import Case, Category
from tests.conftest import World, case_payload


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def register(world: World, username: str = "clerk", **overrides: Any) -> Case:
    case, _created = case_create(actor=world.users[username], data=case_payload(world, **overrides))
    return case


def days_ago(days: int) -> str:
    return (timezone.now() - dt.timedelta(days=days)).isoformat()


# --- pickers ---------------------------------------------------------------------------------


def test_pinyin_keys_give_initials_and_full_pinyin() -> None:
    assert lookups.pinyin_keys("工资拖欠") == ("gztq", "gongzituoqian")


def test_category_index_holds_active_categories_with_pinyin(world: World) -> None:
    Category.objects.filter(code="INC-FIRE").update(active=False)
    index = {entry["code"]: entry for entry in lookups.category_index()}
    assert "INC-FIRE" not in index
    wage = index["REQ-WAGE"]
    assert (wage["zh"], wage["type"], wage["initials"], wage["pinyin"]) == (
        "工资拖欠",
        "request",
        "gztq",
        "gongzituoqian",
    )


def test_category_index_is_cached_and_rebuilt_when_a_category_is_saved(
    world: World, django_assert_num_queries: Any
) -> None:
    lookups.category_index()
    with django_assert_num_queries(0):
        lookups.category_index()
    category = world.categories["REQ-WAGE"]
    category.name_zh = "欠薪"
    category.save()
    wage = next(e for e in lookups.category_index() if e["code"] == "REQ-WAGE")
    assert (wage["zh"], wage["initials"]) == ("欠薪", "qx")


def test_area_index_holds_only_areas_the_user_may_register_in(world: World) -> None:
    county_codes = {a["code"] for a in lookups.area_index_for(world.users["clerk"])}
    assert {world.county.code, world.village_a.code, world.grid_a.code} <= county_codes
    town_codes = {a["code"] for a in lookups.area_index_for(world.users["town_clerk"])}
    assert town_codes == {world.town_b.code, world.village_b.code}
    assert lookups.area_index_for(world.users["auditor"]) == []
    assert lookups.area_index_for(world.users["handler"]) == []
    grid = next(a for a in lookups.area_index_for(world.users["grid_worker"]))
    assert (grid["code"], grid["initials"]) == (world.grid_a.code, "dmsqdywg")


# --- phone -----------------------------------------------------------------------------------


def party(phone: str) -> list[dict[str, str]]:
    return [{"role": "requester", "name": "李四", "phone": phone}]


def test_cases_for_phone_are_newest_first_and_normalised(world: World) -> None:
    older = register(world, parties=party("13900001111"), received_at=days_ago(3))
    newer = register(world, parties=party("13900001111"), received_at=days_ago(1))
    register(world, parties=party("13900002222"))
    found = lookups.cases_for_phone(user=world.users["clerk"], phone="+86 139 0000 1111")
    assert [c.pk for c in found] == [newer.pk, older.pk]


def test_cases_for_phone_stay_in_scope(world: World) -> None:
    in_town_a = register(world, parties=party("13900001111"))
    in_town_b = register(
        world, "town_clerk", parties=party("13900001111"), area=world.village_b.code
    )
    assert {
        c.pk for c in lookups.cases_for_phone(user=world.users["clerk"], phone="13900001111")
    } == {
        in_town_a.pk,
        in_town_b.pk,
    }
    town = lookups.cases_for_phone(user=world.users["town_clerk"], phone="13900001111")
    assert [c.pk for c in town] == [in_town_b.pk]
    assert lookups.cases_for_phone(user=world.users["auditor"], phone="139") == []


def test_cases_for_phone_shows_at_most_ten(world: World) -> None:
    for _ in range(11):
        register(world, parties=party("13900001111"))
    assert len(lookups.cases_for_phone(user=world.users["clerk"], phone="13900001111")) == 10


# --- similar cases ---------------------------------------------------------------------------

WAGE_TEXT = "某建筑公司拖欠农民工工资三个月，共计两万元。"


def similar(world: World, text: str, username: str = "clerk", **kw: Any) -> list[int]:
    found = lookups.similar_cases(
        user=world.users[username],
        text=text,
        category_code=kw.get("category", "REQ-WAGE"),
        area_code=kw.get("area", world.village_a.code),
    )
    return [s.case.pk for s in found]


def test_similar_cases_find_the_same_matter_and_not_an_unrelated_one(world: World) -> None:
    same = register(world, title="建筑公司拖欠工资", description=WAGE_TEXT)
    unrelated = register(world, title="申请低保", description="家庭困难，申请办理最低生活保障。")
    found = similar(world, "建筑公司拖欠农民工工资 工地老板拖欠工资三个月")
    assert same.pk in found
    assert unrelated.pk not in found


def test_similar_cases_keep_to_area_category_window_and_scope(world: World) -> None:
    register(world, description=WAGE_TEXT, area=world.village_b.code)
    register(world, description=WAGE_TEXT, received_at=days_ago(31))
    register(world, description=WAGE_TEXT, category="DSP-NEIGH", type="dispute")
    recent = register(world, description=WAGE_TEXT, received_at=days_ago(29))
    assert similar(world, WAGE_TEXT) == [recent.pk]
    assert similar(world, WAGE_TEXT, "town_clerk") == []


def test_similar_cases_need_text_area_and_category(world: World) -> None:
    register(world, description=WAGE_TEXT)
    assert similar(world, "") == []
    assert similar(world, WAGE_TEXT, category="") == []
    assert similar(world, WAGE_TEXT, area="") == []


def test_similar_cases_are_the_best_five_best_first(world: World) -> None:
    close = register(world, title="拖欠农民工工资三个月", description=WAGE_TEXT)
    for _ in range(5):
        register(world, title="工资问题", description="公司拖欠工资。")
    found = similar(world, "拖欠农民工工资三个月 " + WAGE_TEXT)
    assert len(found) == 5
    assert found[0] == close.pk


def test_similarity_is_dice_over_words() -> None:
    assert lookups.similarity({"工资", "拖欠"}, {"工资", "拖欠"}) == 1.0
    assert lookups.similarity({"工资", "拖欠"}, {"工资", "噪音"}) == 0.5
    assert lookups.similarity(set(), {"工资"}) == 0.0
    assert "的" not in lookups.significant_words("公司的工资")
