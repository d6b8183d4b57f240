#!/usr/bin/env python3
"""kpi vs DuckDB on the standard scorecards: time, peak memory, and the same numbers.

    bench/run.sh [--sizes medium,large,large-shuffled] [--runs 3] [--write-doc] [--no-build]
    bench/run.sh --compare DIR [--no-build]   # only compare the values on one dataset, untimed

$KPI_BIN names the kpi binary to run (default target/release/kpi).

Generated datasets are kept in $KPI_BENCH_DATA (default target/bench-data), one directory per
size, and reused. A size is a scale of `kpi generate` (medium, large, xlarge), or one followed by
`-shuffled`: the same rows in random order. Each run is a fresh process measured by /usr/bin/time -v (elapsed, peak RSS):

* kpi cold: `kpi evaluate --no-cache` (parse the CSV files, evaluate, write JSON);
* kpi first run: `kpi evaluate` with an empty cache directory (the same, and write the cache);
* kpi warm: `kpi evaluate` with its columnar cache already built;
* DuckDB: bench/duck.py (load the same CSV files into DuckDB tables, run bench/sql/*.sql).

Every kpi value is checked against DuckDB's per (scorecard, period, group, kpi), within 1e-9
relative; mismatches are listed and make the run fail. Not a timed test: nothing asserts a time.
"""
import argparse
import json
import math
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
AS_OF = "2026-10-01T00:00:00Z"
FROM, TO = "2024-10-01", "2026-10-01"
SCORECARDS = ["tech_balanced", "service_delivery", "client_health", "intake", "client_profitability",
              "contracts_devices", "projects", "sales", "tech_time"]
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
RUNS = ["kpi cold (CSV, --no-cache)", "kpi first run (CSV, writes the cache)", "kpi warm (cache)", "DuckDB"]


def measure(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (elapsed seconds, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        full = ["/usr/bin/time", "-v", "-o", t.name] + cmd
        proc = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        if proc.returncode != 0:
            sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
        text = pathlib.Path(t.name).read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return secs, rss_kb / 1024


def kpi_bin():
    return pathlib.Path(os.environ.get("KPI_BIN", ROOT / "target" / "release" / "kpi"))


def ensure_data(base, size):
    """A dataset `SCALE` (rows as generated: tickets in time order) or `SCALE-shuffled` (the same
    rows in random order, `kpi generate --order random`)."""
    out = base / size
    marker = out / ".complete"
    if marker.exists():
        return out
    if out.exists():
        shutil.rmtree(out)
    scale, _, shuffled = size.partition("-")
    if shuffled not in ("", "shuffled"):
        sys.exit(f"unknown dataset {size}: use a scale, or a scale followed by -shuffled")
    order = "random" if shuffled else "generated"
    print(f"generating {size} into {out} ...", flush=True)
    subprocess.run([str(kpi_bin()), "generate", "--out", str(out), "--scale", scale, "--order", order],
                   check=True, stdout=subprocess.DEVNULL)
    marker.write_text(size + "\n")
    return out


def kpi_cmd(data, out, cache):
    cmd = [str(kpi_bin()), "evaluate", str(ROOT / "rules"), "--data", str(data), "--as-of", AS_OF,
           "--from", FROM, "--to", TO, "--format", "json", "--output", str(out)]
    return cmd if cache else cmd + ["--no-cache"]


def duck_cmd(data, out):
    return [sys.executable, str(ROOT / "bench" / "duck.py"), str(data), str(out),
            "--as-of", AS_OF.replace("T", " ").rstrip("Z"), "--from", FROM, "--to", TO]


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(b, float) and math.isnan(b):
        return a is None
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def compare(kpi_json, duck_json):
    """Mismatches as text lines; also the number of values compared."""
    kpi = {s["scorecard"]: s for s in json.loads(pathlib.Path(kpi_json).read_text())["scorecards"]}
    duck = json.loads(pathlib.Path(duck_json).read_text())
    problems, compared = [], 0
    for card in SCORECARDS:
        ours = {}
        for row in kpi[card]["rows"]:
            period = row["period"]["label"] if row["period"] else ""
            group = next(iter(row["group"].values()), "")
            for k in row["kpis"]:
                ours[(period, group, k["id"])] = k["value"]
        cols = duck[card]["columns"]
        theirs = {}
        for r in duck[card]["rows"]:
            for name, v in zip(cols[2:], r[2:]):
                theirs[(r[0], r[1], name)] = v
        for key in sorted(set(ours) | set(theirs)):
            compared += 1
            if key not in ours or key not in theirs:
                problems.append(f"{card} {key}: only in {'kpi' if key in ours else 'DuckDB'}")
            elif not close(ours[key], theirs[key]):
                problems.append(f"{card} {key}: kpi {ours[key]!r} DuckDB {theirs[key]!r}")
    return problems, compared


def machine():
    cpu = "unknown CPU"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", pathlib.Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    import duckdb

    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {mem}, {platform.system()} {platform.release()}; "
            f"{rustc}; DuckDB {duckdb.__version__} (Python {platform.python_version()})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="medium,large,large-shuffled")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (the median is reported)")
    ap.add_argument("--write-doc", action="store_true", help=f"put the table into {DOC.relative_to(ROOT)}")
    ap.add_argument("--no-build", action="store_true", help="use target/release/kpi as it is")
    ap.add_argument("--compare", metavar="DIR", help="only compare kpi and DuckDB on this dataset")
    args = ap.parse_args()

    if args.compare:
        work = pathlib.Path(tempfile.mkdtemp(prefix="kpi-compare-"))
        kpi_out, duck_out = work / "kpi.json", work / "duck.json"
        subprocess.run(kpi_cmd(args.compare, kpi_out, False), check=True, stderr=subprocess.DEVNULL)
        subprocess.run(duck_cmd(args.compare, duck_out), check=True)
        problems, compared = compare(kpi_out, duck_out)
        print(f"{args.compare}: {compared} values compared, {len(problems)} mismatches")
        for p in problems[:30]:
            print("  " + p)
        shutil.rmtree(work, ignore_errors=True)
        sys.exit(1 if problems else 0)

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "kpi-cli"], cwd=ROOT, check=True)
    base = pathlib.Path(os.environ.get("KPI_BENCH_DATA", ROOT / "target" / "bench-data"))
    base.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    env = dict(os.environ, CI="1")  # no progress bars in measured runs

    rows, failed = [], False
    for size in args.sizes.split(","):
        data = ensure_data(base, size)
        mb = sum(f.stat().st_size for f in data.glob("*.csv")) / 1e6
        with open(data / "tickets.csv", "rb") as f:
            tickets = sum(1 for _ in f) - 1
        with open(data / "time_entries.csv", "rb") as f:
            entries = sum(1 for _ in f) - 1
        kpi_out, duck_out = work / f"kpi-{size}.json", work / f"duck-{size}.json"
        # Build the cache once, outside the measurements.
        subprocess.run(kpi_cmd(data, kpi_out, True), check=True, env=env, stderr=subprocess.DEVNULL)
        runs = {name: [] for name in RUNS}
        # Rounds of one run each, so that a busy spell of the machine hits every kind alike.
        for i in range(args.runs):
            fresh_cache = dict(env, KPI_CACHE_DIR=str(work / f"cache-{size}-{i}"))
            for name, (cmd, run_env) in {
                RUNS[0]: (kpi_cmd(data, kpi_out, False), env),
                RUNS[1]: (kpi_cmd(data, kpi_out, True), fresh_cache),
                RUNS[2]: (kpi_cmd(data, kpi_out, True), env),
                RUNS[3]: (duck_cmd(data, duck_out), env),
            }.items():
                runs[name].append(measure(cmd, run_env))
            shutil.rmtree(work / f"cache-{size}-{i}", ignore_errors=True)
        results = {}
        for name, rs in runs.items():
            results[name] = (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs))
            print(f"{size:7} {name:34} {results[name][0]:7.2f} s {results[name][1]:7.0f} MB "
                  f"(runs: {', '.join(f'{r[0]:.2f}' for r in rs)})", flush=True)
        problems, compared = compare(kpi_out, duck_out)
        print(f"{size}: {compared} values compared, {len(problems)} mismatches")
        for p in problems[:30]:
            print("  " + p)
        failed |= bool(problems)
        duck_t, duck_m = results["DuckDB"]
        for name, (t, m) in results.items():
            rows.append((size, f"{mb:.0f} MB, {tickets:,} tickets, {entries:,} entries", name, t, m,
                         t / duck_t, m / duck_m, f"{compared - len(problems)}/{compared}"))

    table = ["| size | data | run | time (median) | peak RSS | time / DuckDB | RSS / DuckDB | values equal |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for size, data, name, t, m, rt, rm, eq in rows:
        table.append(f"| {size} | {data} | {name} | {t:.2f} s | {m:.0f} MB | {rt:.2f} | {rm:.2f} | {eq} |")
    text = "\n".join(table) + f"\n\nMachine: {machine()}. Median of {args.runs} runs.\n"
    print()
    print(text)
    if args.write_doc and DOC.exists():
        doc = DOC.read_text()
        if BEGIN in doc and END in doc:
            head, rest = doc.split(BEGIN, 1)
            DOC.write_text(head + BEGIN + "\n" + text + END + rest.split(END, 1)[1])
            print(f"wrote {DOC.relative_to(ROOT)}")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
