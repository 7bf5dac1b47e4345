"""Pydantic models of a CircleCI config exactly as the user wrote it (before 2.1 compilation).

The models check *shape*: which keys may appear where and what kind of value each holds. They
do not resolve anything (orbs, commands, parameters, templates); that is the compiler's job.
So every typed field also accepts a ``<< … >>`` template string, because in a 2.1 config
``parallelism: << parameters.p >>`` is a perfectly good integer until it is rendered.

Why the models look the way they do:

* Speed. The loader validates a 10,000-job config in less time than PyYAML needs to read it,
  so nothing on a per-job or per-step path runs Python validators. Value-or-template fields
  are pydantic-core unions with a single custom error (:class:`_OrTemplate`); unions decided
  by the kind of YAML node (string, map, list) or by a step's key use a *callable
  discriminator* — one cheap Python call picks the branch, pydantic-core does the rest.
* Error locations. A validation error's ``loc`` follows the data (``("jobs", "build",
  "steps", 2, "run", "command")``) with, at unions, a short tag in between (``"map"``,
  ``"list"``, ``"str"``, the step name, the parameter type…). :func:`data_loc` drops those
  tags again when the data is at hand; the source map skips them on its own.
* Unknown keys are errors (``extra="forbid"``) everywhere CircleCI's schema rejects them
  (``extraneous key [x] is not permitted``): jobs, executors, filters, triggers, matrices,
  parameter declarations, machine/macos maps, auth maps… The exceptions, on evidence from
  configs that ran on CircleCI: the argument maps of built-in steps (``run: {description:
  …}``, ``store_artifacts: {prefix: …}`` and ``restore_cache: {paths: …}`` all ran) and
  docker image entries (``ports:`` ran in a 2.0 config) *tolerate* unknown keys. They are
  kept in ``model_extra`` and listed by :func:`ignored_keys` so checks can warn. A workflow
  is open too (CircleCI's schema leaves it open; the ``workflow-unknown-key`` check warns,
  see docs/conformance.md).
* Workflow job invocations and executor invocations allow any other key: it is an argument
  for a job or executor parameter. The top level allows anything (anchors live under
  ``defaults:``, ``references:``…).
"""

import sys
from typing import (
    Any,
    Dict,
    FrozenSet,
    Iterator,
    List,
    Literal,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
)

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
    Tag,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import core_schema

# The functions the core schema calls, in a module without pydantic (the cached schema
# refers to them there: config/_fast_validate.py).
from . import _discriminators
from ._discriminators import (
    _LOGIC_OPERATORS,
    _commands_shadow_builtins,
    _filters_kind,
    _kind_or_template,
    _logic_kind,
    _machine_kind,
    _requirement_kind,
    _several_key_step,
    _step_tag,
    _steps_body_kind,
    _str_or_map,
    _workflow_job_kind,
)

if sys.version_info >= (3, 9):
    from typing import Annotated, get_args, get_origin, get_type_hints
else:  # pragma: no cover - Python 3.8 only
    from typing_extensions import Annotated, get_args, get_origin, get_type_hints

__all__ = [
    "BUILTIN_STEPS",
    "JOB_STATUSES",
    "UNION_TAGS",
    "AddSshKeysArgs",
    "AddSshKeysStep",
    "AttachWorkspaceArgs",
    "AttachWorkspaceStep",
    "AwsAuth",
    "BooleanParameter",
    "BranchFilter",
    "CheckoutArgs",
    "CheckoutStep",
    "CommandDefinition",
    "ConditionalSteps",
    "Config",
    "DeployShorthandStep",
    "DeployStep",
    "DockerAuth",
    "DockerImage",
    "EnumParameter",
    "EnvVarNameParameter",
    "ExecutorDefinition",
    "ExecutorInvocation",
    "ExecutorParameter",
    "InlineOrb",
    "InstallSigningBundleStep",
    "IntegerParameter",
    "Job",
    "JobFilters",
    "JobGroup",
    "JobInvocation",
    "Loc",
    "LogicMatches",
    "MacOS",
    "Machine",
    "Matrix",
    "MultiKeyStep",
    "OrbDisplay",
    "OrbExample",
    "PersistToWorkspaceArgs",
    "PersistToWorkspaceStep",
    "PipelineBooleanParameter",
    "PipelineEnumParameter",
    "PipelineIntegerParameter",
    "PipelineStringParameter",
    "RestoreCacheArgs",
    "RestoreCacheStep",
    "Retention",
    "RunArgs",
    "RunShorthandStep",
    "RunStep",
    "SaveCacheArgs",
    "SaveCacheStep",
    "Schedule",
    "ScheduleFilters",
    "SetupRemoteDockerArgs",
    "SetupRemoteDockerStep",
    "StepsParameter",
    "StepsStep",
    "StoreArtifactsArgs",
    "StoreArtifactsStep",
    "StoreTestResultsArgs",
    "StoreTestResultsStep",
    "StringParameter",
    "Trigger",
    "UnlessStep",
    "WhenStep",
    "Workflow",
    "Workflows",
    "data_loc",
    "ignored_keys",
    "keys_at",
    "known_keys",
]

#: A location in the data: mapping keys and sequence indices (pydantic's ``loc`` shape).
Loc = Tuple[Union[str, int], ...]

# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------

#: Every model is built on first use (``defer_build``), not at import: only
#: :class:`Config`'s validator is ever used by the loader, and it holds the whole tree, so
#: building each nested model's own validator at import cost a cold ``workflowcore
#: validate`` about a third of its time (docs/dev/cold-start.md). A model used alone
#: (``Job.model_validate``) builds its own on that first call.
_LAZY = ConfigDict(defer_build=True)
#: What every strict model shares: unknown keys are errors, instances are immutable, and
#: Python names work beside the hyphenated YAML keys.
_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, **_LAZY)
#: For maps CircleCI lets unknown keys through (built-in step arguments, docker images).
_TOLERANT = ConfigDict(extra="allow", frozen=True, populate_by_name=True, **_LAZY)

_TEMPLATE_SCHEMA = core_schema.str_schema(pattern="<<")


class _OrTemplate:
    """``Annotated`` marker: the value is ``inner`` or a ``<< … >>`` template string.

    A plain pydantic-core union with one custom error, so a bad value gets one clear
    message at the field's own loc instead of one error per union member.
    """

    __slots__ = ("expected", "inner")

    def __init__(self, inner: core_schema.CoreSchema, expected: str) -> None:
        self.inner = inner
        self.expected = expected

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [self.inner, _TEMPLATE_SCHEMA],
            custom_error_type="value_or_template",
            custom_error_message=f"Input should be {self.expected} or a << >> template",
        )


class _OneOf:
    """``Annotated`` marker: a native union of ``choices`` reported as one custom error."""

    __slots__ = ("choices", "expected")

    def __init__(self, expected: str, *choices: core_schema.CoreSchema) -> None:
        self.choices: List[Union[core_schema.CoreSchema, Tuple[core_schema.CoreSchema, str]]]
        self.choices = list(choices)
        self.expected = expected

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            self.choices,
            custom_error_type="value_type",
            custom_error_message=f"Input should be {self.expected}",
        )


def _literal(*values: Any) -> core_schema.CoreSchema:
    return core_schema.literal_schema(list(values))


_STR_LIST = core_schema.list_schema(core_schema.str_schema())

#: A ``<< … >>`` template (only ever a member of a union).
Template = Annotated[str, StringConstraints(pattern="<<"), Tag("template")]
#: ``true``/``false`` or a template.
BoolOrTemplate = Annotated[
    Union[bool, str], _OrTemplate(core_schema.bool_schema(strict=True), "a boolean")
]
#: A whole number ≥ 1 (``parallelism``) or a template.
PositiveIntOrTemplate = Annotated[
    Union[int, str],
    _OrTemplate(core_schema.int_schema(strict=True, ge=1), "a positive integer"),
]
#: 1–5 (``max_auto_reruns``) or a template.
RerunsOrTemplate = Annotated[
    Union[int, str],
    _OrTemplate(core_schema.int_schema(strict=True, ge=1, le=5), "an integer from 1 to 5"),
]
#: A string or a list of strings (``only``/``ignore``, ``shell``, ``entrypoint``…).
StrOrList = Annotated[
    Union[str, List[str]],
    _OneOf("a string or a list of strings", core_schema.str_schema(), _STR_LIST),
]
#: One environment value: YAML scalars are all accepted (``FOO: true``, ``PORT: 80``, ``X:``).
EnvValue = Annotated[
    Union[str, bool, int, float, None],
    _OneOf(
        "a scalar (string, number, boolean or null)",
        core_schema.str_schema(),
        core_schema.bool_schema(strict=True),
        core_schema.int_schema(strict=True),
        core_schema.float_schema(strict=True),
        core_schema.none_schema(),
    ),
]
#: A YAML scalar that may stand for a string (``xcode: 15.0``, ``version: 20.10``).
StrOrNumber = Annotated[
    Union[str, int, float],
    _OneOf(
        "a string or a number",
        core_schema.str_schema(),
        core_schema.int_schema(strict=True),
        core_schema.float_schema(strict=True),
    ),
]
#: Any YAML scalar (matrix exclusions, logic ``equal`` arguments…).
Scalar = Union[str, bool, int, float, None]





_ENVIRONMENT_ERROR = "Input should be a map of environment variables or a list of KEY=VALUE"

#: One item of a list-form ``environment``: ``KEY=VALUE`` or a one-key map ``{KEY: VALUE}``.
EnvItem = Annotated[
    Union[str, Dict[str, EnvValue]],
    _OneOf(
        "a KEY=VALUE string or a map",
        core_schema.str_schema(),
        core_schema.dict_schema(
            core_schema.str_schema(),
            core_schema.union_schema(
                [
                    core_schema.str_schema(),
                    core_schema.bool_schema(strict=True),
                    core_schema.int_schema(strict=True),
                    core_schema.float_schema(strict=True),
                    core_schema.none_schema(),
                ]
            ),
        ),
    ),
]

#: ``environment``: a map, a list of ``KEY=VALUE`` strings, or a template.
Environment = Annotated[
    Union[
        Annotated[Dict[str, EnvValue], Tag("map")],
        Annotated[List[EnvItem], Tag("list")],
        Template,
    ],
    Discriminator(
        _kind_or_template,
        custom_error_type="environment_type",
        custom_error_message=_ENVIRONMENT_ERROR,
    ),
]


def _description(text: str) -> Any:
    return Field(None, description=text)


# --------------------------------------------------------------------------------------------
# Executors: docker / machine / macos / windows, executor definitions and invocations
# --------------------------------------------------------------------------------------------


class DockerAuth(BaseModel):
    """Credentials for a private registry (standard ``docker login``)."""

    model_config = _STRICT
    username: str = Field(description="Registry user name.")
    password: str = Field(description="Password; usually an env-var reference like $PASS.")


class AwsAuth(BaseModel):
    """Credentials for AWS ECR: access keys, or an OIDC role to assume."""

    model_config = _STRICT
    aws_access_key_id: Optional[str] = _description("AWS access key id.")
    aws_secret_access_key: Optional[str] = _description("AWS secret access key.")
    oidc_role_arn: Optional[str] = _description("IAM role assumed with CircleCI's OIDC token.")


class DockerImage(BaseModel):
    """One container of a docker executor; the first one runs the steps."""

    # Unknown keys are tolerated: a 2.0 config with `ports:` ran on CircleCI (its 2.1 schema
    # reports them as extraneous). ignored_keys() lists them for checks.
    model_config = _TOLERANT
    image: str = Field(description="Image name, with tag or digest.")
    name: Optional[str] = _description("Host name the container is reachable by.")
    entrypoint: Optional[StrOrList] = _description("Overrides the image's ENTRYPOINT.")
    command: Optional[StrOrList] = _description("Overrides the image's CMD (PID 1 or args).")
    user: Optional[StrOrNumber] = _description("User the commands run as.")
    environment: Optional[Environment] = _description(
        "Environment of the container's entrypoint/command (not of the job's steps)."
    )
    auth: Optional[DockerAuth] = _description("Registry credentials.")
    aws_auth: Optional[AwsAuth] = _description("AWS ECR credentials.")
    gcp_auth: Optional[Dict[str, Any]] = _description("Google Cloud registry credentials.")


#: ``docker:``: a non-empty list of images, or a template.
DockerList = Annotated[
    Union[
        Annotated[List[DockerImage], Field(min_length=1), Tag("list")],
        Template,
    ],
    Discriminator(
        _kind_or_template,
        custom_error_type="docker_type",
        custom_error_message="Input should be a list of docker images",
    ),
]


#: ``code_signing:`` of a machine or macOS executor: the signing bundle(s) CircleCI's code
#: signing API installs (``install_signing_bundle``). The language server's "schema accepts
#: what the compiler accepts" cases write a list of bundle names; a single name, a map and a
#: template are accepted too, as the shape is not otherwise documented in the sources at hand.
CodeSigning = Annotated[
    Union[str, List[str], Dict[str, Any]],
    _OneOf(
        "a signing bundle name, a list of them, or a map",
        core_schema.str_schema(),
        _STR_LIST,
        core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema()),
    ),
]


class Machine(BaseModel):
    """Options of the machine (VM) executor."""

    model_config = _STRICT
    image: Optional[str] = _description("VM image, e.g. ubuntu-2204:current.")
    enabled: Optional[BoolOrTemplate] = _description("Legacy switch for the machine executor.")
    docker_layer_caching: Optional[BoolOrTemplate] = _description(
        "Reuse docker image layers between jobs."
    )
    resource_class: Optional[str] = _description("Size of the VM.")
    shell: Optional[str] = _description("Shell used by every step.")
    code_signing: Optional[CodeSigning] = _description(
        "Signing bundles installed by install_signing_bundle (code signing API)."
    )



#: ``machine:``: ``true``, a map of options, or a template.
MachineField = Annotated[
    Union[
        Annotated[bool, Tag("bool")],
        Annotated[Machine, Tag("map")],
        Template,
    ],
    Discriminator(
        _machine_kind,
        custom_error_type="machine_type",
        custom_error_message="Input should be true or a map with an image",
    ),
]


class MacOS(BaseModel):
    """Options of the macOS executor."""

    model_config = _STRICT
    xcode: StrOrNumber = Field(description="Xcode version; quote it (15.0 reads as 15).")
    resource_class: Optional[str] = _description("Size of the VM.")
    shell: Optional[str] = _description("Shell used by every step.")
    code_signing: Optional[CodeSigning] = _description(
        "Signing bundles installed by install_signing_bundle (code signing API)."
    )


class ExecutorInvocation(BaseModel):
    """``executor: {name: …, <param>: …}``: an executor with arguments for its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True, **_LAZY)
    name: str = Field(description="Executor name, local or orb/executor.")


#: ``executor:``: a name (local or ``orb/name``) or a map with ``name`` and arguments.
ExecutorRef = Annotated[
    Union[
        Annotated[str, Tag("str")],
        Annotated[ExecutorInvocation, Tag("map")],
    ],
    Discriminator(
        _str_or_map,
        custom_error_type="executor_type",
        custom_error_message="Input should be an executor name or a map with a name",
    ),
]


# --------------------------------------------------------------------------------------------
# Logic statements (step when/unless conditions, workflow when/unless)
# --------------------------------------------------------------------------------------------


class LogicMatches(BaseModel):
    """``matches: {pattern, value}``: true when the regex fully matches the value."""

    model_config = _STRICT
    pattern: str = Field(description="Regular expression (full match).")
    value: str = Field(description="Value to test, usually a template.")


class _LogicAnd(BaseModel):
    model_config = _STRICT
    and_: List["Logic"] = Field(alias="and", min_length=1, description="True if all are.")


class _LogicOr(BaseModel):
    model_config = _STRICT
    or_: List["Logic"] = Field(alias="or", min_length=1, description="True if any is.")


class _LogicNot(BaseModel):
    model_config = _STRICT
    not_: "Logic" = Field(alias="not", description="True if the statement is false.")


class _LogicEqual(BaseModel):
    model_config = _STRICT
    equal: List[Any] = Field(min_length=1, description="True if all values are equal.")


class _LogicMatchesOp(BaseModel):
    model_config = _STRICT
    matches: LogicMatches = Field(description="Regex full match.")





#: A logic statement: a literal/template value or a one-key operator map.
Logic = Annotated[
    Union[
        Annotated[
            Union[
                Scalar,
                Annotated[
                    Dict[str, Any],
                    Field(
                        json_schema_extra={
                            "propertyNames": {"not": {"enum": sorted(_LOGIC_OPERATORS)}}
                        }
                    ),
                ],
            ],
            Tag("value"),
        ],
        Annotated[_LogicAnd, Tag("and")],
        Annotated[_LogicOr, Tag("or")],
        Annotated[_LogicNot, Tag("not")],
        Annotated[_LogicEqual, Tag("equal")],
        Annotated[_LogicMatchesOp, Tag("matches")],
    ],
    Discriminator(
        _logic_kind,
        custom_error_type="logic_statement",
        custom_error_message=(
            "Input should be a value or a map with exactly one of: and, or, not, equal, matches"
        ),
    ),
]


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------

_WHEN = Annotated[
    Union[Literal["on_success", "always", "on_fail"], str],
    _OrTemplate(_literal("on_success", "always", "on_fail"), "on_success, always or on_fail"),
]


class RunArgs(BaseModel):
    """Arguments of a ``run`` (or deprecated ``deploy``) step."""

    model_config = _TOLERANT
    command: str = Field(description="Shell command(s) to run.")
    name: Optional[str] = _description("Title shown in the UI (default: the command).")
    shell: Optional[str] = _description("Shell that runs the command.")
    environment: Optional[Environment] = _description("Variables for this step only.")
    background: Optional[BoolOrTemplate] = _description("Run without waiting for it to end.")
    working_directory: Optional[str] = _description("Directory, relative to the job's.")
    no_output_timeout: Optional[StrOrNumber] = _description(
        "Time without output before the step fails, like 20m or 1.5h (default 10m)."
    )
    when: Optional[_WHEN] = _description(
        "on_success (default), always, or on_fail: whether the step runs after a failure."
    )
    max_auto_reruns: Optional[RerunsOrTemplate] = _description(
        "Rerun the step up to this many times (1-5) if it fails."
    )
    auto_rerun_delay: Optional[str] = _description(
        "Wait between automatic reruns, like 30s or 2m (at most 10m)."
    )


class RunStep(BaseModel):
    """``- run: {command: …}``."""

    model_config = _STRICT
    run: RunArgs = Field(description="Run a shell command.")


class RunShorthandStep(BaseModel):
    """``- run: <command>``: the command is also the step's name."""

    model_config = _STRICT
    run: str = Field(description="Run a shell command.")


class DeployStep(BaseModel):
    """``- deploy: {command: …}`` (deprecated spelling of ``run``)."""

    model_config = _STRICT
    deploy: RunArgs = Field(description="Deprecated: use run.")


class DeployShorthandStep(BaseModel):
    """``- deploy: <command>`` (deprecated spelling of ``run``)."""

    model_config = _STRICT
    deploy: str = Field(description="Deprecated: use run.")


class CheckoutArgs(BaseModel):
    """Arguments of ``checkout``."""

    model_config = _TOLERANT
    path: Optional[str] = _description("Where to check out, relative to working_directory.")
    method: Optional[
        Annotated[
            Union[Literal["blobless", "full", "shallow"], str],
            _OrTemplate(_literal("blobless", "full", "shallow"), "blobless, full or shallow"),
        ]
    ] = _description("Clone method: blobless (default), full, or shallow.")
    depth: Optional[PositiveIntOrTemplate] = _description("History depth for shallow clones.")
    name: Optional[str] = _description("Title shown in the UI.")


class CheckoutStep(BaseModel):
    """``- checkout: {…}``."""

    model_config = _STRICT
    checkout: Optional[CheckoutArgs] = _description("Check out the project's source code.")


class SetupRemoteDockerArgs(BaseModel):
    """Arguments of ``setup_remote_docker``."""

    model_config = _TOLERANT
    docker_layer_caching: Optional[BoolOrTemplate] = _description(
        "Reuse docker image layers between jobs."
    )
    version: Optional[StrOrNumber] = _description("Docker engine version, or 'default'.")
    prefer_same_region: Optional[BoolOrTemplate] = _description(
        "Prefer a remote docker in the job's region."
    )
    name: Optional[str] = _description("Title shown in the UI.")


class SetupRemoteDockerStep(BaseModel):
    """``- setup_remote_docker: {…}``."""

    model_config = _STRICT
    setup_remote_docker: Optional[SetupRemoteDockerArgs] = _description(
        "Create a remote docker engine for docker commands."
    )


class SaveCacheArgs(BaseModel):
    """Arguments of ``save_cache``."""

    model_config = _TOLERANT
    paths: StrOrList = Field(description="Directories to cache (no wildcards).")
    key: str = Field(description='Cache key; may use {{ checksum "file" }} and friends.')
    name: Optional[str] = _description("Title shown in the UI.")
    when: Optional[_WHEN] = _description("on_success (default), always, or on_fail.")


class SaveCacheStep(BaseModel):
    """``- save_cache: {…}``."""

    model_config = _STRICT
    save_cache: SaveCacheArgs = Field(description="Save directories to the cache.")


class RestoreCacheArgs(BaseModel):
    """Arguments of ``restore_cache``: ``key`` or ``keys`` (prefixes, tried in order)."""

    model_config = _TOLERANT
    key: Optional[str] = _description("One cache key (prefix match).")
    keys: Optional[StrOrList] = _description("Cache keys tried in order (prefixes).")
    name: Optional[str] = _description("Title shown in the UI.")


class RestoreCacheStep(BaseModel):
    """``- restore_cache: {…}``."""

    model_config = _STRICT
    restore_cache: RestoreCacheArgs = Field(description="Restore a saved cache.")


class StoreArtifactsArgs(BaseModel):
    """Arguments of ``store_artifacts``."""

    model_config = _TOLERANT
    path: str = Field(description="File or directory to upload.")
    destination: Optional[str] = _description("Prefix of the artifact path.")
    name: Optional[str] = _description("Title shown in the UI.")


class StoreArtifactsStep(BaseModel):
    """``- store_artifacts: {…}``."""

    model_config = _STRICT
    store_artifacts: StoreArtifactsArgs = Field(description="Upload build artifacts.")


class StoreTestResultsArgs(BaseModel):
    """Arguments of ``store_test_results``."""

    model_config = _TOLERANT
    path: str = Field(description="JUnit XML file or directory of them.")
    name: Optional[str] = _description("Title shown in the UI.")


class StoreTestResultsStep(BaseModel):
    """``- store_test_results: {…}``."""

    model_config = _STRICT
    store_test_results: StoreTestResultsArgs = Field(description="Upload test results.")


class PersistToWorkspaceArgs(BaseModel):
    """Arguments of ``persist_to_workspace``."""

    model_config = _TOLERANT
    root: str = Field(description="Directory the paths are relative to.")
    paths: StrOrList = Field(description="Globs or directories under root.")
    name: Optional[str] = _description("Title shown in the UI.")


class PersistToWorkspaceStep(BaseModel):
    """``- persist_to_workspace: {…}``."""

    model_config = _STRICT
    persist_to_workspace: PersistToWorkspaceArgs = Field(
        description="Save files for downstream jobs of the workflow."
    )


class AttachWorkspaceArgs(BaseModel):
    """Arguments of ``attach_workspace``."""

    model_config = _TOLERANT
    at: str = Field(description="Directory the workspace is unpacked into.")
    name: Optional[str] = _description("Title shown in the UI.")


class AttachWorkspaceStep(BaseModel):
    """``- attach_workspace: {…}``."""

    model_config = _STRICT
    attach_workspace: AttachWorkspaceArgs = Field(
        description="Fetch the files upstream jobs persisted."
    )


class AddSshKeysArgs(BaseModel):
    """Arguments of ``add_ssh_keys``."""

    model_config = _TOLERANT
    fingerprints: Optional[StrOrList] = _description(
        "Fingerprints of the keys to add (default: all)."
    )
    name: Optional[str] = _description("Title shown in the UI.")


class AddSshKeysStep(BaseModel):
    """``- add_ssh_keys: {…}``."""

    model_config = _STRICT
    add_ssh_keys: Optional[AddSshKeysArgs] = _description("Add project SSH keys.")


class InstallSigningBundleStep(BaseModel):
    """``- install_signing_bundle`` (macOS)."""

    model_config = _STRICT
    install_signing_bundle: Optional[Dict[str, Any]] = _description(
        "Install the signing certificates (macOS)."
    )


class ConditionalSteps(BaseModel):
    """Body of a ``when``/``unless`` step: decided at compile time from ``condition``."""

    model_config = _STRICT
    condition: "Logic" = Field(description="Logic statement (not an expression).")
    steps: "StepsBody" = Field(description="Steps included when the condition holds.")


class WhenStep(BaseModel):
    """``- when: {condition, steps}``."""

    model_config = _STRICT
    when: ConditionalSteps = Field(description="Include steps if the condition is truthy.")


class UnlessStep(BaseModel):
    """``- unless: {condition, steps}``."""

    model_config = _STRICT
    unless: ConditionalSteps = Field(description="Include steps if the condition is falsy.")


class StepsStep(BaseModel):
    """``- steps: << parameters.x >>``: splices a ``steps`` parameter in place."""

    model_config = _STRICT
    steps: "StepList" = Field(description="A steps parameter to insert here.")


class MultiKeyStep(BaseModel):
    """A step map with several keys: only the first is run (without arguments).

    Usually arguments indented one level too little under ``- my-cmd:``.
    """

    # CircleCI accepts this (configs doing it ran), so it is not an error here;
    # ignored_keys() reports the keys after the first so checks can warn.
    model_config = ConfigDict(extra="allow", frozen=True, json_schema_extra={"minProperties": 2},
                              **_LAZY)

    @model_validator(mode="wrap")
    @classmethod
    def _several_key_step(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """The first key's body is validated as the step alone (_discriminators)."""
        return _several_key_step(data, handler)


#: Built-in step name → tag of its map form (tag == name).
_MAP_STEPS: Dict[str, Type[BaseModel]] = {
    "run": RunStep,
    "deploy": DeployStep,
    "checkout": CheckoutStep,
    "setup_remote_docker": SetupRemoteDockerStep,
    "save_cache": SaveCacheStep,
    "restore_cache": RestoreCacheStep,
    "store_artifacts": StoreArtifactsStep,
    "store_test_results": StoreTestResultsStep,
    "persist_to_workspace": PersistToWorkspaceStep,
    "attach_workspace": AttachWorkspaceStep,
    "add_ssh_keys": AddSshKeysStep,
    "install_signing_bundle": InstallSigningBundleStep,
    "when": WhenStep,
    "unless": UnlessStep,
    "steps": StepsStep,
}
#: Names a step map's key resolves to a built-in step (a config may override some of them
#: with a command of the same name; that is a compile-time matter).
BUILTIN_STEPS: FrozenSet[str] = frozenset(_MAP_STEPS)
_SHORTHAND_MODELS: Dict[str, Type[BaseModel]] = {"run": RunShorthandStep,
                                                  "deploy": DeployShorthandStep}


def _first_key_body(name: str, body: Any) -> None:
    """Validate ``{name: body}`` as the one-key step it is once processed."""
    model = _SHORTHAND_MODELS.get(name) if not isinstance(body, dict) else None
    (model or _MAP_STEPS[name]).model_validate({name: body})


_discriminators.FIRST_KEY_BODY[0] = _first_key_body



#: A command invocation's arguments: a map, nothing (``- my-cmd:``), or a string.
CommandArgs = Annotated[
    Union[Dict[str, Any], str, None],
    _OneOf(
        "a map of arguments",
        core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema()),
        core_schema.str_schema(),
        core_schema.none_schema(),
    ),
]

#: One item of a step list.
Step = Annotated[
    Union[
        Annotated[str, Tag("str")],
        Annotated[RunStep, Tag("run")],
        Annotated[RunShorthandStep, Tag("run-string")],
        Annotated[CheckoutStep, Tag("checkout")],
        Annotated[SaveCacheStep, Tag("save_cache")],
        Annotated[RestoreCacheStep, Tag("restore_cache")],
        Annotated[PersistToWorkspaceStep, Tag("persist_to_workspace")],
        Annotated[AttachWorkspaceStep, Tag("attach_workspace")],
        Annotated[StoreArtifactsStep, Tag("store_artifacts")],
        Annotated[StoreTestResultsStep, Tag("store_test_results")],
        Annotated[SetupRemoteDockerStep, Tag("setup_remote_docker")],
        Annotated[AddSshKeysStep, Tag("add_ssh_keys")],
        Annotated[InstallSigningBundleStep, Tag("install_signing_bundle")],
        Annotated[DeployStep, Tag("deploy")],
        Annotated[DeployShorthandStep, Tag("deploy-string")],
        Annotated[WhenStep, Tag("when")],
        Annotated[UnlessStep, Tag("unless")],
        Annotated[StepsStep, Tag("steps")],
        Annotated[MultiKeyStep, Tag("multi")],
        Annotated[
            Dict[str, CommandArgs],
            Field(
                min_length=1,
                max_length=1,
                json_schema_extra={"propertyNames": {"not": {"enum": sorted(BUILTIN_STEPS)}}},
            ),
            Tag("command"),
        ],
    ],
    Discriminator(
        _step_tag,
        custom_error_type="step_shape",
        custom_error_message="A step should be a step name or a map with exactly one key",
    ),
]

#: A list of steps, or a ``steps`` parameter (``<< parameters.steps >>``).
StepList = Annotated[
    Union[
        Annotated[List[Step], Tag("list")],
        Template,
    ],
    Discriminator(
        _kind_or_template,
        custom_error_type="steps_type",
        custom_error_message="Input should be a list of steps",
    ),
]



#: Steps of a ``when``/``unless`` step: a list, a single step map, or a template.
StepsBody = Annotated[
    Union[
        Annotated[List[Step], Tag("list")],
        Annotated[Step, Tag("map")],
        Template,
    ],
    Discriminator(
        _steps_body_kind,
        custom_error_type="steps_type",
        custom_error_message="Input should be a list of steps",
    ),
]


# --------------------------------------------------------------------------------------------
# Parameter declarations
# --------------------------------------------------------------------------------------------


class _ParameterBase(BaseModel):
    model_config = _STRICT
    description: Optional[str] = _description("What the parameter is for.")


class StringParameter(_ParameterBase):
    """``type: string``; no default (or ``default: null``) makes it required."""

    type: Literal["string"] = Field(description="Parameter type.")
    default: Optional[str] = _description("Default value (a string; quote numbers).")


class BooleanParameter(_ParameterBase):
    """``type: boolean``."""

    type: Literal["boolean"] = Field(description="Parameter type.")
    default: Optional[BoolOrTemplate] = _description("Default value.")


class IntegerParameter(_ParameterBase):
    """``type: integer``."""

    type: Literal["integer"] = Field(description="Parameter type.")
    default: Optional[
        Annotated[Union[int, str], _OrTemplate(core_schema.int_schema(strict=True), "an integer")]
    ] = _description("Default value.")


class EnumParameter(_ParameterBase):
    """``type: enum`` with the allowed values in ``enum``."""

    type: Literal["enum"] = Field(description="Parameter type.")
    enum: List[str] = Field(min_length=1, description="The allowed values.")
    default: Optional[str] = _description("Default value; one of enum.")


class ExecutorParameter(_ParameterBase):
    """``type: executor``: an executor name or invocation."""

    type: Literal["executor"] = Field(description="Parameter type.")
    default: Optional[ExecutorRef] = _description("Default executor.")


class StepsParameter(_ParameterBase):
    """``type: steps``: a list of steps, spliced with ``- steps: << parameters.x >>``."""

    type: Literal["steps"] = Field(description="Parameter type.")
    default: Optional[StepList] = _description("Default steps.")


class EnvVarNameParameter(_ParameterBase):
    """``type: env_var_name``: the name of an environment variable."""

    type: Literal["env_var_name"] = Field(description="Parameter type.")
    default: Optional[str] = _description("Default variable name.")


#: A parameter of a job, command or executor, chosen by its ``type``.
Parameter = Annotated[
    Union[
        StringParameter,
        BooleanParameter,
        IntegerParameter,
        EnumParameter,
        ExecutorParameter,
        StepsParameter,
        EnvVarNameParameter,
    ],
    Field(discriminator="type"),
]


class PipelineStringParameter(_ParameterBase):
    """Pipeline parameter of ``type: string``."""

    type: Literal["string"] = Field(description="Parameter type.")
    default: str = Field(description="Default value (required for pipeline parameters).")


class PipelineBooleanParameter(_ParameterBase):
    """Pipeline parameter of ``type: boolean``."""

    type: Literal["boolean"] = Field(description="Parameter type.")
    default: BoolOrTemplate = Field(description="Default value (required).")


class PipelineIntegerParameter(_ParameterBase):
    """Pipeline parameter of ``type: integer``."""

    type: Literal["integer"] = Field(description="Parameter type.")
    default: Annotated[
        Union[int, str], _OrTemplate(core_schema.int_schema(strict=True), "an integer")
    ] = Field(description="Default value (required).")


class PipelineEnumParameter(_ParameterBase):
    """Pipeline parameter of ``type: enum``."""

    type: Literal["enum"] = Field(description="Parameter type.")
    enum: List[str] = Field(min_length=1, description="The allowed values.")
    default: str = Field(description="Default value (required); one of enum.")


#: A pipeline parameter: only string, boolean, integer and enum, always with a default.
PipelineParameter = Annotated[
    Union[
        PipelineStringParameter,
        PipelineBooleanParameter,
        PipelineIntegerParameter,
        PipelineEnumParameter,
    ],
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------------------------
# Jobs, commands, executors
# --------------------------------------------------------------------------------------------


class BranchFilter(BaseModel):
    """``only``/``ignore``: names, or ``/regex/`` (full match)."""

    model_config = _STRICT
    only: Optional[StrOrList] = _description("Run only for these (name or /regex/).")
    ignore: Optional[StrOrList] = _description("Skip these (name or /regex/).")


class Retention(BaseModel):
    """How long this job's caches are kept."""

    model_config = _STRICT
    caches: Optional[str] = _description("Days, like 7d (1d-15d).")


_JOB_TYPES = ("build", "approval", "no-op", "release", "lock", "unlock")


class Job(BaseModel):
    """A job: an executor plus steps (or a special ``type``)."""

    model_config = _STRICT
    type: Optional[
        Annotated[
            Union[
                Literal["build", "approval", "no-op", "release", "lock", "unlock"],
                str,
            ],
            _OrTemplate(_literal(*_JOB_TYPES), "one of " + ", ".join(_JOB_TYPES)),
        ]
    ] = _description("build (default), approval, no-op, release, lock or unlock.")
    description: Optional[str] = _description("What the job does.")
    docker: Optional[DockerList] = _description("Docker executor: the containers.")
    machine: Optional[MachineField] = _description("Machine (VM) executor.")
    macos: Optional[MacOS] = _description("macOS executor.")
    windows: Optional[Dict[str, Any]] = _description("Windows executor (orb executors).")
    executor: Optional[ExecutorRef] = _description("A reusable executor (2.1).")
    steps: Optional[StepList] = _description("The steps; required for build jobs.")
    working_directory: Optional[str] = _description("Directory steps run in (~/project).")
    parallelism: Optional[PositiveIntOrTemplate] = _description(
        "Number of parallel copies of the job (default 1)."
    )
    environment: Optional[Environment] = _description("Environment variables of every step.")
    parameters: Optional[Dict[str, Parameter]] = _description("Parameters of the job (2.1).")
    resource_class: Optional[str] = _description("CPU/RAM size, or namespace/runner.")
    shell: Optional[StrOrList] = _description("Shell used by every step.")
    branches: Optional[BranchFilter] = _description("Deprecated; ignored by workflows.")
    retention: Optional[Retention] = _description("Cache retention.")
    circleci_ip_ranges: Optional[BoolOrTemplate] = _description(
        "Run with CircleCI's well-known IP ranges."
    )
    plan_name: Optional[str] = _description("Release plan (type: release).")
    validation: Optional[Any] = _description("Release validation settings (type: release).")
    key: Optional[str] = _description("Lock key (type: lock/unlock).")


#: A job definition, or (2.1) a string naming another job (``build: orb/build``).
JobDefinition = Annotated[
    Union[
        Annotated[Job, Tag("map")],
        Annotated[str, Tag("str")],
    ],
    Discriminator(
        _str_or_map,
        custom_error_type="job_type",
        custom_error_message="Input should be a job map or the name of another job",
    ),
]


class CommandDefinition(BaseModel):
    """A reusable sequence of steps (2.1)."""

    model_config = _STRICT
    description: Optional[str] = _description("What the command does.")
    parameters: Optional[Dict[str, Parameter]] = _description("Parameters of the command.")
    steps: StepList = Field(description="Steps inserted where the command is invoked.")


CommandDefinitionOrRef = Annotated[
    Union[
        Annotated[CommandDefinition, Tag("map")],
        Annotated[str, Tag("str")],
    ],
    Discriminator(
        _str_or_map,
        custom_error_type="command_type",
        custom_error_message="Input should be a command map or the name of another command",
    ),
]


class ExecutorDefinition(BaseModel):
    """A reusable execution environment (2.1)."""

    model_config = _STRICT
    description: Optional[str] = _description("What the executor is.")
    docker: Optional[DockerList] = _description("Docker executor: the containers.")
    machine: Optional[MachineField] = _description("Machine (VM) executor.")
    macos: Optional[MacOS] = _description("macOS executor.")
    windows: Optional[Dict[str, Any]] = _description("Windows executor.")
    resource_class: Optional[str] = _description("CPU/RAM size.")
    shell: Optional[StrOrList] = _description("Shell used by every step.")
    working_directory: Optional[str] = _description("Directory steps run in.")
    environment: Optional[Environment] = _description("Environment variables (merged).")
    parameters: Optional[Dict[str, Parameter]] = _description("Parameters of the executor.")


ExecutorDefinitionOrRef = Annotated[
    Union[
        Annotated[ExecutorDefinition, Tag("map")],
        Annotated[str, Tag("str")],
    ],
    Discriminator(
        _str_or_map,
        custom_error_type="executor_definition_type",
        custom_error_message="Input should be an executor map or the name of another executor",
    ),
]


# --------------------------------------------------------------------------------------------
# Workflows
# --------------------------------------------------------------------------------------------

#: Terminal job statuses ``requires`` may wait for; ``terminal`` means all five.
JOB_STATUSES: FrozenSet[str] = frozenset(
    {"success", "failed", "canceled", "unauthorized", "not_run", "terminal"}
)
_STATUS_SCHEMA = _literal("success", "failed", "canceled", "unauthorized", "not_run", "terminal")

#: The status(es) one requirement waits for.
RequiredStatus = Annotated[
    Union[str, List[str]],
    _OneOf(
        "success, failed, canceled, unauthorized, not_run, terminal, a list of them, "
        "or a << >> template",
        _STATUS_SCHEMA,
        core_schema.list_schema(_STATUS_SCHEMA, min_length=1),
        _TEMPLATE_SCHEMA,
    ),
]



#: One ``requires`` entry: ``job`` (= success), ``{job: status}`` or ``{job: [statuses]}``.
Requirement = Annotated[
    Union[
        Annotated[str, Tag("str")],
        Annotated[Dict[str, RequiredStatus], Field(min_length=1, max_length=1), Tag("map")],
    ],
    Discriminator(
        _requirement_kind,
        custom_error_type="requirement_type",
        custom_error_message="Input should be a job name or a map {job: status}",
    ),
]

RequiresList = Annotated[
    Union[
        Annotated[List[Requirement], Tag("list")],
        Template,
    ],
    Discriminator(
        _kind_or_template,
        custom_error_type="requires_type",
        custom_error_message="Input should be a list of job names",
    ),
]


class JobFilters(BaseModel):
    """Legacy branch/tag filters of a workflow job (deprecated; expressions preferred)."""

    model_config = _STRICT
    branches: Optional[BranchFilter] = _description("Branches the job runs for.")
    tags: Optional[BranchFilter] = _description("Tags the job runs for (none by default).")



#: ``filters:``: a branches/tags map or an expression string.
Filters = Annotated[
    Union[
        Annotated[JobFilters, Tag("map")],
        Annotated[str, Tag("expression")],
    ],
    Discriminator(
        _filters_kind,
        custom_error_type="filters_type",
        custom_error_message="Input should be a map with branches/tags or an expression",
    ),
]


class Matrix(BaseModel):
    """Run a parameterized job once per combination of parameter values."""

    model_config = _STRICT
    parameters: Dict[
        str,
        Annotated[
            Union[List[Any], str],
            _OrTemplate(core_schema.list_schema(), "a list of values"),
        ],
    ] = Field(description="Parameter name → the values to run the job with.")
    exclude: Optional[List[Dict[str, Any]]] = _description("Combinations not to run.")
    alias: Optional[str] = _description("Name that requires all the matrix's jobs.")


#: For maps whose unknown keys are data (arguments, anchors). No ``populate_by_name`` here:
#: ``pre_steps:`` in an invocation is an argument for a job parameter of that name, and a
#: top-level ``job_groups:`` is an unknown (ignored) key, as on CircleCI — not the
#: hyphenated keys.
_OPEN = ConfigDict(extra="allow", frozen=True, **_LAZY)


class JobInvocation(BaseModel):
    """Options of one job in a workflow; any other key is an argument for the job."""

    model_config = _OPEN
    requires: Optional[RequiresList] = _description("Jobs (and statuses) that must finish first.")
    context: Optional[StrOrList] = _description("Context(s) whose variables the job gets.")
    filters: Optional[Filters] = _description("When the job runs: map or expression.")
    type: Optional[
        Annotated[Union[Literal["approval"], str], _OrTemplate(_literal("approval"), "approval")]
    ] = _description("approval: a manual approval gate.")
    name: Optional[str] = _description("Name of this invocation (2.1).")
    matrix: Optional[Matrix] = _description("Run the job for each parameter combination.")
    pre_steps: Optional[StepList] = Field(
        None, alias="pre-steps", description="Steps run before the job's steps."
    )
    post_steps: Optional[StepList] = Field(
        None, alias="post-steps", description="Steps run after the job's steps."
    )
    serial_group: Optional[str] = Field(
        None, alias="serial-group", description="Jobs with the same group run one at a time."
    )
    override_with: Optional[str] = Field(
        None, alias="override-with", description="Orb job to use instead, if it exists."
    )



#: One entry of a workflow's ``jobs``: a name or ``{name: {options…}}``.
WorkflowJob = Annotated[
    Union[
        Annotated[str, Tag("str")],
        Annotated[
            Dict[str, Optional[JobInvocation]], Field(min_length=1, max_length=1), Tag("map")
        ],
    ],
    Discriminator(
        _workflow_job_kind,
        custom_error_type="workflow_job_type",
        custom_error_message="Input should be a job name or a map with exactly one job",
    ),
]


class ScheduleFilters(BaseModel):
    """Branches a scheduled workflow runs for."""

    model_config = _STRICT
    branches: BranchFilter = Field(description="Branches the schedule applies to.")


class Schedule(BaseModel):
    """A cron schedule (legacy scheduled workflows)."""

    model_config = _STRICT
    cron: str = Field(description="Five-field cron line, UTC.")
    filters: ScheduleFilters = Field(description="Branches the schedule applies to.")


class Trigger(BaseModel):
    """A workflow trigger."""

    model_config = _STRICT
    schedule: Schedule = Field(description="Run the workflow on a schedule.")


class Workflow(BaseModel):
    """A workflow: jobs and their dependencies.

    Unknown keys are allowed (and warned about by the ``workflow-unknown-key`` check):
    CircleCI's own schema leaves a workflow open, and large real configs carry a
    ``description:`` beside ``jobs:``.
    """

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True, **_LAZY)
    jobs: List[WorkflowJob] = Field(description="The jobs to run.")
    triggers: Optional[List[Trigger]] = _description("Cron schedules (then it runs only on them).")
    when: Optional[Logic] = _description("Run only if true: logic statement or expression.")
    unless: Optional[Logic] = _description("Run only if false: logic statement or expression.")
    max_auto_reruns: Optional[RerunsOrTemplate] = _description(
        "Rerun failed jobs automatically up to this many times (1-5)."
    )


class Workflows(BaseModel):
    """``workflows:``: name → workflow, plus the legacy ``version`` key."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True, **_LAZY)
    __pydantic_extra__: Dict[str, Workflow] = Field(init=False)
    version: Optional[StrOrNumber] = _description("Required (2) in 2.0 configs; ignored in 2.1.")


class JobGroup(BaseModel):
    """A named group of job invocations, invoked in workflows like a job (2.1)."""

    model_config = _STRICT
    jobs: List[WorkflowJob] = Field(min_length=1, description="The jobs of the group.")


# --------------------------------------------------------------------------------------------
# Orbs and the whole config
# --------------------------------------------------------------------------------------------


class OrbDisplay(BaseModel):
    """Links shown in the orb registry."""

    model_config = _STRICT
    home_url: Optional[str] = _description("Orb home page.")
    source_url: Optional[str] = _description("Orb source repository.")


class OrbExample(BaseModel):
    """A usage example of an orb."""

    model_config = _STRICT
    description: Optional[str] = _description("What the example shows.")
    usage: Dict[str, Any] = Field(description="A config using the orb.")
    result: Optional[Dict[str, Any]] = _description("The config after compilation.")


class InlineOrb(BaseModel):
    """An orb defined inside the config; its elements are used as ``name/element``."""

    model_config = _STRICT
    version: Optional[StrOrNumber] = _description("Config version of the orb.")
    description: Optional[str] = _description("What the orb does.")
    display: Optional[OrbDisplay] = _description("Registry links.")
    examples: Optional[Dict[str, OrbExample]] = _description("Usage examples.")
    orbs: Optional[Dict[str, "OrbRef"]] = _description("Orbs this orb uses.")
    commands: Optional[Dict[str, CommandDefinitionOrRef]] = _description("Orb commands.")
    executors: Optional[Dict[str, ExecutorDefinitionOrRef]] = _description("Orb executors.")
    jobs: Optional[Dict[str, JobDefinition]] = _description("Orb jobs.")


#: An orb: ``namespace/name@version`` (or URL), or an inline orb map.
OrbRef = Annotated[
    Union[
        Annotated[str, Tag("str")],
        Annotated[InlineOrb, Tag("map")],
    ],
    Discriminator(
        _str_or_map,
        custom_error_type="orb_type",
        custom_error_message="Input should be an orb reference (ns/name@version) or a map",
    ),
]

_VERSION_SCHEMA = _literal(2, 2.1, "2", "2.0", "2.1")


class Config(BaseModel):
    """A ``.circleci/config.yml`` (versions 2, 2.0 and 2.1), before compilation.

    Unknown top-level keys are allowed: they are where anchors are usually defined.
    """

    model_config = _OPEN
    version: Annotated[
        Union[int, float, str],
        _OneOf("2, 2.0 or 2.1", _VERSION_SCHEMA),
    ] = Field(description="Config version: 2, 2.0 or 2.1.")
    setup: Optional[BoolOrTemplate] = _description("true: a dynamic-config setup config (2.1).")
    orbs: Optional[Dict[str, OrbRef]] = _description("Orbs used by the config (2.1).")
    commands: Optional[Dict[str, CommandDefinitionOrRef]] = _description(
        "Reusable step sequences (2.1)."
    )
    executors: Optional[Dict[str, ExecutorDefinitionOrRef]] = _description(
        "Reusable execution environments (2.1)."
    )
    parameters: Optional[Dict[str, PipelineParameter]] = _description("Pipeline parameters (2.1).")
    jobs: Optional[Dict[str, JobDefinition]] = _description("The jobs.")
    job_groups: Optional[Dict[str, JobGroup]] = Field(
        None, alias="job-groups", description="Groups of jobs invoked like one job (2.1)."
    )
    workflows: Optional[Workflows] = _description("How jobs are orchestrated.")
    description: Optional[str] = _description("Orb description (orb source files).")
    display: Optional[OrbDisplay] = _description("Orb registry links (orb source files).")
    examples: Optional[Dict[str, OrbExample]] = _description("Orb usage examples.")

    @model_validator(mode="wrap")
    @classmethod
    def _commands_shadow_builtins(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Validate with the config's command names known to :func:`_step_tag`."""
        return _commands_shadow_builtins(data, handler)


#: The models that refer to one defined after them (steps in steps, logic in logic). Their
#: ``model_fields`` name those as forward references until they are rebuilt, which is not
#: done here since it would build their validators at import (see ``_LAZY``): only
#: :func:`keys_at`, which walks the field types, needs it (:func:`_resolve_forward_refs`).
_FORWARD_REFERRING: Tuple[Type[BaseModel], ...] = (
    _LogicAnd,
    _LogicOr,
    _LogicNot,
    ConditionalSteps,
    StepsStep,
    InlineOrb,
)
_forward_refs_resolved = False


def _resolve_forward_refs() -> None:
    """Complete the models of :data:`_FORWARD_REFERRING` (once; pydantic locks it)."""
    global _forward_refs_resolved
    if not _forward_refs_resolved:
        for model in _FORWARD_REFERRING:
            model.model_rebuild()
        _forward_refs_resolved = True


# --------------------------------------------------------------------------------------------
# Helpers for error translation and checks
# --------------------------------------------------------------------------------------------

#: Every tag a union may put into a pydantic ``loc`` (beside the data's own keys).
UNION_TAGS: FrozenSet[str] = frozenset(
    {"str", "map", "list", "template", "bool", "expression", "value", "command", "multi"}
    | {"run-string", "deploy-string"}
    | BUILTIN_STEPS
    | _LOGIC_OPERATORS
    | {"string", "boolean", "integer", "enum", "executor", "steps", "env_var_name"}
)

#: Tags that are never a key the models know, so a trailing one is not a missing key.
_STRUCTURAL_TAGS = frozenset(
    {"str", "map", "list", "template", "bool", "expression", "value", "multi"}
    | {"run-string", "deploy-string"}
)

#: Models whose unknown keys CircleCI ignores (kept in ``model_extra``).
_TOLERANT_MODELS: Tuple[Type[BaseModel], ...] = (
    DockerImage,
    RunArgs,
    CheckoutArgs,
    SetupRemoteDockerArgs,
    SaveCacheArgs,
    RestoreCacheArgs,
    StoreArtifactsArgs,
    StoreTestResultsArgs,
    PersistToWorkspaceArgs,
    AttachWorkspaceArgs,
    AddSshKeysArgs,
)


def known_keys(model_cls: Type[BaseModel]) -> List[str]:
    """The keys ``model_cls`` knows, as written in YAML (aliases), in declaration order."""
    return [field.alias or name for name, field in model_cls.model_fields.items()]


def _data_child(node: Any, part: Union[str, int]) -> Tuple[bool, Any]:
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return True, node[part]
    if isinstance(node, list) and type(part) is int and 0 <= part < len(node):
        return True, node[part]
    return False, None


def data_loc(loc: Sequence[Union[str, int]], data: Any) -> Loc:
    """``loc`` with the union tags that are not in ``data`` removed.

    Walks ``data`` along ``loc``; a part that does not exist at its level is a union tag and
    is dropped, except the last part (a missing key is named there) unless it is a purely
    structural tag such as ``"map"``.
    """
    out: List[Union[str, int]] = []
    node = data
    last = len(loc) - 1
    for i, part in enumerate(loc):
        found, child = _data_child(node, part)
        if found:
            node = child
            out.append(part)
        elif i == last and part not in _STRUCTURAL_TAGS:
            out.append(part)
    return tuple(out)


#: Models whose extra keys :func:`ignored_keys` never lists (they are anchors, workflows,
#: job and executor arguments): any other model with extra keys sends the CLI's quick
#: validation (config/_fast_validate.py) the full way, through these models. Keep it in step
#: with ignored_keys: naming a model here that it reads extras of loses warnings.
NOT_REPORTED_EXTRAS: FrozenSet[str] = frozenset(
    {"Config", "Workflows", "Workflow", "JobInvocation", "ExecutorInvocation"})


def ignored_keys(config: Config) -> Iterator[Tuple[Loc, str]]:
    """``(loc of the map, key)`` for every unknown key CircleCI ignores, in document order.

    Those are unknown keys of built-in step arguments and docker images, and the extra keys
    of a several-key step map. Checks use it to warn: such keys are usually typos
    (``comand``), mis-indented arguments or leftovers.
    """
    yield from _ignored_in_elements(config, ())
    if config.orbs:
        for name, orb in config.orbs.items():
            if isinstance(orb, InlineOrb):
                yield from _ignored_in_elements(orb, ("orbs", name))
    if config.workflows is not None:
        for name, workflow in (config.workflows.model_extra or {}).items():
            yield from _ignored_in_invocations(workflow.jobs, ("workflows", name, "jobs"))
    if config.job_groups:
        for name, group in config.job_groups.items():
            yield from _ignored_in_invocations(group.jobs, ("job-groups", name, "jobs"))


def _ignored_in_elements(owner: Union[Config, InlineOrb], loc: Loc) -> Iterator[Tuple[Loc, str]]:
    for section in ("commands", "executors", "jobs"):
        for name, element in (getattr(owner, section) or {}).items():
            if isinstance(element, BaseModel):
                yield from _ignored_in_element(element, (*loc, section, name))


def _ignored_in_element(element: BaseModel, loc: Loc) -> Iterator[Tuple[Loc, str]]:
    """Docker images, steps and steps-parameter defaults of a job, command or executor."""
    for name, parameter in (getattr(element, "parameters", None) or {}).items():
        if isinstance(parameter, StepsParameter) and isinstance(parameter.default, list):
            yield from _ignored_in_steps(parameter.default, (*loc, "parameters", name, "default"))
    docker = getattr(element, "docker", None)
    if isinstance(docker, list):
        for index, image in enumerate(docker):
            for key in image.model_extra or ():
                yield (*loc, "docker", index), key
    steps = getattr(element, "steps", None)
    if isinstance(steps, list):
        yield from _ignored_in_steps(steps, (*loc, "steps"))


def _ignored_in_invocations(items: List[Any], loc: Loc) -> Iterator[Tuple[Loc, str]]:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        for name, invocation in item.items():
            if invocation is None:
                continue
            for key, steps in (
                ("pre-steps", invocation.pre_steps),
                ("post-steps", invocation.post_steps),
            ):
                if isinstance(steps, list):
                    yield from _ignored_in_steps(steps, (*loc, index, name, key))


def _ignored_in_steps(steps: List[Any], loc: Loc) -> Iterator[Tuple[Loc, str]]:
    for index, step in enumerate(steps):
        yield from _ignored_in_step(step, (*loc, index))


def _ignored_in_step(step: Any, loc: Loc) -> Iterator[Tuple[Loc, str]]:
    if not isinstance(step, BaseModel):
        return  # a name or a command invocation
    if isinstance(step, MultiKeyStep):
        for key in list(step.model_extra or ())[1:]:
            yield loc, key
        return
    if isinstance(step, (WhenStep, UnlessStep)):
        key = "when" if isinstance(step, WhenStep) else "unless"
        body = step.when if isinstance(step, WhenStep) else step.unless
        if isinstance(body.steps, list):
            yield from _ignored_in_steps(body.steps, (*loc, key, "steps"))
        else:
            yield from _ignored_in_step(body.steps, (*loc, key, "steps"))
        return
    if isinstance(step, StepsStep):
        if isinstance(step.steps, list):
            yield from _ignored_in_steps(step.steps, (*loc, "steps"))
        return
    for name in type(step).model_fields:  # the one built-in step key
        args = getattr(step, name)
        if isinstance(args, _TOLERANT_MODELS):
            for key in args.model_extra or ():
                yield (*loc, name), key


# --- keys_at: walking the *types* along a loc ---------------------------------------------


def _branches(tp: Any, tags: Tuple[str, ...] = ()) -> List[Tuple[Tuple[str, ...], Any]]:
    """``(union tags on the way, type)`` for every non-union type ``tp`` may stand for."""
    while get_origin(tp) is Annotated:
        args = get_args(tp)
        tags = tags + tuple(meta.tag for meta in args[1:] if isinstance(meta, Tag))
        tp = args[0]
    if get_origin(tp) is Union:
        return [leaf for arg in get_args(tp) for leaf in _branches(arg, tags)]
    return [(tags, tp)]


def _extra_type(cls: Type[BaseModel]) -> Any:
    """Type of a model's extra values (``Any`` when untyped, ``None`` when forbidden)."""
    if cls.model_config.get("extra") != "allow":
        return None
    hints = get_type_hints(cls, include_extras=True)
    extra = hints.get("__pydantic_extra__")
    if extra is not None and get_origin(extra) in (dict, Dict):
        return get_args(extra)[1]
    return Any


def _child_types(tp: Any, part: Union[str, int]) -> List[Any]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if isinstance(part, str):
            for name, field in tp.model_fields.items():
                if part in (field.alias, name):
                    return [field.annotation]
            extra = _extra_type(tp)
            if extra is not None and extra is not Any:
                return [extra]
        return []
    origin = get_origin(tp)
    if origin in (dict, Dict) and isinstance(part, str):
        return [get_args(tp)[1]]
    if origin in (list, List) and isinstance(part, int):
        return [get_args(tp)[0]]
    return []


def keys_at(loc: Sequence[Union[str, int]]) -> Optional[List[str]]:
    """Permitted keys of the mapping at ``loc`` (a data loc, or a pydantic loc with tags).

    For "did you mean …?" hints: ``keys_at(("jobs", "build"))`` lists the job keys,
    ``keys_at(("jobs", "build", "steps", 0, "run"))`` the ``run`` keys. ``None`` when the
    mapping there has free-form keys only (job names, parameter arguments…) or the loc does
    not lead into the config's structure.

    Each part is tried both as a union tag and as a key (a step named ``run`` is both);
    when the last part works as a key, that reading wins.
    """
    _resolve_forward_refs()
    states = _branches(Config)
    last = len(loc) - 1
    for i, part in enumerate(loc):
        by_key = [
            leaf
            for _, tp in states
            for child in _child_types(tp, part)
            for leaf in _branches(child)
        ]
        by_tag = [
            (tags[tags.index(part) + 1 :], tp)
            for tags, tp in states
            if isinstance(part, str) and part in tags
        ]
        states = (by_key or by_tag) if i == last else by_key + by_tag
        if not states:
            return None
    keys: List[str] = []
    for _, tp in states:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            for key in known_keys(tp):
                if key not in keys:
                    keys.append(key)
    return keys or None
