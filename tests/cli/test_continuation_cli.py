"""``run`` of a ``setup: true`` config (issue 12): the real ``circleci/continuation`` and
``circleci/path-filtering`` orbs (from ../shared/orbs) continue the pipeline through the
run's local endpoint, and the continued workflows run as the same pipeline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from tests.cli._repo import make_repo, wfc
from tests.conftest import shared_dir

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("jq") is None or shutil.which("bash") is None,
    reason="the continuation orb's script needs bash, curl and jq on this machine")


@pytest.fixture(scope="module")
def orbs() -> Path:
    try:
        return shared_dir() / "orbs"
    except RuntimeError as exc:
        pytest.skip(str(exc))


def _setup_config(steps: str, parameters: str = "") -> str:
    return f"""\
version: 2.1
setup: true
orbs:
  continuation: circleci/continuation@2.0.1
{parameters}
jobs:
  generate:
    docker: [{{image: cimg/base:stable}}]
    steps:
      - checkout
{steps}
workflows:
  setup:
    jobs: [generate]
"""


def _run(repo: Path, orbs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return wfc(repo, "run", "-b", "main", "--orb-dir", str(orbs), *args, timeout=300)


def _document(proc: subprocess.CompletedProcess[str]) -> Dict[str, Any]:
    doc: Dict[str, Any] = json.loads(proc.stdout)
    return doc


def _names(doc: Dict[str, Any]) -> List[str]:
    return [w["name"] for w in doc["workflows"]]


def test_the_continuation_orb_continues_the_same_pipeline(tmp_path: Path, orbs: Path) -> None:
    """The setup job writes a config and the real orb POSTs it: the continued workflow runs
    with the trigger's and the received parameters, in the same pipeline, without the key."""
    out = tmp_path / "continued.out"
    generate = f"""\
      - run:
          name: Generate the config
          command: |
            cat > generated.yml \\<<'YML'
            version: 2.1
            parameters:
              greeting: {{type: string, default: hello}}
              target: {{type: string, default: nobody}}
            jobs:
              greet:
                docker: [{{image: cimg/base:stable}}]
                steps:
                  - run: >-
                      echo "\\<< pipeline.parameters.greeting >> \\<< pipeline.parameters.target >>
                      \\<< pipeline.id >> $CIRCLE_PIPELINE_ID ${{CIRCLE_CONTINUATION_KEY:-no-key}}"
                      > {out}
            workflows:
              continued:
                jobs: [greet]
            YML
      - continuation/continue:
          configuration_path: generated.yml
          parameters: '{{"target": "world"}}'
"""
    repo = make_repo(tmp_path, _setup_config(
        generate, "parameters:\n  greeting: {type: string, default: hello}"))
    proc = _run(repo, orbs, "-p", "greeting=hi", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = _document(proc)
    pipeline = doc["pipeline"]
    assert _names(doc) == ["setup", "continued"]
    assert {w["pipeline"] for w in doc["workflows"]} == {pipeline}
    assert [w["status"] for w in doc["workflows"]] == ["success", "success"]
    assert doc["continuation"]["status"] == "continued"
    saved = Path(doc["continuation"]["config"])
    assert saved == repo / ".workflowcore" / "continuations" / f"{pipeline}.yml"
    assert "target: {type: string, default: nobody}" in saved.read_text()
    assert out.read_text().split() == ["hi", "world", pipeline, pipeline, "no-key"]
    # the orb prints the body it posts: the key in it is masked
    setup_id = doc["workflows"][0]["id"]
    logs = wfc(repo, "logs", setup_id, "generate", "--format", "json")
    log = json.loads(logs.stdout)["logs"]["generate"]
    assert '"continuation-key": "********"' in log
    assert '{"message": "Success."}' in log


def test_a_pipeline_is_continued_once(tmp_path: Path, orbs: Path) -> None:
    steps = """\
      - continuation/continue:
          configuration_path: .circleci/continue.yml
      - continuation/continue:
          configuration_path: .circleci/continue.yml
"""
    repo = make_repo(tmp_path, _setup_config(steps), {".circleci/continue.yml": CONTINUED})
    proc = _run(repo, orbs)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert '{"message": "Pipeline is not in setup state."}' in proc.stdout
    assert "step 'Continue Pipeline' failed" in proc.stdout
    assert "the setup workflow did not succeed, so the pipeline was not continued (the " \
           "continuation it sent is not run)" in proc.stdout
    assert "workflow continued" not in proc.stdout


def test_parameters_the_trigger_gave_cannot_be_sent_again(tmp_path: Path, orbs: Path) -> None:
    steps = """\
      - continuation/continue:
          configuration_path: .circleci/continue.yml
          parameters: '{"deploy": false}'
"""
    repo = make_repo(tmp_path, _setup_config(
        steps, "parameters:\n  deploy: {type: boolean, default: false}"),
        {".circleci/continue.yml": CONTINUED})
    proc = _run(repo, orbs, "-p", "deploy=true", "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = _document(proc)
    assert _names(doc) == ["setup"] and doc["continuation"]["status"] == "skipped"
    log = json.loads(wfc(repo, "logs", doc["workflows"][0]["id"], "generate",
                         "--format", "json").stdout)["logs"]["generate"]
    assert '{"message": "Conflicting pipeline parameters."}' in log


CONTINUED = """\
version: 2.1
jobs:
  after:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo continued}]
workflows:
  continued:
    jobs: [after]
"""


SETUP_DEPLOY = "parameters:\n  deploy: {type: boolean, default: false}"


@pytest.mark.parametrize(("continued", "parameters", "setup_parameters", "expected"), [
    (CONTINUED.replace("jobs: [after]", "jobs: [after, {b: {requires: [after]}}]"), "{}", "",
     "yml:8:20: error: Cannot find a definition for job named b [job-undefined]"),
    (CONTINUED, '{"nope": 1}', "", "error: Unexpected argument(s): nope"),
    (CONTINUED.replace("version: 2.1\n", "version: 2.1\nsetup: true\n"), "{}", "",
     "error: the continued configuration has 'setup: true', but a pipeline cannot be "
     "continued with another setup configuration [continuation-setup]"),
    (CONTINUED.replace("version: 2.1\n", "version: 2.1\n" + SETUP_DEPLOY.replace(
        "false", "true") + "\n"), "{}", SETUP_DEPLOY,
     "error: Conflicting pipeline parameters. (pipeline parameter 'deploy' has default "
     "true here but false in the setup configuration) [continuation-parameters]"),
], ids=["undefined-job", "unexpected-parameter", "setup-again", "other-default"])
def test_a_continued_config_that_does_not_compile_fails_the_pipeline(
        tmp_path: Path, orbs: Path, continued: str, parameters: str, setup_parameters: str,
        expected: str) -> None:
    steps = f"""\
      - continuation/continue:
          configuration_path: .circleci/continue.yml
          parameters: '{parameters}'
"""
    repo = make_repo(tmp_path, _setup_config(steps, setup_parameters),
                     {".circleci/continue.yml": continued})
    proc = _run(repo, orbs, "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = _document(proc)
    assert _names(doc) == ["setup"] and doc["workflows"][0]["status"] == "success"
    assert doc["continuation"]["status"] == "errored"
    saved = doc["continuation"]["config"]
    assert saved.endswith(f"{doc['pipeline']}.yml")
    assert f"the continued configuration (received from the setup workflow, saved as " \
           f"{saved}) is invalid, so the pipeline errored:" in proc.stderr
    assert expected in proc.stderr
    assert f"{saved}:" in proc.stderr  # diagnostics name the saved file


def test_a_setup_workflow_that_does_not_continue_ends_the_pipeline(
        tmp_path: Path, orbs: Path) -> None:
    repo = make_repo(tmp_path, _setup_config("      - run: echo deciding not to continue\n"))
    proc = _run(repo, orbs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "workflow setup: success" in proc.stdout
    assert "the setup workflow finished without continuing the pipeline, so nothing more " \
           "runs" in proc.stdout


def test_the_orbs_finish_continues_with_nothing_to_run(tmp_path: Path, orbs: Path) -> None:
    """continuation/finish posts `{version: 2, jobs: {}, workflows: {version: 2}}` "to
    advance the pipeline, but not execute any further workflows"."""
    repo = make_repo(tmp_path, _setup_config("      - continuation/finish\n"))
    proc = _run(repo, orbs, "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = _document(proc)
    assert _names(doc) == ["setup"]
    assert doc["continuation"]["status"] == "continued"
    assert doc["continuation"]["message"].endswith("which runs no workflow for branch 'main'")


PATH_FILTERING = """\
version: 2.1
setup: true
orbs:
  path-filtering: circleci/path-filtering@2.1.0
  continuation: circleci/continuation@2.0.1
jobs:
  filter:
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - path-filtering/set-parameters:
          base-revision: main
          mapping: |
            src/.* build-code true
            docs/.* build-docs true
          output-path: OUTPUT
      - continuation/continue:
          configuration_path: .circleci/continue_config.yml
          parameters: OUTPUT
workflows:
  setup:
    jobs: [filter]
"""

PATH_FILTERING_CONTINUED = """\
version: 2.1
parameters:
  build-code: {type: boolean, default: false}
  build-docs: {type: boolean, default: false}
jobs:
  build-code:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo building the code}]
  build-docs:
    docker: [{image: cimg/base:stable}]
    steps: [{run: echo building the docs}]
workflows:
  code:
    when: << pipeline.parameters.build-code >>
    jobs: [build-code]
  documentation:
    when: << pipeline.parameters.build-docs >>
    jobs: [build-docs]
"""


def _commit(repo: Path, files: Dict[str, str], message: str,
            branch: Optional[str] = None) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(repo)]
    if branch:
        subprocess.run([*git, "branch", "-M", "main"], check=True)  # whatever git's default
        subprocess.run([*git, "checkout", "-q", "-b", branch], check=True)
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", message], check=True)


def test_path_filtering_continues_with_what_a_real_git_diff_changed(
        tmp_path: Path, orbs: Path) -> None:
    """path-filtering's set-parameters runs `git checkout main`, `git merge-base` and
    `git diff` in the job's clone: only src/ changed on the branch, so only the code
    workflow of the continued config runs."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    output = tmp_path / "pipeline-parameters.json"
    config = PATH_FILTERING.replace("OUTPUT", str(output))
    repo = make_repo(tmp_path, config, {
        ".circleci/continue_config.yml": PATH_FILTERING_CONTINUED,
        "src/app.txt": "v1\n", "docs/index.md": "# docs\n"})
    _commit(repo, {"src/app.txt": "v2\n"}, "change the code", branch="feature")
    proc = wfc(repo, "run", "-b", "feature", "--orb-dir", str(orbs), "--format",
               "json", "--committed-only", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = _document(proc)
    assert _names(doc) == ["setup", "code"], doc
    assert json.loads(output.read_text()) == {"build-code": True}
    log = json.loads(wfc(repo, "logs", doc["workflows"][0]["id"], "filter",
                         "--format", "json").stdout)["logs"]["filter"]
    assert "Comparing " in log and '"build-code": true' in log
