"""CircleCI's in-job ``circleci`` and ``circleci-agent`` commands, for jobs run locally.

Installed into each job's ``bin`` directory under both names (see ``__init__.py``); it runs
as ``python -I -S`` with the standard library only, so a call costs about an interpreter
start. What it implements, with CircleCI's flags and output shapes (docs/jobtools.md):

* ``tests glob PATTERN...``: files and directories matching each pattern (``*``, ``**``,
  ``?``, ``[abc]``, ``{a,b}``), one per line, each pattern's matches sorted, no duplicates.
* ``tests split [FILE...]``: this node's share of the names read from the files or stdin,
  split ``--split-by=name|filesize|timings`` over ``--total`` nodes.
* ``tests run --command=CMD``: the same split of stdin, then ``CMD`` with this node's names on
  its stdin; exits with ``CMD``'s status.
* ``step halt``: the job ends successfully once the current step is over.
* ``env subst [TEXT]``: ``$VAR``/``${VAR}`` (and ``${VAR:-default}`` & co.) from the
  environment, in the argument or stdin.

Anything else (``config validate``, ``orb``, ``local execute``...) needs CircleCI's servers
or is not an in-job command: it says so on stderr and exits 1, so the step fails honestly
instead of pretending.

Splitting is one algorithm for every ``--split-by``: each name gets a weight (1 for ``name``,
its size in bytes for ``filesize``, its recorded seconds for ``timings``), names are taken
heaviest first (ties alphabetically) and each goes to the node with the least weight so far
(ties: the lowest index). With equal weights that is round-robin over the sorted names.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # `typing` costs 8 ms of a call's start: only the type checker reads it
if TYPE_CHECKING:
    from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

    #: one glob token: kind (``*`` ``?`` ``=`` literal, ``[`` class), the literal
    #: character, whether the class is negated, and the class's ranges
    Token = Tuple[str, str, bool, List[Tuple[str, str]]]

VERSION = "0.1.0+workflowcore (local stand-in for CircleCI's in-job CLI)"
#: circleci-cli's main() exits with os.Exit(-1) when a command returns an error
ERROR_EXIT = 255
#: a command that exists on CircleCI but cannot be done on this machine
UNAVAILABLE_EXIT = 1
HALT_MARKER = "halt"  # runtime/jobtools/__init__.py HALT_MARKER: the executor looks for it
TIMINGS_ENV = "WORKFLOWCORE_TIMINGS_FILE"
JOB_DIR_ENV = "WORKFLOWCORE_JOB_DIR"
_MAX_TIMINGS_BYTES = 64 * 1024 * 1024
_MAX_BRACE_EXPANSIONS = 10_000

SPLIT_BY = ("name", "filesize", "timings")
#: accepted --timings-type spellings: `tests split` documents filename/classname/testname/
#: autodetect, `tests run` documents file/classname/name
TIMINGS_TYPES = {"filename": "filename", "file": "filename", "classname": "classname",
                 "testname": "testname", "name": "testname", "autodetect": "autodetect"}


class UsageError(Exception):
    """A bad flag or input: ``Error: <message>`` on stderr, exit 255 (as circleci-cli)."""


class Unavailable(Exception):
    """A CircleCI command this machine cannot run."""


# -- flags (pflag style: --name=value, --name value, -v, --) --------------------------------

def parse_flags(args: Sequence[str], spec: Dict[str, str],
                short: Optional[Dict[str, str]] = None
                ) -> Tuple[Dict[str, str], List[str]]:
    """``(flags, positional)``; ``spec`` maps a flag name to ``"value"`` or ``"bool"``."""
    flags: Dict[str, str] = {}
    positional: List[str] = []
    short = short or {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            positional.extend(args[i:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
        elif arg.startswith("-") and len(arg) > 1 and arg[1:2] != "-":
            letter, eq, value = arg[1:].partition("=")
            if letter not in short:
                raise UsageError(f"unknown shorthand flag: '{letter[:1]}' in {arg}")
            name = short[letter]
        else:
            positional.append(arg)
            continue
        kind = spec.get(name)
        if kind is None:
            raise UsageError(f"unknown flag: --{name}")
        if kind == "bool":
            if eq and value.lower() not in ("true", "false", "1", "0", "t", "f"):
                raise UsageError(f'invalid argument "{value}" for "--{name}" flag: '
                                 "expected true or false")
            flags[name] = "true" if not eq or value.lower() in ("true", "1", "t") else "false"
            continue
        if not eq:
            if i >= len(args):
                raise UsageError(f"flag needs an argument: --{name}")
            value = args[i]
            i += 1
        flags[name] = value
    return flags, positional


def _uint(flags: Dict[str, str], name: str, env: str, default: int) -> int:
    """A node number from ``--name``, else the variable ``env``, else ``default``."""
    if name in flags:
        raw, where = flags[name], f'"--{name}" flag'
    elif os.environ.get(env, "").strip():
        raw, where = os.environ[env].strip(), f"${env}"
    else:
        return default
    if not raw.isdigit():
        raise UsageError(f'invalid argument "{raw}" for {where}: expected a non-negative '
                         "integer")
    return int(raw)


def node_position(flags: Dict[str, str]) -> Tuple[int, int]:
    """``(index, total)``: flags, else CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL, else 0/1."""
    index = _uint(flags, "index", "CIRCLE_NODE_INDEX", 0)
    total = _uint(flags, "total", "CIRCLE_NODE_TOTAL", 1)
    if total < 1:
        raise UsageError("the node total must be at least 1 (--total or CIRCLE_NODE_TOTAL)")
    if index >= total:
        raise UsageError(f"node index {index} is out of range for {total} node(s): the "
                         "index counts from 0 and must be below the total (--index/--total "
                         "or CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL)")
    return index, total


# -- glob -------------------------------------------------------------------------------------

def expand_braces(pattern: str) -> List[str]:
    """``{a,b}`` alternatives expanded (nested too), left to right; ``\\{`` is literal."""
    depth, start, i = 0, -1, 0
    commas: List[int] = []
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            if depth == 0:
                start, commas = i, []
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            if depth == 0:
                bounds = [start, *commas, i]
                options = [pattern[a + 1:b] for a, b in zip(bounds, bounds[1:])]
                head, tail = pattern[:start], expand_braces(pattern[i + 1:])
                out: List[str] = []
                for option in options:
                    for expanded in expand_braces(option):
                        out.extend(head + expanded + rest for rest in tail)
                        if len(out) > _MAX_BRACE_EXPANSIONS:
                            raise UsageError(f"pattern {pattern!r} expands to more than "
                                             f"{_MAX_BRACE_EXPANSIONS} patterns")
                return out
        elif c == "," and depth == 1:
            commas.append(i)
        i += 1
    if depth:
        raise UsageError(f"syntax error in pattern {pattern!r}: '{{' without a closing '}}'")
    return [pattern]


def _has_meta(component: str) -> bool:
    return any(c in component for c in "*?[\\")


def _component_matcher(component: str) -> Callable[[str], bool]:
    """A matcher for one path component: ``*`` ``?`` ``[abc]`` ``[a-c]`` ``[^a]``/``[!a]``
    and ``\\x``. Hand-written, not ``re``: importing ``re`` costs a call several ms."""
    tokens: List[Token] = []
    i = 0
    while i < len(component):
        c = component[i]
        i += 1
        if c == "*":
            if not tokens or tokens[-1][0] != "*":
                tokens.append(("*", "", False, []))
        elif c == "?":
            tokens.append(("?", "", False, []))
        elif c == "\\":
            if i >= len(component):
                raise UsageError(f"syntax error in pattern component {component!r}: "
                                 "trailing backslash")
            tokens.append(("=", component[i], False, []))
            i += 1
        elif c == "[":
            negate = component[i:i + 1] in ("^", "!")
            j = i + 1 if negate else i
            ranges: List[Tuple[str, str]] = []
            while j < len(component) and component[j] != "]":
                lo = component[j]
                if lo == "\\" and j + 1 < len(component):
                    j += 1
                    lo = component[j]
                hi = lo
                if component[j + 1:j + 2] == "-" and component[j + 2:j + 3] not in ("", "]"):
                    hi = component[j + 2]
                    j += 2
                ranges.append((lo, hi))
                j += 1
            if j >= len(component):
                raise UsageError(f"syntax error in pattern component {component!r}: '[' "
                                 "without a closing ']'")
            if not ranges:
                raise UsageError(f"syntax error in pattern component {component!r}: empty "
                                 "character class")
            tokens.append(("[", "", negate, ranges))
            i = j + 1
        else:
            tokens.append(("=", c, False, []))
    return lambda name: _wildmatch(tokens, name)


def _one(token: Token, ch: str) -> bool:
    kind, literal, negate, ranges = token
    if kind == "?":
        return True
    if kind == "=":
        return literal == ch
    return any(lo <= ch <= hi for lo, hi in ranges) != negate


def _wildmatch(tokens: List[Token], name: str) -> bool:
    """Whole-name match; a ``*`` that fails is retried one character further (every other
    token matches exactly one character, so the last ``*`` is the only choice to revisit)."""
    t = n = 0
    star, mark = -1, 0
    while n < len(name):
        if t < len(tokens) and tokens[t][0] == "*":
            star, mark = t, n
            t += 1
        elif t < len(tokens) and _one(tokens[t], name[n]):
            t += 1
            n += 1
        elif star >= 0:
            mark += 1
            t, n = star + 1, mark
        else:
            return False
    while t < len(tokens) and tokens[t][0] == "*":
        t += 1
    return t == len(tokens)


def _join(directory: str, name: str) -> str:
    if directory == ".":
        return name
    return directory + name if directory.endswith("/") else f"{directory}/{name}"


def _listdir(directory: str) -> List[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []  # like doublestar: unreadable directories are skipped


def _is_real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def _walk(directory: str, components: List[str], out: List[str]) -> None:
    if not components:
        if os.path.lexists(directory):
            out.append(directory)
        return
    head, rest = components[0], components[1:]
    if not _has_meta(head):  # a plain name: no need to list the directory
        _walk(_join(directory, head), rest, out)
        return
    if not os.path.isdir(directory):
        return
    entries = _listdir(directory)
    if head == "**":
        if not rest:  # a trailing ** matches everything below, files and directories
            for entry in entries:
                path = _join(directory, entry)
                out.append(path)
                if _is_real_dir(path):
                    _walk(path, components, out)
            return
        _walk(directory, rest, out)  # ** as zero directories
        for entry in entries:  # ... or as one more (symlinked directories are not entered)
            path = _join(directory, entry)
            if _is_real_dir(path):
                _walk(path, components, out)
        return
    matches = _component_matcher(head)
    for entry in entries:
        if matches(entry):
            _walk(_join(directory, entry), rest, out)


def glob(pattern: str) -> List[str]:
    """Paths matching ``pattern`` (relative patterns give paths relative to the current
    directory, as CircleCI prints them), sorted."""
    found: List[str] = []
    for expanded in expand_braces(pattern):
        absolute = expanded.startswith("/")
        parts = [p for p in expanded.split("/") if p not in ("", ".")]
        literal = 0
        while literal < len(parts) and not _has_meta(parts[literal]):
            literal += 1
        base = "/".join(parts[:literal])
        base = os.path.normpath(("/" + base) if absolute else (base or "."))
        _walk(base, parts[literal:], found)
    return sorted(set(found))


def cmd_glob(args: Sequence[str]) -> int:
    _, patterns = parse_flags(args, {})
    seen = set()
    lines: List[str] = []
    for pattern in patterns:
        for path in glob(pattern):
            if path not in seen:
                seen.add(path)
                lines.append(path)
    _write_lines(lines)
    return 0


# -- split --------------------------------------------------------------------------------

def read_names(sources: Sequence[str]) -> List[str]:
    """Names from the files given (else stdin), space or newline delimited, first
    occurrence kept."""
    chunks: List[str] = []
    if sources:
        for source in sources:
            try:
                with open(source, encoding="utf-8", errors="surrogateescape") as fh:
                    chunks.append(fh.read())
            except OSError as exc:
                raise UsageError(f"open {source}: {exc.strerror or exc}") from None
    else:
        chunks.append(sys.stdin.read())
    seen = set()
    names: List[str] = []
    for chunk in chunks:
        for name in chunk.split():
            if name not in seen:
                seen.add(name)
                names.append(name)
    return names


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (``10s``, ``1m30s``, ``250ms``, ``1.5h``) or a plain
    number of seconds."""
    raw = text.strip()
    bad = UsageError(f'invalid argument "{text}" for "--time-default" flag: expected a '
                     "non-negative duration such as 10s, 1m30s or 500ms")
    try:
        seconds = float(raw)
    except ValueError:
        units = (("ns", 1e-9), ("us", 1e-6), ("\u00b5s", 1e-6), ("ms", 1e-3), ("s", 1.0),
                 ("m", 60.0), ("h", 3600.0))
        seconds, i = 0.0, 0
        while i < len(raw):
            j = i
            while j < len(raw) and (raw[j].isdigit() or raw[j] == "."):
                j += 1
            unit = next(((u, f) for u, f in units if raw.startswith(u, j)), None)
            if j == i or unit is None:
                raise bad from None
            try:
                seconds += float(raw[i:j]) * unit[1]
            except ValueError:
                raise bad from None
            i = j + len(unit[0])
        if not raw:
            raise bad from None
    if not 0 <= seconds < float("inf"):
        raise bad
    return seconds


def assign(weights: Dict[str, float], total: int) -> List[List[str]]:
    """Greedy bin packing: heaviest first (ties by name), each to the lightest node (ties:
    the lowest index). Each node's names come back sorted."""
    loads = [0.0] * total
    nodes: List[List[str]] = [[] for _ in range(total)]
    for name in sorted(weights, key=lambda n: (-weights[n], n)):
        target = min(range(total), key=lambda k: (loads[k], k))
        loads[target] += weights[name]
        nodes[target].append(name)
    return [sorted(node) for node in nodes]


def _timing_key(path: str, cwd: str) -> str:
    """A file path as the split compares it: absolute paths under ``cwd`` made relative,
    ``./`` and ``a/../`` folded away."""
    if os.path.isabs(path):
        rel = os.path.relpath(path, cwd)
        if not rel.startswith(".."):
            path = rel
    return os.path.normpath(path)


def load_timings() -> List[Tuple[str, str, str, float]]:
    """``(file, classname, name, seconds)`` of every test the job's earlier local runs
    stored (``$WORKFLOWCORE_TIMINGS_FILE``, written by workflowcore); empty when none."""
    path = os.environ.get(TIMINGS_ENV, "")
    if not path:
        return []
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_TIMINGS_BYTES + 1)
    except FileNotFoundError:
        return []
    except OSError as exc:
        _warn(f"cannot read the recorded test timings {path}: {exc.strerror or exc}")
        return []
    import json

    try:
        data = json.loads(raw.decode("utf-8")) if len(raw) <= _MAX_TIMINGS_BYTES else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        _warn(f"the recorded test timings {path} are not readable; splitting without them")
        return []
    rows: List[Tuple[str, str, str, float]] = []
    for row in data["tests"]:
        if (isinstance(row, list) and len(row) == 4 and all(isinstance(v, str) for v in row[:3])
                and isinstance(row[3], (int, float)) and not isinstance(row[3], bool)
                and row[3] >= 0):
            rows.append((row[0], row[1], row[2], float(row[3])))
    return rows


def timing_tables(rows: Iterable[Tuple[str, str, str, float]]) -> Dict[str, Dict[str, float]]:
    """Seconds per file, per class name and per test name (summed over test cases)."""
    cwd = os.getcwd()
    tables: Dict[str, Dict[str, float]] = {"filename": {}, "classname": {}, "testname": {}}
    for file, classname, name, seconds in rows:
        for kind, key in (("filename", _timing_key(file, cwd) if file else ""),
                          ("classname", classname), ("testname", name)):
            if key:
                table = tables[kind]
                table[key] = table.get(key, 0.0) + seconds
    return tables


def weigh(names: List[str], split_by: str, timings_type: str,
          time_default: Optional[float]) -> Dict[str, float]:
    """Each name's weight for ``split_by``; messages about missing timings go to stderr."""
    if split_by == "name":
        return dict.fromkeys(names, 1.0)
    if split_by == "filesize":
        weights: Dict[str, float] = {}
        for name in names:
            try:
                weights[name] = float(os.stat(name).st_size)
            except OSError as exc:
                raise UsageError(f"splitting by filesize: stat {name}: "
                                 f"{(exc.strerror or str(exc)).lower()} (--split-by=filesize "
                                 "needs paths of existing files)") from None
        return weights
    tables = timing_tables(load_timings())
    cwd = os.getcwd()

    def lookup(kind: str, name: str) -> Optional[float]:
        key = _timing_key(name, cwd) if kind == "filename" else name
        return tables[kind].get(key)

    if timings_type == "autodetect":
        hits = {kind: sum(lookup(kind, n) is not None for n in names)
                for kind in ("filename", "classname", "testname")}
        kind = max(("filename", "classname", "testname"), key=lambda k: hits[k])
        if not hits[kind]:
            _warn("Error auto-detecting timing type, falling back to weighting by name.")
            return dict.fromkeys(names, 1.0)
    else:
        kind = timings_type
        if not any(lookup(kind, n) is not None for n in names):
            _warn("Requested weighting by historical based timing, but they are not present. "
                  "Falling back to weighting by name.")
            return dict.fromkeys(names, 1.0)
    found = {n: t for n in names if (t := lookup(kind, n)) is not None}
    missing = [n for n in names if n not in found]
    if missing:
        fill = time_default if time_default is not None else sum(found.values()) / len(found)
        for name in missing:
            _warn(f'No timing found for "{name}"')
            found[name] = fill
    return found


def _split_options(flags: Dict[str, str], default_type: str) -> Tuple[str, str, Optional[float]]:
    split_by = flags.get("split-by", "name")
    if split_by not in SPLIT_BY:
        raise UsageError(f'invalid argument "{split_by}" for "--split-by" flag: allowed '
                         'values are "name", "filesize" and "timings"')
    raw_type = flags.get("timings-type", default_type)
    if raw_type not in TIMINGS_TYPES:
        raise UsageError(f'invalid argument "{raw_type}" for "--timings-type" flag: allowed '
                         'values are "filename" (or "file"), "classname", "testname" (or '
                         '"name") and "autodetect"')
    default = flags.get("time-default")
    return split_by, TIMINGS_TYPES[raw_type], parse_duration(default) if default else None


def cmd_split(args: Sequence[str]) -> int:
    flags, sources = parse_flags(args, {
        "index": "value", "total": "value", "split-by": "value", "timings-type": "value",
        "time-default": "value", "show-counts": "bool"})
    index, total = node_position(flags)
    split_by, timings_type, time_default = _split_options(flags, "autodetect")
    names = read_names(sources)
    nodes = assign(weigh(names, split_by, timings_type, time_default), total)
    if flags.get("show-counts") == "true":
        for k, node in enumerate(nodes):
            _warn(f"node {k}: {len(node)} of {len(names)} test(s)"
                  + (" (this node)" if k == index else ""))
    _write_lines(nodes[index])
    return 0


def cmd_run(args: Sequence[str]) -> int:
    flags, extra = parse_flags(args, {
        "command": "value", "index": "value", "total": "value", "split-by": "value",
        "timings-type": "value", "time-default": "value", "verbose": "bool"},
        short={"v": "verbose"})
    if extra:
        raise UsageError(f"unexpected argument {extra[0]!r}: `circleci tests run` reads the "
                         "test names from stdin")
    command = flags.get("command")
    if not command:
        raise UsageError('required flag(s) "command" not set')
    index, total = node_position(flags)
    split_by, timings_type, time_default = _split_options(flags, "filename")
    verbose = flags.get("verbose") == "true"
    names = read_names(())
    mine = assign(weigh(names, split_by, timings_type, time_default), total)[index]
    if verbose:
        _warn(f"circleci tests run: node {index} of {total} gets {len(mine)} of "
              f"{len(names)} test(s), split by {split_by}")
    if not mine:
        if verbose:
            _warn("circleci tests run: no tests for this node; the command is not run")
        return 0
    import subprocess

    shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
    if verbose:
        _warn(f"circleci tests run: running {command!r} with {len(mine)} test(s) on stdin")
    sys.stdout.flush()
    proc = subprocess.run([shell, "-c", command], input="".join(f"{n}\n" for n in mine),
                          text=True, errors="surrogateescape", check=False)
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


# -- step halt ----------------------------------------------------------------------------

def cmd_halt(prog: str) -> int:
    job_dir = os.environ.get(JOB_DIR_ENV, "")
    if not job_dir or not os.path.isdir(job_dir):
        _warn(f"{prog} step halt: not inside a job run by workflowcore (${JOB_DIR_ENV} is "
              "not set to the job's directory), so there is no job to halt")
        return UNAVAILABLE_EXIT
    with open(os.path.join(job_dir, HALT_MARKER), "w", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")
    return 0


# -- env subst (github.com/a8m/envsubst, as circleci-cli uses it) ---------------------------

def _name_end(text: str, i: int) -> int:
    j = i
    while j < len(text) and (text[j] == "_" or text[j].isalnum()):
        j += 1
    return j


def envsubst(text: str, env: Dict[str, str]) -> str:
    """``$VAR``, ``${VAR}``, ``${VAR-w}``/``${VAR:-w}``, ``${VAR=w}``/``${VAR:=w}``,
    ``${VAR+w}``/``${VAR:+w}`` (``w`` may hold variables too), ``$$`` for a literal ``$``;
    unset variables are empty; ``$_`` and ``${_}`` are left as they are."""
    out, _ = _subst(text, 0, env, inside=False)
    return out


def _subst(text: str, i: int, env: Dict[str, str], *, inside: bool) -> Tuple[str, int]:
    out: List[str] = []
    while i < len(text):
        c = text[i]
        if inside and c == "}":
            return "".join(out), i
        if inside and c in "\r\n":
            raise UsageError("closing brace expected")
        if c != "$":
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1:i + 2]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _name_end(text, i + 2)
            name = text[i + 2:end]
            if not name or name == "_":
                if text.find("}", i) < 0:
                    raise UsageError("closing brace expected")
                out.append("${")
                i += 2
                continue
            value, i = _braced(text, name, end, env)
            out.append(value)
        else:
            end = _name_end(text, i + 1)
            name = text[i + 1:end]
            if name and name != "_":
                out.append(env.get(name, ""))
                i = end
            else:
                out.append("$")
                i += 1
    if inside:
        raise UsageError("closing brace expected")
    return "".join(out), i


def _braced(text: str, name: str, i: int, env: Dict[str, str]) -> Tuple[str, int]:
    """``${name<op>word}`` from just after the name; returns the value and the index after
    the closing brace."""
    op = ""
    for candidate in (":-", ":=", ":+", "-", "=", "+"):
        if text.startswith(candidate, i):
            op = candidate
            break
    if not op:
        if text[i:i + 1] != "}":
            raise UsageError("closing brace expected" if i >= len(text) or
                             text[i] in "\r\n" else f"bad substitution: ${{{name}{text[i]}")
        return env.get(name, ""), i + 1
    word, end = _subst(text, i + len(op), env, inside=True)
    value = env.get(name)
    if op in ("-", "="):
        result = word if value is None else value
    elif op in (":-", ":="):
        result = value if value else word
    else:  # "+" and ":+": a8m/envsubst gives the word whenever the variable is set
        result = word if value is not None else ""
    return result, end + 1


def cmd_env(args: Sequence[str]) -> int:
    if not args or args[0] != "subst":
        raise Unavailable(" ".join(["env", *args[:1]]))
    _, positional = parse_flags(args[1:], {})
    text = positional[0] if positional else sys.stdin.read()
    if text:
        sys.stdout.write(envsubst(text, dict(os.environ)))
    return 0


# -- entry point --------------------------------------------------------------------------

USAGE = """\
{prog}: CircleCI's in-job commands, as workflowcore provides them to jobs on this machine.

Available here:
  {prog} tests glob PATTERN...         files matching the patterns (*, **, ?, [abc], {{a,b}})
  {prog} tests split [FILE...]         this node's share of the names (files or stdin)
        [--split-by=name|filesize|timings] [--timings-type=filename|classname|testname|
        autodetect] [--time-default=10s] [--index=N] [--total=N] [--show-counts]
  {prog} tests run --command=CMD       split stdin and run CMD with this node's names on
        its stdin [--split-by ...] [--timings-type ...] [--index/--total] [--verbose]
  {prog} step halt                     end the job successfully after this step
  {prog} env subst [TEXT]              substitute $VAR and ${{VAR}} in TEXT or stdin
  {prog} version

Everything else (config, orb, local execute, ...) needs CircleCI and is not available in a
local job. See docs/jobtools.md.
"""


def _warn(message: str) -> None:
    sys.stderr.write(message + "\n")


def _write_lines(lines: Sequence[str]) -> None:
    """One name a line on stdout: the shape CircleCI prints (and ``$(...)`` splits)."""
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")


def dispatch(prog: str, args: List[str]) -> int:
    if not args or args[0] in ("help", "--help", "-h"):
        sys.stdout.write(USAGE.format(prog=prog))
        return 0
    command, rest = args[0], args[1:]
    if command in ("version", "--version"):
        sys.stdout.write(f"{VERSION}\n")
        return 0
    if command == "tests":
        sub = rest[0] if rest else ""
        if sub in ("", "help", "--help", "-h"):
            sys.stdout.write(USAGE.format(prog=prog))
            return 0
        if any(a in ("--help", "-h") for a in rest[1:]):
            sys.stdout.write(USAGE.format(prog=prog))
            return 0
        handlers = {"glob": cmd_glob, "split": cmd_split, "run": cmd_run}
        if sub in handlers:
            return handlers[sub](rest[1:])
        raise Unavailable(f"tests {sub}")
    if command == "step":
        if rest[:1] == ["halt"]:
            return cmd_halt(prog)
        raise Unavailable(" ".join(["step", *rest[:1]]))
    if command == "env":
        return cmd_env(rest)
    raise Unavailable(command)


def main(argv: Sequence[str]) -> int:
    prog = os.path.basename(argv[0]) if argv else "circleci"
    if prog.startswith(".") and prog.endswith(".py"):  # run through install_tools' wrapper
        prog = prog[1:-3]
    if prog not in ("circleci", "circleci-agent"):
        prog = "circleci"
    try:
        return dispatch(prog, list(argv[1:]))
    except UsageError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return ERROR_EXIT
    except Unavailable as exc:
        sys.stderr.write(
            f"{prog} {exc}: not available locally (workflowcore runs jobs on this machine; "
            f"only `{prog} tests glob|split|run`, `{prog} step halt` and `{prog} env subst` "
            "are provided here, the rest needs CircleCI itself; see docs/jobtools.md)\n")
        return UNAVAILABLE_EXIT
    except BrokenPipeError:  # `circleci tests glob ... | head`: the reader left
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when stdout is flushed at exit
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv))
