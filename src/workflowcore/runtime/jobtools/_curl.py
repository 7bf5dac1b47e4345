"""curl, as a local job sees it: workflowcore's curl wrapper (docs/continuation.md).

The continuation orb's unchanged script POSTs a setup workflow's continuation to
``https://${CIRCLECI_DOMAIN}/api/v2/pipeline/continue``. In a local run that request
belongs to the run's own loopback endpoint, never to circleci.com: when the job has
``WORKFLOWCORE_CONTINUE_URL`` (a setup job of a local pipeline), an argument that is a URL
of that path on host ``$CIRCLECI_DOMAIN`` or ``circleci.com`` is replaced by it. Every other
argument, and every other call, goes unchanged to the real curl: the first ``curl`` on
``PATH`` outside the directories of wrappers like this one. Without one: a clear message,
exit 127 (the shell's "command not found").

A stdlib-only script run with ``python -IS``: it must start fast and import nothing.
"""

import os
import sys
from urllib.parse import urlsplit

#: the directories of the curl wrappers a call already went through (so it never loops)
SEEN_ENV = "WORKFLOWCORE_CURL_WRAPPERS"
CONTINUE_PATH = "/api/v2/pipeline/continue"


def _is_continue_url(arg: str, hosts: "set[str]") -> bool:
    if "://" not in arg:
        return False
    try:
        parts = urlsplit(arg)
        host = (parts.hostname or "").lower()
        netloc = parts.netloc.rsplit("@", 1)[-1].lower()  # a domain may carry a port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and (host in hosts or netloc in hosts) \
        and parts.path.rstrip("/") == CONTINUE_PATH


def _real_curl(own_dir: str) -> "str | None":
    """The first executable ``curl`` on PATH outside this wrapper's directory and outside
    the directories of wrappers this call already went through (:data:`SEEN_ENV`): a step
    that puts another job's ``bin`` on PATH must not make the call loop."""
    seen = {os.path.realpath(d) for d in os.environ.get(SEEN_ENV, "").split(os.pathsep) if d}
    seen.add(os.path.realpath(own_dir))
    os.environ[SEEN_ENV] = os.pathsep.join(sorted(seen))  # inherited by the exec'd curl
    for entry in os.environ.get("PATH", os.defpath).split(os.pathsep):
        directory = entry or "."
        if os.path.realpath(directory) in seen:
            continue
        candidate = os.path.join(directory, "curl")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def main(argv: "list[str]") -> int:
    args = argv[1:]
    target = os.environ.get("WORKFLOWCORE_CONTINUE_URL")
    if target:
        hosts = {"circleci.com"}
        domain = os.environ.get("CIRCLECI_DOMAIN", "").strip().lower()
        if domain:
            hosts.add(domain)
        args = [target if _is_continue_url(a, hosts) else a for a in args]
    real = _real_curl(os.path.dirname(os.path.abspath(argv[0])))
    if real is None:
        sys.stderr.write("curl: command not found: no curl on PATH besides workflowcore's "
                         "wrapper in the job's bin directory; install curl on this machine\n")
        return 127
    try:
        os.execv(real, [real, *args])
    except OSError as exc:
        sys.stderr.write(f"curl: cannot run {real}: {exc.strerror or exc}\n")
        return 126
    return 0  # not reached: execv replaced this process


if __name__ == "__main__":
    sys.exit(main(sys.argv))
