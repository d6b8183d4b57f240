#!/usr/bin/env python3
"""Computes the four standard scorecards in DuckDB from a dataset's CSV files (bench/sql/*.sql).

Usage: duck.py DATA_DIR OUT.json [--as-of ...] [--from ...] [--to ...] [--threads N]
Writes {scorecard: {"columns": [...], "rows": [[period, group, kpi values...], ...]}}.
Run as its own process so that its time and peak memory can be measured alone.
"""
import argparse
import json
import pathlib
import time

import duckdb

SQL = pathlib.Path(__file__).resolve().parent / "sql"
SCORECARDS = ["tech_balanced", "service_delivery", "client_health", "intake", "client_profitability",
              "contracts_devices", "projects", "sales", "tech_time"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--as-of", default="2026-10-01 00:00:00")
    ap.add_argument("--from", dest="start", default="2024-10-01")
    ap.add_argument("--to", dest="end", default="2026-10-01")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    def sql(name):
        text = (SQL / f"{name}.sql").read_text()
        return (
            text.replace("{data}", str(pathlib.Path(args.data).resolve()))
            .replace("{as_of}", args.as_of)
            .replace("{from}", args.start)
            .replace("{to}", args.end)
        )

    started = time.perf_counter()
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    con.execute(sql("load"))
    loaded = time.perf_counter()
    out = {}
    for card in SCORECARDS:
        cur = con.execute(sql(card))
        columns = [d[0] for d in cur.description]
        rows = [list(r) for r in cur.fetchall()]
        out[card] = {"columns": columns, "rows": rows}
    done = time.perf_counter()
    out["_timings"] = {"load_s": loaded - started, "queries_s": done - loaded}
    pathlib.Path(args.out).write_text(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
