#!/usr/bin/env bash
# The benchmark: kpi vs DuckDB on the standard scorecards (see bench/run.py and docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
exec python3 bench/run.py "$@"
