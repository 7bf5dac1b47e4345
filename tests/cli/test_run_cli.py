"""``workflowcore run`` and the commands on stored runs, end to end through the real CLI:
``python -m workflowcore`` in a temporary git repository, real shells, real SQLite.

Each test builds its own repository. Sleeps stay at or under one second.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.runtime._procs import alive

from ..fanout import FAN, job_times
from ..rerun import RERUN, printed_stamp
from ..seed import clean, seed_blocks
from ._repo import jobs_dir, make_repo, wfc, wfc_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only")

SECRET = "s3cr3t-Value-42xyz"




def as_json(proc: subprocess.CompletedProcess[str]) -> Dict[str, Any]:
    assert proc.stdout, proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def statuses(workflow: Dict[str, Any]) -> Dict[str, str]:
    return {name: j["status"] for name, j in workflow["jobs"].items()}


def logs(repo: Path, wid: str) -> Dict[str, str]:
    proc = wfc(repo, "logs", wid, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return {k: v or "" for k, v in as_json(proc)["logs"].items()}


# -- the seed's workspace example -----------------------------------------------------------------

def test_seed_workspace_example(tmp_path: Path) -> None:
    """The seed's ``flow``/``downstream`` example. ``working_directory: /tmp`` would be the
    host's /tmp with the subprocess executor (shared by both jobs, so ``downstream`` could
    read ``flow``'s file without any workspace); it is adapted to ``~/tmp``, which is each
    job's own HOME, so the file can only reach ``downstream`` through the workspace."""
    [block] = [b for b in seed_blocks() if "echo-output" in b.text]
    text = clean(block.text)
    text = text.replace("working_directory: /tmp", "working_directory: ~/tmp")
    text = text.replace("/tmp/workspace", "~/tmp/workspace")
    assert "/tmp" not in text.replace("~/tmp", "")
    repo = make_repo(tmp_path, text)
    proc = wfc(repo, "run", "--branch", "main", "--format", "json", "--keep-jobs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = as_json(proc)
    [wf] = doc["workflows"]
    assert wf["name"] == "btd" and wf["status"] == "success"
    assert wf["jobs"] == {"flow": {"status": "success", "exit_code": 0},
                          "downstream": {"status": "success", "exit_code": 0}}
    assert f"workflow btd started: {wf['id']}" in proc.stderr
    assert "It worked!" in logs(repo, wf["id"])["downstream"]
    jobs = jobs_dir(repo) / wf["id"]
    written = jobs / "flow" / "home" / "tmp" / "workspace" / "echo-output"
    attached = jobs / "downstream" / "home" / "tmp" / "workspace" / "echo-output"
    assert written.read_text() == attached.read_text() == "Hello, world!\n"
    assert not written.samefile(attached)


# -- fan-out / fan-in ---------------------------------------------------------------------------

def test_fan_out_fan_in(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, FAN)
    proc = wfc(repo, "run", "--branch", "main", "--max-parallel", "3", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [wf] = as_json(proc)["workflows"]
    assert set(statuses(wf).values()) == {"success"}
    t = {name: job_times(text) for name, text in logs(repo, wf["id"]).items()}
    fan = ["t1", "t2", "t3"]
    assert all(t[name][0] >= t["build"][1] for name in fan)
    assert max(t[n][0] for n in fan) < min(t[n][1] for n in fan), "the tests did not overlap"
    assert t["merge"][0] >= max(t[n][1] for n in fan)


def test_text_output_shows_live_progress(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, FAN)
    proc = wfc(repo, "run", "--branch", "main", "--max-parallel", "3")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "workflow fan started: " in out
    assert "[fan] build: started as " in out
    assert "[fan] t2 | start " in out
    assert "[fan] merge: ok (exit 0" in out and "[5/5]" in out
    assert "workflow fan: success" in out
    quiet = wfc(repo, "run", "--branch", "main", "--max-parallel", "3", "-q")
    assert "| start" not in quiet.stdout and "[fan] merge: ok" in quiet.stdout


# -- approvals, restricted contexts --------------------------------------------------------------

APPROVAL = """
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo built}]
  deploy:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo "deploying as $CIRCLE_USERNAME with ${#DEPLOY_KEY} key chars"
workflows:
  ship:
    jobs:
      - build
      - hold: {type: approval, requires: [build]}
      - deploy: {requires: [hold], context: [deployers]}
"""
CONTEXTS = f"""
contexts:
  deployers:
    environment: {{DEPLOY_KEY: "{SECRET}"}}
    allow: [bob]
"""


def test_approval_then_approve(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, APPROVAL, {".circleci/contexts.yml": CONTEXTS})
    proc = wfc(repo, "run", "--branch", "main", "--actor", "alice", "--format", "json")
    assert proc.returncode == 3, proc.stderr
    [wf] = as_json(proc)["workflows"]
    assert wf["status"] == "on_hold"
    assert statuses(wf) == {"build": "success", "hold": "on_hold", "deploy": "blocked"}
    wid = wf["id"]

    refused = wfc(repo, "rerun", wid, "--from-failed")
    assert refused.returncode == 2
    assert "must be in a terminal state" in refused.stderr and "on_hold" in refused.stderr
    wrong = wfc(repo, "approve", wid, "build", "--actor", "bob")
    assert wrong.returncode == 2 and "not an approval job" in wrong.stderr

    ok = wfc(repo, "approve", wid[:8], "hold", "--actor", "bob", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    done = as_json(ok)
    assert done["id"] == wid and done["status"] == "success"
    assert statuses(done) == {"build": "success", "hold": "success", "deploy": "success"}
    assert "deploying as bob with 18 key chars" in logs(repo, wid)["deploy"]

    again = wfc(repo, "approve", wid, "hold", "--actor", "bob")
    assert again.returncode == 2 and "not waiting for approval (status: success)" in again.stderr


def test_restricted_context_is_unauthorized(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, APPROVAL, {".circleci/contexts.yml": CONTEXTS})
    held = as_json(wfc(repo, "run", "--branch", "main", "--actor", "bob", "--format", "json"))
    wid = held["workflows"][0]["id"]
    proc = wfc(repo, "approve", wid, "hold", "--actor", "carol", "--format", "json")
    assert proc.returncode == 1
    wf = as_json(proc)
    assert wf["status"] == "unauthorized"
    assert wf["jobs"]["deploy"] == {
        "status": "unauthorized", "exit_code": None,
        "message": "'carol' is not allowed to use context 'deployers'; add the user to its "
                   "`allow` list"}
    assert "deploying" not in logs(repo, wid).get("deploy", "")
    text = wfc(repo, "status", wid)
    assert "'carol' is not allowed to use context 'deployers'" in text.stdout


def test_unauthorized_job_makes_dependents_not_run(tmp_path: Path) -> None:
    config = APPROVAL.replace("      - hold: {type: approval, requires: [build]}\n", "")
    config = config.replace("deploy: {requires: [hold]", "deploy: {requires: [build]")
    config += "      - build:\n          name: after\n          requires: [deploy]\n"
    repo = make_repo(tmp_path, config, {".circleci/contexts.yml": CONTEXTS})
    proc = wfc(repo, "run", "--branch", "main", "--actor", "carol", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    [wf] = as_json(proc)["workflows"]
    assert wf["status"] == "unauthorized"
    assert statuses(wf) == {"build": "success", "deploy": "unauthorized", "after": "not_run"}
    ok = wfc(repo, "run", "--branch", "main", "--actor", "bob", "--format", "json")
    assert ok.returncode == 0, ok.stderr


# -- masking -------------------------------------------------------------------------------------

MASKING = """
version: 2.1
jobs:
  leak:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: |
          echo "token=$TOKEN"
          echo "stderr $TOKEN" >&2
          echo "$TOKEN" > leaked.txt
          printf 'no newline %s' "$TOKEN"
      - run: echo "failing with $TOKEN"; exit 3
workflows:
  w:
    jobs: [{leak: {context: [secrets]}}]
"""


def test_secrets_never_leave_masked(tmp_path: Path) -> None:
    contexts = f"contexts:\n  secrets:\n    environment:\n      TOKEN: {SECRET}\n"
    repo = make_repo(tmp_path, MASKING)
    (tmp_path / "ctx.yml").write_text(contexts, encoding="utf-8")
    outputs: List[str] = []
    for fmt in ("text", "json"):
        proc = wfc(repo, "run", "--branch", "main", "--contexts", str(tmp_path / "ctx.yml"),
                   "--format", fmt)
        assert proc.returncode == 1, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    wid = wfc(repo, "status", "--format", "json")
    outputs.append(wid.stdout)
    first = as_json(wid)["workflows"][0]["id"]
    for args in (["logs", first], ["logs", first, "--format", "json"], ["status", first]):
        proc = wfc(repo, *args)
        assert proc.returncode == 0
        outputs += [proc.stdout, proc.stderr]
    joined = "\n".join(outputs)
    assert "token=********" in joined and "stderr ********" in joined
    assert "no newline ********" in joined and "failing with ********" in joined
    assert SECRET not in joined
    state = repo / ".workflowcore"
    db_files = list(state.glob("runs.sqlite*"))
    assert db_files
    for path in db_files:
        assert SECRET.encode() not in path.read_bytes(), path
    # the store really holds the masked log
    assert b"token=********" in b"".join(p.read_bytes() for p in db_files)


# -- rerun from failed ----------------------------------------------------------------------------

def test_failure_then_rerun_from_failed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, RERUN, {"check.sh": "echo checking; exit 1\n"})
    first = wfc(repo, "run", "--branch", "main", "--format", "json", "--keep-jobs")
    assert first.returncode == 1, first.stderr
    [wf] = as_json(first)["workflows"]
    assert statuses(wf) == {"build": "success", "test": "failed", "deploy": "not_run"}
    assert wf["jobs"]["test"]["exit_code"] == 1
    old = wf["id"]
    stamp = printed_stamp(logs(repo, old)["test"])

    (repo / "check.sh").write_text("echo checking; exit 0\n", encoding="utf-8")  # the fix
    proc = wfc(repo, "rerun", old, "--from-failed", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    new = as_json(proc)
    assert new["id"] != old and new["rerun_of"] == old and new["status"] == "success"
    assert new["pipeline"] == wf["pipeline"]
    assert statuses(new) == {"build": "success", "test": "success", "deploy": "success"}
    jobs = jobs_dir(repo)
    assert (jobs / old / "build").is_dir()
    checked_out = jobs / new["id"] / "test" / "home" / "project"
    assert (checked_out / "check.sh").read_text() == "echo checking; exit 0\n"
    assert not (checked_out / ".workflowcore").exists()  # the state dir is never copied
    assert not (jobs / new["id"] / "build").exists(), "build ran again"
    new_logs = logs(repo, new["id"])
    assert printed_stamp(new_logs["test"]) == stamp  # the kept layer is attached
    assert "built-once" in new_logs["build"]  # its log is kept too
    text = wfc(repo, "status", new["id"]).stdout
    assert f"kept from {old}" in text

    again = wfc(repo, "rerun", new["id"], "--format", "json")
    assert again.returncode == 0, again.stderr
    fresh = as_json(again)
    assert (jobs / fresh["id"] / "build").is_dir()
    assert printed_stamp(logs(repo, fresh["id"])["test"]) != stamp

    listing = as_json(wfc(repo, "status", "--format", "json"))
    assert [w["id"] for w in listing["workflows"]] == [fresh["id"], new["id"], old]


# -- SIGKILL and resume ------------------------------------------------------------------------

KILLED = """
version: 2.1
jobs:
  first:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: mkdir -p out && echo first-data > out/data.txt && echo first-ran
      - persist_to_workspace: {root: out, paths: [data.txt]}
  slow:
    docker: [{image: cimg/base:stable}]
    steps:
      - attach_workspace: {at: ws}
      - run: sleep 1 && echo "got $(cat ws/data.txt)" && echo slow-done
workflows:
  w:
    jobs: [first, {slow: {requires: [first]}}]
"""


def _start_run(repo: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workflowcore", "run", "--branch", "main", "--keep-jobs",
         *extra], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=wfc_env())


def _read_until(proc: subprocess.Popen[str], marker: str) -> List[str]:
    assert proc.stdout is not None
    lines: List[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} never came: {lines}")


def test_sigkilled_run_is_resumed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, KILLED)
    proc = _start_run(repo)
    try:
        lines = _read_until(proc, "[w] slow | ==> sleep 1")
        time.sleep(0.2)  # inside the sleep
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
    wid = lines[0].split("started: ")[1].split()[0]

    status = as_json(wfc(repo, "status", wid, "--format", "json"))
    assert statuses(status) == {"first": "success", "slow": "running"}
    assert "interrupted" in wfc(repo, "status", wid).stdout

    resumed = wfc(repo, "resume", wid, "--format", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert f"workflow w resumed: {wid}" in resumed.stderr
    done = as_json(resumed)
    assert statuses(done) == {"first": "success", "slow": "success"}
    job_logs = logs(repo, wid)
    assert re.findall(r"^first-ran$", job_logs["first"], re.M) == ["first-ran"]
    assert "got first-data" in job_logs["slow"] and "slow-done" in job_logs["slow"]
    kept = jobs_dir(repo) / wid
    assert sorted(p.name for p in kept.iterdir()) == ["first", "slow", "slow.2"]
    assert wfc(repo, "resume", wid).returncode == 0  # finished: nothing more to do


ORPHAN = """
version: 2.1
jobs:
  sleeper:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: |
          m=MARKER
          for p in $(sed -n 's/^start //p' "$m" 2>/dev/null); do
            s=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)
            if [ -n "$s" ] && [ "$s" != Z ]; then echo "overlap $p" >> "$m"; fi
          done
          if grep -q '^start' "$m" 2>/dev/null; then n=0.2; else n=30; fi
          echo "start $$" >> "$m"
          echo sleeping
          sleep $n
          echo "end $$" >> "$m"
workflows:
  w:
    jobs: [sleeper]
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")
def test_resume_stops_what_a_sigkilled_run_left_running(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    repo = make_repo(tmp_path, ORPHAN.replace("MARKER", str(marker)))
    proc = _start_run(repo, "--format", "json")
    try:
        deadline = time.monotonic() + 30
        while not (marker.exists() and "start" in marker.read_text()):
            assert time.monotonic() < deadline and proc.poll() is None, "the job never started"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
    first = int(marker.read_text().split()[1])
    assert alive(first)  # the step outlived the killed run: an orphan

    [wf] = as_json(wfc(repo, "status", "--format", "json"))["workflows"]
    assert wf["interrupted"] is True and statuses(wf) == {"sleeper": "running"}
    one = as_json(wfc(repo, "status", wf["id"], "--format", "json"))
    assert one["interrupted"] is True

    resumed = wfc(repo, "resume", wf["id"], "--format", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert statuses(as_json(resumed)) == {"sleeper": "success"}
    assert as_json(wfc(repo, "status", wf["id"], "--format", "json"))["interrupted"] is False
    lines = marker.read_text().splitlines()
    second = int(lines[1].split()[1])
    # the orphan was stopped before the job ran again: no overlap, it never finished
    assert lines == [f"start {first}", f"start {second}", f"end {second}"], lines
    assert not alive(first)


def test_cancel_from_another_process(tmp_path: Path) -> None:
    config = KILLED.replace("sleep 1 &&", "sleep 30 &&")
    repo = make_repo(tmp_path, config)
    proc = _start_run(repo)
    try:
        lines = _read_until(proc, "[w] slow: started")
        wid = lines[0].split("started: ")[1].split()[0]
        t0 = time.monotonic()
        cancel = wfc(repo, "cancel", wid, "--format", "json")
        assert cancel.returncode == 0, cancel.stderr
        assert time.monotonic() - t0 < 15
        wf = as_json(cancel)
        assert wf["status"] == "canceled"
        assert statuses(wf) == {"first": "success", "slow": "canceled"}
        assert proc.wait(timeout=30) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
    again = wfc(repo, "cancel", wid)
    assert again.returncode == 1 and "already finished" in again.stderr


# -- path escapes ---------------------------------------------------------------------------

ESCAPES = """
version: 2.1
jobs:
  dotdot:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: mkdir -p d && echo x > d/f
      - persist_to_workspace: {root: d, paths: [../../../../../../etc/passwd]}
  absolute:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: mkdir -p d && echo x > d/f
      - persist_to_workspace: {root: d, paths: [/etc/passwd]}
  link:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: mkdir -p d && ln -sf /etc/passwd d/link
      - persist_to_workspace: {root: d, paths: [link]}
  artifacts:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: mkdir -p d && echo x > d/f
      - store_artifacts: {path: d, destination: ../../../outside}
  named:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: mkdir -p d && echo named > d/f
      - persist_to_workspace: {root: d, paths: [f]}
  attach:
    docker: [{image: cimg/base:stable}]
    steps:
      - attach_workspace: {at: ws}
      - run: cat ws/f
workflows:
  w:
    jobs:
      - dotdot
      - absolute
      - link
      - artifacts
      - named: {name: ../../../../evil}
      - attach: {name: "..", requires: [../../../../evil]}
"""


def test_path_escapes_are_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, ESCAPES)
    proc = wfc(repo, "run", "--branch", "main", "--format", "json", "--keep-jobs")
    assert proc.returncode == 1, proc.stderr
    [wf] = as_json(proc)["workflows"]
    failed = ("dotdot", "absolute", "artifacts")
    # a link is persisted as the link it is (as CircleCI's tar does), never as its target
    assert statuses(wf) == {**dict.fromkeys(failed, "failed"), "link": "success",
                            "../../../../evil": "success", "..": "success"}
    job_logs = logs(repo, wf["id"])
    assert "path '../../../../../../etc/passwd' is absolute or contains '..'" in \
        job_logs["dotdot"]
    assert "path '/etc/passwd' is absolute or contains '..'" in job_logs["absolute"]
    assert "store_artifacts destination '../../../outside' is absolute" in job_logs["artifacts"]
    assert re.findall(r"^named$", job_logs[".."], re.M) == ["named"]
    state = repo / ".workflowcore"
    links = {}
    for tar in (state / "workspace").rglob("*.tar"):
        assert b"root:" not in tar.read_bytes()
        with tarfile.open(tar) as archive:
            links.update({m.name: m.linkname for m in archive.getmembers() if m.issym()})
    assert links == {"link": "/etc/passwd"}
    # job names are file-name components, never paths: everything stays in its run's dirs
    evil = "..%2F..%2F..%2F..%2Fevil"
    assert {"%2E%2E", evil} <= {p.name for p in (jobs_dir(repo) / wf["id"]).iterdir()}
    assert (state / "workspace" / wf["id"] / evil).is_dir()
    created = {p.name for p in tmp_path.rglob("*")}
    assert "evil" not in created and "outside" not in created
    bad_job = wfc(repo, "logs", wf["id"], "../../../etc/passwd")
    assert bad_job.returncode == 2 and "has no job" in bad_job.stderr
    bad_id = wfc(repo, "status", "../../etc")
    assert bad_id.returncode == 2 and "no workflow run" in bad_id.stderr


# -- invocation ------------------------------------------------------------------------------------

def test_bad_invocations_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, APPROVAL)
    missing = wfc(repo, "run", "--branch", "main", "nope.yml")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    (repo / "broken.yml").write_text("version: 2.1\njobs: [\n", encoding="utf-8")
    broken = wfc(repo, "run", "broken.yml", "--branch", "main")
    assert broken.returncode == 2 and "broken.yml:" in broken.stderr
    ctx = wfc(repo, "run", "--branch", "main", "--contexts", "missing.yml")
    assert ctx.returncode == 2 and "context-file-unreadable" in ctx.stderr
    wf = wfc(repo, "run", "--branch", "main", "--workflow", "nope")
    assert wf.returncode == 2
    par = wfc(repo, "run", "--branch", "main", "--max-parallel", "0")
    assert par.returncode == 2 and "positive integer" in par.stderr
    fresh = tmp_path / "empty"
    fresh.mkdir()
    nostate = wfc(fresh, "status")
    assert nostate.returncode == 2 and "no run state" in nostate.stderr


def test_no_workflow_selected_is_a_success(tmp_path: Path) -> None:
    config = APPROVAL.replace("      - build\n",
                              "      - build: {filters: {branches: {only: release}}}\n")
    repo = make_repo(tmp_path, config)
    proc = wfc(repo, "run", "--branch", "main", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = as_json(proc)
    assert doc["workflows"] == [] and doc["version"] == 1 and doc["pipeline"]


def test_docker_executor_missing_is_a_usage_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from workflowcore.cli.main import main

    repo = make_repo(tmp_path, APPROVAL)
    monkeypatch.chdir(repo)
    monkeypatch.setitem(sys.modules, "workflowcore.runtime.executors.docker", None)
    code = main(["run", "--branch", "main", "--executor", "docker"])
    assert code == 2
    assert "docker executor is not available" in capsys.readouterr().err


# -- the contexts file never reaches a job (issue 10, item 10) -------------------------------

LEAK = """
version: 2.1
jobs:
  look:
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - run: |
          ls -a . .circleci
          if grep -rl "plaintext-secret-4""2" . ; then echo LEAKED; exit 1; fi
          mkdir -p art && cp -r . ../copy && mv ../copy art/
      - persist_to_workspace: {root: ., paths: [.]}
      - store_artifacts: {path: art}
workflows:
  w:
    jobs: [look]
"""
LEAK_CONTEXTS = "contexts:\n  c:\n    environment:\n      TOKEN: plaintext-secret-42\n"


def _no_secret_anywhere(repo: Path) -> None:
    for path in (repo / ".workflowcore").rglob("*"):
        if path.is_file() and not path.name.startswith("runs.sqlite"):
            assert b"plaintext-secret-42" not in path.read_bytes(), path


def test_an_untracked_default_contexts_file_is_never_checked_out(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, LEAK)
    (repo / ".circleci" / "contexts.yml").write_text(LEAK_CONTEXTS, encoding="utf-8")
    # another spelling of it: a link inside the project naming the file
    (repo / "ctx-link.yml").symlink_to(".circleci/contexts.yml")
    proc = wfc(repo, "run", "--branch", "main", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "holds secrets and is inside the project, not ignored by git" in proc.stderr
    [wf] = as_json(proc)["workflows"]
    log = logs(repo, wf["id"])["look"]
    assert "left out the contexts file, which holds secrets (.circleci/contexts.yml, " \
           "ctx-link.yml)" in log
    assert "LEAKED" not in log and "config.yml" in log
    _no_secret_anywhere(repo)


def test_a_given_contexts_file_inside_the_project_is_never_checked_out(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, LEAK, {".gitignore": "secrets/\n"})
    (repo / "secrets").mkdir()
    (repo / "secrets" / "ctx.yml").write_text(LEAK_CONTEXTS, encoding="utf-8")
    (repo / "hard.yml").hardlink_to(repo / "secrets" / "ctx.yml")  # not ignored
    proc = wfc(repo, "run", "--branch", "main", "--contexts", "secrets/ctx.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "inside the project" not in proc.stderr  # git ignores it: no warning
    assert "left out the contexts file, which holds secrets (hard.yml)" in proc.stdout
    _no_secret_anywhere(repo)


# -- a job's git never reaches the user's repository (issue 12, safety) ----------------------

GIT_JOB = """
version: 2.1
jobs:
  deploy:
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - run: |
          if top=$(git rev-parse --show-toplevel 2>/dev/null)
          then echo "REPO $top"; else echo NO_REPO; fi
          git -c user.name=j -c user.email=j@e commit --allow-empty -m "from a job"
          git push origin HEAD:main 2>&1 || echo "PUSH REFUSED"
workflows:
  w:
    jobs: [deploy]
"""


def test_a_jobs_git_never_acts_on_the_users_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, GIT_JOB)
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout
    proc = wfc(repo, "run", "--branch", "main", "--keep-jobs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # checkout is a clone: the job's git sees the job's own repository, never the user's
    [top] = re.findall(r"REPO (\S+)", proc.stdout)
    assert Path(top).parent.parent == jobs_dir(repo) / re.findall(
        r"started: (\S+)", proc.stdout)[0] / "deploy"
    assert "PUSH REFUSED" in proc.stdout
    after = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                           text=True, check=True).stdout
    assert after == head  # the user's repository was not touched
