"""Shared helpers for the API and service tests: post JSON, create cases, walk a case through
its life with the roles that may take each step, and read what the database holds."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib
from typing import Any

from django.test import Client

from civicdesk.cases.models import Case, CaseClock, CaseEvent
from civicdesk.organization.models import User
from tests.conftest import World, case_payload

# The role that takes each action in the walks below, and a valid body for it.
ACTION_ACTOR = {
    "accept": "clerk",
    "not_accept": "clerk",
    "redirect": "clerk",
    "dispatch": "dispatcher",
    "sign": "handler",
    "return": "handler",
    "extend": "leader",
    "suspend": "handler",
    "resume": "handler",
    "report": "handler",
    "send_back": "dispatcher",
    "reply": "clerk",
    "follow_up": "clerk",
    "reopen": "dispatcher",
    "request_review": "clerk",
    "escalate": "dispatcher",
    "merge": "clerk",
    "close": "dispatcher",
}

ACTION_BODY: dict[str, dict[str, Any]] = {
    "accept": {"note": "符合受理条件"},
    "not_accept": {"reason": "不属于本中心受理范围", "proper_channel": "向县法院提起诉讼"},
    "redirect": {"procedure": "litigation", "reason": "属于民事诉讼事项"},
    "dispatch": {"department": "D-HRSS", "leader": "leader", "handler": "handler"},
    "sign": {"note": "已签收"},
    "return": {"reason": "不属于本部门职责"},
    "extend": {"days": 5, "reason": "需要补充调查"},
    "suspend": {"reason": "等待司法鉴定结果"},
    "resume": {"note": "鉴定结果已出"},
    "report": {"result": "已督促企业支付拖欠工资", "reply": "经调查，企业已支付全部拖欠工资。"},
    "send_back": {"reason": "报告不完整"},
    "reply": {"delivered_via": "in_person"},
    "follow_up": {"satisfaction": "satisfied", "note": "群众表示满意"},
    "reopen": {"reason": "群众反映问题未解决"},
    "request_review": {"reason": "对处理意见不服，申请复查"},
    "escalate": {"reason": "涉及多个部门，需上级协调"},
    "close": {"note": "结案"},
}

# Real actions that lead from `received` to each status (merge is handled separately: it
# needs a master case).
PATHS: dict[str, list[str]] = {
    "received": [],
    "accepted": ["accept"],
    "not_accepted": ["not_accept"],
    "redirected": ["redirect"],
    "dispatched": ["accept", "dispatch"],
    "returned": ["accept", "dispatch", "return"],
    "in_progress": ["accept", "dispatch", "sign"],
    "suspended": ["accept", "dispatch", "sign", "suspend"],
    "reported": ["accept", "dispatch", "sign", "report"],
    "replied": ["accept", "dispatch", "sign", "report", "reply"],
    "reopened": ["accept", "dispatch", "sign", "report", "reply", "reopen"],
    "escalated": ["escalate"],
    "closed": ["accept", "dispatch", "sign", "report", "reply", "follow_up", "close"],
    "merged": ["merge"],
}


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def create_case(world: World, username: str = "clerk", **overrides: Any) -> dict[str, Any]:
    response = post_json(world.client(username), "/api/v1/cases", case_payload(world, **overrides))
    assert response.status_code == 201, response.content
    return response.json()


def act(
    world: World, case_id: int, action: str, username: str | None = None, **body: Any
) -> Any:
    """POSTs one action; the body defaults to ACTION_BODY[action] updated by `body`."""
    data = {**ACTION_BODY.get(action, {}), **body}
    client = world.client(username or ACTION_ACTOR[action])
    return post_json(client, f"/api/v1/cases/{case_id}/actions/{action}", data)


def act_ok(world: World, case_id: int, action: str, username: str | None = None,
           **body: Any) -> dict[str, Any]:
    response = act(world, case_id, action, username, **body)
    assert response.status_code == 200, (action, response.status_code, response.content)
    return response.json()


def drive_to(world: World, status: str, **create: Any) -> int:
    """Creates a case and walks it to `status` with real actions through the API."""
    case_id = create_case(world, **create)["id"]
    for action in PATHS[status]:
        if action == "merge":
            master = create_case(world, title="同一事项的主案件", **create)["id"]
            act_ok(world, case_id, "merge", into=master)
        else:
            act_ok(world, case_id, action)
    assert Case.objects.get(pk=case_id).status == status
    return case_id


def snapshot(case_id: int) -> tuple[Any, ...]:
    """What an action that must write nothing would change."""
    case = Case.objects.get(pk=case_id)
    return (
        case.status,
        case.version,
        CaseEvent.objects.filter(case_id=case_id).count(),
        CaseClock.objects.filter(case_id=case_id).count(),
        tuple(CaseClock.objects.filter(case_id=case_id).order_by("id")
              .values_list("state", "due_at", "extended_by", "paused_units")),
    )


def event_kinds(case_id: int) -> list[str]:
    return list(CaseEvent.objects.filter(case_id=case_id).order_by("at", "id")
                .values_list("kind", flat=True))


def clock_states(case_json: dict[str, Any]) -> dict[str, str]:
    return {d["kind"]: d["state"] for d in case_json["deadlines"]}


def fresh_user(username: str) -> User:
    """A new instance (no cached grants), e.g. one per thread."""
    return User.objects.get(username=username)


def tiny_png() -> bytes:
    """A valid 1x1 PNG built by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def local_date_of(moment: dt.datetime) -> dt.date:
    from civicdesk.cases.deadlines import local_zone

    return moment.astimezone(local_zone()).date()
