"""Golden-file harness: ``golden/<case>.in.yml`` compiled must print ``<case>.out.yml``.

``<case>.args`` (optional, YAML) gives ``parameters``, ``pipeline_values``, ``lint`` and
``orb_dir`` (relative to the golden directory). The output file is the processed YAML
(``to_yaml``) preceded by comment lines for diagnostics, skipped workflows and opaque jobs,
so one file shows everything a compile produced. Set ``WFC_UPDATE_GOLDEN=1`` to rewrite
the expected files after an intended change (then review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

import yaml

from workflowcore.config._yaml import parse_yaml
from workflowcore.config.compile import CompileResult, compile_config, to_yaml

GOLDEN = Path(__file__).resolve().parent / "golden"


def cases() -> list[str]:
    return sorted(p.name[: -len(".in.yml")] for p in GOLDEN.glob("*.in.yml"))


def load_args(case: str) -> Dict[str, Any]:
    p = GOLDEN / f"{case}.args"
    args: Dict[str, Any] = yaml.safe_load(p.read_text()) if p.exists() else {}
    args = dict(args or {})
    if "orb_dir" in args:
        args["orb_dir"] = GOLDEN / args["orb_dir"]
    else:
        args["orb_dir"] = GOLDEN / "no-orbs-here"
    return args


def compile_case(case: str) -> CompileResult:
    src = GOLDEN / f"{case}.in.yml"
    y = parse_yaml(src.read_text(encoding="utf-8"), src.name)
    assert not [d for d in y.diagnostics if d.is_error], y.diagnostics
    return compile_config(y.data, source_map=y.source_map, **load_args(case))


def render(result: CompileResult) -> str:
    lines = []
    if result.diagnostics:
        lines.append("# diagnostics:")
        for d in result.diagnostics:
            where = f"{d.line}:{d.column}"
            if not d.path.endswith(".in.yml"):
                where = f"{Path(d.path).relative_to(GOLDEN)}:{where}"
            lines.append(f"#   {where} {d.severity} [{d.code}] {d.message}")
    if result.skipped_workflows:
        lines.append("# skipped workflows:")
        lines.extend(f"#   {k}: {v}" for k, v in result.skipped_workflows.items())
    if result.opaque_jobs:
        lines.append("# opaque jobs: " + ", ".join(sorted(result.opaque_jobs)))
    body = "# no output\n" if result.data is None else to_yaml(result.data)
    return "\n".join(lines) + ("\n" if lines else "") + body


def check(case: str) -> None:
    got = render(compile_case(case))
    out = GOLDEN / f"{case}.out.yml"
    if os.environ.get("WFC_UPDATE_GOLDEN") == "1":
        out.write_text(got, encoding="utf-8")
    assert out.exists(), f"no expected output {out.name}; run with WFC_UPDATE_GOLDEN=1"
    assert got == out.read_text(encoding="utf-8")
