"""Reads for the intake desk: what the pickers search, who has been here before, and which
recent cases look like the one being typed. Every read of cases respects the user's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from civicdesk.cases.choices import Action
from civicdesk.cases.choices import Status as S
from civicdesk.cases.models import Case, CaseParty, Category
from civicdesk.cases.permissions import ACTION_ROLES, grants_for
from civicdesk.cases.search import segment
from civicdesk.cases.selectors import cases_visible_to
from civicdesk.cases.validation import normalise_phone
from civicdesk.organization.models import Area

# Categories and areas change a few times a year; the index is rebuilt at most this often even
# when a save in another process did not reach this process's cache.
INDEX_TTL_SECONDS = 300
PHONE_MATCH_LIMIT = 10
DUPLICATE_WINDOW = dt.timedelta(days=30)
DUPLICATE_LIMIT = 5
# The newest cases of one area and category that are compared word by word: a bound on the
# work per keystroke pause, whatever the case load.
DUPLICATE_CANDIDATES = 200
# A case counts as similar when this share of the two texts' words is shared (Dice).
DUPLICATE_MIN_SIMILARITY = 0.2

_CATEGORY_KEY = "civicdesk:lookups:categories:v1"
_AREA_KEY = "civicdesk:lookups:areas:v1"


def pinyin_keys(text: str) -> tuple[str, str]:
    """(initials, full pinyin) without tones or spaces: 工资拖欠 -> ("gztq", "gongzituoqian")."""
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore"))
    full = "".join(lazy_pinyin(text, errors="ignore"))
    return initials.lower(), full.lower()


# --- categories ------------------------------------------------------------------------------


def category_index() -> list[dict[str, Any]]:
    """Every active category with what the picker matches on, built once and cached."""
    index = cache.get(_CATEGORY_KEY)
    if index is None:
        index = _build_category_index()
        cache.set(_CATEGORY_KEY, index, INDEX_TTL_SECONDS)
    return list(index)


def _build_category_index() -> list[dict[str, Any]]:
    rows = Category.objects.filter(active=True).select_related("parent").order_by("code")
    index = []
    for category in rows:
        initials, full = pinyin_keys(category.name_zh)
        index.append(
            {
                "code": category.code,
                "zh": category.name_zh,
                "en": category.name_en,
                "type": category.case_type,
                "parent_zh": category.parent.name_zh if category.parent else "",
                "parent_en": category.parent.name_en if category.parent else "",
                "initials": initials,
                "pinyin": full,
            }
        )
    return index


# --- areas -----------------------------------------------------------------------------------


def area_index_for(user: Any) -> list[dict[str, Any]]:
    """The areas `user` may register cases in, each with its search keys."""
    paths = _create_paths(user)
    if not paths:
        return []
    return [area for area in _all_areas() if any(area["path"].startswith(p) for p in paths)]


def _create_paths(user: Any) -> list[str]:
    roles = ACTION_ROLES[Action.CREATE]
    return [g.area_path for g in grants_for(user) if g.role in roles and g.area_path]


def _all_areas() -> list[dict[str, Any]]:
    index = cache.get(_AREA_KEY)
    if index is None:
        index = _build_area_index()
        cache.set(_AREA_KEY, index, INDEX_TTL_SECONDS)
    return list(index)


def _build_area_index() -> list[dict[str, Any]]:
    names = dict(Area.objects.values_list("code", "name"))
    index = []
    for code, name, path, level in Area.objects.values_list("code", "name", "path", "level"):
        initials, full = pinyin_keys(name)
        parents = [names.get(part, "") for part in path.strip("/").split("/")[:-1]]
        index.append(
            {
                "code": code,
                "name": name,
                "path": path,
                "level": level,
                # The township (and village) above, so two 第一网格 can be told apart.
                "within": " ".join(parents[1:]),
                "initials": initials,
                "pinyin": full,
            }
        )
    return index


def forget_indexes(**kwargs: Any) -> None:
    cache.delete_many([_CATEGORY_KEY, _AREA_KEY])


# Connected here rather than in an AppConfig: the indexes live in this module, and whatever
# reads them has imported it. Other processes fall back to INDEX_TTL_SECONDS.
for _model in (Category, Area):
    post_save.connect(forget_indexes, sender=_model, dispatch_uid=f"lookups-{_model.__name__}")
    post_delete.connect(
        forget_indexes, sender=_model, dispatch_uid=f"lookups-del-{_model.__name__}"
    )


# --- earlier cases of the same person ----------------------------------------------------------


def cases_for_phone(*, user: Any, phone: str) -> list[Case]:
    """The newest cases (at most ten) in the user's scope with a party at this phone number."""
    number = normalise_phone(phone.strip())
    if len(number) < 7:
        return []
    # Phones are encrypted: the keyed hash of the number finds them (civicdesk/core/crypto.py).
    with_phone = CaseParty.objects.filter(
        phone_index=CaseParty.phone_index_of(number)
    ).values("case_id")
    return list(
        cases_visible_to(user)
        .filter(id__in=with_phone)
        .select_related("category")
        .order_by("-received_at", "-id")[:PHONE_MATCH_LIMIT]
    )


# --- possible duplicates ---------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarCase:
    case: Case
    similarity: float

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)


def similar_cases(
    *,
    user: Any,
    text: str,
    category_code: str,
    area_code: str,
    exclude_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[SimilarCase]:
    """Up to five cases the user can see, from the last 30 days, in the same area and category,
    whose words overlap the text most; none when area, category or text is missing."""
    words = significant_words(text)
    if not words or not category_code or not area_code:
        return []
    since = (now or timezone.now()) - DUPLICATE_WINDOW
    candidates = (
        cases_visible_to(user)
        .filter(category__code=category_code, area__code=area_code, received_at__gte=since)
        .exclude(Q(status=S.MERGED) | Q(pk=exclude_id or 0))
        .select_related("search", "category")
        .order_by("-received_at", "-id")[:DUPLICATE_CANDIDATES]
    )
    scored = []
    for case in candidates:
        # CaseSearch.words is already segmented the same way (search mode), space-separated.
        other = _long_words(case.search.words.split()) if hasattr(case, "search") else set()
        score = similarity(words, other)
        if score >= DUPLICATE_MIN_SIMILARITY:
            scored.append(SimilarCase(case, score))
    scored.sort(key=lambda s: (-s.similarity, -s.case.pk))
    return scored[:DUPLICATE_LIMIT]


def significant_words(text: str) -> set[str]:
    """The jieba words of a text, less single characters (的, 某, 了 say nothing alike)."""
    return _long_words(segment(text).split())


def _long_words(words: list[str]) -> set[str]:
    return {word for word in words if len(word) > 1}


def similarity(first: set[str], second: set[str]) -> float:
    """Dice's coefficient: shared words over the average word count of the two texts."""
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))
