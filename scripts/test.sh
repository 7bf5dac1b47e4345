#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: set-up, lint, types, layers, tests.
# A private Docker engine is started for the Docker executor's tests (scripts/start-docker.sh);
# when one cannot be started here, those tests are skipped with a loud reason.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff";          .venv/bin/ruff check src tests benchmarks
echo "== mypy";          .venv/bin/mypy
echo "== import layers"; .venv/bin/lint-imports
echo "== docker engine"
if [ -z "${WFC_NO_DOCKER:-}" ] && docker_env=$(bash scripts/start-docker.sh); then
  eval "$docker_env"
  export WFC_REQUIRE_DOCKER=1   # an engine is up: its tests must run, not skip
  echo "engine at $DOCKER_HOST"
else
  echo "!!! no Docker engine could be started: the Docker executor tests will be SKIPPED !!!"
fi
echo "== pytest";        .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
