#!/usr/bin/env bash
# Regenerates the screenshots of docs/reports.md from examples/demo:
#   report-html.png       the HTML report, top of the page (headless Chromium)
#   workbook-summary.png  the workbook's Summary sheet (LibreOffice Calc -> PDF -> pdftoppm)
#   workbook-charts.png   the first page of its Charts sheet
# Needs Debian's chromium, libreoffice-calc and poppler-utils:
#   apt-get install --no-install-recommends chromium libreoffice-calc poppler-utils
# Run from anywhere: bash docs/images/regenerate.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/docs/images"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
cargo build -q -p kpi-cli
kpi="$root/target/debug/kpi"
args=(evaluate rules --data examples/demo --as-of 2026-10-01T00:00:00Z)
"$kpi" "${args[@]}" --format html --output "$work/report.html"
"$kpi" "${args[@]}" --format xlsx --output "$work/scorecards.xlsx"

# HTML: the top of the page as a 1280 px wide browser lays it out, drawn at 0.6 scale so that
# the PNG stays small.
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --user-data-dir="$work/chromium" --window-size=1280,1600 --force-device-scale-factor=0.6 \
  --screenshot="$out/report-html.png" "file://$work/report.html" >/dev/null 2>&1

# Workbook: LibreOffice prints every sheet to PDF; the Summary is page 1, the Charts sheet is the
# page that starts with its heading.
timeout 180 soffice --headless "-env:UserInstallation=file://$work/lo" \
  --convert-to pdf --outdir "$work" "$work/scorecards.xlsx" >/dev/null 2>&1
pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$work/scorecards.pdf" "$out/workbook-summary"
pages="$(pdfinfo "$work/scorecards.pdf" | awk '/^Pages:/ {print $2}')"
for ((page = 2; page <= pages; page++)); do
  if pdftotext -f "$page" -l "$page" "$work/scorecards.pdf" - | head -1 | grep -q '^KPI trends'; then
    pdftoppm -png -r 60 -f "$page" -l "$page" -singlefile "$work/scorecards.pdf" "$out/workbook-charts"
    break
  fi
done
ls -l "$out"/*.png
