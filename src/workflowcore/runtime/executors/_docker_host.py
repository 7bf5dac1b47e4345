"""The :class:`~workflowcore.runtime.steps.StepHost` of a job whose steps run in a container.

The step interpreter is the same as for the subprocess executor; this host only says how a
command runs (``docker exec``), where job paths are (copies in and out of the container, see
``_docker_files``) and how the checkout gets in.

* **Commands.** ``docker exec`` runs a small ``sh`` wrapper that writes the step script (passed
  in the CLI's environment, so no extra copy per step), records its pid, creates and enters
  the working directory and ``exec``s the shell. The wrapper's pid leads its own process group
  inside the container, so a step stopped by ``no_output_timeout`` is killed *inside* the
  container too (killing the ``docker exec`` client alone would leave it running).
* **R6.3.1.** A primary container that runs its own ``command`` gets its image
  ``environment``; steps must not see it, so the wrapper unsets those names again (or the
  image's own value is passed back) unless the job sets them itself.
* **Reads** are snapshots: each job path is copied out once and reused until anything may
  have changed the container (a command, a write, a checkout), so ``save_cache`` checks and
  archives a path with one copy.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from ..._text import plural
from ...errors import ExecutorCrashedError
from .._fs import is_within
from .._git import CheckoutError, CheckoutTarget, clone_checkout, is_repository_root
from .._process import BackgroundProcess, ProcessOutcome, run_process
from .._source import all_entries, checkout_files
from ..contexts import Masker
from ..steps import StepError
from ._docker_cli import DockerCLI, DockerCommandError
from ._docker_files import download, escaping_link, local_entries, upload

__all__ = ["ContainerHost", "ContainerInfo"]

#: Scripts up to this size travel in the ``docker exec`` environment; larger ones are copied.
MAX_INLINE_SCRIPT = 96 * 1024
_SCRIPT_VAR = "WORKFLOWCORE_STEP_SCRIPT"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class ContainerInfo:
    """What the primary container told us when it started."""

    def __init__(self, container: str, *, home: str, tmp: str, uid: int, gid: int,
                 has_bash: bool, working_directory: Optional[str], user: Optional[str]) -> None:
        self.container = container
        self.home = home or "/"
        self.tmp = tmp
        self.uid = uid
        self.gid = gid
        self.has_bash = has_bash
        self.working_directory = working_directory
        self.user = user


class _Mirrors:
    """Local copies of job paths, valid until the container may have changed."""

    def __init__(self, cli: DockerCLI, container: str, scratch: Path) -> None:
        self._cli = cli
        self._container = container
        self._scratch = scratch
        self._roots: List[Tuple[Path, Dict[str, bool]]] = []  # root, {job path: present}
        self._stale: List[Path] = []
        self._count = 0
        self.active = 0

    def local(self, job_path: str) -> Path:
        for root, copied in self._roots:
            hit = _lookup(root, copied, job_path)
            if hit is not None:
                return hit
        root, copied = self._root_for(job_path)
        target = _mirror_path(root, job_path)
        copied[job_path] = download(self._cli, self._container, job_path, target)
        return target

    def _root_for(self, job_path: str) -> Tuple[Path, Dict[str, bool]]:
        for root, copied in self._roots:
            if not any(is_within(k, job_path) or is_within(job_path, k) for k in copied):
                return root, copied
        self._count += 1
        root = self._scratch / f"read-{self._count}"
        root.mkdir(parents=True)
        self._roots.append((root, {}))
        return self._roots[-1]

    def invalidate(self) -> None:
        self._stale.extend(root for root, _ in self._roots)
        self._roots = []
        self.purge()

    def purge(self) -> None:
        if self.active:
            return
        stale, self._stale = self._stale, []
        for root in stale:
            shutil.rmtree(root, ignore_errors=True)


def _mirror_path(root: Path, job_path: str) -> Path:
    rel = job_path.strip("/")
    return root / "fs" / rel if rel else root / "fs"


def _lookup(root: Path, copied: Dict[str, bool], job_path: str) -> Optional[Path]:
    """The local copy of ``job_path`` inside an already copied ancestor, if usable."""
    ancestor = job_path
    while True:
        if ancestor in copied:
            break
        if ancestor == "/":
            return None
        ancestor = posixpath.dirname(ancestor)
    target = _mirror_path(root, job_path)
    if not copied[ancestor]:
        return target  # the ancestor does not exist, so neither does the path
    # below the copied ancestor a symlink would be followed in the container; not here
    probe = _mirror_path(root, ancestor)
    for part in posixpath.relpath(job_path, ancestor).split("/"):
        if part == ".":
            continue
        probe = probe / part
        if probe.is_symlink():
            return None
    return target


class ContainerHost:
    """One job's primary container seen through the ``StepHost`` protocol."""

    #: the trigger's commit, branch or tag (set by the executor from the request)
    checkout_target: CheckoutTarget = CheckoutTarget()

    def __init__(self, cli: DockerCLI, info: ContainerInfo, scratch: Path, *,
                 source_dir: Optional[Path], exclude: Sequence[Path], kill_grace: float,
                 hidden_env: Mapping[str, Optional[str]],
                 private: Sequence[Path] = ()) -> None:
        self._cli = cli
        self.info = info
        self._scratch = scratch
        self._source_dir = source_dir
        self._exclude = list(exclude)
        self._private = list(private)
        self._kill_grace = kill_grace
        self._hidden = dict(hidden_env)  # name → image value to restore (None: unset)
        self._mirrors = _Mirrors(cli, info.container, scratch)
        self._known_dirs: Set[str] = set()
        if info.working_directory:
            self._known_dirs.add(_norm(info.working_directory))
        self._pending_scripts: Dict[str, str] = {}
        self._count = 0
        self._lock = threading.Lock()
        self.home = _norm(info.home)
        self.default_shell = "/bin/bash -eo pipefail" if info.has_bash else "/bin/sh -eo pipefail"
        self.base_environment: Dict[str, str] = {}
        self.builtin_environment = {"HOME": self.home,
                                    "BASH_ENV": posixpath.join(info.tmp, "bash_env")}

    def _next(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    # paths ------------------------------------------------------------------------------
    @contextmanager
    def reading(self, job_path: str) -> Iterator[Path]:
        job_path = _norm(job_path)
        self._mirrors.active += 1
        try:
            with _as_oserror():
                local = self._mirrors.local(job_path)
            yield local
        finally:
            self._mirrors.active -= 1
            self._mirrors.purge()

    @contextmanager
    def writing(self, job_path: str) -> Iterator[Path]:
        job_path = _norm(job_path)
        local = self._scratch / f"write-{self._next()}"
        local.mkdir(parents=True)
        try:
            yield local
            entries = local_entries(local)
            if not entries and job_path in self._known_dirs:
                return
            self._mirrors.invalidate()
            with _as_oserror():
                upload(self._cli, self.info.container, job_path, entries, uid=self.info.uid,
                       gid=self.info.gid, user=self.info.user)
            self._known_dirs.add(job_path)
        finally:
            shutil.rmtree(local, ignore_errors=True)

    def escaping_link(self, job_path: str, anchor: str) -> Optional[Tuple[str, str]]:
        return escaping_link(self._cli, self.info.container, _norm(job_path), _norm(anchor),
                             self.info.user)

    def write_script(self, index: int, text: str) -> str:
        if not text.endswith("\n"):
            text += "\n"
        path = posixpath.join(self.info.tmp, f"step-{index:03d}")
        if len(text.encode("utf-8", "surrogateescape")) <= MAX_INLINE_SCRIPT and "\0" not in text:
            self._pending_scripts[path] = text  # written by the exec wrapper
            return path
        local = self._scratch / f"script-{self._next()}"
        local.mkdir()
        try:
            (local / posixpath.basename(path)).write_text(text, encoding="utf-8")
            with _as_oserror():
                upload(self._cli, self.info.container, self.info.tmp, local_entries(local),
                       uid=self.info.uid, gid=self.info.gid, user=self.info.user)
        finally:
            shutil.rmtree(local, ignore_errors=True)
        return path

    # commands ---------------------------------------------------------------------------
    def _exec_argv(self, argv: Sequence[str], cwd: str,
                   env: Mapping[str, str]) -> Tuple[List[str], Dict[str, str], str]:
        variables = dict(env)
        unset: List[str] = []
        for name, image_value in self._hidden.items():
            if name in variables:
                continue
            if image_value is not None:
                variables[name] = image_value
            elif _NAME.match(name):
                unset.append(name)
        pidfile = posixpath.join(self.info.tmp, f"pid-{self._next()}")
        script_part = ""
        for arg in argv:
            text = self._pending_scripts.pop(arg, None)
            if text is not None:
                variables[_SCRIPT_VAR] = text
                script_part = (f'printf "%s" "${_SCRIPT_VAR}" > {_quote(arg)} || exit 1; '
                               f'unset {_SCRIPT_VAR}; ')
                break
        wrapper = ((f"unset {' '.join(unset)}; " if unset else "") + script_part
                   + 'echo $$ > "$1"; cd "$2" 2>/dev/null || { mkdir -p "$2" && cd "$2"; } '
                   '|| exit 1; shift 2; exec "$@"')
        env_args, cli_env = self._cli.env_args(variables)
        full = self._cli.argv("exec", *env_args, self.info.container, "/bin/sh", "-c", wrapper,
                              "wfc-step", pidfile, cwd, *argv)
        return full, cli_env, pidfile

    def run(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
            on_line: Callable[[str], None], cancel: threading.Event,
            no_output_timeout: Optional[float], deadline: Optional[float],
            masker: Optional[Masker] = None) -> ProcessOutcome:
        self._mirrors.invalidate()
        full, cli_env, pidfile = self._exec_argv(argv, cwd, env)
        outcome = run_process(full, cwd=str(self._scratch), env=cli_env, on_line=on_line,
                              cancel=cancel, no_output_timeout=no_output_timeout,
                              deadline=deadline, kill_grace=self._kill_grace, masker=masker)
        if outcome.killed:
            self.kill_step(pidfile)
        elif outcome.exit_code != 0:
            self._check_alive()
        return outcome

    def _check_alive(self) -> None:
        """A failing ``docker exec`` may mean the container is gone: that is the machine's
        failure, not the step's."""
        proc = self._cli.call("inspect", "--format", "{{.State.Status}}", self.info.container,
                              check=False)
        state = proc.stdout.decode().strip()
        if proc.returncode != 0 or state != "running":
            why = f"is {state}" if state else "no longer exists"
            raise ExecutorCrashedError(
                f"the primary container {self.info.container[:12]} {why}: the job cannot go on "
                "(was it removed or did its main process exit?)")

    def kill_step(self, pidfile: str) -> None:
        """Stop a step's process group inside the container (the client is already gone)."""
        script = ('p=$(cat "$1" 2>/dev/null) || exit 0; [ -n "$p" ] || exit 0; '
                  'kill -KILL -"$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; exit 0')
        self._cli.call("exec", "-u", "0", self.info.container, "/bin/sh", "-c", script,
                       "wfc-kill", pidfile, check=False, timeout=60)

    def start_background(self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str],
                         on_line: Callable[[str], None],
                         masker: Optional[Masker] = None) -> BackgroundProcess:
        self._mirrors.invalidate()
        full, cli_env, _pidfile = self._exec_argv(argv, cwd, env)
        # stopping the client at job end is enough: the container is removed right after
        return BackgroundProcess(full, cwd=str(self._scratch), env=cli_env, on_line=on_line,
                                 masker=masker)

    def cleanup(self) -> None:
        self._mirrors.invalidate()

    # checkout ---------------------------------------------------------------------------
    def checkout(self, job_path: str, emit: Callable[[str], None]) -> None:
        source = self._source_dir
        if source is None:
            raise StepError("checkout: no source directory was given to the Docker executor "
                            "(DockerExecutor(run_dir, source_dir=...))")
        if not source.is_dir():
            raise StepError(f"checkout: source directory {str(source)!r} does not exist")
        if is_repository_root(source):
            target = self.checkout_target
            clone = Path(tempfile.mkdtemp(prefix="checkout-", dir=self._scratch))
            try:
                lines = clone_checkout(source, clone, revision=target.revision,
                                       branch=target.branch, tag=target.tag,
                                       private=self._private, exclude=self._exclude,
                                       committed_only=target.committed_only)
                entries = [(rel, clone / rel) for rel in all_entries(clone)]
                copied = self._upload_checkout(job_path, entries)
                lines.append(f"copied the clone into the container at {_norm(job_path)} "
                             f"({plural(copied, 'file')}, .git included)")
            except CheckoutError as exc:
                raise StepError(f"checkout: {exc}") from exc
            finally:
                shutil.rmtree(clone, ignore_errors=True)
            for line in lines:
                emit(line)
            return
        files, how = checkout_files(source, self._exclude, self._private)
        entries = []
        for rel in files:
            local = source / rel
            if os.path.islink(local) or os.path.isfile(local):  # skip submodules, deleted
                entries.append((rel, local))
        copied = self._upload_checkout(job_path, entries)
        emit(f"copied {plural(copied, 'file')} from {source} into the container at "
             f"{_norm(job_path)} ({how}; no .git: the source is not the root of a git "
             "repository)")

    def _upload_checkout(self, job_path: str, entries: List[Tuple[str, Path]]) -> int:
        job_path = _norm(job_path)
        self._mirrors.invalidate()
        try:
            copied = upload(self._cli, self.info.container, job_path, entries,
                            uid=self.info.uid, gid=self.info.gid, user=self.info.user)
        except DockerCommandError as exc:
            raise StepError(f"checkout: {exc}") from exc
        self._known_dirs.add(job_path)
        return copied


@contextmanager
def _as_oserror() -> Iterator[None]:
    """A docker failure while moving files fails the step (as an unreadable file would);
    an unreachable engine still stops the job."""
    try:
        yield
    except DockerCommandError as exc:
        raise OSError(str(exc)) from exc


def _norm(path: str) -> str:
    """A normalised absolute job path (POSIX keeps a leading ``//``; we do not)."""
    path = posixpath.normpath(path)
    return "/" + path.lstrip("/") if path.startswith("//") else path


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
