#!/usr/bin/env python3
"""Runs compiled scorecard queries on DuckDB: loads a dataset's CSV files, runs SQL_DIR/*.sql,
writes OUT_DIR/<scorecard>.csv. Usage: duckdb_run.py DATA_DIR SQL_DIR OUT_DIR"""
import csv
import pathlib
import sys
import time

import duckdb

from tables import TABLES

TYPES = {"text": "VARCHAR", "double": "DOUBLE", "bigint": "BIGINT", "bool": "BOOLEAN", "ts": "TIMESTAMPTZ"}


def main():
    data, sql_dir, out = (pathlib.Path(a) for a in sys.argv[1:4])
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    # Not UTC on purpose: the compiled SQL must not depend on the session's zone.
    con.execute("SET TimeZone = 'Asia/Kolkata'")
    started = time.perf_counter()
    for table, columns in TABLES.items():
        types = ", ".join(f"'{c}': '{TYPES[t]}'" for c, t in columns)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{data / (table + '.csv')}', "
                    f"header = true, columns = {{{types}}})")
    loaded = time.perf_counter()
    for path in sorted(sql_dir.glob("*.sql")):
        cur = con.execute(path.read_text())
        names = [d[0] for d in cur.description]
        with open(out / (path.stem + ".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(names)
            for row in cur.fetchall():
                w.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
    done = time.perf_counter()
    print(f"duckdb: load {loaded - started:.3f} s, queries {done - loaded:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
