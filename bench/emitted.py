#!/usr/bin/env python3
"""The SQL `kpi sql --dialect duckdb` emits against the hand-written benchmark SQL (bench/sql), on
the same DuckDB tables: query time only (both load the CSV files once, with bench/sql/load.sql).

    bench/emitted.py DATA_DIR [--runs 3] [--kpi target/release/kpi]

Prints, per scorecard and in all, the median query time of each and the ratio emitted/hand-written,
and checks that both give the same values (within 1e-9 relative).
"""
import argparse
import math
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

ROOT = pathlib.Path(__file__).resolve().parent.parent
SQL = ROOT / "bench" / "sql"
CARDS = ["tech_balanced", "service_delivery", "client_health", "intake"]
AS_OF, FROM, TO = "2026-10-01 00:00:00", "2024-10-01", "2026-10-01"


def hand_sql(name, data):
    text = (SQL / f"{name}.sql").read_text()
    return (text.replace("{data}", str(data)).replace("{as_of}", AS_OF)
            .replace("{from}", FROM).replace("{to}", TO))


def emitted_sql(kpi, card):
    with tempfile.NamedTemporaryFile("r", suffix=".sql") as f:
        subprocess.run([kpi, "sql", str(ROOT / "rules"), "--dialect", "duckdb", "--scorecard", card,
                        "--as-of", AS_OF.replace(" ", "T") + "Z", "--from", FROM, "--to", TO,
                        "--output", f.name], check=True)
        return pathlib.Path(f.name).read_text()


def timed(con, sql, runs):
    times, rows = [], None
    for _ in range(runs):
        started = time.perf_counter()
        rows = con.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kpi", default=str(ROOT / "target" / "release" / "kpi"))
    args = ap.parse_args()
    data = pathlib.Path(args.data).resolve()
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(hand_sql("load", data))
    total_hand = total_emitted = 0.0
    mismatches = 0
    print("| scorecard | hand-written | emitted | emitted / hand-written |")
    print("|---|---:|---:|---:|")
    for card in CARDS:
        hand_time, hand_rows = timed(con, hand_sql(card, data), args.runs)
        emitted_time, emitted_rows = timed(con, emitted_sql(args.kpi, card), args.runs)
        total_hand += hand_time
        total_emitted += emitted_time
        # Hand-written rows: period, group, values...; emitted: index, period, group, name, score,
        # then (value, status, attainment, rows) per KPI. Snapshot periods differ in label only.
        hand = {(r[0] or "", r[1] or ""): r[2:] for r in hand_rows}
        for r in emitted_rows:
            key = (r[1] or "", r[2] or "")
            values = r[5::4]
            if key in hand and not all(same(x, y) for x, y in zip(hand[key], values)):
                mismatches += 1
        print(f"| {card} | {hand_time:.3f} s | {emitted_time:.3f} s | {emitted_time / hand_time:.2f} |")
    print(f"| all four | {total_hand:.3f} s | {total_emitted:.3f} s | {total_emitted / total_hand:.2f} |")
    print(f"\nDuckDB {duckdb.__version__}, median of {args.runs} runs; rows with differing values: {mismatches}",
          file=sys.stderr)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
