"""The language server's speed, through the real server process (issue 13, "Speed").

    python benchmarks/bench_lsp.py [--quick] [--file CONFIG]

A pygls client starts ``workflowcore lsp`` over stdio, like an editor, and measures:

1. **Latency**: the largest config of the shared corpus (``../shared/corpus/real``,
   ≈2,800 lines) open, a one-line edit (the ``name:`` of a ``run`` step), and the time from
   sending the change to receiving its ``publishDiagnostics``; 200 edits, each after a
   quiet spell longer than the debounce (as a person edits). Target: p95 ≤ 50 ms. Printed
   against a baseline measured in the same run: a plain ``load()`` of the same text in this
   process (the pipeline alone, no protocol, no thread hand-off).
2. **Memory**: the server's resident set size over 1,000 edits (debounce off, so each is
   analysed): flat means no growth after warm-up beyond allocator noise.
3. **Scaling**: the config at 1×, 4× and 16× its size (jobs, commands, executors and
   workflows copied under new names, references renamed with them), the edit latency and
   the time of requests that touch every position (document symbols, references of a job
   used in every copy); each as a ratio to 1×, beside the ratio of ``load()`` itself.
   Linear means ≈4 and ≈16: the O(n²) position-mapping class of bug would show as 16 and
   256.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from workflowcore import load

ROOT = Path(__file__).resolve().parent.parent


def shared_corpus() -> Path:
    env = os.environ.get("WFC_SHARED")
    base = Path(env) if env else ROOT.parent / "shared"
    corpus = base / "corpus" / "real"
    if not corpus.is_dir():
        raise SystemExit(f"the shared corpus is missing at {corpus}: set WFC_SHARED, or give "
                         "--file CONFIG")
    return corpus


def largest(corpus: Path) -> Path:
    return max(sorted(corpus.glob("*.yml")), key=lambda p: p.read_text(
        encoding="utf-8", errors="replace").count("\n"))


# -- scaling a config ---------------------------------------------------------------------

_SECTIONS = ("jobs", "commands", "executors", "job-groups")


def _rename_steps(steps: Any, names: Dict[str, Dict[str, str]]) -> Any:
    if not isinstance(steps, list):
        return steps
    out = []
    for step in steps:
        if isinstance(step, str):
            out.append(names["commands"].get(step, step))
        elif isinstance(step, dict) and len(step) == 1:
            (key, body), = step.items()
            if key in ("when", "unless") and isinstance(body, dict):
                body = dict(body, steps=_rename_steps(body.get("steps"), names))
            out.append({names["commands"].get(key, key): body})
        else:
            out.append(step)
    return out


def _rename_element(body: Any, names: Dict[str, Dict[str, str]]) -> Any:
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if "steps" in body:
        body["steps"] = _rename_steps(body["steps"], names)
    executor = body.get("executor")
    if isinstance(executor, str):
        body["executor"] = names["executors"].get(executor, executor)
    elif isinstance(executor, dict) and isinstance(executor.get("name"), str):
        body["executor"] = dict(executor, name=names["executors"].get(executor["name"],
                                                                      executor["name"]))
    return body


def _rename_jobs(jobs: Any, names: Dict[str, Dict[str, str]], suffix: str) -> Any:
    if not isinstance(jobs, list):
        return jobs
    out = []
    for item in jobs:
        if isinstance(item, str):
            out.append(names["jobs"].get(item, item))
            continue
        if not (isinstance(item, dict) and len(item) == 1):
            out.append(item)
            continue
        (ref, args), = item.items()
        if isinstance(args, dict):
            args = dict(args)
            if isinstance(args.get("name"), str):
                args["name"] = args["name"] + suffix
            req = args.get("requires")
            if isinstance(req, list):
                args["requires"] = [names["jobs"].get(r, r + suffix) if isinstance(r, str)
                                    else r for r in req]
            for key in ("pre-steps", "post-steps"):
                if key in args:
                    args[key] = _rename_steps(args[key], names)
        out.append({names["jobs"].get(ref, ref): args})
    return out


def scaled(text: str, copies: int) -> str:
    """The config with its jobs, commands, executors and workflows ``copies`` times, each
    copy under new names (``-2``, ``-3``...), dumped as block YAML (anchors expanded; the
    1× is dumped the same way, so sizes compare)."""
    data = yaml.safe_load(text)
    # anchors are expanded by reading: the free-form keys that held them are left out
    out: Dict[str, Any] = {k: v for k, v in data.items()
                           if k in ("version", "setup", "orbs", "parameters")}
    for section in (*_SECTIONS, "workflows"):
        if isinstance(data.get(section), dict):
            out[section] = {}
    for n in range(1, copies + 1):
        suffix = "" if n == 1 else f"-{n}"
        names = {s: {k: k + suffix for k in (data.get(s) or {})} for s in _SECTIONS}
        for section in ("jobs", "commands", "executors"):
            for name, body in (data.get(section) or {}).items():
                out[section][name + suffix] = _rename_element(body, names)
        for name, wf in (data.get("workflows") or {}).items():
            if name == "version":
                out["workflows"]["version"] = wf
                continue
            if isinstance(wf, dict):
                wf = dict(wf, jobs=_rename_jobs(wf.get("jobs"), names, suffix))
            out["workflows"][name + suffix] = wf
        for name, group in (data.get("job-groups") or {}).items():
            if isinstance(group, dict):
                group = dict(group, jobs=_rename_jobs(group.get("jobs"), names, suffix))
            out["job-groups"][name + suffix] = group
    return yaml.dump(out, Dumper=_NoAliases, sort_keys=False, width=10_000,
                     allow_unicode=True)


class _NoAliases(yaml.SafeDumper):
    """Every copy written out in full: an alias would make a copy cost nothing to read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# -- the client ---------------------------------------------------------------------------


class Bench:
    def __init__(self) -> None:
        self.client = LanguageClient("bench-lsp", "1")
        self.published: Dict[Tuple[str, Optional[int]], float] = {}
        self.waiters: Dict[Tuple[str, Optional[int]], asyncio.Future[float]] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _published(ls: Any, params: lsp.PublishDiagnosticsParams) -> None:
            key = (params.uri, params.version)
            now = time.perf_counter()
            self.published[key] = now
            fut = self.waiters.pop(key, None)
            if fut is not None and not fut.done():
                fut.set_result(now)

    async def start(self, root: Path, debounce_ms: Optional[float] = None) -> None:
        await self.client.start_io(sys.executable, "-m", "workflowcore", "lsp")
        options = {} if debounce_ms is None else {"debounceMs": debounce_ms}
        await self.client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(root)),
            initialization_options=options))
        self.client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    @property
    def pid(self) -> int:
        server = self.client._server  # the process pygls started
        assert server is not None
        return server.pid

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    async def objects(self) -> int:
        """Objects the server's garbage collector tracks (after a collection)."""
        status = await self.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="workflowcore.status"))
        return int(status["objects"])

    async def published_at(self, uri: str, version: int) -> float:
        key = (uri, version)
        if key in self.published:
            return self.published[key]
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[key] = fut
        return await asyncio.wait_for(fut, 120)

    async def open(self, path: Path, text: str) -> str:
        uri = from_fs_path(str(path))
        assert uri is not None
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="yaml", version=1,
                                               text=text)))
        await self.published_at(uri, 1)
        return uri

    async def edit(self, uri: str, version: int, line: int, old: str, new: str) -> float:
        """Seconds from sending a one-line edit to its diagnostics."""
        t0 = time.perf_counter()
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangePartial(
                range=lsp.Range(start=lsp.Position(line=line, character=0),
                                end=lsp.Position(line=line, character=len(old))),
                text=new)]))
        return await self.published_at(uri, version) - t0


def edit_line(text: str) -> Tuple[int, str]:
    """A line to edit: the ``name:`` of a ``run`` step (or a ``command:``) near the end."""
    lines = text.split("\n")
    for key in ("name: ", "command: "):
        for i in range(len(lines) - 1, -1, -1):
            s = lines[i].strip()
            if s.startswith(key) and not s.endswith(("|", ">", "|-", ">-")):
                return i, lines[i]
    raise SystemExit("no one-line 'name:' or 'command:' to edit in this config")


def baseline(text: str, path: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        load(text, path)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def p95(values: List[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def latency(work: Path, text: str, edits: int, debounce_s: float) -> List[float]:
    bench = Bench()
    await bench.start(work)
    try:
        uri = await bench.open(work / ".circleci" / "config.yml", text)
        line, old = edit_line(text)
        out = []
        current = old
        for i in range(edits):
            await asyncio.sleep(debounce_s + 0.02)  # a quiet spell, as between a person's edits
            new = f"{old} {i}" if i % 2 == 0 else old
            out.append(await bench.edit(uri, i + 2, line, current, new))
            current = new
        return out
    finally:
        await bench.stop()


async def memory(work: Path, text: str, edits: int) -> List[Tuple[int, float, int]]:
    bench = Bench()
    await bench.start(work, debounce_ms=0)
    try:
        uri = await bench.open(work / ".circleci" / "config.yml", text)
        line, old = edit_line(text)
        current = old
        samples = [(0, bench.rss_mb(), await bench.objects())]
        for i in range(edits):
            new = f"{old} {i}"
            await bench.edit(uri, i + 2, line, current, new)
            current = new
            if (i + 1) % max(1, edits // 8) == 0:
                samples.append((i + 1, bench.rss_mb(), await bench.objects()))
        return samples
    finally:
        await bench.stop()


async def scaling(work: Path, text: str, factors: List[int], edits: int
                  ) -> List[Tuple[int, int, float, float, float, float]]:
    """(factor, lines, load s, edit→diagnostics s, symbols s, references s) per size."""
    rows = []
    for factor in factors:
        big = scaled(text, factor)
        folder = work / f"x{factor}"
        path = folder / ".circleci" / "config.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(big, encoding="utf-8")
        base = baseline(big, str(path), 5)
        bench = Bench()
        await bench.start(folder, debounce_ms=0)
        try:
            uri = await bench.open(path, big)
            line, old = edit_line(big)
            times = []
            current = old
            for i in range(edits):
                new = f"{old} {i}"
                times.append(await bench.edit(uri, i + 2, line, current, new))
                current = new
            doc = lsp.TextDocumentIdentifier(uri=uri)
            t0 = time.perf_counter()
            await bench.client.text_document_document_symbol_async(
                lsp.DocumentSymbolParams(text_document=doc))
            symbols = time.perf_counter() - t0
            # references of the first job: named in every copy's workflows
            job_line = next(i for i, s in enumerate(big.split("\n")) if s == "jobs:") + 1
            t0 = time.perf_counter()
            await bench.client.text_document_references_async(lsp.ReferenceParams(
                text_document=doc, position=lsp.Position(line=job_line, character=3),
                context=lsp.ReferenceContext(include_declaration=True)))
            refs = time.perf_counter() - t0
        finally:
            await bench.stop()
        rows.append((factor, big.count("\n"), base, statistics.median(times), symbols, refs))
    return rows


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="wfc-bench-lsp-") as tmp:
        return await measure(args, Path(tmp))


async def measure(args: argparse.Namespace, work: Path) -> int:
    source = Path(args.file) if args.file else largest(shared_corpus())
    text = source.read_text(encoding="utf-8")
    edits = 40 if args.quick else 200
    print(f"config: {source.name} ({text.count(chr(10)):,} lines)")
    base = baseline(text, str(source), 20)
    found = len(load(text, str(source)).diagnostics)
    print(f"baseline: load() of the same text in this process: {base * 1000:.1f} ms "
          f"(median of 20; {found} diagnostics)")

    lat = await latency(work, text, edits, 0.15)
    print(f"\n1. one-line edit -> publishDiagnostics, {edits} edits after a quiet spell:")
    print(f"   median {statistics.median(lat) * 1000:.1f} ms, p95 {p95(lat) * 1000:.1f} ms, "
          f"max {max(lat) * 1000:.1f} ms  (target p95 <= 50 ms: "
          f"{'met' if p95(lat) <= 0.050 else 'NOT met'}); "
          f"p95 / baseline load() = {p95(lat) / base:.2f}x")

    n_mem = 200 if args.quick else 1000
    samples = await memory(work, text, n_mem)
    print(f"\n2. server memory over {n_mem} edits (debounce off, each analysed):")
    print("   RSS: " + ", ".join(f"{n}: {mb:.1f} MB" for n, mb, _ in samples))
    print("   objects: " + ", ".join(f"{n}: {k:,}" for n, _, k in samples))
    at = min(2, len(samples) - 1)
    print(f"   growth after warm-up (edit {samples[at][0]} -> {samples[-1][0]}): "
          f"{samples[-1][1] - samples[at][1]:+.1f} MB, {samples[-1][2] - samples[at][2]:+,} "
          "objects")

    factors = [1, 4] if args.quick else [1, 4, 16]
    rows = await scaling(work, text, factors, 5 if args.quick else 11)
    print("\n3. scaling (the config copied under new names):")
    print("   size  lines    load()     edit->diags  symbols    references")
    one = rows[0]
    for factor, lines, base_s, edit_s, sym_s, ref_s in rows:
        print(f"   {factor:>2}x  {lines:>7,}  {base_s * 1000:7.1f} ms  {edit_s * 1000:7.1f} ms  "
              f"{sym_s * 1000:7.1f} ms  {ref_s * 1000:7.1f} ms")
    for factor, lines, base_s, edit_s, sym_s, ref_s in rows[1:]:
        print(f"   {factor}x / 1x: load() {base_s / one[2]:.1f}, edit->diags "
              f"{edit_s / one[3]:.1f}, symbols {sym_s / one[4]:.1f}, references "
              f"{ref_s / one[5]:.1f}  (linear: {lines / one[1]:.1f}, the ratio of lines)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer edits, 1x and 4x only")
    parser.add_argument("--file", help="the config to measure (default: the largest of the "
                                       "shared corpus)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
