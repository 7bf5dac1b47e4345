"""Run five real projects' workflows end to end with ``workflowcore run`` (issue 12).

``/work/shared/projects`` (``$WFC_SHARED/projects``) holds source archives of five small
public projects at the commit of their ``.circleci/config.yml`` (``MANIFEST.tsv``). For each
one (or ``--project NAME``) this script:

1. extracts the archive into a work directory (``--work DIR``, default a temporary one) and
   makes it a git repository with one commit and ``origin`` =
   ``https://github.com/<repo>.git``, as CircleCI's checkout sees a GitHub project;
2. picks the branch to push: among ``main``, ``master`` and the literal branch names the
   config's filters name, the one whose plan runs the most jobs (``run --dry-run``; ties go
   to the earlier candidate), and names the repository's branch after it, so the trigger is
   the default one (the current branch) as a developer would run it;
3. runs ``python -m workflowcore run --format json --skip-missing-orbs --orb-dir ORBS
   --state-dir STATE --max-parallel 2`` in it, stopped with Ctrl-C (which cancels the jobs)
   after ``--timeout-minutes``;
4. reads every job's status, exit code, duration and message back from the state, and for
   each job that did not succeed its log (``workflowcore logs ID JOB --format json``), and
   classifies it: ``ours`` (workflowcore's fault), ``environment`` (a tool the job's image
   provides is missing here, a registry or runtime version problem, a host this machine
   cannot reach), ``not_run`` (an orb unavailable offline, or a required job did not
   succeed), ``timeout`` or ``unknown``, quoting the log line that decided it.

The classification is a first sorting with evidence, not a verdict: every failure still
needs a person to read the quoted line (the note of issue 12 records that reading).

Most jobs of these projects stop within seconds on something their Docker image provides
(``sudo``, ``yarn``, the image's Python). ``--image-standins`` goes further, to find the
failures that are workflowcore's behind those: the jobs' PATH then starts with a directory
holding (a) a fresh virtual environment of the Python version the config's ``cimg/python``
images name (so ``pip install`` goes there, as into the image's own Python, not into this
machine's), (b) ``yarn`` 1 from the npm registry when this machine has none, and (c) a
``sudo`` that runs its command, except ``apt``/``apt-get``, which it skips saying so: the
campaign never installs or upgrades system packages on a shared machine. The report says
when stand-ins were used; their results are a deeper look, not the acceptance figures.

The jobs need the registries (PyPI, npm) and take minutes; the bounded, offline part of
this (plans and one network-free job) is ``tests/cli/test_real_projects.py``, and
``WFC_REAL_PROJECTS=1`` runs this whole campaign there too::

    .venv/bin/python benchmarks/run_projects.py [--project NAME] [--work DIR]
        [--timeout-minutes 20] [--report FILE] [--extra-path DIR] [--image-standins]
        [-e KEY=VALUE] [--branch B] [--job J]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

#: Statuses of a job that went to an executor (§4.1).
RAN = frozenset({"success", "failed", "canceled", "timedout", "infrastructure_fail"})
#: Verdict kinds, in the order the report lists them.
KINDS = ("passed", "ours", "environment", "timeout", "unknown", "not_run", "other")
#: Hosts a job may reach from this machine: a connection problem with one of these is not
#: "a host this machine cannot reach".
REGISTRY_HOSTS = ("pypi.org", "files.pythonhosted.org", "registry.npmjs.org",
                  "registry.yarnpkg.com")


def shared_dir() -> Path:
    """The shared test data: ``$WFC_SHARED``, else ``../shared`` beside the project."""
    env = os.environ.get("WFC_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


@dataclass(frozen=True)
class Project:
    """One row of ``MANIFEST.tsv``."""

    archive: Path
    repo: str
    commit: str
    language: str

    @property
    def name(self) -> str:
        """The repository's name (``networkx``), used for ``--project`` and directories."""
        return self.repo.rsplit("/", 1)[-1]


def load_manifest(projects_dir: Path) -> List[Project]:
    """The projects ``MANIFEST.tsv`` lists, in its order."""
    manifest = projects_dir / "MANIFEST.tsv"
    with manifest.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [Project(projects_dir / row["file"], row["repo"], row["commit"], row["language"])
            for row in rows]


# -- preparing a repository ---------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {cwd} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def extract(project: Project, work: Path) -> Path:
    """Extract ``project``'s archive to ``work/<name>`` (its one top-level directory
    becomes that directory) and return it. An existing directory is replaced."""
    dest = work / project.name
    if dest.exists():
        shutil.rmtree(dest)
    staging = Path(tempfile.mkdtemp(prefix="extract-", dir=work))
    try:
        with tarfile.open(project.archive) as tar:
            if hasattr(tarfile, "data_filter"):  # refuses links and paths out of staging
                tar.extractall(staging, filter="data")
            else:  # pragma: no cover - Python < 3.11.4
                tar.extractall(staging)
        tops = list(staging.iterdir())
        top = tops[0] if len(tops) == 1 and tops[0].is_dir() else staging
        if not (top / ".circleci" / "config.yml").is_file():
            raise RuntimeError(f"{project.archive}: no .circleci/config.yml in the archive")
        top.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def make_repository(project: Project, source: Path, branch: str) -> None:
    """``git init -b BRANCH``, one commit of every file (also ones the project's own
    ``.gitignore`` would ignore: the archive is exactly the tracked tree) and ``origin``."""
    _git(source, "init", "-q", "-b", branch)
    _git(source, "add", "-A", "-f", ".")
    _git(source, "-c", "user.name=workflowcore", "-c", "user.email=workflowcore@localhost",
         "-c", "commit.gpgsign=false", "commit", "-q", "-m",
         f"{project.repo} at {project.commit[:12]}")
    _git(source, "remote", "add", "origin", f"https://github.com/{project.repo}.git")


def filter_branches(config: Path) -> List[str]:
    """Literal branch names in the config's ``filters.branches.only`` (regexes left out)."""
    found: List[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            branches = node.get("branches")
            if isinstance(branches, dict):
                only = branches.get("only")
                for name in only if isinstance(only, list) else [only]:
                    if isinstance(name, str) and not name.startswith("/") and name not in found:
                        found.append(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(config.read_text(encoding="utf-8")))
    return found


def wfc(args: Sequence[str], *, cwd: Path, env: Optional[Dict[str, str]] = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m workflowcore ARGS`` in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "workflowcore", *args], cwd=cwd, text=True,
                          capture_output=True, env=env, timeout=timeout, check=False)


def dry_run(source: Path, branch: Optional[str], orb_dir: Path,
            env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """The plan ``run --dry-run --format json`` prints for a push of ``branch`` (``None``:
    the current branch). Raises ``RuntimeError`` with its stderr when it fails."""
    args = ["run", "--dry-run", "--format", "json", "--skip-missing-orbs",
            "--orb-dir", str(orb_dir)]
    if branch is not None:
        args += ["--branch", branch]
    proc = wfc(args, cwd=source, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"workflowcore run --dry-run in {source} exited {proc.returncode}: "
                           f"{proc.stderr.strip()}")
    plan: Dict[str, Any] = json.loads(proc.stdout)
    return plan


def planned_jobs(plan: Dict[str, Any]) -> Dict[str, List[str]]:
    """``{workflow: [job, ...]}`` of the workflows the plan runs."""
    return {wf["name"]: [job["name"] for job in wf["jobs"]]
            for wf in plan["workflows"] if wf["runs"]}


def choose_branch(source: Path, orb_dir: Path) -> Tuple[str, Dict[str, int]]:
    """The branch whose push runs the most jobs, and the job count of every candidate."""
    candidates = ["main", "master"]
    candidates += [b for b in filter_branches(source / ".circleci" / "config.yml")
                   if b not in candidates]
    counts = {b: sum(len(jobs) for jobs in planned_jobs(dry_run(source, b, orb_dir)).values())
              for b in candidates}
    best = max(candidates, key=lambda b: (counts[b], -candidates.index(b)))
    return best, counts


def prepare(project: Project, work: Path, orb_dir: Path,
            branch: Optional[str] = None) -> Tuple[Path, str, Dict[str, int]]:
    """Extract, choose the branch (unless given), make the repository on it. Returns the
    source directory, the branch and the candidates' job counts."""
    source = extract(project, work)
    make_repository(project, source, branch or "main")
    counts: Dict[str, int] = {}
    if branch is None:
        branch, counts = choose_branch(source, orb_dir)
        if branch != "main":
            _git(source, "branch", "-m", branch)
    return source, branch, counts


# -- stand-ins for what the jobs' images provide ---------------------------------------------

_SUDO = """#!/bin/sh
# image stand-in (benchmarks/run_projects.py): run the command as this user; never install
# or upgrade system packages on the machine running the campaign.
while [ $# -gt 0 ]; do
  case "$1" in -E|-H|-n|-S|--preserve-env) shift ;; -u) shift 2 ;; --) shift; break ;;
  -*) shift ;; *) break ;; esac
done
case "$1" in
  apt|apt-get|dpkg) echo "image stand-in: 'sudo $*' skipped (no system packages here)"; exit 0 ;;
esac
exec "$@"
"""
_IMAGE_PYTHON = re.compile(r"(?:cimg|circleci)/python:(\d+\.\d+)|python_version:\s*"
                           r"[\"']?(\d+\.\d+)")


def find_python(version: str) -> Optional[str]:
    """An interpreter of ``version`` that starts: ``pythonX.Y`` on PATH, else pyenv's
    (a pyenv shim on PATH refuses a version that is not the selected one)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += [str(p) for p in sorted(root.glob(f"versions/{version}.*/bin/python{version}"))]
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "pass"], capture_output=True,
                                        check=False).returncode == 0:
            return candidate
    return None


def image_python(config: Path) -> Optional[Tuple[str, str]]:
    """The Python version the config's images name most often (``cimg/python:3.9`` or an
    executor's ``python_version: "3.9"``) that this machine has, and its interpreter."""
    versions: Dict[str, int] = {}
    for match in _IMAGE_PYTHON.finditer(config.read_text(encoding="utf-8")):
        version = match.group(1) or match.group(2)
        versions[version] = versions.get(version, 0) + 1
    for version in sorted(versions, key=lambda v: -versions[v]):
        python = find_python(version)
        if python:
            return version, python
    return None


def make_standins(project: Project, source: Path, work: Path, log: Any) -> List[str]:
    """Build the stand-in directories for ``project`` and return them, first first."""
    tools = work / f"{project.name}-tools"
    shutil.rmtree(tools, ignore_errors=True)
    (tools / "bin").mkdir(parents=True)
    paths: List[str] = []
    found = image_python(source / ".circleci" / "config.yml")
    version, python = found if found else (None, None)
    if python is None and project.language == "python":
        python = shutil.which("python3")
    if python:
        venv = tools / "python"
        subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True)
        paths.append(str(venv / "bin"))
        print(f"[{project.name}] stand-in: Python {version or 'of this machine'} in {venv}",
              file=log, flush=True)
    sudo = tools / "bin" / "sudo"
    sudo.write_text(_SUDO, encoding="utf-8")
    sudo.chmod(0o755)
    if project.language == "javascript" and shutil.which("yarn") is None:
        prefix = work / "yarn"
        if not (prefix / "node_modules" / ".bin" / "yarn").exists():
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix",
                            str(prefix), "yarn@1"], check=True, capture_output=True)
        (tools / "bin" / "yarn").symlink_to(prefix / "node_modules" / ".bin" / "yarn")
        print(f"[{project.name}] stand-in: yarn 1 from the npm registry", file=log,
              flush=True)
    paths.append(str(tools / "bin"))
    return paths


# -- classifying a job that did not succeed -------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    kind: str
    reason: str
    evidence: str = ""


# Decisive signs of a defect of workflowcore, checked first anywhere in the failing step.
_OURS: Tuple[Tuple[str, str], ...] = (
    (r"File \"[^\"]*workflowcore/", "a traceback through workflowcore"),
    (r"executor error", "the executor raised"),
    (r"not available locally", "an in-job tool of workflowcore lacks a feature"),
    (r"^circleci(?:-agent)?: .*(?:unknown|not supported|unsupported|not implemented)",
     "the in-job circleci tool lacks a feature"),
    (r"(?i)(?:unknown|unsupported) step", "a step workflowcore rejects"),
)
# Causes outside workflowcore, the first matching line of the failing step wins.
_ENVIRONMENT: Tuple[Tuple[str, str], ...] = (
    (r"(?:^|: )(sudo|apt|apt-get|Xvfb|xvfb-run|yarn|google-chrome|chromedriver|firefox|"
     r"dockerize|docker|docker-compose|jq|aws|gcloud|ffmpeg|latexmk|pdflatex|gh|"
     r"pre-commit|tox|uv|poetry|pipenv|conda|java|mvn|ruby|bundle|go|cargo)"
     r": (?:command )?not found", "a tool the job's image provides is missing here"),
    (r"No module named", "a Python module the image or an earlier install provides is "
                         "missing"),
    (r"Could not find a version that satisfies|No matching distribution found|"
     r"ResolutionImpossible|requires a different Python|Requires-Python|"
     r"Ignored the following versions that require a different python",
     "pip could not resolve the packages for this Python"),
    (r"The engine \"node\" is incompatible|Unsupported engine|EBADENGINE|"
     r"Node\.js version|requires node",
     "the project wants another Node.js than this machine's"),
    (r"digital envelope routines::unsupported|ERR_OSSL_EVP_UNSUPPORTED",
     "the project's webpack 4 needs the Node.js < 17 of its image (OpenSSL 3 has no md4)"),
    (r"SyntaxError|DeprecationWarning: .* is deprecated and will be removed|"
     r"error: externally-managed-environment", "the runtime is newer or older than the "
                                               "image's"),
    (r"Request failed \"404 Not Found\"|npm ERR! 404|npm error 404|E404",
     "the registry no longer has a package version the project's lock file pins"),
    (r"Could not resolve host|Name or service not known|Temporary failure in name "
     r"resolution|Connection refused|Failed to connect to|getaddrinfo|ECONNREFUSED|"
     r"ENOTFOUND|EAI_AGAIN|Network is unreachable|unable to access 'https?://",
     "a host this machine cannot reach"),
    (r"(?:unable to stat|cannot access|can't open) '?/(?:usr|bin|sbin|opt)/|"
     r"/(?:usr|bin|sbin|opt)/\S*: No such file or directory",
     "a system file the image provides is missing"),
    (r"E: Unable to locate package|E: Could not open lock|dpkg: error",
     "a system package is not available"),
)
_STEP_HEADER = re.compile(r"^==> (.*)$")
_FAILED_STEP = re.compile(r"step '(.*)' failed")


def failing_step_output(log: str, message: Optional[str]) -> str:
    """The output of the step the message names as failed (every node's, for a parallel
    job), else the whole log."""
    match = _FAILED_STEP.search(message or "")
    if not match:
        return log
    wanted, keep, out = match.group(1), False, []
    for line in log.splitlines():
        header = _STEP_HEADER.match(line)
        if header:
            keep = header.group(1).strip() == wanted
            continue
        if keep:
            out.append(line)
    return "\n".join(out) if out else log


def _first(patterns: Sequence[Tuple[str, str]], lines: Sequence[str]
           ) -> Optional[Tuple[str, str]]:
    for line in lines:
        for pattern, reason in patterns:
            if re.search(pattern, line):
                return reason, line.strip()
    return None


def classify(status: str, message: Optional[str], log: Optional[str]) -> Verdict:
    """Sort one job's outcome; ``evidence`` quotes the line that decided."""
    message = message or ""
    if status == "success":
        return Verdict("passed", "")
    if status == "not_run":
        if "orb" in message:
            return Verdict("not_run", "orb unavailable offline", message)
        return Verdict("not_run", "a job it requires did not succeed", message)
    if status in ("blocked", "on_hold", "unauthorized"):
        return Verdict("other", status, message)
    if status == "canceled" or "timed out" in message or "timeout" in message:
        return Verdict("timeout", "stopped by the campaign's time limit", message)
    text = failing_step_output(log or "", message)
    lines = [line for line in text.splitlines() if line.strip()]
    ours = _first(_OURS, [*lines, message])
    if ours:
        return Verdict("ours", *ours)
    env = _first(_ENVIRONMENT, lines)
    if env:
        reason, line = env
        if reason == "a host this machine cannot reach" and any(
                host in line for host in REGISTRY_HOSTS):
            return Verdict("unknown", "a registry this machine should reach failed", line)
        return Verdict("environment", reason, line)
    tail = " | ".join(lines[-3:]) if lines else message
    return Verdict("unknown", "no known cause in the failing step's output", tail)


# -- running --------------------------------------------------------------------------------


@dataclass
class JobOutcome:
    workflow: str
    workflow_id: str
    job: str
    status: str
    exit_code: Optional[int]
    duration: Optional[float]
    message: Optional[str]
    verdict: Verdict


@dataclass
class ProjectReport:
    project: str
    repo: str
    branch: str
    branch_counts: Dict[str, int]
    planned: Dict[str, List[str]]
    extra_path: List[str] = field(default_factory=list)
    project_env: List[str] = field(default_factory=list)
    exit_code: Optional[int] = None
    timed_out: bool = False
    seconds: float = 0.0
    error: Optional[str] = None
    jobs: List[JobOutcome] = field(default_factory=list)

    def counts(self) -> Dict[str, int]:
        """planned / run / passed and one count per verdict kind."""
        out = {"planned": sum(len(j) for j in self.planned.values()),
               "run": sum(1 for j in self.jobs if j.status in RAN and not (
                   j.status == "canceled" and j.duration is None))}  # canceled unstarted
        for kind in KINDS:
            out[kind] = sum(1 for j in self.jobs if j.verdict.kind == kind)
        return out


def _durations(state: Path) -> Dict[Tuple[str, str], Optional[float]]:
    """``{(workflow run id, job): seconds}`` from the run store (the CLI's JSON has no
    durations; ``runs.sqlite`` is read through the library's own store)."""
    try:
        from workflowcore.runtime.stores import SQLiteRunStore
    except ImportError:  # a half-finished change elsewhere: report without durations
        return {}
    out: Dict[Tuple[str, str], Optional[float]] = {}
    with SQLiteRunStore(state / "runs.sqlite") as store:
        for record in store.list():
            for name, job in record.jobs.items():
                out[(record.id, name)] = job.duration
    return out


def _interrupt(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C (the run cancels its jobs and records it), then harder signals."""
    for sig, grace in ((signal.SIGINT, 120.0), (signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            continue


def run_project(project: Project, work: Path, *, orb_dir: Path, timeout_minutes: float = 20,
                extra_path: Sequence[str] = (), branch: Optional[str] = None,
                jobs: Sequence[str] = (), standins: bool = False,
                project_env: Sequence[str] = (), log: Any = sys.stderr) -> ProjectReport:
    """Prepare and run one project; the report holds every job's outcome."""
    work.mkdir(parents=True, exist_ok=True)
    source, branch, branch_counts = prepare(project, work, orb_dir, branch)
    if standins:
        extra_path = [*extra_path, *make_standins(project, source, work, log)]
    plan = planned_jobs(dry_run(source, None, orb_dir))
    if jobs:
        plan = {wf: [j for j in names if j in jobs] for wf, names in plan.items()}
        plan = {wf: names for wf, names in plan.items() if names}
    report = ProjectReport(project.name, project.repo, branch, branch_counts, plan,
                           list(extra_path), [a.split("=", 1)[0] for a in project_env])
    state = work / f"{project.name}-state"
    shutil.rmtree(state, ignore_errors=True)
    env = dict(os.environ)
    env["WORKFLOWCORE_JOBS_DIR"] = str(work / f"{project.name}-jobs")
    if extra_path:
        env["PATH"] = os.pathsep.join([*extra_path, env.get("PATH", os.defpath)])
    args = [sys.executable, "-m", "workflowcore", "run", "--format", "json",
            "--skip-missing-orbs", "--orb-dir", str(orb_dir), "--state-dir", str(state),
            "--max-parallel", "2"]
    for job in jobs:
        args += ["--job", job]
    for assignment in project_env:
        args += ["-e", assignment]
    print(f"[{project.name}] branch {branch}; running {report.counts()['planned']} job(s) "
          f"in {source}", file=log, flush=True)
    started = time.monotonic()
    with (work / f"{project.name}-run.json").open("w") as out, \
            (work / f"{project.name}-run.err").open("w") as err:
        proc = subprocess.Popen(args, cwd=source, env=env, stdout=out, stderr=err, text=True,
                                start_new_session=True)
        try:
            proc.wait(timeout_minutes * 60)
        except subprocess.TimeoutExpired:
            report.timed_out = True
            _interrupt(proc)
        except BaseException:
            _interrupt(proc)
            raise
    report.seconds = round(time.monotonic() - started, 1)
    report.exit_code = proc.returncode
    if not (state / "runs.sqlite").exists():
        err_text = (work / f"{project.name}-run.err").read_text(errors="replace").strip()
        report.error = f"no run state (exit {proc.returncode}): {err_text[-2000:]}"
        return report
    _collect(report, source, state)
    return report


def _collect(report: ProjectReport, source: Path, state: Path) -> None:
    status = wfc(["status", "--state-dir", str(state), "--format", "json"], cwd=source)
    if status.returncode != 0:
        report.error = f"workflowcore status failed: {status.stderr.strip()}"
        return
    durations = _durations(state)
    for wf in reversed(json.loads(status.stdout)["workflows"]):  # oldest first
        for name, job in wf["jobs"].items():
            message = job.get("message")
            text: Optional[str] = None
            if job["status"] not in ("success", "not_run", "blocked"):
                logs = wfc(["logs", wf["id"], name, "--state-dir", str(state), "--format",
                            "json"], cwd=source)
                if logs.returncode == 0:
                    text = json.loads(logs.stdout)["logs"].get(name)
            verdict = classify(job["status"], message, text)
            if report.timed_out and job["status"] in ("canceled", "failed") and (
                    "cancel" in (message or "") or job["status"] == "canceled"):
                verdict = Verdict("timeout", "stopped by the campaign's time limit",
                                  message or "")
            report.jobs.append(JobOutcome(wf["name"], wf["id"], name, job["status"],
                                          job.get("exit_code"),
                                          durations.get((wf["id"], name)), message, verdict))


# -- reporting ------------------------------------------------------------------------------


def table(reports: Sequence[ProjectReport]) -> str:
    """One markdown row per project: planned / run / passed / failed by kind."""
    head = ("| project | branch | planned | run | passed | ours | environment | timeout "
            "| unknown | not_run | time |")
    rows = [head, "|" + "---|" * 11]
    for r in reports:
        c = r.counts()
        rows.append(f"| {r.project} | {r.branch} | {c['planned']} | {c['run']} | "
                    f"{c['passed']} | {c['ours']} | {c['environment']} | {c['timeout']} | "
                    f"{c['unknown']} | {c['not_run']} | {r.seconds:.0f}s"
                    f"{' (timed out)' if r.timed_out else ''} |")
    return "\n".join(rows)


_JOB_SCRIPT = re.compile(r"\S*/steps/(step-\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _quote(text: str, limit: int = 240) -> str:
    text = _JOB_SCRIPT.sub(r"…/\1", " ".join(_ANSI.sub("", text).split()))
    return (text[:limit] + "…") if len(text) > limit else text


def markdown(reports: Sequence[ProjectReport]) -> str:
    lines = ["# Real projects run with `workflowcore run` (subprocess executor)", "",
             table(reports), ""]
    for r in reports:
        lines.append(f"## {r.project} ({r.repo}, branch {r.branch})")
        if r.extra_path:
            lines.append(f"jobs' PATH started with: {', '.join(r.extra_path)}")
        if r.project_env:
            lines.append(f"project environment variables: {', '.join(r.project_env)}")
        if r.branch_counts:
            lines.append("branch candidates (jobs planned): " + ", ".join(
                f"{b}={n}" for b, n in r.branch_counts.items()))
        if r.error:
            lines.append(f"* run error: {_quote(r.error, 600)}")
        for j in r.jobs:
            dur = f"{j.duration:.1f}s" if j.duration is not None else "-"
            line = (f"* `{j.workflow}/{j.job}`: {j.status} (exit {j.exit_code}, {dur}) — "
                    f"**{j.verdict.kind}**")
            if j.verdict.kind != "passed":
                line += f": {j.verdict.reason}"
                if j.verdict.evidence:
                    line += f" — `{_quote(j.verdict.evidence)}`"
            lines.append(line)
        lines.append("")
    return "\n".join(lines)


def write_reports(reports: Sequence[ProjectReport], path: Path) -> None:
    """``path`` (markdown) and ``path`` with ``.json`` (every field)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(reports), encoding="utf-8")
    data = [{**asdict(r), "counts": r.counts()} for r in reports]
    path.with_suffix(".json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def select(projects: Sequence[Project], names: Sequence[str]) -> Iterator[Project]:
    """The projects named (by repository name or owner/name), all when none is."""
    known = {**{p.name: p for p in projects}, **{p.repo: p for p in projects}}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown project(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(p.name for p in projects)}")
    yield from ([known[n] for n in names] if names else projects)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", action="append", default=[],
                        help="only this project (repeatable; name or owner/name)")
    parser.add_argument("--work", type=Path, help="work directory (default: a temporary "
                        "one, removed at the end)")
    parser.add_argument("--timeout-minutes", type=float, default=20.0)
    parser.add_argument("--report", type=Path, help="write the markdown report here (and "
                        "the JSON beside it, .json)")
    parser.add_argument("--branch", help="push this branch instead of choosing one")
    parser.add_argument("--job", action="append", default=[],
                        help="run only this job (repeatable, as `run --job`)")
    parser.add_argument("--extra-path", action="append", default=[], metavar="DIR",
                        help="prepend DIR to the jobs' PATH: a stand-in for a tool the "
                        "job's image provides (e.g. yarn); the report says so")
    parser.add_argument("--env", "-e", action="append", default=[], metavar="KEY=VALUE",
                        help="a project environment variable for every job (as `run -e`; "
                        "e.g. CHROMEDRIVER_SKIP_DOWNLOAD=true where the image has a driver)")
    parser.add_argument("--image-standins", action="store_true",
                        help="stand in for the images' Python, yarn and sudo (apt skipped); "
                        "see the module's docstring")
    parser.add_argument("--shared", type=Path, default=None,
                        help="the shared data directory (default: $WFC_SHARED or ../shared)")
    args = parser.parse_args(argv)
    shared = args.shared or shared_dir()
    projects_dir, orb_dir = shared / "projects", shared / "orbs"
    if not (projects_dir / "MANIFEST.tsv").is_file():
        print(f"run_projects: no {projects_dir}/MANIFEST.tsv; set WFC_SHARED or --shared",
              file=sys.stderr)
        return 2
    chosen = list(select(load_manifest(projects_dir), args.project))
    work = args.work or Path(tempfile.mkdtemp(prefix="wfc-real-projects-"))
    reports: List[ProjectReport] = []
    try:
        for project in chosen:
            report = run_project(project, work, orb_dir=orb_dir,
                                 timeout_minutes=args.timeout_minutes,
                                 extra_path=[str(Path(p).resolve()) for p in args.extra_path],
                                 branch=args.branch, jobs=args.job,
                                 standins=args.image_standins, project_env=args.env)
            reports.append(report)
            print(table([report]).splitlines()[-1], flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(reports))
    if args.extra_path:
        print(f"(jobs' PATH started with {', '.join(args.extra_path)})")
    if args.report:
        write_reports(reports, args.report)
        print(f"report: {args.report} and {args.report.with_suffix('.json')}")
    return 0 if all(r.error is None for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
