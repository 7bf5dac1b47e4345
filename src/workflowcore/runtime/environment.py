"""Job environment: CircleCI's built-in variables and the precedence merge (semantics §6.3).

Precedence, highest first: the shell itself (``export`` in the step) > run-step
``environment`` > job ``environment`` > built-in ``CIRCLE_*`` variables > contexts (later
context wins) > project variables. Built-ins sitting *above* contexts is surprising but
documented: a context cannot override ``CIRCLE_BRANCH``.

The runner computes ``merge_environment(project=..., contexts=..., builtins=...)`` once per job
and hands it to the executor in ``JobRequest.environment``; executors layer the job and step
``environment`` on top with the same function.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional
from urllib.parse import quote

__all__ = [
    "builtin_environment",
    "env_value",
    "git_builtins",
    "local_run_url",
    "merge_environment",
]


def env_value(value: Any) -> str:
    """A config value as an environment string.

    The schema accepts booleans, numbers and null (R6.3.3); they reach the shell the way the
    Go agent prints them: ``true``/``false``, ``3``, ``1.5`` and the empty string.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def builtin_environment(
    *,
    job: str,
    workflow_id: str,
    build_num: int | str = 1,
    branch: Optional[str] = None,
    tag: Optional[str] = None,
    sha1: Optional[str] = None,
    project_reponame: Optional[str] = None,
    project_username: Optional[str] = None,
    working_directory: str = "~/project",
    workflow_job_id: Optional[str] = None,
    workflow_workspace_id: Optional[str] = None,
    pipeline_id: Optional[str] = None,
    username: Optional[str] = None,
    repository_url: Optional[str] = None,
    node_total: int = 1,
    node_index: int = 0,
    home: Optional[str] = None,
    build_url: Optional[str] = None,
    workflow_url: Optional[str] = None,
) -> Dict[str, str]:
    """The built-in variables of one job, as CircleCI sets them.

    Variables whose value is unknown are left out rather than set empty (CircleCI does not
    set ``CIRCLE_TAG`` on branch builds, nor ``CIRCLE_BRANCH`` on tag builds), so
    ``${CIRCLE_TAG:-}`` tests behave the same. ``CIRCLE_WORKING_DIRECTORY`` keeps the ``~``
    unexpanded, as CircleCI does. ``workflow_workspace_id`` defaults to ``workflow_id`` (a
    rerun passes the original workflow's id, whose workspace it inherits).
    """
    env: Dict[str, str] = {
        "CI": "true",
        "CIRCLECI": "true",
        "CIRCLE_JOB": job,
        "CIRCLE_WORKFLOW_ID": workflow_id,
        "CIRCLE_WORKFLOW_WORKSPACE_ID": workflow_workspace_id or workflow_id,
        "CIRCLE_BUILD_NUM": str(build_num),
        "CIRCLE_WORKING_DIRECTORY": working_directory,
        "CIRCLE_NODE_INDEX": str(node_index),
        "CIRCLE_NODE_TOTAL": str(node_total),
    }
    optional = {
        "CIRCLE_BRANCH": branch,
        "CIRCLE_TAG": tag,
        "CIRCLE_SHA1": sha1,
        "CIRCLE_PROJECT_REPONAME": project_reponame,
        "CIRCLE_PROJECT_USERNAME": project_username,
        "CIRCLE_WORKFLOW_JOB_ID": workflow_job_id,
        "CIRCLE_PIPELINE_ID": pipeline_id,
        "CIRCLE_USERNAME": username,
        "CIRCLE_REPOSITORY_URL": repository_url,
        "HOME": home,
        "CIRCLE_BUILD_URL": build_url,
        "CIRCLE_WORKFLOW_URL": workflow_url,
    }
    env.update({k: v for k, v in optional.items() if v is not None})
    return env


def local_run_url(state_dir: Optional[str], workflow_id: str, job: Optional[str] = None,
                  attempt: Optional[int] = None) -> str:
    """``CIRCLE_WORKFLOW_URL``/``CIRCLE_BUILD_URL`` of a local run.

    There is no web page to link to; the URL names the run state (``workflowcore://`` plus
    the state directory), the workflow run id (what ``workflowcore status ID`` takes) and
    the job and attempt, so a notification a job sends still says which run it was.
    """
    base = "workflowcore://localhost" + (state_dir or "/.workflowcore")
    url = f"{base}/workflow/{workflow_id}"
    if job is not None:
        url += f"/job/{quote(job, safe='')}" + (f"/{attempt}" if attempt is not None else "")
    return url


def git_builtins(settings: Mapping[str, Any], workflow_id: str, job: str,
                 attempt: int) -> Dict[str, Any]:
    """The built-ins a run's settings know from git and the state directory
    (``CIRCLE_PROJECT_USERNAME``, ``CIRCLE_REPOSITORY_URL``, the run URLs), as keyword
    arguments of :func:`builtin_environment`."""
    state_dir = settings.get("state_dir")
    state = str(state_dir) if state_dir else None
    return {
        "project_username": settings.get("project_username") or None,
        "repository_url": settings.get("repository_url") or None,
        "workflow_url": local_run_url(state, workflow_id),
        "build_url": local_run_url(state, workflow_id, job, attempt),
    }


def merge_environment(
    *,
    project: Optional[Mapping[str, Any]] = None,
    contexts: Optional[Mapping[str, Any]] = None,
    builtins: Optional[Mapping[str, Any]] = None,
    job: Optional[Mapping[str, Any]] = None,
    step: Optional[Mapping[str, Any]] = None,
) -> Dict[str, str]:
    """Merge the environment layers by CircleCI's precedence (each argument is optional).

    Named layers instead of a list make the order impossible to get wrong at the call site.
    Values are converted with :func:`env_value`.
    """
    out: Dict[str, str] = {}
    for layer in (project, contexts, builtins, job, step):  # lowest first
        if layer:
            for key, value in layer.items():
                out[str(key)] = env_value(value)
    return out
