#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: set-up, lint, types, layers, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff";          .venv/bin/ruff check src tests benchmarks
echo "== mypy";          .venv/bin/mypy
echo "== import layers"; .venv/bin/lint-imports
echo "== pytest";        .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
