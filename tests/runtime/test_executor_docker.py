"""DockerExecutor against a real engine (tests marked ``docker``), plus the parts that need
no engine (config parsing, resource classes, an engine that is not there).

Every engine test checks on the way out that no container of its run is left.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from tests.docker_engine import IMAGE, containers, docker, docker_engine, user_image

from workflowcore.errors import ExecutorCrashedError, ExecutorUnavailableError
from workflowcore.runtime.executor import Executor, JobRequest, JobResult
from workflowcore.runtime.executors._docker_images import _auth_config, auth_secrets
from workflowcore.runtime.executors._docker_spec import (
    ContainerSpec,
    SpecError,
    container_specs,
    expand_auth_value,
    registry_of,
    resource_limits,
)
from workflowcore.runtime.executors.docker import RESOURCE_CLASSES, DockerExecutor
from workflowcore.runtime.stores import (
    FileSystemArtifactStore,
    FileSystemCacheStore,
    FileSystemWorkspaceStore,
)

__all__ = ["docker_engine"]  # the fixture, imported for pytest

GIB = 1024 ** 3
SRC = Path(__file__).resolve().parents[2] / "src"


class Env:
    """One run: stores, a Docker executor and the collected output lines."""

    def __init__(self, tmp: Path, source: Optional[Path] = None, **kwargs: Any) -> None:
        self.tmp = tmp
        self.run_id = f"test-{uuid.uuid4().hex[:10]}"
        self.workspace = FileSystemWorkspaceStore(tmp / "stores" / "workspace")
        self.caches = FileSystemCacheStore(tmp / "stores" / "cache")
        self.artifacts = FileSystemArtifactStore(tmp / "stores" / "artifacts")
        kwargs.setdefault("kill_grace", 0.5)
        self.executor = DockerExecutor(tmp / "run", source, **kwargs)
        self.lines: List[str] = []

    def request(self, job: str, steps: List[Any], image: str = IMAGE,
                **kwargs: Any) -> JobRequest:
        definition: Dict[str, Any] = {"docker": [{"image": image}], "steps": steps}
        definition.update(kwargs.pop("definition", {}))
        return JobRequest(
            run_id=self.run_id, workflow_id=kwargs.pop("workflow_id", "wf-1"), job_name=job,
            definition=definition, workspace=self.workspace, caches=self.caches,
            artifacts=self.artifacts, on_output=kwargs.pop("on_output", self.lines.append),
            **kwargs)

    def run(self, job: str, steps: List[Any], image: str = IMAGE, **kwargs: Any) -> JobResult:
        return self.executor.execute(self.request(job, steps, image, **kwargs))


@pytest.fixture
def env(tmp_path: Path, docker_engine: str) -> Any:
    e = Env(tmp_path)
    yield e
    e.executor.close()
    assert containers(e.run_id) == [], "a container of the run was left behind"


def statuses(result: JobResult) -> List[str]:
    return [s.status for s in result.steps]


def outputs(result: JobResult) -> List[str]:
    return [s.output for s in result.steps]


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())


# -- without an engine ---------------------------------------------------------------------

def test_a_missing_cli_is_reported_before_any_job(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ExecutorUnavailableError, match=r"not found on PATH.*WORKFLOWCORE_DOCKER"):
        DockerExecutor(docker_cli="/no/such/docker")
    monkeypatch.setenv("WORKFLOWCORE_DOCKER", "/no/such/podman --remote")
    with pytest.raises(ExecutorUnavailableError, match="'/no/such/podman'"):
        DockerExecutor()


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI")
def test_an_engine_that_is_down_is_reported_with_what_to_do(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(ExecutorUnavailableError) as info:
        DockerExecutor(tmp_path)
    message = str(info.value)
    assert f"unix://{tmp_path}/no-engine.sock" in message
    assert "start-docker.sh" in message
    assert "subprocess executor" in message
    # check=False defers the question to the first job (or an explicit check())
    executor = DockerExecutor(tmp_path, check=False)
    with pytest.raises(ExecutorUnavailableError):
        executor.execute(JobRequest("r", "w", "j", {"docker": [{"image": IMAGE}],
                                                    "steps": [{"run": "true"}]}))


def test_pull_policy_is_checked() -> None:
    with pytest.raises(ValueError, match="pull must be one of"):
        DockerExecutor(pull="sometimes", check=False)


def test_resource_classes_map_to_limits_clamped_to_the_host() -> None:
    assert RESOURCE_CLASSES["small"] == (1, 2)
    assert RESOURCE_CLASSES["large"] == (4, 8)
    small = resource_limits("small", host_cpus=64, host_memory=256 * GIB)
    assert (small.cpus, small.memory) == (1, 2 * GIB)
    assert small.args() == ["--cpus", "1", "--memory", str(2 * GIB), "--memory-swap",
                            str(2 * GIB)]
    default = resource_limits(None, host_cpus=64, host_memory=256 * GIB)
    assert (default.cpus, default.memory) == (2, 4 * GIB)
    assert default.note == "resource_class medium: 2 CPUs, 4 GB"
    big = resource_limits("xlarge", host_cpus=2, host_memory=3 * GIB)
    assert (big.cpus, big.memory) == (2, 3 * GIB)
    assert "clamped to this machine: 2 CPUs, 3.0 GB" in big.note
    runner = resource_limits("my-ns/my-runner", host_cpus=2, host_memory=GIB)
    assert (runner.cpus, runner.memory, runner.args()) == (None, None, [])
    assert "not a Docker resource class" in runner.note


def test_docker_entries_are_read_like_circleci() -> None:
    specs = container_specs({"docker": [
        {"image": "cimg/python:3.12", "user": "circleci", "auth": {
            "username": "me", "password": "$PASS"}, "environment": {"A": 1, "B": True}},
        {"image": "postgres:16", "name": "db", "command": "postgres -c fsync=off",
         "entrypoint": ["docker-entrypoint.sh"], "environment": ["POSTGRES_PASSWORD=pw"]},
    ]})
    primary, db = specs
    assert primary == ContainerSpec("cimg/python:3.12", user="circleci",
                                    environment={"A": "1", "B": "true"}, auth=("me", "$PASS"))
    assert not primary.runs_own_command
    assert db.runs_own_command
    assert db.run_args() == ("docker-entrypoint.sh", ["postgres", "-c", "fsync=off"])
    assert db.environment == {"POSTGRES_PASSWORD": "pw"}
    assert ContainerSpec("x", entrypoint=("sh", "-c"), command=("echo",)).run_args() == (
        "sh", ["-c", "echo"])
    assert container_specs({"machine": True}) == []
    for bad, message in (({"docker": []}, "non-empty list"),
                         ({"docker": [{"name": "x"}]}, r"docker\[0\] has no `image`"),
                         ({"docker": [{"image": "a b"}]}, "white space"),
                         ({"docker": [{"image": "a", "auth": "x"}]}, "auth must be a map"),
                         ({"docker": [{"image": "a", "environment": ["NOEQ"]}]}, "KEY=value")):
        with pytest.raises(SpecError, match=message):
            container_specs(bad)


def test_registries_and_auth_interpolation() -> None:
    assert registry_of("cimg/base:stable") == "https://index.docker.io/v1/"
    assert registry_of("ubuntu") == "https://index.docker.io/v1/"
    assert registry_of("ghcr.io/org/img:1") == "ghcr.io"
    assert registry_of("localhost:5000/img") == "localhost:5000"
    assert expand_auth_value("$USER_X-${PASS}", {"USER_X": "u", "PASS": "p"}) == ("u-p", [])
    assert expand_auth_value("$MISSING", {}) == ("", ["MISSING"])


def test_registry_credentials_go_to_a_private_config_only() -> None:
    spec = ContainerSpec("ghcr.io/org/private:1", auth=("bot", "${TOKEN}x"))
    config_dir, missing = _auth_config(spec, {"TOKEN": "t0ken"})
    try:
        assert missing == []
        assert oct(os.stat(config_dir).st_mode & 0o777) == "0o700"
        path = Path(config_dir) / "config.json"
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        data = json.loads(path.read_text())
        assert data == {"auths": {"ghcr.io": {
            "auth": base64.b64encode(b"bot:t0kenx").decode()}}}
    finally:
        shutil.rmtree(config_dir)
    assert auth_secrets(spec, {"TOKEN": "t0ken"}) == ["bot", "t0kenx"]


# -- the job in its container ----------------------------------------------------------------

@pytest.mark.docker
def test_a_job_canceled_before_it_starts_creates_nothing(env: Env) -> None:
    cancel = threading.Event()
    cancel.set()
    result = env.run("early", [{"run": "echo never"}], cancel=cancel)
    assert (result.status, result.message) == ("canceled", "the job was canceled")
    assert statuses(result) == ["skipped"]
    assert env.lines == []


@pytest.mark.docker
def test_steps_run_in_the_primary_image_with_labelled_containers(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WFC_HOST_SECRET", "leaked")
    seen: Dict[str, str] = {}

    def on_output(line: str) -> None:
        env.lines.append(line)
        if line == "look-now":  # the job is running: inspect its container from outside
            ids = containers(env.run_id)
            seen["count"] = str(len(ids))
            seen["labels"] = docker("inspect", "--format", "{{json .Config.Labels}}",
                                    *ids).stdout

    result = env.run("build", [
        {"run": 'echo "HOME=$HOME"; pwd; tr "\\0" " " < /proc/$$/cmdline; echo; id -u; '
                'echo "[${WFC_HOST_SECRET:-}]"; test ! -e /work && echo host-paths-invisible; '
                "echo look-now"},
    ], on_output=on_output)
    assert result.ok, result.log
    lines = result.steps[0].output.splitlines()
    assert lines[:6] == ["HOME=/root", "/root/project",
                         "/bin/sh -eo pipefail /tmp/.workflowcore/step-000 ", "0", "[]",
                         "host-paths-invisible"]  # busybox has no bash: sh is the default
    assert seen["count"] == "1"
    for label in (f'"workflowcore.run":"{env.run_id}"', '"workflowcore.job":"build"',
                  '"workflowcore.workflow":"wf-1"', '"workflowcore.role":"primary"'):
        assert label in seen["labels"]
    assert env.lines[0] == "==> Spin up environment"
    assert env.lines[1].startswith(
        f"primary container: {IMAGE}; resource_class medium: 2 CPUs, 4 GB")
    assert result.log.startswith("==> Spin up environment\n")


@pytest.mark.docker
def test_the_default_shell_is_bash_when_the_image_has_it(env: Env) -> None:
    image = "cimg/base:stable"
    has_bash = docker("run", "--rm", image, "test", "-x", "/bin/bash",
                      check=False).returncode == 0
    result = env.run("shell", [
        {"run": 'tr "\\0" " " < /proc/$$/cmdline; echo'},
        {"run": "echo 'export FROM_EARLIER=yes' >> \"$BASH_ENV\""},
        {"run": 'echo "got=${FROM_EARLIER:-no}"'},
    ], image=image)
    assert result.ok, result.log
    if has_bash:  # the project's start-docker.sh gives cimg/base a static bash
        assert result.steps[0].output == "/bin/bash -eo pipefail /tmp/.workflowcore/step-000 "
        assert result.steps[2].output == "got=yes"  # bash sources $BASH_ENV before each step
    else:
        assert result.steps[0].output == "/bin/sh -eo pipefail /tmp/.workflowcore/step-000 "


@pytest.mark.docker
def test_a_non_root_user_owns_what_the_executor_puts_in(env: Env) -> None:
    image = user_image()
    first = env.run("first", [
        {"run": "id -un; pwd; mkdir -p ~/.deps /tmp/abs-cache dist && echo lib > ~/.deps/lib && "
                "echo abs > /tmp/abs-cache/x && echo built > dist/app"},
        {"persist_to_workspace": {"root": ".", "paths": ["dist"]}},
        {"save_cache": {"key": "v1-deps", "paths": ["~/.deps", "/tmp/abs-cache"]}},
    ], image=image)
    assert first.ok, first.log
    assert first.steps[0].output.splitlines() == ["circleci", "/home/circleci/project"]
    second = env.run("second", [
        {"attach_workspace": {"at": "~/ws"}},
        {"restore_cache": {"key": "v1-deps"}},
        {"run": "stat -c '%U %a' ~/ws/dist/app ~/.deps/lib /tmp/abs-cache/x; "
                "stat -c '%U %a' /tmp; echo more >> ~/.deps/lib && touch ~/ws/dist/new && "
                "cat ~/.deps/lib /tmp/abs-cache/x"},
    ], image=image, upstream_jobs=("first",))
    assert second.ok, second.log
    assert second.steps[2].output.splitlines() == [
        "circleci 644", "circleci 644", "circleci 644",
        "root 1777",  # an existing directory keeps its owner and mode
        "lib", "more", "abs"]


@pytest.mark.docker
def test_environment_precedence_and_image_environment_stays_out_of_steps(env: Env) -> None:
    definition = {
        "docker": [{"image": IMAGE, "environment": {"IMG_ONLY": "image-value", "B": "image"},
                    "command": ["/bin/sh", "-c",
                                'echo "$IMG_ONLY" > /tmp/from-command; exec sleep 600']}],
        "environment": {"B": "job", "C": "job"},
    }
    result = env.run("envs", [
        {"run": {"command": 'echo "A=$A B=$B C=$C"; echo "[${IMG_ONLY:-}]"; '
                            "cat /tmp/from-command; echo \"WD=$CIRCLE_WORKING_DIRECTORY\"",
                 "environment": {"C": "step"}}},
        {"run": 'echo "C=$C"'},
    ], environment={"A": "context", "B": "context", "C": "context"}, definition=definition)
    assert result.ok, result.log
    assert outputs(result) == ["A=context B=job C=step\n[]\nimage-value\nWD=~/project", "C=job"]


@pytest.mark.docker
def test_failure_and_when_semantics(env: Env) -> None:
    result = env.run("test", [
        {"run": "echo first"},
        {"run": {"name": "boom", "command": "echo failing; exit 3"}},
        {"run": {"name": "after", "command": "echo should-not-run"}},
        {"run": {"name": "on-fail", "command": "echo on-fail-ran", "when": "on_fail"}},
        {"run": {"name": "always", "command": "echo always-ran", "when": "always"}},
    ])
    assert result.status == "failed"
    assert result.exit_code == 3
    assert result.message == "step 'boom' failed: Exited with code exit status 3"
    assert statuses(result) == ["success", "failed", "skipped", "success", "success"]
    assert "should-not-run" not in result.log
    assert "on-fail-ran" in env.lines and "always-ran" in env.lines
    pipes = env.run("pipes", [{"run": "false | true\necho unreachable"}])
    assert pipes.status == "failed" and "unreachable" not in pipes.log


@pytest.mark.docker
def test_workspace_between_jobs_goes_through_the_store(env: Env) -> None:
    producer = env.run("build", [
        {"run": "mkdir -p dist/sub && echo built > dist/app.txt && ln -s app.txt dist/link && "
                "ln -s /root/project/dist/app.txt dist/sub/abs"},
        {"persist_to_workspace": {"root": ".", "paths": ["dist"]}},
    ])
    assert producer.ok, producer.log
    assert env.workspace.layers("wf-1") == ["build"]
    consumer = env.run("deploy", [
        {"attach_workspace": {"at": "/tmp/workspace"}},
        {"run": "cat /tmp/workspace/dist/app.txt /tmp/workspace/dist/link "
                "/tmp/workspace/dist/sub/abs; readlink /tmp/workspace/dist/sub/abs"},
    ], upstream_jobs=("build",))
    assert consumer.ok, consumer.log
    # the absolute link inside the persisted tree became relative, so it still works
    assert consumer.steps[1].output == "built\nbuilt\nbuilt\n../app.txt"
    stranger = env.run("other", [{"attach_workspace": {"at": "ws"}},
                                 {"run": "test ! -e ws/dist"}])
    assert stranger.ok, stranger.log


@pytest.mark.docker
def test_caches_round_trip_between_containers(env: Env) -> None:
    save = env.run("first", [
        {"run": "mkdir -p ~/.deps node_modules /opt/tool && echo dep > ~/.deps/lib && "
                "echo mod > node_modules/m && echo lock-v1 > lock.txt && echo t > /opt/tool/t"},
        {"save_cache": {"key": 'deps-{{ .Branch }}-{{ checksum "lock.txt" }}',
                        "paths": ["~/.deps", "node_modules", "/opt/tool", "missing-dir"]}},
        {"save_cache": {"key": 'deps-{{ .Branch }}-{{ checksum "lock.txt" }}',
                        "paths": ["~/.deps"]}},
    ], environment={"CIRCLE_BRANCH": "main"})
    assert save.ok, save.log
    assert "Warning: could not find /root/project/missing-dir to cache; skipping it" in save.log
    assert (save.steps[2].note or "").startswith("Skipping cache generation")
    restore = env.run("second", [
        {"restore_cache": {"keys": ["deps-feature-", "deps-"]}},
        {"run": "cat ~/.deps/lib node_modules/m /opt/tool/t"},
        {"restore_cache": {"key": 'v1-{{ checksum "no-such-file" }}'}},
    ], environment={"CIRCLE_BRANCH": "feature"})
    assert restore.ok, restore.log
    assert restore.steps[1].output == "dep\nmod\nt"
    assert statuses(restore) == ["success", "success", "warning"]


@pytest.mark.docker
def test_artifacts_and_test_results_come_out_of_the_container(env: Env) -> None:
    junit = ('<testsuite><testcase classname="a" name="ok"/>'
             '<testcase classname="a" name="bad"><failure/></testcase></testsuite>')
    result = env.run("report", [
        {"run": f"mkdir -p out/results && echo report > out/index.html && "
                f"echo '{junit}' > out/results/junit.xml"},
        {"run": "exit 1"},
        {"store_artifacts": {"path": "out", "destination": "site"}},
        {"store_test_results": {"path": "out/results"}},
    ])
    assert result.status == "failed"
    assert statuses(result)[2:] == ["success", "success"]
    assert sorted(a.path for a in result.artifacts) == ["site/index.html",
                                                         "site/results/junit.xml"]
    assert all(a.location.is_file() for a in result.artifacts)
    assert result.test_results is not None
    assert (result.test_results.tests, result.test_results.failures) == (2, 1)


@pytest.mark.docker
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_checkout_streams_the_working_tree_into_the_container(
        tmp_path: Path, docker_engine: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "committed.txt").write_text("v1")
    (repo / "src").mkdir()
    (repo / "src" / "run.sh").write_text("echo ran\n")
    (repo / "src" / "run.sh").chmod(0o755)
    os.symlink("committed.txt", repo / "link")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    (repo / "committed.txt").write_text("v2-uncommitted")
    (repo / "untracked.txt").write_text("new")
    (repo / "debug.log").write_text("ignored")
    env = Env(tmp_path, source=repo)
    try:
        result = env.run("build", ["checkout", {"run": "find . -not -path . -not -path './.git*' "
                                                       "| sort; cat link; echo; ./src/run.sh; "
                                                       "test -f .git/HEAD && echo has-git"}],
                         image=user_image())
        assert result.ok, result.log
        assert result.steps[1].output.splitlines() == [
            "./committed.txt", "./link", "./src", "./src/run.sh",
            "./untracked.txt", "v2-uncommitted", "ran", "has-git"]
        assert "copied the clone into the container at /home/circleci/project (" in result.log
        assert "applied the uncommitted work" in result.log
        no_source = Env(tmp_path).run("nosrc", ["checkout"])
        assert "no source directory" in (no_source.steps[0].note or "")
    finally:
        env.executor.close()
    assert containers(env.run_id) == []


# -- stopping steps and jobs ---------------------------------------------------------------

@pytest.mark.docker
def test_no_output_timeout_kills_the_step_inside_the_container(env: Env) -> None:
    result = env.run("quiet", [
        {"run": {"command": "sleep 60 & echo $! > /tmp/child; echo started; wait",
                 "no_output_timeout": "1s"}},
        {"run": {"command": "kill -0 $(cat /tmp/child) 2>/dev/null && echo alive || echo gone",
                 "when": "on_fail"}},
    ])
    assert result.status == "failed"
    assert result.steps[0].note == (
        "Too long with no output (exceeded 1s): context deadline exceeded")
    assert result.steps[1].output == "gone"


@pytest.mark.docker
def test_cancel_stops_the_job_and_removes_its_containers(env: Env) -> None:
    cancel = threading.Event()
    started = threading.Event()
    holder: Dict[str, JobResult] = {}

    def on_output(line: str) -> None:
        env.lines.append(line)
        if line == "started":
            started.set()

    definition = {"docker": [{"image": IMAGE},
                             {"image": IMAGE, "command": ["sleep", "600"]}]}
    request = env.request("long", [
        {"run": "echo started; sleep 60"},
        {"run": {"command": "echo always-after-cancel", "when": "always"}},
    ], cancel=cancel, on_output=on_output, definition=definition)
    thread = threading.Thread(target=lambda: holder.update(r=env.executor.execute(request)))
    thread.start()
    assert started.wait(30)
    assert len(containers(env.run_id)) == 2  # primary + service
    t0 = time.monotonic()
    cancel.set()
    thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - t0 < 8
    result = holder["r"]
    assert (result.status, result.exit_code) == ("canceled", None)
    assert statuses(result) == ["canceled", "skipped"]
    assert containers(env.run_id) == []  # gone when execute() returns, not later


@pytest.mark.docker
def test_job_timeout(env: Env) -> None:
    result = env.run("slow", [{"run": "sleep 30"},
                              {"run": {"command": "echo nope", "when": "always"}}], timeout=1.0)
    assert result.status == "failed"
    assert result.message == "the job timed out after 1s"
    assert statuses(result) == ["failed", "skipped"]


KILLED_RUNNER = """
import sys
from workflowcore.runtime.executor import JobRequest
from workflowcore.runtime.executors.docker import DockerExecutor
ex = DockerExecutor(sys.argv[1])
def out(line):
    print(line, flush=True)
ex.execute(JobRequest(sys.argv[2], "wf", "doomed", {"docker": [{"image": sys.argv[3]}],
    "steps": [{"run": "echo started; sleep 120"}]}, on_output=out))
"""


@pytest.mark.docker
def test_a_killed_process_leaves_no_container(tmp_path: Path, docker_engine: str) -> None:
    run_id = f"test-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUNNER, str(tmp_path), run_id, IMAGE],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "started":
                break
        assert len(containers(run_id)) == 1
        proc.send_signal(signal.SIGKILL)  # no finally, no atexit: the process just ends
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    # the primary container notices that its owner is gone and removes itself
    assert wait_for(lambda: containers(run_id) == [], timeout=20), containers(run_id)


@pytest.mark.docker
def test_cleanup_removes_the_leftovers_of_a_run(tmp_path: Path, docker_engine: str) -> None:
    run_id = f"test-{uuid.uuid4().hex[:10]}"
    other = f"test-{uuid.uuid4().hex[:10]}"
    for rid in (run_id, run_id, other):
        docker("run", "-d", "--label", f"workflowcore.run={rid}", IMAGE, "sleep", "600")
    executor = DockerExecutor(tmp_path)
    try:
        assert len(executor.containers(run_id)) == 2
        assert executor.cleanup(run_id) == 2
        assert containers(run_id) == []
        assert len(containers(other)) == 1
        assert executor.cleanup(run_id) == 0
    finally:
        executor.cleanup(other)
    assert containers(other) == []


@pytest.mark.docker
def test_a_container_removed_under_the_job_is_an_executor_error(env: Env) -> None:
    def on_output(line: str) -> None:
        if line == "started":
            docker("rm", "-f", *containers(env.run_id))

    with pytest.raises(ExecutorCrashedError, match="primary container"):
        env.run("victim", [{"run": "echo started; sleep 30"}, {"run": "echo never"}],
                on_output=on_output)


# -- services, limits, images ----------------------------------------------------------------

HTTPD = ["/bin/sh", "-c", "mkdir -p /www && echo hello-from-service > /www/index.html && "
                          "exec httpd -f -p 8080 -h /www"]


@pytest.mark.docker
def test_service_containers_answer_on_localhost_and_by_name(env: Env) -> None:
    definition = {"docker": [{"image": IMAGE}, {"image": IMAGE, "name": "web",
                                                "command": HTTPD}]}
    result = env.run("client", [
        {"run": "for i in $(seq 100); do wget -q -O- http://localhost:8080/ 2>/dev/null && break; "
                "sleep 0.1; done; wget -q -O- http://web:8080/"},
    ], definition=definition)
    assert result.ok, result.log
    assert result.steps[0].output == "hello-from-service\nhello-from-service"
    assert f"service container: {IMAGE} on localhost (also as web)" in env.lines


@pytest.mark.docker
def test_a_service_that_dies_is_reported_in_a_failed_job(env: Env) -> None:
    definition = {"docker": [{"image": IMAGE}, {"image": IMAGE, "command": [
        "/bin/sh", "-c", "echo service-is-dying; exit 3"]}]}
    result = env.run("client", [{"run": "sleep 1; nc -z localhost 5432"}], definition=definition)
    assert result.status == "failed"
    assert f"service container {IMAGE} exited (exit code 3); its last output:" in result.log
    assert "  service-is-dying" in result.log


@pytest.mark.docker
def test_background_steps_run_beside_the_next_ones(env: Env) -> None:
    result = env.run("bg", [
        {"run": {"name": "server", "background": True, "command": HTTPD[2]}},
        {"run": "for i in $(seq 100); do wget -q -O- http://localhost:8080/ 2>/dev/null && break; "
                "sleep 0.1; done"},
    ])
    assert result.ok, result.log
    assert result.steps[1].output == "hello-from-service"


@pytest.mark.docker
def test_resource_class_becomes_cpu_and_memory_limits(env: Env) -> None:
    engine = env.executor.check()
    result = env.run("small", [{"run": (
        "cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "
        "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
        "; cat /sys/fs/cgroup/memory.max 2>/dev/null || "
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes")}],
        definition={"resource_class": "small"})
    assert result.ok, result.log
    cpu, memory = result.steps[0].output.splitlines()
    quota, period = cpu.split()
    assert int(quota) == int(period)  # one CPU
    assert int(memory) == min(2 * GIB, engine.memory or 2 * GIB)
    assert "resource_class small: 1 CPUs, 2 GB" in result.log
    unlimited = Env(env.tmp, resource_limits=False)
    try:
        free = unlimited.run("free", [{"run": "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                                              "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"}],
                             definition={"resource_class": "small"})
        assert free.ok and free.steps[0].output.strip() != str(2 * GIB)
    finally:
        unlimited.executor.close()


@pytest.mark.docker
def test_offline_mode_and_images_that_cannot_be_pulled(tmp_path: Path, docker_engine: str) -> None:
    offline = Env(tmp_path, pull="never")
    result = offline.run("missing", [{"run": "echo never"}], image="wfc-test/not-there:1")
    assert result.status == "failed"
    assert result.message is not None
    assert "'wfc-test/not-there:1' is not on the Docker engine and pulling is off" in result.message
    assert "docker pull wfc-test/not-there:1" in result.message
    assert statuses(result) == ["skipped"]
    assert result.steps[0].note == "not run: the job could not start"
    # with credentials from the job's environment: they are used, never shown
    secret = "registry-pa55word"
    online = Env(tmp_path)
    definition = {"docker": [{"image": "localhost:1/private/img:1",
                              "auth": {"username": "me", "password": "${REG_PASS}"}}]}
    pulled = online.run("private", [{"run": "echo never"}], definition=definition,
                        environment={"REG_PASS": secret}, secrets=[secret])
    assert pulled.status == "failed"
    assert "could not be pulled" in (pulled.message or "")
    assert "pulling image localhost:1/private/img:1" in pulled.log
    assert secret not in pulled.log and all(secret not in ln for ln in online.lines)
    assert not list(Path(tempfile.gettempdir()).glob("workflowcore-docker-auth-*"))
    assert containers(offline.run_id) == containers(online.run_id) == []


@pytest.mark.docker
def test_jobs_without_a_docker_image(tmp_path: Path, docker_engine: str) -> None:
    env = Env(tmp_path)
    machine = env.executor.execute(JobRequest(env.run_id, "w", "vm", {
        "machine": {"image": "ubuntu-2204:current"}, "steps": [{"run": "true"}]}))
    assert machine.status == "failed"
    assert "a machine job cannot run in the Docker executor" in (machine.message or "")
    fallback = Env(tmp_path, default_image=IMAGE)
    ran = fallback.executor.execute(JobRequest(fallback.run_id, "w", "vm", {
        "machine": True, "steps": [{"run": "echo in-default-image"}]}))
    assert ran.ok and ran.steps[0].output == "in-default-image"
    invalid = env.run("bad", [{"run": "true"}], definition={"docker": [{"name": "x"}]})
    assert invalid.status == "failed" and "has no `image`" in (invalid.message or "")


@pytest.mark.docker
def test_a_primary_command_that_exits_fails_the_job_clearly(env: Env) -> None:
    definition = {"docker": [{"image": IMAGE, "command": ["/bin/sh", "-c", "echo bye; exit 4"]}]}
    result = env.run("short", [{"run": "echo never"}], definition=definition)
    assert result.status == "failed"
    assert "exited with code 4 before the steps could run" in (result.message or "")
    assert "Its last output: bye" in (result.message or "")


# -- output, scripts, concurrency -------------------------------------------------------------

@pytest.mark.docker
def test_secrets_are_masked_in_container_output(env: Env) -> None:
    secret = "sup3r-s3cret-value"
    result = env.run("mask", [
        {"run": 'echo "token is $TOKEN"; echo "$TOKEN" >&2'},
        {"run": 'printf "no newline at the end $TOKEN"'},
        {"run": 'echo "$TOKEN"; exit 1'},
    ], environment={"TOKEN": secret}, secrets=[secret, "true"])
    assert secret not in result.log
    assert all(secret not in line for line in env.lines)
    assert "token is ********" in env.lines
    assert "no newline at the end ********" in env.lines


@pytest.mark.docker
def test_long_scripts_and_odd_values_reach_the_shell_intact(env: Env) -> None:
    big = "\n".join(f"echo line-{i} > /dev/null" for i in range(6000)) + "\necho big-done"
    assert len(big) > 96 * 1024
    result = env.run("scripts", [
        {"run": big},
        {"run": {"command": 'printf "%s|" "$MULTI" "$QUOTES" "$EMPTY"; echo',
                 "environment": {"MULTI": "a\nb", "QUOTES": "it's \"x\" $HOME", "EMPTY": ""}}},
        {"run": {"command": "echo from-dir; pwd", "working_directory": "sub dir/x"}},
    ])
    assert result.ok, result.log
    assert outputs(result) == ["big-done", "a\nb|it's \"x\" $HOME||",
                               "from-dir\n/root/project/sub dir/x"]


@pytest.mark.docker
def test_jobs_run_in_parallel(env: Env) -> None:
    executor: Executor = env.executor
    results: Dict[str, JobResult] = {}

    def job(name: str) -> None:  # containers share the kernel, so /proc/uptime is one clock
        results[name] = executor.execute(env.request(name, [
            {"run": "cut -d' ' -f1 /proc/uptime; sleep 1; cut -d' ' -f1 /proc/uptime"}]))

    threads = [threading.Thread(target=job, args=(f"j{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    spans = [[float(x) for x in results[f"j{i}"].steps[0].output.split()] for i in range(3)]
    assert max(s[0] for s in spans) < min(s[1] for s in spans), f"no overlap: {spans}"
