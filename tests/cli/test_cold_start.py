"""What a cold ``workflowcore`` process imports (issue 13): the imports are most of a cold
start, so ``--help``/``--version`` import no sub-command, ``validate`` never the runtime or
the planner, and a 2.0 config not even the compiler. Timings are in
benchmarks/bench_cold_start.py; these tests pin the import sets, which do not vary with the
machine's load."""

from __future__ import annotations

import argparse
import ast
import json
import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from workflowcore.cli.main import COMMANDS, build_parser

HEAVY = ("pydantic", "yaml", "workflowcore.config", "workflowcore.config.compile",
         "workflowcore.runtime", "workflowcore.planning", "workflowcore._compile",
         "workflowcore.reporting", "sqlite3")

CONFIG_21 = ("version: 2.1\njobs:\n  build:\n    docker: [{image: python:3}]\n"
             "    steps: [checkout]\nworkflows:\n  w:\n    jobs: [build]\n")
CONFIG_20 = ("version: 2\njobs:\n  build:\n    docker: [{image: python:3}]\n"
             "    steps: [checkout]\nworkflows:\n  version: 2\n  w:\n    jobs: [build]\n")


def _imported_by(argv: List[str], env: Dict[str, str] | None = None) -> Dict[str, Any]:
    """Run ``main(argv)`` in a fresh interpreter; its exit code and which HEAVY modules
    it imported."""
    code = ("import json, sys\nfrom workflowcore.cli.main import main\n"
            "try:\n    rc = main(sys.argv[1:])\nexcept SystemExit as e:\n    rc = e.code\n"
            f"print(json.dumps({{'rc': rc, 'mods': [m for m in {HEAVY!r} "
            "if m in sys.modules]}))\n")
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                          text=True, check=True, env=env)
    result: Dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_sub_command(flag: str) -> None:
    assert _imported_by([flag]) == {"rc": 0, "mods": []}


def test_building_the_top_level_parser_imports_nothing_heavy() -> None:
    code = ("import sys\nfrom workflowcore.cli.main import build_parser\nbuild_parser([])\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_validate_imports_neither_the_runtime_nor_the_planner(tmp_path: Path) -> None:
    (tmp_path / "c21.yml").write_text(CONFIG_21, encoding="utf-8")
    (tmp_path / "c20.yml").write_text(CONFIG_20, encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    # the first run builds the schema caches with pydantic; a valid config then needs none
    assert "pydantic" in _imported_by(["validate", str(tmp_path / "c21.yml")], env)["mods"]
    got = _imported_by(["validate", str(tmp_path / "c21.yml")], env)
    assert got["rc"] == 0
    assert set(got["mods"]) == {
        "yaml", "workflowcore.config", "workflowcore.config.compile", "workflowcore.reporting"}
    # a 2.0 config has nothing to compile: not even the compiler is imported
    got = _imported_by(["validate", str(tmp_path / "c20.yml")], env)
    assert got["rc"] == 0
    assert set(got["mods"]) == {"yaml", "workflowcore.config", "workflowcore.reporting"}


#: What a valid config's cold validate does without (docs/dev/cold-start.md): pydantic-core's
#: package (only its compiled module), dataclasses (and inspect), pathlib, the orb store
#: for a config that imports no orb, and what only a finding, a help text or another format
#: needs.
NOT_ON_THE_COLD_PATH = (
    "pydantic", "pydantic_core", "pydantic_core.core_schema", "typing_extensions",
    "dataclasses", "inspect", "pathlib", "shutil", "json", "difflib",
    "workflowcore.config.orbs.store", "workflowcore.reporting.rules", "workflowcore._docs")


def test_a_valid_config_is_checked_without_the_slow_imports(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    # a `defaults:` key of anchors: unknown at the top level, and no typo of a known key
    config.write_text("version: 2.1\ndefaults: &d\n  docker: [{image: python:3}]\n"
                      + CONFIG_21.split("\n", 1)[1].replace("    docker: [{image: python:3}]\n",
                                                             "    <<: *d\n")
                      + "      - deploy:\n          filters: {branches: {only: /rel-.*/}}\n"
                        "          requires: [build]\n", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace(
        "jobs: [build]\n", "jobs:\n      - build\n").replace(
        "    steps: [checkout]\n", "    steps: [checkout]\n  deploy:\n    <<: *d\n"
                                   "    steps: [checkout]\n"), encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    code = ("import sys\nfrom workflowcore.cli.main import main\n"
            "try:\n    rc = main(sys.argv[1:])\nexcept SystemExit as e:\n    rc = e.code\n"
            f"print(repr({{'rc': rc, 'mods': [m for m in {NOT_ON_THE_COLD_PATH!r} "
            "if m in sys.modules], 'core': 'pydantic_core._pydantic_core' in sys.modules}))\n")
    run = [sys.executable, "-c", code, "validate", str(config)]
    subprocess.run(run, capture_output=True, check=True, env=env)  # builds the schema caches
    out = subprocess.run(run, capture_output=True, text=True, check=True, env=env).stdout
    got = ast.literal_eval(out.strip().splitlines()[-1])
    assert got == {"rc": 0, "mods": [], "core": True}, out


def test_pydantic_core_loaded_alone_is_the_module_pydantic_uses_later() -> None:
    """config/_core_module.py loads the compiled module without the package; a later
    ``import pydantic`` (a host that uses pydantic too) must find and use that module."""
    code = ("import sys\nfrom workflowcore.config._core_module import pydantic_core_module\n"
            "m = pydantic_core_module()\nassert 'pydantic_core' not in sys.modules\n"
            "assert m.__name__ == 'pydantic_core._pydantic_core'\n"
            "import pydantic, pydantic_core\n"
            "assert pydantic_core._pydantic_core is m\n"
            "assert pydantic_core.SchemaValidator is m.SchemaValidator\n"
            "assert pydantic_core_module() is m\n"
            "class M(pydantic.BaseModel):\n    n: int\n"
            "assert M(n='3').n == 3\n"
            "try:\n    M(n='x')\nexcept pydantic.ValidationError as e:\n"
            "    assert isinstance(e, m.ValidationError)\nelse:\n    raise AssertionError\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "ok"


def test_pydantic_core_already_imported_is_used_as_it_is() -> None:
    code = ("import pydantic_core\nfrom workflowcore.config._core_module import "
            "pydantic_core_module\nassert pydantic_core_module().SchemaValidator is "
            "pydantic_core.SchemaValidator\nprint('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "ok"


def _sub_commands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise AssertionError("no sub-commands")


def test_the_command_table_matches_what_each_module_registers() -> None:
    """``--help`` lists the table's help without importing the modules; each module's
    own registration must say the same, name the same commands, in the same order."""
    full = _sub_commands(build_parser())
    registered = {a.dest: a.help for a in full._choices_actions}
    assert list(registered) == list(COMMANDS)
    assert registered == {name: help_text for name, (_, help_text) in COMMANDS.items()}
    lazy = _sub_commands(build_parser([]))
    assert [a.dest for a in lazy._choices_actions] == list(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_parses_when_only_it_is_registered(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser([command])
    with pytest.raises(SystemExit) as exc:
        parser.parse_args([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: workflowcore {command}" in capsys.readouterr().out


# -- the cached Config schema (config/_validator_cache.py) -------------------------------------

BAD = ("version: 2.1\njobs:\n  build:\n    docker: [{image: python:3}]\n    parallelism: lots\n"
       "    steps:\n      - run: {comand: make}\nworkflows:\n  w:\n    jobs: [build]\n")


def _validate(path: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run([sys.executable, "-m", "workflowcore", "validate", "--format", "json",
                           str(path)], capture_output=True, text=True, env=env, check=False)


def test_a_cached_schema_validates_exactly_as_a_fresh_build(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD, encoding="utf-8")
    cache = tmp_path / "cache"
    first = _validate(bad, cache)  # builds, and stores the schema
    stored = list((cache / "workflowcore").glob("pydantic-schema-*.pickle"))
    assert len(stored) == 1
    assert stat.S_IMODE(stored[0].stat().st_mode) & 0o077 == 0
    second = _validate(bad, cache)  # loads it
    assert first.returncode == second.returncode == 1
    assert first.stdout == second.stdout
    codes = [d["code"] for f in json.loads(first.stdout)["files"] for d in f["diagnostics"]]
    assert "schema-type" in codes or any(c.startswith("schema-") for c in codes), codes


def test_a_damaged_or_foreign_cache_file_is_not_used(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD, encoding="utf-8")
    cache = tmp_path / "cache"
    expected = _validate(bad, cache).stdout
    (stored,) = (cache / "workflowcore").glob("pydantic-schema-*.pickle")
    stored.write_bytes(b"not a pickle")
    assert _validate(bad, cache).stdout == expected
    assert stored.read_bytes() != b"not a pickle"  # rebuilt and stored again



class _Touch:
    """Unpickling this creates ``path``: what a planted cache file could do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (str(self.path), "w"))


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_a_cache_file_others_may_write_is_never_unpickled(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD, encoding="utf-8")
    cache = tmp_path / "cache"
    expected = _validate(bad, cache).stdout
    (stored,) = (cache / "workflowcore").glob("pydantic-schema-*.pickle")
    marker = tmp_path / "ran"
    for mode, runs in ((0o666, False), (0o620, False), (0o600, True)):
        stored.write_bytes(pickle.dumps(_Touch(marker)))
        stored.chmod(mode)
        assert _validate(bad, cache).stdout == expected
        assert marker.exists() is runs, oct(mode)  # 0o600: ours, so it is loaded
        marker.unlink(missing_ok=True)


# -- pydantic's plugin discovery (cli/main.py entry) -------------------------------------------

def _imports_of_validate(path: Path, plugins: str | None, cache: Path) -> str:
    """What ``python -m workflowcore validate`` of a config with errors imports (``-X
    importtime``'s report), with ``PYDANTIC_DISABLE_PLUGINS`` unset (``None``) or set by
    the user."""
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    env["XDG_CACHE_HOME"] = str(cache)
    if plugins is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = plugins
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "workflowcore", "validate",
                           str(path)], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 1, proc.stderr[-500:]
    assert "[schema-value]" in proc.stdout
    assert " workflowcore.config.models\n" in proc.stderr  # the full way, through pydantic
    return proc.stderr


def test_validate_skips_plugin_discovery_unless_the_user_asks_for_plugins(
        tmp_path: Path) -> None:
    """A config with errors goes the full way, through pydantic (a valid one never
    imports pydantic at all). Not a misspelt key: its "did you mean" hint rebuilds models,
    which creates validators pydantic's way."""
    config = tmp_path / "bad.yml"
    config.write_text(BAD.replace("      - run: {comand: make}\n", "      - checkout\n"),
                      encoding="utf-8")
    # by default the CLI's validate never looks for plugins: importlib.metadata is the lookup
    _imports_of_validate(config, None, tmp_path)  # builds the schema caches (pydantic's way)
    assert "importlib.metadata" not in _imports_of_validate(config, None, tmp_path)
    # the user's own setting wins: an empty value means "load every plugin", as in pydantic
    assert "importlib.metadata" in _imports_of_validate(config, "", tmp_path)


# -- the quick validation without pydantic (config/_fast_validate.py) --------------------------

#: name -> (config, whether the schema has something to say about it)
QUICK_CASES = {
    "valid, with anchors, job arguments and a command": (
        "version: 2.1\nreferences:\n  img: &img python:3\ncommands:\n  hi:\n"
        "    steps: [{run: echo hi}]\njobs:\n  build:\n    parameters: {n: {type: string}}\n"
        "    docker: [{image: *img}]\n    steps: [checkout, hi, {run: {command: make}}]\n"
        "workflows:\n  w:\n    jobs: [{build: {n: x, requires: []}}]\n", False),
    "an ignored key of a run step": (
        "version: 2.1\njobs:\n  build:\n    docker: [{image: python:3}]\n"
        "    steps: [{run: {command: make, comand: x}}]\nworkflows:\n  w:\n    jobs: [build]\n",
        True),
    "an unknown key of a docker image": (
        "version: 2.1\njobs:\n  build:\n    docker: [{image: python:3, imag: x}]\n"
        "    steps: [checkout]\nworkflows:\n  w:\n    jobs: [build]\n", True),
    "a several-key step": (
        "version: 2.1\njobs:\n  build:\n    docker: [{image: python:3}]\n"
        "    steps:\n      - run: make\n        name: x\nworkflows:\n  w:\n    jobs: [build]\n",
        True),
    "a schema error": (BAD, True),
}


def _validate_traced(path: Path, cache: Path) -> tuple[str, bool]:
    """``validate --format json`` of ``path``: its output, and whether it imported pydantic."""
    code = ("import json, sys\nfrom workflowcore.cli.main import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "sys.stdout.flush()\nprint('pydantic' in sys.modules, file=sys.stderr)\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    proc = subprocess.run([sys.executable, "-c", code, "validate", "--format", "json",
                           str(path)], capture_output=True, text=True, env=env, check=True)
    return proc.stdout, proc.stderr.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize("case", sorted(QUICK_CASES))
def test_the_quick_validation_reports_exactly_what_pydantic_does(
        case: str, tmp_path: Path) -> None:
    text, reported = QUICK_CASES[case]
    config = tmp_path / "config.yml"
    config.write_text(text, encoding="utf-8")
    cache = tmp_path / "cache"
    full, used_pydantic = _validate_traced(config, cache)  # no cache yet: pydantic's way
    assert used_pydantic
    assert list((cache / "workflowcore").glob("pydantic-core-schema-*.pickle"))
    quick, used_pydantic = _validate_traced(config, cache)
    assert quick == full
    # only what the schema has something to say about goes through pydantic and the models
    assert used_pydantic is reported
    assert bool(json.loads(full)["files"][0]["diagnostics"]) is reported


def test_a_planted_quick_schema_file_resolves_no_global(tmp_path: Path) -> None:
    """Unlike pydantic's schema, the quick one names no class or function: a file that
    does is refused even when it is ours (0o600), and validation goes pydantic's way."""
    config = tmp_path / "config.yml"
    config.write_text(CONFIG_21, encoding="utf-8")
    cache = tmp_path / "cache"
    expected, _ = _validate_traced(config, cache)
    (stored,) = (cache / "workflowcore").glob("pydantic-core-schema-*.pickle")
    marker = tmp_path / "ran"
    stored.write_bytes(pickle.dumps((b"", _Touch(marker), None)))
    stored.chmod(0o600)
    got, used_pydantic = _validate_traced(config, cache)
    assert got == expected
    assert used_pydantic and not marker.exists()


def test_the_written_out_vocabularies_match_the_models() -> None:
    """The quick path's discriminators and the workflow check do not import the models;
    what they spell out must be what the models say."""
    from workflowcore.config import _discriminators, models
    from workflowcore.config.checks import workflows

    assert _discriminators.STEP_NAMES == models.BUILTIN_STEPS
    assert tuple(models.known_keys(models.Workflow)) == workflows._WORKFLOW_KEYS
