#!/usr/bin/env python3
"""Runs compiled scorecard queries on Apache Spark in local mode (pyspark, Java 17): loads each
dataset's CSV files as temporary views, runs its SQL files, writes <out>/<name>.csv.
Usage: spark_run.py DATA_DIR SQL_DIR OUT_DIR [DATA_DIR SQL_DIR OUT_DIR ...]
One session serves every dataset (starting Spark is most of the cost)."""
import csv
import os
import pathlib
import sys
import time

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

from pyspark.sql import SparkSession  # noqa: E402

from tables import TABLES  # noqa: E402

TYPES = {"text": "STRING", "double": "DOUBLE", "bigint": "BIGINT", "bool": "BOOLEAN", "ts": "TIMESTAMP"}


def main():
    args = sys.argv[1:]
    started = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").appName("kpi-agreement")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "3g")
             .config("spark.sql.maxPlanStringLength", "100000")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    print(f"spark: session {time.perf_counter() - started:.1f} s", file=sys.stderr)
    loaded = None
    for i in range(0, len(args), 3):
        data, sql_dir, out = (pathlib.Path(a) for a in args[i:i + 3])
        out.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        # Consecutive runs on the same dataset reuse its cached tables; a new one replaces them.
        fresh = data != loaded
        if fresh:
            spark.catalog.clearCache()
            loaded = data
        for table, columns in (TABLES.items() if fresh else []):
            schema = ", ".join(f"{c} {TYPES[t]}" for c, t in columns)
            df = spark.read.csv(str(data / (table + ".csv")), header=True, schema=schema,
                                timestampFormat="yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX")
            df.cache().createOrReplaceTempView(table)
        for path in sorted(sql_dir.glob("*.sql")):
            df = spark.sql(path.read_text().rstrip().rstrip(";"))
            with open(out / (path.stem + ".csv"), "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(df.columns)
                for row in df.collect():
                    w.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
        print(f"spark: {data} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    spark.stop()


if __name__ == "__main__":
    main()
