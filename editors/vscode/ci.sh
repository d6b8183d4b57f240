#!/usr/bin/env bash
# The VS Code extension: install the locked dependencies, test the grammar, build the .vsix.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm test
npx --no-install vsce package --skip-license --out kpi-rules.vsix
ls -l kpi-rules.vsix
