"""Names the config language reserves, in one place for the checks and the compiler."""

from __future__ import annotations

__all__ = ["BUILTIN_STEPS", "INVOCATION_KEYS", "STRUCTURAL_STEPS"]

#: Steps CircleCI provides (R1.5, R1.7). A config command may override one (R1.5.2).
BUILTIN_STEPS = frozenset({
    "run", "checkout", "setup_remote_docker", "save_cache", "restore_cache",
    "store_artifacts", "store_test_results", "persist_to_workspace", "attach_workspace",
    "add_ssh_keys", "install_signing_bundle", "deploy",
})

#: Step-shaped keys that are structure, not steps: conditional steps and steps splicing.
STRUCTURAL_STEPS = frozenset({"when", "unless", "steps"})

#: Keys of a workflow job invocation that are not job parameter arguments; a job may not
#: declare a parameter with one of these names (R1.3.2, R2.2).
INVOCATION_KEYS = frozenset({
    "name", "requires", "context", "type", "filters", "matrix", "pre-steps", "post-steps",
    "serial-group", "override-with",
})
