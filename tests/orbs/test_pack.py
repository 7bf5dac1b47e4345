"""``pack_orb``: every packing rule of ``circleci orb pack``, and the places it is stricter."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from workflowcore.config._yaml import parse_yaml
from workflowcore.config.orbs import NotAnOrbRootError, Origin, PackResult, pack_orb

from ._tree import make_orb, pos

INSTALL = """\
description: Install the tool.
parameters:
  version:
    type: string
    default: "1.0"
steps:
  - run:
      name: Install
      command: <<include(scripts/install.sh)>>
"""
SCRIPT = "#!/bin/bash\nset -eu\necho \"installing $VERSION\"\n"


def codes(r: PackResult) -> list[str]:
    return [d.code for d in r.diagnostics]


def reread(r: PackResult) -> object:
    y = parse_yaml(r.text, "packed.yml")
    assert not y.diagnostics, y.diagnostics
    return y.data


# -- elements and sections -----------------------------------------------------------------

def test_each_yaml_file_of_a_section_is_an_element_named_by_its_file(tmp_path: Path) -> None:
    root = make_orb(tmp_path / "src", {
        "commands/install.yml": "steps: [checkout]\n",
        "commands/greet.yaml": "steps: [{run: echo hi}]\n",
        "commands/with.dots.yml": "steps: [checkout]\n",
        "jobs/build.yml": "docker: [{image: cimg/base:stable}]\nsteps: [install]\n",
        "executors/default.yml": "docker: [{image: cimg/base:stable}]\n",
        "examples/simple.yml": "description: Use it.\nusage:\n  version: 2.1\n",
    })
    r = pack_orb(root)
    assert r.ok and not r.diagnostics, r.diagnostics
    assert r.data is not None
    assert list(r.data["commands"]) == ["greet", "install", "with.dots"]
    assert r.data["commands"]["greet"] == {"steps": [{"run": "echo hi"}]}
    assert list(r.data["jobs"]) == ["build"]
    assert list(r.data["executors"]) == ["default"]
    assert r.data["examples"]["simple"]["usage"] == {"version": 2.1}
    assert reread(r) == r.data


def test_orb_keys_come_out_in_the_cli_order(tmp_path: Path) -> None:
    base = "commands: {}\ndescription: Late.\nversion: 2.1\norbs:\n  node: circleci/node@5\n"
    r = pack_orb(make_orb(tmp_path, {"jobs/j.yml": "steps: [checkout]\n"}, base=base))
    assert r.data is not None
    assert list(r.data) == ["version", "description", "orbs", "commands", "jobs"]
    assert r.text.startswith("version: 2.1\ndescription: Late.\norbs:\n")


def test_files_that_are_not_packed(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {
        "commands/ok.yml": "steps: [checkout]\n",
        "commands/README.md": "# not yaml\n",
        "commands/.hidden.yml": "steps: [checkout]\n",
        "commands/notes.yml.txt": "steps: [checkout]\n",
        "scripts/helper.yml": "steps: [checkout]\n",
        "tests/t.yml": "steps: [checkout]\n",
        ".circleci/config.yml": "version: 2.1\n",
    })
    r = pack_orb(root)
    assert r.data is not None and list(r.data["commands"]) == ["ok"]
    assert set(r.data) == {"version", "description", "display", "commands"}
    assert not r.diagnostics


def test_sub_folders_of_a_section_are_not_packed_and_say_so(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {"commands/ok.yml": "steps: [checkout]\n",
                               "commands/nested/deep.yml": "steps: [checkout]\n"})
    r = pack_orb(root)
    assert r.data is not None and list(r.data["commands"]) == ["ok"]
    (d,) = r.diagnostics
    assert (d.code, d.severity.value) == ("orb-pack-skipped", "warning")
    assert d.path == str(root / "commands" / "nested") and "not packed" in d.message


def test_an_empty_element_file_is_an_empty_element(tmp_path: Path) -> None:
    r = pack_orb(make_orb(tmp_path, {"executors/empty.yml": "# nothing yet\n"}))
    assert r.data is not None and r.data["executors"] == {"empty": {}}


def test_an_element_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    r = pack_orb(make_orb(tmp_path, {"commands/bad.yml": "- checkout\n- run: make\n",
                                     "commands/good.yml": "steps: [checkout]\n"}))
    assert not r.ok
    (d,) = r.errors
    assert d.code == "orb-element-not-mapping"
    assert d.path.endswith(os.path.join("commands", "bad.yml")) and (d.line, d.column) == (1, 1)
    assert r.data is not None and list(r.data["commands"]) == ["good"]


# -- @-files -------------------------------------------------------------------------------

def test_at_orb_yml_is_the_base_and_other_root_yaml_files_merge_into_it(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {"extra.yml": "display:\n  home_url: https://example.com\n"})
    r = pack_orb(root)
    assert r.data is not None
    assert r.data["display"] == {"home_url": "https://example.com"}  # later file, whole key
    assert r.data["description"] == "A test orb."
    assert r.origin(("display",)) == Origin(str(root / "extra.yml"), ("display",))
    assert r.origin(("description",)) == Origin(str(root / "@orb.yml"), ("description",))


def test_a_root_file_after_a_section_folder_replaces_the_whole_section(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {"commands/a.yml": "steps: [checkout]\n",
                               "zz.yml": "commands:\n  b:\n    steps: [checkout]\n"})
    r = pack_orb(root)
    assert r.data is not None and list(r.data["commands"]) == ["b"]
    assert r.origin(("commands", "b", "steps")) == Origin(str(root / "zz.yml"),
                                                          ("commands", "b", "steps"))
    assert r.origin(("commands", "a")) == Origin(str(root / "zz.yml"), ("commands", "a"))


def test_a_folder_without_at_orb_yml_is_not_an_orb_root(tmp_path: Path) -> None:
    make_orb(tmp_path, {"orb.yml": "version: 2.1\n"}, base=None)
    with pytest.raises(NotAnOrbRootError):
        pack_orb(tmp_path)
    with pytest.raises(FileNotFoundError):
        pack_orb(tmp_path / "missing")


def test_at_files_in_a_section_merge_into_it(tmp_path: Path) -> None:
    common = """\
    one:
      steps: [checkout]
    two:
      steps:
        - run: echo two
    """
    root = make_orb(tmp_path, {"commands/@common.yml": common,
                               "commands/three.yml": "steps: [checkout]\n"})
    r = pack_orb(root)
    assert r.ok and not r.diagnostics
    assert r.data is not None and list(r.data["commands"]) == ["one", "two", "three"]
    assert "@common" not in r.data["commands"]
    assert r.origin(("commands", "two", "steps", 0)) == Origin(
        str(root / "commands" / "@common.yml"), ("two", "steps", 0))
    assert r.origin(("commands", "three", "steps")) == Origin(
        str(root / "commands" / "three.yml"), ("steps",))


def test_an_element_defined_twice_warns_and_the_later_file_wins(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {"commands/@common.yml": "dup:\n  steps: [checkout]\n",
                               "commands/dup.yml": "steps: [{run: echo file}]\n"})
    r = pack_orb(root)
    assert r.data is not None
    assert r.data["commands"]["dup"] == {"steps": [{"run": "echo file"}]}
    (d,) = r.diagnostics
    assert d.code == "orb-pack-duplicate" and d.severity.value == "warning"
    assert "commands/@common.yml" in d.message and "commands/dup.yml" in d.message


def test_section_files_replace_elements_at_orb_yml_wrote(tmp_path: Path) -> None:
    base = "version: 2.1\ndescription: d\ncommands:\n  a:\n    steps: [checkout]\n  b:\n" \
           "    steps: [checkout]\n"
    root = make_orb(tmp_path, {"commands/b.yml": "steps: [{run: echo b}]\n"}, base=base)
    r = pack_orb(root)
    assert r.data is not None
    assert r.data["commands"] == {"a": {"steps": ["checkout"]},
                                  "b": {"steps": [{"run": "echo b"}]}}
    (d,) = r.diagnostics
    assert d.code == "orb-pack-duplicate" and d.path == str(root / "@orb.yml")
    assert (d.line, d.column) == (6, 3)
    assert r.origin(("commands", "a")) == Origin(str(root / "@orb.yml"), ("commands", "a"))
    assert r.origin(("commands", "b")) == Origin(str(root / "commands" / "b.yml"), ())


# -- includes ------------------------------------------------------------------------------

def test_include_is_replaced_by_the_files_text_as_a_block_scalar(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {"commands/install.yml": INSTALL, "scripts/install.sh": SCRIPT})
    r = pack_orb(root)
    assert r.ok and not r.diagnostics, r.diagnostics
    assert r.data is not None
    step = r.data["commands"]["install"]["steps"][0]["run"]
    assert step["command"] == SCRIPT
    assert "        command: |\n          #!/bin/bash\n          set -eu\n" in r.text
    assert reread(r) == r.data
    assert r.includes == {("commands", "install", "steps", 0, "run", "command"):
                          str(root / "scripts" / "install.sh")}


@pytest.mark.parametrize("statement", [
    "<< include(scripts/install.sh) >>",
    "'<<include(scripts/install.sh)>>'",
    "\"<<  include(scripts/install.sh)  >>\"",
    "<<include(scripts/install.sh>>",  # the CLI's pattern makes ')' optional
])
def test_include_spellings(tmp_path: Path, statement: str) -> None:
    text = INSTALL.replace("<<include(scripts/install.sh)>>", statement)
    r = pack_orb(make_orb(tmp_path, {"commands/install.yml": text,
                                     "scripts/install.sh": SCRIPT}))
    assert r.ok, r.diagnostics
    assert r.data is not None
    assert r.data["commands"]["install"]["steps"][0]["run"]["command"] == SCRIPT


def test_includes_in_nested_folders_other_files_and_environment_values(tmp_path: Path) -> None:
    cmd = """\
    parameters:
      template:
        type: string
        default: <<include(message_templates/basic.json)>>
    steps:
      - run:
          environment:
            UTILS: "<<include(scripts/lib/utils.sh)>>"
          command: <<include(scripts/linux/deep/install.sh)>>
    """
    root = make_orb(tmp_path, {
        "commands/notify.yml": cmd,
        "message_templates/basic.json": '{"text": "hi"}\n',
        "scripts/lib/utils.sh": "util() { :; }\n",
        "scripts/linux/deep/install.sh": "echo deep\n",
    })
    r = pack_orb(root)
    assert r.ok, r.diagnostics
    assert r.data is not None
    c = r.data["commands"]["notify"]
    assert c["parameters"]["template"]["default"] == '{"text": "hi"}\n'
    assert c["steps"][0]["run"]["environment"]["UTILS"] == "util() { :; }\n"
    assert c["steps"][0]["run"]["command"] == "echo deep\n"
    assert len(r.includes) == 3


def test_included_text_has_its_template_brackets_escaped(tmp_path: Path) -> None:
    script = "cat <<EOF > out\n$((1<<2))\nEOF\n"
    r = pack_orb(make_orb(tmp_path, {"commands/install.yml": INSTALL,
                                     "scripts/install.sh": script}))
    assert r.data is not None
    got = r.data["commands"]["install"]["steps"][0]["run"]["command"]
    assert got == "cat \\<<EOF > out\n$((1\\<<2))\nEOF\n"


def test_includes_are_inlined_in_at_orb_yml_sections_but_not_in_examples(tmp_path: Path) -> None:
    base = "version: 2.1\ndescription: d\njobs:\n  j:\n    docker: [{image: x}]\n" \
           "    steps:\n      - run: <<include(scripts/install.sh)>>\n"
    example = "description: e\nusage:\n  version: 2.1\n  x: <<include(scripts/install.sh)>>\n"
    root = make_orb(tmp_path, {"scripts/install.sh": SCRIPT, "examples/e.yml": example},
                    base=base)
    r = pack_orb(root)
    assert r.data is not None
    assert r.data["jobs"]["j"]["steps"][0]["run"] == SCRIPT
    assert "examples" in r.data and "x" not in r.data["examples"]["e"]["usage"]  # dropped
    r2 = pack_orb(make_orb(tmp_path / "b", {
        "scripts/install.sh": SCRIPT,
        "examples/e.yml": "description: <<include(scripts/install.sh)>>\nusage: {}\n"}))
    assert r2.data is not None
    assert r2.data["examples"]["e"]["description"] == "<<include(scripts/install.sh)>>"


def _include_error(tmp_path: Path, statement: str, **extra: str) -> tuple[PackResult, str]:
    text = INSTALL.replace("<<include(scripts/install.sh)>>", statement)
    root = make_orb(tmp_path / "src", {"commands/install.yml": text, **extra})
    return pack_orb(root), text


def test_missing_include_is_a_positioned_error(tmp_path: Path) -> None:
    r, text = _include_error(tmp_path, "<<include(scripts/nope.sh)>>")
    assert not r.ok
    (d,) = r.errors
    assert d.code == "orb-include-missing"
    assert d.path == str(tmp_path / "src" / "commands" / "install.yml")
    assert (d.line, d.column) == pos(text, "<<include(scripts/nope.sh)>>")
    assert d.end_column == d.column + len("<<include(scripts/nope.sh)>>")
    assert "scripts/nope.sh" in d.message


def test_include_with_spaces_is_positioned_inside_quotes(tmp_path: Path) -> None:
    r, text = _include_error(tmp_path, "\"<< include(scripts/nope.sh) >>\"")
    (d,) = r.errors
    assert (d.line, d.column) == pos(text, "<< include(")


def test_include_escaping_with_dot_dot_is_an_error_and_reads_nothing(tmp_path: Path) -> None:
    (tmp_path / "secret.sh").write_text("TOKEN=hunter2\n")
    r, text = _include_error(tmp_path, "<<include(../secret.sh)>>")
    (d,) = r.errors
    assert d.code == "orb-include-escape"
    assert (d.line, d.column) == pos(text, "<<include(../secret.sh)>>")
    assert "hunter2" not in r.text
    assert r.includes == {}


def test_dot_dot_that_stays_inside_is_fine(tmp_path: Path) -> None:
    r, _ = _include_error(tmp_path, "<<include(scripts/../scripts/install.sh)>>",
                          **{"scripts/install.sh": SCRIPT})
    assert r.ok, r.diagnostics


def test_absolute_include_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "abs.sh"
    target.write_text("echo abs\n")
    r, text = _include_error(tmp_path, f"<<include({target.as_posix()})>>")
    (d,) = r.errors
    assert d.code == "orb-include-escape" and "absolute" in d.message
    assert (d.line, d.column) == pos(text, "<<include(/")


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_include_through_a_symlink_leading_out_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "secret.sh").write_text("TOKEN=hunter2\n")
    (tmp_path / "src" / "scripts").mkdir(parents=True)
    os.symlink(tmp_path / "secret.sh", tmp_path / "src" / "scripts" / "install.sh")
    r, text = _include_error(tmp_path, "<<include(scripts/install.sh)>>")
    (d,) = r.errors
    assert d.code == "orb-include-escape" and "symbolic link" in d.message
    assert (d.line, d.column) == pos(text, "<<include(scripts/install.sh)>>")
    assert "hunter2" not in r.text


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_symlink_inside_the_tree_is_followed(tmp_path: Path) -> None:
    (tmp_path / "src" / "scripts").mkdir(parents=True)
    (tmp_path / "src" / "scripts" / "real.sh").write_text(SCRIPT)
    os.symlink("real.sh", tmp_path / "src" / "scripts" / "install.sh")
    r, _ = _include_error(tmp_path, "<<include(scripts/install.sh)>>")
    assert r.ok, r.diagnostics


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_element_file_symlinked_out_of_the_tree_is_not_packed(tmp_path: Path) -> None:
    (tmp_path / "outside.yml").write_text("steps: [checkout]\n")
    root = make_orb(tmp_path / "src", {})
    (root / "commands").mkdir()
    os.symlink(tmp_path / "outside.yml", root / "commands" / "x.yml")
    r = pack_orb(root)
    (d,) = r.errors
    assert d.code == "orb-file-escape"
    assert r.data is not None and "commands" in r.data and r.data["commands"] == {}


@pytest.mark.parametrize(("statement", "code", "needle"), [
    ("<<include(scripts/a.sh)>> <<include(scripts/b.sh)>>", "orb-include-multiple",
     "<<include(scripts/b.sh)>>"),
    ("'bash -c <<include(scripts/a.sh)>>'", "orb-include-not-whole", "<<include("),
    ("<<include(my script.sh)>>", "orb-include-invalid", "<<include("),
])
def test_malformed_includes(tmp_path: Path, statement: str, code: str, needle: str) -> None:
    r, text = _include_error(tmp_path, statement, **{"scripts/a.sh": "a\n", "scripts/b.sh": "b\n"})
    (d,) = r.errors
    assert d.code == code
    assert (d.line, d.column) == pos(text, needle)


def test_a_block_scalar_include_ends_with_a_line_break_so_it_is_not_whole(tmp_path: Path) -> None:
    r, _ = _include_error(tmp_path, "|\n        <<include(scripts/a.sh)>>", **{"scripts/a.sh": "a"})
    assert [d.code for d in r.errors] == ["orb-include-not-whole"]


def test_including_a_folder_is_an_error(tmp_path: Path) -> None:
    r, _ = _include_error(tmp_path, "<<include(scripts)>>", **{"scripts/a.sh": "a"})
    assert [d.code for d in r.errors] == ["orb-include-missing"]


# -- bounds --------------------------------------------------------------------------------

BOMB = """\
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
steps: [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_alias_bomb_in_an_orb_file_is_bounded(tmp_path: Path) -> None:
    r = pack_orb(make_orb(tmp_path, {"commands/bomb.yml": BOMB}))
    assert not r.ok
    (d,) = r.errors
    assert d.code == "yaml-alias-bomb" and d.path.endswith("bomb.yml")


def test_alias_bomb_in_a_single_orb_file_is_bounded(tmp_path: Path) -> None:
    f = tmp_path / "orb.yml"
    f.write_text("version: 2.1\ncommands:\n  x:\n" + textwrap.indent(BOMB, "    "))
    r = pack_orb(f)
    assert [d.code for d in r.errors] == ["yaml-alias-bomb"] and r.data is None


def test_node_budget_bounds_aliases_below_the_per_file_limit(tmp_path: Path) -> None:
    small = "\n".join(BOMB.splitlines()[:4]) + "\nsteps: [*d, *d]\n"  # 20,000 nodes
    r = pack_orb(make_orb(tmp_path, {"commands/x.yml": small}), max_nodes=5_000)
    assert [d.code for d in r.errors] == ["orb-too-large"] and r.data is None and r.text == ""


def test_a_file_over_the_byte_limit_is_refused(tmp_path: Path) -> None:
    r = pack_orb(make_orb(tmp_path, {"commands/big.yml": "steps: [checkout]\n" + "#" * 5000}),
                 max_bytes=1000)
    assert [d.code for d in r.errors] == ["yaml-too-large"]


def test_an_include_used_many_times_is_bounded_by_the_total_size(tmp_path: Path) -> None:
    files = {f"commands/c{i}.yml": INSTALL for i in range(20)}
    files["scripts/install.sh"] = "x" * 2000 + "\n"
    r = pack_orb(make_orb(tmp_path, files), max_chars=20_000)
    assert [d.code for d in r.errors] == ["orb-too-large"] and r.data is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {"commands/ok.yml": "steps: [checkout]\n",
                               "commands/install.yml": INSTALL})
    os.mkfifo(root / "commands" / "fifo.yml")
    (root / "scripts").mkdir()
    os.mkfifo(root / "scripts" / "install.sh")
    r = pack_orb(root)
    assert sorted(d.code for d in r.errors) == ["orb-file-unreadable", "orb-include-unreadable"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_every_include_of_an_unreadable_file_is_reported(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {"commands/a.yml": INSTALL, "commands/b.yml": INSTALL})
    (root / "scripts").mkdir()
    os.mkfifo(root / "scripts" / "install.sh")
    r = pack_orb(root)
    assert sorted((d.code, os.path.basename(d.path)) for d in r.errors) == [
        ("orb-include-unreadable", "a.yml"), ("orb-include-unreadable", "b.yml")]
    assert len(r.failed_includes) == 2


def test_an_included_file_that_is_not_utf8_is_reported_once_in_that_file(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {"commands/a.yml": INSTALL, "commands/b.yml": INSTALL})
    (root / "scripts").mkdir()
    (root / "scripts" / "install.sh").write_bytes(b"echo ok\necho \xe9t\xe9\n")
    r = pack_orb(root)
    (d,) = r.errors
    assert (d.code, d.path, d.line, d.column) == (
        "yaml-encoding", str(root / "scripts" / "install.sh"), 2, 6)
    assert len(r.failed_includes) == 2


def test_an_orb_file_that_is_not_utf8_is_a_positioned_error(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {})
    (root / "commands").mkdir()
    (root / "commands" / "x.yml").write_bytes(b"steps:\n  - run: echo \xff\n")
    (d,) = pack_orb(root).errors
    assert (d.code, d.line, d.column) == ("yaml-encoding", 2, 15)


# -- what the packed orb keeps -------------------------------------------------------------

def test_keys_circleci_orb_pack_leaves_out_are_warnings(tmp_path: Path) -> None:
    base = "version: 2.1\ndescription: d\nworkflows:\n  w: {}\n"
    example = """\
    description: e
    usage:
      version: 2.1
      executors:
        e: {docker: [{image: x}]}
      workflows: {}
    workflows: {}
    """
    root = make_orb(tmp_path, {"examples/e.yml": example}, base=base)
    r = pack_orb(root)
    assert r.data is not None
    assert "workflows" not in r.data
    assert r.data["examples"]["e"] == {"description": "e",
                                       "usage": {"version": 2.1, "workflows": {}}}
    got = sorted((d.path.rsplit(os.sep, 1)[-1], d.line, d.column) for d in r.diagnostics)
    assert got == [("@orb.yml", 3, 1), ("e.yml", 4, 3), ("e.yml", 7, 1)]
    assert all(d.code == "orb-pack-dropped-key" and d.severity.value == "warning"
               for d in r.diagnostics)


def test_yaml_1_1_boolean_words_stay_text_as_circleci_cli_packs_them(tmp_path: Path) -> None:
    cmd = """\
    parameters:
      mode:
        type: enum
        enum: [OFF, on, "yes", true]
        default: OFF
      flag:
        type: boolean
        default: no
    steps: [checkout]
    """
    r = pack_orb(make_orb(tmp_path, {"commands/c.yml": cmd}))
    assert r.data is not None
    params = r.data["commands"]["c"]["parameters"]
    assert params["mode"]["enum"] == ["OFF", "on", "yes", True]
    assert params["mode"]["default"] == "OFF" and params["flag"]["default"] == "no"
    assert reread(r) == r.data
    single = tmp_path / "orb.yml"
    single.write_text("version: 2.1\ncommands:\n  c:\n" + textwrap.indent(cmd, "    "))
    s = pack_orb(single)
    assert s.data is not None
    assert s.data["commands"]["c"]["parameters"]["mode"]["enum"] == [False, True, "yes", True]


def test_a_single_file_is_taken_as_it_is(tmp_path: Path) -> None:
    text = "# my orb\nversion: 2.1\ndescription: x\ncommands:\n  c:\n    steps:\n" \
           "      - run: <<include(scripts/nope.sh)>>\n"
    f = tmp_path / "orb.yml"
    f.write_text(text)
    r = pack_orb(f)
    assert r.ok and r.single_file and r.text == text
    assert r.data is not None
    assert r.data["commands"]["c"]["steps"][0]["run"] == "<<include(scripts/nope.sh)>>"
    assert r.origin(("commands", "c")) == Origin(str(f), ("commands", "c"))
    assert r.files[str(f)].span(("commands", "c"), key=True).start.line == 5


def test_a_single_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    f = tmp_path / "orb.yml"
    f.write_text("- a\n- b\n")
    r = pack_orb(f)
    assert [d.code for d in r.errors] == ["orb-not-mapping"] and r.data is None
    f.write_text("# nothing\n")
    assert [d.code for d in pack_orb(f).errors] == ["orb-empty"]
