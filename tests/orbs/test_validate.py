"""``validate_orb``: an orb's own keys, its elements checked as 2.1 config, findings
positioned in the source files."""

from __future__ import annotations

import os
from pathlib import Path

from workflowcore.config.orbs import OrbReport, pack_orb, validate_orb

from ._tree import make_orb, pos

BASE = """\
version: 2.1
description: Test orb.
orbs:
  other: ns/other@1.2.3
"""
INSTALL = """\
description: Install.
parameters:
  version:
    type: string
    default: "1"
steps:
  - run:
      name: Install << parameters.version >>
      command: <<include(scripts/install.sh)>>
  - other/setup
"""
BUILD = """\
executor: default
steps:
  - install
"""
GOOD = {
    "commands/install.yml": INSTALL,
    "scripts/install.sh": "echo install\n",
    "jobs/build.yml": BUILD,
    "executors/default.yml": "docker: [{image: cimg/base:stable}]\n",
    "examples/use.yml": "description: Use it.\nusage:\n  version: 2.1\n  orbs:\n"
                        "    t: ns/test@1.0.0\n  workflows:\n    main:\n      jobs: [t/build]\n",
}


def found(r: OrbReport) -> list[tuple[str, str, int, int]]:
    """``(file, code, line, column)`` of every diagnostic, the file relative to the orb."""
    return [(os.path.relpath(d.path, r.path) if os.path.isdir(r.path) else "", d.code,
             d.line, d.column) for d in r.diagnostics]


def test_a_good_orb_has_one_warning_its_unresolved_import(tmp_path: Path) -> None:
    r = validate_orb(make_orb(tmp_path, GOOD, base=BASE))
    assert r.ok
    assert found(r) == [("@orb.yml", "orb-unavailable", 4, 10)]
    assert "not resolved yet" in (r.diagnostics[0].hint or "")
    assert r.compiled is not None and "build" in r.compiled.data["jobs"]


def test_a_packed_result_can_be_validated_without_packing_again(tmp_path: Path) -> None:
    pack = pack_orb(make_orb(tmp_path, GOOD, base=BASE))
    r = validate_orb(pack)
    assert r.pack is pack and r.ok


def test_imports_resolve_from_an_orb_dir(tmp_path: Path) -> None:
    orbs = tmp_path / "orbs" / "ns"
    orbs.mkdir(parents=True)
    (orbs / "other@1.2.3.yml").write_text("version: 2.1\ncommands:\n  setup:\n"
                                          "    steps: [checkout]\n")
    root = make_orb(tmp_path / "src", GOOD, base=BASE)
    assert validate_orb(root, orb_dir=tmp_path / "orbs").diagnostics == []
    (root / "commands" / "install.yml").write_text(INSTALL.replace("other/setup", "other/nope"))
    r = validate_orb(root, orb_dir=tmp_path / "orbs")
    assert found(r) == [("commands/install.yml", "command-undefined", 10, 5)]


def test_findings_are_positioned_in_the_file_that_wrote_them(tmp_path: Path) -> None:
    build = "executor: nope\nsteps:\n  - install\n  - missing-command\n"
    root = make_orb(tmp_path, {**GOOD, "jobs/build.yml": build}, base=BASE)
    r = validate_orb(root)
    assert not r.ok
    assert sorted(found(r)) == [
        ("@orb.yml", "orb-unavailable", 4, 10),
        ("jobs/build.yml", "command-undefined", 4, 5),
        ("jobs/build.yml", "executor-undefined", 1, 11),
    ]
    assert r.lines(str(root / "jobs" / "build.yml"))[3] == "  - missing-command"


def test_every_job_is_an_export_so_its_problems_are_errors(tmp_path: Path) -> None:
    # In a config, a job no workflow uses gets warnings ("not compiled"); an orb's job is
    # compiled wherever a config uses it.
    root = make_orb(tmp_path, {**GOOD, "jobs/nosteps.yml": "docker: [{image: x}]\n"},
                    base=BASE)
    r = validate_orb(root)
    (e,) = r.errors
    assert (e.code, e.path) == ("job-steps-missing", str(root / "jobs" / "nosteps.yml"))
    assert "not used by any workflow" not in e.message


def test_unused_definitions_are_not_reported(tmp_path: Path) -> None:
    extra = {"commands/spare.yml": "steps: [checkout]\n",
             "executors/spare.yml": "docker: [{image: x}]\n"}
    r = validate_orb(make_orb(tmp_path, {**GOOD, **extra}, base=BASE))
    assert [d.code for d in r.diagnostics] == ["orb-unavailable"]


def test_undeclared_parameter_names_the_invocation_in_source_terms(tmp_path: Path) -> None:
    text = INSTALL.replace("<< parameters.version >>", "<< parameters.nope >>")
    root = make_orb(tmp_path, {**GOOD, "commands/install.yml": text}, base=BASE)
    r = validate_orb(root)
    (e,) = r.errors
    assert e.code == "param-undeclared"
    assert (e.line, e.column) == pos(text, "parameters.nope")
    assert "invoked at jobs/build.yml:3:5" in e.message


def test_line_numbers_in_messages_are_source_lines(tmp_path: Path) -> None:
    job = "executor: default\nsteps: [checkout]\n"
    root = make_orb(tmp_path, {**GOOD, "jobs/install.yml": job}, base=BASE)
    r = validate_orb(root)
    (w,) = [d for d in r.diagnostics if d.code == "config-name-clash"]
    assert w.path == str(root / "jobs" / "install.yml")
    assert "(line 1 of commands/install.yml)" in w.message


def test_a_finding_in_included_text_points_at_the_include(tmp_path: Path) -> None:
    root = make_orb(tmp_path, {**GOOD, "scripts/install.sh": ""}, base=BASE)
    r = validate_orb(root)
    (e,) = r.errors
    assert e.code == "step-empty"
    assert (e.line, e.column) == pos(INSTALL, "<<include(")
    assert e.message.endswith("(in the text included from scripts/install.sh)")


def test_a_failed_include_is_reported_once(tmp_path: Path) -> None:
    files = dict(GOOD)
    del files["scripts/install.sh"]
    r = validate_orb(make_orb(tmp_path, files, base=BASE))
    assert [d.code for d in r.errors] == ["orb-include-missing"]


def test_yaml_errors_stop_before_the_checks(tmp_path: Path) -> None:
    r = validate_orb(make_orb(tmp_path, {**GOOD, "commands/install.yml": "steps: [\n"},
                              base=BASE))
    assert [d.code for d in r.errors] == ["yaml-syntax"]
    assert r.compiled is None


def test_enum_on_a_string_parameter_is_a_warning_in_an_orb(tmp_path: Path) -> None:
    # cypress-io/cypress@6.1.0 was published with one.
    job = BUILD + "parameters:\n  size:\n    type: string\n    default: small\n" \
                  "    enum: [small, large]\n"
    r = validate_orb(make_orb(tmp_path, {**GOOD, "jobs/build.yml": job}, base=BASE))
    assert r.ok
    (w,) = [d for d in r.diagnostics if d.code == "schema-unknown-key"]
    assert w.severity.value == "warning" and (w.line, w.column) == pos(job, "enum")


def test_other_unknown_parameter_keys_stay_errors(tmp_path: Path) -> None:
    job = BUILD + "parameters:\n  size:\n    type: string\n    defualt: small\n"
    r = validate_orb(make_orb(tmp_path, {**GOOD, "jobs/build.yml": job}, base=BASE))
    assert [d.code for d in r.errors] == ["schema-unknown-key"]


# -- the orb's own keys (a single file: nothing is left out by packing) ----------------------

def single(tmp_path: Path, text: str) -> OrbReport:
    f = tmp_path / "orb.yml"
    f.write_text(text)
    return validate_orb(f)


def test_a_single_file_orb(tmp_path: Path) -> None:
    text = "version: 2.1\ndescription: d\ncommands:\n  c:\n    steps: [nope]\n"
    r = single(tmp_path, text)
    assert found(r) == [("", "command-undefined", 5, 13)]
    assert r.diagnostics[0].path == str(tmp_path / "orb.yml")


def test_keys_that_are_not_orb_keys(tmp_path: Path) -> None:
    text = "version: 2.1\ndescription: d\nworkflows:\n  w:\n    jobs: [j]\nfoo: 1\n" \
           "jobs:\n  j:\n    docker: [{image: x}]\n    steps: [checkout]\n"
    r = single(tmp_path, text)
    assert r.ok
    assert found(r) == [("", "orb-unknown-key", 3, 1), ("", "orb-unknown-key", 6, 1)]
    assert "examples" in (r.diagnostics[0].hint or "")


def test_version_and_description(tmp_path: Path) -> None:
    r = single(tmp_path, "commands:\n  c:\n    steps: [checkout]\n")
    assert r.ok
    assert sorted(d.code for d in r.warnings) == ["orb-description-missing", "orb-version"]
    r = single(tmp_path, "version: 2\ndescription: d\n")
    assert [(d.code, d.line) for d in r.errors] == [("orb-version", 1)]


def test_examples_and_display_shapes(tmp_path: Path) -> None:
    text = "version: 2.1\ndescription: d\ndisplay:\n  home: https://x\n" \
           "examples:\n  e:\n    description: d\n"
    r = single(tmp_path, text)
    assert sorted((d.code, d.line) for d in r.errors) == [
        ("schema-missing-key", 6), ("schema-unknown-key", 4)]


def test_an_orb_with_no_findings(tmp_path: Path) -> None:
    r = single(tmp_path, "version: 2.1\ndescription: d\n")
    assert r.ok and r.diagnostics == []
