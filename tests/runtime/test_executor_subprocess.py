"""SubprocessExecutor end to end: real shells, real files, real process groups."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, List

import pytest
from tests.runtime._jobenv import Env
from tests.runtime._procs import alive

from workflowcore.runtime._process import DETACHED_NOTE, MAX_LINE_BYTES
from workflowcore.runtime.executor import JobRequest, JobResult
from workflowcore.runtime.executors import SubprocessExecutor

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX-only")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def statuses(result: JobResult) -> List[str]:
    return [s.status for s in result.steps]


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


# -- workspace across jobs -------------------------------------------------------------------

def test_persist_in_one_job_attach_in_the_next(env: Env) -> None:
    producer = env.run("build", [
        {"run": {"name": "build", "command": "mkdir -p dist && echo built > dist/app.txt"}},
        {"persist_to_workspace": {"root": ".", "paths": ["dist"]}},
    ])
    assert producer.ok, producer.log
    consumer = env.run("deploy", [
        {"attach_workspace": {"at": "/tmp/../" + str(env.tmp / "attached")}},
        {"run": f"cat {env.tmp}/attached/dist/app.txt"},
    ], upstream_jobs=("build",))
    assert consumer.ok, consumer.log
    assert consumer.steps[1].output == "built"
    # a job that is not downstream does not see the layer
    stranger = env.run("other", [
        {"attach_workspace": {"at": "ws"}},
        {"run": "test ! -e ws/dist/app.txt"},
    ])
    assert stranger.ok, stranger.log


def test_path_escape_in_a_config_fails_the_step_not_the_run(env: Env) -> None:
    result = env.run("build", [
        {"run": "echo secret > ../outside.txt"},
        {"persist_to_workspace": {"root": ".", "paths": ["../outside.txt"]}},
        {"run": {"command": "echo cleanup", "when": "always"}},
    ])
    assert result.status == "failed"
    assert statuses(result) == ["success", "failed", "success"]
    note = result.steps[1].note or ""
    assert "'../outside.txt'" in note
    assert "move `root` up" in note
    assert "persist_to_workspace" in (result.message or "") or "Persisting" in (
        result.message or "")


# -- when semantics ----------------------------------------------------------------------------

def test_failure_skips_on_success_and_runs_on_fail_and_always(env: Env) -> None:
    result = env.run("test", [
        {"run": "echo first"},
        {"run": {"name": "boom", "command": "echo failing; exit 3"}},
        {"run": {"name": "after", "command": "echo should-not-run"}},
        {"run": {"name": "on-fail", "command": "echo on-fail-ran", "when": "on_fail"}},
        {"run": {"name": "always", "command": "echo always-ran", "when": "always"}},
        {"store_test_results": {"path": "results"}},
    ])
    assert result.status == "failed"
    assert result.exit_code == 3
    assert result.message == "step 'boom' failed: Exited with code exit status 3"
    assert statuses(result) == ["success", "failed", "skipped", "success", "success", "success"]
    assert result.steps[2].note == "skipped: a previous step failed"
    assert "should-not-run" not in result.log
    assert "on-fail-ran" in env.lines
    assert "always-ran" in env.lines
    assert result.steps[1].exit_code == 3
    assert result.steps[0].exit_code == 0


def test_on_fail_does_not_run_when_all_is_well(env: Env) -> None:
    result = env.run("ok", [
        {"run": "true"},
        {"run": {"command": "echo nope", "when": "on_fail"}},
        {"run": {"command": "echo yes", "when": "always"}},
    ])
    assert result.ok
    assert statuses(result) == ["success", "skipped", "success"]


def test_pipefail_and_errexit_are_on_by_default(env: Env) -> None:
    result = env.run("pipes", [{"run": "false | true\necho unreachable"}])
    assert result.status == "failed"
    assert "unreachable" not in result.log
    result = env.run("errexit", [{"run": "false\necho unreachable"}])
    assert result.status == "failed"
    assert "unreachable" not in result.log


def test_unsupported_and_invalid_steps(env: Env) -> None:
    result = env.run("misc", [
        "setup_remote_docker",
        {"run": "echo still-running"},
        {"no_such_step": {}},
        {"run": {"command": "echo after-invalid", "when": "always"}},
    ])
    assert statuses(result) == ["skipped", "success", "failed", "success"]
    assert "not supported locally: setup_remote_docker (step skipped)" in env.lines
    assert "still-running" in env.lines
    assert "unknown step `no_such_step`" in (result.steps[2].note or "")
    assert env.lines[0] == ("docker image cimg/base:stable not used: the subprocess "
                            "executor runs the steps on this machine")


# -- environment, paths and shells ---------------------------------------------------------------

def test_environment_precedence_and_home(env: Env) -> None:
    result = env.run("envs", [
        {"run": {"command": 'echo "A=$A B=$B C=$C CI=$CI"; echo "HOME=$HOME"; pwd; '
                            'echo "WD=$CIRCLE_WORKING_DIRECTORY"',
                 "environment": {"C": "step"}}},
        {"run": "echo \"C=$C\""},
    ], environment={"A": "context", "B": "context", "C": "context", "CI": "true",
                    "HOME": "/not/used"},
       definition={"environment": {"B": "job", "C": "job"}})
    assert result.ok, result.log
    home = env.job_home("envs")
    assert result.steps[0].output.splitlines() == [
        "A=context B=job C=step CI=true", f"HOME={home}", str(home / "project"),
        "WD=~/project"]
    assert result.steps[1].output == "C=job"


def test_host_environment_does_not_leak(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WFC_HOST_SECRET", "leaked")
    result = env.run("leak", [{"run": 'echo "[${WFC_HOST_SECRET:-}]"; command -v sh'}])
    assert result.ok
    assert result.steps[0].output.splitlines()[0] == "[]"  # PATH still works, secrets stay


def test_bash_env_carries_exports_between_steps(env: Env) -> None:
    if not os.path.exists("/bin/bash"):
        pytest.skip("needs bash")
    result = env.run("bashenv", [
        {"run": "echo 'export FROM_EARLIER=yes' >> \"$BASH_ENV\""},
        {"run": 'echo "got=$FROM_EARLIER"'},
    ])
    assert result.ok
    assert result.steps[1].output == "got=yes"


def test_working_directories(env: Env) -> None:
    result = env.run("dirs", [
        {"run": "pwd"},
        {"run": {"command": "pwd", "working_directory": "sub/dir"}},
        {"run": {"command": "pwd", "working_directory": "~/elsewhere"}},
    ], definition={"working_directory": "~/src"})
    home = env.job_home("dirs")
    assert [s.output for s in result.steps] == [
        str(home / "src"), str(home / "src" / "sub" / "dir"), str(home / "elsewhere")]


def test_unusable_working_directory_fails_the_job(env: Env) -> None:
    blocker = env.tmp / "a-file"
    blocker.write_text("not a directory")
    result = env.run("wd", [{"run": "echo never"}],
                     definition={"working_directory": str(blocker / "project")})
    assert result.status == "failed"
    assert (result.message or "").startswith("cannot create the working directory")
    assert statuses(result) == ["skipped"]


def test_custom_shell_runs_the_command_as_a_script(env: Env) -> None:
    python = shutil.which("python3")
    if python is None:
        pytest.skip("needs python3")
    result = env.run("py", [{"run": {"shell": python, "command": "import sys\nprint(6 * 7)"}}])
    assert result.ok
    assert result.steps[0].output == "42"
    missing = env.run("noshell", [{"run": {"shell": "/no/such/shell", "command": "x"}}])
    assert missing.status == "failed"
    assert missing.exit_code == 127
    assert "cannot start '/no/such/shell'" in (missing.steps[0].note or "")


def test_job_level_shell(env: Env) -> None:
    result = env.run("sh", [{"run": "echo $0"}, {"run": {"command": "echo $0",
                                                         "shell": "/bin/sh -e"}}],
                     definition={"shell": "/bin/sh -eu"})
    assert result.ok, result.log
    # the job's shell ran the step as `-c TEXT`: $0 is the shell, as on CircleCI
    assert [s.output for s in result.steps] == ["/bin/sh", "/bin/sh"]
    unset = env.run("sh-u", [{"run": "echo $UNSET_VARIABLE"}], definition={"shell": "/bin/sh -eu"})
    assert unset.status == "failed"  # -u came from the job's shell


def test_a_raising_output_callback_does_not_break_the_job(env: Env) -> None:
    def broken(line: str) -> None:
        raise RuntimeError("observer bug")

    result = env.executor.execute(JobRequest("r", "w", "cb", {"steps": [
        {"run": "seq 1 20000"}]}, on_output=broken))
    assert result.ok
    assert result.steps[0].output.splitlines()[-1] == "20000"
    assert "live output disabled" in result.log


def test_auto_reruns(env: Env) -> None:
    result = env.run("flaky", [{"run": {
        "command": "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; "
                   "echo attempt $n; test $n -ge 2",
        "max_auto_reruns": 3}}])
    assert result.ok, result.log
    assert "rerunning the step (attempt 2 of 4)" in env.lines
    assert result.steps[0].output.splitlines()[-1] == "attempt 2"


# -- masking ---------------------------------------------------------------------------------------

def test_secrets_are_masked_everywhere(env: Env) -> None:
    secret = "sup3r-s3cret-value"
    result = env.run("mask", [
        {"run": 'echo "token is $TOKEN"; echo "$TOKEN" >&2'},
        {"run": 'printf "no newline at the end $TOKEN"'},
        {"run": 'echo "$TOKEN"; exit 1'},
    ], environment={"TOKEN": secret}, secrets=[secret, "true"])
    assert secret not in result.log
    assert all(secret not in line for line in env.lines)
    assert all(secret not in s.output for s in result.steps)
    assert "token is ********" in env.lines
    assert "no newline at the end ********" in env.lines


def _long_line_job(parts: List[str]) -> str:
    """A python3 step printing each of ``parts`` (with ``$TOKEN`` replaced) as one line,
    the line's end written a moment later: the pump holds more than MAX_LINE_BYTES of an
    unfinished line, so it must split it."""
    script = ("import os, sys, time\n"
              "t = os.environ['TOKEN']\n"
              f"for p in {parts!r}:\n"
              "    sys.stdout.buffer.write(p.replace('$TOKEN', t).encode())\n"
              "    sys.stdout.flush()\n"
              "    time.sleep(0.02)\n"
              "    sys.stdout.write('z\\n')\n"
              "    sys.stdout.flush()\n")
    return script


@pytest.mark.parametrize("secret", ["plain-ascii-secret-23chr", "ключ-секрет-€€-ü"])
def test_a_secret_straddling_the_long_line_split_is_masked(env: Env, secret: str) -> None:
    # The pump splits lines longer than MAX_LINE_BYTES; the cut lands at every offset
    # inside the secret, in bytes (so also inside a multibyte character of it).
    size = len(secret.encode())
    parts = ["x" * (MAX_LINE_BYTES - k) + "$TOKEN" + "y" * 50 for k in range(1, size)]
    result = env.run("long", [{"run": {"shell": "python3", "command": _long_line_job(parts)}}],
                     environment={"TOKEN": secret}, secrets=[secret])
    assert result.ok, result.log[-500:]
    output = result.steps[0].output
    assert output.count("********") == size - 1
    visible = output.replace("********", "")
    assert set(visible) <= {"x", "y", "z", "\n"}, sorted(set(visible) - {"x", "y", "z", "\n"})
    live = [line for line in env.lines if line[:1] in ("x", "y", "z", "*")]
    assert "\n".join(live) == output


def test_a_long_line_is_never_split_inside_a_utf8_character(env: Env) -> None:
    parts = ["x" * (MAX_LINE_BYTES - k) + "€" * 3 for k in range(1, 4)]
    result = env.run("utf8", [{"run": {"shell": "python3", "command": _long_line_job(parts)}}],
                     environment={"TOKEN": "unused"})
    assert result.ok, result.log[-500:]
    assert "\ufffd" not in result.steps[0].output
    assert "".join(env.lines).count("€") == 9


# -- output --------------------------------------------------------------------------------------

def test_a_slow_output_callback_loses_no_line(tmp_path: Path) -> None:
    env = Env(tmp_path)
    seen: List[str] = []

    def slow(line: str) -> None:
        time.sleep(0.001)
        seen.append(line)

    result = env.executor.execute(JobRequest(
        "run-1", "wf-1", "chatty", {"steps": [
            {"run": "for i in $(seq 5000); do echo line $i; done; echo the-error >&2; exit 3"},
        ]}, on_output=slow))
    expected = [f"line {i}" for i in range(1, 5001)] + ["the-error"]
    assert result.status == "failed" and result.exit_code == 3
    assert result.steps[0].output.splitlines()[:-1] == expected
    assert [line for line in seen if line.startswith("line ") or line == "the-error"] == expected
    assert DETACHED_NOTE not in seen


def test_output_of_a_process_left_holding_the_pipe_is_cut_and_said(env: Env) -> None:
    started = time.monotonic()
    result = env.run("holder", [
        {"run": "echo early; printf 'no newline'; (sleep 3; echo late) &"},
        {"run": "echo next-step"},
    ])
    assert time.monotonic() - started < 10
    assert result.ok, result.log
    first = result.steps[0].output.splitlines()
    assert first == ["early", "no newline", DETACHED_NOTE]
    assert "late" not in env.lines
    assert result.steps[1].output == "next-step"


# -- killing ---------------------------------------------------------------------------------------

def test_no_output_timeout_kills_the_process_group(env: Env) -> None:
    pidfile = env.tmp / "child.pid"
    started = time.monotonic()
    result = env.run("quiet", [
        {"run": {"command": f"sleep 60 & echo $! > {pidfile}; echo started; wait",
                 "no_output_timeout": "1s"}},
        {"run": {"command": "echo after-timeout", "when": "on_fail"}},
    ])
    assert time.monotonic() - started < 15
    assert result.status == "failed"
    assert result.steps[0].status == "failed"
    assert result.steps[0].exit_code is None
    assert result.steps[0].note == (
        "Too long with no output (exceeded 1s): context deadline exceeded")
    assert result.steps[1].status == "success"  # a step failure, not a cancel
    assert wait_for(lambda: not alive(int(pidfile.read_text())))


def test_output_keeps_a_step_alive(env: Env) -> None:
    result = env.run("chatty", [{"run": {
        "command": "for i in 1 2 3 4 5 6; do printf .; sleep 0.3; done; echo",
        "no_output_timeout": "1s"}}])
    assert result.ok, result.log
    assert result.steps[0].output == "......"


def test_cancel_kills_the_running_step_and_skips_everything_after(env: Env) -> None:
    pidfile = env.tmp / "child.pid"
    cancel = threading.Event()
    started = threading.Event()
    holder: dict[str, JobResult] = {}

    def on_output(line: str) -> None:
        env.lines.append(line)
        if line == "started":
            started.set()

    def job() -> None:
        holder["r"] = env.executor.execute(JobRequest(
            "run-1", "wf-1", "long", {"steps": [
                {"run": f"sleep 60 & echo $! > {pidfile}; echo started; wait"},
                {"run": {"command": "echo always-after-cancel", "when": "always"}},
                {"store_artifacts": {"path": "."}},
            ]}, cancel=cancel, on_output=on_output, artifacts=env.artifacts))

    t = threading.Thread(target=job)
    t.start()
    assert started.wait(10)
    t0 = time.monotonic()
    cancel.set()
    t.join(15)
    assert not t.is_alive()
    assert time.monotonic() - t0 < 5
    result = holder["r"]
    assert result.status == "canceled"
    assert result.exit_code is None
    assert statuses(result) == ["canceled", "skipped", "skipped"]  # not even always
    assert "always-after-cancel" not in env.lines
    assert wait_for(lambda: not alive(int(pidfile.read_text())))


def test_job_timeout(env: Env) -> None:
    result = env.run("slow", [
        {"run": "sleep 30"},
        {"run": {"command": "echo nope", "when": "always"}},
    ], timeout=1.0)
    assert result.status == "failed"
    assert result.message == "the job timed out after 1s"
    assert statuses(result) == ["failed", "skipped"]


def test_background_steps_run_alongside_and_are_stopped_at_job_end(env: Env) -> None:
    pidfile = env.tmp / "bg.pid"
    result = env.run("bg", [
        {"run": {"name": "server", "background": True,
                 "command": f"echo $$ > {pidfile}; echo server-up; exec sleep 60"}},
        {"run": f"for i in $(seq 50); do test -s {pidfile} && break; sleep 0.1; done; "
                "echo client-done"},
    ])
    assert result.ok, result.log
    assert result.steps[0].note == "running in the background until the job ends"
    assert "client-done" in env.lines
    assert wait_for(lambda: "server-up" in env.lines)
    assert wait_for(lambda: not alive(int(pidfile.read_text())))


def test_processes_left_behind_by_a_step_are_stopped_at_job_end(env: Env) -> None:
    pidfile = env.tmp / "left.pid"
    result = env.run("leftover", [
        {"run": f"sleep 60 > /dev/null 2>&1 & echo $! > {pidfile}"},
        {"run": f"kill -0 $(cat {pidfile}) && echo still-there"},
    ])
    assert result.ok, result.log
    assert "still-there" in env.lines  # it lives on during the job (like a started server)
    assert wait_for(lambda: not alive(int(pidfile.read_text())))


# -- caches, artifacts, test results ---------------------------------------------------------------

def test_save_and_restore_cache_between_jobs(env: Env) -> None:
    save = env.run("first", [
        {"run": "mkdir -p ~/.deps node_modules && echo dep > ~/.deps/lib && "
                "echo mod > node_modules/m && echo lock-v1 > lock.txt"},
        {"save_cache": {"key": 'deps-{{ .Branch }}-{{ checksum "lock.txt" }}',
                        "paths": ["~/.deps", "node_modules", "missing-dir"]}},
        {"save_cache": {"key": 'deps-{{ .Branch }}-{{ checksum "lock.txt" }}',
                        "paths": ["~/.deps"]}},
    ], environment={"CIRCLE_BRANCH": "main"})
    assert save.ok, save.log
    assert "Warning: could not find" in save.log
    assert (save.steps[2].note or "").startswith("Skipping cache generation, cache already "
                                                 "exists for key: deps-main-")
    restore = env.run("second", [
        {"restore_cache": {"keys": ["deps-feature-", "deps-"]}},
        {"run": "cat ~/.deps/lib node_modules/m"},
        {"restore_cache": {"key": "nothing-like-this"}},
    ], environment={"CIRCLE_BRANCH": "feature"})
    assert restore.ok, restore.log
    assert restore.steps[1].output == "dep\nmod"  # restored into *this* job's HOME
    assert (restore.steps[2].note or "").startswith("No cache is found for key:")
    assert env.caches.match(["deps-main-"]) is not None


def test_cache_key_errors_warn_but_do_not_fail_the_job(env: Env) -> None:
    result = env.run("keys", [
        {"restore_cache": {"key": 'v1-{{ checksum "package.json" }}'}},
        {"run": "echo fine"},
        {"save_cache": {"key": 'v1-{{ checksum "package.json" }}', "paths": ["."]}},
    ])
    assert result.ok
    assert statuses(result) == ["warning", "success", "warning"]
    assert "package.json: no such file or directory" in (result.steps[0].note or "")


def test_artifacts_and_test_results(env: Env) -> None:
    junit = ('<testsuite><testcase classname="a" name="ok"/>'
             '<testcase classname="a" name="bad"><failure/></testcase></testsuite>')
    result = env.run("report", [
        {"run": f"mkdir -p out/results && echo report > out/index.html && "
                f"echo '{junit}' > out/results/junit.xml"},
        {"run": "exit 1"},
        {"store_artifacts": {"path": "out", "destination": "site"}},
        {"store_artifacts": {"path": "~/project/out/index.html"}},
        {"store_test_results": {"path": "out/results"}},
    ])
    assert result.status == "failed"
    assert statuses(result)[2:] == ["success", "success", "success"]  # they always run
    assert sorted(a.path for a in result.artifacts) == [
        "project/out/index.html", "site/index.html", "site/results/junit.xml"]
    assert all(a.location.is_file() for a in result.artifacts)
    assert result.test_results is not None
    assert (result.test_results.tests, result.test_results.failures) == (2, 1)
    assert result.test_results.failed_tests == ("a.bad",)


# -- checkout -----------------------------------------------------------------------------------

def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"})


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_checkout_copies_committed_and_uncommitted_but_not_ignored(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text("*.log\n.workflowcore/\n")
    (repo / "committed.txt").write_text("v1")
    (repo / "src").mkdir()
    (repo / "src" / "mod.py").write_text("print()")
    os.symlink("committed.txt", repo / "link")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    (repo / "committed.txt").write_text("v2-uncommitted")
    (repo / "untracked.txt").write_text("new")
    (repo / "debug.log").write_text("ignored")
    # the run directory lives inside the repository and must not be copied into itself
    env = Env(tmp_path, source=repo)
    env.executor = SubprocessExecutor(repo / ".workflowcore" / "run", repo, kill_grace=0.5)
    (repo / ".workflowcore" / "run").mkdir(parents=True)
    result = env.run("build", ["checkout",
                               {"run": "find . -not -path . -not -path './.git*' | sort"}])
    assert result.ok, result.log
    assert result.steps[1].output.splitlines() == [
        "./committed.txt", "./link", "./src", "./src/mod.py", "./untracked.txt"]
    project = repo / ".workflowcore" / "run" / "wf-1" / "build" / "home" / "project"
    assert (project / "committed.txt").read_text() == "v2-uncommitted"
    assert (project / ".gitignore").is_file() and (project / ".git").is_dir()
    assert os.readlink(project / "link") == "committed.txt"
    assert "applied the uncommitted work" in result.log
    assert "1 changed or untracked file" not in result.log  # 2: committed.txt, untracked.txt
    assert "2 changed or untracked files" in result.log


def test_checkout_without_git_copies_the_tree_minus_git(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / ".git").mkdir(parents=True)
    (src / ".git" / "HEAD").write_text("ref")
    (src / "a.txt").write_text("a")
    (src / "pkg").mkdir()
    (src / "pkg" / "b.txt").write_text("b")
    env = Env(tmp_path, source=src)
    result = env.run("build", [{"checkout": {"path": "code"}}, {"run": "find code | sort"}])
    assert result.ok, result.log
    assert result.steps[1].output.splitlines() == [
        "code", "code/a.txt", "code/pkg", "code/pkg/b.txt"]


def test_checkout_without_a_source_fails_the_step(env: Env) -> None:
    result = env.run("build", ["checkout"])
    assert result.status == "failed"
    assert "no source directory" in (result.steps[0].note or "")


def test_each_attempt_gets_its_own_directory(env: Env) -> None:
    env.run("again", [{"run": "echo one > f"}])
    result = env.run("again", [{"run": "test ! -e f && pwd"}])
    assert result.ok
    assert result.steps[0].output.endswith("again.2/home/project")

