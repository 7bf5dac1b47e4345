"""Orbs through the commands (issue 11): what happens when an orb is missing (process,
plan, run), version resolution reported and locked, a lock that no longer matches the
store, and a workflow that runs a real orb's steps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli._repo import make_repo, wfc
from tests.conftest import shared_dir

MISSING = """
version: 2.1
orbs:
  node: circleci/node@5.0.3
  hello: acme/hello@1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo built
      - node/install-packages: {pkg-manager: yarn}
  after:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo after}]
  always:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo always}]
workflows:
  main:
    jobs:
      - hello/greet:
          name: greet
      - build
      - node/test:
          name: test-18
          version: "18.1"
          requires: [build]
      - after: {requires: [test-18]}
      - always:
          requires:
            - test-18: [success, not_run]
"""

HELLO = """\
version: 2.1
commands:
  say:
    parameters:
      who: {type: string, default: world}
    steps:
      - run: echo "hello << parameters.who >>"
jobs:
  greet:
    docker: [{image: cimg/base:stable}]
    steps:
      - say: {who: orb}
"""


def _store(tmp_path: Path, version: str = "1.2.0", text: str = HELLO) -> Path:
    store = tmp_path / "store"
    (store / "acme").mkdir(parents=True, exist_ok=True)
    (store / "acme" / f"hello@{version}.yml").write_text(text, encoding="utf-8")
    return store


def test_process_refuses_to_print_what_it_could_not_compile(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MISSING)
    store = _store(tmp_path)
    proc = wfc(repo, "process", "--orb-dir", str(store))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "error: Orb 'circleci/node@5.0.3' is not available offline, and job(s) build, " \
           "test-18 need it: the processed config cannot be printed [orb-unavailable]" \
           in proc.stderr
    assert "--allow-missing-orbs" in proc.stderr
    assert "orbs from the local store: acme/hello@1 -> 1.2.0" in proc.stderr


def test_allow_missing_orbs_prints_a_valid_21_config_keeping_the_references(
        tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MISSING)
    store = _store(tmp_path)
    proc = wfc(repo, "process", "--orb-dir", str(store), "--allow-missing-orbs")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "opaque" not in out
    assert out.startswith("version: 2.1\norbs:\n  node: circleci/node@5.0.3\n")
    assert "hello@" not in out  # the available orb was compiled in
    assert 'echo "hello orb"' in out
    assert "    - node/test:\n        name: test-18\n        version: '18.1'\n" in out
    assert "    - node/install-packages:\n        pkg-manager: yarn\n" in out
    (repo / "processed.yml").write_text(out, encoding="utf-8")
    again = wfc(repo, "validate", "processed.yml", "--orb-dir", str(store))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 errors" in again.stdout or "valid" in again.stdout


def test_plan_marks_the_jobs_that_need_a_missing_orb(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MISSING)
    store = _store(tmp_path)
    proc = wfc(repo, "plan", "-b", "main", "--orb-dir", str(store))
    assert proc.returncode == 0, proc.stderr
    assert "test-18 [node/test]  ← build  [needs unavailable orb: circleci/node@5.0.3]" \
        in proc.stdout
    assert "! 1 orb not available offline (circleci/node@5.0.3)" in proc.stdout
    data = json.loads(wfc(repo, "plan", "-b", "main", "--orb-dir", str(store),
                          "--format", "json").stdout)
    jobs = {j["name"]: j for j in data["workflows"][0]["jobs"]}
    assert jobs["test-18"]["unavailable_orbs"] == ["circleci/node@5.0.3"]
    assert "unavailable_orbs" not in jobs["greet"]
    assert data["orbs"]["acme/hello@1"]["resolved"] == "acme/hello@1.2.0"


def test_run_refuses_before_anything_runs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MISSING)
    store = _store(tmp_path)
    proc = wfc(repo, "run", "-b", "main", "--orb-dir", str(store))
    assert proc.returncode == 2
    assert "1 orb(s) needed by the workflow are not available offline: " \
           "circleci/node@5.0.3 (needed by build, test-18)" in proc.stderr
    assert not (repo / ".workflowcore" / "runs.sqlite").exists()


def test_run_with_skip_missing_orbs_skips_them_honestly(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MISSING)
    store = _store(tmp_path)
    proc = wfc(repo, "run", "-b", "main", "--orb-dir", str(store), "--skip-missing-orbs",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [wf] = json.loads(proc.stdout)["workflows"]
    jobs = wf["jobs"]
    assert {n: j["status"] for n, j in jobs.items()} == {
        "greet": "success", "build": "not_run", "test-18": "not_run", "after": "not_run",
        "always": "success"}
    assert "needs orb(s) not available offline: circleci/node@5.0.3; skipped " \
           "(--skip-missing-orbs)" in jobs["build"]["message"]
    log = wfc(repo, "logs", wf["id"], "greet").stdout
    assert "hello orb" in log  # the available orb's command really ran
    # the resolution was locked beside the config
    lock = json.loads((repo / ".circleci" / "orbs.lock").read_text())
    assert lock["orbs"]["acme/hello@1"]["resolved"] == "acme/hello@1.2.0"


def test_a_lock_keeps_the_version_and_a_changed_orb_is_refused(tmp_path: Path) -> None:
    config = MISSING.replace("  node: circleci/node@5.0.3\n", "") \
        .replace("      - node/install-packages: {pkg-manager: yarn}\n", "") \
        .split("      - node/test:")[0]
    repo = make_repo(tmp_path, config)
    store = _store(tmp_path)
    first = wfc(repo, "run", "-b", "main", "--orb-dir", str(store))
    assert first.returncode == 0, first.stderr
    _store(tmp_path, "1.3.0", HELLO.replace("hello <<", "newer <<"))  # a newer release
    second = wfc(repo, "plan", "-b", "main", "--orb-dir", str(store))
    assert second.returncode == 0, second.stderr
    assert "acme/hello@1 -> 1.2.0 (locked)" in second.stderr
    _store(tmp_path, "1.2.0", HELLO.replace("hello <<", "tampered <<"))  # changed in place
    for command in (["plan", "-b", "main"], ["process"], ["run", "-b", "main"]):
        proc = wfc(repo, *command, "--orb-dir", str(store))
        assert proc.returncode in (1, 2), proc.stdout
        assert "orbs.lock:1:1: error: the stored acme/hello@1.2.0 is not the orb that was " \
               "locked" in proc.stderr
        assert "[orb-lock-mismatch]" in proc.stderr
    (store / "acme" / "hello@1.2.0.yml").unlink()  # the locked release is gone
    proc = wfc(repo, "plan", "-b", "main", "--orb-dir", str(store))
    assert proc.returncode == 1
    assert "'acme/hello@1' is locked to acme/hello@1.2.0, which the orb store does not " \
           "have; it resolved to acme/hello@1.3.0 instead [orb-lock-stale]" in proc.stderr


def test_a_broken_lock_file_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MISSING, {".circleci/orbs.lock": "{nope"})
    proc = wfc(repo, "plan", "-b", "main")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "orb lock file" in proc.stderr and "cannot be read" in proc.stderr


NODE_PROJECT = """
version: 2.1
orbs:
  node: circleci/node@5
jobs:
  test:
    docker: [{image: cimg/node:18.0}]
    steps:
      - checkout
      - node/install-packages
      - run: npm test
workflows:
  main:
    jobs: [test]
"""


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm on this machine")
def test_a_real_orbs_steps_run_for_real(tmp_path: Path) -> None:
    """circleci/node's install-packages (from ../shared/orbs, a source tree) runs `npm ci`
    with its cache steps, then the project's tests run."""
    try:
        orbs = shared_dir() / "orbs"
    except RuntimeError as exc:
        pytest.skip(str(exc))
    package = ('{"name": "demo", "version": "1.0.0", "private": true, '
               '"scripts": {"test": "node -e \\"console.log(\'tests ran\')\\""}}')
    lock = ('{"name": "demo", "version": "1.0.0", "lockfileVersion": 3, "requires": true, '
            '"packages": {"": {"name": "demo", "version": "1.0.0"}}}')
    repo = make_repo(tmp_path, NODE_PROJECT,
                     {"package.json": package, "package-lock.json": lock})
    proc = wfc(repo, "run", "-b", "main", "--orb-dir", str(orbs), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "orbs from the local store: circleci/node@5 -> 5." in proc.stderr
    out = proc.stdout
    for marker in ("==> Checking for package.json", "Found package-lock.json file, assuming "
                   "lockfile", "==> Installing NPM packages", "==> Saving Cache",
                   "tests ran"):
        assert marker in out, marker


def test_building_the_command_line_imports_neither_the_registry_nor_the_packer() -> None:
    """Every command's cold start pays for what the parser imports: the registry client
    (urllib, ssl, http) and the packer are imported by the orb commands that use them."""
    import subprocess
    import sys

    code = ("import sys; from workflowcore.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in ('ssl', 'urllib.request', 'http.client', "
            "'workflowcore.config.orbs.registry', 'workflowcore.config.orbs._pack', "
            "'workflowcore.config.orbs._validate') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
