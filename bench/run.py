"""civicdesk benchmarks: `make bench` (or `.venv/bin/python bench/run.py`).

    bench/run.py [--sizes 100000,1000000] [--databases sqlite,postgresql] [--quick]
    bench/run.py --report bench/results/A.json [B.json ...]   # re-render docs/benchmarks.md

For each database and size, bench/stage.py measures seeding, intake through gunicorn (2
workers), the case list and detail, and the deadline sweep, each beside a raw-SQL floor.
Raw JSON goes to bench/results/, the summary to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
DOC = ROOT / "docs" / "benchmarks.md"
PY = str(ROOT / ".venv" / "bin" / "python")
sys.path.insert(0, str(BENCH))

import report  # noqa: E402

# Throw-away cluster settings: scripts/with-postgres.sh turns durability off for tests; the
# benchmark turns it back on (later -c wins) and gives the server memory a real one would have.
PG_OPTIONS = (
    "-c fsync=on -c synchronous_commit=on -c full_page_writes=on "
    "-c shared_buffers=2GB -c effective_cache_size=8GB -c work_mem=16MB "
    "-c maintenance_work_mem=512MB -c max_wal_size=8GB -c checkpoint_timeout=30min"
)


def sh(cmd: str) -> str:
    try:
        return subprocess.run(  # noqa: S602 - fixed commands, no user input
            cmd, shell=True, capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except Exception:
        return ""


def machine() -> dict[str, Any]:
    cpu = ""
    for line in sh("lscpu").splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    os_name = ""
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = line.split("=", 1)[1].strip('"')
    pg = sh("postgres --version") or sh(
        "ls /usr/lib/postgresql/*/bin/postgres | head -1 | xargs -r -I{} {} --version"
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg.split()[2] if len(pg.split()) > 2 else "not found",
        "gunicorn": (sh(f"{ROOT}/.venv/bin/gunicorn --version").split() or ["?"])[-1].strip("()"),
        "django": sh(f"{PY} -c 'import django; print(django.get_version())'"),
    }


def run_stage(
    database: str, size: int, *, quick: bool, seed: int, stamp: str, timeout: float
) -> dict[str, Any]:
    out = RESULTS / f"{stamp}-{database}-{size}.json"
    stage = [
        PY,
        str(BENCH / "stage.py"),
        "--size",
        str(size),
        "--out",
        str(out),
        "--seed",
        str(seed),
    ]
    if quick:
        stage.append("--quick")
    env = dict(os.environ)
    sqlite_file = ROOT / "var" / "bench" / f"bench-{size}.sqlite3"
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{sqlite_file}"
        cmd = stage
    else:
        env["PGTEST_OPTIONS"] = PG_OPTIONS
        cmd = [str(ROOT / "scripts" / "with-postgres.sh"), *stage]
    print(f"== {database} {size}: {shlex.join(cmd)}", flush=True)
    started = time.time()
    try:
        subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        print(f"== {database} {size}: stopped after {timeout:.0f} s", flush=True)
    finally:
        if database == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(str(sqlite_file) + suffix).unlink(missing_ok=True)
    result: dict[str, Any] = {
        "database": database,
        "size": size,
        "errors": [{"step": "stage", "error": "no result written"}],
    }
    if out.exists():
        result = json.loads(out.read_text())
    result["wall_seconds"] = time.time() - started
    return result


def write_run(run: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(run, indent=1, default=str, ensure_ascii=False))
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(report.render(run))


def merge(paths: list[str]) -> dict[str, Any]:
    """Several runs into one report: the later run wins for the same database and size."""
    loaded = [json.loads(Path(p).read_text()) for p in paths]
    runs = [r for r in loaded if "stages" in r]  # whole runs; the rest are single stages
    if not runs:
        sys.exit("--report needs at least one whole-run JSON (bench/results/<stamp>.json)")
    stages: dict[tuple[str, int], dict[str, Any]] = {}
    for r in loaded:
        for s in r.get("stages", [r]):
            stages[(s["database"], s["size"])] = s
    base = dict(runs[-1])
    base["stages"] = list(stages.values())
    base["command"] = " ; ".join(dict.fromkeys(r["command"] for r in runs))
    base["date"] = " / ".join(dict.fromkeys(r["date"] for r in runs))
    return base


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default=None, help="comma-separated case counts (default 100000,1000000)"
    )
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument("--quick", action="store_true", help="20k cases, fewer samples: a sanity check")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stage-timeout", type=float, default=4 * 3600)
    ap.add_argument(
        "--note", default="", help="a line for docs/benchmarks.md (e.g. what was left out)"
    )
    ap.add_argument("--report", nargs="+", metavar="JSON", help="only re-render from saved runs")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.report:
        run = merge(args.report)
        if args.note:
            run["note"] = args.note
        DOC.write_text(report.render(run))
        print(f"wrote {DOC}")
        return
    sizes = [
        int(s) for s in (args.sizes or ("20000" if args.quick else "100000,1000000")).split(",")
    ]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    for d in databases:
        if d not in ("sqlite", "postgresql"):
            ap.error(f"unknown database {d!r}")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python bench/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "machine": machine(),
        "note": args.note,
        "stages": [],
    }
    path = RESULTS / f"{stamp}.json"
    started = time.time()
    for size in sizes:
        for database in databases:
            run["stages"].append(
                run_stage(
                    database,
                    size,
                    quick=args.quick,
                    seed=args.seed,
                    stamp=stamp,
                    timeout=args.stage_timeout,
                )
            )
            write_run(run, path)
    run["wall_seconds"] = time.time() - started
    write_run(run, path)
    print(f"wrote {path} and {DOC} in {run['wall_seconds'] / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
