#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: set-up, lint, types, layers, tests.
# A private Docker engine is started for the Docker executor's tests (scripts/start-docker.sh);
# when one cannot be started here, those tests are skipped with a loud reason.
#
# System packages (the Docker engine, busybox-static, bash-static: apt-get, as root) are
# installed only in CI (CI set) or when asked with WFC_INSTALL_PACKAGES=1, never on a
# laptop by surprise. Without them the Docker tests skip, saying what is missing.
# In CI the shared test data (../shared) and the engine must be there: their tests fail
# instead of skipping (WFC_REQUIRE_SHARED=1, WFC_REQUIRE_DOCKER=1).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${CI:-}" ]; then
  export WFC_REQUIRE_SHARED=1
  export WFC_INSTALL_PACKAGES=1
fi
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
