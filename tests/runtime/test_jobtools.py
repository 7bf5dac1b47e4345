"""The in-job ``circleci``/``circleci-agent`` tools as real processes, and the timings they
read: glob, split (name, filesize, timings), run, env subst, step halt, what is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import pytest

from workflowcore.runtime.jobtools import HALT_MARKER, TIMINGS_ENV, TOOLS, install_tools
from workflowcore.runtime.steps._junit import read_junit
from workflowcore.runtime.stores.timings import MAX_TESTS, TestTiming, TimingsStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the tools are #! scripts")


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tools") / "bin"
    install_tools(d)
    return d


class Tool:
    def __init__(self, bin_dir: Path, cwd: Path) -> None:
        self.bin_dir = bin_dir
        self.cwd = cwd

    def __call__(self, *args: str, stdin: str = "", env: Optional[Mapping[str, str]] = None,
                 name: str = "circleci") -> subprocess.CompletedProcess[str]:
        base = {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}
        base.update(env or {})
        return subprocess.run([name, *args], input=stdin, capture_output=True, text=True,
                              cwd=self.cwd, env=base, timeout=60, check=False)


@pytest.fixture
def tool(bin_dir: Path, tmp_path: Path) -> Tool:
    work = tmp_path / "work"
    work.mkdir()
    return Tool(bin_dir, work)


def lines(text: str) -> List[str]:
    return text.splitlines()


def touch(root: Path, *names: str, size: int = 0) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)


def write_timings(path: Path, rows: List[List[object]]) -> Dict[str, str]:
    path.write_text(json.dumps({"format": 1, "job": "test", "tests": rows}), encoding="utf-8")
    return {TIMINGS_ENV: str(path)}


# -- installation ------------------------------------------------------------------------

def test_both_names_are_installed_and_executable(bin_dir: Path) -> None:
    assert {"circleci", "circleci-agent"} <= set(TOOLS)
    for name in ("circleci", "circleci-agent"):
        assert os.access(bin_dir / name, os.X_OK)
        first = (bin_dir / name).read_text(encoding="utf-8").splitlines()[0]
        assert first == f"#!{sys.executable} -IS"  # one argument: the kernel passes one


def test_an_interpreter_path_with_a_space_goes_through_a_wrapper(tmp_path: Path) -> None:
    spaced = tmp_path / "my python"
    spaced.mkdir()
    (spaced / "python").symlink_to(sys.executable)
    bin_dir = tmp_path / "bin"
    install_tools(bin_dir, python=str(spaced / "python"))
    assert (bin_dir / "circleci").read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    proc = Tool(bin_dir, tmp_path)("step", "halt", name="circleci-agent")
    assert proc.returncode == 1
    assert proc.stderr.startswith("circleci-agent step halt: not inside a job")


# -- glob ---------------------------------------------------------------------------------

def test_glob_doublestar_braces_classes_and_output_shape(tool: Tool) -> None:
    touch(tool.cwd, "src/x.py", "src/a/y.py", "src/a/b/z.py", "src/a/b/w.txt",
          "tests/t1_test.py", "tests/t2_test.py", "tests/t10_test.py", "lib/m.js")
    out = tool("tests", "glob", "src/**/*.py")
    assert out.returncode == 0, out.stderr
    # `**` matches zero directories too (src/x.py), output is one path a line, sorted
    assert lines(out.stdout) == ["src/a/b/z.py", "src/a/y.py", "src/x.py"]
    assert lines(tool("tests", "glob", "tests/t?_test.py").stdout) == [
        "tests/t1_test.py", "tests/t2_test.py"]
    assert lines(tool("tests", "glob", "tests/t[2-9]*.py").stdout) == ["tests/t2_test.py"]
    assert lines(tool("tests", "glob", "tests/t[!1]*").stdout) == ["tests/t2_test.py"]
    assert lines(tool("tests", "glob", "tests/*1*_*").stdout) == [
        "tests/t10_test.py", "tests/t1_test.py"]
    assert lines(tool("tests", "glob", "tests/t1\\0_test.py").stdout) == ["tests/t10_test.py"]
    assert lines(tool("tests", "glob", "{src,lib}/*.{py,js}").stdout) == [
        "lib/m.js", "src/x.py"]
    assert lines(tool("tests", "glob", "./src/a/**").stdout) == [
        "src/a/b", "src/a/b/w.txt", "src/a/b/z.py", "src/a/y.py"]


def test_glob_several_patterns_keep_their_order_without_duplicates(tool: Tool) -> None:
    touch(tool.cwd, "b/one.py", "a/two.py", ".hidden/three.py")
    out = tool("tests", "glob", "b/*.py", "**/*.py", "nothing/*.rb")
    # `*` matches dot-directories as doublestar does; nothing matched: no line, exit 0
    assert lines(out.stdout) == ["b/one.py", ".hidden/three.py", "a/two.py"]
    assert tool("tests", "glob", "nothing/**/*.rb").stdout == ""
    absolute = tool("tests", "glob", f"{tool.cwd}/a/*.py")
    assert lines(absolute.stdout) == [f"{tool.cwd}/a/two.py"]


def test_glob_bad_pattern_is_an_error(tool: Tool) -> None:
    out = tool("tests", "glob", "src/{a,b")
    assert out.returncode == 255
    assert out.stderr.startswith("Error: syntax error in pattern 'src/{a,b'")


# -- split --------------------------------------------------------------------------------

def test_split_by_name_sorts_and_deals_round_robin(tool: Tool) -> None:
    names = "e.py\nc.py a.py\nd.py\nb.py\n"
    node0 = tool("tests", "split", "--index=0", "--total=2", stdin=names)
    node1 = tool("tests", "split", "--index", "1", "--total", "2", stdin=names)
    assert node0.returncode == 0, node0.stderr
    assert lines(node0.stdout) == ["a.py", "c.py", "e.py"]
    assert lines(node1.stdout) == ["b.py", "d.py"]
    # CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL stand in for the flags; without them: 0 of 1
    env = {"CIRCLE_NODE_INDEX": "1", "CIRCLE_NODE_TOTAL": "2"}
    assert lines(tool("tests", "split", stdin=names, env=env).stdout) == ["b.py", "d.py"]
    assert lines(tool("tests", "split", stdin=names).stdout) == [
        "a.py", "b.py", "c.py", "d.py", "e.py"]


def test_split_reads_file_arguments_and_shows_counts(tool: Tool) -> None:
    (tool.cwd / "list.txt").write_text("z\ny\nx\nw\n", encoding="utf-8")
    out = tool("tests", "split", "--total=3", "--index=2", "--show-counts", "list.txt")
    assert lines(out.stdout) == ["y"]
    assert "node 2: 1 of 4 test(s) (this node)" in out.stderr
    missing = tool("tests", "split", "nope.txt")
    assert missing.returncode == 255 and missing.stderr.startswith("Error: open nope.txt")


def test_split_by_filesize_balances_bytes(tool: Tool) -> None:
    for name, size in (("a.rb", 100), ("b.rb", 60), ("c.rb", 50), ("d.rb", 10)):
        touch(tool.cwd, name, size=size)
    names = "a.rb\nb.rb\nc.rb\nd.rb\n"
    node0 = tool("tests", "split", "--split-by=filesize", "--total=2", "--index=0", stdin=names)
    node1 = tool("tests", "split", "--split-by=filesize", "--total=2", "--index=1", stdin=names)
    assert lines(node0.stdout) == ["a.rb", "d.rb"]  # 110 bytes
    assert lines(node1.stdout) == ["b.rb", "c.rb"]  # 110 bytes
    gone = tool("tests", "split", "--split-by=filesize", stdin="gone.rb\n")
    assert gone.returncode == 255
    assert "stat gone.rb: no such file or directory" in gone.stderr


def test_split_by_timings_uses_the_recorded_file_times(tool: Tool, tmp_path: Path) -> None:
    env = write_timings(tmp_path / "t.json", [
        ["./spec/a_spec.rb", "A", "one", 6.0], ["spec/a_spec.rb", "A", "two", 4.0],
        ["spec/b_spec.rb", "B", "one", 9.0], ["spec/c_spec.rb", "C", "one", 1.0],
        [str(tool.cwd / "spec/d_spec.rb"), "D", "one", 1.0]])
    names = "spec/a_spec.rb spec/b_spec.rb spec/c_spec.rb spec/d_spec.rb"
    split = [lines(tool("tests", "split", "--split-by=timings", f"--index={k}", "--total=2",
                        stdin=names, env=env).stdout) for k in (0, 1)]
    # a = 6 + 4 s (two cases, ./ folded away), b = 9, c = 1, d = 1 (absolute path made
    # relative): a -> 0, b -> 1, c -> 1, d -> 0 (10 vs 10: the lower index)
    assert split == [["spec/a_spec.rb", "spec/d_spec.rb"], ["spec/b_spec.rb", "spec/c_spec.rb"]]
    # the name split would have been a, c / b, d
    assert lines(tool("tests", "split", "--index=0", "--total=2", stdin=names).stdout) == [
        "spec/a_spec.rb", "spec/c_spec.rb"]


def test_split_by_timings_fills_missing_tests(tool: Tool, tmp_path: Path) -> None:
    env = write_timings(tmp_path / "t.json", [["x.py", "", "", 10.0], ["y.py", "", "", 2.0]])
    names = "x.py y.py new.py"
    out = tool("tests", "split", "--split-by=timings", "--index=1", "--total=2",
               stdin=names, env=env)
    # new.py gets the average (6 s): x -> 0 (10), new -> 1 (6), y -> 1 (8)
    assert lines(out.stdout) == ["new.py", "y.py"]
    assert 'No timing found for "new.py"' in out.stderr
    # --time-default (a Go duration) instead of the average: at 20 s new.py is the
    # heaviest and has node 0 to itself
    heavy = tool("tests", "split", "--split-by=timings", "--time-default=20s", "--index=0",
                 "--total=2", stdin=names, env=env)
    assert lines(heavy.stdout) == ["new.py"]
    minute = tool("tests", "split", "--split-by=timings", "--time-default=1m0.5s",
                 "--index=0", "--total=2", stdin=names, env=env)
    assert lines(minute.stdout) == ["new.py"]
    bad = tool("tests", "split", "--split-by=timings", "--time-default=soon", stdin=names,
               env=env)
    assert bad.returncode == 255 and '"--time-default"' in bad.stderr


def test_split_by_timings_class_and_test_names(tool: Tool, tmp_path: Path) -> None:
    env = write_timings(tmp_path / "t.json", [
        ["", "com.A", "t1", 5.0], ["", "com.A", "t2", 5.0], ["", "com.B", "t1", 3.0],
        ["", "com.C", "t9", 4.0]])
    classes = "com.A com.B com.C"
    by_class = tool("tests", "split", "--split-by=timings", "--timings-type=classname",
                    "--index=1", "--total=2", stdin=classes, env=env)
    assert lines(by_class.stdout) == ["com.B", "com.C"]  # A = 10 alone on node 0
    auto = tool("tests", "split", "--split-by=timings", "--index=1", "--total=2",
                stdin=classes, env=env)
    assert lines(auto.stdout) == ["com.B", "com.C"]  # autodetect finds class names
    by_test = tool("tests", "split", "--split-by=timings", "--timings-type=testname",
                   "--index=0", "--total=2", stdin="t1 t2 t9", env=env)
    assert lines(by_test.stdout) == ["t1"]  # t1 = 8 s, t2 + t9 = 9 s


def test_split_by_timings_without_timings_falls_back_to_names(tool: Tool,
                                                              tmp_path: Path) -> None:
    names = "b.py a.py c.py"
    none = tool("tests", "split", "--split-by=timings", "--index=0", "--total=2", stdin=names)
    assert lines(none.stdout) == ["a.py", "c.py"]
    assert "Error auto-detecting timing type, falling back to weighting by name." in none.stderr
    env = write_timings(tmp_path / "t.json", [["other.py", "", "", 3.0]])
    explicit = tool("tests", "split", "--split-by=timings", "--timings-type=filename",
                    "--index=0", "--total=2", stdin=names, env=env)
    assert lines(explicit.stdout) == ["a.py", "c.py"]
    assert "Falling back to weighting by name." in explicit.stderr
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    broken = tool("tests", "split", "--split-by=timings", stdin=names,
                  env={TIMINGS_ENV: str(tmp_path / "broken.json")})
    assert broken.returncode == 0 and lines(broken.stdout) == ["a.py", "b.py", "c.py"]
    assert "not readable" in broken.stderr


def test_split_rejects_bad_flags_and_positions(tool: Tool) -> None:
    cases = [
        (["--index=2", "--total=2"], "node index 2 is out of range for 2 node(s)"),
        (["--total=0"], "the node total must be at least 1"),
        (["--index=-1"], 'invalid argument "-1" for "--index" flag'),
        (["--split-by=size"], 'invalid argument "size" for "--split-by" flag'),
        (["--timings-type=suite"], 'invalid argument "suite" for "--timings-type" flag'),
        (["--frobnicate"], "unknown flag: --frobnicate"),
        (["--index"], "flag needs an argument: --index"),
    ]
    for args, message in cases:
        out = tool("tests", "split", *args, stdin="a\n")
        assert out.returncode == 255, args
        assert out.stderr.startswith("Error: ") and message in out.stderr, out.stderr
    env_bad = tool("tests", "split", stdin="a\n", env={"CIRCLE_NODE_TOTAL": "two"})
    assert env_bad.returncode == 255 and "$CIRCLE_NODE_TOTAL" in env_bad.stderr


# -- run ----------------------------------------------------------------------------------

def test_run_feeds_the_node_share_to_the_command(tool: Tool) -> None:
    names = "d.py\nb.py\nc.py\na.py\n"
    out = tool("tests", "run", "--command=cat > mine.txt; echo ran", "--index=1", "--total=2",
               "--verbose", stdin=names)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ran\n"
    assert (tool.cwd / "mine.txt").read_text(encoding="utf-8") == "b.py\nd.py\n"
    assert "node 1 of 2 gets 2 of 4 test(s)" in out.stderr
    # `xargs` as the docs use it; CIRCLE_NODE_* pick the node
    env = {"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "2"}
    xargs = tool("tests", "run", "--command", ">files.txt xargs echo", stdin=names, env=env)
    assert xargs.returncode == 0
    assert (tool.cwd / "files.txt").read_text(encoding="utf-8") == "a.py c.py\n"


def test_run_exits_with_the_command_status_and_skips_empty_nodes(tool: Tool) -> None:
    assert tool("tests", "run", "--command=exit 7", stdin="a.py\n").returncode == 7
    empty = tool("tests", "run", "--command=touch ran.txt", "--index=2", "--total=3",
                 "-v", stdin="a.py b.py\n")
    assert empty.returncode == 0
    assert not (tool.cwd / "ran.txt").exists()  # no tests for this node: no command
    assert "no tests for this node" in empty.stderr
    missing = tool("tests", "run", stdin="a.py\n")
    assert missing.returncode == 255
    assert missing.stderr == 'Error: required flag(s) "command" not set\n'


def test_run_splits_by_timings_too(tool: Tool, tmp_path: Path) -> None:
    env = write_timings(tmp_path / "t.json", [["a.py", "", "", 9.0], ["b.py", "", "", 1.0],
                                              ["c.py", "", "", 1.0]])
    out = tool("tests", "run", "--command=cat", "--split-by=timings", "--index=1",
               "--total=2", stdin="a.py b.py c.py", env=env)
    assert out.stdout == "b.py\nc.py\n"  # the name split would give node 1 b.py alone


# -- env subst ----------------------------------------------------------------------------

def test_env_subst_argument_and_stdin(tool: Tool) -> None:
    env = {"NAME": "world", "EMPTY": ""}
    arg = tool("env", "subst", "Hello $NAME, ${NAME}! ${MISSING:-dflt} ${EMPTY-kept} "
               "${EMPTY:+set} $$NAME $UNSET. ${_} $_", env=env)
    assert arg.returncode == 0, arg.stderr
    assert arg.stdout == "Hello world, world! dflt  set $NAME . ${_} $_"  # no newline added
    piped = tool("env", "subst", stdin='{"to": "${TO:-$NAME}"}\n', env=env)
    assert piped.stdout == '{"to": "world"}\n'
    assert tool("env", "subst", stdin="").stdout == ""
    broken = tool("env", "subst", "a ${NAME")
    assert broken.returncode == 255 and broken.stderr == "Error: closing brace expected\n"


# -- step halt ----------------------------------------------------------------------------

def test_step_halt_leaves_the_marker_in_the_job_directory(tool: Tool, tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    for name in ("circleci-agent", "circleci"):
        (job_dir / HALT_MARKER).unlink(missing_ok=True)
        out = tool("step", "halt", name=name, env={"WORKFLOWCORE_JOB_DIR": str(job_dir)})
        assert out.returncode == 0, out.stderr
        assert out.stdout == "" and (job_dir / HALT_MARKER).is_file()
    outside = tool("step", "halt", name="circleci-agent")
    assert outside.returncode == 1
    assert "not inside a job run by workflowcore" in outside.stderr


# -- what is not available ----------------------------------------------------------------

@pytest.mark.parametrize(("argv", "shown"), [
    (["config", "validate"], "circleci config"),
    (["orb", "list"], "circleci orb"),
    (["local", "execute"], "circleci local"),
    (["tests", "upload"], "circleci tests upload"),
    (["step", "skip"], "circleci step skip"),
])
def test_other_commands_fail_honestly(tool: Tool, argv: List[str], shown: str) -> None:
    out = tool(*argv)
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.startswith(f"{shown}: not available locally (workflowcore runs jobs on "
                                 "this machine; ")
    agent = tool(*argv, name="circleci-agent")
    assert agent.returncode == 1 and agent.stderr.startswith("circleci-agent ")


def test_help_and_version_answer(tool: Tool) -> None:
    for argv in (["--help"], ["help"], ["tests", "--help"], ["tests", "split", "--help"]):
        out = tool(*argv)
        assert out.returncode == 0 and "circleci tests split" in out.stdout
    version = tool("version")
    assert version.returncode == 0 and "workflowcore" in version.stdout


# -- the timings the tools read -----------------------------------------------------------

def test_junit_timings_take_the_file_from_the_case_or_its_suite(tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_text(
        '<testsuites><testsuite name="s" file="spec/a_spec.rb">'
        '<testcase classname="A" name="one" time="1,250.5"/>'
        '<testcase classname="A" name="two" time="0.5" file="spec/other_spec.rb"/>'
        '<testcase classname="A" name="three"/>'
        '<testcase classname="A" name="bad" time="soon"><failure/></testcase>'
        "</testsuite></testsuites>", encoding="utf-8")
    summary, timings, problems = read_junit(tmp_path / "r.xml")
    assert (summary.tests, summary.failures, problems) == (4, 1, [])
    assert timings == [TestTiming("spec/a_spec.rb", "A", "one", 1250.5),
                       TestTiming("spec/other_spec.rb", "A", "two", 0.5)]


def test_store_merges_every_node_newest_first(tmp_path: Path) -> None:
    store = TimingsStore(tmp_path / "timings")
    store.record("test", [TestTiming("a.py", "", "", 5.0), TestTiming("b.py", "", "", 1.0)],
                 node_index=0)
    store.record("test", [TestTiming("c.py", "", "", 7.0), TestTiming("b.py", "", "", 3.0)],
                 node_index=1)
    merged = {t.file: t.time for t in store.load("test")}
    assert merged == {"a.py": 5.0, "b.py": 3.0, "c.py": 7.0}  # b.py: node 1 recorded later
    # a node's next run replaces that node's timings, and only those
    store.record("test", [TestTiming("a.py", "", "", 2.0)], node_index=0)
    assert {t.file: t.time for t in store.load("test")} == {"a.py": 2.0, "b.py": 3.0,
                                                            "c.py": 7.0}
    assert store.load("other") == []
    out = tmp_path / "export.json"
    assert store.export("test", out) == 3
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert sorted(map(tuple, data["tests"])) == [("a.py", "", "", 2.0), ("b.py", "", "", 3.0),
                                                 ("c.py", "", "", 7.0)]


def test_store_is_bounded_safe_and_tolerant(tmp_path: Path) -> None:
    root = tmp_path / "timings"
    store = TimingsStore(root)
    kept = store.record("../../escape", (TestTiming(f"t{i}.py", "", "", 1.0)
                                         for i in range(MAX_TESTS + 10)))
    assert kept == MAX_TESTS
    [job_dir] = list(root.iterdir())
    assert job_dir.parent == root and ".." not in job_dir.name.split("/")
    assert not (tmp_path / "escape").exists()
    dropped = store.record("j", [TestTiming("x" * 5000, "", "", 1.0),
                                 TestTiming("neg.py", "", "", -1.0),
                                 TestTiming("", "", "", 1.0), TestTiming("ok.py", "", "", 1.0)])
    assert dropped == 1
    (root / "j" / "node-7.json").write_text("{broken", encoding="utf-8")
    assert [t.file for t in store.load("j")] == ["ok.py"]  # a damaged node file is skipped
    assert not [p for p in (root / "j").iterdir() if p.name.startswith(".tmp-")]
    with pytest.raises(ValueError, match="node_index must be an integer"):
        store.record("j", [], node_index=-1)
