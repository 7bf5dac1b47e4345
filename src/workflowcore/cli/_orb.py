"""``workflowcore orb …``: working with orb sources and the orb store.

* ``orb pack DIR [-o FILE]``: the packed orb on stdout (or in FILE), like
  ``circleci orb pack``; warnings on stderr. Exit 1 with the diagnostics when packing fails
  (an include that is missing or leads out of the folder, a file that is not YAML…).
* ``orb validate DIR|FILE``: every problem of the orb, in the format of ``validate``,
  positioned in the source files. Exit 1 on errors.

Both exit 2 for a path that cannot be used: missing, unreadable, a FIFO or a device, or a
folder without ``@orb.yml``.

The orb store (docs/orbs.md, "Getting orbs in"):

* ``orb add REF --from PATH [--store DIR] [--force]``: pack (a source tree), validate and
  store an orb as ``<store>/<ns>/<name>@<version>.yml``. Exit 1 when the orb has errors or
  the store holds a different orb at that version (``--force`` replaces it).
* ``orb list [--store DIR]``: every orb version in the store.
* ``orb lock [CONFIG]`` / ``orb update [CONFIG]``: write ``.circleci/orbs.lock`` from a fresh
  compile, keeping the locked versions (``lock``) or re-resolving every reference to the
  highest matching version (``update``). Exit 1, writing nothing, when an orb is not in the
  store (or, for ``lock``, when the store no longer has what the lock says).
* ``orb fetch [CONFIG] [--registry URL]``: download what the store lacks from CircleCI's
  orb registry (:mod:`workflowcore.config.orbs.registry`), verify and store it, then lock.
  Exit 2 when the registry cannot be reached, naming every missing orb.

``--store`` and ``--orb-dir`` are one option: the store root (default: the per-user store,
``$WORKFLOWCORE_ORB_STORE``), the directory ``process --orb-dir`` reads.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, TypeVar

from .. import __version__
from .._compile import compile as compile_config
from ..config import CompileResult, LoadResult
from ..config._files import NotRegularFileError
from ..config.orbs.lock import Lock, check_lock, resolution_of, write_lock

if TYPE_CHECKING:
    from ..config.orbs._pack import PackResult
    from ..config.orbs._validate import OrbReport
    from ..config.orbs.registry import FetchOutcome
from ..config.orbs.store import (
    ENV_USER_STORE,
    OrbStore,
    default_user_store,
    orb_digest,
    parse_version,
    store_for,
)
from ..diagnostics import Diagnostic
from ..reporting.diagnostics import FORMATS, FileReport, format_text
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, err
from ._load import add_input_options, print_diagnostics, read_config
from ._orbstore import read_config_lock

__all__ = ["add_parser", "run_add", "run_fetch", "run_list", "run_lock", "run_pack",
           "run_update", "run_validate"]

T = TypeVar("T")

#: As ``config.orbs.registry`` has them; repeated here so that building the parser does not
#: import the registry client (urllib, ssl, http: ~30 ms of every command's cold start).
ENV_REGISTRY = "WORKFLOWCORE_ORB_REGISTRY"
DEFAULT_TIMEOUT = 30.0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("orb", help="pack, validate, store, fetch and lock orbs",
                       description="Work with orbs: pack a source folder into one orb, "
                                   "validate an orb, put orbs in the local orb store (add, "
                                   "fetch), list it, and lock the versions a config uses. "
                                   "See docs/orbs.md.")
    orb = p.add_subparsers(dest="orb_command", metavar="ORB_COMMAND")
    orb.required = True

    pk = orb.add_parser("pack", help="pack an orb source folder into one orb YAML",
                        description="Pack an orb source folder (the one that holds @orb.yml) "
                                    "into one orb, like `circleci orb pack`: commands/, "
                                    "jobs/, executors/ and examples/ become elements, "
                                    "<<include(path)>> values the files' text.")
    pk.add_argument("path", metavar="DIR", help="the orb source folder (or a packed orb.yml)")
    pk.add_argument("-o", "--output", metavar="FILE", default=None,
                    help="write the packed orb to FILE instead of stdout")
    add_input_options(pk)
    pk.set_defaults(func=run_pack)

    va = orb.add_parser("validate", help="check an orb and report every problem",
                        description="Check an orb (a source folder, packed first, or an orb "
                                    "file). Prints 'path:line:col: severity: message [code]' "
                                    "per problem, positioned in the source files.")
    va.add_argument("path", metavar="DIR|FILE", help="the orb source folder or orb file")
    va.add_argument("--format", choices=sorted(FORMATS), default="text",
                    help="output format (default: text)")
    va.add_argument("--no-snippets", action="store_true",
                    help="text format: do not print source lines under diagnostics")
    va.add_argument("--quiet", "-q", action="store_true",
                    help="print errors only (no warnings, no summary)")
    va.add_argument("--orb-dir", default=None, metavar="DIR",
                    help="local copies of the orbs this orb imports "
                         "(<DIR>/<namespace>/<name>@<version>.yml); default: imports are "
                         "not resolved")
    add_input_options(va)
    va.set_defaults(func=run_validate)
    _add_store_parsers(orb)


_DEFAULT_CONFIG = ".circleci/config.yml"


def _store_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--store", "--orb-dir", dest="store", default=None, metavar="DIR",
                   help=f"the orb store {what} (<ns>/<name>@<version>.yml, "
                        "<ns>/<name>/<version>/; the directory `process --orb-dir` reads); "
                        f"default: the per-user store, ${ENV_USER_STORE} or "
                        "~/.cache/workflowcore/orbs")


def _config_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default=_DEFAULT_CONFIG, metavar="CONFIG",
                   help=f"the config (default: {_DEFAULT_CONFIG}); the lock is orbs.lock "
                        "beside it")


def _add_store_parsers(orb: Any) -> None:
    ad = orb.add_parser("add", help="put an orb (source tree or packed file) in the store",
                        description="Pack (a source tree), validate and store an orb as "
                                    "<store>/<namespace>/<name>@<version>.yml. Refused when "
                                    "the orb has errors, or when the store holds a different "
                                    "orb at that version (unless --force).")
    ad.add_argument("ref", metavar="REF", help="namespace/name@X.Y.Z (a full version)")
    ad.add_argument("--from", dest="source", required=True, metavar="PATH",
                    help="the orb source folder (holding @orb.yml) or a packed orb file")
    ad.add_argument("--force", action="store_true",
                    help="replace a different orb stored at that version")
    _store_option(ad, "to add to")
    add_input_options(ad)
    ad.set_defaults(func=run_add)

    ls = orb.add_parser("list", help="list the orb versions in the store",
                        description="Every orb version in the store: reference, layout "
                                    "(file, tree, single) and path.")
    _store_option(ls, "to list")
    ls.set_defaults(func=run_list)

    lk = orb.add_parser("lock", help="write .circleci/orbs.lock for a config",
                        description="Compile the config against the orb store and write "
                                    "orbs.lock beside it: the version and digest each orb "
                                    "reference resolves to. Versions already locked are kept. "
                                    "Nothing is written when an orb is not in the store, or "
                                    "when the store no longer has what the lock says (then "
                                    "use `orb update`).")
    _config_argument(lk)
    _store_option(lk, "searched after .circleci/orbs beside the config")
    add_input_options(lk)
    lk.set_defaults(func=run_lock)

    up = orb.add_parser("update", help="re-resolve every orb of a config and lock it",
                        description="Like `orb lock`, but ignoring the versions already "
                                    "locked: every reference resolves to the highest matching "
                                    "version in the store. Prints old -> new per reference.")
    _config_argument(up)
    _store_option(up, "searched after .circleci/orbs beside the config")
    add_input_options(up)
    up.set_defaults(func=run_update)

    fe = orb.add_parser("fetch", help="download the orbs a config needs into the store",
                        description="For every orb the config (and, transitively, the orbs "
                                    "it imports) needs that the store lacks, download its "
                                    "source from CircleCI's orb registry, verify it (it is "
                                    "the version asked for and a valid orb) and store it; "
                                    "then write the lock as `orb lock` does. Exit 2 when the "
                                    "registry cannot be reached.")
    _config_argument(fe)
    _store_option(fe, "to fetch into")
    fe.add_argument("--registry", default=None, metavar="URL",
                    help=f"the orb registry's GraphQL endpoint (default: ${ENV_REGISTRY}, "
                         "else https://circleci.com/graphql-unstable)")
    fe.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                    help=f"give up on the registry after this long (default: "
                         f"{DEFAULT_TIMEOUT:g})")
    add_input_options(fe)
    fe.set_defaults(func=run_fetch)


def _using(path: str, work: Callable[[], T]) -> T:
    """``work()``, with a path that cannot be used turned into a usage error (exit 2)."""
    from ..config.orbs._pack import NotAnOrbRootError
    try:
        return work()
    except NotAnOrbRootError:
        raise UsageError(f"{path}: no @orb.yml in this folder: give the orb source root "
                         "(the folder that holds @orb.yml), or a packed orb file") from None
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file or folder") from None
    except NotRegularFileError as exc:
        raise UsageError(f"{path}: {exc.strerror}; give an orb source folder or orb "
                         "file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _limits(args: argparse.Namespace) -> Dict[str, int]:
    """``--max-bytes`` bounds each file of the orb (the packed orb keeps its own bound)."""
    return {} if args.max_bytes is None else {"max_bytes": args.max_bytes}


def _reports(report: OrbReport | PackResult, quiet: bool = False) -> List[FileReport]:
    from ..config.orbs._validate import OrbReport
    diags = report.diagnostics
    if quiet:
        diags = [d for d in diags if d.is_error]
    pack = report.pack if isinstance(report, OrbReport) else report
    grouped: Dict[str, List[Diagnostic]] = {}
    for d in diags:
        grouped.setdefault(d.path, []).append(d)
    return [FileReport(path, ds, pack.files[path].lines if path in pack.files else ())
            for path, ds in grouped.items()]


def _summary(path: str, reports: List[FileReport]) -> str:
    errors = sum(r.errors for r in reports)
    warnings = sum(r.warnings for r in reports)
    if not errors and not warnings:
        return f"orb {path} valid\n"
    return (f"{errors} error{'s' if errors != 1 else ''}, {warnings} "
            f"warning{'s' if warnings != 1 else ''} in orb {path}\n")


def run_pack(args: argparse.Namespace) -> int:
    from ..config.orbs._pack import pack_orb
    result = _using(args.path, lambda: pack_orb(args.path, **_limits(args)))
    reports = _reports(result)
    if reports:
        sys.stderr.write(format_text(reports, summary=False))
    if not result.ok:
        sys.stderr.write(_summary(result.path, reports))
        return EXIT_FAILED
    if args.output is None:
        sys.stdout.write(result.text)
        return EXIT_OK
    try:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(result.text)
    except OSError as exc:
        raise UsageError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    from ..config.orbs._validate import validate_orb
    orb_dir = args.orb_dir
    if orb_dir is not None and not os.path.isdir(orb_dir):
        raise UsageError(f"--orb-dir {orb_dir}: no such folder")
    report = _using(args.path, lambda: validate_orb(args.path, orb_dir=orb_dir,
                                                    **_limits(args)))
    reports = _reports(report, args.quiet)
    if args.format == "text":
        out = format_text(reports, snippets=not args.no_snippets, summary=False)
        if out == "\n":
            out = ""
        if not args.quiet:
            out += _summary(report.path, reports)
    else:
        out = FORMATS[args.format](reports or [FileReport(report.path, [])])
    sys.stdout.write(out)
    return EXIT_FAILED if report.errors else EXIT_OK


# -- the orb store ---------------------------------------------------------------------

def _store_root(args: argparse.Namespace) -> Path:
    return Path(args.store) if args.store is not None else default_user_store()


def _warning_count(diags: List[Diagnostic]) -> str:
    n = sum(1 for d in diags if not d.is_error)
    return f" ({n} warning{'s' if n != 1 else ''})" if n else ""


def run_add(args: argparse.Namespace) -> int:
    from ..config.orbs._pack import pack_orb
    from ..config.orbs._validate import validate_orb
    from ..config.orbs.registry import StoreConflictError, split_reference, store_orb
    parsed = split_reference(args.ref)
    if parsed is None or parse_version(parsed[2]) is None:
        raise UsageError(f"{args.ref}: expected namespace/name@X.Y.Z, with a full version "
                         "(the store keeps releases; a config's @X or @X.Y resolves to them)")
    namespace, name, version = parsed
    pack = _using(args.source, lambda: pack_orb(args.source, **_limits(args)))
    report = validate_orb(pack)
    if report.errors:
        reports = _reports(report, quiet=True)
        sys.stderr.write(format_text(reports, summary=False))
        err(f"{args.ref} not stored: {len(report.errors)} error"
            f"{'s' if len(report.errors) != 1 else ''} in {args.source} (`workflowcore orb "
            f"validate {args.source}` shows every problem)")
        return EXIT_FAILED
    root = _store_root(args)
    try:
        stored, status = store_orb(root, namespace, name, version, pack.text, force=args.force)
    except StoreConflictError as exc:
        err(f"{args.ref} not stored: {exc}; pass --force to replace it")
        return EXIT_FAILED
    except OSError as exc:
        raise UsageError(f"{root}: cannot write the orb store: {exc.strerror or exc}") from None
    digest = orb_digest(pack.text)
    said = {"stored": "stored", "replaced": "replaced", "unchanged": "already stored, unchanged:"}
    print(f"{said[status]} {stored.ref} in {stored.path} ({digest})"
          f"{_warning_count(report.diagnostics)}")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    store = OrbStore([_store_root(args)])
    orbs = store.orbs()
    if not orbs:
        err(f"no orbs in the orb store {store.describe()}")
        return EXIT_OK
    w_ref = max(len(o.ref) for o in orbs)
    w_layout = max(len(o.layout) for o in orbs)
    for o in orbs:
        print(f"{o.ref:<{w_ref}}  {o.layout:<{w_layout}}  {o.path}")
    return EXIT_OK


def _config_references(data: Any, compiled: CompileResult) -> List[str]:
    """The orb references a config imports: as written (templated ones as the compiler
    rendered them), and every one the compiler reached in the orbs it read."""
    from ..config.orbs.registry import imports_of
    refs = [r for r in imports_of(data) if "<<" not in r]
    refs += list(compiled.resolved_orbs)
    refs += list(compiled.unavailable_orbs.values())
    return list(dict.fromkeys(refs))


def _load(args: argparse.Namespace) -> Optional[LoadResult]:
    result = read_config(args.path, args.max_bytes)
    if result.data is None:
        print_diagnostics(result)
        return None
    return result


def _add_hint(refs: List[str]) -> str:
    from ..config.orbs.registry import full_version_hint
    lines = "".join(f"\n  workflowcore orb add {full_version_hint(r)} --from DIR" for r in refs)
    return (f"add {'each' if len(refs) != 1 else 'it'} by hand from its source (an orb "
            f"source folder with @orb.yml, or a packed orb file), with a full version:{lines}")


def _relock(args: argparse.Namespace, *, update: bool) -> int:
    """``orb lock`` (``update=False``) and ``orb update``: see their descriptions."""
    from ..config.orbs.registry import walk_imports
    result = _load(args)
    if result is None:
        return EXIT_FAILED
    lock = read_config_lock(args.path)
    pins: Dict[str, str] = {} if update else lock.pins()
    store = store_for(args.path, args.store)
    compiled = compile_config(result, None, orb_dir=args.store, orb_pins=pins)
    walk = walk_imports(store, _config_references(result.data, compiled), pins)
    for ref in walk.skipped:
        err(f"warning: '{ref}' is not a namespace/name@version reference (a URL orb or a "
            "template); it is not locked")
    problems = [f"  {ref}" + (f" (locked to {want.rsplit('@', 1)[1]})" if want != ref else "")
                for ref, want in walk.missing.items()]
    problems += [f"  {ref}: cannot read {why}" for ref, why in walk.unreadable.items()]
    if problems:
        missing = list(walk.missing)
        err(f"cannot lock {args.path}: {len(problems)} orb"
            f"{'s are' if len(problems) != 1 else ' is'} not in the orb store "
            f"({store.describe()}):\n" + "\n".join(problems) + "\n"
            + (f"fetch {'them' if len(missing) != 1 else 'it'} from CircleCI's orb registry "
               f"with `workflowcore orb fetch {args.path}`, or " + _add_hint(
                   [walk.missing[r] for r in missing]) + "\n" if missing else "")
            + f"{lock.path} was not written")
        return EXIT_FAILED
    resolved = compiled.resolved_orbs
    if not update:
        diags = check_lock(lock, resolution_of(resolved), compiled.unavailable_orbs)
        if diags:
            sys.stderr.write(format_text([FileReport(str(lock.path), diags, [])],
                                         summary=False))
            err(f"{lock.path} was not written: the orb store no longer has what it locks; "
                "`workflowcore orb update` locks what the store has now")
            return EXIT_FAILED
    new = lock.merged(resolved, replace=True)
    try:
        write_lock(new)
    except OSError as exc:
        raise UsageError(f"{lock.path}: cannot write: {exc.strerror or exc}") from None
    _print_lock_change(lock, new, update)
    return EXIT_OK


def _print_lock_change(old: Lock, new: Lock, update: bool) -> None:
    n = len(new.orbs)
    print(f"wrote {new.path} ({n} orb reference{'s' if n != 1 else ''})")
    for ref in sorted(set(old.orbs) | set(new.orbs)):
        before, after = old.orbs.get(ref), new.orbs.get(ref)
        if after is None:
            assert before is not None
            print(f"  {ref}: {before.resolved} -> (removed)")
        elif before is None:
            print(f"  {ref}: {'(new) -> ' if update or old.exists else ''}{after.resolved}")
        elif before.resolved != after.resolved:
            print(f"  {ref}: {before.resolved} -> {after.resolved}")
        elif before.digest != after.digest:
            print(f"  {ref}: {after.resolved} (content changed: {before.digest} -> "
                  f"{after.digest})")
        else:
            print(f"  {ref}: {after.resolved}" + (" (unchanged)" if update else ""))


def run_lock(args: argparse.Namespace) -> int:
    return _relock(args, update=False)


def run_update(args: argparse.Namespace) -> int:
    return _relock(args, update=True)


def run_fetch(args: argparse.Namespace) -> int:
    from ..config.orbs.registry import RegistryClient, fetch_missing
    if not args.timeout > 0:
        raise UsageError(f"--timeout {args.timeout:g}: give a number of seconds above 0")
    try:
        client = RegistryClient(args.registry, timeout=args.timeout,
                                user_agent=f"workflowcore/{__version__}")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    result = _load(args)
    if result is None:
        return EXIT_FAILED
    lock = read_config_lock(args.path)
    pins = lock.pins()
    target = _store_root(args)
    store = store_for(args.path, target)
    compiled = compile_config(result, None, orb_dir=target, orb_pins=pins)
    refs = _config_references(result.data, compiled)
    try:
        outcome = fetch_missing(store, target, refs, client, pins)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write the orb store: "
                         f"{exc.strerror or exc}") from None
    for ref, got, stored, _status in outcome.fetched:
        asked = f"{ref} -> {got.version}" if got.requested != got.ref else ref
        print(f"fetched {asked} into {stored.path} ({got.digest})"
              f"{_warning_count(list(got.diagnostics))}")
    if outcome.unreachable is not None:
        return _offline(args, outcome, target)
    if outcome.failed:
        for ref, problem in outcome.failed.items():
            if problem.diagnostics:
                sys.stderr.write(format_text([FileReport(problem.diagnostics[0].path,
                                                         problem.diagnostics, [])],
                                             snippets=False, summary=False))
            err(f"{ref}: {problem}")
        err(f"{len(outcome.failed)} orb{'s' if len(outcome.failed) != 1 else ''} could not "
            f"be fetched; {lock.path} was not written")
        return EXIT_FAILED
    if not outcome.fetched:
        print(f"nothing to fetch: the orb store has every orb {args.path} imports")
    return _relock(args, update=False)


def _offline(args: argparse.Namespace, outcome: FetchOutcome, target: Path) -> int:
    missing = outcome.missing
    listed = "\n".join(f"  {ref}" + (f" (locked to {want.rsplit('@', 1)[1]})"
                                     if want != ref else "")
                       for ref, want in missing.items())
    err(f"{outcome.unreachable}\n"
        f"{len(missing)} orb{'s' if len(missing) != 1 else ''} that {args.path} needs "
        f"{'are' if len(missing) != 1 else 'is'} not in the orb store {target}:\n{listed}\n"
        + _add_hint(list(missing.values())) + "\n"
        "(the orbs these import are not known until they are in the store), then run "
        f"`workflowcore orb lock {args.path}`")
    return EXIT_USAGE
