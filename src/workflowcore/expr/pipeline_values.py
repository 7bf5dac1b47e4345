"""The built-in pipeline values (``pipeline.git.branch``, ...) and the variable mapping
expressions are evaluated against.

CircleCI defines every known pipeline value in an expression's environment, null when this
pipeline has no data for it (R10.3: "exprs evaluated in a pipeline values context can have
default (nil) values for all valid pipeline value fields"). So ``pipeline.git.tag`` on a
branch pipeline is *undefined* (falsy, infects comparisons), while a misspelt
``pipeline.git.brnch`` is an unknown variable and an error. The list follows EXPR's
``pipeline-values.yml`` (the authoritative list, which CircleCI's language server also
reads) plus the documented values (PV).
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Mapping, NamedTuple, Optional, Tuple

__all__ = [
    "PIPELINE_VALUES",
    "PIPELINE_VALUE_NAMES",
    "PipelineValue",
    "is_pipeline_value",
    "lookup_pipeline_value",
    "pipeline_variables",
]

PARAMETERS_PREFIX = "pipeline.parameters."


class PipelineValue(NamedTuple):
    """One built-in pipeline value. ``type`` is the scalar type (``string``, ``boolean``,
    ``uint``, ``uuid``, ``timestamp``); ``private`` values are not publicly documented;
    ``replaced_by`` names the successor of a deprecated value."""

    name: str
    type: str = "string"
    description: str = ""
    private: bool = False
    deprecated: bool = False
    replaced_by: Optional[str] = None


def _v(name: str, type: str = "string", description: str = "", *, private: bool = False,
       deprecated: bool = False, replaced_by: Optional[str] = None) -> PipelineValue:
    return PipelineValue(name, type, description, private, deprecated or bool(replaced_by),
                         replaced_by)


def _private(*names: str) -> Tuple[PipelineValue, ...]:
    return tuple(_v(n, private=True) for n in names)


def _plain(*names: str) -> Tuple[PipelineValue, ...]:
    return tuple(_v(n) for n in names)


PIPELINE_VALUES: Tuple[PipelineValue, ...] = (
    _v("pipeline.config.file_path", description="Path of the config file in its repository."),
    _v("pipeline.config.ref", description="Full Git ref the config file was fetched from."),
    _v("pipeline.config.repository.name", description="owner/repo of the config repository."),
    _v("pipeline.config.repository.url", description="URL of the config repository."),
    _v("pipeline.config.sha", description="Commit SHA the config file was fetched from."),
    _v("pipeline.config_source", private=True),
    _v("pipeline.definition.id", "uuid", "ID of the pipeline definition."),
    _v("pipeline.deploy.component_name", description="Deployable component being deployed."),
    _v("pipeline.deploy.current_version", description="Currently deployed version."),
    _v("pipeline.deploy.environment_name", description="Target deployment environment."),
    _v("pipeline.deploy.namespace", description="Deployment namespace."),
    _v("pipeline.deploy.reason", description="Why the deploy or rollback was triggered."),
    _v("pipeline.deploy.target_version", description="Version to deploy or roll back to."),
    _v("pipeline.event.action", description="Action of the triggering event (e.g. opened, "
                                            "synchronize); else the same as pipeline.event.name."),
    _v("pipeline.event.circleci_actor_id", "uuid", private=True),
    _v("pipeline.event.context.github.pr_url", description="URL of the associated pull "
                                                           "request, if any."),
    _v("pipeline.event.context.github.sha", description="Commit that receives the status."),
    _v("pipeline.event.github.after", description="HEAD SHA after a push (push events)."),
    _v("pipeline.event.github.comment.body", description="Body of the PR comment that "
                                                         "triggered the pipeline."),
    _v("pipeline.event.github.head_commit.url", description="URL of the pushed HEAD commit."),
    _v("pipeline.event.github.label.name", description="Label applied (pull_request labeled)."),
    _v("pipeline.event.github.pull_request.base.ref", description="PR base (target) branch."),
    _v("pipeline.event.github.pull_request.base.sha", description="SHA of the PR base."),
    _v("pipeline.event.github.pull_request.draft", "boolean", "Whether the PR is a draft."),
    _v("pipeline.event.github.pull_request.head.ref", description="PR head branch."),
    _v("pipeline.event.github.pull_request.head.sha", description="SHA of the PR head."),
    _v("pipeline.event.github.pull_request.merged", "boolean", "Whether the PR is merged."),
    _v("pipeline.event.github.pull_request.number", "uint", "Number of the pull request."),
    _v("pipeline.event.github.pull_request.title", description="Title of the pull request."),
    _v("pipeline.event.github.pull_request.url", description="URL of the pull request."),
    _v("pipeline.event.github.ref", description="Full Git ref of a push (push events)."),
    _v("pipeline.event.github.repository.name", description="Repository name."),
    _v("pipeline.event.github.repository.owner.login", description="Repository owner's login."),
    _v("pipeline.event.github.repository.url", description="Repository URL."),
    _v("pipeline.event.github.sender.avatar_url", description="Avatar URL of the sender."),
    _v("pipeline.event.github.sender.login", description="Login of the event's sender."),
    _v("pipeline.event.github.sender.type", description="User, Organization or Bot."),
    _v("pipeline.event.name", description="Triggering event: push, pull_request, api, "
                                          "schedule, custom_webhook, ..."),
    _v("pipeline.event.provider_actor_id", private=True),
    _v("pipeline.event.provider_login"),
    _v("pipeline.git.base_revision", description="SHA of the previous build on the branch "
                                                 "(absent for a branch's first build and API "
                                                 "triggers)."),
    _v("pipeline.git.branch", description="Branch being built; empty for a tag."),
    _v("pipeline.git.branch.is_default", "boolean", "Whether the branch is the default one."),
    _v("pipeline.git.commit.author_avatar_url", private=True),
    _v("pipeline.git.commit.author_email", private=True),
    _v("pipeline.git.commit.author_login", description="Login of the last commit's author."),
    _v("pipeline.git.commit.author_name", private=True),
    _v("pipeline.git.commit.body", description="Body of the last commit's message."),
    _v("pipeline.git.commit.subject", description="Subject of the last commit's message."),
    _v("pipeline.git.commit.url", description="URL of the last commit."),
    _v("pipeline.git.repo_id", "uint", "Provider's ID of the repository."),
    _v("pipeline.git.repo_name", description="Repository name, without owner."),
    _v("pipeline.git.repo_owner", description="Owner of the repository."),
    _v("pipeline.git.repo_url", description="URL of the repository."),
    _v("pipeline.git.revision", description="Long (40-character) SHA being built."),
    _v("pipeline.git.ssh_checkout_url", private=True),
    _v("pipeline.git.tag", description="Tag being built; not set for a branch."),
    _v("pipeline.id", "uuid", "Globally unique ID of the pipeline."),
    _v("pipeline.integration_source", description="github_app, github, bitbucket, "
                                                  "bitbucket_dc or gitlab."),
    _v("pipeline.name", description="Name of the pipeline definition."),
    _v("pipeline.number", "uint", "Project-unique number of the pipeline."),
    _v("pipeline.project.git_url", description="URL where the project is hosted."),
    _v("pipeline.project.slug", description="Slug of the project."),
    _v("pipeline.project.type", description="VCS provider, lower case (github, bitbucket)."),
    _v("pipeline.project.url", private=True),
    _v("pipeline.schedule.id", "uuid", "ID of the schedule (scheduled pipelines)."),
    _v("pipeline.schedule.name", description="Name of the schedule (scheduled pipelines)."),
    _v("pipeline.trigger.id", "uuid", "ID of the trigger."),
    _v("pipeline.trigger.name", private=True),
    _v("pipeline.trigger.received_at", "timestamp", "When the triggering event was received."),
    _v("pipeline.trigger.type", description="github_app, github, bitbucket_dc, schedule, "
                                            "webhook or api."),
    *_private(*(f"pipeline.trigger_parameters.bitbucket_dc.{f}" for f in (
        "actor_email", "actor_id", "actor_name", "actor_type", "commit_author_name",
        "commit_message", "commit_sha", "commit_title", "event_key", "project_key", "ref",
        "ref_display_id", "ref_id", "ref_type", "repo_slug", "user_name"))),
    _v("pipeline.trigger_parameters.circleci.actor_id", "uuid", private=True),
    _v("pipeline.trigger_parameters.circleci.event_action", private=True),
    _v("pipeline.trigger_parameters.circleci.event_time",
       replaced_by="pipeline.trigger.received_at"),
    _v("pipeline.trigger_parameters.circleci.event_type", replaced_by="pipeline.event.name"),
    *_private("pipeline.trigger_parameters.circleci.provider_actor_id",
              "pipeline.trigger_parameters.circleci.provider_login",
              "pipeline.trigger_parameters.circleci.provider_name"),
    _v("pipeline.trigger_parameters.circleci.trigger_type", replaced_by="pipeline.trigger.type"),
    *_private(*(f"pipeline.trigger_parameters.git.{f}" for f in (
        "author_avatar_url", "author_login", "branch", "checkout_sha", "checkout_url",
        "commit_author_email", "commit_author_name", "commit_message", "default_branch",
        "ref", "repo_name", "repo_owner", "repo_url", "tag"))),
    _v("pipeline.trigger_parameters.github_app.action", private=True),
    _v("pipeline.trigger_parameters.github_app.branch", deprecated=True),
    _v("pipeline.trigger_parameters.github_app.checkout_sha",
       replaced_by="pipeline.git.revision"),
    _v("pipeline.trigger_parameters.github_app.commit_author_email", private=True),
    _v("pipeline.trigger_parameters.github_app.commit_author_name", deprecated=True),
    _v("pipeline.trigger_parameters.github_app.commit_message",
       replaced_by="pipeline.git.commit.body"),
    _v("pipeline.trigger_parameters.github_app.commit_sha",
       replaced_by="pipeline.event.github.after"),
    _v("pipeline.trigger_parameters.github_app.commit_timestamp",
       replaced_by="pipeline.trigger.received_at"),
    _v("pipeline.trigger_parameters.github_app.commit_title",
       replaced_by="pipeline.git.commit.subject"),
    *_private(*(f"pipeline.trigger_parameters.github_app.{f}" for f in (
        "default_branch", "forced", "full_ref", "label_name", "owner",
        "pull_request_head_sha"))),
    _v("pipeline.trigger_parameters.github_app.ref", deprecated=True),
    _v("pipeline.trigger_parameters.github_app.repo_full_name", private=True),
    _v("pipeline.trigger_parameters.github_app.repo_id", private=True),
    _v("pipeline.trigger_parameters.github_app.repo_name",
       replaced_by="pipeline.event.github.repository.name"),
    _v("pipeline.trigger_parameters.github_app.repo_url",
       replaced_by="pipeline.event.github.repository.url"),
    _v("pipeline.trigger_parameters.github_app.user_avatar",
       replaced_by="pipeline.event.github.sender.avatar_url"),
    _v("pipeline.trigger_parameters.github_app.user_id", deprecated=True),
    _v("pipeline.trigger_parameters.github_app.user_name",
       replaced_by="pipeline.event.github.sender.login"),
    _v("pipeline.trigger_parameters.github_app.user_username",
       replaced_by="pipeline.event.github.sender.login"),
    _v("pipeline.trigger_parameters.github_app.web_url",
       replaced_by="pipeline.event.github.repository.url"),
    *_plain(*(f"pipeline.trigger_parameters.gitlab.{f}" for f in (
        "branch", "checkout_sha", "commit_author_email", "commit_author_name",
        "commit_message", "commit_sha", "commit_timestamp", "commit_title", "default_branch",
        "is_fork_merge_request"))),
    _v("pipeline.trigger_parameters.gitlab.project_id", private=True),
    *_plain(*(f"pipeline.trigger_parameters.gitlab.{f}" for f in (
        "ref", "repo_name", "repo_url", "type", "user_id", "user_name", "user_avatar",
        "user_username", "web_url", "x_gitlab_event_id"))),
    _v("pipeline.trigger_parameters.webhook.body",
       description="Body of the custom webhook that triggered the pipeline."),
    _v("pipeline.trigger_source", description="webhook, api, scheduled_pipeline or schedule."),
    *_private("pipeline.vcs.event_type", "pipeline.vcs.origin_repository_id",
              "pipeline.vcs.origin_repository_url", "pipeline.vcs.repository_url",
              "pipeline.vcs.revision", "pipeline.vcs.target_repository_id",
              "pipeline.vcs.target_repository_url", "pipeline.vcs.type"),
)

_BY_NAME: Dict[str, PipelineValue] = {v.name: v for v in PIPELINE_VALUES}
PIPELINE_VALUE_NAMES: FrozenSet[str] = frozenset(_BY_NAME)


def lookup_pipeline_value(name: str) -> Optional[PipelineValue]:
    """The built-in pipeline value called ``name`` (full name), or None."""
    return _BY_NAME.get(name)


def is_pipeline_value(name: str) -> bool:
    """Whether ``name`` is a built-in pipeline value (pipeline parameters are not)."""
    return name in _BY_NAME


def pipeline_variables(values: Mapping[str, Any],
                       parameters: Mapping[str, Any]) -> Dict[str, Any]:
    """The variables an expression over pipeline values sees (for :func:`evaluate`).

    Every known pipeline value is present, ``None`` (undefined) unless ``values`` gives it;
    ``values`` keys may be full (``"pipeline.git.branch"``) or without the ``pipeline.``
    prefix (``"git.branch"``), and values not in the built-in list are passed through.
    Each parameter ``p`` appears as ``pipeline.parameters.p``.
    """
    variables: Dict[str, Any] = dict.fromkeys(_BY_NAME)
    for key, value in values.items():
        name = key if key.startswith("pipeline.") else "pipeline." + key
        variables[name] = value
    for key, value in parameters.items():
        variables[PARAMETERS_PREFIX + key] = value
    return variables
