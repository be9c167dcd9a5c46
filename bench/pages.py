"""Server time of the workbench pages: `bench/pages.py` against an existing database.

    DATABASE_URL=... .venv/bin/python bench/pages.py [--requests 60] [--doc]

The database must hold the demo county (`manage.py seed_demo --cases N`). Each page is requested
in-process through Django's test client as a signed-in demo user, so the time is the server's
own (middleware, view, queries, template), without network or WSGI server. For each page: p50 and
p95 over --requests requests after 3 warm-up requests, and the number of SQL queries. Results go
to bench/results/pages-<timestamp>.json; --doc also rewrites the "Workbench pages" section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicdesk.config.settings")
# The same keys bench/stage.py seeds with, unless the caller names their own (decision 0028).
from keys import bench_key_files  # noqa: E402

for _setting, _path in bench_key_files(ROOT).items():
    os.environ.setdefault(_setting, _path)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from floors import percentile  # noqa: E402

from civicdesk.cases.models import Case, Category  # noqa: E402
from civicdesk.organization.models import Area, RoleAssignment, User  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- pages:start -->", "<!-- pages:end -->"
TARGET_P95_MS = 100.0


def signed_in(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(User.objects.get(username=username))
    return client


def measure(call: Callable[[int], Any], requests: int) -> dict[str, Any]:
    for i in range(3):
        call(i)
    times, queries = [], []
    for i in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = call(i)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code not in (200, 302):
            raise SystemExit(f"unexpected {response.status_code}")
        queries.append(len(captured.captured_queries))
    p95 = percentile(times, 0.95)
    return {
        "p50_ms": round(percentile(times, 0.5) or 0, 1),
        "p95_ms": round(p95 or 0, 1),
        "max_ms": round(max(times), 1),
        "queries": max(queries),
        "met": p95 is not None and p95 <= TARGET_P95_MS,
        "requests": requests,
    }


def get(client: Client, urls: list[str]) -> Callable[[int], Any]:
    return lambda i: client.get(urls[i % len(urls)])


def sample_case_urls(queryset: Any, n: int = 200) -> list[str]:
    ids = list(queryset.order_by("-id").values_list("id", flat=True)[:20000])
    random.Random(1).shuffle(ids)
    return [f"/cases/{pk}/" for pk in ids[:n]]


def intake_post(client: Client) -> Callable[[int], Any]:
    category = Category.objects.filter(active=True, code__startswith="REQ").exclude(
        parent=None
    ).first() or Category.objects.filter(active=True).exclude(parent=None).first()
    assert category is not None
    area = Area.objects.filter(level="village").order_by("code").first()
    assert area is not None

    def call(i: int) -> Any:
        return client.post(
            "/intake/",
            {
                "type": category.case_type,
                "channel": "walk_in",
                "category": category.code,
                "title": "工地拖欠三个月工资",
                "description": "申请人称在某工地务工，工资被拖欠三个月共计一万二千元，请求协调。",
                "area": area.code,
                "address": "青溪县某工地",
                "priority": "normal",
                "idempotency_key": uuid.uuid4().hex,
                "party-0-role": "requester",
                "party-0-name": "王某某",
                "party-0-phone": f"1380013{i % 10000:04d}",
            },
        )

    return call


def portal_submit() -> Callable[[int], Any]:
    """A resident's report from the portal, without photos (their re-encoding is the
    upload's own cost, not the page's). Rate limits are off for the measurement."""
    category = Category.objects.filter(public=True, active=True, case_type="request").exclude(
        parent=None
    ).first()
    assert category is not None
    area = Area.objects.filter(level="village").order_by("code").first()
    assert area is not None
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")

    def call(i: int) -> Any:
        return client.post(
            "/portal/submit/",
            {
                "category": category.code,
                "description": "小区门口路灯坏了两个星期，晚上出行不便，请尽快修复。",
                "address": "青溪县某小区门口",
                "area": area.code,
                "name": "李某某",
                "phone": f"1390013{i % 10000:04d}",
                "idempotency_key": uuid.uuid4().hex,
                "website": "",
            },
        )

    return call


def portal_case_pages(n: int = 200) -> Callable[[int], Any]:
    """A resident reading their case: the visit has proved each code (the session is granted
    directly, as a successful proof would), so this is the page alone."""
    from civicdesk.portal import access

    codes = list(
        Case.objects.order_by("-id").values_list("receipt_code", flat=True)[:20000]
    )
    random.Random(2).shuffle(codes)
    codes = codes[:n]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    session = client.session
    for code in codes:
        session.setdefault(access.SESSION_KEY, {})[code] = dt.datetime.now(
            dt.UTC
        ).isoformat()
    session.save()
    return lambda i: client.get(f"/track/{codes[i % len(codes)]}/")


def run(requests: int) -> dict[str, Any]:
    dispatcher, handler = signed_in("dispatcher"), signed_in("handler")
    department_id = (
        RoleAssignment.objects.filter(user__username="handler")
        .exclude(department=None)
        .values_list("department_id", flat=True)
        .first()
    )
    department_code = Case.objects.filter(department_id=department_id).values_list(
        "department__code", flat=True
    ).first()
    pages = {
        "queue, dispatcher, no filter": get(dispatcher, ["/cases/"]),
        "queue, dispatcher, status=in_progress": get(dispatcher, ["/cases/?status=in_progress"]),
        "queue, dispatcher, overdue": get(dispatcher, ["/cases/?overdue=true"]),
        "queue, dispatcher, q=工资": get(dispatcher, ["/cases/?q=工资"]),
        "queue, dispatcher, page 50": get(dispatcher, ["/cases/?page=50"]),
        "queue, handler, own department": get(handler, [f"/cases/?department={department_code}"]),
        "case page, dispatcher": get(dispatcher, sample_case_urls(Case.objects.all())),
        "case page, handler": get(
            handler, sample_case_urls(Case.objects.filter(department_id=department_id))
        ),
        "home, dispatcher": get(dispatcher, ["/"]),
        "supervision board, dispatcher": get(dispatcher, ["/supervision/"]),
        "intake submit, clerk": intake_post(signed_in("clerk")),
        "portal submit, resident": portal_submit(),
        "portal case page, resident": portal_case_pages(),
    }
    results = {}
    for name, call in pages.items():
        results[name] = measure(call, requests)
        print(f"{name:42} {results[name]}", flush=True)
    return {
        "cases": Case.objects.count(),
        "database": connection.vendor,
        "at": dt.datetime.now().astimezone().isoformat(timespec="minutes"),
        "command": " ".join(sys.argv),
        "results": results,
    }


def render(run_result: dict[str, Any]) -> str:
    lines = [
        START,
        "## Workbench pages (server time, in-process)",
        "",
        "Measured {at} on {database} with {cases:,} cases: `DATABASE_URL=... "
        ".venv/bin/python bench/pages.py --requests N --doc` (the database seeded with "
        "`manage.py seed_demo --cases 1000000`). Target: p95 ≤ {t:.0f} ms.".format(
            t=TARGET_P95_MS, **run_result
        ),
        "",
        "| page | p50 ms | p95 ms | max ms | queries | p95 ≤ 100 ms |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in run_result["results"].items():
        lines.append(
            "| {} | {p50_ms} | {p95_ms} | {max_ms} | {queries} | {} |".format(
                name, "met" if r["met"] else "**missed**", **r
            )
        )
    lines.append(END)
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    from django.conf import settings

    settings.CIVICDESK_RATELIMIT_ENABLED = False
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--doc", action="store_true")
    args = parser.parse_args()
    result = run(args.requests)
    out = BENCH / "results" / f"pages-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    if args.doc:
        write_doc(render(result))
    print(out)


if __name__ == "__main__":
    main()
