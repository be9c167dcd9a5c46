"""The raw-SQL floors: the same inserts and selects as the application, in plain SQL.

- seeding: the seeded database's own rows (a sample of cases with all their parties, search
  text, events and clocks) replayed with executemany into a fresh, migrated database of the
  same schema (same indexes, FTS triggers, foreign keys), in batches of 2,000 cases per
  transaction, until it holds as many cases as the seeded one;
- intake: one case per transaction, exactly the rows one API intake wrote (case, parties,
  search text, event, clocks), from the same number of client threads;
- list/detail: the same SELECTs the API issues (scope filter, the filter, ORDER BY received_at
  DESC, id DESC LIMIT 21; detail: the case with its joins, parties, clocks, events);
- sweep: the same state change as deadlines_sweep done set-based, rolled back.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from rawdb import Raw, adapt_row, insert_sql

CHILD_TABLES = ["cases_caseparty", "cases_casesearch", "cases_caseevent", "cases_caseclock"]
ORG_TABLES = [
    "organization_area",
    "organization_centre",
    "organization_department",
    "organization_user",
    "cases_category",
]


# --- seeding ------------------------------------------------------------------------------


class Templates:
    """Sampled cases with their child rows, ready to replay under new ids."""

    def __init__(self, src: Raw, sample: int) -> None:
        lo, hi = src.fetchall("SELECT MIN(id), MAX(id) FROM cases_case")[0]
        step = max((hi - lo + 1) // sample, 1)
        self.case_cols = src.columns("cases_case")
        rows = src.fetchall(
            "SELECT * FROM cases_case WHERE (id - %s) %% %s = 0 ORDER BY id LIMIT %s"
            if src.vendor == "postgresql"
            else "SELECT * FROM cases_case WHERE (id - %s) % %s = 0 ORDER BY id LIMIT %s",
            (lo, step, sample),
        )
        self.cases = [adapt_row(src, r) for r in rows]
        ids = [r[0] for r in rows]
        self.child_cols: dict[str, list[str]] = {}
        self.children: dict[str, dict[int, list[tuple[Any, ...]]]] = {}
        for table in CHILD_TABLES:
            cols = src.columns(table)
            keep = [c for c in cols if c != "id"]
            self.child_cols[table] = keep
            by_case: dict[int, list[tuple[Any, ...]]] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                sel = ", ".join(keep)
                for row in src.fetchall(
                    f"SELECT {sel} FROM {table} WHERE case_id IN ({marks})",
                    chunk,
                ):
                    row = adapt_row(src, row)
                    by_case.setdefault(row[keep.index("case_id")], []).append(row)
            self.children[table] = by_case
        self.ids = ids

    def rows_per_case(self) -> dict[str, float]:
        n = len(self.ids) or 1
        return {t: sum(len(v) for v in self.children[t].values()) / n for t in CHILD_TABLES}

    def case_row(self, template: int, new_id: int, code: str) -> tuple[Any, ...]:
        row = list(self.cases[template])
        cols = self.case_cols
        row[cols.index("id")] = new_id
        row[cols.index("receipt_code")] = code
        for name in ("idempotency_key", "merged_into_id", "review_of_id"):
            row[cols.index(name)] = None
        return tuple(row)

    def child_rows(self, table: str, template: int, new_id: int) -> list[tuple[Any, ...]]:
        cols = self.child_cols[table]
        at = cols.index("case_id")
        out = []
        for row in self.children[table].get(self.ids[template], []):
            r = list(row)
            r[at] = new_id
            out.append(tuple(r))
        return out


def copy_org(src: Raw, dst: Raw) -> None:
    """The rows the cases point at (areas, centres, departments, users, categories)."""
    if dst.vendor == "sqlite":
        dst.conn.execute("PRAGMA foreign_keys=OFF")
    dst.begin()
    for table in ORG_TABLES:
        cols = src.columns(table)
        rows = [adapt_row(src, r) for r in src.fetchall(f"SELECT * FROM {table}")]
        dst.executemany(insert_sql(table, cols), rows)
    dst.commit()
    if dst.vendor == "sqlite":
        dst.conn.execute("PRAGMA foreign_keys=ON")


def seed_floor(
    src: Raw, dst: Raw, *, cases: int, batch: int = 2000, sample: int = 2000, max_seconds: float
) -> dict[str, Any]:
    tpl = Templates(src, min(sample, cases))
    copy_org(src, dst)
    case_sql = insert_sql("cases_case", tpl.case_cols)
    child_sql = {t: insert_sql(t, tpl.child_cols[t]) for t in CHILD_TABLES}
    counts = dict.fromkeys(["cases_case", *CHILD_TABLES], 0)
    n_tpl = len(tpl.ids)
    started = time.perf_counter()
    done = 0
    while done < cases:
        if time.perf_counter() - started > max_seconds:
            break
        upto = min(done + batch, cases)
        case_rows = []
        child: dict[str, list[tuple[Any, ...]]] = {t: [] for t in CHILD_TABLES}
        for i in range(done, upto):
            new_id = i + 1
            t = i % n_tpl
            case_rows.append(tpl.case_row(t, new_id, f"FL{new_id:010d}"))
            for table in CHILD_TABLES:
                child[table].extend(tpl.child_rows(table, t, new_id))
        dst.begin()
        dst.executemany(case_sql, case_rows)
        for table in CHILD_TABLES:
            dst.executemany(child_sql[table], child[table])
        dst.commit()
        counts["cases_case"] += len(case_rows)
        for table in CHILD_TABLES:
            counts[table] += len(child[table])
        done = upto
    elapsed = time.perf_counter() - started
    return {
        "cases": done,
        "seconds": elapsed,
        "cases_per_s": done / elapsed if elapsed else None,
        "rows": counts,
        "rows_per_s": sum(counts.values()) / elapsed if elapsed else None,
        "capped": done < cases,
        "template_cases": n_tpl,
    }


# --- intake -------------------------------------------------------------------------------


class IntakeTemplate:
    """The rows one API intake wrote: replayed one case per transaction."""

    def __init__(self, src: Raw, case_id: int) -> None:
        self.case_cols = [c for c in src.columns("cases_case") if c != "id"]
        sel = ", ".join(self.case_cols)
        self.case = adapt_row(
            src,
            src.fetchall(f"SELECT {sel} FROM cases_case WHERE id = %s", (case_id,))[0],
        )
        self.child_cols: dict[str, list[str]] = {}
        self.children: dict[str, list[tuple[Any, ...]]] = {}
        for table in CHILD_TABLES:
            cols = [c for c in src.columns(table) if c != "id"]
            self.child_cols[table] = cols
            sel = ", ".join(cols)
            self.children[table] = [
                adapt_row(src, r)
                for r in src.fetchall(
                    f"SELECT {sel} FROM {table} WHERE case_id = %s",
                    (case_id,),
                )
            ]

    def rows(self) -> dict[str, int]:
        return {"cases_case": 1, **{t: len(v) for t, v in self.children.items()}}


def intake_floor(
    url: str, tpl: IntakeTemplate, *, threads: int, count: int, max_seconds: float, tag: str
) -> dict[str, Any]:
    cols = tpl.case_cols
    code_at, key_at = cols.index("receipt_code"), cols.index("idempotency_key")
    case_sql = insert_sql("cases_case", cols)
    child_sql = {t: insert_sql(t, tpl.child_cols[t]) for t in CHILD_TABLES}
    lock = threading.Lock()
    issued = [0]
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + max_seconds

    def work(worker: int) -> None:
        raw = Raw(url)
        returning = raw.vendor == "postgresql"
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if issued[0] >= count:
                        return
                    issued[0] += 1
                    n = issued[0]
                row = list(tpl.case)
                row[code_at] = f"{tag}{n:08d}"[:16]
                row[key_at] = f"floor-{tag}-{n}"
                t0 = time.perf_counter()
                try:
                    raw.begin()
                    if returning:
                        cur = raw.execute(case_sql + " RETURNING id", row)
                        case_id = cur.fetchone()[0]
                    else:
                        case_id = raw.execute(case_sql, row).lastrowid
                    for table in CHILD_TABLES:
                        tcols = tpl.child_cols[table]
                        at = tcols.index("case_id")
                        rows = []
                        for child in tpl.children[table]:
                            r = list(child)
                            r[at] = case_id
                            rows.append(tuple(r))
                        if len(rows) == 1:
                            raw.execute(child_sql[table], rows[0])
                        else:
                            raw.executemany(child_sql[table], rows)
                    raw.commit()
                except Exception as exc:
                    errors.append(repr(exc)[:200])
                    with contextlib.suppress(Exception):
                        raw.rollback()
                    continue
                latencies.append(time.perf_counter() - t0)
        finally:
            raw.close()

    elapsed = run_threads(work, threads, join_seconds=max_seconds + 60)
    return {
        **throughput(latencies, elapsed),
        "errors": len(errors),
        "error_samples": errors[:3],
        "threads": threads,
        "rows_per_case": tpl.rows(),
    }


# --- list and detail ----------------------------------------------------------------------


def scope_sql(
    user_id: int, paths: list[str], departments: list[int], *, leads: bool
) -> tuple[str, list[Any]]:
    """visible_cases_q(user) in SQL: the cases the user leads (leader role), the area subtrees
    and the departments of the user's role assignments (docs/permissions.md)."""
    parts = ["1 = 0"]
    params: list[Any] = []
    if leads:
        parts.append("c.leader_id = %s")
        params.append(user_id)
    if paths:
        likes = " OR ".join(["path LIKE %s"] * len(paths))
        parts.append(f"c.area_id IN (SELECT id FROM organization_area WHERE {likes})")
        params.extend(p + "%" for p in paths)
    if departments:
        parts.append(f"c.department_id IN ({', '.join(['%s'] * len(departments))})")
        params.extend(departments)
    return "(" + " OR ".join(parts) + ")", params


LIST_SELECT = (
    "SELECT c.*, cat.*, a.*, d.*, u.* FROM cases_case c "
    "JOIN cases_category cat ON cat.id = c.category_id "
    "JOIN organization_area a ON a.id = c.area_id "
    "LEFT JOIN organization_department d ON d.id = c.department_id "
    "LEFT JOIN organization_user u ON u.id = c.leader_id "
)


def list_sql(
    vendor: str, user_id: int, scope: tuple[str, list[Any]], flt: dict[str, Any]
) -> tuple[str, list[Any]]:
    where, params = scope
    params = list(params)
    clauses = [where]
    if "status" in flt:
        clauses.append("c.status = %s")
        params.append(flt["status"])
    if "type" in flt:
        clauses.append("c.type = %s")
        params.append(flt["type"])
    if "department" in flt:
        clauses.append("d.code = %s")
        params.append(flt["department"])
    if "overdue" in flt:
        clauses.append("c.warning_level >= 2")
    if "area_path" in flt:
        clauses.append("c.area_id IN (SELECT id FROM organization_area WHERE path LIKE %s)")
        params.append(flt["area_path"] + "%")
    if "words" in flt:
        if vendor == "postgresql":
            clauses.append(
                "c.id IN (SELECT case_id FROM cases_casesearch WHERE "
                "document @@ plainto_tsquery('simple', %s))"
            )
            params.append(" ".join(flt["words"]))
        else:
            clauses.append(
                "c.id IN (SELECT rowid FROM cases_search_fts WHERE cases_search_fts MATCH %s)"
            )
            params.append(" ".join(f'"{w}"' for w in flt["words"]))
    select = LIST_SELECT
    if "department" in flt:
        # As the ORM does: filtering on the department's code makes the join an inner one
        # (a LEFT JOIN plus a filter hides the department index from the planner).
        select = select.replace("LEFT JOIN organization_department", "JOIN organization_department")
    sql = (
        select
        + "WHERE "
        + " AND ".join(clauses)
        + " ORDER BY c.received_at DESC, c.id DESC LIMIT 21"
    )
    return sql, params


def detail_raw(raw: Raw, user_id: int, scope: tuple[str, list[Any]], case_id: int) -> int:
    where, params = scope
    row = raw.fetchall(
        "SELECT c.*, cat.*, a.*, ce.*, d.*, l.*, h.*, m.*, r.* FROM cases_case c "
        "JOIN cases_category cat ON cat.id = c.category_id "
        "JOIN organization_area a ON a.id = c.area_id "
        "JOIN organization_centre ce ON ce.id = c.centre_id "
        "LEFT JOIN organization_department d ON d.id = c.department_id "
        "LEFT JOIN organization_user l ON l.id = c.leader_id "
        "LEFT JOIN organization_user h ON h.id = c.handler_id "
        "LEFT JOIN cases_case m ON m.id = c.merged_into_id "
        "LEFT JOIN cases_case r ON r.id = c.review_of_id "
        f"WHERE {where} AND c.id = %s LIMIT 1",
        [*params, case_id],
    )
    if not row:
        return 0
    n = 1
    n += len(
        raw.fetchall("SELECT * FROM cases_caseparty WHERE case_id = %s ORDER BY id", [case_id])
    )
    n += len(
        raw.fetchall(
            "SELECT * FROM cases_caseclock WHERE case_id = %s ORDER BY started_at, id", [case_id]
        )
    )
    n += len(
        raw.fetchall(
            "SELECT e.*, u.* FROM cases_caseevent e LEFT JOIN organization_user u "
            "ON u.id = e.actor_id WHERE e.case_id = %s ORDER BY e.at, e.id",
            [case_id],
        )
    )
    return n


# --- sweep --------------------------------------------------------------------------------


def sweep_floor(raw: Raw, now_param: Any) -> dict[str, Any]:
    """deadlines_sweep's change, set-based, in one transaction that is rolled back."""
    pg = raw.vendor == "postgresql"
    json_obj = "jsonb_build_object" if pg else "json_object"
    level = (
        "CASE WHEN %s >= seriously_overdue_at THEN 3 WHEN %s >= due_at THEN 2 "
        "WHEN %s >= due_soon_at THEN 1 ELSE 0 END"
    )
    t0 = time.perf_counter()
    raw.begin()
    raw.execute("DROP TABLE IF EXISTS bench_sweep_due")
    raw.execute(
        "CREATE TEMP TABLE bench_sweep_due (id bigint, case_id bigint, kind varchar(32), "
        "due_at timestamp with time zone, due_soon_at timestamp with time zone, "
        "seriously_overdue_at timestamp with time zone, is_window boolean, "
        "warning_level smallint, lvl integer)"
    )
    raw.execute(
        "INSERT INTO bench_sweep_due SELECT id, case_id, kind, due_at, due_soon_at, "
        f"seriously_overdue_at, is_window, warning_level, {level} "
        "FROM cases_caseclock WHERE state = 'running' AND next_alert_at <= %s",
        [now_param] * 4,
    )
    clocks = raw.scalar("SELECT COUNT(*) FROM bench_sweep_due")
    cur = raw.execute(
        "INSERT INTO cases_caseevent (case_id, kind, actor_id, at, from_status, to_status, params) "
        "SELECT case_id, CASE lvl WHEN 1 THEN 'deadline_due_soon' WHEN 2 THEN 'deadline_overdue' "
        "ELSE 'deadline_seriously_overdue' END, NULL, %s, '', '', "
        f"{json_obj}('clock', kind, 'due_at', due_at) "
        "FROM bench_sweep_due WHERE NOT is_window AND lvl > warning_level",
        [now_param],
    )
    events = cur.rowcount
    raw.execute(
        "UPDATE cases_caseclock SET "
        "state = CASE WHEN d.is_window THEN 'missed' ELSE cases_caseclock.state END, "
        "ended_at = CASE WHEN d.is_window THEN %s ELSE cases_caseclock.ended_at END, "
        "next_alert_at = CASE WHEN d.is_window THEN NULL WHEN d.lvl = 0 THEN d.due_soon_at "
        "WHEN d.lvl = 1 THEN d.due_at WHEN d.lvl = 2 THEN d.seriously_overdue_at ELSE NULL END, "
        "warning_level = CASE WHEN NOT d.is_window AND d.lvl > d.warning_level THEN d.lvl "
        "ELSE cases_caseclock.warning_level END "
        "FROM bench_sweep_due d WHERE cases_caseclock.id = d.id",
        [now_param],
    )
    raw.execute(
        "UPDATE cases_case SET warning_level = COALESCE((SELECT MAX(k.warning_level) "
        "FROM cases_caseclock k WHERE k.case_id = cases_case.id AND k.state = 'running' "
        "AND NOT k.is_window), 0) WHERE id IN (SELECT case_id FROM bench_sweep_due "
        "WHERE NOT is_window AND lvl > warning_level)"
    )
    elapsed = time.perf_counter() - t0
    raw.rollback()
    return {"seconds": elapsed, "clocks": clocks, "events": events, "rolled_back": True}


# --- statistics ---------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_threads(work: Any, threads: int, *, join_seconds: float) -> float:
    """Runs work(0) .. work(threads - 1) in parallel threads; returns the wall seconds taken."""
    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(join_seconds)
    return time.perf_counter() - started


def throughput(latencies: list[float], elapsed: float) -> dict[str, Any]:
    return {
        "cases": len(latencies),
        "seconds": elapsed,
        "cases_per_s": len(latencies) / elapsed if elapsed else None,
        "latency_ms": latency_summary(latencies),
    }


def latency_summary(seconds: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 0.5),
        "p95": percentile(ms, 0.95),
        "max": max(ms) if ms else None,
    }
