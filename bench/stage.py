"""One benchmark stage: one database (DATABASE_URL), one size. Run by bench/run.py.

Steps: migrate a fresh database; time seed_demo and the raw-SQL seeding floor; intake through
gunicorn (2 workers) beside a raw-SQL intake floor; case list and case detail in-process beside
their raw SQL, interleaved A/B; the deadline sweep beside a set-based floor. Writes one JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from floors import (  # noqa: E402
    IntakeTemplate,
    detail_raw,
    intake_floor,
    latency_summary,
    list_sql,
    percentile,
    run_threads,
    scope_sql,
    seed_floor,
    sweep_floor,
    throughput,
)
from keys import bench_key_files  # noqa: E402
from rawdb import Raw, sqlite_path, vendor_of, with_database  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
T0 = time.time()


def log(msg: str) -> None:
    print(
        f"[{time.strftime('%H:%M:%S', time.gmtime())} +{time.time() - T0:6.0f}s] {msg}", flush=True
    )


def app_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(bench_key_files(ROOT))
    env.update(
        DATABASE_URL=url,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SETTINGS_MODULE="civicdesk.config.settings",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(url: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=app_env(url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def fresh_database(url: str) -> None:
    if vendor_of(url) == "sqlite":
        path = Path(sqlite_path(url))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    # PostgreSQL: the cluster made by scripts/with-postgres.sh is new; floor DBs are dropped.


# --- seeding ------------------------------------------------------------------------------


def time_seed(url: str, cases: int, seed: int, timeout: float) -> dict[str, Any]:
    cmd = [
        "/usr/bin/time",
        "-v",
        PY,
        "manage.py",
        "seed_demo",
        "--cases",
        str(cases),
        "--seed",
        str(seed),
    ]
    started = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - fixed command
        cmd, cwd=ROOT, env=app_env(url), capture_output=True, text=True, timeout=timeout
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"seed_demo failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    user = re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr)
    sys_t = re.search(r"System time \(seconds\): ([\d.]+)", proc.stderr)
    printed = [line.strip() for line in proc.stdout.splitlines() if "cases/s" in line][-1:]
    return {
        "cases": cases,
        "seconds": elapsed,
        "cases_per_s": cases / elapsed,
        "max_rss_mb": int(rss.group(1)) / 1024 if rss else None,
        "user_s": float(user.group(1)) if user else None,
        "sys_s": float(sys_t.group(1)) if sys_t else None,
        "command": f"python manage.py seed_demo --cases {cases} --seed {seed}",
        "printed": printed,
    }


def table_counts(raw: Raw) -> dict[str, int]:
    return {
        t: raw.scalar(f"SELECT COUNT(*) FROM {t}")
        for t in [
            "cases_case",
            "cases_caseparty",
            "cases_casesearch",
            "cases_caseevent",
            "cases_caseclock",
        ]
    }


def analyze(url: str) -> float:
    t0 = time.perf_counter()
    if vendor_of(url) == "postgresql":
        raw = Raw(url, autocommit=True)
        raw.execute("VACUUM ANALYZE")
    else:
        raw = Raw(url)
        raw.execute("ANALYZE")
    raw.close()
    return time.perf_counter() - t0


def run_seed_floor(url: str, cases: int, max_seconds: float) -> dict[str, Any]:
    if vendor_of(url) == "postgresql":
        admin = Raw(url, autocommit=True)
        admin.execute("DROP DATABASE IF EXISTS bench_floor")
        admin.execute("CREATE DATABASE bench_floor")
        floor_url = with_database(url, "bench_floor")
    else:
        floor_url = url.replace(".sqlite3", "-floor.sqlite3")
        fresh_database(floor_url)
    manage(floor_url, "migrate", "--noinput")
    src, dst = Raw(url), Raw(floor_url)
    try:
        result = seed_floor(src, dst, cases=cases, max_seconds=max_seconds)
    finally:
        src.close()
        dst.close()
    if vendor_of(url) == "postgresql":
        admin.execute("DROP DATABASE bench_floor")
        admin.close()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(sqlite_path(floor_url) + suffix).unlink(missing_ok=True)
    return result


# --- intake through gunicorn --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, logfile: Path) -> None:
        self.port = free_port()
        self.log = open(logfile, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603 - the venv's gunicorn
            [
                GUNICORN,
                "civicdesk.config.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=app_env(url),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def request(
        self, method: str, path: str, token: str, body: Any = None
    ) -> tuple[int, Any, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            elapsed = time.perf_counter() - t0
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw[:200].decode(errors="replace")
            return resp.status, payload, elapsed
        finally:
            conn.close()

    def wait_ready(self, token: str, max_seconds: float = 90) -> None:
        deadline = time.time() + max_seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited; see its log")
            try:
                status, _, _ = self.request("GET", "/api/v1/me", token)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


TEXTS = [
    "某公司拖欠工资三个月未发放",
    "小区夜间施工噪音扰民",
    "道路路灯损坏多日无人维修",
    "邻里之间因宅基地界限发生纠纷",
    "农贸市场占道经营影响通行",
    "出租屋消防通道被杂物堵塞",
    "企业排放污水气味刺鼻",
    "申请办理低保需要哪些材料",
    "物业公司服务不到位收费过高",
    "学校周边交通拥堵存在安全隐患",
    "建筑工地未按规定降尘",
    "社保转移接续办理进度缓慢",
    "村集体土地流转收益分配不公",
    "餐馆油烟直排影响居民生活",
    "供水管道破裂导致停水",
]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞"]


def intake_payloads(
    server: Server, token: str, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    _, categories, _ = server.request("GET", "/api/v1/categories", token)
    _, areas, _ = server.request("GET", "/api/v1/areas", token)
    leaf_cats = [c for c in categories if c.get("parent")] or categories
    parents = {a.get("parent") for a in areas}
    leaf_areas = [a for a in areas if a["code"] not in parents] or areas
    return leaf_cats, leaf_areas


def make_payload(
    cats: list[dict[str, Any]], areas: list[dict[str, Any]], rng: random.Random, key: str
) -> dict[str, Any]:
    cat = rng.choice(cats)
    area = rng.choice(areas)
    parts = rng.sample(TEXTS, 3)
    return {
        "type": cat["case_type"],
        "channel": "phone",
        "category": cat["code"],
        "title": parts[0][:30],
        "description": "，".join(parts) + f"。来电编号{rng.randint(1000, 99999)}。",
        "area": area["code"],
        "address": f"{area.get('name', '')}{rng.randint(1, 200)}号",
        "parties": [
            {
                "role": "requester",
                "name": rng.choice(NAMES),
                "phone": "138" + f"{rng.randint(0, 99999999):08d}",
            }
        ],
        "idempotency_key": key,
    }


def intake_api(
    server: Server, token: str, *, threads: int, count: int, max_seconds: float, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    cats, areas = intake_payloads(server, token, rng)
    tag = f"bench-{os.getpid()}-{int(time.time())}"
    # Warm-up (not counted), and drop categories the API refuses (none expected).
    bad: dict[str, Any] = {}
    for i in range(20):
        body = make_payload(cats, areas, rng, f"{tag}-warm-{i}")
        status, payload, _ = server.request("POST", "/api/v1/cases", token, body)
        if status not in (200, 201):
            bad[body["category"]] = payload
            cats = [c for c in cats if c["code"] != body["category"]] or cats
    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    samples: list[Any] = []
    deadline = time.perf_counter() + max_seconds

    def work(worker: int) -> None:
        local = random.Random(seed * 100 + worker)
        while time.perf_counter() < deadline:
            with lock:
                if issued[0] >= count:
                    return
                issued[0] += 1
                n = issued[0]
            body = make_payload(cats, areas, local, f"{tag}-{n}")
            try:
                status, payload, elapsed = server.request("POST", "/api/v1/cases", token, body)
            except OSError as exc:
                status, payload, elapsed = 0, repr(exc), 0.0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    latencies.append(elapsed)
                elif len(samples) < 3:
                    samples.append(payload)

    elapsed = run_threads(work, threads, join_seconds=max_seconds + 120)
    return {
        **throughput(latencies, elapsed),
        "statuses": {str(k): v for k, v in statuses.items()},
        "error_samples": samples,
        "refused_in_warmup": bad,
        "client_threads": threads,
        "tag": tag,
    }


# --- in-process list / detail -------------------------------------------------------------


def outermost(paths: set[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(o) for o in kept):
            kept.append(path)
    return kept


def list_and_detail(
    url: str, token: str, *, pairs: int, detail_pairs: int, max_seconds: float, seed: int
) -> dict[str, Any]:
    import django

    os.environ.update(app_env(url))
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civicdesk.cases.search import query_words

    rng = random.Random(seed)
    vendor = vendor_of(url)
    raw = Raw(url, autocommit=True) if vendor == "postgresql" else Raw(url)
    user_id = raw.scalar("SELECT id FROM organization_user WHERE username = %s", ["clerk"])
    grants = raw.fetchall(
        "SELECT ra.role, a.path, ra.department_id FROM organization_roleassignment ra "
        "LEFT JOIN organization_area a ON a.id = ra.area_id WHERE ra.user_id = %s",
        [user_id],
    )
    # As the permission table reads assignments: department roles ignore an area, the
    # administrator sees nothing, the leader role adds the cases the user leads.
    paths = outermost(
        {p for r, p, _ in grants if p and r not in ("admin", "handler", "dept_head")}
    )
    departments = sorted({d for r, _, d in grants if d and r != "admin"})
    leads = any(r == "leader" for r, _, _ in grants)
    scope = scope_sql(user_id, paths, departments, leads=leads)

    dept = raw.fetchall(
        "SELECT d.code, COUNT(*) FROM cases_case c JOIN organization_department d "
        "ON d.id = c.department_id GROUP BY d.code ORDER BY 2 DESC LIMIT 1"
    )
    dept_code = dept[0][0] if dept else None
    # The township (an area one level below the clerk's county) holding the most cases.
    area_rows = raw.fetchall("SELECT id, code, path, level FROM organization_area")
    per_area = dict(raw.fetchall("SELECT area_id, COUNT(*) FROM cases_case GROUP BY area_id"))
    levels = {r[3] for r in area_rows}
    if "township" in levels:
        towns = [r for r in area_rows if r[3] == "township"]
    else:
        root_depth = min(p.count("/") for p in paths) if paths else 2
        towns = [r for r in area_rows if r[2].count("/") == root_depth + 1]
    path_of = {r[0]: r[2] for r in area_rows}
    town_counts = []
    for _id, code, path, _lvl in towns:
        n = sum(cnt for aid, cnt in per_area.items() if path_of.get(aid, "").startswith(path))
        town_counts.append((n, code, path))
    town_counts.sort(reverse=True)
    town = town_counts[0] if town_counts else None

    q_text = "工资"
    filters: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        ("(none)", {}, {}),
        ("status=in_progress", {"status": "in_progress"}, {"status": "in_progress"}),
        ("type=request", {"type": "request"}, {"type": "request"}),
    ]
    if dept_code:
        filters.append(
            (f"department={dept_code}", {"department": dept_code}, {"department": dept_code})
        )
    filters.append(("overdue=true", {"overdue": "true"}, {"overdue": True}))
    filters.append((f"q={q_text}", {"q": q_text}, {"words": query_words(q_text)}))
    if town:
        filters.append((f"area={town[1]}", {"area": town[1]}, {"area_path": town[2]}))

    client = Client(headers={"Authorization": f"Bearer {token}"})
    out: dict[str, Any] = {"filters": {}, "scope_paths": paths}

    def app_list(params: dict[str, str]) -> tuple[float, Any]:
        t0 = time.perf_counter()
        resp = client.get("/api/v1/cases", params)
        elapsed = time.perf_counter() - t0
        if resp.status_code != 200:
            raise RuntimeError(f"list {params} -> {resp.status_code} {resp.content[:300]!r}")
        return elapsed, resp.json()

    def raw_list(flt: dict[str, Any]) -> tuple[float, list[Any]]:
        sql, params = list_sql(vendor, user_id, scope, flt)
        t0 = time.perf_counter()
        rows = raw.fetchall(sql, params)
        return time.perf_counter() - t0, rows

    # Warm-up, correctness check, query count and plans.
    for name, params, flt in filters:
        for _ in range(3):
            app_list(params)
            raw_list(flt)
        with CaptureQueriesContext(connection) as ctx:
            _, body = app_list(params)
        _, rows = raw_list(flt)
        app_ids = [r["id"] for r in body["results"]]
        raw_ids = [r[0] for r in rows[: len(app_ids)]]
        main = max(
            (
                q
                for q in ctx.captured_queries
                if "ORDER BY" in q["sql"] and "cases_case" in q["sql"]
            ),
            key=lambda q: float(q["time"] or 0),
            default=None,
        )
        sql, sql_params = list_sql(vendor, user_id, scope, flt)
        matching = raw.scalar(
            "SELECT COUNT(*) FROM ("
            + sql.replace(" LIMIT 21", "").replace(LIST_SELECT_PREFIX, "SELECT c.id ", 1)
            + ") x",
            sql_params,
        )
        entry: dict[str, Any] = {
            "params": params,
            "same_ids_as_raw": app_ids == raw_ids,
            "rows_on_page": len(app_ids),
            "matching_cases": matching,
            "app_queries": len(ctx.captured_queries),
            "app_sql": main["sql"] if main else None,
        }
        if main is not None:
            entry["plan"] = explain(raw, main["sql"])
        entry["raw_plan"] = explain(raw, sql, sql_params)
        out["filters"][name] = entry

    app_t: dict[str, list[float]] = {f[0]: [] for f in filters}
    raw_t: dict[str, list[float]] = {f[0]: [] for f in filters}
    deadline = time.perf_counter() + max_seconds
    rounds = 0
    for _ in range(pairs):
        if time.perf_counter() > deadline:
            break
        rounds += 1
        order = list(filters)
        rng.shuffle(order)
        for name, params, flt in order:
            if rng.random() < 0.5:
                app_t[name].append(app_list(params)[0])
                raw_t[name].append(raw_list(flt)[0])
            else:
                raw_t[name].append(raw_list(flt)[0])
                app_t[name].append(app_list(params)[0])
    for name, *_ in filters:
        a, r = latency_summary(app_t[name]), latency_summary(raw_t[name])
        ratios = [x / y for x, y in zip(app_t[name], raw_t[name], strict=True) if y > 0]
        out["filters"][name].update(
            app_ms=a,
            raw_ms=r,
            ratio_p50=(a["p50"] / r["p50"]) if r["p50"] else None,
            ratio_p95=(a["p95"] / r["p95"]) if r["p95"] else None,
            ratio_median_of_pairs=percentile(ratios, 0.5),
        )
    out["list_rounds"] = rounds

    # Detail: random ids, same id for both sides of a pair.
    lo, hi = raw.fetchall("SELECT MIN(id), MAX(id) FROM cases_case")[0]
    app_d: list[float] = []
    raw_d: list[float] = []
    ratios = []
    misses = 0
    queries = None
    deadline = time.perf_counter() + max_seconds
    for i in range(detail_pairs + 10):
        if time.perf_counter() > deadline:
            break
        case_id = rng.randint(lo, hi)

        def app_detail(case_id: int = case_id) -> float:
            t0 = time.perf_counter()
            resp = client.get(f"/api/v1/cases/{case_id}")
            elapsed = time.perf_counter() - t0
            if resp.status_code not in (200, 404):
                raise RuntimeError(f"detail {case_id} -> {resp.status_code}")
            return elapsed

        def raw_detail(case_id: int = case_id) -> float:
            t0 = time.perf_counter()
            detail_raw(raw, user_id, scope, case_id)
            return time.perf_counter() - t0

        if i == 0:
            with CaptureQueriesContext(connection) as ctx:
                app_detail()
            queries = len(ctx.captured_queries)
        if rng.random() < 0.5:
            a, r = app_detail(), raw_detail()
        else:
            r, a = raw_detail(), app_detail()
        if i < 10:
            continue  # warm-up
        app_d.append(a)
        raw_d.append(r)
        if r > 0:
            ratios.append(a / r)
    ad, rd = latency_summary(app_d), latency_summary(raw_d)
    out["detail"] = {
        "app_ms": ad,
        "raw_ms": rd,
        "ratio_p50": ad["p50"] / rd["p50"] if rd["p50"] else None,
        "ratio_p95": ad["p95"] / rd["p95"] if rd["p95"] else None,
        "ratio_median_of_pairs": percentile(ratios, 0.5),
        "app_queries": queries,
        "missing_ids": misses,
    }
    raw.close()
    return out


LIST_SELECT_PREFIX = "SELECT c.*, cat.*, a.*, d.*, u.* "


def explain(raw: Raw, sql: str, params: Any = None) -> list[str]:
    try:
        if raw.vendor == "postgresql":
            rows = (
                raw.fetchall("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                if params
                else _pg_explain_literal(raw, sql)
            )
        else:
            rows = raw.fetchall("EXPLAIN QUERY PLAN " + sql, params or ())
            return [" ".join(str(c) for c in r[1:]) for r in rows]
        return [r[0] for r in rows]
    except Exception as exc:
        if raw.vendor == "postgresql":
            raw.conn.rollback() if not raw.conn.autocommit else None
        return [f"(explain failed: {exc!r}"[:300] + ")"]


def _pg_explain_literal(raw: Raw, sql: str) -> list[tuple[Any, ...]]:
    # The captured SQL has its parameters inlined already; no placeholders to bind.
    cur = raw.conn.cursor()
    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
    return list(cur.fetchall())


# --- sweep --------------------------------------------------------------------------------


def sweep(url: str, ahead_days: int) -> dict[str, Any]:
    import django

    os.environ.update(app_env(url))
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from civicdesk.cases.sweep import deadlines_sweep

    now = timezone.now() + dt.timedelta(days=ahead_days)
    vendor = vendor_of(url)
    raw = Raw(url)
    if vendor == "postgresql":
        now_param: Any = now
    else:
        now_param = now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    before = {
        "open_cases": raw.scalar(
            "SELECT COUNT(*) FROM cases_case WHERE status NOT IN "
            "('not_accepted', 'redirected', 'merged', 'closed')"
        ),
        "running_clocks": raw.scalar(
            "SELECT COUNT(*) FROM cases_caseclock WHERE state = 'running'"
        ),
        "due_clocks": raw.scalar(
            "SELECT COUNT(*) FROM cases_caseclock WHERE state = 'running' AND next_alert_at <= %s",
            [now_param],
        ),
    }
    raw.commit() if vendor == "postgresql" else None
    floor = sweep_floor(raw, now_param)
    raw.close()
    if vendor == "postgresql":
        vac = Raw(url, autocommit=True)
        vac.execute("VACUUM ANALYZE cases_caseclock")
        vac.execute("VACUUM ANALYZE cases_caseevent")
        vac.execute("VACUUM ANALYZE cases_case")
        vac.close()
    connection.close()
    t0 = time.perf_counter()
    first = deadlines_sweep(now=now)
    t1 = time.perf_counter()
    second = deadlines_sweep(now=now)
    t2 = time.perf_counter()
    return {
        "now": now.isoformat(),
        "ahead_days": ahead_days,
        "before": before,
        "first": {"seconds": t1 - t0, **first.__dict__},
        "second": {"seconds": t2 - t1, **second.__dict__},
        "floor": floor,
        "ratio": (t1 - t0) / floor["seconds"] if floor["seconds"] else None,
    }


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    url = os.environ["DATABASE_URL"]
    vendor = vendor_of(url)
    quick = args.quick
    result: dict[str, Any] = {"database": vendor, "size": args.size, "quick": quick, "errors": []}
    out = Path(args.out)

    def save() -> None:
        out.write_text(json.dumps(result, indent=1, default=str, ensure_ascii=False))

    def step(name: str, fn: Any) -> Any:
        log(f"{vendor} {args.size}: {name} ...")
        t0 = time.perf_counter()
        try:
            value = fn()
        except Exception as exc:
            import traceback

            log(f"{vendor} {args.size}: {name} FAILED: {exc!r}")
            result["errors"].append({"step": name, "error": traceback.format_exc()[-3000:]})
            save()
            return None
        log(f"{vendor} {args.size}: {name} done in {time.perf_counter() - t0:.1f}s")
        result.setdefault("load_average", {})[name] = [round(x, 2) for x in os.getloadavg()]
        result[name] = value
        save()
        return value

    if vendor == "postgresql":
        raw = Raw(url)
        result["server_version"] = raw.scalar("SHOW server_version")
        result["server_settings"] = {
            k: raw.scalar(f"SHOW {k}")
            for k in (
                "shared_buffers",
                "work_mem",
                "fsync",
                "synchronous_commit",
                "effective_cache_size",
            )
        }
        raw.close()
    else:
        import sqlite3

        result["server_version"] = sqlite3.sqlite_version
    fresh_database(url)
    step("migrate", lambda: manage(url, "migrate", "--noinput").returncode == 0)
    seed = step("seed", lambda: time_seed(url, args.size, args.seed, timeout=5400))
    if seed is None:
        return
    raw = Raw(url)
    result["rows_after_seed"] = table_counts(raw)
    raw.close()
    save()
    step("seed_floor", lambda: run_seed_floor(url, args.size, max_seconds=300))
    step("analyze_seconds", lambda: analyze(url))

    token = manage(url, "issue_token", "clerk").stdout.strip().splitlines()[-1].strip()
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)

    def do_intake() -> dict[str, Any]:
        server = Server(url, logs / f"gunicorn-{vendor}-{args.size}.log")
        try:
            server.wait_ready(token)
            api = intake_api(
                server,
                token,
                threads=4,
                count=500 if quick else 2000,
                max_seconds=20 if quick else 60,
                seed=args.seed,
            )
        finally:
            server.stop()
        raw = Raw(url)
        last = raw.scalar(
            "SELECT MAX(id) FROM cases_case WHERE idempotency_key LIKE %s", [api["tag"] + "-%"]
        )
        tpl = IntakeTemplate(raw, last)
        raw.close()
        floor = intake_floor(
            url,
            tpl,
            threads=4,
            count=max(api["cases"], 200),
            max_seconds=20 if quick else 60,
            tag=f"FI{args.size % 1000}",
        )
        return {
            "api": api,
            "floor": floor,
            "ratio": floor["cases_per_s"] / api["cases_per_s"] if api["cases_per_s"] else None,
        }

    step("intake", do_intake)
    step("analyze_after_intake_seconds", lambda: analyze(url))
    step(
        "reads",
        lambda: list_and_detail(
            url,
            token,
            pairs=20 if quick else 60,
            detail_pairs=100 if quick else 300,
            max_seconds=120 if quick else 300,
            seed=args.seed,
        ),
    )
    step("sweep", lambda: sweep(url, ahead_days=3))
    result["finished"] = True
    save()
    log(f"{vendor} {args.size}: finished")


if __name__ == "__main__":
    main()
