"""Renders docs/benchmarks.md from the JSON that bench/run.py keeps in bench/results/."""

# ruff: noqa: E501 - markdown table rows read best on one line each

from __future__ import annotations

from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent

TARGETS = {
    "list_p95_ms": 50.0,
    "detail_p95_ms": 30.0,
    "ratio": 3.0,
    "intake_cases_per_s": 300.0,
    "sweep_s": 5.0,
    "seed_cases_per_s": 10_000.0,
}


def f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def ratio(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}×"


def size_label(n: int) -> str:
    return (
        f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)
    )


def key_plan_lines(plan: list[str] | None, limit: int = 6) -> list[str]:
    if not plan:
        return []
    keep = []
    for line in plan:
        s = line.strip()
        if (
            not keep
            or "Scan" in s
            or ("Sort" in s and "Key" not in s)
            or "Rows Removed" in s
            or s.startswith("Execution Time")
            or "SEARCH" in s
            or "SCAN" in s
            or "TEMP B-TREE" in s
        ):
            keep.append(s)
    return keep[:limit] + ([s for s in keep[limit:] if s.startswith("Execution Time")])


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def render(run: dict[str, Any]) -> str:
    stages = sorted(run["stages"], key=lambda s: (s["database"], s["size"]))
    machine = run["machine"]
    lines: list[str] = []
    w = lines.append
    w("# Benchmarks")
    w("")
    w(
        "Produced by `make bench` (`.venv/bin/python bench/run.py`; default sizes 100k and 1M cases on"
    )
    w(
        "SQLite and PostgreSQL). This file is rewritten by each run; the raw figures of every run are"
    )
    w("kept as JSON in `bench/results/` (not committed). Method and caveats are at the end.")
    w("")
    w(f"- **Date:** {run['date']}")
    w(f"- **Command:** `{run['command']}`")
    if run.get("note"):
        w(f"- **Note:** {run['note']}")
    w(
        f"- **Machine:** {machine.get('cpu')}, {machine.get('cores')} cores, "
        f"{machine.get('ram_gb')} GB RAM, {machine.get('os')} (kernel {machine.get('kernel')}); "
        "shared and noisy (other work runs beside it)."
    )
    w(
        f"- **Software:** Python {machine.get('python')}, SQLite {machine.get('sqlite')}, "
        f"PostgreSQL {machine.get('postgresql')}, gunicorn {machine.get('gunicorn')} (2 sync workers), "
        f"Django {machine.get('django')}."
    )
    pg = [s for s in stages if s["database"] == "postgresql"]
    if pg:
        st = pg[-1].get("server_settings") or {}
        w(
            "- **PostgreSQL settings:** "
            + ", ".join(f"{k}={v}" for k, v in st.items())
            + " (a throw-away cluster from `scripts/with-postgres.sh`, made durable again for the run)."
        )
    w("")
    lines.extend(render_targets(stages))
    for s in stages:
        lines.extend(render_stage(s))
    lines.extend(render_plans(stages))
    analysis = BENCH / "analysis.md"
    if analysis.exists():
        w("")
        lines.extend(analysis.read_text().rstrip().splitlines())
    w("")
    lines.extend(METHOD.strip().splitlines())
    w("")
    return "\n".join(lines)


def render_targets(stages: list[dict[str, Any]]) -> list[str]:
    pg = [s for s in stages if s["database"] == "postgresql" and s.get("finished")]
    out = ["## Targets (1M cases, PostgreSQL)", ""]
    if not pg:
        return [*out, "No finished PostgreSQL run in this report.", ""]
    s = max(pg, key=lambda x: x["size"])
    if s["size"] != 1_000_000:
        out.append(
            f"No 1M PostgreSQL run in this report: judged at {size_label(s['size'])} instead "
            "(a smaller database flatters every figure)."
        )
        out.append("")
    reads = s.get("reads") or {}
    filters = reads.get("filters") or {}
    worst = max(filters.items(), key=lambda kv: kv[1]["app_ms"]["p95"] or 0) if filters else None
    worst_ratio = (
        max(filters.items(), key=lambda kv: kv[1].get("ratio_p95") or 0) if filters else None
    )
    detail = reads.get("detail") or {}
    intake = (s.get("intake") or {}).get("api") or {}
    sweep = (s.get("sweep") or {}).get("first") or {}
    seed = s.get("seed") or {}
    out.append("| Target | Measured | Raw-SQL floor | Verdict |")
    out.append("|---|---|---|---|")
    if worst:
        name, e = worst
        out.append(
            f"| List p95 ≤ 50 ms (every filter) | worst {f(e['app_ms']['p95'])} ms ({name}) | "
            f"{f(e['raw_ms']['p95'])} ms | {verdict(e['app_ms']['p95'] <= TARGETS['list_p95_ms'])} |"
        )
        n, r = worst_ratio
        out.append(
            f"| List within 3× of raw SQL (p95 ratio) | worst {ratio(r.get('ratio_p95'))} ({n}) | 1× | "
            f"{verdict((r.get('ratio_p95') or 99) <= TARGETS['ratio'])} |"
        )
    if detail:
        out.append(
            f"| Detail p95 ≤ 30 ms | {f(detail['app_ms']['p95'])} ms | {f(detail['raw_ms']['p95'])} ms | "
            f"{verdict(detail['app_ms']['p95'] <= TARGETS['detail_p95_ms'])} |"
        )
        out.append(
            f"| Detail within 3× of raw SQL (p95 ratio) | {ratio(detail.get('ratio_p95'))} | 1× | "
            f"{verdict((detail.get('ratio_p95') or 99) <= TARGETS['ratio'])} |"
        )
    if intake:
        fl = (s.get("intake") or {}).get("floor") or {}
        out.append(
            f"| Intake ≥ 300 cases/s (API, 2 workers) | {f(intake.get('cases_per_s'))} cases/s | "
            f"{f(fl.get('cases_per_s'))} cases/s | {verdict((intake.get('cases_per_s') or 0) >= TARGETS['intake_cases_per_s'])} |"
        )
    if sweep:
        fl = (s.get("sweep") or {}).get("floor") or {}
        out.append(
            f"| Sweep ≤ 5 s (all open cases) | {f(sweep.get('seconds'), 2)} s for {f(sweep.get('clocks'))} clocks | "
            f"{f(fl.get('seconds'), 2)} s | {verdict(sweep['seconds'] <= TARGETS['sweep_s'])} |"
        )
    if seed:
        fl = s.get("seed_floor") or {}
        out.append(
            f"| Seeding ≥ 10k cases/s | {f(seed.get('cases_per_s'))} cases/s | {f(fl.get('cases_per_s'))} cases/s | "
            f"{verdict(seed['cases_per_s'] >= TARGETS['seed_cases_per_s'])} |"
        )
    out.append("")
    return out


def render_stage(s: dict[str, Any]) -> list[str]:
    name = f"{'PostgreSQL' if s['database'] == 'postgresql' else 'SQLite'} {s.get('server_version', '')}"
    out = [f"## {name}, {size_label(s['size'])} cases" + (" (quick)" if s.get("quick") else ""), ""]
    if not s.get("finished"):
        out.append(
            "**This stage did not finish**; figures below are what it measured before stopping."
        )
        out.append("")
    for err in s.get("errors", []):
        out.append(
            f"- Step `{err['step']}` failed: `{err['error'].strip().splitlines()[-1][:200]}`"
        )
    loads = [v[0] for v in (s.get("load_average") or {}).values()]
    if loads:
        out.append(
            f"Machine load (1-min load average on 2 cores) at the end of each step: "
            f"{min(loads):.1f} to {max(loads):.1f}."
        )
        out.append("")
    seed, fl = s.get("seed") or {}, s.get("seed_floor") or {}
    rows = s.get("rows_after_seed") or {}
    out.append("| Measure | Application | Raw-SQL floor | App cost ÷ floor cost |")
    out.append("|---|---|---|---|")
    if seed:
        out.append(
            f"| Seeding, cases/s (`seed_demo`, whole command) | {f(seed['cases_per_s'])} "
            f"({f(seed['seconds'])} s, max RSS {f(seed.get('max_rss_mb'), 0)} MB) | "
            f"{f(fl.get('cases_per_s'))}{' (time-capped)' if fl.get('capped') else ''} | "
            f"{ratio(fl['cases_per_s'] / seed['cases_per_s']) if fl.get('cases_per_s') else '–'} |"
        )
    intake = s.get("intake") or {}
    if intake:
        api, ifl = intake["api"], intake["floor"]
        out.append(
            f"| Intake via API, cases/s ({api['client_threads']} client threads, {api['cases']} cases) | "
            f"{f(api['cases_per_s'])} (p50 {f(api['latency_ms']['p50'])} / p95 {f(api['latency_ms']['p95'])} ms) | "
            f"{f(ifl['cases_per_s'])} (p50 {f(ifl['latency_ms']['p50'])} / p95 {f(ifl['latency_ms']['p95'])} ms) | "
            f"{ratio(intake.get('ratio'))} |"
        )
    sweep = s.get("sweep") or {}
    if sweep:
        first, second, sfl = sweep["first"], sweep["second"], sweep["floor"]
        out.append(
            f"| Deadline sweep at now+{sweep['ahead_days']} d, s ({f(first['clocks'])} clocks, "
            f"{f(first['events'])} events; {f(sweep['before']['open_cases'])} open cases) | "
            f"{f(first['seconds'], 2)} | {f(sfl['seconds'], 2)} ({f(sfl['clocks'])} clocks) | "
            f"{ratio(sweep.get('ratio'))} |"
        )
        out.append(
            f"| Sweep again at the same moment, s | {f(second['seconds'], 3)} "
            f"({second['clocks']} clocks changed) | – | – |"
        )
    out.append("")
    if seed:
        out.append(f"Rows after seeding: {', '.join(f'{k} {v:,}' for k, v in rows.items())}.")
        if fl.get("rows"):
            out.append(
                f"Floor wrote {', '.join(f'{k} {v:,}' for k, v in fl['rows'].items())} "
                f"({f(fl.get('rows_per_s'))} rows/s)."
            )
        if seed.get("printed"):
            out.append(f"seed_demo said: `{seed['printed'][-1][:160]}`")
        out.append("")
    reads = s.get("reads") or {}
    if reads.get("filters"):
        out.append(
            f"Case list, `GET /api/v1/cases` as the clerk (whole county in scope), in-process, "
            f"{reads.get('list_rounds')} interleaved rounds; times in ms:"
        )
        out.append("")
        out.append(
            "| Filter | Matching | App queries | App p50 | App p95 | Raw p50 | Raw p95 | p95 ratio | median pair ratio | Same page |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for fname, e in reads["filters"].items():
            out.append(
                f"| `{fname}` | {f(e.get('matching_cases'))} | {e.get('app_queries')} | {f(e['app_ms']['p50'])} | "
                f"{f(e['app_ms']['p95'])} | {f(e['raw_ms']['p50'], 2)} | {f(e['raw_ms']['p95'], 2)} | "
                f"{ratio(e.get('ratio_p95'))} | {ratio(e.get('ratio_median_of_pairs'))} | "
                f"{'yes' if e.get('same_ids_as_raw') else 'NO'} |"
            )
        d = reads.get("detail") or {}
        if d:
            out.append(
                f"| detail `GET /api/v1/cases/{{id}}` ({d['app_ms']['n']} random ids) | – | {d.get('app_queries')} | "
                f"{f(d['app_ms']['p50'])} | {f(d['app_ms']['p95'])} | {f(d['raw_ms']['p50'], 2)} | "
                f"{f(d['raw_ms']['p95'], 2)} | {ratio(d.get('ratio_p95'))} | {ratio(d.get('ratio_median_of_pairs'))} | – |"
            )
        out.append("")
    return out


def render_plans(stages: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for s in stages:
        reads = s.get("reads") or {}
        if s["database"] != "postgresql" or not reads.get("filters"):
            continue
        if s["size"] != max(x["size"] for x in stages if x["database"] == "postgresql"):
            continue
        out.append(
            f"## Query plans, PostgreSQL {size_label(s['size'])}: the application's list query"
        )
        out.append("")
        out.append(
            "`EXPLAIN (ANALYZE, BUFFERS)` of the page query each filter makes; key lines only."
        )
        out.append("")
        for fname, e in reads["filters"].items():
            out.append(f"- `{fname}` (p95 {f(e['app_ms']['p95'])} ms):")
            out.append("")
            out.append("  ```")
            out.extend("  " + line for line in key_plan_lines(e.get("plan")))
            out.append("  ```")
        out.append("")
    return out


METHOD = """
## Method

- **One command.** `bench/run.py` runs, for each database and size, `bench/stage.py` against a
  fresh database: SQLite in `var/bench/`, PostgreSQL in a throw-away cluster from
  `scripts/with-postgres.sh` (with fsync, synchronous_commit and full_page_writes switched back
  on, so commits cost what they cost in production). `--quick` runs 20k cases for a sanity check.
- **Seeding** is the wall time of the whole `manage.py seed_demo --cases N --seed 1` command
  (Django start-up and the organisation included), under `/usr/bin/time -v` for its peak memory.
  **Floor:** the seeded database's own rows (2,000 sampled cases with all their parties, search
  text, events and clocks) replayed with `executemany` plain INSERTs into a second fresh,
  migrated database (same indexes, FTS triggers and foreign keys), 2,000 cases per transaction,
  until it holds as many cases or 300 s have passed ("time-capped": the rate is then over the
  cases written, into a smaller table than the seeder's, which flatters the floor a little).
  `executemany` sends one INSERT per row (pipelined on PostgreSQL); the seeder itself sends
  multi-row INSERTs, so it can beat this floor.
- **Intake** is `POST /api/v1/cases` through gunicorn with 2 sync workers on loopback, from 4
  client threads (one connection per request), at most 2,000 requests or 60 s, after 20 warm-up
  requests; cases/s counts 201 answers. The client shares the 2 cores with the server and the
  database, so it costs the server some throughput. **Floor:** the exact rows one API intake wrote
  (case, party, search text, event, clocks), one case per transaction, 4 threads with a
  connection each.
- **List and detail** run in-process through Django's test `Client` (the whole middleware, token
  authentication, scope filter, query and JSON; no network), as the clerk, whose scope is the whole
  demo county. Each round runs every filter once, in random order, application and raw SQL in
  random order within a pair, so machine noise hits both sides alike; p50/p95 are over the rounds
  after 3 warm-up calls. **Floor:** the same SELECT written by hand (same scope filter, filter,
  joins, `ORDER BY received_at DESC, id DESC LIMIT 21`; for detail the case with its joins,
  parties, clocks and events) on a separate persistent DB-API connection, rows fetched as tuples.
  The ratio is application p95 ÷ raw p95; "median pair ratio" is the median of per-pair ratios.
  "Same page" checks the API page lists the same ids as the raw query.
- **Sweep** is `civicdesk.cases.sweep.deadlines_sweep(now=now + 3 days)` in-process, then again
  at the same moment (it must change nothing). **Floor:** the same change set-based (a temporary
  table of the due clocks, one INSERT of the events, one UPDATE of the clocks, one UPDATE of the
  cases' warning level), timed and rolled back before the application's sweep runs.
- The databases are `ANALYZE`d (PostgreSQL: `VACUUM ANALYZE`) after seeding and after intake,
  as autovacuum would have done on a live system.
- Every loop is bounded by count and by time; the machine is shared, so single numbers mean
  little: read the medians, p95 and ratios, which come from interleaved runs.
"""
